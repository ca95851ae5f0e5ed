"""GeoJSON export: points, valid polygons, coordinates as they came in."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from community_governance.grids import BuildingNode, GridPolicy, draw, to_geojson
from community_governance.grids.geojson import convex_hull, grid_polygon
from community_governance.grids.synthetic import synthetic_city, to_lonlat

from .grid_strategies import community

C = community(1)


def signed_area(ring):
    r = np.asarray(ring)
    return float(np.dot(r[:-1, 0], r[1:, 1]) - np.dot(r[1:, 0], r[:-1, 1])) / 2


class TestPolygons:
    @given(st.lists(st.tuples(st.integers(-50, 50), st.integers(-50, 50)), min_size=1, max_size=30))
    def test_every_grid_polygon_is_a_closed_counter_clockwise_ring_with_area(self, pts):
        """Closes the ring, winds it counter-clockwise and gives it area, buffering points and
        lines."""
        ring = grid_polygon(np.array(pts, dtype=float) * 10.0, buffer_m=5.0)
        assert ring[0].tolist() == ring[-1].tolist()
        assert len(ring) >= 4
        assert signed_area(ring) > 0

    def test_hull_of_a_square_with_a_middle_point(self):
        """Keeps the corners and drops the inner point."""
        hull = convex_hull([[0, 0], [1, 0], [1, 1], [0, 1], [0.5, 0.5]])
        assert len(hull) == 4


class TestToGeojson:
    def test_metres_say_so(self):
        """Keeps projected metres as they are and says so in the properties."""
        bs = [BuildingNode(f"{C}-B{i:04d}", C, 100, 10.0 * i, 0.0) for i in range(1, 7)]
        division = draw(bs, GridPolicy())
        fc = to_geojson(division, bs)
        assert fc["properties"]["coordinates"] == "projected_metres"
        points = [f for f in fc["features"] if f["geometry"]["type"] == "Point"]
        grids = [f for f in fc["features"] if f["properties"]["kind"] == "grid"]
        assert [p["geometry"]["coordinates"] for p in points][:1] == [[10.0, 0.0]]
        assert all(f["properties"]["coordinates"] == "projected_metres" for f in fc["features"])
        assert len(grids) == 1
        assert {"kind", "code", "community", "households", "buildings", "in_band"} <= set(
            grids[0]["properties"]
        )
        assert grids[0]["properties"]["households"] == 600

    def test_lonlat_stays_lonlat(self):
        """Outputs lon/lat for lon/lat input, with every building inside its grid's box."""
        city = to_lonlat(
            synthetic_city(3, communities=2, buildings=100, households=4000, big_compound=0)
        )
        division = draw(city, GridPolicy(), coordinates="lonlat")
        fc = to_geojson(division, city)
        assert fc["properties"]["coordinates"] == "lonlat"
        rings = {
            f["id"]: np.array(f["geometry"]["coordinates"][0])
            for f in fc["features"]
            if f["properties"]["kind"] == "grid"
        }
        for f in fc["features"]:
            if f["properties"]["kind"] == "building":
                lon, lat = f["geometry"]["coordinates"]
                ring = rings[f["properties"]["grid"]]
                assert ring[:, 0].min() - 1e-9 <= lon <= ring[:, 0].max() + 1e-9
                assert ring[:, 1].min() - 1e-9 <= lat <= ring[:, 1].max() + 1e-9
                assert 111 < lon < 113 and 34 < lat < 36

    def test_a_single_building_grid_is_a_small_polygon(self):
        """Draws a one-building grid as a 16-sided polygon of the buffer's radius."""
        b = BuildingNode(f"{C}-B0001", C, 600, 100.0, 200.0)
        fc = to_geojson(draw([b], GridPolicy()), [b], buffer_m=5.0)
        ring = np.array(
            next(f for f in fc["features"] if f["properties"]["kind"] == "grid")["geometry"][
                "coordinates"
            ][0]
        )
        assert len(ring) == 17
        assert np.hypot(ring[:, 0] - 100.0, ring[:, 1] - 200.0) == pytest.approx(5.0)
