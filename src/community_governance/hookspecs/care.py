"""Care hooks: care categories, visit frequency by risk tier, due hours, weather alerts,
stand-ins and festival gifts (关爱困难群众)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from community_governance.markers import hookspec

if TYPE_CHECKING:
    from community_governance.domain.care import CareCategory, WeatherAlert

# ---------------------------------------------------------------------------------------------
# The registry of care needs
# ---------------------------------------------------------------------------------------------


@hookspec
def cgov_care_categories(community_code: str) -> list[CareCategory] | None:
    """List the care categories (关爱类别) a community registers residents in.

    Called by ``gov.care`` whenever it checks a category (registering a care need) or lists
    them, for the resident's community. The built-in plugin gives 特困人员, 孤寡老人, 独居老人,
    低保户, 残疾人 and 留守儿童, each with its risk tier.

    Args:
        community_code: the 12-digit code of the community whose categories are asked.

    Returns:
        A list of :class:`~community_governance.domain.care.CareCategory`, or ``None``.

    All results are combined: the categories of every plugin serving the community are
    listed, and when two plugins give the same code the one asked first (the most specific
    scope) wins.

    Example::

        @hookimpl
        def cgov_care_categories(community_code):
            return [CareCategory("elderly_alone", "独居老人", "Elder living alone", tier=1,
                                 flag="elderly_alone", elder=True),
                    CareCategory("dementia", "失智老人", "Elder with dementia", tier=1)]
    """


@hookspec(firstresult=True)
def cgov_care_visits_per_month(tier: int, community_code: str) -> int | None:
    """Give how many visits a month a resident of a risk tier is due (探访频次).

    Called by ``gov.care`` when it plans the month's visits (``plan_monthly``: the visits are
    spread over the month's working days) and computes the monthly visit rate (月探访率). The
    national default follows the 2022 guidance: tier 1 (特困, 孤寡, 独居 elders) twice a month,
    tier 2 monthly, tier 3 not on a fixed schedule.

    Args:
        tier: the risk tier, 1 (highest) to 3.
        community_code: the community the resident lives in.

    Returns:
        Visits a month, 0 to 31, or ``None``.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_care_visits_per_month(tier, community_code):
            return 4 if tier == 1 else None   # weekly for the highest tier here
    """


# ---------------------------------------------------------------------------------------------
# Visits: due times, weather alerts, stand-ins, gifts
# ---------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def cgov_care_due_hours(reason: str, level: str, community_code: str) -> int | None:
    """Give the hours within which a weather visit or a help request is due (时限).

    Called by ``gov.care`` when a weather alert becomes visit tasks (``reason`` is the
    alert's kind: ``rain``, ``snow``, ``cold`` or ``heat``; ``level`` its colour) and when a
    cadre logs a help request (``reason`` ``help``; ``level`` ``urgent`` or ``normal``). The
    national default: 24 hours after a weather alert (12 for orange and red), 4 hours for an
    urgent help request and 24 for a normal one.

    Args:
        reason: ``rain``, ``snow``, ``cold``, ``heat`` or ``help``.
        level: the alert's colour (``blue`` ... ``red``), or ``urgent``/``normal``.
        community_code: the community whose residents are visited.

    Returns:
        Hours, 1 to 168, or ``None``.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_care_due_hours(reason, level, community_code):
            if reason == "snow":
                return 6    # mountain roads close fast here
            return None
    """


@hookspec
def cgov_care_weather_alerts(county_code: str, day: dt.date) -> list[WeatherAlert] | None:
    """Supply the weather alerts (气象预警) issued for a county on a day.

    Called by ``gov.care.fetch_alerts`` (``cgov care alerts --fetch``); each new alert is
    recorded and turned into visit tasks (one per assigned elder of the communities it
    covers). The national defaults supply none: a county plugin reads its weather service,
    or staff record an alert by hand (``cgov care alert``).

    Args:
        county_code: the 6-digit county code.
        day: the county day asked about.

    Returns:
        A list of :class:`~community_governance.domain.care.WeatherAlert`, or ``None``.

    All results are combined: the alerts of every plugin serving the county are recorded,
    once per alert key.

    Example::

        @hookimpl
        def cgov_care_weather_alerts(county_code, day):
            return [WeatherAlert(f"SNOW-{day}", county_code, "snow", "yellow",
                                 pendulum.datetime(day.year, day.month, day.day, 7,
                                                   tz="Asia/Shanghai"), "县气象台")]
    """


@hookspec(firstresult=True)
def cgov_care_stand_in_allowed(community_code: str) -> bool | None:
    """Say whether someone other than the assigned cadre may record a visit (代访).

    Called by ``gov.care.record_visit`` when the visitor is not the resident's assigned
    cadre. The national default allows no stand-in: the cadre the resident knows visits.

    Args:
        community_code: the resident's community.

    Returns:
        ``True`` to allow a stand-in, ``False`` to refuse, or ``None``.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_care_stand_in_allowed(community_code):
            return True    # any community staff member may stand in here
    """


@hookspec(firstresult=True)
def cgov_care_festival_gift(festival: str, community_code: str) -> str | None:
    """Name the gift of a festival round (节日慰问品): 粽子, 月饼, a festival parcel.

    Called by ``gov.care.plan_festival`` for each community it plans. The national default:
    粽子 at the Dragon Boat Festival, 月饼 at Mid-Autumn, 节日慰问品 before the Spring Festival.

    Args:
        festival: the festival (``dragon_boat``, ``mid_autumn``, ``spring_festival``).
        community_code: the community whose round is planned.

    Returns:
        The gift's name (at most 40 characters), or ``None``.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_care_festival_gift(festival, community_code):
            return "米面油" if festival == "spring_festival" else None
    """


@hookspec(firstresult=True)
def cgov_care_cadre_capacity(reason: str, community_code: str) -> int | None:
    """Give how many visits one cadre can make within a round (探访能力), checked when a
    round is planned.

    Called by ``gov.care.plan_festival`` (``reason`` ``festival``), ``gov.care.plan_monthly``
    (``monthly``, for each round of the month) and ``gov.care.record_alert`` (``reason`` the
    alert's kind) for each community planned; the cadres given more tasks than this are named
    in the round's ``over_capacity`` (the round is planned all the same: the office reassigns
    or sends help). The national default: 60 visits for a festival round (over the days before
    the festival) or a monthly round, 20 for a weather round.

    Args:
        reason: ``festival``, ``monthly``, or the alert's kind (``rain``, ``snow``, ``cold``,
            ``heat``).
        community_code: the community whose round is planned.

    Returns:
        Visits, 1 to 500, or ``None``.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_care_cadre_capacity(reason, community_code):
            return 10 if reason == "snow" else None   # snowed-in lanes take time here
    """


# ---------------------------------------------------------------------------------------------
# Invitations to spend a holiday at the community
# ---------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def cgov_care_invitation_categories(occasion: str, community_code: str) -> list[str] | None:
    """Name the care categories whose residents a community invites to spend a holiday at
    the community (邀请孤寡、独居老人到社区过节): 元旦, 春节 and 元宵节.

    Called by ``gov.care.invite`` for the community whose invitations it generates; every code
    must be one of the community's care categories (``cgov_care_categories``). The national
    default: 孤寡老人 and 独居老人 (``childless_elderly``, ``elderly_alone``).

    Args:
        occasion: ``new_year``, ``spring_festival`` or ``lantern``.
        community_code: the community that invites.

    Returns:
        Category codes, or ``None``.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_care_invitation_categories(occasion, community_code):
            return ["childless_elderly", "elderly_alone", "extreme_difficulty"]
    """
