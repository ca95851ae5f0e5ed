"""Benchmark of the grids service on the Yima demo city: service draw vs the pure algorithm.

Run: ``.venv/bin/python benchmarks/bench_grids_service.py [--repeat N] [--db URL]``.

Builds the full-scale demo city (``generate_yima(2019)``: 15 communities, ~1,150 buildings,
~46,800 households) in a store (units, buildings and households; residents are not needed to
draw), then times:

* ``pure_draw``: :func:`community_governance.grids.draw`, community by community under the
  national policy, on the nodes the service builds (the baseline);
* ``service_draw``: ``gov.grids.draw(actor, replace=True)``: reading buildings and households,
  asking the policy hook, drawing, writing grid units, assignments, claims and the audit row
  in one transaction;
* ``service_check`` and ``service_export``: ``gov.grids.check`` and ``gov.grids.export_geojson``.

Prints one JSON line per figure: ``{"case", "figure", "value"}``; the service draw's line
carries the baseline and the ratio. Best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import community_governance
from community_governance.domain.access import Actor
from community_governance.grids import draw
from community_governance.simulation.city import generate_yima

ACTOR = Actor.system("bench")


def emit(case: str, figure: str, value: object, **extra: object) -> None:
    print(json.dumps({"case": case, "figure": figure, "value": value, **extra},
                     ensure_ascii=False))
    sys.stdout.flush()


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[Any, float]:
    best = math.inf
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return out, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", default=None, help="store URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    city = generate_yima(2019, scale=1.0)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        case = "yima_demo_sqlite" if url.startswith("sqlite") else "yima_demo"
        with community_governance.open(url, entrypoints=False) as gov:
            gov.registry.add_units(ACTOR, city.units)
            gov.registry.add_buildings(ACTOR, city.buildings)
            gov.registry.add_households(ACTOR, city.households)
            svc = gov.grids
            codes = [c.code for c in city.communities]
            with svc._read(ACTOR) as op:
                stored = svc._load(op, codes)
            work = [(s.nodes, svc.policy(c, s.households)) for c, s in stored.items()]
            emit(case, "buildings", sum(len(n) for n, _ in work))
            emit(case, "households", sum(s.households for s in stored.values()))

            def pure() -> int:
                return sum(len(draw(nodes, policy).grids) for nodes, policy in work)

            grids, pure_s = best_of(pure, args.repeat)
            emit(case, "pure_draw_seconds", round(pure_s, 4), grids=grids)
            report, svc_s = best_of(lambda: svc.draw(ACTOR, replace=True), args.repeat)
            emit(case, "service_draw_seconds", round(svc_s, 4), grids=len(report.grids),
                 baseline="pure_draw_seconds", baseline_value=round(pure_s, 4),
                 ratio=round(svc_s / pure_s, 2))
            check, check_s = best_of(lambda: svc.check(ACTOR), args.repeat)
            emit(case, "service_check_seconds", round(check_s, 4), grids=check.grids,
                 unmanaged=len(check.assignment.unmanaged),
                 disputed=len(check.assignment.disputed),
                 out_of_band=len(check.assignment.out_of_band))
            data, export_s = best_of(lambda: svc.export_geojson(ACTOR), args.repeat)
            emit(case, "service_export_geojson_seconds", round(export_s, 4),
                 features=len(data["features"]),
                 bytes=len(json.dumps(data, ensure_ascii=False).encode()))


if __name__ == "__main__":
    main()
