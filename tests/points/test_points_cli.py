"""The command line: volunteers, points, supermarket and the participation report; and the
demo seeding on the small city."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import community_governance
from community_governance.cli import _load, cli
from community_governance.demo.volunteering import seed_volunteering
from community_governance.domain.access import Actor
from community_governance.testing.city import build_small_city

pytestmark = pytest.mark.usefixtures("cli_as_system")  # writes name their actor

SYSTEM = Actor.system("test")


@pytest.fixture(scope="module")
def loaded() -> None:
    if "points" not in cli.commands:
        _load()


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with community_governance.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
        gov.volunteers.register(SYSTEM, city.all_residents()[0])
        gov.supermarket.add_item(SYSTEM, city.communities[0], "毛巾", 5, stock=1, id="TOWEL")
    return url


def _run(*args: str) -> dict[str, object] | str:
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    try:
        return json.loads(res.output)  # type: ignore[no-any-return]
    except json.JSONDecodeError:
        return res.output


def test_points_commands(loaded: None, db: str) -> None:
    """Earns, replays, redeems goods and reads balance and statement from the command line."""
    earned = _run("points", "earn", "R0001", "12", "--key", "k1", "--db", db)
    assert isinstance(earned, dict) and earned["balance_after"] == 12
    assert _run("points", "earn", "R0001", "12", "--key", "k1", "--db", db) == earned
    bought = _run("points", "redeem", "R0001", "--item", "TOWEL", "--key", "k2", "--db", db)
    assert isinstance(bought, dict) and bought["points"] == 5
    assert _run("points", "balance", "R0001", "--json", "--db", db) == {
        "resident_id": "R0001", "balance": 7}
    st = _run("points", "statement", "R0001", "--json", "--db", db)
    assert isinstance(st, dict) and [e["amount"] for e in st["entries"]] == [12, -5]  # type: ignore[union-attr]
    stock = _run("supermarket", "stock", "--json", "--db", db)
    assert isinstance(stock, list) and stock[0]["stock"] == 0
    assert "3 in stock" in str(_run("supermarket", "restock", "TOWEL", "3", "--db", db))
    assert "0 problem(s)" in str(_run("points", "check", "--db", db))


def test_cli_refuses_bad_inputs(loaded: None, db: str) -> None:
    """Exits with its status and a message for a negative amount (5, validation), an unknown
    resident (3, not found) and an overdraft (6, conflict)."""
    for cmd, args, code in ((["points", "earn"], ["R0001", "-5"], 5),
                            (["points", "earn"], ["R9999", "5"], 3),
                            (["points", "redeem"], ["R0001", "50"], 6)):
        res = CliRunner().invoke(cli, [*cmd, "--db", db, "--", *args])
        assert (code, True) == (res.exit_code, "error:" in res.output), res.output


def test_report_participation_on_seeded_city(loaded: None, tmp_path: Path) -> None:
    """Shows real numbers after the demo seeding: members, active volunteers, points."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    with community_governance.open(url, entrypoints=False) as gov:
        build_small_city(gov)
        ticks: list[tuple[int, int]] = []
        counts = seed_volunteering(gov, seed=7, months=2, progress=lambda d, n: ticks.append((d, n)))
        assert ticks[-1] == (5, 5)
        assert counts["organizations"] == 106 and counts["attendances"] > 0
        assert gov.points.check(SYSTEM) == []
    rep = _run("report", "participation", "--db", url, "--json")
    assert isinstance(rep, dict)
    totals = rep["totals"]
    assert isinstance(totals, dict)
    assert totals["volunteer_orgs"] == 106
    assert totals["org_members"] == totals["registered_volunteers"] == counts["members"] > 0
    assert totals["points_issued"] > 0 and totals["ever_active_volunteers"] > 0
    months = {r["month"] for r in rep["months"] if r["active_volunteers"]}  # type: ignore[union-attr]
    assert len(months) == 2
    text = _run("report", "participation", "--db", url)
    assert "Top categories" in str(text) and "points_redeemed" in str(text)
    vols = _run("volunteers", "list", "--db", url, "--json")
    assert isinstance(vols, list) and len(vols) == counts["members"]


def test_supermarket_add_many(loaded: None, db: str) -> None:
    """``cgov supermarket add-many COMMUNITY NAME=PRICE[/STOCK[/ID]]...``: one transaction,
    all or nothing; a bad item is refused with its place."""
    with community_governance.open(db, entrypoints=False) as gov:
        c = gov.supermarket.get_item("TOWEL").community_code
    res = CliRunner().invoke(cli, ["supermarket", "add-many", c, "洗衣液=30/12/SOAP", "香皂=10",
                                   "--json", "--db", db], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    got = json.loads(res.output)
    assert (got[0]["id"], got[0]["name"], got[0]["price_points"], got[0]["stock"]) == \
        ("SOAP", "洗衣液", 30, 12)
    assert got[1]["stock"] == 0 and got[1]["price_points"] == 10
    for bad, where in ((["牙膏=15", "抽纸"], "ITEMS 抽纸"),
                       (["牙膏=15", "抽纸=0"], "ITEMS 抽纸=0 (price_points)"),
                       (["牙膏=15/x"], "ITEMS 牙膏=15/x"),
                       (["牙膏=15", "毛巾=5/1/TOWEL"], "")):
        res = CliRunner().invoke(cli, ["supermarket", "add-many", c, *bad, "--db", db])
        assert res.exit_code != 0, (bad, res.output)
        assert "$[" not in res.output, res.output
        assert (f"@ {where}" if where else "exists already at ITEMS 毛巾=5/1/TOWEL") in \
            res.output, res.output
    with community_governance.open(db, entrypoints=False) as gov:
        ids = {i.id for i in gov.supermarket.stock(c)}
        assert {"SOAP", "TOWEL"} <= ids and len(ids) == 3  # the towel, the soap and the 香皂
