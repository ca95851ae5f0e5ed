"""``cgov guide``: the service guide (办事指南)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from community_governance.cli import db_option, echo_json, open_db, writer_option
from community_governance.domain.access import Actor


def register(cli: click.Group) -> None:
    """Add the ``guide`` group."""

    @cli.group()
    def guide() -> None:
        """The service guide (办事指南): seed, publish, list, search, WeChat JSON."""

    @guide.command()
    @db_option
    @writer_option
    def seed(db: str, actor: Actor) -> None:
        """Publish the default matters (and those of county plugins) not in the guide yet."""
        with open_db(db) as gov:
            n = gov.guide.seed_defaults(actor)
        click.echo(f"{n} matters added")

    @guide.command()
    @db_option
    @writer_option
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--note", default="")
    def publish(db: str, actor: Actor, file: Path, note: str) -> None:
        """Publish a matter (or a new version) from a JSON FILE (one object or a list)."""
        from community_governance.domain.guide import GuideMatter

        data = json.loads(file.read_text(encoding="utf-8"))
        items = data if isinstance(data, list) else [data]
        with open_db(db) as gov:
            for item in items:
                m = GuideMatter.from_dict(item)
                v = gov.guide.publish(actor, m, note=note)
                click.echo(f"{m.code} version {v}")

    @guide.command("list")
    @db_option
    @click.option("--domain", default=None, help="civil_affairs, social_security, health, "
                  "public_security (or 民政...)")
    @click.option("--community", default=None)
    def list_cmd(db: str, domain: str | None, community: str | None) -> None:
        """List the published matters."""
        with open_db(db) as gov:
            for m in gov.guide.list_matters(domain=domain, community=community):
                click.echo(f"{m.code}  {m.domain.chinese:<4}  {m.title}")

    @guide.command()
    @db_option
    @click.argument("code")
    @click.option("--version", type=int, default=None)
    def show(db: str, code: str, version: int | None) -> None:
        """Show one matter as JSON."""
        with open_db(db) as gov:
            echo_json(gov.guide.get(code, version=version).as_dict())

    @guide.command()
    @db_option
    @click.argument("words", nargs=-1, required=True)
    @click.option("--limit", default=10, show_default=True)
    def search(db: str, words: tuple[str, ...], limit: int) -> None:
        """Search the guide, e.g. ``cgov guide search 低保``."""
        with open_db(db) as gov:
            for m in gov.guide.search(" ".join(words), limit=limit):
                click.echo(f"{m.code}  {m.title}  ({m.office}, {m.phone})")

    @guide.command("json")
    @db_option
    @click.option("--community", default=None)
    @click.option("--menu", "menu_url", default=None,
                  help="print a WeChat custom menu whose buttons open this URL instead")
    def as_json(db: str, community: str | None, menu_url: str | None) -> None:
        """Print the published guide as JSON for the WeChat official account."""
        with open_db(db) as gov:
            if menu_url:
                echo_json(gov.guide.wechat_menu(menu_url, community=community))
            else:
                echo_json(gov.guide.published_json(community=community))
