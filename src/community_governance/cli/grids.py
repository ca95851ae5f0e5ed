"""``cgov grids``: draw, redraw, check, export and staff grids (网格).

``cgov import grids FILE`` (in ``cgov import``) reads a county's existing grids.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from community_governance.cli import (
    actor_option,
    console,
    db_option,
    echo_json,
    json_always,
    open_db,
    writer_option,
)
from community_governance.domain.access import Actor

_COORDS = click.option("--coordinates", type=click.Choice(["metres", "lonlat"]),
                       default="metres", show_default=True,
                       help="what the buildings' x/y mean: projected metres or lon/lat")


@click.group()
def grids() -> None:
    """Grids (网格): draw, check, export, staff."""


@grids.command()
@db_option
@writer_option
@click.option("--community", help="only this community (12-digit code)")
@click.option("--replace", is_flag=True, help="replace grids drawn or imported before")
@click.option("--redraw", is_flag=True,
              help="redraw after buildings changed, keeping grid codes (needs --community)")
@_COORDS
@json_always
def draw(db: str, actor: Actor, community: str | None, replace: bool, redraw: bool,
         coordinates: str) -> None:
    """Draw grids of ~600 households from the stored buildings; print a summary."""
    with open_db(db) as gov:
        if redraw:
            if not community:
                raise click.UsageError("--redraw needs --community CODE")
            report = gov.grids.redraw(actor, community, coordinates=coordinates)
        else:
            report = gov.grids.draw(actor, community, replace=replace, coordinates=coordinates)
    out: dict[str, Any] = dict(report.summary())
    out["infeasible"] = [f"{i.grid}: {i.kind.value}: {i.detail}" for i in report.infeasibilities]
    out["moves"] = [{"building": m.building, "households": m.households, "from": m.from_grid,
                     "to": m.to_grid} for m in report.moves]
    echo_json(out)


@grids.command()
@db_option
@actor_option
@click.option("--community", help="only this community (12-digit code)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.option("--strict", is_flag=True, help="exit with status 1 when anything is found")
@_COORDS
def check(db: str, actor: Actor, community: str | None, as_json: bool, strict: bool,
          coordinates: str) -> None:
    """Check stored grids: unmanaged (漏管) and disputed (争议) buildings, band, posts."""
    with open_db(db) as gov:
        result = gov.grids.check(actor, community, coordinates=coordinates)
    data = result.as_dict()
    if as_json:
        echo_json(data)
    else:
        from rich.table import Table

        table = Table(title=f"Grid check 网格核查 ({data['day']})")
        table.add_column("what")
        table.add_column("count", justify="right")
        for key, label in (("grids", "grids 网格"), ("buildings", "buildings 楼院"),
                           ("households", "households 户"), ("unmanaged", "unmanaged 漏管"),
                           ("disputed", "disputed 争议"), ("out_of_band", "out of band"),
                           ("non_contiguous", "in pieces"), ("crosses_border", "across borders"),
                           ("empty_grids", "empty grids"),
                           ("grids_without_leader", "grids without 网格长"),
                           ("buildings_without_leader", "buildings without 楼院长"),
                           ("leaders_of_several_grids", "leaders of several grids")):
            table.add_row(label, f"{data[key]:,}")
        out = console()
        out.print(table)
        for line in data["findings"][:50]:
            out.print(f"- {line}", markup=False)
        if len(data["findings"]) > 50:
            out.print(f"... and {len(data['findings']) - 50} more (use --json)")
        for note in data["notes"]:
            out.print(f"note: {note}", markup=False)
    if strict and not result.ok:
        raise SystemExit(1)


@grids.command()
@db_option
@actor_option
@click.option("--format", "fmt", type=click.Choice(["geojson"]), default="geojson",
              show_default=True, help="output format")
@click.option("--community", help="only this community (12-digit code)")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="write to this file instead of standard output")
@click.option("--buffer", "buffer_m", default=5.0, show_default=True,
              help="metres around grids without area")
@_COORDS
@json_always
def export(db: str, actor: Actor, fmt: str, community: str | None, output: Path | None,
           buffer_m: float, coordinates: str) -> None:
    """Export grids for a map: buildings as points, grids as hulls of their buildings."""
    with open_db(db) as gov:
        data = gov.grids.export_geojson(actor, community, coordinates=coordinates,
                                        buffer_m=buffer_m)
    text = json.dumps(data, ensure_ascii=False)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(data['features'])} features to {output}", err=True)


@grids.command()
@db_option
@actor_option
@click.option("--community", help="only this community (12-digit code)")
@click.option("--json", "as_json", is_flag=True, help="print JSON (with every grid)")
def staffing(db: str, actor: Actor, community: str | None, as_json: bool) -> None:
    """Load per grid leader and per office member: households and residents per person."""
    with open_db(db) as gov:
        result = gov.grids.staffing(actor, community)
    if as_json:
        echo_json(result.as_dict())
        return
    from rich.table import Table

    table = Table(title=f"Staffing 人员配备 ({result.day})")
    for col in ("community", "households", "residents", "staff", "grids", "grid leaders",
                "building leaders", "residents/staff", "households/grid leader"):
        table.add_column(col, justify="right" if col != "community" else "left", no_wrap=True)
    for c in result.communities:
        table.add_row(c.community, f"{c.households:,}", f"{c.residents:,}", str(c.staff),
                      str(c.grids), str(c.grid_leaders), str(c.building_leaders),
                      _num(c.residents_per_staff), _num(c.households_per_grid_leader))
    console().print(table)
    echo_json(result.totals)


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:,.1f}"


@grids.command("assign-leader")
@db_option
@writer_option
@click.argument("grid")
@click.argument("holder")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), required=True,
              help="first day of the term")
@click.option("--staff", "is_staff", is_flag=True, help="the holder is a staff member")
@click.option("--replace", is_flag=True, help="end the term of the grid leader in office")
@json_always
def assign_leader(db: str, actor: Actor, grid: str, holder: str, start: dt.datetime,
                  is_staff: bool, replace: bool) -> None:
    """Make HOLDER (a resident's key) the grid leader (网格长) of GRID."""
    with open_db(db) as gov:
        post = gov.grids.assign_leader(actor, grid, holder, start=start.date(),
                                       holder_kind="staff" if is_staff else "resident",
                                       replace=replace)
    echo_json({"post": post.id, "grid": post.unit_code, "holder": post.holder_id,
               "start": post.start})


@grids.command()
@db_option
@writer_option
@click.argument("building")
@click.argument("grid")
@json_always
def settle(db: str, actor: Actor, building: str, grid: str) -> None:
    """Settle a dispute (争议): BUILDING belongs to GRID; other claims are dropped."""
    with open_db(db) as gov:
        gov.grids.settle(actor, building, grid)
    echo_json({"building": building, "grid": grid})


def register(cli: click.Group) -> None:
    """Add the ``grids`` group."""
    cli.add_command(grids)


__all__ = ["grids", "register"]
