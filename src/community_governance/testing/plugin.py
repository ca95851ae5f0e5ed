"""The pytest plugin of the test kit (entry point ``pytest11``: ``community_governance``).

Fixtures:
    county: the county code the small city is built in (``"411281"``; override it in your
        ``conftest.py`` to test your county).
    plugins: the plugins ``gov`` and ``sqlite_gov`` open with (``[]``: the national defaults
        only; override it to install yours).
    gov: a fresh ``memory://`` governance store with ``plugins`` installed.
    sqlite_gov: the same on a fresh SQLite file in ``tmp_path``.
    gov_with_plugins: a factory ``gov_with_plugins(*plugins, url="memory://")`` opening a
        fresh store with exactly those plugins (closed after the test); two counties' plugins
        in one store, in either order, are one call each.
    small_city: :class:`~community_governance.testing.city.SmallCity` built on ``gov`` in
        ``county``.
    postgres_url: the URL in ``CGOV_TEST_POSTGRES_URL`` (a fresh schema per test), or a skip
        saying how to enable the PostgreSQL tests.

A county plugin's ``conftest.py`` needs two lines to run the kit for its county::

    @pytest.fixture
    def plugins(): return [my_county.plugin]

    @pytest.fixture
    def county(): return "411202"
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from community_governance.testing.city import SmallCity, build_small_city

POSTGRES_ENV = "CGOV_TEST_POSTGRES_URL"


@pytest.fixture
def county() -> str:
    """The county the small city is built in (override to test another county)."""
    return "411281"


@pytest.fixture
def plugins() -> Sequence[object]:
    """The plugins ``gov`` opens with (override to install a county's plugins)."""
    return []


@pytest.fixture
def gov(plugins: Sequence[object]) -> Iterator[Any]:
    """A fresh in-memory governance store with ``plugins`` installed."""
    import community_governance

    with community_governance.open("memory://", plugins=list(plugins), entrypoints=False) as g:
        yield g


@pytest.fixture
def sqlite_gov(tmp_path: Path, plugins: Sequence[object]) -> Iterator[Any]:
    """A fresh governance store on a SQLite file, with ``plugins`` installed."""
    import community_governance

    with community_governance.open(f"sqlite:///{tmp_path / 'cgov.db'}", plugins=list(plugins),
                                   entrypoints=False) as g:
        yield g


@pytest.fixture
def gov_with_plugins() -> Iterator[Callable[..., Any]]:
    """A factory: ``gov_with_plugins(*plugins, url="memory://", **open_kwargs)`` opens a
    fresh store with those plugins installed (entry points left out); every store it opened
    is closed after the test."""
    import community_governance

    opened: list[Any] = []

    def factory(*chosen: object, url: str = "memory://", **kwargs: Any) -> Any:
        kwargs.setdefault("entrypoints", False)
        g = community_governance.open(url, plugins=list(chosen), **kwargs)
        opened.append(g)
        return g

    try:
        yield factory
    finally:
        for g in opened:
            g.close()


@pytest.fixture
def small_city(gov: Any, county: str) -> SmallCity:
    """The small city of :mod:`community_governance.testing.city`, built on ``gov`` in
    ``county``."""
    return build_small_city(gov, county)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose database is emptied of this library's tables for the test."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}=postgresql://user@host/db")
    from community_governance.testing.pgschema import postgres_schema

    with postgres_schema(url) as schema_url:
        yield schema_url
