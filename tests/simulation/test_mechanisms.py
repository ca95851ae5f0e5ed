"""The mechanisms of the study's problems and recommendations (simulation.mechanisms)."""

from __future__ import annotations

import importlib
from typing import Any

import attrs
import numpy as np
import pytest

from community_governance.domain.orgs import OrgStage
from community_governance.errors import PluginError, ValidationError
from community_governance.markers import hookimpl
from community_governance.simulation.engine import SimCity, Simulation, city_for
from community_governance.simulation.engine.streams import STREAMS, stream_key
from community_governance.simulation.experiments import RECOMMENDATIONS, run_recommendation
from community_governance.simulation.mechanisms.civic import DefaultCivicModel
from community_governance.simulation.mechanisms.culture import DefaultCultureModel
from community_governance.simulation.mechanisms.workforce import (
    DefaultWorkforceModel,
    WorkforceState,
)
from community_governance.simulation.scenario import (
    CouncilPolicy,
    CultureBehaviour,
    Scenario,
    StaffPolicy,
)

from .sim_helpers import minimal_doc, tiny_city

SEEDS = (1, 2, 3)


@pytest.fixture(scope="module")
def base() -> Scenario:
    """The baseline on a 2 % sample, 30 weeks."""
    from community_governance.simulation.scenario import load_scenario

    return load_scenario("yima-2019").with_overrides({"city.scale": 0.02, "run.steps": 30})


@pytest.fixture(scope="module")
def city(base: Scenario) -> SimCity:
    """The 2 % city."""
    return city_for(base.city.seed, base.city.scale)


def _mean(sc: Scenario, city: SimCity, key: str, seeds: tuple[int, ...] = SEEDS,
          plugins: tuple[object, ...] = ()) -> float:
    return float(np.mean([Simulation(sc, seed=s, city=city, plugins=plugins).run()
                          .summary()[key] for s in seeds]))


def _paired(base: Scenario, arm: dict[str, Any], city: SimCity, key: str) -> list[float]:
    out = []
    for s in SEEDS:
        a = Simulation(base, seed=s, city=city).run().summary()[key]
        b = Simulation(base.with_overrides(arm), seed=s, city=city).run().summary()[key]
        out.append(float(b) - float(a))
    return out


class TestWorkforce:
    def _state(self, n: int, permanent: bool = False) -> WorkforceState:
        return WorkforceState(
            community=np.zeros(n, dtype=np.int64), permanent=np.full(n, permanent),
            funded_by_channel=np.zeros(n, bool), filled=np.zeros(n, bool),
            tenure_weeks=np.zeros(n), hires=np.zeros(1), leavers=np.zeros(1))

    def test_starts_at_the_steady_state_vacancy_share(self) -> None:
        """About q L / (52 + q L) of the posts start empty."""
        m = DefaultWorkforceModel(StaffPolicy(temporary_quit_per_year=0.5,
                                              hiring_lag_weeks=10.4))
        st = m.start(self._state(20_000), np.random.default_rng(1))
        assert abs((1 - st.filled.mean()) - 5.2 / 57.2) < 0.01

    def test_a_new_member_works_at_the_new_hire_share_and_learns(self) -> None:
        """Productivity is p0 at tenure 0 and approaches 1."""
        m = DefaultWorkforceModel(StaffPolicy(new_hire_productivity=0.4, learning_weeks=12))
        st = attrs.evolve(self._state(2), filled=np.array([True, True]),
                          tenure_weeks=np.array([0.0, 120.0]))
        p = m.productivity(st)
        assert p[0] == pytest.approx(0.4)
        assert p[1] == pytest.approx(1 - 0.6 * np.exp(-10))

    def test_without_turnover_every_post_is_filled_and_productive(self) -> None:
        """turnover = false restores capacity linear in head count."""
        m = DefaultWorkforceModel(StaffPolicy(turnover=False))
        st = m.start(self._state(5), np.random.default_rng(1))
        st = m.step(st, np.ones(5, bool), 1.0, np.random.default_rng(2))
        assert st.filled.all() and m.productivity(st) == pytest.approx(np.ones(5))

    def test_capacity_is_not_linear_in_head_count(self, base: Scenario, city: SimCity) -> None:
        """Two more temporary posts add fewer than two effective staff; making two temporary
        posts permanent adds effective staff with no more posts; without turnover effective
        staff equals the posts."""
        more = _paired(base, {"staff.per_community": 9}, city, "staff_effective_mean")
        assert all(0 < d < 2 for d in more)
        perm = _paired(base, {"staff.permanent_per_community": 4}, city,
                       "staff_effective_mean")
        assert np.mean(perm) > 0
        flat = base.with_overrides({"staff.turnover": False})
        s = Simulation(flat, seed=1, city=city).run().summary()
        assert s["staff_effective_mean"] == pytest.approx(7.0)
        assert s["staff_in_post_mean"] == pytest.approx(7.0)

    def test_a_staff_channel_opens_paid_posts(self, base: Scenario, city: SimCity) -> None:
        """48,000 CNY a year at 24,000 a post opens two posts, hired and paid."""
        sc = base.with_overrides({"funds.channels": [
            {"name": "paid services", "cny_per_year": 48000, "use": "staff"}]})
        s = Simulation(sc, seed=1, city=city).run().summary()
        b = Simulation(base, seed=1, city=city).run().summary()
        assert s["wages_fen"] > 0 and b["wages_fen"] == 0
        assert s["staff_in_post_mean"] > b["staff_in_post_mean"]


class TestMoney:
    def test_cutting_partner_funds_lowers_participation(self, base: Scenario,
                                                        city: SimCity) -> None:
        """Without partner money the supermarket's till is empty: no redemptions, the
        incentive falls, participation and points issued fall in every seed."""
        d = _paired(base, {"funds.partner_cny_per_year": 0}, city, "participation_rate_mean")
        assert all(x < 0 for x in d)
        s = Simulation(base.with_overrides({"funds.partner_cny_per_year": 0}), seed=1,
                       city=city).run().summary()
        assert s["points_redeemed"] == 0


class TestCulture:
    def test_attending_recruits_members(self) -> None:
        """An attendee joins with at least j; a non-attendee at the background rate."""
        m = DefaultCultureModel(CultureBehaviour(join_per_year=0.0, join_per_attendance=0.2))
        ages = np.array([30, 30, 70], dtype=np.int16)
        p = m.membership_probabilities(ages, np.array([False, False, True]),
                                       np.array([True, False, True]), 7 / 365)
        assert p[0] == pytest.approx(0.2) and p[1] == 0.0
        assert p[2] == pytest.approx(-np.expm1(-m.params.leave_per_year * 7 / 365))

    def test_activities_feed_culture_groups_and_volunteers(self, base: Scenario,
                                                           city: SimCity) -> None:
        """More recruitment per attendance gives more members and, with the lag of the
        volunteering hazard, more volunteers within a year."""
        year = base.with_overrides({"run.steps": 52})
        arm = {"behaviour.culture.join_per_attendance": 0.3}
        assert all(d > 0 for d in _paired(year, arm, city, "culture_members_end"))
        vol = _paired(year, arm, city, "volunteers_end")
        assert all(d >= 0 for d in vol) and np.mean(vol) > 0


class TestCivic:
    def test_disclosure_informs_and_decays(self) -> None:
        """One disclosure of reach r informs r of the uninformed; without one it decays."""
        m = DefaultCivicModel(CouncilPolicy(disclosure_reach=0.3, informed_decay_per_year=1.0))
        i, v = m.update(np.array([0.0, 0.5]), np.zeros(2), np.zeros(2, np.int64),
                        np.array([1, 0]), 0.5)
        assert i[0] == pytest.approx(0.3) and i[1] == pytest.approx(0.5 * np.exp(-0.5))
        assert (v == 0).all()

    def test_councils_raise_identification_and_participation(self, base: Scenario,
                                                             city: SimCity) -> None:
        """Monthly councils and disclosure raise voice, identification and participation."""
        arm = {"councils.meetings_per_year": 12, "councils.disclosures_per_year": 12}
        assert all(d > 0 for d in _paired(base, arm, city, "identification_end"))
        assert np.mean(_paired(base, arm, city, "participation_rate_mean")) > 0


class TestProperty:
    def test_property_companies_relieve_cases_and_raise_satisfaction(
            self, base: Scenario, city: SimCity) -> None:
        """Every handed-over compound managed by a good company: fewer cases, more
        satisfied households than with none."""
        good = {"property.initial_managed_share": 1.0, "property.quality_mean": 0.95,
                "property.exit_per_year": 0.0}
        none = {"property.initial_managed_share": 0.0, "property.entry_per_year": 0.0}
        a = [Simulation(base.with_overrides(good), seed=s, city=city).run().summary()
             for s in SEEDS]
        b = [Simulation(base.with_overrides(none), seed=s, city=city).run().summary()
             for s in SEEDS]
        assert all(x["cases_opened"] < y["cases_opened"] for x, y in zip(a, b, strict=True))
        assert all(x["satisfaction_handover_end"] > y["satisfaction_handover_end"]
                   for x, y in zip(a, b, strict=True))
        assert b[0]["unmanaged_households_end"] > 0 == a[0]["unmanaged_households_end"]


class TestOrgs:
    def test_incubation_and_tendering_deliver_purchased_cases(self, base: Scenario,
                                                              city: SimCity) -> None:
        """Purchase money with an incubator buys cases; the organizations go through the
        library's lifecycle."""
        sc = base.with_overrides({"orgs.purchase_cny_per_year": 20000, "orgs.incubator": True,
                                  "orgs.proposals_per_year": 2.0, "orgs.incubation_weeks": 4,
                                  "run.steps": 40})
        sim = Simulation(sc, seed=1, city=city).run()
        s = sim.summary()
        assert s["purchased_cases"] > 0 and s["purchase_paid_fen"] > 0
        assert {a.stage for a in sim.orgs.agents} <= set(OrgStage)
        assert any(a.incubated and a.stage is OrgStage.ACTIVE for a in sim.orgs.agents)
        none = Simulation(base, seed=1, city=city).run().summary()
        assert none["purchased_cases"] == 0

    def test_bid_tiers_are_the_places_rules(self) -> None:
        """Ungraded organizations bid under the national rule (tier 2) but not in 湖滨区
        (tier 0): the same poor organizations win contracts in Yima only."""
        hubin = importlib.import_module("cgov_hubin.plugin")
        doc = minimal_doc(city={"scale": 1.0}, orgs={
            "initial": 6, "quality_mean": 0.05, "purchase_cny_per_year": 20000,
            "proposals_per_year": 0.0, "fail_per_year": 0.0})
        sc = Scenario.from_dict(doc)
        yima = Simulation(sc, seed=1, city=tiny_city()).run().summary()
        hb_city = attrs.evolve(tiny_city(), community_codes=("411202001001", "411202001002"))
        hb = Simulation(sc, seed=1, city=hb_city, plugins=[hubin]).run().summary()
        assert yima["purchase_paid_fen"] > 0
        assert hb["purchase_paid_fen"] == 0

    def test_a_bid_tier_out_of_range_names_the_hook(self, base: Scenario,
                                                    city: SimCity) -> None:
        """A plugin answering tier 7 is refused with a PluginError naming the hook."""

        class Bad:
            @hookimpl
            def cgov_orgs_bid_tier(self, community_code: str, grade: str | None) -> int:
                return 7

        sc = base.with_overrides({"orgs.initial": 3, "orgs.purchase_cny_per_year": 1000})
        with pytest.raises(PluginError, match="cgov_orgs_bid_tier"):
            Simulation(sc, seed=1, city=city, plugins=[Bad()]).run(max_steps=1)


class TestParty:
    def test_party_members_raise_participation(self, base: Scenario, city: SimCity) -> None:
        """Without party members, participation is lower in every seed."""
        assert all(d < 0 for d in _paired(base, {"party.member_share": 0.0}, city,
                                           "participation_rate_mean"))


class TestHooks:
    def test_a_plugin_replaces_a_mechanism(self, base: Scenario, city: SimCity) -> None:
        """A county's workforce model that never learns lowers the effective staff."""

        class NeverLearns:
            @hookimpl
            def cgov_sim_workforce_model(self, scenario: Scenario, county_code: str | None
                                         ) -> DefaultWorkforceModel:
                assert county_code == "411281"
                return DefaultWorkforceModel(attrs.evolve(
                    scenario.staff, learning_weeks=1e6, new_hire_productivity=0.1))

        got = _mean(base, city, "staff_effective_mean", plugins=(NeverLearns(),))
        assert got < _mean(base, city, "staff_effective_mean")

    def test_a_nonsense_answer_is_refused_naming_the_plugin(self, base: Scenario,
                                                            city: SimCity) -> None:
        """An answer without the model's methods raises PluginError naming the hook."""

        class Nonsense:
            @hookimpl
            def cgov_sim_party_model(self, scenario: Scenario, county_code: str | None
                                     ) -> object:
                return 42

        with pytest.raises(PluginError, match="cgov_sim_party_model"):
            Simulation(base, seed=1, city=city, plugins=[Nonsense()])

    def test_every_mechanism_has_its_own_stream(self) -> None:
        """The mechanisms' streams are named and their keys distinct."""
        mine = {"init.staff", "workforce", "init.councils", "councils", "init.property",
                "property", "init.orgs", "orgs", "init.party"}
        assert mine <= set(STREAMS)
        assert len({stream_key(s) for s in STREAMS}) == len(STREAMS)

    def test_councils_leave_the_case_side_unchanged_before_supervision_matters(
            self, city: SimCity) -> None:
        """Disclosure acts on identification only: cases opened and closed are identical
        seed by seed (common random numbers)."""
        from community_governance.simulation.scenario import load_scenario

        sc = load_scenario("yima-2019").with_overrides({"city.scale": 0.02, "run.steps": 12})
        a = Simulation(sc, seed=4, city=city).run().community_arrays()
        b = Simulation(sc.with_overrides({"councils.disclosures_per_year": 24}), seed=4,
                       city=city).run().community_arrays()
        for col in ("cases_opened", "cases_closed", "staff_effective"):
            assert np.array_equal(a[col], b[col]), col
        assert not np.array_equal(a["informed"], b["informed"])


class TestExperiments:
    def test_every_recommendation_is_a_valid_set_of_arms(self, base: Scenario) -> None:
        """Each arm's overrides validate against the baseline."""
        assert set(RECOMMENDATIONS) == {"social_organizations", "funding_channels",
                                        "permanent_staff", "councils_disclosure",
                                        "culture_groups"}
        for rec in RECOMMENDATIONS.values():
            for overrides in rec.arms.values():
                base.with_overrides(dict(overrides))

    def test_runs_a_recommendation_paired(self, base: Scenario, city: SimCity) -> None:
        """A recommendation runs as a paired comparison with one row per arm and metric."""
        cmp = run_recommendation(base.with_overrides({"run.steps": 10}), "permanent_staff",
                                 seeds=2, metrics=("staff_effective_mean",), city=city)
        assert cmp.table.height == 3
        with pytest.raises(ValidationError, match="unknown recommendation"):
            run_recommendation(base, "nothing")
