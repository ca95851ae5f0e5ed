"""Schema migrations: the scripts and the table definitions agree; old and new are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import community_governance as cg
from community_governance.storage import migrate
from community_governance.storage.tables import load_all, metadata


def _upgrade_by_scripts(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        command.upgrade(migrate.alembic_config(conn), "head")


def test_migration_scripts_build_the_same_schema_as_the_tables(tmp_path: Path) -> None:
    """Running every migration from empty gives exactly the schema the tables define."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    _upgrade_by_scripts(engine)
    load_all()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [] == diff


def test_migration_scripts_match_on_postgres(postgres_url: str) -> None:
    """The same holds on PostgreSQL."""
    from community_governance.storage.sql import engine_for_url

    engine = engine_for_url(postgres_url)
    _upgrade_by_scripts(engine)
    load_all()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert [] == diff


def test_refuses_a_database_from_a_newer_version(tmp_path: Path) -> None:
    """Refuses to open a database stamped with an unknown (newer) revision."""
    url = f"sqlite:///{tmp_path / 'new.db'}"
    cg.open(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(cg.SchemaVersionError, match="newer version"):
        cg.open(url)


def test_refuses_an_old_database_and_names_the_upgrade_command(tmp_path: Path) -> None:
    """Refuses a database at an older revision and says to run cgov db upgrade."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        command.upgrade(migrate.alembic_config(conn), "0001")
    if migrate.head() == "0001":
        pytest.skip("only one revision exists")
    with pytest.raises(cg.SchemaVersionError, match="cgov db upgrade"):
        cg.open(url)
    migrate.upgrade(engine)
    cg.open(url).close()


def test_creates_a_fresh_database_at_head(tmp_path: Path) -> None:
    """Creates an empty database at the newest revision on open."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    with cg.open(url) as gov:
        assert gov.store.schema_status().up_to_date
