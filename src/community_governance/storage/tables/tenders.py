"""Purchase-of-services tables (政府购买服务): needs, projects, tender notices, lots and their
append-only journal, sealed bids, opening results, the panel and its scores, objections,
contracts, acceptances, payments and performance evaluations.

Bids, opening results, scores, acceptances and evaluations are append-only: the database
refuses to change them, and every bid carries the commitment published when it was received.
"""

from __future__ import annotations

import sqlalchemy as sa

from community_governance.storage.tables._base import UTCDateTime, make_append_only, metadata

tender_needs = sa.Table(
    "tender_needs",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("unit_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("category", sa.String(40), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("estimate_fen", sa.BigInteger, nullable=False),
    sa.Column("raised_on", sa.Date, nullable=False),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

tender_projects = sa.Table(
    "tender_projects",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("need_id", sa.String(40), sa.ForeignKey("tender_needs.id"), nullable=False,
              unique=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("category", sa.String(40), nullable=False),
    sa.Column("budget_fen", sa.BigInteger, nullable=False),
    sa.Column("account", sa.String(16), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("reservation_id", sa.Integer, sa.ForeignKey("funds_reservations.id"),
              nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_on", sa.Date, nullable=False),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

tender_notices = sa.Table(
    "tender_notices",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("project_id", sa.String(40), sa.ForeignKey("tender_projects.id"), nullable=False,
              index=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("procedure", sa.String(32), nullable=False),
    # the procedure's rules and the criteria as JSON, as they were at publication
    sa.Column("rules", sa.Text, nullable=False),
    sa.Column("criteria", sa.Text, nullable=False),
    sa.Column("published_on", sa.Date, nullable=False),
    sa.Column("deadline", UTCDateTime, nullable=False),
    sa.Column("deadline_provisional", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

tender_lots = sa.Table(
    "tender_lots",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tender_id", sa.String(40), sa.ForeignKey("tender_notices.id"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("budget_fen", sa.BigInteger, nullable=False),
    sa.Column("kinds", sa.String(200), nullable=False, server_default=""),
    sa.Column("min_grade", sa.String(4)),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("winner_bid_id", sa.Integer),
    sa.Column("awarded_on", sa.Date),
    sa.Column("standstill_until", sa.Date),
    sa.Column("standstill_provisional", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("tender_id", "number", name="uq_tender_lots_tender_number"),
    sa.CheckConstraint("budget_fen > 0", name="positive"),
)

tender_lot_transitions = sa.Table(
    "tender_lot_transitions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("lot_id", sa.Integer, sa.ForeignKey("tender_lots.id"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("event", sa.String(24), nullable=False),
    sa.Column("from_status", sa.String(16)),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    # one row per step: of two concurrent transitions of one lot only one is written
    sa.UniqueConstraint("lot_id", "seq", name="uq_tender_lot_transitions_lot_seq"),
)
make_append_only(tender_lot_transitions)

tender_bids = sa.Table(
    "tender_bids",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("lot_id", sa.Integer, sa.ForeignKey("tender_lots.id"), nullable=False),
    sa.Column("org_id", sa.String(40), sa.ForeignKey("social_orgs.id"), nullable=False,
              index=True),
    sa.Column("received_at", UTCDateTime, nullable=False),
    # the canonical sealed bid, the nonce and SHA-256(nonce, newline, sealed bid)
    sa.Column("sealed", sa.Text, nullable=False),
    sa.Column("nonce", sa.String(64), nullable=False),
    sa.Column("commitment", sa.String(64), nullable=False, unique=True),
    sa.Column("tier", sa.Integer, nullable=False),
    sa.Column("actor", sa.String(80), nullable=False),
    # one bid per bidder per lot
    sa.UniqueConstraint("lot_id", "org_id", name="uq_tender_bids_lot_org"),
)
make_append_only(tender_bids)

#: What the opening found for each bid (开标记录).
tender_openings = sa.Table(
    "tender_openings",
    metadata,
    sa.Column("bid_id", sa.Integer, sa.ForeignKey("tender_bids.id"), primary_key=True),
    sa.Column("valid", sa.Boolean, nullable=False),
    sa.Column("price_fen", sa.BigInteger),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("at", UTCDateTime, nullable=False),
)
make_append_only(tender_openings)

tender_panel = sa.Table(
    "tender_panel",
    metadata,
    sa.Column("tender_id", sa.String(40), sa.ForeignKey("tender_notices.id"),
              primary_key=True),
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, info={"personal": True}),
    # organizations the member declared a tie with, comma-separated keys
    sa.Column("declared", sa.Text, nullable=False, server_default=""),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

tender_scores = sa.Table(
    "tender_scores",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("bid_id", sa.Integer, sa.ForeignKey("tender_bids.id"), nullable=False),
    sa.Column("member_id", sa.String(40), nullable=False),
    sa.Column("criterion", sa.String(40), nullable=False),
    sa.Column("hundredths", sa.Integer, nullable=False),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("bid_id", "member_id", "criterion",
                        name="uq_tender_scores_bid_member_criterion"),
    sa.CheckConstraint("hundredths >= 0", name="not_negative"),
)
make_append_only(tender_scores)

tender_objections = sa.Table(
    "tender_objections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("lot_id", sa.Integer, sa.ForeignKey("tender_lots.id"), nullable=False,
              index=True),
    sa.Column("org_id", sa.String(40), sa.ForeignKey("social_orgs.id"), nullable=False),
    # the winning bid objected to (disqualified when the objection is upheld)
    sa.Column("against_bid_id", sa.Integer, sa.ForeignKey("tender_bids.id"), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("filed_on", sa.Date, nullable=False),
    sa.Column("upheld", sa.Boolean),
    sa.Column("reply", sa.Text, nullable=False, server_default=""),
    sa.Column("answered_on", sa.Date),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

tender_contracts = sa.Table(
    "tender_contracts",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("lot_id", sa.Integer, sa.ForeignKey("tender_lots.id"), nullable=False,
              unique=True),
    sa.Column("project_id", sa.String(40), sa.ForeignKey("tender_projects.id"),
              nullable=False, index=True),
    sa.Column("org_id", sa.String(40), sa.ForeignKey("social_orgs.id"), nullable=False,
              index=True),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("signed_on", sa.Date, nullable=False),
    sa.Column("start", sa.Date, nullable=False),
    sa.Column("end", sa.Date, nullable=False),
    # deliverables and instalments as JSON
    sa.Column("terms", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.CheckConstraint("amount_fen > 0", name="positive"),
)

tender_acceptances = sa.Table(
    "tender_acceptances",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("contract_id", sa.String(40), sa.ForeignKey("tender_contracts.id"),
              nullable=False),
    sa.Column("deliverable", sa.String(40), nullable=False),
    sa.Column("accepted_on", sa.Date, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("contract_id", "deliverable",
                        name="uq_tender_acceptances_contract_deliverable"),
)
make_append_only(tender_acceptances)

tender_payments = sa.Table(
    "tender_payments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("contract_id", sa.String(40), sa.ForeignKey("tender_contracts.id"),
              nullable=False, index=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("disbursement_id", sa.Integer, sa.ForeignKey("funds_disbursements.id"),
              nullable=False, unique=True),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("deliverable", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)
make_append_only(tender_payments)

tender_performance = sa.Table(
    "tender_performance",
    metadata,
    sa.Column("contract_id", sa.String(40), sa.ForeignKey("tender_contracts.id"),
              primary_key=True),
    sa.Column("org_id", sa.String(40), sa.ForeignKey("social_orgs.id"), nullable=False,
              index=True),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("on", sa.Date, nullable=False),
    sa.Column("evaluators", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
)
make_append_only(tender_performance)
