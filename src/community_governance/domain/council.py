"""The consultative council (协商议事会) of a community: members with terms, topics raised by
residents (民情收集), meetings with attendance and quorum, motions, votes and decisions followed
to completion.

Pure rules: no I/O, no hooks, no clock.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Iterable, Mapping

import attrs

from community_governance.domain.pii_text import published
from community_governance.errors import ConflictError, ValidationError

__all__ = [
    "AgendaItem",
    "Choice",
    "CouncilMember",
    "CouncilSeat",
    "Decision",
    "DecisionLink",
    "DecisionProgress",
    "FollowStatus",
    "ItemQuorum",
    "LinkKind",
    "Majority",
    "Meeting",
    "Motion",
    "MotionKind",
    "MotionResult",
    "VoteRule",
    "count_votes",
    "follow_status",
    "item_quorum",
]


class CouncilSeat(enum.StrEnum):
    """Whom a council member represents (the kind of body: 代表类别)."""

    RESIDENTS = "residents"  #: 居民代表
    PARTY = "party"  #: 党员代表
    PARTNER = "partner"  #: 共建单位代表
    PROPERTY = "property"  #: 物业服务企业代表
    OWNERS_COMMITTEE = "owners_committee"  #: 业主委员会代表
    #: the former name of :attr:`OWNERS_COMMITTEE` (``"owners"`` is still accepted)
    OWNERS = "owners_committee"

    @classmethod
    def _missing_(cls, value: object) -> CouncilSeat | None:
        return cls.OWNERS_COMMITTEE if value == "owners" else None


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
        body_id: the key of the body represented, when it is one: a partner unit, a property
            company, an owners' committee (业主委员会; seat ``owners_committee``).
    """

    id: str
    community_code: str
    seat: CouncilSeat = attrs.field(converter=CouncilSeat)
    name: str = attrs.field(validator=published)
    start: dt.date = attrs.field()
    end: dt.date | None = None
    resident_id: str | None = None
    body_id: str | None = None

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


class FollowStatus(enum.StrEnum):
    """Where a thing followed to completion stands on a day (a decision, a 座谈会's action)."""

    OPEN = "open"  #: 办理中 (not done, not past its deadline)
    DONE = "done"  #: 按期办结
    LATE = "late"  #: 超期 (done after its deadline, or still open past it)


def follow_status(due: dt.date, completed_on: dt.date | None, today: dt.date) -> FollowStatus:
    """Open, done (by ``due``) or late, on ``today``.

    >>> follow_status(dt.date(2019, 12, 6), None, dt.date(2019, 12, 9)).value
    'late'
    """
    if completed_on is not None:
        return FollowStatus.DONE if completed_on <= due else FollowStatus.LATE
    return FollowStatus.LATE if today > due else FollowStatus.OPEN


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


# --------------------------------------------------------------------------- agenda


@attrs.frozen
class AgendaItem:
    """An item of a council meeting's agenda (议程事项), in order, linked to a topic raised by
    residents or to a motion (or both: a motion on a topic).

    Attributes:
        id: key.
        meeting_id: the meeting.
        position: its place in the order, from 1.
        title: what the item is.
        topic_id: the topic it takes up (民情收集), if any.
        motion_id: the key of the motion voted under it, if any (the motion exists once
            voted; :meth:`~community_governance.services.council.CouncilService.vote` with
            ``item_id``).
        recused: members who stand aside from the item (回避: a conflict of interest); they
            are off the item's roster and do not vote on it.
        kind: ordinary or major (the rule, hence the quorum, the place sets for each).
    """

    id: str
    meeting_id: str
    position: int
    title: str
    topic_id: str | None = None
    motion_id: str | None = None
    recused: tuple[str, ...] = ()
    kind: MotionKind = attrs.field(converter=MotionKind, default=MotionKind.ORDINARY)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.position, bool) or self.position < 1:
            raise ValidationError(f"agenda item {self.id}: positions count from 1, got "
                                  f"{self.position!r}", path="position")
        if not self.title.strip():
            raise ValidationError(f"agenda item {self.id} needs a title", path="title")
        if self.topic_id is None and self.motion_id is None:
            raise ValidationError(
                f"agenda item {self.id}: an item takes up a topic (topic_id) or is voted as a "
                "motion (motion_id); give one or both", path="topic_id")


@attrs.frozen
class ItemQuorum:
    """The quorum of one agenda item (议题法定人数), computed from the roster sitting on the
    meeting's day less the members who stand aside from the item.

    Attributes:
        item_id: the item.
        roster: members sitting that day, less those recused.
        present: attendees, less those recused.
        needed: the fewest attendees that make a quorum.
        quorate: whether the item may be voted.
    """

    item_id: str
    roster: int
    present: int
    needed: int
    quorate: bool


def item_quorum(rule: VoteRule, item_id: str, roster: Iterable[str], present: Iterable[str],
                recused: Iterable[str] = ()) -> ItemQuorum:
    """The quorum of an item under ``rule``: strictly more than ``rule.quorum`` of the item's
    roster (those sitting, less those recused) must attend.

    >>> item_quorum(VoteRule("simple", 0.5), "I-1", "abcdefghi", "abcde", "a")
    ItemQuorum(item_id='I-1', roster=8, present=4, needed=5, quorate=False)
    """
    out = set(recused)
    seated = set(roster) - out
    here = (set(present) & set(roster)) - out
    needed = math.floor(rule.quorum * len(seated)) + 1
    return ItemQuorum(item_id, len(seated), len(here), needed, len(here) >= needed)


# --------------------------------------------------------------------------- referrals


class LinkKind(enum.StrEnum):
    """What a decision is referred to, created from the decision without retyping."""

    CASE = "case"  #: 事务 (services/cases)
    DISBURSEMENT = "disbursement"  #: 支出申请 (services/funds)
    POSTING = "posting"  #: 社区事务公开事项 (services/affairs)


@attrs.frozen
class DecisionLink:
    """A record a decision was referred to, with where it stands.

    Attributes:
        kind: case, disbursement or posting.
        ref: its key.
        state: its status (a case's, a disbursement's; ``posted`` for a posting).
        done: whether it is finished (a case resolved or closed, a disbursement paid, a
            posting posted); a refused disbursement is finished too, and not done.
        done_on: the day it was finished, if it is.
    """

    kind: LinkKind = attrs.field(converter=LinkKind)
    ref: str = ""
    state: str = ""
    done: bool = False
    done_on: dt.date | None = None


@attrs.frozen
class DecisionProgress:
    """A decision and the records it was referred to (决议办理进度).

    Attributes:
        decision: the decision.
        links: the records, in the order they were made.
        status: ``open``, ``done`` (completed by the deadline) or ``late`` (completed after it,
            or open past it), on the day asked.
        ready_on: the day the last referred case or disbursement was finished, when every one
            is (the decision may then be recorded done on that day); ``None`` otherwise.
    """

    decision: Decision
    links: tuple[DecisionLink, ...]
    status: FollowStatus = attrs.field(converter=FollowStatus)
    ready_on: dt.date | None = None
