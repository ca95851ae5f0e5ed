"""Checked hook calls: a broken plugin is named and nothing is written."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import community_governance as cg
from community_governance.domain.idnumber import compose_id_number
from community_governance.plugins import Hooks, expect_int, get_plugin_manager
from community_governance.services.registry import NewResident
from community_governance.testing import SmallCity

NUMBER = compose_id_number("411281", dt.date(1980, 5, 1), 11)


class RaisingValidator:
    """A county plugin whose resident check crashes."""

    @cg.hookimpl
    def cgov_validate_resident(self, resident: Any, today: Any) -> Any:
        raise RuntimeError("database of the county is down")


class NonsenseValidator:
    """A county plugin that answers a number where a list of problems is expected."""

    @cg.hookimpl
    def cgov_validate_resident(self, resident: Any) -> Any:
        return 42


class StrictValidator:
    """A county plugin that requires a phone number."""

    @cg.hookimpl
    def cgov_validate_resident(self, resident: Any) -> Any:
        return None if resident.phone else ["this county requires a phone number"]


def _open_with(plugin: object) -> Any:
    return cg.open("memory://", plugins=[plugin], entrypoints=False)


class TestHookChecks:
    """Hooks.first / Hooks.all."""

    @pytest.mark.parametrize("plugin,needle", [
        (RaisingValidator(), "raised RuntimeError: database of the county is down"),
        (NonsenseValidator(), "answered 42"),
    ])
    def test_names_the_plugin_and_writes_nothing(self, plugin: object, needle: str) -> None:
        """Raises PluginError naming plugin and hook; the resident is not written."""
        from community_governance.testing import build_small_city

        with _open_with(plugin) as gov:
            city: SmallCity = build_small_city_without_checks(gov, build_small_city)
            before = gov.registry.summary(cg.Actor.system()).residents
            hh = city.households[city.buildings[city.communities[0]][0]][0]
            with pytest.raises(cg.PluginError) as info:
                gov.registry.register_resident(
                    cg.Actor.system(), NewResident("王五", NUMBER, hh, phone="13900000000"))
            assert type(plugin).__name__ in info.value.plugin
            assert "cgov_validate_resident" == info.value.hook
            assert needle in str(info.value)
            assert before == gov.registry.summary(cg.Actor.system()).residents

    def test_county_rule_refuses_with_its_message(self) -> None:
        """Refuses a resident that breaks a county rule, with the rule's own words."""
        with _open_with(StrictValidator()) as gov, \
                pytest.raises(cg.ValidationError, match="requires a phone number"):
            _seed_one(gov)

    def test_first_result_wins_in_registration_order(self) -> None:
        """Asks the last registered plugin first; the defaults come last."""

        class A:
            @cg.hookimpl
            def cgov_storage_backend(self, url: str) -> Any:
                return None

        hooks = Hooks(get_plugin_manager(entrypoints=False, extra=[A()]))
        names = hooks.implementations("cgov_storage_backend")
        assert names[-1] == "cgov.defaults.core"
        assert names[0].startswith("A")

    def test_unknown_hook_is_refused_when_the_manager_is_built(self) -> None:
        """Refuses a plugin implementing a hook that does not exist, naming it."""

        class Typo:
            @cg.hookimpl
            def cgov_grid_polcy(self) -> int:
                return 1

        with pytest.raises(cg.PluginError, match="Typo"):
            get_plugin_manager(entrypoints=False, extra=[Typo()])

    def test_expect_int_refuses_bools_floats_and_out_of_range(self) -> None:
        """Accepts whole numbers in range only."""
        check = expect_int(minimum=0)
        assert 5 == check(5)
        for bad in (True, 2.0, -5, "3"):
            with pytest.raises((TypeError, ValueError)):
                check(bad)


def _seed_one(gov: Any) -> None:
    sysa = cg.Actor.system()
    gov.registry.add_units(sysa, [cg.Unit("411281", "county", "义马市"),
                                  cg.Unit("411281001", "subdistrict", "千秋路", "411281"),
                                  cg.Unit("411281001001", "community", "连银", "411281001")])
    gov.registry.add_buildings(sysa, [cg.Building("411281001001-B0001", "1号楼", "411281001001")])
    gov.registry.add_households(sysa, [cg.Household("H1", "411281001001-B0001", "101")])
    gov.registry.register_resident(sysa, NewResident("李四", NUMBER, "H1"))


def build_small_city_without_checks(gov: Any, builder: Any) -> SmallCity:
    """Build the small city with the hostile plugin switched off, then switch it back on."""
    pm = gov.hooks.pm
    hostile = [(p, pm.get_name(p)) for p in pm.get_plugins()
               if not str(pm.get_name(p)).startswith("cgov.")]
    for p, _ in hostile:
        pm.unregister(p)
    try:
        return builder(gov)  # type: ignore[no-any-return]
    finally:
        for p, name in hostile:
            pm.register(p, name=name)
