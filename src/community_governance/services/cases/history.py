"""Importing case histories (事务历史导入): records with every step, replayed through the
lifecycle with the live rules and written in bulk."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain.access import (
    Action,
    Actor,
    ActorKind,
    Principal,
    Scope,
    Target,
    scope_for,
)
from community_governance.domain.cases import (
    CaseEvent,
    CaseStatus,
    Channel,
    RouteLevel,
    RouteStep,
    next_status,
    validate_satisfaction,
)
from community_governance.domain.chain import GENESIS
from community_governance.domain.posts import Post
from community_governance.errors import ConflictError, InvalidTransition, NotFound, ValidationError
from community_governance.services.base import Operation, post_from_row
from community_governance.services.cases.common import (
    CASE_CLOSE,
    CASE_HANDLE,
    CASE_IMPORT,
    CASE_REPORT,
    ImportResult,
    _plain,
    chain_transition,
)
from community_governance.services.cases.routing import CaseRouting
from community_governance.services.registry import _bulk_insert
from community_governance.storage.repos.bulk import chunks as _chunks
from community_governance.storage.tables import cases as ct
from community_governance.storage.tables import core as t


@attrs.frozen
class HistoryStep:
    """One recorded step of a case's history (流转记录), for :meth:`CasesService.import_history`.

    Attributes:
        event: what happened (the first step of a history is always ``report``).
        at: when (timezone-aware); steps of a case are in time order.
        actor: who did it; must have had the right the live operation needs.
        handler_id: the handler, for ``assign``.
        note: a remark (the reason, for ``reopen``).
        satisfaction: the resident's satisfaction (1-5), for ``close``.
        overdue: for ``escalate``: the nightly job moved the case up because its deadline
            had passed (checked against the deadline).
    """

    event: CaseEvent = attrs.field(converter=CaseEvent)
    at: dt.datetime
    actor: Actor
    handler_id: str | None = None
    note: str = ""
    satisfaction: int | None = None
    overdue: bool = False


def _steps(value: Iterable[HistoryStep]) -> tuple[HistoryStep, ...]:
    return tuple(value)


@attrs.frozen
class CaseRecord:
    """A case (事务) with its whole history, for :meth:`CasesService.import_history`.

    Everything else a case stores (route, level, unit, deadlines, handling days, overdue
    flag...) is derived by the service from the hooks while it replays ``steps``.

    Attributes:
        id: the case key.
        category: a category code.
        building_code: the building the matter is at.
        description: what the matter is.
        steps: the history, starting with the ``report`` step.
        channel: how it came in.
        household_id: the household concerned, if any (must live in the building).
        reporter_id: the reporting resident, if registered.
        reporter_name: the reporter's name as given.
        lat: latitude, if known.
        long: longitude, if known.
        media_url: a photo's URL.
    """

    id: str
    category: str
    building_code: str
    description: str
    steps: tuple[HistoryStep, ...] = attrs.field(converter=_steps)
    channel: Channel | str = Channel.APP
    household_id: str | None = None
    reporter_id: str | None = None
    reporter_name: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None


class HistoryMixin(CaseRouting):
    """The history import (事务历史导入) part of the cases service."""

    # ------------------------------------------------------------------ history import

    def import_history(self, actor: Actor, records: Iterable[CaseRecord], *,
                       source: str | None = None) -> ImportResult:
        """Record many cases with their whole histories in one transaction (事务历史导入).

        Each case's steps are replayed through the lifecycle
        (:data:`~community_governance.domain.cases.TRANSITIONS`), exactly as the live
        operations would apply them: every step's actor needs the right the live operation
        needs (``case.report``, ``case.handle`` or ``case.close`` at the case's level), an
        assigned handler must be one the live :meth:`assign` accepts, steps are in time
        order and not in the future, the route comes from ``cgov_case_route`` and every
        deadline from ``cgov_case_deadline`` counted on the ``cgov_working_day_calendar``
        calendar; an ``overdue`` escalation needs its deadline to have passed. The importing
        actor needs ``case.import`` on every case. Cases and transitions are then written
        with one multi-row insert each, and the batch is audited once (every case touched).
        All or nothing.

        Args:
            actor: who imports (a system job, or a post holder with ``case.import``).
            records: the cases, each with its steps starting with ``report``.
            source: where the cases come from (stored on each case).

        Returns:
            The ids created (``skipped`` is empty).

        Raises:
            ValidationError: a field or a step breaks a rule (the path names it).
            InvalidTransition: a step is not allowed in the case's status at that point.
            NotFound: a building, household, reporter or route unit does not exist.
            ConflictError: a case id exists already or appears twice.
            PermissionDenied: the importer or a step's actor lacks the right.
            CalendarYearMissing: a deadline runs into a year with no official arrangement.

        After the commit, ``cgov_notify`` hears ``case.imported`` once per case (not once per
        historical step).
        """
        batch = list(records)
        with self._write(actor, "cases.import_history") as op:
            conn = op.uow.conn
            ids = [r.id for r in batch]
            buildings: dict[str, Any] = {}
            households: dict[str, str] = {}
            reporters: dict[str, str] = {}
            existing: set[str] = set()
            handlers = sorted({s.handler_id for r in batch for s in r.steps
                               if s.event is CaseEvent.ASSIGN and s.handler_id})
            posts_of: dict[str, list[Post]] = defaultdict(list)
            staff_ids: set[str] = set()
            b, h, res = t.buildings.c, t.households.c, t.residents.c
            for part in _chunks(sorted({r.building_code for r in batch})):
                for row in conn.execute(sa.select(b.code, b.grid_code, b.community_code)
                                        .where(b.code.in_(part))):
                    buildings[row.code] = row
            for part in _chunks(sorted({r.household_id for r in batch if r.household_id})):
                households.update({r.id: r.building_code for r in conn.execute(
                    sa.select(h.id, h.building_code).where(h.id.in_(part)))})
            wanted = {r.reporter_id for r in batch if r.reporter_id} | {
                r.steps[0].actor.id for r in batch
                if r.steps and r.steps[0].actor.kind is ActorKind.RESIDENT}
            for part in _chunks(sorted(wanted)):
                reporters.update({r.id: r.name for r in conn.execute(
                    sa.select(res.id, res.name).where(res.id.in_(part)))})
            for part in _chunks(ids):
                existing.update(conn.execute(sa.select(ct.cases.c.id)
                                             .where(ct.cases.c.id.in_(part))).scalars())
            for part in _chunks(handlers):
                for row in conn.execute(sa.select(t.posts).where(t.posts.c.holder_id.in_(part))):
                    posts_of[row.holder_id].append(post_from_row(row))
                staff_ids.update(conn.execute(sa.select(t.staff.c.id)
                                              .where(t.staff.c.id.in_(part))).scalars())
            replay = _Replay(self, op, posts_of, staff_ids)
            case_rows: list[dict[str, Any]] = []
            journal: list[dict[str, Any]] = []
            seen: set[str] = set()
            for i, rec in enumerate(batch):
                path = f"records[{i}]"
                if rec.id in existing or rec.id in seen:
                    raise ConflictError(f"case {rec.id} exists already ({path}); import each "
                                        "case once, with a new id for a new case")
                seen.add(rec.id)
                bld = buildings.get(rec.building_code)
                if bld is None:
                    raise NotFound("building", rec.building_code,
                                   f"{path}: import cases at registered buildings")
                op.require(CASE_IMPORT, Target("case", rec.id, unit_code=bld.code,
                                               grid_code=bld.grid_code))
                values, steps = replay.case(rec, bld, path, households, reporters, source)
                case_rows.append(values)
                journal.extend(steps)
                op.touch("case", rec.id)
            replay.check_units(conn)
            if case_rows:
                try:
                    _bulk_insert(conn, ct.cases, case_rows)
                    _bulk_insert(conn, ct.case_transitions, journal)
                except IntegrityError as exc:
                    raise ConflictError(f"the cases could not be written: {exc.orig}; were "
                                        "they imported concurrently?") from None
            op.detail.update({"cases": len(case_rows), "transitions": len(journal),
                              "source": source})
            for made in case_rows:
                op.emit("case.imported", {"case_id": made["id"], "status": made["status"],
                                          "level": RouteLevel(made["level"]).key,
                                          "unit_code": made["unit_code"]})
            return ImportResult(tuple(r["id"] for r in case_rows), ())


#: the actors whose rights ``can`` reads from a scope (staff: their posts; residents: their own
#: records)
_SCOPED = frozenset({ActorKind.STAFF, ActorKind.RESIDENT})


class _Replay:
    """Replays case histories for :meth:`CasesService.import_history` (one batch)."""

    def __init__(self, service: CaseRouting, op: Operation, posts_of: Mapping[str, list[Post]],
                 staff_ids: set[str]) -> None:
        self.svc = service
        self.op = op
        self.posts_of = posts_of
        self.staff_ids = staff_ids
        self.categories: dict[str, set[str]] = {}
        self.tz = service._gov.timezone
        self.ops: dict[Actor, Operation] = {}
        self.deadlines: dict[tuple[str, int, dt.date, str], tuple[dt.date, bool]] = {}
        #: per (category, building): the route and its stored text
        self.routes: dict[tuple[str, str], tuple[list[RouteStep], str]] = {}
        self.units: set[str] = set()
        #: per handler: what ``case.handle`` reaches with their posts (``can``'s scope)
        self.handler_scopes: dict[str, Scope] = {}
        self.latest = op.now.add(minutes=5)
        self.narrowing = bool(service._hooks.implementations("cgov_narrow_permission"))
        #: per (step actor, action): the scope ``can`` checks a target against (staff and
        #: residents; the action as the county extended it)
        self.scopes: dict[tuple[Actor, str], Scope] = {}
        #: per (category, level, county): the ``cgov_case_deadline`` answer in working days
        self.days: dict[tuple[str, int, str], int] = {}

    def _as(self, actor: Actor) -> Operation:
        """An operation context for a step's actor (its posts loaded once per batch)."""
        got = self.ops.get(actor)
        if got is None:
            op = self.op
            got = Operation(op.gov, op.uow, self.svc._principal(op.uow, actor, op.now), op.now,
                            op.name)
            self.ops[actor] = got
        return got

    def _time(self, at: Any, after: dt.datetime | None, path: str) -> dt.datetime:
        """The rule of :meth:`CasesService._when`: aware, not in the future, in order (UTC)."""
        if not isinstance(at, dt.datetime) or at.tzinfo is None:
            raise ValidationError(
                f"at={at!r} must be a timezone-aware datetime (e.g. pendulum.datetime(..., "
                "tz='Asia/Shanghai'))", path=path)
        when = at.astimezone(dt.UTC)
        if when > self.latest:
            raise ValidationError(
                f"at={when.isoformat()} lies in the future; record steps when they happen",
                path=path)
        if after is not None and when < after:
            raise ValidationError(
                f"at={when.isoformat()} is before the case's previous step "
                f"({after.isoformat()}); steps are recorded in order", path=path)
        return when

    def require(self, actor: Actor, action: Action, target: Target) -> None:
        """``op.require`` for a step's actor.

        A system job holds every right (``Operation.require`` grants it before looking at
        anything, and no plugin narrows it). For staff and residents the built-in policy
        (:func:`~community_governance.domain.access.can`) is
        ``scope_for(principal, action).covers(target)``, and the scope depends only on the
        actor's posts and the action: it is computed once per batch, and a target it covers
        is granted. Anything else (a target
        outside the scope, another kind of actor, plugins that narrow permissions and are
        asked for every target) goes through ``op.require``, which raises its own refusal.
        """
        if type(actor) is Actor and actor.kind is ActorKind.SYSTEM:
            return
        if self.narrowing or type(actor) is not Actor or actor.kind not in _SCOPED:
            self._as(actor).require(action, target)
            return
        key = (actor, action.name)
        scope = self.scopes.get(key)
        if scope is None:
            op = self._as(actor)
            scope = self.scopes[key] = scope_for(op.principal, op._effective(action))
        if not scope.covers(target):
            self._as(actor).require(action, target)  # raises the refusal

    def _deadline(self, category: str, level: int, day: dt.date,
                  place: str) -> dict[str, Any]:
        """``deadline_of(category, level, day, place)``: the hook's answer (which depends on
        the category, the level and the county only) asked once per batch, the date counted
        once per day."""
        county = place[:6]
        key = (category, level, day, county)
        got = self.deadlines.get(key)
        if got is None:
            cal = self.svc.calendar(county)
            dkey = (category, level, county)
            n = self.days.get(dkey)
            if n is None:
                n = self.days[dkey] = self.svc._deadline_days(category, RouteLevel(level),
                                                              county)
            got = self.deadlines[key] = cal.deadline(_plain(day), n)
        return {"deadline": got[0], "deadline_provisional": got[1]}

    def _local(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.tz).date()

    def _handler_ok(self, handler_id: str, actor: Actor, level: int, target: Target) -> bool:
        """The rule of :meth:`CasesService._check_handler`, with the posts loaded per batch."""
        posts = self.posts_of.get(handler_id, [])
        scope = self.handler_scopes.get(handler_id)
        if scope is None:  # ``can`` of a staff principal: its scope covers the target
            scope = self.handler_scopes[handler_id] = scope_for(Principal.of(
                Actor.staff(handler_id), posts, self.op.today), CASE_HANDLE)
        if scope.covers(target):
            return True
        registered = bool(posts) or handler_id in self.staff_ids
        return registered and (level == RouteLevel.COUNTY or actor.kind is ActorKind.SYSTEM)

    def check_units(self, conn: sa.Connection) -> None:
        """Every unit named on a route exists."""
        found: set[str] = set()
        codes = sorted(self.units)
        for part in _chunks(codes):
            found.update(conn.execute(sa.select(t.units.c.code)
                                      .where(t.units.c.code.in_(part))).scalars())
        missing = sorted(set(codes) - found)
        if missing:
            raise NotFound("unit on the case's route", ", ".join(missing),
                           "register the unit, or fix the cgov_case_route plugin")

    def case(self, rec: CaseRecord, bld: Any, path: str, households: Mapping[str, str],
             reporters: Mapping[str, str], source: str | None,
             ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Validate one record and replay its steps: the case row and its journal rows."""
        county = bld.community_code[:6]
        cats = self.categories.get(county)
        if cats is None:
            cats = self.categories[county] = {c.code for c in self.svc.categories(county)}
        if rec.category not in cats:
            self.svc._category(rec.category, county)  # raises with the known categories
        try:
            chan = Channel(rec.channel)
        except ValueError:
            raise ValidationError(f"channel {rec.channel!r} is not one of "
                                  f"{[c.value for c in Channel]}", path=f"{path}.channel"
                                  ) from None
        if not rec.description or not rec.description.strip():
            raise ValidationError("describe the matter (description is empty)",
                                  path=f"{path}.description")
        if not rec.steps or rec.steps[0].event is not CaseEvent.REPORT:
            raise ValidationError("a case's history starts with its report step",
                                  path=f"{path}.steps[0]")
        reporter_id = rec.reporter_id
        first_actor = rec.steps[0].actor
        if first_actor.kind is ActorKind.RESIDENT:
            reporter_id = first_actor.id
        if rec.household_id is not None:
            hb = households.get(rec.household_id)
            if hb is None:
                raise NotFound("household", rec.household_id, path)
            if hb != bld.code:
                raise ValidationError(f"household {rec.household_id} lives in {hb}, not in "
                                      f"{bld.code}", path=f"{path}.household_id")
        reporter_name = rec.reporter_name
        if reporter_id is not None:
            name = reporters.get(reporter_id)
            if name is None:
                raise NotFound("resident", reporter_id, "the reporter must be registered, or "
                               "give reporter_name instead")
            reporter_name = reporter_name or name
        for value, lo, hi, field in ((rec.lat, -90, 90, "lat"), (rec.long, -180, 180, "long")):
            if value is not None and not lo <= value <= hi:
                raise ValidationError(f"{field} must be within {lo}..{hi}",
                                      path=f"{path}.{field}")
        rkey = (rec.category, bld.code)
        got = self.routes.get(rkey)
        if got is None:
            steps = self.svc.route_for(rec.category, bld.code, bld.grid_code,
                                       bld.community_code)
            got = self.routes[rkey] = (steps, json.dumps(
                [[int(s.level), s.unit_code, s.department] for s in steps], ensure_ascii=False))
            self.units.update(s.unit_code for s in steps)
        route, route_text = got
        read_target = Target("case", rec.id, unit_code=bld.code, grid_code=bld.grid_code,
                             owner_id=reporter_id)
        state: dict[str, Any] = {
            "id": rec.id, "category": rec.category, "channel": chan.value,
            "description": rec.description.strip(), "status": None,
            "level": int(route[0].level), "unit_code": route[0].unit_code,
            "department": route[0].department,
            "route": route_text,
            "building_code": bld.code, "grid_code": bld.grid_code,
            "community_code": bld.community_code, "household_id": rec.household_id,
            "reporter_id": reporter_id, "reporter_name": reporter_name,
            "reporter_phone": None, "handler_id": None, "reported_at": None,
            "deadline": None, "deadline_provisional": False, "updated_at": None,
            "resolved_at": None, "closed_at": None,
            "satisfaction": None, "escalations": 0, "handling_days": None,
            "was_overdue": False, "seq": 0, "chain_head": GENESIS, "lat": rec.lat,
            "long": rec.long,
            "media_url": rec.media_url, "source": source,
        }
        journal: list[dict[str, Any]] = []
        status: CaseStatus | None = None
        county = bld.community_code[:6]
        for j, step in enumerate(rec.steps):
            spath = f"{path}.steps[{j}]"
            when = self._time(step.at, state["updated_at"], f"{spath}.at")
            try:
                new = next_status(status, step.event)
            except InvalidTransition as exc:
                raise InvalidTransition(f"case {rec.id}, {spath}: {exc}") from None
            level = state["level"]
            handle_target = Target("case", rec.id, unit_code=state["unit_code"],
                                   grid_code=bld.grid_code if level == RouteLevel.GRID
                                   else None)
            who = step.actor
            event = step.event
            note = step.note
            if event is CaseEvent.REPORT:
                self.require(who, CASE_REPORT, Target(
                    "case", rec.id, unit_code=bld.code, grid_code=bld.grid_code,
                    owner_id=reporter_id))
                state["reported_at"] = when
                state.update(self._deadline(rec.category, level, self._local(when), bld.code))
            elif event is CaseEvent.ASSIGN:
                self.require(who, CASE_HANDLE, handle_target)
                handler = step.handler_id
                if not handler or not self._handler_ok(handler, step.actor, level,
                                                        handle_target):
                    raise ValidationError(
                        f"{handler} holds no post that handles cases at {state['unit_code']} "
                        f"({RouteLevel(level).chinese}); assign a post holder of that unit",
                        path=f"{spath}.handler_id")
                state["handler_id"] = handler
            elif event in (CaseEvent.START, CaseEvent.RESOLVE):
                self.require(who, CASE_HANDLE, handle_target)
                if event is CaseEvent.RESOLVE:
                    day = self._local(when)
                    state["resolved_at"] = when
                    state["handling_days"] = self.svc.calendar(county).working_days_between(
                        self._local(state["reported_at"]), day)
                    if day > state["deadline"]:
                        state["was_overdue"] = True
            elif event is CaseEvent.CLOSE:
                self.require(who, CASE_CLOSE, read_target)
                try:
                    validate_satisfaction(step.satisfaction)
                except ValidationError as exc:
                    raise ValidationError(exc.reason, path=f"{spath}.satisfaction") from None
                state["closed_at"] = when
                state["satisfaction"] = step.satisfaction
            elif event is CaseEvent.REOPEN:
                self.require(who, CASE_CLOSE, read_target)
                if not note.strip():
                    raise ValidationError("say why the case is reopened", path=f"{spath}.note")
                state.update(handler_id=None, closed_at=None, satisfaction=None,
                             **self._deadline(rec.category, level, self._local(when), bld.code))
            else:  # ESCALATE
                self.require(who, CASE_HANDLE, handle_target)
                higher = [s for s in route if s.level > level]
                if not higher:
                    raise InvalidTransition(
                        f"case {rec.id} is at the top of its route ({RouteLevel(level).chinese}"
                        f"); it cannot be escalated further ({spath})")
                day = self._local(when)
                if step.overdue:
                    if not day > state["deadline"]:
                        raise ValidationError(
                            f"case {rec.id} was not overdue on {day} (deadline "
                            f"{state['deadline']}); record the escalation without overdue",
                            path=f"{spath}.overdue")
                    state["was_overdue"] = True
                up = higher[0]
                state.update(level=int(up.level), unit_code=up.unit_code,
                             department=up.department, handler_id=None,
                             **self._deadline(rec.category, int(up.level), day, bld.code),
                             escalations=state["escalations"] + 1)
            state["status"] = new.value
            state["updated_at"] = when
            state["seq"] = j + 1
            journal.append({
                "case_id": rec.id, "seq": j + 1, "event": event.value,
                "from_status": status.value if status is not None else None,
                "to_status": new.value, "actor": str(step.actor), "at": when,
                "level": state["level"], "unit_code": state["unit_code"],
                "handler_id": state["handler_id"], "note": note})
            state["chain_head"] = chain_transition(state["chain_head"], journal[-1])
            status = new
        return state, journal
