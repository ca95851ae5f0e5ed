"""``cgov council``: the consultative council (协商议事会) and the community-affairs board
(社区事务公开)."""

from __future__ import annotations

import datetime as dt

import click

from community_governance.cli import db_option, echo_json, emit, json_option, leaf, open_db
from community_governance.domain.access import Actor

_DAY = click.DateTime(["%Y-%m-%d"])


def register(cli: click.Group) -> None:
    """Add the ``council`` group."""

    @cli.group()
    def council() -> None:
        """The consultative council: members, topics, meetings, votes, decisions, the board."""

    @leaf(council, "members", click.argument("community"), access="public")
    def members(community: str, db: str, as_json: bool) -> None:
        """COMMUNITY's council members sitting today (a public office)."""
        with open_db(db) as gov:
            found = gov.council.members(community, on=gov.now().date())
        emit(as_json, found, (f"{m.id}\t{m.seat.value}\t{m.name}\tsince {m.start}"
                              for m in found))

    @leaf(council, "topics", click.argument("community"), access="public")
    def topics(community: str, db: str, as_json: bool) -> None:
        """COMMUNITY's topics raised by residents, most supported first."""
        with open_db(db) as gov:
            found = gov.council.topics(community)
        emit(as_json, [{"id": x.id, "title": x.title, "raised_on": x.raised_on,
                        "supporters": x.supporters} for x in found],
             (f"{x.id}\t{x.supporters}\t{x.title}" for x in found))

    @leaf(council, "motions", click.argument("community"), access="public")
    def motions(community: str, db: str, as_json: bool) -> None:
        """COMMUNITY's motions with their counts and results."""
        with open_db(db) as gov:
            found = gov.council.motions(community)
        emit(as_json, found, (
            f"{m.held_on}\t{m.id}\t{m.title}\t赞成{m.result.votes_for} 反对{m.result.against} "
            f"弃权{m.result.abstain}\t{'通过' if m.result.carried else '未通过'}" for m in found))

    @leaf(council, "decisions", click.argument("community"), access="public")
    def decisions(community: str, db: str, as_json: bool) -> None:
        """COMMUNITY's decisions with deadline and completion."""
        with open_db(db) as gov:
            found = gov.council.decisions(community)
        emit(as_json, found, (
            f"{d.id}\tdue {d.due}\t"
            + ("open" if d.completed_on is None else
               f"done {d.completed_on} ({'on time' if d.on_time else 'late'})")
            + f"\t{d.summary}" for d in found))

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

    @leaf(council, "agenda", click.argument("meeting_id"), access="public")
    def agenda(meeting_id: str, db: str, as_json: bool) -> None:
        """MEETING_ID's agenda in order, with each item's quorum from the roster."""
        with open_db(db) as gov:
            items = gov.council.agenda(meeting_id)
            quorum = {q.item_id: q for q in gov.council.quorum(meeting_id)}
        emit(as_json, [{"item": x, "quorum": quorum[x.id]} for x in items], (
            f"{x.position}. {x.title}\t{x.topic_id or '-'}\t{x.motion_id or '-'}"
            f"\t{q.present}/{q.roster} (need {q.needed})"
            f"\t{'quorate' if q.quorate else 'no quorum'}"
            for x in items for q in [quorum[x.id]]))

    @leaf(council, "progress", click.argument("decision_id"), access="read")
    def progress(decision_id: str, db: str, actor: Actor, as_json: bool) -> None:
        """DECISION_ID with the cases, disbursements and postings it was referred to."""
        with open_db(db) as gov:
            got = gov.council.progress(actor, decision_id)
        d = got.decision
        emit(as_json, got, [f"{d.id}\t{got.status.value}\tdue {d.due}\t{d.summary}",
                            *(f"  {x.kind.value}\t{x.ref}\t{x.state}\t{x.done_on or ''}"
                              for x in got.links)])

    @leaf(council, "refer",
          click.argument("decision_id"),
          click.option("--case-category", help="refer to a case of this category ..."),
          click.option("--building", help="... at this building"),
          click.option("--account", help="refer to a disbursement request on this account ..."),
          click.option("--amount", help="... of this amount (CNY)"),
          click.option("--payee", help="... to this payee"),
          click.option("--posting", help="also post the decision on the affairs board as this "
                                         "key"))
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
        emit(as_json, got, f"referred {decision_id} to {'case' if case_category else 'request'} "
                           f"{ref}" + (f"; posted as {posting}" if posting else ""))

    @leaf(council, "follow-up", click.argument("community"))
    def follow_up(community: str, db: str, actor: Actor, as_json: bool) -> None:
        """Record done the decisions of COMMUNITY whose cases are resolved and whose
        disbursements are paid."""
        with open_db(db) as gov:
            done = gov.council.follow_up(actor, community)
        emit(as_json, done, (f"{p.decision.id}\tdone {p.decision.completed_on}\t"
                             f"{p.status.value}" for p in done))
        if not as_json:
            click.echo(f"{len(done)} decisions recorded done", err=True)

    under_option = click.option("--under", default="",
                                help="only communities under this code prefix")

    @leaf(council, "participation", under_option, access="public")
    def participation(under: str, db: str, as_json: bool) -> None:
        """Participation per community and month: council meetings and attendance, topics and
        supporters, evaluation ballots, decisions due and done on time (counts only)."""
        with open_db(db) as gov:
            rows = gov.council.participation(under)
        emit(as_json, rows, [
            "community\tmonth\tmeetings\tattendance\ttopics\tsupporters\tballots\tdue\ton_time",
            *(f"{r['community']}\t{r['month']}\t{r['meetings']}\t{r['attendance']}"
              f"\t{r['topics']}\t{r['supporters']}\t{r['ballots']}"
              f"\t{r['decisions_due']}\t{r['done_on_time']}" for r in rows)])

    @leaf(council, "on-time", under_option,
          click.option("--on", type=_DAY, help="decisions due by this day (default today)"),
          access="public")
    def on_time(under: str, on: dt.datetime | None, db: str, as_json: bool) -> None:
        """The share of decisions completed on time, per community."""
        with open_db(db) as gov:
            day = on.date() if on else gov.now().date()
            rows = gov.council.on_time_report(under, today=day)
        emit(as_json, rows, (f"{r['community']}\tdue {r['due']}\ton time {r['on_time']}\tlate "
                             f"{r['late']}\topen {r['open_past_due']}\t"
                             f"{r['on_time_share']:.0%}" for r in rows))
