"""Fixtures of the HTTP API tests: a small city on a SQLite file (or PostgreSQL) served by the
application in process (Litestar's test client, an httpx client)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import attrs
import pendulum
import pytest

pytest.importorskip("litestar")

import community_governance as cg
from community_governance.domain.access import Actor
from community_governance.http import HttpSettings, create_app
from community_governance.testing.city import SmallCity, build_small_city

SYSTEM = Actor.system("http-test")


class Clock:
    """A settable clock (county time in, UTC out)."""

    def __init__(self) -> None:
        self.now = pendulum.datetime(2026, 9, 25, 9, 0, tz="Asia/Shanghai")

    def __call__(self) -> pendulum.DateTime:
        return self.now

    def set(self, *args: int) -> None:
        self.now = pendulum.datetime(*args, tz="Asia/Shanghai")


@attrs.define
class Served:
    """A county served over HTTP in the test process."""

    gov: Any
    city: SmallCity
    client: Any
    clock: Clock

    def token(self, actor: Actor, *scopes: str, **kwargs: Any) -> dict[str, str]:
        """The Authorization header of a fresh token acting as ``actor``."""
        got = self.gov.tokens.issue(SYSTEM, actor, scopes, **kwargs)
        return {"Authorization": f"Bearer {got.secret}"}


@contextlib.contextmanager
def serving(url: str, settings: HttpSettings | None = None) -> Iterator[Served]:
    """Open ``url``, build the small city in it and serve it."""
    from litestar.testing import TestClient

    clock = Clock()
    with cg.open(url, entrypoints=False, clock=clock) as gov:
        city = build_small_city(gov)
        app = create_app(gov, settings or HttpSettings(rate_limit_per_minute=0))
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Served(gov, city, client, clock)


@pytest.fixture
def served(tmp_path: Any) -> Iterator[Served]:
    """The small city on a SQLite file, served."""
    with serving(f"sqlite:///{tmp_path / 'http.db'}") as s:
        yield s
