"""``cgov party``: the party tree (党建引领), members' public board, residents' evaluation of
party members (群众评议党员)."""

from __future__ import annotations

import datetime as dt

import click

from community_governance.cli import (
    actor_option,
    db_option,
    emit,
    json_option,
    leaf,
    open_db,
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
        emit(as_json, found, (f"{o.id}\t{o.kind.chinese}\t{o.unit_code}\t{o.name}"
                              f"\t{o.parent_id or '-'}" for o in found))

    @leaf(party, "tree", click.argument("community"), access="public")
    def tree(community: str, db: str, as_json: bool) -> None:
        """COMMUNITY's party tree: the general committee, its branches and groups."""
        with open_db(db) as gov:
            found = gov.party.tree(community)
        emit(as_json, [{"depth": d, "org": o} for d, o in found],
             (f"{'  ' * d}{o.name} ({o.kind.chinese}, {o.unit_code}) [{o.id}]" for d, o in found))

    @leaf(party, "board", click.argument("building"), access="public")
    def board(building: str, db: str, as_json: bool) -> None:
        """BUILDING's public board (党员亮身份): members who consented, no personal data."""
        with open_db(db) as gov:
            found = gov.party.board(building)
        emit(as_json, found, (f"{m.name}\t{m.org_name}" + ("\t党员中心户" if m.centre else "")
                              for m in found))

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
        emit(as_json, found, (f"{m.resident_id}\t{m.name}\tsince {m.start}" for m in found))

    @leaf(party, "open-evaluation",
          click.argument("round_id"),
          click.argument("community"),
          click.option("--title", required=True, help="e.g. 2019年度群众评议党员"),
          click.option("--from", "start", type=_DAY, required=True, help="first day of voting"),
          click.option("--to", "end", type=_DAY, required=True, help="last day of voting"),
          click.option("--member", "member_ids", multiple=True, required=True,
                       help="a member to evaluate (repeat)"))
    def open_evaluation(round_id: str, community: str, title: str, start: dt.datetime,
                        end: dt.datetime, member_ids: tuple[str, ...], db: str, actor: Actor,
                        as_json: bool) -> None:
        """Open ROUND_ID of 群众评议党员 in COMMUNITY."""
        with open_db(db) as gov:
            got = gov.party.open_evaluation(actor, round_id, community, title=title,
                                            period_start=start.date(), period_end=end.date(),
                                            member_ids=list(member_ids))
        emit(as_json, got, f"opened {got.id}: {len(member_ids)} members, residents of each "
                           f"member's {got.electorate.value} evaluate, grades "
                           f"{'/'.join(got.grades)}")

    @leaf(party, "vote",
          click.argument("round_id"),
          click.argument("member_id"),
          click.argument("grade"))
    def vote(round_id: str, member_id: str, grade: str, db: str, actor: Actor,
             as_json: bool) -> None:
        """Cast the acting resident's anonymous ballot for MEMBER_ID in ROUND_ID."""
        with open_db(db) as gov:
            gov.party.cast_ballot(actor, round_id, member_id, grade)
        emit(as_json, {"round": round_id, "member": member_id, "counted": True},
             "ballot counted (your grade is not stored with your name)")

    @leaf(party, "close-evaluation", click.argument("round_id"))
    def close_evaluation(round_id: str, db: str, actor: Actor, as_json: bool) -> None:
        """Close ROUND_ID; results below the place's minimum are withheld."""
        with open_db(db) as gov:
            got = gov.party.close_evaluation(actor, round_id)
        emit(as_json, got, f"closed {got.id}: a result is shown from {got.min_ballots} ballots")

    @leaf(party, "results", click.argument("round_id"), access="read")
    def results(round_id: str, db: str, actor: Actor, as_json: bool) -> None:
        """ROUND_ID's results (the committee): counts, or withheld below the minimum."""
        with open_db(db) as gov:
            found = gov.party.results(actor, round_id)
        emit(as_json, found, (
            f"{r.member_id}\t{r.ballots} ballots\t"
            + (" ".join(f"{g}={n}" for g, n in r.counts) if r.counts is not None
               else f"withheld (fewer than {r.min_ballots} ballots)") for r in found))

    @leaf(party, "symposia", click.argument("community"), access="read")
    def symposia(community: str, db: str, actor: Actor, as_json: bool) -> None:
        """COMMUNITY's 座谈会 of group leaders and 党员中心户: attendance, redacted minutes and
        each suggestion's action with its status (access-logged)."""
        with open_db(db) as gov:
            found = gov.party.symposia(actor, community)
        emit(as_json, found, (
            line for s in found for line in [
                f"{s.held_on}\t{s.id}\t{s.title}\t{len(s.attendees)} attended\t"
                f"{len(s.actions)} actions",
                *(f"  {a.id}\t{a.status.value}\tdue {a.due}\t{a.action}" for a in s.actions)]))

    @leaf(party, "actions",
          click.argument("community"),
          click.option("--status", type=click.Choice(["open", "done", "late"]),
                       help="only actions in this status today"),
          access="read")
    def actions(community: str, status: str | None, db: str, actor: Actor,
                as_json: bool) -> None:
        """COMMUNITY's 座谈会 actions by deadline: open, done or late."""
        with open_db(db) as gov:
            found = gov.party.symposium_actions(actor, community, status=status)
        emit(as_json, found, (f"{a.id}\t{a.status.value}\tdue {a.due}\t{a.owner}\t{a.action}"
                              for a in found))

    @leaf(party, "visits",
          click.argument("community"),
          click.argument("festival"),
          click.argument("year", type=int),
          access="read")
    def visits(community: str, festival: str, year: int, db: str, actor: Actor,
               as_json: bool) -> None:
        """COMMUNITY's outstanding members to visit at FESTIVAL (春节, mid_autumn...) of YEAR,
        with the partnering county leaders and the visits made (names masked)."""
        with open_db(db) as gov:
            found = gov.party.plan_festival_visits(actor, community, festival, year)
        emit(as_json, found, (
            f"{p.member.name}\t{p.member.reason.value}\t{p.window[0]}..{p.window[1]}\t"
            + (", ".join(f"{t} ({i})" for i, t in p.leaders) or "-")
            + f"\t{p.visited or 'not visited'}" for p in found))

    @leaf(party, "visits-report",
          click.argument("festival"),
          click.argument("year", type=int),
          click.option("--under", default="", help="only communities under this code prefix"),
          access="read")
    def visits_report(festival: str, year: int, under: str, db: str, actor: Actor,
                      as_json: bool) -> None:
        """Festival visits per community: leaders, outstanding members, visited (counts)."""
        with open_db(db) as gov:
            rows = gov.party.festival_visit_report(actor, festival, year, under=under)
        emit(as_json, rows, (f"{r['community']}\t{r['festival_day']}\tleaders {r['leaders']}\t"
                             f"outstanding {r['outstanding']}\tvisited {r['visited']}\t"
                             f"not visited {r['not_visited']}" for r in rows))

    @leaf(party, "active",
          click.argument("community"),
          click.option("--from", "start", type=_DAY, required=True, help="first day"),
          click.option("--to", "end", type=_DAY, required=True, help="last day"),
          access="read")
    def active(community: str, start: dt.datetime, end: dt.datetime, db: str, actor: Actor,
               as_json: bool) -> None:
        """Party members of COMMUNITY active in public activities (党员参与公益活动) between
        two days, from the volunteer records (names masked; access-logged)."""
        with open_db(db) as gov:
            found = gov.party.activities(actor, community, start=start.date(), end=end.date())
        n = sum(1 for m in found if m.activities > 0)
        emit(as_json, {"community": community, "start": start.date(), "end": end.date(),
                       "members": len(found), "active": n, "rows": found},
             [f"{n} of {len(found)} members took part in public activities",
              *(f"{m.name}\t{m.activities} activities\t{m.minutes} min" for m in found)])
