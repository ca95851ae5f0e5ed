"""Budget reservations of the funds ledger (预算占用): an amount of an expense account's budget
for a year set aside for one purpose (a purchase-of-services project), so it cannot be spent
twice, and the disbursements drawn on it."""

from __future__ import annotations

import sqlalchemy as sa

from community_governance.storage.tables._base import UTCDateTime, metadata

funds_reservations = sa.Table(
    "funds_reservations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("account", sa.String(16), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("purpose", sa.String(200), nullable=False),
    # who holds it, e.g. ``tender_project:P-2019-01``
    sa.Column("ref", sa.String(80), nullable=False, unique=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(80), nullable=False),
    sa.Column("released_at", UTCDateTime),
    sa.CheckConstraint("amount_fen > 0", name="positive"),
)

#: Disbursements drawn on a reservation (one reservation per disbursement).
funds_reservation_draws = sa.Table(
    "funds_reservation_draws",
    metadata,
    sa.Column("disbursement_id", sa.Integer, sa.ForeignKey("funds_disbursements.id"),
              primary_key=True),
    sa.Column("reservation_id", sa.Integer, sa.ForeignKey("funds_reservations.id"),
              nullable=False, index=True),
)
