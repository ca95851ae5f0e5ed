"""``cgov import``, ``cgov export`` and ``cgov demo yima``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from community_governance.cli import _load, cli

pytestmark = pytest.mark.usefixtures("cli_as_system")  # writes name their actor

_load()


def test_demo_import_and_export(tmp_path: Path) -> None:
    """Builds a small demo city, exports it masked, and refuses a bad import file."""
    db = f"sqlite:///{tmp_path / 'yima.db'}"
    runner = CliRunner()
    built = runner.invoke(cli, ["demo", "yima", "--db", db, "--scale", "0.01",
                                "--registry-only"])
    assert built.exit_code == 0, built.output
    assert "residents" in built.output and "15" in built.output
    again = runner.invoke(cli, ["demo", "yima", "--db", db, "--scale", "0.01"])
    assert again.exit_code == 6 and "already holds" in again.output

    runner = CliRunner(env={"CGOV_KEY_FILE": str(tmp_path / "yima.key")})  # the demo's key
    out = tmp_path / "r.json"
    exported = runner.invoke(cli, ["export", "residents", "--db", db, "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert len(rows) > 1000
    assert not re.search(r"\d{17}[\dX]", out.read_text(encoding="utf-8"))

    shown = runner.invoke(cli, ["export", "residents", "--db", db, "--format", "csv",
                                "--within", "411281001001", "--reveal", "--reason", "核查"])
    assert shown.exit_code == 0 and re.search(r"\d{17}[\dX]", shown.output)

    bad = tmp_path / "units.csv"
    bad.write_text("code,kind,name,parent_code\n411281009,subdistrict,新,411999\n",
                   encoding="utf-8")
    refused = runner.invoke(cli, ["import", "units", str(bad), "--db", db])
    assert refused.exit_code == 5 and "row 2" in refused.output
