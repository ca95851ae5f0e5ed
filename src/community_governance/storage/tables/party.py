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
    # residents, party, partner, property or owners_committee (the body represented)
    sa.Column("seat", sa.String(16), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("start", sa.Date, nullable=False),
    sa.Column("end", sa.Date, info={"ends_with_resident": True}),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), index=True),
    # the key of the body represented (a partner unit, an owners' committee...), no foreign key:
    # the body may live in a capability installed later
    sa.Column("body_id", sa.String(40)),
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


# --- 座谈会 of grid party group leaders and 党员中心户 (issue #16 item 3) -----------------------

party_symposia = sa.Table(
    "party_symposia",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("held_on", sa.Date, nullable=False),
    sa.Column("minutes", sa.Text, nullable=False),  # as recorded; redacted on every way out
    sa.Column("recorded_at", UTCDateTime, nullable=False),
)

#: Who attended a 座谈会, and as what (``group_leader`` or ``centre_household``).
party_symposium_attendance = sa.Table(
    "party_symposium_attendance",
    metadata,
    sa.Column("symposium_id", sa.String(40), sa.ForeignKey("party_symposia.id"),
              primary_key=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), primary_key=True),
    sa.Column("role", sa.String(24), nullable=False),
)

#: A suggestion made at a 座谈会 and the action it is followed to (owner, deadline, done).
party_symposium_actions = sa.Table(
    "party_symposium_actions",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("symposium_id", sa.String(40), sa.ForeignKey("party_symposia.id"),
              nullable=False, index=True),
    # the attendee's own words: erased with the attendee who made the suggestion
    sa.Column("suggestion", sa.Text, nullable=False,
              info={"personal": True, "erased_as": "（已删除）"}),
    sa.Column("raised_by", sa.String(40), sa.ForeignKey("residents.id"), index=True),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("owner", sa.String(40), nullable=False),
    sa.Column("working_days", sa.Integer, nullable=False),
    sa.Column("due", sa.Date, nullable=False),
    sa.Column("completed_on", sa.Date),
)


# --- festival visits to outstanding members by the county leaders who partner a community ------

#: 联系社区的县级领导: a county leader (a staff member) who partners a community for a term.
county_leader_links = sa.Table(
    "county_leader_links",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("leader_id", sa.String(40), sa.ForeignKey("staff.id"), nullable=False,
              index=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("title", sa.String(100), nullable=False),  # the office, e.g. 县委副书记
    sa.Column("start", sa.Date, nullable=False),
    sa.Column("end", sa.Date),
)

#: A member's designation as outstanding (e.g. 优秀共产党员), by the general committee.
party_designations = sa.Table(
    "party_designations",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False,
              index=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("awarded_on", sa.Date, nullable=False),
    sa.Column("end", sa.Date, info={"ends_with_resident": True}),
)

#: A festival visit (节日走访慰问) of a county leader to an outstanding member: one per member,
#: festival and year.
festival_visits = sa.Table(
    "festival_visits",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("leader_id", sa.String(40), sa.ForeignKey("staff.id"), nullable=False,
              index=True),
    sa.Column("member_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("festival", sa.String(16), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("visited_on", sa.Date, nullable=False),
    sa.Column("reason", sa.String(16), nullable=False),  # evaluation or designation
    sa.Column("note", sa.Text, nullable=False, server_default="", info={"personal": True}),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("member_id", "festival", "year", name="uq_festival_visits_member"),
)


# --- the council's agenda and the decisions' referrals (issue #16 item 4) ----------------------

#: An item of a meeting's agenda (议程), in order, linked to a topic or to a motion.
council_agenda_items = sa.Table(
    "council_agenda_items",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("meeting_id", sa.String(40), sa.ForeignKey("council_meetings.id"),
              nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False, server_default="ordinary"),
    sa.Column("topic_id", sa.String(40), sa.ForeignKey("council_topics.id")),
    # the key of the motion voted under the item (the motion exists once voted)
    sa.Column("motion_id", sa.String(40), unique=True),
    sa.UniqueConstraint("meeting_id", "position", name="uq_council_agenda_items_position"),
)

#: Members who stand aside from an item (回避: a conflict of interest): off its roster.
council_agenda_recusals = sa.Table(
    "council_agenda_recusals",
    metadata,
    sa.Column("item_id", sa.String(40), sa.ForeignKey("council_agenda_items.id"),
              primary_key=True),
    sa.Column("member_id", sa.String(40), sa.ForeignKey("council_members.id"),
              primary_key=True),
)

#: What a decision was referred to: a case (事务), a disbursement request (支出申请) or a
#: community-affairs posting (公开事项), each created from the decision without retyping.
council_decision_links = sa.Table(
    "council_decision_links",
    metadata,
    sa.Column("decision_id", sa.String(40), sa.ForeignKey("council_decisions.id"),
              primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("ref", sa.String(40), primary_key=True),
    sa.Column("linked_on", sa.Date, nullable=False),
)
