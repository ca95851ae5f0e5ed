"""GeoJSON of a division: buildings as points, grids as polygons. Pure: returns a dict.

A grid's polygon is the convex hull of its buildings. A grid of one building, or of buildings
in a line, has no area; it is drawn as the hull of small circles (``buffer_m`` metres) around
its buildings, so that every polygon is valid. Hulls are computed in metres: for lon/lat
input around each community's centroid (then turned back into lon/lat).

Coordinates come out as they went in. Lon/lat input gives standard GeoJSON (RFC 7946). For
projected metres the collection and every feature say ``"coordinates": "projected_metres"``
in their properties, since RFC 7946 expects lon/lat.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

try:
    import numpy as np
    import numpy.typing as npt
except ImportError as exc:  # the base install has no numpy
    from community_governance.errors import MissingExtra

    raise MissingExtra("numpy", "grids", "mapping grids (GeoJSON)") from exc

from community_governance.grids.graph import LocalProjection
from community_governance.grids.model import BuildingNode, Coordinates, Division

__all__ = ["convex_hull", "grid_polygon", "to_geojson"]

_CIRCLE = 16


def convex_hull(points: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Convex hull of 2-D points (Andrew's monotone chain), counter-clockwise, not closed.

    Collinear points on the hull's edges are dropped; fewer than three distinct points come
    back as they are (sorted).
    """
    pts = np.unique(np.asarray(points, dtype=np.float64).reshape(-1, 2), axis=0)
    if len(pts) < 3:
        return pts

    def cross(o: Any, a: Any, b: Any) -> float:
        return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))

    lower: list[Any] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Any] = []
    for p in pts[::-1]:
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1])


def _area(ring: npt.NDArray[np.float64]) -> float:
    if len(ring) < 3:
        return 0.0
    x, y = ring[:, 0], ring[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def grid_polygon(xy: npt.ArrayLike, buffer_m: float = 5.0) -> npt.NDArray[np.float64]:
    """The polygon of a grid from its buildings' positions in metres: a closed, counter-
    clockwise ring of the convex hull, buffered by ``buffer_m`` when the hull has no area."""
    pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    hull = convex_hull(pts)
    if _area(hull) < 1e-6 * max(1.0, buffer_m) ** 2:
        angles = np.linspace(0.0, 2 * math.pi, _CIRCLE, endpoint=False)
        circle = np.stack([np.cos(angles), np.sin(angles)], axis=1) * buffer_m
        hull = convex_hull((pts[:, None, :] + circle[None, :, :]).reshape(-1, 2))
    return np.vstack([hull, hull[:1]])


def to_geojson(
    division: Division, buildings: Iterable[BuildingNode], *, buffer_m: float = 5.0
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the buildings and grids of a division.

    Args:
        division: the division.
        buildings: the buildings it was drawn from (their positions are read here; buildings
            without a position get no point, and a grid none of whose buildings has one gets
            ``"geometry": null``).
        buffer_m: the buffer, in metres, of grids without area.

    Returns:
        The FeatureCollection: building Point features (``kind: "building"``, code, community,
        grid, compound, households) and grid Polygon features (``kind: "grid"``, code,
        community, households, buildings, in_band).
    """
    lonlat = division.coordinates is Coordinates.LONLAT
    where = {b.code: b for b in buildings}
    assignment = division.assignment()
    extra = {} if lonlat else {"coordinates": "projected_metres"}
    features: list[dict[str, Any]] = []
    for plan in division.communities:
        members = [where[c] for g in plan.grids for c in g.buildings if c in where]
        placed = [b for b in members if b.has_position]
        proj = (
            LocalProjection.around([b.x for b in placed], [b.y for b in placed])  # type: ignore[misc]
            if lonlat and placed
            else None
        )
        for g in plan.grids:
            here = [where[c] for c in g.buildings if c in where]
            pts = [(b.x, b.y) for b in here if b.has_position]
            geometry: dict[str, Any] | None = None
            if pts:
                arr = np.asarray(pts, dtype=np.float64)
                if proj is not None:
                    mx, my = proj.forward(arr[:, 0], arr[:, 1])
                    ring = grid_polygon(np.stack([mx, my], axis=1), buffer_m)
                    lon, lat = proj.inverse(ring[:, 0], ring[:, 1])
                    ring = np.stack([lon, lat], axis=1)
                    ring[-1] = ring[0]
                else:
                    ring = grid_polygon(arr, buffer_m)
                geometry = {"type": "Polygon", "coordinates": [ring.tolist()]}
            features.append(
                {
                    "type": "Feature",
                    "id": g.code,
                    "geometry": geometry,
                    "properties": {
                        "kind": "grid",
                        "code": g.code,
                        "community": g.community,
                        "households": g.households,
                        "buildings": len(g.buildings),
                        "in_band": division.policy.in_band(g.households),
                        **extra,
                    },
                }
            )
        for b in sorted(members, key=lambda b: b.code):
            if not b.has_position:
                continue
            features.append(
                {
                    "type": "Feature",
                    "id": b.code,
                    "geometry": {"type": "Point", "coordinates": [b.x, b.y]},
                    "properties": {
                        "kind": "building",
                        "code": b.code,
                        "community": b.community,
                        "grid": assignment.get(b.code),
                        "compound": b.compound,
                        "households": b.households,
                        **extra,
                    },
                }
            )
    return {
        "type": "FeatureCollection",
        "properties": {"coordinates": "lonlat" if lonlat else "projected_metres"},
        "features": features,
    }
