"""Cases (事务): report, route up the four levels, handle, escalate overdue, report on them.

Reached as ``gov.cases``. Every change of a case is one transition of the state machine in
:mod:`community_governance.domain.cases`, recorded in the append-only ``case_transitions``
journal with its actor and time. Deadlines are counted in working days of the official calendar
given by the ``cgov_working_day_calendar`` hook and are stored on the case.

Time of an operation: by default "now"; an ``at`` argument records a step that happened
earlier (the phone app collects matters on the spot and may sync later). ``at`` may not lie in
the future, nor before the case's previous step.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import pendulum
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.calendars import WorkingDayCalendar
from community_governance.domain.access import (
    Action,
    Actor,
    ActorKind,
    Principal,
    Target,
    can,
)
from community_governance.domain.actions import (
    COMMUNITY_OFFICE,
    HIGHER_OFFICE,
    LOCAL_POSTS,
    REPORT_READ,
)
from community_governance.domain.cases import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Case,
    CaseCategory,
    CaseEvent,
    CaseStatus,
    Channel,
    RouteLevel,
    RouteStep,
    Transition,
    next_status,
    percentile,
    validate_satisfaction,
)
from community_governance.domain.posts import Post, PostKind
from community_governance.errors import (
    ConflictError,
    InvalidTransition,
    NotFound,
    ValidationError,
)
from community_governance.plugins import expect_each, expect_int, expect_type
from community_governance.services.base import Operation, Service, load_posts, post_from_row
from community_governance.services.registry import _bulk_insert
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import cases as ct
from community_governance.storage.tables import core as t

if TYPE_CHECKING:
    from community_governance.facade import Governance

__all__ = [
    "CASE_CLOSE",
    "CASE_EXPORT",
    "CASE_HANDLE",
    "CASE_IMPORT",
    "CASE_READ",
    "CASE_REPORT",
    "CaseRecord",
    "CaseReport",
    "CasesService",
    "HistoryStep",
    "ImportResult",
]

#: Report a case: staff near the households, or a resident as themselves.
CASE_REPORT = Action("case.report", roles=COMMUNITY_OFFICE | HIGHER_OFFICE | LOCAL_POSTS,
                     self_service=True)
#: Read cases (they carry the reporter's name): staff in scope, or the reporter.
CASE_READ = Action("case.read", roles=COMMUNITY_OFFICE | HIGHER_OFFICE | LOCAL_POSTS,
                   self_service=True, personal=True)
#: Assign, start, resolve, escalate a case at the level that holds it.
CASE_HANDLE = Action("case.handle", roles=COMMUNITY_OFFICE | HIGHER_OFFICE | frozenset(
    {PostKind.GRID_LEADER, PostKind.ASSIGNED_CADRE}))
#: Close (回访) or reopen a resolved case: the community office, or the reporter.
CASE_CLOSE = Action("case.close", roles=COMMUNITY_OFFICE | HIGHER_OFFICE, self_service=True)
#: Export cases (Open311): personal data is masked.
CASE_EXPORT = Action("case.export", roles=COMMUNITY_OFFICE | HIGHER_OFFICE)
#: Import cases from another system.
CASE_IMPORT = Action("case.import", roles=HIGHER_OFFICE | frozenset(
    {PostKind.SECRETARY, PostKind.DIRECTOR}))


#: One case row, changed only if no one else changed it since it was read (optimistic lock);
#: the SET columns come from the parameters.
_GUARDED_UPDATE = ct.cases.update().where(ct.cases.c.id == sa.bindparam("k_id"),
                                          ct.cases.c.seq == sa.bindparam("k_seq"))


def _expect_category(value: Any) -> CaseCategory:
    return expect_type(CaseCategory)(value)


def _expect_route(value: Any) -> list[RouteStep]:
    steps = expect_each(expect_type(RouteStep))(value)
    if not steps:
        raise ValueError("a route needs at least one step")
    levels = [int(s.level) for s in steps]
    if levels != sorted(set(levels)):
        raise ValueError(f"route levels must rise strictly, got {levels}")
    return steps


def _expect_dirs(value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise TypeError(f"expected a list of directories, got {type(value).__name__}")
    return list(value)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _plain(day: dt.date) -> dt.date:
    return dt.date(day.year, day.month, day.day)


@attrs.frozen
class ImportResult:
    """What :meth:`CasesService.import_open311` did.

    Attributes:
        created: the ids of the cases created.
        skipped: the ids already present (an import can be repeated safely).
    """

    created: tuple[str, ...]
    skipped: tuple[str, ...]


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


@attrs.frozen
class CaseReport:
    """Case statistics (事务统计) of a period, inside the reader's scope.

    Attributes:
        start: first day of the period (county date).
        end: last day of the period.
        total: cases reported in the period.
        by_category: counts per category code.
        by_grid: counts per grid code (``-`` for buildings without a grid).
        by_month: counts per ``YYYY-MM`` (county time).
        by_status: counts per current status.
        by_channel: counts per channel.
        resolved: cases resolved (or closed).
        median_days: median handling time in working days (report to resolution).
        p90_days: 90th percentile of the handling time in working days.
        overdue: cases resolved after a deadline, escalated for being late, or open past
            their deadline on the day of the report.
        overdue_share: ``overdue / total``.
        escalated: cases escalated at least once.
        load: per handler: cases assigned in the period and cases open on them now.
        satisfaction: count, mean, distribution 1-5 and share satisfied (4 or 5).
    """

    start: dt.date
    end: dt.date
    total: int
    by_category: dict[str, int]
    by_grid: dict[str, int]
    by_month: dict[str, int]
    by_status: dict[str, int]
    by_channel: dict[str, int]
    resolved: int
    median_days: float | None
    p90_days: float | None
    overdue: int
    overdue_share: float | None
    escalated: int
    load: dict[str, dict[str, int]]
    satisfaction: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = attrs.asdict(self)
        out["start"] = self.start.isoformat()
        out["end"] = self.end.isoformat()
        return out


class CasesService(Service):
    """Cases (事务): report, route, handle, escalate, export. Reached as ``gov.cases``."""

    def __init__(self, gov: Governance) -> None:
        super().__init__(gov)
        self._calendar: WorkingDayCalendar | None = None

    # ------------------------------------------------------------------ hooks

    def calendar(self) -> WorkingDayCalendar:
        """The working-day calendar from the hooks (asked once per ``Governance``).

        Raises:
            PluginError: a plugin answered something that is not a calendar.
        """
        if self._calendar is None:
            dirs = [d for _, ds in self._hooks.all("cgov_holiday_data_dirs", _expect_dirs)
                    for d in ds]
            self._calendar = self._hooks.first(
                "cgov_working_day_calendar", expect_type(WorkingDayCalendar), extra_dirs=dirs)
        return self._calendar

    def categories(self) -> list[CaseCategory]:
        """The case categories (事务类别) from the hooks; for one code the first answer wins."""
        found: dict[str, CaseCategory] = {}
        for _, cats in self._hooks.all("cgov_case_categories", expect_each(_expect_category)):
            for c in cats:
                found.setdefault(c.code, c)
        return list(found.values())

    def _category(self, code: str) -> CaseCategory:
        for c in self.categories():
            if c.code == code:
                return c
        known = ", ".join(f"{c.code} ({c.name})" for c in self.categories())
        raise ValidationError(f"unknown case category {code!r}; use one of {known}",
                              path="category")

    def _deadline_days(self, category: str, level: RouteLevel) -> int:
        return self._hooks.first("cgov_case_deadline", expect_int(minimum=1, maximum=60),
                                 category=category, level=level)

    def deadline_for(self, category: str, level: RouteLevel, start: dt.date) -> dt.date:
        """The deadline of a case of ``category`` at ``level`` that starts on ``start``.

        Raises:
            CalendarYearMissing: the count runs into a year with no official arrangement.
        """
        return self.calendar().add_working_days(
            _plain(start), self._deadline_days(category, RouteLevel(level)))

    def route_for(self, category: str, building_code: str, grid_code: str | None,
                  community_code: str) -> list[RouteStep]:
        """The route of a case of ``category`` at a building, from ``cgov_case_route``.

        Args:
            category: the category code.
            building_code: the building.
            grid_code: the building's grid, if any.
            community_code: the building's community.

        Raises:
            PluginError: a plugin answered something that is not a rising route.
        """
        return self._hooks.first("cgov_case_route", _expect_route, category=category,
                                 building_code=building_code, grid_code=grid_code,
                                 community_code=community_code)

    # ------------------------------------------------------------------ helpers

    def _local(self, moment: dt.datetime) -> dt.date:
        return _plain(pendulum.instance(moment).in_timezone(self._gov.timezone).date())

    def _when(self, op: Operation, at: dt.datetime | None,
              after: dt.datetime | None = None) -> pendulum.DateTime:
        if at is None:
            when = op.now
        else:
            if not isinstance(at, dt.datetime) or at.tzinfo is None:
                raise ValidationError(
                    f"at={at!r} must be a timezone-aware datetime (e.g. pendulum.datetime(..., "
                    "tz='Asia/Shanghai'))", path="at")
            when = pendulum.instance(at).in_timezone("UTC")
            if when > op.now.add(minutes=5):
                raise ValidationError(
                    f"at={when.isoformat()} lies in the future; record steps when they happen",
                    path="at")
        if after is not None and when < after:
            raise ValidationError(
                f"at={when.isoformat()} is before the case's previous step "
                f"({pendulum.instance(after).isoformat()}); steps are recorded in order",
                path="at")
        return when

    def _row(self, op: Operation, case_id: str, *, lock: bool = False) -> Any:
        q = sa.select(ct.cases).where(ct.cases.c.id == case_id)
        if lock:
            q = q.with_for_update()
        row = op.uow.conn.execute(q).first()
        if row is None:
            raise NotFound("case", case_id, "check the case number (cgov cases list)")
        return row

    @staticmethod
    def _read_target(row: Any) -> Target:
        return Target("case", row.id, unit_code=row.building_code, grid_code=row.grid_code,
                      owner_id=row.reporter_id)

    @staticmethod
    def _handle_target(row: Any) -> Target:
        grid = row.grid_code if row.level == RouteLevel.GRID else None
        return Target("case", row.id, unit_code=row.unit_code, grid_code=grid)

    @staticmethod
    def _route(row: Any) -> list[RouteStep]:
        return [RouteStep(RouteLevel(lv), unit, dept) for lv, unit, dept in json.loads(row.route)]

    def _case(self, row: Any, address: str = "") -> Case:
        return Case(
            id=row.id, category=row.category, channel=Channel(row.channel),
            description=row.description, status=CaseStatus(row.status),
            level=RouteLevel(row.level), unit_code=row.unit_code, department=row.department,
            building_code=row.building_code, grid_code=row.grid_code,
            community_code=row.community_code, household_id=row.household_id,
            reporter_id=row.reporter_id, reporter_name=row.reporter_name,
            handler_id=row.handler_id, reported_at=row.reported_at, deadline=row.deadline,
            updated_at=row.updated_at, resolved_at=row.resolved_at, closed_at=row.closed_at,
            satisfaction=row.satisfaction, escalations=row.escalations, lat=row.lat,
            long=row.long, media_url=row.media_url, address=address,
        )

    def _step(
        self, op: Operation, row: Any, event: CaseEvent, when: pendulum.DateTime, *,
        note: str = "", to_status: CaseStatus | None = None, **changes: Any,
    ) -> Any:
        """Apply one transition: guarded update of the case, one journal row."""
        old = CaseStatus(row.status)
        new = to_status if to_status is not None else next_status(old, event)
        seq = row.seq + 1
        values = {"status": new.value, "updated_at": when, "seq": seq, **changes}
        done = op.uow.conn.execute(_GUARDED_UPDATE, {**values, "k_id": row.id,
                                                     "k_seq": row.seq})
        if done.rowcount != 1:
            raise ConflictError(
                f"case {row.id} was changed by someone else meanwhile; reload it and retry")
        level = values.get("level", row.level)
        unit = values.get("unit_code", row.unit_code)
        handler = values.get("handler_id", row.handler_id)
        try:
            op.uow.conn.execute(ct.case_transitions.insert(), {
                "case_id": row.id, "seq": seq, "event": event.value,
                "from_status": old.value, "to_status": new.value, "actor": str(op.actor),
                "at": when, "level": int(level), "unit_code": unit, "handler_id": handler,
                "note": note})
        except IntegrityError:
            raise ConflictError(
                f"case {row.id} was changed by someone else meanwhile; reload it and retry"
            ) from None
        op.touch("case", row.id)
        op.emit(f"case.{event.value}", {"case_id": row.id, "status": new.value,
                                        "level": RouteLevel(level).key, "unit_code": unit})
        return self._row(op, row.id)

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
        with self._write(actor, "cases.report") as op:
            row = self._report(op, category=category, building_code=building_code,
                               description=description, channel=channel,
                               household_id=household_id, reporter_id=reporter_id,
                               reporter_name=reporter_name, reporter_phone=reporter_phone,
                               lat=lat, long=long, media_url=media_url, case_id=case_id, at=at)
            return self._case(row)

    def _report(self, op: Operation, *, category: str, building_code: str, description: str,
                channel: Channel | str, household_id: str | None, reporter_id: str | None,
                reporter_name: str | None, reporter_phone: str | None, lat: float | None,
                long: float | None, media_url: str | None, case_id: str | None,
                at: dt.datetime | None, status: CaseStatus | None = None,
                note: str = "", source: str | None = None,
                extra: Mapping[str, Any] | None = None) -> Any:
        conn = op.uow.conn
        self._category(category)
        try:
            chan = Channel(channel)
        except ValueError:
            raise ValidationError(f"channel {channel!r} is not one of "
                                  f"{[c.value for c in Channel]}", path="channel") from None
        if not description or not description.strip():
            raise ValidationError("describe the matter (description is empty)",
                                  path="description")
        if op.actor.kind is ActorKind.RESIDENT:
            reporter_id = op.actor.id
        b = conn.execute(sa.select(t.buildings.c.code, t.buildings.c.grid_code,
                                   t.buildings.c.community_code)
                         .where(t.buildings.c.code == building_code)).first()
        if b is None:
            raise NotFound("building", building_code, "report at a registered building")
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
        for value, lo, hi, path in ((lat, -90, 90, "lat"), (long, -180, 180, "long")):
            if value is not None and not lo <= value <= hi:
                raise ValidationError(f"{path} must be within {lo}..{hi}", path=path)
        when = self._when(op, at)
        route = self.route_for(category, b.code, b.grid_code, b.community_code)
        self._check_route_units(op, route)
        first = route[0]
        deadline = self.deadline_for(category, first.level, self._local(when))
        if extra and extra.get("deadline"):
            deadline = extra["deadline"]
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
            "reporter_phone": self._gov.cipher.seal(reporter_phone), "handler_id": None,
            "reported_at": when, "deadline": deadline, "updated_at": when, "seq": 1,
            "escalations": 0, "lat": lat, "long": long, "media_url": media_url,
            "source": source,
        }
        if extra:
            values.update({k: v for k, v in extra.items() if k != "deadline"})
        try:
            conn.execute(ct.cases.insert(), values)
        except IntegrityError:
            raise ConflictError(f"case {cid} exists already") from None
        event = CaseEvent.REPORT if status is None else CaseEvent.IMPORT
        conn.execute(ct.case_transitions.insert(), {
            "case_id": cid, "seq": 1, "event": event.value, "from_status": None,
            "to_status": st.value, "actor": str(op.actor), "at": values["updated_at"],
            "level": int(values["level"]), "unit_code": values["unit_code"],
            "handler_id": values["handler_id"], "note": note})
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
        with self._write(actor, f"cases.{event.value}") as op:
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
                changes["handling_days"] = self.calendar().working_days_between(
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
                changes["deadline"] = self.deadline_for(row.category, RouteLevel(row.level),
                                                        day)
            return self._case(self._step(op, row, event, when, note=note, **changes))

    def escalate(self, actor: Actor, case_id: str, *, reason: str,
                 at: dt.datetime | None = None) -> Case:
        """Move an open case one level up its route by hand (上报上级), with a new deadline.

        Raises:
            InvalidTransition: the case is not open, or is at the top of its route.
        """
        with self._write(actor, "cases.escalate") as op:
            row = self._row(op, case_id, lock=True)
            op.require(CASE_HANDLE, self._handle_target(row))
            when = self._when(op, at, row.updated_at)
            out = self._escalate_row(op, row, when, reason or "上报上级", overdue=False)
            return self._case(out)

    def _escalate_row(self, op: Operation, row: Any, when: pendulum.DateTime, note: str,
                      *, overdue: bool) -> Any:
        next_status(CaseStatus(row.status), CaseEvent.ESCALATE)
        route = self._route(row)
        higher = [s for s in route if s.level > row.level]
        if not higher:
            raise InvalidTransition(
                f"case {row.id} is at the top of its route ({RouteLevel(row.level).chinese} "
                f"{row.department or row.unit_code}); it cannot be escalated further")
        step = higher[0]
        deadline = self.deadline_for(row.category, step.level, self._local(when))
        changes: dict[str, Any] = {
            "level": int(step.level), "unit_code": step.unit_code,
            "department": step.department, "handler_id": None, "deadline": deadline,
            "escalations": row.escalations + 1,
        }
        if overdue:
            changes["was_overdue"] = True
        return self._step(op, row, CaseEvent.ESCALATE, when, note=note, **changes)

    def escalate_overdue(self, actor: Actor, now: dt.datetime | None = None) -> list[Case]:
        """Move every overdue open case one level up (超期自动升级): a system job.

        A case is overdue when its county date of ``now`` is after its deadline. Each one
        moves to the next step of its route, gets that level's deadline counted from today in
        working days, and the escalation is recorded with the actor and ``now``. Cases at the
        top of their route stay where they are (they remain overdue in the reports). Staff
        may run it too; it then touches only cases at levels they handle.

        Args:
            actor: usually ``Actor.system("escalation")``.
            now: the job's time (default: now); not in the future.

        Returns:
            The escalated cases, as they are after the escalation.
        """
        with self._write(actor, "cases.escalate_overdue") as op:
            when = self._when(op, now)
            today = self._local(when)
            q = (sa.select(ct.cases)
                 .where(ct.cases.c.status.in_([s.value for s in OPEN_STATUSES]),
                        ct.cases.c.deadline < today, ct.cases.c.level < int(RouteLevel.COUNTY),
                        ct.cases.c.updated_at <= when)
                 .order_by(ct.cases.c.deadline, ct.cases.c.id))
            if op.actor.kind is not ActorKind.SYSTEM:
                q = q.where(scope_clause(op.scope(CASE_HANDLE), unit=ct.cases.c.unit_code))
            out: list[Case] = []
            for row in op.uow.conn.execute(q.with_for_update()).all():
                if len([s for s in self._route(row) if s.level > row.level]) == 0:
                    continue
                if not op.allowed(CASE_HANDLE, self._handle_target(row)):
                    continue
                new = self._escalate_row(
                    op, row, when, f"超期升级：期限{row.deadline.isoformat()}已过", overdue=True)
                out.append(self._case(new))
            op.detail["escalated"] = len(out)
            return out

    # ------------------------------------------------------------------ reading

    def get(self, actor: Actor, case_id: str) -> Case:
        """One case (the reporter's name as stored; phones are never returned).

        Raises:
            NotFound: no such case.
            PermissionDenied: the case is outside the actor's scope.
        """
        with self._read(actor, "cases.get") as op:
            row = self._row(op, case_id)
            op.require(CASE_READ, self._read_target(row))
            return self._case(row, self._addresses(op, [row.building_code])[row.building_code])

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
            note=r.note) for r in rows]

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
        for i in range(0, len(codes), 500):
            rows = op.uow.conn.execute(
                sa.select(b.c.code, b.c.name, c.c.name.label("community"))
                .join(c, c.c.code == b.c.parent_code).where(b.c.code.in_(codes[i:i + 500])))
            out.update({r.code: f"{r.community}{r.name}" for r in rows})
        return out

    # ------------------------------------------------------------------ reports

    def case_report(
        self, actor: Actor, *, start: dt.date | None = None, end: dt.date | None = None,
        year: int | None = None, within: str | None = None, as_of: dt.date | None = None,
    ) -> CaseReport:
        """Case statistics of a period inside the actor's scope (事务统计).

        Args:
            actor: who reads (``report.read`` scope).
            start: first county day of the period (default: 1 January of ``year`` or of
                this year).
            end: last county day of the period (default: 31 December of that year).
            year: shorthand for a calendar year.
            within: only under this unit code.
            as_of: the day open cases are judged overdue on (default: today, or ``end`` if
                the period is over).
        """
        with self._read(actor, "cases.report") as op:
            y = year or op.today.year
            start = start or dt.date(y, 1, 1)
            end = end or dt.date(y, 12, 31)
            if end < start:
                raise ValidationError("the period ends before it starts", path="end")
            as_of = as_of or min(op.today, end)
            lo = pendulum.datetime(start.year, start.month, start.day, tz=self._gov.timezone)
            hi = pendulum.datetime(end.year, end.month, end.day,
                                   tz=self._gov.timezone).add(days=1)
            c = ct.cases.c
            where = [scope_clause(op.scope(REPORT_READ), unit=c.building_code, grid=c.grid_code),
                     c.reported_at >= lo.in_timezone("UTC"), c.reported_at < hi.in_timezone("UTC")]
            if within:
                where.append(c.building_code.startswith(within, autoescape=True))
            rows = op.uow.conn.execute(sa.select(
                c.id, c.category, c.grid_code, c.reported_at, c.status, c.channel,
                c.handling_days, c.was_overdue, c.deadline, c.escalations, c.satisfaction,
                c.handler_id).where(*where)).all()
            tr = ct.case_transitions.c
            assigned = op.uow.conn.execute(
                sa.select(tr.handler_id, sa.func.count(sa.distinct(tr.case_id)))
                .select_from(ct.case_transitions.join(ct.cases, ct.cases.c.id == tr.case_id))
                .where(tr.event == CaseEvent.ASSIGN.value, *where)
                .group_by(tr.handler_id)).all()
        tz = self._gov.timezone
        by_cat: Counter[str] = Counter()
        by_grid: Counter[str] = Counter()
        by_month: Counter[str] = Counter()
        by_status: Counter[str] = Counter()
        by_channel: Counter[str] = Counter()
        days: list[int] = []
        overdue = escalated = 0
        sat: Counter[int] = Counter()
        open_load: Counter[str] = Counter()
        open_values = {s.value for s in OPEN_STATUSES}
        closed_values = {s.value for s in CLOSED_STATUSES}
        for r in rows:
            by_cat[r.category] += 1
            by_grid[r.grid_code or "-"] += 1
            by_month[r.reported_at.astimezone(tz).strftime("%Y-%m")] += 1
            by_status[r.status] += 1
            by_channel[r.channel] += 1
            is_open = r.status in open_values
            if r.handling_days is not None and r.status in closed_values:
                days.append(r.handling_days)
            if r.was_overdue or (is_open and r.deadline < as_of):
                overdue += 1
            if r.escalations:
                escalated += 1
            if r.satisfaction is not None:
                sat[r.satisfaction] += 1
            if is_open and r.handler_id:
                open_load[r.handler_id] += 1
        load: dict[str, dict[str, int]] = defaultdict(lambda: {"assigned": 0, "open": 0})
        for handler, n in assigned:
            if handler:
                load[handler]["assigned"] = int(n)
        for handler, n in open_load.items():
            load[handler]["open"] = n
        rated = sum(sat.values())
        satisfaction = {
            "rated": rated,
            "mean": round(sum(k * v for k, v in sat.items()) / rated, 3) if rated else None,
            "distribution": {str(k): sat.get(k, 0) for k in range(1, 6)},
            "satisfied_share": round((sat[4] + sat[5]) / rated, 4) if rated else None,
        }
        total = len(rows)
        return CaseReport(
            start=start, end=end, total=total, by_category=dict(by_cat.most_common()),
            by_grid=dict(sorted(by_grid.items())), by_month=dict(sorted(by_month.items())),
            by_status=dict(by_status.most_common()), by_channel=dict(by_channel.most_common()),
            resolved=len(days), median_days=_round(percentile(days, 50)),
            p90_days=_round(percentile(days, 90)),
            overdue=overdue, overdue_share=round(overdue / total, 4) if total else None,
            escalated=escalated,
            load={k: load[k] for k in sorted(load, key=lambda h: (-load[h]["assigned"], h))},
            satisfaction=satisfaction,
        )

    # ------------------------------------------------------------------ Open311

    def open311_services(self) -> list[dict[str, Any]]:
        """The categories as GeoReport v2 *services* (``services.json``)."""
        from community_governance.io.open311 import category_to_service

        return [category_to_service(c) for c in self.categories()]

    def export_open311(
        self, actor: Actor, *, within: str | None = None, start: dt.date | None = None,
        end: dt.date | None = None, zipcode: str | None = None,
    ) -> list[dict[str, Any]]:
        """Cases as GeoReport v2 service requests (``requests.json``), personal data masked.

        ID numbers and phone numbers typed into descriptions are masked, reporter names are
        masked (``张*``), and the reporter's phone is never included.

        Args:
            actor: who exports (``case.export`` scope).
            within: only under this unit code.
            start: only cases reported on or after this county day.
            end: only cases reported on or before this county day.
            zipcode: the postal code to put in ``zipcode`` (e.g. 472300 for Yima).
        """
        from community_governance.io.open311 import case_to_request

        cats = {c.code: c for c in self.categories()}
        with self._read(actor, "cases.export") as op:
            c = ct.cases.c
            q = sa.select(ct.cases).where(scope_clause(
                op.scope(CASE_EXPORT), unit=c.building_code, grid=c.grid_code))
            if within:
                q = q.where(c.building_code.startswith(within, autoescape=True))
            if start:
                q = q.where(c.reported_at >= pendulum.datetime(
                    start.year, start.month, start.day, tz=self._gov.timezone).in_timezone("UTC"))
            if end:
                q = q.where(c.reported_at < pendulum.datetime(
                    end.year, end.month, end.day, tz=self._gov.timezone).add(days=1)
                    .in_timezone("UTC"))
            rows = op.uow.conn.execute(q.order_by(c.reported_at, c.id)).all()
            addr = self._addresses(op, {r.building_code for r in rows})
            codes = {r.unit_code for r in rows} | {r.unit_code[:12] for r in rows
                                                   if "-" in r.unit_code}
            units = dict(op.uow.conn.execute(
                sa.select(t.units.c.code, t.units.c.name).where(
                    t.units.c.code.in_(codes))).all())
            for code in [k for k in units if "-" in k]:  # a grid: name it with its community
                units[code] = units.get(code[:12], "") + units[code]
            notes = self._last_notes(op, [r.id for r in rows])
        out = []
        for r in rows:
            case = self._case(r, addr.get(r.building_code, ""))
            agency = r.department or units.get(r.unit_code, r.unit_code)
            out.append(case_to_request(case, cats.get(r.category), agency=agency,
                                       timezone=self._gov.timezone, zipcode=zipcode,
                                       status_notes=notes.get(r.id)))
        return out

    @staticmethod
    def _last_notes(op: Operation, ids: list[str]) -> dict[str, str]:
        tr = ct.case_transitions.c
        out: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            rows = op.uow.conn.execute(
                sa.select(tr.case_id, tr.seq, tr.note).where(
                    tr.case_id.in_(chunk), tr.note != "").order_by(tr.case_id, tr.seq))
            for r in rows:
                out[r.case_id] = r.note
        return out

    def import_open311(self, actor: Actor, requests: Sequence[Mapping[str, Any]], *,
                       source: str = "open311") -> ImportResult:
        """Create cases from GeoReport v2 service requests (all or nothing).

        ``service_code`` must be a known category and ``address_id`` a registered building.
        Ids already present are skipped, so an import can be repeated. Each case gets one
        ``import`` transition in the status the source reported.

        Raises:
            ValidationError: a request breaks GeoReport v2 (the path names it).
            NotFound: a building does not exist.
        """
        from community_governance.io.open311 import parse_request

        parsed = [parse_request(r, path=f"$[{i}]") for i, r in enumerate(requests)]
        created: list[str] = []
        skipped: list[str] = []
        with self._write(actor, "cases.import") as op:
            existing = set(op.uow.conn.execute(sa.select(ct.cases.c.id).where(
                ct.cases.c.id.in_([p.id for p in parsed]))).scalars())
            for p in parsed:
                if p.id in existing:
                    skipped.append(p.id)
                    continue
                op.require(CASE_IMPORT, Target("case", p.id, unit_code=p.building_code))
                extra: dict[str, Any] = {"updated_at": p.updated_at or p.requested_at}
                if p.expected is not None:
                    extra["deadline"] = self._local(p.expected)
                if p.status in CLOSED_STATUSES:
                    extra["resolved_at"] = p.updated_at or p.requested_at
                if p.status is CaseStatus.CLOSED:
                    extra["closed_at"] = p.updated_at or p.requested_at
                    extra["satisfaction"] = p.satisfaction
                if extra["updated_at"] > op.now.add(minutes=5):
                    raise ValidationError("updated_datetime lies in the future",
                                          path=f"{p.path}.updated_datetime")
                self._report(
                    op, category=p.category, building_code=p.building_code,
                    description=p.description, channel=p.channel, household_id=None,
                    reporter_id=None, reporter_name=p.reporter_name, reporter_phone=None,
                    lat=p.lat, long=p.long, media_url=p.media_url, case_id=p.id,
                    at=p.requested_at, status=p.status, note=p.status_notes or "",
                    source=source, extra=extra)
                existing.add(p.id)
                created.append(p.id)
            return ImportResult(tuple(created), tuple(skipped))

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


def _chunks(values: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


class _Replay:
    """Replays case histories for :meth:`CasesService.import_history` (one batch)."""

    def __init__(self, service: CasesService, op: Operation, posts_of: Mapping[str, list[Post]],
                 staff_ids: set[str]) -> None:
        self.svc = service
        self.op = op
        self.posts_of = posts_of
        self.staff_ids = staff_ids
        self.categories = {c.code for c in service.categories()}
        self.calendar = service.calendar()
        self.tz = service._gov.timezone
        self.ops: dict[Actor, Operation] = {}
        self.deadlines: dict[tuple[str, int, dt.date], dt.date] = {}
        self.routes: dict[tuple[str, str], list[RouteStep]] = {}
        self.units: set[str] = set()
        self.handlers: dict[str, Principal] = {}
        self.latest = op.now.add(minutes=5)
        self.narrowing = bool(service._hooks.implementations("cgov_narrow_permission"))
        self.granted: set[tuple[Actor, Action, str | None, str | None, str | None]] = set()

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

        The built-in policy depends only on the actor's posts and the target's units and
        owner, so a grant is remembered for the batch, unless plugins narrow permissions
        (they are asked for every target).
        """
        if self.narrowing:
            self._as(actor).require(action, target)
            return
        key = (actor, action, target.unit_code, target.grid_code, target.owner_id)
        if key not in self.granted:
            self._as(actor).require(action, target)
            self.granted.add(key)

    def _deadline(self, category: str, level: int, day: dt.date) -> dt.date:
        key = (category, level, day)
        got = self.deadlines.get(key)
        if got is None:
            got = self.deadlines[key] = self.svc.deadline_for(category, RouteLevel(level), day)
        return got

    def _local(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.tz).date()

    def _handler_ok(self, handler_id: str, actor: Actor, level: int, target: Target) -> bool:
        """The rule of :meth:`CasesService._check_handler`, with the posts loaded per batch."""
        posts = self.posts_of.get(handler_id, [])
        principal = self.handlers.get(handler_id)
        if principal is None:
            principal = self.handlers[handler_id] = Principal.of(
                Actor.staff(handler_id), posts, self.op.today)
        if can(principal, CASE_HANDLE, target):
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
        if rec.category not in self.categories:
            self.svc._category(rec.category)  # raises with the known categories
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
        route = self.routes.get(rkey)
        if route is None:
            route = self.routes[rkey] = self.svc.route_for(
                rec.category, bld.code, bld.grid_code, bld.community_code)
            self.units.update(s.unit_code for s in route)
        read_target = Target("case", rec.id, unit_code=bld.code, grid_code=bld.grid_code,
                             owner_id=reporter_id)
        state: dict[str, Any] = {
            "id": rec.id, "category": rec.category, "channel": chan.value,
            "description": rec.description.strip(), "status": None,
            "level": int(route[0].level), "unit_code": route[0].unit_code,
            "department": route[0].department,
            "route": json.dumps([[int(s.level), s.unit_code, s.department] for s in route],
                                ensure_ascii=False),
            "building_code": bld.code, "grid_code": bld.grid_code,
            "community_code": bld.community_code, "household_id": rec.household_id,
            "reporter_id": reporter_id, "reporter_name": reporter_name,
            "reporter_phone": None, "handler_id": None, "reported_at": None,
            "deadline": None, "updated_at": None, "resolved_at": None, "closed_at": None,
            "satisfaction": None, "escalations": 0, "handling_days": None,
            "was_overdue": False, "seq": 0, "lat": rec.lat, "long": rec.long,
            "media_url": rec.media_url, "source": source,
        }
        journal: list[dict[str, Any]] = []
        status: CaseStatus | None = None
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
                state["deadline"] = self._deadline(rec.category, level, self._local(when))
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
                    state["handling_days"] = self.calendar.working_days_between(
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
                             deadline=self._deadline(rec.category, level, self._local(when)))
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
                             deadline=self._deadline(rec.category, int(up.level), day),
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
            status = new
        return state, journal
