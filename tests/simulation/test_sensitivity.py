"""Sensitivity analysis through SALib: Latin hypercube, Morris, Sobol' (issue 19 item 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from community_governance.errors import ValidationError
from community_governance.simulation.scenario import Scenario
from community_governance.simulation.sensitivity import (
    SensitivityResult,
    parameter_label,
    sensitivity,
)

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


# --- the sensitivity of a recommendation's paired effect (issue 19, item 3) -----------------

STAFF_ARM = "2 more permanent posts"
EFFECT_FACTORS = {"staff.cases_per_staff_day": (0.8, 2.2),
                  "behaviour.culture.leave_per_year": (0.05, 0.3)}


@pytest.fixture(scope="module")
def effect(short: Scenario) -> SensitivityResult:
    """Morris over the effect of two more permanent posts on the on-time share: 3
    trajectories of the 2 % city, 8 weeks, 2 seeds per sample."""
    return sensitivity(short, EFFECT_FACTORS, method="morris", samples=3,
                       experiment="permanent_staff", arms=[STAFF_ARM],
                       metrics=("on_time_share", "culture_members_end"), seeds=2, seed=7)


def test_effect_sensitivity_finds_the_coefficient_the_effect_hinges_on(
        effect: SensitivityResult) -> None:
    """The effect of more posts on the on-time share hinges on how many cases a staff member
    closes (a shortage to relieve); leaving culture groups has no causal path to it and gets
    exactly 0. More posts leave culture membership alone, so its effect is 0 everywhere."""
    out = f"on_time_share[{STAFF_ARM}]"
    assert set(effect.outputs) == {out, f"culture_members_end[{STAFF_ARM}]"}
    staff = effect.index("on_time_share", "staff.cases_per_staff_day", "mu_star", arm=STAFF_ARM)
    assert staff["value"] > 0.01 and staff["ci95_low"] > 0
    leave = effect.index("on_time_share", "behaviour.culture.leave_per_year", "mu_star",
                         arm=STAFF_ARM)
    assert leave["value"] == 0.0 and leave["ci95_high"] == 0.0
    assert effect.drivers(out)[0]["parameter"] == "staff.cases_per_staff_day"
    # more capacity per staff member leaves less shortage for the new posts to relieve
    assert effect.drivers(out)[0]["mu"] < 0
    assert not effect.outputs[f"culture_members_end[{STAFF_ARM}]"].any()
    # the levels of the baseline move with its own coefficients
    assert effect.levels["culture_members_end"].std() > 0
    assert effect.experiment == "permanent_staff" and effect.seeds == (7, 8)


def test_effect_output_is_the_paired_difference_of_the_arm(short: Scenario,
                                                            effect: SensitivityResult) -> None:
    """Each output is the arm minus the baseline at that sample, on the same seeds, averaged
    over the seeds: recomputed here by running both directly."""
    from community_governance.simulation.engine import Simulation
    from community_governance.simulation.experiments import RECOMMENDATIONS

    for row in (0, len(effect.samples) - 1):
        over = {k: float(v) for k, v in zip(EFFECT_FACTORS, effect.samples[row], strict=True)}
        sc = short.with_overrides(over)
        arm = sc.with_overrides(RECOMMENDATIONS["permanent_staff"].arms[STAFF_ARM])
        diffs = [Simulation(arm, seed=s).run().summary()["on_time_share"]
                 - Simulation(sc, seed=s).run().summary()["on_time_share"] for s in (7, 8)]
        assert effect.outputs[f"on_time_share[{STAFF_ARM}]"][row] == pytest.approx(
            sum(diffs) / 2, abs=1e-12)


def test_effect_sensitivity_refuses_bad_requests(short: Scenario) -> None:
    """An unknown experiment or arm, arms without an experiment, a factor an arm sets, or no
    seed: refused before running."""
    with pytest.raises(ValidationError, match="unknown experiment"):
        sensitivity(short, EFFECT_FACTORS, experiment="nope")
    with pytest.raises(ValidationError, match="has no arm"):
        sensitivity(short, EFFECT_FACTORS, experiment="permanent_staff", arms=["nope"])
    with pytest.raises(ValidationError, match="need an experiment"):
        sensitivity(short, EFFECT_FACTORS, arms=[STAFF_ARM])
    with pytest.raises(ValidationError, match=r"sets staff\.per_community"):
        sensitivity(short, {"staff.per_community": (5, 9)}, experiment="permanent_staff")
    with pytest.raises(ValidationError, match="seeds"):
        sensitivity(short, EFFECT_FACTORS, seeds=0)


def test_mechanism_factors_are_scenario_numbers_with_sources(short: Scenario) -> None:
    """Every mechanism factor is a number of the scenario whose default lies in its range,
    with a documented source; the ABC-fitted ones use their priors."""
    from community_governance.simulation.abc_fit import PRIORS
    from community_governance.simulation.sensitivity import (
        FACTOR_SOURCES,
        MECHANISM_FACTORS,
        _coerce,
    )

    priors = {p.key: (p.low, p.high) for p in PRIORS}
    for key, (lo, hi) in MECHANISM_FACTORS.items():
        _coerce(short, key, lo)
        node: object = short
        for part in key.split("."):
            node = getattr(node, part)
        assert lo <= float(node) <= hi, key  # type: ignore[arg-type]
        assert FACTOR_SOURCES[key]
        if key in priors:
            assert (lo, hi) == priors[key] and FACTOR_SOURCES[key].startswith("ABC prior")
    assert "staff.cases_per_staff_day" in MECHANISM_FACTORS


def test_ranking_stability_and_drivers_figure(effect: SensitivityResult,
                                              tmp_path: Path) -> None:
    """Split-half ranking needs 4 trajectories; the drivers figure is written (one result, or
    panels of several); a result reads back from its JSON; a non-Morris result is refused."""
    from community_governance.simulation.sensitivity import (
        load_sensitivity,
        plot_drivers,
        ranking_stability,
    )

    res = effect
    with pytest.raises(ValidationError, match="at least 4"):
        ranking_stability(res, f"on_time_share[{STAFF_ARM}]", top=1)
    path = plot_drivers(res, tmp_path / "d.png", top=2)
    assert path.stat().st_size > 10_000
    res.write(tmp_path / "w", plots=False)
    text = (tmp_path / "w" / "sensitivity.json").read_text(encoding="utf-8")

    def no_nan(name: str) -> None:
        raise AssertionError(f"{name} in sensitivity.json is not JSON")

    json.loads(text, parse_constant=no_nan)  # strict JSON: no NaN/Infinity
    back = load_sensitivity(tmp_path / "w" / "sensitivity.json")
    assert str(back.rows) == str(res.rows)  # NaN where SALib gives no interval
    assert back.seeds == res.seeds and back.experiment == res.experiment
    assert (back.outputs[f"on_time_share[{STAFF_ARM}]"]
            == res.outputs[f"on_time_share[{STAFF_ARM}]"]).all()
    two = plot_drivers([(back, f"on_time_share[{STAFF_ARM}]"), (res, f"on_time_share[{STAFF_ARM}]")],
                       tmp_path / "two.png", top=2)
    import matplotlib.image as mpimg

    assert mpimg.imread(two).shape[0] > mpimg.imread(path).shape[0] / 2 * 1.5
    lhs = SensitivityResult("lhs", res.problem, res.samples, res.outputs, res.rows, res.seed)
    with pytest.raises(ValidationError, match="Morris"):
        ranking_stability(lhs, f"on_time_share[{STAFF_ARM}]")


def test_ranking_stability_splits_trajectories(short: Scenario) -> None:
    """With 4 trajectories the two halves both rank the staff coefficient first."""
    from community_governance.simulation.sensitivity import ranking_stability

    res = sensitivity(short.with_overrides({"run.steps": 4}), EFFECT_FACTORS, method="morris",
                      samples=4, metrics=("on_time_share",))
    first, second, share = ranking_stability(res, "on_time_share", top=1)
    assert first == second == ["staff.cases_per_staff_day"] and share == 1.0


def test_cli_sensitivity_of_an_experiment(tmp_path: Path) -> None:
    """``cgov sim sensitivity --experiment`` analyses the paired effect; ``--mechanisms``
    leaves out the coefficients the arms set."""
    from community_governance.cli import _load, cli

    _load()
    res = CliRunner().invoke(cli, [
        "sim", "sensitivity", "yima-2019", "--experiment", "permanent_staff", "--arm",
        STAFF_ARM, "--factor", "staff.cases_per_staff_day=0.8:2.2", "--samples", "2",
        "--metric", "on_time_share", "--quiet", "--set", "city.scale=0.02",
        "--set", "run.steps=4", "--out", str(tmp_path / "e")])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output[res.output.index("{"):])
    assert out["samples"] == 4 and out["runs"] == 8 and out["experiment"] == "permanent_staff"
    assert "drivers.png" in out["files"]
    assert {r["output"] for r in out["indices"]} == {f"on_time_share[{STAFF_ARM}]"}
    res = CliRunner().invoke(cli, [
        "sim", "sensitivity", "yima-2019", "--experiment", "culture_groups", "--mechanisms",
        "--samples", "2", "--metric", "activities", "--quiet", "--no-plots",
        "--set", "city.scale=0.02", "--set", "run.steps=1", "--out", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output[res.output.index("{"):])
    assert out["left_out"] == ["activities.per_community_per_year"]
    assert out["files"] == ["sensitivity.json"]
    bad = CliRunner().invoke(cli, ["sim", "sensitivity", "yima-2019", "--experiment", "nope",
                                   "--factor", "points.rate=5:20", "--out",
                                   str(tmp_path / "b")])
    assert bad.exit_code == 5 and "unknown experiment" in bad.output  # a validation error
    assert not (tmp_path / "b").exists()
