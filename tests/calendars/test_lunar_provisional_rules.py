"""Lunar festivals and provisional years: exact refusals, year edges and the merged holiday
(issue #13 item 11)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from community_governance.calendars.lunar import (
    Festival,
    LunarDate,
    festival_date,
    festivals,
    next_festival,
    to_lunar,
)
from community_governance.calendars.provisional import (
    PROVISIONAL_RULE,
    provisional_arrangement,
    statutory_holidays,
)
from community_governance.errors import ValidationError
from tests.domain._exact import refused

OUT = ("is outside the supported range 1900-2200 of lunar festival dates; ask for a year in it "
       "@ year")


def test_lunar_refusals_exact() -> None:
    for y in (1899, 2201):
        refused(ValidationError, f"year {y} {OUT}", festival_date, Festival.LANTERN, y)
        refused(ValidationError, f"year {y} {OUT}", festivals, y)
    assert festival_date("lantern", 1900) == date(1900, 2, 14)  # type: ignore[arg-type]
    assert festivals(2200)[Festival.SPRING_FESTIVAL].year == 2200
    refused(ValidationError, "no festivals to look for; pass at least one @ festivals",
            next_festival, date(2026, 1, 1), [])
    refused(ValidationError, "datetime.datetime(2026, 2, 16, 12, 0) is not a calendar date; pass "
            "its date in Asia/Shanghai @ after", next_festival, datetime(2026, 2, 16, 12, 0))
    refused(ValidationError, "datetime.datetime(2026, 2, 16, 12, 0) is not a calendar date; pass "
            "its date in Asia/Shanghai @ day", to_lunar, datetime(2026, 2, 16, 12, 0))
    refused(ValidationError, f"year 2201 {OUT}", to_lunar, date(2201, 1, 1))
    refused(ValidationError, f"year 2201 {OUT}", next_festival, date(2200, 12, 31))
    names = ", ".join(f"{f.value} ({f.chinese})" for f in Festival)
    refused(ValidationError, f"unknown festival '圣诞'; use one of {names} @ festival",
            Festival.parse, "圣诞")
    assert Festival.parse(" 元宵 ") is Festival.LANTERN
    assert [f.english for f in Festival] == [
        "Chinese New Year's Eve", "Spring Festival", "Lantern Festival", "Dragon Boat Festival",
        "Mid-Autumn Festival", "Double Ninth Festival"]


def test_festivals_in_date_order_and_next() -> None:
    f = festivals(2026)
    assert list(f) == [Festival.NEW_YEARS_EVE, Festival.SPRING_FESTIVAL, Festival.LANTERN,
                       Festival.DRAGON_BOAT, Festival.MID_AUTUMN, Festival.DOUBLE_NINTH]
    assert f[Festival.NEW_YEARS_EVE] == date(2026, 2, 16)
    # inclusive: the festival on the day itself; exclusive: the one after
    assert next_festival(date(2026, 2, 16), inclusive=True) == (Festival.NEW_YEARS_EVE,
                                                               date(2026, 2, 16))
    assert next_festival(date(2026, 2, 16)) == (Festival.SPRING_FESTIVAL, date(2026, 2, 17))
    assert next_festival(date(2026, 2, 15), ["spring_festival", "lantern"]) == (  # type: ignore[list-item]
        Festival.SPRING_FESTIVAL, date(2026, 2, 17))
    assert next_festival(date(2026, 2, 18), [Festival.LANTERN, Festival.SPRING_FESTIVAL]) == (
        Festival.LANTERN, date(2026, 3, 3))


def test_new_years_eve_with_a_leap_twelfth_month_and_lunar_dates() -> None:
    # the eve of 2034's Spring Festival ends lunar 2033, which has a leap 11th month (闰十一月)
    assert festival_date(Festival.NEW_YEARS_EVE, 2034) == date(2034, 2, 18)
    assert festival_date(Festival.NEW_YEARS_EVE, 2025) == date(2025, 1, 28)
    d = to_lunar(date(2026, 2, 16))
    assert d == LunarDate(2025, 12, 29)
    assert str(d) == "2025-12-29" and d.chinese == "二〇二五年腊月廿九"
    leap = to_lunar(date(2025, 8, 1))  # 闰六月 of 2025
    assert (leap.year, leap.month, leap.is_leap_month) == (2025, 6, True)
    assert str(leap) == f"2025-L06-{leap.day:02d}"


def test_statutory_holidays_years() -> None:
    refused(ValidationError, f"no provisional calendar for 2024: the statutory holidays of "
            f"{PROVISIONAL_RULE} apply from 2025 to 2200 here; for an earlier year add its "
            "official year file @ year", statutory_holidays, 2024)
    refused(ValidationError, f"no provisional calendar for 2201: the statutory holidays of "
            f"{PROVISIONAL_RULE} apply from 2025 to 2200 here; for an earlier year add its "
            "official year file @ year", statutory_holidays, 2201)
    assert statutory_holidays(2025)[0] == ("元旦", "New Year's Day", (date(2025, 1, 1),))
    assert [h[:2] for h in statutory_holidays(2200)] == [
        ("元旦", "New Year's Day"), ("春节", "Spring Festival"), ("清明节", "Qingming Festival"),
        ("劳动节", "Labour Day"), ("端午节", "Dragon Boat Festival"),
        ("中秋节", "Mid-Autumn Festival"), ("国庆节", "National Day")]


def test_provisional_arrangement_exact() -> None:
    a = provisional_arrangement(2027)
    assert a.provisional and a.year == 2027 and a.origin == "<provisional 2027>"
    assert a.notice.title == (f"暂定：按{PROVISIONAL_RULE}推算的2027年法定节假日（国务院办公厅2027年"
                              "节假日安排通知尚未发布）")
    assert a.notice.notes == (f"provisional: computed from the statutory holidays of "
                              f"{PROVISIONAL_RULE}; no swapped working days (调休) are known "
                              "until the notice is published")
    assert [h.name for h in a.holidays] == ["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节",
                                            "国庆节"]
    assert all(h.swapped_workdays == () for h in a.holidays)
    merged = provisional_arrangement(2028)
    last = merged.holidays[-1]
    assert [h.name for h in merged.holidays][-2:] == ["端午节", "国庆节、中秋节"]
    assert last.name_en == "National Day and Mid-Autumn Festival"
    assert last.off_days == (date(2028, 10, 1), date(2028, 10, 2), date(2028, 10, 3))
    assert len(merged.holidays) == 6


def test_provisional_merge_keeps_every_day_sorted() -> None:
    # 2036: Mid-Autumn on 4 October, the day after National Day: no merge
    a = provisional_arrangement(2036)
    assert [h.name for h in a.holidays][-2:] == ["中秋节", "国庆节"]
    # 2031 and 2039: Mid-Autumn on 1 and 2 October, inside National Day: one entry, sorted
    for y, mid in ((2031, date(2031, 10, 1)), (2039, date(2039, 10, 2))):
        assert festival_date(Festival.MID_AUTUMN, y) == mid
        b = provisional_arrangement(y)
        assert b.holidays[-1].name == "国庆节、中秋节"
        assert b.holidays[-1].off_days == (date(y, 10, 1), date(y, 10, 2), date(y, 10, 3))
    # before the rule: refused
    with pytest.raises(ValidationError):
        provisional_arrangement(2020)
