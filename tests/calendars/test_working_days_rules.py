"""The working-day calendar's own rules, exactly: local days, years, provisional flags and the
refusals (issue #13 item 11)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from community_governance.calendars import LocalDay, WorkingDayCalendar, load_calendar
from community_governance.calendars.arrangements import HolidayArrangement, Notice, YearArrangement
from community_governance.calendars.provisional import provisional_arrangement
from community_governance.errors import CalendarYearMissing, ValidationError
from tests.domain._exact import refused

N = Notice("通知")


def year(y: int, *holidays: HolidayArrangement, origin: str = "<memory>",
         provisional: bool = False) -> YearArrangement:
    """A year with ``holidays`` (1 October off when none is given: a year lists one)."""
    listed = holidays or (HolidayArrangement("国庆节", "National Day", (date(y, 10, 1),)),)
    return YearArrangement(y, N, listed, origin, provisional=provisional)


def test_local_days() -> None:
    off = LocalDay.day_off(date(2026, 3, 2), "纪念日", "Memorial")
    assert (off.working, off.name, off.name_en) == (False, "纪念日", "Memorial")
    on = LocalDay.working_day(date(2026, 3, 7), "调休")
    assert (on.working, on.name_en) == (True, "")
    refused(ValidationError, "datetime.datetime(2026, 3, 2, 0, 0) is not a calendar date; pass a "
            "datetime.date @ day", LocalDay, datetime(2026, 3, 2), False, "x")
    refused(ValidationError, "'2026-03-02' is not a calendar date; pass a datetime.date @ day",
            LocalDay, "2026-03-02", False, "x")
    for name in (" ", 5):
        refused(ValidationError, "a local day needs its Chinese name, e.g. 建市纪念日 @ name",
                LocalDay, date(2026, 3, 2), False, name)


def test_local_days_on_a_calendar() -> None:
    base = WorkingDayCalendar([year(2026)])
    monday, saturday = date(2026, 3, 2), date(2026, 3, 7)
    cal = base.with_local_days([LocalDay.day_off(monday, "纪念日")], "411202")
    assert cal.county_code == "411202"
    assert not cal.is_working_day(monday) and base.is_working_day(monday)
    h = cal.holiday_of(monday)
    assert h == HolidayArrangement("纪念日", "纪念日", (monday,), (), "local day of 411202")
    cal2 = cal.with_local_days([LocalDay.working_day(saturday, "调休", "Swap")])
    assert cal2.county_code == "411202" and cal2.is_working_day(saturday)
    assert cal2.holiday_of(saturday) == HolidayArrangement("调休", "Swap", (), (saturday,),
                                                           "local day of 411202")
    assert cal2.local_days == (LocalDay.day_off(monday, "纪念日"),
                               LocalDay.working_day(saturday, "调休", "Swap"))
    anon = base.with_local_days([LocalDay.day_off(monday, "纪念日")])
    assert anon.county_code is None
    assert anon.holiday_of(monday).note == "local day of the county"  # type: ignore[union-attr]
    # a local day of a year the calendar does not cover is ignored
    other = base.with_local_days([LocalDay.day_off(date(2030, 1, 2), "x")])
    assert other.years == (2026,)
    # the same local day twice is fine; off and working on one day is not
    base.with_local_days([LocalDay.day_off(monday, "a"), LocalDay.day_off(monday, "b")])
    refused(ValidationError, "2026-03-02 is a local day off (休) and a local working day (班); "
            "keep one @ local_days", base.with_local_days,
            [LocalDay.working_day(monday, "班"), LocalDay.day_off(monday, "休")])
    refused(ValidationError, "2026-03-02 is a local day off (休) and a local working day (班); "
            "keep one @ local_days", base.with_local_days,
            [LocalDay.day_off(monday, "休"), LocalDay.working_day(monday, "班")])
    refused(ValidationError, "'x' is not a LocalDay; build it with LocalDay.day_off or "
            "LocalDay.working_day @ local_days", base.with_local_days, ["x"])


def test_local_days_are_sorted() -> None:
    a, b = LocalDay.day_off(date(2026, 3, 3), "b"), LocalDay.day_off(date(2026, 3, 2), "a")
    assert WorkingDayCalendar([year(2026)], [a, b]).local_days == (b, a)


def test_two_arrangements_for_one_year() -> None:
    refused(ValidationError, "two arrangements for 2026: a.toml and b.toml; pass one per year "
            "(load_arrangements picks the later source for you) @ arrangements",
            WorkingDayCalendar, [year(2026, origin="a.toml"), year(2026, origin="b.toml")])


def test_years_and_provisional_flags() -> None:
    cal = WorkingDayCalendar([year(2027, provisional=True), year(2025), year(2026)])
    assert cal.years == (2025, 2026, 2027)
    assert cal.official_years == (2025, 2026)
    assert cal.provisional_years == (2027,)
    assert cal.covers(2025) and not cal.covers(2024) and not cal.covers(2028)
    assert cal.arrangement(2026).year == 2026
    with pytest.raises(CalendarYearMissing) as e:
        cal.arrangement(2028)
    assert e.value.year == 2028
    assert not cal.is_provisional(date(2026, 12, 31))
    assert cal.is_provisional(date(2027, 1, 1))
    assert cal.is_provisional(date(2026, 12, 1), date(2027, 1, 4))
    assert cal.is_provisional(date(2027, 1, 4), date(2026, 12, 1))
    assert not cal.is_provisional(date(2025, 1, 1), date(2026, 12, 31))
    assert cal.deadline(date(2026, 12, 28), 3) == (date(2026, 12, 31), False)
    assert cal.deadline(date(2026, 12, 28), 4) == (date(2027, 1, 1), True)
    assert cal.deadline(date(2027, 1, 1), 0) == (date(2027, 1, 1), True)
    official = WorkingDayCalendar([year(2026), year(2027)])
    assert official.provisional_years == ()
    assert official.deadline(date(2026, 12, 31), 1) == (date(2027, 1, 1), False)
    assert not official.is_provisional(date(2027, 1, 1))


def test_deadline_in_a_later_official_year_after_a_provisional_one() -> None:
    # an official year after a provisional one: a count that ends there passed the provisional
    cal = WorkingDayCalendar([year(2026), year(2027, provisional=True), year(2028)])
    assert cal.deadline(date(2026, 12, 30), 300)[1] is True
    assert cal.deadline(date(2028, 3, 1), 1) == (date(2028, 3, 2), False)
    assert cal.deadline(date(2026, 3, 2), 1) == (date(2026, 3, 3), False)


def test_an_empty_calendar() -> None:
    cal = WorkingDayCalendar([])
    assert cal.years == () and cal.provisional_years == ()
    with pytest.raises(CalendarYearMissing):
        cal.is_working_day(date(2026, 1, 1))


def test_weekday_rule_and_boundary_marks() -> None:
    # ordinal 1 is a Monday: the weekday rule without any holiday
    cal = WorkingDayCalendar([year(2026)])
    assert [cal.is_working_day(date(2026, 3, d)) for d in range(2, 9)] == [
        True, True, True, True, True, False, False]
    assert cal.holiday_of(date(2026, 3, 2)) is None
    # a mark in a neighbouring year that the calendar does not cover is ignored
    h = HolidayArrangement("元旦", "New Year", (date(2026, 1, 1),), (date(2025, 12, 27),))
    cal2 = WorkingDayCalendar([year(2026, h)])
    assert not cal2.is_working_day(date(2026, 1, 1))
    assert cal2.holiday_of(date(2026, 1, 1)) is h
    # covered: the next year's notice makes the December Saturday a working day
    h27 = HolidayArrangement("元旦", "New Year", (date(2027, 1, 1),), (date(2026, 12, 26),))
    cal3 = WorkingDayCalendar([year(2026), year(2027, h27)])
    assert cal3.is_working_day(date(2026, 12, 26))
    assert cal3.holiday_of(date(2026, 12, 26)) is h27


def test_the_own_year_speaks_last_about_a_boundary_day() -> None:
    d = date(2026, 12, 31)
    mine = HolidayArrangement("跨年", "Own", (d,))
    theirs = HolidayArrangement("元旦", "Next", (d, date(2027, 1, 1)))
    for order in ([year(2026, mine), year(2027, theirs)], [year(2027, theirs), year(2026, mine)]):
        assert WorkingDayCalendar(order).holiday_of(d) is mine


def test_boundary_disagreement_names_both_files() -> None:
    d = date(2026, 12, 26)  # a Saturday
    refused(ValidationError, "2026-12-26 is a working day in one arrangement and a day off in "
            "the other: a.toml and b.toml; correct the one that does not follow its notice "
            "@ 2026-12-26", WorkingDayCalendar,
            [year(2026, HolidayArrangement("x", "x", (d,)), origin="a.toml"),
             year(2027, HolidayArrangement("y", "y", (date(2027, 1, 1),), (d,)),
                  origin="b.toml")])


def test_refusals_and_missing_years() -> None:
    cal = WorkingDayCalendar([year(2025), year(2026)])
    refused(ValidationError, "n must be >= 0, got -1; count backwards with working_days_between "
            "@ n", cal.add_working_days, date(2026, 1, 5), -1)
    refused(ValidationError, "datetime.datetime(2026, 1, 5, 0, 0) is not a calendar date; pass "
            "a datetime.date or pendulum Date (for a moment in time, take its date in "
            "Asia/Shanghai first) @ day", cal.is_working_day, datetime(2026, 1, 5))
    refused(ValidationError, "'2026-01-05' is not a calendar date; pass a datetime.date or "
            "pendulum Date (for a moment in time, take its date in Asia/Shanghai first) @ day",
            cal.is_working_day, "2026-01-05")
    with pytest.raises(CalendarYearMissing) as e:
        cal.add_working_days(date(2026, 12, 30), 5)
    assert e.value.year == 2027
    assert cal.add_working_days(date(2026, 12, 30), 1) == date(2026, 12, 31)
    assert cal.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 1)
    assert cal.add_working_days(date(2026, 1, 3), 0) == date(2026, 1, 5)
    assert cal.add_working_days(date(2026, 1, 5), 0) == date(2026, 1, 5)
    assert cal.add_working_days(date(2026, 1, 5), 1) == date(2026, 1, 6)
    assert cal.working_days_between(date(2025, 12, 31), date(2026, 1, 2)) == 2
    assert cal.working_days_between(date(2026, 1, 2), date(2025, 12, 31)) == -2
    assert cal.next_working_day(date(2026, 1, 2)) == date(2026, 1, 5)
    with pytest.raises(CalendarYearMissing) as e:
        cal.is_working_day(date(2024, 12, 31))
    assert e.value.year == 2024


def test_gaps_name_the_missing_year() -> None:
    cal = WorkingDayCalendar([year(2024), year(2026), year(2028)])
    for start, end, missing in ((date(2024, 12, 31), date(2026, 1, 2), 2025),
                                (date(2026, 12, 31), date(2028, 1, 2), 2027),
                                (date(2024, 12, 31), date(2028, 1, 2), 2025)):
        with pytest.raises(CalendarYearMissing) as e:
            cal.working_days_between(start, end)
        assert e.value.year == missing
        with pytest.raises(CalendarYearMissing) as e:
            cal.working_days_between(end, start)
        assert e.value.year == missing
    with pytest.raises(CalendarYearMissing) as e:
        cal.add_working_days(date(2024, 12, 30), 3)
    assert e.value.year == 2025
    with pytest.raises(CalendarYearMissing) as e:
        cal.add_working_days(date(2026, 12, 30), 3)
    assert e.value.year == 2027
    with pytest.raises(CalendarYearMissing) as e:
        cal.add_working_days(date(2028, 12, 28), 5)
    assert e.value.year == 2029
    with pytest.raises(CalendarYearMissing) as e:
        cal.add_working_days(date(2026, 12, 28), 300)
    assert e.value.year == 2027
    assert cal.working_days_between(date(2026, 1, 1), date(2026, 1, 5)) == 2
    assert cal.add_working_days(date(2028, 12, 28), 1) == date(2028, 12, 29)


def test_load_calendar_provisional_years() -> None:
    cal = load_calendar(provisional_years=2)
    last = max(cal.official_years)
    assert cal.provisional_years == (last + 1, last + 2)
    assert cal.arrangement(last + 1) == provisional_arrangement(last + 1)
    assert load_calendar(provisional_years=0).provisional_years == ()
    assert load_calendar(provisional_years=1).provisional_years == (last + 1,)
    assert load_calendar().provisional_years == tuple(range(last + 1, last + 11))
