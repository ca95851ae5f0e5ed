"""``cgov care``: care for vulnerable residents (关爱困难群众): needs, cadres, rounds, visits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import click

from community_governance.cli import emit, leaf, open_db
from community_governance.domain.access import Actor

_DAY = click.DateTime(["%Y-%m-%d"])


def _round_lines(rounds: Any) -> Iterator[str]:
    """One line per planned visit round: its tasks, when due, and who is over capacity."""
    for r in rounds:
        yield (f"{r.id}\t{r.tasks} visits due {r.due_at:%Y-%m-%d %H:%M} UTC"
               + (f"\tover capacity: {', '.join(r.over_capacity)}" if r.over_capacity else ""))


def _invitation_lines(rows: Any) -> Iterator[str]:
    """One line per invitation event, then the total."""
    for r in rows:
        yield (f"{r.community_code}\t{r.year} {r.occasion}\t{r.day}\tinvited {r.invited}\tyes "
               f"{r.accepted}\tno {r.declined}\tattended {r.attended}\t{r.rate:.1%}")
    if rows:
        inv, came = sum(r.invited for r in rows), sum(r.attended for r in rows)
        yield (f"total\t{len(rows)} events\tinvited {inv}\tattended {came}\t"
               f"{came / inv if inv else 1:.1%}")


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

    community_option = click.option("--community")
    year_option = click.option("--year", type=int)

    @leaf(care, "categories", click.argument("community"), access="public")
    def categories(community: str, db: str, as_json: bool) -> None:
        """The care categories of COMMUNITY (cgov_care_categories) with their risk tiers."""
        with open_db(db) as gov:
            found = gov.care.categories(community)
        emit(as_json, found, (f"{c.code}\t{c.chinese}\ttier {c.tier}" for c in found))

    @care.group("need")
    def need() -> None:
        """The registry of care needs (关爱对象登记)."""

    @leaf(need, "add",
          click.argument("resident"),
          click.argument("category"),
          click.option("--start", type=_DAY, required=True, help="first day (YYYY-MM-DD)"),
          click.option("--evidence", default="", help="what was seen (低保证号, 残疾证...)"),
          click.option("--visibility", type=click.Choice(["cadre", "office"]), default="cadre",
                       show_default=True, help="who may see it besides the resident"))
    def need_add(resident: str, category: str, start: dt.datetime, evidence: str,
                 visibility: str, db: str, actor: Actor, as_json: bool) -> None:
        """Register RESIDENT in care as CATEGORY."""
        from community_governance.services.care import NewCareNeed

        with open_db(db) as gov:
            got = gov.care.register_needs(actor, [NewCareNeed(
                resident, category, start.date(), evidence, visibility)])[0]
        emit(as_json, got, f"registered {got.id}: {resident} {category} from {got.start}")

    @leaf(need, "list",
          click.option("--community", help="only this community"),
          click.option("--resident", help="only this resident"),
          access="read")
    def need_list(community: str | None, resident: str | None, db: str, actor: Actor,
                  as_json: bool) -> None:
        """Care needs the actor may see (evidence masked; each read is access-logged)."""
        with open_db(db) as gov:
            found = gov.care.needs(actor, community=community, resident_id=resident)
        emit(as_json, found, (f"{n.id}\t{n.resident_id}\t{n.category}\t{n.start}–"
                              f"{n.end or ''}\t{n.evidence}" for n in found))

    @leaf(need, "show",
          click.argument("need_id"),
          click.option("--reveal", is_flag=True,
                       help="the evidence in full (office; needs --reason)"),
          click.option("--reason", help="why (written to the access log)"),
          access="read")
    def need_show(need_id: str, reveal: bool, reason: str | None, db: str, actor: Actor,
                  as_json: bool) -> None:
        """One care need."""
        with open_db(db) as gov:
            got = gov.care.need(actor, need_id, reveal=reveal, reason=reason)
        emit(as_json, got, f"{got.id}\t{got.resident_id}\t{got.category}\t{got.evidence}")

    @leaf(care, "enrol",
          click.argument("community"),
          click.option("--on", type=_DAY, required=True, help="first day of the needs"))
    def enrol(community: str, on: dt.datetime, db: str, actor: Actor, as_json: bool) -> None:
        """Register the residents of COMMUNITY whose vulnerability flags name a category."""
        with open_db(db) as gov:
            got = gov.care.enrol_flagged(actor, community, on=on.date())
        emit(as_json, {"registered": len(got)},
             f"registered {len(got)} care needs in {community}")

    @leaf(care, "assign",
          click.argument("resident"),
          click.argument("post"),
          click.option("--on", type=_DAY, required=True, help="first day"))
    def assign(resident: str, post: str, on: dt.datetime, db: str, actor: Actor,
               as_json: bool) -> None:
        """Give RESIDENT (in care) to the cadre holding POST (分包干部)."""
        with open_db(db) as gov:
            got = gov.care.assign(actor, [(resident, post)], on=on.date())[0]
        emit(as_json, got, f"{resident} → {got.cadre_id} ({post}) from {got.start}")

    @leaf(care, "handover",
          click.argument("post"),
          click.argument("to_post"),
          click.option("--on", type=_DAY, required=True, help="first day with the new cadre"))
    def handover(post: str, to_post: str, on: dt.datetime, db: str, actor: Actor,
                 as_json: bool) -> None:
        """Hand every resident of POST over to TO_POST (before POST ends)."""
        with open_db(db) as gov:
            got = gov.care.hand_over(actor, post, to_post, on=on.date())
        emit(as_json, got, f"handed {len(got)} residents from {post} to {to_post}")

    @leaf(care, "cadre", click.argument("resident"), access="read")
    def cadre(resident: str, db: str, actor: Actor, as_json: bool) -> None:
        """RESIDENT's assigned cadre and the number to call (in full for the resident)."""
        with open_db(db) as gov:
            got = gov.care.cadre_of(actor, resident)
        emit(as_json, got, f"{got.cadre_id}\t{got.cadre_phone or '-'}\tsince {got.start}")

    @leaf(care, "coverage",
          click.argument("community"),
          click.option("--on", type=_DAY, help="the day (default: today)"),
          access="read")
    def coverage(community: str, on: dt.datetime | None, db: str, actor: Actor,
                 as_json: bool) -> None:
        """Residents in care with and without a cadre, and the load per cadre."""
        with open_db(db) as gov:
            got = gov.care.coverage(actor, community, on=on.date() if on else None)
        emit(as_json, got.as_dict(), [
            f"{community} {got.day}: {got.covered}/{got.in_care} in care have a cadre",
            *(f"  no cadre: {rid}" for rid in got.uncovered),
            *(f"  {who}\t{n}" for who, n in sorted(got.load.items()))])

    @leaf(care, "festival",
          click.argument("community"),
          click.argument("festival"),
          click.argument("year", type=int),
          click.option("--lot", help="gifts from this charity-supermarket lot"),
          click.option("--fund-account", help="gifts bought from this care-fund account (5102)"),
          click.option("--unit-price", help="price of one gift, CNY"))
    def festival(community: str, festival: str, year: int, lot: str | None,
                 fund_account: str | None, unit_price: str | None, db: str, actor: Actor,
                 as_json: bool) -> None:
        """Plan the FESTIVAL round (dragon_boat, mid_autumn, spring_festival) of YEAR."""
        with open_db(db) as gov:
            got = gov.care.plan_festival(actor, community, festival, year, lot_id=lot,
                                         fund_account=fund_account, unit_price=unit_price)
        emit(as_json, got, f"planned {got.id}: {got.tasks} visits with {got.gift}, due "
                           f"{got.due_at:%Y-%m-%d %H:%M} UTC")
        if not as_json and got.over_capacity:
            click.echo(f"warning: more visits than they can make: "
                       f"{', '.join(got.over_capacity)}", err=True)

    @leaf(care, "monthly",
          click.argument("community"),
          click.argument("year", type=int),
          click.argument("month", type=int))
    def monthly(community: str, year: int, month: int, db: str, actor: Actor,
                as_json: bool) -> None:
        """Plan COMMUNITY's visits of MONTH (月探访): as many per resident as the risk tier
        asks, due on the county's working days."""
        with open_db(db) as gov:
            got = gov.care.plan_monthly(actor, community, year, month)
        emit(as_json, got, _round_lines(got))

    @leaf(care, "alert",
          click.argument("place"),
          click.argument("kind", type=click.Choice(["rain", "snow", "cold", "heat"])),
          click.argument("level", type=click.Choice(["blue", "yellow", "orange", "red"])),
          click.option("--at", "at", help="when it was issued, county time (default: now)"),
          click.option("--id", "alert_id", help="the alert's key (default: generated)"),
          click.option("--source", default="", help="who issued it (县气象台)"))
    def alert(place: str, kind: str, level: str, at: str | None, alert_id: str | None,
              source: str, db: str, actor: Actor, as_json: bool) -> None:
        """Record a weather alert for PLACE by hand: visit tasks for every assigned elder."""
        from community_governance.domain.care import WeatherAlert

        with open_db(db) as gov:
            when = _moment(gov, at)
            key = alert_id or f"{kind}-{place}-{when:%Y%m%d%H%M}"
            got = gov.care.record_alert(actor, WeatherAlert(key, place, kind, level, when,
                                                            source))
        emit(as_json, got, _round_lines(got))

    @leaf(care, "fetch-alerts",
          click.argument("county"),
          click.option("--day", type=_DAY, required=True))
    def fetch_alerts(county: str, day: dt.datetime, db: str, actor: Actor,
                     as_json: bool) -> None:
        """Ask the county's plugins for the day's weather alerts and record the new ones."""
        with open_db(db) as gov:
            got = gov.care.fetch_alerts(actor, county, day.date())
        emit(as_json, got, f"{len(got)} weather rounds planned")

    @leaf(care, "tasks", click.argument("round_id"), access="read")
    def tasks(round_id: str, db: str, actor: Actor, as_json: bool) -> None:
        """The visit tasks of ROUND_ID: who, by whom, due, done or the ladder's next step."""
        with open_db(db) as gov:
            got = gov.care.tasks(actor, round_id)
        emit(as_json, got, (f"{x['task_id']}\t{x['resident_id']}\t{x['cadre_id'] or '-'}\t"
                            f"{x['due_at']}\t{x['status']}\t{x['next']}" for x in got))

    @leaf(care, "visit",
          click.argument("resident"),
          click.option("--at", "at", help="when, county time (default: now)"),
          click.option("--outcome", type=click.Choice(["met", "needs", "no_answer", "hospital",
                                                       "away"]), default="met",
                       show_default=True),
          click.option("--needs", default="", help="needs found, as told"),
          click.option("--task", type=int, help="the visit task it answers"),
          click.option("--visitor", help="who visited (a system job names them)"))
    def visit(resident: str, at: str | None, outcome: str, needs: str, task: int | None,
              visitor: str | None, db: str, actor: Actor, as_json: bool) -> None:
        """Record a visit to RESIDENT (探访记录)."""
        with open_db(db) as gov:
            got = gov.care.record_visit(actor, resident, at=_moment(gov, at), outcome=outcome,
                                        needs=needs, task_id=task, visitor_id=visitor)
        emit(as_json, got, f"visit {got.id}: {got.visitor_id} → {resident} {got.outcome.value}")

    @leaf(care, "follow-up",
          click.argument("visit_id", type=int),
          click.option("--case", "as_case", is_flag=True, help="open a care case"),
          click.option("--lot", help="give from this charity-supermarket lot"),
          click.option("--quantity", type=int, default=1, show_default=True),
          click.option("--at", "at", help="when it was decided, county time (default: now)"))
    def follow_up(visit_id: int, as_case: bool, lot: str | None, quantity: int,
                  at: str | None, db: str, actor: Actor, as_json: bool) -> None:
        """Turn the needs VISIT_ID found into a care case and/or a charity give-out."""
        with open_db(db) as gov:
            got = gov.care.follow_up(actor, visit_id, case=as_case, lot_id=lot,
                                     quantity=quantity, at=_moment(gov, at) if at else None)
        emit(as_json, got, f"visit {visit_id}: case {got.case_id or '-'}, give-out "
                           f"{got.give_out_id or '-'}")

    @leaf(care, "help",
          click.argument("resident"),
          click.argument("summary"),
          click.option("--urgent", is_flag=True, help="due within the urgent hours"),
          click.option("--at", "at", help="when the resident called, county time (default: now)"))
    def help_(resident: str, summary: str, urgent: bool, at: str | None, db: str,
              actor: Actor, as_json: bool) -> None:
        """Log RESIDENT's call for help as a care case due within hours."""
        with open_db(db) as gov:
            got = gov.care.log_help(actor, resident, summary=summary,
                                    urgency="urgent" if urgent else "normal",
                                    at=_moment(gov, at) if at else None)
        emit(as_json, got, f"help request {got.id}: case {got.case_id}, due "
                           f"{got.due_at:%Y-%m-%d %H:%M} UTC")

    @leaf(care, "invite",
          click.argument("community"),
          click.argument("occasion"),
          click.argument("year", type=int),
          click.option("--resident", "residents", multiple=True,
                       help="invite this resident in care by name (repeat); default: every "
                            "resident of the invited categories "
                            "(cgov_care_invitation_categories)"),
          click.option("--venue", default="社区党群服务中心", show_default=True),
          click.option("--at", "at",
                       help="when the invitations went out, county time (default: now)"))
    def invite(community: str, occasion: str, year: int, residents: tuple[str, ...],
               venue: str, at: str | None, db: str, actor: Actor, as_json: bool) -> None:
        """Invite COMMUNITY's elders in care to spend OCCASION of YEAR at the community
        (new_year 元旦, spring_festival 春节, lantern 元宵节)."""
        with open_db(db) as gov:
            got = gov.care.invite(actor, community, occasion, year,
                                  residents=list(residents) or None, venue=venue,
                                  at=_moment(gov, at) if at else None)
        emit(as_json, got, f"{got.event_id}: {got.invited} invited to {got.title} on {got.day}")

    @leaf(care, "rsvp",
          click.argument("event_id"),
          click.argument("resident"),
          click.argument("answer", type=click.Choice(["yes", "no"])),
          click.option("--at", "at",
                       help="when the answer was given, county time (default: now)"))
    def rsvp(event_id: str, resident: str, answer: str, at: str | None, db: str,
             actor: Actor, as_json: bool) -> None:
        """Record RESIDENT's ANSWER (yes/no) to the invitation to EVENT_ID."""
        from community_governance.services.care import Reply

        with open_db(db) as gov:
            gov.care.reply(actor, event_id, [Reply(resident, answer, _moment(gov, at))])
        emit(as_json, {"event_id": event_id, "resident_id": resident, "answer": answer},
             f"{resident}: {answer}", err=True)

    @leaf(care, "attend",
          click.argument("event_id"),
          click.argument("residents", nargs=-1, required=True))
    def attend(event_id: str, residents: tuple[str, ...], db: str, actor: Actor,
               as_json: bool) -> None:
        """Record that the invited RESIDENTS came to EVENT_ID (after the event)."""
        with open_db(db) as gov:
            n = gov.care.attend(actor, event_id, residents)
        emit(as_json, {"event_id": event_id, "newly_recorded": n},
             f"{n} newly recorded as come", err=True)

    @care.group("report")
    def report() -> None:
        """Reports: rounds, monthly visit rate, needs found, gift costs, invitations."""

    @leaf(report, "rounds", community_option, year_option, access="read")
    def report_rounds(community: str | None, year: int | None, db: str, actor: Actor,
                      as_json: bool) -> None:
        """Coverage of each festival and weather round: visited, late, missed."""
        with open_db(db) as gov:
            got = gov.care.rounds_report(actor, community=community, year=year)
        emit(as_json, [r.as_dict() for r in got], (
            f"{r.round_id}\t{r.title}\ttasks {r.tasks}\ton time {r.on_time}\tlate {r.late}\t"
            f"missed {r.missed_count}\topen {r.open}" for r in got))

    @leaf(report, "monthly",
          click.argument("community"),
          click.argument("year", type=int),
          click.argument("month", type=int),
          access="read")
    def report_monthly(community: str, year: int, month: int, db: str, actor: Actor,
                       as_json: bool) -> None:
        """The monthly visit rate (月探访率) of COMMUNITY and its grids, with who was missed."""
        with open_db(db) as gov:
            got = gov.care.monthly_rates(actor, community, year, month)
        emit(as_json, [r.as_dict() for r in got], (
            f"{r.unit_code}\t{r.visited}/{r.due}\t{r.rate:.1%}\tmissed: "
            f"{' '.join(r.missed) or '-'}\tshort {r.short_count}" for r in got))

    @leaf(report, "needs", click.argument("community"), year_option, access="read")
    def report_needs(community: str, year: int | None, db: str, actor: Actor,
                     as_json: bool) -> None:
        """Needs found on visits and what became of them."""
        with open_db(db) as gov:
            got = gov.care.needs_report(actor, community, year=year)
        emit(as_json, got, f"needs found {got['needs_found']}, cases {got['became_cases']}, "
                           f"give-outs {got['became_give_outs']}, waiting "
                           f"{len(got['waiting'])}")

    @leaf(report, "gifts", community_option, year_option, access="read")
    def report_gifts(community: str | None, year: int | None, db: str, actor: Actor,
                     as_json: bool) -> None:
        """What festival gifts cost, by fund account (or ``charity``)."""
        with open_db(db) as gov:
            got = gov.care.gift_costs(actor, community=community, year=year)
        emit(as_json, got, (f"{k}\t{v}" for k, v in got.items()))

    @leaf(report, "invitations", community_option, year_option, access="read")
    def report_invitations(community: str | None, year: int | None, db: str, actor: Actor,
                           as_json: bool) -> None:
        """Coverage of the holiday invitations: invited, answers, attended, per community."""
        with open_db(db) as gov:
            got = gov.care.invitation_report(actor, community=community, year=year)
        emit(as_json, [r.as_dict() for r in got], _invitation_lines(got))
