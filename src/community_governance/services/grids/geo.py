"""Exporting the stored grids as GeoJSON, for a map."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from community_governance.domain.access import Actor
from community_governance.grids.model import (
    CommunityPlan,
    Coordinates,
    Division,
    Grid,
    Spread,
    grid_count,
)
from community_governance.services.grids.common import _GridsBase


class _Geo(_GridsBase):
    """Export the stored grids (网格) as GeoJSON."""

    def export_geojson(
        self, actor: Actor, community: str | None = None, *,
        coordinates: Coordinates | str = Coordinates.METRES, buffer_m: float = 5.0,
    ) -> dict[str, Any]:
        """The stored grids as a GeoJSON FeatureCollection, for a map.

        Buildings are points; a grid is the convex hull of its buildings (a buffer of
        ``buffer_m`` metres around them when the hull has no area). A disputed building is
        drawn in each grid that claims it. For projected metres the collection says
        ``"coordinates": "projected_metres"`` in its properties.

        Args:
            actor: who reads (as for :meth:`check`).
            community: one community, or every one in the actor's scope.
            coordinates: what ``x``/``y`` mean.
            buffer_m: the buffer of grids without area.
        """
        from community_governance.grids.geojson import to_geojson  # numpy: the [grids] extra

        coords = Coordinates(coordinates)
        with self._read(actor, "grids.export") as op:
            full, partial, stored = self._load_visible(op, community)
        features: list[dict[str, Any]] = []
        for c in sorted(stored):
            s = stored[c]
            policy = self.policy(c, s.households)
            hh = {n.code: n.households for n in s.nodes}
            members: dict[str, list[str]] = defaultdict(list)
            for b, g in sorted(s.all_claims()):
                if c in full or g in partial.get(c, frozenset()):
                    members[g].append(b)
            grids = tuple(Grid(g, c, tuple(bs), sum(hh.get(b, 0) for b in bs))
                          for g, bs in sorted(members.items()))
            plan = CommunityPlan(c, s.households, grid_count(policy, s.households), grids,
                                 Spread.of(g.households for g in grids))
            division = Division(policy, coords, (plan,), plan.spread)
            features += to_geojson(division, s.nodes, buffer_m=buffer_m)["features"]
        return {"type": "FeatureCollection",
                "properties": {"coordinates": "lonlat" if coords is Coordinates.LONLAT
                               else "projected_metres"},
                "features": features}
