"""Core tables: units, buildings, households, residents, posts, party organizations, partner
units, the audit trail and the sensitive-data access log."""

from __future__ import annotations

import sqlalchemy as sa

from community_governance.storage.tables._base import UTCDateTime, make_append_only, metadata

units = sa.Table(
    "units",
    metadata,
    sa.Column("code", sa.String(24), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("parent_code", sa.String(24), sa.ForeignKey("units.code"), index=True),
)

buildings = sa.Table(
    "buildings",
    metadata,
    sa.Column("code", sa.String(24), sa.ForeignKey("units.code"), primary_key=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("compound_code", sa.String(24), sa.ForeignKey("units.code"), index=True),
    sa.Column("grid_code", sa.String(24), sa.ForeignKey("units.code"), index=True),
    sa.Column("x", sa.Float),
    sa.Column("y", sa.Float),
    sa.Column("households_planned", sa.Integer, nullable=False, server_default="0"),
)

households = sa.Table(
    "households",
    metadata,
    sa.Column("id", sa.String(48), primary_key=True),
    sa.Column("building_code", sa.String(24), sa.ForeignKey("buildings.code"), nullable=False,
              index=True),
    sa.Column("door", sa.String(40), nullable=False),
    sa.Column("registered_on", sa.Date),
)

residents = sa.Table(
    "residents",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    # the full number, or "enc2:..." (AES-GCM; "enc1:..." Fernet from older versions) when the
    # county supplied a key; NULL once erased
    sa.Column("id_number", sa.String(200)),
    # keyed hash (HMAC-SHA256) of the number, for look-ups and uniqueness
    sa.Column("id_hash", sa.String(64), unique=True),
    sa.Column("birth_date", sa.Date),
    sa.Column("sex", sa.String(1)),
    sa.Column("region_code", sa.String(6)),
    sa.Column("phone", sa.String(200)),
    sa.Column("household_id", sa.String(48), sa.ForeignKey("households.id"), index=True),
    sa.Column("relation", sa.String(16), nullable=False),
    sa.Column("vulnerabilities", sa.String(200), nullable=False, server_default=""),
    sa.Column("party_member", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("erased", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("warnings", sa.Text, nullable=False, server_default=""),
    sa.Column("registered_at", UTCDateTime, nullable=False),
)
# the names in code-point order (PostgreSQL: whatever the database's collation), for finding
# the residents' names a posting mentions (affairs: redaction) without reading every name
sa.Index("ix_residents_name", residents.c.name, postgresql_ops={"name": "text_pattern_ops"})

residence_spells = sa.Table(
    "residence_spells",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False,
              index=True),
    sa.Column("household_id", sa.String(48), sa.ForeignKey("households.id"), nullable=False,
              index=True),
    sa.Column("start", sa.Date, nullable=False),
    sa.Column("end", sa.Date),
)

staff = sa.Table(
    "staff",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("permanent", sa.Boolean, nullable=False),
    sa.Column("phone", sa.String(200)),
)

posts = sa.Table(
    "posts",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False, index=True),
    sa.Column("unit_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("holder_kind", sa.String(16), nullable=False),
    sa.Column("holder_id", sa.String(40), nullable=False, index=True),
    sa.Column("start", sa.Date, nullable=False),
    sa.Column("end", sa.Date),
    sa.Column("covers", sa.Text, nullable=False, server_default=""),
)

party_orgs = sa.Table(
    "party_orgs",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("unit_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("parent_id", sa.String(40), sa.ForeignKey("party_orgs.id")),
)

party_memberships = sa.Table(
    "party_memberships",
    metadata,
    sa.Column("org_id", sa.String(40), sa.ForeignKey("party_orgs.id"), primary_key=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), primary_key=True),
    sa.Column("start", sa.Date, primary_key=True),
    sa.Column("end", sa.Date),
)

partner_units = sa.Table(
    "partner_units",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
)

partner_attachments = sa.Table(
    "partner_attachments",
    metadata,
    sa.Column("partner_id", sa.String(40), sa.ForeignKey("partner_units.id"), primary_key=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), primary_key=True),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False, index=True),
    sa.Column("actor_kind", sa.String(16), nullable=False),
    sa.Column("actor_id", sa.String(60), nullable=False, index=True),
    # no index: the only filter on it is a prefix LIKE, which no B-tree serves (migration 0011)
    sa.Column("operation", sa.String(80), nullable=False),
    sa.Column("objects", sa.Text, nullable=False),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    # the writer stream whose chain the row continues, and the row's hash (domain/chain.py)
    sa.Column("chain", sa.String(40)),
    sa.Column("chain_hash", sa.String(64)),
)
make_append_only(audit_log)

access_log = sa.Table(
    "access_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False, index=True),
    sa.Column("actor_kind", sa.String(16), nullable=False),
    sa.Column("actor_id", sa.String(60), nullable=False, index=True),
    sa.Column("action", sa.String(80), nullable=False),
    sa.Column("target", sa.String(120), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)
make_append_only(access_log)
