"""``cgov market ...`` on a SQLite file, in Yima and in 湖滨区: the reports as text and JSON,
writes with a named actor, refusals with the rule and the fix and nothing written."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import community_governance as cg
from community_governance.cli import _load, cli
from community_governance.domain.market import HandoverRecord, MarketActor, ServiceContract
from community_governance.testing.city import SmallCity, build_small_city

from .conftest import SYSTEM, compound_of, plugins_for


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    """A click runner with every command loaded."""
    if "market" not in cli.commands:
        _load()
    return CliRunner()


@pytest.fixture
def db(tmp_path: Path, county: str) -> tuple[str, SmallCity]:
    """A SQLite file with the small city, a property company serving its first compound and
    the handover of that compound's water and power."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with cg.open(url, entrypoints=False, plugins=plugins_for(county)) as gov:
        city = build_small_city(gov, county)
        gov.market.register_actors(SYSTEM, [MarketActor("M1", county, "宏达物业",
                                                        ["property_management"])])
        gov.market.add_contracts(SYSTEM, [ServiceContract(
            "K1", "M1", compound_of(city), "property_management", dt.date(2018, 1, 1),
            fee="0.80")])
        gov.market.record_handovers(SYSTEM, [
            HandoverRecord(f"H-{u}", compound_of(city), u, "义马煤业集团", f"市{u}公司",
                           dt.date(2017, 5, 1), 12, "150", "agreed") for u in ("water", "power")])
        gov.market.seed_catalogue(SYSTEM, [city.communities[0]])
    return url, city


def _run(runner: CliRunner, *args: str, code: int = 0) -> Any:
    res = runner.invoke(cli, list(args), catch_exceptions=False)
    assert code == res.exit_code, res.output
    return res


def test_reports(runner: CliRunner, db: Any) -> None:
    """Lists compounds by management status, handovers and the catalogue, as text and JSON."""
    url, city = db
    rows = json.loads(_run(runner, "market", "compounds", "--db", url, "--on", "2019-12-01",
                           "--json").stdout)
    assert ["managed", "unmanaged", "unmanaged"] == [r["status"] for r in rows]
    out = _run(runner, "market", "compounds", "--db", url, "--status", "unmanaged").stdout
    assert 2 == len(out.splitlines())
    assert "三无小区" in out
    rep = json.loads(_run(runner, "market", "handover-report", "--db", url, "--json").stdout)
    assert (1, 12, "3600.00") == (rep["totals"]["compounds"], rep["totals"]["households"],
                                  rep["totals"]["subsidy_removed_per_year"])
    cat = _run(runner, "market", "catalogue", city.communities[0], "--db", url).stdout
    assert 3 == cat.count("免费")


def test_writes_and_refusals(runner: CliRunner, db: Any) -> None:
    """Writes need a named actor; a refusal exits non-zero with the rule and the fix, and
    writes nothing."""
    url, city = db
    c0 = city.communities[0]
    res = _run(runner, "market", "sell", f"{c0}-S04", "2", "--on", "2019-05-01",
               "--voucher", "V1", "--db", url, code=2)
    assert "nothing was written" in res.output
    _run(runner, "market", "sell", f"{c0}-S04", "2", "--on", "2019-05-01", "--voucher", "V1",
         "--db", url, "--as", "system")
    res = _run(runner, "market", "sell", f"{c0}-S01", "1", "--on", "2019-05-01",
               "--voucher", "V2", "--db", url, "--as", "system", code=5)
    assert "is free" in res.stderr and "set a fee" in res.stderr
    income = json.loads(_run(runner, "market", "income", "--db", url, "--json").stdout)
    assert [("S04", 2, "70.00")] == [(r["service"][-3:], r["quantity"], r["income"])
                                     for r in income]
    res = _run(runner, "market", "advance-handover", "H-water", "renovate", "--db", url,
               "--as", "system")
    res = _run(runner, "market", "advance-handover", "H-water", "agree", "--db", url,
               "--as", "system", code=6)
    assert "it can complete" in res.stderr
    got = json.loads(_run(runner, "market", "handovers", "--db", url, "--json").stdout)
    assert [("power", "agreed"), ("water", "renovating")] == [
        (h["utility"], h["status"]) for h in got]


def test_an_unknown_under_code_is_an_error_not_an_empty_report(tmp_path: Path) -> None:
    """`--under` names a unit: a mistyped code exits 3 instead of printing nothing."""
    from click.testing import CliRunner

    from community_governance.cli import cli

    url = f"sqlite:///{tmp_path / 'u.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "init", url]).exit_code == 0
    res = runner.invoke(cli, ["market", "compounds", "--db", url, "--under", "411281999999"],
                        env={"CGOV_ACTOR": "system"})
    assert res.exit_code == 3, res.output
    assert "--under takes the code of a unit" in res.output
