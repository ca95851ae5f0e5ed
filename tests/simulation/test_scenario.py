"""Scenario files: loading, validation naming the key, overrides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from community_governance.errors import ValidationError
from community_governance.simulation.scenario import (
    Scenario,
    bundled_scenarios,
    load_scenario,
    parse_override,
    parse_setting,
    resolve_scenario_path,
)

from .sim_helpers import minimal_doc

REPO = Path(__file__).resolve().parents[2]


def test_bundled_baseline_matches_the_repository_copy() -> None:
    """Ships yima-2019 as package data, the same file as scenarios/yima-2019.toml."""
    assert "yima-2019" in bundled_scenarios()
    packaged = resolve_scenario_path("yima-2019").read_text(encoding="utf-8")
    assert (REPO / "scenarios" / "yima-2019.toml").read_text(encoding="utf-8") == packaged


def test_baseline_values() -> None:
    """Reads the study's figures into the baseline."""
    sc = load_scenario("yima-2019")
    assert sc.grids.households_per_grid == 600
    assert sc.funds.office_cny_per_year == Decimal("74000.00")
    assert sc.funds.partner_cny_per_year == Decimal("50000.00")
    assert sc.handover.compounds == 31 and sc.handover.households == 20000
    assert sc.run.start == dt.date(2019, 1, 7) and sc.run.steps == 52
    assert 6 <= sc.staff.per_community <= 8


@pytest.mark.parametrize(("doc", "path"), [
    (minimal_doc(points={"rate": "ten"}), "points.rate"),
    (minimal_doc(points={"rates": 5}), "points.rates"),
    (minimal_doc(points={"rate": -1}), "points.rate"),
    (minimal_doc(staff={"per_community": 7.5}), "staff.per_community"),
    (minimal_doc(funds={"office_cny_per_year": "74000.001"}), "funds.office_cny_per_year"),
    (minimal_doc(funds={"channels": [{"name": "x", "cny_per_year": 5, "use": "party"}]}),
     "funds.channels[0].use"),
    (minimal_doc(funds={"channels": [{"cny_per_year": 5}]}), "funds.channels[0].name"),
    (minimal_doc(handover={"date": "2017-06-01"}), "handover.date"),
    (minimal_doc(behaviour={"cases": {"rates_per_household_year": {"parking": 1.0}}}),
     "behaviour.cases.rates_per_household_year.parking"),
    (minimal_doc(behaviour={"volunteering": {"quit_per_year": True}}),
     "behaviour.volunteering.quit_per_year"),
    (minimal_doc(city={"generator": "shanghai"}), "city.generator"),
    (minimal_doc(city={"scale": 20.0}), "city.scale"),
    ({"run": {"name": "t"}}, "run.start"),
    ({"runs": {}}, "runs"),
])
def test_rejects_bad_values_naming_the_key(doc: dict[str, object], path: str) -> None:
    """Rejects unknown keys, wrong types, out-of-range values with the key in the error."""
    with pytest.raises(ValidationError) as info:
        Scenario.from_dict(doc, source="test.toml")
    assert info.value.path == path
    assert path in str(info.value)


def test_rejects_invalid_toml(tmp_path: Path) -> None:
    """Rejects a file that is not TOML, naming the file."""
    f = tmp_path / "bad.toml"
    f.write_text("[run\nname = 1", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"bad\.toml"):
        load_scenario(f)


def test_unknown_name_lists_the_bundled_scenarios() -> None:
    """Refuses an unknown scenario name and lists the bundled ones."""
    with pytest.raises(ValidationError, match="yima-2019"):
        load_scenario("atlantis-2030")


def test_overrides_are_validated_again(baseline: Scenario) -> None:
    """Applies dotted overrides and validates them like the file."""
    sc = baseline.with_overrides({"points.rate": 20, "staff.per_community": 12})
    assert sc.points.rate == 20 and sc.staff.per_community == 12
    assert baseline.points.rate == 10
    assert sc.digest() != baseline.digest()
    with pytest.raises(ValidationError) as info:
        baseline.with_overrides({"points.rate": "x"})
    assert info.value.path == "points.rate"


def test_parse_override() -> None:
    """Reads KEY=V1,V2 with TOML values."""
    assert parse_override("points.rate=5,10,20") == ("points.rate", [5, 10, 20])
    assert parse_override("supermarket.enabled=true,false") == (
        "supermarket.enabled", [True, False])
    assert parse_override("funds.care_visit_cny=100.5") == ("funds.care_visit_cny", [100.5])
    with pytest.raises(ValidationError):
        parse_override("points.rate")


def test_parse_setting_keeps_commas() -> None:
    """Reads one TOML value for --set, inline tables and arrays included."""
    key, value = parse_setting(
        'funds.channels=[{name = "企业捐赠", cny_per_year = 5000, use = "activities"}]')
    assert key == "funds.channels"
    sc = load_scenario("yima-2019").with_overrides({key: value})
    assert sc.funds.channels[0].name == "企业捐赠"
    assert parse_setting("run.name=trial") == ("run.name", "trial")
