"""The points journal's invariant checks, each given a deliberately corrupted journal
(beancount's habit), and the redemption-limit windows at their boundaries (issue #13 item 11)."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from community_governance.domain.points import (
    LEDGER_CHECKS,
    EntryKind,
    Item,
    PointsEntry,
    RedemptionLimit,
    StockMove,
    Violation,
    check_balances_equal_journal,
    check_entry_signs,
    check_reversals,
    check_running_balances,
    check_stock_equals_moves,
    check_stock_never_negative,
    check_unique_keys,
    expirable_points,
    month_of,
    request_fingerprint,
    run_checks,
)

AT = dt.datetime(2026, 12, 2, 2, tzinfo=dt.UTC)
DAY = dt.date(2026, 12, 2)


def e(eid: int, rid: str, kind: EntryKind, amount: int, after: int,
      reverses: int | None = None) -> PointsEntry:
    return PointsEntry(eid, rid, kind, amount, after, AT, DAY, f"k{eid}", reverses)


def good_journal() -> list[PointsEntry]:
    """Two residents; earn, redeem, a reversal, then more entries after the reversal."""
    return [
        e(1, "A", EntryKind.EARN, 10, 10),
        e(2, "B", EntryKind.EARN, 5, 5),
        e(3, "A", EntryKind.REDEEM, -4, 6),
        e(4, "A", EntryKind.REVERSE, 4, 10, reverses=3),  # undo the redemption
        e(5, "B", EntryKind.EXPIRE, -2, 3),
        e(6, "A", EntryKind.EARN, 7, 17),
        e(7, "B", EntryKind.REVERSE, 2, 5, reverses=5),
    ]


BALANCES = {"A": 17, "B": 5}


def test_the_good_journal_passes_every_check() -> None:
    assert run_checks(good_journal(), BALANCES) == []
    assert [c.__name__ for c in LEDGER_CHECKS] == [
        "check_balances_equal_journal", "check_running_balances", "check_entry_signs",
        "check_unique_keys", "check_reversals"]


def _only(violations: list[Violation], check: str) -> list[tuple[str, str]]:
    assert {v.check for v in violations} == {check}, violations
    return [(v.subject, v.message) for v in violations]


def test_balances_equal_journal_catches_a_raw_update_and_a_negative_balance() -> None:
    got = check_balances_equal_journal(good_journal(), {"A": 18, "B": 5})
    assert _only(got, "check_balances_equal_journal") == [
        ("A", "balance 18 but the journal sums to 17")]
    # a balance row without any entry, and one that is negative
    got = check_balances_equal_journal(good_journal(), {**BALANCES, "C": -1})
    assert [(v.subject, v.message) for v in got] == [
        ("C", "balance -1 but the journal sums to 0"), ("C", "negative balance -1")]
    # a resident whose entries exist but whose balance row is missing
    assert [(v.subject, v.message) for v in check_balances_equal_journal(
        good_journal(), {"A": 17})] == [("B", "balance 0 but the journal sums to 5")]
    # a zero balance that matches an empty journal is fine (the boundary of "negative")
    assert check_balances_equal_journal([], {"Z": 0}) == []
    # a negative balance that matches its journal is still reported, by this check's name
    dip = [e(1, "N", EntryKind.EARN, 1, 1), e(2, "N", EntryKind.REDEEM, -3, -2)]
    assert _only(check_balances_equal_journal(dip, {"N": -2}),
                 "check_balances_equal_journal") == [("N", "negative balance -2")]


def test_a_resident_whose_entries_net_to_zero_needs_no_balance_row() -> None:
    """Earned and fully reversed, with no balance row: the journal's 0 is the balance's 0
    (a missing row counts as 0, not as anything else)."""
    j = [e(1, "A", EntryKind.EARN, 5, 5), e(2, "A", EntryKind.REVERSE, -5, 0, reverses=1)]
    assert check_balances_equal_journal(j, {}) == []
    assert run_checks(j, {}) == []


def test_running_balances_catch_a_wrong_balance_after_and_a_dip_below_zero() -> None:
    j = good_journal()
    j[4] = attrs.evolve(j[4], balance_after=4)
    assert _only(check_running_balances(j, BALANCES), "check_running_balances") == [
        ("entry 5", "balance_after 4, running sum 3")]
    dip = [e(1, "A", EntryKind.EARN, 1, 1), e(2, "A", EntryKind.REDEEM, -2, -1),
           e(3, "A", EntryKind.EARN, 1, 0)]
    assert _only(check_running_balances(dip, {"A": 0}), "check_running_balances") == [
        ("entry 2", "the running balance of A went negative")]
    # replayed in id order whatever order the rows come in
    assert check_running_balances(list(reversed(good_journal())), BALANCES) == []
    # a running balance of exactly zero is fine
    assert check_running_balances([e(1, "A", EntryKind.EARN, 1, 1),
                                   e(2, "A", EntryKind.REDEEM, -1, 0)], {"A": 0}) == []


@pytest.mark.parametrize(("kind", "amount", "bad"), [
    (EntryKind.EARN, 1, False), (EntryKind.EARN, 0, True), (EntryKind.EARN, -1, True),
    (EntryKind.REDEEM, -1, False), (EntryKind.REDEEM, 0, True), (EntryKind.REDEEM, 1, True),
    (EntryKind.EXPIRE, -1, False), (EntryKind.EXPIRE, 0, True), (EntryKind.EXPIRE, 1, True),
    (EntryKind.REVERSE, 1, False), (EntryKind.REVERSE, -1, False),
    (EntryKind.REVERSE, 0, True),
])
def test_entry_signs_table(kind: EntryKind, amount: int, bad: bool) -> None:
    got = check_entry_signs([e(9, "A", kind, amount, 0)], {})
    if bad:
        assert _only(got, "check_entry_signs") == [
            ("entry 9", f"a {kind.value} entry of {amount} points")]
    else:
        assert got == []


def test_unique_keys_catch_a_reused_key_and_a_duplicated_entry() -> None:
    j = good_journal()
    j.append(attrs.evolve(j[0], id=8))  # same key k1 again
    assert _only(check_unique_keys(j, BALANCES), "check_unique_keys") == [
        ("k1", "idempotency key used 2 times")]
    j = [*good_journal(), attrs.evolve(good_journal()[1], idempotency_key="other")]
    assert _only(check_unique_keys(j, BALANCES), "check_unique_keys") == [
        ("entry 2", "appears 2 times")]


def test_reversals_are_checked_after_a_valid_one_too() -> None:
    """The corrupt reversal comes after a valid one: a check that stopped at the first
    reversal (``continue`` turned into ``break``) would miss it."""
    j = [*good_journal(), e(8, "B", EntryKind.REVERSE, 9, 14, reverses=2)]  # 9 != -5
    assert _only(check_reversals(j, BALANCES), "check_reversals") == [
        ("entry 8", "does not exactly negate earlier entry 2")]
    j = [*good_journal(), e(8, "A", EntryKind.EARN, 1, 18, reverses=1)]  # earn pointing back
    assert _only(check_reversals(j, BALANCES), "check_reversals") == [
        ("entry 8", "only reverse entries point at another entry")]


@pytest.mark.parametrize(("bad", "message"), [
    (e(8, "A", EntryKind.REVERSE, 4, 21, reverses=99), "reverses missing entry 99"),
    (e(8, "A", EntryKind.REVERSE, 4, 21, reverses=None), "reverses missing entry None"),
    (e(8, "B", EntryKind.REVERSE, -10, -5, reverses=1),
     "does not exactly negate earlier entry 1"),  # another resident's entry
    (e(8, "A", EntryKind.REVERSE, -4, 13, reverses=4),
     "does not exactly negate earlier entry 4"),  # reversing a reversal
    (e(8, "A", EntryKind.REVERSE, -10, 7, reverses=1), None),  # fine: exact negation
])
def test_reversal_rules(bad: PointsEntry, message: str | None) -> None:
    got = check_reversals([*good_journal(), bad], BALANCES)
    if message is None:
        assert got == []
    else:
        assert _only(got, "check_reversals") == [("entry 8", message)]


def test_reversals_are_checked_after_one_with_a_missing_target() -> None:
    """A reversal of a missing entry does not stop the check: the corrupt reversal after it
    is reported too."""
    j = [*good_journal(), e(8, "A", EntryKind.REVERSE, 4, 21, reverses=99),
         e(9, "B", EntryKind.REVERSE, 9, 14, reverses=2)]
    assert _only(check_reversals(j, BALANCES), "check_reversals") == [
        ("entry 8", "reverses missing entry 99"),
        ("entry 9", "does not exactly negate earlier entry 2")]


def test_a_reversal_may_not_point_at_its_own_entry_number() -> None:
    """A corrupted journal where a reverse entry and an earn entry share the number 1 and the
    reversal points at 1: the target is not *earlier*, so it is refused even though it
    negates the earn entry exactly."""
    j = [e(1, "A", EntryKind.REVERSE, -3, -3, reverses=1), e(1, "A", EntryKind.EARN, 3, 0)]
    assert _only(check_reversals(j, {}), "check_reversals") == [
        ("entry 1", "does not exactly negate earlier entry 1")]


def test_a_reversal_must_point_backwards_and_only_once() -> None:
    j = [e(1, "A", EntryKind.REVERSE, -3, -3, reverses=2), e(2, "A", EntryKind.EARN, 3, 0)]
    assert _only(check_reversals(j, {}), "check_reversals") == [
        ("entry 1", "does not exactly negate earlier entry 2")]
    same = [e(1, "A", EntryKind.EARN, 3, 3), e(2, "A", EntryKind.REVERSE, -3, 0, reverses=1)]
    assert check_reversals([same[0], attrs.evolve(same[1], id=1)], {}) != []  # points at itself
    twice = [*same, e(3, "A", EntryKind.REVERSE, -3, -3, reverses=1)]
    assert _only(check_reversals(twice, {}), "check_reversals") == [
        ("entry 1", "reversed 2 times")]


def test_run_checks_runs_only_the_checks_given() -> None:
    j = [*good_journal(), e(8, "B", EntryKind.REVERSE, 9, 14, reverses=2)]
    assert [v.check for v in run_checks(j, BALANCES, [check_reversals])] == ["check_reversals"]
    assert {v.check for v in run_checks(j, BALANCES)} == {
        "check_balances_equal_journal", "check_reversals"}
    assert str(Violation("c", "s", "m")) == "c: s: m"


def test_stock_checks_on_corrupted_stock() -> None:
    items = [Item("I1", "C", "洗衣液", 10, stock=3), Item("I2", "C", "毛巾", 5, stock=0)]
    moves = [StockMove("I1", 5, 5, "restock"), StockMove("I1", -2, 3, "redeem")]
    assert check_stock_equals_moves(items, moves) == []
    assert check_stock_never_negative(items, moves) == []
    raw = [attrs.evolve(items[0], stock=4), items[1]]
    assert _only(check_stock_equals_moves(raw, moves), "check_stock_equals_moves") == [
        ("I1", "stock 4 but the moves sum to 3")]
    # stock on the shelf with no move at all behind it: the moves sum to 0
    phantom = [items[0], attrs.evolve(items[1], stock=2)]
    assert _only(check_stock_equals_moves(phantom, moves), "check_stock_equals_moves") == [
        ("I2", "stock 2 but the moves sum to 0")]
    neg_items = [attrs.evolve(items[1], stock=-1)]
    neg_moves = [StockMove("I2", -1, -1, "redeem")]
    assert _only(check_stock_never_negative(neg_items, neg_moves),
                 "check_stock_never_negative") == [("I2", "stock -1"), ("I2", "stock_after -1")]


def test_a_stock_of_exactly_zero_is_not_negative() -> None:
    """The boundary of "never negative": a redemption that empties the shelf is fine."""
    items = [Item("I1", "C", "洗衣液", 10, stock=0)]
    moves = [StockMove("I1", 2, 2, "restock"), StockMove("I1", -2, 0, "redeem")]
    assert check_stock_never_negative(items, moves) == []
    assert check_stock_equals_moves(items, moves) == []


@pytest.mark.parametrize(("period", "day", "window"), [
    ("day", dt.date(2026, 12, 31), (dt.date(2026, 12, 31), dt.date(2026, 12, 31))),
    ("week", dt.date(2026, 11, 30), (dt.date(2026, 11, 30), dt.date(2026, 12, 6))),  # Monday
    ("week", dt.date(2026, 12, 6), (dt.date(2026, 11, 30), dt.date(2026, 12, 6))),  # Sunday
    ("week", dt.date(2026, 12, 31), (dt.date(2026, 12, 28), dt.date(2027, 1, 3))),
    ("month", dt.date(2026, 2, 1), (dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
    ("month", dt.date(2024, 2, 29), (dt.date(2024, 2, 1), dt.date(2024, 2, 29))),
    ("month", dt.date(2026, 12, 31), (dt.date(2026, 12, 1), dt.date(2026, 12, 31))),
    ("month", dt.date(2026, 1, 31), (dt.date(2026, 1, 1), dt.date(2026, 1, 31))),
    ("year", dt.date(2026, 1, 1), (dt.date(2026, 1, 1), dt.date(2026, 12, 31))),
    ("year", dt.date(2026, 12, 31), (dt.date(2026, 1, 1), dt.date(2026, 12, 31))),
])
def test_redemption_limit_windows(period: str, day: dt.date,
                                  window: tuple[dt.date, dt.date]) -> None:
    assert RedemptionLimit(1, period).window(day) == window


def test_an_unknown_window_is_refused() -> None:
    with pytest.raises(ValueError, match="'fortnight' is not day, week, month or year"):
        RedemptionLimit(1, "fortnight").window(DAY)
    assert RedemptionLimit(2).period == "month"


@pytest.mark.parametrize(("earned", "debited", "balance", "want"), [
    (10, 3, 20, 7), (10, 3, 5, 5), (10, 10, 5, 0), (10, 12, 5, 0), (0, 0, 0, 0),
    (10, 3, 7, 7),
])
def test_expirable_points_table(earned: int, debited: int, balance: int, want: int) -> None:
    assert expirable_points(earned, debited, balance) == want


def test_small_helpers() -> None:
    assert month_of(dt.date(2026, 3, 9)) == "2026-03"
    assert month_of(dt.date(987, 11, 1)) == "0987-11"
    a = request_fingerprint(op="earn", amount=5)
    assert a == request_fingerprint(amount=5, op="earn") and len(a) == 32
    assert a != request_fingerprint(op="earn", amount=6)
    assert a != request_fingerprint(op="earn", amount="5")
