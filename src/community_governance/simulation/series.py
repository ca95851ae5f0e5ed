"""Time series per community (社区时间序列): the tidy long table of a run, weekly or monthly.

:func:`series_table` turns a run's recorded ``(steps, communities)`` arrays, custom metrics
(:mod:`community_governance.simulation.metrics`) included, into one long table::

    community_code | community_name | period | date | metric | value

``period`` is the step (``week``) or ``YYYY-MM`` (``month``); ``date`` is the first day of
the week or of the month. A month sums the weeks of *flows* (cases opened, points issued,
money spent: :data:`FLOWS`), takes the last week of *stocks* (volunteers, backlog, fund
balances, satisfaction: :data:`STOCKS`) and averages custom metrics of kind ``mean``. A week
belongs to the month its first day falls in.

Sweeps (:func:`~community_governance.simulation.sweep.run_sweep` with ``series=``) gather
these tables of every run into ``series.parquet`` with the run's id, seed, replicate and
parameter values, ready for bands across seeds
(:func:`~community_governance.simulation.figures.plot_bands`).

Example::

    sim = Simulation(load_scenario("yima-2019").with_overrides({"city.scale": 0.05})).run()
    weekly = series_table(sim, ["volunteers", "on_time_share"])
    monthly = series_table(sim, ["cases_opened"], freq="month")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from community_governance.errors import ValidationError, require_extra
from community_governance.simulation.engine.arrays import COMMUNITY_COLUMNS

if TYPE_CHECKING:
    import polars as pl

    from community_governance.simulation.engine.results import _Results

__all__ = ["DEFAULT_SERIES", "FLOWS", "FREQS", "SERIES_SCHEMA", "STOCKS", "metric_kind",
           "series_columns", "series_table"]

#: Columns summed over a month.
FLOWS = ("activities", "participants", "attendances", "services", "points_issued",
         "points_redeemed", "redeemed_fen", "cases_opened", "cases_closed", "closed_on_time",
         "handling_days_sum", "capacity", "care_visits", "care_visits_needed", "inflow_fen",
         "outflow_fen")
#: Columns whose month is their last week.
STOCKS = tuple(c for c in COMMUNITY_COLUMNS if c not in FLOWS)
#: The series a sweep keeps when asked for ``series=True``.
DEFAULT_SERIES = ("participants", "volunteers", "culture_members", "points_issued",
                  "redeemed_fen", "cases_opened", "backlog", "satisfaction", "identification",
                  "participation_rate", "on_time_share", "utilisation")
FREQS = ("week", "month")


def metric_kind(sim: _Results, name: str) -> str:
    """``flow``, ``stock`` or ``mean``: how a month aggregates the weeks of ``name``."""
    if name in FLOWS:
        return "flow"
    if name in STOCKS:
        return "stock"
    return sim.metrics.kinds.get(name, "mean")


def series_table(sim: _Results, metrics: Sequence[str] | None = None,
                 freq: str = "week") -> pl.DataFrame:
    """The long table of ``metrics`` (default :data:`DEFAULT_SERIES` present in the run)
    per community, by week or by month.

    Raises:
        ValidationError: an unknown metric or frequency (naming the known ones).
    """
    require_extra("polars", "sim", "simulation tables")
    import polars as pl

    cols = series_columns(sim, metrics, freq)
    return pl.DataFrame(cols, schema=SERIES_SCHEMA())


def SERIES_SCHEMA() -> dict[str, Any]:
    """The columns of a series table and their polars types."""
    import polars as pl

    return {"community_code": pl.String, "community_name": pl.String, "period": pl.String,
            "date": pl.Date, "metric": pl.String, "value": pl.Float64}


def series_columns(sim: _Results, metrics: Sequence[str] | None = None,
                   freq: str = "week") -> dict[str, Any]:
    """The columns of :func:`series_table` as NumPy arrays (no polars: safe in a worker
    forked from a process whose polars threads are running).

    Raises:
        ValidationError: an unknown metric or frequency (naming the known ones).
    """
    if freq not in FREQS:
        raise ValidationError(f"freq must be week or month, got {freq!r}", path="freq")
    arrays = sim.community_arrays()
    names = [m for m in (metrics if metrics is not None else DEFAULT_SERIES)
             if metrics is not None or m in arrays]
    for m in names:
        if m not in arrays:
            raise ValidationError(
                f"unknown series {m!r}; known: {', '.join(sorted(arrays))}", path="series")
    s, n_c = sim.steps, sim.n_communities
    starts = sim.step_starts[:s]
    if freq == "week":
        periods = [str(t) for t in range(s)]
        dates = list(starts)
        groups = np.arange(s)
    else:
        months = [f"{d.year:04d}-{d.month:02d}" for d in starts]
        periods = list(dict.fromkeys(months))
        dates = [dt.date(int(p[:4]), int(p[5:]), 1) for p in periods]
        index = {p: i for i, p in enumerate(periods)}
        groups = np.array([index[m] for m in months], dtype=np.int64)
    n_p = len(periods)
    frames: list[dict[str, Any]] = []
    for name in names:
        a = np.asarray(arrays[name], dtype=np.float64)
        if freq == "week":
            v = a
        else:
            kind = metric_kind(sim, name)
            v = np.full((n_p, n_c), np.nan)
            for g in range(n_p):
                rows = a[groups == g]
                if kind == "flow":
                    v[g] = rows.sum(axis=0)
                elif kind == "stock":
                    v[g] = rows[-1]
                else:
                    with np.errstate(invalid="ignore"):
                        ok = ~np.isnan(rows)
                        cnt = ok.sum(axis=0)
                        v[g] = np.where(cnt > 0, np.where(ok, rows, 0).sum(axis=0)
                                        / np.maximum(cnt, 1), np.nan)
        frames.append({
            "community_code": np.tile(np.array(sim.city.community_codes), n_p),
            "community_name": np.tile(np.array(sim.city.community_names), n_p),
            "period": np.repeat(np.array(periods), n_c),
            "date": np.repeat(np.array(dates, dtype="datetime64[D]"), n_c),
            "metric": np.full(n_p * n_c, name),
            "value": v.reshape(-1),
        })
    keys = ("community_code", "community_name", "period", "date", "metric", "value")
    if not frames:
        return {k: np.zeros(0, dtype="datetime64[D]" if k == "date" else
                            np.float64 if k == "value" else str) for k in keys}
    return {k: np.concatenate([f[k] for f in frames]) for k in keys}


def _jsonable(value: Any) -> Any:
    import json

    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return value
