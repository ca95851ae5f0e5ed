"""Tests of the Yima plugin, written with the community-governance test kit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cgov_yima import plugin
from community_governance.testing.conformance import check_plugin


def test_every_answer_of_the_plugin_is_valid() -> None:
    """Answers every hook it implements with values the library accepts."""
    assert [] == check_plugin(plugin)


def test_funds_follow_the_study(small_city_yima: object) -> None:
    """74,000 CNY office funds from 2019, 20,000 before, with care and culture funds."""
    gov, city = small_city_yima  # type: ignore[misc]
    c = city.communities[0]
    assert Decimal("74000.00") == gov.funds.annual_allocation(c, 2019)["4101"]
    assert {"4101": Decimal("20000.00")} == gov.funds.annual_allocation(c, 2018)
    assert {"4101", "4102", "4103"} == set(gov.funds.annual_allocation(c, 2020))


def test_handover_cases_get_yimas_deadlines(small_city_yima: object) -> None:
    """Lists 三供一业移交 among the categories with its own deadline."""
    gov, city = small_city_yima  # type: ignore[misc]
    codes = {c.code for c in gov.cases.categories("411281")}
    assert {"handover", "heating", "repair"} <= codes
    start = dt.date(2019, 9, 27)  # a Friday before the National Day holiday
    # 7 working days: Sep 29 (a swapped Sunday workday), Sep 30, Oct 8-11, Oct 12 (a Saturday)
    assert dt.date(2019, 10, 12) == gov.cases.deadline_for("handover", 2, start,
                                                           city.communities[0])
    assert "handover" not in {c.code for c in gov.cases.categories("411202")}


def test_scoring_standard_is_yimas(small_city_yima: object) -> None:
    """Scores whole hours at Yima's rates."""
    gov, city = small_city_yima  # type: ignore[misc]
    from community_governance.plugins import expect_int

    pts = gov.hooks.first("cgov_points_standard", expect_int(minimum=0), category="elderly_care",
                          minutes=150, community_code=city.communities[0])
    assert 6 == pts


def test_the_plugin_serves_yima_only() -> None:
    """Declares its scope: 411281."""
    assert ["411281"] == plugin.cgov_plugin_scope()


def test_other_counties_keep_the_national_rules() -> None:
    """Passes for communities outside Yima."""
    assert plugin.cgov_case_categories("411202") is None
    assert plugin.cgov_case_deadline("heating", 1, "411202") is None
    assert plugin.cgov_grid_policy("410102001001", 1000) is None
    assert plugin.cgov_funds_annual_allocation("410102001001", 2019) is None
    assert plugin.cgov_points_standard("culture", 120, "410102001001") is None


def test_grid_policy_is_600_households(small_city_yima: object) -> None:
    """Divides at 600 households a grid, 480-720."""
    gov, city = small_city_yima  # type: ignore[misc]
    from community_governance.grids.model import GridPolicy
    from community_governance.plugins import expect_type

    policy = gov.hooks.first("cgov_grid_policy", expect_type(GridPolicy),
                             community_code=city.communities[0], households=1200)
    assert (600, 480, 720) == (policy.target, policy.low, policy.high)
