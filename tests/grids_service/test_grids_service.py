"""The grids service: draw, redraw, check, leaders, staffing, export, the policy hook."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

import community_governance
from community_governance.defaults.grids import NATIONAL_POLICY
from community_governance.domain.access import Actor
from community_governance.domain.people import Household
from community_governance.domain.posts import PostKind
from community_governance.domain.units import Building, UnitKind
from community_governance.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    PluginError,
)
from community_governance.grids import GridPolicy, InfeasibilityKind, draw
from community_governance.grids.synthetic import synthetic_city
from community_governance.markers import hookimpl
from community_governance.storage.tables import core as t
from community_governance.storage.tables import grids as gt
from community_governance.testing.city import build_small_city

from .conftest import COMM, OTHER, SYSTEM, SmallPolicy, bare_community, load_nodes

START = dt.date(2024, 1, 1)


def _units(gov: Any, kind: str = "grid") -> list[str]:
    return [u.code for u in gov.registry.list_units(kind=kind)]


def _grid_column(gov: Any) -> dict[str, str | None]:
    return {b.code: b.grid_code for b in gov.registry.list_buildings()}


# ------------------------------------------------------------------------------ draw


def test_draws_grids_of_the_small_city_under_the_county_policy(small_gov: Any) -> None:
    """Draws two in-band grids per community and stores units, assignments and claims."""
    build_small_city(small_gov)
    report = small_gov.grids.draw(SYSTEM, replace=True)
    assert report.summary()["grids"] == 6
    assert report.summary()["in_band"] == 6
    assert not report.infeasibilities
    grids = _units(small_gov)
    assert len(grids) == 6
    assert all(g[:12] in {b[:12] for b in _grid_column(small_gov)} for g in grids)
    stored = _grid_column(small_gov)
    assert stored == report.assignment()
    for g in report.grids:
        assert g.code.startswith(g.community + "-W")
        assert 4 <= g.households <= 8


def test_refuses_to_draw_over_existing_grids_without_replace(small_gov: Any) -> None:
    """Refuses a drawing over the small city's grids, names redraw, and writes nothing."""
    build_small_city(small_gov)
    before = _grid_column(small_gov)
    with pytest.raises(ConflictError, match="redraw"):
        small_gov.grids.draw(SYSTEM)
    assert _grid_column(small_gov) == before


def test_households_are_registered_ones_else_planned(small_gov: Any) -> None:
    """Counts registered households where there are any, planned dwellings elsewhere."""
    codes = bare_community(small_gov, with_households=True)
    report = small_gov.grids.draw(SYSTEM, COMM)
    plan = report.communities[0]
    assert plan.households == 3 * len(codes) + 1  # one extra registered household
    gov_summary = report.summary()
    assert gov_summary["households"] == plan.households


def test_draws_one_community_only_when_asked(small_gov: Any) -> None:
    """Draws only the named community; the other keeps no grid."""
    bare_community(small_gov)
    small_gov.grids.draw(SYSTEM, COMM)
    column = _grid_column(small_gov)
    assert column[f"{OTHER}-B0001"] is None
    assert all(g for b, g in column.items() if b.startswith(COMM))


def test_unknown_community_is_not_found(small_gov: Any) -> None:
    """Raises NotFound for a community code that is not stored."""
    with pytest.raises(NotFound):
        small_gov.grids.draw(SYSTEM, "411281009009")


def test_national_default_gives_one_grid_to_a_tiny_community(gov: Any) -> None:
    """Under the default 600-household policy a 12-household community gets one grid,
    explained as too small."""
    build_small_city(gov)
    report = gov.grids.draw(SYSTEM, "411281001001", replace=True)
    assert [g.code for g in report.grids] == ["411281001001-W01"]
    assert report.infeasibilities[0].kind is InfeasibilityKind.COMMUNITY_TOO_SMALL
    # W02 has a grid leader, so its unit stays (kept), with no buildings
    assert report.kept == ("411281001001-W02",)
    assert "411281001001-W02" in _units(gov)


def test_replace_retires_grids_nobody_refers_to(small_gov: Any) -> None:
    """Removes the units of grids a new drawing no longer uses when nothing names them."""
    bare_community(small_gov, buildings=8)
    first = small_gov.grids.draw(SYSTEM, COMM)
    assert len(first.grids) == 4
    with small_gov.store.unit_of_work(write=True) as uow:
        uow.conn.execute(t.buildings.update().where(t.buildings.c.code.in_(
            [f"{COMM}-B0007", f"{COMM}-B0008"])).values(households_planned=0))
        uow.commit()
    second = small_gov.grids.draw(SYSTEM, COMM, replace=True)
    assert len(second.grids) == 3
    assert second.retired == (f"{COMM}-W04",)
    assert f"{COMM}-W04" not in _units(small_gov)


# ------------------------------------------------------------------------------ policy hook


class _NotAPolicy:
    @hookimpl
    def cgov_grid_policy(self, community_code: str, households: int) -> object:
        return {"target": 600}


class _BadBand:
    @hookimpl
    def cgov_grid_policy(self, community_code: str, households: int) -> GridPolicy:
        policy = GridPolicy()
        object.__setattr__(policy, "low", 900)  # forced open: low above target
        return policy


@pytest.mark.parametrize("plugin", [_NotAPolicy(), _BadBand()], ids=["not-a-policy", "bad-band"])
def test_refuses_unusable_policies_and_writes_nothing(plugin: object) -> None:
    """Turns a non-GridPolicy answer or an inconsistent band into PluginError; no grid written."""
    with community_governance.open("memory://", plugins=[plugin], entrypoints=False) as g:
        bare_community(g)
        with pytest.raises(PluginError) as info:
            g.grids.draw(SYSTEM)
        assert info.value.hook == "cgov_grid_policy"
        assert _units(g) == []
        assert all(v is None for v in _grid_column(g).values())


def test_policy_is_asked_per_community_with_its_households() -> None:
    """Asks the hook once per community with that community's households."""
    asked: list[tuple[str, int]] = []

    class Spy(SmallPolicy):
        @hookimpl
        def cgov_grid_policy(self, community_code: str, households: int) -> GridPolicy:
            asked.append((community_code, households))
            return GridPolicy(target=6, low=4, high=8)

    with community_governance.open("memory://", plugins=[Spy()], entrypoints=False) as g:
        bare_community(g, buildings=4)
        g.grids.draw(SYSTEM)
    assert asked == [(COMM, 12), (OTHER, 3)]


# ------------------------------------------------------------------------------ permissions


def test_grid_leader_cannot_draw(small_gov: Any) -> None:
    """Refuses a grid leader's drawing with PermissionDenied and writes nothing."""
    city = build_small_city(small_gov)
    leader = city.grid_leader["411281001001-W01"]
    before = _grid_column(small_gov)
    with pytest.raises(PermissionDenied, match=r"grids\.draw"):
        small_gov.grids.draw(leader, "411281001001", replace=True)
    assert _grid_column(small_gov) == before


def test_secretary_draws_own_community_only(small_gov: Any) -> None:
    """Lets a secretary draw their community and refuses them another one."""
    city = build_small_city(small_gov)
    sec = city.secretary["411281001001"]
    report = small_gov.grids.draw(sec, "411281001001", replace=True)
    assert len(report.grids) == 2
    with pytest.raises(PermissionDenied):
        small_gov.grids.draw(sec, "411281001002", replace=True)
    everywhere = small_gov.grids.draw(sec, replace=True)  # every community they may draw
    assert {g.community for g in everywhere.grids} == {"411281001001"}


def test_community_staff_may_read_checks_but_not_draw(small_gov: Any) -> None:
    """Lets temporary community staff read the check and refuses them a drawing."""
    city = build_small_city(small_gov)
    staff = city.staff["411281001001"]
    assert small_gov.grids.check(staff, "411281001001").grids == 2
    with pytest.raises(PermissionDenied):
        small_gov.grids.draw(staff, "411281001001", replace=True)


def test_grid_leader_checks_only_their_grid(small_gov: Any) -> None:
    """Shows a grid leader the findings of their own grid and refuses another community."""
    city = build_small_city(small_gov)
    leader = city.grid_leader["411281001001-W01"]
    mine = small_gov.grids.check(leader)
    assert mine.grids == 1
    assert mine.buildings == 2
    with pytest.raises(PermissionDenied):
        small_gov.grids.check(leader, "411281002001")


def test_public_reads_no_check(small_gov: Any) -> None:
    """Refuses the public a check of a community."""
    build_small_city(small_gov)
    with pytest.raises(PermissionDenied):
        small_gov.grids.check(Actor.public(), "411281001001")


# ------------------------------------------------------------------------------ redraw


def test_redraw_keeps_codes_and_reports_moves(small_gov: Any) -> None:
    """Keeps every grid code, puts a new building in a grid and lists it as moved."""
    bare_community(small_gov, buildings=8)
    first = small_gov.grids.draw(SYSTEM, COMM)
    before = first.assignment()
    small_gov.registry.add_buildings(SYSTEM, [
        Building(f"{COMM}-B0009", "9号楼", COMM, None, None, 180.0, 0.0, 3)])
    second = small_gov.grids.redraw(SYSTEM, COMM)
    after = second.assignment()
    assert set(before) < set(after)
    assert {g.code for g in first.grids} <= {g.code for g in second.grids}
    new = [m for m in second.moves if m.building == f"{COMM}-B0009"]
    assert new and new[0].from_grid is None and new[0].to_grid == after[f"{COMM}-B0009"]
    changed = {b for b in before if before[b] != after[b]}
    assert second.households_moved == 3 * len(changed)
    assert _grid_column(small_gov)[f"{COMM}-B0009"] == after[f"{COMM}-B0009"]


def test_redraw_mends_a_grid_whose_households_grew(small_gov: Any) -> None:
    """Mends a grid pushed over the band by registered households, using the drawn sizes."""
    codes = bare_community(small_gov, buildings=8)
    small_gov.grids.draw(SYSTEM, COMM)
    small_gov.registry.add_households(SYSTEM, [
        Household(f"{codes[0]}-{d}", codes[0], str(d)) for d in range(1, 9)])
    report = small_gov.grids.redraw(SYSTEM, COMM)
    assert all(4 <= g.households <= 8 or g.code in {i.grid for i in report.infeasibilities}
               for g in report.grids)
    assert report.moves  # something had to move: the grid of B0001 went from 6 to 11


def test_redraw_refuses_disputed_buildings(small_gov: Any) -> None:
    """Refuses to redraw while a building is claimed by two grids."""
    bare_community(small_gov)
    small_gov.grids.draw(SYSTEM, COMM)
    small_gov.grids.import_claims(SYSTEM, [(f"{COMM}-B0001", f"{COMM}-W09")], source="import:x")
    with pytest.raises(ConflictError, match="settle"):
        small_gov.grids.redraw(SYSTEM, COMM)


# ------------------------------------------------------------------------------ check


def test_check_after_draw_reports_leaders_missing(small_gov: Any) -> None:
    """Reports a clean assignment and every grid and building without a leader."""
    codes = bare_community(small_gov)
    report = small_gov.grids.draw(SYSTEM, COMM)
    check = small_gov.grids.check(SYSTEM, COMM)
    assert check.assignment.ok
    assert check.grids == len(report.grids)
    assert len(check.leaders.grids_without_leader) == len(report.grids)
    assert len(check.leaders.buildings_without_leader) == len(codes)
    data = check.as_dict()
    assert (data["unmanaged"], data["disputed"]) == (0, 0)
    assert data["ok"] is False


def test_check_reports_out_of_band_and_pieces_of_stored_grids(small_gov: Any) -> None:
    """Reports a stored grid over the band and one in two separate pieces."""
    bare_community(small_gov, buildings=8)
    small_gov.grids.import_claims(SYSTEM, [
        *[(f"{COMM}-B{i:04d}", f"{COMM}-W01") for i in (1, 2, 3, 4)],  # 12 households
        (f"{COMM}-B0005", f"{COMM}-W02"), (f"{COMM}-B0008", f"{COMM}-W02"),  # 140 m apart
        (f"{COMM}-B0006", f"{COMM}-W03"), (f"{COMM}-B0007", f"{COMM}-W03"),
    ], source="import:test")
    check = small_gov.grids.check(SYSTEM, COMM)
    assert [f.grid for f in check.assignment.out_of_band] == [f"{COMM}-W01"]
    # 20 m spacing, 150 m neighbour distance: B0005 and B0008 are adjacent, so not in pieces
    assert check.assignment.non_contiguous == ()


# ------------------------------------------------------------------------------ leaders


def test_assign_leader_fills_the_check(small_gov: Any) -> None:
    """Makes residents grid leaders; the check then finds no grid without a leader."""
    city = build_small_city(small_gov)
    small_gov.grids.draw(SYSTEM, replace=True)
    check = small_gov.grids.check(SYSTEM)
    assert check.leaders.grids_without_leader == ()
    residents = city.all_residents()
    # a new leader for W01 of 411281001001 replaces the old one from START
    post = small_gov.grids.assign_leader(SYSTEM, "411281001001-W01", residents[5],
                                         start=START, replace=True)
    assert post.kind is PostKind.GRID_LEADER
    olds = [p for p in small_gov.registry.posts(unit_prefix="411281001001-W01",
                                               kind=PostKind.GRID_LEADER)]
    assert {p.end for p in olds} == {START - dt.timedelta(days=1), None}


def test_assign_leader_refuses_an_occupied_grid(small_gov: Any) -> None:
    """Refuses a second grid leader without replace, and refuses a grid leader appointing."""
    city = build_small_city(small_gov)
    grid = "411281001001-W01"
    with pytest.raises(ConflictError, match="replace"):
        small_gov.grids.assign_leader(SYSTEM, grid, city.all_residents()[3], start=START)
    with pytest.raises(PermissionDenied):
        small_gov.grids.assign_leader(city.grid_leader[grid], grid, city.all_residents()[3],
                                      start=START, replace=True)
    with pytest.raises(NotFound):
        small_gov.grids.assign_leader(SYSTEM, grid, "R-NOBODY", start=START, replace=True)


def test_assign_building_leader_with_covers(small_gov: Any) -> None:
    """Gives a building leader several buildings; the check counts them all as led."""
    codes = bare_community(small_gov, buildings=4, with_households=True)
    small_gov.grids.draw(SYSTEM, COMM)
    from community_governance.domain.idnumber import compose_id_number
    from community_governance.services.registry import NewResident

    small_gov.registry.register_residents(SYSTEM, [NewResident(
        "楼长", compose_id_number("411281", dt.date(1970, 1, 1), 11), f"{codes[0]}-101",
        id="R-BL")])
    small_gov.grids.assign_building_leader(SYSTEM, codes[0], "R-BL", start=START,
                                           covers=codes[1:])
    check = small_gov.grids.check(SYSTEM, COMM)
    assert check.leaders.buildings_without_leader == ()
    with pytest.raises(NotFound):
        small_gov.grids.assign_building_leader(SYSTEM, codes[0], "R-BL", start=START,
                                               covers=[f"{COMM}-W01"], replace=True)


# ------------------------------------------------------------------------------ staffing


def test_staffing_counts_per_person(small_gov: Any) -> None:
    """Counts households, residents, office staff and leaders, and the loads per person."""
    build_small_city(small_gov)
    report = small_gov.grids.staffing(SYSTEM)
    totals = report.totals
    assert totals["households"] == 36
    assert totals["residents"] == 72
    assert totals["staff"] == 9  # secretary, director, staff in each of 3 communities
    assert totals["grid_leaders"] == 6
    assert totals["building_leaders"] == 12
    assert totals["residents_per_staff"] == 8.0
    assert totals["households_per_grid_leader"] == 6.0
    assert sum(g.residents for g in report.grids) == 72
    assert {g.leader is not None for g in report.grids} == {True}


def test_staffing_of_a_grid_leader_shows_their_grid(small_gov: Any) -> None:
    """Shows a grid leader one grid row and no community totals."""
    city = build_small_city(small_gov)
    report = small_gov.grids.staffing(city.grid_leader["411281002001-W02"])
    assert [g.grid for g in report.grids] == ["411281002001-W02"]
    assert report.communities == ()


# ------------------------------------------------------------------------------ synthetic


def test_service_draw_of_a_synthetic_city_matches_the_pure_algorithm(gov: Any) -> None:
    """Draws a synthetic city through the store exactly as the pure algorithm does."""
    nodes = synthetic_city(7, communities=3, subdistricts=1, buildings=180,
                           households=9_000, big_compound=0)
    load_nodes(gov, nodes)
    report = gov.grids.draw(SYSTEM)
    pure = draw(nodes, NATIONAL_POLICY)
    assert report.assignment() == pure.assignment()
    assert _grid_column(gov) == pure.assignment()
    check = gov.grids.check(SYSTEM)
    assert check.grids == len(pure.grids)
    assert (len(check.assignment.unmanaged), len(check.assignment.disputed)) == (0, 0)
    assert len(check.assignment.out_of_band) == len(pure.out_of_band())
    assert check.households == 9_000


def test_redraw_of_a_synthetic_community_after_a_new_building(gov: Any) -> None:
    """Keeps most households in place when one building is added to a synthetic city."""
    nodes = synthetic_city(11, communities=2, subdistricts=1, buildings=120,
                           households=6_000, big_compound=0)
    load_nodes(gov, nodes)
    first = gov.grids.draw(SYSTEM)
    comm = nodes[0].community
    near = nodes[0]
    gov.registry.add_buildings(SYSTEM, [Building(
        f"{comm}-B0999", "新楼", comm, None, None, (near.x or 0) + 10, (near.y or 0) + 10, 80)])
    second = gov.grids.redraw(SYSTEM, comm)
    assert second.households_moved < 6_000 / 4
    kept = {g.code for g in first.grids if g.community == comm}
    assert kept <= {g.code for g in second.grids} | set(second.retired) | set(second.kept)


# ------------------------------------------------------------------------------ GeoJSON


def _ring_closed(ring: list[list[float]]) -> bool:
    return len(ring) >= 4 and ring[0] == ring[-1]


def test_geojson_export_is_valid(small_gov: Any) -> None:
    """Exports a FeatureCollection of closed grid polygons and building points."""
    bare_community(small_gov)
    drawn = small_gov.grids.draw(SYSTEM)
    data = small_gov.grids.export_geojson(SYSTEM)
    assert data["type"] == "FeatureCollection"
    grids = [f for f in data["features"] if f["properties"]["kind"] == "grid"]
    points = [f for f in data["features"] if f["properties"]["kind"] == "building"]
    assert {f["id"] for f in grids} == {g.code for g in drawn.grids}
    for f in grids:
        assert f["type"] == "Feature"
        assert f["geometry"]["type"] == "Polygon"
        assert all(_ring_closed(r) for r in f["geometry"]["coordinates"])
        assert {"code", "community", "households", "buildings", "in_band"} <= set(
            f["properties"])
    assert len(points) == 9
    assert all(p["geometry"]["type"] == "Point" and len(p["geometry"]["coordinates"]) == 2
               for p in points)
    assert {p["properties"]["grid"] for p in points if p["id"].startswith(COMM)} == {
        g.code for g in drawn.grids if g.community == COMM}


def test_geojson_of_a_grid_leader_holds_their_grid_only(small_gov: Any) -> None:
    """Exports only the grid leader's own grid and its buildings."""
    city = build_small_city(small_gov)
    data = small_gov.grids.export_geojson(city.grid_leader["411281001002-W02"])
    grids = {f["id"] for f in data["features"] if f["properties"]["kind"] == "grid"}
    assert grids == {"411281001002-W02"}


# ------------------------------------------------------------------------------ storage


def test_draw_writes_claims_and_audit_in_one_transaction(sqlite_gov: Any) -> None:
    """Writes units, claims and an audit row on a SQLite file; claims carry households."""
    bare_community(sqlite_gov)
    sqlite_gov.grids.draw(SYSTEM)
    with sqlite_gov.store.unit_of_work(write=False) as uow:
        claims = uow.conn.execute(sa.select(gt.grid_claims)).all()
        audit = uow.conn.execute(sa.select(t.audit_log.c.operation).where(
            t.audit_log.c.operation == "grids.draw")).all()
    assert len(claims) == 9
    assert {c.source for c in claims} == {"draw"}
    assert {c.households for c in claims} == {3}
    assert len(audit) == 1


@pytest.mark.postgres
def test_draw_and_check_on_postgresql(postgres_url: str) -> None:
    """Draws and checks a synthetic city on PostgreSQL like on SQLite."""
    nodes = synthetic_city(3, communities=2, subdistricts=1, buildings=80,
                           households=4_800, big_compound=0)
    with community_governance.open(postgres_url, entrypoints=False) as g:
        load_nodes(g, nodes)
        report = g.grids.draw(SYSTEM)
        check = g.grids.check(SYSTEM)
        assert report.assignment() == draw(nodes, NATIONAL_POLICY).assignment()
        assert (len(check.assignment.unmanaged), len(check.assignment.disputed)) == (0, 0)
        assert check.grids == len(report.grids)
        assert UnitKind.GRID.value == "grid"


# ------------------------------------------------------------------------------ demo


def test_demo_city_gets_grids_and_grid_leaders(gov: Any) -> None:
    """Draws a small demo city's grids and appoints one resident of each grid its leader."""
    from community_governance.demo import load_city
    from community_governance.demo.grids import seed_grid_leaders
    from community_governance.simulation.city import generate_yima

    city = generate_yima(2019, scale=0.02)
    load_city(gov, city, optional=False)
    report = gov.grids.draw(SYSTEM)
    seen: list[tuple[int, int]] = []
    appointed = seed_grid_leaders(gov, seed=2019, progress=lambda d, n: seen.append((d, n)))
    assert appointed == len(report.grids) == len(seen)
    check = gov.grids.check(SYSTEM)
    assert check.leaders.grids_without_leader == ()
    assert (check.assignment.unmanaged, check.assignment.disputed) == ((), ())
    leaders = {p.holder_id: p.unit_code for p in gov.registry.posts(kind=PostKind.GRID_LEADER)}
    homes = {r.id: r.household_id for r in gov.registry.list_residents(SYSTEM, limit=100_000)}
    column = {b.code: b.grid_code for b in gov.registry.list_buildings()}
    for holder, grid in leaders.items():
        building = homes[holder].split("-")[0] + "-" + homes[holder].split("-")[1]
        assert column[building] == grid  # the leader lives in their grid
    assert seed_grid_leaders(gov, seed=2019) == 0  # every grid is led already


def test_actor_without_posts_reads_no_check(small_gov: Any) -> None:
    """Refuses a check of every community to a resident acting for themselves."""
    city = build_small_city(small_gov)
    with pytest.raises(PermissionDenied):
        small_gov.grids.check(Actor.resident(city.all_residents()[0]))
