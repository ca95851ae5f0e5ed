"""``cgov db``: schema migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from community_governance.errors import CgovError

if TYPE_CHECKING:
    from community_governance.storage.base import Store


def _store(url: str) -> Store:
    """The storage backend that serves ``url`` (through ``cgov_storage_backend``)."""
    from community_governance.facade import _check_store
    from community_governance.plugins import Hooks, get_plugin_manager

    return Hooks(get_plugin_manager()).first("cgov_storage_backend", _check_store, url=url)


def register(cli: click.Group) -> None:
    """Add the ``db`` group."""

    @cli.group()
    def db() -> None:
        """Database schema: create and upgrade."""

    @db.command()
    @click.argument("url")
    def upgrade(url: str) -> None:
        """Create or upgrade the database at URL to this library's schema."""
        store = _store(url)
        try:
            store.upgrade()
            st = store.schema_status()
        finally:
            store.close()
        if not st.up_to_date:
            raise CgovError(f"{url} is at {st.current}, expected {st.head}")
        click.echo(f"{url}: schema at revision {st.current} (newest)")

    @db.command()
    @click.argument("url")
    def status(url: str) -> None:
        """Show the schema revision of the database at URL."""
        store = _store(url)
        try:
            st = store.schema_status()
        finally:
            store.close()
        state = "up to date" if st.up_to_date else ("unknown (newer?)" if not st.known
                                                    else "needs upgrade")
        click.echo(f"current={st.current} head={st.head} {state}")
