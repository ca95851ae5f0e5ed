"""Per-community series (weekly, monthly), custom metrics from cgov_sim_metrics, series in
sweeps and list-valued sweep parameters."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import json
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from community_governance.cli import cli
from community_governance.errors import PluginError, ValidationError
from community_governance.markers import hookimpl
from community_governance.simulation.engine import SimCity, Simulation
from community_governance.simulation.metrics import SimMetric
from community_governance.simulation.scenario import Scenario, parse_override
from community_governance.simulation.series import FLOWS, series_table
from community_governance.simulation.sweep import run_sweep

from .sim_helpers import minimal_doc


def _scenario(steps: int = 30) -> Scenario:
    return Scenario.from_dict(minimal_doc(
        run={"name": "tiny", "start": dt.date(2019, 1, 7), "steps": steps},
        activities={"per_community_per_year": 50.0},
        behaviour={"participation": {"base_logit": -1.0}}))


def test_weekly_series_are_the_recorded_columns(tiny: SimCity) -> None:
    """Gives one row per week, community and metric, equal to the recorded arrays."""
    sim = Simulation(_scenario(), seed=3, city=tiny).run()
    df = series_table(sim, ["volunteers", "cases_opened", "on_time_share"])
    assert df.height == 30 * 2 * 3
    assert df.columns == ["community_code", "community_name", "period", "date", "metric",
                          "value"]
    arrays = sim.community_arrays()
    got = df.filter(pl.col("metric") == "volunteers").sort(["period", "community_code"])
    want = arrays["volunteers"]
    for t in (0, 7, 29):
        rows = got.filter(pl.col("period") == str(t))
        assert rows["value"].to_list() == want[t].tolist()
        assert rows["date"][0] == sim.step_starts[t]


def test_monthly_series_sum_flows_and_keep_last_stocks(tiny: SimCity) -> None:
    """Sums the weeks of a flow, takes the last week of a stock, dated the 1st of the month."""
    sim = Simulation(_scenario(), seed=3, city=tiny).run()
    a = sim.community_arrays()
    months = series_table(sim, ["cases_opened", "volunteers", "participation_rate"],
                          freq="month")
    assert "cases_opened" in FLOWS
    opened = months.filter(pl.col("metric") == "cases_opened")
    assert opened["value"].sum() == pytest.approx(a["cases_opened"].sum())
    jan = [t for t in range(30) if sim.step_starts[t].month == 1]
    feb = months.filter((pl.col("metric") == "volunteers") & (pl.col("period") == "2019-01"))
    assert feb.sort("community_code")["value"].to_list() == a["volunteers"][jan[-1]].tolist()
    assert feb["date"][0] == dt.date(2019, 1, 1)
    rate = months.filter((pl.col("metric") == "participation_rate")
                         & (pl.col("period") == "2019-01")).sort("community_code")
    assert rate["value"].to_list() == pytest.approx(
        np.nanmean(a["participation_rate"][jan], axis=0).tolist())
    with pytest.raises(ValidationError, match="unknown series 'nope'"):
        series_table(sim, ["nope"])


class _PerGrid:
    """Overdue cases per grid, for one county only."""

    def __init__(self, county: str) -> None:
        self.county = county

    @hookimpl
    def cgov_plugin_scope(self) -> list[str]:
        return [self.county]

    @hookimpl
    def cgov_sim_metrics(self, scenario: Scenario, county_code: str) -> list[SimMetric]:
        assert county_code == self.county  # told the place, asked only for its own

        def compute(sim: Any, step: int) -> Any:
            return sim.community_arrays()["backlog"][step] / sim.grids_c

        return [SimMetric("backlog_per_grid", compute, kind="stock")]


def _two_counties(tiny: SimCity) -> SimCity:
    return attrs.evolve(tiny, community_codes=("411281001001", "411202001001"))


def test_custom_metrics_are_recorded_for_their_county(tiny: SimCity) -> None:
    """Records a plugin's metric for the communities of the county it was given for (Hubin
    here, Yima the other), NaN elsewhere; the defaults' rates are recorded everywhere."""
    for county, here in (("411202", 1), ("411281", 0)):
        sim = Simulation(_scenario(10), seed=1, city=_two_counties(tiny),
                         plugins=[_PerGrid(county)]).run()
        col = sim.community_arrays()["backlog_per_grid"]
        want = sim.community_arrays()["backlog"][:, here] / sim.grids_c[here]
        assert col[:, here].tolist() == want.tolist()
        assert np.isnan(col[:, 1 - here]).all()
        table = sim.community_table()
        assert "backlog_per_grid" in table.columns and "utilisation" in table.columns
        util = sim.community_arrays()["utilisation"]
        no_capacity = sim.community_arrays()["capacity"] == 0  # a week of holidays
        assert (np.isfinite(util) != no_capacity).all() and (util > 0).any()


class _Broken:
    @hookimpl
    def cgov_sim_metrics(self, scenario: Scenario, county_code: str) -> list[SimMetric]:
        return [SimMetric("wrong_shape", lambda sim, step: np.zeros(5))]


def test_a_bad_metric_names_its_plugin(tiny: SimCity) -> None:
    """Refuses a metric of the wrong shape or a built-in's name, naming the plugin."""
    sim = Simulation(_scenario(3), seed=1, city=tiny, plugins=[_Broken()])
    with pytest.raises(PluginError, match="wrong_shape"):
        sim.step()

    class Clash:
        @hookimpl
        def cgov_sim_metrics(self, scenario: Scenario, county_code: str) -> Any:
            return [SimMetric("backlog", lambda sim, step: np.zeros(2))]

    with pytest.raises(PluginError, match="built-in"):
        Simulation(_scenario(3), seed=1, city=tiny, plugins=[Clash()])


def test_list_valued_parameters_are_split_outside_brackets() -> None:
    """Splits values at top-level commas only, so arrays and inline tables are values."""
    key, values = parse_override('funds.channels=[],[{name = "a,b", cny_per_year = 5000}]')
    assert key == "funds.channels"
    assert values == [[], [{"name": "a,b", "cny_per_year": 5000}]]
    assert parse_override("x=[1, 2],[3]")[1] == [[1, 2], [3]]
    assert parse_override("points.rate=5, 10")[1] == [5, 10]
    with pytest.raises(ValidationError, match="unbalanced"):
        parse_override("x=[1, 2")


@pytest.fixture(scope="module")
def tiny_sweep(baseline: Scenario) -> Scenario:
    return baseline.with_overrides({"city.scale": 0.01, "run.steps": 9})


def test_sweeps_keep_series_with_list_valued_parameters(tiny_sweep: Scenario,
                                                        tmp_path: Path) -> None:
    """Keeps the monthly series of every run in series.parquet, with run id, seed and the
    parameters (a list-valued one as JSON text), and reads them back on resume."""
    channels = [[], [{"name": "donations", "cny_per_year": 50000, "use": "activities"}]]
    ex = cf.ThreadPoolExecutor(max_workers=1)
    res = run_sweep(tiny_sweep, {"funds.channels": channels}, replicates=2, out_dir=tmp_path,
                    executor=ex, series=["activities", "volunteers", "on_time_share"],
                    freq="month", csv=True)
    s = res.series
    assert s is not None and (tmp_path / "series.parquet").is_file()
    assert (tmp_path / "series.csv").is_file()
    assert set(s["run_id"].unique()) == set(res.runs["run_id"])
    assert s.columns[:5] == ["run_id", "combination", "replicate", "seed",
                             "param:funds.channels"]
    assert s["period"].unique().sort().to_list() == ["2019-01", "2019-02", "2019-03"]
    acts = s.filter(pl.col("metric") == "activities").group_by("param:funds.channels").agg(
        pl.col("value").sum()).sort("param:funds.channels")
    assert acts["param:funds.channels"][0] == "[]"
    assert json.loads(acts["param:funds.channels"][1])[0]["name"] == "donations"
    assert acts["value"][1] > acts["value"][0]  # the channel pays for more activities
    again = run_sweep(tiny_sweep, {"funds.channels": channels}, replicates=2,
                      out_dir=tmp_path, executor=ex, series=["activities", "volunteers",
                                                              "on_time_share"], freq="month")
    assert again.ran == 0 and again.series is not None
    assert again.series.equals(s)


def test_cli_sweep_with_series(tmp_path: Path) -> None:
    """``cgov sim sweep --series default --freq week`` writes series.parquet."""
    out = tmp_path / "sw"
    res = CliRunner().invoke(cli, [
        "sim", "sweep", "yima-2019", "--param", "funds.channels=[],[{name=\"d\", "
        "cny_per_year=8000}]", "--replicates", "1", "--workers", "1", "--series", "default",
        "--series", "capacity", "--set", "city.scale=0.01", "--set", "run.steps=3",
        "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    assert "series.parquet" in json.loads(res.stdout)["tables"]
    s = pl.read_parquet(out / "series.parquet")
    assert {"capacity", "utilisation", "volunteers"} <= set(s["metric"].unique())
    assert s["period"].unique().sort().to_list() == ["0", "1", "2"]
