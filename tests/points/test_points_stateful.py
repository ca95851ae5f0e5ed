"""A rule-based state machine: the journal and the supermarket against a simple model."""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    rule,
)

import community_governance
from community_governance.domain.access import Actor
from community_governance.errors import (
    ConflictError,
    IdempotencyConflict,
    InsufficientBalance,
    OutOfStock,
)
from community_governance.testing.city import build_small_city

SYSTEM = Actor.system("model")
RESIDENTS = 4


class LedgerMachine(RuleBasedStateMachine):
    """The service against dictionaries of balances, stock and answered keys."""

    keys = Bundle("keys")
    entries = Bundle("entries")

    def __init__(self) -> None:
        super().__init__()
        self.gov: Any = community_governance.open("memory://", entrypoints=False)
        city = build_small_city(self.gov)
        self.residents = city.all_residents()[:RESIDENTS]
        self.item = self.gov.supermarket.add_item(SYSTEM, city.communities[0], "香皂", 7,
                                                  stock=2).id
        self.balance = dict.fromkeys(self.residents, 0)
        self.stock = 2
        self.answers: dict[str, tuple[str, Any, Any]] = {}
        self.reversed: set[int] = set()
        self.n = 0

    def teardown(self) -> None:
        self.gov.close()

    def _key(self) -> str:
        self.n += 1
        return f"k{self.n}"

    @rule(target=keys, who=st.integers(0, RESIDENTS - 1), amount=st.integers(1, 30))
    def earn(self, who: int, amount: int) -> Any:
        rid = self.residents[who]
        key = self._key()
        e = self.gov.points.earn(SYSTEM, rid, amount, key=key)
        self.balance[rid] += amount
        assert e.balance_after == self.balance[rid]
        self.answers[key] = ("earn", (rid, amount), e)
        return key

    @rule(target=keys, who=st.integers(0, RESIDENTS - 1), amount=st.integers(1, 30))
    def redeem(self, who: int, amount: int) -> Any:
        rid = self.residents[who]
        key = self._key()
        try:
            e = self.gov.points.redeem(SYSTEM, rid, amount, key=key)
        except InsufficientBalance:
            assert self.balance[rid] < amount
            return multiple()
        assert self.balance[rid] >= amount
        self.balance[rid] -= amount
        self.answers[key] = ("redeem", (rid, amount), e)
        return key

    @rule(target=keys, who=st.integers(0, RESIDENTS - 1), quantity=st.integers(1, 3))
    def buy(self, who: int, quantity: int) -> Any:
        rid = self.residents[who]
        key = self._key()
        try:
            red = self.gov.supermarket.redeem(SYSTEM, rid, self.item, quantity, key=key)
        except OutOfStock:
            assert self.stock < quantity
            return multiple()
        except InsufficientBalance:
            assert self.stock >= quantity and self.balance[rid] < 7 * quantity
            return multiple()
        self.stock -= quantity
        self.balance[rid] -= 7 * quantity
        self.answers[key] = ("buy", (rid, quantity), red)
        return key

    @rule(quantity=st.integers(1, 4))
    def restock(self, quantity: int) -> None:
        assert self.gov.supermarket.restock(SYSTEM, self.item, quantity) == self.stock + quantity
        self.stock += quantity

    @rule(key=keys)
    def replay(self, key: str) -> None:
        kind, (rid, x), first = self.answers[key]
        if kind == "earn":
            got = self.gov.points.earn(SYSTEM, rid, x, key=key)
        elif kind == "redeem":
            got = self.gov.points.redeem(SYSTEM, rid, x, key=key)
        else:
            got = self.gov.supermarket.redeem(SYSTEM, rid, self.item, x, key=key)
        assert got == first

    @rule(key=keys, other=st.integers(31, 40))
    def replay_with_other_request(self, key: str, other: int) -> None:
        _, (rid, _), _ = self.answers[key]
        try:
            self.gov.points.earn(SYSTEM, rid, other, key=key)
        except IdempotencyConflict:
            return
        raise AssertionError("a reused key with another amount must conflict")

    @rule(key=consumes(keys))
    def reverse(self, key: str) -> None:
        kind, (rid, x), first = self.answers[key]
        entry = first if kind != "buy" else first.entry
        try:
            self.gov.points.reverse(SYSTEM, entry.id, key=f"rev-{key}", reason="model")
        except InsufficientBalance:
            assert kind == "earn" and self.balance[rid] < x
            return
        except ConflictError:
            assert entry.id in self.reversed
            return
        self.reversed.add(entry.id)
        self.balance[rid] -= entry.amount
        if kind == "buy":
            self.stock += x

    @invariant()
    def agrees_with_the_model(self) -> None:
        stored = self.gov.points.balances(SYSTEM)
        assert {r: stored.get(r, 0) for r in self.residents} == self.balance
        assert self.gov.supermarket.get_item(self.item).stock == self.stock

    @invariant()
    def ledger_checks_pass(self) -> None:
        assert self.gov.points.check(SYSTEM) == []


LedgerMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=25,
                                           deadline=None)
TestLedgerMachine = LedgerMachine.TestCase
TestLedgerMachine.__doc__ = "Keeps the service and the model in agreement under random operations."
