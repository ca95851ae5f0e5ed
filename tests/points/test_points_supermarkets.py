"""The points supermarket and the charity supermarket."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import community_governance
from community_governance.domain.access import Actor
from community_governance.domain.points import Item, RedemptionLimit
from community_governance.errors import (
    IdempotencyConflict,
    InsufficientBalance,
    InvalidTransition,
    NotFound,
    OutOfStock,
    PermissionDenied,
    PluginError,
    ValidationError,
)
from community_governance.markers import hookimpl
from community_governance.services.charity import DonationSpec, GiveOutSpec, LotSpec
from community_governance.testing.city import SmallCity, build_small_city

SYSTEM = Actor.system("test")


def _rich(gov: Any, city: SmallCity, points: int = 100) -> tuple[str, str]:
    c = city.communities[0]
    rid = city.all_residents()[0]
    gov.points.earn(SYSTEM, rid, points, key=f"seed-{rid}")
    return c, rid


def test_redeem_moves_stock_and_points_together(gov: Any, small_city: SmallCity) -> None:
    """Takes the goods off the shelf and the points off the balance in one transaction."""
    c, rid = _rich(gov, small_city)
    item = gov.supermarket.add_item(small_city.director[c], c, "洗衣液", 30, stock=3)
    red = gov.supermarket.redeem(Actor.resident(rid), rid, item.id, 2, key="buy")
    assert (red.points, red.entry.amount, red.entry.balance_after) == (60, -60, 40)
    assert gov.supermarket.get_item(item.id).stock == 1
    assert gov.supermarket.redeem(SYSTEM, rid, item.id, 2, key="buy") == red
    with pytest.raises(IdempotencyConflict):
        gov.supermarket.redeem(SYSTEM, rid, item.id, 1, key="buy")
    with pytest.raises(OutOfStock):
        gov.supermarket.redeem(SYSTEM, rid, item.id, 2, key="buy2")
    with pytest.raises(InsufficientBalance):
        gov.supermarket.redeem(SYSTEM, small_city.all_residents()[1], item.id, 1, key="b4")
    assert gov.supermarket.get_item(item.id).stock == 1  # the failed redemptions took nothing
    assert gov.points.balance(SYSTEM, rid) == 40
    assert [r.id for r in gov.supermarket.redemptions(Actor.resident(rid), resident_id=rid)] == [
        red.id]
    assert gov.points.check(SYSTEM) == []


def test_restock_and_reverse_return_goods(gov: Any, small_city: SmallCity) -> None:
    """Restocks once per key and puts goods back when a redemption is reversed."""
    c, rid = _rich(gov, small_city)
    item = gov.supermarket.add_item(SYSTEM, c, "大米", 50, stock=1)
    red = gov.supermarket.redeem(SYSTEM, rid, item.id, key="r")
    assert gov.supermarket.restock(SYSTEM, item.id, 5, key="rs") == 5
    assert gov.supermarket.restock(SYSTEM, item.id, 5, key="rs") == 5
    with pytest.raises(IdempotencyConflict):
        gov.supermarket.restock(SYSTEM, item.id, 6, key="rs")
    gov.points.reverse(SYSTEM, red.entry.id, key="rev", reason="退货")
    assert gov.supermarket.get_item(item.id).stock == 6
    assert gov.points.balance(SYSTEM, rid) == 100
    assert gov.points.check(SYSTEM) == []
    turnover = gov.supermarket.turnover(SYSTEM)[0]
    assert (turnover["goods_redeemed"], turnover["goods_restocked"], turnover["goods_returned"],
            turnover["stock_outs"], turnover["points_taken"]) == (1, 6, 1, 1, 50)


def test_bad_supermarket_inputs(gov: Any, small_city: SmallCity) -> None:
    """Rejects bad prices, quantities, unknown items and other communities' staff."""
    c, rid = _rich(gov, small_city)
    with pytest.raises(ValidationError):
        gov.supermarket.add_item(SYSTEM, c, "x", 0)
    with pytest.raises(ValidationError):
        gov.supermarket.add_item(SYSTEM, c, "x", 5, stock=-1)
    with pytest.raises(NotFound):
        gov.supermarket.add_item(SYSTEM, "411281009009", "x", 5)
    with pytest.raises(PermissionDenied):
        gov.supermarket.add_item(small_city.secretary[small_city.communities[1]], c, "x", 5)
    item = gov.supermarket.add_item(SYSTEM, c, "肥皂", 5, stock=2)
    for q in (0, -1, 1.5):
        with pytest.raises(ValidationError):
            gov.supermarket.redeem(SYSTEM, rid, item.id, q, key=f"q{q}")
    with pytest.raises(NotFound):
        gov.supermarket.redeem(SYSTEM, rid, "NOPE", 1, key="n")
    with pytest.raises(NotFound):
        gov.supermarket.redeem(SYSTEM, "R9999", item.id, 1, key="n2")
    gov.supermarket.set_active(SYSTEM, item.id, False)
    with pytest.raises(ValidationError, match="no longer offered"):
        gov.supermarket.redeem(SYSTEM, rid, item.id, 1, key="n3")
    assert gov.supermarket.stock(c) == [Item(item.id, c, "肥皂", 5, 2, False)]


def test_redemption_limit_hook(small_city: SmallCity) -> None:
    """Applies a county's per-resident limit per period and refuses a malformed one."""

    class Limits:
        @hookimpl
        def cgov_redemption_limit(self, item: Item, resident_id: str) -> Any:
            if item.name == "食用油":
                return RedemptionLimit(quantity=1, period="month")
            if item.name == "坏规则":
                return RedemptionLimit(quantity=1, period="fortnight")
            return None

    with community_governance.open("memory://", [Limits()], entrypoints=False) as gov:
        city = build_small_city(gov)
        c, rid = _rich(gov, city)
        oil = gov.supermarket.add_item(SYSTEM, c, "食用油", 10, stock=5)
        gov.supermarket.redeem(SYSTEM, rid, oil.id, key="o1")
        with pytest.raises(ValidationError, match="at most 1"):
            gov.supermarket.redeem(SYSTEM, rid, oil.id, key="o2")
        bad = gov.supermarket.add_item(SYSTEM, c, "坏规则", 10, stock=5)
        with pytest.raises(PluginError):
            gov.supermarket.redeem(SYSTEM, rid, bad.id, key="o3")
        assert gov.supermarket.get_item(oil.id).stock == 4
        assert gov.points.balance(SYSTEM, rid) == 90


def test_charity_flow(gov: Any, small_city: SmallCity) -> None:
    """Receives, sorts and gives donated goods free to residents in difficulty only."""
    c = small_city.communities[0]
    office = small_city.staff[c]
    d = gov.charity.receive(office, c, donor="义马市第一中学", category="clothes",
                            condition="good", quantity=10, estimated_value=Decimal("500.00"))
    assert d.estimated_value_fen == 50000
    lots = gov.charity.sort(office, d.id, [LotSpec("冬季棉衣", 6), LotSpec("毛衣", 3, "fair")],
                            discarded=1)
    assert [(x.quantity, x.unit_value_fen) for x in lots] == [(6, 5000), (3, 5000)]
    with pytest.raises(InvalidTransition):
        gov.charity.sort(office, d.id, [LotSpec("x", 10)])
    elderly = small_city.elderly[c]
    g = gov.charity.give_out(office, lots[0].id, elderly, 2, key="g1")
    assert gov.charity.give_out(office, lots[0].id, elderly, 2, key="g1") == g
    with pytest.raises(IdempotencyConflict):
        gov.charity.give_out(office, lots[0].id, elderly, 1, key="g1")
    not_in_need = small_city.all_residents()[0]
    with pytest.raises(PermissionDenied, match="not eligible"):
        gov.charity.give_out(office, lots[0].id, not_in_need, 1, key="g2")
    with pytest.raises(OutOfStock):
        gov.charity.give_out(office, lots[1].id, elderly, 4, key="g3")
    assert [(x.id, x.quantity) for x in gov.charity.in_store(office)] == [
        (lots[0].id, 4), (lots[1].id, 3)]
    assert gov.charity.given(office, resident_id=elderly) == [g]
    with pytest.raises(PermissionDenied):
        gov.charity.give_out(small_city.staff[small_city.communities[1]], lots[0].id, elderly,
                             1, key="g4")
    with pytest.raises(ValidationError):
        gov.charity.receive(office, c, donor="x", category="clothes", condition="broken",
                            quantity=1, estimated_value=Decimal("1"))
    with pytest.raises(ValidationError):
        gov.charity.receive(office, c, donor="x", category="clothes", condition="good",
                            quantity=1, estimated_value=Decimal("1.005"))
    assert [x.status for x in gov.charity.donations(office)] == ["stored"]


def test_receive_many_and_sort_many_are_receive_and_sort_in_one_transaction(
        gov: Any, small_city: SmallCity) -> None:
    """receive_many and sort_many store what receive and sort store, each audited once, and
    write nothing when one item is refused."""
    c = small_city.communities[0]
    office = small_city.staff[c]
    one = gov.charity.receive(office, c, donor="匿名", category="clothes", condition="good",
                              quantity=4, estimated_value="80", id="D-1")
    many = gov.charity.receive_many(office, c, [
        DonationSpec("义马市第一中学", "books", "new", 5, Decimal("50.00"), "D-2"),
        DonationSpec("社区居民", "clothes", "fair", 3, 30, "D-3")])
    assert [(d.id, d.quantity, d.estimated_value_fen) for d in [one, *many]] == [
        ("D-1", 4, 8000), ("D-2", 5, 5000), ("D-3", 3, 3000)]
    assert gov.charity.donations(office) == [one, *many]
    lots = gov.charity.sort_many(office, [("D-2", [LotSpec("课外读物", 4)], 1),
                                          ("D-3", [LotSpec("毛衣", 2), LotSpec("围巾", 1)], 0)])
    assert [[(x.id, x.quantity, x.unit_value_fen) for x in ls] for ls in lots] == [
        [("D-2-L1", 4, 1000)], [("D-3-L1", 2, 1000), ("D-3-L2", 1, 1000)]]
    ops = [e.operation for e in gov.audit.log(SYSTEM, operation="charity.")]
    assert ops == ["charity.receive", "charity.receive_many", "charity.sort_many"]
    bad_receipts: list[list[DonationSpec]] = [
        [DonationSpec("x", "books", "new", 1, 10, "D-4"),
         DonationSpec("x", "books", "broken", 1, 10, "D-5")],
        [DonationSpec("x", "books", "new", 1, 10, "D-4"),
         DonationSpec("x", "books", "new", 0, 10, "D-5")],
        [DonationSpec("x", "books", "new", 1, 10, "D-4"),
         DonationSpec("x", "books", "new", 1, "1.005", "D-5")],
        [DonationSpec("x", "books", "new", 1, 10, "D-4"), DonationSpec(" ", "books", "new", 1, 10)],
    ]
    paths = []
    for items in bad_receipts:
        with pytest.raises(ValidationError) as info:
            gov.charity.receive_many(office, c, items)
        paths.append(info.value.path)
    assert paths == ["donations[1].condition", "donations[1].quantity",
                     "donations[1].estimated_value", "donations[1].donor"]
    with pytest.raises(PermissionDenied):
        gov.charity.receive_many(small_city.staff[small_city.communities[1]], c,
                                 [DonationSpec("x", "books", "new", 1, 10, "D-6")])
    gov.charity.receive(office, c, donor="匿名", category="clothes", condition="good",
                        quantity=2, estimated_value="20", id="D-7")
    with pytest.raises(ValidationError) as info:
        gov.charity.sort_many(office, [("D-7", [LotSpec("棉衣", 2)], 0),
                                       ("D-1", [LotSpec("x", 9)], 0)])
    assert info.value.path == "sortings[1].lots"
    with pytest.raises(InvalidTransition):
        gov.charity.sort_many(office, [("D-1", [LotSpec("棉衣", 4)], 0),
                                       ("D-1", [LotSpec("棉衣", 4)], 0)])
    assert [(d.id, d.status) for d in gov.charity.donations(office)] == [
        ("D-1", "received"), ("D-2", "stored"), ("D-3", "stored"), ("D-7", "received")]
    assert len(gov.charity.in_store(office)) == 3


def test_give_out_many_is_give_out_in_one_transaction(gov: Any, small_city: SmallCity) -> None:
    """give_out_many gives out as give_out does, item by item, replays a used key, and
    writes nothing when one item is refused."""
    c = small_city.communities[0]
    office = small_city.staff[c]
    d = gov.charity.receive(office, c, donor="义马市第一中学", category="clothes",
                            condition="good", quantity=9, estimated_value=Decimal("450.00"))
    lots = gov.charity.sort(office, d.id, [LotSpec("冬季棉衣", 6), LotSpec("毛衣", 3)])
    elderly = small_city.elderly[c]
    first = gov.charity.give_out(office, lots[0].id, elderly, 2, key="g1")
    got = gov.charity.give_out_many(office, [
        GiveOutSpec(lots[0].id, elderly, 2, key="g1"),  # the same give-out again: replayed
        GiveOutSpec(lots[0].id, elderly, 3, key="g2"),
        GiveOutSpec(lots[1].id, elderly, 1, key="g3")])
    assert got[0] == first and [(g.lot_id, g.quantity) for g in got[1:]] == [
        (lots[0].id, 3), (lots[1].id, 1)]
    assert gov.charity.given(office, resident_id=elderly) == [first, *got[1:]]
    trail = gov.audit.log(SYSTEM, operation="charity.give_out")
    assert [e.operation for e in trail] == ["charity.give_out", "charity.give_out_many"]
    stock = [(x.id, x.quantity) for x in gov.charity.in_store(office)]
    assert stock == [(lots[0].id, 1), (lots[1].id, 2)]
    not_in_need = small_city.all_residents()[0]
    refused: list[tuple[list[GiveOutSpec], type[Exception]]] = [
        ([GiveOutSpec(lots[1].id, elderly, 1, key="g4"),
          GiveOutSpec(lots[0].id, not_in_need, 1, key="g5")], PermissionDenied),
        ([GiveOutSpec(lots[1].id, elderly, 1, key="g4"),
          GiveOutSpec(lots[0].id, elderly, 2, key="g5")], OutOfStock),
        ([GiveOutSpec(lots[1].id, elderly, 1, key="g4"),
          GiveOutSpec(lots[0].id, elderly, 1, key="g2")], IdempotencyConflict),
        ([GiveOutSpec(lots[1].id, elderly, 1, key="g4"),
          GiveOutSpec(lots[0].id, elderly, 1, key="g4")], ValidationError),
        ([GiveOutSpec(lots[1].id, elderly, 0, key="g6")], ValidationError),
    ]
    for items, error in refused:
        with pytest.raises(error):
            gov.charity.give_out_many(office, items)
    with pytest.raises(PermissionDenied):
        gov.charity.give_out_many(small_city.staff[small_city.communities[1]],
                                  [GiveOutSpec(lots[1].id, elderly, 1, key="g7")])
    assert [(x.id, x.quantity) for x in gov.charity.in_store(office)] == stock
    assert len(gov.charity.given(office)) == 3


def test_restock_many_is_restock_in_one_transaction(gov: Any, small_city: SmallCity) -> None:
    """restock_many moves stock as restock does, applies each key once, and writes nothing
    when one move is refused."""
    c = small_city.communities[0]
    office = small_city.director[c]
    a = gov.supermarket.add_item(office, c, "大米", 20, stock=1)
    b = gov.supermarket.add_item(office, c, "食用油", 40)
    assert gov.supermarket.restock_many(office, [(a.id, 4, "m-a"), (b.id, 2, "m-b"),
                                                 (a.id, 1, None)]) == [5, 2, 6]
    # a retried batch is not applied twice; a new key in it is
    assert gov.supermarket.restock_many(office, [(a.id, 4, "m-a"), (b.id, 3, "m-b2")]) == [6, 5]
    assert (gov.supermarket.get_item(a.id).stock, gov.supermarket.get_item(b.id).stock) == (6, 5)
    # the key of a single restock is seen by the batch, and the batch's by restock
    assert gov.supermarket.restock(office, b.id, 3, key="m-b2") == 5
    with pytest.raises(IdempotencyConflict):
        gov.supermarket.restock_many(office, [(b.id, 7, "m-new"), (a.id, 9, "m-a")])
    with pytest.raises(IdempotencyConflict):
        gov.supermarket.restock_many(office, [(b.id, 1, "dup"), (a.id, 1, "dup")])
    with pytest.raises(NotFound):
        gov.supermarket.restock_many(office, [(b.id, 1, "m-x"), ("I-NONE", 1, "m-y")])
    with pytest.raises(ValidationError):
        gov.supermarket.restock_many(office, [(b.id, 0, "m-z")])
    other = small_city.communities[1]
    with pytest.raises(PermissionDenied):
        gov.supermarket.restock_many(small_city.director[other], [(b.id, 1, "m-p")])
    # nothing of the refused batches was written
    assert (gov.supermarket.get_item(a.id).stock, gov.supermarket.get_item(b.id).stock) == (6, 5)
    trail = gov.audit.log(SYSTEM, operation="supermarket.restock_many")
    assert len(trail) == 2
