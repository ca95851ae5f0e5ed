"""Multi-county cities: a prefecture for the engine, each county's rules, its benchmark."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import attrs
import numpy as np
import pytest

from community_governance.simulation.cities import join_cities, prefecture_city
from community_governance.simulation.engine import SimCity, Simulation
from community_governance.simulation.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]


def test_join_cities_shifts_every_index(tiny: SimCity) -> None:
    """Joins two cities: indices shifted, codes and counts kept."""
    other = attrs.evolve(tiny, community_codes=("411202001001", "411202001002"),
                         compound_codes=tuple(c.replace("411281", "411202")
                                              for c in tiny.compound_codes))
    both = join_cities([tiny, other])
    assert both.n_residents == 2 * tiny.n_residents
    assert both.n_households == 2 * tiny.n_households
    assert both.household_community.max() == 3
    assert both.resident_household[tiny.n_residents] == tiny.n_households
    assert both.compound_codes[both.household_compound[-1]].startswith("411202")
    with pytest.raises(ValueError, match="different scales"):
        join_cities([tiny, attrs.evolve(other, scale=0.5)])


@pytest.fixture(scope="module")
def small_prefecture() -> SimCity:
    return prefecture_city(2019, scale=0.003)


def test_a_prefecture_runs_with_each_countys_rules(small_prefecture: SimCity,
                                                    baseline: Scenario) -> None:
    """Runs six counties in one city, asking 湖滨区's plugin for 湖滨区's deadlines and
    义马's for 义马's: communities whose counties' deadlines differ queue apart."""
    from cgov_hubin import plugin as hubin
    from cgov_yima import plugin as yima

    city = small_prefecture
    counties = sorted({c[:6] for c in city.community_codes})
    assert counties == ["411202", "411203", "411221", "411224", "411281", "411282"]
    sc = baseline.with_overrides({"city.generator": "prefecture", "city.scale": 0.003,
                                  "run.steps": 6})
    plain = Simulation(sc, seed=1, city=city)
    assert len(plain.due_groups) == 1  # the national deadlines everywhere
    sim = Simulation(sc, seed=1, city=city, plugins=[hubin, yima]).run()
    d = sim.deadlines_by_county
    assert d["411202"] != d["411203"]
    assert d["411203"]["repair"] == plain.deadlines_by_county["411203"]["repair"]
    assert len(sim.due_groups) >= 2
    members = np.concatenate([m for m, _due in sim.due_groups])
    assert sorted(members.tolist()) == list(range(len(city.community_codes)))
    s = sim.summary()
    assert s["cases_closed"] > 0 and 0 < s["participation_rate_mean"] < 1
    assert s["communities"] == len(city.community_codes)


def test_the_prefecture_benchmark_runs_reduced() -> None:
    """The prefecture benchmark at one community a county and 4 weeks (CI's reduced run)."""
    spec = importlib.util.spec_from_file_location(
        "bench_prefecture_sim", ROOT / "benchmarks" / "bench_prefecture_sim.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    out = mod.main(["--scale", "0.003", "--steps", "4"])
    assert out["counties"] == 6 and out["steps"] == 4
    assert out["residents"] > 10_000 and out["year_seconds"] > 0
    assert out["resident_steps_per_second"] > 0
