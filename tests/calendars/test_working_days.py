"""Working-day arithmetic: conventions, published deadlines, missing years, properties."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from community_governance.calendars import WorkingDayCalendar, load_arrangements, load_calendar
from community_governance.errors import CalendarYearMissing, CgovError, ValidationError

CAL = load_calendar(provisional_years=0)  # the official years alone: 2027 is missing
FIRST = date(2004, 1, 1)
LAST = date(2026, 12, 31)

days = st.dates(min_value=FIRST, max_value=LAST)
# Starts far enough from the end that n working days still fit in the covered years.
starts = st.dates(min_value=FIRST, max_value=date(2024, 12, 31))
counts = st.integers(min_value=0, max_value=400)


def _reference_add(start: date, n: int) -> date:
    """Day-by-day stepping: the obvious, slow definition of add_working_days."""
    day = start
    if n == 0:
        while not CAL.is_working_day(day):
            day += timedelta(days=1)
        return day
    while n:
        day += timedelta(days=1)
        n -= CAL.is_working_day(day)
    return day


def _reference_between(start: date, end: date) -> int:
    if end < start:
        return -_reference_between(end, start)
    return sum(
        CAL.is_working_day(start + timedelta(days=k)) for k in range(1, (end - start).days + 1)
    )


@pytest.mark.parametrize(
    ("start", "n", "deadline"),
    [
        # The CLI example: Mid-Autumn 09-25..27 and National Day 10-01..07 off, 10-10 (Sat)
        # working: 09-28, 29, 30, 10-08, 09, 10, 12, 13, 14, 15.
        (date(2026, 9, 25), 10, date(2026, 10, 15)),
        # Spring Festival 2026: 02-15..23 off, 02-14 and 02-28 (Sat) working.
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        (date(2026, 2, 13), 2, date(2026, 2, 24)),
        (date(2026, 2, 13), 5, date(2026, 2, 27)),
        (date(2026, 2, 13), 6, date(2026, 2, 28)),
        (date(2026, 2, 13), 7, date(2026, 3, 2)),
        # Spring Festival 2024: 02-10..17 off, 02-04 and 02-18 (Sun) working.
        (date(2024, 2, 8), 1, date(2024, 2, 9)),
        (date(2024, 2, 8), 2, date(2024, 2, 18)),
        (date(2024, 2, 3), 1, date(2024, 2, 4)),
        # National Day 2025: 10-01..08 off, 09-28 (Sun) and 10-11 (Sat) working.
        (date(2025, 9, 26), 1, date(2025, 9, 28)),
        (date(2025, 9, 30), 1, date(2025, 10, 9)),
        (date(2025, 9, 30), 3, date(2025, 10, 11)),
        (date(2025, 9, 30), 4, date(2025, 10, 13)),
        # National Day 2024: 10-01..07 off, 09-29 (Sun) and 10-12 (Sat) working.
        (date(2024, 9, 27), 1, date(2024, 9, 29)),
        (date(2024, 9, 29), 1, date(2024, 9, 30)),
        (date(2024, 9, 30), 1, date(2024, 10, 8)),
        (date(2024, 9, 30), 5, date(2024, 10, 12)),
        # New Year into the next year: 2018-12-29 (Sat) working, 12-30..2019-01-01 off.
        (date(2018, 12, 28), 1, date(2018, 12, 29)),
        (date(2018, 12, 28), 2, date(2019, 1, 2)),
        # 15 working days across the 2025 Spring Festival (01-28..02-04, 01-26/02-08 worked).
        (date(2025, 1, 20), 15, date(2025, 2, 14)),
    ],
)
def test_published_deadlines(start: date, n: int, deadline: date) -> None:
    """Counts deadlines across Spring Festival and National Day as the notices lay them out."""
    assert CAL.add_working_days(start, n) == deadline
    assert CAL.working_days_between(start, deadline) == n
    assert _reference_add(start, n) == deadline


def test_zero_days_is_start_or_next_working_day() -> None:
    """Gives start for n=0 on a working day and the next working day otherwise."""
    assert CAL.add_working_days(date(2026, 9, 24), 0) == date(2026, 9, 24)
    assert CAL.add_working_days(date(2026, 9, 25), 0) == date(2026, 9, 28)
    assert CAL.add_working_days(date(2026, 10, 10), 0) == date(2026, 10, 10)  # swapped Sat


def test_next_working_day() -> None:
    """Finds the first working day strictly after a day."""
    assert CAL.next_working_day(date(2026, 9, 30)) == date(2026, 10, 8)
    assert CAL.next_working_day(date(2026, 10, 9)) == date(2026, 10, 10)
    assert CAL.next_working_day(date(2026, 10, 10)) == date(2026, 10, 12)


def test_between_is_half_open_and_signed() -> None:
    """Counts working days in (start, end], negative when end < start."""
    assert CAL.working_days_between(date(2026, 9, 28), date(2026, 9, 28)) == 0
    assert CAL.working_days_between(date(2026, 9, 28), date(2026, 9, 29)) == 1
    assert CAL.working_days_between(date(2026, 9, 27), date(2026, 9, 28)) == 1
    assert CAL.working_days_between(date(2026, 9, 25), date(2026, 10, 15)) == 10
    assert CAL.working_days_between(date(2026, 10, 15), date(2026, 9, 25)) == -10


def test_accepts_pendulum_dates_and_returns_plain_dates() -> None:
    """Accepts pendulum Date arguments and returns datetime.date."""
    start = pendulum.Date(2026, 9, 25)
    result = CAL.add_working_days(start, 10)
    assert result == date(2026, 10, 15)
    assert type(result) is date
    assert CAL.is_working_day(pendulum.Date(2026, 10, 10))
    assert CAL.working_days_between(start, pendulum.Date(2026, 10, 15)) == 10


@pytest.mark.parametrize(
    "moment",
    [datetime(2026, 9, 25, 9, 0), pendulum.datetime(2026, 9, 25, tz="Asia/Shanghai")],
)
def test_rejects_datetimes(moment: datetime) -> None:
    """Refuses a datetime (its date depends on the time zone)."""
    with pytest.raises(ValidationError, match="Asia/Shanghai"):
        CAL.add_working_days(moment, 1)
    with pytest.raises(ValidationError):
        CAL.is_working_day(moment)


def test_rejects_negative_counts() -> None:
    """Refuses n < 0 and points to working_days_between."""
    with pytest.raises(ValidationError, match="working_days_between"):
        CAL.add_working_days(date(2026, 9, 25), -1)


def test_missing_year_is_never_guessed() -> None:
    """Raises CalendarYearMissing naming the year for days outside the covered years."""
    for call in (
        lambda: CAL.is_working_day(date(2027, 1, 4)),
        lambda: CAL.add_working_days(date(2027, 1, 4), 1),
        lambda: CAL.working_days_between(date(2026, 12, 1), date(2027, 1, 4)),
        lambda: CAL.add_working_days(date(2026, 12, 28), 10),
        lambda: CAL.next_working_day(date(2026, 12, 31)),
        lambda: CAL.arrangement(2027),
    ):
        with pytest.raises(CalendarYearMissing) as info:
            call()
        assert info.value.year == 2027
        assert isinstance(info.value, CgovError)
        assert "2027" in str(info.value)
    with pytest.raises(CalendarYearMissing) as info:
        CAL.is_working_day(date(2003, 12, 31))
    assert info.value.year == 2003


def test_count_within_the_last_covered_year_still_works() -> None:
    """Answers deadlines that end before the missing year starts."""
    assert CAL.add_working_days(date(2026, 12, 28), 3) == date(2026, 12, 31)
    assert CAL.covers(2026)
    assert not CAL.covers(2027)


def test_gap_year_raises_for_spans_across_it() -> None:
    """Raises for a count that crosses a year missing between covered years."""
    arrangements = load_arrangements()
    cal = WorkingDayCalendar(a for y, a in arrangements.items() if y != 2020)
    assert cal.years == tuple(y for y in range(2004, 2027) if y != 2020)
    for call in (
        lambda: cal.add_working_days(date(2019, 12, 20), 30),
        lambda: cal.working_days_between(date(2019, 12, 20), date(2021, 1, 5)),
        lambda: cal.working_days_between(date(2021, 1, 5), date(2019, 12, 20)),
        lambda: cal.is_working_day(date(2020, 6, 1)),
    ):
        with pytest.raises(CalendarYearMissing) as info:
            call()
        assert info.value.year == 2020
    assert cal.add_working_days(date(2019, 12, 20), 3) == date(2019, 12, 25)
    # (12-20, 01-10]: 12-21, 12-24..28, 12-29 (Sat, swapped), 01-02..04, 01-07..10.
    assert cal.working_days_between(date(2018, 12, 20), date(2019, 1, 10)) == 14


def test_holiday_of_names_the_holiday() -> None:
    """Names the holiday that makes a day off or a working weekend day."""
    names = {
        day: (h.name, h.name_en) if (h := CAL.holiday_of(day)) is not None else None
        for day in (date(2026, 10, 10), date(2026, 2, 17), date(2018, 12, 31), date(2026, 3, 3))
    }
    assert names == {
        date(2026, 10, 10): ("国庆节", "National Day"),
        date(2026, 2, 17): ("春节", "Spring Festival"),
        date(2018, 12, 31): ("元旦", "New Year's Day"),
        date(2026, 3, 3): None,
    }


@given(start=starts, n=counts)
def test_add_matches_day_by_day_stepping(start: date, n: int) -> None:
    """Equals the day-by-day definition for any start and count."""
    assert CAL.add_working_days(start, n) == _reference_add(start, n)


@given(a=days, b=days)
def test_between_matches_day_by_day_counting(a: date, b: date) -> None:
    """Equals the day-by-day count over (a, b] for any two days."""
    if abs((b - a).days) > 800:
        b = a + timedelta(days=(b - a).days % 800)
        b = min(b, LAST)
    assert CAL.working_days_between(a, b) == _reference_between(a, b)


@given(start=starts, n=counts)
def test_between_inverts_add(start: date, n: int) -> None:
    """Counts back n from a deadline n working days after start (n >= 1, or start working)."""
    deadline = CAL.add_working_days(start, n)
    assert CAL.is_working_day(deadline)
    if n >= 1 or CAL.is_working_day(start):
        assert CAL.working_days_between(start, deadline) == n
    else:
        assert CAL.working_days_between(start, deadline) == 1


@given(
    start=st.dates(min_value=FIRST, max_value=date(2023, 12, 31)),
    n=counts,
    m=st.integers(min_value=0, max_value=200),
)
def test_add_is_monotonic_and_composes(start: date, n: int, m: int) -> None:
    """Grows with n (strictly unless n=0 on a day off) and composes for n, m >= 1."""
    a = CAL.add_working_days(start, n)
    b = CAL.add_working_days(start, n + 1)
    assert a <= b
    # n=0 and n=1 both give the next working day when start is a day off.
    assert (a < b) is (n >= 1 or CAL.is_working_day(start))
    if n >= 1 and m >= 1:
        assert CAL.add_working_days(a, m) == CAL.add_working_days(start, n + m)


@given(a=days, b=days, c=days)
def test_between_is_additive_and_antisymmetric(a: date, b: date, c: date) -> None:
    """Adds up over consecutive spans and flips sign when the ends swap."""
    ab = CAL.working_days_between(a, b)
    assert ab == -CAL.working_days_between(b, a)
    assert ab + CAL.working_days_between(b, c) == CAL.working_days_between(a, c)


@given(day=st.dates(min_value=date(2026, 12, 1), max_value=LAST), n=st.integers(25, 400))
def test_counts_into_2027_raise_naming_2027(day: date, n: int) -> None:
    """Raises CalendarYearMissing(2027) for any December 2026 count that runs into 2027."""
    with pytest.raises(CalendarYearMissing) as info:
        CAL.add_working_days(day, n)
    assert info.value.year == 2027
