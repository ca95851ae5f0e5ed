"""Calibration by approximate Bayesian computation (simulation.abc_fit) and its CLI."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from click.testing import CliRunner

from community_governance.cli import cli
from community_governance.errors import ValidationError
from community_governance.simulation.abc_fit import (
    BEHAVIOURAL,
    PRIORS,
    AbcFit,
    _weighted_quantiles,
    fit_abc,
    measure,
)
from community_governance.simulation.scenario import Scenario


@pytest.fixture(scope="module")
def fit(baseline: Scenario) -> AbcFit:
    """A tiny ABC-PMC fit: 4 particles, 2 generations, a 1 % city."""
    return fit_abc(baseline, particles=4, generations=2, oversample=2, scale=0.01,
                   check_seeds=2, max_runs=16)


def test_particles_lie_within_the_priors_and_weights_sum_to_one(fit: AbcFit) -> None:
    """Every accepted coefficient is inside its prior range; weights are a distribution."""
    lo = np.array([p.low for p in PRIORS])
    hi = np.array([p.high for p in PRIORS])
    assert ((fit.particles >= lo) & (fit.particles <= hi)).all()
    assert fit.weights.sum() == pytest.approx(1.0)
    assert fit.runs <= 16


def test_held_out_targets_stay_out_of_the_fit(fit: AbcFit) -> None:
    """The default held-out targets are reported as held out, with a predictive range and
    the 10-seed-style check at the posterior mean."""
    rows = {r["key"]: r for r in fit.predictive()}
    assert rows["volunteers_2019"]["role"] == "held out"
    assert rows["culture_members_2019"]["role"] == "fit"
    for r in rows.values():
        assert r["p05"] <= r["predictive_mean"] <= r["p95"] or np.isclose(r["p05"], r["p95"])
        assert r["seeds10_low"] <= r["seeds10_mean"] <= r["seeds10_high"]
    held = [r for r in rows.values() if r["role"] == "held out"]
    assert fit.held_out_ok == all(r["covered"] for r in held)
    text = fit.markdown()
    assert "held out" in text and "posterior mean" in text


def test_tolerances_do_not_rise(fit: AbcFit) -> None:
    """Each generation's tolerance is at most the previous one."""
    eps = fit.epsilons
    assert all(b <= a for a, b in itertools.pairwise(eps))


def test_refuses_bad_requests(baseline: Scenario) -> None:
    """Unknown or all targets held out, and bad sizes, are refused before any run."""
    with pytest.raises(ValidationError, match="unknown target"):
        fit_abc(baseline, held_out=("nothing",))
    with pytest.raises(ValidationError, match="keep at least one"):
        fit_abc(baseline, held_out=tuple(t.key for t in BEHAVIOURAL))
    with pytest.raises(ValidationError):
        fit_abc(baseline, particles=1)


def test_measure_divides_people_by_the_scale() -> None:
    """Counts of people are per full scale; events are not."""
    got = measure({"scale": 0.1, "culture_members_end": 400, "volunteers_end": 300,
                   "volunteers_from_culture_end": 120, "activities": 350,
                   "staff_in_post_mean": 6.5})
    assert got == {"culture_members_2019": 4000.0, "volunteers_2019": 3000.0,
                   "events_since_2017": 350.0, "staff_in_post": 6.5,
                   "volunteers_from_culture": 0.4}


def test_weighted_quantiles_of_equal_weights_are_the_plain_ones() -> None:
    """With equal weights the interpolated quantiles match the sample's middle."""
    v = np.arange(1.0, 6.0)
    assert _weighted_quantiles(v, np.full(5, 0.2), (0.5,)) == pytest.approx((3.0,))


def test_cli_lists_and_runs_experiments() -> None:
    """`cgov sim experiment --list` names every recommendation; an unknown one fails."""
    res = CliRunner().invoke(cli, ["sim", "experiment", "--list"])
    assert res.exit_code == 0, res.output
    assert "social_organizations" in json.loads(res.output)
    bad = CliRunner().invoke(cli, ["sim", "experiment", "yima-2019", "nothing",
                                   "--set", "city.scale=0.01"])
    assert bad.exit_code != 0 and "unknown recommendation" in bad.output


def test_cli_calibrate_abc() -> None:
    """`cgov sim calibrate --abc` prints the posterior and the held-out check as JSON."""
    res = CliRunner().invoke(cli, ["sim", "calibrate", "yima-2019", "--abc", "--particles",
                                   "2", "--generations", "1", "--abc-scale", "0.01",
                                   "--seeds", "1", "--json"])
    assert res.exit_code in (0, 1), res.output
    data = json.loads(res.output)
    assert {r["key"] for r in data["posterior"]} == {p.key for p in PRIORS}
    assert res.exit_code == (0 if data["held_out_ok"] else 1)


def test_a_generation_cut_short_is_abandoned(baseline: Scenario) -> None:
    """When the run budget ends a generation before it has its particles, the posterior is
    the last complete generation, and the acceptance of each generation is recorded."""
    fit = fit_abc(baseline, particles=4, generations=3, oversample=2, scale=0.01,
                  check_seeds=0, max_runs=10)
    assert fit.generation_runs[0] == 8 and sum(fit.generation_runs) == fit.runs <= 10
    assert fit.generation_accepted[0] == 4 and fit.generation_accepted[-1] < 4
    assert len(fit.epsilons) == len(fit.generation_accepted) - 1  # only complete generations
    assert fit.particles.shape == (4, len(PRIORS))
    post = fit.posterior()
    for r in post:
        assert r["p05"] <= r["median"] <= r["p95"]
        assert 0 <= r["width_share"] <= 1
    assert fit.posterior_median() == {r["key"]: r["median"] for r in post}
    data = fit.to_dict()
    assert len(data["particles"]) == len(data["weights"]) == len(data["outputs"]) == 4
    assert "accepted/run per generation 4/8" in fit.markdown()


def test_cli_calibrate_abc_budget() -> None:
    """`--oversample`, `--max-runs` reach the fit: 2 particles of 2 draws, then a budget of 3
    runs cuts the second generation short."""
    res = CliRunner().invoke(cli, ["sim", "calibrate", "yima-2019", "--abc", "--particles",
                                   "2", "--generations", "2", "--oversample", "1",
                                   "--max-runs", "3", "--abc-scale", "0.01", "--seeds", "1",
                                   "--json"])
    assert res.exit_code in (0, 1), res.output
    data = json.loads(res.output)
    assert data["generation_runs"] == [2, 1] and data["runs"] == 3
    assert data["accepted"] == 2
