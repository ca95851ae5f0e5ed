"""Loading and validating year files, and adding years from extra directories."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from community_governance.calendars import (
    HolidayArrangement,
    Notice,
    WorkingDayCalendar,
    YearArrangement,
    available_years,
    load_arrangements,
    load_calendar,
    load_year_file,
    package_data_dir,
)
from community_governance.errors import CalendarYearMissing, ValidationError

#: A plausible 2027 file (2027 has no notice yet; the dates only need to be well formed).
YEAR_2027 = """\
year = 2027

[source]
title = "国务院办公厅关于2027年部分节假日安排的通知"
published = 2026-11-10

[[holidays]]
name = "元旦"
name_en = "New Year's Day"
off_days = [2027-01-01, 2027-01-02, 2027-01-03]

[[holidays]]
name = "春节"
name_en = "Spring Festival"
off_days = [2027-02-05, 2027-02-06, 2027-02-07, 2027-02-08, 2027-02-09, 2027-02-10,
            2027-02-11, 2027-02-12, 2027-02-13]
swapped_workdays = [2027-01-31, 2027-02-20]
"""


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, text: str, name: str = "2027.toml") -> ValidationError:
    path = _write(tmp_path, name, text)
    with pytest.raises(ValidationError) as info:
        load_year_file(path)
    assert str(path) in str(info.value)
    return info.value


def test_loads_a_valid_file(tmp_path: Path) -> None:
    """Reads a well-formed year file into an arrangement with its notice and holidays."""
    arrangement = load_year_file(_write(tmp_path, "2027.toml", YEAR_2027))
    assert arrangement.year == 2027
    assert arrangement.notice == Notice(
        title="国务院办公厅关于2027年部分节假日安排的通知", published=date(2026, 11, 10)
    )
    assert [h.name for h in arrangement.holidays] == ["元旦", "春节"]
    assert arrangement.swapped_workdays == {date(2027, 1, 31), date(2027, 2, 20)}
    assert len(arrangement.off_days) == 12
    assert arrangement.holiday_of(date(2027, 2, 20)) is arrangement.holidays[1]
    assert arrangement.holiday_of(date(2027, 3, 1)) is None


def test_extra_directory_adds_a_year(tmp_path: Path) -> None:
    """Covers 2027 once a directory holding 2027.toml is passed, and only then."""
    _write(tmp_path, "2027.toml", YEAR_2027)
    assert available_years([tmp_path])[-2:] == (2026, 2027)
    assert 2027 not in available_years()
    cal = load_calendar([tmp_path])
    assert cal.official_years[-1] == 2027 and cal.provisional_years[0] == 2028
    # A case opened 2026-12-30 with a 5 working-day deadline runs into January 2027:
    # 12-31, (01-01..03 off), 01-04, 01-05, 01-06, 01-07.
    assert cal.add_working_days(date(2026, 12, 30), 5) == date(2027, 1, 7)
    assert cal.is_working_day(date(2027, 1, 31))  # a swapped Sunday
    with pytest.raises(CalendarYearMissing) as info:
        load_calendar(provisional_years=0).add_working_days(date(2026, 12, 30), 5)
    assert info.value.year == 2027


def test_single_path_is_accepted_as_extra_dirs(tmp_path: Path) -> None:
    """Treats a lone path as one directory, not as a string of characters."""
    _write(tmp_path, "2027.toml", YEAR_2027)
    assert 2027 in load_arrangements(str(tmp_path))
    assert 2027 in load_calendar(tmp_path).years  # type: ignore[arg-type]


def test_later_sources_override_earlier_ones(tmp_path: Path) -> None:
    """Replaces a year whole with the file of the later directory."""
    county = YEAR_2027.replace("2027-02-20]", "2027-02-21]")
    _write(tmp_path / "release", "2027.toml", YEAR_2027)
    _write(tmp_path / "county", "2027.toml", county)
    cal = load_calendar([tmp_path / "release", tmp_path / "county"])
    assert cal.is_working_day(date(2027, 2, 21))
    assert not cal.is_working_day(date(2027, 2, 20))
    assert cal.arrangement(2027).origin == str(tmp_path / "county" / "2027.toml")
    reverse = load_calendar([tmp_path / "county", tmp_path / "release"])
    assert reverse.is_working_day(date(2027, 2, 20))


def test_county_file_overrides_a_shipped_year(tmp_path: Path) -> None:
    """Lets a county replace a shipped year (here 2026 without the 10-10 working Saturday)."""
    shipped = (package_data_dir() / "2026.toml").read_text(encoding="utf-8")
    patched = shipped.replace("swapped_workdays = [2026-09-20, 2026-10-10]", "")
    assert patched != shipped
    _write(tmp_path, "2026.toml", patched)
    assert load_calendar().is_working_day(date(2026, 10, 10))
    assert not load_calendar([tmp_path]).is_working_day(date(2026, 10, 10))


def test_rejects_a_missing_directory(tmp_path: Path) -> None:
    """Names a missing extra directory instead of ignoring it."""
    with pytest.raises(ValidationError, match="does not exist"):
        load_calendar([tmp_path / "nowhere"])


def test_rejects_a_misnamed_file(tmp_path: Path) -> None:
    """Refuses a .toml file not named <year>.toml in a data directory."""
    _write(tmp_path, "2027-draft.toml", YEAR_2027)
    with pytest.raises(ValidationError, match=r"named <year>\.toml"):
        load_calendar([tmp_path])


def test_rejects_a_file_whose_year_disagrees_with_its_name(tmp_path: Path) -> None:
    """Refuses 2028.toml that says year = 2027."""
    error = _error(tmp_path, YEAR_2027, name="2028.toml")
    assert "2028.toml" in str(error)
    assert error.path == "$.year"


def test_rejects_invalid_toml(tmp_path: Path) -> None:
    """Reports a TOML syntax error with the file name."""
    error = _error(tmp_path, YEAR_2027.replace('name = "元旦"', "name = 元旦"))
    assert "not valid TOML" in str(error)


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (("off_days = [2027-01-01", "offdays = [2027-01-01"), "$.holidays[0].offdays", "unknown"),
        (("year = 2027\n", "year = 2027\nyaer = 1\n"), "$.yaer", "unknown key 'yaer'"),
        (
            ('title = "国务院办公厅关于2027年部分节假日安排的通知"\n', ""),
            "$.source.title",
            "missing",
        ),
        (('name_en = "New Year\'s Day"\n', ""), "$.holidays[0].name_en", "missing"),
        (("[2027-01-31, ", '["2027-01-31", '), "$.holidays[1].swapped_workdays[0]", "quotes"),
        (("published = 2026-11-10", "published = 2026-11-10T09:00:00"), "$.source.published", ""),
        (("year = 2027", 'year = "2027"'), "$.year", "integer"),
    ],
)
def test_rejects_malformed_keys(
    tmp_path: Path, change: tuple[str, str], path: str, words: str
) -> None:
    """Names the key at fault for unknown, missing and mistyped keys."""
    assert change[0] in YEAR_2027
    error = _error(tmp_path, YEAR_2027.replace(*change, 1))
    assert error.path == path
    assert words in str(error)


def test_rejects_a_weekday_swapped_workday(tmp_path: Path) -> None:
    """Refuses a Monday listed as a swapped working day, naming the day and the fix."""
    error = _error(tmp_path, YEAR_2027.replace("2027-02-20]", "2027-02-22]"))
    assert error.path == "$.holidays[1].swapped_workdays[1]"
    assert "2027-02-22 (Monday)" in str(error)
    assert "Saturday or Sunday" in str(error)


def test_rejects_a_date_outside_the_year(tmp_path: Path) -> None:
    """Refuses a date that is neither in the year nor next to its boundary."""
    error = _error(tmp_path, YEAR_2027.replace("2027-01-02,", "2026-12-01,"))
    assert error.path == "$.holidays[0].off_days[1]"
    assert "outside 2027" in str(error)
    assert "file of 2026" in str(error)


def test_accepts_new_year_days_of_the_previous_december(tmp_path: Path) -> None:
    """Accepts late-December days taken or swapped by the next year's New Year holiday."""
    text = YEAR_2027.replace(
        "off_days = [2027-01-01, 2027-01-02, 2027-01-03]",
        "off_days = [2026-12-31, 2027-01-01]\nswapped_workdays = [2026-12-26]",
    )
    arrangement = load_year_file(_write(tmp_path, "2027.toml", text))
    assert date(2026, 12, 31) in arrangement.off_days
    cal = load_calendar([tmp_path])
    assert not cal.is_working_day(date(2026, 12, 31))
    assert cal.is_working_day(date(2026, 12, 26))  # a Saturday
    assert cal.holiday_of(date(2026, 12, 31)) == arrangement.holidays[0]


def test_rejects_a_day_listed_twice(tmp_path: Path) -> None:
    """Refuses a day both off and a swapped working day, naming both places."""
    error = _error(tmp_path, YEAR_2027.replace("2027-01-31,", "2027-02-06,"))
    assert "listed twice" in str(error)
    assert "$.holidays[1].off_days[1]" in str(error)
    assert error.path == "$.holidays[1].swapped_workdays[0]"


def test_rejects_a_holiday_without_off_days(tmp_path: Path) -> None:
    """Refuses a holiday whose off_days list is empty."""
    error = _error(
        tmp_path,
        YEAR_2027.replace("off_days = [2027-01-01, 2027-01-02, 2027-01-03]", "off_days = []"),
    )
    assert error.path == "$.holidays[0].off_days"


def test_rejects_boundary_days_that_disagree_between_files(tmp_path: Path) -> None:
    """Refuses two year files that disagree about a day at the year boundary."""
    shipped_2026 = (package_data_dir() / "2026.toml").read_text(encoding="utf-8")
    _write(tmp_path, "2026.toml", shipped_2026.replace("2026-01-04]", "2026-01-04, 2026-12-27]"))
    _write(
        tmp_path,
        "2027.toml",
        YEAR_2027.replace("2027-01-03]", "2027-01-03, 2026-12-27]"),
    )
    with pytest.raises(ValidationError) as info:
        load_calendar([tmp_path])
    assert "2026-12-27" in str(info.value)
    assert "2026.toml" in str(info.value)
    assert "2027.toml" in str(info.value)


def test_arrangements_built_in_code_are_validated() -> None:
    """Validates arrangements built in code just like files."""
    notice = Notice(title="国务院办公厅关于2027年部分节假日安排的通知")
    with pytest.raises(ValidationError, match="Saturday or Sunday"):
        YearArrangement(
            year=2027,
            notice=notice,
            holidays=[
                HolidayArrangement(
                    name="元旦",
                    name_en="New Year's Day",
                    off_days=[date(2027, 1, 1)],
                    swapped_workdays=[date(2027, 1, 4)],
                )
            ],
        )
    good = YearArrangement(
        year=2027,
        notice=notice,
        holidays=[HolidayArrangement("元旦", "New Year's Day", [date(2027, 1, 1)])],
    )
    cal = WorkingDayCalendar([good])
    assert cal.years == (2027,)
    assert not cal.is_working_day(date(2027, 1, 1))
    assert cal.is_working_day(date(2027, 1, 4))
    with pytest.raises(ValidationError, match="two arrangements for 2027"):
        WorkingDayCalendar([good, good])
