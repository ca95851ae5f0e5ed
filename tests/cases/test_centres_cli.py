"""``cgov centres``: open a centre, list slots, book and cancel from the command line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import community_governance as cg
from community_governance.cli import _load, cli
from community_governance.testing import build_small_city

pytestmark = pytest.mark.usefixtures("cli_as_system")  # writes name their actor


def _a_working_day_ahead() -> str:
    import datetime as dt

    import pytest

    from community_governance.calendars import load_calendar
    from community_governance.errors import CalendarYearMissing

    try:
        return load_calendar().add_working_days(dt.date.today() + dt.timedelta(days=3), 0)\
            .isoformat()
    except CalendarYearMissing as exc:
        pytest.skip(f"no official calendar for {exc.year} yet: add its year file")


def test_open_book_and_cancel(tmp_path: Path) -> None:
    """Books the first free slot of a working day, refuses a second booking of the resident
    for the same slot, and frees the seat on cancelling."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    with cg.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
    community = city.communities[0]
    rid = city.all_residents()[0]
    day = _a_working_day_ahead()
    _load()
    run = CliRunner()
    got = run.invoke(cli, ["centres", "add", community, "convenience", "连银社区便民服务中心",
                           "--db", url, "--seats", "1"])
    assert 0 == got.exit_code, got.output
    centre = f"{community}-convenience"
    got = run.invoke(cli, ["centres", "slots", centre, day, "--db", url])
    assert 0 == got.exit_code, got.output
    first = got.output.splitlines()[0].split("\t")[0]
    assert "free 1" in got.output.splitlines()[0]
    start = f"{day}T{first}"
    got = run.invoke(cli, ["centres", "book", centre, start, rid, "--db", url])
    assert 0 == got.exit_code, got.output
    appointment = re.search(r"booked (\S+):", got.output).group(1)  # type: ignore[union-attr]
    again = run.invoke(cli, ["centres", "book", centre, start, rid, "--db", url])
    assert 0 != again.exit_code and "error" in again.output
    got = run.invoke(cli, ["centres", "slots", centre, day, "--db", url])
    assert "free 0" in got.output.splitlines()[0]
    got = run.invoke(cli, ["centres", "cancel", appointment, "--db", url])
    assert 0 == got.exit_code and "cancelled" in got.output
    got = run.invoke(cli, ["centres", "list", "--db", url, "--json"])
    assert centre in got.output
