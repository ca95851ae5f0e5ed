"""The lifecycle of a case (事务办理): intake, assignment, handling, closing, reopening,
escalation (by hand and when overdue) and reading cases."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pendulum
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain.access import Action, Actor, ActorKind, Principal, Target, can
from community_governance.domain.actions import RESIDENT_READ_ID
from community_governance.domain.cases import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseStatus,
    Channel,
    RouteLevel,
    RouteStep,
    Transition,
    check_location,
    check_reporter,
    next_status,
    validate_satisfaction,
)
from community_governance.domain.chain import GENESIS
from community_governance.domain.people import validate_phone
from community_governance.domain.pii_text import mask_personal_numbers
from community_governance.errors import ConflictError, InvalidTransition, NotFound, ValidationError
from community_governance.services.base import Operation, load_posts
from community_governance.services.cases.common import (
    CASE_CLOSE,
    CASE_HANDLE,
    CASE_READ,
    CASE_REPORT,
    JobFailure,
    JobResult,
    chain_transition,
)
from community_governance.services.cases.routing import CaseRouting
from community_governance.storage.repos.bulk import chunks as _chunks
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import cases as ct
from community_governance.storage.tables import core as t


def _failure(case_id: str, exc: Exception) -> JobFailure:
    return JobFailure(case_id, type(exc).__name__, str(exc))


def _each(op: Operation, svc: CaseRouting, case_id: str, work: Callable[[Any], Any],
          failed: list[JobFailure]) -> Any:
    """Run one case's part of a batch job in its own savepoint: on failure, roll back that
    case alone (its rows, audit objects and queued notifications), note it and go on."""
    touched, events = len(op.touched), len(op.events)
    try:
        with op.uow.conn.begin_nested():
            return work(svc._row(op, case_id, lock=True))
    except Exception as exc:  # reported per case, the job goes on
        del op.touched[touched:]
        del op.events[events:]
        failed.append(_failure(case_id, exc))
        return None


class LifecycleMixin(CaseRouting):
    """The lifecycle (事务办理) part of the cases service: report, assign, start, resolve, close,
    reopen, escalate, and read cases and their history."""

    # ------------------------------------------------------------------ intake

    def report(
        self,
        actor: Actor,
        *,
        category: str,
        building_code: str,
        description: str,
        channel: Channel | str = Channel.APP,
        household_id: str | None = None,
        reporter_id: str | None = None,
        reporter_name: str | None = None,
        reporter_phone: str | None = None,
        lat: float | None = None,
        long: float | None = None,
        media_url: str | None = None,
        case_id: str | None = None,
        at: dt.datetime | None = None,
    ) -> Case:
        """Report a case (上报事务), or record one collected on the spot (现场采集).

        The route comes from ``cgov_case_route``, the first level's deadline from
        ``cgov_case_deadline`` counted in working days (``cgov_working_day_calendar``).

        Args:
            actor: a resident (reporting as themselves) or a post holder in scope.
            category: a category code (see :meth:`categories`).
            building_code: the building the matter is at.
            description: what the matter is.
            channel: app, phone, walk_in or wechat.
            household_id: the household concerned, if any (must live in the building).
            reporter_id: the reporting resident, if registered (a resident actor is it).
            reporter_name: the reporter's name as given, if not registered.
            reporter_phone: a call-back number; stored sealed, never exported.
            lat: latitude, if the app sent one.
            long: longitude, if the app sent one.
            media_url: a photo's URL.
            case_id: the case key (generated when not given).
            at: when the matter was reported, if earlier than now.

        Returns:
            The new case, status ``reported``.

        Raises:
            ValidationError: unknown category or channel, empty description, bad time.
            NotFound: the building, household or reporter does not exist.
            PermissionDenied: the actor may not report at this building.
            CalendarYearMissing: the deadline runs into a year with no official arrangement.
            PluginError: a route, deadline or calendar hook broke.
        """
        with self._hooks_first(actor, "cases.report", lambda op: self._report_rules(
                op, category, building_code, at)), self._write(actor, "cases.report") as op:
            row = self._report(op, category=category, building_code=building_code,
                               description=description, channel=channel,
                               household_id=household_id, reporter_id=reporter_id,
                               reporter_name=reporter_name, reporter_phone=reporter_phone,
                               lat=lat, long=long, media_url=media_url, case_id=case_id, at=at)
            return self._case(row)

    def _report_rules(self, op: Operation, category: str, building_code: str,
                      at: dt.datetime | None) -> None:
        """Ask the hooks a report needs (category, route, deadline), before the write."""
        b = op.uow.conn.execute(sa.select(t.buildings.c.code, t.buildings.c.grid_code,
                                          t.buildings.c.community_code)
                                .where(t.buildings.c.code == building_code)).first()
        if b is None:
            return
        self._category(category, b.community_code)
        route = self.route_for(category, b.code, b.grid_code, b.community_code)
        self.deadline_for(category, route[0].level, self._local(self._when(op, at)), b.code)

    def _escalation_rules(self, op: Operation, row: Any, when: pendulum.DateTime) -> None:
        """Ask the deadline hook for the next level of ``row`` (before the write)."""
        higher = [s for s in self._route(row) if s.level > row.level]
        if higher:
            self.deadline_for(row.category, higher[0].level, self._local(when),
                              row.building_code)

    def _report(self, op: Operation, *, category: str, building_code: str, description: str,
                channel: Channel | str, household_id: str | None, reporter_id: str | None,
                reporter_name: str | None, reporter_phone: str | None, lat: float | None,
                long: float | None, media_url: str | None, case_id: str | None,
                at: dt.datetime | None, status: CaseStatus | None = None,
                note: str = "", source: str | None = None,
                extra: Mapping[str, Any] | None = None) -> Any:
        conn = op.uow.conn
        try:
            chan = Channel(channel)
        except ValueError:
            raise ValidationError(f"channel {channel!r} is not one of "
                                  f"{[c.value for c in Channel]}", path="channel") from None
        if not description or not description.strip():
            raise ValidationError("describe the matter (description is empty)",
                                  path="description")
        reporter_id = check_reporter(op.actor.kind.value, op.actor.id, reporter_id)
        check_location(lat, long)
        b = conn.execute(sa.select(t.buildings.c.code, t.buildings.c.grid_code,
                                   t.buildings.c.community_code)
                         .where(t.buildings.c.code == building_code)).first()
        if b is None:
            raise NotFound("building", building_code, "report at a registered building")
        self._category(category, b.community_code)
        op.require(CASE_REPORT, Target("case", case_id or "(new)", unit_code=b.code,
                                       grid_code=b.grid_code, owner_id=reporter_id))
        if household_id is not None:
            hb = conn.execute(sa.select(t.households.c.building_code)
                              .where(t.households.c.id == household_id)).scalar_one_or_none()
            if hb is None:
                raise NotFound("household", household_id)
            if hb != b.code:
                raise ValidationError(
                    f"household {household_id} lives in {hb}, not in {b.code}",
                    path="household_id")
        if reporter_id is not None:
            name = conn.execute(sa.select(t.residents.c.name)
                                .where(t.residents.c.id == reporter_id)).scalar_one_or_none()
            if name is None:
                raise NotFound("resident", reporter_id, "the reporter must be registered, or "
                               "give reporter_name instead")
            reporter_name = reporter_name or name
        when = self._when(op, at)
        route = self.route_for(category, b.code, b.grid_code, b.community_code)
        self._check_route_units(op, route)
        first = route[0]
        deadline, provisional = self.deadline_of(category, first.level, self._local(when),
                                                 b.community_code)
        if extra and extra.get("deadline"):
            deadline = extra["deadline"]
            provisional = bool(extra.get("deadline_provisional", False))
        cid = case_id or f"C{self._local(when):%Y%m%d}-{uuid.uuid4().hex[:8].upper()}"
        st = status or CaseStatus.REPORTED
        values: dict[str, Any] = {
            "id": cid, "category": category, "channel": chan.value,
            "description": description.strip(), "status": st.value,
            "level": int(first.level), "unit_code": first.unit_code,
            "department": first.department,
            "route": json.dumps([[int(s.level), s.unit_code, s.department] for s in route],
                                ensure_ascii=False),
            "building_code": b.code, "grid_code": b.grid_code,
            "community_code": b.community_code, "household_id": household_id,
            "reporter_id": reporter_id, "reporter_name": reporter_name,
            "reporter_phone": self._gov.cipher.seal(
                validate_phone(reporter_phone, "reporter_phone")), "handler_id": None,
            "reported_at": when, "deadline": deadline,
            "deadline_provisional": provisional, "updated_at": when, "seq": 1,
            "escalations": 0, "lat": lat, "long": long, "media_url": media_url,
            "source": source,
        }
        if extra:
            values.update({k: v for k, v in extra.items()
                           if k not in ("deadline", "deadline_provisional")})
        event = CaseEvent.REPORT if status is None else CaseEvent.IMPORT
        first_step = {
            "case_id": cid, "seq": 1, "event": event.value, "from_status": None,
            "to_status": st.value, "actor": str(op.actor), "at": values["updated_at"],
            "level": int(values["level"]), "unit_code": values["unit_code"],
            "handler_id": values["handler_id"], "note": note}
        values["chain_head"] = chain_transition(GENESIS, first_step)
        try:
            conn.execute(ct.cases.insert(), values)
        except IntegrityError:
            raise ConflictError(f"case {cid} exists already") from None
        conn.execute(ct.case_transitions.insert(), first_step)
        op.touch("case", cid)
        op.emit("case.reported", {"case_id": cid, "category": category,
                                  "unit_code": first.unit_code})
        return self._row(op, cid)

    @staticmethod
    def _check_route_units(op: Operation, route: Sequence[RouteStep]) -> None:
        codes = {s.unit_code for s in route}
        found = set(op.uow.conn.execute(
            sa.select(t.units.c.code).where(t.units.c.code.in_(codes))).scalars())
        missing = sorted(codes - found)
        if missing:
            raise NotFound("unit on the case's route", ", ".join(missing),
                           "register the unit, or fix the cgov_case_route plugin")

    # ------------------------------------------------------------------ lifecycle

    def assign(self, actor: Actor, case_id: str, handler_id: str, *, note: str = "",
               at: dt.datetime | None = None) -> Case:
        """Assign a case to a handler at the level that holds it (分派).

        The handler must hold a post that may handle cases at the case's current unit (at the
        county level, any registered staff member: the department's liaison; a system job may
        assign any registered staff member or post holder).

        Raises:
            InvalidTransition: the case is not waiting for assignment.
            ValidationError: the handler may not handle the case here.
            PermissionDenied: the actor may not handle cases at this level.
        """
        with self._write(actor, "cases.assign") as op:
            row = self._row(op, case_id, lock=True)
            op.require(CASE_HANDLE, self._handle_target(row))
            next_status(CaseStatus(row.status), CaseEvent.ASSIGN)
            self._check_handler(op, row, handler_id)
            when = self._when(op, at, row.updated_at)
            return self._case(self._step(op, row, CaseEvent.ASSIGN, when, note=note,
                                         handler_id=handler_id))

    def _check_handler(self, op: Operation, row: Any, handler_id: str) -> None:
        posts = load_posts(op.uow, handler_id)
        principal = Principal.of(Actor.staff(handler_id), posts, op.today)
        if can(principal, CASE_HANDLE, self._handle_target(row)):
            return
        registered = bool(posts) or op.uow.conn.execute(
            sa.select(t.staff.c.id).where(t.staff.c.id == handler_id)).first() is not None
        # a county department's liaison need not hold a post; a system job (imports, the
        # demo) may assign any registered staff member or post holder
        if registered and (row.level == RouteLevel.COUNTY or op.actor.kind is ActorKind.SYSTEM):
            return
        raise ValidationError(
            f"{handler_id} holds no post that handles cases at {row.unit_code} "
            f"({RouteLevel(row.level).chinese}); assign a post holder of that unit",
            path="handler_id")

    def start(self, actor: Actor, case_id: str, *, note: str = "",
              at: dt.datetime | None = None) -> Case:
        """Start handling an assigned case (开始办理).

        Raises:
            InvalidTransition: the case is not assigned.
        """
        return self._simple(actor, case_id, CaseEvent.START, CASE_HANDLE, note, at)

    def resolve(self, actor: Actor, case_id: str, *, note: str = "",
                at: dt.datetime | None = None) -> Case:
        """Resolve a case (办结): its handling time in working days is fixed now.

        Raises:
            InvalidTransition: the case is not assigned or in progress.
        """
        return self._simple(actor, case_id, CaseEvent.RESOLVE, CASE_HANDLE, note, at)

    def close(self, actor: Actor, case_id: str, *, satisfaction: int | None = None,
              note: str = "", at: dt.datetime | None = None) -> Case:
        """Close a resolved case with the resident's satisfaction (回访评价, 1-5).

        Raises:
            InvalidTransition: the case is not resolved.
            ValidationError: the satisfaction is not 1-5.
        """
        validate_satisfaction(satisfaction)
        return self._simple(actor, case_id, CaseEvent.CLOSE, CASE_CLOSE, note, at,
                            satisfaction=satisfaction)

    def reopen(self, actor: Actor, case_id: str, *, reason: str,
               at: dt.datetime | None = None) -> Case:
        """Reopen a resolved or closed case (重新办理); the level gets a new deadline.

        Raises:
            InvalidTransition: the case is not resolved or closed.
            ValidationError: no reason given.
        """
        if not reason.strip():
            raise ValidationError("say why the case is reopened", path="reason")
        return self._simple(actor, case_id, CaseEvent.REOPEN, CASE_CLOSE, reason, at)

    def _simple(self, actor: Actor, case_id: str, event: CaseEvent, action: Action, note: str,
                at: dt.datetime | None, satisfaction: int | None = None) -> Case:
        def ask(op: Operation) -> None:
            if event is CaseEvent.REOPEN:
                row = self._row(op, case_id)
                self.deadline_for(row.category, RouteLevel(row.level),
                                  self._local(self._when(op, at, row.updated_at)),
                                  row.building_code)

        with self._hooks_first(actor, f"cases.{event.value}", ask), \
                self._write(actor, f"cases.{event.value}") as op:
            row = self._row(op, case_id, lock=True)
            target = (self._handle_target(row) if action is CASE_HANDLE
                      else self._read_target(row))
            op.require(action, target)
            next_status(CaseStatus(row.status), event)
            when = self._when(op, at, row.updated_at)
            day = self._local(when)
            changes: dict[str, Any] = {}
            if event is CaseEvent.RESOLVE:
                changes["resolved_at"] = when
                changes["handling_days"] = self.calendar(row.community_code).working_days_between(
                    self._local(row.reported_at), day)
                if day > row.deadline:
                    changes["was_overdue"] = True
            elif event is CaseEvent.CLOSE:
                changes["closed_at"] = when
                changes["satisfaction"] = satisfaction
            elif event is CaseEvent.REOPEN:
                changes["handler_id"] = None
                changes["closed_at"] = None
                changes["satisfaction"] = None
                changes["deadline"], changes["deadline_provisional"] = self.deadline_of(
                    row.category, RouteLevel(row.level), day, row.community_code)
            return self._case(self._step(op, row, event, when, note=note, **changes))

    def escalate(self, actor: Actor, case_id: str, *, reason: str,
                 at: dt.datetime | None = None) -> Case:
        """Move an open case one level up its route by hand (上报上级), with a new deadline.

        Raises:
            InvalidTransition: the case is not open, or is at the top of its route.
        """
        def ask(op: Operation) -> None:
            self._escalation_rules(op, self._row(op, case_id), self._when(op, at))

        with self._hooks_first(actor, "cases.escalate", ask), \
                self._write(actor, "cases.escalate") as op:
            row = self._row(op, case_id, lock=True)
            op.require(CASE_HANDLE, self._handle_target(row))
            when = self._when(op, at, row.updated_at)
            out = self._escalate_row(op, row, when, reason or "上报上级", overdue=False)
            return self._case(out)

    def _escalate_row(self, op: Operation, row: Any, when: pendulum.DateTime, note: str,
                      *, overdue: bool, deadline: tuple[dt.date, bool] | None = None) -> Any:
        next_status(CaseStatus(row.status), CaseEvent.ESCALATE)
        route = self._route(row)
        higher = [s for s in route if s.level > row.level]
        if not higher:
            raise InvalidTransition(
                f"case {row.id} is at the top of its route ({RouteLevel(row.level).chinese} "
                f"{row.department or row.unit_code}); it cannot be escalated further")
        step = higher[0]
        if deadline is None:
            deadline = self.deadline_of(row.category, step.level, self._local(when),
                                        row.community_code)
        changes: dict[str, Any] = {
            "level": int(step.level), "unit_code": step.unit_code,
            "department": step.department, "handler_id": None, "deadline": deadline[0],
            "deadline_provisional": deadline[1], "escalations": row.escalations + 1,
        }
        if overdue:
            changes["was_overdue"] = True
        return self._step(op, row, CaseEvent.ESCALATE, when, note=note, **changes)

    def escalate_overdue(self, actor: Actor, now: dt.datetime | None = None) -> JobResult:
        """Move every overdue open case one level up (超期自动升级): a system job.

        A case is overdue when its county date of ``now`` is after its deadline. Each one
        moves to the next step of its route, gets that level's deadline counted from today in
        working days of its county's calendar, and the escalation is recorded with the actor
        and ``now``. Cases at the top of their route stay where they are (they remain overdue
        in the reports). Staff may run it too; it then touches only cases at levels they
        handle.

        Each case is handled on its own: the new deadlines are asked of the hooks first
        (outside the write transaction), then every case is written in its own savepoint. A
        case that fails (a plugin error, a concurrent change...) is reported in
        :attr:`JobResult.failed` with its id and reason, and the others go on.

        Args:
            actor: usually ``Actor.system("escalation")``.
            now: the job's time (default: now); not in the future.

        Returns:
            The escalated cases (as they are after the escalation) and the failures.
        """
        with self._read(actor, "cases.escalate_overdue") as op:
            when = self._when(op, now)
            today = self._local(when)
            q = (sa.select(ct.cases)
                 .where(ct.cases.c.status.in_([s.value for s in OPEN_STATUSES]),
                        ct.cases.c.deadline < today, ct.cases.c.level < int(RouteLevel.COUNTY),
                        ct.cases.c.updated_at <= when)
                 .order_by(ct.cases.c.deadline, ct.cases.c.id))
            if op.actor.kind is not ActorKind.SYSTEM:
                q = q.where(scope_clause(op.scope(CASE_HANDLE), unit=ct.cases.c.unit_code))
            rows = [r for r in op.uow.conn.execute(q).all()
                    if op.allowed(CASE_HANDLE, self._handle_target(r))]
        failed: list[JobFailure] = []
        plans: list[tuple[str, int, tuple[dt.date, bool]]] = []
        for r in rows:  # the hooks are asked before the write transaction opens
            try:
                higher = [s for s in self._route(r) if s.level > r.level]
                if not higher:
                    continue  # at the top of its route: stays overdue in the reports
                up = higher[0]
                plans.append((r.id, r.seq, self.deadline_of(r.category, up.level, today,
                                                            r.community_code)))
            except Exception as exc:  # reported per case, the job goes on
                failed.append(_failure(r.id, exc))
        out: list[Case] = []
        with self._write(actor, "cases.escalate_overdue") as op:
            for cid, seq, deadline in plans:
                def escalate(row: Any, cid: str = cid, seq: int = seq,
                             deadline: tuple[dt.date, bool] = deadline) -> Any:
                    if row.seq != seq:
                        raise ConflictError(f"case {cid} was changed while the job ran; it "
                                            "is escalated on the next run if still overdue")
                    return self._escalate_row(
                        op, row, when, f"超期升级：期限{row.deadline.isoformat()}已过",
                        overdue=True, deadline=deadline)
                done = _each(op, self, cid, escalate, failed)
                if done is not None:
                    out.append(self._case(done))
            op.detail["escalated"] = len(out)
            if failed:
                op.detail["failed"] = [f.case_id for f in failed]
        return JobResult(tuple(out), tuple(sorted(failed, key=lambda f: f.case_id)))

    # ------------------------------------------------------------------ reading

    def get(self, actor: Actor, case_id: str, *, reveal: bool = False,
            reason: str | None = None) -> Case:
        """One case (the reporter's name as stored; phones are never returned).

        ID and mobile numbers someone typed into the description are masked, unless
        ``reveal`` is asked with a reason by an actor who may read ID numbers there
        (``resident.read_id_number``: the community office and above, or the reporter); the
        reading is then written to the access log. A grid leader never sees them in full.

        Raises:
            NotFound: no such case.
            PermissionDenied: the case is outside the actor's scope, or ``reveal`` without the
                right.
            ValidationError: ``reveal`` without a reason.
        """
        if reveal and (not reason or not reason.strip()):
            raise ValidationError("revealing the numbers in a case's text needs a reason, kept "
                                  "in the access log; pass reason=...", path="reason")
        with self._read(actor, "cases.get") as op:
            row = self._row(op, case_id)
            target = self._read_target(row)
            op.require(CASE_READ, target)
            if reveal:
                op.require(RESIDENT_READ_ID, target)
                op.log_access(RESIDENT_READ_ID, target, (reason or "").strip())
            return self._case(row, self._addresses(op, [row.building_code])[row.building_code],
                              reveal=reveal)

    def history(self, actor: Actor, case_id: str) -> list[Transition]:
        """Every recorded step of a case, in order (流转记录)."""
        with self._read(actor, "cases.history") as op:
            row = self._row(op, case_id)
            op.require(CASE_READ, self._read_target(row))
            rows = op.uow.conn.execute(
                sa.select(ct.case_transitions).where(ct.case_transitions.c.case_id == case_id)
                .order_by(ct.case_transitions.c.seq)).all()
        return [Transition(
            case_id=r.case_id, seq=r.seq, event=CaseEvent(r.event),
            from_status=CaseStatus(r.from_status) if r.from_status else None,
            to_status=CaseStatus(r.to_status), actor=r.actor, at=r.at,
            level=RouteLevel(r.level), unit_code=r.unit_code, handler_id=r.handler_id,
            note=mask_personal_numbers(r.note)) for r in rows]

    def list_cases(
        self, actor: Actor, *, status: CaseStatus | str | Iterable[CaseStatus | str] | None = None,
        category: str | None = None, within: str | None = None, handler_id: str | None = None,
        overdue_on: dt.date | None = None, limit: int | None = 1000,
    ) -> list[Case]:
        """Cases in the actor's scope, newest first, optionally filtered.

        Args:
            actor: who reads.
            status: one status or several.
            category: a category code.
            within: a unit code prefix (sub-district, community, grid...).
            handler_id: cases assigned to this handler.
            overdue_on: only cases open and past their deadline on this day.
            limit: at most this many (``None``: all).
        """
        with self._read(actor, "cases.list") as op:
            q = sa.select(ct.cases).where(scope_clause(
                op.scope(CASE_READ), unit=ct.cases.c.building_code,
                grid=ct.cases.c.grid_code, resident=ct.cases.c.reporter_id))
            if status is not None:
                wanted = [status] if isinstance(status, str) else list(status)
                q = q.where(ct.cases.c.status.in_([CaseStatus(s).value for s in wanted]))
            if category is not None:
                q = q.where(ct.cases.c.category == category)
            if within:
                q = q.where(ct.cases.c.building_code.startswith(within, autoescape=True))
            if handler_id is not None:
                q = q.where(ct.cases.c.handler_id == handler_id)
            if overdue_on is not None:
                q = q.where(ct.cases.c.status.in_([s.value for s in OPEN_STATUSES]),
                            ct.cases.c.deadline < overdue_on)
            q = q.order_by(ct.cases.c.reported_at.desc(), ct.cases.c.id)
            if limit is not None:
                q = q.limit(limit)
            rows = op.uow.conn.execute(q).all()
            addr = self._addresses(op, {r.building_code for r in rows})
        return [self._case(r, addr.get(r.building_code, "")) for r in rows]

    @staticmethod
    def _addresses(op: Operation, buildings: Iterable[str]) -> dict[str, str]:
        codes = sorted(set(buildings))
        if not codes:
            return {}
        b = t.units.alias("b")
        c = t.units.alias("c")
        out: dict[str, str] = {}
        for part in _chunks(codes):
            rows = op.uow.conn.execute(
                sa.select(b.c.code, b.c.name, c.c.name.label("community"))
                .join(c, c.c.code == b.c.parent_code).where(b.c.code.in_(part)))
            out.update({r.code: f"{r.community}{r.name}" for r in rows})
        return out
