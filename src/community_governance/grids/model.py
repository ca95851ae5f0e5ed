"""Values of grid division: the policy, the buildings drawn, the grids and the plan.

Every class here is a frozen attrs class with tuple fields: a plan never changes once made,
and a redraw returns a new plan. Nothing here reads files, calls hooks or looks at the clock.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from community_governance.errors import ValidationError

if TYPE_CHECKING:
    from community_governance.domain.units import Building

__all__ = [
    "Adjustment",
    "AdjustmentKind",
    "BuildingNode",
    "CommunityPlan",
    "Coordinates",
    "Division",
    "Grid",
    "GridPolicy",
    "Infeasibility",
    "InfeasibilityKind",
    "Move",
    "Spread",
    "grid_count",
    "grid_number",
]


class Coordinates(enum.StrEnum):
    """What a building's ``x`` and ``y`` mean."""

    METRES = "metres"  #: projected metres, easting and northing (any local or UTM projection)
    LONLAT = "lonlat"  #: WGS 84 / CGCS2000 longitude and latitude in degrees


def _positive(instance: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if value <= 0:
        raise ValidationError(
            f"grid policy {attribute.name} must be a positive number of households, got {value}",
            path=attribute.name,
        )


def _optional_positive(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not value > 0:
        raise ValidationError(
            f"grid policy {attribute.name} must be positive metres or None, got {value}",
            path=attribute.name,
        )


def _non_negative(instance: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if value < 0:
        raise ValidationError(
            f"grid policy {attribute.name} must be 0 or more, got {value}", path=attribute.name
        )


#: Buildings of one community this close (metres) count as adjacent unless a policy says
#: otherwise: the national default (``GridPolicy(500, 400, 650)`` gets it too).
NEIGHBOUR_DISTANCE_M = 500.0


@attrs.frozen
class GridPolicy:
    """How a county divides communities into grids (网格划分标准).

    The national practice, and Yima's, is one grid per about 600 households
    (每600户居民划分1个网格). ``low`` and ``high`` default to 80 % and 120 % of ``target``.

    Attributes:
        target: households a grid should hold.
        low: fewest households a grid may hold while in band.
        high: most households a grid may hold while in band.
        keep_compounds_whole: put every compound (小区) whose households fit under ``high`` in
            one grid; a larger compound is split, and the plan says so.
        neighbour_distance_m: buildings of one community this close (metres) are adjacent
            (default 500 m, the national default: a grid may reach across a street or a small
            park to the next compound); ``None`` turns the distance rule off.
        k_neighbours: also link each building to its ``k`` nearest buildings of its community,
            however far; ``0`` turns the rule off. With it on, no building is an island.
        compound_link_m: link the buildings of one compound along its shortest spanning tree
            where a link is at most this long, so that a compound whose buildings stand a bit
            apart stays connected; ``None`` turns it off.
    """

    target: int = attrs.field(default=600, validator=_positive)
    low: int = attrs.field(validator=_positive)
    high: int = attrs.field(validator=_positive)
    keep_compounds_whole: bool = True
    neighbour_distance_m: float | None = attrs.field(default=NEIGHBOUR_DISTANCE_M,
                                                     validator=_optional_positive)
    k_neighbours: int = attrs.field(default=0, validator=_non_negative)
    compound_link_m: float | None = attrs.field(default=300.0, validator=_optional_positive)

    @low.default
    def _low_default(self) -> int:
        return max(1, math.floor(self.target * 0.8))

    @high.default
    def _high_default(self) -> int:
        return math.ceil(self.target * 1.2)

    def __attrs_post_init__(self) -> None:
        if not self.low <= self.target <= self.high:
            raise ValidationError(
                f"grid policy needs low <= target <= high, got low={self.low}, "
                f"target={self.target}, high={self.high}",
                path="low",
            )

    def in_band(self, households: int) -> bool:
        """Whether a grid of ``households`` households is inside ``[low, high]``."""
        return self.low <= households <= self.high


def grid_count(policy: GridPolicy, households: int) -> int:
    """How many grids a community of ``households`` households gets under ``policy``.

    The default rule: ``max(1, round(households / target))``, rounding halves to even as
    Python does. The drawing may use another count where this one cannot put every grid in
    band; the plan then says so with an :class:`Adjustment`.

    Args:
        policy: the county's grid policy.
        households: households in the community.

    Returns:
        The number of grids, at least 1.
    """
    return max(1, round(households / policy.target))


_GRID_NUMBER = re.compile(r"-W(\d+)$")


def grid_number(code: str) -> int | None:
    """The number of a grid code (``411281001001-W03`` → 3), or ``None`` if it has none."""
    m = _GRID_NUMBER.search(code)
    return int(m.group(1)) if m else None


def _households(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            f"households must be a whole number 0 or more, got {value!r}", path="households"
        )
    return value


def _optional_float(value: float | None) -> float | None:
    if value is None:
        return None
    out = float(value)
    if not math.isfinite(out):
        raise ValidationError(f"a coordinate must be finite, got {value!r}", path="x")
    return out


def _nonempty(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{attribute.name} must be a non-empty string", path=attribute.name)


@attrs.frozen
class BuildingNode:
    """A building (楼院) as the grid algorithm sees it.

    Attributes:
        code: the building's code, e.g. ``411281001001-B0042``.
        community: the code of its community (社区).
        households: households living there (户).
        x: easting in metres, or longitude in degrees (see :class:`Coordinates`).
        y: northing in metres, or latitude in degrees.
        compound: the code of its compound (小区), if any.
    """

    code: str = attrs.field(validator=_nonempty)
    community: str = attrs.field(validator=_nonempty)
    households: int = attrs.field(converter=_households)
    x: float | None = attrs.field(default=None, converter=_optional_float)
    y: float | None = attrs.field(default=None, converter=_optional_float)
    compound: str | None = None

    def __attrs_post_init__(self) -> None:
        if (self.x is None) != (self.y is None):
            raise ValidationError(f"building {self.code}: give both x and y, or neither", path="x")

    @property
    def has_position(self) -> bool:
        """Whether the building has coordinates."""
        return self.x is not None

    @classmethod
    def from_building(cls, building: Building, households: int | None = None) -> BuildingNode:
        """The node of a domain :class:`~community_governance.domain.units.Building`.

        Args:
            building: the building.
            households: registered households; defaults to ``households_planned``.

        Returns:
            The node.
        """
        return cls(
            code=building.code,
            community=building.community_code,
            households=building.households_planned if households is None else households,
            x=building.x,
            y=building.y,
            compound=building.compound_code,
        )


@attrs.frozen
class Spread:
    """How evenly households are spread over grids (网格户数分布).

    Attributes:
        grids: number of grids.
        households: households in them.
        min: households in the smallest grid (0 when there is no grid).
        max: households in the largest grid.
        mean: mean households per grid.
        std: population standard deviation of households per grid.
    """

    grids: int
    households: int
    min: int
    max: int
    mean: float
    std: float

    @classmethod
    def of(cls, sizes: Iterable[int]) -> Spread:
        """The spread of the given grid sizes (households per grid)."""
        values = sorted(sizes)
        if not values:
            return cls(0, 0, 0, 0, 0.0, 0.0)
        total = sum(values)
        mean = total / len(values)
        var = sum((v - mean) ** 2 for v in values) / len(values)
        return cls(len(values), total, values[0], values[-1], mean, math.sqrt(var))


@attrs.frozen
class Grid:
    """One grid (网格): a contiguous group of whole buildings inside one community.

    Attributes:
        code: e.g. ``411281001001-W03``.
        community: its community's code.
        buildings: codes of its buildings, sorted.
        households: households in them.
    """

    code: str
    community: str
    buildings: tuple[str, ...]
    households: int


class InfeasibilityKind(enum.StrEnum):
    """Why a grid is out of band."""

    #: the whole community holds fewer than ``low`` households: one grid, under band.
    COMMUNITY_TOO_SMALL = "community_too_small"
    #: a building with no neighbour, lighter than ``low``: it is a grid by itself.
    ISLAND = "island"
    #: several buildings cut off from the rest of their community, together lighter than ``low``.
    PART_TOO_SMALL = "part_too_small"
    #: a building with more households than ``high``.
    TOWER_OVER_BAND = "tower_over_band"
    #: no whole number of grids puts the average in band (e.g. 800 households, band 480-720).
    BAND_UNREACHABLE = "band_unreachable"
    #: keeping compounds (小区) whole leaves the grid out of band; splitting some would help.
    COMPOUND_KEPT_WHOLE = "compound_kept_whole"
    #: a count exists, but the graph's shape (a hub with many small leaves, a leaf hanging off
    #: a tower) left this grid out of band, or the search found no in-band division.
    GRAPH_SHAPE = "graph_shape"


@attrs.frozen
class Infeasibility:
    """A grid that is out of band, and why (无法达标的网格及原因).

    Attributes:
        kind: the reason.
        community: the community's code.
        grid: the grid's code.
        households: households in the grid.
        buildings: the buildings that cause it (the island, the tower, the cut-off part...).
        detail: one sentence a person can act on.
    """

    kind: InfeasibilityKind
    community: str
    grid: str
    households: int
    buildings: tuple[str, ...]
    detail: str


class AdjustmentKind(enum.StrEnum):
    """A departure from the policy that the plan made on purpose."""

    #: the community got another number of grids than ``grid_count`` says.
    COUNT_CHANGED = "count_changed"
    #: a compound larger than ``high`` was split over several grids.
    COMPOUND_SPLIT = "compound_split"
    #: a compound whose buildings are not connected was kept as several pieces.
    COMPOUND_DISCONNECTED = "compound_disconnected"
    #: a grid read from the previous assignment fell apart and its pieces were re-homed.
    GRID_BROKEN = "grid_broken"
    #: a redraw gave a grid a fresh code (a split, or buildings with no neighbouring grid).
    GRID_ADDED = "grid_added"
    #: a redraw retired a grid's code (merged into a neighbour, or all its buildings left).
    GRID_RETIRED = "grid_retired"


@attrs.frozen
class Adjustment:
    """Something the plan did that departs from the policy or the previous plan, said aloud
    (调整说明).

    Attributes:
        kind: what was done.
        community: the community's code.
        detail: one sentence saying what and why.
        buildings: the buildings concerned (may be empty).
        grids: the grids concerned (may be empty).
    """

    kind: AdjustmentKind
    community: str
    detail: str
    buildings: tuple[str, ...] = ()
    grids: tuple[str, ...] = ()


@attrs.frozen
class Move:
    """A building whose grid changed between two plans (楼院调整网格).

    Attributes:
        building: the building's code.
        households: its households (in the new plan; in the old one if it left).
        from_grid: its grid before; ``None`` for a new building.
        to_grid: its grid now; ``None`` for a building that is gone.
    """

    building: str
    households: int
    from_grid: str | None
    to_grid: str | None


@attrs.frozen
class CommunityPlan:
    """The grids of one community (社区网格划分方案).

    Attributes:
        community: the community's code.
        households: households in the community.
        policy_count: grids the policy's :func:`grid_count` asks for.
        grids: the grids, by code.
        spread: households per grid.
        infeasibilities: every grid out of band, explained.
        adjustments: departures from the policy, explained.
    """

    community: str
    households: int
    policy_count: int
    grids: tuple[Grid, ...]
    spread: Spread
    infeasibilities: tuple[Infeasibility, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()


@attrs.frozen
class Division:
    """A division of communities into grids (网格划分): what
    :func:`~community_governance.grids.draw` and :func:`~community_governance.grids.redraw`
    return.

    Attributes:
        policy: the policy drawn under.
        coordinates: what the buildings' ``x``/``y`` meant.
        communities: one plan per community, by code.
        spread: households per grid over every community.
        moves: for a redraw, every building whose grid changed (empty for a fresh draw).
    """

    policy: GridPolicy
    coordinates: Coordinates
    communities: tuple[CommunityPlan, ...]
    spread: Spread
    moves: tuple[Move, ...] = ()

    @property
    def grids(self) -> tuple[Grid, ...]:
        """Every grid, community by community."""
        return tuple(g for c in self.communities for g in c.grids)

    @property
    def infeasibilities(self) -> tuple[Infeasibility, ...]:
        """Every out-of-band grid, explained."""
        return tuple(i for c in self.communities for i in c.infeasibilities)

    @property
    def adjustments(self) -> tuple[Adjustment, ...]:
        """Every departure from the policy, explained."""
        return tuple(a for c in self.communities for a in c.adjustments)

    @property
    def households_moved(self) -> int:
        """Households in buildings that stayed but changed grid (a redraw's disruption)."""
        return sum(
            m.households for m in self.moves if m.from_grid is not None and m.to_grid is not None
        )

    def assignment(self) -> dict[str, str]:
        """Building code → grid code, sorted by building code."""
        pairs = ((b, g.code) for g in self.grids for b in g.buildings)
        return dict(sorted(pairs))

    def community(self, code: str) -> CommunityPlan:
        """The plan of one community.

        Raises:
            KeyError: no such community in the division.
        """
        for plan in self.communities:
            if plan.community == code:
                return plan
        raise KeyError(code)

    def out_of_band(self) -> tuple[Grid, ...]:
        """The grids whose households fall outside the policy's band."""
        return tuple(g for g in self.grids if not self.policy.in_band(g.households))

    def summary(self) -> Mapping[str, object]:
        """A small JSON-ready summary: counts, band share and spread."""
        grids = self.grids
        in_band = sum(1 for g in grids if self.policy.in_band(g.households))
        return {
            "communities": len(self.communities),
            "buildings": sum(len(g.buildings) for g in grids),
            "households": self.spread.households,
            "grids": len(grids),
            "policy_grids": sum(c.policy_count for c in self.communities),
            "in_band": in_band,
            "in_band_share": in_band / len(grids) if grids else 1.0,
            "min": self.spread.min,
            "max": self.spread.max,
            "mean": round(self.spread.mean, 1),
            "std": round(self.spread.std, 1),
            "infeasibilities": len(self.infeasibilities),
            "households_moved": self.households_moved,
        }
