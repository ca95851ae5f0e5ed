"""Points hooks: the scoring standard (记分标准), bonuses, caps, expiry, supermarket limits and
charity eligibility."""

from __future__ import annotations

from typing import TYPE_CHECKING

from community_governance.markers import hookspec

if TYPE_CHECKING:
    import datetime as dt

    from community_governance.domain.points import AwardThreshold, Item, RedemptionLimit
    from community_governance.domain.volunteers import Activity

# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def cgov_points_award_threshold(community_code: str | None) -> AwardThreshold | None:
    """Say when a direct award of points waits for a second person's confirmation (积分复核).

    Called by ``gov.points.earn`` for an award made by a person (system jobs are exempt),
    before the write transaction opens, for the resident's community. An award above
    ``per_entry`` points, or one that takes the resident's direct awards this calendar month
    (confirmed and waiting) above ``per_month``, is held as a pending award until someone else
    with the right post confirms it (``gov.points.confirm``; ``cgov points confirm``). The
    national default is ``AwardThreshold(per_entry=50, per_month=200)``. Awards to oneself or
    one's own household are refused whatever the threshold.

    Args:
        community_code: the resident's community (12 digits), or ``None`` for a resident with
            no address; it is also the ``place`` the plugins are chosen by.

    Returns:
        An :class:`~community_governance.domain.points.AwardThreshold`; ``None`` to leave it to
        the next plugin. Anything else is a ``PluginError`` and nothing is written.

    Stops at first non-None result.

    Example::

        from community_governance import hookimpl
        from community_governance.domain.points import AwardThreshold

        @hookimpl
        def cgov_points_award_threshold(community_code):
            # 湖滨区 (411202): a second look above 30 points, or 150 in a month
            if community_code and community_code.startswith("411202"):
                return AwardThreshold(per_entry=30, per_month=150)
            return None
    """


@hookspec(firstresult=True)
def cgov_points_standard(category: str, minutes: int, community_code: str) -> int | None:
    """Score one volunteer's attendance of an activity by the scoring standard (记分标准).

    Called by ``gov.volunteers.record_attendance`` (and ``record_attendance_many``, for
    each of its activities) once per attendee, before anything is written. The national
    default is a plain table of points per hour by category; a county answers with its own
    standard.

    Args:
        category: the activity's category, e.g. ``environment`` or ``elderly_care``.
        minutes: the time served, in whole minutes.
        community_code: the organising community.

    Returns:
        The base points, a whole number >= 0; ``None`` to leave it to the next plugin. A
        negative or non-integer answer is a ``PluginError`` and nothing is written.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_points_standard(category, minutes, community_code):
            if category == "epidemic_duty":
                return 20 * (minutes // 60)  # 义马: 20 points an hour for epidemic duty
            return None
    """


@hookspec
def cgov_points_bonus(
    activity: Activity, resident_id: str, base: int, community_code: str
) -> int | None:
    """Add bonus points to one attendee's score (加分).

    Called after the scoring standard, for every attendee.

    Args:
        activity: the activity attended.
        resident_id: the attendee.
        base: the points from the scoring standard.
        community_code: the organising community.

    Returns:
        Extra points, a whole number >= 0, or ``None`` for none.

    All results are combined: the bonuses of every plugin are added to the base.

    Example::

        @hookimpl
        def cgov_points_bonus(activity, resident_id, base, community_code):
            # activity.start is UTC: take the weekday in the county's zone
            local = pendulum.instance(activity.start).in_timezone("Asia/Shanghai")
            return 5 if local.day_of_week in (pendulum.SATURDAY, pendulum.SUNDAY) else None
    """


@hookspec
def cgov_points_daily_cap(community_code: str, day: dt.date) -> int | None:
    """Cap the points one resident may earn from activities on one day (每日上限).

    Called by ``gov.volunteers.record_attendance`` (and ``record_attendance_many``, for
    each of its activities); the cap applies to scored attendance, not to awards made with an
    explicit amount by ``gov.points.earn``.

    Args:
        community_code: the community of the activity.
        day: the county date of the attendance.

    Returns:
        The most points per resident and day (>= 0), or ``None`` for no cap.

    All results are combined: the smallest cap applies.

    Example::

        @hookimpl
        def cgov_points_daily_cap(community_code, day):
            return 30
    """


@hookspec(firstresult=True)
def cgov_points_expiry_months(community_code: str) -> int | None:
    """How many months points stay valid before ``gov.points.expire`` clears them (有效期).

    Called by ``gov.points.expire`` once per community whose points it expires (never for
    "all communities" at once).

    Args:
        community_code: the community whose points are expired.

    Returns:
        A whole number of months >= 1 (the national default: 24), or ``None`` to ask the
        next plugin.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_points_expiry_months(community_code):
            return 12  # 义马: points are cleared a year after they were earned
    """


# ---------------------------------------------------------------------------------------------
# Supermarkets
# ---------------------------------------------------------------------------------------------


@hookspec
def cgov_redemption_limit(
    item: Item, resident_id: str, community_code: str
) -> RedemptionLimit | None:
    """Limit how many of an item one resident may redeem per period (限兑).

    Called by ``gov.supermarket.redeem`` before it writes.

    Args:
        item: the supermarket item.
        resident_id: who redeems.
        community_code: the community of the supermarket.

    Returns:
        A :class:`~community_governance.domain.points.RedemptionLimit`, or ``None`` for no
        limit.

    All results are combined: every limit must hold.

    Example::

        @hookimpl
        def cgov_redemption_limit(item, resident_id, community_code):
            if item.name == "食用油":
                return RedemptionLimit(quantity=1, period="month")
            return None
    """


@hookspec(firstresult=True)
def cgov_charity_eligible(
    resident_id: str, community_code: str | None, vulnerabilities: frozenset[str],
    registered: bool, category: str,
) -> bool | None:
    """Decide whether a resident may receive donated goods free (受助资格).

    Called by ``gov.charity.give_out`` before it writes. The national default: a registered
    resident (living in a household, not erased) with at least one care category
    (困难群众: 特困, 低保, 孤寡老人, 残疾人, 留守儿童).

    Args:
        resident_id: the resident.
        community_code: the community they live in.
        vulnerabilities: their care categories (sensitive; do not log).
        registered: whether they are a registered, current resident.
        category: the category of the goods.

    Returns:
        ``True`` or ``False``; ``None`` to leave it to the next plugin.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_charity_eligible(resident_id, community_code, vulnerabilities, registered,
                                  category):
            if category == "school_supplies" and "left_behind_child" in vulnerabilities:
                return True
            return None
    """
