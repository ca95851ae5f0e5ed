"""Schema migrations with Alembic.

A new, empty database is created from the table definitions and stamped at the newest
revision (Alembic's recommended path for fresh databases); an existing one is moved forward by
the migration scripts in ``storage/migrations/versions`` (``cgov db upgrade URL``). A test
checks that the migrations and the table definitions describe the same schema.

Opening a database only reads its revision and compares it with the scripts' newest, so that
path does not import Alembic (about half a second of every command's start): the revisions are
read from the scripts' ``revision = ...`` / ``down_revision = ...`` lines (:func:`revisions`; a
test checks they agree with Alembic's own reading), the revision from the ``alembic_version``
table, and a fresh database is stamped by writing that table as ``alembic stamp`` does.
Alembic itself runs only to upgrade.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from community_governance.errors import SchemaVersionError
from community_governance.storage.base import SchemaStatus
from community_governance.storage.tables import load_all, metadata

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["alembic_config", "create_fresh", "ensure_ready", "head", "revisions", "status",
           "upgrade"]

MIGRATIONS = Path(__file__).parent / "migrations"

#: the table (and its key) where Alembic keeps a database's revision
_VERSION_TABLE = sa.Table(
    "alembic_version", sa.MetaData(),
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)
_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic ``Config`` pointing at the library's migrations."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def revisions() -> tuple[str, frozenset[str]]:
    """The newest revision and every revision of the migration scripts, read from their
    ``revision`` and ``down_revision`` lines (one line of history: each script names the
    one before it)."""
    down: dict[str, str | None] = {}
    for script in sorted((MIGRATIONS / "versions").glob("*.py")):
        found = dict(_LINE.findall(script.read_text(encoding="utf-8")))
        if "revision" not in found:
            continue  # __init__.py
        rev = found["revision"].strip("\"'")
        before = found.get("down_revision", "None").strip("\"'")
        down[rev] = None if before == "None" else before
    pointed = {d for d in down.values() if d is not None}
    heads = [r for r in down if r not in pointed]
    if len(heads) != 1:
        raise RuntimeError(f"the migration scripts have {len(heads)} heads ({heads}); "
                           "each script's down_revision must name the one before it")
    return heads[0], frozenset(down)


def head() -> str:
    """The newest revision this library knows."""
    return revisions()[0]


def _current(conn: sa.Connection) -> str | None:
    """The database's revision (``None`` when it has none), as Alembic reads it."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    found = conn.execute(sa.select(_VERSION_TABLE.c.version_num)).scalars().all()
    if len(found) > 1:
        raise SchemaVersionError(f"the database names {len(found)} schema revisions "
                                 f"({', '.join(found)}); it was damaged, or written by a "
                                 "branch of the migrations this library does not have")
    return found[0] if found else None


def status(engine: sa.Engine) -> SchemaStatus:
    """Read the database's revision."""
    with engine.connect() as conn:
        current = _current(conn)
    newest, known = revisions()
    return SchemaStatus(current, newest, current is None or current in known)


def _is_empty(engine: sa.Engine) -> bool:
    return not sa.inspect(engine).get_table_names()


def create_fresh(engine: sa.Engine) -> None:
    """Create every table in an empty database and stamp it at the head revision (the
    ``alembic_version`` table ``alembic stamp head`` writes)."""
    load_all()
    with engine.begin() as conn:
        metadata.create_all(conn, checkfirst=False)  # the caller found it empty
        _VERSION_TABLE.create(conn)
        conn.execute(_VERSION_TABLE.insert().values(version_num=head()))


def upgrade(engine: sa.Engine) -> None:
    """Bring a database to the head revision (creating it when it is empty)."""
    if _is_empty(engine):
        create_fresh(engine)
        return
    st = status(engine)
    if not st.known:
        raise _newer(st)
    from alembic import command

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
