"""Redrawing: households stay in their grids; one new building disturbs only its corner."""

from __future__ import annotations

import attrs
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from community_governance.grids import AdjustmentKind, BuildingNode, Move, draw, redraw

from .grid_strategies import POLICY, assert_valid, brute_edges, cities, community

C = community(1)


def moves_between(before, after, households, old_households):
    """The moves a redraw must report, computed from the two assignments."""
    out = []
    for code in sorted(set(before) | set(after)):
        if before.get(code) != after.get(code):
            hh = households.get(code, old_households.get(code, 0))
            out.append(Move(code, hh, before.get(code), after.get(code)))
    return out


def members(assignment):
    out = {}
    for b, g in assignment.items():
        out.setdefault(g, set()).add(b)
    return out


class TestRedraw:
    @settings(max_examples=40, deadline=None)
    @given(cities())
    def test_nothing_changed_nothing_moves(self, buildings):
        """Keeps every grid when no building changed."""
        edges = brute_edges(buildings, 100.0)
        first = draw(buildings, POLICY, edges=edges)
        again = redraw(first.assignment(), buildings, POLICY, edges=edges)
        assert first.assignment() == again.assignment()
        assert again.moves == ()

    @settings(max_examples=60, deadline=None)
    @given(cities(max_buildings=50), st.data())
    def test_one_new_building_changes_only_its_corner(self, buildings, data):
        """Adding one building changes the grid it joins and at most one grid next to it, and
        reports exactly the households that moved."""
        edges = brute_edges(buildings, 100.0)
        first = draw(buildings, POLICY, edges=edges)
        base = data.draw(st.sampled_from(buildings))
        new = BuildingNode(
            f"{base.community}-B9999",
            base.community,
            data.draw(st.integers(0, 400)),
            base.x + data.draw(st.integers(-6, 6)) * 10.0,
            base.y + data.draw(st.integers(-6, 6)) * 10.0,
        )
        after = [*buildings, new]
        new_edges = brute_edges(after, 100.0)
        hh = {b.code: b.households for b in after}
        old_hh = {b.code: b.households for b in buildings}
        prev = first.assignment()
        result = redraw(prev, after, POLICY, edges=new_edges, previous_households=old_hh)
        assert_valid(result, after, new_edges, POLICY)
        now = result.assignment()
        assert moves_between(prev, now, hh, old_hh) == list(result.moves)
        old_m, new_m = members(prev), members(now)
        joined = now[new.code]
        changed = {
            g
            for g in set(old_m) | set(new_m)
            if old_m.get(g, set()) != new_m.get(g, set()) - {new.code}
        }
        others = changed - {joined}
        assert len(others) <= 1
        neighbours = {b for a, z in new_edges for b in (a, z) if new.code in (a, z)} - {new.code}
        if neighbours:
            assert joined in {prev[b] for b in neighbours} | (set(new_m) - set(old_m))
        for other in others:  # the other grid borders the one the building joined
            grid_a = new_m[joined] | old_m.get(joined, set())
            grid_b = new_m.get(other, set()) | old_m.get(other, set())
            assert any(
                (a in grid_a and z in grid_b) or (z in grid_a and a in grid_b) for a, z in new_edges
            )

    @settings(max_examples=40, deadline=None)
    @given(cities(max_buildings=50), st.data())
    def test_removed_and_resized_buildings(self, buildings, data):
        """Stays valid and reports exact moves when buildings leave or change size."""
        assume(len(buildings) > 3)
        edges = brute_edges(buildings, 100.0)
        first = draw(buildings, POLICY, edges=edges)
        gone = set(data.draw(st.lists(st.sampled_from([b.code for b in buildings]), max_size=3)))
        after = [
            attrs.evolve(
                b,
                households=b.households + data.draw(st.integers(-20, 200))
                if b.households > 20
                else b.households,
            )
            for b in buildings
            if b.code not in gone
        ]
        assume(after)
        new_edges = brute_edges(after, 100.0)
        old_hh = {b.code: b.households for b in buildings}
        prev = first.assignment()
        result = redraw(prev, after, POLICY, edges=new_edges, previous_households=old_hh)
        assert_valid(result, after, new_edges, POLICY)
        hh = {b.code: b.households for b in after}
        assert moves_between(prev, result.assignment(), hh, old_hh) == list(result.moves)
        assert all(m.to_grid is None for m in result.moves if m.building in gone)

    def test_new_grids_take_fresh_numbers(self):
        """Numbers a new grid above every number the community used, and retires none by
        reuse."""
        row = [BuildingNode(f"{C}-B{i:04d}", C, 60, 10.0 * i, 0.0) for i in range(1, 11)]
        prev = {b.code: f"{C}-W07" for b in row}
        far = [BuildingNode(f"{C}-B{i:04d}", C, 60, 5000.0 + 10 * i, 0.0) for i in range(11, 21)]
        result = redraw(prev, [*row, *far], POLICY)
        assert {f"{C}-W07", f"{C}-W08"} == {g.code for g in result.grids}
        assert AdjustmentKind.GRID_ADDED in {a.kind for a in result.adjustments}

    def test_a_grid_that_grew_too_big_is_split(self):
        """Splits a grid that new buildings pushed over the band into two, the new one under a
        fresh code."""
        row = [BuildingNode(f"{C}-B{i:04d}", C, 60, 10.0 * i, 0.0) for i in range(1, 11)]
        prev = {b.code: f"{C}-W01" for b in row}
        more = [BuildingNode(f"{C}-B{i:04d}", C, 60, 10.0 * i, 0.0) for i in range(11, 21)]
        result = redraw(prev, [*row, *more], POLICY)
        assert [f"{C}-W01", f"{C}-W02"] == [g.code for g in result.grids]
        assert all(POLICY.in_band(g.households) for g in result.grids)

    def test_a_broken_grid_keeps_its_largest_part(self):
        """Keeps the largest part of a grid cut in two by a removed building."""
        row = [BuildingNode(f"{C}-B{i:04d}", C, 60, 60.0 * i, 0.0) for i in range(1, 12)]
        prev = {b.code: f"{C}-W01" for b in row[:9]} | {b.code: f"{C}-W02" for b in row[9:]}
        after = [b for b in row if b.code != f"{C}-B0003"]
        result = redraw(prev, after, POLICY)
        kinds = [a.kind for a in result.adjustments]
        assert AdjustmentKind.GRID_BROKEN in kinds
        assert result.assignment()[f"{C}-B0005"] == f"{C}-W01"
