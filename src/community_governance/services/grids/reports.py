"""The results of the grids service (网格): drawings, checks and staffing reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from community_governance.grids.check import GridCheckReport, LeaderReport
from community_governance.grids.model import (
    Adjustment,
    CommunityPlan,
    Division,
    Grid,
    Infeasibility,
    Move,
    Spread,
)

__all__ = ["CommunityStaffing", "DrawReport", "GridStaffing", "GridsCheck",
           "StaffingReport"]


@attrs.frozen
class DrawReport:
    """What a drawing or redrawing of grids (网格划分) wrote.

    Attributes:
        divisions: one division per community drawn (each under its own policy).
        retired: grid codes no longer used; their units were removed.
        kept: grid codes no longer used whose units stay because posts or other records
            still name them (end those posts, or reuse the grid).
    """

    divisions: tuple[Division, ...]
    retired: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()

    @property
    def communities(self) -> tuple[CommunityPlan, ...]:
        """Every community's plan."""
        return tuple(p for d in self.divisions for p in d.communities)

    @property
    def grids(self) -> tuple[Grid, ...]:
        """Every grid drawn."""
        return tuple(g for d in self.divisions for g in d.grids)

    @property
    def infeasibilities(self) -> tuple[Infeasibility, ...]:
        """Every grid out of band, explained."""
        return tuple(i for d in self.divisions for i in d.infeasibilities)

    @property
    def adjustments(self) -> tuple[Adjustment, ...]:
        """Every departure from the policy, explained."""
        return tuple(a for d in self.divisions for a in d.adjustments)

    @property
    def moves(self) -> tuple[Move, ...]:
        """For a redraw, every building whose grid changed."""
        return tuple(m for d in self.divisions for m in d.moves)

    @property
    def households_moved(self) -> int:
        """Households in buildings that stayed but changed grid."""
        return sum(d.households_moved for d in self.divisions)

    def assignment(self) -> dict[str, str]:
        """Building code → grid code."""
        return dict(sorted((b, g.code) for g in self.grids for b in g.buildings))

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary: counts, band share, spread, moves."""
        grids = self.grids
        in_band = sum(1 for d in self.divisions for g in d.grids if d.policy.in_band(g.households))
        spread = Spread.of(g.households for g in grids)
        return {
            "communities": len(self.communities),
            "buildings": sum(len(g.buildings) for g in grids),
            "households": spread.households,
            "grids": len(grids),
            "policy_grids": sum(c.policy_count for c in self.communities),
            "in_band": in_band,
            "in_band_share": round(in_band / len(grids), 4) if grids else 1.0,
            "min": spread.min,
            "max": spread.max,
            "mean": round(spread.mean, 1),
            "std": round(spread.std, 1),
            "infeasibilities": len(self.infeasibilities),
            "adjustments": len(self.adjustments),
            "buildings_moved": len(self.moves),
            "households_moved": self.households_moved,
            "retired": list(self.retired),
            "kept": list(self.kept),
        }


@attrs.frozen
class GridsCheck:
    """The check of stored grids (网格核查): assignment and posts.

    Attributes:
        communities: the communities checked (fully or, for a grid leader, their grids only).
        grids: grids checked.
        buildings: buildings checked.
        households: households in them.
        assignment: unmanaged (漏管) and disputed (争议) buildings, grids out of band, in
            pieces, across borders, empty.
        leaders: grids without a grid leader (网格长), buildings without a building leader
            (楼院长), people leading several grids (posts active on ``day``).
        day: the day the posts were checked for.
        notes: what could not be checked (e.g. contiguity without positions).
    """

    communities: tuple[str, ...]
    grids: int
    buildings: int
    households: int
    assignment: GridCheckReport
    leaders: LeaderReport
    day: dt.date
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether nothing was found."""
        return self.assignment.ok and self.leaders.ok

    def messages(self) -> list[str]:
        """One line per finding."""
        lead = self.leaders
        out = self.assignment.messages()
        out += [f.message for f in lead.grids_without_leader]
        out += [f.message for f in lead.buildings_without_leader]
        out += [f.message for f in lead.leaders_of_several_grids]
        return out

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: counts of each finding and every message."""
        a, lead = self.assignment, self.leaders
        return {
            "day": self.day.isoformat(),
            "communities": len(self.communities),
            "grids": self.grids,
            "buildings": self.buildings,
            "households": self.households,
            "unmanaged": len(a.unmanaged),
            "disputed": len(a.disputed),
            "unknown_buildings": len(a.unknown_buildings),
            "empty_grids": len(a.empty_grids),
            "crosses_border": len(a.crosses_border),
            "non_contiguous": len(a.non_contiguous),
            "out_of_band": len(a.out_of_band),
            "grids_without_leader": len(lead.grids_without_leader),
            "buildings_without_leader": len(lead.buildings_without_leader),
            "leaders_of_several_grids": len(lead.leaders_of_several_grids),
            "ok": self.ok,
            "notes": list(self.notes),
            "findings": self.messages(),
        }


@attrs.frozen
class GridStaffing:
    """The load of one grid (网格) and its grid leader (网格长).

    Attributes:
        grid: the grid's code.
        community: its community.
        buildings: buildings in it.
        households: households in them.
        residents: residents living there.
        leader: the grid leader's key, or ``None``.
        building_leaders: building leaders (楼院长) of its buildings.
    """

    grid: str
    community: str
    buildings: int
    households: int
    residents: int
    leader: str | None
    building_leaders: int


@attrs.frozen
class CommunityStaffing:
    """The load of one community's office (社区工作人员) and local posts.

    Attributes:
        community: the community's code.
        households: households.
        residents: residents.
        staff: people holding community office posts (书记, 主任, 工作人员).
        grids: grids.
        grid_leaders: distinct grid leaders.
        building_leaders: distinct building leaders.
        residents_per_staff: residents per office member (the study: 6-8 staff for nearly
            10,000 people).
        households_per_grid_leader: households per grid leader.
        residents_per_grid_leader: residents per grid leader.
        households_per_building_leader: households per building leader.
    """

    community: str
    households: int
    residents: int
    staff: int
    grids: int
    grid_leaders: int
    building_leaders: int
    residents_per_staff: float | None
    households_per_grid_leader: float | None
    residents_per_grid_leader: float | None
    households_per_building_leader: float | None


@attrs.frozen
class StaffingReport:
    """Staffing of grids and community offices (网格化管理人员配备), per person.

    Attributes:
        day: the day posts were counted for.
        communities: one row per community.
        grids: one row per grid.
        totals: county-wide counts and ratios.
    """

    day: dt.date
    communities: tuple[CommunityStaffing, ...]
    grids: tuple[GridStaffing, ...]
    totals: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"day": self.day.isoformat(), "totals": self.totals,
                "communities": [attrs.asdict(c) for c in self.communities],
                "grids": [attrs.asdict(g) for g in self.grids]}
