"""Party rules added for 座谈会 (suggestions followed to actions) and festival visits
(leader links, designations, outstanding members, visit windows) (issue #13 item 11: exact
results, messages, paths and boundaries)."""

from __future__ import annotations

import datetime as dt

from community_governance.domain.council import FollowStatus
from community_governance.domain.party import (
    DEFAULT_VISIT_DAYS,
    CountyLeaderLink,
    Designation,
    EvaluationResult,
    FestivalVisit,
    Outstanding,
    PlannedVisit,
    Suggestion,
    Symposium,
    SymposiumAction,
    SymposiumRole,
    VisitReason,
    is_outstanding,
    visit_window,
)
from community_governance.errors import ValidationError
from tests.domain._exact import refused

D = dt.date


def test_symposium_roles() -> None:
    assert SymposiumRole.GROUP_LEADER.chinese == "网格党小组长"
    assert SymposiumRole.CENTRE_HOUSEHOLD.chinese == "党员中心户"
    assert [r.value for r in SymposiumRole] == ["group_leader", "centre_household"]


def test_suggestion_rules() -> None:
    s = Suggestion("A-1", "路灯坏了", "报修", "s1", 5)
    assert s.raised_by is None
    for wd in (1, 365):
        assert Suggestion("A-1", "t", "a", "o", wd).working_days == wd
    for text, action in (("", "a"), (" ", "a"), ("t", ""), ("t", "\t")):
        e = refused(ValidationError, "suggestion A-2: give the suggestion and the action it is "
                    "followed to @ action", Suggestion, "A-2", text, action, "o", 1)
        assert e.path == "action"  # type: ignore[attr-defined]
    for owner in ("", "  "):
        e = refused(ValidationError, "suggestion A-3: name who answers for its action @ owner",
                    Suggestion, "A-3", "t", "a", owner, 1)
        assert e.path == "owner"  # type: ignore[attr-defined]
    for bad in (0, 366, -1, True, False):
        e = refused(ValidationError, f"suggestion A-4: working_days is a whole number from 1 "
                    f"to 365, got {bad!r} @ working_days", Suggestion, "A-4", "t", "a", "o", bad)
        assert e.path == "working_days"  # type: ignore[attr-defined]


def test_symposium_action_status() -> None:
    kw = {"id": "A-1", "symposium_id": "S-1", "suggestion": "s", "action": "a", "owner": "o",
          "due": D(2019, 12, 6), "raised_by": "r1"}
    a = SymposiumAction.on(D(2019, 12, 6), completed_on=None, **kw)  # type: ignore[arg-type]
    assert a == SymposiumAction("A-1", "S-1", "s", "a", "o", D(2019, 12, 6), None, "r1",
                                FollowStatus.OPEN)
    assert SymposiumAction.on(D(2019, 12, 7), completed_on=None,
                              **kw).status is FollowStatus.LATE  # type: ignore[arg-type]
    assert SymposiumAction.on(D(2019, 12, 9), completed_on=D(2019, 12, 6),
                              **kw).status is FollowStatus.DONE  # type: ignore[arg-type]
    late = SymposiumAction.on(D(2019, 12, 9), completed_on=D(2019, 12, 7),
                              **kw)  # type: ignore[arg-type]
    assert late == SymposiumAction("A-1", "S-1", "s", "a", "o", D(2019, 12, 6), D(2019, 12, 7),
                                   "r1", FollowStatus.LATE)
    sy = Symposium("S-1", "c", "座谈会", D(2019, 12, 1), "", ())
    assert sy.actions == ()


def test_leader_link_term() -> None:
    link = CountyLeaderLink("L-1", "s1", "c", "县委副书记", D(2019, 1, 1), D(2019, 12, 31))
    assert [link.sits_on(d) for d in (D(2018, 12, 31), D(2019, 1, 1), D(2019, 12, 31),
                                      D(2020, 1, 1))] == [False, True, True, False]
    open_ = CountyLeaderLink("L-2", "s1", "c", "县长", D(2019, 1, 1))
    assert open_.end is None
    assert (open_.sits_on(D(2018, 12, 31)), open_.sits_on(D(2030, 1, 1))) == (False, True)
    CountyLeaderLink("L-3", "s1", "c", "县长", D(2019, 1, 1), D(2019, 1, 1))
    e = refused(ValidationError, "leader link L-4: the term ends (2018-12-31) before it starts "
                "(2019-01-01) @ end", CountyLeaderLink, "L-4", "s1", "c", "县长",
                D(2019, 1, 1), D(2018, 12, 31))
    assert e.path == "end"  # type: ignore[attr-defined]


def test_designation_holds_a_year() -> None:
    d = Designation("G-1", "r1", "c", "优秀共产党员", D(2019, 7, 1))
    assert d.end is None
    assert [d.holds_on(x) for x in (D(2019, 6, 30), D(2019, 7, 1), D(2020, 6, 30),
                                    D(2020, 7, 1))] == [False, True, True, False]
    leap = Designation("G-2", "r1", "c", "优秀共产党员", D(2020, 2, 29))
    assert [leap.holds_on(x) for x in (D(2020, 2, 28), D(2020, 2, 29), D(2021, 2, 28),
                                       D(2021, 3, 1))] == [False, True, True, False]
    ended = Designation("G-3", "r1", "c", "优秀共产党员", D(2019, 7, 1), D(2019, 9, 30))
    assert [ended.holds_on(x) for x in (D(2019, 7, 1), D(2019, 9, 30), D(2019, 10, 1))] == [
        True, True, False]
    late_end = Designation("G-4", "r1", "c", "优秀共产党员", D(2019, 7, 1), D(2021, 1, 1))
    assert (late_end.holds_on(D(2020, 6, 30)), late_end.holds_on(D(2020, 7, 1))) == (True, False)


def _result(counts: tuple[tuple[str, int], ...] | None, published: bool = True) -> EvaluationResult:
    ballots = sum(n for _, n in counts) if counts else 0
    return EvaluationResult("R", "m", ballots, counts, published, 3)


def test_is_outstanding() -> None:
    assert is_outstanding(_result((("优秀", 3), ("合格", 2))))
    assert not is_outstanding(_result((("优秀", 2), ("合格", 2))))  # exactly half
    assert not is_outstanding(_result((("优秀", 2), ("合格", 3))))
    assert is_outstanding(_result((("优秀", 1),)))
    assert not is_outstanding(_result((("优秀", 3), ("合格", 0)), published=False))
    assert not is_outstanding(_result(None, published=True))
    assert not is_outstanding(_result((), published=True))
    assert not is_outstanding(EvaluationResult("R", "m", 0, (("优秀", 0),), True, 0))
    # published with ballots but no counts given: not outstanding (and no crash)
    assert not is_outstanding(EvaluationResult("R", "m", 3, None, True, 3))
    assert not is_outstanding(EvaluationResult("R", "m", 3, (), True, 3))


def test_outstanding_and_windows() -> None:
    assert DEFAULT_VISIT_DAYS == 10
    o = Outstanding("r1", "张*", "c", "designation")
    assert (o.reason, o.source) == (VisitReason.DESIGNATION, "")
    assert [r.value for r in VisitReason] == ["evaluation", "designation"]
    assert visit_window(D(2019, 9, 13), 10) == (D(2019, 9, 3), D(2019, 9, 13))
    assert visit_window(D(2020, 1, 25), 0) == (D(2020, 1, 25), D(2020, 1, 25))
    assert visit_window(D(2020, 3, 1), 1) == (D(2020, 2, 29), D(2020, 3, 1))
    p = PlannedVisit(o, "mid_autumn", D(2019, 9, 13), visit_window(D(2019, 9, 13), 10), ())
    assert p.visited is None
    v = FestivalVisit("V-1", "s1", "r1", "mid_autumn", 2019, D(2019, 9, 10))
    assert v.note == ""
