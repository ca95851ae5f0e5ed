"""Party-building tables (党建引领): partner organizations' hosts, members' registrations where
they live, consent to show identity, 党员中心户 links, and residents' evaluation of members.

The evaluation keeps THAT a resident voted (``evaluation_participation``) apart from WHAT was
voted (``evaluation_tallies``: counts per member and grade, no resident, no time, no row per
ballot), so that nobody holding the database can join the two.
"""

from __future__ import annotations

import sqlalchemy as sa

from community_governance.storage.tables._base import UTCDateTime, metadata

#: The partner unit (物业公司 or 共建单位) whose own organization a party organization is.
party_org_partners = sa.Table(
    "party_org_partners",
    metadata,
    sa.Column("org_id", sa.String(40), sa.ForeignKey("party_orgs.id"), primary_key=True),
    sa.Column("partner_id", sa.String(40), sa.ForeignKey("partner_units.id"), nullable=False,
              index=True),
)

#: 在职党员到社区报到: a member who works at a partner unit registers where they live.
party_reports = sa.Table(
    "party_reports",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False,
              index=True),
    sa.Column("partner_id", sa.String(40), sa.ForeignKey("partner_units.id"), nullable=False),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("reported_on", sa.Date, nullable=False),
    # ended with the resident's erasure (services/privacy.py)
    sa.Column("end", sa.Date, info={"ends_with_resident": True}),
)

#: 党员亮身份: the member's consent to be shown on their building's public board.
party_identity_consents = sa.Table(
    "party_identity_consents",
    metadata,
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), primary_key=True),
    sa.Column("shown", sa.Boolean, nullable=False, info={"personal": True, "erased_as": False}),
    sa.Column("since", sa.Date, nullable=False),
)

#: The households a 党员中心户 (a post) links.
party_centre_links = sa.Table(
    "party_centre_links",
    metadata,
    sa.Column("post_id", sa.String(40), sa.ForeignKey("posts.id"), primary_key=True),
    sa.Column("household_id", sa.String(48), sa.ForeignKey("households.id"), primary_key=True),
    sa.Column("start", sa.Date, primary_key=True),
    sa.Column("end", sa.Date),
)

evaluation_rounds = sa.Table(
    "evaluation_rounds",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("electorate", sa.String(16), nullable=False),
    sa.Column("grades", sa.Text, nullable=False),  # newline-separated, best first
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("min_ballots", sa.Integer),
    sa.Column("opened_at", UTCDateTime, nullable=False),
)

#: The members a round evaluates, with the unit whose residents may evaluate them.
evaluation_subjects = sa.Table(
    "evaluation_subjects",
    metadata,
    sa.Column("round_id", sa.String(40), sa.ForeignKey("evaluation_rounds.id"),
              primary_key=True),
    sa.Column("member_id", sa.String(40), sa.ForeignKey("residents.id"), primary_key=True),
    sa.Column("unit_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False),
)

#: THAT a resident evaluated a member: no grade, no time (one per resident and member).
evaluation_participation = sa.Table(
    "evaluation_participation",
    metadata,
    sa.Column("round_id", sa.String(40), primary_key=True),
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("voter_id", sa.String(40), sa.ForeignKey("residents.id"), primary_key=True),
    sa.ForeignKeyConstraint(["round_id", "member_id"],
                            ["evaluation_subjects.round_id", "evaluation_subjects.member_id"]),
)

#: WHAT was voted: counts per member and grade. Every row exists from the round's opening
#: (count 0), a ballot adds one in place: no voter, no time, no row per ballot, no order.
evaluation_tallies = sa.Table(
    "evaluation_tallies",
    metadata,
    sa.Column("round_id", sa.String(40), primary_key=True),
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("grade", sa.String(20), primary_key=True),
    sa.Column("ballots", sa.Integer, nullable=False),
    sa.ForeignKeyConstraint(["round_id", "member_id"],
                            ["evaluation_subjects.round_id", "evaluation_subjects.member_id"]),
    sa.CheckConstraint("ballots >= 0", name="ballots_not_negative"),
)

evaluation_appeals = sa.Table(
    "evaluation_appeals",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("round_id", sa.String(40), sa.ForeignKey("evaluation_rounds.id"), nullable=False,
              index=True),
    sa.Column("member_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False,
              index=True),
    sa.Column("reason", sa.Text, nullable=False, info={"personal": True}),
    sa.Column("filed_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("decision", sa.Text, nullable=False, server_default="", info={"personal": True}),
    sa.Column("decided_on", sa.Date),
)


# --- the consultative council (协商议事会) ------------------------------------------------------

council_members = sa.Table(
    "council_members",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("seat", sa.String(16), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("start", sa.Date, nullable=False),
    sa.Column("end", sa.Date, info={"ends_with_resident": True}),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), index=True),
)

council_topics = sa.Table(
    "council_topics",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    # a resident's own words: erased with the resident who raised the topic
    sa.Column("title", sa.String(200), nullable=False,
              info={"personal": True, "erased_as": "（已删除）"}),
    sa.Column("raised_by", sa.String(40), sa.ForeignKey("residents.id"), nullable=False),
    sa.Column("raised_on", sa.Date, nullable=False),
)

council_topic_supporters = sa.Table(
    "council_topic_supporters",
    metadata,
    sa.Column("topic_id", sa.String(40), sa.ForeignKey("council_topics.id"), primary_key=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), primary_key=True),
)

council_meetings = sa.Table(
    "council_meetings",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("title", sa.String(200), nullable=False),
    # "council" (协商议事会) or "joint" (联席会议 of the general committee and partner units)
    sa.Column("kind", sa.String(16), nullable=False, server_default="council"),
    sa.Column("held_on", sa.Date, nullable=False),
    sa.Column("minutes", sa.Text, nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
)

council_attendance = sa.Table(
    "council_attendance",
    metadata,
    sa.Column("meeting_id", sa.String(40), sa.ForeignKey("council_meetings.id"),
              primary_key=True),
    sa.Column("member_id", sa.String(40), sa.ForeignKey("council_members.id"),
              primary_key=True),
)

council_motions = sa.Table(
    "council_motions",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("meeting_id", sa.String(40), sa.ForeignKey("council_meetings.id"),
              nullable=False, index=True),
    sa.Column("topic_id", sa.String(40), sa.ForeignKey("council_topics.id")),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("roster", sa.Integer, nullable=False),
    sa.Column("present", sa.Integer, nullable=False),
    sa.Column("votes_for", sa.Integer, nullable=False),
    sa.Column("against", sa.Integer, nullable=False),
    sa.Column("abstain", sa.Integer, nullable=False),
    sa.Column("carried", sa.Boolean, nullable=False),
    sa.Column("rule", sa.String(200), nullable=False),
)

#: Council votes are open (记名表决): each member's choice is kept.
council_votes = sa.Table(
    "council_votes",
    metadata,
    sa.Column("motion_id", sa.String(40), sa.ForeignKey("council_motions.id"),
              primary_key=True),
    sa.Column("member_id", sa.String(40), sa.ForeignKey("council_members.id"),
              primary_key=True),
    sa.Column("choice", sa.String(8), nullable=False),
)

council_decisions = sa.Table(
    "council_decisions",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("motion_id", sa.String(40), sa.ForeignKey("council_motions.id"), nullable=False,
              unique=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("owner", sa.String(40), nullable=False),
    sa.Column("decided_on", sa.Date, nullable=False),
    sa.Column("due", sa.Date, nullable=False),
    sa.Column("completed_on", sa.Date),
)


# --- community-affairs disclosure (社区事务公开) ------------------------------------------------

affairs_postings = sa.Table(
    "affairs_postings",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # redacted when posted
    sa.Column("source", sa.String(80), nullable=False),  # e.g. council_decision:D-1
    sa.Column("posted_on", sa.Date, nullable=False),
    sa.Column("until", sa.Date, nullable=False),  # the last day of the 公示期
    sa.Column("posted_at", UTCDateTime, nullable=False),
)

affairs_acknowledgements = sa.Table(
    "affairs_acknowledgements",
    metadata,
    sa.Column("posting_id", sa.String(40), sa.ForeignKey("affairs_postings.id"),
              primary_key=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), primary_key=True),
)

affairs_objections = sa.Table(
    "affairs_objections",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("posting_id", sa.String(40), sa.ForeignKey("affairs_postings.id"),
              nullable=False, index=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False,
              index=True),
    sa.Column("text", sa.Text, nullable=False, info={"personal": True}),
    sa.Column("filed_on", sa.Date, nullable=False),
    sa.Column("answer", sa.Text, nullable=False, server_default="", info={"personal": True}),
    sa.Column("answered_on", sa.Date),
)
