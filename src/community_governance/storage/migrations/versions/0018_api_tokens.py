"""api tokens

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 17:00:00.000000

Issue #18 item 5: the HTTP API's bearer tokens (only their SHA-256 digests are stored).
Numbered 0016 while 0012-0015 are written on other branches: the merge rechains it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import community_governance.storage.tables._base

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=60), nullable=False),
        sa.Column("scopes", sa.String(length=400), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at", community_governance.storage.tables._base.UTCDateTime(), nullable=False
        ),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column(
            "expires_at", community_governance.storage.tables._base.UTCDateTime(), nullable=True
        ),
        sa.Column(
            "revoked_at", community_governance.storage.tables._base.UTCDateTime(), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("api_tokens")
