"""Importing a county's grids from files: checked after, never silently fixed; bad rows."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from community_governance.errors import FileImportError, PermissionDenied
from community_governance.io.importers import IMPORTERS, import_file
from community_governance.storage.tables import grids as gt
from community_governance.testing.city import build_small_city

from .conftest import COMM, OTHER, SYSTEM, bare_community


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def _b(n: int) -> str:
    return f"{COMM}-B{n:04d}"


def _w(n: int) -> str:
    return f"{COMM}-W{n:02d}"


def _claims(gov: Any) -> set[tuple[str, str, str]]:
    with gov.store.unit_of_work(write=False) as uow:
        return {(r.building_code, r.grid_code, r.source)
                for r in uow.conn.execute(sa.select(gt.grid_claims))}


def test_grids_importer_is_registered() -> None:
    """Registers the grids importer beside the registry's importers."""
    assert IMPORTERS["grids"].kind == "grids"


def test_imported_grids_with_planted_gap_and_overlap(small_gov: Any, tmp_path: Path) -> None:
    """Reports the planted unmanaged building and the planted dispute, and fixes neither."""
    bare_community(small_gov, buildings=8)
    rows = [[_b(1), _w(1), "第一网格"], [_b(2), _w(1), "第一网格"],
            [_b(3), _w(2), "第二网格"], [_b(4), _w(2), "第二网格"],
            [_b(4), _w(3), "第三网格"],  # overlap: B0004 claimed by W02 and W03
            [_b(5), _w(3), "第三网格"], [_b(6), _w(3), "第三网格"],
            # gap: B0007 is in no grid
            [_b(8), _w(3), "第三网格"]]
    path = _write_csv(tmp_path / "grids.csv", ["楼院编码", "网格编码", "网格名称"], rows)
    result = import_file(small_gov, "grids", path, actor=SYSTEM)
    assert result.count == len(rows)
    check = small_gov.grids.check(SYSTEM, COMM)
    assert [u.building for u in check.assignment.unmanaged] == [_b(7)]
    assert [(d.building, d.grids) for d in check.assignment.disputed] == [
        (_b(4), (_w(2), _w(3)))]
    column = {b.code: b.grid_code for b in small_gov.registry.list_buildings(COMM)}
    assert column[_b(4)] is None  # the dispute is not settled by the import
    assert column[_b(7)] is None
    assert column[_b(1)] == _w(1)
    assert {u.name for u in small_gov.registry.list_units(kind="grid")} == {
        "第一网格", "第二网格", "第三网格"}
    small_gov.grids.settle(SYSTEM, _b(4), _w(2))
    after = small_gov.grids.check(SYSTEM, COMM)
    assert after.assignment.disputed == ()
    assert {(b, g) for b, g, _ in _claims(small_gov) if b == _b(4)} == {(_b(4), _w(2))}


def test_import_against_drawn_grids_reveals_disputes(small_gov: Any, tmp_path: Path) -> None:
    """Keeps a file's claim that contradicts the drawing as a dispute, and a repeat as one."""
    bare_community(small_gov, buildings=4)
    drawn = small_gov.grids.draw(SYSTEM, COMM).assignment()
    other = next(g for g in sorted(set(drawn.values())) if g != drawn[_b(1)])
    path = _write_csv(tmp_path / "g.csv", ["building_code", "grid_code"],
                      [[_b(1), other], [_b(2), drawn[_b(2)]]])
    result = import_file(small_gov, "grids", path, actor=SYSTEM)
    assert result.count == 1
    assert [w.row for w in result.warnings] == [3]  # the claim that was drawn already
    check = small_gov.grids.check(SYSTEM, COMM)
    assert [d.building for d in check.assignment.disputed] == [_b(1)]
    assert small_gov.registry.list_buildings(COMM)[0].grid_code == drawn[_b(1)]


def test_bad_rows_are_listed_and_nothing_is_written(small_gov: Any, tmp_path: Path) -> None:
    """Lists every bad row with its row number and column; writes no claim and no grid."""
    bare_community(small_gov, buildings=4)
    rows = [[_b(1), _w(1)],
            [_b(2), "411281001001-X1"],          # row 3: malformed grid code
            [f"{COMM}-B0099", _w(1)],             # row 4: unknown building
            [_b(1), _w(1)],                       # row 5: the same claim twice
            [_b(3), "411281001009-W01"],          # row 6: unknown community
            ["", _w(2)]]                          # row 7: building missing
    path = _write_csv(tmp_path / "bad.csv", ["building_code", "grid_code"], rows)
    with pytest.raises(FileImportError) as info:
        import_file(small_gov, "grids", path, actor=SYSTEM)
    got = [(e.row, e.column) for e in info.value.errors]
    assert got == [(3, "code"), (4, "building_code"), (5, "grid_code"), (6, "grid_code"),
                   (7, "building_code")]
    assert _claims(small_gov) == set()
    assert small_gov.registry.list_units(kind="grid") == []


def test_unknown_column_is_refused(small_gov: Any, tmp_path: Path) -> None:
    """Refuses a file with an unknown column and names the known ones."""
    bare_community(small_gov)
    path = _write_csv(tmp_path / "x.csv", ["building_code", "grid", "colour"], [[_b(1), _w(1),
                                                                                  "red"]])
    with pytest.raises(FileImportError, match="grid_code"):
        import_file(small_gov, "grids", path, actor=SYSTEM)


def test_xlsx_import(small_gov: Any, tmp_path: Path) -> None:
    """Reads the first sheet of an xlsx workbook with Chinese headers."""
    import openpyxl

    bare_community(small_gov, buildings=2)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["楼院编码", "网格编码"])
    sheet.append([_b(1), _w(1)])
    sheet.append([_b(2), _w(1)])
    sheet.append([f"{OTHER}-B0001", f"{OTHER}-W01"])
    path = tmp_path / "网格.xlsx"
    book.save(path)
    result = import_file(small_gov, "grids", path, actor=SYSTEM)
    assert result.count == 3
    assert {s for _, _, s in _claims(small_gov)} == {"import:网格.xlsx"}
    check = small_gov.grids.check(SYSTEM)
    assert check.grids == 2
    assert (check.assignment.unmanaged, check.assignment.disputed) == ((), ())


def test_grid_leader_cannot_import(small_gov: Any, tmp_path: Path) -> None:
    """Refuses an import by a grid leader; nothing is written."""
    city = build_small_city(small_gov)
    leader = city.grid_leader["411281001001-W01"]
    path = _write_csv(tmp_path / "g.csv", ["building_code", "grid_code"],
                      [["411281001001-B0001", "411281001001-W05"]])
    with pytest.raises(PermissionDenied):
        import_file(small_gov, "grids", path, actor=leader)
    assert "411281001001-W05" not in {u.code for u in small_gov.registry.list_units(
        kind="grid")}


@settings(max_examples=25)
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(1, 3)), min_size=1, max_size=14,
                unique=True))
def test_check_finds_exactly_the_planted_gaps_and_overlaps(
        pairs: list[tuple[int, int]]) -> None:
    """Finds as unmanaged exactly the buildings no row names, as disputed exactly those named
    with two or more grids."""
    import community_governance

    from .conftest import SmallPolicy

    with community_governance.open("memory://", plugins=[SmallPolicy()],
                                   entrypoints=False) as g:
        bare_community(g, buildings=6)
        g.grids.import_claims(SYSTEM, [(_b(b), _w(w)) for b, w in pairs], source="import:h")
        check = g.grids.check(SYSTEM, COMM)
    by_building: dict[int, set[int]] = {}
    for b, w in pairs:
        by_building.setdefault(b, set()).add(w)
    assert {u.building for u in check.assignment.unmanaged if u.community == COMM} == {
        _b(b) for b in range(1, 7) if b not in by_building}
    assert {d.building for d in check.assignment.disputed} == {
        _b(b) for b, ws in by_building.items() if len(ws) > 1}


def test_check_without_positions_says_contiguity_was_not_checked(small_gov: Any) -> None:
    """Checks imported grids of buildings without positions and says what it could not judge."""
    from community_governance.domain.units import Building, Unit, UnitKind

    small_gov.registry.add_units(SYSTEM, [
        Unit("411281", UnitKind.COUNTY, "义马市"),
        Unit("411281001", UnitKind.SUBDISTRICT, "办事处", "411281"),
        Unit(COMM, UnitKind.COMMUNITY, "社区", "411281001")])
    small_gov.registry.add_buildings(SYSTEM, [
        Building(_b(n), f"{n}号楼", COMM, households_planned=3) for n in (1, 2, 3)])
    small_gov.grids.import_claims(SYSTEM, [(_b(1), _w(1)), (_b(3), _w(1))], source="import:t")
    check = small_gov.grids.check(SYSTEM, COMM)
    assert [u.building for u in check.assignment.unmanaged] == [_b(2)]
    assert check.assignment.non_contiguous == ()
    assert check.notes and "contiguity not checked" in check.notes[0]
