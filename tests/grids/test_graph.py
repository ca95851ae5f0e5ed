"""The building graph: projection, neighbour search, compound links, cut vertices."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from community_governance.errors import ValidationError
from community_governance.grids import BuildingNode, GridPolicy, LocalProjection, adjacency
from community_governance.grids.graph import articulation_points, neighbour_pairs

from .grid_strategies import brute_edges, community

points = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=60)


def brute_knn(xy, k):
    out = set()
    for i in range(len(xy)):
        d = [
            ((xy[i][0] - xy[j][0]) ** 2 + (xy[i][1] - xy[j][1]) ** 2, j)
            for j in range(len(xy))
            if j != i
        ]
        for _, j in sorted(d)[:k]:
            out.add((min(i, j), max(i, j)))
    return out


class TestNeighbourPairs:
    @settings(max_examples=60, deadline=None)
    @given(points, st.integers(1, 12), st.integers(0, 5))
    def test_same_pairs_with_and_without_scipy(self, pts, r, k):
        """Finds the brute-force pairs, with the k-d tree and with the numpy buckets alike."""
        xy = np.array(pts, dtype=float) * 7.0
        want = {
            (i, j)
            for i, j in itertools.combinations(range(len(pts)), 2)
            if ((xy[i] - xy[j]) ** 2).sum() <= (r * 7.0) ** 2
        } | brute_knn(xy.tolist(), k)
        for use in (True, False):
            got = {
                tuple(p)
                for p in neighbour_pairs(xy, distance_m=r * 7.0, k=k, use_scipy=use).tolist()
            }
            assert want == got

    def test_knn_ties_break_by_index(self):
        """Links the lower-indexed of two equally near points."""
        xy = np.array([[0.0, 0.0], [5.0, 0.0], [-5.0, 0.0], [6.0, 0.0], [-6.0, 0.0]])
        for use in (True, False):
            assert neighbour_pairs(xy, k=1, use_scipy=use).tolist() == [[0, 1], [1, 3], [2, 4]]


class TestAdjacency:
    def test_distance_rule_matches_brute_force(self):
        """Derives exactly the pairs within the distance, inside each community."""
        rng = np.random.default_rng(3)
        bs = [
            BuildingNode(f"{community(c)}-B{i:04d}", community(c), 10, *rng.uniform(0, 500, 2))
            for c in (1, 2)
            for i in range(1, 60)
        ]
        policy = GridPolicy(neighbour_distance_m=90.0, compound_link_m=None)
        assert sorted(brute_edges(bs, 90.0)) == sorted(adjacency(bs, policy))

    def test_compound_links_chain_a_spread_compound(self):
        """Chains a compound's buildings that stand further apart than the distance rule."""
        c = community(1)
        bs = [BuildingNode(f"{c}-B{i:04d}", c, 10, 200.0 * i, 0.0, f"{c}-Q01") for i in range(1, 5)]
        edges = adjacency(bs, GridPolicy(neighbour_distance_m=100.0, compound_link_m=250.0))
        assert len(edges) == 3
        assert adjacency(bs, GridPolicy(neighbour_distance_m=100.0, compound_link_m=None)) == ()

    def test_no_rule_is_refused(self):
        """Refuses to derive adjacency with every rule off."""
        c = community(1)
        with pytest.raises(ValidationError, match="no adjacency"):
            adjacency(
                [BuildingNode(f"{c}-B0001", c, 1, 0, 0)], GridPolicy(neighbour_distance_m=None)
            )

    def test_lonlat_out_of_range_is_refused(self):
        """Refuses lon/lat that cannot be degrees."""
        c = community(1)
        with pytest.raises(ValidationError, match="lon/lat"):
            adjacency(
                [BuildingNode(f"{c}-B0001", c, 1, 500000.0, 3e6)],
                GridPolicy(),
                coordinates="lonlat",
            )


class TestProjection:
    @given(st.floats(70, 135), st.floats(15, 50), st.floats(-3000, 3000), st.floats(-3000, 3000))
    def test_round_trip(self, lon0, lat0, dx, dy):
        """Turns metres into lon/lat and back."""
        proj = LocalProjection(lon0, lat0)
        lon, lat = proj.inverse(dx, dy)
        x, y = proj.forward(lon, lat)
        assert (dx, dy) == pytest.approx((float(x), float(y)), abs=1e-6)

    def test_a_degree_of_latitude(self):
        """Measures about 111.2 km per degree of latitude."""
        _, y = LocalProjection(111.874, 34.747).forward(111.874, 35.747)
        assert pytest.approx(float(y), abs=1) == 111_195


class TestArticulationPoints:
    @settings(max_examples=60, deadline=None)
    @given(st.integers(2, 9), st.data())
    def test_matches_removal(self, n, data):
        """Finds exactly the nodes whose removal disconnects their part."""
        pairs = data.draw(
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=20)
        )
        nbrs = [set() for _ in range(n)]
        for a, b in pairs:
            if a != b:
                nbrs[a].add(b)
                nbrs[b].add(a)
        adj = [sorted(s) for s in nbrs]
        label = [0] * n

        def reach(start, skip):
            seen, todo = {start}, [start]
            while todo:
                v = todo.pop()
                for u in adj[v]:
                    if u != skip and u not in seen:
                        seen.add(u)
                        todo.append(u)
            return seen

        part = reach(0, None)
        cuts, reached = articulation_points(0, label, adj)
        assert len(part) == reached
        want = {v for v in part if len(part) > 1 and len(reach(min(part - {v}), v)) < len(part) - 1}
        assert want == cuts
