"""Case tables: cases (事务) and their append-only transition journal (流转记录)."""

from __future__ import annotations

import sqlalchemy as sa

from community_governance.storage.tables._base import UTCDateTime, make_append_only, metadata

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("category", sa.String(40), nullable=False, index=True),
    sa.Column("channel", sa.String(16), nullable=False),
    # the reporter's own words: replaced on erasure of the reporter (services/privacy.py)
    sa.Column("description", sa.Text, nullable=False,
              info={"personal": True, "erased_as": "（内容已删除：报告人的个人信息已注销）"}),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("unit_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("department", sa.String(100)),
    # the route as JSON: [[level, unit_code, department], ...]
    sa.Column("route", sa.Text, nullable=False),
    sa.Column("building_code", sa.String(24), sa.ForeignKey("buildings.code"), nullable=False,
              index=True),
    sa.Column("grid_code", sa.String(24), index=True),
    sa.Column("community_code", sa.String(24), nullable=False, index=True),
    sa.Column("household_id", sa.String(48), sa.ForeignKey("households.id")),
    sa.Column("reporter_id", sa.String(40), sa.ForeignKey("residents.id"), index=True),
    sa.Column("reporter_name", sa.String(100), info={"personal": True}),
    # sealed with the county's key like residents' phones; never exported
    sa.Column("reporter_phone", sa.String(200), info={"personal": True}),
    sa.Column("handler_id", sa.String(40), index=True),
    sa.Column("reported_at", UTCDateTime, nullable=False, index=True),
    sa.Column("deadline", sa.Date, nullable=False, index=True),
    # the deadline was counted through a provisional year (no official notice yet): it is
    # recomputed when the year file is added (cgov calendar add-year)
    sa.Column("deadline_provisional", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("resolved_at", UTCDateTime),
    sa.Column("closed_at", UTCDateTime),
    sa.Column("satisfaction", sa.Integer),
    sa.Column("escalations", sa.Integer, nullable=False, server_default="0"),
    # working days from report to (last) resolution, fixed when resolved
    sa.Column("handling_days", sa.Integer),
    # whether it was resolved after a deadline or escalated for being overdue
    sa.Column("was_overdue", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("seq", sa.Integer, nullable=False),
    # the hash of the case's last transition (the head of its chain)
    sa.Column("chain_head", sa.String(64), nullable=False, server_default=""),
    sa.Column("lat", sa.Float),
    sa.Column("long", sa.Float),
    sa.Column("media_url", sa.String(500), info={"personal": True}),
    sa.Column("source", sa.String(200)),
    sa.CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5",
                       name="satisfaction_range"),
    sa.CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),
)

case_transitions = sa.Table(
    "case_transitions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(40), sa.ForeignKey("cases.id"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("event", sa.String(16), nullable=False),
    sa.Column("from_status", sa.String(16)),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False, index=True),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("unit_code", sa.String(24), nullable=False),
    sa.Column("handler_id", sa.String(40)),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    # SHA-256 of the case's previous transition hash and this row (domain/chain.py)
    sa.Column("chain_hash", sa.String(64)),
    # one row per step: two concurrent transitions of one case cannot both be written
    sa.UniqueConstraint("case_id", "seq", name="uq_case_transitions_case_seq"),
)
make_append_only(case_transitions)
