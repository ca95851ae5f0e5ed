"""Multi-process reliability of the points ledger on SQLite and PostgreSQL: concurrent earn and
redeem of a scarce item, replayed idempotency keys, and a writer killed with SIGKILL."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import community_governance
from community_governance.domain.access import Actor
from community_governance.storage.tables import points as tp
from community_governance.testing.city import build_small_city

from . import points_workers

SYSTEM = Actor.system("test")
STOCK = 6
WORKERS = 4


def _prepare(url: str) -> tuple[list[str], str]:
    with community_governance.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
        residents = city.all_residents()[:8]
        item = gov.supermarket.add_item(SYSTEM, city.communities[0], "大米 5kg", 12, stock=STOCK,
                                        id="RICE")
        for r in residents[:4]:
            gov.points.earn(SYSTEM, r, 30, key=f"seed-{r}")
    return residents, item.id


def _run_session(url: str, rounds: int) -> None:
    residents, item_id = _prepare(url)
    ctx = mp.get_context("spawn")
    with ctx.Pool(WORKERS) as pool:
        results = pool.starmap(points_workers.hammer, [
            (url, w, residents, item_id, rounds, 1000 + w) for w in range(WORKERS)])
    with community_governance.open(url, entrypoints=False) as gov:
        assert gov.points.check(SYSTEM) == []
        entries = gov.points.entries(SYSTEM)
        by_key = {e.idempotency_key: e for e in entries}
        assert len(by_key) == len(entries)
        report = gov.verify()  # balances, stock and every hash chain recomputed
        assert report.ok, report.breaks
        assert report.rows["points_entries"] == len(entries)
        assert report.chains["points_entries"] == len({e.resident_id for e in entries})
        assert report.unchained["points_entries"] == 0
        n_ok = 0
        for res in results:
            for key, rid, amount in res["earned"]:
                assert by_key[key].amount == amount and by_key[key].resident_id == rid
            for key, rid, amount in res["redeemed"]:
                assert by_key[key].amount == -amount and by_key[key].resident_id == rid
            for key, rid, points in res["bought"]:
                assert by_key[key].amount == -points and by_key[key].resident_id == rid
            for key, _ in res["refused"]:
                assert key not in by_key
            n_ok += len(res["earned"]) + len(res["redeemed"]) + len(res["bought"])
        assert len(entries) == n_ok + 4  # the seeds
        bought = sum(len(r["bought"]) for r in results)
        assert bought <= STOCK
        assert gov.supermarket.get_item(item_id).stock == STOCK - bought
        balances = gov.points.balances(SYSTEM)
        assert all(b >= 0 for b in balances.values())
        sums: Counter[str] = Counter()
        for e in entries:
            sums[e.resident_id] += e.amount
        assert {k: v for k, v in sums.items() if v} == {k: v for k, v in balances.items() if v}
        refused = Counter(kind for r in results for _, kind in r["refused"])
        assert refused["OutOfStock"] > 0  # the scarce item really ran out


@pytest.mark.slow
def test_concurrent_processes_sqlite(tmp_path: Path) -> None:
    """Keeps every entry once, no negative balance or stock, journal sums equal balances, when
    four processes earn and redeem a scarce item at once on SQLite."""
    _run_session(f"sqlite:///{tmp_path / 'c.db'}", rounds=60)


@pytest.mark.slow
@pytest.mark.postgres
def test_concurrent_processes_postgres(postgres_url: str) -> None:
    """Keeps the same invariants on PostgreSQL under four concurrent processes."""
    _run_session(postgres_url, rounds=60)


def _replays(url: str) -> None:
    with community_governance.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
        rid = city.all_residents()[0]
    ctx = mp.get_context("spawn")
    with ctx.Pool(WORKERS) as pool:
        ids = pool.starmap(points_workers.replay_same_key,
                           [(url, rid, "same-request", 7)] * (WORKERS * 2))
    assert len(set(ids)) == 1
    with community_governance.open(url, entrypoints=False) as gov:
        assert gov.points.balance(SYSTEM, rid) == 7
        assert [e.idempotency_key for e in gov.points.entries(SYSTEM)] == ["same-request"]


@pytest.mark.slow
def test_replayed_keys_across_processes_sqlite(tmp_path: Path) -> None:
    """Writes once and answers every process with the first entry when eight requests with
    the same key race on SQLite."""
    _replays(f"sqlite:///{tmp_path / 'r.db'}")


@pytest.mark.slow
@pytest.mark.postgres
def test_replayed_keys_across_processes_postgres(postgres_url: str) -> None:
    """Writes once when eight requests with the same key race on PostgreSQL."""
    _replays(postgres_url)


def _kill_in_the_middle(url: str, tmp_path: Path) -> None:
    with community_governance.open(url, entrypoints=False) as gov:
        residents = build_small_city(gov).all_residents()[:5]
    ready = tmp_path / "ready"
    ctx = mp.get_context("spawn")
    proc = ctx.Process(target=points_workers.endless_writes, args=(url, residents, str(ready)))
    proc.start()
    deadline = time.monotonic() + 120
    while not ready.exists():
        assert proc.is_alive() and time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    assert proc.exitcode == -signal.SIGKILL
    with community_governance.open(url, entrypoints=False) as gov:
        assert gov.points.check(SYSTEM) == []
        entries = gov.points.entries(SYSTEM)
        assert len(entries) >= 20
        earned = {e.idempotency_key for e in entries if e.kind.value == "earn"}
        # every write is whole: an earn key with no entry means the transaction never committed
        n = len(earned)
        assert earned == {f"victim-e{i}" for i in range(n)}
        # the ledger takes writes again after the crash
        gov.points.earn(SYSTEM, residents[0], 1, key="after-crash")
        assert gov.points.check(SYSTEM) == []
        report = gov.verify()  # the killed writer's chains and audit stream are whole
        assert report.ok, report.breaks
        assert report.rows["points_entries"] == len(entries) + 1
        engine: Any = gov.store.engine
        with engine.connect() as conn:
            audit = conn.execute(sa.select(sa.func.count()).select_from(
                tp.points_entries)).scalar_one()
        assert audit == len(entries) + 1


@pytest.mark.slow
def test_killed_writer_leaves_ledger_consistent_sqlite(tmp_path: Path) -> None:
    """Leaves the ledger consistent after a writer is killed with SIGKILL mid-stream (SQLite)."""
    _kill_in_the_middle(f"sqlite:///{tmp_path / 'k.db'}?synchronous=FULL", tmp_path)


@pytest.mark.slow
@pytest.mark.postgres
def test_killed_writer_leaves_ledger_consistent_postgres(postgres_url: str,
                                                         tmp_path: Path) -> None:
    """Leaves the ledger consistent after a writer is killed with SIGKILL (PostgreSQL)."""
    _kill_in_the_middle(postgres_url, tmp_path)


def _attendance_race(url: str) -> None:
    import datetime as dt

    from community_governance.domain.volunteers import ActivitySpec
    from community_governance.services.volunteers import NewVolunteer

    with community_governance.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        residents = [r for r in city.all_residents() if city.community_of_resident(r) == c]
        gov.volunteers.register_many(SYSTEM, [NewVolunteer(r) for r in residents])
        start = dt.datetime(2026, 3, 7, 1, tzinfo=dt.UTC)
        acts = [gov.volunteers.create_activity(SYSTEM, ActivitySpec(
            f"活动{i}", c, "environment", "广场", start, start + dt.timedelta(hours=1), 50)).id
            for i in range(8)]
    ctx = mp.get_context("spawn")
    with ctx.Pool(WORKERS) as pool:
        # every worker records every activity: the same rows race, in different orders
        totals = pool.starmap(points_workers.attend_shuffled,
                              [(url, acts, residents, w) for w in range(WORKERS)])
    with community_governance.open(url, entrypoints=False) as gov:
        assert gov.points.check(SYSTEM) == []
        per_activity = 10 * len(residents)
        assert sum(totals) == per_activity * len(acts)  # each attendance recorded once
        entries = gov.points.entries(SYSTEM)
        assert sum(e.amount for e in entries) == per_activity * len(acts) + len(acts) * WORKERS
        report = gov.verify()
        assert report.ok, report.breaks


@pytest.mark.slow
def test_concurrent_attendance_sqlite(tmp_path: Path) -> None:
    """Records every attendance once when four processes record the same activities."""
    _attendance_race(f"sqlite:///{tmp_path / 'a.db'}")


@pytest.mark.slow
@pytest.mark.postgres
def test_concurrent_attendance_postgres(postgres_url: str) -> None:
    """Records every attendance once, without deadlock, on PostgreSQL."""
    _attendance_race(postgres_url)


def _batch_race(url: str) -> None:
    with community_governance.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
        residents = city.all_residents()[:6]
        items = [gov.supermarket.add_item(SYSTEM, city.communities[0], name, 5, stock=8,
                                          id=f"B-{k}").id
                 for k, name in enumerate(("香皂", "牙膏", "毛巾"))]
        for r in residents:
            gov.points.earn(SYSTEM, r, 40, key=f"seed-{r}")
    ctx = mp.get_context("spawn")
    with ctx.Pool(WORKERS) as pool:
        results = pool.starmap(points_workers.redeem_batches, [
            (url, w, residents, items, 25, 2000 + w) for w in range(WORKERS)])
    with community_governance.open(url, entrypoints=False) as gov:
        report = gov.verify()  # balances, stock and every hash chain recomputed
        assert report.ok, report.breaks
        assert gov.points.check(SYSTEM) == []
        bought = Counter(item for r in results for _, _, item in r["bought"])
        for item in items:
            assert gov.supermarket.get_item(item).stock == 8 - bought[item]
        keys = [k for r in results for k, _, _ in r["bought"]]
        assert len(keys) == len(set(keys))
        assert len(gov.supermarket.redemptions(SYSTEM)) == len(keys)
        assert all(b >= 0 for b in gov.points.balances(SYSTEM).values())


@pytest.mark.slow
def test_concurrent_redeem_batches_sqlite(tmp_path: Path) -> None:
    """Batches of redemptions (items and residents in any order), single redemptions and
    earnings from four processes at once: every redemption once, stock and balances
    consistent, no deadlock."""
    _batch_race(f"sqlite:///{tmp_path / 'b.db'}")


@pytest.mark.slow
@pytest.mark.postgres
def test_concurrent_redeem_batches_postgres(postgres_url: str) -> None:
    """The same on PostgreSQL: the batches lock items then balances in a stable order, so no
    deadlock is reported."""
    _batch_race(postgres_url)
