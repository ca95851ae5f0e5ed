"""The culture tables on PostgreSQL and across migration 0012 (down and up again)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

import community_governance as cg
from community_governance.domain.access import Actor
from community_governance.domain.culture import (
    CultureEvent,
    CultureGroup,
    EquipmentLine,
    EventKind,
    EventLevel,
    GroupKind,
)
from community_governance.errors import ConflictError
from community_governance.services.culture import Join
from community_governance.storage import migrate
from community_governance.storage.tables import culture as tc
from community_governance.testing.city import build_small_city

SYSTEM = Actor.system("culture-test")


def _exercise(url: str) -> None:
    with cg.open(url, entrypoints=False) as gov:
        city = build_small_city(gov, "411202")
        c = city.communities[0]
        people = city.all_residents()[:4]
        gov.culture.add_group(SYSTEM, CultureGroup("G1", "太极拳队", GroupKind.TAICHI, c,
                                                   equipment=(EquipmentLine("太极剑", 12),)))
        gov.culture.join_many(SYSTEM, [Join("G1", r, dt.date(2018, 3, 1)) for r in people])
        with pytest.raises(ConflictError, match="cannot join a group twice"):
            gov.culture.join(SYSTEM, "G1", people[0], on=dt.date(2019, 1, 1))
        gov.culture.leave(SYSTEM, "G1", people[0], on=dt.date(2019, 1, 1))
        gov.culture.join(SYSTEM, "G1", people[0], on=dt.date(2019, 2, 1))
        gov.culture.record_events(SYSTEM, [
            CultureEvent("E1", "庆国庆文艺展演", EventLevel.COMMUNITY, EventKind.SHOW, c,
                         dt.date(2018, 10, 1), 300, ("G1",), "国庆节"),
            CultureEvent("E2", "专场演出", EventLevel.CITY, EventKind.SPECIAL_PERFORMANCE,
                         "411202", dt.date(2019, 2, 5), 2000, ("G1",), "春节")])
        rows = [(r.year, r.level.value, r.events) for r in gov.culture.event_report()]
        assert rows == [(2018, "community", 1), (2019, "city", 1)]
        [g] = gov.culture.group_report(SYSTEM)
        assert (g.groups, g.members, g.residents) == (1, 4, 4)
        with gov.store.unit_of_work(write=True) as uow, pytest.raises(sa.exc.IntegrityError):
            uow.conn.execute(tc.culture_memberships.insert().values(
                group_id="G1", resident_id=people[1], joined_on=dt.date(2019, 1, 1)))
        assert gov.verify().ok


def test_culture_on_postgres(postgres_url: str) -> None:
    """Groups, members (one open membership per group, also in the database), events and the
    reports work the same on PostgreSQL."""
    _exercise(postgres_url)


def test_culture_on_sqlite(tmp_path: Path) -> None:
    """And on a SQLite file."""
    _exercise(f"sqlite:///{tmp_path / 'c.db'}")


def test_migration_0012_goes_down_and_up(tmp_path: Path) -> None:
    """Migration 0012 drops the culture tables going down to 0011 and makes them again."""
    url = f"sqlite:///{tmp_path / 'm.db'}"
    cg.open(url, entrypoints=False).close()
    from community_governance.storage.sql import engine_for_url

    engine = engine_for_url(url)
    for target, present in (("0011", False), ("head", True)):
        with engine.begin() as conn:
            cfg = migrate.alembic_config(conn)
            (command.downgrade if target == "0011" else command.upgrade)(cfg, target)
        with engine.connect() as conn:
            names = set(sa.inspect(conn).get_table_names())
        assert {"culture_groups", "culture_memberships", "culture_events"} <= names \
            if present else not any(n.startswith("culture_") for n in names)
    engine.dispose()
    with cg.open(url, entrypoints=False) as gov:
        assert gov.culture.groups() == []
