"""The points journal: earn, redeem, reverse, expire, idempotency, permissions, bad inputs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

import community_governance
from community_governance.domain.access import Actor
from community_governance.domain.points import (
    EntryKind,
    PointsEntry,
    Violation,
    check_balances_equal_journal,
    check_entry_signs,
    check_reversals,
    check_running_balances,
    check_unique_keys,
    expirable_points,
    run_checks,
)
from community_governance.errors import (
    ConflictError,
    IdempotencyConflict,
    InsufficientBalance,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from community_governance.markers import hookimpl
from community_governance.storage.tables import points as tp
from community_governance.testing.city import SmallCity, build_small_city

SYSTEM = Actor.system("test")


def _e(i: int, rid: str, kind: str, amount: int, after: int, key: str | None = None,
       rev: int | None = None) -> PointsEntry:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return PointsEntry(i, rid, EntryKind(kind), amount, after, now, now.date(),
                       key or f"k{i}", rev)


def test_earn_and_redeem_move_the_balance(gov: Any, small_city: SmallCity) -> None:
    """Moves the balance by each entry and records the balance after it."""
    rid = small_city.all_residents()[0]
    e1 = gov.points.earn(SYSTEM, rid, 10, key="a", reason="清扫")
    e2 = gov.points.redeem(SYSTEM, rid, 4, key="b")
    assert (e1.amount, e1.balance_after, e2.amount, e2.balance_after) == (10, 10, -4, 6)
    assert gov.points.balance(SYSTEM, rid) == 6
    assert e1.community_code == small_city.communities[0]
    assert gov.points.check(SYSTEM) == []


def test_same_key_twice_writes_once(gov: Any, small_city: SmallCity) -> None:
    """Returns the first entry and writes nothing when a request is repeated with its key."""
    rid = small_city.all_residents()[0]
    first = gov.points.earn(SYSTEM, rid, 10, key="k")
    again = gov.points.earn(SYSTEM, rid, 10, key="k")
    assert again == first
    assert gov.points.balance(SYSTEM, rid) == 10
    assert len(gov.points.entries(SYSTEM)) == 1


def test_replayed_redeem_returns_first_even_when_now_unaffordable(
        gov: Any, small_city: SmallCity) -> None:
    """Returns the first redeem entry on replay although the balance no longer covers it."""
    rid = small_city.all_residents()[0]
    gov.points.earn(SYSTEM, rid, 10, key="e")
    first = gov.points.redeem(SYSTEM, rid, 8, key="r")
    assert gov.points.redeem(SYSTEM, rid, 8, key="r") == first
    assert gov.points.balance(SYSTEM, rid) == 2


def test_same_key_different_request_conflicts(gov: Any, small_city: SmallCity) -> None:
    """Raises IdempotencyConflict when a key comes back with a different request."""
    a, b = small_city.all_residents()[:2]
    gov.points.earn(SYSTEM, a, 10, key="k")
    with pytest.raises(IdempotencyConflict):
        gov.points.earn(SYSTEM, a, 11, key="k")
    with pytest.raises(IdempotencyConflict):
        gov.points.earn(SYSTEM, b, 10, key="k")
    with pytest.raises(IdempotencyConflict):
        gov.points.redeem(SYSTEM, a, 10, key="k")
    assert gov.points.balance(SYSTEM, b) == 0


def test_balance_never_goes_negative(gov: Any, small_city: SmallCity) -> None:
    """Refuses a redemption beyond the balance and writes nothing."""
    rid = small_city.all_residents()[0]
    gov.points.earn(SYSTEM, rid, 5, key="e")
    with pytest.raises(InsufficientBalance, match="has 5 points"):
        gov.points.redeem(SYSTEM, rid, 6, key="r")
    with pytest.raises(InsufficientBalance):
        gov.points.redeem(SYSTEM, small_city.all_residents()[1], 1, key="r2")
    assert gov.points.balance(SYSTEM, rid) == 5
    assert len(gov.points.entries(SYSTEM)) == 1


@pytest.mark.parametrize("amount", [0, -5, 2.5, True, "10", 10**12])
def test_rejects_bad_amounts(gov: Any, small_city: SmallCity, amount: Any) -> None:
    """Rejects zero, negative, fractional, boolean, text and absurd amounts."""
    rid = small_city.all_residents()[0]
    with pytest.raises(ValidationError):
        gov.points.earn(SYSTEM, rid, amount, key="k")
    with pytest.raises(ValidationError):
        gov.points.redeem(SYSTEM, rid, amount, key="k")
    assert gov.points.entries(SYSTEM) == []


@pytest.mark.parametrize("key", ["", "   ", None, "x" * 121, 5])
def test_rejects_bad_keys(gov: Any, small_city: SmallCity, key: Any) -> None:
    """Rejects missing, blank, over-long and non-text idempotency keys."""
    with pytest.raises(ValidationError):
        gov.points.earn(SYSTEM, small_city.all_residents()[0], 1, key=key)


def test_unknown_resident(gov: Any, small_city: SmallCity) -> None:
    """Raises NotFound for a resident that does not exist, and writes nothing."""
    with pytest.raises(NotFound, match="R9999"):
        gov.points.earn(SYSTEM, "R9999", 5, key="k")
    with pytest.raises(NotFound):
        gov.points.balance(SYSTEM, "R9999")
    assert gov.points.entries(SYSTEM) == []


def test_permissions(gov: Any, small_city: SmallCity) -> None:
    """Lets grid leaders award within their grid, residents redeem only their own points."""
    c = small_city.communities[0]
    grid1, _grid2 = small_city.grids[c]
    in_grid = small_city.residents[small_city.households[small_city.buildings[c][0]][0]][0]
    other_grid = small_city.residents[small_city.households[small_city.buildings[c][2]][0]][0]
    gov.points.earn(small_city.grid_leader[grid1], in_grid, 5, key="a")
    with pytest.raises(PermissionDenied):
        gov.points.earn(small_city.grid_leader[grid1], other_grid, 5, key="b")
    gov.points.earn(small_city.secretary[c], other_grid, 5, key="c")
    with pytest.raises(PermissionDenied):
        gov.points.earn(small_city.secretary[small_city.communities[1]], other_grid, 5, key="d")
    with pytest.raises(PermissionDenied):
        gov.points.earn(Actor.resident(in_grid), in_grid, 5, key="e")
    gov.points.redeem(Actor.resident(in_grid), in_grid, 1, key="f")
    with pytest.raises(PermissionDenied):
        gov.points.redeem(Actor.resident(in_grid), other_grid, 1, key="g")
    assert gov.points.balance(Actor.resident(in_grid), in_grid) == 4
    with pytest.raises(NotFound):
        gov.points.balance(Actor.resident(in_grid), other_grid)
    with pytest.raises(PermissionDenied):
        gov.points.check(small_city.county_admin)
    assert len(gov.points.entries(SYSTEM)) == 3


def test_reverse_writes_a_new_entry(gov: Any, small_city: SmallCity) -> None:
    """Corrects an entry with a negating entry that points at it, once only."""
    rid = small_city.all_residents()[0]
    e = gov.points.earn(SYSTEM, rid, 10, key="e")
    r = gov.points.reverse(SYSTEM, e.id, key="rev", reason="recorded twice")
    assert (r.kind, r.amount, r.reverses_id, r.balance_after) == (EntryKind.REVERSE, -10, e.id, 0)
    assert gov.points.reverse(SYSTEM, e.id, key="rev", reason="recorded twice") == r
    with pytest.raises(ConflictError, match="reversed already"):
        gov.points.reverse(SYSTEM, e.id, key="rev2", reason="again")
    with pytest.raises(ValidationError):
        gov.points.reverse(SYSTEM, r.id, key="rev3", reason="reverse the reversal")
    assert [x.amount for x in gov.points.entries(SYSTEM)] == [10, -10]
    assert gov.points.check(SYSTEM) == []


def test_reverse_of_spent_points_is_refused(gov: Any, small_city: SmallCity) -> None:
    """Refuses to reverse an earn whose points were already spent (no negative balance)."""
    rid = small_city.all_residents()[0]
    e = gov.points.earn(SYSTEM, rid, 10, key="e")
    gov.points.redeem(SYSTEM, rid, 8, key="r")
    with pytest.raises(InsufficientBalance):
        gov.points.reverse(SYSTEM, e.id, key="rev", reason="wrong")


def test_journal_is_append_only_in_the_database(gov: Any, small_city: SmallCity) -> None:
    """Refuses UPDATE and DELETE on journal rows at the database level."""
    gov.points.earn(SYSTEM, small_city.all_residents()[0], 10, key="e")
    with gov.store.engine.connect() as conn:
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            conn.execute(tp.points_entries.update().values(amount=99))
        conn.rollback()
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            conn.execute(tp.points_entries.delete())
        conn.rollback()
        with pytest.raises(sa.exc.IntegrityError):
            conn.execute(tp.points_balances.update().values(balance=-1))
        conn.rollback()


def test_statement_per_period(small_city: SmallCity) -> None:
    """Gives the opening balance, the period's entries and the closing balance."""
    days = iter([dt.datetime(2026, 3, d, 4, tzinfo=dt.UTC) for d in (1, 10, 20, 25)])
    now = [pendulum.datetime(2026, 3, 1, 4)]
    with community_governance.open("memory://", entrypoints=False,
                                   clock=lambda: now[0]) as gov:
        city = build_small_city(gov)
        rid = city.all_residents()[0]
        for i, (kind, amount) in enumerate([("earn", 10), ("earn", 5), ("redeem", 3),
                                            ("earn", 2)]):
            now[0] = pendulum.instance(next(days))
            getattr(gov.points, kind)(SYSTEM, rid, amount, key=f"s{i}")
        st = gov.points.statement(SYSTEM, rid, start=dt.date(2026, 3, 5),
                                  end=dt.date(2026, 3, 21))
        assert (st.opening, st.closing, st.earned, st.redeemed) == (10, 12, 5, 3)
        assert [e.amount for e in st.entries] == [5, -3]
        assert gov.points.statement(SYSTEM, rid).closing == gov.points.balance(SYSTEM, rid) == 14
        with pytest.raises(ValidationError):
            gov.points.statement(SYSTEM, rid, start=dt.date(2026, 4, 1),
                                 end=dt.date(2026, 3, 1))


def test_expiry_first_in_first_out(small_city: SmallCity) -> None:
    """Expires only unspent points older than the validity, once per day of expiry."""
    now = [pendulum.datetime(2024, 1, 10, 4)]

    class OneYear:
        @hookimpl
        def cgov_points_expiry_months(self, community_code: str | None) -> int:
            return 12

    with community_governance.open("memory://", [OneYear()], entrypoints=False,
                                   clock=lambda: now[0]) as gov:
        city = build_small_city(gov)
        a, b = city.all_residents()[:2]
        gov.points.earn(SYSTEM, a, 50, key="a1")
        gov.points.earn(SYSTEM, b, 20, key="b1")
        now[0] = pendulum.datetime(2024, 6, 1, 4)
        gov.points.redeem(SYSTEM, a, 30, key="a2")  # spends the oldest points first
        gov.points.earn(SYSTEM, a, 40, key="a3")
        now[0] = pendulum.datetime(2025, 2, 1, 4)
        out = gov.points.expire(SYSTEM, as_of=dt.date(2025, 2, 1))
        assert {e.resident_id: e.amount for e in out} == {a: -20, b: -20}
        assert gov.points.balance(SYSTEM, a) == 40 and gov.points.balance(SYSTEM, b) == 0
        assert gov.points.expire(SYSTEM, as_of=dt.date(2025, 2, 1)) == []
        assert gov.points.check(SYSTEM) == []
        with pytest.raises(PermissionDenied):
            gov.points.expire(Actor.resident(a), as_of=dt.date(2025, 2, 1))


def test_erased_resident_keeps_a_balanced_ledger(gov: Any, small_city: SmallCity) -> None:
    """Keeps an erased resident's entries and refuses new ones for them."""
    rid = small_city.all_residents()[0]
    gov.points.earn(SYSTEM, rid, 10, key="e")
    with gov.store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE residents SET erased = 1, name = '' WHERE id = :r"),
                     {"r": rid})
    with pytest.raises(ValidationError, match="erased"):
        gov.points.earn(SYSTEM, rid, 1, key="e2")
    assert gov.points.balance(SYSTEM, rid) == 10
    assert gov.points.check(SYSTEM) == []


def test_report_by_community_and_month(gov: Any, small_city: SmallCity) -> None:
    """Sums points issued, redeemed and reversed per community and month, within scope."""
    c0, c1 = small_city.communities[:2]
    r0 = small_city.all_residents()[0]
    r1 = next(r for r in small_city.all_residents() if small_city.community_of_resident(r) == c1)
    gov.points.earn(SYSTEM, r0, 10, key="a")
    gov.points.redeem(SYSTEM, r0, 3, key="b")
    gov.points.earn(SYSTEM, r1, 7, key="c")
    rows = {r["community"]: r for r in gov.points.report(SYSTEM)}
    assert (rows[c0]["issued"], rows[c0]["redeemed"], rows[c1]["issued"]) == (10, 3, 7)
    mine = gov.points.report(small_city.secretary[c1])
    assert [r["community"] for r in mine] == [c1]


# --- the invariants as pure functions ----------------------------------------------------------


def test_checks_accept_a_consistent_journal() -> None:
    """Finds nothing wrong with a journal whose balances and links agree."""
    entries = [_e(1, "A", "earn", 10, 10), _e(2, "A", "redeem", -4, 6),
               _e(3, "A", "reverse", 4, 10, rev=2)]
    assert run_checks(entries, {"A": 10}) == []


def test_checks_find_each_kind_of_damage() -> None:
    """Names the broken rule for a lost entry, a duplicate key, a bad sign and a bad link."""
    assert check_balances_equal_journal([_e(1, "A", "earn", 10, 10)], {"A": 12})
    assert check_balances_equal_journal([], {"A": -1})
    assert check_running_balances([_e(1, "A", "earn", 10, 9)], {})
    assert check_running_balances([_e(1, "A", "redeem", -1, -1)], {})
    assert check_entry_signs([_e(1, "A", "earn", -3, 0)], {})
    assert check_entry_signs([_e(1, "A", "redeem", 3, 0)], {})
    dup = check_unique_keys([_e(1, "A", "earn", 1, 1, "k"), _e(2, "A", "earn", 1, 2, "k")], {})
    assert dup and isinstance(dup[0], Violation) and "k" in str(dup[0])
    assert check_reversals([_e(1, "A", "earn", 5, 5), _e(2, "A", "reverse", -4, 1, rev=1)], {})
    assert check_reversals([_e(1, "A", "reverse", -4, 1, rev=7)], {})
    twice = [_e(1, "A", "earn", 5, 5), _e(2, "A", "reverse", -5, 0, rev=1),
             _e(3, "A", "reverse", -5, -5, rev=1)]
    assert any("reversed 2 times" in v.message for v in check_reversals(twice, {}))


@pytest.mark.parametrize(("earned", "debited", "balance", "want"),
                         [(50, 30, 60, 20), (50, 60, 40, 0), (50, 0, 30, 30), (0, 0, 10, 0)])
def test_expirable_points(earned: int, debited: int, balance: int, want: int) -> None:
    """Expires what is left of old points after first-in-first-out spending, within balance."""
    assert expirable_points(earned, debited, balance) == want
