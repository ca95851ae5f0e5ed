"""Import of units, buildings, households and residents from CSV and xlsx: all or nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.idnumber import compose_id_number
from community_governance.errors import FileImportError, PermissionDenied, ValidationError
from community_governance.io.importers import IMPORTERS, import_file
from community_governance.storage.tables import core as t
from community_governance.testing.city import SmallCity

SYSTEM = Actor.system("import")
C1 = "411281001001"
HH = f"{C1}-B0001-101"


def _csv(tmp_path: Path, name: str, lines: list[str], encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n", encoding=encoding)
    return p


def _number(n: int) -> str:
    return compose_id_number("411281", dt.date(1970 + n, 3, 4), 100 + n)


def _residents(gov: Any) -> int:
    with gov.store.unit_of_work(write=False) as uow:
        return int(uow.conn.execute(sa.select(sa.func.count()).select_from(t.residents))
                   .scalar_one())


def test_imports_a_whole_hierarchy_from_csv(gov: Any, tmp_path: Path) -> None:
    """Imports units, buildings, households and residents in turn."""
    units = _csv(tmp_path, "units.csv", [
        "code,kind,name,parent_code", "411281,county,义马市,",
        "411281001,subdistrict,千秋路办事处,411281", f"{C1},community,连银社区,411281001",
        f"{C1}-Q01,compound,连银小区,{C1}"])
    assert import_file(gov, "units", units, actor=SYSTEM).count == 4
    blds = _csv(tmp_path, "b.csv", ["code,name,community_code,compound_code,x,y",
                                    f"{C1}-B0001,1号楼,{C1},{C1}-Q01,665100.5,3845000"])
    assert import_file(gov, "buildings", blds, actor=SYSTEM).count == 1
    hhs = _csv(tmp_path, "h.csv", ["building_code,door,registered_on", f"{C1}-B0001,101,2019-03-01"])
    assert import_file(gov, "households", hhs, actor=SYSTEM).count == 1
    res = _csv(tmp_path, "r.csv", [
        "name,id_number,household_id,relation,phone,party_member,vulnerabilities",
        f"张三,{_number(1)},{HH},户主,13900000001,是,", f"李四,{_number(2)},{HH},spouse,,否,低保户"])
    assert import_file(gov, "residents", res, actor=SYSTEM).count == 2
    assert gov.registry.list_buildings()[0].x == 665100.5
    assert _residents(gov) == 2


def test_bad_rows_among_good_ones_write_nothing(small_city: SmallCity, gov: Any,
                                                tmp_path: Path) -> None:
    """Names every bad row (number, column, reason) and imports none of the good ones."""
    wrong_check = _number(3)[:17] + ("0" if _number(3)[17] != "0" else "1")
    p = _csv(tmp_path, "r.csv", [
        "name,id_number,household_id,relation,moved_in",
        f"好一,{_number(1)},{HH},head,2019-01-01",                # row 2: good
        f"坏一,{wrong_check},{HH},child,2019-01-01",              # row 3: check character
        f"好二,{_number(2)},{HH},child,",                         # row 4: good
        f"坏二,{_number(4)},nowhere,child,",                      # row 5: unknown household
        f"坏三,{_number(5)},{HH},cousin,2019-02-30",              # row 6: relation and date
        f"坏四,{_number(1)},{HH},child,",                         # row 7: duplicate of row 2
        f"坏五,4.11281E+17,{HH},child,",                          # row 8: scientific notation
        f"坏六,411281198001011000,{HH},child,",                   # row 9: lost digits
        f"坏七,{small_city.id_numbers[small_city.all_residents()[0]]},{HH},child,",  # row 10
    ])
    before = _residents(gov)
    with pytest.raises(FileImportError) as info:
        import_file(gov, "residents", p, actor=SYSTEM)
    errors = info.value.errors
    where = {(e.row, e.column) for e in errors}
    assert where == {(3, "id_number"), (5, "household_id"), (6, "relation"), (6, "moved_in"),
                     (7, "id_number"), (8, "id_number"), (9, "id_number"), (10, "id_number")}
    reasons = {e.row: e.reason for e in errors}
    assert "check character" in reasons[3] and "row 2" in reasons[7]
    assert "format the column as text" in reasons[8] and "15 significant" in reasons[9]
    assert "registered already" in reasons[10]
    assert _residents(gov) == before
    assert "r.csv" in str(info.value) and "row 3" in str(info.value)


def test_xlsx_numeric_id_cell_is_rejected(small_city: SmallCity, gov: Any,
                                          tmp_path: Path) -> None:
    """Refuses an ID number stored as a number in a workbook, advising a text column."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号码", "户号", "与户主关系"])
    sheet.append(["王五", _number(6), HH, "子女"])
    sheet.append(["赵六", int(_number(7)[:17] + "0"), HH, "子女"])
    path = tmp_path / "居民.xlsx"
    book.save(path)
    with pytest.raises(FileImportError) as info:
        import_file(gov, "residents", path, actor=SYSTEM)
    (error,) = info.value.errors
    assert (error.row, error.column) == (3, "id_number")
    assert "format the column as text" in error.reason


def test_xlsx_with_text_cells_and_dates_is_imported(small_city: SmallCity, gov: Any,
                                                    tmp_path: Path) -> None:
    """Imports a workbook with Chinese headers, text ID numbers and a date cell."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号码", "户号", "与户主关系", "入住日期", "党员"])
    sheet.append(["王五", _number(6), HH, "子女", dt.datetime(2019, 5, 1), "是"])
    path = tmp_path / "r.xlsx"
    book.save(path)
    result = import_file(gov, "residents", path, actor=SYSTEM)
    assert result.count == 1
    with gov.store.unit_of_work(write=False) as uow:
        row = uow.conn.execute(sa.select(t.residents).where(t.residents.c.name == "王五")).one()
    assert row.party_member is True and row.relation == "child"


def test_header_problems_are_reported(gov: Any, tmp_path: Path) -> None:
    """Refuses unknown columns and missing required columns on row 1."""
    p = _csv(tmp_path, "u.csv", ["code,kind,colour", "411281,county,red"])
    with pytest.raises(FileImportError) as info:
        import_file(gov, "units", p, actor=SYSTEM)
    found = {(e.row, e.column) for e in info.value.errors}
    assert (1, "colour") in found and (1, None) in found
    assert any("name" in e.reason for e in info.value.errors if e.column is None)


def test_unit_parents_may_come_earlier_in_the_file(gov: Any, tmp_path: Path) -> None:
    """Accepts a parent from an earlier row; refuses a later one, a wrong kind and a bad code."""
    p = _csv(tmp_path, "u.csv", [
        "code,kind,name,parent_code",
        "411281001001,community,连银社区,411281001",   # row 2: parent only on row 3
        "411281,county,义马市,",
        "411281001,subdistrict,千秋路办事处,411281",
        "411281002001,community,常苑社区,411281",      # row 5: parent is a county
        "41128100300,community,坏码,411281003",        # row 6: 11 digits
        "411281,county,义马市,",                        # row 7: duplicate of row 3
    ])
    with pytest.raises(FileImportError) as info:
        import_file(gov, "units", p, actor=SYSTEM)
    assert [(e.row, e.column) for e in info.value.errors] == [
        (2, "parent_code"), (5, "parent_code"), (6, "code"), (7, "code")]
    assert gov.registry.list_units() == []


def test_gbk_csv_and_bad_dates(small_city: SmallCity, gov: Any, tmp_path: Path) -> None:
    """Reads a GBK-encoded CSV from Chinese Excel and refuses a bad date."""
    p = _csv(tmp_path, "h.csv", ["楼院编码,门牌,登记日期", f"{C1}-B0001,501,2019/13/01",
                                 f"{C1}-B0001,502,2019-04-01"], encoding="gbk")
    with pytest.raises(FileImportError) as info:
        import_file(gov, "households", p, actor=SYSTEM)
    assert [(e.row, e.column) for e in info.value.errors] == [(2, "registered_on")]
    p2 = _csv(tmp_path, "h2.csv", ["楼院编码,门牌,登记日期", f"{C1}-B0001,502,2019-04-01"],
              encoding="gbk")
    assert import_file(gov, "households", p2, actor=SYSTEM).count == 1


def test_unknown_kind_and_permission(small_city: SmallCity, gov: Any, tmp_path: Path) -> None:
    """Refuses an unknown kind, and an import into another community's households."""
    p = _csv(tmp_path, "h.csv", ["building_code,door", f"{C1}-B0001,601"])
    with pytest.raises(ValidationError, match="the kinds are"):
        import_file(gov, "elephants", p, actor=SYSTEM)
    with pytest.raises(PermissionDenied):
        import_file(gov, "households", p, actor=small_city.secretary["411281002001"])
    assert set(IMPORTERS) >= {"units", "buildings", "households", "residents"}


def test_unknown_county_code_is_imported_with_a_warning(small_city: SmallCity, gov: Any,
                                                        tmp_path: Path) -> None:
    """Imports a number with an unknown county-level code and reports a warning for its row."""
    number = compose_id_number("419999", dt.date(1955, 6, 1), 17)
    p = _csv(tmp_path, "r.csv", ["name,id_number,household_id", f"老人,{number},{HH}"])
    result = import_file(gov, "residents", p, actor=SYSTEM)
    assert result.count == 1
    assert [(w.row, w.column) for w in result.warnings] == [(2, "id_number")]
    assert "419999" in result.warnings[0].reason


def test_fifteen_digit_number_gets_conversion_advice(small_city: SmallCity, gov: Any,
                                                     tmp_path: Path) -> None:
    """Refuses a 15-digit legacy number on its row, passing on the validator's advice."""
    p = _csv(tmp_path, "r.csv", ["name,id_number,household_id", f"旧证,411281550101123,{HH}"])
    with pytest.raises(FileImportError) as info:
        import_file(gov, "residents", p, actor=SYSTEM)
    (error,) = info.value.errors
    assert (error.row, error.column) == (2, "id_number") and "15-digit" in error.reason
    assert "411281550101123" not in str(info.value)
