"""Provisional years (暂定), local days of a county, and installing a year file."""

from __future__ import annotations

import datetime as dt
from datetime import date
from pathlib import Path

import pytest
from lunardate import LunarDate

from community_governance.calendars import (
    LocalDay,
    WorkingDayCalendar,
    check_statutory_days,
    data_dir,
    install_year_file,
    load_arrangements,
    load_calendar,
    provisional_arrangement,
    statutory_holidays,
    validate_year_file,
)
from community_governance.errors import CalendarYearMissing, ValidationError

CAL = load_calendar()
OFFICIAL = load_calendar(provisional_years=0)


def _days(year: int) -> dict[str, tuple[date, ...]]:
    return {name: days for name, _en, days in statutory_holidays(year)}


# Known dates (published almanacs): 2027 Spring Festival Feb 6 (eve Feb 5), Qingming Apr 5,
# Dragon Boat Jun 9, Mid-Autumn Sep 15; 2028 Spring Festival Jan 26 (eve Jan 25), Qingming
# Apr 4, Dragon Boat May 28, Mid-Autumn Oct 3 (inside National Day).
@pytest.mark.parametrize(("year", "holiday", "expected"), [
    (2027, "元旦", (date(2027, 1, 1),)),
    (2027, "春节", (date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8))),
    (2027, "清明节", (date(2027, 4, 5),)),
    (2027, "劳动节", (date(2027, 5, 1), date(2027, 5, 2))),
    (2027, "端午节", (date(2027, 6, 9),)),
    (2027, "中秋节", (date(2027, 9, 15),)),
    (2027, "国庆节", (date(2027, 10, 1), date(2027, 10, 2), date(2027, 10, 3))),
    (2028, "春节", (date(2028, 1, 25), date(2028, 1, 26), date(2028, 1, 27), date(2028, 1, 28))),
    (2028, "清明节", (date(2028, 4, 4),)),
    (2028, "端午节", (date(2028, 5, 28),)),
    (2028, "中秋节", (date(2028, 10, 3),)),
])
def test_statutory_holidays_of_2027_and_2028(year: int, holiday: str,
                                             expected: tuple[date, ...]) -> None:
    """Gives the statutory days of the 2025 rule on the known lunar and solar-term dates."""
    assert _days(year)[holiday] == expected


@pytest.mark.parametrize("year", range(2027, 2037))
def test_lunar_days_agree_with_the_independent_tables(year: int) -> None:
    """Spring Festival, Dragon Boat and Mid-Autumn agree with lunardate for 2027-2036."""
    days = _days(year)
    assert days["春节"][1] == LunarDate(year, 1, 1).to_solar_date()
    assert days["春节"][0] == LunarDate(year, 1, 1).to_solar_date() - dt.timedelta(days=1)
    assert days["端午节"] == (LunarDate(year, 5, 5).to_solar_date(),)
    assert days["中秋节"] == (LunarDate(year, 8, 15).to_solar_date(),)
    assert days["清明节"][0] in (date(year, 4, 4), date(year, 4, 5), date(year, 4, 6))


@pytest.mark.parametrize("year", [2025, 2026])
def test_rule_holds_in_the_official_years(year: int) -> None:
    """Every statutory day of the rule is a rest day in the shipped official 2025 and 2026."""
    for _name, _en, days in statutory_holidays(year):
        for day in days:
            assert not OFFICIAL.is_working_day(day), day
    check_statutory_days(OFFICIAL.arrangement(year))  # and the install check passes them


def test_provisional_year_is_the_statutory_days_plus_weekends() -> None:
    """A provisional 2027: statutory days and weekends off, every other day working."""
    arr = CAL.arrangement(2027)
    assert arr.provisional and not CAL.arrangement(2026).provisional
    assert arr.swapped_workdays == frozenset()
    off = {d for _n, _e, days in statutory_holidays(2027) for d in days}
    day = date(2027, 1, 1)
    while day.year == 2027:
        assert CAL.is_working_day(day) == (day not in off and day.weekday() < 5), day
        day += dt.timedelta(days=1)
    assert CAL.holiday_of(date(2027, 6, 9)).name == "端午节"  # type: ignore[union-attr]
    assert "暂定" in arr.notice.title


def test_mid_autumn_inside_national_day_is_listed_once() -> None:
    """2028: Mid-Autumn falls on 3 October: one entry 国庆节、中秋节, each day listed once."""
    arr = provisional_arrangement(2028)
    names = [h.name for h in arr.holidays]
    assert "中秋节" not in names and "国庆节" not in names
    merged = arr.holiday_of(date(2028, 10, 3))
    assert merged is not None and merged.name == "国庆节、中秋节"
    assert merged.off_days == (date(2028, 10, 1), date(2028, 10, 2), date(2028, 10, 3))
    assert sum(h.off_days.count(date(2028, 10, 3)) for h in arr.holidays) == 1


def test_provisional_years_and_flags() -> None:
    """Covers ten years after the last notice; flags every answer that touches one."""
    assert CAL.official_years[-1] == 2026
    assert CAL.provisional_years == tuple(range(2027, 2037))
    assert CAL.deadline(date(2026, 12, 28), 5) == (date(2027, 1, 5), True)
    assert CAL.deadline(date(2026, 12, 1), 5) == (date(2026, 12, 8), False)
    assert CAL.is_provisional(date(2026, 12, 1), date(2027, 1, 4))
    assert not CAL.is_provisional(date(2026, 12, 1), date(2026, 12, 31))
    assert CAL.working_days_between(date(2026, 12, 28), date(2027, 1, 5)) == 5
    with pytest.raises(CalendarYearMissing) as info:
        CAL.is_working_day(date(2037, 1, 5))
    assert info.value.year == 2037
    with pytest.raises(CalendarYearMissing):
        OFFICIAL.add_working_days(date(2026, 12, 28), 5)


def test_no_provisional_year_before_the_rule() -> None:
    """Refuses a provisional calendar for a year before the 2025 rule."""
    with pytest.raises(ValidationError, match="2024"):
        provisional_arrangement(2024)


# --- local days ------------------------------------------------------------------------------


def test_local_day_off_and_working_day_apply_to_that_calendar_only() -> None:
    """A county's local day off and extra working day change its calendar, not the national."""
    monday, sunday = date(2026, 11, 9), date(2026, 11, 8)
    hubin = CAL.with_local_days([LocalDay.day_off(monday, "湖滨区纪念日"),
                                 LocalDay.working_day(sunday, "调休")], "411202")
    assert not hubin.is_working_day(monday) and CAL.is_working_day(monday)
    assert hubin.is_working_day(sunday) and not CAL.is_working_day(sunday)
    assert hubin.holiday_of(monday).name == "湖滨区纪念日"  # type: ignore[union-attr]
    # Friday 11-06 + 2 working days: Sunday 11-08 (working) and Tuesday 11-10 (Monday off)
    assert hubin.add_working_days(date(2026, 11, 6), 2) == date(2026, 11, 10)
    assert CAL.add_working_days(date(2026, 11, 6), 2) == date(2026, 11, 10)
    assert hubin.add_working_days(date(2026, 11, 6), 1) == sunday
    assert CAL.add_working_days(date(2026, 11, 6), 1) == monday
    assert hubin.county_code == "411202"


def test_local_day_refusals() -> None:
    """Refuses a local day that is a datetime, has no name, or is both off and working."""
    with pytest.raises(ValidationError, match="calendar date"):
        LocalDay.day_off(dt.datetime(2026, 11, 9, 8), "x")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="name"):
        LocalDay.day_off(date(2026, 11, 9), " ")
    with pytest.raises(ValidationError, match="keep one"):
        WorkingDayCalendar(OFFICIAL.arrangements, [LocalDay.day_off(date(2026, 11, 8), "a"),
                                                   LocalDay.working_day(date(2026, 11, 8), "b")])


# --- installing a year file ------------------------------------------------------------------

YEAR_2027 = """\
year = 2027

[source]
title = "国务院办公厅关于2027年部分节假日安排的通知"

[[holidays]]
name = "元旦"
name_en = "New Year's Day"
off_days = [2027-01-01, 2027-01-02, 2027-01-03, 2027-01-04]

[[holidays]]
name = "春节"
name_en = "Spring Festival"
off_days = [2027-02-05, 2027-02-06, 2027-02-07, 2027-02-08, 2027-02-09, 2027-02-10,
            2027-02-11, 2027-02-12, 2027-02-13]
swapped_workdays = [2027-02-20]

[[holidays]]
name = "清明节"
name_en = "Qingming Festival"
off_days = [2027-04-03, 2027-04-04, 2027-04-05]

[[holidays]]
name = "劳动节"
name_en = "Labour Day"
off_days = [2027-05-01, 2027-05-02, 2027-05-03, 2027-05-04, 2027-05-05]

[[holidays]]
name = "端午节"
name_en = "Dragon Boat Festival"
off_days = [2027-06-09]

[[holidays]]
name = "中秋节"
name_en = "Mid-Autumn Festival"
off_days = [2027-09-15]

[[holidays]]
name = "国庆节"
name_en = "National Day"
off_days = [2027-10-01, 2027-10-02, 2027-10-03, 2027-10-04, 2027-10-05, 2027-10-06,
            2027-10-07]
"""


def test_install_year_file_goes_to_the_data_dir(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Installs a valid file under $CGOV_DATA_DIR/calendars; the calendar then uses it."""
    monkeypatch.setenv("CGOV_DATA_DIR", str(tmp_path / "data"))
    src = tmp_path / "2027.toml"
    src.write_text(YEAR_2027, encoding="utf-8")
    assert data_dir() == tmp_path / "data"
    arr, target = install_year_file(src)
    assert target == tmp_path / "data" / "calendars" / "2027.toml"
    assert arr.year == 2027 and not arr.provisional
    cal = load_calendar([target.parent])
    assert 2027 in cal.official_years and cal.provisional_years[0] == 2028
    assert cal.deadline(date(2026, 12, 28), 5) == (date(2027, 1, 6), False)
    _, county = install_year_file(src, county_code="411202")
    assert county == tmp_path / "data" / "calendars" / "411202" / "2027.toml"


@pytest.mark.parametrize(("change", "message"), [
    (("off_days = [2027-06-09]", "off_days = [2027-06-10]"), "端午节"),
    (("year = 2027", "year = 2028"), "2028"),
    (('name = "元旦"', 'nam = "元旦"'), "unknown key"),
])
def test_install_refuses_a_bad_file_and_installs_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: tuple[str, str],
        message: str) -> None:
    """Refuses a file that misses a statutory day, is misnamed or has a bad key."""
    monkeypatch.setenv("CGOV_DATA_DIR", str(tmp_path / "data"))
    src = tmp_path / "2027.toml"
    src.write_text(YEAR_2027.replace(*change), encoding="utf-8")
    with pytest.raises(ValidationError, match=message):
        install_year_file(src)
    assert not (tmp_path / "data" / "calendars" / "2027.toml").exists()


def test_validate_checks_the_year_boundary(tmp_path: Path) -> None:
    """Accepts a 2027 file that reaches into the last days of 2026 (as the 2019 notice did)
    and refuses one that reaches further; nothing is loaded from either."""
    src = tmp_path / "2027.toml"
    src.write_text(YEAR_2027.replace(
        "off_days = [2027-01-01, 2027-01-02, 2027-01-03, 2027-01-04]",
        "off_days = [2027-01-01, 2027-01-02, 2027-01-03, 2027-01-04]\n"
        "swapped_workdays = [2026-12-27]"), encoding="utf-8")
    assert date(2026, 12, 27) in validate_year_file(src).swapped_workdays
    bad = tmp_path / "2027b" / "2027.toml"
    bad.parent.mkdir()
    bad.write_text(YEAR_2027.replace(
        "off_days = [2027-01-01, 2027-01-02, 2027-01-03, 2027-01-04]",
        "off_days = [2027-01-01, 2027-01-02, 2027-01-03, 2027-01-04]\n"
        "swapped_workdays = [2026-10-04]"), encoding="utf-8")
    with pytest.raises(ValidationError):
        validate_year_file(bad)
    assert 2027 not in load_arrangements()


def test_bad_county_code_is_refused(tmp_path: Path) -> None:
    """Refuses a county code that is not six digits."""
    src = tmp_path / "2027.toml"
    src.write_text(YEAR_2027, encoding="utf-8")
    with pytest.raises(ValidationError, match="6-digit"):
        install_year_file(src, county_code="4112", root=tmp_path)


def test_statutory_table_is_lunar_pythons_answer_for_every_year() -> None:
    # The table the calendar reads instead of computing (issue 21: start-up time) must be
    # exactly what lunar-python computes, year by year, and rendered as the shipped file.
    from community_governance.calendars import _generate, _statutory_dates
    from community_governance.calendars.lunar import FESTIVAL_YEARS
    from community_governance.calendars.provisional import (
        FIRST_RULE_YEAR,
        compute_lunar_days,
        lunar_days,
    )

    table = _statutory_dates.STATUTORY_LUNAR_DAYS
    assert sorted(table) == list(range(FIRST_RULE_YEAR, FESTIVAL_YEARS.stop))
    for year in table:
        assert lunar_days(year) == compute_lunar_days(year), year
    shipped = Path(_statutory_dates.__file__).read_text(encoding="utf-8")
    assert _generate.render_statutory_table() == shipped


def test_a_year_missing_from_the_table_is_computed(monkeypatch: pytest.MonkeyPatch) -> None:
    from community_governance.calendars import provisional

    monkeypatch.setattr(provisional, "STATUTORY_LUNAR_DAYS", {})
    # 2026: 除夕 16 Feb, 清明 5 Apr, 端午 19 Jun, 中秋 25 Sep
    assert provisional.lunar_days(2026) == (date(2026, 2, 16), date(2026, 4, 5),
                                            date(2026, 6, 19), date(2026, 9, 25))
