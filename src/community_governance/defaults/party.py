"""National defaults for party building: residents of the member's grid evaluate, with the
grades 优秀/合格/基本合格/不合格, and a result needs 10 ballots to be shown; the council carries
an ordinary motion with more than half of the members present, a major one with two thirds,
and votes with more than half of its roster attending; a leader's festival visit counts from ten
days before the festival."""

from __future__ import annotations

from community_governance.domain.council import Majority, MotionKind, VoteRule
from community_governance.domain.party import DEFAULT_GRADES, DEFAULT_VISIT_DAYS
from community_governance.markers import hookimpl

__all__ = [
    "DEFAULT_MIN_BALLOTS",
    "cgov_council_vote_rule",
    "cgov_party_evaluation_electorate",
    "cgov_party_evaluation_grades",
    "cgov_party_evaluation_min_ballots",
    "cgov_party_visit_window",
]

#: Ballots a result needs before its counts are shown.
DEFAULT_MIN_BALLOTS = 10


@hookimpl(trylast=True)
def cgov_party_evaluation_electorate(community_code: str) -> str | None:
    """Residents of the member's grid (本网格居民) evaluate the member."""
    return "grid"


@hookimpl(trylast=True)
def cgov_party_evaluation_grades(community_code: str) -> list[str] | None:
    """优秀, 合格, 基本合格, 不合格."""
    return list(DEFAULT_GRADES)


@hookimpl(trylast=True)
def cgov_party_evaluation_min_ballots(community_code: str) -> int | None:
    """Ten ballots."""
    return DEFAULT_MIN_BALLOTS


@hookimpl(trylast=True)
def cgov_council_vote_rule(community_code: str, kind: str) -> VoteRule | None:
    """Simple majority for ordinary matters, two thirds for major ones; quorum over half."""
    major = kind == MotionKind.MAJOR.value
    return VoteRule(Majority.TWO_THIRDS if major else Majority.SIMPLE, 0.5)


@hookimpl(trylast=True)
def cgov_party_visit_window(community_code: str, festival: str) -> int | None:
    """Ten days before the festival, up to the festival."""
    return DEFAULT_VISIT_DAYS
