"""``cgov culture``: culture and sports groups (文体组织), their members and events, and the
reports (groups and members, events since 2017, volunteer conversion)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from community_governance.cli import (
    actor_option,
    db_option,
    echo_json,
    json_option,
    open_db,
    writer_option,
)
from community_governance.domain.access import Actor
from community_governance.errors import ValidationError


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: write dates as YYYY-MM-DD",
                                 param_hint=option) from None


def _equipment(items: tuple[str, ...]) -> tuple[Any, ...]:
    from community_governance.domain.culture import EquipmentLine

    out = []
    for item in items:
        name, sep, qty = item.rpartition("=")
        if not sep or not qty.strip().isdigit():
            raise ValidationError(f"{item!r}: write equipment as ITEM=QUANTITY, e.g. 音响=2",
                                  path="--equipment")
        out.append(EquipmentLine(name.strip(), int(qty)))
    return tuple(out)


def _schedule(items: tuple[str, ...]) -> tuple[Any, ...]:
    from community_governance.domain.culture import ScheduleSlot

    out = []
    for item in items:
        parts = item.split()
        try:
            weekday, start, minutes = int(parts[0]), dt.time.fromisoformat(parts[1]), \
                int(parts[2])
        except (IndexError, ValueError):
            raise ValidationError(
                f"{item!r}: write a regular activity as 'WEEKDAY HH:MM MINUTES', e.g. "
                "'2 19:30 90' (Tuesday, 19:30, 90 minutes)", path="--schedule") from None
        out.append(ScheduleSlot(weekday, start, minutes))
    return tuple(out)


def _group_dict(g: Any) -> dict[str, Any]:
    return {"id": g.id, "name": g.name, "kind": g.kind.value, "kind_zh": g.kind.chinese,
            "community": g.community_code, "leader_id": g.leader_id, "venue": g.venue,
            "equipment": [{"item": e.item, "quantity": e.quantity} for e in g.equipment],
            "schedule": [s.chinese for s in g.schedule],
            "founded": g.founded.isoformat() if g.founded else None}


def _member_dict(m: Any) -> dict[str, Any]:
    return {"group_id": m.group_id, "resident_id": m.resident_id,
            "joined_on": m.joined_on.isoformat(),
            "left_on": m.left_on.isoformat() if m.left_on else None}


def register(cli: click.Group) -> None:
    """Add the ``culture`` group."""
    from community_governance.domain.culture import EventKind, EventLevel, GroupKind

    @cli.group()
    def culture() -> None:
        """Culture and sports groups (文体组织): members, events, reports."""

    # ------------------------------------------------------------------ groups

    @culture.group()
    def groups() -> None:
        """Register, list and show groups."""

    @groups.command("add")
    @click.argument("community")
    @click.argument("kind", type=click.Choice([k.value for k in GroupKind]))
    @click.argument("name")
    @db_option
    @writer_option
    @click.option("--id", "group_id", help="the group's key (default: CG-<community>-<kind>)")
    @click.option("--leader", help="the resident who leads it (负责人)")
    @click.option("--venue", default="", help="where it meets (活动场所)")
    @click.option("--equipment", multiple=True, help="ITEM=QUANTITY, repeatable (设施)")
    @click.option("--schedule", multiple=True,
                  help="'WEEKDAY HH:MM MINUTES', repeatable, e.g. '2 19:30 90'")
    @click.option("--founded", help="founding date YYYY-MM-DD")
    @json_option
    def add(community: str, kind: str, name: str, db: str, actor: Actor, group_id: str | None,
            leader: str | None, venue: str, equipment: tuple[str, ...],
            schedule: tuple[str, ...], founded: str | None, as_json: bool) -> None:
        """Register a group of KIND called NAME in COMMUNITY."""
        from community_governance.domain.culture import CultureGroup

        g = CultureGroup(group_id or f"CG-{community}-{kind}", name, GroupKind(kind), community,
                         leader, venue, _equipment(equipment), _schedule(schedule),
                         _date(founded, "--founded"))
        with open_db(db) as gov:
            made = gov.culture.add_group(actor, g)
        if as_json:
            echo_json(_group_dict(made))
        else:
            click.echo(f"registered {made.id}: {made.name}")

    @groups.command("list")
    @db_option
    @actor_option
    @click.option("--community", help="only groups of this community (or a unit above it)")
    @click.option("--kind", type=click.Choice([k.value for k in GroupKind]))
    @json_option
    def list_(db: str, actor: Actor, community: str | None, kind: str | None,
              as_json: bool) -> None:
        """Groups (public; leaders only for a reader who may see members)."""
        with open_db(db) as gov:
            found = gov.culture.groups(actor, community=community,
                                       kind=GroupKind(kind) if kind else None)
        if as_json:
            echo_json([_group_dict(g) for g in found])
            return
        for g in found:
            click.echo(f"{g.id}\t{g.kind.chinese}\t{g.name}\t{g.venue}\t"
                       f"{'; '.join(s.chinese for s in g.schedule)}")

    @groups.command("show")
    @click.argument("group_id")
    @db_option
    @actor_option
    @json_option
    def show(group_id: str, db: str, actor: Actor, as_json: bool) -> None:
        """A group, its equipment and schedule, and its members when the reader may see
        them."""
        from community_governance.domain.access import ActorKind
        from community_governance.errors import NotFound

        members: list[dict[str, Any]] | None = None
        with open_db(db) as gov:
            g = gov.culture.group(group_id, actor)
            if actor.kind is not ActorKind.PUBLIC:
                try:
                    members = [_member_dict(m) for m in gov.culture.members(actor, group_id)]
                except NotFound:
                    members = None
        data = {**_group_dict(g), "members": members}
        if as_json:
            echo_json(data)
            return
        click.echo(f"{g.id}\t{g.name} ({g.kind.chinese})\t{g.community_code}")
        click.echo(f"venue 活动场所: {g.venue or '-'}; leader 负责人: {g.leader_id or '-'}")
        click.echo("equipment 设施: " + (", ".join(f"{e.item}×{e.quantity}"
                                                for e in g.equipment) or "-"))
        click.echo("schedule 定期活动: " + ("; ".join(s.chinese for s in g.schedule) or "-"))
        if members is not None:
            click.echo(f"members 成员: {len(members)}")

    # ------------------------------------------------------------------ members

    @culture.group()
    def members() -> None:
        """Record members joining and leaving; list a group's members."""

    @members.command("join")
    @click.argument("group_id")
    @click.argument("resident_ids", nargs=-1, required=True)
    @click.option("--on", "on", required=True, help="the day they joined, YYYY-MM-DD")
    @db_option
    @writer_option
    @json_option
    def join(group_id: str, resident_ids: tuple[str, ...], on: str, db: str, actor: Actor,
             as_json: bool) -> None:
        """Record RESIDENT_IDS joining GROUP_ID (one transaction: all or none)."""
        from community_governance.services.culture import Join

        day = _date(on, "--on")
        assert day is not None
        with open_db(db) as gov:
            done = gov.culture.join_many(actor, [Join(group_id, r, day) for r in resident_ids])
        if as_json:
            echo_json([_member_dict(m) for m in done])
        else:
            click.echo(f"{len(done)} joined {group_id} on {day}")

    @members.command("leave")
    @click.argument("group_id")
    @click.argument("resident_ids", nargs=-1, required=True)
    @click.option("--on", "on", required=True, help="the day they left, YYYY-MM-DD")
    @db_option
    @writer_option
    @json_option
    def leave(group_id: str, resident_ids: tuple[str, ...], on: str, db: str, actor: Actor,
              as_json: bool) -> None:
        """Record RESIDENT_IDS leaving GROUP_ID (one transaction: all or none)."""
        from community_governance.services.culture import Leave

        day = _date(on, "--on")
        assert day is not None
        with open_db(db) as gov:
            done = gov.culture.leave_many(actor, [Leave(group_id, r, day)
                                                  for r in resident_ids])
        if as_json:
            echo_json([_member_dict(m) for m in done])
        else:
            click.echo(f"{len(done)} left {group_id} on {day}")

    @members.command("list")
    @click.argument("group_id")
    @db_option
    @actor_option
    @click.option("--on", "on", help="members on this day (default: current members)")
    @click.option("--all", "include_left", is_flag=True, help="include those who left")
    @json_option
    def list_members(group_id: str, db: str, actor: Actor, on: str | None,
                     include_left: bool, as_json: bool) -> None:
        """The members of GROUP_ID (resident keys)."""
        with open_db(db) as gov:
            found = gov.culture.members(actor, group_id, on=_date(on, "--on"),
                                        include_left=include_left)
        if as_json:
            echo_json([_member_dict(m) for m in found])
            return
        for m in found:
            click.echo(f"{m.resident_id}\t{m.joined_on}\t{m.left_on or ''}")

    # ------------------------------------------------------------------ events

    @culture.group()
    def events() -> None:
        """Record and list events (shows, activities, neighbourhood events, performances)."""

    @events.command("record")
    @click.argument("unit")
    @click.argument("level", type=click.Choice([v.value for v in EventLevel]))
    @click.argument("kind", type=click.Choice([k.value for k in EventKind]))
    @click.argument("title")
    @click.option("--on", "on", required=True, help="the day, YYYY-MM-DD")
    @click.option("--attendance", default=0, show_default=True, help="how many attended")
    @click.option("--group", "group_ids", multiple=True, help="a group that took part")
    @click.option("--festival", default="", help="the festival it marked, e.g. 中秋节")
    @click.option("--venue", default="", help="where")
    @click.option("--id", "event_id", help="the event's key (default: CE-<unit>-<day>-<kind>)")
    @click.option("--planned", is_flag=True, help="record a planned (future) event")
    @db_option
    @writer_option
    @json_option
    def record(unit: str, level: str, kind: str, title: str, on: str, attendance: int,
               group_ids: tuple[str, ...], festival: str, venue: str, event_id: str | None,
               planned: bool, db: str, actor: Actor, as_json: bool) -> None:
        """Record an event organized by UNIT at LEVEL (community / subdistrict / city)."""
        from community_governance.domain.culture import CultureEvent, EventStatus

        day = _date(on, "--on")
        assert day is not None
        e = CultureEvent(event_id or f"CE-{unit}-{day:%Y%m%d}-{kind}"[:40], title,
                         EventLevel(level), EventKind(kind), unit, day, attendance,
                         tuple(group_ids), festival, venue,
                         EventStatus.PLANNED if planned else EventStatus.HELD)
        with open_db(db) as gov:
            done = gov.culture.record_event(actor, e)
        if as_json:
            echo_json(done)
        else:
            click.echo(f"recorded {done.id}: {done.title} ({done.level.chinese}"
                       f"{done.kind.chinese}, {done.on})")

    @events.command("list")
    @db_option
    @click.option("--level", type=click.Choice([v.value for v in EventLevel]))
    @click.option("--kind", type=click.Choice([k.value for k in EventKind]))
    @click.option("--within", help="organized within this unit (a unit's code)")
    @click.option("--since", help="from this day, YYYY-MM-DD")
    @click.option("--until", help="to this day, YYYY-MM-DD")
    @json_option
    def list_events(db: str, level: str | None, kind: str | None, within: str | None,
                    since: str | None, until: str | None, as_json: bool) -> None:
        """Events (public notices), by date."""
        with open_db(db) as gov:
            found = gov.culture.events(level=EventLevel(level) if level else None,
                                       kind=EventKind(kind) if kind else None, unit=within,
                                       since=_date(since, "--since"),
                                       until=_date(until, "--until"))
        if as_json:
            echo_json(found)
            return
        for e in found:
            click.echo(f"{e.on}\t{e.level.chinese}\t{e.kind.chinese}\t{e.title}\t"
                       f"{e.attendance}\t{e.status.value}")

    # ------------------------------------------------------------------ reports

    @culture.group("report")
    def report_() -> None:
        """Reports: groups and members, events since 2017, volunteer conversion."""

    @report_.command("groups")
    @db_option
    @actor_option
    @click.option("--community", help="a community (or a unit above it)")
    @click.option("--on", "on", help="members on this day (default: today)")
    @json_option
    def report_groups(db: str, actor: Actor, community: str | None, on: str | None,
                      as_json: bool) -> None:
        """Groups and members per community and kind."""
        with open_db(db) as gov:
            rows = gov.culture.group_report(actor, on=_date(on, "--on"), community=community)
        if as_json:
            echo_json(rows)
            return
        click.echo("community\tkind\tgroups\tmembers\tresidents")
        for r in rows:
            click.echo(f"{r.community_code}\t{r.kind.value}\t{r.groups}\t{r.members}\t"
                       f"{r.residents}")
        click.echo(f"total\t\t{sum(r.groups for r in rows)}\t{sum(r.members for r in rows)}")

    @report_.command("events")
    @db_option
    @click.option("--since", default="2017-01-01", show_default=True,
                  help="from this day, YYYY-MM-DD")
    @click.option("--until", help="to this day, YYYY-MM-DD")
    @click.option("--within", help="organized within this unit (a unit's code)")
    @json_option
    def report_events(db: str, since: str, until: str | None, within: str | None,
                      as_json: bool) -> None:
        """Events held per year, level and kind (public), with the totals since ``--since``."""
        start = _date(since, "--since")
        assert start is not None
        with open_db(db) as gov:
            rows = gov.culture.event_report(since=start, until=_date(until, "--until"),
                                            unit=within)
        totals: dict[tuple[str, str], int] = {}
        for r in rows:
            totals[(r.level.value, r.kind.value)] = totals.get(
                (r.level.value, r.kind.value), 0) + r.events
        if as_json:
            echo_json({"since": start.isoformat(), "rows": rows,
                       "totals": [{"level": lv, "kind": k, "events": n}
                                  for (lv, k), n in totals.items()]})
            return
        click.echo("year\tlevel\tkind\tevents\tattendance")
        for r in rows:
            click.echo(f"{r.year}\t{r.level.value}\t{r.kind.value}\t{r.events}\t{r.attendance}")
        for (lv, k), n in totals.items():
            click.echo(f"since {start}\t{lv}\t{k}\t{n}")

    @report_.command("conversion")
    @db_option
    @actor_option
    @click.option("--community", help="a community (or a unit above it)")
    @click.option("--groups", "per_group", is_flag=True, help="one line per group too")
    @json_option
    def report_conversion(db: str, actor: Actor, community: str | None, per_group: bool,
                          as_json: bool) -> None:
        """Members who went on to volunteer (成员转化为志愿者), per community (and group)."""
        with open_db(db) as gov:
            rep = gov.culture.conversion_report(actor, community=community)
        if as_json:
            echo_json(rep)
            return
        click.echo("key\tmembers\tvolunteers\tconverted\trate")
        for r in (*(rep.groups if per_group else ()), *rep.communities, rep.total):
            click.echo(f"{r.key}\t{r.members}\t{r.volunteers}\t{r.converted}\t{r.rate:.1%}")
