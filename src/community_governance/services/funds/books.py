"""The base of :class:`~community_governance.services.funds.FundsService`: the chart of
accounts (会计科目), the community lock, budget and balance look-ups and reading
transactions back, shared by the ledger, disbursement and report parts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from community_governance.domain.access import Target
from community_governance.domain.funds import (
    Account,
    AccountType,
    Channel,
    Posting,
    Transaction,
    TransactionKind,
    check_budget,
    check_chart,
    from_fen,
    to_fen,
)
from community_governance.domain.units import UnitKind
from community_governance.errors import (
    ConflictError,
    IdempotencyConflict,
    InsufficientBalance,
    NotFound,
    PluginError,
    ValidationError,
)
from community_governance.plugins import expect_each, expect_type
from community_governance.services.base import Operation, Service
from community_governance.services.funds.common import (
    _Q_BALANCE,
    _Q_BUDGET,
    _Q_CLOSED,
    _Q_KEY,
    _Q_LOCK,
    _Q_SPENT,
    _Q_UNIT_KIND,
    allocation_check,
)
from community_governance.storage.tables import funds as f


class FundsBooks(Service):
    """The books (账簿) of the community funds: what every part of the funds service shares.

    Holds the chart of accounts per community (asked from the hooks once) and the helpers
    that lock a community, check budgets and read transactions.
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
        return self._hooks.first("cgov_funds_annual_allocation", check, place=community_code,
                                 community_code=community_code, year=year)

    def _chart(self, community: str) -> dict[str, Account]:
        got = self._charts.get(community)
        if got is not None:
            return got
        answers = self._hooks.all("cgov_funds_accounts", expect_each(expect_type(Account)),
                                  place=community, community_code=community)
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
        # the communities found already in this operation (a batch names one many times)
        seen: set[str] | None = getattr(op, "_cgov_communities", None)
        if seen is not None and community in seen:
            return
        kind = op.uow.conn.execute(_Q_UNIT_KIND, {"code": community}).scalar_one_or_none()
        if kind == UnitKind.COMMUNITY.value:
            if seen is None:
                seen = op._cgov_communities = set()  # type: ignore[attr-defined]
            seen.add(community)
        else:
            raise NotFound("community", community, "funds are kept per community (12 digits)")

    @staticmethod
    def _lock(op: Operation, community: str) -> None:
        """Take the community's lock row (until the commit) and note its chain head.

        Taken once per transaction: a community whose head the operation noted already is
        locked until the commit, and its head is kept current by the postings since."""
        if f"funds:{community}" in op.chain_heads:
            return
        conn = op.uow.conn
        row = conn.execute(_Q_LOCK, {"community": community}).first()
        if row is None:
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
            row = conn.execute(_Q_LOCK, {"community": community}).first()
        op.chain_heads[f"funds:{community}"] = row[1] if row is not None else ""

    @staticmethod
    def _closed(op: Operation, community: str, year: int) -> bool:
        return op.uow.conn.execute(
            _Q_CLOSED, {"community": community, "year": year}).first() is not None

    def _require_open_year(self, op: Operation, community: str, day: dt.date) -> None:
        # the years found open in this operation (a payment asks twice, a batch many times);
        # closing a year forgets it (close_year)
        seen: set[tuple[str, int]] | None = getattr(op, "_cgov_open_years", None)
        if seen is not None and (community, day.year) in seen:
            return
        if not self._closed(op, community, day.year):
            if seen is None:
                seen = op._cgov_open_years = set()  # type: ignore[attr-defined]
            seen.add((community, day.year))
            return
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

