"""``cgov db upgrade`` and ``cgov db status``."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from click.testing import CliRunner

import community_governance as cg
from community_governance.cli import _load, cli
from community_governance.storage import migrate


def test_upgrades_an_old_database_keeping_its_rows(tmp_path: Path) -> None:
    """Moves a database at the first revision to the newest, keeping its rows."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        command.upgrade(migrate.alembic_config(conn), "0001")
        conn.execute(sa.text("INSERT INTO units (code, kind, name) "
                             "VALUES ('411281', 'county', '义马市')"))
    _load()
    run = CliRunner()
    before = run.invoke(cli, ["db", "status", url])
    assert 0 == before.exit_code and "needs upgrade" in before.output
    done = run.invoke(cli, ["db", "upgrade", url])
    assert 0 == done.exit_code, done.output
    assert migrate.head() in done.output
    after = run.invoke(cli, ["db", "status", url])
    assert "up to date" in after.output
    with cg.open(url) as gov:
        assert "义马市" == gov.registry.get_unit("411281").name


def test_creates_an_empty_database(tmp_path: Path) -> None:
    """db init creates a new database at the newest revision; db upgrade refuses a missing
    one (exit 3) and creates nothing."""
    url = f"sqlite:///{tmp_path / 'new.db'}"
    _load()
    refused = CliRunner().invoke(cli, ["db", "upgrade", url])
    assert 3 == refused.exit_code
    assert "cgov db init" in refused.output
    assert not (tmp_path / "new.db").exists()
    done = CliRunner().invoke(cli, ["db", "init", url])
    assert 0 == done.exit_code, done.output
    with cg.open(url, create=False) as gov:
        assert gov.store.schema_status().up_to_date
