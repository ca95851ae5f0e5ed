"""Party members' activity (党员作用).

The study: "建立了党员亮身份、党员参加公益活动、党员参与社区重大事项、群众评议党员等制度 …
鼓励他们担任楼院长、志愿服务和文体组织负责人". Party members are a share of the adults, drawn
once; they attend activities more (a logit shift, larger when residents evaluate them), become
volunteers more readily (a hazard multiplier) and are preferred for council seats (see
:mod:`.civic`).

* member: ``u < member_share`` for residents aged 18+;
* attendance: ``logit p' = logit p + attend_boost + evaluation_boost * [evaluation]``;
* becoming a volunteer: ``p' = 1 - (1 - p) ** volunteer_multiplier``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import attrs
import numpy as np
import numpy.typing as npt

from community_governance.simulation.scenario import PartyPolicy

__all__ = ["DefaultPartyModel", "PartyModel"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@runtime_checkable
class PartyModel(Protocol):
    """Party members and their activity (党员)."""

    def members(self, ages: npt.NDArray[np.int16], uniform: FloatArray) -> BoolArray:
        """Who is a party member at the start."""
        ...

    def attend(self, p: FloatArray, member: BoolArray) -> FloatArray:
        """Attendance chances adjusted for party members."""
        ...

    def become_volunteer(self, p: FloatArray, member: BoolArray) -> FloatArray:
        """Chances of becoming a volunteer adjusted for party members."""
        ...


@attrs.frozen
class DefaultPartyModel:
    """See the module docstring."""

    params: PartyPolicy

    def members(self, ages: npt.NDArray[np.int16], uniform: FloatArray) -> BoolArray:
        """See the module docstring."""
        out: BoolArray = (ages >= 18) & (uniform < self.params.member_share)
        return out

    def attend(self, p: FloatArray, member: BoolArray) -> FloatArray:
        """See the module docstring."""
        shift = self.params.attend_boost + (
            self.params.evaluation_boost if self.params.evaluation else 0.0)
        if shift == 0.0 or not member.any():
            return p
        q = np.clip(p[member], 1e-12, 1 - 1e-12)
        out = p.copy()
        out[member] = 1.0 / (1.0 + (1.0 - q) / q * np.exp(-shift))
        return out

    def become_volunteer(self, p: FloatArray, member: BoolArray) -> FloatArray:
        """See the module docstring."""
        m = self.params.volunteer_multiplier
        if m == 1.0 or not member.any():
            return p
        out = p.copy()
        out[member] = -np.expm1(m * np.log1p(-np.minimum(p[member], 1 - 1e-12)))
        return out
