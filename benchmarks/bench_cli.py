"""Start-up time of the command line: ``cgov --help`` and ``cgov calendar workdays`` against
``python -c pass``.

Run: ``.venv/bin/python benchmarks/bench_cli.py [--runs N]``. Prints one JSON object:
``cgov_help_s``, ``cgov_workdays_s`` and ``python_pass_s`` (the median wall-clock seconds of
N runs each, in fresh processes, the three interleaved so that they share the machine's load),
``ratio`` (help over pass) and ``aim_s`` (0.3, issue 21), and ``cpu_s``, the median CPU
seconds (user + system) of each, which a loaded machine disturbs less than the wall clock. ``cgov --help`` lists the commands
from the table of :data:`community_governance.cli.COMMANDS`: it imports no command module, no
domain class, no plugin and no storage layer; ``calendar workdays`` loads the calendar and
the plugins' calendar hooks, not the storage layer.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _median_seconds(argvs: dict[str, list[str]],
                    runs: int) -> tuple[dict[str, float], dict[str, float]]:
    """Median wall-clock and median CPU (user + system) seconds of each command."""
    times: dict[str, list[float]] = {name: [] for name in argvs}
    cpus: dict[str, list[float]] = {name: [] for name in argvs}
    for _ in range(runs):
        for name, argv in argvs.items():
            cpu = _cpu()
            began = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - began)
            cpus[name].append(_cpu() - cpu)
    return ({name: statistics.median(t) for name, t in times.items()},
            {name: statistics.median(t) for name, t in cpus.items()})


def main() -> None:
    """Measure and print the JSON figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cgov = [sys.executable, "-c", "from community_governance.cli import main; main()"]
    got, cpu = _median_seconds({"help": [*cgov, "--help"],
                           "workdays": [*cgov, "calendar", "workdays", "2026-09-25", "10"],
                           "pass": [sys.executable, "-c", "pass"]}, args.runs)
    print(json.dumps({"cgov_help_s": round(got["help"], 3),
                      "cgov_workdays_s": round(got["workdays"], 3),
                      "python_pass_s": round(got["pass"], 3),
                      "ratio": round(got["help"] / got["pass"], 1), "aim_s": 0.3,
                      "cpu_s": {name: round(v, 3) for name, v in cpu.items()},
                      "runs": args.runs, "load_average": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
