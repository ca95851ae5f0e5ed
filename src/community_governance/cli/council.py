"""``cgov council``: the consultative council (协商议事会) and the community-affairs board
(社区事务公开)."""

from __future__ import annotations

import datetime as dt

import click

from community_governance.cli import db_option, echo_json, json_option, open_db


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
