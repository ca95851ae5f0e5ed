"""Money that buys staff, activities and purchased services (经费的用途).

The study asks for more funding channels (投资, 捐赠, 有偿服务) because funds are tight and from a
single source (经费紧张). Here money is not only counted but spent on something that acts:

* **staff**: a channel with ``use = "staff"`` opens ``floor(cny_per_year / wage)`` temporary
  posts per community from its start (hired after the workforce's hiring lag), whose holders
  are paid ``wage * days / 365`` a step from the office account;
* **activities**: the culture fund pays ``activities.cost_cny`` per activity held (a channel
  with ``use = "activities"`` adds to it);
* **purchased services**: ``orgs.purchase_cny_per_year`` plus channels with ``use =
  "services"`` are tendered to social organizations; the winner is paid ``min(planned,
  available)`` a step from the general account, which is reserved ahead of the supermarket;
* **the supermarket**: redemptions need goods (the year's budget) and money in the general
  account (partner units' support); when it is empty the points buy nothing and the incentive
  falls to 0, so cutting partner funds lowers participation.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import attrs
import numpy as np
import numpy.typing as npt

__all__ = ["BudgetModel", "DefaultBudgetModel"]

IntArray = npt.NDArray[np.int64]


@runtime_checkable
class BudgetModel(Protocol):
    """What money buys (经费使用规则)."""

    def channel_posts(self, cny_per_year: float, wage_cny_per_year: float) -> int:
        """Temporary posts a staff channel pays for."""
        ...

    def purchase_payment(self, planned_fen: IntArray, available_fen: IntArray) -> IntArray:
        """Fen paid this step for purchased services, per community."""
        ...


@attrs.frozen
class DefaultBudgetModel:
    """See the module docstring."""

    def channel_posts(self, cny_per_year: float, wage_cny_per_year: float) -> int:
        """``floor(cny_per_year / wage)`` (0 without a wage)."""
        if wage_cny_per_year <= 0:
            return 0
        return int(cny_per_year // wage_cny_per_year)

    def purchase_payment(self, planned_fen: IntArray, available_fen: IntArray) -> IntArray:
        """``min(planned, available)``, never negative."""
        out: IntArray = np.maximum(np.minimum(planned_fen, available_fen), 0)
        return out
