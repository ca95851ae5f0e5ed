"""Fixtures of the party-building tests: the kit's small city, in Yima (national rules) and in
湖滨区 (with the Hubin plugin: building electorate, eight ballots), on a clock in 2019
(:mod:`tests.citykit`), and its party tree."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from community_governance.domain.posts import PartyOrg, PartyOrgKind
from community_governance.testing.city import SmallCity
from tests.citykit import NOW, SYSTEM, Clock, city, clock, county, gov, plugins_for

__all__ = ["NOW", "SINCE", "SYSTEM", "Clock", "city", "clock", "county", "gov", "party",
           "plugins_for", "tree_of"]

SINCE = dt.date(2019, 1, 1)


def tree_of(city: SmallCity, c: str) -> list[PartyOrg]:
    """A community's tree: its general committee, a branch per grid, a group in B0001."""
    gc = f"PO-{c}"
    out = [PartyOrg(gc, PartyOrgKind.GENERAL_COMMITTEE, c, "社区大党委")]
    for i, g in enumerate(city.grids[c]):
        out.append(PartyOrg(f"PB-{g}", PartyOrgKind.GRID_BRANCH, g, f"第{i + 1}网格党支部",
                            parent_id=gc))
    b = city.buildings[c][0]
    out.append(PartyOrg(f"PG-{b}", PartyOrgKind.BUILDING_GROUP, b, "1号楼党小组",
                        parent_id=f"PB-{city.grid_of_building(b)}"))
    return out


@pytest.fixture
def party(gov: Any, city: SmallCity) -> SmallCity:
    """The small city with the first community's tree and every resident of its building
    B0001 and B0003 enrolled (B0001 in the building group, B0003 in the second grid's
    branch)."""
    c = city.communities[0]
    gov.registry.add_party_orgs(SYSTEM, tree_of(city, c))
    b1, _, b3, _ = city.buildings[c]
    gov.registry.add_party_members(
        SYSTEM, f"PG-{b1}", [r for h in city.households[b1] for r in city.residents[h]],
        since=SINCE)
    gov.registry.add_party_members(
        SYSTEM, f"PB-{city.grid_of_building(b3)}",
        [city.residents[h][0] for h in city.households[b3]], since=SINCE)
    return city
