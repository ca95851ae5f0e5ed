"""Sensitivity analysis through SALib: Latin hypercube, Morris, Sobol' (issue 19 item 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from community_governance.errors import ValidationError
from community_governance.simulation.scenario import Scenario
from community_governance.simulation.sensitivity import parameter_label, sensitivity

FACTORS = {"staff.cases_per_staff_day": (1.0, 3.0), "points.rate": (5.0, 20.0)}


@pytest.fixture(scope="module")
def short(small: Scenario) -> Scenario:
    """8 weeks of the 2 % city."""
    return small.with_overrides({"run.steps": 8})


def test_morris_finds_the_factor_with_a_causal_path(short: Scenario, tmp_path: Path) -> None:
    """Staff productivity moves the on-time share, the points rate does not (exactly 0, since
    every run shares the draws); the points rate moves the points issued. The figures are
    written at 300 dpi with the documented parameter names."""
    res = sensitivity(short, FACTORS, method="morris", samples=3,
                      metrics=("on_time_share", "points_issued"), seed=4)
    assert len(res.samples) == 3 * 3
    staff = res.index("on_time_share", "staff.cases_per_staff_day", "mu_star")
    assert staff["value"] > 0.05 and staff["ci95_low"] > 0
    rate = res.index("on_time_share", "points.rate", "mu_star")
    assert rate["value"] == 0.0 and rate["ci95_high"] == 0.0
    assert res.index("points_issued", "points.rate", "mu_star")["ci95_low"] > 0
    assert set(res.samples[:, 1]) <= {float(v) for v in range(5, 21)}  # whole points
    files = res.write(tmp_path)
    assert {f.name for f in files} >= {"sensitivity.json", "sensitivity-on_time_share.png",
                                       "scatter-points_issued.png"}
    import matplotlib.image as mpimg

    img = mpimg.imread(tmp_path / "sensitivity-on_time_share.png")
    assert img.shape[1] == 7 * 300  # 7 inches at 300 dpi
    data = json.loads((tmp_path / "sensitivity.json").read_text(encoding="utf-8"))
    assert data["method"] == "morris" and data["seed"] == 4 and data["versions"]["SALib"]
    assert parameter_label("staff.per_community") == \
        "staff per community [persons] (staff.per_community)"


def test_sobol_and_lhs_give_indices_with_intervals(short: Scenario) -> None:
    """Sobol' S1/ST and LHS (RBD-FAST) S1, each with a 95 % interval; the factor without a
    path to the metric gets no total effect."""
    sob = sensitivity(short, FACTORS, method="sobol", samples=4, metrics=("on_time_share",))
    assert len(sob.samples) == 4 * (2 + 2)
    st = sob.index("on_time_share", "staff.cases_per_staff_day", "ST")
    assert st["value"] > 0.3 and st["ci95_low"] <= st["value"] <= st["ci95_high"]
    assert sob.index("on_time_share", "points.rate", "ST")["value"] == 0.0
    lhs = sensitivity(short, FACTORS, method="lhs", samples=16, metrics=("on_time_share",))
    s1 = lhs.index("on_time_share", "staff.cases_per_staff_day", "S1")
    assert len(lhs.samples) == 16 and s1["value"] > 0.3
    assert s1["ci95_low"] <= s1["value"] <= s1["ci95_high"]
    assert lhs.table.height == 2


def test_sensitivity_refuses_bad_requests(short: Scenario) -> None:
    """Bad method, range, key, metric or Sobol' sample count: refused before running."""
    with pytest.raises(ValidationError, match="method"):
        sensitivity(short, FACTORS, method="fast")
    with pytest.raises(ValidationError, match="low < high"):
        sensitivity(short, {"points.rate": (5, 5)})
    with pytest.raises(ValidationError, match="not a scenario parameter"):
        sensitivity(short, {"staff.nope": (1, 2)})
    with pytest.raises(ValidationError, match="true/false"):
        sensitivity(short, {"points.enabled": (0, 1)})
    with pytest.raises(ValidationError, match="unknown metric"):
        sensitivity(short, FACTORS, metrics=("nope",))
    with pytest.raises(ValidationError, match="power of 2"):
        sensitivity(short, FACTORS, method="sobol", samples=6)
    with pytest.raises(ValidationError, match="not the city"):
        sensitivity(short, {"city.scale": (0.01, 0.02)})


def test_cli_sensitivity(tmp_path: Path) -> None:
    """``cgov sim sensitivity`` writes the indices and the figures."""
    from community_governance.cli import _load, cli

    _load()
    res = CliRunner().invoke(cli, [
        "sim", "sensitivity", "yima-2019", "--factor", "staff.cases_per_staff_day=1:3",
        "--method", "morris", "--samples", "2", "--metric", "on_time_share", "--quiet",
        "--set", "city.scale=0.02", "--set", "run.steps=4", "--out", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output[res.output.index("{"):])
    assert out["runs"] == 4 and "sensitivity-on_time_share.png" in out["files"]
    bad = CliRunner().invoke(cli, ["sim", "sensitivity", "yima-2019", "--factor", "x=1",
                                   "--out", str(tmp_path / "b")])
    assert bad.exit_code != 0 and "KEY=LOW:HIGH" in bad.output
