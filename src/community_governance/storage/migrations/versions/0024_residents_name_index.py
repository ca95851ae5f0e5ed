"""residents name index

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 17:00:00.000000

Issue #21: an index on the residents' names in code-point order (on PostgreSQL with
``text_pattern_ops``, whatever the database's collation), so that a community-affairs posting
finds the names its text mentions (for redaction) through the index instead of reading every
name of the community.
"""

from __future__ import annotations

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_residents_name", "residents", ["name"],
                    postgresql_ops={"name": "text_pattern_ops"})


def downgrade() -> None:
    op.drop_index("ix_residents_name", table_name="residents")
