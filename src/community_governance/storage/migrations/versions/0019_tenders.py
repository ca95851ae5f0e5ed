"""government purchase of services (政府购买服务): needs, projects, tenders, bids, scoring,
awards, objections, contracts, acceptances, payments; budget reservations of the funds ledger

Revision ID: 0019
Revises: 0020
Create Date: 2026-12-03 10:00:00

Issue #15 items 1 and 2. Numbered 0019 while other branches write their own: the merge
rechains it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import community_governance.storage.tables._base
from community_governance.storage.tables._base import append_only_ddl

revision = "0019"
down_revision = "0020"
branch_labels = None
depends_on = None

#: the journals the database itself keeps append-only
JOURNALS = (
    "tender_lot_transitions",
    "tender_bids",
    "tender_openings",
    "tender_scores",
    "tender_acceptances",
    "tender_payments",
    "tender_performance",
)


def upgrade() -> None:
    op.create_table(
        "funds_reservations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("community_code", sa.String(length=24), nullable=False),
        sa.Column("account", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("ref", sa.String(length=80), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column(
            "created_at", community_governance.storage.tables._base.UTCDateTime(), nullable=False
        ),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column(
            "released_at", community_governance.storage.tables._base.UTCDateTime(), nullable=True
        ),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_funds_reservations_positive")),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["units.code"],
            name=op.f("fk_funds_reservations_community_code_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funds_reservations")),
        sa.UniqueConstraint("ref", name=op.f("uq_funds_reservations_ref")),
    )
    op.create_index(
        op.f("ix_funds_reservations_community_code"),
        "funds_reservations",
        ["community_code"],
        unique=False,
    )
    op.create_table(
        "tender_needs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("unit_code", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("estimate_fen", sa.BigInteger(), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", community_governance.storage.tables._base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_code"], ["units.code"], name=op.f("fk_tender_needs_unit_code_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_needs")),
    )
    op.create_index(op.f("ix_tender_needs_unit_code"), "tender_needs", ["unit_code"], unique=False)
    op.create_table(
        "tender_projects",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("need_id", sa.String(length=40), nullable=False),
        sa.Column("community_code", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("budget_fen", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("reservation_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", community_governance.storage.tables._base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_code"], ["units.code"], name=op.f("fk_tender_projects_community_code_units")
        ),
        sa.ForeignKeyConstraint(
            ["need_id"], ["tender_needs.id"], name=op.f("fk_tender_projects_need_id_tender_needs")
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["funds_reservations.id"],
            name=op.f("fk_tender_projects_reservation_id_funds_reservations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_projects")),
        sa.UniqueConstraint("need_id", name=op.f("uq_tender_projects_need_id")),
    )
    op.create_index(
        op.f("ix_tender_projects_community_code"),
        "tender_projects",
        ["community_code"],
        unique=False,
    )
    op.create_table(
        "funds_reservation_draws",
        sa.Column("disbursement_id", sa.Integer(), nullable=False),
        sa.Column("reservation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["disbursement_id"],
            ["funds_disbursements.id"],
            name=op.f("fk_funds_reservation_draws_disbursement_id_funds_disbursements"),
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["funds_reservations.id"],
            name=op.f("fk_funds_reservation_draws_reservation_id_funds_reservations"),
        ),
        sa.PrimaryKeyConstraint("disbursement_id", name=op.f("pk_funds_reservation_draws")),
    )
    op.create_index(
        op.f("ix_funds_reservation_draws_reservation_id"),
        "funds_reservation_draws",
        ["reservation_id"],
        unique=False,
    )
    op.create_table(
        "tender_notices",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("procedure", sa.String(length=32), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column(
            "deadline", community_governance.storage.tables._base.UTCDateTime(), nullable=False
        ),
        sa.Column(
            "deadline_provisional", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", community_governance.storage.tables._base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["tender_projects.id"],
            name=op.f("fk_tender_notices_project_id_tender_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_notices")),
    )
    op.create_index(
        op.f("ix_tender_notices_project_id"), "tender_notices", ["project_id"], unique=False
    )
    op.create_table(
        "tender_lots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tender_id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("budget_fen", sa.BigInteger(), nullable=False),
        sa.Column("kinds", sa.String(length=200), server_default="", nullable=False),
        sa.Column("min_grade", sa.String(length=4), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("winner_bid_id", sa.Integer(), nullable=True),
        sa.Column("awarded_on", sa.Date(), nullable=True),
        sa.Column("standstill_until", sa.Date(), nullable=True),
        sa.Column(
            "standstill_provisional", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at", community_governance.storage.tables._base.UTCDateTime(), nullable=False
        ),
        sa.CheckConstraint("budget_fen > 0", name=op.f("ck_tender_lots_positive")),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["tender_notices.id"],
            name=op.f("fk_tender_lots_tender_id_tender_notices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_lots")),
        sa.UniqueConstraint("tender_id", "number", name="uq_tender_lots_tender_number"),
    )
    op.create_index(op.f("ix_tender_lots_status"), "tender_lots", ["status"], unique=False)
    op.create_table(
        "tender_panel",
        sa.Column("tender_id", sa.String(length=40), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("declared", sa.Text(), server_default="", nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", community_governance.storage.tables._base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["tender_notices.id"],
            name=op.f("fk_tender_panel_tender_id_tender_notices"),
        ),
        sa.PrimaryKeyConstraint("tender_id", "member_id", name=op.f("pk_tender_panel")),
    )
    op.create_table(
        "tender_bids",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column(
            "received_at", community_governance.storage.tables._base.UTCDateTime(), nullable=False
        ),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["tender_lots.id"], name=op.f("fk_tender_bids_lot_id_tender_lots")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["social_orgs.id"], name=op.f("fk_tender_bids_org_id_social_orgs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_bids")),
        sa.UniqueConstraint("commitment", name=op.f("uq_tender_bids_commitment")),
        sa.UniqueConstraint("lot_id", "org_id", name="uq_tender_bids_lot_org"),
    )
    op.create_index(op.f("ix_tender_bids_org_id"), "tender_bids", ["org_id"], unique=False)
    op.create_table(
        "tender_contracts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", community_governance.storage.tables._base.UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_tender_contracts_positive")),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["tender_lots.id"], name=op.f("fk_tender_contracts_lot_id_tender_lots")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["social_orgs.id"], name=op.f("fk_tender_contracts_org_id_social_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["tender_projects.id"],
            name=op.f("fk_tender_contracts_project_id_tender_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_contracts")),
        sa.UniqueConstraint("lot_id", name=op.f("uq_tender_contracts_lot_id")),
    )
    op.create_index(
        op.f("ix_tender_contracts_org_id"), "tender_contracts", ["org_id"], unique=False
    )
    op.create_index(
        op.f("ix_tender_contracts_project_id"), "tender_contracts", ["project_id"], unique=False
    )
    op.create_table(
        "tender_lot_transitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=24), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", community_governance.storage.tables._base.UTCDateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["tender_lots.id"],
            name=op.f("fk_tender_lot_transitions_lot_id_tender_lots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_lot_transitions")),
        sa.UniqueConstraint("lot_id", "seq", name="uq_tender_lot_transitions_lot_seq"),
    )
    op.create_table(
        "tender_objections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("against_bid_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("upheld", sa.Boolean(), nullable=True),
        sa.Column("reply", sa.Text(), server_default="", nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", community_governance.storage.tables._base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["against_bid_id"],
            ["tender_bids.id"],
            name=op.f("fk_tender_objections_against_bid_id_tender_bids"),
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["tender_lots.id"], name=op.f("fk_tender_objections_lot_id_tender_lots")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["social_orgs.id"], name=op.f("fk_tender_objections_org_id_social_orgs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_objections")),
    )
    op.create_index(
        op.f("ix_tender_objections_lot_id"), "tender_objections", ["lot_id"], unique=False
    )
    op.create_table(
        "tender_acceptances",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.String(length=40), nullable=False),
        sa.Column("deliverable", sa.String(length=40), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", community_governance.storage.tables._base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["tender_contracts.id"],
            name=op.f("fk_tender_acceptances_contract_id_tender_contracts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_acceptances")),
        sa.UniqueConstraint(
            "contract_id", "deliverable", name="uq_tender_acceptances_contract_deliverable"
        ),
    )
    op.create_table(
        "tender_openings",
        sa.Column("bid_id", sa.Integer(), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("at", community_governance.storage.tables._base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bid_id"], ["tender_bids.id"], name=op.f("fk_tender_openings_bid_id_tender_bids")
        ),
        sa.PrimaryKeyConstraint("bid_id", name=op.f("pk_tender_openings")),
    )
    op.create_table(
        "tender_payments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("disbursement_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("deliverable", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", community_governance.storage.tables._base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["tender_contracts.id"],
            name=op.f("fk_tender_payments_contract_id_tender_contracts"),
        ),
        sa.ForeignKeyConstraint(
            ["disbursement_id"],
            ["funds_disbursements.id"],
            name=op.f("fk_tender_payments_disbursement_id_funds_disbursements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_payments")),
        sa.UniqueConstraint("disbursement_id", name=op.f("uq_tender_payments_disbursement_id")),
    )
    op.create_index(
        op.f("ix_tender_payments_contract_id"), "tender_payments", ["contract_id"], unique=False
    )
    op.create_table(
        "tender_performance",
        sa.Column("contract_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("evaluators", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", community_governance.storage.tables._base.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "score >= 0 AND score <= 100", name=op.f("ck_tender_performance_score_range")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["tender_contracts.id"],
            name=op.f("fk_tender_performance_contract_id_tender_contracts"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["social_orgs.id"], name=op.f("fk_tender_performance_org_id_social_orgs")
        ),
        sa.PrimaryKeyConstraint("contract_id", name=op.f("pk_tender_performance")),
    )
    op.create_index(
        op.f("ix_tender_performance_org_id"), "tender_performance", ["org_id"], unique=False
    )
    op.create_table(
        "tender_scores",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bid_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("criterion", sa.String(length=40), nullable=False),
        sa.Column("hundredths", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", community_governance.storage.tables._base.UTCDateTime(), nullable=False),
        sa.CheckConstraint("hundredths >= 0", name=op.f("ck_tender_scores_not_negative")),
        sa.ForeignKeyConstraint(
            ["bid_id"], ["tender_bids.id"], name=op.f("fk_tender_scores_bid_id_tender_bids")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_scores")),
        sa.UniqueConstraint(
            "bid_id", "member_id", "criterion", name="uq_tender_scores_bid_member_criterion"
        ),
    )

    dialect = op.get_bind().dialect.name
    for table in JOURNALS:
        for stmt in append_only_ddl(table).get(dialect, []):
            op.execute(stmt)


def downgrade() -> None:
    op.drop_table("tender_scores")
    op.drop_index(op.f("ix_tender_performance_org_id"), table_name="tender_performance")
    op.drop_table("tender_performance")
    op.drop_index(op.f("ix_tender_payments_contract_id"), table_name="tender_payments")
    op.drop_table("tender_payments")
    op.drop_table("tender_openings")
    op.drop_table("tender_acceptances")
    op.drop_index(op.f("ix_tender_objections_lot_id"), table_name="tender_objections")
    op.drop_table("tender_objections")
    op.drop_table("tender_lot_transitions")
    op.drop_index(op.f("ix_tender_contracts_project_id"), table_name="tender_contracts")
    op.drop_index(op.f("ix_tender_contracts_org_id"), table_name="tender_contracts")
    op.drop_table("tender_contracts")
    op.drop_index(op.f("ix_tender_bids_org_id"), table_name="tender_bids")
    op.drop_table("tender_bids")
    op.drop_table("tender_panel")
    op.drop_index(op.f("ix_tender_lots_status"), table_name="tender_lots")
    op.drop_table("tender_lots")
    op.drop_index(op.f("ix_tender_notices_project_id"), table_name="tender_notices")
    op.drop_table("tender_notices")
    op.drop_index(
        op.f("ix_funds_reservation_draws_reservation_id"), table_name="funds_reservation_draws"
    )
    op.drop_table("funds_reservation_draws")
    op.drop_index(op.f("ix_tender_projects_community_code"), table_name="tender_projects")
    op.drop_table("tender_projects")
    op.drop_index(op.f("ix_tender_needs_unit_code"), table_name="tender_needs")
    op.drop_table("tender_needs")
    op.drop_index(op.f("ix_funds_reservations_community_code"), table_name="funds_reservations")
    op.drop_table("funds_reservations")
