"""funds.set_budgets writes what set_budget writes one by one, and support in kind in a
post_many batch (NewInKind) what record_in_kind writes in its place: the same rows, ids,
chain hashes, answers and audit objects; errors are the ones one by one meets first, nothing
written (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

import pytest
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.funds import InKindItem, credit, debit
from community_governance.services.funds import NewBudget, NewInKind, NewTransaction
from community_governance.storage.tables import core as t
from community_governance.storage.tables import funds as f
from community_governance.testing.city import build_small_city
from tests.funds.test_batch_equivalence import _stores, _try
from tests.twins import table_rows

SYSTEM = Actor.system("funds-test")
TABLES = (f.funds_transactions, f.funds_postings, f.funds_in_kind, f.funds_locks,
          f.funds_budgets)
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _rows(gov: Any) -> dict[str, list[Any]]:
    return table_rows(gov, TABLES)


def _objects(gov: Any, *operations: str) -> list[str]:
    a = t.audit_log
    with gov.store.unit_of_work(write=False) as uow:
        rows = uow.conn.execute(sa.select(a.c.objects).where(a.c.operation.in_(operations))
                                .order_by(a.c.id)).scalars()
        return [o for r in rows for o in json.loads(r)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_set_budgets_is_set_budget_one_by_one(backend: str) -> None:
    rng = random.Random(5)
    with _stores(backend) as (single, batch):
        city = build_small_city(single)
        build_small_city(batch)
        c0, c1 = city.communities[0], city.communities[1]
        for gov in (single, batch):  # a budget set before, changed by the batch
            gov.funds.set_budget(SYSTEM, c0, "5101", 2019, "1000")
        plan = [NewBudget(c, acc, 2019, str(rng.randrange(1, 90) * 1000))
                for c in (c0, c1) for acc in ("5101", "5102", "5103")]
        plan.append(NewBudget(c1, "5102", 2019, "123.45"))  # the same budget twice
        one = [single.funds.set_budget(SYSTEM, b.community_code, b.account, b.year, b.amount)
               for b in plan]
        assert batch.funds.set_budgets(SYSTEM, plan) == one
        # set_at and set_by are the same (a fixed clock, the same actor)
        assert _rows(batch) == _rows(single)
        assert _objects(batch, "funds.set_budgets") == _objects(single, "funds.set_budget")[1:]
        # errors: the one one by one meets first, with its place; nothing written
        before = _rows(batch)
        for bad, where in [
            ([NewBudget(c0, "5101", 2019, "10"), NewBudget(c0, "5101", 2019, 1.5)],
             "@ $[1].amount"),
            ([NewBudget(c0, "5101", 2019, "10"), NewBudget(c0, "5101", 2019, "-3")],
             "@ $[1].amount"),
            ([NewBudget(c0, "5101", 2019, "10"), NewBudget(c0, "4101", 2019, "3")],
             "@ $[1].account"),
            ([NewBudget(c0, "5101", 2019, "10"), NewBudget(c0, "5101", 1900, "3")],
             "@ $[1].year"),
            ([NewBudget(c0, "5101", 2019, "10"), "5101"], "@ $[1]"),
        ]:
            got = _try(lambda bad=bad: batch.funds.set_budgets(SYSTEM, bad))
            assert got[0] == "ValidationError" and got[1].endswith(where), got
        assert _try(lambda: single.funds.set_budget(SYSTEM, c0, "5101", 2019, 1.5))[1] \
            .endswith("@ amount")
        got = _try(lambda: batch.funds.set_budgets(SYSTEM, [
            NewBudget(c0, "5101", 2019, "10"), NewBudget("411281009999", "5101", 2019, "3")]))
        assert got[0] == "NotFound"
        staff = city.staff[c0]
        refused = _try(lambda: [single.funds.set_budget(staff, b.community_code, b.account,
                                                        b.year, b.amount)
                                for b in (NewBudget(c0, "5104", 2019, "50"),
                                          NewBudget(c1, "5104", 2019, "50"))])
        assert refused[0] == "PermissionDenied"
        assert _try(lambda: batch.funds.set_budgets(staff, [
            NewBudget(c0, "5104", 2019, "50"), NewBudget(c1, "5104", 2019, "50")])) == refused
        assert _rows(batch) == before
        # below what was spent: refused as one by one
        for gov in (single, batch):
            gov.funds.post(SYSTEM, c0, [debit("1002", "5000"), credit("4101", "5000")],
                           channel="city_allocation", voucher="BK-1", on=dt.date(2019, 1, 8))
            gov.funds.post(SYSTEM, c0, [debit("5101", "800"), credit("1002", "800")],
                           channel="internal", voucher="ZF-1", on=dt.date(2019, 2, 8))
        one_err = _try(lambda: single.funds.set_budget(SYSTEM, c0, "5101", 2019, "700"))
        got = _try(lambda: batch.funds.set_budgets(SYSTEM, [NewBudget(c0, "5101", 2019, "700")]))
        assert got == (one_err[0], one_err[1].replace("@ amount", "@ $[0].amount"))


def _mixed(rng: random.Random, tag: str) -> list[NewTransaction | NewInKind]:
    out: list[NewTransaction | NewInKind] = []
    for i in range(10):
        day = dt.date(2019, rng.randint(1, 12), rng.randint(1, 28))
        if rng.random() < 0.4:
            out.append(NewInKind([InKindItem("台式电脑", rng.randint(1, 3), "3500"),
                                  InKindItem("办公桌椅", rng.randint(2, 6), "600")],
                                 donor="义马煤业集团", voucher=f"SW-{tag}-{i}", on=day,
                                 key=f"{tag}-k{i}" if rng.random() < 0.8 else None))
        else:
            amount = str(rng.randrange(1, 40) * 100)
            out.append(NewTransaction([debit("1002", amount), credit("4401", amount)],
                                      channel="partner_unit", voucher=f"BK-{tag}-{i}", on=day,
                                      memo="共建", counterparty="义马煤业集团",
                                      key=f"{tag}-t{i}" if rng.random() < 0.8 else None))
    return out


def _one_by_one(gov: Any, c: str, items: list[NewTransaction | NewInKind]) -> list[Any]:
    out = []
    for x in items:
        if isinstance(x, NewInKind):
            out.append(gov.funds.record_in_kind(
                SYSTEM, c, x.items, donor=x.donor, voucher=x.voucher, channel=x.channel,
                on=x.on, donor_consent=x.donor_consent, key=x.key))
        else:
            out.append(gov.funds.post(SYSTEM, c, x.postings, channel=x.channel,
                                      voucher=x.voucher, on=x.on, memo=x.memo,
                                      counterparty=x.counterparty, key=x.key))
    return out


@pytest.mark.parametrize("backend", BACKENDS)
def test_in_kind_in_post_many_is_record_in_kind_in_its_place(backend: str) -> None:
    for seed in range(3 if backend == "sqlite" else 2):
        rng = random.Random(seed)
        with _stores(backend) as (single, batch):
            city = build_small_city(single)
            build_small_city(batch)
            c = city.communities[0]
            items = _mixed(rng, f"s{seed}")
            # one recorded before (its key replays in the batch) and one given twice
            keyed = [x for x in items if isinstance(x, NewInKind) and x.key]
            if keyed:
                for gov in (single, batch):
                    _one_by_one(gov, c, [keyed[0]])
                items.append(keyed[-1])
            items.insert(0, NewInKind([InKindItem("办公桌椅", 4, "600")], donor="千秋实业",
                                      voucher=f"SW-{seed}-first", on=dt.date(2019, 3, 1),
                                      key=f"s{seed}-first"))  # support in kind first
            one = _one_by_one(single, c, items)
            assert batch.funds.post_many(SYSTEM, c, items) == one
            assert _rows(batch) == _rows(single)
            assert _objects(batch, "funds.post_many") == _objects(
                single, "funds.post", "funds.record_in_kind")[len(keyed[:1]):]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_in_kind_in_post_many_errors(backend: str) -> None:
    with _stores(backend) as (gov, other):
        city = build_small_city(gov)
        build_small_city(other)
        c = city.communities[0]
        cash = NewTransaction([debit("1002", "100"), credit("4401", "100")],
                              channel="partner_unit", voucher="BK-1", key="k1")
        thing = NewInKind([InKindItem("台式电脑", 1, "3500")], donor="义马煤业集团",
                          voucher="SW-1", key="k2")
        before = _rows(gov)
        got = _try(lambda: gov.funds.post_many(SYSTEM, c, [cash, NewInKind(
            [], donor="x", voucher="SW-2")]))
        assert got == ("ValidationError", "record at least one InKindItem @ transactions[1].items")
        got = _try(lambda: gov.funds.post_many(SYSTEM, c, [cash, NewInKind(
            [InKindItem("电脑", 1, "3500")], donor="x", voucher="SW-2",
            income_account="1002")]))
        one = _try(lambda: other.funds.record_in_kind(
            SYSTEM, c, [InKindItem("电脑", 1, "3500")], donor="x", voucher="SW-2",
            income_account="1002"))
        assert got == one and got[0] == "ValidationError"
        # a key used for a different transaction: refused, as one by one
        reused = NewInKind([InKindItem("台式电脑", 2, "3500")], donor="义马煤业集团",
                           voucher="SW-1", key="k1")
        got = _try(lambda: gov.funds.post_many(SYSTEM, c, [cash, thing, reused]))
        assert got[0] == "IdempotencyConflict"
        assert _rows(gov) == before
        staff = city.staff[city.communities[1]]
        assert _try(lambda: gov.funds.post_many(staff, c, [thing]))[0] == "PermissionDenied"
        assert _rows(gov) == before
