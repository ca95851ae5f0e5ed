"""A small, fully staffed city for tests: 2 sub-districts, 3 communities, 6 grids.

It is built in any county: ``build_small_city(gov, county="411202")``. Layout (by default in
county 411281 义马市; in another county the same codes under its code, with generic names):

- 411281001 千秋路办事处: communities 411281001001 (连银社区) and 411281001002 (银杏社区)
- 411281002 泰山路办事处: community 411281002001 (常苑社区)

Each community has 2 grids (W01, W02), one compound (Q01) and 4 buildings (B0001-B0004; B0001
and B0002 in grid W01, B0003 and B0004 in W02), each building 3 households of 2 residents. Each
community has a secretary, a director and a temporary staff member; each grid a grid leader
(a resident); each building a building leader (a resident); each community an assigned cadre.
One resident per community is elderly living alone (孤寡老人). The sub-districts have staff and
the county an administrator.
"""

from __future__ import annotations

import datetime as dt

import attrs

from community_governance.domain.access import Actor
from community_governance.domain.idnumber import compose_id_number
from community_governance.domain.people import Household, Relation, Vulnerability
from community_governance.domain.posts import HolderKind, Post, PostKind, StaffMember
from community_governance.domain.units import (
    Building,
    Unit,
    UnitKind,
    building_code,
    compound_code,
    grid_code,
)

__all__ = ["SmallCity", "build_small_city", "small_city_layout"]

COUNTY = "411281"
SUBDISTRICTS = {"411281001": "千秋路办事处", "411281002": "泰山路办事处"}
COMMUNITIES = {"411281001001": "连银社区", "411281001002": "银杏社区", "411281002001": "常苑社区"}
POSTS_FROM = dt.date(2019, 1, 1)
#: County names the kit knows (others are called 测试县).
COUNTY_NAMES = {"411281": "义马市", "411202": "湖滨区", "411221": "渑池县", "411222": "陕州区",
                "411224": "卢氏县", "411282": "灵宝市"}


def small_city_layout(county: str = COUNTY) -> tuple[str, dict[str, str], dict[str, str]]:
    """The county's name, sub-districts and communities (code → name) of the small city.

    Raises:
        ValueError: ``county`` is not a 6-digit county code.
    """
    if len(county) != 6 or not county.isdigit():
        raise ValueError(f"the small city needs a 6-digit county code, got {county!r}")
    if county == COUNTY:
        return COUNTY_NAMES[COUNTY], dict(SUBDISTRICTS), dict(COMMUNITIES)
    subs = {f"{county}001": "第一街道", f"{county}002": "第二街道"}
    comms = {f"{county}001001": "东风社区", f"{county}001002": "和平社区",
             f"{county}002001": "光明社区"}
    return COUNTY_NAMES.get(county, "测试县"), subs, comms


@attrs.frozen
class SmallCity:
    """What :func:`build_small_city` built: codes and the actors who hold each post.

    Attributes:
        county: the county code.
        subdistricts: sub-district codes.
        communities: community codes.
        grids: grid codes, by community.
        buildings: building codes, by community.
        households: household keys, by building.
        residents: resident keys, by household.
        id_numbers: each resident's full ID number, by resident key.
        secretary: the secretary's actor, by community.
        director: the director's actor, by community.
        staff: the staff member's actor, by community.
        grid_leader: the grid leader's actor, by grid.
        building_leader: the building leader's actor, by building.
        cadre: the assigned cadre's actor, by community.
        subdistrict_staff: the sub-district staff's actor, by sub-district.
        county_admin: the county administrator's actor.
        elderly: the resident key of the elderly resident living alone, by community.
    """

    county: str
    subdistricts: tuple[str, ...]
    communities: tuple[str, ...]
    grids: dict[str, tuple[str, ...]]
    buildings: dict[str, tuple[str, ...]]
    households: dict[str, tuple[str, ...]]
    residents: dict[str, tuple[str, ...]]
    id_numbers: dict[str, str]
    secretary: dict[str, Actor]
    director: dict[str, Actor]
    staff: dict[str, Actor]
    grid_leader: dict[str, Actor]
    building_leader: dict[str, Actor]
    cadre: dict[str, Actor]
    subdistrict_staff: dict[str, Actor]
    county_admin: Actor

    elderly: dict[str, str]

    def all_residents(self) -> list[str]:
        """Every resident key."""
        return [r for rs in self.residents.values() for r in rs]

    def community_of_resident(self, resident_id: str) -> str:
        """The community a resident lives in."""
        for hh, rs in self.residents.items():
            if resident_id in rs:
                return hh[:12]
        raise KeyError(resident_id)

    def grid_of_building(self, building: str) -> str:
        """The grid of a building of the small city."""
        return _grid_of(building[:12], int(building[-4:]))


def _grid_of(community: str, n: int) -> str:
    """The grid of building number ``n`` of ``community``: B0001-B0002 in W01, the rest W02."""
    return grid_code(community, 1 if n <= 2 else 2)


def build_small_city(gov: object, county: str = COUNTY) -> SmallCity:
    """Build the small city on ``gov`` (a :class:`~community_governance.Governance`).

    Args:
        gov: the governance store.
        county: the county to build it in (6 digits; default 411281 义马市). Small cities of
            different counties can share one store: their keys do not collide.
    """
    from community_governance.services.registry import NewResident

    county_name, subs, comms = small_city_layout(county)
    tag = "" if county == COUNTY else f"{county}-"
    reg = gov.registry  # type: ignore[attr-defined]
    system = Actor.system("small-city")
    units = [Unit(county, UnitKind.COUNTY, county_name)]
    units += [Unit(c, UnitKind.SUBDISTRICT, n, county) for c, n in subs.items()]
    units += [Unit(c, UnitKind.COMMUNITY, n, c[:9]) for c, n in comms.items()]
    grids: dict[str, tuple[str, ...]] = {}
    buildings: dict[str, tuple[str, ...]] = {}
    for c in comms:
        grids[c] = (grid_code(c, 1), grid_code(c, 2))
        units += [Unit(g, UnitKind.GRID, f"第{i + 1}网格", c) for i, g in enumerate(grids[c])]
        units.append(Unit(compound_code(c, 1), UnitKind.COMPOUND, "第一小区", c))
    reg.add_units(system, units)
    blds: list[Building] = []
    for ci, c in enumerate(comms):
        buildings[c] = tuple(building_code(c, n) for n in range(1, 5))
        for n, code in enumerate(buildings[c], start=1):
            blds.append(Building(code, f"{n}号楼", c, compound_code(c, 1), _grid_of(c, n),
                                 x=100.0 * ci + 20 * n, y=50.0 * ci, households_planned=3))
    reg.add_buildings(system, blds)
    households: dict[str, tuple[str, ...]] = {}
    hh_items = []
    for bld in blds:
        households[bld.code] = tuple(f"{bld.code}-{d}" for d in ("101", "201", "301"))
        hh_items += [Household(h, bld.code, h.rsplit("-", 1)[1]) for h in households[bld.code]]
    reg.add_households(system, hh_items)
    residents: dict[str, tuple[str, ...]] = {}
    id_numbers: dict[str, str] = {}
    elderly: dict[str, str] = {}
    news = []
    seq = 0
    for bld in blds:
        for h in households[bld.code]:
            ids = []
            for k in range(2):
                seq += 1
                rid = f"R{tag}{seq:04d}"
                born = dt.date(1950 + seq % 50, 1 + seq % 12, 1 + seq % 28)
                number = compose_id_number(county, born, (seq * 2 + k) % 1000)
                vul: tuple[Vulnerability, ...] = ()
                if bld.code.endswith("B0004") and h.endswith("301") and k == 0:
                    vul = (Vulnerability.ELDERLY_ALONE,)
                    elderly[bld.community_code] = rid
                news.append(NewResident(
                    name=f"居民{seq}", id_number=number, household_id=h,
                    relation=Relation.HEAD if k == 0 else Relation.SPOUSE,
                    phone=f"139{seq:08d}", vulnerabilities=vul, id=rid,
                    moved_in=dt.date(2018, 1, 1)))
                ids.append(rid)
                id_numbers[rid] = number
            residents[h] = tuple(ids)
    reg.register_residents(system, news)
    staff_members: list[StaffMember] = []
    posts: list[Post] = []
    secretary: dict[str, Actor] = {}
    director: dict[str, Actor] = {}
    staff: dict[str, Actor] = {}
    cadre: dict[str, Actor] = {}
    for c in comms:
        for role, kind, store, perm in (("SEC", PostKind.SECRETARY, secretary, True),
                                        ("DIR", PostKind.DIRECTOR, director, True),
                                        ("STF", PostKind.STAFF, staff, False),
                                        ("CAD", PostKind.ASSIGNED_CADRE, cadre, True)):
            sid = f"{role}-{c}"
            staff_members.append(StaffMember(sid, f"{role}{c[-3:]}", permanent=perm))
            posts.append(Post(f"P-{sid}", kind, c, HolderKind.STAFF, sid, POSTS_FROM))
            store[c] = Actor.staff(sid)
    sub_staff = {}
    for s in subs:
        sid = f"SUB-{s}"
        staff_members.append(StaffMember(sid, f"办事处{s[-3:]}", permanent=True))
        posts.append(Post(f"P-{sid}", PostKind.SUBDISTRICT_STAFF, s, HolderKind.STAFF, sid,
                          POSTS_FROM))
        sub_staff[s] = Actor.staff(sid)
    admin = f"ADMIN{'-' + county if tag else ''}"
    staff_members.append(StaffMember(admin, "县管理员", permanent=True))
    posts.append(Post(f"P-{admin}", PostKind.COUNTY_ADMIN, county, HolderKind.STAFF, admin,
                      POSTS_FROM))
    grid_leader, building_leader = {}, {}
    for c in comms:
        for g in grids[c]:
            b = buildings[c][0 if g.endswith("W01") else 2]
            rid = residents[households[b][1]][0]
            posts.append(Post(f"P-GL-{g}", PostKind.GRID_LEADER, g, HolderKind.RESIDENT, rid,
                              POSTS_FROM))
            grid_leader[g] = Actor.staff(rid)
        for b in buildings[c]:
            rid = residents[households[b][2]][1]
            posts.append(Post(f"P-BL-{b}", PostKind.BUILDING_LEADER, b, HolderKind.RESIDENT,
                              rid, POSTS_FROM))
            building_leader[b] = Actor.staff(rid)
    reg.add_staff(system, staff_members)
    reg.assign_posts(system, posts)
    return SmallCity(
        county=county, subdistricts=tuple(subs), communities=tuple(comms),
        grids=grids, buildings=buildings, households=households, residents=residents,
        id_numbers=id_numbers, secretary=secretary, director=director, staff=staff,
        grid_leader=grid_leader, building_leader=building_leader, cadre=cadre,
        subdistrict_staff=sub_staff, county_admin=Actor.staff(admin), elderly=elderly,
    )
