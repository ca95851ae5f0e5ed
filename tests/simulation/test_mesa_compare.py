"""The Mesa comparison's model (benchmarks/mesa_compare.py): the NumPy side runs the
library's behaviour classes; the Mesa side (when Mesa is installed) gives the same outputs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from community_governance.simulation.engine import city_for
from community_governance.simulation.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]


def _module() -> ModuleType:
    name = "mesa_compare"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_the_numpy_core_is_deterministic_and_responds_to_points(baseline: Scenario) -> None:
    """Same seed, same outputs; without points nothing is issued or redeemed."""
    m = _module()
    city = city_for(baseline.city.seed, 0.01)
    p = m.CoreParams.of(baseline, 8)
    a, b = m.run_numpy(city, p, 3), m.run_numpy(city, p, 3)
    assert a == b and a["points_issued"] > 0 and 0 < a["participation_rate_mean"] < 0.1
    none = m.run_numpy(city, m.CoreParams.of(baseline.with_overrides({"points.rate": 0}), 8),
                       3)
    assert none["points_issued"] == 0 and none["points_redeemed"] == 0


def test_mesa_gives_the_same_outputs_in_distribution(baseline: Scenario) -> None:
    """Means of every output within a few standard errors of each other over 8 seeds (the
    benchmark runs the Kolmogorov-Smirnov tests over 30)."""
    pytest.importorskip("mesa")
    m = _module()
    city = city_for(baseline.city.seed, 0.01)
    p = m.CoreParams.of(baseline, 8)
    a = [m.run_numpy(city, p, s) for s in range(8)]
    b = [m.run_mesa(city, p, 100 + s) for s in range(8)]
    for k in m.OUTPUTS:
        x, y = np.array([r[k] for r in a]), np.array([r[k] for r in b])
        se = np.hypot(x.std(ddof=1), y.std(ddof=1)) / np.sqrt(8) + 1e-9
        assert abs(x.mean() - y.mean()) < 4 * se, (k, x.mean(), y.mean())
