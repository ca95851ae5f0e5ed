"""Batches: post_many, request_many, approve_many, pay_many (one transaction, audited once)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.funds import DisbursementState as S
from community_governance.domain.funds import credit, debit
from community_governance.domain.posts import PostKind
from community_governance.errors import (
    IdempotencyConflict,
    InsufficientBalance,
    PermissionDenied,
    UnbalancedTransaction,
)
from community_governance.services.funds import NewDisbursement, NewTransaction, Payment
from community_governance.storage.tables import core as t
from community_governance.storage.tables import funds as f
from community_governance.testing.city import SmallCity

SYSTEM = Actor.system("funds-test")
DAY = dt.date(2019, 3, 1)


def _gift(n: int, amount: str = "100", key: str | None = None) -> NewTransaction:
    return NewTransaction([debit("1002", amount), credit("4201", amount)], channel="individual",
                          voucher=f"JZ-{n}", on=DAY, memo="个人捐赠", counterparty="王秀英",
                          donor_consent=True, key=key)


def _count(gov: Any, table: sa.Table) -> int:
    with gov.store.unit_of_work(write=False) as uow:
        return int(uow.conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _audit(gov: Any, operation: str) -> list[list[str]]:
    with gov.store.unit_of_work(write=False) as uow:
        rows = uow.conn.execute(sa.select(t.audit_log.c.objects).where(
            t.audit_log.c.operation == operation)).scalars().all()
    return [json.loads(r) for r in rows]


def test_post_many_posts_each_once_and_audits_once(gov: Any, community: str) -> None:
    """Posts every transaction in order, audits the batch in one row, and posts nothing more
    when the batch is repeated with the same keys (or one is posted again by ``post``)."""
    batch = [_gift(i, str(100 + i), key=f"k{i}") for i in range(5)]
    first = gov.funds.post_many(SYSTEM, community, batch)
    assert [tx.voucher for tx in first] == [f"JZ-{i}" for i in range(5)]
    assert _audit(gov, "funds.post_many") == [[f"transaction:{tx.id}" for tx in first]]
    again = gov.funds.post_many(SYSTEM, community, batch)
    assert [tx.id for tx in again] == [tx.id for tx in first]
    single = gov.funds.post(SYSTEM, community, batch[2].postings, channel="individual",
                            voucher="JZ-2", on=DAY, memo="个人捐赠", counterparty="王秀英",
                            donor_consent=True, key="k2")
    assert single.id == first[2].id
    assert _count(gov, f.funds_transactions) == 5
    assert gov.funds.balances(SYSTEM, community)["1002"] == Decimal("510.00")


def test_post_many_is_all_or_nothing(gov: Any, community: str) -> None:
    """Writes nothing when one transaction of the batch is unbalanced."""
    bad = NewTransaction([debit("1002", "100"), credit("4201", "90")], channel="individual",
                         voucher="JZ-X", on=DAY)
    with pytest.raises(UnbalancedTransaction):
        gov.funds.post_many(SYSTEM, community, [_gift(1), bad])
    assert _count(gov, f.funds_transactions) == 0


def test_post_many_keeps_key_conflicts(gov: Any, community: str) -> None:
    """Refuses a key reused for a different transaction, as ``post`` does."""
    gov.funds.post_many(SYSTEM, community, [_gift(1, key="same")])
    with pytest.raises(IdempotencyConflict):
        gov.funds.post_many(SYSTEM, community, [_gift(2, "999", key="same")])


def test_post_many_checks_the_budgets_within_the_batch(gov: Any, funded: str) -> None:
    """Refuses the expense that takes the account over its budget, counting the expenses
    before it in the same batch."""
    gov.funds.set_budget(SYSTEM, funded, "5101", 2019, "1000")
    spend = [NewTransaction([debit("5101", "600"), credit("1002", "600")], channel="internal",
                            voucher=f"ZF-{i}", on=DAY) for i in range(2)]
    with pytest.raises(InsufficientBalance):
        gov.funds.post_many(SYSTEM, funded, spend)
    assert gov.funds.balances(SYSTEM, funded).get("5101", Decimal(0)) == Decimal(0)


def test_post_many_checks_the_right(gov: Any, community: str, small_city: SmallCity) -> None:
    """Refuses a grid leader, who may not post to the books."""
    leader = small_city.grid_leader[small_city.grids[community][0]]
    with pytest.raises(PermissionDenied):
        gov.funds.post_many(leader, community, [_gift(1)])


def test_disbursement_batches_follow_the_single_rules(gov: Any, funded: str,
                                                      small_city: SmallCity) -> None:
    """Requests, approves and pays a batch with the same states, approvals and postings as
    one by one; a repeated batch changes nothing; self-approval is still refused."""
    staff, director = small_city.staff[funded], small_city.director[funded]
    wanted = [NewDisbursement("5101", str(500 + i), payee="办公用品公司", purpose=f"打印纸{i}",
                              on=DAY, key=f"d{i}") for i in range(3)]
    asked = gov.funds.request_many(staff, funded, wanted)
    assert [d.state for d in asked] == [S.REQUESTED] * 3
    assert all(d.required_roles == (PostKind.DIRECTOR,) for d in asked)
    # what a batch answers is what reading the disbursements back gives
    assert asked == [gov.funds.disbursement(SYSTEM, d.id) for d in asked]
    with pytest.raises(PermissionDenied):
        gov.funds.approve_many(staff, [asked[0].id])
    approved = gov.funds.approve_many(director, [d.id for d in asked])
    assert [d.state for d in approved] == [S.APPROVED] * 3
    paid = gov.funds.pay_many(staff, [Payment(d.id, f"ZF-{i}", DAY)
                                      for i, d in enumerate(asked)])
    assert [d.state for d in paid] == [S.PAID] * 3
    assert paid == [gov.funds.disbursement(SYSTEM, d.id) for d in asked]
    assert gov.funds.balances(SYSTEM, funded)["5101"] == Decimal("1503.00")
    assert gov.funds.request_many(staff, funded, wanted)[1].id == asked[1].id
    again = gov.funds.pay_many(staff, [Payment(asked[0].id, "ZF-0", DAY)])
    assert again[0].transaction_id == paid[0].transaction_id
    assert _count(gov, f.funds_disbursements) == 3
    assert gov.funds.balances(SYSTEM, funded)["5101"] == Decimal("1503.00")
    assert len(_audit(gov, "funds.request_many")) == 2
    assert _audit(gov, "funds.approve_many") == [[f"disbursement:{d.id}" for d in asked]]


def test_pay_many_checks_the_balance(gov: Any, community: str,
                                     small_city: SmallCity) -> None:
    """Refuses paying more than the bank account holds, and pays none of the batch."""
    gov.funds.post(SYSTEM, community, [debit("1002", "1000"), credit("4101", "1000")],
                   channel="city_allocation", voucher="BK-1", on=dt.date(2019, 1, 8))
    staff = small_city.staff[community]
    asked = gov.funds.request_many(staff, community, [
        NewDisbursement("5101", "600", payee="甲", purpose="一", on=DAY),
        NewDisbursement("5101", "600", payee="乙", purpose="二", on=DAY)])
    gov.funds.approve_many(small_city.director[community], [d.id for d in asked])
    with pytest.raises(InsufficientBalance):
        gov.funds.pay_many(staff, [Payment(d.id, f"ZF-{i}", DAY) for i, d in enumerate(asked)])
    assert [d.state for d in gov.funds.disbursements(SYSTEM, community)] == [S.APPROVED] * 2


@pytest.mark.postgres
def test_batches_on_postgresql(postgres_url: str) -> None:
    """Posts, requests, approves and pays batches on PostgreSQL, replays included."""
    import community_governance
    from community_governance.testing.city import build_small_city

    with community_governance.open(postgres_url, entrypoints=False) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        gov.funds.post_many(SYSTEM, c, [_gift(1, "5000", key="g1"), _gift(2, "5000", key="g2")])
        gov.funds.post_many(SYSTEM, c, [_gift(1, "5000", key="g1")])
        asked = gov.funds.request_many(city.staff[c], c, [
            NewDisbursement("5101", "800", payee="甲", purpose="一", on=DAY, key="d1")])
        gov.funds.approve_many(city.director[c], [asked[0].id])
        paid = gov.funds.pay_many(city.staff[c], [Payment(asked[0].id, "ZF-1", DAY)])
        assert paid[0].state is S.PAID
        assert gov.funds.balances(SYSTEM, c)["1002"] == Decimal("9200.00")


def test_request_many_counts_the_requests_before_against_the_budget(
        gov: Any, funded: str, small_city: SmallCity) -> None:
    """A batch of requests counts what is spent, requested, reserved and what the requests
    before it in the batch asked for against the budget, as the same requests one by one."""
    staff = small_city.staff[funded]
    gov.funds.set_budget(SYSTEM, funded, "5101", 2019, "1000")
    gov.funds.post(SYSTEM, funded, [debit("5101", "100"), credit("1002", "100")],
                   channel="internal", voucher="ZF-0", on=DAY, memo="办公用品")
    gov.funds.reserve(SYSTEM, funded, "5101", 2019, "200", purpose="活动", ref="R1")
    gov.funds.request(staff, funded, "5101", "100", payee="甲", purpose="一", on=DAY)

    def ask(*amounts: str) -> list[Any]:
        return gov.funds.request_many(staff, funded, [
            NewDisbursement("5101", a, payee="乙", purpose=f"第{i}", on=DAY)
            for i, a in enumerate(amounts)])

    assert [d.over_budget for d in ask("300", "200")] == [False, False]  # 900 of 1000
    with pytest.raises(InsufficientBalance, match=r"950\.00 spent or requested"):
        ask("50", "60")  # 950, then 1010
    assert _count(gov, f.funds_disbursements) == 3
    assert [d.amount for d in ask("40", "60")] == [Decimal("40.00"), Decimal("60.00")]
    with pytest.raises(InsufficientBalance):
        ask("1")
