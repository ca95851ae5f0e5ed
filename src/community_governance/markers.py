"""The pluggy markers of the ``community_governance`` project.

Plugins import :data:`hookimpl` (also re-exported as ``community_governance.hookimpl``)::

    from community_governance import hookimpl

    @hookimpl
    def cgov_grid_policy(community_code, households):
        ...
"""

from __future__ import annotations

import pluggy

PROJECT = "community_governance"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["PROJECT", "hookimpl", "hookspec"]
