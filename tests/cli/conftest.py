"""Fixtures of the command-line tests: a runner with every command loaded, and a clean
environment (no CGOV_* variable of the caller leaks in)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from community_governance.cli import _load, cli


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A click runner (stderr apart from stdout) with every command loaded."""
    for name in ("CGOV_DB", "CGOV_KEY", "CGOV_KEY_FILE", "CGOV_ACTOR", "CGOV_NOW"):
        monkeypatch.delenv(name, raising=False)
    if "db" not in cli.commands:
        _load()
    return CliRunner()  # result.stdout and result.stderr are kept apart (click 8.2+)
