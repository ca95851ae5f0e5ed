"""A fair Mesa comparison (issue 19 item 8): the same model on both sides.

The model (``benchmarks/mesa_compare.py``) is the engine's resident-level core: activities,
attendance with the neighbour and points effects, culture groups, volunteering, service,
points, redemption in a random queue against each community's supermarket, identification.
Both sides read the same scenario and start from the same drawn state.

1. **Same outputs in distribution**: ``--seeds`` runs of each side on a 2 % Yima city (2,760
   residents, 26 weeks); for each output (volunteers and culture members at the end, points
   issued and redeemed, mean weekly participation, mean identification at the end) a
   two-sample Kolmogorov-Smirnov test (``scipy.stats.ks_2samp``); p-values Holm-adjusted
   over the six outputs. Prints ``figure: mesa_equivalence`` with means and p-values.
2. **Speed**: one year (52 weeks) at ``--scale`` of Yima (default 0.1: 13,800 residents) on
   one core; NumPy best of 3, Mesa best of ``--mesa-repeat``; model building and stepping
   timed apart. Prints ``figure: mesa_speed`` with ``ratio_steps`` (Mesa's stepping time over
   NumPy's) and ``ratio_total`` (building included).

Mesa 3.3.1 is the newest Mesa for Python 3.11 (3.4 and later need 3.12); install it with the
``bench`` extra. Run: ``.venv/bin/python benchmarks/bench_mesa.py [--seeds 30] [--scale 0.1]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mesa_compare import OUTPUTS, CoreParams, run_mesa, run_numpy

from community_governance.simulation.engine import city_for
from community_governance.simulation.scenario import load_scenario


def emit(**fields: Any) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def equivalence(seeds: int, scale: float = 0.02, steps: int = 26) -> dict[str, Any]:
    """KS tests of every output over ``seeds`` runs of each side."""
    from scipy.stats import ks_2samp

    sc = load_scenario("yima-2019")
    city = city_for(sc.city.seed, scale)
    p = CoreParams.of(sc, steps)
    a = [run_numpy(city, p, 1000 + s) for s in range(seeds)]
    b = [run_mesa(city, p, 2000 + s) for s in range(seeds)]
    rows = {}
    raw = []
    for k in OUTPUTS:
        x = np.array([r[k] for r in a], dtype=float)
        y = np.array([r[k] for r in b], dtype=float)
        res = ks_2samp(x, y)
        raw.append(float(res.pvalue))
        rows[k] = {"numpy_mean": float(x.mean()), "mesa_mean": float(y.mean()),
                   "ks_statistic": round(float(res.statistic), 4),
                   "p_value": round(float(res.pvalue), 4)}
    order = np.argsort(raw)
    adjusted = np.empty(len(raw))
    running = 0.0
    for i, j in enumerate(order):  # Holm
        running = max(running, min(1.0, (len(raw) - i) * raw[j]))
        adjusted[j] = running
    for k, adj in zip(OUTPUTS, adjusted, strict=True):
        rows[k]["p_holm"] = round(float(adj), 4)
    return {"figure": "mesa_equivalence", "seeds": seeds, "residents": city.n_residents,
            "steps": steps, "outputs": rows,
            "same_in_distribution": bool(min(adjusted) > 0.05)}


def speed(scale: float, steps: int = 52, mesa_repeat: int = 1) -> dict[str, Any]:
    """One year of each side on one core."""
    import mesa
    from mesa_compare import mesa_model_class

    sc = load_scenario("yima-2019")
    city = city_for(sc.city.seed, scale)
    p = CoreParams.of(sc, steps)
    np_times = []
    for _ in range(3):
        t0 = time.perf_counter()
        run_numpy(city, p, 1)
        np_times.append(time.perf_counter() - t0)
    cls = mesa_model_class()
    builds, stepping = [], []
    for _ in range(mesa_repeat):
        t0 = time.perf_counter()
        model = cls(city, p, 1)
        t1 = time.perf_counter()
        for _ in range(steps):
            model.step()
        builds.append(t1 - t0)
        stepping.append(time.perf_counter() - t1)
    best_np = min(np_times)
    return {"figure": "mesa_speed", "mesa_version": mesa.__version__, "scale": scale,
            "residents": city.n_residents, "steps": steps,
            "numpy_seconds": round(best_np, 4), "mesa_build_seconds": round(min(builds), 3),
            "mesa_step_seconds": round(min(stepping), 3),
            "ratio_steps": round(min(stepping) / best_np, 1),
            "ratio_total": round((min(builds) + min(stepping)) / best_np, 1)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="the same model in NumPy and Mesa 3")
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--mesa-repeat", type=int, default=1)
    args = ap.parse_args(argv)
    try:
        import mesa  # noqa: F401
    except ImportError:
        emit(figure="mesa_speed", skipped="Mesa is not installed (pip install mesa, the "
             "bench extra)")
        return
    emit(**equivalence(args.seeds))
    emit(**speed(args.scale, mesa_repeat=args.mesa_repeat))


if __name__ == "__main__":
    main()
