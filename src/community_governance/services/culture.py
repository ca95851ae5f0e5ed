"""Culture and sports groups (文体组织): the registry, members, events and their reports.

Reached as ``gov.culture``. Every public write is one transaction through ``Service._write``
(audited, permission-checked, all or nothing); the batch operations (``add_groups``,
``join_many``, ``leave_many``, ``record_events``) write a whole batch in one transaction, so
one bad item refuses the batch and writes nothing.

Groups, their venues, schedules and equipment, and events are public facts (文体活动公示);
who is a member, and who leads a group, is read by the community office and higher offices, or
by the resident themselves.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain import actions as A
from community_governance.domain.access import Action, Actor, ActorKind, Target
from community_governance.domain.culture import (
    ConversionReport,
    ConversionRow,
    CultureEvent,
    CultureGroup,
    EquipmentLine,
    EventKind,
    EventLevel,
    EventsRow,
    EventStatus,
    GroupKind,
    GroupsRow,
    Membership,
    ScheduleSlot,
    check_event,
    check_group,
    check_join,
    check_leave,
    converted,
    rate,
)
from community_governance.domain.units import UnitKind
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.services.base import Operation, Service
from community_governance.storage.repos.bulk import chunks, insert_rows
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import core as t
from community_governance.storage.tables import culture as tc
from community_governance.storage.tables import points as tp

__all__ = ["CULTURE_MEMBERS", "CULTURE_READ", "CULTURE_WRITE", "CultureService", "Join",
           "Leave"]

#: Register groups, set their equipment, record events: the community office and higher
#: offices, at the group's community or the event's organizing unit.
CULTURE_WRITE = Action("culture.write", roles=A.COMMUNITY_OFFICE | A.HIGHER_OFFICE)
#: Record a member joining or leaving: the community office and higher offices at the group's
#: community, or a resident for themselves.
CULTURE_MEMBERS = Action("culture.members", roles=A.COMMUNITY_OFFICE | A.HIGHER_OFFICE,
                         self_service=True)
#: Read who is a member and who leads a group (resident keys): the community office and
#: higher offices at the group's community; a resident their own memberships. (A grid or
#: building leader's scope is smaller than a group's community: they are not given the list.)
CULTURE_READ = Action("culture.read", roles=A.COMMUNITY_OFFICE | A.HIGHER_OFFICE,
                      self_service=True, personal=True)

#: The day the study counts events from (2017年以来).
SINCE_2017 = dt.date(2017, 1, 1)

_g, _eq, _m = tc.culture_groups, tc.culture_equipment, tc.culture_memberships
_ev, _eg = tc.culture_events, tc.culture_event_groups


@attrs.frozen
class Join:
    """A resident joining a group (input of :meth:`CultureService.join_many`).

    Attributes:
        group_id: the group.
        resident_id: who joins.
        joined_on: the county date they joined.
    """

    group_id: str
    resident_id: str
    joined_on: dt.date


@attrs.frozen
class Leave:
    """A member leaving a group (input of :meth:`CultureService.leave_many`).

    Attributes:
        group_id: the group.
        resident_id: who leaves.
        left_on: the county date they left.
    """

    group_id: str
    resident_id: str
    left_on: dt.date


def _schedule_json(slots: Sequence[ScheduleSlot]) -> str:
    return json.dumps([[s.weekday, s.start.strftime("%H:%M"), s.minutes] for s in slots])


def _schedule(text: str) -> tuple[ScheduleSlot, ...]:
    return tuple(ScheduleSlot(int(w), dt.time.fromisoformat(start), int(m))
                 for w, start, m in json.loads(text or "[]"))


def _group(r: Any, equipment: Sequence[EquipmentLine], *, leader: bool) -> CultureGroup:
    return CultureGroup(r.id, r.name, GroupKind(r.kind), r.community_code,
                        r.leader_id if leader else None, r.venue, tuple(equipment),
                        _schedule(r.schedule), r.founded)


def _membership(r: Any) -> Membership:
    return Membership(r.group_id, r.resident_id, r.joined_on, r.left_on)


def _event(r: Any, groups: Sequence[str]) -> CultureEvent:
    return CultureEvent(r.id, r.title, EventLevel(r.level), EventKind(r.kind), r.unit_code,
                        r.on, r.attendance, tuple(groups), r.festival, r.venue,
                        EventStatus(r.status))


def _equipment(conn: sa.Connection, ids: Sequence[str]) -> dict[str, list[EquipmentLine]]:
    out: dict[str, list[EquipmentLine]] = defaultdict(list)
    for c in chunks(sorted(set(ids))):
        for r in conn.execute(sa.select(_eq).where(_eq.c.group_id.in_(c))
                              .order_by(_eq.c.group_id, _eq.c.line)):
            out[r.group_id].append(EquipmentLine(r.item, r.quantity))
    return out


def _equipment_rows(group_id: str, lines: Sequence[EquipmentLine]) -> list[dict[str, Any]]:
    return [{"group_id": group_id, "item": e.item.strip(), "line": i + 1,
             "quantity": e.quantity} for i, e in enumerate(lines)]


def _residents(op: Operation, ids: Sequence[str]) -> dict[str, bool]:
    """Resident key → erased, for the residents that exist."""
    out: dict[str, bool] = {}
    for c in chunks(sorted(set(ids))):
        for rid, erased in op.uow.conn.execute(sa.select(t.residents.c.id, t.residents.c.erased)
                                               .where(t.residents.c.id.in_(c))):
            out[rid] = bool(erased)
    return out


def _require_residents(op: Operation, ids: Sequence[str], paths: Sequence[str]) -> None:
    known = _residents(op, ids)
    for rid, path in zip(ids, paths, strict=True):
        if rid not in known:
            raise NotFound("resident", rid, f"at {path}: register the resident first "
                                            "(gov.registry)")
        if known[rid]:
            raise ValidationError(f"resident {rid} was erased at their request and cannot "
                                  "join or lead a group", path=path)


def _group_rows(op: Operation, ids: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in chunks(sorted(set(ids))):
        for r in op.uow.conn.execute(sa.select(_g).where(_g.c.id.in_(c))):
            out[r.id] = r
    return out


def _unit_kinds(op: Operation, codes: Iterable[str]) -> dict[str, UnitKind]:
    out: dict[str, UnitKind] = {}
    for c in chunks(sorted(set(codes))):
        for code, kind in op.uow.conn.execute(sa.select(t.units.c.code, t.units.c.kind)
                                              .where(t.units.c.code.in_(c))):
            out[code] = UnitKind(kind)
    return out


class CultureService(Service):
    """Culture and sports groups (文体组织), members and events. Reached as ``gov.culture``."""

    # ------------------------------------------------------------------ groups

    def add_group(self, actor: Actor, group: CultureGroup) -> CultureGroup:
        """Register a culture or sports group (文体组织登记) in its community.

        Raises:
            ValidationError: the group breaks a rule of :func:`~community_governance.domain.
                culture.check_group`, or its leader was erased.
            NotFound: no such community or leader.
            ConflictError: the key is taken.
            PermissionDenied: the actor may not register groups in the community.
        """
        return self.add_groups(actor, [group])[0]

    def add_groups(self, actor: Actor, groups: Iterable[CultureGroup]) -> list[CultureGroup]:
        """Register many groups in one transaction (one bad group writes none)."""
        batch = list(groups)
        for i, grp in enumerate(batch):
            check_group(grp, path=f"$[{i}]")
        ids = [grp.id for grp in batch]
        if len(set(ids)) != len(ids):
            dup = next(k for k in ids if ids.count(k) > 1)
            raise ConflictError(f"group key {dup!r} appears twice in the input")
        with self._write(actor, "culture.add_groups") as op:
            kinds = _unit_kinds(op, [grp.community_code for grp in batch])
            for i, grp in enumerate(batch):
                if kinds.get(grp.community_code) is not UnitKind.COMMUNITY:
                    raise NotFound("community", grp.community_code,
                                   f"at $[{i}].community_code: a group belongs to a community")
                op.require(CULTURE_WRITE, Target("culture_group", grp.id,
                                                 unit_code=grp.community_code))
            leaders = [(grp.leader_id, f"$[{i}].leader_id") for i, grp in enumerate(batch)
                       if grp.leader_id is not None]
            _require_residents(op, [r for r, _ in leaders], [p for _, p in leaders])
            taken = _group_rows(op, ids)
            if taken:
                raise ConflictError(f"culture group {sorted(taken)[0]!r} exists already: "
                                    "choose another key")
            rows = [{"id": grp.id, "name": grp.name.strip(), "kind": grp.kind.value,
                     "community_code": grp.community_code, "leader_id": grp.leader_id,
                     "venue": grp.venue.strip(), "schedule": _schedule_json(grp.schedule),
                     "founded": grp.founded, "created_at": op.now} for grp in batch]
            try:
                if rows:
                    insert_rows(op.uow.conn, _g, rows)
                eq = [r for grp in batch for r in _equipment_rows(grp.id, grp.equipment)]
                if eq:
                    insert_rows(op.uow.conn, _eq, eq)
            except IntegrityError:
                raise ConflictError("a culture group key was taken concurrently; retry") \
                    from None
            op.touched.extend(f"culture_group:{k}" for k in ids)
            return [attrs.evolve(grp, name=grp.name.strip(), venue=grp.venue.strip())
                    for grp in batch]

    def set_equipment(self, actor: Actor, group_id: str,
                      lines: Sequence[EquipmentLine]) -> CultureGroup:
        """Replace a group's equipment inventory (设施清单) with ``lines``.

        Raises:
            NotFound: no such group.
            ValidationError: a line without an item, under 1, or an item listed twice.
        """
        with self._write(actor, "culture.set_equipment") as op:
            row = _group_rows(op, [group_id]).get(group_id)
            if row is None:
                raise NotFound("culture group", group_id)
            op.require(CULTURE_WRITE, Target("culture_group", group_id,
                                             unit_code=row.community_code))
            current = _group(row, (), leader=True)
            new = attrs.evolve(current, equipment=tuple(lines))
            check_group(new)
            op.uow.conn.execute(_eq.delete().where(_eq.c.group_id == group_id))
            if lines:
                insert_rows(op.uow.conn, _eq, _equipment_rows(group_id, lines))
            op.touch("culture_group", group_id)
            op.detail["equipment"] = {e.item: e.quantity for e in lines}
            return attrs.evolve(new, leader_id=None)

    def group(self, group_id: str, actor: Actor | None = None) -> CultureGroup:
        """A group (public facts; its leader only for an actor who may read members)."""
        found = self.groups(actor, ids=[group_id])
        if not found:
            raise NotFound("culture group", group_id)
        return found[0]

    def groups(self, actor: Actor | None = None, *, community: str | None = None,
               kind: GroupKind | None = None, ids: Sequence[str] | None = None,
               ) -> list[CultureGroup]:
        """Groups by community and key: name, kind, venue, schedule, equipment (public).

        The leader (a resident key) is given only to an ``actor`` who may read the members
        of the group's community (:data:`CULTURE_READ`); otherwise ``leader_id`` is ``None``.
        """
        who = actor or Actor.public()
        with self._read(who, "culture.groups") as op:
            q = sa.select(_g).order_by(_g.c.community_code, _g.c.id)
            if community is not None:
                q = q.where(_g.c.community_code.startswith(community, autoescape=True))
            if kind is not None:
                q = q.where(_g.c.kind == GroupKind(kind).value)
            if ids is not None:
                q = q.where(_g.c.id.in_(list(ids)))
            rows = list(op.uow.conn.execute(q))
            eq = _equipment(op.uow.conn, [r.id for r in rows])
            lead = {}
            if who.kind not in (ActorKind.PUBLIC,):
                lead = {c: op.allowed(CULTURE_READ, Target("culture_group", c, unit_code=c))
                        for c in {r.community_code for r in rows}}
            return [_group(r, eq.get(r.id, ()), leader=lead.get(r.community_code, False))
                    for r in rows]

    # ------------------------------------------------------------------ members

    def join(self, actor: Actor, group_id: str, resident_id: str, *,
             on: dt.date) -> Membership:
        """Record that ``resident_id`` joined ``group_id`` on ``on`` (入队).

        Raises:
            NotFound: no such group or resident.
            ConflictError: the resident is a member of the group already.
            ValidationError: ``on`` is after today or before the day they last left it, or
                the resident was erased.
            PermissionDenied: the actor may not record members of the group's community.
        """
        return self.join_many(actor, [Join(group_id, resident_id, on)])[0]

    def join_many(self, actor: Actor, joins: Iterable[Join]) -> list[Membership]:
        """Record many joins in one transaction (one bad join writes none)."""
        batch = list(joins)
        with self._write(actor, "culture.join") as op:
            groups = _group_rows(op, [j.group_id for j in batch])
            for i, j in enumerate(batch):
                if j.group_id not in groups:
                    raise NotFound("culture group", j.group_id, f"at $[{i}].group_id")
            _require_residents(op, [j.resident_id for j in batch],
                               [f"$[{i}].resident_id" for i in range(len(batch))])
            history: dict[tuple[str, str], list[Membership]] = defaultdict(list)
            wanted = {(j.group_id, j.resident_id) for j in batch}
            for c in chunks(sorted({j.group_id for j in batch})):
                for r in op.uow.conn.execute(sa.select(_m).where(_m.c.group_id.in_(c))):
                    if (r.group_id, r.resident_id) in wanted:
                        history[(r.group_id, r.resident_id)].append(_membership(r))
            out: list[Membership] = []
            for i, j in enumerate(batch):
                community = groups[j.group_id].community_code
                op.require(CULTURE_MEMBERS, Target("culture_membership",
                                                   f"{j.group_id}:{j.resident_id}",
                                                   unit_code=community, owner_id=j.resident_id))
                past = history[(j.group_id, j.resident_id)]
                check_join(past, j.resident_id, j.group_id, j.joined_on, op.today,
                           path=f"$[{i}]")
                m = Membership(j.group_id, j.resident_id, j.joined_on)
                past.append(m)
                out.append(m)
            try:
                if out:
                    insert_rows(op.uow.conn, _m, [
                        {"group_id": m.group_id, "resident_id": m.resident_id,
                         "joined_on": m.joined_on, "left_on": None} for m in out])
            except IntegrityError:
                raise ConflictError("a member was recorded concurrently in one of these "
                                    "groups; retry") from None
            op.touched.extend(f"culture_member:{m.group_id}:{m.resident_id}" for m in out)
            return out

    def leave(self, actor: Actor, group_id: str, resident_id: str, *,
              on: dt.date) -> Membership:
        """Record that a member left a group on ``on`` (退出).

        Raises:
            ConflictError: the resident is not a member of the group now.
            ValidationError: ``on`` is before the day they joined, or after today.
            NotFound: no such group.
        """
        return self.leave_many(actor, [Leave(group_id, resident_id, on)])[0]

    def leave_many(self, actor: Actor, leaves: Iterable[Leave]) -> list[Membership]:
        """Record many members leaving in one transaction (one bad item writes none)."""
        batch = list(leaves)
        with self._write(actor, "culture.leave") as op:
            groups = _group_rows(op, [x.group_id for x in batch])
            wanted = {(x.group_id, x.resident_id) for x in batch}
            open_rows: dict[tuple[str, str], Any] = {}
            for c in chunks(sorted(groups)):
                for r in op.uow.conn.execute(sa.select(_m).where(_m.c.group_id.in_(c),
                                                                 _m.c.left_on.is_(None))):
                    if (r.group_id, r.resident_id) in wanted:
                        open_rows[(r.group_id, r.resident_id)] = r
            out: list[Membership] = []
            updates: list[dict[str, Any]] = []
            for i, x in enumerate(batch):
                row = groups.get(x.group_id)
                if row is None:
                    raise NotFound("culture group", x.group_id, f"at $[{i}].group_id")
                op.require(CULTURE_MEMBERS, Target("culture_membership",
                                                   f"{x.group_id}:{x.resident_id}",
                                                   unit_code=row.community_code,
                                                   owner_id=x.resident_id))
                found = open_rows.pop((x.group_id, x.resident_id), None)
                ended = check_leave(None if found is None else _membership(found),
                                    x.resident_id, x.group_id, x.left_on, op.today,
                                    path=f"$[{i}]")
                assert found is not None
                updates.append({"m_id": found.id, "m_left": x.left_on})
                out.append(ended)
            if updates:
                op.uow.conn.execute(_m.update().where(_m.c.id == sa.bindparam("m_id"))
                                    .values(left_on=sa.bindparam("m_left")), updates)
            op.touched.extend(f"culture_member:{m.group_id}:{m.resident_id}" for m in out)
            return out

    def members(self, actor: Actor, group_id: str, *, on: dt.date | None = None,
                include_left: bool = False) -> list[Membership]:
        """The members of a group: open memberships, or those active ``on`` a day, or every
        membership with ``include_left``; by join date and resident.

        Raises:
            NotFound: no such group, or the actor may not read its members.
        """
        with self._read(actor, "culture.members") as op:
            row = _group_rows(op, [group_id]).get(group_id)
            if row is None or not op.visible(CULTURE_READ, Target(
                    "culture_group", group_id, unit_code=row.community_code)):
                raise NotFound("culture group", group_id, "or outside your scope")
            q = sa.select(_m).where(_m.c.group_id == group_id).order_by(
                _m.c.joined_on, _m.c.resident_id, _m.c.id)
            if on is not None:
                q = q.where(_m.c.joined_on <= on,
                            sa.or_(_m.c.left_on.is_(None), _m.c.left_on > on))
            elif not include_left:
                q = q.where(_m.c.left_on.is_(None))
            return [_membership(r) for r in op.uow.conn.execute(q)]

    def memberships_of(self, actor: Actor, resident_id: str) -> list[Membership]:
        """Every group membership of a resident that the actor may read, oldest first."""
        with self._read(actor, "culture.memberships_of") as op:
            q = (sa.select(_m).join(_g, _g.c.id == _m.c.group_id)
                 .where(_m.c.resident_id == resident_id,
                        scope_clause(op.scope(CULTURE_READ), unit=_g.c.community_code,
                                     resident=_m.c.resident_id))
                 .order_by(_m.c.joined_on, _m.c.group_id, _m.c.id))
            return [_membership(r) for r in op.uow.conn.execute(q)]

    # ------------------------------------------------------------------ events

    def record_event(self, actor: Actor, event: CultureEvent) -> CultureEvent:
        """Record an event at its level (社区 / 街道 / 市), held or planned.

        Raises:
            ValidationError: a held event in the future, a planned one in the past, a level
                that does not match the organizing unit, a group outside it, bad attendance.
            ConflictError: the key is taken.
            PermissionDenied: the actor may not record events of the organizing unit.
        """
        return self.record_events(actor, [event])[0]

    def record_events(self, actor: Actor, events: Iterable[CultureEvent]) -> list[CultureEvent]:
        """Record many events in one transaction (one bad event writes none)."""
        batch = list(events)
        ids = [e.id for e in batch]
        if len(set(ids)) != len(ids):
            dup = next(k for k in ids if ids.count(k) > 1)
            raise ConflictError(f"event key {dup!r} appears twice in the input")
        with self._write(actor, "culture.record_events") as op:
            kinds = _unit_kinds(op, [e.unit_code for e in batch])
            groups = _group_rows(op, [g for e in batch for g in e.group_ids])
            communities = {k: r.community_code for k, r in groups.items()}
            for i, e in enumerate(batch):
                check_event(e, op.today, kinds.get(e.unit_code), communities, path=f"$[{i}]")
                op.require(CULTURE_WRITE, Target("culture_event", e.id, unit_code=e.unit_code))
            taken = [k for c in chunks(sorted(ids)) for k in op.uow.conn.execute(
                sa.select(_ev.c.id).where(_ev.c.id.in_(c))).scalars()]
            if taken:
                raise ConflictError(f"culture event {taken[0]!r} exists already: choose "
                                    "another key")
            out = [attrs.evolve(e, title=e.title.strip(), venue=e.venue.strip(),
                                festival=e.festival.strip()) for e in batch]
            try:
                if out:
                    insert_rows(op.uow.conn, _ev, [
                        {"id": e.id, "title": e.title, "level": e.level.value,
                         "kind": e.kind.value, "unit_code": e.unit_code, "on": e.on,
                         "attendance": e.attendance, "festival": e.festival, "venue": e.venue,
                         "status": e.status.value, "recorded_at": op.now} for e in out])
                links = [{"event_id": e.id, "group_id": g} for e in out for g in e.group_ids]
                if links:
                    insert_rows(op.uow.conn, _eg, links)
            except IntegrityError:
                raise ConflictError("a culture event key was taken concurrently; retry") \
                    from None
            op.touched.extend(f"culture_event:{k}" for k in ids)
            return out

    def mark_held(self, actor: Actor, event_id: str, *, attendance: int) -> CultureEvent:
        """Record that a planned event was held, with its attendance.

        Raises:
            NotFound: no such event.
            ConflictError: the event was recorded as held already.
            ValidationError: the event's day is after today, or attendance is negative.
        """
        with self._write(actor, "culture.mark_held") as op:
            found = self._events(op.uow.conn, sa.select(_ev).where(_ev.c.id == event_id))
            if not found:
                raise NotFound("culture event", event_id)
            e = found[0]
            op.require(CULTURE_WRITE, Target("culture_event", e.id, unit_code=e.unit_code))
            if e.status is EventStatus.HELD:
                raise ConflictError(f"event {event_id} was recorded as held already (on "
                                    f"{e.on}, attendance {e.attendance})")
            held = attrs.evolve(e, status=EventStatus.HELD, attendance=attendance)
            kinds = _unit_kinds(op, [e.unit_code])
            groups = _group_rows(op, e.group_ids)
            check_event(held, op.today, kinds.get(e.unit_code),
                        {k: r.community_code for k, r in groups.items()})
            op.uow.conn.execute(_ev.update().where(_ev.c.id == event_id).values(
                status=EventStatus.HELD.value, attendance=attendance))
            op.touch("culture_event", event_id)
            return held

    @staticmethod
    def _events(conn: sa.Connection, q: sa.Select[Any]) -> list[CultureEvent]:
        rows = list(conn.execute(q))
        links: dict[str, list[str]] = defaultdict(list)
        for c in chunks([r.id for r in rows]):
            for eid, gid in conn.execute(sa.select(_eg.c.event_id, _eg.c.group_id)
                                         .where(_eg.c.event_id.in_(c))
                                         .order_by(_eg.c.event_id, _eg.c.group_id)):
                links[eid].append(gid)
        return [_event(r, links.get(r.id, ())) for r in rows]

    def events(self, *, level: EventLevel | None = None, kind: EventKind | None = None,
               unit: str | None = None, since: dt.date | None = None,
               until: dt.date | None = None, status: EventStatus | None = None,
               ) -> list[CultureEvent]:
        """Events (public notices), by date and key; ``unit``: organized within that unit
        (its code and the codes below it); ``since``/``until``: days included."""
        q = sa.select(_ev).order_by(_ev.c.on, _ev.c.id)
        if level is not None:
            q = q.where(_ev.c.level == EventLevel(level).value)
        if kind is not None:
            q = q.where(_ev.c.kind == EventKind(kind).value)
        if unit is not None:
            q = q.where(_ev.c.unit_code.startswith(unit, autoescape=True))
        if since is not None:
            q = q.where(_ev.c.on >= since)
        if until is not None:
            q = q.where(_ev.c.on <= until)
        if status is not None:
            q = q.where(_ev.c.status == EventStatus(status).value)
        with self._gov.store.unit_of_work(write=False) as uow:
            return self._events(uow.conn, q)

    # ------------------------------------------------------------------ reports

    def group_report(self, actor: Actor, *, on: dt.date | None = None,
                     community: str | None = None) -> list[GroupsRow]:
        """Groups and members per community and kind, members counted on ``on`` (default:
        today), for the communities the actor may report on."""
        with self._read(actor, "culture.group_report") as op:
            day = on or op.today
            scope = scope_clause(op.scope(A.REPORT_READ), unit=_g.c.community_code)
            gq = (sa.select(_g.c.community_code, _g.c.kind, sa.func.count())
                  .where(scope).group_by(_g.c.community_code, _g.c.kind))
            mq = (sa.select(_g.c.community_code, _g.c.kind, sa.func.count(),
                            sa.func.count(sa.distinct(_m.c.resident_id)))
                  .select_from(_m.join(_g, _g.c.id == _m.c.group_id))
                  .where(scope, _m.c.joined_on <= day,
                         sa.or_(_m.c.left_on.is_(None), _m.c.left_on > day))
                  .group_by(_g.c.community_code, _g.c.kind))
            if community is not None:
                gq = gq.where(_g.c.community_code.startswith(community, autoescape=True))
                mq = mq.where(_g.c.community_code.startswith(community, autoescape=True))
            members = {(c, k): (int(n), int(d)) for c, k, n, d in op.uow.conn.execute(mq)}
            return [GroupsRow(c, GroupKind(k), int(n), *members.get((c, k), (0, 0)))
                    for c, k, n in sorted(op.uow.conn.execute(gq))]

    def event_report(self, *, since: dt.date = SINCE_2017, until: dt.date | None = None,
                     unit: str | None = None) -> list[EventsRow]:
        """Events held per year, level and kind from ``since`` (default 2017-01-01, as the
        study counts) to ``until``, optionally organized within ``unit`` (events are public).
        """
        year = sa.extract("year", _ev.c.on)
        q = (sa.select(year, _ev.c.level, _ev.c.kind, sa.func.count(),
                       sa.func.sum(_ev.c.attendance))
             .where(_ev.c.status == EventStatus.HELD.value, _ev.c.on >= since)
             .group_by(year, _ev.c.level, _ev.c.kind))
        if until is not None:
            q = q.where(_ev.c.on <= until)
        if unit is not None:
            q = q.where(_ev.c.unit_code.startswith(unit, autoescape=True))
        levels = list(EventLevel)
        kinds = list(EventKind)
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = [EventsRow(int(y), EventLevel(lv), EventKind(k), int(n), int(a or 0))
                    for y, lv, k, n, a in uow.conn.execute(q)]
        return sorted(rows, key=lambda r: (r.year, levels.index(r.level), kinds.index(r.kind)))

    def conversion_report(self, actor: Actor, *,
                          community: str | None = None) -> ConversionReport:
        """Members who went on to volunteer (成员转化为志愿者), per group, community and in all.

        A member converted when they registered as a volunteer (``gov.volunteers``) on or after
        the day they joined the group (for a community or the total: their first join there).
        Counts every member who ever joined, left or not.
        """
        vo = tp.volunteers
        with self._read(actor, "culture.conversion_report") as op:
            q = (sa.select(_g.c.id, _g.c.name, _g.c.community_code, _m.c.resident_id,
                           _m.c.joined_on, vo.c.registered_on,
                           vo.c.resident_id.label("volunteer"))
                 .select_from(_m.join(_g, _g.c.id == _m.c.group_id)
                              .outerjoin(vo, vo.c.resident_id == _m.c.resident_id))
                 .where(scope_clause(op.scope(A.REPORT_READ), unit=_g.c.community_code)))
            if community is not None:
                q = q.where(_g.c.community_code.startswith(community, autoescape=True))
            names: dict[str, tuple[str, str]] = {}
            per: dict[tuple[str, str], dict[str, dt.date]] = defaultdict(dict)
            reg: dict[str, dt.date | None] = {}
            volunteers: set[str] = set()
            for gid, name, code, rid, joined, registered, vol in op.uow.conn.execute(q):
                names[gid] = (name, code)
                if vol is not None:
                    volunteers.add(rid)
                    reg[rid] = registered
                for key in (("group", gid), ("community", code), ("total", "")):
                    seen = per[key]
                    if rid not in seen or joined < seen[rid]:
                        seen[rid] = joined

            def row(key: str, name: str, code: str, joins: dict[str, dt.date]) -> ConversionRow:
                n = len(joins)
                v = sum(1 for r in joins if r in volunteers)
                c = sum(1 for r, d in joins.items() if r in volunteers and converted(d, reg[r]))
                return ConversionRow(key, name, code, n, v, c, rate(c, n))

            groups = tuple(row(g, *names[g], per[("group", g)]) for g in sorted(names))
            codes = sorted({code for _, code in names.values()})
            comms = tuple(row(c, "", c, per[("community", c)]) for c in codes)
            total = row("total", "", community or "", per[("total", "")])
            return ConversionReport(groups, comms, total)
