"""The consultative council (协商议事会) of a community: members with terms, topics raised by
residents (民情收集), meetings with attendance and quorum, motions, votes and decisions followed
to completion.

Pure rules: no I/O, no hooks, no clock.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping

import attrs

from community_governance.domain.pii_text import published
from community_governance.errors import ConflictError, ValidationError

__all__ = [
    "Choice",
    "CouncilMember",
    "CouncilSeat",
    "Decision",
    "Majority",
    "Meeting",
    "Motion",
    "MotionKind",
    "MotionResult",
    "VoteRule",
    "count_votes",
]


class CouncilSeat(enum.StrEnum):
    """Whom a council member represents."""

    RESIDENTS = "residents"  #: 居民代表
    PARTY = "party"  #: 党员代表
    PARTNER = "partner"  #: 共建单位代表
    PROPERTY = "property"  #: 物业服务企业代表
    OWNERS = "owners"  #: 业主委员会代表


@attrs.frozen
class CouncilMember:
    """A member of a community's consultative council (协商议事会成员) for a term.

    Attributes:
        id: key.
        community_code: the council's community.
        seat: whom they represent.
        name: the name shown (a public office).
        start: first day of the term.
        end: last day of the term, or ``None``.
        resident_id: the resident, when the member is one.
    """

    id: str
    community_code: str
    seat: CouncilSeat = attrs.field(converter=CouncilSeat)
    name: str = attrs.field(validator=published)
    start: dt.date = attrs.field()
    end: dt.date | None = None
    resident_id: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValidationError(f"council member {self.id}: the term ends ({self.end}) "
                                  f"before it starts ({self.start})", path="end")

    def sits_on(self, day: dt.date) -> bool:
        """Whether the term includes ``day``."""
        return self.start <= day and (self.end is None or day <= self.end)


class MotionKind(enum.StrEnum):
    """Ordinary matters, or major ones (重大事项: budgets, projects) that a place may hold to a
    larger majority."""

    ORDINARY = "ordinary"  #: 一般事项
    MAJOR = "major"  #: 重大事项


class Majority(enum.StrEnum):
    """The majority a motion needs of the members present."""

    SIMPLE = "simple"  #: 过半数
    TWO_THIRDS = "two_thirds"  #: 三分之二以上


class Choice(enum.StrEnum):
    """A council member's vote (表决)."""

    FOR = "for"  #: 赞成
    AGAINST = "against"  #: 反对
    ABSTAIN = "abstain"  #: 弃权


@attrs.frozen
class VoteRule:
    """The rule a council votes under (议事规则), from the place's hook.

    Attributes:
        majority: of the members present voting for.
        quorum: the share of the roster that must attend, strictly more than (e.g. ``0.5``:
            more than half of the members sitting on the day).
    """

    majority: Majority = attrs.field(converter=Majority)
    quorum: float = 0.5

    def __attrs_post_init__(self) -> None:
        if isinstance(self.quorum, bool) or not 0 < float(self.quorum) < 1:
            raise ValueError(f"quorum is a share between 0 and 1, got {self.quorum!r}")


@attrs.frozen
class MotionResult:
    """The counted result of a vote.

    Attributes:
        roster: members sitting on the meeting's day.
        present: members attending.
        votes_for: 赞成.
        against: 反对.
        abstain: 弃权.
        carried: whether the motion passed.
        rule: the rule, as words.
    """

    roster: int
    present: int
    votes_for: int
    against: int
    abstain: int
    carried: bool
    rule: str


def count_votes(rule: VoteRule, roster: int, present: int,
                votes: Mapping[str, Choice]) -> MotionResult:
    """Count a vote under ``rule``; the quorum is computed from the roster.

    Args:
        rule: majority and quorum.
        roster: members sitting on the day.
        present: members attending (every voter attends).
        votes: member → choice (members present who did not vote count as abstaining).

    Raises:
        ConflictError: no quorum: the vote cannot be taken (nothing is written).
    """
    if present * 1.0 <= rule.quorum * roster:
        raise ConflictError(
            f"no quorum: {present} of {roster} members attend, and a vote needs more than "
            f"{rule.quorum:.0%} of the roster: adjourn and vote at a meeting with more members")
    n_for = sum(1 for c in votes.values() if c is Choice.FOR)
    n_against = sum(1 for c in votes.values() if c is Choice.AGAINST)
    n_abstain = present - n_for - n_against
    if rule.majority is Majority.SIMPLE:
        carried = n_for * 2 > present
        words = "more than half of the members present"
    else:
        carried = n_for * 3 >= present * 2
        words = "two thirds of the members present"
    return MotionResult(roster, present, n_for, n_against, n_abstain, carried,
                        f"{words}; quorum more than {rule.quorum:.0%} of {roster}")


@attrs.frozen
class Decision:
    """A decision of the council (决议事项) with its owner and deadline, followed to
    completion.

    Attributes:
        id: key.
        motion_id: the motion carried.
        community_code: the community.
        summary: what is to be done.
        owner: who answers for it (a staff member's or resident's key).
        decided_on: the meeting's day.
        due: the last day, in working days of the place's calendar.
        completed_on: the day it was done, or ``None``.
    """

    id: str
    motion_id: str
    community_code: str
    summary: str
    owner: str
    decided_on: dt.date
    due: dt.date
    completed_on: dt.date | None = None

    @property
    def on_time(self) -> bool | None:
        """Done by the deadline (``None`` while open)."""
        return None if self.completed_on is None else self.completed_on <= self.due


@attrs.frozen
class Meeting:
    """A council meeting held (议事会会议), with its attendance and minutes.

    Attributes:
        id: key.
        community_code: the council's community.
        title: e.g. 第四季度议事会.
        held_on: the day.
        minutes: the minutes as recorded (redacted when disclosed).
        attendees: the members present.
        kind: ``council`` (协商议事会) or ``joint`` (联席会议: the general committee with the
            partner units, held and voted the same way).
    """

    id: str
    community_code: str
    title: str
    held_on: dt.date
    minutes: str
    attendees: tuple[str, ...]
    kind: str = "council"


@attrs.frozen
class Motion:
    """A motion voted at a meeting (表决事项), with each member's vote.

    Attributes:
        id: key.
        meeting_id: the meeting.
        title: what was voted.
        kind: ordinary or major.
        held_on: the meeting's day.
        result: the counted result.
        votes: ``(member, choice)`` of each member who voted.
    """

    id: str
    meeting_id: str
    title: str
    kind: MotionKind
    held_on: dt.date
    result: MotionResult
    votes: tuple[tuple[str, Choice], ...]
