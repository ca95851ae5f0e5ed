"""Check a Popolo document against the vendored Popolo JSON schemas, offline.

The schemas (JSON Schema draft 3) ship in ``community_governance/io/schemas/popolo/``
unchanged; their ``$ref`` URIs (``http://www.popoloproject.com/schemas/<name>.json#``) are
resolved from those files with ``referencing``, never over the network. A plugin or capability
that adds a Popolo source checks its output the same way::

    from community_governance.testing.popolo import validate_popolo

    assert [] == validate_popolo(export_popolo(gov, actor=actor, sources={"mine": source}))

Needs the ``jsonschema`` package (4.18 or later, which brings ``referencing``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

__all__ = ["ARRAYS", "SCHEMA_NAMES", "schema", "validate_popolo", "validator"]

#: The vendored schema files, by name (``organization`` → ``organization.json``).
SCHEMA_NAMES = ("area", "contact_detail", "count", "event", "group_result", "identifier",
                "link", "membership", "motion", "organization", "other_name", "person", "post",
                "vote", "vote_event")

#: The arrays of a Popolo document and the schema each item must satisfy.
ARRAYS: dict[str, str] = {
    "organizations": "organization", "posts": "post", "persons": "person",
    "memberships": "membership", "areas": "area", "events": "event", "motions": "motion",
    "vote_events": "vote_event", "votes": "vote", "counts": "count",
}

BASE = "http://www.popoloproject.com/schemas/"


def schema(name: str) -> dict[str, Any]:
    """The vendored schema ``name`` (``organization``, ``membership``...), as parsed JSON."""
    if name not in SCHEMA_NAMES:
        raise KeyError(f"no Popolo schema {name!r}; the schemas are {', '.join(SCHEMA_NAMES)}")
    text = (resources.files("community_governance.io") / "schemas" / "popolo"
            / f"{name}.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@functools.cache
def _registry() -> Any:
    from referencing import Registry
    from referencing.jsonschema import DRAFT3

    return Registry().with_resources(
        (f"{BASE}{n}.json", DRAFT3.create_resource(schema(n))) for n in SCHEMA_NAMES)


def validator(name: str) -> Any:
    """A draft-3 validator of the schema ``name`` whose ``$ref`` resolve offline."""
    from jsonschema import Draft3Validator

    return Draft3Validator(schema(name), registry=_registry(),
                           format_checker=Draft3Validator.FORMAT_CHECKER)


def validate_popolo(doc: Mapping[str, Any]) -> list[str]:
    """The schema violations of a Popolo document, as ``$.organizations[3].parent_id: …``.

    Every item of every known array (:data:`ARRAYS`) is checked against its schema; other
    keys (``meta``) are not Popolo's and are left alone.

    Returns:
        The problems, empty when the document is valid.
    """
    problems = []
    for array, name in ARRAYS.items():
        check = validator(name)
        for i, item in enumerate(doc.get(array, ())):
            for err in sorted(check.iter_errors(item), key=lambda e: list(e.absolute_path)):
                path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                               for p in err.absolute_path)
                problems.append(f"$.{array}[{i}]{path}: {err.message}")
    return problems
