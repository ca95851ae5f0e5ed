"""Hypothesis strategies for plugin authors and for our own tests.

Example::

    from hypothesis import given
    from community_governance.testing import strategies as cst

    @given(cst.id_numbers())
    def test_my_rule_accepts_every_valid_number(number):
        ...
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from community_governance.domain.idnumber import PROVINCES, check_character, compose_id_number
from community_governance.domain.people import Relation, Vulnerability
from community_governance.domain.units import Building, Unit, UnitKind

__all__ = [
    "birth_dates",
    "buildings",
    "community_codes",
    "id_numbers",
    "invalid_id_numbers",
    "new_residents",
    "phones",
    "region_codes",
    "units_tree",
]

TODAY = dt.date(2026, 1, 1)


def birth_dates(min_year: int = 1900, today: dt.date = TODAY) -> st.SearchStrategy[dt.date]:
    """Birth dates from ``min_year`` to ``today``."""
    return st.dates(min_value=dt.date(min_year, 1, 1), max_value=today)


def region_codes() -> st.SearchStrategy[str]:
    """6-digit region codes with a real province code (county part arbitrary)."""
    return st.builds(lambda p, rest: f"{p}{rest:04d}", st.sampled_from(sorted(PROVINCES)),
                     st.integers(0, 9999))


def id_numbers(today: dt.date = TODAY) -> st.SearchStrategy[str]:
    """Valid 18-character resident ID numbers (some ending in X)."""
    return st.builds(compose_id_number, region_codes(), birth_dates(today=today),
                     st.integers(0, 999))


def _corrupt(number: str, pos: int, digit: str) -> str:
    return number[:pos] + digit + number[pos + 1:]


@st.composite
def invalid_id_numbers(draw: st.DrawFn, today: dt.date = TODAY) -> str:
    """ID numbers that the validator must refuse: a wrong check character, an impossible or
    future birth date, an unknown province, 15 digits, a wrong length or a letter inside."""
    good = draw(id_numbers(today))
    kind = draw(st.sampled_from(["check", "date", "future", "province", "legacy", "length",
                                 "letter"]))
    if kind == "check":
        wrong = draw(st.sampled_from([c for c in "0123456789X" if c != good[17]]))
        return good[:17] + wrong
    if kind == "date":
        first = good[:6] + "19500230" + good[14:17]
        return first + check_character(first)
    if kind == "future":
        first = good[:6] + f"{today.year + 1}0101" + good[14:17]
        return first + check_character(first)
    if kind == "province":
        first = draw(st.sampled_from(["00", "19", "29", "55", "99"])) + good[2:17]
        return first + check_character(first)
    if kind == "legacy":
        return good[:6] + good[8:17]
    if kind == "length":
        return good[: draw(st.integers(1, 17))]
    pos = draw(st.integers(0, 16))
    return _corrupt(good, pos, draw(st.sampled_from("ABCZ")))


def phones() -> st.SearchStrategy[str]:
    """Mainland mobile numbers."""
    return st.builds(lambda p, n: f"1{p}{n:09d}", st.sampled_from("3456789"),
                     st.integers(0, 999_999_999))


def community_codes(county: str = "411281") -> st.SearchStrategy[str]:
    """12-digit community codes under ``county``."""
    return st.builds(lambda s, c: f"{county}{s:03d}{c:03d}", st.integers(1, 20),
                     st.integers(1, 40))


@st.composite
def units_tree(draw: st.DrawFn, county: str = "411281") -> list[Unit]:
    """A county with sub-districts, communities and grids, parents before children."""
    out = [Unit(county, UnitKind.COUNTY, "测试县")]
    for s in range(1, draw(st.integers(1, 3)) + 1):
        sd = f"{county}{s:03d}"
        out.append(Unit(sd, UnitKind.SUBDISTRICT, f"第{s}办事处", county))
        for c in range(1, draw(st.integers(1, 3)) + 1):
            cc = f"{sd}{c:03d}"
            out.append(Unit(cc, UnitKind.COMMUNITY, f"第{c}社区", sd))
            for g in range(1, draw(st.integers(0, 3)) + 1):
                out.append(Unit(f"{cc}-W{g:02d}", UnitKind.GRID, f"第{g}网格", cc))
    return out


def buildings(community: str) -> st.SearchStrategy[Building]:
    """Buildings of ``community`` with positions and planned households."""
    return st.builds(
        lambda n, x, y, h: Building(f"{community}-B{n:04d}", f"{n}号楼", community, x=x, y=y,
                                    households_planned=h),
        st.integers(1, 9999), st.floats(0, 5000), st.floats(0, 5000), st.integers(1, 300))


@st.composite
def new_residents(draw: st.DrawFn, household_id: str, today: dt.date = TODAY) -> object:
    """A ``NewResident`` of ``household_id`` with a valid ID number."""
    from community_governance.services.registry import NewResident

    return NewResident(
        name=draw(st.sampled_from(["王", "李", "张", "刘", "陈"])) + draw(
            st.sampled_from(["伟", "芳", "娜", "敏", "静", "强"])),
        id_number=draw(id_numbers(today)), household_id=household_id,
        relation=draw(st.sampled_from(list(Relation))),
        phone=draw(st.none() | phones()),
        vulnerabilities=draw(st.lists(st.sampled_from(list(Vulnerability)), max_size=2,
                                      unique=True)),
    )
