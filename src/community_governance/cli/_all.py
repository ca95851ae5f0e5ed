"""The ``cgov`` group with every command loaded (for the CLI reference in the docs)."""

from __future__ import annotations

from community_governance.cli import _load, cli

_load()

__all__ = ["cli"]
