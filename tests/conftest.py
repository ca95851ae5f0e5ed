"""Shared test configuration; the fixtures come from the test kit (community_governance.testing)."""

from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import HealthCheck, settings

#: No test writes into the user's own data directory (calendar years installed by
#: ``cgov calendar add-year`` land in ``$CGOV_DATA_DIR``): every test process, and every
#: subprocess it starts, gets a throwaway one unless a test sets its own.
os.environ["CGOV_DATA_DIR"] = tempfile.mkdtemp(prefix="cgov-test-data-")

settings.register_profile(
    "default", deadline=None, max_examples=50,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "ci", deadline=None, max_examples=100,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# `make mutation` (mutmut runs each test again in one process, from other instances of a test
# class): fewer examples, and the same test called from several executors is expected there
settings.register_profile(
    "mutation", deadline=None, max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.differing_executors],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def cli_as_system(monkeypatch: pytest.MonkeyPatch) -> None:
    """``cgov`` commands of the test act as the system job, named explicitly (CGOV_ACTOR):
    the command line has no default actor (issue 13, item 8)."""
    monkeypatch.setenv("CGOV_ACTOR", "system")
