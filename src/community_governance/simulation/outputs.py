"""Outputs of a run (仿真输出): tidy tables as Parquet (CSV on request) and a JSON summary.

A run directory holds:

* ``communities.parquet``: one row per step and community (money in integer fen);
* ``city.parquet``: one row per step, city totals, rates and the reporters' values;
* ``summary.json``: the run in figures (:meth:`Simulation.summary`) and the calibration report;
* ``scenario.toml``: the scenario exactly as run (overrides applied, ``run.seed`` the seed
  actually used), to rerun it.

polars writes Parquet itself, without pandas or pyarrow.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from community_governance.errors import NotFound, require_extra

if TYPE_CHECKING:
    import polars as pl

    from community_governance.simulation.engine import Simulation

__all__ = ["RunFiles", "read_run", "write_json", "write_run"]


@attrs.frozen
class RunFiles:
    """Files written for one run (仿真输出文件).

    Attributes:
        directory: the run directory.
        files: every file written, by name.
    """

    directory: Path
    files: dict[str, Path]


def write_json(path: str | Path, data: Any) -> None:
    """Write JSON atomically (a temporary file renamed into place)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)


def write_run(sim: Simulation, out_dir: str | Path, *, csv: bool = False,
              calibration: bool = True) -> RunFiles:
    """Write a finished (or partly run) simulation's tables and summary.

    Args:
        sim: the simulation.
        out_dir: the directory (created if missing).
        csv: also write ``communities.csv`` and ``city.csv``.
        calibration: add the calibration report against FACTS.md to the summary.

    Returns:
        The files written.
    """
    import tomli_w

    from community_governance.simulation.calibration import calibrate

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    tables = {"communities": sim.community_table(), "city": sim.city_table()}
    for name, df in tables.items():
        files[f"{name}.parquet"] = out / f"{name}.parquet"
        df.write_parquet(files[f"{name}.parquet"])
        if csv:
            files[f"{name}.csv"] = out / f"{name}.csv"
            df.write_csv(files[f"{name}.csv"])
    summary = sim.summary()
    if calibration:
        summary["calibration"] = calibrate(summary).to_dict()
    files["summary.json"] = out / "summary.json"
    write_json(files["summary.json"], summary)
    files["scenario.toml"] = out / "scenario.toml"
    raw = _toml_ready(copy.deepcopy(dict(sim.scenario.raw)))
    raw.setdefault("run", {})["seed"] = sim.seed  # the seed actually used (--seed N)
    files["scenario.toml"].write_text(tomli_w.dumps(raw), encoding="utf-8")
    return RunFiles(out, files)


def _toml_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _toml_ready(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_toml_ready(v) for v in value]
    return value


def read_run(run_dir: str | Path) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, Any]]:
    """Read a run directory back: ``(city table, community table, summary)``.

    Raises:
        NotFound: the directory holds no run.
    """
    require_extra("polars", "sim", "simulation tables")
    import polars as pl

    d = Path(run_dir)
    if not (d / "city.parquet").is_file():
        raise NotFound("simulation run", str(d),
                       "run `cgov sim run SCENARIO --out DIR` first; a run directory holds "
                       "city.parquet, communities.parquet and summary.json")
    summary = json.loads((d / "summary.json").read_text(encoding="utf-8")) if (
        d / "summary.json").is_file() else {}
    return pl.read_parquet(d / "city.parquet"), pl.read_parquet(
        d / "communities.parquet"), summary
