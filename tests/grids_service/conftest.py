"""Fixtures of the grids service tests: a small policy, bare communities, synthetic cities."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

import community_governance
from community_governance.domain.access import Actor
from community_governance.domain.people import Household
from community_governance.domain.posts import HolderKind, Post, PostKind, StaffMember
from community_governance.domain.units import Building, Unit, UnitKind
from community_governance.grids import BuildingNode, GridPolicy
from community_governance.markers import hookimpl

SYSTEM = Actor.system("grids-test")
COUNTY = "411281"
SUB = "411281001"
COMM = "411281001001"
OTHER = "411281001002"


class SmallPolicy:
    """A county plugin: grids of 6 households (band 4-8), for the small city."""

    @hookimpl
    def cgov_grid_policy(self, community_code: str, households: int) -> GridPolicy:
        return GridPolicy(target=6, low=4, high=8)


@pytest.fixture
def small_gov() -> Iterator[Any]:
    """A memory store whose county plugin asks for grids of 6 households."""
    with community_governance.open("memory://", plugins=[SmallPolicy()],
                                   entrypoints=False) as g:
        yield g


def load_nodes(gov: Any, nodes: Sequence[BuildingNode], *, county: str = COUNTY) -> None:
    """Write synthetic buildings (and their county, sub-districts, communities, compounds)."""
    units = [Unit(county, UnitKind.COUNTY, "测试县")]
    subs = sorted({n.community[:9] for n in nodes})
    units += [Unit(s, UnitKind.SUBDISTRICT, f"办事处{s[-3:]}", county) for s in subs]
    comms = sorted({n.community for n in nodes})
    units += [Unit(c, UnitKind.COMMUNITY, f"社区{c[-3:]}", c[:9]) for c in comms]
    compounds = sorted({(n.compound, n.community) for n in nodes if n.compound})
    units += [Unit(q, UnitKind.COMPOUND, f"小区{q[-3:]}", c) for q, c in compounds]
    gov.registry.add_units(SYSTEM, units)
    gov.registry.add_buildings(SYSTEM, [
        Building(n.code, f"{n.code[-5:]}楼", n.community, n.compound, None, n.x, n.y,
                 n.households) for n in nodes])


def bare_community(gov: Any, *, buildings: int = 8, households: int = 3,
                   with_households: bool = False) -> list[str]:
    """Two communities; the first has ``buildings`` buildings in a row 20 m apart, no grids.

    With ``with_households`` each building gets registered households (one is added to the
    first building so that registered counts differ from the planned ones).
    """
    nodes = [BuildingNode(f"{COMM}-B{i:04d}", COMM, households, x=20.0 * i, y=0.0)
             for i in range(1, buildings + 1)]
    nodes.append(BuildingNode(f"{OTHER}-B0001", OTHER, households, x=5000.0, y=0.0))
    load_nodes(gov, nodes)
    if with_households:
        hh = [Household(f"{n.code}-{d}", n.code, str(d)) for n in nodes
              for d in range(101, 101 + households)]
        hh.append(Household(f"{nodes[0].code}-999", nodes[0].code, "999"))
        gov.registry.add_households(SYSTEM, hh)
    return [n.code for n in nodes if n.community == COMM]


def office(gov: Any, community: str, kind: PostKind, sid: str) -> Actor:
    """A staff member holding ``kind`` at ``community`` since 2019."""
    import datetime as dt

    gov.registry.add_staff(SYSTEM, [StaffMember(sid, f"员工{sid}", permanent=True)])
    gov.registry.assign_posts(SYSTEM, [Post(f"P-{sid}", kind, community, HolderKind.STAFF, sid,
                                            dt.date(2019, 1, 1))])
    return Actor.staff(sid)
