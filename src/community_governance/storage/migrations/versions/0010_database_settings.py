"""database settings (the data key's fingerprint of a sealed database)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 13:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "database_settings",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_database_settings")),
    )


def downgrade() -> None:
    op.drop_table("database_settings")
