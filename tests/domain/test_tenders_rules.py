"""Purchase-of-services rules: procedures' limits, criteria, the lot lifecycle table and its
refusals, sealed-bid commitments, the price formula, ranking and contract schedules (issue #13
item 11: exact messages and boundaries)."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest

from community_governance.domain.tenders import (
    DEFAULT_CRITERIA,
    DEFAULT_PROCEDURES,
    TRANSITIONS,
    WAY_FORWARD,
    ContractStatus,
    Criterion,
    CriterionKind,
    Deliverable,
    Instalment,
    LotEvent,
    LotStatus,
    Procedure,
    ProcedureRules,
    allowed_events,
    bid_commitment,
    canonical_bid,
    check_criteria,
    check_schedule,
    next_status,
    price_score,
    rank_bids,
    verify_commitment,
)
from community_governance.errors import InvalidTransition, ValidationError
from tests.domain._exact import refused

D = dt.date
S = LotStatus
E = LotEvent
M = Decimal


def test_chinese_names() -> None:
    assert [p.chinese for p in Procedure] == ["公开招标", "竞争性磋商", "单一来源"]
    assert [s.chinese for s in LotStatus] == ["投标中", "已开标", "已中标（质疑期）", "质疑处理中",
                                              "已签合同", "流标", "已终止"]
    assert [e.chinese for e in LotEvent] == ["发布招标公告", "开标", "流标", "中标", "质疑",
                                             "质疑成立", "质疑不成立", "签订合同", "终止"]
    assert [c.chinese for c in ContractStatus] == ["履约中", "已完成"]
    assert [k.value for k in CriterionKind] == ["price", "quality"]


# ------------------------------------------------------------------------------ procedures


def test_default_procedures() -> None:
    got = {p: (r.procedure, r.bid_days, r.standstill_days, r.min_bidders, r.max_bidders,
               r.min_panel) for p, r in DEFAULT_PROCEDURES.items()}
    assert got == {
        Procedure.OPEN: (Procedure.OPEN, 15, 7, 3, None, 5),
        Procedure.COMPETITIVE_CONSULTATION: (Procedure.COMPETITIVE_CONSULTATION, 8, 7, 2, None, 3),
        Procedure.SINGLE_SOURCE: (Procedure.SINGLE_SOURCE, 5, 7, 1, 1, 3),
    }
    assert ProcedureRules("open", 1, 1, 1).min_panel == 3
    assert ProcedureRules("open", 1, 1, 1).max_bidders is None
    assert ProcedureRules("open", 1, 1, 1).procedure is Procedure.OPEN


@pytest.mark.parametrize("field,low,high", [
    ("bid_days", 1, 60), ("standstill_days", 1, 30), ("min_bidders", 1, 20),
    ("min_panel", 1, 25)])
def test_procedure_limits(field: str, low: int, high: int) -> None:
    base = {"procedure": Procedure.OPEN, "bid_days": 10, "standstill_days": 5,
            "min_bidders": 2, "min_panel": 3}
    for ok in (low, high):
        assert getattr(ProcedureRules(**{**base, field: ok}), field) == ok  # type: ignore[arg-type]
    for bad in (low - 1, high + 1, True, "5", 2.0):
        refused(ValidationError, f"{field} must be a whole number {low}-{high}, got {bad!r} "
                f"@ {field}", ProcedureRules, **{**base, field: bad})


def test_max_bidders_between_min_bidders_and_100() -> None:
    assert ProcedureRules("open", 5, 5, 3, 3).max_bidders == 3
    assert ProcedureRules("open", 5, 5, 3, 100).max_bidders == 100
    refused(ValidationError, "max_bidders must be a whole number 3-100, got 2 @ max_bidders",
            ProcedureRules, "open", 5, 5, 3, 2)
    refused(ValidationError, "max_bidders must be a whole number 3-100, got 101 @ max_bidders",
            ProcedureRules, "open", 5, 5, 3, 101)
    with pytest.raises(ValueError):
        ProcedureRules("auction", 5, 5, 3)


# ------------------------------------------------------------------------------ criteria


def test_criterion_checks() -> None:
    c = Criterion("a1_b", "方案", 1)
    assert (c.kind, c.name_en) == (CriterionKind.QUALITY, "")
    assert Criterion("x", "价格", 100, "price").kind is CriterionKind.PRICE
    assert Criterion("a" + "b" * 39, "n", 5).code == "a" + "b" * 39
    for bad in ("a" + "b" * 40, "1a", "A", "a-b", "", 7, "_a", "a b"):
        refused(ValidationError, f"criterion code {bad!r} must be lower-case letters, digits "
                "and _ (at most 40), starting with a letter, e.g. 'service_plan' @ code",
                Criterion, bad, "n", 5)
    for bad_name in ("", "  ", None):
        refused(ValidationError, "criterion plan needs a name @ name",
                Criterion, "plan", bad_name, 5)
    for bad_w in (0, 101, True):
        refused(ValidationError, f"weight of plan must be a whole number 1-100, got {bad_w!r} "
                "@ weight of plan", Criterion, "plan", "方案", bad_w)
    assert Criterion("plan", "方案", 100).weight == 100


def test_default_criteria_add_up() -> None:
    assert check_criteria(DEFAULT_CRITERIA) == DEFAULT_CRITERIA
    assert [(c.code, c.name, c.weight, c.kind, c.name_en) for c in DEFAULT_CRITERIA] == [
        ("price", "价格", 30, CriterionKind.PRICE, "price"),
        ("service_plan", "服务方案", 30, CriterionKind.QUALITY, "service plan"),
        ("experience", "类似项目经验", 20, CriterionKind.QUALITY, "similar projects"),
        ("team", "人员配备", 20, CriterionKind.QUALITY, "staffing")]


def test_check_criteria_refusals() -> None:
    a, b = Criterion("a", "甲", 50), Criterion("b", "乙", 50)
    assert check_criteria(iter([a, b])) == (a, b)
    assert check_criteria([Criterion("a", "甲", 100)]) == (Criterion("a", "甲", 100),)
    assert check_criteria([Criterion("p", "价", 40, "price"), Criterion("q", "质", 60)])
    refused(ValidationError, "expected a non-empty list of Criterion values @ criteria",
            check_criteria, [])
    refused(ValidationError, "expected a non-empty list of Criterion values @ criteria",
            check_criteria, [a, "b"])
    refused(ValidationError, "criterion codes repeat: ['a', 'a'] @ criteria",
            check_criteria, [a, Criterion("a", "乙", 50)])
    refused(ValidationError, "criterion weights add up to 99, not 100; adjust the weights "
            "@ criteria", check_criteria, [a, Criterion("b", "乙", 49)])
    refused(ValidationError, "criterion weights add up to 101, not 100; adjust the weights "
            "@ criteria", check_criteria, [a, Criterion("b", "乙", 51)])
    refused(ValidationError, "at most one price criterion (价格分) per tender @ criteria",
            check_criteria, [Criterion("p", "价", 50, "price"), Criterion("q", "价2", 50, "price")])


# ------------------------------------------------------------------------------ lifecycle


def test_transition_table() -> None:
    assert dict(TRANSITIONS) == {
        (None, E.PUBLISH): S.OPEN, (S.OPEN, E.OPEN_BIDS): S.OPENED, (S.OPEN, E.FAIL): S.FAILED,
        (S.OPENED, E.AWARD): S.AWARDED, (S.AWARDED, E.CHALLENGE): S.CHALLENGED,
        (S.CHALLENGED, E.UPHOLD): S.OPENED, (S.CHALLENGED, E.DISMISS): S.AWARDED,
        (S.AWARDED, E.SIGN): S.CONTRACTED, (S.OPEN, E.CANCEL): S.CANCELLED,
        (S.OPENED, E.CANCEL): S.CANCELLED, (S.AWARDED, E.CANCEL): S.CANCELLED,
        (S.CHALLENGED, E.CANCEL): S.CANCELLED}
    for (status, event), new in TRANSITIONS.items():
        assert next_status(status, event) is new
    assert next_status(S.OPEN, "open_bids") is S.OPENED  # type: ignore[arg-type]


def test_allowed_events_in_table_order() -> None:
    assert allowed_events(None) == [E.PUBLISH]
    assert allowed_events(S.OPEN) == [E.OPEN_BIDS, E.FAIL, E.CANCEL]
    assert allowed_events(S.OPENED) == [E.AWARD, E.CANCEL]
    assert allowed_events(S.AWARDED) == [E.CHALLENGE, E.SIGN, E.CANCEL]
    assert allowed_events(S.CHALLENGED) == [E.UPHOLD, E.DISMISS, E.CANCEL]
    assert allowed_events(S.CONTRACTED) == [] and allowed_events(S.FAILED) == []


@pytest.mark.parametrize("status,event,message", [
    (None, E.AWARD, "award (中标) is not allowed for a lot (none); allowed from here: publish"),
    (S.OPEN, E.SIGN, "sign (签订合同) is not allowed for a lot 投标中 (open); allowed from here: "
     "open_bids, fail, cancel; to move on: wait for the bid deadline, then open the bids "
     "(cgov tenders open)"),
    (S.OPENED, E.PUBLISH, "publish (发布招标公告) is not allowed for a lot 已开标 (opened); "
     "allowed from here: award, cancel; to move on: have every panel member score every valid "
     "bid, then award (cgov tenders award)"),
    (S.AWARDED, E.UPHOLD, "uphold (质疑成立) is not allowed for a lot 已中标（质疑期） (awarded); "
     "allowed from here: challenge, sign, cancel; to move on: wait for the end of the standstill "
     "period, then sign the contract (cgov tenders sign)"),
    (S.CHALLENGED, E.SIGN, "sign (签订合同) is not allowed for a lot 质疑处理中 (challenged); "
     "allowed from here: uphold, dismiss, cancel; to move on: answer the objection "
     "(cgov tenders answer --uphold/--dismiss)"),
    (S.CONTRACTED, E.CANCEL, "cancel (终止) is not allowed for a lot 已签合同 (contracted); "
     "allowed from here: none; to move on: accept the deliverables and pay the instalments"),
    (S.FAILED, E.OPEN_BIDS, "open_bids (开标) is not allowed for a lot 流标 (failed); allowed "
     "from here: none; to move on: none: publish a new tender for the project"),
    (S.CANCELLED, E.DISMISS, "dismiss (质疑不成立) is not allowed for a lot 已终止 (cancelled); "
     "allowed from here: none; to move on: none: publish a new tender for the project"),
])
def test_refused_transitions(status: LotStatus | None, event: LotEvent, message: str) -> None:
    refused(InvalidTransition, message, next_status, status, event)


def test_every_missing_pair_is_refused() -> None:
    assert set(WAY_FORWARD) == set(LotStatus)
    for status in (None, *LotStatus):
        for event in LotEvent:
            if (status, event) not in TRANSITIONS:
                with pytest.raises(InvalidTransition):
                    next_status(status, event)


# ------------------------------------------------------------------------------ sealed bids


def test_canonical_bid_text() -> None:
    text = canonical_bid(lot_id=3, org_id="org-1", price=M("12345.6"), proposal="日间照料",
                         marks_claimed={"z": "1", "a": "2"})
    assert text == ('{"claims":{"a":"2","z":"1"},"lot_id":3,"org_id":"org-1",'
                    '"price_fen":1234560,"proposal":"日间照料"}')
    assert canonical_bid(lot_id="7", org_id=5, price="0.01",  # type: ignore[arg-type]
                         proposal=1) == (  # type: ignore[arg-type]
        '{"claims":{},"lot_id":7,"org_id":"5","price_fen":1,"proposal":"1"}')


def test_bid_commitment_exact() -> None:
    sealed = canonical_bid(lot_id=1, org_id="o1", price=M("100.00"), proposal="p")
    got = bid_commitment(sealed, "n0nce")
    assert got == hashlib.sha256(b"n0nce\n" + sealed.encode()).hexdigest()
    assert bid_commitment("abc", "xyz") == (
        "c3050ae64306710c7450b7f08bd701e4b78935966a5f607d5fe1ccbb94c73b4c")
    assert verify_commitment(sealed, "n0nce", got)
    assert not verify_commitment(sealed, "n0nc3", got)
    assert not verify_commitment(sealed + " ", "n0nce", got)
    for bad in ("", None, 5):
        refused(ValidationError, "a commitment needs a non-empty nonce @ nonce",
                bid_commitment, sealed, bad)


# ------------------------------------------------------------------------------ scoring


def test_price_score_formula() -> None:
    assert price_score(M("100"), M("100"), 30) == M("30.00")
    assert price_score(M("300"), M("100"), 30) == M("10.00")
    assert price_score(M("300"), M("100"), 10) == M("3.33")
    assert price_score(M("600"), M("100"), 1) == M("0.17")  # 0.1666.. rounds up
    assert price_score(M("800"), M("100"), 1) == M("0.13")  # 0.125 rounds half up
    assert price_score(M("0.01"), M("0.01"), 100) == M("100.00")
    for price, lowest in ((M(0), M(1)), (M(1), M(0)), (M(-1), M(1)), (M(1), M(-1))):
        refused(ValidationError, "prices must be positive @ price",
                price_score, price, lowest, 30)


Q = (Criterion("plan", "方案", 40), Criterion("team", "人员", 30),
     Criterion("price", "价格", 30, "price"))


def test_rank_bids_totals_and_order() -> None:
    bids = [(1, "a", M("200"), 1), (2, "b", M("100"), 2), (3, "c", M("150"), 3)]
    marks = {1: {"m1": {"plan": M(40), "team": M(30)}, "m2": {"plan": M(38), "team": M(29)}},
             2: {"m1": {"plan": M(10), "team": M(10)}},
             3: {"m1": {"plan": M(30), "team": M(20)}, "m2": {"plan": M(31), "team": M(20)},
                 "m3": {"plan": M(30), "team": M(20), "extra": M(99)}}}
    got = rank_bids(Q, bids, marks)
    assert [(r.bid_id, r.org_id, r.price, r.price_score, r.quality_score, r.total, r.scorers,
             r.rank) for r in got] == [
        (1, "a", M("200"), M("15.00"), M("68.50"), M("83.50"), 2, 1),
        (3, "c", M("150"), M("20.00"), M("50.33"), M("70.33"), 3, 2),
        (2, "b", M("100"), M("30.00"), M("20.00"), M("50.00"), 1, 3)]


def test_rank_bids_ties() -> None:
    # same total: the lower price first; same total and price: received earlier first
    crit = (Criterion("plan", "方案", 100),)
    bids = [(1, "a", M("200"), 2), (2, "b", M("100"), 3), (3, "c", M("200"), 1)]
    marks = {b: {"m": {"plan": M(50)}} for b in (1, 2, 3)}
    got = rank_bids(crit, bids, marks)
    assert [(r.bid_id, r.rank) for r in got] == [(2, 1), (3, 2), (1, 3)]
    assert [r.price_score for r in got] == [M("0.00")] * 3  # no price criterion
    assert [r.total for r in got] == [M("50.00")] * 3


def test_rank_bids_price_only_and_empty() -> None:
    crit = (Criterion("price", "价格", 100, "price"),)
    got = rank_bids(crit, [(1, "a", M("300"), 1), (2, "b", M("100"), 2)], {})
    assert [(r.bid_id, r.price_score, r.quality_score, r.total, r.scorers) for r in got] == [
        (2, M("100.00"), M("0.00"), M("100.00"), 0), (1, M("33.33"), M("0.00"), M("33.33"), 0)]
    assert str(got[0].quality_score) == "0.00" and str(got[0].price_score) == "100.00"
    assert rank_bids(Q, [], {}) == []


def test_rank_bids_quality_rounds_half_up() -> None:
    crit = (Criterion("plan", "方案", 100),)
    marks = {1: {"m1": {"plan": M("10.01")}, "m2": {"plan": M("10.00")}}}
    assert rank_bids(crit, [(1, "a", M(1), 1)], marks)[0].quality_score == M("10.01")
    marks = {1: {"m1": {"plan": M("10.005")}}}
    assert rank_bids(crit, [(1, "a", M(1), 1)], marks)[0].quality_score == M("10.01")
    whole: dict[int, dict[str, dict[str, Decimal]]] = {1: {"m": {"plan": 7}}}  # type: ignore[dict-item]
    assert str(rank_bids(crit, [(1, "a", M(1), 1)], whole)[0].quality_score) == "7.00"


def test_rank_bids_refusals() -> None:
    bids = [(1, "a", M("200"), 1), (4, "d", M("300"), 2)]
    refused(ValidationError, "bid #4 has no scores; have the panel score it @ marks",
            rank_bids, Q, bids, {1: {"m1": {"plan": M(1), "team": M(1)}}})
    refused(ValidationError, "bid #4 has no scores; have the panel score it @ marks",
            rank_bids, Q, bids, {1: {"m1": {"plan": M(1), "team": M(1)}}, 4: {}})
    refused(ValidationError, "member m2's sheet for bid #1 lacks ['plan', 'team'] @ marks",
            rank_bids, Q, bids, {1: {"m1": {"plan": M(1), "team": M(1)}, "m2": {}},
                                 4: {"m1": {"plan": M(1), "team": M(1)}}})
    refused(ValidationError, "member m1's sheet for bid #1 lacks ['team'] @ marks",
            rank_bids, Q, bids, {1: {"m1": {"plan": M(1)}}})


# ------------------------------------------------------------------------------ contracts


START, END = D(2020, 1, 1), D(2020, 12, 31)
DEL = (Deliverable("q1", "一季度报告", D(2020, 1, 1)), Deliverable("q4", "年度报告", D(2020, 12, 31)))


def test_deliverable_and_instalment_checks() -> None:
    refused(ValidationError, "deliverable code 'Q1' must be lower-case letters, digits and _ "
            "(at most 40), starting with a letter, e.g. 'service_plan' @ code",
            Deliverable, "Q1", "报告", START)
    for bad in ("", " ", None):
        refused(ValidationError, "deliverable q1 needs a name @ name", Deliverable, "q1", bad,
                START)
    for bad_due in (dt.datetime(2020, 1, 1), "2020-01-01"):
        refused(ValidationError, "deliverable q1: due must be a date @ due",
                Deliverable, "q1", "报告", bad_due)
    i = Instalment(1, "1,000.5", "q1")
    assert (i.number, i.amount, i.deliverable) == (1, M("1000.50"), "q1")
    assert Instalment(100, M("0.01"), "q1").number == 100
    for bad_n in (0, 101):
        refused(ValidationError, f"number must be a whole number 1-100, got {bad_n} @ number",
                Instalment, bad_n, M(1), "q1")
    for bad_amount in (M(0), M(-1)):
        refused(ValidationError, "instalment 2: the amount must be positive @ amount",
                Instalment, 2, bad_amount, "q1")
    with pytest.raises(ValidationError) as e:
        Instalment(1, 1.5, "q1")
    assert e.value.path == "amount"


def test_schedule_accepted() -> None:
    ins = (Instalment(1, M("400.00"), "q1"), Instalment(2, M("600.00"), "q4"))
    check_schedule(M("1000.00"), START, END, DEL, ins)  # no refusal
    one_day = (Deliverable("d", "当日", START),)
    check_schedule(M(5), START, START, one_day, (Instalment(1, M(5), "d"),))


def test_schedule_refusals() -> None:
    ins = (Instalment(1, M("400.00"), "q1"), Instalment(2, M("600.00"), "q4"))
    refused(ValidationError, "the term 2020-12-31..2020-01-01 ends before it starts @ end",
            check_schedule, M(1000), END, START, DEL, ins)
    refused(ValidationError, "a contract needs at least one deliverable @ deliverables",
            check_schedule, M(1000), START, END, (), ins)
    refused(ValidationError, "deliverable codes repeat: ['q1', 'q1'] @ deliverables",
            check_schedule, M(1000), START, END, (DEL[0], DEL[0]), ins)
    early = Deliverable("e", "早", D(2019, 12, 31))
    late = Deliverable("l", "晚", D(2021, 1, 1))
    refused(ValidationError, "deliverables ['e', 'l'] fall due outside the term "
            "2020-01-01..2020-12-31 @ deliverables",
            check_schedule, M(1000), START, END, (early, *DEL, late), ins)
    refused(ValidationError, "instalments must be numbered 1..2 in order, got [2, 1] "
            "@ instalments", check_schedule, M(1000), START, END, DEL, ins[::-1])
    refused(ValidationError, "instalments must be numbered 1..1 in order, got [2] "
            "@ instalments", check_schedule, M(600), START, END, DEL, ins[1:])
    stray = (Instalment(1, M(400), "zz"), Instalment(2, M(600), "aa"))
    refused(ValidationError, "instalments name deliverables ['aa', 'zz'] the contract does not "
            "list; use one of ['q1', 'q4'] @ instalments",
            check_schedule, M(1000), START, END, DEL, stray)
    refused(ValidationError, "the instalments add up to 1000.00, not the contract amount "
            "1000.01; the schedule must pay exactly the contract @ instalments",
            check_schedule, M("1000.01"), START, END, DEL, ins)
    refused(ValidationError, "the instalments add up to 0.00, not the contract amount "
            "5.00; the schedule must pay exactly the contract @ instalments",
            check_schedule, M(5), START, END, DEL, ())
