"""The shared ``MetaData``, naming convention and column helpers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored as naive UTC and read back as an aware UTC ``datetime``."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValueError(f"timestamps must be timezone-aware, got {value!r}")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC)


def append_only_ddl(table: str) -> dict[str, list[str]]:
    """DDL per dialect that makes the database itself refuse UPDATE and DELETE on ``table``."""
    msg = f"{table} is append-only: write a correcting entry instead of editing"
    return {
        "sqlite": [
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{msg}'); END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{msg}'); END",
        ],
        "postgresql": [
            "CREATE OR REPLACE FUNCTION cgov_append_only() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION '% is append-only: write a correcting entry instead of editing', "
            "TG_TABLE_NAME; END; $$ LANGUAGE plpgsql",
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION cgov_append_only()",
        ],
    }


#: names of the tables whose rows may never be updated or deleted
APPEND_ONLY: set[str] = set()


def make_append_only(table: sa.Table) -> None:
    """Attach the append-only triggers to ``table`` for ``metadata.create_all``."""
    APPEND_ONLY.add(table.name)
    for dialect, statements in append_only_ddl(table.name).items():
        for stmt in statements:
            ddl = sa.DDL(stmt.replace("%", "%%")).execute_if(dialect=dialect)  # type: ignore[no-untyped-call]
            event.listen(table, "after_create", ddl)
