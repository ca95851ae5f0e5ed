"""ledger hash chains and points four-eyes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 02:30:00

Adds the hash-chain columns of the append-only journals (points entries, funds transactions,
case transitions, the audit trail), the chain heads beside them (points balances, funds lock
rows, cases) and the table of points awards waiting for a second person's confirmation. Rows
written before this revision carry no hash: ``cgov verify`` counts them as unchained and starts
each chain after them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import community_governance.storage.tables._base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_HASHED = ("points_entries", "funds_transactions", "case_transitions", "audit_log")
_HEADS = ("points_balances", "funds_locks", "cases")


def upgrade() -> None:
    for table in _HASHED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == "audit_log":
                batch_op.add_column(sa.Column("chain", sa.String(length=40), nullable=True))
            batch_op.add_column(sa.Column("chain_hash", sa.String(length=64), nullable=True))
    for table in _HEADS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("chain_head", sa.String(length=64),
                                          server_default="", nullable=False))
    op.create_table(
        "points_pending",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("resident_id", sa.String(length=40), nullable=False),
        sa.Column("community_code", sa.String(length=24), nullable=True),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), server_default="", nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("request", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("requested_by", sa.String(length=80), nullable=False),
        sa.Column("requested_at", community_governance.storage.tables._base.UTCDateTime(),
                  nullable=False),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("decided_at", community_governance.storage.tables._base.UTCDateTime(),
                  nullable=True),
        sa.Column("note", sa.String(length=200), server_default="", nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_points_pending_amount_positive")),
        sa.CheckConstraint("state IN ('pending', 'confirmed', 'rejected')",
                           name=op.f("ck_points_pending_state_known")),
        sa.ForeignKeyConstraint(["entry_id"], ["points_entries.id"],
                                name=op.f("fk_points_pending_entry_id_points_entries")),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"],
                                name=op.f("fk_points_pending_resident_id_residents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_pending")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_points_pending_idempotency_key")),
    )


def downgrade() -> None:
    op.drop_table("points_pending")
    for table in _HEADS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("chain_head")
    for table in _HASHED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("chain_hash")
            if table == "audit_log":
                batch_op.drop_column("chain")
