"""Provenance of a run (运行溯源): the versions of the packages it ran with.

Every run's summary (``summary.json``) and every sweep run file carries
:func:`package_versions` beside the seed actually used, so a result can be traced to the code
that produced it.
"""

from __future__ import annotations

import functools
import importlib.metadata
import platform

__all__ = ["PACKAGES", "package_versions"]

#: Distributions whose versions are recorded (absent ones are recorded as ``None``).
PACKAGES = ("community-governance", "numpy", "polars", "matplotlib", "scipy", "SALib", "pluggy",
            "attrs", "dask", "distributed")


@functools.lru_cache(maxsize=1)
def package_versions() -> dict[str, str | None]:
    """``{"python": "3.12.3", "community-governance": "0.1.0", "numpy": ..., ...}``."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out
