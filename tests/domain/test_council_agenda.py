"""Council rules added for the agenda, each item's quorum, referrals and follow-up
(issue #13 item 11: exact results, messages, paths and boundaries)."""

from __future__ import annotations

import datetime as dt

from community_governance.domain.council import (
    AgendaItem,
    CouncilSeat,
    Decision,
    DecisionLink,
    DecisionProgress,
    FollowStatus,
    ItemQuorum,
    LinkKind,
    MotionKind,
    VoteRule,
    follow_status,
    item_quorum,
)
from community_governance.errors import ValidationError
from tests.domain._exact import refused

D = dt.date


def test_owners_seat_old_name() -> None:
    assert CouncilSeat("owners") is CouncilSeat.OWNERS_COMMITTEE
    assert CouncilSeat("owners_committee") is CouncilSeat.OWNERS_COMMITTEE
    assert CouncilSeat.OWNERS.value == CouncilSeat.OWNERS_COMMITTEE.value
    try:
        CouncilSeat("owner")
    except ValueError as e:
        assert "owner" in str(e)
    else:  # pragma: no cover
        raise AssertionError("CouncilSeat('owner') accepted")


def test_agenda_item_rules() -> None:
    a = AgendaItem("I-1", "M-1", 1, "加装电梯", topic_id="T-1")
    assert (a.motion_id, a.recused, a.kind) == (None, (), MotionKind.ORDINARY)
    b = AgendaItem("I-2", "M-1", 2, "预算", motion_id="MO-1", kind="major")
    assert (b.topic_id, b.kind) == (None, MotionKind.MAJOR)
    for bad in (0, -1, False, True):
        e = refused(ValidationError, f"agenda item I-3: positions count from 1, got {bad!r} "
                    "@ position", AgendaItem, "I-3", "M-1", bad, "x", topic_id="T")
        assert e.path == "position"  # type: ignore[attr-defined]
    for blank in ("", "  ", "\n"):
        e = refused(ValidationError, "agenda item I-4 needs a title @ title",
                    AgendaItem, "I-4", "M-1", 1, blank, topic_id="T")
        assert e.path == "title"  # type: ignore[attr-defined]
    e = refused(ValidationError, "agenda item I-5: an item takes up a topic (topic_id) or is "
                "voted as a motion (motion_id); give one or both @ topic_id",
                AgendaItem, "I-5", "M-1", 1, "x")
    assert e.path == "topic_id"  # type: ignore[attr-defined]


def test_item_quorum() -> None:
    half = VoteRule("simple", 0.5)
    assert item_quorum(half, "I-1", "abcdefghi", "abcde", "a") == ItemQuorum(
        "I-1", 8, 4, 5, False)
    assert item_quorum(half, "I-1", "abcdefghi", "abcde") == ItemQuorum("I-1", 9, 5, 5, True)
    assert item_quorum(half, "I-1", "abcdefgh", "abcde") == ItemQuorum("I-1", 8, 5, 5, True)
    assert item_quorum(half, "I-1", "abcdefgh", "abcd") == ItemQuorum("I-1", 8, 4, 5, False)
    # attendees not on the roster do not count; recused non-members change nothing
    assert item_quorum(half, "I-2", "abcd", "abcxyz", "z") == ItemQuorum("I-2", 4, 3, 3, True)
    two = VoteRule("two_thirds", 2 / 3)
    assert item_quorum(two, "I-3", "abcdef", "abcd") == ItemQuorum("I-3", 6, 4, 5, False)
    assert item_quorum(two, "I-3", "abcdef", "abcde") == ItemQuorum("I-3", 6, 5, 5, True)
    assert item_quorum(half, "I-4", "", "") == ItemQuorum("I-4", 0, 0, 1, False)


def test_follow_status() -> None:
    due = D(2019, 12, 6)
    assert follow_status(due, None, D(2019, 12, 5)) is FollowStatus.OPEN
    assert follow_status(due, None, due) is FollowStatus.OPEN
    assert follow_status(due, None, D(2019, 12, 7)) is FollowStatus.LATE
    assert follow_status(due, due, D(2019, 12, 9)) is FollowStatus.DONE
    assert follow_status(due, D(2019, 12, 1), D(2019, 12, 2)) is FollowStatus.DONE
    assert follow_status(due, D(2019, 12, 7), D(2019, 12, 7)) is FollowStatus.LATE
    assert follow_status(due, D(2019, 12, 7), D(2019, 12, 1)) is FollowStatus.LATE
    assert [s.value for s in FollowStatus] == ["open", "done", "late"]


def test_links_and_progress() -> None:
    assert [k.value for k in LinkKind] == ["case", "disbursement", "posting"]
    link = DecisionLink("case")
    assert (link.kind, link.ref, link.state, link.done, link.done_on) == (
        LinkKind.CASE, "", "", False, None)
    d = Decision("D-1", "MO-1", "c", "修路", "s1", D(2019, 12, 1), D(2019, 12, 6))
    assert (d.completed_on, d.on_time) == (None, None)
    p = DecisionProgress(d, (link,), "late")
    assert (p.status, p.ready_on) == (FollowStatus.LATE, None)
