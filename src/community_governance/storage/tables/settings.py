"""Facts about the database itself (数据库设置): one row per name.

``data_key_fingerprint`` records that the database is sealed (ID and phone numbers encrypted
with a county key) and which key seals it: a fingerprint derived from the key, never the key.
Opening the database without a key, or with another key, is then refused with a clear error.
"""

from __future__ import annotations

import sqlalchemy as sa

from community_governance.storage.tables._base import metadata

database_settings = sa.Table(
    "database_settings",
    metadata,
    sa.Column("name", sa.String(80), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)
