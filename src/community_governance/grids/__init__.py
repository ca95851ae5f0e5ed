"""Grid division (网格划分): pure algorithms over a graph of buildings.

Chinese cities divide each community (社区) into grids (网格) of about 600 households, each with
one grid leader (网格长). Yima divided its 15 urban communities into 78 grids, one per 600
households (每600户居民划分1个网格), after redrawing boundaries "to remove unmanaged and
disputed areas" (消除了漏管和争议区域). This package draws such grids, redraws them when
buildings change, checks grids a county already has, and exports them as GeoJSON. It does no
I/O, calls no hook and keeps no state: the policy comes in as an argument.

Quick start::

    from community_governance.grids import BuildingNode, GridPolicy, draw

    buildings = [BuildingNode("411281001001-B0001", "411281001001", 48, x=0.0, y=0.0), ...]
    division = draw(buildings, GridPolicy())          # target 600, band 480-720
    division.assignment()                             # building → grid code
    division.infeasibilities                          # every out-of-band grid, explained

Input
-----
A :class:`BuildingNode` per building: code, community, households, position (projected metres,
or longitude/latitude with ``coordinates="lonlat"``, projected per community by
:class:`~community_governance.grids.graph.LocalProjection`) and compound (小区), optional.
Adjacency is either given as ``edges`` (pairs of building codes) or derived from positions
by the :class:`GridPolicy`'s rules: within ``neighbour_distance_m``, each building's
``k_neighbours`` nearest, and compounds chained along their shortest spanning tree (links up
to ``compound_link_m``). Edges never cross a community's border. See :func:`adjacency`.

The policy's :func:`grid_count` (``max(1, round(H / target))``) says how many grids a
community gets.

Algorithm
---------
Each community is divided on its own, and each connected part of it on its own.

1. **Nodes.** A compound whose households fit under ``high`` is one node (per connected
   piece) when ``keep_compounds_whole``; every other building is a node.
2. **Count.** The community's count is shared among its connected parts by households. For a
   part, the counts that can put the average in band (``ceil(W/high)`` to ``floor(W/low)``,
   with nodes heavier than ``high`` taking a grid each) are tried, the policy's first, until
   every grid is in band; the best wins (fewest households out of band, then closest to the
   policy's count, then least spread).
3. **Candidates**, for a count ``p``:

   * the *path partition*: a depth-first order following Warnsdorff's rule (step to the
     neighbour with the fewest unvisited neighbours), cut by dynamic programming into ``p``
     segments that are each in band and connected, with the least sum of squared deviations;
   * *region growing* from ``p`` seeds (nodes of at least ``low`` first, then farthest-point
     sampling from a peripheral node or a seeded random one): the lightest grid takes its
     nearest unassigned neighbour, until every node is taken. Several restarts.

4. **Repair.** Each candidate then moves boundary nodes to neighbouring grids while that lowers
   (households out of band, sum of squared deviations); a node moves only if it is not a cut
   vertex of its grid (Tarjan's articulation points), so grids stay connected.
5. **Recombination.** If grids are still out of band, pairs of neighbouring grids with one out
   of band are merged and cut again along the best edge of several random spanning trees (the
   step of the ReCom chains used in redistricting), then repaired again.
6. **Diagnosis.** Every grid still out of band gets an :class:`Infeasibility`: the community
   is too small, an island, a cut-off part too small, a tower over the band, a part whose
   total no count fits (800 households in a 480-720 band), compounds kept whole (the part
   reaches the band when they may be split: a second drawing checks), or the graph's shape.
   Departures from the policy are :class:`Adjustment` values: another count, a compound split
   because it is larger than ``high``, a compound whose buildings are not adjacent.

Guarantees
----------
* Every building is in exactly one grid; a grid lies inside one community and is connected
  in the adjacency graph. Nothing is split but compounds larger than ``high`` (said so).
* The result depends only on the input's content, not its order or the hash seed: nodes are
  sorted by code, ties break by index, random choices come from ``random.Random`` seeded by
  the community's code.
* **In band, provably**, for a connected part whose graph is complete (every building within
  ``neighbour_distance_m`` of every other), a chain or a ring, when some count ``p`` has
  ``low + m <= W/p <= high - m``, where ``W`` is the part's households and ``m`` its heaviest
  node. Proof: on these graphs the path order is a Hamiltonian path, so every segment is
  connected; with steps of at most ``m``, cutting the path at the prefix sums nearest
  ``W/p, 2W/p, ...`` gives segments within ``m`` of ``W/p``, all in band, so the dynamic
  programme finds an in-band partition; the count tried second has the average nearest the
  band's middle, so it satisfies the condition whenever any count does; and repair and
  recombination never raise households out of band.
* There is no such guarantee in general: "connected, every building under ``low``, total at
  least ``low``" is not enough. A hub with 1,000 one-household leaves cannot be split (each
  leaf touches only the hub) and 800 households fit no count of a 480-720 band. Such grids
  are explained, never hidden.

Redraw
------
:func:`redraw` keeps every building in its previous grid where it can, joins new buildings to
an adjacent grid, and mends only the grids that changed, by the least disruptive of moving
buildings to or from one neighbouring grid, re-cutting the two, splitting (fresh code) or
merging. Adding one building changes the grid it joins and at most one other next to it. The
``moves`` of the result list every building whose grid changed, with its households. (With
adjacency derived from positions, a new building of a compound may also re-route the
compound's spanning-tree links; pass the same explicit ``edges`` plus the new building's to
rule that out.)

Checks and export
-----------------
:func:`check_assignment` reports unmanaged (漏管) and disputed (争议) buildings, grids out of
band, in pieces or across a community border, unknown buildings and empty grids.
:func:`check_leaders` reports grids without a grid leader and buildings without a building
leader. :func:`to_geojson` returns a FeatureCollection of building points and grid hulls.
:mod:`community_governance.grids.synthetic` makes Yima-like cities for tests and benchmarks.
"""

from typing import TYPE_CHECKING, Any

from community_governance.grids.model import (
    Adjustment,
    AdjustmentKind,
    BuildingNode,
    CommunityPlan,
    Coordinates,
    Division,
    Grid,
    GridPolicy,
    Infeasibility,
    InfeasibilityKind,
    Move,
    Spread,
    grid_count,
)

if TYPE_CHECKING:
    from community_governance.grids.check import (
        GridCheckReport,
        LeaderReport,
        check_assignment,
        check_leaders,
        claims_of,
    )
    from community_governance.grids.draw import draw
    from community_governance.grids.geojson import to_geojson
    from community_governance.grids.graph import LocalProjection, adjacency, community_graphs
    from community_governance.grids.redraw import redraw

#: Names served by modules that need numpy: imported on first use, so that a county plugin
#: importing ``GridPolicy`` (and ``cgov --help``, which loads the plugins) does not pay for
#: numpy.
_LAZY = {
    "GridCheckReport": "check", "LeaderReport": "check", "check_assignment": "check",
    "check_leaders": "check", "claims_of": "check", "draw": "draw", "to_geojson": "geojson",
    "LocalProjection": "graph", "adjacency": "graph", "community_graphs": "graph",
    "redraw": "redraw",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "Adjustment",
    "AdjustmentKind",
    "BuildingNode",
    "CommunityPlan",
    "Coordinates",
    "Division",
    "Grid",
    "GridCheckReport",
    "GridPolicy",
    "Infeasibility",
    "InfeasibilityKind",
    "LeaderReport",
    "LocalProjection",
    "Move",
    "Spread",
    "adjacency",
    "check_assignment",
    "check_leaders",
    "claims_of",
    "community_graphs",
    "draw",
    "grid_count",
    "redraw",
    "to_geojson",
]
