"""Default behaviour models (行为模型) of the simulation, vectorised over residents.

Each model is a small frozen attrs class holding its parameters (a section of the scenario's
``[behaviour]`` table) and methods that take whole NumPy arrays, one entry per resident,
household or community, and return arrays. The engine asks for the models once per run through
the ``cgov_sim_*`` hooks (:mod:`community_governance.hookspecs.simulation`); the national
defaults (:mod:`community_governance.defaults.simulation`) answer with the classes here, and a
plugin may answer with its own object offering the same methods.

Every equation is stated in ``docs/simulation.md`` with the figure of FACTS.md that calibrates
it. Models draw no random numbers: the engine passes uniforms where a model needs them, so the
run stays deterministic for a seed whatever the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import attrs

try:
    import numpy as np
    import numpy.typing as npt
except ImportError as exc:  # the base install has no numpy
    from community_governance.errors import MissingExtra

    raise MissingExtra("numpy", "sim", "the simulation") from exc

from community_governance.simulation.scenario import (
    CasesBehaviour,
    CultureBehaviour,
    IdentificationBehaviour,
    ParticipationBehaviour,
    RedemptionBehaviour,
    SatisfactionBehaviour,
    StaffPolicy,
    VolunteeringBehaviour,
)

__all__ = [
    "CaseModel",
    "DefaultCaseModel",
    "DefaultOpinionModel",
    "DefaultParticipationModel",
    "DefaultRedemptionModel",
    "DefaultServiceModel",
    "DefaultVolunteeringModel",
    "OpinionModel",
    "ParticipationModel",
    "RedemptionModel",
    "ServiceModel",
    "VolunteeringModel",
    "hazard_to_probability",
    "incentive_signal",
    "sigmoid",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def sigmoid(x: FloatArray) -> FloatArray:
    """The logistic function ``1 / (1 + exp(-x))``."""
    out: FloatArray = 1.0 / (1.0 + np.exp(-x))
    return out


def hazard_to_probability(rate_per_year: float | FloatArray, years: float) -> FloatArray:
    """``1 - exp(-rate * years)``: the chance of an event of a yearly hazard within a step."""
    return np.asarray(-np.expm1(-np.asarray(rate_per_year, dtype=np.float64) * years))


def incentive_signal(cny_per_hour: npt.ArrayLike) -> FloatArray:
    """The points incentive as the model sees it: ``x / (x + 1)`` of the goods value (CNY) an
    hour earns, 0 without a supermarket to spend them in, saturating towards 1."""
    x = np.maximum(np.asarray(cny_per_hour, dtype=np.float64), 0.0)
    out: FloatArray = x / (x + 1.0)
    return out


# --- protocols --------------------------------------------------------------------------------


@runtime_checkable
class ParticipationModel(Protocol):
    """Resident participation in activities (居民参与)."""

    def attend_probability(
        self, identification: FloatArray, ages: npt.NDArray[np.int16], culture: BoolArray,
        neighbours: FloatArray, incentive: FloatArray, festival: bool, winter: bool,
    ) -> FloatArray:
        """Chance that each resident attends one given activity of their community."""
        ...


@runtime_checkable
class VolunteeringModel(Protocol):
    """Culture-group membership and volunteering (文体组织, 志愿者)."""

    def culture_probabilities(
        self, ages: npt.NDArray[np.int16], culture: BoolArray, years: float
    ) -> FloatArray:
        """Per resident, the chance of switching membership within a step."""
        ...

    def volunteer_probabilities(
        self, ages: npt.NDArray[np.int16], culture: BoolArray, volunteer: BoolArray,
        incentive: FloatArray, years: float,
    ) -> FloatArray:
        """Per resident, the chance of becoming (non-volunteers) or quitting (volunteers)."""
        ...

    def serve_probability(self, identification: FloatArray, incentive: FloatArray) -> FloatArray:
        """Per volunteer, the chance of serving in a step."""
        ...


@runtime_checkable
class RedemptionModel(Protocol):
    """Redeeming points at the points supermarket (积分兑换)."""

    def redeem(self, balance: IntArray, uniform: FloatArray) -> IntArray:
        """Points each holder wants to redeem this step (0: no visit)."""
        ...


@runtime_checkable
class CaseModel(Protocol):
    """Cases raised per household and category (事项)."""

    def household_rates(
        self, categories: Sequence[str], elderly: BoolArray, handed_over: BoolArray
    ) -> FloatArray:
        """``(households, categories)`` expected cases per year."""
        ...


@runtime_checkable
class ServiceModel(Protocol):
    """Staff capacity and case handling (工作人员办件能力)."""

    def capacity(
        self, staff: FloatArray, grids: FloatArray, working_days: float
    ) -> FloatArray:
        """Cases each community can close in a step."""
        ...


@runtime_checkable
class OpinionModel(Protocol):
    """Satisfaction (满意度) and identification (认同感) responding to service."""

    def satisfaction(
        self, current: FloatArray, service: FloatArray, own_late: BoolArray,
        subsidy_loss_cny: FloatArray, activity: FloatArray,
    ) -> FloatArray:
        """Households' satisfaction after the step."""
        ...

    def identification(
        self, current: FloatArray, satisfaction: FloatArray, participated: BoolArray
    ) -> FloatArray:
        """Residents' identification after the step."""
        ...


# --- defaults ---------------------------------------------------------------------------------


@attrs.frozen
class DefaultParticipationModel:
    """Logistic attendance (参与概率) of one activity.

    ``p = sigmoid(b0 + b_id*I + b_old*[age>=60] + b_child*[age<14] + b_cult*C + b_nb*S
    + b_pts*incentive + festival + winter)``.
    """

    params: ParticipationBehaviour

    def attend_probability(
        self, identification: FloatArray, ages: npt.NDArray[np.int16], culture: BoolArray,
        neighbours: FloatArray, incentive: FloatArray, festival: bool, winter: bool,
    ) -> FloatArray:
        """See the class docstring."""
        p = self.params
        shift = p.base_logit + (p.festival_boost if festival else 0.0) + (
            p.winter if winter else 0.0)
        x = shift + p.identification * identification + p.neighbours * neighbours
        x = x + p.points_incentive * incentive
        x = x + np.where(ages >= 60, p.elderly, np.where(ages < 14, p.child, 0.0))
        x = x + p.culture_member * culture
        return sigmoid(x)


@attrs.frozen
class DefaultVolunteeringModel:
    """Culture groups and volunteers: yearly hazards turned into step probabilities.

    Joining a culture group has hazard ``join * w(age)`` (``w = elderly_weight`` from 60,
    1 from 14, 0 below), leaving ``leave``. A culture member becomes a volunteer with hazard
    ``from_culture * (1 + b_pts*incentive)``, another resident aged 14+ with
    ``from_others * (1 + b_pts*incentive)``; a volunteer quits with ``quit``. A volunteer
    serves in a step with ``sigmoid(serve_logit + serve_id*I + b_pts*incentive)``.
    """

    culture: CultureBehaviour
    params: VolunteeringBehaviour

    def age_weight(self, ages: npt.NDArray[np.int16]) -> FloatArray:
        """The relative chance of membership by age (0 under 14)."""
        return self._by_age(ages, self.culture.elderly_weight, 1.0, 0.0)

    @staticmethod
    def _by_age(ages: npt.NDArray[np.int16], old: float, adult: float, child: float
                ) -> FloatArray:
        """``old`` from 60, ``adult`` from 14, ``child`` below, by a lookup table."""
        top = int(ages.max(initial=0)) + 1
        table = np.full(max(top, 1), child)
        table[14:] = adult
        table[60:] = old
        out: FloatArray = table[ages]
        return out

    def culture_probabilities(
        self, ages: npt.NDArray[np.int16], culture: BoolArray, years: float
    ) -> FloatArray:
        """See the class docstring."""
        join = float(hazard_to_probability(self.culture.join_per_year, years))
        joins = self._by_age(ages, join * self.culture.elderly_weight, join, 0.0)
        leave = float(hazard_to_probability(self.culture.leave_per_year, years))
        return np.where(culture, leave, joins)

    def volunteer_probabilities(
        self, ages: npt.NDArray[np.int16], culture: BoolArray, volunteer: BoolArray,
        incentive: FloatArray, years: float,
    ) -> FloatArray:
        """See the class docstring."""
        v = self.params
        others = self._by_age(ages, v.from_others_per_year, v.from_others_per_year, 0.0)
        base = np.where(culture, v.from_culture_per_year, others)
        become = -np.expm1(base * (-years) * (1.0 + v.points_incentive * incentive))
        quit_ = float(hazard_to_probability(v.quit_per_year, years))
        return np.where(volunteer, quit_, become)

    def serve_probability(self, identification: FloatArray, incentive: FloatArray) -> FloatArray:
        """See the class docstring."""
        v = self.params
        return sigmoid(v.serve_logit + v.serve_identification * identification
                       + v.points_incentive * incentive)


@attrs.frozen
class DefaultRedemptionModel:
    """A holder with at least ``min_points`` visits with ``weekly_probability`` and spends
    ``floor(share_of_balance * balance)`` points."""

    params: RedemptionBehaviour

    def redeem(self, balance: IntArray, uniform: FloatArray) -> IntArray:
        """See the class docstring."""
        p = self.params
        visit = (balance >= max(p.min_points, 1)) & (uniform < p.weekly_probability)
        return np.where(visit, np.floor(balance * p.share_of_balance), 0).astype(np.int64)


@attrs.frozen
class DefaultCaseModel:
    """Yearly case rates per household: ``rate_k * handover_k^[handed over] *
    elderly^[k == care and a member aged 70+]``."""

    params: CasesBehaviour

    def household_rates(
        self, categories: Sequence[str], elderly: BoolArray, handed_over: BoolArray
    ) -> FloatArray:
        """See the class docstring."""
        p = self.params
        base = np.array([p.rates_per_household_year.get(k, 0.0) for k in categories])
        mult = np.array([p.handover_multiplier.get(k, 1.0) for k in categories])
        rates = np.broadcast_to(base, (len(elderly), len(categories))).copy()
        rates[handed_over] *= mult
        care = [i for i, k in enumerate(categories) if k == "care"]
        if care:
            rates[elderly, care[0]] *= p.elderly_multiplier
        return rates


@attrs.frozen
class DefaultServiceModel:
    """Capacity per step: ``(staff * cases_per_staff_day + grids * grid_leader_cases_per_day)
    * working_days``."""

    params: StaffPolicy

    def capacity(self, staff: FloatArray, grids: FloatArray, working_days: float) -> FloatArray:
        """See the class docstring."""
        p = self.params
        out: FloatArray = (staff * p.cases_per_staff_day
                           + grids * p.grid_leader_cases_per_day) * working_days
        return out


@attrs.frozen
class DefaultOpinionModel:
    """First-order adjustment towards a target.

    Satisfaction: ``s += a_s * (base + w_ot*service - w_late*late - w_loss*loss/1000
    + w_act*activity - s)``; identification: ``I += a_I * (w_s*s + w_p*participated - I)``;
    both kept in [0, 1].
    """

    sat: SatisfactionBehaviour
    ident: IdentificationBehaviour

    def satisfaction(
        self, current: FloatArray, service: FloatArray, own_late: BoolArray,
        subsidy_loss_cny: FloatArray, activity: FloatArray,
    ) -> FloatArray:
        """See the class docstring."""
        p = self.sat
        target = (p.baseline + p.on_time * service - p.own_case_late * own_late
                  - p.subsidy_loss_per_1000_cny * subsidy_loss_cny / 1000.0
                  + p.activities * activity)
        return np.clip(current + p.adjust_per_step * (target - current), 0.0, 1.0)

    def identification(
        self, current: FloatArray, satisfaction: FloatArray, participated: BoolArray
    ) -> FloatArray:
        """See the class docstring."""
        p = self.ident
        target = p.satisfaction * satisfaction + p.participation * participated
        return np.clip(current + p.adjust_per_step * (target - current), 0.0, 1.0)
