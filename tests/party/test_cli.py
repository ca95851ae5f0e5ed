"""``cgov party ...`` on a SQLite file: the tree, the board, members, an evaluation round."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import community_governance as cg
from community_governance.cli import _load, cli
from community_governance.testing.city import SmallCity, build_small_city

from .conftest import SYSTEM, tree_of


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    """A click runner with every command loaded."""
    if "party" not in cli.commands:
        _load()
    return CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, SmallCity, list[str]]:
    """A SQLite file with the small city, the first community's tree and B0001's residents
    as members of its building group."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with cg.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        gov.registry.add_party_orgs(SYSTEM, tree_of(city, c))
        b = city.buildings[c][0]
        members = [r for h in city.households[b] for r in city.residents[h]]
        gov.registry.add_party_members(SYSTEM, f"PG-{b}", members, since=dt.date(2019, 1, 1))
        gov.party.set_identity_consent(cg.Actor.resident(members[0]), members[0], shown=True)
    return url, city, members


def _run(runner: CliRunner, *args: str, ok: bool = True) -> Any:
    res = runner.invoke(cli, list(args), catch_exceptions=False)
    assert (res.exit_code == 0) is ok, res.output
    return res.output


def test_tree_orgs_board_and_members(runner: CliRunner, db: Any) -> None:
    """Prints the tree indented, lists organizations as JSON, the public board, and members
    masked for the secretary; refuses members to the public."""
    url, city, members = db
    c = city.communities[0]
    b = city.buildings[c][0]
    out = _run(runner, "party", "tree", c, "--db", url).splitlines()
    assert out[0] == f"社区大党委 (社区大党委, {c}) [PO-{c}]"
    assert any(line.startswith("    1号楼党小组 (楼院党小组") for line in out)
    orgs = json.loads(_run(runner, "party", "orgs", "--db", url, "--kind", "grid_branch",
                           "--json"))
    assert [o["id"] for o in orgs] == [f"PB-{g}" for g in city.grids[c]]
    board = _run(runner, "party", "board", b, "--db", url)
    assert board.strip().split("\t") == ["居民1", "1号楼党小组"]
    got = _run(runner, "party", "members", f"PG-{b}", "--db", url, "--as",
               f"staff:{city.secretary[c].id}")
    assert got.count("居*") == len(members) and "居民1" not in got
    refused = runner.invoke(cli, ["party", "members", f"PG-{b}", "--db", url])
    assert refused.exit_code != 0 and "party.read_members" in refused.output


def test_an_evaluation_round_from_the_command_line(runner: CliRunner, db: Any) -> None:
    """Opens a round, takes a resident's ballot, closes it and prints withheld results."""
    url, city, members = db
    c = city.communities[0]
    sec = f"staff:{city.secretary[c].id}"
    today = dt.date.today()
    out = _run(runner, "party", "open-evaluation", "EV-1", c, "--title", "群众评议党员",
               "--from", str(today), "--to", str(today + dt.timedelta(days=5)),
               "--member", members[0], "--db", url, "--as", sec)
    assert "grid" in out and "优秀/合格/基本合格/不合格" in out
    assert "not stored with your name" in _run(
        runner, "party", "vote", "EV-1", members[0], "优秀", "--db", url, "--as",
        f"resident:{members[1]}")
    again = runner.invoke(cli, ["party", "vote", "EV-1", members[0], "合格", "--db", url,
                                "--as", f"resident:{members[1]}"])
    assert again.exit_code != 0 and "already" in again.output
    assert "from 10 ballots" in _run(runner, "party", "close-evaluation", "EV-1", "--db", url,
                                     "--as", sec)
    res = _run(runner, "party", "results", "EV-1", "--db", url, "--as", sec)
    assert res.strip() == f"{members[0]}\t1 ballots\twithheld (fewer than 10 ballots)"


def test_the_council_commands(runner: CliRunner, db: Any, tmp_path: Path) -> None:
    """Lists members, motions, decisions and the affairs board (text, JSON and a printable
    Chinese page)."""
    from community_governance.domain.council import CouncilMember, CouncilSeat

    url, city, _members = db
    c = city.communities[0]
    day = dt.date.today() - dt.timedelta(days=3)
    with cg.open(url, entrypoints=False) as gov:
        gov.council.add_members(SYSTEM, [CouncilMember(f"CM-{i}", c, CouncilSeat.RESIDENTS,
                                                       f"代表{i}", dt.date(2019, 1, 1))
                                         for i in range(3)])
        gov.council.hold_meeting(SYSTEM, "M-1", c, title="议事会", held_on=day,
                                 attendees=["CM-0", "CM-1"], minutes="议定。")
        gov.council.vote(SYSTEM, "MO-1", "M-1", title="加装电梯",
                         votes={"CM-0": "for", "CM-1": "for"})
        gov.council.decide(SYSTEM, "D-1", "MO-1", summary="勘察", owner="o", working_days=3)
        gov.affairs.post_decision(SYSTEM, "A-1", "D-1")
    assert _run(runner, "council", "members", c, "--db", url).count("residents") == 3
    assert "赞成2 反对0 弃权0\t通过" in _run(runner, "council", "motions", c, "--db", url)
    assert "D-1\tdue" in _run(runner, "council", "decisions", c, "--db", url)
    page = tmp_path / "board.html"
    data = json.loads(_run(runner, "council", "board", c, "--db", url, "--json", "--html",
                           str(page)))
    assert [p["id"] for p in data["postings"]] == ["A-1"]
    assert "社区事务公开" in page.read_text(encoding="utf-8")
