"""Working-day tables at the edge of the covered years (issue #13 item 11)."""

from __future__ import annotations

from datetime import date

import pytest

from community_governance.calendars.arrangements import HolidayArrangement, Notice, YearArrangement
from community_governance.calendars.working_days import WorkingDayCalendar
from community_governance.errors import CalendarYearMissing


def test_days_of_an_uncovered_year_are_skipped_not_the_rest_of_the_holiday() -> None:
    """A New Year holiday listing 31 December of an uncovered year still marks its own days."""
    new_year = HolidayArrangement("元旦", "New Year's Day",
                                  (date(2026, 12, 31), date(2027, 1, 1)),
                                  (date(2026, 12, 26), date(2027, 1, 9)))
    cal = WorkingDayCalendar([YearArrangement(2027, Notice("n"), [new_year])])
    assert cal.years == (2027,)
    assert not cal.is_working_day(date(2027, 1, 1))  # a Friday, off
    assert cal.is_working_day(date(2027, 1, 9))  # a Saturday, swapped
    assert cal.holiday_of(date(2027, 1, 1)) is new_year
    with pytest.raises(CalendarYearMissing):
        cal.is_working_day(date(2026, 12, 31))
