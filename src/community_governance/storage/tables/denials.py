"""The log of refused attempts (拒绝访问日志): one row per refusal, bounded per hour.

``access_denials`` holds the refusals that were written out (append-only);
``access_denial_counts`` counts every attempt per hour and actor (and, under the actor
``*:*``, every attempt of the hour), with how many of them were written out, so that the
refusals the bound suppressed stay visible as a number. See
:mod:`community_governance.services.denials` for the bound.
"""

from __future__ import annotations

import sqlalchemy as sa

from community_governance.storage.tables._base import UTCDateTime, make_append_only, metadata

access_denials = sa.Table(
    "access_denials",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False, index=True),
    sa.Column("actor_kind", sa.String(16), nullable=False),
    sa.Column("actor_id", sa.String(60), nullable=False, index=True),
    sa.Column("operation", sa.String(80), nullable=False),
    sa.Column("action", sa.String(80), nullable=False),
    sa.Column("target", sa.String(120), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)
make_append_only(access_denials)

access_denial_counts = sa.Table(
    "access_denial_counts",
    metadata,
    sa.Column("hour", UTCDateTime, primary_key=True),
    sa.Column("actor_kind", sa.String(16), primary_key=True),
    sa.Column("actor_id", sa.String(60), primary_key=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("logged", sa.Integer, nullable=False),
)
