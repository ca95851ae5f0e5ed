"""The pure rules of the market (domain/market.py): owners' votes counted by area and by
headcount under Art. 278 of the Civil Code, committees, contracts, the handover lifecycle."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community_governance.domain.market import (
    MAJOR_MATTERS,
    Ballot,
    CommitteeRole,
    CompoundManagement,
    FundingAgreement,
    HandoverRecord,
    HandoverStatus,
    MarketActor,
    OwnersCommittee,
    OwnersCommitteeMember,
    OwnersMatter,
    OwnersVoteRule,
    ServiceContract,
    Threshold,
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

Q = "411281001001-Q01"
EVEN = {f"o{i}": Decimal(100) for i in range(1, 7)}  # six owners of 100 m² each
#: one large owner (300 m²) and five small ones (60 m²): 600 m² in all
SKEWED = {"big": Decimal(300), **{f"s{i}": Decimal(60) for i in range(1, 6)}}


def _votes(for_: list[str], against: list[str] = (), abstain: list[str] = ()
           ) -> dict[str, Ballot]:  # type: ignore[assignment]
    return {**{k: Ballot.FOR for k in for_}, **{k: Ballot.AGAINST for k in against},
            **{k: Ballot.ABSTAIN for k in abstain}}


class TestCountOwnerVotes:
    """count_owner_votes: Art. 278, by area and by headcount at once."""

    @pytest.mark.parametrize(("owners", "ballots", "matter", "quorate", "carried"), [
        # participation: exactly two thirds of the area and of the owners is enough (以上)
        (EVEN, _votes(["o1", "o2", "o3"], ["o4"]), "elect_committee", True, True),
        # three of six owners (half) do not make the participation
        (EVEN, _votes(["o1", "o2", "o3"]), "elect_committee", False, False),
        # 70% of the area but half of the owners: no participation
        (SKEWED, _votes(["big", "s1", "s2"]), "elect_committee", False, False),
        # four of six owners but 240 of 600 m² (40%): no participation
        (SKEWED, _votes(["s1", "s2", "s3", "s4"]), "hire_property", False, False),
        # ordinary: exactly half of the participants is not more than half (过半数)
        (EVEN, _votes(["o1", "o2"], ["o3", "o4"]), "hire_property", True, False),
        (EVEN, _votes(["o1", "o2", "o3"], ["o4"]), "hire_property", True, True),
        # an abstention participates, and does not agree
        (EVEN, _votes(["o1", "o2"], ["o3"], ["o4"]), "hire_property", True, False),
        # the big owner alone: 300 of 480 m² voting (62.5%), but 1 of 4 owners
        (SKEWED, _votes(["big"], ["s1", "s2", "s3"]), "hire_property", True, False),
        # three small owners: 3 of 4 owners, but 180 of 480 m²
        (SKEWED, _votes(["s1", "s2", "s3"], ["big"]), "hire_property", True, False),
        # major: exactly three quarters of area and owners is enough (四分之三以上)
        (EVEN, _votes(["o1", "o2", "o3"], ["o4"]), "raise_maintenance_fund", True, True),
        # major: 4 of 6 (two thirds) is not three quarters
        (EVEN, _votes(["o1", "o2", "o3", "o4"], ["o5", "o6"]), "rebuild", True, False),
        (EVEN, _votes(["o1", "o2", "o3", "o4", "o5"], ["o6"]), "change_use", True, True),
        # using the maintenance funds is an ordinary matter since 2021 (item 5)
        (EVEN, _votes(["o1", "o2", "o3", "o4"], ["o5", "o6"]), "use_maintenance_fund",
         True, True),
        # major, both counts: big + 3 small = 480 of 600 voting; for: big + 2 small
        # = 420/480 (87.5%) of area, 3 of 4 owners (exactly 3/4)
        (SKEWED, _votes(["big", "s1", "s2"], ["s3"]), "rebuild", True, True),
        # area 3/4 met (big + s1 = 360 of 480 = 75%), headcount 2 of 4: not carried
        (SKEWED, _votes(["big", "s1"], ["s2", "s3"]), "rebuild", True, False),
    ])
    def test_boundaries(self, owners: dict[str, Decimal], ballots: dict[str, Ballot],
                        matter: str, quorate: bool, carried: bool) -> None:
        """Counts a vote at the boundaries of the participation and the approval."""
        got = count_owner_votes(owners_rule(matter), owners, ballots)
        assert (quorate, carried) == (got.quorate, got.carried)
        assert (got.reason == "") == carried

    def test_counts(self) -> None:
        """Reports the area and the headcount voting and agreeing."""
        got = count_owner_votes(owners_rule("hire_property"), SKEWED,
                                _votes(["big", "s1"], ["s2"], ["s3"]))
        assert (Decimal("600.00"), 6, Decimal("480.00"), 4, Decimal("360.00"), 2) == (
            got.total_area, got.total_owners, got.area_voting, got.owners_voting,
            got.area_for, got.owners_for)

    def test_refuses_a_non_owner(self) -> None:
        """Refuses a ballot of someone who owns nothing in the compound."""
        with pytest.raises(ValidationError, match="owns nothing"):
            count_owner_votes(owners_rule("other"), EVEN, {"stranger": "for"})

    @pytest.mark.parametrize("area", [0, -5, 1.5, "abc", Decimal("1.001"), True])
    def test_refuses_bad_areas(self, area: object) -> None:
        """Refuses an area that is not a positive number of m² to 0.01."""
        with pytest.raises(ValidationError):
            count_owner_votes(owners_rule("other"), {"a": area}, {})  # type: ignore[dict-item]

    def test_no_owners(self) -> None:
        """A compound with no owners decides nothing."""
        got = count_owner_votes(owners_rule("other"), {}, {})
        assert (False, False) == (got.quorate, got.carried)


_areas = st.dictionaries(st.sampled_from([f"o{i}" for i in range(12)]),
                         st.integers(min_value=1, max_value=50_000).map(
                             lambda c: Decimal(c) / 100), min_size=1)


@st.composite
def _vote(draw: st.DrawFn) -> tuple[dict[str, Decimal], dict[str, Ballot], OwnersMatter]:
    owners = draw(_areas)
    voters = draw(st.lists(st.sampled_from(sorted(owners)), unique=True))
    ballots = {v: draw(st.sampled_from(list(Ballot))) for v in voters}
    return owners, ballots, draw(st.sampled_from(list(OwnersMatter)))


class TestCountProperties:
    """Properties of count_owner_votes over random compounds."""

    @given(_vote())
    def test_carried_needs_both_counts(self, case: tuple[dict[str, Decimal],
                                                         dict[str, Ballot], OwnersMatter]
                                       ) -> None:
        """A carried vote is quorate and approved by area and by headcount, exactly."""
        owners, ballots, matter = case
        got = count_owner_votes(owners_rule(matter), owners, ballots)
        assert got.area_for <= got.area_voting <= got.total_area
        assert got.owners_for <= got.owners_voting <= got.total_owners
        if got.carried:
            need = Fraction(3, 4) if matter in MAJOR_MATTERS else Fraction(1, 2)
            assert got.quorate
            assert 3 * got.area_voting >= 2 * got.total_area
            assert 3 * got.owners_voting >= 2 * got.total_owners
            for part, whole in ((Fraction(got.area_for), Fraction(got.area_voting)),
                                (Fraction(got.owners_for), Fraction(got.owners_voting))):
                assert part / whole >= need
                if need == Fraction(1, 2):
                    assert part / whole > need

    @given(_vote(), st.integers(min_value=2, max_value=9))
    def test_scale_free(self, case: tuple[dict[str, Decimal], dict[str, Ballot],
                                          OwnersMatter], k: int) -> None:
        """Multiplying every area by the same number changes no outcome."""
        owners, ballots, matter = case
        a = count_owner_votes(owners_rule(matter), owners, ballots)
        b = count_owner_votes(owners_rule(matter), {o: v * k for o, v in owners.items()},
                              ballots)
        assert (a.quorate, a.carried) == (b.quorate, b.carried)

    @given(_vote())
    def test_monotone(self, case: tuple[dict[str, Decimal], dict[str, Ballot],
                                        OwnersMatter]) -> None:
        """Turning one vote against into a vote for never undoes a carried decision."""
        owners, ballots, matter = case
        before = count_owner_votes(owners_rule(matter), owners, ballots)
        for voter, choice in ballots.items():
            if choice is Ballot.AGAINST:
                after = count_owner_votes(owners_rule(matter), owners,
                                          {**ballots, voter: Ballot.FOR})
                assert after.carried or not before.carried


class TestRules:
    """owners_rule, Threshold and is_at_least_as_strict."""

    def test_major_matters(self) -> None:
        """Items 6-8 of Art. 278 are the major matters."""
        assert {OwnersMatter.RAISE_MAINTENANCE_FUND, OwnersMatter.REBUILD,
                OwnersMatter.CHANGE_USE} == set(MAJOR_MATTERS)

    @pytest.mark.parametrize(("threshold", "part", "whole", "met"), [
        (Threshold(Fraction(2, 3)), 2, 3, True),
        (Threshold(Fraction(2, 3)), 1999, 3000, False),
        (Threshold(Fraction(1, 2), inclusive=False), 1, 2, False),
        (Threshold(Fraction(1, 2), inclusive=False), 501, 1000, True),
        (Threshold(Fraction(3, 4)), 0, 0, False),
    ])
    def test_threshold(self, threshold: Threshold, part: int, whole: int, met: bool) -> None:
        """A threshold is met exactly, with "以上" inclusive and "过半数" strict."""
        assert met == threshold.met(part, whole)

    def test_threshold_range(self) -> None:
        """A threshold is a share between 0 and 1."""
        with pytest.raises(ValueError, match="between 0 and 1"):
            Threshold(Fraction(3, 2))

    @pytest.mark.parametrize(("rule", "matter", "ok"), [
        (owners_rule("hire_property"), "hire_property", True),
        (OwnersVoteRule(Threshold(Fraction(3, 4)), Threshold(Fraction(2, 3))),
         "use_maintenance_fund", True),
        (OwnersVoteRule(Threshold(Fraction(1, 2)), Threshold(Fraction(1, 2), False)),
         "hire_property", False),
        (OwnersVoteRule(Threshold(Fraction(2, 3)), Threshold(Fraction(1, 2))),
         "hire_property", False),  # "half or more" is looser than "more than half"
        (owners_rule("hire_property"), "rebuild", False),
    ])
    def test_strictness(self, rule: OwnersVoteRule, matter: str, ok: bool) -> None:
        """A place may ask more than Art. 278, never less."""
        assert ok == is_at_least_as_strict(rule, matter)


def _committee(n: int, *, chairs: int = 1, start: dt.date = dt.date(2019, 7, 1),
               end: dt.date = dt.date(2024, 6, 30), guided_by: str = Q[:12]
               ) -> OwnersCommittee:
    members = tuple(OwnersCommitteeMember(
        f"M{i}", "C1", f"委员{i}", CommitteeRole.CHAIR if i < chairs else CommitteeRole.MEMBER)
        for i in range(n))
    return OwnersCommittee("C1", Q, guided_by, dt.date(2019, 6, 30), start, end, members)


class TestCheckCommittee:
    """check_committee: the national guidance for owners' committees."""

    @pytest.mark.parametrize("n", [5, 7, 9, 11])
    def test_sizes(self, n: int) -> None:
        """Accepts an odd number of members from 5 to 11."""
        check_committee(_committee(n))

    @pytest.mark.parametrize("n", [3, 4, 6, 12, 13])
    def test_refuses_sizes(self, n: int) -> None:
        """Refuses fewer than 5, more than 11 or an even number, naming the rule."""
        with pytest.raises(ValidationError, match="odd number from 5 to 11"):
            check_committee(_committee(n))

    def test_one_chair(self) -> None:
        """Refuses a committee without exactly one chair."""
        with pytest.raises(ValidationError, match="2 chairs"):
            check_committee(_committee(5, chairs=2))

    def test_term(self) -> None:
        """Refuses a term of five years or more, and one starting before the election."""
        with pytest.raises(ValidationError, match="at most 5 years"):
            check_committee(_committee(5, end=dt.date(2024, 7, 1)))
        with pytest.raises(ValidationError, match="starts on or after the election"):
            check_committee(_committee(5, start=dt.date(2019, 6, 1)))

    def test_guided_by_own_community(self) -> None:
        """The compound's own residents' committee guides the election."""
        with pytest.raises(ValidationError, match="own community"):
            check_committee(_committee(5, guided_by="411281001002"))


class TestContracts:
    """ServiceContract, check_contract_overlap and classify_compound."""

    def _c(self, cid: str, start: dt.date, end: dt.date | None,
           service: str = "property_management") -> ServiceContract:
        return ServiceContract(cid, "M1", Q, service, start, end, Decimal("0.80"))

    def test_one_property_company_at_a_time(self) -> None:
        """Refuses a second property contract overlapping the first by one day."""
        a = self._c("A", dt.date(2018, 1, 1), dt.date(2019, 12, 31))
        with pytest.raises(ConflictError, match="one property company at a time"):
            check_contract_overlap([a], self._c("B", dt.date(2019, 12, 31), None))
        check_contract_overlap([a], self._c("B", dt.date(2020, 1, 1), None))
        check_contract_overlap([a], self._c("C", dt.date(2019, 1, 1), None, "repair"))

    def test_fee_is_money(self) -> None:
        """Refuses a float fee and a fee below the fen."""
        with pytest.raises(ValidationError, match="money"):
            ServiceContract("A", "M1", Q, "repair", dt.date(2019, 1, 1), fee=0.8)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="to the fen"):
            ServiceContract("A", "M1", Q, "repair", dt.date(2019, 1, 1), fee="0.805")

    @pytest.mark.parametrize(("contracts", "committee", "status"), [
        ([], False, CompoundManagement.UNMANAGED),
        ([], True, CompoundManagement.IRREGULAR),
        ([("A", dt.date(2017, 1, 1), dt.date(2018, 12, 31))], False,
         CompoundManagement.IRREGULAR),
        ([("A", dt.date(2019, 1, 1), None)], False, CompoundManagement.MANAGED),
        ([("A", dt.date(2020, 1, 1), None)], False, CompoundManagement.UNMANAGED),
    ])
    def test_classify(self, contracts: list[tuple[str, dt.date, dt.date | None]],
                      committee: bool, status: CompoundManagement) -> None:
        """A compound is managed, 不规范 or 三无 on a day."""
        cs = [self._c(*c) for c in contracts]
        assert status == classify_compound(dt.date(2019, 6, 1), cs, committee)


class TestMarketActor:
    """MarketActor and the unified social credit code."""

    @pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341l"])
    def test_credit_code(self, code: str) -> None:
        """Accepts a code whose check character fits (upper-casing it)."""
        assert code.upper() == check_credit_code(code)

    @pytest.mark.parametrize("code", ["91350100M000100Y44", "9135010OM000100Y43", "123"])
    def test_bad_credit_code(self, code: str) -> None:
        """Refuses a wrong check character, a letter outside the set, a wrong length."""
        with pytest.raises(ValidationError, match="credit code"):
            check_credit_code(code)

    def test_partner_only_for_property(self) -> None:
        """Only a property company links a partner unit (for its 物业党组织)."""
        with pytest.raises(ValidationError, match="property-management company"):
            MarketActor("M1", "411281", "家政公司", ["domestic"], partner_id="PU1")
        with pytest.raises(ValidationError, match="at least one service"):
            MarketActor("M1", "411281", "空公司", [])


class TestHandover:
    """The handover's lifecycle and record."""

    def test_lifecycle(self) -> None:
        """planned → agreed → (renovating →) completed, nothing else."""
        s = next_handover_status("planned", "agree")
        assert HandoverStatus.AGREED == s
        assert HandoverStatus.COMPLETED == next_handover_status(s, "complete")
        assert HandoverStatus.COMPLETED == next_handover_status(
            next_handover_status(s, "renovate"), "complete")
        with pytest.raises(InvalidTransition, match="it can agree"):
            next_handover_status("planned", "complete")
        with pytest.raises(InvalidTransition, match="completed already"):
            next_handover_status("completed", "agree")

    def test_record(self) -> None:
        """Computes the subsidy all households lose, and refuses nonsense."""
        r = HandoverRecord("H1", Q, "water", "义马煤业集团", "义马市供水公司",
                           dt.date(2017, 5, 1), 650, "150.00", "completed")
        assert Decimal("97500.00") == r.subsidy_removed_total
        with pytest.raises(ValidationError, match="two different parties"):
            HandoverRecord("H1", Q, "water", "义马煤业集团", "义马煤业集团",
                           dt.date(2017, 5, 1), 650, "150")
        with pytest.raises(ValidationError, match="households"):
            HandoverRecord("H1", Q, "water", "a", "b", dt.date(2017, 5, 1), 0, "150")

    def test_agreement(self) -> None:
        """An agreement is for more than nothing."""
        with pytest.raises(ValidationError, match="more than 0"):
            FundingAgreement("A1", Q[:12], "donation", "enterprise", "某公司", "0",
                             dt.date(2019, 1, 1))
