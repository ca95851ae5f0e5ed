"""The engine: determinism, conservation of points, money and cases, the library's rules."""

from __future__ import annotations

import numpy as np
import pytest

from community_governance.errors import PluginError
from community_governance.markers import hookimpl
from community_governance.simulation.behaviours import DefaultParticipationModel
from community_governance.simulation.engine import SimCity, Simulation
from community_governance.simulation.scenario import Scenario

from .sim_helpers import minimal_doc


def _tiny_scenario(**over: object) -> Scenario:
    sc = Scenario.from_dict(minimal_doc(
        run={"name": "tiny", "start": __import__("datetime").date(2019, 1, 7), "steps": 30},
        activities={"per_community_per_year": 50.0},
        behaviour={"participation": {"base_logit": -1.0}},
    ))
    return sc.with_overrides(dict(over)) if over else sc


def test_same_seed_same_run(tiny: SimCity) -> None:
    """Gives identical tables for the same seed, different ones for another seed."""
    sc = _tiny_scenario()
    a = Simulation(sc, seed=7, city=tiny).run().community_table()
    b = Simulation(sc, seed=7, city=tiny).run().community_table()
    c = Simulation(sc, seed=8, city=tiny).run().community_table()
    assert a.equals(b)
    assert not a.equals(c)


def test_same_seed_same_run_on_the_generated_city(small: Scenario) -> None:
    """Reproduces a run of the generated city exactly, summary included."""
    s1 = Simulation(small, seed=3).run().summary()
    s2 = Simulation(small, seed=3).run().summary()
    assert s1 == s2
    assert s1["residents"] > 2000


def test_step_and_run_shape(tiny: SimCity) -> None:
    """Steps like a Mesa model: run(max_steps) stops early, running turns False at the end."""
    sim = Simulation(_tiny_scenario(), seed=1, city=tiny)
    sim.run(max_steps=5)
    assert sim.steps == 5 and sim.running
    sim.run()
    assert sim.steps == 30 and not sim.running
    sim.step()
    assert sim.steps == 30
    assert sim.community_table().height == 30 * 2


def test_conservation(small: Scenario) -> None:
    """Keeps points, money and cases balanced: nothing appears or vanishes."""
    sim = Simulation(small, seed=5).run()
    s = sim.summary()
    assert s["points_issued"] - s["points_redeemed"] == s["points_outstanding"]
    assert s["points_issued"] > 0 and s["points_redeemed"] > 0
    assert s["supermarket_cost_fen"] == s["points_redeemed"] * small.points.point_value_fen
    assert s["inflow_fen"] - s["outflow_fen"] == sum(s["funds_end_fen"].values())
    # below scale 1 the queue's counts are the full-size queue's times the scale, rounded
    assert abs(s["cases_opened"] - s["cases_closed"] - s["backlog_end"]) <= 1
    assert (sim.balance >= 0).all()
    assert (sim.funds >= 0).all()


def test_reporters_are_collected(tiny: SimCity) -> None:
    """Collects explicit reporters into the city table after each step."""
    sim = Simulation(_tiny_scenario(), seed=1, city=tiny,
                     reporters={"volunteer_count": lambda m: float(m.volunteer.sum()),
                                "step_seen": lambda m: float(m.steps)})
    sim.run(max_steps=4)
    table = sim.city_table()
    assert table["step_seen"].to_list() == [1.0, 2.0, 3.0, 4.0]
    assert table["volunteer_count"][-1] == float(sim.volunteer.sum())


class CountyScoring:
    """A county standard: 100 points for any attendance of an hour or more."""

    @hookimpl
    def cgov_points_standard(self, category: str, minutes: int, community_code: str) -> int:
        return 100 if minutes >= 60 else 0


def test_points_come_from_the_scoring_hook(tiny: SimCity) -> None:
    """Scores with cgov_points_standard: the national table, or a county plugin."""
    national = _tiny_scenario().with_overrides({})  # no points.rate: the library's table
    sim = Simulation(national, seed=1, city=tiny)
    assert sim.points_per_attendance.tolist() == [16, 16]   # culture: 8 an hour, 2 hours
    assert sim.points_per_service.tolist() == [16, 16]      # general: 8 an hour, 2 hours
    county = Simulation(national, seed=1, city=tiny, plugins=[CountyScoring()])
    assert county.points_per_attendance.tolist() == [100, 100]
    rate = Simulation(national.with_overrides({"points.rate": 15}), seed=1, city=tiny)
    assert rate.points_per_service.tolist() == [30, 30]


class BadScoring:
    @hookimpl
    def cgov_points_standard(self, category: str, minutes: int, community_code: str) -> int:
        return -5


def test_a_bad_plugin_is_named(tiny: SimCity) -> None:
    """Refuses a negative score with a PluginError naming the hook."""
    with pytest.raises(PluginError, match="cgov_points_standard"):
        Simulation(_tiny_scenario(), seed=1, city=tiny, plugins=[BadScoring()])


class Urgent:
    @hookimpl
    def cgov_case_deadline(self, category: str, level: object) -> int:
        return 1


def test_deadlines_come_from_the_case_hook_and_the_calendar(tiny: SimCity) -> None:
    """Counts deadlines with cgov_case_deadline in working days of the official calendar."""
    sim = Simulation(_tiny_scenario(), seed=1, city=tiny)
    assert sim.deadline_working_days["safety"] == 1
    assert sim.deadline_working_days["dispute"] == 7
    assert set(sim.categories) >= {"repair", "sanitation", "dispute", "property"}
    # the week of the 2019 Spring Festival (2019-02-04 to 02-10) has no working day
    assert sim.working_days[4] == 0 and sim.working_days[0] == 5
    # the week before works 7 days: Saturday 02-02 and Sunday 02-03 were swapped to work
    assert sim.working_days[3] == 7
    # a dispute opened on Thursday 2019-01-31 is due 7 working days later (02-01, 02-02,
    # 02-03, then 02-11 to 02-14 after the holiday): in step 5, the week of 02-11
    k = sim.categories.index("dispute")
    assert sim.due_step[3, k] == 5
    assert sim.due_step[0, k] == 2   # opened Thursday 01-10, due Monday 01-21
    urgent = Simulation(_tiny_scenario(), seed=1, city=tiny, plugins=[Urgent()])
    assert set(urgent.deadline_working_days.values()) == {1}


class NoNeighbours:
    @hookimpl
    def cgov_sim_participation_model(self, scenario: Scenario) -> object:
        import attrs

        p = attrs.evolve(scenario.behaviour.participation, base_logit=-50.0)
        return DefaultParticipationModel(p)


def test_behaviour_models_come_from_hooks(tiny: SimCity) -> None:
    """Uses a plugin's participation model instead of the default."""
    sim = Simulation(_tiny_scenario(), seed=1, city=tiny, plugins=[NoNeighbours()]).run()
    assert sim.community_arrays()["attendances"].sum() == 0
    base = Simulation(_tiny_scenario(), seed=1, city=tiny).run()
    assert base.community_arrays()["attendances"].sum() > 0


def test_grids_follow_the_grid_policy(tiny: SimCity) -> None:
    """Counts grids per community with the grids package's policy."""
    sim = Simulation(_tiny_scenario(), seed=1, city=tiny)
    assert sim.grids_c.tolist() == [1, 1]
    sim = Simulation(_tiny_scenario(**{"grids.households_per_grid": 2}), seed=1, city=tiny)
    assert sim.grids_c.tolist() == [2, 2]
    assert sim.n_grids == 4 and set(np.unique(sim.r_grid)) == {0, 1, 2, 3}


def test_policies_move_the_outcomes(small: Scenario) -> None:
    """Raises participation with a stocked supermarket, and on-time handling with staff."""
    on = Simulation(small, seed=11).run().summary()
    off = Simulation(small.with_overrides({"supermarket.enabled": False}), seed=11).run()
    off_s = off.summary()
    assert off_s["supermarket_cost_fen"] == 0
    assert on["participation_rate_mean"] > off_s["participation_rate_mean"]
    few = Simulation(small.with_overrides({"staff.per_community": 2}), seed=11).run().summary()
    assert few["on_time_share"] < on["on_time_share"]
    assert few["backlog_end"] > on["backlog_end"]


def test_handover_raises_cases_and_lowers_satisfaction(small: Scenario) -> None:
    """Makes handed-over households raise more cases and end less satisfied."""
    sim = Simulation(small, seed=2).run()
    s = sim.summary()
    assert s["handover_households"] > 0
    assert s["satisfaction_handover_end"] < s["satisfaction_end"]
    none = Simulation(small.with_overrides({"handover.enabled": False}), seed=2).run().summary()
    assert none["handover_households"] == 0
    assert none["cases_opened"] < s["cases_opened"]


def test_second_channel_adds_activities(small: Scenario) -> None:
    """Turns a second funding channel for activities into more activities."""
    more = small.with_overrides({"funds.channels": [
        {"name": "企业捐赠", "cny_per_year": 16000, "use": "activities"}]})
    a = Simulation(small, seed=4).run().summary()
    b = Simulation(more, seed=4).run().summary()
    assert b["activities"] > a["activities"]
    assert b["inflow_fen"] > a["inflow_fen"]


UNSEEN = """
[run]
name = "handover-2017"
title = "三供一业移交 2017"
start = 2017-01-02
steps = 40
step_days = 7
seed = 99

[city]
scale = 0.03

[points]
service_category = "elderly_care"

[staff]
per_10000_residents = 6.0

[funds]
office_cny_per_year = "20000.00"
[[funds.channels]]
name = "有偿服务"
cny_per_year = 12000
use = "supermarket"
start = 2017-07-01

[handover]
date = 2017-05-29
subsidy_loss_cny_per_household_year = 1200

[behaviour.cases]
rates_per_household_year = { repair = 0.4, property = 0.2 }
"""


def test_an_unseen_scenario_file(tmp_path: object) -> None:
    """Runs a scenario written from scratch: 2017, the handover inside the horizon, staff per
    10,000 residents, a supermarket channel from July, the national scoring table."""
    from pathlib import Path

    from community_governance.simulation.scenario import load_scenario

    path = Path(str(tmp_path)) / "handover.toml"
    path.write_text(UNSEEN, encoding="utf-8")
    sc = load_scenario(path)
    sim = Simulation(sc).run()
    assert sim.seed == 99 and sim.steps == 40
    assert sim.points_per_service.tolist() == [30] * 15   # elderly_care: 15 an hour, 2 hours
    assert sim.staff_c.min() >= 1 and sim.staff_c.max() <= 10
    a = sim.community_arrays()
    week = (sc.handover.date - sc.run.start).days // 7        # the handover's step
    assert week == 21
    opened = a["cases_opened"].sum(axis=1)
    assert opened[week:].mean() > 1.3 * opened[:week].mean()
    sat = np.nanmean(a["satisfaction_handover"], axis=1)
    assert sat[-1] < sat[week]
    s = sim.summary()
    assert s["start"] == "2017-01-02"


def test_city_file_round_trip(small: Scenario, tmp_path: object) -> None:
    """Saves and loads the engine's city exactly; a run on the loaded city is identical."""
    from pathlib import Path

    from community_governance.simulation.engine import city_for

    city = city_for(small.city.seed, small.city.scale)
    loaded = SimCity.load(city.save(Path(str(tmp_path)) / "city.npz"))
    assert loaded.community_codes == city.community_codes
    assert loaded.compound_codes == city.compound_codes
    assert np.array_equal(loaded.ages, city.ages)
    assert np.array_equal(loaded.household_compound, city.household_compound)
    a = Simulation(small, seed=1, city=city).run().summary()
    b = Simulation(small, seed=1, city=loaded).run().summary()
    assert a == b
