"""The shipped year files (calendars/data) against the notices and two independent libraries."""

from __future__ import annotations

import re
from datetime import date, timedelta

import chinese_calendar
import holidays
import pytest

from community_governance.calendars import (
    WorkingDayCalendar,
    available_years,
    load_arrangements,
    load_calendar,
)

SHIPPED = tuple(range(2004, 2027))

#: Days where the shipped data knowingly differs from chinese_calendar 1.11, with the reason.
#: 2005-12-31 (Saturday): the 2006 notice (国办发明电〔2005〕35号) says "12月31日（星期六）上班";
#: chinese_calendar misses it, python-holidays has it ("Day off (substituted from 12/31/2005)").
CHINESE_CALENDAR_CORRECTIONS = {date(2005, 12, 31): True}


@pytest.fixture(scope="module")
def cal() -> WorkingDayCalendar:
    return load_calendar(provisional_years=0)  # the shipped files alone


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


def test_ships_every_year_from_2004_to_2026(cal: WorkingDayCalendar) -> None:
    """Lists 2004-2026 as available and covers exactly those years once loaded."""
    assert available_years() == SHIPPED
    assert cal.years == SHIPPED
    assert tuple(load_arrangements()) == SHIPPED


def test_every_day_agrees_with_chinese_calendar(cal: WorkingDayCalendar) -> None:
    """Agrees with chinese_calendar on every day of 2004-2026 but the documented corrections."""
    differences = {
        day: cal.is_working_day(day)
        for day in _days(date(2004, 1, 1), date(2026, 12, 31))
        if cal.is_working_day(day) != chinese_calendar.is_workday(day)
    }
    assert differences == CHINESE_CALENDAR_CORRECTIONS


def test_public_holidays_of_python_holidays_are_days_off(cal: WorkingDayCalendar) -> None:
    """Has every public holiday python-holidays lists for 2004-2026 as a day off.

    python-holidays lists the statutory days and the weekdays swapped off ("Day off
    (substituted from ...)"), not the weekend days a holiday absorbs, so the check is
    containment: its days off are a subset of ours.
    """
    listed = holidays.China(years=SHIPPED)
    working = sorted(day for day in listed if cal.is_working_day(day))
    assert working == []
    assert len(listed) > 400


def test_swapped_workdays_match_python_holidays(cal: WorkingDayCalendar) -> None:
    """Has exactly python-holidays' weekend working days for 2004-2026, as working days."""
    table = holidays.China(years=SHIPPED)
    theirs = {d for d in table.weekend_workdays if date(2004, 1, 1) <= d <= date(2026, 12, 31)}
    ours = {
        d
        for arrangement in cal.arrangements
        for d in arrangement.swapped_workdays
        if d.year in SHIPPED
    }
    assert ours == theirs
    assert all(cal.is_working_day(d) for d in theirs)
    # Every "substituted from <day>" names one of our swapped working days.
    substituted = {
        date(int(y), int(m), int(d))
        for name in table.values()
        for m, d, y in re.findall(r"substituted from (\d\d)/(\d\d)/(\d{4})", name)
    }
    assert substituted - ours == set()
    assert date(2005, 12, 31) in substituted


def _holiday(cal: WorkingDayCalendar, year: int, name: str) -> tuple[set[date], set[date]]:
    for holiday in cal.arrangement(year).holidays:
        if holiday.name == name:
            return set(holiday.off_days), set(holiday.swapped_workdays)
    raise AssertionError(f"{year} has no holiday {name}")


def _span(first: date, last: date) -> set[date]:
    return set(_days(first, last))


def test_2026_arrangement_follows_the_notice(cal: WorkingDayCalendar) -> None:
    """Follows every item of the 2026 notice (published 2025-11-04)."""
    notice = {
        "元旦": (_span(date(2026, 1, 1), date(2026, 1, 3)), {date(2026, 1, 4)}),
        "春节": (
            _span(date(2026, 2, 15), date(2026, 2, 23)),
            {date(2026, 2, 14), date(2026, 2, 28)},
        ),
        "清明节": (_span(date(2026, 4, 4), date(2026, 4, 6)), set()),
        "劳动节": (_span(date(2026, 5, 1), date(2026, 5, 5)), {date(2026, 5, 9)}),
        "端午节": (_span(date(2026, 6, 19), date(2026, 6, 21)), set()),
        "中秋节": (_span(date(2026, 9, 25), date(2026, 9, 27)), set()),
        "国庆节": (
            _span(date(2026, 10, 1), date(2026, 10, 7)),
            {date(2026, 9, 20), date(2026, 10, 10)},
        ),
    }
    arrangement = cal.arrangement(2026)
    assert [h.name for h in arrangement.holidays] == list(notice)
    assert arrangement.notice.title == "国务院办公厅关于2026年部分节假日安排的通知"
    assert arrangement.notice.published == date(2026 - 1, 11, 4)
    for name, (off, working) in notice.items():
        assert _holiday(cal, 2026, name) == (off, working)
        assert not any(cal.is_working_day(d) for d in off)
        assert all(cal.is_working_day(d) for d in working)


def test_2024_spring_festival_follows_the_notice(cal: WorkingDayCalendar) -> None:
    """Has 2024-02-10..17 off and Sundays 2024-02-04 and 02-18 working."""
    off, working = _holiday(cal, 2024, "春节")
    assert off == _span(date(2024, 2, 10), date(2024, 2, 17))
    assert working == {date(2024, 2, 4), date(2024, 2, 18)}
    assert cal.is_working_day(date(2024, 2, 9))  # 除夕 itself was a working day in 2024
    assert cal.working_days_between(date(2024, 2, 9), date(2024, 2, 19)) == 2


def test_2025_national_day_follows_the_notice(cal: WorkingDayCalendar) -> None:
    """Has 2025-10-01..08 off (国庆节、中秋节) and 09-28 and 10-11 working."""
    off, working = _holiday(cal, 2025, "国庆节、中秋节")
    assert off == _span(date(2025, 10, 1), date(2025, 10, 8))
    assert working == {date(2025, 9, 28), date(2025, 10, 11)}


@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        (date(2015, 9, 3), False, "抗战胜利70周年纪念日"),
        (date(2015, 9, 4), False, "抗战胜利70周年纪念日, swapped"),
        (date(2015, 9, 6), True, "Sunday worked for the 2015-09-04 day off"),
        (date(2019, 5, 2), False, "2019 Labour Day as amended on 2019-03-22"),
        (date(2019, 4, 28), True, "2019 amended Labour Day, Sunday working"),
        (date(2019, 5, 5), True, "2019 amended Labour Day, Sunday working"),
        (date(2020, 1, 31), False, "2020 Spring Festival extended (COVID-19)"),
        (date(2020, 2, 1), False, "2020: the Saturday first set to work was cancelled"),
        (date(2018, 12, 29), True, "2019 notice: Saturday before New Year working"),
        (date(2018, 12, 31), False, "2019 notice: Monday before New Year off"),
        (date(2011, 12, 31), True, "2012 notice: Saturday before New Year working"),
        (date(2005, 12, 31), True, "2006 notice: Saturday before New Year working"),
    ],
)
def test_special_arrangements(cal: WorkingDayCalendar, day: date, working: bool, why: str) -> None:
    """Has the special and amended arrangements of 2005-2020 (each case names its notice)."""
    assert cal.is_working_day(day) is working, why


def test_notices_are_named_and_precede_their_year(cal: WorkingDayCalendar) -> None:
    """Names each year's notice and, where known, a publication date before the year."""
    for arrangement in cal.arrangements:
        year = arrangement.year
        assert arrangement.notice.title == f"国务院办公厅关于{year}年部分节假日安排的通知"
        if arrangement.notice.published is not None:
            assert date(year - 1, 10, 1) <= arrangement.notice.published < date(year, 1, 1)
        assert len(arrangement.holidays) >= 4


def test_year_totals_match_chinese_calendar(cal: WorkingDayCalendar) -> None:
    """Counts each year's working days as chinese_calendar does, plus the corrections."""
    for year in SHIPPED:
        days = _days(date(year, 1, 1), date(year, 12, 31))
        count = sum(cal.is_working_day(d) for d in days)
        expected = sum(chinese_calendar.is_workday(d) for d in days) + sum(
            1 for d in CHINESE_CALENDAR_CORRECTIONS if d.year == year
        )
        assert count == expected
        assert 247 <= count <= 252
        if year > SHIPPED[0]:
            assert cal.working_days_between(date(year - 1, 12, 31), date(year, 12, 31)) == count
