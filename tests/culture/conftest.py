"""Fixtures of the culture tests: a small city in Yima or 湖滨区 on a store with a set clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

import community_governance
from community_governance.storage.tables import core as t
from community_governance.storage.tables import culture as tc
from community_governance.testing.city import SmallCity, build_small_city


class Clock:
    """A settable clock (county time in, UTC out)."""

    def __init__(self) -> None:
        self.now = pendulum.datetime(2019, 6, 30, 10, 0, tz="Asia/Shanghai")

    def __call__(self) -> pendulum.DateTime:
        return self.now

    def set(self, *args: int) -> None:
        self.now = pendulum.datetime(*args, tz="Asia/Shanghai")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["411281", "411202"], ids=["yima", "hubin"])
def place(request: pytest.FixtureRequest) -> str:
    """The county the small city is built in: every rule runs for Yima and for 湖滨区."""
    return str(request.param)


@pytest.fixture
def cgov(clock: Clock) -> Iterator[Any]:
    """A memory store at 2019-06-30 10:00 county time."""
    with community_governance.open("memory://", entrypoints=False, clock=clock) as g:
        yield g


@pytest.fixture
def town(cgov: Any, place: str) -> SmallCity:
    """The small city of the test kit, in ``place``."""
    return build_small_city(cgov, place)


def snapshot(gov: Any) -> tuple[int, ...]:
    """Rows of every culture table and of the audit trail (to show nothing was written)."""
    tables = (tc.culture_groups, tc.culture_equipment, tc.culture_memberships,
              tc.culture_events, tc.culture_event_groups, t.audit_log)
    with gov.store.unit_of_work(write=False) as uow:
        return tuple(int(uow.conn.execute(sa.select(sa.func.count()).select_from(x))
                         .scalar_one()) for x in tables)
