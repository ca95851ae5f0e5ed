"""A second place for the rule tests: a small corner of 湖滨区 (county 411202, Sanmenxia).

Every rule test runs for a county other than Yima (411281) as well; this builds one community
with two grids, two buildings, two households of two residents each, and its secretary.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from community_governance.domain.access import Actor
from community_governance.domain.idnumber import compose_id_number
from community_governance.domain.people import Household, Relation
from community_governance.domain.posts import HolderKind, Post, PostKind, StaffMember
from community_governance.domain.units import Building, Unit, UnitKind

COUNTY = "411202"
COMMUNITY = "411202001001"
GRIDS = (f"{COMMUNITY}-W01", f"{COMMUNITY}-W02")
BUILDINGS = (f"{COMMUNITY}-B0001", f"{COMMUNITY}-B0002")
HOUSEHOLDS = (f"{BUILDINGS[0]}-101", f"{BUILDINGS[1]}-101")


@attrs.frozen
class Place:
    """What :func:`build_hubin` built."""

    county: str
    community: str
    grids: tuple[str, ...]
    buildings: tuple[str, ...]
    households: tuple[str, ...]
    residents: tuple[str, ...]  # H1: R-HB1, R-HB2; H2: R-HB3, R-HB4
    secretary: Actor


def build_hubin(gov: Any) -> Place:
    """Build the 湖滨区 corner on ``gov``; returns its codes and its secretary."""
    from community_governance.services.registry import NewResident

    reg = gov.registry
    system = Actor.system("hubin")
    reg.add_units(system, [
        Unit(COUNTY, UnitKind.COUNTY, "湖滨区"),
        Unit(COMMUNITY[:9], UnitKind.SUBDISTRICT, "湖滨街道", COUNTY),
        Unit(COMMUNITY, UnitKind.COMMUNITY, "湖滨社区", COMMUNITY[:9]),
        *(Unit(g, UnitKind.GRID, f"第{i + 1}网格", COMMUNITY) for i, g in enumerate(GRIDS)),
    ])
    reg.add_buildings(system, [Building(b, f"{i + 1}号楼", COMMUNITY, None, GRIDS[i],
                                        households_planned=2)
                               for i, b in enumerate(BUILDINGS)])
    reg.add_households(system, [Household(h, b, "101") for h, b in zip(HOUSEHOLDS, BUILDINGS,
                                                                        strict=True)])
    residents = []
    news = []
    for i in range(4):
        rid = f"R-HB{i + 1}"
        residents.append(rid)
        news.append(NewResident(
            name=f"湖滨居民{i + 1}", id_number=compose_id_number(COUNTY, dt.date(1980 + i, 3, 1),
                                                               100 + i),
            household_id=HOUSEHOLDS[i // 2], relation=Relation.HEAD if i % 2 == 0
            else Relation.SPOUSE, id=rid, moved_in=dt.date(2018, 1, 1)))
    reg.register_residents(system, news)
    reg.add_staff(system, [StaffMember("SEC-HB", "湖滨书记", permanent=True)])
    reg.assign_posts(system, [Post("P-SEC-HB", PostKind.SECRETARY, COMMUNITY, HolderKind.STAFF,
                                   "SEC-HB", dt.date(2019, 1, 1))])
    return Place(COUNTY, COMMUNITY, GRIDS, BUILDINGS, HOUSEHOLDS, tuple(residents),
                 Actor.staff("SEC-HB"))
