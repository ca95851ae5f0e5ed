"""Two cadres recording the same visit task at once: one record; two offices sending the same
holiday invitations at once: one set (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
from pathlib import Path
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

import community_governance
from community_governance.domain.access import Actor
from community_governance.domain.care import WeatherAlert
from community_governance.errors import ConflictError
from community_governance.markers import hookimpl
from community_governance.services.care import NewCareNeed
from community_governance.storage.tables import care as tc
from community_governance.testing.city import build_small_city

SYSTEM = Actor.system("test")


class StandIns:
    """Any community post holder may stand in for the cadre (so two may race)."""

    @hookimpl
    def cgov_care_stand_in_allowed(self, community_code: str) -> bool:
        return True


def _clock() -> pendulum.DateTime:
    return pendulum.datetime(2019, 1, 2, 12, tz="Asia/Shanghai")


def _visit(url: str, who: str, resident: str, task: int, barrier: Any, out: Any) -> None:
    with community_governance.open(url, entrypoints=False, clock=_clock,
                                   plugins=[StandIns()]) as gov:
        barrier.wait(timeout=30)
        try:
            gov.care.record_visit(Actor.staff(who), resident, at=_clock(), task_id=task)
            out.put("ok")
        except ConflictError:
            out.put("ConflictError")
        except Exception as exc:  # reported to the parent
            out.put(repr(exc))


def _race(url: str) -> None:
    with community_governance.open(url, entrypoints=False, clock=_clock,
                                   plugins=[StandIns()]) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        elder = city.elderly[c]
        gov.care.register_needs(SYSTEM, [NewCareNeed(elder, "elderly_alone",
                                                     dt.date(2019, 1, 1))])
        gov.care.assign(SYSTEM, [(elder, f"P-CAD-{c}")], on=dt.date(2019, 1, 1))
        gov.care.record_alert(SYSTEM, WeatherAlert(
            "SNOW-1", c, "snow", "yellow", pendulum.datetime(2019, 1, 2, 7,
                                                             tz="Asia/Shanghai")))
        with gov.store.unit_of_work(write=False) as uow:
            task = uow.conn.execute(sa.select(tc.care_tasks.c.id)).scalar_one()
        who = [city.cadre[c].id, city.director[c].id, city.staff[c].id, city.secretary[c].id]
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(len(who))
    out = ctx.Queue()
    procs = [ctx.Process(target=_visit, args=(url, w, elder, task, barrier, out)) for w in who]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert sorted(results) == ["ConflictError"] * 3 + ["ok"], results
    with community_governance.open(url, entrypoints=False, clock=_clock) as gov, \
            gov.store.unit_of_work(write=False) as uow:
        visits = uow.conn.execute(sa.select(tc.care_visits)).all()
    assert [task] == [v.task_id for v in visits]


def test_one_record_per_task_on_sqlite(tmp_path: Path) -> None:
    """Four post holders record one task at once on SQLite: one record, three refusals."""
    _race(f"sqlite:///{tmp_path / 'race.db'}")


@pytest.mark.postgres
def test_one_record_per_task_on_postgresql(postgres_url: str) -> None:
    """The same on PostgreSQL."""
    _race(postgres_url)


def _invite(url: str, resident: str, community: str, barrier: Any, out: Any) -> None:
    with community_governance.open(url, entrypoints=False, clock=_clock) as gov:
        barrier.wait(timeout=30)
        try:
            gov.care.invite(SYSTEM, community, "lantern", 2019)
            out.put("ok")
        except ConflictError:
            out.put("ConflictError")
        except Exception as exc:  # reported to the parent
            out.put(repr(exc))


def _invite_race(url: str) -> None:
    with community_governance.open(url, entrypoints=False, clock=_clock) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        elder = city.elderly[c]
        gov.care.register_needs(SYSTEM, [NewCareNeed(elder, "elderly_alone",
                                                     dt.date(2019, 1, 1))])
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(3)
    out = ctx.Queue()
    procs = [ctx.Process(target=_invite, args=(url, elder, c, barrier, out)) for _ in range(3)]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert sorted(results) == ["ConflictError"] * 2 + ["ok"], results
    with community_governance.open(url, entrypoints=False, clock=_clock) as gov, \
            gov.store.unit_of_work(write=False) as uow:
        rows = uow.conn.execute(sa.select(tc.care_invitations.c.resident_id)).scalars().all()
    assert [elder] == rows


def test_one_set_of_invitations_on_sqlite(tmp_path: Path) -> None:
    """Three offices send the same Lantern invitations at once: one set, two refusals."""
    _invite_race(f"sqlite:///{tmp_path / 'invite.db'}")


@pytest.mark.postgres
def test_one_set_of_invitations_on_postgresql(postgres_url: str) -> None:
    """The same on PostgreSQL."""
    _invite_race(postgres_url)
