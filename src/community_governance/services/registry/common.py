"""What the registry's parts share: the service, its inserts and resident rows."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain.access import Target
from community_governance.domain.idnumber import IdNumber
from community_governance.domain.people import Relation, Resident, Vulnerability
from community_governance.domain.units import UnitKind
from community_governance.errors import ConflictError
from community_governance.services.base import Operation, Service
from community_governance.storage.tables import core as t


class _RegistryBase:
    """The helpers shared by the parts of :class:`RegistryService` (居民电子档案).

    Each part is a subclass; ``RegistryService`` combines them.
    """

    def __init__(self, gov: Any) -> None:
        self._svc = Service(gov)
        self._gov = gov

    def _kind_of(self, op: Operation, code: str) -> UnitKind | None:
        kind = op.uow.conn.execute(
            sa.select(t.units.c.kind).where(t.units.c.code == code)
        ).scalar_one_or_none()
        return UnitKind(kind) if kind is not None else None

    def _insert(
        self, op: Operation, table: sa.Table, rows: list[dict[str, Any]], what: str
    ) -> None:
        if not rows:
            return
        try:
            op.uow.conn.execute(table.insert(), rows)
        except IntegrityError as exc:
            raise ConflictError(
                f"a {what} could not be written: it exists already or refers to a missing "
                f"record ({exc.orig})"
            ) from None

    def _resident_query(self) -> sa.Select[Any]:
        return (sa.select(t.residents, t.households.c.building_code, t.buildings.c.grid_code)
                .outerjoin(t.households, t.households.c.id == t.residents.c.household_id)
                .outerjoin(t.buildings, t.buildings.c.code == t.households.c.building_code))

    def _from_row(self, r: Any, *, reveal: bool, vulnerable: bool) -> Resident:
        idn: IdNumber | None = None
        if r.id_number is not None:
            number = self._gov.cipher.open(r.id_number)
            idn = IdNumber(number, r.region_code, None, r.birth_date, r.sex,
                           tuple(w for w in r.warnings.split("\n") if w))
            if not reveal:
                idn = idn.hidden()
        phone = self._gov.cipher.open(r.phone)
        if not reveal and phone:
            from community_governance.domain.idnumber import mask_phone
            phone = mask_phone(phone)
        vul = frozenset(Vulnerability(v) for v in r.vulnerabilities.split(",") if v) \
            if vulnerable else frozenset()
        return Resident(r.id, r.name, idn, r.household_id, Relation(r.relation), phone, vul,
                        r.party_member, r.erased)

    @staticmethod
    def _target(r: Any) -> Target:
        return Target("resident", r.id, r.building_code, r.grid_code, owner_id=r.id)
