"""Properties of every run, whatever the parameters: nothing is created or lost."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from community_governance.simulation.engine import Simulation
from community_governance.simulation.scenario import Scenario

from .sim_helpers import minimal_doc, tiny_city

CITY = tiny_city()


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rate=st.integers(0, 60),
    staff=st.integers(0, 10),
    activities=st.floats(0, 200),
    budget=st.integers(0, 50_000),
    step_days=st.sampled_from([1, 7, 14]),
    redeem=st.floats(0, 1),
    channel=st.integers(0, 20_000),
)
def test_conservation_for_any_parameters(seed: int, rate: int, staff: int, activities: float,
                                         budget: int, step_days: int, redeem: float,
                                         channel: int) -> None:
    """Keeps points, money and cases balanced and every state in range."""
    sc = Scenario.from_dict(minimal_doc(
        run={"name": "p", "start": dt.date(2019, 1, 7), "steps": 20, "step_days": step_days},
        points={"rate": rate},
        staff={"per_community": staff},
        activities={"per_community_per_year": activities},
        supermarket={"budget_cny_per_community": budget},
        funds={"channels": [{"name": "捐赠", "cny_per_year": channel, "use": "supermarket"}]},
        behaviour={"redemption": {"weekly_probability": redeem, "min_points": 1},
                   "participation": {"base_logit": 0.0}, "volunteering": {"serve_logit": 2.0}},
    ))
    sim = Simulation(sc, seed=seed, city=CITY).run()
    s = sim.summary()
    assert s["points_issued"] - s["points_redeemed"] == s["points_outstanding"] >= 0
    assert s["inflow_fen"] - s["outflow_fen"] == sum(s["funds_end_fen"].values())
    assert s["cases_opened"] == s["cases_closed"] + s["backlog_end"]
    assert (sim.funds >= 0).all() and (sim.balance >= 0).all()
    assert (sim.supermarket_left >= 0).all()
    assert sim.satisfaction.min() >= 0 and sim.satisfaction.max() <= 1
    assert sim.identification.min() >= 0 and sim.identification.max() <= 1
    a = sim.community_arrays()
    assert (a["closed_on_time"] <= a["cases_closed"]).all()
    assert (a["cases_closed"] <= a["capacity"]).all()
    assert (a["participants"] <= a["residents"]).all()
    if rate == 0:
        assert s["points_issued"] == 0
