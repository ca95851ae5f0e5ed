"""Outputs (tidy Parquet/CSV, summary JSON) and plots (PNG, CJK fallback)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import polars as pl
import pytest

from community_governance.errors import NotFound
from community_governance.simulation import plots
from community_governance.simulation.engine import Simulation
from community_governance.simulation.outputs import read_run, write_run
from community_governance.simulation.scenario import Scenario


@pytest.fixture(scope="module")
def run_dirs(small: Scenario, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A run of the small scenario, and one without the points supermarket."""
    base = tmp_path_factory.mktemp("runs")
    a = write_run(Simulation(small, seed=1).run(), base / "with", csv=True).directory
    b = write_run(Simulation(small.with_overrides({"supermarket.enabled": False}), seed=1).run(),
                  base / "without").directory
    return a, b


def test_tables_are_tidy(run_dirs: tuple[Path, Path], small: Scenario) -> None:
    """Writes one row per step and community, unique keys, no nulls in the counts."""
    city, comm, summary = read_run(run_dirs[0])
    assert comm.height == small.run.steps * 15
    assert comm.select(["step", "community_code"]).is_unique().all()
    assert comm["date"].dtype == pl.Date
    assert comm["points_issued"].dtype == pl.Int64
    assert comm["fund_general_fen"].null_count() == 0
    assert city.height == small.run.steps
    assert city["points_issued"].sum() == summary["points_issued"]
    assert comm.group_by("step").agg(pl.col("cases_opened").sum()).sort("step")[
        "cases_opened"].to_list() == pytest.approx(city["cases_opened"].to_list())


def test_csv_on_request_and_summary(run_dirs: tuple[Path, Path]) -> None:
    """Writes CSV only when asked, a JSON summary with calibration, and the scenario run."""
    a, b = run_dirs
    assert (a / "communities.csv").is_file() and not (b / "communities.csv").exists()
    summary = json.loads((a / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == "yima-2019" and "calibration" in summary
    csv = pl.read_csv(a / "communities.csv")
    assert csv.height == pl.read_parquet(a / "communities.parquet").height
    rerun = Scenario.from_toml((b / "scenario.toml").read_text(encoding="utf-8"))
    assert rerun.supermarket.enabled is False and rerun.city.scale == 0.02


def test_read_run_refuses_an_empty_directory(tmp_path: Path) -> None:
    """Refuses a directory without a run, saying how to make one."""
    with pytest.raises(NotFound, match="cgov sim run"):
        read_run(tmp_path)


def test_plots_are_written(run_dirs: tuple[Path, Path], tmp_path: Path) -> None:
    """Draws four non-empty PNGs comparing the two runs."""
    files = plots.plot_run(run_dirs[0], tmp_path, compare=run_dirs[1], names=["积分超市", "无"])
    assert [f.name for f in files] == ["participation.png", "points.png", "cases.png",
                                       "funds.png"]
    for f in files:
        data = f.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_warns_without_a_cjk_font(monkeypatch: pytest.MonkeyPatch,
                                  run_dirs: tuple[Path, Path], tmp_path: Path) -> None:
    """Warns clearly and falls back to English labels when no CJK font is installed."""
    monkeypatch.setattr(plots, "find_cjk_font", lambda: None)
    with pytest.warns(plots.CjkFontWarning, match="fonts-wqy-microhei"):
        assert plots.configure_fonts("zh") == "en"
    with pytest.warns(plots.CjkFontWarning):
        files = plots.plot_run(run_dirs[0], tmp_path, labels="both")
    assert len(files) == 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert plots.configure_fonts("en") == "en"


def test_uses_an_installed_cjk_font() -> None:
    """Uses the first installed CJK font (CI installs fonts-wqy-microhei)."""
    font = plots.find_cjk_font()
    if font is None:
        pytest.skip("no CJK font installed here (apt-get install fonts-wqy-microhei)")
    assert font in plots.CJK_FONTS
    assert plots.configure_fonts("both") == "both"
