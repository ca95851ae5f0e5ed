"""The official working-day calendar (工作日历): which days are working days, and deadlines.

A day is a working day (工作日) when it is a Monday to Friday that no holiday takes, or a
Saturday or Sunday that the arrangement makes a working day (调休上班日). Only the years that
have an arrangement are known; any question about another year raises
:class:`~community_governance.errors.CalendarYearMissing`, never a guess.

Counting convention (the one of 民法典 第二百零一条 and 行政许可法 第八十二条: the day a period
starts on is not counted, and a period ending on a holiday runs to the next working day):

* ``add_working_days(start, n)`` for ``n >= 1`` is the n-th working day after ``start``,
  ``start`` itself not counted (whether or not it is a working day). ``n == 0`` gives ``start``
  if it is a working day, else the next working day.
* ``working_days_between(start, end)`` counts the working days in ``(start, end]``, and is
  negative (minus the count in ``(end, start]``) when ``end < start``. So
  ``working_days_between(d, add_working_days(d, n)) == n`` for every ``n >= 1``, and for
  ``n == 0`` when ``d`` is a working day.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from datetime import date, datetime

import attrs

from community_governance.calendars.arrangements import (
    DataDir,
    HolidayArrangement,
    YearArrangement,
    load_arrangements,
)
from community_governance.errors import CalendarYearMissing, ValidationError

__all__ = ["PROVISIONAL_HORIZON", "LocalDay", "WorkingDayCalendar", "load_calendar"]

#: How many years after the last official year :func:`load_calendar` covers provisionally.
PROVISIONAL_HORIZON = 10


@attrs.frozen
class LocalDay:
    """A county's own day off or extra working day (地方性休息日 / 地方调休上班日).

    A county (or a prefecture) may close its offices on a local memorial or festival day, or
    make a day a working day, on top of the national arrangement. Build one with
    :meth:`day_off` or :meth:`working_day` and answer it from ``cgov_local_calendar_days``.

    Attributes:
        day: the day.
        working: ``True`` for an extra working day, ``False`` for a day off.
        name: the Chinese name, e.g. ``义马市建市纪念日``.
        name_en: the English name, if any.
    """

    day: date
    working: bool
    name: str
    name_en: str = ""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.day, date) or isinstance(self.day, datetime):
            raise ValidationError(f"{self.day!r} is not a calendar date; pass a datetime.date",
                                  path="day")
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError("a local day needs its Chinese name, e.g. 建市纪念日",
                                  path="name")

    @classmethod
    def day_off(cls, day: date, name: str, name_en: str = "") -> LocalDay:
        """A local day off (地方性休息日) on ``day``."""
        return cls(day, False, name, name_en)

    @classmethod
    def working_day(cls, day: date, name: str, name_en: str = "") -> LocalDay:
        """A local extra working day (地方调休上班日) on ``day``."""
        return cls(day, True, name, name_en)


def _local_tuple(days: Iterable[LocalDay]) -> tuple[LocalDay, ...]:
    out = tuple(days)
    seen: dict[date, LocalDay] = {}
    for d in out:
        if not isinstance(d, LocalDay):
            raise ValidationError(f"{d!r} is not a LocalDay; build it with LocalDay.day_off or "
                                  "LocalDay.working_day", path="local_days")
        other = seen.get(d.day)
        if other is not None and other.working != d.working:
            off, on = (d, other) if other.working else (other, d)
            raise ValidationError(
                f"{d.day.isoformat()} is a local day off ({off.name}) and a local working day "
                f"({on.name}); keep one",
                path="local_days")
        seen[d.day] = d
    return tuple(sorted(out, key=lambda d: d.day))


def _by_year(arrangements: Iterable[YearArrangement]) -> tuple[YearArrangement, ...]:
    found: dict[int, YearArrangement] = {}
    for arrangement in arrangements:
        if arrangement.year in found:
            raise ValidationError(
                f"two arrangements for {arrangement.year}: {found[arrangement.year].origin} and "
                f"{arrangement.origin}; pass one per year (load_arrangements picks the later "
                "source for you)",
                path="arrangements",
            )
        found[arrangement.year] = arrangement
    return tuple(found[year] for year in sorted(found))


def _ordinal(day: date) -> int:
    if type(day) is not date and (isinstance(day, datetime) or not isinstance(day, date)):
        raise ValidationError(
            f"{day!r} is not a calendar date; pass a datetime.date or pendulum Date (for a "
            "moment in time, take its date in Asia/Shanghai first)",
            path="day",
        )
    return day.toordinal()


@attrs.frozen
class WorkingDayCalendar:
    """The official working-day calendar (工作日历) over the years that have an arrangement.

    Built from year arrangements (usually by :func:`load_calendar`). All lookups are O(1) or
    O(log years) on tables built once: a per-day working flag, a prefix count of working days
    and the ordinal list of working days.

    A county's calendar is the national one plus its local days (:class:`LocalDay`), applied
    last: :meth:`with_local_days`. Years whose arrangement is ``provisional`` (no notice yet)
    answer like the others; :meth:`is_provisional` and :meth:`deadline` say when an answer
    depends on one.

    Attributes:
        arrangements: the year arrangements, one per year, in year order.
        local_days: the county's own days off and extra working days (days of years the
            calendar does not cover are ignored).
        county_code: the county the local days are of (``None``: the national calendar).

    Raises:
        ValidationError: two arrangements for one year, or two arrangements that disagree about
            a day at a year boundary.
    """

    arrangements: tuple[YearArrangement, ...] = attrs.field(converter=_by_year)
    local_days: tuple[LocalDay, ...] = attrs.field(converter=_local_tuple, default=())
    county_code: str | None = None
    _provisional: frozenset[int] = attrs.field(init=False, repr=False, eq=False)
    _first_provisional: int = attrs.field(init=False, repr=False, eq=False)
    _years: frozenset[int] = attrs.field(init=False, repr=False, eq=False)
    _first: int = attrs.field(init=False, repr=False, eq=False)
    _working: bytes = attrs.field(init=False, repr=False, eq=False)
    _prefix: tuple[int, ...] = attrs.field(init=False, repr=False, eq=False)
    _ordinals: tuple[int, ...] = attrs.field(init=False, repr=False, eq=False)
    _gaps: tuple[int, ...] = attrs.field(init=False, repr=False, eq=False)
    _holiday: dict[int, HolidayArrangement] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        years = frozenset(a.year for a in self.arrangements)
        first = date(min(years), 1, 1).toordinal() if years else 1
        last = date(max(years), 12, 31).toordinal() if years else 0
        status: dict[int, tuple[bool, YearArrangement]] = {}
        holiday_of: dict[int, HolidayArrangement] = {}
        for arrangement in self.arrangements:
            for holiday in arrangement.holidays:
                marks = [(d, False) for d in holiday.off_days]
                marks += [(d, True) for d in holiday.swapped_workdays]
                for day, working in marks:
                    if day.year not in years:
                        continue
                    ordinal = day.toordinal()
                    if ordinal in status and status[ordinal][0] != working:
                        other = status[ordinal][1]
                        raise ValidationError(
                            f"{day.isoformat()} is a working day in one arrangement and a day "
                            f"off in the other: {other.origin} and {arrangement.origin}; "
                            "correct the one that does not follow its notice",
                            path=day.isoformat(),
                        )
                    # The arrangement of the day's own year speaks last about it.
                    if ordinal not in status or day.year == arrangement.year:
                        status[ordinal] = (working, arrangement)
                        holiday_of[ordinal] = holiday
        local: dict[int, bool] = {}
        for ld in self.local_days:
            if ld.day.year in years:
                local[ld.day.toordinal()] = ld.working
                holiday_of[ld.day.toordinal()] = HolidayArrangement(
                    name=ld.name, name_en=ld.name_en or ld.name,
                    off_days=() if ld.working else (ld.day,),
                    swapped_workdays=(ld.day,) if ld.working else (),
                    note=f"local day of {self.county_code or 'the county'}")
        flags = bytearray(max(last - first + 1, 0))
        for year in sorted(years):
            for ordinal in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1):
                mark = status.get(ordinal)
                if ordinal in local:
                    flags[ordinal - first] = local[ordinal]
                elif mark is not None:
                    flags[ordinal - first] = mark[0]
                else:
                    flags[ordinal - first] = (ordinal - 1) % 7 < 5  # ordinal 1 is a Monday
        prefix = [0]
        ordinals = []
        for index, flag in enumerate(flags):
            prefix.append(prefix[-1] + flag)
            if flag:
                ordinals.append(first + index)
        gaps = tuple(y for y in range(min(years), max(years)) if y not in years) if years else ()
        object.__setattr__(self, "_years", years)
        provisional = frozenset(a.year for a in self.arrangements if a.provisional)
        object.__setattr__(self, "_provisional", provisional)
        object.__setattr__(self, "_first_provisional", min(provisional, default=10_000))
        object.__setattr__(self, "_first", first)
        object.__setattr__(self, "_working", bytes(flags))
        object.__setattr__(self, "_prefix", tuple(prefix))
        object.__setattr__(self, "_ordinals", tuple(ordinals))
        object.__setattr__(self, "_gaps", gaps)
        object.__setattr__(self, "_holiday", holiday_of)

    @property
    def years(self) -> tuple[int, ...]:
        """The years covered, ascending."""
        return tuple(a.year for a in self.arrangements)

    @property
    def provisional_years(self) -> tuple[int, ...]:
        """The years covered only provisionally (no official notice yet), ascending."""
        return tuple(sorted(self._provisional))

    @property
    def official_years(self) -> tuple[int, ...]:
        """The years covered by an official arrangement, ascending."""
        return tuple(a.year for a in self.arrangements if not a.provisional)

    def is_provisional(self, day: date, end: date | None = None) -> bool:
        """Whether ``day`` (or any day from ``day`` to ``end``) lies in a provisional year.

        An answer about such a day may change when the year's notice is added.
        """
        if not self._provisional:
            return False
        low, high = (day.year, day.year) if end is None else sorted((day.year, end.year))
        return any(y in self._provisional for y in range(low, high + 1))

    def deadline(self, start: date, n: int) -> tuple[date, bool]:
        """:meth:`add_working_days` and whether the count used a provisional year.

        Returns:
            ``(deadline, provisional)``; a provisional deadline is never final: it is
            recomputed when the official year file arrives.

        Raises:
            CalendarYearMissing: as :meth:`add_working_days`.
            ValidationError: as :meth:`add_working_days`.
        """
        end = self.add_working_days(start, n)
        if end.year < self._first_provisional:  # the usual case: no provisional year reached
            return end, False
        return end, self.is_provisional(start, end)

    def with_local_days(self, days: Iterable[LocalDay],
                        county_code: str | None = None) -> WorkingDayCalendar:
        """This calendar with a county's local days off and working days added.

        Args:
            days: the county's :class:`LocalDay` entries (added to any it already has).
            county_code: the county they belong to (kept for messages).

        Raises:
            ValidationError: one day is both a local day off and a local working day.
        """
        return WorkingDayCalendar(self.arrangements, (*self.local_days, *days),
                                  county_code if county_code is not None else self.county_code)

    def covers(self, year: int) -> bool:
        """Whether ``year`` has an arrangement."""
        return year in self._years

    def arrangement(self, year: int) -> YearArrangement:
        """The arrangement of ``year``.

        Raises:
            CalendarYearMissing: no arrangement is known for ``year``.
        """
        for arrangement in self.arrangements:
            if arrangement.year == year:
                return arrangement
        raise CalendarYearMissing(year)

    def _index(self, day: date) -> int:
        ordinal = _ordinal(day)
        if day.year not in self._years:
            raise CalendarYearMissing(day.year)
        return ordinal - self._first

    def _check_span(self, low_year: int, high_year: int) -> None:
        if self._gaps:
            at = bisect_left(self._gaps, low_year)
            if at < len(self._gaps) and self._gaps[at] <= high_year:
                raise CalendarYearMissing(self._gaps[at])

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day (工作日).

        Raises:
            CalendarYearMissing: ``day``'s year has no arrangement.
            ValidationError: ``day`` is a datetime or not a date.
        """
        return bool(self._working[self._index(day)])

    def holiday_of(self, day: date) -> HolidayArrangement | None:
        """The holiday that makes ``day`` a day off or a swapped working day, if any.

        Raises:
            CalendarYearMissing: ``day``'s year has no arrangement.
        """
        return self._holiday.get(self._index(day) + self._first)

    def add_working_days(self, start: date, n: int) -> date:
        """The deadline ``n`` working days after ``start``, ``start`` itself not counted.

        Args:
            start: the day the period starts on (any day, working or not).
            n: the number of working days, ``>= 0``. ``0`` gives ``start`` if it is a working
                day, else the next working day.

        Returns:
            A working day, as a plain ``datetime.date``.

        Raises:
            CalendarYearMissing: ``start``'s year, or a year the count runs into, has no
                arrangement (the year is named).
            ValidationError: ``n`` is negative, or ``start`` is not a date.
        """
        if n < 0:
            raise ValidationError(
                f"n must be >= 0, got {n}; count backwards with working_days_between",
                path="n",
            )
        index = self._index(start)
        if n == 0 and self._working[index]:
            return date.fromordinal(index + self._first)
        position = self._prefix[index + 1] + n - (n > 0)
        if position >= len(self._ordinals):
            self._check_span(start.year, max(self._years))
            raise CalendarYearMissing(max(self._years) + 1)
        result = date.fromordinal(self._ordinals[position])
        if result.year != start.year:
            self._check_span(start.year, result.year)
        return result

    def working_days_between(self, start: date, end: date) -> int:
        """The number of working days in ``(start, end]``; negative when ``end < start``.

        Raises:
            CalendarYearMissing: a year from ``start`` to ``end`` has no arrangement.
            ValidationError: ``start`` or ``end`` is not a date.
        """
        i = self._index(start)
        j = self._index(end)
        if start.year != end.year:
            self._check_span(min(start.year, end.year), max(start.year, end.year))
        return self._prefix[j + 1] - self._prefix[i + 1]

    def next_working_day(self, day: date) -> date:
        """The first working day after ``day`` (``add_working_days(day, 1)``).

        Raises:
            CalendarYearMissing: the search runs into a year with no arrangement.
        """
        return self.add_working_days(day, 1)


def load_calendar(extra_dirs: Iterable[DataDir] = (), *,
                  provisional_years: int = PROVISIONAL_HORIZON) -> WorkingDayCalendar:
    """The working-day calendar of the package's year files plus ``extra_dirs``, extended by
    provisional years.

    Args:
        extra_dirs: more directories of ``<year>.toml`` files (a county plugin's data
            directory...); later ones override earlier ones, and the package's files, year by
            year.
        provisional_years: how many years after the last year file to cover with a
            provisional arrangement
            (:func:`~community_governance.calendars.provisional_arrangement`); ``0`` for none
            (then those years raise ``CalendarYearMissing``).

    Returns:
        The calendar over every year found and the provisional years after them.

    Raises:
        ValidationError: a directory is missing, or a file is misnamed or invalid.
    """
    from community_governance.calendars.provisional import (
        FIRST_RULE_YEAR,
        provisional_arrangement,
    )

    found = load_arrangements(extra_dirs)
    arrangements = list(found.values())
    if found and provisional_years > 0:
        last = max(found)
        arrangements += [provisional_arrangement(y)
                         for y in range(max(last + 1, FIRST_RULE_YEAR),
                                        last + 1 + provisional_years)]
    return WorkingDayCalendar(arrangements)
