"""Volunteers (志愿者): recruitment and registration, organizations, training, activities,
sign-up and attendance (服务记录), and the participation report.

Recording attendance scores every attendee through the ``cgov_points_standard``,
``cgov_points_bonus`` and ``cgov_points_daily_cap`` hooks, then writes each attendee's service
record and journal entry (key ``attend:<activity>:<resident>``) in one transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain import actions as A
from community_governance.domain.access import Action, Actor, Target
from community_governance.domain.pii_text import mask_personal_numbers
from community_governance.domain.points import EntryKind, month_of, request_fingerprint
from community_governance.domain.posts import PostKind as P
from community_governance.domain.volunteers import (
    Activity,
    ActivitySpec,
    Attendance,
    AttendanceResult,
    ParticipationReport,
    Training,
    Volunteer,
    VolunteerOrg,
)
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.plugins import expect_int
from community_governance.services.base import Operation, Service
from community_governance.services.points import (
    EntryItem,
    ResidentRef,
    monthly_points,
    post_entries,
    resolve_resident,
)
from community_governance.storage.repos.bulk import bulk_insert, chunks, insert_rows
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import core as t
from community_governance.storage.tables import points as tp

__all__ = [
    "ACTIVITY_SIGN_UP",
    "ACTIVITY_WRITE",
    "VOLUNTEER_READ",
    "VOLUNTEER_WRITE",
    "NewVolunteer",
    "VolunteersService",
]

#: Register volunteers, record training: the community office, higher offices, grid leaders;
#: a resident may register themselves (self-service).
VOLUNTEER_WRITE = Action(
    "volunteer.write", roles=A.COMMUNITY_OFFICE | A.HIGHER_OFFICE | frozenset({P.GRID_LEADER}),
    self_service=True)
#: Read volunteer records and service records.
VOLUNTEER_READ = Action(
    "volunteer.read", roles=A.COMMUNITY_OFFICE | A.HIGHER_OFFICE | A.LOCAL_POSTS,
    self_service=True, personal=True)
#: Create activities, record attendance, manage organizations: the community office and
#: higher offices at a community; a grid leader for activities of the grid.
ACTIVITY_WRITE = Action(
    "activity.write", roles=A.COMMUNITY_OFFICE | A.HIGHER_OFFICE | frozenset({P.GRID_LEADER}))
#: Sign up for an activity: a resident for themselves, or the posts near them.
ACTIVITY_SIGN_UP = Action(
    "activity.sign_up", roles=A.COMMUNITY_OFFICE | A.LOCAL_POSTS, self_service=True)

_ac = tp.activities
_at = tp.activity_attendance
_vo = tp.volunteers
_IDS: sa.BindParameter[Any] = sa.bindparam("ids", expanding=True)
_VOLUNTEERS_Q = sa.select(_vo.c.resident_id).where(_vo.c.resident_id.in_(_IDS))
_ACTIVITY_Q = sa.select(_ac).where(_ac.c.id == sa.bindparam("id"))
#: who is recorded at an activity (a prefix of the primary key: no list of keys to bind)
_ATTENDED_Q = sa.select(_at.c.resident_id).where(_at.c.activity_id == sa.bindparam("a"))
_EARNED_ON_DAY_Q = (sa.select(_at.c.resident_id, sa.func.sum(_at.c.points))
                    .where(_at.c.day == sa.bindparam("day", type_=_at.c.day.type),
                           _at.c.resident_id.in_(_IDS))
                    .group_by(_at.c.resident_id))


class NewVolunteer:
    """A resident to register as a volunteer (input of :meth:`VolunteersService.register_many`).

    Args:
        resident_id: the resident.
        skills: skills (特长).
        availability: when they can serve.
    """

    __slots__ = ("availability", "resident_id", "skills")

    def __init__(self, resident_id: str, skills: Sequence[str] = (),
                 availability: str = "") -> None:
        self.resident_id = resident_id
        self.skills = tuple(skills)
        self.availability = availability


def _activity(r: Any) -> Activity:
    # activities are listed in public: their text is checked at write and masked here (old rows)
    m = mask_personal_numbers
    return Activity(r.id, m(r.title), r.unit_code, r.community_code, r.category, m(r.place),
                    r.start, r.end, r.capacity, r.org_id, m(r.organiser), r.signed_up)


def _volunteer(r: Any) -> Volunteer:
    m = mask_personal_numbers
    return Volunteer(r.resident_id, r.community_code,
                     tuple(m(s) for s in r.skills.split(",") if s), m(r.availability),
                     r.registered_on)


# The attendance path's look-ups, built once with expanding parameters: a statement built per
# call (``in_`` of a fresh list) costs more to coerce and key for the cache than to run.
_RESIDENTS_Q = (
    sa.select(t.residents.c.id, t.residents.c.erased, t.households.c.building_code,
              t.buildings.c.grid_code)
    .select_from(t.residents.outerjoin(
        t.households, t.households.c.id == t.residents.c.household_id)
        .outerjoin(t.buildings, t.buildings.c.code == t.households.c.building_code))
    .where(t.residents.c.id.in_(sa.bindparam("ids", expanding=True))))


#: An activity's key and its attendees as ``(resident key, minutes or None)``.
_Session = tuple[str, list[tuple[str, int | None]]]


def _attendees(attendees: Iterable[str | tuple[str, int]],
               path: str) -> list[tuple[str, int | None]]:
    """The attendees as ``(resident key, minutes or None)``, their minutes checked."""
    batch: list[tuple[str, int | None]] = []
    for i, a in enumerate(attendees):
        if isinstance(a, str):
            batch.append((a, None))
        else:
            rid, minutes = a
            if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
                raise ValidationError(f"minutes must be a whole number >= 0, got {minutes!r}",
                                      path=f"{path}[{i}]")
            batch.append((rid, minutes))
    return batch


def _residents(op: Operation, ids: Sequence[str]) -> dict[str, ResidentRef]:
    """Resolve many residents in few queries."""
    out: dict[str, ResidentRef] = {}
    for chunk in chunks(sorted(set(ids))):
        for r in op.uow.conn.execute(_RESIDENTS_Q, {"ids": chunk}):
            out[r.id] = ResidentRef(r.id, r.building_code, r.grid_code, bool(r.erased))
    return out


class _Deferred:
    """The attendance of a batch's sessions, gathered by ``_attend`` and written together by
    ``_write_sessions``: the journal entries to post (in order), per session its records
    (``entry_id`` filled in at the write), the keys of its entries and who was recorded before;
    who each session recorded, per activity, and the points each resident was given per day
    (what the written records would tell the later sessions)."""

    __slots__ = ("earned", "items", "recorded", "sessions")

    def __init__(self) -> None:
        self.items: list[EntryItem] = []
        self.sessions: list[tuple[str, list[dict[str, Any]], list[str], tuple[str, ...]]] = []
        self.recorded: dict[str, set[str]] = {}
        self.earned: dict[tuple[str, dt.date], int] = {}


class _Sessions:
    """What the sessions of one attendance batch read, read once for the batch: the
    activities, who each has recorded already, and (when a daily cap asks, the first time)
    the points each attendee earned on each session's day. Nothing of it changes while the
    batch is gathered: the batch writes after (``_write_sessions``), and what it gathered
    before a session is counted by ``_Deferred``."""

    __slots__ = ("activities", "attended", "earned", "sessions")

    def __init__(self, conn: sa.Connection, sessions: list[_Session]) -> None:
        self.sessions = sessions
        ids = sorted({a for a, _ in sessions})
        self.activities: dict[str, Any] = {}
        self.attended: dict[str, set[str]] = {}
        for part in chunks(ids):
            self.activities.update({r.id: r for r in conn.execute(
                sa.select(_ac).where(_ac.c.id.in_(part)))})
            for aid, rid in conn.execute(sa.select(_at.c.activity_id, _at.c.resident_id)
                                         .where(_at.c.activity_id.in_(part))):
                self.attended.setdefault(aid, set()).add(rid)
        self.earned: dict[tuple[str, dt.date], int] | None = None

    def earned_on(self, conn: sa.Connection, tz: Any, rid: str, day: dt.date) -> int:
        """Points ``rid`` earned on ``day`` before the batch (``_EARNED_ON_DAY_Q``)."""
        if self.earned is None:
            self.earned = {}
            days = sorted({r.start.astimezone(tz).date() for r in self.activities.values()})
            people = sorted({r for _, batch in self.sessions for r, _ in batch})
            for part in chunks(people):
                for r, d, n in conn.execute(
                        sa.select(_at.c.resident_id, _at.c.day, sa.func.sum(_at.c.points))
                        .where(_at.c.day.in_(days), _at.c.resident_id.in_(part))
                        .group_by(_at.c.resident_id, _at.c.day)):
                    self.earned[r, d] = int(n or 0)
        return self.earned.get((rid, day), 0)


class VolunteersService(Service):
    """Volunteers, organizations, training, activities and attendance. Reached as
    ``gov.volunteers``."""

    # ------------------------------------------------------------------ volunteers

    def register(self, actor: Actor, resident_id: str, *, skills: Sequence[str] = (),
                 availability: str = "") -> Volunteer:
        """Register a resident as a volunteer (志愿者注册登记).

        Raises:
            NotFound: no such resident.
            ConflictError: registered already.
            ValidationError: the resident lives in no community (moved away or erased).
        """
        return self.register_many(actor, [NewVolunteer(resident_id, skills, availability)])[0]

    def register_many(self, actor: Actor, items: Iterable[NewVolunteer]) -> list[Volunteer]:
        """Register many residents as volunteers in one transaction."""
        batch = list(items)
        with self._write(actor, "volunteers.register") as op:
            refs = _residents(op, [n.resident_id for n in batch])
            rows, out = [], []
            seen: set[str] = set()
            for i, n in enumerate(batch):
                ref = refs.get(n.resident_id)
                if ref is None:
                    raise NotFound("resident", n.resident_id, f"at $[{i}]")
                if ref.erased or ref.community_code is None:
                    raise ValidationError(
                        f"resident {n.resident_id} lives in no community now (moved away or "
                        "erased) and cannot register as a volunteer", path=f"$[{i}]")
                if n.resident_id in seen:
                    raise ConflictError(f"resident {n.resident_id} appears twice in the input")
                seen.add(n.resident_id)
                op.require(VOLUNTEER_WRITE, ref.target("volunteer"))
                skills = tuple(s.strip() for s in n.skills if s.strip())
                rows.append({"resident_id": n.resident_id, "community_code": ref.community_code,
                             "skills": ",".join(skills), "availability": n.availability,
                             "registered_on": op.today})
                out.append(Volunteer(n.resident_id, ref.community_code,
                                     tuple(mask_personal_numbers(s) for s in skills),
                                     mask_personal_numbers(n.availability), op.today))
            taken = [r for c in chunks(sorted(seen)) for r in op.uow.conn.execute(
                sa.select(_vo.c.resident_id).where(_vo.c.resident_id.in_(c))).scalars()]
            if taken:
                raise ConflictError(
                    f"{len(taken)} resident(s) are registered volunteers already, e.g. "
                    f"{taken[0]}")
            try:
                if rows:
                    insert_rows(op.uow.conn, _vo, rows)
            except IntegrityError:
                raise ConflictError("a resident was registered as a volunteer concurrently; "
                                    "retry") from None
            op.touched.extend(f"volunteer:{v.resident_id}" for v in out)
            return out

    def get(self, actor: Actor, resident_id: str) -> Volunteer:
        """A volunteer's registration."""
        with self._read(actor, "volunteers.get") as op:
            row = op.uow.conn.execute(sa.select(_vo).where(
                _vo.c.resident_id == resident_id)).first()
            refs = _residents(op, [resident_id])
            if row is None or resident_id not in refs or not op.visible(
                    VOLUNTEER_READ, refs[resident_id].target("volunteer")):
                raise NotFound("volunteer", resident_id, "or outside your scope")
            return _volunteer(row)

    def list_volunteers(self, actor: Actor, *, community: str | None = None
                        ) -> list[Volunteer]:
        """Registered volunteers the actor may see, by community and key."""
        with self._read(actor, "volunteers.list") as op:
            q = (sa.select(_vo).where(scope_clause(op.scope(VOLUNTEER_READ),
                                                   unit=_vo.c.community_code,
                                                   resident=_vo.c.resident_id))
                 .order_by(_vo.c.community_code, _vo.c.resident_id))
            if community is not None:
                q = q.where(_vo.c.community_code == community)
            return [_volunteer(r) for r in op.uow.conn.execute(q)]

    # ------------------------------------------------------------------ organizations

    def add_orgs(self, actor: Actor, orgs: Iterable[VolunteerOrg]) -> int:
        """Add volunteer organizations (志愿服务组织); returns how many."""
        items = list(orgs)
        with self._write(actor, "volunteers.add_orgs") as op:
            codes = {o.unit_code for o in items}
            known = set(op.uow.conn.execute(sa.select(t.units.c.code).where(
                t.units.c.code.in_(sorted(codes)))).scalars())
            for i, o in enumerate(items):
                if o.unit_code not in known:
                    raise NotFound("unit", o.unit_code, f"at $[{i}].unit_code")
                if not o.name.strip():
                    raise ValidationError("an organization needs a name", path=f"$[{i}].name")
                op.require(ACTIVITY_WRITE, Target("volunteer_org", o.id, unit_code=o.unit_code))
            try:
                if items:
                    op.uow.conn.execute(tp.volunteer_orgs.insert(), [
                        {"id": o.id, "name": o.name.strip(), "unit_code": o.unit_code,
                         "category": o.category} for o in items])
            except IntegrityError:
                raise ConflictError("a volunteer organization key exists already") from None
            op.touched.extend(f"volunteer_org:{o.id}" for o in items)
            return len(items)

    def add_members(self, actor: Actor, org_id: str, resident_ids: Iterable[str], *,
                    since: dt.date) -> int:
        """Enrol registered volunteers in an organization; members already in it are skipped.

        Returns:
            How many were added.
        """
        return self._enrol(actor, "volunteers.add_members",
                           [(org_id, resident_ids, since)], batch=False)[0]

    def add_members_many(self, actor: Actor,
                         enrolments: Iterable[tuple[str, Iterable[str], dt.date]]) -> list[int]:
        """Enrol volunteers in several organizations in one transaction (批量入队):
        ``(org_id, resident_ids, since)`` per organization.

        Each enrolment gets exactly the checks of :meth:`add_members`, in the order given, and
        writes the same rows (members already in the organization, or enrolled earlier in the
        batch, are skipped); the batch is audited once, with every member it enrolled (the
        objects :meth:`add_members` one by one would record, in that order). All or nothing:
        the first error one by one would meet is raised, with the enrolment's place in the
        batch (``at $[3]``, ``$[3].resident_ids``), and nothing is written.

        Returns:
            How many were added, per enrolment in the order given.

        Raises:
            NotFound: an organization does not exist.
            PermissionDenied: the actor may not write an organization's activities.
            ValidationError: a resident is not a registered volunteer.
        """
        return self._enrol(actor, "volunteers.add_members_many", list(enrolments), batch=True)

    def _enrol(self, actor: Actor, name: str,
               enrolments: list[tuple[str, Iterable[str], dt.date]], *,
               batch: bool) -> list[int]:
        """:meth:`add_members` (``batch`` false: one enrolment, its errors unplaced) or
        :meth:`add_members_many`: the organizations, volunteers and present members read at
        once, the new members written together."""
        wanted = [(org_id, sorted(set(ids)), since) for org_id, ids, since in enrolments]
        vm, vo = tp.volunteer_memberships, tp.volunteer_orgs
        with self._write(actor, name) as op:
            conn = op.uow.conn
            org_ids = sorted({org_id for org_id, _ids, _since in wanted})
            orgs = {r.id: r for part in chunks(org_ids) for r in conn.execute(
                sa.select(vo).where(vo.c.id.in_(part)))}
            everyone = sorted({r for _o, ids, _s in wanted for r in ids})
            known = self._volunteers_among(op, everyone)
            # the present members (a resident is in few organizations: filtered here, so
            # that a statement holds no more parameters than a chunk)
            have = {(o, r) for part in chunks(everyone) for o, r in conn.execute(
                sa.select(vm.c.org_id, vm.c.resident_id).where(vm.c.resident_id.in_(part)))
                if o in orgs}
            rows: list[dict[str, Any]] = []
            out: list[int] = []
            for i, (org_id, ids, since) in enumerate(wanted):
                org = orgs.get(org_id)
                if org is None:
                    raise NotFound("volunteer organization", org_id,
                                   f"at $[{i}]" if batch else "")
                op.require(ACTIVITY_WRITE,
                           Target("volunteer_org", org_id, unit_code=org.unit_code))
                self._require_volunteers(op, ids, known,
                                         path=f"$[{i}].resident_ids" if batch else "resident_ids")
                new = [r for r in ids if (org_id, r) not in have]
                rows.extend({"org_id": org_id, "resident_id": r, "since": since} for r in new)
                have.update((org_id, r) for r in new)
                op.touched.extend(f"volunteer:{r}" for r in new)
                out.append(len(new))
            insert_rows(conn, vm, rows)
            if batch:
                op.detail.update({"enrolments": len(out), "members": len(rows)})
            return out

    def _require_volunteers(self, op: Operation, ids: Sequence[str],
                            known: set[str] | None = None, *,
                            path: str = "resident_ids") -> None:
        if known is None:
            known = self._volunteers_among(op, ids)
        missing = [r for r in ids if r not in known]
        if missing:
            raise ValidationError(
                f"{len(missing)} resident(s) are not registered volunteers, e.g. {missing[0]}: "
                "register them first with gov.volunteers.register", path=path)

    def orgs(self, *, unit_prefix: str | None = None) -> list[tuple[VolunteerOrg, int]]:
        """Volunteer organizations with their member counts (organizations are public)."""
        vo, vm = tp.volunteer_orgs, tp.volunteer_memberships
        q = (sa.select(vo, sa.func.count(vm.c.resident_id))
             .outerjoin(vm, vm.c.org_id == vo.c.id).group_by(*vo.c).order_by(vo.c.id))
        if unit_prefix:
            q = q.where(vo.c.unit_code.startswith(unit_prefix, autoescape=True))
        with self._gov.store.unit_of_work(write=False) as uow:
            return [(VolunteerOrg(r.id, r.name, r.unit_code, r.category), int(r[-1]))
                    for r in uow.conn.execute(q)]

    # ------------------------------------------------------------------ training

    def record_training(self, actor: Actor, resident_id: str, *, title: str, on: dt.date,
                        minutes: int, org_id: str | None = None) -> Training:
        """Record that a volunteer took a training (培训记录)."""
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
            raise ValidationError(f"minutes must be a positive whole number, got {minutes!r}",
                                  path="minutes")
        if not title.strip():
            raise ValidationError("a training needs a title", path="title")
        with self._write(actor, "volunteers.record_training") as op:
            ref = resolve_resident(op, resident_id)
            op.require(VOLUNTEER_WRITE, ref.target("volunteer"))
            self._require_volunteers(op, [resident_id])
            new_id = op.uow.conn.execute(tp.volunteer_trainings.insert().values(
                resident_id=resident_id, title=title.strip(), on=on, minutes=minutes,
                org_id=org_id)).inserted_primary_key[0]  # type: ignore[index]
            op.touch("training", new_id)
            return Training(int(new_id), resident_id, mask_personal_numbers(title.strip()), on,
                            minutes, org_id)

    def trainings(self, actor: Actor, resident_id: str) -> list[Training]:
        """A volunteer's training records, oldest first."""
        vt = tp.volunteer_trainings
        with self._read(actor, "volunteers.trainings") as op:
            refs = _residents(op, [resident_id])
            if resident_id not in refs or not op.visible(VOLUNTEER_READ,
                                                         refs[resident_id].target()):
                raise NotFound("resident", resident_id, "or outside your scope")
            return [Training(r.id, r.resident_id, mask_personal_numbers(r.title), r.on,
                             r.minutes, r.org_id)
                    for r in op.uow.conn.execute(sa.select(vt).where(
                        vt.c.resident_id == resident_id).order_by(vt.c.on, vt.c.id))]

    # ------------------------------------------------------------------ activities

    def create_activity(self, actor: Actor, spec: ActivitySpec) -> Activity:
        """Create a volunteer activity (发布志愿服务活动) at a community or grid."""
        return self._create_activities(actor, [spec], "volunteers.create_activity")[0]

    def create_activities(self, actor: Actor, specs: Iterable[ActivitySpec]) -> list[Activity]:
        """Create several volunteer activities (发布志愿服务活动, e.g. a month's plan) in one
        transaction with one audit row naming them all: every spec is checked as
        :meth:`create_activity` checks it, and any refusal writes none.

        Raises:
            ValidationError: a spec is unusable (the path names it: ``$[i].field``).
            NotFound: a unit is not a community or grid, or an organization is unknown.
            PermissionDenied: the actor may not publish activities at a spec's unit.
            ConflictError: an activity key exists already, or appears twice.
        """
        return self._create_activities(actor, list(specs), "volunteers.create_activities")

    def _create_activities(self, actor: Actor, specs: list[ActivitySpec],
                           name: str) -> list[Activity]:
        many = name.endswith("activities")
        for i, spec in enumerate(specs):
            try:
                spec.validate()
            except ValidationError as exc:
                if not many:
                    raise
                raise ValidationError(exc.reason, path=f"$[{i}].{exc.path}" if exc.path
                                      else f"$[{i}]") from None
        ids = [spec.id or f"A{uuid.uuid4().hex[:12]}" for spec in specs]
        if len(set(ids)) != len(ids):
            dup = next(a for a, n in Counter(ids).items() if n > 1)
            raise ConflictError(f"activity {dup} appears twice")
        with self._write(actor, name) as op:
            conn = op.uow.conn
            units = sorted({spec.unit_code for spec in specs})
            kinds = dict(conn.execute(sa.select(t.units.c.code, t.units.c.kind).where(
                t.units.c.code.in_(units))).all()) if units else {}
            org_ids = sorted({spec.org_id for spec in specs if spec.org_id is not None})
            orgs = set(conn.execute(sa.select(tp.volunteer_orgs.c.id).where(
                tp.volunteer_orgs.c.id.in_(org_ids))).scalars()) if org_ids else set()
            acts: list[Activity] = []
            for i, (spec, act_id) in enumerate(zip(specs, ids, strict=True)):
                where = f"at $[{i}].unit_code" if many else ""
                if kinds.get(spec.unit_code) not in ("community", "grid"):
                    raise NotFound("community or grid", spec.unit_code,
                                   f"activities are organised by a community or a grid {where}"
                                   .rstrip())
                op.require(ACTIVITY_WRITE, Target("activity", act_id, unit_code=spec.unit_code))
                if spec.org_id is not None and spec.org_id not in orgs:
                    raise NotFound("volunteer organization", spec.org_id)
                acts.append(Activity(act_id, spec.title.strip(), spec.unit_code,
                                     spec.unit_code[:12], spec.category, spec.place,
                                     spec.start.astimezone(dt.UTC), spec.end.astimezone(dt.UTC),
                                     spec.capacity, spec.org_id, spec.organiser, 0))
            try:
                if acts:
                    conn.execute(_ac.insert(), [
                        {"id": a.id, "title": a.title, "unit_code": a.unit_code,
                         "community_code": a.community_code, "category": a.category,
                         "place": a.place, "start": a.start, "end": a.end,
                         "capacity": a.capacity, "org_id": a.org_id, "organiser": a.organiser,
                         "signed_up": 0} for a in acts])
            except IntegrityError:
                if not many:
                    raise ConflictError(f"activity {ids[0]} exists already") from None
                raise ConflictError("an activity key exists already") from None
            op.touched.extend(f"activity:{a.id}" for a in acts)
            return acts

    def get_activity(self, activity_id: str) -> Activity:
        """An activity (activities are public notices)."""
        with self._gov.store.unit_of_work(write=False) as uow:
            row = uow.conn.execute(sa.select(_ac).where(_ac.c.id == activity_id)).first()
        if row is None:
            raise NotFound("activity", activity_id)
        return _activity(row)

    def activities(self, *, community: str | None = None, start: dt.datetime | None = None,
                   end: dt.datetime | None = None) -> list[Activity]:
        """Activities, optionally of one community and starting in ``[start, end)``."""
        q = sa.select(_ac).order_by(_ac.c.start, _ac.c.id)
        if community is not None:
            q = q.where(_ac.c.community_code == community)
        if start is not None:
            q = q.where(_ac.c.start >= start)
        if end is not None:
            q = q.where(_ac.c.start < end)
        with self._gov.store.unit_of_work(write=False) as uow:
            return [_activity(r) for r in uow.conn.execute(q)]

    def sign_up(self, actor: Actor, activity_id: str, resident_id: str) -> Activity:
        """Sign a registered volunteer up for an activity (报名); refused when it is full.

        Raises:
            ConflictError: the activity is full, or the volunteer signed up already.
        """
        with self._write(actor, "volunteers.sign_up") as op:
            ref = resolve_resident(op, resident_id)
            op.require(ACTIVITY_SIGN_UP, ref.target("volunteer"))
            self._require_volunteers(op, [resident_id])
            conn = op.uow.conn
            su = tp.activity_signups
            if conn.execute(sa.select(su.c.resident_id).where(
                    su.c.activity_id == activity_id, su.c.resident_id == resident_id)).first():
                raise ConflictError(f"{resident_id} signed up for {activity_id} already")
            row = conn.execute(_ac.update().where(
                _ac.c.id == activity_id, _ac.c.signed_up < _ac.c.capacity)
                .values(signed_up=_ac.c.signed_up + 1).returning(*_ac.c)).first()
            if row is None:
                if conn.execute(sa.select(_ac.c.id).where(_ac.c.id == activity_id)).first():
                    raise ConflictError(f"activity {activity_id} is full")
                raise NotFound("activity", activity_id)
            conn.execute(su.insert().values(activity_id=activity_id, resident_id=resident_id,
                                            at=op.now))
            op.touch("activity", activity_id)
            return _activity(row)

    def record_attendance(
        self, actor: Actor, activity_id: str, attendees: Iterable[str | tuple[str, int]],
    ) -> AttendanceResult:
        """Record who served at an activity and award their points, in one transaction.

        Each attendee is a resident key (served the whole activity) or ``(resident key,
        minutes)``. Points come from the scoring hooks; attendees recorded before are left as
        they are (a retried call writes nothing twice).

        Raises:
            NotFound: no such activity or resident.
            ValidationError: an attendee is not a registered volunteer, or minutes are bad.
            PluginError: a scoring plugin answered a negative or non-integer score.
            PermissionDenied: the actor may not record attendance at the activity's unit.
        """
        batch = _attendees(attendees, "$")
        return self._record_sessions(actor, [(activity_id, batch)],
                                     "volunteers.record_attendance")[0]

    def record_attendance_many(
        self, actor: Actor,
        sessions: Iterable[tuple[str, Iterable[str | tuple[str, int]]]],
    ) -> list[AttendanceResult]:
        """Record the attendance of several activities in one transaction, audited once (e.g.
        a month's attendance sheets of a community).

        Each ``(activity key, attendees)`` is recorded exactly as :meth:`record_attendance`
        records it, in the order given: the same checks, the scoring hooks asked per attendee,
        the daily cap counting what the sessions before it in the batch awarded, attendees
        recorded before left as they are. All or nothing: a refusal anywhere writes nothing.

        Returns:
            One result per session, in the order given.

        Raises:
            NotFound: no such activity or resident.
            ValidationError: an attendee is not a registered volunteer, or minutes are bad
                (the path names the session: ``sessions[i]...``).
            PluginError: a scoring plugin answered a negative or non-integer score.
            PermissionDenied: the actor may not record attendance at an activity's unit.
        """
        batch = [(activity_id, _attendees(attendees, f"sessions[{k}].attendees"))
                 for k, (activity_id, attendees) in enumerate(sessions)]
        return self._record_sessions(actor, batch, "volunteers.record_attendance_many")

    def _record_sessions(self, actor: Actor, sessions: list[_Session],
                         name: str) -> list[AttendanceResult]:
        for attempt in range(5):
            try:
                return self._record_attendance(actor, sessions, name)
            except IntegrityError:
                if attempt == 4:
                    where = ", ".join(a for a, _ in sessions[:3]) + (
                        "..." if len(sessions) > 3 else "")
                    raise ConflictError(
                        f"attendance at {where} is being recorded concurrently; "
                        "retry") from None
        raise AssertionError("unreachable")

    def _record_attendance(self, actor: Actor, sessions: list[_Session],
                           name: str) -> list[AttendanceResult]:
        many = name.endswith("_many")

        def ask(op: Operation) -> None:
            read = _Sessions(op.uow.conn, sessions)
            for activity_id, batch in sessions:
                self._attend(op, activity_id, batch, dry=True, read=read)

        with self._hooks_first(actor, name, ask), self._write(actor, name) as op:
            # the residents and the volunteers of every session, read once
            every = sorted({r for _, batch in sessions for r, _ in batch})
            refs = _residents(op, every)
            known = self._volunteers_among(op, every)
            batch_of = _Deferred()
            read = _Sessions(op.uow.conn, sessions)
            for k, (activity_id, batch) in enumerate(sessions):
                try:
                    self._attend(op, activity_id, batch, dry=False, refs=refs,
                                 volunteers=known, deferred=batch_of, read=read)
                except ValidationError as exc:
                    if not many:
                        raise
                    raise ValidationError(exc.reason, path=f"sessions[{k}].{exc.path}"
                                          if exc.path else f"sessions[{k}]") from None
            return self._write_sessions(op, batch_of)

    @staticmethod
    def _write_sessions(op: Operation, batch: _Deferred) -> list[AttendanceResult]:
        """Write what :meth:`_attend` gathered for every session: the journal entries in one
        batch (:func:`post_entries`, in the order the sessions would post them one by one),
        then the service records in one insert; the audit's objects in the order a session
        at a time would list them."""
        start = len(op.touched)
        ids = {e.idempotency_key: e.id for e in post_entries(op, batch.items)}
        del op.touched[start:]
        rows: list[dict[str, Any]] = []
        out: list[AttendanceResult] = []
        for activity_id, session_rows, keys, already in batch.sessions:
            recorded: list[Attendance] = []
            for row in session_rows:
                row["entry_id"] = entry_id = ids.get(
                    f"attend:{activity_id}:{row['resident_id']}")
                recorded.append(Attendance(activity_id, row["resident_id"], row["minutes"],
                                           row["points"], entry_id))
            rows.extend(session_rows)
            op.touched.extend(f"points_entry:{ids[k]}" for k in keys)
            op.touch("activity", activity_id)
            out.append(AttendanceResult(activity_id, tuple(recorded), already))
        # rows of one shape, built here: the driver's executemany (insert_rows would send them
        # through Core's per-row processing on SQLite)
        bulk_insert(op.uow.conn, _at, rows)
        return out

    def _volunteers_among(self, op: Operation, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are registered volunteers."""
        return {r for c in chunks(list(ids)) for r in op.uow.conn.execute(
            _VOLUNTEERS_Q, {"ids": c}).scalars()}

    def _attend(self, op: Operation, activity_id: str, batch: list[tuple[str, int | None]], *,
                dry: bool, refs: dict[str, ResidentRef] | None = None,
                volunteers: set[str] | None = None,
                deferred: _Deferred | None = None, read: _Sessions | None = None) -> None:
        """Record attendance (``dry``: only read what the scoring hooks are asked about and
        ask them, write nothing: the write checks the attendees, in its own transaction).
        ``refs`` and ``volunteers``: the attendees' residents and which of them are
        registered volunteers, when the caller read them already. ``deferred``: where the
        session's entries and records are gathered, to be written with the other sessions'
        (:meth:`_write_sessions`); what the sessions before it gathered counts as recorded
        (attendees, the daily cap). ``read``: what the batch's sessions read, read once."""
        conn = op.uow.conn
        row = (conn.execute(_ACTIVITY_Q, {"id": activity_id}).first() if read is None
               else read.activities.get(activity_id))
        if row is None:
            raise NotFound("activity", activity_id)
        act = _activity(row)
        op.require(ACTIVITY_WRITE, Target("activity", act.id, unit_code=act.unit_code))
        ids = [r for r, _ in batch]
        if len(set(ids)) != len(ids):
            dup = next(r for r, n in Counter(ids).items() if n > 1)
            raise ValidationError(f"resident {dup} appears twice among the attendees",
                                  path="attendees")
        if not dry:
            if refs is None:
                refs = _residents(op, ids)
            for i, rid in enumerate(ids):
                if rid not in refs:
                    raise NotFound("resident", rid, f"at attendees[{i}]")
                if refs[rid].erased:
                    raise ValidationError(f"resident {rid} was erased", path=f"attendees[{i}]")
            self._require_volunteers(op, ids, volunteers)
        else:
            refs = {}
        wanted = set(ids)
        already = {r for r in (conn.execute(_ATTENDED_Q, {"a": activity_id}).scalars()
                               if read is None else read.attended.get(activity_id, ()))
                   if r in wanted}
        if deferred is not None:
            already |= deferred.recorded.get(activity_id, set()) & wanted
        todo = [(r, m) for r, m in batch if r not in already]
        day = act.start.astimezone(self._gov.timezone).date()
        scores = self._score(op, act, todo, day, capped=not dry,
                             pending=None if deferred is None else deferred.earned, read=read)
        if dry or deferred is None:
            return
        # posted with the other sessions' (_write_sessions): post_entries locks the balances
        # in resident order, so concurrent batches never deadlock
        items: list[EntryItem] = [
            (refs[rid], EntryKind.EARN, points, f"attend:{activity_id}:{rid}",
             request_fingerprint(op="attend", activity=activity_id, resident=rid),
             act.title[:200], activity_id)
            for (rid, _), points in sorted(zip(todo, scores, strict=True)) if points > 0]
        deferred.items.extend(items)
        rows: list[dict[str, Any]] = []
        seen = deferred.recorded.setdefault(activity_id, set())
        for (rid, minutes), points in zip(todo, scores, strict=True):
            served = act.minutes if minutes is None else minutes
            rows.append({"activity_id": activity_id, "resident_id": rid,
                         "community_code": refs[rid].community_code or act.community_code,
                         "day": day, "month": month_of(day), "category": act.category,
                         "minutes": served, "points": points, "entry_id": None,
                         "at": op.now})
            seen.add(rid)
            deferred.earned[rid, day] = deferred.earned.get((rid, day), 0) + points
        deferred.sessions.append((activity_id, rows, [it[3] for it in items],
                                  tuple(sorted(already))))

    def _score(self, op: Operation, act: Activity, todo: list[tuple[str, int | None]],
               day: dt.date, *, capped: bool = True,
               pending: dict[tuple[str, dt.date], int] | None = None,
               read: _Sessions | None = None) -> list[int]:
        """The points of each attendee in ``todo``: the scoring hooks asked, the daily cap
        applied with what each earned that day (``capped=False``: the hooks asked, the cap
        not applied: the read-first pass, which only asks; ``pending``: points per resident
        and day of the batch's sessions before, not written yet)."""
        hooks = self._hooks
        check = expect_int(minimum=0)
        base_cache: dict[int, int] = {}
        bonus_hooks = bool(hooks.implementations("cgov_points_bonus",
                                                 place=act.community_code))
        out = []
        for rid, minutes in todo:
            served = act.minutes if minutes is None else minutes
            base = base_cache.get(served)
            if base is None:
                base = base_cache[served] = hooks.first(
                    "cgov_points_standard", check, place=act.community_code,
                    category=act.category, minutes=served, community_code=act.community_code)
            bonus = sum(b for _, b in hooks.all(
                "cgov_points_bonus", check, place=act.community_code, activity=act,
                resident_id=rid, base=base, community_code=act.community_code)
                        ) if bonus_hooks else 0
            out.append(base + bonus)
        caps = [c for _, c in hooks.all("cgov_points_daily_cap", check,
                                         place=act.community_code,
                                         community_code=act.community_code, day=day)]
        if caps and todo and capped:
            cap = min(caps)
            ids = [r for r, _ in todo]
            earned: dict[str, int] = {}
            if read is not None and act.id in read.activities:
                tz = self._gov.timezone
                for r in ids:
                    if n := read.earned_on(op.uow.conn, tz, r, day):
                        earned[r] = n
            else:
                for c in chunks(ids):
                    for r, n in op.uow.conn.execute(_EARNED_ON_DAY_Q, {"day": day,
                                                                        "ids": c}):
                        earned[r] = int(n or 0)
            if pending:
                for r in ids:
                    if (r, day) in pending:
                        earned[r] = earned.get(r, 0) + pending[r, day]
            out = [max(0, min(p, cap - earned.get(r, 0))) for p, (r, _) in zip(out, todo,
                                                                               strict=True)]
        return out

    def service_records(self, actor: Actor, resident_id: str) -> list[Attendance]:
        """A volunteer's service records (服务记录), oldest first (the sessions of one
        ``record_attendance_many`` share their time: in the order their entries were posted)."""
        with self._read(actor, "volunteers.service_records") as op:
            refs = _residents(op, [resident_id])
            if resident_id not in refs or not op.visible(VOLUNTEER_READ,
                                                         refs[resident_id].target()):
                raise NotFound("resident", resident_id, "or outside your scope")
            q = (sa.select(_at).where(_at.c.resident_id == resident_id)
                 .order_by(_at.c.at, _at.c.entry_id, _at.c.activity_id))
            return [Attendance(r.activity_id, r.resident_id, r.minutes, r.points, r.entry_id)
                    for r in op.uow.conn.execute(q)]

    # ------------------------------------------------------------------ reports

    def participation(self, actor: Actor, *, community: str | None = None,
                      top: int = 10) -> ParticipationReport:
        """Participation per community and month (the study's participation problem).

        Each row: active volunteers (distinct residents with a service record that month, by
        the community they live in), residents, their share, registered volunteers, service
        records, points issued/redeemed/expired, supermarket turnover and stock-outs.
        """
        from community_governance.services.supermarket import monthly_turnover

        with self._read(actor, "volunteers.participation") as op:
            scope = op.scope(A.REPORT_READ)
            conn = op.uow.conn
            q = (sa.select(_at.c.community_code, _at.c.month,
                           sa.func.count(sa.distinct(_at.c.resident_id)), sa.func.count(),
                           sa.func.sum(_at.c.minutes))
                 .where(scope_clause(scope, unit=_at.c.community_code))
                 .group_by(_at.c.community_code, _at.c.month))
            if community is not None:
                q = q.where(_at.c.community_code == community)
            residents = dict(self._residents_per_community(conn, scope, community))
            vq = (sa.select(_vo.c.community_code, sa.func.count())
                  .where(scope_clause(scope, unit=_vo.c.community_code))
                  .group_by(_vo.c.community_code))
            registered = {r[0]: int(r[1]) for r in conn.execute(vq)}
            rows: dict[tuple[str, str], dict[str, Any]] = {}

            def row(code: str, month: str) -> dict[str, Any]:
                return rows.setdefault((code, month), {
                    "community": code, "month": month, "residents": residents.get(code, 0),
                    "registered_volunteers": registered.get(code, 0), "active_volunteers": 0,
                    "share_active": 0.0, "service_records": 0, "service_hours": 0.0,
                    "points_issued": 0, "points_redeemed": 0, "points_expired": 0,
                    "redemptions": 0, "goods_redeemed": 0, "stock_outs": 0})

            for code, month, active, n, minutes in conn.execute(q):
                r = row(code, month)
                r["active_volunteers"] = int(active)
                r["service_records"] = int(n)
                r["service_hours"] = round(int(minutes or 0) / 60, 1)
            for p in monthly_points(op, community):
                if p["community"]:
                    r = row(p["community"], p["month"])
                    r["points_issued"] = p["issued"]
                    r["points_redeemed"] = p["redeemed"]
                    r["points_expired"] = p["expired"]
            for s in monthly_turnover(op, community):
                r = row(s["community"], s["month"])
                r["redemptions"] = s["redemptions"]
                r["goods_redeemed"] = s["goods_redeemed"]
                r["stock_outs"] = s["stock_outs"]
            for r in rows.values():
                r["share_active"] = (round(r["active_volunteers"] / r["residents"], 4)
                                     if r["residents"] else 0.0)
            cq = (sa.select(_at.c.category, sa.func.count())
                  .where(scope_clause(scope, unit=_at.c.community_code))
                  .group_by(_at.c.category).order_by(sa.func.count().desc(), _at.c.category)
                  .limit(top))
            if community is not None:
                cq = cq.where(_at.c.community_code == community)
            cats = tuple((c, int(n)) for c, n in conn.execute(cq))
            aq = sa.select(sa.func.count(sa.distinct(_at.c.resident_id))).where(
                scope_clause(scope, unit=_at.c.community_code))
            if community is not None:
                aq = aq.where(_at.c.community_code == community)
            ever_active = int(conn.execute(aq).scalar_one())
            total_res = sum(v for k, v in residents.items())
            vo = tp.volunteer_orgs
            oq = sa.select(sa.func.count()).select_from(vo).where(
                scope_clause(scope, unit=vo.c.unit_code))
            mq = sa.select(sa.func.count(sa.distinct(tp.volunteer_memberships.c.resident_id))
                           ).select_from(tp.volunteer_memberships.join(vo))
            mq = mq.where(scope_clause(scope, unit=vo.c.unit_code))
            totals = {
                "residents": total_res, "registered_volunteers": sum(registered.values()),
                "volunteer_orgs": int(conn.execute(oq).scalar_one()),
                "org_members": int(conn.execute(mq).scalar_one()),
                "ever_active_volunteers": ever_active,
                "share_ever_active": round(ever_active / total_res, 4) if total_res else 0.0,
                "points_issued": sum(r["points_issued"] for r in rows.values()),
                "points_redeemed": sum(r["points_redeemed"] for r in rows.values()),
                "points_expired": sum(r["points_expired"] for r in rows.values()),
            }
            return ParticipationReport(tuple(rows[k] for k in sorted(rows)), cats, totals)

    @staticmethod
    def _residents_per_community(conn: sa.Connection, scope: Any,
                                 community: str | None) -> list[tuple[str, int]]:
        q = (sa.select(t.buildings.c.community_code, sa.func.count())
             .select_from(t.residents.join(t.households).join(t.buildings))
             .where(t.residents.c.erased.is_(False),
                    scope_clause(scope, unit=t.buildings.c.community_code))
             .group_by(t.buildings.c.community_code))
        if community is not None:
            q = q.where(t.buildings.c.community_code == community)
        return [(r[0], int(r[1])) for r in conn.execute(q)]

