"""Care reports: round coverage (visited, missed, late), missed visits per cadre, gift costs
by fund, the monthly visit rate (月探访率), needs found and their outcome. Resident keys only:
no names, no categories."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

import attrs
import pendulum
import sqlalchemy as sa

from community_governance.domain import actions as A
from community_governance.domain.access import Actor, Target
from community_governance.domain.care import VisitOutcome, monthly_rate
from community_governance.domain.funds import from_fen, to_fen
from community_governance.errors import NotFound
from community_governance.services.base import county_days_utc
from community_governance.services.care.common import CareBase
from community_governance.storage.tables import care as tc
from community_governance.storage.tables import cases as ct
from community_governance.storage.tables import core as t

__all__ = ["MonthlyRate", "ReportsMixin", "RoundCoverage"]

_n = tc.care_needs
_r = tc.care_rounds
_k = tc.care_tasks
_v = tc.care_visits
_REACHED = [o.value for o in VisitOutcome if o.reached]


@attrs.frozen
class RoundCoverage:
    """How a round went (慰问/探访覆盖): visited on time, late, missed, still open.

    Attributes:
        round_id: the round.
        community_code: its community.
        kind: festival or weather.
        title: its title.
        due_at: when its visits were due.
        tasks: residents to visit.
        on_time: visited by the due time.
        late: visited after it.
        missed: not visited and past due (resident keys; empty for a reader who may not see
            who is in care: the count is in ``missed_count``).
        open: not visited and not yet due.
        no_cadre: residents who had no assigned cadre when it was planned.
        missed_by_cadre: missed visits per cadre.
        gift: the gift.
        gift_cost: what the gifts cost (CNY).
        fund_account: the care-fund account they were bought from, if any.
        missed_count: how many were missed.
    """

    round_id: str
    community_code: str
    kind: str
    title: str
    due_at: dt.datetime
    tasks: int
    on_time: int
    late: int
    missed: tuple[str, ...]
    open: int
    no_cadre: int
    missed_by_cadre: dict[str, int]
    gift: str
    gift_cost: str
    fund_account: str | None
    missed_count: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        d = attrs.asdict(self)
        d["due_at"] = self.due_at.isoformat()
        d["missed"] = list(self.missed)
        return d


@attrs.frozen
class MonthlyRate:
    """The monthly visit rate (月探访率) of a community or grid.

    Attributes:
        unit_code: the community or grid.
        month: ``YYYY-MM``.
        due: residents due a visit in the month.
        visited: those among them reached at least once.
        missed: the keys of the others (empty for a reader who may not see who is in care).
        short: visited, but fewer times than their tier asks (``cgov_care_visits_per_month``;
            tier 1 twice a month by default): keys, hidden as ``missed`` is.
        short_count: how many were visited too seldom.
    """

    unit_code: str
    month: str
    due: int
    visited: int
    missed: tuple[str, ...]
    short: tuple[str, ...] = ()
    short_count: int = 0

    @property
    def rate(self) -> float:
        """``visited / due`` (1.0 when nobody was due)."""
        return self.visited / self.due if self.due else 1.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"unit_code": self.unit_code, "month": self.month, "due": self.due,
                "visited": self.visited, "rate": round(self.rate, 4),
                "missed": list(self.missed), "short": list(self.short),
                "short_count": self.short_count}


class ReportsMixin(CareBase):
    """Reports on rounds, visits and needs."""

    def round_report(self, actor: Actor, round_id: str) -> RoundCoverage:
        """Coverage of one round: visited on time, late, missed (with keys), per cadre."""
        with self._read(actor, "care.round_report") as op:
            r = op.uow.conn.execute(sa.select(_r).where(_r.c.id == round_id)).first()
            if r is None:
                raise NotFound("visit round", round_id)
            op.require(A.REPORT_READ, Target("unit", r.community_code,
                                             unit_code=r.community_code))
            return self._coverage(op, r)

    @staticmethod
    def _may_name(op: Any, community: str, what: str) -> bool:
        """Whether the reader may see who in ``community`` is in care (the office and the
        assigned cadres); a report that names them is written to the access log."""
        target = Target("unit", community, unit_code=community)
        if not op.allowed(A.RESIDENT_READ_VULNERABILITY, target):
            return False
        op.log_access(A.RESIDENT_READ_VULNERABILITY, target, what)
        return True

    def _coverage(self, op: Any, r: Any) -> RoundCoverage:
        now = op.now
        first_visit = (sa.select(sa.func.min(_v.c.at)).where(
            _v.c.resident_id == _k.c.resident_id, _v.c.outcome.in_(_REACHED),
            sa.or_(_v.c.task_id == _k.c.id, sa.and_(
                _v.c.task_id.is_(None), _v.c.at >= r.planned_at)))
            .scalar_subquery())
        rows = op.uow.conn.execute(sa.select(
            _k.c.resident_id, _k.c.cadre_id, _k.c.due_at, _k.c.status,
            first_visit.label("visited_at")).where(_k.c.round_id == r.id)).all()
        on_time = late = still_open = 0
        missed: list[str] = []
        per: Counter[str] = Counter()
        for x in rows:
            due = x.due_at
            if x.visited_at is not None:
                if x.visited_at <= due:
                    on_time += 1
                else:
                    late += 1
            elif due < now:
                missed.append(x.resident_id)
                per[x.cadre_id or "(no cadre)"] += 1
            else:
                still_open += 1
        named = bool(missed) and self._may_name(op, r.community_code,
                                                f"care report: missed visits of {r.id}")
        return RoundCoverage(
            r.id, r.community_code, r.kind, r.title, r.due_at, len(rows), on_time, late,
            tuple(sorted(missed)) if named else (), still_open,
            sum(1 for x in rows if not x.cadre_id),
            dict(sorted(per.items())), r.gift, str(from_fen(int(r.gift_cost_fen))),
            r.fund_account, len(missed))

    def rounds_report(self, actor: Actor, *, community: str | None = None,
                      year: int | None = None) -> list[RoundCoverage]:
        """Coverage of every round (of a community, of a year) the actor may read."""
        with self._read(actor, "care.rounds_report") as op:
            q = sa.select(_r).order_by(_r.c.due_at, _r.c.id)
            if community:
                q = q.where(_r.c.community_code == community)
            out = []
            for r in op.uow.conn.execute(q).all():
                if year is not None and pendulum.instance(r.due_at).in_timezone(
                        self._gov.timezone).year != year:
                    continue
                if op.allowed(A.REPORT_READ, Target("unit", r.community_code,
                                                    unit_code=r.community_code)):
                    out.append(self._coverage(op, r))
            return out

    def gift_costs(self, actor: Actor, *, community: str | None = None,
                   year: int | None = None) -> dict[str, str]:
        """What festival gifts cost, by where they came from: the fund account, or
        ``charity`` for the charity supermarket's lots (estimated value)."""
        total: Counter[str] = Counter()
        for c in self.rounds_report(actor, community=community, year=year):
            if _fen(c.gift_cost) > 0:
                total[c.fund_account or "charity"] += _fen(c.gift_cost)
        return {k: str(from_fen(v)) for k, v in sorted(total.items())}

    def monthly_rates(self, actor: Actor, community: str, year: int,
                      month: int) -> list[MonthlyRate]:
        """The monthly visit rate (月探访率) of a community and each of its grids.

        As the national guidance (民政部等《关于开展特殊困难老年人探访关爱服务的指导意见》, 2022)
        defines it, the share of the elders in particular difficulty on the roster who were
        visited in the month. Due (the roster): residents of the community in care for the
        whole month in an elder category (``CareCategory.elder``: 特困, 孤寡, 独居 by default;
        a county adds its own, e.g. 失能老人) whose tier is due at least one visit a month
        (``cgov_care_visits_per_month``); other residents in care (低保, 残疾, 留守儿童) are
        visited on their tier's schedule but are not in this rate. Visited: those with at least
        one visit in the month that reached them (any outcome but no answer; a stand-in's
        visit counts). Short: those visited fewer times than the most their categories' tiers
        ask (the county's own, stricter, schedule).
        """
        first = dt.date(year, month, 1)
        last = dt.date(year, month, calendar.monthrange(year, month)[1])
        tz = self._gov.timezone
        start, end = county_days_utc(tz, first, last)
        with self._read(actor, "care.monthly_rates") as op:
            op.require(A.REPORT_READ, Target("unit", community, unit_code=community))
            cats = [c for c in self.categories(community) if c.elder]
            per_tier = {tier: self.visits_per_month(tier, community)
                        for tier in {c.tier for c in cats}}
            wanted = {c.code: per_tier[c.tier] for c in cats if per_tier[c.tier] >= 1}
            due_codes = sorted(wanted)
            conn = op.uow.conn
            rows = conn.execute(
                sa.select(_n.c.resident_id, _n.c.category, t.buildings.c.grid_code)
                .join(t.residents, t.residents.c.id == _n.c.resident_id)
                .outerjoin(t.households, t.households.c.id == t.residents.c.household_id)
                .outerjoin(t.buildings, t.buildings.c.code == t.households.c.building_code)
                .where(_n.c.community_code == community, _n.c.category.in_(due_codes),
                       t.residents.c.erased.is_(False), _n.c.start <= first,
                       sa.or_(_n.c.end.is_(None), _n.c.end >= last))).all()
            due = {r.resident_id: r.grid_code for r in rows}
            need: Counter[str] = Counter()
            for r in rows:
                need[r.resident_id] = max(need[r.resident_id], wanted[r.category])
            times = Counter(conn.execute(sa.select(_v.c.resident_id).where(
                _v.c.community_code == community, _v.c.outcome.in_(_REACHED),
                _v.c.at >= start, _v.c.at < end)).scalars())
            label = f"{year:04d}-{month:02d}"
            short = {r for r in due if 0 < times[r] < need[r]}
            _, _, missed = monthly_rate(due, times)
            named = bool(missed or short) and self._may_name(
                op, community, f"care report: missed visits of {label}")

            def rate(unit: str, members: list[str]) -> MonthlyRate:
                n, hit, missed = monthly_rate(members, times)
                few = sorted(short & set(members))
                return MonthlyRate(unit, label, n, hit, tuple(missed) if named else (),
                                   tuple(few) if named else (), len(few))

            out = [rate(community, list(due))]
            for grid in sorted({g for g in due.values() if g}):
                out.append(rate(grid, [r for r, g in due.items() if g == grid]))
            return out

    def needs_report(self, actor: Actor, community: str, *,
                     year: int | None = None) -> dict[str, Any]:
        """Needs found on visits and their outcome: how many became cases (and how those
        stand) or give-outs, how many wait for a follow-up."""
        with self._read(actor, "care.needs_report") as op:
            op.require(A.REPORT_READ, Target("unit", community, unit_code=community))
            rows = op.uow.conn.execute(
                sa.select(_v.c.id, _v.c.at, _v.c.case_id, _v.c.give_out_id,
                          ct.cases.c.status).outerjoin(ct.cases, ct.cases.c.id == _v.c.case_id)
                .where(_v.c.community_code == community, _v.c.needs != "",
                       _v.c.outcome == VisitOutcome.NEEDS.value)).all()
            rows = [r for r in rows if year is None or pendulum.instance(r.at).in_timezone(
                self._gov.timezone).year == year]
            statuses = Counter(r.status for r in rows if r.case_id)
            return {"community_code": community, "year": year, "needs_found": len(rows),
                    "became_cases": sum(1 for r in rows if r.case_id),
                    "case_status": dict(sorted(statuses.items())),
                    "became_give_outs": sum(1 for r in rows if r.give_out_id),
                    "waiting": [r.id for r in rows if not r.case_id and not r.give_out_id]}


def _fen(text: str) -> int:
    return to_fen(Decimal(text))
