"""``cgov db``: create a database (``init``, the only command besides the demos that does),
upgrade its schema, show its revision."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from community_governance.cli import (
    data_key,
    echo_json,
    json_option,
    require_database,
    sqlite_path,
    storage_errors,
)
from community_governance.errors import CgovError, ConflictError, StorageError

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
        """Database: create (init), upgrade, status."""

    @db.command()
    @click.argument("url")
    @click.option("--generate-key", "generate_key", default=None,
                  type=click.Path(dir_okay=False, path_type=Path),
                  help="write a new data key to this file (owner-only, 0600; never "
                       "overwritten) and seal the database with it")
    @click.option("--key-file", default=None, envvar="CGOV_KEY_FILE",
                  type=click.Path(dir_okay=False, path_type=Path),
                  help="seal the database with the key in this existing file (default: "
                       "CGOV_KEY_FILE, else CGOV_KEY)")
    @json_option
    def init(url: str, generate_key: Path | None, key_file: Path | None,
             as_json: bool) -> None:
        """Create a new, empty database at URL at this library's schema.

        With --generate-key PATH (or --key-file, CGOV_KEY_FILE, CGOV_KEY) the database is
        sealed: ID and phone numbers are stored encrypted, and every later command must give
        the same key. Refuses a database that exists (use cgov db upgrade) and a key file that
        exists; in both cases nothing is written.
        """
        from community_governance.cli import open_db
        from community_governance.services.crypto import write_key_file

        if generate_key is not None and key_file is not None:
            given = click.get_current_context().get_parameter_source("key_file")
            if given is click.core.ParameterSource.COMMANDLINE:
                raise click.UsageError("give --generate-key (a new key) or --key-file (an "
                                       "existing one), not both")
            key_file = None  # CGOV_KEY_FILE of the environment yields to the new key
        path = sqlite_path(url)
        if path is not None and path.exists():
            raise ConflictError(f"{path} exists: cgov db init creates new databases only; "
                                f"to bring it to this library's schema run: cgov db upgrade "
                                f"{url}")
        if path is not None and not path.parent.is_dir():
            raise StorageError(f"cannot create {path}: the folder {path.parent} does not "
                               "exist; create it first")
        if path is None and not url.startswith("memory:"):
            with storage_errors(url):
                store = _store(url)
                try:
                    if store.schema_status().current is not None:
                        raise ConflictError(f"{url} already holds a community-governance "
                                            "database; run cgov db upgrade on it instead")
                finally:
                    store.close()
        key: str | None
        if generate_key is not None:
            key = write_key_file(generate_key)
            source = f"new key written to {generate_key} (mode 0600): keep it safe and apart " \
                     "from the database's backups"
        else:
            key, source = data_key(key_file)  # the file given, else CGOV_KEY
            if key is None:
                source = "no key: ID and phone numbers are stored as typed"
        try:
            with open_db(url, create=True, data_key=key) as gov:
                st = gov.store.schema_status()
                fingerprint = gov.cipher.fingerprint
        except BaseException:
            if generate_key is not None:
                generate_key.unlink(missing_ok=True)  # nothing is left behind
            if path is not None:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            raise
        out = {"url": url, "revision": st.current, "sealed": fingerprint is not None,
               "key_fingerprint": fingerprint,
               "key_file": str(generate_key or key_file) if (generate_key or key_file) else None}
        if as_json:
            echo_json(out)
        else:
            click.echo(f"created {url} at schema revision {st.current}")
            click.echo(("sealed (key fingerprint " + fingerprint + "); " if fingerprint
                        else "not sealed; ") + source, err=True)

    @db.command()
    @click.argument("url")
    @json_option
    def upgrade(url: str, as_json: bool) -> None:
        """Upgrade the existing database at URL to this library's schema."""
        require_database(url)
        with storage_errors(url):
            store = _store(url)
            try:
                store.upgrade()
                st = store.schema_status()
            finally:
                store.close()
        if not st.up_to_date:
            raise CgovError(f"{url} is at {st.current}, expected {st.head}")
        if as_json:
            echo_json({"url": url, "revision": st.current, "head": st.head})
        else:
            click.echo(f"{url}: schema at revision {st.current} (newest)")

    @db.command()
    @click.argument("url")
    @json_option
    def status(url: str, as_json: bool) -> None:
        """Show the schema revision of the database at URL."""
        require_database(url)
        with storage_errors(url):
            store = _store(url)
            try:
                st = store.schema_status()
            finally:
                store.close()
        state = "up to date" if st.up_to_date else ("unknown (newer?)" if not st.known
                                                    else "needs upgrade")
        if as_json:
            echo_json({"url": url, "current": st.current, "head": st.head, "state": state})
        else:
            click.echo(f"current={st.current} head={st.head} {state}")
