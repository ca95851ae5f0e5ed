"""Bulk inserts (批量写入): rows with the same keys, as fast as the driver allows."""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

__all__ = ["bulk_insert", "chunks"]

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
    the insert itself); on other databases this is ``conn.execute(table.insert(), rows)``.
    """
    if not rows:
        return
    if conn.dialect.name != "sqlite":
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

