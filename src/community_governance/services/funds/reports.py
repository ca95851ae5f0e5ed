"""Reports of the funds service: the trial balance (试算平衡表), year-end closing and
carry-forward (年终结账、结转), the funding mix (资金渠道结构) and the public disclosure
(财务公开)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.funds import (
    WIDENED_CHANNELS,
    Account,
    AccountType,
    Channel,
    Posting,
    Transaction,
    TransactionKind,
    check_postings,
    from_fen,
    parse_quarter,
)
from community_governance.domain.units import UnitKind
from community_governance.errors import ConflictError, NotFound
from community_governance.services.funds.common import (
    _ZERO,
    FUNDS_CLOSE,
    FUNDS_DISCLOSE,
    FUNDS_READ,
    _check_threshold,
    _fingerprint,
    _raise,
)
from community_governance.services.funds.ledger import LedgerMixin
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import core as t
from community_governance.storage.tables import funds as f

if TYPE_CHECKING:
    from community_governance.io.disclosure import Disclosure



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
        largest_share_before: the largest channel's share counting the established channels
            only (city, sub-district, partner units: the single source before the channels
            were widened, 拓宽渠道前); equal to ``largest_share`` when no widened channel
            brought money.
        widened: income of the widened channels (``WIDENED_CHANNELS``: enterprises, NGOs,
            individuals, paid services, investment).
    """

    community_code: str
    year: int
    by_channel: dict[Channel, Decimal]
    total: Decimal
    largest_channel: Channel | None
    largest_share: Decimal
    largest_share_before: Decimal = Decimal("0.0000")
    widened: Decimal = Decimal("0.00")

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (amounts as strings)."""
        return {
            "community_code": self.community_code, "year": self.year,
            "by_channel": {c.value: str(v) for c, v in self.by_channel.items()},
            "total": str(self.total),
            "largest_channel": self.largest_channel.value if self.largest_channel else None,
            "largest_share": str(self.largest_share),
            "largest_share_before": str(self.largest_share_before),
            "widened": str(self.widened),
            "channels_used": len([v for v in self.by_channel.values() if v > 0]),
        }


class ReportsMixin(LedgerMixin):
    """The report (报表) part of the funds service: trial balance, year end, funding mix and
    disclosure."""

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
            getattr(op, "_cgov_open_years", set()).discard((community_code, year))
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
                                          place=community_code, community_code=community_code)
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
    share = _share(by, total)
    base = {c: v for c, v in by.items() if c not in WIDENED_CHANNELS}
    before = _share(base, sum(base.values(), _ZERO))
    widened = sum((v for c, v in by.items() if c in WIDENED_CHANNELS), _ZERO)
    return FundingMix(community, year, by, total, largest, share, before, widened)


def _share(by: dict[Channel, Decimal], total: Decimal) -> Decimal:
    """The largest amount's share of ``total`` (``by`` largest first), to four places."""
    largest = next(iter(by), None)
    if largest is None or total <= 0:
        return Decimal("0.0000")
    return (by[largest] / total).quantize(Decimal("0.0001"))
