"""The values: policy, count rule, buildings, spread, division helpers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community_governance.domain.units import Building
from community_governance.errors import ValidationError
from community_governance.grids import BuildingNode, GridPolicy, Spread, grid_count


class TestGridPolicy:
    def test_defaults(self):
        """Defaults to 600 households in a 480-720 band."""
        p = GridPolicy()
        assert (p.target, p.low, p.high, p.keep_compounds_whole) == (600, 480, 720, True)

    def test_band_follows_target(self):
        """Puts the band at 80-120 % of a county's own target."""
        assert (GridPolicy(target=1000).low, GridPolicy(target=1000).high) == (800, 1200)

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"target": 0},
            {"low": 700},
            {"high": 500},
            {"neighbour_distance_m": -1.0},
            {"k_neighbours": -1},
        ],
    )
    def test_nonsense_is_refused(self, kwargs):
        """Refuses a band that does not hold the target, and negative rules."""
        with pytest.raises(ValidationError):
            GridPolicy(**kwargs)


class TestGridCount:
    @given(st.integers(0, 100_000))
    def test_round_and_at_least_one(self, households):
        """Gives round(H / 600), and never fewer than one grid."""
        assert max(1, round(households / 600)) == grid_count(GridPolicy(), households)

    def test_yima(self):
        """Gives Yima's 78 grids for 46,800 households."""
        assert grid_count(GridPolicy(), 46_800) == 78


class TestBuildingNode:
    def test_from_domain_building(self):
        """Takes code, community, compound, position and planned households from a Building."""
        b = Building(
            "411281001001-B0042",
            "3号楼",
            "411281001001",
            "411281001001-Q02",
            x=1.0,
            y=2.0,
            households_planned=48,
        )
        node = BuildingNode.from_building(b)
        assert (
            BuildingNode("411281001001-B0042", "411281001001", 48, 1.0, 2.0, "411281001001-Q02")
            == node
        )
        assert BuildingNode.from_building(b, households=50).households == 50

    @pytest.mark.parametrize("hh", [-1, 1.5, True])
    def test_households_are_whole(self, hh):
        """Refuses negative, fractional or boolean households."""
        with pytest.raises(ValidationError):
            BuildingNode("b", "c", hh)

    def test_half_a_position_is_refused(self):
        """Refuses x without y."""
        with pytest.raises(ValidationError):
            BuildingNode("b", "c", 1, x=1.0)


class TestSpread:
    def test_of_sizes(self):
        """Gives count, total, min, max, mean and population std."""
        assert Spread(3, 1800, 500, 700, 600.0, pytest.approx(81.65, abs=0.01)) == Spread.of(
            [600, 700, 500]
        )

    def test_of_nothing(self):
        """Gives zeros for no grid."""
        assert Spread(0, 0, 0, 0, 0.0, 0.0) == Spread.of([])
