"""supermarket.redeem_many: the same stored rows, answers and errors as redeem one by one."""

from __future__ import annotations

import contextlib
import random
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.errors import CgovError, IdempotencyConflict, OutOfStock
from community_governance.storage.tables import points as tp
from community_governance.testing.city import SmallCity, build_small_city
from tests.twins import twin_stores

SYSTEM = Actor.system("test")
NOW = pendulum.datetime(2019, 10, 28, 2, tz="UTC")
TABLES = (tp.points_entries, tp.points_balances, tp.stock_moves, tp.redemptions,
          tp.supermarket_items)


def _stores(backend: str) -> contextlib.AbstractContextManager[tuple[Any, Any]]:
    """Two fresh stores of the backend, their clocks pinned."""
    return twin_stores(backend, NOW)


def _setup(gov: Any, rng: random.Random) -> tuple[SmallCity, list[str], list[str]]:
    city = build_small_city(gov)
    c = city.communities[0]
    people = city.all_residents()[:6]
    for k, rid in enumerate(people):
        if k != 5:  # the last one has no balance row at all
            gov.points.earn(SYSTEM, rid, rng.randint(5, 60), key=f"seed-{rid}")
    items = [gov.supermarket.add_item(SYSTEM, c, name, price, stock=rng.randint(0, 4),
                                      id=f"I-{k}").id
             for k, (name, price) in enumerate((("洗衣液", 10), ("香皂", 5), ("食用油", 25)))]
    return city, people, items


def _rows(gov: Any, ids: bool = True) -> dict[str, list[Any]]:
    """The rows of the tables a redemption writes (``ids=False``: without the surrogate
    keys, which a PostgreSQL sequence leaves gaps in after a rolled-back write)."""
    out: dict[str, list[Any]] = {}
    with gov.store.unit_of_work(write=False) as uow:
        for tab in TABLES:
            cols = [c for c in tab.c if ids or c.name not in ("id", "entry_id")]
            order = ([tab.c.id] if "id" in tab.c else list(tab.primary_key.columns))
            out[tab.name] = [tuple(r) for r in uow.conn.execute(
                sa.select(*cols).order_by(*order))]
    return out


def _plain(got: Any) -> Any:
    """Redemptions without their ids (see :func:`_rows`)."""
    if isinstance(got, tuple):
        return got
    return [(r.resident_id, r.item_id, r.quantity, r.points, r.idempotency_key, r.entry.balance_after,
             r.entry.amount) for r in got]


def _outcome(call: Any) -> tuple[str, str] | Any:
    try:
        return call()
    except CgovError as exc:
        return (type(exc).__name__, str(exc))


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_redeem_many_is_redeem_one_by_one(backend: str) -> None:
    """Random batches (some with too little stock or too few points, a key redeemed before,
    an unknown item or resident): a batch that passes writes the rows one by one writes and
    answers the same; one that is refused raises what one by one raises at the first refusal
    and writes nothing."""
    for seed in range(6 if backend == "sqlite" else 3):
        rng = random.Random(seed)
        with _stores(backend) as (single, batch):
            _setup(single, random.Random(seed))
            _city, people, items = _setup(batch, random.Random(seed))
            ids = True  # the ids match until a refused batch leaves gaps (PostgreSQL)
            for round_ in range(4):
                asks = [(rng.choice([*people, "R-NONE"] if rng.random() < 0.05 else people),
                         rng.choice([*items, "I-NONE"] if rng.random() < 0.05 else items),
                         rng.choice([1, 1, 1, 2]), f"k{round_}-{n}")
                        for n in range(rng.randint(1, 6))]
                if round_ == 3 and rng.random() < 0.5:  # a retry of an earlier key
                    asks.append((*asks[0][:3], "k0-0"))
                before = _rows(batch)
                got: list[Any] = []
                for rid, item, q, key in asks:
                    one = _outcome(lambda rid=rid, item=item, q=q, key=key:
                                   single.supermarket.redeem(SYSTEM, rid, item, q, key=key))
                    if isinstance(one, tuple):
                        got = one  # type: ignore[assignment]
                        break
                    got.append(one)
                many = _outcome(lambda asks=asks: batch.supermarket.redeem_many(SYSTEM, asks))
                if isinstance(got, tuple):
                    assert many == got, (seed, round_)
                    assert _rows(batch) == before
                    ids = backend == "sqlite"
                    # bring the single store back level: undo is impossible, so rebuild the
                    # batch store's state by running the same asks one by one there too
                    for rid, item, q, key in asks:
                        if isinstance(_outcome(lambda rid=rid, item=item, q=q, key=key:
                                               batch.supermarket.redeem(
                                                   SYSTEM, rid, item, q, key=key)), tuple):
                            break
                elif ids:
                    assert many == got, (seed, round_)
                else:
                    assert _plain(many) == _plain(got), (seed, round_)
                assert _rows(batch, ids) == _rows(single, ids), (seed, round_)
            assert batch.points.check(SYSTEM) == []


def test_redeem_many_keys(gov: Any, small_city: SmallCity) -> None:
    """A retried batch answers the first redemptions; a key twice in a batch, or used for
    another request, is refused; all or nothing."""
    c = small_city.communities[0]
    rid = small_city.all_residents()[0]
    gov.points.earn(SYSTEM, rid, 100, key="seed")
    item = gov.supermarket.add_item(SYSTEM, c, "香皂", 10, stock=3).id
    first = gov.supermarket.redeem_many(SYSTEM, [(rid, item, 1, "a"), (rid, item, 1, "b")])
    assert gov.supermarket.redeem_many(SYSTEM, [(rid, item, 1, "a"), (rid, item, 1, "b")]) \
        == first
    assert gov.supermarket.redeem(SYSTEM, rid, item, 1, key="b") == first[1]
    with pytest.raises(IdempotencyConflict, match="twice"):
        gov.supermarket.redeem_many(SYSTEM, [(rid, item, 1, "c"), (rid, item, 1, "c")])
    with pytest.raises(IdempotencyConflict):
        gov.supermarket.redeem_many(SYSTEM, [(rid, item, 1, "c"), (rid, item, 2, "a")])
    with pytest.raises(OutOfStock):
        gov.supermarket.redeem_many(SYSTEM, [(rid, item, 1, "d"), (rid, item, 1, "e")])
    assert gov.supermarket.get_item(item).stock == 1
    assert gov.points.balance(SYSTEM, rid) == 80
    trail = gov.audit.log(SYSTEM, operation="supermarket.redeem_many")
    assert len(trail) == 2  # the first batch and its retry
