"""The hook implementations of the Hubin county plugin (湖滨区, 411202).

The plugin declares its scope (``cgov_plugin_scope`` → ``["411202"]``) so that the library asks
it only about places of 湖滨区; every hook told a place also checks it and passes (``None``)
elsewhere, so the plugin is safe beside Yima's in one installation whatever the order.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

from community_governance import hookimpl

if TYPE_CHECKING:
    from community_governance.calendars import LocalDay
    from community_governance.domain.care import CareCategory
    from community_governance.domain.cases import CaseCategory, RouteLevel
    from community_governance.domain.council import VoteRule
    from community_governance.domain.orgs import AdmissionRequirements, GradeScheme, Indicator
    from community_governance.grids.model import GridPolicy

HUBIN = "411202"

#: Office funds per community and year (办公经费), illustrative: less than Yima's 74,000.
OFFICE_FUNDS = Decimal("50000.00")
#: Care fund per community and year (困难群众关爱基金), illustrative.
CARE_FUND = Decimal("15000.00")
#: Elderly-care fund (居家养老服务补贴) per community and year, booked as a care income.
ELDERLY_FUND = Decimal("8000.00")


@cache
def grid_policy() -> GridPolicy:
    """The grid standard (网格划分标准, ``GRID_POLICY``): 400 households a grid, 300-500 in
    band, compounds whole.

    Rule objects are built on first use, not at import: ``cgov`` loads every installed plugin
    when it starts, so a plugin that imports little keeps every command quick.
    """
    from community_governance.grids.model import GridPolicy

    return GridPolicy(target=400, low=300, high=500, keep_compounds_whole=True,
                      neighbour_distance_m=500.0)


#: Points per half hour of service (每半小时记分), by category; the rest score 1.
POINTS_PER_HALF_HOUR: dict[str, int] = {
    "elderly_care": 2,  # 助老服务
    "epidemic_duty": 2,  # 应急、防疫值守
}
#: At most this many points a day per resident from scored activities.
DAILY_CAP = 8
#: Points expire after this many months (Yima and the national default: 24).
EXPIRY_MONTHS = 12

#: Above this amount a disbursement needs the secretary, the director and the sub-district.
COLLECTIVE_THRESHOLD = Decimal("2000.00")
#: Transactions from this amount up are listed by themselves in disclosures.
LARGE_ITEM = Decimal("3000.00")


@cache
def old_estate() -> CaseCategory:
    """湖滨区's own case category (``OLD_ESTATE``): the renovation of old residential estates
    (老旧小区改造)."""
    from community_governance.domain.cases import CaseCategory

    return CaseCategory(
        "old_estate", "老旧小区改造", "老旧小区改造施工扰民、进度、质量和加装电梯问题",
        group="城市建设", keywords=("老旧小区", "改造", "加装电梯", "管网改造"))

#: Working days per level (grid, community, sub-district, county) for the category.
DEADLINES: dict[str, tuple[int, int, int, int]] = {"old_estate": (3, 10, 15, 20)}

#: Local days off (本地休息日) on top of the national calendar, illustrative: the day after the
#: city's Yellow River festival weekend. ``cgov_local_calendar_days`` gives them to the
#: per-county calendar (deadlines, slots); the demo's headline prints them.
LOCAL_DAYS_OFF: dict[dt.date, str] = {dt.date(2019, 11, 18): "黄河文化节调休（示例）"}


@cache
def disabled_elderly() -> CareCategory:
    """湖滨区's own care category (``DISABLED_ELDERLY``): elders who cannot look after
    themselves (失能老人), tier 1."""
    from community_governance.domain.care import CareCategory

    return CareCategory("disabled_elderly", "失能老人", "Elder unable to live independently", 1,
                        "disability", elder=True)

#: Hours within which cadres visit their elders after a snow alert (national default: 24).
SNOW_VISIT_HOURS = 12


@cache
def admission() -> AdmissionRequirements:
    """Admission (准入资格, ``ADMISSION``): the national documents plus a registered-capital
    statement and a supervising unit's consent, 15 members and one full-time staff member
    (illustrative)."""
    from community_governance.domain.orgs import (
        DEFAULT_ADMISSION,
        AdmissionRequirements,
        Requirement,
    )

    return AdmissionRequirements(
        documents=(*DEFAULT_ADMISSION.documents,
                   Requirement("capital_statement", "开办资金证明", "proof of start-up funds"),
                   Requirement("supervisor_consent", "业务主管单位同意函",
                               "the supervising unit's consent")),
        min_members=15, min_full_time_staff=1)


@cache
def indicators() -> tuple[Indicator, ...]:
    """Evaluation indicators (评估指标, ``INDICATORS``): more weight on volunteer hours and
    activities drawn from the records, less on assessed reputation; 1,000 points
    (illustrative)."""
    from community_governance.domain.orgs import EvidenceSource, Indicator

    return (
        Indicator("basics", "基础条件", 100, EvidenceSource.ASSESSED),
        Indicator("governance", "内部治理", 250, EvidenceSource.ASSESSED),
        Indicator("activities", "开展活动", 200, EvidenceSource.ACTIVITIES, 30),
        Indicator("volunteer_hours", "志愿服务时长", 200, EvidenceSource.VOLUNTEER_HOURS, 800),
        Indicator("cases", "协助办结事务", 50, EvidenceSource.CASES, 20),
        Indicator("funds", "承接购买服务", 50, EvidenceSource.FUNDS, 30000),
        Indicator("reputation", "社会评价", 150, EvidenceSource.ASSESSED),
    )


@cache
def grades() -> GradeScheme:
    """Grade thresholds (评估等级, ``GRADES``): stricter than the national scheme, 5A from
    950."""
    from community_governance.domain.orgs import Grade, GradeScheme

    return GradeScheme(((Grade.A5, 950), (Grade.A4, 850), (Grade.A3, 750), (Grade.A2, 650),
                        (Grade.A1, 550)))


_LAZY = {"GRID_POLICY": grid_policy, "OLD_ESTATE": old_estate,
         "DISABLED_ELDERLY": disabled_elderly, "ADMISSION": admission,
         "INDICATORS": indicators, "GRADES": grades}


def __getattr__(name: str) -> object:
    """The rule objects (``GRID_POLICY``, ``OLD_ESTATE``, ``DISABLED_ELDERLY``, ``ADMISSION``,
    ``INDICATORS``, ``GRADES``), built on first use."""
    try:
        return _LAZY[name]()
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def _ours(code: str | None) -> bool:
    return code is not None and code.startswith(HUBIN)


@hookimpl
def cgov_plugin_scope() -> list[str]:
    """湖滨区 only."""
    return [HUBIN]


@hookimpl
def cgov_grid_policy(community_code: str, households: int) -> GridPolicy | None:
    """One grid per 400 households, 300-500 allowed, compounds whole."""
    return grid_policy() if _ours(community_code) else None


@hookimpl
def cgov_points_standard(category: str, minutes: int, community_code: str) -> int | None:
    """Every whole half hour served scores the category's rate (1, or 2 for elderly care and
    emergency duty)."""
    if not _ours(community_code):
        return None
    return POINTS_PER_HALF_HOUR.get(category, 1) * (max(minutes, 0) // 30)


@hookimpl
def cgov_points_daily_cap(community_code: str, day: dt.date) -> int | None:
    """At most 8 points a day from activities."""
    return DAILY_CAP if _ours(community_code) else None


@hookimpl
def cgov_points_expiry_months(community_code: str | None) -> int | None:
    """Points expire after 12 months in 湖滨区."""
    return EXPIRY_MONTHS if _ours(community_code) else None


@hookimpl
def cgov_funds_annual_allocation(community_code: str, year: int) -> dict[str, Decimal] | None:
    """50,000 CNY office funds and a care fund with the elderly-care subsidy (no culture
    fund)."""
    if not _ours(community_code):
        return None
    return {"4101": OFFICE_FUNDS, "4102": CARE_FUND + ELDERLY_FUND}


@hookimpl
def cgov_funds_required_approvals(community_code: str, account: str,
                                  amount: Decimal) -> list[str] | None:
    """The director approves; above 2,000 CNY the secretary, the director and the sub-district
    each do (集体研究)."""
    if not _ours(community_code):
        return None
    from community_governance.domain.posts import PostKind

    if amount > COLLECTIVE_THRESHOLD:
        return [PostKind.SECRETARY.value, PostKind.DIRECTOR.value,
                PostKind.SUBDISTRICT_STAFF.value]
    return [PostKind.DIRECTOR.value]


@hookimpl
def cgov_funds_large_item(community_code: str) -> Decimal | None:
    """Transactions of 3,000 CNY or more are disclosed one by one."""
    return LARGE_ITEM if _ours(community_code) else None


@hookimpl
def cgov_case_categories() -> list[CaseCategory]:
    """老旧小区改造 besides the national categories."""
    return [old_estate()]


@hookimpl
def cgov_case_deadline(category: str, level: RouteLevel) -> int | None:
    """Deadlines of 湖滨区's own category; ``None`` (the next plugin's) for the rest."""
    days = DEADLINES.get(category)
    return None if days is None else days[int(level) - 1]


@hookimpl
def cgov_local_calendar_days(county_code: str, year: int) -> list[LocalDay] | None:
    """湖滨区's local days off of ``year`` (on top of the national calendar)."""
    if county_code != HUBIN:
        return None
    from community_governance.calendars import LocalDay

    return [LocalDay.day_off(day, name) for day, name in sorted(LOCAL_DAYS_OFF.items())
            if day.year == year]


@hookimpl
def cgov_orgs_admission_requirements(community_code: str,
                                     kind: str) -> AdmissionRequirements | None:
    """Six documents (the national four, proof of funds, the supervising unit's consent), 15
    members and one full-time staff member."""
    return admission() if _ours(community_code) else None


@hookimpl
def cgov_orgs_evaluation_indicators(community_code: str, kind: str) -> list[Indicator] | None:
    """Activities 200 and volunteer hours 200 from the records; reputation 150."""
    return list(indicators()) if _ours(community_code) else None


@hookimpl
def cgov_orgs_grade_scheme(community_code: str) -> GradeScheme | None:
    """5A ≥ 950, 4A ≥ 850, 3A ≥ 750, 2A ≥ 650, 1A ≥ 550 (the national scale and validity)."""
    return grades() if _ours(community_code) else None


@hookimpl
def cgov_orgs_bid_tier(community_code: str, grade: str | None) -> int | None:
    """3A and above first, 1A-2A after them, ungraded organizations not at all."""
    if not _ours(community_code):
        return None
    if grade is None:
        return 0
    from community_governance.domain.orgs import Grade

    return 1 if Grade(grade).rank >= 3 else 2


@hookimpl
def cgov_care_categories(community_code: str) -> list[CareCategory] | None:
    """失能老人 besides the national care categories."""
    return [disabled_elderly()] if _ours(community_code) else None


@hookimpl
def cgov_care_due_hours(reason: str, level: str, community_code: str) -> int | None:
    """Snow: cadres visit their elders within 12 hours (the hill roads ice over)."""
    return SNOW_VISIT_HOURS if reason == "snow" and _ours(community_code) else None


#: 湖滨区's residents evaluate the members of their own building (楼院评议), and a result needs
#: eight ballots to be shown (buildings are smaller than grids).
EVALUATION_ELECTORATE = "building"
EVALUATION_MIN_BALLOTS = 8


@hookimpl
def cgov_party_evaluation_electorate(community_code: str) -> str | None:
    """Residents of the member's building evaluate the member."""
    return EVALUATION_ELECTORATE if _ours(community_code) else None


@hookimpl
def cgov_party_evaluation_min_ballots(community_code: str) -> int | None:
    """Eight ballots."""
    return EVALUATION_MIN_BALLOTS if _ours(community_code) else None


@hookimpl
def cgov_council_vote_rule(community_code: str, kind: str) -> VoteRule | None:
    """湖滨区's councils carry every motion with two thirds of the members present."""
    if not _ours(community_code):
        return None
    from community_governance.domain.council import Majority, VoteRule

    return VoteRule(Majority.TWO_THIRDS, 0.5)
