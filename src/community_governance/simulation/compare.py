"""Paired policy comparisons (政策配对比较): arms run on the same seeds, differences with intervals.

:func:`compare_policies` runs a baseline and one or more arms (each a set of scenario
overrides) on the same city and the same seeds. Because every mechanism draws from its own
named stream (:mod:`.engine.streams`), an arm and the baseline share every draw whose inputs
the policy did not change (common random numbers), so the seed-by-seed difference isolates the
policy's effect.

For every arm and metric the table gives the mean paired difference ``d = arm - baseline``,
its 95 % Student-t interval, the paired t-test's p-value, and that p-value adjusted for
multiple comparisons over the whole table (Holm's step-down by default, or Benjamini–Hochberg's
false-discovery rate). A difference that is exactly zero for every seed has p = 1.

Example::

    from community_governance.simulation import load_scenario
    from community_governance.simulation.compare import compare_policies

    sc = load_scenario("yima-2019").with_overrides({"city.scale": 0.02})
    cmp = compare_policies(sc, {"double points": {"points.rate": 20},
                                "more staff": {"staff.per_community": 9}}, seeds=10)
    cmp.table       # rows: arm, metric, diff_mean, ci95_low, ci95_high, p_value, p_adjusted
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from community_governance.errors import ValidationError, require_extra
from community_governance.simulation.scenario import Scenario

if TYPE_CHECKING:
    import polars as pl

    from community_governance.simulation.engine import SimCity

__all__ = ["CORRECTIONS", "Comparison", "benjamini_hochberg", "compare_policies", "holm",
           "paired_difference"]

#: The multiple-comparison corrections offered.
CORRECTIONS = ("holm", "bh", "none")

#: Metrics compared by default (keys of :meth:`Simulation.summary`).
DEFAULT_METRICS = (
    "participation_rate_mean", "volunteers_mean", "services", "points_issued",
    "supermarket_cost_fen", "cases_opened", "on_time_share", "overdue_backlog_end",
    "satisfaction_end", "identification_end",
)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (family-wise error), in the input order.

    ``p_(i) * (m - i + 1)`` over the sorted p-values, made monotone and capped at 1.
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        out[i] = running
    return out


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (false-discovery rate), in the input order.

    ``p_(i) * m / i`` over the sorted p-values, made monotone from the largest, capped at 1.
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i], reverse=True)
    out = [0.0] * m
    running = 1.0
    for k, i in enumerate(order):
        rank = m - k
        running = min(running, p_values[i] * m / rank)
        out[i] = min(1.0, running)
    return out


def paired_difference(diffs: Sequence[float]) -> dict[str, float]:
    """Mean, standard deviation, 95 % t interval and two-sided t-test p-value of paired
    differences. All-equal differences give a zero-width interval, p = 1 if they are 0 and
    p = 0 otherwise; fewer than two give NaN intervals and p."""
    require_extra("scipy", "sim", "paired comparisons")
    from scipy import stats

    vals = [float(d) for d in diffs if d is not None and not math.isnan(float(d))]
    n = len(vals)
    mean = sum(vals) / n if n else math.nan
    if n < 2:
        return {"n": n, "diff_mean": mean, "diff_sd": math.nan, "ci95_low": math.nan,
                "ci95_high": math.nan, "p_value": math.nan}
    sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1))
    if sd == 0.0:
        return {"n": n, "diff_mean": mean, "diff_sd": 0.0, "ci95_low": mean, "ci95_high": mean,
                "p_value": 1.0 if mean == 0.0 else 0.0}
    se = sd / math.sqrt(n)
    half = float(stats.t.ppf(0.975, n - 1)) * se
    p = float(2.0 * stats.t.sf(abs(mean / se), n - 1))
    return {"n": n, "diff_mean": mean, "diff_sd": sd, "ci95_low": mean - half,
            "ci95_high": mean + half, "p_value": p}


@attrs.frozen
class Comparison:
    """The result of a paired comparison (配对比较结果).

    Attributes:
        runs: one dict per arm and seed: ``arm``, ``seed`` and every metric.
        rows: one dict per arm and metric: ``arm``, ``metric``, ``n``, ``baseline_mean``,
            ``arm_mean``, ``diff_mean``, ``diff_sd``, ``ci95_low``, ``ci95_high``,
            ``p_value``, ``p_adjusted``, ``significant``.
        correction: the multiple-comparison correction applied.
        alpha: the level ``significant`` is judged at (on ``p_adjusted``).
        seeds: the seeds every arm ran on.
    """

    runs: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    correction: str
    alpha: float
    seeds: tuple[int, ...]

    @property
    def table(self) -> pl.DataFrame:
        """:attr:`rows` as a polars table."""
        require_extra("polars", "sim", "simulation tables")
        import polars as pl

        return pl.DataFrame(self.rows, infer_schema_length=None)

    def row(self, arm: str, metric: str) -> dict[str, Any]:
        """The row of ``arm`` and ``metric``.

        Raises:
            KeyError: no such row.
        """
        for r in self.rows:
            if r["arm"] == arm and r["metric"] == metric:
                return r
        raise KeyError(f"no row for arm {arm!r} and metric {metric!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"correction": self.correction, "alpha": self.alpha, "seeds": list(self.seeds),
                "rows": self.rows, "runs": self.runs}


def _seeds(seeds: int | Sequence[int], base: int) -> tuple[int, ...]:
    if isinstance(seeds, int):
        if seeds < 2:
            raise ValidationError("a paired comparison needs at least 2 seeds", path="seeds")
        return tuple(base + i for i in range(seeds))
    out = tuple(int(s) for s in seeds)
    if len(out) < 2 or len(set(out)) != len(out):
        raise ValidationError("a paired comparison needs at least 2 distinct seeds",
                              path="seeds")
    return out


def compare_policies(
    scenario: Scenario, arms: Mapping[str, Mapping[str, Any]], *,
    seeds: int | Sequence[int] = 10, metrics: Sequence[str] = DEFAULT_METRICS,
    correction: str = "holm", alpha: float = 0.05, city: SimCity | None = None,
    plugins: Sequence[object] = (),
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Run the baseline and every arm on the same seeds and city; tabulate paired differences.

    Args:
        scenario: the baseline scenario.
        arms: arm name to dotted-key overrides of the baseline, e.g.
            ``{"double points": {"points.rate": 20}}``.
        seeds: how many seeds (``run.seed``, ``run.seed + 1``, ...) or the seeds themselves.
        metrics: keys of the run summary to compare.
        correction: ``holm`` (family-wise), ``bh`` (false-discovery rate) or ``none``, over
            every arm and metric of the table.
        alpha: the level for ``significant``.
        city: the city (default the scenario's, generated or read from the cache once).
        plugins: further plugins given to every run.
        progress: called as ``progress(done, total)`` after each run.

    Raises:
        ValidationError: no arm, an arm named ``baseline``, a bad override, metric or
            correction, fewer than 2 seeds; nothing runs then.
    """
    from community_governance.simulation.engine import Simulation, city_for

    if not arms:
        raise ValidationError("give at least one arm to compare with the baseline", path="arms")
    if "baseline" in arms:
        raise ValidationError("an arm may not be called 'baseline' (the baseline's name)",
                              path="arms")
    if correction not in CORRECTIONS:
        raise ValidationError(f"correction must be one of {', '.join(CORRECTIONS)}, got "
                              f"{correction!r}", path="correction")
    seed_list = _seeds(seeds, scenario.run.seed)
    scenarios = {"baseline": scenario}
    for name, overrides in arms.items():
        scenarios[name] = scenario.with_overrides(overrides)
        if any(k.startswith("city.") for k in overrides):
            raise ValidationError(
                f"arm {name!r} changes the city ({', '.join(overrides)}); a paired comparison "
                "runs every arm on the same city", path="arms")
    c = city if city is not None else city_for(scenario.city.seed, scenario.city.scale,
                                               scenario.city.generator)
    runs: list[dict[str, Any]] = []
    total = len(scenarios) * len(seed_list)
    for name, sc in scenarios.items():
        for s in seed_list:
            summary = Simulation(sc, seed=s, city=c, plugins=plugins).run().summary()
            unknown = [m for m in metrics if m not in summary]
            if unknown:
                raise ValidationError(
                    f"unknown metric {unknown[0]!r}; metrics are keys of the run summary such "
                    f"as {', '.join(DEFAULT_METRICS)}", path="metrics")
            runs.append({"arm": name, "seed": s, **{m: summary[m] for m in metrics}})
            if progress:
                progress(len(runs), total)
    by = {(r["arm"], r["seed"]): r for r in runs}
    rows: list[dict[str, Any]] = []
    for name in arms:
        for m in metrics:
            base = [by["baseline", s][m] for s in seed_list]
            arm = [by[name, s][m] for s in seed_list]
            pairs = [(a, b) for a, b in zip(arm, base, strict=True)
                     if a is not None and b is not None]
            stats = paired_difference([float(a) - float(b) for a, b in pairs])
            rows.append({"arm": name, "metric": m,
                         "baseline_mean": _mean([b for _, b in pairs]),
                         "arm_mean": _mean([a for a, _ in pairs]), **stats})
    ps = [r["p_value"] if not math.isnan(r["p_value"]) else 1.0 for r in rows]
    adj = holm(ps) if correction == "holm" else benjamini_hochberg(ps) \
        if correction == "bh" else ps
    for r, p in zip(rows, adj, strict=True):
        r["p_adjusted"] = p
        r["significant"] = bool(p < alpha)
    return Comparison(runs, rows, correction, alpha, seed_list)


def _mean(values: Sequence[Any]) -> float:
    vals = [float(v) for v in values]
    return sum(vals) / len(vals) if vals else math.nan
