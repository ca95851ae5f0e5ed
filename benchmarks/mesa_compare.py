"""The same agent model on NumPy arrays and as Mesa 3 agents (issue 19 item 8).

The model is the engine's resident-level core, word for word on both sides (the engine's
case queue, funds and satisfaction are community- or household-level arithmetic and stay
out of it). Every week, with ``years = 7/365``:

1. each community holds ``Poisson(activities_per_year * years)`` activities; its points
   supermarket is open while it has goods left for the year (the scenario's budget);
2. each resident attends with ``1 - (1 - p)^activities``, ``p = sigmoid(b0 + b_id*I +
   b_old*[age>=60] + b_child*[age<14] + b_cult*C + b_nb*S + b_pts*inc_a)``, ``S`` the share
   of the resident's community that took part last week, ``inc_a`` the incentive of an hour
   of attendance (``x/(x+1)`` of the goods it buys, 0 when the supermarket is closed);
3. joins or leaves a culture group (hazards ``join*w(age)`` and ``leave``), becomes a
   volunteer or quits (hazards ``from_culture`` or ``from_others`` times ``1 + b_pts*inc_s``,
   and ``quit``), and a volunteer serves with ``sigmoid(serve_logit + serve_id*I +
   b_pts*inc_s)``;
4. earns the library's points per attendance and per service (``cgov_points_standard`` of the
   scenario), and a holder with at least ``min_points`` visits the supermarket with
   ``weekly_probability`` and asks for ``floor(share * balance)`` points of goods; in a random
   queue per community, requests are granted until one no longer fits the goods left (the
   supermarket then closes for the week);
5. identification moves towards ``w_s*s0 + w_p*participated`` by ``adjust_per_step``.

:func:`run_numpy` holds the agents as arrays and uses the library's behaviour classes
(:mod:`community_governance.simulation.behaviours`), as the engine does. :class:`MesaCore` is
idiomatic Mesa 3: ``Resident`` and ``Community`` agents created with ``create_agents``, the
week as ``AgentSet.do`` / ``shuffle_do`` calls, ``self.random`` for draws, a ``DataCollector``
of model-level reporters; tuned: probabilities that do not depend on the agent are computed
once per week on the model, agents keep plain attributes, and the reporters are aggregated
with ``AgentSet.agg``.

``benchmarks/bench_mesa.py`` checks that both give the same outputs in distribution
(two-sample Kolmogorov-Smirnov over seeds) and times them.
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np

from community_governance.simulation.behaviours import (
    DefaultParticipationModel,
    DefaultRedemptionModel,
    DefaultVolunteeringModel,
    incentive_signal,
)
from community_governance.simulation.engine import SimCity
from community_governance.simulation.scenario import Scenario

OUTPUTS = ("volunteers_end", "culture_end", "points_issued", "points_redeemed",
           "participation_rate_mean", "identification_end")


@attrs.frozen
class CoreParams:
    """What both implementations read from the scenario."""

    scenario: Scenario
    points_attendance: int
    points_service: int
    steps: int

    @property
    def years(self) -> float:
        return self.scenario.run.step_days / 365.0

    @classmethod
    def of(cls, scenario: Scenario, steps: int | None = None) -> CoreParams:
        """The scenario's points per attendance and service, through the library's scoring
        (``rate`` points an hour when the scenario sets one)."""
        rate = scenario.points.rate if scenario.points.rate is not None else 8
        a = rate * round(scenario.activities.hours * 60) // 60
        s = rate * round(scenario.behaviour.volunteering.hours_per_service * 60) // 60
        return cls(scenario, a, s, steps or scenario.run.steps)

    def incentives(self) -> tuple[float, float]:
        """The incentive of an hour of attendance and of service with the supermarket open."""
        sc = self.scenario
        value = sc.points.point_value_fen / 100.0
        ia = float(incentive_signal(self.points_attendance * value / sc.activities.hours))
        isv = float(incentive_signal(self.points_service * value
                                     / sc.behaviour.volunteering.hours_per_service))
        return ia, isv

    def budget_fen(self, city: SimCity) -> int:
        return int(int(self.scenario.supermarket.budget_cny_per_community * 100) * city.scale)


def _start(city: SimCity, p: CoreParams, rng: np.random.Generator) -> dict[str, Any]:
    """The starting state, drawn the same way for both implementations."""
    b = p.scenario.behaviour
    n = city.n_residents
    culture = rng.random(n) < b.culture.initial_share
    volunteer = rng.random(n) < b.volunteering.initial_share
    ident = np.clip(rng.normal(b.identification.initial_mean, b.identification.initial_sd, n),
                    0, 1)
    comm = city.household_community[city.resident_household].astype(np.int64)
    return {"culture": culture, "volunteer": volunteer, "ident": ident, "comm": comm}


def run_numpy(city: SimCity, p: CoreParams, seed: int) -> dict[str, float]:
    """The model on arrays (the engine's way). Returns :data:`OUTPUTS`."""
    sc, b = p.scenario, p.scenario.behaviour
    rng = np.random.default_rng(seed)
    st = _start(city, p, rng)
    culture, volunteer, ident, comm = st["culture"], st["volunteer"], st["ident"], st["comm"]
    ages = city.ages
    n, n_c = city.n_residents, len(city.community_codes)
    size_c = np.bincount(comm, minlength=n_c)
    part = DefaultParticipationModel(b.participation)
    vol = DefaultVolunteeringModel(b.culture, b.volunteering)
    red = DefaultRedemptionModel(b.redemption)
    ia, isv = p.incentives()
    left = np.full(n_c, p.budget_fen(city), dtype=np.int64)
    value = sc.points.point_value_fen
    share = np.zeros(n_c)
    balance = np.zeros(n, dtype=np.int64)
    issued = redeemed = 0
    part_sum = 0.0
    lam = sc.activities.per_community_per_year * p.years
    idb = b.identification
    target_s = idb.satisfaction * b.satisfaction.initial
    for _ in range(p.steps):
        acts = rng.poisson(lam, n_c)
        open_ = left > 0
        inc_a, inc_s = ia * open_[comm], isv * open_[comm]
        p1 = part.attend_probability(ident, ages, culture, share[comm], inc_a, False, False)
        a_r = acts[comm]
        attended = rng.random(n) < -np.expm1(a_r * np.log1p(-np.minimum(p1, 1 - 1e-12)))
        culture ^= rng.random(n) < vol.culture_probabilities(ages, culture, p.years)
        volunteer ^= rng.random(n) < vol.volunteer_probabilities(ages, culture, volunteer,
                                                                 inc_s, p.years)
        served = volunteer & (rng.random(n) < vol.serve_probability(ident, inc_s))
        earned = p.points_attendance * attended + p.points_service * served
        balance += earned
        issued += int(earned.sum())
        want = red.redeem(balance, rng.random(n))
        who = np.flatnonzero(want > 0)
        if who.size:
            order = np.lexsort((rng.random(who.size), comm[who]))
            who = who[order]
            cost = want[who] * value
            c = comm[who]
            cum = np.cumsum(cost)
            first = np.searchsorted(c, np.arange(n_c))
            within = cum - np.concatenate([[0], cum])[first][c]
            ok = within <= left[c]
            balance[who[ok]] -= want[who[ok]]
            redeemed += int(want[who[ok]].sum())
            left -= np.bincount(c[ok], weights=cost[ok], minlength=n_c).astype(np.int64)
        participated = attended | served
        part_sum += participated.mean()
        share = np.bincount(comm, weights=participated, minlength=n_c) / np.maximum(size_c, 1)
        ident = np.clip(ident + idb.adjust_per_step * (
            target_s + idb.participation * participated - ident), 0, 1)
    return {"volunteers_end": float(volunteer.sum()), "culture_end": float(culture.sum()),
            "points_issued": float(issued), "points_redeemed": float(redeemed),
            "participation_rate_mean": part_sum / p.steps,
            "identification_end": float(ident.mean())}


def mesa_model_class() -> type:
    """The Mesa 3 model class (built on first use, so that importing this module does not
    need Mesa)."""
    import mesa

    class Community(mesa.Agent):  # type: ignore[misc]
        """A community: its activities this week and its supermarket's goods left."""

        def __init__(self, model: Any, budget: int) -> None:
            super().__init__(model)
            self.left = budget
            self.activities = 0
            self.open = True
            self.queue_open = True
            self.members = 0
            self.took_part = 0
            self.share = 0.0

        def plan(self) -> None:
            m = self.model
            self.activities = m.np_random.poisson(m.lam)
            self.open = self.left > 0
            self.queue_open = True
            self.share = self.took_part / max(self.members, 1)
            self.took_part = 0

    class Resident(mesa.Agent):  # type: ignore[misc]
        """A resident: age, community, culture group, volunteering, identification, points."""

        def __init__(self, model: Any, age: int, community: Any, culture: bool,
                     volunteer: bool, ident: float) -> None:
            super().__init__(model)
            self.age = age
            self.community = community
            self.culture = culture
            self.volunteer = volunteer
            self.ident = ident
            self.balance = 0
            self.want = 0
            self.participated = False
            m = model
            self.age_logit = (m.pp.elderly if age >= 60 else m.pp.child if age < 14 else 0.0)
            self.p_join = m.p_join * (m.cb.elderly_weight if age >= 60 else
                                      1.0 if age >= 14 else 0.0)
            self.from_others = m.vb.from_others_per_year if age >= 14 else 0.0

        def step(self) -> None:
            m, c, r = self.model, self.community, self.random.random
            open_ = c.open
            inc_a = m.ia if open_ else 0.0
            inc_s = m.isv if open_ else 0.0
            attended = False
            if c.activities:
                x = (m.b0 + m.pp.identification * self.ident + m.pp.neighbours * c.share
                     + m.pp.points_incentive * inc_a + self.age_logit
                     + (m.pp.culture_member if self.culture else 0.0))
                p1 = min(1.0 / (1.0 + math.exp(-x)), 1 - 1e-12)
                attended = r() < 1.0 - (1.0 - p1) ** c.activities
            if self.culture:
                if r() < m.p_leave:
                    self.culture = False
            elif r() < self.p_join:
                self.culture = True
            if self.volunteer:
                if r() < m.p_quit:
                    self.volunteer = False
            else:
                base = m.vb.from_culture_per_year if self.culture else self.from_others
                if r() < -math.expm1(-base * m.years * (1.0 + m.vb.points_incentive * inc_s)):
                    self.volunteer = True
            served = False
            if self.volunteer:
                x = m.vb.serve_logit + m.vb.serve_identification * self.ident + \
                    m.vb.points_incentive * inc_s
                served = r() < 1.0 / (1.0 + math.exp(-x))
            earned = m.pts_a * attended + m.pts_s * served
            self.balance += earned
            m.issued += earned
            self.want = 0
            if self.balance >= m.min_points and r() < m.rb.weekly_probability:
                self.want = math.floor(self.balance * m.rb.share_of_balance)
            self.participated = attended or served
            if self.participated:
                c.took_part += 1
            s = self.ident + m.idb.adjust_per_step * (
                m.target_s + m.idb.participation * self.participated - self.ident)
            self.ident = 0.0 if s < 0 else 1.0 if s > 1 else s

        def redeem(self) -> None:
            if not self.want:
                return
            c, m = self.community, self.model
            cost = self.want * m.value
            if c.queue_open and cost <= c.left:
                c.left -= cost
                self.balance -= self.want
                m.redeemed += self.want
            else:
                c.queue_open = False  # the goods ran out for this week

    class MesaCore(mesa.Model):  # type: ignore[misc]
        """The model of :mod:`mesa_compare` as Mesa 3 agents."""

        def __init__(self, city: SimCity, p: CoreParams, seed: int) -> None:
            super().__init__(seed=seed)
            sc, b = p.scenario, p.scenario.behaviour
            self.np_random = np.random.default_rng(seed)
            self.steps_total = p.steps
            self.years = p.years
            self.pp, self.cb, self.vb, self.rb = (b.participation, b.culture, b.volunteering,
                                                  b.redemption)
            self.idb = b.identification
            self.b0 = b.participation.base_logit
            self.p_join = -math.expm1(-b.culture.join_per_year * p.years)
            self.p_leave = -math.expm1(-b.culture.leave_per_year * p.years)
            self.p_quit = -math.expm1(-b.volunteering.quit_per_year * p.years)
            self.min_points = max(b.redemption.min_points, 1)
            self.lam = sc.activities.per_community_per_year * p.years
            self.ia, self.isv = p.incentives()
            self.pts_a, self.pts_s = p.points_attendance, p.points_service
            self.value = sc.points.point_value_fen
            self.target_s = b.identification.satisfaction * b.satisfaction.initial
            self.issued = self.redeemed = 0
            st = _start(city, p, self.np_random)
            n_c = len(city.community_codes)
            self.communities = Community.create_agents(self, n_c, budget=p.budget_fen(city))
            comms = list(self.communities)
            members = [comms[int(i)] for i in st["comm"]]
            self.residents = Resident.create_agents(
                self, city.n_residents, age=city.ages.tolist(), community=members,
                culture=st["culture"].tolist(), volunteer=st["volunteer"].tolist(),
                ident=st["ident"].tolist())
            for c, k in zip(comms, np.bincount(st["comm"], minlength=n_c), strict=True):
                c.members = int(k)
            self.datacollector = mesa.DataCollector(model_reporters={
                "participation": lambda m: m.residents.agg("participated", sum)
                / len(m.residents)})

        def step(self) -> None:
            self.communities.do("plan")
            self.residents.do("step")
            self.residents.shuffle_do("redeem")
            self.datacollector.collect(self)
            if self.steps >= self.steps_total:
                self.running = False

        def outputs(self) -> dict[str, float]:
            df = self.datacollector.get_model_vars_dataframe()
            return {"volunteers_end": float(self.residents.agg("volunteer", sum)),
                    "culture_end": float(self.residents.agg("culture", sum)),
                    "points_issued": float(self.issued),
                    "points_redeemed": float(self.redeemed),
                    "participation_rate_mean": float(df["participation"].mean()),
                    "identification_end": float(self.residents.agg("ident", np.mean))}

    return MesaCore


def run_mesa(city: SimCity, p: CoreParams, seed: int) -> dict[str, float]:
    """The model as Mesa agents. Returns :data:`OUTPUTS`."""
    model = mesa_model_class()(city, p, seed)
    for _ in range(p.steps):
        model.step()
    out: dict[str, float] = model.outputs()
    return out
