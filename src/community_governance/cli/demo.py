"""``cgov demo yima``: build the synthetic Yima city (义马市城区, 2019) through the services."""

from __future__ import annotations

import os
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
@click.option("--timings", is_flag=True,
              help="print the seconds each step took (on stderr), with the load average")
@click.pass_context
def yima(ctx: click.Context, db: str, seed: int, scale: float, registry_only: bool,
         timings: bool) -> None:
    """Build Yima's 2019 urban area: 5 sub-districts, 15 communities, ~138,000 residents.

    Grids, volunteering, funds and cases are added too when those capabilities are installed.
    Prints the registry summary at the end (as ``cgov report summary``); ``--timings`` adds
    a table of the seconds per step.
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
            began = time.perf_counter()
            city = generate_yima(seed, scale=scale)
            generating = time.perf_counter() - began
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
        per_step = {"generating city": generating, **report.seconds}
        if db.startswith("memory://"):
            echo_json(gov.registry.summary(Actor.system("demo")).as_dict())
            if timings:
                _print_timings(per_step, time.perf_counter() - started)
            return
    from community_governance.cli.report import summary

    began = time.perf_counter()
    ctx.invoke(summary, db=db, actor=Actor.system("cli"), within=None, as_json=False)
    if not registry_only:
        with open_db(db) as gov:
            for line in headline(gov, year=city.reference_date.year):
                click.echo(line)
    if timings:
        per_step["summary"] = time.perf_counter() - began
        _print_timings(per_step, time.perf_counter() - started)


def headline(gov: Any, *, year: int) -> list[str]:
    """One line per capability: what the demo city shows against the study's figures."""
    who = Actor.system("demo")
    lines: list[str] = []
    chk = gov.grids.check(who)
    a = chk.assignment
    lines.append(
        f"grids 网格: {chk.grids} (study: 78); unmanaged 漏管 {len(a.unmanaged)}, disputed "
        f"争议 {len(a.disputed)}, out of band {len(a.out_of_band)}; grids without a leader "
        f"{len(chk.leaders.grids_without_leader)}")
    p = gov.volunteers.participation(who).totals
    lines.append(
        f"volunteers 志愿者: {p['volunteer_orgs']} organizations, {p['org_members']:,} members "
        f"(study: 106 / 3,838); active {p['ever_active_volunteers']:,} = "
        f"{p['share_ever_active']:.1%} of residents; points issued {p['points_issued']:,}, "
        f"redeemed {p['points_redeemed']:,}")
    mix = gov.funds.funding_mix(who, year)
    if mix:
        total = sum((m.total for m in mix), start=mix[0].total * 0)
        share = sum(m.largest_share for m in mix) / len(mix)
        lines.append(
            f"funds 经费 {year}: income {total:,.2f} CNY in {len(mix)} communities; the largest "
            f"channel brings {share:.0%} of a community's income on average (single source)")
    r = gov.cases.case_report(who, year=year)
    if r.total:
        sat = r.satisfaction.get("mean")
        lines.append(
            f"cases 事务 {year}: {r.total:,} in the app sub-districts; median handling "
            f"{r.median_days} working days, overdue {r.overdue_share:.1%}, satisfaction "
            f"{sat if sat is None else f'{sat:.2f}'} / 5")
    return lines


def _print_timings(steps: dict[str, float], total: float) -> None:
    """The seconds per step, the total and the load average, on stderr."""
    click.echo(f"{'step':<20}{'seconds':>9}", err=True)
    for step, seconds in steps.items():
        click.echo(f"{step:<20}{seconds:>9.2f}", err=True)
    click.echo(f"{'total':<20}{total:>9.2f}", err=True)
    try:
        load = os.getloadavg()
    except (AttributeError, OSError):  # not available on this system
        return
    click.echo(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", err=True)


def register(cli: click.Group) -> None:
    """Add the ``demo`` group."""
    cli.add_command(demo)
