"""The small city on a memory store, shared by the test folders that run every rule for Yima
(411281, national rules) and for 湖滨区 (411202, with the Hubin plugin) on a clock in 2019.

A folder's ``conftest.py`` imports the fixtures it wants (``county``, ``clock``, ``gov``,
``city``) and the names its tests use (:data:`SYSTEM`, :data:`NOW`, :class:`Clock`,
:func:`plugins_for`)::

    from tests.citykit import NOW, SYSTEM, Clock, city, clock, county, gov, plugins_for
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pendulum
import pytest

import community_governance as cg
from community_governance.testing.city import SmallCity, build_small_city

__all__ = ["COUNTIES", "NOW", "SYSTEM", "Clock", "city", "clock", "county", "gov",
           "plugins_for"]

SYSTEM = cg.Actor.system("test")
NOW = pendulum.datetime(2019, 12, 10, 2, 0, tz="UTC")  # 10:00 in Asia/Shanghai
#: Yima (national rules) and 湖滨区 (the Hubin plugin).
COUNTIES = ("411281", "411202")


class Clock:
    """A settable clock."""

    def __init__(self, now: pendulum.DateTime) -> None:
        self.now = now

    def __call__(self) -> pendulum.DateTime:
        return self.now


def plugins_for(county: str) -> list[Any]:
    """The county's plugins (Hubin's for 411202, the national defaults for Yima)."""
    if county == "411202":
        from cgov_hubin import plugin

        return [plugin]
    return []


@pytest.fixture(params=COUNTIES)
def county(request: pytest.FixtureRequest) -> str:
    """Every rule test runs for Yima and for 湖滨区."""
    return str(request.param)


@pytest.fixture
def clock() -> Clock:
    """A clock fixed at :data:`NOW`."""
    return Clock(NOW)


@pytest.fixture
def gov(county: str, clock: Clock) -> Iterator[Any]:
    """A memory store on the clock, with the county's plugins."""
    with cg.open("memory://", plugins=plugins_for(county), entrypoints=False,
                 clock=clock) as g:
        yield g


@pytest.fixture
def city(gov: Any, county: str) -> SmallCity:
    """The small city."""
    return build_small_city(gov, county)
