"""Festival and weather rounds, visit records, follow-ups, help requests and the reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.care import WeatherAlert
from community_governance.errors import (
    ConflictError,
    InsufficientBalance,
    OutOfStock,
    PermissionDenied,
    ValidationError,
)
from community_governance.markers import hookimpl
from community_governance.services.care import NewCareNeed
from community_governance.services.charity import LotSpec
from community_governance.storage.tables import care as tc
from community_governance.storage.tables import points as tch
from community_governance.testing.city import SmallCity, build_small_city
from tests.care.conftest import DAY, SYSTEM, Clock


def _lot(cgov: Any, community: str, pieces: int) -> str:
    d = cgov.charity.receive(SYSTEM, community, donor="爱心企业", category="food",
                             condition="new", quantity=pieces, estimated_value=pieces * 20)
    return str(cgov.charity.sort(SYSTEM, d.id, [LotSpec("粽子礼盒", pieces)])[0].id)


def _counts(cgov: Any) -> tuple[int, int, int]:
    with cgov.store.unit_of_work(write=False) as uow:
        return tuple(uow.conn.execute(sa.select(sa.func.count()).select_from(x)).scalar_one()
                     for x in (tc.care_rounds, tc.care_tasks, tc.care_visits))  # type: ignore[return-value]


class TestFestivalRounds:
    def test_the_dragon_boat_round_is_due_on_the_lunar_day_with_zongzi(
            self, cgov: Any, community: str, in_care: str) -> None:
        """The round is due at 18:00 on 端午 2019 (7 June), gift 粽子, one task per resident."""
        got = cgov.care.plan_festival(SYSTEM, community, "端午", 2019)
        local = pendulum.instance(got.due_at).in_timezone("Asia/Shanghai")
        assert (dt.date(2019, 6, 7), 18, "粽子", 1) == (local.date(), local.hour, got.gift,
                                                       got.tasks)

    def test_the_spring_round_is_due_on_new_years_eve(self, cgov: Any, community: str,
                                                      in_care: str) -> None:
        """春节前: due on 除夕 2019 (4 February)."""
        got = cgov.care.plan_festival(SYSTEM, community, "spring_festival", 2019)
        assert dt.date(2019, 2, 4) == pendulum.instance(got.due_at).in_timezone(
            "Asia/Shanghai").date()

    def test_gifts_from_a_lot_leave_its_stock(self, cgov: Any, community: str,
                                              in_care: str) -> None:
        """The lot loses one piece per resident and the give-outs show in the supermarket."""
        lot = _lot(cgov, community, 5)
        got = cgov.care.plan_festival(SYSTEM, community, "dragon_boat", 2019, lot_id=lot)
        left = {x.id: x.quantity for x in cgov.charity.in_store(SYSTEM)}
        assert (4, [in_care]) == (left[lot], [g.resident_id for g in
                                              cgov.charity.given(SYSTEM)])
        assert "20.00" == cgov.care.round_report(SYSTEM, got.id).gift_cost

    def test_a_gift_beyond_stock_is_refused_and_nothing_written(
            self, cgov: Any, city: SmallCity, community: str, in_care: str) -> None:
        """Two residents and one piece: refused, no round, stock unchanged."""
        other = city.residents[city.households[city.buildings[community][0]][0]][0]
        cgov.care.register_needs(SYSTEM, [NewCareNeed(other, "extreme_difficulty", DAY)])
        lot = _lot(cgov, community, 1)
        with pytest.raises(OutOfStock, match="care fund"):
            cgov.care.plan_festival(SYSTEM, community, "mid_autumn", 2019, lot_id=lot)
        assert (0, 0, 0) == _counts(cgov)
        assert [1] == [x.quantity for x in cgov.charity.in_store(SYSTEM)]

    def test_a_lot_for_residents_the_county_finds_ineligible_is_refused(
            self, gov_with_plugins: Any, county: str) -> None:
        """A county whose charity rule refuses food to the round's residents: the round is
        refused, naming the rule and the care fund as the fix; the lot keeps its stock."""

        class NoFood:
            @hookimpl
            def cgov_charity_eligible(self, category: str) -> bool | None:
                return False if category == "food" else None

        g = gov_with_plugins(NoFood(), clock=Clock())
        city = build_small_city(g, county)
        c = city.communities[0]
        g.care.register_needs(SYSTEM, [NewCareNeed(city.elderly[c], "elderly_alone", DAY)])
        lot = _lot(g, c, 3)
        with pytest.raises(ValidationError, match="cgov_charity_eligible"):
            g.care.plan_festival(SYSTEM, c, "dragon_boat", 2019, lot_id=lot)
        assert ([3], (0, 0, 0)) == ([x.quantity for x in g.charity.in_store(SYSTEM)],
                                    _counts(g))

    def test_gifts_from_the_care_fund_are_a_request_with_approvals(
            self, cgov: Any, community: str, in_care: str) -> None:
        """Buying from the care fund writes a disbursement request of account 5102."""
        cgov.funds.set_budget(SYSTEM, community, "5102", 2019, "1000")
        got = cgov.care.plan_festival(SYSTEM, community, "mid_autumn", 2019,
                                      fund_account="5102", unit_price="45.50")
        ds = cgov.funds.disbursements(SYSTEM, community)
        assert [("5102", "45.50")] == [(d.account, str(d.amount)) for d in ds]
        assert {"5102": "45.50"} == cgov.care.gift_costs(SYSTEM, community=community)
        assert got.id in ds[0].purpose

    def test_a_gift_beyond_budget_is_refused_and_nothing_written(
            self, cgov: Any, community: str, in_care: str) -> None:
        """Beyond the fund's budget: refused, no round, no request."""
        cgov.funds.set_budget(SYSTEM, community, "5102", 2019, "10")
        with pytest.raises(InsufficientBalance, match="budget"):
            cgov.care.plan_festival(SYSTEM, community, "mid_autumn", 2019,
                                    fund_account="5102", unit_price="45.50")
        assert ((0, 0, 0), []) == (_counts(cgov), cgov.funds.disbursements(SYSTEM, community))


class TestWeather:
    def test_a_snow_alert_becomes_tasks_due_within_the_hours(
            self, cgov: Any, city: SmallCity, community: str, in_care: str) -> None:
        """A county-wide snow alert: one round per community, a task per assigned elder,
        due 24 hours after a yellow alert (12 after a red one)."""
        at = pendulum.datetime(2019, 1, 2, 7, tz="Asia/Shanghai")
        rounds = cgov.care.record_alert(SYSTEM, WeatherAlert("S1", city.county, "snow",
                                                             "yellow", at, "县气象台"))
        assert 3 == len(rounds)
        mine = next(r for r in rounds if r.community_code == community)
        assert (1, at.add(hours=24)) == (mine.tasks, mine.due_at)
        red = cgov.care.record_alert(SYSTEM, WeatherAlert("S2", community, "snow", "red", at))
        assert [at.add(hours=12)] == [r.due_at for r in red]

    def test_a_cadre_beyond_capacity_is_named(self, gov_with_plugins: Any,
                                               county: str) -> None:
        """A county capacity of one visit per snow round: the cadre with two elders is named,
        and the round is planned all the same."""

        class Small:
            @hookimpl
            def cgov_care_cadre_capacity(self, reason: str,
                                         community_code: str) -> int | None:
                return 1 if reason == "snow" else None

        g = gov_with_plugins(Small(), clock=Clock())
        city = build_small_city(g, county)
        c = city.communities[0]
        two = [city.elderly[c], city.residents[city.households[city.buildings[c][0]][0]][0]]
        g.care.register_needs(SYSTEM, [NewCareNeed(r, "elderly_alone", DAY) for r in two])
        g.care.assign(SYSTEM, [(r, f"P-CAD-{c}") for r in two], on=DAY)
        at = pendulum.datetime(2019, 1, 2, 7, tz="Asia/Shanghai")
        got = g.care.record_alert(SYSTEM, WeatherAlert("S1", c, "snow", "yellow", at))
        assert [(2, (f"CAD-{c}",))] == [(r.tasks, r.over_capacity) for r in got]
        rain = g.care.record_alert(SYSTEM, WeatherAlert("R1", c, "rain", "yellow", at))
        assert [()] == [r.over_capacity for r in rain]

    def test_the_same_alert_twice_is_refused(self, cgov: Any, community: str,
                                            in_care: str) -> None:
        at = pendulum.datetime(2019, 1, 2, 7, tz="Asia/Shanghai")
        cgov.care.record_alert(SYSTEM, WeatherAlert("S1", community, "snow", "yellow", at))
        with pytest.raises(ConflictError, match="already"):
            cgov.care.record_alert(SYSTEM, WeatherAlert("S1", community, "snow", "yellow", at))

    def test_alerts_from_a_county_plugin_with_its_due_hours(
            self, gov_with_plugins: Any, county: str) -> None:
        """The county's plugin supplies the alert and shortens the due hours to 6."""
        at = pendulum.datetime(2019, 1, 2, 7, tz="Asia/Shanghai")

        class Weather:
            @hookimpl
            def cgov_care_weather_alerts(self, county_code: str, day: dt.date) -> list[Any]:
                return [WeatherAlert(f"SNOW-{day}", county_code, "snow", "yellow", at)]

            @hookimpl
            def cgov_care_due_hours(self, reason: str, level: str,
                                    community_code: str) -> int | None:
                return 6 if reason == "snow" else None

        clock = Clock()
        g = gov_with_plugins(Weather(), clock=clock)
        city = build_small_city(g, county)
        c = city.communities[0]
        g.care.register_needs(SYSTEM, [NewCareNeed(city.elderly[c], "elderly_alone", DAY)])
        g.care.assign(SYSTEM, [(city.elderly[c], f"P-CAD-{c}")], on=DAY)
        got = g.care.fetch_alerts(SYSTEM, county, DAY)
        assert {at.add(hours=6)} == {r.due_at for r in got}
        assert [] == g.care.fetch_alerts(SYSTEM, county, DAY)


class TestVisits:
    def test_refuses_a_visit_in_the_future(self, cgov: Any, city: SmallCity, community: str,
                                           in_care: str) -> None:
        with pytest.raises(ValidationError, match="future"):
            cgov.care.record_visit(city.cadre[community], in_care,
                                   at=cgov.now().add(hours=2))
        assert (0, 0, 0) == _counts(cgov)

    def test_refuses_a_resident_not_in_care(self, cgov: Any, city: SmallCity,
                                            community: str) -> None:
        rid = city.residents[city.households[city.buildings[community][0]][0]][0]
        with pytest.raises(ValidationError, match="register the care need first"):
            cgov.care.record_visit(city.cadre[community], rid, at=cgov.now())

    def test_refuses_a_cadre_not_assigned_unless_the_rule_allows(
            self, cgov: Any, gov_with_plugins: Any, city: SmallCity, community: str,
            in_care: str, county: str) -> None:
        """The director is not the assigned cadre: refused by default; a county plugin that
        allows stand-ins lets the visit through, marked as a stand-in."""
        with pytest.raises(ValidationError, match="cgov_care_stand_in_allowed"):
            cgov.care.record_visit(city.director[community], in_care, at=cgov.now())

        class StandIn:
            @hookimpl
            def cgov_care_stand_in_allowed(self, community_code: str) -> bool:
                return True

        g = gov_with_plugins(StandIn(), clock=Clock())
        c2 = build_small_city(g, county)
        e = c2.elderly[community]
        g.care.register_needs(SYSTEM, [NewCareNeed(e, "elderly_alone", DAY)])
        g.care.assign(SYSTEM, [(e, f"P-CAD-{community}")], on=DAY)
        v = g.care.record_visit(c2.director[community], e, at=g.now())
        assert v.stand_in

    def test_one_record_per_task(self, cgov: Any, city: SmallCity, community: str,
                                 in_care: str) -> None:
        """The second record of a task is refused; a no-answer leaves the task open."""
        at = pendulum.datetime(2019, 1, 2, 7, tz="Asia/Shanghai")
        rnd = cgov.care.record_alert(SYSTEM, WeatherAlert("S1", community, "snow", "yellow",
                                                          at))[0]
        with cgov.store.unit_of_work(write=False) as uow:
            task = uow.conn.execute(sa.select(tc.care_tasks.c.id)).scalar_one()
        cadre = city.cadre[community]
        cgov.care.record_visit(cadre, in_care, at=cgov.now(), outcome="no_answer",
                               task_id=task)
        assert [("open", 1, "call again")] == [
            (x["status"], x["no_answer"], x["next"]) for x in cgov.care.tasks(cadre, rnd.id)]
        cgov.care.record_visit(cadre, in_care, at=cgov.now(), task_id=task)
        assert ["done"] == [x["status"] for x in cgov.care.tasks(cadre, rnd.id)]
        with pytest.raises(ConflictError, match="one record per task"):
            cgov.care.record_visit(cadre, in_care, at=cgov.now(), task_id=task)
        rep = cgov.care.round_report(SYSTEM, rnd.id)
        assert (1, 0, ()) == (rep.on_time, rep.late, rep.missed)

    def test_a_need_becomes_a_case_and_a_give_out_in_one_step(
            self, cgov: Any, city: SmallCity, community: str, in_care: str) -> None:
        """Follow-up writes a care case and a give-out; the needs report counts them."""
        lot = _lot(cgov, community, 3)
        v = cgov.care.record_visit(city.cadre[community], in_care, at=cgov.now(),
                                   outcome="needs", needs="冬衣不够")
        got = cgov.care.follow_up(city.secretary[community], v.id, case=True, lot_id=lot)
        case = cgov.cases.get(SYSTEM, got.case_id)
        assert ("care", 2) == (case.category, {x.id: x.quantity for x in
                                               cgov.charity.in_store(SYSTEM)}[lot])
        rep = cgov.care.needs_report(SYSTEM, community)
        assert (1, 1, 1, []) == (rep["needs_found"], rep["became_cases"],
                                 rep["became_give_outs"], rep["waiting"])
        with pytest.raises(ConflictError, match="already"):
            cgov.care.follow_up(SYSTEM, v.id, case=True)

    def test_a_past_follow_up_is_dated_when_it_was_decided(
            self, cgov: Any, clock: Clock, city: SmallCity, community: str,
            in_care: str) -> None:
        """A back-office entry of a past follow-up reports the case and makes the give-out
        at the time given (not today); a time before the visit or in the future is refused
        and writes nothing."""
        lot = _lot(cgov, community, 3)
        seen = pendulum.datetime(2019, 1, 2, 7, tz="Asia/Shanghai")
        v = cgov.care.record_visit(city.cadre[community], in_care, at=seen,
                                   outcome="needs", needs="冬衣不够")
        clock.set(2019, 3, 1, 9)
        with pytest.raises(ValidationError, match="cannot come before it"):
            cgov.care.follow_up(SYSTEM, v.id, case=True, at=seen.subtract(minutes=1))
        with pytest.raises(ValidationError, match="future"):
            cgov.care.follow_up(SYSTEM, v.id, case=True, at=clock.now.add(days=1))
        assert (0, 0) == _case_and_give_out_counts(cgov)
        decided = seen.add(hours=2)
        got = cgov.care.follow_up(SYSTEM, v.id, case=True, lot_id=lot, at=decided)
        case = cgov.cases.get(SYSTEM, got.case_id)
        assert decided == case.reported_at
        with cgov.store.unit_of_work(write=False) as uow:
            give = uow.conn.execute(sa.select(tch.charity_give_outs.c.at,
                                              tch.charity_give_outs.c.month)).one()
        assert (decided, "2019-01") == (pendulum.instance(give.at), give.month)


def _case_and_give_out_counts(cgov: Any) -> tuple[int, int]:
    from community_governance.storage.tables import cases as tcs

    with cgov.store.unit_of_work(write=False) as uow:
        return tuple(int(uow.conn.execute(sa.select(sa.func.count()).select_from(tb))
                         .scalar_one())
                     for tb in (tcs.cases, tch.charity_give_outs))  # type: ignore[return-value]


class TestHelp:
    def test_an_urgent_call_is_a_care_case_due_in_four_hours(
            self, cgov: Any, city: SmallCity, community: str, in_care: str) -> None:
        got = cgov.care.log_help(city.cadre[community], in_care, summary="摔倒了",
                                 urgency="urgent")
        case = cgov.cases.get(SYSTEM, got.case_id)
        assert (cgov.now().add(hours=4), "care") == (got.due_at, case.category)
        assert cgov.now().in_timezone("Asia/Shanghai").date() == case.deadline


class TestReports:
    def test_missed_and_late_visits_per_cadre(self, cgov: Any, clock: Clock, city: SmallCity,
                                              in_care: str) -> None:
        """Two communities' elders: one visited late, one missed (and counted for its
        cadre)."""
        c1, c2 = city.communities[0], city.communities[1]
        e2 = city.elderly[c2]
        cgov.care.register_needs(SYSTEM, [NewCareNeed(e2, "elderly_alone", DAY)])
        cgov.care.assign(SYSTEM, [(e2, f"P-CAD-{c2}")], on=DAY)
        at = pendulum.datetime(2019, 1, 2, 7, tz="Asia/Shanghai")
        cgov.care.record_alert(SYSTEM, WeatherAlert("S1", city.subdistricts[0], "snow",
                                                    "yellow", at))
        clock.set(2019, 1, 4, 9)
        cgov.care.record_visit(city.cadre[c1], in_care, at=cgov.now())
        reps = {r.community_code: r for r in cgov.care.rounds_report(SYSTEM, year=2019)}
        assert (0, 1, ()) == (reps[c1].on_time, reps[c1].late, reps[c1].missed)
        assert ((e2,), {f"CAD-{c2}": 1}) == (reps[c2].missed, reps[c2].missed_by_cadre)

    def test_the_monthly_visit_rate_lists_who_was_missed(
            self, cgov: Any, clock: Clock, city: SmallCity) -> None:
        """February: two elders in care all month, one visited: 50%, the other listed."""
        c = city.communities[0]
        a = city.elderly[c]
        b = city.residents[city.households[city.buildings[c][0]][0]][0]
        cgov.care.register_needs(SYSTEM, [NewCareNeed(a, "elderly_alone", DAY),
                                          NewCareNeed(b, "extreme_difficulty", DAY)])
        cgov.care.assign(SYSTEM, [(a, f"P-CAD-{c}"), (b, f"P-CAD-{c}")], on=DAY)
        clock.set(2019, 2, 12, 10)
        cgov.care.record_visit(city.cadre[c], a, at=cgov.now())
        rates = cgov.care.monthly_rates(SYSTEM, c, 2019, 2)
        assert (c, 2, 1, (b,)) == (rates[0].unit_code, rates[0].due, rates[0].visited,
                                   rates[0].missed)
        assert 0.5 == rates[0].rate
        assert {g.unit_code for g in rates[1:]} <= set(city.grids[c])
        # tier 1 is due twice a month: the one visit leaves the elder short
        assert ((a,), 1) == (rates[0].short, rates[0].short_count)
        clock.set(2019, 2, 20, 10)
        cgov.care.record_visit(city.cadre[c], a, at=cgov.now())
        assert () == cgov.care.monthly_rates(SYSTEM, c, 2019, 2)[0].short

    def test_reports_are_refused_to_other_communities(self, cgov: Any, city: SmallCity,
                                                      community: str) -> None:
        with pytest.raises(PermissionDenied, match=r"report\.read"):
            cgov.care.monthly_rates(city.cadre[city.communities[2]], community, 2019, 1)

    def test_a_resident_is_no_reporter(self, cgov: Any, community: str, elder: str) -> None:
        with pytest.raises(PermissionDenied, match=r"report\.read"):
            cgov.care.coverage(Actor.resident(elder), community)


def test_the_simulation_visits_at_the_services_festival_rounds() -> None:
    """The simulation's festival visits use the care service's rounds, not a copy."""
    from community_governance.domain.care import FESTIVAL_ROUNDS
    from community_governance.simulation.engine import VISIT_FESTIVALS

    assert VISIT_FESTIVALS is FESTIVAL_ROUNDS


def test_reports_name_the_missed_only_to_who_may_see_care(
        cgov: Any, clock: Clock, city: SmallCity, community: str, in_care: str) -> None:
    """The sub-district reads the counts of a round, not who was missed; the community office
    reads the keys, and that read is access-logged."""
    from community_governance.storage.tables import core as t

    at = pendulum.datetime(2019, 1, 2, 7, tz="Asia/Shanghai")
    rnd = cgov.care.record_alert(SYSTEM, WeatherAlert("S1", community, "snow", "yellow", at))[0]
    clock.set(2019, 1, 5, 9)
    leader = cgov.care.round_report(city.subdistrict_staff[community[:9]], rnd.id)
    office = cgov.care.round_report(city.secretary[community], rnd.id)
    assert ((), 1) == (leader.missed, leader.missed_count)
    assert ((in_care,), 1) == (office.missed, office.missed_count)
    with cgov.store.unit_of_work(write=False) as uow:
        reasons = list(uow.conn.execute(sa.select(t.access_log.c.reason)).scalars())
    assert 1 == sum("missed visits" in r for r in reasons)


def test_the_ladder_climbs_and_stops_at_the_home_visit() -> None:
    """No answer: call again, then the neighbour or building leader, then the community."""
    from community_governance.domain.care import LADDER, ladder_step

    assert [ladder_step(n) for n in range(6)] == [*LADDER, LADDER[-1], LADDER[-1]]
    with pytest.raises(ValidationError):
        ladder_step(-1)


class TestMonthlyPlan:
    def test_visits_follow_the_tier_on_the_working_days(
            self, cgov: Any, city: SmallCity, community: str, in_care: str) -> None:
        """March 2019 has 21 working days: the 独居 elder (tier 1, twice a month) is due on
        the 11th working day (15 March) and the last (29 March); a 低保 resident (tier 2, once)
        on the last only."""
        poor = city.residents[city.households[city.buildings[community][0]][0]][0]
        cgov.care.register_needs(SYSTEM, [NewCareNeed(poor, "low_income", DAY)])
        got = cgov.care.plan_monthly(SYSTEM, community, 2019, 3)
        assert [(dt.date(2019, 3, 15), 1), (dt.date(2019, 3, 29), 2)] == [
            (pendulum.instance(r.due_at).in_timezone("Asia/Shanghai").date(), r.tasks)
            for r in got]
        assert {"monthly"} == {r.kind.value for r in got}
        with pytest.raises(ConflictError, match="planned already"):
            cgov.care.plan_monthly(SYSTEM, community, 2019, 3)

    def test_the_county_calendar_moves_the_due_days(self, gov_with_plugins: Any,
                                                     county: str) -> None:
        """湖滨区 takes 18 November 2019 off (its plugin's local day): the month has 20 working
        days there and the mid-month visit is due on 14 November; in Yima on 15 November."""
        from cgov_hubin import plugin as hubin

        g = gov_with_plugins(hubin, clock=Clock())
        city = build_small_city(g, county)
        c = city.communities[0]
        g.care.register_needs(SYSTEM, [NewCareNeed(city.elderly[c], "elderly_alone", DAY)])
        got = g.care.plan_monthly(SYSTEM, c, 2019, 11)
        mid = dt.date(2019, 11, 14) if county == "411202" else dt.date(2019, 11, 15)
        assert [mid, dt.date(2019, 11, 29)] == [
            pendulum.instance(r.due_at).in_timezone("Asia/Shanghai").date() for r in got]

    def test_a_cadre_beyond_the_monthly_capacity_is_named(
            self, gov_with_plugins: Any, county: str) -> None:
        class Small:
            @hookimpl
            def cgov_care_cadre_capacity(self, reason: str,
                                         community_code: str) -> int | None:
                return 1 if reason == "monthly" else None

        g = gov_with_plugins(Small(), clock=Clock())
        city = build_small_city(g, county)
        c = city.communities[0]
        two = [city.elderly[c], city.residents[city.households[city.buildings[c][0]][0]][0]]
        g.care.register_needs(SYSTEM, [NewCareNeed(r, "elderly_alone", DAY) for r in two])
        g.care.assign(SYSTEM, [(r, f"P-CAD-{c}") for r in two], on=DAY)
        got = g.care.plan_monthly(SYSTEM, c, 2019, 3)
        assert [(f"CAD-{c}",), (f"CAD-{c}",)] == [r.over_capacity for r in got]

    def test_the_monthly_rate_counts_the_elders_only(
            self, cgov: Any, clock: Clock, city: SmallCity, community: str,
            in_care: str) -> None:
        """A 低保 resident in care is visited on their tier's schedule but is not on the
        roster of the elders in particular difficulty the rate is defined on."""
        poor = city.residents[city.households[city.buildings[community][0]][0]][0]
        cgov.care.register_needs(SYSTEM, [NewCareNeed(poor, "low_income", DAY)])
        clock.set(2019, 3, 12, 10)
        cgov.care.record_visit(city.cadre[community], in_care, at=cgov.now())
        rate = cgov.care.monthly_rates(SYSTEM, community, 2019, 3)[0]
        assert (1, 1, ()) == (rate.due, rate.visited, rate.missed)


class TestLadderAndEscalation:
    def test_no_answer_climbs_the_ladder_on_the_task(
            self, cgov: Any, clock: Clock, community: str, in_care: str) -> None:
        """Each unanswered visit moves the task's next step up the ladder; a visit that
        reaches the elder closes it."""
        from community_governance.domain.care import LADDER

        at = pendulum.datetime(2019, 1, 2, 7, tz="Asia/Shanghai")
        rnd = cgov.care.record_alert(SYSTEM, WeatherAlert("S1", community, "snow", "yellow",
                                                          at))[0]
        task = cgov.care.tasks(SYSTEM, rnd.id)[0]
        steps = [task["next"]]
        for hour in (10, 12, 14):
            clock.set(2019, 1, 2, hour)
            cgov.care.record_visit(SYSTEM, in_care, at=cgov.now(), outcome="no_answer",
                                   task_id=task["task_id"], visitor_id=f"CAD-{community}")
            steps.append(cgov.care.tasks(SYSTEM, rnd.id)[0]["next"])
        assert list(LADDER) == steps
        cgov.care.record_visit(SYSTEM, in_care, at=cgov.now(), task_id=task["task_id"],
                               visitor_id=f"CAD-{community}")
        assert ("done", "-") == (cgov.care.tasks(SYSTEM, rnd.id)[0]["status"],
                                 cgov.care.tasks(SYSTEM, rnd.id)[0]["next"])

    def test_an_overdue_help_request_escalates_as_any_case(
            self, cgov: Any, clock: Clock, city: SmallCity, community: str,
            in_care: str) -> None:
        got = cgov.care.log_help(city.cadre[community], in_care, summary="家里停暖",
                                 urgency="urgent")
        before = cgov.cases.get(SYSTEM, got.case_id)
        clock.set(2019, 1, 3, 9)
        job = cgov.cases.escalate_overdue(Actor.system("escalation"))
        after = cgov.cases.get(SYSTEM, got.case_id)
        assert [got.case_id] == [c.id for c in job.done]
        assert (1, True) == (after.escalations, after.level > before.level)
