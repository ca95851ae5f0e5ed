"""The ``cgov`` command line (click, with rich progress bars).

Each module of this package adds its commands through a ``register(cli)`` function; installed
plugins add theirs through the ``cgov_register_commands`` hook.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from community_governance.domain.access import Actor, ActorKind
from community_governance.errors import CgovError

__all__ = ["actor_option", "cli", "db_option", "echo_json", "main", "open_db", "parse_actor"]

F = TypeVar("F", bound=Callable[..., Any])


def parse_actor(value: str) -> Actor:
    """``system``, ``public``, ``staff:ID`` or ``resident:ID`` → :class:`Actor`."""
    kind, _, ident = value.partition(":")
    try:
        k = ActorKind(kind)
    except ValueError:
        raise click.BadParameter(
            f"{value!r}: use system, public, staff:<holder id> or resident:<resident id>"
        ) from None
    if k in (ActorKind.STAFF, ActorKind.RESIDENT) and not ident:
        raise click.BadParameter(f"{value!r}: {k.value} needs an id, e.g. {k.value}:S0001")
    return Actor(k, ident or ("cli" if k is ActorKind.SYSTEM else "public"))


def db_option(f: F) -> F:
    """The ``--db URL`` option (default: the CGOV_DB environment variable)."""
    return click.option("--db", "db", envvar="CGOV_DB", required=True,
                        help="database URL: sqlite:///county.db, postgresql://..., memory://")(f)


def actor_option(f: F) -> F:
    """The ``--as ACTOR`` option (default: the system job ``cli``)."""
    return click.option("--as", "actor", default="system", show_default=True,
                        callback=lambda _c, _p, v: parse_actor(v),
                        help="who acts: system, staff:<id>, resident:<id> or public")(f)


def open_db(url: str, **kwargs: Any) -> Any:
    """Open the governance store for a command.

    ``CGOV_NOW`` (an ISO time with its offset, e.g. ``2019-06-01T09:00+08:00``) pins "now"
    for every command: reproducible runs, and back-office replays of a past day.
    """
    import os

    import pendulum

    import community_governance

    pinned = os.environ.get("CGOV_NOW")
    if pinned and "clock" not in kwargs:
        try:
            fixed = pendulum.parse(pinned)
        except (ValueError, pendulum.parsing.exceptions.ParserError) as exc:
            raise click.BadParameter(f"CGOV_NOW={pinned!r} is not an ISO time: {exc}") from None
        if not isinstance(fixed, pendulum.DateTime):
            raise click.BadParameter(f"CGOV_NOW={pinned!r} must be a date and time")
        kwargs["clock"] = lambda: fixed
    return community_governance.open(url, **kwargs)


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON (Chinese kept readable; attrs objects, money, dates and
    enums through the library's converter)."""
    from community_governance.serialization import to_jsonable

    click.echo(json.dumps(to_jsonable(data), ensure_ascii=False, indent=2, default=str))


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CgovError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.version_option(package_name="community-governance")
def cli() -> None:
    """cgov: community governance (基层社区治理) from the command line."""


def _load() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            mod = importlib.import_module(f"{__name__}.{info.name}")
            register = getattr(mod, "register", None)
            if register is not None:
                register(cli)
    from community_governance.plugins import Hooks, accept_any, get_plugin_manager

    try:
        Hooks(get_plugin_manager()).all("cgov_register_commands", accept_any, cli=cli)
    except CgovError as exc:
        click.secho(f"warning: a plugin's commands were not added: {exc}", fg="yellow", err=True)


def main() -> None:
    """Entry point of the ``cgov`` script."""
    _load()
    cli()
