"""Invitations to spend New Year, the Spring Festival and the Lantern Festival at the community
(邀请孤寡、独居老人到社区过节): the event, who is invited, the answers, who came, and coverage.

The event is a culture event of the community (``culture_events``: level community, kind
邻里活动, the festival named), so the culture reports count it; the invitations, answers and
attendance are rows of ``care_invitations``, one per resident and event. Who is invited comes
from ``cgov_care_invitation_categories`` (national: 孤寡老人 and 独居老人), among the residents
in care on the occasion's day (dated from ``calendars.lunar``; 元旦 is 1 January).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import pendulum
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain import actions as A
from community_governance.domain.access import Actor, Target
from community_governance.domain.care import (
    Invitation,
    Occasion,
    Rsvp,
    check_attendance,
    check_reply,
    occasion_day,
)
from community_governance.domain.culture import EventKind, EventLevel, EventStatus
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.plugins import expect_category_codes
from community_governance.services.base import Operation, among
from community_governance.services.care.common import (
    CARE_MANAGE,
    CARE_VISIT,
    CareBase,
    resident_place_query,
    target_of,
)
from community_governance.storage.repos.bulk import insert_rows
from community_governance.storage.tables import care as tc
from community_governance.storage.tables import core as t
from community_governance.storage.tables import culture as tcu

__all__ = ["InvitationCoverage", "InvitationRound", "InvitationsMixin", "Reply"]

_n = tc.care_needs
_i = tc.care_invitations
_ev = tcu.culture_events
#: Where the community receives its elders unless told otherwise.
DEFAULT_VENUE = "社区党群服务中心"


@attrs.frozen
class InvitationRound:
    """The invitations of one community for one occasion (节日邀请).

    Attributes:
        event_id: the community's event (a culture event).
        community_code: the community.
        occasion: 元旦, 春节 or 元宵节.
        year: the occasion's year.
        day: its county day.
        title: the event's title (published).
        invited: residents invited by this call.
        categories: the categories invited (``cgov_care_invitation_categories``), or empty
            when residents were named.
    """

    event_id: str
    community_code: str
    occasion: Occasion
    year: int
    day: dt.date
    title: str
    invited: int
    categories: tuple[str, ...] = ()


@attrs.frozen
class Reply:
    """A resident's answer to an invitation (答复).

    Attributes:
        resident_id: who.
        answer: ``yes`` or ``no``.
        at: when it was given (aware).
    """

    resident_id: str
    answer: Rsvp | str
    at: dt.datetime


@attrs.frozen
class InvitationCoverage:
    """How the invitations of a community for an occasion went (节日邀请覆盖).

    Attributes:
        event_id: the event.
        community_code: the community.
        occasion: the occasion.
        year: its year.
        day: its day.
        invited: residents invited.
        accepted: who said yes.
        declined: who said no.
        pending: who gave no answer.
        attended: who came.
    """

    event_id: str
    community_code: str
    occasion: str
    year: int
    day: dt.date
    invited: int
    accepted: int
    declined: int
    pending: int
    attended: int

    @property
    def rate(self) -> float:
        """``attended / invited`` (1.0 when nobody was invited)."""
        return self.attended / self.invited if self.invited else 1.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        d = attrs.asdict(self)
        d["day"] = self.day.isoformat()
        d["rate"] = round(self.rate, 4)
        return d


def _event_id(community: str, year: int, occasion: Occasion) -> str:
    return f"CI-{community}-{year}-{occasion.value}"


class InvitationsMixin(CareBase):
    """Holiday invitations: generate, answer, attend, report."""

    def invitation_categories(self, community: str, occasion: Occasion | str) -> list[str]:
        """The care categories ``community`` invites at ``occasion``
        (``cgov_care_invitation_categories``).

        Raises:
            PluginError: a plugin answered something other than category codes of the
                community.
        """
        occ = Occasion.parse(occasion) if isinstance(occasion, str) else occasion
        known = [c.code for c in self.categories(community)]
        return self._hooks.first("cgov_care_invitation_categories",
                                 expect_category_codes(known), place=community,
                                 occasion=occ.value, community_code=community)

    def invite(self, actor: Actor, community: str, occasion: Occasion | str, year: int, *,
               residents: Sequence[str] | None = None, venue: str = DEFAULT_VENUE,
               at: dt.datetime | None = None) -> InvitationRound:
        """Invite the community's residents in care to spend ``occasion`` at the community.

        Without ``residents``: the event is created (a culture event of the community, 邻里活动,
        on the occasion's day) and every resident in care on that day in a category of
        ``cgov_care_invitation_categories`` is invited; a second call for the same community,
        occasion and year is refused. With ``residents``: those named (in care on the day, in
        any category) are invited as well, creating the event if needed. One transaction.

        Args:
            at: when the invitations went out (default now; not in the future).

        Raises:
            ValidationError: an unknown occasion, a time in the future, a named resident not
                in care on the day or of another community.
            ConflictError: the invitations are sent already, or a named resident is invited.
            PermissionDenied: the actor may not manage care at the community.
        """
        occ = Occasion.parse(occasion) if isinstance(occasion, str) else occasion
        day = occasion_day(occ, year)
        cats = [] if residents is not None else self.invitation_categories(community, occ)
        if not venue or not venue.strip() or len(venue) > 200:
            raise ValidationError("the venue is 1 to 200 characters", path="venue")
        with self._write(actor, "care.invite") as op:
            op.require(CARE_MANAGE, Target("unit", community, unit_code=community))
            conn = op.uow.conn
            eid = _event_id(community, year, occ)
            unit = conn.execute(sa.select(t.units.c.kind, sa.exists().where(
                _ev.c.id == eid).label("held")).where(  # the event's too, in one read
                t.units.c.code == community)).first()
            if unit is None or unit.kind != "community":
                raise NotFound("community", community, "invitations are sent per community")
            when = pendulum.instance(at) if at is not None else op.now
            if when > op.now:
                raise ValidationError(f"invitations dated {when.isoformat()} lie in the future; "
                                      "give the time they went out", path="at")
            title = f"{year}年{occ.chinese}·邀请孤寡独居老人到社区过节"
            held = bool(unit.held)
            if residents is None:
                if held:
                    raise ConflictError(
                        f"the {year} {occ.chinese} invitations of {community} are sent already "
                        f"({eid}); invite more by naming them (cgov care invite ... "
                        "--resident)")
                targets = self._in_care_on(op, community, day, cats)
            else:
                targets = self._named(op, community, day, list(residents))
            if not held:
                try:
                    conn.execute(_ev.insert().values(
                        id=eid, title=title, level=EventLevel.COMMUNITY.value,
                        kind=EventKind.NEIGHBOURHOOD.value, unit_code=community, on=day,
                        attendance=0, festival=occ.chinese, venue=venue.strip(),
                        status=(EventStatus.HELD if day <= op.today
                                else EventStatus.PLANNED).value, recorded_at=op.now))
                except IntegrityError:
                    raise ConflictError(f"the {year} {occ.chinese} invitations of {community} "
                                        "are being sent by someone else; read them with cgov "
                                        "care report invitations") from None
            try:
                insert_rows(conn, _i, [{
                    "event_id": eid, "occasion": occ.value, "year": year,
                    "community_code": community, "resident_id": r, "day": day,
                    "invited_at": when, "rsvp": Rsvp.PENDING.value, "attended": False,
                    "recorded_by": str(op.actor)[:80]} for r in targets])
            except IntegrityError:
                raise ConflictError(f"a resident named is invited to {eid} already") from None
            op.touch("culture_event", eid)
            op.detail["invited"] = len(targets)
            return InvitationRound(eid, community, occ, year, day, title, len(targets),
                                   tuple(cats))

    def _in_care_on(self, op: Operation, community: str, day: dt.date,
                    categories: Sequence[str]) -> list[str]:
        """Residents of ``community`` in one of ``categories`` on ``day`` (not erased)."""
        return list(op.uow.conn.execute(
            sa.select(_n.c.resident_id).join(t.residents, t.residents.c.id == _n.c.resident_id)
            .where(_n.c.community_code == community, _n.c.category.in_(list(categories)),
                   t.residents.c.erased.is_(False), self._active(_n, day))
            .distinct().order_by(_n.c.resident_id)).scalars())

    def _named(self, op: Operation, community: str, day: dt.date,
               residents: list[str]) -> list[str]:
        """The named residents, checked: of ``community`` and in care on ``day``."""
        conn = op.uow.conn
        rows = {r.id: r for r in conn.execute(resident_place_query().where(
            among(conn, t.residents.c.id, list(residents))))}
        in_care = set(conn.execute(sa.select(_n.c.resident_id).where(
            _n.c.resident_id.in_(residents), _n.c.category != "",
            self._active(_n, day))).scalars())
        for i, rid in enumerate(residents):
            r = rows.get(rid)
            if r is None:
                raise NotFound("resident", rid, f"at residents[{i}]")
            if r.community_code != community:
                raise ValidationError(f"resident {rid} lives in {r.community_code}, not in "
                                      f"{community}: each community invites its own",
                                      path=f"residents[{i}]")
            if rid not in in_care or r.erased:
                raise ValidationError(
                    f"resident {rid} has no care need on {day}: the holiday invitations are "
                    "for residents in care; register the care need first (cgov care need add)",
                    path=f"residents[{i}]")
        return list(dict.fromkeys(residents))

    def _event(self, op: Operation, event_id: str) -> Any:
        """The event's row, if it has invitations (one statement)."""
        ev = op.uow.conn.execute(sa.select(_ev, sa.exists().where(
            _i.c.event_id == event_id).label("invites")).where(_ev.c.id == event_id)).first()
        if ev is None or not ev.invites:
            raise NotFound("holiday invitation event", event_id,
                           "send the invitations first (cgov care invite)")
        return ev

    def _invitations(self, op: Operation, event_id: str, ids: Sequence[str]) -> dict[str, Any]:
        """The invitations of ``event_id`` to the residents ``ids`` (an event invites a
        community's elders: reading all of its rows is cheaper than a long ``IN`` list)."""
        wanted = set(ids)
        return {r.resident_id: r for r in op.uow.conn.execute(sa.select(
            _i.c.resident_id, _i.c.invited_at, _i.c.attended).where(_i.c.event_id == event_id))
            if r.resident_id in wanted}

    def reply(self, actor: Actor, event_id: str, replies: Iterable[Reply]) -> int:
        """Record residents' answers to their invitations (答复), in one transaction.

        An answer is refused, and nothing written, for a resident not invited, in the
        future, before the invitation went out or after the event.

        Returns:
            The answers recorded.
        """
        items = list(replies)
        with self._write(actor, "care.reply") as op:
            ev = self._event(op, event_id)
            invited = self._invitations(op, event_id, [x.resident_id for x in items])
            places = {r.id: r for r in op.uow.conn.execute(resident_place_query().where(
                among(op.uow.conn, t.residents.c.id, sorted(invited))))} if invited else {}
            rows = []
            for i, x in enumerate(items):
                try:
                    answer = Rsvp(x.answer)
                except ValueError:
                    answer = Rsvp.PENDING
                if answer is Rsvp.PENDING:
                    raise ValidationError("an answer is yes or no", path=f"$[{i}].answer")
                if not isinstance(x.at, dt.datetime) or x.at.tzinfo is None:
                    raise ValidationError("an answer's time is timezone-aware",
                                          path=f"$[{i}].at")
                inv = invited.get(x.resident_id)
                try:
                    check_reply(resident_id=x.resident_id, event_id=event_id,
                                invited=inv is not None,
                                invited_at=inv.invited_at if inv is not None else x.at,
                                day=ev.on, at=x.at, at_day=pendulum.instance(x.at).in_timezone(
                                    self._gov.timezone).date(), now=op.now)
                except ValidationError as exc:
                    raise ValidationError(exc.reason, path=f"$[{i}].{exc.path}") from None
                op.require(CARE_VISIT, target_of(places[x.resident_id]))
                rows.append({"b_rid": x.resident_id, "b_rsvp": answer.value, "b_at": x.at})
            if rows:
                op.uow.conn.execute(_i.update().where(
                    _i.c.event_id == event_id, _i.c.resident_id == sa.bindparam("b_rid"))
                    .values(rsvp=sa.bindparam("b_rsvp"), rsvp_at=sa.bindparam("b_at")), rows)
            op.touch("culture_event", event_id)
            op.detail["replies"] = len(rows)
            return len(rows)

    def attend(self, actor: Actor, event_id: str, resident_ids: Iterable[str]) -> int:
        """Record who came to the event (出席), in one transaction; the event's attendance in
        the culture events is the number of invited residents who came.

        Refused, and nothing written, before the event's day, for a resident not invited, or
        not in care on the event's day. Recording a resident twice changes nothing.

        Returns:
            The residents newly recorded as having come.
        """
        ids = list(dict.fromkeys(resident_ids))
        with self._write(actor, "care.attend") as op:
            ev = self._event(op, event_id)
            conn = op.uow.conn
            invited = self._invitations(op, event_id, ids)
            in_care = set(conn.execute(sa.select(_n.c.resident_id).where(
                among(conn, _n.c.resident_id, ids), _n.c.category != "",
                self._active(_n, ev.on))).scalars()) if ids else set()
            places = {r.id: r for r in conn.execute(resident_place_query().where(
                among(op.uow.conn, t.residents.c.id, sorted(invited))))} if invited else {}
            for i, rid in enumerate(ids):
                try:
                    check_attendance(resident_id=rid, event_id=event_id,
                                     invited=rid in invited, in_care=rid in in_care,
                                     day=ev.on, today=op.today)
                except ValidationError as exc:
                    raise ValidationError(exc.reason, path=f"$[{i}].{exc.path}") from None
                op.require(CARE_VISIT, target_of(places[rid]))
            new = [rid for rid in ids if not invited[rid].attended]
            if new:
                conn.execute(_i.update().where(
                    _i.c.event_id == event_id, among(conn, _i.c.resident_id, new),
                    _i.c.attended.is_(False)).values(attended=True,
                                                     attendance_recorded_at=op.now))
            came = (sa.select(sa.func.count()).where(  # counted by the update itself
                _i.c.event_id == event_id, _i.c.attended.is_(True)).scalar_subquery())
            conn.execute(_ev.update().where(_ev.c.id == event_id).values(
                attendance=came, status=EventStatus.HELD.value))
            op.touch("culture_event", event_id)
            op.detail["attended"] = len(new)
            return len(new)

    def invitations(self, actor: Actor, event_id: str) -> list[Invitation]:
        """The invitations of an event, for those who visit (keys, answers, attendance);
        the read is access-logged, since it tells who is in care."""
        with self._read(actor, "care.invitations") as op:
            ev = self._event(op, event_id)
            target = Target("unit", ev.unit_code, unit_code=ev.unit_code)
            op.require(A.RESIDENT_READ_VULNERABILITY, target)
            op.log_access(A.RESIDENT_READ_VULNERABILITY, target, f"care invitations {event_id}")
            return [Invitation(r.id, r.event_id, Occasion(r.occasion), r.year, r.community_code,
                               r.resident_id, r.day, r.invited_at, Rsvp(r.rsvp), r.attended)
                    for r in op.uow.conn.execute(sa.select(_i).where(
                        _i.c.event_id == event_id).order_by(_i.c.resident_id))]

    def invitation_report(self, actor: Actor, *, community: str | None = None,
                          year: int | None = None) -> list[InvitationCoverage]:
        """Coverage of the holiday invitations: invited, accepted, declined, no answer and
        attended, per community and occasion (counts only), of the communities the actor
        may read reports of; by day."""
        with self._read(actor, "care.invitation_report") as op:
            if community:
                op.require(A.REPORT_READ, Target("unit", community, unit_code=community))
            q = (sa.select(_i.c.event_id, _i.c.community_code, _i.c.occasion, _i.c.year,
                           _i.c.day, _i.c.rsvp, _i.c.attended, sa.func.count().label("n"))
                 .group_by(_i.c.event_id, _i.c.community_code, _i.c.occasion, _i.c.year,
                           _i.c.day, _i.c.rsvp, _i.c.attended))
            if community:
                q = q.where(_i.c.community_code == community)
            if year is not None:
                q = q.where(_i.c.year == year)
            per: dict[str, dict[str, Any]] = {}
            for r in op.uow.conn.execute(q):
                e = per.setdefault(r.event_id, {"row": r, "n": Counter()})
                e["n"]["invited"] += r.n
                e["n"][r.rsvp] += r.n
                e["n"]["attended"] += r.n if r.attended else 0
            allowed: dict[str, bool] = {}
            out = []
            for eid, e in per.items():
                r, n = e["row"], e["n"]
                if r.community_code not in allowed:
                    allowed[r.community_code] = op.allowed(A.REPORT_READ, Target(
                        "unit", r.community_code, unit_code=r.community_code))
                if not allowed[r.community_code]:
                    continue
                out.append(InvitationCoverage(
                    eid, r.community_code, r.occasion, r.year, r.day, n["invited"],
                    n[Rsvp.YES.value], n[Rsvp.NO.value], n[Rsvp.PENDING.value], n["attended"]))
            return sorted(out, key=lambda c: (c.day, c.community_code))
