"""Fixtures of the market tests: the kit's small city, in Yima (national rules) and in 湖滨区
(with the Hubin plugin), on a clock in 2019 (:mod:`tests.citykit`), and its companies."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from community_governance.domain.market import MarketActor
from community_governance.domain.posts import PartnerKind, PartnerUnit
from community_governance.testing.city import SmallCity
from tests.citykit import NOW, SYSTEM, Clock, city, clock, county, gov, plugins_for

__all__ = ["DAY", "NOW", "SYSTEM", "Clock", "city", "clock", "companies", "compound_of",
           "county", "gov", "plugins_for"]

DAY = dt.date(2019, 12, 10)


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
