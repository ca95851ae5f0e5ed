"""Funds tables: the ledger (transactions and postings, append-only), budgets, disbursements
and their approvals, support in kind, year-end closings and the per-community lock row.

Amounts are integer fen (``*_fen``); a posting's ``amount_fen`` is signed (debit positive).
"""

from __future__ import annotations

import sqlalchemy as sa

from community_governance.storage.tables._base import UTCDateTime, make_append_only, metadata

funds_transactions = sa.Table(
    "funds_transactions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("date", sa.Date, nullable=False, index=True),
    sa.Column("channel", sa.String(24), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("voucher", sa.String(80), nullable=False),
    sa.Column("memo", sa.Text, nullable=False, server_default=""),
    sa.Column("counterparty", sa.String(200)),
    sa.Column("counterparty_public", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reverses", sa.Integer, sa.ForeignKey("funds_transactions.id"), unique=True),
    sa.Column("idempotency_key", sa.String(120), unique=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("posted_at", UTCDateTime, nullable=False),
    sa.Column("posted_by", sa.String(80), nullable=False),
    # SHA-256 of the community's previous transaction hash and this one with its postings
    sa.Column("chain_hash", sa.String(64)),
)
make_append_only(funds_transactions)

funds_postings = sa.Table(
    "funds_postings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("transaction_id", sa.Integer, sa.ForeignKey("funds_transactions.id"),
              nullable=False, index=True),
    sa.Column("line", sa.Integer, nullable=False),
    sa.Column("community_code", sa.String(24), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("account", sa.String(16), nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.CheckConstraint("amount_fen <> 0", name="nonzero"),
    sa.UniqueConstraint("transaction_id", "line", name="uq_funds_postings_line"),
    sa.Index("ix_funds_postings_community_account_date", "community_code", "account", "date"),
)
make_append_only(funds_postings)

funds_budgets = sa.Table(
    "funds_budgets",
    metadata,
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), primary_key=True),
    sa.Column("account", sa.String(16), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("set_at", UTCDateTime, nullable=False),
    sa.Column("set_by", sa.String(80), nullable=False),
    sa.CheckConstraint("amount_fen >= 0", name="nonnegative"),
)

funds_disbursements = sa.Table(
    "funds_disbursements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("account", sa.String(16), nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("payee", sa.String(200), nullable=False),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("required_roles", sa.String(200), nullable=False),
    sa.Column("over_budget", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("requested_by", sa.String(80), nullable=False),
    sa.Column("requested_on", sa.Date, nullable=False),
    sa.Column("requested_at", UTCDateTime, nullable=False),
    sa.Column("idempotency_key", sa.String(120), unique=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("transaction_id", sa.Integer, sa.ForeignKey("funds_transactions.id")),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.CheckConstraint("amount_fen > 0", name="positive"),
)

funds_approvals = sa.Table(
    "funds_approvals",
    metadata,
    sa.Column("disbursement_id", sa.Integer, sa.ForeignKey("funds_disbursements.id"),
              primary_key=True),
    sa.Column("role", sa.String(32), primary_key=True),
    sa.Column("approver", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("disbursement_id", "approver", name="uq_funds_approvals_approver"),
)
make_append_only(funds_approvals)

funds_in_kind = sa.Table(
    "funds_in_kind",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("transaction_id", sa.Integer, sa.ForeignKey("funds_transactions.id"),
              nullable=False, index=True),
    sa.Column("community_code", sa.String(24), nullable=False, index=True),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_value_fen", sa.BigInteger, nullable=False),
    sa.Column("value_fen", sa.BigInteger, nullable=False),
)
make_append_only(funds_in_kind)

funds_closings = sa.Table(
    "funds_closings",
    metadata,
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("transaction_id", sa.Integer, sa.ForeignKey("funds_transactions.id")),
    sa.Column("closed_at", UTCDateTime, nullable=False),
    sa.Column("closed_by", sa.String(80), nullable=False),
)
make_append_only(funds_closings)

#: One row per community; writers of its books hold it (SELECT ... FOR UPDATE) so that budget
#: and balance checks and the posting that follows them are serialised.
funds_locks = sa.Table(
    "funds_locks",
    metadata,
    sa.Column("community_code", sa.String(24), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    # the hash of the community's last transaction (the head of its chain)
    sa.Column("chain_head", sa.String(64), nullable=False, server_default=""),
)
