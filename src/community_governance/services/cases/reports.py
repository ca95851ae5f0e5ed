"""Case statistics (事务统计) of the cases service."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

import attrs
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.actions import REPORT_READ
from community_governance.domain.cases import CLOSED_STATUSES, OPEN_STATUSES, CaseEvent, percentile
from community_governance.errors import ValidationError
from community_governance.services.base import county_days_utc
from community_governance.services.cases.routing import CaseRouting
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import cases as ct


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)



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
        provisional_deadlines: open cases whose deadline is provisional (counted through a
            year with no official holiday notice yet; recomputed when it is added).
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
    provisional_deadlines: int = 0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = attrs.asdict(self)
        out["start"] = self.start.isoformat()
        out["end"] = self.end.isoformat()
        return out


class ReportsMixin(CaseRouting):
    """The report (事务统计) part of the cases service."""

    # ------------------------------------------------------------------ reports

    def years(self, actor: Actor) -> list[int]:
        """The county years in which cases the actor may read were reported, oldest first."""
        with self._read(actor, "cases.years") as op:
            c = ct.cases.c
            stamps = op.uow.conn.execute(sa.select(c.reported_at).where(
                scope_clause(op.scope(REPORT_READ), unit=c.building_code, grid=c.grid_code)
            )).scalars().all()
        tz = self._gov.timezone
        return sorted({s.astimezone(tz).year for s in stamps})

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
            lo, hi = county_days_utc(self._gov.timezone, start, end)
            c = ct.cases.c
            where = [scope_clause(op.scope(REPORT_READ), unit=c.building_code, grid=c.grid_code),
                     c.reported_at >= lo, c.reported_at < hi]
            if within:
                where.append(c.building_code.startswith(within, autoescape=True))
            rows = op.uow.conn.execute(sa.select(
                c.id, c.category, c.grid_code, c.reported_at, c.status, c.channel,
                c.handling_days, c.was_overdue, c.deadline, c.escalations, c.satisfaction,
                c.handler_id, c.deadline_provisional).where(*where)).all()
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
        overdue = escalated = provisional = 0
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
            if is_open and r.deadline_provisional:
                provisional += 1
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
            satisfaction=satisfaction, provisional_deadlines=provisional,
        )
