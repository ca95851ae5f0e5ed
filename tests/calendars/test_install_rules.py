"""Installing a year file: directories, statutory days and the exact refusals (issue #13 item
11)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from community_governance.calendars.arrangements import HolidayArrangement, Notice, YearArrangement
from community_governance.calendars.install import (
    calendar_dirs,
    check_statutory_days,
    data_dir,
    install_year_file,
    validate_year_file,
)
from community_governance.calendars.provisional import provisional_arrangement
from community_governance.errors import ValidationError
from tests.calendars.test_provisional import YEAR_2027
from tests.domain._exact import refused


def test_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CGOV_DATA_DIR", "~/cgov-data")
    assert data_dir() == Path("~/cgov-data").expanduser()
    monkeypatch.setenv("CGOV_DATA_DIR", "")
    import platformdirs
    assert data_dir() == Path(platformdirs.user_data_dir("community-governance",
                                                         appauthor=False))
    monkeypatch.delenv("CGOV_DATA_DIR")
    assert data_dir().name == "community-governance"


def test_calendar_dirs(tmp_path: Path) -> None:
    assert calendar_dirs(root=tmp_path) == []
    assert calendar_dirs("411202", root=tmp_path) == []
    (tmp_path / "calendars" / "411202").mkdir(parents=True)
    assert calendar_dirs(root=tmp_path) == [tmp_path / "calendars"]
    assert calendar_dirs("411202", root=tmp_path) == [tmp_path / "calendars",
                                                      tmp_path / "calendars" / "411202"]
    assert calendar_dirs("411281", root=tmp_path) == [tmp_path / "calendars"]
    for bad in ("4112", "4112020", "41120a", ""):
        refused(ValidationError, f"county code {bad!r} is not a 6-digit county code such as "
                "411281 @ county_code", calendar_dirs, bad, tmp_path)


def test_check_statutory_days() -> None:
    check_statutory_days(provisional_arrangement(2027))
    # before the rule: not checked
    check_statutory_days(YearArrangement(2024, Notice("n"), [HolidayArrangement(
        "元旦", "New Year", (date(2024, 1, 1),))], "2024.toml"))
    a = provisional_arrangement(2027)
    missing = YearArrangement(2027, a.notice, [h for h in a.holidays if h.name != "端午节"],
                              "x/2027.toml")
    refused(ValidationError, "x/2027.toml: 2027-06-09 is a statutory holiday (端午节) but the "
            "file makes it a working day; every notice gives it off: list it in that holiday's "
            "off_days @ $.holidays", check_statutory_days, missing)
    # a statutory day on a weekend need not be listed; one swapped to a working day is refused
    may_sat = [h for h in a.holidays if h.name != "劳动节"]
    check_statutory_days(YearArrangement(2027, a.notice, [*may_sat, HolidayArrangement(
        "劳动节", "Labour Day", (date(2027, 5, 3),))], "y"))  # 1-2 May 2027: Sat, Sun
    swapped = YearArrangement(2027, a.notice, [*may_sat, HolidayArrangement(
        "劳动节", "Labour Day", (date(2027, 5, 3),), (date(2027, 5, 1),))], "z")
    refused(ValidationError, "z: 2027-05-01 is a statutory holiday (劳动节) but the file makes it "
            "a working day; every notice gives it off: list it in that holiday's off_days @ "
            "$.holidays", check_statutory_days, swapped)
    # from 2025 on, 2025 included
    a25 = provisional_arrangement(2025)
    with pytest.raises(ValidationError, match="2025-01-01 is a statutory holiday"):
        check_statutory_days(YearArrangement(2025, a25.notice, a25.holidays[1:], "w"))


def test_validate_against_neighbours_in_extra_dirs(tmp_path: Path) -> None:
    src = tmp_path / "in" / "2027.toml"
    src.parent.mkdir()
    src.write_text(YEAR_2027, encoding="utf-8")
    assert validate_year_file(src).year == 2027
    # an installed 2028 file that disagrees about a boundary day is read as a neighbour
    other = tmp_path / "dir"
    other.mkdir()
    (other / "2028.toml").write_text(
        YEAR_2027.replace("2027", "2028").replace("swapped_workdays = [2028-02-20]",
                                                  "swapped_workdays = [2027-12-26]"),
        encoding="utf-8")
    bad = tmp_path / "bad" / "2027.toml"
    bad.parent.mkdir()
    bad.write_text(YEAR_2027.replace("off_days = [2027-06-09]",
                                     "off_days = [2027-06-09, 2027-12-26]"), encoding="utf-8")
    assert validate_year_file(bad).year == 2027
    with pytest.raises(ValidationError, match="2027-12-26 is a working day in one arrangement "
                       "and a day off in the other"):
        validate_year_file(bad, [other])
    # the file's own year already installed elsewhere is replaced, not compared
    (other / "2027.toml").write_text(YEAR_2027, encoding="utf-8")
    with pytest.raises(ValidationError, match="2027-12-26"):
        validate_year_file(bad, [other])


def test_install_overwrites_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    src = tmp_path / "2027.toml"
    src.write_text(YEAR_2027, encoding="utf-8")
    arr, target = install_year_file(src, root=tmp_path / "data")
    assert target == tmp_path / "data" / "calendars" / "2027.toml"
    assert target.read_text(encoding="utf-8") == YEAR_2027
    changed = YEAR_2027.replace("off_days = [2027-06-09]", "off_days = [2027-06-09]\nnote = \"x\"")
    src.write_text(changed, encoding="utf-8")
    arr2, target2 = install_year_file(src, root=tmp_path / "data")
    assert target2 == target and target.read_text(encoding="utf-8") == changed
    assert sorted(p.name for p in target.parent.iterdir()) == ["2027.toml"]
    assert arr.year == arr2.year == 2027
    _, county = install_year_file(src, county_code="411202", root=tmp_path / "data")
    assert county == tmp_path / "data" / "calendars" / "411202" / "2027.toml"
    assert sorted(p.name for p in county.parent.iterdir()) == ["2027.toml"]


def test_data_dir_has_no_author_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    # on Windows an author folder would be added unless appauthor is False
    import platformdirs
    seen: list[tuple[tuple[object, ...], dict[str, object]]] = []

    def spy(*args: object, **kwargs: object) -> str:
        seen.append((args, kwargs))
        return "/somewhere/community-governance"

    monkeypatch.delenv("CGOV_DATA_DIR", raising=False)
    monkeypatch.setattr(platformdirs, "user_data_dir", spy)
    assert data_dir() == Path("/somewhere/community-governance")
    assert seen == [(("community-governance",), {"appauthor": False})]


def _boundary_files(tmp_path: Path) -> tuple[Path, str]:
    """A 2027 file making 2027-12-26 a day off, and a 2028 text that makes it a working day."""
    bad = tmp_path / "in" / "2027.toml"
    bad.parent.mkdir(parents=True)
    bad.write_text(YEAR_2027.replace("off_days = [2027-06-09]",
                                     "off_days = [2027-06-09, 2027-12-26]"), encoding="utf-8")
    neighbour = YEAR_2027.replace("2027", "2028").replace("swapped_workdays = [2028-02-20]",
                                                          "swapped_workdays = [2027-12-26]")
    return bad, neighbour


def test_install_checks_against_the_installed_national_years(tmp_path: Path) -> None:
    bad, neighbour = _boundary_files(tmp_path)
    root = tmp_path / "data"
    (root / "calendars").mkdir(parents=True)
    (root / "calendars" / "2028.toml").write_text(neighbour, encoding="utf-8")
    with pytest.raises(ValidationError, match="2027-12-26 is a working day in one arrangement"):
        install_year_file(bad, root=root)
    assert sorted(p.name for p in (root / "calendars").iterdir()) == ["2028.toml"]


def test_install_for_a_county_checks_its_own_years_too(tmp_path: Path) -> None:
    bad, neighbour = _boundary_files(tmp_path)
    root = tmp_path / "data"
    county_dir = root / "calendars" / "411202"
    county_dir.mkdir(parents=True)
    (county_dir / "2028.toml").write_text(neighbour, encoding="utf-8")
    # nationally the file is fine (the county's correction does not apply to every county)
    install_year_file(bad, root=root)
    assert (root / "calendars" / "2027.toml").exists()
    with pytest.raises(ValidationError, match="2027-12-26 is a working day in one arrangement"):
        install_year_file(bad, county_code="411202", root=root)
    assert sorted(p.name for p in county_dir.iterdir()) == ["2028.toml"]


def test_install_checks_the_default_data_dir(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    bad, neighbour = _boundary_files(tmp_path)
    root = tmp_path / "env-data"
    (root / "calendars").mkdir(parents=True)
    (root / "calendars" / "2028.toml").write_text(neighbour, encoding="utf-8")
    monkeypatch.setenv("CGOV_DATA_DIR", str(root))
    with pytest.raises(ValidationError, match="2027-12-26"):
        install_year_file(bad)
    assert not (root / "calendars" / "2027.toml").exists()


def test_install_writes_a_temporary_file_beside_the_target(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    # the rename is atomic only within one directory: the temporary file lies beside the
    # target, named *.tmp so an interrupted install never leaves a file read as a year
    import tempfile

    made: list[str] = []
    real_mkstemp = tempfile.mkstemp

    def spy(*args: object, **kwargs: object) -> tuple[int, str]:
        fd, name = real_mkstemp(*args, **kwargs)  # type: ignore[call-overload]
        made.append(name)
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", spy)
    src = tmp_path / "2027.toml"
    src.write_text(YEAR_2027, encoding="utf-8")
    _, target = install_year_file(src, root=tmp_path / "data")
    assert len(made) == 1
    assert Path(made[0]).parent == target.parent
    assert made[0].endswith(".tmp")
    assert not Path(made[0]).exists()


def test_a_failed_install_removes_its_temporary_file(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    import os

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    src = tmp_path / "2027.toml"
    src.write_text(YEAR_2027, encoding="utf-8")
    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        install_year_file(src, root=tmp_path / "data")
    assert list((tmp_path / "data" / "calendars").iterdir()) == []
