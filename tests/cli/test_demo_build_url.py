"""The demo builds a SQLite file without an fsync per commit and with a 64 MiB page cache,
unless the URL says otherwise."""

from __future__ import annotations

import pytest

from community_governance.cli.demo import _build_url

C = "cache_size=-65536"


@pytest.mark.parametrize(("url", "want"), [
    ("sqlite:///yima.db", f"sqlite:///yima.db?synchronous=NORMAL&{C}"),
    ("sqlite:///yima.db?timeout=5", f"sqlite:///yima.db?timeout=5&synchronous=NORMAL&{C}"),
    ("sqlite:///yima.db?synchronous=FULL", f"sqlite:///yima.db?synchronous=FULL&{C}"),
    ("sqlite:///yima.db?cache_size=100", "sqlite:///yima.db?cache_size=100&synchronous=NORMAL"),
    ("postgresql://u@h/db", "postgresql://u@h/db"),
    ("memory://", "memory://"),
])
def test_build_url(url: str, want: str) -> None:
    assert _build_url(url) == want
