"""Every hook example of the catalogue runs (issue #20 item 6).

The ``Example::`` block of each hookspec docstring (what ``docs/plugin_hooks.md`` shows) is
extracted, executed as a plugin module with the imports a plugin would write, registered
against a store, and called through the library's own :class:`Hooks` with arguments chosen so
that the example answers; the answer must pass the library's check for that hook.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import logging
import textwrap
import types
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import click
import numpy as np
import pendulum
import pytest
from click.testing import CliRunner

from community_governance import hookimpl
from community_governance.domain import actions as A
from community_governance.domain.access import Actor, Principal, Target
from community_governance.domain.care import DEFAULT_CATEGORIES, CareCategory, WeatherAlert
from community_governance.domain.cases import CaseCategory, RouteLevel, RouteStep
from community_governance.domain.council import Majority, VoteRule
from community_governance.domain.funds import Account
from community_governance.domain.guide import GuideMatter
from community_governance.domain.idnumber import parse_id_number
from community_governance.domain.market import CommunityService, OwnersVoteRule, Threshold
from community_governance.domain.orgs import (
    AdmissionRequirements,
    GradeScheme,
    Indicator,
    Requirement,
)
from community_governance.domain.people import Relation, Resident
from community_governance.domain.points import Item, RedemptionLimit
from community_governance.domain.tenders import Criterion, ProcedureRules
from community_governance.domain.volunteers import Activity
from community_governance.grids.model import GridPolicy
from community_governance.hookdoc import iter_hooks
from community_governance.plugins import (
    Hooks,
    accept_any,
    expect_bool,
    expect_category_codes,
    expect_each,
    expect_int,
    expect_post_kinds,
    expect_str_list,
    expect_type,
    get_plugin_manager,
)
from community_governance.services.care.common import expect_categories, expect_gift
from community_governance.services.points import POINTS_EARN

#: What a plugin module of the examples imports (the catalogue says so above the examples).
NAMESPACE: dict[str, Any] = {
    "hookimpl": hookimpl, "Decimal": Decimal, "GridPolicy": GridPolicy,
    "CaseCategory": CaseCategory, "RouteLevel": RouteLevel, "RouteStep": RouteStep,
    "GuideMatter": GuideMatter, "Account": Account, "RedemptionLimit": RedemptionLimit,
    "attrs": attrs, "click": click, "pendulum": pendulum, "logging": logging,
    "Requirement": Requirement, "AdmissionRequirements": AdmissionRequirements,
    "Indicator": Indicator, "GradeScheme": GradeScheme,
    "CareCategory": CareCategory, "WeatherAlert": WeatherAlert, "VoteRule": VoteRule,
    "Actor": Actor, "OwnersVoteRule": OwnersVoteRule, "Threshold": Threshold,
    "Fraction": Fraction, "CommunityService": CommunityService,
    "ProcedureRules": ProcedureRules, "Criterion": Criterion,
}


def _namespace() -> dict[str, Any]:
    from community_governance.simulation import behaviours
    from community_governance.simulation.metrics import SimMetric
    from community_governance.storage.sql import SqlStore

    ns = dict(NAMESPACE, SqlStore=SqlStore, SimMetric=SimMetric)
    ns.update({n: getattr(behaviours, n) for n in dir(behaviours) if n.startswith("Default")})
    for name in ("workforce", "money", "culture", "civic", "property", "orgs", "party"):
        mod = importlib.import_module(f"community_governance.simulation.mechanisms.{name}")
        ns.update({n: getattr(mod, n) for n in dir(mod) if n.startswith("Default")})
    return ns


def example_of(fn: Callable[..., Any]) -> str:
    """The code of a hook docstring's ``Example::`` block."""
    doc = inspect.getdoc(fn) or ""
    block = doc.split("Example::", 1)[1]
    lines = []
    for line in block.splitlines()[1:]:
        if line.strip() and not line.startswith("    "):
            break
        lines.append(line)
    return textwrap.dedent("\n".join(lines)).strip() + "\n"


def _plugin(name: str, code: str) -> types.ModuleType:
    mod = types.ModuleType(f"example_{name}")
    mod.__dict__.update(_namespace())
    exec(compile(code, f"<example of {name}>", "exec"), mod.__dict__)
    return mod


def _scenario() -> Any:
    from community_governance.simulation.scenario import (
        Scenario,
        bundled_scenarios,
        resolve_scenario_path,
    )

    path = resolve_scenario_path(bundled_scenarios()[0])
    return Scenario.from_toml(path.read_text("utf-8"), source=str(path))


YIMA_C = "411281001001"
HUBIN_C = "411202001001"
SAT_UTC = pendulum.datetime(2026, 11, 28, 7, tz="Asia/Shanghai").in_timezone("UTC")


def _activity(start: dt.datetime) -> Activity:
    return Activity("A1", "清扫楼道", YIMA_C, YIMA_C, "environment", "1号楼", start,
                    start + dt.timedelta(hours=2), 10)


def _resident(phone: str | None) -> Resident:
    idn = parse_id_number("41128119800101001X", today=dt.date(2026, 1, 1))
    return Resident("R1", "张三", idn, "H1", Relation.HEAD, phone)


def _cases(tmp_path: Path) -> dict[str, tuple[str, dict[str, Any], Callable[[Any], Any], Any]]:
    """hook → (first|all, arguments, check, expected answer)."""
    from community_governance.simulation import behaviours as b

    sc = _scenario()
    sat = Principal(Actor.staff("S1"), (), dt.date(2026, 11, 28))
    return {
        "cgov_extend_permission": ("all", {"action": POINTS_EARN}, expect_post_kinds,
                                   lambda v: v[0][1] == [cg_post("building_leader")]),
        "cgov_case_categories": ("all", {"county_code": "411281"}, accept_any,
                                 lambda v: v[0][1][0].code == "heating"),
        "cgov_case_route": ("first", {"category": "safety", "building_code": f"{YIMA_C}-B0001",
                                      "grid_code": None, "community_code": YIMA_C}, accept_any,
                            lambda v: [s.level for s in v] == [RouteLevel.COMMUNITY,
                                                               RouteLevel.SUBDISTRICT,
                                                               RouteLevel.COUNTY]),
        "cgov_case_deadline": ("first", {"category": "heating", "level": RouteLevel.GRID,
                                         "county_code": "411281"},
                               expect_int(minimum=1, maximum=60), lambda v: v == 1),
        "cgov_service_guide_matters": ("all", {"county_code": "411281"}, accept_any,
                                       lambda v: v[0][1][0].code == "MZ-101"),
        "cgov_storage_backend": ("first", {"url": f"yima://{tmp_path / 'county.db'}"},
                                 accept_any, lambda v: _close(v)),
        "cgov_plugin_scope": ("all", {}, accept_any, lambda v: v[0][1] == ["411281"]),
        "cgov_validate_resident": ("all", {"resident": _resident(None),
                                           "today": dt.date(2026, 1, 1),
                                           "community_code": YIMA_C},
                                   expect_str_list, lambda v: "phone" in v[0][1][0]),
        "cgov_narrow_permission": ("all", {"principal": sat, "action": A.RESIDENT_READ_ID,
                                           "target": Target("resident", "R1", YIMA_C)},
                                   expect_bool, lambda v: v == [(v[0][0], False)]),
        "cgov_notify": ("all", {"event": "case.escalated",
                                "payload": {"case_id": "C1", "level": 2}}, accept_any,
                        lambda v: v == []),
        "cgov_funds_accounts": ("all", {"community_code": YIMA_C}, accept_any,
                                lambda v: v[0][1][0].code == "4701"),
        "cgov_funds_required_approvals": ("first", {"community_code": YIMA_C,
                                                    "account": "5101",
                                                    "amount": Decimal("3000")},
                                          expect_post_kinds, lambda v: len(v) == 3),
        "cgov_funds_over_budget": ("first", {"community_code": YIMA_C, "account": "5102",
                                             "year": 2026, "amount": Decimal("10"),
                                             "budget": Decimal("5"),
                                             "committed": Decimal("0")}, accept_any,
                                   lambda v: v == ["secretary", "subdistrict_staff"]),
        "cgov_funds_large_item": ("first", {"community_code": YIMA_C}, accept_any,
                                  lambda v: v == Decimal("2000")),
        "cgov_funds_annual_allocation": ("first", {"community_code": YIMA_C, "year": 2019},
                                         accept_any, lambda v: v["4101"] == Decimal("74000")),
        "cgov_grid_policy": ("first", {"community_code": YIMA_C, "households": 900},
                             expect_type(GridPolicy), lambda v: v.target == 500),
        "cgov_points_standard": ("first", {"category": "epidemic_duty", "minutes": 120,
                                           "community_code": YIMA_C}, expect_int(minimum=0),
                                 lambda v: v == 40),
        "cgov_points_bonus": ("all", {"activity": _activity(SAT_UTC), "resident_id": "R1",
                                      "base": 10, "community_code": YIMA_C},
                              expect_int(minimum=0), lambda v: v[0][1] == 5),
        "cgov_points_daily_cap": ("all", {"community_code": YIMA_C,
                                          "day": dt.date(2026, 1, 1)}, expect_int(minimum=0),
                                  lambda v: v[0][1] == 30),
        "cgov_points_expiry_months": ("first", {"community_code": YIMA_C},
                                      expect_int(minimum=1), lambda v: v == 12),
        "cgov_redemption_limit": ("all", {"item": Item("I1", YIMA_C, "食用油", 50, 3),
                                          "resident_id": "R1", "community_code": YIMA_C},
                                  accept_any, lambda v: v[0][1].quantity == 1),
        "cgov_charity_eligible": ("first", {"resident_id": "R1", "community_code": YIMA_C,
                                            "vulnerabilities": frozenset({"left_behind_child"}),
                                            "registered": True,
                                            "category": "school_supplies"}, expect_bool,
                                  lambda v: v is True),
        "cgov_sim_participation_model": ("first", {"scenario": sc}, accept_any,
                                         lambda v: v.params.neighbours == 0.0),
        "cgov_sim_volunteering_model": ("first", {"scenario": sc}, accept_any,
                                        lambda v: isinstance(v, b.DefaultVolunteeringModel)),
        "cgov_sim_redemption_model": ("first", {"scenario": sc}, accept_any,
                                      lambda v: v.params.weekly_probability ==
                                      sc.behaviour.redemption.weekly_probability / 2),
        "cgov_sim_cases_model": ("first", {"scenario": sc}, accept_any,
                                 lambda v: dict(v.params.handover_multiplier) == {}),
        "cgov_sim_service_model": ("first", {"scenario": sc}, accept_any,
                                   lambda v: v.params.cases_per_staff_day == 2.0),
        "cgov_sim_opinion_model": ("first", {"scenario": sc}, accept_any,
                                   lambda v: v.sat.adjust_per_step > 0),
        "cgov_sim_workforce_model": ("first", {"scenario": sc, "county_code": "411281"},
                                     accept_any, lambda v: v.params.temporary_quit_per_year
                                     == sc.staff.temporary_quit_per_year / 2),
        "cgov_sim_budget_model": ("first", {"scenario": sc, "county_code": "411281"},
                                  accept_any, lambda v: int(v.purchase_payment(
                                      np.array([100]), np.array([100]))[0]) == 50),
        "cgov_sim_culture_model": ("first", {"scenario": sc, "county_code": "411281"},
                                   accept_any, lambda v: v.params.join_per_attendance == min(
                                       1.0, 2 * sc.behaviour.culture.join_per_attendance)),
        "cgov_sim_civic_model": ("first", {"scenario": sc, "county_code": "411281"},
                                 accept_any, lambda v: v.params.disclosures_per_year == 12.0),
        "cgov_sim_property_model": ("first", {"scenario": sc, "county_code": "411281"},
                                    accept_any,
                                    lambda v: v.params.initial_managed_share == 1.0),
        "cgov_sim_orgs_model": ("first", {"scenario": sc, "county_code": "411281"},
                                accept_any, lambda v: not v.review_passes(0.5, 0.0)
                                and v.review_passes(0.7, 0.99)),
        "cgov_sim_party_model": ("first", {"scenario": sc, "county_code": "411281"},
                                 accept_any, lambda v: v.params.evaluation is False),
        "cgov_sim_metrics": ("all", {"scenario": sc, "county_code": "411281"},
                             accept_any, lambda v: v[0][1][0].name == "overdue_per_grid"
                             and v[0][1][0].kind == "stock"),
        "cgov_working_day_calendar": ("first", {"extra_dirs": [], "county_code": "411221"},
                                      accept_any,
                                      lambda v: v.is_provisional(dt.date(2040, 1, 5))),
        "cgov_holiday_data_dirs": ("all", {"county_code": "411281"}, accept_any,
                                   lambda v: (v[0][1][0] / "2026.toml").is_file()),
        "cgov_local_calendar_days": ("all", {"county_code": "411202", "year": 2027}, accept_any,
                                     lambda v: [d.day for d in v[0][1]]
                                     == [dt.date(2027, 3, 12)]),
        "cgov_grid_leaders_allowed": ("first", {"grid_code": f"{HUBIN_C}-G01",
                                                "community_code": HUBIN_C},
                                      expect_int(minimum=1), lambda v: v == 2),
        "cgov_points_award_threshold": ("first", {"community_code": HUBIN_C}, accept_any,
                                        lambda v: (v.per_entry, v.per_month) == (30, 150)),
        "cgov_care_categories": ("all", {"community_code": YIMA_C}, expect_categories,
                                 lambda v: [c.code for c in v[0][1]]
                                 == ["elderly_alone", "dementia"]),
        "cgov_care_visits_per_month": ("first", {"tier": 1, "community_code": YIMA_C},
                                       expect_int(minimum=0, maximum=31), lambda v: v == 4),
        "cgov_care_due_hours": ("first", {"reason": "snow", "level": "yellow",
                                          "community_code": YIMA_C},
                                expect_int(minimum=1, maximum=168), lambda v: v == 6),
        "cgov_care_weather_alerts": ("all", {"county_code": "411281",
                                             "day": dt.date(2019, 12, 28)},
                                     expect_each(expect_type(WeatherAlert)),
                                     lambda v: [a.id for a in v[0][1]] == ["SNOW-2019-12-28"]),
        "cgov_care_stand_in_allowed": ("first", {"community_code": YIMA_C}, expect_bool,
                                       lambda v: v is True),
        "cgov_care_cadre_capacity": ("first", {"reason": "snow", "community_code": YIMA_C},
                                     expect_int(minimum=1, maximum=500), lambda v: v == 10),
        "cgov_care_festival_gift": ("first", {"festival": "spring_festival",
                                              "community_code": YIMA_C}, expect_gift,
                                    lambda v: v == "米面油"),
        "cgov_care_invitation_categories": (
            "first", {"occasion": "lantern", "community_code": YIMA_C},
            expect_category_codes([c.code for c in DEFAULT_CATEGORIES]),
            lambda v: v == ["childless_elderly", "elderly_alone", "extreme_difficulty"]),
        **_orgs_cases(),
        **_party_http_cases(),
        **_market_cases(),
        **_tenders_cases(),
    }


def _market_cases() -> dict[str, tuple[str, dict[str, Any], Callable[[Any], Any], Any]]:
    """The market hooks, checked as ``gov.market`` checks them."""
    from community_governance.domain.market import OwnersMatter
    from community_governance.services.market.owners import expect_owners_rule

    return {
        "cgov_owners_vote_rule": ("first", {"community_code": YIMA_C,
                                            "compound_code": f"{YIMA_C}-Q01",
                                            "matter": "use_maintenance_fund"},
                                  expect_owners_rule(OwnersMatter.USE_MAINTENANCE_FUND),
                                  lambda v: v.approval.share == Fraction(2, 3)),
        "cgov_market_service_catalogue": ("first", {"community_code": YIMA_C},
                                          expect_each(expect_type(CommunityService)),
                                          lambda v: [s.fee for s in v] == [Decimal("30")]),
    }


def _tenders_cases() -> dict[str, tuple[str, dict[str, Any], Callable[[Any], Any], Any]]:
    """The purchase-of-services hooks, checked as ``gov.tenders`` checks them."""
    from community_governance.domain.tenders import Procedure
    from community_governance.services.tenders.common import expect_criteria, expect_procedure

    return {
        "cgov_tenders_procedure": ("first", {"county_code": "411202", "procedure": "open"},
                                   expect_procedure(Procedure.OPEN),
                                   lambda v: v.bid_days == 20),
        "cgov_tenders_scoring_criteria": ("first", {"community_code": YIMA_C,
                                                    "category": "elderly_day_care"},
                                          expect_criteria,
                                          lambda v: [c.weight for c in v] == [20, 50, 30]),
    }


def _party_http_cases() -> dict[str, tuple[str, dict[str, Any], Callable[[Any], Any], Any]]:
    """The party, council and HTTP hooks, checked as their services check them."""
    from community_governance.services.party import expect_electorate, expect_grades

    return {
        "cgov_party_evaluation_electorate": ("first", {"community_code": HUBIN_C},
                                             expect_electorate,
                                             lambda v: v.value == "building"),
        "cgov_party_evaluation_grades": ("first", {"community_code": YIMA_C}, expect_grades,
                                         lambda v: v == ("满意", "基本满意", "不满意")),
        "cgov_party_evaluation_min_ballots": ("first", {"community_code": HUBIN_C},
                                              expect_int(minimum=3, maximum=1000),
                                              lambda v: v == 8),
        "cgov_party_visit_window": ("first", {"community_code": HUBIN_C,
                                              "festival": "spring_festival"},
                                    expect_int(minimum=0, maximum=30), lambda v: v == 20),
        "cgov_council_vote_rule": ("first", {"community_code": HUBIN_C, "kind": "ordinary"},
                                   expect_type(VoteRule),
                                   lambda v: v.majority is Majority.TWO_THIRDS),
        "cgov_external_identity": ("all", {"provider": "wechat_unionid",
                                           "subject": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M",
                                           "county_code": "411281"},
                                   expect_type(Actor),
                                   lambda v: v[0][1] == Actor.resident("R-0001")),
    }


def _orgs_cases() -> dict[str, tuple[str, dict[str, Any], Callable[[Any], Any], Any]]:
    """The social-organization hooks, checked as ``gov.orgs`` checks them."""
    from community_governance.services.orgs.common import (
        expect_admission,
        expect_grade_scheme,
        expect_indicators,
        expect_requirements,
        expect_tier,
    )

    place = {"community_code": HUBIN_C, "kind": "service"}
    return {
        "cgov_orgs_incubation_milestones": ("first", place, expect_requirements,
                                            lambda v: [r.code for r in v] == ["charter",
                                                                              "mentor"]),
        "cgov_orgs_admission_requirements": ("first", place, expect_admission,
                                             lambda v: v.min_full_time_staff == 1),
        "cgov_orgs_standardisation_checklist": ("first", place, expect_requirements,
                                                lambda v: len(v) == 4),
        "cgov_orgs_evaluation_indicators": ("first", place, expect_indicators(1000),
                                            lambda v: sum(i.weight for i in v) == 1000),
        "cgov_orgs_grade_scheme": ("first", {"community_code": HUBIN_C}, expect_grade_scheme,
                                   lambda v: v.thresholds[0][1] == 950),
        "cgov_orgs_bid_tier": ("first", {"community_code": HUBIN_C, "grade": None},
                               expect_tier, lambda v: v == 0),
    }


def cg_post(kind: str) -> Any:
    from community_governance.domain.posts import PostKind

    return PostKind(kind)


def _close(store: Any) -> bool:
    from community_governance.storage.base import Store

    ok = isinstance(store, Store)
    store.close()
    return ok


HOOKS = [(name, fn) for _, name, fn in iter_hooks() if name != "cgov_register_commands"]


@pytest.mark.parametrize(("name", "fn"), HOOKS, ids=[n for n, _ in HOOKS])
def test_the_catalogue_example_runs(name: str, fn: Callable[..., Any], tmp_path: Path,
                                    caplog: pytest.LogCaptureFixture) -> None:
    """Registered as a plugin and called through Hooks, the example answers as it says."""
    cases = _cases(tmp_path)
    assert name in cases, f"add {name} to the table of example calls"
    mod = _plugin(name, example_of(fn))
    hooks = Hooks(get_plugin_manager(entrypoints=False, extra=[mod]))
    assert hooks.implementations(name)[0] == mod.__name__
    how, kwargs, check, expect = cases[name]
    # ask the example plugin only (the national defaults would answer all() too)
    impl = next(i for i in getattr(hooks.pm.hook, name).get_hookimpls()
                if i.plugin_name == mod.__name__)
    raw = hooks._call_one(impl, name, kwargs)
    with caplog.at_level(logging.INFO):
        answer = [(mod.__name__, hooks._check(impl, name, raw, check))] if how == "all" and \
            raw is not None else ([] if raw is None else hooks._check(impl, name, raw, check))
    assert expect(answer), (name, answer)


def test_the_register_commands_example_adds_a_command() -> None:
    """The example's ``hello`` command runs under ``cgov``."""
    fn = next(f for _, n, f in iter_hooks() if n == "cgov_register_commands")
    mod = _plugin("cgov_register_commands", example_of(fn))
    group = click.Group("cgov")
    mod.cgov_register_commands(cli=group)
    result = CliRunner().invoke(group, ["hello"])
    assert 0 == result.exit_code and "义马市" in result.output


def test_the_weekend_bonus_example_uses_the_county_day() -> None:
    """Saturday 07:00 in Beijing (Friday 23:00 UTC) gets the bonus; Monday 06:00 in Beijing
    (Sunday 22:00 UTC) does not."""
    fn = next(f for _, n, f in iter_hooks() if n == "cgov_points_bonus")
    mod = _plugin("bonus", example_of(fn))
    monday = pendulum.datetime(2026, 11, 30, 6, tz="Asia/Shanghai").in_timezone("UTC")
    assert SAT_UTC.weekday() == 4 and monday.weekday() == 6  # the UTC days mislead
    assert 5 == mod.cgov_points_bonus(_activity(SAT_UTC), "R1", 10, YIMA_C)
    assert mod.cgov_points_bonus(_activity(monday), "R1", 10, YIMA_C) is None


def test_every_hook_has_an_example_call() -> None:
    """The table above covers every hook of the catalogue."""
    assert set() == {n for n, _ in HOOKS} - set(_cases(Path("/nonexistent")))
