"""access denials: the bounded log of refused attempts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 02:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import community_governance.storage.tables._base
from community_governance.storage.tables._base import append_only_ddl

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_denials",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", community_governance.storage.tables._base.UTCDateTime(), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=60), nullable=False),
        sa.Column("operation", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_denials")),
    )
    with op.batch_alter_table("access_denials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_denials_actor_id"), ["actor_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_access_denials_at"), ["at"], unique=False)
    op.create_table(
        "access_denial_counts",
        sa.Column("hour", community_governance.storage.tables._base.UTCDateTime(),
                  nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=60), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("logged", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hour", "actor_kind", "actor_id",
                                name=op.f("pk_access_denial_counts")),
    )
    for stmt in append_only_ddl("access_denials").get(op.get_bind().dialect.name, []):
        op.execute(stmt)


def downgrade() -> None:
    op.drop_table("access_denial_counts")
    with op.batch_alter_table("access_denials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_denials_at"))
        batch_op.drop_index(batch_op.f("ix_access_denials_actor_id"))
    op.drop_table("access_denials")
