"""Importing a county's existing grids (claims of grids on buildings) and settling
disputes (争议)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import sqlalchemy as sa

from community_governance.domain.access import Actor, Target
from community_governance.domain.units import UnitKind, community_of, validate_unit_code
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.services.grids.common import (
    GRIDS_DRAW,
    GRIDS_IMPORT,
    _GridsBase,
    _number,
)
from community_governance.storage.repos.bulk import chunks as _chunks
from community_governance.storage.repos.bulk import insert_rows
from community_governance.storage.tables import core as t
from community_governance.storage.tables import grids as gt


class _Claims(_GridsBase):
    """Import grid claims and settle disputes (争议)."""

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
                insert_rows(conn, gt.grid_claims, [
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
