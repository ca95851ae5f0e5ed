"""A year of cases for the demo city: the two sub-districts that use the phone app.

:func:`seed_cases` simulates a year of matters in 千秋路 and 泰山路 (by default) in time order:
residents report and staff collect cases at realistic per-household rates by category,
handlers at the right level assign, start and resolve them, a nightly system job escalates
the overdue ones (which the next level then handles), and the community office calls back
for the resident's satisfaction. Routes and deadlines come from the hooks and the official
calendar (``gov.cases.route_for``, ``gov.cases.deadline_for``). The simulated histories are
then written through :meth:`~community_governance.services.cases.CasesService.import_history`,
which replays every step through the lifecycle with the same checks as the live operations
(permissions, handlers, times, deadlines) and writes a batch per transaction. Random choices
come from one seeded generator, so a seed gives the same city every time (case keys
included).
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import attrs
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.cases import (
    CaseEvent,
    CaseStatus,
    Channel,
    RouteLevel,
    RouteStep,
)
from community_governance.domain.posts import PostKind
from community_governance.errors import NotFound
from community_governance.services.cases import CaseRecord, HistoryStep
from community_governance.storage.tables import core as t

if TYPE_CHECKING:
    from community_governance.facade import Governance  # the demo is a caller of the façade

__all__ = ["CATEGORY_RATES", "SeedSummary", "seed_cases"]

#: Cases per household per year, by category (from the sub-districts' app statistics).
CATEGORY_RATES: dict[str, float] = {
    "repair": 0.11,
    "sanitation": 0.07,
    "property": 0.05,
    "care": 0.04,
    "dispute": 0.03,
    "safety": 0.02,
    "other": 0.02,
}
_CHANNELS = ((Channel.APP, 0.5), (Channel.PHONE, 0.2), (Channel.WALK_IN, 0.15),
             (Channel.WECHAT, 0.15))
_SATISFACTION = ((5, 0.55), (4, 0.28), (3, 0.10), (2, 0.04), (1, 0.03))
_TEXT = {
    "repair": ["楼道灯不亮", "单元门禁损坏", "屋顶漏水", "下水道堵塞", "暖气不热"],
    "sanitation": ["垃圾未及时清运", "楼道堆放杂物", "绿化带有卫生死角"],
    "property": ["小区停车秩序混乱", "物业费公示不清", "电梯维保不及时"],
    "care": ["独居老人需要定期探访", "残疾人申请帮扶", "困难家庭申请临时救助"],
    "dispute": ["邻里噪音纠纷", "楼上漏水引发纠纷", "占用公共空间纠纷"],
    "safety": ["电动车楼道充电", "燃气管道老化", "消防通道被占用"],
    "other": ["咨询政策", "建议增设健身器材"],
}


@attrs.frozen
class SeedSummary:
    """What :func:`seed_cases` added.

    Attributes:
        cases: cases reported.
        resolved: cases resolved at least once.
        closed: cases closed with a satisfaction score.
        escalated: escalations recorded by the nightly job.
        reopened: cases reopened after an unsatisfied call-back.
        operations: service calls made.
    """

    cases: int
    resolved: int
    closed: int
    escalated: int
    reopened: int
    operations: int


def _plain(day: dt.date) -> dt.date:
    return dt.date(day.year, day.month, day.day)


@attrs.define
class _Sim:
    """A case as the simulation tracks it, with the steps recorded so far."""

    id: str
    category: str
    building_code: str
    grid_code: str | None
    community_code: str
    household_id: str
    channel: Channel
    description: str
    reporter_name: str
    route: list[RouteStep]
    level: RouteLevel
    unit_code: str
    deadline: dt.date
    updated_at: dt.datetime
    status: CaseStatus = CaseStatus.REPORTED
    handler_id: str | None = None
    steps: list[HistoryStep] = attrs.field(factory=list)

    def record(self) -> CaseRecord:
        """The case with its history, for ``import_history``."""
        return CaseRecord(id=self.id, category=self.category, building_code=self.building_code,
                          description=self.description, steps=tuple(self.steps),
                          channel=self.channel, household_id=self.household_id,
                          reporter_name=self.reporter_name)


#: per table: its values and cumulative weights (``choices`` sums the weights on every call
#: otherwise; given the same sums it draws the same)
_TABLES: dict[tuple[tuple[Any, float], ...], tuple[list[Any], list[float]]] = {}


def _pick(rng: random.Random, table: tuple[tuple[Any, float], ...]) -> Any:
    got = _TABLES.get(table)
    if got is None:
        got = _TABLES[table] = ([v for v, _ in table],
                                    list(itertools.accumulate(w for _, w in table)))
    return rng.choices(got[0], cum_weights=got[1])[0]


class _Staff:
    """Who handles cases at each unit, from the posts in the registry."""

    def __init__(self, gov: Governance, prefixes: Sequence[str], county: str) -> None:
        with gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(sa.select(t.posts.c.kind, t.posts.c.unit_code,
                                              t.posts.c.holder_id)
                                    .where(t.posts.c.end.is_(None))
                                    .order_by(t.posts.c.id)).all()
            any_staff = uow.conn.execute(sa.select(t.staff.c.id).order_by(t.staff.c.id)
                                         .limit(1)).scalar_one_or_none()
        self.by_unit: dict[str, list[str]] = defaultdict(list)
        office = {PostKind.STAFF.value, PostKind.DIRECTOR.value, PostKind.SECRETARY.value}
        self.callers: dict[str, list[str]] = defaultdict(list)
        for r in rows:
            handles = r.kind == PostKind.GRID_LEADER.value or r.kind in office or r.kind in (
                PostKind.SUBDISTRICT_STAFF.value, PostKind.COUNTY_ADMIN.value)
            if handles and (r.unit_code == county
                            or any(r.unit_code.startswith(p) for p in prefixes)):
                self.by_unit[r.unit_code].append(r.holder_id)
            if r.kind in office:
                self.callers[r.unit_code].append(r.holder_id)
        self.fallback = any_staff

    def handler(self, case: _Sim, rng: random.Random) -> tuple[Actor, str | None]:
        """The actor who handles ``case`` at its level, and the handler to assign."""
        people = self.by_unit.get(case.unit_code) or (
            self.by_unit.get(case.community_code) if case.level <= RouteLevel.COMMUNITY else None)
        if people:
            who = rng.choice(people)
            return Actor.staff(who), who
        return Actor.system("县直部门" if case.level is RouteLevel.COUNTY else "办事处"), (
            self.fallback)

    def actor_of(self, case: _Sim) -> Actor:
        """The handler acting, if they hold a post at the case's unit; else a system job."""
        mine = self.by_unit.get(case.unit_code, []) + (
            self.by_unit.get(case.community_code, []) if case.level <= RouteLevel.COMMUNITY
            else [])
        if case.handler_id and case.handler_id in mine:
            return Actor.staff(case.handler_id)
        return Actor.system("县直部门" if case.level is RouteLevel.COUNTY else "办事处")

    def caller(self, case: _Sim, rng: random.Random) -> Actor:
        people = self.callers.get(case.community_code)
        return Actor.staff(rng.choice(people)) if people else Actor.system("回访")


def seed_cases(
    gov: Governance,
    *,
    year: int = 2019,
    seed: int,
    subdistricts: Sequence[str] = ("千秋路", "泰山路"),
    progress: Callable[[int, int], None] | None = None,
    batch: int = 5000,
    county: str | None = None,
) -> SeedSummary:
    """Add a year of cases in the named sub-districts through the services.

    Args:
        gov: the governance store (the demo city or any city with households).
        year: the year to simulate (needs the official calendar of that year and the next).
        seed: the random seed.
        subdistricts: parts of sub-district names (matched against the unit names); empty
            for every sub-district.
        progress: called as ``progress(done, total)`` while the year is simulated (first
            half) and the cases are written (second half).
        batch: cases per :meth:`~community_governance.services.cases.CasesService.import_history`
            call (one transaction, audited once).
        county: only sub-districts of this county (code prefix); ``None`` for any county.

    Returns:
        Counts of what was added.

    Raises:
        NotFound: no sub-district's name contains any of ``subdistricts``.
    """
    rng = random.Random(seed)
    units = [u for u in gov.registry.list_units("subdistrict")
             if u.code.startswith(county or "")
             and (not subdistricts or any(s in u.name for s in subdistricts))]
    if not units:
        raise NotFound("sub-district named like", ", ".join(subdistricts),
                       "build the demo city first (cgov demo yima)" if county is None else
                       f"name sub-districts of county {county}")
    prefixes = [u.code for u in units]
    county = prefixes[0][:6]
    with gov.store.unit_of_work(write=False) as uow:
        rows = uow.conn.execute(
            sa.select(t.households.c.id, t.households.c.building_code, t.buildings.c.grid_code)
            .join(t.buildings, t.buildings.c.code == t.households.c.building_code)
            .where(sa.or_(*[t.households.c.building_code.startswith(p) for p in prefixes]))
            .order_by(t.households.c.id)).all()
    staff = _Staff(gov, prefixes, county)
    cal = gov.cases.calendar()
    tz = gov.timezone
    # the simulation's clock is the standard library's (zoneinfo): its arithmetic and zone
    # conversions run in C, pendulum's in Python; the demo's zones have no daylight saving,
    # so wall-clock and absolute arithmetic agree (the same instants as before)
    zone = ZoneInfo(tz.name)
    start = dt.datetime(year, 1, 1, tzinfo=zone)
    days = 366 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 365

    # arrivals: per household and category, a Poisson number of cases in the year
    arrivals: list[tuple[dt.datetime, str, str, str]] = []
    grid_of = {r.building_code: r.grid_code for r in rows}
    for hh_id, building, _grid in rows:
        for category, rate in CATEGORY_RATES.items():
            n = 0
            p = rng.random()
            threshold = pow(2.718281828459045, -rate)
            while p > threshold:  # Knuth's Poisson draw
                n += 1
                p *= rng.random()
            for _ in range(n):
                when = start + dt.timedelta(days=rng.randrange(days),
                                            hours=rng.randint(7, 20),
                                            minutes=rng.randrange(60))
                arrivals.append((when, hh_id, building, category))
    arrivals.sort()
    total = len(arrivals)

    counter = itertools.count()
    queue: list[tuple[dt.datetime, int, str, str, int]] = []
    version: dict[str, int] = {}
    for when, hh, building, category in arrivals:
        heapq.heappush(queue, (when, next(counter), "report", f"{hh}|{building}|{category}", 0))
    for d in range(days + 10):
        heapq.heappush(queue, (start + dt.timedelta(days=d, hours=18), next(counter),
                               "escalate", "", 0))

    def later(when: dt.datetime, working_days: int, hour: int) -> dt.datetime:
        day = when.astimezone(zone).date()
        target = cal.add_working_days(dt.date(day.year, day.month, day.day), working_days)
        return dt.datetime(target.year, target.month, target.day, hour, rng.randrange(60),
                           tzinfo=zone)

    deadlines: dict[tuple[str, int, dt.date], dt.date] = {}
    routes: dict[tuple[str, str], list[RouteStep]] = {}

    def deadline(category: str, level: RouteLevel, moment: dt.datetime) -> dt.date:
        """The level's deadline from the county's hooks and calendar (asked once per day;
        the county is named: without a place the service looks up the store's counties on
        every call)."""
        day = _plain(moment.astimezone(zone).date())
        got = deadlines.get((category, int(level), day))
        if got is None:
            got = deadlines[(category, int(level), day)] = gov.cases.deadline_for(
                category, level, day, place=county)
        return got

    def plan_handling(case: _Sim, when: dt.datetime) -> None:
        """Schedule assign → start → resolve for the case's current level."""
        v = version[case.id] = version.get(case.id, 0) + 1
        assign_at = when + dt.timedelta(minutes=rng.randint(10, 240))
        heapq.heappush(queue, (assign_at, next(counter), "assign", case.id, v))
        limit = deadline(case.category, case.level, assign_at)
        allowed = cal.working_days_between(
            dt.date(assign_at.year, assign_at.month, assign_at.day), limit)
        late = rng.random() < (0.10 if case.level <= RouteLevel.COMMUNITY else 0.03)
        k = allowed + rng.randint(1, 3) if late else rng.randint(0, max(allowed, 0))
        resolve_at = (later(assign_at, k, rng.randint(9, 17)) if k
                      else assign_at + dt.timedelta(hours=2))
        heapq.heappush(queue, (resolve_at, next(counter), "resolve", case.id, v))

    system = Actor.system("escalation")
    cases: dict[str, _Sim] = {}
    open_now: dict[str, _Sim] = {}
    reported = resolved = closed = escalated = reopened = ops = 0
    while queue:
        when, _, kind, key, v = heapq.heappop(queue)
        ops += 1
        if kind == "report":
            hh, building, category = key.split("|")
            channel = _pick(rng, _CHANNELS)
            reporter = _reporter_actor(staff, building, grid_of.get(building), channel, rng)
            description = f"{rng.choice(_TEXT[category])}（{hh.rsplit('-', 1)[-1]}室）"
            name = f"{rng.choice('王李张刘陈杨赵黄周吴')}{rng.choice('建国秀英志强桂兰')}"
            cid = f"C{when.astimezone(zone):%Y%m%d}-{rng.getrandbits(32):08X}"
            grid = grid_of.get(building)
            route = routes.get((category, building))
            if route is None:
                route = routes[(category, building)] = gov.cases.route_for(
                    category, building, grid, building[:12])
            case = _Sim(id=cid, category=category, building_code=building, grid_code=grid,
                        community_code=building[:12], household_id=hh, channel=channel,
                        description=description, reporter_name=name, route=route,
                        level=route[0].level, unit_code=route[0].unit_code,
                        deadline=deadline(category, route[0].level, when), updated_at=when)
            case.steps.append(HistoryStep(CaseEvent.REPORT, when, reporter))
            cases[cid] = open_now[cid] = case
            reported += 1
            plan_handling(case, when)
            if progress is not None and reported % 1000 == 0:
                progress(reported // 2, total)
        elif kind == "escalate":
            today = _plain(when.astimezone(zone).date())
            due = sorted((c for c in open_now.values()
                          if c.deadline < today and c.level < RouteLevel.COUNTY
                          and c.updated_at <= when), key=lambda c: (c.deadline, c.id))
            moved: list[_Sim] = []
            for case in due:  # the nightly job (cases.escalate_overdue), in its order
                higher = [s for s in case.route if s.level > case.level]
                if not higher:
                    continue
                case.steps.append(HistoryStep(
                    CaseEvent.ESCALATE, when, system,
                    note=f"超期升级：期限{case.deadline.isoformat()}已过", overdue=True))
                case.level, case.unit_code = higher[0].level, higher[0].unit_code
                case.handler_id = None
                case.status = CaseStatus.REPORTED
                case.deadline = deadline(case.category, case.level, when)
                case.updated_at = when
                moved.append(case)
            for case in moved:
                escalated += 1
                plan_handling(case, later(when, 1, 8))
        elif version.get(key) != v:
            continue  # the case moved on (escalated) since this step was planned
        else:
            case = cases[key]
            if kind == "assign":
                actor, handler = staff.handler(case, rng)
                if handler is None:
                    continue
                case.steps.append(HistoryStep(CaseEvent.ASSIGN, when, actor,
                                              handler_id=handler))
                case.status, case.handler_id, case.updated_at = (
                    CaseStatus.ASSIGNED, handler, when)
                if rng.random() < 0.7:
                    began = when + dt.timedelta(minutes=rng.randint(5, 90))
                    case.steps.append(HistoryStep(CaseEvent.START, began, actor))
                    case.status, case.updated_at = CaseStatus.IN_PROGRESS, began
                    ops += 1
            elif kind == "resolve":
                if case.status not in (CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS):
                    continue
                actor = staff.actor_of(case)
                at = max(when, case.updated_at + dt.timedelta(minutes=1))
                case.steps.append(HistoryStep(CaseEvent.RESOLVE, at, actor, note="已处理完毕"))
                case.status, case.updated_at = CaseStatus.RESOLVED, at
                del open_now[key]
                resolved += 1
                if rng.random() < 0.75:
                    heapq.heappush(queue, (later(at, rng.randint(1, 3), 10), next(counter),
                                           "callback", key, version[key]))
            elif kind == "callback":
                score = _pick(rng, _SATISFACTION)
                actor = staff.caller(case, rng)
                if score <= 2 and rng.random() < 0.5:
                    case.steps.append(HistoryStep(CaseEvent.REOPEN, when, actor,
                                                  note="回访不满意，重新办理"))
                    case.status, case.handler_id, case.updated_at = (
                        CaseStatus.REOPENED, None, when)
                    case.deadline = deadline(case.category, case.level, when)
                    open_now[key] = case
                    reopened += 1
                    plan_handling(case, when)
                else:
                    case.steps.append(HistoryStep(CaseEvent.CLOSE, when, actor,
                                                  satisfaction=score))
                    case.status, case.updated_at = CaseStatus.CLOSED, when
                    closed += 1

    # ---- write: every case with its history, validated and written in batches -------------
    importer = Actor.system("cases-demo")
    records = [c.record() for c in cases.values()]
    for i in range(0, len(records), batch):
        gov.cases.import_history(importer, records[i:i + batch])
        if progress is not None:
            done = min(i + batch, len(records))
            progress(total // 2 + done * (total - total // 2) // max(len(records), 1), total)
    return SeedSummary(reported, resolved, closed, escalated, reopened, ops)


def _reporter_actor(staff: _Staff, building: str, grid: str | None, channel: Channel,
                    rng: random.Random) -> Actor:
    """App cases are collected by the grid leader on the spot; others are entered by the
    community office."""
    if channel is Channel.APP and grid and staff.by_unit.get(grid):
        return Actor.staff(rng.choice(staff.by_unit[grid]))
    community = building[:12]
    people = staff.callers.get(community)
    return Actor.staff(rng.choice(people)) if people else Actor.system("手机APP")
