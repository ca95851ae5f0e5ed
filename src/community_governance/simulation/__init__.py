"""Simulation of community governance (社区治理仿真): the synthetic Yima city and the engine.

* :mod:`.city`: the synthetic Yima city (``generate_yima``), also loaded by ``cgov demo yima``;
* :mod:`.scenario`: scenarios as TOML files (``load_scenario("yima-2019")``);
* :mod:`.engine`: :class:`Simulation`, vectorised over residents, households and communities;
* :mod:`.behaviours`: the default behaviour models (hooks ``cgov_sim_*_model``);
* :mod:`.outputs`, :mod:`.plots`, :mod:`.sweep`, :mod:`.calibration`.

Names are imported lazily, so importing this package costs nothing.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Scenario", "Simulation", "calibrate", "load_scenario", "plot_run", "run_sweep",
           "write_run"]

_LAZY = {
    "Scenario": "scenario", "load_scenario": "scenario", "Simulation": "engine",
    "write_run": "outputs", "plot_run": "plots", "run_sweep": "sweep",
    "calibrate": "calibration",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
