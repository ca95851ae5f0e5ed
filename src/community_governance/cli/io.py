"""``cgov import`` and ``cgov export``: registry files in and out (CSV, xlsx, JSON), and the
Popolo export (``cgov export popolo``)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from community_governance.cli import (
    actor_option,
    db_option,
    echo_json,
    json_always,
    open_db,
    writer_option,
)
from community_governance.domain.access import Actor


@click.command("import")
@click.argument("kind")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
@writer_option
@json_always
def import_(kind: str, file: Path, db: str, actor: Actor) -> None:
    """Import FILE (.csv or .xlsx) of KIND: units, buildings, households, residents...

    All or nothing: every bad row is listed with its row number, column and reason, and then
    nothing is written.
    """
    from community_governance.io.importers import import_file

    with open_db(db) as gov:
        result = import_file(gov, kind, file, actor=actor)
    for w in result.warnings[:20]:
        click.secho(f"warning: {w}", fg="yellow", err=True)
    if len(result.warnings) > 20:
        click.secho(f"... and {len(result.warnings) - 20} more warnings", fg="yellow", err=True)
    echo_json({"kind": result.kind, "file": result.file, "imported": result.count,
               "warnings": len(result.warnings)})


@click.command("export")
@click.argument("kind")
@db_option
@actor_option
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="write to this file (default: standard output)")
@click.option("--within", "--community", "within",
              help="only under this unit code (sub-district, community, grid...)")
@click.option("--reveal", is_flag=True,
              help="full ID and phone numbers (popolo: full names and record keys); needs "
                   "the right and --reason; access logged")
@click.option("--reason", help="why the data are revealed (kept in the access log)")
@click.option("--json", "as_json", is_flag=True, help="JSON (the same as --format json)")
def export_(kind: str, db: str, actor: Actor, fmt: str, out: Path | None, within: str | None,
            reveal: bool, reason: str | None, as_json: bool) -> None:
    """Export KIND (units, buildings, households, residents, popolo) as JSON or CSV.

    ID and phone numbers are masked unless --reveal is given with --reason by an actor who
    may read them. ``popolo`` writes one JSON document of organizations, posts, persons and
    memberships in the Popolo shapes (docs/popolo.md), names masked and person ids
    pseudonymous unless revealed.
    """
    from community_governance.io.exporters import export

    if as_json:
        if fmt == "csv":
            raise click.UsageError("--json and --format csv contradict each other")
        fmt = "json"
    if kind == "popolo":
        _export_popolo(db, actor, fmt, out, within, reveal, reason)
        return
    with open_db(db) as gov:
        sink = (contextlib.nullcontext(sys.stdout) if out is None
                else out.open("w", encoding="utf-8", newline=""))
        with sink as fh:
            n = export(gov, kind, fh, actor=actor, fmt=fmt, within=within, reveal=reveal,
                       reason=reason)
    click.echo(f"exported {n} {kind}" + (f" to {out}" if out else ""), err=True)


def _export_popolo(db: str, actor: Actor, fmt: str, out: Path | None, within: str | None,
                   reveal: bool, reason: str | None) -> None:
    """``cgov export popolo``: the Popolo document, to standard output or ``out``."""
    from community_governance.io.popolo import write_popolo

    if fmt != "json":
        raise click.UsageError("a Popolo export is JSON only: drop --format csv")
    with open_db(db) as gov:
        sink = (contextlib.nullcontext(sys.stdout) if out is None
                else out.open("w", encoding="utf-8"))
        with sink as fh:
            counts = write_popolo(gov, fh, actor=actor, within=within, reveal=reveal,
                                  reason=reason)
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    click.echo(f"exported popolo: {summary}" + (f" to {out}" if out else ""), err=True)


def register(cli: click.Group) -> None:
    """Add ``import`` and ``export``."""
    cli.add_command(import_)
    cli.add_command(export_)
