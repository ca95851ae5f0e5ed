"""Redrawing grids after buildings are added, removed or change size.

:func:`redraw` starts from the previous assignment and changes as little as it can:

1. Every building keeps its previous grid, if that grid is of its community. A grid that fell
   apart (a building that joined its pieces is gone) keeps its largest piece; the other pieces
   are re-homed like new buildings (:attr:`AdjustmentKind.GRID_BROKEN`).
2. Buildings without a grid join an adjacent grid, layer by layer outwards from the grids: a
   compound's grid if the compound is kept whole, else the lightest adjacent grid.
3. Buildings with no grid anywhere in their connected part get fresh grids, drawn as
   :func:`~community_governance.grids.draw` would, under fresh numbers.
4. Each grid whose buildings changed and that is now out of band is mended by the least
   disruptive of: moving boundary buildings to or from one neighbouring grid, re-cutting the
   two grids together, splitting it in two (fresh number), or merging it into a neighbour
   (its code retired). A mend is made only when it lowers the households out of band; among
   mends equally good, the one that moves the fewest households wins.

So adding one building changes the grid it joins and at most one other grid next to it (or a
fresh grid split off it). Codes of grids that stay are kept; new grids take numbers above
every number the community has used.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence

from community_governance.domain.units import grid_code
from community_governance.grids._partition import Problem, best_split, repair
from community_governance.grids.draw import (
    DEFAULT_RESTARTS,
    Nodes,
    community_plan,
    make_nodes,
    solve_part,
    sub_problem,
)
from community_governance.grids.graph import CommunityGraph, community_graphs, components
from community_governance.grids.model import (
    Adjustment,
    AdjustmentKind,
    BuildingNode,
    CommunityPlan,
    Coordinates,
    Division,
    GridPolicy,
    Move,
    Spread,
    grid_count,
    grid_number,
)

__all__ = ["redraw"]


def redraw(
    previous: Mapping[str, str],
    buildings: Iterable[BuildingNode],
    policy: GridPolicy,
    *,
    edges: Iterable[tuple[str, str]] | None = None,
    coordinates: Coordinates | str = Coordinates.METRES,
    previous_households: Mapping[str, int] | None = None,
    restarts: int = DEFAULT_RESTARTS,
    use_scipy: bool = True,
) -> Division:
    """Redraw grids after buildings changed, keeping households in their grids.

    Args:
        previous: building code → grid code of the previous plan (e.g.
            ``division.assignment()``, or a county's file).
        buildings: every building now.
        policy: the grid policy.
        edges: explicit adjacency, as for :func:`~community_governance.grids.draw`.
        coordinates: what ``x``/``y`` mean.
        previous_households: households per building in the previous plan. With it, grids of
            buildings whose size changed are mended too, and a removed building's move
            carries its households; without it only changes of membership count.
        restarts: region growings for fresh grids.
        use_scipy: use scipy's k-d tree when importable (same result either way).

    Returns:
        The new division; its ``moves`` list every building whose grid changed (new buildings
        with ``from_grid=None``, removed ones with ``to_grid=None``).
    """
    coordinates = Coordinates(coordinates)
    graphs = community_graphs(
        buildings, policy, edges=edges, coordinates=coordinates, use_scipy=use_scipy
    )
    before = dict(previous_households or {})
    plans = [
        _redraw_community(graph, policy, previous, before, restarts) for graph in graphs.values()
    ]
    now = {c: (g.code, g.households) for p in plans for g in p.grids for c in g.buildings}
    households = {b.code: b.households for g in graphs.values() for b in g.buildings}
    moves = []
    for code in sorted(set(previous) | set(now)):
        old = previous.get(code)
        new = now.get(code, (None, 0))[0]
        if old != new:
            hh = households.get(code, before.get(code, 0))
            moves.append(Move(code, hh, old, new))
    return Division(
        policy=policy,
        coordinates=coordinates,
        communities=tuple(plans),
        spread=Spread.of(g.households for p in plans for g in p.grids),
        moves=tuple(moves),
    )


class _State:
    """The grids of one community while it is being redrawn (labels are grid codes)."""

    def __init__(self, graph: CommunityGraph, policy: GridPolicy) -> None:
        self.graph = graph
        self.policy = policy
        self.hh = [b.households for b in graph.buildings]
        self.label: list[str | None] = [None] * len(self.hh)
        self.adjustments: list[Adjustment] = []

    def weights(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for i, g in enumerate(self.label):
            if g is not None:
                out[g] = out.get(g, 0) + self.hh[i]
        return out

    def members(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, g in enumerate(self.label):
            if g is not None:
                out.setdefault(g, []).append(i)
        return out

    def codes(self, idx: Iterable[int]) -> tuple[str, ...]:
        return tuple(self.graph.buildings[i].code for i in sorted(idx))


def _redraw_community(
    graph: CommunityGraph,
    policy: GridPolicy,
    previous: Mapping[str, str],
    before: Mapping[str, int],
    restarts: int,
) -> CommunityPlan:
    st = _State(graph, policy)
    prefix = graph.community + "-"
    prev_members: dict[str, set[str]] = {}
    for code, g in previous.items():
        if g.startswith(prefix):
            prev_members.setdefault(g, set()).add(code)
    used = [n for g in prev_members if (n := grid_number(g)) is not None]
    fresh = iter(range(max(used, default=0) + 1, 10**6))
    for i, b in enumerate(graph.buildings):
        was = previous.get(b.code)
        st.label[i] = was if was is not None and was.startswith(prefix) else None
    _split_broken(st)
    _attach(st)
    _fresh_grids(st, fresh, restarts)
    members = st.members()
    touched = {
        g
        for g, idx in members.items()
        if set(st.codes(idx)) != prev_members.get(g)
        or any(before.get(graph.buildings[i].code, st.hh[i]) != st.hh[i] for i in idx)
    }
    _mend(st, touched, fresh)
    members = st.members()
    for g in sorted(set(prev_members) - set(members)):
        st.adjustments.append(
            Adjustment(
                AdjustmentKind.GRID_RETIRED,
                graph.community,
                f"grid {g} has no building left; its code is retired",
                grids=(g,),
            )
        )
    total = sum(st.hh)
    wanted = grid_count(policy, total)
    if len(members) != wanted:
        st.adjustments.append(
            Adjustment(
                AdjustmentKind.COUNT_CHANGED,
                graph.community,
                f"grid_count gives {wanted} grid(s) for {total} households; the redrawn "
                f"community keeps {len(members)} (draw it afresh to change the count)",
            )
        )
    coded = sorted(members.items())
    return community_plan(graph, policy, coded, st.adjustments, wanted)


def _split_broken(st: _State) -> None:
    """Keep the largest connected piece of each grid; free the other pieces."""
    for g, idx in sorted(st.members().items()):
        pieces = components(idx, st.graph.neighbours, dict.fromkeys(idx))
        if len(pieces) < 2:
            continue
        keep = max(pieces, key=lambda pc: (sum(st.hh[i] for i in pc), -pc[0]))
        freed = [i for pc in pieces if pc is not keep for i in pc]
        for i in freed:
            st.label[i] = None
        st.adjustments.append(
            Adjustment(
                AdjustmentKind.GRID_BROKEN,
                st.graph.community,
                f"grid {g} is no longer connected; it keeps its largest part and "
                f"{len(freed)} building(s) of the other parts join neighbouring grids",
                buildings=st.codes(freed),
                grids=(g,),
            )
        )


def _attach(st: _State) -> None:
    """Buildings without a grid join an adjacent grid, layer by layer from the grids."""
    nbrs, b = st.graph.neighbours, st.graph.buildings
    weight = st.weights()
    whole: dict[str, set[str]] = {}
    if st.policy.keep_compounds_whole:
        totals: dict[str, int] = {}
        for i, x in enumerate(b):
            if x.compound is not None:
                totals[x.compound] = totals.get(x.compound, 0) + st.hh[i]
        for i, x in enumerate(b):
            g = st.label[i]
            if x.compound is not None and totals[x.compound] <= st.policy.high and g:
                whole.setdefault(x.compound, set()).add(g)
    while True:
        layer = [
            i
            for i in range(len(b))
            if st.label[i] is None and any(st.label[j] is not None for j in nbrs[i])
        ]
        if not layer:
            return
        for i in layer:
            options = sorted({g for j in nbrs[i] if (g := st.label[j]) is not None})
            compound = b[i].compound
            if compound is not None and compound in whole:
                mates = [g for g in options if g in whole[compound]]
                options = mates or options
            g = min(options, key=lambda c: (weight[c], c))
            st.label[i] = g
            weight[g] += st.hh[i]
            if compound is not None and compound in whole:
                whole[compound].add(g)


def _fresh_grids(st: _State, fresh: Iterable[int], restarts: int) -> None:
    """Draw grids, under fresh numbers, for connected parts that have no grid at all."""
    rest = [i for i, g in enumerate(st.label) if g is None]
    if not rest:
        return
    numbers = iter(fresh)
    nodes = make_nodes(st.graph, st.policy)
    free = {k for k, grp in enumerate(nodes.groups) if st.label[grp[0]] is None}
    for members in components(free, nodes.nbrs, dict.fromkeys(free)):
        problem = sub_problem(nodes, members, st.policy)
        wanted = grid_count(st.policy, problem.total)
        key = f"{st.graph.community}:fresh:{members[0]}"
        label, _ = solve_part(problem, wanted, restarts=restarts, key=key)
        codes: dict[int, str] = {}
        for local, k in enumerate(label):
            if k not in codes:
                codes[k] = grid_code(st.graph.community, next(numbers))
            for i in nodes.groups[members[local]]:
                st.label[i] = codes[k]
        for code in sorted(codes.values()):
            idx = [i for i, g in enumerate(st.label) if g == code]
            st.adjustments.append(
                Adjustment(
                    AdjustmentKind.GRID_ADDED,
                    st.graph.community,
                    f"grid {code} is new: {len(idx)} building(s) with no adjacent grid",
                    buildings=st.codes(idx),
                    grids=(code,),
                )
            )


def _mend(st: _State, touched: set[str], fresh: Iterable[int]) -> None:
    """Mend each touched grid that is out of band, by the least disruptive move."""
    policy = st.policy
    numbers = iter(fresh)
    done: set[str] = set()
    for target in sorted(touched):
        weight = st.weights()
        if target not in weight or policy.in_band(weight[target]) or target in done:
            continue
        index: dict[str, int] = {}
        fixed = [-1 if g is None else index.setdefault(g, len(index)) for g in st.label]
        nodes = make_nodes(st.graph, policy, fixed=fixed)
        node_label = [st.label[grp[0]] for grp in nodes.groups]
        plan = _best_mend(st, nodes, node_label, target, weight)
        if plan is None:
            continue
        kind, new_label, partner = plan
        if kind == "split":
            code = grid_code(st.graph.community, next(numbers))
            new_label = [code if x == "" else x for x in new_label]
            partner = code
        for k, grp in enumerate(nodes.groups):
            for i in grp:
                st.label[i] = new_label[k]
        done.update((target, partner))
        if kind == "split":
            idx = [i for i, g in enumerate(st.label) if g == partner]
            st.adjustments.append(
                Adjustment(
                    AdjustmentKind.GRID_ADDED,
                    st.graph.community,
                    f"grid {target} grew over high={policy.high} and was split; {partner} is new",
                    buildings=st.codes(idx),
                    grids=(target, partner),
                )
            )


def _best_mend(
    st: _State,
    nodes: Nodes,
    node_label: Sequence[str | None],
    target: str,
    weight: Mapping[str, int],
) -> tuple[str, list[str | None], str] | None:
    """The least disruptive mend of ``target``: (kind, new node labels, partner grid)."""
    policy = st.policy
    pen = Problem([], [], None, policy.low, policy.high).penalty
    mine = [k for k, g in enumerate(node_label) if g == target]
    around = sorted(
        {g for k in mine for u in nodes.nbrs[k] if (g := node_label[u]) not in (target, None)}
    )
    rng = random.Random(f"{st.graph.community}:{target}")
    options: list[tuple[int, int, int, str, list[str | None], str]] = []

    def offer(kind: str, new: list[str | None], partner: str, before: int) -> None:
        # a grid left without nodes (merged away) no longer counts; "" is a split's new grid
        sizes: dict[str | None, int] = {}
        for k, g in enumerate(new):
            if g in (target, partner):
                sizes[g] = sizes.get(g, 0) + nodes.w[k]
        after = sum(pen(x) for x in sizes.values())
        if after < before:
            moved = sum(nodes.w[k] for k in range(len(new)) if new[k] != node_label[k])
            options.append((after - before, moved, len(options), kind, new, partner))

    for other in around:
        pair = [k for k, g in enumerate(node_label) if g in (target, other)]
        before = pen(weight[target]) + pen(weight[other])
        problem = sub_problem(nodes, pair, policy)
        local = [0 if node_label[k] == target else 1 for k in pair]
        moved_label = repair(problem, local[:], 2, penalty_only=True)
        offer("balance", _relabel(node_label, pair, moved_label, (target, other)), other, before)
        cut = best_split(problem, list(range(len(pair))), 2, rng, 8)
        if cut is not None:
            half = set(cut[1])
            split = [1 if i in half else 0 for i in range(len(pair))]
            keep = sum(nodes.w[pair[i]] for i in range(len(pair)) if split[i] == local[i])
            if keep * 2 < sum(nodes.w[k] for k in pair):
                split = [1 - s for s in split]
            offer("recut", _relabel(node_label, pair, split, (target, other)), other, before)
        if weight[target] < policy.low and weight[target] + weight[other] <= policy.high:
            # either code may stay: the lighter grid is the one that moves
            offer("merge", [other if g == target else g for g in node_label], other, before)
            offer("merge", [target if g == other else g for g in node_label], other, before)
    if weight[target] > policy.high and len(mine) > 1:
        problem = sub_problem(nodes, mine, policy)
        cut = best_split(problem, list(range(len(mine))), 2, rng, 8)
        if cut is not None:
            half = {mine[i] for i in cut[1]}
            if sum(nodes.w[k] for k in half) * 2 > weight[target]:
                half = set(mine) - half
            split_label = ["" if k in half else g for k, g in enumerate(node_label)]
            offer("split", split_label, "", pen(weight[target]))
    if not options:
        return None
    _, _, _, kind, new, partner = min(options, key=lambda o: o[:3])
    return kind, new, partner


def _relabel(
    node_label: Sequence[str | None],
    pair: Sequence[int],
    local: Sequence[int],
    codes: tuple[str, str],
) -> list[str | None]:
    out = list(node_label)
    for i, k in enumerate(pair):
        out[k] = codes[local[i]]
    return out
