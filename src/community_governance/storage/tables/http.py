"""The HTTP API's own bookkeeping (接口服务记录): the answers kept for ``Idempotency-Key``
retries and the request counts of the rate limit, in the database so that every worker
process of a server (and every server on the same database) shares them."""

from __future__ import annotations

import sqlalchemy as sa

from community_governance.storage.tables._base import UTCDateTime, metadata

#: One row per (actor, key): the request's fingerprint and, once it finished, its answer.
#: The answer is erased with the resident it was for; rows are kept a day.
http_idempotency = sa.Table(
    "http_idempotency",
    metadata,
    sa.Column("principal", sa.String(80), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False, index=True),
    sa.Column("status", sa.Integer, nullable=True),
    sa.Column("response", sa.Text, nullable=True, info={"personal": True}),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=True,
              index=True),
)

#: Requests per client (a digest of its bearer token, or its address) and minute.
http_rate_limits = sa.Table(
    "http_rate_limits",
    metadata,
    sa.Column("bucket", sa.String(80), primary_key=True),
    sa.Column("minute", sa.Integer, primary_key=True),
    sa.Column("hits", sa.Integer, nullable=False),
    sa.Index("ix_http_rate_limits_minute", "minute"),
)
