"""Checking the stored grids (网格核查) and reading the assignment of buildings."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from community_governance.domain.access import Actor
from community_governance.domain.units import community_of
from community_governance.grids.check import (
    GRID_CHECKS,
    AssignmentView,
    GridCheckReport,
    check_leaders,
    claims_of,
)
from community_governance.grids.model import BuildingNode, Coordinates, GridPolicy
from community_governance.services.grids.common import _GridsBase, _Stored
from community_governance.services.grids.reports import GridsCheck


class _Checks(_GridsBase):
    """Check the stored grids (网格核查); read the assignment."""

    def check(
        self, actor: Actor, community: str | None = None, *,
        coordinates: Coordinates | str = Coordinates.METRES,
        edges: Iterable[tuple[str, str]] | None = None,
    ) -> GridsCheck:
        """Check the stored grids: unmanaged and disputed buildings, band, contiguity, posts.

        The claims checked are every row of ``grid_claims`` (drawn or imported) and every
        building's settled grid; nothing is fixed. Posts are those active today.

        Args:
            actor: who reads: the community office, higher offices, or a grid leader (who
                sees the findings about their own grid).
            community: one community, or ``None`` for every one in the actor's scope.
            coordinates: what ``x``/``y`` mean (for contiguity).
            edges: explicit adjacency, instead of the policy's distance rules.

        Returns:
            A :class:`GridsCheck`.

        Raises:
            PermissionDenied: the actor may read no grid of ``community``.
        """
        # numpy (the [grids] extra): adjacency for the contiguity checks
        from community_governance.grids import graph as _graph  # noqa: F401

        edge_list = list(edges) if edges is not None else None
        with self._read(actor, "grids.check") as op:
            full, partial, stored = self._load_visible(op, community)
            day = op.today
            leaders = self._leaders(op, list(stored), day)
        return self._check(stored, full, partial, leaders, day, coordinates, edge_list)

    def _check(
        self, stored: Mapping[str, _Stored], full: Sequence[str],
        partial: Mapping[str, frozenset[str]],
        leaders: tuple[dict[str, str], dict[str, str]], day: dt.date,
        coordinates: Coordinates | str, edges: list[tuple[str, str]] | None,
    ) -> GridsCheck:
        notes: list[str] = []
        groups: dict[GridPolicy, list[str]] = defaultdict(list)
        for c in sorted(stored):
            groups[self.policy(c, stored[c].households)].append(c)
        fields: dict[str, list[Any]] = {f.name: [] for f in attrs.fields(GridCheckReport)}
        all_grids: set[str] = set()
        all_buildings: dict[str, BuildingNode] = {}
        for policy, comms in groups.items():
            nodes = {n.code: n for c in comms for n in stored[c].nodes}
            claims: dict[str, set[str]] = {}
            for c in comms:
                for g, bs in stored[c].members().items():
                    claims.setdefault(g, set()).update(bs)
            neighbours = self._neighbours(stored, comms, policy, coordinates, edges, notes)
            view = AssignmentView(claims=claims_of(claims), buildings=nodes,
                                  neighbours=neighbours, policy=policy)
            found = [list(fn(view)) for fn in GRID_CHECKS]
            for c in comms:
                visible = partial.get(c)
                if visible is None:
                    all_grids |= {g for g in claims if community_of(g) == c}
                    all_buildings.update({n.code: n for n in stored[c].nodes})
                else:
                    all_grids |= set(visible) & set(claims)
                    for g in visible:
                        for b in claims.get(g, ()):
                            if b in nodes:
                                all_buildings[b] = nodes[b]
            for name, items in zip(fields, found, strict=True):
                fields[name] += [f for f in items if _concerns(f, full, partial, nodes)]
        report = GridCheckReport(**{k: tuple(v) for k, v in fields.items()})
        grid_leader, building_leader = leaders
        lead = check_leaders(sorted(all_grids), sorted(all_buildings), grid_leader,
                             building_leader)
        return GridsCheck(
            communities=tuple(sorted([*full, *partial])), grids=len(all_grids),
            buildings=len(all_buildings),
            households=sum(n.households for n in all_buildings.values()),
            assignment=report, leaders=lead, day=day, notes=tuple(notes))

    def _neighbours(
        self, stored: Mapping[str, _Stored], comms: Sequence[str], policy: GridPolicy,
        coordinates: Coordinates | str, edges: list[tuple[str, str]] | None, notes: list[str],
    ) -> dict[str, frozenset[str]]:
        from community_governance.grids.graph import community_graphs  # numpy: [grids]

        out: dict[str, frozenset[str]] = {}
        for c in comms:
            nodes = stored[c].nodes
            if not nodes:
                continue
            if edges is None and not all(n.has_position for n in nodes):
                # contiguity cannot be judged: every building counts as adjacent to the others
                notes.append(f"community {c}: contiguity not checked, some buildings have no "
                             "position (give x/y, or edges)")
                codes = frozenset(n.code for n in nodes)
                out.update({n.code: codes - {n.code} for n in nodes})
                continue
            for g in community_graphs(nodes, policy, edges=self._edges_of(edges, stored[c]),
                                      coordinates=coordinates).values():
                out.update(g.neighbour_codes())
        return out

    def assignment(self, actor: Actor, community: str | None = None) -> dict[str, list[str]]:
        """Building code → every grid claiming it (usually one), for the actor's scope."""
        with self._read(actor, "grids.assignment") as op:
            full, partial, stored = self._load_visible(op, community)
        out: dict[str, set[str]] = defaultdict(set)
        for c, s in stored.items():
            for b, g in s.all_claims():
                if c in full or g in partial.get(c, frozenset()):
                    out[b].add(g)
        return {b: sorted(gs) for b, gs in sorted(out.items())}


def _concerns(finding: object, full: Sequence[str], partial: Mapping[str, frozenset[str]],
              nodes: Mapping[str, BuildingNode]) -> bool:
    """Whether a finding is within what the actor may read."""
    grids: list[str] = []
    for name in ("grid", "grids"):
        v = getattr(finding, name, None)
        if isinstance(v, str):
            grids.append(v)
        elif isinstance(v, tuple):
            grids += [g for g in v if isinstance(g, str)]
    building = getattr(finding, "building", None)
    comms = {community_of(g) for g in grids}
    if isinstance(building, str) and building in nodes:
        comms.add(nodes[building].community)
    if any(c in full for c in comms):
        return True
    return any(g in partial.get(community_of(g) or "", frozenset()) for g in grids)
