"""Drawing grids: :func:`draw` divides every community from scratch.

See the package docstring (:mod:`community_governance.grids`) for the algorithm and what it
guarantees. :mod:`community_governance.grids.redraw` reuses the helpers here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import attrs

try:
    import numpy as np
    import numpy.typing as npt
except ImportError as exc:  # the base install has no numpy
    from community_governance.errors import MissingExtra

    raise MissingExtra("numpy", "grids", "drawing grids") from exc

from community_governance.domain.units import grid_code
from community_governance.grids._partition import Problem, partition
from community_governance.grids.graph import CommunityGraph, community_graphs, components
from community_governance.grids.model import (
    Adjustment,
    AdjustmentKind,
    BuildingNode,
    CommunityPlan,
    Coordinates,
    Division,
    Grid,
    GridPolicy,
    Infeasibility,
    InfeasibilityKind,
    Spread,
    grid_count,
)

__all__ = ["draw"]

#: Region growings tried per component and count (the path candidate comes on top).
DEFAULT_RESTARTS = 6


@attrs.frozen(eq=False)
class Nodes:
    """The nodes the partition works on: single buildings, and compounds kept whole.

    Attributes:
        groups: building indices of each node, each sorted; nodes ordered by first building.
        node_of: the node of each building.
        w: households of each node.
        nbrs: node adjacency lists, sorted.
        xy: household-weighted centre of each node, metres, or ``None``.
        adjustments: compounds found disconnected.
    """

    groups: list[list[int]]
    node_of: list[int]
    w: list[int]
    nbrs: list[list[int]]
    xy: npt.NDArray[np.float64] | None
    adjustments: list[Adjustment]


def make_nodes(
    graph: CommunityGraph, policy: GridPolicy, *, fixed: Sequence[int] | None = None
) -> Nodes:
    """Group a community's buildings into nodes.

    With ``keep_compounds_whole``, each compound with at most ``high`` households becomes one
    node per connected piece (several pieces are reported as
    :attr:`AdjustmentKind.COMPOUND_DISCONNECTED`); other buildings are nodes by themselves.

    Args:
        graph: the community.
        policy: the policy.
        fixed: optional label per building (e.g. its previous grid); buildings of one
            compound with different labels are not grouped together.

    Returns:
        The nodes.
    """
    b = graph.buildings
    n = len(b)
    groups: list[list[int]] = []
    grouped = [False] * n
    adjustments: list[Adjustment] = []
    if policy.keep_compounds_whole:
        by_compound: dict[tuple[str, int], list[int]] = {}
        for i, bd in enumerate(b):
            if bd.compound is not None:
                tag = -1 if fixed is None else fixed[i]
                by_compound.setdefault((bd.compound, tag), []).append(i)
        totals: dict[str, int] = {}
        for bd in b:
            if bd.compound is not None:
                totals[bd.compound] = totals.get(bd.compound, 0) + bd.households
        for (code, _tag), members in sorted(by_compound.items()):
            if totals[code] > policy.high or len(members) < 2:
                continue
            pieces = components(members, graph.neighbours, dict.fromkeys(members))
            if len(pieces) > 1 and fixed is None:
                adjustments.append(
                    Adjustment(
                        AdjustmentKind.COMPOUND_DISCONNECTED,
                        graph.community,
                        f"compound {code} has {len(pieces)} groups of buildings that are not "
                        "adjacent to each other; each group was kept whole on its own (add "
                        "edges or raise compound_link_m to join them)",
                        buildings=tuple(graph.buildings[i].code for i in members),
                    )
                )
            for piece in pieces:
                groups.append(piece)
                for i in piece:
                    grouped[i] = True
    groups.extend([i] for i in range(n) if not grouped[i])
    groups.sort(key=lambda g: g[0])
    node_of = [0] * n
    for k, g in enumerate(groups):
        for i in g:
            node_of[i] = k
    w = [sum(b[i].households for i in g) for g in groups]
    nb_sets: list[set[int]] = [set() for _ in groups]
    for i, nb in enumerate(graph.neighbours):
        a = node_of[i]
        for j in nb:
            c = node_of[j]
            if c != a:
                nb_sets[a].add(c)
    xy = None
    if graph.xy is not None:  # household-weighted centres (plain centres of empty nodes)
        of = np.asarray(node_of)
        hh = np.array([bd.households for bd in b], dtype=np.float64)
        hh = np.where(np.bincount(of, hh, len(groups))[of] > 0, hh, 1.0)
        mass = np.bincount(of, hh, len(groups))
        xy = np.stack(
            [np.bincount(of, hh * graph.xy[:, d], len(groups)) / mass for d in (0, 1)], axis=1
        )
    return Nodes(groups, node_of, w, [sorted(s) for s in nb_sets], xy, adjustments)


def sub_problem(nodes: Nodes, members: Sequence[int], policy: GridPolicy) -> Problem:
    """The :class:`Problem` over some nodes (indices are positions in ``members``)."""
    local = {v: i for i, v in enumerate(members)}
    nbrs = [[local[u] for u in nodes.nbrs[v] if u in local] for v in members]
    xy = None if nodes.xy is None else nodes.xy[list(members)]
    return Problem([nodes.w[v] for v in members], nbrs, xy, policy.low, policy.high)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Share ``total`` grids among connected parts in proportion to households.

    Each part gets at least one grid; the rest go by largest remainder (ties: earlier part).
    """
    if not weights:
        return []
    whole = sum(weights)
    if whole == 0 or total <= len(weights):
        return [1] * len(weights)
    quotas = [total * x / whole for x in weights]
    base = [max(1, math.floor(q)) for q in quotas]
    left = total - sum(base)
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - math.floor(quotas[i])), i))
    for i in order[: max(0, left)]:
        base[i] += 1
    return base


def counts_to_try(problem: Problem, wanted: int) -> list[int]:
    """Grid counts to try for one connected part, best first.

    The count the policy wants comes first when it can put the average in band; then counts
    whose average lies nearest the middle of the band. Nodes heavier than ``high`` take a
    grid each and are left out of the average.
    """
    low, high = problem.low, problem.high
    towers = [x for x in problem.w if x > high]
    t = len(towers)
    rest = problem.total - sum(towers)
    floor_count = max(1, t)
    if rest <= 0:
        return [max(1, min(problem.n, t))]
    lo, hi = math.ceil(rest / high), rest // low
    if lo > hi:  # no count puts the average in band: the counts either side of the gap
        options = [t + rest // high, t + lo, wanted]
    else:
        mid = (low + high) / 2
        options = [min(max(wanted, t + lo), t + hi)]
        options += sorted(range(t + lo, t + hi + 1), key=lambda c: (abs(rest / (c - t) - mid), c))
    out: list[int] = []
    for c in options:
        c = min(max(c, floor_count), problem.n)
        if c not in out:
            out.append(c)
    return out[:3]


def solve_part(problem: Problem, wanted: int, *, restarts: int, key: str) -> tuple[list[int], int]:
    """Part labels for one connected part, the best over the counts to try, and their
    penalty (households out of band)."""
    best: tuple[tuple[int, int, float], list[int]] | None = None
    for p in counts_to_try(problem, wanted):
        label, (pen, sq) = partition(problem, p, restarts=restarts, key=key)
        used = len(set(label))
        rank = (pen, abs(used - wanted), sq / used**3)
        if best is None or rank < best[0]:
            best = (rank, label)
        if pen == 0:
            break
    assert best is not None
    return best[1], best[0][0]


@attrs.frozen
class Drawn:
    """One community, drawn.

    Attributes:
        grids: the grids as sorted lists of building indices.
        adjustments: departures from the policy.
        policy_count: the count :func:`grid_count` gives.
        blocked: building indices of connected parts where splitting the compounds kept
            whole would put more grids in band.
    """

    grids: list[list[int]]
    adjustments: list[Adjustment]
    policy_count: int
    blocked: frozenset[int]


def draw_community(graph: CommunityGraph, policy: GridPolicy, *, restarts: int) -> Drawn:
    """Divide one community into grids (each connected part on its own)."""
    nodes = make_nodes(graph, policy)
    total = sum(nodes.w)
    wanted = grid_count(policy, total)
    parts = components(range(len(nodes.w)), nodes.nbrs, None)
    shares = allocate(wanted, [sum(nodes.w[v] for v in c) for c in parts])
    grids: list[list[int]] = []
    blocked: set[int] = set()
    singles: Nodes | None = None
    for ci, (members, share) in enumerate(zip(parts, shares, strict=True)):
        key = f"{graph.community}:{ci}"
        problem = sub_problem(nodes, members, policy)
        label, pen = solve_part(problem, share, restarts=restarts, key=key)
        by_label: dict[int, list[int]] = {}
        for local, k in enumerate(label):
            by_label.setdefault(k, []).extend(nodes.groups[members[local]])
        grids.extend(sorted(g) for _, g in sorted(by_label.items()))
        if pen and any(len(nodes.groups[v]) > 1 for v in members):
            # would splitting the compounds help? say so if it would
            if singles is None:
                singles = make_nodes(graph, attrs.evolve(policy, keep_compounds_whole=False))
            inside = sorted(i for v in members for i in nodes.groups[v])
            loose = sub_problem(singles, inside, policy)
            if solve_part(loose, share, restarts=2, key=key)[1] < pen:
                blocked.update(inside)
    adjustments = list(nodes.adjustments)
    if len(grids) != wanted:
        adjustments.append(_count_note(graph, policy, total, wanted, len(grids), len(parts)))
    return Drawn(grids, adjustments, wanted, frozenset(blocked))


def _count_note(
    graph: CommunityGraph, policy: GridPolicy, total: int, wanted: int, used: int, parts: int
) -> Adjustment:
    reasons = []
    if parts > 1:
        reasons.append(f"its buildings form {parts} parts not adjacent to each other")
    if used > wanted:
        reasons.append(f"{wanted} grids would leave grids over {policy.high} households")
    else:
        reasons.append(f"{wanted} grids would leave grids under {policy.low} households")
    return Adjustment(
        AdjustmentKind.COUNT_CHANGED,
        graph.community,
        f"grid_count gives {wanted} grid(s) for {total} households; drew {used} because "
        + " and ".join(reasons),
    )


def compound_notes(
    graph: CommunityGraph, policy: GridPolicy, grid_of: Sequence[str]
) -> list[Adjustment]:
    """A :attr:`AdjustmentKind.COMPOUND_SPLIT` for every compound spread over several grids."""
    if not policy.keep_compounds_whole:
        return []
    grids: dict[str, set[str]] = {}
    members: dict[str, list[str]] = {}
    totals: dict[str, int] = {}
    for i, b in enumerate(graph.buildings):
        if b.compound is not None:
            grids.setdefault(b.compound, set()).add(grid_of[i])
            members.setdefault(b.compound, []).append(b.code)
            totals[b.compound] = totals.get(b.compound, 0) + b.households
    out = []
    for code in sorted(grids):
        if len(grids[code]) > 1:
            why = (
                f"it has {totals[code]} households, more than high={policy.high}"
                if totals[code] > policy.high
                else "its buildings are not all adjacent, or an earlier plan split it"
            )
            out.append(
                Adjustment(
                    AdjustmentKind.COMPOUND_SPLIT,
                    graph.community,
                    f"compound {code} is split over {len(grids[code])} grids because {why}",
                    buildings=tuple(members[code]),
                    grids=tuple(sorted(grids[code])),
                )
            )
    return out


def diagnose(
    graph: CommunityGraph,
    policy: GridPolicy,
    grids: Sequence[Grid],
    index: dict[str, int],
    blocked: frozenset[int] = frozenset(),
) -> list[Infeasibility]:
    """Explain every grid of one community that is out of band.

    Args:
        graph: the community.
        policy: the policy.
        grids: its grids.
        index: building code → index in ``graph``.
        blocked: buildings of parts where splitting kept-whole compounds would help.
    """
    b = graph.buildings
    out: list[Infeasibility] = []
    total = sum(x.households for x in b)
    part_of: dict[int, int] = {}
    parts = components(range(len(b)), graph.neighbours, None)
    for pi, comp in enumerate(parts):
        for i in comp:
            part_of[i] = pi
    for g in grids:
        if policy.in_band(g.households):
            continue
        idx = [index[c] for c in g.buildings]
        comp = parts[part_of[idx[0]]]
        comp_total = sum(b[i].households for i in comp)
        towers = tuple(b[i].code for i in idx if b[i].households > policy.high)
        kind, culprits, detail = InfeasibilityKind.GRAPH_SHAPE, g.buildings, ""
        if total < policy.low:
            kind = InfeasibilityKind.COMMUNITY_TOO_SMALL
            detail = (
                f"the community has {total} households, fewer than low={policy.low}: "
                "one grid cannot be in band"
            )
        elif set(idx) == set(comp) and comp_total < policy.low:
            if len(comp) == 1:
                kind = InfeasibilityKind.ISLAND
                detail = (
                    f"building {b[comp[0]].code} ({comp_total} households) has no adjacent "
                    "building; add an edge to join it to a neighbouring grid"
                )
            else:
                kind = InfeasibilityKind.PART_TOO_SMALL
                detail = (
                    f"{len(comp)} buildings ({comp_total} households) are cut off from the "
                    "rest of the community; add an edge to join them to a neighbouring grid"
                )
        elif towers:
            kind, culprits = InfeasibilityKind.TOWER_OVER_BAND, towers
            detail = (
                f"building(s) {', '.join(towers)} alone hold more than high={policy.high} "
                "households"
                + (
                    "; the grid also holds buildings that have no other adjacent grid"
                    if len(idx) > len(towers)
                    else ""
                )
            )
        else:
            rest = comp_total - sum(b[i].households for i in comp if b[i].households > policy.high)
            if rest > 0 and math.ceil(rest / policy.high) > rest // policy.low:
                kind = InfeasibilityKind.BAND_UNREACHABLE
                detail = (
                    f"its connected part has {comp_total} households: no whole number of "
                    f"grids of {policy.low}-{policy.high} households adds up to that"
                )
            elif idx[0] in blocked:
                kind = InfeasibilityKind.COMPOUND_KEPT_WHOLE
                kept = sorted({c for i in comp if (c := b[i].compound) is not None})
                detail = (
                    f"{g.households} households: keeping compounds whole leaves this grid out "
                    "of band; a division that splits some of them puts more grids in band "
                    f"(compounds of this part: {', '.join(kept)}; see keep_compounds_whole)"
                )
            else:
                side = "under low" if g.households < policy.low else "over high"
                detail = (
                    f"{g.households} households, {side}: no contiguous division with every grid "
                    "in band was found for this part's graph (a building adjacent to few "
                    "others, a hub with many small neighbours)"
                )
        out.append(
            Infeasibility(kind, graph.community, g.code, g.households, tuple(culprits), detail)
        )
    return out


def community_plan(
    graph: CommunityGraph,
    policy: GridPolicy,
    grids: Sequence[tuple[str, Sequence[int]]],
    adjustments: Iterable[Adjustment],
    policy_count: int,
    blocked: frozenset[int] = frozenset(),
) -> CommunityPlan:
    """Assemble the plan of one community from coded grids of building indices."""
    b = graph.buildings
    made = sorted(
        (
            Grid(
                code=code,
                community=graph.community,
                buildings=tuple(b[i].code for i in sorted(idx)),
                households=sum(b[i].households for i in idx),
            )
            for code, idx in grids
        ),
        key=lambda g: g.code,
    )
    index = {x.code: i for i, x in enumerate(b)}
    grid_of = [""] * len(b)
    for g in made:
        for c in g.buildings:
            grid_of[index[c]] = g.code
    notes = list(adjustments) + compound_notes(graph, policy, grid_of)
    return CommunityPlan(
        community=graph.community,
        households=sum(x.households for x in b),
        policy_count=policy_count,
        grids=tuple(made),
        spread=Spread.of(g.households for g in made),
        infeasibilities=tuple(diagnose(graph, policy, made, index, blocked)),
        adjustments=tuple(notes),
    )


def draw(
    buildings: Iterable[BuildingNode],
    policy: GridPolicy,
    *,
    edges: Iterable[tuple[str, str]] | None = None,
    coordinates: Coordinates | str = Coordinates.METRES,
    restarts: int = DEFAULT_RESTARTS,
    use_scipy: bool = True,
) -> Division:
    """Divide every community into grids.

    Args:
        buildings: every building to divide, of any number of communities.
        policy: the county's grid policy.
        edges: explicit adjacency as pairs of building codes; when given, it replaces the
            policy's distance rules (see
            :func:`~community_governance.grids.graph.community_graphs`).
        coordinates: what ``x``/``y`` mean: ``"metres"`` (projected) or ``"lonlat"``.
        restarts: region growings tried per connected part and count.
        use_scipy: use scipy's k-d tree when importable (same result either way).

    Returns:
        The division, deterministic for the same input whatever its order.

    Raises:
        ValidationError: duplicate buildings, edges naming unknown buildings, or no way to
            derive adjacency.
    """
    coordinates = Coordinates(coordinates)
    graphs = community_graphs(
        buildings, policy, edges=edges, coordinates=coordinates, use_scipy=use_scipy
    )
    plans = []
    for graph in graphs.values():
        drawn = draw_community(graph, policy, restarts=restarts)
        grids = sorted(drawn.grids, key=lambda g: g[0])  # numbered by first building code
        coded = [(grid_code(graph.community, k + 1), g) for k, g in enumerate(grids)]
        plans.append(
            community_plan(
                graph, policy, coded, drawn.adjustments, drawn.policy_count, drawn.blocked
            )
        )
    return Division(
        policy=policy,
        coordinates=coordinates,
        communities=tuple(plans),
        spread=Spread.of(g.households for p in plans for g in p.grids),
    )
