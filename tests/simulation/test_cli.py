"""`cgov sim run|sweep|plot|calibrate`, and a sweep killed for real and resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from community_governance.cli import _load, cli

_load()
SMALL = ["--set", "city.scale=0.02", "--set", "run.steps=10"]


def _json(output: str) -> dict[str, object]:
    return json.loads(output[output.index("{"):])


def test_run_and_plot(tmp_path: Path) -> None:
    """Runs the bundled scenario by name, writes its outputs, then plots them."""
    runner = CliRunner()
    res = runner.invoke(cli, ["sim", "run", "yima-2019", "--out", str(tmp_path / "r"),
                              "--seed", "3", "--csv", "--quiet", *SMALL])
    assert res.exit_code == 0, res.output
    out = _json(res.output)
    assert "communities.csv" in out["files"]  # type: ignore[operator]
    summary = json.loads((tmp_path / "r" / "summary.json").read_text(encoding="utf-8"))
    assert summary["seed"] == 3 and summary["steps"] == 10
    res = runner.invoke(cli, ["sim", "plot", str(tmp_path / "r"), "--labels", "en"])
    assert res.exit_code == 0, res.output
    assert len(_json(res.output)["files"]) == 4  # type: ignore[arg-type]


def test_run_shows_a_progress_bar(tmp_path: Path) -> None:
    """Draws a progress bar of the steps unless --quiet."""
    res = CliRunner().invoke(cli, ["sim", "run", "yima-2019", "--out", str(tmp_path / "r"),
                                   *SMALL])
    assert res.exit_code == 0, res.output
    assert "10/10" in res.output


def test_run_reports_a_bad_scenario_key(tmp_path: Path) -> None:
    """Exits with an error naming the key of a bad scenario file."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[run]\nname = "x"\nstart = 2019-01-07\n[points]\nrate = "ten"\n',
                   encoding="utf-8")
    res = CliRunner().invoke(cli, ["sim", "run", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 5  # a validation error
    assert "points.rate" in res.output


def test_sweep_and_plot(tmp_path: Path) -> None:
    """Sweeps a parameter with replicates on a pool, then plots the sweep."""
    runner = CliRunner()
    res = runner.invoke(cli, ["sim", "sweep", "yima-2019", "--param", "points.rate=0,10",
                              "--replicates", "2", "--workers", "2", "--quiet",
                              "--out", str(tmp_path / "s"), *SMALL])
    assert res.exit_code == 0, res.output
    assert _json(res.output)["runs"] == 4
    res = runner.invoke(cli, ["sim", "plot", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "s" / "sweep.png").stat().st_size > 5000


@pytest.mark.slow
def test_a_sweep_killed_with_sigkill_resumes(tmp_path: Path) -> None:
    """Resumes a sweep whose process was killed, keeping the runs it had finished."""
    out = tmp_path / "s"
    args = [sys.executable, "-c", "from community_governance.cli import main; main()",
            "sim", "sweep", "yima-2019", "--param", "staff.per_community=4,6,8,10",
            "--replicates", "3", "--workers", "1", "--quiet", "--out", str(out),
            "--set", "city.scale=0.02", "--set", "run.steps=52"]
    proc = subprocess.Popen(args, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if len(list((out / "runs").glob("*.json"))) >= 2:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.json")}
    assert 2 <= len(finished) < 12
    res = CliRunner().invoke(cli, args[3:])
    assert res.exit_code == 0, res.output
    report = _json(res.output)
    assert report["resumed"] == len(finished)
    assert report["ran"] == 12 - len(finished)
    assert {p: (out / "runs" / p).stat().st_mtime_ns for p in finished} == finished
