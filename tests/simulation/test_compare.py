"""Named random streams and paired policy comparisons (issue 19 item 4)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from community_governance.errors import ValidationError
from community_governance.simulation.compare import (
    benjamini_hochberg,
    compare_policies,
    holm,
    paired_difference,
)
from community_governance.simulation.engine import SimCity, Simulation
from community_governance.simulation.engine.streams import STREAMS, Streams, stream_key
from community_governance.simulation.scenario import Scenario

from .sim_helpers import minimal_doc


def test_stream_keys_are_distinct_and_stable() -> None:
    """Every stream has its own spawn index, fixed by its name (not by its position)."""
    keys = [stream_key(n) for n in STREAMS]
    assert len(set(keys)) == len(keys)
    assert stream_key("participation") == stream_key("participation")
    a = Streams(5).generator("participation", 3).random(4)
    b = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        5, spawn_key=(stream_key("participation"), 3)))).random(4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, Streams(5).generator("participation", 4).random(4))
    assert not np.array_equal(a, Streams(5).generator("service", 3).random(4))
    assert not np.array_equal(a, Streams(6).generator("participation", 3).random(4))


def test_holm_worked_example() -> None:
    """Holm multiplies the sorted p-values by m, m-1, ... and keeps them monotone."""
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=30))
def test_benjamini_hochberg_matches_scipy(ps: list[float]) -> None:
    """Agrees with scipy's false_discovery_control; never below the raw p-value."""
    from scipy import stats

    ours = benjamini_hochberg(ps)
    assert ours == pytest.approx(list(stats.false_discovery_control(ps, method="bh")),
                                 abs=1e-12)
    assert all(a >= p - 1e-12 for a, p in zip(ours, ps, strict=True))
    assert all(a >= b - 1e-12 for a, b in zip(holm(ps), ours, strict=True))


def test_paired_difference() -> None:
    """A t interval around the mean difference; zero differences are not significant."""
    r = paired_difference([1.0, 2.0, 3.0, 4.0])
    assert r["diff_mean"] == 2.5
    assert r["ci95_low"] == pytest.approx(2.5 - 3.182446 * 1.290994 / 2, abs=1e-5)
    assert 0.01 < r["p_value"] < 0.05
    zero = paired_difference([0.0, 0.0, 0.0])
    assert zero["p_value"] == 1.0 and zero["ci95_low"] == zero["ci95_high"] == 0.0


def test_a_policy_without_a_causal_path_shows_no_effect(small: Scenario) -> None:
    """Doubling the points rate or closing the supermarket cannot change cases or their
    handling: across seeds the paired differences are exactly zero, none significant, while a
    policy with a path (more staff) and the points' own outputs do show effects."""
    # 5 staff: short of capacity, so that more staff has something to show
    sc = small.with_overrides({"run.steps": 16, "staff.per_community": 5})
    cmp = compare_policies(
        sc, {"double points": {"points.rate": 20}, "no supermarket":
             {"supermarket.enabled": False}, "more staff": {"staff.per_community": 7}},
        seeds=6, metrics=("on_time_share", "overdue_backlog_end", "cases_opened",
                          "points_issued", "supermarket_cost_fen"))
    for arm in ("double points", "no supermarket"):
        for metric in ("on_time_share", "overdue_backlog_end", "cases_opened"):
            row = cmp.row(arm, metric)
            assert row["diff_mean"] == 0.0 and row["diff_sd"] == 0.0, (arm, metric)
            assert not row["significant"]
    assert cmp.row("double points", "points_issued")["significant"]
    assert cmp.row("double points", "points_issued")["ci95_low"] > 0
    assert cmp.row("no supermarket", "supermarket_cost_fen")["ci95_high"] < 0
    staff = cmp.row("more staff", "on_time_share")
    assert staff["significant"] and staff["ci95_low"] > 0
    assert len(cmp.runs) == 4 * 6 and cmp.table.height == 3 * 5


def test_arms_share_draws_of_unaffected_mechanisms(tiny: SimCity) -> None:
    """Turning the points off leaves every case-side column identical step by step."""
    sc = Scenario.from_dict(minimal_doc(city={"scale": 1.0}))
    a = Simulation(sc, seed=3, city=tiny).run().community_arrays()
    b = Simulation(sc.with_overrides({"points.enabled": False}), seed=3, city=tiny).run()
    bb = b.community_arrays()
    for col in ("cases_opened", "cases_closed", "closed_on_time", "backlog", "activities"):
        assert np.array_equal(a[col], bb[col]), col
    assert not np.array_equal(a["points_issued"], bb["points_issued"])


def test_compare_refuses_bad_requests(small: Scenario) -> None:
    """No arm, a city change, one seed, an unknown correction: refused before running."""
    with pytest.raises(ValidationError, match="at least one arm"):
        compare_policies(small, {})
    with pytest.raises(ValidationError, match="same city"):
        compare_policies(small, {"x": {"city.scale": 0.03}})
    with pytest.raises(ValidationError, match="at least 2"):
        compare_policies(small, {"x": {"points.rate": 5}}, seeds=1)
    with pytest.raises(ValidationError, match="correction"):
        compare_policies(small, {"x": {"points.rate": 5}}, correction="bonferroni")
    with pytest.raises(ValidationError, match="baseline"):
        compare_policies(small, {"baseline": {"points.rate": 5}})


def test_cli_compare(tmp_path: object) -> None:
    """``cgov sim compare`` prints the paired table and writes it with --out."""
    import json
    from pathlib import Path

    from click.testing import CliRunner

    from community_governance.cli import _load, cli

    _load()
    out = Path(str(tmp_path)) / "cmp.json"
    res = CliRunner().invoke(cli, [
        "sim", "compare", "yima-2019", "--arm", "double:points.rate=20", "--seeds", "2",
        "--metric", "points_issued", "--metric", "on_time_share", "--set", "city.scale=0.02",
        "--set", "run.steps=6", "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output[res.output.index("{"):])["rows"]
    assert {r["metric"] for r in rows} == {"points_issued", "on_time_share"}
    assert next(r for r in rows if r["metric"] == "on_time_share")["diff_mean"] == 0.0
    assert len(json.loads(out.read_text(encoding="utf-8"))["runs"]) == 4
    bad = CliRunner().invoke(cli, ["sim", "compare", "yima-2019", "--arm", "nocolon"])
    assert bad.exit_code != 0 and "NAME:KEY=VALUE" in bad.output
