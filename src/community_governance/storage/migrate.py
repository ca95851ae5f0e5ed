"""Schema migrations with Alembic.

A new, empty database is created from the table definitions and stamped at the newest
revision (Alembic's recommended path for fresh databases); an existing one is moved forward by
the migration scripts in ``storage/migrations/versions`` (``cgov db upgrade URL``). A test
checks that the migrations and the table definitions describe the same schema.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from community_governance.errors import SchemaVersionError
from community_governance.storage.base import SchemaStatus
from community_governance.storage.tables import load_all, metadata

__all__ = ["alembic_config", "create_fresh", "ensure_ready", "head", "status", "upgrade"]

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic ``Config`` pointing at the library's migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _head(scripts: ScriptDirectory) -> str:
    rev = scripts.get_current_head()
    assert rev is not None
    return rev


def head() -> str:
    """The newest revision this library knows."""
    return _head(ScriptDirectory.from_config(alembic_config()))


def status(engine: sa.Engine) -> SchemaStatus:
    """Read the database's revision."""
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    scripts = ScriptDirectory.from_config(alembic_config())  # read the scripts once
    known = current is None or current in {s.revision for s in scripts.walk_revisions()}
    return SchemaStatus(current, _head(scripts), known)


def _is_empty(engine: sa.Engine) -> bool:
    return not sa.inspect(engine).get_table_names()


def create_fresh(engine: sa.Engine) -> None:
    """Create every table in an empty database and stamp it at the head revision."""
    load_all()
    with engine.begin() as conn:
        metadata.create_all(conn)
        command.stamp(alembic_config(conn), "head")


def upgrade(engine: sa.Engine) -> None:
    """Bring a database to the head revision (creating it when it is empty)."""
    if _is_empty(engine):
        create_fresh(engine)
        return
    st = status(engine)
    if not st.known:
        raise _newer(st)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")


def _newer(st: SchemaStatus) -> SchemaVersionError:
    return SchemaVersionError(
        f"the database is at schema revision {st.current!r}, which this version of "
        f"community-governance does not know (its newest is {st.head!r}): it was written by a "
        "newer version; upgrade the library (pip install -U community-governance)"
    )


def ensure_ready(engine: sa.Engine, url: str, *, create: bool = True) -> None:
    """Check the schema at ``open()``: create an empty database, refuse old and newer ones."""
    if _is_empty(engine):
        if not create:
            raise SchemaVersionError(f"{url} holds no tables: it is not a community-governance "
                                     f"database yet; create one with: cgov db init {url}")
        create_fresh(engine)
        return
    st = status(engine)
    if not st.known:
        raise _newer(st)
    if st.current is None:
        raise SchemaVersionError(
            f"{url} has tables but no schema revision: it is not a community-governance "
            "database, or it was damaged; open another file"
        )
    if not st.up_to_date:
        raise SchemaVersionError(
            f"{url} is at schema revision {st.current!r} and this library needs {st.head!r}; "
            f"back the database up, then run: cgov db upgrade {url}"
        )
