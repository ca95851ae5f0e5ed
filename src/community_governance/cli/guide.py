"""``cgov guide``: the service guide (办事指南)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from community_governance.cli import (
    db_option,
    echo_json,
    json_always,
    json_option,
    open_db,
    writer_option,
)
from community_governance.domain.access import Actor


def register(cli: click.Group) -> None:
    """Add the ``guide`` group."""

    @cli.group()
    def guide() -> None:
        """The service guide (办事指南): seed, publish, list, search, WeChat JSON."""

    @guide.command()
    @db_option
    @writer_option
    @json_option
    def seed(db: str, actor: Actor, as_json: bool) -> None:
        """Publish the default matters (and those of county plugins) not in the guide yet."""
        with open_db(db) as gov:
            n = gov.guide.seed_defaults(actor)
        if as_json:
            echo_json({"added": n})
        else:
            click.echo(f"{n} matters added")

    @guide.command()
    @db_option
    @writer_option
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--note", default="")
    @json_option
    def publish(db: str, actor: Actor, file: Path, note: str, as_json: bool) -> None:
        """Publish a matter (or a new version) from a JSON FILE (one object or a list)."""
        from community_governance.domain.guide import GuideMatter

        data = json.loads(file.read_text(encoding="utf-8"))
        items = data if isinstance(data, list) else [data]
        done = []
        with open_db(db) as gov:
            for item in items:
                m = GuideMatter.from_dict(item)
                done.append({"code": m.code, "version": gov.guide.publish(actor, m, note=note)})
        if as_json:
            echo_json(done)
            return
        for d in done:
            click.echo(f"{d['code']} version {d['version']}")

    @guide.command("list")
    @db_option
    @click.option("--domain", default=None, help="civil_affairs, social_security, health, "
                  "public_security (or 民政...)")
    @click.option("--community", default=None)
    @json_option
    def list_cmd(db: str, domain: str | None, community: str | None, as_json: bool) -> None:
        """List the published matters."""
        with open_db(db) as gov:
            found = gov.guide.list_matters(domain=domain, community=community)
        if as_json:
            echo_json([m.as_dict() for m in found])
            return
        for m in found:
            click.echo(f"{m.code}  {m.domain.chinese:<4}  {m.title}")

    @guide.command()
    @db_option
    @click.argument("code")
    @click.option("--version", type=int, default=None)
    @json_always
    def show(db: str, code: str, version: int | None) -> None:
        """Show one matter as JSON."""
        with open_db(db) as gov:
            echo_json(gov.guide.get(code, version=version).as_dict())

    @guide.command()
    @db_option
    @click.argument("words", nargs=-1, required=True)
    @click.option("--limit", default=10, show_default=True)
    @json_option
    def search(db: str, words: tuple[str, ...], limit: int, as_json: bool) -> None:
        """Search the guide, e.g. ``cgov guide search 低保``."""
        with open_db(db) as gov:
            found = gov.guide.search(" ".join(words), limit=limit)
        if as_json:
            echo_json([m.as_dict() for m in found])
            return
        for m in found:
            click.echo(f"{m.code}  {m.title}  ({m.office}, {m.phone})")

    @guide.command("json")
    @db_option
    @click.option("--community", default=None)
    @click.option("--menu", "menu_url", default=None,
                  help="print a WeChat custom menu whose buttons open this URL instead")
    @json_always
    def as_json(db: str, community: str | None, menu_url: str | None) -> None:
        """Print the published guide as JSON for the WeChat official account."""
        with open_db(db) as gov:
            if menu_url:
                echo_json(gov.guide.wechat_menu(menu_url, community=community))
            else:
                echo_json(gov.guide.published_json(community=community))
