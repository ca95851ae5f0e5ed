"""Shared test configuration; the fixtures come from the test kit (community_governance.testing)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", deadline=None, max_examples=50,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "ci", deadline=None, max_examples=100,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def cli_as_system(monkeypatch: pytest.MonkeyPatch) -> None:
    """``cgov`` commands of the test act as the system job, named explicitly (CGOV_ACTOR):
    the command line has no default actor (issue 13, item 8)."""
    monkeypatch.setenv("CGOV_ACTOR", "system")
