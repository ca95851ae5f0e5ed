"""The handed-over compounds and their property companies (三供一业小区, 物业服务企业).

The study: "2017年6月份之前义煤集团已把所属的供水、供电、供气与物业管理（三供一业）移交给地方
政府，义马市共涉及31个小区，涉及服务户数2万余户 … 补贴的取消 … 物业管理人员的去留以及大量的
三无和不规范小区"; it recommends market actors for property management and councils that
"加强居委会对业主委员会以及物业服务企业指导、监督和协调".

Per handed-over compound: ``managed`` (has a property company) and ``quality`` in [0, 1].

* start: managed with ``initial_managed_share``; quality ~ Beta(6 m, 6 (1 - m)), ``m`` =
  ``quality_mean``;
* each step: an unmanaged compound gets a company with ``1 - exp(-entry * years)`` (new
  quality drawn), a company leaves with ``1 - exp(-exit * (1 - quality) * years)``;
* council supervision: ``quality += g * M * (1 - quality)`` for ``M`` meetings of the
  compound's community this step;
* cases: the handover's extra case rate (``rate_after - rate_before`` of the case model) is
  multiplied by ``1 - case_relief * quality * managed``;
* satisfaction: the household's satisfaction target falls by ``unmanaged_satisfaction *
  (1 - quality * managed)``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import attrs
import numpy as np
import numpy.typing as npt

from community_governance.simulation.scenario import PropertyPolicy

__all__ = ["DefaultPropertyModel", "PropertyModel"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

_CONCENTRATION = 6.0


@runtime_checkable
class PropertyModel(Protocol):
    """Property management of the handed-over compounds (物业管理)."""

    def start(self, n_compounds: int, rng: np.random.Generator
              ) -> tuple[BoolArray, FloatArray]:
        """``(managed, quality)`` of each handed-over compound at the start."""
        ...

    def step(self, managed: BoolArray, quality: FloatArray, meetings: IntArray,
             years: float, rng: np.random.Generator) -> tuple[BoolArray, FloatArray]:
        """After a step; ``meetings`` are the council meetings of each compound's community."""
        ...

    def case_factor(self, managed: BoolArray, quality: FloatArray) -> FloatArray:
        """Per compound, the share of the handover's extra cases that remains."""
        ...

    def satisfaction_shift(self, managed: BoolArray, quality: FloatArray) -> FloatArray:
        """Per compound, the change of the satisfaction target (0 or negative)."""
        ...


@attrs.frozen
class DefaultPropertyModel:
    """See the module docstring."""

    params: PropertyPolicy
    supervision_gain: float = 0.0  #: ``councils.supervision_gain``

    def _quality(self, n: int, rng: np.random.Generator) -> FloatArray:
        m = self.params.quality_mean
        out: FloatArray = rng.beta(_CONCENTRATION * m, _CONCENTRATION * (1 - m), n)
        return out

    def start(self, n_compounds: int, rng: np.random.Generator
              ) -> tuple[BoolArray, FloatArray]:
        """See the module docstring."""
        managed = rng.random(n_compounds) < self.params.initial_managed_share
        return managed, self._quality(n_compounds, rng)

    def step(self, managed: BoolArray, quality: FloatArray, meetings: IntArray,
             years: float, rng: np.random.Generator) -> tuple[BoolArray, FloatArray]:
        """See the module docstring."""
        p = self.params
        n = managed.size
        u = rng.random((2, n))
        fresh = self._quality(n, rng)
        enter = ~managed & (u[0] < -np.expm1(-p.entry_per_year * years))
        leave = managed & (u[1] < -np.expm1(-p.exit_per_year * (1 - quality) * years))
        q = np.where(enter, fresh, quality)
        gain = -np.expm1(meetings * np.log1p(-min(self.supervision_gain, 1 - 1e-12)))
        q = q + (1.0 - q) * gain
        return (managed & ~leave) | enter, q

    def case_factor(self, managed: BoolArray, quality: FloatArray) -> FloatArray:
        """See the module docstring."""
        out: FloatArray = 1.0 - self.params.case_relief * quality * managed
        return out

    def satisfaction_shift(self, managed: BoolArray, quality: FloatArray) -> FloatArray:
        """See the module docstring."""
        out: FloatArray = -self.params.unmanaged_satisfaction * (1.0 - quality * managed)
        return out
