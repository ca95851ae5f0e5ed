"""The funds batches write what their single forms write one by one: post_many, request_many,
approve_many and pay_many against post, request, approve and pay (rows, ids, chain hashes and
answers), and refuse with the error one by one meets first, writing nothing."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from typing import Any

import pendulum
import pytest

from community_governance.domain.access import Actor
from community_governance.domain.funds import credit, debit
from community_governance.errors import CgovError
from community_governance.services.funds import NewDisbursement, NewTransaction, Payment
from community_governance.storage.tables import funds as f
from community_governance.testing.city import build_small_city
from tests.twins import table_rows, twin_stores

SYSTEM = Actor.system("funds-test")
NOW = pendulum.datetime(2019, 12, 20, 2, tz="UTC")
TABLES = (f.funds_transactions, f.funds_postings, f.funds_disbursements, f.funds_approvals,
          f.funds_locks, f.funds_budgets)


def _stores(backend: str) -> contextlib.AbstractContextManager[tuple[Any, Any]]:
    """Two fresh stores of the backend, their clocks pinned."""
    return twin_stores(backend, NOW)


def _rows(gov: Any) -> dict[str, list[Any]]:
    return table_rows(gov, TABLES)


def _try(call: Any) -> Any:
    try:
        return call()
    except CgovError as exc:
        return (type(exc).__name__, str(exc))


def _income(rng: random.Random, n: int, tag: str) -> list[NewTransaction]:
    out = []
    for i in range(n):
        amount = str(rng.randrange(1, 40) * 100)
        out.append(NewTransaction([debit("1002", amount), credit("4201", amount)],
                                  channel="enterprise", voucher=f"JZ-{tag}-{i}",
                                  on=dt.date(2019, rng.randint(1, 12), rng.randint(1, 28)),
                                  memo="捐赠", counterparty="千秋实业",
                                  key=f"{tag}-{i}" if rng.random() < 0.8 else None))
    return out


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_funds_batches_are_the_single_forms_one_by_one(backend: str) -> None:
    for seed in range(3 if backend == "sqlite" else 2):
        _one_seed(backend, seed)


def _one_seed(backend: str, seed: int) -> None:
    rng = random.Random(seed)
    with _stores(backend) as (single, batch):
        city = build_small_city(single)
        build_small_city(batch)
        c = city.communities[0]
        staff, director = city.staff[c], city.director[c]
        for gov in (single, batch):
            gov.funds.set_budget(SYSTEM, c, "5101", 2019, "6000")
        # income: post one by one / post_many (a key posted before replays)
        income = _income(rng, 8, f"s{seed}")
        income.append(income[1])
        for t in income:
            single.funds.post(SYSTEM, c, t.postings, channel=t.channel, voucher=t.voucher,
                              on=t.on, memo=t.memo, counterparty=t.counterparty,
                              key=t.key)
        batch.funds.post_many(SYSTEM, c, income)
        assert _rows(batch) == _rows(single)
        # requests, approvals, payments (some beyond the budget or the balance)
        wanted = [NewDisbursement("5101", str(rng.randrange(2, 30) * 100),
                                  payee="办公用品公司", purpose=f"用品{i}",
                                  on=dt.date(2019, 6, 1 + i), key=f"d{seed}-{i}")
                  for i in range(6)]
        one = [_try(lambda w=w: single.funds.request(
            staff, c, w.account, w.amount, payee=w.payee, purpose=w.purpose, on=w.on,
            key=w.key)) for w in wanted]
        ok = [d for d in one if not isinstance(d, tuple)]
        if len(ok) == len(one):
            many = batch.funds.request_many(staff, c, wanted)
            assert many == one
        else:  # the batch refuses what one by one refused first, and writes nothing
            before = _rows(batch)
            first_refusal = next(d for d in one if isinstance(d, tuple))
            assert _try(lambda: batch.funds.request_many(staff, c, wanted)) == \
                first_refusal
            assert _rows(batch) == before
            # level the stores: the same requests one by one
            assert [_try(lambda w=w: batch.funds.request(
                staff, c, w.account, w.amount, payee=w.payee, purpose=w.purpose, on=w.on,
                key=w.key)) for w in wanted] == one
            one = ok
        assert _rows(batch) == _rows(single)
        ids = [d.id for d in one]
        assert [_try(lambda i=i: single.funds.approve(director, i)) for i in ids] == \
            batch.funds.approve_many(director, ids)
        assert _rows(batch) == _rows(single)
        pays = [Payment(i, f"ZF-{seed}-{k}", dt.date(2019, 7, 1)) for k, i in enumerate(ids)]
        got = [_try(lambda p=p: single.funds.pay(staff, p.disbursement_id,
                                                 voucher=p.voucher, on=p.on))
               for p in pays]
        refused = [g for g in got if isinstance(g, tuple)]
        if refused:
            before = _rows(batch)
            assert _try(lambda: batch.funds.pay_many(staff, pays)) == refused[0]
            assert _rows(batch) == before
        else:
            assert batch.funds.pay_many(staff, pays) == got
            assert _rows(batch) == _rows(single)
