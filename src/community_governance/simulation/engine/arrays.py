"""The engine's arrays: column names, fund accounts, and sums by group."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

try:
    import numpy as np
    import numpy.typing as npt
except ImportError as exc:  # the base install has no numpy
    from community_governance.errors import MissingExtra

    raise MissingExtra("numpy", "sim", "the simulation") from exc

from community_governance.domain.care import FESTIVAL_ROUNDS
from community_governance.domain.people import Vulnerability

__all__ = ["ACCOUNTS", "COMMUNITY_COLUMNS", "FLAG_BITS", "FLOAT_COLUMNS", "SCALED_QUEUE_COLUMNS",
           "VISIT_FESTIVALS", "Arr"]


Arr = npt.NDArray[Any]
#: Fund accounts of a community in the engine, as in the standard chart's fund groups.
ACCOUNTS = ("office", "care", "culture", "general")
_USE_ACCOUNT = {"office": 0, "care": 1, "activities": 2, "supermarket": 3, "staff": 0,
                "services": 3}
#: Care visits (走访慰问) happen in the weeks of these festivals: the care service's festival
#: rounds (``domain.care.FESTIVAL_ROUNDS``), not a copy.
VISIT_FESTIVALS = FESTIVAL_ROUNDS
#: The bit of each vulnerability flag in ``SimCity.household_flags`` (a household's flags are
#: the union of its residents').
FLAG_BITS: dict[str, int] = {v.value: 1 << i for i, v in enumerate(Vulnerability)}
_MAX_AGE = 26  # backlog cohorts tracked week by week; older cases share the last bucket

#: Columns of the per-step, per-community table (all integer or float, money in fen).
COMMUNITY_COLUMNS = (
    "residents", "households", "staff", "grids", "activities", "participants", "attendances",
    "services", "volunteers", "culture_members", "volunteers_from_culture", "points_issued",
    "points_redeemed", "redeemed_fen", "points_outstanding", "supermarket_left_fen",
    "cases_opened", "cases_closed", "closed_on_time", "backlog", "overdue_backlog",
    "handling_days_sum", "capacity", "satisfaction", "identification",
    "satisfaction_handover", "care_visits", "care_visits_needed",
    "fund_office_fen", "fund_care_fen", "fund_culture_fen", "fund_general_fen",
    "inflow_fen", "outflow_fen",
    # the mechanisms (simulation.mechanisms)
    "staff_effective", "staff_hires", "staff_leavers", "wages_fen", "council_meetings",
    "disclosures", "informed", "voice", "culture_groups", "orgs_active", "orgs_incubating",
    "purchase_paid_fen", "purchased_cases", "managed_compounds", "unmanaged_households",
)
#: Columns of :data:`COMMUNITY_COLUMNS` that hold fractions (kept as floats in the tables).
FLOAT_COLUMNS = frozenset({"satisfaction", "identification", "satisfaction_handover",
                           "handling_days_sum", "staff", "staff_effective", "informed",
                           "voice", "culture_groups", "purchased_cases"})

#: Columns of the case queue: at a scale other than 1 the queue runs at the full community's
#: size and these record it times the scale (floats), so their sums stay in the sample's terms.
SCALED_QUEUE_COLUMNS = ("cases_opened", "cases_closed", "closed_on_time", "backlog",
                        "overdue_backlog", "handling_days_sum", "capacity")


def _fen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _counts(index: Arr, n: int, weights: Arr | None = None) -> Arr:
    return np.bincount(index, weights=weights, minlength=n)


class _Groups:
    """Sums by group: ``np.add.reduceat`` over contiguous groups (the city is generated in
    community order), ``np.bincount`` otherwise."""

    def __init__(self, index: Arr, n: int) -> None:
        self.index = index
        self.n = n
        self.sizes = np.bincount(index, minlength=n)
        self.contiguous = bool(index.size == 0 or np.all(np.diff(index) >= 0))
        starts = np.concatenate([[0], np.cumsum(self.sizes)[:-1]])
        self.starts = np.minimum(starts, max(index.size - 1, 0))
        self.empty = self.sizes == 0

    def members(self, groups: Arr) -> Arr:
        """Indices of the members of ``groups``, in index order."""
        if not self.contiguous:
            return np.flatnonzero(np.isin(self.index, groups))
        ends = self.starts[groups] + self.sizes[groups]
        return np.concatenate([np.arange(self.starts[g], e) for g, e in zip(groups, ends,
                                                                          strict=True)]
                              ) if groups.size else np.zeros(0, dtype=np.int64)

    def sum(self, values: Arr) -> Arr:
        """Per-group sums of ``values`` (floats)."""
        if not self.contiguous or self.index.size == 0:
            return np.bincount(self.index, weights=values, minlength=self.n).astype(np.float64)
        if values.dtype == np.bool_:
            values = values.view(np.int8).astype(np.int64)
        out = np.add.reduceat(values, self.starts).astype(np.float64)
        out[self.empty] = 0.0
        return out
