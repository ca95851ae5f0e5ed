"""The core: split one connected graph of weighted nodes into ``p`` connected parts.

Private; :mod:`community_governance.grids.draw` turns buildings and compounds into nodes and
parts into grids. Every step is deterministic: nodes are indices into a list sorted by
building code, ties break by index, and the only randomness is a ``random.Random`` seeded
from a string.

The score of a partition is a pair compared in order:

1. ``penalty``: households outside the band, summed over parts
   (``sum(max(0, low - w, w - high))``);
2. ``squares``: ``sum((p * w_k - W) ** 2)``, i.e. ``p²`` times the sum of squared deviations
   from the mean: an integer, so comparisons are exact.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from collections.abc import Sequence

try:
    import numpy as np
    import numpy.typing as npt
except ImportError as exc:  # the base install has no numpy
    from community_governance.errors import MissingExtra

    raise MissingExtra("numpy", "grids", "drawing grids") from exc

from community_governance.grids.graph import articulation_points

Score = tuple[int, int]


class Problem:
    """One connected graph of weighted nodes to split.

    Attributes:
        w: node weights (households).
        nbrs: adjacency lists, each sorted.
        xy: ``(n, 2)`` positions in metres, or ``None`` (then hop distances stand in).
        low: the band's low bound.
        high: the band's high bound.
    """

    __slots__ = ("_hops", "high", "low", "n", "nbrs", "total", "w", "xy")

    def __init__(
        self,
        w: Sequence[int],
        nbrs: Sequence[Sequence[int]],
        xy: npt.NDArray[np.float64] | None,
        low: int,
        high: int,
    ) -> None:
        self.w = list(w)
        self.nbrs = [list(nb) for nb in nbrs]
        self.xy = xy
        self.low = low
        self.high = high
        self.n = len(self.w)
        self.total = sum(self.w)
        self._hops: dict[int, list[int]] = {}

    # -- distances ---------------------------------------------------------------------------

    def hops(self, s: int) -> list[int]:
        """Hop distance from ``s`` to every node (cached)."""
        if s not in self._hops:
            dist = [-1] * self.n
            dist[s] = 0
            queue = deque([s])
            while queue:
                v = queue.popleft()
                for u in self.nbrs[v]:
                    if dist[u] < 0:
                        dist[u] = dist[v] + 1
                        queue.append(u)
            self._hops[s] = dist
        return self._hops[s]

    def distances(self, s: int) -> list[float]:
        """Distance from ``s`` to every node: metres if positions are known, else hops."""
        if self.xy is None:
            return [float(h) for h in self.hops(s)]
        d = self.xy - self.xy[s]
        return np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]).tolist()  # type: ignore[no-any-return]

    # -- scoring -----------------------------------------------------------------------------

    def penalty(self, weight: int) -> int:
        """Households outside the band for a part of ``weight``."""
        if weight < self.low:
            return self.low - weight
        if weight > self.high:
            return weight - self.high
        return 0

    def score(self, weights: Sequence[int]) -> Score:
        """The score of parts with these weights (lower is better)."""
        p = len(weights)
        return (
            sum(self.penalty(x) for x in weights),
            sum((p * x - self.total) ** 2 for x in weights),
        )


def part_weights(problem: Problem, label: Sequence[int], p: int) -> list[int]:
    """The weight of each part."""
    out = [0] * p
    for v, k in enumerate(label):
        out[k] += problem.w[v]
    return out


# -- seeds and growth ------------------------------------------------------------------------


def _seeds(problem: Problem, p: int, start: int, *, heavy_first: bool) -> list[int]:
    """``p`` seeds: nodes heavier than ``high`` (with ``heavy_first``: of at least ``low``)
    first, heaviest first, then farthest-point sampling from ``start``."""
    floor = problem.low if heavy_first else problem.high + 1
    heavy = sorted(
        (v for v in range(problem.n) if problem.w[v] >= floor), key=lambda v: (-problem.w[v], v)
    )
    seeds = heavy[:p]
    if not seeds:
        seeds = [start]
    nearest = [min(col) for col in zip(*(problem.distances(s) for s in seeds), strict=True)]
    while len(seeds) < p:
        best = max(range(problem.n), key=lambda v: (nearest[v], -v))
        if nearest[best] <= 0 and best in seeds:
            best = next(v for v in range(problem.n) if v not in seeds)
        seeds.append(best)
        d = problem.distances(best)
        nearest = [min(a, b) for a, b in zip(nearest, d, strict=True)]
    return seeds


def grow(problem: Problem, seeds: Sequence[int]) -> list[int]:
    """Region growing: the lightest part takes its nearest unassigned neighbour, until none
    is left. Parts seeded on a node heavier than the band grow only when nothing else can.

    Returns:
        A part label per node; every part is connected and holds its seed.
    """
    n, w = problem.n, problem.w
    label = [-1] * n
    weight = [0] * len(seeds)
    dist = [problem.distances(s) for s in seeds]
    frontier: list[list[tuple[float, int]]] = [[] for _ in seeds]
    for k, s in enumerate(seeds):
        label[s] = k
        weight[k] = w[s]
    for k, s in enumerate(seeds):
        for u in problem.nbrs[s]:
            if label[u] < 0:
                heapq.heappush(frontier[k], (dist[k][u], u))
    held = [k for k, s in enumerate(seeds) if w[s] > problem.high]
    active = [(weight[k], k) for k in range(len(seeds)) if k not in held]
    heapq.heapify(active)
    left = n - len(seeds)
    while left:
        if not active:
            if not held:
                break
            active = [(weight[k], k) for k in held]
            heapq.heapify(active)
            held = []
        _, k = heapq.heappop(active)
        heap = frontier[k]
        while heap and label[heap[0][1]] >= 0:
            heapq.heappop(heap)
        if not heap:
            continue
        _, v = heapq.heappop(heap)
        label[v] = k
        weight[k] += w[v]
        left -= 1
        dk = dist[k]
        for u in problem.nbrs[v]:
            if label[u] < 0:
                heapq.heappush(heap, (dk[u], u))
        heapq.heappush(active, (weight[k], k))
    return label


# -- the path candidate ----------------------------------------------------------------------


def path_order(problem: Problem) -> list[int]:
    """A depth-first order that tries to be a Hamiltonian path (Warnsdorff's rule).

    It starts at a node of least degree and always steps to the unvisited neighbour with the
    fewest unvisited neighbours (ties: nearest, then lowest index). On a complete graph, a
    chain or a ring the order is a Hamiltonian path.
    """
    n, nbrs = problem.n, problem.nbrs
    free = [len(nb) for nb in nbrs]
    start = min(range(n), key=lambda v: (free[v], v))
    visited = [False] * n
    order: list[int] = []
    stack = [start]

    def visit(v: int) -> None:
        visited[v] = True
        order.append(v)
        for u in nbrs[v]:
            free[u] -= 1

    visit(start)
    while stack:
        v = stack[-1]
        options = [u for u in nbrs[v] if not visited[u]]
        if not options:
            stack.pop()
            continue
        if problem.xy is not None:
            d = problem.xy[options] - problem.xy[v]
            dd = (d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]).tolist()
        else:
            dd = [0.0] * len(options)
        _, _, u = min(zip((free[u] for u in options), dd, options, strict=True))
        visit(u)
        stack.append(u)
    return order


def path_partition(problem: Problem, p: int) -> list[int] | None:
    """Cut the path order into ``p`` in-band segments, each connected, as evenly as possible.

    A segment ``[i, j)`` of the order counts as connected when every node after its first has
    an earlier neighbour inside the segment (sufficient, and exact on a Hamiltonian path).
    Dynamic programming over cut positions minimises the sum of squared deviations among
    partitions whose every segment is in band.

    Returns:
        Part labels, or ``None`` when no such partition of this order exists.
    """
    order = path_order(problem)
    n = len(order)
    pos = [0] * problem.n
    for i, v in enumerate(order):
        pos[v] = i
    back = [-1] * n  # position of the latest earlier neighbour
    for i, v in enumerate(order):
        back[i] = max((pos[u] for u in problem.nbrs[v] if pos[u] < i), default=-1)
    prefix = [0]
    for v in order:
        prefix.append(prefix[-1] + problem.w[v])
    total, low, high = problem.total, problem.low, problem.high
    inf = None
    # best[k][j]: least squares covering order[:j] with k segments; cut[k][j]: start of last
    best: list[list[int | None]] = [[inf] * (n + 1) for _ in range(p + 1)]
    cut = [[-1] * (n + 1) for _ in range(p + 1)]
    best[0][0] = 0
    for j in range(1, n + 1):
        reach = n + 1  # running min of back[] over the segment's interior
        i = j - 1
        while i >= 0:
            s = prefix[j] - prefix[i]
            if s > high:
                break
            if s >= low and reach >= i:
                dev = (p * s - total) ** 2
                for k in range(1, p + 1):
                    prev = best[k - 1][i]
                    if prev is not None:
                        cand = prev + dev
                        cur = best[k][j]
                        if cur is None or cand < cur:
                            best[k][j] = cand
                            cut[k][j] = i
            reach = min(reach, back[i])
            i -= 1
    if best[p][n] is None:
        return None
    label = [0] * problem.n
    j, k = n, p
    while k > 0:
        i = cut[k][j]
        for t in range(i, j):
            label[order[t]] = k - 1
        j, k = i, k - 1
    return label


# -- local repair ----------------------------------------------------------------------------


def repair(
    problem: Problem,
    label: list[int],
    p: int,
    *,
    movable: Sequence[bool] | None = None,
    penalty_only: bool = False,
    max_passes: int = 60,
) -> list[int]:
    """Move boundary nodes between neighbouring parts while the score improves.

    A node moves from part A to a neighbouring part B only when A keeps another node and stays
    connected (the node is not a cut vertex of A), so every part stays connected. Each pass
    visits nodes in index order and makes the best improving move of each (first
    improvement over nodes, best over target parts); passes repeat until none improves.

    Args:
        problem: the graph.
        label: part labels, changed in place and returned.
        p: number of parts.
        movable: which nodes may move (default: all).
        penalty_only: accept only moves that put households back in band (a redraw's
            least-disruption mode), not those that merely even sizes out.
        max_passes: a bound on passes.

    Returns:
        ``label``.
    """
    w, nbrs, total = problem.w, problem.nbrs, problem.total
    weight = part_weights(problem, label, p)
    size = [0] * p
    for k in label:
        size[k] += 1
    cuts: list[set[int] | None] = [None] * p
    pen = problem.penalty
    for _ in range(max_passes):
        improved = False
        for v in range(problem.n):
            if movable is not None and not movable[v]:
                continue
            a = label[v]
            x = w[v]
            if size[a] == 1 or x == 0:
                continue
            wa = weight[a]
            ea = p * wa - total
            pen_a = pen(wa)
            pen_a_after = pen(wa - x)
            best: tuple[int, int, int] | None = None
            for u in nbrs[v]:
                b = label[u]
                if b == a:
                    continue
                wb = weight[b]
                dpen = pen_a_after + pen(wb + x) - pen_a - pen(wb)
                dsq = 2 * p * x * ((p * wb - total) - ea + p * x)
                if dpen < 0 or (dpen == 0 and dsq < 0 and not penalty_only):
                    cand = (dpen, x if penalty_only else dsq, b)
                    if best is None or cand < best:
                        best = cand
            if best is None:
                continue
            cut = cuts[a]
            if cut is None:
                cut, _ = articulation_points(v, label, nbrs)
                cuts[a] = cut
            if v in cut:
                continue
            b = best[2]
            label[v] = b
            weight[a] -= x
            weight[b] += x
            size[a] -= 1
            size[b] += 1
            cuts[a] = None
            cuts[b] = None
            improved = True
        if not improved:
            break
    return label


# -- recombination -------------------------------------------------------------------------


def _find(root: list[int], a: int) -> int:
    """Union-find root of ``a``, halving paths."""
    while root[a] != a:
        root[a] = root[root[a]]
        a = root[a]
    return a


def best_split(
    problem: Problem, nodes: Sequence[int], p: int, rng: random.Random, trees: int
) -> tuple[Score, list[int]] | None:
    """The best cut of ``nodes`` (connected) into two connected halves.

    Draws ``trees`` random spanning trees (Kruskal on random edge keys) and tries every edge
    of each as the cut, scoring both halves against the whole graph's mean.

    Returns:
        The pair's score and the nodes of the half cut off, or ``None`` for a single node.
    """
    m = len(nodes)
    if m < 2:
        return None
    local = {v: i for i, v in enumerate(nodes)}
    w = [problem.w[v] for v in nodes]
    edges = [
        (i, local[u])
        for i, v in enumerate(nodes)
        for u in problem.nbrs[v]
        if u in local and local[u] > i
    ]
    whole, total, pen = sum(w), problem.total, problem.penalty
    best: tuple[Score, int, int] | None = None
    best_tree: list[list[int]] = []
    for t in range(trees):
        keys = sorted((rng.random(), e) for e in range(len(edges)))
        root = list(range(m))
        adj: list[list[int]] = [[] for _ in range(m)]
        joined = 0
        for _, e in keys:
            i, j = edges[e]
            ri, rj = _find(root, i), _find(root, j)
            if ri != rj:
                root[ri] = rj
                adj[i].append(j)
                adj[j].append(i)
                joined += 1
                if joined == m - 1:
                    break
        order, parent = [0], [-1] * m
        for v in order:
            for u in adj[v]:
                if u != parent[v]:
                    parent[u] = v
                    order.append(u)
        sub = w[:]
        for v in reversed(order[1:]):
            sub[parent[v]] += sub[v]
        for v in order[1:]:
            a, b = sub[v], whole - sub[v]
            sc = (pen(a) + pen(b), (p * a - total) ** 2 + (p * b - total) ** 2)
            if best is None or sc < best[0]:
                best = (sc, t, v)
                best_tree = [parent[:], order[:]]
    assert best is not None
    parent, order = best_tree
    cut = {best[2]}
    for v in order:
        if parent[v] in cut:
            cut.add(v)
    return best[0], [nodes[i] for i in sorted(cut)]


def recombine(
    problem: Problem,
    label: list[int],
    p: int,
    rng: random.Random,
    *,
    trees: int = 8,
    rounds: int = 4,
) -> list[int]:
    """Merge two neighbouring parts and cut the union again, where that scores better.

    Pairs with a part out of band are tried, worst first, for a few rounds (the
    recombination step of redistricting's ReCom chains, made greedy).

    Returns:
        ``label``, changed in place.
    """
    for _ in range(rounds):
        weights = part_weights(problem, label, p)
        pairs: set[tuple[int, int]] = set()
        for v in range(problem.n):
            a = label[v]
            for u in problem.nbrs[v]:
                b = label[u]
                if a < b:
                    pairs.add((a, b))
        pen = problem.penalty
        todo = sorted(
            (pq for pq in pairs if pen(weights[pq[0]]) or pen(weights[pq[1]])),
            key=lambda pq: (-(pen(weights[pq[0]]) + pen(weights[pq[1]])), pq),
        )
        changed = False
        touched: set[int] = set()
        for a, b in todo:
            if a in touched or b in touched:
                continue
            wa, wb = weights[a], weights[b]
            now = (pen(wa) + pen(wb), (p * wa - problem.total) ** 2 + (p * wb - problem.total) ** 2)
            nodes = [v for v in range(problem.n) if label[v] == a or label[v] == b]
            found = best_split(problem, nodes, p, rng, trees)
            if found is None or not found[0] < now:
                continue
            half = set(found[1])
            for v in nodes:
                label[v] = b if v in half else a
            touched.update((a, b))
            changed = True
        if not changed:
            break
    return label


# -- the driver ------------------------------------------------------------------------------


def partition(problem: Problem, p: int, *, restarts: int, key: str) -> tuple[list[int], Score]:
    """Split the graph into ``p`` connected parts, keeping the best of several candidates.

    Candidates: the path partition (when it exists), then ``restarts`` region growings from
    different first seeds (the node farthest from the centre, then seeded random nodes), each
    followed by :func:`repair`. The best score wins; ties keep the earlier candidate. The
    search stops early once a candidate is in band with every part within one node's weight
    of the mean.

    Args:
        problem: the graph (connected).
        p: number of parts, ``1 <= p <= n``.
        restarts: region growings to try (at least 1).
        key: seeds the random first seeds (e.g. the community's code).

    Returns:
        Part labels ``0..p-1`` per node, and their score.
    """
    n = problem.n
    p = max(1, min(p, n))
    if p == 1:
        label = [0] * n
        return label, problem.score([problem.total])
    rng = random.Random(f"{key}:{p}")
    best_label: list[int] | None = None
    best_score: Score | None = None
    heaviest = max(problem.w)
    mean = problem.total / p

    def consider(label: list[int]) -> bool:
        nonlocal best_label, best_score
        label = repair(problem, label, p)
        weights = part_weights(problem, label, p)
        sc = problem.score(weights)
        if best_score is None or sc < best_score:
            best_label, best_score = label, sc
        return sc[0] == 0 and max(abs(x - mean) for x in weights) <= heaviest

    path = path_partition(problem, p)
    if path is not None and consider(path):
        assert best_label is not None and best_score is not None
        return best_label, best_score
    first = _peripheral(problem)
    for r in range(max(1, restarts)):
        start = first if r < 2 else rng.randrange(n)
        seeds = _seeds(problem, p, start, heavy_first=r % 2 == 0)
        if consider(grow(problem, seeds)):
            break
    assert best_label is not None and best_score is not None
    if best_score[0] > 0:
        label = recombine(problem, list(best_label), p, rng)
        label = repair(problem, label, p)
        sc = problem.score(part_weights(problem, label, p))
        if sc < best_score:
            best_label, best_score = label, sc
    return best_label, best_score


def _peripheral(problem: Problem) -> int:
    """A node far from the middle: from the weighted centre, or by hops from node 0."""
    if problem.xy is None:
        h = problem.hops(0)
        return max(range(problem.n), key=lambda v: (h[v], -v))
    centre = problem.xy.mean(axis=0)
    d = problem.xy - centre
    d2 = d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]
    return int(np.argmax(d2))
