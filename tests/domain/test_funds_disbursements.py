"""The disbursement state machine and its approvers, in-kind items and channel labels, each
rule with every case in a table and its refusal's exact wording (issue #13 item 11)."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from community_governance.domain.funds import (
    Approval,
    Channel,
    DisbursementState,
    InKindItem,
    Violation,
    check_approver,
    check_transition,
)
from community_governance.domain.posts import PostKind
from community_governance.errors import ValidationError

S = DisbursementState
ALLOWED = {(S.REQUESTED, S.APPROVED), (S.REQUESTED, S.REJECTED), (S.APPROVED, S.PAID),
           (S.APPROVED, S.REJECTED)}


@pytest.mark.parametrize(("current", "to"), list(itertools.product(S, S)))
def test_transition_table(current: DisbursementState, to: DisbursementState) -> None:
    """Every pair of states: requested → approved → paid, or to rejected before it is paid;
    nothing leaves paid or rejected, and no state moves to itself."""
    got = check_transition(current, to)
    if (current, to) in ALLOWED:
        assert got == []
    else:
        assert [v.rule for v in got] == ["transition"]


@pytest.mark.parametrize(("current", "to", "message"), [
    (S.REQUESTED, S.PAID, "a disbursement that is requested (已申请) cannot become paid; from "
     "requested it may become ['approved', 'rejected']"),
    (S.APPROVED, S.REQUESTED, "a disbursement that is approved (已批准) cannot become "
     "requested; from approved it may become ['paid', 'rejected']"),
    (S.PAID, S.REJECTED, "a disbursement that is paid (已支付) cannot become rejected; from "
     "paid it may become ['nothing: it is final']"),
    (S.REJECTED, S.APPROVED, "a disbursement that is rejected (已驳回) cannot become "
     "approved; from rejected it may become ['nothing: it is final']"),
])
def test_transition_refusals_name_the_states_and_the_way_on(
        current: DisbursementState, to: DisbursementState, message: str) -> None:
    assert check_transition(current, to) == [Violation("transition", message)]


def test_disbursement_states_in_chinese() -> None:
    assert [s.chinese for s in S] == ["已申请", "已批准", "已支付", "已驳回"]


T = "staff:T1"


@pytest.mark.parametrize(("requested_by", "approver", "approvals", "rule"), [
    (T, T, (), "self_approval"),
    (T, T, (Approval(PostKind.DIRECTOR, T),), "self_approval"),  # self first
    (T, "staff:D1", (), None),
    (T, "staff:D1", (Approval(PostKind.SECRETARY, "staff:S1"),), None),
    (T, "staff:D1", (Approval(PostKind.SECRETARY, "staff:S1"),
                     Approval(PostKind.DIRECTOR, "staff:D1")), "approved_twice"),
    (T, "staff:D1", (Approval(PostKind.DIRECTOR, "staff:D1"),), "approved_twice"),
    (T, "staff:t1", (), None),  # ids are compared exactly
])
def test_approver_table(requested_by: str, approver: str, approvals: tuple[Approval, ...],
                        rule: str | None) -> None:
    got = check_approver(requested_by, approver, approvals)
    assert [v.rule for v in got] == ([] if rule is None else [rule])


def test_approver_refusals_exact_wording() -> None:
    assert check_approver(T, T, ()) == [Violation(
        "self_approval", "staff:T1 asked for this disbursement and cannot approve it "
        "(不得审批本人的申请); another holder of the required post must")]
    assert check_approver(T, "staff:D1", [Approval(PostKind.DIRECTOR, "staff:D1")]) == [
        Violation("approved_twice", "staff:D1 has approved this disbursement already; each "
                  "required role needs a different person")]


@pytest.mark.parametrize(("channel", "zh", "en", "person"), [
    (Channel.CITY_ALLOCATION, "市级财政拨款", "City allocation", False),
    (Channel.SUBDISTRICT, "办事处拨款", "Sub-district", False),
    (Channel.PARTNER_UNIT, "共建单位支持", "Partner units", False),
    (Channel.ENTERPRISE, "企业捐赠", "Enterprises", False),
    (Channel.NGO, "社会组织捐赠", "NGOs", False),
    (Channel.INDIVIDUAL, "个人捐赠", "Individuals", True),
    (Channel.PAID_SERVICE, "有偿服务收入", "Paid services", True),
    (Channel.INVESTMENT, "投资收益", "Investment", False),
    (Channel.INTERNAL, "内部", "Internal", False),
])
def test_channel_labels(channel: Channel, zh: str, en: str, person: bool) -> None:
    assert (channel.chinese, channel.english) == (zh, en)
    assert (channel.label(), channel.label("zh"), channel.label("en"), channel.label("de")) == (
        zh, zh, en, zh)
    assert channel.may_be_person is person


def test_in_kind_item_value() -> None:
    item = InKindItem("台式电脑", 3, "1999.90")
    assert item.unit_value == Decimal("1999.90")
    assert item.value == Decimal("5999.70") and str(item.value) == "5999.70"
    assert InKindItem("书桌", 1, Decimal("0.01")).value == Decimal("0.01")


@pytest.mark.parametrize(("description", "quantity", "unit_value", "path", "reason"), [
    ("", 1, "10", "description", "an in-kind item needs a description"),
    ("  ", 1, "10", "description", "an in-kind item needs a description"),
    ("书桌", 0, "10", "quantity", "quantity 0 must be a whole number >= 1"),
    ("书桌", -1, "10", "quantity", "quantity -1 must be a whole number >= 1"),
    ("书桌", True, "10", "quantity", "quantity True must be a whole number >= 1"),
    ("书桌", 1.0, "10", "quantity", "quantity 1.0 must be a whole number >= 1"),
    ("书桌", "2", "10", "quantity", "quantity '2' must be a whole number >= 1"),
    ("书桌", 1, "0", "unit_value", "an in-kind item's estimated value must be above zero"),
    ("书桌", 1, "-0.01", "unit_value",
     "an in-kind item's estimated value must be above zero"),
])
def test_in_kind_item_refusals(description: str, quantity: object, unit_value: str, path: str,
                               reason: str) -> None:
    with pytest.raises(ValidationError) as e:
        InKindItem(description, quantity, unit_value)  # type: ignore[arg-type]
    assert (e.value.path, e.value.reason) == (path, reason)


def test_in_kind_item_boundaries_accepted() -> None:
    """One piece and one fen are the smallest item there is."""
    assert InKindItem("书", 1, "0.01").quantity == 1
