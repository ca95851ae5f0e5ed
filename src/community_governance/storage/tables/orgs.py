"""Social-organization tables (社会组织): organizations, their append-only lifecycle journal,
the requirements they met, evaluations, supervision findings, staff and their trainings."""

from __future__ import annotations

import sqlalchemy as sa

from community_governance.storage.tables._base import UTCDateTime, make_append_only, metadata

social_orgs = sa.Table(
    "social_orgs",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False, index=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("subdistrict_code", sa.String(24), nullable=False),
    sa.Column("stage", sa.String(24), nullable=False, index=True),
    sa.Column("incubator_id", sa.String(40), sa.ForeignKey("social_orgs.id"), index=True),
    sa.Column("hatched_on", sa.Date),
    sa.Column("registered", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("members", sa.Integer, nullable=False, server_default="0"),
    sa.Column("volunteer_org_id", sa.String(40), sa.ForeignKey("volunteer_orgs.id")),
    sa.Column("proposed_on", sa.Date, nullable=False),
    sa.Column("stage_since", sa.Date, nullable=False),
    sa.Column("grade", sa.String(4)),
    # the score in tenths of a point (the scale is 1,000 points)
    sa.Column("score_tenths", sa.Integer),
    sa.Column("graded_on", sa.Date),
    sa.Column("grade_valid_until", sa.Date),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("members >= 0", name="members_not_negative"),
)

social_org_transitions = sa.Table(
    "social_org_transitions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("org_id", sa.String(40), sa.ForeignKey("social_orgs.id"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("event", sa.String(24), nullable=False),
    sa.Column("from_stage", sa.String(24)),
    sa.Column("to_stage", sa.String(24), nullable=False),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("day", sa.Date, nullable=False, index=True),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    # one row per step: two concurrent transitions of one organization cannot both be written
    sa.UniqueConstraint("org_id", "seq", name="uq_social_org_transitions_org_seq"),
)
make_append_only(social_org_transitions)

#: Milestones reached, documents submitted, checklist items met (one row each, append-only).
social_org_records = sa.Table(
    "social_org_records",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("org_id", sa.String(40), sa.ForeignKey("social_orgs.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("code", sa.String(40), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.UniqueConstraint("org_id", "kind", "code", name="uq_social_org_records_org_kind_code"),
)
make_append_only(social_org_records)

social_org_evaluations = sa.Table(
    "social_org_evaluations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("org_id", sa.String(40), sa.ForeignKey("social_orgs.id"), nullable=False,
              index=True),
    sa.Column("round", sa.String(20), nullable=False),
    sa.Column("on", sa.Date, nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("evaluators", sa.Text, nullable=False),
    sa.Column("score_tenths", sa.Integer, nullable=False),
    sa.Column("grade", sa.String(4)),
    sa.Column("valid_until", sa.Date, nullable=False),
    # the lines as JSON: [[code, name, weight, source, evidence or null, score], ...]
    sa.Column("lines", sa.Text, nullable=False),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)
make_append_only(social_org_evaluations)

social_org_findings = sa.Table(
    "social_org_findings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("org_id", sa.String(40), sa.ForeignKey("social_orgs.id"), nullable=False,
              index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("found_on", sa.Date, nullable=False),
    sa.Column("working_days", sa.Integer, nullable=False),
    sa.Column("deadline", sa.Date, nullable=False, index=True),
    # counted on a provisional calendar year (no official notice yet)
    sa.Column("deadline_provisional", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("rectified_on", sa.Date),
    sa.Column("follow_up", sa.Text, nullable=False, server_default=""),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

social_org_staff = sa.Table(
    "social_org_staff",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("org_id", sa.String(40), sa.ForeignKey("social_orgs.id"), nullable=False,
              index=True),
    sa.Column("name", sa.String(100), nullable=False, info={"personal": True}),
    sa.Column("role", sa.String(60), nullable=False),
    sa.Column("full_time", sa.Boolean, nullable=False),
    sa.Column("from_university", sa.Boolean, nullable=False),
    sa.Column("person_id", sa.String(40), index=True),
    sa.Column("joined_on", sa.Date, nullable=False),
    sa.Column("left_on", sa.Date),
)

social_org_trainings = sa.Table(
    "social_org_trainings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("staff_id", sa.Integer, sa.ForeignKey("social_org_staff.id"), nullable=False,
              index=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("on", sa.Date, nullable=False),
    sa.Column("hours", sa.Integer, nullable=False),
    sa.Column("subsidy_fen", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("disbursement_id", sa.Integer, sa.ForeignKey("funds_disbursements.id")),
    sa.CheckConstraint("hours > 0", name="hours_positive"),
    sa.CheckConstraint("subsidy_fen >= 0", name="subsidy_not_negative"),
)
make_append_only(social_org_trainings)
