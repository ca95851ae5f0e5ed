"""Stateful property tests of the ledger: every transaction balances, the trial balance sums to
zero, balances equal the sums of their postings, and no float ever appears."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
)

import community_governance as cg
from community_governance.defaults.funds import STANDARD_CHART
from community_governance.domain.access import Actor
from community_governance.domain.funds import Posting, from_fen
from community_governance.domain.units import Unit, UnitKind
from community_governance.errors import (
    InsufficientBalance,
    UnbalancedTransaction,
    ValidationError,
)

SYSTEM = Actor.system("funds-stateful")
C = "411281001001"
CODES = [a.code for a in STANDARD_CHART]
EXPENSES = [a.code for a in STANDARD_CHART if a.type.value == "expense"]
DAY = dt.date(2019, 6, 1)

fen_amounts = st.integers(min_value=1, max_value=10**10)
line = st.tuples(st.sampled_from(CODES), fen_amounts, st.booleans())


class LedgerMachine(RuleBasedStateMachine):
    """Posts, replays, reverses and refuses at random while a model keeps the expected books."""

    transactions = Bundle("transactions")

    def __init__(self) -> None:
        super().__init__()
        self.gov: Any = cg.open("memory://", entrypoints=False)
        self.model: dict[str, int] = {}
        self.keys: dict[str, tuple[int, list[Posting]]] = {}
        self.serial = 0
        self.budgets: dict[str, int] = {}

    @initialize()
    def units(self) -> None:
        self.gov.registry.add_units(SYSTEM, [
            Unit("411281", UnitKind.COUNTY, "义马市"),
            Unit("411281001", UnitKind.SUBDISTRICT, "千秋路办事处", "411281"),
            Unit(C, UnitKind.COMMUNITY, "连银社区", "411281001")])

    def _apply(self, lines: list[Posting], sign: int = 1) -> None:
        for p in lines:
            self.model[p.account] = self.model.get(p.account, 0) + sign * int(p.amount * 100)

    @rule(target=transactions, lines=st.lists(line, min_size=1, max_size=5),
          closer=st.sampled_from(CODES), keyed=st.booleans())
    def post_balanced(self, lines: list[tuple[str, int, bool]], closer: str,
                      keyed: bool) -> Any:
        postings = [Posting(a, from_fen(n if is_debit else -n)) for a, n, is_debit in lines]
        rest = -sum(int(p.amount * 100) for p in postings)
        if rest == 0:
            return None  # already balanced by chance: nothing to close
        postings.append(Posting(closer, from_fen(rest)))
        self.serial += 1
        key = f"k{self.serial}" if keyed else None
        try:
            tx = self.gov.funds.post(SYSTEM, C, postings, channel="internal",
                                     voucher=f"V{self.serial}", on=DAY, key=key)
        except InsufficientBalance:
            # refused only when a budgeted expense account would go beyond its budget
            net: dict[str, int] = {}
            for p in postings:
                net[p.account] = net.get(p.account, 0) + int(p.amount * 100)
            assert any(a in self.budgets and self.model.get(a, 0) + n > self.budgets[a]
                       for a, n in net.items() if n > 0)
            return None
        assert sum(p.amount for p in tx.postings) == 0
        self._apply(postings)
        if key:
            self.keys[key] = (tx.id, postings)
        return tx.id

    @rule(data=st.data())
    def replay_a_key(self, data: st.DataObject) -> None:
        if not self.keys:
            return
        key = data.draw(st.sampled_from(sorted(self.keys)))
        tid, postings = self.keys[key]
        n = int(key[1:])
        again = self.gov.funds.post(SYSTEM, C, postings, channel="internal", voucher=f"V{n}",
                                    on=DAY, key=key)
        assert again.id == tid

    @rule(lines=st.lists(line, min_size=2, max_size=4), off=st.integers(1, 10**6))
    def post_unbalanced(self, lines: list[tuple[str, int, bool]], off: int) -> None:
        postings = [Posting(a, from_fen(n if d else -n)) for a, n, d in lines]
        total = sum(int(p.amount * 100) for p in postings)
        postings.append(Posting("1001", from_fen(-total + off)))
        with pytest.raises(UnbalancedTransaction):
            self.gov.funds.post(SYSTEM, C, postings, channel="internal", voucher="bad", on=DAY)

    @rule(amount=st.floats(min_value=0.01, max_value=1e6, allow_nan=False))
    def post_float(self, amount: float) -> None:
        with pytest.raises(ValidationError, match="float"):
            self.gov.funds.post(SYSTEM, C, [Posting("1002", amount),  # type: ignore[arg-type]
                                            Posting("4101", -Decimal("1"))],
                                channel="internal", voucher="f", on=DAY)

    @rule(tid=consumes(transactions))
    def reverse(self, tid: int | None) -> None:  # None: a draw that posted nothing
        if tid is None:
            return
        orig = self.gov.funds.transaction(SYSTEM, tid)
        try:
            rev = self.gov.funds.reverse(SYSTEM, tid, voucher=f"R{tid}", on=DAY)
        except InsufficientBalance:  # undoing a credit to a budgeted expense account
            assert any(p.account in self.budgets and p.amount < 0 for p in orig.postings)
            return
        assert [p.amount for p in rev.postings] == [-p.amount for p in orig.postings]
        self._apply(list(orig.postings), -1)

    @rule(account=st.sampled_from(EXPENSES), extra=st.integers(0, 10**7))
    def set_budget(self, account: str, extra: int) -> None:
        amount = max(self.model.get(account, 0), 0) + extra
        self.gov.funds.set_budget(SYSTEM, C, account, 2019, from_fen(amount))
        self.budgets[account] = amount

    @rule(account=st.sampled_from(EXPENSES), amount=st.integers(1, 10**7))
    def disburse(self, account: str, amount: int) -> None:
        fx = self.gov.funds
        try:
            d = fx.request(Actor.system("clerk"), C, account, from_fen(amount), payee="商店",
                           purpose="采购", on=DAY)
        except InsufficientBalance:
            assert account in self.budgets
            return
        for role in d.missing_roles:
            d = fx.approve(Actor.system(f"approver-{role.value}"), d.id, as_role=role)
        try:
            d = fx.pay(SYSTEM, d.id, voucher=f"ZF-{d.id}", on=DAY)
        except InsufficientBalance:
            over = account in self.budgets and \
                self.model.get(account, 0) + amount > self.budgets[account]
            assert over or self.model.get("1002", 0) < amount
            fx.reject(SYSTEM, d.id, reason="不能支付")
            return
        self._apply([Posting(account, from_fen(amount)), Posting("1002", from_fen(-amount))])

    @invariant()
    def budgets_are_never_overspent(self) -> None:
        for b in self.gov.funds.budgets(SYSTEM, C, 2019):
            assert b.spent <= b.amount
            assert int(b.spent * 100) == self.model.get(b.account, 0)

    @invariant()
    def books_match_the_model(self) -> None:
        bal = self.gov.funds.balances(SYSTEM, C)
        assert all(isinstance(v, Decimal) for v in bal.values())
        assert {a: int(v * 100) for a, v in bal.items() if v} == {
            a: n for a, n in self.model.items() if n}
        tb = self.gov.funds.trial_balance(SYSTEM, C)
        assert tb.total == 0 and tb.total_debit == tb.total_credit
        assert all(isinstance(x, Decimal) for r in tb.rows for x in (r.debit, r.credit,
                                                                     r.balance))

    @invariant()
    def every_transaction_balances(self) -> None:
        for tx in self.gov.funds.transactions(SYSTEM, C):
            assert sum(p.amount for p in tx.postings) == 0
            assert all(type(p.amount) is Decimal for p in tx.postings)

    def teardown(self) -> None:
        self.gov.close()


LedgerMachine.TestCase.settings = settings(max_examples=int(os.environ.get('FUNDS_STATEFUL_EXAMPLES', '25')),
                                           stateful_step_count=15,
                                           deadline=None)
TestLedger = LedgerMachine.TestCase
