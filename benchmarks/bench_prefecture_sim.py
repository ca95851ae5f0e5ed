"""A prefecture-size simulated year (issue 19 item 6): six counties, about 2 million residents.

The engine runs the ``yima-2019`` scenario's policies and behaviours over
``[city] generator = "prefecture"`` (:mod:`community_governance.simulation.cities`: the six
county-level units of 三门峡市's size, each community real-sized, each county's own rules
asked through its plugins when installed). Prints one JSON object:

- ``generation_seconds``: generating the prefecture (once; then cached on disk);
- ``init_seconds`` and ``year_seconds`` (52 weekly steps, best of ``--repeat``), on one core;
- ``residents``, ``households``, ``communities``, ``counties``;
- ``resident_steps_per_second``: residents x steps / second;
- ``peak_rss_mb``: the process's resident-set high-water mark;
- ``on_time_share``, ``participation_rate_mean``, ``utilisation_max`` of the run.

Run: ``.venv/bin/python benchmarks/bench_prefecture_sim.py [--scale 1] [--steps 52]
[--repeat 1]``. ``--scale`` is the share of the prefecture's communities (1: ~2,000,000
residents; the test suite runs ``--scale 0.003 --steps 4``, one community a county).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from typing import Any

from community_governance.simulation.engine import Simulation, city_for
from community_governance.simulation.scenario import load_scenario


def run(scale: float = 1.0, steps: int = 52, repeat: int = 1, seed: int = 2019) -> dict[str, Any]:
    """Generate (or read from the cache) the prefecture at ``scale`` and time its year."""
    sc = load_scenario("yima-2019").with_overrides(
        {"city.generator": "prefecture", "city.scale": scale, "run.steps": steps})
    t0 = time.perf_counter()
    city = city_for(sc.city.seed, scale, "prefecture")
    gen = time.perf_counter() - t0
    years, inits = [], []
    sim = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        sim = Simulation(sc, seed=seed, city=city, entrypoints=True)
        t1 = time.perf_counter()
        sim.run()
        years.append(time.perf_counter() - t1)
        inits.append(t1 - t0)
    assert sim is not None
    s = sim.summary()
    a = sim.community_arrays()
    cap = a["capacity"].sum(0)
    util = float((a["cases_opened"].sum(0) / cap.clip(min=1)).max())
    best = min(years)
    return {
        "figure": "prefecture_year", "scale": scale, "steps": steps,
        "residents": city.n_residents, "households": city.n_households,
        "communities": len(city.community_codes),
        "counties": len({c[:6] for c in city.community_codes}),
        "generation_seconds": round(gen, 2), "init_seconds": round(min(inits), 3),
        "year_seconds": round(best, 3),
        "resident_steps_per_second": round(city.n_residents * steps / best),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "on_time_share": s["on_time_share"],
        "participation_rate_mean": s["participation_rate_mean"],
        "utilisation_max": round(util, 3),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--steps", type=int, default=52)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    out = run(args.scale, args.steps, args.repeat)
    print(json.dumps(out, ensure_ascii=False), flush=True)
    return out


if __name__ == "__main__":
    main()
