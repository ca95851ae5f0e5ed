"""The double-entry ledger (复式记账) of the funds service: posting, reversing,
support in kind and reading the books."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain.access import Actor
from community_governance.domain.chain import link
from community_governance.domain.funds import (
    AccountType,
    Channel,
    InKindItem,
    Posting,
    Transaction,
    TransactionKind,
    check_postings,
    from_fen,
    to_fen,
)
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.services.base import Operation
from community_governance.services.funds.books import FundsBooks
from community_governance.services.funds.common import (
    _ZERO,
    FUNDS_POST,
    FUNDS_READ,
    NewInKind,
    NewTransaction,
    _date,
    _fingerprint,
    _new_id,
    _raise,
    _text,
    funds_chain_fields,
)
from community_governance.storage.repos.bulk import bulk_insert, chunks, insert_returning_ids
from community_governance.storage.tables import funds as f

#: A community's new chain head, on its lock row (built once: its values are parameters).
_SET_HEAD = f.funds_locks.update().where(
    f.funds_locks.c.community_code == sa.bindparam("p_community")).values(
    chain_head=sa.bindparam("p_head"))


@attrs.frozen
class _Checked:
    """A transaction's fields after :meth:`LedgerMixin._checked`."""

    channel: Channel
    voucher: str
    memo: str
    party: str | None
    key: str | None
    day: dt.date
    shown: bool


@attrs.define
class _Staged:
    """Transactions checked and hashed, to be written together (``_write_staged``): their
    rows (with the chain hash), postings ``(line, account, fen)``, the communities' last
    heads and each one's total (the audit detail)."""

    rows: list[dict[str, Any]] = attrs.Factory(list)
    lines: list[list[tuple[int, str, int]]] = attrs.Factory(list)
    heads: dict[str, str] = attrs.Factory(dict)
    totals: list[str] = attrs.Factory(list)


class LedgerMixin(FundsBooks):
    """The ledger (账簿) part of the funds service: post, reverse (红字冲销), record support in
    kind (实物捐赠) and read transactions and balances."""

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
                  transactions: Iterable[NewTransaction | NewInKind]) -> list[Transaction]:
        """Post many balanced transactions to one community's books in one transaction.

        Each transaction gets exactly the checks of :meth:`post` (balance, accounts, amounts,
        channel, the open year, the budgets, including those of the transactions before it in
        the batch), and its idempotency key is honoured the same way: a transaction whose key
        was posted already (by :meth:`post` or an earlier batch) is not posted again, and the
        posted one is returned in its place. Support in kind (a :class:`NewInKind`) is
        recorded in its place in the batch, with the checks, rows and answer of
        :meth:`record_in_kind`. All or nothing; the batch is audited once, with every
        transaction it wrote.

        Args:
            actor: who posts (a community bookkeeper, the sub-district, or a system job).
            community_code: the community.
            transactions: the transactions (:class:`NewTransaction`) and support in kind
                (:class:`NewInKind`), in posting order.

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
            if not isinstance(item, NewTransaction | NewInKind):
                raise ValidationError(
                    f"expected a NewTransaction or a NewInKind, got {type(item).__name__}",
                    path=f"transactions[{i}]")
        prints = [item.fingerprint(community_code) for item in batch]
        for attempt in (1, 2):
            try:
                with self._write(actor, "funds.post_many") as op:
                    out = self._post_batch(op, community_code, batch, prints)
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

    def _post_batch(self, op: Operation, community: str,
                    batch: list[NewTransaction | NewInKind],
                    prints: list[str]) -> list[Transaction]:
        """:meth:`post_many`'s work in ``op``: each transaction as :meth:`_post` would post
        it, in order, with the same checks and errors, but written together.

        The batch's idempotency keys are looked up in one statement (after the first
        transaction's checks, which take the books' lock); a transaction whose key was used
        (before, or earlier in the batch) or that needs its budget checked (an expense) is
        posted by :meth:`_post` once the transactions staged before it are written, so that
        what it reads holds them. The others are staged (:meth:`_stage`) and written in one
        go (:meth:`_write_staged`): the same rows, ids, postings and chain hashes as one by
        one, the audit's objects in the same order. Support in kind is recorded by
        :meth:`_record_in_kind` in its place, once the transactions staged before it are
        written."""
        out: list[Transaction | int] = []
        staged = _Staged()
        pending: list[tuple[int, list[Posting]]] = []  # (place in out, lines) of staged ones
        used: set[str] = set()

        def flush() -> None:
            ids = self._write_staged(op, staged)
            for k, ((place, lines), tid, total) in enumerate(
                    zip(pending, ids, staged.totals, strict=True)):
                out[place] = self._staged_transaction(op, staged, k, tid, lines)
                op.touch("transaction", tid)
                op.detail.update({"community": community, "total": total})
            staged.rows.clear()
            staged.lines.clear()
            staged.heads.clear()
            staged.totals.clear()
            pending.clear()

        for i, (item, fp) in enumerate(zip(batch, prints, strict=True)):
            if isinstance(item, NewInKind):
                if not item.items or not all(isinstance(x, InKindItem) for x in item.items):
                    raise ValidationError("record at least one InKindItem",
                                          path=f"transactions[{i}].items")
                flush()
                out.append(self._record_in_kind(op, community, item, fp,
                                                community_checked=i > 0))
                if i == 0:
                    used = self._used_keys(op, [it.key for it in batch])
                if isinstance(item.key, str):
                    used.add(item.key.strip())
                continue
            lines = list(item.postings)
            got = self._checked(op, community, lines, channel=item.channel,
                                voucher=item.voucher, on=item.on, memo=item.memo,
                                counterparty=item.counterparty,
                                public=bool(item.donor_consent), key=item.key,
                                community_checked=i > 0)
            if i == 0:
                used = self._used_keys(op, [it.key for it in batch])
            if (got.key is not None and got.key in used) or self._budgeted(community, lines):
                flush()
                out.append(self._post(op, community, lines, channel=item.channel,
                                      voucher=item.voucher, on=item.on, memo=item.memo,
                                      counterparty=item.counterparty,
                                      public=bool(item.donor_consent), key=item.key,
                                      fingerprint=fp,
                                      kind=TransactionKind.ORDINARY, community_checked=True))
                continue
            if got.key is not None:
                used.add(got.key)
            self._stage(op, staged, community, got.day, got.channel, TransactionKind.ORDINARY,
                        got.voucher, got.memo, got.party, got.shown, lines, got.key, fp)
            pending.append((len(out), lines))
            out.append(-1)
        flush()
        return [tx for tx in out if isinstance(tx, Transaction)]

    @staticmethod
    def _used_keys(op: Operation, keys: Iterable[str | None]) -> set[str]:
        """Which of the transaction ``keys`` (as :meth:`_checked` will store them) were used
        already: one statement per 900 keys."""
        wanted = sorted({k.strip() for k in keys if isinstance(k, str)})
        tx = f.funds_transactions
        return {k for part in chunks(wanted) for k in op.uow.conn.execute(
            sa.select(tx.c.idempotency_key).where(tx.c.idempotency_key.in_(part))).scalars()}

    def _budgeted(self, community: str, lines: Sequence[Posting]) -> bool:
        """Whether :meth:`_check_budgets` would read a budget for these lines (an expense
        account debited on balance)."""
        chart = self._chart(community)
        net: dict[str, int] = {}
        for p in lines:
            acc = chart.get(p.account)
            if acc is not None and acc.type is AccountType.EXPENSE:
                net[p.account] = net.get(p.account, 0) + to_fen(p.amount)
        return any(v > 0 for v in net.values())

    def _post(
        self, op: Operation, community: str, lines: list[Posting], *, channel: Channel | str,
        voucher: str, on: dt.date | None, memo: str, counterparty: str | None,
        public: bool | None, key: str | None, fingerprint: str, kind: TransactionKind,
        reverses: int | None = None, budget_checked: bool = False,
        community_checked: bool = False,
    ) -> Transaction:
        """Check and write one transaction in ``op``.

        ``community_checked``: an earlier transaction of the same batch (same operation, same
        community) passed the permission and community checks and took the books' lock.
        """
        got = self._checked(op, community, lines, channel=channel, voucher=voucher, on=on,
                            memo=memo, counterparty=counterparty, public=public, key=key,
                            community_checked=community_checked)
        replay = self._replay(op, got.key, fingerprint)
        if replay is not None:
            return replay
        if not budget_checked:
            self._check_budgets(op, community, got.day, lines)
        return self._insert(op, community, got.day, got.channel, kind, got.voucher, got.memo,
                            got.party, got.shown, lines, got.key, fingerprint, reverses)

    def _checked(
        self, op: Operation, community: str, lines: list[Posting], *, channel: Channel | str,
        voucher: str, on: dt.date | None, memo: str, counterparty: str | None,
        public: bool | None, key: str | None, community_checked: bool = False,
    ) -> _Checked:
        """The checks of :meth:`_post` before its idempotency key is looked up, in its order
        (the texts, the right and the community, the postings, the lock, the open year): the
        transaction's fields as they will be stored."""
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
        if not community_checked:
            op.require(FUNDS_POST, self._target(community))
            self._require_community(op, community)
        _raise(check_postings(lines, self._chart(community)))
        day = _date(on, op.today)
        if not community_checked:
            self._lock(op, community)
        self._require_open_year(op, community, day)
        # organisations are named in public; a person (a donor, a service user) only with
        # consent
        shown = bool(public) if chan.may_be_person else party is not None
        return _Checked(chan, voucher, memo, party, key, day, shown)

    @staticmethod
    def _row(op: Operation, community: str, day: dt.date, channel: Channel,
             kind: TransactionKind, voucher: str, memo: str, party: str | None, public: bool,
             key: str | None, fingerprint: str, reverses: int | None) -> dict[str, Any]:
        return {
            "community_code": community, "date": day, "channel": channel.value,
            "kind": kind.value, "voucher": voucher, "memo": memo, "counterparty": party,
            "counterparty_public": public, "reverses": reverses, "idempotency_key": key,
            "fingerprint": fingerprint, "posted_at": op.now, "posted_by": str(op.actor)}

    def _insert(
        self, op: Operation, community: str, day: dt.date, channel: Channel,
        kind: TransactionKind, voucher: str, memo: str, party: str | None, public: bool,
        lines: Sequence[Posting], key: str | None, fingerprint: str, reverses: int | None,
    ) -> Transaction:
        conn = op.uow.conn
        slot = f"funds:{community}"
        self._lock(op, community)  # once per transaction: it returns at once after the first
        row = self._row(op, community, day, channel, kind, voucher, memo, party, public, key,
                        fingerprint, reverses)
        fen = [(i, p.account, to_fen(p.amount)) for i, p in enumerate(lines)]
        digest = link(op.chain_heads[slot], funds_chain_fields(row, fen))
        res = conn.execute(f.funds_transactions.insert(), {**row, "chain_hash": digest})
        tid = _new_id(res)
        conn.execute(f.funds_postings.insert(), [
            {"transaction_id": tid, "line": i, "community_code": community, "date": day,
             "account": account, "amount_fen": amount}
            for i, account, amount in fen])
        conn.execute(_SET_HEAD, {"p_community": community, "p_head": digest})
        op.chain_heads[slot] = digest
        op.touch("transaction", tid)
        op.detail.update({"community": community, "total": str(
            sum((p.debit for p in lines), _ZERO))})
        return Transaction(
            id=tid, community_code=community, date=day, channel=channel, voucher=voucher,
            memo=memo, postings=tuple(lines), kind=kind, counterparty=party,
            counterparty_public=public, reverses=reverses, idempotency_key=key,
            posted_at=op.now, posted_by=str(op.actor))

    # ------------------------------------------------------------------ staged writes

    def _stage(
        self, op: Operation, staged: _Staged, community: str, day: dt.date,
        channel: Channel, kind: TransactionKind, voucher: str, memo: str, party: str | None,
        public: bool, lines: Sequence[Posting], key: str | None, fingerprint: str,
    ) -> int:
        """What :meth:`_insert` writes, kept in ``staged`` to be written with the batch's
        other transactions (:meth:`_write_staged`): the same row, postings and chain hash
        (the community's head moves on here). Returns the transaction's place in the batch
        (its id is known once written)."""
        slot = f"funds:{community}"
        self._lock(op, community)
        row = self._row(op, community, day, channel, kind, voucher, memo, party, public, key,
                        fingerprint, None)
        fen = [(i, p.account, to_fen(p.amount)) for i, p in enumerate(lines)]
        digest = link(op.chain_heads[slot], funds_chain_fields(row, fen))
        op.chain_heads[slot] = digest
        staged.rows.append({**row, "chain_hash": digest})
        staged.lines.append(fen)
        staged.heads[community] = digest
        staged.totals.append(str(sum((p.debit for p in lines), _ZERO)))
        return len(staged.rows) - 1

    @staticmethod
    def _write_staged(op: Operation, staged: _Staged) -> list[int]:
        """Write the staged transactions in the order staged (one multi-row ``INSERT``
        returning their ids in that order), their postings (one batch) and each community's
        new chain head (once): the rows :meth:`_insert` one by one would write. Returns the
        ids."""
        if not staged.rows:
            return []
        conn = op.uow.conn
        tab = f.funds_transactions
        ids = insert_returning_ids(conn, tab, staged.rows)
        postings = [
            {"transaction_id": tid, "line": i, "community_code": row["community_code"],
             "date": row["date"], "account": account, "amount_fen": amount}
            for tid, row, fen in zip(ids, staged.rows, staged.lines, strict=True)
            for i, account, amount in fen]
        if conn.dialect.name == "sqlite":
            bulk_insert(conn, f.funds_postings, postings)
        else:  # a multi-row INSERT (no COPY: no ANALYZE after a large batch, mid-build)
            conn.execute(f.funds_postings.insert(), postings)
        for community, head in staged.heads.items():
            conn.execute(_SET_HEAD, {"p_community": community, "p_head": head})
        return ids

    @staticmethod
    def _staged_transaction(op: Operation, staged: _Staged, k: int, tid: int,
                            lines: Sequence[Posting]) -> Transaction:
        """The :class:`Transaction` :meth:`_insert` would answer for the ``k``-th staged one."""
        row = staged.rows[k]
        return Transaction(
            id=tid, community_code=row["community_code"], date=row["date"],
            channel=Channel(row["channel"]), voucher=row["voucher"], memo=row["memo"],
            postings=tuple(lines), kind=TransactionKind(row["kind"]),
            counterparty=row["counterparty"], counterparty_public=row["counterparty_public"],
            reverses=None, idempotency_key=row["idempotency_key"], posted_at=op.now,
            posted_by=str(op.actor))

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
        item = NewInKind(things, donor=donor, voucher=voucher, channel=channel, on=on,
                         donor_consent=donor_consent, key=key, asset_account=asset_account,
                         income_account=income_account)
        fp = item.fingerprint(community_code)
        try:
            with self._write(actor, "funds.record_in_kind") as op:
                return self._record_in_kind(op, community_code, item, fp)
        except IntegrityError as exc:
            if key is not None:
                got = self._by_key(key, fp)
                if got is not None:
                    return got
            raise ConflictError(f"the transaction could not be written: {exc.orig}") from exc

    def _record_in_kind(self, op: Operation, community_code: str, item: NewInKind, fp: str,
                        *, community_checked: bool = False) -> Transaction:
        """:meth:`record_in_kind`'s work in ``op`` (its items checked already): the
        transaction (a replay when its key was used for it) and, unless replayed, its items.
        ``community_checked``: as for :meth:`_post`."""
        things = item.items
        self._account(community_code, item.asset_account, "asset_account", AccountType.ASSET)
        self._account(community_code, item.income_account, "income_account",
                      AccountType.INCOME)
        for i, thing in enumerate(things):
            _text(thing.description, f"items[{i}].description")
        total = sum((i.value for i in things), _ZERO)
        lines = [Posting(item.asset_account, total), Posting(item.income_account, -total)]
        replayed = op.detail.pop("replayed", None)  # an earlier replay of the same batch
        tx = self._post(op, community_code, lines, channel=item.channel, voucher=item.voucher,
                        on=item.on, memo="实物捐赠: " + "、".join(
                            f"{i.description}×{i.quantity}" for i in things),
                        counterparty=item.donor, public=item.donor_consent, key=item.key,
                        fingerprint=fp, kind=TransactionKind.IN_KIND,
                        community_checked=community_checked)
        if op.detail.get("replayed") is None:
            op.uow.conn.execute(f.funds_in_kind.insert(), [
                {"transaction_id": tx.id, "community_code": community_code,
                 "description": i.description.strip(), "quantity": i.quantity,
                 "unit_value_fen": to_fen(i.unit_value), "value_fen": to_fen(i.value)}
                for i in things])
            if replayed is not None:
                op.detail["replayed"] = replayed
        return tx

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
            if not got or not op.visible(FUNDS_READ, self._target(got[0].community_code)):
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
