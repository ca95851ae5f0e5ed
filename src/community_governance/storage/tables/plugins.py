"""Plugin tables: how long each plugin's hooks took (插件耗时统计), kept across processes.

Each :class:`~community_governance.Governance` adds the calls it timed to ``plugin_timings``
when it is closed, so ``cgov plugins list --timings --db URL`` shows the figures of every
process that used the store.
"""

from __future__ import annotations

import sqlalchemy as sa

from community_governance.storage.tables._base import UTCDateTime, metadata

plugin_timings = sa.Table(
    "plugin_timings",
    metadata,
    sa.Column("hook", sa.String(80), primary_key=True),
    sa.Column("plugin", sa.String(200), primary_key=True),
    sa.Column("calls", sa.BigInteger, nullable=False),
    sa.Column("total_ms", sa.Float, nullable=False),
    sa.Column("max_ms", sa.Float, nullable=False),
    sa.Column("slow", sa.BigInteger, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)
