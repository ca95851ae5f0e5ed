"""Concurrent referrals and visits (several processes, SQLite and PostgreSQL): a decision
referred to funds by three processes at once asks for money once; a member's festival visit
recorded by three processes at once is recorded once; the others are refused, nothing lost."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import community_governance as cg
from community_governance.calendars.lunar import Festival, festival_date
from community_governance.domain.council import CouncilMember, CouncilSeat
from community_governance.domain.party import CountyLeaderLink, Designation, FestivalVisit
from community_governance.domain.posts import StaffMember
from community_governance.errors import ConflictError
from community_governance.storage.tables import funds as ft
from community_governance.storage.tables import party as pt
from community_governance.testing.city import build_small_city

from .conftest import SYSTEM, tree_of

WORKERS = 3


def _festival() -> tuple[int, dt.date]:
    """The latest Mid-Autumn Festival before today, and a day of its window."""
    today = dt.date.today()
    year = today.year if festival_date(Festival.MID_AUTUMN, today.year) < today \
        else today.year - 1
    return year, festival_date(Festival.MID_AUTUMN, year) - dt.timedelta(days=2)


def _setup(url: str) -> str:
    """A decision D-1, a designated member visited at the festival; returns the member."""
    year, _ = _festival()
    with cg.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        gov.registry.add_party_orgs(SYSTEM, tree_of(city, c))
        b1 = city.buildings[c][0]
        member = city.residents[city.households[b1][0]][0]
        gov.registry.add_party_members(SYSTEM, f"PG-{b1}", [member], since=dt.date(2018, 1, 1))
        gov.party.designate(SYSTEM, [Designation("DS-1", member, c, "优秀共产党员",
                                                 dt.date(year, 7, 1))])
        gov.registry.add_staff(SYSTEM, [StaffMember("LD-1", "县领导", permanent=True)])
        gov.party.link_county_leaders(SYSTEM, [CountyLeaderLink("LL-1", "LD-1", c, "副县长",
                                                                dt.date(2018, 1, 1))])
        gov.council.add_members(SYSTEM, [CouncilMember(f"CM-{i}", c, CouncilSeat.RESIDENTS,
                                                       f"代表{i}", dt.date(2019, 1, 1))
                                         for i in range(5)])
        gov.council.hold_meeting(SYSTEM, "M-1", c, title="议事会", held_on=dt.date(2019, 11, 29),
                                 attendees=[f"CM-{i}" for i in range(4)], minutes="纪要")
        gov.council.vote(SYSTEM, "MO-1", "M-1", title="维修",
                         votes={f"CM-{i}": "for" for i in range(4)})
        gov.council.decide(SYSTEM, "D-1", "MO-1", summary="维修单元门", owner="SEC",
                           working_days=5)
    return member


def _work(url: str, member: str, n: int, barrier: Any, out: Any) -> None:
    """Worker: refer D-1 to funds, record the member's visit; report what was accepted."""
    year, day = _festival()
    got = []
    try:
        with cg.open(url, entrypoints=False) as gov:
            barrier.wait()
            for call in (
                lambda: gov.council.refer_to_funds(SYSTEM, "D-1", account="5104",
                                                   amount="800", payee="门窗公司"),
                lambda: gov.party.record_festival_visits(SYSTEM, [FestivalVisit(
                    f"FV-{n}", "LD-1", member, "mid_autumn", year, day)])):
                try:
                    call()
                    got.append(1)
                except ConflictError:
                    got.append(0)
        out.put(tuple(got))
    except BaseException as exc:  # report instead of hanging the test
        out.put(("error", repr(exc)))
        raise


def _run(url: str) -> None:
    member = _setup(url)
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(WORKERS), ctx.Queue()
    procs = [ctx.Process(target=_work, args=(url, member, n, barrier, out))
             for n in range(WORKERS)]
    for p in procs:
        p.start()
    results = [out.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert not [r for r in results if r[0] == "error"], results
    assert (sum(r[0] for r in results), sum(r[1] for r in results)) == (1, 1)
    with cg.open(url, entrypoints=False) as gov, gov.store.unit_of_work(write=False) as uow:
        requests = uow.conn.execute(sa.select(sa.func.count()).select_from(
            ft.funds_disbursements)).scalar_one()
        links = uow.conn.execute(sa.select(sa.func.count()).select_from(
            pt.council_decision_links)).scalar_one()
        visits = uow.conn.execute(sa.select(sa.func.count()).select_from(
            pt.festival_visits)).scalar_one()
    assert (requests, links, visits) == (1, 1, 1)


@pytest.mark.slow
def test_concurrent_referrals_and_visits_count_once_on_sqlite(tmp_path: Path) -> None:
    """Three processes at once on SQLite."""
    _run(f"sqlite:///{tmp_path / 'race.db'}")


@pytest.mark.slow
@pytest.mark.postgres
def test_concurrent_referrals_and_visits_count_once_on_postgresql(postgres_url: str) -> None:
    """The same on PostgreSQL."""
    _run(postgres_url)
