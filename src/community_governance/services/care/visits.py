"""Visit rounds (festival and weather), visit records, follow-ups and help requests."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import attrs
import pendulum
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.calendars.lunar import Festival
from community_governance.domain.access import Actor, ActorKind, Target
from community_governance.domain.care import (
    FESTIVAL_ROUNDS,
    RoundKind,
    TaskStatus,
    Visit,
    VisitOutcome,
    VisitRound,
    WeatherAlert,
    check_visit,
    festival_round_day,
    ladder_step,
)
from community_governance.domain.funds import format_cny, positive_money, to_fen
from community_governance.domain.points import month_of
from community_governance.domain.units import UnitKind
from community_governance.errors import (
    ConflictError,
    NotFound,
    OutOfStock,
    ValidationError,
)
from community_governance.plugins import expect_bool, expect_each, expect_type
from community_governance.services.base import Operation, among
from community_governance.services.care.common import (
    CARE_MANAGE,
    CARE_VISIT,
    CareBase,
    expect_gift,
    resident_place_query,
    target_of,
)
from community_governance.storage.repos.bulk import insert_returning_ids, insert_rows
from community_governance.storage.tables import care as tc
from community_governance.storage.tables import core as t
from community_governance.storage.tables import points as tp

__all__ = ["HelpRequest", "VisitEntry", "VisitsMixin"]

_n = tc.care_needs
_a = tc.care_assignments
_r = tc.care_rounds
_k = tc.care_tasks
_v = tc.care_visits
_h = tc.care_help_requests
_lt = tp.charity_lots
_go = tp.charity_give_outs
#: The hour (county time) a festival round is due on its day.
DUE_HOUR = 18


@attrs.frozen
class VisitEntry:
    """A visit to record (探访记录).

    Attributes:
        resident_id: whom.
        at: when it happened (aware).
        outcome: what it found.
        needs: needs found, as told.
        task_id: the task it answers, if any.
        visitor_id: who visited (a staff actor visits as themselves; a system job names
            the visitor).
    """

    resident_id: str
    at: dt.datetime
    outcome: VisitOutcome | str = VisitOutcome.MET
    needs: str = ""
    task_id: int | None = None
    visitor_id: str | None = None


@attrs.frozen
class HelpRequest:
    """A help request a cadre logged (求助): the care case it became and when it is due.

    Attributes:
        id: the request's key.
        resident_id: who called.
        cadre_id: who logged it.
        case_id: the care case (事务, category ``care``).
        urgency: ``urgent`` or ``normal``.
        received_at: when the resident called.
        due_at: when it is due (hours from ``cgov_care_due_hours``).
    """

    id: int
    resident_id: str
    cadre_id: str
    case_id: str
    urgency: str
    received_at: dt.datetime
    due_at: dt.datetime


def _round(r: Any, tasks: int) -> VisitRound:
    return VisitRound(r.id, r.community_code, RoundKind(r.kind), r.title, r.due_at, r.festival,
                      r.alert_id, r.gift, tasks, r.lot_id, r.disbursement_id)


class VisitsMixin(CareBase):
    """Rounds, tasks, visits, follow-ups, help requests."""

    # ------------------------------------------------------------------ planning

    def _targets(self, op: Operation, community: str, day: dt.date, *,
                 elders_only: bool, codes: Sequence[str] | None = None) -> list[Any]:
        """Residents in care in ``community`` on ``day`` (in a category of ``codes``, default
        every category, or the elders') with their cadre (``""`` if none), one row each."""
        if codes is None:
            cats = self.categories(community)
            codes = [c.code for c in cats if c.elder or not elders_only]
        rows = self._target_rows(op, community, day, codes)
        seen: dict[str, Any] = {}
        for r in rows:
            if r.resident_id not in seen or (r.cadre_id and not seen[r.resident_id].cadre_id):
                seen[r.resident_id] = r
        if elders_only:
            return [r for r in seen.values() if r.cadre_id]
        return list(seen.values())

    def _target_rows(self, op: Operation, community: str, day: dt.date,
                     codes: Sequence[str]) -> list[Any]:
        """(resident, category, grid, cadre) of the residents in care in ``codes`` on ``day``."""
        return list(op.uow.conn.execute(
            sa.select(_n.c.resident_id, _n.c.category, t.buildings.c.grid_code,
                      sa.func.coalesce(_a.c.cadre_id, "").label("cadre_id"))
            .join(t.residents, t.residents.c.id == _n.c.resident_id)
            .outerjoin(t.households, t.households.c.id == t.residents.c.household_id)
            .outerjoin(t.buildings, t.buildings.c.code == t.households.c.building_code)
            .outerjoin(_a, sa.and_(_a.c.resident_id == _n.c.resident_id,
                                   self._active(_a, day)))
            .where(_n.c.community_code == community, _n.c.category.in_(codes),
                   t.residents.c.erased.is_(False), self._active(_n, day))
            .distinct().order_by(_n.c.resident_id)).all())

    def _write_round(self, op: Operation, values: dict[str, Any], targets: Sequence[Any],
                     due: dt.datetime, capacity: int | None = None) -> VisitRound:
        conn = op.uow.conn
        load = Counter(x.cadre_id for x in targets if x.cadre_id)
        over = tuple(sorted(c for c, n in load.items() if capacity is not None and n > capacity))
        try:
            conn.execute(_r.insert().values(planned_at=op.now, **values))
        except IntegrityError:
            raise ConflictError(f"visit round {values['id']} is planned already; read it with "
                                "cgov care round show") from None
        insert_rows(conn, _k, [{"round_id": values["id"], "resident_id": x.resident_id,
                                "cadre_id": x.cadre_id, "grid_code": x.grid_code,
                                "due_at": due, "status": TaskStatus.OPEN.value}
                               for x in targets])
        op.touch("care_round", values["id"])
        op.detail["tasks"] = len(targets)
        if over:
            op.detail["over_capacity"] = list(over)
        return attrs.evolve(_round(conn.execute(sa.select(_r).where(
            _r.c.id == values["id"])).one(), len(targets)), over_capacity=over)

    def plan_festival(self, actor: Actor, community: str, festival: Festival | str, year: int,
                      *, lot_id: str | None = None, fund_account: str | None = None,
                      unit_price: Decimal | str | int | None = None) -> VisitRound:
        """Plan a festival round (节日慰问): one task per resident in care, with the gift.

        Due at 18:00 on the festival (端午, 中秋), or on New Year's Eve for the round before
        the Spring Festival (春节前). The gift's name comes from ``cgov_care_festival_gift``.
        Gifts come from a charity-supermarket lot (``lot_id``: one piece per resident, given
        out now, the lot's stock drops) or are bought from the care fund (``fund_account``
        and ``unit_price``: a disbursement request of the fund, with the approvals its rules
        ask for, for the whole round). One transaction.

        Raises:
            ValidationError: not a festival round, or a bad price.
            OutOfStock: the lot has fewer pieces than residents to visit.
            InsufficientBalance: the purchase is beyond the fund's budget.
            PermissionDenied: the actor may not manage care at the community.
        """
        fest = Festival.parse(festival) if isinstance(festival, str) else festival
        if fest.value not in FESTIVAL_ROUNDS:
            raise ValidationError(
                f"{fest.chinese} is not a festival round; rounds are held at "
                f"{[Festival(f).chinese for f in FESTIVAL_ROUNDS]}", path="festival")
        if (fund_account is None) != (unit_price is None):
            raise ValidationError("a purchase from the care fund names both fund_account and "
                                  "unit_price (per gift)", path="unit_price")
        if lot_id is not None and fund_account is not None:
            raise ValidationError("gifts come from a charity lot or the care fund, not both",
                                  path="lot_id")
        day = festival_round_day(fest.value, year)  # the simulation visits on the same day
        due = pendulum.datetime(day.year, day.month, day.day, DUE_HOUR,
                                tz=self._gov.timezone).in_timezone("UTC")
        gift = self._hooks.first("cgov_care_festival_gift", expect_gift, place=community,
                                 festival=fest.value, community_code=community)
        capacity = self.cadre_capacity("festival", community)
        with self._write(actor, "care.plan_festival") as op:
            op.require(CARE_MANAGE, Target("unit", community, unit_code=community))
            self._community(op, community)
            targets = self._targets(op, community, day, elders_only=False)
            rid = f"F-{community}-{year}-{fest.value}"
            values: dict[str, Any] = {
                "id": rid, "community_code": community, "kind": RoundKind.FESTIVAL.value,
                "title": f"{year}年{fest.chinese}慰问", "festival": fest.value, "due_at": due,
                "gift": gift}
            if lot_id is not None:
                values.update(self._gifts_from_lot(op, rid, lot_id, community, targets))
            if fund_account is not None:
                values.update(self._gifts_from_fund(op, rid, community, fund_account,
                                                    unit_price, len(targets), day))
            return self._write_round(op, values, targets, due, capacity)

    def plan_monthly(self, actor: Actor, community: str, year: int,
                     month: int) -> list[VisitRound]:
        """Plan the month's visits (月探访) on the county's working-day calendar.

        Each resident in care on the month's first day is due as many visits as the highest
        risk tier of their categories asks (``cgov_care_visits_per_month``: tier 1 twice, tier
        2 once by default); the month's working days (``working_day_calendar`` of the county,
        its local days included) are cut into that many runs and each visit is due at 18:00 on
        the last working day of its run (``domain.care.monthly_due_days``). One round per due
        day, one task per resident due that day; the cadres' load in each round is checked
        against ``cgov_care_cadre_capacity`` (``monthly``) and those over it named. One
        transaction.

        Raises:
            ValidationError: a month outside 1-12.
            ConflictError: the month is planned already.
            PermissionDenied: the actor may not manage care at the community.
        """
        from community_governance.domain.care import monthly_due_days
        from community_governance.plugins import working_day_calendar

        if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
            raise ValidationError(f"month is 1 to 12, got {month!r}", path="month")
        first = dt.date(year, month, 1)
        days = [first + dt.timedelta(days=i) for i in range(31)
                if (first + dt.timedelta(days=i)).month == month]
        cal = working_day_calendar(self._hooks, community[:6])
        working = [d for d in days if cal.is_working_day(d)]
        cats = self.categories(community)
        per_tier = {tier: self.visits_per_month(tier, community)
                    for tier in {c.tier for c in cats}}
        wanted = {c.code: per_tier[c.tier] for c in cats if per_tier[c.tier] >= 1}
        capacity = self.cadre_capacity("monthly", community)
        with self._write(actor, "care.plan_monthly") as op:
            op.require(CARE_MANAGE, Target("unit", community, unit_code=community))
            self._community(op, community)
            rows = self._target_rows(op, community, first, sorted(wanted))
            n: Counter[str] = Counter()
            one: dict[str, Any] = {}
            for r in rows:
                n[r.resident_id] = max(n[r.resident_id], wanted[r.category])
                if r.resident_id not in one or (r.cadre_id and not one[r.resident_id].cadre_id):
                    one[r.resident_id] = r
            by_day: dict[dt.date, list[Any]] = {}
            for rid, r in sorted(one.items()):
                for day in dict.fromkeys(monthly_due_days(working, n[rid])):
                    by_day.setdefault(day, []).append(r)
            out = []
            for day, targets in sorted(by_day.items()):
                due = pendulum.datetime(day.year, day.month, day.day, DUE_HOUR,
                                        tz=self._gov.timezone).in_timezone("UTC")
                out.append(self._write_round(op, {
                    "id": f"M-{community}-{day:%Y%m%d}", "community_code": community,
                    "kind": RoundKind.MONTHLY.value,
                    "title": f"{year}年{month}月探访（{day:%m-%d}前）", "due_at": due},
                    targets, due, capacity))
            if not out:
                op.detail["tasks"] = 0
            return out

    def _ineligible(self, op: Operation, lot: Any, resident_ids: Sequence[str]) -> list[str]:
        """The residents ``cgov_charity_eligible`` refuses the goods of ``lot``."""
        rows = op.uow.conn.execute(resident_place_query().where(
            among(op.uow.conn, t.residents.c.id, sorted(set(resident_ids))))).all()
        return sorted(r.id for r in rows if not self._hooks.first(
            "cgov_charity_eligible", expect_bool, place=r.community_code or lot.community_code,
            resident_id=r.id, community_code=r.community_code,
            vulnerabilities=frozenset(v for v in r.vulnerabilities.split(",") if v),
            registered=r.community_code is not None and not r.erased, category=lot.category))

    def _gifts_from_lot(self, op: Operation, round_id: str, lot_id: str, community: str,
                        targets: Sequence[Any]) -> dict[str, Any]:
        conn = op.uow.conn
        lot = conn.execute(sa.select(_lt).where(_lt.c.id == lot_id)).first()
        if lot is None:
            raise NotFound("charity lot", lot_id)
        if lot.community_code != community:
            raise ValidationError(f"lot {lot_id} is in the charity supermarket of "
                                  f"{lot.community_code}, not of {community}", path="lot_id")
        n = len(targets)
        refused = self._ineligible(op, lot, [x.resident_id for x in targets])
        if refused:
            raise ValidationError(
                f"{len(refused)} residents of the round may not receive the charity "
                f"supermarket's goods (cgov_charity_eligible), e.g. {refused[:3]}; buy their "
                "gifts from the care fund instead (fund_account, unit_price)", path="lot_id")
        if n and conn.execute(_lt.update().where(_lt.c.id == lot_id, _lt.c.quantity >= n)
                              .values(quantity=_lt.c.quantity - n)).rowcount != 1:
            raise OutOfStock(
                f"lot {lot_id} ({lot.description}) has {lot.quantity} pieces and the round has "
                f"{n} residents to visit: receive more (cgov charity receive) or buy the rest "
                "from the care fund")
        insert_rows(conn, _go, [
            {"idempotency_key": f"care:{round_id}:{x.resident_id}", "request": "care-round",
             "lot_id": lot_id, "resident_id": x.resident_id, "quantity": 1, "at": op.now,
             "month": month_of(op.today)} for x in targets])
        op.touch("charity_lot", lot_id)
        return {"lot_id": lot_id, "gift_cost_fen": int(lot.unit_value_fen) * n}

    def _gifts_from_fund(self, op: Operation, round_id: str, community: str, account: str,
                         unit_price: Decimal | str | int | None, n: int,
                         day: dt.date) -> dict[str, Any]:
        from community_governance.services.funds import FundsService

        price = positive_money(unit_price, path="unit_price")
        total = price * n
        if n == 0:
            return {"fund_account": account}
        if self._funds_svc is None:  # kept: it caches the charts of accounts it loads
            self._funds_svc = FundsService(self._gov)
        funds = self._funds_svc
        d = funds._request(op, community, account, total, "节日慰问品采购",
                           f"{round_id}: {n} × {format_cny(price)}", min(day, op.today),
                           f"care:{round_id}", f"care:{round_id}:{to_fen(total)}")
        assert d is not None
        return {"fund_account": account, "disbursement_id": d.id,
                "gift_cost_fen": to_fen(total)}

    @staticmethod
    def _community(op: Operation, community: str) -> None:
        kind = op.uow.conn.execute(sa.select(t.units.c.kind).where(
            t.units.c.code == community)).scalar_one_or_none()
        if kind != UnitKind.COMMUNITY.value:
            raise NotFound("community", community, "rounds are planned per community")

    def record_alert(self, actor: Actor, alert: WeatherAlert) -> list[VisitRound]:
        """Record a weather alert and turn it into visit rounds (雨雪天气探访): one per
        community under the alert's place, one task per assigned elder, due within the hours
        of ``cgov_care_due_hours``. One transaction.

        Raises:
            ConflictError: the alert is recorded already.
            NotFound: the place is not a unit.
        """
        with self._read(actor, "care.record_alert") as op:
            communities = self._communities_under(op, alert.place)
        hours = {c: self.due_hours(alert.kind.value, alert.level, c) for c in communities}
        capacity = {c: self.cadre_capacity(alert.kind.value, c) for c in communities}
        with self._write(actor, "care.record_alert") as op:
            op.require(CARE_MANAGE, Target("unit", alert.place, unit_code=alert.place))
            conn = op.uow.conn
            try:
                conn.execute(tc.care_alerts.insert().values(
                    id=alert.id, place=alert.place, kind=alert.kind.value, level=alert.level,
                    issued_at=alert.issued_at, source=alert.source,
                    recorded_by=str(op.actor)[:80]))
            except IntegrityError:
                raise ConflictError(f"weather alert {alert.id} is recorded already") from None
            out = []
            local = pendulum.instance(alert.issued_at).in_timezone(self._gov.timezone)
            for c in communities:
                due = pendulum.instance(alert.issued_at).add(hours=hours[c])
                targets = self._targets(op, c, local.date(), elders_only=True)
                out.append(self._write_round(op, {
                    "id": f"W-{c}-{alert.id}"[:60], "community_code": c,
                    "kind": RoundKind.WEATHER.value, "alert_id": alert.id,
                    "title": f"{local:%Y-%m-%d} {alert.kind.value} {alert.level} 预警探访",
                    "due_at": due}, targets, due, capacity[c]))
            op.touch("care_alert", alert.id)
            return out

    def fetch_alerts(self, actor: Actor, county: str, day: dt.date) -> list[VisitRound]:
        """Ask the county's plugins for the day's weather alerts (``cgov_care_weather_alerts``)
        and record each new one (:meth:`record_alert`)."""
        got = self._hooks.all("cgov_care_weather_alerts", expect_each(expect_type(WeatherAlert)),
                              place=county, county_code=county, day=day)
        with self._gov.store.unit_of_work(write=False) as uow:
            known = set(uow.conn.execute(sa.select(tc.care_alerts.c.id)).scalars())
        out: list[VisitRound] = []
        for _, alerts in got:
            for a in alerts:
                if a.id not in known:
                    known.add(a.id)
                    out += self.record_alert(actor, a)
        return out

    @staticmethod
    def _communities_under(op: Operation, place: str) -> list[str]:
        if op.uow.conn.execute(sa.select(t.units.c.code).where(
                t.units.c.code == place)).first() is None:
            raise NotFound("unit", place, "an alert covers a county, sub-district or community")
        return list(op.uow.conn.execute(sa.select(t.units.c.code).where(
            t.units.c.kind == UnitKind.COMMUNITY.value,
            t.units.c.code.startswith(place, autoescape=True)).order_by(t.units.c.code))
            .scalars())

    def rounds(self, actor: Actor, *, community: str | None = None,
               year: int | None = None) -> list[VisitRound]:
        """The visit rounds of a community (or all the actor's), by due time."""
        with self._read(actor, "care.rounds") as op:
            q = sa.select(_r, sa.func.count(_k.c.id).label("n")).outerjoin(
                _k, _k.c.round_id == _r.c.id).group_by(*_r.c).order_by(_r.c.due_at, _r.c.id)
            if community:
                op.require(CARE_VISIT, Target("unit", community, unit_code=community))
                q = q.where(_r.c.community_code == community)
            rows = [r for r in op.uow.conn.execute(q) if year is None or pendulum.instance(
                r.due_at).in_timezone(self._gov.timezone).year == year]
            return [_round(r, int(r.n)) for r in rows]

    def tasks(self, actor: Actor, round_id: str) -> list[dict[str, Any]]:
        """The tasks of a round for those who visit: key, resident, cadre, due, status, the
        unanswered tries so far and the next step of the ladder (``domain.care.LADDER``)."""
        with self._read(actor, "care.tasks") as op:
            r = op.uow.conn.execute(sa.select(_r).where(_r.c.id == round_id)).first()
            if r is None:
                raise NotFound("visit round", round_id)
            op.require(CARE_VISIT, Target("unit", r.community_code, unit_code=r.community_code))
            tries = (sa.select(sa.func.count()).where(
                _v.c.resident_id == _k.c.resident_id,
                _v.c.outcome == VisitOutcome.NO_ANSWER.value, _v.c.at >= r.planned_at)
                .scalar_subquery())
            rows = op.uow.conn.execute(sa.select(_k, tries.label("tries")).where(
                _k.c.round_id == round_id).order_by(_k.c.id)).all()
            return [{"task_id": x.id, "resident_id": x.resident_id, "cadre_id": x.cadre_id,
                     "due_at": x.due_at.isoformat(), "status": x.status,
                     "no_answer": int(x.tries),
                     "next": "-" if x.status == TaskStatus.DONE.value
                     else ladder_step(int(x.tries))} for x in rows]

    # ------------------------------------------------------------------ visits

    def record_visit(self, actor: Actor, resident_id: str, *, at: dt.datetime,
                     outcome: VisitOutcome | str = VisitOutcome.MET, needs: str = "",
                     task_id: int | None = None, visitor_id: str | None = None) -> Visit:
        """Record one visit (see :meth:`record_visits`)."""
        return self.record_visits(actor, [VisitEntry(resident_id, at, outcome, needs, task_id,
                                                     visitor_id)])[0]

    def record_visits(self, actor: Actor, entries: Iterable[VisitEntry]) -> list[Visit]:
        """Record visits (探访记录), all in one transaction.

        A visit is refused, and nothing written, when it lies in the future, when the
        resident has no care need on its day, or when the visitor is not the resident's
        assigned cadre and ``cgov_care_stand_in_allowed`` allows no stand-in. A visit that
        reached the resident (any outcome but ``no_answer``) closes its task; a task is
        closed once: two cadres recording the same task at once get one record, the second
        a :class:`~community_governance.errors.ConflictError`.
        """
        items = list(entries)
        with self._write(actor, "care.record_visits") as op:
            return self._record(op, items)

    def _record(self, op: Operation, items: Sequence[VisitEntry]) -> list[Visit]:
        """Check and write ``items`` in ``op``: what they refer to is read in a few queries
        (residents, needs, assignments, tasks), the rows written in batches."""
        conn = op.uow.conn
        rids = sorted({e.resident_id for e in items})
        residents = {r.id: r for r in conn.execute(resident_place_query().where(
            among(conn, t.residents.c.id, rids)))} if rids else {}
        needs: dict[str, list[Any]] = {}
        for n in conn.execute(sa.select(_n.c.resident_id, _n.c.start, _n.c.end).where(
                among(conn, _n.c.resident_id, rids), _n.c.category != "")) if rids else ():
            needs.setdefault(n.resident_id, []).append(n)
        assigned: dict[str, list[Any]] = {}
        for a in conn.execute(sa.select(_a.c.resident_id, _a.c.cadre_id, _a.c.start, _a.c.end)
                              .where(among(conn, _a.c.resident_id, rids))) if rids else ():
            assigned.setdefault(a.resident_id, []).append(a)
        tids = sorted({e.task_id for e in items if e.task_id is not None})
        tasks = {k.id: k for k in conn.execute(sa.select(_k.c.id, _k.c.resident_id, _k.c.status)
                                               .where(among(conn, _k.c.id, tids)))} if tids else {}

        def on(rows: list[Any], day: dt.date) -> list[Any]:
            return [x for x in rows if x.start <= day and (x.end is None or day <= x.end)]

        stand_in: dict[str, bool] = {}
        rows: list[dict[str, Any]] = []
        closing: list[int] = []
        checked: list[tuple[VisitEntry, str, VisitOutcome, bool, int | None]] = []
        for i, e in enumerate(items):
            path = f"$[{i}]"
            try:
                outcome = VisitOutcome(e.outcome)
            except ValueError:
                raise ValidationError(f"outcome is one of {[o.value for o in VisitOutcome]}",
                                      path=f"{path}.outcome") from None
            if not isinstance(e.at, dt.datetime) or e.at.tzinfo is None:
                raise ValidationError("a visit's time is timezone-aware", path=f"{path}.at")
            if op.actor.kind is ActorKind.STAFF:
                if e.visitor_id not in (None, op.actor.id):
                    raise ValidationError(
                        f"{op.actor.id} records their own visits; {e.visitor_id} records "
                        "theirs", path=f"{path}.visitor_id")
                visitor = op.actor.id
            elif e.visitor_id:
                visitor = e.visitor_id
            else:
                raise ValidationError("a system job names the visitor (visitor_id)",
                                      path=f"{path}.visitor_id")
            r = residents.get(e.resident_id)
            if r is None:
                raise NotFound("resident", e.resident_id, f"at {path}.resident_id")
            op.require(CARE_VISIT, target_of(r))
            community = r.community_code or ""
            day = pendulum.instance(e.at).in_timezone(self._gov.timezone).date()
            cadres = on(assigned.get(e.resident_id, []), day)
            cadre = max(cadres, key=lambda x: x.start).cadre_id if cadres else None
            if community not in stand_in and cadre != visitor:
                stand_in[community] = self.stand_in_allowed(community)
            try:
                stood_in = check_visit(
                    resident_id=e.resident_id, visitor_id=visitor, at=e.at, now=op.now,
                    in_care=bool(on(needs.get(e.resident_id, []), day)),
                    assigned_cadre=cadre, stand_in_allowed=stand_in.get(community, False),
                    rule=f"cgov_care_stand_in_allowed for {community}")
            except ValidationError as exc:
                raise ValidationError(exc.reason, path=f"{path}.{exc.path}") from None
            task_id = None
            if e.task_id is not None:
                task = tasks.get(e.task_id)
                if task is None or task.resident_id != e.resident_id:
                    raise NotFound("visit task", str(e.task_id), f"of resident {e.resident_id}")
                if outcome.reached:
                    if task.status != TaskStatus.OPEN.value or e.task_id in closing:
                        raise ConflictError(
                            f"visit task {e.task_id} of {e.resident_id} is recorded already "
                            "(one record per task); read it with cgov care rounds")
                    closing.append(e.task_id)
                    task_id = e.task_id
            rows.append({"task_id": task_id, "resident_id": e.resident_id,
                         "community_code": community, "visitor_id": visitor, "at": e.at,
                         "outcome": outcome.value, "needs": e.needs.strip(),
                         "stand_in": stood_in, "recorded_at": op.now})
            checked.append((e, visitor, outcome, stood_in, task_id))
        if closing:
            # guarded: a task another transaction closed meanwhile is not closed twice
            done = conn.execute(_k.update().where(
                among(conn, _k.c.id, closing), _k.c.status == TaskStatus.OPEN.value)
                .values(status=TaskStatus.DONE.value)).rowcount
            if done != len(closing):
                raise ConflictError("a visit task given is recorded already (one record per "
                                    "task); read the round with cgov care report rounds")
        if not rows:
            return []
        try:
            ids = insert_returning_ids(conn, _v, rows)
        except IntegrityError:
            raise ConflictError("a visit task given is recorded already (one record per "
                                "task)") from None
        op.touched.extend(f"care_visit:{v}" for v in ids[:1000])
        if len(ids) > 1000:
            op.detail["visits"] = len(ids)
        return [Visit(int(vid), e.resident_id, visitor, e.at, outcome, e.needs.strip(),
                      task_id, stood_in)
                for vid, (e, visitor, outcome, stood_in, task_id) in zip(ids, checked,
                                                                         strict=True)]

    def _case(self, op: Operation, r: Any, description: str, *, at: dt.datetime | None,
              deadline: dt.date | None = None) -> str:
        from community_governance.services.cases import CasesService

        if r.building_code is None:
            raise ValidationError(f"resident {r.id} lives in no building: a care case is "
                                  "reported at the resident's building", path="resident_id")
        if self._cases_svc is None:  # kept: it caches the working-day calendars it loads
            self._cases_svc = CasesService(self._gov)
        row = self._cases_svc._report(
            op, category="care", building_code=r.building_code, description=description,
            channel="phone", household_id=r.household_id, reporter_id=None,
            reporter_name=None, reporter_phone=None, lat=None, long=None, media_url=None,
            case_id=None, at=at, extra={"deadline": deadline} if deadline else None)
        return str(row.id)

    def follow_up(self, actor: Actor, visit_id: int, *, case: bool = False,
                  lot_id: str | None = None, quantity: int = 1,
                  at: dt.datetime | None = None) -> Visit:
        """Turn the needs a visit found into a care case and/or a charity give-out, in one
        step (one transaction).

        ``at`` is when the follow-up was decided (default: now); a back-office entry of a past
        follow-up gives its time, so the case is reported and the give-out made then (the
        demo's 2019 visits are followed up in 2019, not on the day the demo is built).

        Raises:
            NotFound: no such visit or lot.
            ValidationError: the visit found no needs, or nothing was asked; ``at`` lies in
                the future or before the visit.
            ConflictError: the visit has a case (or a give-out) already.
            OutOfStock: the lot has fewer pieces than asked.
        """
        if not case and lot_id is None:
            raise ValidationError("ask for a case (case=True) or a give-out (lot_id)",
                                  path="case")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise ValidationError(f"quantity is a positive whole number, got {quantity!r}",
                                  path="quantity")
        with self._write(actor, "care.follow_up") as op:
            conn = op.uow.conn
            v = conn.execute(sa.select(_v).where(_v.c.id == visit_id)).first()
            if v is None:
                raise NotFound("visit", str(visit_id))
            r = self._resident(op, v.resident_id)
            op.require(CARE_VISIT, target_of(r))
            if not v.needs:
                raise ValidationError(f"visit {visit_id} found no needs: record them first",
                                      path="visit_id")
            when = pendulum.instance(at) if at is not None else op.now
            if when > op.now:
                raise ValidationError(f"a follow-up is recorded when it was decided, not "
                                      f"ahead ({when.isoformat()} lies in the future)", path="at")
            if when < pendulum.instance(v.at):
                raise ValidationError(
                    f"visit {visit_id} took place at {pendulum.instance(v.at).isoformat()}: "
                    f"its follow-up cannot come before it ({when.isoformat()})", path="at")
            values: dict[str, Any] = {}
            if case:
                if v.case_id:
                    raise ConflictError(f"visit {visit_id} became case {v.case_id} already")
                values["case_id"] = self._case(op, r, f"探访发现需求：{v.needs}", at=at)
            if lot_id is not None:
                if v.give_out_id:
                    raise ConflictError(f"visit {visit_id} became give-out #{v.give_out_id} "
                                        "already")
                lot = conn.execute(sa.select(_lt).where(_lt.c.id == lot_id)).first()
                if lot is None:
                    raise NotFound("charity lot", lot_id)
                if self._ineligible(op, lot, [v.resident_id]):
                    raise ValidationError(
                        f"resident {v.resident_id} may not receive the charity supermarket's "
                        "goods (cgov_charity_eligible); open a case for the need instead",
                        path="lot_id")
                if conn.execute(_lt.update().where(_lt.c.id == lot_id,
                                                   _lt.c.quantity >= quantity).values(
                        quantity=_lt.c.quantity - quantity)).rowcount != 1:
                    raise OutOfStock(f"lot {lot_id} ({lot.description}) has {lot.quantity} "
                                     f"pieces and {quantity} were asked for")
                values["give_out_id"] = int(conn.execute(_go.insert().values(
                    idempotency_key=f"care:visit:{visit_id}", request="care-visit",
                    lot_id=lot_id, resident_id=v.resident_id, quantity=quantity, at=when,
                    month=month_of(when.in_timezone(self._gov.timezone).date()))
                ).inserted_primary_key[0])  # type: ignore[index]
            conn.execute(_v.update().where(_v.c.id == visit_id).values(**values))
            op.touch("care_visit", visit_id)
            return Visit(v.id, v.resident_id, v.visitor_id, v.at, VisitOutcome(v.outcome),
                         v.needs, v.task_id, v.stand_in, values.get("case_id", v.case_id),
                         values.get("give_out_id", v.give_out_id))

    # ------------------------------------------------------------------ help requests

    def log_help(self, actor: Actor, resident_id: str, *, summary: str,
                 urgency: str = "normal", at: dt.datetime | None = None) -> HelpRequest:
        """Log a resident's call for help (老人拨打分包干部电话求助) as a care case.

        Due within the hours of ``cgov_care_due_hours`` (``help``, the urgency) from the call;
        the case's deadline is that day, and it escalates as any overdue case. One transaction.
        """
        if urgency not in ("urgent", "normal"):
            raise ValidationError(f"urgency is urgent or normal, got {urgency!r}",
                                  path="urgency")
        if not summary or not summary.strip():
            raise ValidationError("say what the resident asked for (summary)", path="summary")
        with self._read(actor, "care.log_help") as op:
            community = self._resident(op, resident_id).community_code or ""
        hours = self.due_hours("help", urgency, community)
        with self._write(actor, "care.log_help") as op:
            r = self._resident(op, resident_id)
            op.require(CARE_VISIT, target_of(r))
            when = pendulum.instance(at) if at is not None else op.now
            if when > op.now:
                raise ValidationError("a help request is logged after the call, not before "
                                      f"({when.isoformat()} lies in the future)", path="at")
            day = when.in_timezone(self._gov.timezone).date()
            if not self._in_care(op, resident_id, day):
                raise ValidationError(f"resident {resident_id} has no care need on {day}: log "
                                      "the request as an ordinary case (cgov cases report)",
                                      path="resident_id")
            due = when.add(hours=hours)
            case_id = self._case(op, r, f"求助（{'紧急' if urgency == 'urgent' else '一般'}）："
                                 f"{summary.strip()}", at=at,
                                 deadline=due.in_timezone(self._gov.timezone).date())
            cadre = op.actor.id if op.actor.kind is ActorKind.STAFF else str(op.actor)
            hid = op.uow.conn.execute(_h.insert().values(
                resident_id=resident_id, cadre_id=cadre[:40], community_code=r.community_code,
                case_id=case_id, urgency=urgency, received_at=when, due_at=due,
                summary=summary.strip())).inserted_primary_key[0]  # type: ignore[index]
            op.touch("care_help", hid)
            return HelpRequest(int(hid), resident_id, cadre[:40], case_id, urgency, when, due)
