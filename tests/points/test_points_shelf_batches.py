"""supermarket.add_items and volunteers.add_members_many write what add_item and add_members
write one by one (the same rows, the same audit objects, in order), and refuse with the
error one by one meets first, placed in the batch, writing nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
from collections.abc import Callable
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.volunteers import VolunteerOrg
from community_governance.errors import CgovError, ValidationError
from community_governance.services.supermarket import NewItem
from community_governance.services.volunteers import NewVolunteer
from community_governance.storage.tables import core as t
from community_governance.storage.tables import points as tp
from community_governance.testing.city import SmallCity, build_small_city
from tests.twins import table_rows, twin_stores

SYSTEM = Actor.system("shelf-test")
NOW = pendulum.datetime(2019, 9, 2, 1, tz="UTC")
TABLES = (tp.supermarket_items, tp.stock_moves, tp.volunteer_memberships)
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _stores(backend: str) -> contextlib.AbstractContextManager[tuple[Any, Any]]:
    """Two fresh stores of the backend, their clocks pinned."""
    return twin_stores(backend, NOW)


def _rows(gov: Any) -> dict[str, list[Any]]:
    return table_rows(gov, TABLES)


def _objects(gov: Any, *operations: str) -> list[str]:
    """The audit objects of ``operations``' rows, in the order written, one list."""
    a = t.audit_log
    with gov.store.unit_of_work(write=False) as uow:
        rows = uow.conn.execute(sa.select(a.c.objects).where(a.c.operation.in_(operations))
                                .order_by(a.c.id)).scalars()
        return [o for r in rows for o in json.loads(r)]


def _try(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except CgovError as exc:
        return (type(exc).__name__, str(exc))


def _volunteers(gov: Any, city: SmallCity) -> list[str]:
    people = city.all_residents()
    gov.volunteers.register_many(SYSTEM, [NewVolunteer(r, ["维修"], "周末") for r in people[:-2]])
    gov.volunteers.add_orgs(SYSTEM, [
        VolunteerOrg(f"VO-{c}-{k}", f"{c[-3:]}队{k}", c, "environment")
        for c in city.communities for k in (1, 2)])
    return people


@pytest.mark.parametrize("backend", BACKENDS)
def test_add_items_is_add_item_one_by_one(backend: str) -> None:
    rng = random.Random(7)
    with _stores(backend) as (single, batch):
        city = build_small_city(single)
        build_small_city(batch)
        shelf = [NewItem(c, f"货品{k}", rng.randint(1, 90), stock=rng.choice([0, 3, 12]),
                         id=f"I-{c}-{k}")
                 for c in city.communities for k in range(4)]
        one = [single.supermarket.add_item(SYSTEM, x.community, x.name, x.price_points,
                                           stock=x.stock, id=x.id) for x in shelf]
        assert batch.supermarket.add_items(SYSTEM, shelf) == one
        assert _rows(batch) == _rows(single)
        assert _objects(batch, "supermarket.add_items") == \
            _objects(single, "supermarket.add_item")
        # a staff member adds to their own community's shelf; another's is refused, as one by
        # one, and nothing is written
        c0, c1 = city.communities[0], city.communities[1]
        staff = city.staff[c0]
        more = [NewItem(c0, "毛巾", 20, stock=2, id="I-x1"), NewItem(c1, "香皂", 10, id="I-x2")]
        first = _try(lambda: [single.supermarket.add_item(
            staff, x.community, x.name, x.price_points, stock=x.stock, id=x.id) for x in more])
        before = _rows(batch)
        assert first[0] == "PermissionDenied"
        assert _try(lambda: batch.supermarket.add_items(staff, more)) == first
        assert _rows(batch) == before
        batch.supermarket.add_item(staff, c0, "毛巾", 20, stock=2, id="I-x1")
        # the same rows; on PostgreSQL the rolled-back batch used a stock move id (a sequence
        # does not roll back), so the moves are compared without their ids
        got, want = _rows(batch), _rows(single)
        assert [m[1:] for m in got.pop("stock_moves")] == \
            [m[1:] for m in want.pop("stock_moves")]
        assert got == want


@pytest.mark.parametrize("backend", ["sqlite"])
def test_add_items_errors_name_the_place_in_the_batch(backend: str) -> None:
    with _stores(backend) as (gov, _other):
        city = build_small_city(gov)
        c = city.communities[0]
        good = NewItem(c, "大米", 120, stock=5, id="I-1")
        cases: list[tuple[list[Any], str, str]] = [
            ([good, NewItem(c, "油", 0)], "ValidationError", "$[1].price_points"),
            ([good, good, NewItem(c, "油", 0)], "ConflictError", "exists already at $[1]"),
            ([good, NewItem(c, "油", 8, stock=-1)], "ValidationError", "$[1].stock"),
            ([good, NewItem(c, " ", 8)], "ValidationError", "$[1].name"),
            ([good, NewItem(c, "联系13912345678", 8)], "ValidationError", "$[1].name"),
            ([good, NewItem("411281001999", "油", 8)], "NotFound", "at $[1]"),
            ([good, ("not", "an", "item")], "ValidationError", "$[1]"),
        ]
        for items, kind, where in cases:
            got = _try(lambda batch=items: gov.supermarket.add_items(  # type: ignore[misc]
                SYSTEM, batch))
            assert got[0] == kind and where in got[1], (items, got)
        assert gov.supermarket.stock(c) == []  # all or nothing
        gov.supermarket.add_item(SYSTEM, c, "大米", 120, id="I-1")
        with pytest.raises(ValidationError, match=r"@ price_points$"):
            gov.supermarket.add_item(SYSTEM, c, "油", 0)
        got = _try(lambda: gov.supermarket.add_items(SYSTEM, [NewItem(c, "油", 8, id="I-1")]))
        assert got == ("ConflictError", "supermarket item I-1 exists already at $[0]")


@pytest.mark.parametrize("backend", BACKENDS)
def test_add_members_many_is_add_members_one_by_one(backend: str) -> None:
    rng = random.Random(3)
    since = dt.date(2019, 6, 1)
    with _stores(backend) as (single, batch):
        city = build_small_city(single)
        build_small_city(batch)
        people = _volunteers(single, city)
        _volunteers(batch, city)
        vols = people[:-2]
        orgs = [f"VO-{c}-{k}" for c in city.communities for k in (1, 2)]
        # some members before; an organization twice; members given twice
        for gov in (single, batch):
            gov.volunteers.add_members(SYSTEM, orgs[0], vols[:3], since=since)
        wanted = [(o, rng.sample(vols, 5) + vols[:2], since + dt.timedelta(days=k))
                  for k, o in enumerate(orgs + orgs[:2])]
        one = [single.volunteers.add_members(SYSTEM, o, ids, since=s) for o, ids, s in wanted]
        assert batch.volunteers.add_members_many(SYSTEM, wanted) == one
        assert _rows(batch) == _rows(single)
        assert _objects(batch, "volunteers.add_members_many") == \
            _objects(single, "volunteers.add_members")[3:]  # after the first three
        # errors: the first one by one meets, placed, nothing written
        before = _rows(batch)
        bad = [(orgs[1], vols[-3:], since), ("VO-nope", vols[:1], since)]
        assert _try(lambda: batch.volunteers.add_members_many(SYSTEM, bad)) == (
            "NotFound", "volunteer organization 'VO-nope' does not exist; at $[1]")
        bad = [(orgs[1], vols[-3:], since), (orgs[2], people[-1:], since)]
        got = _try(lambda: batch.volunteers.add_members_many(SYSTEM, bad))
        assert got[0] == "ValidationError" and got[1].endswith("@ $[1].resident_ids")
        assert _try(lambda: single.volunteers.add_members(SYSTEM, orgs[2], people[-1:],
                                                          since=since))[1].endswith(
            "@ resident_ids")
        c1 = city.communities[1]
        staff = city.staff[city.communities[0]]
        bad = [(orgs[0], vols[-3:], since), (f"VO-{c1}-1", vols[:1], since)]
        first = _try(lambda: [single.volunteers.add_members(staff, o, ids, since=s)
                              for o, ids, s in bad])
        assert first[0] == "PermissionDenied"
        assert _try(lambda: batch.volunteers.add_members_many(staff, bad)) == first
        assert _rows(batch) == before
