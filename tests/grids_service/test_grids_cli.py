"""``cgov grids draw|check|export|staffing|settle`` and ``cgov import grids`` on a SQLite file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import community_governance as cg
from community_governance.cli import _load, cli
from community_governance.grids.synthetic import synthetic_city

from .conftest import load_nodes

pytestmark = pytest.mark.usefixtures("cli_as_system")  # writes name their actor


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    """A click runner with every command loaded."""
    if "grids" not in cli.commands:
        _load()
    return CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A SQLite file holding a synthetic city of two communities and no grids."""
    url = f"sqlite:///{tmp_path / 'grids.db'}"
    nodes = synthetic_city(5, communities=2, subdistricts=1, buildings=80, households=4_800,
                           big_compound=0)
    with cg.open(url, entrypoints=False) as gov:
        load_nodes(gov, nodes)
    return url


def _run(runner: CliRunner, *args: str, code: int = 0) -> Any:
    res = runner.invoke(cli, list(args), catch_exceptions=False)
    assert res.exit_code == code, res.output
    return res.output


def test_draw_check_export_staffing(runner: CliRunner, db: str, tmp_path: Path) -> None:
    """Draws 8 grids, checks them (no gap, no dispute), exports GeoJSON, prints staffing."""
    drawn = json.loads(_run(runner, "grids", "draw", "--db", db))
    assert drawn["grids"] == 8  # 4,800 households, 600 a grid
    check = json.loads(_run(runner, "grids", "check", "--db", db, "--json"))
    assert (check["grids"], check["unmanaged"], check["disputed"]) == (8, 0, 0)
    assert check["grids_without_leader"] == 8
    _run(runner, "grids", "check", "--db", db, "--strict", code=1)
    table = _run(runner, "grids", "check", "--db", db)
    assert "unmanaged 漏管" in table
    out = tmp_path / "grids.geojson"
    _run(runner, "grids", "export", "--db", db, "--format", "geojson", "-o", str(out))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert sum(f["properties"]["kind"] == "grid" for f in data["features"]) == 8
    staffing = json.loads(_run(runner, "grids", "staffing", "--db", db, "--json"))
    assert staffing["totals"]["grids"] == 8
    assert staffing["totals"]["households"] == 4_800
    again = runner.invoke(cli, ["grids", "draw", "--db", db])
    assert again.exit_code == 6 and "redraw" in again.output


def test_import_grids_then_check_and_settle(runner: CliRunner, db: str, tmp_path: Path) -> None:
    """Imports a grids file with a dispute, reports it, settles it."""
    with cg.open(db, entrypoints=False) as gov:
        codes = [b.code for b in gov.registry.list_buildings()]
    comm = codes[0][:12]
    mine = [c for c in codes if c.startswith(comm)]
    lines = ["楼院编码,网格编码"] + [f"{b},{comm}-W01" for b in mine] + [f"{mine[0]},{comm}-W02"]
    path = tmp_path / "网格.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = json.loads(_run(runner, "import", "grids", str(path), "--db", db))
    assert got["imported"] == len(mine) + 1
    check = json.loads(_run(runner, "grids", "check", "--db", db, "--json",
                            "--community", comm))
    assert check["disputed"] == 1
    assert check["unmanaged"] == 0
    _run(runner, "grids", "settle", "--db", db, mine[0], f"{comm}-W01")
    check = json.loads(_run(runner, "grids", "check", "--db", db, "--json",
                            "--community", comm))
    assert check["disputed"] == 0
    assert check["empty_grids"] == 1  # W02 lost its only building


def test_grid_leader_cannot_draw_from_the_command_line(runner: CliRunner, tmp_path: Path) -> None:
    """Exits with status 4 (permission denied) and a permission message when a grid leader tries to draw."""
    from community_governance.testing.city import build_small_city

    url = f"sqlite:///{tmp_path / 'small.db'}"
    with cg.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
    leader = city.grid_leader["411281001001-W01"].id
    res = runner.invoke(cli, ["grids", "draw", "--db", url, "--community", "411281001001",
                              "--replace", "--as", f"staff:{leader}"])
    assert res.exit_code == 4
    assert "may not grids.draw" in res.output
