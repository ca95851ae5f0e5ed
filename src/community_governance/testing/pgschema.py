"""A throwaway PostgreSQL schema for a test or a benchmark (no pytest needed)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

__all__ = ["postgres_schema"]


@contextlib.contextmanager
def postgres_schema(url: str, prefix: str = "cgov") -> Iterator[str]:
    """A fresh, empty schema on the PostgreSQL server at ``url``, dropped afterwards.

    Args:
        url: a PostgreSQL URL the library opens (``postgresql://user@host/db``).
        prefix: the start of the schema's name (a random suffix follows).

    Yields:
        ``url`` with ``search_path`` set to the schema: open it as any database URL.
    """
    import sqlalchemy as sa

    from community_governance.storage.sql import engine_for_url

    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"

    def run(sql: str) -> None:
        engine = engine_for_url(url)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(sql))
        finally:
            engine.dispose()

    run(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        run(f'DROP SCHEMA "{schema}" CASCADE')
