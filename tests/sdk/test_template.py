"""The plugin template renders into a working plugin whose own tests pass."""

from __future__ import annotations

import json
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


def test_rendered_template_uses_its_answers_and_records_them(tmp_path: Path) -> None:
    """Uses the households per grid in the grid policy, scopes the plugin to its county, keeps
    the answers in .copier-answers.yml (for copier update), and names only fixtures its tests
    use."""
    import re

    import yaml
    from copier import run_copy

    dest = tmp_path / "cgov-411221"
    run_copy(str(ROOT / "plugins" / "template"), dest, data={
        "county_name": "渑池县", "county_code": "411221", "households_per_grid": 450,
    }, defaults=True, unsafe=True, quiet=True)
    plugin = (dest / "src" / "cgov_411221" / "plugin.py").read_text(encoding="utf-8")
    assert "HOUSEHOLDS_PER_GRID = 450" in plugin and "target=HOUSEHOLDS_PER_GRID" in plugin
    assert "def cgov_plugin_scope" in plugin and 'COUNTY_CODE = "411221"' in plugin
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["county_code"] == "411221" and answers["households_per_grid"] == 450
    assert "_src_path" in answers
    readme = (dest / "README.md").read_text(encoding="utf-8")
    tests = "".join(p.read_text(encoding="utf-8") for p in (dest / "tests").glob("*.py"))
    named = set(re.findall(r"`(gov|sqlite_gov|small_city|gov_with_plugins|postgres_url)`",
                           readme))
    assert named and all(re.search(rf"\b{n}\b", tests) for n in named), named
    assert "pip install -e . pytest hypothesis" not in readme
    assert 'pip install -e ".[test]"' in readme


def test_documented_install_works_from_a_checkout(tmp_path: Path) -> None:
    """``pip install -e ".[test]"`` in the rendered plugin resolves with the library installed
    from this checkout, without looking it up on a package index."""
    from copier import run_copy

    dest = tmp_path / "cgov-411222"
    run_copy(str(ROOT / "plugins" / "template"), dest, data={
        "county_name": "陕州区", "county_code": "411222"}, defaults=True, unsafe=True,
        quiet=True)
    report = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--report",
         str(report), "-e", f"{dest}[test]"], capture_output=True, text=True, timeout=600)
    assert 0 == done.returncode, done.stdout[-2000:] + done.stderr[-2000:]
    wanted = {i["metadata"]["name"] for i in json.loads(report.read_text())["install"]}
    assert wanted == {"cgov-411222"}, wanted  # the library, pytest, hypothesis: kept
