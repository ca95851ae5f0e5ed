"""Fixtures of the social-organization tests: a small city in Yima (national rules) or in
湖滨区 (the Hubin plugin's rules), on a store whose clock the test sets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import pendulum
import pytest

import community_governance
from community_governance.domain.access import Actor
from community_governance.testing.city import SmallCity, build_small_city

SYSTEM = Actor.system("test")


class Clock:
    """A settable clock (county time in, UTC out)."""

    def __init__(self) -> None:
        self.now = pendulum.datetime(2019, 3, 1, 9, 0, tz="Asia/Shanghai")

    def __call__(self) -> pendulum.DateTime:
        return self.now

    def set(self, *args: int) -> None:
        self.now = pendulum.datetime(*args, tz="Asia/Shanghai")


@attrs.frozen
class World:
    """A store with a small city, the actors the lifecycle needs, and the clock."""

    gov: Any
    city: SmallCity
    clock: Clock
    community: str
    staff: Actor  # the community's staff member (manages)
    officer: Actor  # the sub-district's staff member (decides)

    @property
    def county(self) -> str:
        return self.city.county


def plugins_for(county: str) -> list[Any]:
    """The county plugins of ``county`` (the Hubin plugin for 411202)."""
    if county == "411202":
        from cgov_hubin import plugin

        return [plugin]
    return []


@pytest.fixture(params=["411281", "411202"], ids=["yima", "hubin"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    """A memory store at 2019-03-01 09:00 county time, in Yima or in 湖滨区."""
    clock = Clock()
    county = str(request.param)
    with community_governance.open("memory://", plugins_for(county), entrypoints=False,
                                   clock=clock) as gov:
        city = build_small_city(gov, county)
        c = city.communities[0]
        yield World(gov, city, clock, c, city.staff[c], city.subdistrict_staff[c[:9]])
