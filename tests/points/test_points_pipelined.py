"""PostgreSQL's pipelined hot path (issue #21 item 3): an earn or a redeem costs two round
trips (the locked look-up with the queued ``BEGIN``; the balance, the entry and the audit row in
one statement with the ``COMMIT``) and stores exactly what the unpipelined path stores, errors
and replays included; the connection leaves pipeline and autocommit mode after every unit of
work, failed ones included."""

from __future__ import annotations

import itertools
import os
import types
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

import community_governance
import community_governance.services.base as base_module
import community_governance.services.points as points_module
import community_governance.storage.sql as sql_module
from community_governance.domain.access import Actor
from community_governance.errors import CgovError
from community_governance.storage.tables import core as t
from community_governance.storage.tables import points as tp
from community_governance.testing.city import build_small_city
from community_governance.testing.pgschema import postgres_schema

SYSTEM = Actor.system("test")
POSTGRES = os.environ.get("CGOV_TEST_POSTGRES_URL")
needs_postgres = pytest.mark.skipif(not POSTGRES, reason="needs CGOV_TEST_POSTGRES_URL")

#: (pipeline mode, the last entry with its audit row and the commit)
PATHS = {"plain": (False, False), "pipelined": (True, False), "last": (True, True)}


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not POSTGRES:
        pytest.skip("needs CGOV_TEST_POSTGRES_URL")
    return str(request.param)


def _database(backend: str, tmp_path: Path, name: str) -> Any:
    if backend == "sqlite":
        return _sqlite(tmp_path / f"{name}.db")
    assert POSTGRES
    return postgres_schema(POSTGRES)


class _sqlite:
    def __init__(self, path: Path) -> None:
        self.url = f"sqlite:///{path}"

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *exc: object) -> None:
        return None


def _story(gov: Any) -> list[Any]:
    """Earns and redeems by a system job and a grid leader: replays, a conflicting key, an
    overdraft, first entries, a refusal, a held award, personal numbers in a reason, an
    actor named like the hot path's stand-in for the new id. Returns what each call
    answered (an entry's fields, or the error's type and message)."""
    city = build_small_city(gov)
    c = city.communities[0]
    grid = city.grids[c][0]
    leader = city.grid_leader[grid]
    led = [r for b in city.buildings[c] if city.grid_of_building(b) == grid
           for h in city.households[b] if leader.id not in city.residents[h]
           for r in city.residents[h]]  # in the leader's grid, not of their household
    other = next(r for r in city.all_residents() if city.community_of_resident(r) != c)
    a, b, d, e = led[:4]
    odd = Actor.system(f"job-{points_module._NEW_ID}")
    calls: list[Callable[[], Any]] = [
        lambda: gov.points.earn(SYSTEM, a, 10, key="e1", reason="扫雪"),
        lambda: gov.points.earn(SYSTEM, a, 10, key="e1", reason="扫雪"),  # replay
        lambda: gov.points.earn(SYSTEM, a, 11, key="e1"),  # another request, same key
        lambda: gov.points.redeem(SYSTEM, a, 3, key="r1", reason="换米"),
        lambda: gov.points.redeem(SYSTEM, b, 5, key="r2"),  # no points: overdraft
        lambda: gov.points.earn(SYSTEM, b, 7, key="e2"),  # first entry
        lambda: gov.points.redeem(SYSTEM, b, 7, key="r3", reason="13800138000 的兑换"),
        lambda: gov.points.earn(leader, d, 5, key="e3", reason="网格长发放"),
        lambda: gov.points.earn(leader, other, 5, key="e4"),  # outside the grid: refused
        lambda: gov.points.earn(leader, e, 60, key="e5"),  # above the threshold: held
        lambda: gov.points.earn(odd, a, 2, key="e6"),
        lambda: gov.points.redeem(odd, a, 1, key="r4"),
        lambda: gov.points.redeem(SYSTEM, a, 3, key="r1", reason="换米"),  # replay
    ]
    out: list[Any] = []
    for call in calls:
        try:
            got = call()
        except CgovError as exc:
            out.append((type(exc).__name__, str(exc)))
        else:
            out.append(got)
    return out


def _tables(gov: Any) -> dict[str, list[tuple[Any, ...]]]:
    with gov.store.unit_of_work(write=False) as uow:
        return {table.name: [tuple(r) for r in uow.conn.execute(
            sa.select(table).order_by(*table.primary_key.columns))]
            for table in (tp.points_entries, tp.points_balances, tp.points_pending,
                          t.audit_log, t.residents)}


def _run(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
         path: str) -> tuple[list[Any], dict[str, list[tuple[Any, ...]]]]:
    pipelined, last = PATHS[path]
    ids = itertools.count(1)
    with monkeypatch.context() as m, _database(backend, tmp_path, path) as url:
        # the audit streams' names are random: numbered here, so that two runs compare
        m.setattr(base_module, "uuid", types.SimpleNamespace(
            uuid4=lambda: uuid.UUID(int=next(ids))))
        m.setattr(sql_module, "_psycopg_pipeline", lambda engine: pipelined)
        if not last:
            real = points_module.fast_sql

            def two_step(conn: sa.Connection) -> Any:
                fast = real(conn)
                if fast is None or fast.entry_audit is None:
                    return fast
                plain = object.__new__(points_module.FastSql)
                plain.__dict__.update(fast.__dict__, entry_audit=None)
                return plain
            m.setattr(points_module, "fast_sql", two_step)
        with community_governance.open(url, entrypoints=False,
                                       clock=lambda: pendulum.datetime(2026, 3, 7, 2)) as gov:
            answers = _story(gov)
            assert gov.points.check(SYSTEM) == []
            assert gov.verify().ok
            return answers, _tables(gov)


def test_the_pipelined_path_stores_what_the_plain_path_stores(
        backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _run(backend, tmp_path, monkeypatch, "plain")
    answers = [a for a in plain[0] if not isinstance(a, tuple)]
    assert len(answers) == 10 and sum(isinstance(a, tuple) for a in plain[0]) == 3
    assert len(plain[1]["points_entries"]) > 5 and plain[1]["audit_log"]
    for path in ("pipelined", "last"):
        assert _run(backend, tmp_path, monkeypatch, path) == plain, path


# --- PostgreSQL only: round trips, and the connection's state after each unit of work -------


@pytest.fixture
def pg_gov(postgres_url: str) -> Iterator[tuple[Any, list[str]]]:
    with community_governance.open(postgres_url, entrypoints=False) as gov:
        yield gov, build_small_city(gov).all_residents()


def _driver(gov: Any) -> Any:
    with gov.store.unit_of_work(write=False) as uow:
        return uow.conn.connection.driver_connection


def _round_trips(gov: Any, tmp_path: Path, fn: Any) -> int:
    """The times the client waited for the server while ``fn`` ran, from libpq's protocol
    trace: a simple Query, or a run of Sync and Flush messages with nothing between."""
    import psycopg

    driver = _driver(gov)
    trace = tmp_path / "trace.txt"
    with trace.open("w") as f:
        driver.pgconn.trace(f.fileno())
        driver.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            fn()
        finally:
            driver.pgconn.untrace()
    sent = [line.split("\t")[2] for line in trace.read_text().splitlines()
            if line.startswith("F\t")]
    waits, prev = 0, ""
    for kind in sent:
        if kind == "Query" or (kind in ("Sync", "Flush") and prev not in ("Sync", "Flush")):
            waits += 1
        prev = kind
    return waits


@needs_postgres
def test_an_earn_and_a_redeem_cost_two_round_trips(
        pg_gov: tuple[Any, list[str]], tmp_path: Path) -> None:
    gov, res = pg_gov
    gov.points.earn(SYSTEM, res[0], 10, key="first")  # the balance row exists from here on
    assert _round_trips(gov, tmp_path, lambda: gov.points.earn(
        SYSTEM, res[0], 5, key="e")) == 2
    assert _round_trips(gov, tmp_path, lambda: gov.points.redeem(
        SYSTEM, res[0], 3, key="r")) == 2
    assert gov.points.balance(SYSTEM, res[0]) == 12


@needs_postgres
def test_the_connection_leaves_pipeline_and_autocommit_mode(
        pg_gov: tuple[Any, list[str]]) -> None:
    """After a commit, a replay (unique key), an overdraft and a Core statement that joins,
    the kept connection is idle, out of pipeline mode and out of autocommit mode; a rolled back
    unit of work left nothing."""
    from psycopg.pq import TransactionStatus

    gov, res = pg_gov
    driver = _driver(gov)

    def idle() -> None:
        assert driver.autocommit is False and driver._pipeline is None
        assert driver.pgconn.transaction_status == TransactionStatus.IDLE

    gov.points.earn(SYSTEM, res[0], 10, key="k")
    idle()
    gov.points.earn(SYSTEM, res[0], 10, key="k")  # the key fails in the pipeline: replayed
    idle()
    with pytest.raises(CgovError):
        gov.points.redeem(SYSTEM, res[0], 1000, key="big")
    idle()
    store = gov.store
    with store.driver_unit_of_work() as uow:
        assert uow.pipelined
        uow.driver.execute("UPDATE points_balances SET balance = 99 WHERE resident_id = %s",
                           (res[0],))
        n = uow.conn.execute(sa.text("SELECT balance FROM points_balances WHERE "
                                     "resident_id = :r"), {"r": res[0]}).scalar_one()
        assert n == 99 and uow.conn.in_transaction() and not uow.pipelined
    idle()  # rolled back: never committed
    assert gov.points.balance(SYSTEM, res[0]) == 10
    with store.driver_unit_of_work() as uow:
        uow.conn.execute(sa.text("DELETE FROM access_denial_counts WHERE false"))
        uow.commit()
    idle()
    assert gov.points.check(SYSTEM) == []
