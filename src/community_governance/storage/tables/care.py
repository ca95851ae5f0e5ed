"""Care tables: care needs, cadre assignments, weather alerts, visit rounds, tasks, visits, help
requests and holiday invitations (关爱困难群众).

Columns that say something about a resident's circumstances are marked personal: erasing the
resident blanks them (the rows stay, so coverage reports keep their counts).
"""

from __future__ import annotations

import sqlalchemy as sa

from community_governance.storage.tables._base import UTCDateTime, metadata

_ERASED = "（内容已删除：居民的个人信息已注销）"

care_needs = sa.Table(
    "care_needs",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False,
              index=True),
    sa.Column("community_code", sa.String(24), nullable=False, index=True),
    sa.Column("category", sa.String(40), nullable=False,
              info={"personal": True, "erased_as": ""}),
    sa.Column("start", sa.Date, nullable=False),
    sa.Column("end", sa.Date),
    # sealed with the personal-data cipher
    sa.Column("evidence", sa.Text, nullable=False, server_default="",
              info={"personal": True, "erased_as": ""}),
    sa.Column("visibility", sa.String(16), nullable=False),
    sa.Column("recorded_by", sa.String(80), nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
)

care_assignments = sa.Table(
    "care_assignments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False,
              index=True),
    sa.Column("post_id", sa.String(40), sa.ForeignKey("posts.id"), nullable=False, index=True),
    sa.Column("cadre_id", sa.String(40), nullable=False, index=True),
    sa.Column("community_code", sa.String(24), nullable=False, index=True),
    sa.Column("start", sa.Date, nullable=False),
    sa.Column("end", sa.Date),
    sa.Column("note", sa.String(200), nullable=False, server_default="",
              info={"personal": True}),
)
# one open assignment per resident
sa.Index("uq_care_assignments_open", care_assignments.c.resident_id, unique=True,
         sqlite_where=care_assignments.c.end.is_(None),
         postgresql_where=care_assignments.c.end.is_(None))

care_alerts = sa.Table(
    "care_alerts",
    metadata,
    sa.Column("id", sa.String(60), primary_key=True),
    sa.Column("place", sa.String(24), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("issued_at", UTCDateTime, nullable=False),
    sa.Column("source", sa.String(120), nullable=False, server_default=""),
    sa.Column("recorded_by", sa.String(80), nullable=False),
)

care_rounds = sa.Table(
    "care_rounds",
    metadata,
    sa.Column("id", sa.String(60), primary_key=True),
    sa.Column("community_code", sa.String(24), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("festival", sa.String(24)),
    sa.Column("alert_id", sa.String(60), sa.ForeignKey("care_alerts.id")),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.Column("gift", sa.String(40), nullable=False, server_default=""),
    # where the gifts came from: a charity lot, or a disbursement request of the care fund
    sa.Column("lot_id", sa.String(40)),
    sa.Column("disbursement_id", sa.Integer),
    sa.Column("gift_cost_fen", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("fund_account", sa.String(16)),
    sa.Column("planned_at", UTCDateTime, nullable=False),
)

care_tasks = sa.Table(
    "care_tasks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("round_id", sa.String(60), sa.ForeignKey("care_rounds.id"), nullable=False,
              index=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False,
              index=True),
    sa.Column("cadre_id", sa.String(40), nullable=False, index=True),
    sa.Column("grid_code", sa.String(24)),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.UniqueConstraint("round_id", "resident_id", name="uq_care_tasks_round_resident"),
)

care_visits = sa.Table(
    "care_visits",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # one record per task: two cadres recording the same task at once get one row
    sa.Column("task_id", sa.Integer, sa.ForeignKey("care_tasks.id"), unique=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False,
              index=True),
    sa.Column("community_code", sa.String(24), nullable=False, index=True),
    sa.Column("visitor_id", sa.String(40), nullable=False, index=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("needs", sa.Text, nullable=False, server_default="",
              info={"personal": True, "erased_as": _ERASED}),
    sa.Column("stand_in", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("case_id", sa.String(40)),
    sa.Column("give_out_id", sa.Integer),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
)

care_help_requests = sa.Table(
    "care_help_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False,
              index=True),
    sa.Column("cadre_id", sa.String(40), nullable=False, index=True),
    sa.Column("community_code", sa.String(24), nullable=False, index=True),
    sa.Column("case_id", sa.String(40), nullable=False),
    sa.Column("urgency", sa.String(16), nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.Column("summary", sa.Text, nullable=False, server_default="",
              info={"personal": True, "erased_as": _ERASED}),
)

# Invitations to spend a holiday at the community (节日邀请): the event itself is a culture
# event of the community (邻里活动, ``culture_events``); who was invited, the answer and who came
# are here, one row per resident and event.
care_invitations = sa.Table(
    "care_invitations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(40), sa.ForeignKey("culture_events.id"), nullable=False,
              index=True),
    sa.Column("occasion", sa.String(16), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("community_code", sa.String(24), nullable=False, index=True),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False,
              index=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("invited_at", UTCDateTime, nullable=False),
    sa.Column("rsvp", sa.String(8), nullable=False),
    sa.Column("rsvp_at", UTCDateTime),
    sa.Column("attended", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("attendance_recorded_at", UTCDateTime),
    sa.Column("recorded_by", sa.String(80), nullable=False),
    sa.UniqueConstraint("event_id", "resident_id", name="uq_care_invitations_event_resident"),
)
