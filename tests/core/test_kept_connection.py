"""A file SQLite store keeps one connection per thread between units of work (issue #21: the
pool's checkout and check-in cost more than a ledger entry's SQL). These tests hold it to the
unit of work's promises: every unit of work ends its transaction, so a kept connection holds
no lock; nested units of work, many threads and close() behave."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

import community_governance
from community_governance.storage.sql import _MAX_KEPT


@pytest.fixture()
def gov(tmp_path: Path):  # type: ignore[no-untyped-def]
    g = community_governance.open(f"sqlite:///{tmp_path / 'k.db'}", entrypoints=False)
    yield g
    g.close()


def _other_writer_can_write(path: Path) -> bool:
    con = sqlite3.connect(path, isolation_level=None, timeout=0.2)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        con.close()


def test_the_same_connection_serves_consecutive_units_of_work(gov, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with gov.store.unit_of_work(write=True) as a:
        first = a.conn
        a.commit()
    with gov.store.unit_of_work(write=False) as b:
        assert b.conn is first
    assert not first.in_transaction()
    assert _other_writer_can_write(tmp_path / "k.db")


def test_a_failed_unit_of_work_rolls_back_and_leaves_no_lock(gov, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError), gov.store.unit_of_work(write=True) as uow:
        uow.conn.execute(sa.text("CREATE TABLE scratch (x INTEGER)"))
        raise RuntimeError("boom")
    assert _other_writer_can_write(tmp_path / "k.db")
    with gov.store.unit_of_work(write=False) as uow:
        names = {r[0] for r in uow.conn.execute(sa.text(
            "SELECT name FROM sqlite_master WHERE type = 'table'"))}
    assert "scratch" not in names


def test_a_nested_unit_of_work_gets_another_connection(gov) -> None:  # type: ignore[no-untyped-def]
    with gov.store.unit_of_work(write=False) as outer:
        with gov.store.unit_of_work(write=False) as inner:
            assert inner.conn is not outer.conn
        kept = outer.conn
    with gov.store.unit_of_work(write=False) as again:
        assert again.conn is kept


def test_threads_keep_at_most_a_few_and_close_closes_them(tmp_path: Path) -> None:
    g = community_governance.open(f"sqlite:///{tmp_path / 't.db'}", entrypoints=False)
    seen: list[object] = []

    def work() -> None:
        for _ in range(3):
            with g.store.unit_of_work(write=False) as uow:
                seen.append(uow.conn)
            g.registry.list_units()

    threads = [threading.Thread(target=work) for _ in range(_MAX_KEPT + 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kept = list(g.store._all_kept)
    assert 0 < len(kept) <= _MAX_KEPT
    g.close()
    assert all(c.closed for c in kept)
    # a closed store's next unit of work opens afresh
    with g.store.unit_of_work(write=False) as uow:
        assert uow.conn not in kept
    g.close()


# --- PostgreSQL: kept too (no check-out, no ping per unit of work), back to the pool when idle

def _backend_pid(g) -> int:  # type: ignore[no-untyped-def]
    with g.store.unit_of_work(write=False) as uow:
        return int(uow.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def test_postgres_keeps_the_connection_between_units_of_work(postgres_url: str) -> None:
    g = community_governance.open(postgres_url, entrypoints=False)
    try:
        checkouts: list[object] = []
        sa.event.listen(g.store.engine.pool, "checkout", lambda *a: checkouts.append(a))
        first = _backend_pid(g)
        for _ in range(5):
            g.registry.list_units()
        assert _backend_pid(g) == first
        assert len(checkouts) == 1  # the first unit of work's only
    finally:
        g.close()


def test_postgres_connection_idle_too_long_is_pinged_again(postgres_url: str) -> None:
    """A kept connection the server closed while it sat idle is not handed out again: past
    the idle limit it goes back to the pool, whose ping replaces it."""
    g = community_governance.open(postgres_url, entrypoints=False)
    try:
        g.store._idle_limit = 0.05
        pid = _backend_pid(g)
        admin = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://",
                                                      1))
        with admin.begin() as conn:
            assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar_one()
        admin.dispose()
        import time

        time.sleep(0.1)
        assert g.registry.list_units() == []
        assert _backend_pid(g) != pid
        assert len(g.store._all_kept) == 1
    finally:
        g.close()


def test_a_connection_whose_options_were_changed_is_not_kept(gov) -> None:  # type: ignore[no-untyped-def]
    """``Connection.execution_options()`` changes the connection itself: one changed so (e.g.
    streaming results) goes back to the pool instead of serving the next unit of work."""
    with gov.store.unit_of_work(write=False) as uow:
        first = uow.conn
        first.execution_options(stream_results=True)
    with gov.store.unit_of_work(write=False) as uow:
        assert uow.conn is not first
        assert "stream_results" not in uow.conn.get_execution_options()
    assert first not in gov.store._all_kept


def test_postgres_streams_leave_the_kept_connection_as_it_was(postgres_url: str) -> None:
    """A streamed read (server-side cursor) does not leave streaming on for the next units of
    work on the kept connection."""
    from community_governance.storage.repos.bulk import streamed

    g = community_governance.open(postgres_url, entrypoints=False)
    try:
        with g.store.unit_of_work(write=False) as uow:
            rows = list(streamed(uow.conn, sa.select(sa.literal(1)), batch=10))
            kept = uow.conn
        assert rows == [(1,)]
        with g.store.unit_of_work(write=False) as uow:
            assert uow.conn is kept
            assert uow.conn.exec_driver_sql("SET LOCAL work_mem = '8MB'") is not None
    finally:
        g.close()
