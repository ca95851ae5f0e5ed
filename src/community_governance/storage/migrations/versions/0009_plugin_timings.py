"""plugin timings

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import community_governance.storage.tables._base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plugin_timings",
        sa.Column("hook", sa.String(length=80), nullable=False),
        sa.Column("plugin", sa.String(length=200), nullable=False),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.Column("total_ms", sa.Float(), nullable=False),
        sa.Column("max_ms", sa.Float(), nullable=False),
        sa.Column("slow", sa.BigInteger(), nullable=False),
        sa.Column(
            "updated_at", community_governance.storage.tables._base.UTCDateTime(), nullable=False
        ),
        sa.PrimaryKeyConstraint("hook", "plugin", name=op.f("pk_plugin_timings")),
    )


def downgrade() -> None:
    op.drop_table("plugin_timings")
