"""Denied attempts leave a trace (issue #13 item 5): one row per refusal, bounded per hour."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import community_governance as cg
from community_governance.errors import NotFound, PermissionDenied
from community_governance.services.denials import Denial, DenialLimits, record
from community_governance.storage.tables import core as t
from community_governance.storage.tables import denials as dt_
from community_governance.testing.city import SmallCity, build_small_city

from .conftest import TODAY, Clock

SYSTEM = cg.Actor.system("test")


def _count(gov: Any, table: sa.Table) -> int:
    with gov.store.unit_of_work(write=False) as uow:
        return int(uow.conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _people(city: SmallCity) -> tuple[str, str]:
    """Two residents of one household of the first community."""
    h = city.households[city.buildings[city.communities[0]][0]][0]
    r1, r2 = city.residents[h]
    return r1, r2


def _leader(city: SmallCity, community: int) -> cg.Actor:
    """The grid leader of the first grid of a community."""
    return city.grid_leader[city.grids[city.communities[community]][0]]


def _refuse_30(gov: Any, city: SmallCity) -> list[tuple[str, str]]:
    """30 refused reads and writes by four actors; returns (actor, action) of each."""
    c1 = city.communities[0]
    outsider = _leader(city, 1)  # a grid leader of another community
    me, other = _people(city)
    resident = cg.Actor.resident(me)
    done: list[tuple[str, str]] = []
    for _ in range(5):
        with pytest.raises(PermissionDenied):  # a refused write
            gov.privacy.erase(city.staff[c1], other, reason="x")
        done.append((str(city.staff[c1]), "resident.erase"))
        with pytest.raises(NotFound):  # a refused read that hides the record
            gov.registry.get_resident(outsider, other)
        done.append((str(outsider), "resident.read"))
        with pytest.raises(PermissionDenied):  # the audit trail itself
            gov.audit.log(outsider)
        done.append((str(outsider), "audit.read"))
        with pytest.raises(NotFound):  # a resident reading another's record
            gov.registry.get_resident(resident, other)
        done.append((str(resident), "resident.read"))
        assert gov.registry.list_residents(cg.Actor.public()) == []  # a refused list
        done.append(("public:public", "resident.read"))
        with pytest.raises(PermissionDenied):  # moving a resident out of scope
            gov.registry.move_resident(outsider, other, None, on=TODAY.date())
        done.append((str(outsider), "resident.write"))
    return done


def test_thirty_refused_reads_and_writes_leave_thirty_rows(city: SmallCity, cgov: Any) -> None:
    """Each refusal leaves exactly one row naming actor, action, target and reason."""
    audit_before = _count(cgov, t.audit_log)
    done = _refuse_30(cgov, city)
    assert len(done) == 30
    rows = cgov.audit.denied(SYSTEM)
    assert [(r.actor, r.action) for r in rows] == done
    assert all(r.reason and r.target and r.at == TODAY for r in rows)
    assert _count(cgov, t.audit_log) == audit_before  # the refused writes wrote nothing else
    erase = rows[0]
    assert erase.operation == "privacy.erase"
    assert erase.target == f"resident {_people(city)[1]}"
    assert "resident.erase" in erase.reason or "erase" in erase.reason
    listing = rows[4]
    assert listing.target == "list registry.list_residents"
    assert "public" in listing.reason
    assert cgov.audit.denied_suppressed(SYSTEM) == []


def test_denied_filters_actor_action_and_since(city: SmallCity, cgov: Any, clock: Clock) -> None:
    """Filters by actor, action prefix and time; a reader sees only refusals in their scope."""
    c1 = city.communities[0]
    with pytest.raises(PermissionDenied):
        cgov.privacy.erase(city.staff[c1], _people(city)[0], reason="x")
    clock.advance(1)
    with pytest.raises(PermissionDenied):
        cgov.audit.log(_leader(city, 1))
    assert [r.action for r in cgov.audit.denied(SYSTEM, by=str(city.staff[c1]))] == [
        "resident.erase"]
    assert [r.action for r in cgov.audit.denied(SYSTEM, action="audit.")] == ["audit.read"]
    assert [r.actor for r in cgov.audit.denied(SYSTEM, since=clock.now)] == [
        str(_leader(city, 1))]
    # community 1's secretary sees the refusal of their own staff, not community 2's
    seen = [r.actor for r in cgov.audit.denied(city.secretary[c1])]
    assert seen == [str(city.staff[c1])]


def test_a_loop_of_refusals_stays_within_the_bound(city: SmallCity, cgov: Any) -> None:
    """A loop of refused calls writes at most the bound; the suppressed ones are counted."""
    cgov.denial_limits = DenialLimits(per_actor=50, per_hour=120)
    loud, quiet = _leader(city, 1), city.staff[city.communities[0]]
    for _ in range(300):
        with pytest.raises(PermissionDenied):
            cgov.audit.log(loud)
    assert _count(cgov, dt_.access_denials) == 50
    for _ in range(3):
        with pytest.raises(PermissionDenied):
            cgov.audit.log(quiet)
    assert _count(cgov, dt_.access_denials) == 53  # one loud actor does not silence others
    counts = {c.actor: c for c in cgov.audit.denied_suppressed(SYSTEM)}
    assert (counts[str(loud)].attempts, counts[str(loud)].suppressed) == (300, 250)
    assert counts["*:*"].attempts == 303
    assert str(quiet) not in counts  # nothing of theirs was suppressed
    # many actors together reach the hourly bound of all actors
    for i in range(200):
        with pytest.raises(PermissionDenied):
            cgov.audit.log(cg.Actor.staff(f"STRANGER-{i}"))
    assert _count(cgov, dt_.access_denials) == 120
    assert _count(cgov, dt_.access_denial_counts) <= 120 + 1
    assert cgov.audit.denied_suppressed(SYSTEM, by="*:*")[0].suppressed == 503 - 120


def test_ten_thousand_refusals_stay_within_the_default_bound(cgov: Any) -> None:
    """10,000 refusals of one actor and 10,000 of distinct actors within one hour: at most the
    default bound is written (100 per actor, 1,000 in all), every attempt is counted."""
    limits = DenialLimits()
    loud = [Denial.of(cg.Actor.staff("LOUD"), "audit.log", "audit.read", "audit_log *", "no")
            ] * 10_000
    crowd = [Denial.of(cg.Actor.resident(f"R{i}"), "registry.get_resident", "resident.read",
                       "resident R1", "no") for i in range(10_000)]
    assert record(cgov, loud, TODAY) == limits.per_actor
    assert record(cgov, crowd, TODAY) == limits.per_hour - limits.per_actor
    assert _count(cgov, dt_.access_denials) == limits.per_hour
    assert _count(cgov, dt_.access_denial_counts) <= limits.per_hour + 1
    counts = {c.actor: c for c in cgov.audit.denied_suppressed(SYSTEM)}
    assert counts["staff:LOUD"].suppressed == 10_000 - limits.per_actor
    assert (counts["*:*"].attempts, counts["*:*"].suppressed) == (20_000, 19_000)


def test_the_bound_starts_again_each_hour(city: SmallCity, cgov: Any, clock: Clock) -> None:
    """The bound is per clock hour: the next hour writes rows again."""
    cgov.denial_limits = DenialLimits(per_actor=2, per_hour=10)
    loud = _leader(city, 1)
    for _ in range(5):
        with pytest.raises(PermissionDenied):
            cgov.audit.log(loud)
    clock.now = clock.now.add(hours=1)
    for _ in range(5):
        with pytest.raises(PermissionDenied):
            cgov.audit.log(loud)
    assert _count(cgov, dt_.access_denials) == 4
    assert [c.suppressed for c in cgov.audit.denied_suppressed(SYSTEM, by=str(loud))] == [3, 3]


def test_limits_are_checked() -> None:
    """Nonsense limits are refused with the rule and an example."""
    with pytest.raises(cg.ValidationError, match="per_actor <= per_hour"):
        DenialLimits(per_actor=10, per_hour=5)
    with pytest.raises(cg.ValidationError, match="1 <= per_actor"):
        DenialLimits(per_actor=0)


def test_the_refusal_log_is_append_only(sqlite_gov: Any) -> None:
    """The database refuses UPDATE and DELETE of refusal rows."""
    city = build_small_city(sqlite_gov)
    with pytest.raises(PermissionDenied):
        sqlite_gov.audit.log(_leader(city, 1))
    with sqlite_gov.store.unit_of_work(write=True) as uow, pytest.raises(sa.exc.DatabaseError):
        uow.conn.execute(sa.delete(dt_.access_denials))


def test_a_refusal_is_still_raised_when_the_log_cannot_be_written(
        city: SmallCity, cgov: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure to write the refusal row never hides the refusal."""
    from community_governance.services import denials

    def broken(*_a: Any, **_k: Any) -> bool:
        raise RuntimeError("disk full")

    monkeypatch.setattr(denials, "_write", broken)
    with pytest.raises(PermissionDenied):
        cgov.audit.log(_leader(city, 1))
    assert _count(cgov, dt_.access_denials) == 0


def test_the_points_hot_path_records_refusals(city: SmallCity, cgov: Any) -> None:
    """Refusals on the ledgers' fast write path are recorded too."""
    with pytest.raises(PermissionDenied):
        cgov.points.earn(_leader(city, 1), _people(city)[0], 5, reason="x", key="k1")
    rows = cgov.audit.denied(SYSTEM)
    assert [(r.actor, r.operation) for r in rows] == [(str(_leader(city, 1)),
                                                       "points.earn")]


def test_cli_audit_denied(tmp_path: Path) -> None:
    """``cgov audit denied`` lists refusals, filtered, as a table or JSON."""
    from community_governance.cli import _load, cli

    _load()

    url = f"sqlite:///{tmp_path / 'd.db'}"
    clock = Clock(TODAY)
    with cg.open(url, entrypoints=False, clock=clock) as gov:
        city = build_small_city(gov)
        for _ in range(3):
            with pytest.raises(PermissionDenied):
                gov.audit.log(_leader(city, 1))
        with pytest.raises(PermissionDenied):
            gov.audit.log(city.staff[city.communities[0]])
    who = str(_leader(city, 1))
    runner = CliRunner()
    got = runner.invoke(cli, ["audit", "denied", "--db", url, "--as", "system",
                               "--actor", who, "--json"])
    assert got.exit_code == 0, got.output
    data = json.loads(got.output)
    assert [r["actor"] for r in data["denied"]] == [who] * 3
    assert data["suppressed"] == []
    got = runner.invoke(cli, ["audit", "denied", "--db", url, "--as", "system",
                               "--since", "2030-01-01", "--json"])
    assert json.loads(got.output)["denied"] == []
    got = runner.invoke(cli, ["audit", "denied", "--db", url, "--as", "system"])
    assert got.exit_code == 0 and "Refused attempts" in got.output


def test_the_bound_holds_on_postgres(postgres_url: str) -> None:
    """The same rows and counts on PostgreSQL (UPDATE ... RETURNING, the append-only trigger)."""
    with cg.open(postgres_url, entrypoints=False, clock=Clock(TODAY)) as gov:
        gov.denial_limits = DenialLimits(per_actor=3, per_hour=5)
        city = build_small_city(gov)
        for _ in range(4):
            with pytest.raises(PermissionDenied):
                gov.audit.log(_leader(city, 1))
        crowd = [Denial.of(cg.Actor.staff(f"S{i}"), "audit.log", "audit.read", "x", "no")
                 for i in range(10)]
        assert record(gov, crowd, TODAY) == 2
        assert _count(gov, dt_.access_denials) == 5
        counts = {c.actor: c for c in gov.audit.denied_suppressed(SYSTEM)}
        assert (counts[str(_leader(city, 1))].suppressed, counts["*:*"].suppressed) == (1, 9)
        with gov.store.unit_of_work(write=True) as uow, pytest.raises(sa.exc.DatabaseError):
            uow.conn.execute(sa.delete(dt_.access_denials))
