"""Every script in examples/ runs to the end (the shipped examples are tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))


def test_there_are_examples() -> None:
    """Ships at least the quick start."""
    assert "quickstart.py" in [p.name for p in EXAMPLES]


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script: Path, tmp_path: Path) -> None:
    """Runs the example in a fresh process and exits 0."""
    env = {**os.environ, "MPLBACKEND": "Agg", "CGOV_EXAMPLE_OUT": str(tmp_path)}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert 0 == done.returncode, done.stderr[-3000:]
    assert done.stdout.strip(), "an example prints what it shows"
