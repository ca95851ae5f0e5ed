"""Calibration against the study (校准): the baseline run's figures next to FACTS.md's.

Each :class:`Target` names a figure of the 2019 study (with its Chinese term), the value, the
tolerance and which summary figure of a run measures it. :func:`calibrate` compares a run
summary with every target; the baseline ``yima-2019`` scenario at full scale must pass all of
them (a test asserts it). At a scale below 1, counts of people are divided by the scale first.

Every target is labelled by :attr:`Target.kind`: ``structural`` when the scenario or the city
generator sets it by construction (meeting it shows the set-up is right, not that any
behaviour is), ``behavioural`` when it emerges from the behaviour models. Today **all twelve
targets are structural** (:data:`STRUCTURAL_WHY` says how each is set). The behavioural
targets (figures that must emerge: members, volunteers and events reached from 2017 to 2019,
staff in post) are in :mod:`.abc_fit`, fitted by ABC with a held-out check. Figures that
do emerge, such as the share of cases closed on time, are reported across seeds with
:func:`across_seeds` (the 10-seed mean and its 95 % interval), never from one chosen seed.

Example::

    from community_governance.simulation import Simulation, load_scenario
    from community_governance.simulation.calibration import calibrate

    report = calibrate(Simulation(load_scenario("yima-2019")).run().summary())
    print(report.markdown())
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["EVENTS_PER_YEAR", "KINDS", "STRUCTURAL_WHY", "STUDY_YEARS", "TARGETS",
           "CalibrationReport", "CalibrationRow", "SeedSpread", "Target", "across_seeds",
           "calibrate"]

#: The kinds of calibration target.
KINDS = ("structural", "behavioural")

#: How each structural target is set by construction (the reason it is structural).
STRUCTURAL_WHY: dict[str, str] = {
    "communities": "the city generator builds the 15 urban communities",
    "residents": "the city generator draws households and members to this total",
    "households": "the city generator builds 78 x 600 households",
    "grids": "the grid standard (600 households a grid) applied to the generated households",
    "grid_leaders": "one grid leader per grid, by construction",
    "building_leaders": "the city generator appoints 495 building leaders",
    "culture_members_mean": "the scenario starts at this membership (behaviour.culture."
                            "initial_share) with joining and leaving hazards in balance",
    "volunteers_mean": "the scenario starts at this count (behaviour.volunteering."
                       "initial_share) with becoming and quitting hazards in balance",
    "activities_per_year": "the plan (activities.per_community_per_year = 10.2) limited by the "
                           "culture fund and staff days; the plan is fitted to the 2017-2019 "
                           "event count, a behavioural target of abc_fit",
    "staff_per_community": "an input: staff.per_community = 7",
    "handover_compounds": "compounds are picked until the handover households are reached",
    "handover_households": "compounds are picked until 20,000 households are reached",
}

#: "2017年以来" up to the study (2019, mid-year): about two and a half years.
STUDY_YEARS = 2.5
#: Community-level events a year: (331 activities + 36 large shows) / 2.5 years.
EVENTS_PER_YEAR = (331 + 36) / STUDY_YEARS


@attrs.frozen
class Target:
    """A figure of the study the baseline must reproduce (校准目标).

    Attributes:
        key: the summary figure that measures it.
        label: what it is, in English and Chinese.
        value: the study's figure.
        low: the lowest value accepted.
        high: the highest value accepted.
        per_person: a count of people or households (divided by the scale before comparing).
        source: the line of FACTS.md it comes from.
        full_scale_only: only comparable at scale 1 (a sample city has fewer, smaller
            compounds); at a smaller scale the row is shown but not judged.
        kind: ``structural`` (set by construction; see :data:`STRUCTURAL_WHY`) or
            ``behavioural`` (emerges from the behaviour models).
    """

    key: str
    label: str
    value: float
    low: float
    high: float
    per_person: bool
    source: str
    full_scale_only: bool = False
    kind: str = attrs.field(default="structural",
                            validator=attrs.validators.in_(KINDS))


def _rel(key: str, label: str, value: float, tol: float, source: str,
         per_person: bool = True) -> Target:
    return Target(key, label, value, value * (1 - tol), value * (1 + tol), per_person, source)


#: The calibration targets, with their tolerances.
TARGETS: tuple[Target, ...] = (
    Target("communities", "urban communities 城市社区", 15, 15, 15, False,
           "communities, all / urban: 35 / 15"),
    _rel("residents", "urban residents 城市居民", 138_000, 0.05,
         "population, all / urban residents: 170,000 / 138,000"),
    _rel("households", "households 户 (78 grids x 600)", 46_800, 0.05,
         "calibration note: 78 grids at about 600 households each"),
    Target("grids", "grids 网格", 78, 78, 78, False, "grids / grid leaders: 78 / 78"),
    Target("grid_leaders", "grid leaders 网格长", 78, 78, 78, False,
           "grids / grid leaders / building leaders: 78 / 78 / 495"),
    _rel("building_leaders", "building leaders 楼院长", 495, 0.05,
         "grids / grid leaders / building leaders: 78 / 78 / 495"),
    _rel("culture_members_mean", "culture-group members 文体组织成员", 4_756, 0.10,
         "culture and sports organizations / members: 177 / 4,756"),
    _rel("volunteers_mean", "volunteer-organization members 志愿服务组织成员", 3_838, 0.10,
         "volunteer service organizations / members: 106 / 3,838"),
    _rel("activities_per_year", "community-level events a year 社区层面文体活动/展演",
         EVENTS_PER_YEAR, 0.20,
         "events since 2017, community level: 36 large shows / 331 activities", per_person=False),
    Target("staff_per_community", "staff per community 社区工作人员", 7, 6, 8, False,
           "staff per community (千秋路): 6 to 8"),
    Target("handover_compounds", "handover compounds 三供一业小区", 31, 28, 34, False,
           "three supplies and one property: 31 compounds", full_scale_only=True),
    Target("handover_households", "handover households 三供一业户数", 20_000, 20_000, 22_000,
           True, "three supplies and one property: 20,000+ households"),
)


@attrs.frozen
class CalibrationRow:
    """One target against the run (校准结果).

    Attributes:
        target: the target.
        simulated: the run's figure (per-person figures divided by the scale).
        ok: whether it is within ``[low, high]``.
    """

    target: Target
    simulated: float | None
    ok: bool

    @property
    def relative_error(self) -> float | None:
        """``simulated / value - 1`` (``None`` when not measured)."""
        if self.simulated is None or self.target.value == 0:
            return None
        return self.simulated / self.target.value - 1


@attrs.frozen
class CalibrationReport:
    """The calibration report of one run (校准报告).

    Attributes:
        rows: one row per target.
        scale: the run's scale.
        extra: further figures without a target, shown for context.
    """

    rows: tuple[CalibrationRow, ...]
    scale: float
    extra: Mapping[str, Any]

    @property
    def ok(self) -> bool:
        """Whether every target is met."""
        return all(r.ok for r in self.rows)

    def failures(self) -> list[CalibrationRow]:
        """The targets missed."""
        return [r for r in self.rows if not r.ok]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "ok": self.ok,
            "scale": self.scale,
            "rows": [{
                "key": r.target.key, "label": r.target.label, "study": r.target.value,
                "low": r.target.low, "high": r.target.high, "simulated": r.simulated,
                "relative_error": r.relative_error, "ok": r.ok, "source": r.target.source,
                "kind": r.target.kind, "why": STRUCTURAL_WHY.get(r.target.key, ""),
            } for r in self.rows],
            "extra": dict(self.extra),
        }

    def markdown(self) -> str:
        """A Markdown table of the report."""
        lines = ["| figure | kind | study | accepted | simulated | error | ok |",
                 "|---|---|---:|---|---:|---:|---|"]
        for r in self.rows:
            t = r.target
            sim = "n/a" if r.simulated is None else f"{r.simulated:,.1f}"
            err = "" if r.relative_error is None else f"{r.relative_error:+.1%}"
            lines.append(f"| {t.label} | {t.kind} | {t.value:,.0f} | {t.low:,.0f}-{t.high:,.0f} "
                         f"| {sim} | {err} | {'yes' if r.ok else 'NO'} |")
        for k, v in self.extra.items():
            lines.append(f"| {k} | context, this seed | | | {v} | | |")
        return "\n".join(lines)


def calibrate(summary: Mapping[str, Any], targets: tuple[Target, ...] = TARGETS
              ) -> CalibrationReport:
    """Compare a run summary (:meth:`Simulation.summary`) with the study's figures."""
    scale = float(summary.get("scale", 1.0)) or 1.0
    rows = []
    for t in targets:
        raw = summary.get(t.key)
        if raw is None:
            rows.append(CalibrationRow(t, None, False))
            continue
        value = float(raw) / scale if t.per_person else float(raw)
        judged = not (t.full_scale_only and scale < 1)
        rows.append(CalibrationRow(t, value, not judged
                                   or t.low - 1e-9 <= value <= t.high + 1e-9))
    vol = float(summary.get("volunteers_end") or 0)
    extra = {
        "volunteers from culture groups (share) 来自文体组织的志愿者": round(
            float(summary.get("volunteers_from_culture_end", 0)) / vol, 3) if vol else None,
        "weekly participation rate 周参与率": round(
            float(summary.get("participation_rate_mean", 0)), 4),
        "cases closed on time, this seed only (see across_seeds) 按时办结率":
            summary.get("on_time_share"),
        "points supermarket cost (CNY) 积分超市支出": summary.get("supermarket_cost_cny"),
    }
    return CalibrationReport(tuple(rows), scale, extra)


@attrs.frozen
class SeedSpread:
    """A figure of a scenario across seeds (跨种子统计): what a report quotes, never one seed.

    Attributes:
        key: the summary figure.
        seeds: the seeds run.
        values: the figure per seed.
        mean: the mean over the seeds.
        ci95_low: the lower end of the 95 % Student-t interval of the mean.
        ci95_high: the upper end.
        low: the smallest value of a seed.
        high: the largest.
    """

    key: str
    seeds: tuple[int, ...]
    values: tuple[float, ...]
    mean: float
    ci95_low: float
    ci95_high: float
    low: float
    high: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return attrs.asdict(self)


def across_seeds(scenario: Any, key: str = "on_time_share", *, seeds: int = 10,
                 city: Any = None) -> SeedSpread:
    """Run ``scenario`` on ``seeds`` seeds (``run.seed`` onwards) and summarise ``key``: the
    mean, its 95 % t interval and the range, as a report must quote it.

    Raises:
        ValidationError: fewer than 2 seeds, or ``key`` is not a number of the run summary.
    """
    import math

    from community_governance.errors import ValidationError
    from community_governance.simulation.engine import Simulation, city_for
    from community_governance.simulation.sweep import t_quantile_975

    if seeds < 2:
        raise ValidationError("an interval across seeds needs at least 2 seeds", path="seeds")
    c = city if city is not None else city_for(scenario.city.seed, scenario.city.scale,
                                               scenario.city.generator)
    chosen = tuple(scenario.run.seed + i for i in range(seeds))
    vals = []
    for s in chosen:
        v = Simulation(scenario, seed=s, city=c).run().summary().get(key)
        if not isinstance(v, int | float) or isinstance(v, bool):
            raise ValidationError(f"{key!r} is not a number of the run summary", path="key")
        vals.append(float(v))
    n = len(vals)
    mean = sum(vals) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1))
    half = t_quantile_975(n - 1) * sd / math.sqrt(n)
    return SeedSpread(key, chosen, tuple(vals), mean, mean - half, mean + half, min(vals),
                      max(vals))
