"""The SQLAlchemy Core store: ``memory://``, ``sqlite:///path`` and ``postgresql://...``.

SQLite runs in WAL mode with foreign keys on, ``synchronous=FULL`` (``?synchronous=NORMAL``
trades the last commits before a power cut for speed) and a busy timeout; a writer takes the
write lock with ``BEGIN IMMEDIATE`` so that two writers never deadlock on a lock upgrade.
``memory://`` is a private in-process SQLite database. PostgreSQL uses psycopg 3 (the
``postgresql`` extra).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import StaticPool

from community_governance.errors import StorageError
from community_governance.storage import migrate
from community_governance.storage.base import (
    SchemaStatus,
    UnitOfWork,
    begin_driver_write,
    driver_transaction_on,
    end_driver_write,
    transaction,
    transaction_on,
)

__all__ = ["SqlStore", "engine_for_url"]

#: connections a file SQLite or a PostgreSQL store keeps out of its pool, one per thread (the
#: pool holds 5)
_MAX_KEPT = 4
#: A PostgreSQL connection kept idle for longer than this (seconds) goes back to the pool,
#: which pings it before handing it out again (``pool_pre_ping``): the server may have closed
#: it meanwhile. One used again sooner is used without the ping's round trip.
_KEPT_IDLE_S = 2.0


def engine_for_url(url: str) -> sa.Engine:
    """Create the SQLAlchemy engine for a ``memory://``, ``sqlite:`` or ``postgresql:`` URL."""
    if url.startswith("memory://"):
        engine = sa.create_engine(
            "sqlite://",
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
        )
        _configure_sqlite(engine, wal=False, synchronous="OFF")
        return engine
    if url.startswith("sqlite:"):
        u = sa.engine.make_url(url)
        # FULL: an acknowledged write survives a power cut (the ledgers' promise); NORMAL
        # (?synchronous=NORMAL) may lose the last commits on power loss, never corrupts
        sync = str(u.query.get("synchronous", "FULL")).upper()
        if sync not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise StorageError(f"synchronous={sync} is not a SQLite setting (OFF|NORMAL|FULL)")
        timeout = float(str(u.query.get("timeout", "30")))
        u = u.difference_update_query(["synchronous", "timeout"])
        if u.database and u.database != ":memory:":
            parent = Path(u.database).expanduser().resolve().parent
            if not parent.is_dir():
                raise StorageError(
                    f"cannot open {url}: the folder {parent} does not exist; create it first"
                )
        engine = sa.create_engine(u, connect_args={"timeout": timeout})
        _configure_sqlite(engine, wal=True, synchronous=sync, timeout_ms=int(timeout * 1000))
        return engine
    if url.startswith(("postgresql:", "postgres:", "postgresql+psycopg:")):
        u = sa.engine.make_url(url.replace("postgres://", "postgresql://", 1))
        if u.drivername in ("postgresql", "postgres"):
            u = u.set(drivername="postgresql+psycopg")
        try:
            engine = sa.create_engine(u, pool_pre_ping=True)
        except ModuleNotFoundError as exc:
            raise StorageError(
                "PostgreSQL needs psycopg 3: pip install 'community-governance[postgresql]'"
            ) from exc
        _configure_postgresql(engine)
        return engine
    raise StorageError(
        f"no built-in storage backend serves {url!r}: use memory://, sqlite:///path or "
        "postgresql://user@host/db, or install a plugin that answers cgov_storage_backend"
    )


def _configure_postgresql(engine: sa.Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # a Core statement in a pipelined unit of work (the ledgers' hot path): leave pipeline
        # mode first (the queued BEGIN and statements go out and their results come back),
        # as SQLAlchemy reads each statement's result when it runs it
        uow = conn.info.get("cgov_pipe")
        if uow is not None:
            uow.sync()


def _psycopg_pipeline(engine: sa.Engine) -> bool:
    """Whether ``engine`` runs on psycopg with a libpq that has pipeline mode (14 or later)."""
    if engine.dialect.driver != "psycopg":
        return False
    import psycopg

    return bool(psycopg.Pipeline.is_supported())


def _configure_sqlite(
    engine: sa.Engine, *, wal: bool, synchronous: str, timeout_ms: int = 30000
) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if wal:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute(f"PRAGMA busy_timeout={timeout_ms}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # straight to the driver: this runs once per unit of work, on the hot path of ledgers
        driver = conn.connection.driver_connection
        assert driver is not None
        mode = conn.info.get("cgov_write")
        if mode == "driver" and driver.in_transaction:
            return  # the ledgers' hot path began it on the driver: SQLAlchemy joins it
        driver.execute("BEGIN IMMEDIATE" if mode else "BEGIN")


class SqlStore:
    """A :class:`~community_governance.storage.base.Store` on SQLAlchemy Core.

    Args:
        url: the URL it was opened with (kept for messages).
        engine: the engine; see :func:`engine_for_url`.
    """

    def __init__(self, url: str, engine: sa.Engine) -> None:
        self.url = url
        self.engine = engine
        self._memory = url.startswith("memory://")
        self._lock = threading.RLock() if self._memory else None
        if self._memory:
            migrate.create_fresh(engine)
        # A file SQLite or a PostgreSQL store keeps one connection per thread out of the pool
        # between units of work: checking a connection out of the pool and back in (with its
        # reset) cost more than a ledger entry's own SQL (issue #21), and on PostgreSQL the
        # check-out pings the server (a round trip per unit of work). A connection held
        # between units of work holds no lock (every unit of work ends in a commit or a
        # rollback); a nested unit of work, another process (after a fork) or an invalidated
        # connection falls back to the pool, and a PostgreSQL connection idle for longer than
        # _KEPT_IDLE_S goes back to it (to be pinged); close() closes them all.
        name = engine.dialect.name
        self._keep = (name == "sqlite" and not self._memory) or name == "postgresql"
        self._idle_limit = _KEPT_IDLE_S if name == "postgresql" else None
        self._kept = threading.local()
        self._all_kept: list[sa.Connection] = []
        self._kept_lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> SqlStore:
        """Open the store for ``url`` (see :func:`engine_for_url`)."""
        return cls(url, engine_for_url(url))

    @property
    def dialect(self) -> str:
        """The SQL dialect's name."""
        return self.engine.dialect.name

    @contextlib.contextmanager
    def unit_of_work(self, *, write: bool) -> Iterator[UnitOfWork]:
        """A unit of work; see :class:`~community_governance.storage.base.UnitOfWork`."""
        if self._lock is not None:
            with self._lock, transaction(self.engine, write=write) as uow:
                yield uow
            return
        conn = self._take() if self._keep else None
        if conn is None:
            with transaction(self.engine, write=write) as uow:
                yield uow
            return
        try:
            with transaction_on(conn, write=write) as uow:
                yield uow
        finally:
            self._release()

    @contextlib.contextmanager
    def driver_unit_of_work(self) -> Iterator[UnitOfWork]:
        """A write unit of work whose transaction is begun and ended on the driver's own
        connection (see :func:`~community_governance.storage.base.driver_transaction_on`):
        the ledgers' hot path. ``memory://`` and other dialects get :meth:`unit_of_work`."""
        name = self.engine.dialect.name
        if self._lock is not None or name not in ("sqlite", "postgresql"):
            with self.unit_of_work(write=True) as uow:
                yield uow
            return
        begin = "BEGIN IMMEDIATE" if name == "sqlite" else None
        # psycopg: BEGIN queued in pipeline mode, sent with the first fetch (one round trip less)
        pipelined = name == "postgresql" and _psycopg_pipeline(self.engine)
        conn = self._take() if self._keep else None
        if conn is None:
            with self.engine.connect() as conn, driver_transaction_on(
                    conn, begin=begin, pipelined=pipelined) as duow:
                yield duow
            return
        try:  # driver_transaction_on without its generator: one less per ledger entry
            uow = begin_driver_write(conn, begin, pipelined=pipelined)
            try:
                yield uow
            finally:
                end_driver_write(conn, uow)
        finally:
            self._release()

    def _release(self) -> None:
        """This thread's kept connection is free again (and when, for the idle limit)."""
        kept = self._kept
        kept.busy = False
        if self._idle_limit is not None:
            kept.last = time.monotonic()

    def _take(self) -> sa.Connection | None:
        """This thread's kept connection, opened on first use; ``None`` when it is in use
        (a nested unit of work). One that belongs to another process (after a fork: left
        alone), was invalidated or closed, or (PostgreSQL) sat idle too long is replaced."""
        kept = self._kept
        conn: sa.Connection | None = getattr(kept, "conn", None)
        if getattr(kept, "busy", False):
            return None
        if conn is not None and kept.pid != os.getpid():
            conn = None  # the parent's: never touched here
        elif conn is not None and (
                conn.closed or conn.invalidated
                or (self._idle_limit is not None
                    and time.monotonic() - kept.last > self._idle_limit)
                or conn.get_execution_options() != self.engine.get_execution_options()):
            # an idle one goes back to the pool, which pings it before handing it out again;
            # so does one whose options a caller changed (Connection.execution_options()
            # changes the connection itself: e.g. stream_results would stay on)
            self._drop(conn)
            conn = None
        if conn is None:
            with self._kept_lock:
                if len(self._all_kept) >= _MAX_KEPT:
                    kept.conn = None
                    return None  # many threads: the others use the pool
                conn = self.engine.connect()
                self._all_kept.append(conn)
            kept.conn, kept.pid = conn, os.getpid()
        kept.busy = True
        return conn

    def _drop(self, conn: sa.Connection) -> None:
        """Close a kept connection of this process (back to the pool) and forget it."""
        with self._kept_lock:
            if conn in self._all_kept:
                self._all_kept.remove(conn)
        with contextlib.suppress(Exception):
            conn.close()

    def schema_status(self) -> SchemaStatus:
        """Where this database's schema stands against the library's migrations."""
        return migrate.status(self.engine)

    def upgrade(self) -> None:
        """Apply every pending migration (``cgov db upgrade``)."""
        migrate.upgrade(self.engine)

    def close(self) -> None:
        """Dispose of the engine's connections (the kept ones included)."""
        with self._kept_lock:
            kept, self._all_kept = self._all_kept, []
        for conn in kept:
            with contextlib.suppress(Exception):
                conn.close()
        self._kept = threading.local()
        self.engine.dispose()
