"""National defaults for grids: one grid per about 600 households (每600户居民划分1个网格)."""

from __future__ import annotations

from community_governance.grids.model import GridPolicy
from community_governance.markers import hookimpl

#: Buildings of one community this close (metres) count as adjacent under the national
#: default: a grid may reach across a street or a small park to the next compound (小区), as
#: grids of about 600 households do, but not across the whole community. (The grid package's
#: own default, 150 m, links only next-door buildings and leaves compounds standing apart as
#: separate parts, each divided on its own.)
NEIGHBOUR_DISTANCE_M = 500.0

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
