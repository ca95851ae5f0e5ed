"""Lunar festival dates (农历节日) for festival visits, from the lunar-python library.

The traditional festivals fall on fixed days of the Chinese lunisolar calendar (农历):
Spring Festival 春节 (1st day of the 1st month), Lantern Festival 元宵节 (1/15), Dragon Boat
端午节 (5/5), Mid-Autumn 中秋节 (8/15), Double Ninth 重阳节 (9/9, the day of the elderly,
老年节), and New Year's Eve 除夕, the last day of the 12th month, which is the 29th in the
years whose 12th month is short (e.g. 2025-01-28 and 2026-02-16), never "the 30th".

A festival of Gregorian year ``Y`` is the one celebrated in ``Y``: the lunar-year ``Y``
festivals, plus the 除夕 that ends lunar year ``Y - 1`` (the eve of the Spring Festival of ``Y``).
The lunar dates come from lunar-python (寿星天文历 algorithms, 1900-2200 supported here) and
are cross-checked in the tests against the independent ``lunardate`` tables (1901-2099). The
two agree on every festival of 1901-2099 but two, where a new moon falls within minutes of
midnight Beijing time and the libraries start the lunar month a day apart: 中秋 1978
(lunar-python 09-17, lunardate 09-16) and 重阳 2057 (10-07 against 10-06). lunar-python is
followed. Conversions are slow-ish (about 1 ms a day); festival dates are cached per year.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache

import attrs

from community_governance.errors import ValidationError

__all__ = [
    "FESTIVAL_YEARS",
    "Festival",
    "LunarDate",
    "festival_date",
    "festivals",
    "next_festival",
    "to_lunar",
]

#: The Gregorian years for which festival dates are given.
FESTIVAL_YEARS = range(1900, 2201)


class Festival(enum.StrEnum):
    """A traditional lunar festival (传统节日)."""

    NEW_YEARS_EVE = "new_years_eve"  #: 除夕, last day of the 12th lunar month
    SPRING_FESTIVAL = "spring_festival"  #: 春节, 1st day of the 1st lunar month
    LANTERN = "lantern"  #: 元宵节, 15th day of the 1st lunar month
    DRAGON_BOAT = "dragon_boat"  #: 端午节, 5th day of the 5th lunar month
    MID_AUTUMN = "mid_autumn"  #: 中秋节, 15th day of the 8th lunar month
    DOUBLE_NINTH = "double_ninth"  #: 重阳节 (老年节), 9th day of the 9th lunar month

    @property
    def chinese(self) -> str:
        """The Chinese name, e.g. ``中秋节``."""
        return _CHINESE[self]

    @property
    def english(self) -> str:
        """The English name, e.g. ``Mid-Autumn Festival``."""
        return _ENGLISH[self]

    @classmethod
    def parse(cls, text: str) -> Festival:
        """The festival named by its value (``mid_autumn``) or Chinese name (``中秋节``/``中秋``).

        Raises:
            ValidationError: no festival has that name.
        """
        key = text.strip()
        for festival in cls:
            if key in (festival.value, festival.chinese, festival.chinese.removesuffix("节")):
                return festival
        names = ", ".join(f"{f.value} ({f.chinese})" for f in cls)
        raise ValidationError(f"unknown festival {text!r}; use one of {names}", path="festival")


_CHINESE = {
    Festival.NEW_YEARS_EVE: "除夕",
    Festival.SPRING_FESTIVAL: "春节",
    Festival.LANTERN: "元宵节",
    Festival.DRAGON_BOAT: "端午节",
    Festival.MID_AUTUMN: "中秋节",
    Festival.DOUBLE_NINTH: "重阳节",
}

_ENGLISH = {
    Festival.NEW_YEARS_EVE: "Chinese New Year's Eve",
    Festival.SPRING_FESTIVAL: "Spring Festival",
    Festival.LANTERN: "Lantern Festival",
    Festival.DRAGON_BOAT: "Dragon Boat Festival",
    Festival.MID_AUTUMN: "Mid-Autumn Festival",
    Festival.DOUBLE_NINTH: "Double Ninth Festival",
}

#: (lunar month, lunar day) of the festivals on a fixed lunar day.
_LUNAR_DAY = {
    Festival.SPRING_FESTIVAL: (1, 1),
    Festival.LANTERN: (1, 15),
    Festival.DRAGON_BOAT: (5, 5),
    Festival.MID_AUTUMN: (8, 15),
    Festival.DOUBLE_NINTH: (9, 9),
}


@attrs.frozen
class LunarDate:
    """A day of the Chinese lunisolar calendar (农历日期).

    Attributes:
        year: the lunar year (it starts at the Spring Festival, not on January 1).
        month: the month, 1-12.
        day: the day of the month, 1-30.
        is_leap_month: whether the month is the leap month (闰月) following ``month``.
        chinese: the date in Chinese, e.g. ``二〇二五年腊月廿九``.
    """

    year: int
    month: int
    day: int
    is_leap_month: bool = False
    chinese: str = attrs.field(default="", eq=False)

    def __str__(self) -> str:
        leap = "L" if self.is_leap_month else ""
        return f"{self.year}-{leap}{self.month:02d}-{self.day:02d}"


def _check_year(year: int) -> None:
    if year not in FESTIVAL_YEARS:
        raise ValidationError(
            f"year {year} is outside the supported range {FESTIVAL_YEARS.start}-"
            f"{FESTIVAL_YEARS.stop - 1} of lunar festival dates; ask for a year in it",
            path="year",
        )


def _solar(lunar: object) -> date:
    solar = lunar.getSolar()  # type: ignore[attr-defined]
    return date(int(solar.getYear()), int(solar.getMonth()), int(solar.getDay()))


@lru_cache(maxsize=2048)
def _festival_date(festival: Festival, year: int) -> date:
    from lunar_python import Lunar, LunarMonth, LunarYear  # imported when first needed

    if festival is Festival.NEW_YEARS_EVE:
        # The last day of the 12th month of lunar year year-1 (of its leap 12th month if it
        # has one): the 29th or the 30th.
        month = -12 if int(LunarYear.fromYear(year - 1).getLeapMonth()) == 12 else 12
        last_day = int(LunarMonth.fromYm(year - 1, month).getDayCount())
        return _solar(Lunar.fromYmd(year - 1, month, last_day))
    month, day = _LUNAR_DAY[festival]
    return _solar(Lunar.fromYmd(year, month, day))


def festival_date(festival: Festival, year: int) -> date:
    """The Gregorian date of ``festival`` in Gregorian year ``year``.

    For :attr:`Festival.NEW_YEARS_EVE` that is the eve of the Spring Festival of ``year`` (the
    last day of the previous lunar year).

    Raises:
        ValidationError: ``year`` is outside :data:`FESTIVAL_YEARS`.
    """
    _check_year(year)
    return _festival_date(Festival(festival), year)


def festivals(year: int) -> dict[Festival, date]:
    """Every festival of Gregorian year ``year``, in date order.

    Raises:
        ValidationError: ``year`` is outside :data:`FESTIVAL_YEARS`.
    """
    _check_year(year)
    found = {f: _festival_date(f, year) for f in Festival}
    return dict(sorted(found.items(), key=lambda item: item[1]))


def next_festival(
    after: date,
    festivals: Iterable[Festival] = tuple(Festival),
    *,
    inclusive: bool = False,
) -> tuple[Festival, date]:
    """The first of ``festivals`` that falls after ``after`` (or on it, when ``inclusive``).

    Args:
        after: the day to look from (e.g. today, passed in by the caller).
        festivals: the festivals to consider; all of them by default.
        inclusive: whether a festival on ``after`` itself counts.

    Returns:
        The festival and its date.

    Raises:
        ValidationError: ``festivals`` is empty, or the date is out of range.
    """
    wanted = tuple(Festival(f) for f in festivals)
    if not wanted:
        raise ValidationError("no festivals to look for; pass at least one", path="festivals")
    if isinstance(after, datetime):
        raise ValidationError(
            f"{after!r} is not a calendar date; pass its date in Asia/Shanghai", path="after"
        )
    best: tuple[Festival, date] | None = None
    for year in (after.year, after.year + 1):
        _check_year(year)
        for festival in wanted:
            day = _festival_date(festival, year)
            if (day >= after if inclusive else day > after) and (best is None or day < best[1]):
                best = (festival, day)
        if best is not None:
            return best
    raise AssertionError("every festival occurs once a year")  # pragma: no cover


def to_lunar(day: date) -> LunarDate:
    """The lunar date of a Gregorian day.

    Raises:
        ValidationError: ``day`` is a datetime, or outside the supported years.
    """
    if isinstance(day, datetime):
        raise ValidationError(
            f"{day!r} is not a calendar date; pass its date in Asia/Shanghai", path="day"
        )
    _check_year(day.year)
    from lunar_python import Solar

    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    month = int(lunar.getMonth())
    return LunarDate(
        year=int(lunar.getYear()),
        month=abs(month),
        day=int(lunar.getDay()),
        is_leap_month=month < 0,
        chinese=str(lunar.toString()),
    )
