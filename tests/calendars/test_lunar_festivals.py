"""Lunar festival dates from lunar-python, cross-checked against lunardate."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import lunardate
import pytest
from hypothesis import given
from hypothesis import strategies as st

from community_governance.calendars import (
    FESTIVAL_YEARS,
    Festival,
    LunarDate,
    festival_date,
    festivals,
    load_calendar,
    next_festival,
    to_lunar,
)
from community_governance.errors import ValidationError

#: Years both libraries cover (lunardate's tables span lunar years 1900-2099; 除夕 of 1901
#: needs lunar year 1900).
BOTH = range(1901, 2100)

#: The lunar months whose first day the two libraries put one day apart (new moons within
#: minutes of midnight, Beijing time): (first, last) solar day where they disagree. lunar-python
#: (寿星天文历) is followed. In 1978 this moves 中秋 (lunar-python 09-17, lunardate 09-16),
#: in 2057 重阳 (lunar-python 10-07, lunardate 10-06).
KNOWN_DISAGREEMENTS = (
    (date(1933, 7, 22), date(1933, 8, 20)),
    (date(1954, 11, 25), date(1954, 12, 24)),
    (date(1978, 9, 2), date(1978, 10, 1)),
    (date(2057, 9, 28), date(2057, 10, 27)),
)

LUNAR_DAY = {
    Festival.SPRING_FESTIVAL: (1, 1),
    Festival.LANTERN: (1, 15),
    Festival.DRAGON_BOAT: (5, 5),
    Festival.MID_AUTUMN: (8, 15),
    Festival.DOUBLE_NINTH: (9, 9),
}


def _lunardate_solar(year: int, month: int, day: int) -> date:
    return lunardate.LunarDate(year, month, day).to_solar_date()


def _lunardate_eve(year: int) -> date:
    """The last day of lunar month 12 of year - 1, by lunardate: the 30th if it exists."""
    try:
        return _lunardate_solar(year - 1, 12, 30)
    except ValueError:
        return _lunardate_solar(year - 1, 12, 29)


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (
            2024,
            [
                date(2024, 2, 9),
                date(2024, 2, 10),
                date(2024, 2, 24),
                date(2024, 6, 10),
                date(2024, 9, 17),
                date(2024, 10, 11),
            ],
        ),
        (
            2025,
            [
                date(2025, 1, 28),
                date(2025, 1, 29),
                date(2025, 2, 12),
                date(2025, 5, 31),
                date(2025, 10, 6),
                date(2025, 10, 29),
            ],
        ),
        (
            2026,
            [
                date(2026, 2, 16),
                date(2026, 2, 17),
                date(2026, 3, 3),
                date(2026, 6, 19),
                date(2026, 9, 25),
                date(2026, 10, 18),
            ],
        ),
    ],
)
def test_known_festival_dates(year: int, expected: list[date]) -> None:
    """Gives the published dates of 除夕, 春节, 元宵, 端午, 中秋 and 重阳 for 2024-2026."""
    found = festivals(year)
    assert list(found) == [
        Festival.NEW_YEARS_EVE,
        Festival.SPRING_FESTIVAL,
        Festival.LANTERN,
        Festival.DRAGON_BOAT,
        Festival.MID_AUTUMN,
        Festival.DOUBLE_NINTH,
    ]
    assert list(found.values()) == expected
    assert all(festival_date(f, year) == d for f, d in found.items())


def test_new_years_eve_is_the_29th_in_short_years() -> None:
    """Puts 除夕 on the 29th of the 12th month when that month has 29 days (2025, 2026)."""
    assert to_lunar(festival_date(Festival.NEW_YEARS_EVE, 2025)) == LunarDate(2024, 12, 29)
    assert to_lunar(festival_date(Festival.NEW_YEARS_EVE, 2026)) == LunarDate(2025, 12, 29)
    assert to_lunar(festival_date(Festival.NEW_YEARS_EVE, 2024)) == LunarDate(2023, 12, 30)
    assert to_lunar(date(2026, 2, 16)).chinese == "二〇二五年腊月廿九"


def test_festivals_agree_with_lunardate() -> None:
    """Agrees with lunardate on every festival of 1901-2099 but the two known cases."""
    mismatches = {}
    for year in BOTH:
        ours = festivals(year)
        theirs = {f: _lunardate_solar(year, m, d) for f, (m, d) in LUNAR_DAY.items()}
        theirs[Festival.NEW_YEARS_EVE] = _lunardate_eve(year)
        for festival, day in ours.items():
            if day != theirs[festival]:
                mismatches[(year, festival)] = (day, theirs[festival])
    assert mismatches == {
        (1978, Festival.MID_AUTUMN): (date(1978, 9, 17), date(1978, 9, 16)),
        (2057, Festival.DOUBLE_NINTH): (date(2057, 10, 7), date(2057, 10, 6)),
    }


def test_new_years_eve_is_the_day_before_spring_festival() -> None:
    """Puts 除夕 on the day before 春节 in every supported year."""
    for year in FESTIVAL_YEARS:
        eve = festival_date(Festival.NEW_YEARS_EVE, year)
        assert eve == festival_date(Festival.SPRING_FESTIVAL, year) - timedelta(days=1)
        assert eve.year == year
        assert to_lunar(eve).month == 12
        assert to_lunar(eve).day in (29, 30)


def test_statutory_festivals_are_days_off() -> None:
    """Finds 春节, 端午 and 中秋 off in the working-day calendar (statutory since 2008)."""
    cal = load_calendar()
    for year in cal.years:
        assert not cal.is_working_day(festival_date(Festival.SPRING_FESTIVAL, year))
        if year >= 2008:
            assert not cal.is_working_day(festival_date(Festival.DRAGON_BOAT, year))
            assert not cal.is_working_day(festival_date(Festival.MID_AUTUMN, year))


@given(day=st.dates(min_value=date(1901, 2, 19), max_value=date(2099, 12, 31)))
def test_to_lunar_agrees_with_lunardate(day: date) -> None:
    """Converts any day of 1901-2099 as lunardate does, outside the known disagreements."""
    theirs = lunardate.LunarDate.from_solar_date(day.year, day.month, day.day)
    ours = to_lunar(day)
    same = (ours.year, ours.month, ours.day, ours.is_leap_month) == (
        theirs.year,
        theirs.month,
        theirs.day,
        theirs.is_leap_month,
    )
    assert same is not any(first <= day <= last for first, last in KNOWN_DISAGREEMENTS)


@pytest.mark.parametrize(("first", "last"), KNOWN_DISAGREEMENTS)
def test_known_disagreements_are_whole_months_one_day_apart(first: date, last: date) -> None:
    """Pins each known disagreement to one lunar month whose start the libraries put a day apart."""

    def both(day: date) -> tuple[int, int]:
        theirs = lunardate.LunarDate.from_solar_date(day.year, day.month, day.day)
        return to_lunar(day).day, theirs.day

    for day in (first - timedelta(days=1), last + timedelta(days=1)):
        ours, theirs = both(day)
        assert ours == theirs
    ours, theirs = both(first)
    assert (ours == 1) != (theirs == 1)  # one library starts the month here...
    assert 1 in both(first + timedelta(days=1))  # ...the other a day later


def test_leap_month_is_marked() -> None:
    """Marks days of a leap month (闰六月 of 2025)."""
    lunar = to_lunar(date(2025, 7, 26))
    assert lunar == LunarDate(2025, 6, 2, is_leap_month=True)
    assert str(lunar) == "2025-L06-02"
    assert "闰六月" in lunar.chinese


def test_next_festival() -> None:
    """Finds the next festival after a day, across the year end, optionally inclusive."""
    assert next_festival(date(2026, 9, 25)) == (Festival.DOUBLE_NINTH, date(2026, 10, 18))
    assert next_festival(date(2026, 9, 25), inclusive=True) == (
        Festival.MID_AUTUMN,
        date(2026, 9, 25),
    )
    assert next_festival(date(2026, 12, 31)) == (Festival.NEW_YEARS_EVE, date(2027, 2, 5))
    assert next_festival(date(2026, 10, 1), [Festival.MID_AUTUMN]) == (
        Festival.MID_AUTUMN,
        _lunardate_solar(2027, 8, 15),
    )


@given(
    day=st.dates(min_value=date(1901, 1, 1), max_value=date(2199, 12, 31)),
    chosen=st.sets(st.sampled_from(list(Festival)), min_size=1),
)
def test_next_festival_is_the_earliest_after(day: date, chosen: set[Festival]) -> None:
    """Returns a chosen festival after the day with no chosen festival in between."""
    festival, when = next_festival(day, chosen)
    assert festival in chosen
    assert when > day
    assert festival_date(festival, when.year) == when
    between = [
        d
        for year in (day.year, day.year + 1)
        for f, d in festivals(year).items()
        if f in chosen and day < d < when
    ]
    assert between == []


def test_festival_names() -> None:
    """Parses festival values and Chinese names, and names each festival in both languages."""
    assert Festival.parse("中秋节") is Festival.MID_AUTUMN
    assert Festival.parse("中秋") is Festival.MID_AUTUMN
    assert Festival.parse("mid_autumn") is Festival.MID_AUTUMN
    assert Festival.parse("除夕") is Festival.NEW_YEARS_EVE
    assert Festival.DOUBLE_NINTH.chinese == "重阳节"
    assert Festival.LANTERN.english == "Lantern Festival"
    assert len({f.chinese for f in Festival}) == len(Festival)
    with pytest.raises(ValidationError, match="unknown festival"):
        Festival.parse("圣诞节")


def test_rejects_out_of_range_years_and_datetimes() -> None:
    """Refuses years outside the supported range, an empty festival list and datetimes."""
    with pytest.raises(ValidationError, match="1900-2200"):
        festival_date(Festival.MID_AUTUMN, 1899)
    with pytest.raises(ValidationError, match="1900-2200"):
        festivals(2201)
    with pytest.raises(ValidationError, match="at least one"):
        next_festival(date(2026, 1, 1), [])
    with pytest.raises(ValidationError, match="Asia/Shanghai"):
        to_lunar(datetime(2026, 2, 16, 12, 0))
