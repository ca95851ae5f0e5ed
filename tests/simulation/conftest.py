"""Fixtures of the simulation tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from community_governance.simulation.engine import SimCity
from community_governance.simulation.scenario import Scenario, load_scenario

from .sim_helpers import tiny_city


@pytest.fixture(autouse=True, scope="session")
def _city_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Generated cities are cached in a directory of the session, not the user's cache."""
    old = os.environ.get("CGOV_CACHE_DIR")
    os.environ["CGOV_CACHE_DIR"] = str(tmp_path_factory.mktemp("cgov-cache"))
    yield
    if old is None:
        os.environ.pop("CGOV_CACHE_DIR", None)
    else:
        os.environ["CGOV_CACHE_DIR"] = old


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
