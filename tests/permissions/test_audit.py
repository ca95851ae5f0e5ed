"""The audit trail: one row per write in the same transaction, append-only, scoped reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.exc import DatabaseError

import community_governance as cg
from community_governance.errors import ConflictError, PermissionDenied
from community_governance.services.registry import NewResident
from community_governance.storage.tables import core as t
from community_governance.testing.city import SmallCity, build_small_city

from .conftest import TODAY, Clock

pytestmark = pytest.mark.usefixtures("cli_as_system")  # writes name their actor

SYSTEM = cg.Actor.system("test")


def _count(gov: Any, table: sa.Table) -> int:
    with gov.store.unit_of_work(write=False) as uow:
        return int(uow.conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_every_write_leaves_one_row_naming_actor_time_and_objects(
        city: SmallCity, cgov: Any) -> None:
    """Records who, when, which operation and which objects for each write."""
    c = city.communities[0]
    before = _count(cgov, t.audit_log)
    cgov.registry.end_post(city.secretary[c], f"P-GL-{c}-W02", on=TODAY.date())
    entries = cgov.audit.log(SYSTEM)
    assert len(entries) == before + 1
    last = entries[-1]
    assert last.actor == str(city.secretary[c])
    assert last.operation == "registry.end_post"
    assert last.objects == (f"post:P-GL-{c}-W02",)
    assert last.at == TODAY


def test_a_failed_write_leaves_no_audit_row(city: SmallCity, cgov: Any) -> None:
    """Writes the audit row in the same transaction: a refused write leaves none."""
    c = city.communities[0]
    before = _count(cgov, t.audit_log)
    with pytest.raises(ConflictError):
        cgov.registry.register_resident(city.secretary[c], NewResident(
            "重复", city.id_numbers["R0001"], f"{c}-B0001-101"))
    with pytest.raises(PermissionDenied):
        cgov.privacy.erase(city.staff[c], "R0001", reason="x")
    assert _count(cgov, t.audit_log) == before


@pytest.mark.parametrize("table", [t.audit_log, t.access_log], ids=lambda x: x.name)
def test_the_trail_is_append_only(sqlite_gov: Any, table: sa.Table) -> None:
    """Refuses UPDATE and DELETE on the audit trail and the access log in the database."""
    city = build_small_city(sqlite_gov)
    sqlite_gov.registry.get_resident(city.county_admin, "R0001", reveal=True, reason="核对")
    for stmt in (table.update().values(actor_id="someone-else"), table.delete()):
        with pytest.raises(DatabaseError, match="append-only"), \
                sqlite_gov.store.unit_of_work(write=True) as uow:
            uow.conn.execute(stmt)
    assert _count(sqlite_gov, table) >= 1


def test_filters_by_actor_operation_object_and_time(city: SmallCity, cgov: Any,
                                                    clock: Clock) -> None:
    """Narrows by actor, operation prefix, object and time range."""
    c = city.communities[1]
    director = city.director[c]
    clock.advance(2)
    cgov.privacy.correct(director, "R0030", phone="13600000000", reason="换号")
    clock.advance(1)
    cgov.privacy.erase(director, "R0031", reason="迁出")
    a = cgov.audit
    assert [e.operation for e in a.log(SYSTEM, by=str(director))] == [
        "privacy.correct", "privacy.erase"]
    assert [e.operation for e in a.log(SYSTEM, by=director.id)] == [
        "privacy.correct", "privacy.erase"]
    assert [e.objects for e in a.log(SYSTEM, operation="privacy.")] == [
        ("resident:R0030",), ("resident:R0031",)]
    assert [e.operation for e in a.log(SYSTEM, obj="resident:R0031")] == [
        "registry.register_residents", "privacy.erase"]
    assert a.log(SYSTEM, obj="resident:R003") == []  # an object is matched whole
    day3 = TODAY.add(days=3)
    assert [e.operation for e in a.log(SYSTEM, since=day3)] == ["privacy.erase"]
    assert [e.operation for e in a.log(SYSTEM, since=TODAY.add(days=1), until=day3)] == [
        "privacy.correct"]
    assert len(a.log(SYSTEM, until=TODAY.date())) == len(a.log(SYSTEM)) - 2
    assert len(a.log(SYSTEM, limit=3, offset=1)) == 3


def test_access_log_rows_name_who_what_when_why(city: SmallCity, cgov: Any) -> None:
    """Keeps the reader, the action, the target, the time and the reason of each full read."""
    c = city.communities[0]
    cgov.registry.get_resident(city.staff[c], "R0002", reveal=True, reason="办理低保")
    cgov.registry.list_vulnerable(city.cadre[c])
    rows = cgov.audit.access(city.secretary[c])
    assert [(r.actor, r.action, r.target, r.reason) for r in rows] == [
        (str(city.staff[c]), "resident.read_id_number", "resident R0002", "办理低保"),
        (str(city.cadre[c]), "resident.read_vulnerability", f"resident {city.elderly[c]}",
         "vulnerable list")]
    assert all(r.at == TODAY for r in rows)
    assert cgov.audit.access(SYSTEM, target="R0002")[0].reason == "办理低保"
    assert len(cgov.audit.access(SYSTEM, action="resident.read_vul")) == 1


def test_readers_see_only_their_units(city: SmallCity, cgov: Any) -> None:
    """Shows a community's leaders their own community's rows, and refuses readers without
    audit.read."""
    c1, c2 = city.communities[:2]
    cgov.registry.get_resident(city.staff[c1], "R0002", reveal=True, reason="一社区")
    r2 = city.residents[city.households[city.buildings[c2][0]][0]][0]
    cgov.registry.get_resident(city.staff[c2], r2, reveal=True, reason="二社区")
    cgov.privacy.erase(city.director[c2], r2, reason="迁出")
    cgov.privacy.correct(cg.Actor.resident("R0003"), "R0003", phone="13500000000",
                         reason="换号")
    mine = cgov.audit.access(city.secretary[c1])
    assert [r.reason for r in mine] == ["一社区"]
    assert [r.reason for r in cgov.audit.access(city.secretary[c2])] == ["二社区"]
    assert {r.reason for r in cgov.audit.access(city.subdistrict_staff[c1[:9]])} == {
        "一社区", "二社区"}
    ops1 = {(e.actor, e.operation) for e in cgov.audit.log(city.secretary[c1])}
    assert ("resident:R0003", "privacy.correct") in ops1
    assert (str(city.director[c2]), "privacy.erase") not in ops1
    assert (str(city.director[c2]), "privacy.erase") in {
        (e.actor, e.operation) for e in cgov.audit.log(city.director[c2])}
    assert len(cgov.audit.log(city.county_admin)) == len(cgov.audit.log(SYSTEM))
    for actor in (city.grid_leader[f"{c1}-W01"], city.staff[c1], city.cadre[c1],
                  cg.Actor.resident("R0001"), cg.Actor.public()):
        with pytest.raises(PermissionDenied, match=r"audit\.read"):
            cgov.audit.log(actor)
        with pytest.raises(PermissionDenied):
            cgov.audit.access(actor)


def test_cgov_audit_commands(tmp_path: Path) -> None:
    """Prints the trail and the access log as JSON and tables, with filters."""
    from community_governance.cli import _load, cli

    url = f"sqlite:///{tmp_path / 'c.db'}"
    with cg.open(url, entrypoints=False) as g:
        city = build_small_city(g)
        g.registry.get_resident(city.county_admin, "R0001", reveal=True, reason="核对身份")
    _load()
    run = CliRunner().invoke
    out = run(cli, ["audit", "log", "--db", url, "--operation", "registry.assign", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [r["operation"] for r in rows] == ["registry.assign_posts"]
    out = run(cli, ["audit", "access", "--db", url, "--actor", "staff:ADMIN", "--json",
                    "--since", "2000-01-01"])
    assert [r["reason"] for r in json.loads(out.output)] == ["核对身份"]
    leader = city.grid_leader[city.grids[city.communities[0]][0]]
    out = run(cli, ["audit", "log", "--db", url, "--as", f"staff:{leader.id}"])
    assert out.exit_code == 4 and "may not audit.read" in out.output
    out = run(cli, ["audit", "log", "--db", url, "--limit", "2"], env={"COLUMNS": "200"})
    assert out.exit_code == 0 and "registry.add_units" in out.output
    assert "registry.add_buildings" in out.output and "(+" in out.output
    assert "registry.add_households" not in out.output
    out = run(cli, ["audit", "log", "--db", url, "--since", "yesterday-ish"])
    assert out.exit_code != 0 and "not a date" in out.output
