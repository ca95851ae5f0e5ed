"""What a service needs from its caller: the narrow :class:`Context` (not the façade).

The services depend on this protocol only, so that the layers point one way: the façade
(:class:`community_governance.Governance`) satisfies it and builds the services; the services
never import the façade.
"""

from __future__ import annotations

from typing import Protocol

import pendulum

from community_governance.plugins import Hooks
from community_governance.services.crypto import PersonalDataCipher
from community_governance.storage.base import Store

__all__ = ["Context"]


class Context(Protocol):
    """The store, the hooks, the clock and the settings one service operation runs with.

    Attributes:
        store: the storage backend (units of work).
        hooks: checked access to the plugins' hooks.
        timezone: the county's zone, for "today" and for display.
        cipher: protection of personal data at rest.
    """

    @property
    def store(self) -> Store:
        """The storage backend."""
        ...

    @property
    def hooks(self) -> Hooks:
        """The plugins' hooks."""
        ...

    @property
    def cipher(self) -> PersonalDataCipher:
        """Protection of personal data at rest."""
        ...

    @property
    def timezone(self) -> pendulum.Timezone | pendulum.FixedTimezone:
        """The county's zone."""
        ...

    def now(self) -> pendulum.DateTime:
        """The current time in UTC."""
        ...
