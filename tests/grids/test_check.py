"""Checks of existing assignments: planted gaps, overlaps, pieces, borders and sizes."""

from __future__ import annotations

from hypothesis import given, settings

from community_governance.grids import (
    BuildingNode,
    check_assignment,
    check_leaders,
    claims_of,
    draw,
)
from community_governance.grids.check import (
    CrossesBorder,
    Disputed,
    EmptyGrid,
    NonContiguous,
    OutOfBand,
    UnknownBuilding,
    Unmanaged,
)

from .grid_strategies import POLICY, brute_edges, cities, community

C1, C2 = community(1), community(2)


def row(c, n, hh=60, x=None):
    return BuildingNode(f"{c}-B{n:04d}", c, hh, 10.0 * n if x is None else x, 0.0)


CITY = [row(C1, i) for i in range(1, 21)] + [row(C2, i) for i in range(1, 11)]
GOOD = {
    f"{C1}-W01": [f"{C1}-B{i:04d}" for i in range(1, 11)],
    f"{C1}-W02": [f"{C1}-B{i:04d}" for i in range(11, 21)],
    f"{C2}-W01": [f"{C2}-B{i:04d}" for i in range(1, 11)],
}


class TestCheckAssignment:
    def test_a_clean_assignment_passes(self):
        """Finds nothing wrong with a clean assignment."""
        report = check_assignment(GOOD, CITY, POLICY)
        assert report.ok
        assert report.messages() == []

    @settings(max_examples=30, deadline=None)
    @given(cities())
    def test_a_drawn_division_has_no_gaps_or_overlaps(self, buildings):
        """Finds no unmanaged, disputed, crossing or broken grid in a drawn division, and
        exactly the out-of-band grids the division explains."""
        edges = brute_edges(buildings, 100.0)
        division = draw(buildings, POLICY, edges=edges)
        report = check_assignment(division.assignment().items(), buildings, POLICY, edges=edges)
        assert report.unmanaged + report.disputed == ()  # type: ignore[operator]
        assert report.crosses_border == ()
        assert report.non_contiguous == ()
        assert sorted(i.grid for i in division.infeasibilities) == [
            o.grid for o in report.out_of_band
        ]

    def test_unmanaged(self):
        """Reports a building that no grid claims (漏管)."""
        claims = {g: [b for b in bs if b != f"{C1}-B0020"] for g, bs in GOOD.items()}
        report = check_assignment(claims, CITY, POLICY)
        assert (Unmanaged(f"{C1}-B0020", C1, 60),) == report.unmanaged

    def test_disputed(self):
        """Reports a building that two grids claim (争议)."""
        claims = dict(GOOD)
        claims[f"{C1}-W02"] = [*GOOD[f"{C1}-W02"], f"{C1}-B0010"]
        report = check_assignment(claims, CITY, POLICY)
        assert (Disputed(f"{C1}-B0010", (f"{C1}-W01", f"{C1}-W02")),) == report.disputed

    def test_rows_can_dispute_too(self):
        """Reads (building, grid) rows, where a building on two rows is disputed."""
        rows = [(b, g) for g, bs in GOOD.items() for b in bs] + [(f"{C2}-B0001", f"{C2}-W02")]
        report = check_assignment(rows, CITY, POLICY)
        assert [f"{C2}-B0001"] == [d.building for d in report.disputed]
        assert {f"{C2}-W02"} == {o.grid for o in report.out_of_band}

    def test_non_contiguous(self):
        """Reports a grid that falls into parts, listing them."""
        claims = {
            f"{C1}-W01": [f"{C1}-B{i:04d}" for i in (*range(1, 6), *range(16, 21))],
            f"{C1}-W02": [f"{C1}-B{i:04d}" for i in range(6, 16)],
            f"{C2}-W01": GOOD[f"{C2}-W01"],
        }
        far = [row(C1, i, x=10.0 * i + (3000.0 if i > 15 else 0.0)) for i in range(1, 21)]
        report = check_assignment(claims, far + CITY[20:], POLICY)
        (nc,) = report.non_contiguous
        assert f"{C1}-W01" == nc.grid
        assert len(nc.parts) == 2
        assert isinstance(nc, NonContiguous)

    def test_out_of_band(self):
        """Reports grids under low and over high."""
        claims = {
            f"{C1}-W01": [f"{C1}-B{i:04d}" for i in range(1, 5)],
            f"{C1}-W02": [f"{C1}-B{i:04d}" for i in range(5, 21)],
            f"{C2}-W01": GOOD[f"{C2}-W01"],
        }
        report = check_assignment(claims, CITY, POLICY)
        assert (
            OutOfBand(f"{C1}-W01", 240, 480, 720),
            OutOfBand(f"{C1}-W02", 960, 480, 720),
        ) == report.out_of_band

    def test_crosses_border(self):
        """Reports a grid with buildings of another community."""
        claims = dict(GOOD)
        claims[f"{C1}-W02"] = [*GOOD[f"{C1}-W02"], f"{C2}-B0001"]
        claims[f"{C2}-W01"] = GOOD[f"{C2}-W01"][1:]
        report = check_assignment(claims, CITY, POLICY)
        assert (CrossesBorder(f"{C1}-W02", C1, (f"{C2}-B0001",)),) == report.crosses_border
        assert report.non_contiguous == ()

    def test_unknown_and_empty(self):
        """Reports claims on unlisted buildings and grids with no building."""
        claims = dict(GOOD)
        claims[f"{C1}-W09"] = [f"{C1}-B0999"]
        report = check_assignment(claims, CITY, POLICY)
        assert (UnknownBuilding(f"{C1}-W09", f"{C1}-B0999"),) == report.unknown_buildings
        assert (EmptyGrid(f"{C1}-W09"),) == report.empty_grids
        assert not report.ok

    def test_claims_of_merges_duplicates(self):
        """Normalises a grid → buildings mapping, sorted."""
        assert claims_of({"g": ["b", "a", "a"]}) == {"g": ("a", "b")}


class TestCheckLeaders:
    def test_missing_and_doubled_leaders(self):
        """Reports grids without a grid leader, buildings without a building leader and a
        person leading two grids."""
        report = check_leaders(
            ["W1", "W2", "W3"],
            ["B1", "B2", "B3"],
            {"W1": "张三", "W2": "张三", "W3": ""},
            {"B1": "李四", "B2": "李四"},
        )
        assert [f.grid for f in report.grids_without_leader] == ["W3"]
        assert [f.building for f in report.buildings_without_leader] == ["B3"]
        assert [(f.leader, f.grids) for f in report.leaders_of_several_grids] == [
            ("张三", ("W1", "W2"))
        ]
        assert not report.ok

    def test_all_led(self):
        """Finds nothing when every grid and building has its leader."""
        assert check_leaders(["W1"], ["B1", "B2"], {"W1": "a"}, {"B1": "b", "B2": "b"}).ok
