"""The volunteer points ledger (积分台账), the points supermarket (积分超市) and the charity
supermarket (爱心超市): pure values and the ledger's invariants.

The journal is append-only: an entry is never edited or deleted; a correction is a new
``reverse`` entry that points at the entry it corrects. A resident's balance is the sum of their
entries and never negative. The invariants are plain functions over lists of values, each
returning :class:`Violation` values (in the manner of beancount's validations): the service runs
them over the stored rows, and the tests run them after concurrent writes and crashes.

This module does no I/O and never reads the clock.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

__all__ = [
    "LEDGER_CHECKS",
    "STOCK_CHECKS",
    "CharityGiveOut",
    "CharityLot",
    "Donation",
    "EntryKind",
    "Item",
    "PointsEntry",
    "Redemption",
    "RedemptionLimit",
    "Statement",
    "StockMove",
    "Violation",
    "check_balances_equal_journal",
    "check_entry_signs",
    "check_reversals",
    "check_running_balances",
    "check_stock_equals_moves",
    "check_stock_never_negative",
    "check_unique_keys",
    "expirable_points",
    "month_of",
    "request_fingerprint",
    "run_checks",
]


class EntryKind(enum.StrEnum):
    """The kind of a journal entry (积分流水类型)."""

    EARN = "earn"  #: 获得积分 (volunteer service, an award)
    REDEEM = "redeem"  #: 兑换 (points spent, e.g. at the points supermarket)
    EXPIRE = "expire"  #: 过期清零 (by the expiry policy)
    REVERSE = "reverse"  #: 冲正 (a correction pointing at the entry it corrects)


@attrs.frozen
class PointsEntry:
    """One entry of the points journal (积分流水).

    Attributes:
        id: the entry's number (increasing in commit order per resident).
        resident_id: whose points (``residents.id``).
        kind: earn, redeem, expire or reverse.
        amount: signed points: positive for earn, negative for redeem and expire, the
            negation of the corrected entry for reverse.
        balance_after: the resident's balance right after this entry.
        at: when it was written (UTC).
        day: the county date of ``at``.
        idempotency_key: the caller's key; the same request twice writes once.
        reverses_id: for a reverse entry, the entry it corrects.
        community_code: the community the points belong to (for reports).
        reason: why (the activity, the item, the correction's reason).
        activity_id: the volunteer activity that earned the points, if any.
    """

    id: int
    resident_id: str
    kind: EntryKind
    amount: int
    balance_after: int
    at: dt.datetime
    day: dt.date
    idempotency_key: str
    reverses_id: int | None = None
    community_code: str | None = None
    reason: str = ""
    activity_id: str | None = None


@attrs.frozen
class Statement:
    """A resident's points statement (积分对账单) for a period.

    Attributes:
        resident_id: whose statement.
        start: first day of the period (inclusive).
        end: last day of the period (inclusive).
        opening: the balance before ``start``.
        entries: the entries of the period, in journal order.
        closing: the balance after the period.
    """

    resident_id: str
    start: dt.date | None
    end: dt.date | None
    opening: int
    entries: tuple[PointsEntry, ...]
    closing: int

    @property
    def earned(self) -> int:
        """Points earned in the period."""
        return sum(e.amount for e in self.entries if e.kind is EntryKind.EARN)

    @property
    def redeemed(self) -> int:
        """Points spent in the period (a positive number)."""
        return -sum(e.amount for e in self.entries if e.kind is EntryKind.REDEEM)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "resident_id": self.resident_id, "start": self.start, "end": self.end,
            "opening": self.opening, "closing": self.closing, "earned": self.earned,
            "redeemed": self.redeemed,
            "entries": [{"id": e.id, "kind": e.kind.value, "amount": e.amount,
                         "balance_after": e.balance_after, "at": e.at.isoformat(),
                         "day": e.day.isoformat(), "reason": e.reason,
                         "reverses_id": e.reverses_id} for e in self.entries],
        }


@attrs.frozen
class Item:
    """A goods item of a points supermarket (积分超市商品).

    Attributes:
        id: the item's key.
        community_code: the community whose supermarket sells it.
        name: what it is, e.g. 洗衣液.
        price_points: its price in points (a positive whole number).
        stock: how many are on the shelf (never negative).
        active: whether it is still offered.
    """

    id: str
    community_code: str
    name: str
    price_points: int
    stock: int = 0
    active: bool = True


@attrs.frozen
class StockMove:
    """A change of an item's stock (库存变动): restock, redemption, or a reversed redemption.

    Attributes:
        item_id: the item.
        delta: the change (positive for restock and returns).
        stock_after: the stock right after the move.
        kind: ``restock``, ``redeem`` or ``return``.
    """

    item_id: str
    delta: int
    stock_after: int
    kind: str


@attrs.frozen
class Redemption:
    """A redemption at the points supermarket (积分兑换): goods for points.

    Attributes:
        id: the redemption's number.
        resident_id: who redeemed.
        item_id: the item.
        quantity: how many.
        points: points spent (positive).
        entry: the journal entry that spent them.
        idempotency_key: the caller's key.
    """

    id: int
    resident_id: str
    item_id: str
    quantity: int
    points: int
    entry: PointsEntry
    idempotency_key: str


@attrs.frozen
class RedemptionLimit:
    """How many of an item one resident may redeem per period (兑换限额).

    Attributes:
        quantity: the most per period.
        period: ``day``, ``week``, ``month`` or ``year``.
    """

    quantity: int
    period: str = "month"

    def window(self, day: dt.date) -> tuple[dt.date, dt.date]:
        """The first and last day of the period that contains ``day``."""
        if self.period == "day":
            return day, day
        if self.period == "week":
            start = day - dt.timedelta(days=day.weekday())
            return start, start + dt.timedelta(days=6)
        if self.period == "month":
            start = day.replace(day=1)
            nxt = (start + dt.timedelta(days=32)).replace(day=1)
            return start, nxt - dt.timedelta(days=1)
        if self.period == "year":
            return day.replace(month=1, day=1), day.replace(month=12, day=31)
        raise ValueError(f"period {self.period!r} is not day, week, month or year")


@attrs.frozen
class Donation:
    """An in-kind donation received by the charity supermarket (爱心捐赠).

    Attributes:
        id: the donation's key.
        community_code: the receiving community.
        donor: who gave it (a name, a unit, or "anonymous" 匿名).
        category: e.g. clothes (衣物), appliance (家电), books, daily goods.
        condition: ``new``, ``good``, ``fair`` or ``poor``.
        quantity: how many pieces.
        estimated_value_fen: the estimated value of all pieces, in fen.
        received_on: the county date of receipt.
        status: ``received``, then ``stored`` once sorted, or ``discarded``.
    """

    id: str
    community_code: str
    donor: str
    category: str
    condition: str
    quantity: int
    estimated_value_fen: int
    received_on: dt.date
    status: str = "received"


@attrs.frozen
class CharityLot:
    """Sorted donated goods in store at the charity supermarket (爱心超市库存).

    Attributes:
        id: the lot's key.
        donation_id: the donation it was sorted from.
        community_code: where it is stored.
        category: the category.
        description: what it is, e.g. 冬季棉衣 (size L).
        condition: its condition after sorting.
        quantity: pieces still in store.
        unit_value_fen: the estimated value of one piece.
    """

    id: str
    donation_id: str
    community_code: str
    category: str
    description: str
    condition: str
    quantity: int
    unit_value_fen: int


@attrs.frozen
class CharityGiveOut:
    """Donated goods given free to a resident in difficulty (爱心发放).

    Attributes:
        id: the give-out's number.
        lot_id: the lot taken from.
        resident_id: who received it.
        quantity: pieces given.
        at: when.
        idempotency_key: the caller's key.
    """

    id: int
    lot_id: str
    resident_id: str
    quantity: int
    at: dt.datetime
    idempotency_key: str


@attrs.frozen
class Violation:
    """A broken ledger invariant (账实不符): what check, about what, and the facts.

    Attributes:
        check: the name of the check function.
        subject: the resident, entry or item concerned.
        message: what is wrong.
    """

    check: str
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.subject}: {self.message}"


@attrs.frozen
class AwardThreshold:
    """When a direct award needs a second person's confirmation (积分复核阈值).

    Attributes:
        per_entry: an award of more points than this in one entry waits for confirmation.
        per_month: so does an award that takes one resident's direct awards in one calendar
            month (confirmed and waiting) above this.
    """

    per_entry: int = attrs.field(default=50, validator=attrs.validators.ge(0))
    per_month: int = attrs.field(default=200, validator=attrs.validators.ge(0))


def award_review(amount: int, month_before: int, threshold: AwardThreshold) -> str | None:
    """The rule that makes an award of ``amount`` wait for confirmation, or ``None``.

    ``month_before`` is what the resident was awarded directly this calendar month already
    (journal and waiting awards).
    """
    if amount > threshold.per_entry:
        return (f"four-eyes rule: an award above {threshold.per_entry} points in one entry "
                "needs a second person's confirmation")
    if month_before + amount > threshold.per_month:
        return (f"four-eyes rule: awards above {threshold.per_month} points to one resident "
                f"in a calendar month need a second person's confirmation ({month_before} "
                f"awarded this month already, {amount} more asked)")
    return None


@attrs.frozen
class PendingAward:
    """A direct award waiting for a second person's confirmation (待复核积分).

    Attributes:
        id: the request's number.
        resident_id: who would receive the points.
        community_code: the resident's community.
        amount: the points asked for.
        reason: why, as the requester wrote it.
        key: the request's idempotency key (the journal entry gets it once confirmed).
        rule: why it waits (which threshold).
        state: ``pending``, ``confirmed`` or ``rejected``.
        requested_by: who asked, as ``kind:id``.
        requested_at: when (UTC).
        decided_by: who confirmed or rejected, if anyone yet.
        decided_at: when.
        note: the decider's note (a rejection's reason).
        entry_id: the journal entry written on confirmation.
    """

    id: int
    resident_id: str
    community_code: str | None
    amount: int
    reason: str
    key: str
    rule: str
    state: str
    requested_by: str
    requested_at: dt.datetime
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    note: str = ""
    entry_id: int | None = None


class ExpiryRun(list[PointsEntry]):
    """What an expiry run (过期清零) did: the entries it wrote (the list itself), and the
    residents it could not expire, each with the reason (``failed``)."""

    def __init__(self, entries: Iterable[PointsEntry] = (),
                 failed: dict[str, str] | None = None) -> None:
        super().__init__(entries)
        self.failed: dict[str, str] = dict(failed or {})

    @property
    def ok(self) -> bool:
        """Whether every resident due was handled."""
        return not self.failed


def month_of(day: dt.date) -> str:
    """The ``YYYY-MM`` period of a county date."""
    return f"{day.year:04d}-{day.month:02d}"


def request_fingerprint(**fields: Any) -> str:
    """A short stable digest of a request, stored beside its idempotency key."""
    text = "\x1f".join([f"{k}={fields[k]!r}" for k in sorted(fields)])
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def expirable_points(earned_before_cutoff: int, debited_total: int, balance: int) -> int:
    """Points that expire under first-in-first-out consumption (先进先出).

    Spending and earlier expiries consume the oldest points first, so what is left of the
    points earned before the cut-off is their total less everything debited so far, never
    more than the balance and never negative.

    Args:
        earned_before_cutoff: net points earned on days before the cut-off.
        debited_total: all points ever redeemed or expired (net of reversals), positive.
        balance: the current balance.
    """
    return max(0, min(balance, earned_before_cutoff - debited_total))


# --- invariants -------------------------------------------------------------------------------

Check = Callable[[Sequence[PointsEntry], dict[str, int]], list[Violation]]


def check_balances_equal_journal(
    entries: Sequence[PointsEntry], balances: dict[str, int]
) -> list[Violation]:
    """Every resident's balance equals the sum of their entries, and is never negative."""
    sums: dict[str, int] = defaultdict(int)
    for e in entries:
        sums[e.resident_id] += e.amount
    out = []
    for rid in sorted(set(sums) | set(balances)):
        if sums.get(rid, 0) != balances.get(rid, 0):
            out.append(Violation("check_balances_equal_journal", rid,
                                 f"balance {balances.get(rid, 0)} but the journal sums to "
                                 f"{sums.get(rid, 0)}"))
        if balances.get(rid, 0) < 0:
            out.append(Violation("check_balances_equal_journal", rid,
                                 f"negative balance {balances[rid]}"))
    return out


def check_running_balances(
    entries: Sequence[PointsEntry], balances: dict[str, int]
) -> list[Violation]:
    """Replayed in journal order, each entry's ``balance_after`` is the running sum, never
    negative."""
    running: dict[str, int] = defaultdict(int)
    out = []
    for e in sorted(entries, key=lambda e: e.id):
        running[e.resident_id] += e.amount
        if running[e.resident_id] != e.balance_after:
            out.append(Violation("check_running_balances", f"entry {e.id}",
                                 f"balance_after {e.balance_after}, running sum "
                                 f"{running[e.resident_id]}"))
        if running[e.resident_id] < 0:
            out.append(Violation("check_running_balances", f"entry {e.id}",
                                 f"the running balance of {e.resident_id} went negative"))
    return out


def check_entry_signs(
    entries: Sequence[PointsEntry], balances: dict[str, int]
) -> list[Violation]:
    """Earn entries are positive, redeem and expire entries negative, none zero."""
    out = []
    for e in entries:
        bad = (
            (e.kind is EntryKind.EARN and e.amount <= 0)
            or (e.kind in (EntryKind.REDEEM, EntryKind.EXPIRE) and e.amount >= 0)
            or (e.kind is EntryKind.REVERSE and e.amount == 0)
        )
        if bad:
            out.append(Violation("check_entry_signs", f"entry {e.id}",
                                 f"a {e.kind.value} entry of {e.amount} points"))
    return out


def check_unique_keys(
    entries: Sequence[PointsEntry], balances: dict[str, int]
) -> list[Violation]:
    """No idempotency key and no entry number appears twice."""
    out = []
    for key, n in Counter(e.idempotency_key for e in entries).items():
        if n > 1:
            out.append(Violation("check_unique_keys", key, f"idempotency key used {n} times"))
    for eid, n in Counter(e.id for e in entries).items():
        if n > 1:
            out.append(Violation("check_unique_keys", f"entry {eid}", f"appears {n} times"))
    return out


def check_reversals(
    entries: Sequence[PointsEntry], balances: dict[str, int]
) -> list[Violation]:
    """A reverse entry points back at an earlier, non-reverse entry of the same resident,
    negates it exactly, and no entry is reversed twice."""
    by_id = {e.id: e for e in entries}
    seen: Counter[int] = Counter()
    out = []
    for e in entries:
        if e.kind is not EntryKind.REVERSE:
            if e.reverses_id is not None:
                out.append(Violation("check_reversals", f"entry {e.id}",
                                     "only reverse entries point at another entry"))
            continue
        target = by_id.get(e.reverses_id) if e.reverses_id is not None else None
        if target is None:
            out.append(Violation("check_reversals", f"entry {e.id}",
                                 f"reverses missing entry {e.reverses_id}"))
            continue
        seen[target.id] += 1
        if (target.id >= e.id or target.kind is EntryKind.REVERSE
                or target.resident_id != e.resident_id or target.amount != -e.amount):
            out.append(Violation("check_reversals", f"entry {e.id}",
                                 f"does not exactly negate earlier entry {target.id}"))
    for tid, n in seen.items():
        if n > 1:
            out.append(Violation("check_reversals", f"entry {tid}", f"reversed {n} times"))
    return out


#: The checks of the points journal, run in this order by ``gov.points.check``.
LEDGER_CHECKS: tuple[Check, ...] = (
    check_balances_equal_journal, check_running_balances, check_entry_signs,
    check_unique_keys, check_reversals,
)


def run_checks(
    entries: Sequence[PointsEntry], balances: dict[str, int],
    checks: Iterable[Check] = LEDGER_CHECKS,
) -> list[Violation]:
    """Run the ledger checks; an empty list means the ledger is consistent."""
    return [v for check in checks for v in check(entries, balances)]


def check_stock_equals_moves(items: Sequence[Item], moves: Sequence[StockMove]) -> list[Violation]:
    """Each item's stock equals the sum of its stock moves."""
    sums: dict[str, int] = defaultdict(int)
    for m in moves:
        sums[m.item_id] += m.delta
    return [Violation("check_stock_equals_moves", i.id,
                      f"stock {i.stock} but the moves sum to {sums.get(i.id, 0)}")
            for i in items if i.stock != sums.get(i.id, 0)]


def check_stock_never_negative(
    items: Sequence[Item], moves: Sequence[StockMove]
) -> list[Violation]:
    """No item's stock, nor any stock after a move, is negative."""
    out = [Violation("check_stock_never_negative", i.id, f"stock {i.stock}")
           for i in items if i.stock < 0]
    out += [Violation("check_stock_never_negative", m.item_id, f"stock_after {m.stock_after}")
            for m in moves if m.stock_after < 0]
    return out


#: The checks of the supermarket's stock.
STOCK_CHECKS = (check_stock_equals_moves, check_stock_never_negative)
