"""Start-up time of the command line: ``cgov --help`` against ``python -c pass``.

Run: ``.venv/bin/python benchmarks/bench_cli.py [--runs N]``. Prints one JSON object:
``cgov_help_s`` and ``python_pass_s`` (the median wall-clock seconds of N runs each, in fresh
processes) and ``ratio`` (the first over the second). ``cgov --help`` imports the command
modules and the installed plugins' commands, but not the storage layer (SQLAlchemy, Alembic)
nor the national defaults.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time


def _median_seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    """Measure and print the JSON figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cgov = [sys.executable, "-c", "from community_governance.cli import main; main()", "--help"]
    help_s = _median_seconds(cgov, args.runs)
    pass_s = _median_seconds([sys.executable, "-c", "pass"], args.runs)
    print(json.dumps({"cgov_help_s": round(help_s, 3), "python_pass_s": round(pass_s, 3),
                      "ratio": round(help_s / pass_s, 1), "runs": args.runs}))


if __name__ == "__main__":
    main()
