"""Conformance contracts of the capability hooks (grids, points, funds, cases, calendars...)."""

from __future__ import annotations

from typing import Any


def contracts() -> dict[str, Any]:
    """Hook name → :class:`~community_governance.testing.conformance.HookContract`."""
    return {}
