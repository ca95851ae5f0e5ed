"""provisional deadlines: cases.deadline_provisional, assisted_services.due_provisional

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 02:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deadline_provisional", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table("assisted_services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_provisional", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("assisted_services", schema=None) as batch_op:
        batch_op.drop_column("due_provisional")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("deadline_provisional")
