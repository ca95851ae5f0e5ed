"""``cgov party symposia/actions/visits/visits-report/active`` and ``cgov council agenda/refer/
progress/follow-up/participation/on-time`` on a SQLite file, with ``--json``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pendulum
import pytest
from click.testing import CliRunner

import community_governance as cg
from community_governance.cli import _load, cli
from community_governance.domain.council import AgendaItem, CouncilMember, CouncilSeat
from community_governance.domain.party import (
    CountyLeaderLink,
    Designation,
    FestivalVisit,
    Suggestion,
)
from community_governance.domain.posts import HolderKind, Post, PostKind, StaffMember
from community_governance.testing.city import SmallCity, build_small_city

from .conftest import SYSTEM, tree_of

DAY = dt.date(2019, 11, 29)


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    """A click runner with every command loaded."""
    if "council" not in cli.commands:
        _load()
    return CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, SmallCity]:
    """A SQLite file in 2019/2020 with a 座谈会, a council meeting with an agenda and a
    decision, a designated member visited at Mid-Autumn 2019."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    clock = {"t": pendulum.datetime(2019, 12, 10, 2, tz="UTC")}
    with cg.open(url, entrypoints=False, clock=lambda: clock["t"]) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        b = city.buildings[c][0]
        gov.registry.add_party_orgs(SYSTEM, tree_of(city, c))
        members = [r for h in city.households[b] for r in city.residents[h]]
        gov.registry.add_party_members(SYSTEM, f"PG-{b}", members, since=dt.date(2019, 1, 1))
        gov.registry.assign_posts(SYSTEM, [Post("P-ZX", PostKind.PARTY_HOUSEHOLD_CENTRE, b,
                                                HolderKind.RESIDENT, members[1],
                                                dt.date(2019, 1, 1))])
        gov.party.hold_symposium(SYSTEM, "ZT-1", c, title="座谈会", held_on=DAY,
                                 attendees={members[0]: "group_leader",
                                            members[1]: "centre_household"},
                                 minutes="纪要", suggestions=[
                                     Suggestion("ZA-1", "路灯", "维修路灯", "SEC", 3)])
        gov.council.add_members(SYSTEM, [CouncilMember(f"CM-{i}", c, CouncilSeat.RESIDENTS,
                                                       f"代表{i}", dt.date(2019, 1, 1))
                                         for i in range(7)])
        gov.council.hold_meeting(SYSTEM, "M-1", c, title="议事会", held_on=DAY,
                                 attendees=[f"CM-{i}" for i in range(5)], minutes="纪要")
        gov.council.set_agenda(SYSTEM, "M-1", [AgendaItem("I-1", "M-1", 1, "维修",
                                                          motion_id="MO-1")])
        gov.council.vote(SYSTEM, "MO-1", "M-1", title="维修",
                         votes={f"CM-{i}": "for" for i in range(4)}, item_id="I-1")
        gov.council.decide(SYSTEM, "D-1", "MO-1", summary="维修单元门", owner="SEC",
                           working_days=3)
        gov.registry.add_staff(SYSTEM, [StaffMember("LD-1", "县领导", permanent=True)])
        gov.party.link_county_leaders(SYSTEM, [CountyLeaderLink("LL-1", "LD-1", c, "副县长",
                                                                dt.date(2019, 1, 1))])
        gov.party.designate(SYSTEM, [Designation("DS-1", members[2], c, "优秀共产党员",
                                                 dt.date(2019, 7, 1))])
        gov.party.record_festival_visits(SYSTEM, [FestivalVisit(
            "FV-1", "LD-1", members[2], "mid_autumn", 2019, dt.date(2019, 9, 10))])
    return url, city


def _json(runner: CliRunner, *args: str) -> Any:
    res = runner.invoke(cli, [*args, "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_party_commands(runner: CliRunner, db: Any) -> None:
    """The 座谈会 with its action late, the visit plan and report, members' activity."""
    url, city = db
    c = city.communities[0]
    got = _json(runner, "party", "symposia", c, "--db", url, "--as", "system")
    assert [(s["id"], len(s["attendees"])) for s in got] == [("ZT-1", 2)]
    late = _json(runner, "party", "actions", c, "--status", "late", "--db", url, "--as",
                 "system")
    assert [a["id"] for a in late] == ["ZA-1"]
    plan = _json(runner, "party", "visits", c, "中秋", "2019", "--db", url, "--as", "system")
    assert [(p["visited"], p["member"]["reason"]) for p in plan] == [("FV-1", "designation")]
    rep = _json(runner, "party", "visits-report", "mid_autumn", "2019", "--under", c, "--db",
                url, "--as", "system")
    assert [(r["outstanding"], r["visited"]) for r in rep] == [(1, 1)]
    act = _json(runner, "party", "active", c, "--from", "2019-01-01", "--to", "2019-12-31",
                "--db", url, "--as", "system")
    assert (act["members"], act["active"]) == (6, 0)
    res = runner.invoke(cli, ["party", "symposia", c, "--db", url])
    assert res.exit_code != 0  # the public may not see who attended


def test_council_commands(runner: CliRunner, db: Any) -> None:
    """The agenda with its quorum, a referral to a case, progress, participation, on time."""
    url, city = db
    c = city.communities[0]
    agenda = _json(runner, "council", "agenda", "M-1", "--db", url)
    assert [(a["item"]["motion_id"], a["quorum"]["quorate"]) for a in agenda] == [
        ("MO-1", True)]
    case = _json(runner, "council", "refer", "D-1", "--case-category", "repair", "--building",
                 city.buildings[c][0], "--posting", "A-1", "--db", url, "--as", "system")
    assert case["id"] and "维修单元门" in case["description"]
    prog = _json(runner, "council", "progress", "D-1", "--db", url, "--as", "system")
    assert [x["kind"] for x in prog["links"]] == ["case", "posting"]
    assert prog["status"] == "late"  # due 4 Dec 2019, still open today
    part = _json(runner, "council", "participation", "--under", c, "--db", url)
    assert next((r["month"], r["meetings"], r["attendance"]) for r in part) == ("2019-11", 1, 5)
    rows = _json(runner, "council", "on-time", "--under", c, "--on", "2019-12-10", "--db", url)
    assert [(r["due"], r["open_past_due"], r["on_time_share"]) for r in rows] == [(1, 1, 0.0)]
    assert _json(runner, "council", "follow-up", c, "--db", url, "--as", "system") == []
