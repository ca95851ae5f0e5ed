"""Culture groups fed by activities (文体组织): "发动靠活动，活动靠文化".

The study: "以'社区靠群众，群众靠发动，发动靠活动，活动靠文化'为社区建设理念 … 通过开展丰富
多彩的文化活动，把辖区内的老党员、老干部、退休职工、文艺骨干和思想进步的居民组织起来 … 很多
文体组织成员最后都成了社区志愿者". Activities recruit members; members become volunteers (the
volunteering model's ``from_culture_per_year``, far above ``from_others_per_year``).

Per resident and step (``years`` long), a non-member joins with

    p_join = 1 - (1 - p_bg) * (1 - j * A),   p_bg = 1 - exp(-join * w(age) * years)

(``A`` = 1 if they attended an activity this step, ``j`` = ``join_per_attendance``, ``w`` =
``elderly_weight`` from 60, 1 from 14, 0 below), and a member leaves with ``1 - exp(-leave *
years)``. Groups are counted as members / ``members_per_group`` (4,756 / 177).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import attrs
import numpy as np
import numpy.typing as npt

from community_governance.simulation.scenario import CultureBehaviour

__all__ = ["CultureModel", "DefaultCultureModel"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@runtime_checkable
class CultureModel(Protocol):
    """Culture-group membership fed by activities (文体组织成员)."""

    def membership_probabilities(
        self, ages: npt.NDArray[np.int16], culture: BoolArray, attended: BoolArray,
        years: float,
    ) -> FloatArray:
        """Per resident, the chance of switching membership within a step (joining for a
        non-member, leaving for a member)."""
        ...


@attrs.frozen
class DefaultCultureModel:
    """See the module docstring."""

    params: CultureBehaviour

    def membership_probabilities(
        self, ages: npt.NDArray[np.int16], culture: BoolArray, attended: BoolArray,
        years: float,
    ) -> FloatArray:
        """See the module docstring."""
        p = self.params
        join = float(-np.expm1(-p.join_per_year * years))
        old = float(-np.expm1(-p.join_per_year * p.elderly_weight * years))
        top = int(ages.max(initial=0)) + 1
        table = np.zeros(max(top, 61))
        table[14:] = join
        table[60:] = old
        joins = table[ages]
        if p.join_per_attendance > 0:
            came = np.flatnonzero(attended)
            joins[came] = 1.0 - (1.0 - joins[came]) * (1.0 - p.join_per_attendance)
        leave = float(-np.expm1(-p.leave_per_year * years))
        out: FloatArray = np.where(culture, leave, joins)
        return out
