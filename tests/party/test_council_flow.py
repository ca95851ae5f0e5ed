"""The council's agenda with each item's quorum from the roster, and a motion's way from the
vote to a decision, to a case or a disbursement request and to the affairs board without
retyping, followed to completion; joint meetings the same way; the on-time report; the
owners' committee as a represented body. In Yima and in 湖滨区."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

import community_governance as cg
from community_governance.domain.council import (
    AgendaItem,
    Choice,
    CouncilMember,
    CouncilSeat,
    FollowStatus,
    LinkKind,
    VoteRule,
    item_quorum,
)
from community_governance.domain.funds import DisbursementState, credit, debit
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.storage.tables import cases as ct
from community_governance.storage.tables import party as pt
from community_governance.testing.city import SmallCity

from .conftest import SYSTEM, Clock

DAY = dt.date(2019, 11, 29)  # a Friday


def _council(gov: Any, city: SmallCity, n: int = 9) -> list[str]:
    c = city.communities[0]
    seats = [CouncilSeat.RESIDENTS, CouncilSeat.PARTY, CouncilSeat.PARTNER,
             CouncilSeat.PROPERTY, "owners_committee"]
    members = [CouncilMember(f"CM-{i}", c, seats[i % 5], f"代表{i}", dt.date(2019, 1, 1),
                             body_id="YW-1" if i % 5 == 4 else None) for i in range(n)]
    gov.council.add_members(city.secretary[c], members)
    return [m.id for m in members]


def _meeting(gov: Any, city: SmallCity, attendees: list[str], kind: str = "council") -> str:
    c = city.communities[0]
    gov.council.hold_meeting(city.secretary[c], "M-1", c, title="第四季度议事会", held_on=DAY,
                             attendees=attendees, minutes="议定事项。", kind=kind)
    return "M-1"


def _decision(gov: Any, city: SmallCity, kind: str = "council") -> str:
    c = city.communities[0]
    sec = city.secretary[c]
    ids = _council(gov, city)
    _meeting(gov, city, ids[:7], kind)
    gov.council.vote(sec, "MO-1", "M-1", title="维修单元门",
                     votes={m: "for" for m in ids[:6]}, kind="major")
    gov.council.decide(sec, "D-1", "MO-1", summary="更换1号楼单元门", owner="SEC-1",
                       working_days=10)
    return "D-1"


def _count(gov: Any, table: sa.Table) -> int:
    with gov.store.unit_of_work(write=False) as uow:
        return int(uow.conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


class TestSeats:
    def test_the_owners_committee_is_a_represented_body(self, gov: Any,
                                                        city: SmallCity) -> None:
        """``owners_committee`` (and the former ``owners``) name the seat; the body's key is
        kept."""
        _council(gov, city, 5)
        c = city.communities[0]
        got = {m.id: (m.seat, m.body_id) for m in gov.council.members(c)}
        assert got["CM-4"] == (CouncilSeat.OWNERS_COMMITTEE, "YW-1")
        assert CouncilSeat("owners") is CouncilSeat.OWNERS_COMMITTEE
        assert CouncilSeat.OWNERS_COMMITTEE.value == "owners_committee"


class TestAgenda:
    def test_each_items_quorum_comes_from_the_roster_less_those_standing_aside(
            self, gov: Any, city: SmallCity, county: str) -> None:
        """Nine sit, five attend: quorate for an item nobody stands aside from; an item from
        which two attending members stand aside has a roster of 7 and 3 present: no quorum,
        and its vote is refused, writing nothing; the agenda keeps its order."""
        c = city.communities[0]
        sec = city.secretary[c]
        ids = _council(gov, city)
        _meeting(gov, city, ids[:5])
        gov.council.raise_topic(cg.Actor.resident(city.all_residents()[0]), "T-1",
                                city.all_residents()[0], title="加装电梯")
        q = gov.council.set_agenda(sec, "M-1", [
            AgendaItem("I-2", "M-1", 2, "物业费调整", motion_id="MO-2", recused=(ids[0], ids[1])),
            AgendaItem("I-1", "M-1", 1, "加装电梯", topic_id="T-1", motion_id="MO-1")])
        assert [(x.item_id, x.roster, x.present, x.needed, x.quorate) for x in q] == [
            ("I-1", 9, 5, 5, True), ("I-2", 7, 3, 4, False)]
        assert [x.id for x in gov.council.agenda("M-1")] == ["I-1", "I-2"]
        with pytest.raises(ConflictError, match="no quorum"):
            gov.council.vote(sec, "MO-2", "M-1", title="物业费调整",
                             votes={ids[2]: "for"}, item_id="I-2")
        with pytest.raises(ValidationError, match="stands aside"):
            gov.council.vote(sec, "MO-2", "M-1", title="物业费调整", votes={ids[0]: "for"},
                             item_id="I-2")
        r = gov.council.vote(sec, "MO-1", "M-1", title="加装电梯",
                             votes={m: Choice.FOR for m in ids[:4]}, item_id="I-1")
        assert (r.roster, r.present, r.votes_for) == (9, 5, 4)
        # 湖滨区 holds every motion to two thirds: 4 of 5 carries everywhere
        assert r.carried is True
        items = {x.id: x for x in gov.council.agenda("M-1")}
        assert items["I-1"].motion_id == "MO-1"
        assert [m.id for m in gov.council.motions(c)] == ["MO-1"]
        with gov.store.unit_of_work(write=False) as uow:
            topic = uow.conn.execute(sa.select(pt.council_motions.c.topic_id).where(
                pt.council_motions.c.id == "MO-1")).scalar_one()
        assert topic == "T-1"

    def test_bad_items_are_refused(self, gov: Any, city: SmallCity) -> None:
        """An item linked to nothing, a member standing aside who does not sit, a position
        taken twice: refused, nothing written."""
        c = city.communities[0]
        sec = city.secretary[c]
        ids = _council(gov, city)
        _meeting(gov, city, ids[:5])
        with pytest.raises(ValidationError, match="topic"):
            AgendaItem("I-1", "M-1", 1, "空议题")
        with pytest.raises(ValidationError, match="does not sit"):
            gov.council.set_agenda(sec, "M-1", [AgendaItem("I-1", "M-1", 1, "x",
                                                           motion_id="MO-1",
                                                           recused=("CM-X",))])
        with pytest.raises(ConflictError, match="positions"):
            gov.council.set_agenda(sec, "M-1", [
                AgendaItem("I-1", "M-1", 1, "x", motion_id="MO-1"),
                AgendaItem("I-2", "M-1", 1, "y", motion_id="MO-2")])
        assert _count(gov, pt.council_agenda_items) == 0

    @pytest.mark.parametrize(("roster", "present", "recused", "quorate"), [
        (9, 5, 0, True), (9, 4, 0, False), (8, 4, 0, False), (8, 5, 1, True),
        (8, 4, 1, False)])
    def test_item_quorum_is_more_than_the_share(self, roster: int, present: int, recused: int,
                                                quorate: bool) -> None:
        """Strictly more than half of the roster less those standing aside (who are among
        those present here)."""
        members = [f"m{i}" for i in range(roster)]
        got = item_quorum(VoteRule("simple", 0.5), "I", members, members[:present],
                          members[:recused])
        assert quorate == got.quorate
        assert got.roster == roster - recused


def _fund(gov: Any, c: str) -> None:
    gov.funds.post(SYSTEM, c, [debit("1002", "74000"), credit("4101", "74000")],
                   channel="city_allocation", voucher="BK-2019-01", on=dt.date(2019, 1, 8),
                   counterparty="财政局")


class TestReferrals:
    def test_a_decision_becomes_a_case_and_a_posting_and_completes_with_the_case(
            self, gov: Any, city: SmallCity, clock: Clock) -> None:
        """The case carries the decision's words and source; the posting is linked; once the
        case is resolved, follow-up records the decision done on the day it was resolved."""
        c = city.communities[0]
        sec = city.secretary[c]
        did = _decision(gov, city)
        case = gov.council.refer_to_case(sec, did, category="repair",
                                         building_code=city.buildings[c][0], posting_id="A-1")
        assert "更换1号楼单元门" in case.description
        with gov.store.unit_of_work(write=False) as uow:
            assert uow.conn.execute(sa.select(ct.cases.c.source).where(
                ct.cases.c.id == case.id)).scalar_one() == f"council_decision:{did}"
        p = gov.council.progress(sec, did)
        assert [(x.kind, x.done) for x in p.links] == [(LinkKind.CASE, False),
                                                       (LinkKind.POSTING, True)]
        assert (p.status, p.ready_on) == (FollowStatus.OPEN, None)
        assert gov.council.follow_up(sec, c) == []
        clock.now = pendulum.datetime(2019, 12, 11, 2, tz="UTC")
        gov.cases.assign(SYSTEM, case.id, sec.id)
        gov.cases.start(SYSTEM, case.id)
        gov.cases.resolve(SYSTEM, case.id, note="已更换")
        done = gov.council.follow_up(sec, c)
        assert [(x.decision.id, x.decision.completed_on, x.status) for x in done] == [
            (did, dt.date(2019, 12, 11), FollowStatus.DONE)]
        assert gov.council.decisions(c)[0].completed_on == dt.date(2019, 12, 11)
        with pytest.raises(ConflictError, match="was done"):
            gov.council.refer_to_case(sec, did, category="repair",
                                      building_code=city.buildings[c][0])

    def test_a_decision_becomes_a_disbursement_request_once(
            self, gov: Any, city: SmallCity, clock: Clock) -> None:
        """The request's purpose is the decision's; a second request for it is refused; the
        decision completes when it is paid, on the payment's day."""
        c = city.communities[0]
        sec = city.secretary[c]
        _fund(gov, c)
        did = _decision(gov, city)
        d = gov.council.refer_to_funds(sec, did, account="5104", amount="800.00",
                                       payee="门窗公司")
        assert "更换1号楼单元门" in d.purpose
        with pytest.raises(ConflictError, match="already"):
            gov.council.refer_to_funds(sec, did, account="5104", amount="800.00",
                                       payee="门窗公司")
        assert len(gov.funds.disbursements(SYSTEM, c)) == 1
        d = gov.funds.approve(city.director[c], d.id)
        gov.funds.pay(city.staff[c], d.id, voucher="ZF-1", on=dt.date(2019, 12, 9))
        p = gov.council.progress(sec, did)
        assert [(x.kind, x.state, x.done_on) for x in p.links] == [
            (LinkKind.DISBURSEMENT, DisbursementState.PAID.value, dt.date(2019, 12, 9))]
        assert [x.decision.completed_on for x in gov.council.follow_up(sec, c)] == [
            dt.date(2019, 12, 9)]

    def test_a_joint_meetings_decision_goes_the_same_way(self, gov: Any,
                                                        city: SmallCity) -> None:
        """A decision of a 联席会议 is referred to a case like any other."""
        c = city.communities[0]
        did = _decision(gov, city, kind="joint")
        case = gov.council.refer_to_case(city.secretary[c], did, category="repair",
                                         building_code=city.buildings[c][1])
        assert [x.ref for x in gov.council.progress(city.secretary[c], did).links] == [case.id]

    def test_a_bad_referral_writes_nothing(self, gov: Any, city: SmallCity) -> None:
        """A building of another community, an unknown category, an unknown decision: no
        case, no link, no posting."""
        c = city.communities[0]
        sec = city.secretary[c]
        did = _decision(gov, city)
        elsewhere = city.buildings[city.communities[1]][0]
        with pytest.raises(ValidationError, match="is in"):
            gov.council.refer_to_case(sec, did, category="repair", building_code=elsewhere,
                                      posting_id="A-1")
        with pytest.raises(ValidationError):
            gov.council.refer_to_case(sec, did, category="no-such-category",
                                      building_code=city.buildings[c][0], posting_id="A-1")
        with pytest.raises(NotFound):
            gov.council.refer_to_case(sec, "D-X", category="repair",
                                      building_code=city.buildings[c][0])
        assert (_count(gov, ct.cases), _count(gov, pt.council_decision_links),
                _count(gov, pt.affairs_postings)) == (0, 0, 0)


class TestReports:
    def test_on_time_report_per_community(self, gov: Any, city: SmallCity,
                                          clock: Clock) -> None:
        """Decisions due by the day: on time, late, open past due, and the share on time."""
        c = city.communities[0]
        sec = city.secretary[c]
        ids = _council(gov, city)
        _meeting(gov, city, ids[:7])
        for k in range(3):
            gov.council.vote(sec, f"MO-{k}", "M-1", title=f"事项{k}",
                             votes={m: "for" for m in ids[:6]})
            gov.council.decide(sec, f"D-{k}", f"MO-{k}", summary=f"落实{k}", owner="SEC",
                               working_days=3)  # due Wed 4 Dec
        gov.council.complete(sec, "D-0", on=dt.date(2019, 12, 3))
        gov.council.complete(sec, "D-1", on=dt.date(2019, 12, 6))
        rows = gov.council.on_time_report(city.county, today=dt.date(2019, 12, 10))
        assert rows == [{"community": c, "due": 3, "on_time": 1, "late": 1,
                         "open_past_due": 1, "on_time_share": 0.3333}]
        assert gov.council.on_time_report(city.county, today=dt.date(2019, 12, 3)) == []
