"""Provisional year arrangements (暂定节假日安排) for years whose notice is not out yet.

The State Council publishes each year's arrangement (国务院办公厅关于<year>年部分节假日安排的
通知) in November or December of the year before. Until it does, the only firm facts about that
year are the statutory holidays (法定节假日) of 《全国年节及纪念日放假办法》, in the version in
force from 1 January 2025 (国务院令第795号), which every notice builds on:

* 元旦 New Year's Day: 1 January (1 day);
* 春节 Spring Festival: lunar New Year's Eve (除夕) and the 1st-3rd of the first lunar month
  (4 days);
* 清明节 Qingming: the day of the solar term 清明 (1 day);
* 劳动节 Labour Day: 1-2 May (2 days);
* 端午节 Dragon Boat: the 5th of the 5th lunar month (1 day);
* 中秋节 Mid-Autumn: the 15th of the 8th lunar month (1 day);
* 国庆节 National Day: 1-3 October (3 days).

:func:`provisional_arrangement` builds a :class:`~community_governance.calendars.YearArrangement`
marked ``provisional`` from exactly these days (the lunar dates and the solar term from
lunar-python, as :mod:`~community_governance.calendars.lunar` does), with the weekends off and
no swapped working days: the swaps (调休) and the bridging days exist only by notice, so they
cannot be foreseen. A provisional calendar therefore usually has a few *more* working days
around the long holidays than the notice will give; every deadline counted on it is flagged
provisional and is recomputed when the official year file is added
(``cgov calendar add-year``).

A statutory day that falls on a weekend stays one day off (no substitute day is guessed), and
when two holidays fall on one day (中秋 on 1-3 October, as in 2020 and 2028) they make one
entry, ``国庆节、中秋节``, as the notices write it.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from community_governance.calendars._statutory_dates import STATUTORY_LUNAR_DAYS
from community_governance.calendars.arrangements import (
    HolidayArrangement,
    Notice,
    YearArrangement,
)
from community_governance.calendars.lunar import FESTIVAL_YEARS, Festival, festival_date
from community_governance.errors import ValidationError

__all__ = ["PROVISIONAL_RULE", "provisional_arrangement", "statutory_holidays"]

#: The rule provisional years are computed from, as shown to readers.
PROVISIONAL_RULE = "《全国年节及纪念日放假办法》（2025年1月1日起施行）"

#: The first year the rule of :data:`PROVISIONAL_RULE` applies to.
FIRST_RULE_YEAR = 2025


def _qingming(year: int) -> date:
    # The solar term 清明 of Gregorian year ``year``: lunar year ``year``'s table holds the
    # terms from the winter solstice before it to the one after, so 清明 (early April) is in it.
    from lunar_python import Lunar

    solar = Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"]
    return date(int(solar.getYear()), int(solar.getMonth()), int(solar.getDay()))


def compute_lunar_days(year: int) -> tuple[date, date, date, date]:
    """除夕, 清明, 端午 and 中秋 of ``year``, computed with lunar-python (about 30 ms a year).

    :data:`~community_governance.calendars._statutory_dates.STATUTORY_LUNAR_DAYS` holds these
    for every year of the rule, so that a command line does not pay for them; a test checks
    the table against this function year by year.
    """
    return (festival_date(Festival.NEW_YEARS_EVE, year), _qingming(year),
            festival_date(Festival.DRAGON_BOAT, year), festival_date(Festival.MID_AUTUMN, year))


def lunar_days(year: int) -> tuple[date, date, date, date]:
    """除夕, 清明, 端午 and 中秋 of ``year``: from the precomputed table, or computed."""
    packed = STATUTORY_LUNAR_DAYS.get(year)
    if packed is None:
        return compute_lunar_days(year)
    eve, qingming, dragon, autumn = (date(year, int(p[:2]), int(p[2:])) for p in packed.split())
    return eve, qingming, dragon, autumn


def statutory_holidays(year: int) -> list[tuple[str, str, tuple[date, ...]]]:
    """The statutory holidays (法定节假日) of ``year`` under :data:`PROVISIONAL_RULE`.

    Args:
        year: a Gregorian year from 2025 (the rule's first year) to the last of
            :data:`~community_governance.calendars.FESTIVAL_YEARS`.

    Returns:
        ``(Chinese name, English name, days)`` for each holiday, in the rule's order.

    Raises:
        ValidationError: ``year`` is before 2025 or beyond the lunar library's range.
    """
    if not FIRST_RULE_YEAR <= year < FESTIVAL_YEARS.stop:
        raise ValidationError(
            f"no provisional calendar for {year}: the statutory holidays of {PROVISIONAL_RULE} "
            f"apply from {FIRST_RULE_YEAR} to {FESTIVAL_YEARS.stop - 1} here; for an earlier "
            "year add its official year file",
            path="year",
        )
    eve, qingming, dragon_boat, mid_autumn = lunar_days(year)
    return [
        ("元旦", "New Year's Day", (date(year, 1, 1),)),
        ("春节", "Spring Festival", tuple(eve + timedelta(days=i) for i in range(4))),
        ("清明节", "Qingming Festival", (qingming,)),
        ("劳动节", "Labour Day", (date(year, 5, 1), date(year, 5, 2))),
        ("端午节", "Dragon Boat Festival", (dragon_boat,)),
        ("中秋节", "Mid-Autumn Festival", (mid_autumn,)),
        ("国庆节", "National Day", tuple(date(year, 10, d) for d in (1, 2, 3))),
    ]


@lru_cache(maxsize=256)
def provisional_arrangement(year: int) -> YearArrangement:
    """The provisional arrangement of ``year``: its statutory holidays, no swapped days.

    The result has ``provisional=True``; its notice names the rule it comes from. Days of the
    year that no holiday takes follow the weekday rule (Saturdays and Sundays off). The lunar
    computations are slow (about 50 ms a year), so results are cached per process.

    Raises:
        ValidationError: ``year`` is outside the years of :func:`statutory_holidays`.
    """
    holidays: list[HolidayArrangement] = []
    for name, name_en, days in statutory_holidays(year):
        for i, other in enumerate(holidays):
            if set(days) & set(other.off_days):
                # two holidays on one day (中秋 inside 国庆): one entry, as the notices write it
                holidays[i] = HolidayArrangement(
                    name=f"{name}、{other.name}", name_en=f"{name_en} and {other.name_en}",
                    off_days=tuple(sorted(set(days) | set(other.off_days))))
                break
        else:
            holidays.append(HolidayArrangement(name=name, name_en=name_en, off_days=days))
    notice = Notice(
        title=f"暂定：按{PROVISIONAL_RULE}推算的{year}年法定节假日（国务院办公厅{year}年节假日"
              "安排通知尚未发布）",
        notes=f"provisional: computed from the statutory holidays of {PROVISIONAL_RULE}; "
              "no swapped working days (调休) are known until the notice is published",
    )
    return YearArrangement(year=year, notice=notice, holidays=holidays,
                           origin=f"<provisional {year}>", provisional=True)
