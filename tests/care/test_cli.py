"""``cgov care ...`` on a SQLite file: needs, cadres, a snow alert by hand, visits, reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import community_governance as cg
from community_governance.cli import _load, cli
from community_governance.storage.tables import care as tc
from community_governance.testing.city import SmallCity, build_small_city

pytestmark = pytest.mark.usefixtures("cli_as_system")  # writes name their actor


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    if "care" not in cli.commands:
        _load()
    return CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, SmallCity]:
    url = f"sqlite:///{tmp_path / 'care.db'}"
    with cg.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
    return url, city


def _run(runner: CliRunner, *args: str, code: int = 0) -> Any:
    res = runner.invoke(cli, list(args), catch_exceptions=False)
    assert res.exit_code == code, res.output + res.stderr
    return res


def test_a_year_of_care_from_the_command_line(runner: CliRunner,
                                              db: tuple[str, SmallCity]) -> None:
    """Registers, assigns, records a snow alert, a visit, and reports the round as JSON."""
    url, city = db
    c = city.communities[0]
    elder = city.elderly[c]
    cadre = city.cadre[c].id
    _run(runner, "care", "enrol", c, "--on", "2019-01-01", "--db", url)
    _run(runner, "care", "assign", elder, f"P-CAD-{c}", "--on", "2019-01-01", "--db", url)
    out = _run(runner, "care", "coverage", c, "--on", "2019-06-01", "--json", "--db", url)
    assert {"in_care": 1, "covered": 1} == {k: json.loads(out.output)[k]
                                            for k in ("in_care", "covered")}
    _run(runner, "care", "alert", c, "snow", "yellow", "--at", "2019-12-28T07:00",
         "--id", "SNOW-1", "--db", url)
    with cg.open(url, entrypoints=False) as gov, gov.store.unit_of_work(write=False) as uow:
        task = uow.conn.execute(sa.select(tc.care_tasks.c.id)).scalar_one()
    _run(runner, "care", "visit", elder, "--at", "2019-12-28T10:00", "--task", str(task),
         "--as", f"staff:{cadre}", "--db", url)
    out = _run(runner, "care", "report", "rounds", "--json", "--db", url)
    rep = json.loads(out.output)
    assert [(1, 1, [])] == [(r["tasks"], r["on_time"], r["missed"]) for r in rep]


def test_refusals_exit_with_the_rule_and_write_nothing(runner: CliRunner,
                                                      db: tuple[str, SmallCity]) -> None:
    """A visit to a resident not in care exits 5 (validation) and names the fix."""
    url, city = db
    c = city.communities[0]
    res = _run(runner, "care", "visit", city.elderly[c], "--visitor", "X", "--db", url,
               code=5)
    assert "register the care need first" in res.stderr
    with cg.open(url, entrypoints=False) as gov, gov.store.unit_of_work(write=False) as uow:
        assert 0 == uow.conn.execute(sa.select(sa.func.count()).select_from(
            tc.care_visits)).scalar_one()


def test_holiday_invitations_from_the_command_line(runner: CliRunner,
                                                   db: tuple[str, SmallCity]) -> None:
    """Invites the elders to 元宵节 2019, records an answer and who came, reports as JSON; an
    attendance for a resident not invited exits 5 and writes nothing."""
    url, city = db
    c = city.communities[0]
    elder = city.elderly[c]
    _run(runner, "care", "enrol", c, "--on", "2019-01-01", "--db", url)
    out = _run(runner, "care", "invite", c, "元宵", "2019", "--at", "2019-02-01T09:00",
               "--json", "--db", url)
    got = json.loads(out.output)
    event = got["event_id"]
    assert (1, "2019-02-19") == (got["invited"], got["day"])
    _run(runner, "care", "rsvp", event, elder, "yes", "--at", "2019-02-02T10:00", "--db", url)
    other = city.residents[city.households[city.buildings[c][0]][0]][0]
    res = _run(runner, "care", "attend", event, other, "--db", url, code=5)
    assert "not invited" in res.stderr
    _run(runner, "care", "attend", event, elder, "--db", url)
    out = _run(runner, "care", "report", "invitations", "--year", "2019", "--json",
               "--db", url)
    assert [(c, "lantern", 1, 1, 1)] == [
        (r["community_code"], r["occasion"], r["invited"], r["accepted"], r["attended"])
        for r in json.loads(out.output)]
    out = _run(runner, "care", "report", "invitations", "--db", url)
    assert "total\t1 events\tinvited 1\tattended 1\t100.0%" in out.output
