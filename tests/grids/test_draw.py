"""Drawing grids: the properties every division keeps, and the explained exceptions."""

from __future__ import annotations

import itertools
import random

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from community_governance.errors import ValidationError
from community_governance.grids import (
    AdjustmentKind,
    BuildingNode,
    GridPolicy,
    InfeasibilityKind,
    draw,
)
from community_governance.grids.synthetic import yima_like

from .grid_strategies import (
    POLICY,
    assert_valid,
    brute_edges,
    cities,
    community,
    in_band_parts,
    spread_ok,
)

C = community(1)


def node(i: int, hh: int, x: float = 0.0, y: float = 0.0, compound: str | None = None):
    return BuildingNode(f"{C}-B{i:04d}", C, hh, x, y, compound)


def chain_edges(codes):
    return list(itertools.pairwise(codes))


class TestProperties:
    @settings(max_examples=60, deadline=None)
    @given(cities())
    def test_every_division_is_valid(self, buildings):
        """Puts every building in exactly one connected grid of its own community, and
        explains every grid out of band."""
        edges = brute_edges(buildings, 100.0)
        division = draw(buildings, POLICY, edges=edges)
        assert_valid(division, buildings, edges, POLICY)

    @settings(max_examples=40, deadline=None)
    @given(cities(), st.randoms(use_true_random=False))
    def test_deterministic_whatever_the_order(self, buildings, rnd):
        """Gives the same division for the same buildings in any order, with or without
        scipy."""
        first = draw(buildings, POLICY)
        shuffled = list(buildings)
        rnd.shuffle(shuffled)
        assert first == draw(shuffled, POLICY)
        assert first == draw(shuffled, POLICY, use_scipy=False)

    @settings(max_examples=40, deadline=None)
    @given(cities())
    def test_derived_adjacency_keeps_the_properties(self, buildings):
        """Keeps every property with adjacency derived from positions (compound links on)."""
        from community_governance.grids import adjacency

        division = draw(buildings, POLICY)
        assert_valid(division, buildings, adjacency(buildings, POLICY), POLICY)


class TestGuarantee:
    """In band, provably, on complete graphs, chains and rings (see the package docstring)."""

    @settings(max_examples=40, deadline=None)
    @given(in_band_parts(), st.sampled_from(["complete", "chain", "ring"]), st.randoms())
    def test_in_band_when_the_condition_holds(self, part, shape, rnd):
        """Puts every grid in band when some count has low + m <= W/p <= high - m."""
        weights, _ = part
        buildings = [node(i + 1, w) for i, w in enumerate(weights)]
        codes = [b.code for b in buildings]
        rnd.shuffle(codes)  # the chain does not follow code order
        if shape == "complete":
            edges = list(itertools.combinations(codes, 2))
        else:
            edges = chain_edges(codes) + ([(codes[-1], codes[0])] if shape == "ring" else [])
        division = draw(buildings, POLICY, edges=edges)
        assert_valid(division, buildings, edges, POLICY)
        assert division.infeasibilities == ()
        assert all(POLICY.in_band(g.households) for g in division.grids)

    def test_small_buildings_are_not_enough(self):
        """Explains a hub whose many one-household leaves cannot be grouped: "connected, every
        building under low, total at least low" does not guarantee the band."""
        hub = node(1, 10)
        leaves = [node(i, 1) for i in range(2, 1002)]
        edges = [(hub.code, leaf.code) for leaf in leaves]
        division = draw([hub, *leaves], POLICY, edges=edges)
        assert_valid(division, [hub, *leaves], edges, POLICY)
        kinds = {i.kind for i in division.infeasibilities}
        assert InfeasibilityKind.GRAPH_SHAPE in kinds or InfeasibilityKind.ISLAND not in kinds
        assert division.infeasibilities

    def test_a_total_between_counts_is_explained(self):
        """Calls 800 households in a 480-720 band unreachable: no count fits."""
        buildings = [node(i + 1, 40) for i in range(20)]
        edges = chain_edges([b.code for b in buildings])
        division = draw(buildings, POLICY, edges=edges)
        assert {InfeasibilityKind.BAND_UNREACHABLE} == {i.kind for i in division.infeasibilities}


class TestInfeasibilities:
    def test_island(self):
        """Makes a lone small building its own grid and calls it an island."""
        main = [node(i + 1, 60, x=10.0 * i) for i in range(10)]
        island = node(11, 30, x=5000.0)
        division = draw([*main, island], POLICY)
        (inf,) = division.infeasibilities
        assert (InfeasibilityKind.ISLAND, (island.code,)) == (inf.kind, inf.buildings)

    def test_part_too_small(self):
        """Names a cut-off group of buildings lighter than low."""
        main = [node(i + 1, 60, x=10.0 * i) for i in range(10)]
        far = [node(11, 30, x=5000.0), node(12, 30, x=5010.0)]
        (inf,) = draw([*main, *far], POLICY).infeasibilities
        assert inf.kind == InfeasibilityKind.PART_TOO_SMALL

    def test_tower(self):
        """Gives a tower over the band a grid of its own and names it."""
        buildings = [node(1, 900)] + [node(i, 60, x=10.0 * i) for i in range(2, 22)]
        division = draw(buildings, POLICY)
        towers = [
            i for i in division.infeasibilities if i.kind is InfeasibilityKind.TOWER_OVER_BAND
        ]
        assert [(node(1, 900).code,)] == [i.buildings for i in towers]
        tower_grid = next(g for g in division.grids if node(1, 900).code in g.buildings)
        assert (node(1, 900).code,) == tower_grid.buildings
        assert all(POLICY.in_band(g.households) for g in division.grids if g is not tower_grid)

    def test_community_too_small(self):
        """Draws one grid for a community under low and says so."""
        division = draw([node(1, 100), node(2, 100, x=10.0)], POLICY)
        (inf,) = division.infeasibilities
        assert inf.kind == InfeasibilityKind.COMMUNITY_TOO_SMALL
        assert len(division.grids) == 1

    def test_compound_kept_whole(self):
        """Says when keeping compounds whole is what keeps a grid out of band."""
        qa, qb = f"{C}-Q01", f"{C}-Q02"
        a = [node(i + 1, 65, x=10.0 * i, compound=qa) for i in range(10)]
        b = [node(i + 11, 65, x=10.0 * i, y=20.0, compound=qb) for i in range(10)]
        c = [node(21, 240, x=50.0, y=10.0)]
        division = draw([*a, *b, *c], POLICY)
        kinds = {i.kind for i in division.infeasibilities}
        assert {InfeasibilityKind.COMPOUND_KEPT_WHOLE} == kinds
        loose = draw([*a, *b, *c], attrs.evolve(POLICY, keep_compounds_whole=False))
        assert loose.infeasibilities == ()


class TestAdjustments:
    def test_large_compound_is_split_and_said(self):
        """Splits a compound larger than high and reports it."""
        q = f"{C}-Q01"
        buildings = [
            node(i + 1, 60, x=10.0 * (i % 6), y=10.0 * (i // 6), compound=q) for i in range(24)
        ]
        division = draw(buildings, POLICY)
        (adj,) = [a for a in division.adjustments if a.kind is AdjustmentKind.COMPOUND_SPLIT]
        assert len(adj.grids) == len(division.grids) > 1

    def test_count_change_is_said(self):
        """Uses another count than round(H/600) when that one cannot be in band, and says so."""
        buildings = [node(i + 1, 10) for i in range(145)]  # 1450 households: 2 grids of 725
        edges = chain_edges([b.code for b in buildings])
        division = draw(buildings, POLICY, edges=edges)
        assert len(division.grids) == 3
        assert division.communities[0].policy_count == 2
        assert [a.kind for a in division.adjustments] == [AdjustmentKind.COUNT_CHANGED]
        assert division.infeasibilities == ()

    def test_disconnected_compound_is_said(self):
        """Keeps each group of a compound whose buildings stand apart, and says so."""
        q = f"{C}-Q01"
        near = [node(i + 1, 60, x=10.0 * i) for i in range(8)]
        parts = [node(9, 50, x=0.0, y=30.0, compound=q), node(10, 50, x=2000.0, compound=q)]
        division = draw([*near, *parts], GridPolicy(compound_link_m=None))
        kinds = [a.kind for a in division.adjustments]
        assert AdjustmentKind.COMPOUND_DISCONNECTED in kinds


class TestInput:
    def test_duplicate_buildings_are_refused(self):
        """Refuses a building listed twice."""
        with pytest.raises(ValidationError, match="listed twice"):
            draw([node(1, 10), node(1, 10)], POLICY)

    def test_edges_to_unknown_buildings_are_refused(self):
        """Refuses an edge naming a building that is not in the list."""
        with pytest.raises(ValidationError, match="not in the list"):
            draw([node(1, 10)], POLICY, edges=[(node(1, 10).code, "nope")])

    def test_missing_positions_need_edges(self):
        """Asks for edges when a building has no position."""
        b = BuildingNode(f"{C}-B0001", C, 10)
        with pytest.raises(ValidationError, match="no position"):
            draw([b], POLICY)
        assert len(draw([b], POLICY, edges=[]).grids) == 1

    def test_lonlat_and_metres_agree(self):
        """Draws the same grids from lon/lat as from the metres they came from."""
        from community_governance.grids.synthetic import synthetic_city, to_lonlat

        city = synthetic_city(7, communities=2, buildings=120, households=5000, big_compound=0)
        metres = draw(city, POLICY)
        lonlat = draw(to_lonlat(city), POLICY, coordinates="lonlat")
        assert metres.assignment() == lonlat.assignment()

    def test_edges_across_communities_are_dropped(self):
        """Never lets an edge join two communities."""
        a = node(1, 300)
        b = BuildingNode(f"{community(2)}-B0001", community(2), 300, 0.0, 0.0)
        division = draw([a, b], POLICY, edges=[(a.code, b.code)])
        assert len(division.grids) == 2


class TestYima:
    def test_yima_like_city(self):
        """Draws the Yima-like city into about 78 grids, most in band, all explained."""
        city = yima_like()
        division = draw(city, GridPolicy())
        assert len(division.communities) == 15
        assert division.spread.households == 46_800
        assert 70 <= len(division.grids) <= 86
        assert len(division.out_of_band()) == len(division.infeasibilities)
        assert len(division.out_of_band()) <= 0.2 * len(division.grids)
        sizes = [g.households for g in division.grids]
        assert division.spread.std == pytest.approx(spread_ok(sizes))

    def test_yima_like_city_without_compounds_is_all_in_band(self):
        """Puts every grid in band once compounds may be split."""
        division = draw(yima_like(), GridPolicy(keep_compounds_whole=False))
        kinds = {i.kind for i in division.infeasibilities}
        assert kinds <= {InfeasibilityKind.PART_TOO_SMALL, InfeasibilityKind.ISLAND}


def test_random_restarts_are_seeded():
    """Gives the same division on every run (no dependence on the hash seed)."""
    city = [
        node(i + 1, random.Random(i).randint(10, 80), x=(i % 7) * 40.0, y=(i // 7) * 40.0)
        for i in range(70)
    ]
    assert draw(city, POLICY) == draw(list(reversed(city)), POLICY)


def test_same_division_under_any_hash_seed():
    """Gives the same division in processes with different PYTHONHASHSEED values."""
    import os
    import subprocess
    import sys

    script = (
        "import hashlib, json\n"
        "from community_governance.grids import GridPolicy, draw\n"
        "from community_governance.grids.synthetic import synthetic_city\n"
        "city = synthetic_city(11, communities=3, buildings=240, households=9000)\n"
        "a = draw(city, GridPolicy()).assignment()\n"
        "print(hashlib.sha256(json.dumps(a).encode()).hexdigest())\n"
    )
    outs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        outs.add(run.stdout.strip())
    assert len(outs) == 1
