"""Start-up time of the command line: ``cgov --help`` and ``cgov calendar workdays`` against
``python -c pass``.

Run: ``.venv/bin/python benchmarks/bench_cli.py [--runs N]``. Prints one JSON object:
``cgov_help_s``, ``cgov_workdays_s`` and ``python_pass_s`` (the median wall-clock seconds of
N runs each, in fresh processes, the three interleaved so that they share the machine's load),
``ratio`` (help over pass) and ``aim_s`` (0.3, issue 21). ``cgov --help`` lists the commands
from the table of :data:`community_governance.cli.COMMANDS`: it imports no command module, no
domain class, no plugin and no storage layer; ``calendar workdays`` loads the calendar and
the plugins' calendar hooks, not the storage layer.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def _median_seconds(argvs: dict[str, list[str]], runs: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in argvs}
    for _ in range(runs):
        for name, argv in argvs.items():
            began = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - began)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    """Measure and print the JSON figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cgov = [sys.executable, "-c", "from community_governance.cli import main; main()"]
    got = _median_seconds({"help": [*cgov, "--help"],
                           "workdays": [*cgov, "calendar", "workdays", "2026-09-25", "10"],
                           "pass": [sys.executable, "-c", "pass"]}, args.runs)
    print(json.dumps({"cgov_help_s": round(got["help"], 3),
                      "cgov_workdays_s": round(got["workdays"], 3),
                      "python_pass_s": round(got["pass"], 3),
                      "ratio": round(got["help"] / got["pass"], 1), "aim_s": 0.3,
                      "runs": args.runs, "load_average": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
