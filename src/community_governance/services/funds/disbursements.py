"""Budgets (预算) and disbursements (支出申请) of the funds service: requests, approvals,
rejections, payments and their batches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain.access import Action, Actor, ActorKind, can
from community_governance.domain.funds import (
    AccountType,
    Approval,
    Budget,
    Channel,
    Disbursement,
    DisbursementState,
    Posting,
    TransactionKind,
    check_approver,
    check_budget,
    format_cny,
    from_fen,
    positive_money,
    to_fen,
    to_money,
)
from community_governance.domain.posts import PostKind
from community_governance.errors import (
    ConflictError,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from community_governance.plugins import expect_post_kinds
from community_governance.services.base import Operation, batch_of
from community_governance.services.funds.common import (
    _OPEN_STATES,
    _Q_DISBURSEMENT_APPROVALS,
    _Q_LOCK_OF_DISBURSEMENT,
    _ZERO,
    FUNDS_BUDGET,
    FUNDS_PAY,
    FUNDS_READ,
    FUNDS_REQUEST,
    NewBudget,
    NewDisbursement,
    P,
    Payment,
    _check_over_budget,
    _date,
    _fingerprint,
    _new_id,
    _raise_transition,
    _text,
)
from community_governance.services.funds.ledger import LedgerMixin, _Staged
from community_governance.services.funds.reservations import drawn_fen, outstanding_fen
from community_governance.storage.repos.bulk import (
    chunks,
    insert_returning_ids,
    insert_rows,
)
from community_governance.storage.tables import funds as f
from community_governance.storage.tables import funds_reservations as fr

_D = f.funds_disbursements
#: a keyed request's id and fingerprint
_Q_REQUEST_KEY = sa.select(_D.c.id, _D.c.fingerprint).where(
    _D.c.idempotency_key == sa.bindparam("key"))
#: many disbursements and their approvals (see ``_Q_DISBURSEMENT_APPROVALS``), each
#: disbursement's approvals in the order they were given
_Q_DISBURSEMENTS_APPROVALS = (
    sa.select(_D, f.funds_approvals.c.role.label("a_role"),
              f.funds_approvals.c.approver.label("a_approver"),
              f.funds_approvals.c.at.label("a_at"))
    .select_from(_D.outerjoin(f.funds_approvals,
                              f.funds_approvals.c.disbursement_id == _D.c.id))
    .where(_D.c.id.in_(sa.bindparam("dids", expanding=True)))
    .order_by(_D.c.id, f.funds_approvals.c.at, f.funds_approvals.c.role))
#: a disbursement's move from one state to another (the batches' ``executemany``)
_Q_MOVE = (_D.update().where(_D.c.id == sa.bindparam("p_id"),
                             _D.c.state == sa.bindparam("p_from"))
           .values(state=sa.bindparam("p_to")))
_Q_PAID = (_D.update().where(_D.c.id == sa.bindparam("p_id"),
                             _D.c.state == DisbursementState.APPROVED.value)
           .values(state=DisbursementState.PAID.value,
                   transaction_id=sa.bindparam("p_tid")))
#: what an account's open requests of a year hold (requested or approved, not paid)
_Q_OPEN_REQUESTED = sa.select(sa.func.coalesce(sa.func.sum(_D.c.amount_fen), 0)).where(
    _D.c.community_code == sa.bindparam("community"), _D.c.account == sa.bindparam("account"),
    _D.c.state.in_(_OPEN_STATES), _D.c.requested_on >= sa.bindparam("first", type_=sa.Date),
    _D.c.requested_on <= sa.bindparam("last", type_=sa.Date))


class _RequestKeys:
    """A batch's request keys, looked up in one statement when first asked (the caller holds
    the lock by then), and the requests found: ``get`` answers what ``_Q_REQUEST_KEY``
    would for one key."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = set(keys)
        self.found: dict[str, Any] | None = None

    def get(self, conn: sa.Connection, key: str) -> Any:
        if self.found is None:
            self.found = {}
            for part in chunks(sorted(set(self.keys))):
                for r in conn.execute(sa.select(_D.c.id, _D.c.fingerprint,
                                                _D.c.idempotency_key)
                                      .where(_D.c.idempotency_key.in_(part))):
                    self.found[r.idempotency_key] = r
        if key not in self.found and key not in self.keys:  # pragma: no cover - defensive
            return conn.execute(_Q_REQUEST_KEY, {"key": key}).first()
        return self.found.get(key)


class _LockedBatch:
    """A batch's disbursements, read in one statement, handed out one at a time in the
    batch's order as :meth:`DisbursementsMixin._load_locked` reads them one by one: the first
    one's community is locked before the read (through the disbursement); a disbursement of a
    community not locked yet has its community locked when its turn comes, and that
    community's disbursements are read again (they are current from then on). So the
    communities are locked in the order the batch first names them, as one by one."""

    def __init__(self, svc: DisbursementsMixin, op: Operation,
                 got: dict[int, Disbursement]) -> None:
        self.svc = svc
        self.op = op
        self.got = got

    def get(self, did: int) -> Disbursement:
        d = self.got.get(did)
        if d is None:
            raise NotFound("disbursement", did)
        if f"funds:{d.community_code}" not in self.op.chain_heads:
            self.svc._lock(self.op, d.community_code)
            self.got.update(self.svc._load_disbursements(self.op.uow.conn, [
                i for i, x in self.got.items() if x.community_code == d.community_code]))
            d = self.got[did]
        return d


class DisbursementsMixin(LedgerMixin):
    """The budget and disbursement (预算与支出审批) part of the funds service."""

    # ------------------------------------------------------------------ budgets

    def set_budget(self, actor: Actor, community_code: str, account: str, year: int,
                   amount: object) -> Budget:
        """Set (or change) the budget (预算) of an expense account for a year.

        Raises:
            ValidationError: not an expense account, a negative or float amount, or a budget
                below what the account has spent already.
        """
        value = self._budget_value(amount, year, "")
        with self._write(actor, "funds.set_budget") as op:
            got, old = self._set_budget(op, community_code, account, year, value, "", set())
            op.detail.update({"old": old, "new": str(value)})
            return got

    def set_budgets(self, actor: Actor, budgets: Iterable[NewBudget]) -> list[Budget]:
        """Set several budgets in one transaction (批量编制预算), e.g. a community's year.

        Each budget gets exactly the checks of :meth:`set_budget`, in the order given, and
        writes the same row (a budget set twice in the batch ends as the later one says, as
        one by one); the batch is audited once, with every budget it set (the objects
        :meth:`set_budget` one by one would record, in that order, and each one's old and new
        amount). All or nothing: the first error one by one would meet is raised, with the
        budget's place in the batch (``$[3].amount``), and nothing is written.

        Returns:
            The budgets as set, in the order given.

        Raises:
            ValidationError: not an expense account, a negative or float amount, a bad year,
                a budget below what the account has spent already, or something other than
                a :class:`NewBudget`.
            NotFound: a community does not exist.
            PermissionDenied: the actor may not set a community's budgets.
        """
        batch = batch_of(budgets, NewBudget)
        with self._write(actor, "funds.set_budgets") as op:
            out: list[Budget] = []
            changes: list[dict[str, str | None]] = []
            checked: set[str] = set()
            for i, x in enumerate(batch):
                value = self._budget_value(x.amount, x.year, f"$[{i}].")
                got, old = self._set_budget(op, x.community_code, x.account, x.year, value,
                                            f"$[{i}].", checked)
                out.append(got)
                changes.append({"budget": f"{x.community_code}/{x.account}/{x.year}",
                                "old": old, "new": str(value)})
            op.detail.update({"budgets": changes})
            return out

    @staticmethod
    def _budget_value(amount: object, year: int, where: str) -> Decimal:
        """:meth:`set_budget`'s checks of its amount and year (``where``: the budget's place
        in a batch, ``"$[3]."``): the amount."""
        value = to_money(amount, path=f"{where}amount")
        if value < 0:
            raise ValidationError(f"a budget cannot be negative ({value})",
                                  path=f"{where}amount")
        if isinstance(year, bool) or not isinstance(year, int) or not 1949 < year < 3000:
            raise ValidationError(f"year {year!r} must be a calendar year",
                                  path=f"{where}year")
        return value

    def _set_budget(self, op: Operation, community_code: str, account: str, year: int,
                    value: Decimal, where: str, checked: set[str]) -> tuple[Budget, str | None]:
        """Write one budget in ``op`` (:meth:`set_budget`'s work): the budget and its old
        amount (``None``: it is new). ``checked``: communities whose right and existence
        this operation checked already."""
        if community_code not in checked:
            op.require(FUNDS_BUDGET, self._target(community_code))
            self._require_community(op, community_code)
            checked.add(community_code)
        self._account(community_code, account, f"{where}account", AccountType.EXPENSE)
        self._lock(op, community_code)
        conn = op.uow.conn
        spent = self._spent_fen(conn, community_code, account, year)
        if to_fen(value) < spent:
            raise ValidationError(
                f"account {account} spent {format_cny(from_fen(spent))} in {year} already; "
                f"a budget of {format_cny(value)} would be below that", path=f"{where}amount")
        b = f.funds_budgets
        old = self._budget_fen(conn, community_code, account, year)
        if old is None:
            conn.execute(b.insert().values(
                community_code=community_code, account=account, year=year,
                amount_fen=to_fen(value), set_at=op.now, set_by=str(op.actor)))
        else:
            conn.execute(b.update().where(
                b.c.community_code == community_code, b.c.account == account,
                b.c.year == year).values(amount_fen=to_fen(value), set_at=op.now,
                                         set_by=str(op.actor)))
        op.touch("budget", f"{community_code}/{account}/{year}")
        return (Budget(community_code, account, year, value, from_fen(spent)),
                None if old is None else str(from_fen(old)))

    def budgets(self, actor: Actor, community_code: str, year: int) -> list[Budget]:
        """A community's budgets of a year, with what each account spent so far."""
        with self._read(actor, "funds.budgets") as op:
            op.require(FUNDS_READ, self._target(community_code))
            return self._budgets(op.uow.conn, community_code, year)

    def _budgets(self, conn: sa.Connection, community: str, year: int,
                 as_of: dt.date | None = None) -> list[Budget]:
        b = f.funds_budgets
        rows = conn.execute(sa.select(b).where(b.c.community_code == community,
                                               b.c.year == year).order_by(b.c.account)).all()
        out = []
        for r in rows:
            spent = self._spent_fen(conn, community, r.account, year) if as_of is None else \
                self._spent_until(conn, community, r.account, year, as_of)
            out.append(Budget(community, r.account, year, from_fen(int(r.amount_fen)),
                              from_fen(spent)))
        return out

    @staticmethod
    def _spent_until(conn: sa.Connection, community: str, account: str, year: int,
                     as_of: dt.date) -> int:
        p, tx = f.funds_postings, f.funds_transactions
        q = (sa.select(sa.func.coalesce(sa.func.sum(p.c.amount_fen), 0))
             .select_from(p.join(tx, tx.c.id == p.c.transaction_id))
             .where(p.c.community_code == community, p.c.account == account,
                    p.c.date >= dt.date(year, 1, 1), p.c.date <= as_of,
                    tx.c.kind != TransactionKind.CLOSING.value))
        return int(conn.execute(q).scalar_one())

    # ------------------------------------------------------------------ disbursements

    def _load_disbursement(self, conn: sa.Connection, did: int) -> Disbursement:
        rows = conn.execute(_Q_DISBURSEMENT_APPROVALS, {"did": did}).all()
        if not rows:
            raise NotFound("disbursement", did)
        return self._disbursement_of(rows)

    def _load_disbursements(self, conn: sa.Connection,
                            ids: Iterable[int]) -> dict[int, Disbursement]:
        """The disbursements of ``ids`` that exist, with their approvals (as
        :meth:`_load_disbursement` reads each): one statement per 900."""
        grouped: dict[int, list[Any]] = {}
        for part in chunks(sorted(set(ids))):
            for r in conn.execute(_Q_DISBURSEMENTS_APPROVALS, {"dids": list(part)}):
                grouped.setdefault(r.id, []).append(r)
        return {did: self._disbursement_of(rows) for did, rows in grouped.items()}

    @staticmethod
    def _disbursement_of(rows: Sequence[Any]) -> Disbursement:
        """A disbursement from its rows of :data:`_Q_DISBURSEMENT_APPROVALS` (one per
        approval, in the order given)."""
        d = rows[0]
        apps = [r for r in rows if r.a_role is not None]
        return Disbursement(
            id=d.id, community_code=d.community_code, account=d.account,
            amount=from_fen(int(d.amount_fen)), payee=d.payee, purpose=d.purpose,
            state=DisbursementState(d.state),
            required_roles=tuple(PostKind(r) for r in d.required_roles.split(",") if r),
            approvals=tuple(Approval(PostKind(a.a_role), a.a_approver, a.a_at) for a in apps),
            requested_by=d.requested_by, requested_on=d.requested_on,
            over_budget=bool(d.over_budget), transaction_id=d.transaction_id,
            reason=d.reason, idempotency_key=d.idempotency_key)

    def _load_locked(self, op: Operation, did: int) -> Disbursement:
        """The disbursement, read while the operation holds its community's lock (taken here
        if it does not yet, see ``_lock``): its state is current until the commit.

        The operation's first disbursement takes the lock through the disbursement (one
        statement) and is then read; a later one is read, and read again only if its community
        was not locked yet."""
        conn = op.uow.conn
        if not any(k.startswith("funds:") for k in op.chain_heads):
            row = conn.execute(_Q_LOCK_OF_DISBURSEMENT, {"did": did}).first()
            if row is not None:  # else no such disbursement, or no lock row yet: below
                op.chain_heads[f"funds:{row[0]}"] = row[1]
        d = self._load_disbursement(conn, did)
        if f"funds:{d.community_code}" not in op.chain_heads:  # else locked since: current
            self._lock(op, d.community_code)
            d = self._load_disbursement(conn, did)
        return d

    def _locked_batch(self, op: Operation, ids: list[int]) -> _LockedBatch:
        """The disbursements of a batch, read together and handed out in the batch's order
        as :meth:`_load_locked` reads each (see :class:`_LockedBatch`)."""
        conn = op.uow.conn
        if ids and not any(k.startswith("funds:") for k in op.chain_heads):
            row = conn.execute(_Q_LOCK_OF_DISBURSEMENT, {"did": ids[0]}).first()
            if row is not None:
                op.chain_heads[f"funds:{row[0]}"] = row[1]
        return _LockedBatch(self, op, self._load_disbursements(conn, ids))

    def request(
        self, actor: Actor, community_code: str, account: str, amount: object, *, payee: str,
        purpose: str, on: dt.date | None = None, key: str | None = None,
        reservation_id: int | None = None,
    ) -> Disbursement:
        """Request a disbursement (支出申请) from an expense account.

        The approvals it needs come from the ``cgov_funds_required_approvals`` hook; when the
        account's spending and open requests with this one would exceed its budget for the
        year, the ``cgov_funds_over_budget`` hook refuses it (the national default) or names
        further approvals. With ``reservation_id`` it draws on a budget reservation
        (预算占用, :meth:`reserve`) instead, and may never exceed what is left of it.

        Raises:
            ValidationError: a bad amount, account, payee or purpose.
            InsufficientBalance: the budget would be exceeded and the rules refuse it.
            IdempotencyConflict: ``key`` was used for a different request.
        """
        value = positive_money(amount)
        parts: list[object] = [community_code, account, str(value), payee, purpose, str(on)]
        if reservation_id is not None:
            parts.append(f"reservation:{reservation_id}")
        fp = _fingerprint("request", *parts)
        try:
            with self._hooks_first(actor, "funds.request", lambda op: self._request(
                    op, community_code, account, value, payee, purpose, on, key, fp, dry=True,
                    reservation_id=reservation_id)), self._write(actor, "funds.request") as op:
                got = self._request(op, community_code, account, value, payee, purpose, on,
                                    key, fp, reservation_id=reservation_id)
                assert got is not None
                return got
        except IntegrityError:
            if key is not None:
                with self._gov.store.unit_of_work(write=False) as uow:
                    row = uow.conn.execute(sa.select(f.funds_disbursements).where(
                        f.funds_disbursements.c.idempotency_key == key)).first()
                    if row is not None:
                        if row.fingerprint != fp:
                            raise IdempotencyConflict(
                                f"idempotency key {key!r} was used for a different "
                                f"request (#{row.id})") from None
                        return self._load_disbursement(uow.conn, row.id)
            raise

    def _request(self, op: Operation, community: str, account: str, value: Decimal,
                 payee: str, purpose: str, on: dt.date | None, key: str | None,
                 fp: str, *, dry: bool = False,
                 reservation_id: int | None = None,
                 memo: dict[tuple[str, int], list[int | None]] | None = None,
                 keys: _RequestKeys | None = None,
                 staged: list[dict[str, Any]] | None = None,
                 ) -> Disbursement | None:
        """Request a disbursement in ``op`` (``dry``: read and ask the hooks, write nothing).

        ``memo``: a batch of requests of one community in one operation (``request_many``)
        reads each account's budget and what is committed against it (spent, requested,
        reserved) once, per account and year, and adds what its requests write; a draw on a
        reservation makes the next request read them again. ``keys``: the batch's keys, looked
        up together (once the lock is held). ``staged``: the request's row is kept there, to
        be written with the batch's others (its id then filled in), not written here."""
        payee = _text(payee, "payee")
        purpose = _text(purpose, "purpose", limit=2000)
        if key is not None:
            key = _text(key, "key", limit=120)
        op.require(FUNDS_REQUEST, self._target(community))
        self._require_community(op, community)
        self._account(community, account, "account", AccountType.EXPENSE)
        day = _date(on, op.today)
        roles = self._hooks.first("cgov_funds_required_approvals", expect_post_kinds,
                                  place=community, community_code=community, account=account,
                                  amount=value)
        if not dry:
            self._lock(op, community)
        conn = op.uow.conn
        d = f.funds_disbursements
        if key is not None:
            row = (conn.execute(_Q_REQUEST_KEY, {"key": key}).first() if keys is None
                   else keys.get(conn, key))
            if row is not None:
                if row.fingerprint != fp:
                    raise IdempotencyConflict(
                        f"idempotency key {key!r} was used for a different request "
                        f"(#{row.id}); use a new key for a new request")
                op.detail["replayed"] = row.id
                return self._load_disbursement(conn, row.id)
        over = False
        known = memo.get((account, day.year)) if memo is not None else None
        if known is None:
            known = [self._budget_fen(conn, community, account, day.year), None]
            if memo is not None:
                memo[account, day.year] = known
        budget = known[0]
        if reservation_id is not None:
            self._check_draw(conn, reservation_id, community, account, day, value)
        elif budget is not None:
            committed_fen = known[1]
            if committed_fen is None:
                committed_fen = known[1] = self._spent_fen(
                    conn, community, account, day.year) + int(conn.execute(_Q_OPEN_REQUESTED, {
                        "community": community, "account": account,
                        "first": dt.date(day.year, 1, 1), "last": dt.date(day.year, 12, 31),
                    }).scalar_one()) + outstanding_fen(conn, community, account, day.year)
            committed = committed_fen
            if committed + to_fen(value) > budget:
                extra = self._hooks.first(
                    "cgov_funds_over_budget", _check_over_budget, place=community,
                    community_code=community,
                    account=account, year=day.year, amount=value, budget=from_fen(budget),
                    committed=from_fen(committed))
                if extra is None:
                    raise InsufficientBalance(
                        f"account {account} of {community} has a budget of "
                        f"{format_cny(from_fen(budget))} for {day.year}, with "
                        f"{format_cny(from_fen(committed))} spent or requested; "
                        f"{format_cny(value)} more is beyond it and the rules refuse "
                        "spending beyond the budget: raise the budget first")
                over = True
                roles = list(dict.fromkeys([*roles, *extra]))
        roles = list(dict.fromkeys(roles))
        if dry:
            return None
        state = DisbursementState.REQUESTED if roles else DisbursementState.APPROVED
        values = {
            "community_code": community, "account": account, "amount_fen": to_fen(value),
            "payee": payee, "purpose": purpose, "state": state.value,
            "required_roles": ",".join(r.value for r in roles), "over_budget": over,
            "requested_by": str(op.actor), "requested_on": day, "requested_at": op.now,
            "idempotency_key": key, "fingerprint": fp}
        if staged is not None and reservation_id is None:
            staged.append(values)
            did = -len(staged)  # its place in the batch, until written
        else:
            did = _new_id(conn.execute(d.insert().values(**values)))
        if memo is not None:
            if reservation_id is not None:  # a draw: what the reservation holds changed
                memo.pop((account, day.year), None)
            elif (was := known[1]) is not None:  # an open request counts as committed
                known[1] = was + to_fen(value)
        if reservation_id is not None:
            conn.execute(fr.funds_reservation_draws.insert().values(
                disbursement_id=did, reservation_id=reservation_id))
            op.detail["reservation"] = reservation_id
        if did > 0:
            op.touch("disbursement", did)
        op.detail.update({"amount": str(value), "roles": [r.value for r in roles]})
        # what _load_disbursement would read back: the row as written, with no approval yet
        return Disbursement(
            id=did, community_code=community, account=account,
            amount=from_fen(to_fen(value)), payee=payee, purpose=purpose, state=state,
            required_roles=tuple(roles), approvals=(), requested_by=str(op.actor),
            requested_on=day, over_budget=over, transaction_id=None, reason="",
            idempotency_key=key)

    @staticmethod
    def _write_requests(op: Operation, staged: list[dict[str, Any]],
                        out: list[Disbursement]) -> list[Disbursement]:
        """Write the requests ``_request`` staged (in order: the ids one by one would give)
        and put their ids in ``out`` (a staged one holds ``-(its place)``); the audit's
        objects in the order of the batch."""
        conn = op.uow.conn
        tab = f.funds_disbursements
        ids = insert_returning_ids(conn, tab, staged)
        done: list[Disbursement] = []
        for d in out:
            if d.id < 0:
                d = attrs.evolve(d, id=ids[-d.id - 1])
                op.touch("disbursement", d.id)
            done.append(d)
        return done

    @staticmethod
    def _check_draw(conn: sa.Connection, reservation_id: int, community: str, account: str,
                    day: dt.date, value: Decimal) -> None:
        """Refuse a draw on a reservation that is not open, not of this account and year, or
        that would exceed what is left of it."""
        r = fr.funds_reservations
        row = conn.execute(sa.select(r).where(r.c.id == reservation_id)).first()
        if row is None:
            raise NotFound("budget reservation", reservation_id)
        if (row.community_code, row.account, row.year) != (community, account, day.year):
            raise ValidationError(
                f"reservation #{reservation_id} holds account {row.account} of "
                f"{row.community_code} for {row.year}; request on that account and year",
                path="reservation_id")
        if row.state != "open":
            raise InsufficientBalance(f"reservation #{reservation_id} ({row.purpose}) was "
                                      "released; nothing more may be drawn on it")
        left = int(row.amount_fen) - drawn_fen(conn, reservation_id)
        if to_fen(value) > left:
            raise InsufficientBalance(
                f"reservation #{reservation_id} ({row.purpose}) has "
                f"{format_cny(from_fen(left))} left of {format_cny(from_fen(int(row.amount_fen)))}"
                f"; {format_cny(value)} is beyond it: a reserved budget is never overspent")

    def approve(self, actor: Actor, disbursement_id: int, *,
                as_role: PostKind | str | None = None) -> Disbursement:
        """Approve a disbursement (审批) in one of the roles it still needs.

        A staff member approves in a required role they hold over the community (a director
        of the community, sub-district staff above it...); a system job names ``as_role``.
        Approving again is harmless (the request is returned unchanged).

        Raises:
            PermissionDenied: the approver asked for the disbursement themselves
                (不得审批本人申请), or holds none of the roles it still needs.
            InvalidTransition: it is not awaiting approval.
        """
        try:
            role = PostKind(as_role) if as_role is not None else None
        except ValueError:
            raise ValidationError(f"as_role {as_role!r} is not one of "
                                  f"{[k.value for k in PostKind]}", path="as_role") from None
        with self._write(actor, "funds.approve") as op:
            return self._approve(op, disbursement_id, role)

    def _approve(self, op: Operation, disbursement_id: int,
                 role: PostKind | None) -> Disbursement:
        d = self._load_locked(op, disbursement_id)
        me = str(op.actor)
        problems = check_approver(d.requested_by, me, d.approvals)
        if problems and problems[0].rule == "self_approval":
            raise PermissionDenied(me, "funds.approve", f"disbursement {d.id}",
                                   problems[0].message)
        if problems:  # approved already: a replay
            op.detail["replayed"] = d.id
            return d
        _raise_transition(d.state, DisbursementState.APPROVED)
        fill = self._fillable(op, d, role)
        op.uow.conn.execute(f.funds_approvals.insert().values(
            disbursement_id=d.id, role=fill.value, approver=me, at=op.now))
        if len(d.missing_roles) == 1:
            self._move(op, d, DisbursementState.REQUESTED, DisbursementState.APPROVED)
        op.touch("disbursement", d.id)
        op.detail["role"] = fill.value
        return self._load_disbursement(op.uow.conn, d.id)

    def _approve_batch(self, op: Operation, ids: list[int],
                       role: PostKind | None) -> list[Disbursement]:
        """:meth:`_approve` of each of ``ids`` (no id twice), in order, with the same checks
        and errors: the disbursements read in one statement (:meth:`_locked_batch`), the
        approvals written in one batch and the moves to approved in one ``executemany``,
        after every check passed. Answers what reading each back would give."""
        locked = self._locked_batch(op, ids)
        me = str(op.actor)
        rows: list[dict[str, Any]] = []
        moves: list[int] = []
        out: list[Disbursement] = []
        for did in ids:
            d = locked.get(did)
            problems = check_approver(d.requested_by, me, d.approvals)
            if problems and problems[0].rule == "self_approval":
                raise PermissionDenied(me, "funds.approve", f"disbursement {d.id}",
                                       problems[0].message)
            if problems:  # approved already: a replay
                op.detail["replayed"] = d.id
                out.append(d)
                continue
            _raise_transition(d.state, DisbursementState.APPROVED)
            fill = self._fillable(op, d, role)
            rows.append({"disbursement_id": d.id, "role": fill.value, "approver": me,
                         "at": op.now})
            last = len(d.missing_roles) == 1
            if last:
                moves.append(d.id)
            op.touch("disbursement", d.id)
            op.detail["role"] = fill.value
            given = Approval(fill, me, op.now.replace(tzinfo=dt.UTC))
            out.append(attrs.evolve(
                d, state=DisbursementState.APPROVED if last else d.state,
                approvals=tuple(sorted((*d.approvals, given),
                                       key=lambda a: (a.at, a.role.value)))))
        insert_rows(op.uow.conn, f.funds_approvals, rows)
        self._move_many(op, [{"p_id": did, "p_from": DisbursementState.REQUESTED.value,
                              "p_to": DisbursementState.APPROVED.value} for did in moves],
                        _Q_MOVE)
        return out

    @staticmethod
    def _move_many(op: Operation, params: list[dict[str, Any]], stmt: Any) -> None:
        """Move many disbursements (one ``executemany`` of ``stmt``, guarded by their state
        as :meth:`_move` is); a disbursement that was not in the state expected is a
        :class:`ConflictError` naming it, as :meth:`_move` raises."""
        if not params:
            return
        res = op.uow.conn.execute(stmt, params)
        if res.rowcount != len(params):
            raise ConflictError(f"disbursement {params[0]['p_id']} changed concurrently; read "
                                "it again" if len(params) == 1 else
                                f"one of disbursements {[p['p_id'] for p in params][:10]} "
                                "changed concurrently; read them again")

    def _fillable(self, op: Operation, d: Disbursement, role: PostKind | None) -> PostKind:
        target = self._target(d.community_code)
        missing = d.missing_roles
        if role is not None and role not in missing:
            raise InvalidTransition(
                f"disbursement {d.id} does not need (more) approval as {role.value}; it still "
                f"needs {[r.value for r in missing]}")
        candidates = [role] if role is not None else list(missing)
        for r in candidates:
            as_action = Action(f"funds.approve_as_{r.value}", roles=frozenset({r}))
            if op.actor.kind is ActorKind.SYSTEM or (
                    can(op.principal, as_action, target) and op.allowed(as_action, target)):
                return r
        raise PermissionDenied(
            str(op.actor), "funds.approve", f"disbursement {d.id}",
            f"it still needs approval by {[r.value for r in missing]} of "
            f"{d.community_code}; the actor holds none of these posts over the community")

    def _move(self, op: Operation, d: Disbursement, frm: DisbursementState,
              to: DisbursementState, **values: Any) -> None:
        tab = f.funds_disbursements
        res = op.uow.conn.execute(tab.update().where(
            tab.c.id == d.id, tab.c.state == frm.value).values(state=to.value, **values))
        if res.rowcount != 1:
            raise ConflictError(f"disbursement {d.id} changed concurrently; read it again")

    def reject(self, actor: Actor, disbursement_id: int, *, reason: str) -> Disbursement:
        """Reject a disbursement (驳回) that is not paid yet; any holder of a required role
        may reject it.

        Raises:
            InvalidTransition: it is paid or rejected already.
            PermissionDenied: the actor holds none of its approving roles.
        """
        why = _text(reason, "reason", limit=2000)
        with self._write(actor, "funds.reject") as op:
            d = self._load_locked(op, disbursement_id)
            _raise_transition(d.state, DisbursementState.REJECTED)
            target = self._target(d.community_code)
            roles = d.required_roles or (P.DIRECTOR,)
            if op.actor.kind is not ActorKind.SYSTEM and not any(
                    op.allowed(Action(f"funds.approve_as_{r.value}", roles=frozenset({r})),
                               target) for r in roles):
                raise PermissionDenied(
                    str(op.actor), "funds.reject", f"disbursement {d.id}",
                    f"only a holder of {[r.value for r in roles]} over {d.community_code} "
                    "may reject it")
            self._move(op, d, d.state, DisbursementState.REJECTED, reason=why)
            op.touch("disbursement", d.id)
            return self._load_disbursement(op.uow.conn, d.id)

    def pay(self, actor: Actor, disbursement_id: int, *, voucher: str,
            on: dt.date | None = None, from_account: str = "1002") -> Disbursement:
        """Pay an approved disbursement (支付): post expense against ``from_account``.

        The budget and the paying account's balance are checked under the community's lock,
        so concurrent payments never overspend. Paying a paid disbursement again returns it
        unchanged (the payment is posted once).

        Raises:
            InvalidTransition: it is not approved.
            InsufficientBalance: the payment would exceed the budget (unless the over-budget
                approvals were given) or the paying account's balance.
        """
        voucher = _text(voucher, "voucher", limit=80)
        try:
            return self._pay(actor, disbursement_id, voucher, on, from_account)
        except IntegrityError:  # a concurrent payment of the same request won
            with self._gov.store.unit_of_work(write=False) as uow:
                d = self._load_disbursement(uow.conn, disbursement_id)
            if d.state is DisbursementState.PAID:
                return d
            raise ConflictError(f"disbursement {disbursement_id} changed concurrently; "
                                "read it again") from None

    def _pay(self, actor: Actor, disbursement_id: int, voucher: str, on: dt.date | None,
             from_account: str) -> Disbursement:
        with self._write(actor, "funds.pay") as op:
            return self._pay_in(op, disbursement_id, voucher, on, from_account)

    def _pay_in(self, op: Operation, disbursement_id: int, voucher: str, on: dt.date | None,
                from_account: str) -> Disbursement:
        d = self._load_locked(op, disbursement_id)
        op.require(FUNDS_PAY, self._target(d.community_code))
        if d.state is DisbursementState.PAID:
            op.detail["replayed"] = d.id
            return d
        _raise_transition(d.state, DisbursementState.PAID)
        self._account(d.community_code, from_account, "from_account", AccountType.ASSET)
        day = _date(on, op.today)
        self._require_open_year(op, d.community_code, day)
        conn = op.uow.conn
        fen = to_fen(d.amount)
        budget = self._budget_fen(conn, d.community_code, d.account, day.year)
        if budget is not None and not d.over_budget:
            spent = self._spent_fen(conn, d.community_code, d.account, day.year)
            problems = check_budget(from_fen(budget), from_fen(spent), d.amount)
            if problems:
                raise InsufficientBalance(
                    f"disbursement {d.id}: account {d.account} in {day.year}: "
                    f"{problems[0].message}; it cannot be paid")
        have = self._balance_fen(conn, d.community_code, from_account)
        if have < fen:
            raise InsufficientBalance(
                f"disbursement {d.id} needs {format_cny(d.amount)} but account "
                f"{from_account} holds {format_cny(from_fen(have))}; record the income "
                "first or pay from another account")
        lines = [Posting(d.account, d.amount), Posting(from_account, -d.amount)]
        fp = _fingerprint("pay", d.id)
        tx = self._post(op, d.community_code, lines, channel=Channel.INTERNAL,
                        voucher=voucher, on=day, memo=f"支出申请 #{d.id}: {d.purpose}",
                        counterparty=d.payee, public=False,
                        key=f"disbursement:{d.id}", fingerprint=fp,
                        kind=TransactionKind.DISBURSEMENT, budget_checked=True)
        self._move(op, d, DisbursementState.APPROVED, DisbursementState.PAID,
                   transaction_id=tx.id)
        op.touch("disbursement", d.id)
        return attrs.evolve(d, state=DisbursementState.PAID, transaction_id=tx.id)

    # ------------------------------------------------------------------ batches of disbursements

    def request_many(self, actor: Actor, community_code: str,
                     requests: Iterable[NewDisbursement]) -> list[Disbursement]:
        """Request many disbursements of one community in one transaction (audited once).

        Each request gets exactly the checks of :meth:`request` (the approvals it needs, the
        budget with the requests before it in the batch, idempotency keys: a key requested
        already returns that request). All or nothing.

        Returns:
            The disbursements, in the order given.

        Raises:
            ValidationError: a bad amount, account, payee or purpose (the path names it).
            InsufficientBalance: a budget would be exceeded and the rules refuse it.
            IdempotencyConflict: a key was used for a different request.
            PermissionDenied: the actor may not request disbursements here.
        """
        batch = list(requests)
        values: list[Decimal] = []
        prints: list[str] = []
        for i, r in enumerate(batch):
            if not isinstance(r, NewDisbursement):
                raise ValidationError(f"expected a NewDisbursement, got {type(r).__name__}",
                                      path=f"requests[{i}]")
            value = positive_money(r.amount, path=f"requests[{i}].amount")
            values.append(value)
            prints.append(_fingerprint("request", community_code, r.account, str(value),
                                       r.payee, r.purpose, str(r.on)))
        wanted = [r.key.strip() for r in batch if isinstance(r.key, str)]
        # a key twice in the batch: the second request replays the first, read back (one by
        # one); else the keys are looked up together and the requests written together
        together = len(set(wanted)) == len(wanted)

        def ask(op: Operation) -> None:
            memo: dict[tuple[str, int], list[int | None]] = {}
            keys = _RequestKeys(wanted) if together else None
            for r, value, fp in zip(batch, values, prints, strict=True):
                self._request(op, community_code, r.account, value, r.payee, r.purpose, r.on,
                              r.key, fp, dry=True, memo=memo, keys=keys)

        for attempt in (1, 2):
            try:
                with self._hooks_first(actor, "funds.request_many", ask), \
                        self._write(actor, "funds.request_many") as op:
                    memo: dict[tuple[str, int], list[int | None]] = {}
                    keys = _RequestKeys(wanted) if together else None
                    staged: list[dict[str, Any]] | None = [] if together else None
                    got = [self._request(op, community_code, r.account, value, r.payee,
                                         r.purpose, r.on, r.key, fp, memo=memo, keys=keys,
                                         staged=staged)
                           for r, value, fp in zip(batch, values, prints, strict=True)]
                    out = [d for d in got if d is not None]
                    if staged:
                        out = self._write_requests(op, staged, out)
                    for name in ("amount", "roles", "replayed"):
                        op.detail.pop(name, None)
                    op.detail.update({"community": community_code, "requests": len(out),
                                      "total": str(sum(values, _ZERO))})
                    return out
            except IntegrityError as exc:
                # a concurrent writer made one of the keyed requests: the retry replays it
                if attempt == 2 or not any(r.key for r in batch):
                    raise ConflictError(
                        f"the requests could not be written: {exc.orig}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def approve_many(self, actor: Actor, disbursement_ids: Iterable[int], *,
                     as_role: PostKind | str | None = None) -> list[Disbursement]:
        """Approve many disbursements in one transaction (audited once), each as
        :meth:`approve` would (the same role rules, no self-approval, replays harmless).

        Returns:
            The disbursements after the approvals, in the order given.

        Raises:
            PermissionDenied: the approver asked for one themselves, or holds none of the
                roles it still needs.
            InvalidTransition: one is not awaiting approval.
        """
        try:
            role = PostKind(as_role) if as_role is not None else None
        except ValueError:
            raise ValidationError(f"as_role {as_role!r} is not one of "
                                  f"{[k.value for k in PostKind]}", path="as_role") from None
        ids = list(disbursement_ids)
        with self._write(actor, "funds.approve_many") as op:
            if len(set(ids)) == len(ids):
                out = self._approve_batch(op, ids, role)
            else:  # one approved twice: the second sees the first (one by one)
                out = [self._approve(op, did, role) for did in ids]
            op.detail.pop("replayed", None)
            op.detail["approved"] = len(out)
            return out

    def pay_many(self, actor: Actor, payments: Iterable[Payment]) -> list[Disbursement]:
        """Pay many approved disbursements in one transaction (audited once), each as
        :meth:`pay` would (budget and balance checked with the payments before it; a paid
        one is returned unchanged and posted once).

        Returns:
            The disbursements, paid, in the order given.

        Raises:
            InvalidTransition: one is not approved.
            InsufficientBalance: a payment would exceed its budget or the paying account's
                balance.
        """
        batch = list(payments)
        vouchers: list[str] = []
        for i, pmt in enumerate(batch):
            if not isinstance(pmt, Payment):
                raise ValidationError(f"expected a Payment, got {type(pmt).__name__}",
                                      path=f"payments[{i}]")
            vouchers.append(_text(pmt.voucher, f"payments[{i}].voucher", limit=80))
        for attempt in (1, 2):
            try:
                with self._write(actor, "funds.pay_many") as op:
                    out = self._pay_batch(op, batch, vouchers)
                    op.detail.pop("replayed", None)
                    op.detail["paid"] = len(out)
                    return out
            except IntegrityError as exc:  # a concurrent payment won: the retry replays it
                if attempt == 2:
                    raise ConflictError(f"the payments could not be written: {exc.orig}; "
                                        "read the disbursements again") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _pay_batch(self, op: Operation, batch: list[Payment],
                   vouchers: list[str]) -> list[Disbursement]:
        """:meth:`_pay_in` of each payment, in order, with the same checks and errors, its
        reads done once for the batch: the disbursements in one statement
        (:meth:`_locked_batch`), the payment keys in one, each budget, year's spending and
        paying balance once (then kept with the payments before it); the transactions
        written together (:meth:`_write_staged`: the same rows, ids and chain hashes) and the
        disbursements moved to paid in one ``executemany``. A disbursement paid twice in the
        batch, or a payment key found posted, goes one by one."""
        ids = [pmt.disbursement_id for pmt in batch]
        locked = self._locked_batch(op, ids)
        if len(set(ids)) != len(ids) or self._used_keys(
                op, [f"disbursement:{did}" for did in ids]):
            return [self._pay_in(op, pmt.disbursement_id, voucher, pmt.on, pmt.from_account)
                    for pmt, voucher in zip(batch, vouchers, strict=True)]
        conn = op.uow.conn
        staged = _Staged()
        budgets: dict[tuple[str, str, int], int | None] = {}
        # what the database held before the batch (read once each, when first needed) and
        # what the payments staged so far add: together what one by one would read
        spent: dict[tuple[str, str, int], int] = {}
        balances: dict[tuple[str, str], int] = {}
        spent_now: dict[tuple[str, str, int], int] = {}
        paid_now: dict[tuple[str, str], int] = {}
        out: list[Disbursement] = []
        paid: list[tuple[int, Disbursement]] = []  # (place in out, disbursement)
        for pmt, voucher in zip(batch, vouchers, strict=True):
            d = locked.get(pmt.disbursement_id)
            c = d.community_code
            op.require(FUNDS_PAY, self._target(c))
            if d.state is DisbursementState.PAID:
                op.detail["replayed"] = d.id
                out.append(d)
                continue
            _raise_transition(d.state, DisbursementState.PAID)
            self._account(c, pmt.from_account, "from_account", AccountType.ASSET)
            day = _date(pmt.on, op.today)
            self._require_open_year(op, c, day)
            fen = to_fen(d.amount)
            at = (c, d.account, day.year)
            if at not in budgets:
                budgets[at] = self._budget_fen(conn, c, d.account, day.year)
            budget = budgets[at]
            if budget is not None and not d.over_budget:
                if at not in spent:
                    spent[at] = self._spent_fen(conn, c, d.account, day.year)
                problems = check_budget(from_fen(budget),
                                        from_fen(spent[at] + spent_now.get(at, 0)), d.amount)
                if problems:
                    raise InsufficientBalance(
                        f"disbursement {d.id}: account {d.account} in {day.year}: "
                        f"{problems[0].message}; it cannot be paid")
            if (c, pmt.from_account) not in balances:
                balances[c, pmt.from_account] = self._balance_fen(conn, c, pmt.from_account)
            have = balances[c, pmt.from_account] + paid_now.get((c, pmt.from_account), 0)
            if have < fen:
                raise InsufficientBalance(
                    f"disbursement {d.id} needs {format_cny(d.amount)} but account "
                    f"{pmt.from_account} holds {format_cny(from_fen(have))}; record the "
                    "income first or pay from another account")
            lines = [Posting(d.account, d.amount), Posting(pmt.from_account, -d.amount)]
            got = self._checked(op, c, lines, channel=Channel.INTERNAL, voucher=voucher,
                                on=day, memo=f"支出申请 #{d.id}: {d.purpose}",
                                counterparty=d.payee, public=False,
                                key=f"disbursement:{d.id}")
            self._stage(op, staged, c, got.day, got.channel, TransactionKind.DISBURSEMENT,
                        got.voucher, got.memo, got.party, got.shown, lines, got.key,
                        _fingerprint("pay", d.id))
            # what the next payments read: this one's postings are spent and paid out
            for p in lines:
                amount = to_fen(p.amount)
                spent_now[c, p.account, day.year] = (
                    spent_now.get((c, p.account, day.year), 0) + amount)
                paid_now[c, p.account] = paid_now.get((c, p.account), 0) + amount
            paid.append((len(out), d))
            out.append(d)
        tids = self._write_staged(op, staged)
        self._move_many(op, [{"p_id": d.id, "p_tid": tid}
                             for (_, d), tid in zip(paid, tids, strict=True)], _Q_PAID)
        for ((place, d), tid, total) in zip(paid, tids, staged.totals, strict=True):
            op.touch("transaction", tid)
            op.touch("disbursement", d.id)
            op.detail.update({"community": d.community_code, "total": total})
            out[place] = attrs.evolve(d, state=DisbursementState.PAID, transaction_id=tid)
        return out

    def disbursement(self, actor: Actor, disbursement_id: int) -> Disbursement:
        """One disbursement with its approvals."""
        with self._read(actor, "funds.disbursement") as op:
            d = self._load_disbursement(op.uow.conn, disbursement_id)
            if not op.visible(FUNDS_READ, self._target(d.community_code)):
                raise NotFound("disbursement", disbursement_id)
            return d

    def disbursements(self, actor: Actor, community_code: str, *,
                      state: DisbursementState | str | None = None) -> list[Disbursement]:
        """A community's disbursements, oldest first, optionally in one state."""
        with self._read(actor, "funds.disbursements") as op:
            op.require(FUNDS_READ, self._target(community_code))
            d = f.funds_disbursements
            q = sa.select(d.c.id).where(d.c.community_code == community_code).order_by(d.c.id)
            if state is not None:
                try:
                    q = q.where(d.c.state == DisbursementState(state).value)
                except ValueError:
                    raise ValidationError(
                        f"state {state!r} is not one of {[x.value for x in DisbursementState]}",
                        path="state") from None
            return [self._load_disbursement(op.uow.conn, i) for i in
                    op.uow.conn.execute(q).scalars()]

