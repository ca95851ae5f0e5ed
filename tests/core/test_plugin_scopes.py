"""Plugins told the place, scoped plugins, nesting and conflicts (issue #20 items 1-2).

Two county plugins share one store: Yima's (义马市 411281, ``cgov_yima``) and a test plugin for
湖滨区 (411202) with clearly different rules; every rule is checked for both counties, with
the plugins registered in both orders.
"""

from __future__ import annotations

import datetime as dt
import types
from decimal import Decimal
from typing import Any

import pendulum
import pytest

import community_governance as cg
from community_governance.domain.cases import CaseCategory, RouteLevel
from community_governance.domain.idnumber import compose_id_number
from community_governance.domain.people import Relation
from community_governance.errors import PluginError, ValidationError
from community_governance.grids.model import GridPolicy
from community_governance.markers import hookimpl
from community_governance.plugins import Hooks, expect_int, expect_type, get_plugin_manager
from community_governance.services.registry import NewResident

yima = pytest.importorskip("cgov_yima.plugin")

HUBIN = "411202"
YIMA = "411281"
SYSTEM = cg.Actor.system("test")


class Hubin:
    """A test plugin for 湖滨区 (411202): other grid size, scoring, expiry, allocation,
    approvals, categories and deadlines than Yima's."""

    __name__ = "hubin_test_plugin"
    POLICY = GridPolicy(target=300, low=240, high=360, keep_compounds_whole=False,
                        neighbour_distance_m=300.0)

    @hookimpl
    def cgov_plugin_scope(self) -> list[str]:
        return [HUBIN]

    @hookimpl
    def cgov_grid_policy(self, community_code: str, households: int) -> GridPolicy:
        return self.POLICY

    @hookimpl
    def cgov_points_standard(self, category: str, minutes: int, community_code: str) -> int:
        return 50 * (minutes // 60)

    @hookimpl
    def cgov_points_expiry_months(self, community_code: str) -> int:
        return 12

    @hookimpl
    def cgov_funds_annual_allocation(self, community_code: str,
                                     year: int) -> dict[str, Decimal]:
        return {"4101": Decimal("50000.00")}

    @hookimpl
    def cgov_funds_required_approvals(self, community_code: str, account: str,
                                      amount: Decimal) -> list[str]:
        return ["secretary", "director", "subdistrict_staff"]

    @hookimpl
    def cgov_case_categories(self, county_code: str) -> list[CaseCategory]:
        return [CaseCategory("heating", "供暖", "湖滨区集中供暖"),
                CaseCategory("lakeside", "湖滨环境", "黄河湿地环境问题")]

    @hookimpl
    def cgov_case_deadline(self, category: str, level: RouteLevel, county_code: str) -> int:
        return 4 if category == "heating" else 6


def _county(gov: Any, county: str, name: str, seq0: int) -> dict[str, str]:
    """One county with one sub-district, one community, one building, one household and one
    resident; returns their codes."""
    sub, com = f"{county}001", f"{county}001001"
    bld, hh = f"{com}-B0001", f"H{county}"
    gov.registry.add_units(SYSTEM, [cg.Unit(county, "county", name),
                                    cg.Unit(sub, "subdistrict", f"{name}街道", county),
                                    cg.Unit(com, "community", f"{name}社区", sub)])
    gov.registry.add_buildings(SYSTEM, [cg.Building(bld, "1号楼", com, x=0.0, y=0.0,
                                                    households_planned=10)])
    gov.registry.add_households(SYSTEM, [cg.Household(hh, bld, "101")])
    rid = f"R{county}"
    gov.registry.register_residents(SYSTEM, [NewResident(
        f"居民{seq0}", compose_id_number(county, dt.date(1980, 1, 1), seq0), hh,
        Relation.HEAD, id=rid)])
    return {"county": county, "community": com, "building": bld, "resident": rid}


ORDERS = pytest.mark.parametrize("order", ["yima_first", "hubin_first"])


def _plugins(order: str) -> list[object]:
    return [yima, Hubin()] if order == "yima_first" else [Hubin(), yima]


@pytest.fixture
def clock() -> list[pendulum.DateTime]:
    return [pendulum.datetime(2024, 1, 10, 3, tz="UTC")]


def _open(order: str, clock: list[pendulum.DateTime]) -> Any:
    return cg.open("memory://", plugins=_plugins(order), entrypoints=False,
                   clock=lambda: clock[0])


@ORDERS
def test_each_county_gets_its_own_rules(order: str, clock: list[pendulum.DateTime]) -> None:
    """Grid policy, scoring, allocation, approvals, categories and deadlines per county,
    whatever the registration order."""
    with _open(order, clock) as gov:
        y = _county(gov, YIMA, "义马市", 1)
        h = _county(gov, HUBIN, "湖滨区", 2)
        # grid policy
        assert 600 == gov.grids.policy(y["community"], 1000).target
        assert Hubin.POLICY == gov.grids.policy(h["community"], 1000)
        # scoring standard: 150 minutes of elderly care
        score = {c["community"]: gov.hooks.first(
            "cgov_points_standard", expect_int(minimum=0), place=c["community"],
            category="elderly_care", minutes=150, community_code=c["community"]) for c in (y, h)}
        assert {y["community"]: 6, h["community"]: 100} == score
        # fund allocation
        assert Decimal("74000.00") == gov.funds.annual_allocation(y["community"], 2020)["4101"]
        assert {"4101": Decimal("50000.00")} == gov.funds.annual_allocation(h["community"], 2020)
        # approvals of a 3,000 CNY disbursement (national default below 5,000: the director)
        roles = {c["community"]: [r.value for r in gov.funds.request(
            SYSTEM, c["community"], "5101", "3000", payee="某公司", purpose="办公用品",
            ).required_roles] for c in (y, h)}
        assert ["director"] == roles[y["community"]]
        assert ["secretary", "director", "subdistrict_staff"] == roles[h["community"]]
        # case categories
        y_cats = {c.code for c in gov.cases.categories(YIMA)}
        h_cats = {c.code for c in gov.cases.categories(HUBIN)}
        assert {"handover", "heating", "repair"} <= y_cats and "lakeside" not in y_cats
        assert {"lakeside", "heating", "repair"} <= h_cats and "handover" not in h_cats
        with pytest.raises(ValidationError, match="handover"):
            gov.cases.report(SYSTEM, category="handover", building_code=h["building"],
                             description="移交遗留问题", channel="phone")
        # deadlines of a heating case reported the same day in each county
        cases = {c["county"]: gov.cases.report(
            SYSTEM, category="heating", building_code=c["building"], description="暖气不热",
            channel="phone") for c in (y, h)}
        start = dt.date(2024, 1, 10)  # a Wednesday
        assert cases[YIMA].deadline == gov.cases.deadline_for(
            "heating", RouteLevel.COMMUNITY, start, y["community"]) == dt.date(2024, 1, 12)
        assert cases[HUBIN].deadline == dt.date(2024, 1, 16)  # 4 working days


@ORDERS
def test_points_expire_by_each_communitys_rule(order: str,
                                               clock: list[pendulum.DateTime]) -> None:
    """湖滨区 clears points after 12 months, Yima after the national 24: one expiry run for
    all, the validity asked per community."""
    with _open(order, clock) as gov:
        y = _county(gov, YIMA, "义马市", 1)
        h = _county(gov, HUBIN, "湖滨区", 2)
        for i, c in enumerate((y, h)):
            gov.points.earn(SYSTEM, c["resident"], 30, key=f"k{i}", reason="志愿服务")
        clock[0] = pendulum.datetime(2025, 6, 1, 3, tz="UTC")
        asked: list[str] = []
        real = gov.hooks.first

        def spy(hook: str, check: Any, **kw: Any) -> Any:
            if hook == "cgov_points_expiry_months":
                asked.append(kw["community_code"])
            return real(hook, check, **kw)

        gov.hooks.first = spy  # type: ignore[method-assign]
        out = gov.points.expire(SYSTEM, as_of=dt.date(2025, 6, 1))
        assert [h["resident"]] == [e.resident_id for e in out]
        assert -30 == out[0].amount
        assert 30 == gov.points.balance(SYSTEM, y["resident"])
        assert 0 == gov.points.balance(SYSTEM, h["resident"])
        assert None not in asked and {y["community"], h["community"]} <= set(asked)


@ORDERS
def test_grid_drawing_uses_each_countys_policy(order: str,
                                               clock: list[pendulum.DateTime]) -> None:
    """A drawing of every community asks each community's own policy."""
    with _open(order, clock) as gov:
        _county(gov, YIMA, "义马市", 1)
        _county(gov, HUBIN, "湖滨区", 2)
        report = gov.grids.draw(SYSTEM)
        by = {plan.community: d.policy for d in report.divisions for plan in d.communities}
        assert 600 == by[f"{YIMA}001001"].target
        assert 300 == by[f"{HUBIN}001001"].target


class Prefecture:
    """三门峡市 (4112): rules for all its counties."""

    __name__ = "sanmenxia_test_plugin"

    @hookimpl
    def cgov_plugin_scope(self) -> list[str]:
        return ["4112"]

    @hookimpl
    def cgov_points_expiry_months(self, community_code: str) -> int:
        return 18

    @hookimpl
    def cgov_grid_policy(self, community_code: str, households: int) -> GridPolicy:
        return GridPolicy(target=400, low=300, high=500)


@pytest.mark.parametrize("order", [0, 1])
def test_scopes_nest_most_specific_first(order: int) -> None:
    """County over prefecture over the national defaults, whatever the order."""
    plugins: list[object] = [Prefecture(), yima, Hubin()]
    if order:
        plugins.reverse()
    hooks = Hooks(get_plugin_manager(entrypoints=False, extra=plugins))
    months = {place: hooks.first("cgov_points_expiry_months", expect_int(minimum=1),
                                 place=place, community_code=place)
              for place in ("411281001001", "411202001001", "410302001001")}
    # Yima sets no validity: the prefecture's; 湖滨区 its own; elsewhere the national one
    assert {"411281001001": 18, "411202001001": 12, "410302001001": 24} == months
    policy = hooks.first("cgov_grid_policy", expect_type(GridPolicy), place="411281001001",
                         community_code="411281001001", households=100)
    assert 600 == policy.target  # Yima's, not the prefecture's 400
    assert ["cgov_yima.plugin", "sanmenxia_test_plugin", "cgov.defaults.grids"] == \
        hooks.implementations("cgov_grid_policy", place="411281001001")
    assert ["hubin_test_plugin", "sanmenxia_test_plugin", "cgov.defaults.grids"] == \
        hooks.implementations("cgov_grid_policy", place="411202001001")
    assert ["cgov.defaults.grids"] == hooks.implementations("cgov_grid_policy",
                                                            place="410302001001")


def test_calls_without_a_place_ask_every_plugin_as_before() -> None:
    """National calls (place=None) keep pluggy's order: the last registered plugin first."""
    hooks = Hooks(get_plugin_manager(entrypoints=False, extra=[Prefecture(), yima]))
    assert ["cgov_yima.plugin", "sanmenxia_test_plugin", "cgov.defaults.grids"] == \
        hooks.implementations("cgov_grid_policy")


def test_orders_are_computed_once_per_hook_and_place() -> None:
    """The second call for a place reuses the cached order."""
    hooks = Hooks(get_plugin_manager(entrypoints=False, extra=[yima]))
    first = hooks._ordered_for("cgov_grid_policy", "411281001001")
    assert first is hooks._ordered_for("cgov_grid_policy", "411281001001")
    assert ("cgov_grid_policy", "411281001001") in hooks._order


def _plugin(name: str, scope: object, **hooks: Any) -> types.SimpleNamespace:
    ns = types.SimpleNamespace(__name__=name)

    @hookimpl
    def cgov_plugin_scope() -> object:
        return scope

    ns.cgov_plugin_scope = cgov_plugin_scope
    for k, v in hooks.items():
        setattr(ns, k, v)
    return ns


@hookimpl
def _policy(community_code: str, households: int) -> GridPolicy:
    return GridPolicy(target=500, low=400, high=650)


def _categories(code: str) -> Any:
    @hookimpl
    def cgov_case_categories(county_code: str) -> list[CaseCategory]:
        return [CaseCategory(code, "供暖", "供暖")]

    return cgov_case_categories


def test_two_plugins_of_one_scope_answering_one_first_result_hook_are_refused() -> None:
    """open() refuses them, naming both plugins and the hook."""
    a = _plugin("plugin_a", ["411281"], cgov_grid_policy=_policy)
    b = _plugin("plugin_b", ["411281"], cgov_grid_policy=_policy)
    with pytest.raises(PluginError) as info:
        cg.open("memory://", plugins=[a, b], entrypoints=False)
    assert "plugin_a" in str(info.value) and "plugin_b" in str(info.value)
    assert "cgov_grid_policy" in str(info.value) and "411281" in str(info.value)


def test_one_category_code_twice_for_one_scope_is_refused() -> None:
    """Two plugins of one scope defining 'heating' conflict; in different counties they do
    not."""
    a = _plugin("plugin_a", ["411281"], cgov_case_categories=_categories("heating"))
    b = _plugin("plugin_b", ["411281"], cgov_case_categories=_categories("heating"))
    with pytest.raises(PluginError, match="heating") as info:
        cg.open("memory://", plugins=[a, b], entrypoints=False)
    assert "plugin_a" in str(info.value) and "plugin_b" in str(info.value)
    c = _plugin("plugin_c", ["411202"], cgov_case_categories=_categories("heating"))
    with cg.open("memory://", plugins=[a, c], entrypoints=False) as gov:
        assert [] == gov.hooks.conflicts()


@pytest.mark.parametrize("scope", ["411281", ["41128"], ["4112x1"], [], [411281], ["４１１２８１"],
                                   ["411281001001-W01"]])
def test_a_scope_that_is_not_a_unit_code_prefix_is_refused(scope: object) -> None:
    """open() refuses it, naming the plugin."""
    bad = _plugin("bad_scope_plugin", scope)
    with pytest.raises(PluginError) as info:
        cg.open("memory://", plugins=[bad], entrypoints=False)
    assert "bad_scope_plugin" in str(info.value) and "cgov_plugin_scope" in str(info.value)


def test_a_scoped_plugin_is_never_asked_outside_its_scope() -> None:
    """Yima's rule is not asked for 湖滨区, even by a caller that forgets to check the code."""
    calls: list[str] = []

    @hookimpl
    def cgov_points_daily_cap(community_code: str, day: dt.date) -> int:
        calls.append(community_code)
        return 1

    p = _plugin("capper", ["411281"], cgov_points_daily_cap=cgov_points_daily_cap)
    hooks = Hooks(get_plugin_manager(entrypoints=False, extra=[p]))
    assert [] == hooks.all("cgov_points_daily_cap", expect_int(minimum=0), place="411202001001",
                           community_code="411202001001", day=dt.date(2026, 1, 1))
    assert [("capper", 1)] == hooks.all("cgov_points_daily_cap", expect_int(minimum=0),
                                        place="411281001001", community_code="411281001001",
                                        day=dt.date(2026, 1, 1))
    assert ["411281001001"] == calls


@ORDERS
def test_attendance_is_scored_by_each_countys_standard(order: str,
                                                       clock: list[pendulum.DateTime]) -> None:
    """Two hours of elderly care: Yima's 3 an hour (capped at 12 a day) and 湖滨区's 50 an
    hour, through gov.volunteers.record_attendance."""
    from community_governance.domain.volunteers import ActivitySpec

    with _open(order, clock) as gov:
        got = {}
        for county, name, seq in ((YIMA, "义马市", 1), (HUBIN, "湖滨区", 2)):
            c = _county(gov, county, name, seq)
            gov.volunteers.register(SYSTEM, c["resident"])
            start = pendulum.datetime(2024, 1, 10, 9, tz="Asia/Shanghai")
            act = gov.volunteers.create_activity(SYSTEM, ActivitySpec(
                "陪伴老人", c["community"], "elderly_care", "1号楼", start,
                start.add(hours=2), 10))
            got[county] = gov.volunteers.record_attendance(SYSTEM, act.id,
                                                           [c["resident"]]).points
    assert {YIMA: 6, HUBIN: 100} == got
