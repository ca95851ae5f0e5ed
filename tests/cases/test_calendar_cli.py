"""cgov calendar workdays (provisional marking, --county), cgov calendar add-year, and the exit
status of the escalation job."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import community_governance
from community_governance.cli import _load, cli
from community_governance.domain.access import Actor
from community_governance.domain.cases import CaseEvent
from community_governance.storage.tables import core as t
from community_governance.testing.city import build_small_city
from tests.calendars.test_provisional import YEAR_2027

pytestmark = pytest.mark.usefixtures("cli_as_system")  # writes name their actor

_load()
SYSTEM = Actor.system("test")


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CGOV_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_workdays_into_2027_answers_marked_provisional() -> None:
    """`cgov calendar workdays 2026-12-28 5` prints 2027-01-05 marked provisional, exit 0."""
    r = run("calendar", "workdays", "2026-12-28", "5")
    assert r.exit_code == 0
    assert r.stdout.strip() == "2027-01-05  provisional 暂定"
    assert "2027" in r.stderr and "add-year" in r.stderr
    data = json.loads(run("calendar", "workdays", "2026-12-28", "5", "--json").stdout)
    assert (data["deadline"], data["provisional"], data["provisional_years"]) == (
        "2027-01-05", True, [2027])
    final = run("calendar", "workdays", "2026-12-01", "5")
    assert final.exit_code == 0 and final.stdout.strip() == "2026-12-08"
    between = run("calendar", "between", "2026-12-28", "2027-01-05")
    assert between.stdout.strip() == "5  provisional 暂定"


def test_add_year_installs_the_file_and_the_answer_is_final(_data_dir: Path,
                                                           tmp_path: Path) -> None:
    """Installs 2027.toml into $CGOV_DATA_DIR/calendars; then 2026-12-28 + 5 is final."""
    src = tmp_path / "2027.toml"
    src.write_text(YEAR_2027, encoding="utf-8")
    r = run("calendar", "add-year", str(src), "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["installed"] == str(_data_dir / "calendars" / "2027.toml")
    after = run("calendar", "workdays", "2026-12-28", "5")
    assert after.exit_code == 0 and after.stdout.strip() == "2027-01-06"


def test_add_year_refuses_a_bad_file(tmp_path: Path, _data_dir: Path) -> None:
    """Exits 5 (validation error) naming the holiday when a statutory day is missing; installs nothing."""
    src = tmp_path / "2027.toml"
    src.write_text(YEAR_2027.replace("off_days = [2027-09-15]", "off_days = [2027-09-16]"),
                   encoding="utf-8")
    r = run("calendar", "add-year", str(src))
    assert r.exit_code == 5 and "中秋节" in r.stderr
    assert not (_data_dir / "calendars").exists()


def test_add_year_with_db_recomputes_and_reports(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Reports a case on 2026-12-28 (provisional 2027 deadline), installs the 2027 file with
    --db: the deadline moves by one day, the CLI says so, history and audit record it."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    fixed = pendulum.datetime(2026, 12, 28, 10, tz="Asia/Shanghai")
    with community_governance.open(url, entrypoints=False, clock=lambda: fixed) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        case = gov.cases.report(city.staff[c], category="dispute",
                                building_code=city.buildings[c][0], description="邻里纠纷")
    assert case.deadline == dt.date(2027, 1, 5) and case.deadline_provisional
    monkeypatch.setenv("CGOV_NOW", "2026-12-29T09:00:00+08:00")
    listed = run("cases", "list", "--db", url)
    assert "2027-01-05（暂定）" in listed.stdout
    src = tmp_path / "2027.toml"
    src.write_text(YEAR_2027, encoding="utf-8")
    r = run("calendar", "add-year", str(src), "--db", url)
    assert r.exit_code == 0, r.stderr
    assert "1 provisional deadline(s) recomputed, 1 moved (1 by +1 day(s))" in r.stdout
    assert f"{case.id}  2027-01-05 -> 2027-01-06  (+1)" in r.stdout
    with community_governance.open(url, entrypoints=False) as gov:
        now = gov.cases.get(SYSTEM, case.id)
        assert (now.deadline, now.deadline_provisional) == (dt.date(2027, 1, 6), False)
        assert gov.cases.history(SYSTEM, case.id)[-1].event is CaseEvent.RESCHEDULE
        with gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(sa.select(t.audit_log.c.objects).where(
                t.audit_log.c.operation == "cases.recompute_deadlines")).scalars().all()
    assert len(rows) == 1 and case.id in rows[0]
    # the report says nothing is provisional any more
    data = json.loads(run("report", "cases", "--db", url, "--year", "2026", "--json").stdout)
    assert data["provisional_deadlines"] == 0


def test_escalation_exit_status_says_some_failed(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Exits 0 when every overdue case escalates; 1 (with the case id on stdout and stderr)
    when one case fails and the others are escalated."""
    url = f"sqlite:///{tmp_path / 'e.db'}"
    fixed = pendulum.datetime(2026, 9, 25, 10, tz="Asia/Shanghai")
    with community_governance.open(url, entrypoints=False, clock=lambda: fixed) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        ok = gov.cases.report(city.staff[c], category="repair",
                              building_code=city.buildings[c][0], description="灯坏")
        bad = gov.cases.report(city.staff[c], category="repair",
                               building_code=city.buildings[c][1], description="门坏")
        with gov.store.unit_of_work(write=True) as uow:  # a corrupt route: cannot escalate
            from community_governance.storage.tables import cases as ct

            uow.conn.execute(ct.cases.update().where(ct.cases.c.id == bad.id)
                             .values(route="not json"))
            uow.commit()
    monkeypatch.setenv("CGOV_NOW", "2026-10-20T09:00:00+08:00")
    r = run("cases", "escalate-overdue", "--db", url)
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["escalated"] == [ok.id]
    assert [f["case_id"] for f in data["failed"]] == [bad.id]
    assert "1 case(s) failed" in r.stderr
    again = run("cases", "escalate-overdue", "--db", url)
    assert again.exit_code == 1 and json.loads(again.stdout)["escalated"] == []
