"""Policy experiments, one per recommendation of the study (政策实验).

Each :class:`Recommendation` names the study's words, the arms that put it into practice (scenario
overrides) and the metrics it should move. :func:`run_recommendation` runs them against the
baseline as a paired comparison (:func:`~community_governance.simulation.compare.
compare_policies`: same city, same seeds, common random numbers, Holm-corrected intervals).

The effects do not follow from one coefficient: each goes through at least two mechanisms
(e.g. incubation changes how many organizations exist and how good they are; tendering picks
among them; the money paid becomes cases closed only at the winner's quality; the cases closed
change the on-time share only where capacity was short).

Example::

    from community_governance.simulation import load_scenario
    from community_governance.simulation.experiments import run_recommendation

    sc = load_scenario("yima-2019").with_overrides({"city.scale": 0.05, "run.steps": 104})
    cmp = run_recommendation(sc, "social_organizations", seeds=10)
    print(cmp.table)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from community_governance.errors import ValidationError
from community_governance.simulation.scenario import Scenario

if TYPE_CHECKING:
    from community_governance.simulation.compare import Comparison

__all__ = ["RECOMMENDATIONS", "Recommendation", "run_recommendation"]


@attrs.frozen
class Recommendation:
    """A recommendation of the study as a policy experiment (政策建议实验).

    Attributes:
        name: the key, e.g. ``social_organizations``.
        title: English and Chinese.
        source: the study's words.
        arms: ``arm name -> scenario overrides``.
        metrics: the run-summary keys compared.
        headline: the metrics whose effects a sensitivity analysis of the experiment looks at
            by default (:func:`~community_governance.simulation.sensitivity.sensitivity`
            with ``experiment=``).
        main_arm: the arm that puts the recommendation into practice most directly (the one
            the documented sensitivity analysis reports).
    """

    name: str
    title: str
    source: str
    arms: Mapping[str, Mapping[str, Any]]
    metrics: tuple[str, ...]
    headline: tuple[str, ...] = ("on_time_share",)
    main_arm: str = ""


_CORE = ("on_time_share", "participation_rate_mean", "identification_end", "satisfaction_end")

#: The study's recommendations as experiments.
RECOMMENDATIONS: dict[str, Recommendation] = {r.name: r for r in (
    Recommendation(
        "social_organizations", "incubating and tendering to social organizations 培育社会组织",
        "建立社会组织的孵化模式 … 对政府购买社区服务项目引入招投标机制",
        {"purchase, no incubator": {"orgs.purchase_cny_per_year": 20000},
         "incubator and tender": {"orgs.purchase_cny_per_year": 20000, "orgs.incubator": True},
         "incubator, direct award": {"orgs.purchase_cny_per_year": 20000,
                                     "orgs.incubator": True, "orgs.tendering": False}},
        (*_CORE, "purchased_cases", "orgs_active_end", "purchase_paid_fen"),
        ("on_time_share", "purchased_cases"), "incubator and tender"),
    Recommendation(
        "funding_channels", "more funding channels 拓宽经费渠道",
        "积极吸引投资、争取企业、社会组织和个人捐赠、利用社区设施开展有偿服务",
        {"donations for activities": {"funds.channels": [
            {"name": "donations", "cny_per_year": 10000, "use": "activities"}]},
         "paid services fund a post": {"funds.channels": [
             {"name": "paid services", "cny_per_year": 24000, "use": "staff"}]},
         "enterprise buys services": {"funds.channels": [
             {"name": "enterprise", "cny_per_year": 20000, "use": "services"}],
             "orgs.incubator": True},
         "partner funds cut": {"funds.partner_cny_per_year": 0}},
        (*_CORE, "activities", "volunteers_end", "staff_effective_mean", "purchased_cases"),
        ("on_time_share", "participation_rate_mean"), "paid services fund a post"),
    Recommendation(
        "permanent_staff", "more permanent staff 稳定社区工作人员队伍",
        "工作人员中大部分都为临时人员，人员力量不足再加上更换频繁",
        {"2 more temporary posts": {"staff.per_community": 9},
         "2 more permanent posts": {"staff.per_community": 9,
                                    "staff.permanent_per_community": 4},
         "2 temporary made permanent": {"staff.permanent_per_community": 4}},
        (*_CORE, "staff_in_post_mean", "staff_effective_mean", "overdue_backlog_end",
         "activities"), ("on_time_share", "staff_effective_mean"), "2 more permanent posts"),
    Recommendation(
        "councils_disclosure", "councils and disclosure 协商议事与社区事务公开",
        "完善协商议事会，收集、研究和讨论社区民情 … 社区事务公开",
        {"monthly councils": {"councils.meetings_per_year": 12},
         "monthly disclosure": {"councils.disclosures_per_year": 12},
         "both": {"councils.meetings_per_year": 12, "councils.disclosures_per_year": 12}},
        (*_CORE, "informed_end", "voice_end", "managed_compounds_end", "cases_opened"),
        ("identification_end", "participation_rate_mean", "cases_opened"), "both"),
    Recommendation(
        "culture_groups", "culture groups and activities 文体组织与活动",
        "社区靠群众，群众靠发动，发动靠活动，活动靠文化",
        {"culture fund doubled": {"funds.culture_cny_per_year": 24000},
         "more activities planned and paid": {"funds.culture_cny_per_year": 24000,
                                              "activities.per_community_per_year": 20}},
        (*_CORE, "activities", "culture_members_end", "volunteers_end", "services"),
        ("participation_rate_mean", "volunteers_end", "on_time_share"),
        "more activities planned and paid"),
)}


def run_recommendation(scenario: Scenario, name: str, *, seeds: int = 10,
                       metrics: Sequence[str] | None = None, correction: str = "holm",
                       city: Any = None,
                       progress: Callable[[int, int], None] | None = None) -> Comparison:
    """Run the experiment of recommendation ``name`` against ``scenario`` (paired, on the
    same seeds and city).

    Raises:
        ValidationError: an unknown recommendation.
    """
    from community_governance.simulation.compare import compare_policies

    rec = RECOMMENDATIONS.get(name)
    if rec is None:
        raise ValidationError(f"unknown recommendation {name!r}; known: "
                              f"{', '.join(RECOMMENDATIONS)}", path="recommendation")
    return compare_policies(scenario, {k: dict(v) for k, v in rec.arms.items()}, seeds=seeds,
                            metrics=tuple(metrics or rec.metrics), correction=correction,
                            city=city, progress=progress)
