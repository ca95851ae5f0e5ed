"""Checks of an existing assignment of buildings to grids (e.g. a county's own files).

Each check is a pure function over an :class:`AssignmentView` returning typed findings; the
report lists them all and fixes nothing. The checks follow the study's aim of redrawing
boundaries "to remove unmanaged and disputed areas" (消除漏管和争议区域):

========================  ===========================================================
finding                   meaning
========================  ===========================================================
:class:`Unmanaged`        漏管: a building in no grid
:class:`Disputed`         争议: a building claimed by two or more grids
:class:`UnknownBuilding`  a grid claims a building that is not in the building list
:class:`EmptyGrid`        a grid that claims no building
:class:`CrossesBorder`    a grid with buildings of more than one community
:class:`NonContiguous`    a grid whose buildings are not connected by adjacency
:class:`OutOfBand`        a grid whose households fall outside the policy's band
========================  ===========================================================

:func:`check_leaders` checks posts over simple mappings: grids without a grid leader (网格长),
buildings without a building leader (楼院长), a person leading several grids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import attrs

from community_governance.domain.units import community_of
from community_governance.grids.model import BuildingNode, Coordinates, GridPolicy

__all__ = [
    "GRID_CHECKS",
    "AssignmentView",
    "BuildingWithoutLeader",
    "CrossesBorder",
    "Disputed",
    "EmptyGrid",
    "GridCheckReport",
    "GridWithoutLeader",
    "LeaderOfSeveralGrids",
    "LeaderReport",
    "NonContiguous",
    "OutOfBand",
    "UnknownBuilding",
    "Unmanaged",
    "check_assignment",
    "check_leaders",
    "claims_of",
]


@attrs.frozen
class Unmanaged:
    """漏管: a building that no grid claims."""

    building: str
    community: str
    households: int

    @property
    def message(self) -> str:
        """One line for people."""
        return f"building {self.building} ({self.households} households) is in no grid"


@attrs.frozen
class Disputed:
    """争议: a building that several grids claim."""

    building: str
    grids: tuple[str, ...]

    @property
    def message(self) -> str:
        """One line for people."""
        return f"building {self.building} is claimed by {len(self.grids)} grids: " + ", ".join(
            self.grids
        )


@attrs.frozen
class UnknownBuilding:
    """A grid claims a building code that the building list does not have."""

    grid: str
    building: str

    @property
    def message(self) -> str:
        """One line for people."""
        return f"grid {self.grid} claims building {self.building}, which is not listed"


@attrs.frozen
class EmptyGrid:
    """A grid that claims no (known) building."""

    grid: str

    @property
    def message(self) -> str:
        """One line for people."""
        return f"grid {self.grid} has no building"


@attrs.frozen
class CrossesBorder:
    """A grid whose buildings belong to more than one community.

    Attributes:
        grid: the grid.
        community: the community the grid belongs to (by its code, else most of its buildings).
        outside: its buildings of other communities.
    """

    grid: str
    community: str
    outside: tuple[str, ...]

    @property
    def message(self) -> str:
        """One line for people."""
        return (
            f"grid {self.grid} of community {self.community} holds {len(self.outside)} "
            f"building(s) of other communities: {', '.join(self.outside)}"
        )


@attrs.frozen
class NonContiguous:
    """A grid whose buildings fall into several groups not adjacent to each other.

    Attributes:
        grid: the grid.
        parts: its buildings, group by group (largest first).
    """

    grid: str
    parts: tuple[tuple[str, ...], ...]

    @property
    def message(self) -> str:
        """One line for people."""
        sizes = "+".join(str(len(p)) for p in self.parts)
        return f"grid {self.grid} falls into {len(self.parts)} separate parts ({sizes} buildings)"


@attrs.frozen
class OutOfBand:
    """A grid whose households fall outside ``[low, high]``."""

    grid: str
    households: int
    low: int
    high: int

    @property
    def message(self) -> str:
        """One line for people."""
        side = "under" if self.households < self.low else "over"
        return (
            f"grid {self.grid} has {self.households} households, {side} the band "
            f"{self.low}-{self.high}"
        )


@attrs.frozen(eq=False)
class AssignmentView:
    """What the checks look at: claims, buildings and adjacency.

    Attributes:
        claims: grid → the building codes it claims, as given (duplicates dropped).
        buildings: building code → building.
        neighbours: building code → adjacent building codes (same community only).
        policy: the grid policy.
    """

    claims: Mapping[str, tuple[str, ...]]
    buildings: Mapping[str, BuildingNode]
    neighbours: Mapping[str, frozenset[str]]
    policy: GridPolicy

    def grid_community(self, grid: str) -> str | None:
        """The community a grid belongs to: from its code, else most of its buildings."""
        known = [self.buildings[b].community for b in self.claims[grid] if b in self.buildings]
        by_code = community_of(grid)
        if by_code is not None and by_code != grid:
            return by_code
        if not known:
            return None
        return min(set(known), key=lambda c: (-known.count(c), c))


def find_unmanaged(view: AssignmentView) -> list[Unmanaged]:
    """Buildings that no grid claims (漏管)."""
    claimed = {b for bs in view.claims.values() for b in bs}
    return [
        Unmanaged(code, b.community, b.households)
        for code, b in sorted(view.buildings.items())
        if code not in claimed
    ]


def find_disputed(view: AssignmentView) -> list[Disputed]:
    """Buildings claimed by several grids (争议)."""
    by_building: dict[str, list[str]] = {}
    for grid, bs in view.claims.items():
        for b in bs:
            by_building.setdefault(b, []).append(grid)
    return [Disputed(b, tuple(sorted(gs))) for b, gs in sorted(by_building.items()) if len(gs) > 1]


def find_unknown(view: AssignmentView) -> list[UnknownBuilding]:
    """Claims on buildings that are not listed."""
    return [
        UnknownBuilding(grid, b)
        for grid, bs in sorted(view.claims.items())
        for b in sorted(bs)
        if b not in view.buildings
    ]


def find_empty(view: AssignmentView) -> list[EmptyGrid]:
    """Grids that claim no listed building."""
    return [
        EmptyGrid(grid)
        for grid, bs in sorted(view.claims.items())
        if not any(b in view.buildings for b in bs)
    ]


def find_crossing(view: AssignmentView) -> list[CrossesBorder]:
    """Grids with buildings of more than one community."""
    out = []
    for grid, bs in sorted(view.claims.items()):
        community = view.grid_community(grid)
        if community is None:
            continue
        known = [b for b in bs if b in view.buildings]
        outside = tuple(sorted(b for b in known if view.buildings[b].community != community))
        if outside:
            out.append(CrossesBorder(grid, community, outside))
    return out


def find_non_contiguous(view: AssignmentView) -> list[NonContiguous]:
    """Grids inside one community whose buildings are not all connected.

    A grid crossing a border is reported by :func:`find_crossing` and not again here.
    """
    from community_governance.grids.graph import components  # numpy: the [grids] extra

    out = []
    for grid, bs in sorted(view.claims.items()):
        known = sorted(b for b in bs if b in view.buildings)
        if len({view.buildings[b].community for b in known}) != 1 or len(known) < 2:
            continue
        index = {b: i for i, b in enumerate(known)}
        nbrs = [[index[u] for u in view.neighbours[b] if u in index] for b in known]
        parts = components(range(len(known)), nbrs, None)
        if len(parts) > 1:
            parts.sort(key=lambda p: (-len(p), p[0]))
            out.append(NonContiguous(grid, tuple(tuple(known[i] for i in p) for p in parts)))
    return out


def find_out_of_band(view: AssignmentView) -> list[OutOfBand]:
    """Grids whose households (of listed buildings) fall outside the policy's band."""
    out = []
    for grid, bs in sorted(view.claims.items()):
        known = [view.buildings[b] for b in bs if b in view.buildings]
        if not known:
            continue
        hh = sum(b.households for b in known)
        if not view.policy.in_band(hh):
            out.append(OutOfBand(grid, hh, view.policy.low, view.policy.high))
    return out


#: Every assignment check, in the order of the report's fields.
GRID_CHECKS: tuple[Callable[[AssignmentView], Sequence[object]], ...] = (
    find_unmanaged,
    find_disputed,
    find_unknown,
    find_empty,
    find_crossing,
    find_non_contiguous,
    find_out_of_band,
)


@attrs.frozen
class GridCheckReport:
    """Everything wrong with an assignment; empty lists mean none of that kind.

    Attributes:
        unmanaged: buildings in no grid (漏管).
        disputed: buildings in several grids (争议).
        unknown_buildings: claims on unlisted buildings.
        empty_grids: grids without buildings.
        crosses_border: grids spanning communities.
        non_contiguous: grids in pieces.
        out_of_band: grids outside the band.
    """

    unmanaged: tuple[Unmanaged, ...] = ()
    disputed: tuple[Disputed, ...] = ()
    unknown_buildings: tuple[UnknownBuilding, ...] = ()
    empty_grids: tuple[EmptyGrid, ...] = ()
    crosses_border: tuple[CrossesBorder, ...] = ()
    non_contiguous: tuple[NonContiguous, ...] = ()
    out_of_band: tuple[OutOfBand, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether nothing was found."""
        return not self.findings

    @property
    def findings(self) -> tuple[object, ...]:
        """Every finding, kind by kind in field order."""
        return tuple(f for field in attrs.fields(type(self)) for f in getattr(self, field.name))

    def messages(self) -> list[str]:
        """One line per finding."""
        return [f.message for f in self.findings]  # type: ignore[attr-defined]


def claims_of(
    assignment: Mapping[str, Iterable[str]] | Iterable[tuple[str, str]],
) -> dict[str, tuple[str, ...]]:
    """Normalise an assignment to grid → claimed buildings.

    Args:
        assignment: either a mapping grid → building codes (as a county's grid sheets list
            them), or rows of ``(building, grid)`` pairs (as a building sheet lists them; a
            building on two rows is claimed twice). A ``{building: grid}`` dict is rows
            too: pass ``assignment.items()``.

    Returns:
        Grid → sorted building codes, sorted by grid.
    """
    out: dict[str, set[str]] = {}
    if isinstance(assignment, Mapping):
        for grid, bs in assignment.items():
            out.setdefault(grid, set()).update(bs)
    else:
        for building, grid in assignment:
            out.setdefault(grid, set()).add(building)
    return {g: tuple(sorted(bs)) for g, bs in sorted(out.items())}


def check_assignment(
    assignment: Mapping[str, Iterable[str]] | Iterable[tuple[str, str]],
    buildings: Iterable[BuildingNode],
    policy: GridPolicy,
    *,
    edges: Iterable[tuple[str, str]] | None = None,
    coordinates: Coordinates | str = Coordinates.METRES,
) -> GridCheckReport:
    """Run every check in :data:`GRID_CHECKS` over an existing assignment.

    A building claimed by two grids counts in both for contiguity and band; it is reported as
    disputed. Nothing is fixed.

    Args:
        assignment: grid → buildings, or ``(building, grid)`` rows (see :func:`claims_of`).
        buildings: every building that should be in some grid.
        policy: the band, and the rules that derive adjacency when ``edges`` is not given.
        edges: explicit adjacency as pairs of building codes.
        coordinates: what ``x``/``y`` mean.

    Returns:
        The report.
    """
    from community_governance.grids.graph import community_graphs  # numpy: the [grids] extra

    items = list(buildings)
    graphs = community_graphs(items, policy, edges=edges, coordinates=coordinates)
    neighbours = {b: nb for g in graphs.values() for b, nb in g.neighbour_codes().items()}
    view = AssignmentView(
        claims=claims_of(assignment),
        buildings={b.code: b for b in items},
        neighbours=neighbours,
        policy=policy,
    )
    return GridCheckReport(
        unmanaged=tuple(find_unmanaged(view)),
        disputed=tuple(find_disputed(view)),
        unknown_buildings=tuple(find_unknown(view)),
        empty_grids=tuple(find_empty(view)),
        crosses_border=tuple(find_crossing(view)),
        non_contiguous=tuple(find_non_contiguous(view)),
        out_of_band=tuple(find_out_of_band(view)),
    )


@attrs.frozen
class GridWithoutLeader:
    """A grid with no grid leader (网格长)."""

    grid: str

    @property
    def message(self) -> str:
        """One line for people."""
        return f"grid {self.grid} has no grid leader (网格长)"


@attrs.frozen
class BuildingWithoutLeader:
    """A building with no building leader (楼院长)."""

    building: str

    @property
    def message(self) -> str:
        """One line for people."""
        return f"building {self.building} has no building leader (楼院长)"


@attrs.frozen
class LeaderOfSeveralGrids:
    """One person named grid leader of several grids."""

    leader: str
    grids: tuple[str, ...]

    @property
    def message(self) -> str:
        """One line for people."""
        return f"{self.leader} leads {len(self.grids)} grids: {', '.join(self.grids)}"


@attrs.frozen
class LeaderReport:
    """Posts missing or doubled.

    Attributes:
        grids_without_leader: grids with no grid leader.
        buildings_without_leader: buildings with no building leader.
        leaders_of_several_grids: people leading more than one grid.
    """

    grids_without_leader: tuple[GridWithoutLeader, ...] = ()
    buildings_without_leader: tuple[BuildingWithoutLeader, ...] = ()
    leaders_of_several_grids: tuple[LeaderOfSeveralGrids, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether nothing was found."""
        return not (
            self.grids_without_leader
            or self.buildings_without_leader
            or self.leaders_of_several_grids
        )


def check_leaders(
    grids: Iterable[str],
    buildings: Iterable[str],
    grid_leaders: Mapping[str, str | None],
    building_leaders: Mapping[str, str | None],
) -> LeaderReport:
    """Check that every grid has a grid leader and every building a building leader.

    A building leader may look after several buildings (Yima had 495 for its buildings); a
    grid leader leads one grid (78 grids, 78 grid leaders), so one person leading several
    grids is reported.

    Args:
        grids: the grid codes.
        buildings: the building codes.
        grid_leaders: grid code → the leader's id or name (missing, ``None`` or ``""``: none).
        building_leaders: building code → the leader's id or name.

    Returns:
        The report.
    """
    grid_list = sorted(set(grids))
    led: dict[str, list[str]] = {}
    for g in grid_list:
        who = grid_leaders.get(g)
        if who:
            led.setdefault(who, []).append(g)
    return LeaderReport(
        grids_without_leader=tuple(
            GridWithoutLeader(g) for g in grid_list if not grid_leaders.get(g)
        ),
        buildings_without_leader=tuple(
            BuildingWithoutLeader(b) for b in sorted(set(buildings)) if not building_leaders.get(b)
        ),
        leaders_of_several_grids=tuple(
            LeaderOfSeveralGrids(who, tuple(gs)) for who, gs in sorted(led.items()) if len(gs) > 1
        ),
    )
