"""One converter for the library's values (cattrs): domain objects to JSON-ready data and back.

``make_converter()`` returns a fresh converter configured for the types the domain uses:
``Decimal`` as a string (money keeps its fen), dates and times as ISO 8601 text, enums as their
values, frozensets as sorted lists. The JSON exports and the CLI use it; an HTTP layer can use
it to read and write request bodies.

Example::

    from community_governance.serialization import make_converter
    conv = make_converter()
    data = conv.unstructure(unit)          # {"code": "411281001", "kind": "subdistrict", ...}
    assert conv.structure(data, Unit) == unit
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import cattrs
import pendulum

from community_governance.errors import ValidationError

T = TypeVar("T")

__all__ = ["configure_converter", "make_converter", "structure", "to_jsonable"]


def _decimal(value: Any, _: type) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money arrives as text or an integer, never as a float")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None


def _date(value: Any, _: type) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    return dt.date.fromisoformat(str(value))


def _datetime(value: Any, _: type) -> dt.datetime:
    parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone; send times with an offset (e.g. +08:00)")
    return parsed


def configure_converter(conv: cattrs.Converter) -> cattrs.Converter:
    """Teach ``conv`` the library's value types; returns it."""
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(Decimal, _decimal)
    conv.register_unstructure_hook(dt.date, dt.date.isoformat)
    conv.register_structure_hook(dt.date, _date)
    conv.register_unstructure_hook(dt.datetime, dt.datetime.isoformat)
    conv.register_structure_hook(dt.datetime, _datetime)
    conv.register_unstructure_hook(dt.time, dt.time.isoformat)
    conv.register_structure_hook(
        dt.time, lambda v, _: v if isinstance(v, dt.time) else dt.time.fromisoformat(str(v)))
    conv.register_unstructure_hook(pendulum.DateTime, lambda v: v.isoformat())
    conv.register_structure_hook(pendulum.DateTime,
                                 lambda v, _: pendulum.instance(_datetime(v, dt.datetime)))
    conv.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), lambda v: v.value)
    conv.register_unstructure_hook(frozenset, lambda v: sorted(conv.unstructure(x) for x in v))
    return conv


def make_converter() -> cattrs.Converter:
    """A fresh converter configured by :func:`configure_converter`."""
    return configure_converter(cattrs.Converter())


_DEFAULT = make_converter()


def to_jsonable(value: Any) -> Any:
    """``value`` (attrs objects, Decimals, dates, enums... nested) as JSON-ready data."""
    return _DEFAULT.unstructure(value)


def structure(data: Any, cls: type[T]) -> T:
    """Build a ``cls`` from JSON-ready ``data``.

    Raises:
        ValidationError: the data does not fit; the message lists every problem with its
            path, e.g. ``invalid value for type, expected Decimal @ $.unit_value``.
    """
    try:
        return _DEFAULT.structure(data, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError) as exc:
        if isinstance(exc, cattrs.BaseValidationError):
            problems = cattrs.transform_error(exc, path=f"$ ({cls.__name__})")
        else:
            problems = [f"{exc} @ $ ({cls.__name__})"]
        raise ValidationError("; ".join(problems)) from exc
