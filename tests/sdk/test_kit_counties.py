"""The test kit works for any county: small city, strategies, fixtures, check_plugin and
``cgov plugins check``."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings

from community_governance import hookimpl
from community_governance.domain.idnumber import parse_id_number
from community_governance.testing import build_small_city
from community_governance.testing import strategies as cst
from community_governance.testing.conformance import check_plugin


class Mianchi:
    """A broken plugin for 渑池县 (411221): nonsense there, nothing elsewhere."""

    @hookimpl
    def cgov_plugin_scope(self) -> list[str]:
        return ["411221"]

    @hookimpl
    def cgov_grid_policy(self, community_code: str, households: int) -> Any:
        return "not a policy" if community_code.startswith("411221") else None

    @hookimpl
    def cgov_points_standard(self, category: str, minutes: int, community_code: str) -> Any:
        return -3 if community_code.startswith("411221") else None


def test_check_plugin_catches_nonsense_for_another_county() -> None:
    """Finds the grid-policy and points problems for 411221, named or taken from the scope."""
    for problems in (check_plugin(Mianchi(), counties=["411221"]), check_plugin(Mianchi())):
        assert 2 == len(problems), problems
        assert any(p.startswith("cgov_grid_policy") for p in problems)
        assert any(p.startswith("cgov_points_standard") and "-3" in p for p in problems)


def test_check_plugin_refuses_bad_counties_and_scopes() -> None:
    """Refuses a county that is not 6 digits; reports a scope that is not unit-code prefixes."""
    with pytest.raises(ValueError, match="6-digit"):
        check_plugin(Mianchi(), counties=["4112"])

    class BadScope:
        @hookimpl
        def cgov_plugin_scope(self) -> list[str]:
            return ["湖滨"]

    problems = check_plugin(BadScope())
    assert 1 == len(problems) and "unit-code prefix" in problems[0]


def test_small_cities_of_two_counties_share_a_store(gov: Any) -> None:
    """Builds the small city in 411202 and 411221 side by side, every code under its county."""
    a = build_small_city(gov, "411202")
    b = build_small_city(gov, "411221")
    assert all(c.startswith("411202") for c in a.communities)
    assert all(c.startswith("411221") for c in b.communities)
    assert set(a.all_residents()).isdisjoint(b.all_residents())
    assert all(n[:6] == "411221" for n in b.id_numbers.values())
    assert a.county_admin != b.county_admin
    with pytest.raises(ValueError, match="6-digit"):
        build_small_city(gov, "41")


@pytest.mark.parametrize("county", ["411202"])
def test_small_city_fixture_takes_the_county(small_city: Any, county: str) -> None:
    """The ``small_city`` fixture is built in the ``county`` fixture's county."""
    assert "411202" == small_city.county


def test_gov_with_plugins_installs_the_chosen_plugins(gov_with_plugins: Any) -> None:
    """Opens a store whose hooks ask the chosen plugin first."""
    gov = gov_with_plugins(Mianchi())
    assert gov.hooks.implementations("cgov_grid_policy")[0].startswith("Mianchi")
    assert gov_with_plugins().hooks.implementations("cgov_grid_policy") == [
        "cgov.defaults.grids"]


@settings(max_examples=20, deadline=None)
@given(cst.id_numbers(county="411221"))
def test_id_numbers_of_a_county(number: str) -> None:
    """Draws valid ID numbers first registered in the county."""
    assert number.startswith("411221")
    parse_id_number(number, today=cst.TODAY)


def test_cli_plugins_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """``cgov plugins check MODULE --county CODE`` prints one line per problem, exit 1."""
    from community_governance.cli import _load, cli

    _load()
    mod = types.ModuleType("cgov_mianchi_broken")
    broken = Mianchi()
    for name in ("cgov_plugin_scope", "cgov_grid_policy", "cgov_points_standard"):
        fn = getattr(type(broken), name)
        setattr(mod, name, fn.__get__(broken))
    monkeypatch.setitem(sys.modules, "cgov_mianchi_broken", mod)
    result = CliRunner().invoke(cli, ["plugins", "check", "cgov_mianchi_broken",
                                      "--county", "411221"])
    assert 1 == result.exit_code, result.output
    lines = [ln for ln in result.output.splitlines() if ln]
    assert 2 == len(lines) and all(ln.startswith("cgov_mianchi_broken: cgov_") for ln in lines)
    ok = CliRunner().invoke(cli, ["plugins", "check", "cgov_hubin.plugin", "--county",
                                  "411202", "--examples", "10"])
    if "cannot import" not in ok.output:
        assert 0 == ok.exit_code, ok.output
        assert ok.output.strip().endswith("ok (411202)")
    bad = CliRunner().invoke(cli, ["plugins", "check", "no_such_plugin_module"])
    assert 2 == bad.exit_code and "cannot import" in bad.output
