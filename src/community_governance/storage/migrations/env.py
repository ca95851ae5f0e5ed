"""Alembic environment: runs on the connection the library hands over."""

from __future__ import annotations

from alembic import context

from community_governance.storage.tables import load_all, metadata

load_all()
config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - the library always passes a connection
    raise RuntimeError("run migrations through community_governance.storage.migrate")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    include_object=config.attributes.get("include_object"),
)
with context.begin_transaction():
    context.run_migrations()
