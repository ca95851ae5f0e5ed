"""Bulk inserts (批量写入): rows with the same keys, as fast as the driver allows; and
streamed reads (a result fetched a batch at a time)."""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

from community_governance.errors import ValidationError

__all__ = ["COPY_MIN_ROWS", "bulk_insert", "chunks", "copy_insert", "insert_rows", "streamed"]

#: Batches of at least this many rows go through ``COPY`` on PostgreSQL (psycopg 3); smaller
#: ones through an ``INSERT`` (``COPY`` costs a round trip of its own to set up).
COPY_MIN_ROWS = 64

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
    import psycopg

    dialect = conn.dialect
    prep = dialect.identifier_preparer
    name = prep.format_table(table)
    sql = f"COPY {name} ({', '.join(prep.quote(k) for k in keys)}) FROM STDIN"
    procs = [(j, proc) for j, k in enumerate(keys)
             if (proc := table.c[k].type.dialect_impl(dialect).bind_processor(dialect))
             is not None]
    get = operator.itemgetter(*keys)
    driver = conn.connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cur, cur.copy(sql) as copy:
            for r in rows:
                got = get(r)
                vals = list(got) if len(keys) > 1 else [got]
                for j, proc in procs:
                    if vals[j] is not None:
                        vals[j] = proc(vals[j])
                copy.write_row(vals)
    except psycopg.Error as exc:
        raise sa.exc.DBAPIError.instance(sql, None, exc, psycopg.Error,
                                         dialect=dialect) from exc
    return True


def streamed(conn: sa.Connection, q: sa.Select[Any], batch: int) -> Iterator[Any]:
    """The rows of ``q``, fetched ``batch`` at a time: a server-side cursor on PostgreSQL
    (``stream_results``, planned for reading every row), ``fetchmany`` batches on SQLite;
    never the whole result at once. Used inside the caller's read transaction."""
    if batch < 1:
        raise ValidationError(f"a batch holds at least one row, got {batch}", path="batch")
    if conn.dialect.name == "postgresql":
        # every row will be read: plan the cursor for all of them, not the first tenth
        conn.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
    result = conn.execution_options(stream_results=True, yield_per=batch).execute(q)
    try:
        for part in result.partitions():
            yield from part
    finally:
        result.close()
