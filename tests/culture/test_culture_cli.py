"""``cgov culture``: groups, members, events and reports from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import community_governance
from community_governance.cli import _load, cli
from community_governance.testing.city import build_small_city

_load()


@pytest.fixture(params=["411281", "411202"], ids=["yima", "hubin"])
def db(request: pytest.FixtureRequest, tmp_path: Path,
       monkeypatch: pytest.MonkeyPatch) -> tuple[str, Any]:
    monkeypatch.setenv("CGOV_NOW", "2019-06-30T10:00:00+08:00")
    monkeypatch.delenv("CGOV_ACTOR", raising=False)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with community_governance.open(url, entrypoints=False) as gov:
        city = build_small_city(gov, str(request.param))
    return url, city


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_culture_round_trip(db: tuple[str, Any]) -> None:
    """Registers a group, records members and events, and reports them, as the community's
    secretary; the public sees the group but not its leader or members."""
    url, city = db
    c = city.communities[0]
    sec = f"staff:{city.secretary[c].id}"
    people = [r for h in city.households[city.buildings[c][0]] for r in city.residents[h]]
    r = run("culture", "groups", "add", c, "dance", "夕阳红舞蹈队", "--id", "G1", "--db", url,
            "--as", sec, "--leader", people[0], "--venue", "社区文化广场", "--equipment", "音响=2",
            "--equipment", "扇子=30", "--schedule", "2 19:30 90", "--json")
    assert r.exit_code == 0, r.stderr
    made = json.loads(r.stdout)
    assert made["schedule"] == ["每周二 19:30-21:00"] and made["leader_id"] == people[0]
    r = run("culture", "members", "join", "G1", *people[:4], "--on", "2018-03-01", "--db", url,
            "--as", sec)
    assert r.exit_code == 0 and "4 joined G1" in r.stdout
    r = run("culture", "members", "leave", "G1", people[3], "--on", "2019-01-01", "--db", url,
            "--as", sec, "--json")
    assert json.loads(r.stdout)[0]["left_on"] == "2019-01-01"
    r = run("culture", "events", "record", c, "community", "show", "庆国庆文艺展演", "--on",
            "2018-10-01", "--attendance", "300", "--group", "G1", "--festival", "国庆节",
            "--db", url, "--as", sec, "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["level"] == "community"
    public = json.loads(run("culture", "groups", "show", "G1", "--db", url, "--json").stdout)
    assert public["leader_id"] is None and public["members"] is None
    assert public["equipment"] == [{"item": "音响", "quantity": 2},
                                   {"item": "扇子", "quantity": 30}]
    shown = json.loads(run("culture", "groups", "show", "G1", "--db", url, "--as", sec,
                           "--json").stdout)
    assert len(shown["members"]) == 3
    rows = json.loads(run("culture", "report", "groups", "--db", url, "--as", sec,
                          "--json").stdout)
    assert [(x["groups"], x["members"]) for x in rows] == [(1, 3)]
    ev = json.loads(run("culture", "report", "events", "--db", url, "--json").stdout)
    assert ev["totals"] == [{"level": "community", "kind": "show", "events": 1}]
    conv = json.loads(run("culture", "report", "conversion", "--db", url, "--as", sec,
                          "--json").stdout)
    assert conv["total"]["members"] == 4 and conv["total"]["converted"] == 0
    listed = run("culture", "events", "list", "--db", url)
    assert "庆国庆文艺展演" in listed.stdout and "2018-10-01" in listed.stdout


def test_errors_exit_with_their_codes_and_write_nothing(db: tuple[str, Any]) -> None:
    """A future event recorded as held exits 5, joining twice 6, an unknown group 3, another
    community's secretary 4, a write without --as is a usage error."""
    url, city = db
    c = city.communities[0]
    sec = f"staff:{city.secretary[c].id}"
    person = city.residents[city.households[city.buildings[c][0]][0]][0]
    assert run("culture", "groups", "add", c, "choir", "合唱团", "--id", "G1", "--db", url,
               "--as", sec).exit_code == 0
    run("culture", "members", "join", "G1", person, "--on", "2018-03-01", "--db", url,
        "--as", sec)
    r = run("culture", "events", "record", c, "community", "show", "x", "--on", "2019-10-01",
            "--db", url, "--as", sec)
    assert r.exit_code == 5 and "cannot have been held" in r.stderr
    r = run("culture", "members", "join", "G1", person, "--on", "2019-01-01", "--db", url,
            "--as", sec)
    assert r.exit_code == 6 and "cannot join a group twice" in r.stderr
    r = run("culture", "members", "join", "G9", person, "--on", "2019-01-01", "--db", url,
            "--as", sec)
    assert r.exit_code == 3
    other = f"staff:{city.secretary[city.communities[2]].id}"
    r = run("culture", "groups", "add", c, "choir", "合唱团", "--id", "G2", "--db", url,
            "--as", other)
    assert r.exit_code == 4
    r = run("culture", "groups", "add", c, "choir", "合唱团", "--id", "G3", "--db", url)
    assert r.exit_code == 2 and "named actor" in r.stderr
    r = run("culture", "groups", "add", c, "choir", "合唱团", "--id", "G4", "--db", url,
            "--as", sec, "--equipment", "音响")
    assert r.exit_code == 5 and "ITEM=QUANTITY" in r.stderr
    groups = json.loads(run("culture", "groups", "list", "--db", url, "--json").stdout)
    assert [g["id"] for g in groups] == ["G1"]
    members = json.loads(run("culture", "members", "list", "G1", "--db", url, "--as", sec,
                             "--json").stdout)
    assert [m["resident_id"] for m in members] == [person]


def test_unknown_units_are_errors(db: tuple[str, Any]) -> None:
    """An unknown --community or --within exits 3 instead of an empty answer."""
    url, city = db
    bad = f"{city.county}999"
    for args in (["culture", "groups", "list", "--community", bad],
                 ["culture", "events", "list", "--within", bad],
                 ["culture", "report", "events", "--within", bad]):
        r = run(*args, "--db", url, "--json")
        assert r.exit_code == 3 and bad in r.stderr and r.stdout == ""
