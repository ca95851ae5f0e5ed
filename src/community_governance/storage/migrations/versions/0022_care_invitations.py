"""care invitations

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 10:00:00.000000

Issue #17 item 3: invitations to spend New Year, the Spring Festival and the Lantern Festival
at the community (节日邀请), one row per resident and event (a culture event of the community),
with the answer and the attendance. Numbered 0022 while 0019-0021 are written on other
branches: the merge rechains it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import community_governance.storage.tables._base

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "care_invitations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("occasion", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("community_code", sa.String(length=24), nullable=False),
        sa.Column("resident_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "invited_at", community_governance.storage.tables._base.UTCDateTime(), nullable=False
        ),
        sa.Column("rsvp", sa.String(length=8), nullable=False),
        sa.Column(
            "rsvp_at", community_governance.storage.tables._base.UTCDateTime(), nullable=True
        ),
        sa.Column("attended", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "attendance_recorded_at",
            community_governance.storage.tables._base.UTCDateTime(),
            nullable=True,
        ),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["culture_events.id"],
            name=op.f("fk_care_invitations_event_id_culture_events"),
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"],
            name=op.f("fk_care_invitations_resident_id_residents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_invitations")),
        sa.UniqueConstraint("event_id", "resident_id",
                            name="uq_care_invitations_event_resident"),
    )
    with op.batch_alter_table("care_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_invitations_community_code"),
                              ["community_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_care_invitations_event_id"), ["event_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_care_invitations_resident_id"), ["resident_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("care_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_invitations_resident_id"))
        batch_op.drop_index(batch_op.f("ix_care_invitations_event_id"))
        batch_op.drop_index(batch_op.f("ix_care_invitations_community_code"))

    op.drop_table("care_invitations")
