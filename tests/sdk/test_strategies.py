"""The test kit's strategies produce what they promise."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given

from community_governance.domain.funds import check_postings
from community_governance.domain.idnumber import parse_id_number
from community_governance.testing import strategies as cst


@given(cst.transactions())
def test_balanced_transactions_pass_the_ledger_checks(lines: list[Any]) -> None:
    """Draws postings that balance, on accounts of the national chart."""
    assert [] == check_postings(lines)


@given(cst.transactions(balanced=False))
def test_unbalanced_transactions_fail_the_ledger_checks(lines: list[Any]) -> None:
    """Draws postings whose debits and credits differ."""
    assert check_postings(lines)


@given(cst.id_numbers())
def test_id_numbers_are_valid(number: str) -> None:
    """Draws ID numbers the validator accepts."""
    assert number == parse_id_number(number, today=dt.date(2026, 1, 1)).number
