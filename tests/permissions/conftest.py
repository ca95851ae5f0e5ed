"""The golden policy of the permission tests, written out independently of the library.

The library's policy lives in ``domain/actions.py`` (which posts may do what) and
``domain/access.py`` (how far a post reaches). The tests do NOT call either to decide what the
answer should be: :data:`POLICY` and :func:`reaches` below restate the rules of issue #4 in
the plainest form, and the tests compare the library against them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pendulum
import pytest

import community_governance as cg
from community_governance.domain.access import Actor
from community_governance.testing.city import SmallCity, build_small_city

OFFICE = {"secretary", "director", "staff"}
LEADERS = {"secretary", "director"}
HIGHER = {"subdistrict_staff", "county_admin"}
LOCAL = {"grid_leader", "building_leader", "assigned_cadre", "party_household_centre"}

#: action -> (post kinds that may perform it within their units, a resident may on own records)
POLICY: dict[str, tuple[set[str], bool]] = {
    "resident.read": (OFFICE | HIGHER | LOCAL, True),
    "resident.read_id_number": (OFFICE | HIGHER, True),
    "resident.read_vulnerability": (OFFICE | {"assigned_cadre"}, False),
    "resident.write": (OFFICE | HIGHER | {"grid_leader"}, False),
    "resident.correct": (OFFICE | HIGHER | {"grid_leader"}, True),
    "resident.erase": (LEADERS | HIGHER, True),
    "resident.export": (OFFICE, True),
    "report.read": (OFFICE | HIGHER | LOCAL, False),
    "audit.read": (LEADERS | HIGHER, False),
    "unit.write": (LEADERS | HIGHER, False),
    "post.assign": (LEADERS | HIGHER, False),
    "party.write": ({"secretary"} | HIGHER, False),
    "partner.write": (LEADERS | HIGHER, False),
}


def grid_of(building: str) -> str:
    """The small city's grid of a building: B0001-B0002 in W01, B0003-B0004 in W02."""
    return f"{building[:12]}-W0{1 if int(building[-4:]) <= 2 else 2}"


def reaches(post_unit: str, covers: tuple[str, ...], unit: str | None, grid: str | None) -> bool:
    """Whether a post held at ``post_unit`` (plus ``covers``) reaches an object at ``unit``.

    county (6 digits), sub-district (9) and community (12) reach everything whose code starts
    with theirs; a grid reaches itself and the buildings in it; a building reaches itself.
    """
    for u in (post_unit, *covers):
        if unit is None:
            continue
        if len(u) in (6, 9, 12) and u.isdigit():
            if unit[: len(u)] == u:
                return True
        elif "-W" in u:
            if unit == u or grid == u:
                return True
        elif unit == u:
            return True
    return False


@attrs.frozen
class Who:
    """An actor of the golden table and the posts it holds today (kind, unit, covers)."""

    name: str
    actor: Actor
    posts: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    own: str | None = None  # the resident key, when acting as a resident


@attrs.frozen
class Obj:
    """A target of the golden table: a resident (with home) or a unit."""

    kind: str
    key: str
    unit: str | None
    grid: str | None
    owner: str | None


def expected(who: Who, action: str, obj: Obj) -> bool:
    """The golden answer: deny by default."""
    if who.actor.kind.value == "system":
        return True
    roles, self_service = POLICY[action]
    if who.actor.kind.value == "resident":
        return self_service and obj.owner is not None and obj.owner == who.own
    if who.actor.kind.value != "staff":
        return False
    return any(kind in roles and reaches(unit, covers, obj.unit, obj.grid)
               for kind, unit, covers in who.posts)


EXTRA_FROM = dt.date(2020, 1, 1)
TODAY = pendulum.datetime(2026, 6, 15, 2, 0, tz="UTC")  # 10:00 in Asia/Shanghai


class Clock:
    """A settable clock for ``open(..., clock=...)``."""

    def __init__(self, now: pendulum.DateTime) -> None:
        self.now = now

    def __call__(self) -> pendulum.DateTime:
        return self.now

    def advance(self, days: int) -> None:
        """Move the clock ``days`` days on."""
        self.now = self.now.add(days=days)


@pytest.fixture
def clock() -> Clock:
    """A clock fixed at :data:`TODAY`."""
    return Clock(TODAY)


@pytest.fixture
def cgov(clock: Clock) -> Iterator[Any]:
    """A memory store whose time is the ``clock`` fixture's."""
    with cg.open("memory://", entrypoints=False, clock=clock) as g:
        yield g


@pytest.fixture
def city(cgov: Any) -> SmallCity:
    """The small city, built on the clocked store."""
    return build_small_city(cgov)


def add_unnamed_actors(gov: Any, city: SmallCity) -> list[Who]:
    """Actors the issue never names: posts the small city does not staff, a courtyard, an
    ended post, a stranger. Returns them with the posts they hold today."""
    sys = Actor.system("test")
    c1, c2, c3 = city.communities
    b = city.buildings
    staff = [cg.StaffMember("CAD-GRID", "网格分包干部"), cg.StaffMember("PHC-STAFF", "中心户"),
             cg.StaffMember("EX-SUB", "前办事处"), cg.StaffMember("NOBODY", "无职务"),
             cg.StaffMember("MULTI", "兼职")]
    gov.registry.add_staff(sys, staff)
    phc_resident = city.residents[city.households[b[c2][3]][0]][1]
    posts = [
        cg.Post("X-CAD-W02", cg.PostKind.ASSIGNED_CADRE, f"{c1}-W02", cg.HolderKind.STAFF,
                "CAD-GRID", EXTRA_FROM),
        cg.Post("X-PHC-B", cg.PostKind.PARTY_HOUSEHOLD_CENTRE, b[c2][3], cg.HolderKind.RESIDENT,
                phc_resident, EXTRA_FROM),
        cg.Post("X-PHC-W", cg.PostKind.PARTY_HOUSEHOLD_CENTRE, f"{c3}-W01", cg.HolderKind.STAFF,
                "PHC-STAFF", EXTRA_FROM),
        cg.Post("X-EX-SUB", cg.PostKind.SUBDISTRICT_STAFF, city.subdistricts[1],
                cg.HolderKind.STAFF, "EX-SUB", EXTRA_FROM, TODAY.date().subtract(days=1)),
        cg.Post("X-BL-YARD", cg.PostKind.BUILDING_LEADER, b[c3][0], cg.HolderKind.STAFF,
                "MULTI", EXTRA_FROM, None, (b[c3][1],)),
        cg.Post("X-STF-2", cg.PostKind.STAFF, c2, cg.HolderKind.STAFF, "MULTI", EXTRA_FROM),
        cg.Post("X-FUTURE", cg.PostKind.COUNTY_ADMIN, city.county, cg.HolderKind.STAFF, "MULTI",
                TODAY.date().add(days=30)),
    ]
    gov.registry.assign_posts(sys, posts)
    gl = city.grid_leader[f"{c1}-W01"].id
    return [
        Who("grid-level cadre", Actor.staff("CAD-GRID"),
            (("assigned_cadre", f"{c1}-W02", ()),)),
        Who("resident party-household centre", Actor.staff(phc_resident),
            (("party_household_centre", b[c2][3], ()),)),
        Who("staff party-household centre at a grid", Actor.staff("PHC-STAFF"),
            (("party_household_centre", f"{c3}-W01", ()),)),
        Who("sub-district staff whose post ended yesterday", Actor.staff("EX-SUB")),
        Who("staff without a post", Actor.staff("NOBODY")),
        Who("unknown staff key", Actor.staff("GHOST")),
        Who("courtyard leader and community staff elsewhere", Actor.staff("MULTI"),
            (("building_leader", b[c3][0], (b[c3][1],)), ("staff", c2, ()))),
        Who("grid leader acting as a resident", Actor.resident(gl), own=gl),
        Who("party-household centre acting as a resident", Actor.resident(phc_resident),
            own=phc_resident),
    ]


def named_actors(city: SmallCity) -> list[Who]:
    """Every actor of the small city with the posts it holds."""
    out: list[Who] = []
    for c in city.communities:
        for kind, table in (("secretary", city.secretary), ("director", city.director),
                            ("staff", city.staff), ("assigned_cadre", city.cadre)):
            out.append(Who(f"{kind} {c}", table[c], ((kind, c, ()),)))
        for g in city.grids[c]:
            out.append(Who(f"grid leader {g}", city.grid_leader[g], (("grid_leader", g, ()),)))
        for b in city.buildings[c]:
            out.append(Who(f"building leader {b}", city.building_leader[b],
                           (("building_leader", b, ()),)))
    for s in city.subdistricts:
        out.append(Who(f"sub-district staff {s}", city.subdistrict_staff[s],
                       (("subdistrict_staff", s, ()),)))
    out.append(Who("county administrator", city.county_admin,
                   (("county_admin", city.county, ()),)))
    for c in city.communities:
        for b in city.buildings[c]:
            rid = city.residents[city.households[b][0]][0]
            out.append(Who(f"resident {rid}", Actor.resident(rid), own=rid))
    out.append(Who("the public", Actor.public()))
    out.append(Who("a system job", Actor.system("nightly")))
    return out


def resident_targets(city: SmallCity) -> list[Obj]:
    """Every resident of the small city as a target, with their home."""
    out = []
    for hh, rids in city.residents.items():
        building = hh.rsplit("-", 1)[0]
        out.extend(Obj("resident", r, building, grid_of(building), r) for r in rids)
    return out


def unit_targets(city: SmallCity) -> list[Obj]:
    """Every unit of the small city as a target."""
    out = [Obj("unit", city.county, city.county, None, None)]
    out += [Obj("unit", s, s, None, None) for s in city.subdistricts]
    for c in city.communities:
        out.append(Obj("unit", c, c, None, None))
        out += [Obj("unit", g, g, g, None) for g in city.grids[c]]
        out += [Obj("unit", b, b, grid_of(b), None) for b in city.buildings[c]]
    return out


@pytest.fixture
def principal_of(cgov: Any) -> Callable[[Actor], Any]:
    """The principal the services build for an actor today."""
    from community_governance.services.base import Service

    svc = Service(cgov)

    def get(actor: Actor) -> Any:
        with svc._read(actor) as op:
            return op.principal

    return get
