"""Hash chains over the append-only journals (防篡改哈希链): pure functions, no I/O.

Every row of a chained journal stores ``SHA-256(previous hash ‖ canonical encoding of the
row)``, as lowercase hex. A chain is one partition of a journal (one resident's points entries,
one community's funds transactions, one case's transitions, one writer stream of the audit
trail); its first row chains to :data:`GENESIS`. Changing, inserting, removing or reordering a
row changes every later hash of its chain, so :func:`first_break` finds the first row that no
longer matches.

The canonical encoding is JSON with sorted keys and no spaces (UTF-8): ``Decimal`` amounts are
written as integer fen, datetimes as UTC ISO 8601 with microseconds and a ``Z``, dates as ISO
dates, enums by value. The same fields always give the same bytes on every backend and in
every process.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

__all__ = ["GENESIS", "ChainBreak", "canonical", "canonical_text", "first_break", "json_string",
           "json_value", "link", "link_text", "utc_text"]

#: The hash a chain's first row commits to.
GENESIS = ""


def _plain(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, Decimal):
        fen = value * 100
        if fen != fen.to_integral_value():
            raise ValueError(f"{value} is not a whole number of fen")
        return int(fen)
    if isinstance(value, dt.datetime):
        if value.utcoffset() is None:  # naive, or a tzinfo that gives no offset
            raise ValueError(f"timestamps in a chain must be timezone-aware, got {value!r}")
        u = value.astimezone(dt.UTC)
        return (f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:"
                f"{u.second:02d}.{u.microsecond:06d}Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    raise TypeError(f"{type(value).__name__} {value!r} has no canonical encoding")


_SCALARS = frozenset({str, int, bool, type(None)})
#: JSON text of a string, exactly as ``json.dumps(..., ensure_ascii=False)`` writes it
json_string = json.encoder.encode_basestring
#: JSON text of a nested value (lists, mappings), as :func:`canonical` writes it
_nested = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


def _flat(fields: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`_plain` of a row's fields, without its recursion for the common scalar values
    (a journal row is strings, integers, ``None``, one timestamp and one date)."""
    out: dict[str, Any] = {}
    for k, v in fields.items():
        cls = type(v)
        if cls in _SCALARS:
            out[str(k)] = v
        elif cls is dt.date:
            out[str(k)] = v.isoformat()
        elif isinstance(v, dt.datetime) and v.tzinfo is not None:
            out[str(k)] = _utc_text(v)
        else:
            out[str(k)] = _plain(v)
    return out


def _utc_text(value: dt.datetime) -> str:
    """An aware timestamp as :func:`_plain` writes it, by plain arithmetic on its UTC offset
    (``astimezone`` of a pendulum ``DateTime`` costs more than the rest of the row)."""
    off = value.utcoffset()
    if off is None:
        return str(_plain(value))  # a tzinfo without an offset: the general path decides
    u = value if not off else dt.datetime(
        value.year, value.month, value.day, value.hour, value.minute, value.second,
        value.microsecond) - off
    return (f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:"
            f"{u.second:02d}.{u.microsecond:06d}Z")


def json_value(value: Any) -> str:
    """The JSON text of one field's value in the canonical encoding, as
    :func:`canonical_text` writes it (for writers that encode a row of a known shape key by
    key: the same bytes, the keys' sorting done once)."""
    cls = type(value)
    if cls is str:
        return json_string(value)
    if cls is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if cls is bool:
        return "true" if value else "false"
    if cls is dt.date:
        return f'"{value.isoformat()}"'
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return json_string(_utc_text(value))
    return _nested(_plain(value))


def canonical_text(fields: Mapping[str, Any]) -> str:
    """:func:`canonical` as text. Written field by field instead of through ``json.dumps``
    (the ledgers' hot path hashes two rows per write); the bytes are the same, which the
    tests check against ``json.dumps`` of :func:`_flat` for arbitrary rows."""
    out = {k if type(k) is str else str(k): json_value(v) for k, v in fields.items()}
    return "{" + ",".join([f"{json_string(k)}:{out[k]}" for k in sorted(out)]) + "}"


def canonical(fields: Mapping[str, Any]) -> bytes:
    """The canonical bytes of a row's fields (sorted keys, fen, UTC ISO times): JSON with
    sorted keys and no spaces, UTF-8."""
    return canonical_text(fields).encode()


def utc_text(value: dt.datetime) -> str:
    """An aware timestamp as the canonical encoding writes it (``2026-01-02T00:03:04.000005Z``,
    no quotes), for the writers that encode a row of a known shape themselves."""
    if value.tzinfo is None:
        raise ValueError(f"timestamps in a chain must be timezone-aware, got {value!r}")
    return _utc_text(value)


def link(prev: str, fields: Mapping[str, Any]) -> str:
    """The hash of a row that follows ``prev`` in its chain (64 hex digits)."""
    return hashlib.sha256(f"{prev}\n{canonical_text(fields)}".encode()).hexdigest()


def link_text(prev: str, text: str) -> str:
    """:func:`link` of a row whose canonical text the caller wrote (a row of a known shape,
    encoded field by field: the ledgers' hot path; its tests compare it with :func:`link`)."""
    return hashlib.sha256(f"{prev}\n{text}".encode()).hexdigest()


@attrs.frozen
class ChainBreak:
    """The first row of a chain whose stored hash does not match (链断裂).

    Attributes:
        table: the journal's table.
        row_id: the row's key.
        chain: the chain (e.g. ``resident:R0001``).
        detail: what differs.
    """

    table: str
    row_id: object
    chain: str
    detail: str

    def __str__(self) -> str:
        return f"{self.table} row {self.row_id} (chain {self.chain}): {self.detail}"


def first_break(table: str, chain: str, rows: Iterable[tuple[object, str | None,
                                                           Mapping[str, Any]]],
                head: str | None = None) -> ChainBreak | None:
    """Walk one chain in order and return its first break, or ``None``.

    Args:
        table: the journal's table (for the message).
        chain: the chain's name (for the message).
        rows: ``(row id, stored hash, fields)`` in chain order.
        head: the chain head stored elsewhere (a balance row, a lock row), if any: it must
            equal the last row's hash.
    """
    prev = GENESIS
    last_id: object = None
    for row_id, stored, fields in rows:
        want = link(prev, fields)
        if stored != want:
            what = ("it has no hash" if stored is None else
                    f"stored hash {stored[:12]}… but its fields and the previous row's hash "
                    f"give {want[:12]}… (the row was changed, or a row before it was "
                    "removed or inserted)")
            return ChainBreak(table, row_id, chain, what)
        prev = want
        last_id = row_id
    if head is not None and head != prev:
        return ChainBreak(table, last_id, chain,
                          f"the chain head stored beside the journal is {head[:12] or '(empty)'}"
                          f"… but the last row's hash is {prev[:12] or '(none)'}… (rows at the "
                          "end were removed, or the head was written by hand)")
    return None
