"""The consultative council (协商议事会): members with terms, topics with supporters, meetings
with attendance and quorum, votes under the place's rule, decisions with working-day deadlines
followed to completion."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

import community_governance as cg
from community_governance.domain.council import Choice, CouncilMember, CouncilSeat
from community_governance.errors import (
    ConflictError,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
)
from community_governance.storage.tables import party as pt
from community_governance.testing.city import SmallCity

from .conftest import NOW

DAY = dt.date(2019, 11, 29)  # a Friday


def _council(gov: Any, city: SmallCity, n: int = 9) -> list[str]:
    c = city.communities[0]
    seats = [CouncilSeat.RESIDENTS, CouncilSeat.PARTY, CouncilSeat.PARTNER,
             CouncilSeat.PROPERTY]
    residents = city.all_residents()
    members = [CouncilMember(f"CM-{i}", c, seats[i % 4], f"代表{i}", dt.date(2019, 1, 1),
                             resident_id=residents[i] if i % 4 in (0, 1) else None)
               for i in range(n)]
    members.append(CouncilMember("CM-OLD", c, CouncilSeat.RESIDENTS, "前代表",
                                 dt.date(2016, 1, 1), dt.date(2018, 12, 31)))
    assert gov.council.add_members(city.secretary[c], members) == n + 1
    return [m.id for m in members[:n]]


def test_topics_are_raised_and_supported_by_residents(gov: Any, city: SmallCity) -> None:
    """A resident raises a topic where they live; neighbours support it once; others may not
    act for them."""
    c = city.communities[0]
    rs = [r for h in city.households[city.buildings[c][0]] for r in city.residents[h]]
    gov.council.raise_topic(cg.Actor.resident(rs[0]), "T-1", rs[0], title="加装电梯")
    gov.council.raise_topic(cg.Actor.resident(rs[1]), "T-2", rs[1], title="增设充电桩")
    for r in rs[2:5]:
        gov.council.support_topic(cg.Actor.resident(r), "T-2", r)
    with pytest.raises(ConflictError, match="already"):
        gov.council.support_topic(cg.Actor.resident(rs[2]), "T-2", rs[2])
    with pytest.raises(PermissionDenied):
        gov.council.support_topic(cg.Actor.resident(rs[0]), "T-2", rs[5])
    elsewhere = city.residents[city.households[city.buildings[city.communities[1]][0]][0]][0]
    with pytest.raises(ValidationError, match="elsewhere"):
        gov.council.support_topic(cg.Actor.resident(elsewhere), "T-2", elsewhere)
    assert [(x.id, x.supporters) for x in gov.council.topics(c)] == [("T-2", 4), ("T-1", 1)]


def test_a_motion_carries_under_the_places_rule(gov: Any, city: SmallCity,
                                                county: str) -> None:
    """Quorum from the roster sitting that day; simple majority (Yima) or two thirds (湖滨区,
    for every motion); a major matter needs two thirds everywhere."""
    c = city.communities[0]
    sec = city.secretary[c]
    ids = _council(gov, city)
    assert len(gov.council.members(c, on=DAY)) == 9
    gov.council.hold_meeting(sec, "M-1", c, title="第四季度议事会", held_on=DAY,
                             attendees=ids[:6], minutes="议定加装电梯事项。")
    votes = {m: Choice.FOR for m in ids[:4]} | {ids[4]: Choice.AGAINST}
    r = gov.council.vote(sec, "MO-1", "M-1", title="同意加装电梯", votes=votes)
    assert (r.roster, r.present, r.votes_for, r.against, r.abstain) == (9, 6, 4, 1, 1)
    assert r.carried is True  # 4 of 6: more than half, and two thirds
    r2 = gov.council.vote(sec, "MO-2", "M-1", title="增设充电桩",
                          votes={m: Choice.FOR for m in ids[:3]})
    assert r2.carried is False  # 3 of 6 is not more than half
    five = {m: Choice.FOR for m in ids[:5]}
    r3 = gov.council.vote(sec, "MO-3", "M-1", title="年度预算", votes=five, kind="major")
    assert r3.carried is True
    gov.council.hold_meeting(sec, "M-2", c, title="临时会议", held_on=DAY,
                             attendees=ids[:7], minutes="表决。")
    r4 = gov.council.vote(sec, "MO-4", "M-2", title="一般事项",
                          votes={m: Choice.FOR for m in ids[:4]})
    assert r4.carried is (county != "411202")  # 4 of 7: a half, not two thirds


def test_bad_votes_are_refused_and_write_nothing(gov: Any, city: SmallCity) -> None:
    """No quorum, a voter absent, a motion voted twice, a meeting in the future marked held,
    a stranger running the council: refused, nothing written."""
    c = city.communities[0]
    sec = city.secretary[c]
    ids = _council(gov, city)
    with pytest.raises(ValidationError, match="after today"):
        gov.council.hold_meeting(sec, "M-F", c, title="x", held_on=NOW.date() + dt.timedelta(days=1),
            attendees=ids[:5], minutes="x")
    with pytest.raises(ValidationError, match="does not sit"):
        gov.council.hold_meeting(sec, "M-0", c, title="x", held_on=DAY,
                                 attendees=["CM-OLD"], minutes="x")
    gov.council.hold_meeting(sec, "M-1", c, title="x", held_on=DAY, attendees=ids[:4],
                             minutes="到会不足。")
    with pytest.raises(ConflictError, match="no quorum: 4 of 9"):
        gov.council.vote(sec, "MO-1", "M-1", title="x", votes={ids[0]: "for"})
    gov.council.hold_meeting(sec, "M-2", c, title="x", held_on=DAY, attendees=ids[:5],
                             minutes="到会过半。")
    with pytest.raises(ValidationError, match="did not attend"):
        gov.council.vote(sec, "MO-1", "M-2", title="x", votes={ids[6]: "for"})
    gov.council.vote(sec, "MO-1", "M-2", title="x", votes={ids[0]: "for"})
    with pytest.raises(ConflictError, match="voted already"):
        gov.council.vote(sec, "MO-1", "M-2", title="x", votes={ids[1]: "for"})
    with pytest.raises(PermissionDenied):
        gov.council.vote(city.grid_leader[city.grids[c][0]], "MO-9", "M-2", title="x",
                         votes={})
    with gov.store.unit_of_work(write=False) as uow:
        assert uow.conn.execute(sa.select(sa.func.count()).select_from(
            pt.council_motions)).scalar_one() == 1
        assert uow.conn.execute(sa.select(sa.func.count()).select_from(
            pt.council_votes)).scalar_one() == 1


def test_a_decision_is_followed_to_completion(gov: Any, city: SmallCity) -> None:
    """A carried motion becomes a decision due in working days of the place's calendar; it is
    done once; a failed motion makes no decision."""
    c = city.communities[0]
    sec = city.secretary[c]
    ids = _council(gov, city)
    gov.council.hold_meeting(sec, "M-1", c, title="x", held_on=DAY, attendees=ids[:6],
                             minutes="议定。")
    gov.council.vote(sec, "MO-1", "M-1", title="加装电梯", votes={m: "for" for m in ids[:5]})
    gov.council.vote(sec, "MO-2", "M-1", title="否决事项", votes={ids[0]: "for"})
    d = gov.council.decide(sec, "D-1", "MO-1", summary="联系施工单位勘察", owner="SEC-X",
                           working_days=5)
    assert d.due == dt.date(2019, 12, 6)  # Friday + 5 working days (no holiday between)
    with pytest.raises(ConflictError, match="not carried"):
        gov.council.decide(sec, "D-2", "MO-2", summary="x", owner="o", working_days=5)
    with pytest.raises(ConflictError, match="decision already"):
        gov.council.decide(sec, "D-3", "MO-1", summary="x", owner="o", working_days=5)
    done = gov.council.complete(sec, "D-1", on=dt.date(2019, 12, 5))
    assert done.on_time is True
    with pytest.raises(InvalidTransition):
        gov.council.complete(sec, "D-1", on=dt.date(2019, 12, 6))
    assert gov.council.on_time_share(c, today=NOW.date()) == (1, 1, 0)
    assert gov.council.decisions(c) == [done]
    with pytest.raises(PermissionDenied):
        gov.council.decide(cg.Actor.resident(city.all_residents()[0]), "D-4", "MO-1", summary="x",
                           owner="o", working_days=1)


def test_participation_per_community_and_month(gov: Any, city: SmallCity) -> None:
    """Counts meetings, attendance, topics, supporters and decisions per community and month,
    naming nobody."""
    c = city.communities[0]
    sec = city.secretary[c]
    ids = _council(gov, city)
    rs = [r for h in city.households[city.buildings[c][0]] for r in city.residents[h]]
    gov.council.raise_topic(cg.Actor.resident(rs[0]), "T-1", rs[0], title="加装电梯")
    gov.council.support_topic(cg.Actor.resident(rs[1]), "T-1", rs[1])
    gov.council.hold_meeting(sec, "M-1", c, title="x", held_on=DAY, attendees=ids[:6],
                             minutes="议定。")
    gov.council.vote(sec, "MO-1", "M-1", title="x", votes={m: "for" for m in ids[:5]})
    gov.council.decide(sec, "D-1", "MO-1", summary="x", owner="o", working_days=5)
    got = {r["month"]: r for r in gov.council.participation(c)}
    assert (got["2019-11"]["meetings"], got["2019-11"]["attendance"]) == (1, 6)
    assert (got["2019-12"]["topics"], got["2019-12"]["supporters"]) == (1, 2)
    assert (got["2019-12"]["decisions_due"], got["2019-12"]["done_on_time"]) == (1, 0)
    assert all(set(r) >= {"community", "month", "ballots"} for r in got.values())
    assert not any(r in str(got) for r in rs)


def test_a_joint_meeting_with_partner_units_is_held_and_voted_the_same_way(
        gov: Any, city: SmallCity) -> None:
    """联席会议: the general committee with the partner units' representatives, recorded and
    voted as a council meeting; an unknown kind is refused."""
    c = city.communities[0]
    sec = city.secretary[c]
    ids = _council(gov, city)
    gov.council.hold_meeting(sec, "J-1", c, title="党建联席会议", held_on=DAY,
                             attendees=ids[:6], minutes="共驻共建项目。", kind="joint")
    r = gov.council.vote(sec, "JM-1", "J-1", title="共建项目",
                         votes={m: "for" for m in ids[:4]})
    assert r.carried
    assert [(m.id, m.kind) for m in gov.council.meetings(c)] == [("J-1", "joint")]
    with pytest.raises(ValidationError, match="joint"):
        gov.council.hold_meeting(sec, "J-2", c, title="x", held_on=DAY, attendees=ids[:6],
                                 minutes="x", kind="party")
