"""National defaults: the official working-day calendar from the package's year files."""

from __future__ import annotations

from collections.abc import Sequence

from community_governance.calendars import DataDir, WorkingDayCalendar, load_calendar
from community_governance.markers import hookimpl

_CACHE: dict[tuple[str, ...], WorkingDayCalendar] = {}


@hookimpl(trylast=True)
def cgov_working_day_calendar(extra_dirs: Sequence[DataDir]) -> WorkingDayCalendar:
    """The State Council arrangements shipped with the package, plus ``extra_dirs``.

    Calendars are immutable, so one is built per distinct list of directories and shared.
    """
    key = tuple(str(d) for d in extra_dirs)
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = load_calendar(extra_dirs)
    return found


@hookimpl(trylast=True)
def cgov_holiday_data_dirs() -> Sequence[DataDir] | None:
    """No extra directories: the package data covers the published years."""
    return None
