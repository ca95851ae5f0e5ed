"""Residents' rights over their personal information (个人信息权益, PIPL Arts. 44-47).

A resident may obtain a copy of their own data (:meth:`PrivacyService.export_own_data`), have it
corrected (:meth:`PrivacyService.correct`) and erased (:meth:`PrivacyService.erase`) when they
move away or ask. Erasure blanks the personal fields but keeps the resident's row, so that
every ledger, journal and case history that refers to the resident keeps its foreign keys and
its sums: the books still balance, with the person anonymised.

Other capabilities' tables take part without this module knowing them: every table with a
foreign key to ``residents.id`` is included in the export, and columns declared with
``sa.Column(..., info={"personal": True})`` in such tables are blanked on erasure, or set to
``info["erased_as"]`` when given (do not mark columns of append-only journals: their rows cannot
be changed); open spells whose end column is declared ``info={"ends_with_resident": True}``
end on the day of erasure. The cases a resident reported lose the reporter's name, phone and
description (the resident's own words), volunteers their skills and availability,
assisted-service requests their description; amounts, statuses and journals are untouched,
so every ledger still balances. Free text in append-only journals (points reasons, case
notes) cannot be changed: it is masked on every way out instead.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from community_governance.domain import actions as A
from community_governance.domain.access import Actor, ActorKind
from community_governance.domain.idnumber import mask_phone, parse_id_number
from community_governance.domain.people import Relation, Resident, validate_phone
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.services.base import Operation, Service, post_from_row
from community_governance.services.registry.common import (
    check_resident,
    resident_from_row,
    resident_query,
    resident_target,
)
from community_governance.storage.tables import core as t
from community_governance.storage.tables import load_all, metadata

if TYPE_CHECKING:
    from community_governance.services.context import Context

__all__ = ["ERASED_NAME", "PrivacyService", "personal_columns", "tables_referencing_residents"]

#: The name an erased resident's record carries (已注销: "deregistered").
ERASED_NAME = "已注销"

#: Tables the export lists under their own headings rather than under ``records``.
_OWN_HEADINGS = frozenset({"residents", "residence_spells", "party_memberships"})


def tables_referencing_residents() -> list[tuple[sa.Table, list[sa.Column[Any]]]]:
    """Every table with a foreign key to ``residents.id``, with the referencing columns.

    Discovered at run time from the shared metadata, so that tables written by other
    capabilities (points, volunteers, cases...) are found without this module naming them.
    """
    load_all()
    out: list[tuple[sa.Table, list[sa.Column[Any]]]] = []
    for table in metadata.sorted_tables:
        if table is t.residents:
            continue
        cols = [fk.parent for fk in table.foreign_keys
                if fk.column.table is t.residents and fk.column.name == "id"]
        if cols:
            out.append((table, sorted(cols, key=lambda c: c.name)))
    return out


def personal_columns(table: sa.Table) -> list[sa.Column[Any]]:
    """The columns of ``table`` declared personal (``info={"personal": True}``)."""
    return [c for c in table.columns if c.info.get("personal")]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def _blank(column: sa.Column[Any]) -> Any:
    if "erased_as" in column.info:
        return column.info["erased_as"]
    if column.nullable:
        return None
    if isinstance(column.type, sa.String | sa.Text):
        return ""
    if isinstance(column.type, sa.Boolean):
        return False
    raise ConflictError(
        f"column {column.table}.{column.name} is marked personal but is NOT NULL and not text; "
        "make it nullable so that erasure can blank it"
    )


class PrivacyService:
    """Residents' rights: own-data export, correction, erasure (个人信息查阅、更正、删除).

    Reached as ``gov.privacy``.
    """

    def __init__(self, gov: Context) -> None:
        self._gov = gov
        self._svc = Service(gov)

    # ------------------------------------------------------------------ helpers

    def _load(self, op: Operation, resident_id: str) -> Any:
        r = op.uow.conn.execute(resident_query().where(t.residents.c.id == resident_id)).first()
        if r is None:
            raise NotFound("resident", resident_id)
        return r

    def _resident(self, r: Any, *, reveal: bool, vulnerable: bool) -> Resident:
        return resident_from_row(self._gov.cipher, r, reveal=reveal, vulnerable=vulnerable)

    def _open(self, value: Any) -> Any:
        return self._gov.cipher.open(value) if isinstance(value, str) else value

    # ------------------------------------------------------------------ export

    def export_own_data(
        self, actor: Actor, resident_id: str, *, reason: str | None = None
    ) -> dict[str, Any]:
        """Everything the library holds about a resident, JSON-ready (个人信息副本).

        For the resident themselves (``Actor.resident(resident_id)``) or their community office
        acting on the resident's request. The record is given in full (ID number and phone
        unmasked); vulnerability flags are included for the resident themselves and for the
        community office and assigned cadre. The export is written to the access log.

        Args:
            actor: the resident, or community staff acting for them.
            resident_id: whose data.
            reason: why (for the access log); defaults to the resident's request.

        Returns:
            A dict with the keys ``resident``, ``residence_history``, ``posts``,
            ``party_memberships``, ``records`` (table name → rows of every other table that
            refers to the resident), ``accesses`` and ``exported_at`` (ISO time).

        Raises:
            NotFound: no such resident.
            PermissionDenied: the actor is neither the resident nor their community office.
        """
        with self._svc._read(actor, "privacy.export_own_data") as op:
            r = self._load(op, resident_id)
            target = resident_target(r)
            op.require(A.RESIDENT_EXPORT_OWN, target)
            own = actor.kind is ActorKind.RESIDENT and actor.id == resident_id
            vulnerable = own or op.allowed(A.RESIDENT_READ_VULNERABILITY, target)
            res = self._resident(r, reveal=True, vulnerable=vulnerable)
            conn = op.uow.conn
            record: dict[str, Any] = {
                "id": res.id, "name": res.name,
                "id_number": res.id_number.number if res.id_number else None,
                "birth_date": _jsonable(res.birth_date), "sex": res.sex,
                "region_code": res.id_number.region_code if res.id_number else None,
                "phone": res.phone, "household_id": res.household_id,
                "building_code": r.building_code, "grid_code": r.grid_code,
                "relation": res.relation.value, "party_member": res.party_member,
                "erased": res.erased, "registered_at": _jsonable(r.registered_at),
            }
            if vulnerable:
                record["vulnerabilities"] = sorted(v.value for v in res.vulnerabilities)
            spells = conn.execute(sa.select(t.residence_spells).where(
                t.residence_spells.c.resident_id == resident_id).order_by(
                t.residence_spells.c.start, t.residence_spells.c.id)).all()
            posts = conn.execute(sa.select(t.posts).where(
                t.posts.c.holder_id == resident_id, t.posts.c.holder_kind == "resident")
                .order_by(t.posts.c.start, t.posts.c.id)).all()
            members = conn.execute(
                sa.select(t.party_memberships, t.party_orgs.c.name.label("org_name"))
                .join(t.party_orgs, t.party_orgs.c.id == t.party_memberships.c.org_id)
                .where(t.party_memberships.c.resident_id == resident_id)
                .order_by(t.party_memberships.c.start)).all()
            records: dict[str, list[dict[str, Any]]] = {}
            for table, cols in tables_referencing_residents():
                if table.name in _OWN_HEADINGS:
                    continue
                q = sa.select(table).where(sa.or_(*(c == resident_id for c in cols)))
                pk = list(table.primary_key.columns)
                if pk:
                    q = q.order_by(*pk)
                rows = conn.execute(q).mappings().all()
                records[table.name] = [
                    {k: _jsonable(self._open(v)) for k, v in row.items()} for row in rows]
            accesses = conn.execute(sa.select(t.access_log).where(
                t.access_log.c.target == str(target)).order_by(t.access_log.c.id)).all()
            op.log_access(A.RESIDENT_EXPORT_OWN, target,
                          reason or "own-data export at the resident's request")
            return {
                "resident": record,
                "residence_history": [
                    {"household_id": s.household_id, "start": _jsonable(s.start),
                     "end": _jsonable(s.end)} for s in spells],
                "posts": [
                    {"id": p.id, "kind": p.kind.value, "unit_code": p.unit_code,
                     "start": _jsonable(p.start), "end": _jsonable(p.end)}
                    for p in (post_from_row(row) for row in posts)],
                "party_memberships": [
                    {"org_id": m.org_id, "org_name": m.org_name, "start": _jsonable(m.start),
                     "end": _jsonable(m.end)} for m in members],
                "records": records,
                "accesses": [
                    {"at": _jsonable(a.at), "actor": f"{a.actor_kind}:{a.actor_id}",
                     "action": a.action, "reason": a.reason} for a in accesses],
                "exported_at": op.now.isoformat(),
            }

    # ------------------------------------------------------------------ correction

    def correct(
        self, actor: Actor, resident_id: str, *, name: str | None = None,
        phone: str | None = None, id_number: str | None = None, reason: str,
    ) -> Resident:
        """Correct a resident's name, phone or ID number (个人信息更正).

        A resident may correct their own phone number; the name and the ID number are
        corrected by the community office, the sub-district or the grid leader (who check the
        card). Pass ``phone=""`` to remove a phone number. The audit trail records which fields
        changed and why, never the values.

        Args:
            actor: who corrects.
            resident_id: whose record.
            name: the corrected name, or ``None`` to keep it.
            phone: the corrected phone, ``""`` to remove it, or ``None`` to keep it.
            id_number: the corrected ID number, or ``None`` to keep it.
            reason: why (required).

        Returns:
            The corrected resident, masked.

        Raises:
            ValidationError: no field given, no reason, or an invalid value.
            IdNumberError: the new ID number is invalid.
            ConflictError: the ID number belongs to another resident, or the resident is
                erased.
            NotFound: no such resident.
            PermissionDenied: the actor may not correct these fields.
        """
        if not reason or not reason.strip():
            raise ValidationError("a correction needs a reason (why), for the audit trail",
                                  path="reason")
        if name is None and phone is None and id_number is None:
            raise ValidationError("give at least one field to correct: name, phone or id_number",
                                  path="$")
        name_ = "privacy.correct"
        with self._svc._hooks_first(actor, name_, lambda op: self._correct(
                op, resident_id, name, phone, id_number, reason, dry=True)), \
                self._svc._write(actor, name_) as op:
            got = self._correct(op, resident_id, name, phone, id_number, reason, dry=False)
            assert got is not None
            return got

    def _correct(self, op: Operation, resident_id: str, name: str | None, phone: str | None,
                 id_number: str | None, reason: str, *, dry: bool) -> Resident | None:
        """Correct in ``op`` (``dry``: check and ask the hooks, write nothing)."""
        r = self._load(op, resident_id)
        if r.erased:
            raise ConflictError(f"resident {resident_id} is erased; register them anew "
                                "instead of correcting the erased record")
        target = resident_target(r)
        if name is not None or id_number is not None:
            op.require(A.RESIDENT_WRITE, target)
        else:
            op.require(A.RESIDENT_CORRECT, target)
        cipher = self._gov.cipher
        values: dict[str, Any] = {}
        current = self._resident(r, reveal=True, vulnerable=True)
        new_name, new_phone, new_idn = current.name, current.phone, current.id_number
        if name is not None:
            new_name = name.strip()
            if not new_name:
                raise ValidationError("a resident needs a name (姓名)", path="name")
            values["name"] = new_name
        if phone is not None:
            new_phone = validate_phone(phone, "phone")
            values["phone"] = cipher.seal(new_phone)
        if id_number is not None:
            new_idn = parse_id_number(id_number, today=op.today, path="id_number")
            h = cipher.lookup_hash(new_idn.number)
            other = op.uow.conn.execute(sa.select(t.residents.c.id).where(
                t.residents.c.id_hash == h, t.residents.c.id != resident_id)).first()
            if other is not None:
                raise ConflictError(
                    f"ID number {new_idn.masked} is registered to resident {other.id}; "
                    "check the card, or correct the other record first")
            values.update(id_number=cipher.seal(new_idn.number), id_hash=h,
                          birth_date=new_idn.birth_date, sex=new_idn.sex,
                          region_code=new_idn.region_code,
                          warnings="\n".join(new_idn.warnings))
        corrected = Resident(current.id, new_name, new_idn, current.household_id,
                             current.relation, new_phone, current.vulnerabilities,
                             current.party_member, False)
        home = op.uow.conn.execute(sa.select(t.buildings.c.community_code).join(
            t.households, t.households.c.building_code == t.buildings.c.code).where(
            t.households.c.id == current.household_id)).scalar_one_or_none()
        check_resident(self._gov.hooks, corrected, op.today, "$", home)
        if dry:
            return None
        op.uow.conn.execute(t.residents.update().where(t.residents.c.id == resident_id)
                            .values(**values))
        op.touch("resident", resident_id)
        op.detail.update(fields=sorted(k for k in ("name", "phone", "id_number")
                                       if k in values), reason=reason.strip())
        return Resident(corrected.id, corrected.name,
                        new_idn.hidden() if new_idn else None, corrected.household_id,
                        corrected.relation, mask_phone(new_phone), frozenset(),
                        corrected.party_member, False)

    # ------------------------------------------------------------------ erasure

    def erase(self, actor: Actor, resident_id: str, *, reason: str) -> Resident:
        """Erase a resident's personal information (个人信息删除), keeping the books whole.

        Blanks the name (to ``已注销``), ID number, its hash, the birth date, sex and region it
        encodes, the phone, the vulnerability flags and party membership flag; marks the
        record erased; ends the residence, the open party memberships and the posts the
        resident holds; blanks columns marked personal in other tables' rows about the
        resident. The row itself stays, so points, funds, volunteer hours and case histories
        keep referring to it and still add up.

        Args:
            actor: the resident themselves, or the community's secretary or director, the
                sub-district or the county.
            resident_id: whose data.
            reason: why (e.g. moved away, the resident's request); required.

        Returns:
            The erased record.

        Raises:
            ValidationError: no reason.
            ConflictError: the resident is erased already.
            NotFound: no such resident.
            PermissionDenied: the actor may not erase this resident.
        """
        if not reason or not reason.strip():
            raise ValidationError("an erasure needs a reason (why), for the audit trail",
                                  path="reason")
        with self._svc._write(actor, "privacy.erase") as op:
            r = self._load(op, resident_id)
            if r.erased:
                raise ConflictError(f"resident {resident_id} is erased already")
            op.require(A.RESIDENT_ERASE, resident_target(r))
            conn = op.uow.conn
            today = op.today
            conn.execute(t.residents.update().where(t.residents.c.id == resident_id).values(
                name=ERASED_NAME, id_number=None, id_hash=None, birth_date=None, sex=None,
                region_code=None, phone=None, vulnerabilities="", party_member=False,
                warnings="", erased=True, household_id=None))
            for table, col in ((t.residence_spells, t.residence_spells.c.resident_id),
                               (t.party_memberships, t.party_memberships.c.resident_id)):
                open_rows = sa.and_(col == resident_id, table.c.end.is_(None))
                conn.execute(table.update().where(open_rows, table.c.start <= today)
                             .values(end=today))
                conn.execute(table.update().where(open_rows).values(end=table.c.start))
            held = conn.execute(sa.select(t.posts).where(
                t.posts.c.holder_id == resident_id, t.posts.c.holder_kind == "resident",
                sa.or_(t.posts.c.end.is_(None), t.posts.c.end > today))).all()
            for row in held:
                conn.execute(t.posts.update().where(t.posts.c.id == row.id)
                             .values(end=max(row.start, today)))
                op.touch("post", row.id)
            for table, cols in tables_referencing_residents():
                ends = [c for c in table.columns if c.info.get("ends_with_resident")]
                if ends and table.name not in _OWN_HEADINGS:
                    mine = sa.or_(*(c == resident_id for c in cols))
                    for end in ends:  # open spells end today (or on their first day)
                        conn.execute(table.update().where(mine, end.is_(None)).values(
                            {end.name: today}))
                personal = personal_columns(table)
                if personal and table.name not in _OWN_HEADINGS:
                    done = conn.execute(
                        table.update().where(sa.or_(*(c == resident_id for c in cols)))
                        .values({c.name: _blank(c) for c in personal}))
                    if done.rowcount:
                        op.touch(table.name, f"resident={resident_id}")
            op.touch("resident", resident_id)
            op.detail["reason"] = reason.strip()
            return Resident(resident_id, ERASED_NAME, None, None, Relation(r.relation), None,
                            frozenset(), False, True)
