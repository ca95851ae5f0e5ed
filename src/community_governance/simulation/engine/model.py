"""The run (仿真运行): the state arrays, set up once, and the step that advances them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

try:
    import numpy as np
except ImportError as exc:  # the base install has no numpy
    from community_governance.errors import MissingExtra

    raise MissingExtra("numpy", "sim", "the simulation") from exc

from community_governance.errors import ValidationError
from community_governance.markers import hookimpl
from community_governance.plugins import working_day_calendar
from community_governance.simulation.behaviours import (
    CaseModel,
    OpinionModel,
    ParticipationModel,
    RedemptionModel,
    ServiceModel,
    VolunteeringModel,
    incentive_signal,
)
from community_governance.simulation.engine.arrays import (
    _MAX_AGE,
    _USE_ACCOUNT,
    ACCOUNTS,
    COMMUNITY_COLUMNS,
    FLAG_BITS,
    VISIT_FESTIVALS,
    Arr,
    _counts,
    _fen,
    _Groups,
)
from community_governance.simulation.engine.city import SimCity, city_for
from community_governance.simulation.engine.results import _Results
from community_governance.simulation.engine.streams import Streams
from community_governance.simulation.mechanisms.engine import MechanismsMixin
from community_governance.simulation.scenario import FundChannel, Scenario

__all__ = ["Simulation"]


class _ScenarioScoring:
    """The scenario's scoring standard, registered as a county plugin (记分标准)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate

    @hookimpl
    def cgov_points_standard(self, category: str, minutes: int, community_code: str) -> int:
        """``rate`` points an hour, whole points, for every category."""
        return self.rate * minutes // 60


def _check_model(kind: type) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, kind):
            raise TypeError(f"expected an object with the methods of {kind.__name__}")
        return value

    return check


class Simulation(_Results, MechanismsMixin):
    """A run of a scenario over a city (仿真运行), stepped like a Mesa model.

    Args:
        scenario: the validated scenario.
        seed: the behaviour seed; ``None`` takes ``scenario.run.seed``.
        city: the city to simulate; ``None`` generates (and caches) the scenario's city.
        plugins: further plugins (county rules, behaviour models), called before the defaults.
        entrypoints: also load installed plugins.
        reporters: ``name -> callable(sim) -> float``, collected after every step into
            :meth:`city_table`.
        ledger: also keep every points and money movement in :attr:`ledger` (slow; for
            replaying a small run through the services).

    Attributes:
        steps: steps done.
        running: ``False`` once the horizon is reached.
        ledger: with ``ledger=True``, the movements of every step: ``("earn", step,
            resident, points)``, ``("redeem", step, resident, points)`` and ``("fund", step,
            community, account, fen, purpose)`` (fen positive in, negative out; purpose
            ``allocation``, ``channel:<name>``, ``office``, ``activities``, ``supermarket`` or
            ``care``).
    """

    def __init__(
        self, scenario: Scenario, seed: int | None = None, *, city: SimCity | None = None,
        plugins: Sequence[object] = (), entrypoints: bool = False,
        reporters: Mapping[str, Callable[[Simulation], float]] | None = None,
        ledger: bool = False,
    ) -> None:
        from community_governance.calendars import WorkingDayCalendar, festivals
        from community_governance.domain.care import festival_round_day
        from community_governance.domain.cases import RouteLevel
        from community_governance.grids.model import GridPolicy, grid_count
        from community_governance.plugins import (
            Hooks,
            expect_int,
            get_plugin_manager,
        )

        self.scenario = sc = scenario
        self.seed = sc.run.seed if seed is None else int(seed)
        self.city = c = city if city is not None else city_for(sc.city.seed, sc.city.scale,
                                                               sc.city.generator)
        self.reporters = dict(reporters or {})
        self.keep_ledger = ledger
        self.ledger: list[tuple[Any, ...]] = []
        extra: list[object] = list(plugins)
        if sc.points.rate is not None:
            extra.append(_ScenarioScoring(sc.points.rate))
        self.hooks = hooks = Hooks(get_plugin_manager(entrypoints=entrypoints, extra=extra))
        self.streams = Streams(self.seed)
        self.steps = 0
        self.running = True
        n_c, n_h, n_r = len(c.community_codes), c.n_households, c.n_residents
        self.n_communities = n_c

        # --- the library's rules, asked once --------------------------------------------
        self.participation: ParticipationModel = hooks.first(
            "cgov_sim_participation_model", _check_model(ParticipationModel), scenario=sc)
        self.volunteering: VolunteeringModel = hooks.first(
            "cgov_sim_volunteering_model", _check_model(VolunteeringModel), scenario=sc)
        self.redemption: RedemptionModel = hooks.first(
            "cgov_sim_redemption_model", _check_model(RedemptionModel), scenario=sc)
        self.cases: CaseModel = hooks.first(
            "cgov_sim_cases_model", _check_model(CaseModel), scenario=sc)
        self.service: ServiceModel = hooks.first(
            "cgov_sim_service_model", _check_model(ServiceModel), scenario=sc)
        self.opinion: OpinionModel = hooks.first(
            "cgov_sim_opinion_model", _check_model(OpinionModel), scenario=sc)

        act_min = round(sc.activities.hours * 60)
        srv_min = round(sc.behaviour.volunteering.hours_per_service * 60)
        self.points_per_attendance = np.array([
            hooks.first("cgov_points_standard", expect_int(minimum=0), place=code,
                        category=sc.points.activity_category, minutes=act_min,
                        community_code=code) for code in c.community_codes], dtype=np.int64)
        self.points_per_service = np.array([
            hooks.first("cgov_points_standard", expect_int(minimum=0), place=code,
                        category=sc.points.service_category, minutes=srv_min,
                        community_code=code) for code in c.community_codes], dtype=np.int64)
        if not sc.points.enabled:
            self.points_per_attendance[:] = 0
            self.points_per_service[:] = 0

        cats: list[str] = []
        counties = sorted({code[:6] for code in c.community_codes}) or [""]
        for county in counties:
            for _name, answer in hooks.all("cgov_case_categories", lambda v: list(v),
                                           place=county, county_code=county):
                cats += [getattr(k, "code", k) for k in answer
                         if getattr(k, "code", k) not in cats]
        for key in sc.behaviour.cases.rates_per_household_year:
            if key not in cats and sc.behaviour.cases.rates_per_household_year[key] > 0:
                path = f"behaviour.cases.rates_per_household_year.{key}"
                raise ValidationError(
                    f"{path}: {key!r} is not a case category of the library or the plugins "
                    f"({', '.join(cats)})", path=path)
        self.categories = tuple(cats)
        # each county's deadlines (a prefecture's counties may differ); communities of
        # counties with the same deadlines share one queue order
        by_county = {county: tuple(hooks.first(
            "cgov_case_deadline", expect_int(minimum=1, maximum=60), place=county, category=k,
            level=RouteLevel.COMMUNITY, county_code=county) for k in cats)
            for county in counties}
        deadlines = list(by_county[counties[0]])
        self.deadline_working_days = dict(zip(cats, deadlines, strict=True))
        self.deadlines_by_county = {k: dict(zip(cats, v, strict=True))
                                    for k, v in by_county.items()}
        comm_county = np.array([code[:6] for code in c.community_codes])
        # the calendar of the city's county (its local days off included); a city spanning
        # several counties is counted on the national calendar
        city_counties = {code[:6] for code in c.community_codes}
        self.calendar: WorkingDayCalendar = working_day_calendar(
            hooks, city_counties.pop() if len(city_counties) == 1 else None)

        # --- the calendar of the run -----------------------------------------------------
        s_n, sd = sc.run.steps, sc.run.step_days
        start = sc.run.start
        self.step_starts = [start + dt.timedelta(days=sd * t) for t in range(s_n + 1)]
        one = dt.timedelta(days=1)
        self.working_days = np.array([
            self.calendar.working_days_between(self.step_starts[t] - one,
                                               self.step_starts[t + 1] - one)
            for t in range(s_n)], dtype=np.float64)
        fest: dict[str, list[dt.date]] = {}
        visit: list[dt.date] = []
        for year in range(start.year, self.step_starts[-1].year + 1):
            for festival, day in festivals(year).items():
                fest.setdefault(str(festival.value), []).append(day)
            # the care service's festival rounds, due on the same days (春节前: on 除夕)
            visit += [festival_round_day(k, year) for k in VISIT_FESTIVALS]

        def in_step(days: list[dt.date], t: int) -> bool:
            return any(self.step_starts[t] <= d < self.step_starts[t + 1] for d in days)

        all_fest = [d for v in fest.values() for d in v]
        self.festival = np.array([in_step(all_fest, t) for t in range(s_n)])
        self.visit_step = np.array([in_step(visit, t) for t in range(s_n)])
        self.winter = np.array([self.step_starts[t].month in (12, 1, 2) for t in range(s_n)])
        self.new_year = np.array([t == 0 or self.step_starts[t].year != self.step_starts[t - 1]
                                  .year for t in range(s_n)])
        half = dt.timedelta(days=sd // 2)
        self.due_groups: list[tuple[Arr, Arr]] = []
        for dls in dict.fromkeys(by_county.values()):
            members = np.flatnonzero(np.isin(comm_county, [k for k, v in by_county.items()
                                                           if v == dls]))
            self.due_groups.append((members, np.array([[
                (self.calendar.add_working_days(self.step_starts[t] + half, d) - start).days
                // sd for d in dls] for t in range(s_n)], dtype=np.int64)))
        self.due_step = self.due_groups[0][1]

        # --- static structure ------------------------------------------------------------
        self.r_hh = c.resident_household.astype(np.int64)
        self.h_comm = c.household_community.astype(np.int64)
        self.r_comm = self.h_comm[self.r_hh]
        self.ages = c.ages
        self.by_res = _Groups(self.r_comm, n_c)
        self.by_hh = _Groups(self.h_comm, n_c)
        self.residents_c = self.by_res.sizes
        self.households_c = self.by_hh.sizes
        full_hh = np.rint(self.households_c / c.scale).astype(np.int64)
        policy = GridPolicy(target=sc.grids.households_per_grid)
        self.grids_c = np.array([grid_count(policy, int(h)) for h in full_hh], dtype=np.int64)
        h_rank = self._rank_within(self.h_comm)
        offsets = np.concatenate([[0], np.cumsum(self.grids_c)[:-1]])
        self.h_grid = offsets[self.h_comm] + (h_rank * self.grids_c[self.h_comm]
                                              // np.maximum(self.households_c[self.h_comm], 1))
        self.r_grid = self.h_grid[self.r_hh]
        self.n_grids = int(self.grids_c.sum())
        self.by_grid = _Groups(self.r_grid, self.n_grids)
        self.grid_residents = self.by_grid.sizes
        if sc.staff.per_10000_residents > 0:
            staff = np.maximum(1, np.rint(self.residents_c / c.scale / 10_000
                                          * sc.staff.per_10000_residents))
        else:
            staff = np.full(n_c, sc.staff.per_community)
        self.staff_c = staff.astype(np.float64)
        self.handover_h = self._handover_households()
        self.handover_c = self.by_hh.sum(self.handover_h)
        self.handover_day = (sc.handover.date - start).days
        self.loss_cny = float(sc.handover.subsidy_loss_cny_per_household_year)
        rates_year = self.cases.household_rates(
            self.categories, c.household_elderly, np.zeros(n_h, dtype=bool))
        rates_after = self.cases.household_rates(
            self.categories, c.household_elderly, self.handover_h)
        self._rates = (rates_year * (sd / 365.0), rates_after * (sd / 365.0))
        self._rates_total = (self._rates[0].sum(axis=1), self._rates[1].sum(axis=1))
        self._shares = tuple(self._category_shares(r) for r in self._rates)
        self.visited_h = self._care_households(hooks)
        self.vulnerable_c = self.by_hh.sum(self.visited_h)
        before, after_ = self._rates
        self._extra_total = self._rates_total[1] - self._rates_total[0]
        self._cat_before = np.stack([self.by_hh.sum(before[:, k]) for k in range(len(cats))],
                                    axis=1) if cats else np.zeros((n_c, 0))

        # --- money ----------------------------------------------------------------------
        f = sc.funds
        self.annual_fen = np.array([_fen(f.office_cny_per_year), _fen(f.care_cny_per_year),
                                    _fen(f.culture_cny_per_year), _fen(f.partner_cny_per_year)],
                                   dtype=np.int64)
        self.activity_cost_fen = _fen(sc.activities.cost_cny)
        self.visit_fen = _fen(f.care_visit_cny)
        budget = _fen(sc.supermarket.budget_cny_per_community) if sc.supermarket.enabled else 0
        self.supermarket_budget_fen = int(budget * c.scale)
        self.activities_per_year = sc.activities.per_community_per_year + sum(
            float(ch.cny_per_year / sc.activities.cost_cny) for ch in f.channels
            if ch.use == "activities" and sc.activities.cost_cny > 0)

        # --- initial state ---------------------------------------------------------------
        streams = self.streams
        beh = sc.behaviour
        n14 = self.ages >= 14
        w = np.where(self.ages >= 60, beh.culture.elderly_weight, n14.astype(float))
        p_c = np.minimum(1.0, beh.culture.initial_share * n_r * w / max(w.sum(), 1e-12))
        self.culture = streams.generator("init.culture").random(n_r) < p_c
        v_total = beh.volunteering.initial_share * n_r
        from_c = beh.volunteering.initial_from_culture * v_total
        p_vc = min(1.0, from_c / max(int(self.culture.sum()), 1))
        others = n14 & ~self.culture
        p_vo = min(1.0, (v_total - from_c) / max(int(others.sum()), 1))
        u = streams.generator("init.volunteer").random(n_r)
        self.volunteer = np.where(self.culture, u < p_vc, others & (u < p_vo))
        idb = beh.identification
        mean = idb.initial_mean + idb.coal_group_offset * c.coal_group[self.r_comm]
        self.identification = np.clip(
            streams.generator("init.identification").normal(mean, idb.initial_sd, n_r),
            0.0, 1.0)
        self.satisfaction = np.full(n_h, beh.satisfaction.initial, dtype=np.float64)
        self.balance = np.zeros(n_r, dtype=np.int64)
        self.grid_share = np.zeros(self.n_grids, dtype=np.float64)
        self.backlog = np.zeros((n_c, len(cats), _MAX_AGE), dtype=np.int64)
        self.funds = np.zeros((n_c, len(ACCOUNTS)), dtype=np.int64)
        self.supermarket_left = np.zeros(n_c, dtype=np.int64)
        self.capacity_carry = np.zeros(n_c, dtype=np.float64)
        self.totals = {"points_issued": 0, "points_redeemed": 0, "redeemed_fen": 0,
}
        self._mechanisms_init((counties[0] or None) if len(counties) == 1 else None)
        ho_h = np.flatnonzero(self.h_ho >= 0)
        self._extra_cat_q = np.stack([np.bincount(
            self.h_ho[ho_h], weights=(after_[ho_h, k] - before[ho_h, k]),
            minlength=self.ho_compounds.size) for k in range(len(cats))], axis=1) \
            if cats else np.zeros((self.ho_compounds.size, 0))
        self._cols: dict[str, Arr] = {k: np.zeros((s_n, n_c)) for k in COMMUNITY_COLUMNS}
        self._model_vars: dict[str, list[float]] = {k: [] for k in self.reporters}
        from community_governance.simulation.metrics import MetricRecorder

        # custom metrics (cgov_sim_metrics): columns of the community table
        self.metrics = MetricRecorder(hooks, sc, c.community_codes, s_n)
        self._cols.update(self.metrics.columns)

    # --- helpers ------------------------------------------------------------------------

    @staticmethod
    def _rank_within(groups: Arr) -> Arr:
        order = np.argsort(groups, kind="stable")
        ranks = np.empty_like(order)
        sorted_g = groups[order]
        first = np.searchsorted(sorted_g, sorted_g, side="left")
        ranks[order] = np.arange(len(groups)) - first
        return ranks

    def _category_shares(self, rates: Arr) -> Arr:
        per = np.stack([self.by_hh.sum(rates[:, k]) for k in range(rates.shape[1])], axis=1)
        tot = per.sum(axis=1, keepdims=True)
        out: Arr = np.where(tot > 0, per / np.where(tot > 0, tot, 1), 1.0 / rates.shape[1])
        return out

    def _care_households(self, hooks: Any) -> Arr:
        """The households the festival rounds visit: those with a resident whose flag puts
        them in a care category of their community (``cgov_care_categories``, asked per
        community through :func:`~community_governance.plugins.care_categories`, as the care
        service asks it; ``domain.care.flags_in_care``). A city without flags (hand-built)
        visits every vulnerable household."""
        from community_governance.domain.care import flags_in_care
        from community_governance.plugins import care_categories

        c = self.city
        if c.household_flags is None:
            return np.asarray(c.household_vulnerable, dtype=bool)
        mask = np.array([sum(FLAG_BITS[f] for f in flags_in_care(care_categories(hooks, code))
                             if f in FLAG_BITS) for code in c.community_codes],
                        dtype=np.uint16)
        out: Arr = (np.asarray(c.household_flags, dtype=np.uint16)
                    & mask[np.asarray(c.household_community)]) != 0
        return out

    def _handover_households(self) -> Arr:
        """Households of the compounds handed over (三供一业), the same share at every scale.

        The ``households`` target (times the scale) is spread over the coal-group communities
        in proportion to their households, so each hands over the same share ``target /
        coal-group households``; within a community, households are taken compound by compound
        (in code order, each compound's households in building order) until that share is
        reached. ``handover_compounds`` are the compounds with any household handed over.
        Taking a share of each community, rather than whole compounds until
        the city's target, keeps which communities carry the handover the same in a 2 %
        sample as in the full city (whole compounds would hand over whole communities of a
        small sample, whose compounds are few and large).
        """
        c, ho = self.city, self.scenario.handover
        out = np.zeros(c.n_households, dtype=bool)
        self.handover_compounds: tuple[str, ...] = ()
        if not ho.enabled or ho.compounds == 0 or ho.households == 0:
            return out
        q = c.household_compound
        eligible = (q >= 0) & c.coal_group[self.h_comm].astype(bool)
        n_eligible = int(eligible.sum())
        if n_eligible == 0:
            return out
        share = min(1.0, ho.households * c.scale / n_eligible)
        order = np.lexsort((np.arange(c.n_households), q, self.h_comm))
        members = order[eligible[order]]
        comm = self.h_comm[members]
        rank = self._rank_within(comm)
        quota = np.ceil(share * np.bincount(comm, minlength=self.n_communities))
        out[members[rank < quota[comm]]] = True
        taken = np.bincount(q[out], minlength=len(c.compound_codes))
        self.handover_compounds = tuple(
            c.compound_codes[i] for i in np.flatnonzero(taken))
        return out

    def _inflows(self, t: int) -> tuple[Arr, list[tuple[int, int, str]]]:
        """Fen into each account this step: yearly lumps on the first step of a year (pro rata
        for the part of the year left), channels pro rata by day from their start. Also the
        parts: ``(account, fen, purpose)``."""
        sc = self.scenario
        d0 = self.step_starts[t]
        out = np.zeros(len(ACCOUNTS), dtype=np.int64)
        parts: list[tuple[int, int, str]] = []
        if self.new_year[t]:
            year_end = dt.date(d0.year + 1, 1, 1)
            first = dt.date(d0.year, 1, 1) if t > 0 else d0
            frac = (year_end - first).days / (year_end - dt.date(d0.year, 1, 1)).days
            lump = np.floor(self.annual_fen * frac).astype(np.int64)
            out += lump
            parts += [(k, int(v), "allocation") for k, v in enumerate(lump) if v > 0]
        for ch in sc.funds.channels:
            got = self._channel_fen(ch, t, _fen(ch.cny_per_year))
            out[_USE_ACCOUNT[ch.use]] += got
            if got > 0:
                parts.append((_USE_ACCOUNT[ch.use], got, f"channel:{ch.name}"))
        return out, parts

    def _channel_fen(self, ch: FundChannel, t: int, per_year: int) -> int:
        """Fen of ``per_year`` a channel brings in step ``t``: pro rata by day from its start
        (or the run's), nothing before."""
        run_start = self.scenario.run.start
        begin = max(ch.start or run_start, run_start)
        a = max((self.step_starts[t] - begin).days, 0)
        b = max((self.step_starts[t + 1] - begin).days, 0)
        return per_year * b // 365 - per_year * a // 365

    # --- the step -----------------------------------------------------------------------

    def step(self) -> None:
        """Advance one step (a week by default); does nothing once the horizon is reached."""
        if not self.running:
            return
        t = self.steps
        sc, c = self.scenario, self.city

        def rng(name: str) -> np.random.Generator:
            return self.streams.generator(name, t)

        n_c = self.n_communities
        col = self._cols
        sd = sc.run.step_days
        years = sd / 365.0
        d0 = self.step_starts[t]

        # money in; the supermarket's yearly allowance
        inflow, inflow_parts = self._inflows(t)
        self.funds += inflow
        if self.new_year[t]:
            self.supermarket_left[:] = self.supermarket_budget_fen
        for ch in sc.funds.channels:
            if ch.use == "supermarket":
                self.supermarket_left += self._channel_fen(
                    ch, t, int(_fen(ch.cny_per_year) * c.scale))
        outflow = np.zeros(n_c, dtype=np.int64)
        office = np.minimum(self.funds[:, 0], self.annual_fen[0] * sd // 365)
        self.funds[:, 0] -= office
        outflow += office

        # the workforce (turnover, hiring, learning; wages of channel posts) and the councils
        eff_staff, wages = self._mech_staff(t, rng("workforce"), years)
        outflow += wages
        meetings, disclosures = self._mech_civic(rng("councils"), years)

        # activities, limited by the culture fund
        lam = self.activities_per_year * years
        acts = rng("activities").poisson(lam, n_c)
        if self.activity_cost_fen > 0:
            acts = np.minimum(acts, self.funds[:, 2] // self.activity_cost_fen)
        wd = float(self.working_days[t])
        if sc.activities.staff_days > 0:
            # organising an activity takes staff days, taken from case handling this step
            acts = np.minimum(acts, np.floor(eff_staff * wd / sc.activities.staff_days)
                              .astype(np.int64))
            eff_cases = np.maximum(eff_staff - acts * sc.activities.staff_days
                                   / max(wd, 1e-9), 0.0)
        else:
            eff_cases = eff_staff
        spend = acts * self.activity_cost_fen
        self.funds[:, 2] -= spend
        outflow += spend

        # the points incentive: goods an hour of attendance or service buys, if a supermarket
        # with stock is open in the community
        open_ = (self.supermarket_left > 0) & sc.supermarket.enabled & sc.points.enabled & (
            self.funds[:, 3] > self.reserve)
        value = sc.points.point_value_fen / 100.0
        hours_a = max(sc.activities.hours, 1e-9)
        hours_s = max(sc.behaviour.volunteering.hours_per_service, 1e-9)
        inc_a = incentive_signal(self.points_per_attendance * value / hours_a) * open_
        inc_s = incentive_signal(self.points_per_service * value / hours_s) * open_

        # participation in activities (only where the community held one this step)
        r_c = self.r_comm
        attended = np.zeros(c.n_residents, dtype=bool)
        held = np.flatnonzero(acts > 0)
        u_attend = rng("participation").random(c.n_residents)
        if held.size:
            who = self.by_res.members(held)
            p1 = self.participation.attend_probability(
                self.identification[who], self.ages[who], self.culture[who],
                self.grid_share[self.r_grid[who]], inc_a[r_c[who]], bool(self.festival[t]),
                bool(self.winter[t]))
            p1 = self.party_model.attend(p1, self.party[who])
            a_r = acts[r_c[who]]
            p_any = -np.expm1(a_r * np.log1p(-np.minimum(p1, 1 - 1e-12)))
            attended[who] = u_attend[who] < p_any

        # culture groups and volunteers
        p_flip = self.culture_model.membership_probabilities(self.ages, self.culture, attended,
                                                             years)
        flip = rng("culture").random(c.n_residents) < p_flip
        self.culture ^= flip
        p_flip = self.volunteering.volunteer_probabilities(
            self.ages, self.culture, self.volunteer, inc_s[r_c], years)
        p_flip = self.party_model.become_volunteer(p_flip, self.party & ~self.volunteer)
        flip = rng("volunteering").random(c.n_residents) < p_flip
        self.volunteer ^= flip
        v_idx = np.flatnonzero(self.volunteer)
        serve_p = self.volunteering.serve_probability(self.identification[v_idx],
                                                      inc_s[r_c[v_idx]])
        served_idx = v_idx[rng("service").random(c.n_residents)[v_idx] < serve_p]
        participated = attended.copy()
        participated[served_idx] = True
        if meetings.any():
            participated[self.seat_idx[meetings[r_c[self.seat_idx]] > 0]] = True

        # points earned
        earned = np.where(attended, self.points_per_attendance[r_c], 0)
        earned[served_idx] += self.points_per_service[r_c[served_idx]]
        self.balance += earned
        issued_c = self.by_res.sum(earned)

        # purchased services (tendered to social organizations), paid ahead of redemptions
        purchase_paid, purchased = self._mech_purchase(t, rng("orgs"), years,
                                                       bool(self.new_year[t]))
        outflow += purchase_paid

        # redemption, limited by the year's allowance and the general fund
        holders = np.flatnonzero(self.balance >= 1)
        want = self.redemption.redeem(
            self.balance[holders], rng("redemption.visit").random(c.n_residents)[holders])
        keep = want > 0
        holders, want = holders[keep], np.minimum(want[keep], self.balance[holders[keep]])
        redeemed_c = np.zeros(n_c)
        redeemed_fen_c = np.zeros(n_c, dtype=np.int64)
        redeemed_by: tuple[Arr, Arr] = (np.zeros(0, dtype=np.int64), np.zeros(0, np.int64))
        if holders.size and sc.supermarket.enabled and sc.points.point_value_fen > 0:
            hc = r_c[holders]
            order = np.lexsort((rng("redemption.queue").random(c.n_residents)[holders], hc))
            hc, holders, want = hc[order], holders[order], want[order]
            cost = want * sc.points.point_value_fen
            cum = np.cumsum(cost)
            first = np.searchsorted(hc, np.arange(n_c))
            start_cum = np.concatenate([[0], cum])[first]
            within = cum - start_cum[hc]
            limit = np.minimum(self.supermarket_left,
                               np.maximum(self.funds[:, 3] - self.reserve, 0))
            ok = within <= limit[hc]
            self.balance[holders[ok]] -= want[ok]
            redeemed_by = (holders[ok], want[ok])
            redeemed_c = _counts(hc[ok], n_c, want[ok].astype(np.float64))
            redeemed_fen_c = (redeemed_c * sc.points.point_value_fen).astype(np.int64)
            self.supermarket_left -= redeemed_fen_c
            self.funds[:, 3] -= redeemed_fen_c
            outflow += redeemed_fen_c

        # cases: opened per household, handled by urgency within capacity
        after = 1 if (sc.handover.enabled and (d0 - sc.run.start).days >= self.handover_day) \
            else 0
        if after and self.ho_compounds.size:
            factor = self.property_model.case_factor(self.managed, self.quality)
            rate_h = self._mech_case_rates(self._rates_total[0], self._extra_total)
            extra_c = np.stack([np.bincount(self.ho_comm, weights=self._extra_cat_q[:, k]
                                            * factor, minlength=n_c)
                                for k in range(self._extra_cat_q.shape[1])], axis=1)
            cat_c = self._cat_before + extra_c
            tot = cat_c.sum(axis=1, keepdims=True)
            shares = np.where(tot > 0, cat_c / np.where(tot > 0, tot, 1), 1.0 / cat_c.shape[1])
        else:
            rate_h, shares = self._rates_total[after], self._shares[after]
        n_hh = rng("cases.opened").poisson(rate_h)
        if c.scale == 1.0:
            opened_c = self.by_hh.sum(n_hh).astype(np.int64)
        else:
            # the office serves the whole community, not the sample: its queue runs at full
            # size (each sampled household stands for 1/scale), so waiting does not depend on
            # the sampling scale; the columns record it times the scale. The households' own
            # draws (n_hh) still say which sampled households had a case (own_late below).
            opened_c = rng("cases.opened.community").poisson(self.by_hh.sum(rate_h) / c.scale)
        by_cat = rng("cases.category").multinomial(opened_c, shares)
        self.backlog[:, :, 0] += by_cat
        # the full community's capacity: the workforce's effective staff (turnover, hiring
        # lag, learning; less the staff days the activities took) plus the cases the purchased
        # services deliver (both at full size, like the queue)
        cap = self.service.capacity(eff_cases, self.grids_c.astype(float),
                                    float(self.working_days[t])) + purchased \
            + self.capacity_carry
        cap_i = np.floor(cap).astype(np.int64)
        self.capacity_carry = cap - cap_i
        n_k = len(self.categories)
        ages_w = np.arange(_MAX_AGE)
        open_step = t - ages_w
        back = np.empty((n_c, n_k * _MAX_AGE), dtype=np.int64)
        closed_c = np.zeros(n_c, dtype=np.int64)
        on_time_c = np.zeros(n_c, dtype=np.int64)
        overdue_c = np.zeros(n_c, dtype=np.int64)
        days_c = np.zeros(n_c, dtype=np.float64)
        for members, due in self.due_groups:  # one group unless counties' deadlines differ
            slack = np.where(open_step[None, :] >= 0,
                             due[np.maximum(open_step, 0)].T - t, -10**6)
            slack[:, _MAX_AGE - 1] = np.minimum(slack[:, _MAX_AGE - 1], -1)
            order = np.argsort(slack.ravel(), kind="stable")
            q = self.backlog[members].reshape(members.size, n_k * _MAX_AGE)[:, order]
            before = np.cumsum(q, axis=1) - q
            handled = np.clip(cap_i[members, None] - before, 0, q)
            flat_slack = slack.ravel()[order]
            flat_age = np.broadcast_to(ages_w, (n_k, _MAX_AGE)).ravel()[order]
            closed_c[members] = handled.sum(axis=1)
            on_time_c[members] = (handled * (flat_slack >= 0)).sum(axis=1)
            days_c[members] = (handled * ((flat_age + 0.5) * sd)).sum(axis=1)
            remaining = q - handled
            overdue_c[members] = (remaining * (flat_slack <= 0)).sum(axis=1)
            back_g = np.empty_like(remaining)
            back_g[:, order] = remaining
            back[members] = back_g
        back3 = back.reshape(n_c, n_k, _MAX_AGE)
        aged = np.zeros_like(back3)
        aged[:, :, 1:] = back3[:, :, :-1]
        aged[:, :, -1] += back3[:, :, -1]
        self.backlog = aged

        # satisfaction and identification
        with np.errstate(invalid="ignore", divide="ignore"):
            service = np.where(closed_c > 0, on_time_c / np.maximum(closed_c, 1), 1.0)
        late_share = 1.0 - service
        has_case = np.flatnonzero(n_hh)
        own_late = np.zeros(c.n_households, dtype=bool)
        u_late = rng("cases.own_late").random(c.n_households)
        own_late[has_case] = u_late[has_case] < late_share[self.h_comm[has_case]]
        loss = self.handover_h * (self.loss_cny * after)
        self.satisfaction = self.opinion.satisfaction(
            self.satisfaction, service[self.h_comm], own_late, loss,
            (acts > 0).astype(float)[self.h_comm])
        if after:
            self.satisfaction = np.clip(self.satisfaction + sc.behaviour.satisfaction
                                        .adjust_per_step * self._mech_satisfaction_shift(),
                                        0.0, 1.0)
            self._mech_property(rng("property"), years)
        self.identification = self.opinion.identification(
            self.identification, self.satisfaction[self.r_hh], participated)
        self.identification = np.clip(
            self.identification + sc.behaviour.identification.adjust_per_step
            * self.civic.identification_shift(self.informed, self.voice, self.seat, r_c),
            0.0, 1.0)

        # care visits at festivals, limited by the care fund
        needed = self.vulnerable_c.astype(np.int64) if self.visit_step[t] else np.zeros(
            n_c, dtype=np.int64)
        visits = np.minimum(needed, self.funds[:, 1] // max(self.visit_fen, 1)) \
            if self.visit_fen > 0 else needed
        self.funds[:, 1] -= visits * self.visit_fen
        outflow += visits * self.visit_fen

        # neighbours for next step
        part_g = self.by_grid.sum(participated)
        self.grid_share = part_g / np.maximum(self.grid_residents, 1)

        # record
        cnt = self.by_res.sum
        col["residents"][t] = self.residents_c
        col["households"][t] = self.households_c
        col["staff"][t] = np.bincount(self.posts.community[self.posts.filled], minlength=n_c)
        col["staff_effective"][t] = eff_staff
        col["staff_hires"][t] = self.posts.hires
        col["staff_leavers"][t] = self.posts.leavers
        col["wages_fen"][t] = wages
        col["council_meetings"][t] = meetings
        col["disclosures"][t] = disclosures
        col["informed"][t] = self.informed
        col["voice"][t] = self.voice
        col["culture_groups"][t] = cnt(self.culture) / sc.behaviour.culture.members_per_group
        active_o, incubating_o, _ = self.orgs.counts()
        col["orgs_active"][t] = active_o
        col["orgs_incubating"][t] = incubating_o
        col["purchase_paid_fen"][t] = purchase_paid
        col["purchased_cases"][t] = purchased * c.scale
        if self.ho_compounds.size:
            col["managed_compounds"][t] = np.bincount(self.ho_comm[self.managed],
                                                      minlength=n_c)
            unmanaged_h = (self.h_ho >= 0) & ~self.managed[np.maximum(self.h_ho, 0)]
            col["unmanaged_households"][t] = self.by_hh.sum(unmanaged_h)
        col["grids"][t] = self.grids_c
        col["activities"][t] = acts
        col["participants"][t] = cnt(participated)
        col["attendances"][t] = cnt(attended)
        col["services"][t] = _counts(r_c[served_idx], n_c)
        col["volunteers"][t] = cnt(self.volunteer)
        col["culture_members"][t] = cnt(self.culture)
        col["volunteers_from_culture"][t] = cnt(self.volunteer & self.culture)
        col["points_issued"][t] = issued_c
        col["points_redeemed"][t] = redeemed_c
        col["redeemed_fen"][t] = redeemed_fen_c
        col["points_outstanding"][t] = cnt(self.balance)
        col["supermarket_left_fen"][t] = self.supermarket_left
        w = c.scale  # the queue in the sample's terms
        col["cases_opened"][t] = opened_c * w
        col["cases_closed"][t] = closed_c * w
        col["closed_on_time"][t] = on_time_c * w
        col["backlog"][t] = back.sum(axis=1) * w
        col["overdue_backlog"][t] = overdue_c * w
        col["handling_days_sum"][t] = days_c * w
        col["capacity"][t] = cap_i * w
        col["satisfaction"][t] = self.by_hh.sum(self.satisfaction) / np.maximum(
            self.households_c, 1)
        col["satisfaction_handover"][t] = np.where(
            self.handover_c > 0, self.by_hh.sum(self.satisfaction * self.handover_h)
            / np.maximum(self.handover_c, 1), np.nan)
        col["identification"][t] = cnt(self.identification) / np.maximum(self.residents_c, 1)
        col["care_visits"][t] = visits
        col["care_visits_needed"][t] = needed
        for k, name in enumerate(ACCOUNTS):
            col[f"fund_{name}_fen"][t] = self.funds[:, k]
        col["inflow_fen"][t] = int(inflow.sum())
        col["outflow_fen"][t] = outflow
        tot = self.totals
        tot["points_issued"] += int(earned.sum())
        tot["points_redeemed"] += int(redeemed_c.sum())
        tot["redeemed_fen"] += int(redeemed_fen_c.sum())

        if self.keep_ledger:
            self._record_ledger(t, inflow_parts, earned, redeemed_by, office, spend,
                                redeemed_fen_c, visits * self.visit_fen)
            for k, why, arr in ((0, "wages", wages), (3, "services", purchase_paid)):
                self.ledger += [("fund", t, int(i), k, -int(arr[i]), why)
                                for i in np.flatnonzero(arr)]
        self.steps += 1
        self.metrics.record(self, t)
        for name, fn in self.reporters.items():
            self._model_vars[name].append(float(fn(self)))
        if self.steps >= sc.run.steps:
            self.running = False

    def _record_ledger(self, t: int, inflow_parts: list[tuple[int, int, str]], earned: Arr,
                       redeemed_by: tuple[Arr, Arr], office: Arr, activities: Arr,
                       supermarket: Arr, care: Arr) -> None:
        led = self.ledger
        for c in range(self.n_communities):
            led += [("fund", t, c, k, fen, why) for k, fen, why in inflow_parts]
        for i in np.flatnonzero(earned):
            led.append(("earn", t, int(i), int(earned[i])))
        for i, pts in zip(*redeemed_by, strict=True):
            led.append(("redeem", t, int(i), int(pts)))
        for k, why, arr in ((0, "office", office), (2, "activities", activities),
                            (3, "supermarket", supermarket), (1, "care", care)):
            led += [("fund", t, int(c), k, -int(arr[c]), why) for c in np.flatnonzero(arr)]

    def run(self, max_steps: int | None = None,
            progress: Callable[[int, int], None] | None = None) -> Simulation:
        """Step until the horizon (or ``max_steps`` more steps); returns ``self``.

        Args:
            max_steps: at most this many steps now.
            progress: called as ``progress(steps_done, horizon)`` after each step.
        """
        n = 0
        while self.running and (max_steps is None or n < max_steps):
            self.step()
            n += 1
            if progress is not None:
                progress(self.steps, self.scenario.run.steps)
        return self

    def memory_bytes(self) -> int:
        """Bytes held by the state and the recorded arrays (for the benchmark)."""
        total = 0
        for v in vars(self).values():
            if isinstance(v, np.ndarray):
                total += v.nbytes
            elif isinstance(v, tuple) and v and all(isinstance(x, np.ndarray) for x in v):
                total += sum(x.nbytes for x in v)
        total += sum(v.nbytes for v in self._cols.values())
        return total
