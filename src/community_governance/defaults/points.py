"""National defaults for points: a plain scoring table, 24-month validity, charity eligibility
for residents in difficulty. No cap, no bonus and no redemption limit by default."""

from __future__ import annotations

from community_governance.domain.points import AwardThreshold
from community_governance.markers import hookimpl

#: Points per hour of service by activity category (the national default scoring standard).
POINTS_PER_HOUR: dict[str, int] = {
    "environment": 10,  # 环境卫生
    "elderly_care": 15,  # 助老服务
    "child_care": 15,  # 关爱儿童
    "safety_patrol": 10,  # 平安巡逻
    "civilised_city": 10,  # 文明创建
    "epidemic_duty": 15,  # 疫情防控
    "culture": 8,  # 文体活动
    "mediation": 12,  # 矛盾调解
    "general": 8,  # 其他
}


@hookimpl(trylast=True)
def cgov_points_standard(category: str, minutes: int, community_code: str) -> int | None:
    """National standard: points per hour by category, for every started half hour served
    after the first 15 minutes (at least 1 point for any service of 15 minutes or more)."""
    if minutes < 15:
        return 0
    rate = POINTS_PER_HOUR.get(category, POINTS_PER_HOUR["general"])
    half_hours = (minutes + 29) // 30
    return max(1, rate * half_hours // 2)


@hookimpl(trylast=True)
def cgov_points_award_threshold(community_code: str | None) -> AwardThreshold | None:
    """National default: a second person confirms an award above 50 points in one entry, or
    above 200 points to one resident in a calendar month."""
    return AwardThreshold(per_entry=50, per_month=200)


@hookimpl(trylast=True)
def cgov_points_expiry_months(community_code: str) -> int | None:
    """National default: points stay valid for 24 months."""
    return 24


@hookimpl(trylast=True)
def cgov_charity_eligible(
    resident_id: str, community_code: str | None, vulnerabilities: frozenset[str],
    registered: bool, category: str,
) -> bool | None:
    """National default: registered residents in difficulty (any care category)."""
    return registered and bool(vulnerabilities)
