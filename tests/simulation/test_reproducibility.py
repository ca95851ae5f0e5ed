"""Seeds, versions, the city cache, list-valued sweeps, growing sweeps, workers of a killed
sweep (issue 19 item 5)."""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from community_governance.cli import _load, cli
from community_governance.simulation.engine import city as engine_city
from community_governance.simulation.scenario import Scenario
from community_governance.simulation.sweep import run_sweep

_load()


def test_saved_scenario_has_the_seed_used_and_versions(tmp_path: Path) -> None:
    """``--seed 5`` → ``seed = 5`` in scenario.toml; the summary records package versions."""
    res = CliRunner().invoke(cli, ["sim", "run", "yima-2019", "--out", str(tmp_path / "r"),
                                   "--seed", "5", "--quiet", "--set", "city.scale=0.02",
                                   "--set", "run.steps=4"])
    assert res.exit_code == 0, res.output
    saved = tomllib.loads((tmp_path / "r" / "scenario.toml").read_text(encoding="utf-8"))
    assert saved["run"]["seed"] == 5
    summary = json.loads((tmp_path / "r" / "summary.json").read_text(encoding="utf-8"))
    assert summary["seed"] == 5
    import numpy

    assert summary["versions"]["numpy"] == numpy.__version__
    assert summary["versions"]["community-governance"]


def test_city_is_cached_on_disk_and_reused(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    """The first call writes the cache file; a new process (the lru cache cleared) reads it
    without generating; the key holds seed, scale and the generator's version."""
    monkeypatch.setenv("CGOV_CACHE_DIR", str(tmp_path))
    engine_city.city_for.cache_clear()
    first = engine_city.city_for(7, 0.01)
    path = engine_city.city_cache_file(7, 0.01)
    assert path is not None and path.is_file() and path.parent == tmp_path / "cities"
    assert "seed7" in path.name and "scale0.01" in path.name
    assert engine_city.generator_version() in path.name
    engine_city.city_for.cache_clear()

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("the city was generated again")

    import community_governance.simulation.city as generator

    monkeypatch.setattr(generator, "generate_yima", refuse)
    again = engine_city.city_for(7, 0.01)
    assert again.n_residents == first.n_residents
    assert again.community_codes == first.community_codes
    monkeypatch.setenv("CGOV_CITY_CACHE", "0")
    assert engine_city.city_cache_file(7, 0.01) is None
    engine_city.city_for.cache_clear()


def test_sweeping_fund_channels_and_adding_replicates(small: Scenario, tmp_path: Path) -> None:
    """A list-valued parameter (funds.channels) sweeps to the end; a finished sweep grows by
    replicates without rerunning the finished runs."""
    sc = small.with_overrides({"run.steps": 4})
    channels = [[], [{"name": "物业公司", "cny_per_year": 20000, "use": "activities"}]]
    with cf.ThreadPoolExecutor(1) as ex:
        res = run_sweep(sc, {"funds.channels": channels}, replicates=1, out_dir=tmp_path / "s",
                        executor=ex)
        assert res.ran == 2 and res.runs.height == 2
        assert res.runs["param:funds.channels"].to_list()[0] == "[]"
        row = json.loads((tmp_path / "s" / "runs" / "p001-r000.json").read_text("utf-8"))
        assert row["versions"]["numpy"]
        more = run_sweep(sc, {"funds.channels": channels}, replicates=3,
                         out_dir=tmp_path / "s", executor=ex)
    assert more.skipped == 2 and more.ran == 4 and more.runs.height == 6
    assert json.loads((tmp_path / "s" / "manifest.json").read_text("utf-8"))["replicates"] == 3
    first = res.runs.filter(res.runs["replicate"] == 0)["seed"].to_list()
    assert more.runs.filter(more.runs["replicate"] == 0)["seed"].to_list() == first


def _descendants(pid: int) -> set[int]:
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d.name))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.add(k)
            todo.append(k)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
@pytest.mark.parametrize("scheduler", [None, "local"])
def test_a_killed_sweep_leaves_no_worker(tmp_path: Path, scheduler: str | None) -> None:
    """SIGKILL to the sweep's process alone: its pool (or local Dask) workers exit too."""
    args = [sys.executable, "-c", "from community_governance.cli import main; main()",
            "sim", "sweep", "yima-2019", "--param", "staff.per_community=4,6,8,10",
            "--replicates", "3", "--workers", "2", "--quiet", "--out", str(tmp_path / "s"),
            "--set", "city.scale=0.02", "--set", "run.steps=52"]
    if scheduler:
        args += ["--scheduler", scheduler]
    env = {**os.environ, "CGOV_CITY_CACHE": "0"}
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env)
    deadline = time.monotonic() + 120
    workers: set[int] = set()
    while time.monotonic() < deadline and proc.poll() is None:
        workers = _descendants(proc.pid)
        if len(workers) >= 2 and (tmp_path / "s" / "city.npz").is_file():
            break
        time.sleep(0.2)
    assert proc.poll() is None and len(workers) >= 2
    time.sleep(1.0)
    workers = _descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.2)
    left = [p for p in workers if _alive(p)]
    for p in left:  # do not leave them running if the test fails
        os.kill(p, signal.SIGKILL)
    assert not left
