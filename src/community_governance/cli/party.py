"""``cgov party``: the party tree (党建引领), members' public board, residents' evaluation of
party members (群众评议党员)."""

from __future__ import annotations

import datetime as dt

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


def register(cli: click.Group) -> None:
    """Add the ``party`` group."""

    @cli.group()
    def party() -> None:
        """Party organizations, members' public board, 群众评议党员."""

    @party.command("orgs")
    @db_option
    @click.option("--under", help="only organizations at units under this code prefix")
    @click.option("--kind", help="general_committee, grid_branch, building_group, "
                                 "property_org or partner_org")
    @json_option
    def orgs(db: str, under: str | None, kind: str | None, as_json: bool) -> None:
        """Party organizations (public facts; their members are not listed)."""
        with open_db(db) as gov:
            found = gov.registry.party_orgs(under, kind=kind)
        if as_json:
            echo_json(found)
            return
        for o in found:
            click.echo(f"{o.id}\t{o.kind.chinese}\t{o.unit_code}\t{o.name}"
                       f"\t{o.parent_id or '-'}")

    @party.command("tree")
    @click.argument("community")
    @db_option
    @json_option
    def tree(community: str, db: str, as_json: bool) -> None:
        """COMMUNITY's party tree: the general committee, its branches and groups."""
        with open_db(db) as gov:
            found = gov.party.tree(community)
        if as_json:
            echo_json([{"depth": d, "org": o} for d, o in found])
            return
        for d, o in found:
            click.echo(f"{'  ' * d}{o.name} ({o.kind.chinese}, {o.unit_code}) [{o.id}]")

    @party.command("board")
    @click.argument("building")
    @db_option
    @json_option
    def board(building: str, db: str, as_json: bool) -> None:
        """BUILDING's public board (党员亮身份): members who consented, no personal data."""
        with open_db(db) as gov:
            found = gov.party.board(building)
        if as_json:
            echo_json(found)
            return
        for m in found:
            centre = "\t党员中心户" if m.centre else ""
            click.echo(f"{m.name}\t{m.org_name}{centre}")

    @party.command("members")
    @click.argument("org_id")
    @db_option
    @actor_option
    @click.option("--reveal", is_flag=True, help="full names (needs resident.read as well)")
    @click.option("--reason", default="", help="why (for the access log)")
    @json_option
    def members(org_id: str, db: str, actor: Actor, reveal: bool, reason: str,
                as_json: bool) -> None:
        """ORG_ID's members today (sensitive: masked, written to the access log)."""
        with open_db(db) as gov:
            found = gov.party.members(actor, org_id, reveal=reveal, reason=reason)
        if as_json:
            echo_json(found)
            return
        for m in found:
            click.echo(f"{m.resident_id}\t{m.name}\tsince {m.start}")

    @party.command("open-evaluation")
    @click.argument("round_id")
    @click.argument("community")
    @click.option("--title", required=True, help="e.g. 2019年度群众评议党员")
    @click.option("--from", "start", type=_DAY, required=True, help="first day of voting")
    @click.option("--to", "end", type=_DAY, required=True, help="last day of voting")
    @click.option("--member", "member_ids", multiple=True, required=True,
                  help="a member to evaluate (repeat)")
    @db_option
    @writer_option
    @json_option
    def open_evaluation(round_id: str, community: str, title: str, start: dt.datetime,
                        end: dt.datetime, member_ids: tuple[str, ...], db: str, actor: Actor,
                        as_json: bool) -> None:
        """Open ROUND_ID of 群众评议党员 in COMMUNITY."""
        with open_db(db) as gov:
            got = gov.party.open_evaluation(actor, round_id, community, title=title,
                                            period_start=start.date(), period_end=end.date(),
                                            member_ids=list(member_ids))
        if as_json:
            echo_json(got)
        else:
            click.echo(f"opened {got.id}: {len(member_ids)} members, residents of each "
                       f"member's {got.electorate.value} evaluate, grades "
                       f"{'/'.join(got.grades)}")

    @party.command("vote")
    @click.argument("round_id")
    @click.argument("member_id")
    @click.argument("grade")
    @db_option
    @writer_option
    @json_option
    def vote(round_id: str, member_id: str, grade: str, db: str, actor: Actor,
             as_json: bool) -> None:
        """Cast the acting resident's anonymous ballot for MEMBER_ID in ROUND_ID."""
        with open_db(db) as gov:
            gov.party.cast_ballot(actor, round_id, member_id, grade)
        if as_json:
            echo_json({"round": round_id, "member": member_id, "counted": True})
        else:
            click.echo("ballot counted (your grade is not stored with your name)")

    @party.command("close-evaluation")
    @click.argument("round_id")
    @db_option
    @writer_option
    @json_option
    def close_evaluation(round_id: str, db: str, actor: Actor, as_json: bool) -> None:
        """Close ROUND_ID; results below the place's minimum are withheld."""
        with open_db(db) as gov:
            got = gov.party.close_evaluation(actor, round_id)
        if as_json:
            echo_json(got)
        else:
            click.echo(f"closed {got.id}: a result is shown from {got.min_ballots} ballots")

    @party.command("results")
    @click.argument("round_id")
    @db_option
    @actor_option
    @json_option
    def results(round_id: str, db: str, actor: Actor, as_json: bool) -> None:
        """ROUND_ID's results (the committee): counts, or withheld below the minimum."""
        with open_db(db) as gov:
            found = gov.party.results(actor, round_id)
        if as_json:
            echo_json(found)
            return
        for r in found:
            shown = (" ".join(f"{g}={n}" for g, n in r.counts) if r.counts is not None
                     else f"withheld (fewer than {r.min_ballots} ballots)")
            click.echo(f"{r.member_id}\t{r.ballots} ballots\t{shown}")

    @party.command("symposia")
    @click.argument("community")
    @db_option
    @actor_option
    @json_option
    def symposia(community: str, db: str, actor: Actor, as_json: bool) -> None:
        """COMMUNITY's 座谈会 of group leaders and 党员中心户: attendance, redacted minutes and
        each suggestion's action with its status (access-logged)."""
        with open_db(db) as gov:
            found = gov.party.symposia(actor, community)
        if as_json:
            echo_json(found)
            return
        for s in found:
            click.echo(f"{s.held_on}\t{s.id}\t{s.title}\t{len(s.attendees)} attended\t"
                       f"{len(s.actions)} actions")
            for a in s.actions:
                click.echo(f"  {a.id}\t{a.status.value}\tdue {a.due}\t{a.action}")

    @party.command("actions")
    @click.argument("community")
    @click.option("--status", type=click.Choice(["open", "done", "late"]),
                  help="only actions in this status today")
    @db_option
    @actor_option
    @json_option
    def actions(community: str, status: str | None, db: str, actor: Actor,
                as_json: bool) -> None:
        """COMMUNITY's 座谈会 actions by deadline: open, done or late."""
        with open_db(db) as gov:
            found = gov.party.symposium_actions(actor, community, status=status)
        if as_json:
            echo_json(found)
            return
        for a in found:
            click.echo(f"{a.id}\t{a.status.value}\tdue {a.due}\t{a.owner}\t{a.action}")

    @party.command("visits")
    @click.argument("community")
    @click.argument("festival")
    @click.argument("year", type=int)
    @db_option
    @actor_option
    @json_option
    def visits(community: str, festival: str, year: int, db: str, actor: Actor,
               as_json: bool) -> None:
        """COMMUNITY's outstanding members to visit at FESTIVAL (春节, mid_autumn...) of YEAR,
        with the partnering county leaders and the visits made (names masked)."""
        with open_db(db) as gov:
            found = gov.party.plan_festival_visits(actor, community, festival, year)
        if as_json:
            echo_json(found)
            return
        for p in found:
            who = ", ".join(f"{t} ({i})" for i, t in p.leaders) or "-"
            click.echo(f"{p.member.name}\t{p.member.reason.value}\t{p.window[0]}..{p.window[1]}"
                       f"\t{who}\t{p.visited or 'not visited'}")

    @party.command("visits-report")
    @click.argument("festival")
    @click.argument("year", type=int)
    @click.option("--under", default="", help="only communities under this code prefix")
    @db_option
    @actor_option
    @json_option
    def visits_report(festival: str, year: int, under: str, db: str, actor: Actor,
                      as_json: bool) -> None:
        """Festival visits per community: leaders, outstanding members, visited (counts)."""
        with open_db(db) as gov:
            rows = gov.party.festival_visit_report(actor, festival, year, under=under)
        if as_json:
            echo_json(rows)
            return
        for r in rows:
            click.echo(f"{r['community']}\t{r['festival_day']}\tleaders {r['leaders']}\t"
                       f"outstanding {r['outstanding']}\tvisited {r['visited']}\t"
                       f"not visited {r['not_visited']}")

    @party.command("active")
    @click.argument("community")
    @click.option("--from", "start", type=_DAY, required=True, help="first day")
    @click.option("--to", "end", type=_DAY, required=True, help="last day")
    @db_option
    @actor_option
    @json_option
    def active(community: str, start: dt.datetime, end: dt.datetime, db: str, actor: Actor,
               as_json: bool) -> None:
        """Party members of COMMUNITY active in public activities (党员参与公益活动) between
        two days, from the volunteer records (names masked; access-logged)."""
        with open_db(db) as gov:
            found = gov.party.activities(actor, community, start=start.date(), end=end.date())
        if as_json:
            echo_json({"community": community, "start": start.date(), "end": end.date(),
                       "members": len(found),
                       "active": sum(1 for m in found if m.activities > 0),
                       "rows": found})
            return
        n = sum(1 for m in found if m.activities > 0)
        click.echo(f"{n} of {len(found)} members took part in public activities")
        for m in found:
            click.echo(f"{m.name}\t{m.activities} activities\t{m.minutes} min")
