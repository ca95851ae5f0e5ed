"""The demo's time: ``cgov demo yima`` on SQLite, its wall and CPU seconds per step.

Runs ``cgov demo yima --db sqlite:///<tmp> --timings`` in a fresh process (the way ``make
demo`` does), in one lane (``CGOV_DEMO_LANES=1``, the default) and in two
(``CGOV_DEMO_LANES=2``: the optional steps in two processes, see
``community_governance.demo.lanes``), alternating in the same run (``--lanes 1`` or ``2`` for
one of them only), and prints one JSON object per run:

- ``figure``: ``cgov_demo_yima_steps``; ``lanes``: 1 or 2; ``scale``;
- ``wall_s``: the whole command's wall seconds (start-up and the closing summary included),
  ``target_wall_s`` = 30 (issue 21, on this machine's size: 2 cores);
- ``cpu_s``: user + system seconds of the command and its second process (``getrusage`` of
  the children), so that a run on a loaded machine can still be compared;
- ``steps``: the wall seconds per step, as ``--timings`` prints them; ``cpu_steps``: the CPU
  seconds per step (in the process that ran it); ``load``: the load average before the run;
- and, after the runs, ``figure`` = ``cgov_demo_yima_lanes``: the medians and the ratio of
  two lanes to one (wall and CPU).

Run: ``.venv/bin/python benchmarks/bench_demo.py [--scale 1.0] [--runs 1] [--lanes 1|2|both]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def emit(**fields: Any) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def _table(lines: list[str], header: str) -> dict[str, float]:
    """The ``step value`` rows under ``header`` in ``--timings``'s output."""
    out: dict[str, float] = {}
    for i, line in enumerate(lines):
        if line.split() == header.split():
            for row in lines[i + 1:]:
                if row.startswith(("load average", "cpu in all")):
                    break
                name, _, value = row.rstrip().rpartition(" ")
                try:
                    out[name.strip()] = float(value)
                except ValueError:
                    break
            break
    return out


def run(folder: Path, scale: float, lanes: int) -> dict[str, Any]:
    """One ``cgov demo yima --timings`` in a fresh database: its figures."""
    db = folder / f"demo-{lanes}-{time.monotonic_ns()}.db"
    cgov = Path(sys.executable).with_name("cgov")
    cmd = [str(cgov), "demo", "yima", "--db", f"sqlite:///{db}", "--scale", str(scale),
           "--timings"]
    env = {**os.environ, "CGOV_DEMO_LANES": str(lanes)}
    load = os.getloadavg()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"cgov demo failed: {done.stderr[-2000:]}")
    lines = done.stderr.splitlines()
    steps = _table(lines, "step seconds")
    steps.pop("total", None)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"figure": "cgov_demo_yima_steps", "lanes": lanes, "scale": scale,
            "wall_s": round(wall, 2), "target_wall_s": 30.0, "cpu_s": round(cpu, 2),
            "steps": steps, "cpu_steps": _table(lines, "step cpu s"),
            "load": [round(x, 2) for x in load]}


def main() -> None:
    """Measure and print the JSON figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--lanes", choices=("1", "2", "both"), default="both")
    args = parser.parse_args()
    ways = [2, 1] if args.lanes == "both" else [int(args.lanes)]
    got: dict[int, list[dict[str, Any]]] = {n: [] for n in ways}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            for lanes in ways:  # alternating, so that both share the machine's load
                figure = run(Path(tmp), args.scale, lanes)
                got[lanes].append(figure)
                emit(**figure)
    if len(ways) == 2:
        wall = {n: statistics.median(f["wall_s"] for f in got[n]) for n in ways}
        cpu = {n: statistics.median(f["cpu_s"] for f in got[n]) for n in ways}
        emit(figure="cgov_demo_yima_lanes", scale=args.scale, runs=args.runs,
             wall_s_two_lanes=wall[2], wall_s_one_lane=wall[1],
             wall_ratio=round(wall[2] / wall[1], 2), cpu_s_two_lanes=cpu[2],
             cpu_s_one_lane=cpu[1], cpu_ratio=round(cpu[2] / cpu[1], 2))


if __name__ == "__main__":
    main()
