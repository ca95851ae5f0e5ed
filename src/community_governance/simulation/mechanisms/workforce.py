"""Community staff as a workforce (社区工作人员队伍): turnover, hiring lag, learning curve.

The study: "每个社区仅有工作人员6至8名 … 工作人员中大部分都为临时人员，人员力量不足再加上更换
频繁" (6 to 8 staff, mostly temporary, changing often). Capacity therefore is not linear in
head count: every post turns over, stays empty while a replacement is hired, and a new member
works at a fraction of an experienced one's pace until they learn the job.

Per post ``i`` (permanent or temporary, open or not yet open):

* a filled post empties with the yearly hazard ``q_perm`` or ``q_temp``:
  ``P(leave in a step) = 1 - exp(-q * years)``;
* an open empty post is filled with ``P = 1 - exp(-weeks / L)`` (``L`` the mean hiring lag in
  weeks); the new member's tenure starts at 0;
* productivity ``e_i = 1 - (1 - p0) * exp(-tenure_i / tau)`` (``p0`` a new member's share,
  ``tau`` the learning time constant in weeks);
* a community's effective staff is ``sum_i e_i`` over its filled posts, which the service
  model turns into capacity.

At the start every post is filled with the steady-state chance ``1 - v``, ``v = q L / (52 + q
L)``, with a tenure drawn from the steady-state (exponential) distribution, so a run starts
in balance rather than with a fully trained, fully staffed office.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import attrs
import numpy as np
import numpy.typing as npt

from community_governance.simulation.scenario import StaffPolicy

__all__ = ["DefaultWorkforceModel", "WorkforceModel", "WorkforceState"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@attrs.define
class WorkforceState:
    """The posts of every community (岗位): one entry per post.

    Attributes:
        community: the community index of each post.
        permanent: whether the post is on the public payroll (编制).
        funded_by_channel: whether a funding channel pays the post (else the city).
        filled: whether someone holds it.
        tenure_weeks: how long the holder has held it.
        hires: hires made so far; leavers: departures so far (per community).
    """

    community: IntArray
    permanent: BoolArray
    funded_by_channel: BoolArray
    filled: BoolArray
    tenure_weeks: FloatArray
    hires: FloatArray
    leavers: FloatArray


@runtime_checkable
class WorkforceModel(Protocol):
    """Staff turnover and capacity (工作人员流动)."""

    def start(self, state: WorkforceState, rng: np.random.Generator) -> WorkforceState:
        """The posts at the start of the run (filled, tenure) from their layout."""
        ...

    def step(self, state: WorkforceState, open_: BoolArray, weeks: float,
             rng: np.random.Generator) -> WorkforceState:
        """The posts after a step of ``weeks``; ``open_`` marks the posts that exist now."""
        ...

    def productivity(self, state: WorkforceState) -> FloatArray:
        """Per post, the holder's productivity (0 if empty)."""
        ...


@attrs.frozen
class DefaultWorkforceModel:
    """Turnover, hiring lag and learning curve (see the module docstring)."""

    params: StaffPolicy

    def _quit(self, permanent: BoolArray) -> FloatArray:
        p = self.params
        return np.where(permanent, p.permanent_quit_per_year, p.temporary_quit_per_year)

    def start(self, state: WorkforceState, rng: np.random.Generator) -> WorkforceState:
        """See the module docstring."""
        p = self.params
        n = state.community.size
        if not p.turnover:
            return attrs.evolve(state, filled=np.ones(n, dtype=bool),
                                tenure_weeks=np.full(n, 1e6))
        q = self._quit(state.permanent)
        lag = p.hiring_lag_weeks
        vacant = q * lag / (52.0 + q * lag)
        u = rng.random((2, n))
        filled = u[0] >= vacant
        mean_tenure = np.where(q > 0, 52.0 / np.maximum(q, 1e-12), 1e6)
        tenure = -np.log1p(-u[1]) * mean_tenure
        return attrs.evolve(state, filled=filled & ~state.funded_by_channel,
                            tenure_weeks=np.where(filled, tenure, 0.0))

    def step(self, state: WorkforceState, open_: BoolArray, weeks: float,
             rng: np.random.Generator) -> WorkforceState:
        """See the module docstring."""
        p = self.params
        n = state.community.size
        if not p.turnover:
            return attrs.evolve(state, filled=open_.copy(), tenure_weeks=np.full(n, 1e6))
        u = rng.random((2, n))
        leave = state.filled & (u[0] < -np.expm1(-self._quit(state.permanent) * weeks / 52.0))
        leave |= state.filled & ~open_
        p_hire = 1.0 if p.hiring_lag_weeks <= 0 else -np.expm1(-weeks / p.hiring_lag_weeks)
        hire = ~state.filled & open_ & (u[1] < p_hire)
        filled = (state.filled & ~leave) | hire
        tenure = np.where(filled & ~hire, state.tenure_weeks + weeks, 0.0)
        n_c = state.hires.size
        return attrs.evolve(
            state, filled=filled, tenure_weeks=tenure,
            hires=state.hires + np.bincount(state.community[hire], minlength=n_c),
            leavers=state.leavers + np.bincount(state.community[leave], minlength=n_c))

    def productivity(self, state: WorkforceState) -> FloatArray:
        """See the module docstring."""
        p = self.params
        if p.learning_weeks <= 0:
            learned = np.ones(state.tenure_weeks.size)
        else:
            learned = 1.0 - (1.0 - p.new_hire_productivity) * np.exp(
                -state.tenure_weeks / p.learning_weeks)
        out: FloatArray = np.where(state.filled, learned, 0.0)
        return out
