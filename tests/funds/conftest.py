"""Fixtures of the funds tests: a small city whose first community has received its office funds."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from community_governance.domain.access import Actor
from community_governance.domain.funds import credit, debit
from community_governance.testing.city import SmallCity

SYSTEM = Actor.system("funds-test")
DAY = dt.date(2019, 3, 1)


@pytest.fixture
def community(small_city: SmallCity) -> str:
    """The first community of the small city (连银社区)."""
    return small_city.communities[0]


@pytest.fixture
def funded(gov: Any, small_city: SmallCity, community: str) -> str:
    """The first community with 74,000 CNY of office funds in the bank on 2019-01-08."""
    gov.funds.post(SYSTEM, community, [debit("1002", "74000"), credit("4101", "74000")],
                   channel="city_allocation", voucher="BK-2019-01", on=dt.date(2019, 1, 8),
                   counterparty="义马市财政局")
    return community
