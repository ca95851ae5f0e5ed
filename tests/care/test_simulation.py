"""The simulation's festival visits follow the care service's rules: the care categories of
each community (``cgov_care_categories``, told the community) and the rounds' days."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import numpy as np
import pytest

from community_governance.domain.care import (
    FESTIVAL_ROUNDS,
    CareCategory,
    festival_round_day,
)
from community_governance.markers import hookimpl
from community_governance.simulation.city import generate_yima
from community_governance.simulation.engine import SimCity, Simulation
from community_governance.simulation.scenario import Scenario, load_scenario


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SimCity, list[set[str]]]]:
    """A 2 % Yima city (cached in the test's directory) and, per household, its residents'
    flags (read from the generated residents, not from the engine's arrays)."""
    old = os.environ.get("CGOV_CACHE_DIR")
    os.environ["CGOV_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    try:
        full = generate_yima(5, scale=0.02)
        index = {h.id: i for i, h in enumerate(full.households)}
        flags: list[set[str]] = [set() for _ in full.households]
        for r in full.residents:
            flags[index[r.household_id]].update(v.value for v in r.vulnerabilities)
        yield SimCity.from_city(full), flags
    finally:
        if old is None:
            os.environ.pop("CGOV_CACHE_DIR", None)
        else:
            os.environ["CGOV_CACHE_DIR"] = old


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario("yima-2019").with_overrides({"city.scale": 0.02, "run.steps": 30})


class ElderlyOnly:
    """A county that visits only its elders and those in extreme difficulty at the festivals:
    低保, 残疾 and 留守 are the civil-affairs office's (the categories keep no flag)."""

    def __init__(self, county: str) -> None:
        self.county = county

    @hookimpl
    def cgov_care_categories(self, community_code: str) -> list[CareCategory] | None:
        if not community_code.startswith(self.county):
            return None
        return [CareCategory(code, name, name, 2) for code, name in (
            ("low_income", "低保户"), ("disability", "残疾人"), ("left_behind_child", "留守儿童"))]


@pytest.mark.parametrize("county", ["411281", "411202"])
def test_a_plugin_changing_the_categories_changes_the_visited_households(
        city: tuple[SimCity, list[set[str]]], scenario: Scenario, county: str) -> None:
    """With the national categories every flagged household is visited; a Yima plugin that
    takes the flags off 低保, 残疾 and 留守 leaves exactly the households of elders living
    alone and of residents in extreme difficulty; the same plugin for 湖滨区 changes nothing in
    Yima (the hook is told the community)."""
    sim_city, flags = city
    national = Simulation(scenario, city=sim_city)
    plugged = Simulation(scenario, city=sim_city, plugins=[ElderlyOnly(county)])
    every = np.array([bool(f) for f in flags])
    elders = np.array([bool(f & {"elderly_alone", "extreme_difficulty"}) for f in flags])
    assert every.tolist() == national.visited_h.tolist()
    want = elders if county == "411281" else every
    assert want.tolist() == plugged.visited_h.tolist()
    assert int(want.sum()) == int(plugged.vulnerable_c.sum())
    if county == "411281":
        assert int(plugged.vulnerable_c.sum()) < int(national.vulnerable_c.sum())


def test_the_visits_fall_in_the_steps_of_the_services_round_days(
        city: tuple[SimCity, list[set[str]]], scenario: Scenario) -> None:
    """The round before the Spring Festival is due on 除夕 (4 February 2019), the others on
    端午 and 中秋: the simulation visits in exactly the steps holding those days."""
    sim = Simulation(scenario, city=city[0])
    days = [festival_round_day(k, 2019) for k in FESTIVAL_ROUNDS]
    assert dt.date(2019, 2, 4) in days
    want = [any(sim.step_starts[t] <= d < sim.step_starts[t + 1] for d in days)
            for t in range(len(sim.step_starts) - 1)]
    assert want == sim.visit_step.tolist()
    assert 2 == sum(want)  # 30 weeks from 7 January 2019: 除夕 and 端午, not 中秋


def test_a_festival_round_day_outside_the_rounds_is_refused() -> None:
    from community_governance.errors import ValidationError

    with pytest.raises(ValidationError, match="not a festival round"):
        festival_round_day("lantern", 2019)
