"""A command line with no silent wrong answers (issue 13, item 8): missing databases, unknown
codes and empty years are errors; writes need a named actor; every error has its documented
exit status; data on stdout, messages on stderr; ``--json`` everywhere; tables not cut; a bad
database URL is a clear error, not a traceback."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import community_governance as cg
from community_governance.cli import cli
from community_governance.errors import EXIT_CODES
from community_governance.testing.city import SmallCity, build_small_city

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


@pytest.fixture
def city_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, SmallCity]:
    """A SQLite file holding the small city, with one case reported in June 2019."""
    import pendulum

    monkeypatch.setenv("CGOV_NOW", "2019-06-03T09:00:00+08:00")
    url = f"sqlite:///{tmp_path / 'city.db'}"
    when = pendulum.datetime(2019, 6, 3, 9, tz="Asia/Shanghai")
    with cg.open(url, entrypoints=False, clock=lambda: when) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        gov.cases.report(cg.Actor.system("test"), category="repair",
                         building_code=city.buildings[c][0], description="路灯不亮")
    return url, city


class TestMissingDatabase:
    @pytest.mark.parametrize("args", [
        ["report", "summary", "--db"], ["cases", "list", "--db"],
        ["points", "check", "--db"], ["db", "status"], ["db", "upgrade"],
    ])
    def test_is_refused_naming_the_path_and_db_init(
            self, runner: CliRunner, tmp_path: Path, args: list[str]) -> None:
        """A mistyped SQLite path exits 3, names the file and cgov db init, creates nothing."""
        missing = tmp_path / "typo.db"
        res = runner.invoke(cli, [*args, f"sqlite:///{missing}"])
        assert 3 == res.exit_code, res.output
        assert str(missing) in res.stderr and "cgov db init" in res.stderr
        assert "" == res.stdout
        assert not missing.exists()

    def test_db_init_creates_it(self, runner: CliRunner, tmp_path: Path) -> None:
        """cgov db init creates the database, after which commands open it."""
        url = f"sqlite:///{tmp_path / 'new.db'}"
        assert 0 == runner.invoke(cli, ["db", "init", url]).exit_code
        res = runner.invoke(cli, ["report", "summary", "--db", url, "--json", "--as", "system"])
        assert 0 == res.exit_code, res.output
        assert 0 == json.loads(res.stdout)["residents"]


class TestUnknownNamesAndEmptyYears:
    @pytest.mark.parametrize("args", [
        ["report", "summary", "--within", "411281999"],
        ["cases", "list", "--within", "411281999", "--json"],
        ["volunteers", "list", "--community", "411281999999"],
        ["funds", "trial-balance", "--community", "411281999999"],
    ])
    def test_an_unknown_unit_code_is_an_error(
            self, runner: CliRunner, city_db: tuple[str, SmallCity], args: list[str]) -> None:
        """An unknown unit code exits 3 naming the code, instead of an empty report."""
        url, _city = city_db
        res = runner.invoke(cli, [*args, "--db", url, "--as", "system"])
        assert 3 == res.exit_code, res.output
        assert "411281999" in res.stderr and "does not exist" in res.stderr
        assert "" == res.stdout

    def test_an_unknown_resident_is_an_error(
            self, runner: CliRunner, city_db: tuple[str, SmallCity]) -> None:
        """An unknown resident id exits 3 naming it."""
        url, _city = city_db
        res = runner.invoke(cli, ["points", "balance", "R9999", "--db", url, "--as", "system"])
        assert 3 == res.exit_code
        assert "R9999" in res.stderr

    def test_report_cases_defaults_to_the_latest_year_with_data(
            self, runner: CliRunner, city_db: tuple[str, SmallCity],
            monkeypatch: pytest.MonkeyPatch) -> None:
        """Run in 2026 on a 2019 database, report cases covers 2019 and says so on stderr."""
        url, _city = city_db
        monkeypatch.setenv("CGOV_NOW", "2026-12-02T09:00:00+08:00")
        res = runner.invoke(cli, ["report", "cases", "--db", url, "--as", "system", "--json"])
        assert 0 == res.exit_code, res.output
        report = json.loads(res.stdout)
        assert ("2019-01-01", 1) == (report["start"], report["total"])
        assert "reporting 2019, the latest year with cases" in res.stderr

    @pytest.mark.parametrize("args,what", [
        (["report", "cases", "--year", "2030"], "no cases in 2030"),
        (["report", "funding", "--year", "2030"], "no postings"),
        (["report", "funding"], "no postings are recorded"),
    ])
    def test_a_year_with_no_data_is_an_error(
            self, runner: CliRunner, city_db: tuple[str, SmallCity], args: list[str],
            what: str) -> None:
        """A year without data exits 3 and names the years that have some."""
        url, _city = city_db
        res = runner.invoke(cli, [*args, "--db", url, "--as", "system", "--json"])
        assert 3 == res.exit_code, res.output
        assert what in res.stderr
        assert "" == res.stdout
        if "cases" in args:
            assert "years with cases: 2019" in res.stderr


class TestActors:
    def test_a_write_without_an_actor_is_refused_and_writes_nothing(
            self, runner: CliRunner, city_db: tuple[str, SmallCity]) -> None:
        """points earn without --as or CGOV_ACTOR exits 2 naming both; the balance stays."""
        url, _city = city_db
        res = runner.invoke(cli, ["points", "earn", "R0001", "5", "--db", url])
        assert 2 == res.exit_code
        assert "--as" in res.stderr and "CGOV_ACTOR" in res.stderr
        with cg.open(url, create=False) as gov:
            assert 0 == gov.points.balance(cg.Actor.system("test"), "R0001")

    def test_cgov_actor_names_the_writer(
            self, runner: CliRunner, city_db: tuple[str, SmallCity]) -> None:
        """CGOV_ACTOR=system lets the same write through, and the audit trail names it."""
        url, _city = city_db
        res = runner.invoke(cli, ["points", "earn", "R0001", "5", "--db", url, "--reason", "x"],
                            env={"CGOV_ACTOR": "system"})
        assert 0 == res.exit_code, res.output
        assert 5 == json.loads(res.stdout)["balance_after"]

    def test_a_read_without_an_actor_sees_only_public_data(
            self, runner: CliRunner, city_db: tuple[str, SmallCity]) -> None:
        """Without an actor, reads run as the public (said on stderr): no resident rows, no
        case list, and the audit trail is refused (exit 4) with a hint to name an actor."""
        url, _city = city_db
        exported = runner.invoke(cli, ["export", "residents", "--db", url, "--json"])
        assert 0 == exported.exit_code, exported.output
        assert [] == json.loads(exported.stdout)
        assert "reading as the public" in exported.stderr
        cases = runner.invoke(cli, ["cases", "list", "--db", url, "--json"])
        assert [] == json.loads(cases.stdout)
        audit = runner.invoke(cli, ["audit", "log", "--db", url])
        assert 4 == audit.exit_code
        assert "--as" in audit.stderr
        everything = runner.invoke(cli, ["export", "residents", "--db", url, "--json",
                                         "--as", "system"])
        assert len(json.loads(everything.stdout)) > 0


class TestExitCodes:
    def test_each_kind_of_error_has_its_own_status(
            self, runner: CliRunner, city_db: tuple[str, SmallCity]) -> None:
        """Not found 3, permission denied 4, validation 5, conflict 6, usage 2."""
        url, city = city_db
        leader = city.grid_leader[city.grids[city.communities[0]][0]].id
        base = ["--db", url]
        got = {
            "not found": runner.invoke(cli, ["points", "balance", "R9999", *base,
                                             "--as", "system"]).exit_code,
            "permission": runner.invoke(cli, ["audit", "log", *base,
                                              "--as", f"staff:{leader}"]).exit_code,
            "validation": runner.invoke(cli, ["points", "earn", *base, "--as", "system",
                                              "--", "R0001", "-5"]).exit_code,
            "conflict": runner.invoke(cli, ["points", "redeem", *base, "--as", "system",
                                            "R0001", "50"]).exit_code,
            "usage": runner.invoke(cli, ["points", "balance", *base, "--nope"]).exit_code,
        }
        assert {"not found": 3, "permission": 4, "validation": 5, "conflict": 6,
                "usage": 2} == got

    def test_docs_list_every_exit_code(self) -> None:
        """docs/cli.md has a table row for 0, 1, 2 and every status of EXIT_CODES."""
        text = DOCS.read_text(encoding="utf-8")
        rows = set(re.findall(r"^\|\s*(\d+)\s*\|", text, re.M))
        codes = {"0", "1", "2"} | {str(code) for _cls, code, _m in EXIT_CODES}
        assert codes <= rows, codes - rows
        for cls, _code, _m in EXIT_CODES:
            assert cls.__name__ in text, cls.__name__


class TestOutput:
    def test_every_command_that_prints_data_takes_json(self, runner: CliRunner) -> None:
        """Every leaf command of cgov has a --json option."""
        missing: list[str] = []

        def walk(group: click.Group, path: list[str]) -> None:
            for name, cmd in group.commands.items():
                if isinstance(cmd, click.Group):
                    walk(cmd, [*path, name])
                elif not any("--json" in getattr(p, "opts", []) for p in cmd.params):
                    missing.append(" ".join([*path, name]))

        walk(cli, [])
        assert [] == missing

    @pytest.mark.parametrize("args", [
        ["calendar", "between", "2026-09-25", "2026-10-15"],
        ["guide", "seed"], ["guide", "list"], ["volunteers", "register", "R0001"],
        ["supermarket", "add", "411281001001", "毛巾", "10", "--id", "T1"],
        ["points", "check"], ["export", "units"], ["db", "status"],
    ])
    def test_commands_that_printed_text_print_json_with_json(
            self, runner: CliRunner, city_db: tuple[str, SmallCity], args: list[str]) -> None:
        """--json makes stdout one JSON document, for commands that print text by default."""
        url, _city = city_db
        where = [url] if args[0] == "db" else (["--db", url] if args[0] != "calendar" else [])
        res = runner.invoke(cli, [*args, *where, "--json"], env={"CGOV_ACTOR": "system"})
        assert 0 == res.exit_code, res.output
        json.loads(res.stdout)

    def test_messages_go_to_stderr_and_data_to_stdout(
            self, runner: CliRunner, tmp_path: Path) -> None:
        """The demo's progress bars and notes are on stderr; stdout holds only its JSON."""
        url = f"sqlite:///{tmp_path / 'd.db'}"
        res = runner.invoke(cli, ["demo", "yima", "--db", url, "--scale", "0.01",
                                  "--registry-only", "--json"])
        assert 0 == res.exit_code, res.output
        assert json.loads(res.stdout)["communities"] == 15
        assert "residents" in res.stderr and "built the yima demo" in res.stderr

    def test_tables_are_not_cut_when_piped(self, runner: CliRunner) -> None:
        """A table printed to a pipe keeps every row on one line, whatever COLUMNS says (a
        narrow terminal's width is not applied to a pipe)."""
        res = runner.invoke(cli, ["plugins", "list"], env={"COLUMNS": "40"})
        assert 0 == res.exit_code, res.output
        assert "…" not in res.stdout
        row = [line for line in res.stdout.splitlines() if "cgov_working_day_calendar" in line]
        assert 1 == len(row) and "cgov.defaults.calendars" in row[0] and \
            "first result" in row[0]


class TestBadDatabaseUrls:
    @pytest.mark.parametrize("url,words", [
        ("postgresql://nobody:secret@127.0.0.1:1/x", ["cannot open the database",
                                                       "127.0.0.1"]),
        ("mysql://someone@host/db", ["no storage backend serves", "sqlite:///"]),
        ("sqlite:////nonexistent-folder/x.db", ["/nonexistent-folder/x.db"]),
    ])
    def test_a_bad_url_is_a_clear_error_not_a_traceback(
            self, runner: CliRunner, url: str, words: list[str]) -> None:
        """A refused connection or an unknown scheme exits 7 (a missing SQLite file 3) with a
        one-line error, no traceback, and no password in the message."""
        res = runner.invoke(cli, ["report", "summary", "--db", url, "--as", "system"])
        assert res.exit_code in (3, 7), res.output
        assert res.exception is None or isinstance(res.exception, SystemExit)
        assert "Traceback" not in res.output
        for w in words:
            assert w in res.stderr
        assert "secret" not in res.stderr

    @pytest.mark.parametrize("command", [["db", "status"], ["db", "upgrade"], ["db", "init"]])
    def test_the_db_commands_say_so_too(self, runner: CliRunner, command: list[str]) -> None:
        """cgov db status|upgrade|init on an unreachable server: exit 7, one clear line."""
        res = runner.invoke(cli, [*command, "postgresql://nobody:secret@127.0.0.1:1/x"])
        assert 7 == res.exit_code, res.output
        assert "cannot open the database postgresql://nobody:***@127.0.0.1:1/x" in res.stderr
        assert "Traceback" not in res.output and "secret" not in res.output
