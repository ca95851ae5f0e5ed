"""Calibration: the full-scale baseline reproduces the study's figures (FACTS.md)."""

from __future__ import annotations

from typing import Any

import pytest

from community_governance.simulation.calibration import EVENTS_PER_YEAR, TARGETS, calibrate
from community_governance.simulation.engine import Simulation
from community_governance.simulation.scenario import Scenario


@pytest.fixture(scope="module")
def full_summary(baseline: Scenario) -> dict[str, Any]:
    """The baseline year at full scale (138,000 residents)."""
    return Simulation(baseline).run().summary()


def test_baseline_meets_every_target(full_summary: dict[str, Any]) -> None:
    """Meets every calibration target of the study within its tolerance."""
    report = calibrate(full_summary)
    assert report.ok, report.markdown()
    assert {r.target.key for r in report.rows} == {t.key for t in TARGETS}


@pytest.mark.parametrize(("key", "value", "tol"), [
    ("culture_members_mean", 4756, 0.10),
    ("volunteers_mean", 3838, 0.10),
    ("activities_per_year", EVENTS_PER_YEAR, 0.20),
    ("residents", 138_000, 0.05),
])
def test_key_figures(full_summary: dict[str, Any], key: str, value: float, tol: float) -> None:
    """Reproduces culture-group members, volunteers, events and residents."""
    assert abs(full_summary[key] / value - 1) <= tol


def test_grids_and_handover(full_summary: dict[str, Any]) -> None:
    """Draws 78 grids and hands over about 31 compounds of 20,000+ households."""
    assert full_summary["grids"] == 78
    assert full_summary["grid_leaders"] == 78
    assert 28 <= full_summary["handover_compounds"] <= 34
    assert 20_000 <= full_summary["handover_households"] <= 22_000


def test_many_volunteers_come_from_culture_groups(full_summary: dict[str, Any]) -> None:
    """Keeps a large share of volunteers in culture groups ("很多文体组织成员最后都成了社区志愿者")."""
    share = full_summary["volunteers_from_culture_end"] / full_summary["volunteers_end"]
    assert share >= 0.3


def test_report_flags_a_miss() -> None:
    """Fails a target outside its tolerance and says which."""
    report = calibrate({"scale": 1.0, "grids": 70, "culture_members_mean": 4756})
    keys = {r.target.key for r in report.failures()}
    assert "grids" in keys and "culture_members_mean" not in keys
    assert "NO" in report.markdown()


def test_scaled_runs_compare_per_person() -> None:
    """Divides counts of people by the scale before comparing."""
    report = calibrate({"scale": 0.1, "culture_members_mean": 475.6, "handover_compounds": 8})
    row = next(r for r in report.rows if r.target.key == "culture_members_mean")
    assert row.ok and row.simulated == pytest.approx(4756)
    compounds = next(r for r in report.rows if r.target.key == "handover_compounds")
    assert compounds.ok  # not judged below full scale


def test_every_target_is_labelled_structural_or_behavioural() -> None:
    """Every target says whether it is set by construction; structural ones say how."""
    from community_governance.simulation.calibration import KINDS, STRUCTURAL_WHY

    for t in TARGETS:
        assert t.kind in KINDS
        if t.kind == "structural":
            assert STRUCTURAL_WHY[t.key]
    report = calibrate({"scale": 1.0, "grids": 78})
    assert "| structural |" in report.markdown()
    assert report.to_dict()["rows"][0]["kind"] == "structural"
    with pytest.raises(ValueError, match="kind"):
        TARGETS[0].__class__("x", "x", 1, 1, 1, False, "x", kind="assumed")


def test_across_seeds_reports_mean_and_interval(small: Scenario) -> None:
    """The figure a report quotes: mean of the seeds with its t interval and the range."""
    from community_governance.errors import ValidationError
    from community_governance.simulation.calibration import across_seeds

    sc = small.with_overrides({"run.steps": 6})
    spread = across_seeds(sc, "on_time_share", seeds=3)
    assert spread.seeds == (sc.run.seed, sc.run.seed + 1, sc.run.seed + 2)
    assert spread.mean == pytest.approx(sum(spread.values) / 3)
    assert spread.low <= spread.mean <= spread.high
    assert spread.ci95_low <= spread.mean <= spread.ci95_high
    assert spread.values[0] == Simulation(sc, seed=sc.run.seed).run().summary()["on_time_share"]
    with pytest.raises(ValidationError, match="at least 2"):
        across_seeds(sc, seeds=1)


def test_docs_do_not_quote_a_chosen_seed() -> None:
    """docs/simulation.md quotes the on-time share as a mean over seeds with its interval."""
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "simulation.md").read_text(encoding="utf-8")
    assert "89 % of cases closed on time" not in text
    assert "10-seed mean" in text


def test_cli_calibrate_reports_the_spread_across_seeds() -> None:
    """``cgov sim calibrate --seeds 2`` labels the targets and quotes the mean of 2 seeds."""
    from click.testing import CliRunner

    from community_governance.cli import _load, cli

    _load()
    res = CliRunner().invoke(cli, ["sim", "calibrate", "yima-2019", "--seeds", "2", "--set",
                                   "city.scale=0.02", "--set", "run.steps=4"])
    assert "| structural |" in res.output
    assert "2-seed mean" in res.output and "95 % interval" in res.output
