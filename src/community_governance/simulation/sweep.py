"""Parameter sweeps (参数扫描): a grid of values times replicates, on any Executor.

:func:`run_sweep` expands ``{"points.rate": [5, 10, 20], ...}`` into every combination, runs
each ``replicates`` times and gathers the run summaries into one table of runs and one table of
means with 95 % confidence intervals (Student's t). Runs go to any
:class:`concurrent.futures.Executor`: a process pool by default, a Dask cluster when given its
scheduler address (``distributed.Client(address).get_executor()``).

A sweep is resumable: the output directory holds ``manifest.json`` (the scenario digest, the
grid, the replicates, the seed) and one ``runs/<run id>.json`` per finished run, written
atomically by the parent as each run completes. Run the same sweep again into the same
directory and finished runs are read back instead of run again.

Replicate ``r`` uses the same seed for every parameter combination (common random numbers), so
differences between combinations are not blurred by different random draws.

Example::

    from community_governance.simulation import load_scenario
    from community_governance.simulation.sweep import run_sweep

    res = run_sweep(load_scenario("yima-2019").with_overrides({"city.scale": 0.05}),
                    {"points.rate": [5, 10, 20]}, replicates=5, out_dir="sweep-out")
    res.summary            # polars: one row per combination and metric, with ci95_low/high
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import itertools
import json
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from community_governance.errors import ConflictError, ValidationError, require_extra
from community_governance.simulation.outputs import write_json
from community_governance.simulation.scenario import Scenario

if TYPE_CHECKING:
    import polars as pl

__all__ = ["METRICS", "SweepResult", "SweepTask", "expand_grid", "run_sweep", "run_task",
           "t_quantile_975", "tune_malloc"]

#: Summary figures gathered from every run.
METRICS = (
    "participation_rate_mean", "volunteers_mean", "culture_members_mean", "activities",
    "services", "points_issued", "points_redeemed", "supermarket_cost_fen", "cases_opened",
    "cases_closed", "on_time_share", "mean_handling_days", "backlog_end", "overdue_backlog_end",
    "satisfaction_end", "satisfaction_handover_end", "identification_end", "care_visits",
    "inflow_fen", "outflow_fen",
)

_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def t_quantile_975(df: int) -> float:
    """The 97.5 % quantile of Student's t with ``df`` degrees of freedom (1.96 beyond 120)."""
    if df < 1:
        return math.nan
    if df <= len(_T975):
        return _T975[df - 1]
    if df <= 40:
        return 2.021
    if df <= 60:
        return 2.000
    if df <= 120:
        return 1.980
    return 1.960


@attrs.frozen
class SweepTask:
    """One run of a sweep (扫描任务): picklable, so it can travel to a worker.

    Attributes:
        run_id: ``p<combination>-r<replicate>``.
        combination: the combination's index.
        replicate: the replicate's index.
        seed: the behaviour seed.
        overrides: the parameter values of the combination.
        scenario: the base scenario's validated document.
        source: the base scenario's source.
        city_file: the city saved by the parent (``city.npz`` in the output directory) when
            no ``city.*`` key is swept, so that workers load it instead of generating it;
            a worker that cannot read it (another machine) generates the same city from
            the scenario's seed.
        series: the per-community series to return (:func:`~community_governance.
            simulation.series.series_table`), none when empty.
        freq: ``week`` or ``month``.
    """

    run_id: str
    combination: int
    replicate: int
    seed: int
    overrides: Mapping[str, Any]
    scenario: Mapping[str, Any]
    source: str = ""
    city_file: str | None = None
    series: tuple[str, ...] = ()
    freq: str = "week"


_MALLOC_TUNED: list[bool] = []


def tune_malloc() -> bool:
    """Let glibc reuse freed memory for the engine's temporary arrays (once per process).

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which makes glibc hand
    every freed megabyte back to the system; the engine's per-step temporaries then cost a page
    fault per page and a run takes three to four times as long. In such a process (the variable
    set below 1 MiB, glibc present) this raises the mmap threshold to 32 MiB and the trim
    threshold to 256 MiB with ``mallopt``. Elsewhere it does nothing.

    Returns:
        Whether the allocator was tuned.
    """
    import ctypes
    import os

    if _MALLOC_TUNED:
        return _MALLOC_TUNED[0]
    done = False
    try:
        trim = int(os.environ.get("MALLOC_TRIM_THRESHOLD_", "-1"))
        if 0 <= trim < 2**20:
            libc = ctypes.CDLL("libc.so.6")
            m_trim_threshold, m_mmap_threshold = -1, -3
            done = bool(libc.mallopt(m_mmap_threshold, 32 * 2**20)) and bool(
                libc.mallopt(m_trim_threshold, 256 * 2**20))
    except (OSError, ValueError, AttributeError):
        done = False
    _MALLOC_TUNED.append(done)
    return done


_WATCHED: list[int] = []


def watch_parent(pid: int, interval: float = 0.5) -> bool:
    """In a worker the sweep started: exit this process as soon as process ``pid`` (the sweep)
    is gone, so that a killed sweep leaves no worker behind. Once per process; returns whether
    a watcher was started now."""
    import os
    import threading

    if _WATCHED or pid == os.getpid():
        return False
    _WATCHED.append(pid)

    def alive() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def loop() -> None:
        import time as _time

        while alive():
            _time.sleep(interval)
        os._exit(70)

    threading.Thread(target=loop, name="cgov-watch-parent", daemon=True).start()
    return True


def run_task(task: SweepTask) -> dict[str, Any]:
    """Run one task (in a worker) and return its row: ids, parameters, metrics and the package
    versions."""
    import os

    from community_governance.simulation.provenance import package_versions

    tune_malloc()

    from community_governance.simulation.engine import Simulation, city_from_file

    sc = Scenario.from_dict(task.scenario, source=task.source).with_overrides(task.overrides)
    city = None
    if task.city_file is not None and os.path.isfile(task.city_file):
        city = city_from_file(task.city_file, os.stat(task.city_file).st_mtime_ns)
    started = time.perf_counter()
    sim = Simulation(sc, seed=task.seed, city=city).run()
    summary = sim.summary()
    row: dict[str, Any] = {"run_id": task.run_id, "combination": task.combination,
                           "replicate": task.replicate, "seed": task.seed,
                           "seconds": round(time.perf_counter() - started, 4)}
    row.update({f"param:{k}": v for k, v in task.overrides.items()})
    row.update({m: summary.get(m) for m in METRICS})
    row["versions"] = package_versions()
    if task.series:
        from community_governance.simulation.series import series_columns

        # NumPy columns, not a polars frame: polars in a forked worker can deadlock
        row["_series"] = series_columns(sim, task.series, task.freq)
    return row


def expand_grid(params: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the parameter values, in order (the last key varies fastest)."""
    keys = list(params)
    for k in keys:
        if not params[k]:
            raise ValidationError(f"parameter {k} has no values", path=k)
    return [dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(params[k] for k in keys))]


def _seed(base: int, replicate: int) -> int:
    import numpy as np

    return int(np.random.SeedSequence([base, replicate]).generate_state(1)[0])


@attrs.frozen
class SweepResult:
    """What a sweep produced (扫描结果).

    Attributes:
        runs: one row per run.
        summary: one row per combination and metric: mean, std, n, ci95_low, ci95_high.
        out_dir: the output directory.
        ran: runs executed by this call.
        skipped: runs found finished and read back.
        series: the gathered per-community series (``series=``), else ``None``.
    """

    runs: pl.DataFrame
    summary: pl.DataFrame
    out_dir: Path
    ran: int
    skipped: int
    series: pl.DataFrame | None = None


def _check_scenario(scenario: Scenario, params: Mapping[str, Sequence[Any]]) -> None:
    for key, values in params.items():
        for v in values:
            scenario.with_overrides({key: v})


@contextlib.contextmanager
def _executor(workers: int | None, scheduler: str | None) -> Iterator[cf.Executor]:
    import importlib
    import os

    me = os.getpid()
    if scheduler == "local":
        require_extra("distributed", "dask", "local Dask sweeps")
        dist: Any = importlib.import_module("distributed")
        cluster = dist.LocalCluster(n_workers=workers or 2, threads_per_worker=1,
                                    processes=True, dashboard_address=None)
        client = dist.Client(cluster)
        try:
            # the workers and their nannies are this sweep's: each exits when it is gone
            client.run(watch_parent, me)
            client.run(watch_parent, me, nanny=True)
            yield client.get_executor()
        finally:
            client.close()
            cluster.close()
    elif scheduler:
        client = importlib.import_module("distributed").Client(scheduler)
        try:
            yield client.get_executor()
        finally:
            client.close()
    else:
        with cf.ProcessPoolExecutor(max_workers=workers, initializer=watch_parent,
                                    initargs=(me,)) as pool:
            yield pool


def run_sweep(
    scenario: Scenario, params: Mapping[str, Sequence[Any]], *, replicates: int,
    out_dir: str | Path, executor: cf.Executor | None = None, workers: int | None = None,
    scheduler: str | None = None, seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    series: Sequence[str] | bool = (), freq: str = "week", csv: bool = False,
) -> SweepResult:
    """Run a sweep, resuming any finished runs in ``out_dir``.

    Args:
        scenario: the base scenario.
        params: dotted keys to lists of values, e.g. ``{"points.rate": [5, 10, 20]}``.
        replicates: runs per combination.
        out_dir: where the manifest, the run files and the tables go.
        executor: any ``concurrent.futures.Executor``; default a process pool of ``workers``
            (or a Dask executor when ``scheduler`` is given).
        workers: processes of the default pool.
        scheduler: a Dask scheduler address, e.g. ``tcp://host:8786``, or ``"local"``: a local
            Dask cluster of ``workers`` processes, closed when the sweep ends; its workers and
            nannies (like the default pool's processes) exit as soon as the sweep's process
            is gone, even when it was killed.
        seed: the base seed of the replicates (default the scenario's).
        progress: called as ``progress(done, total)``.
        series: also keep these per-community series of every run (``True``: the
            :data:`~community_governance.simulation.series.DEFAULT_SERIES`; custom metrics of
            ``cgov_sim_metrics`` by name), written per run to ``series/<run id>.parquet`` and
            gathered into ``series.parquet``: one row per run, community, period and metric
            with the run's id, combination, replicate, seed and parameter values (list- and
            table-valued parameters as JSON text).
        freq: ``week`` or ``month`` (months sum flows, keep the last week of stocks).
        csv: also write ``runs.csv``, ``sweep.csv`` and ``series.csv``.

    Raises:
        ValidationError: a parameter or value the scenario refuses (before anything runs).
        ConflictError: ``out_dir`` holds a different sweep (more replicates of the same
            sweep are fine: the finished runs are kept and only the new replicates run).
    """
    if replicates < 1:
        raise ValidationError("replicates must be at least 1", path="replicates")
    _check_scenario(scenario, params)
    from community_governance.simulation.series import DEFAULT_SERIES, FREQS

    if freq not in FREQS:
        raise ValidationError(f"freq must be week or month, got {freq!r}", path="freq")
    keep: tuple[str, ...] = tuple(DEFAULT_SERIES) if series is True else (
        () if series is False else tuple(series))
    base_seed = scenario.run.seed if seed is None else seed
    out = Path(out_dir)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    combos = expand_grid(params) if params else [{}]
    manifest = {
        "scenario": scenario.run.name, "scenario_digest": scenario.digest(),
        "params": {k: list(v) for k, v in params.items()}, "replicates": replicates,
        "seed": base_seed, "runs": len(combos) * replicates,
    }
    if keep:  # an older sweep without series stays the same sweep
        manifest.update({"series": list(keep), "freq": freq})
    mpath = out / "manifest.json"
    if mpath.is_file():
        old = json.loads(mpath.read_text(encoding="utf-8"))
        new = json.loads(json.dumps(manifest, default=str))
        grows = {k: v for k, v in old.items() if k not in ("replicates", "runs")} == {
            k: v for k, v in new.items() if k not in ("replicates", "runs")} and int(
            old.get("replicates", 0)) < replicates
        if grows:  # more replicates of a finished sweep: the old runs keep their seeds
            write_json(mpath, manifest)
        elif old != new:
            raise ConflictError(
                f"{out} holds another sweep (manifest.json differs: scenario, parameters, "
                "replicates or seed); use a new --out directory or delete the old one")
    else:
        write_json(mpath, manifest)
    city_file = None
    if not any(k.startswith("city.") for k in params):
        from community_governance.simulation.engine import city_for

        city_file = str(city_for(scenario.city.seed, scenario.city.scale,
                                 scenario.city.generator).save(
            out / "city.npz").resolve())
    tasks = [SweepTask(f"p{i:03d}-r{r:03d}", i, r, _seed(base_seed, r), combo,
                       dict(scenario.raw), scenario.source, city_file, keep, freq)
             for i, combo in enumerate(combos) for r in range(replicates)]
    if keep:
        (out / "series").mkdir(exist_ok=True)
    rows: dict[str, dict[str, Any]] = {}
    todo: list[SweepTask] = []
    for task in tasks:
        f = out / "runs" / f"{task.run_id}.json"
        if f.is_file() and (not keep or (out / "series" / f"{task.run_id}.parquet").is_file()):
            rows[task.run_id] = json.loads(f.read_text(encoding="utf-8"))
        else:
            todo.append(task)
    skipped = len(rows)
    total = len(tasks)
    if progress:
        progress(len(rows), total)
    if todo:
        with contextlib.ExitStack() as stack:
            ex = executor if executor is not None else stack.enter_context(
                _executor(workers, scheduler))
            futures = {ex.submit(run_task, t): t for t in todo}
            try:
                for fut in cf.as_completed(futures):
                    row = fut.result()
                    frame = row.pop("_series", None)
                    if frame is not None:  # before the run file: a run file means both
                        from community_governance.simulation.series import SERIES_SCHEMA

                        _write_parquet(pl_frame(frame, SERIES_SCHEMA()),
                                       out / "series" / f"{row['run_id']}.parquet")
                    write_json(out / "runs" / f"{row['run_id']}.json", row)
                    rows[row["run_id"]] = row
                    if progress:
                        progress(len(rows), total)
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
    ordered = [rows[t.run_id] for t in tasks]
    runs_df, summary_df = _tables(ordered, list(params))
    runs_df.write_parquet(out / "runs.parquet")
    summary_df.write_parquet(out / "sweep.parquet")
    series_df = _gather_series(out, ordered, list(params)) if keep else None
    if series_df is not None:
        series_df.write_parquet(out / "series.parquet")
    if csv:
        runs_df.write_csv(out / "runs.csv")
        summary_df.write_csv(out / "sweep.csv")
        if series_df is not None:
            series_df.write_csv(out / "series.csv")
    return SweepResult(runs_df, summary_df, out, len(todo), skipped, series_df)


def pl_frame(columns: dict[str, Any], schema: dict[str, Any]) -> pl.DataFrame:
    """A polars frame of NumPy columns."""
    import polars as pl

    return pl.DataFrame(columns, schema=schema)


def _write_parquet(frame: pl.DataFrame, path: Path) -> None:
    import os

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.write_parquet(tmp)
    os.replace(tmp, path)


def _gather_series(out: Path, rows: list[dict[str, Any]], keys: list[str]) -> pl.DataFrame:
    """Every run's series with its id, combination, replicate, seed and parameter values."""
    import polars as pl

    from community_governance.simulation.series import _jsonable

    frames = []
    for r in rows:
        f = pl.read_parquet(out / "series" / f"{r['run_id']}.parquet")
        ids = [pl.lit(r["run_id"]).alias("run_id"),
               pl.lit(r["combination"]).alias("combination"),
               pl.lit(r["replicate"]).alias("replicate"), pl.lit(r["seed"]).alias("seed")]
        ids += [pl.lit(_jsonable(r.get(f"param:{k}"))).alias(f"param:{k}") for k in keys]
        frames.append(f.select([*ids, pl.all()]))
    return pl.concat(frames, how="vertical_relaxed")


def _tables(rows: list[dict[str, Any]], keys: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    require_extra("polars", "sim", "simulation tables")
    import polars as pl

    pcols = [f"param:{k}" for k in keys]
    # list- or table-valued parameters (funds.channels) as canonical JSON text; versions stay
    # in the run files
    rows = [{k: (json.dumps(v, sort_keys=True, ensure_ascii=False, default=str)
                 if k in pcols and isinstance(v, list | dict) else v)
             for k, v in r.items() if k != "versions"} for r in rows]
    runs = pl.DataFrame(rows, infer_schema_length=None)
    out: list[dict[str, Any]] = []
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(r.get(c) for c in ["combination", *pcols]), []).append(r)
    for key, members in groups.items():
        for m in METRICS:
            vals = [float(x[m]) for x in members if x.get(m) is not None
                    and not (isinstance(x[m], float) and math.isnan(x[m]))]
            n = len(vals)
            mean = sum(vals) / n if n else math.nan
            sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1)) if n > 1 else math.nan
            half = t_quantile_975(n - 1) * sd / math.sqrt(n) if n > 1 else math.nan
            rec: dict[str, Any] = {"combination": key[0]}
            rec.update({c: key[i + 1] for i, c in enumerate(pcols)})
            rec.update({"metric": m, "n": n, "mean": mean, "std": sd,
                        "ci95_low": mean - half, "ci95_high": mean + half})
            out.append(rec)
    return runs, pl.DataFrame(out, infer_schema_length=None)
