"""``cgov tokens``: the HTTP API's bearer tokens (接口令牌): issue, list, revoke."""

from __future__ import annotations

import datetime as dt

import click

from community_governance.cli import (
    actor_option,
    db_option,
    echo_json,
    json_option,
    open_db,
    parse_actor,
    writer_option,
)
from community_governance.domain.access import Actor
from community_governance.domain.tokens import SCOPES


def register(cli: click.Group) -> None:
    """Add the ``tokens`` group."""

    @cli.group()
    def tokens() -> None:
        """Bearer tokens of the HTTP API (cgov serve): each acts as one actor within scopes.
        Only a digest of each token is stored: the secret is printed once, at issue."""

    @tokens.command("issue")
    @click.option("--for", "bound_to", required=True,
                  help="who the token acts as: resident:<id>, staff:<id> or system")
    @click.option("--scope", "scopes", multiple=True, required=True,
                  type=click.Choice(sorted(SCOPES)), help="an API area (repeat)")
    @click.option("--label", default="", help="what the token is for")
    @click.option("--expires-days", type=click.IntRange(1, 3650), default=None,
                  help="stop working after this many days (default: until revoked)")
    @click.option("--county", default=None, help="the county (an administrator's scope)")
    @db_option
    @writer_option
    @json_option
    def issue(bound_to: str, scopes: tuple[str, ...], label: str, expires_days: int | None,
              county: str | None, db: str, actor: Actor, as_json: bool) -> None:
        """Issue a token; its secret is printed once (on stdout), never stored."""
        with open_db(db) as gov:
            expires = (gov.now() + dt.timedelta(days=expires_days)) if expires_days else None
            got = gov.tokens.issue(actor, parse_actor(bound_to), scopes, label=label,
                                   expires_at=expires, county=county)
        if as_json:
            echo_json({"token": got.token, "secret": got.secret})
            return
        click.echo(f"issued token {got.token.id} for {got.token.actor} "
                   f"(scopes: {' '.join(got.token.scopes)}); keep the secret, it is shown "
                   "only now:", err=True)
        click.echo(got.secret)

    @tokens.command("list")
    @click.option("--county", default=None, help="the county (an administrator's scope)")
    @db_option
    @actor_option
    @json_option
    def list_(county: str | None, db: str, actor: Actor, as_json: bool) -> None:
        """Every token, newest first (never a secret)."""
        with open_db(db) as gov:
            found = gov.tokens.list_tokens(actor, county=county)
        if as_json:
            echo_json(found)
            return
        for t in found:
            state = ("revoked" if t.revoked_at else
                     f"expires {t.expires_at:%Y-%m-%d}" if t.expires_at else "active")
            click.echo(f"{t.id}\t{t.actor}\t{' '.join(t.scopes)}\t{state}\t{t.label}")

    @tokens.command("revoke")
    @click.argument("token_id", type=int)
    @click.option("--county", default=None, help="the county (an administrator's scope)")
    @db_option
    @writer_option
    @json_option
    def revoke(token_id: int, county: str | None, db: str, actor: Actor,
               as_json: bool) -> None:
        """Revoke token TOKEN_ID: it stops working at once."""
        with open_db(db) as gov:
            got = gov.tokens.revoke(actor, token_id, county=county)
        if as_json:
            echo_json(got)
        else:
            click.echo(f"revoked token {got.id} ({got.actor})")
