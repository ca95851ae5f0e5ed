"""Print mutmut's results as a score per module: killed / (killed + survived + timeout).

Run after ``mutmut run`` (``make mutation``). Mutants not yet run ("not checked") are listed
apart; equivalent mutants found by review are named in ``tools/equivalent_mutants.txt`` (one
mutant name a line, ``#`` comments) and left out of the denominator.
"""

from __future__ import annotations

import collections
import subprocess
import sys
from pathlib import Path


def main() -> int:
    out = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"],
                         capture_output=True, text=True, check=False).stdout
    equivalent_file = Path(__file__).with_name("equivalent_mutants.txt")
    equivalent = set()
    if equivalent_file.exists():
        equivalent = {line.split("#")[0].strip() for line in
                      equivalent_file.read_text(encoding="utf-8").splitlines()} - {""}
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for line in out.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if not sep or "__mutmut_" not in name:
            continue
        module = name.rsplit(".", 1)[0]
        status = status.strip()
        if status == "no tests":  # no test reaches the mutant: it survives
            status = "survived"
        counts[module]["equivalent" if name in equivalent else status] += 1
    print(f"{'module':45} {'killed':>7} {'survived':>9} {'timeout':>8} {'equiv':>6} "
          f"{'unrun':>6} {'score':>7}")
    for module in sorted(counts):
        c = counts[module]
        if c["not checked"] and not (c["killed"] or c["survived"] or c["timeout"]):
            continue  # not run yet
        killed, survived, timeout = c["killed"], c["survived"], c["timeout"]
        judged = killed + survived + timeout
        score = f"{100 * (killed + timeout) / judged:.1f}%" if judged else "-"
        print(f"{module:45} {killed:7} {survived:9} {timeout:8} {c['equivalent']:6} "
              f"{c['not checked']:6} {score:>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
