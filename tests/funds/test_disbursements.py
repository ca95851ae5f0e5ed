"""Disbursements: requested → approved → paid, or rejected; approvals from the hook."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

import community_governance as cg
from community_governance.domain.access import Actor
from community_governance.domain.funds import DisbursementState as S
from community_governance.domain.funds import credit, debit
from community_governance.domain.posts import PostKind
from community_governance.errors import (
    IdempotencyConflict,
    InsufficientBalance,
    InvalidTransition,
    PermissionDenied,
    PluginError,
    ValidationError,
)
from community_governance.markers import hookimpl
from community_governance.testing.city import SmallCity, build_small_city

SYSTEM = Actor.system("funds-test")
DAY = dt.date(2019, 3, 1)


def test_small_request_needs_the_director_only(gov: Any, funded: str,
                                               small_city: SmallCity) -> None:
    """Moves a small request through director approval and payment, posting it once."""
    fx = gov.funds
    d = fx.request(small_city.staff[funded], funded, "5101", "800", payee="办公用品公司",
                   purpose="打印纸", on=DAY)
    assert d.state is S.REQUESTED and d.required_roles == (PostKind.DIRECTOR,)
    d = fx.approve(small_city.director[funded], d.id)
    assert d.state is S.APPROVED
    paid = fx.pay(small_city.staff[funded], d.id, voucher="ZF-1", on=DAY)
    assert paid.state is S.PAID and paid.transaction_id is not None
    again = fx.pay(small_city.staff[funded], d.id, voucher="ZF-1", on=DAY)
    assert again.transaction_id == paid.transaction_id
    bal = fx.balances(SYSTEM, funded)
    assert bal["5101"] == Decimal("800.00") and bal["1002"] == Decimal("73200.00")


def test_large_request_needs_director_and_subdistrict(gov: Any, funded: str,
                                                      small_city: SmallCity) -> None:
    """Requires both the director and the sub-district above the threshold."""
    fx = gov.funds
    d = fx.request(small_city.staff[funded], funded, "5104", "5000.01", payee="维修公司",
                   purpose="活动室维修", on=DAY)
    assert set(d.required_roles) == {PostKind.DIRECTOR, PostKind.SUBDISTRICT_STAFF}
    d = fx.approve(small_city.director[funded], d.id)
    assert d.state is S.REQUESTED and d.missing_roles == (PostKind.SUBDISTRICT_STAFF,)
    with pytest.raises(InvalidTransition):
        fx.pay(small_city.staff[funded], d.id, voucher="ZF-2")
    # approving twice is harmless and fills no second role
    assert fx.approve(small_city.director[funded], d.id).missing_roles == (
        PostKind.SUBDISTRICT_STAFF,)
    with pytest.raises(PermissionDenied):  # the other sub-district does not cover it
        fx.approve(small_city.subdistrict_staff[small_city.subdistricts[1]], d.id)
    d = fx.approve(small_city.subdistrict_staff[funded[:9]], d.id)
    assert d.state is S.APPROVED
    assert {a.role for a in d.approvals} == {PostKind.DIRECTOR, PostKind.SUBDISTRICT_STAFF}


def test_refuses_self_approval(gov: Any, funded: str, small_city: SmallCity) -> None:
    """Refuses an approver approving their own request, with the rule in the message."""
    director = small_city.director[funded]
    d = gov.funds.request(director, funded, "5101", "100", payee="商店", purpose="茶叶", on=DAY)
    with pytest.raises(PermissionDenied, match="cannot approve it"):
        gov.funds.approve(director, d.id)
    assert gov.funds.disbursement(SYSTEM, d.id).approvals == ()


def test_refuses_approvers_without_the_post(gov: Any, funded: str,
                                            small_city: SmallCity) -> None:
    """Refuses staff, grid leaders and the public as approvers of a director's role."""
    d = gov.funds.request(small_city.staff[funded], funded, "5101", "100", payee="商店",
                          purpose="茶叶", on=DAY)
    for actor in (small_city.cadre[funded], small_city.grid_leader[f"{funded}-W01"],
                  Actor.public(), small_city.director[small_city.communities[1]]):
        with pytest.raises(PermissionDenied):
            gov.funds.approve(actor, d.id)


def test_rejection_ends_a_request(gov: Any, funded: str, small_city: SmallCity) -> None:
    """Rejects a request with a reason; it can then be neither approved nor paid."""
    d = gov.funds.request(small_city.staff[funded], funded, "5103", "300", payee="演出队",
                          purpose="演出", on=DAY)
    with pytest.raises(PermissionDenied):
        gov.funds.reject(small_city.grid_leader[f"{funded}-W01"], d.id, reason="no")
    d = gov.funds.reject(small_city.director[funded], d.id, reason="预算不足")
    assert d.state is S.REJECTED and d.reason == "预算不足"
    with pytest.raises(InvalidTransition):
        gov.funds.approve(small_city.director[funded], d.id)
    with pytest.raises(InvalidTransition):
        gov.funds.pay(SYSTEM, d.id, voucher="x")


def test_refuses_bad_requests(gov: Any, funded: str, small_city: SmallCity) -> None:
    """Refuses negative, float and zero amounts, income accounts and unknown accounts."""
    staff = small_city.staff[funded]
    for amount in ("-5", 5.5, "0"):
        with pytest.raises(ValidationError):
            gov.funds.request(staff, funded, "5101", amount, payee="p", purpose="x")
    for account in ("4101", "9999"):
        with pytest.raises(ValidationError):
            gov.funds.request(staff, funded, account, "5", payee="p", purpose="x")


def test_budget_refuses_requests_and_payments_beyond_it(gov: Any, funded: str,
                                                        small_city: SmallCity) -> None:
    """Refuses a request beyond the budget, and a payment the budget no longer covers."""
    fx, staff, director = gov.funds, small_city.staff[funded], small_city.director[funded]
    fx.set_budget(SYSTEM, funded, "5103", 2019, "1000")
    a = fx.request(staff, funded, "5103", "600", payee="p", purpose="a", on=DAY)
    with pytest.raises(InsufficientBalance, match="beyond"):
        fx.request(staff, funded, "5103", "600", payee="p", purpose="b", on=DAY)
    fx.reject(director, a.id, reason="改期")
    b = fx.request(staff, funded, "5103", "600", payee="p", purpose="b", on=DAY)
    fx.approve(director, b.id)
    # the budget shrinks by direct spending between approval and payment
    fx.post(SYSTEM, funded, [debit("5103", "500"), credit("1002", "500")], channel="internal",
            voucher="Z", on=DAY)
    with pytest.raises(InsufficientBalance, match="cannot be paid"):
        fx.pay(staff, b.id, voucher="ZF-3", on=DAY)
    assert fx.disbursement(SYSTEM, b.id).state is S.APPROVED


def test_payment_needs_money_in_the_paying_account(gov: Any, community: str,
                                                   small_city: SmallCity) -> None:
    """Refuses paying more than the bank account holds."""
    d = gov.funds.request(small_city.staff[community], community, "5101", "10", payee="p",
                          purpose="x", on=DAY)
    gov.funds.approve(small_city.director[community], d.id)
    with pytest.raises(InsufficientBalance, match=r"holds 0\.00"):
        gov.funds.pay(small_city.staff[community], d.id, voucher="ZF")


def test_request_replayed_with_its_key_is_recorded_once(gov: Any, funded: str,
                                                        small_city: SmallCity) -> None:
    """Returns the first request for a replayed key and refuses the key for another one."""
    staff = small_city.staff[funded]
    a = gov.funds.request(staff, funded, "5101", "50", payee="p", purpose="x", on=DAY, key="r1")
    b = gov.funds.request(staff, funded, "5101", "50", payee="p", purpose="x", on=DAY, key="r1")
    assert a.id == b.id and len(gov.funds.disbursements(SYSTEM, funded)) == 1
    with pytest.raises(IdempotencyConflict):
        gov.funds.request(staff, funded, "5101", "51", payee="p", purpose="x", on=DAY, key="r1")


class OverBudgetCounty:
    """A county that lets the care fund exceed its budget with the secretary's approval."""

    @hookimpl
    def cgov_funds_over_budget(self, community_code: str, account: str) -> list[str] | None:
        return ["secretary"] if account == "5102" else None

    @hookimpl
    def cgov_funds_required_approvals(self, amount: Decimal) -> list[str] | None:
        return [] if amount <= Decimal("50") else None


def test_county_rules_name_over_budget_approvals() -> None:
    """Adds the county's over-budget approvals and lets tiny requests pass unapproved."""
    with cg.open("memory://", plugins=[OverBudgetCounty()], entrypoints=False) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        gov.funds.post(SYSTEM, c, [debit("1002", "9000"), credit("4102", "9000")],
                       channel="subdistrict", voucher="C1", on=DAY)
        gov.funds.set_budget(SYSTEM, c, "5102", 2019, "1000")
        d = gov.funds.request(city.staff[c], c, "5102", "1500", payee="困难家庭救助",
                              purpose="急难救助", on=DAY)
        assert d.over_budget and PostKind.SECRETARY in d.required_roles
        for actor in (city.director[c], city.secretary[c]):
            d = gov.funds.approve(actor, d.id)
        assert gov.funds.pay(city.staff[c], d.id, voucher="ZF", on=DAY).state is S.PAID
        tiny = gov.funds.request(city.staff[c], c, "5101", "20", payee="p", purpose="x", on=DAY)
        assert tiny.state is S.APPROVED and tiny.required_roles == ()
        with pytest.raises(InsufficientBalance):  # other accounts keep the national rule
            gov.funds.set_budget(SYSTEM, c, "5103", 2019, "10")
            gov.funds.request(city.staff[c], c, "5103", "60", payee="p", purpose="x", on=DAY)


def test_bad_approval_answers_are_plugin_errors() -> None:
    """Turns an approvals answer naming no real post into a PluginError; nothing is written."""

    class Broken:
        @hookimpl
        def cgov_funds_required_approvals(self) -> list[str]:
            return ["mayor"]

    with cg.open("memory://", plugins=[Broken()], entrypoints=False) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        with pytest.raises(PluginError, match="cgov_funds_required_approvals"):
            gov.funds.request(city.staff[c], c, "5101", "10", payee="p", purpose="x")
        assert gov.funds.disbursements(SYSTEM, c) == []
