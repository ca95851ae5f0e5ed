"""The 座谈会 of grid party group leaders and 党员中心户: attendance checked, minutes redacted on
the way out, suggestions followed to actions with an owner, a working-day deadline and a status
(open, done, late); in Yima and in 湖滨区."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

import community_governance as cg
from community_governance.domain.council import FollowStatus, follow_status
from community_governance.domain.party import Suggestion, SymposiumRole
from community_governance.domain.posts import HolderKind, Post, PostKind
from community_governance.errors import (
    ConflictError,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
)
from community_governance.storage.tables import core as t
from community_governance.storage.tables import party as pt
from community_governance.testing.city import SmallCity

from .conftest import SYSTEM, Clock

DAY = dt.date(2019, 11, 29)  # a Friday


def _setup(gov: Any, party: SmallCity) -> tuple[str, list[str], str]:
    """The first community, its building group's members, and a 党员中心户 post holder."""
    c = party.communities[0]
    b1 = party.buildings[c][0]
    members = [r for h in party.households[b1] for r in party.residents[h]]
    gov.registry.assign_posts(SYSTEM, [Post("P-ZX-1", PostKind.PARTY_HOUSEHOLD_CENTRE, b1,
                                            HolderKind.RESIDENT, members[1], dt.date(2019, 1, 1))])
    return c, members, members[1]


def _name(gov: Any, resident_id: str) -> str:
    with gov.store.unit_of_work(write=False) as uow:
        return str(uow.conn.execute(sa.select(t.residents.c.name).where(
            t.residents.c.id == resident_id)).scalar_one())


def _count(gov: Any, table: sa.Table) -> int:
    with gov.store.unit_of_work(write=False) as uow:
        return int(uow.conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


class TestHoldSymposium:
    def test_records_attendance_minutes_and_actions_with_working_day_deadlines(
            self, gov: Any, party: SmallCity) -> None:
        """Group leaders and 党员中心户 attend; each suggestion gets an owner and a deadline in
        working days of the place's calendar (Fri 29 Nov + 5 working days = Fri 6 Dec)."""
        c, members, centre = _setup(gov, party)
        sec = party.secretary[c]
        name = _name(gov, members[0])
        got = gov.party.hold_symposium(
            sec, "ZT-1", c, title="第四季度党员中心户座谈会", held_on=DAY,
            attendees={members[0]: "group_leader", centre: SymposiumRole.CENTRE_HOUSEHOLD},
            minutes=f"{name}建议增设楼道照明，联系电话13900000001。",
            suggestions=[Suggestion("ZA-1", "楼道照明不足", "维修楼道灯", "SEC-1", 5,
                                    raised_by=members[0]),
                         Suggestion("ZA-2", "垃圾清运不及时", "协调物业加密清运", "SEC-1", 10)])
        assert [a.due for a in got.actions] == [dt.date(2019, 12, 6), dt.date(2019, 12, 13)]
        assert dict(got.attendees) == {members[0]: SymposiumRole.GROUP_LEADER,
                                       centre: SymposiumRole.CENTRE_HOUSEHOLD}
        assert name not in got.minutes and "13900000001" not in got.minutes
        assert "139****0001" in got.minutes
        assert [a.status for a in got.actions] == [FollowStatus.LATE, FollowStatus.OPEN]

    def test_refuses_a_non_member_a_false_centre_and_a_future_day_writing_nothing(
            self, gov: Any, party: SmallCity, clock: Clock) -> None:
        """A resident who is not a member, a member recorded as 党员中心户 without the post,
        a meeting after today, a suggestion by someone absent: refused, nothing written."""
        c, members, centre = _setup(gov, party)
        sec = party.secretary[c]
        outsider = party.residents[party.households[party.buildings[c][1]][0]][0]
        cases: list[tuple[dict[str, Any], str]] = [
            ({"attendees": {outsider: "group_leader"}}, "not a party member"),
            ({"attendees": {members[0]: "centre_household"}}, "党员中心户 post"),
            ({"attendees": {centre: "centre_household"}, "held_on": clock.now.date()
              + dt.timedelta(days=1)}, "after today"),
            ({"attendees": {centre: "centre_household"},
              "suggestions": [Suggestion("ZA-9", "x", "y", "SEC", 3, raised_by=members[0])]},
             "did not attend"),
        ]
        for extra, message in cases:
            kw: dict[str, Any] = {"title": "座谈会", "held_on": DAY, "minutes": "纪要"} | extra
            with pytest.raises(ValidationError, match=message):
                gov.party.hold_symposium(sec, "ZT-X", c, **kw)
        assert (_count(gov, pt.party_symposia), _count(gov, pt.party_symposium_actions)) == (0, 0)

    def test_only_the_committee_holds_one(self, gov: Any, party: SmallCity) -> None:
        """A resident (even an attendee) may not record a 座谈会."""
        c, _members, centre = _setup(gov, party)
        with pytest.raises(PermissionDenied):
            gov.party.hold_symposium(cg.Actor.resident(centre), "ZT-1", c, title="座谈会",
                                     held_on=DAY, attendees={centre: "centre_household"},
                                     minutes="纪要")

    def test_a_key_is_used_once(self, gov: Any, party: SmallCity) -> None:
        """The same 座谈会 twice: refused."""
        c, _, centre = _setup(gov, party)
        sec = party.secretary[c]
        kw: dict[str, Any] = {"title": "座谈会", "held_on": DAY,
                              "attendees": {centre: "centre_household"}, "minutes": "纪要"}
        gov.party.hold_symposium(sec, "ZT-1", c, **kw)
        with pytest.raises(ConflictError, match="exists already"):
            gov.party.hold_symposium(sec, "ZT-1", c, **kw)


class TestActions:
    def test_actions_are_followed_to_done_or_late(self, gov: Any, party: SmallCity) -> None:
        """One action done by its deadline, one after it, one open: done, late, open; the list
        filters by status; an action is done once."""
        c, _, centre = _setup(gov, party)
        sec = party.secretary[c]
        gov.party.hold_symposium(sec, "ZT-1", c, title="座谈会", held_on=DAY,
                                 attendees={centre: "centre_household"}, minutes="纪要",
                                 suggestions=[Suggestion("ZA-1", "a", "维修", "SEC", 2)])
        gov.party.add_symposium_actions(sec, "ZT-1", [
            Suggestion("ZA-2", "b", "清运", "SEC", 3), Suggestion("ZA-3", "c", "走访", "SEC", 20)])
        done = gov.party.complete_symposium_action(sec, "ZA-1", on=dt.date(2019, 12, 3))
        late = gov.party.complete_symposium_action(sec, "ZA-2", on=dt.date(2019, 12, 9))
        assert (done.status, late.status) == (FollowStatus.DONE, FollowStatus.LATE)
        got = {a.id: a.status for a in gov.party.symposium_actions(sec, c)}
        assert got == {"ZA-1": FollowStatus.DONE, "ZA-2": FollowStatus.LATE,
                       "ZA-3": FollowStatus.OPEN}
        assert [a.id for a in gov.party.symposium_actions(sec, c, status="late")] == ["ZA-2"]
        with pytest.raises(InvalidTransition, match="already"):
            gov.party.complete_symposium_action(sec, "ZA-1", on=dt.date(2019, 12, 4))
        with pytest.raises(ValidationError, match="between"):
            gov.party.complete_symposium_action(sec, "ZA-3", on=dt.date(2019, 11, 1))

    def test_the_list_is_access_logged_and_suggestions_redacted(
            self, gov: Any, party: SmallCity) -> None:
        """Reading who attended writes the access log; suggestions come out redacted."""
        c, _members, centre = _setup(gov, party)
        sec = party.secretary[c]
        gov.party.hold_symposium(sec, "ZT-1", c, title="座谈会", held_on=DAY,
                                 attendees={centre: "centre_household"}, minutes="纪要",
                                 suggestions=[Suggestion("ZA-1", "电话13900000002反映", "回访",
                                                         "SEC", 2)])
        found = gov.party.symposia(sec, c)
        assert [s.id for s in found] == ["ZT-1"]
        assert "13900000002" not in found[0].actions[0].suggestion
        with gov.store.unit_of_work(write=False) as uow:
            logged = uow.conn.execute(sa.select(t.access_log.c.action).where(
                t.access_log.c.actor_id == sec.id,
                t.access_log.c.target.contains(c))).scalars().all()
        assert "party.read_members" in logged


@pytest.mark.parametrize(("due", "done", "today", "want"), [
    (dt.date(2019, 12, 6), None, dt.date(2019, 12, 6), "open"),
    (dt.date(2019, 12, 6), None, dt.date(2019, 12, 7), "late"),
    (dt.date(2019, 12, 6), dt.date(2019, 12, 6), dt.date(2020, 1, 1), "done"),
    (dt.date(2019, 12, 6), dt.date(2019, 12, 7), dt.date(2019, 12, 7), "late"),
])
def test_follow_status(due: dt.date, done: dt.date | None, today: dt.date, want: str) -> None:
    """Open until the deadline, late after it; done only by the deadline."""
    assert want == follow_status(due, done, today).value
