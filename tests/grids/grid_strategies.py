"""Hypothesis strategies and independent checkers for the grid tests.

The checkers re-derive everything from the input with plain Python (breadth-first search,
brute-force distances), so that a bug in the package's own graph code cannot hide itself.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import deque
from collections.abc import Iterable, Sequence

from hypothesis import strategies as st

from community_governance.grids import BuildingNode, Division, GridPolicy

POLICY = GridPolicy(neighbour_distance_m=100.0)


def community(n: int) -> str:
    """The code of test community ``n``."""
    return f"411281001{n:03d}"


def brute_edges(buildings: Sequence[BuildingNode], distance: float) -> list[tuple[str, str]]:
    """Pairs of one community at most ``distance`` apart, by brute force."""
    out = []
    for a, b in itertools.combinations(sorted(buildings, key=lambda x: x.code), 2):
        if a.community != b.community:
            continue
        assert a.x is not None and b.x is not None and a.y is not None and b.y is not None
        if (a.x - b.x) ** 2 + (a.y - b.y) ** 2 <= distance * distance:
            out.append((a.code, b.code))
    return out


def is_connected(codes: Iterable[str], edges: Iterable[tuple[str, str]]) -> bool:
    """Whether ``codes`` induce a connected subgraph of ``edges``."""
    nodes = set(codes)
    if not nodes:
        return False
    adj: dict[str, set[str]] = {c: set() for c in nodes}
    for a, b in edges:
        if a in nodes and b in nodes:
            adj[a].add(b)
            adj[b].add(a)
    start = min(nodes)
    seen = {start}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for u in adj[v] - seen:
            seen.add(u)
            queue.append(u)
    return seen == nodes


@st.composite
def cities(draw: st.DrawFn, max_buildings: int = 40) -> list[BuildingNode]:
    """Small random cities: 1-3 communities, clustered positions on a 10 m lattice (so there
    are ties), households mostly small with some towers over the band, optional compounds,
    and the odd island far away."""
    n_comm = draw(st.integers(1, 3))
    out: list[BuildingNode] = []
    for c in range(n_comm):
        comm = community(c + 1)
        n = draw(st.integers(1, max(1, max_buildings // n_comm)))
        for i in range(n):
            island = draw(st.integers(0, 19)) == 0
            x = draw(st.integers(0, 30)) * 10.0 + (5000.0 if island else 0.0)
            y = draw(st.integers(0, 30)) * 10.0 + c * 2000.0
            hh = draw(
                st.one_of(
                    st.integers(0, 90),
                    st.integers(20, 200),
                    st.integers(700, 900) if draw(st.integers(0, 9)) == 0 else st.just(50),
                )
            )
            compound = draw(st.sampled_from([None, None, f"{comm}-Q01", f"{comm}-Q02"]))
            out.append(BuildingNode(f"{comm}-B{i + 1:04d}", comm, hh, x, y, compound))
    return out


@st.composite
def in_band_parts(draw: st.DrawFn) -> tuple[list[int], int]:
    """Weights of one part that meets the guarantee: some count ``p`` with
    ``low + m <= W / p <= high - m`` (``m`` the heaviest), and the ``p``."""
    p = draw(st.integers(1, 4))
    m = draw(st.integers(30, 110))
    mean = draw(st.integers(POLICY.low + m, POLICY.high - m))
    total = p * mean
    rng = random.Random(draw(st.integers(0, 2**32)))
    weights: list[int] = []
    while total - sum(weights) > m:
        weights.append(rng.randint(max(1, m // 2), m))
    if total - sum(weights):
        weights.append(total - sum(weights))
    rng.shuffle(weights)
    return weights, p


def assert_valid(
    division: Division,
    buildings: Sequence[BuildingNode],
    edges: Iterable[tuple[str, str]],
    policy: GridPolicy,
) -> None:
    """Every property a division promises, checked independently."""
    edges = list(edges)
    by_code = {b.code: b for b in buildings}
    seen: list[str] = [c for g in division.grids for c in g.buildings]
    assert sorted(seen) == sorted(by_code)  # every building in exactly one grid
    codes = [g.code for g in division.grids]
    assert len(codes) == len(set(codes))
    out_of_band = set()
    for g in division.grids:
        assert {by_code[c].community for c in g.buildings} == {g.community}
        assert g.code.startswith(g.community + "-W")
        assert sum(by_code[c].households for c in g.buildings) == g.households
        assert is_connected(g.buildings, edges), g
        if not policy.in_band(g.households):
            out_of_band.add(g.code)
    explained = [i.grid for i in division.infeasibilities]
    assert sorted(explained) == sorted(out_of_band)  # each out-of-band grid explained once
    assert division.spread.households == sum(b.households for b in buildings)
    assert division.spread.grids == len(codes)
    if policy.keep_compounds_whole:
        grid_of = division.assignment()
        groups: dict[tuple[str, str], list[str]] = {}
        for b in buildings:
            if b.compound is not None:
                groups.setdefault((b.community, b.compound), []).append(b.code)
        for members in groups.values():
            total = sum(by_code[c].households for c in members)
            if total <= policy.high and is_connected(members, edges):
                assert len({grid_of[c] for c in members}) == 1, members


def spread_ok(sizes: Sequence[int]) -> float:
    """Population standard deviation."""
    mean = sum(sizes) / len(sizes)
    return math.sqrt(sum((s - mean) ** 2 for s in sizes) / len(sizes))
