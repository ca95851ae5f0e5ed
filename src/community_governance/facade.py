"""The façade: ``community_governance.open(url)`` and the :class:`Governance` object."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING

import pendulum

from community_governance.errors import StorageError
from community_governance.plugins import Hooks, get_plugin_manager
from community_governance.services.crypto import PersonalDataCipher
from community_governance.services.denials import DenialLimits
from community_governance.storage import migrate
from community_governance.storage.base import Store

if TYPE_CHECKING:
    from community_governance.services.appointments import AppointmentsService
    from community_governance.services.audit import AuditService
    from community_governance.services.cases import CasesService
    from community_governance.services.charity import CharityService
    from community_governance.services.funds import FundsService
    from community_governance.services.grids import GridsService
    from community_governance.services.guide import GuideService
    from community_governance.services.points import PointsService
    from community_governance.services.privacy import PrivacyService
    from community_governance.services.registry import RegistryService
    from community_governance.services.supermarket import SupermarketService
    from community_governance.services.volunteers import VolunteersService

__all__ = ["Governance", "open"]


def _check_store(value: object) -> Store:
    if not isinstance(value, Store):
        raise TypeError(f"expected a Store, got {type(value).__name__}")
    return value


class Governance:
    """One county's governance data and rules: the services, over one store.

    Get one with :func:`community_governance.open`; use it as a context manager so that its
    connections are released.

    Attributes:
        store: the storage backend.
        hooks: checked access to the plugins' hooks.
        timezone: the county's zone, for "today" and for display (Asia/Shanghai by default).
        cipher: protection of personal data at rest.
    """

    def __init__(
        self,
        store: Store,
        hooks: Hooks,
        *,
        timezone: str = "Asia/Shanghai",
        clock: Callable[[], pendulum.DateTime] | None = None,
        cipher: PersonalDataCipher | None = None,
    ) -> None:
        self.store = store
        self.hooks = hooks
        self.timezone = pendulum.timezone(timezone)
        self._clock = clock
        self.cipher = cipher or PersonalDataCipher(None)
        #: how many refused attempts are written out per hour (the rest are counted); see
        #: :mod:`community_governance.services.denials`
        self.denial_limits = DenialLimits()

    def now(self) -> pendulum.DateTime:
        """The current time in UTC (from the clock given to ``open``, if any)."""
        now = self._clock() if self._clock is not None else pendulum.now("UTC")
        return now.in_timezone("UTC")

    @functools.cached_property
    def registry(self) -> RegistryService:
        """Units, buildings, households, residents, posts, party organizations, partners."""
        from community_governance.services.registry import RegistryService

        return RegistryService(self)

    @functools.cached_property
    def grids(self) -> GridsService:
        """Grids (网格): draw, redraw, check, staff."""
        from community_governance.services.grids import GridsService

        return GridsService(self)

    @functools.cached_property
    def volunteers(self) -> VolunteersService:
        """Volunteers (志愿者), organizations, training, activities and attendance."""
        from community_governance.services.volunteers import VolunteersService

        return VolunteersService(self)

    @functools.cached_property
    def points(self) -> PointsService:
        """The volunteer points journal (积分)."""
        from community_governance.services.points import PointsService

        return PointsService(self)

    @functools.cached_property
    def supermarket(self) -> SupermarketService:
        """The points supermarket (积分超市)."""
        from community_governance.services.supermarket import SupermarketService

        return SupermarketService(self)

    @functools.cached_property
    def charity(self) -> CharityService:
        """The charity supermarket (爱心超市)."""
        from community_governance.services.charity import CharityService

        return CharityService(self)

    @functools.cached_property
    def funds(self) -> FundsService:
        """Community funds (经费): double-entry ledger, budgets, disbursements, disclosure."""
        from community_governance.services.funds import FundsService

        return FundsService(self)

    @functools.cached_property
    def cases(self) -> CasesService:
        """Cases (事务): report, route, handle, escalate."""
        from community_governance.services.cases import CasesService

        return CasesService(self)

    @functools.cached_property
    def guide(self) -> GuideService:
        """The service guide (办事指南)."""
        from community_governance.services.guide import GuideService

        return GuideService(self)

    @functools.cached_property
    def appointments(self) -> AppointmentsService:
        """Service centres, appointments (预约办理), proxy handling and home visits."""
        from community_governance.services.appointments import AppointmentsService

        return AppointmentsService(self)

    @functools.cached_property
    def audit(self) -> AuditService:
        """The audit trail and the sensitive-data access log."""
        from community_governance.services.audit import AuditService

        return AuditService(self)

    @functools.cached_property
    def privacy(self) -> PrivacyService:
        """Residents' rights: own-data export, correction, erasure."""
        from community_governance.services.privacy import PrivacyService

        return PrivacyService(self)

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()

    def __enter__(self) -> Governance:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open(
    url: str = "memory://",
    plugins: Sequence[object] = (),
    *,
    timezone: str = "Asia/Shanghai",
    clock: Callable[[], pendulum.DateTime] | None = None,
    data_key: bytes | str | None = None,
    entrypoints: bool = True,
    create: bool = True,
) -> Governance:
    """Open a county's governance store.

    Args:
        url: ``memory://`` (in-process), ``sqlite:///path/to/county.db`` (add
            ``?synchronous=FULL`` for the strictest durability) or
            ``postgresql://user@host/db``; a plugin may serve other schemes.
        plugins: county plugins (modules or objects with ``@hookimpl`` functions), asked before
            the installed ones and the national defaults.
        timezone: the county's zone.
        clock: a function returning "now" (tests and simulations fix time with it).
        data_key: the county's secret for encrypting ID and phone numbers at rest.
        entrypoints: load plugins installed under the ``community_governance`` entry point.
        create: create the schema in an empty database (otherwise refuse it).

    Returns:
        A :class:`Governance`; use it as a context manager.

    Raises:
        SchemaVersionError: the database is older (run ``cgov db upgrade``) or newer than
            this library.
        PluginError: a plugin is broken.
        StorageError: no backend serves the URL, or it cannot be opened.
    """
    hooks = Hooks(get_plugin_manager(entrypoints=entrypoints, extra=plugins))
    store = hooks.first("cgov_storage_backend", _check_store, url=url)
    engine = getattr(store, "engine", None)
    if engine is not None and not url.startswith("memory://"):
        try:
            migrate.ensure_ready(engine, url, create=create)
        except Exception:
            store.close()
            raise
    elif engine is None:
        status = store.schema_status()
        if not status.up_to_date:
            raise StorageError(f"{url}: schema at {status.current!r}, needs {status.head!r}")
    return Governance(
        store, hooks, timezone=timezone, clock=clock, cipher=PersonalDataCipher(data_key)
    )
