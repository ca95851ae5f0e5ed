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

With ``experiment=NAME`` (a recommendation of :mod:`.experiments`) the output of a run is not
a metric but a recommendation's **paired effect**: at every sample of the design the baseline
and each arm run on the same seeds and city, and the output is ``arm - baseline`` (averaged
over ``seeds``), so the indices say which assumptions the *effect* hinges on.
:data:`MECHANISM_FACTORS` are the mechanism coefficients with documented ranges (the
ABC-fitted ones over their priors).

Example::

    from community_governance.simulation import load_scenario
    from community_governance.simulation.sensitivity import sensitivity

    sc = load_scenario("yima-2019").with_overrides({"city.scale": 0.02})
    res = sensitivity(sc, {"staff.cases_per_staff_day": (1.5, 3.0),
                           "behaviour.participation.points_incentive": (0.0, 1.0)},
                      method="morris", samples=10, metrics=("on_time_share",))
    res.table          # metric, parameter, label, index, value, ci95_low, ci95_high

    eff = sensitivity(sc, {"staff.cases_per_staff_day": (1.5, 3.0),
                           "behaviour.culture.leave_per_year": (0.05, 0.3)},
                      experiment="permanent_staff", arms=["2 more permanent posts"],
                      metrics=("on_time_share",), samples=10)
    eff.index("on_time_share", "staff.cases_per_staff_day", "mu_star",
              arm="2 more permanent posts")
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

__all__ = ["FACTOR_SOURCES", "MECHANISM_FACTORS", "METHODS", "PARAMETER_LABELS",
           "SensitivityResult", "experiment_arms", "load_sensitivity", "parameter_label",
           "plot_drivers", "plot_sensitivity", "ranking_stability", "sensitivity"]

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
    "staff.temporary_quit_per_year": ("temporary staff quit rate", "临时人员离职率", "1/year"),
    "staff.permanent_quit_per_year": ("permanent staff quit rate", "编制人员离职率", "1/year"),
    "staff.hiring_lag_weeks": ("hiring lag", "补员周期", "weeks"),
    "staff.learning_weeks": ("learning time constant", "上手时间", "weeks"),
    "staff.new_hire_productivity": ("new hire's productivity", "新人效率", "share"),
    "staff.temporary_wage_cny_per_year": ("wage of a temporary post", "临时岗位工资",
                                          "CNY/year"),
    "activities.staff_days": ("staff days per activity", "每次活动占用人日", "days"),
    "behaviour.culture.join_per_attendance": ("recruitment per attendance", "参加活动入会率",
                                              "share"),
    "behaviour.culture.join_per_year": ("background joining of culture groups", "文体组织入会率",
                                        "1/year"),
    "behaviour.culture.leave_per_year": ("leaving culture groups", "文体组织退出率", "1/year"),
    "behaviour.volunteering.quit_per_year": ("volunteers quitting", "志愿者退出率", "1/year"),
    "behaviour.participation.identification": ("identification weight of attendance",
                                               "认同感参与系数", "logit"),
    "councils.identification_informed": ("identification from being informed", "知情认同系数",
                                         "weight"),
    "councils.identification_voice": ("identification from having a voice", "议事认同系数",
                                      "weight"),
    "councils.disclosure_reach": ("reach of a disclosure", "公开覆盖率", "share"),
    "councils.voice_per_meeting": ("voice gained per council meeting", "每次议事发声率",
                                   "share"),
    "councils.supervision_gain": ("property quality gained per meeting", "议事监督增益",
                                  "share"),
    "property.case_relief": ("case relief of a managed compound", "物业减件率", "share"),
    "orgs.cost_per_case_cny": ("cost of a purchased case", "购买服务单件成本", "CNY"),
    "orgs.quality_mean": ("mean quality of a social organization", "社会组织质量均值", "0..1"),
    "orgs.proposals_per_year": ("proposals of new organizations", "社会组织申办率",
                                "1/community/year"),
    "orgs.incubation_quality_gain": ("quality gained in incubation", "孵化质量增益", "0..1"),
}


def _abc_prior(key: str) -> tuple[float, float]:
    from community_governance.simulation.abc_fit import PRIORS

    p = next(p for p in PRIORS if p.key == key)
    return (p.low, p.high)


#: The mechanism coefficients a recommendation's effect may hinge on, with the ranges a
#: sensitivity analysis varies them over: the ABC-fitted coefficients over their prior ranges
#: (:data:`.abc_fit.PRIORS`), the assumed ones over the range given in :data:`FACTOR_SOURCES`.
#: The 2017 starting shares of the calibration run are not here (the 2019 scenario starts at
#: the study's levels).
MECHANISM_FACTORS: dict[str, tuple[float, float]] = {
    "staff.cases_per_staff_day": (1.5, 3.0),
    "staff.temporary_quit_per_year": _abc_prior("staff.temporary_quit_per_year"),
    "staff.permanent_quit_per_year": (0.02, 0.15),
    "staff.hiring_lag_weeks": _abc_prior("staff.hiring_lag_weeks"),
    "staff.learning_weeks": (4.0, 26.0),
    "staff.new_hire_productivity": (0.2, 0.8),
    "staff.temporary_wage_cny_per_year": (18000.0, 30000.0),
    "activities.per_community_per_year": _abc_prior("activities.per_community_per_year"),
    "activities.staff_days": _abc_prior("activities.staff_days"),
    "behaviour.culture.join_per_attendance": _abc_prior("behaviour.culture.join_per_attendance"),
    "behaviour.culture.join_per_year": _abc_prior("behaviour.culture.join_per_year"),
    "behaviour.culture.leave_per_year": _abc_prior("behaviour.culture.leave_per_year"),
    "behaviour.volunteering.from_culture_per_year": _abc_prior(
        "behaviour.volunteering.from_culture_per_year"),
    "behaviour.volunteering.quit_per_year": _abc_prior("behaviour.volunteering.quit_per_year"),
    "behaviour.participation.identification": (1.0, 3.0),
    "councils.identification_informed": (0.05, 0.3),
    "councils.identification_voice": (0.05, 0.3),
    "councils.supervision_gain": (0.0, 0.05),
    "property.case_relief": (0.4, 1.0),
    "orgs.cost_per_case_cny": (30.0, 120.0),
    "orgs.quality_mean": (0.3, 0.6),
    "orgs.proposals_per_year": (0.05, 0.2),
}

#: Where each range of :data:`MECHANISM_FACTORS` comes from.
FACTOR_SOURCES: dict[str, str] = {
    "staff.cases_per_staff_day": "assumed 2.2 (the four largest communities at a utilisation "
                                 "of 0.99-1.06); the range takes them from well over capacity "
                                 "to well under",
    "staff.permanent_quit_per_year": "assumed 0.05: payroll posts kept 7 to 50 years",
    "staff.learning_weeks": "assumed 12: one to six months to learn the job",
    "staff.new_hire_productivity": "assumed 0.4",
    "staff.temporary_wage_cny_per_year": "assumed 24,000: a staff channel of 24,000 CNY buys "
                                         "one post up to this wage, none above",
    "behaviour.participation.identification": "assumed 2.0, halved and raised by half",
    "councils.identification_informed": "assumed 0.15: a third to double",
    "councils.identification_voice": "assumed 0.15: a third to double",
    "councils.supervision_gain": "assumed 0.02: none to 2.5 times",
    "property.case_relief": "assumed 0.8",
    "orgs.cost_per_case_cny": "assumed 60, halved to doubled",
    "orgs.quality_mean": "assumed 0.45",
    "orgs.proposals_per_year": "assumed 0.1, halved to doubled",
}


def _factor_sources() -> None:
    from community_governance.simulation.abc_fit import PRIORS

    for p in PRIORS:
        if p.key in MECHANISM_FACTORS:
            FACTOR_SOURCES[p.key] = f"ABC prior ({p.why})"


_factor_sources()


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
        rows: one dict per output, parameter and index: ``output``, ``metric``, ``arm``
            (``None`` without an experiment), ``parameter``, ``label``, ``index``, ``value``,
            ``ci95_low``, ``ci95_high`` (NaN where SALib gives none).
        seed: the behaviour seed every run used (and the design's seed).
        experiment: the recommendation whose paired effects are the outputs, or ``None``
            (the outputs are the metrics themselves).
        levels: with an experiment, the baseline's metric per sample (``metric -> (runs,)``);
            the outputs are then ``metric[arm]``: arm minus baseline per sample.
        seeds: the seeds each sample ran on (the output is their mean).
    """

    method: str
    problem: dict[str, Any]
    samples: np.ndarray[Any, Any]
    outputs: dict[str, np.ndarray[Any, Any]]
    rows: list[dict[str, Any]]
    seed: int
    experiment: str | None = None
    levels: dict[str, np.ndarray[Any, Any]] = attrs.field(factory=dict)
    seeds: tuple[int, ...] = ()

    @property
    def table(self) -> pl.DataFrame:
        """:attr:`rows` as a polars table."""
        require_extra("polars", "sim", "simulation tables")
        import polars as pl

        return pl.DataFrame(self.rows, infer_schema_length=None)

    def index(self, metric: str, parameter: str, index: str, *,
              arm: str | None = None) -> dict[str, Any]:
        """The row of one index (of the effect of ``arm`` with an experiment).

        Raises:
            KeyError: no such row.
        """
        for r in self.rows:
            if (r["metric"], r["parameter"], r["index"], r["arm"]) == (metric, parameter,
                                                                       index, arm):
                return r
        raise KeyError(f"no {index} of {parameter} for {metric}"
                       + (f" [{arm}]" if arm else ""))

    def drivers(self, output: str, top: int | None = None) -> list[dict[str, Any]]:
        """The factors of one output by importance (Morris ``mu_star``, else ``ST``, else
        ``S1``), largest first: ``parameter``, ``value``, ``ci95_low``, ``ci95_high`` and,
        for Morris, the signed ``mu`` and ``sigma``."""
        names = {r["index"] for r in self.rows if r["output"] == output}
        if not names:
            raise KeyError(f"no output {output!r}; outputs: {', '.join(self.outputs)}")
        main = next(i for i in ("mu_star", "ST", "S1") if i in names)
        by = {(r["parameter"], r["index"]): r for r in self.rows if r["output"] == output}
        out = []
        for k in self.problem["names"]:
            r = dict(by[k, main])
            for extra in ("mu", "sigma"):
                if (k, extra) in by:
                    r[extra] = by[k, extra]["value"]
            out.append(r)
        out.sort(key=lambda r: -abs(r["value"]) if math.isfinite(r["value"]) else 0.0)
        return out[:top] if top else out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: method, problem, seed, versions, indices, design and outputs."""
        from community_governance.simulation.provenance import package_versions

        return {"method": self.method, "problem": self.problem, "seed": self.seed,
                "seeds": list(self.seeds), "experiment": self.experiment,
                "versions": package_versions(),
                # JSON has no NaN: an index without an interval (Morris mu, sigma) gets null
                "indices": [{k: None if isinstance(v, float) and math.isnan(v) else v
                             for k, v in row.items()} for row in self.rows],
                "samples": self.samples.tolist(),
                "outputs": {k: v.tolist() for k, v in self.outputs.items()},
                "levels": {k: v.tolist() for k, v in self.levels.items()}}

    def write(self, out_dir: str | Path, *, plots: bool = True) -> list[Path]:
        """Write ``sensitivity.json`` and, with ``plots``, the figures; returns the files."""
        from community_governance.simulation.outputs import write_json

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "sensitivity.json", self.to_dict())
        files = [out / "sensitivity.json"]
        if plots:
            files += plot_sensitivity(self, out)
            if self.method == "morris":
                files.append(plot_drivers(self, out / "drivers.png"))
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


def _metrics_of(sc: Scenario, seed: int, city: SimCity | None, metrics: Sequence[str]
                ) -> list[float]:
    from community_governance.simulation.engine import Simulation

    summary = Simulation(sc, seed=seed, city=city).run().summary()
    out = []
    for m in metrics:
        v = summary.get(m)
        out.append(math.nan if v is None else float(v))
    return out


def _run_one(args: tuple[Mapping[str, Any], str, Mapping[str, Any], Sequence[int],
                         Sequence[str], SimCity | None, Sequence[Mapping[str, Any]]]
             ) -> list[float]:
    """One sample of the design: the metrics of the base (mean over the seeds), then, per arm,
    the mean paired difference arm - base of every metric."""
    raw, source, overrides, seeds, metrics, city, arms = args
    sc = Scenario.from_dict(raw, source=source).with_overrides(overrides)
    base = np.array([_metrics_of(sc, s, city, metrics) for s in seeds])
    out = list(base.mean(axis=0))
    for arm in arms:
        arm_sc = sc.with_overrides(arm)
        vals = np.array([_metrics_of(arm_sc, s, city, metrics) for s in seeds])
        out += list((vals - base).mean(axis=0))
    return [float(v) for v in out]


def sensitivity(
    scenario: Scenario, factors: Mapping[str, tuple[float, float]], *, method: str = "morris",
    samples: int = 10, metrics: Sequence[str] | None = None,
    seed: int | None = None, city: SimCity | None = None, executor: cf.Executor | None = None,
    progress: Callable[[int, int], None] | None = None, experiment: str | None = None,
    arms: Sequence[str] | None = None, seeds: int = 1,
) -> SensitivityResult:
    """Sample the factors, run the simulation per sample and compute sensitivity indices of
    its metrics, or, with ``experiment``, of a recommendation's paired effects.

    Args:
        scenario: the base scenario.
        factors: dotted key to ``(low, high)``; at least one, each a number of the scenario.
        method: ``lhs``, ``morris`` or ``sobol``.
        samples: LHS: runs; Morris: trajectories (runs = samples × (factors + 1)); Sobol':
            the base sample ``N``, a power of 2 (runs = N × (factors + 2)).
        metrics: keys of the run summary to analyse (default ``on_time_share`` and
            ``participation_rate_mean``; with an experiment, its ``headline`` metrics).
        seed: the behaviour seed of every run and the design's seed (default the scenario's).
        city: the city (default the scenario's, from the cache).
        executor: run the samples on this executor (default one after another here).
        progress: called as ``progress(done, total)`` (samples of the design).
        experiment: a recommendation of :data:`.experiments.RECOMMENDATIONS`: every sample
            runs the baseline and each arm on the same seeds, and the outputs are the paired
            effects ``metric[arm]`` (arm minus baseline, mean over the seeds).
        arms: the experiment's arms to run (default all).
        seeds: seeds per sample (``seed`` onwards, the same for every sample); the output is
            the mean over them (a paired effect: the mean of the paired differences).

    Raises:
        ValidationError: no factor, a bad key, range, method or sample count; a metric that is
            not in the run summary; an unknown experiment or arm, or a factor an arm sets.
            Nothing runs then.
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
    if seeds < 1:
        raise ValidationError("seeds must be at least 1", path="seeds")
    arm_items = experiment_arms(experiment, arms, factors)
    if metrics is None:
        if experiment is not None:
            from community_governance.simulation.experiments import RECOMMENDATIONS

            metrics = RECOMMENDATIONS[experiment].headline
        else:
            metrics = ("on_time_share", "participation_rate_mean")
    _check_metrics(metrics)
    for _, arm_over in arm_items:
        scenario.with_overrides(arm_over)
    keys = list(factors)
    use_seed = scenario.run.seed if seed is None else int(seed)
    seed_list = tuple(use_seed + i for i in range(seeds))
    problem = {"num_vars": len(keys), "names": keys,
               "bounds": [[float(factors[k][0]), float(factors[k][1])] for k in keys]}
    x = np.asarray(_design(method, problem, samples, use_seed), dtype=np.float64)
    c = city if city is not None else city_for(scenario.city.seed, scenario.city.scale,
                                               scenario.city.generator)
    jobs = []
    for row in x:
        overrides = {k: _coerce(scenario, k, float(v)) for k, v in zip(keys, row, strict=True)}
        jobs.append((dict(scenario.raw), scenario.source, overrides, seed_list, tuple(metrics),
                     c, tuple(dict(o) for _, o in arm_items)))
    results: list[list[float]] = []
    mapper = executor.map if executor is not None else map
    for out in mapper(_run_one, jobs):
        results.append(out)
        if progress:
            progress(len(results), len(jobs))
    n_m = len(metrics)
    y_all = np.array(results, dtype=np.float64).reshape(len(jobs), n_m * (1 + len(arm_items)))
    levels = {m: y_all[:, j] for j, m in enumerate(metrics)}
    targets: list[tuple[str, str, str | None, np.ndarray[Any, Any]]] = []
    if not arm_items:
        targets = [(m, m, None, y_all[:, j]) for j, m in enumerate(metrics)]
    for a, (arm_name, _) in enumerate(arm_items):
        targets += [(f"{m}[{arm_name}]", m, arm_name, y_all[:, n_m * (a + 1) + j])
                    for j, m in enumerate(metrics)]
    rows: list[dict[str, Any]] = []
    outputs: dict[str, np.ndarray[Any, Any]] = {}
    for output, m, arm, y in targets:
        outputs[output] = y
        rows += _index_rows(method, problem, x, y, use_seed, output, m, arm)
    return SensitivityResult(method, problem, x, outputs, rows, use_seed, experiment,
                             levels if arm_items else {}, seed_list)


def _index_rows(method: str, problem: dict[str, Any], x: Any, y: np.ndarray[Any, Any],
                seed: int, output: str, metric: str, arm: str | None
                ) -> list[dict[str, Any]]:
    if not np.all(np.isfinite(y)):
        y = np.where(np.isfinite(y), y, np.nanmean(y) if np.isfinite(y).any() else 0.0)
    rows = []
    for name, (vals, conf) in _analyse(method, problem, x, y, seed).items():
        for i, k in enumerate(problem["names"]):
            v = float(vals[i])
            half = float(conf[i]) if conf is not None else math.nan
            rows.append({"output": output, "metric": metric, "arm": arm, "parameter": k,
                         "label": parameter_label(k), "index": name, "value": v,
                         "ci95_low": v - half, "ci95_high": v + half})
    return rows


def experiment_arms(experiment: str | None, arms: Sequence[str] | None,
                    factors: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The arms of ``experiment`` to run (``arms``, default all) as ``(name, overrides)``,
    checked against ``factors``: an unknown experiment or arm, or a factor an arm sets, raises
    :class:`ValidationError` (``factors={}`` to learn which factors the arms set)."""
    if experiment is None:
        if arms:
            raise ValidationError("arms need an experiment (--experiment NAME)", path="arms")
        return []
    from community_governance.simulation.experiments import RECOMMENDATIONS

    rec = RECOMMENDATIONS.get(experiment)
    if rec is None:
        raise ValidationError(f"unknown experiment {experiment!r}; known: "
                              f"{', '.join(RECOMMENDATIONS)}", path="experiment")
    names = list(arms) if arms else list(rec.arms)
    out = []
    for name in names:
        if name not in rec.arms:
            raise ValidationError(f"{experiment} has no arm {name!r}; its arms: "
                                  f"{', '.join(rec.arms)}", path="arms")
        clash = [k for k in factors if k in rec.arms[name]]
        if clash:
            raise ValidationError(
                f"arm {name!r} sets {clash[0]}, so varying it would not change the arm; vary "
                "a coefficient the arms leave alone", path=clash[0])
        out.append((name, rec.arms[name]))
    return out


def ranking_stability(result: SensitivityResult, output: str, top: int = 5
                      ) -> tuple[list[str], list[str], float]:
    """Re-analyse a Morris result's first and second half of trajectories apart: their
    ``top`` factors by ``mu_star`` and the share of those in both (1.0: the same set).

    Raises:
        ValidationError: not a Morris result, or fewer than 4 trajectories.
    """
    if result.method != "morris":
        raise ValidationError("ranking stability splits Morris trajectories; this is "
                              f"{result.method}", path="method")
    k = result.problem["num_vars"]
    n_traj = len(result.samples) // (k + 1)
    if n_traj < 4:
        raise ValidationError("split-half ranking needs at least 4 trajectories",
                              path="samples")
    half = (n_traj // 2) * (k + 1)
    y = result.outputs[output]
    tops = []
    for sl in (slice(0, half), slice(half, None)):
        an = _analyse("morris", result.problem, result.samples[sl], y[sl], result.seed)
        mu = np.asarray(an["mu_star"][0])
        tops.append([result.problem["names"][i] for i in np.argsort(-mu)[:top]])
    return tops[0], tops[1], len(set(tops[0]) & set(tops[1])) / top


def _check_metrics(metrics: Sequence[str]) -> None:
    from community_governance.simulation.experiments import RECOMMENDATIONS
    from community_governance.simulation.sweep import METRICS

    known = set(METRICS) | {"volunteers_end", "culture_members_end", "points_outstanding",
                            "volunteers_from_culture_end", "care_visits_needed"}
    for rec in RECOMMENDATIONS.values():
        known |= set(rec.metrics)
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
    by = {(r["output"], r["parameter"], r["index"]): r for r in result.rows}
    for metric, y in result.outputs.items():
        fig, ax = plt.subplots(figsize=(7.0, 0.6 * len(keys) + 1.8), layout="constrained")
        height = 0.8 / max(len(indices), 1)
        for n, name in enumerate(indices):
            rows = [by[metric, k, name] for k in keys]
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
        path = out / f"sensitivity-{_slug(metric)}.png"
        fig.savefig(path, dpi=300)
        plt.close(fig)
        files.append(path)
        cols = min(len(keys), 5)
        n_rows = math.ceil(len(keys) / cols)
        fig, axes = plt.subplots(n_rows, cols, figsize=(3.2 * cols, 3.0 * n_rows),
                                 layout="constrained", squeeze=False)
        for i, k in enumerate(keys):
            a = axes[i // cols][i % cols]
            a.scatter(result.samples[:, i], y, s=8)
            a.set_xlabel(parameter_label(k, language), fontsize=7)
            a.set_ylabel(metric if i % cols == 0 else "", fontsize=7)
            a.ticklabel_format(useOffset=False, style="plain")
        for i in range(len(keys), n_rows * cols):
            axes[i // cols][i % cols].set_visible(False)
        path = out / f"scatter-{_slug(metric)}.png"
        fig.savefig(path, dpi=300)
        plt.close(fig)
        files.append(path)
    return files


def _slug(name: str) -> str:
    """A file-name form of an output name: ``on_time_share[2 more posts]`` ->
    ``on_time_share--2-more-posts``."""
    import re

    base, _, arm = name.partition("[")
    arm = re.sub(r"[^0-9A-Za-z]+", "-", arm.rstrip("]")).strip("-")
    return f"{base}--{arm}" if arm else base


def plot_drivers(result: SensitivityResult | Sequence[tuple[SensitivityResult, str]],
                 path: str | Path, *, outputs: Sequence[str] | None = None, top: int = 8,
                 language: str = "en", titles: Mapping[str, str] | None = None,
                 dpi: int = 300) -> Path:
    """One panel per output: its ``top`` factors by importance (Morris ``mu_star``, else
    ``ST`` or ``S1``) with 95 % intervals, largest at the top, leaving out factors whose index
    is exactly 0 (no causal path, given the common draws); with Morris, a bar is orange
    where raising the factor lowers the output on average (``mu < 0``) and blue where it
    raises it.

    Args:
        result: a sensitivity result, or ``(result, output)`` pairs (one panel each, e.g. the
            main effect of every recommendation in one figure).
        path: the PNG (or SVG/PDF by its suffix) to write.
        outputs: with one result, the outputs to draw (default all).
        top: factors per panel.
        language: ``en`` or ``zh`` (the parameters' Chinese names first).
        titles: a panel title per output (default the output's name).
        dpi: the resolution of a PNG.
    """
    require_extra("matplotlib", "sim", "plots")
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    panels = ([(result, o) for o in (outputs or result.outputs)]
              if isinstance(result, SensitivityResult) else list(result))
    fig, axes = plt.subplots(len(panels), 1, figsize=(7.0, (0.3 * top + 0.9) * len(panels)),
                             layout="constrained", squeeze=False)
    for ax, (res, output) in zip(axes[:, 0], panels, strict=True):
        rows = [r for r in res.drivers(output, top) if r["value"] != 0.0][::-1]
        vals = np.array([r["value"] for r in rows])
        err = np.nan_to_num(np.vstack([vals - np.array([r["ci95_low"] for r in rows]),
                                       np.array([r["ci95_high"] for r in rows]) - vals]))
        colour = ["tab:orange" if r.get("mu", 0.0) < 0 else "tab:blue" for r in rows]
        ax.barh(np.arange(len(rows)), vals, xerr=err, color=colour, capsize=2)
        ax.set_yticks(np.arange(len(rows)), [parameter_label(r["parameter"], language)
                                             for r in rows], fontsize=6)
        ax.set_title((titles or {}).get(output, output), fontsize=7, loc="left")
        ax.tick_params(axis="x", labelsize=6)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(5))
        ax.ticklabel_format(axis="x", useOffset=False, style="plain")
        index = "mu_star" if res.method == "morris" else "ST/S1"
        ax.set_xlabel(f"{index} (95 % CI); orange: mu < 0", fontsize=7)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return out


_FLOAT_FIELDS = ("value", "ci95_low", "ci95_high")


def load_sensitivity(path: str | Path) -> SensitivityResult:
    """Read back a ``sensitivity.json`` written by :meth:`SensitivityResult.write`."""
    import json

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return SensitivityResult(
        data["method"], data["problem"], np.asarray(data["samples"], dtype=np.float64),
        {k: np.asarray(v, dtype=np.float64) for k, v in data["outputs"].items()},
        [{k: math.nan if v is None and k in _FLOAT_FIELDS else v for k, v in row.items()}
         for row in data["indices"]], int(data["seed"]), data.get("experiment"),
        {k: np.asarray(v, dtype=np.float64) for k, v in data.get("levels", {}).items()},
        tuple(data.get("seeds", (data["seed"],))))
