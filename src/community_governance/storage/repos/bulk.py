"""Bulk inserts (批量写入): rows with the same keys, as fast as the driver allows; and
streamed reads (a result fetched a batch at a time)."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import operator
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

from community_governance.errors import ConflictError, ValidationError

__all__ = ["ANALYZE_MIN_ROWS", "ANALYZE_SHARE", "COPY_MIN_ROWS", "FK_REBUILD_MIN_ROWS",
           "FK_REBUILD_SHARE", "CopyWorker", "analyze_after_load", "bulk_insert",
           "can_stream_copy", "chunks", "copy_insert", "foreign_keys_rebuilt", "indexes_rebuilt",
           "insert_returning_ids", "insert_rows", "stream_copy", "streamed"]

#: Batches of at least this many rows go through ``COPY`` on PostgreSQL (psycopg 3); a single
#: row through an ``INSERT`` (``COPY`` costs a round trip of its own to set up, but from two
#: rows on it is faster than psycopg's pipelined ``executemany``: measured in
#: ``benchmarks/bench_registry.py``'s ``copy_crossover`` figure).
COPY_MIN_ROWS = 2

#: A bulk load of at least this many rows on PostgreSQL may have its tables' foreign keys
#: dropped and re-added around it (:func:`foreign_keys_rebuilt`) ...
FK_REBUILD_MIN_ROWS = 10_000
#: ... when it also adds at least this share of the rows the tables will then hold (re-adding
#: a foreign key checks every row of the table, not only the new ones).
FK_REBUILD_SHARE = 0.25

#: A ``COPY`` of at least this many rows into a table on PostgreSQL is followed by ``ANALYZE``
#: of the table ...
ANALYZE_MIN_ROWS = 1000
#: ... when the rows are at least this share of what the planner believed the table held (or
#: it never analyzed it): PostgreSQL's documented last step of a bulk load, so that the
#: queries after it are planned for the table's new size and values (the server may run no
#: autovacuum, and its daemon would come a minute later at best).
ANALYZE_SHARE = 0.5

T = TypeVar("T")

_MISSING = object()


def chunks(items: Sequence[T], size: int = 900) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size``, e.g. to keep an ``IN (...)`` list under the
    database's limit on bound parameters."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


def bulk_insert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows that all have the same keys, as fast as the driver allows.

    On SQLite the values go through each column type's bind processor once and straight to
    the driver's ``executemany`` (SQLAlchemy's per-row parameter processing costs more than
    the insert itself). On PostgreSQL through psycopg 3, a batch of at least
    :data:`COPY_MIN_ROWS` rows is streamed with ``COPY ... FROM STDIN``
    (:func:`copy_insert`) on the connection's own transaction; otherwise this is
    ``conn.execute(table.insert(), rows)``.

    Raises:
        sqlalchemy.exc.IntegrityError: a row breaks a constraint (whichever path wrote it);
            the transaction (or the enclosing savepoint) must then be rolled back.
    """
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        if len(rows) >= COPY_MIN_ROWS and copy_insert(conn, table, rows):
            return
        conn.execute(table.insert(), rows)
        return
    keys = list(rows[0])
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    procs = [table.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in keys]
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(k) for k in keys)}) "
           f"VALUES ({', '.join('?' for _ in keys)})")
    processed: list[tuple[int, Any, dict[Any, Any]]] = [
        (j, proc, {}) for j, proc in enumerate(procs) if proc is not None]
    get = operator.itemgetter(*keys)
    if not processed:
        params: list[Any] = [get(r) if len(keys) > 1 else (get(r),) for r in rows]
    else:
        params = []
        for r in rows:
            got = get(r)
            vals = list(got) if len(keys) > 1 else [got]
            for j, proc, cache in processed:
                v = vals[j]
                if v is None:
                    continue
                # processed values (dates, times, flags) repeat a lot: process each once
                try:
                    out = cache.get(v, _MISSING)
                    if out is _MISSING:
                        out = cache[v] = proc(v)
                except TypeError:  # an unhashable value
                    out = proc(v)
                vals[j] = out
            params.append(tuple(vals))
    conn.exec_driver_sql(sql, params)


def insert_returning_ids(conn: sa.Connection, table: sa.Table,
                         rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (all of one shape) into ``table``, whose key ``id`` the database
    numbers; their new ids, in the order given.

    On SQLite the writer holds the database's write lock (``BEGIN IMMEDIATE``), so no one
    else inserts meanwhile, and SQLite numbers new rows above the largest id in the order they
    come: the rows go in through :func:`bulk_insert` (the driver's ``executemany``) and their
    ids are the ones above the largest before (SQLite does not promise the order of a
    multi-row ``RETURNING``, and one in parameter order would go row by row). On PostgreSQL
    through psycopg, a batch of at least :data:`COPY_MIN_ROWS` rows takes its ids from the
    column's sequence in one statement (ascending, in the order given, as ``INSERT ...
    RETURNING`` numbers them in one session) and is copied with them (:func:`copy_insert`'s
    ``COPY``: 18 ms for a thousand rows of four indexes, where ``INSERT ... RETURNING`` took
    53 ms);
    elsewhere, or for a column with no sequence, ``INSERT ... RETURNING`` in parameter order.

    Raises:
        ConflictError: on SQLite, other rows appeared meanwhile (the database was written
            without its lock); the caller's transaction must be rolled back.
    """
    if not rows:
        return []
    if conn.dialect.name != "sqlite":
        keys = [*rows[0], "id"]
        if len(rows) >= COPY_MIN_ROWS and "id" not in rows[0] and _copyable(
                conn, table, keys[:-1], rows) and _copyable(conn, table, keys, []):
            ids = _sequence_ids(conn, table, len(rows))
            if ids is not None:
                _copy(conn, table, keys, ({**r, "id": i} for r, i in zip(rows, ids, strict=True)))
                return ids
        return [int(i) for i in conn.execute(
            table.insert().returning(table.c.id, sort_by_parameter_order=True), rows).scalars()]
    before = conn.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
    bulk_insert(conn, table, rows)
    ids = [int(i) for i in conn.execute(sa.select(table.c.id).where(table.c.id > before)
                                        .order_by(table.c.id)).scalars()]
    if len(ids) != len(rows):  # pragma: no cover - another writer inside our write lock
        raise ConflictError(f"{len(rows)} rows were written into {table.name} but {len(ids)} "
                            "new ids found (was the database written without its lock?); "
                            "nothing was kept: retry")
    return ids


def _sequence_ids(conn: sa.Connection, table: sa.Table, n: int) -> list[int] | None:
    """``n`` new values of the sequence behind ``table.id`` on PostgreSQL, ascending (taken
    in one statement, so that they are used as ``INSERT`` would use them), or ``None`` when
    the column has no sequence (nothing taken)."""
    name = conn.dialect.identifier_preparer.format_table(table)
    got = conn.execute(sa.text(
        "SELECT nextval(s.seq) FROM (SELECT pg_get_serial_sequence(:t, 'id') AS seq) AS s, "
        "generate_series(1, :n) WHERE s.seq IS NOT NULL"), {"t": name, "n": n}).scalars().all()
    if not got:
        return None
    return sorted(int(i) for i in got)


def insert_rows(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """``conn.execute(table.insert(), rows)``, except that on PostgreSQL a large batch is
    copied (:func:`bulk_insert`); SQLite keeps the plain ``INSERT``.

    For the batch APIs whose rows may come from callers; the errors are the same
    (``IntegrityError`` on a broken constraint).
    """
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        bulk_insert(conn, table, rows)
    else:
        conn.execute(table.insert(), rows)


def _copyable(conn: sa.Connection, table: sa.Table, keys: list[str],
              rows: list[dict[str, Any]]) -> bool:
    """Whether ``COPY`` writes exactly what ``table.insert()`` would."""
    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg":
        return False
    names = set(keys)
    for c in table.c:
        # COPY applies server defaults only; a client-side default would be skipped
        if c.name not in names and (c.default is not None or c.onupdate is not None):
            return False
        if c.name in names and c.key != c.name:
            return False
    if not names <= set(table.c.keys()):
        return False
    n = len(keys)
    return all(len(r) == n and r.keys() == names for r in rows)


def copy_insert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> bool:
    """Write ``rows`` with PostgreSQL's ``COPY ... FROM STDIN`` (psycopg 3's ``cursor.copy``).

    The rows go through the same column bind processors as an ``INSERT`` and are copied on
    the driver connection underneath ``conn``, inside its open transaction: a failure leaves
    the transaction to be rolled back as usual, and nothing of the batch stays.

    Returns:
        ``False`` (writing nothing) when ``COPY`` cannot stand in for the ``INSERT``: another
        database or driver, rows with different keys, or a column with a client-side default.

    Raises:
        sqlalchemy.exc.IntegrityError: a row breaks a constraint (the driver's error, wrapped
            as SQLAlchemy wraps it for an ``INSERT``); other driver errors as
            :class:`sqlalchemy.exc.DBAPIError`.
    """
    if not rows:
        return True
    keys = list(rows[0])
    if not _copyable(conn, table, keys, rows):
        return False
    _copy(conn, table, keys, rows)
    analyze_after_load(conn, table, len(rows))
    return True


def can_stream_copy(conn: sa.Connection, table: sa.Table, keys: Sequence[str]) -> bool:
    """Whether :func:`stream_copy` can write rows of ``keys`` into ``table`` on ``conn``."""
    return _copyable(conn, table, list(keys), [])


def stream_copy(conn: sa.Connection, table: sa.Table, keys: Sequence[str],
                rows: Iterable[dict[str, Any]]) -> None:
    """Copy ``rows`` (each with exactly ``keys``) as they are produced, in one ``COPY``.

    The server checks and indexes the rows already sent while the caller builds the next
    ones. An exception raised by the iterator aborts the ``COPY`` (nothing of it stays once
    the transaction or savepoint is rolled back) and propagates. Check
    :func:`can_stream_copy` first.

    Raises:
        sqlalchemy.exc.IntegrityError: a row breaks a constraint.
        ValidationError: a row lacks one of ``keys`` or has another.
    """
    counted = _Counted(_same_keys(rows, list(keys)))
    _copy(conn, table, list(keys), counted)
    analyze_after_load(conn, table, counted.n)


class _Counted:
    """An iterable that counts the items taken from it."""

    def __init__(self, items: Iterable[dict[str, Any]]) -> None:
        self._items = items
        self.n = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for item in self._items:
            self.n += 1
            yield item


def analyze_after_load(conn: sa.Connection, table: sa.Table, rows: int) -> bool:
    """``ANALYZE`` ``table`` after a load of ``rows`` rows on PostgreSQL, when the load is at
    least :data:`ANALYZE_MIN_ROWS` rows and :data:`ANALYZE_SHARE` of the rows the planner
    believed the table held (``pg_class.reltuples``; never analyzed counts as none).

    It runs in the caller's transaction (rolled back with it) and takes the table's
    ``SHARE UPDATE EXCLUSIVE`` lock until the transaction ends: reads and writes go on; another
    ``ANALYZE`` of the table waits. Returns whether the table was analyzed.
    """
    if rows < ANALYZE_MIN_ROWS or conn.dialect.name != "postgresql":
        return False
    name = conn.dialect.identifier_preparer.format_table(table)
    believed = conn.exec_driver_sql(
        "SELECT reltuples FROM pg_class WHERE oid = %(t)s::regclass", {"t": name}).scalar()
    if believed is not None and believed >= 0 and rows < ANALYZE_SHARE * believed:
        return False
    conn.exec_driver_sql(f"ANALYZE {name}")
    return True


class CopyWorker:
    """Copies batches in a background thread, in the order given, on ``conn`` (PostgreSQL).

    The caller builds the next batch while the server checks the last one (a ``COPY``
    checks its foreign keys once all its rows are in): a bulk load costs about the larger of
    the caller's time and the server's, not their sum. While the worker runs, the caller must
    not use ``conn``; :meth:`close` waits for every batch and raises the first error (the
    batches after a failed one are not copied). Use as a context manager: leaving it closes
    it, and an exception of the caller wins over one of the worker.
    """

    def __init__(self, conn: sa.Connection) -> None:
        import queue
        import threading

        self._conn = conn
        self._queue: queue.Queue[tuple[str, bytes | list[list[Any]]] | None] = (
            queue.Queue(maxsize=4))
        self._error: BaseException | None = None
        self._loaded: dict[sa.Table, int] = {}
        self._thread = threading.Thread(target=self._run, name="cgov-copy", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            if self._error is None:
                try:
                    _send(self._conn, *job)
                except BaseException as exc:  # handed to the caller by close()
                    self._error = exc

    def submit(self, table: sa.Table, keys: Sequence[str], rows: list[dict[str, Any]]) -> None:
        """Queue ``rows`` (each with exactly ``keys``) for ``table``; raises the worker's
        error early if a batch already failed."""
        if self._error is not None:
            self.close()
        if rows:
            self._loaded[table] = self._loaded.get(table, 0) + len(rows)
            # the rows are encoded here: the worker only sends them (one write and a wait,
            # so the two threads seldom wait for each other's turn at the interpreter)
            names = list(keys)
            cols = _columns(self._conn, table, names, rows)
            driver = self._conn.connection.driver_connection
            data = _encoded_columns(cols, driver.info.encoding if driver is not None
                                    else "utf-8")
            self._queue.put((_copy_sql(self._conn, table, names),
                             [list(r) for r in zip(*cols, strict=True)] if data is None
                             else data))

    def close(self) -> None:
        """Wait for every queued batch; raise the first error. Once all are copied, each
        table that received a large share of its rows is analyzed
        (:func:`analyze_after_load`)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            self._loaded.clear()
            raise error
        loaded, self._loaded = self._loaded, {}
        for table, rows in loaded.items():
            analyze_after_load(self._conn, table, rows)

    def __enter__(self) -> CopyWorker:
        return self

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if exc is None:
            self.close()
            return
        self._loaded.clear()  # nothing to analyze: the load failed
        with contextlib.suppress(BaseException):  # the caller's exception is the one raised
            self.close()


def _same_keys(rows: Iterable[dict[str, Any]], keys: list[str]) -> Iterator[dict[str, Any]]:
    names = set(keys)
    for r in rows:
        if len(r) != len(keys) or r.keys() != names:
            raise ValidationError(f"a row to copy has the keys {sorted(r)}, not {sorted(keys)}")
        yield r


def _copy_sql(conn: sa.Connection, table: sa.Table, keys: list[str]) -> str:
    prep = conn.dialect.identifier_preparer
    return (f"COPY {prep.format_table(table)} ({', '.join(prep.quote(k) for k in keys)}) "
            "FROM STDIN")


def _columns(conn: sa.Connection, table: sa.Table, keys: list[str],
             rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """The values of ``rows`` a column at a time, in ``keys`` order, each through its
    column's bind processor (each distinct value once: they repeat a lot)."""
    dialect = conn.dialect
    out: list[list[Any]] = []
    for k in keys:
        col = [r[k] for r in rows]
        proc = table.c[k].type.dialect_impl(dialect).bind_processor(dialect)
        if proc is not None:
            try:
                memo = {v: proc(v) for v in set(col) if v is not None}
                col = [None if v is None else memo[v] for v in col]
            except TypeError:  # an unhashable value
                col = [None if v is None else proc(v) for v in col]
        out.append(col)
    return out


def _copy(conn: sa.Connection, table: sa.Table, keys: list[str],
          rows: Iterable[dict[str, Any]]) -> None:
    """Copy ``rows`` in one ``COPY``, encoded here a block at a time (psycopg adapts a block
    holding a value of a type not written here)."""
    driver = conn.connection.driver_connection
    encoding = driver.info.encoding if driver is not None else "utf-8"

    def blocks() -> Iterator[bytes | list[list[Any]]]:
        it = iter(rows)
        while block := list(itertools.islice(it, _ENCODE_BLOCK)):
            cols = _columns(conn, table, keys, block)
            data = _encoded_columns(cols, encoding)
            yield data if data is not None else [list(r) for r in zip(*cols, strict=True)]

    _send(conn, _copy_sql(conn, table, keys), blocks())


def _send(conn: sa.Connection, sql: str,
          data: bytes | list[list[Any]] | Iterable[bytes | list[list[Any]]]) -> None:
    """Run ``sql`` (a ``COPY ... FROM STDIN``) with ``data``: the rows' encoded text, the
    rows (value lists, adapted by psycopg), or blocks of either."""
    import psycopg

    driver = conn.connection.driver_connection
    assert driver is not None
    parts: Iterable[bytes | list[list[Any]]] = (
        [data] if isinstance(data, bytes | list) else data)
    try:
        with driver.cursor() as cur, cur.copy(sql) as copy:
            for part in parts:
                if isinstance(part, bytes):
                    copy.write(part)
                else:
                    write = copy.write_row
                    for vals in part:
                        write(vals)
    except psycopg.Error as exc:
        raise sa.exc.DBAPIError.instance(sql, None, exc, psycopg.Error,
                                         dialect=conn.dialect) from exc


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_SPECIAL = ("\\", "\t", "\n", "\r")
_NULL = "\\N"
_NONE_TYPE = type(None)
#: Rows encoded at a time when a batch is written as ``COPY`` text (bounds the memory held).
_ENCODE_BLOCK = 5000


class _NotEncoded(Exception):
    """A value of a type not written here (psycopg's own adaptation is used instead)."""


def _text_column(col: list[Any]) -> list[str]:
    """One column's values as ``COPY`` text fields (``\\N`` for ``None``), converted a
    column at a time: the values of a column share their type, so the type is looked at once.

    Raises:
        _NotEncoded: a value of another type than text, whole numbers, flags, floats, dates
            and naive timestamps, or a column of mixed types.
    """
    kinds = set(map(type, col))
    nulls = _NONE_TYPE in kinds
    kinds.discard(_NONE_TYPE)
    if not kinds:
        return [_NULL] * len(col)
    if len(kinds) > 1:
        raise _NotEncoded
    kind = kinds.pop()
    vals = [v for v in col if v is not None] if nulls else col
    out: list[str]
    if kind is str:
        joined = "".join(vals)
        out = ([v.translate(_ESCAPES) for v in vals] if any(c in joined for c in _SPECIAL)
               else vals)
    elif kind is bool:
        out = ["t" if v else "f" for v in vals]
    elif kind is int:
        out = list(map(str, vals))
    elif kind is float:
        out = list(map(repr, vals))
    elif issubclass(kind, dt.datetime):
        # the bind processors hand over naive UTC timestamps; those repeat a lot
        if any(v.tzinfo is not None for v in vals):
            raise _NotEncoded
        memo = {v: dt.datetime.isoformat(v, " ") for v in set(vals)}
        out = list(map(memo.__getitem__, vals))
    elif issubclass(kind, dt.date):
        out = list(map(dt.date.isoformat, vals))
    else:
        raise _NotEncoded
    if not nulls:
        return out
    it = iter(out)
    return [_NULL if v is None else next(it) for v in col]


def _encoded_columns(cols: Sequence[list[Any]], encoding: str) -> bytes | None:
    """Rows given as their columns (each value through its bind processor), in ``COPY``'s
    text format in the connection's ``encoding``; ``None`` when a value is not of a type
    written here (:func:`_text_column`)."""
    try:
        texts = [_text_column(c) for c in cols]
    except _NotEncoded:
        return None
    if not texts or not texts[0]:
        return b""
    lines = map("\t".join, zip(*texts, strict=True)) if len(texts) > 1 else iter(texts[0])
    return ("\n".join(lines) + "\n").encode(encoding)


@contextlib.contextmanager
def foreign_keys_rebuilt(conn: sa.Connection, tables: Sequence[sa.Table],
                         rows: int) -> Iterator[bool]:
    """Drop the foreign keys of ``tables`` for a bulk load of about ``rows`` rows into each
    and re-add them after it (PostgreSQL's documented bulk-loading technique).

    A row inserted under a foreign key is checked by a trigger of its own, an index look-up
    and a row lock each; re-adding the key checks all the rows at once (one join), which is
    several times faster for a large load. Worth it only when the load is at least
    :data:`FK_REBUILD_MIN_ROWS` rows and at least :data:`FK_REBUILD_SHARE` of the rows the
    tables will hold (those already there are counted up to the bound), and only on
    PostgreSQL: elsewhere, and below those sizes, nothing is changed and ``False`` is yielded.

    The drop, the block and the re-add run in a savepoint of the caller's open transaction:
    when the block or a re-add raises, the savepoint is rolled back (the keys are back, the
    block's rows are gone) and the error propagates; no other session ever sees the tables
    without their keys. But ``ALTER TABLE`` takes an ``ACCESS EXCLUSIVE`` lock on each table
    and on the tables the keys refer to, held until the caller's transaction ends: other
    sessions' reads and writes of them wait for the load to commit.

    Yields:
        Whether the keys were dropped.

    Raises:
        sqlalchemy.exc.IntegrityError: a row breaks a key (raised by the re-add, where its
            ``INSERT`` would have raised it).
    """
    if conn.dialect.name != "postgresql" or not _large_load(conn, tables, rows):
        yield False
        return
    prep = conn.dialect.identifier_preparer
    names = [prep.format_table(tb) for tb in tables]
    keys: list[tuple[str, str, str]] = []
    for name in names:
        found = conn.exec_driver_sql(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %(t)s::regclass AND contype = 'f' ORDER BY conname",
            {"t": name}).all()
        keys.extend((name, con, definition) for con, definition in found)
    if not keys:
        yield False
        return
    with conn.begin_nested():  # a failure rolls back to here: the keys are back
        for name, con, _ in keys:
            conn.exec_driver_sql(f"ALTER TABLE {name} DROP CONSTRAINT {prep.quote(con)}")
        yield True
        for name, con, definition in keys:
            conn.exec_driver_sql(
                f"ALTER TABLE {name} ADD CONSTRAINT {prep.quote(con)} {definition}")


def _large_load(conn: sa.Connection, tables: Sequence[sa.Table], rows: int) -> bool:
    """Whether a load of about ``rows`` rows into each of ``tables`` is large enough for a
    rebuild around it to pay: at least :data:`FK_REBUILD_MIN_ROWS` rows and at least
    :data:`FK_REBUILD_SHARE` of what the tables will then hold (the rows already there are
    counted up to that bound: a scan of at most a few times the load, cheap beside it)."""
    if rows < FK_REBUILD_MIN_ROWS or not tables:
        return False
    prep = conn.dialect.identifier_preparer
    limit = int(rows * len(tables) / FK_REBUILD_SHARE)
    there = 0
    for tb in tables:
        name = prep.format_table(tb)
        there += conn.exec_driver_sql(
            f"SELECT count(*) FROM (SELECT 1 FROM {name} LIMIT {limit + 1}) AS s").scalar_one()
        if there + rows * len(tables) > limit:
            return False
    return True


@contextlib.contextmanager
def indexes_rebuilt(conn: sa.Connection, tables: Sequence[sa.Table],
                    rows: int) -> Iterator[bool]:
    """Drop the plain (not unique) indexes of ``tables`` for a bulk load of about ``rows``
    rows into each and create them again after it (the bulk-loading advice of PostgreSQL and
    SQLite alike: an index built once from the sorted rows costs less than a random insert
    into it per row; measured on the demo's 138,202 residents with SQLite, 2.3-2.8 s against
    1.9 s for the insert and the indexes).

    Only the indexes the table definitions declare are touched (the migrations build the same,
    a test checks it), and only for a load that :func:`foreign_keys_rebuilt` would call large
    (both dialects here). Primary keys and unique constraints stay: a clash is still refused
    by the insert that makes it. The drop, the block and the re-creation run in a savepoint of
    the caller's open transaction (both dialects' DDL is transactional): when the block
    raises, the savepoint is rolled back, the indexes are back, and the error propagates; no
    other session ever sees the tables without them (on PostgreSQL ``DROP INDEX`` locks the
    table until the caller's transaction ends, as the foreign keys' rebuild does).

    Yields:
        Whether indexes were dropped.
    """
    plain = [ix for tb in tables for ix in sorted(tb.indexes, key=lambda i: str(i.name))
             if not ix.unique]
    if not plain or conn.dialect.name not in ("sqlite", "postgresql") or not _large_load(
            conn, tables, rows):
        yield False
        return
    with conn.begin_nested():
        for ix in plain:
            ix.drop(conn)
        yield True
        for ix in plain:
            ix.create(conn)


def streamed(conn: sa.Connection, q: sa.Select[Any], batch: int) -> Iterator[Any]:
    """The rows of ``q``, fetched ``batch`` at a time: a server-side cursor on PostgreSQL
    (``stream_results``, planned for reading every row), ``fetchmany`` batches on SQLite;
    never the whole result at once. Used inside the caller's read transaction."""
    if batch < 1:
        raise ValidationError(f"a batch holds at least one row, got {batch}", path="batch")
    if conn.dialect.name == "postgresql":
        # every row will be read: plan the cursor for all of them, not the first tenth
        conn.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
    # options of this statement only: Connection.execution_options() would set them on the
    # connection itself, which a store keeps for its next units of work
    result = conn.execute(q, execution_options={"stream_results": True, "yield_per": batch})
    try:
        for part in result.partitions():
            yield from part
    finally:
        result.close()
