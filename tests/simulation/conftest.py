"""Fixtures of the simulation tests."""

from __future__ import annotations

import pytest

from community_governance.simulation.engine import SimCity
from community_governance.simulation.scenario import Scenario, load_scenario

from .sim_helpers import tiny_city


@pytest.fixture
def tiny() -> SimCity:
    """The tiny city."""
    return tiny_city()


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    """The bundled yima-2019 scenario."""
    return load_scenario("yima-2019")


@pytest.fixture(scope="session")
def small(baseline: Scenario) -> Scenario:
    """The baseline on a 2 % sample of the city, 20 weeks."""
    return baseline.with_overrides({"city.scale": 0.02, "run.steps": 20})
