"""Concurrency of the purchase of services, on SQLite and PostgreSQL: of processes awarding one
lot at once exactly one wins; processes drawing on one reserved budget, or requesting one
instalment, never overspend it."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
from decimal import Decimal
from pathlib import Path
from typing import Any

import pendulum
import pytest

import community_governance
from community_governance.domain.access import Actor
from community_governance.errors import (
    ConflictError,
    InsufficientBalance,
    InvalidTransition,
)
from community_governance.testing.city import build_small_city
from tests.orgs.conftest import Clock, World
from tests.tenders.helpers import sign, walk

SYSTEM = Actor.system("test")
ALLOWED = {"ok", "InvalidTransition", "ConflictError", "InsufficientBalance"}


def _award_time() -> pendulum.DateTime:
    return pendulum.datetime(2019, 3, 26, 10, tz="Asia/Shanghai")


def _pay_time() -> pendulum.DateTime:
    return pendulum.datetime(2019, 7, 5, 10, tz="Asia/Shanghai")


def _act(url: str, what: str, arg: Any, n: int, barrier: Any, out: Any) -> None:
    clock = _award_time if what == "award" else _pay_time
    with community_governance.open(url, entrypoints=False, clock=clock) as gov:
        barrier.wait(timeout=60)
        try:
            if what == "award":
                gov.tenders.award(SYSTEM, arg)
            elif what == "draw":
                gov.funds.request(SYSTEM, arg[0], "5107", "20000", payee=f"服务方{n}",
                                  purpose="预算占用下的支出", on=dt.date(2019, 7, 5),
                                  reservation_id=arg[1])
            else:
                gov.tenders.request_payment(SYSTEM, "C1", arg, on=dt.date(2019, 7, 5))
            out.put("ok")
        except (InvalidTransition, ConflictError, InsufficientBalance) as exc:
            out.put(type(exc).__name__)
        except Exception as exc:  # reported to the parent
            out.put(repr(exc))


def _run(url: str, jobs: list[tuple[str, Any]]) -> list[str]:
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(len(jobs))
    out = ctx.Queue()
    procs = [ctx.Process(target=_act, args=(url, what, arg, i, barrier, out))
             for i, (what, arg) in enumerate(jobs)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert set(results) <= ALLOWED, results
    return results


def _race(url: str) -> None:
    clock = Clock()
    with community_governance.open(url, entrypoints=False, clock=clock) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        w = World(gov, city, clock, c, city.staff[c], city.subdistrict_staff[c[:9]])
        r = walk(w, "scored")
        reservation = r.project.reservation_id
    # four officers award one lot at once: one wins, the others find it awarded or raced
    assert 1 == _run(url, [("award", r.lot_id)] * 4).count("ok")
    with community_governance.open(url, entrypoints=False, clock=clock) as gov:
        w = World(gov, city, clock, c, city.staff[c], city.subdistrict_staff[c[:9]])
        hist = gov.tenders.history(SYSTEM, r.lot_id)
        assert 1 == sum(h["event"] == "award" for h in hist)
        assert [h["seq"] for h in hist] == list(range(1, len(hist) + 1))
        sign(w, r)
        clock.set(2019, 7, 2, 10)
        gov.tenders.accept(SYSTEM, "C1", "q2_report")
    # four processes request the first instalment at once: it is requested once
    assert 1 == _run(url, [("instalment", 1)] * 4).count("ok")
    # six processes draw 20,000 each on what is left of the 80,000 reservation: never beyond
    results = _run(url, [("draw", (c, reservation))] * 6)
    with community_governance.open(url, entrypoints=False, clock=clock) as gov:
        res = gov.funds.reservation(SYSTEM, reservation)
        pays = gov.tenders.payments(SYSTEM, "C1")
    assert 1 == len(pays) and Decimal("31200.00") == pays[0].amount
    left = Decimal("80000.00") - Decimal("31200.00")
    assert int(left // Decimal("20000")) == results.count("ok")
    assert res.drawn <= res.amount
    assert Decimal("31200.00") + 20000 * results.count("ok") == res.drawn


def test_racing_awards_and_draws_on_sqlite(tmp_path: Path) -> None:
    """Four awards of one lot: one wins; four requests of one instalment: one; six draws on a
    reservation: as many as it holds, on SQLite."""
    _race(f"sqlite:///{tmp_path / 'race.db'}")


@pytest.mark.postgres
def test_racing_awards_and_draws_on_postgresql(postgres_url: str) -> None:
    """The same on PostgreSQL."""
    _race(postgres_url)
