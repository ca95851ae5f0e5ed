"""Administrative and service units: county → sub-district → community → grid / compound → building.

Codes follow the national statistical division code (统计用区划代码): a county has 6 digits
(Yima 411281), a sub-district 9 (411281001), a community 12 (411281001001). Units below the
community extend their community's code with a letter and a number, so that a code's prefix
always names every unit above it: grid ``411281001001-W03`` (网格), compound
``411281001001-Q02`` (小区), building ``411281001001-B0042`` (楼院).
"""

from __future__ import annotations

import enum
import re

import attrs

from community_governance.domain.pii_text import check_public_text
from community_governance.errors import ValidationError

__all__ = [
    "Building",
    "Unit",
    "UnitKind",
    "building_code",
    "community_of",
    "compound_code",
    "grid_code",
    "parent_kind",
    "validate_scope_prefix",
    "validate_unit_code",
]


class UnitKind(enum.StrEnum):
    """The kinds of unit in the service hierarchy."""

    COUNTY = "county"  #: 县/县级市/区
    SUBDISTRICT = "subdistrict"  #: 办事处/街道
    COMMUNITY = "community"  #: 社区
    GRID = "grid"  #: 网格
    COMPOUND = "compound"  #: 小区
    BUILDING = "building"  #: 楼院

    @property
    def chinese(self) -> str:
        """The Chinese term for this kind of unit."""
        return _CHINESE[self]


_CHINESE = {
    UnitKind.COUNTY: "县(市、区)",
    UnitKind.SUBDISTRICT: "办事处/街道",
    UnitKind.COMMUNITY: "社区",
    UnitKind.GRID: "网格",
    UnitKind.COMPOUND: "小区",
    UnitKind.BUILDING: "楼院",
}

_PATTERNS: dict[UnitKind, re.Pattern[str]] = {
    UnitKind.COUNTY: re.compile(r"\d{6}"),
    UnitKind.SUBDISTRICT: re.compile(r"\d{9}"),
    UnitKind.COMMUNITY: re.compile(r"\d{12}"),
    UnitKind.GRID: re.compile(r"\d{12}-W\d{2,4}"),
    UnitKind.COMPOUND: re.compile(r"\d{12}-Q\d{2,4}"),
    UnitKind.BUILDING: re.compile(r"\d{12}-B\d{3,5}"),
}

_EXAMPLES = {
    UnitKind.COUNTY: "411281",
    UnitKind.SUBDISTRICT: "411281001",
    UnitKind.COMMUNITY: "411281001001",
    UnitKind.GRID: "411281001001-W03",
    UnitKind.COMPOUND: "411281001001-Q02",
    UnitKind.BUILDING: "411281001001-B0042",
}

_PARENT: dict[UnitKind, UnitKind | None] = {
    UnitKind.COUNTY: None,
    UnitKind.SUBDISTRICT: UnitKind.COUNTY,
    UnitKind.COMMUNITY: UnitKind.SUBDISTRICT,
    UnitKind.GRID: UnitKind.COMMUNITY,
    UnitKind.COMPOUND: UnitKind.COMMUNITY,
    UnitKind.BUILDING: UnitKind.COMMUNITY,
}


def parent_kind(kind: UnitKind) -> UnitKind | None:
    """The kind of unit a unit of ``kind`` must hang under (``None`` for a county)."""
    return _PARENT[kind]


def validate_unit_code(kind: UnitKind, code: str, parent_code: str | None = None) -> str:
    """Check a unit code's shape and that it extends its parent's code.

    Args:
        kind: the unit's kind.
        code: the code to check.
        parent_code: the parent unit's code, if known.

    Returns:
        The code, unchanged.

    Raises:
        ValidationError: the code has the wrong shape or does not extend its parent's code.
    """
    if not isinstance(code, str) or not _PATTERNS[kind].fullmatch(code):
        raise ValidationError(
            f"{kind.value} code {code!r} has the wrong shape: a {kind.chinese} code looks like "
            f"{_EXAMPLES[kind]!r}",
            path="code",
        )
    if parent_code is not None:
        expected_prefix = parent_code if kind is not UnitKind.BUILDING else parent_code[:12]
        if not code.startswith(expected_prefix):
            raise ValidationError(
                f"{kind.value} code {code!r} does not extend its parent's code "
                f"{parent_code!r}: a unit's code starts with the code of the unit above it",
                path="code",
            )
    return code


#: The lengths of a unit-code prefix naming a whole administrative area: province (省, 2 digits),
#: prefecture (地级市, 4), county (县级, 6), sub-district (办事处/街道, 9), community (社区, 12).
SCOPE_PREFIX_LENGTHS = (2, 4, 6, 9, 12)


def validate_scope_prefix(prefix: object) -> str:
    """Check that ``prefix`` names a whole administrative area by its code prefix.

    A plugin's scope (``cgov_plugin_scope``) is a list of such prefixes: ``"41"`` (Henan),
    ``"4112"`` (三门峡市), ``"411281"`` (义马市), a sub-district or a community code.

    Returns:
        The prefix, unchanged.

    Raises:
        ValidationError: it is not a string of 2, 4, 6, 9 or 12 digits.
    """
    if (not isinstance(prefix, str) or not prefix.isascii() or not prefix.isdigit()
            or len(prefix) not in SCOPE_PREFIX_LENGTHS):
        raise ValidationError(
            f"scope {prefix!r} is not a unit-code prefix: give the code of a province (2 "
            "digits, '41'), prefecture (4, '4112'), county (6, '411281'), sub-district (9) or "
            "community (12)", path="scope")
    return prefix


def community_of(code: str) -> str | None:
    """The community code a grid, compound or building code extends (``None`` above)."""
    return code[:12] if len(code) > 12 and code[12] == "-" else (code if len(code) == 12 else None)


def grid_code(community: str, number: int) -> str:
    """The code of grid ``number`` of ``community``: ``411281001001-W03``."""
    return f"{community}-W{number:02d}"


def compound_code(community: str, number: int) -> str:
    """The code of compound ``number`` of ``community``: ``411281001001-Q02``."""
    return f"{community}-Q{number:02d}"


def building_code(community: str, number: int) -> str:
    """The code of building ``number`` of ``community``: ``411281001001-B0042``."""
    return f"{community}-B{number:04d}"


def _strip(value: str) -> str:
    return value.strip()


@attrs.frozen
class Unit:
    """A unit of the service hierarchy: county (县), sub-district (办事处/街道), community
    (社区), grid (网格) or compound (小区).

    Attributes:
        code: the unit's code (see the module docstring).
        kind: its kind.
        name: its name, in Chinese as the county writes it (e.g. ``千秋路办事处``).
        parent_code: the code of the unit above it; ``None`` only for a county.
    """

    code: str
    kind: UnitKind = attrs.field(converter=UnitKind)
    name: str = attrs.field(converter=_strip)
    parent_code: str | None = None

    def __attrs_post_init__(self) -> None:
        validate_unit_code(self.kind, self.code, self.parent_code)
        if not self.name:
            raise ValidationError(f"{self.kind.value} {self.code} needs a name", path="name")
        check_public_text(self.name, "name")
        if (self.parent_code is None) != (self.kind is UnitKind.COUNTY):
            raise ValidationError(
                f"{self.kind.value} {self.code}: only a county has no parent unit; "
                f"give the code of its {parent_kind(self.kind)} as parent_code",
                path="parent_code",
            )


@attrs.frozen
class Building:
    """A building or courtyard (楼院) where households live.

    Attributes:
        code: ``<community>-B<nnnn>``.
        name: e.g. ``连银小区3号楼``.
        community_code: the community it belongs to.
        compound_code: the compound (小区) that groups it, if any.
        grid_code: the grid (网格) it is in, once grids are drawn.
        x: easting in projected metres (or longitude, see ``grids``), if known.
        y: northing in projected metres (or latitude), if known.
        households_planned: the number of dwellings, used before households are registered.
    """

    code: str
    name: str = attrs.field(converter=_strip)
    community_code: str
    compound_code: str | None = None
    grid_code: str | None = None
    x: float | None = None
    y: float | None = None
    households_planned: int = 0

    def __attrs_post_init__(self) -> None:
        validate_unit_code(UnitKind.BUILDING, self.code, self.community_code)
        check_public_text(self.name, "name")
        if self.compound_code is not None:
            validate_unit_code(UnitKind.COMPOUND, self.compound_code, self.community_code)
        if self.grid_code is not None:
            validate_unit_code(UnitKind.GRID, self.grid_code, self.community_code)
        if self.households_planned < 0:
            raise ValidationError(
                f"building {self.code}: households_planned must be 0 or more, got "
                f"{self.households_planned}",
                path="households_planned",
            )
