"""the points ledger writes fewer index pages

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 14:00:00

Issue #21 item 3: every earn and redeem wrote the journal row into six B-trees and the audit
row into four; four of them go:

- ``points_entries``: the UNIQUE constraint on ``reverses_id`` indexed every row although only
  reversals carry a value; it becomes a partial unique index (``reverses_id IS NOT NULL``),
  which keeps "one reversal per entry" and which earns and redeems never enter. The indexes on
  ``(month, community_code)`` and ``community_code`` are dropped: no query filters on the month
  first, and the queries on the community (the monthly report, expiry) aggregate the journal
  anyway; the report's scope test wraps the column in ``COALESCE(...) LIKE``, which no index
  serves. What remains: the primary key, the idempotency key (replays) and the resident
  (statements, the monthly cap of the four-eyes rule, expiry per resident).
- ``audit_log``: the index on ``operation`` is dropped: the trail's only filter on it is a
  prefix ``LIKE`` (case-insensitive on SQLite, collation-bound on PostgreSQL), which it
  never served.

SQLite cannot drop a UNIQUE constraint in place: the journal is rebuilt (rows, ids, hashes and
the append-only triggers kept) with the foreign keys that point at it deferred, so that
redemptions and awards that name an entry stay valid across the rebuild.

Numbered 0011 while 0010 is written on another branch: the merge rechains it after 0010.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import community_governance.storage.tables._base
from community_governance.storage.tables._base import append_only_ddl

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_COLS = ("id", "resident_id", "kind", "amount", "balance_after", "at", "day", "month",
         "community_code", "idempotency_key", "request", "reverses_id", "activity_id", "reason",
         "actor", "chain_hash")


def _journal(*constraints: sa.schema.SchemaItem) -> None:
    op.create_table(
        "points_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("resident_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("balance_after", sa.Integer(), nullable=False),
        sa.Column("at", community_governance.storage.tables._base.UTCDateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("community_code", sa.String(length=24), nullable=True),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("request", sa.String(length=32), nullable=False),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("activity_id", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.String(length=200), server_default="", nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=True),
        sa.CheckConstraint("kind IN ('earn', 'redeem', 'expire', 'reverse')",
                           name=op.f("ck_points_entries_kind_known")),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_points_entries_amount_not_zero")),
        sa.CheckConstraint("balance_after >= 0",
                           name=op.f("ck_points_entries_balance_after_not_negative")),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"],
                                name=op.f("fk_points_entries_resident_id_residents")),
        sa.ForeignKeyConstraint(["reverses_id"], ["points_entries.id"],
                                name=op.f("fk_points_entries_reverses_id_points_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_entries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_points_entries_idempotency_key")),
        *constraints,
    )


def _rebuild_sqlite(*constraints: sa.schema.SchemaItem) -> None:
    """Rebuild the journal under deferred foreign keys: the DROP counts the rows of other
    tables that name an entry as violations, the re-insert of the same ids settles them."""
    cols = ", ".join(_COLS)
    op.execute("PRAGMA defer_foreign_keys = ON")
    op.execute("CREATE TEMPORARY TABLE _cgov_points_entries AS SELECT * FROM points_entries")
    op.execute("DROP TABLE points_entries")  # its indexes and triggers go with it
    _journal(*constraints)
    op.execute(f"INSERT INTO points_entries ({cols}) SELECT {cols} FROM _cgov_points_entries "
               "ORDER BY id")
    op.execute("DROP TABLE _cgov_points_entries")
    op.create_index("ix_points_entries_resident_id", "points_entries", ["resident_id"])
    for stmt in append_only_ddl("points_entries")["sqlite"]:
        op.execute(stmt)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _rebuild_sqlite()
    else:
        op.drop_index("ix_points_entries_month_community", table_name="points_entries")
        op.drop_index("ix_points_entries_community_code", table_name="points_entries")
        op.drop_constraint("uq_points_entries_reverses_id", "points_entries", type_="unique")
    op.create_index("ix_points_entries_reverses_id", "points_entries", ["reverses_id"],
                    unique=True, sqlite_where=sa.text("reverses_id IS NOT NULL"),
                    postgresql_where=sa.text("reverses_id IS NOT NULL"))
    op.drop_index("ix_audit_log_operation", table_name="audit_log")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_index("ix_audit_log_operation", "audit_log", ["operation"])
    op.drop_index("ix_points_entries_reverses_id", table_name="points_entries")
    if dialect == "sqlite":
        _rebuild_sqlite(sa.UniqueConstraint("reverses_id",
                                            name=op.f("uq_points_entries_reverses_id")))
    else:
        op.create_unique_constraint("uq_points_entries_reverses_id", "points_entries",
                                    ["reverses_id"])
    op.create_index("ix_points_entries_community_code", "points_entries", ["community_code"])
    op.create_index("ix_points_entries_month_community", "points_entries",
                    ["month", "community_code"])
