"""Council rules: terms, the vote rule, counting at the majority and quorum boundaries, decisions
on time (issue #13 item 11: exact messages and boundaries)."""

from __future__ import annotations

import datetime as dt

import pytest

from community_governance.domain.council import (
    Choice,
    CouncilMember,
    CouncilSeat,
    Decision,
    Majority,
    VoteRule,
    count_votes,
)
from community_governance.errors import ConflictError, ValidationError
from tests.domain._exact import refused

D = dt.date


def _votes(n_for: int, n_against: int = 0, n_abstain: int = 0) -> dict[str, Choice]:
    votes = {f"F{i}": Choice.FOR for i in range(n_for)}
    votes |= {f"A{i}": Choice.AGAINST for i in range(n_against)}
    votes |= {f"B{i}": Choice.ABSTAIN for i in range(n_abstain)}
    return votes


def test_member_term() -> None:
    m = CouncilMember("M1", "411281001001", "owners", "王某", D(2019, 1, 1), D(2019, 12, 31))
    assert m.seat is CouncilSeat.OWNERS
    assert not m.sits_on(D(2018, 12, 31))
    assert m.sits_on(D(2019, 1, 1)) and m.sits_on(D(2019, 12, 31))
    assert not m.sits_on(D(2020, 1, 1))
    open_ended = CouncilMember("M2", "c", CouncilSeat.PARTY, "李某", D(2019, 1, 1))
    assert open_ended.sits_on(D(2099, 1, 1)) and not open_ended.sits_on(D(2018, 12, 31))
    CouncilMember("M3", "c", "residents", "张某", D(2019, 1, 1), D(2019, 1, 1))  # one day
    refused(ValidationError, "council member M4: the term ends (2018-12-31) before it starts "
            "(2019-01-01) @ end", CouncilMember, "M4", "c", "partner", "赵某", D(2019, 1, 1),
            D(2018, 12, 31))
    with pytest.raises(ValidationError):
        CouncilMember("M5", "c", "residents", "电话13800000007", D(2019, 1, 1))
    with pytest.raises(ValueError):
        CouncilMember("M6", "c", "nobody", "某", D(2019, 1, 1))


@pytest.mark.parametrize("quorum", [0, 1, -0.1, 1.5, True, False])
def test_vote_rule_refuses_a_quorum_outside_zero_one(quorum: float) -> None:
    refused(ValueError, f"quorum is a share between 0 and 1, got {quorum!r}", VoteRule,
            "simple", quorum)


def test_vote_rule_defaults() -> None:
    assert VoteRule("simple") == VoteRule(Majority.SIMPLE, 0.5)
    assert VoteRule("two_thirds", 0.01).quorum == 0.01
    assert VoteRule("two_thirds", 0.99).majority is Majority.TWO_THIRDS


@pytest.mark.parametrize(("roster", "present", "quorate"), [
    (10, 5, False), (10, 6, True), (9, 4, False), (9, 5, True), (1, 1, True), (2, 1, False)])
def test_quorum_is_strictly_more_than_the_share(roster: int, present: int,
                                                quorate: bool) -> None:
    rule = VoteRule("simple", 0.5)
    if quorate:
        assert count_votes(rule, roster, present, _votes(present)).carried
    else:
        refused(ConflictError, f"no quorum: {present} of {roster} members attend, and a vote "
                "needs more than 50% of the roster: adjourn and vote at a meeting with more "
                "members", count_votes, rule, roster, present, _votes(present))


def test_quorum_share_other_than_half() -> None:
    rule = VoteRule("simple", 2 / 3)
    refused(ConflictError, "no quorum: 6 of 9 members attend, and a vote needs more than 67% of "
            "the roster: adjourn and vote at a meeting with more members",
            count_votes, rule, 9, 6, _votes(6))
    assert count_votes(rule, 9, 7, _votes(7)).present == 7


@pytest.mark.parametrize(("present", "n_for", "simple", "two_thirds"), [
    (10, 5, False, False), (10, 6, True, False), (10, 7, True, True),
    (9, 6, True, True), (9, 5, True, False), (6, 4, True, True), (6, 3, False, False),
    (3, 2, True, True), (3, 1, False, False)])
def test_majorities_at_their_boundaries(present: int, n_for: int, simple: bool,
                                        two_thirds: bool) -> None:
    votes = _votes(n_for, present - n_for)
    s = count_votes(VoteRule("simple"), present, present, votes)
    t = count_votes(VoteRule("two_thirds"), present, present, votes)
    assert (s.carried, t.carried) == (simple, two_thirds)


def test_count_exactly() -> None:
    result = count_votes(VoteRule("simple", 0.5), 12, 9, _votes(5, 2, 1))
    assert (result.roster, result.present, result.votes_for, result.against, result.abstain,
            result.carried) == (12, 9, 5, 2, 2, True)  # one present did not vote: abstains
    assert result.rule == "more than half of the members present; quorum more than 50% of 12"
    two = count_votes(VoteRule("two_thirds", 0.6), 10, 7, _votes(4, 3))
    assert (two.votes_for, two.against, two.abstain, two.carried) == (4, 3, 0, False)
    assert two.rule == "two thirds of the members present; quorum more than 60% of 10"


def test_decision_on_time() -> None:
    d = Decision("D1", "MO1", "c", "修路灯", "S1", D(2019, 3, 1), D(2019, 3, 15))
    assert d.on_time is None
    assert Decision("D1", "MO1", "c", "x", "S1", D(2019, 3, 1), D(2019, 3, 15),
                    D(2019, 3, 15)).on_time is True
    assert Decision("D1", "MO1", "c", "x", "S1", D(2019, 3, 1), D(2019, 3, 15),
                    D(2019, 3, 16)).on_time is False
