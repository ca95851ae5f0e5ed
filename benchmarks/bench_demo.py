"""The demo's time: ``cgov demo yima`` on SQLite (and on PostgreSQL), its wall and CPU seconds
per step.

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

With ``--pg URL`` (a PostgreSQL database the benchmark may create schemas in), the same
command also builds the demo on PostgreSQL, each run in a fresh schema (dropped afterwards),
alternating with the SQLite runs (SQLite in one lane unless ``--lanes`` says otherwise;
PostgreSQL in two lanes, ``cgov demo``'s default there, and in one, unless ``--pg-lanes``
says otherwise), and prints:

- per run, the same ``cgov_demo_yima_steps`` figure with ``backend`` = ``postgresql`` and
  ``server_cpu_s``: the CPU seconds of the server's processes over the run (read from
  ``/proc``, so only for a server on this machine, else ``null``);
- after the runs, ``figure`` = ``cgov_demo_yima_backends``: each backend as ``cgov demo``
  builds it by default (``lanes_sqlite``, ``lanes_postgresql``), the medians of both
  (wall, CPU of the command, the server's CPU) and ``wall_ratio`` = PostgreSQL / SQLite
  (issue 21's target: ``<= 1.0``), ``cpu_ratio`` (the command's CPU) and
  ``total_cpu_ratio`` (the command's and the server's CPU), and ``step_ratios``: the
  ratio per step of the median wall seconds (the slowest steps on PostgreSQL first);
  then ``cgov_demo_yima_backends_1_lane`` (and ``_2_lanes`` with ``--lanes both``): the
  same comparison with the same number of lanes on both backends.

Run: ``.venv/bin/python benchmarks/bench_demo.py [--scale 1.0] [--runs 1] [--lanes 1|2|both]
[--pg postgresql://user@host/db]`` (the PostgreSQL comparison also runs when
``$CGOV_BENCH_POSTGRES_URL`` or ``$CGOV_TEST_POSTGRES_URL`` is set, e.g. under ``make bench``).
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


def server_cpu() -> float | None:
    """The CPU seconds of the PostgreSQL server's processes on this machine (the exited
    backends' included, through the postmaster's children's times), or ``None`` where none
    is visible."""
    tick = os.sysconf("SC_CLK_TCK")
    total, seen = 0, False
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:]
        if name.startswith("postgres"):
            seen = True
            total += sum(int(x) for x in fields.split()[11:15])  # utime stime cutime cstime
    return total / tick if seen else None


def run(folder: Path, scale: float, lanes: int, url: str | None = None) -> dict[str, Any]:
    """One ``cgov demo yima --timings`` in a fresh database (a SQLite file in ``folder``, or
    ``url``): its figures."""
    db = folder / f"demo-{lanes}-{time.monotonic_ns()}.db"
    cgov = Path(sys.executable).with_name("cgov")
    cmd = [str(cgov), "demo", "yima", "--db", url or f"sqlite:///{db}", "--scale", str(scale),
           "--timings"]
    env = {**os.environ, "CGOV_DEMO_LANES": str(lanes)}
    load = os.getloadavg()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = server_cpu() if url else None
    began = time.perf_counter()
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_after = server_cpu() if url else None
    if done.returncode != 0:
        raise SystemExit(f"cgov demo failed: {done.stderr[-2000:]}")
    lines = done.stderr.splitlines()
    steps = _table(lines, "step seconds")
    steps.pop("total", None)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out: dict[str, Any] = {
        "figure": "cgov_demo_yima_steps", "backend": "postgresql" if url else "sqlite",
        "lanes": lanes, "scale": scale, "wall_s": round(wall, 2), "target_wall_s": 30.0,
        "cpu_s": round(cpu, 2), "steps": steps, "cpu_steps": _table(lines, "step cpu s"),
        "load": [round(x, 2) for x in load]}
    if url:
        out["server_cpu_s"] = (None if server_before is None or server_after is None
                               else round(server_after - server_before, 2))
    return out


def pg_run(pg: str, folder: Path, scale: float, lanes: int) -> dict[str, Any]:
    """:func:`run` on PostgreSQL, in a fresh schema of ``pg`` (dropped afterwards)."""
    from community_governance.testing.pgschema import postgres_schema

    with postgres_schema(pg, prefix="cgov_bench_demo") as url:
        return run(folder, scale, lanes, url)


def compare(scale: float, runs: int, got: list[dict[str, Any]],
            pg: list[dict[str, Any]], figure: str = "cgov_demo_yima_backends"
            ) -> dict[str, Any]:
    """The ``cgov_demo_yima_backends`` figure: PostgreSQL's medians over SQLite's."""
    def median(figs: list[dict[str, Any]], key: str) -> float | None:
        vals = [f[key] for f in figs if f.get(key) is not None]
        return round(statistics.median(vals), 2) if vals else None

    wall_sq, wall_pg = median(got, "wall_s"), median(pg, "wall_s")
    cpu_sq, cpu_pg = median(got, "cpu_s"), median(pg, "cpu_s")
    server = median(pg, "server_cpu_s")
    steps: dict[str, float] = {}
    for name in got[0]["steps"]:
        sq = statistics.median(f["steps"].get(name, 0.0) for f in got)
        on_pg = statistics.median(f["steps"].get(name, 0.0) for f in pg)
        if sq > 0:
            steps[name] = round(on_pg / sq, 2)
    assert wall_sq and wall_pg and cpu_sq and cpu_pg
    return {
        "figure": figure, "scale": scale, "runs": runs,
        "lanes_sqlite": got[0]["lanes"], "lanes_postgresql": pg[0]["lanes"],
        "baseline": "cgov_demo_yima_steps (sqlite, same run)",
        "wall_s_sqlite": wall_sq, "wall_s_postgresql": wall_pg,
        "wall_ratio": round(wall_pg / wall_sq, 2), "target_wall_ratio": 1.0,
        "cpu_s_sqlite": cpu_sq, "cpu_s_postgresql": cpu_pg,
        "cpu_ratio": round(cpu_pg / cpu_sq, 2), "server_cpu_s_postgresql": server,
        "total_cpu_ratio": None if server is None else round((cpu_pg + server) / cpu_sq, 2),
        "step_ratios": dict(sorted(steps.items(), key=lambda kv: -kv[1])),
        "load": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    """Measure and print the JSON figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--lanes", choices=("1", "2", "both"), default=None,
                        help="SQLite's lanes (default: both, or 1 with --pg)")
    parser.add_argument("--pg", default=None, metavar="URL",
                        help="also build the demo on this PostgreSQL database (a fresh schema "
                        "per run) and compare (default: $CGOV_BENCH_POSTGRES_URL or "
                        "$CGOV_TEST_POSTGRES_URL, as the other benchmarks; neither: SQLite only)")
    parser.add_argument("--pg-lanes", choices=("1", "2", "both"), default="both",
                        help="PostgreSQL's lanes (default: both, 2 being cgov demo's default "
                        "there)")
    args = parser.parse_args()
    args.pg = (args.pg or os.environ.get("CGOV_BENCH_POSTGRES_URL")
               or os.environ.get("CGOV_TEST_POSTGRES_URL"))
    lanes = args.lanes or ("1" if args.pg else "both")
    ways = [2, 1] if lanes == "both" else [int(lanes)]
    got: dict[int, list[dict[str, Any]]] = {n: [] for n in ways}
    pg_ways = [2, 1] if args.pg_lanes == "both" else [int(args.pg_lanes)]
    pg: dict[int, list[dict[str, Any]]] = {n: [] for n in pg_ways}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            for n in ways:  # alternating, so that all share the machine's load
                figure = run(Path(tmp), args.scale, n)
                got[n].append(figure)
                emit(**figure)
            for n in pg_ways if args.pg else ():
                figure = pg_run(args.pg, Path(tmp), args.scale, n)
                pg[n].append(figure)
                emit(**figure)
    if len(ways) == 2:
        wall = {n: statistics.median(f["wall_s"] for f in got[n]) for n in ways}
        cpu = {n: statistics.median(f["cpu_s"] for f in got[n]) for n in ways}
        emit(figure="cgov_demo_yima_lanes", scale=args.scale, runs=args.runs,
             wall_s_two_lanes=wall[2], wall_s_one_lane=wall[1],
             wall_ratio=round(wall[2] / wall[1], 2), cpu_s_two_lanes=cpu[2],
             cpu_s_one_lane=cpu[1], cpu_ratio=round(cpu[2] / cpu[1], 2))
    if args.pg:
        # the headline: each backend as `cgov demo` builds it by default (SQLite one lane,
        # PostgreSQL two on two cores or more); then the same number of lanes on both
        sqlite_default = got[1] if 1 in got else got[ways[-1]]
        pg_default = pg[2] if 2 in pg and (os.cpu_count() or 1) >= 2 else pg[pg_ways[-1]]
        emit(**compare(args.scale, args.runs, sqlite_default, pg_default))
        for n in pg_ways:
            if n in got and pg[n] is not pg_default:
                emit(**compare(args.scale, args.runs, got[n], pg[n],
                               figure=f"cgov_demo_yima_backends_{n}_lane{'s' * (n > 1)}"))


if __name__ == "__main__":
    main()
