"""The working-day calendar as the services see it (hooks), and deadlines counted with it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import chinese_calendar
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lunardate import LunarDate

import community_governance
from community_governance import hookimpl
from community_governance.calendars import (
    Festival,
    WorkingDayCalendar,
    festival_date,
    load_calendar,
)
from community_governance.domain.access import Actor
from community_governance.domain.cases import RouteLevel
from community_governance.errors import CalendarYearMissing, PluginError

CAL = load_calendar()
# from 2006: chinese_calendar misses the swapped working Saturday 2005-12-31 (see
# tests/calendars/test_calendar_data.py)
DAYS = st.dates(min_value=dt.date(2006, 1, 1), max_value=dt.date(2025, 12, 20))


def _oracle_add(start: dt.date, n: int) -> dt.date:
    """n working days after start, by chinese_calendar (an independent implementation)."""
    day = start
    if n == 0:
        while not chinese_calendar.is_workday(day):
            day += dt.timedelta(days=1)
        return day
    while n:
        day += dt.timedelta(days=1)
        if chinese_calendar.is_workday(day):
            n -= 1
    return day


@given(DAYS, st.integers(min_value=0, max_value=40))
@settings(max_examples=60)
def test_add_then_count_gives_back_n(start: dt.date, n: int) -> None:
    """Counts back the n working days it added, and lands on a working day."""
    end = CAL.add_working_days(start, n)
    assert CAL.is_working_day(end)
    if n > 0 or CAL.is_working_day(start):
        assert CAL.working_days_between(start, end) == n
    assert end >= start


@given(DAYS, st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=30))
@settings(max_examples=60)
def test_adding_is_monotonic_and_composes(start: dt.date, a: int, b: int) -> None:
    """Adds a then b working days to the same day as a+b (for a >= 1), never going back."""
    if a >= 1:
        assert CAL.add_working_days(CAL.add_working_days(start, a), b) == CAL.add_working_days(
            start, a + b)
    assert CAL.add_working_days(start, a) <= CAL.add_working_days(start, a + b)


@given(DAYS, st.integers(min_value=1, max_value=25))
@settings(max_examples=60)
def test_agrees_with_chinese_calendar(start: dt.date, n: int) -> None:
    """Agrees with the independent chinese_calendar package on deadlines from 2006 to 2025."""
    assert CAL.add_working_days(start, n) == _oracle_add(start, n)


@pytest.mark.parametrize(("reported", "category", "expected"), [
    # Spring Festival 2025: off 1-28 to 2-4, Sunday 1-26 and Saturday 2-8 are working days
    (dt.date(2025, 1, 24), "repair", dt.date(2025, 2, 5)),      # 3 days: 1-26, 1-27, 2-5
    (dt.date(2025, 1, 27), "safety", dt.date(2025, 2, 5)),      # 1 day across the holiday
    (dt.date(2025, 2, 7), "property", dt.date(2025, 2, 13)),    # 5 days counting Sat 2-8
    # National Day 2024: off 10-1 to 10-7, Sunday 9-29 and Saturday 10-12 worked
    (dt.date(2024, 9, 27), "repair", dt.date(2024, 10, 8)),     # 9-29, 9-30, 10-8
    (dt.date(2024, 9, 30), "dispute", dt.date(2024, 10, 12)),   # 10-8..10-11, Sat 10-12
    # Spring Festival 2018 and National Day 2017 (with Mid-Autumn)
    (dt.date(2018, 2, 14), "sanitation", dt.date(2018, 2, 23)),
    (dt.date(2017, 9, 29), "care", dt.date(2017, 10, 9)),      # Sat 9-30 worked
])
def test_case_deadlines_skip_holidays_and_count_swapped_weekends(
        city: Any, cgov: Any, clock: Any, reported: dt.date, category: str,
        expected: dt.date) -> None:
    """Stores the deadline n working days after the report, skipping the holiday and counting
    the swapped working weekend days, for holidays of years the issue never names."""
    c = city.communities[0]
    grid = city.grids[c][0]
    case = cgov.cases.report(
        city.grid_leader[grid], category=category, building_code=city.buildings[c][0],
        description="楼道灯不亮",
        at=pendulum.datetime(
            reported.year, reported.month, reported.day, 10, tz="Asia/Shanghai"))
    days = cgov.hooks.first("cgov_case_deadline", int, place=c[:6], category=category,
                            level=RouteLevel.GRID, county_code=c[:6])
    assert case.deadline == expected
    assert case.deadline == _oracle_add(reported, days)
    assert cgov.cases.get(Actor.system(), case.id).deadline == expected


def test_deadline_into_a_year_without_a_notice_is_provisional(city: Any, cgov: Any,
                                                               clock: Any) -> None:
    """Accepts a deadline that runs into 2027 before its notice is known, flagged provisional
    (the statutory holidays only: 2027-01-01 off, no swapped days)."""
    clock.set(2026, 12, 30, 10)
    c = city.communities[0]
    case = cgov.cases.report(city.staff[c], category="dispute",
                             building_code=city.buildings[c][0], description="邻里纠纷")
    assert case.deadline == dt.date(2027, 1, 7) and case.deadline_provisional
    assert [x.id for x in cgov.cases.list_cases(Actor.system())] == [case.id]


def test_county_year_file_through_the_hook(tmp_path: Path) -> None:
    """Uses a year file a county plugin adds through cgov_holiday_data_dirs."""
    (tmp_path / "2027.toml").write_text(
        'year = 2027\n\n[source]\ntitle = "国务院办公厅关于2027年部分节假日安排的通知"\n\n'
        '[[holidays]]\nname = "元旦"\nname_en = "New Year Day"\noff_days = [2027-01-01]\n', encoding="utf-8")

    class County:
        @hookimpl
        def cgov_holiday_data_dirs(self) -> list[Path]:
            return [tmp_path]

    with community_governance.open("memory://", plugins=[County()], entrypoints=False) as g:
        cal = g.cases.calendar()
        assert cal.covers(2027)
        assert not cal.is_working_day(dt.date(2027, 1, 1))
        assert cal.add_working_days(dt.date(2026, 12, 31), 1) == dt.date(2027, 1, 4)


def test_county_calendar_replaces_the_default() -> None:
    """Counts with the calendar a county answers to cgov_working_day_calendar."""
    only_2026 = WorkingDayCalendar([CAL.arrangement(2026)])

    class County:
        @hookimpl
        def cgov_working_day_calendar(self, extra_dirs: Any) -> WorkingDayCalendar:
            return only_2026

    with community_governance.open("memory://", plugins=[County()], entrypoints=False) as g:
        assert g.cases.calendar() is only_2026
        with pytest.raises(CalendarYearMissing):
            g.cases.calendar().is_working_day(dt.date(2025, 5, 5))


def test_broken_calendar_plugin_is_named() -> None:
    """Names the plugin that answers the calendar hook with something else."""

    class Broken:
        @hookimpl
        def cgov_working_day_calendar(self, extra_dirs: Any) -> object:
            return "weekdays"

    with (community_governance.open("memory://", plugins=[Broken()], entrypoints=False) as g,
          pytest.raises(PluginError) as info):
        g.cases.calendar()
    assert info.value.hook == "cgov_working_day_calendar"
    assert "Broken" in info.value.plugin


@pytest.mark.parametrize("year", range(2020, 2031))
def test_mid_autumn_and_dragon_boat_for_a_decade(year: int) -> None:
    """Gives 中秋 (8/15) and 端午 (5/5) as the independent lunardate tables do, 2020-2030."""
    assert festival_date(Festival.MID_AUTUMN, year) == LunarDate(year, 8, 15).to_solar_date()
    assert festival_date(Festival.DRAGON_BOAT, year) == LunarDate(year, 5, 5).to_solar_date()
