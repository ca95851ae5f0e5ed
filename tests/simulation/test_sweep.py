"""Sweeps: a grid times replicates on a process pool and a local Dask cluster, resumable."""

from __future__ import annotations

import concurrent.futures as cf
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from community_governance.errors import ConflictError, ValidationError
from community_governance.simulation.scenario import Scenario
from community_governance.simulation.sweep import (
    expand_grid,
    run_sweep,
    t_quantile_975,
)


@pytest.fixture(scope="module")
def tiny_sweep(baseline: Scenario) -> Scenario:
    """A 1 % city over 8 weeks: a run takes a few milliseconds."""
    return baseline.with_overrides({"city.scale": 0.01, "run.steps": 8})


def _check_tables(res: Any, n_values: int, replicates: int) -> None:
    assert res.runs.height == n_values * replicates
    assert res.runs["run_id"].is_unique().all()
    s = res.summary.filter(pl.col("metric") == "points_issued")
    assert s.height == n_values
    assert (s["n"] == replicates).all()
    assert ((s["ci95_low"] <= s["mean"]) & (s["mean"] <= s["ci95_high"])).all()


def test_expand_grid() -> None:
    """Expands every combination, the last key fastest."""
    assert expand_grid({"a": [1, 2], "b": ["x", "y"]}) == [
        {"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]
    with pytest.raises(ValidationError):
        expand_grid({"a": []})


def test_t_quantiles() -> None:
    """Uses Student's t for small samples and 1.96 for large ones."""
    assert t_quantile_975(1) == pytest.approx(12.706)
    assert t_quantile_975(19) == pytest.approx(2.093)
    assert t_quantile_975(1000) == pytest.approx(1.96)
    assert math.isnan(t_quantile_975(0))


def test_sweep_on_a_process_pool(tiny_sweep: Scenario, tmp_path: Path) -> None:
    """Runs the grid times replicates on a process pool into one table with 95 % CIs."""
    res = run_sweep(tiny_sweep, {"points.rate": [0, 20]}, replicates=3, out_dir=tmp_path,
                    workers=2)
    _check_tables(res, 2, 3)
    assert res.ran == 6 and res.skipped == 0
    pts = res.summary.filter(pl.col("metric") == "points_issued").sort("param:points.rate")
    assert pts["mean"][0] == 0 and pts["mean"][1] > 0
    # common random numbers: replicate r has the same seed for every value
    seeds = res.runs.group_by("replicate").agg(pl.col("seed").n_unique())
    assert (seeds["seed"] == 1).all()
    assert (tmp_path / "sweep.parquet").is_file() and (tmp_path / "runs.parquet").is_file()


def test_sweep_is_deterministic(tiny_sweep: Scenario, tmp_path: Path) -> None:
    """Gives the same results serially and on a pool, run twice."""
    ex = cf.ThreadPoolExecutor(max_workers=1)
    a = run_sweep(tiny_sweep, {"staff.per_community": [3, 7]}, replicates=2,
                  out_dir=tmp_path / "a", executor=ex)
    b = run_sweep(tiny_sweep, {"staff.per_community": [3, 7]}, replicates=2,
                  out_dir=tmp_path / "b", workers=2)
    cols = ["run_id", "points_issued", "cases_closed", "satisfaction_end"]
    assert a.runs.select(cols).equals(b.runs.select(cols))


def test_sweep_on_a_local_dask_cluster(tiny_sweep: Scenario, tmp_path: Path) -> None:
    """Runs on a local Dask cluster through its scheduler address."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        res = run_sweep(tiny_sweep, {"points.rate": [5, 10]}, replicates=2,
                        out_dir=tmp_path, scheduler=cluster.scheduler_address)
        _check_tables(res, 2, 2)
        with distributed.Client(cluster) as client:
            res2 = run_sweep(tiny_sweep, {"points.rate": [5, 10]}, replicates=2,
                             out_dir=tmp_path / "x", executor=client.get_executor())
    assert res2.runs.select(["run_id", "points_issued"]).equals(
        res.runs.select(["run_id", "points_issued"]))


class _Interrupting(cf.ThreadPoolExecutor):
    """An executor whose futures stop the sweep after ``after`` completed runs, as a kill
    would: the sweep gets KeyboardInterrupt while gathering."""

    def __init__(self, after: int) -> None:
        super().__init__(max_workers=1)
        self.after = after
        self.count = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        def wrapped() -> Any:
            self.count += 1
            if self.count > self.after:
                raise KeyboardInterrupt
            return fn(*args, **kwargs)

        return super().submit(wrapped)


def test_a_killed_sweep_resumes(tiny_sweep: Scenario, tmp_path: Path) -> None:
    """Resumes a sweep killed halfway without redoing the finished runs."""
    params = {"points.rate": [5, 10, 20]}
    with pytest.raises(KeyboardInterrupt):
        run_sweep(tiny_sweep, params, replicates=2, out_dir=tmp_path, executor=_Interrupting(3))
    done = sorted((tmp_path / "runs").glob("*.json"))
    assert len(done) == 3
    stamps = {p.name: p.stat().st_mtime_ns for p in done}
    counting = _Interrupting(after=10**6)
    res = run_sweep(tiny_sweep, params, replicates=2, out_dir=tmp_path, executor=counting)
    assert res.skipped == 3 and res.ran == 3 and counting.count == 3
    assert {p.name: p.stat().st_mtime_ns for p in done} == stamps
    _check_tables(res, 3, 2)
    again = run_sweep(tiny_sweep, params, replicates=2, out_dir=tmp_path, executor=counting)
    assert again.ran == 0 and again.skipped == 6 and counting.count == 3


def test_refuses_a_different_sweep_in_the_same_directory(tiny_sweep: Scenario,
                                                         tmp_path: Path) -> None:
    """Refuses to mix two sweeps in one directory."""
    ex = cf.ThreadPoolExecutor(max_workers=1)
    run_sweep(tiny_sweep, {"points.rate": [5]}, replicates=1, out_dir=tmp_path, executor=ex)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["params"] == {"points.rate": [5]}
    with pytest.raises(ConflictError, match="another sweep"):
        run_sweep(tiny_sweep, {"points.rate": [6]}, replicates=1, out_dir=tmp_path, executor=ex)


def test_refuses_a_bad_value_before_running(tiny_sweep: Scenario, tmp_path: Path) -> None:
    """Validates every swept value before any run starts."""
    with pytest.raises(ValidationError) as info:
        run_sweep(tiny_sweep, {"points.rate": [5, "many"]}, replicates=1, out_dir=tmp_path)
    assert info.value.path == "points.rate"
    assert not (tmp_path / "manifest.json").exists()
