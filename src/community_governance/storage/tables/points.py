"""Volunteers, the points journal (积分流水), the points supermarket (积分超市) and the charity
supermarket (爱心超市).

Residents are referenced by ``residents.id`` only, so that erasing a resident's personal data
leaves every ledger balanced. The journals (points entries, stock moves, redemptions,
give-outs) are append-only in the database itself; balances and stock are guarded by CHECK
constraints as the last line of defence behind the guarded UPDATEs of the services.
"""

from __future__ import annotations

import sqlalchemy as sa

from community_governance.storage.tables._base import UTCDateTime, make_append_only, metadata

# --- volunteers -------------------------------------------------------------------------------

volunteers = sa.Table(
    "volunteers",
    metadata,
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), primary_key=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("skills", sa.Text, nullable=False, server_default="", info={"personal": True}),
    sa.Column("availability", sa.Text, nullable=False, server_default="",
              info={"personal": True}),
    sa.Column("registered_on", sa.Date, nullable=False),
)

volunteer_orgs = sa.Table(
    "volunteer_orgs",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("unit_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("category", sa.String(40), nullable=False),
)

volunteer_memberships = sa.Table(
    "volunteer_memberships",
    metadata,
    sa.Column("org_id", sa.String(40), sa.ForeignKey("volunteer_orgs.id"), primary_key=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), primary_key=True,
              index=True),
    sa.Column("since", sa.Date, nullable=False),
)

volunteer_trainings = sa.Table(
    "volunteer_trainings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False,
              index=True),
    sa.Column("title", sa.String(200), nullable=False, info={"personal": True}),
    sa.Column("on", sa.Date, nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("org_id", sa.String(40), sa.ForeignKey("volunteer_orgs.id")),
    sa.CheckConstraint("minutes > 0", name="minutes_positive"),
)

activities = sa.Table(
    "activities",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("unit_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("community_code", sa.String(24), nullable=False, index=True),
    sa.Column("category", sa.String(40), nullable=False),
    sa.Column("place", sa.String(200), nullable=False),
    sa.Column("start", UTCDateTime, nullable=False),
    sa.Column("end", UTCDateTime, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("org_id", sa.String(40), sa.ForeignKey("volunteer_orgs.id")),
    sa.Column("organiser", sa.String(200), nullable=False, server_default=""),
    sa.Column("signed_up", sa.Integer, nullable=False, server_default="0"),
    sa.CheckConstraint("capacity > 0", name="capacity_positive"),
    sa.CheckConstraint("signed_up >= 0 AND signed_up <= capacity", name="signed_up_in_capacity"),
)

activity_signups = sa.Table(
    "activity_signups",
    metadata,
    sa.Column("activity_id", sa.String(40), sa.ForeignKey("activities.id"), primary_key=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False),
)

#: Service records (服务记录): one row per volunteer and activity.
activity_attendance = sa.Table(
    "activity_attendance",
    metadata,
    sa.Column("activity_id", sa.String(40), sa.ForeignKey("activities.id"), primary_key=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), primary_key=True,
              index=True),
    sa.Column("community_code", sa.String(24), nullable=False),  # the resident's
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("month", sa.String(7), nullable=False, index=True),
    sa.Column("category", sa.String(40), nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("entry_id", sa.Integer),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.CheckConstraint("points >= 0", name="points_not_negative"),
)
make_append_only(activity_attendance)

# --- the points journal -----------------------------------------------------------------------

points_entries = sa.Table(
    "points_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False,
              index=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("amount", sa.Integer, nullable=False),
    sa.Column("balance_after", sa.Integer, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("month", sa.String(7), nullable=False),
    # no index (migration 0011): only reports and expiry filter on it, and they aggregate the
    # journal anyway (the report's scope test wraps it in COALESCE/LIKE, which no index serves)
    sa.Column("community_code", sa.String(24)),
    sa.Column("idempotency_key", sa.String(120), nullable=False, unique=True),
    sa.Column("request", sa.String(32), nullable=False),
    # at most one reversal per entry: a partial unique index (below) that only reversals enter
    sa.Column("reverses_id", sa.Integer, sa.ForeignKey("points_entries.id")),
    sa.Column("activity_id", sa.String(40)),
    sa.Column("reason", sa.String(200), nullable=False, server_default=""),
    sa.Column("actor", sa.String(80), nullable=False),
    # SHA-256 of the previous entry's hash (same resident) and this row (domain/chain.py)
    sa.Column("chain_hash", sa.String(64)),
    sa.CheckConstraint("amount <> 0", name="amount_not_zero"),
    sa.CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
    sa.CheckConstraint("kind IN ('earn', 'redeem', 'expire', 'reverse')", name="kind_known"),
)
make_append_only(points_entries)
#: One reversal per entry. Partial: earns and redeems (``reverses_id`` NULL) never enter it, so
#: the hot path writes no page of it (migration 0011; it was a UNIQUE constraint over every row).
sa.Index("ix_points_entries_reverses_id", points_entries.c.reverses_id, unique=True,
         sqlite_where=points_entries.c.reverses_id.is_not(None),
         postgresql_where=points_entries.c.reverses_id.is_not(None))

points_balances = sa.Table(
    "points_balances",
    metadata,
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), primary_key=True),
    sa.Column("balance", sa.Integer, nullable=False),
    # the hash of the resident's last journal entry (the head of their chain)
    sa.Column("chain_head", sa.String(64), nullable=False, server_default=""),
    sa.CheckConstraint("balance >= 0", name="balance_not_negative"),
)

#: Awards waiting for a second person's confirmation (积分复核): above the county's threshold
#: (``cgov_points_award_threshold``). Confirming writes the journal entry; the row keeps who
#: asked, who decided and when.
points_pending = sa.Table(
    "points_pending",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False),
    sa.Column("community_code", sa.String(24)),
    sa.Column("amount", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(200), nullable=False, server_default="",
              info={"personal": True}),  # free text about the resident: erased
    sa.Column("idempotency_key", sa.String(120), nullable=False, unique=True),
    sa.Column("request", sa.String(32), nullable=False),
    sa.Column("rule", sa.String(200), nullable=False),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("requested_by", sa.String(80), nullable=False),
    sa.Column("requested_at", UTCDateTime, nullable=False),
    sa.Column("decided_by", sa.String(80)),
    sa.Column("decided_at", UTCDateTime),
    sa.Column("note", sa.String(200), nullable=False, server_default="",
              info={"personal": True}),
    sa.Column("entry_id", sa.Integer, sa.ForeignKey("points_entries.id")),
    sa.CheckConstraint("amount > 0", name="amount_positive"),
    sa.CheckConstraint("state IN ('pending', 'confirmed', 'rejected')", name="state_known"),
)

# --- the points supermarket -------------------------------------------------------------------

supermarket_items = sa.Table(
    "supermarket_items",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("price_points", sa.Integer, nullable=False),
    sa.Column("stock", sa.Integer, nullable=False, server_default="0"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.CheckConstraint("price_points > 0", name="price_positive"),
    sa.CheckConstraint("stock >= 0", name="stock_not_negative"),
)

stock_moves = sa.Table(
    "stock_moves",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.String(40), sa.ForeignKey("supermarket_items.id"), nullable=False,
              index=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("delta", sa.Integer, nullable=False),
    sa.Column("stock_after", sa.Integer, nullable=False),
    sa.Column("community_code", sa.String(24), nullable=False),
    sa.Column("month", sa.String(7), nullable=False, index=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("idempotency_key", sa.String(120), unique=True),
    sa.CheckConstraint("stock_after >= 0", name="stock_after_not_negative"),
)
make_append_only(stock_moves)

redemptions = sa.Table(
    "redemptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("idempotency_key", sa.String(120), nullable=False, unique=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False,
              index=True),
    sa.Column("item_id", sa.String(40), sa.ForeignKey("supermarket_items.id"), nullable=False,
              index=True),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("entry_id", sa.Integer, sa.ForeignKey("points_entries.id"), nullable=False,
              unique=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    sa.CheckConstraint("points > 0", name="points_positive"),
)
make_append_only(redemptions)

# --- the charity supermarket ------------------------------------------------------------------

charity_donations = sa.Table(
    "charity_donations",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("donor", sa.String(200), nullable=False),
    sa.Column("category", sa.String(40), nullable=False),
    sa.Column("condition", sa.String(16), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("estimated_value_fen", sa.BigInteger, nullable=False),
    sa.Column("received_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    sa.CheckConstraint("estimated_value_fen >= 0", name="value_not_negative"),
)

charity_lots = sa.Table(
    "charity_lots",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("donation_id", sa.String(40), sa.ForeignKey("charity_donations.id"),
              nullable=False, index=True),
    sa.Column("community_code", sa.String(24), nullable=False, index=True),
    sa.Column("category", sa.String(40), nullable=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("condition", sa.String(16), nullable=False),
    sa.Column("quantity_sorted", sa.Integer, nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_value_fen", sa.BigInteger, nullable=False),
    sa.CheckConstraint("quantity >= 0 AND quantity <= quantity_sorted", name="quantity_in_range"),
)

charity_give_outs = sa.Table(
    "charity_give_outs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("idempotency_key", sa.String(120), nullable=False, unique=True),
    sa.Column("request", sa.String(32), nullable=False),
    sa.Column("lot_id", sa.String(40), sa.ForeignKey("charity_lots.id"), nullable=False,
              index=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False,
              index=True),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("month", sa.String(7), nullable=False),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
)
make_append_only(charity_give_outs)
