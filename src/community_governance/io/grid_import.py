"""Import of a county's existing grids (网格) from CSV and xlsx files: ``cgov import grids``.

One row per claim of a grid on a building, as grid sheets list them::

    building_code,grid_code,grid_name
    411281001001-B0001,411281001001-W01,第一网格
    411281001001-B0002,411281001001-W01,第一网格

Chinese headers work too: ``楼院编码``, ``网格编码``, ``网格名称``. The import is all or nothing:
rows with a malformed code, an unknown building or community, or a claim repeated in the file
are listed with their row number and column, and nothing is written. A building on two rows
with two different grids is not an error: it is a dispute (争议) that the file really holds, kept
as it came so that ``cgov grids check`` reports it; the import never fixes it silently. Claims
already recorded are skipped with a warning.

Example::

    from community_governance.io.importers import import_file

    result = import_file(gov, "grids", "网格.xlsx", actor=Actor.system("import"))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import attrs

from community_governance.domain.access import Actor
from community_governance.domain.units import UnitKind, validate_unit_code
from community_governance.errors import RowError
from community_governance.io.importers import (
    Importer,
    Parsed,
    _collect,
    _RowFault,
    _Table,
    _text,
)

__all__ = ["GRID_COLUMNS", "GridClaimRow", "GridsImporter"]

#: Columns of a grids file: (field, required, Chinese aliases).
GRID_COLUMNS: tuple[tuple[str, bool, tuple[str, ...]], ...] = (
    ("building_code", True, ("楼院编码", "楼栋编码")),
    ("grid_code", True, ("网格编码", "网格代码")),
    ("grid_name", False, ("网格名称",)),
)


@attrs.frozen
class GridClaimRow:
    """One row of a grids file: a grid (网格) claims a building (楼院).

    Attributes:
        building_code: the building.
        grid_code: the grid claiming it.
        grid_name: the grid's name, if the file gives one.
    """

    building_code: str
    grid_code: str
    grid_name: str | None = None


@attrs.frozen
class _Batch:
    """The validated claims of one file, and where they come from."""

    source: str
    claims: tuple[GridClaimRow, ...]


class GridsImporter(Importer):
    """Grids (网格) and the buildings they claim; disputes are kept, never fixed."""

    kind = "grids"
    columns = GRID_COLUMNS

    def validate(self, gov: Any, actor: Actor, table: _Table, today: dt.date) -> Parsed:
        errors: list[RowError] = []
        warnings: list[RowError] = []

        def build(_n: int, row: dict[str, Any]) -> GridClaimRow:
            building = _text(row, "building_code", required=True) or ""
            validate_unit_code(UnitKind.BUILDING, building)
            grid = _text(row, "grid_code", required=True) or ""
            validate_unit_code(UnitKind.GRID, grid)
            name = _text(row, "grid_name")
            if name is not None and len(name) > 200:
                raise _RowFault("grid_name", "a grid's name has at most 200 characters")
            return GridClaimRow(building, grid, name)

        parsed = _collect(table, build, errors)
        wanted = {c.building_code for _, c in parsed} | {c.grid_code for _, c in parsed}
        wanted |= {c.grid_code[:12] for _, c in parsed}
        stored = gov.registry.existing_keys(actor, unit_codes=wanted).units
        have = gov.grids.assignment(actor) if parsed else {}
        seen: dict[tuple[str, str], int] = {}
        names: dict[str, tuple[int, str]] = {}
        items: list[GridClaimRow] = []
        for number, c in parsed:
            bad = len(errors)
            key = (c.building_code, c.grid_code)
            if key in seen:
                errors.append(RowError(number, "grid_code", f"grid {c.grid_code} claims building "
                                       f"{c.building_code} twice (also on row {seen[key]})"))
            if stored.get(c.building_code) is not UnitKind.BUILDING:
                errors.append(RowError(number, "building_code", f"building {c.building_code} is "
                                       "not stored; import the buildings file first"))
            community = c.grid_code[:12]
            if stored.get(community) is not UnitKind.COMMUNITY:
                errors.append(RowError(number, "grid_code", f"community {community} of grid "
                                       f"{c.grid_code} is not stored; import the units file "
                                       "first"))
            kind = stored.get(c.grid_code)
            if kind is not None and kind is not UnitKind.GRID:
                errors.append(RowError(number, "grid_code", f"{c.grid_code} is a {kind.value}, "
                                       "not a grid"))
            if c.grid_name is not None:
                first = names.setdefault(c.grid_code, (number, c.grid_name))
                if first[1] != c.grid_name:
                    errors.append(RowError(number, "grid_name", f"grid {c.grid_code} is named "
                                           f"{first[1]!r} on row {first[0]} and "
                                           f"{c.grid_name!r} here"))
            if len(errors) == bad and key not in seen:
                if c.grid_code in have.get(c.building_code, ()):
                    warnings.append(RowError(number, "grid_code", f"grid {c.grid_code} claims "
                                             f"building {c.building_code} already; kept once"))
                else:
                    items.append(c)
            seen.setdefault(key, number)
        return ([_Batch(f"import:{table.file}", tuple(items))] if items else []), errors, warnings

    def write(self, gov: Any, actor: Actor, items: Sequence[Any]) -> int:
        total = 0
        for batch in items:
            names = {c.grid_code: c.grid_name for c in batch.claims if c.grid_name}
            total += int(gov.grids.import_claims(
                actor, [(c.building_code, c.grid_code) for c in batch.claims],
                source=batch.source[:120], names=names))
        return total
