"""Paper figures: bands across seeds by month, 万元, both languages, SVG/PDF at journal
widths, every varied parameter in the legend, one line per combination in sweep plots."""

from __future__ import annotations

import concurrent.futures as cf
import re
from pathlib import Path

import polars as pl
import pytest

from community_governance.errors import ValidationError
from community_governance.simulation.figures import (
    WIDTHS_MM,
    city_series,
    metric_label,
    param_legend,
    plot_bands,
    plot_sweep_lines,
)
from community_governance.simulation.plots import find_cjk_font
from community_governance.simulation.scenario import Scenario
from community_governance.simulation.sweep import SweepResult, run_sweep


@pytest.fixture(scope="module")
def sweep(baseline: Scenario, tmp_path_factory: pytest.TempPathFactory) -> SweepResult:
    """Two parameters varied (staff and points), 3 seeds, monthly series, 10 weeks."""
    sc = baseline.with_overrides({"city.scale": 0.01, "run.steps": 10})
    return run_sweep(sc, {"staff.per_community": [5, 7], "points.rate": [5, 20]},
                     replicates=3, out_dir=tmp_path_factory.mktemp("sw"),
                     executor=cf.ThreadPoolExecutor(max_workers=1),
                     series=["on_time_share", "volunteers", "redeemed_fen"], freq="month")


def _svg_width_mm(path: Path) -> float:
    head = path.read_text(encoding="utf-8")[:2000]
    m = re.search(r'width="([\d.]+)pt"', head)
    assert m is not None
    return float(m.group(1)) / 72 * 25.4


def test_labels_units_and_legends() -> None:
    """Labels name metric and unit in both languages; money in 万元; legends name every
    varied parameter, list-valued ones readably."""
    assert metric_label("on_time_share", "both") == "按时办结率 closed on time (%)"
    assert metric_label("redeemed_fen", "zh") == "兑换商品 (万元)"
    assert metric_label("redeemed_fen", "en") == "goods redeemed (10k CNY)"
    assert param_legend({"staff.per_community": 7, "points.rate": 5}, "en") == \
        "staff per community = 7; points per hour = 5"
    chan = '[{"cny_per_year": 50000, "name": "捐赠", "use": "activities"}]'
    assert param_legend({"funds.channels": chan}, "zh") == "经费渠道 = 捐赠 5万"
    assert param_legend({"funds.channels": "[]"}, "both") == \
        "经费渠道 funding channels = 无 none"


def test_city_series_sums_counts_and_averages_rates(sweep: SweepResult) -> None:
    """Sums counts over communities and averages rates, per run and month."""
    assert sweep.series is not None
    city = city_series(sweep.series)
    one = sweep.series.filter((pl.col("run_id") == "p000-r000")
                              & (pl.col("period") == "2019-02"))
    got = city.filter((pl.col("run_id") == "p000-r000") & (pl.col("period") == "2019-02"))
    vol = got.filter(pl.col("metric") == "volunteers")["value"][0]
    assert vol == one.filter(pl.col("metric") == "volunteers")["value"].sum()
    share = got.filter(pl.col("metric") == "on_time_share")["value"][0]
    assert share == pytest.approx(one.filter(pl.col("metric") == "on_time_share")["value"]
                                  .mean())


def test_bands_are_written_at_journal_widths(sweep: SweepResult, tmp_path: Path) -> None:
    """Writes SVG and PDF at 84 and 174 mm, with months on the x axis, the band's kind and
    every combination in the legend (text kept as text in the SVG); in English alone where
    no CJK font is installed (CI installs one)."""
    assert sweep.series is not None
    cjk = find_cjk_font() is not None
    for width in ("single", "double"):
        files = plot_bands(sweep.series, ["on_time_share", "redeemed_fen"], tmp_path / width,
                           width=width, lang="both", interval="ci")
        assert [f.suffix for f in files] == [".svg", ".pdf"]
        assert files[1].read_bytes()[:5] == b"%PDF-"
        assert _svg_width_mm(files[0]) == pytest.approx(WIDTHS_MM[width], abs=0.5)
        svg = files[0].read_text(encoding="utf-8")
        assert "2019-01" in svg and "2019-03" in svg  # months, not week numbers
        assert "mean and 95% CI" in svg and "n = 3" in svg
        if cjk:
            assert "万元" in svg
            assert svg.count("社区工作人员 staff per community = ") == 4  # 2 x 2 combinations
            assert "积分标准 points per hour = 20" in svg
        else:  # no CJK font: the labels fall back to English (with a CjkFontWarning)
            assert "10k CNY" in svg and "万元" not in svg
            assert svg.count("staff per community = ") == 4
            assert "points per hour = 20" in svg
    files = plot_bands(sweep.out_dir, ["volunteers"], tmp_path, formats=("png",),
                       interval="seeds", lang="en")
    assert files[0].read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValidationError, match="no series of backlog"):
        plot_bands(sweep.series, ["backlog"], tmp_path)


def test_sweep_lines_one_per_combination(sweep: SweepResult, tmp_path: Path) -> None:
    """Draws one line per value of the other parameter (two lines of two points, not one
    zig-zag of four), or one facet per value."""
    files = plot_sweep_lines(sweep.summary, ["on_time_share"], tmp_path,
                             x="staff.per_community", lang="en", formats=("svg",))
    svg = files[0].read_text(encoding="utf-8")
    assert svg.count("points per hour = ") == 2
    assert "staff per community" in svg
    files = plot_sweep_lines(sweep.out_dir, ["on_time_share"], tmp_path, x="staff.per_community",
                             facet="points.rate", lang="zh", formats=("svg",), name="facets")
    svg = files[0].read_text(encoding="utf-8")
    if find_cjk_font() is not None:
        assert "积分标准 = 5" in svg and "积分标准 = 20" in svg
    with pytest.raises(ValidationError, match="not a swept parameter"):
        plot_sweep_lines(sweep.summary, ["on_time_share"], tmp_path, x="nope")
