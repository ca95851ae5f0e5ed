"""Service guide tables: matters (办事指南事项) and their append-only versions."""

from __future__ import annotations

import sqlalchemy as sa

from community_governance.storage.tables._base import UTCDateTime, make_append_only, metadata

guide_matters = sa.Table(
    "guide_matters",
    metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("domain", sa.String(24), nullable=False, index=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("unit_code", sa.String(24), sa.ForeignKey("units.code"), index=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("withdrawn", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("search_text", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

guide_versions = sa.Table(
    "guide_versions",
    metadata,
    sa.Column("code", sa.String(16), sa.ForeignKey("guide_matters.code"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("content", sa.Text, nullable=False),  # the matter as JSON
    sa.Column("published_at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
)
make_append_only(guide_versions)
