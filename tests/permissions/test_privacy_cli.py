"""``cgov privacy``: export, correct and erase from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

import community_governance as cg
from community_governance.cli import _load, cli
from community_governance.testing import build_small_city


def test_export_correct_and_erase(tmp_path: Path) -> None:
    """A resident exports their own data; the office corrects and erases; nothing leaks."""
    url = f"sqlite:///{tmp_path / 'p.db'}"
    with cg.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
    rid = city.residents[city.households[city.buildings[city.communities[0]][0]][0]][0]
    number = city.id_numbers[rid]
    _load()
    run = CliRunner()
    got = run.invoke(cli, ["privacy", "export", rid, "--db", url, "--as", f"resident:{rid}"])
    assert 0 == got.exit_code, got.output
    data = json.loads(got.output)
    assert number == data["resident"]["id_number"]  # their own number, in full, to themselves
    director = f"staff:{city.director[city.communities[0]].id}"
    got = run.invoke(cli, ["privacy", "correct", rid, "--db", url, "--as", director,
                           "--phone", "13800000000", "--reason", "居民来电更正"])
    assert 0 == got.exit_code, got.output
    assert "13800000000" not in got.output
    got = run.invoke(cli, ["privacy", "erase", rid, "--db", url, "--as", director,
                           "--reason", "迁出", "--yes"])
    assert 0 == got.exit_code, got.output
    with cg.open(url, entrypoints=False) as gov:
        res = gov.registry.get_resident(cg.Actor.system(), rid)
    assert res.erased and res.id_number is None
    stranger = run.invoke(cli, ["privacy", "export", rid, "--db", url, "--as", "public"])
    assert 0 != stranger.exit_code
