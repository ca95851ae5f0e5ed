"""Exports of the registry and the look-up of existing keys for imports (导入导出)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import attrs
import sqlalchemy as sa

from community_governance.domain import actions as A
from community_governance.domain.access import Actor, Target
from community_governance.domain.cases import mask_name
from community_governance.domain.people import Household, Resident
from community_governance.domain.posts import HolderKind, Post
from community_governance.domain.units import UnitKind
from community_governance.errors import PermissionDenied, ValidationError
from community_governance.services.base import post_from_row
from community_governance.services.registry.common import _RegistryBase
from community_governance.storage.repos.bulk import chunks, streamed
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import core as t

__all__ = ["STREAM_BATCH", "ExistingKeys", "PostHolder"]

#: Rows fetched at a time by the streamed exports (:meth:`_Exports.iter_residents`...).
STREAM_BATCH = 2000


@attrs.frozen
class ExistingKeys:
    """What :meth:`RegistryService.existing_keys` found stored.

    Attributes:
        units: unit codes found, with their kinds.
        households: household keys found.
        residents: resident keys found.
        id_numbers: ID numbers registered already.
    """

    units: dict[str, UnitKind]
    households: frozenset[str]
    residents: frozenset[str]
    id_numbers: frozenset[str]


@attrs.frozen
class PostHolder:
    """A post (职务) with its holder's name, as :meth:`RegistryService.post_holders` exports it.

    Attributes:
        post: the post and its term.
        name: the holder's name, masked (``张*``) unless revealed; ``None`` for a resident
            whose personal data was erased.
    """

    post: Post
    name: str | None


def _within(code: str | None, unit: sa.ColumnElement[Any],
            grid: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """Rows under the unit ``code`` (a grid matches by the building's grid)."""
    if not code:
        return sa.true()
    if "-W" in code:
        return grid == code
    return unit.startswith(code, autoescape=True)


class _Exports(_RegistryBase):
    """Exports (导出) and the existing keys an import checks against."""

    def existing_keys(
        self, actor: Actor, *, unit_codes: Iterable[str] = (), household_ids: Iterable[str] = (),
        resident_ids: Iterable[str] = (), id_numbers: Iterable[str] = (),
    ) -> ExistingKeys:
        """Which of the given keys are stored already (for validating an import file).

        Args:
            actor: who asks (an import job or the staff member importing).
            unit_codes: unit codes (buildings included) to look up; their kinds are returned.
            household_ids: household keys to look up.
            resident_ids: resident keys to look up.
            id_numbers: normalised 18-character ID numbers to look up (by keyed hash; the
                answer says only whether each is registered).

        Returns:
            An :class:`ExistingKeys`.

        Raises:
            PermissionDenied: households, residents or ID numbers asked about by an actor who
                may register residents nowhere.
        """
        units_in = sorted(set(unit_codes))
        hh_in = sorted(set(household_ids))
        rid_in = sorted(set(resident_ids))
        numbers = sorted(set(id_numbers))
        cipher = self._gov.cipher
        by_hash = {cipher.lookup_hash(n): n for n in numbers}
        with self._svc._read(actor, "registry.existing_keys") as op:
            if (hh_in or rid_in or numbers) and op.scope(A.RESIDENT_WRITE).empty:
                raise PermissionDenied(str(actor), A.RESIDENT_WRITE.name, "the registry",
                                       "only those who may register residents may ask which "
                                       "households, residents or ID numbers are stored")
            conn = op.uow.conn
            kinds: dict[str, UnitKind] = {}
            for part in chunks(units_in):
                for r in conn.execute(sa.select(t.units.c.code, t.units.c.kind).where(
                        t.units.c.code.in_(part))):
                    kinds[r.code] = UnitKind(r.kind)
            households = _stored(conn, t.households.c.id, hh_in)
            residents = _stored(conn, t.residents.c.id, rid_in)
            taken = {by_hash[h] for h in _stored(conn, t.residents.c.id_hash, sorted(by_hash))}
        return ExistingKeys(units=kinds, households=frozenset(households),
                            residents=frozenset(residents), id_numbers=frozenset(taken))

    def export_households(self, actor: Actor, *, within: str | None = None) -> list[Household]:
        """Every household the actor may read, ordered by key (addresses, no personal data).

        Args:
            actor: who exports.
            within: only under this unit code (county, sub-district, community, grid or
                building).
        """
        with self._svc._read(actor, "registry.export_households") as op:
            q = (sa.select(t.households, t.buildings.c.grid_code)
                 .join(t.buildings, t.buildings.c.code == t.households.c.building_code)
                 .where(scope_clause(op.scope(A.RESIDENT_READ),
                                     unit=t.households.c.building_code,
                                     grid=t.buildings.c.grid_code)))
            q = q.where(_within(within, t.households.c.building_code, t.buildings.c.grid_code))
            rows = op.uow.conn.execute(q.order_by(t.households.c.id)).all()
        return [Household(r.id, r.building_code, r.door, r.registered_on) for r in rows]

    def iter_households(self, actor: Actor, *, within: str | None = None,
                        batch: int = STREAM_BATCH) -> Iterator[Household]:
        """:meth:`export_households` streamed: the households one at a time, fetched ``batch``
        at a time (a server-side cursor on PostgreSQL), in constant memory.

        The read transaction stays open until the iterator is exhausted or closed (use it in a
        ``for`` loop or close it); call nothing else on the same in-memory store meanwhile.
        """
        with self._svc._read(actor, "registry.export_households") as op:
            q = (sa.select(t.households, t.buildings.c.grid_code)
                 .join(t.buildings, t.buildings.c.code == t.households.c.building_code)
                 .where(scope_clause(op.scope(A.RESIDENT_READ),
                                     unit=t.households.c.building_code,
                                     grid=t.buildings.c.grid_code)))
            q = q.where(_within(within, t.households.c.building_code, t.buildings.c.grid_code))
            for r in streamed(op.uow.conn, q.order_by(t.households.c.id), batch):
                yield Household(r.id, r.building_code, r.door, r.registered_on)

    def export_residents(
        self, actor: Actor, *, reveal: bool = False, reason: str | None = None,
        within: str | None = None,
    ) -> list[Resident]:
        """Every resident the actor may read, for an export; masked unless revealed.

        ID and phone numbers come masked (first 4 and last 4 characters of an ID number) unless
        ``reveal`` is asked with a reason and the actor holds ``resident.read_id_number`` for
        every exported resident; then each revealed record is written to the access log (one
        row per resident, with the reason). Vulnerability flags are never exported.

        Args:
            actor: who exports.
            reveal: export full ID and phone numbers.
            reason: why (required with ``reveal``), kept in the access log.
            within: only under this unit code (county, sub-district, community, grid or
                building).

        Returns:
            The residents, ordered by key.

        Raises:
            ValidationError: ``reveal`` without a reason.
            PermissionDenied: ``reveal`` for a resident whose ID number the actor may not read;
                nothing is exported or logged.
        """
        if reveal and (not reason or not reason.strip()):
            raise ValidationError(
                "a full export of ID numbers needs a reason (why), for the access log",
                path="reason")
        with self._svc._read(actor, "registry.export_residents") as op:
            q = self._resident_query().where(scope_clause(
                op.scope(A.RESIDENT_READ), unit=t.households.c.building_code,
                grid=t.buildings.c.grid_code, resident=t.residents.c.id))
            q = q.where(_within(within, t.households.c.building_code, t.buildings.c.grid_code))
            rows = op.uow.conn.execute(q.order_by(t.residents.c.id)).all()
            if reveal:
                targets = [self._target(r) for r in rows]
                for target in targets:
                    op.require(A.RESIDENT_READ_ID, target)
                why = f"export: {reason.strip()}" if reason else "export"
                for target in targets:
                    op.log_access(A.RESIDENT_READ_ID, target, why)
            return [self._from_row(r, reveal=reveal, vulnerable=False) for r in rows]

    def post_holders(self, actor: Actor, *, within: str | None = None, reveal: bool = False,
                     reason: str | None = None) -> list[PostHolder]:
        """Every post (书记, 网格长, 楼院长...) with its holder's name, for an export.

        Names come masked (``张*``, as :func:`~community_governance.domain.cases.mask_name`
        masks them) unless ``reveal`` is asked with a reason. Revealing needs
        ``resident.read`` on every resident holder (and, for a staff holder, at the post's
        unit); each revealed holder is then written to the access log with the reason.

        Args:
            actor: who exports.
            within: only posts held at units whose code starts with this code.
            reveal: give full names.
            reason: why (required with ``reveal``), kept in the access log.

        Returns:
            The posts with their holders' names, ordered by unit code and post key.

        Raises:
            ValidationError: ``reveal`` without a reason.
            PermissionDenied: ``reveal`` of a holder the actor may not read; nothing is
                exported or logged.
        """
        if reveal and (not reason or not reason.strip()):
            raise ValidationError(
                "a full export of post holders' names needs a reason (why), for the access "
                "log", path="reason")
        q = sa.select(t.posts).order_by(t.posts.c.unit_code, t.posts.c.id)
        if within:
            q = q.where(t.posts.c.unit_code.startswith(within, autoescape=True))
        with self._svc._read(actor, "registry.post_holders") as op:
            conn = op.uow.conn
            posts = [post_from_row(r) for r in conn.execute(q)]
            rids = sorted({p.holder_id for p in posts if p.holder_kind is HolderKind.RESIDENT})
            sids = sorted({p.holder_id for p in posts if p.holder_kind is HolderKind.STAFF})
            residents = {r.id: r for part in chunks(rids) for r in conn.execute(
                self._resident_query().where(t.residents.c.id.in_(part)))}
            staff = {r.id: r.name for part in chunks(sids) for r in conn.execute(
                sa.select(t.staff.c.id, t.staff.c.name).where(t.staff.c.id.in_(part)))}
            if reveal:
                targets = [self._target(residents[p.holder_id])
                           if p.holder_kind is HolderKind.RESIDENT and p.holder_id in residents
                           else Target("post", p.id, unit_code=p.unit_code) for p in posts]
                for target in targets:
                    op.require(A.RESIDENT_READ, target)
                why = f"export of post holders: {reason.strip()}" if reason else "export"
                for target in dict.fromkeys(targets):
                    op.log_access(A.RESIDENT_READ, target, why)
            out = []
            for p in posts:
                if p.holder_kind is HolderKind.RESIDENT:
                    row = residents.get(p.holder_id)
                    name = None if row is None or row.erased else row.name
                else:
                    name = staff.get(p.holder_id)
                out.append(PostHolder(p, name if reveal else mask_name(name)))
        return out
    def iter_residents(self, actor: Actor, *, within: str | None = None,
                       batch: int = STREAM_BATCH) -> Iterator[Resident]:
        """:meth:`export_residents` streamed, masked: the residents the actor may read, ordered
        by key, one at a time, fetched ``batch`` at a time (a server-side cursor on
        PostgreSQL), so that a prefecture's registry is exported in constant memory.

        ID and phone numbers are always masked and vulnerability flags never given; a full
        export (``reveal``) checks and logs every resident before anything is written, so it
        goes through :meth:`export_residents`. The read transaction stays open until the
        iterator is exhausted or closed (use it in a ``for`` loop or close it); call nothing
        else on the same in-memory store meanwhile.

        Raises:
            ValidationError: ``batch`` is below 1.
        """
        if batch < 1:
            raise ValidationError(f"a batch holds at least one row, got {batch}", path="batch")
        with self._svc._read(actor, "registry.export_residents") as op:
            q = self._resident_query().where(scope_clause(
                op.scope(A.RESIDENT_READ), unit=t.households.c.building_code,
                grid=t.buildings.c.grid_code, resident=t.residents.c.id))
            q = q.where(_within(within, t.households.c.building_code, t.buildings.c.grid_code))
            for r in streamed(op.uow.conn, q.order_by(t.residents.c.id), batch):
                yield self._from_row(r, reveal=False, vulnerable=False)


def _stored(conn: sa.Connection, column: sa.Column[str], keys: list[str]) -> set[str]:
    """Which of ``keys`` are in ``column``: on PostgreSQL as one text parameter (split by the
    server) per 50,000 keys (an ``IN`` list of 900 costs more to render and plan than to run,
    and a file of 138,000 residents asks 450 of them), elsewhere in ``IN`` lists of 900."""
    if not keys:
        return set()
    if conn.dialect.name == "postgresql" and not any(_SEP in k for k in keys):
        wanted = sa.func.unnest(sa.func.string_to_array(sa.bindparam("keys", type_=sa.Text),
                                                        _SEP))
        q = sa.select(column).where(column.in_(sa.select(wanted).scalar_subquery()))
        return {r for part in chunks(keys, 50_000)
                for r in conn.execute(q, {"keys": _SEP.join(part)}).scalars().all()}
    return {r for part in chunks(keys) for r in conn.execute(
        sa.select(column).where(column.in_(part))).scalars().all()}


#: The separator of the keys sent as one text (the unit separator, never in a key of a file).
_SEP = "\x1f"
