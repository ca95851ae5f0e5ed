"""The results of a run (仿真结果): the tidy tables and the summary in figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

try:
    import numpy as np
except ImportError as exc:  # the base install has no numpy
    from community_governance.errors import MissingExtra

    raise MissingExtra("numpy", "sim", "the simulation") from exc

from community_governance.errors import require_extra
from community_governance.simulation.engine.arrays import (
    ACCOUNTS,
    FLOAT_COLUMNS,
    SCALED_QUEUE_COLUMNS,
    Arr,
)
from community_governance.simulation.engine.city import SimCity
from community_governance.simulation.provenance import package_versions
from community_governance.simulation.scenario import Scenario

if TYPE_CHECKING:
    import polars as pl

    from community_governance.simulation.metrics import MetricRecorder


class _Results:
    """The tables and the summary of a run (仿真结果), read from the recorded arrays.

    :class:`~community_governance.simulation.engine.Simulation` sets these attributes.
    """

    scenario: Scenario
    seed: int
    city: SimCity
    steps: int
    n_communities: int
    step_starts: list[dt.date]
    deadline_working_days: dict[str, int]
    points_per_attendance: Arr
    points_per_service: Arr
    grids_c: Arr
    staff_c: Arr
    handover_h: Arr
    balance: Arr
    satisfaction: Arr
    identification: Arr
    funds: Arr
    totals: dict[str, int]
    _cols: dict[str, Arr]
    _model_vars: dict[str, list[float]]
    metrics: MetricRecorder

    def community_arrays(self) -> dict[str, Arr]:
        """The recorded ``(steps, communities)`` arrays of every column, steps done only."""
        return {k: v[: self.steps] for k, v in self._cols.items()}

    def community_table(self) -> pl.DataFrame:
        """The tidy table: one row per step and community (money in fen, integers)."""
        require_extra("polars", "sim", "simulation tables")
        import polars as pl

        s, n_c = self.steps, self.n_communities
        data: dict[str, Any] = {
            "step": np.repeat(np.arange(s), n_c),
            "date": np.repeat(np.array(self.step_starts[:s], dtype="datetime64[D]"), n_c),
            "community_code": np.tile(np.array(self.city.community_codes), s),
            "community_name": np.tile(np.array(self.city.community_names), s),
        }
        floats = set(FLOAT_COLUMNS) | set(self.metrics.columns)
        if self.city.scale != 1.0:  # the full-size queue times the scale
            floats |= set(SCALED_QUEUE_COLUMNS)
        for k, v in self.community_arrays().items():
            flat = v.reshape(-1)
            data[k] = flat if k in floats else np.rint(flat).astype(np.int64)
        return pl.DataFrame(data)

    def city_table(self) -> pl.DataFrame:
        """One row per step: city totals, rates and the reporters' values."""
        require_extra("polars", "sim", "simulation tables")
        import polars as pl

        a = self.community_arrays()
        res = a["residents"].sum(axis=1)
        closed = a["cases_closed"].sum(axis=1)
        data: dict[str, Any] = {
            "step": np.arange(self.steps),
            "date": np.array(self.step_starts[: self.steps], dtype="datetime64[D]"),
        }
        for k in ("activities", "participants", "services", "volunteers", "culture_members",
                  "volunteers_from_culture", "points_issued", "points_redeemed",
                  "redeemed_fen", "points_outstanding", "cases_opened", "cases_closed",
                  "closed_on_time", "backlog", "overdue_backlog", "care_visits",
                  "fund_office_fen", "fund_care_fen", "fund_culture_fen", "fund_general_fen"):
            total = a[k].sum(axis=1)
            scaled = self.city.scale != 1.0 and k in SCALED_QUEUE_COLUMNS
            data[k] = total if scaled else np.rint(total).astype(np.int64)
        data["participation_rate"] = a["participants"].sum(axis=1) / np.maximum(res, 1)
        data["on_time_share"] = np.where(
            closed > 0, a["closed_on_time"].sum(axis=1) / np.maximum(closed, 1), np.nan)
        data["mean_handling_days"] = np.where(
            closed > 0, a["handling_days_sum"].sum(axis=1) / np.maximum(closed, 1), np.nan)
        hh = a["households"]
        data["satisfaction"] = (a["satisfaction"] * hh).sum(axis=1) / np.maximum(
            hh.sum(axis=1), 1)
        data["identification"] = (a["identification"] * a["residents"]).sum(
            axis=1) / np.maximum(res, 1)
        for name, values in self._model_vars.items():
            data[name] = np.array(values, dtype=np.float64)
        return pl.DataFrame(data)

    def summary(self) -> dict[str, Any]:
        """The run in figures (JSON-ready): totals, end state, means over the run."""
        a = self.community_arrays()
        s = max(self.steps, 1)
        res = float(a["residents"][0].sum()) if self.steps else float(self.city.n_residents)
        closed = float(a["cases_closed"].sum())
        last = {k: float(v[-1].sum()) if self.steps else 0.0 for k, v in a.items()}
        scale = self.city.scale
        weeks_per_year = 365.0 / self.scenario.run.step_days
        return {
            "scenario": self.scenario.run.name,
            "scenario_digest": self.scenario.digest(),
            "seed": self.seed,
            "versions": package_versions(),
            "steps": self.steps,
            "start": self.scenario.run.start.isoformat(),
            "end": self.step_starts[self.steps].isoformat(),
            "scale": scale,
            "residents": int(res),
            "households": self.city.n_households,
            "communities": self.n_communities,
            "grids": int(self.grids_c.sum()),
            "grid_leaders": int(self.grids_c.sum()),
            "building_leaders": self.city.building_leaders,
            "staff_per_community": float(self.staff_c.mean()),
            "handover_households": int(self.handover_h.sum()),
            "handover_compounds": len(getattr(self, "handover_compounds", ())),
            "culture_members_end": int(last["culture_members"]),
            "volunteers_end": int(last["volunteers"]),
            "volunteers_from_culture_end": int(last["volunteers_from_culture"]),
            "culture_members_mean": float(a["culture_members"].sum(axis=1).mean())
            if self.steps else 0.0,
            "volunteers_mean": float(a["volunteers"].sum(axis=1).mean()) if self.steps else 0.0,
            "activities": int(a["activities"].sum()),
            "activities_per_year": float(a["activities"].sum()) / s * weeks_per_year,
            "participation_rate_mean": float(a["participants"].sum() / s / max(res, 1)),
            "services": int(a["services"].sum()),
            "points_issued": self.totals["points_issued"],
            "points_redeemed": self.totals["points_redeemed"],
            "points_outstanding": int(self.balance.sum()),
            "supermarket_cost_fen": self.totals["redeemed_fen"],
            "supermarket_cost_cny": str((Decimal(self.totals["redeemed_fen"]) / 100)
                                        .quantize(Decimal("0.01"))),
            "cases_opened": round(float(a["cases_opened"].sum())),
            "cases_closed": round(closed),
            "on_time_share": float(a["closed_on_time"].sum() / closed) if closed else None,
            "mean_handling_days": float(a["handling_days_sum"].sum() / closed)
            if closed else None,
            "backlog_end": round(last["backlog"]),
            "overdue_backlog_end": round(last["overdue_backlog"]),
            "satisfaction_end": float(np.mean(self.satisfaction)),
            "satisfaction_handover_end": float(np.mean(self.satisfaction[self.handover_h]))
            if self.handover_h.any() else None,
            "identification_end": float(np.mean(self.identification)),
            "care_visits": int(a["care_visits"].sum()),
            "care_visits_needed": int(a["care_visits_needed"].sum()),
            "funds_end_fen": {name: int(self.funds[:, k].sum())
                              for k, name in enumerate(ACCOUNTS)},
            "inflow_fen": int(a["inflow_fen"].sum()),
            "outflow_fen": int(a["outflow_fen"].sum()),
            "deadline_working_days": self.deadline_working_days,
            "points_per_attendance": int(self.points_per_attendance.max(initial=0)),
            "points_per_service": int(self.points_per_service.max(initial=0)),
            **self._mechanism_summary(a, s, weeks_per_year),
        }

    def _mechanism_summary(self, a: dict[str, Arr], s: int, weeks_per_year: float
                           ) -> dict[str, Any]:
        """The mechanisms' figures (staff in post, turnover, councils, orgs, property)."""
        n_c = max(self.n_communities, 1)
        if not self.steps:
            return {}
        return {
            "staff_in_post_mean": float(a["staff"].sum(axis=1).mean() / n_c),
            "staff_effective_mean": float(a["staff_effective"].sum(axis=1).mean() / n_c),
            "staff_turnover_per_year": float(a["staff_leavers"][-1].sum()
                                             / max(a["staff"].sum(axis=1).mean(), 1e-9)
                                             / s * weeks_per_year),
            "wages_fen": int(a["wages_fen"].sum()),
            "council_meetings": int(a["council_meetings"].sum()),
            "disclosures": int(a["disclosures"].sum()),
            "informed_end": float(a["informed"][-1].mean()),
            "voice_end": float(a["voice"][-1].mean()),
            "culture_groups_end": float(a["culture_groups"][-1].sum()),
            "orgs_active_end": int(a["orgs_active"][-1].sum()),
            "orgs_incubating_end": int(a["orgs_incubating"][-1].sum()),
            "purchase_paid_fen": int(a["purchase_paid_fen"].sum()),
            "purchased_cases": float(a["purchased_cases"].sum()),
            "managed_compounds_end": int(a["managed_compounds"][-1].sum()),
            "unmanaged_households_end": int(a["unmanaged_households"][-1].sum()),
            "party_members": int(getattr(self, "party", np.zeros(0, bool)).sum()),
        }
