"""Festival visits to outstanding party members by the county leaders who partner the
community (联系社区的县级领导): who counts as outstanding (优秀 in the round, or designated), the
lunar festival's window from the place's rule, records checked, and the report; in Yima and in
湖滨区."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

import community_governance as cg
from community_governance.calendars.lunar import Festival
from community_governance.domain.party import (
    CountyLeaderLink,
    Designation,
    FestivalVisit,
    VisitReason,
)
from community_governance.domain.posts import StaffMember
from community_governance.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    PluginError,
    ValidationError,
)
from community_governance.storage.tables import party as pt
from community_governance.testing.city import SmallCity, build_small_city

from .conftest import NOW, SYSTEM, Clock, plugins_for

SPRING_2020 = dt.date(2020, 1, 25)  # 春节 2020
VISIT_DAY = dt.date(2020, 1, 20)


def _evaluate(gov: Any, party: SmallCity, county: str) -> tuple[str, str, str]:
    """A December round in which the first member of B0001 gets 优秀 from 7 of their voters
    and 合格 from the rest; a designation of the first member of B0003 on 1 July. Returns the
    community, the member evaluated and the member designated."""
    c = party.communities[0]
    sec = party.secretary[c]
    b1, b2, b3, _ = party.buildings[c]
    member = party.residents[party.households[b1][0]][0]
    designated = party.residents[party.households[b3][0]][0]
    gov.party.open_evaluation(sec, "EV-2019", c, title="2019年度群众评议党员",
                              period_start=dt.date(2019, 12, 1),
                              period_end=dt.date(2019, 12, 20), member_ids=[member])
    near = [b1] if county == "411202" else [b1, b2]  # the building (湖滨区) or the grid
    voters = [r for b in near for h in party.households[b] for r in party.residents[h]
              if r != member]
    gov.party.cast_ballots(SYSTEM, "EV-2019", [(v, member, "优秀" if i < 7 else "合格")
                                               for i, v in enumerate(voters)])
    gov.party.close_evaluation(sec, "EV-2019")
    gov.party.designate(sec, [Designation("DS-1", designated, c, "优秀共产党员",
                                          dt.date(2019, 7, 1))])
    return c, member, designated


def _leaders(gov: Any, party: SmallCity) -> None:
    gov.registry.add_staff(SYSTEM, [StaffMember("LD-1", "县领导甲", permanent=True),
                                    StaffMember("LD-2", "县领导乙", permanent=True)])
    c0, c1 = party.communities[:2]
    gov.party.link_county_leaders(party.county_admin, [
        CountyLeaderLink("LL-1", "LD-1", c0, "县委副书记", dt.date(2019, 1, 1)),
        CountyLeaderLink("LL-2", "LD-2", c1, "副县长", dt.date(2019, 1, 1))])


def _visits(gov: Any) -> int:
    with gov.store.unit_of_work(write=False) as uow:
        return int(uow.conn.execute(sa.select(sa.func.count()).select_from(
            pt.festival_visits)).scalar_one())


class TestOutstanding:
    def test_graded_excellent_above_the_minimum_or_designated(
            self, gov: Any, party: SmallCity, county: str) -> None:
        """Yima: 7 of 11 ballots 优秀, published (10 needed): outstanding. 湖滨区: 5 ballots
        from the building, withheld (8 needed): not. The designated member counts in both,
        for a year from the award."""
        c, member, designated = _evaluate(gov, party, county)
        sec = party.secretary[c]
        got = {m.resident_id: m.reason for m in gov.party.outstanding_members(
            sec, c, on=SPRING_2020)}
        want = {designated: VisitReason.DESIGNATION}
        if county == "411281":
            want[member] = VisitReason.EVALUATION
        assert want == got
        later = gov.party.outstanding_members(sec, c, on=dt.date(2020, 7, 1))
        assert designated not in {m.resident_id for m in later}
        assert all("*" in m.name for m in gov.party.outstanding_members(sec, c, on=SPRING_2020))

    def test_a_resident_reads_nothing(self, gov: Any, party: SmallCity, county: str) -> None:
        """Who is outstanding is the committee's: a resident is refused."""
        c, member, _ = _evaluate(gov, party, county)
        with pytest.raises(PermissionDenied):
            gov.party.outstanding_members(cg.Actor.resident(member), c, on=SPRING_2020)

    def test_only_members_are_designated(self, gov: Any, party: SmallCity) -> None:
        """A resident who is not a member: refused, nothing written."""
        c = party.communities[0]
        other = party.residents[party.households[party.buildings[c][1]][0]][0]
        with pytest.raises(ConflictError, match="not a party member"):
            gov.party.designate(party.secretary[c], [
                Designation("DS-9", other, c, "优秀共产党员", dt.date(2019, 7, 1))])


class TestVisits:
    def test_plan_record_and_report(self, gov: Any, party: SmallCity, county: str,
                                    clock: Clock) -> None:
        """The plan lists the outstanding members with the partnering leader and the window
        before 春节 (10 days by default); a visit is recorded; the report counts visited and
        not visited."""
        c, _member, designated = _evaluate(gov, party, county)
        _leaders(gov, party)
        sec = party.secretary[c]
        plan = gov.party.plan_festival_visits(sec, c, "春节", 2020)
        assert {p.leaders for p in plan} == {(("LD-1", "县委副书记"),)}
        assert {p.window for p in plan} == {(dt.date(2020, 1, 15), SPRING_2020)}
        clock.now = pendulum.datetime(2020, 1, 22, 2, tz="UTC")
        n = gov.party.record_festival_visits(sec, [FestivalVisit(
            "FV-1", "LD-1", designated, "spring_festival", 2020, VISIT_DAY, note="送春联")])
        assert n == 1
        assert [p.visited for p in gov.party.plan_festival_visits(sec, c, "spring_festival",
                                                                  2020)
                if p.member.resident_id == designated] == ["FV-1"]
        rows = gov.party.festival_visit_report(SYSTEM, "spring_festival", 2020,
                                               under=party.county)
        mine = next(r for r in rows if r["community"] == c)
        outstanding = 2 if county == "411281" else 1
        assert (mine["leaders"], mine["outstanding"], mine["visited"], mine["not_visited"],
                mine["visits"]) == (1, outstanding, 1, outstanding - 1, 1)
        other = next(r for r in rows if r["community"] == party.communities[1])
        assert (other["leaders"], other["outstanding"]) == (1, 0)

    def test_bad_visits_are_refused_and_nothing_is_written(
            self, gov: Any, party: SmallCity, county: str, clock: Clock) -> None:
        """Outside the window, after today, by a leader partnering another community, to a
        member not outstanding, twice: each refused with its rule; the batch writes nothing."""
        c, _member, designated = _evaluate(gov, party, county)
        _leaders(gov, party)
        sec = party.secretary[c]
        clock.now = pendulum.datetime(2020, 1, 22, 2, tz="UTC")
        plain = party.residents[party.households[party.buildings[c][0]][1]][0]
        good = FestivalVisit("FV-1", "LD-1", designated, "spring_festival", 2020, VISIT_DAY)
        bad = [
            (FestivalVisit("FV-2", "LD-1", designated, "spring_festival", 2020,
                           dt.date(2020, 1, 10)), ValidationError, "from 2020-01-15"),
            (FestivalVisit("FV-2", "LD-1", designated, "spring_festival", 2020,
                           dt.date(2020, 1, 24)), ValidationError, "after today"),
            (FestivalVisit("FV-2", "LD-2", designated, "spring_festival", 2020, VISIT_DAY),
             ValidationError, "does not partner"),
            (FestivalVisit("FV-2", "LD-1", plain, "spring_festival", 2020, VISIT_DAY),
             ValidationError, "not an outstanding member"),
            (FestivalVisit("FV-2", "LD-1", designated, "spring_festival", 2020, VISIT_DAY),
             ConflictError, "one visit per member"),
            (FestivalVisit("FV-2", "LD-1", "R-NOBODY", "spring_festival", 2020, VISIT_DAY),
             NotFound, "R-NOBODY"),
        ]
        for visit, exc, message in bad:
            with pytest.raises(exc, match=message):
                gov.party.record_festival_visits(sec, [good, visit])
            assert _visits(gov) == 0
        with pytest.raises(ValidationError, match="unknown festival"):
            gov.party.plan_festival_visits(sec, c, "圣诞节", 2020)

    def test_only_the_county_links_leaders(self, gov: Any, party: SmallCity) -> None:
        """A community secretary may not say which county leader partners it."""
        gov.registry.add_staff(SYSTEM, [StaffMember("LD-1", "县领导甲", permanent=True)])
        c = party.communities[0]
        with pytest.raises(PermissionDenied):
            gov.party.link_county_leaders(party.secretary[c], [
                CountyLeaderLink("LL-1", "LD-1", c, "县委副书记", dt.date(2019, 1, 1))])
        with pytest.raises(NotFound, match="LD-9"):
            gov.party.link_county_leaders(SYSTEM, [
                CountyLeaderLink("LL-1", "LD-9", c, "县委副书记", dt.date(2019, 1, 1))])
        assert gov.party.county_leaders(c) == []


class WiderWindow:
    @cg.hookimpl
    def cgov_party_visit_window(self, community_code: str, festival: str) -> Any:
        if community_code.startswith("411202") and festival == "spring_festival":
            return 20
        return None


class NonsenseWindow:
    @cg.hookimpl
    def cgov_party_visit_window(self, community_code: str, festival: str) -> Any:
        return 45


@pytest.mark.parametrize("county", ["411281", "411202"])
def test_the_window_is_the_places_rule(gov_with_plugins: Any, county: str) -> None:
    """A plugin widening 湖滨区's Spring Festival window to 20 days applies there only; an
    answer beyond 30 days is a PluginError naming the plugin."""
    g = gov_with_plugins(*plugins_for(county), WiderWindow(), clock=Clock(NOW))
    city = build_small_city(g, county)
    c = city.communities[0]
    days = g.party._window_days(c, Festival.SPRING_FESTIVAL)
    assert days == (20 if county == "411202" else 10)
    assert g.party._window_days(c, Festival.MID_AUTUMN) == 10
    bad = gov_with_plugins(NonsenseWindow(), clock=Clock(NOW))
    city = build_small_city(bad, county)
    with pytest.raises(PluginError, match="cgov_party_visit_window"):
        bad.party.plan_festival_visits(SYSTEM, city.communities[0], "中秋", 2019)


def test_erasure_blanks_what_concerns_the_member(gov: Any, party: SmallCity,
                                                 clock: Clock) -> None:
    """Erasing a member blanks their visit's note and their suggestion at a 座谈会, and ends
    their designation."""
    from community_governance.domain.party import Suggestion
    from community_governance.domain.posts import HolderKind, Post, PostKind

    c = party.communities[0]
    sec = party.secretary[c]
    b1 = party.buildings[c][0]
    m = party.residents[party.households[b1][0]][0]
    gov.registry.assign_posts(SYSTEM, [Post("P-ZX", PostKind.PARTY_HOUSEHOLD_CENTRE, b1,
                                            HolderKind.RESIDENT, m, dt.date(2019, 1, 1))])
    gov.party.hold_symposium(sec, "ZT-1", c, title="座谈会", held_on=dt.date(2019, 11, 29),
                             attendees={m: "centre_household"}, minutes="纪要",
                             suggestions=[Suggestion("ZA-1", "我家楼下路灯坏了", "维修", "SEC", 3,
                                                     raised_by=m)])
    gov.party.designate(sec, [Designation("DS-1", m, c, "优秀共产党员", dt.date(2019, 7, 1))])
    _leaders(gov, party)
    gov.party.record_festival_visits(sec, [FestivalVisit("FV-1", "LD-1", m, "mid_autumn", 2019,
                                                         dt.date(2019, 9, 10), note="送月饼")])
    gov.privacy.erase(SYSTEM, m, reason="本人申请")
    with gov.store.unit_of_work(write=False) as uow:
        conn = uow.conn
        note = conn.execute(sa.select(pt.festival_visits.c.note)).scalar_one()
        said = conn.execute(sa.select(pt.party_symposium_actions.c.suggestion)).scalar_one()
        end = conn.execute(sa.select(pt.party_designations.c.end)).scalar_one()
    assert (note, said, end) == ("", "（已删除）", clock.now.date())
