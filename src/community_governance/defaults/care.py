"""National defaults for care: the categories, visits per tier, due hours, no stand-ins,
festival gifts, the elders invited at the holidays; weather alerts come from county plugins
or by hand."""

from __future__ import annotations

from community_governance.domain.care import (
    DEFAULT_CATEGORIES,
    DEFAULT_GIFTS,
    DEFAULT_INVITED,
    DEFAULT_TIER_VISITS,
    CareCategory,
)
from community_governance.markers import hookimpl

#: Hours within which a weather visit is due, by alert colour.
WEATHER_HOURS = {"blue": 24, "yellow": 24, "orange": 12, "red": 12}
#: Hours within which a help request is handled, by urgency.
HELP_HOURS = {"urgent": 4, "normal": 24}


@hookimpl(trylast=True)
def cgov_care_categories(community_code: str) -> list[CareCategory]:
    """特困人员, 孤寡老人, 独居老人, 低保户, 残疾人, 留守儿童."""
    return list(DEFAULT_CATEGORIES)


@hookimpl(trylast=True)
def cgov_care_visits_per_month(tier: int, community_code: str) -> int:
    """Tier 1 twice a month, tier 2 monthly, tier 3 on no fixed schedule (guidance 2022)."""
    return DEFAULT_TIER_VISITS.get(tier, 0)


@hookimpl(trylast=True)
def cgov_care_due_hours(reason: str, level: str, community_code: str) -> int:
    """24 hours after an alert (12 for orange and red); help: 4 hours urgent, 24 normal."""
    if reason == "help":
        return HELP_HOURS.get(level, 24)
    return WEATHER_HOURS.get(level, 24)


@hookimpl(trylast=True)
def cgov_care_stand_in_allowed(community_code: str) -> bool:
    """No stand-ins: the cadre the resident knows visits."""
    return False


@hookimpl(trylast=True)
def cgov_care_festival_gift(festival: str, community_code: str) -> str:
    """粽子, 月饼, 节日慰问品."""
    return DEFAULT_GIFTS.get(festival, "节日慰问品")


@hookimpl(trylast=True)
def cgov_care_cadre_capacity(reason: str, community_code: str) -> int:
    """60 visits a festival or monthly round, 20 a weather round."""
    return 60 if reason in ("festival", "monthly") else 20


@hookimpl(trylast=True)
def cgov_care_invitation_categories(occasion: str, community_code: str) -> list[str]:
    """孤寡老人 and 独居老人."""
    return list(DEFAULT_INVITED)
