"""Year arrangements and year files: every refusal's exact message and path, every boundary
(issue #13 item 11)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from community_governance.calendars.arrangements import (
    BOUNDARY_DAYS,
    HolidayArrangement,
    Notice,
    YearArrangement,
    _date_list,
    _year_files,
    available_years,
    load_arrangements,
    load_year_file,
    package_data_dir,
    parse_year_document,
)
from community_governance.errors import ValidationError
from tests.domain._exact import refused

NEW_YEAR = HolidayArrangement("元旦", "New Year's Day", (date(2027, 1, 1),))
TITLE = "国务院办公厅关于2027年部分节假日安排的通知"


def _arr(*holidays: HolidayArrangement, year: Any = 2027, title: str = TITLE) -> YearArrangement:
    return YearArrangement(year, Notice(title), list(holidays), "o")


def _spring(off: tuple[Any, ...] = (date(2027, 2, 8),),
            swapped: tuple[Any, ...] = ()) -> HolidayArrangement:
    return HolidayArrangement("春节", "Spring Festival", off, swapped)


# --- construction: YearArrangement's own rules -------------------------------------------------

def test_boundary_days_is_a_week() -> None:
    assert BOUNDARY_DAYS == 7


@pytest.mark.parametrize("year", ["2027", True, False, 0, -1, 10000, 2027.0])
def test_year_must_be_a_year(year: Any) -> None:
    refused(ValidationError, f"o: year {year!r} is not a year; write it as e.g. 2027 @ $.year",
            _arr, NEW_YEAR, year=year)


@pytest.mark.parametrize(("year", "low", "high"), [
    (1, date(1, 1, 1), date(2, 1, 7)),
    (2, date(1, 12, 25), date(3, 1, 7)),
    (9998, date(9997, 12, 25), date(9999, 1, 7)),
    (9999, date(9998, 12, 25), date(9999, 12, 31)),
    (2027, date(2026, 12, 25), date(2028, 1, 7)),
])
def test_the_first_and_last_years_and_their_boundary_days(year: int, low: date,
                                                          high: date) -> None:
    """Days reach BOUNDARY_DAYS into the neighbouring years; years 1 and 9999 have none."""
    arr = _arr(HolidayArrangement("a", "b", (low, high)), year=year)
    assert arr.off_days == {low, high}
    for outside, first in ((low.toordinal() - 1, True), (high.toordinal() + 1, False)):
        if not 1 <= outside <= date.max.toordinal():
            continue
        day = date.fromordinal(outside)
        at = "$.holidays[0].off_days[0]" if first else "$.holidays[0].off_days[1]"
        days = (day, high) if first else (low, day)
        refused(ValidationError, f"o: {day.isoformat()} is outside {year}: an arrangement lists "
                "days of its own year and at most 7 days either side of it (a New Year holiday "
                "reaching into December); correct the date or move it to the file of "
                f"{day.year} @ {at}", _arr, HolidayArrangement("a", "b", days), year=year)


@pytest.mark.parametrize("title", ["", " ", "\u3000\n"])
def test_notice_title_must_not_be_empty(title: str) -> None:
    refused(ValidationError, "o: the notice title is empty; copy the notice's title @ "
            "$.source.title", _arr, NEW_YEAR, title=title)
    assert _arr(NEW_YEAR, title="n").notice.title == "n"


def test_holidays_must_be_listed() -> None:
    refused(ValidationError, "o: no holidays are listed; add a [[holidays]] table for each "
            "holiday of the notice @ $.holidays", _arr)
    with pytest.raises(ValidationError) as info:
        YearArrangement(2027, Notice(TITLE), [])
    assert str(info.value).startswith("<memory>: no holidays")


@pytest.mark.parametrize(("name", "name_en"), [("", "x"), (" ", "x"), ("x", ""), ("x", " \t")])
def test_holiday_needs_both_names(name: str, name_en: str) -> None:
    refused(ValidationError, "o: holiday 1 needs both a Chinese name and an English name "
            "(name, name_en) @ $.holidays[1]", _arr, NEW_YEAR,
            HolidayArrangement(name, name_en, (date(2027, 2, 8),)))


def test_holiday_needs_off_days() -> None:
    refused(ValidationError, "o: holiday 春节 lists no off days; list its days off in off_days "
            "@ $.holidays[1].off_days", _arr, NEW_YEAR, _spring(off=()))


@pytest.mark.parametrize(("off", "swapped", "bad", "at"), [
    ((date(2027, 2, 8), "2027-02-09"), (), "'2027-02-09'", "off_days[1]"),
    ((date(2027, 2, 8), datetime(2027, 2, 9)), (), "datetime.datetime(2027, 2, 9, 0, 0)",
     "off_days[1]"),
    ((date(2027, 2, 8),), (date(2027, 2, 20), 20270221), "20270221", "swapped_workdays[1]"),
    ((date(2027, 2, 8),), (datetime(2027, 2, 20, 9),), "datetime.datetime(2027, 2, 20, 9, 0)",
     "swapped_workdays[0]"),
])
def test_days_must_be_dates(off: tuple[Any, ...], swapped: tuple[Any, ...], bad: str,
                            at: str) -> None:
    refused(ValidationError, f"o: {bad} is not a date; write a bare TOML date such as "
            f"2027-10-01 (no quotes, no time) @ $.holidays[1].{at}", _arr, NEW_YEAR,
            _spring(off, swapped))


@pytest.mark.parametrize(("day", "weekday"), [
    (date(2027, 2, 15), "Monday"), (date(2027, 2, 16), "Tuesday"), (date(2027, 2, 17), "Wednesday"),
    (date(2027, 2, 18), "Thursday"), (date(2027, 2, 19), "Friday")])
def test_a_swapped_working_day_is_a_saturday_or_sunday(day: date, weekday: str) -> None:
    refused(ValidationError, f"o: {day.isoformat()} ({weekday}) is listed as a swapped working "
            "day (调休上班日), but only a Saturday or Sunday can be one (Monday to Friday are "
            "working days anyway); correct the date or remove it @ $.holidays[1]."
            "swapped_workdays[1]", _arr, NEW_YEAR, _spring(swapped=(date(2027, 2, 20), day)))
    ok = _arr(NEW_YEAR, _spring(swapped=(date(2027, 2, 20), date(2027, 2, 21))))
    assert ok.swapped_workdays == {date(2027, 2, 20), date(2027, 2, 21)}
    # an off day may be any day of the week
    assert _arr(NEW_YEAR, _spring(off=(day,))).off_days == {date(2027, 1, 1), day}


@pytest.mark.parametrize(("holidays", "day", "first", "second"), [
    ((NEW_YEAR, HolidayArrangement("a", "b", (date(2027, 2, 8), date(2027, 1, 1)))),
     "2027-01-01", "$.holidays[0].off_days[0]", "$.holidays[1].off_days[1]"),
    ((_spring(off=(date(2027, 2, 8), date(2027, 2, 8))),),
     "2027-02-08", "$.holidays[0].off_days[0]", "$.holidays[0].off_days[1]"),
    ((NEW_YEAR, _spring(off=(date(2027, 2, 20),), swapped=(date(2027, 2, 20),))),
     "2027-02-20", "$.holidays[1].off_days[0]", "$.holidays[1].swapped_workdays[0]"),
])
def test_a_day_is_listed_once(holidays: tuple[HolidayArrangement, ...], day: str, first: str,
                              second: str) -> None:
    refused(ValidationError, f"o: {day} is listed twice, at {first} and here; a day is either "
            f"off or a swapped working day, of one holiday: keep one entry @ {second}",
            _arr, *holidays)


def test_properties_and_holiday_of() -> None:
    spring = _spring(off=(date(2027, 2, 8), date(2027, 2, 9)), swapped=(date(2027, 2, 20),))
    arr = _arr(NEW_YEAR, spring)
    assert arr.off_days == {date(2027, 1, 1), date(2027, 2, 8), date(2027, 2, 9)}
    assert arr.swapped_workdays == {date(2027, 2, 20)}
    assert arr.holiday_of(date(2027, 1, 1)) is NEW_YEAR
    assert arr.holiday_of(date(2027, 2, 9)) is spring
    assert arr.holiday_of(date(2027, 2, 20)) is spring
    assert arr.holiday_of(date(2027, 2, 10)) is None
    assert arr.provisional is False and arr.origin == "o"
    assert arr == YearArrangement(2027, Notice(TITLE), [NEW_YEAR, spring], "elsewhere")
    assert isinstance(arr.holidays, tuple) and isinstance(spring.off_days, tuple)
    assert YearArrangement(2027, Notice(TITLE), [NEW_YEAR]).origin == "<memory>"


# --- parse_year_document: the parsed TOML --------------------------------------------------


def _doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "year": 2027,
        "source": {"title": TITLE, "published": date(2026, 11, 10)},
        "holidays": [
            {"name": "元旦", "name_en": "New Year's Day", "off_days": [date(2027, 1, 1)]},
            {"name": "春节", "name_en": "Spring Festival",
             "off_days": [date(2027, 2, 8), date(2027, 2, 9)]},
        ],
    }
    for key, value in changes.items():
        if key.startswith("source_"):
            target, key = doc["source"], key[len("source_"):]
        elif key.startswith("h1_"):
            target, key = doc["holidays"][1], key[len("h1_"):]
        else:
            target = doc
        if value is _DROP:
            del target[key]
        else:
            target[key] = value
    return doc


_DROP = object()


def test_parses_a_complete_document() -> None:
    doc = _doc(source_url="https://www.gov.cn/x", source_notes=" amended ",
               h1_swapped_workdays=[date(2027, 2, 20)], h1_note="note")
    arr = parse_year_document(doc, origin="f")
    assert arr == YearArrangement(
        2027, Notice(TITLE, date(2026, 11, 10), "https://www.gov.cn/x", " amended "),
        [NEW_YEAR, HolidayArrangement("春节", "Spring Festival", (date(2027, 2, 8),
                                      date(2027, 2, 9)), (date(2027, 2, 20),), "note")])
    assert arr.origin == "f" and arr.provisional is False
    assert parse_year_document(_doc()).origin == "<memory>"
    bare = parse_year_document(_doc(source_published=_DROP), origin="f")
    assert bare.notice == Notice(TITLE)
    assert bare.holidays[1].swapped_workdays == () and bare.holidays[1].note is None


def _refuses(message: str, doc: dict[str, Any]) -> None:
    refused(ValidationError, f"o: {message}", parse_year_document, doc, origin="o")


@pytest.mark.parametrize(("doc", "message"), [
    (_doc(zz=1, aa=2), "unknown key 'aa'; the keys allowed here are holidays, source, year @ $.aa"),
    (_doc(source_title2="x"), "unknown key 'title2'; the keys allowed here are notes, published, "
     "title, url @ $.source.title2"),
    (_doc(h1_offdays=[]), "unknown key 'offdays'; the keys allowed here are name, name_en, note, "
     "off_days, swapped_workdays @ $.holidays[1].offdays"),
])
def test_unknown_keys(doc: dict[str, Any], message: str) -> None:
    _refuses(message, doc)


@pytest.mark.parametrize("year", [_DROP, "2027", True, 2027.0, None])
def test_year_must_be_an_integer(year: Any) -> None:
    shown = None if year is _DROP else year
    _refuses(f"year must be an integer such as 2027, got {shown!r} @ $.year", _doc(year=year))


@pytest.mark.parametrize("source", [_DROP, "title", [], None])
def test_source_table_is_required(source: Any) -> None:
    _refuses('the [source] table is missing; add [source] with title = "国务院办公厅关于2028年部分'
             '节假日安排的通知" @ $.source', _doc(year=2028, source=source))


@pytest.mark.parametrize("published", ["2026-11-04", datetime(2026, 11, 4, 9), 20261104])
def test_published_is_a_bare_date(published: Any) -> None:
    _refuses(f"published must be a bare TOML date such as 2027-11-04, got {published!r} @ "
             "$.source.published", _doc(year=2028, source_published=published))


@pytest.mark.parametrize(("doc", "message"), [
    (_doc(source_title=_DROP), 'title is missing; add title = "..." @ $.source.title'),
    (_doc(source_title=None), 'title is missing; add title = "..." @ $.source.title'),
    (_doc(source_title=""), "title must be a non-empty string, got '' @ $.source.title"),
    (_doc(source_title=" "), "title must be a non-empty string, got ' ' @ $.source.title"),
    (_doc(source_url=""), "url must be a non-empty string, got '' @ $.source.url"),
    (_doc(source_url=5), "url must be a non-empty string, got 5 @ $.source.url"),
    (_doc(source_notes=["n"]), "notes must be a non-empty string, got ['n'] @ $.source.notes"),
    (_doc(h1_name=_DROP), 'name is missing; add name = "..." @ $.holidays[1].name'),
    (_doc(h1_name_en=_DROP), 'name_en is missing; add name_en = "..." @ $.holidays[1].name_en'),
    (_doc(h1_name_en="\n"), "name_en must be a non-empty string, got '\\n' @ "
     "$.holidays[1].name_en"),
    (_doc(h1_note=""), "note must be a non-empty string, got '' @ $.holidays[1].note"),
])
def test_texts(doc: dict[str, Any], message: str) -> None:
    _refuses(message, doc)


@pytest.mark.parametrize("holidays", [_DROP, [], {}, "元旦", None])
def test_holidays_must_be_a_non_empty_list(holidays: Any) -> None:
    _refuses("no holidays are listed; add a [[holidays]] table for each holiday of the notice @ "
             "$.holidays", _doc(holidays=holidays))


def test_each_holiday_is_a_table() -> None:
    doc = _doc()
    doc["holidays"][1] = ["春节"]
    _refuses("each holiday must be a [[holidays]] table @ $.holidays[1]", doc)


@pytest.mark.parametrize(("doc", "message"), [
    (_doc(h1_off_days=_DROP), "off_days is missing; list the dates @ $.holidays[1].off_days"),
    (_doc(h1_off_days=None), "off_days is missing; list the dates @ $.holidays[1].off_days"),
    (_doc(h1_off_days="2027-02-08"), "expected a list of dates like [2026-10-01, 2026-10-02], "
     "got '2027-02-08' @ $.holidays[1].off_days"),
    (_doc(h1_off_days=(date(2027, 2, 8),)), "expected a list of dates like [2026-10-01, "
     "2026-10-02], got (datetime.date(2027, 2, 8),) @ $.holidays[1].off_days"),
    (_doc(h1_swapped_workdays=date(2027, 2, 20)), "expected a list of dates like [2026-10-01, "
     "2026-10-02], got datetime.date(2027, 2, 20) @ $.holidays[1].swapped_workdays"),
    (_doc(h1_off_days=[date(2027, 2, 8), " 2027-02-09 "]), "' 2027-02-09 ' is a quoted string; "
     "write the date bare, without quotes: 2027-02-09 @ $.holidays[1].off_days[1]"),
    (_doc(h1_swapped_workdays=["2027-02-20"]), "'2027-02-20' is a quoted string; write the date "
     "bare, without quotes: 2027-02-20 @ $.holidays[1].swapped_workdays[0]"),
    (_doc(h1_off_days=[date(2027, 2, 8), 5]), "5 is not a date; write a bare TOML date such as "
     "2026-10-01 @ $.holidays[1].off_days[1]"),
    (_doc(h1_off_days=[date(2027, 2, 8), datetime(2027, 2, 9)]), "datetime.datetime(2027, 2, 9, "
     "0, 0) is not a date; write a bare TOML date such as 2026-10-01 @ $.holidays[1].off_days[1]"),
    (_doc(h1_off_days=[]), "holiday 春节 lists no off days; list its days off in off_days @ "
     "$.holidays[1].off_days"),
])
def test_date_lists(doc: dict[str, Any], message: str) -> None:
    _refuses(message, doc)


def test_a_missing_list_is_named_by_its_last_key() -> None:
    for key in ("off_days", "$.holidays[0].off_days", "a.b.c.off_days"):
        refused(ValidationError, f"o: off_days is missing; list the dates @ {key}", _date_list,
                "o", None, key, required=True)
    assert _date_list("o", None, "off_days", required=False) == []


def test_swapped_workdays_are_optional() -> None:
    assert parse_year_document(_doc(h1_swapped_workdays=None)).holidays[1].swapped_workdays == ()
    assert parse_year_document(_doc(h1_swapped_workdays=[])).holidays[1].swapped_workdays == ()


# --- files ---------------------------------------------------------------------------------

YEAR_FILE = f"""\
year = 2027
[source]
title = "{TITLE}"
[[holidays]]
name = "元旦"
name_en = "New Year's Day"
off_days = [2027-01-01]
"""


def _file(folder: Path, name: str, text: str | bytes = YEAR_FILE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_loads_a_file_from_a_path_a_string_or_package_data(tmp_path: Path) -> None:
    path = _file(tmp_path, "2027.toml")
    expected = YearArrangement(2027, Notice(TITLE), [NEW_YEAR])
    assert load_year_file(path) == expected and load_year_file(path).origin == str(path)
    assert load_year_file(str(path)) == expected
    shipped = load_year_file(package_data_dir() / "2026.toml")
    assert shipped.year == 2026 and shipped.origin.endswith("2026.toml")


@pytest.mark.parametrize("name", ["2027-draft.toml", "x2027.toml", "027.toml", "20271.toml",
                                  "2027.TOML", "2027.tomlx", "2027xtoml"])
def test_a_year_file_is_named_year_toml(tmp_path: Path, name: str) -> None:
    path = _file(tmp_path, name)
    refused(ValidationError, f"{path}: a calendar data directory holds only year files named "
            "<year>.toml (e.g. 2027.toml); rename or remove this file @ $", load_year_file, path)


def test_a_year_file_is_toml_and_utf8(tmp_path: Path) -> None:
    bad = YEAR_FILE.replace('name = "元旦"', "name = 元旦")
    path = _file(tmp_path, "2027.toml", bad)
    with pytest.raises(tomllib.TOMLDecodeError) as syntax:
        tomllib.loads(bad)
    error = refused(ValidationError, f"{path}: not valid TOML ({syntax.value}); fix the syntax "
                    "@ $", load_year_file, path)
    assert error.__cause__ is not None
    path = _file(tmp_path, "2027.toml", YEAR_FILE.encode("gb18030"))
    error = refused(ValidationError, f"{path}: not UTF-8 text; save it as UTF-8 @ $",
                    load_year_file, path)
    assert isinstance(error.__cause__, UnicodeDecodeError)


def test_the_year_agrees_with_the_file_name(tmp_path: Path) -> None:
    path = _file(tmp_path, "2028.toml")
    refused(ValidationError, f"{path}: the file is named 2028.toml but says year = 2027; make "
            "them agree @ $.year", load_year_file, path)
    path = _file(tmp_path, "2026.toml", YEAR_FILE.replace("year = 2027", "year = 2026")
                 .replace("2027-01-01", "2026-01-01"))
    assert load_year_file(path).year == 2026


def test_year_files_of_a_directory(tmp_path: Path) -> None:
    for name in ("2038.toml", "2037.TOML", "2036.Toml", "notes.md", "2035.toml.bak"):
        _file(tmp_path, name)
    (tmp_path / "2034.toml").mkdir()
    assert [e.name for e in _year_files(tmp_path)] == ["2036.Toml", "2037.TOML", "2038.toml"]
    assert [e.name for e in _year_files(str(tmp_path))] == ["2036.Toml", "2037.TOML",
                                                           "2038.toml"]
    assert list(_year_files(tmp_path / "2034.toml")) == []
    # only <year>.toml names are years; load_arrangements refuses the others
    assert available_years([tmp_path])[-1] == 2038
    assert 2037 not in available_years([tmp_path]) and 2034 not in available_years([tmp_path])
    with pytest.raises(ValidationError, match=r"2036\.Toml: a calendar data directory"):
        load_arrangements([tmp_path])


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_a_data_directory_must_exist(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "nowhere"
    if kind == "file":
        folder = _file(tmp_path, "2027.toml")
    refused(ValidationError, f"{folder}: calendar data directory does not exist or is not a "
            "directory; pass an existing directory of <year>.toml files @ extra_dirs",
            lambda: list(_year_files(folder)))
    refused(ValidationError, f"{folder}: calendar data directory does not exist or is not a "
            "directory; pass an existing directory of <year>.toml files @ extra_dirs",
            available_years, [folder])


def test_load_arrangements_reads_package_data_then_extra_dirs(tmp_path: Path) -> None:
    shipped = load_arrangements()
    assert list(shipped) == sorted(shipped) and shipped[2004].year == 2004
    _file(tmp_path / "a", "2027.toml")
    _file(tmp_path / "b", "2027.toml", YEAR_FILE.replace("2027-01-01]", "2027-01-01, 2027-01-02]"))
    both = load_arrangements([tmp_path / "a", tmp_path / "b"])
    assert list(both)[-1] == 2027 and list(both) == sorted(both)
    assert both[2027].origin == str(tmp_path / "b" / "2027.toml")
    assert load_arrangements(tmp_path / "a")[2027].off_days == {date(2027, 1, 1)}
    assert load_arrangements(package_data_dir()) == shipped


def test_year_files_in_a_zipped_package(tmp_path: Path) -> None:
    """A plugin imported from a zip has zipfile.Path data: not orderable, sorted by name."""
    archive = tmp_path / "plugin.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("data/2038.toml", YEAR_FILE.replace("2027", "2038"))
        z.writestr("data/2037.toml", YEAR_FILE.replace("2027", "2037"))
        z.writestr("data/notes.md", "x")
    root = zipfile.Path(archive, "data/")
    assert [e.name for e in _year_files(root)] == ["2037.toml", "2038.toml"]
    loaded = load_arrangements([root])
    assert list(loaded)[-2:] == [2037, 2038]
    assert loaded[2038].origin == f"{archive}/data/2038.toml"
    assert available_years(root)[-2:] == (2037, 2038)


def test_year_files_are_read_as_utf8_in_any_locale(tmp_path: Path) -> None:
    """On a machine whose locale is not UTF-8 (a GBK Windows, a C locale) the file still reads."""
    path = _file(tmp_path, "2027.toml")
    assert load_year_file(path).holidays[0].name == "元旦"  # here, and in a C locale:
    code = ("import sys; from community_governance.calendars.arrangements import load_year_file; "
            "print(load_year_file(sys.argv[1]).holidays[0].name.encode('unicode_escape')"
            ".decode())")
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0",
           "PYTHONCOERCECLOCALE": "0", "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", code, str(path)], env=env, capture_output=True,
                         text=True, check=False)
    assert (out.returncode, out.stdout.strip()) == (0, "\\u5143\\u65e6"), out.stderr  # 元旦
