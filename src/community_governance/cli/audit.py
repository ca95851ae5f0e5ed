"""``cgov audit``: read the audit trail and the sensitive-data access log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from community_governance.cli import actor_option, console, db_option, echo_json, open_db
from community_governance.domain.access import Actor


def _when(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    import pendulum

    try:
        parsed = pendulum.parse(value, tz="Asia/Shanghai")
    except (ValueError, pendulum.parsing.exceptions.ParserError) as exc:
        raise click.BadParameter(f"{value!r} is not a date or time (2026-11-25 or "
                                 f"2026-11-25T09:00): {exc}") from None
    if not isinstance(parsed, dt.datetime):
        raise click.BadParameter(f"{value!r} is not a date or a time of day")
    return parsed


def _filters(f: Any) -> Any:
    f = click.option("--json", "as_json", is_flag=True, help="print JSON")(f)
    f = click.option("--limit", type=click.IntRange(1, 100000), default=200, show_default=True,
                     help="at most this many rows")(f)
    f = click.option("--until", callback=_when,
                     help="only rows before this time (Asia/Shanghai unless a zone is given)")(f)
    f = click.option("--since", callback=_when,
                     help="only rows at or after this time (Asia/Shanghai unless a zone is "
                          "given)")(f)
    f = click.option("--actor", "by",
                     help="only rows of this actor: staff:ID, resident:ID or ID")(f)
    return f


def _objects(items: list[str]) -> str:
    shown = ", ".join(items[:3])
    return f"{shown} (+{len(items) - 3})" if len(items) > 3 else shown


def _print(rows: list[dict[str, Any]], columns: list[str], title: str) -> None:
    from rich.table import Table

    table = Table(title=title)
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*(str(r[c]) if not isinstance(r[c], list) else _objects(r[c])
                        for c in columns))
    console().print(table)


@click.group()
def audit() -> None:
    """The audit trail (操作日志) and the sensitive-data access log (访问日志)."""


@audit.command("log")
@db_option
@actor_option
@click.option("--operation", help="only operations starting with this, e.g. registry.")
@click.option("--object", "obj", help="only rows that wrote this object, e.g. resident:R0001")
@_filters
def log_cmd(db: str, actor: Actor, operation: str | None, obj: str | None, by: str | None,
            since: dt.datetime | None, until: dt.datetime | None, limit: int,
            as_json: bool) -> None:
    """Who wrote what, when: the rows of the audit trail the reader may see."""
    with open_db(db) as gov:
        rows = [e.as_dict() for e in gov.audit.log(
            actor, by=by, operation=operation, obj=obj, since=since, until=until, limit=limit)]
    if as_json:
        echo_json(rows)
        return
    _print(rows, ["id", "at", "actor", "operation", "objects"], "Audit trail 操作日志")


@audit.command("access")
@db_option
@actor_option
@click.option("--action", help="only actions starting with this, e.g. resident.read_id")
@click.option("--target", help="only reads of this object, e.g. 'resident R0001' or R0001")
@_filters
def access_cmd(db: str, actor: Actor, action: str | None, target: str | None, by: str | None,
               since: dt.datetime | None, until: dt.datetime | None, limit: int,
               as_json: bool) -> None:
    """Who read which sensitive data, when and why: the access log."""
    with open_db(db) as gov:
        rows = [e.as_dict() for e in gov.audit.access(
            actor, by=by, action=action, target=target, since=since, until=until,
            limit=limit)]
    if as_json:
        echo_json(rows)
        return
    _print(rows, ["id", "at", "actor", "action", "target", "reason"],
           "Access log 敏感信息访问日志")


@click.command("verify")
@db_option
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.option("--heads", is_flag=True,
              help="also print every chain's head (keep them elsewhere as an anchor)")
def verify_cmd(db: str, as_json: bool, heads: bool) -> None:
    """Recompute every ledger from its journal and check every hash chain (核对).

    Points balances and supermarket stock from their journals, funds transactions against
    their postings, cases against their transitions, and the hash chains of the points
    journal, the funds transactions, the case transitions and the audit trail. Exits 1 and
    names the first broken row of each chain (table, row, what differs) when anything breaks.
    Read-only; runs as the system job ``verify``.
    """
    with open_db(db) as gov:
        report = gov.verify()
    data = report.as_dict()
    if heads:
        data["heads"] = dict(report.heads)
    if as_json:
        echo_json(data)
    else:
        total = sum(report.rows.values())
        click.echo(f"checked {total} rows in {sum(report.chains.values())} chains: "
                   + ", ".join(f"{k} {v}" for k, v in report.rows.items()), err=True)
        legacy = {k: v for k, v in report.unchained.items() if v}
        if legacy:
            click.echo(f"rows written before the chains existed (unchained): {legacy}", err=True)
        if heads:
            for name, head in sorted(report.heads.items()):
                click.echo(f"{name}\t{head}")
        for b in report.breaks:
            click.echo(f"BROKEN {b.table} row {b.row_id} (chain {b.chain}): {b.detail}")
        click.echo("verify: OK" if report.ok else
                   f"verify: FAILED ({len(report.breaks)} break(s))", err=True)
    if not report.ok:
        raise SystemExit(1)
@audit.command("denied")
@db_option
@actor_option
@click.option("--action", help="only actions starting with this, e.g. resident.")
@_filters
def denied_cmd(db: str, actor: Actor, action: str | None, by: str | None,
               since: dt.datetime | None, until: dt.datetime | None, limit: int,
               as_json: bool) -> None:
    """Refused attempts (拒绝访问日志): who was refused what, when and why.

    At most 100 refusals per actor and 1,000 in all are written out per clock hour; the
    others are counted, and the counts are shown after the rows ("suppressed").
    """
    with open_db(db) as gov:
        rows = [e.as_dict() for e in gov.audit.denied(
            actor, by=by, action=action, since=since, until=until, limit=limit)]
        counts = [c.as_dict() for c in gov.audit.denied_suppressed(
            actor, by=by, since=since, until=until)]
    if as_json:
        echo_json({"denied": rows, "suppressed": counts})
        return
    _print(rows, ["id", "at", "actor", "operation", "action", "target", "reason"],
           "Refused attempts 拒绝访问日志")
    if counts:
        _print(counts, ["hour", "actor", "attempts", "logged", "suppressed"],
               "Counted but not written out (the log's hourly bound)")


def register(cli: click.Group) -> None:
    """Add the ``audit`` group and ``cgov verify``."""
    cli.add_command(audit)
    cli.add_command(verify_cmd)
