"""The demo builds a SQLite file without an fsync per commit, unless the URL says otherwise."""

from __future__ import annotations

import pytest

from community_governance.cli.demo import _build_url


@pytest.mark.parametrize(("url", "want"), [
    ("sqlite:///yima.db", "sqlite:///yima.db?synchronous=NORMAL"),
    ("sqlite:///yima.db?timeout=5", "sqlite:///yima.db?timeout=5&synchronous=NORMAL"),
    ("sqlite:///yima.db?synchronous=FULL", "sqlite:///yima.db?synchronous=FULL"),
    ("postgresql://u@h/db", "postgresql://u@h/db"),
    ("memory://", "memory://"),
])
def test_build_url(url: str, want: str) -> None:
    assert _build_url(url) == want
