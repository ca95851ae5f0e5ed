"""Holiday invitations (节日邀请): New Year, Spring Festival and Lantern Festival at the
community, the answers, who came, and the coverage report. Every test runs in Yima and Hubin."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.care import Occasion, Rsvp, occasion_day
from community_governance.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    PluginError,
    ValidationError,
)
from community_governance.markers import hookimpl
from community_governance.services.care import NewCareNeed, Reply
from community_governance.storage.tables import care as tc
from community_governance.storage.tables import culture as tcu
from community_governance.testing.city import SmallCity, build_small_city
from tests.care.conftest import DAY, SYSTEM, Clock

TZ = "Asia/Shanghai"


def _poor(city: SmallCity, community: str) -> str:
    """A resident of the community who is no elder living alone."""
    return city.residents[city.households[city.buildings[community][0]][0]][0]


def _rows(gov: Any) -> tuple[int, int]:
    with gov.store.unit_of_work(write=False) as uow:
        return tuple(uow.conn.execute(sa.select(sa.func.count()).select_from(x)).scalar_one()
                     for x in (tc.care_invitations, tcu.culture_events))  # type: ignore[return-value]


@pytest.fixture
def low_income(cgov: Any, city: SmallCity, community: str) -> str:
    """A resident in care as 低保户 (a category not invited by the national default)."""
    r = _poor(city, community)
    cgov.care.register_needs(SYSTEM, [NewCareNeed(r, "low_income", DAY)])
    return r


class TestOccasionDays:
    def test_the_days_come_from_the_lunar_calendar(self) -> None:
        """元旦 is 1 January; 春节 and 元宵节 of 2019 and 2020 from the lunar calendar."""
        assert [dt.date(2019, 1, 1), dt.date(2019, 2, 5), dt.date(2019, 2, 19),
                dt.date(2020, 1, 25), dt.date(2020, 2, 8)] == [
            occasion_day("元旦", 2019), occasion_day(Occasion.SPRING_FESTIVAL, 2019),
            occasion_day("元宵", 2019), occasion_day("spring_festival", 2020),
            occasion_day("lantern", 2020)]

    def test_an_unknown_occasion_names_the_choices(self) -> None:
        with pytest.raises(ValidationError, match="元宵节"):
            occasion_day("端午", 2019)


class TestInvite:
    def test_invites_the_elders_in_care_on_the_day(self, cgov: Any, community: str,
                                                   in_care: str, low_income: str) -> None:
        """The national default invites 孤寡 and 独居 elders, not the 低保 resident; the event
        is a culture event of the community (邻里活动) on 元宵节 2019."""
        got = cgov.care.invite(SYSTEM, community, "lantern", 2019)
        assert (1, dt.date(2019, 2, 19), ("childless_elderly", "elderly_alone")) == (
            got.invited, got.day, got.categories)
        ev = cgov.culture.events(kind=None)
        mine = [e for e in ev if e.id == got.event_id]
        assert [("元宵节", "neighbourhood", "planned", dt.date(2019, 2, 19))] == [
            (e.festival, e.kind.value, e.status.value, e.on) for e in mine]
        assert [in_care] == [i.resident_id for i in cgov.care.invitations(SYSTEM, got.event_id)]

    def test_a_second_round_is_refused_and_more_are_invited_by_name(
            self, cgov: Any, community: str, in_care: str, low_income: str) -> None:
        cgov.care.invite(SYSTEM, community, "new_year", 2020)
        before = _rows(cgov)
        with pytest.raises(ConflictError, match="sent already"):
            cgov.care.invite(SYSTEM, community, "元旦", 2020)
        assert before == _rows(cgov)
        more = cgov.care.invite(SYSTEM, community, "new_year", 2020, residents=[low_income])
        assert (1, (before[0] + 1, before[1])) == (more.invited, _rows(cgov))
        with pytest.raises(ConflictError, match="already"):
            cgov.care.invite(SYSTEM, community, "new_year", 2020, residents=[low_income])

    def test_a_resident_not_in_care_is_not_invited_and_nothing_written(
            self, cgov: Any, city: SmallCity, community: str, in_care: str) -> None:
        before = _rows(cgov)
        with pytest.raises(ValidationError, match="no care need"):
            cgov.care.invite(SYSTEM, community, "lantern", 2019,
                             residents=[in_care, _poor(city, community)])
        assert before == _rows(cgov)

    def test_invitations_in_the_future_are_refused(self, cgov: Any, community: str,
                                                   in_care: str) -> None:
        with pytest.raises(ValidationError, match="future"):
            cgov.care.invite(SYSTEM, community, "lantern", 2019,
                             at=pendulum.datetime(2019, 1, 10, tz=TZ))

    def test_only_the_community_office_invites(self, cgov: Any, city: SmallCity,
                                                community: str, in_care: str) -> None:
        other = next(c for c in city.communities if c != community)
        with pytest.raises(PermissionDenied):
            cgov.care.invite(city.secretary[other], community, "lantern", 2019)
        got = cgov.care.invite(city.secretary[community], community, "lantern", 2019)
        assert 1 == got.invited


class TestCategoriesHook:
    def test_a_county_plugin_chooses_who_is_invited(self, gov_with_plugins: Any,
                                                    county: str) -> None:
        """A plugin inviting the 低保 households instead: they are invited, the elder not."""

        class Poor:
            @hookimpl
            def cgov_care_invitation_categories(self, occasion: str,
                                                community_code: str) -> list[str]:
                return ["low_income"]

        g = gov_with_plugins(Poor(), clock=Clock())
        city = build_small_city(g, county)
        c = city.communities[0]
        g.care.register_needs(SYSTEM, [NewCareNeed(city.elderly[c], "elderly_alone", DAY),
                                       NewCareNeed(_poor(city, c), "low_income", DAY)])
        got = g.care.invite(SYSTEM, c, "spring_festival", 2019)
        assert [_poor(city, c)] == [i.resident_id for i in g.care.invitations(
            SYSTEM, got.event_id)]

    def test_a_plugin_naming_no_category_names_the_plugin_and_writes_nothing(
            self, gov_with_plugins: Any, county: str) -> None:
        class Nonsense:
            @hookimpl
            def cgov_care_invitation_categories(self, occasion: str,
                                                community_code: str) -> list[str]:
                return ["lonely_hearts"]

        g = gov_with_plugins(Nonsense(), clock=Clock())
        city = build_small_city(g, county)
        c = city.communities[0]
        g.care.register_needs(SYSTEM, [NewCareNeed(city.elderly[c], "elderly_alone", DAY)])
        before = _rows(g)
        with pytest.raises(PluginError, match="Nonsense"):
            g.care.invite(SYSTEM, c, "lantern", 2019)
        assert before == _rows(g)


class TestRepliesAndAttendance:
    @pytest.fixture
    def event(self, cgov: Any, community: str, in_care: str, low_income: str) -> str:
        """元宵节 2019 (19 February): the elder invited by category, the 低保 resident by name,
        on 2 January."""
        e = cgov.care.invite(SYSTEM, community, "lantern", 2019).event_id
        cgov.care.invite(SYSTEM, community, "lantern", 2019, residents=[low_income])
        return str(e)

    def test_answers_are_recorded(self, cgov: Any, clock: Clock, event: str, in_care: str,
                                  low_income: str) -> None:
        clock.set(2019, 2, 10, 9)
        n = cgov.care.reply(SYSTEM, event, [
            Reply(in_care, "yes", pendulum.datetime(2019, 2, 3, 10, tz=TZ)),
            Reply(low_income, Rsvp.NO, pendulum.datetime(2019, 2, 4, 10, tz=TZ))])
        got = {i.resident_id: i.rsvp for i in cgov.care.invitations(SYSTEM, event)}
        assert (2, {in_care: Rsvp.YES, low_income: Rsvp.NO}) == (n, got)

    @pytest.mark.parametrize(("when", "match"), [
        ((2019, 2, 12, 10), "future"),
        ((2019, 1, 1, 10), "before the invitation"),
        ((2019, 2, 20, 10), "after it"),
    ])
    def test_answers_out_of_time_are_refused(self, cgov: Any, clock: Clock, event: str,
                                             in_care: str, when: tuple[int, ...],
                                             match: str) -> None:
        clock.set(2019, 2, 11, 9) if when[2] != 20 else clock.set(2019, 3, 1, 9)
        with pytest.raises(ValidationError, match=match):
            cgov.care.reply(SYSTEM, event, [Reply(in_care, "yes",
                                                  pendulum.datetime(*when, tz=TZ))])
        assert {Rsvp.PENDING} == {i.rsvp for i in cgov.care.invitations(SYSTEM, event)}

    def test_attendance_before_the_day_is_refused(self, cgov: Any, clock: Clock, event: str,
                                                  in_care: str) -> None:
        clock.set(2019, 2, 18, 20)
        with pytest.raises(ValidationError, match="record who came after it"):
            cgov.care.attend(SYSTEM, event, [in_care])

    def test_who_came_is_recorded_once_and_counted_on_the_event(
            self, cgov: Any, clock: Clock, event: str, in_care: str) -> None:
        clock.set(2019, 2, 19, 21)
        assert (1, 0) == (cgov.care.attend(SYSTEM, event, [in_care]),
                          cgov.care.attend(SYSTEM, event, [in_care]))
        ev = next(e for e in cgov.culture.events() if e.id == event)
        assert (1, "held") == (ev.attendance, ev.status.value)

    def test_a_resident_not_invited_is_refused_and_nothing_written(
            self, cgov: Any, clock: Clock, city: SmallCity, community: str, event: str,
            in_care: str) -> None:
        clock.set(2019, 2, 20, 9)
        other = city.residents[city.households[city.buildings[community][1]][0]][0]
        cgov.care.register_needs(SYSTEM, [NewCareNeed(other, "disability", DAY)])
        with pytest.raises(ValidationError, match="not invited"):
            cgov.care.attend(SYSTEM, event, [in_care, other])
        assert {False} == {i.attended for i in cgov.care.invitations(SYSTEM, event)}

    def test_a_resident_no_longer_in_care_is_refused(self, cgov: Any, clock: Clock,
                                                      event: str, low_income: str) -> None:
        """The 低保 need ended on 10 February: the resident cannot be recorded as come."""
        need = cgov.care.needs(SYSTEM, resident_id=low_income)[0]
        cgov.care.end_need(SYSTEM, need.id, on=dt.date(2019, 2, 10), reason="收入超标退出低保")
        clock.set(2019, 2, 20, 9)
        with pytest.raises(ValidationError, match="no care need on 2019-02-19"):
            cgov.care.attend(SYSTEM, event, [low_income])

    def test_an_unknown_event_is_not_found(self, cgov: Any, in_care: str) -> None:
        with pytest.raises(NotFound):
            cgov.care.attend(SYSTEM, "CI-nowhere", [in_care])


class TestReport:
    def test_coverage_per_community_and_occasion(self, cgov: Any, clock: Clock,
                                                 city: SmallCity, community: str,
                                                 in_care: str, low_income: str) -> None:
        """Invited, answers, attended per community and occasion; the sub-district reads the
        counts, another community's office nothing of ours."""
        cgov.care.enrol_flagged(SYSTEM, city.communities[1], on=DAY,
                                categories=["elderly_alone"])
        ny = cgov.care.invite(SYSTEM, community, "new_year", 2020, residents=[in_care,
                                                                             low_income])
        sf = cgov.care.invite(SYSTEM, city.communities[1], "spring_festival", 2020)
        clock.set(2020, 1, 26, 9)
        cgov.care.reply(SYSTEM, ny.event_id, [
            Reply(in_care, "yes", pendulum.datetime(2019, 12, 28, 9, tz=TZ)),
            Reply(low_income, "no", pendulum.datetime(2019, 12, 29, 9, tz=TZ))])
        cgov.care.attend(SYSTEM, ny.event_id, [in_care])
        got = cgov.care.invitation_report(SYSTEM, year=2020)
        assert [(community, "new_year", 2, 1, 1, 0, 1), (city.communities[1],
                                                          "spring_festival", sf.invited, 0, 0,
                                                          sf.invited, 0)] == [
            (r.community_code, r.occasion, r.invited, r.accepted, r.declined, r.pending,
             r.attended) for r in got]
        assert 0.5 == got[0].as_dict()["rate"]
        leader = city.subdistrict_staff[community[:9]]
        assert [2] == [r.invited for r in cgov.care.invitation_report(leader,
                                                                      community=community)]
        other = next(c for c in city.communities if c[:9] != community[:9])
        assert [] == [r for r in cgov.care.invitation_report(city.secretary[other])
                      if r.community_code == community]
        with pytest.raises(PermissionDenied):
            cgov.care.invitation_report(city.secretary[other], community=community)

    def test_a_resident_is_no_reader(self, cgov: Any, community: str, in_care: str) -> None:
        with pytest.raises(PermissionDenied):
            cgov.care.invitation_report(Actor.resident(in_care), community=community)
