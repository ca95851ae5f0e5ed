"""Market rules: exact refusals and boundaries of domain/market.py (owners' votes, owners'
committees, areas, money, credit codes, market actors) (issue #13 item 11)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from community_governance.domain.market import (
    CommitteeRole,
    CommunityService,
    CompoundManagement,
    FundingAgreement,
    HandoverRecord,
    HandoverStatus,
    MarketActor,
    OwnersCommittee,
    OwnersCommitteeMember,
    OwnersVoteRule,
    ServiceContract,
    ServiceKind,
    Threshold,
    Utility,
    check_committee,
    check_contract_overlap,
    check_credit_code,
    classify_compound,
    count_owner_votes,
    is_at_least_as_strict,
    next_handover_status,
    owners_rule,
)
from community_governance.errors import ConflictError, InvalidTransition, ValidationError
from tests.domain._exact import refused

M = Decimal
D = dt.date
Q = "411281001001-Q01"


# ------------------------------------------------------------------------------ votes


def test_thresholds_words_and_met() -> None:
    half = Threshold(Fraction(1, 2), False)
    two_thirds = Threshold(Fraction(2, 3))
    assert two_thirds.inclusive is True
    assert (half.words(), two_thirds.words()) == ("more than 1/2", "at least 2/3")
    assert not half.met(1, 2) and half.met(M("1.01"), 2) and half.met(2, 3)
    assert two_thirds.met(2, 3) and not two_thirds.met(M("1.99"), 3)
    assert not two_thirds.met(0, 0) and not two_thirds.met(5, -1)
    assert Threshold(Fraction(1, 100)).met(1, 1)
    for bad in (0, 1, 2, -1):
        with pytest.raises(ValueError, match=f"^a threshold is a share between 0 and 1, got "
                           f"{bad}$"):
            Threshold(bad)
    assert Threshold("0.5").share == Fraction(1, 2)


def test_rules_in_words() -> None:
    assert owners_rule("other").words() == (
        "participation at least 2/3 of the area and of the owners; approval more than 1/2 of "
        "the participating area and owners")
    assert owners_rule("rebuild").words() == (
        "participation at least 2/3 of the area and of the owners; approval at least 3/4 of "
        "the participating area and owners")
    r = owners_rule("hire_property")
    assert (r.participation, r.approval) == (Threshold(Fraction(2, 3), True),
                                             Threshold(Fraction(1, 2), False))
    r = owners_rule("change_use")
    assert (r.participation, r.approval) == (Threshold(Fraction(2, 3), True),
                                             Threshold(Fraction(3, 4), True))


EVEN = {f"o{i}": M(100) for i in range(1, 7)}


def test_vote_reasons_short_of_participation() -> None:
    got = count_owner_votes(owners_rule("other"), EVEN, {"o1": "for", "o2": "for"})
    assert (got.quorate, got.carried) == (False, False)
    assert got.reason == ("owners of 200.00 of 600.00 m² voted, short of at least 2/3 of the "
                          "area; 2 of 6 owners voted, short of at least 2/3 of the owners")
    assert got.rule == owners_rule("other").words()
    skew = {"big": M(500), "a": M(50), "b": M(50)}
    got = count_owner_votes(owners_rule("other"), skew, {"big": "for"})
    assert got.reason == "1 of 3 owners voted, short of at least 2/3 of the owners"
    got = count_owner_votes(owners_rule("other"), skew, {"a": "for", "b": "for"})
    assert got.reason == ("owners of 100.00 of 600.00 m² voted, short of at least 2/3 of the "
                          "area")


def test_vote_reasons_short_of_approval() -> None:
    ballots = {"o1": "for", "o2": "for", "o3": "against", "o4": "abstain"}
    got = count_owner_votes(owners_rule("other"), EVEN, ballots)
    assert (got.quorate, got.carried) == (True, False)
    assert got.reason == ("owners of 200.00 of 400.00 m² voting agreed, short of more than 1/2; "
                          "2 of 4 owners voting agreed, short of more than 1/2")
    skew = {"big": M(500), "a": M(50), "b": M(50), "c": M(50)}
    got = count_owner_votes(owners_rule("other"), skew,
                            {"big": "for", "a": "against", "b": "against", "c": "abstain"})
    assert got.reason == "1 of 4 owners voting agreed, short of more than 1/2"
    assert (got.area_for, got.owners_for, got.area_voting, got.owners_voting) == (
        M("500.00"), 1, M("650.00"), 4)
    got = count_owner_votes(owners_rule("other"), skew,
                            {"big": "against", "a": "for", "b": "for", "c": "for"})
    assert got.reason == "owners of 150.00 of 650.00 m² voting agreed, short of more than 1/2"
    got = count_owner_votes(owners_rule("other"), EVEN, {k: "for" for k in EVEN})
    assert (got.quorate, got.carried, got.reason) == (True, True, "")
    assert (got.total_area, got.total_owners) == (M("600.00"), 6)


def test_vote_refusals() -> None:
    refused(ValidationError, "x voted but owns nothing in the compound: only owners (业主) vote; "
            "add their unit first @ ballots.x", count_owner_votes, owners_rule("other"), EVEN,
            {"o1": "for", "x": "for"})
    for wrong in (True, 1.5, None):
        refused(ValidationError, f"owners.a is an area in m²: give a Decimal, an int or a "
                f"string such as '86.42', not {type(wrong).__name__} @ owners.a",
                count_owner_votes, owners_rule("other"), {"a": wrong}, {})
    refused(ValidationError, "owners.a 'abc' is not an area @ owners.a",
            count_owner_votes, owners_rule("other"), {"a": "abc"}, {})
    for bad in ("0", "-1", "1.001", "Infinity", "NaN"):
        refused(ValidationError, f"owners.a {bad!r}: an owner's exclusive area is more than "
                "0 m², to 0.01 m² at most @ owners.a",
                count_owner_votes, owners_rule("other"), {"a": bad}, {})
    got = count_owner_votes(owners_rule("other"), {"a": "0.01", "b": 7, "c": M("2.5")},
                            {"a": "for", "b": "for", "c": "for"})
    assert (got.total_area, str(got.area_for)) == (M("9.51"), "9.51")


# ------------------------------------------------------------------------------ committees


START, END, ELECTED = D(2019, 7, 1), D(2024, 6, 30), D(2019, 6, 30)


def _committee(n: int = 5, *, chairs: int = 1, start: D = START, end: D = END,
               guided_by: str = Q[:12], elected: D = ELECTED,
               members: tuple[OwnersCommitteeMember, ...] | None = None) -> OwnersCommittee:
    if members is None:
        members = tuple(OwnersCommitteeMember(
            f"M{i}", "C1", f"委员{i}", CommitteeRole.CHAIR if i < chairs else CommitteeRole.MEMBER)
            for i in range(n))
    return OwnersCommittee("C1", Q, guided_by, elected, start, end, members)


ODD = "one more or one fewer"


@pytest.mark.parametrize("n,fix", [(0, "more"), (3, "more"), (4, "more"), (6, ODD), (8, ODD),
                                   (10, ODD), (12, "fewer"), (13, "fewer")])
def test_committee_sizes(n: int, fix: str) -> None:
    refused(ValidationError, f"owners' committee C1 has {n} members: an owners' committee has "
            "an odd number from 5 to 11 (业主大会和业主委员会指导规则 第三十一条); elect "
            f"{fix} @ members", check_committee, _committee(n, chairs=min(n, 1)))


def test_committee_refusals() -> None:
    for n in (5, 7, 9, 11):
        check_committee(_committee(n))
    refused(ValidationError, "owners' committee C1: the election is guided by the residents' "
            "committee of the compound's own community 411281001001, not 411281001002 "
            "@ guided_by", check_committee, _committee(guided_by="411281001002"))
    for chairs in (0, 2):
        refused(ValidationError, f"owners' committee C1 has {chairs} chairs (主任): name exactly "
                "one @ members", check_committee, _committee(chairs=chairs))
    same = tuple(OwnersCommitteeMember("M0" if i < 2 else f"M{i}", "C1", f"委员{i}",
                                       "chair" if i == 0 else "vice_chair") for i in range(5))
    refused(ValidationError, "owners' committee C1: each member once, each naming the committee "
            "@ members", check_committee, _committee(members=same))
    other = tuple(OwnersCommitteeMember(f"M{i}", "C2" if i == 4 else "C1", f"委员{i}",
                                        "chair" if i == 0 else "member") for i in range(5))
    refused(ValidationError, "owners' committee C1: each member once, each naming the committee "
            "@ members", check_committee, _committee(members=other))
    refused(ValidationError, "owners' committee C1: the term (2019-06-29..2024-06-30) starts on "
            "or after the election (2019-06-30) and ends after it starts @ term_start",
            check_committee, _committee(start=D(2019, 6, 29)))
    refused(ValidationError, "owners' committee C1: the term (2019-07-01..2019-06-30) starts on "
            "or after the election (2019-06-30) and ends after it starts @ term_start",
            check_committee, _committee(end=D(2019, 6, 30)))
    check_committee(_committee(start=D(2019, 6, 30), end=D(2019, 6, 30)))
    check_committee(_committee(start=D(2019, 7, 1), end=D(2024, 6, 30)))
    refused(ValidationError, "owners' committee C1: a term lasts at most 5 years (每届任期不超过"
            "五年); end it before 2024-07-01 @ term_end",
            check_committee, _committee(end=D(2024, 7, 1)))
    # a term starting on 29 February ends before 28 February five years on
    leap = _committee(elected=D(2020, 2, 29), start=D(2020, 2, 29), end=D(2025, 2, 27))
    check_committee(leap)
    refused(ValidationError, "owners' committee C1: a term lasts at most 5 years (每届任期不超过"
            "五年); end it before 2025-02-28 @ term_end", check_committee,
            _committee(elected=D(2020, 2, 29), start=D(2020, 2, 29), end=D(2025, 2, 28)))
    c = _committee()
    assert c.sits_on(D(2019, 7, 1)) and c.sits_on(D(2024, 6, 30))
    assert not c.sits_on(D(2019, 6, 30)) and not c.sits_on(D(2024, 7, 1))


# ------------------------------------------------------------------------------ actors, money


def test_credit_code_messages() -> None:
    assert check_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    for bad in ("123", "9135010OM000100Y43", "91350100M000100Y433", 91350100):
        refused(ValidationError, f"credit code {bad!r} is not a unified social credit code "
                "(统一社会信用代码): 18 characters of 0-9 and A-Y without I, O, S, V, Z, e.g. "
                "'91411281MA44XXXX0X' @ credit_code", check_credit_code, bad)
    refused(ValidationError, "credit code 91350100M000100Y44: the check character is '4', but "
            "the first 17 characters give '3' (GB 32100-2015): check the code on the business "
            "licence @ credit_code", check_credit_code, "91350100M000100Y44")


def test_market_actor_messages() -> None:
    a = MarketActor("M1", "411281", " 物业公司 ", ["repair", "property_management", "repair"],
                    "91350100m000100y43", "PU1")
    assert (a.name, a.kinds, a.credit_code) == (
        "物业公司", ("property_management", "repair"), "91350100M000100Y43")
    refused(ValidationError, "a market actor needs a key and a name @ name",
            MarketActor, "", "411281", "某公司", ["repair"])
    refused(ValidationError, "market actor M1: name at least one service it offers, among "
            "['property_management', 'domestic', 'waste_sorting', 'repair', 'elderly_care'] "
            "@ kinds", MarketActor, "M1", "411281", "空公司", [])
    refused(ValidationError, "market actor M1: only a property-management company (物业服务企业) "
            "is linked to a partner unit for its party organization; drop partner_id or add "
            "the service property_management @ partner_id",
            MarketActor, "M1", "411281", "家政公司", ["domestic"], None, "PU1")


def test_contract_money_messages() -> None:
    def c(fee: object, end: D | None = None) -> ServiceContract:
        return ServiceContract("A", "M1", Q, "repair", D(2019, 1, 1), end, fee)

    assert c("0.8").fee == M("0.80") and str(c(2).fee) == "2.00" and c(0).fee == 0
    for wrong in (0.8, True, None):
        refused(ValidationError, f"amount is money: give a Decimal, an int or a string such as "
                f"'12.50', not {type(wrong).__name__} @ amount", c, wrong)
    refused(ValidationError, "amount 'x' is not an amount of money @ amount", c, "x")
    for bad in ("0.805", "Infinity"):
        refused(ValidationError, f"amount {bad!r} is money to the fen (two places at most) "
                "@ amount", c, bad)
    refused(ValidationError, "amount cannot be negative, got -1 @ amount", c, "-1")
    refused(ValidationError, "contract A: it ends (2018-12-31) before it starts (2019-01-01) "
            "@ end", c, "1", D(2018, 12, 31))
    assert c("1", D(2019, 1, 1)).active_on(D(2019, 1, 1))


# ------------------------------------------------------------------------------ contracts, handover


def _sc(cid: str, start: D, end: D | None, service: str = "property_management",
        compound: str = Q) -> ServiceContract:
    return ServiceContract(cid, "M1", compound, service, start, end, M("0.80"))


def test_contract_overlap_message_and_scope() -> None:
    a = _sc("A", D(2018, 1, 1), D(2019, 12, 31))
    refused(ConflictError, f"compound {Q} has property-management contract A (M1, "
            "2018-01-01..2019-12-31) when B would start (2019-12-31): a compound has one "
            "property company at a time; end A the day before 2019-12-31 first (end_contract), "
            "or start B after it", check_contract_overlap, [a], _sc("B", D(2019, 12, 31), None))
    refused(ConflictError, f"compound {Q} has property-management contract B (M1, "
            "2019-12-31..open) when A would start (2018-01-01): a compound has one "
            "property company at a time; end B the day before 2018-01-01 first (end_contract), "
            "or start A after it", check_contract_overlap, [_sc("B", D(2019, 12, 31), None)],
            _sc("A", D(2018, 1, 1), None))
    check_contract_overlap([a], a)  # the contract itself (an update)
    check_contract_overlap([a], _sc("B", D(2019, 1, 1), None, compound=Q[:-1] + "2"))
    check_contract_overlap([_sc("R", D(2019, 1, 1), None, "repair")], _sc("B", D(2019, 1, 1), None))
    check_contract_overlap([a], _sc("B", D(2019, 1, 1), None, "repair"))
    assert _sc("X", D(2019, 1, 1), None).overlaps(_sc("Y", D(2030, 1, 1), None))
    assert not _sc("X", D(2019, 1, 1), D(2019, 1, 1)).overlaps(_sc("Y", D(2019, 1, 2), None))
    assert not _sc("X", D(2019, 1, 2), None).overlaps(_sc("Y", D(2019, 1, 1), D(2019, 1, 1)))
    assert _sc("X", D(2019, 1, 1), None).overlaps(_sc("Y", D(2018, 1, 1), D(2019, 1, 1)))
    assert _sc("X", D(2018, 1, 1), D(2019, 1, 1)).overlaps(_sc("Y", D(2019, 1, 1), None))
    c = _sc("X", D(2019, 1, 1), D(2019, 1, 31))
    assert [c.active_on(d) for d in (D(2018, 12, 31), D(2019, 1, 1), D(2019, 1, 31),
                                     D(2019, 2, 1))] == [False, True, True, False]


def test_classify_compound_edges() -> None:
    day = D(2019, 6, 1)
    repair = _sc("R", D(2019, 1, 1), None, "repair")
    assert classify_compound(day, [repair], False) is CompoundManagement.UNMANAGED
    assert classify_compound(day, [_sc("A", day, day)], False) is CompoundManagement.MANAGED
    assert classify_compound(day, [_sc("A", D(2019, 5, 1), D(2019, 5, 31))], False) \
        is CompoundManagement.IRREGULAR
    assert classify_compound(day, [_sc("A", D(2019, 6, 2), None)], True) \
        is CompoundManagement.IRREGULAR
    assert [m.chinese for m in CompoundManagement] == ["物业管理小区", "不规范小区", "三无小区"]


def test_handover_messages() -> None:
    refused(InvalidTransition, "a handover that is planned (列入计划) cannot 'complete': it can "
            "agree", next_handover_status, "planned", "complete")
    refused(InvalidTransition, "a handover that is agreed (签订协议) cannot 'agree': it can "
            "complete, renovate", next_handover_status, "agreed", "agree")
    refused(InvalidTransition, "a handover that is completed (完成移交) cannot 'agree': it is "
            "completed already", next_handover_status, "completed", "agree")
    assert next_handover_status("renovating", "complete") is HandoverStatus.COMPLETED
    assert HandoverStatus.RENOVATING.chinese == "维修改造"

    def rec(households: object, to: str = "供水公司", subsidy: object = "150") -> HandoverRecord:
        return HandoverRecord("H1", Q, "water", "煤业集团", to, D(2017, 5, 1), households,  # type: ignore[arg-type]
                              subsidy)

    r = rec(1)
    assert (r.status, r.subsidy_removed, r.subsidy_removed_total) == (
        HandoverStatus.PLANNED, M("150.00"), M("150.00"))
    for bad in (0, True, "3"):
        refused(ValidationError, f"handover H1: households is a whole number of 1 or more, got "
                f"{bad!r} @ households", rec, bad)
    for to in ("煤业集团", " "):
        refused(ValidationError, "handover H1: name who gives it up and who takes it, two "
                "different parties @ to_party", rec, 5, to)
    refused(ValidationError, "subsidy_removed cannot be negative, got -1 @ subsidy_removed",
            rec, 5, "供水公司", "-1")
    assert [u.chinese for u in Utility] == ["供水", "供电", "供气", "供热", "物业管理"]


def test_services_and_agreements() -> None:
    s = CommunityService("S1", Q[:12], " 理发 ")
    assert (s.name, s.fee, s.unit, s.kind, s.free) == ("理发", M("0.00"), "次", None, True)
    paid = CommunityService("S2", Q[:12], "保洁", "30", "小时", "domestic")
    assert (paid.free, paid.kind, paid.fee) == (False, ServiceKind.DOMESTIC, M("30.00"))
    refused(ValidationError, "service S1 needs a name and a unit (次, 小时...) @ name",
            CommunityService, "S1", Q[:12], "理发", "0", " ")
    a = FundingAgreement("A1", Q[:12], "donation", "ngo", " 某基金会 ", "0.01", D(2019, 1, 1))
    assert (a.party_name, a.amount, a.consent, a.purpose) == ("某基金会", M("0.01"), False, "")
    refused(ValidationError, "agreement A1: name who signed it @ party_name",
            FundingAgreement, "A1", Q[:12], "donation", "ngo", " ", "1", D(2019, 1, 1))
    refused(ValidationError, "agreement A1: the amount agreed is more than 0 @ amount",
            FundingAgreement, "A1", Q[:12], "donation", "ngo", "某人", "0", D(2019, 1, 1))


def test_credit_code_check_character_zero() -> None:
    # the weighted sum is a multiple of 31: the check character is '0', not index 31
    assert check_credit_code("914112810000000040") == "914112810000000040"
    refused(ValidationError, "credit code 914112810000000041: the check character is '1', but "
            "the first 17 characters give '0' (GB 32100-2015): check the code on the business "
            "licence @ credit_code", check_credit_code, "914112810000000041")


@pytest.mark.parametrize("participation,approval,ok", [
    (Threshold(Fraction(2, 3), False), Threshold(Fraction(1, 2), False), True),
    (Threshold(Fraction(2, 3)), Threshold(Fraction(1, 2), False), True),
    (Threshold(Fraction(1, 2)), Threshold(Fraction(3, 4)), False),
    (Threshold(Fraction(3, 4)), Threshold(Fraction(1, 3)), False),
    (Threshold(Fraction(3, 4)), Threshold(Fraction(1, 2)), False),
])
def test_strictness_edges(participation: Threshold, approval: Threshold, ok: bool) -> None:
    assert is_at_least_as_strict(OwnersVoteRule(participation, approval), "other") is ok


def test_vote_sums_of_nothing_are_money_shaped() -> None:
    got = count_owner_votes(owners_rule("other"), {}, {})
    assert got.reason == ("owners of 0.00 of 0.00 m² voted, short of at least 2/3 of the area; "
                          "0 of 0 owners voted, short of at least 2/3 of the owners")
    got = count_owner_votes(owners_rule("other"), EVEN, {k: "against" for k in EVEN})
    assert got.reason == ("owners of 0.00 of 600.00 m² voting agreed, short of more than 1/2; "
                          "0 of 6 owners voting agreed, short of more than 1/2")
    assert str(got.area_for) == "0.00"


def test_a_name_that_is_not_text_is_refused_as_missing() -> None:
    refused(ValidationError, "a market actor needs a key and a name @ name",
            MarketActor, "M1", "411281", None, ["repair"])
