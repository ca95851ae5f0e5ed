"""``cgov sim``: run, sweep, plot and calibrate simulations (仿真) from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from community_governance.cli import echo_json, json_always

if TYPE_CHECKING:
    from community_governance.simulation.scenario import Scenario

__all__ = ["register", "sim"]


def _progress(description: str) -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn(description), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), transient=False,
                    console=Console(stderr=True))  # progress on stderr, data on stdout


def _scenario(name_or_path: str, sets: tuple[str, ...]) -> Scenario:
    """The scenario ``name_or_path`` with the ``--set KEY=VALUE`` overrides applied."""
    from community_governance.simulation.scenario import load_scenario, parse_setting

    sc = load_scenario(name_or_path)
    if sets:
        sc = sc.with_overrides(dict(parse_setting(text) for text in sets))
    return sc


@click.group()
def sim() -> None:
    """Simulate a city's year: scenarios, sweeps, plots (仿真)."""


@sim.command("run")
@click.argument("scenario")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="directory for the tables, summary and scenario")
@click.option("--seed", type=int, default=None, help="behaviour seed (default: the scenario's)")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="override a scenario key, e.g. --set city.scale=0.1 (repeatable)")
@click.option("--csv", is_flag=True, help="also write CSV tables")
@click.option("--quiet", is_flag=True, help="no progress bar")
@json_always
def run_cmd(scenario: str, out: Path, seed: int | None, sets: tuple[str, ...], csv: bool,
            quiet: bool) -> None:
    """Run SCENARIO (a file or a bundled name such as yima-2019) and write its outputs."""
    from community_governance.simulation.engine import Simulation
    from community_governance.simulation.outputs import write_run

    sc = _scenario(scenario, sets)
    model = Simulation(sc, seed=seed)
    if quiet:
        model.run()
    else:
        with _progress(f"{sc.run.name}") as bar:
            task = bar.add_task("steps", total=sc.run.steps)
            model.run(progress=lambda done, total: bar.update(task, completed=done))
    files = write_run(model, out, csv=csv)
    summary = model.summary()
    echo_json({"out": str(files.directory), "files": sorted(files.files),
               "participation_rate_mean": summary["participation_rate_mean"],
               "points_issued": summary["points_issued"],
               "supermarket_cost_cny": summary["supermarket_cost_cny"],
               "on_time_share": summary["on_time_share"],
               "satisfaction_end": summary["satisfaction_end"]})


@sim.command("sweep")
@click.argument("scenario")
@click.option("--param", "params", multiple=True, required=True, metavar="KEY=V1,V2,...",
              help="a swept key and its values, e.g. points.rate=5,10,20 (repeatable); a "
                   "value may be a TOML array or inline table: funds.channels='[],[{name="
                   "\"x\", cny_per_year=5000}]'")
@click.option("--series", "series", multiple=True, metavar="COLUMN",
              help="keep this per-community series of every run in series.parquet "
                   "(repeatable; 'default' for the usual set; custom metrics by name)")
@click.option("--freq", type=click.Choice(["week", "month"]), default="week",
              show_default=True, help="the period of --series")
@click.option("--csv", is_flag=True, help="also write the tables as CSV")
@click.option("--replicates", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="processes of the local pool (default: CPU count)")
@click.option("--scheduler", default=None, metavar="ADDR",
              help="a Dask scheduler address, e.g. tcp://host:8786, or 'local' for a local "
                   "Dask cluster of --workers processes that ends with the sweep")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="override a base scenario key, e.g. --set city.scale=0.1")
@click.option("--seed", type=int, default=None, help="base seed of the replicates")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="no progress bar")
@json_always
def sweep_cmd(scenario: str, params: tuple[str, ...], series: tuple[str, ...], freq: str,
              csv: bool, replicates: int, workers: int | None,
              scheduler: str | None, sets: tuple[str, ...], seed: int | None, out: Path,
              quiet: bool) -> None:
    """Sweep parameters of SCENARIO over a grid with replicates (resumable into --out)."""
    from community_governance.simulation.scenario import parse_override
    from community_governance.simulation.sweep import run_sweep

    if workers is not None and scheduler not in (None, "local"):
        raise click.UsageError("give --workers or --scheduler ADDR, not both (--workers goes "
                               "with --scheduler local)")
    sc = _scenario(scenario, sets)
    grid = dict(parse_override(p) for p in params)
    from community_governance.simulation.series import DEFAULT_SERIES

    keep = tuple(dict.fromkeys(m for name in series for m in (
        DEFAULT_SERIES if name == "default" else (name,))))
    extra: dict[str, Any] = {"series": keep, "freq": freq, "csv": csv}
    if quiet:
        res = run_sweep(sc, grid, replicates=replicates, out_dir=out, workers=workers,
                        scheduler=scheduler, seed=seed, **extra)
    else:
        with _progress("runs") as bar:
            task = bar.add_task("runs", total=None)
            res = run_sweep(
                sc, grid, replicates=replicates, out_dir=out, workers=workers,
                scheduler=scheduler, seed=seed, **extra,
                progress=lambda done, total: bar.update(task, completed=done, total=total))
    tables = ["runs.parquet", "sweep.parquet"] + (["series.parquet"] if keep else [])
    echo_json({"out": str(out), "runs": res.runs.height, "ran": res.ran,
               "resumed": res.skipped, "tables": tables})


@sim.command("compare")
@click.argument("scenario")
@click.option("--arm", "arms", multiple=True, required=True, metavar="NAME:KEY=VALUE[;KEY=VALUE]",
              help="an arm and its overrides, e.g. --arm 'double points:points.rate=20' "
                   "(repeatable)")
@click.option("--seeds", type=click.IntRange(min=2), default=10, show_default=True,
              help="seeds per arm (the scenario's seed and the next ones)")
@click.option("--metric", "metrics", multiple=True, metavar="KEY",
              help="a run-summary key to compare (repeatable; default a standard set)")
@click.option("--correction", type=click.Choice(["holm", "bh", "none"]), default="holm",
              show_default=True, help="multiple-comparison correction over the table")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="override a baseline key, e.g. --set city.scale=0.05 (repeatable)")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="also write the table and the runs as JSON here")
@json_always
def compare_cmd(scenario: str, arms: tuple[str, ...], seeds: int, metrics: tuple[str, ...],
                correction: str, sets: tuple[str, ...], out: Path | None) -> None:
    """Paired policy comparison: every arm against SCENARIO on the same seeds and city."""
    from community_governance.errors import ValidationError
    from community_governance.simulation.compare import DEFAULT_METRICS, compare_policies
    from community_governance.simulation.outputs import write_json
    from community_governance.simulation.scenario import parse_setting

    sc = _scenario(scenario, sets)
    parsed: dict[str, dict[str, object]] = {}
    for text in arms:
        name, sep, rest = text.partition(":")
        if not sep or not name.strip() or not rest.strip():
            raise ValidationError(
                f"an arm is NAME:KEY=VALUE[;KEY=VALUE], like 'double points:points.rate=20', "
                f"got {text!r}", path="arm")
        parsed[name.strip()] = dict(parse_setting(part) for part in rest.split(";")
                                    if part.strip())
    cmp = compare_policies(sc, parsed, seeds=seeds, metrics=metrics or DEFAULT_METRICS,
                           correction=correction)
    if out is not None:
        write_json(out, cmp.to_dict())
    echo_json({"correction": cmp.correction, "seeds": list(cmp.seeds), "rows": cmp.rows})


@sim.command("sensitivity")
@click.argument("scenario")
@click.option("--factor", "factors", multiple=True, metavar="KEY=LOW:HIGH",
              help="a parameter and its range, e.g. --factor staff.cases_per_staff_day=1.5:3 "
                   "(repeatable)")
@click.option("--mechanisms", is_flag=True,
              help="vary the documented mechanism coefficients (MECHANISM_FACTORS) over their "
                   "ranges; with --experiment, those its arms set are left out; --factor "
                   "adds or replaces ranges")
@click.option("--experiment", default=None, metavar="NAME",
              help="analyse the paired effects of a recommendation's arms (cgov sim "
                   "experiment --list) instead of the metrics")
@click.option("--arm", "arms", multiple=True, metavar="ARM",
              help="an arm of the experiment (repeatable; default all)")
@click.option("--seeds", type=click.IntRange(min=1), default=1, show_default=True,
              help="seeds per sample; the output is their mean")
@click.option("--method", type=click.Choice(["lhs", "morris", "sobol"]), default="morris",
              show_default=True)
@click.option("--samples", type=click.IntRange(min=2), default=10, show_default=True,
              help="LHS runs; Morris trajectories; Sobol' base sample (a power of 2)")
@click.option("--metric", "metrics", multiple=True, metavar="KEY",
              help="a run-summary key to analyse (repeatable; default on_time_share and "
                   "participation_rate_mean)")
@click.option("--seed", type=int, default=None, help="behaviour and design seed")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="override a scenario key, e.g. --set city.scale=0.05 (repeatable)")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="directory for sensitivity.json and the figures")
@click.option("--quiet", is_flag=True, help="no progress bar")
@click.option("--no-plots", "no_plots", is_flag=True, help="write sensitivity.json only")
@json_always
def sensitivity_cmd(scenario: str, factors: tuple[str, ...], mechanisms: bool,
                    experiment: str | None, arms: tuple[str, ...], seeds: int, method: str,
                    samples: int, metrics: tuple[str, ...], seed: int | None,
                    sets: tuple[str, ...], out: Path, quiet: bool, no_plots: bool) -> None:
    """Global sensitivity analysis of SCENARIO (Latin hypercube, Morris or Sobol', SALib):
    of its metrics, or with --experiment of a recommendation's paired effects."""
    from community_governance.errors import ValidationError
    from community_governance.simulation.sensitivity import (
        MECHANISM_FACTORS,
        experiment_arms,
        sensitivity,
    )

    sc = _scenario(scenario, sets)
    ranges: dict[str, tuple[float, float]] = {}
    left_out: list[str] = []
    if mechanisms:
        ranges.update(MECHANISM_FACTORS)
        if experiment is not None:  # the mechanisms an arm sets are left out, not refused
            chosen = experiment_arms(experiment, arms, {})
            left_out = sorted(k for k in ranges if any(k in a for _, a in chosen))
            for k in left_out:
                del ranges[k]
    for text in factors:
        key, _, rng = text.partition("=")
        lo, sep, hi = rng.partition(":")
        try:
            ranges[key.strip()] = (float(lo), float(hi))
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise ValidationError(
                f"a factor is KEY=LOW:HIGH like staff.cases_per_staff_day=1.5:3, got {text!r}",
                path="factor")
    common: dict[str, Any] = {"method": method, "samples": samples, "seed": seed,
                              "metrics": metrics or None, "experiment": experiment,
                              "arms": arms or None, "seeds": seeds}
    if quiet:
        res = sensitivity(sc, ranges, **common)
    else:
        with _progress("samples") as bar:
            task = bar.add_task("samples", total=None)
            res = sensitivity(
                sc, ranges, **common,
                progress=lambda done, total: bar.update(task, completed=done, total=total))
    files = res.write(out, plots=not no_plots)
    runs = len(res.samples) * len(res.seeds) * (
        1 + len({r["arm"] for r in res.rows if r["arm"] is not None}))
    echo_json({"out": str(out), "method": res.method, "samples": len(res.samples),
               "runs": runs, "experiment": experiment, "left_out": left_out,
               "files": [f.name for f in files], "indices": res.to_dict()["indices"]})


@sim.command("plot")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--compare", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="a second run directory (e.g. without the policy)")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="where the PNGs go (default: DIRECTORY)")
@click.option("--labels", type=click.Choice(["both", "zh", "en"]), default="both",
              show_default=True)
@click.option("--format", "formats", multiple=True, type=click.Choice(["png", "svg", "pdf"]),
              help="file formats (repeatable; default png, and svg and pdf for a sweep)")
@click.option("--width", type=click.Choice(["single", "double"]), default="double",
              show_default=True, help="journal column of a sweep's figures: 84 or 174 mm")
@json_always
def plot_cmd(directory: Path, compare: Path | None, out: Path | None, labels: str,
             formats: tuple[str, ...], width: str) -> None:
    """Draw figures of a run directory (or a sweep directory: bands across seeds by month
    when it kept series)."""
    from community_governance.simulation.plots import plot_run, plot_sweep

    if (directory / "sweep.parquet").is_file():
        files = plot_sweep(directory, out, labels=labels, width=width,
                           formats=formats or ("png", "svg", "pdf"))
    else:
        files = plot_run(directory, out, compare=compare, labels=labels,
                         formats=formats or ("png",))
    echo_json({"files": [str(f) for f in files]})


@sim.command("calibrate")
@click.argument("scenario", default="yima-2019")
@click.option("--seed", type=int, default=None, help="the seed of the judged run")
@click.option("--seeds", type=click.IntRange(min=1), default=10, show_default=True,
              help="also report the on-time share over this many seeds (mean and 95 %% "
                   "interval); 1 skips it")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="override a scenario key, e.g. --set city.scale=0.05 (repeatable)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.option("--abc", is_flag=True, help="fit the coefficients to the behavioural targets by "
              "ABC population Monte Carlo and check the held-out targets")
@click.option("--particles", type=click.IntRange(min=2), default=40, show_default=True,
              help="ABC particles per generation")
@click.option("--generations", type=click.IntRange(min=1), default=3, show_default=True,
              help="ABC generations (1: rejection ABC)")
@click.option("--abc-scale", type=click.FloatRange(0.001, 1.0), default=0.05,
              show_default=True, help="the city's scale of the ABC runs")
@click.option("--oversample", type=click.IntRange(min=1), default=3, show_default=True,
              help="ABC prior draws per particle in generation 0")
@click.option("--max-runs", "max_runs", type=click.IntRange(min=2), default=None,
              help="ABC run budget (default particles x (oversample + 4 x (generations - 1)))")
@click.option("--max-minutes", "max_minutes", type=click.FloatRange(min=0.1), default=None,
              help="ABC wall-time budget; a generation cut short is abandoned")
@click.option("--held-out", "held_out", multiple=True, metavar="TARGET",
              help="a behavioural target kept out of the fit (repeatable; default "
                   "volunteers_2019 and volunteers_from_culture)")
def calibrate_cmd(scenario: str, seed: int | None, seeds: int, sets: tuple[str, ...],
                  as_json: bool, abc: bool, particles: int, generations: int,
                  abc_scale: float, oversample: int, max_runs: int | None,
                  max_minutes: float | None, held_out: tuple[str, ...]) -> None:
    """Run SCENARIO and print its calibration report against the study (FACTS.md): every
    target labelled structural or behavioural, and the on-time share across seeds. With
    --abc, fit the coefficients to the behavioural targets instead (exit 1 when a held-out
    target falls outside its posterior predictive range)."""
    from community_governance.simulation.calibration import across_seeds, calibrate
    from community_governance.simulation.engine import Simulation

    sc = _scenario(scenario, sets)
    if abc:
        from community_governance.simulation.abc_fit import fit_abc

        kwargs: dict[str, object] = {"held_out": held_out} if held_out else {}
        fit = fit_abc(sc, particles=particles, generations=generations, scale=abc_scale,
                      oversample=oversample, max_runs=max_runs,
                      max_seconds=None if max_minutes is None else max_minutes * 60,
                      seed=sc.run.seed if seed is None else seed,
                      check_seeds=seeds if seeds >= 2 else 0,
                      **kwargs)  # type: ignore[arg-type]
        if as_json:
            echo_json(fit.to_dict())
        else:
            click.echo(fit.markdown())
        if not fit.held_out_ok:
            raise SystemExit(1)
        return
    report = calibrate(Simulation(sc, seed=seed).run().summary())
    spread = across_seeds(sc, "on_time_share", seeds=seeds) if seeds >= 2 else None
    if as_json:
        data = report.to_dict()
        data["on_time_share_across_seeds"] = spread.to_dict() if spread else None
        echo_json(data)
    else:
        click.echo(report.markdown())
        if spread is not None:
            click.echo(f"\ncases closed on time, {len(spread.seeds)}-seed mean: "
                       f"{spread.mean:.1%} (95 % interval {spread.ci95_low:.1%}-"
                       f"{spread.ci95_high:.1%}; seeds range {spread.low:.1%}-"
                       f"{spread.high:.1%})")
    if not report.ok:
        raise SystemExit(1)


@sim.command("experiment")
@click.argument("scenario", default="yima-2019")
@click.argument("recommendation", required=False)
@click.option("--list", "list_", is_flag=True, help="list the recommendations and their arms")
@click.option("--seeds", type=click.IntRange(min=2), default=10, show_default=True)
@click.option("--metric", "metrics", multiple=True, metavar="KEY",
              help="a run-summary key to compare (repeatable; default the recommendation's)")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="override a baseline key, e.g. --set city.scale=0.05 (repeatable)")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="also write the table and the runs as JSON here")
@json_always
def experiment_cmd(scenario: str, recommendation: str | None, list_: bool, seeds: int,
                   metrics: tuple[str, ...], sets: tuple[str, ...], out: Path | None) -> None:
    """The policy experiment of a RECOMMENDATION of the study against SCENARIO: its arms on
    the same seeds and city, paired differences with Holm-corrected intervals."""
    from community_governance.errors import ValidationError
    from community_governance.simulation.experiments import RECOMMENDATIONS, run_recommendation
    from community_governance.simulation.outputs import write_json

    if list_ or recommendation is None:
        if not list_:
            raise ValidationError(f"name a recommendation: {', '.join(RECOMMENDATIONS)}",
                                  path="recommendation")
        echo_json({k: {"title": r.title, "source": r.source, "arms": {
            a: dict(o) for a, o in r.arms.items()}, "metrics": list(r.metrics)}
            for k, r in RECOMMENDATIONS.items()})
        return
    sc = _scenario(scenario, sets)
    cmp = run_recommendation(sc, recommendation, seeds=seeds, metrics=metrics or None)
    if out is not None:
        write_json(out, cmp.to_dict())
    echo_json({"recommendation": recommendation, "seeds": list(cmp.seeds), "rows": cmp.rows})


def register(cli: click.Group) -> None:
    """Add ``cgov sim``."""
    cli.add_command(sim)
