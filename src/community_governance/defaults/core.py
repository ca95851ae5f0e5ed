"""National defaults: the built-in storage backends and the default resident checks."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from community_governance.domain.people import Resident
from community_governance.markers import hookimpl

if TYPE_CHECKING:  # the storage layer (SQLAlchemy) loads when a store is opened
    from community_governance.storage.base import Store

BUILTIN_SCHEMES = ("memory://", "sqlite:", "postgresql:", "postgres:", "postgresql+psycopg:")


@hookimpl(trylast=True)
def cgov_storage_backend(url: str) -> Store | None:
    """Serve memory://, sqlite: and postgresql: URLs with the SQLAlchemy Core store."""
    if not url.startswith(BUILTIN_SCHEMES):
        return None
    from community_governance.storage.sql import SqlStore

    return SqlStore.from_url(url)


@hookimpl(trylast=True)
def cgov_validate_resident(
    resident: Resident, today: dt.date, community_code: str | None
) -> list[str] | None:
    """National rule: a resident with an ID number must be born by ``today`` (checked by the
    ID validator already) and have a name."""
    if not resident.erased and not resident.name.strip():
        return ["a resident needs a name (姓名)"]
    return None
