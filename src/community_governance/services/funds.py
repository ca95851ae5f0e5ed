"""Community funds (社区经费): the double-entry ledger, budgets, disbursements, support in kind,
reports and the public disclosure (财务公开).

Every write takes the community's lock row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite
writers are serialised by ``BEGIN IMMEDIATE``) before it checks budgets, balances and
idempotency keys, so concurrent writers never overspend a budget or post a request twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain.access import Action, Actor, ActorKind, Target, can
from community_governance.domain.funds import (
    Account,
    AccountType,
    Approval,
    Budget,
    Channel,
    Disbursement,
    DisbursementState,
    InKindItem,
    Posting,
    Transaction,
    TransactionKind,
    Violation,
    check_approver,
    check_budget,
    check_chart,
    check_no_personal_numbers,
    check_postings,
    check_transition,
    format_cny,
    from_fen,
    parse_quarter,
    positive_money,
    to_fen,
    to_money,
)
from community_governance.domain.posts import PostKind
from community_governance.domain.units import UnitKind
from community_governance.errors import (
    ConflictError,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    PluginError,
    UnbalancedTransaction,
    ValidationError,
)
from community_governance.plugins import expect_each, expect_type
from community_governance.services.base import Operation, Service
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import core as t
from community_governance.storage.tables import funds as f

if TYPE_CHECKING:
    from community_governance.io.disclosure import Disclosure

__all__ = [
    "FUNDS_BUDGET",
    "FUNDS_CLOSE",
    "FUNDS_DISCLOSE",
    "FUNDS_PAY",
    "FUNDS_POST",
    "FUNDS_READ",
    "FUNDS_REQUEST",
    "FundingMix",
    "FundsService",
    "NewDisbursement",
    "NewTransaction",
    "Payment",
    "TrialBalance",
    "TrialBalanceRow",
]

P = PostKind
_BOOKKEEPERS = frozenset({P.SECRETARY, P.DIRECTOR, P.STAFF, P.SUBDISTRICT_STAFF, P.COUNTY_ADMIN})
_LEADERS = frozenset({P.SECRETARY, P.DIRECTOR, P.SUBDISTRICT_STAFF, P.COUNTY_ADMIN})

FUNDS_POST = Action("funds.post", roles=_BOOKKEEPERS)
FUNDS_BUDGET = Action("funds.budget", roles=_LEADERS)
FUNDS_REQUEST = Action("funds.request", roles=_BOOKKEEPERS)
FUNDS_PAY = Action("funds.pay", roles=_BOOKKEEPERS)
FUNDS_CLOSE = Action("funds.close", roles=_LEADERS)
FUNDS_READ = Action("funds.read", roles=_BOOKKEEPERS)
#: Anyone, signed in or not, reads a community's financial disclosure (财务公开).
FUNDS_DISCLOSE = Action("funds.disclose", public=True)

_ZERO = Decimal("0.00")
# hot-path statements, built once (bound parameters are filled in per call)
_Q_UNIT_KIND = sa.select(t.units.c.kind).where(t.units.c.code == sa.bindparam("code"))
_Q_CLOSED = sa.select(f.funds_closings.c.year).where(
    f.funds_closings.c.community_code == sa.bindparam("community"),
    f.funds_closings.c.year == sa.bindparam("year"))
_Q_LOCK = (sa.select(f.funds_locks.c.community_code)
           .where(f.funds_locks.c.community_code == sa.bindparam("community"))
           .with_for_update())
_Q_KEY = sa.select(f.funds_transactions.c.id, f.funds_transactions.c.fingerprint).where(
    f.funds_transactions.c.idempotency_key == sa.bindparam("key"))
_OPEN_STATES = (DisbursementState.REQUESTED.value, DisbursementState.APPROVED.value)
_Q_DISBURSEMENT = sa.select(f.funds_disbursements).where(
    f.funds_disbursements.c.id == sa.bindparam("did"))
_Q_APPROVALS = (sa.select(f.funds_approvals)
                .where(f.funds_approvals.c.disbursement_id == sa.bindparam("did"))
                .order_by(f.funds_approvals.c.at))
_Q_SPENT = (sa.select(sa.func.coalesce(sa.func.sum(f.funds_postings.c.amount_fen), 0))
            .select_from(f.funds_postings.join(
                f.funds_transactions,
                f.funds_transactions.c.id == f.funds_postings.c.transaction_id))
            .where(f.funds_postings.c.community_code == sa.bindparam("community"),
                   f.funds_postings.c.account == sa.bindparam("account"),
                   f.funds_postings.c.date >= sa.bindparam("first", type_=sa.Date),
                   f.funds_postings.c.date <= sa.bindparam("last", type_=sa.Date),
                   f.funds_transactions.c.kind != TransactionKind.CLOSING.value))
_Q_BALANCE = sa.select(sa.func.coalesce(sa.func.sum(f.funds_postings.c.amount_fen), 0)).where(
    f.funds_postings.c.community_code == sa.bindparam("community"),
    f.funds_postings.c.account == sa.bindparam("account"))
_Q_BUDGET = sa.select(f.funds_budgets.c.amount_fen).where(
    f.funds_budgets.c.community_code == sa.bindparam("community"),
    f.funds_budgets.c.account == sa.bindparam("account"),
    f.funds_budgets.c.year == sa.bindparam("year"))


@attrs.frozen
class TrialBalanceRow:
    """One account of a trial balance (试算平衡表).

    Attributes:
        account: the account's code.
        name: its Chinese name.
        type: its class.
        debit: total debits posted.
        credit: total credits posted.
        balance: debits minus credits (positive: a debit balance).
    """

    account: str
    name: str
    type: AccountType
    debit: Decimal
    credit: Decimal
    balance: Decimal


@attrs.frozen
class TrialBalance:
    """A trial balance (试算平衡表) of one community, or of every community in scope.

    Attributes:
        community_code: the community, or ``None`` for all in scope.
        as_of: the last day included (``None``: everything posted).
        rows: one row per account with postings, by account code.
    """

    community_code: str | None
    as_of: dt.date | None
    rows: tuple[TrialBalanceRow, ...]

    @property
    def total_debit(self) -> Decimal:
        """Sum of the debit balances."""
        return sum((r.balance for r in self.rows if r.balance > 0), _ZERO)

    @property
    def total_credit(self) -> Decimal:
        """Sum of the credit balances (positive)."""
        return -sum((r.balance for r in self.rows if r.balance < 0), _ZERO)

    @property
    def total(self) -> Decimal:
        """Sum of all balances: zero when the books are sound."""
        return sum((r.balance for r in self.rows), _ZERO)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (amounts as strings)."""
        return {
            "community_code": self.community_code,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "rows": [{"account": r.account, "name": r.name, "type": r.type.value,
                      "debit": str(r.debit), "credit": str(r.credit),
                      "balance": str(r.balance)} for r in self.rows],
            "total_debit": str(self.total_debit),
            "total_credit": str(self.total_credit),
            "total": str(self.total),
        }


@attrs.frozen
class FundingMix:
    """Where a community's income came from in a year (资金渠道结构).

    The study names tight, single-source funds as a main problem: ``largest_share`` measures it.

    Attributes:
        community_code: the community.
        year: the year.
        by_channel: income per channel (CNY), largest first; in-kind support at its estimate.
        total: all income of the year.
        largest_channel: the channel with most income (``None`` without income).
        largest_share: its share of the total, 0..1 to four places (a ``Decimal``).
    """

    community_code: str
    year: int
    by_channel: dict[Channel, Decimal]
    total: Decimal
    largest_channel: Channel | None
    largest_share: Decimal

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (amounts as strings)."""
        return {
            "community_code": self.community_code, "year": self.year,
            "by_channel": {c.value: str(v) for c, v in self.by_channel.items()},
            "total": str(self.total),
            "largest_channel": self.largest_channel.value if self.largest_channel else None,
            "largest_share": str(self.largest_share),
            "channels_used": len([v for v in self.by_channel.values() if v > 0]),
        }


def _fingerprint(*parts: Any) -> str:
    text = json.dumps(parts, ensure_ascii=False, default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _new_id(result: Any) -> int:
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every dialect we serve returns it
        raise RuntimeError("the database did not return the new row's key")
    return int(key[0])


def _raise(violations: Sequence[Violation]) -> None:
    if not violations:
        return
    msg = "; ".join(v.message for v in violations)
    path = violations[0].path
    if any(v.rule == "unbalanced" for v in violations):
        raise UnbalancedTransaction(msg, path=path)
    raise ValidationError(msg, path=path)


def _check_roles(value: Any) -> list[PostKind]:
    if not isinstance(value, list | tuple):
        raise TypeError(f"expected a list of post kinds, got {type(value).__name__}")
    return [PostKind(v) for v in value]


def _check_over_budget(value: Any) -> list[PostKind] | None:
    if value is False:
        return None
    if value is True or not isinstance(value, list | tuple) or not value:
        raise TypeError("expected False or a non-empty list of post kinds")
    return [PostKind(v) for v in value]


def allocation_check(chart: dict[str, Account]) -> Callable[[Any], dict[str, Decimal]]:
    """The check applied to ``cgov_funds_annual_allocation`` answers, over a community's chart:
    a dict of the chart's income accounts to positive money."""

    def check(value: Any) -> dict[str, Decimal]:
        if not isinstance(value, dict):
            raise TypeError(f"expected a dict of account code to amount, got {value!r}")
        out: dict[str, Decimal] = {}
        for code, amount in value.items():
            acc = chart.get(code)
            if acc is None or acc.type is not AccountType.INCOME:
                raise ValueError(f"{code!r} is not an income account of the chart")
            out[code] = positive_money(amount, path=f"allocation[{code}]")
        return out

    return check


def _check_threshold(value: Any) -> Decimal:
    amount = positive_money(value, path="threshold")
    return amount


def _text(value: Any, path: str, *, required: bool = True, limit: int = 200) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationError(f"{path} must be a non-empty text", path=path)
    text: str = value.strip()
    if len(text) > limit:
        raise ValidationError(f"{path} is longer than {limit} characters", path=path)
    _raise(check_no_personal_numbers(text, path))
    return text


def _date(value: Any, default: dt.date, path: str = "on") -> dt.date:
    if value is None:
        return default
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValidationError(f"{path} must be a date (datetime.date), got {value!r}", path=path)
    return value


def _lines(value: Iterable[Posting]) -> tuple[Posting, ...]:
    return tuple(value)


@attrs.frozen
class NewTransaction:
    """A transaction (记账凭证) to post with :meth:`FundsService.post_many`.

    The fields are the arguments of :meth:`FundsService.post`, with the same meaning.

    Attributes:
        postings: the lines (:func:`~community_governance.domain.funds.debit`,
            :func:`~community_governance.domain.funds.credit`).
        channel: where the money came from (``internal`` for spending and transfers).
        voucher: the voucher reference (凭证号).
        on: the accounting date (default: today in the county).
        memo: an internal note (not disclosed).
        counterparty: who paid or was paid.
        donor_consent: for an individual donor, whether they agreed to be named in public.
        key: an idempotency key: the same transaction with the same key posts once.
    """

    postings: tuple[Posting, ...] = attrs.field(converter=_lines)
    channel: Channel | str
    voucher: str
    on: dt.date | None = None
    memo: str = ""
    counterparty: str | None = None
    donor_consent: bool = False
    key: str | None = None

    def fingerprint(self, community_code: str) -> str:
        """What an idempotency key is bound to (the same as :meth:`FundsService.post`)."""
        return _fingerprint("post", community_code, str(self.on), str(self.channel),
                            self.voucher, self.memo, self.counterparty, self.donor_consent,
                            [(p.account, str(p.amount)) if isinstance(p, Posting) else repr(p)
                             for p in self.postings])


@attrs.frozen
class NewDisbursement:
    """A disbursement request (支出申请) for :meth:`FundsService.request_many`.

    The fields are the arguments of :meth:`FundsService.request`, with the same meaning.

    Attributes:
        account: the expense account.
        amount: the amount (``str``, ``int`` or ``Decimal``; never ``float``).
        payee: who is to be paid.
        purpose: what the money is for.
        on: the day of the request (default: today in the county).
        key: an idempotency key: the same request with the same key is made once.
    """

    account: str
    amount: object
    payee: str
    purpose: str
    on: dt.date | None = None
    key: str | None = None


@attrs.frozen
class Payment:
    """The payment of an approved disbursement (支付), for :meth:`FundsService.pay_many`.

    Attributes:
        disbursement_id: the disbursement.
        voucher: the voucher reference (凭证号).
        on: the payment date (default: today in the county).
        from_account: the asset account paid from.
    """

    disbursement_id: int
    voucher: str
    on: dt.date | None = None
    from_account: str = "1002"


class FundsService(Service):
    """Community funds: the ledger, budgets, disbursements, reports and disclosure.

    Reached as ``gov.funds``. Amounts go in as ``str``, ``int`` or ``Decimal`` (never
    ``float``) and come out as ``Decimal`` CNY to the fen.
    """

    def __init__(self, gov: Any) -> None:
        super().__init__(gov)
        self._charts: dict[str, dict[str, Account]] = {}

    # ------------------------------------------------------------------ chart of accounts

    def chart(self, community_code: str) -> list[Account]:
        """The community's chart of accounts (from the ``cgov_funds_accounts`` hook), by code."""
        return list(self._chart(community_code).values())

    def annual_allocation(self, community_code: str, year: int) -> dict[str, Decimal]:
        """The county's standard yearly amounts per income account (from a hook).

        Raises:
            PluginError: a plugin answered an account that is not an income account of the
                community's chart, or an amount that is not positive money.
        """
        check = allocation_check(self._chart(community_code))
        return self._hooks.first("cgov_funds_annual_allocation", check,
                                 community_code=community_code, year=year)

    def _chart(self, community: str) -> dict[str, Account]:
        got = self._charts.get(community)
        if got is not None:
            return got
        answers = self._hooks.all("cgov_funds_accounts", expect_each(expect_type(Account)),
                                  community_code=community)
        accounts = [a for _, ans in answers for a in ans]
        problems = check_chart(accounts)
        if problems:
            raise PluginError(",".join(n for n, _ in answers), "cgov_funds_accounts",
                              "; ".join(v.message for v in problems))
        chart = {a.code: a for a in sorted(accounts, key=lambda a: a.code)}
        self._charts[community] = chart
        return chart

    def _account(self, community: str, code: str, path: str = "account",
                 kind: AccountType | None = None) -> Account:
        acc = self._chart(community).get(code)
        if acc is None:
            raise ValidationError(
                f"account {code!r} is not in the chart of accounts of {community}; use one of "
                f"{sorted(self._chart(community))}", path=path)
        if kind is not None and acc.type is not kind:
            raise ValidationError(
                f"account {code} ({acc.name}) is a {acc.type.value} account; this needs a "
                f"{kind.value} ({kind.chinese}) account", path=path)
        return acc

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _target(community: str) -> Target:
        return Target("funds", community, unit_code=community)

    @staticmethod
    def _require_community(op: Operation, community: str) -> None:
        kind = op.uow.conn.execute(_Q_UNIT_KIND, {"code": community}).scalar_one_or_none()
        if kind != UnitKind.COMMUNITY.value:
            raise NotFound("community", community, "funds are kept per community (12 digits)")

    @staticmethod
    def _lock(op: Operation, community: str) -> None:
        conn = op.uow.conn
        if conn.execute(_Q_LOCK, {"community": community}).first() is None:
            dialect = conn.dialect.name
            stmt: Any
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as pg_insert

                stmt = pg_insert(f.funds_locks).values(community_code=community)
                stmt = stmt.on_conflict_do_nothing()
            elif dialect == "sqlite":
                from sqlalchemy.dialects.sqlite import insert as sqlite_insert

                stmt = sqlite_insert(f.funds_locks).values(community_code=community)
                stmt = stmt.on_conflict_do_nothing()
            else:  # pragma: no cover - third-party dialects
                stmt = f.funds_locks.insert().values(community_code=community)
            conn.execute(stmt)
            conn.execute(_Q_LOCK, {"community": community})

    @staticmethod
    def _closed(op: Operation, community: str, year: int) -> bool:
        return op.uow.conn.execute(
            _Q_CLOSED, {"community": community, "year": year}).first() is not None

    def _require_open_year(self, op: Operation, community: str, day: dt.date) -> None:
        if self._closed(op, community, day.year):
            raise ConflictError(
                f"the books of {community} for {day.year} are closed (已结账); date the "
                f"correction in {day.year + 1} or later")

    @staticmethod
    def _spent_fen(conn: sa.Connection, community: str, account: str, year: int) -> int:
        return int(conn.execute(_Q_SPENT, {
            "community": community, "account": account, "first": dt.date(year, 1, 1),
            "last": dt.date(year, 12, 31)}).scalar_one())

    @staticmethod
    def _balance_fen(conn: sa.Connection, community: str, account: str) -> int:
        return int(conn.execute(_Q_BALANCE, {"community": community,
                                             "account": account}).scalar_one())

    @staticmethod
    def _budget_fen(conn: sa.Connection, community: str, account: str, year: int) -> int | None:
        got = conn.execute(_Q_BUDGET, {"community": community, "account": account,
                                       "year": year}).scalar_one_or_none()
        return None if got is None else int(got)

    def _check_budgets(self, op: Operation, community: str, day: dt.date,
                       postings: Sequence[Posting], *, allow_over: bool = False) -> None:
        chart = self._chart(community)
        net: dict[str, int] = defaultdict(int)
        for p in postings:
            acc = chart.get(p.account)
            if acc is not None and acc.type is AccountType.EXPENSE:
                net[p.account] += to_fen(p.amount)
        conn = op.uow.conn
        for account, amount in sorted(net.items()):
            if amount <= 0 or allow_over:
                continue
            budget = self._budget_fen(conn, community, account, day.year)
            if budget is None:
                continue
            spent = self._spent_fen(conn, community, account, day.year)
            problems = check_budget(from_fen(budget), from_fen(spent), from_fen(amount))
            if problems:
                raise InsufficientBalance(
                    f"account {account} ({chart[account].name}) of {community} in "
                    f"{day.year}: {problems[0].message}; raise the budget or request a "
                    "disbursement the county's over-budget rule allows")

    # ------------------------------------------------------------------ reading transactions

    def _load(self, conn: sa.Connection, where: Any,
              order: bool = True) -> list[Transaction]:
        tx, p = f.funds_transactions, f.funds_postings
        q = sa.select(tx).where(where)
        if order:
            q = q.order_by(tx.c.date, tx.c.id)
        heads = conn.execute(q).all()
        if not heads:
            return []
        ids = [h.id for h in heads]
        lines: dict[int, list[Posting]] = defaultdict(list)
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            for r in conn.execute(sa.select(p.c.transaction_id, p.c.account, p.c.amount_fen)
                                  .where(p.c.transaction_id.in_(chunk))
                                  .order_by(p.c.transaction_id, p.c.line)):
                lines[r.transaction_id].append(Posting(r.account, from_fen(int(r.amount_fen))))
        return [Transaction(
            id=h.id, community_code=h.community_code, date=h.date, channel=Channel(h.channel),
            voucher=h.voucher, memo=h.memo, postings=tuple(lines[h.id]),
            kind=TransactionKind(h.kind), counterparty=h.counterparty,
            counterparty_public=bool(h.counterparty_public), reverses=h.reverses,
            idempotency_key=h.idempotency_key, posted_at=h.posted_at, posted_by=h.posted_by,
        ) for h in heads]

    def _by_key(self, key: str, fingerprint: str) -> Transaction | None:
        with self._gov.store.unit_of_work(write=False) as uow:
            got = self._load(uow.conn, f.funds_transactions.c.idempotency_key == key)
            fp = uow.conn.execute(sa.select(f.funds_transactions.c.fingerprint).where(
                f.funds_transactions.c.idempotency_key == key)).scalar_one_or_none()
        if not got:
            return None
        if fp != fingerprint:
            raise IdempotencyConflict(
                f"idempotency key {key!r} was used for a different transaction "
                f"(#{got[0].id}); use a new key for a new transaction")
        return got[0]

    def _replay(self, op: Operation, key: str | None, fingerprint: str) -> Transaction | None:
        if key is None:
            return None
        tx = f.funds_transactions
        row = op.uow.conn.execute(_Q_KEY, {"key": key}).first()
        if row is None:
            return None
        if row.fingerprint != fingerprint:
            raise IdempotencyConflict(
                f"idempotency key {key!r} was used for a different transaction (#{row.id}); "
                "use a new key for a new transaction")
        op.detail["replayed"] = row.id
        return self._load(op.uow.conn, tx.c.id == row.id)[0]

    # ------------------------------------------------------------------ posting

    def post(
        self, actor: Actor, community_code: str, postings: Iterable[Posting], *,
        channel: Channel | str, voucher: str, on: dt.date | None = None, memo: str = "",
        counterparty: str | None = None, donor_consent: bool = False, key: str | None = None,
    ) -> Transaction:
        """Post a balanced transaction (记账) to a community's books.

        Args:
            actor: who posts (a community bookkeeper, the sub-district, or a system job).
            community_code: the community.
            postings: the lines, built with :func:`~community_governance.domain.funds.debit`
                and :func:`~community_governance.domain.funds.credit`.
            channel: where the money came from (``internal`` for spending and transfers).
            voucher: the voucher reference (凭证号).
            on: the accounting date (default: today in the county).
            memo: an internal note (not disclosed).
            counterparty: who paid or was paid (a partner unit, an enterprise, a donor...).
            donor_consent: for an individual donor, whether they agreed to be named in public.
            key: an idempotency key: the same request with the same key posts once.

        Returns:
            The posted transaction.

        Raises:
            UnbalancedTransaction: debits and credits differ.
            ValidationError: a float or negative amount, an unknown account, a bad channel...
            InsufficientBalance: an expense would exceed its account's budget for the year.
            ConflictError: the year is closed; ``IdempotencyConflict`` when ``key`` was used
                for a different transaction.
            PermissionDenied: the actor may not post to this community's books.
        """
        lines = list(postings)
        fp = _fingerprint("post", community_code, str(on), str(channel), voucher, memo,
                          counterparty, donor_consent,
                          [(p.account, str(p.amount)) if isinstance(p, Posting) else repr(p)
                           for p in lines])
        try:
            with self._write(actor, "funds.post") as op:
                return self._post(op, community_code, lines, channel=channel, voucher=voucher,
                                  on=on, memo=memo, counterparty=counterparty,
                                  public=bool(donor_consent),
                                  key=key, fingerprint=fp, kind=TransactionKind.ORDINARY)
        except IntegrityError as exc:
            if key is not None:
                got = self._by_key(key, fp)
                if got is not None:
                    return got
            raise ConflictError(f"the transaction could not be written: {exc.orig}") from exc

    def post_many(self, actor: Actor, community_code: str,
                  transactions: Iterable[NewTransaction]) -> list[Transaction]:
        """Post many balanced transactions to one community's books in one transaction.

        Each transaction gets exactly the checks of :meth:`post` (balance, accounts, amounts,
        channel, the open year, the budgets, including those of the transactions before it in
        the batch), and its idempotency key is honoured the same way: a transaction whose key
        was posted already (by :meth:`post` or an earlier batch) is not posted again, and the
        posted one is returned in its place. All or nothing; the batch is audited once, with
        every transaction it wrote.

        Args:
            actor: who posts (a community bookkeeper, the sub-district, or a system job).
            community_code: the community.
            transactions: the transactions, in posting order.

        Returns:
            The posted (or replayed) transactions, in the order given.

        Raises:
            UnbalancedTransaction: debits and credits of one differ.
            ValidationError: a float or negative amount, an unknown account, a bad channel...
            InsufficientBalance: an expense would exceed its account's budget for the year.
            ConflictError: the year is closed; ``IdempotencyConflict`` when a key was used
                for a different transaction.
            PermissionDenied: the actor may not post to this community's books.
        """
        batch = list(transactions)
        for i, item in enumerate(batch):
            if not isinstance(item, NewTransaction):
                raise ValidationError(f"expected a NewTransaction, got {type(item).__name__}",
                                      path=f"transactions[{i}]")
        prints = [item.fingerprint(community_code) for item in batch]
        for attempt in (1, 2):
            try:
                with self._write(actor, "funds.post_many") as op:
                    out = [self._post(op, community_code, list(item.postings),
                                      channel=item.channel, voucher=item.voucher, on=item.on,
                                      memo=item.memo, counterparty=item.counterparty,
                                      public=bool(item.donor_consent), key=item.key,
                                      fingerprint=fp, kind=TransactionKind.ORDINARY)
                           for item, fp in zip(batch, prints, strict=True)]
                    op.detail.pop("replayed", None)
                    op.detail.update({"community": community_code, "transactions": len(out),
                                      "total": str(sum((x.total for x in out), _ZERO))})
                    return out
            except IntegrityError as exc:
                # a concurrent writer posted one of the keys: replay the batch once (its
                # keys now replay); anything else is a conflict
                if attempt == 2 or not any(item.key for item in batch):
                    raise ConflictError(
                        f"the transactions could not be written: {exc.orig}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _post(
        self, op: Operation, community: str, lines: list[Posting], *, channel: Channel | str,
        voucher: str, on: dt.date | None, memo: str, counterparty: str | None,
        public: bool | None, key: str | None, fingerprint: str, kind: TransactionKind,
        reverses: int | None = None, budget_checked: bool = False,
    ) -> Transaction:
        try:
            chan = Channel(channel)
        except ValueError:
            raise ValidationError(
                f"channel {channel!r} is not one of {[c.value for c in Channel]}",
                path="channel") from None
        voucher = _text(voucher, "voucher", limit=80)
        memo = _text(memo, "memo", required=False, limit=2000)
        party = _text(counterparty, "counterparty", required=False) or None
        if key is not None:
            key = _text(key, "key", limit=120)
        op.require(FUNDS_POST, self._target(community))
        self._require_community(op, community)
        _raise(check_postings(lines, self._chart(community)))
        day = _date(on, op.today)
        self._lock(op, community)
        self._require_open_year(op, community, day)
        replay = self._replay(op, key, fingerprint)
        if replay is not None:
            return replay
        if not budget_checked:
            self._check_budgets(op, community, day, lines)
        # organisations are named in public; a person (a donor, a service user) only with
        # consent
        shown = bool(public) if chan.may_be_person else party is not None
        return self._insert(op, community, day, chan, kind, voucher, memo, party, shown,
                            lines, key, fingerprint, reverses)

    def _insert(
        self, op: Operation, community: str, day: dt.date, channel: Channel,
        kind: TransactionKind, voucher: str, memo: str, party: str | None, public: bool,
        lines: Sequence[Posting], key: str | None, fingerprint: str, reverses: int | None,
    ) -> Transaction:
        conn = op.uow.conn
        res = conn.execute(f.funds_transactions.insert(), {
            "community_code": community, "date": day, "channel": channel.value,
            "kind": kind.value, "voucher": voucher, "memo": memo, "counterparty": party,
            "counterparty_public": public, "reverses": reverses, "idempotency_key": key,
            "fingerprint": fingerprint, "posted_at": op.now, "posted_by": str(op.actor)})
        tid = _new_id(res)
        conn.execute(f.funds_postings.insert(), [
            {"transaction_id": tid, "line": i, "community_code": community, "date": day,
             "account": p.account, "amount_fen": to_fen(p.amount)}
            for i, p in enumerate(lines)])
        op.touch("transaction", tid)
        op.detail.update({"community": community, "total": str(
            sum((p.debit for p in lines), _ZERO))})
        return Transaction(
            id=tid, community_code=community, date=day, channel=channel, voucher=voucher,
            memo=memo, postings=tuple(lines), kind=kind, counterparty=party,
            counterparty_public=public, reverses=reverses, idempotency_key=key,
            posted_at=op.now, posted_by=str(op.actor))

    def reverse(
        self, actor: Actor, transaction_id: int, *, voucher: str, on: dt.date | None = None,
        memo: str = "", key: str | None = None,
    ) -> Transaction:
        """Correct a posted transaction with a reversing one (红字冲销); nothing is edited.

        The reversal has the original's lines with opposite signs, its channel and
        counterparty, and names it in ``reverses``. A transaction is reversed at most once;
        reversals and year-end closings are not reversed.

        Raises:
            NotFound: no such transaction.
            ConflictError: it was reversed already, it is a reversal or a closing, or the
                reversal's year is closed.
        """
        fp = _fingerprint("reverse", transaction_id, str(on), voucher, memo)
        try:
            with self._write(actor, "funds.reverse") as op:
                found = self._load(op.uow.conn, f.funds_transactions.c.id == transaction_id)
                if not found:
                    raise NotFound("transaction", transaction_id)
                orig = found[0]
                op.require(FUNDS_POST, self._target(orig.community_code))
                self._lock(op, orig.community_code)
                replay = self._replay(op, key, fp)
                if replay is not None:
                    return replay
                if orig.kind in (TransactionKind.REVERSAL, TransactionKind.CLOSING):
                    raise ConflictError(
                        f"transaction #{orig.id} is a {orig.kind.value}; it is not reversed "
                        "(post a new transaction instead)")
                done = op.uow.conn.execute(sa.select(f.funds_transactions.c.id).where(
                    f.funds_transactions.c.reverses == orig.id)).scalar_one_or_none()
                if done is not None:
                    raise ConflictError(f"transaction #{orig.id} was reversed already by "
                                        f"#{done}")
                day = _date(on, max(op.today, orig.date))
                if day < orig.date:
                    raise ValidationError(
                        f"a reversal cannot be dated ({day}) before the transaction it "
                        f"reverses ({orig.date})", path="on")
                lines = [Posting(p.account, -p.amount) for p in orig.postings]
                return self._post(
                    op, orig.community_code, lines, channel=orig.channel, voucher=voucher,
                    on=day, memo=memo or f"冲销 #{orig.id}", counterparty=orig.counterparty,
                    public=orig.counterparty_public, key=key, fingerprint=fp,
                    kind=TransactionKind.REVERSAL, reverses=orig.id)
        except IntegrityError:
            if key is not None:
                got = self._by_key(key, fp)
                if got is not None:
                    return got
            raise ConflictError(f"transaction #{transaction_id} was reversed concurrently"
                                ) from None

    def record_in_kind(
        self, actor: Actor, community_code: str, items: Iterable[InKindItem], *, donor: str,
        voucher: str, channel: Channel | str = Channel.PARTNER_UNIT, on: dt.date | None = None,
        donor_consent: bool = False, key: str | None = None, asset_account: str = "1501",
        income_account: str = "4501",
    ) -> Transaction:
        """Record support in kind (实物捐赠), e.g. computers and desks, at estimated value.

        Posts debit ``asset_account`` (实物资产), credit ``income_account`` (实物捐赠收入)
        for the total estimate and keeps the items beside the transaction.

        Returns:
            The transaction.
        """
        things = list(items)
        if not things or not all(isinstance(i, InKindItem) for i in things):
            raise ValidationError("record at least one InKindItem", path="items")
        total = sum((i.value for i in things), _ZERO)
        fp = _fingerprint("in_kind", community_code, str(on), str(channel), voucher, donor,
                          donor_consent, [(i.description, i.quantity, str(i.unit_value))
                                          for i in things], asset_account, income_account)
        try:
            with self._write(actor, "funds.record_in_kind") as op:
                self._account(community_code, asset_account, "asset_account",
                              AccountType.ASSET)
                self._account(community_code, income_account, "income_account",
                              AccountType.INCOME)
                for i, item in enumerate(things):
                    _text(item.description, f"items[{i}].description")
                lines = [Posting(asset_account, total), Posting(income_account, -total)]
                tx = self._post(op, community_code, lines, channel=channel, voucher=voucher,
                                on=on, memo="实物捐赠: " + "、".join(
                                    f"{i.description}×{i.quantity}" for i in things),
                                counterparty=donor, public=donor_consent, key=key,
                                fingerprint=fp, kind=TransactionKind.IN_KIND)
                if op.detail.get("replayed") is None:
                    op.uow.conn.execute(f.funds_in_kind.insert(), [
                        {"transaction_id": tx.id, "community_code": community_code,
                         "description": i.description.strip(), "quantity": i.quantity,
                         "unit_value_fen": to_fen(i.unit_value), "value_fen": to_fen(i.value)}
                        for i in things])
                return tx
        except IntegrityError as exc:
            if key is not None:
                got = self._by_key(key, fp)
                if got is not None:
                    return got
            raise ConflictError(f"the transaction could not be written: {exc.orig}") from exc

    def in_kind_items(self, actor: Actor, community_code: str, *, start: dt.date | None = None,
                      end: dt.date | None = None) -> list[tuple[Transaction, InKindItem]]:
        """Support in kind received, with the transaction that recorded each item."""
        with self._read(actor, "funds.in_kind_items") as op:
            op.require(FUNDS_READ, self._target(community_code))
            return self._in_kind(op.uow.conn, community_code, start, end)

    def _in_kind(self, conn: sa.Connection, community: str, start: dt.date | None,
                 end: dt.date | None) -> list[tuple[Transaction, InKindItem]]:
        tx = f.funds_transactions
        cond = [tx.c.community_code == community, tx.c.kind == TransactionKind.IN_KIND.value]
        if start:
            cond.append(tx.c.date >= start)
        if end:
            cond.append(tx.c.date <= end)
        txs = {x.id: x for x in self._load(conn, sa.and_(*cond))}
        if not txs:
            return []
        rows = conn.execute(sa.select(f.funds_in_kind).where(
            f.funds_in_kind.c.transaction_id.in_(list(txs))).order_by(f.funds_in_kind.c.id))
        return [(txs[r.transaction_id],
                 InKindItem(r.description, r.quantity, from_fen(int(r.unit_value_fen))))
                for r in rows]

    # ------------------------------------------------------------------ reading the books

    def transaction(self, actor: Actor, transaction_id: int) -> Transaction:
        """One transaction with its postings."""
        with self._read(actor, "funds.transaction") as op:
            got = self._load(op.uow.conn, f.funds_transactions.c.id == transaction_id)
            if not got or not op.allowed(FUNDS_READ, self._target(got[0].community_code)):
                raise NotFound("transaction", transaction_id)
            return got[0]

    def transactions(self, actor: Actor, community_code: str, *, start: dt.date | None = None,
                     end: dt.date | None = None) -> list[Transaction]:
        """A community's transactions between two days (inclusive), by date and number."""
        with self._read(actor, "funds.transactions") as op:
            op.require(FUNDS_READ, self._target(community_code))
            tx = f.funds_transactions
            cond = [tx.c.community_code == community_code]
            if start:
                cond.append(tx.c.date >= start)
            if end:
                cond.append(tx.c.date <= end)
            return self._load(op.uow.conn, sa.and_(*cond))

    def balances(self, actor: Actor, community_code: str, *,
                 as_of: dt.date | None = None) -> dict[str, Decimal]:
        """Every account's balance (debits minus credits) up to ``as_of`` (inclusive)."""
        with self._read(actor, "funds.balances") as op:
            op.require(FUNDS_READ, self._target(community_code))
            return self._balances(op.uow.conn, community_code, as_of)

    @staticmethod
    def _balances(conn: sa.Connection, community: str, as_of: dt.date | None
                  ) -> dict[str, Decimal]:
        p = f.funds_postings
        q = (sa.select(p.c.account, sa.func.sum(p.c.amount_fen))
             .where(p.c.community_code == community).group_by(p.c.account))
        if as_of is not None:
            q = q.where(p.c.date <= as_of)
        return {a: from_fen(int(s)) for a, s in sorted(conn.execute(q).all())}

    def trial_balance(self, actor: Actor, community_code: str | None = None, *,
                      as_of: dt.date | None = None) -> TrialBalance:
        """The trial balance (试算平衡表) of a community, or of all communities in scope.

        Its balances sum to zero: debits equal credits.
        """
        with self._read(actor, "funds.trial_balance") as op:
            p = f.funds_postings
            debit_sum = sa.func.sum(sa.case((p.c.amount_fen > 0, p.c.amount_fen), else_=0))
            credit_sum = sa.func.sum(sa.case((p.c.amount_fen < 0, -p.c.amount_fen), else_=0))
            q = sa.select(p.c.community_code, p.c.account, debit_sum, credit_sum).group_by(
                p.c.community_code, p.c.account)
            if community_code is not None:
                op.require(FUNDS_READ, self._target(community_code))
                q = q.where(p.c.community_code == community_code)
            else:
                q = q.where(scope_clause(op.scope(FUNDS_READ), unit=p.c.community_code))
            if as_of is not None:
                q = q.where(p.c.date <= as_of)
            acc: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            names: dict[str, Account] = {}
            for c, a, d, cr in op.uow.conn.execute(q):
                acc[a][0] += int(d)
                acc[a][1] += int(cr)
                if a not in names and a in self._chart(c):
                    names[a] = self._chart(c)[a]
            rows = []
            for a in sorted(acc):
                d, cr = acc[a]
                known = names.get(a)
                rows.append(TrialBalanceRow(
                    a, known.name if known else a,
                    known.type if known else AccountType.ASSET,
                    from_fen(d), from_fen(cr), from_fen(d - cr)))
            return TrialBalance(community_code, as_of, tuple(rows))

    # ------------------------------------------------------------------ budgets

    def set_budget(self, actor: Actor, community_code: str, account: str, year: int,
                   amount: object) -> Budget:
        """Set (or change) the budget (预算) of an expense account for a year.

        Raises:
            ValidationError: not an expense account, a negative or float amount, or a budget
                below what the account has spent already.
        """
        value = to_money(amount)
        if value < 0:
            raise ValidationError(f"a budget cannot be negative ({value})", path="amount")
        if isinstance(year, bool) or not isinstance(year, int) or not 1949 < year < 3000:
            raise ValidationError(f"year {year!r} must be a calendar year", path="year")
        with self._write(actor, "funds.set_budget") as op:
            op.require(FUNDS_BUDGET, self._target(community_code))
            self._require_community(op, community_code)
            self._account(community_code, account, "account", AccountType.EXPENSE)
            self._lock(op, community_code)
            conn = op.uow.conn
            spent = self._spent_fen(conn, community_code, account, year)
            if to_fen(value) < spent:
                raise ValidationError(
                    f"account {account} spent {format_cny(from_fen(spent))} in {year} already; "
                    f"a budget of {format_cny(value)} would be below that", path="amount")
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
            op.detail.update({"old": None if old is None else str(from_fen(old)),
                              "new": str(value)})
            return Budget(community_code, account, year, value, from_fen(spent))

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
        d = conn.execute(_Q_DISBURSEMENT, {"did": did}).first()
        if d is None:
            raise NotFound("disbursement", did)
        apps = conn.execute(_Q_APPROVALS, {"did": did}).all()
        return Disbursement(
            id=d.id, community_code=d.community_code, account=d.account,
            amount=from_fen(int(d.amount_fen)), payee=d.payee, purpose=d.purpose,
            state=DisbursementState(d.state),
            required_roles=tuple(PostKind(r) for r in d.required_roles.split(",") if r),
            approvals=tuple(Approval(PostKind(a.role), a.approver, a.at) for a in apps),
            requested_by=d.requested_by, requested_on=d.requested_on,
            over_budget=bool(d.over_budget), transaction_id=d.transaction_id,
            reason=d.reason, idempotency_key=d.idempotency_key)

    def request(
        self, actor: Actor, community_code: str, account: str, amount: object, *, payee: str,
        purpose: str, on: dt.date | None = None, key: str | None = None,
    ) -> Disbursement:
        """Request a disbursement (支出申请) from an expense account.

        The approvals it needs come from the ``cgov_funds_required_approvals`` hook; when the
        account's spending and open requests with this one would exceed its budget for the
        year, the ``cgov_funds_over_budget`` hook refuses it (the national default) or names
        further approvals.

        Raises:
            ValidationError: a bad amount, account, payee or purpose.
            InsufficientBalance: the budget would be exceeded and the rules refuse it.
            IdempotencyConflict: ``key`` was used for a different request.
        """
        value = positive_money(amount)
        fp = _fingerprint("request", community_code, account, str(value), payee, purpose,
                          str(on))
        try:
            with self._write(actor, "funds.request") as op:
                return self._request(op, community_code, account, value, payee, purpose, on,
                                     key, fp)
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
                 fp: str) -> Disbursement:
        payee = _text(payee, "payee")
        purpose = _text(purpose, "purpose", limit=2000)
        if key is not None:
            key = _text(key, "key", limit=120)
        op.require(FUNDS_REQUEST, self._target(community))
        self._require_community(op, community)
        self._account(community, account, "account", AccountType.EXPENSE)
        day = _date(on, op.today)
        roles = self._hooks.first("cgov_funds_required_approvals", _check_roles,
                                  community_code=community, account=account, amount=value)
        self._lock(op, community)
        conn = op.uow.conn
        d = f.funds_disbursements
        if key is not None:
            row = conn.execute(sa.select(d.c.id, d.c.fingerprint).where(
                d.c.idempotency_key == key)).first()
            if row is not None:
                if row.fingerprint != fp:
                    raise IdempotencyConflict(
                        f"idempotency key {key!r} was used for a different request "
                        f"(#{row.id}); use a new key for a new request")
                op.detail["replayed"] = row.id
                return self._load_disbursement(conn, row.id)
        over = False
        budget = self._budget_fen(conn, community, account, day.year)
        if budget is not None:
            committed = self._spent_fen(conn, community, account, day.year) + int(
                conn.execute(sa.select(sa.func.coalesce(sa.func.sum(d.c.amount_fen), 0)).where(
                    d.c.community_code == community, d.c.account == account,
                    d.c.state.in_(_OPEN_STATES),
                    d.c.requested_on >= dt.date(day.year, 1, 1),
                    d.c.requested_on <= dt.date(day.year, 12, 31))).scalar_one())
            if committed + to_fen(value) > budget:
                extra = self._hooks.first(
                    "cgov_funds_over_budget", _check_over_budget, community_code=community,
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
        state = DisbursementState.REQUESTED if roles else DisbursementState.APPROVED
        res = conn.execute(d.insert().values(
            community_code=community, account=account, amount_fen=to_fen(value), payee=payee,
            purpose=purpose, state=state.value, required_roles=",".join(r.value for r in roles),
            over_budget=over, requested_by=str(op.actor), requested_on=day,
            requested_at=op.now, idempotency_key=key, fingerprint=fp))
        did = _new_id(res)
        op.touch("disbursement", did)
        op.detail.update({"amount": str(value), "roles": [r.value for r in roles]})
        return self._load_disbursement(conn, did)

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
        d0 = self._load_disbursement(op.uow.conn, disbursement_id)
        self._lock(op, d0.community_code)
        d = self._load_disbursement(op.uow.conn, disbursement_id)
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
            d = self._load_disbursement(op.uow.conn, disbursement_id)
            self._lock(op, d.community_code)
            d = self._load_disbursement(op.uow.conn, disbursement_id)
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
        d = self._load_disbursement(op.uow.conn, disbursement_id)
        op.require(FUNDS_PAY, self._target(d.community_code))
        self._lock(op, d.community_code)
        d = self._load_disbursement(op.uow.conn, disbursement_id)
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
        return self._load_disbursement(conn, d.id)

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
        for attempt in (1, 2):
            try:
                with self._write(actor, "funds.request_many") as op:
                    out = [self._request(op, community_code, r.account, value, r.payee,
                                         r.purpose, r.on, r.key, fp)
                           for r, value, fp in zip(batch, values, prints, strict=True)]
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
                    out = [self._pay_in(op, pmt.disbursement_id, voucher, pmt.on,
                                        pmt.from_account)
                           for pmt, voucher in zip(batch, vouchers, strict=True)]
                    op.detail.pop("replayed", None)
                    op.detail["paid"] = len(out)
                    return out
            except IntegrityError as exc:  # a concurrent payment won: the retry replays it
                if attempt == 2:
                    raise ConflictError(f"the payments could not be written: {exc.orig}; "
                                        "read the disbursements again") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def disbursement(self, actor: Actor, disbursement_id: int) -> Disbursement:
        """One disbursement with its approvals."""
        with self._read(actor, "funds.disbursement") as op:
            d = self._load_disbursement(op.uow.conn, disbursement_id)
            if not op.allowed(FUNDS_READ, self._target(d.community_code)):
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

    # ------------------------------------------------------------------ year end

    def close_year(self, actor: Actor, community_code: str, year: int) -> Transaction | None:
        """Close a year's books (年终结账) and carry the result forward (结转).

        Posts, dated 31 December, one closing transaction that brings every income and expense
        account of the year to zero against its fund's net-asset account (办公经费结余,
        关爱基金结余, ...). Afterwards nothing can be posted with a date in that year. Closing
        a closed year returns its closing transaction.

        Returns:
            The closing transaction, or ``None`` when the year had no income or expense.
        """
        with self._write(actor, "funds.close_year") as op:
            op.require(FUNDS_CLOSE, self._target(community_code))
            self._require_community(op, community_code)
            self._lock(op, community_code)
            conn = op.uow.conn
            row = conn.execute(sa.select(f.funds_closings).where(
                f.funds_closings.c.community_code == community_code,
                f.funds_closings.c.year == year)).first()
            if row is not None:
                op.detail["replayed"] = year
                if row.transaction_id is None:
                    return None
                return self._load(conn, f.funds_transactions.c.id == row.transaction_id)[0]
            first = conn.execute(sa.select(sa.func.min(f.funds_postings.c.date)).where(
                f.funds_postings.c.community_code == community_code,
                f.funds_postings.c.date < dt.date(year, 1, 1))).scalar_one_or_none()
            if first is not None:
                for y in range(first.year, year):
                    if not self._closed(op, community_code, y) and conn.execute(
                            sa.select(f.funds_postings.c.id).where(
                                f.funds_postings.c.community_code == community_code,
                                f.funds_postings.c.date >= dt.date(y, 1, 1),
                                f.funds_postings.c.date <= dt.date(y, 12, 31)).limit(1)
                    ).first() is not None:
                        raise ConflictError(f"close {y} of {community_code} before {year}")
            chart = self._chart(community_code)
            p = f.funds_postings
            sums = conn.execute(
                sa.select(p.c.account, sa.func.sum(p.c.amount_fen))
                .where(p.c.community_code == community_code,
                       p.c.date >= dt.date(year, 1, 1), p.c.date <= dt.date(year, 12, 31))
                .group_by(p.c.account)).all()
            funds_of = {a.fund: a.code for a in chart.values()
                        if a.type is AccountType.NET_ASSETS}
            fallback = funds_of.get("general") or min(funds_of.values())
            lines: list[Posting] = []
            into: dict[str, int] = defaultdict(int)
            for account, s in sorted(sums):
                acc = chart.get(account)
                amount = int(s)
                if acc is None or not acc.type.temporary or amount == 0:
                    continue
                lines.append(Posting(account, from_fen(-amount)))
                into[funds_of.get(acc.fund, fallback)] += amount
            lines += [Posting(a, from_fen(v)) for a, v in sorted(into.items()) if v != 0]
            tx: Transaction | None = None
            if lines:
                _raise(check_postings(lines, chart))
                tx = self._insert(
                    op, community_code, dt.date(year, 12, 31), Channel.INTERNAL,
                    TransactionKind.CLOSING, f"结账-{year}", f"{year}年度结转", None, False,
                    lines, f"close:{community_code}:{year}",
                    _fingerprint("close", community_code, year), None)
            conn.execute(f.funds_closings.insert().values(
                community_code=community_code, year=year,
                transaction_id=tx.id if tx else None, closed_at=op.now,
                closed_by=str(op.actor)))
            op.touch("closing", f"{community_code}/{year}")
            return tx

    def carry_forward(self, actor: Actor, community_code: str, year: int
                      ) -> dict[str, Decimal]:
        """The balances carried into ``year + 1`` (结转下年): every asset, liability and
        net-asset account at the end of a closed ``year``.

        Raises:
            ConflictError: the year is not closed yet.
        """
        with self._read(actor, "funds.carry_forward") as op:
            op.require(FUNDS_READ, self._target(community_code))
            if not self._closed(op, community_code, year):
                raise ConflictError(f"{year} of {community_code} is not closed; close it "
                                    "with close_year first")
            chart = self._chart(community_code)
            bal = self._balances(op.uow.conn, community_code, dt.date(year, 12, 31))
            return {a: v for a, v in bal.items()
                    if v != 0 and not (a in chart and chart[a].type.temporary)}

    # ------------------------------------------------------------------ reports

    def years(self, actor: Actor) -> list[int]:
        """The years with postings in the books the actor may read, oldest first."""
        with self._read(actor, "funds.years") as op:
            p = f.funds_postings
            dates = op.uow.conn.execute(
                sa.select(sa.func.min(p.c.date), sa.func.max(p.c.date)).where(
                    scope_clause(op.scope(FUNDS_READ), unit=p.c.community_code))).one()
            if dates[0] is None:
                return []
            return [y for y in range(dates[0].year, dates[1].year + 1)
                    if op.uow.conn.execute(sa.select(p.c.id).where(
                        p.c.date >= dt.date(y, 1, 1), p.c.date <= dt.date(y, 12, 31),
                        scope_clause(op.scope(FUNDS_READ), unit=p.c.community_code)
                    ).limit(1)).first() is not None]

    def funding_mix(self, actor: Actor, year: int, community_code: str | None = None
                    ) -> list[FundingMix]:
        """Income by channel per community for a year, and the share of the largest channel
        (the study's single-source problem as a number)."""
        with self._read(actor, "funds.funding_mix") as op:
            p, tx = f.funds_postings, f.funds_transactions
            q = (sa.select(p.c.community_code, p.c.account, tx.c.channel,
                           sa.func.sum(p.c.amount_fen))
                 .select_from(p.join(tx, tx.c.id == p.c.transaction_id))
                 .where(p.c.date >= dt.date(year, 1, 1), p.c.date <= dt.date(year, 12, 31),
                        tx.c.kind != TransactionKind.CLOSING.value)
                 .group_by(p.c.community_code, p.c.account, tx.c.channel))
            if community_code is not None:
                op.require(FUNDS_READ, self._target(community_code))
                q = q.where(p.c.community_code == community_code)
            else:
                q = q.where(scope_clause(op.scope(FUNDS_READ), unit=p.c.community_code))
            by: dict[str, dict[Channel, int]] = defaultdict(lambda: defaultdict(int))
            for c, account, channel, s in op.uow.conn.execute(q):
                acc = self._chart(c).get(account)
                if acc is not None and acc.type is AccountType.INCOME:
                    by[c][Channel(channel)] -= int(s)
            if community_code is not None:
                by.setdefault(community_code, defaultdict(int))
            return [mix_of(c, year, by[c]) for c in sorted(by)]

    def disclosure(self, community_code: str, quarter: str | tuple[int, int], *,
                   actor: Actor | None = None) -> Disclosure:
        """The quarterly financial disclosure (财务公开) of a community.

        Anyone may read it (``Actor.public()`` is the default): it holds income by channel,
        spending by account, budget use, balances, large items and support in kind, each
        figure with the transactions it sums. Individual donors are named only with their
        consent; no resident's personal data appears. Render it with
        :func:`community_governance.io.disclosure.render_html`, ``render_csv`` or
        ``render_json``.

        Args:
            community_code: the community.
            quarter: ``"2019Q2"`` or ``(2019, 2)``.
            actor: who reads (default: the public).
        """
        from community_governance.io.disclosure import build_disclosure

        year, q = parse_quarter(quarter) if isinstance(quarter, str) else quarter
        with self._read(actor or Actor.public(), "funds.disclosure") as op:
            op.require(FUNDS_DISCLOSE, self._target(community_code))
            conn = op.uow.conn
            unit = conn.execute(sa.select(t.units).where(
                t.units.c.code == community_code)).first()
            if unit is None or unit.kind != UnitKind.COMMUNITY.value:
                raise NotFound("community", community_code)
            tx = f.funds_transactions
            txs = self._load(conn, sa.and_(tx.c.community_code == community_code,
                                           tx.c.date <= dt.date(year, 12, 31)))
            b = f.funds_budgets
            budgets = {r.account: from_fen(int(r.amount_fen)) for r in conn.execute(
                sa.select(b).where(b.c.community_code == community_code, b.c.year == year))}
            in_kind = self._in_kind(conn, community_code, dt.date(year, 1, 1),
                                    dt.date(year, 12, 31))
            threshold = self._hooks.first("cgov_funds_large_item", _check_threshold,
                                          community_code=community_code)
            return build_disclosure(
                community_code=community_code, community_name=unit.name, year=year,
                quarter=q, chart=self._chart(community_code), transactions=txs,
                budgets=budgets, in_kind=in_kind, large_item=threshold,
                generated_at=op.now)


def mix_of(community: str, year: int, amounts: dict[Channel, int]) -> FundingMix:
    """Build a :class:`FundingMix` from income per channel in fen."""
    by = {c: from_fen(v) for c, v in sorted(amounts.items(), key=lambda kv: (-kv[1], kv[0]))
          if v != 0}
    total = sum(by.values(), _ZERO)
    largest = next(iter(by), None)
    share = (by[largest] / total).quantize(Decimal("0.0001")) if largest and total > 0 \
        else Decimal("0.0000")
    return FundingMix(community, year, by, total, largest, share)


def _raise_transition(current: DisbursementState, to: DisbursementState) -> None:
    problems = check_transition(current, to)
    if problems:
        raise InvalidTransition(problems[0].message)
