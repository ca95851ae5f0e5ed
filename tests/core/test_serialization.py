"""The converter round-trips the domain's values."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community_governance.domain.funds import Account, AccountType, InKindItem
from community_governance.domain.people import Household
from community_governance.domain.posts import HolderKind, PartnerUnit, Post, PostKind
from community_governance.domain.units import Building, Unit
from community_governance.errors import ValidationError
from community_governance.serialization import make_converter, structure, to_jsonable
from community_governance.testing import strategies as cst

CONV = make_converter()


def _round_trip(obj: object) -> object:
    data = json.loads(json.dumps(CONV.unstructure(obj)))
    return CONV.structure(data, type(obj))


@given(cst.units_tree())
def test_units_round_trip_through_json(units: list[Unit]) -> None:
    """Structures back exactly the units it unstructured, through JSON text."""
    assert units == [_round_trip(u) for u in units]


@given(cst.buildings("411281001001"))
def test_buildings_round_trip(b: Building) -> None:
    """Round-trips buildings, positions and planned households included."""
    assert b == _round_trip(b)


@given(st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)),
       st.none() | st.dates(dt.date(2031, 1, 1), dt.date(2040, 1, 1)),
       st.sampled_from(list(PostKind)))
def test_posts_round_trip(start: dt.date, end: dt.date | None, kind: PostKind) -> None:
    """Round-trips posts with their terms and enums."""
    post = Post("P1", kind, "411281001001", HolderKind.STAFF, "S1", start, end, ("a", "b"))
    assert post == _round_trip(post)


@given(cst.money())
def test_money_keeps_its_fen(amount: Decimal) -> None:
    """Writes money as text and reads back the same Decimal, to the fen."""
    item = InKindItem("台式电脑", 2, amount)
    data = CONV.unstructure(item)
    assert isinstance(data["unit_value"], str)
    assert item == CONV.structure(data, InKindItem)


def test_refuses_money_as_a_float_naming_the_path() -> None:
    """Refuses a float where money is expected, and says where."""
    with pytest.raises(ValidationError, match=r"unit_value") as info:
        structure({"description": "x", "quantity": 1, "unit_value": 0.1}, InKindItem)
    assert "float" in str(info.value.__cause__.exceptions[0])  # type: ignore[union-attr]


def test_other_domain_values() -> None:
    """Round-trips households, partner units and accounts."""
    for obj in (Household("H1", "411281001001-B0001", "1-1-101", dt.date(2019, 1, 1)),
                PartnerUnit("PU1", "义马市财政局", "assigned_bureau", ("411281001001",)),
                Account("4101", "办公经费", "Office funds", AccountType.INCOME, "office")):
        assert obj == _round_trip(obj)


def test_to_jsonable_makes_plain_data() -> None:
    """Produces data json can write, enums as values and dates as ISO text."""
    data = to_jsonable({"when": dt.date(2019, 6, 1), "kind": PostKind.GRID_LEADER,
                        "amount": Decimal("74000.00")})
    assert {"when": "2019-06-01", "kind": "grid_leader", "amount": "74000.00"} == data
