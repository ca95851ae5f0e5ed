"""Export of units, buildings, households and residents to JSON and CSV (导出).

The columns are those of the import files (``docs/registry.md``), so an export can be read back
by :func:`~community_governance.io.importers.import_file`. Resident exports carry ID numbers
with only their first 4 and last 4 characters shown and phone numbers as ``139****0001``,
unless the caller asks for full numbers (``reveal=True``) with a reason and holds
``resident.read_id_number`` for every exported resident; each revealed record is then written
to the access log. Vulnerability flags are never exported.

Example::

    import io
    import community_governance
    from community_governance.domain.access import Actor
    from community_governance.io.exporters import export

    with community_governance.open("memory://", entrypoints=False) as gov:
        buffer = io.StringIO()
        export(gov, "units", buffer, actor=Actor.system("export"), fmt="csv")
        print(buffer.getvalue().splitlines()[0])   # code,kind,name,parent_code
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TextIO

from community_governance.domain.access import Actor
from community_governance.domain.units import UnitKind
from community_governance.errors import ValidationError

__all__ = ["EXPORTERS", "FIELDS", "TextSink", "export", "export_rows", "iter_export_rows",
           "write_json_array"]

#: The columns of each export, in order (the import columns, minus the write-only ones).
FIELDS: dict[str, tuple[str, ...]] = {
    "units": ("code", "kind", "name", "parent_code"),
    "buildings": ("code", "name", "community_code", "compound_code", "grid_code", "x", "y",
                  "households_planned"),
    "households": ("id", "building_code", "door", "registered_on"),
    "residents": ("id", "name", "id_number", "household_id", "relation", "phone",
                  "party_member"),
}


def _units(gov: Any, actor: Actor, within: str | None, reveal: bool,
           reason: str | None) -> list[dict[str, Any]]:
    del actor, reveal, reason  # units are public facts
    units = gov.registry.list_units()
    return [{"code": u.code, "kind": u.kind.value, "name": u.name, "parent_code": u.parent_code}
            for u in units if u.kind is not UnitKind.BUILDING
            and (not within or u.code.startswith(within))]


def _buildings(gov: Any, actor: Actor, within: str | None, reveal: bool,
               reason: str | None) -> list[dict[str, Any]]:
    del actor, reveal, reason
    out = []
    for b in gov.registry.list_buildings():
        if within and not (b.code.startswith(within) or b.grid_code == within):
            continue
        out.append({"code": b.code, "name": b.name, "community_code": b.community_code,
                    "compound_code": b.compound_code, "grid_code": b.grid_code, "x": b.x,
                    "y": b.y, "households_planned": b.households_planned})
    return out


def _households(gov: Any, actor: Actor, within: str | None, reveal: bool,
                reason: str | None) -> Iterator[dict[str, Any]]:
    del reveal, reason
    for h in gov.registry.iter_households(actor, within=within):
        yield {"id": h.id, "building_code": h.building_code, "door": h.door,
               "registered_on": h.registered_on.isoformat() if h.registered_on else None}


def _residents(gov: Any, actor: Actor, within: str | None, reveal: bool,
               reason: str | None) -> Iterator[dict[str, Any]]:
    # masked: streamed; revealed: every resident is checked and logged before a row is
    # written, so the list
    people = (gov.registry.export_residents(actor, reveal=True, reason=reason, within=within)
              if reveal else gov.registry.iter_residents(actor, within=within))
    for r in people:
        yield {"id": r.id, "name": r.name,
               "id_number": r.id_number.number if r.id_number else None,
               "household_id": r.household_id, "relation": r.relation.value,
               "phone": r.phone, "party_member": r.party_member}


Exporter = Callable[[Any, Actor, "str | None", bool, "str | None"], Iterable[dict[str, Any]]]

#: The exporters by kind: ``fn(gov, actor, within, reveal, reason) -> rows`` (households and
#: masked residents are generators, streamed from the database).
EXPORTERS: dict[str, Exporter] = {
    "units": _units,
    "buildings": _buildings,
    "households": _households,
    "residents": _residents,
}


def export_rows(gov: Any, kind: str, *, actor: Actor, within: str | None = None,
                reveal: bool = False, reason: str | None = None) -> list[dict[str, Any]]:
    """The rows an export of ``kind`` writes (masked unless revealed), as dicts.

    Raises:
        ValidationError: an unknown kind, or ``reveal`` without a reason or for another kind
            than residents.
        PermissionDenied: ``reveal`` without the right.
    """
    return list(iter_export_rows(gov, kind, actor=actor, within=within, reveal=reveal,
                                 reason=reason))


def iter_export_rows(gov: Any, kind: str, *, actor: Actor, within: str | None = None,
                     reveal: bool = False, reason: str | None = None
                     ) -> Iterator[dict[str, Any]]:
    """:func:`export_rows` one row at a time: households and masked residents are streamed
    from the database in batches (constant memory); the arguments are checked at once.

    Raises:
        ValidationError: an unknown kind, or ``reveal`` without a reason or for another kind
            than residents.
        PermissionDenied: ``reveal`` without the right.
    """
    fn = EXPORTERS.get(kind)
    if fn is None:
        raise ValidationError(f"cannot export {kind!r}: the kinds are "
                              f"{', '.join(sorted(EXPORTERS))}", path="kind")
    if reveal and kind != "residents":
        raise ValidationError("only a residents export has numbers to reveal", path="reveal")
    if reveal and (not reason or not reason.strip()):
        raise ValidationError(
            "a full export of ID numbers needs a reason (why), for the access log",
            path="reason")
    if reveal:  # checked and logged for every resident before a row is written
        return iter(list(fn(gov, actor, within, reveal, reason)))
    return iter(fn(gov, actor, within, reveal, reason))


class TextSink(Protocol):
    """Anything text is written to (an open text file, ``io.StringIO``...)."""

    def write(self, text: str, /) -> object:
        """Write ``text``."""
        ...


def write_json_array(rows: Iterable[Any], out: TextSink, *, indent: int = 1,
                     default: Callable[[Any], Any] | None = str) -> int:
    """Write ``rows`` to ``out`` as a JSON array, one row at a time (constant memory).

    The text is what ``json.dump(list(rows), out, ensure_ascii=False, indent=indent,
    default=default)`` writes, without holding the list.

    Returns:
        The number of rows written.
    """
    pad = " " * indent
    n = 0
    for row in rows:
        text = json.dumps(row, ensure_ascii=False, indent=indent, default=default)
        out.write("[\n" if n == 0 else ",\n")
        out.write(pad + text.replace("\n", "\n" + pad))
        n += 1
    out.write("\n]" if n else "[]")
    return n


def export(gov: Any, kind: str, out: TextIO, *, actor: Actor, fmt: str = "json",
           within: str | None = None, reveal: bool = False, reason: str | None = None) -> int:
    """Write an export of ``kind`` to ``out`` as JSON (an array of objects) or CSV.

    Args:
        gov: the :class:`~community_governance.Governance`.
        kind: ``units``, ``buildings``, ``households`` or ``residents``.
        out: a text stream (open CSV files with ``newline=""``).
        actor: who exports.
        fmt: ``json`` or ``csv``.
        within: only under this unit code.
        reveal: full ID and phone numbers (residents only; needs the right and a reason).
        reason: why the numbers are revealed, kept in the access log.

    Households and residents (unless revealed) are streamed: fetched from the database in
    batches and written row by row, in constant memory however large the registry.

    Returns:
        The number of records written.
    """
    if fmt not in ("json", "csv"):
        raise ValidationError(f"format {fmt!r} is not json or csv", path="format")
    rows = iter_export_rows(gov, kind, actor=actor, within=within, reveal=reveal,
                            reason=reason)
    if fmt == "json":
        n = write_json_array(rows, out)
        out.write("\n")
        return n
    fields = FIELDS[kind]
    writer = csv.DictWriter(out, fieldnames=list(fields), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    n = 0
    for row in rows:
        writer.writerow({k: ("" if v is None else
                             ("true" if v is True else "false" if v is False else v))
                         for k, v in row.items()})
        n += 1
    return n
