"""Turning an access :class:`~community_governance.domain.access.Scope` into SQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from community_governance.domain.access import Scope

__all__ = ["scope_clause"]


def scope_clause(
    scope: Scope,
    *,
    unit: sa.ColumnElement[Any],
    grid: sa.ColumnElement[Any] | None = None,
    resident: sa.ColumnElement[Any] | None = None,
) -> sa.ColumnElement[bool]:
    """A WHERE clause keeping only the rows inside ``scope``.

    Args:
        scope: what the actor may see.
        unit: the column holding the row's most specific unit code (a building, a grid...).
        grid: the column holding the row's grid code, when the row has one.
        resident: the column holding the row's resident key, when the row belongs to one.
    """
    if scope.everything:
        return sa.true()
    conds: list[sa.ColumnElement[bool]] = [unit.startswith(p, autoescape=True)
                                           for p in sorted(scope.prefixes)]
    if scope.buildings:
        conds.append(unit.in_(sorted(scope.buildings)))
    if scope.grids:
        conds.append(unit.in_(sorted(scope.grids)))
        if grid is not None:
            conds.append(grid.in_(sorted(scope.grids)))
    if scope.residents and resident is not None:
        conds.append(resident.in_(sorted(scope.residents)))
    return sa.or_(*conds) if conds else sa.false()
