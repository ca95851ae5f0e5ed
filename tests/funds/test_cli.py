"""``cgov funds ...`` and ``cgov report funding`` on a SQLite file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import community_governance as cg
from community_governance.cli import _load, cli
from community_governance.testing.city import SmallCity, build_small_city

pytestmark = pytest.mark.usefixtures("cli_as_system")  # writes name their actor


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    """A click runner with every command loaded."""
    if "funds" not in cli.commands:
        _load()
    return CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, SmallCity]:
    """A SQLite file holding the small city."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with cg.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
    return url, city


def _run(runner: CliRunner, *args: str) -> Any:
    res = runner.invoke(cli, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


def test_posts_budgets_requests_approves_pays_and_discloses(
        runner: CliRunner, db: tuple[str, SmallCity], tmp_path: Path) -> None:
    """Runs the whole flow from the command line and discloses it as HTML, CSV and JSON."""
    url, city = db
    c = city.communities[0]
    tx = json.loads(_run(runner, "funds", "post", "--db", url, "--community", c, "--channel",
                         "city_allocation", "--voucher", "BK-1", "--date", "2019-01-08",
                         "--debit", "1002=74000", "--credit", "4101=74000", "--key", "k1"))
    assert tx["lines"][0] == {"account": "1002", "debit": "74000.00", "credit": "0.00"}
    again = json.loads(_run(runner, "funds", "post", "--db", url, "--community", c,
                            "--channel", "city_allocation", "--voucher", "BK-1", "--date",
                            "2019-01-08", "--debit", "1002=74000", "--credit", "4101=74000",
                            "--key", "k1"))
    assert again["id"] == tx["id"]
    _run(runner, "funds", "budget", "--db", url, "--community", c, "--account", "5104",
         "--year", "2019", "--amount", "30000")
    staff = f"staff:STF-{c}"
    d = json.loads(_run(runner, "funds", "request", "--db", url, "--as", staff, "--community",
                        c, "--account", "5104", "--amount", "8000", "--payee", "维修公司",
                        "--purpose", "活动室维修", "--date", "2019-05-06"))
    assert d["missing_roles"] == ["director", "subdistrict_staff"]
    _run(runner, "funds", "approve", "--db", url, "--as", f"staff:DIR-{c}", str(d["id"]))
    d = json.loads(_run(runner, "funds", "approve", "--db", url, "--as",
                        f"staff:SUB-{c[:9]}", str(d["id"])))
    assert d["state"] == "approved"
    d = json.loads(_run(runner, "funds", "pay", "--db", url, "--as", staff, str(d["id"]),
                        "--voucher", "ZF-1", "--date", "2019-05-07"))
    assert d["state"] == "paid"
    tb = json.loads(_run(runner, "funds", "trial-balance", "--db", url, "--community", c))
    assert tb["total"] == "0.00" and tb["total_debit"] == "74000.00"
    out = tmp_path / "q2.html"
    _run(runner, "funds", "disclose", "--db", url, "--community", c, "--quarter", "2019Q2",
         "--format", "html", "--out", str(out))
    assert "社区财务公开" in out.read_text(encoding="utf-8")
    data = json.loads(_run(runner, "funds", "disclose", "--db", url, "--community", c,
                           "--quarter", "2019Q2", "--format", "json", "--lang", "en"))
    assert data["spending_total"]["quarter"] == "8000.00"
    assert "transactions" in _run(runner, "funds", "disclose", "--db", url, "--community", c,
                                  "--quarter", "2019Q2", "--format", "csv").splitlines()[0]
    mix = json.loads(_run(runner, "report", "funding", "--db", url, "--year", "2019",
                          "--json"))
    assert mix[0]["largest_channel"] == "city_allocation" and mix[0]["largest_share"] == "1.0000"
    table = _run(runner, "report", "funding", "--db", url)  # the latest year: 2019
    assert "100.0%" in table and "2019" in table


@pytest.mark.parametrize("args,message", [
    (["--debit", "1002=100", "--credit", "4101=99"], "differ"),
    (["--debit", "1002=-100", "--credit", "4101=-100"], "above zero"),
    (["--debit", "9999=1", "--credit", "4101=1"], "chart of accounts"),
    (["--debit", "1002:1", "--credit", "4101=1"], "ACCOUNT=AMOUNT"),
])
def test_bad_input_exits_with_a_clear_error(runner: CliRunner, db: tuple[str, SmallCity],
                                            args: list[str], message: str) -> None:
    """Exits with status 5 (validation error) and the rule broken on unbalanced, negative or unknown lines."""
    url, city = db
    res = runner.invoke(cli, ["funds", "post", "--db", url, "--community", city.communities[0],
                              "--channel", "city_allocation", "--voucher", "V", *args])
    assert res.exit_code == 5
    assert message in res.output


def test_reverses_rejects_closes_and_lists_the_chart(runner: CliRunner,
                                                     db: tuple[str, SmallCity]) -> None:
    """Reverses a posting, rejects a request, closes the year and prints the chart."""
    url, city = db
    c = city.communities[1]
    tx = json.loads(_run(runner, "funds", "post", "--db", url, "--community", c, "--channel",
                         "subdistrict", "--voucher", "C-1", "--date", "2019-02-20",
                         "--debit", "1002=20000", "--credit", "4102=20000"))
    wrong = json.loads(_run(runner, "funds", "post", "--db", url, "--community", c,
                            "--channel", "internal", "--voucher", "Z-1", "--date",
                            "2019-03-01", "--debit", "5102=300", "--credit", "1002=300"))
    rev = json.loads(_run(runner, "funds", "reverse", "--db", url, str(wrong["id"]),
                          "--voucher", "HZ-1", "--date", "2019-03-02"))
    assert rev["reverses"] == wrong["id"] and rev["lines"][0]["credit"] == "300.00"
    d = json.loads(_run(runner, "funds", "request", "--db", url, "--as", f"staff:STF-{c}",
                        "--community", c, "--account", "5102", "--amount", "100", "--payee",
                        "救助", "--purpose", "慰问", "--date", "2019-03-03"))
    d = json.loads(_run(runner, "funds", "reject", "--db", url, "--as", f"staff:DIR-{c}",
                        str(d["id"]), "--reason", "重复申请"))
    assert d["state"] == "rejected"
    closed = json.loads(_run(runner, "funds", "close", "--db", url, "--community", c,
                             "--year", "2019"))
    assert closed["carried_forward"] == {"1002": "20000.00", "3102": "-20000.00"}
    assert tx["id"] < closed["closing"]["id"]
    chart = json.loads(_run(runner, "funds", "chart", "--db", url, "--community", c))
    assert {"code": "4102", "name": "困难群众关爱基金", "name_en": "Care fund",
            "type": "income", "fund": "care"} in chart


def test_budgets_sets_several_at_once(runner: CliRunner, db: tuple[str, SmallCity]) -> None:
    """``cgov funds budgets --set ACCOUNT=AMOUNT ...``: one transaction, all or nothing."""
    url, city = db
    c = city.communities[0]
    got = json.loads(_run(runner, "funds", "budgets", "--db", url, "--community", c,
                          "--year", "2019", "--set", "5101=60000", "--set", "5102=2000.50"))
    assert [(b["account"], b["amount"]) for b in got] == [("5101", "60000.00"),
                                                          ("5102", "2000.50")]
    res = runner.invoke(cli, ["funds", "budgets", "--db", url, "--community", c, "--year",
                              "2019", "--set", "5103=10", "--set", "4101=5"])
    # the bad value is named as typed, not by its place in the service's batch
    assert res.exit_code == 5 and "@ --set 4101=5 (account)" in res.output, res.output
    assert "$[1]" not in res.output
    res = runner.invoke(cli, ["funds", "budgets", "--db", url, "--community", c, "--year",
                              "2019", "--set", "5103=10", "--set", "5104=abc"])
    assert res.exit_code == 5 and "@ --set 5104=abc (amount)" in res.output, res.output
    res = runner.invoke(cli, ["funds", "budgets", "--db", url, "--community", c, "--year",
                              "2019", "--set", "5103"])
    assert res.exit_code != 0 and "ACCOUNT=AMOUNT" in res.output and "--set 5103" in res.output
    with cg.open(url, entrypoints=False) as gov:
        assert [b.account for b in gov.funds.budgets(cg.Actor.system("t"), c, 2019)] == \
            ["5101", "5102"]
