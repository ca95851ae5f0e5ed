"""The command line: cgov calendar, cgov cases, cgov guide, cgov report cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import community_governance
from community_governance.cli import _load, cli
from community_governance.testing.city import build_small_city

pytestmark = pytest.mark.usefixtures("cli_as_system")  # writes name their actor

_load()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Any]:
    # a fixed day inside a year whose official calendar is known (deadlines need it)
    monkeypatch.setenv("CGOV_NOW", "2026-06-15T09:00:00+08:00")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with community_governance.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
    return url, city


def run(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def test_calendar_workdays_across_national_day() -> None:
    """Prints 2026-10-15 for 10 working days after 2026-09-25 (National Day skipped)."""
    r = run("calendar", "workdays", "2026-09-25", "10")
    assert r.exit_code == 0 and r.stdout.strip() == "2026-10-15"
    data = json.loads(run("calendar", "workdays", "2026-09-25", "10", "--json").stdout)
    assert data["deadline"] == "2026-10-15"
    assert "2026-10-01" in {d["date"] for d in data["days_off"]}
    assert "2026-10-10" not in {d["date"] for d in data["days_off"]}  # swapped Saturday


def test_calendar_festivals_and_missing_year() -> None:
    """Lists a year's festivals and names a year no calendar covers, not even provisionally
    (2027-2036 are provisional)."""
    data = json.loads(run("calendar", "festivals", "2030", "--json").stdout)
    assert data["mid_autumn"]["date"] == "2030-09-12"
    assert data["dragon_boat"]["date"] == "2030-06-05"
    r = run("calendar", "workdays", "2040-01-02", "3")
    assert r.exit_code == 3 and "2040" in r.stderr


def test_cases_round_trip_on_the_command_line(db: tuple[str, Any], tmp_path: Path) -> None:
    """Reports, assigns, resolves, closes, lists, exports and reports cases from the CLI."""
    url, city = db
    c = city.communities[0]
    gl = f"staff:{city.grid_leader[city.grids[c][0]].id}"
    r = run("cases", "report", "--db", url, "--as", gl, "--category", "repair",
            "--building", city.buildings[c][0], "--description", "路灯不亮",
            "--reporter-name", "王建国")
    case = json.loads(r.stdout)
    assert case["status"] == "reported" and case["reporter"] == "王**"
    gl_id = gl.split(":")[1]
    assert json.loads(run("cases", "assign", "--db", url, "--as", gl, case["id"],
                          gl_id).stdout)["status"] == "assigned"
    assert json.loads(run("cases", "resolve", "--db", url, "--as", gl, case["id"],
                          "--note", "已修").stdout)["status"] == "resolved"
    r = run("cases", "close", "--db", url, "--as", f"staff:{city.secretary[c].id}",
            case["id"], "--satisfaction", "4")
    assert json.loads(r.stdout)["satisfaction"] == 4
    listed = json.loads(run("cases", "list", "--db", url, "--json").stdout)
    assert [x["id"] for x in listed] == [case["id"]]
    bad = run("cases", "start", "--db", url, case["id"])
    assert bad.exit_code == 6 and "closed" in bad.stderr
    out = tmp_path / "requests.json"
    run("cases", "export", "--db", url, "--format", "open311", "--out", str(out),
        "--zipcode", "472300")
    docs = json.loads(out.read_text(encoding="utf-8"))
    assert docs[0]["service_request_id"] == case["id"] and docs[0]["status"] == "closed"
    services = json.loads(run("cases", "export", "--db", url, "--what", "services").stdout)
    assert "repair" in {s["service_code"] for s in services}
    rep = json.loads(run("report", "cases", "--db", url, "--json",
                         "--year", case["reported_at"][:4]).stdout)
    assert rep["total"] == 1 and rep["satisfaction"]["mean"] == 4.0
    assert run("report", "cases", "--db", url).exit_code == 0
    url2 = f"sqlite:///{tmp_path / 'other.db'}"
    with community_governance.open(url2, entrypoints=False) as gov:
        build_small_city(gov)
    imp = json.loads(run("cases", "import", "--db", url2, str(out)).stdout)
    assert imp == {"created": 1, "skipped": 0}


def test_guide_commands(db: tuple[str, Any], tmp_path: Path) -> None:
    """Seeds, searches, shows and publishes the service guide from the CLI."""
    url, _ = db
    assert "10 matters added" in run("guide", "seed", "--db", url).stdout
    assert run("guide", "search", "--db", url, "低保").stdout.startswith("MZ-001")
    shown = json.loads(run("guide", "show", "--db", url, "GA-001").stdout)
    assert shown["title"] == "居住证办理"
    shown["phone"] = "0398-5800000"
    f = tmp_path / "m.json"
    f.write_text(json.dumps(shown, ensure_ascii=False), encoding="utf-8")
    assert "GA-001 version 2" in run("guide", "publish", "--db", url, str(f)).stdout
    menu = json.loads(run("guide", "json", "--db", url, "--menu", "https://x.org/g").stdout)
    assert menu["button"][0]["name"] == "办事指南"
    doc = json.loads(run("guide", "json", "--db", url).stdout)
    assert len(doc["domains"]) == 4
