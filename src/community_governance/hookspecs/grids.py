"""Grid hooks: the grid policy (网格划分标准) a community is divided under."""

from __future__ import annotations

from typing import TYPE_CHECKING

from community_governance.markers import hookspec

if TYPE_CHECKING:
    from community_governance.grids.model import GridPolicy


@hookspec(firstresult=True)
def cgov_grid_policy(community_code: str, households: int) -> GridPolicy | None:
    """Give the grid policy (网格划分标准) a community is divided under.

    Called by ``gov.grids`` once per community whenever it draws, redraws, checks or exports
    that community's grids, before anything is written. The policy says the households a grid
    should hold (default 600, 每600户居民划分1个网格), the band a grid may hold (default
    480-720), and whether compounds (小区) must stay whole; a community gets
    ``max(1, round(households / target))`` grids.

    Args:
        community_code: the community's 12-digit code.
        households: households in the community (registered households, or the planned
            dwellings of buildings with none registered yet).

    Returns:
        A :class:`~community_governance.grids.model.GridPolicy` with
        ``0 < low <= target <= high``, or ``None`` to leave it to the next plugin. Any other
        answer is a ``PluginError`` and nothing is written.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_grid_policy(community_code, households):
            if community_code.startswith("411281"):  # 义马市: 500 households a grid
                return GridPolicy(target=500, low=400, high=650, keep_compounds_whole=True)
            return None
    """


@hookspec(firstresult=True)
def cgov_grid_leaders_allowed(grid_code: str, community_code: str) -> int | None:
    """Say how many grid leaders (网格长) a grid may have at once: 1, or 2 with a deputy.

    Called by ``gov.grids.assign_leader`` and ``gov.registry.assign_posts`` for each grid
    that gets a grid leader, before the write transaction opens. A term that would give the
    grid more leaders than this on any day is refused with a ``ConflictError`` naming the
    posts it overlaps; nothing is written.

    Args:
        grid_code: the grid's code, e.g. ``411281001001-W01``.
        community_code: the grid's community (the place whose rule this is).

    Returns:
        A whole number from 1 to 3, or ``None`` to leave it to the next plugin (the national
        default is 1: one grid leader per grid). Any other answer is a ``PluginError`` and
        nothing is written.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_grid_leaders_allowed(grid_code, community_code):
            if community_code.startswith("411202"):  # 湖滨区: a deputy grid leader (副网格长)
                return 2
            return None
    """
