"""Scale and horizon: a sample city gives the full city's results within their intervals, and
queues stay stable over years unless capacity truly falls short."""

from __future__ import annotations

import math

import numpy as np
import pytest

from community_governance.simulation.engine import Simulation, city_for
from community_governance.simulation.scenario import Scenario

SEEDS = range(5)
#: Rates and per-resident figures that must not depend on the sampling scale.
SCALE_FREE = ("on_time_share", "mean_handling_days", "participation_rate_mean",
              "satisfaction_end", "identification_end")


@pytest.fixture(scope="module")
def roomy(baseline: Scenario) -> Scenario:
    """10 posts a community: every community's utilisation below 0.95 (checked). Posts, not
    effective staff: vacancies, learning and the activities' staff days (the workforce
    mechanism) leave fewer effective staff than posts, so 8 posts are not enough."""
    return baseline.with_overrides({"staff.per_community": 10, "run.steps": 26})


def _runs(sc: Scenario, scale: float) -> list[dict[str, float]]:
    sc = sc.with_overrides({"city.scale": scale})
    city = city_for(sc.city.seed, scale)
    out = []
    for seed in SEEDS:
        sim = Simulation(sc, seed=seed, city=city).run()
        s = sim.summary()
        a = sim.community_arrays()
        s["utilisation_max"] = float((a["cases_opened"].sum(0) / a["capacity"].sum(0)).max())
        s["cases_per_household"] = s["cases_opened"] / s["households"]
        s["volunteers_per_resident"] = s["volunteers_mean"] / s["residents"]
        out.append(s)
    return out


def _mean_se(values: list[float]) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(len(v)))


def test_results_do_not_depend_on_the_sampling_scale(roomy: Scenario) -> None:
    """Gives the same rates at 2 % and 10 % of the city: the difference of the 5-seed means
    lies within its 95 % interval for every scale-free figure (cases per household and
    volunteers per resident included)."""
    a, b = _runs(roomy, 0.02), _runs(roomy, 0.1)
    assert max(r["utilisation_max"] for r in a + b) < 0.95
    for key in (*SCALE_FREE, "cases_per_household", "volunteers_per_resident"):
        (ma, sa), (mb, sb) = _mean_se([r[key] for r in a]), _mean_se([r[key] for r in b])
        half = 2.31 * math.hypot(sa, sb) + 1e-9  # t(8) 97.5 %
        assert abs(ma - mb) <= half, (key, ma, mb, half)


def _years(sim: Simulation, key: str, den: str | None = None) -> list[float]:
    a = sim.community_arrays()
    out = []
    for y in range(sim.steps // 52):
        rows = slice(52 * y, 52 * (y + 1))
        out.append(float(a[key][rows].sum() / a[den][rows].sum()) if den
                   else float(a[key][rows].sum(axis=1).mean()))
    return out


def test_queues_are_stable_over_years_when_capacity_suffices(roomy: Scenario) -> None:
    """Three years with enough staff: the third year's on-time share, handling time and mean
    backlog are the first year's, seed by seed (no growth with the horizon)."""
    sc = roomy.with_overrides({"city.scale": 0.02, "run.steps": 156})
    city = city_for(sc.city.seed, 0.02)
    for seed in range(3):
        sim = Simulation(sc, seed=seed, city=city).run()
        on_time = _years(sim, "closed_on_time", "cases_closed")
        days = _years(sim, "handling_days_sum", "cases_closed")
        backlog = _years(sim, "backlog")
        assert abs(on_time[2] - on_time[0]) < 0.01, on_time
        assert abs(days[2] - days[0]) < 0.1 * days[0], days
        assert backlog[2] < 1.5 * backlog[0] + 1.0, backlog


def test_backlog_grows_only_by_the_excess_of_cases_over_capacity(baseline: Scenario) -> None:
    """With 5 staff some communities get more cases than they can close: their backlog grows
    by at least the cases opened less the capacity of the run (exactly, once the queue never
    empties), and the others' does not grow."""
    sc = baseline.with_overrides({"staff.per_community": 5, "run.steps": 52, "city.scale": 0.02})
    sim = Simulation(sc, seed=1, city=city_for(sc.city.seed, 0.02)).run()
    a = sim.community_arrays()
    excess = a["cases_opened"].sum(0) - a["capacity"].sum(0)
    short = excess > 0
    assert short.any() and (~short).any()
    end = a["backlog"][-1]
    assert (end[short] >= excess[short] - 1e-6).all()
    assert (end[short] > a["backlog"][25][short]).all()  # growing
    assert (end[~short] < a["cases_opened"][:, ~short].mean(0) * 4).all()  # a few weeks' worth
