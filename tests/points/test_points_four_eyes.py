"""Points four-eyes (双人复核): no award to oneself or one's household; large awards wait for a
second person; the threshold is the county's (Yima 411281 and 湖滨区 411202)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
import pytest
from click.testing import CliRunner

import community_governance
from community_governance import Actor, hookimpl
from community_governance.domain.idnumber import compose_id_number
from community_governance.domain.people import Household, Relation
from community_governance.domain.points import AwardThreshold, PendingAward, PointsEntry
from community_governance.domain.posts import HolderKind, Post, PostKind, StaffMember
from community_governance.domain.units import (
    Building,
    Unit,
    UnitKind,
    building_code,
    compound_code,
    grid_code,
)
from community_governance.errors import ConflictError, PermissionDenied, ValidationError
from community_governance.testing.city import SmallCity, build_small_city

SYSTEM = Actor.system("test")
HUBIN = "411202"
NOW = pendulum.datetime(2026, 12, 2, 2)


def _leader_and_household(city: SmallCity) -> tuple[Actor, str, str, str]:
    """A grid leader (a resident), the other member of their household, and a resident of
    their grid outside their household."""
    c = city.communities[0]
    g = city.grids[c][0]
    b = city.buildings[c][0]
    leader_home = city.households[b][1]
    leader = city.grid_leader[g]
    other = city.residents[leader_home][1]
    neighbour = city.residents[city.households[b][0]][0]
    return leader, leader.id, other, neighbour


def test_self_and_household_awards_are_refused(gov: Any, small_city: SmallCity) -> None:
    """A grid leader cannot award himself or his household; the refusal names the rule."""
    leader, me, spouse, neighbour = _leader_and_household(small_city)
    with pytest.raises(PermissionDenied, match=r"four-eyes rule.*themselves.*ask another"):
        gov.points.earn(leader, me, 10, key="self")
    with pytest.raises(PermissionDenied, match="own household"):
        gov.points.earn(leader, spouse, 10, key="spouse")
    assert gov.points.balance(SYSTEM, me) == 0 and gov.points.balance(SYSTEM, spouse) == 0
    assert isinstance(gov.points.earn(leader, neighbour, 10, key="ok"), PointsEntry)
    assert gov.points.balance(SYSTEM, neighbour) == 10


def test_large_award_waits_for_a_second_person(gov: Any, small_city: SmallCity) -> None:
    """Above 50 in one entry: held; the requester cannot confirm; the secretary can."""
    leader, _me, _spouse, neighbour = _leader_and_household(small_city)
    c = small_city.communities[0]
    held = gov.points.earn(leader, neighbour, 51, key="big", reason="抗洪抢险")
    assert isinstance(held, PendingAward)
    assert held.state == "pending" and "above 50 points in one entry" in held.rule
    assert gov.points.balance(SYSTEM, neighbour) == 0
    assert gov.points.earn(leader, neighbour, 51, key="big", reason="抗洪抢险") == held
    assert [p.id for p in gov.points.pending(small_city.secretary[c])] == [held.id]
    with pytest.raises(PermissionDenied, match="whoever asked"):
        gov.points.confirm(leader, held.id)
    entry = gov.points.confirm(small_city.secretary[c], held.id)
    assert (entry.amount, entry.idempotency_key) == (51, "big")
    assert gov.points.balance(SYSTEM, neighbour) == 51
    assert gov.points.pending(small_city.secretary[c]) == []
    # the requester's retry now answers with the entry
    assert gov.points.earn(leader, neighbour, 51, key="big", reason="抗洪抢险") == entry
    with pytest.raises(ConflictError, match="confirmed already"):
        gov.points.reject(small_city.director[c], held.id, reason="too late")
    assert gov.verify().ok


def test_monthly_total_and_rejection(gov: Any, small_city: SmallCity) -> None:
    """Five awards of 50 in a month: the fifth passes 200 and waits; a rejection awards
    nothing and needs a reason; 50 is not above 50 (boundary)."""
    leader, _me, _spouse, neighbour = _leader_and_household(small_city)
    c = small_city.communities[0]
    for i in range(4):
        assert isinstance(gov.points.earn(leader, neighbour, 50, key=f"m{i}"), PointsEntry)
    held = gov.points.earn(leader, neighbour, 1, key="m4")
    assert isinstance(held, PendingAward) and "200 points" in held.rule
    assert "200 awarded this month already" in held.rule
    with pytest.raises(ValidationError, match="reason"):
        gov.points.reject(small_city.director[c], held.id, reason=" ")
    done = gov.points.reject(small_city.director[c], held.id, reason="本月已达上限")
    assert (done.state, done.decided_by) == ("rejected", f"staff:{small_city.director[c].id}")
    assert gov.points.balance(SYSTEM, neighbour) == 200
    # system jobs (attendance scoring, imports) are not held
    assert isinstance(gov.points.earn(SYSTEM, neighbour, 500, key="sys"), PointsEntry)


def test_confirmation_needs_another_leader(gov: Any, small_city: SmallCity) -> None:
    """Only a confirming post confirms, and never the one who asked (even with that post)."""
    c = small_city.communities[0]
    leader, _me, spouse, _neighbour = _leader_and_household(small_city)
    held = gov.points.earn(small_city.secretary[c], spouse, 80, key="spouse-big")
    assert isinstance(held, PendingAward)
    with pytest.raises(PermissionDenied):  # a grid leader holds no confirming post
        gov.points.confirm(leader, held.id)
    with pytest.raises(PermissionDenied, match="whoever asked"):  # the right post, but own
        gov.points.confirm(small_city.secretary[c], held.id)
    assert gov.points.confirm(small_city.director[c], held.id).amount == 80


# --- another county: 湖滨区 (411202) with its own threshold ------------------------------------


class HubinAwards:
    """湖滨区's rule: a second look above 30 points, or above 150 a month."""

    @hookimpl
    def cgov_points_award_threshold(self, community_code: str | None) -> Any:
        if community_code and community_code.startswith(HUBIN):
            return AwardThreshold(per_entry=30, per_month=150)
        return None


def _hubin(gov: Any) -> tuple[Actor, Actor, str, str]:
    """A minimal 湖滨区: one community, one building, two households; its secretary and
    director; returns (secretary, director, resident, the secretary-as-resident's spouse)."""
    system = Actor.system("hubin")
    sub, com = f"{HUBIN}001", f"{HUBIN}001001"
    g, b = grid_code(com, 1), building_code(com, 1)
    gov.registry.add_units(system, [
        Unit(HUBIN, UnitKind.COUNTY, "湖滨区"), Unit(sub, UnitKind.SUBDISTRICT, "湖滨街道", HUBIN),
        Unit(com, UnitKind.COMMUNITY, "湖滨社区", sub), Unit(g, UnitKind.GRID, "第1网格", com),
        Unit(compound_code(com, 1), UnitKind.COMPOUND, "第一小区", com)])
    gov.registry.add_buildings(system, [Building(b, "1号楼", com, compound_code(com, 1), g,
                                                 x=0.0, y=0.0, households_planned=2)])
    gov.registry.add_households(system, [Household(f"{b}-101", b, "101"),
                                         Household(f"{b}-201", b, "201")])
    from community_governance.services.registry import NewResident

    news = [NewResident(name=f"湖滨{i}", id_number=compose_id_number(
        HUBIN, dt.date(1970 + i, 1, 1), i), household_id=f"{b}-{h}", relation=rel,
        phone=f"1370000{i:04d}", id=f"H{i}", moved_in=dt.date(2018, 1, 1))
        for i, h, rel in ((1, "101", Relation.HEAD), (2, "201", Relation.HEAD),
                          (3, "201", Relation.SPOUSE))]
    gov.registry.register_residents(system, news)
    gov.registry.add_staff(system, [StaffMember("HB-DIR", "湖滨主任", permanent=True)])
    start = dt.date(2019, 1, 1)
    gov.registry.assign_posts(system, [
        Post("P-HB-SEC", PostKind.SECRETARY, com, HolderKind.RESIDENT, "H2", start),
        Post("P-HB-DIR", PostKind.DIRECTOR, com, HolderKind.STAFF, "HB-DIR", start)])
    return Actor.staff("H2"), Actor.staff("HB-DIR"), "H1", "H3"


@pytest.mark.parametrize("with_plugin", [True, False])
def test_hubin_threshold_and_household_rule(with_plugin: bool) -> None:
    """In 411202 the county's plugin holds awards above 30 (the national default: above 50);
    its secretary, a resident, cannot award her own household; Yima keeps the default."""
    plugins = [HubinAwards()] if with_plugin else []
    with community_governance.open("memory://", plugins, entrypoints=False,
                                   clock=lambda: NOW) as gov:
        yima = build_small_city(gov)
        sec, director, resident, spouse = _hubin(gov)
        got = gov.points.earn(sec, resident, 40, key="hb-40")
        assert isinstance(got, PendingAward if with_plugin else PointsEntry)
        with pytest.raises(PermissionDenied, match="own household"):
            gov.points.earn(sec, spouse, 5, key="hb-spouse")
        if with_plugin:
            assert gov.points.confirm(director, got.id).amount == 40
        # Yima's residents keep the national default whatever 湖滨区 decides
        c = yima.communities[0]
        neighbour = _leader_and_household(yima)[3]
        assert isinstance(gov.points.earn(yima.secretary[c], neighbour, 40, key="y-40"),
                          PointsEntry)
        assert isinstance(gov.points.earn(yima.secretary[c], neighbour, 51, key="y-51"),
                          PendingAward)
        assert gov.points.balance(SYSTEM, resident) == 40
        assert gov.verify().ok


def test_cli_pending_confirm_reject(tmp_path: Any) -> None:
    """cgov points pending / confirm / reject."""
    from community_governance.cli._all import cli

    url = f"sqlite:///{tmp_path / 'p.db'}"
    with community_governance.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        neighbour = _leader_and_household(city)[3]
        one = gov.points.earn(city.secretary[c], neighbour, 60, key="c1")
        two = gov.points.earn(city.secretary[c], neighbour, 70, key="c2")
    run = CliRunner().invoke
    sec, direc = f"staff:{city.secretary[c].id}", f"staff:{city.director[c].id}"
    out = run(cli, ["points", "pending", "--db", url, "--as", direc, "--json"])
    assert out.exit_code == 0, out.output
    assert '"amount": 60' in out.output and '"amount": 70' in out.output
    out = run(cli, ["points", "confirm", str(one.id), "--db", url, "--as", sec])
    assert out.exit_code != 0 and "whoever asked" in out.output
    out = run(cli, ["points", "confirm", str(one.id), "--db", url, "--as", direc])
    assert out.exit_code == 0, out.output
    out = run(cli, ["points", "reject", str(two.id), "--db", url, "--as", direc,
                    "--reason", "重复申报"])
    assert out.exit_code == 0, out.output
    with community_governance.open(url, entrypoints=False) as gov:
        assert gov.points.balance(SYSTEM, neighbour) == 60
        assert [p.state for p in gov.points.pending(SYSTEM, state="rejected")] == ["rejected"]
