"""National defaults for grids: one grid per about 600 households (每600户居民划分1个网格)."""

from __future__ import annotations

from community_governance.grids.model import NEIGHBOUR_DISTANCE_M, GridPolicy
from community_governance.markers import hookimpl

__all__ = ["NATIONAL_POLICY", "NEIGHBOUR_DISTANCE_M", "cgov_grid_policy"]

#: The national practice: 600 households a grid, 480-720 in band, compounds kept whole.
NATIONAL_POLICY = GridPolicy(target=600, low=480, high=720, keep_compounds_whole=True,
                             neighbour_distance_m=NEIGHBOUR_DISTANCE_M)


@hookimpl(trylast=True)
def cgov_grid_policy(community_code: str, households: int) -> GridPolicy | None:
    """600 households a grid, a band of 480-720, compounds (小区) kept whole, buildings within
    500 m of each other adjacent."""
    return NATIONAL_POLICY


@hookimpl(trylast=True)
def cgov_grid_leaders_allowed(grid_code: str, community_code: str) -> int | None:
    """One grid leader (网格长) per grid at a time."""
    return 1
