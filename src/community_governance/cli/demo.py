"""``cgov demo yima`` and ``cgov demo sanmenxia``: build a demo through the services.

Each command runs one configuration of :mod:`community_governance.demo` (which counties, which
county plugin, which generator parameters); ``--timings`` prints the seconds of every step.
"""

from __future__ import annotations

import functools
import os
import time
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from community_governance.cli import (
    db_option,
    echo_json,
    given_key_file,
    open_db,
    sqlite_path,
    use_key_file,
)
from community_governance.domain.access import Actor
from community_governance.errors import ConflictError

if TYPE_CHECKING:
    from community_governance.demo.config import DemoConfig


@click.group()
def demo() -> None:
    """Demonstration data: the synthetic Yima city, or two counties of 三门峡市."""


def _demo_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--json", "as_json", is_flag=True,
                      help="print the summary and the headline as JSON")(fn)
    fn = click.option("--timings", is_flag=True,
                      help="print the seconds each step took (on stderr), with the load "
                           "average")(fn)
    fn = click.option("--registry-only", is_flag=True,
                      help="only the registry (skip grids, volunteering, funds, cases and "
                           "social organizations)")(fn)
    fn = click.option("--scale", default=1.0, show_default=True,
                      help="fraction of each full city (1.0 = 138,000 residents for Yima)")(fn)
    fn = click.option("--seed", default=2019, show_default=True,
                      help="random seed (same seed, same city)")(fn)
    return db_option(fn)


@demo.command()
@_demo_options
def yima(db: str, seed: int, scale: float, registry_only: bool,
         timings: bool, as_json: bool) -> None:
    """Build Yima's 2019 urban area: 5 sub-districts, 15 communities, ~138,000 residents.

    Grids, grid leaders, volunteering, funds, cases and social organizations are added
    too. Prints the registry summary at the end (as ``cgov report summary``); ``--timings``
    adds a table of the seconds per step.
    """
    from community_governance.demo.config import YIMA

    _run(YIMA, db=db, seed=seed, scale=scale, registry_only=registry_only,
         timings=timings, as_json=as_json)


@demo.command()
@_demo_options
def sanmenxia(db: str, seed: int, scale: float, registry_only: bool,
              timings: bool, as_json: bool) -> None:
    """Build two counties of 三门峡市 into one database: 义马市 (411281) and 湖滨区 (411202).

    Each county runs under its own plugin (cgov_yima, cgov_hubin: ``make install`` installs
    both). Prints the registry summary, then a headline per county showing its rules at work:
    grid size, points for a service, fund allocation and approvals, a deadline of its own case
    category, its local days off.
    """
    from community_governance.demo.config import SANMENXIA

    _run(SANMENXIA, db=db, seed=seed, scale=scale, registry_only=registry_only,
         timings=timings, as_json=as_json)


def _demo_key(db: str) -> None:
    """Seal a new demo database: with the key given (--key-file, CGOV_KEY_FILE, CGOV_KEY),
    else with ``<database>.key`` next to it (made when missing), said on stderr."""
    path = sqlite_path(db)
    if path is None or given_key_file() is not None or os.environ.get("CGOV_KEY"):
        return
    key_path = path.with_suffix(".key")
    if key_path.exists():
        click.echo(f"using the data key in {key_path} (the demo's ID and phone numbers are "
                   "sealed with it)", err=True)
    elif path.exists():
        return  # an existing database keeps its own key (or none)
    else:
        from community_governance.services.crypto import write_key_file

        write_key_file(key_path)
        click.echo(f"wrote a new data key to {key_path} (mode 0600); the demo's ID and phone "
                   f"numbers are sealed with it: give it to later commands with --key-file "
                   f"{key_path} or CGOV_KEY_FILE={key_path}", err=True)
    use_key_file(key_path)


def _build_url(db: str) -> str:
    """The URL the demo builds through: a SQLite file is written with ``synchronous=NORMAL``
    unless the URL says otherwise, and a PostgreSQL database with ``synchronous_commit=off``
    (for the demo's own sessions only, unless the URL sets it). A build cut short by a power
    loss is rebuilt, not resumed, so the flush of every commit buys nothing here; the finished
    database is the same (both settings may lose the last commits on a crash, never corrupt),
    and later commands open it with the durable defaults."""
    if db.startswith("sqlite"):
        if "synchronous=" in db:
            return db
        return f"{db}{'&' if '?' in db else '?'}synchronous=NORMAL"
    if db.startswith(("postgresql:", "postgres:", "postgresql+psycopg:")) and (
            "synchronous_commit" not in urllib.parse.unquote(db)):
        base, _, query = db.partition("?")
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        options = " ".join([*(v for k, v in pairs if k == "options"),
                            "-c synchronous_commit=off"])
        pairs = [(k, v) for k, v in pairs if k != "options"] + [("options", options)]
        return f"{base}?{urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)}"
    return db


def demo_lanes(db: str) -> int:
    """How many lanes the demo's optional steps run in (:mod:`community_governance.demo.lanes`):
    ``$CGOV_DEMO_LANES`` (1 or 2) if set; else two on a database server with a machine of two
    or more cores (the server takes the two processes' writers at once, and one process's
    Python runs while the other waits for the server), one on a SQLite file (its single
    writer lock has the two take turns: no gain measured) or in memory (one process only).

    Raises:
        click.BadParameter: ``$CGOV_DEMO_LANES`` is neither 1 nor 2.
    """
    asked = os.environ.get("CGOV_DEMO_LANES", "").strip()
    if asked:
        if asked not in ("1", "2"):
            raise click.BadParameter(f"CGOV_DEMO_LANES={asked!r}: give 1 or 2 (or unset it "
                                     "for the backend's default)")
        lanes = int(asked)
    else:
        lanes = 2 if db.startswith(("postgresql:", "postgres:", "postgresql+psycopg:")) and (
            os.cpu_count() or 1) >= 2 else 1
    return 1 if db.startswith("memory://") else lanes


def _second_lane(db: str) -> Callable[[], Any] | None:
    """How the demo's second process opens the database (two lanes, :func:`demo_lanes`), or
    ``None`` (one lane)."""
    if demo_lanes(db) != 2:
        return None
    from community_governance.cli import data_key

    return functools.partial(reopen, _build_url(db), data_key()[0])


def reopen(url: str, key: str | None) -> Any:
    """Open the demo's database again (in the second process of a two-lane build), as the
    command opened it: same URL, same data key, ``CGOV_NOW`` honoured, plugins installed."""
    return open_db(url, data_key=key)


def _missing_plugins(gov: Any, config: DemoConfig) -> list[str]:
    """The county plugins of ``config`` that are not registered in ``gov``."""
    have = {getattr(p, "__name__", "") for p in gov.hooks.pm.get_plugins()}
    return [f"{c.name} ({c.plugin})" for c in config.counties
            if c.plugin is not None and c.plugin not in have]


def _run(config: DemoConfig, *, db: str, seed: int, scale: float,
         registry_only: bool, timings: bool, as_json: bool = False) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from community_governance.demo.build import build

    if not (0 < scale <= 1):
        raise click.BadParameter("--scale must be in (0, 1]")
    _demo_key(db)
    started = time.perf_counter()
    with open_db(_build_url(db), create=True, shown_url=db) as gov:
        held = {u.code for u in gov.registry.list_units(kind="county")}
        for county in config.counties:
            if county.code in held:
                raise ConflictError(f"{db} already holds {county.name} ({county.code}); build "
                                    "the demo in a fresh database")
        for missing in _missing_plugins(gov, config):
            click.secho(f"warning: the plugin of {missing} is not installed; that county "
                        "runs under the national defaults (make install installs it)",
                        fg="yellow", err=True)
        with Progress(TextColumn("{task.description:<18}"), BarColumn(),
                      TextColumn("{task.completed:>7,}/{task.total:<7,}"),
                      TimeElapsedColumn(), transient=False,
                      console=Console(stderr=True)) as bar:
            tasks: dict[str, Any] = {}

            def tick(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(step, total=max(total, 1))
                bar.update(tasks[step], completed=done, total=max(total, 1))

            # the generated cities are dropped at once: the summary's reads need not walk
            # their millions of objects in the garbage collector's full collections
            report = build(gov, config, seed=seed, scale=scale,
                           actor=Actor.system("demo"), progress=tick,
                           optional=not registry_only, second_lane=_second_lane(db))[0]
        elapsed = time.perf_counter() - started
        click.echo(f"built the {config.name} demo (seed {seed}, scale {scale}) in "
                   f"{elapsed:.1f} s; optional steps run: {', '.join(report.ran) or 'none'}; "
                   f"skipped: {', '.join(report.skipped) or 'none'}", err=True)
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
        click.echo(f"time per step: {steps}", err=True)
        for problem in report.failed:
            click.secho(f"warning: optional step failed: {problem}", fg="yellow", err=True)
        per_step = dict(report.seconds)
        if db.startswith("memory://"):
            summary_data = gov.registry.summary(Actor.system("demo")).as_dict()
            lines = _headline(gov, config, registry_only, memory=True)
            _print_result(summary_data, lines, as_json=True)  # no database is left to read
            if timings:
                _print_timings(per_step, time.perf_counter() - started)
                _print_cpu(report)
            return
    began = time.perf_counter()
    with open_db(db) as gov:
        summary_data = gov.registry.summary(Actor.system("demo")).as_dict()
        lines = _headline(gov, config, registry_only, memory=False)
    _print_result(summary_data, lines, as_json=as_json)
    if timings:
        per_step["summary"] = time.perf_counter() - began
        _print_timings(per_step, time.perf_counter() - started)
        _print_cpu(report)


def _headline(gov: Any, config: DemoConfig, registry_only: bool, *, memory: bool) -> list[str]:
    """The demo's closing lines: one per capability (one county), or per county."""
    from community_governance.demo.headline import county_headline, headline

    if registry_only:
        return []
    if len(config.counties) == 1:
        return [] if memory else list(headline(gov, year=config.year))
    return [line for county in config.counties
            for line in county_headline(gov, county, year=config.year)]


def _print_result(summary_data: dict[str, Any], lines: list[str], *, as_json: bool) -> None:
    """The registry summary (a table, or JSON) and the headline, on stdout."""
    if as_json:
        echo_json(summary_data if not lines else {"summary": summary_data, "headline": lines})
        return
    from community_governance.cli.report import print_summary

    print_summary(summary_data)
    for line in lines:
        click.echo(line)


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


def _print_cpu(report: Any) -> None:
    """The CPU seconds (user and system) per step and in all, on stderr, after the table of
    wall seconds: a two-lane build uses two processes, so its wall time alone says less."""
    try:
        import resource
    except ImportError:  # not on this system
        return
    click.echo(f"{'step':<20}{'cpu s':>9}", err=True)
    for step, seconds in report.cpu_seconds.items():
        click.echo(f"{step:<20}{seconds:>9.2f}", err=True)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    mine = usage.ru_utime + usage.ru_stime
    lane = report.second_lane_cpu
    click.echo(f"cpu in all: {mine:.2f} s in this process"
               + ("" if lane is None else f" + {lane:.2f} s in the second lane = "
                  f"{mine + lane:.2f} s"), err=True)
    for who, (held, waited) in report.lock_seconds.items():
        if held == waited == 0:  # a server: no lock handed over
            continue
        click.echo(f"write lock, {who}: held {held:.2f} s, waited {waited:.2f} s", err=True)


def register(cli: click.Group) -> None:
    """Add the ``demo`` group."""
    cli.add_command(demo)
