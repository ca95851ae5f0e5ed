"""Fixtures of the market tests: the kit's small city, in Yima (national rules) and in 湖滨区
(with the Hubin plugin), on a clock in 2019."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pendulum
import pytest

import community_governance as cg
from community_governance.domain.market import MarketActor
from community_governance.domain.posts import PartnerKind, PartnerUnit
from community_governance.testing.city import SmallCity, build_small_city

SYSTEM = cg.Actor.system("test")
NOW = pendulum.datetime(2019, 12, 10, 2, 0, tz="UTC")  # 10:00 in Asia/Shanghai
DAY = dt.date(2019, 12, 10)


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


@pytest.fixture(params=["411281", "411202"])
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


def compound_of(city: SmallCity, i: int = 0) -> str:
    """The compound (小区) of the ``i``-th community of the small city."""
    return f"{city.communities[i]}-Q01"


@pytest.fixture
def companies(gov: Any, city: SmallCity) -> SmallCity:
    """A property company (with its partner-unit record attached to the first community) and
    a domestic-service company, registered in the city's county."""
    c0 = city.communities[0]
    gov.registry.add_partner_units(SYSTEM, [PartnerUnit(
        f"PU-WY-{city.county}", "宏达物业公司", PartnerKind.PROPERTY_COMPANY, (c0,))])
    gov.market.register_actors(SYSTEM, [
        MarketActor(f"M-WY-{city.county}", city.county, "宏达物业服务有限公司",
                    ["property_management", "repair"], partner_id=f"PU-WY-{city.county}"),
        MarketActor(f"M-JZ-{city.county}", city.county, "康乐家政服务中心",
                    ["domestic", "elderly_care"]),
    ])
    return city
