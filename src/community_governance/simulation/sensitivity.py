"""Global sensitivity analysis (全局敏感性分析) of the simulation through SALib.

:func:`sensitivity` samples the scenario's parameters over ranges (factors), runs the
simulation once per sample, and analyses each metric with SALib:

* ``method="lhs"``: a Latin hypercube (``SALib.sample.latin``) analysed with RBD-FAST
  (``SALib.analyze.rbd_fast``: first-order ``S1``), which reads first-order indices off any
  sample;
* ``method="morris"``: Morris elementary effects (``SALib.sample.morris``,
  ``SALib.analyze.morris``: ``mu_star``, ``sigma``, ``mu``), for screening many factors;
* ``method="sobol"``: Saltelli/Sobol' sampling (``SALib.sample.sobol``, ``N`` a power of 2)
  and variance-based indices (``SALib.analyze.sobol``: first-order ``S1`` and total ``ST``).

Every index comes with its 95 % bootstrap confidence interval (SALib's ``*_conf`` half-widths;
Morris ``sigma`` and ``mu`` have none). Every run uses the same behaviour seed, so the spread
of an output comes from the factors, not from different draws (common random numbers; see
:mod:`.engine.streams`). Whole-number parameters are rounded, money to the fen.

Example::

    from community_governance.simulation import load_scenario
    from community_governance.simulation.sensitivity import sensitivity

    sc = load_scenario("yima-2019").with_overrides({"city.scale": 0.02})
    res = sensitivity(sc, {"staff.cases_per_staff_day": (1.5, 3.0),
                           "behaviour.participation.points_incentive": (0.0, 1.0)},
                      method="morris", samples=10, metrics=("on_time_share",))
    res.table          # metric, parameter, label, index, value, ci95_low, ci95_high
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

try:
    import numpy as np
except ImportError as exc:  # the base install has no numpy
    from community_governance.errors import MissingExtra

    raise MissingExtra("numpy", "sim", "the simulation") from exc

from community_governance.errors import ValidationError, require_extra
from community_governance.simulation.scenario import Scenario

if TYPE_CHECKING:
    import concurrent.futures as cf

    import polars as pl

    from community_governance.simulation.engine import SimCity

__all__ = ["METHODS", "PARAMETER_LABELS", "SensitivityResult", "parameter_label",
           "plot_sensitivity", "sensitivity"]

#: The designs offered.
METHODS = ("lhs", "morris", "sobol")

#: Documented names (docs/simulation.md) of commonly varied parameters: English, Chinese, unit.
PARAMETER_LABELS: dict[str, tuple[str, str, str]] = {
    "points.rate": ("points per hour of service", "每小时积分", "points/h"),
    "points.point_value_fen": ("value of a point", "积分价值", "fen"),
    "supermarket.budget_cny_per_community": ("supermarket budget per community", "积分超市预算",
                                             "CNY/year"),
    "staff.per_community": ("staff per community", "社区工作人员", "persons"),
    "staff.cases_per_staff_day": ("cases a staff member closes a day", "人均日办件", "cases/day"),
    "staff.grid_leader_cases_per_day": ("cases a grid leader closes a day", "网格长日办件",
                                        "cases/day"),
    "grids.households_per_grid": ("households per grid", "每网格户数", "households"),
    "activities.per_community_per_year": ("activities per community a year", "社区年活动数",
                                          "activities/year"),
    "activities.cost_cny": ("cost of an activity", "活动成本", "CNY"),
    "funds.partner_cny_per_year": ("partner (general) fund", "共建经费", "CNY/year"),
    "funds.culture_cny_per_year": ("culture fund", "文体经费", "CNY/year"),
    "funds.care_cny_per_year": ("care fund", "关爱经费", "CNY/year"),
    "behaviour.participation.base_logit": ("baseline attendance logit", "参与基准", "logit"),
    "behaviour.participation.points_incentive": ("points-incentive coefficient of attendance",
                                                 "积分激励系数", "logit"),
    "behaviour.participation.neighbours": ("neighbour-effect coefficient", "邻里效应系数",
                                           "logit"),
    "behaviour.volunteering.points_incentive": ("points-incentive factor of volunteering",
                                                "志愿积分激励", "factor"),
    "behaviour.volunteering.from_culture_per_year": ("culture member → volunteer hazard",
                                                     "文体转志愿率", "1/year"),
    "behaviour.satisfaction.on_time": ("weight of on-time service in satisfaction",
                                       "按时办结权重", "weight"),
}


def parameter_label(key: str, language: str = "en") -> str:
    """The axis label of a parameter: its documented name and unit, with the dotted key
    (``"staff per community [persons] (staff.per_community)"``); ``language="zh"`` gives the
    Chinese name first."""
    if key not in PARAMETER_LABELS:
        return key
    en, zh, unit = PARAMETER_LABELS[key]
    name = f"{zh} {en}" if language == "zh" else en
    return f"{name} [{unit}] ({key})"


@attrs.frozen
class SensitivityResult:
    """A sensitivity analysis (敏感性分析结果).

    Attributes:
        method: ``lhs``, ``morris`` or ``sobol``.
        problem: SALib's problem (``names``, ``bounds``, ``num_vars``).
        samples: the ``(runs, factors)`` design, as run (rounded where the parameter is whole).
        outputs: metric to the ``(runs,)`` outputs.
        rows: one dict per metric, parameter and index: ``metric``, ``parameter``, ``label``,
            ``index``, ``value``, ``ci95_low``, ``ci95_high`` (NaN where SALib gives none).
        seed: the behaviour seed every run used (and the design's seed).
    """

    method: str
    problem: dict[str, Any]
    samples: np.ndarray[Any, Any]
    outputs: dict[str, np.ndarray[Any, Any]]
    rows: list[dict[str, Any]]
    seed: int

    @property
    def table(self) -> pl.DataFrame:
        """:attr:`rows` as a polars table."""
        require_extra("polars", "sim", "simulation tables")
        import polars as pl

        return pl.DataFrame(self.rows, infer_schema_length=None)

    def index(self, metric: str, parameter: str, index: str) -> dict[str, Any]:
        """The row of one index.

        Raises:
            KeyError: no such row.
        """
        for r in self.rows:
            if (r["metric"], r["parameter"], r["index"]) == (metric, parameter, index):
                return r
        raise KeyError(f"no {index} of {parameter} for {metric}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: method, problem, seed, versions, indices, design and outputs."""
        from community_governance.simulation.provenance import package_versions

        return {"method": self.method, "problem": self.problem, "seed": self.seed,
                "versions": package_versions(), "indices": self.rows,
                "samples": self.samples.tolist(),
                "outputs": {k: v.tolist() for k, v in self.outputs.items()}}

    def write(self, out_dir: str | Path, *, plots: bool = True) -> list[Path]:
        """Write ``sensitivity.json`` and, with ``plots``, the figures; returns the files."""
        from community_governance.simulation.outputs import write_json

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "sensitivity.json", self.to_dict())
        files = [out / "sensitivity.json"]
        if plots:
            files += plot_sensitivity(self, out)
        return files


def _coerce(scenario: Scenario, key: str, value: float) -> Any:
    node: Any = scenario
    for part in key.split("."):
        if not hasattr(node, part):
            raise ValidationError(f"{key} is not a scenario parameter", path=key)
        node = getattr(node, part)
    if isinstance(node, bool):
        raise ValidationError(f"{key} is true/false; vary numbers only", path=key)
    if isinstance(node, Decimal):
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    if isinstance(node, int) or (node is None and key == "points.rate"):
        return round(value)
    if isinstance(node, float):
        return float(value)
    raise ValidationError(f"{key} is not a number ({type(node).__name__}); vary numbers only",
                          path=key)


def _design(method: str, problem: dict[str, Any], samples: int, seed: int) -> Any:
    require_extra("SALib", "sim", "sensitivity analysis")
    from SALib.sample import latin, morris
    from SALib.sample import sobol as sobol_sample

    if method == "lhs":
        return latin.sample(problem, samples, seed=seed)
    if method == "morris":
        return morris.sample(problem, samples, num_levels=4, seed=seed)
    if samples & (samples - 1):
        raise ValidationError(f"Sobol' sampling needs samples a power of 2, got {samples}",
                              path="samples")
    return sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed)


def _analyse(method: str, problem: dict[str, Any], x: Any, y: Any, seed: int
             ) -> dict[str, tuple[Any, Any]]:
    """Index name to (values per factor, 95 % half-widths or None)."""
    from SALib.analyze import morris
    from SALib.analyze import sobol as sobol_analyze

    if method == "lhs":
        from SALib.analyze import rbd_fast

        # RBD-FAST reads first-order indices off any sample, a Latin hypercube included
        # (SALib's delta measure takes minutes for 20 runs in SALib 1.6)
        r = rbd_fast.analyze(problem, x, y, M=min(10, max(1, len(y) // 5)),
                             num_resamples=100, seed=seed)
        return {"S1": (r["S1"], r["S1_conf"])}
    if method == "morris":
        r = morris.analyze(problem, x, y, num_resamples=100, num_levels=4, seed=seed)
        return {"mu_star": (r["mu_star"], r["mu_star_conf"]), "sigma": (r["sigma"], None),
                "mu": (r["mu"], None)}
    r = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=100,
                              seed=seed)
    return {"S1": (r["S1"], r["S1_conf"]), "ST": (r["ST"], r["ST_conf"])}


def _run_one(args: tuple[Mapping[str, Any], str, Mapping[str, Any], int, Sequence[str],
                         SimCity | None]) -> list[float]:
    raw, source, overrides, seed, metrics, city = args
    from community_governance.simulation.engine import Simulation

    sc = Scenario.from_dict(raw, source=source).with_overrides(overrides)
    summary = Simulation(sc, seed=seed, city=city).run().summary()
    out = []
    for m in metrics:
        v = summary.get(m)
        out.append(math.nan if v is None else float(v))
    return out


def sensitivity(
    scenario: Scenario, factors: Mapping[str, tuple[float, float]], *, method: str = "morris",
    samples: int = 10, metrics: Sequence[str] = ("on_time_share", "participation_rate_mean"),
    seed: int | None = None, city: SimCity | None = None, executor: cf.Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SensitivityResult:
    """Sample the factors, run the simulation per sample and compute sensitivity indices.

    Args:
        scenario: the base scenario.
        factors: dotted key to ``(low, high)``; at least one, each a number of the scenario.
        method: ``lhs``, ``morris`` or ``sobol``.
        samples: LHS: runs; Morris: trajectories (runs = samples × (factors + 1)); Sobol':
            the base sample ``N``, a power of 2 (runs = N × (factors + 2)).
        metrics: keys of the run summary to analyse.
        seed: the behaviour seed of every run and the design's seed (default the scenario's).
        city: the city (default the scenario's, from the cache).
        executor: run the samples on this executor (default one after another here).
        progress: called as ``progress(done, total)``.

    Raises:
        ValidationError: no factor, a bad key, range, method or sample count; a metric that is
            not in the run summary. Nothing runs then.
    """
    from community_governance.simulation.engine import city_for

    if method not in METHODS:
        raise ValidationError(f"method must be one of {', '.join(METHODS)}, got {method!r}",
                              path="method")
    if not factors:
        raise ValidationError("give at least one factor KEY=LOW:HIGH", path="factors")
    if samples < 2:
        raise ValidationError("samples must be at least 2", path="samples")
    for key, (lo, hi) in factors.items():
        if key.startswith("city.") or key.startswith("run."):
            raise ValidationError(f"{key}: vary policies or behaviour, not the city or the run",
                                  path=key)
        if not float(lo) < float(hi):
            raise ValidationError(f"{key}: the range needs low < high, got {lo}:{hi}", path=key)
        scenario.with_overrides({key: _coerce(scenario, key, float(lo))})
        scenario.with_overrides({key: _coerce(scenario, key, float(hi))})
    _check_metrics(metrics)
    keys = list(factors)
    use_seed = scenario.run.seed if seed is None else int(seed)
    problem = {"num_vars": len(keys), "names": keys,
               "bounds": [[float(factors[k][0]), float(factors[k][1])] for k in keys]}
    x = np.asarray(_design(method, problem, samples, use_seed), dtype=np.float64)
    c = city if city is not None else city_for(scenario.city.seed, scenario.city.scale,
                                               scenario.city.generator)
    jobs = []
    for row in x:
        overrides = {k: _coerce(scenario, k, float(v)) for k, v in zip(keys, row, strict=True)}
        jobs.append((dict(scenario.raw), scenario.source, overrides, use_seed, tuple(metrics),
                     c))
    results: list[list[float]] = []
    mapper = executor.map if executor is not None else map
    for out in mapper(_run_one, jobs):
        results.append(out)
        if progress:
            progress(len(results), len(jobs))
    y_all = np.array(results, dtype=np.float64).reshape(len(jobs), len(metrics))
    rows: list[dict[str, Any]] = []
    outputs: dict[str, np.ndarray[Any, Any]] = {}
    for j, m in enumerate(metrics):
        y = y_all[:, j]
        outputs[m] = y
        if not np.all(np.isfinite(y)):
            y = np.where(np.isfinite(y), y, np.nanmean(y) if np.isfinite(y).any() else 0.0)
        for name, (vals, conf) in _analyse(method, problem, x, y, use_seed).items():
            for i, k in enumerate(keys):
                v = float(vals[i])
                half = float(conf[i]) if conf is not None else math.nan
                rows.append({"metric": m, "parameter": k, "label": parameter_label(k),
                             "index": name, "value": v, "ci95_low": v - half,
                             "ci95_high": v + half})
    return SensitivityResult(method, problem, x, outputs, rows, use_seed)


def _check_metrics(metrics: Sequence[str]) -> None:
    from community_governance.simulation.sweep import METRICS

    known = set(METRICS) | {"volunteers_end", "culture_members_end", "points_outstanding",
                            "volunteers_from_culture_end", "care_visits_needed"}
    for m in metrics:
        if m not in known:
            raise ValidationError(f"unknown metric {m!r}; use one of {', '.join(sorted(known))}",
                                  path="metrics")


def plot_sensitivity(result: SensitivityResult, out_dir: str | Path, *,
                     language: str = "en") -> list[Path]:
    """Draw, per metric, ``sensitivity-<metric>.png`` (the indices with their 95 % intervals,
    one bar per parameter named as documented) and ``scatter-<metric>.png`` (the metric
    against each parameter). 300 dpi; axes carry the parameter's documented name and unit;
    money is shown in plain numbers (no offset, no scientific notation)."""
    require_extra("matplotlib", "sim", "plots")
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    keys = list(result.problem["names"])
    files: list[Path] = []
    indices = [i for i in ("S1", "ST", "mu_star") if any(
        r["index"] == i for r in result.rows)]
    for metric, y in result.outputs.items():
        fig, ax = plt.subplots(figsize=(7.0, 0.6 * len(keys) + 1.8), layout="constrained")
        height = 0.8 / max(len(indices), 1)
        for n, name in enumerate(indices):
            rows = [result.index(metric, k, name) for k in keys]
            vals = np.array([r["value"] for r in rows])
            lo = vals - np.array([r["ci95_low"] for r in rows])
            hi = np.array([r["ci95_high"] for r in rows]) - vals
            err = np.nan_to_num(np.vstack([lo, hi]))
            ax.barh(np.arange(len(keys)) + n * height, vals, height=height, xerr=err,
                    capsize=3, label=f"{name} (95 % CI)")
        ax.set_yticks(np.arange(len(keys)) + height * (len(indices) - 1) / 2,
                      [parameter_label(k, language) for k in keys])
        ax.set_xlabel(f"{'/'.join(indices)} of {metric} ({result.method})")
        ax.legend(loc="best")
        ax.ticklabel_format(axis="x", useOffset=False, style="plain")
        path = out / f"sensitivity-{metric}.png"
        fig.savefig(path, dpi=300)
        plt.close(fig)
        files.append(path)
        fig, axes = plt.subplots(1, len(keys), figsize=(3.2 * len(keys), 3.0),
                                 layout="constrained", squeeze=False)
        for i, k in enumerate(keys):
            a = axes[0][i]
            a.scatter(result.samples[:, i], y, s=8)
            a.set_xlabel(parameter_label(k, language), fontsize=7)
            a.set_ylabel(metric if i == 0 else "")
            a.ticklabel_format(useOffset=False, style="plain")
        path = out / f"scatter-{metric}.png"
        fig.savefig(path, dpi=300)
        plt.close(fig)
        files.append(path)
    return files
