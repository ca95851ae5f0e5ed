"""Benchmark of grid drawing: a Yima-like city, a prefecture 20 times larger, and spopt's max-p.

Run: ``.venv/bin/python benchmarks/bench_grids.py [--no-spopt] [--repeat N]``.

Prints one JSON line per figure: ``{"case": ..., "figure": ..., "value": ...}``. The lower
bound on grids is the sum over communities of ``ceil(H / high)``; "in band" uses the policy's
480-720 band. spopt's ``MaxPHeuristic`` runs on the whole city with the same adjacency (a
libpysal ``W``) and the threshold at the band's low bound (480 households), which is what
max-p-regions can express (a floor, no ceiling). Its default iterations (99 construction, 10
annealing) take minutes per community here, so the benchmark uses 3 and 1 (flags change
them).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from collections.abc import Sequence

from community_governance.grids import BuildingNode, Division, GridPolicy, draw
from community_governance.grids.graph import community_graphs
from community_governance.grids.synthetic import prefecture, yima_like


def emit(case: str, figure: str, value: object) -> None:
    print(json.dumps({"case": case, "figure": figure, "value": value}, ensure_ascii=False))
    sys.stdout.flush()


def timed_draw(
    buildings: Sequence[BuildingNode], policy: GridPolicy, repeat: int
) -> tuple[Division, float]:
    best = math.inf
    division = None
    for _ in range(repeat):
        t = time.perf_counter()
        division = draw(buildings, policy)
        best = min(best, time.perf_counter() - t)
    assert division is not None
    return division, best


def report(
    case: str, buildings: Sequence[BuildingNode], division: Division, seconds: float
) -> None:
    policy = division.policy
    bound = sum(math.ceil(c.households / policy.high) for c in division.communities)
    grids = division.grids
    in_band = sum(1 for g in grids if policy.in_band(g.households))
    emit(case, "buildings", len(buildings))
    emit(case, "communities", len(division.communities))
    emit(case, "households", division.spread.households)
    emit(case, "seconds", round(seconds, 4))
    emit(case, "grids", len(grids))
    emit(case, "policy_grids", sum(c.policy_count for c in division.communities))
    emit(case, "lower_bound_grids", bound)
    emit(case, "in_band_share", round(in_band / len(grids), 4))
    emit(
        case,
        "spread",
        {
            "min": division.spread.min,
            "max": division.spread.max,
            "std": round(division.spread.std, 1),
        },
    )
    kinds: dict[str, int] = {}
    for i in division.infeasibilities:
        kinds[i.kind.value] = kinds.get(i.kind.value, 0) + 1
    emit(case, "infeasibilities", kinds)


def run_maxp(
    buildings: Sequence[BuildingNode], policy: GridPolicy, construction: int, annealing: int
) -> dict[str, object]:
    """spopt's max-p on the whole city at once, on our adjacency.

    ``policy="single"`` lets spopt link each cut-off part (islands, other communities) to its
    nearest part, so its regions may cross community borders, which ours never do.
    """
    import geopandas as gpd
    import libpysal
    import numpy as np
    from shapely.geometry import Point
    from spopt.region import MaxPHeuristic

    graphs = community_graphs(buildings, policy)
    nodes = [b for g in graphs.values() for b in g.buildings]
    index = {b.code: i for i, b in enumerate(nodes)}
    neighbours = {
        index[b.code]: [index[g.buildings[j].code] for j in g.neighbours[i]]
        for g in graphs.values()
        for i, b in enumerate(g.buildings)
    }
    gdf = gpd.GeoDataFrame(
        {
            "households": [b.households for b in nodes],
            "x": [b.x for b in nodes],
            "y": [b.y for b in nodes],
        },
        geometry=[Point(b.x, b.y) for b in nodes],
    )
    np.random.seed(2019)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.W(neighbours, silence_warnings=True)
        t = time.perf_counter()
        model = MaxPHeuristic(
            gdf,
            w,
            ["x", "y"],
            "households",
            policy.low,
            top_n=2,
            max_iterations_construction=construction,
            max_iterations_sa=annealing,
            policy="single",
        )
        model.solve()
        seconds = time.perf_counter() - t
    labels = np.asarray(model.labels_)
    sizes: dict[int, int] = {}
    communities: dict[int, set[str]] = {}
    for b, label in zip(nodes, labels.tolist(), strict=True):
        sizes[label] = sizes.get(label, 0) + b.households
        communities.setdefault(label, set()).add(b.community)
    return {
        "seconds": seconds,
        "regions": int(model.p),
        "in_band_share": round(sum(1 for s in sizes.values() if policy.in_band(s)) / len(sizes), 4),
        "regions_across_communities": sum(1 for c in communities.values() if len(c) > 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-spopt", action="store_true", help="skip spopt's max-p (about 20 s+)")
    ap.add_argument("--no-prefecture", action="store_true", help="skip the 20x prefecture")
    ap.add_argument("--repeat", type=int, default=3, help="runs per timing; the best counts")
    ap.add_argument(
        "--maxp-construction", type=int, default=3, help="max-p construction iterations"
    )
    ap.add_argument("--maxp-annealing", type=int, default=1, help="max-p annealing iterations")
    args = ap.parse_args(argv)

    policy = GridPolicy()
    yima = yima_like()
    division, seconds = timed_draw(yima, policy, args.repeat)
    report("yima", yima, division, seconds)
    loose, loose_s = timed_draw(yima, GridPolicy(keep_compounds_whole=False), args.repeat)
    report("yima_compounds_splittable", yima, loose, loose_s)

    if not args.no_prefecture:
        pref = prefecture()
        pdiv, pseconds = timed_draw(pref, policy, 1)
        report("prefecture_20x", pref, pdiv, pseconds)

    if not args.no_spopt:
        try:
            import spopt  # noqa: F401
        except ImportError:
            emit("spopt_maxp", "skipped", "spopt is not installed")
            return 0
        found = run_maxp(yima, policy, args.maxp_construction, args.maxp_annealing)
        mseconds = float(found["seconds"])  # type: ignore[arg-type]
        emit("spopt_maxp", "seconds", round(mseconds, 3))
        emit("spopt_maxp", "regions", found["regions"])
        emit("spopt_maxp", "in_band_share", found["in_band_share"])
        emit("spopt_maxp", "regions_across_communities", found["regions_across_communities"])
        emit(
            "spopt_maxp",
            "ours_vs_maxp",
            {
                "our_seconds": round(seconds, 4),
                "maxp_seconds": round(mseconds, 3),
                "speedup": round(mseconds / seconds, 1),
                "our_grids": len(division.grids),
                "maxp_regions": found["regions"],
            },
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
