"""The plugin template renders into a working plugin whose own tests pass."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent


def test_rendered_template_passes_its_own_tests(tmp_path: Path) -> None:
    """Renders plugins/template with copier and runs the rendered plugin's tests."""
    from copier import run_copy

    dest = tmp_path / "cgov-410999"
    run_copy(str(ROOT / "plugins" / "template"), dest, data={
        "county_name": "测试县", "county_code": "410999", "households_per_grid": 500,
    }, defaults=True, unsafe=True, quiet=True)
    assert (dest / "src" / "cgov_410999" / "plugin.py").is_file()
    env = {**os.environ, "PYTHONPATH": str(dest / "src")}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          cwd=dest, env=env, capture_output=True, text=True, timeout=600)
    assert 0 == done.returncode, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
