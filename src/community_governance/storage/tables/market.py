"""Market tables (市场主体): companies and their contracts per compound, owners' committees and
their votes counted by area and headcount, the 三供一业 handover per compound and supply, the
catalogue of community services with their fees, paid-service income and funding agreements
(each receipt a transaction of the funds ledger).

Areas are integer hundredths of a square metre (``*_area_c``), money integer fen (``*_fen``).
"""

from __future__ import annotations

import sqlalchemy as sa

from community_governance.storage.tables._base import UTCDateTime, metadata

market_actors = sa.Table(
    "market_actors",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("county_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kinds", sa.String(200), nullable=False),  # comma-separated ServiceKind values
    sa.Column("credit_code", sa.String(18), unique=True),
    # a property company's record as a partner unit: its 物业党组织 hangs there
    sa.Column("partner_id", sa.String(40), sa.ForeignKey("partner_units.id"), unique=True),
    sa.Column("registered_at", UTCDateTime, nullable=False),
)

market_contracts = sa.Table(
    "market_contracts",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("company_id", sa.String(40), sa.ForeignKey("market_actors.id"), nullable=False,
              index=True),
    sa.Column("compound_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("service", sa.String(32), nullable=False),
    sa.Column("start", sa.Date, nullable=False),
    sa.Column("end", sa.Date),
    sa.Column("fee_fen", sa.BigInteger, nullable=False),
    sa.Column("basis", sa.String(24), nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("fee_fen >= 0", name="fee_not_negative"),
)

market_committees = sa.Table(
    "market_committees",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("compound_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("guided_by", sa.String(24), sa.ForeignKey("units.code"), nullable=False),
    sa.Column("elected_on", sa.Date, nullable=False),
    sa.Column("term_start", sa.Date, nullable=False),
    sa.Column("term_end", sa.Date, nullable=False),
    sa.Column("vote_id", sa.String(40), sa.ForeignKey("market_owner_votes.id"), unique=True),
)

market_committee_members = sa.Table(
    "market_committee_members",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("committee_id", sa.String(40), sa.ForeignKey("market_committees.id"),
              nullable=False, index=True),
    # a public office, blanked with the resident's erasure (services/privacy.py)
    sa.Column("name", sa.String(100), nullable=False,
              info={"personal": True, "erased_as": "（已注销）"}),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), index=True),
)

#: An owners' vote (业主共同决定): the counts only, by area and by headcount; no ballot rows.
market_owner_votes = sa.Table(
    "market_owner_votes",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("compound_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("matter", sa.String(32), nullable=False),
    sa.Column("held_on", sa.Date, nullable=False),
    sa.Column("total_area_c", sa.BigInteger, nullable=False),
    sa.Column("total_owners", sa.Integer, nullable=False),
    sa.Column("voting_area_c", sa.BigInteger, nullable=False),
    sa.Column("voting_owners", sa.Integer, nullable=False),
    sa.Column("for_area_c", sa.BigInteger, nullable=False),
    sa.Column("for_owners", sa.Integer, nullable=False),
    sa.Column("quorate", sa.Boolean, nullable=False),
    sa.Column("carried", sa.Boolean, nullable=False),
    sa.Column("rule", sa.String(300), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False, server_default=""),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
)

market_handovers = sa.Table(
    "market_handovers",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("compound_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("utility", sa.String(16), nullable=False),
    sa.Column("from_party", sa.String(200), nullable=False),
    sa.Column("to_party", sa.String(200), nullable=False),
    sa.Column("handed_over_on", sa.Date, nullable=False),
    sa.Column("households", sa.Integer, nullable=False),
    sa.Column("subsidy_fen", sa.BigInteger, nullable=False),  # per household and year
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("compound_code", "utility", name="one_per_supply"),
    sa.CheckConstraint("households > 0", name="households_positive"),
    sa.CheckConstraint("subsidy_fen >= 0", name="subsidy_not_negative"),
)

#: Cases tagged to a handover compound (a case in one of its buildings counts without a tag).
market_handover_cases = sa.Table(
    "market_handover_cases",
    metadata,
    sa.Column("case_id", sa.String(40), sa.ForeignKey("cases.id"), primary_key=True),
    sa.Column("compound_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
)

market_services = sa.Table(
    "market_services",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(32)),
    sa.Column("fee_fen", sa.BigInteger, nullable=False),
    sa.Column("unit", sa.String(20), nullable=False),
    sa.Column("provider_id", sa.String(40), sa.ForeignKey("market_actors.id")),
    sa.CheckConstraint("fee_fen >= 0", name="fee_not_negative"),
)

#: Paid-service income: each row is a transaction of the funds ledger (channel paid_service).
market_service_income = sa.Table(
    "market_service_income",
    metadata,
    sa.Column("transaction_id", sa.Integer, sa.ForeignKey("funds_transactions.id"),
              primary_key=True),
    sa.Column("service_id", sa.String(40), sa.ForeignKey("market_services.id"), nullable=False,
              index=True),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("date", sa.Date, nullable=False),
)

market_agreements = sa.Table(
    "market_agreements",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("party_kind", sa.String(16), nullable=False),
    # an individual's name: personal (shown only with consent)
    sa.Column("party_name", sa.String(200), nullable=False),
    sa.Column("consent", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("signed_on", sa.Date, nullable=False),
    sa.Column("purpose", sa.String(200), nullable=False, server_default=""),
    sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
)

#: Money received under an agreement: each row is a transaction of the funds ledger.
market_agreement_receipts = sa.Table(
    "market_agreement_receipts",
    metadata,
    sa.Column("transaction_id", sa.Integer, sa.ForeignKey("funds_transactions.id"),
              primary_key=True),
    sa.Column("agreement_id", sa.String(40), sa.ForeignKey("market_agreements.id"),
              nullable=False, index=True),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("date", sa.Date, nullable=False),
)
