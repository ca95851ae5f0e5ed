"""Units and buildings (单位, 楼院) and households (户) of the registry."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from community_governance.domain import actions as A
from community_governance.domain.access import Actor, Target
from community_governance.domain.people import Household
from community_governance.domain.units import Building, Unit, UnitKind, parent_kind
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.services.base import Operation
from community_governance.services.registry.common import _RegistryBase
from community_governance.storage.repos.bulk import chunks
from community_governance.storage.tables import core as t


def _grids_of(op: Operation, building_codes: set[str]) -> dict[str, str | None]:
    """The grid of each stored building among ``building_codes`` (absent ones left out), in
    one query per 900 codes."""
    out: dict[str, str | None] = {}
    for part in chunks(sorted(building_codes)):
        for row in op.uow.conn.execute(
                sa.select(t.buildings.c.code, t.buildings.c.grid_code).where(
                    t.buildings.c.code.in_(part))):
            out[row.code] = row.grid_code
    return out


class _Units(_RegistryBase):
    """Units, buildings (楼院) and households (户)."""

    def add_units(self, actor: Actor, units: Iterable[Unit]) -> int:
        """Add counties, sub-districts, communities, grids or compounds (one transaction).

        Parents may come earlier in the same call. Returns how many were added.

        Raises:
            NotFound: a parent does not exist.
            ValidationError: a parent is of the wrong kind.
            ConflictError: a code exists already.
        """
        items = list(units)
        with self._svc._write(actor, "registry.add_units") as op:
            new: dict[str, UnitKind] = {}
            for i, u in enumerate(items):
                if u.kind is UnitKind.BUILDING:
                    raise ValidationError("add buildings with add_buildings", path=f"$[{i}]")
                if u.parent_code is not None:
                    pk = new.get(u.parent_code) or self._kind_of(op, u.parent_code)
                    if pk is None:
                        raise NotFound(f"parent unit of {u.code}", u.parent_code,
                                       "add the parent unit first")
                    if pk is not parent_kind(u.kind):
                        raise ValidationError(
                            f"{u.kind.value} {u.code} must hang under a "
                            f"{parent_kind(u.kind)}, but {u.parent_code} is a {pk.value}",
                            path=f"$[{i}].parent_code",
                        )
                    op.require(A.UNIT_WRITE, Target("unit", u.code, unit_code=u.parent_code))
                else:
                    op.require(A.UNIT_WRITE, Target("unit", u.code, unit_code=u.code))
                if u.code in new:
                    raise ConflictError(f"unit {u.code} appears twice in the input")
                new[u.code] = u.kind
            self._insert(op, t.units, [
                {"code": u.code, "kind": u.kind.value, "name": u.name,
                 "parent_code": u.parent_code} for u in items
            ], "unit")
            op.touched.extend(f"unit:{u.code}" for u in items)
            return len(items)

    def add_unit(self, actor: Actor, unit: Unit) -> Unit:
        """Add one unit; see :meth:`add_units`."""
        self.add_units(actor, [unit])
        return unit

    def add_buildings(self, actor: Actor, buildings: Iterable[Building]) -> int:
        """Add buildings (楼院) to their communities; returns how many were added."""
        items = list(buildings)
        with self._svc._write(actor, "registry.add_buildings") as op:
            kinds: dict[str, UnitKind | None] = {}
            for i, b in enumerate(items):
                for code, want in ((b.community_code, UnitKind.COMMUNITY),
                                   (b.compound_code, UnitKind.COMPOUND),
                                   (b.grid_code, UnitKind.GRID)):
                    if code is not None and self._kind_of(op, code, kinds) is not want:
                        raise NotFound(want.value, code, f"add it before building {b.code} "
                                       f"(at $[{i}])")
                op.require(A.UNIT_WRITE, Target("building", b.code, unit_code=b.code))
            self._insert(op, t.units, [
                {"code": b.code, "kind": UnitKind.BUILDING.value, "name": b.name,
                 "parent_code": b.community_code} for b in items], "building")
            self._insert(op, t.buildings, [
                {"code": b.code, "community_code": b.community_code,
                 "compound_code": b.compound_code, "grid_code": b.grid_code, "x": b.x, "y": b.y,
                 "households_planned": b.households_planned} for b in items], "building")
            op.touched.extend(f"building:{b.code}" for b in items)
            return len(items)

    def get_unit(self, code: str) -> Unit:
        """A unit by code (units are public facts, no actor needed)."""
        with self._gov.store.unit_of_work(write=False) as uow:
            row = uow.conn.execute(sa.select(t.units).where(t.units.c.code == code)).first()
        if row is None:
            raise NotFound("unit", code)
        return Unit(row.code, UnitKind(row.kind), row.name, row.parent_code)

    def list_units(
        self, kind: UnitKind | str | None = None, parent: str | None = None
    ) -> list[Unit]:
        """Units, optionally of one kind and under one parent code prefix, ordered by code."""
        q = sa.select(t.units).order_by(t.units.c.code)
        if kind is not None:
            q = q.where(t.units.c.kind == UnitKind(kind).value)
        if parent is not None:
            q = q.where(t.units.c.code.startswith(parent, autoescape=True),
                        t.units.c.code != parent)
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(q).all()
        return [Unit(r.code, UnitKind(r.kind), r.name, r.parent_code) for r in rows]

    def list_buildings(self, community: str | None = None) -> list[Building]:
        """Buildings, optionally of one community, ordered by code."""
        q = (sa.select(t.buildings, t.units.c.name)
             .join(t.units, t.units.c.code == t.buildings.c.code)
             .order_by(t.buildings.c.code))
        if community is not None:
            q = q.where(t.buildings.c.community_code == community)
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(q).all()
        return [Building(r.code, r.name, r.community_code, r.compound_code, r.grid_code, r.x,
                         r.y, r.households_planned) for r in rows]

    # ------------------------------------------------------------------ households

    def add_households(self, actor: Actor, households: Iterable[Household]) -> int:
        """Register households (户) at buildings; returns how many were added."""
        items = list(households)
        with self._svc._write(actor, "registry.add_households") as op:
            grids = _grids_of(op, {h.building_code for h in items})
            for h in items:
                if h.building_code not in grids:
                    raise NotFound("building", h.building_code, "register the building first")
                op.require(A.RESIDENT_WRITE,
                           Target("household", h.id, h.building_code, grids[h.building_code]))
            self._insert(op, t.households, [
                {"id": h.id, "building_code": h.building_code, "door": h.door,
                 "registered_on": h.registered_on or op.today} for h in items], "household")
            op.touched.extend(f"household:{h.id}" for h in items)
            return len(items)
