"""Concurrent writers on SQLite and PostgreSQL: budgets are never overspent, and a request
replayed with the same idempotency key posts once. Each worker is a spawned process with its
own ``community_governance.open(url)``."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import community_governance as cg
from community_governance.domain.access import Actor
from community_governance.domain.funds import credit, debit
from community_governance.domain.units import Unit, UnitKind
from community_governance.errors import InsufficientBalance

SYSTEM = Actor.system("funds-concurrency")
C = "411281001001"
DAY = dt.date(2019, 6, 1)
WORKERS = 4


def _setup(url: str, requests: int) -> list[int]:
    """A community with money in the bank and ``requests`` approved 1,000 CNY requests,
    then a budget of 10,000 CNY for their account."""
    with cg.open(url, entrypoints=False) as gov:
        gov.registry.add_units(SYSTEM, [
            Unit("411281", UnitKind.COUNTY, "义马市"),
            Unit("411281001", UnitKind.SUBDISTRICT, "千秋路办事处", "411281"),
            Unit(C, UnitKind.COMMUNITY, "连银社区", "411281001")])
        gov.funds.post(SYSTEM, C, [debit("1002", "100000"), credit("4101", "100000")],
                       channel="city_allocation", voucher="BK", on=DAY)
        ids = []
        for i in range(requests):
            d = gov.funds.request(Actor.system(f"clerk{i}"), C, "5101", "1000", payee="商店",
                                  purpose="办公用品", on=DAY)
            gov.funds.approve(SYSTEM, d.id, as_role="director")
            ids.append(d.id)
        gov.funds.set_budget(SYSTEM, C, "5101", 2019, "10000")
        gov.funds.set_budget(SYSTEM, C, "5105", 2019, "5000")
    return ids


def _pay_all(url: str, ids: list[int], n: int, barrier: Any, out: Any) -> None:
    """Worker: pay each disbursement, then try direct 500 CNY expenses; report the counts."""
    try:
        _attempts(url, ids, n, barrier, out)
    except BaseException as exc:  # report instead of hanging the test
        out.put(("error", repr(exc)))
        raise


def _attempts(url: str, ids: list[int], n: int, barrier: Any, out: Any) -> None:
    paid = refused = 0
    with cg.open(url, entrypoints=False) as gov:
        gov.funds.chart(C)
        barrier.wait()
        donation = gov.funds.post(SYSTEM, C, [debit("1002", "888"), credit("4201", "888")],
                                  channel="enterprise", voucher="JZ-1", on=DAY,
                                  counterparty="义马煤业集团", key="donation-2019-06-01").id
        for i in ids:
            try:
                gov.funds.pay(Actor.system(f"cashier{n}"), i, voucher=f"ZF-{i}", on=DAY)
                paid += 1
            except InsufficientBalance:
                refused += 1
        for k in range(6):
            try:
                gov.funds.post(SYSTEM, C, [debit("5105", "500"), credit("1002", "500")],
                               channel="internal", voucher=f"Z-{n}-{k}", on=DAY)
                paid += 1
            except InsufficientBalance:
                refused += 1
    out.put((paid, refused, donation))


def _run(url: str) -> None:
    ids = _setup(url, requests=16)
    ctx = multiprocessing.get_context("spawn")
    # every worker tries every disbursement (in a different order) and 4 direct expenses
    barrier, out = ctx.Barrier(WORKERS), ctx.Queue()
    procs = [ctx.Process(target=_pay_all, args=(url, ids[n:] + ids[:n], n, barrier, out))
             for n in range(WORKERS)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    assert not [r for r in results if r[0] == "error"], results
    for p in procs:
        p.join(timeout=60)
    same = [r[2] for r in results]
    with cg.open(url, entrypoints=False) as gov:
        bal = gov.funds.balances(SYSTEM, C)
        assert bal["5101"] == Decimal("10000.00")  # exactly the budget, never more
        assert bal["5105"] == Decimal("5000.00")
        assert gov.funds.trial_balance(SYSTEM, C).total == 0
        paid = [d for d in gov.funds.disbursements(SYSTEM, C) if d.state.value == "paid"]
        assert len(paid) == 10
        assert len(set(same)) == 1
        with gov.store.unit_of_work(write=False) as uow:
            n = uow.conn.execute(sa.text(
                "SELECT COUNT(*) FROM funds_transactions WHERE idempotency_key = "
                "'donation-2019-06-01'")).scalar_one()
        assert n == 1
        assert bal["4201"] == Decimal("-888.00")
        report = gov.verify()  # the community's chain and every posting recomputed
        assert report.ok, report.breaks
        assert report.chains["funds_transactions"] >= 1
    # every attempt got an answer: a payment (or its replay) or a refusal
    assert all(p + r == 16 + 6 for p, r, _ in results)


@pytest.mark.slow
def test_concurrent_payments_never_overspend_on_sqlite(tmp_path: Path) -> None:
    """Pays at most the budget when four processes race to pay and spend on SQLite."""
    _run(f"sqlite:///{tmp_path / 'race.db'}")


@pytest.mark.slow
@pytest.mark.postgres
def test_concurrent_payments_never_overspend_on_postgresql(postgres_url: str) -> None:
    """Pays at most the budget when four processes race to pay and spend on PostgreSQL."""
    _run(postgres_url)
