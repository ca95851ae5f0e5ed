"""social organizations (社会组织): lifecycle, evaluations, supervision, staff and training

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 17:00:00

Issue #14 items 2 and 3. Numbered 0013 while 0012 is written on another branch: the merge
rechains it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import community_governance.storage.tables._base
from community_governance.storage.tables._base import append_only_ddl

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

#: the journals the database itself keeps append-only
JOURNALS = (
    "social_org_transitions",
    "social_org_records",
    "social_org_evaluations",
    "social_org_trainings",
)


def upgrade() -> None:
    op.create_table(
        "social_orgs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("community_code", sa.String(length=24), nullable=False),
        sa.Column("subdistrict_code", sa.String(length=24), nullable=False),
        sa.Column("stage", sa.String(length=24), nullable=False),
        sa.Column("incubator_id", sa.String(length=40), nullable=True),
        sa.Column("hatched_on", sa.Date(), nullable=True),
        sa.Column("registered", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("members", sa.Integer(), server_default="0", nullable=False),
        sa.Column("volunteer_org_id", sa.String(length=40), nullable=True),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        sa.Column("stage_since", sa.Date(), nullable=False),
        sa.Column("grade", sa.String(length=4), nullable=True),
        sa.Column("score_tenths", sa.Integer(), nullable=True),
        sa.Column("graded_on", sa.Date(), nullable=True),
        sa.Column("grade_valid_until", sa.Date(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at", community_governance.storage.tables._base.UTCDateTime(), nullable=False
        ),
        sa.CheckConstraint("members >= 0", name=op.f("ck_social_orgs_members_not_negative")),
        sa.ForeignKeyConstraint(
            ["community_code"], ["units.code"], name=op.f("fk_social_orgs_community_code_units")
        ),
        sa.ForeignKeyConstraint(
            ["incubator_id"],
            ["social_orgs.id"],
            name=op.f("fk_social_orgs_incubator_id_social_orgs"),
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_org_id"],
            ["volunteer_orgs.id"],
            name=op.f("fk_social_orgs_volunteer_org_id_volunteer_orgs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_orgs")),
    )
    op.create_index(
        op.f("ix_social_orgs_community_code"), "social_orgs", ["community_code"], unique=False
    )
    op.create_index(
        op.f("ix_social_orgs_incubator_id"), "social_orgs", ["incubator_id"], unique=False
    )
    op.create_index(op.f("ix_social_orgs_kind"), "social_orgs", ["kind"], unique=False)
    op.create_index(op.f("ix_social_orgs_stage"), "social_orgs", ["stage"], unique=False)
    op.create_table(
        "social_org_evaluations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("round", sa.String(length=20), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("evaluators", sa.Text(), nullable=False),
        sa.Column("score_tenths", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=4), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("lines", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", community_governance.storage.tables._base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["social_orgs.id"],
            name=op.f("fk_social_org_evaluations_org_id_social_orgs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_org_evaluations")),
    )
    op.create_index(
        op.f("ix_social_org_evaluations_org_id"), "social_org_evaluations", ["org_id"], unique=False
    )
    op.create_table(
        "social_org_findings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("found_on", sa.Date(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("deadline_provisional", sa.Boolean(), server_default=sa.false(),
                  nullable=False),
        sa.Column("rectified_on", sa.Date(), nullable=True),
        sa.Column("follow_up", sa.Text(), server_default="", nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", community_governance.storage.tables._base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["social_orgs.id"], name=op.f("fk_social_org_findings_org_id_social_orgs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_org_findings")),
    )
    op.create_index(
        op.f("ix_social_org_findings_deadline"), "social_org_findings", ["deadline"], unique=False
    )
    op.create_index(
        op.f("ix_social_org_findings_org_id"), "social_org_findings", ["org_id"], unique=False
    )
    op.create_table(
        "social_org_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", community_governance.storage.tables._base.UTCDateTime(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["social_orgs.id"], name=op.f("fk_social_org_records_org_id_social_orgs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_org_records")),
        sa.UniqueConstraint("org_id", "kind", "code", name="uq_social_org_records_org_kind_code"),
    )
    op.create_table(
        "social_org_staff",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=60), nullable=False),
        sa.Column("full_time", sa.Boolean(), nullable=False),
        sa.Column("from_university", sa.Boolean(), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=True),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["social_orgs.id"], name=op.f("fk_social_org_staff_org_id_social_orgs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_org_staff")),
    )
    op.create_index(
        op.f("ix_social_org_staff_org_id"), "social_org_staff", ["org_id"], unique=False
    )
    op.create_index(
        op.f("ix_social_org_staff_person_id"), "social_org_staff", ["person_id"], unique=False
    )
    op.create_table(
        "social_org_transitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=24), nullable=False),
        sa.Column("from_stage", sa.String(length=24), nullable=True),
        sa.Column("to_stage", sa.String(length=24), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", community_governance.storage.tables._base.UTCDateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["social_orgs.id"],
            name=op.f("fk_social_org_transitions_org_id_social_orgs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_org_transitions")),
        sa.UniqueConstraint("org_id", "seq", name="uq_social_org_transitions_org_seq"),
    )
    op.create_index(
        op.f("ix_social_org_transitions_day"), "social_org_transitions", ["day"], unique=False
    )
    op.create_table(
        "social_org_trainings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("subsidy_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("disbursement_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("hours > 0", name=op.f("ck_social_org_trainings_hours_positive")),
        sa.CheckConstraint(
            "subsidy_fen >= 0", name=op.f("ck_social_org_trainings_subsidy_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["disbursement_id"],
            ["funds_disbursements.id"],
            name=op.f("fk_social_org_trainings_disbursement_id_funds_disbursements"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["social_org_staff.id"],
            name=op.f("fk_social_org_trainings_staff_id_social_org_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_org_trainings")),
    )
    op.create_index(
        op.f("ix_social_org_trainings_staff_id"), "social_org_trainings", ["staff_id"], unique=False
    )

    dialect = op.get_bind().dialect.name
    for table in JOURNALS:
        for stmt in append_only_ddl(table).get(dialect, []):
            op.execute(stmt)


def downgrade() -> None:
    op.drop_index(op.f("ix_social_org_trainings_staff_id"), table_name="social_org_trainings")
    op.drop_table("social_org_trainings")
    op.drop_index(op.f("ix_social_org_transitions_day"), table_name="social_org_transitions")
    op.drop_table("social_org_transitions")
    op.drop_index(op.f("ix_social_org_staff_person_id"), table_name="social_org_staff")
    op.drop_index(op.f("ix_social_org_staff_org_id"), table_name="social_org_staff")
    op.drop_table("social_org_staff")
    op.drop_table("social_org_records")
    op.drop_index(op.f("ix_social_org_findings_org_id"), table_name="social_org_findings")
    op.drop_index(op.f("ix_social_org_findings_deadline"), table_name="social_org_findings")
    op.drop_table("social_org_findings")
    op.drop_index(op.f("ix_social_org_evaluations_org_id"), table_name="social_org_evaluations")
    op.drop_table("social_org_evaluations")
    op.drop_index(op.f("ix_social_orgs_stage"), table_name="social_orgs")
    op.drop_index(op.f("ix_social_orgs_kind"), table_name="social_orgs")
    op.drop_index(op.f("ix_social_orgs_incubator_id"), table_name="social_orgs")
    op.drop_index(op.f("ix_social_orgs_community_code"), table_name="social_orgs")
    op.drop_table("social_orgs")
