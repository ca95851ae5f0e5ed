"""The mechanisms inside the engine (机制的引擎部分): their state and their part of a step.

:class:`~community_governance.simulation.engine.Simulation` inherits :class:`MechanismsMixin`;
``__init__`` calls :meth:`MechanismsMixin._mechanisms_init` once the static structure is built,
and ``step`` calls the ``_mech_*`` methods at their places in the order of a step (see
``docs/simulation-mechanisms.md``). Each mechanism draws from its own named stream.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from community_governance.simulation.engine.arrays import Arr, _fen
from community_governance.simulation.mechanisms.civic import CivicModel
from community_governance.simulation.mechanisms.culture import CultureModel
from community_governance.simulation.mechanisms.money import BudgetModel
from community_governance.simulation.mechanisms.orgs import (
    OrgPopulation,
    OrgsModel,
    score_grade,
)
from community_governance.simulation.mechanisms.party import PartyModel
from community_governance.simulation.mechanisms.property import PropertyModel
from community_governance.simulation.mechanisms.workforce import WorkforceModel, WorkforceState

if TYPE_CHECKING:
    import datetime as dt

    from community_governance.plugins import Hooks
    from community_governance.simulation.engine.city import SimCity
    from community_governance.simulation.engine.streams import Streams
    from community_governance.simulation.scenario import Scenario

__all__ = ["MECHANISM_HOOKS", "MechanismsMixin"]

#: ``hook -> protocol`` of the mechanisms' models.
MECHANISM_HOOKS: dict[str, type] = {
    "cgov_sim_workforce_model": WorkforceModel,
    "cgov_sim_budget_model": BudgetModel,
    "cgov_sim_culture_model": CultureModel,
    "cgov_sim_civic_model": CivicModel,
    "cgov_sim_property_model": PropertyModel,
    "cgov_sim_orgs_model": OrgsModel,
    "cgov_sim_party_model": PartyModel,
}


def _checker(kind: type, hook: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, kind):
            raise TypeError(f"{hook} must answer an object with the methods of "
                            f"{kind.__name__}")
        return value

    return check


class MechanismsMixin:
    """State and step parts of the mechanisms (see the module docstring)."""

    scenario: Scenario
    city: SimCity
    hooks: Hooks
    streams: Streams
    n_communities: int
    r_comm: Arr
    h_comm: Arr
    ages: Arr
    by_res: Any
    by_hh: Any
    handover_h: Arr
    step_starts: list[dt.date]
    funds: Arr

    def _mechanisms_init(self, county: str | None) -> None:
        sc, c = self.scenario, self.city
        n_c = self.n_communities
        models: dict[str, Any] = {}
        for hook, kind in MECHANISM_HOOKS.items():
            models[hook] = self.hooks.first(hook, _checker(kind, hook), place=county,
                                            scenario=sc, county_code=county)
        self.workforce: WorkforceModel = models["cgov_sim_workforce_model"]
        self.budget: BudgetModel = models["cgov_sim_budget_model"]
        self.culture_model: CultureModel = models["cgov_sim_culture_model"]
        self.civic: CivicModel = models["cgov_sim_civic_model"]
        self.property_model: PropertyModel = models["cgov_sim_property_model"]
        self.orgs_model: OrgsModel = models["cgov_sim_orgs_model"]
        self.party_model: PartyModel = models["cgov_sim_party_model"]

        # workforce: base posts (permanent first) and posts paid by staff channels
        staff = np.asarray(self.staff_c, dtype=np.int64)  # type: ignore[attr-defined]
        perm = np.minimum(staff, sc.staff.permanent_per_community)
        wage = float(sc.staff.temporary_wage_cny_per_year)
        self.staff_channels = [(ch, self.budget.channel_posts(float(ch.cny_per_year), wage))
                               for ch in sc.funds.channels if ch.use == "staff"]
        extra = sum(k for _, k in self.staff_channels)
        comm, permanent, funded, opens = [], [], [], []
        for i in range(n_c):
            n_base = int(staff[i])
            comm += [i] * (n_base + extra)
            permanent += [j < perm[i] for j in range(n_base)] + [False] * extra
            funded += [False] * n_base + [True] * extra
            opens += [ch.start or sc.run.start for ch, k in self.staff_channels
                      for _ in range(k)]
        n_p = len(comm)
        state = WorkforceState(
            community=np.array(comm, dtype=np.int64), permanent=np.array(permanent, bool),
            funded_by_channel=np.array(funded, bool), filled=np.zeros(n_p, bool),
            tenure_weeks=np.zeros(n_p), hires=np.zeros(n_c), leavers=np.zeros(n_c))
        self.post_opens = opens
        self.posts = self.workforce.start(state, self.streams.generator("init.staff"))
        self.wage_fen_per_year = _fen(sc.staff.temporary_wage_cny_per_year)

        # party members and council seats
        self.party = self.party_model.members(
            self.ages, self.streams.generator("init.party").random(c.n_residents))
        adult = self.ages >= 18
        w = np.where(self.party, sc.party.council_preference, 1.0) * adult
        w_c = self.by_res.sum(w)
        p_seat = np.minimum(1.0, sc.councils.seats * c.scale * w
                            / np.maximum(w_c[self.r_comm], 1e-12))
        self.seat = self.streams.generator("init.councils").random(c.n_residents) < p_seat
        self.seat_idx = np.flatnonzero(self.seat)
        self.informed = np.zeros(n_c)
        self.voice = np.zeros(n_c)
        self.meetings_c = np.zeros(n_c, dtype=np.int64)

        # property companies of the handed-over compounds
        ho = np.unique(c.household_compound[self.handover_h])
        self.ho_compounds = ho[ho >= 0]
        self.ho_index = np.full(max(len(c.compound_codes), 1), -1, dtype=np.int64)
        self.ho_index[self.ho_compounds] = np.arange(self.ho_compounds.size)
        self.h_ho = np.where(self.handover_h, self.ho_index[np.maximum(
            c.household_compound, 0)], -1)
        q_comm = np.zeros(self.ho_compounds.size, dtype=np.int64)
        q_comm[self.h_ho[self.handover_h]] = self.h_comm[self.handover_h]
        self.ho_comm = q_comm
        self.managed, self.quality = self.property_model.start(
            self.ho_compounds.size, self.streams.generator("init.property"))

        # social organizations
        schemes = [self.hooks.first("cgov_orgs_grade_scheme", _scheme_check, place=code,
                                    community_code=code) for code in c.community_codes]
        from community_governance.plugins import expect_int

        tiers: dict[tuple[int, str | None], int] = {}
        check_tier = expect_int(minimum=0, maximum=3)

        def tier_for(i: int, grade: str | None) -> int:
            key = (i, grade)
            if key not in tiers:
                code = c.community_codes[i]
                tiers[key] = self.hooks.first("cgov_orgs_bid_tier", check_tier, place=code,
                                              community_code=code, grade=grade)
            return tiers[key]

        self.orgs = OrgPopulation(self.orgs_model, sc.orgs, n_c,
                                  lambda i, s: score_grade(schemes[i], s), tier_for)
        self.orgs.start(self.streams.generator("init.orgs"))
        self.purchase_fen_per_year = np.full(n_c, _fen(sc.orgs.purchase_cny_per_year)
                                             + sum(_fen(ch.cny_per_year) for ch in
                                                   sc.funds.channels if ch.use == "services"),
                                             dtype=np.int64)
        self.cost_per_case_fen = _fen(sc.orgs.cost_per_case_cny)
        self.reserve = np.zeros(n_c, dtype=np.int64)

    # --- parts of a step -------------------------------------------------------------------

    def _mech_staff(self, t: int, rng: np.random.Generator, years: float) -> tuple[Arr, Arr]:
        """Turnover; returns ``(effective staff, wages paid in fen)`` per community."""
        d0 = self.step_starts[t]
        n_c = self.n_communities
        st = self.posts
        open_ = ~st.funded_by_channel
        if self.post_opens:
            open_ = open_.copy()
            open_[st.funded_by_channel] = np.array([d <= d0 for d in self.post_opens])
        self.posts = st = self.workforce.step(st, open_, years * 52.0, rng)
        eff = np.bincount(st.community, weights=self.workforce.productivity(st), minlength=n_c)
        paid = st.filled & st.funded_by_channel
        wages = (np.bincount(st.community[paid], minlength=n_c)
                 * (self.wage_fen_per_year * years)).astype(np.int64)
        wages = np.minimum(wages, np.maximum(self.funds[:, 0], 0))
        self.funds[:, 0] -= wages
        return eff, wages

    def _mech_civic(self, rng: np.random.Generator, years: float) -> tuple[Arr, Arr]:
        meetings, disclosures = self.civic.events(self.n_communities, years, rng)
        self.informed, self.voice = self.civic.update(self.informed, self.voice, meetings,
                                                      disclosures, years)
        self.meetings_c = meetings
        return meetings, disclosures

    def _mech_purchase(self, t: int, rng: np.random.Generator, years: float,
                       new_year: bool) -> tuple[Arr, Arr]:
        """Tenders and this step's payment; returns ``(paid fen, cases delivered at full
        scale)`` per community."""
        self.orgs.step(years, new_year, t, self.purchase_fen_per_year, rng)
        has = np.array([a is not None for a in self.orgs.contractor])
        planned = np.where(has, (self.purchase_fen_per_year * years).astype(np.int64), 0)
        paid = self.budget.purchase_payment(planned, np.maximum(self.funds[:, 3], 0))
        self.funds[:, 3] -= paid
        d1 = self.step_starts[t + 1]
        days_left = max((type(d1)(d1.year + 1, 1, 1) - d1).days, 0)
        self.reserve = np.where(has, self.purchase_fen_per_year * days_left // 365, 0)
        return paid, self.orgs.delivered(paid, self.cost_per_case_fen)

    def _mech_case_rates(self, base: Arr, extra: Arr) -> Arr:
        """Per household, the yearly-step case rate with the property companies' relief:
        ``base + extra * factor``."""
        if not self.ho_compounds.size:
            return base + extra
        factor = self.property_model.case_factor(self.managed, self.quality)
        f_h = np.where(self.h_ho >= 0, factor[np.maximum(self.h_ho, 0)], 1.0)
        out: Arr = base + extra * f_h
        return out

    def _mech_satisfaction_shift(self) -> Arr:
        if not self.ho_compounds.size:
            return np.zeros(self.city.n_households)
        shift = self.property_model.satisfaction_shift(self.managed, self.quality)
        out: Arr = np.where(self.h_ho >= 0, shift[np.maximum(self.h_ho, 0)], 0.0)
        return out

    def _mech_property(self, rng: np.random.Generator, years: float) -> None:
        if self.ho_compounds.size:
            self.managed, self.quality = self.property_model.step(
                self.managed, self.quality, self.meetings_c[self.ho_comm], years, rng)


def _scheme_check(value: Any) -> Any:
    from community_governance.domain.orgs import GradeScheme

    if not isinstance(value, GradeScheme):
        raise TypeError("expected a GradeScheme")
    return value
