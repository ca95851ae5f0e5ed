"""Every hook of community-governance, grouped by family, one module a family.

Each hook's docstring is its reference text: a summary line, ``Args:``, ``Returns:``, one
sentence saying how answers combine ("Stops at first non-None result." or "All results are
combined: ..."), and a short example implementation. The hook catalogue in the docs is rendered
from these docstrings, and a test fails when a hook lacks any of them.

Hooks are called with keyword arguments only; an implementation may accept fewer arguments than
the spec. Hooks return values and never mutate their arguments.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

__all__ = ["spec_modules"]


def spec_modules() -> list[ModuleType]:
    """Import and return every hookspec module of this package, in name order."""
    mods = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            mods.append(importlib.import_module(f"{__name__}.{info.name}"))
    return mods
