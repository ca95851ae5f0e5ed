"""Imports that never store garbage (issue #13 item 9): encodings, damaged workbooks, every
error of a file in one run, phone numbers checked with libphonenumber, full-width ID numbers."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from community_governance.domain.access import Actor
from community_governance.domain.idnumber import compose_id_number, parse_id_number
from community_governance.domain.people import validate_phone
from community_governance.errors import FileImportError, IdNumberError, ValidationError
from community_governance.io.importers import detect_encoding, import_file
from community_governance.storage.tables import core as t
from community_governance.testing.city import SmallCity

SYSTEM = Actor.system("import")
C1 = "411281001001"
HH = f"{C1}-B0001-101"
TODAY = dt.date(2026, 12, 2)

#: Names as people in Taiwan or Hong Kong write them (traditional characters, Big5 encodable).
TRADITIONAL = [a + b + c for a, b, c in zip("陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周" * 25,
                                            "志淑美俊家雅怡宗明建文國偉慧玉嘉冠佳承彥" * 25,
                                            "強華玲傑豪婷君宏德輝" * 50, strict=True)]


def _number(n: int) -> str:
    return compose_id_number("411281", dt.date(1960 + n % 40, 1 + n % 12, 1 + n % 28), n % 1000)


def _residents(gov: Any) -> int:
    with gov.store.unit_of_work(write=False) as uow:
        return int(uow.conn.execute(sa.select(sa.func.count()).select_from(t.residents))
                   .scalar_one())


def _write(tmp_path: Path, name: str, text: str, encoding: str) -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def _residents_text(names: list[str], header: str = "姓名,身份证号码,户编号") -> str:
    return header + "\n" + "".join(f"{name},{_number(i + 1)},{HH}\n"
                                   for i, name in enumerate(names))


# ----------------------------------------------------------------------------- encodings


def test_a_big5_file_of_500_rows_is_refused_naming_big5(small_city: SmallCity, gov: Any,
                                                         tmp_path: Path) -> None:
    """The issue's case: 500 traditional names in Big5 decode 'successfully' as GB18030 into
    garbage; the import refuses the file, names Big5 and says how to save it; nothing is
    written."""
    text = _residents_text(TRADITIONAL, "姓名,身份證號碼,戶編號")
    p = _write(tmp_path, "台北.csv", text, "big5")
    p.read_bytes().decode("gb18030")  # the trap: no decoding error at all
    before = _residents(gov)
    with pytest.raises(ValidationError) as info:
        import_file(gov, "residents", p, actor=SYSTEM)
    msg = str(info.value)
    assert "Big5" in msg and "neither UTF-8 nor GB18030/GBK" in msg
    assert "CSV UTF-8" in msg and "iconv -f BIG5 -t UTF-8" in msg
    assert _residents(gov) == before


def test_a_short_big5_file_is_refused_too(gov: Any, tmp_path: Path) -> None:
    """Two rows are enough to tell Big5 from GBK."""
    p = _write(tmp_path, "b.csv", _residents_text(TRADITIONAL[:2], "name,id_number,household_id"),
               "big5")
    with pytest.raises(ValidationError, match="Big5"):
        import_file(gov, "residents", p, actor=SYSTEM)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "gb2312", "utf-8", "utf-8-sig"])
def test_utf8_with_or_without_bom_and_the_gb_family_are_read(
        small_city: SmallCity, gov: Any, tmp_path: Path, encoding: str) -> None:
    """UTF-8 (with or without BOM) and GB2312/GBK/GB18030 files import with the right names."""
    names = ["张三", "李四", "欧阳明"]
    p = _write(tmp_path, "r.csv", _residents_text(names), encoding)
    assert import_file(gov, "residents", p, actor=SYSTEM).count == 3
    stored = {r.name for r in gov.registry.list_residents(SYSTEM)}
    assert set(names) <= stored


def test_a_short_gbk_file_that_also_looks_korean_is_read_as_gbk(gov: Any, tmp_path: Path,
                                                                 small_city: SmallCity) -> None:
    """A two-line GBK file decodes as cleanly in CP949 (Korean): the tie is read as GBK."""
    p = _write(tmp_path, "h.csv", f"楼院编码,门牌,登记日期\n{C1}-B0001,502,2019-04-01\n", "gbk")
    assert detect_encoding(p.read_bytes()) == "gb18030"
    assert import_file(gov, "households", p, actor=SYSTEM).count == 1


@pytest.mark.parametrize("encoding, named", [("utf-16", "UTF-16"), ("shift_jis", "Shift-JIS")])
def test_other_encodings_are_refused_naming_them(tmp_path: Path, encoding: str,
                                                 named: str) -> None:
    """UTF-16 and Shift-JIS are refused with the encoding they look like."""
    text = "name,id_number\n" + "".join(f"山田{c}子,{_number(i)}\n" for i, c in enumerate(
        "花雪月星空海"))
    with pytest.raises(ValidationError) as info:
        detect_encoding(text.encode(encoding), "x.csv")
    assert named in str(info.value) and "x.csv" in str(info.value)


# ----------------------------------------------------------------------------- workbooks


def test_a_corrupt_xlsx_is_a_clear_error_not_a_traceback(gov: Any, tmp_path: Path) -> None:
    """A damaged workbook (cut short, or a CSV renamed .xlsx) gives a ValidationError naming
    the file, what is wrong and what to do."""
    good = tmp_path / "good.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["name", "id_number", "household_id"])
    book.save(good)
    cut = tmp_path / "居民.xlsx"
    cut.write_bytes(good.read_bytes()[:200])
    renamed = tmp_path / "renamed.xlsx"
    renamed.write_text("name,id_number\n张三,1\n", encoding="utf-8")
    for p in (cut, renamed):
        with pytest.raises(ValidationError) as info:
            import_file(gov, "residents", p, actor=SYSTEM)
        msg = str(info.value)
        assert p.name in msg and "not a readable Excel workbook" in msg
        assert "BadZipFile" in msg and "save it again" in msg
    assert isinstance(zipfile.BadZipFile(), Exception)


def test_the_cli_reports_a_corrupt_xlsx_without_a_traceback(tmp_path: Path) -> None:
    """``cgov import`` prints the error (no traceback) and exits non-zero."""
    import community_governance as cg
    from community_governance.cli import _load, cli

    url = f"sqlite:///{tmp_path / 'c.db'}"
    with cg.open(url, entrypoints=False):
        pass
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is not a workbook")
    _load()
    result = CliRunner().invoke(cli, ["import", "residents", str(bad), "--db", url, "--as", "system"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "not a readable Excel workbook" in result.output


# ----------------------------------------------------------------------------- every error


def test_every_error_of_a_file_is_reported_in_one_run(small_city: SmallCity, gov: Any,
                                                      tmp_path: Path) -> None:
    """A row with extra cells no longer hides the other errors: every bad cell of every row
    is listed with its row and column, in one run; nothing is written."""
    lines = [
        "name,id_number,household_id,phone,moved_in",
        f"好一,{_number(1)},{HH},13900000001,2019-01-01",            # 2: good
        f"多一,{_number(2)},{HH},13900000002,2019-01-01,extra,cells",  # 3: extra cells
        f"坏一,{_number(3)[:17]}0,{HH},12345,2019-02-30",             # 4: id, phone, date
        f",{_number(4)},nowhere,0398-5812345,",                       # 5: name, household
        f"坏三,{_number(5)},{HH},5812345,2030-01-01",                 # 6: landline, future
    ]
    p = tmp_path / "r.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = _residents(gov)
    with pytest.raises(FileImportError) as info:
        import_file(gov, "residents", p, actor=SYSTEM)
    where = {(e.row, e.column) for e in info.value.errors}
    if _number(3)[17] == "0":  # the altered check character happened to be right
        where.add((4, "id_number"))
    assert where == {(3, None), (4, "id_number"), (4, "phone"), (4, "moved_in"),
                     (5, "name"), (5, "household_id"), (6, "phone"), (6, "moved_in")}
    reasons = {(e.row, e.column): e.reason for e in info.value.errors}
    assert "7 cells but the header only 5 columns" in reasons[(3, None)]
    assert "area code" in reasons[(6, "phone")]
    assert _residents(gov) == before


def test_units_buildings_and_households_report_every_bad_cell(gov: Any, tmp_path: Path,
                                                              small_city: SmallCity) -> None:
    """Each bad cell of a row is named, not only the first."""
    p = tmp_path / "b.csv"
    p.write_text("code,name,community_code,x,y,households_planned\n"
                 f"{C1}-B0009,,{C1},east,north,many\n", encoding="utf-8")
    with pytest.raises(FileImportError) as info:
        import_file(gov, "buildings", p, actor=SYSTEM)
    assert {(e.row, e.column) for e in info.value.errors} == {
        (2, "name"), (2, "x"), (2, "y"), (2, "households_planned")}
    h = tmp_path / "h.csv"
    h.write_text("building_code,door,registered_on\nnot-a-code,,2019-13-01\n", encoding="utf-8")
    with pytest.raises(FileImportError) as info:
        import_file(gov, "households", h, actor=SYSTEM)
    assert {e.column for e in info.value.errors} >= {"door", "registered_on"}
    assert len(info.value.errors) >= 3


# ----------------------------------------------------------------------------- phones


@pytest.mark.parametrize("typed, stored", [
    ("13800000007", "13800000007"),
    ("138 0000 0007", "13800000007"),
    ("138-0000-0007", "13800000007"),
    ("+86 138 0000 0007", "13800000007"),
    ("0086 13800000007", "13800000007"),
    ("１３８００００００07", "13800000007"),
    ("0398-5812345", "03985812345"),   # 义马, 4-digit area code, 7-digit number
    ("(0398) 5812345", "03985812345"),
    ("010-12345678", "01012345678"),   # 北京, 3-digit area code, 8-digit number
    ("0371-65432100", "037165432100"),  # 郑州
    (" ", None),
    (None, None),
])
def test_valid_mainland_phones_are_normalised(typed: str | None, stored: str | None) -> None:
    """Mobiles and landlines with area codes are accepted and stored as digits."""
    assert validate_phone(typed) == stored


@pytest.mark.parametrize("typed, why", [
    ("5812345", "no area code"),
    ("12345", "not a valid mainland number"),
    ("1380000000", "not a valid mainland number"),        # 10 digits
    ("138000000071", "not a valid mainland number"),      # 12 digits
    ("12000000000", "not a valid mainland number"),       # 12x is no mobile range
    ("139123456789012", "not a valid mainland number"),
    ("+1 212 555 0100", "not a mainland number"),
    ("138-0000-OO07", "characters other than digits"),
])
def test_invalid_phones_are_refused_with_the_reason(typed: str, why: str) -> None:
    """Numbers of any 7-12 digits are no longer accepted: libphonenumber decides, and the
    message says which rule failed, with the number masked."""
    with pytest.raises(ValidationError) as info:
        validate_phone(typed, "phone")
    assert why in str(info.value) and info.value.path == "phone"
    digits = "".join(c for c in typed if c.isdigit())
    if len(digits) >= 11:
        assert digits not in str(info.value)


# ----------------------------------------------------------------------------- ID numbers


def test_full_width_id_numbers_are_normalised() -> None:
    """Full-width digits and Ｘ are read as the number they are."""
    n = next(x for x in (compose_id_number("411221", dt.date(1980, 5, 6), s) for s in range(99))
             if x.endswith("X"))
    wide = "".join(chr(ord(c) + 0xFEE0) for c in n.lower())
    assert parse_id_number(wide, today=TODAY).number == n


def test_a_stray_character_is_named_as_the_true_reason() -> None:
    """A letter O typed for a zero is named (position and character), not 'wrong length'."""
    n = _number(1)
    typo = n[:7] + "O" + n[8:]
    with pytest.raises(IdNumberError) as info:
        parse_id_number(typo, today=TODAY)
    assert "character 8 is 'O', not a digit" in str(info.value)
    assert n not in str(info.value)


def test_full_width_id_numbers_import(small_city: SmallCity, gov: Any, tmp_path: Path) -> None:
    """An import with full-width ID numbers stores the half-width numbers."""
    n = _number(7)
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in n)
    p = tmp_path / "r.csv"
    p.write_text(f"姓名,身份证号码,户编号,联系电话\n宽字,{wide},{HH},１３９００００１２３４\n",
                 encoding="utf-8")
    assert import_file(gov, "residents", p, actor=SYSTEM).count == 1
    found = gov.registry.find_by_id_number(SYSTEM, n)
    assert found is not None and found.name == "宽字"
