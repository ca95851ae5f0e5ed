"""culture and sports groups: groups, equipment, memberships, events

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 17:00:00

Issue #14 item 1: culture and sports groups (文体组织) with their equipment inventory (设施),
members with join and leave dates (at most one open membership of a group per resident, kept
by a partial unique index), and events at community, sub-district and city level with the
groups that took part.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import community_governance.storage.tables._base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_UTC = community_governance.storage.tables._base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "culture_events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("unit_code", sa.String(length=24), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("attendance", sa.Integer(), server_default="0", nullable=False),
        sa.Column("festival", sa.String(length=200), server_default="", nullable=False),
        sa.Column("venue", sa.String(length=200), server_default="", nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("recorded_at", _UTC(), nullable=False),
        sa.CheckConstraint("attendance >= 0",
                           name=op.f("ck_culture_events_attendance_not_negative")),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"],
                                name=op.f("fk_culture_events_unit_code_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_culture_events")),
    )
    op.create_index(op.f("ix_culture_events_on"), "culture_events", ["on"], unique=False)
    op.create_index(op.f("ix_culture_events_unit_code"), "culture_events", ["unit_code"],
                    unique=False)
    op.create_table(
        "culture_groups",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("community_code", sa.String(length=24), nullable=False),
        sa.Column("leader_id", sa.String(length=40), nullable=True),
        sa.Column("venue", sa.String(length=200), server_default="", nullable=False),
        sa.Column("schedule", sa.Text(), server_default="[]", nullable=False),
        sa.Column("founded", sa.Date(), nullable=True),
        sa.Column("created_at", _UTC(), nullable=False),
        sa.ForeignKeyConstraint(["community_code"], ["units.code"],
                                name=op.f("fk_culture_groups_community_code_units")),
        sa.ForeignKeyConstraint(["leader_id"], ["residents.id"],
                                name=op.f("fk_culture_groups_leader_id_residents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_culture_groups")),
    )
    op.create_index(op.f("ix_culture_groups_community_code"), "culture_groups",
                    ["community_code"], unique=False)
    op.create_table(
        "culture_equipment",
        sa.Column("group_id", sa.String(length=40), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_culture_equipment_quantity_positive")),
        sa.ForeignKeyConstraint(["group_id"], ["culture_groups.id"],
                                name=op.f("fk_culture_equipment_group_id_culture_groups")),
        sa.PrimaryKeyConstraint("group_id", "item", name=op.f("pk_culture_equipment")),
    )
    op.create_table(
        "culture_event_groups",
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("group_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["culture_events.id"],
                                name=op.f("fk_culture_event_groups_event_id_culture_events")),
        sa.ForeignKeyConstraint(["group_id"], ["culture_groups.id"],
                                name=op.f("fk_culture_event_groups_group_id_culture_groups")),
        sa.PrimaryKeyConstraint("event_id", "group_id", name=op.f("pk_culture_event_groups")),
    )
    op.create_index(op.f("ix_culture_event_groups_group_id"), "culture_event_groups",
                    ["group_id"], unique=False)
    op.create_table(
        "culture_memberships",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("group_id", sa.String(length=40), nullable=False),
        sa.Column("resident_id", sa.String(length=40), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.CheckConstraint("left_on IS NULL OR left_on >= joined_on",
                           name=op.f("ck_culture_memberships_left_after_joined")),
        sa.ForeignKeyConstraint(["group_id"], ["culture_groups.id"],
                                name=op.f("fk_culture_memberships_group_id_culture_groups")),
        sa.ForeignKeyConstraint(["resident_id"], ["residents.id"],
                                name=op.f("fk_culture_memberships_resident_id_residents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_culture_memberships")),
    )
    op.create_index(op.f("ix_culture_memberships_group_id"), "culture_memberships",
                    ["group_id"], unique=False)
    op.create_index(op.f("ix_culture_memberships_resident_id"), "culture_memberships",
                    ["resident_id"], unique=False)
    op.create_index("uq_culture_memberships_open", "culture_memberships",
                    ["group_id", "resident_id"], unique=True,
                    sqlite_where=sa.text("left_on IS NULL"),
                    postgresql_where=sa.text("left_on IS NULL"))


def downgrade() -> None:
    op.drop_index("uq_culture_memberships_open", table_name="culture_memberships",
                  sqlite_where=sa.text("left_on IS NULL"),
                  postgresql_where=sa.text("left_on IS NULL"))
    op.drop_index(op.f("ix_culture_memberships_resident_id"), table_name="culture_memberships")
    op.drop_index(op.f("ix_culture_memberships_group_id"), table_name="culture_memberships")
    op.drop_table("culture_memberships")
    op.drop_index(op.f("ix_culture_event_groups_group_id"), table_name="culture_event_groups")
    op.drop_table("culture_event_groups")
    op.drop_table("culture_equipment")
    op.drop_index(op.f("ix_culture_groups_community_code"), table_name="culture_groups")
    op.drop_table("culture_groups")
    op.drop_index(op.f("ix_culture_events_unit_code"), table_name="culture_events")
    op.drop_index(op.f("ix_culture_events_on"), table_name="culture_events")
    op.drop_table("culture_events")
