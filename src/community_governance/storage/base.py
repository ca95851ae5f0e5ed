"""The ``Store`` protocol and the unit of work.

A store hands out units of work. A unit of work is one database transaction: it rolls back
unless :meth:`UnitOfWork.commit` is called, so an error anywhere (a plugin's included) leaves
nothing written. Repositories are small typed classes over one connection, obtained with
:meth:`UnitOfWork.repo`; each capability keeps its own in ``storage/repos/``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Protocol, TypeVar, runtime_checkable

import attrs
import sqlalchemy as sa

__all__ = ["DriverUnitOfWork", "Repository", "SchemaStatus", "Store", "UnitOfWork",
           "begin_driver_write", "driver_transaction_on", "end_driver_write", "transaction",
           "transaction_on"]

R = TypeVar("R", bound="Repository")


class Repository:
    """Base of the typed repositories: a thin layer of SQL over one connection."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.conn = uow.conn

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql`` (or a third party's dialect name)."""
        return self.conn.dialect.name


class UnitOfWork:
    """One transaction on one connection; rolls back unless committed.

    Attributes:
        conn: the SQLAlchemy connection, inside its transaction.
        write: whether the unit of work may write (SQLite takes the write lock at BEGIN).
    """

    def __init__(self, conn: sa.Connection, *, write: bool) -> None:
        self.conn = conn
        self.write = write
        self.committed = False
        self._repos: dict[type[Any], Any] = {}
        self.after_commit: list[Any] = []
        self._driver: Any = None

    @property
    def driver(self) -> Any:
        """The DBAPI driver's own connection under :attr:`conn` (``sqlite3.Connection``,
        ``psycopg.Connection``), for pre-rendered SQL on a hot path."""
        if self._driver is None:
            self._driver = self.conn.connection.driver_connection
        return self._driver

    def repo(self, cls: type[R]) -> R:
        """The repository of class ``cls`` bound to this unit of work (one instance each)."""
        got = self._repos.get(cls)
        if got is None:
            got = self._repos[cls] = cls(self)
        return got

    def commit(self) -> None:
        """Commit the transaction."""
        self.conn.commit()
        self.committed = True


class DriverUnitOfWork(UnitOfWork):
    """A write unit of work whose transaction the driver's connection began (see
    :func:`driver_transaction_on`): committed by SQLAlchemy when a Core statement made it join
    the transaction, else by the driver.

    On PostgreSQL (``pipelined``) the transaction runs in psycopg's pipeline mode until a Core
    statement joins it or it commits: ``BEGIN`` is queued, not sent on its own, so that it
    travels with the first statement whose result is fetched, the writes whose results nobody
    fetches travel with the next fetch, and the last ones with ``COMMIT``; each fetch and the
    commit cost one round trip (see :func:`begin_driver_write`)."""

    def __init__(self, conn: sa.Connection, *, write: bool) -> None:
        super().__init__(conn, write=write)
        #: the pipeline's context manager while the transaction runs in pipeline mode
        self._pipe: Any = None
        #: the driver connection was put in autocommit mode (``pipelined``): undo at the end
        self._autocommit = False

    @property
    def pipelined(self) -> bool:
        """Whether statements sent on :attr:`driver` are queued in psycopg's pipeline (their
        results come at the next fetch, ``rowcount`` and errors included)."""
        return self._pipe is not None

    def sync(self) -> None:
        """Leave pipeline mode: send what is queued and take every result (one round trip
        when anything is queued; errors of queued statements are raised here)."""
        pipe, self._pipe = self._pipe, None
        if pipe is not None:
            self.conn.info.pop("cgov_pipe", None)
            pipe.__exit__(None, None, None)

    def commit(self) -> None:
        """Commit the transaction."""
        if self.conn.in_transaction():
            self.conn.commit()
        elif self._pipe is not None:
            # COMMIT rides with the statements still queued (the audit row): one round trip
            self.driver.execute("COMMIT", prepare=False)
            self.sync()
        else:
            self.driver.commit()
        self.committed = True


@attrs.frozen
class SchemaStatus:
    """Where a database's schema stands against this version of the library.

    Attributes:
        current: the revision the database is at (``None`` for an empty database).
        head: the newest revision this library knows.
        known: whether ``current`` is one of this library's revisions.
    """

    current: str | None
    head: str
    known: bool

    @property
    def up_to_date(self) -> bool:
        """Whether the database is at the head revision."""
        return self.current == self.head


@runtime_checkable
class Store(Protocol):
    """What the services need from storage. The built-in implementation is
    :class:`~community_governance.storage.sql.SqlStore`; a third party returns its own from
    the ``cgov_storage_backend`` hook and proves it with the storage contract suite."""

    url: str

    def unit_of_work(self, *, write: bool) -> contextlib.AbstractContextManager[UnitOfWork]:
        """A unit of work; ``write=True`` takes the write lock at once where the database has
        one (SQLite ``BEGIN IMMEDIATE``)."""
        ...

    def schema_status(self) -> SchemaStatus:
        """Where the schema stands."""
        ...

    def upgrade(self) -> None:
        """Apply every pending migration."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@contextlib.contextmanager
def transaction(engine: sa.Engine, *, write: bool) -> Iterator[UnitOfWork]:
    """Open a connection and a transaction on ``engine`` as a unit of work."""
    with engine.connect() as conn, transaction_on(conn, write=write) as uow:
        yield uow


@contextlib.contextmanager
def transaction_on(conn: sa.Connection, *, write: bool) -> Iterator[UnitOfWork]:
    """A transaction on an open connection as a unit of work (rolled back unless committed)."""
    conn.info["cgov_write"] = write
    conn.begin()
    uow = UnitOfWork(conn, write=write)
    try:
        yield uow
    finally:
        if not uow.committed:
            conn.rollback()


@contextlib.contextmanager
def driver_transaction_on(conn: sa.Connection, *, begin: str | None,
                          pipelined: bool = False) -> Iterator[DriverUnitOfWork]:
    """A write transaction begun on the driver's connection under ``conn`` (``begin``: the
    statement that opens it, e.g. SQLite's ``BEGIN IMMEDIATE``; ``None``: the driver opens
    one at its first statement, as psycopg does), rolled back unless committed.

    SQLAlchemy's own begin and commit cost more than a ledger entry's SQL (issue #21); a Core
    statement run in the unit of work all the same joins the open transaction (the engine's
    begin hook sees the driver in one), and :meth:`DriverUnitOfWork.commit` then commits
    through SQLAlchemy. ``pipelined``: see :func:`begin_driver_write`."""
    uow = begin_driver_write(conn, begin, pipelined=pipelined)
    try:
        yield uow
    finally:
        end_driver_write(conn, uow)


def begin_driver_write(conn: sa.Connection, begin: str | None, *,
                       pipelined: bool = False) -> DriverUnitOfWork:
    """The start of :func:`driver_transaction_on`, for a caller that saves its generator (the
    ledgers' hot path): the unit of work, its transaction begun by ``begin`` (if any).

    ``pipelined`` (psycopg): the driver connection is put in autocommit mode (psycopg would
    otherwise send its own ``BEGIN`` and wait for it) and in pipeline mode, and an explicit
    ``BEGIN`` is queued, so the server runs every statement of the unit of work in one
    transaction as before, without the ``BEGIN``'s own round trip. A Core statement in the
    unit of work first leaves pipeline mode (the engine's begin hook calls
    :meth:`DriverUnitOfWork.sync`); :func:`end_driver_write` rolls back what was not committed
    and takes the connection out of autocommit mode again."""
    conn.info["cgov_write"] = "driver"  # a write; SQLite's begin hook joins the open one
    uow = DriverUnitOfWork(conn, write=True)
    if begin is not None:
        uow.driver.execute(begin)
    elif pipelined:
        driver = uow.driver
        driver.autocommit = True  # idle between units of work: no round trip
        uow._autocommit = True
        try:
            pipe = driver.pipeline()
            pipe.__enter__()
            uow._pipe = pipe
            conn.info["cgov_pipe"] = uow
            driver.execute("BEGIN", prepare=False)  # queued: sent with the first fetch
        except BaseException:
            _abandon_pipeline(conn, uow)
            raise
    return uow


def end_driver_write(conn: sa.Connection, uow: DriverUnitOfWork) -> None:
    """The end of :func:`driver_transaction_on`: roll back unless ``uow`` was committed
    (through SQLAlchemy when a Core statement made it join the transaction)."""
    if uow._autocommit:
        _abandon_pipeline(conn, uow)
        return
    if not uow.committed:
        if conn.in_transaction():
            conn.rollback()
        else:
            uow.driver.rollback()


def _abandon_pipeline(conn: sa.Connection, uow: DriverUnitOfWork) -> None:
    """End a pipelined unit of work: leave pipeline mode (the errors of statements queued
    after a failure are the failure's own: not raised again), roll back unless committed, and
    take the connection out of autocommit mode. A connection that cannot be brought back to
    an idle, non-autocommit state is invalidated, never reused."""
    conn.info.pop("cgov_pipe", None)
    pipe, uow._pipe = uow._pipe, None
    driver = uow.driver
    try:
        if pipe is not None:
            with contextlib.suppress(Exception):
                pipe.__exit__(None, None, None)
        if not uow.committed:
            if conn.in_transaction():
                conn.rollback()
            else:
                driver.rollback()
    finally:
        uow._autocommit = False
        try:
            driver.autocommit = False  # idle again after the commit or the rollback
        except Exception:  # e.g. the connection broke: never reuse it in autocommit mode
            conn.invalidate()
