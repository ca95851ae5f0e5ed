"""``cgov centres``: service centres, their slots, appointments (预约办理)."""

from __future__ import annotations

import datetime as dt

import click

from community_governance.cli import db_option, echo_json, json_option, open_db, writer_option
from community_governance.domain.access import Actor


def register(cli: click.Group) -> None:
    """Add the ``centres`` group."""

    @cli.group()
    def centres() -> None:
        """Service centres (便民服务, 综治, 文体, 卫生, 日间照料...) and appointments."""

    @centres.command("add")
    @click.argument("community")
    @click.argument("kind")
    @click.argument("name")
    @db_option
    @writer_option
    @click.option("--id", "centre_id", help="the centre's key (default: <community>-<kind>)")
    @click.option("--seats", default=1, show_default=True, help="windows serving at once")
    @click.option("--slot-minutes", default=30, show_default=True)
    @json_option
    def add(community: str, kind: str, name: str, db: str, actor: Actor, centre_id: str | None,
            seats: int, slot_minutes: int, as_json: bool) -> None:
        """Open a centre of KIND (e.g. convenience, health, elderly_day_care) in COMMUNITY,
        with the default opening hours of its kind."""
        from community_governance.domain.appointments import (
            DEFAULT_HOURS,
            CentreKind,
            ServiceCentre,
        )

        k = CentreKind(kind)
        centre = ServiceCentre(centre_id or f"{community}-{k.value}", community, k, name,
                               DEFAULT_HOURS[k], seats=seats, slot_minutes=slot_minutes)
        with open_db(db) as gov:
            gov.appointments.add_centre(actor, centre)
        if as_json:
            echo_json(centre)
        else:
            click.echo(f"opened {centre.id}: {name}")

    @centres.command("list")
    @db_option
    @click.option("--community", help="only this community's centres")
    @click.option("--json", "as_json", is_flag=True, help="print JSON")
    def list_(db: str, community: str | None, as_json: bool) -> None:
        """Service centres (public facts)."""
        with open_db(db) as gov:
            found = gov.appointments.centres(community)
        if as_json:
            echo_json(found)
            return
        for c in found:
            click.echo(f"{c.id}\t{c.kind.value}\t{c.name}\tseats={c.seats}")

    @centres.command()
    @click.argument("centre_id")
    @click.argument("day", type=click.DateTime(["%Y-%m-%d"]))
    @db_option
    @json_option
    def slots(centre_id: str, day: dt.datetime, db: str, as_json: bool) -> None:
        """The slots of CENTRE_ID on DAY (YYYY-MM-DD) with the seats still free."""
        with open_db(db) as gov:
            found = gov.appointments.slots(centre_id, day.date())
        if as_json:
            echo_json([{"start": str(s.local), "minutes": s.minutes, "free": s.free}
                       for s in found])
            return
        for s in found:
            click.echo(f"{s.local}\t{s.minutes} min\tfree {s.free}")

    @centres.command()
    @click.argument("centre_id")
    @click.argument("start")
    @click.argument("resident_id")
    @db_option
    @writer_option
    @click.option("--matter", help="the service-guide matter to handle")
    @json_option
    def book(centre_id: str, start: str, resident_id: str, db: str, actor: Actor,
             matter: str | None, as_json: bool) -> None:
        """Book START (e.g. 2026-12-01T09:00, county time) at CENTRE_ID for RESIDENT_ID."""
        import pendulum

        with open_db(db) as gov:
            when = pendulum.parse(start, tz=gov.timezone)
            assert isinstance(when, pendulum.DateTime)
            a = gov.appointments.book(actor, centre_id, when, resident_id, matter_code=matter)
        if as_json:
            echo_json({"id": a.id, "centre": centre_id, "resident_id": resident_id,
                       "seat": a.seat, "start": when.isoformat()})
        else:
            click.echo(f"booked {a.id}: seat {a.seat} at {when.to_datetime_string()}")

    @centres.command()
    @click.argument("appointment_id")
    @db_option
    @writer_option
    @json_option
    def cancel(appointment_id: str, db: str, actor: Actor, as_json: bool) -> None:
        """Cancel an appointment (the seat is free again)."""
        with open_db(db) as gov:
            a = gov.appointments.cancel(actor, appointment_id)
        if as_json:
            echo_json({"id": a.id, "status": a.status.value})
        else:
            click.echo(f"{a.id}: {a.status.value}")
