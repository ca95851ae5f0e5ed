"""What the grids service's parts share: actions, the policy check, the stored view.

The base :class:`_GridsBase` holds the helpers every part uses: the county's grid
policy, the communities asked for, loading buildings and claims, what an actor may
read, and the posts active on a day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from community_governance.domain import actions as A
from community_governance.domain.access import Action, Scope, Target
from community_governance.domain.posts import PostKind
from community_governance.domain.units import UnitKind
from community_governance.errors import NotFound
from community_governance.grids.model import BuildingNode, GridPolicy, grid_number
from community_governance.services.base import Operation, Service, post_from_row
from community_governance.storage.repos.bulk import chunks as _chunks
from community_governance.storage.tables import core as t
from community_governance.storage.tables import grids as gt

__all__ = ["DRAW_SOURCE", "GRIDS_DRAW", "GRIDS_IMPORT", "GRIDS_READ", "Progress",
           "check_policy"]

_LEADERS = frozenset({PostKind.SECRETARY, PostKind.DIRECTOR})
#: Drawing and redrawing grids, settling disputes: community leaders (书记, 主任) and higher.
GRIDS_DRAW = Action("grids.draw", roles=_LEADERS | A.HIGHER_OFFICE)
#: Importing a county's grid files: community leaders and higher.
GRIDS_IMPORT = Action("grids.import", roles=_LEADERS | A.HIGHER_OFFICE)
#: Reading checks, maps and staffing: the community office, higher offices, and grid leaders
#: (网格长) for their own grid.
GRIDS_READ = Action("grids.read", roles=A.COMMUNITY_OFFICE | A.HIGHER_OFFICE
                    | frozenset({PostKind.GRID_LEADER}))

#: The source of claims written by a drawing.
DRAW_SOURCE = "draw"
Progress = Callable[[int, int], None]


def check_policy(value: Any) -> GridPolicy:
    """The check of ``cgov_grid_policy`` answers: a consistent :class:`GridPolicy`.

    Raises:
        TypeError: the answer is not a ``GridPolicy``.
        ValueError: its band is inconsistent (not ``0 < low <= target <= high``).
    """
    if not isinstance(value, GridPolicy):
        raise TypeError(f"expected a GridPolicy, got {type(value).__name__}")
    for name in ("target", "low", "high"):
        v = getattr(value, name)
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"GridPolicy.{name} must be a whole number, got {v!r}")
    if not 0 < value.low <= value.target <= value.high:
        raise ValueError(f"the band is inconsistent: need 0 < low <= target <= high, got "
                         f"low={value.low}, target={value.target}, high={value.high}")
    return value


# ------------------------------------------------------------------------------- loading


@attrs.frozen
class _Stored:
    """One community's buildings and claims as stored."""

    community: str
    nodes: tuple[BuildingNode, ...]
    grid_of: dict[str, str | None]
    grid_units: tuple[str, ...]
    claims: tuple[tuple[str, str, str, int | None], ...]  # building, grid, source, households

    @property
    def households(self) -> int:
        return sum(n.households for n in self.nodes)

    def all_claims(self) -> set[tuple[str, str]]:
        """Every (building, grid) claim: the claims table and the settled grid column."""
        pairs = {(b, g) for b, g, _, _ in self.claims}
        pairs |= {(b, g) for b, g in self.grid_of.items() if g}
        return pairs

    def members(self) -> dict[str, set[str]]:
        """Grid → the buildings it claims (:meth:`all_claims`); every grid unit of the
        community is a key, with no building if it claims none."""
        out: dict[str, set[str]] = {g: set() for g in self.grid_units}
        for b, g in self.all_claims():
            out.setdefault(g, set()).add(b)
        return out


class _GridsBase(Service):
    """The helpers shared by the parts of :class:`GridsService` (网格).

    Each part is a subclass; ``GridsService`` combines them.
    """

    # --------------------------------------------------------------------------- helpers

    def policy(self, community: str, households: int) -> GridPolicy:
        """The grid policy of ``community`` (``cgov_grid_policy``, checked).

        Raises:
            PluginError: a plugin answered something other than a consistent ``GridPolicy``.
        """
        return self._hooks.first("cgov_grid_policy", check_policy, place=community,
                                 community_code=community, households=households)

    def _ask_policies(self, op: Operation, community: str | None) -> None:
        """Ask the grid policy of every community a drawing will touch (before it writes)."""
        codes = self._communities(op, community)
        for c, s in self._load(op, codes).items():
            if s.nodes:
                self.policy(c, s.households)

    @staticmethod
    def _communities(op: Operation, community: str | None) -> list[str]:
        q = sa.select(t.units.c.code).where(t.units.c.kind == UnitKind.COMMUNITY.value)
        if community is not None:
            q = q.where(t.units.c.code == community)
        codes = list(op.uow.conn.execute(q.order_by(t.units.c.code)).scalars())
        if community is not None and not codes:
            raise NotFound("community", community, "give a community's 12-digit code")
        return codes

    @staticmethod
    def _load(op: Operation, communities: Sequence[str]) -> dict[str, _Stored]:
        """Buildings (households: registered, else planned), grid units and claims."""
        conn = op.uow.conn
        out: dict[str, _Stored] = {}
        counts = (sa.select(t.households.c.building_code.label("b"),
                            sa.func.count().label("n"))
                  .group_by(t.households.c.building_code).subquery())
        for part in _chunks(list(communities), 200):
            b = t.buildings
            rows = conn.execute(
                sa.select(b.c.code, b.c.community_code, b.c.compound_code, b.c.grid_code, b.c.x,
                          b.c.y, b.c.households_planned, counts.c.n)
                .outerjoin(counts, counts.c.b == b.c.code)
                .where(b.c.community_code.in_(part)).order_by(b.c.code)).all()
            units = conn.execute(
                sa.select(t.units.c.code, t.units.c.parent_code).where(
                    t.units.c.kind == UnitKind.GRID.value, t.units.c.parent_code.in_(part))
                .order_by(t.units.c.code)).all()
            c = gt.grid_claims
            claims = conn.execute(
                sa.select(c.c.building_code, c.c.grid_code, c.c.source, c.c.households,
                          b.c.community_code)
                .join(b, b.c.code == c.c.building_code)
                .where(b.c.community_code.in_(part))
                .order_by(c.c.building_code, c.c.grid_code)).all()
            nodes: dict[str, list[BuildingNode]] = defaultdict(list)
            grid_of: dict[str, dict[str, str | None]] = defaultdict(dict)
            for r in rows:
                hh = int(r.n) if r.n else int(r.households_planned or 0)
                has_xy = r.x is not None and r.y is not None
                nodes[r.community_code].append(BuildingNode(
                    r.code, r.community_code, hh, r.x if has_xy else None,
                    r.y if has_xy else None, r.compound_code))
                grid_of[r.community_code][r.code] = r.grid_code
            grid_units: dict[str, list[str]] = defaultdict(list)
            for u in units:
                grid_units[u.parent_code].append(u.code)
            by_comm: dict[str, list[tuple[str, str, str, int | None]]] = defaultdict(list)
            for cl in claims:
                by_comm[cl.community_code].append(
                    (cl.building_code, cl.grid_code, cl.source, cl.households))
            for code in part:
                out[code] = _Stored(code, tuple(nodes[code]), grid_of[code],
                                    tuple(grid_units[code]), tuple(by_comm[code]))
        return out

    @staticmethod
    def _edges_of(edges: list[tuple[str, str]] | None,
                  s: _Stored) -> list[tuple[str, str]] | None:
        """The explicit adjacency ``edges`` between buildings of ``s`` (``None`` stays)."""
        if edges is None:
            return None
        mine = {n.code for n in s.nodes}
        return [(a, z) for a, z in edges if a in mine and z in mine]

    # --------------------------------------------------------------------------- reading

    def _load_visible(
        self, op: Operation, community: str | None,
    ) -> tuple[list[str], dict[str, frozenset[str]], dict[str, _Stored]]:
        """What the actor may read of ``community`` (or of every community), loaded.

        Returns the communities read in full, the grids read of the others (see
        :meth:`_visible`), and every one of those communities as stored, by code in order.
        """
        full, partial = self._visible(op, self._communities(op, community))
        return full, partial, self._load(op, sorted([*full, *partial]))

    def _visible(self, op: Operation,
                 codes: Sequence[str]) -> tuple[list[str], dict[str, frozenset[str]]]:
        """Communities read in full, and for the others the grids read (grid leaders)."""
        full = [c for c in codes if op.allowed(GRIDS_READ, Target("unit", c, unit_code=c))]
        scope: Scope = op.scope(GRIDS_READ)
        partial: dict[str, frozenset[str]] = {}
        for c in codes:
            if c in full:
                continue
            grids = frozenset(g for g in scope.grids if g.startswith(c + "-"))
            if grids:
                partial[c] = grids
        if codes and not full and not partial:  # the actor may read no grid at all
            op.require(GRIDS_READ, Target("unit", codes[0], unit_code=codes[0]))
        return full, partial

    @staticmethod
    def _leaders(op: Operation, communities: Sequence[str],
                 day: dt.date) -> tuple[dict[str, str], dict[str, str]]:
        """Active grid leaders by grid, building leaders by building (with ``covers``)."""
        grid_leader: dict[str, str] = {}
        building_leader: dict[str, str] = {}
        conn = op.uow.conn
        for c in communities:
            rows = conn.execute(sa.select(t.posts).where(
                t.posts.c.unit_code.startswith(c + "-", autoescape=True),
                t.posts.c.kind.in_([PostKind.GRID_LEADER.value,
                                    PostKind.BUILDING_LEADER.value])))
            for r in rows:
                p = post_from_row(r)
                if not p.active_on(day):
                    continue
                if p.kind is PostKind.GRID_LEADER:
                    grid_leader.setdefault(p.unit_code, p.holder_id)
                else:
                    for b in (p.unit_code, *p.covers):
                        building_leader.setdefault(b, p.holder_id)
        return grid_leader, building_leader


def _number(grid: str) -> int:
    """The number of a grid code (``...-W03`` → 3; 0 if it has none)."""
    return grid_number(grid) or 0
