"""The test kit for plugin and backend authors (a pytest plugin, registered by entry point).

Fixtures: ``gov`` (a fresh ``memory://`` store), ``sqlite_gov`` (a fresh SQLite file),
``small_city`` (a small, fully staffed city on ``gov``). Builders: :func:`build_small_city`.
"""

from community_governance.testing.city import SmallCity, build_small_city

__all__ = ["SmallCity", "build_small_city"]
