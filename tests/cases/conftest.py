"""Fixtures of the case tests: a small city on a store whose clock the test sets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pendulum
import pytest

import community_governance
from community_governance.testing.city import SmallCity, build_small_city


class Clock:
    """A settable clock (county time in, UTC out)."""

    def __init__(self) -> None:
        self.now = pendulum.datetime(2026, 9, 25, 9, 0, tz="Asia/Shanghai")

    def __call__(self) -> pendulum.DateTime:
        return self.now

    def set(self, *args: int) -> None:
        self.now = pendulum.datetime(*args, tz="Asia/Shanghai")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cgov(clock: Clock) -> Iterator[Any]:
    """A memory store at 2026-09-25 09:00 county time, with the clock in ``clock``."""
    with community_governance.open("memory://", entrypoints=False, clock=clock) as g:
        yield g


@pytest.fixture
def city(cgov: Any) -> SmallCity:
    return build_small_city(cgov)
