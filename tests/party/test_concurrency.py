"""Concurrent ballots (several processes, SQLite and PostgreSQL): the same resident's ballot
cast by two processes at once counts once, and every eligible resident is counted once, no
ballot lost."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import community_governance as cg
from community_governance.errors import ConflictError
from community_governance.storage.tables import party as pt
from community_governance.testing.city import build_small_city

from .conftest import SYSTEM, tree_of

WORKERS = 3


def _setup(url: str) -> tuple[str, list[str]]:
    """The small city, a member in B0001 and a round open today; returns the member and the
    residents of the member's grid who may evaluate them."""
    today = dt.date.today()
    with cg.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        gov.registry.add_party_orgs(SYSTEM, tree_of(city, c))
        b1 = city.buildings[c][0]
        member = city.residents[city.households[b1][0]][0]
        gov.registry.add_party_members(SYSTEM, f"PG-{b1}", [member], since=dt.date(2018, 1, 1))
        gov.party.open_evaluation(SYSTEM, "EV-RACE", c, title="群众评议党员",
                                  period_start=today - dt.timedelta(days=3),
                                  period_end=today + dt.timedelta(days=3), member_ids=[member])
        grid = city.grid_of_building(b1)
        voters = [r for b in city.buildings[c] if city.grid_of_building(b) == grid
                  for h in city.households[b] for r in city.residents[h] if r != member]
    return member, voters


def _vote(url: str, member: str, voters: list[str], n: int, barrier: Any, out: Any) -> None:
    """Worker: cast every voter's ballot (each worker a different grade, its own order)."""
    counted = refused = 0
    try:
        with cg.open(url, entrypoints=False) as gov:
            barrier.wait()
            for v in voters[n:] + voters[:n]:
                try:
                    gov.party.cast_ballot(cg.Actor.resident(v), "EV-RACE", member,
                                          ("优秀", "合格", "基本合格")[n % 3])
                    counted += 1
                except ConflictError:
                    refused += 1
        out.put((counted, refused))
    except BaseException as exc:  # report instead of hanging the test
        out.put(("error", repr(exc)))
        raise


def _run(url: str) -> None:
    member, voters = _setup(url)
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(WORKERS), ctx.Queue()
    procs = [ctx.Process(target=_vote, args=(url, member, voters, n, barrier, out))
             for n in range(WORKERS)]
    for p in procs:
        p.start()
    results = [out.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert not [r for r in results if r[0] == "error"], results
    assert sum(r[0] for r in results) == len(voters)  # each counted once ...
    assert all(c + r == len(voters) for c, r in results)  # ... and every attempt answered
    with cg.open(url, entrypoints=False) as gov:
        with gov.store.unit_of_work(write=False) as uow:
            voted = uow.conn.execute(sa.select(pt.evaluation_participation.c.voter_id)).scalars()
            total = uow.conn.execute(sa.select(sa.func.sum(
                pt.evaluation_tallies.c.ballots))).scalar_one()
        assert sorted(voted) == sorted(voters)
        assert total == len(voters)  # no ballot lost, none twice
        assert gov.party.participants(SYSTEM, "EV-RACE") == {member: len(voters)}


@pytest.mark.slow
def test_concurrent_ballots_count_once_on_sqlite(tmp_path: Path) -> None:
    """Three processes cast every eligible resident's ballot at once on SQLite."""
    _run(f"sqlite:///{tmp_path / 'race.db'}")


@pytest.mark.slow
@pytest.mark.postgres
def test_concurrent_ballots_count_once_on_postgresql(postgres_url: str) -> None:
    """The same on PostgreSQL."""
    _run(postgres_url)
