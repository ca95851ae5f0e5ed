"""Tests of the Hubin plugin (湖滨区, 411202), written with the test kit for 411202."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from cgov_hubin import plugin
from community_governance.domain.cases import RouteLevel
from community_governance.plugins import expect_int, expect_post_kinds
from community_governance.testing import build_small_city
from community_governance.testing.conformance import check_plugin


def test_every_answer_of_the_plugin_is_valid() -> None:
    """Answers every hook it implements, for places of 411202 and elsewhere, with values the
    library accepts (the scope is taken from the plugin itself, and named explicitly)."""
    assert [] == check_plugin(plugin)
    assert [] == check_plugin(plugin, counties=["411202"])


def test_scope_is_hubin() -> None:
    """Declares 湖滨区 as its scope."""
    assert ["411202"] == plugin.cgov_plugin_scope()


def test_small_city_is_in_hubin(small_city: Any) -> None:
    """The kit's small city is built in the county of the conftest."""
    assert "411202" == small_city.county
    assert all(c.startswith("411202") for c in small_city.communities)


def test_grids_are_400_households(gov: Any, small_city: Any) -> None:
    """Divides at 400 households a grid, 300-500."""
    policy = gov.grids.policy(small_city.communities[0], 2000)
    assert (400, 300, 500) == (policy.target, policy.low, policy.high)


def test_scoring_by_the_half_hour(gov: Any, small_city: Any) -> None:
    """Scores each whole half hour: 1 point, 2 for elderly care; capped at 8 a day."""
    c = small_city.communities[0]

    def points(category: str, minutes: int) -> int:
        return gov.hooks.first("cgov_points_standard", expect_int(minimum=0),
                               category=category, minutes=minutes, community_code=c)

    assert (4, 8, 0) == (points("environment", 120), points("elderly_care", 120),
                         points("culture", 29))
    assert 8 == gov.hooks.first("cgov_points_daily_cap", expect_int(minimum=0),
                                community_code=c, day=dt.date(2019, 9, 1))
    assert 12 == gov.hooks.first("cgov_points_expiry_months", expect_int(minimum=1),
                                 community_code=c)


def test_funds_and_approvals(gov: Any, small_city: Any) -> None:
    """50,000 CNY office funds and a care fund with the elderly subsidy; three approvals above
    2,000 CNY."""
    c = small_city.communities[0]
    assert {"4101": Decimal("50000.00"), "4102": Decimal("23000.00")} == \
        gov.funds.annual_allocation(c, 2019)
    roles = gov.hooks.first("cgov_funds_required_approvals", expect_post_kinds,
                            community_code=c, account="5104", amount=Decimal("2500"))
    assert ["secretary", "director", "subdistrict_staff"] == [r.value for r in roles]
    small = gov.hooks.first("cgov_funds_required_approvals", expect_post_kinds,
                            community_code=c, account="5104", amount=Decimal("800"))
    assert ["director"] == [r.value for r in small]


def test_a_large_disbursement_needs_three_people(gov: Any, small_city: Any) -> None:
    """A 2,500 CNY request stays requested until the secretary, the director and the
    sub-district have each approved it."""
    c = small_city.communities[0]
    from community_governance.domain.funds import credit, debit
    from community_governance.services.funds import NewDisbursement, NewTransaction

    clerk = small_city.staff[c]
    gov.funds.post_many(clerk, c, [NewTransaction(
        [debit("1002", Decimal("50000")), credit("4101", Decimal("50000"))],
        channel="city_allocation", voucher="BK-1", on=dt.date(2019, 1, 8), memo="办公经费",
        key="t1")])
    [d] = gov.funds.request_many(clerk, c, [NewDisbursement(
        "5104", Decimal("2500"), payee="物业维修单位", purpose="维修", on=dt.date(2019, 3, 1),
        key="d1")])
    assert {"secretary", "director", "subdistrict_staff"} == {r.value for r in d.missing_roles}


def test_old_estate_cases_get_hubins_deadlines(gov: Any) -> None:
    """Lists 老旧小区改造 among the categories, with 3 working days at the grid."""
    assert "old_estate" in {c.code for c in gov.cases.categories("411202")}
    assert 3 == plugin.cgov_case_deadline("old_estate", RouteLevel.GRID)
    assert plugin.cgov_case_deadline("heating", RouteLevel.GRID) is None


def test_yima_and_hubin_keep_their_own_rules_in_either_order(
        gov_with_plugins: Any) -> None:
    """Installed together, in either order, each county gets its own grid policy, allocation
    and approvals."""
    cgov_yima = pytest.importorskip("cgov_yima.plugin")
    for order in ((plugin, cgov_yima), (cgov_yima, plugin)):
        gov = gov_with_plugins(*order)
        hubin = build_small_city(gov, "411202")
        yima = build_small_city(gov, "411281")
        h, y = hubin.communities[0], yima.communities[0]
        assert (400, 600) == (gov.grids.policy(h, 2000).target,
                              gov.grids.policy(y, 2000).target)
        assert (Decimal("50000.00"), Decimal("74000.00")) == (
            gov.funds.annual_allocation(h, 2019)["4101"],
            gov.funds.annual_allocation(y, 2019)["4101"])
        roles = [gov.hooks.first("cgov_funds_required_approvals", expect_post_kinds,
                                 community_code=code, account="5104",
                                 amount=Decimal("2500")) for code in (h, y)]
        assert (3, 1) == (len(roles[0]), len(roles[1]))


def test_other_counties_keep_their_rules() -> None:
    """Passes for places outside 湖滨区."""
    elsewhere = "411281001001"
    assert plugin.cgov_grid_policy(elsewhere, 1000) is None
    assert plugin.cgov_funds_annual_allocation(elsewhere, 2019) is None
    assert plugin.cgov_funds_required_approvals(elsewhere, "5104", Decimal("9000")) is None
    assert plugin.cgov_points_standard("culture", 120, elsewhere) is None
    assert plugin.cgov_points_expiry_months(None) is None


def test_the_local_day_off_is_declared() -> None:
    """Declares its local day off (applied by the per-county calendar)."""
    assert dt.date(2019, 11, 18) in plugin.LOCAL_DAYS_OFF
    assert [d.day for d in plugin.cgov_local_calendar_days("411202", 2019)] == [
        dt.date(2019, 11, 18)]
    assert plugin.cgov_local_calendar_days("411281", 2019) is None


def test_the_local_day_off_moves_hubins_deadlines_only(gov_with_plugins: Any) -> None:
    """Monday 2019-11-18 is off in 湖滨区, a working day in Yima, in either order."""
    cgov_yima = pytest.importorskip("cgov_yima.plugin")
    for order in ((plugin, cgov_yima), (cgov_yima, plugin)):
        gov = gov_with_plugins(*order)
        hubin, yima = gov.cases.calendar("411202"), gov.cases.calendar("411281")
        friday = dt.date(2019, 11, 15)
        assert not hubin.is_working_day(dt.date(2019, 11, 18))
        assert yima.is_working_day(dt.date(2019, 11, 18))
        assert (hubin.add_working_days(friday, 1), yima.add_working_days(friday, 1)) == (
            dt.date(2019, 11, 19), dt.date(2019, 11, 18))


def test_snow_visits_are_due_within_12_hours_and_disabled_elders_are_a_category(
        gov: Any, small_city: Any) -> None:
    """A snow alert's visits are due within 12 hours in 湖滨区; 失能老人 is a care category."""
    import pendulum

    from community_governance.domain.access import Actor
    from community_governance.domain.care import WeatherAlert
    from community_governance.services.care import NewCareNeed

    system = Actor.system("hubin-test")
    c = small_city.communities[0]
    elder = small_city.elderly[c]
    gov.care.register_needs(system, [NewCareNeed(elder, "disabled_elderly",
                                                 dt.date(2019, 1, 1))])
    gov.care.assign(system, [(elder, f"P-CAD-{c}")], on=dt.date(2019, 1, 1))
    at = pendulum.datetime(2019, 1, 2, 7, tz="Asia/Shanghai")
    got = gov.care.record_alert(system, WeatherAlert("S1", c, "snow", "yellow", at))
    assert [(1, at.add(hours=12))] == [(r.tasks, r.due_at) for r in got]
    rain = gov.care.record_alert(system, WeatherAlert("R1", c, "rain", "yellow", at))
    assert [at.add(hours=24)] == [r.due_at for r in rain]


def test_party_evaluation_and_council_rules(gov: Any, small_city: Any) -> None:
    """Residents of the member's building evaluate, eight ballots show a result, and every
    council motion needs two thirds; elsewhere the plugin passes."""
    from community_governance.domain.council import Majority

    c = small_city.communities[0]
    assert plugin.cgov_party_evaluation_electorate(c) == "building"
    assert plugin.cgov_party_evaluation_min_ballots(c) == 8
    assert plugin.cgov_council_vote_rule(c, "ordinary").majority is Majority.TWO_THIRDS
    assert plugin.cgov_party_evaluation_electorate("411281001001") is None
    assert plugin.cgov_council_vote_rule("411281001001", "major") is None
    assert gov.party._rules(c)[0].value == "building"
