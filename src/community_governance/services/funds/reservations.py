"""Budget reservations (预算占用) of the funds service: an amount of an expense account's budget
for a year set aside for one purpose, typically a purchase-of-services project
(``gov.tenders``), so that it cannot be spent twice.

A reservation is made under the community's lock and only within the budget: what the account
spent, what open requests ask and what other reservations still hold, with the new one, may not
exceed the year's budget. While it is open, its unused part counts as committed for every other
request on the account (which the over-budget rule then refuses), and disbursements drawn on it
(``request(..., reservation_id=...)``) may never exceed what is left of it. Releasing it frees
the unused part; what was drawn stays drawn.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.funds import (
    AccountType,
    DisbursementState,
    format_cny,
    from_fen,
    positive_money,
    to_fen,
)
from community_governance.errors import (
    ConflictError,
    InsufficientBalance,
    NotFound,
    ValidationError,
)
from community_governance.services.base import Operation
from community_governance.services.funds.books import FundsBooks
from community_governance.services.funds.common import FUNDS_BUDGET, FUNDS_READ, _new_id, _text
from community_governance.storage.tables import funds as f
from community_governance.storage.tables import funds_reservations as fr

__all__ = ["Reservation", "ReservationsMixin", "drawn_fen", "outstanding_fen"]

#: disbursement states that draw on a reservation (a rejected one gives its amount back)
_DRAWING = (DisbursementState.REQUESTED.value, DisbursementState.APPROVED.value,
            DisbursementState.PAID.value)


@attrs.frozen
class Reservation:
    """A budget reservation (预算占用) of the funds ledger.

    Attributes:
        id: its number.
        community_code: the community whose books hold it.
        account: the expense account.
        year: the budget year.
        amount: the amount reserved, CNY.
        drawn: what disbursements drawn on it request or paid (rejected ones excluded).
        paid: what of that was paid.
        purpose: what it is for.
        ref: who holds it, e.g. ``tender_project:P1``.
        state: ``open`` or ``released``.
    """

    id: int
    community_code: str
    account: str
    year: int
    amount: Decimal
    drawn: Decimal
    paid: Decimal
    purpose: str
    ref: str
    state: str

    @property
    def remaining(self) -> Decimal:
        """What may still be drawn (nothing once released)."""
        return self.amount - self.drawn if self.state == "open" else Decimal("0.00")


def drawn_fen(conn: sa.Connection, reservation_id: int, *, paid_only: bool = False) -> int:
    """Fen drawn on a reservation by its disbursements (requested, approved or paid)."""
    d, w = f.funds_disbursements, fr.funds_reservation_draws
    states = (DisbursementState.PAID.value,) if paid_only else _DRAWING
    return int(conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(d.c.amount_fen), 0))
        .select_from(w.join(d, d.c.id == w.c.disbursement_id))
        .where(w.c.reservation_id == reservation_id, d.c.state.in_(states))).scalar_one())


def outstanding_fen(conn: sa.Connection, community: str, account: str, year: int,
                    *, excluding: int | None = None) -> int:
    """Fen the open reservations of an account and year still hold (reserved, not drawn)."""
    r = fr.funds_reservations
    q = sa.select(r.c.id, r.c.amount_fen).where(
        r.c.community_code == community, r.c.account == account, r.c.year == year,
        r.c.state == "open")
    if excluding is not None:
        q = q.where(r.c.id != excluding)
    return sum(max(0, int(row.amount_fen) - drawn_fen(conn, row.id))
               for row in conn.execute(q).all())


class ReservationsMixin(FundsBooks):
    """The reservation (预算占用) part of the funds service."""

    def _reservation(self, conn: sa.Connection, rid: int) -> Reservation:
        r = fr.funds_reservations
        row = conn.execute(sa.select(r).where(r.c.id == rid)).first()
        if row is None:
            raise NotFound("budget reservation", rid)
        return Reservation(row.id, row.community_code, row.account, row.year,
                           from_fen(int(row.amount_fen)), from_fen(drawn_fen(conn, rid)),
                           from_fen(drawn_fen(conn, rid, paid_only=True)), row.purpose, row.ref,
                           row.state)

    def _reserve(self, op: Operation, community: str, account: str, year: int,
                 amount: object, purpose: str, ref: str) -> Reservation:
        """Reserve in ``op`` (the caller checked the permission it needs)."""
        value = positive_money(amount)
        purpose = _text(purpose, "purpose")
        ref = _text(ref, "ref", limit=80)
        self._require_community(op, community)
        self._account(community, account, "account", AccountType.EXPENSE)
        self._lock(op, community)
        conn = op.uow.conn
        budget = self._budget_fen(conn, community, account, year)
        if budget is None:
            raise InsufficientBalance(
                f"account {account} of {community} has no budget for {year}; a reservation is "
                f"made within a budget: set it first (cgov funds budget {community} {account} "
                f"{year} AMOUNT)")
        d = f.funds_disbursements
        open_requests = int(conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(d.c.amount_fen), 0)).where(
                d.c.community_code == community, d.c.account == account,
                d.c.state.in_((DisbursementState.REQUESTED.value,
                               DisbursementState.APPROVED.value)),
                d.c.requested_on >= dt.date(year, 1, 1),
                d.c.requested_on <= dt.date(year, 12, 31))).scalar_one())
        committed = (self._spent_fen(conn, community, account, year) + open_requests
                     + outstanding_fen(conn, community, account, year))
        if committed + to_fen(value) > budget:
            raise InsufficientBalance(
                f"account {account} of {community} has a budget of "
                f"{format_cny(from_fen(budget))} for {year} with {format_cny(from_fen(committed))} "
                f"spent, requested or reserved; reserving {format_cny(value)} more would exceed "
                "it: raise the budget or reserve less")
        r = fr.funds_reservations
        if conn.execute(sa.select(r.c.id).where(r.c.ref == ref)).first() is not None:
            raise ConflictError(f"{ref} holds a reservation already")
        res = conn.execute(r.insert().values(
            community_code=community, account=account, year=year, amount_fen=to_fen(value),
            purpose=purpose, ref=ref, state="open", created_at=op.now,
            created_by=str(op.actor), released_at=None))
        rid = _new_id(res)
        op.touch("funds_reservation", rid)
        return self._reservation(conn, rid)

    def _release(self, op: Operation, rid: int) -> Reservation:
        """Release in ``op``: the unused part is freed (drawn amounts stay drawn)."""
        got = self._reservation(op.uow.conn, rid)
        self._lock(op, got.community_code)
        r = fr.funds_reservations
        done = op.uow.conn.execute(r.update().where(r.c.id == rid, r.c.state == "open").values(
            state="released", released_at=op.now))
        if done.rowcount == 1:
            op.touch("funds_reservation", rid)
        return self._reservation(op.uow.conn, rid)

    def reserve(self, actor: Actor, community_code: str, account: str, year: int,
                amount: object, *, purpose: str, ref: str) -> Reservation:
        """Reserve part of an account's budget for a year (预算占用) for one purpose.

        Raises:
            InsufficientBalance: no budget, or the reservation would exceed what the budget
                has left after spending, open requests and other reservations.
            ConflictError: ``ref`` holds a reservation already.
        """
        if isinstance(year, bool) or not isinstance(year, int) or not 1949 < year < 3000:
            raise ValidationError(f"year {year!r} must be a calendar year", path="year")
        with self._write(actor, "funds.reserve") as op:
            op.require(FUNDS_BUDGET, self._target(community_code))
            return self._reserve(op, community_code, account, year, amount, purpose, ref)

    def release(self, actor: Actor, reservation_id: int) -> Reservation:
        """Release a reservation: its unused part returns to the budget."""
        with self._write(actor, "funds.release") as op:
            got = self._reservation(op.uow.conn, reservation_id)
            op.require(FUNDS_BUDGET, self._target(got.community_code))
            return self._release(op, reservation_id)

    def reservation(self, actor: Actor, reservation_id: int) -> Reservation:
        """A reservation with what was drawn on it and paid."""
        with self._read(actor, "funds.reservation") as op:
            got = self._reservation(op.uow.conn, reservation_id)
            op.require(FUNDS_READ, self._target(got.community_code))
            return got
