"""The 座谈会 of grid party group leaders and 党员中心户 (网格党小组长、党员中心户座谈会): meetings
held by a community's general committee with their attendance and minutes, and the suggestions
made there, each followed to an action with an owner, a deadline in working days of the place's
calendar and a status (open, done, late).

Part of :class:`~community_governance.services.party.PartyService` (``gov.party``). Attendees
are party members, so the attendance is sensitive personal data: reads are access-logged and
the minutes are redacted on every way out (numbers and the community's residents' names
masked).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain.access import Action, Actor, Target
from community_governance.domain.actions import HIGHER_OFFICE
from community_governance.domain.council import FollowStatus
from community_governance.domain.party import (
    Suggestion,
    Symposium,
    SymposiumAction,
    SymposiumRole,
)
from community_governance.domain.posts import PartyOrgKind, PostKind
from community_governance.errors import ConflictError, InvalidTransition, NotFound, ValidationError
from community_governance.plugins import working_day_calendar
from community_governance.services.base import Operation, Service
from community_governance.storage.tables import core as t
from community_governance.storage.tables import party as pt

if TYPE_CHECKING:
    from community_governance.services.context import Context

__all__ = ["PARTY_MEETING", "SymposiaMixin", "community_names_in"]

#: Holding a 座谈会, recording its suggestions and their actions (the secretary, higher).
PARTY_MEETING = Action("party.meeting", roles=frozenset({PostKind.SECRETARY}) | HIGHER_OFFICE)


def community_names_in(op: Operation, community: str, text: str) -> list[str]:
    """The names of ``community``'s residents that occur in ``text`` (for redaction)."""
    from community_governance.services.affairs import AffairsService

    return AffairsService._names(None, op, community, text)  # type: ignore[arg-type]


def _open(day: dt.date) -> Any:
    m = t.party_memberships.c
    return sa.and_(m.start <= day, sa.or_(m.end.is_(None), m.end >= day))


class SymposiaMixin:
    """座谈会 of ``gov.party``."""

    _gov: Context
    _svc: Service

    def _community(self, op: Operation, community: str) -> None:
        if op.uow.conn.execute(sa.select(t.units.c.code).where(
                t.units.c.code == community, t.units.c.kind == "community")).first() is None:
            raise NotFound("community", community)

    def _check_attendees(self, op: Operation, community: str, day: dt.date,
                         attendees: Mapping[str, SymposiumRole]) -> None:
        """Each attendee is a party member of the community on ``day`` in the capacity given:
        a member of one of its grid branches or building groups (a group leader), or the
        holder of a 党员中心户 post in the community."""
        conn = op.uow.conn
        ids = sorted(attendees)
        m, o = t.party_memberships.c, t.party_orgs.c
        in_groups = set(conn.execute(
            sa.select(m.resident_id).distinct()
            .join(t.party_orgs, o.id == m.org_id)
            .outerjoin(t.units, t.units.c.code == o.unit_code)
            .outerjoin(t.buildings, t.buildings.c.code == o.unit_code)
            .where(m.resident_id.in_(ids), _open(day),
                   o.kind.in_([PartyOrgKind.GRID_BRANCH.value,
                               PartyOrgKind.BUILDING_GROUP.value]),
                   sa.or_(t.units.c.parent_code == community,
                          t.buildings.c.community_code == community))).scalars())
        p = t.posts.c
        centres = set(conn.execute(
            sa.select(p.holder_id).distinct()
            .outerjoin(t.buildings, t.buildings.c.code == p.unit_code)
            .outerjoin(t.units, t.units.c.code == p.unit_code)
            .where(p.holder_id.in_(ids), p.holder_kind == "resident",
                   p.kind == PostKind.PARTY_HOUSEHOLD_CENTRE.value, p.start <= day,
                   sa.or_(p.end.is_(None), p.end >= day),
                   sa.or_(t.buildings.c.community_code == community,
                          t.units.c.parent_code == community))).scalars())
        members = set(conn.execute(sa.select(m.resident_id).distinct().where(
            m.resident_id.in_(ids), _open(day))).scalars())
        for rid in ids:
            role = attendees[rid]
            path = f"attendees.{rid}"
            if rid not in members:
                raise ValidationError(
                    f"{rid} is not a party member on {day}: a 座谈会 of {community} gathers its "
                    "grid party group leaders and 党员中心户", path=path)
            if role is SymposiumRole.CENTRE_HOUSEHOLD and rid not in centres:
                raise ValidationError(
                    f"{rid} holds no 党员中心户 post in {community} on {day}: assign the post "
                    "first (registry.assign_posts), or record them as group_leader", path=path)
            if role is SymposiumRole.GROUP_LEADER and rid not in in_groups:
                raise ValidationError(
                    f"{rid} belongs to no grid branch or building group of {community} on "
                    f"{day}: a group leader attends for their 网格党支部 or 楼院党小组", path=path)

    def _action_rows(self, op: Operation, community: str, held_on: dt.date, symposium_id: str,
                     suggestions: Iterable[Suggestion],
                     attendees: set[str]) -> list[dict[str, Any]]:
        cal = working_day_calendar(self._gov.hooks, community[:6])
        rows = []
        for i, s in enumerate(suggestions):
            if s.raised_by is not None and s.raised_by not in attendees:
                raise ValidationError(f"suggestion {s.id}: {s.raised_by} did not attend "
                                      f"{symposium_id}", path=f"suggestions[{i}].raised_by")
            rows.append({"id": s.id, "symposium_id": symposium_id, "suggestion": s.text.strip(),
                         "raised_by": s.raised_by, "action": s.action.strip(),
                         "owner": s.owner.strip(), "working_days": s.working_days,
                         "due": cal.add_working_days(held_on, s.working_days),
                         "completed_on": None})
        return rows

    def _insert_actions(self, op: Operation, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        try:
            op.uow.conn.execute(pt.party_symposium_actions.insert(), rows)
        except IntegrityError:
            raise ConflictError("an action with one of these keys exists already: "
                                f"{sorted(r['id'] for r in rows)}") from None
        op.touched.extend(f"symposium_action:{r['id']}" for r in rows)

    def hold_symposium(self, actor: Actor, symposium_id: str, community: str, *, title: str,
                       held_on: dt.date, attendees: Mapping[str, SymposiumRole | str],
                       minutes: str, suggestions: Iterable[Suggestion] = ()) -> Symposium:
        """Record a 座谈会 held by the community's general committee: its attendees (each a
        party member of the community, as a grid party group leader or as a 党员中心户), its
        minutes, and the suggestions made, each followed to an action with an owner and a
        deadline in working days after the meeting (the place's calendar). One transaction.

        Raises:
            ValidationError: the day is after today, the minutes are empty, an attendee is not
                a member in the capacity given, a suggestion's author did not attend.
            ConflictError: a key exists already.
            CalendarYearMissing: a deadline runs into a year with no official calendar.
            PermissionDenied: the actor may not run the community's party meetings.
        """
        roles = {r: SymposiumRole(v) for r, v in attendees.items()}
        items = list(suggestions)
        if not title.strip():
            raise ValidationError("a 座谈会 has a title", path="title")
        if not minutes or not minutes.strip():
            raise ValidationError("a 座谈会 held has minutes (会议纪要)", path="minutes")
        if not roles:
            raise ValidationError("a 座谈会 has attendees", path="attendees")
        with self._svc._write(actor, "party.hold_symposium") as op:
            op.require(PARTY_MEETING, Target("party_org", community, unit_code=community))
            self._community(op, community)
            if held_on > op.today:
                raise ValidationError(
                    f"座谈会 {symposium_id} is on {held_on}, after today ({op.today}): it is "
                    "recorded once it has taken place", path="held_on")
            self._check_attendees(op, community, held_on, roles)
            rows = self._action_rows(op, community, held_on, symposium_id, items, set(roles))
            conn = op.uow.conn
            try:
                conn.execute(pt.party_symposia.insert().values(
                    id=symposium_id, community_code=community, title=title.strip(),
                    held_on=held_on, minutes=minutes.strip(), recorded_at=op.now))
            except IntegrityError:
                raise ConflictError(f"座谈会 {symposium_id} exists already") from None
            conn.execute(pt.party_symposium_attendance.insert(), [
                {"symposium_id": symposium_id, "resident_id": r, "role": v.value}
                for r, v in sorted(roles.items())])
            self._insert_actions(op, rows)
            op.touch("symposium", symposium_id)
            op.detail.update(attendees=len(roles), actions=len(rows))
            names = community_names_in(op, community, minutes)
            return self._symposium(op, conn.execute(sa.select(pt.party_symposia).where(
                pt.party_symposia.c.id == symposium_id)).one(), names)

    def add_symposium_actions(self, actor: Actor, symposium_id: str,
                              suggestions: Iterable[Suggestion]) -> int:
        """Follow more suggestions of a 座谈会 to actions (deadlines counted from its day).

        Raises:
            NotFound: no such 座谈会.
            ConflictError: a key exists already.
        """
        items = list(suggestions)
        with self._svc._write(actor, "party.add_symposium_actions") as op:
            s = self._symposium_row(op, symposium_id)
            op.require(PARTY_MEETING, Target("party_org", s.community_code,
                                             unit_code=s.community_code))
            present = set(op.uow.conn.execute(
                sa.select(pt.party_symposium_attendance.c.resident_id).where(
                    pt.party_symposium_attendance.c.symposium_id == symposium_id)).scalars())
            rows = self._action_rows(op, s.community_code, s.held_on, symposium_id, items,
                                     present)
            self._insert_actions(op, rows)
            return len(rows)

    def complete_symposium_action(self, actor: Actor, action_id: str, *,
                                  on: dt.date) -> SymposiumAction:
        """Record a 座谈会's action done (落实) on ``on``.

        Raises:
            NotFound: no such action.
            InvalidTransition: done already.
            ValidationError: ``on`` is before the meeting or after today.
        """
        return self.complete_symposium_actions(actor, {action_id: on})[0]

    def complete_symposium_actions(self, actor: Actor,
                                   done: Mapping[str, dt.date]) -> list[SymposiumAction]:
        """Record many actions done, ``{action: day}``, in one transaction (all or none).

        Raises:
            NotFound: no such action.
            InvalidTransition: one is done already.
            ValidationError: a day is before its meeting or after today.
        """
        a = pt.party_symposium_actions
        with self._svc._write(actor, "party.complete_symposium_actions") as op:
            rows = {r.id: r for r in op.uow.conn.execute(
                sa.select(a, pt.party_symposia.c.community_code, pt.party_symposia.c.held_on)
                .join(pt.party_symposia, pt.party_symposia.c.id == a.c.symposium_id)
                .where(a.c.id.in_(list(done))))}
            out = []
            for action_id, on in done.items():
                row = rows.get(action_id)
                if row is None:
                    raise NotFound("symposium action", action_id)
                op.require(PARTY_MEETING, Target("party_org", row.community_code,
                                                 unit_code=row.community_code))
                if row.completed_on is not None:
                    raise InvalidTransition(f"action {action_id} was done on "
                                            f"{row.completed_on} already")
                if on < row.held_on or on > op.today:
                    raise ValidationError(f"action {action_id} is done between the 座谈会 "
                                          f"({row.held_on}) and today ({op.today}), not {on}",
                                          path=f"done.{action_id}")
                op.uow.conn.execute(a.update().where(a.c.id == action_id)
                                    .values(completed_on=on))
                op.touch("symposium_action", action_id)
                out.append(SymposiumAction.on(
                    op.today, id=row.id, symposium_id=row.symposium_id,
                    suggestion=self._redacted(op, row.community_code, row.suggestion),
                    action=row.action, owner=row.owner, due=row.due, completed_on=on,
                    raised_by=row.raised_by))
            return out

    def _symposium_row(self, op: Operation, symposium_id: str) -> Any:
        row = op.uow.conn.execute(sa.select(pt.party_symposia).where(
            pt.party_symposia.c.id == symposium_id)).first()
        if row is None:
            raise NotFound("symposium", symposium_id)
        return row

    @staticmethod
    def _redacted(op: Operation, community: str, text: str) -> str:
        from community_governance.services.affairs import redact

        return redact(text, community_names_in(op, community, text))

    def _symposium(self, op: Operation, s: Any, names: list[str] | None = None) -> Symposium:
        from community_governance.services.affairs import redact

        conn = op.uow.conn
        att = conn.execute(sa.select(pt.party_symposium_attendance).where(
            pt.party_symposium_attendance.c.symposium_id == s.id).order_by(
            pt.party_symposium_attendance.c.resident_id)).all()
        a = pt.party_symposium_actions.c
        acts = conn.execute(sa.select(pt.party_symposium_actions).where(
            a.symposium_id == s.id).order_by(a.due, a.id)).all()
        if names is None:
            names = community_names_in(op, s.community_code, "\n".join(
                [s.minutes, *(x.suggestion for x in acts)]))
        return Symposium(
            s.id, s.community_code, s.title, s.held_on, redact(s.minutes, names),
            tuple((x.resident_id, SymposiumRole(x.role)) for x in att),
            tuple(SymposiumAction.on(op.today, id=x.id, symposium_id=s.id,
                                     suggestion=redact(x.suggestion, names), action=x.action,
                                     owner=x.owner, due=x.due, completed_on=x.completed_on,
                                     raised_by=x.raised_by) for x in acts))

    def symposia(self, actor: Actor, community: str, *, start: dt.date | None = None,
                 end: dt.date | None = None) -> list[Symposium]:
        """A community's 座谈会 by day, with attendees, redacted minutes and the actions with
        their status today. The attendees are party members: written to the access log.

        Raises:
            PermissionDenied: the actor may not read the community's members.
        """
        from community_governance.services.party import PARTY_MEMBER_READ

        s = pt.party_symposia.c
        with self._svc._read(actor, "party.symposia") as op:
            target = Target("party_org", community, unit_code=community)
            op.require(PARTY_MEMBER_READ, target)
            q = sa.select(pt.party_symposia).where(s.community_code == community)
            if start is not None:
                q = q.where(s.held_on >= start)
            if end is not None:
                q = q.where(s.held_on <= end)
            rows = op.uow.conn.execute(q.order_by(s.held_on, s.id)).all()
            out = [self._symposium(op, r) for r in rows]
            op.log_access(PARTY_MEMBER_READ, target, "座谈会 attendance")
        return out

    def symposium_actions(self, actor: Actor, community: str, *,
                          status: FollowStatus | str | None = None) -> list[SymposiumAction]:
        """The actions of a community's 座谈会, by deadline, with their status today
        (open, done, late); only those of ``status`` if given. Suggestions are redacted.

        Raises:
            PermissionDenied: the actor may not run the community's party meetings.
        """
        want = FollowStatus(status) if status is not None else None
        a = pt.party_symposium_actions.c
        with self._svc._read(actor, "party.symposium_actions") as op:
            op.require(PARTY_MEETING, Target("party_org", community, unit_code=community))
            rows = op.uow.conn.execute(
                sa.select(pt.party_symposium_actions)
                .join(pt.party_symposia, pt.party_symposia.c.id == a.symposium_id)
                .where(pt.party_symposia.c.community_code == community)
                .order_by(a.due, a.id)).all()
            names = community_names_in(op, community, "\n".join(r.suggestion for r in rows))
            from community_governance.services.affairs import redact

            out = [SymposiumAction.on(op.today, id=r.id, symposium_id=r.symposium_id,
                                      suggestion=redact(r.suggestion, names), action=r.action,
                                      owner=r.owner, due=r.due, completed_on=r.completed_on,
                                      raised_by=r.raised_by) for r in rows]
        return [x for x in out if want is None or x.status is want]
