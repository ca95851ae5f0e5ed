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


def test_the_revisions_read_without_alembic_are_alembics(tmp_path: Path) -> None:
    """``migrate.revisions`` (read from the scripts' lines, so opening a database need not
    import Alembic) gives Alembic's head and revisions, and a fresh database is stamped
    exactly as ``alembic stamp head`` stamps one."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    newest, known = migrate.revisions()
    assert newest == scripts.get_current_head()
    assert known == {s.revision for s in scripts.walk_revisions()}
    url = f"sqlite:///{tmp_path / 'stamped.db'}"
    cg.open(url).close()
    with sa.create_engine(url).connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == newest
        ours = [(c["name"], str(c["type"]), c["nullable"])
                for c in sa.inspect(conn).get_columns("alembic_version")]
        pk = sa.inspect(conn).get_pk_constraint("alembic_version")
    theirs_engine = sa.create_engine(f"sqlite:///{tmp_path / 'theirs.db'}")
    with theirs_engine.begin() as conn:
        command.stamp(migrate.alembic_config(conn), "head")
    with theirs_engine.connect() as conn:
        assert ours == [(c["name"], str(c["type"]), c["nullable"])
                        for c in sa.inspect(conn).get_columns("alembic_version")]
        assert pk == sa.inspect(conn).get_pk_constraint("alembic_version")


def test_a_database_naming_two_revisions_is_refused(tmp_path: Path) -> None:
    """Two rows in ``alembic_version`` (branches this library does not have) are refused
    with the revisions named, not read as one of them."""
    url = f"sqlite:///{tmp_path / 'two.db'}"
    cg.open(url).close()
    with sa.create_engine(url).begin() as conn:
        conn.execute(sa.text("INSERT INTO alembic_version VALUES ('0001')"))
    with pytest.raises(cg.SchemaVersionError, match="2 schema revisions"):
        cg.open(url)


def test_0011_rebuilds_the_journal_with_its_rows_links_and_triggers(tmp_path: Path) -> None:
    """Migration 0011 (fewer index pages per entry) keeps every entry, id and hash, the
    redemptions and reversals that name entries, the append-only triggers and one reversal per
    entry, down to 0009 and up again on SQLite."""
    from community_governance.domain.access import Actor
    from community_governance.testing.city import build_small_city

    system = Actor.system("t")
    url = f"sqlite:///{tmp_path / 'm.db'}"
    with cg.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
        a = city.all_residents()[0]
        gov.points.earn(system, a, 40, key="e1")
        item = gov.supermarket.add_item(system, city.communities[0], "食用油", 15, stock=2)
        red = gov.supermarket.redeem(Actor.resident(a), a, item.id, 1, key="r1")
        gov.points.reverse(system, red.entry.id, key="rev", reason="退货")
        before = [(e.id, e.kind, e.amount) for e in gov.points.entries(system)]
    from community_governance.storage.sql import engine_for_url

    engine = engine_for_url(url)  # foreign keys on, as the library migrates
    for target in ("0009", "head"):
        with engine.begin() as conn:
            cfg = migrate.alembic_config(conn)
            (command.downgrade if target == "0009" else command.upgrade)(cfg, target)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            triggers = conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                "tbl_name = 'points_entries'").scalars().all()
            assert sorted(triggers) == ["points_entries_no_delete", "points_entries_no_update"]
    engine.dispose()
    with cg.open(url, entrypoints=False) as gov:
        assert [(e.id, e.kind, e.amount) for e in gov.points.entries(system)] == before
        assert gov.verify().ok
        with pytest.raises(cg.ConflictError):
            gov.points.reverse(system, red.entry.id, key="rev2", reason="again")
        with gov.store.unit_of_work(write=True) as uow, pytest.raises(sa.exc.IntegrityError):
            uow.conn.exec_driver_sql(
                "INSERT INTO points_entries (resident_id, kind, amount, balance_after, at, day, "
                "month, idempotency_key, request, reverses_id, actor) SELECT resident_id, "
                "'reverse', 1, 1, at, day, month, 'dup', 'x', reverses_id, actor FROM "
                "points_entries WHERE reverses_id IS NOT NULL")
        with gov.store.unit_of_work(write=True) as uow, pytest.raises(sa.exc.DatabaseError):
            uow.conn.exec_driver_sql("DELETE FROM points_entries")


def _name_index_round_trip(engine: sa.Engine) -> None:
    """0024 adds ``ix_residents_name``, its downgrade drops it, the upgrade adds it again."""
    def names() -> list[str]:
        with engine.connect() as conn:
            return [i["name"] for i in sa.inspect(conn).get_indexes("residents")]

    for target, present in (("0024", True), ("0023", False), ("head", True)):
        with engine.begin() as conn:
            cfg = migrate.alembic_config(conn)
            (command.downgrade if target == "0023" else command.upgrade)(cfg, target)
        assert ("ix_residents_name" in names()) is present, target
    load_all()
    with engine.connect() as conn:
        assert [] == compare_metadata(MigrationContext.configure(conn), metadata)


def test_0024_adds_and_drops_the_residents_name_index(tmp_path: Path) -> None:
    """0024 both ways on SQLite."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    _name_index_round_trip(engine)
    engine.dispose()


def test_0024_adds_and_drops_the_residents_name_index_on_postgres(postgres_url: str) -> None:
    """0024 both ways on PostgreSQL, the index in byte order (``text_pattern_ops``)."""
    from community_governance.storage.sql import engine_for_url

    engine = engine_for_url(postgres_url)
    _name_index_round_trip(engine)
    with engine.connect() as conn:
        ddl = conn.exec_driver_sql("SELECT indexdef FROM pg_indexes WHERE indexname = "
                                   "'ix_residents_name' AND schemaname = current_schema()"
                                   ).scalar_one()
    engine.dispose()
    assert "text_pattern_ops" in ddl
