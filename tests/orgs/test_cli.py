"""``cgov orgs``: the lifecycle from the command line, with documented exit codes, JSON on
stdout and messages on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pendulum
import pytest
from click.testing import CliRunner

import community_governance as cg
from community_governance.cli import _load, cli
from community_governance.testing.city import build_small_city


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("CGOV_DB", "CGOV_KEY", "CGOV_KEY_FILE", "CGOV_ACTOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CGOV_NOW", "2019-03-01T09:00:00+08:00")
    if "orgs" not in cli.commands:
        _load()
    return CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, str, str, str]:
    """A SQLite file with the small city: (url, community, staff, sub-district staff)."""
    url = f"sqlite:///{tmp_path / 'orgs.db'}"
    when = pendulum.datetime(2019, 3, 1, 9, tz="Asia/Shanghai")
    with cg.open(url, entrypoints=False, clock=lambda: when) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        return url, c, str(city.staff[c]), str(city.subdistrict_staff[c[:9]])


def test_the_lifecycle_from_the_command_line(runner: CliRunner,
                                             db: tuple[str, str, str, str]) -> None:
    """Registers an incubator, proposes and incubates a group; evaluating it is refused with
    exit 6, a missing milestone with exit 5, admission by the community office with exit 4;
    the list, history and reports print JSON."""
    url, c, staff, officer = db

    def run(*args: str) -> object:
        res = runner.invoke(cli, [*args, "--db", url])
        return res

    assert 0 == run("orgs", "register", "--as", officer, "--community", c, "--name",
                    "孵化基地", "--kind", "incubator", "--id", "INC").exit_code
    res = run("orgs", "propose", "--as", staff, "--community", c, "--name", "助老服务社",
              "--kind", "service", "--members", "20", "--id", "O1")
    assert 0 == res.exit_code and "proposed" == json.loads(res.stdout)["stage"]
    res = run("orgs", "incubate", "--as", staff, "O1", "INC")
    assert json.loads(res.stdout)["under_incubator"] is True
    res = run("orgs", "evaluate", "--as", officer, "O1", "--round", "2019", "--evaluator", "甲")
    assert 6 == res.exit_code and "" == res.stdout and "incubating" in res.stderr
    assert 0 == run("orgs", "milestone", "--as", staff, "O1", "charter").exit_code
    res = run("orgs", "submit-review", "--as", staff, "O1")
    assert 5 == res.exit_code and "governance" in res.stderr
    res = run("orgs", "admit", "--as", staff, "O1")
    assert 4 == res.exit_code  # the community office may not admit
    res = run("orgs", "list", "--as", officer, "--json")
    assert ["INC", "O1"] == [o["id"] for o in json.loads(res.stdout)]
    res = run("orgs", "history", "--as", officer, "O1", "--json")
    assert ["propose", "incubate"] == [h["event"] for h in json.loads(res.stdout)]
    res = run("orgs", "show", "--as", officer, "O1")
    assert ["charter"] == json.loads(res.stdout)["progress"]["milestones"]["done"]
    for what in ("stages", "durations", "grades", "findings", "staff"):
        res = run("orgs", "report", what, "--as", officer, "--json")
        assert 0 == res.exit_code, (what, res.stderr)
        json.loads(res.stdout)
    assert 1 == json.loads(run("orgs", "report", "stages", "--as", officer).stdout)[
        "by_stage"]["incubating"]


def test_a_write_without_an_actor_is_refused(runner: CliRunner,
                                             db: tuple[str, str, str, str]) -> None:
    """Exit 2, nothing written."""
    url, c, _staff, officer = db
    res = runner.invoke(cli, ["orgs", "propose", "--db", url, "--community", c, "--name", "甲",
                              "--kind", "service"])
    assert 2 == res.exit_code
    res = runner.invoke(cli, ["orgs", "list", "--db", url, "--as", officer, "--json"])
    assert [] == json.loads(res.stdout)
