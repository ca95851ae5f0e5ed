"""The pytest plugin of the test kit (entry point ``pytest11``: ``community_governance``).

Fixtures:
    gov: a fresh ``memory://`` governance store with the national defaults.
    sqlite_gov: the same on a fresh SQLite file in ``tmp_path``.
    small_city: :class:`~community_governance.testing.city.SmallCity` built on ``gov``.
    postgres_url: the URL in ``CGOV_TEST_POSTGRES_URL`` (a fresh schema per test), or a skip
        saying how to enable the PostgreSQL tests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from community_governance.testing.city import SmallCity, build_small_city

POSTGRES_ENV = "CGOV_TEST_POSTGRES_URL"


@pytest.fixture
def gov() -> Iterator[Any]:
    """A fresh in-memory governance store."""
    import community_governance

    with community_governance.open("memory://", entrypoints=False) as g:
        yield g


@pytest.fixture
def sqlite_gov(tmp_path: Path) -> Iterator[Any]:
    """A fresh governance store on a SQLite file."""
    import community_governance

    with community_governance.open(f"sqlite:///{tmp_path / 'cgov.db'}", entrypoints=False) as g:
        yield g


@pytest.fixture
def small_city(gov: Any) -> SmallCity:
    """The small city of :mod:`community_governance.testing.city`, built on ``gov``."""
    return build_small_city(gov)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose database is emptied of this library's tables for the test."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}=postgresql://user@host/db")
    import sqlalchemy as sa

    from community_governance.storage.sql import engine_for_url

    schema = f"cgov_{uuid.uuid4().hex[:10]}"
    engine = engine_for_url(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        engine = engine_for_url(url)
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
