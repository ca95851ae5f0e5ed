"""Calendar hooks: the working-day calendar (工作日历), year files and a county's local days."""

from __future__ import annotations

from typing import TYPE_CHECKING

from community_governance.markers import hookspec

if TYPE_CHECKING:
    from collections.abc import Sequence

    from community_governance.calendars import DataDir, LocalDay, WorkingDayCalendar


@hookspec(firstresult=True)
def cgov_working_day_calendar(
    extra_dirs: Sequence[DataDir], county_code: str | None
) -> WorkingDayCalendar | None:
    """Give the national working-day calendar (工作日历) that a county's deadlines start from.

    Called once per :class:`~community_governance.Governance` and county (the answer is
    cached) the first time a service counts working days there: case deadlines, escalation,
    handling-time reports, appointment slots and due days, simulations. The built-in plugin
    loads the package's year files plus ``extra_dirs``, and covers the years after the last
    file provisionally (see :mod:`~community_governance.calendars.provisional`). The county's
    local days (``cgov_local_calendar_days``) are added to whatever calendar answers, so a
    county with one local day off needs no calendar of its own.

    Args:
        extra_dirs: the directories of ``<year>.toml`` files that plugins answered to
            ``cgov_holiday_data_dirs`` for this county, in call order.
        county_code: the county (6 digits) the calendar is for, or ``None`` when no place is
            concerned (``cgov calendar`` without ``--county``).

    Returns:
        A :class:`~community_governance.calendars.WorkingDayCalendar`, or ``None`` to leave the
        choice to the next plugin.

    Stops at first non-None result.

    Example::

        from community_governance.calendars import load_calendar
        from community_governance.markers import hookimpl

        @hookimpl
        def cgov_working_day_calendar(extra_dirs, county_code):
            # a county planning long works: provisional years 20 years ahead, not 10
            if county_code != "411221":
                return None
            return load_calendar(extra_dirs, provisional_years=20)
    """


@hookspec
def cgov_holiday_data_dirs(county_code: str | None) -> Sequence[DataDir] | None:
    """Add directories of holiday year files (``<year>.toml``), e.g. a county's own data.

    Called once per county, before ``cgov_working_day_calendar``. Lets a county add the notice
    of a new year before a release ships it, or correct a year, without writing a calendar.
    (An operator installs a notice with ``cgov calendar add-year FILE`` instead: the national
    defaults answer the installation's data directories, see
    :mod:`~community_governance.calendars.install`.)

    Args:
        county_code: the county (6 digits) the calendar is for, or ``None``.

    Returns:
        A list of directories (paths or ``importlib.resources`` traversables), or ``None``.

    All results are combined: every plugin's directories are read after the package's, a later
    file for the same year replacing an earlier one whole.

    Example::

        import importlib.resources

        from community_governance.markers import hookimpl

        @hookimpl
        def cgov_holiday_data_dirs(county_code):
            if county_code != "411281":
                return None
            return [importlib.resources.files("community_governance.calendars") / "data"]
    """


@hookspec
def cgov_local_calendar_days(county_code: str, year: int) -> Sequence[LocalDay] | None:
    """Give a county's own days off and extra working days of one year (地方性休息日).

    Called once per county and covered year when the county's calendar is built (then
    cached). The days answered are applied on top of the national calendar for that county
    only: a local day off in one county never reaches another. This is the few-lines way to
    add a local memorial day; no copy of the national year file is needed.

    Args:
        county_code: the county (6 digits) the calendar is for.
        year: the year asked about; every day answered must lie in it.

    Returns:
        A list of :class:`~community_governance.calendars.LocalDay` (built with
        ``LocalDay.day_off(day, name)`` or ``LocalDay.working_day(day, name)``), or ``None``.

    All results are combined: a prefecture's plugin and a county's plugin may both answer; one
    day both off and working is refused as a ``PluginError``.

    Example::

        import datetime as dt

        from community_governance.calendars import LocalDay
        from community_governance.markers import hookimpl

        @hookimpl
        def cgov_local_calendar_days(county_code, year):
            # 湖滨区 closes its offices on a local memorial day every year from 2027 on
            if county_code != "411202" or year < 2027:
                return None
            return [LocalDay.day_off(dt.date(year, 3, 12), "湖滨区植树纪念日",
                                     "Hubin Tree Planting Day")]
    """
