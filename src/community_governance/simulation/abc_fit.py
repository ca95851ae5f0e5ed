"""Calibration by approximate Bayesian computation (近似贝叶斯计算校准), with a held-out check.

The study gives a few figures that a model must *produce* rather than be told: the culture-group
members (4,756) and volunteers (3,838) reached by mid-2019, the community-level events since 2017
(331 activities + 36 large shows), 6 to 8 staff in post per community. :data:`BEHAVIOURAL`
lists them; the calibration run starts on 2017-01-02 from a smaller membership (the 2017
levels are parameters with priors: the study gives none) and runs 130 weeks to mid-2019.

Coefficients get uniform prior ranges (:data:`PRIORS`, each documented). :func:`fit_abc` runs
ABC population Monte Carlo (Beaumont, Cornuet, Marin & Robert 2009, "Adaptive approximate
Bayesian computation", Biometrika 96(4)), written on NumPy because neither pyabc nor ELFI is a
dependency:

1. generation 0: ``particles * oversample`` draws from the prior, one run each (its own seed);
   the ``particles`` closest are kept; ``eps_0`` is the largest kept distance;
2. generation ``g``: ``eps_g`` is the ``quantile`` of the previous distances; a particle is
   drawn by weight, moved by a Gaussian kernel of twice the weighted variance (in the unit
   cube of the priors), refused outside the prior, run, and kept if its distance is at most
   ``eps_g``, until ``particles`` are kept (or ``max_runs`` runs); weights ``w_i ∝ 1 / sum_j
   w_j K(theta_i | theta_j)`` (uniform priors);
3. the distance is the root mean square of the relative errors ``(sim - study) / study`` over
   the **fit** targets only; targets in ``held_out`` never enter it.

The report gives each coefficient's posterior mean and 90 % range, every target's posterior
predictive 90 % range (from the accepted runs), and the posterior-mean parameters run on 10
seeds (mean and 95 % interval): a held-out target passes when its study figure lies in the
posterior predictive range.

Example::

    from community_governance.simulation import load_scenario
    from community_governance.simulation.abc_fit import fit_abc

    fit = fit_abc(load_scenario("yima-2019"), particles=40, generations=3, scale=0.05)
    print(fit.markdown())
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from community_governance.errors import ValidationError
from community_governance.simulation.scenario import Scenario

__all__ = ["BEHAVIOURAL", "CALIBRATION_RUN", "PRIORS", "AbcFit", "BehaviouralTarget", "Prior",
           "fit_abc", "measure"]

#: The calibration run: from the first Monday of 2017 to mid-2019 (130 weeks, "2017年以来").
CALIBRATION_RUN: dict[str, Any] = {"run.start": dt.date(2017, 1, 2), "run.steps": 130}


@attrs.frozen
class Prior:
    """A coefficient's uniform prior range (先验区间).

    Attributes:
        key: the scenario key.
        low: the lowest value.
        high: the highest value.
        why: where the range comes from.
    """

    key: str
    low: float
    high: float
    why: str


#: The coefficients calibrated and their prior ranges.
PRIORS: tuple[Prior, ...] = (
    Prior("behaviour.culture.initial_share", 0.015, 0.0345,
          "2017 membership: no figure in the study; at most the 2019 level (4,756 / 138,000)"),
    Prior("behaviour.culture.join_per_attendance", 0.0, 0.1,
          "assumed: up to 1 in 10 attendances recruits a member"),
    Prior("behaviour.culture.join_per_year", 0.0005, 0.006,
          "assumed: background joining, around the old balance value 0.0038"),
    Prior("behaviour.culture.leave_per_year", 0.05, 0.3,
          "assumed: members stay 3 to 20 years on average"),
    Prior("activities.per_community_per_year", 8.0, 16.0,
          "assumed: planned activities; the study's 9.8 held a year must emerge below the plan"),
    Prior("activities.staff_days", 0.5, 3.0,
          "assumed: staff days to organise one activity"),
    Prior("staff.temporary_quit_per_year", 0.2, 0.8,
          "assumed: temporary staff 'change often' (更换频繁): 15 months to 5 years"),
    Prior("staff.hiring_lag_weeks", 2.0, 16.0, "assumed: weeks to replace a leaver"),
    Prior("behaviour.volunteering.initial_share", 0.01, 0.0278,
          "2017 volunteers: no figure in the study; at most the 2019 level (3,838 / 138,000)"),
    Prior("behaviour.volunteering.from_culture_per_year", 0.05, 0.25,
          "assumed: '很多文体组织成员最后都成了社区志愿者'"),
    Prior("behaviour.volunteering.quit_per_year", 0.1, 0.3,
          "assumed: volunteers stay 3 to 10 years on average"),
)


@attrs.frozen
class BehaviouralTarget:
    """A figure that must emerge from the calibration run (行为目标).

    Attributes:
        key: the figure (see :func:`measure`).
        label: what it is, in English and Chinese.
        value: the study's figure (or the documented assumption).
        source: where it comes from.
        per_person: a count of people (divided by the scale).
        low: the lowest value the study allows (default: ``value``).
        high: the highest (default: ``value``); a target is covered when its accepted range
            meets the posterior predictive range.
    """

    key: str
    label: str
    value: float
    source: str
    per_person: bool = False
    low: float | None = None
    high: float | None = None


#: The behavioural targets of the calibration run (2017-01-02 to mid-2019).
BEHAVIOURAL: tuple[BehaviouralTarget, ...] = (
    BehaviouralTarget("culture_members_2019", "culture-group members by 2019 文体组织成员", 4_756,
                      "FACTS.md: culture and sports organizations / members: 177 / 4,756",
                      per_person=True),
    BehaviouralTarget("volunteers_2019", "volunteers by 2019 志愿服务组织成员", 3_838,
                      "FACTS.md: volunteer service organizations / members: 106 / 3,838",
                      per_person=True),
    BehaviouralTarget("events_since_2017", "community-level events since 2017 社区层面活动",
                      367, "FACTS.md: events since 2017, community level: 36 shows / 331 "
                           "activities"),
    BehaviouralTarget("staff_in_post", "staff in post per community 在岗工作人员", 7,
                      "FACTS.md: 6 to 8 staff per community (posts: 7, an input)", low=6,
                      high=8),
    BehaviouralTarget("volunteers_from_culture", "share of volunteers in culture groups "
                      "来自文体组织的志愿者", 0.4,
                      "assumption: '很多文体组织成员最后都成了社区志愿者' read as 40 %"),
)


def measure(summary: Mapping[str, Any]) -> dict[str, float]:
    """The behavioural figures of a calibration run's summary (people per full scale)."""
    scale = float(summary.get("scale", 1.0)) or 1.0
    vol = float(summary.get("volunteers_end") or 0)
    return {
        "culture_members_2019": float(summary["culture_members_end"]) / scale,
        "volunteers_2019": vol / scale,
        "events_since_2017": float(summary["activities"]),
        "staff_in_post": float(summary["staff_in_post_mean"]),
        "volunteers_from_culture": float(summary["volunteers_from_culture_end"]) / vol
        if vol else 0.0,
    }


@attrs.frozen
class AbcFit:
    """The result of :func:`fit_abc` (校准结果).

    Attributes:
        priors: the coefficients and their ranges.
        fit: the targets in the distance.
        held_out: the targets kept out of it.
        particles: accepted parameter vectors, one row each (natural units).
        weights: their importance weights (summing to 1).
        outputs: the accepted runs' figures, one dict per particle.
        epsilons: the tolerance of each generation.
        runs: simulations run.
        seeds_check: the posterior-mean parameters on 10 seeds: ``key -> (mean, low, high)``
            (95 % t interval).
        scale: the city's scale.
        generation_runs: simulations run in each generation (the abandoned one included).
        generation_accepted: particles accepted in each generation; a generation that ran out
            of runs before ``particles`` were accepted is abandoned (the posterior is the last
            complete generation) and shows here with fewer.
        seeds_check_median: the same check at the posterior median (a skewed posterior's mean
            and median differ).
    """

    priors: tuple[Prior, ...]
    fit: tuple[BehaviouralTarget, ...]
    held_out: tuple[BehaviouralTarget, ...]
    particles: np.ndarray[Any, Any]
    weights: np.ndarray[Any, Any]
    outputs: tuple[dict[str, float], ...]
    epsilons: tuple[float, ...]
    runs: int
    seeds_check: Mapping[str, tuple[float, float, float]]
    scale: float
    generation_runs: tuple[int, ...] = ()
    generation_accepted: tuple[int, ...] = ()
    seeds_check_median: Mapping[str, tuple[float, float, float]] = attrs.field(factory=dict)

    def posterior(self) -> list[dict[str, Any]]:
        """Per coefficient: prior range, posterior mean, median and 90 % range, and the
        90 % range's share of the prior's width (near 0.9: the targets barely inform it)."""
        out = []
        for k, p in enumerate(self.priors):
            col = self.particles[:, k]
            lo, med, hi = _weighted_quantiles(col, self.weights, (0.05, 0.5, 0.95))
            out.append({"key": p.key, "prior_low": p.low, "prior_high": p.high,
                        "mean": float(np.sum(col * self.weights)), "median": med, "p05": lo,
                        "p95": hi, "width_share": (hi - lo) / (p.high - p.low),
                        "why": p.why})
        return out

    def predictive(self) -> list[dict[str, Any]]:
        """Per target: the study's figure, the posterior predictive mean and 90 % range, the
        10-seed check at the posterior mean, and for held-out targets whether it passes."""
        rows = []
        for t in (*self.fit, *self.held_out):
            vals = np.array([o[t.key] for o in self.outputs])
            lo, hi = _weighted_quantiles(vals, self.weights, (0.05, 0.95))
            mean, c_lo, c_hi = self.seeds_check.get(t.key, (math.nan,) * 3)
            med, m_lo, m_hi = self.seeds_check_median.get(t.key, (math.nan,) * 3)
            held = t in self.held_out
            rows.append({"key": t.key, "label": t.label, "study": t.value,
                         "role": "held out" if held else "fit",
                         "predictive_mean": float(np.sum(vals * self.weights)),
                         "p05": lo, "p95": hi, "seeds10_mean": mean, "seeds10_low": c_lo,
                         "seeds10_high": c_hi, "seeds10_median_mean": med,
                         "seeds10_median_low": m_lo, "seeds10_median_high": m_hi,
                         "covered": bool(lo <= (t.value if t.high is None else t.high)
                                         and (t.value if t.low is None else t.low) <= hi),
                         "source": t.source})
        return rows

    @property
    def held_out_ok(self) -> bool:
        """Whether every held-out figure lies in its posterior predictive 90 % range."""
        return all(r["covered"] for r in self.predictive() if r["role"] == "held out")

    def posterior_mean(self) -> dict[str, float]:
        """The posterior-mean coefficients as scenario overrides."""
        return {r["key"]: r["mean"] for r in self.posterior()}

    def posterior_median(self) -> dict[str, float]:
        """The posterior-median coefficients (each coefficient's weighted median) as scenario
        overrides."""
        return {r["key"]: r["median"] for r in self.posterior()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, the accepted particles, their weights and outputs included."""
        return {"scale": self.scale, "runs": self.runs, "epsilons": list(self.epsilons),
                "accepted": int(self.particles.shape[0]),
                "generation_runs": list(self.generation_runs),
                "generation_accepted": list(self.generation_accepted),
                "posterior": self.posterior(), "targets": self.predictive(),
                "held_out_ok": self.held_out_ok,
                "particles": self.particles.tolist(), "weights": self.weights.tolist(),
                "outputs": [dict(o) for o in self.outputs]}

    def markdown(self) -> str:
        """The report as two Markdown tables."""
        gens = ", ".join(f"{a}/{n}" for a, n in zip(self.generation_accepted,
                                                      self.generation_runs, strict=True))
        lines = [f"ABC-PMC: {self.runs} runs, {self.particles.shape[0]} particles, "
                 f"tolerances {', '.join(f'{e:.3f}' for e in self.epsilons)}; accepted/run "
                 f"per generation {gens or 'n/a'}; scale {self.scale}", "",
                 "| coefficient | prior | posterior mean | median | 90 % range | share of "
                 "prior |", "|---|---|---:|---:|---|---:|"]
        for r in self.posterior():
            lines.append(f"| {r['key']} | {r['prior_low']:g}-{r['prior_high']:g} | "
                         f"{r['mean']:.4g} | {r['median']:.4g} | {r['p05']:.4g}-"
                         f"{r['p95']:.4g} | {r['width_share']:.0%} |")
        lines += ["", "| target | role | study | predictive mean | predictive 90 % | 10 seeds "
                      "at the posterior mean (95 % CI) | at the median | covered |",
                  "|---|---|---:|---:|---|---|---|---|"]
        for r in self.predictive():
            lines.append(f"| {r['label']} | {r['role']} | {r['study']:,.4g} | "
                         f"{r['predictive_mean']:,.4g} | "
                         f"{r['p05']:,.4g}-{r['p95']:,.4g} | {r['seeds10_mean']:,.4g} "
                         f"({r['seeds10_low']:,.4g}-{r['seeds10_high']:,.4g}) | "
                         f"{r['seeds10_median_mean']:,.4g} ({r['seeds10_median_low']:,.4g}-"
                         f"{r['seeds10_median_high']:,.4g}) | "
                         f"{'yes' if r['covered'] else 'NO'} |")
        return "\n".join(lines)


def _weighted_quantiles(values: np.ndarray[Any, Any], weights: np.ndarray[Any, Any],
                        qs: Sequence[float]) -> tuple[float, ...]:
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cum = np.cumsum(w) - 0.5 * w
    cum /= max(float(w.sum()), 1e-300)
    return tuple(float(np.interp(q, cum, v)) for q in qs)


def fit_abc(scenario: Scenario, *, particles: int = 60, generations: int = 3,
            oversample: int = 3, quantile: float = 0.5, scale: float | None = 0.05,
            held_out: Sequence[str] = ("volunteers_2019", "volunteers_from_culture"),
            priors: Sequence[Prior] = PRIORS, seed: int = 2017, check_seeds: int = 10,
            max_runs: int | None = None, max_seconds: float | None = None, city: Any = None,
            progress: Callable[[int, int], None] | None = None) -> AbcFit:
    """Calibrate ``scenario``'s coefficients by ABC population Monte Carlo (module docstring).

    Args:
        scenario: the scenario; the calibration run's start and horizon replace its own.
        particles: particles kept per generation.
        generations: generations (1: rejection ABC).
        oversample: prior draws per particle in generation 0.
        quantile: the next tolerance is this quantile of the current distances.
        scale: the city's scale (``None``: the scenario's).
        held_out: targets kept out of the distance (validated afterwards).
        priors: the coefficients and their ranges.
        seed: the seed of the sampler and of the runs' seeds.
        check_seeds: seeds of the check at the posterior mean (0 skips it).
        max_runs: stop a generation after this many runs in total.
        max_seconds: stop a generation once this much wall time has passed since the start
            (generation 0 always completes). A generation stopped early by either budget is
            abandoned: the posterior is the last complete generation.
        city: the city (default: the scenario's, cached).
        progress: ``progress(runs_done, runs_planned)``.

    Raises:
        ValidationError: an unknown target or key, no target left to fit, or bad sizes.
    """
    from community_governance.simulation.engine import Simulation, city_for
    from community_governance.simulation.sweep import t_quantile_975

    known = {t.key: t for t in BEHAVIOURAL}
    bad = [k for k in held_out if k not in known]
    if bad:
        raise ValidationError(f"unknown target {bad[0]!r}; known: {', '.join(known)}",
                              path="held_out")
    fit_t = tuple(t for t in BEHAVIOURAL if t.key not in held_out)
    held_t = tuple(known[k] for k in held_out)
    if not fit_t:
        raise ValidationError("every target is held out; keep at least one to fit",
                              path="held_out")
    if particles < 2 or generations < 1 or oversample < 1 or not 0 < quantile < 1:
        raise ValidationError("particles >= 2, generations >= 1, oversample >= 1 and "
                              "0 < quantile < 1", path="particles")
    base = scenario.with_overrides({**CALIBRATION_RUN, **(
        {"city.scale": scale} if scale is not None else {})})
    for p in priors:
        base.with_overrides({p.key: p.low})  # refuses an unknown key, naming it
    c = city if city is not None else city_for(base.city.seed, base.city.scale,
                                               base.city.generator)
    rng = np.random.default_rng(seed)
    lo = np.array([p.low for p in priors])
    width = np.array([p.high - p.low for p in priors])
    budget = max_runs or particles * (oversample + 4 * (generations - 1))
    runs = 0
    started = time.monotonic()

    def in_budget() -> bool:
        return runs < budget and (max_seconds is None
                                  or time.monotonic() - started < max_seconds)

    def simulate(unit: np.ndarray[Any, Any]) -> dict[str, float]:
        nonlocal runs
        theta = lo + unit * width
        sc = base.with_overrides({p.key: float(v) for p, v in zip(priors, theta, strict=True)})
        out = measure(Simulation(sc, seed=int(rng.integers(0, 2**31)), city=c).run()
                      .summary())
        runs += 1
        if progress is not None:
            progress(runs, budget)
        return out

    def distance(out: Mapping[str, float]) -> float:
        return math.sqrt(sum(((out[t.key] - t.value) / t.value) ** 2 for t in fit_t)
                         / len(fit_t))

    u0 = rng.random((particles * oversample, len(priors)))
    outs = [simulate(u) for u in u0]
    d0 = np.array([distance(o) for o in outs])
    keep = np.argsort(d0)[:particles]
    units, dists = u0[keep], d0[keep]
    kept_out = [outs[i] for i in keep]
    weights = np.full(particles, 1.0 / particles)
    epsilons = [float(dists.max())]
    gen_runs, gen_acc = [runs], [particles]
    for _ in range(generations - 1):
        eps = float(np.quantile(dists, quantile))
        runs_before = runs
        var = 2.0 * np.average((units - np.average(units, axis=0, weights=weights)) ** 2,
                               axis=0, weights=weights) + 1e-12
        new_u: list[np.ndarray[Any, Any]] = []
        new_d: list[float] = []
        new_o: list[dict[str, float]] = []
        while len(new_u) < particles and in_budget():
            j = int(rng.choice(particles, p=weights))
            cand = units[j] + rng.normal(0.0, np.sqrt(var))
            if np.any(cand < 0) or np.any(cand > 1):
                continue
            out = simulate(cand)
            d = distance(out)
            if d <= eps:
                new_u.append(cand)
                new_d.append(d)
                new_o.append(out)
        gen_runs.append(runs - runs_before)
        gen_acc.append(len(new_u))
        if len(new_u) < particles:
            break  # out of runs: keep the last complete generation
        nu = np.array(new_u)
        kern = np.exp(-0.5 * (((nu[:, None, :] - units[None, :, :]) ** 2) / var).sum(axis=2))
        w = 1.0 / np.maximum(kern @ weights, 1e-300)
        units, dists, kept_out, weights = nu, np.array(new_d), new_o, w / w.sum()
        epsilons.append(eps)
    thetas = lo + units * width
    fit_partial = AbcFit(tuple(priors), fit_t, held_t, thetas, weights, tuple(kept_out),
                         tuple(epsilons), runs, {}, float(base.city.scale), tuple(gen_runs),
                         tuple(gen_acc))

    def check_at(point: Mapping[str, float]) -> dict[str, tuple[float, float, float]]:
        out: dict[str, tuple[float, float, float]] = {}
        if check_seeds < 2:
            return out
        at = base.with_overrides(dict(point))
        vals = [measure(Simulation(at, seed=seed + i, city=c).run().summary())
                for i in range(check_seeds)]
        tq = t_quantile_975(check_seeds - 1)
        for t in (*fit_t, *held_t):
            xs = np.array([v[t.key] for v in vals])
            half = tq * float(xs.std(ddof=1)) / math.sqrt(len(xs))
            out[t.key] = (float(xs.mean()), float(xs.mean()) - half, float(xs.mean()) + half)
        return out

    return attrs.evolve(fit_partial, seeds_check=check_at(fit_partial.posterior_mean()),
                        seeds_check_median=check_at(fit_partial.posterior_median()))

