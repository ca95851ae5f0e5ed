"""What the registry's parts share: the service, its inserts and resident rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain.access import Target
from community_governance.domain.idnumber import IdNumber, mask_id_number, mask_phone
from community_governance.domain.people import Relation, Resident, Vulnerability
from community_governance.domain.units import UnitKind
from community_governance.errors import ConflictError, ValidationError
from community_governance.plugins import Hooks, expect_str_list
from community_governance.services.base import Operation, Service
from community_governance.services.crypto import PersonalDataCipher
from community_governance.storage.repos.bulk import insert_rows
from community_governance.storage.tables import core as t


def resident_query() -> sa.Select[Any]:
    """Residents with their building and grid (outer joins: a resident who moved away has none)."""
    return (sa.select(t.residents, t.households.c.building_code, t.buildings.c.grid_code)
            .outerjoin(t.households, t.households.c.id == t.residents.c.household_id)
            .outerjoin(t.buildings, t.buildings.c.code == t.households.c.building_code))


def resident_target(r: Any) -> Target:
    """The permission target of a row of :func:`resident_query`."""
    return Target("resident", r.id, r.building_code, r.grid_code, owner_id=r.id)


def resident_from_row(
    cipher: PersonalDataCipher, r: Any, *, reveal: bool, vulnerable: bool
) -> Resident:
    """A :class:`Resident` from a row of :func:`resident_query`.

    Args:
        cipher: opens the stored ID and phone numbers.
        r: the row.
        reveal: give the ID and phone numbers in full (otherwise masked).
        vulnerable: include the vulnerability flags (otherwise empty).
    """
    idn: IdNumber | None = None
    if r.id_number is not None:
        number = cipher.open(r.id_number)
        assert number is not None
        # masked at once (what IdNumber.hidden gives), not built twice: exports run this
        # once per resident
        idn = IdNumber(number if reveal else mask_id_number(number), r.region_code, None,
                       r.birth_date, r.sex, tuple(w for w in r.warnings.split("\n") if w),
                       revealed=reveal)
    phone = cipher.open(r.phone)
    if phone and not reveal:
        phone = mask_phone(phone)
    vul = frozenset(Vulnerability(v) for v in r.vulnerabilities.split(",") if v) \
        if vulnerable else frozenset()
    return Resident(r.id, r.name, idn, r.household_id, Relation(r.relation), phone, vul,
                    r.party_member, r.erased)


def check_resident(hooks: Hooks, res: Resident, today: dt.date, path: str,
                   community: str | None) -> None:
    """Ask every ``cgov_validate_resident`` implementation serving ``community`` (the
    community of the resident's household) about ``res``.

    Raises:
        ValidationError: a plugin named problems (all of them, joined, at ``path``).
        PluginError: a plugin broke.
    """
    problems = [p for _, answer in hooks.all(
        "cgov_validate_resident", expect_str_list, place=community, resident=res, today=today,
        community_code=community) for p in answer]
    if problems:
        raise ValidationError("; ".join(problems), path=path)


class _RegistryBase:
    """The helpers shared by the parts of :class:`RegistryService` (居民电子档案).

    Each part is a subclass; ``RegistryService`` combines them.
    """

    def __init__(self, gov: Any) -> None:
        self._svc = Service(gov)
        self._gov = gov

    def _kind_of(
        self, op: Operation, code: str, memo: dict[str, UnitKind | None] | None = None
    ) -> UnitKind | None:
        """The kind of the unit ``code`` (``None`` if not stored), remembered in ``memo``."""
        if memo is not None and code in memo:
            return memo[code]
        kind = op.uow.conn.execute(
            sa.select(t.units.c.kind).where(t.units.c.code == code)
        ).scalar_one_or_none()
        got = UnitKind(kind) if kind is not None else None
        if memo is not None:
            memo[code] = got
        return got

    def _insert(
        self, op: Operation, table: sa.Table, rows: list[dict[str, Any]], what: str
    ) -> None:
        if not rows:
            return
        try:
            # PostgreSQL: a large batch is copied (COPY) in the same transaction
            insert_rows(op.uow.conn, table, rows)
        except IntegrityError as exc:
            raise ConflictError(
                f"a {what} could not be written: it exists already or refers to a missing "
                f"record ({exc.orig})"
            ) from None

    _resident_query = staticmethod(resident_query)

    def _from_row(self, r: Any, *, reveal: bool, vulnerable: bool) -> Resident:
        return resident_from_row(self._gov.cipher, r, reveal=reveal, vulnerable=vulnerable)

    _target = staticmethod(resident_target)
