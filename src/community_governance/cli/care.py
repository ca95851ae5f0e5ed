"""``cgov care``: care for vulnerable residents (关爱困难群众): needs, cadres, rounds, visits."""

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

_DAY = click.DateTime(["%Y-%m-%d"])


def _moment(gov: Any, text: str | None) -> Any:
    """``YYYY-MM-DDTHH:MM`` in the county's zone (default: now)."""
    import pendulum

    if not text:
        return gov.now()
    try:
        return pendulum.parse(text, tz=gov.timezone)
    except ValueError:
        raise click.BadParameter(f"{text!r}: write the time as 2019-01-02T07:00 (county time)",
                                 param_hint="--at") from None


def register(cli: click.Group) -> None:
    """Add the ``care`` group."""

    @cli.group()
    def care() -> None:
        """Care for vulnerable residents (关爱困难群众): needs, cadres, rounds, visits."""

    @care.command("categories")
    @click.argument("community")
    @db_option
    @json_option
    def categories(community: str, db: str, as_json: bool) -> None:
        """The care categories of COMMUNITY (cgov_care_categories) with their risk tiers."""
        with open_db(db) as gov:
            found = gov.care.categories(community)
        if as_json:
            echo_json(found)
            return
        for c in found:
            click.echo(f"{c.code}\t{c.chinese}\ttier {c.tier}")

    @care.group("need")
    def need() -> None:
        """The registry of care needs (关爱对象登记)."""

    @need.command("add")
    @click.argument("resident")
    @click.argument("category")
    @click.option("--start", type=_DAY, required=True, help="first day (YYYY-MM-DD)")
    @click.option("--evidence", default="", help="what was seen (低保证号, 残疾证...)")
    @click.option("--visibility", type=click.Choice(["cadre", "office"]), default="cadre",
                  show_default=True, help="who may see it besides the resident")
    @db_option
    @writer_option
    @json_option
    def need_add(resident: str, category: str, start: dt.datetime, evidence: str,
                 visibility: str, db: str, actor: Actor, as_json: bool) -> None:
        """Register RESIDENT in care as CATEGORY."""
        from community_governance.services.care import NewCareNeed

        with open_db(db) as gov:
            got = gov.care.register_needs(actor, [NewCareNeed(
                resident, category, start.date(), evidence, visibility)])[0]
        if as_json:
            echo_json(got)
        else:
            click.echo(f"registered {got.id}: {resident} {category} from {got.start}")

    @need.command("list")
    @click.option("--community", help="only this community")
    @click.option("--resident", help="only this resident")
    @db_option
    @actor_option
    @json_option
    def need_list(community: str | None, resident: str | None, db: str, actor: Actor,
                  as_json: bool) -> None:
        """Care needs the actor may see (evidence masked; each read is access-logged)."""
        with open_db(db) as gov:
            found = gov.care.needs(actor, community=community, resident_id=resident)
        if as_json:
            echo_json(found)
            return
        for n in found:
            click.echo(f"{n.id}\t{n.resident_id}\t{n.category}\t{n.start}–{n.end or ''}\t"
                       f"{n.evidence}")

    @need.command("show")
    @click.argument("need_id")
    @click.option("--reveal", is_flag=True, help="the evidence in full (office; needs --reason)")
    @click.option("--reason", help="why (written to the access log)")
    @db_option
    @actor_option
    @json_option
    def need_show(need_id: str, reveal: bool, reason: str | None, db: str, actor: Actor,
                  as_json: bool) -> None:
        """One care need."""
        with open_db(db) as gov:
            got = gov.care.need(actor, need_id, reveal=reveal, reason=reason)
        if as_json:
            echo_json(got)
        else:
            click.echo(f"{got.id}\t{got.resident_id}\t{got.category}\t{got.evidence}")

    @care.command("enrol")
    @click.argument("community")
    @click.option("--on", type=_DAY, required=True, help="first day of the needs")
    @db_option
    @writer_option
    @json_option
    def enrol(community: str, on: dt.datetime, db: str, actor: Actor, as_json: bool) -> None:
        """Register the residents of COMMUNITY whose vulnerability flags name a category."""
        with open_db(db) as gov:
            got = gov.care.enrol_flagged(actor, community, on=on.date())
        if as_json:
            echo_json({"registered": len(got)})
        else:
            click.echo(f"registered {len(got)} care needs in {community}")

    @care.command("assign")
    @click.argument("resident")
    @click.argument("post")
    @click.option("--on", type=_DAY, required=True, help="first day")
    @db_option
    @writer_option
    @json_option
    def assign(resident: str, post: str, on: dt.datetime, db: str, actor: Actor,
               as_json: bool) -> None:
        """Give RESIDENT (in care) to the cadre holding POST (分包干部)."""
        with open_db(db) as gov:
            got = gov.care.assign(actor, [(resident, post)], on=on.date())[0]
        if as_json:
            echo_json(got)
        else:
            click.echo(f"{resident} → {got.cadre_id} ({post}) from {got.start}")

    @care.command("handover")
    @click.argument("post")
    @click.argument("to_post")
    @click.option("--on", type=_DAY, required=True, help="first day with the new cadre")
    @db_option
    @writer_option
    @json_option
    def handover(post: str, to_post: str, on: dt.datetime, db: str, actor: Actor,
                 as_json: bool) -> None:
        """Hand every resident of POST over to TO_POST (before POST ends)."""
        with open_db(db) as gov:
            got = gov.care.hand_over(actor, post, to_post, on=on.date())
        if as_json:
            echo_json(got)
        else:
            click.echo(f"handed {len(got)} residents from {post} to {to_post}")

    @care.command("cadre")
    @click.argument("resident")
    @db_option
    @actor_option
    @json_option
    def cadre(resident: str, db: str, actor: Actor, as_json: bool) -> None:
        """RESIDENT's assigned cadre and the number to call (in full for the resident)."""
        with open_db(db) as gov:
            got = gov.care.cadre_of(actor, resident)
        if as_json:
            echo_json(got)
        else:
            click.echo(f"{got.cadre_id}\t{got.cadre_phone or '-'}\tsince {got.start}")

    @care.command("coverage")
    @click.argument("community")
    @click.option("--on", type=_DAY, help="the day (default: today)")
    @db_option
    @actor_option
    @json_option
    def coverage(community: str, on: dt.datetime | None, db: str, actor: Actor,
                 as_json: bool) -> None:
        """Residents in care with and without a cadre, and the load per cadre."""
        with open_db(db) as gov:
            got = gov.care.coverage(actor, community, on=on.date() if on else None)
        if as_json:
            echo_json(got.as_dict())
            return
        click.echo(f"{community} {got.day}: {got.covered}/{got.in_care} in care have a cadre")
        for rid in got.uncovered:
            click.echo(f"  no cadre: {rid}")
        for who, n in sorted(got.load.items()):
            click.echo(f"  {who}\t{n}")

    @care.command("festival")
    @click.argument("community")
    @click.argument("festival")
    @click.argument("year", type=int)
    @click.option("--lot", help="gifts from this charity-supermarket lot")
    @click.option("--fund-account", help="gifts bought from this care-fund account (5102)")
    @click.option("--unit-price", help="price of one gift, CNY")
    @db_option
    @writer_option
    @json_option
    def festival(community: str, festival: str, year: int, lot: str | None,
                 fund_account: str | None, unit_price: str | None, db: str, actor: Actor,
                 as_json: bool) -> None:
        """Plan the FESTIVAL round (dragon_boat, mid_autumn, spring_festival) of YEAR."""
        with open_db(db) as gov:
            got = gov.care.plan_festival(actor, community, festival, year, lot_id=lot,
                                         fund_account=fund_account, unit_price=unit_price)
        if as_json:
            echo_json(got)
        else:
            click.echo(f"planned {got.id}: {got.tasks} visits with {got.gift}, due "
                       f"{got.due_at:%Y-%m-%d %H:%M} UTC")
            if got.over_capacity:
                click.echo(f"warning: more visits than they can make: "
                           f"{', '.join(got.over_capacity)}", err=True)

    @care.command("monthly")
    @click.argument("community")
    @click.argument("year", type=int)
    @click.argument("month", type=int)
    @db_option
    @writer_option
    @json_option
    def monthly(community: str, year: int, month: int, db: str, actor: Actor,
                as_json: bool) -> None:
        """Plan COMMUNITY's visits of MONTH (月探访): as many per resident as the risk tier
        asks, due on the county's working days."""
        with open_db(db) as gov:
            got = gov.care.plan_monthly(actor, community, year, month)
        if as_json:
            echo_json(got)
            return
        for r in got:
            click.echo(f"{r.id}\t{r.tasks} visits due {r.due_at:%Y-%m-%d %H:%M} UTC"
                       + (f"\tover capacity: {', '.join(r.over_capacity)}"
                          if r.over_capacity else ""))

    @care.command("alert")
    @click.argument("place")
    @click.argument("kind", type=click.Choice(["rain", "snow", "cold", "heat"]))
    @click.argument("level", type=click.Choice(["blue", "yellow", "orange", "red"]))
    @click.option("--at", "at", help="when it was issued, county time (default: now)")
    @click.option("--id", "alert_id", help="the alert's key (default: generated)")
    @click.option("--source", default="", help="who issued it (县气象台)")
    @db_option
    @writer_option
    @json_option
    def alert(place: str, kind: str, level: str, at: str | None, alert_id: str | None,
              source: str, db: str, actor: Actor, as_json: bool) -> None:
        """Record a weather alert for PLACE by hand: visit tasks for every assigned elder."""
        from community_governance.domain.care import WeatherAlert

        with open_db(db) as gov:
            when = _moment(gov, at)
            key = alert_id or f"{kind}-{place}-{when:%Y%m%d%H%M}"
            got = gov.care.record_alert(actor, WeatherAlert(key, place, kind, level, when,
                                                            source))
        if as_json:
            echo_json(got)
            return
        for r in got:
            click.echo(f"{r.id}\t{r.tasks} visits due {r.due_at:%Y-%m-%d %H:%M} UTC"
                       + (f"\tover capacity: {', '.join(r.over_capacity)}"
                          if r.over_capacity else ""))

    @care.command("fetch-alerts")
    @click.argument("county")
    @click.option("--day", type=_DAY, required=True)
    @db_option
    @writer_option
    @json_option
    def fetch_alerts(county: str, day: dt.datetime, db: str, actor: Actor,
                     as_json: bool) -> None:
        """Ask the county's plugins for the day's weather alerts and record the new ones."""
        with open_db(db) as gov:
            got = gov.care.fetch_alerts(actor, county, day.date())
        if as_json:
            echo_json(got)
        else:
            click.echo(f"{len(got)} weather rounds planned")

    @care.command("tasks")
    @click.argument("round_id")
    @db_option
    @actor_option
    @json_option
    def tasks(round_id: str, db: str, actor: Actor, as_json: bool) -> None:
        """The visit tasks of ROUND_ID: who, by whom, due, done or the ladder's next step."""
        with open_db(db) as gov:
            got = gov.care.tasks(actor, round_id)
        if as_json:
            echo_json(got)
            return
        for x in got:
            click.echo(f"{x['task_id']}\t{x['resident_id']}\t{x['cadre_id'] or '-'}\t"
                       f"{x['due_at']}\t{x['status']}\t{x['next']}")

    @care.command("visit")
    @click.argument("resident")
    @click.option("--at", "at", help="when, county time (default: now)")
    @click.option("--outcome", type=click.Choice(["met", "needs", "no_answer", "hospital",
                                                  "away"]), default="met", show_default=True)
    @click.option("--needs", default="", help="needs found, as told")
    @click.option("--task", type=int, help="the visit task it answers")
    @click.option("--visitor", help="who visited (a system job names them)")
    @db_option
    @writer_option
    @json_option
    def visit(resident: str, at: str | None, outcome: str, needs: str, task: int | None,
              visitor: str | None, db: str, actor: Actor, as_json: bool) -> None:
        """Record a visit to RESIDENT (探访记录)."""
        with open_db(db) as gov:
            got = gov.care.record_visit(actor, resident, at=_moment(gov, at), outcome=outcome,
                                        needs=needs, task_id=task, visitor_id=visitor)
        if as_json:
            echo_json(got)
        else:
            click.echo(f"visit {got.id}: {got.visitor_id} → {resident} {got.outcome.value}")

    @care.command("follow-up")
    @click.argument("visit_id", type=int)
    @click.option("--case", "as_case", is_flag=True, help="open a care case")
    @click.option("--lot", help="give from this charity-supermarket lot")
    @click.option("--quantity", type=int, default=1, show_default=True)
    @db_option
    @writer_option
    @json_option
    def follow_up(visit_id: int, as_case: bool, lot: str | None, quantity: int, db: str,
                  actor: Actor, as_json: bool) -> None:
        """Turn the needs VISIT_ID found into a care case and/or a charity give-out."""
        with open_db(db) as gov:
            got = gov.care.follow_up(actor, visit_id, case=as_case, lot_id=lot,
                                     quantity=quantity)
        if as_json:
            echo_json(got)
        else:
            click.echo(f"visit {visit_id}: case {got.case_id or '-'}, give-out "
                       f"{got.give_out_id or '-'}")

    @care.command("help")
    @click.argument("resident")
    @click.argument("summary")
    @click.option("--urgent", is_flag=True, help="due within the urgent hours")
    @click.option("--at", "at", help="when the resident called, county time (default: now)")
    @db_option
    @writer_option
    @json_option
    def help_(resident: str, summary: str, urgent: bool, at: str | None, db: str,
              actor: Actor, as_json: bool) -> None:
        """Log RESIDENT's call for help as a care case due within hours."""
        with open_db(db) as gov:
            got = gov.care.log_help(actor, resident, summary=summary,
                                    urgency="urgent" if urgent else "normal",
                                    at=_moment(gov, at) if at else None)
        if as_json:
            echo_json(got)
        else:
            click.echo(f"help request {got.id}: case {got.case_id}, due "
                       f"{got.due_at:%Y-%m-%d %H:%M} UTC")

    @care.command("invite")
    @click.argument("community")
    @click.argument("occasion")
    @click.argument("year", type=int)
    @click.option("--resident", "residents", multiple=True,
                  help="invite this resident in care by name (repeat); default: every resident "
                       "of the invited categories (cgov_care_invitation_categories)")
    @click.option("--venue", default="社区党群服务中心", show_default=True)
    @click.option("--at", "at", help="when the invitations went out, county time (default: now)")
    @db_option
    @writer_option
    @json_option
    def invite(community: str, occasion: str, year: int, residents: tuple[str, ...],
               venue: str, at: str | None, db: str, actor: Actor, as_json: bool) -> None:
        """Invite COMMUNITY's elders in care to spend OCCASION of YEAR at the community
        (new_year 元旦, spring_festival 春节, lantern 元宵节)."""
        with open_db(db) as gov:
            got = gov.care.invite(actor, community, occasion, year,
                                  residents=list(residents) or None, venue=venue,
                                  at=_moment(gov, at) if at else None)
        if as_json:
            echo_json(got)
        else:
            click.echo(f"{got.event_id}: {got.invited} invited to {got.title} on {got.day}")

    @care.command("rsvp")
    @click.argument("event_id")
    @click.argument("resident")
    @click.argument("answer", type=click.Choice(["yes", "no"]))
    @click.option("--at", "at", help="when the answer was given, county time (default: now)")
    @db_option
    @writer_option
    @json_option
    def rsvp(event_id: str, resident: str, answer: str, at: str | None, db: str,
             actor: Actor, as_json: bool) -> None:
        """Record RESIDENT's ANSWER (yes/no) to the invitation to EVENT_ID."""
        from community_governance.services.care import Reply

        with open_db(db) as gov:
            gov.care.reply(actor, event_id, [Reply(resident, answer, _moment(gov, at))])
        if as_json:
            echo_json({"event_id": event_id, "resident_id": resident, "answer": answer})
        else:
            click.echo(f"{resident}: {answer}", err=True)

    @care.command("attend")
    @click.argument("event_id")
    @click.argument("residents", nargs=-1, required=True)
    @db_option
    @writer_option
    @json_option
    def attend(event_id: str, residents: tuple[str, ...], db: str, actor: Actor,
               as_json: bool) -> None:
        """Record that the invited RESIDENTS came to EVENT_ID (after the event)."""
        with open_db(db) as gov:
            n = gov.care.attend(actor, event_id, residents)
        if as_json:
            echo_json({"event_id": event_id, "newly_recorded": n})
        else:
            click.echo(f"{n} newly recorded as come", err=True)

    @care.group("report")
    def report() -> None:
        """Reports: rounds, monthly visit rate, needs found, gift costs, invitations."""

    @report.command("rounds")
    @click.option("--community")
    @click.option("--year", type=int)
    @db_option
    @actor_option
    @json_option
    def report_rounds(community: str | None, year: int | None, db: str, actor: Actor,
                      as_json: bool) -> None:
        """Coverage of each festival and weather round: visited, late, missed."""
        with open_db(db) as gov:
            got = gov.care.rounds_report(actor, community=community, year=year)
        if as_json:
            echo_json([r.as_dict() for r in got])
            return
        for r in got:
            click.echo(f"{r.round_id}\t{r.title}\ttasks {r.tasks}\ton time {r.on_time}\t"
                       f"late {r.late}\tmissed {r.missed_count}\topen {r.open}")

    @report.command("monthly")
    @click.argument("community")
    @click.argument("year", type=int)
    @click.argument("month", type=int)
    @db_option
    @actor_option
    @json_option
    def report_monthly(community: str, year: int, month: int, db: str, actor: Actor,
                       as_json: bool) -> None:
        """The monthly visit rate (月探访率) of COMMUNITY and its grids, with who was missed."""
        with open_db(db) as gov:
            got = gov.care.monthly_rates(actor, community, year, month)
        if as_json:
            echo_json([r.as_dict() for r in got])
            return
        for r in got:
            click.echo(f"{r.unit_code}\t{r.visited}/{r.due}\t{r.rate:.1%}\tmissed: "
                       f"{' '.join(r.missed) or '-'}\tshort {r.short_count}")

    @report.command("needs")
    @click.argument("community")
    @click.option("--year", type=int)
    @db_option
    @actor_option
    @json_option
    def report_needs(community: str, year: int | None, db: str, actor: Actor,
                     as_json: bool) -> None:
        """Needs found on visits and what became of them."""
        with open_db(db) as gov:
            got = gov.care.needs_report(actor, community, year=year)
        if as_json:
            echo_json(got)
            return
        click.echo(f"needs found {got['needs_found']}, cases {got['became_cases']}, "
                   f"give-outs {got['became_give_outs']}, waiting {len(got['waiting'])}")

    @report.command("gifts")
    @click.option("--community")
    @click.option("--year", type=int)
    @db_option
    @actor_option
    @json_option
    def report_gifts(community: str | None, year: int | None, db: str, actor: Actor,
                     as_json: bool) -> None:
        """What festival gifts cost, by fund account (or ``charity``)."""
        with open_db(db) as gov:
            got = gov.care.gift_costs(actor, community=community, year=year)
        if as_json:
            echo_json(got)
            return
        for k, v in got.items():
            click.echo(f"{k}\t{v}")

    @report.command("invitations")
    @click.option("--community")
    @click.option("--year", type=int)
    @db_option
    @actor_option
    @json_option
    def report_invitations(community: str | None, year: int | None, db: str, actor: Actor,
                           as_json: bool) -> None:
        """Coverage of the holiday invitations: invited, answers, attended, per community."""
        with open_db(db) as gov:
            got = gov.care.invitation_report(actor, community=community, year=year)
        if as_json:
            echo_json([r.as_dict() for r in got])
            return
        for r in got:
            click.echo(f"{r.community_code}\t{r.year} {r.occasion}\t{r.day}\tinvited "
                       f"{r.invited}\tyes {r.accepted}\tno {r.declined}\tattended "
                       f"{r.attended}\t{r.rate:.1%}")
        if got:
            inv, came = sum(r.invited for r in got), sum(r.attended for r in got)
            click.echo(f"total\t{len(got)} events\tinvited {inv}\tattended {came}\t"
                       f"{came / inv if inv else 1:.1%}")
