"""Culture and sports groups (文体组织): groups, equipment, memberships, events."""

from __future__ import annotations

import sqlalchemy as sa

from community_governance.storage.tables._base import UTCDateTime, metadata

culture_groups = sa.Table(
    "culture_groups",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("leader_id", sa.String(40), sa.ForeignKey("residents.id")),
    sa.Column("venue", sa.String(200), nullable=False, server_default=""),
    sa.Column("schedule", sa.Text, nullable=False, server_default="[]"),  # ScheduleSlot JSON
    sa.Column("founded", sa.Date),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

culture_equipment = sa.Table(
    "culture_equipment",
    metadata,
    sa.Column("group_id", sa.String(40), sa.ForeignKey("culture_groups.id"), primary_key=True),
    sa.Column("item", sa.String(200), primary_key=True),
    sa.Column("line", sa.Integer, nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
)

culture_memberships = sa.Table(
    "culture_memberships",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("group_id", sa.String(40), sa.ForeignKey("culture_groups.id"), nullable=False,
              index=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False,
              index=True),
    sa.Column("joined_on", sa.Date, nullable=False),
    sa.Column("left_on", sa.Date),
    sa.CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="left_after_joined"),
)
# a resident holds at most one open membership of a group, whoever writes concurrently
sa.Index("uq_culture_memberships_open", culture_memberships.c.group_id,
         culture_memberships.c.resident_id, unique=True,
         sqlite_where=culture_memberships.c.left_on.is_(None),
         postgresql_where=culture_memberships.c.left_on.is_(None))

culture_events = sa.Table(
    "culture_events",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("unit_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("on", sa.Date, nullable=False, index=True),
    sa.Column("attendance", sa.Integer, nullable=False, server_default="0"),
    sa.Column("festival", sa.String(200), nullable=False, server_default=""),
    sa.Column("venue", sa.String(200), nullable=False, server_default=""),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("attendance >= 0", name="attendance_not_negative"),
)

culture_event_groups = sa.Table(
    "culture_event_groups",
    metadata,
    sa.Column("event_id", sa.String(40), sa.ForeignKey("culture_events.id"), primary_key=True),
    sa.Column("group_id", sa.String(40), sa.ForeignKey("culture_groups.id"), primary_key=True,
              index=True),
)
