"""Calendar hooks: the official working-day calendar (工作日历) and county holiday year files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from community_governance.markers import hookspec

if TYPE_CHECKING:
    from collections.abc import Sequence

    from community_governance.calendars import DataDir, WorkingDayCalendar


@hookspec(firstresult=True)
def cgov_working_day_calendar(extra_dirs: Sequence[DataDir]) -> WorkingDayCalendar | None:
    """Give the working-day calendar (工作日历) that deadlines are counted with.

    Called once per :class:`~community_governance.Governance` (the answer is cached) the first
    time a service counts working days: case deadlines, escalation, handling-time reports,
    appointment days. The built-in plugin loads the package's year files plus ``extra_dirs``.

    Args:
        extra_dirs: the directories of ``<year>.toml`` files that plugins answered to
            ``cgov_holiday_data_dirs``, in call order.

    Returns:
        A :class:`~community_governance.calendars.WorkingDayCalendar`, or ``None`` to leave the
        choice to the next plugin.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_working_day_calendar(extra_dirs):
            # a county that also closes its offices on a local memorial day
            return WorkingDayCalendar(my_arrangements(extra_dirs))
    """


@hookspec
def cgov_holiday_data_dirs() -> Sequence[DataDir] | None:
    """Add directories of holiday year files (``<year>.toml``), e.g. a county's own data.

    Called once, before ``cgov_working_day_calendar``. Lets a county add the notice of a new
    year before a release ships it, or correct a year, without writing a calendar.

    Args:
        (none)

    Returns:
        A list of directories (paths or ``importlib.resources`` traversables), or ``None``.

    All results are combined: every plugin's directories are read after the package's, a later
    file for the same year replacing an earlier one whole.

    Example::

        @hookimpl
        def cgov_holiday_data_dirs():
            return [importlib.resources.files("yima_plugin") / "holidays"]
    """
