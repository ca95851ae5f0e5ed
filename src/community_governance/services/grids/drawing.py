"""Drawing and redrawing grids (网格划分) from the stored buildings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain.access import Actor, Target
from community_governance.domain.units import UnitKind
from community_governance.errors import ConflictError
from community_governance.grids.model import Coordinates, Division
from community_governance.services.base import Operation
from community_governance.services.grids.common import (
    DRAW_SOURCE,
    GRIDS_DRAW,
    Progress,
    _GridsBase,
    _number,
    _Stored,
)
from community_governance.services.grids.reports import DrawReport
from community_governance.storage.repos.bulk import chunks as _chunks
from community_governance.storage.repos.bulk import insert_rows
from community_governance.storage.tables import core as t
from community_governance.storage.tables import grids as gt


class _Drawing(_GridsBase):
    """Draw and redraw a community's grids (网格划分)."""

    def draw(
        self, actor: Actor, community: str | None = None, *, replace: bool = False,
        coordinates: Coordinates | str = Coordinates.METRES,
        edges: Iterable[tuple[str, str]] | None = None, progress: Progress | None = None,
    ) -> DrawReport:
        """Draw the grids of one community, or of every community, from the stored buildings.

        A building's households are its registered households, or ``households_planned``
        when none are registered. Grid units, building assignments and claims are written in
        one transaction.

        Args:
            actor: who draws (a community secretary or director, or higher).
            community: the community's code; ``None`` for every community the actor may
                draw (those without buildings are skipped).
            replace: replace a previous drawing or imported grids; without it a community
                that has grids is refused (use :meth:`redraw` to keep codes stable).
            coordinates: what the buildings' ``x``/``y`` mean (``metres`` or ``lonlat``).
            edges: explicit adjacency as pairs of building codes (replaces the policy's
                distance rules).
            progress: ``progress(done, total)`` called after each community.

        Returns:
            A :class:`DrawReport`.

        Raises:
            PermissionDenied: the actor may not draw a community's grids; nothing written.
            ConflictError: a community has grids already and ``replace`` is not set.
            ValidationError: a building without a position (and no ``edges``).
            PluginError: the county's grid policy is broken.
            MissingExtra: numpy is not installed (the ``[grids]`` extra); nothing written.
        """
        # numpy (the [grids] extra), imported before anything is written
        from community_governance.grids.draw import draw as draw_division

        edge_list = list(edges) if edges is not None else None
        with self._hooks_first(actor, "grids.draw", lambda op: self._ask_policies(op, community)
                               ), self._write(actor, "grids.draw") as op:
            codes = self._communities(op, community)
            if community is None:  # every community the actor may draw
                mine = [c for c in codes
                        if op.allowed(GRIDS_DRAW, Target("unit", c, unit_code=c))]
                codes = mine if mine or not codes else codes[:1]
            for c in codes:
                op.require(GRIDS_DRAW, Target("unit", c, unit_code=c))
            stored = self._load(op, codes)
            divisions: list[Division] = []
            retired: list[str] = []
            kept: list[str] = []
            todo = [c for c in codes if stored[c].nodes]
            for c in todo:
                s = stored[c]
                if not replace and (s.grid_units or s.all_claims()):
                    raise ConflictError(
                        f"community {c} has {len(s.grid_units)} grid(s) already: redraw it "
                        "(gov.grids.redraw, cgov grids draw --redraw) to keep grid codes "
                        "stable, or draw with replace=True (--replace) to start afresh")
            # every policy is asked before anything is written
            policies = {c: self.policy(c, stored[c].households) for c in todo}
            for i, c in enumerate(todo):
                s = stored[c]
                division = draw_division(s.nodes, policies[c], coordinates=coordinates,
                                         edges=self._edges_of(edge_list, s))
                r, k = self._write_division(op, s, division)
                retired += r
                kept += k
                divisions.append(division)
                if progress is not None:
                    progress(i + 1, len(todo))
            report = DrawReport(tuple(divisions), tuple(retired), tuple(kept))
            op.detail.update({k: v for k, v in report.summary().items()
                              if k in ("communities", "grids", "in_band", "infeasibilities")})
            return report

    def redraw(
        self, actor: Actor, community: str, *,
        coordinates: Coordinates | str = Coordinates.METRES,
        edges: Iterable[tuple[str, str]] | None = None,
    ) -> DrawReport:
        """Redraw a community's grids after buildings changed, keeping grid codes stable.

        Every building keeps its grid where it can; new buildings join a neighbouring grid;
        only grids that changed are mended. The report's ``moves`` list every building whose
        grid changed, and ``households_moved`` the households that changed grid.

        Args:
            actor: who redraws (a community secretary or director, or higher).
            community: the community's code.
            coordinates: what ``x``/``y`` mean.
            edges: explicit adjacency, as for :meth:`draw`.

        Raises:
            ConflictError: buildings are disputed (claimed by two grids): settle them first
                (:meth:`settle`), or draw afresh with ``replace=True``.
            PermissionDenied: the actor may not draw this community's grids.
            MissingExtra: numpy is not installed (the ``[grids]`` extra); nothing written.
        """
        # numpy (the [grids] extra), imported before anything is written
        from community_governance.grids.redraw import redraw as redraw_division

        edge_list = list(edges) if edges is not None else None
        with self._hooks_first(actor, "grids.redraw", lambda op: self._ask_policies(
                op, community)), self._write(actor, "grids.redraw") as op:
            codes = self._communities(op, community)
            op.require(GRIDS_DRAW, Target("unit", community, unit_code=community))
            s = self._load(op, codes)[community]
            by_building: dict[str, set[str]] = defaultdict(set)
            for b, g in s.all_claims():
                by_building[b].add(g)
            disputed = sorted(b for b, gs in by_building.items() if len(gs) > 1)
            if disputed:
                raise ConflictError(
                    f"community {community}: {len(disputed)} building(s) are claimed by several "
                    f"grids (e.g. {disputed[0]}: {', '.join(sorted(by_building[disputed[0]]))}); "
                    "settle each dispute first (gov.grids.settle) or draw afresh with "
                    "replace=True")
            previous = {b: next(iter(gs)) for b, gs in by_building.items()}
            before = {b: hh for b, _, source, hh in s.claims
                      if source == DRAW_SOURCE and hh is not None}
            policy = self.policy(community, s.households)
            division = redraw_division(previous, s.nodes, policy, coordinates=coordinates,
                                       edges=self._edges_of(edge_list, s),
                                       previous_households=before or None)
            retired, kept = self._write_division(op, s, division)
            report = DrawReport((division,), tuple(retired), tuple(kept))
            op.detail.update({"grids": len(division.grids), "moves": len(division.moves),
                              "households_moved": division.households_moved})
            return report

    def _write_division(self, op: Operation, s: _Stored,
                        division: Division) -> tuple[list[str], list[str]]:
        """Write one community's grids over its previous ones (claims and assignments).

        Returns the retired and the kept grid codes.
        """
        conn = op.uow.conn
        codes = [n.code for n in s.nodes]
        for part in _chunks(codes):
            conn.execute(gt.grid_claims.delete().where(gt.grid_claims.c.building_code.in_(part)))
        conn.execute(t.buildings.update().where(
            t.buildings.c.community_code == s.community).values(grid_code=None))
        existing = set(s.grid_units)
        grids = division.grids
        new_units = [{"code": g.code, "kind": UnitKind.GRID.value,
                      "name": f"第{_number(g.code)}网格", "parent_code": s.community}
                     for g in grids if g.code not in existing]
        if new_units:
            conn.execute(t.units.insert(), new_units)
        assignment = division.assignment()
        if assignment:
            conn.execute(
                t.buildings.update().where(t.buildings.c.code == sa.bindparam("b_code"))
                .values(grid_code=sa.bindparam("g_code")),
                [{"b_code": b, "g_code": g} for b, g in assignment.items()])
            hh = {n.code: n.households for n in s.nodes}
            insert_rows(conn, gt.grid_claims, [
                {"building_code": b, "grid_code": g, "source": DRAW_SOURCE,
                 "households": hh.get(b), "recorded_at": op.now}
                for b, g in assignment.items()])
        used = {g.code for g in grids}
        retired: list[str] = []
        kept: list[str] = []
        for code in sorted(existing - used):
            try:
                with conn.begin_nested():
                    conn.execute(t.units.delete().where(t.units.c.code == code))
                retired.append(code)
            except IntegrityError:
                kept.append(code)
        op.touched.extend(f"grid:{g.code}" for g in grids)
        op.touched.extend(f"grid:{c}" for c in retired)
        return retired, kept
