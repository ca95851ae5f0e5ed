"""Two fresh stores of one backend with their clocks pinned, and their rows: the batch
equivalence tests write a batch into one and the same items one by one into the other."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

import community_governance


@contextlib.contextmanager
def twin_stores(backend: str, now: pendulum.DateTime) -> Iterator[tuple[Any, Any]]:
    """Two fresh stores of ``backend`` (``sqlite``: in memory; ``postgresql``: a schema each
    on ``$CGOV_TEST_POSTGRES_URL``, skipped without it), both clocks pinned at ``now``."""
    if backend == "sqlite":
        with community_governance.open("memory://", entrypoints=False, clock=lambda: now) as a, \
                community_governance.open("memory://", entrypoints=False,
                                          clock=lambda: now) as b:
            yield a, b
        return
    url = os.environ.get("CGOV_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PostgreSQL tests need CGOV_TEST_POSTGRES_URL=postgresql://user@host/db")
    from community_governance.testing.pgschema import postgres_schema

    with postgres_schema(url) as u1, postgres_schema(url) as u2, \
            community_governance.open(u1, entrypoints=False, clock=lambda: now) as a, \
            community_governance.open(u2, entrypoints=False, clock=lambda: now) as b:
        yield a, b


def table_rows(gov: Any, tables: Sequence[sa.Table]) -> dict[str, list[Any]]:
    """Every row of ``tables`` in ``gov``, by table name, in primary-key order."""
    out: dict[str, list[Any]] = {}
    with gov.store.unit_of_work(write=False) as uow:
        for tab in tables:
            out[tab.name] = [tuple(r) for r in uow.conn.execute(
                sa.select(tab).order_by(*tab.primary_key.columns))]
    return out
