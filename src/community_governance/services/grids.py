"""The grids service (网格): draw, redraw, check, import, export and staff a county's grids.

Reached as ``gov.grids``. The algorithms are the pure package
:mod:`community_governance.grids`; this service reads the buildings from the store, asks the
county's grid policy (``cgov_grid_policy``) for each community, and writes the result:

* a grid is a unit (``units``, kind ``grid``, code ``<community>-Wnn``, parent the community);
* a building's settled grid is ``buildings.grid_code``;
* every claim of a grid on a building, drawn or imported, is a row of ``grid_claims``
  (building, grid, source). A building claimed by two grids is a dispute (争议): the checks
  report it and nothing but :meth:`GridsService.settle` or a new drawing resolves it.

Example::

    import community_governance
    from community_governance.domain.access import Actor

    with community_governance.open("sqlite:///county.db") as gov:
        report = gov.grids.draw(Actor.system("grids"))
        print(report.summary())
        print(gov.grids.check(Actor.system("grids")).as_dict())
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain import actions as A
from community_governance.domain.access import Action, Actor, Scope, Target
from community_governance.domain.posts import HolderKind, Post, PostKind
from community_governance.domain.units import UnitKind, community_of, validate_unit_code
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.grids.check import (
    GRID_CHECKS,
    AssignmentView,
    GridCheckReport,
    LeaderReport,
    check_leaders,
    claims_of,
)
from community_governance.grids.draw import draw as draw_division
from community_governance.grids.geojson import to_geojson
from community_governance.grids.graph import community_graphs
from community_governance.grids.model import (
    Adjustment,
    BuildingNode,
    CommunityPlan,
    Coordinates,
    Division,
    Grid,
    GridPolicy,
    Infeasibility,
    Move,
    Spread,
    grid_count,
)
from community_governance.grids.redraw import redraw as redraw_division
from community_governance.services.base import Operation, Service, post_from_row
from community_governance.storage.tables import core as t
from community_governance.storage.tables import grids as gt

__all__ = [
    "GRIDS_DRAW",
    "GRIDS_IMPORT",
    "GRIDS_READ",
    "CommunityStaffing",
    "DrawReport",
    "GridStaffing",
    "GridsCheck",
    "GridsService",
    "StaffingReport",
    "check_policy",
]

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
#: Community office posts counted as staff (工作人员) in the staffing report.
_OFFICE = (PostKind.SECRETARY, PostKind.DIRECTOR, PostKind.STAFF)

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


# ------------------------------------------------------------------------------- results


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


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 1) if b else None


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


def _chunks(items: Sequence[str], size: int = 900) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


class GridsService(Service):
    """Grids (网格): draw, redraw, check, import, export, leaders and staffing.

    Reached as ``gov.grids``.
    """

    # --------------------------------------------------------------------------- helpers

    def policy(self, community: str, households: int) -> GridPolicy:
        """The grid policy of ``community`` (``cgov_grid_policy``, checked).

        Raises:
            PluginError: a plugin answered something other than a consistent ``GridPolicy``.
        """
        return self._hooks.first("cgov_grid_policy", check_policy, community_code=community,
                                 households=households)

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
    def _all_claims(s: _Stored) -> set[tuple[str, str]]:
        """Every (building, grid) claim: the claims table and the settled grid column."""
        pairs = {(b, g) for b, g, _, _ in s.claims}
        pairs |= {(b, g) for b, g in s.grid_of.items() if g}
        return pairs

    # --------------------------------------------------------------------------- draw

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
        """
        edge_list = list(edges) if edges is not None else None
        with self._write(actor, "grids.draw") as op:
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
                if not replace and (s.grid_units or self._all_claims(s)):
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
        """
        edge_list = list(edges) if edges is not None else None
        with self._write(actor, "grids.redraw") as op:
            codes = self._communities(op, community)
            op.require(GRIDS_DRAW, Target("unit", community, unit_code=community))
            s = self._load(op, codes)[community]
            by_building: dict[str, set[str]] = defaultdict(set)
            for b, g in self._all_claims(s):
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

    @staticmethod
    def _edges_of(edges: list[tuple[str, str]] | None,
                  s: _Stored) -> list[tuple[str, str]] | None:
        if edges is None:
            return None
        mine = {n.code for n in s.nodes}
        return [(a, z) for a, z in edges if a in mine and z in mine]

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
            conn.execute(gt.grid_claims.insert(), [
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

    # --------------------------------------------------------------------------- import

    def import_claims(
        self, actor: Actor, claims: Iterable[tuple[str, str]], *, source: str,
        names: Mapping[str, str] | None = None,
    ) -> int:
        """Record a county's existing grids: claims of grids on buildings, as given.

        Grid units that do not exist are created under their community. Each claim is kept as
        it came (a building claimed by two grids is a dispute the checks report, never
        silently fixed); a building whose only claim is the new one gets it as its grid.
        Claims already recorded are not recorded twice.

        Args:
            actor: who imports (a community secretary or director, or higher).
            claims: ``(building code, grid code)`` pairs.
            source: where the claims come from, e.g. ``"import:网格.xlsx"``.
            names: grid code → name for grids created here (default ``第N网格``).

        Returns:
            Claims recorded.

        Raises:
            ValidationError: a grid code of the wrong shape.
            NotFound: a building or a grid's community that is not stored.
            PermissionDenied: the actor may not import grids of a community; nothing written.
        """
        pairs = sorted(set(claims))
        names = dict(names or {})
        if not source or len(source) > 120:
            raise ValidationError("a claim's source is 1-120 characters, e.g. "
                                  "'import:网格.xlsx'", path="source")
        with self._write(actor, "grids.import") as op:
            conn = op.uow.conn
            grid_codes = sorted({g for _, g in pairs})
            for i, g in enumerate(grid_codes):
                try:
                    validate_unit_code(UnitKind.GRID, g)
                except ValidationError as exc:
                    raise ValidationError(exc.reason, path=f"grids[{i}]") from None
            comms = sorted({g[:12] for g in grid_codes})
            known = set(self._known(conn, t.units, comms, kind=UnitKind.COMMUNITY))
            for c in comms:
                if c not in known:
                    raise NotFound("community", c, "add the community before its grids")
                op.require(GRIDS_IMPORT, Target("unit", c, unit_code=c))
            buildings = sorted({b for b, _ in pairs})
            found: dict[str, str | None] = {}
            for part in _chunks(buildings):
                for r in conn.execute(sa.select(t.buildings.c.code, t.buildings.c.grid_code)
                                      .where(t.buildings.c.code.in_(part))):
                    found[r.code] = r.grid_code
            for b in buildings:
                if b not in found:
                    raise NotFound("building", b, "import the buildings file first")
            units = {r.code: r.kind for part in _chunks(grid_codes) for r in conn.execute(
                sa.select(t.units.c.code, t.units.c.kind).where(t.units.c.code.in_(part)))}
            for g in grid_codes:
                if g in units and units[g] != UnitKind.GRID.value:
                    raise ConflictError(f"unit {g} exists and is a {units[g]}, not a grid")
            new_units = [{"code": g, "kind": UnitKind.GRID.value,
                          "name": (names.get(g) or f"第{_number(g)}网格")[:200],
                          "parent_code": g[:12]} for g in grid_codes if g not in units]
            if new_units:
                conn.execute(t.units.insert(), new_units)
            have: set[tuple[str, str]] = set()
            for part in _chunks(buildings):
                have |= {(r.building_code, r.grid_code) for r in conn.execute(
                    sa.select(gt.grid_claims.c.building_code, gt.grid_claims.c.grid_code)
                    .where(gt.grid_claims.c.building_code.in_(part)))}
            fresh = [p for p in pairs if p not in have]
            if fresh:
                conn.execute(gt.grid_claims.insert(), [
                    {"building_code": b, "grid_code": g, "source": source, "households": None,
                     "recorded_at": op.now} for b, g in fresh])
            # a building with no grid yet whose claims now name one grid gets it
            claimed: dict[str, set[str]] = defaultdict(set)
            for b, g in have | set(fresh):
                claimed[b].add(g)
            settle = [{"b_code": b, "g_code": next(iter(gs))} for b, gs in claimed.items()
                      if len(gs) == 1 and found.get(b) is None]
            if settle:
                conn.execute(
                    t.buildings.update().where(t.buildings.c.code == sa.bindparam("b_code"))
                    .values(grid_code=sa.bindparam("g_code")), settle)
            op.touched.extend(f"grid:{g}" for g in grid_codes)
            op.detail.update({"source": source, "claims": len(fresh)})
            return len(fresh)

    @staticmethod
    def _known(conn: sa.Connection, table: sa.Table, codes: Sequence[str], *,
               kind: UnitKind) -> list[str]:
        out: list[str] = []
        for part in _chunks(list(codes)):
            out += list(conn.execute(sa.select(table.c.code).where(
                table.c.code.in_(part), table.c.kind == kind.value)).scalars())
        return out

    def settle(self, actor: Actor, building: str, grid: str) -> None:
        """Settle a dispute (争议): ``building`` belongs to ``grid``; other claims are dropped.

        Raises:
            NotFound: the building or the grid does not exist.
            ValidationError: the grid is of another community.
            PermissionDenied: the actor may not draw the community's grids.
        """
        with self._write(actor, "grids.settle") as op:
            conn = op.uow.conn
            row = conn.execute(sa.select(t.buildings.c.community_code).where(
                t.buildings.c.code == building)).first()
            if row is None:
                raise NotFound("building", building)
            kind = conn.execute(sa.select(t.units.c.kind).where(
                t.units.c.code == grid)).scalar_one_or_none()
            if kind != UnitKind.GRID.value:
                raise NotFound("grid", grid)
            if community_of(grid) != row.community_code:
                raise ValidationError(f"grid {grid} is not of building {building}'s community "
                                      f"{row.community_code}", path="grid")
            op.require(GRIDS_DRAW, Target("unit", row.community_code,
                                          unit_code=row.community_code))
            conn.execute(gt.grid_claims.delete().where(
                gt.grid_claims.c.building_code == building))
            conn.execute(gt.grid_claims.insert().values(
                building_code=building, grid_code=grid, source="settled", households=None,
                recorded_at=op.now))
            conn.execute(t.buildings.update().where(t.buildings.c.code == building)
                         .values(grid_code=grid))
            op.touch("building", building)

    # --------------------------------------------------------------------------- reading

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
        edge_list = list(edges) if edges is not None else None
        with self._read(actor, "grids.check") as op:
            codes = self._communities(op, community)
            full, partial = self._visible(op, codes)
            todo = sorted([*full, *partial])
            stored = self._load(op, todo)
            day = op.today
            leaders = self._leaders(op, todo, day)
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
            claims: dict[str, set[str]] = {g: set() for c in comms for g in stored[c].grid_units}
            for c in comms:
                for b, g in self._all_claims(stored[c]):
                    claims.setdefault(g, set()).add(b)
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

    @staticmethod
    def _neighbours(
        stored: Mapping[str, _Stored], comms: Sequence[str], policy: GridPolicy,
        coordinates: Coordinates | str, edges: list[tuple[str, str]] | None, notes: list[str],
    ) -> dict[str, frozenset[str]]:
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
            mine = {n.code for n in nodes}
            own = [(a, z) for a, z in edges if a in mine and z in mine] if edges is not None \
                else None
            for g in community_graphs(nodes, policy, edges=own,
                                      coordinates=coordinates).values():
                for i, b in enumerate(g.buildings):
                    out[b.code] = frozenset(g.buildings[j].code for j in g.neighbours[i])
        return out

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

    def assignment(self, actor: Actor, community: str | None = None) -> dict[str, list[str]]:
        """Building code → every grid claiming it (usually one), for the actor's scope."""
        with self._read(actor, "grids.assignment") as op:
            codes = self._communities(op, community)
            full, partial = self._visible(op, codes)
            stored = self._load(op, sorted([*full, *partial]))
        out: dict[str, set[str]] = defaultdict(set)
        for c, s in stored.items():
            for b, g in self._all_claims(s):
                if c in full or g in partial.get(c, frozenset()):
                    out[b].add(g)
        return {b: sorted(gs) for b, gs in sorted(out.items())}

    # --------------------------------------------------------------------------- export

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
        coords = Coordinates(coordinates)
        with self._read(actor, "grids.export") as op:
            codes = self._communities(op, community)
            full, partial = self._visible(op, codes)
            stored = self._load(op, sorted([*full, *partial]))
        features: list[dict[str, Any]] = []
        for c in sorted(stored):
            s = stored[c]
            policy = self.policy(c, s.households)
            hh = {n.code: n.households for n in s.nodes}
            members: dict[str, list[str]] = defaultdict(list)
            for b, g in sorted(self._all_claims(s)):
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

    # --------------------------------------------------------------------------- leaders

    def assign_leader(
        self, actor: Actor, grid: str, holder_id: str, *,
        holder_kind: HolderKind | str = HolderKind.RESIDENT, start: dt.date,
        end: dt.date | None = None, replace: bool = False,
    ) -> Post:
        """Make ``holder_id`` the grid leader (网格长) of ``grid`` from ``start``.

        Args:
            actor: who appoints (a community secretary or director, or higher).
            grid: the grid's code.
            holder_id: the resident's (or staff member's) key.
            holder_kind: ``resident`` (the usual) or ``staff``.
            start: first day of the term.
            end: last day, or ``None``.
            replace: end the term of a grid leader in office on ``start`` (the day before);
                without it such a grid is refused.

        Returns:
            The post.

        Raises:
            NotFound: no such grid or holder.
            ConflictError: the grid has a leader on ``start`` and ``replace`` is not set.
            PermissionDenied: the actor may not assign posts at the grid.
        """
        return self._assign(actor, PostKind.GRID_LEADER, UnitKind.GRID, grid, holder_id,
                            HolderKind(holder_kind), start, end, (), replace)

    def assign_building_leader(
        self, actor: Actor, building: str, holder_id: str, *,
        holder_kind: HolderKind | str = HolderKind.RESIDENT, start: dt.date,
        end: dt.date | None = None, covers: Sequence[str] = (), replace: bool = False,
    ) -> Post:
        """Make ``holder_id`` the building leader (楼院长) of ``building`` from ``start``.

        Args:
            actor: who appoints (a community secretary or director, or higher).
            building: the building's code.
            holder_id: the resident's (or staff member's) key.
            holder_kind: ``resident`` or ``staff``.
            start: first day of the term.
            end: last day, or ``None``.
            covers: further buildings of the same community the leader looks after.
            replace: end the term of a building leader in office on ``start``.

        Returns:
            The post.
        """
        return self._assign(actor, PostKind.BUILDING_LEADER, UnitKind.BUILDING, building,
                            holder_id, HolderKind(holder_kind), start, end, tuple(covers),
                            replace)

    def _assign(
        self, actor: Actor, kind: PostKind, unit_kind: UnitKind, unit: str, holder_id: str,
        holder_kind: HolderKind, start: dt.date, end: dt.date | None, covers: tuple[str, ...],
        replace: bool,
    ) -> Post:
        with self._write(actor, f"grids.assign_{kind.value}") as op:
            conn = op.uow.conn
            for code in (unit, *covers):
                got = conn.execute(sa.select(t.units.c.kind).where(
                    t.units.c.code == code)).scalar_one_or_none()
                if got != unit_kind.value:
                    raise NotFound(unit_kind.value, code)
                if community_of(code) != community_of(unit):
                    raise ValidationError(f"{code} is not of {unit}'s community", path="covers")
            op.require(A.POST_ASSIGN, Target("post", f"{kind.value}@{unit}", unit_code=unit))
            if holder_kind is HolderKind.RESIDENT:
                row = conn.execute(sa.select(t.residents.c.erased).where(
                    t.residents.c.id == holder_id)).first()
                if row is None or row.erased:
                    raise NotFound("resident", holder_id, "a post is held by a registered "
                                   "resident")
            elif conn.execute(sa.select(t.staff.c.id).where(
                    t.staff.c.id == holder_id)).first() is None:
                raise NotFound("staff member", holder_id)
            current = [post_from_row(r) for r in conn.execute(sa.select(t.posts).where(
                t.posts.c.unit_code == unit, t.posts.c.kind == kind.value))]
            current = [p for p in current if p.active_on(start) or p.start > start]
            if current and not replace:
                p = current[0]
                raise ConflictError(
                    f"{unit} has a {kind.chinese} ({kind.value}) from {p.start}: {p.holder_id} "
                    f"(post {p.id}); end that post first or pass replace=True")
            for p in current:
                if p.start >= start:
                    raise ConflictError(f"post {p.id} starts on {p.start}, not before {start}; "
                                        "end or correct it first")
                conn.execute(t.posts.update().where(t.posts.c.id == p.id)
                             .values(end=start - dt.timedelta(days=1)))
                op.touch("post", p.id)
            prefix = "P-GL" if kind is PostKind.GRID_LEADER else "P-BL"
            post_id = f"{prefix}-{unit}-{start:%Y%m%d}"
            n = 1
            while conn.execute(sa.select(t.posts.c.id).where(t.posts.c.id == post_id)).first():
                n += 1
                post_id = f"{prefix}-{unit}-{start:%Y%m%d}-{n}"
            post = Post(post_id, kind, unit, holder_kind, holder_id, start, end, covers)
            conn.execute(t.posts.insert().values(
                id=post.id, kind=kind.value, unit_code=unit, holder_kind=holder_kind.value,
                holder_id=holder_id, start=start, end=end, covers=",".join(covers)))
            op.touch("post", post.id)
            return post

    # --------------------------------------------------------------------------- staffing

    def staffing(self, actor: Actor, community: str | None = None) -> StaffingReport:
        """The load per grid leader and per office member: households and residents per person.

        The study's reference points: 6-8 community staff for nearly 10,000 people; 78 grid
        leaders for 78 grids; 495 building leaders in Yima's urban area.

        Args:
            actor: who reads (the community office, higher offices; grid leaders see their
                own grid only).
            community: one community, or every one in the actor's scope.
        """
        with self._read(actor, "grids.staffing") as op:
            codes = self._communities(op, community)
            full, partial = self._visible(op, codes)
            todo = sorted([*full, *partial])
            stored = self._load(op, todo)
            day = op.today
            grid_leader, building_leader = self._leaders(op, todo, day)
            residents = self._residents_per_building(op, todo)
            office: dict[str, set[str]] = defaultdict(set)
            for part in _chunks(todo):
                for r in op.uow.conn.execute(sa.select(t.posts).where(
                        t.posts.c.unit_code.in_(part),
                        t.posts.c.kind.in_([k.value for k in _OFFICE]))):
                    p = post_from_row(r)
                    if p.active_on(day):
                        office[p.unit_code].add(p.holder_id)
        grid_rows: list[GridStaffing] = []
        comm_rows: list[CommunityStaffing] = []
        for c in todo:
            s = stored[c]
            hh = {n.code: n.households for n in s.nodes}
            members: dict[str, set[str]] = {g: set() for g in s.grid_units}
            for b, g in self._all_claims(s):
                members.setdefault(g, set()).add(b)
            visible = partial.get(c)
            for g in sorted(members):
                if visible is not None and g not in visible:
                    continue
                bs = members[g]
                grid_rows.append(GridStaffing(
                    g, c, len(bs), sum(hh.get(b, 0) for b in bs),
                    sum(residents.get(b, 0) for b in bs), grid_leader.get(g),
                    len({building_leader[b] for b in bs if b in building_leader})))
            if visible is not None:
                continue
            h = s.households
            people = sum(residents.get(n.code, 0) for n in s.nodes)
            gl = {grid_leader[g] for g in members if g in grid_leader}
            bl = {building_leader[n.code] for n in s.nodes if n.code in building_leader}
            staff = len(office.get(c, ()))
            comm_rows.append(CommunityStaffing(
                c, h, people, staff, len(members), len(gl), len(bl), _ratio(people, staff),
                _ratio(h, len(gl)), _ratio(people, len(gl)), _ratio(h, len(bl))))
        th = sum(x.households for x in comm_rows)
        tr = sum(x.residents for x in comm_rows)
        ts = sum(x.staff for x in comm_rows)
        tg = sum(x.grid_leaders for x in comm_rows)
        tb = sum(x.building_leaders for x in comm_rows)
        totals = {
            "communities": len(comm_rows), "households": th, "residents": tr,
            "grids": sum(x.grids for x in comm_rows), "staff": ts, "grid_leaders": tg,
            "building_leaders": tb, "residents_per_staff": _ratio(tr, ts),
            "households_per_grid_leader": _ratio(th, tg),
            "residents_per_grid_leader": _ratio(tr, tg),
            "households_per_building_leader": _ratio(th, tb),
            "staff_per_10000_residents": round(ts * 10_000 / tr, 1) if tr else None,
        }
        return StaffingReport(day, tuple(comm_rows), tuple(grid_rows), totals)

    @staticmethod
    def _residents_per_building(op: Operation, communities: Sequence[str]) -> Counter[str]:
        out: Counter[str] = Counter()
        r, h, b = t.residents, t.households, t.buildings
        for part in _chunks(list(communities), 200):
            q = (sa.select(h.c.building_code, sa.func.count())
                 .select_from(r.join(h, h.c.id == r.c.household_id)
                              .join(b, b.c.code == h.c.building_code))
                 .where(b.c.community_code.in_(part), r.c.erased == sa.false())
                 .group_by(h.c.building_code))
            for code, n in op.uow.conn.execute(q):
                out[code] = int(n)
        return out


def _number(grid: str) -> int:
    """The number of a grid code (``...-W03`` → 3)."""
    tail = grid.rsplit("-W", 1)[-1]
    return int(tail) if tail.isdigit() else 0


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

