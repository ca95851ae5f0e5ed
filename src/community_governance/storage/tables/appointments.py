"""Service centre tables: centres, appointments (预约), proxy and home-visit requests."""

from __future__ import annotations

import sqlalchemy as sa

from community_governance.storage.tables._base import UTCDateTime, make_append_only, metadata

service_centres = sa.Table(
    "service_centres",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("community_code", sa.String(24), sa.ForeignKey("units.code"), nullable=False,
              index=True),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("hours", sa.Text, nullable=False),  # OpeningHours as JSON
    sa.Column("seats", sa.Integer, nullable=False),
    sa.Column("slot_minutes", sa.Integer, nullable=False),
    sa.Column("address", sa.String(200), nullable=False, server_default=""),
    sa.Column("phone", sa.String(40), nullable=False, server_default=""),
)

appointments = sa.Table(
    "appointments",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("centre_id", sa.String(40), sa.ForeignKey("service_centres.id"), nullable=False),
    sa.Column("slot_start", UTCDateTime, nullable=False),
    sa.Column("seat", sa.Integer, nullable=False),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False,
              index=True),
    sa.Column("matter_code", sa.String(16)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("booked_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default="", info={"personal": True}),
    sa.CheckConstraint("seat >= 1", name="seat_positive"),
)
# No double booking: a live appointment holds its (centre, slot, seat), and a resident holds at
# most one live appointment per centre and slot. Cancelled ones free the seat.
sa.Index("uq_appointments_live_seat", appointments.c.centre_id, appointments.c.slot_start,
         appointments.c.seat, unique=True,
         sqlite_where=appointments.c.status == "booked",
         postgresql_where=appointments.c.status == "booked")
sa.Index("uq_appointments_live_resident", appointments.c.centre_id, appointments.c.slot_start,
         appointments.c.resident_id, unique=True,
         sqlite_where=appointments.c.status == "booked",
         postgresql_where=appointments.c.status == "booked")

assisted_services = sa.Table(
    "assisted_services",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("resident_id", sa.String(40), sa.ForeignKey("residents.id"), nullable=False,
              index=True),
    sa.Column("building_code", sa.String(24), nullable=False, index=True),
    sa.Column("matter_code", sa.String(16)),
    sa.Column("description", sa.Text, nullable=False,
              info={"personal": True, "erased_as": "（内容已删除：居民的个人信息已注销）"}),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("staff_id", sa.String(40), index=True),
    sa.Column("requested_at", UTCDateTime, nullable=False),
    sa.Column("due", sa.Date),
    # the due day was counted through a provisional year (no official notice yet)
    sa.Column("due_provisional", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("outcome", sa.Text, nullable=False, server_default="", info={"personal": True}),
)

assist_events = sa.Table(
    "assist_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(40), sa.ForeignKey("assisted_services.id"),
              nullable=False, index=True),
    sa.Column("event", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
)
make_append_only(assist_events)
