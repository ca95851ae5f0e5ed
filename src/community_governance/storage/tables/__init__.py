"""Table definitions (SQLAlchemy Core), one module per capability, all on one ``metadata``.

Money columns are integer fen (``*_fen``): SQLite keeps ``Numeric`` as a float. Times are UTC.
Importing :func:`load_all` imports every module so that ``metadata`` is complete.
"""

from __future__ import annotations

import importlib
import pkgutil

from community_governance.storage.tables._base import metadata

__all__ = ["load_all", "metadata"]


def load_all() -> None:
    """Import every table module of this package (idempotent)."""
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
