"""The ledger: balanced postings, refusals, idempotency, reversals, append-only, year-end close."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.funds import (
    Account,
    InKindItem,
    Posting,
    TransactionKind,
    credit,
    debit,
)
from community_governance.errors import (
    ConflictError,
    IdempotencyConflict,
    InsufficientBalance,
    NotFound,
    PermissionDenied,
    PluginError,
    UnbalancedTransaction,
    ValidationError,
)
from community_governance.markers import hookimpl
from community_governance.storage.tables import funds as f
from community_governance.testing.city import SmallCity

SYSTEM = Actor.system("funds-test")


def _count(gov: Any, table: sa.Table) -> int:
    with gov.store.unit_of_work(write=False) as uow:
        return int(uow.conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_posts_a_balanced_transaction_and_reads_it_back(gov: Any, funded: str) -> None:
    """Posts balanced lines and reads back the same Decimal amounts and balances."""
    tx = gov.funds.post(SYSTEM, funded, [debit("5101", "1234.56"), credit("1002", "1234.56")],
                        channel="internal", voucher="ZF-1", on=dt.date(2019, 2, 1))
    back = gov.funds.transaction(SYSTEM, tx.id)
    assert back.postings == (Posting("5101", Decimal("1234.56")),
                             Posting("1002", Decimal("-1234.56")))
    assert back.total == Decimal("1234.56")
    bal = gov.funds.balances(SYSTEM, funded)
    assert bal["1002"] == Decimal("72765.44")
    assert bal["5101"] == Decimal("1234.56")
    assert gov.funds.trial_balance(SYSTEM, funded).total == Decimal("0.00")


def test_refuses_unbalanced_transactions_and_writes_nothing(gov: Any, funded: str) -> None:
    """Refuses debits that differ from credits, leaving no row behind."""
    before = _count(gov, f.funds_postings)
    with pytest.raises(UnbalancedTransaction, match=r"differ by 0\.01"):
        gov.funds.post(SYSTEM, funded, [debit("5101", "100.00"), credit("1002", "99.99")],
                       channel="internal", voucher="ZF-2")
    with pytest.raises(ValidationError, match="at least two lines"):
        gov.funds.post(SYSTEM, funded, [debit("5101", "100")], channel="internal", voucher="x")
    assert _count(gov, f.funds_postings) == before


@pytest.mark.parametrize("lines,match", [
    (lambda: [debit("9999", "5"), credit("1002", "5")], "not in the community's chart"),
    (lambda: [Posting("5101", 5.0), credit("1002", "5")], "float"),
    (lambda: [debit("5101", "-5"), credit("1002", "-5")], "above zero"),
    (lambda: [("5101", "5"), ("1002", "-5")], "debit\\(\\) and credit\\(\\)"),
])
def test_refuses_bad_lines(gov: Any, funded: str, lines: Any, match: str) -> None:
    """Refuses unknown accounts, floats, negative amounts and lines that are not postings."""
    with pytest.raises(ValidationError, match=match):
        gov.funds.post(SYSTEM, funded, lines(), channel="internal", voucher="ZF-3")


def test_refuses_unknown_channel_missing_voucher_and_personal_numbers(
        gov: Any, funded: str, small_city: SmallCity) -> None:
    """Refuses an unknown channel, an empty voucher and ID or mobile numbers in free text."""
    lines = [debit("1002", "10"), credit("4201", "10")]
    with pytest.raises(ValidationError, match="channel"):
        gov.funds.post(SYSTEM, funded, lines, channel="lottery", voucher="V")
    with pytest.raises(ValidationError, match="voucher"):
        gov.funds.post(SYSTEM, funded, lines, channel="individual", voucher="  ")
    some_id = next(iter(small_city.id_numbers.values()))
    with pytest.raises(ValidationError, match="ID or mobile"):
        gov.funds.post(SYSTEM, funded, lines, channel="individual", voucher="V",
                       counterparty=f"居民 {some_id}")
    with pytest.raises(ValidationError, match="ID or mobile"):
        gov.funds.post(SYSTEM, funded, lines, channel="individual", voucher="V",
                       memo="联系电话13912345678")


def test_refuses_unknown_community(gov: Any, small_city: SmallCity) -> None:
    """Refuses books of a unit that is not a community."""
    with pytest.raises(NotFound):
        gov.funds.post(SYSTEM, small_city.subdistricts[0],
                       [debit("1002", "1"), credit("4101", "1")], channel="subdistrict",
                       voucher="V")


def test_same_idempotency_key_posts_once(gov: Any, funded: str) -> None:
    """Returns the first transaction when a request is replayed with its key."""
    args = dict(channel="individual", voucher="JZ-1", on=dt.date(2019, 5, 1),
                counterparty="王秀英", donor_consent=True, key="donation-1")
    a = gov.funds.post(SYSTEM, funded, [debit("1002", "500"), credit("4201", "500")], **args)
    b = gov.funds.post(SYSTEM, funded, [debit("1002", "500"), credit("4201", "500")], **args)
    assert a.id == b.id
    assert gov.funds.balances(SYSTEM, funded)["4201"] == Decimal("-500.00")
    with pytest.raises(IdempotencyConflict):
        gov.funds.post(SYSTEM, funded, [debit("1002", "600"), credit("4201", "600")], **args)


def test_corrections_are_reversing_transactions(gov: Any, funded: str) -> None:
    """Corrects with a reversal that nets the original to zero, once only."""
    tx = gov.funds.post(SYSTEM, funded, [debit("5105", "300"), credit("1002", "300")],
                        channel="internal", voucher="ZF-9", on=dt.date(2019, 2, 2))
    rev = gov.funds.reverse(SYSTEM, tx.id, voucher="HZ-9", on=dt.date(2019, 2, 3))
    assert rev.kind is TransactionKind.REVERSAL and rev.reverses == tx.id
    assert [p.amount for p in rev.postings] == [-p.amount for p in tx.postings]
    assert "5105" not in gov.funds.balances(SYSTEM, funded) or \
        gov.funds.balances(SYSTEM, funded)["5105"] == 0
    with pytest.raises(ConflictError, match="reversed already"):
        gov.funds.reverse(SYSTEM, tx.id, voucher="HZ-10")
    with pytest.raises(ConflictError, match="reversal"):
        gov.funds.reverse(SYSTEM, rev.id, voucher="HZ-11")


@pytest.mark.parametrize("table", ["funds_transactions", "funds_postings"])
def test_database_refuses_edits_of_posted_rows(gov: Any, funded: str, table: str) -> None:
    """Refuses UPDATE and DELETE of posted rows in the database itself."""
    with gov.store.unit_of_work(write=True) as uow, pytest.raises(sa.exc.DatabaseError,
                                                                  match="append-only"):
        uow.conn.execute(sa.text(f"UPDATE {table} SET date = date"))
    with gov.store.unit_of_work(write=True) as uow, pytest.raises(sa.exc.DatabaseError,
                                                                  match="append-only"):
        uow.conn.execute(sa.text(f"DELETE FROM {table}"))


def test_permissions_follow_posts(gov: Any, funded: str, small_city: SmallCity) -> None:
    """Lets the community's staff post; refuses grid leaders, other communities and the public."""
    lines = [debit("1002", "10"), credit("4301", "10")]
    gov.funds.post(small_city.staff[funded], funded, lines, channel="paid_service", voucher="S1")
    other = small_city.communities[2]
    for actor in (small_city.grid_leader[f"{funded}-W01"], small_city.director[other],
                  Actor.public()):
        with pytest.raises(PermissionDenied):
            gov.funds.post(actor, funded, lines, channel="paid_service", voucher="S2")
    with pytest.raises(PermissionDenied):
        gov.funds.trial_balance(Actor.public(), funded)


def test_county_trial_balance_is_scoped(gov: Any, funded: str, small_city: SmallCity) -> None:
    """Sums to zero over all communities, and a director sees only their own community."""
    other = small_city.communities[2]
    gov.funds.post(SYSTEM, other, [debit("1002", "999"), credit("4103", "999")],
                   channel="subdistrict", voucher="W1")
    county = gov.funds.trial_balance(SYSTEM)
    assert county.total == 0
    assert {r.account: r.balance for r in county.rows}["1002"] == Decimal("74999.00")
    mine = gov.funds.trial_balance(small_city.director[other])
    assert {r.account: r.balance for r in mine.rows}["1002"] == Decimal("999.00")


def test_in_kind_support_is_recorded_at_estimated_value(gov: Any, funded: str) -> None:
    """Records computers and desks as assets in kind against in-kind income."""
    tx = gov.funds.record_in_kind(
        SYSTEM, funded, [InKindItem("台式电脑", 5, "3500"), InKindItem("办公桌", 10, "450.50")],
        donor="义马市财政局", voucher="SW-1", on=dt.date(2019, 3, 12))
    assert tx.total == Decimal("22005.00")
    items = gov.funds.in_kind_items(SYSTEM, funded)
    assert [(i.description, i.quantity, i.value) for _, i in items] == [
        ("台式电脑", 5, Decimal("17500.00")), ("办公桌", 10, Decimal("4505.00"))]
    assert gov.funds.balances(SYSTEM, funded)["1501"] == Decimal("22005.00")
    with pytest.raises(ValidationError):
        InKindItem("椅子", 0, "10")


def test_budget_refuses_direct_spending_beyond_it(gov: Any, funded: str) -> None:
    """Refuses an expense posting that would exceed the account's budget of the year."""
    gov.funds.set_budget(SYSTEM, funded, "5101", 2019, "1000")
    gov.funds.post(SYSTEM, funded, [debit("5101", "999.99"), credit("1002", "999.99")],
                   channel="internal", voucher="Z1", on=dt.date(2019, 4, 1))
    with pytest.raises(InsufficientBalance, match="beyond its budget"):
        gov.funds.post(SYSTEM, funded, [debit("5101", "0.02"), credit("1002", "0.02")],
                       channel="internal", voucher="Z2", on=dt.date(2019, 4, 2))
    # another year has its own budget (none: no limit)
    gov.funds.post(SYSTEM, funded, [debit("5101", "5000"), credit("1002", "5000")],
                   channel="internal", voucher="Z3", on=dt.date(2020, 1, 2))
    with pytest.raises(ValidationError, match="below"):
        gov.funds.set_budget(SYSTEM, funded, "5101", 2019, "10")
    with pytest.raises(ValidationError, match="expense"):
        gov.funds.set_budget(SYSTEM, funded, "4101", 2019, "10")
    with pytest.raises(ValidationError, match="negative"):
        gov.funds.set_budget(SYSTEM, funded, "5101", 2019, "-10")
    [b] = gov.funds.budgets(SYSTEM, funded, 2019)
    assert (b.amount, b.spent, b.remaining) == (Decimal("1000.00"), Decimal("999.99"),
                                                Decimal("0.01"))


def test_year_end_close_carries_the_result_forward(gov: Any, funded: str) -> None:
    """Closes income and expense into fund balances, then refuses postings into the year."""
    gov.funds.post(SYSTEM, funded, [debit("1002", "20000"), credit("4102", "20000")],
                   channel="subdistrict", voucher="C1", on=dt.date(2019, 2, 20))
    gov.funds.post(SYSTEM, funded, [debit("5102", "3000"), debit("5101", "4000"),
                                    credit("1002", "7000")],
                   channel="internal", voucher="Z1", on=dt.date(2019, 6, 1))
    tx = gov.funds.close_year(SYSTEM, funded, 2019)
    assert tx is not None and tx.date == dt.date(2019, 12, 31)
    assert gov.funds.close_year(SYSTEM, funded, 2019).id == tx.id
    carried = gov.funds.carry_forward(SYSTEM, funded, 2019)
    assert carried == {"1002": Decimal("87000.00"), "3101": Decimal("-70000.00"),
                       "3102": Decimal("-17000.00")}
    bal = gov.funds.balances(SYSTEM, funded, as_of=dt.date(2019, 12, 31))
    assert all(v == 0 for a, v in bal.items() if a[0] in "45")
    assert gov.funds.trial_balance(SYSTEM, funded).total == 0
    with pytest.raises(ConflictError, match="closed"):
        gov.funds.post(SYSTEM, funded, [debit("1002", "1"), credit("4301", "1")],
                       channel="paid_service", voucher="late", on=dt.date(2019, 12, 30))
    mix = gov.funds.funding_mix(SYSTEM, 2019, funded)[0]
    assert mix.total == Decimal("94000.00")  # the closing entry is not income


def test_chart_comes_from_the_hook_and_counties_may_add_accounts(small_city: SmallCity) -> None:
    """Adds a county plugin's account to the chart and refuses conflicting definitions."""
    import community_governance as cg
    from community_governance.testing.city import build_small_city

    class County:
        @hookimpl
        def cgov_funds_accounts(self, community_code: str) -> list[Account]:
            return [Account("4701", "养老服务补贴", "Elderly care subsidy", "income", "care")]

    with cg.open("memory://", plugins=[County()], entrypoints=False) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        assert "4701" in {a.code for a in gov.funds.chart(c)}
        gov.funds.post(SYSTEM, c, [debit("1002", "10"), credit("4701", "10")],
                       channel="city_allocation", voucher="Y1")

    class Broken:
        @hookimpl
        def cgov_funds_accounts(self, community_code: str) -> list[Account]:
            return [Account("4101", "别的", "Other", "expense")]

    with cg.open("memory://", plugins=[Broken()], entrypoints=False) as gov:
        city = build_small_city(gov)
        with pytest.raises(PluginError, match="defined twice"):
            gov.funds.chart(city.communities[0])
