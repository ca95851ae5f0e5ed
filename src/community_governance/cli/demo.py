"""``cgov demo yima``: build the synthetic Yima city (义马市城区, 2019) through the services."""

from __future__ import annotations

import time
from typing import Any

import click

from community_governance.cli import db_option, echo_json, open_db
from community_governance.domain.access import Actor
from community_governance.errors import ConflictError


@click.group()
def demo() -> None:
    """Demonstration data: the synthetic Yima city."""


@demo.command()
@db_option
@click.option("--seed", default=2019, show_default=True, help="random seed (same seed, same city)")
@click.option("--scale", default=1.0, show_default=True,
              help="fraction of the full city (1.0 = 138,000 residents)")
@click.option("--registry-only", is_flag=True,
              help="only the registry (skip grids, volunteering, funds and cases)")
@click.pass_context
def yima(ctx: click.Context, db: str, seed: int, scale: float, registry_only: bool) -> None:
    """Build Yima's 2019 urban area: 5 sub-districts, 15 communities, ~138,000 residents.

    Grids, volunteering, funds and cases are added too when those capabilities are installed.
    Prints the registry summary at the end (as ``cgov report summary``).
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from community_governance.simulation.city import COUNTY_CODE, generate_yima
    from community_governance.simulation.demo import load_city

    if not (0 < scale <= 1):
        raise click.BadParameter("--scale must be in (0, 1]")
    started = time.perf_counter()
    with open_db(db) as gov:
        if any(u.code == COUNTY_CODE for u in gov.registry.list_units(kind="county")):
            raise ConflictError(f"{db} already holds 义马市 ({COUNTY_CODE}); build the demo in "
                                "a fresh database")
        with Progress(TextColumn("{task.description:<18}"), BarColumn(),
                      TextColumn("{task.completed:>7,}/{task.total:<7,}"),
                      TimeElapsedColumn(), transient=False) as bar:
            tasks: dict[str, Any] = {}

            def tick(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(step, total=max(total, 1))
                bar.update(tasks[step], completed=done, total=max(total, 1))

            tick("generating city", 0, 1)
            city = generate_yima(seed, scale=scale)
            tick("generating city", 1, 1)
            report = load_city(gov, city, actor=Actor.system("demo"), progress=tick,
                               optional=not registry_only)
        elapsed = time.perf_counter() - started
        click.echo(f"built the Yima demo city (seed {seed}, scale {scale}) in {elapsed:.1f} s; "
                   f"optional steps run: {', '.join(report.ran) or 'none'}; not installed yet: "
                   f"{', '.join(report.skipped) or 'none'}", err=True)
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
        click.echo(f"time per step: {steps}", err=True)
        for problem in report.failed:
            click.secho(f"warning: optional step failed: {problem}", fg="yellow", err=True)
        if db.startswith("memory://"):
            echo_json(gov.registry.summary(Actor.system("demo")).as_dict())
            return
    from community_governance.cli.report import summary

    ctx.invoke(summary, db=db, actor=Actor.system("cli"), within=None, as_json=False)


def register(cli: click.Group) -> None:
    """Add the ``demo`` group."""
    cli.add_command(demo)
