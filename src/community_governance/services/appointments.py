"""Service centres, appointments (预约办理), proxy handling (民事代办) and home visits (上门办理).

Reached as ``gov.appointments``. Slots follow each centre's opening hours on working days or
rest days of the official calendar. No double booking, even under concurrency: a live
appointment holds a ``(centre, slot, seat)`` under a partial UNIQUE index, and a resident holds
at most one live appointment per centre and slot; a booking tries the seats in order inside a
savepoint, so two processes racing for the last seat get one seat and one refusal.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import TYPE_CHECKING, Any

import pendulum
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain.access import Action, Actor, ActorKind, Principal, Target, can
from community_governance.domain.actions import COMMUNITY_OFFICE, HIGHER_OFFICE, LOCAL_POSTS
from community_governance.domain.appointments import (
    Appointment,
    AppointmentStatus,
    AssistEvent,
    AssistKind,
    AssistRequest,
    AssistStatus,
    OpeningHours,
    ServiceCentre,
    Slot,
    next_assist_status,
)
from community_governance.domain.pii_text import mask_personal_numbers
from community_governance.domain.posts import PostKind
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.plugins import working_day_calendar
from community_governance.services.base import (
    Operation,
    Service,
    county_days_utc,
    load_posts,
    utc_instant,
)
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import appointments as at
from community_governance.storage.tables import core as t

if TYPE_CHECKING:
    from community_governance.calendars import WorkingDayCalendar

__all__ = [
    "APPOINTMENT_BOOK",
    "APPOINTMENT_MANAGE",
    "ASSIST_HANDLE",
    "ASSIST_REQUEST",
    "CENTRE_WRITE",
    "AppointmentsService",
]

#: Set up a community's service centres.
CENTRE_WRITE = Action("centre.write", roles=COMMUNITY_OFFICE | HIGHER_OFFICE)
#: Book or cancel an appointment: for oneself, or staff for a resident in scope.
APPOINTMENT_BOOK = Action("appointment.book", roles=COMMUNITY_OFFICE | HIGHER_OFFICE |
                          LOCAL_POSTS, self_service=True, personal=True)
#: Record attendance and see a centre's bookings.
APPOINTMENT_MANAGE = Action("appointment.manage", roles=COMMUNITY_OFFICE | HIGHER_OFFICE,
                            personal=True)
#: Ask for proxy handling or a home visit: the resident, or staff near them.
ASSIST_REQUEST = Action("assist.request", roles=COMMUNITY_OFFICE | HIGHER_OFFICE | LOCAL_POSTS,
                        self_service=True, personal=True)
#: Assign proxy/home-visit requests and record their outcome.
ASSIST_HANDLE = Action("assist.handle", roles=COMMUNITY_OFFICE | HIGHER_OFFICE | frozenset(
    {PostKind.ASSIGNED_CADRE, PostKind.GRID_LEADER}), personal=True)

_LIVE = AppointmentStatus.BOOKED.value


def _hours_json(hours: OpeningHours) -> str:
    return json.dumps(hours.as_strings())


def _hours(text: str) -> OpeningHours:
    data = json.loads(text)
    return OpeningHours(data["working_days"], data["rest_days"])


class AppointmentsService(Service):
    """Service centres, appointments, proxy handling and home visits.

    Reached as ``gov.appointments``.
    """

    def _calendar(self, place: str | None = None) -> WorkingDayCalendar:
        """The working-day calendar of the county of ``place`` from the hooks (asked once per
        service and county; ``None``: the national calendar)."""
        county = place[:6] if place else None
        cache: dict[str | None, WorkingDayCalendar] = self.__dict__.setdefault("_calendars", {})
        found = cache.get(county)
        if found is None:
            found = cache[county] = working_day_calendar(self._hooks, county)
        return found

    # ------------------------------------------------------------------ centres

    def add_centre(self, actor: Actor, centre: ServiceCentre) -> ServiceCentre:
        """Register a service centre of a community.

        Raises:
            NotFound: the community does not exist.
            ConflictError: the id is taken.
        """
        with self._write(actor, "appointments.add_centre") as op:
            kind = op.uow.conn.execute(sa.select(t.units.c.kind).where(
                t.units.c.code == centre.community_code)).scalar_one_or_none()
            if kind != "community":
                raise NotFound("community", centre.community_code)
            op.require(CENTRE_WRITE, Target("centre", centre.id, unit_code=centre.community_code))
            try:
                op.uow.conn.execute(at.service_centres.insert().values(
                    id=centre.id, community_code=centre.community_code, kind=centre.kind.value,
                    name=centre.name, hours=_hours_json(centre.hours), seats=centre.seats,
                    slot_minutes=centre.slot_minutes, address=centre.address,
                    phone=centre.phone))
            except IntegrityError:
                raise ConflictError(f"service centre {centre.id} exists already") from None
            op.touch("centre", centre.id)
            return centre

    def centres(self, community: str | None = None) -> list[ServiceCentre]:
        """Service centres (public facts), optionally of one community."""
        q = sa.select(at.service_centres).order_by(at.service_centres.c.id)
        if community is not None:
            q = q.where(at.service_centres.c.community_code == community)
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(q).all()
        return [self._centre(r) for r in rows]

    @staticmethod
    def _centre(r: Any) -> ServiceCentre:
        return ServiceCentre(r.id, r.community_code, r.kind, r.name, _hours(r.hours), r.seats,
                             r.slot_minutes, r.address, r.phone)

    def _centre_row(self, op: Operation, centre_id: str) -> Any:
        row = op.uow.conn.execute(sa.select(at.service_centres).where(
            at.service_centres.c.id == centre_id)).first()
        if row is None:
            raise NotFound("service centre", centre_id)
        return row

    def _slot_starts(self, centre: ServiceCentre, day: dt.date) -> list[pendulum.DateTime]:
        # the calendar of the centre's county (its local days off included)
        working = self._calendar(centre.community_code).is_working_day(
            dt.date(day.year, day.month, day.day))
        tz = self._gov.timezone
        return [pendulum.datetime(day.year, day.month, day.day, s.hour, s.minute, tz=tz)
                .in_timezone("UTC")
                for s in centre.hours.slot_starts(working, centre.slot_minutes)]

    def slots(self, centre_id: str, day: dt.date) -> list[Slot]:
        """The slots of a centre on a county day, with free seats (public).

        Slots follow the calendar of the centre's county (its local days off included); a day
        of a year with no official notice yet follows the provisional calendar.

        Raises:
            CalendarYearMissing: no calendar covers the day's year, not even provisionally.
        """
        with self._gov.store.unit_of_work(write=False) as uow:
            row = uow.conn.execute(sa.select(at.service_centres).where(
                at.service_centres.c.id == centre_id)).first()
            if row is None:
                raise NotFound("service centre", centre_id)
            centre = self._centre(row)
            starts = self._slot_starts(centre, day)
            if not starts:
                return []
            a = at.appointments.c
            taken: dict[dt.datetime, int] = dict(uow.conn.execute(
                sa.select(a.slot_start, sa.func.count()).where(
                    a.centre_id == centre_id, a.status == _LIVE,
                    a.slot_start >= starts[0], a.slot_start <= starts[-1])
                .group_by(a.slot_start)).all())
        tz = self._gov.timezone
        return [Slot(s, s.in_timezone(tz).format("HH:mm"), centre.slot_minutes,
                     centre.seats - int(taken.get(s, 0)))
                for s in starts]

    # ------------------------------------------------------------------ appointments

    def _resident_place(self, op: Operation, resident_id: str) -> tuple[str, str | None]:
        row = op.uow.conn.execute(
            sa.select(t.buildings.c.code, t.buildings.c.grid_code)
            .select_from(t.residents.join(t.households).join(t.buildings))
            .where(t.residents.c.id == resident_id)).first()
        if row is None:
            raise NotFound("resident", resident_id, "book for a registered resident who "
                           "lives in a household")
        return row.code, row.grid_code

    def book(self, actor: Actor, centre_id: str, start: dt.datetime, resident_id: str, *,
             matter_code: str | None = None) -> Appointment:
        """Book a slot (预约) for a resident; the first free seat is taken.

        Args:
            actor: the resident, or staff booking for them.
            centre_id: the centre.
            start: the slot's start (aware datetime; one of :meth:`slots`).
            resident_id: who comes.
            matter_code: the guide matter to be handled, if any.

        Raises:
            ValidationError: ``start`` is not a slot start of the centre, or is past.
            ConflictError: the slot is full, or the resident already holds it.
        """
        when = utc_instant(start, "start")
        with self._write(actor, "appointments.book") as op:
            row = self._centre_row(op, centre_id)
            centre = self._centre(row)
            building, grid = self._resident_place(op, resident_id)
            op.require(APPOINTMENT_BOOK, Target("appointment", "(new)", unit_code=building,
                                                grid_code=grid, owner_id=resident_id))
            if when <= op.now:
                raise ValidationError("that slot has begun or passed; pick a later one",
                                      path="start")
            local = when.in_timezone(self._gov.timezone)
            if when not in self._slot_starts(centre, local.date()):
                raise ValidationError(
                    f"{local.format('YYYY-MM-DD HH:mm')} is not a slot of {centre.name} "
                    "(closed then, or not on a slot boundary); see its slots", path="start")
            conn = op.uow.conn
            a = at.appointments.c
            if conn.execute(sa.select(a.id).where(
                    a.centre_id == centre_id, a.slot_start == when, a.resident_id == resident_id,
                    a.status == _LIVE)).first() is not None:
                raise ConflictError(f"resident {resident_id} already holds this slot")
            taken = set(conn.execute(sa.select(a.seat).where(
                a.centre_id == centre_id, a.slot_start == when, a.status == _LIVE)).scalars())
            aid = f"A{uuid.uuid4().hex[:15].upper()}"
            for seat in range(1, centre.seats + 1):
                if seat in taken:
                    continue
                try:
                    with conn.begin_nested():
                        conn.execute(at.appointments.insert().values(
                            id=aid, centre_id=centre_id, slot_start=when, seat=seat,
                            resident_id=resident_id, matter_code=matter_code, status=_LIVE,
                            booked_at=op.now, updated_at=op.now))
                except IntegrityError:
                    if conn.execute(sa.select(a.id).where(
                            a.centre_id == centre_id, a.slot_start == when,
                            a.resident_id == resident_id, a.status == _LIVE)).first():
                        raise ConflictError(
                            f"resident {resident_id} already holds this slot") from None
                    continue
                op.touch("appointment", aid)
                op.emit("appointment.booked", {"appointment_id": aid, "centre_id": centre_id,
                                               "slot": when.isoformat()})
                return Appointment(aid, centre_id, when, seat, resident_id, matter_code,
                                   AppointmentStatus.BOOKED)
            raise ConflictError(
                f"the {local.format('HH:mm')} slot of {centre.name} on "
                f"{local.format('YYYY-MM-DD')} is full ({centre.seats} seats); pick another")

    def _appointment_row(self, op: Operation, appointment_id: str) -> Any:
        row = op.uow.conn.execute(sa.select(at.appointments).where(
            at.appointments.c.id == appointment_id)).first()
        if row is None:
            raise NotFound("appointment", appointment_id)
        return row

    def cancel(self, actor: Actor, appointment_id: str) -> Appointment:
        """Cancel a booked appointment (取消预约); its seat is free again.

        Raises:
            ConflictError: it is not booked (cancelled, attended...).
        """
        return self._set_status(actor, appointment_id, AppointmentStatus.CANCELLED,
                                APPOINTMENT_BOOK)

    def mark(self, actor: Actor, appointment_id: str, *, attended: bool) -> Appointment:
        """Record whether the resident came (已办理 / 未到)."""
        return self._set_status(
            actor, appointment_id,
            AppointmentStatus.ATTENDED if attended else AppointmentStatus.NO_SHOW,
            APPOINTMENT_MANAGE)

    def _set_status(self, actor: Actor, appointment_id: str, status: AppointmentStatus,
                    action: Action) -> Appointment:
        with self._write(actor, f"appointments.{status.value}") as op:
            row = self._appointment_row(op, appointment_id)
            building, grid = self._resident_place(op, row.resident_id)
            owner = row.resident_id if action is APPOINTMENT_BOOK else None
            op.require(action, Target("appointment", row.id, unit_code=building,
                                      grid_code=grid, owner_id=owner))
            done = op.uow.conn.execute(at.appointments.update().where(
                at.appointments.c.id == row.id, at.appointments.c.status == _LIVE)
                .values(status=status.value, updated_at=op.now))
            if done.rowcount != 1:
                raise ConflictError(
                    f"appointment {row.id} is {row.status}, not booked; nothing to change")
            op.touch("appointment", row.id)
            return Appointment(row.id, row.centre_id, row.slot_start, row.seat,
                               row.resident_id, row.matter_code, status)

    def appointments(self, actor: Actor, *, centre_id: str | None = None,
                     resident_id: str | None = None, day: dt.date | None = None,
                     live_only: bool = True) -> list[Appointment]:
        """Appointments in the actor's scope (a resident sees their own), by slot."""
        with self._read(actor, "appointments.list") as op:
            a = at.appointments.c
            j = at.appointments.join(t.residents, t.residents.c.id == a.resident_id).join(
                t.households).join(t.buildings)
            action = (APPOINTMENT_BOOK if op.actor.kind is ActorKind.RESIDENT
                      else APPOINTMENT_MANAGE)
            q = sa.select(at.appointments).select_from(j).where(scope_clause(
                op.scope(action), unit=t.buildings.c.code, grid=t.buildings.c.grid_code,
                resident=a.resident_id))
            if centre_id:
                q = q.where(a.centre_id == centre_id)
            if resident_id:
                q = q.where(a.resident_id == resident_id)
            if live_only:
                q = q.where(a.status == _LIVE)
            if day is not None:
                lo, hi = county_days_utc(self._gov.timezone, day, day)
                q = q.where(a.slot_start >= lo, a.slot_start < hi)
            rows = op.uow.conn.execute(q.order_by(a.slot_start, a.seat)).all()
        return [Appointment(r.id, r.centre_id, r.slot_start, r.seat, r.resident_id,
                            r.matter_code, r.status) for r in rows]

    # ------------------------------------------------------------------ proxy and home visits

    def request_assistance(self, actor: Actor, *, kind: AssistKind | str, resident_id: str,
                           description: str, matter_code: str | None = None,
                           within_working_days: int = 5) -> AssistRequest:
        """Ask for proxy handling (民事代办) or a home visit (上门办理) for a resident.

        The due day is ``within_working_days`` working days after today in the calendar of
        the resident's county; ``due_provisional`` says it was counted through a year whose
        official notice is not out yet.

        Raises:
            ValidationError: unknown kind, empty description.
            NotFound: the resident does not exist.
        """
        kind = AssistKind(kind)
        if not description.strip():
            raise ValidationError("say what is to be done", path="description")
        if not 1 <= within_working_days <= 60:
            raise ValidationError("within_working_days must be 1-60", path="within_working_days")
        with self._write(actor, "appointments.request_assistance") as op:
            building, grid = self._resident_place(op, resident_id)
            op.require(ASSIST_REQUEST, Target("assist", "(new)", unit_code=building,
                                              grid_code=grid, owner_id=resident_id))
            due, provisional = self._calendar(building).deadline(
                dt.date(op.today.year, op.today.month, op.today.day), within_working_days)
            rid = f"D{uuid.uuid4().hex[:15].upper()}"
            op.uow.conn.execute(at.assisted_services.insert().values(
                id=rid, kind=kind.value, resident_id=resident_id, building_code=building,
                matter_code=matter_code, description=description.strip(),
                status=AssistStatus.REQUESTED.value, requested_at=op.now, due=due,
                due_provisional=provisional))
            self._assist_event(op, rid, "request", AssistStatus.REQUESTED,
                               "期限为暂定（节假日安排尚未发布）" if provisional else "")
            return AssistRequest(rid, kind, resident_id, building, matter_code,
                                 mask_personal_numbers(description.strip()),
                                 AssistStatus.REQUESTED, None, due,
                                 due_provisional=provisional)

    def _assist_event(self, op: Operation, rid: str, event: str, status: AssistStatus,
                      note: str) -> None:
        op.uow.conn.execute(at.assist_events.insert().values(
            request_id=rid, event=event, status=status.value, actor=str(op.actor), at=op.now,
            note=note))
        op.touch("assist", rid)

    def _assist_row(self, op: Operation, request_id: str) -> Any:
        row = op.uow.conn.execute(sa.select(at.assisted_services).where(
            at.assisted_services.c.id == request_id)).first()
        if row is None:
            raise NotFound("proxy/home-visit request", request_id)
        return row

    def _assist_step(self, actor: Actor, request_id: str, event: AssistEvent, note: str,
                     staff_id: str | None = None) -> AssistRequest:
        with self._write(actor, f"appointments.assist_{event.value}") as op:
            row = self._assist_row(op, request_id)
            grid = op.uow.conn.execute(sa.select(t.buildings.c.grid_code).where(
                t.buildings.c.code == row.building_code)).scalar_one_or_none()
            target = Target("assist", row.id, unit_code=row.building_code, grid_code=grid,
                            owner_id=row.resident_id if event is AssistEvent.CANCEL else None)
            op.require(ASSIST_REQUEST if event is AssistEvent.CANCEL else ASSIST_HANDLE,
                       target)
            new = next_assist_status(AssistStatus(row.status), event)
            changes: dict[str, Any] = {"status": new.value}
            if staff_id is not None:
                principal = Principal.of(Actor.staff(staff_id), load_posts(op.uow, staff_id),
                                         op.today)
                if not can(principal, ASSIST_HANDLE, target):
                    raise ValidationError(
                        f"{staff_id} holds no post covering {row.building_code}; assign staff "
                        "of the resident's community", path="staff_id")
                changes["staff_id"] = staff_id
            if new in (AssistStatus.DONE, AssistStatus.UNABLE, AssistStatus.CANCELLED):
                changes["finished_at"] = op.now
                changes["outcome"] = note
            done = op.uow.conn.execute(at.assisted_services.update().where(
                at.assisted_services.c.id == row.id,
                at.assisted_services.c.status == row.status).values(**changes))
            if done.rowcount != 1:
                raise ConflictError(f"request {row.id} changed meanwhile; reload it")
            self._assist_event(op, row.id, event.value, new, note)
            return AssistRequest(row.id, row.kind, row.resident_id, row.building_code,
                                 row.matter_code, mask_personal_numbers(row.description), new,
                                 changes.get("staff_id", row.staff_id), row.due,
                                 mask_personal_numbers(changes.get("outcome", row.outcome)),
                                 due_provisional=bool(row.due_provisional))

    def assign_assistance(self, actor: Actor, request_id: str, staff_id: str) -> AssistRequest:
        """Assign a proxy/home-visit request to a post holder covering the resident."""
        return self._assist_step(actor, request_id, AssistEvent.ASSIGN, "", staff_id)

    def record_outcome(self, actor: Actor, request_id: str, *, done: bool,
                       outcome: str) -> AssistRequest:
        """Record the outcome of an assigned request: done, or unable (with the reason).

        Raises:
            ValidationError: no outcome text.
            InvalidTransition: the request is not assigned.
        """
        if not outcome.strip():
            raise ValidationError("describe the outcome (办理结果)", path="outcome")
        return self._assist_step(actor, request_id,
                                 AssistEvent.COMPLETE if done else AssistEvent.FAIL, outcome)

    def cancel_assistance(self, actor: Actor, request_id: str, *,
                          reason: str = "") -> AssistRequest:
        """Withdraw a request (the resident, or staff)."""
        return self._assist_step(actor, request_id, AssistEvent.CANCEL, reason)

    def assistance(self, actor: Actor, *, status: AssistStatus | str | None = None,
                   staff_id: str | None = None) -> list[AssistRequest]:
        """Proxy/home-visit requests in the actor's scope."""
        with self._read(actor, "appointments.assistance") as op:
            s = at.assisted_services.c
            q = sa.select(at.assisted_services).join(
                t.buildings, t.buildings.c.code == s.building_code).where(scope_clause(
                    op.scope(ASSIST_REQUEST), unit=s.building_code,
                    grid=t.buildings.c.grid_code, resident=s.resident_id))
            if status is not None:
                q = q.where(s.status == AssistStatus(status).value)
            if staff_id is not None:
                q = q.where(s.staff_id == staff_id)
            rows = op.uow.conn.execute(q.order_by(s.requested_at, s.id)).all()
        return [AssistRequest(r.id, r.kind, r.resident_id, r.building_code, r.matter_code,
                              mask_personal_numbers(r.description), r.status, r.staff_id, r.due,
                              mask_personal_numbers(r.outcome),
                              due_provisional=bool(r.due_provisional))
                for r in rows]
