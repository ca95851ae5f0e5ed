"""Synthetic cities for tests and benchmarks: buildings, compounds and households.

:func:`yima_like` makes a city shaped like Yima's 15 urban communities in 2019 (about 1,150
buildings, 46,800 households, one compound of 81 buildings like 连银小区); :func:`prefecture`
puts many such cities side by side. Positions are projected metres; :func:`to_lonlat` turns
them into longitude/latitude around a chosen point. Everything comes from one
``numpy.random.Generator`` seeded by the caller, so the same seed gives the same city.

This is not the demo scenario's population generator, only enough of a city to exercise the
grid algorithm.
"""

from __future__ import annotations

import math

try:
    import numpy as np
except ImportError as exc:  # the base install has no numpy
    from community_governance.errors import MissingExtra

    raise MissingExtra("numpy", "grids", "synthetic buildings") from exc

from community_governance.domain.units import building_code, compound_code
from community_governance.grids.graph import LocalProjection
from community_governance.grids.model import BuildingNode

__all__ = ["YIMA_CENTRE", "prefecture", "synthetic_city", "to_lonlat", "yima_like"]

#: Roughly the centre of Yima's urban area (义马市), longitude and latitude.
YIMA_CENTRE = (111.874, 34.747)


def _community_codes(county: str, communities: int, subdistricts: int) -> list[str]:
    per = math.ceil(communities / subdistricts)
    return [f"{county}{1 + c // per:03d}{1 + c % per:03d}" for c in range(communities)]


def _pack(sizes: list[int], cols: int) -> tuple[list[list[tuple[int, int]]], int]:
    """Place rectangles of cells for each compound size on a ``cols``-wide lattice."""
    taken: set[tuple[int, int]] = set()
    cells: list[list[tuple[int, int]]] = []
    rows = 0
    for m in sizes:
        w = min(cols, math.ceil(math.sqrt(m)))
        h = math.ceil(m / w)
        r = 0
        while True:
            spot = next(
                (
                    c
                    for c in range(cols - w + 1)
                    if all((r + dr, c + dc) not in taken for dr in range(h) for dc in range(w))
                ),
                None,
            )
            if spot is not None:
                break
            r += 1
        block = [(r + dr, spot + dc) for dr in range(h) for dc in range(w)][:m]
        taken.update(block)
        cells.append(block)
        rows = max(rows, r + h)
    return cells, rows


def synthetic_city(
    seed: int = 2019,
    *,
    county: str = "411281",
    communities: int = 15,
    subdistricts: int = 5,
    buildings: int = 1150,
    households: int = 46_800,
    big_compound: int = 81,
    compound_share: float = 0.6,
    islands: int = 0,
    towers: int = 0,
    spacing_m: float = 70.0,
    origin: tuple[float, float] = (0.0, 0.0),
) -> tuple[BuildingNode, ...]:
    """A synthetic city.

    Each community is a block of a lattice with ``spacing_m`` between building slots (and a
    little jitter), a fifth of the slots left empty. Compounds (小区) of 3-20 buildings take
    rectangles of slots; the first community also holds one compound of ``big_compound``
    buildings. Households per building are drawn (compound blocks a bit larger than old
    courtyards) and scaled so that the city holds exactly ``households``.

    Args:
        seed: the random seed.
        county: the county's 6-digit code.
        communities: number of communities.
        subdistricts: number of sub-districts they are numbered under.
        buildings: about how many buildings in all.
        households: exactly how many households in all.
        big_compound: buildings of the one large compound (0: none).
        compound_share: share of buildings in compounds.
        islands: buildings placed far from any other (each in a random community).
        towers: buildings with more households than a grid's high bound (800-1,000).
        spacing_m: distance between lattice slots.
        origin: where the city's south-west corner is, metres.

    Returns:
        The buildings, sorted by code.
    """
    rng = np.random.default_rng(seed)
    codes = _community_codes(county, communities, subdistricts)
    shares = rng.dirichlet(np.full(communities, 6.0))
    counts = np.maximum(25, np.round(shares * buildings)).astype(int)
    if big_compound:
        counts[0] = max(counts[0], big_compound + 30)
    side = math.ceil(math.sqrt(communities))
    block_m = spacing_m * (math.ceil(math.sqrt(counts.max() * 1.25)) + 4) + 400.0
    nodes: list[dict[str, object]] = []
    for ci, comm in enumerate(codes):
        n = int(counts[ci])
        sizes: list[int] = []
        if ci == 0 and big_compound:
            sizes.append(big_compound)
        in_compounds = int(n * compound_share)
        while sum(sizes) < in_compounds:
            sizes.append(int(rng.integers(3, 21)))
        loose = max(0, n - sum(sizes))
        slots = math.ceil((sum(sizes) + loose) * 1.25)
        cols = max(math.ceil(math.sqrt(slots)), math.ceil(math.sqrt(max(sizes, default=1))))
        placed, rows = _pack(sizes, cols)
        taken = {c for block in placed for c in block}
        free_rows = max(rows, math.ceil(slots / cols))
        free = [(r, c) for r in range(free_rows) for c in range(cols) if (r, c) not in taken]
        pick = rng.permutation(len(free))[: min(loose, len(free))]
        loose_cells = [free[i] for i in sorted(pick)]
        ox = origin[0] + (ci % side) * block_m
        oy = origin[1] + (ci // side) * block_m
        slots_used: list[tuple[tuple[int, int], str | None, float]] = [
            (cell, compound_code(comm, qi + 1), float(rng.uniform(24, 60)))
            for qi, block in enumerate(placed)
            for cell in block
        ]
        slots_used += [(cell, None, float(rng.uniform(10, 50))) for cell in loose_cells]
        for bno, (cell, compound, hh) in enumerate(slots_used, start=1):
            jx, jy = rng.uniform(-0.18, 0.18, size=2) * spacing_m
            nodes.append(
                {
                    "code": building_code(comm, bno),
                    "community": comm,
                    "x": ox + cell[1] * spacing_m + jx,
                    "y": oy + cell[0] * spacing_m + jy,
                    "compound": compound,
                    "hh": hh,
                }
            )
    raw = np.array([float(d["hh"]) for d in nodes])  # type: ignore[arg-type]
    scaled = raw * households / raw.sum()
    hh = np.floor(scaled).astype(int)
    short = households - int(hh.sum())
    for i in np.argsort(-(scaled - hh), kind="stable")[:short]:
        hh[i] += 1
    for i in rng.choice(len(nodes), size=min(towers, len(nodes)), replace=False):
        hh[i] = int(rng.integers(800, 1001))
    for i in rng.choice(len(nodes), size=min(islands, len(nodes)), replace=False):
        nodes[i]["x"] = float(nodes[i]["x"]) + block_m * 0.45
        nodes[i]["y"] = float(nodes[i]["y"]) - block_m * 0.45
        nodes[i]["compound"] = None
    out = [
        BuildingNode(
            code=str(d["code"]),
            community=str(d["community"]),
            households=int(hh[i]),
            x=float(d["x"]),  # type: ignore[arg-type]
            y=float(d["y"]),  # type: ignore[arg-type]
            compound=d["compound"],  # type: ignore[arg-type]
        )
        for i, d in enumerate(nodes)
    ]
    return tuple(sorted(out, key=lambda b: b.code))


def yima_like(seed: int = 2019) -> tuple[BuildingNode, ...]:
    """Yima's 15 urban communities as the study describes them (about 1,150 buildings,
    46,800 households: 78 grids of 600), with one compound of 81 buildings."""
    return synthetic_city(seed)


def prefecture(seed: int = 2019, *, cities: int = 20) -> tuple[BuildingNode, ...]:
    """``cities`` Yima-like cities side by side (county codes 411201, 411202, ...)."""
    out: list[BuildingNode] = []
    for c in range(cities):
        out.extend(
            synthetic_city(
                seed * 1000 + c,
                county=f"4112{c + 1:02d}",
                origin=(c * 20_000.0, 0.0),
            )
        )
    return tuple(sorted(out, key=lambda b: b.code))


def to_lonlat(
    buildings: tuple[BuildingNode, ...], centre: tuple[float, float] = YIMA_CENTRE
) -> tuple[BuildingNode, ...]:
    """The same buildings with positions turned into longitude/latitude around ``centre``.

    The metres are taken as offsets from the buildings' mean position.
    """
    xs = np.array([b.x for b in buildings], dtype=np.float64)
    ys = np.array([b.y for b in buildings], dtype=np.float64)
    proj = LocalProjection(*centre)
    lon, lat = proj.inverse(xs - xs.mean(), ys - ys.mean())
    return tuple(
        BuildingNode(b.code, b.community, b.households, float(lo), float(la), b.compound)
        for b, lo, la in zip(buildings, lon.tolist(), lat.tolist(), strict=True)
    )
