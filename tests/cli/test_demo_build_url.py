"""The demo builds a SQLite file without an fsync per commit, and a PostgreSQL database
without a WAL flush per commit, unless the URL says otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from community_governance.cli import cli
from community_governance.cli.demo import _build_url


@pytest.mark.parametrize(("url", "want"), [
    ("sqlite:///yima.db", "sqlite:///yima.db?synchronous=NORMAL"),
    ("sqlite:///yima.db?timeout=5", "sqlite:///yima.db?timeout=5&synchronous=NORMAL"),
    ("sqlite:///yima.db?synchronous=FULL", "sqlite:///yima.db?synchronous=FULL"),
    ("postgresql://u@h/db", "postgresql://u@h/db?options=-c%20synchronous_commit%3Doff"),
    ("postgresql://u@h/db?options=-csearch_path%3Ds1&sslmode=disable",
     "postgresql://u@h/db?sslmode=disable&options=-csearch_path%3Ds1%20-c%20synchronous_commit"
     "%3Doff"),
    ("postgresql://u@h/db?options=-c%20synchronous_commit%3Don",
     "postgresql://u@h/db?options=-c%20synchronous_commit%3Don"),
    ("memory://", "memory://"),
])
def test_build_url(url: str, want: str) -> None:
    assert _build_url(url) == want


def test_the_postgres_demo_session_commits_without_waiting_for_the_flush(
        postgres_url: str) -> None:
    """The built URL reaches the server: the demo's session runs with
    ``synchronous_commit=off`` and keeps the schema the URL chose; the plain URL does not."""

    from community_governance.storage.sql import engine_for_url

    for url, want in ((_build_url(postgres_url), "off"), (postgres_url, "on")):
        engine = engine_for_url(url)
        try:
            with engine.connect() as conn:
                assert conn.exec_driver_sql("SHOW synchronous_commit").scalar_one() == want
                schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
                assert schema in postgres_url
        finally:
            engine.dispose()


def test_a_refused_connection_names_the_url_as_the_user_gave_it(
        runner: CliRunner, tmp_path: Path) -> None:
    """The settings the demo adds to the URL are its own business: the error names the URL
    the user typed (with the fix), not the one with ``synchronous_commit=off`` added."""
    from community_governance.services.crypto import write_key_file

    write_key_file(tmp_path / "k.key")
    url = "postgresql://postgres@127.0.0.1:1/nosuchdb"
    result = runner.invoke(cli, ["demo", "yima", "--db", url, "--scale", "0.01"],
                           env={"CGOV_KEY_FILE": str(tmp_path / "k.key")})
    assert result.exit_code == 7, result.output
    assert f"cannot open the database {url}:" in result.stderr
    assert "synchronous_commit" not in result.stderr
