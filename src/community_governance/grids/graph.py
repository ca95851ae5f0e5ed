"""The building graph: positions in metres, adjacency, and contiguity helpers.

Adjacency is kept inside each community: grids never cross a community's border, so an edge
between two communities could only mislead. It comes either from explicit edges or from
positions, under the policy's rules:

* the distance rule: two buildings at most ``neighbour_distance_m`` apart are adjacent;
* the k-nearest rule: each building is linked to its ``k_neighbours`` nearest buildings
  (a link is kept when either end chose the other);
* the compound rule: the buildings of one compound (小区) are chained along the compound's
  shortest spanning tree, wherever a link of that tree is at most ``compound_link_m`` long.

Longitude/latitude is projected to local metres with an equirectangular projection around each
community's centroid, which is accurate to well under a metre across a community.

Neighbour search uses ``scipy.spatial.cKDTree`` when scipy is importable and a numpy grid-bucket
search when it is not. Both give the same pairs: each candidate is re-measured with the same
numpy arithmetic, and ties among k-nearest candidates break by building code.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence

import attrs

try:
    import numpy as np
    import numpy.typing as npt
except ImportError as exc:  # the base install has no numpy
    from community_governance.errors import MissingExtra

    raise MissingExtra("numpy", "grids", "drawing and checking grids") from exc

from community_governance.errors import ValidationError
from community_governance.grids.model import BuildingNode, Coordinates, GridPolicy

try:  # optional accelerator; results are identical without it
    from scipy.spatial import cKDTree as _KDTree  # type: ignore[import-untyped,unused-ignore]
except ImportError:  # pragma: no cover - exercised by forcing the fallback in tests
    _KDTree = None

__all__ = [
    "EARTH_RADIUS_M",
    "CommunityGraph",
    "LocalProjection",
    "adjacency",
    "articulation_points",
    "community_graphs",
    "components",
    "neighbour_pairs",
]

#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@attrs.frozen
class LocalProjection:
    """An equirectangular projection to metres around a centre point.

    Attributes:
        lon0: the centre's longitude, degrees.
        lat0: the centre's latitude, degrees.
    """

    lon0: float
    lat0: float

    @classmethod
    def around(cls, lons: Sequence[float], lats: Sequence[float]) -> LocalProjection:
        """The projection centred on the mean of the given points."""
        if len(lons) == 0:
            raise ValidationError("cannot centre a projection on no points", path="lon")
        return cls(float(np.mean(np.asarray(lons))), float(np.mean(np.asarray(lats))))

    def forward(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Longitude/latitude in degrees → easting/northing in metres from the centre."""
        k = math.radians(1.0) * EARTH_RADIUS_M
        x = (np.asarray(lon, dtype=np.float64) - self.lon0) * k * math.cos(math.radians(self.lat0))
        y = (np.asarray(lat, dtype=np.float64) - self.lat0) * k
        return x, y

    def inverse(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Easting/northing in metres from the centre → longitude/latitude in degrees."""
        k = math.radians(1.0) * EARTH_RADIUS_M
        lon = np.asarray(x, dtype=np.float64) / (k * math.cos(math.radians(self.lat0))) + self.lon0
        lat = np.asarray(y, dtype=np.float64) / k + self.lat0
        return lon, lat


def _normalise(pairs: IntArray) -> IntArray:
    if len(pairs) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.sort(pairs.astype(np.int64), axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return np.unique(pairs, axis=0)


def _d2(xy: FloatArray, i: IntArray, j: IntArray) -> FloatArray:
    d = xy[i] - xy[j]
    return np.asarray(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1], dtype=np.float64)


def _pairs_within(xy: FloatArray, r: float, *, use_scipy: bool) -> IntArray:
    n = len(xy)
    if _KDTree is not None and use_scipy:
        cand = _KDTree(xy).query_pairs(r * (1 + 1e-9) + 1e-9, output_type="ndarray")
        cand = np.asarray(cand, dtype=np.int64).reshape(-1, 2)
    else:
        cand = _bucket_pairs(xy, r)
    if len(cand) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    keep = _d2(xy, cand[:, 0], cand[:, 1]) <= r * r
    return _normalise(cand[keep]) if n else cand


def _bucket_pairs(xy: FloatArray, r: float) -> IntArray:
    """Candidate pairs at most ``r`` apart (a superset), by a grid of ``r``-sized cells."""
    cells = np.floor((xy - xy.min(axis=0)) / r).astype(np.int64)
    width = int(cells[:, 1].max()) + 3
    key = (cells[:, 0] + 1) * width + (cells[:, 1] + 1)
    order = np.argsort(key, kind="stable")
    skey = key[order]
    ukey, start, count = np.unique(skey, return_index=True, return_counts=True)
    out = []
    for dx, dy in ((0, 0), (1, -1), (1, 0), (1, 1), (0, 1)):
        target = skey + dx * width + dy
        pos = np.searchsorted(ukey, target)
        pos_c = np.minimum(pos, len(ukey) - 1)
        found = ukey[pos_c] == target
        src = np.nonzero(found)[0]
        cnt = count[pos_c[src]]
        if cnt.sum() == 0:
            continue
        first = start[pos_c[src]]
        i_rep = np.repeat(src, cnt)
        offs = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        j_pos = np.repeat(first, cnt) + offs
        if dx == 0 and dy == 0:
            mask = i_rep < j_pos
            i_rep, j_pos = i_rep[mask], j_pos[mask]
        out.append(np.stack([order[i_rep], order[j_pos]], axis=1))
    if not out:
        return np.zeros((0, 2), dtype=np.int64)
    return np.concatenate(out).astype(np.int64)


def _knn_pairs(xy: FloatArray, k: int, *, use_scipy: bool) -> IntArray:
    """Each point with its ``k`` nearest others; ties by index (stable sort of exact d²)."""
    n = len(xy)
    k = min(k, n - 1)
    if k <= 0:
        return np.zeros((0, 2), dtype=np.int64)
    rows: list[IntArray] = []
    brute: list[int] = []
    if _KDTree is not None and use_scipy and n > k + 5:
        _, cand = _KDTree(xy).query(xy, k=k + 5)
        cand = np.asarray(cand, dtype=np.int64)
        for i in range(n):
            c = cand[i][cand[i] != i]
            d2 = _d2(xy, np.full(len(c), i), c)
            o = np.lexsort((c, d2))
            c, d2 = c[o], d2[o]
            if d2[-1] <= d2[k - 1]:  # ties may continue past the candidates: measure all
                brute.append(i)
                continue
            rows.append(np.stack([np.full(k, i), c[:k]], axis=1))
    else:
        brute = list(range(n))
    chunk = max(1, 4_000_000 // max(n, 1))
    for s in range(0, len(brute), chunk):
        idx = np.asarray(brute[s : s + chunk], dtype=np.int64)
        d = xy[idx][:, None, :] - xy[None, :, :]
        d2 = d[..., 0] * d[..., 0] + d[..., 1] * d[..., 1]
        d2[np.arange(len(idx)), idx] = np.inf
        nearest = np.argsort(d2, axis=1, kind="stable")[:, :k]
        rows.append(np.stack([np.repeat(idx, k), nearest.reshape(-1)], axis=1))
    return np.concatenate(rows) if rows else np.zeros((0, 2), dtype=np.int64)


def neighbour_pairs(
    xy: npt.ArrayLike,
    *,
    distance_m: float | None = None,
    k: int = 0,
    use_scipy: bool = True,
) -> IntArray:
    """Adjacent pairs of points under the distance rule and/or the k-nearest rule.

    Args:
        xy: ``(n, 2)`` positions in metres.
        distance_m: pairs at most this far apart are adjacent (``None``: rule off).
        k: each point is also adjacent to its ``k`` nearest points (``0``: rule off).
        use_scipy: use scipy's k-d tree when importable (the result is the same either way).

    Returns:
        ``(m, 2)`` index pairs ``i < j``, sorted, without duplicates.
    """
    pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    parts: list[IntArray] = [np.zeros((0, 2), dtype=np.int64)]
    if len(pts) > 1 and distance_m is not None:
        parts.append(_pairs_within(pts, float(distance_m), use_scipy=use_scipy))
    if len(pts) > 1 and k > 0:
        parts.append(_knn_pairs(pts, k, use_scipy=use_scipy))
    return _normalise(np.concatenate(parts))


def _spanning_tree_links(xy: FloatArray, limit: float) -> list[tuple[int, int]]:
    """Edges of the Euclidean minimum spanning tree (Prim) no longer than ``limit``."""
    n = len(xy)
    if n < 2:
        return []
    in_tree = np.zeros(n, dtype=bool)
    best = np.full(n, np.inf)
    parent = np.full(n, -1, dtype=np.int64)
    links: list[tuple[int, int]] = []
    current = 0
    for _ in range(n - 1):
        in_tree[current] = True
        d = xy - xy[current]
        d2 = d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]
        closer = (~in_tree) & (d2 < best)
        best[closer] = d2[closer]
        parent[closer] = current
        masked = np.where(in_tree, np.inf, best)
        current = int(np.argmin(masked))
        if masked[current] <= limit * limit:
            links.append((int(parent[current]), current))
    return links


@attrs.frozen(eq=False)
class CommunityGraph:
    """The buildings of one community and their adjacency, indexed by sorted building code.

    Attributes:
        community: the community's code.
        buildings: the buildings, sorted by code.
        xy: ``(n, 2)`` positions in metres (projected if the input was lon/lat), or ``None``
            when some building has no position.
        projection: the local projection used, when the input was lon/lat.
        neighbours: for each building index, the sorted indices of its neighbours.
    """

    community: str
    buildings: tuple[BuildingNode, ...]
    xy: FloatArray | None
    projection: LocalProjection | None
    neighbours: tuple[tuple[int, ...], ...]

    @property
    def codes(self) -> tuple[str, ...]:
        """Building codes, sorted."""
        return tuple(b.code for b in self.buildings)

    @property
    def households(self) -> tuple[int, ...]:
        """Households per building."""
        return tuple(b.households for b in self.buildings)

    def edges(self) -> list[tuple[str, str]]:
        """The adjacency as sorted pairs of building codes."""
        codes = self.codes
        return [(codes[i], codes[j]) for i, nb in enumerate(self.neighbours) for j in nb if i < j]

    def neighbour_codes(self) -> dict[str, frozenset[str]]:
        """The adjacency by code: building code → the codes of its neighbours."""
        codes = self.codes
        return {codes[i]: frozenset(codes[j] for j in nb) for i, nb in enumerate(self.neighbours)}


def _check_unique(buildings: Sequence[BuildingNode]) -> None:
    seen: set[str] = set()
    for i, b in enumerate(buildings):
        if b.code in seen:
            raise ValidationError(f"building {b.code} is listed twice", path=f"$[{i}].code")
        seen.add(b.code)


def _metres(
    members: Sequence[BuildingNode], coordinates: Coordinates
) -> tuple[FloatArray | None, LocalProjection | None]:
    if not all(b.has_position for b in members):
        return None, None
    x = np.array([b.x for b in members], dtype=np.float64)
    y = np.array([b.y for b in members], dtype=np.float64)
    if coordinates is Coordinates.LONLAT:
        if np.any(np.abs(y) > 90) or np.any(np.abs(x) > 180):
            raise ValidationError(
                "coordinates are said to be lon/lat but some are outside ±180/±90 degrees; "
                "pass coordinates='metres' for projected positions",
                path="coordinates",
            )
        proj = LocalProjection.around(x.tolist(), y.tolist())
        px, py = proj.forward(x, y)
        return np.stack([px, py], axis=1), proj
    return np.stack([x, y], axis=1), None


def community_graphs(
    buildings: Iterable[BuildingNode],
    policy: GridPolicy,
    *,
    edges: Iterable[tuple[str, str]] | None = None,
    coordinates: Coordinates | str = Coordinates.METRES,
    use_scipy: bool = True,
) -> dict[str, CommunityGraph]:
    """Build one adjacency graph per community.

    Args:
        buildings: every building, in any order.
        policy: supplies the distance, k-nearest and compound rules.
        edges: explicit adjacency as pairs of building codes. When given, it is the whole
            adjacency: no rule is applied. Pairs across communities are dropped (a grid
            never crosses a border); a pair naming an unknown building is an error.
        coordinates: what ``x``/``y`` mean.
        use_scipy: use scipy's k-d tree when importable (same result either way).

    Returns:
        Community code → graph, sorted by community code.

    Raises:
        ValidationError: a building is listed twice, an edge names an unknown building, or
            adjacency must be derived but a building has no position or no rule is on.
    """
    coordinates = Coordinates(coordinates)
    items = sorted(buildings, key=lambda b: b.code)
    _check_unique(items)
    by_comm: dict[str, list[BuildingNode]] = {}
    for b in items:
        by_comm.setdefault(b.community, []).append(b)
    explicit: dict[str, list[tuple[int, int]]] | None = None
    if edges is not None:
        explicit = {c: [] for c in by_comm}
        where = {x.code: (x.community, i) for c in by_comm.values() for i, x in enumerate(c)}
        for n, (a, z) in enumerate(edges):
            for code in (a, z):
                if code not in where:
                    raise ValidationError(
                        f"edge ({a!r}, {z!r}) names building {code!r}, which is not in the list",
                        path=f"edges[{n}]",
                    )
            (ca, ia), (cb, ib) = where[a], where[z]
            if ca == cb and ia != ib:
                explicit[ca].append((ia, ib))
    elif policy.neighbour_distance_m is None and policy.k_neighbours == 0:
        raise ValidationError(
            "no adjacency: give edges, or a policy with neighbour_distance_m or k_neighbours",
            path="policy.neighbour_distance_m",
        )
    graphs: dict[str, CommunityGraph] = {}
    for comm in sorted(by_comm):
        members = by_comm[comm]
        xy, proj = _metres(members, coordinates)
        if explicit is not None:
            pairs = explicit[comm]
        else:
            if xy is None:
                missing = next(b.code for b in members if not b.has_position)
                raise ValidationError(
                    f"building {missing} has no position, so its neighbours cannot be derived; "
                    "give x/y or pass explicit edges",
                    path="x",
                )
            arr = neighbour_pairs(
                xy,
                distance_m=policy.neighbour_distance_m,
                k=policy.k_neighbours,
                use_scipy=use_scipy,
            )
            pairs = [(i, j) for i, j in arr.tolist()]
            if policy.compound_link_m is not None:
                pairs.extend(_compound_links(members, xy, policy.compound_link_m))
        nbrs: list[set[int]] = [set() for _ in members]
        for i, j in pairs:
            nbrs[i].add(j)
            nbrs[j].add(i)
        graphs[comm] = CommunityGraph(
            community=comm,
            buildings=tuple(members),
            xy=xy,
            projection=proj,
            neighbours=tuple(tuple(sorted(s)) for s in nbrs),
        )
    return graphs


def _compound_links(
    members: Sequence[BuildingNode], xy: FloatArray, limit: float
) -> list[tuple[int, int]]:
    groups: dict[str, list[int]] = {}
    for i, x in enumerate(members):
        if x.compound is not None:
            groups.setdefault(x.compound, []).append(i)
    out: list[tuple[int, int]] = []
    for code in sorted(groups):
        idx = groups[code]
        out.extend((idx[a], idx[z]) for a, z in _spanning_tree_links(xy[idx], limit))
    return out


def adjacency(
    buildings: Iterable[BuildingNode],
    policy: GridPolicy,
    *,
    coordinates: Coordinates | str = Coordinates.METRES,
) -> tuple[tuple[str, str], ...]:
    """The adjacency the policy's rules derive from positions, as sorted code pairs.

    Useful to look at, to edit (add a link over a footbridge, cut one across a railway) and to
    pass back to :func:`~community_governance.grids.draw` as ``edges``.
    """
    graphs = community_graphs(buildings, policy, coordinates=coordinates)
    return tuple(e for g in graphs.values() for e in g.edges())


def components(
    nodes: Iterable[int], neighbours: Sequence[Sequence[int]], inside: Mapping[int, object] | None
) -> list[list[int]]:
    """Connected components of the subgraph induced by ``nodes``.

    Args:
        nodes: the nodes to consider.
        neighbours: adjacency lists of the whole graph.
        inside: a mapping whose keys are the nodes allowed (``None``: every node).

    Returns:
        Components, each sorted, ordered by their smallest node.
    """
    order = sorted(nodes)
    allowed = set(order) if inside is None else inside
    seen: set[int] = set()
    out: list[list[int]] = []
    for s in order:
        if s in seen:
            continue
        seen.add(s)
        comp = [s]
        queue = deque([s])
        while queue:
            v = queue.popleft()
            for u in neighbours[v]:
                if u in allowed and u not in seen:
                    seen.add(u)
                    comp.append(u)
                    queue.append(u)
        out.append(sorted(comp))
    return out


def articulation_points(
    root: int, label: Sequence[int], neighbours: Sequence[Sequence[int]]
) -> tuple[set[int], int]:
    """Cut vertices of the part that holds ``root`` (nodes sharing ``label[root]``).

    Iterative Tarjan: a node is a cut vertex when removing it disconnects the rest of its
    part.

    Args:
        root: a node of the part.
        label: part label of every node.
        neighbours: adjacency lists.

    Returns:
        The cut vertices, and how many nodes were reached from ``root`` (equal to the part's
        size exactly when the part is connected).
    """
    k = label[root]
    disc = {root: 0}
    low = {root: 0}
    arts: set[int] = set()
    root_children = 0
    stack: list[tuple[int, int, int]] = [(root, -1, 0)]
    t = 1
    while stack:
        v, parent, pos = stack[-1]
        nb = neighbours[v]
        pushed = False
        while pos < len(nb):
            u = nb[pos]
            pos += 1
            if label[u] != k:
                continue
            if u not in disc:
                stack[-1] = (v, parent, pos)
                disc[u] = low[u] = t
                t += 1
                stack.append((u, v, 0))
                pushed = True
                break
            if u != parent and disc[u] < low[v]:
                low[v] = disc[u]
        if pushed:
            continue
        stack.pop()
        if stack:
            p = stack[-1][0]
            if low[v] < low[p]:
                low[p] = low[v]
            if p == root:
                root_children += 1
            elif low[v] >= disc[p]:
                arts.add(p)
    if root_children >= 2:
        arts.add(root)
    return arts, len(disc)
