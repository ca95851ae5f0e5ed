"""Fixtures of the Yima plugin's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import community_governance as cg
from cgov_yima import plugin
from community_governance.testing import build_small_city


@pytest.fixture
def small_city_yima() -> Iterator[object]:
    """The test kit's small city (in 411281) opened with the Yima plugin."""
    with cg.open("memory://", plugins=[plugin], entrypoints=False) as gov:
        yield gov, build_small_city(gov)
