"""Fixtures of the care tests: a small city (in Yima and in Hubin) on a store whose clock the
test sets, with its elders in care."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pendulum
import pytest

import community_governance
from community_governance.domain.access import Actor
from community_governance.services.care import NewCareNeed
from community_governance.testing.city import SmallCity, build_small_city

SYSTEM = Actor.system("care-test")
DAY = dt.date(2019, 1, 2)


class Clock:
    """A settable clock (county time in, UTC out)."""

    def __init__(self) -> None:
        self.now = pendulum.datetime(2019, 1, 2, 9, 0, tz="Asia/Shanghai")

    def __call__(self) -> pendulum.DateTime:
        return self.now

    def set(self, *args: int) -> None:
        self.now = pendulum.datetime(*args, tz="Asia/Shanghai")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["411281", "411202"])
def county(request: pytest.FixtureRequest) -> str:
    """Every rule test runs for Yima and for Hubin."""
    return str(request.param)


@pytest.fixture
def cgov(clock: Clock) -> Iterator[Any]:
    with community_governance.open("memory://", entrypoints=False, clock=clock) as g:
        yield g


@pytest.fixture
def city(cgov: Any, county: str) -> SmallCity:
    return build_small_city(cgov, county)


@pytest.fixture
def community(city: SmallCity) -> str:
    return city.communities[0]


@pytest.fixture
def elder(city: SmallCity, community: str) -> str:
    """The community's elder living alone, in care as 独居老人 with the community's cadre."""
    return city.elderly[community]


@pytest.fixture
def in_care(cgov: Any, city: SmallCity, community: str, elder: str) -> str:
    cgov.care.register_needs(SYSTEM, [NewCareNeed(elder, "elderly_alone", DAY,
                                                  evidence="独居登记表2018-17")])
    cgov.care.assign(SYSTEM, [(elder, f"P-CAD-{community}")], on=DAY)
    return elder
