"""Unit codes (行政区划与网格编码) at their boundaries, in Yima and in 湖滨区 (issue #13 item 11)."""

from __future__ import annotations

import pytest

from community_governance.domain.units import (
    Building,
    Unit,
    UnitKind,
    building_code,
    community_of,
    compound_code,
    grid_code,
    parent_kind,
    validate_unit_code,
)
from community_governance.errors import ValidationError

K = UnitKind


@pytest.mark.parametrize(("kind", "code", "ok"), [
    (K.COUNTY, "411281", True), (K.COUNTY, "411202", True), (K.COUNTY, "41128", False),
    (K.COUNTY, "4112811", False), (K.SUBDISTRICT, "411202001", True),
    (K.SUBDISTRICT, "41120200", False), (K.COMMUNITY, "411202001001", True),
    (K.COMMUNITY, "41120200100", False), (K.COMMUNITY, "4112020010011", False),
    (K.GRID, "411281001001-W01", True), (K.GRID, "411281001001-W1", False),
    (K.GRID, "411281001001-W0001", True), (K.GRID, "411281001001-W00001", False),
    (K.COMPOUND, "411202001001-Q02", True), (K.COMPOUND, "411202001001-W02", False),
    (K.BUILDING, "411202001001-B001", True), (K.BUILDING, "411202001001-B01", False),
    (K.BUILDING, "411281001001-B00042", True), (K.BUILDING, "411281001001-B000042", False),
    (K.BUILDING, 411281, False),
])
def test_code_shapes(kind: UnitKind, code: str, ok: bool) -> None:
    if ok:
        assert validate_unit_code(kind, code) == code
    else:
        with pytest.raises(ValidationError, match="has the wrong shape") as e:
            validate_unit_code(kind, code)
        assert e.value.path == "code"


@pytest.mark.parametrize(("kind", "code", "parent", "ok"), [
    (K.SUBDISTRICT, "411202001", "411202", True),
    (K.SUBDISTRICT, "411281001", "411202", False),
    (K.COMMUNITY, "411202001001", "411202001", True),
    (K.COMMUNITY, "411202002001", "411202001", False),
    (K.GRID, "411202001001-W01", "411202001001", True),
    (K.GRID, "411202001002-W01", "411202001001", False),
    (K.BUILDING, "411202001001-B0001", "411202001001-Q01", True),  # under a compound
    (K.BUILDING, "411202001002-B0001", "411202001001-Q01", False),
])
def test_codes_extend_their_parents(kind: UnitKind, code: str, parent: str, ok: bool) -> None:
    if ok:
        assert validate_unit_code(kind, code, parent) == code
    else:
        with pytest.raises(ValidationError, match=f"does not extend its parent's code "
                           f"'{parent}'"):
            validate_unit_code(kind, code, parent)


@pytest.mark.parametrize(("code", "community"), [
    ("411202001001", "411202001001"), ("411202001001-W01", "411202001001"),
    ("411281001001-B0042", "411281001001"), ("411202001", None), ("411202", None),
    ("4112020010011", None),
])
def test_community_of(code: str, community: str | None) -> None:
    assert community_of(code) == community


def test_code_builders_and_parents() -> None:
    assert grid_code("411202001001", 3) == "411202001001-W03"
    assert grid_code("411202001001", 123) == "411202001001-W123"
    assert compound_code("411202001001", 2) == "411202001001-Q02"
    assert building_code("411202001001", 42) == "411202001001-B0042"
    assert [parent_kind(k) for k in K] == [None, K.COUNTY, K.SUBDISTRICT, K.COMMUNITY,
                                           K.COMMUNITY, K.COMMUNITY]


def test_units_and_buildings_check_themselves() -> None:
    assert Unit("411202", K.COUNTY, " 湖滨区 ").name == "湖滨区"
    with pytest.raises(ValidationError, match="needs a name"):
        Unit("411202", K.COUNTY, "  ")
    with pytest.raises(ValidationError, match="only a county has no parent unit; give the code "
                       "of its county as parent_code"):
        Unit("411202001", K.SUBDISTRICT, "街道")
    with pytest.raises(ValidationError, match="only a county has no parent"):
        Unit("411202", K.COUNTY, "湖滨区", "41")
    b = Building("411202001001-B0001", "1号楼", "411202001001", "411202001001-Q01",
                 "411202001001-W01", households_planned=0)
    assert b.households_planned == 0
    with pytest.raises(ValidationError, match="households_planned must be 0 or more, got -1"):
        Building("411202001001-B0001", "1号楼", "411202001001", households_planned=-1)
    with pytest.raises(ValidationError, match="does not extend"):
        Building("411202001001-B0001", "1号楼", "411202001001", grid_code="411202001002-W01")
    with pytest.raises(ValidationError, match="does not extend"):
        Building("411202001001-B0001", "1号楼", "411202001001",
                 compound_code="411202001002-Q01")
