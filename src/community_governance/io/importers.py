"""Import of units, buildings, households and residents from CSV and xlsx files (导入).

An import is all or nothing. Every row is validated first (shape, codes, dates, ID numbers,
duplicates inside the file, parents and clashes with what is stored); if any row is bad a
:class:`~community_governance.errors.FileImportError` lists every bad row with its row number as
the spreadsheet shows it (the header is row 1), its column and the reason, and nothing is
written. Otherwise the rows are written through the registry service in one transaction.

Headers may be the English field names or the usual Chinese column titles (``姓名``,
``身份证号码``...); see ``docs/registry.md`` for the formats. CSV files may be UTF-8 (with or
without the BOM Excel writes) or GB18030/GBK, as Chinese Excel saves them.

ID numbers must arrive as text: a spreadsheet that stored one as a number has already lost its
last digits (Excel keeps 15 significant digits), so such a cell is refused with the advice to
format the column as text and enter the numbers again.

Example::

    import community_governance
    from community_governance.domain.access import Actor
    from community_governance.io.importers import import_file

    with community_governance.open("sqlite:///county.db") as gov:
        result = import_file(gov, "residents", "居民.xlsx", actor=Actor.system("import"))
        print(result.count, result.warnings)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from community_governance.domain.access import Actor
from community_governance.domain.idnumber import check_character, parse_id_number
from community_governance.domain.people import Household, Relation, Vulnerability, validate_phone
from community_governance.domain.units import (
    Building,
    Unit,
    UnitKind,
    parent_kind,
    validate_unit_code,
)
from community_governance.errors import FileImportError, RowError, ValidationError

__all__ = [
    "COLUMNS",
    "IMPORTERS",
    "ImportResult",
    "Importer",
    "detect_encoding",
    "import_file",
    "read_table",
]


@attrs.frozen
class ImportResult:
    """What an import wrote.

    Attributes:
        kind: ``units``, ``buildings``, ``households`` or ``residents``.
        file: the file's name.
        count: rows written.
        warnings: notes on rows that were accepted (e.g. an unknown county-level region code).
    """

    kind: str
    file: str
    count: int
    warnings: tuple[RowError, ...] = ()


#: Columns of each kind: (field, required, Chinese aliases).
COLUMNS: dict[str, tuple[tuple[str, bool, tuple[str, ...]], ...]] = {
    "units": (
        ("code", True, ("代码", "编码", "区划代码")),
        ("kind", True, ("类型", "级别")),
        ("name", True, ("名称",)),
        ("parent_code", False, ("上级代码", "上级编码")),
    ),
    "buildings": (
        ("code", True, ("楼院编码", "编码")),
        ("name", True, ("楼院名称", "名称")),
        ("community_code", True, ("社区代码", "社区编码")),
        ("compound_code", False, ("小区编码",)),
        ("grid_code", False, ("网格编码",)),
        ("x", False, ()),
        ("y", False, ()),
        ("households_planned", False, ("户数",)),
    ),
    "households": (
        ("id", False, ("户编号", "户号")),
        ("building_code", True, ("楼院编码",)),
        ("door", True, ("门牌", "门牌号", "房号")),
        ("registered_on", False, ("登记日期",)),
    ),
    "residents": (
        ("id", False, ("居民编号",)),
        ("name", True, ("姓名",)),
        ("id_number", True, ("身份证号码", "身份证号", "公民身份号码")),
        ("household_id", True, ("户编号", "户号")),
        ("relation", False, ("与户主关系",)),
        ("phone", False, ("联系电话", "电话", "手机号码")),
        ("vulnerabilities", False, ("困难类别",)),
        ("party_member", False, ("党员", "是否党员")),
        ("moved_in", False, ("入住日期", "迁入日期")),
    ),
}

_KIND_NAMES = {
    "县": UnitKind.COUNTY, "县级市": UnitKind.COUNTY, "市": UnitKind.COUNTY,
    "办事处": UnitKind.SUBDISTRICT, "街道": UnitKind.SUBDISTRICT, "社区": UnitKind.COMMUNITY,
    "网格": UnitKind.GRID, "小区": UnitKind.COMPOUND,
}
_RELATION_NAMES = {
    "户主": Relation.HEAD, "本人": Relation.HEAD, "配偶": Relation.SPOUSE, "妻": Relation.SPOUSE,
    "夫": Relation.SPOUSE, "子女": Relation.CHILD, "子": Relation.CHILD, "女": Relation.CHILD,
    "长子": Relation.CHILD, "长女": Relation.CHILD, "次子": Relation.CHILD,
    "次女": Relation.CHILD, "父母": Relation.PARENT, "父亲": Relation.PARENT,
    "母亲": Relation.PARENT, "孙子女": Relation.GRANDCHILD, "孙子": Relation.GRANDCHILD,
    "孙女": Relation.GRANDCHILD, "外孙子": Relation.GRANDCHILD, "外孙女": Relation.GRANDCHILD,
    "其他": Relation.OTHER,
}
_VULNERABILITY_NAMES = {
    "特困": Vulnerability.EXTREME_DIFFICULTY, "特困群众": Vulnerability.EXTREME_DIFFICULTY,
    "孤寡老人": Vulnerability.ELDERLY_ALONE, "独居老人": Vulnerability.ELDERLY_ALONE,
    "孤寡、独居老人": Vulnerability.ELDERLY_ALONE, "残疾人": Vulnerability.DISABILITY,
    "低保户": Vulnerability.LOW_INCOME, "低保": Vulnerability.LOW_INCOME,
    "留守儿童": Vulnerability.LEFT_BEHIND_CHILD,
}
_TRUE = {"1", "true", "yes", "y", "是", "党员", "中共党员", "t"}
_FALSE = {"0", "false", "no", "n", "否", "", "群众", "f"}
_SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+?\d+")
_TEXT_ADVICE = ("format the column as text (文本) in the spreadsheet and enter the numbers "
                "again, or put an apostrophe before each number")


class _RowFault(Exception):
    """A bad cell, with the column it is in."""

    def __init__(self, column: str | None, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason

    @classmethod
    def of(cls, exc: ValidationError) -> _RowFault:
        """The fault of a domain check's error, in the column its path ends with."""
        return cls((exc.path or "").rsplit(".", 1)[-1] or None, exc.reason)


@attrs.frozen
class _Table:
    """Rows read from a file: the header and ``(row number, {field: cell})`` pairs."""

    file: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, Any]], ...]
    #: faults of the rows' shape (more cells than columns), reported with the cells' faults
    errors: tuple[RowError, ...] = ()


# ---------------------------------------------------------------------------------- reading


#: The encodings charset-normalizer may name for GB18030 text (its subsets included).
_GB_FAMILY = frozenset({"gb18030", "gbk", "gb2312", "cp936", "hz", "hz_gb_2312"})
_SAVE_ADVICE = ("open it in the spreadsheet and save it as 'CSV UTF-8' (CSV UTF-8（逗号分隔）), "
                "or convert it, e.g. iconv -f {enc} -t UTF-8")


def detect_encoding(data: bytes, name: str = "the file") -> str:
    """The encoding a CSV file is read with: UTF-8 (with or without BOM) or GB18030/GBK.

    UTF-8 is taken when the bytes decode as UTF-8; otherwise charset-normalizer weighs the
    encodings the bytes could be in, and the GB18030 family (GB2312, GBK, GB18030) is taken when
    it is among its best candidates (a short GBK file decodes as cleanly in the Korean CP949,
    so a tie is read as GBK, the encoding Chinese Excel writes). Anything else (Big5 from Taiwan
    or Hong Kong, Shift-JIS, UTF-16, Latin-1...) is refused: GB18030 would decode most of it
    without an error, into garbled names.

    Args:
        data: the file's bytes.
        name: the file's name, for messages.

    Returns:
        ``utf-8-sig`` or ``gb18030``.

    Raises:
        ValidationError: any other encoding; the message names what it looks like and how to
            save the file as UTF-8.
    """
    try:
        data.decode("utf-8-sig")
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    best = matches[0] if matches else None
    guess = best.encoding if best is not None else None
    tied = [m for m in matches
            if best is not None and m.percent_chaos <= best.percent_chaos + 1.0]
    for m in tied:
        if {n.lower() for n in (m.encoding, *m.could_be_from_charset)} & _GB_FAMILY:
            try:
                data.decode("gb18030")
                return "gb18030"
            except UnicodeDecodeError:
                break
    # Chinese text that is not GB is most likely Big5: name it when it is among the best
    big5 = [m for m in matches if m.encoding.lower() in ("big5", "big5hkscs", "cp950")
            and best is not None and m.percent_chaos <= best.percent_chaos + 5.0]
    if big5:
        guess = big5[0].encoding
    looks = {"big5": "Big5 (traditional Chinese, Taiwan/Hong Kong)",
             "big5hkscs": "Big5-HKSCS (Hong Kong)", "cp950": "Big5 (Windows code page 950)",
             "shift_jis": "Shift-JIS (Japanese)", "cp932": "Shift-JIS (Japanese)",
             "euc_kr": "EUC-KR (Korean)", "utf_16": "UTF-16"}.get(
        (guess or "").lower(), guess or "no text encoding at all (binary data?)")
    raise ValidationError(
        f"{name} is neither UTF-8 nor GB18030/GBK text: it looks like {looks}; import reads "
        "UTF-8 (with or without BOM) or GB18030/GBK only, because any other encoding would be "
        "stored as garbled names; " + _SAVE_ADVICE.format(enc=(guess or "ENCODING").upper()),
        path="file")


def _read_csv(path: Path) -> Iterator[tuple[int, list[Any]]]:
    data = path.read_bytes()
    text = data.decode(detect_encoding(data, path.name))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = [(number, list(record)) for number, record in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise ValidationError(f"{path.name}: line {reader.line_num} is not valid CSV ({exc}); "
                              "save the sheet again as CSV UTF-8", path="file") from None
    yield from records


def _read_xlsx(path: Path) -> Iterator[tuple[int, list[Any]]]:
    import zipfile

    try:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException
    except ImportError:  # pragma: no cover - the xlsx extra is missing
        raise ValidationError(f"{path.name}: reading .xlsx needs openpyxl; install "
                              "community-governance[xlsx] or save the sheet as CSV UTF-8",
                              path="file") from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            if not book.worksheets:
                raise ValidationError(f"{path.name} has no worksheet; put the table on the first "
                                      "sheet", path="file")
            sheet = book.worksheets[0]
            records = [(number, list(record)) for number, record in
                       enumerate(sheet.iter_rows(values_only=True), start=1)]
        finally:
            book.close()
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError,
            TypeError) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise ValidationError(
            f"{path.name} is not a readable Excel workbook (.xlsx): {type(exc).__name__}: "
            f"{exc}; the file is damaged or not really an .xlsx (an old .xls, a CSV renamed, a "
            "download cut short): open it in the spreadsheet and save it again as Excel "
            "workbook (.xlsx) or CSV UTF-8", path="file") from None
    yield from records


Columns = tuple[tuple[str, bool, tuple[str, ...]], ...]


def read_table(kind: str, path: str | Path, columns: Columns | None = None) -> _Table:
    """Read a CSV or xlsx file of ``kind`` into rows keyed by field name.

    Args:
        kind: the file kind, for messages (and for its columns when ``columns`` is not given).
        path: the file.
        columns: ``(field, required, Chinese aliases)`` per column (default ``COLUMNS[kind]``).

    Raises:
        FileImportError: the header has unknown or repeated columns, or misses required ones.
            (A row with more cells than the header is kept in ``errors`` of the result, so that
            its other cells and the other rows are still checked.)
        ValidationError: the file is not CSV or xlsx, not UTF-8 or GB18030 text, or a damaged
            workbook.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        records = _read_xlsx(p)
    elif suffix in (".csv", ".txt"):
        records = _read_csv(p)
    else:
        raise ValidationError(f"{p.name}: import reads .csv or .xlsx files, not {suffix!r}; "
                              "save the sheet as CSV UTF-8 or Excel workbook", path="file")
    columns = columns if columns is not None else COLUMNS[kind]
    lookup: dict[str, str] = {}
    for field, _required, aliases in columns:
        lookup[field] = field
        for a in aliases:
            lookup[a] = field
    header: list[str | None] = []
    errors: list[RowError] = []
    row_errors: list[RowError] = []
    rows: list[tuple[int, dict[str, Any]]] = []
    width = 0
    for number, record in records:
        if not header:
            if all(_blank(c) for c in record):
                continue
            seen: set[str] = set()
            for cell in record:
                name = "" if cell is None else str(cell).strip()
                if not name:
                    header.append(None)
                    continue
                got = lookup.get(name) or lookup.get(name.lower())
                if got is None:
                    known = ", ".join(f for f, _, _ in columns)
                    errors.append(RowError(number, name, f"unknown column {name!r}; the columns "
                                                         f"of a {kind} file are: {known}"))
                    header.append(None)
                elif got in seen:
                    errors.append(RowError(number, name, f"column {got!r} appears twice"))
                    header.append(None)
                else:
                    seen.add(got)
                    header.append(got)
            missing = [f for f, required, _ in columns if required and f not in seen]
            if missing:
                errors.append(RowError(number, None, f"required column(s) missing: "
                                                     f"{', '.join(missing)}"))
            width = len(header)
            continue
        if all(_blank(c) for c in record):
            continue
        if len(record) > width and any(not _blank(c) for c in record[width:]):
            extra = max(i for i, c in enumerate(record) if not _blank(c)) + 1
            row_errors.append(RowError(number, None, f"the row has {extra} cells but the header "
                                                     f"only {width} columns: a comma inside a "
                                                     "cell, or a cell shifted; the other cells "
                                                     "are checked as they stand"))
        rows.append((number, {f: record[i] if i < len(record) else None
                              for i, f in enumerate(header) if f is not None}))
    if not header:
        errors.append(RowError(1, None, "the file is empty: the first row must be the header"))
    if errors:
        raise FileImportError(p.name, errors)
    return _Table(p.name, tuple(h for h in header if h), tuple(rows), tuple(row_errors))


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


# ---------------------------------------------------------------------------------- cells


def _text(row: dict[str, Any], field: str, *, required: bool = False) -> str | None:
    """A text cell; whole numbers from numeric cells become their digits."""
    v = row.get(field)
    if isinstance(v, bool):
        v = "1" if v else "0"
    elif isinstance(v, float) and v.is_integer():
        v = str(int(v))
    elif isinstance(v, int | float):
        v = str(v)
    elif isinstance(v, dt.datetime | dt.date):
        v = v.isoformat()
    v = None if v is None else str(v).strip()
    if not v:
        if required:
            raise _RowFault(field, f"{field} is required")
        return None
    return v


def _date(row: dict[str, Any], field: str) -> dt.date | None:
    v = row.get(field)
    if _blank(v):
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    s = str(v).strip().replace("/", "-").replace(".", "-")
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", s) or re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})", s)
    if m is None:
        raise _RowFault(field, f"{v!r} is not a date: write it as YYYY-MM-DD, e.g. 2019-03-01")
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise _RowFault(field, f"{v!r} is not a real date") from None


def _number(row: dict[str, Any], field: str, cast: Callable[[str], Any]) -> Any:
    v = row.get(field)
    if _blank(v):
        return None
    if isinstance(v, bool):
        raise _RowFault(field, f"{v!r} is not a number")
    if isinstance(v, int | float):
        return cast(str(int(v)) if cast is int and float(v).is_integer() else str(v))
    try:
        return cast(str(v).strip())
    except ValueError:
        raise _RowFault(field, f"{v!r} is not a number") from None


def _bool(row: dict[str, Any], field: str) -> bool:
    v = row.get(field)
    if isinstance(v, bool):
        return v
    s = (_text(row, field) or "").lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise _RowFault(field, f"{v!r} is not yes or no: write 是/否, 1/0 or true/false")


def _id_number_cell(row: dict[str, Any], field: str, today: dt.date) -> Any:
    v = row.get(field)
    if isinstance(v, int | float) and not isinstance(v, bool):
        raise _RowFault(field, "the ID number is stored as a number, so its last digits are "
                               "already lost; " + _TEXT_ADVICE)
    s = "" if v is None else str(v).strip()
    if not s:
        raise _RowFault(field, "id_number is required")
    if _SCIENTIFIC.fullmatch(s.replace(" ", "")):
        raise _RowFault(field, f"{s!r} is an ID number shown in scientific notation: its digits "
                               "are lost; " + _TEXT_ADVICE)
    compact = s.replace(" ", "").upper()
    if re.fullmatch(r"\d{15}000", compact) and check_character(compact[:17]) != "0":
        raise _RowFault(field, "the ID number ends in 000 and its check character is wrong: the "
                               "spreadsheet kept only 15 significant digits; " + _TEXT_ADVICE)
    try:
        return parse_id_number(s, today=today, path=field)
    except ValidationError as exc:
        raise _RowFault(field, exc.reason) from None


# ---------------------------------------------------------------------------------- kinds


Parsed = tuple[list[Any], list[RowError], list[RowError]]


class Importer:
    """Validates and writes one kind of file; subclasses name the kind and its checks.

    Attributes:
        kind: the file kind (``units``...).
        columns: ``(field, required, Chinese aliases)`` for each column the file may have.
    """

    kind = ""
    columns: Columns = ()

    def validate(self, gov: Any, actor: Actor, table: _Table, today: dt.date) -> Parsed:
        """Check every row; return the items, the row errors and the warnings."""
        raise NotImplementedError

    def write(self, gov: Any, actor: Actor, items: Sequence[Any]) -> int:
        """Write the validated items through the registry (one transaction)."""
        raise NotImplementedError


class _Faults:
    """Collects the faults of a row's cells, so that every bad cell of a row is reported."""

    def __init__(self) -> None:
        self.items: list[_RowFault] = []

    def __call__(self, fn: Callable[[], Any]) -> Any:
        """``fn()``, or ``None`` with its fault recorded."""
        try:
            return fn()
        except _RowFault as f:
            self.items.append(f)
        except ValidationError as exc:
            self.items.append(_RowFault.of(exc))
        return None

    def done(self) -> None:
        """Raise :class:`_RowFaults` if a cell was bad."""
        if self.items:
            raise _RowFaults(self.items)


class _RowFaults(Exception):
    """Several bad cells of one row."""

    def __init__(self, faults: list[_RowFault]) -> None:
        super().__init__(len(faults))
        self.faults = faults


def _collect(table: _Table, build: Callable[[int, dict[str, Any]], Any],
             errors: list[RowError]) -> list[tuple[int, Any]]:
    out = []
    for number, row in table.rows:
        try:
            out.append((number, build(number, row)))
        except _RowFaults as many:
            errors.extend(RowError(number, f.column, f.reason) for f in many.faults)
        except _RowFault as f:
            errors.append(RowError(number, f.column, f.reason))
        except ValidationError as exc:
            fault = _RowFault.of(exc)
            errors.append(RowError(number, fault.column, fault.reason))
    return out


class UnitsImporter(Importer):
    """Counties, sub-districts (办事处), communities (社区), grids (网格) and compounds (小区)."""

    kind = "units"
    columns = COLUMNS["units"]

    def validate(self, gov: Any, actor: Actor, table: _Table, today: dt.date) -> Parsed:
        errors: list[RowError] = []

        def unit_kind(row: dict[str, Any]) -> UnitKind:
            raw_kind = _text(row, "kind", required=True) or ""
            try:
                kind = _KIND_NAMES.get(raw_kind) or UnitKind(raw_kind.lower())
            except ValueError:
                raise _RowFault("kind", f"{raw_kind!r} is not a unit kind: use county, "
                                        "subdistrict, community, grid or compound") from None
            if kind is UnitKind.BUILDING:
                raise _RowFault("kind", "buildings are imported with a buildings file")
            return kind

        def build(_n: int, row: dict[str, Any]) -> Unit:
            cell = _Faults()
            kind = cell(lambda: unit_kind(row))
            code = cell(lambda: _text(row, "code", required=True))
            name = cell(lambda: _text(row, "name", required=True))
            parent = cell(lambda: _text(row, "parent_code"))
            if kind is not None and code is not None:
                cell(lambda: validate_unit_code(kind, code))
            cell.done()
            return Unit(code, kind, name, parent)

        parsed = _collect(table, build, errors)
        wanted = {u.code for _, u in parsed} | {u.parent_code for _, u in parsed if u.parent_code}
        stored = gov.registry.existing_keys(actor, unit_codes=wanted).units
        seen: dict[str, tuple[int, UnitKind]] = {}
        items: list[Unit] = []
        for number, u in parsed:
            fault = None
            if u.code in seen:
                fault = RowError(number, "code", f"unit {u.code} appears twice (also on row "
                                                 f"{seen[u.code][0]})")
            elif u.code in stored:
                fault = RowError(number, "code", f"unit {u.code} exists already")
            elif u.parent_code is not None:
                pk = seen[u.parent_code][1] if u.parent_code in seen else stored.get(
                    u.parent_code)
                if pk is None:
                    fault = RowError(number, "parent_code", f"parent unit {u.parent_code} is "
                                     "neither stored nor on an earlier row of this file")
                elif pk is not parent_kind(u.kind):
                    fault = RowError(number, "parent_code",
                                     f"a {u.kind.value} hangs under a {parent_kind(u.kind)}, "
                                     f"but {u.parent_code} is a {pk.value}")
            if fault is not None:
                errors.append(fault)
            else:
                items.append(u)
            seen.setdefault(u.code, (number, u.kind))
        return items, errors, []

    def write(self, gov: Any, actor: Actor, items: Sequence[Any]) -> int:
        return int(gov.registry.add_units(actor, items))


class BuildingsImporter(Importer):
    """Buildings (楼院) of communities, with their compound, grid and position."""

    kind = "buildings"
    columns = COLUMNS["buildings"]

    def validate(self, gov: Any, actor: Actor, table: _Table, today: dt.date) -> Parsed:
        errors: list[RowError] = []

        def build(_n: int, row: dict[str, Any]) -> Building:
            cell = _Faults()
            planned = cell(lambda: _number(row, "households_planned", int))
            values = (cell(lambda: _text(row, "code", required=True)),
                      cell(lambda: _text(row, "name", required=True)),
                      cell(lambda: _text(row, "community_code", required=True)),
                      cell(lambda: _text(row, "compound_code")),
                      cell(lambda: _text(row, "grid_code")),
                      cell(lambda: _number(row, "x", float)),
                      cell(lambda: _number(row, "y", float)))
            cell.done()
            return Building(*values, planned or 0)

        parsed = _collect(table, build, errors)
        wanted: set[str] = set()
        for _, b in parsed:
            wanted |= {b.code, b.community_code} | {c for c in (b.compound_code, b.grid_code)
                                                    if c}
        stored = gov.registry.existing_keys(actor, unit_codes=wanted).units
        seen: dict[str, int] = {}
        items: list[Building] = []
        for number, b in parsed:
            bad = len(errors)
            if b.code in seen:
                errors.append(RowError(number, "code", f"building {b.code} appears twice (also "
                                                       f"on row {seen[b.code]})"))
            elif b.code in stored:
                errors.append(RowError(number, "code", f"building {b.code} exists already"))
            for column, code, want in (("community_code", b.community_code, UnitKind.COMMUNITY),
                                       ("compound_code", b.compound_code, UnitKind.COMPOUND),
                                       ("grid_code", b.grid_code, UnitKind.GRID)):
                if code is not None and stored.get(code) is not want:
                    errors.append(RowError(number, column, f"{want.value} {code} is not stored; "
                                                           "import the units file first"))
            if len(errors) == bad:
                items.append(b)
            seen.setdefault(b.code, number)
        return items, errors, []

    def write(self, gov: Any, actor: Actor, items: Sequence[Any]) -> int:
        return int(gov.registry.add_buildings(actor, items))


class HouseholdsImporter(Importer):
    """Households (户) at buildings; the key defaults to ``<building>-<door>``."""

    kind = "households"
    columns = COLUMNS["households"]

    def validate(self, gov: Any, actor: Actor, table: _Table, today: dt.date) -> Parsed:
        errors: list[RowError] = []

        def build(_n: int, row: dict[str, Any]) -> Household:
            cell = _Faults()
            building = cell(lambda: _text(row, "building_code", required=True)) or ""
            if building:
                cell(lambda: validate_unit_code(UnitKind.BUILDING, building))
            door = cell(lambda: _text(row, "door", required=True)) or ""
            key = cell(lambda: _text(row, "id")) or f"{building}-{door}"
            if len(key) > 48:
                cell.items.append(_RowFault("id", f"household key {key!r} is longer than 48 "
                                                  "characters"))
            registered = cell(lambda: _date(row, "registered_on"))
            if registered is not None and registered > today:
                cell.items.append(_RowFault("registered_on", f"{registered} is in the future"))
            cell.done()
            return Household(key, building, door, registered)

        parsed = _collect(table, build, errors)
        reg = gov.registry
        found = reg.existing_keys(actor, unit_codes={h.building_code for _, h in parsed},
                                  household_ids={h.id for _, h in parsed})
        seen: dict[str, int] = {}
        items: list[Household] = []
        for number, h in parsed:
            bad = len(errors)
            if h.id in seen:
                errors.append(RowError(number, "id", f"household {h.id} appears twice (also on "
                                                     f"row {seen[h.id]})"))
            elif h.id in found.households:
                errors.append(RowError(number, "id", f"household {h.id} exists already"))
            if found.units.get(h.building_code) is not UnitKind.BUILDING:
                errors.append(RowError(number, "building_code",
                                       f"building {h.building_code} is not stored; import the "
                                       "buildings file first"))
            if len(errors) == bad:
                items.append(h)
            seen.setdefault(h.id, number)
        return items, errors, []

    def write(self, gov: Any, actor: Actor, items: Sequence[Any]) -> int:
        return int(gov.registry.add_households(actor, items))


class ResidentsImporter(Importer):
    """Residents (居民) with their ID numbers, at registered households."""

    kind = "residents"
    columns = COLUMNS["residents"]

    def validate(self, gov: Any, actor: Actor, table: _Table, today: dt.date) -> Parsed:
        from community_governance.services.registry import NewResident

        errors: list[RowError] = []
        warnings: list[RowError] = []
        numbers: dict[int, str] = {}

        def build(number: int, row: dict[str, Any]) -> NewResident:
            faults: list[_RowFault] = []

            def cell(fn: Callable[[], Any]) -> Any:
                try:
                    return fn()
                except _RowFault as f:
                    faults.append(f)
                except ValidationError as exc:
                    faults.append(_RowFault.of(exc))
                return None

            name = cell(lambda: _text(row, "name", required=True))
            idn = cell(lambda: _id_number_cell(row, "id_number", today))
            household = cell(lambda: _text(row, "household_id", required=True))
            relation = cell(lambda: _relation(row))
            phone = cell(lambda: validate_phone(_text(row, "phone"), "phone"))
            vul = cell(lambda: _vulnerabilities(row))
            party = cell(lambda: _bool(row, "party_member"))
            moved = cell(lambda: _date(row, "moved_in"))
            if moved is not None and moved > today:
                faults.append(_RowFault("moved_in", f"{moved} is in the future"))
            key = cell(lambda: _text(row, "id"))
            if key is not None and len(key) > 40:
                faults.append(_RowFault("id", "a resident key has at most 40 characters"))
            for f in faults:
                errors.append(RowError(number, f.column, f.reason))
            if faults:
                if household is not None:  # still checked, so every error shows in one run
                    faulted.append((number, household))
                raise _Skip
            numbers[number] = idn.number
            for w in idn.warnings:
                warnings.append(RowError(number, "id_number", w))
            return NewResident(name=name, id_number=idn.number, household_id=household,
                               relation=relation, phone=phone, vulnerabilities=vul,
                               party_member=party, id=key, moved_in=moved)

        parsed: list[tuple[int, NewResident]] = []
        faulted: list[tuple[int, str]] = []
        for number, row in table.rows:
            try:
                parsed.append((number, build(number, row)))
            except _Skip:
                continue
        found = gov.registry.existing_keys(
            actor, household_ids={n.household_id for _, n in parsed} | {h for _, h in faulted},
            resident_ids={n.id for _, n in parsed if n.id},
            id_numbers=set(numbers.values()))
        for number, household in faulted:
            if household not in found.households:
                errors.append(RowError(number, "household_id",
                                       f"household {household} is not stored; import the "
                                       "households file first"))
        seen_numbers: dict[str, int] = {}
        seen_ids: dict[str, int] = {}
        items: list[NewResident] = []
        for number, n in parsed:
            bad = len(errors)
            if n.id_number in seen_numbers:
                errors.append(RowError(number, "id_number", "this ID number appears twice (also "
                                                            f"on row {seen_numbers[n.id_number]})"))
            elif n.id_number in found.id_numbers:
                errors.append(RowError(number, "id_number", "a resident with this ID number is "
                                                            "registered already"))
            if n.id is not None:
                if n.id in seen_ids:
                    errors.append(RowError(number, "id", f"resident {n.id} appears twice (also "
                                                         f"on row {seen_ids[n.id]})"))
                elif n.id in found.residents:
                    errors.append(RowError(number, "id", f"resident {n.id} exists already"))
                seen_ids.setdefault(n.id, number)
            if n.household_id not in found.households:
                errors.append(RowError(number, "household_id",
                                       f"household {n.household_id} is not stored; import the "
                                       "households file first"))
            if len(errors) == bad:
                items.append(n)
            seen_numbers.setdefault(n.id_number, number)
        return items, errors, warnings

    def write(self, gov: Any, actor: Actor, items: Sequence[Any]) -> int:
        return len(gov.registry.register_residents(actor, items))


class _Skip(Exception):
    """The row had faults (already recorded)."""


def _relation(row: dict[str, Any]) -> Relation:
    v = _text(row, "relation")
    if v is None:
        return Relation.OTHER
    got = _RELATION_NAMES.get(v)
    if got is not None:
        return got
    try:
        return Relation(v.lower())
    except ValueError:
        raise _RowFault("relation", f"{v!r} is not a relation to the head: use "
                                    f"{', '.join(r.value for r in Relation)} or 户主/配偶/"
                                    "子女/父母/孙子女/其他") from None


def _vulnerabilities(row: dict[str, Any]) -> tuple[Vulnerability, ...]:
    v = _text(row, "vulnerabilities")
    if v is None:
        return ()
    out = []
    for part in re.split(r"[,，;；|]", v):
        part = part.strip()
        if not part:
            continue
        got = _VULNERABILITY_NAMES.get(part)
        if got is None:
            try:
                got = Vulnerability(part.lower())
            except ValueError:
                raise _RowFault("vulnerabilities", f"{part!r} is not a care category: use "
                                f"{', '.join(x.value for x in Vulnerability)}") from None
        out.append(got)
    return tuple(out)


#: The importers by file kind; other capabilities add theirs (e.g. ``grids``).
IMPORTERS: dict[str, Importer] = {
    "units": UnitsImporter(),
    "buildings": BuildingsImporter(),
    "households": HouseholdsImporter(),
    "residents": ResidentsImporter(),
}


def import_file(gov: Any, kind: str, path: str | Path, *, actor: Actor) -> ImportResult:
    """Import a CSV or xlsx file of ``kind``: all rows or none.

    Args:
        gov: the :class:`~community_governance.Governance`.
        kind: a key of :data:`IMPORTERS` (``units``, ``buildings``, ``households``,
            ``residents``...).
        path: the file (``.csv`` or ``.xlsx``; the first sheet is read).
        actor: who imports (the registry checks their rights).

    Returns:
        An :class:`ImportResult`.

    Raises:
        FileImportError: bad rows (each named with its row, column and reason); nothing written.
        ValidationError: an unknown kind or an unreadable file.
        PermissionDenied: the actor may not write these records; nothing written.
    """
    importer = IMPORTERS.get(kind)
    if importer is None:
        raise ValidationError(f"cannot import {kind!r}: the kinds are "
                              f"{', '.join(sorted(IMPORTERS))}", path="kind")
    table = read_table(kind, path, importer.columns)
    today = gov.now().in_timezone(gov.timezone).date()
    items, errors, warnings = importer.validate(gov, actor, table, today)
    errors = [*table.errors, *errors]
    if errors:
        raise FileImportError(table.file, sorted(errors, key=lambda e: e.row))
    count = importer.write(gov, actor, items) if items else 0
    return ImportResult(kind, table.file, count, tuple(warnings))


def _register_grids() -> None:
    """Add the grids importer (``community_governance.io.grid_import``) to :data:`IMPORTERS`."""
    from community_governance.io.grid_import import GridsImporter

    IMPORTERS.setdefault("grids", GridsImporter())


_register_grids()
