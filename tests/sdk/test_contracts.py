"""Every hook has a conformance contract; the defaults and the Yima plugin conform; broken
plugins of the capability hooks are reported with plugin and hook named."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from typing import Any

import pytest

import community_governance as cg
from community_governance.domain.cases import RouteLevel
from community_governance.grids.model import GridPolicy
from community_governance.hookdoc import iter_hooks
from community_governance.plugins import default_plugin_modules
from community_governance.testing.conformance import _contracts, check_plugin

EXAMPLES = 15


def test_every_hook_of_the_catalogue_has_a_contract() -> None:
    """Finds a contract for every hook the hookspec modules declare, and none for unknown
    hooks."""
    hooks = {name for _family, name, _fn in iter_hooks()}
    contracts = _contracts()
    assert sorted(hooks - set(contracts)) == []
    assert sorted(set(contracts) - hooks) == []


@pytest.mark.parametrize("module", default_plugin_modules())
def test_national_default_plugin_conforms(module: str) -> None:
    """Reports no problem for a national default plugin module."""
    assert check_plugin(importlib.import_module(module), examples=EXAMPLES) == []


def test_yima_plugin_conforms() -> None:
    """Reports no problem for the Yima county plugin."""
    from cgov_yima import plugin

    assert check_plugin(plugin, examples=EXAMPLES) == []


# --- broken plugins ---------------------------------------------------------------------------


class PolicyOfWrongType:
    @cg.hookimpl
    def cgov_grid_policy(self, community_code: str, households: int) -> Any:
        return {"target": 600, "low": 480, "high": 720}


class PolicyWithFloats:
    @cg.hookimpl
    def cgov_grid_policy(self, community_code: str, households: int) -> Any:
        return GridPolicy(target=600.0, low=480.0, high=720.0)  # type: ignore[arg-type]


class PolicyRaising:
    @cg.hookimpl
    def cgov_grid_policy(self, community_code: str, households: int) -> Any:
        return GridPolicy(target=households // 10, low=households // 20, high=households)


class StandardNegative:
    @cg.hookimpl
    def cgov_points_standard(self, category: str, minutes: int, community_code: str) -> Any:
        return minutes // 60 - 1  # -1 for less than an hour


class StandardFloat:
    @cg.hookimpl
    def cgov_points_standard(self, category: str, minutes: int, community_code: str) -> Any:
        return minutes / 60


class ApprovalsOneString:
    @cg.hookimpl
    def cgov_funds_required_approvals(self, community_code: str, account: str,
                                      amount: Decimal) -> Any:
        return "director"


class ApprovalsUnknownPost:
    @cg.hookimpl
    def cgov_funds_required_approvals(self, community_code: str, account: str,
                                      amount: Decimal) -> Any:
        return ["director", "mayor"] if amount > 1000 else ["director"]


class DeadlineOutOfRange:
    @cg.hookimpl
    def cgov_case_deadline(self, category: str, level: RouteLevel) -> Any:
        return 0 if level is RouteLevel.GRID else 5


#: A deadline table that forgets most categories.
SHORT_TABLE = {"repair": 3, "sanitation": 2}


class DeadlineRaising:
    @cg.hookimpl
    def cgov_case_deadline(self, category: str, level: RouteLevel) -> Any:
        return SHORT_TABLE[category]


class CalendarOfDates:
    @cg.hookimpl
    def cgov_working_day_calendar(self, extra_dirs: Any) -> Any:
        return [dt.date(2026, 1, 1)]


class AllocationToExpense:
    @cg.hookimpl
    def cgov_funds_annual_allocation(self, community_code: str, year: int) -> Any:
        return {"4101": Decimal("74000"), "5101": Decimal("1000")}


class OverBudgetTrue:
    @cg.hookimpl
    def cgov_funds_over_budget(self, community_code: str, account: str, year: int,
                               amount: Decimal, budget: Decimal, committed: Decimal) -> Any:
        return True


class WidensPersonalAction:
    @cg.hookimpl
    def cgov_extend_permission(self, action: Any) -> Any:
        return ["building_leader"]


class ModelWithoutMethods:
    @cg.hookimpl
    def cgov_sim_cases_model(self, scenario: Any) -> Any:
        return object()


BROKEN = [
    (PolicyOfWrongType(), "cgov_grid_policy", "expected a GridPolicy"),
    (PolicyWithFloats(), "cgov_grid_policy", "must be a whole number"),
    (PolicyRaising(), "cgov_grid_policy", "raised ValidationError"),
    (StandardNegative(), "cgov_points_standard", "expected at least 0"),
    (StandardFloat(), "cgov_points_standard", "expected a whole number"),
    (ApprovalsOneString(), "cgov_funds_required_approvals", "expected a list of post kinds"),
    (ApprovalsUnknownPost(), "cgov_funds_required_approvals", "'mayor'"),
    (DeadlineOutOfRange(), "cgov_case_deadline", "expected at least 1"),
    (DeadlineRaising(), "cgov_case_deadline", "raised KeyError"),
    (CalendarOfDates(), "cgov_working_day_calendar", "expected WorkingDayCalendar"),
    (AllocationToExpense(), "cgov_funds_annual_allocation", "'5101' is not an income account"),
    (OverBudgetTrue(), "cgov_funds_over_budget", "expected False or a non-empty list"),
    (WidensPersonalAction(), "cgov_extend_permission", "touches personal data"),
    (ModelWithoutMethods(), "cgov_sim_cases_model", "methods of CaseModel"),
]


@pytest.mark.parametrize(("plugin", "hook", "why"), BROKEN,
                         ids=[type(p).__name__ for p, _, _ in BROKEN])
def test_reports_a_broken_plugin_with_plugin_and_hook_named(plugin: object, hook: str,
                                                            why: str) -> None:
    """Reports one problem naming the plugin, the hook and what is wrong with the answer."""
    problems = check_plugin(plugin, examples=50)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{hook}:")
    assert type(plugin).__name__ in problems[0]
    assert why in problems[0]


def test_accepts_a_county_that_widens_an_action_without_personal_data() -> None:
    """Accepts building leaders added to actions that touch no personal data."""

    class WidensOnlyImpersonal:
        @cg.hookimpl
        def cgov_extend_permission(self, action: Any) -> Any:
            return None if action.personal else ["building_leader"]

    assert check_plugin(WidensOnlyImpersonal(), examples=50) == []


def test_reports_an_answer_the_service_would_refuse_only_for_some_inputs() -> None:
    """Finds the households count for which a policy plugin raises (an empty community)."""

    class PerHouseholds:
        @cg.hookimpl
        def cgov_grid_policy(self, community_code: str, households: int) -> Any:
            target = 600 if 6000 // households else 500
            return GridPolicy(target=target, low=480, high=720)

    problems = check_plugin(PerHouseholds(), examples=200)
    assert len(problems) == 1 and "ZeroDivisionError" in problems[0]
