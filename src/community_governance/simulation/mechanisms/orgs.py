"""Social organizations as agents (社会组织): incubated, admitted, graded, tendered to, delivering.

The study: "社会组织发育不足 … 短时间内没有找到社会组织承接社区事务的有效路径"; it recommends
"建立社会组织的孵化模式 … 对政府购买社区服务项目引入招投标机制 … 做好社会组织的标准化建设、准入
资格审查、绩效评估以及督促指导".

Every organization is an agent with a community, a stage of the library's lifecycle (each move
goes through :func:`community_governance.domain.orgs.next_stage`, so an impossible move
raises), a quality ``q`` in [0, 1], an evaluation score and a grade. Per step:

* **proposals**: Poisson(``proposals_per_year * years``) per community (times
  ``incubator_proposals_multiplier`` with an incubator); quality ~ Beta(6 m, 6 (1 - m));
* **without an incubator** a proposal registers elsewhere and becomes active (``register``)
  with probability ``q``, or folds;
* **with an incubator** it is incubated (``propose``, ``incubate``), submitted for review after
  a geometric time of mean ``incubation_weeks`` and admitted with probability ``q + gain``
  (else returned to incubation); admitted, it gains ``incubation_quality_gain``, is
  standardised and activated (``admit``, ``standardise``, ``activate``);
* **evaluation** (绩效评估) on activation and every new year: score ``1000 (0.3 + 0.65 q) +
  N(0, 30)``, graded by the place's scheme (``cgov_orgs_grade_scheme``);
* **folding**: an active organization is deregistered with ``1 - exp(-fail (1 - q) years)``;
* **tender** (招投标) at every new year, and every 13 weeks while a community has no contractor:
  the bidders are the community's active organizations whose tier (``cgov_orgs_bid_tier``) is
  not 0; the lowest tier bids first and the best ``score + N(0, 30)`` wins. Without tendering
  any active organization is awarded the contract at random;
* **delivery**: the contractor is paid ``min(planned, available)`` a step and closes
  ``paid / cost_per_case * q`` cases, added to the community's (real-sized) capacity; the
  ``purchased_cases`` column records them times the city's scale: a poor organization
  delivers less for the same money.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Protocol, runtime_checkable

import attrs
import numpy as np
import numpy.typing as npt

from community_governance.domain.orgs import BID_STAGES, OrgEvent, OrgStage, next_stage
from community_governance.simulation.scenario import OrgsPolicy

__all__ = ["DefaultOrgsModel", "OrgAgent", "OrgPopulation", "OrgsModel"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_CONCENTRATION = 6.0


@runtime_checkable
class OrgsModel(Protocol):
    """The behaviour of social organizations (社会组织行为)."""

    def quality(self, n: int, rng: np.random.Generator) -> FloatArray:
        """Qualities of ``n`` new organizations."""
        ...

    def review_passes(self, quality: float, uniform: float) -> bool:
        """Whether an incubated organization passes admission review."""
        ...

    def evaluation_score(self, quality: float, rng: np.random.Generator) -> float:
        """An evaluation score on the 1,000-point scale."""
        ...

    def delivered_cases(self, paid_fen: float, cost_fen: float, quality: float) -> float:
        """Cases a contractor closes for ``paid_fen`` (at full scale)."""
        ...


@attrs.frozen
class DefaultOrgsModel:
    """See the module docstring."""

    params: OrgsPolicy

    def quality(self, n: int, rng: np.random.Generator) -> FloatArray:
        """See the module docstring."""
        m = self.params.quality_mean
        out: FloatArray = rng.beta(_CONCENTRATION * m, _CONCENTRATION * (1 - m), n)
        return out

    def review_passes(self, quality: float, uniform: float) -> bool:
        """See the module docstring."""
        return uniform < quality + self.params.incubation_quality_gain

    def evaluation_score(self, quality: float, rng: np.random.Generator) -> float:
        """See the module docstring."""
        return float(np.clip(1000 * (0.3 + 0.65 * quality) + rng.normal(0, 30), 0, 1000))

    def delivered_cases(self, paid_fen: float, cost_fen: float, quality: float) -> float:
        """See the module docstring."""
        return paid_fen / max(cost_fen, 1.0) * quality


@attrs.define
class OrgAgent:
    """One social organization (社会组织) in the run.

    Attributes:
        community: the community index.
        stage: its lifecycle stage.
        quality: 0..1.
        score: its last evaluation score (``None`` before its first).
        grade: its grade code (``None``: ungraded or below 1A).
        incubated: whether it came out of the incubator.
    """

    community: int
    stage: OrgStage
    quality: float
    score: float | None = None
    grade: str | None = None
    incubated: bool = False

    def move(self, event: OrgEvent) -> None:
        """Apply a lifecycle event (the library's transition table)."""
        self.stage = next_stage(self.stage, event)


class OrgPopulation:
    """The organizations of a run and their contracts (社会组织群体).

    Args:
        model: the behaviour model.
        params: the scenario's ``orgs`` section.
        n_communities: communities of the city.
        grade_for: ``(community, score) -> grade code or None`` (the place's scheme).
        tier_for: ``(community, grade) -> bid tier`` (the place's rule).
    """

    def __init__(self, model: OrgsModel, params: OrgsPolicy, n_communities: int,
                 grade_for: Callable[[int, float], str | None],
                 tier_for: Callable[[int, str | None], int]) -> None:
        self.model = model
        self.params = params
        self.n = n_communities
        self.grade_for = grade_for
        self.tier_for = tier_for
        self.agents: list[OrgAgent] = []
        self.contractor: list[OrgAgent | None] = [None] * n_communities
        self.tenders = 0
        self.awarded = 0

    def start(self, rng: np.random.Generator) -> None:
        """The organizations active at the start (``initial`` city-wide)."""
        q = self.model.quality(self.params.initial, rng)
        where = rng.integers(0, max(self.n, 1), self.params.initial)
        for k in range(self.params.initial):
            a = OrgAgent(int(where[k]), OrgStage.ACTIVE, float(q[k]))
            a.stage = next_stage(None, OrgEvent.REGISTER)
            self._evaluate(a, rng)
            self.agents.append(a)

    def _evaluate(self, a: OrgAgent, rng: np.random.Generator) -> None:
        a.move(OrgEvent.EVALUATE)
        a.score = self.model.evaluation_score(a.quality, rng)
        a.grade = self.grade_for(a.community, a.score)

    def step(self, years: float, new_year: bool, step: int, planned_fen: IntArray,
             rng: np.random.Generator) -> None:
        """Proposals, incubation, review, folding, evaluation and tenders of one step."""
        p = self.params
        weeks = years * 52.0
        mult = p.incubator_proposals_multiplier if p.incubator else 1.0
        born = rng.poisson(p.proposals_per_year * mult * years, self.n)
        for where in np.flatnonzero(born):
            for q in self.model.quality(int(born[where]), rng):
                a = OrgAgent(int(where), next_stage(None, OrgEvent.PROPOSE), float(q))
                if p.incubator:
                    a.move(OrgEvent.INCUBATE)
                    a.incubated = True
                    self.agents.append(a)
                elif rng.random() < a.quality:
                    a.stage = next_stage(None, OrgEvent.REGISTER)
                    self._evaluate(a, rng)
                    self.agents.append(a)
        p_review = -np.expm1(-weeks / p.incubation_weeks)
        fail_rate = p.fail_per_year * years
        for a in self.agents:
            if a.stage is OrgStage.INCUBATING and rng.random() < p_review:
                a.move(OrgEvent.SUBMIT_REVIEW)
                if self.model.review_passes(a.quality, float(rng.random())):
                    a.quality = min(1.0, a.quality + p.incubation_quality_gain)
                    for event in (OrgEvent.ADMIT, OrgEvent.STANDARDISE, OrgEvent.ACTIVATE):
                        a.move(event)
                    self._evaluate(a, rng)
                else:
                    a.move(OrgEvent.RETURN)
            elif a.stage in BID_STAGES:
                if rng.random() < -np.expm1(-fail_rate * (1 - a.quality)):
                    a.move(OrgEvent.DEREGISTER)
                elif new_year and step > 0:
                    self._evaluate(a, rng)
        self.agents = [a for a in self.agents if a.stage is not OrgStage.DEREGISTERED]
        for c in range(self.n):
            held = self.contractor[c]
            if held is not None and held.stage not in BID_STAGES:
                self.contractor[c] = None
            if planned_fen[c] > 0 and (new_year or (self.contractor[c] is None
                                                    and step % 13 == 0)):
                self.contractor[c] = self._tender(c, rng)
            elif planned_fen[c] <= 0:
                self.contractor[c] = None

    def _tender(self, c: int, rng: np.random.Generator) -> OrgAgent | None:
        self.tenders += 1
        bidders = [a for a in self.agents if a.community == c and a.stage in BID_STAGES]
        if not self.params.tendering:
            if not bidders:
                return None
            self.awarded += 1
            return bidders[int(rng.integers(0, len(bidders)))]
        tiers = [self.tier_for(c, a.grade) for a in bidders]
        open_tiers = [t for t in tiers if t > 0]
        if not open_tiers:
            return None
        first = min(open_tiers)
        round_ = [a for a, t in zip(bidders, tiers, strict=True) if t == first]
        bids = [(a.score or 0.0) + float(rng.normal(0, 30)) for a in round_]
        self.awarded += 1
        return round_[int(np.argmax(bids))]

    def delivered(self, paid_fen: IntArray, cost_fen: int) -> FloatArray:
        """Cases each community's contractor closes for this step's payment (full scale)."""
        out = np.zeros(self.n)
        for c, a in enumerate(self.contractor):
            if a is not None and paid_fen[c] > 0:
                out[c] = self.model.delivered_cases(float(paid_fen[c]), float(cost_fen),
                                                    a.quality)
        return out

    def counts(self) -> tuple[IntArray, IntArray, FloatArray]:
        """Per community: active organizations, organizations in incubation, and the
        contractor's quality (NaN without one)."""
        active = np.zeros(self.n, dtype=np.int64)
        incubating = np.zeros(self.n, dtype=np.int64)
        for a in self.agents:
            if a.stage in BID_STAGES:
                active[a.community] += 1
            elif a.stage in (OrgStage.INCUBATING, OrgStage.UNDER_REVIEW):
                incubating[a.community] += 1
        quality = np.array([np.nan if a is None else a.quality for a in self.contractor])
        return active, incubating, quality


def score_grade(scheme: object, score: float) -> str | None:
    """The grade code a score earns under a :class:`~community_governance.domain.orgs.
    GradeScheme` (``None`` below the lowest)."""
    grade = scheme.grade_for(Decimal(str(round(score, 1))))  # type: ignore[attr-defined]
    return None if grade is None else str(grade.value)
