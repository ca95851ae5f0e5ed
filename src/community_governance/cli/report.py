"""``cgov report``: summaries of the registry (other reports join this group)."""

from __future__ import annotations

from typing import Any

import click

from community_governance.cli import actor_option, console, db_option, echo_json, open_db
from community_governance.domain.access import Actor


@click.group()
def report() -> None:
    """Reports: summary, participation, funding, cases."""


@report.command()
@db_option
@actor_option
@click.option("--within", help="only under this unit code")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def summary(db: str, actor: Actor, within: str | None, as_json: bool) -> None:
    """Counts of sub-districts, communities, grids, buildings, households, residents, posts."""
    with open_db(db) as gov:
        s = gov.registry.summary(actor, within=within)
    if as_json:
        echo_json(s.as_dict())
        return
    print_summary(s.as_dict())


def print_summary(s: dict[str, Any]) -> None:
    """The registry summary (``RegistrySummary.as_dict()``) as a table on stdout."""
    from rich.table import Table

    table = Table(title="Registry summary 登记概况")
    table.add_column("what")
    table.add_column("count", justify="right")
    labels = [("sub-districts 办事处", "subdistricts"), ("communities 社区", "communities"),
              ("grids 网格", "grids"), ("compounds 小区", "compounds"),
              ("buildings 楼院", "buildings"), ("households 户", "households"),
              ("residents 居民", "residents"), ("party organizations 党组织", "party_orgs"),
              ("partner units 共建单位", "partner_units")]
    for label, key in labels:
        table.add_row(label, f"{s[key]:,}")
    for kind, n in s["posts"].items():
        table.add_row(f"posts: {kind}", f"{n:,}")
    console().print(table)


def register(cli: click.Group) -> None:
    """Add the ``report`` group (other modules add commands to it)."""
    cli.add_command(report)
