"""Reports on social organizations (社会组织统计): by community, kind and stage; time spent in
each stage; grades over time; supervision findings open and overdue; staff and training."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.funds import from_fen
from community_governance.domain.orgs import Grade, OrgStage
from community_governance.services.base import Operation
from community_governance.services.orgs.common import ORG_READ
from community_governance.services.orgs.evaluation import EvaluationMixin
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import orgs as ot


class ReportsMixin(EvaluationMixin):
    """The reports part of the organizations service; each answers plain JSON-ready data."""

    def _orgs(self, op: Operation, within: str | None) -> list[Any]:
        o = ot.social_orgs
        q = sa.select(o).where(scope_clause(op.scope(ORG_READ), unit=o.c.community_code))
        if within:
            q = q.where(o.c.community_code.startswith(within, autoescape=True))
        return list(op.uow.conn.execute(q.order_by(o.c.community_code, o.c.id)).all())

    def stage_report(self, actor: Actor, *, within: str | None = None) -> dict[str, Any]:
        """Organizations per community by kind and stage, with totals per stage and the
        number kept under an incubator (not yet hatched, 未出壳)."""
        with self._read(actor, "orgs.stage_report") as op:
            rows = self._orgs(op, within)
        table: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
        for r in rows:
            cell = table[r.community_code][r.kind]
            cell[r.stage] = cell.get(r.stage, 0) + 1
        totals = Counter(r.stage for r in rows)
        return {
            "organizations": len(rows),
            "by_stage": {s.value: totals.get(s.value, 0) for s in OrgStage},
            "under_incubator": sum(1 for r in rows if r.incubator_id and r.hatched_on is None),
            "by_community": {c: {k: dict(v) for k, v in kinds.items()}
                             for c, kinds in sorted(table.items())},
        }

    def stage_durations(self, actor: Actor, *, within: str | None = None,
                        on: dt.date | None = None) -> dict[str, Any]:
        """Days spent in each stage (各阶段停留时间): per stage, the spells that ended and
        those still running on ``on`` (default today), with their mean and median days."""
        tr = ot.social_org_transitions
        with self._read(actor, "orgs.stage_durations") as op:
            rows = self._orgs(op, within)
            day = on or op.today
            ids = [r.id for r in rows]
            steps = op.uow.conn.execute(
                sa.select(tr.c.org_id, tr.c.seq, tr.c.to_stage, tr.c.day)
                .where(tr.c.org_id.in_(ids)).order_by(tr.c.org_id, tr.c.seq)).all() if ids \
                else []
        spells: dict[str, list[int]] = defaultdict(list)
        running: dict[str, list[int]] = defaultdict(list)
        by_org: dict[str, list[Any]] = defaultdict(list)
        for s in steps:
            by_org[s.org_id].append(s)
        for seq in by_org.values():
            # consecutive steps into the same stage (evaluations) are one spell
            starts = [s for i, s in enumerate(seq) if i == 0 or s.to_stage != seq[i - 1].to_stage]
            for i, s in enumerate(starts):
                if i + 1 < len(starts):
                    spells[s.to_stage].append((starts[i + 1].day - s.day).days)
                elif s.to_stage != OrgStage.DEREGISTERED.value:
                    running[s.to_stage].append(max((day - s.day).days, 0))

        def summary(values: list[int]) -> dict[str, Any]:
            return {"count": len(values),
                    "mean_days": round(statistics.fmean(values), 1) if values else None,
                    "median_days": statistics.median(values) if values else None}

        return {"as_of": day.isoformat(), "stages": {
            s.value: {"ended": summary(spells.get(s.value, [])),
                      "running": summary(running.get(s.value, []))}
            for s in OrgStage if s is not OrgStage.DEREGISTERED}}

    def grades_over_time(self, actor: Actor, *, within: str | None = None) -> dict[str, Any]:
        """Evaluation grades per year of evaluation (评估等级分布), with the mean score."""
        by_year: dict[int, list[Any]] = defaultdict(list)
        for ev in self.evaluations(actor, within=within):
            by_year[ev.on.year].append(ev)
        out: dict[str, Any] = {}
        for year, evs in sorted(by_year.items()):
            grades = Counter(e.grade.value if e.grade else "ungraded" for e in evs)
            out[str(year)] = {
                "evaluated": len(evs),
                "grades": {g.value: grades.get(g.value, 0) for g in Grade}
                | {"ungraded": grades.get("ungraded", 0)},
                "mean_score": str((sum((e.score for e in evs), start=Decimal(0)) / len(evs))
                                  .quantize(Decimal("0.1"))),
            }
        return {"years": out}

    def findings_report(self, actor: Actor, *, within: str | None = None,
                        on: dt.date | None = None) -> dict[str, Any]:
        """Supervision findings: open, overdue on ``on`` (default today), rectified and
        rectified late; the open ones listed with their deadlines."""
        with self._read(actor, "orgs.findings_report") as op:
            day = on or op.today
        found = self.findings(actor, within=within)
        open_ = [f for f in found if f.open]
        overdue = [f for f in open_ if f.overdue_on(day)]
        done = [f for f in found if not f.open]
        return {
            "as_of": day.isoformat(), "findings": len(found), "open": len(open_),
            "overdue": len(overdue), "rectified": len(done),
            "rectified_late": sum(1 for f in done
                                  if f.rectified_on is not None and f.rectified_on > f.deadline),
            "open_items": [{"id": f.id, "org_id": f.org_id, "found_on": f.found_on.isoformat(),
                            "deadline": f.deadline.isoformat(), "overdue": f.overdue_on(day),
                            "text": f.text} for f in open_],
        }

    def staff_report(self, actor: Actor, *, within: str | None = None,
                     on: dt.date | None = None) -> dict[str, Any]:
        """Staff and training (人才与培训) per organization: staff on ``on`` (full- and
        part-time, from universities), trainings, training hours and subsidies (CNY)."""
        s, tr = ot.social_org_staff, ot.social_org_trainings
        with self._read(actor, "orgs.staff_report") as op:
            rows = self._orgs(op, within)
            day = on or op.today
            ids = [r.id for r in rows]
            staff = op.uow.conn.execute(sa.select(s).where(s.c.org_id.in_(ids))).all() \
                if ids else []
            trainings = op.uow.conn.execute(
                sa.select(s.c.org_id, tr.c.hours, tr.c.subsidy_fen)
                .select_from(tr.join(s, s.c.id == tr.c.staff_id))
                .where(s.c.org_id.in_(ids))).all() if ids else []
        per: dict[str, dict[str, Any]] = {
            r.id: {"name": r.name, "community_code": r.community_code, "staff": 0,
                   "full_time": 0, "part_time": 0, "from_university": 0, "trainings": 0,
                   "training_hours": 0, "subsidy_fen": 0} for r in rows}
        for m in staff:
            if m.joined_on <= day and (m.left_on is None or day <= m.left_on):
                p = per[m.org_id]
                p["staff"] += 1
                p["full_time" if m.full_time else "part_time"] += 1
                p["from_university"] += int(bool(m.from_university))
        for t_ in trainings:
            p = per[t_.org_id]
            p["trainings"] += 1
            p["training_hours"] += int(t_.hours)
            p["subsidy_fen"] += int(t_.subsidy_fen)
        totals = {k: sum(p[k] for p in per.values()) for k in (
            "staff", "full_time", "part_time", "from_university", "trainings",
            "training_hours", "subsidy_fen")}
        for p in [*per.values(), totals]:
            p["subsidies"] = str(from_fen(p.pop("subsidy_fen")))
        return {"as_of": day.isoformat(), "totals": totals,
                "organizations": {k: v for k, v in per.items() if v["staff"] or v["trainings"]}}
