"""http idempotency and rate limits

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 10:00:00.000000

Issue #18: the answers kept for Idempotency-Key retries of the HTTP API and the per-client
request counts of its rate limit, shared by every worker through the database.
Numbered 0023 while other branches write 0019-0022: the merge rechains it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import community_governance.storage.tables._base

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "http_idempotency",
        sa.Column("principal", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", community_governance.storage.tables._base.UTCDateTime(), nullable=False
        ),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("resident_id", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"],
            name=op.f("fk_http_idempotency_resident_id_residents"),
        ),
        sa.PrimaryKeyConstraint("principal", "key", name=op.f("pk_http_idempotency")),
    )
    op.create_index(op.f("ix_http_idempotency_created_at"), "http_idempotency", ["created_at"])
    op.create_index(op.f("ix_http_idempotency_resident_id"), "http_idempotency", ["resident_id"])
    op.create_table(
        "http_rate_limits",
        sa.Column("bucket", sa.String(length=80), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "minute", name=op.f("pk_http_rate_limits")),
    )
    op.create_index("ix_http_rate_limits_minute", "http_rate_limits", ["minute"])


def downgrade() -> None:
    op.drop_index("ix_http_rate_limits_minute", table_name="http_rate_limits")
    op.drop_table("http_rate_limits")
    op.drop_index(op.f("ix_http_idempotency_resident_id"), table_name="http_idempotency")
    op.drop_index(op.f("ix_http_idempotency_created_at"), table_name="http_idempotency")
    op.drop_table("http_idempotency")
