"""The façade: ``community_governance.open(url)`` and the :class:`Governance` object."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING

import pendulum

from community_governance.errors import StorageError
from community_governance.plugins import Hooks, HookTiming, get_plugin_manager
from community_governance.services.crypto import PersonalDataCipher, check_sealing
from community_governance.services.denials import DenialLimits
from community_governance.storage import migrate
from community_governance.storage.base import Store

if TYPE_CHECKING:
    from community_governance.services.affairs import AffairsService
    from community_governance.services.appointments import AppointmentsService
    from community_governance.services.audit import AuditService
    from community_governance.services.care import CareService
    from community_governance.services.cases import CasesService
    from community_governance.services.charity import CharityService
    from community_governance.services.council import CouncilService
    from community_governance.services.culture import CultureService
    from community_governance.services.funds import FundsService
    from community_governance.services.grids import GridsService
    from community_governance.services.guide import GuideService
    from community_governance.services.market import MarketService
    from community_governance.services.orgs import OrgsService
    from community_governance.services.party import PartyService
    from community_governance.services.points import PointsService
    from community_governance.services.privacy import PrivacyService
    from community_governance.services.registry import RegistryService
    from community_governance.services.supermarket import SupermarketService
    from community_governance.services.tenders import TendersService
    from community_governance.services.tokens import TokensService
    from community_governance.services.verify import VerifyReport
    from community_governance.services.volunteers import VolunteersService

__all__ = ["Governance", "open"]

log = logging.getLogger(__name__)


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
        if self._clock is None:
            return pendulum.now(pendulum.UTC)  # in UTC already (no second conversion)
        return self._clock().in_timezone("UTC")

    def with_clock(self, clock: Callable[[], pendulum.DateTime]) -> Governance:
        """The same store, hooks and settings, read through another clock.

        For simulations, demos and back-dated imports that write "as of" moments they choose.
        The view shares this object's store: close only this object, not the view.

        Args:
            clock: a function returning "now" (converted to UTC).
        """
        return Governance(self.store, self.hooks, timezone=self.timezone.name, clock=clock,
                          cipher=self.cipher)

    @functools.cached_property
    def registry(self) -> RegistryService:
        """Units, buildings, households, residents, posts, party organizations, partners."""
        from community_governance.services.registry import RegistryService

        return RegistryService(self)

    @functools.cached_property
    def party(self) -> PartyService:
        """Party building (党建引领): the party tree, members, their public board, residents'
        evaluation of members (群众评议党员)."""
        from community_governance.services.party import PartyService

        return PartyService(self)

    @functools.cached_property
    def council(self) -> CouncilService:
        """The consultative council (协商议事会): members, topics, meetings, votes, decisions."""
        from community_governance.services.council import CouncilService

        return CouncilService(self)

    @functools.cached_property
    def market(self) -> MarketService:
        """Market actors (市场主体), owners' committees, the 三供一业 handover, free and paid
        services, sponsorship and donation agreements."""
        from community_governance.services.market import MarketService

        return MarketService(self)

    @functools.cached_property
    def affairs(self) -> AffairsService:
        """Community-affairs disclosure (社区事务公开): decisions, progress, minutes,
        evaluation results, notices, with acknowledgements and objections."""
        from community_governance.services.affairs import AffairsService

        return AffairsService(self)

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
    def orgs(self) -> OrgsService:
        """Social organizations (社会组织): incubation, admission, evaluation, supervision."""
        from community_governance.services.orgs import OrgsService

        return OrgsService(self)

    @functools.cached_property
    def tenders(self) -> TendersService:
        """Government purchase of services (政府购买服务): needs, tenders, bids, awards,
        contracts, payments through the funds ledger, disclosure and OCDS."""
        from community_governance.services.tenders import TendersService

        return TendersService(self)

    @functools.cached_property
    def care(self) -> CareService:
        """Care for vulnerable residents (关爱困难群众): needs, cadres, visits, reports."""
        from community_governance.services.care import CareService

        return CareService(self)

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
    def culture(self) -> CultureService:
        """Culture and sports groups (文体组织): members, events, volunteer conversion."""
        from community_governance.services.culture import CultureService

        return CultureService(self)

    @functools.cached_property
    def tokens(self) -> TokensService:
        """The HTTP API's bearer tokens (接口令牌): issue, list, revoke, authenticate."""
        from community_governance.services.tokens import TokensService

        return TokensService(self)

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

    def verify(self) -> VerifyReport:
        """Recompute every ledger from its journal and check every hash chain, as the system
        job ``verify`` (read-only; see :meth:`AuditService.verify`)."""
        from community_governance.domain.access import Actor

        return self.audit.verify(Actor.system("verify"))

    def close(self) -> None:
        """Save the hook timings of this object (``plugin_timings``), release the store's
        connections."""
        try:
            self.save_plugin_timings()
        finally:
            self.store.close()

    def save_plugin_timings(self) -> int:
        """Add the hook calls timed since the last save to the store's ``plugin_timings``
        (shown by ``cgov plugins list --timings --db URL``); returns how many rows changed.

        A store that cannot take them (no SQL engine, a read-only database) is skipped with a
        logged warning: timings never stop the work.
        """
        rows = self.hooks.unsaved_timings()
        if not rows or getattr(self.store, "engine", None) is None:
            return 0
        import sqlalchemy as sa

        from community_governance.storage.tables.plugins import plugin_timings as pt

        try:
            with self.store.unit_of_work(write=True) as uow:
                now = self.now()
                for r in rows:
                    got = uow.conn.execute(sa.select(pt).where(
                        pt.c.hook == r.hook, pt.c.plugin == r.plugin[:200])).first()
                    if got is None:
                        uow.conn.execute(pt.insert().values(
                            hook=r.hook, plugin=r.plugin[:200], calls=r.calls,
                            total_ms=r.total_ms, max_ms=r.max_ms, slow=r.slow, updated_at=now))
                    else:
                        uow.conn.execute(pt.update().where(
                            pt.c.hook == r.hook, pt.c.plugin == r.plugin[:200]).values(
                            calls=pt.c.calls + r.calls, total_ms=pt.c.total_ms + r.total_ms,
                            max_ms=max(float(got.max_ms), r.max_ms), slow=pt.c.slow + r.slow,
                            updated_at=now))
                uow.commit()
        except Exception as exc:
            log.warning("plugin timings were not saved: %s", exc)
            return 0
        return len(rows)

    def plugin_timings(self) -> list[HookTiming]:
        """The saved hook timings of every process that used the store, with this object's
        unsaved ones added, slowest total first."""
        self.save_plugin_timings()
        import sqlalchemy as sa

        from community_governance.storage.tables.plugins import plugin_timings as pt

        with self.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(sa.select(pt)).all()
        out = [HookTiming(r.hook, r.plugin, int(r.calls), float(r.total_ms), float(r.max_ms),
                          int(r.slow)) for r in rows]
        return sorted(out, key=lambda t: (-t.total_ms, t.hook, t.plugin))

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
    slow_hook_ms: float | None = None,
    trace_plugins: bool | None = None,
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
        data_key: the county's secret for encrypting ID and phone numbers at rest. The first
            open with a key records the key's fingerprint in the database (sealing it); from
            then on it opens only with that key.
        entrypoints: load plugins installed under the ``community_governance`` entry point.
        create: create the schema in an empty database (otherwise refuse it).
        slow_hook_ms: log a warning for every hook call slower than this many milliseconds
            (default: the environment variable ``CGOV_SLOW_HOOK_MS``, else 200).
        trace_plugins: log every hook call (default: ``CGOV_TRACE_PLUGINS=1``).

    Returns:
        A :class:`Governance`; use it as a context manager.

    Raises:
        SchemaVersionError: the database is older (run ``cgov db upgrade``) or newer than
            this library.
        PluginError: a plugin is broken, a plugin's scope (``cgov_plugin_scope``) is not a
            list of unit-code prefixes, or two plugins of the same scope conflict (both
            named).
        StorageError: no backend serves the URL, or it cannot be opened.
        DataKeyError: the database is sealed and ``data_key`` is missing or another key.
    """
    hooks = Hooks(get_plugin_manager(entrypoints=entrypoints, extra=plugins),
                  slow_hook_ms=slow_hook_ms, trace=trace_plugins)
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
    cipher = PersonalDataCipher(data_key)
    if engine is not None:
        try:
            check_sealing(engine, url, cipher)
        except Exception:
            store.close()
            raise
    return Governance(store, hooks, timezone=timezone, clock=clock, cipher=cipher)
