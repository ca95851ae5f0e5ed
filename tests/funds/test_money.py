"""Money helpers: exact Decimal CNY to the fen, floats refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community_governance.domain.funds import (
    Posting,
    check_postings,
    credit,
    debit,
    format_cny,
    from_fen,
    parse_quarter,
    positive_money,
    quarter_bounds,
    to_fen,
    to_money,
)
from community_governance.errors import ValidationError


@pytest.mark.parametrize("value,expected", [
    ("74000", Decimal("74000.00")), (74000, Decimal("74000.00")), ("1,250.5", Decimal("1250.50")),
    (Decimal("0.01"), Decimal("0.01")), ("¥ 12.30", Decimal("12.30")), ("-3", Decimal("-3.00")),
])
def test_parses_str_int_and_decimal_to_the_fen(value: object, expected: Decimal) -> None:
    """Parses str, int and Decimal amounts exactly, with two decimal places."""
    got = to_money(value)
    assert got == expected
    assert got.as_tuple().exponent == -2


@pytest.mark.parametrize("value", [0.1, 74000.0, float("nan")])
def test_refuses_floats_with_a_clear_error(value: float) -> None:
    """Refuses floats, naming the fix (a str or Decimal)."""
    with pytest.raises(ValidationError, match="float"):
        to_money(value)
    with pytest.raises(ValidationError, match="float"):
        debit("1002", value)
    with pytest.raises(ValidationError, match="float"):
        Posting("1002", value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["0.001", "12.345", "abc", "", True, None, [1], "Infinity"])
def test_refuses_sub_fen_and_non_numbers(value: object) -> None:
    """Refuses amounts finer than a fen, bools, non-numbers and infinities."""
    with pytest.raises(ValidationError):
        to_money(value)


@pytest.mark.parametrize("value", ["0", "-5", -1, Decimal("-0.01")])
def test_refuses_zero_and_negative_lines(value: object) -> None:
    """Refuses zero or negative amounts in debit and credit lines."""
    with pytest.raises(ValidationError, match="above zero"):
        debit("5101", value)
    with pytest.raises(ValidationError, match="above zero"):
        credit("1002", value)
    with pytest.raises(ValidationError):
        positive_money(value)


@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_fen_round_trip_is_exact(fen: int) -> None:
    """Converts integer fen to Decimal and back without loss."""
    amount = from_fen(fen)
    assert isinstance(amount, Decimal)
    assert to_fen(amount) == fen


@given(st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=8))
def test_balanced_lines_pass_and_a_fen_off_fails(amounts: list[int]) -> None:
    """Accepts lines whose debits equal credits and refuses them one fen off."""
    lines = [debit("1002", from_fen(a)) for a in amounts]
    lines.append(credit("4101", from_fen(sum(amounts))))
    assert check_postings(lines) == []
    lines.append(debit("1001", "0.01"))
    assert [v.rule for v in check_postings(lines)] == ["unbalanced"]


def test_formats_and_parses_periods() -> None:
    """Formats amounts with thousands separators and parses quarters."""
    assert format_cny(Decimal("74000")) == "74,000.00"
    assert parse_quarter("2019Q2") == (2019, 2)
    assert quarter_bounds(2019, 4) == (dt.date(2019, 10, 1), dt.date(2019, 12, 31))
    with pytest.raises(ValidationError):
        parse_quarter("2019Q5")
