"""A second plugin with Yima's scope and a grid policy: conflicts with ``cgov_yima``."""

from __future__ import annotations

from community_governance.grids.model import GridPolicy
from community_governance.markers import hookimpl


@hookimpl
def cgov_plugin_scope() -> list[str]:
    """Yima, like cgov_yima."""
    return ["411281"]


@hookimpl
def cgov_grid_policy(community_code: str, households: int) -> GridPolicy:
    """A different grid size for the same county."""
    return GridPolicy(400)
