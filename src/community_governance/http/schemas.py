"""JSON Schemas of request bodies, generated from the attrs classes the routes read them into.

A route names its body class in its ``opt`` (``opt={"body": CaseReport}``); the application
puts the class's schema in the OpenAPI document as that operation's ``requestBody`` (a
component named after the class), so the document describes exactly what the library's
converter accepts: the fields of the class, the required ones (those without a default), the
types as the converter reads them (dates and times as ISO 8601 text, enumerations by value,
``X | str`` as text) and no other field (the converter refuses unknown fields).
"""

from __future__ import annotations

import collections.abc
import datetime as dt
import enum
import types
import typing
from decimal import Decimal
from typing import Any

import attrs

__all__ = ["body_schema", "schema_of"]

_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    Decimal: {"type": "string", "pattern": r"^-?\d+(\.\d{1,2})?$",
              "description": "an amount in yuan, to the fen"},
    dt.date: {"type": "string", "format": "date"},
    dt.datetime: {"type": "string", "format": "date-time"},
    dt.time: {"type": "string", "format": "time"},
}
_ARRAYS = (list, tuple, set, frozenset, collections.abc.Sequence, collections.abc.Set,
           collections.abc.Iterable)


def _strip(t: Any) -> Any:
    while typing.get_origin(t) is typing.Annotated:
        t = typing.get_args(t)[0]
    return t


def schema_of(t: Any, components: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of type ``t`` as the request converter reads it; attrs classes are
    added to ``components`` and referred to.

    Raises:
        TypeError: a type the converter does not read from JSON.
    """
    t = _strip(t)
    if t is type(None):
        return {"type": "null"}
    if t is Any:
        return {}
    origin = typing.get_origin(t)
    if origin in (typing.Union, types.UnionType):
        args = [_strip(a) for a in typing.get_args(t)]
        nullable = type(None) in args
        rest = [a for a in args if a is not type(None)]
        if str in rest and all(a is str or (isinstance(a, type) and issubclass(a, enum.Enum))
                               for a in rest):
            # ``Relation | str``: any text, the enumeration's values being the usual ones
            known = [m.value for a in rest if a is not str for m in a]
            one: dict[str, Any] = {"type": "string"}
            if known:
                one["examples"] = known
            return {"anyOf": [one, {"type": "null"}]} if nullable else one
        parts = [schema_of(a, components) for a in rest]
        if nullable:
            parts.append({"type": "null"})
        return parts[0] if len(parts) == 1 else {"anyOf": parts}
    if origin in _ARRAYS or t in _ARRAYS:
        inner = typing.get_args(t)
        item = schema_of(inner[0], components) if inner else {}
        return {"type": "array", "items": item}
    if origin in (dict, collections.abc.Mapping) or t is dict:
        return {"type": "object"}
    if isinstance(t, type) and issubclass(t, enum.Enum):
        return {"type": "string", "enum": [m.value for m in t]}
    for base, schema in _SCALARS.items():  # datetime before date: checked as exact types
        if t is base:
            return dict(schema)
    if isinstance(t, type) and issubclass(t, dt.datetime):
        return dict(_SCALARS[dt.datetime])
    if attrs.has(t):
        return _component(t, components)
    raise TypeError(f"no JSON Schema for {t!r}: the request converter does not read it")


def _component(cls: type, components: dict[str, Any]) -> dict[str, Any]:
    name = cls.__name__
    ref = {"$ref": f"#/components/schemas/{name}"}
    if name in components:
        return ref
    components[name] = {}  # a class referring to itself stops here
    hints = typing.get_type_hints(cls, include_extras=True)
    props: dict[str, Any] = {}
    required: list[str] = []
    for field in attrs.fields(cls):
        if not field.init:
            continue
        key = field.alias or field.name
        props[key] = schema_of(hints.get(field.name, field.type), components)
        if field.default is attrs.NOTHING:
            required.append(key)
        elif not isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            default = field.default
            if isinstance(default, enum.Enum):
                default = default.value
            if isinstance(default, tuple | frozenset):
                default = list(default)
            if default is None or isinstance(default, str | int | float | bool | list):
                props[key]["default"] = default
    doc = (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    schema: dict[str, Any] = {"type": "object", "title": name, "properties": props,
                              "additionalProperties": False}
    if doc:
        schema["description"] = doc
    if required:
        schema["required"] = required
    components[name] = schema
    return ref


def body_schema(cls: type, components: dict[str, Any]) -> dict[str, Any]:
    """The request-body schema of attrs class ``cls`` (a reference into ``components``)."""
    if not attrs.has(cls):
        raise TypeError(f"{cls!r} is not an attrs class")
    return _component(cls, components)
