"""Unit codes: exact refusals, scope prefixes and the parent rules (issue #13 item 11)."""

from __future__ import annotations

import pytest

from community_governance.domain.units import (
    Building,
    Unit,
    UnitKind,
    community_of,
    validate_scope_prefix,
    validate_unit_code,
)
from community_governance.errors import ValidationError
from tests.domain._exact import refused

K = UnitKind
C = "411202001001"


@pytest.mark.parametrize(("kind", "code", "example"), [
    (K.COUNTY, "4112", "'411281'"), (K.SUBDISTRICT, "4112020011", "'411281001'"),
    (K.COMMUNITY, "x", "'411281001001'"), (K.GRID, C, "'411281001001-W03'"),
    (K.COMPOUND, C + "-Q1", "'411281001001-Q02'"), (K.BUILDING, C + "-B1", "'411281001001-B0042'"),
])
def test_wrong_shape_message(kind: UnitKind, code: str, example: str) -> None:
    refused(ValidationError, f"{kind.value} code {code!r} has the wrong shape: a {kind.chinese} "
            f"code looks like {example} @ code", validate_unit_code, kind, code)


def test_not_extending_message_and_path() -> None:
    e = refused(ValidationError, f"grid code '{C}-W02' does not extend its parent's code "
                f"'{C}-W01': a unit's code starts with the code of the unit above it @ code",
                validate_unit_code, K.GRID, f"{C}-W02", f"{C}-W01")
    assert e.path == "code"  # type: ignore[attr-defined]


def test_only_a_building_compares_the_community_part_of_its_parent() -> None:
    # a building under a compound or with a longer parent key: the first 12 characters count
    assert validate_unit_code(K.BUILDING, f"{C}-B0001", C + "9") == f"{C}-B0001"
    assert validate_unit_code(K.BUILDING, f"{C}-B0001", C + "-W01") == f"{C}-B0001"
    # any other kind compares the whole parent code
    with pytest.raises(ValidationError, match="does not extend"):
        validate_unit_code(K.COMPOUND, f"{C}-Q01", C + "-W01")


@pytest.mark.parametrize("prefix", ["41", "4112", "411202", "411202001", C])
def test_scope_prefixes(prefix: str) -> None:
    assert validate_scope_prefix(prefix) == prefix


@pytest.mark.parametrize("prefix", ["4", "411", "41120", "4112020", "41120200", "4112020010",
                                    "41120200100", "4112020010011", "", "41a2", "４１",
                                    "４１１２", 41, None, "4１"])
def test_bad_scope_prefixes(prefix: object) -> None:
    e = refused(ValidationError, f"scope {prefix!r} is not a unit-code prefix: give the code of "
                "a province (2 digits, '41'), prefecture (4, '4112'), county (6, '411281'), "
                "sub-district (9) or community (12) @ scope", validate_scope_prefix, prefix)
    assert e.path == "scope"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("code", "community"), [
    (C + "-", C), (C + "X", None), (C + "-W01", C), ("", None), ("41120200100", None),
])
def test_community_of_edges(code: str, community: str | None) -> None:
    assert community_of(code) == community


def test_unit_refusals_exact() -> None:
    refused(ValidationError, "county 411202 needs a name @ name", Unit, "411202", K.COUNTY, " ")
    refused(ValidationError, "subdistrict 411202001: only a county has no parent unit; give the "
            "code of its county as parent_code @ parent_code", Unit, "411202001", "subdistrict",
            "街道")
    refused(ValidationError, "county 411202: only a county has no parent unit; give the code of "
            "its None as parent_code @ parent_code", Unit, "411202", K.COUNTY, "湖滨区", "41")
    # the parent code is checked
    with pytest.raises(ValidationError, match="does not extend its parent's code '411281'"):
        Unit("411202001", K.SUBDISTRICT, "街道", "411281")
    assert Unit("411202001", K.SUBDISTRICT, "街道", "411202").parent_code == "411202"
    e = refused(ValidationError, "name is published, and the text holds a mobile number "
                "(138****0007): personal numbers (ID or mobile numbers) may not be written to a "
                "public field; remove the number (write the name only, e.g. '李先生', and keep "
                "contact numbers in the resident's record) @ name",
                Unit, C, K.COMMUNITY, "社区13800000007", "411202001")
    assert e.path == "name"  # type: ignore[attr-defined]


def test_building_refusals_exact() -> None:
    refused(ValidationError, f"building code '{C}-B0001' does not extend its parent's code "
            "'411202001002': a unit's code starts with the code of the unit above it @ code",
            Building, f"{C}-B0001", "1号楼", "411202001002")
    refused(ValidationError, "name is published, and the text holds a mobile number "
            "(138****0007): personal numbers (ID or mobile numbers) may not be written to a "
            "public field; remove the number (write the name only, e.g. '李先生', and keep "
            "contact numbers in the resident's record) @ name",
            Building, f"{C}-B0001", "13800000007", C)
    refused(ValidationError, f"building {C}-B0001: households_planned must be 0 or more, got -1 "
            "@ households_planned", Building, f"{C}-B0001", "1号楼", C, households_planned=-1)
    assert Building(f"{C}-B0001", " 1号楼 ", C, households_planned=1).name == "1号楼"
