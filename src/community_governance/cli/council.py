"""``cgov council``: the consultative council (协商议事会) and the community-affairs board
(社区事务公开)."""

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
    """Add the ``council`` group."""

    @cli.group()
    def council() -> None:
        """The consultative council: members, topics, meetings, votes, decisions, the board."""

    @council.command("members")
    @click.argument("community")
    @db_option
    @json_option
    def members(community: str, db: str, as_json: bool) -> None:
        """COMMUNITY's council members sitting today (a public office)."""
        with open_db(db) as gov:
            found = gov.council.members(community, on=gov.now().date())
        if as_json:
            echo_json(found)
            return
        for m in found:
            click.echo(f"{m.id}\t{m.seat.value}\t{m.name}\tsince {m.start}")

    @council.command("topics")
    @click.argument("community")
    @db_option
    @json_option
    def topics(community: str, db: str, as_json: bool) -> None:
        """COMMUNITY's topics raised by residents, most supported first."""
        with open_db(db) as gov:
            found = gov.council.topics(community)
        if as_json:
            echo_json([{"id": x.id, "title": x.title, "raised_on": x.raised_on,
                        "supporters": x.supporters} for x in found])
            return
        for x in found:
            click.echo(f"{x.id}\t{x.supporters}\t{x.title}")

    @council.command("motions")
    @click.argument("community")
    @db_option
    @json_option
    def motions(community: str, db: str, as_json: bool) -> None:
        """COMMUNITY's motions with their counts and results."""
        with open_db(db) as gov:
            found = gov.council.motions(community)
        if as_json:
            echo_json(found)
            return
        for m in found:
            r = m.result
            click.echo(f"{m.held_on}\t{m.id}\t{m.title}\t赞成{r.votes_for} 反对{r.against} "
                       f"弃权{r.abstain}\t{'通过' if r.carried else '未通过'}")

    @council.command("decisions")
    @click.argument("community")
    @db_option
    @json_option
    def decisions(community: str, db: str, as_json: bool) -> None:
        """COMMUNITY's decisions with deadline and completion."""
        with open_db(db) as gov:
            found = gov.council.decisions(community)
        if as_json:
            echo_json(found)
            return
        for d in found:
            state = ("open" if d.completed_on is None else
                     f"done {d.completed_on} ({'on time' if d.on_time else 'late'})")
            click.echo(f"{d.id}\tdue {d.due}\t{state}\t{d.summary}")

    @council.command("board")
    @click.argument("community")
    @db_option
    @click.option("--on", type=click.DateTime(["%Y-%m-%d"]),
                  help="only postings in their period on this day")
    @click.option("--html", "html_path", type=click.Path(dir_okay=False),
                  help="write the printable Chinese page here")
    @json_option
    def board(community: str, db: str, on: dt.datetime | None, html_path: str | None,
              as_json: bool) -> None:
        """COMMUNITY's community-affairs board (社区事务公开): JSON, text or a printable page."""
        from community_governance.io.affairs import as_dict, render_html

        with open_db(db) as gov:
            day = on.date() if on else None
            found = gov.affairs.board(community, on=day)
            name = next((u.name for u in gov.registry.list_units() if u.code == community),
                        community)
            today = day or gov.now().date()
        if html_path:
            with open(html_path, "w", encoding="utf-8") as f:
                f.write(render_html(found, name, today))
        if as_json:
            echo_json(as_dict(found, community, today))
            return
        for p in found:
            click.echo(f"{p.posted_on}..{p.until}\t{p.kind.chinese}\t{p.title}\t"
                       f"阅知{p.acknowledged} 异议{p.objections}")

    @council.command("agenda")
    @click.argument("meeting_id")
    @db_option
    @json_option
    def agenda(meeting_id: str, db: str, as_json: bool) -> None:
        """MEETING_ID's agenda in order, with each item's quorum from the roster."""
        with open_db(db) as gov:
            items = gov.council.agenda(meeting_id)
            quorum = {q.item_id: q for q in gov.council.quorum(meeting_id)}
        if as_json:
            echo_json([{"item": x, "quorum": quorum[x.id]} for x in items])
            return
        for x in items:
            q = quorum[x.id]
            click.echo(f"{x.position}. {x.title}\t{x.topic_id or '-'}\t{x.motion_id or '-'}"
                       f"\t{q.present}/{q.roster} (need {q.needed})"
                       f"\t{'quorate' if q.quorate else 'no quorum'}")

    @council.command("progress")
    @click.argument("decision_id")
    @db_option
    @actor_option
    @json_option
    def progress(decision_id: str, db: str, actor: Actor, as_json: bool) -> None:
        """DECISION_ID with the cases, disbursements and postings it was referred to."""
        with open_db(db) as gov:
            got = gov.council.progress(actor, decision_id)
        if as_json:
            echo_json(got)
            return
        d = got.decision
        click.echo(f"{d.id}\t{got.status.value}\tdue {d.due}\t{d.summary}")
        for x in got.links:
            click.echo(f"  {x.kind.value}\t{x.ref}\t{x.state}\t{x.done_on or ''}")

    @council.command("refer")
    @click.argument("decision_id")
    @click.option("--case-category", help="refer to a case of this category ...")
    @click.option("--building", help="... at this building")
    @click.option("--account", help="refer to a disbursement request on this account ...")
    @click.option("--amount", help="... of this amount (CNY)")
    @click.option("--payee", help="... to this payee")
    @click.option("--posting", help="also post the decision on the affairs board as this key")
    @db_option
    @writer_option
    @json_option
    def refer(decision_id: str, case_category: str | None, building: str | None,
              account: str | None, amount: str | None, payee: str | None,
              posting: str | None, db: str, actor: Actor, as_json: bool) -> None:
        """Refer DECISION_ID, without retyping, to a case or a disbursement request (and the
        affairs board)."""
        if (case_category is None) == (account is None):
            raise click.UsageError("give either --case-category and --building, or --account, "
                                   "--amount and --payee")
        with open_db(db) as gov:
            if case_category is not None:
                if building is None:
                    raise click.UsageError("--case-category needs --building")
                got: object = gov.council.refer_to_case(
                    actor, decision_id, category=case_category, building_code=building,
                    posting_id=posting)
                ref = getattr(got, "id", "")
            else:
                if amount is None or payee is None:
                    raise click.UsageError("--account needs --amount and --payee")
                got = gov.council.refer_to_funds(actor, decision_id, account=account or "",
                                                 amount=amount, payee=payee,
                                                 posting_id=posting)
                ref = getattr(got, "id", "")
        if as_json:
            echo_json(got)
        else:
            click.echo(f"referred {decision_id} to {'case' if case_category else 'request'} "
                       f"{ref}" + (f"; posted as {posting}" if posting else ""))

    @council.command("follow-up")
    @click.argument("community")
    @db_option
    @writer_option
    @json_option
    def follow_up(community: str, db: str, actor: Actor, as_json: bool) -> None:
        """Record done the decisions of COMMUNITY whose cases are resolved and whose
        disbursements are paid."""
        with open_db(db) as gov:
            done = gov.council.follow_up(actor, community)
        if as_json:
            echo_json(done)
            return
        for p in done:
            click.echo(f"{p.decision.id}\tdone {p.decision.completed_on}\t{p.status.value}")
        click.echo(f"{len(done)} decisions recorded done", err=True)

    @council.command("participation")
    @click.option("--under", default="", help="only communities under this code prefix")
    @db_option
    @json_option
    def participation(under: str, db: str, as_json: bool) -> None:
        """Participation per community and month: council meetings and attendance, topics and
        supporters, evaluation ballots, decisions due and done on time (counts only)."""
        with open_db(db) as gov:
            rows = gov.council.participation(under)
        if as_json:
            echo_json(rows)
            return
        click.echo("community\tmonth\tmeetings\tattendance\ttopics\tsupporters\tballots"
                   "\tdue\ton_time")
        for r in rows:
            click.echo(f"{r['community']}\t{r['month']}\t{r['meetings']}\t{r['attendance']}"
                       f"\t{r['topics']}\t{r['supporters']}\t{r['ballots']}"
                       f"\t{r['decisions_due']}\t{r['done_on_time']}")

    @council.command("on-time")
    @click.option("--under", default="", help="only communities under this code prefix")
    @click.option("--on", type=_DAY, help="decisions due by this day (default today)")
    @db_option
    @json_option
    def on_time(under: str, on: dt.datetime | None, db: str, as_json: bool) -> None:
        """The share of decisions completed on time, per community."""
        with open_db(db) as gov:
            day = on.date() if on else gov.now().date()
            rows = gov.council.on_time_report(under, today=day)
        if as_json:
            echo_json(rows)
            return
        for r in rows:
            click.echo(f"{r['community']}\tdue {r['due']}\ton time {r['on_time']}\tlate "
                       f"{r['late']}\topen {r['open_past_due']}\t{r['on_time_share']:.0%}")
