"""Residents (居民电子档案): registration, reads, moves and residence history."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain import actions as A
from community_governance.domain.access import Actor, ActorKind, Target
from community_governance.domain.idnumber import (
    IdNumber,
    mask_id_number,
    mask_phone,
    parse_id_number,
)
from community_governance.domain.people import (
    Relation,
    ResidenceSpell,
    Resident,
    Vulnerability,
    check_move,
    validate_phone,
)
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.plugins import expect_str_list
from community_governance.services.base import Operation
from community_governance.services.registry.common import _RegistryBase, check_resident
from community_governance.storage.repos.bulk import (
    CopyWorker,
    bulk_insert,
    can_stream_copy,
    chunks,
    foreign_keys_rebuilt,
    indexes_rebuilt,
)
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import core as t

__all__ = ["NewResident"]

#: The columns of a resident row as :meth:`_Residents._row` builds it.
_ROW_KEYS = ("id", "name", "id_number", "id_hash", "birth_date", "sex", "region_code", "phone",
             "household_id", "relation", "vulnerabilities", "party_member", "erased",
             "warnings", "registered_at")
_SPELL_KEYS = ("resident_id", "household_id", "start", "end")
_NONE: frozenset[Vulnerability] = frozenset()
#: The tables a registration loads (a large load on PostgreSQL re-adds their foreign keys
#: after it instead of checking them row by row).
_LOADED = (t.residents, t.residence_spells)
#: Residents per COPY when a bulk load is copied while it is checked (PostgreSQL).
_STREAM_BATCH = 2000

#: The registered name of the national defaults' plugin module (see ``plugins.py``).
_DEFAULT_CORE_PLUGIN = "cgov.defaults.core"


@attrs.frozen(repr=False)
class NewResident:
    """A resident to register (the input of :meth:`RegistryService.register_residents`).

    Attributes:
        name: name (姓名).
        id_number: the 18-character ID number as typed.
        household_id: the household they live in.
        relation: relation to the household head.
        phone: phone number, optional.
        vulnerabilities: care categories, optional (sensitive).
        party_member: whether they are a party member.
        id: the resident's key; generated when not given.
        moved_in: the first day of residence (defaults to the day of registration).
    """

    name: str
    id_number: str
    household_id: str
    relation: Relation | str = Relation.OTHER
    phone: str | None = None
    vulnerabilities: Sequence[Vulnerability | str] = ()
    party_member: bool = False
    id: str | None = None
    moved_in: dt.date | None = None

    def __repr__(self) -> str:
        return (f"NewResident(name={self.name!r}, id_number="
                f"{mask_id_number(str(self.id_number))!r}, household_id={self.household_id!r}, "
                f"phone={mask_phone(self.phone)!r}, id={self.id!r})")


class _Residents(_RegistryBase):
    """Register, read and move residents (居民)."""

    def register_residents(self, actor: Actor, items: Iterable[NewResident]) -> list[Resident]:
        """Register residents with validated ID numbers, all in one transaction.

        Built for bulk loads (an import, the demo city): the permission check is skipped for a
        system job (which holds every right), and when only the national default implements
        ``cgov_validate_resident`` its rule is applied without the per-row hook dispatch.

        Args:
            actor: who registers them.
            items: the residents.

        Returns:
            The residents as stored (ID numbers masked in their ``repr``).

        Raises:
            IdNumberError: an ID number is invalid (the path names its position).
            ConflictError: an ID number is registered already, or twice in the input.
            NotFound: a household does not exist.
            PluginError: a county's resident check broke.
        """
        # ids are given before the hooks are asked, so the write asks the same questions
        batch = [n if n.id else attrs.evolve(n, id=f"R{uuid.uuid4().hex[:15]}") for n in items]
        name = "registry.register_residents"
        impls = self._gov.hooks.implementations("cgov_validate_resident")
        if not impls or impls == [_DEFAULT_CORE_PLUGIN]:
            return self._register_residents(actor, batch, dry=False)
        with self._svc._hooks_first(actor, name, lambda op: self._register_residents_in(
                op, actor, batch, dry=True)):
            return self._register_residents(actor, batch, dry=False)

    def _register_residents(self, actor: Actor, batch: list[NewResident], *,
                            dry: bool) -> list[Resident]:
        with self._svc._write(actor, "registry.register_residents") as op:
            return self._register_residents_in(op, actor, batch, dry=dry)

    def _register_residents_in(self, op: Operation, actor: Actor, batch: list[NewResident], *,
                               dry: bool) -> list[Resident]:
        """Check and (unless ``dry``) write ``batch`` in ``op``."""
        gov = self._gov
        cipher = gov.cipher
        homes = self._household_locations(op, {n.household_id for n in batch})
        rows: list[dict[str, Any]] = []
        spells: list[dict[str, Any]] = []
        out: list[Resident] = []
        seen: dict[str, int] = {}
        impls = gov.hooks.implementations("cgov_validate_resident")
        inline_default = impls == [_DEFAULT_CORE_PLUGIN]
        check_hook = bool(impls) and not inline_default
        check_rights = actor.kind is not ActorKind.SYSTEM
        today = op.today
        now = op.now
        seal = cipher.bulk_sealer()  # nonces drawn a batch at a time, for this call only
        from community_governance.defaults.core import cgov_validate_resident as national_rule
        id_hash = cipher.lookup_hash

        def checked() -> Iterator[dict[str, Any]]:
            """Each resident checked in turn, as its row (also kept in ``rows``)."""
            for i, n in enumerate(batch):
                path = f"$[{i}]"
                idn = parse_id_number(n.id_number, today=today, path=f"{path}.id_number")
                number = idn.number
                if number in seen:
                    raise ConflictError(
                        f"{path}: ID number {idn.masked} appears twice in the input "
                        f"(also at $[{seen[number]}])"
                    )
                seen[number] = i
                home = homes.get(n.household_id)
                if home is None:
                    raise NotFound("household", n.household_id,
                                   f"register it first (at {path}.household_id)")
                if check_rights:
                    op.require(A.RESIDENT_WRITE,
                               Target("resident", n.id or "(new)", home[0], home[1]))
                res = self._make_resident(n, idn, path)
                if inline_default:
                    self._default_check(national_rule, res, today, path)
                elif check_hook:
                    self._run_checks(op, res, path)
                out.append(res)
                row = self._row(res, idn, now, seal, id_hash)
                rows.append(row)
                spells.append({"resident_id": res.id, "household_id": n.household_id,
                               "start": n.moved_in or today, "end": None})
                yield row

        conn = op.uow.conn
        # the check of a county's hook reads the database, which a COPY in progress forbids
        streams = (not (dry or check_hook or check_rights) and bool(batch)
                   and can_stream_copy(conn, t.residents, _ROW_KEYS)
                   and can_stream_copy(conn, t.residence_spells, _SPELL_KEYS))
        if streams:
            # PostgreSQL, a system import checked by the national rule: the rows are copied
            # in batches by a background worker while the next ones are checked, so the
            # server writes, indexes and checks them meanwhile (the same transaction, all or
            # nothing: a refusal waits for the worker and rolls the savepoint back)
            self._stream_residents(op, checked(), rows, spells, len(batch))
        else:
            for _ in checked():
                pass
            if dry:
                return out
            try:
                with (foreign_keys_rebuilt(conn, _LOADED, len(rows)),
                      indexes_rebuilt(conn, _LOADED, len(rows))):
                    self._insert_residents(op, rows)
                    self._insert_spells(conn, spells)
            except IntegrityError as exc:  # a key re-added after a large load
                raise ConflictError(
                    f"the residents could not be written: one refers to a missing record "
                    f"({exc.orig}); check that their households are stored") from None
        op.touched.extend(f"resident:{r.id}" for r in out)
        return out

    @staticmethod
    def _insert_spells(conn: sa.Connection, spells: list[dict[str, Any]]) -> None:
        try:
            bulk_insert(conn, t.residence_spells, spells)
        except IntegrityError as exc:
            raise ConflictError(
                f"a residence record could not be written: it refers to a missing "
                f"record ({exc.orig})") from None

    def _stream_residents(self, op: Operation, checked: Iterator[dict[str, Any]],
                          rows: list[dict[str, Any]], spells: list[dict[str, Any]],
                          total: int) -> None:
        """Copy the ``total`` residents and their residence records as ``checked`` yields
        them (a large load with the foreign keys re-added after it); a clash found by the
        constraints is then named as :meth:`_insert_residents` does."""
        conn = op.uow.conn
        try:
            with (conn.begin_nested(), foreign_keys_rebuilt(conn, _LOADED, total),
                  indexes_rebuilt(conn, _LOADED, total), CopyWorker(conn) as worker):
                sent = 0
                for _ in checked:
                    if len(rows) - sent >= _STREAM_BATCH:
                        worker.submit(t.residents, _ROW_KEYS, rows[sent:])
                        worker.submit(t.residence_spells, _SPELL_KEYS, spells[sent:])
                        sent = len(rows)
                worker.submit(t.residents, _ROW_KEYS, rows[sent:])
                worker.submit(t.residence_spells, _SPELL_KEYS, spells[sent:])
        except IntegrityError:
            for _ in checked:  # every resident is checked before a clash is explained
                pass
            self._check_unique(op, rows)
            self._insert(op, t.residents, rows, "resident")
            self._insert_spells(conn, spells)
        self._check_staff_keys(op, rows)

    @staticmethod
    def _default_check(rule: Callable[..., list[str] | None], res: Resident, today: dt.date,
                       path: str) -> None:
        """The national ``cgov_validate_resident`` ``rule``, called directly (same answer)."""
        answer = rule(resident=res, today=today, community_code=None)
        if answer:
            raise ValidationError("; ".join(expect_str_list(answer)), path=path)

    def _insert_residents(self, op: Operation, rows: list[dict[str, Any]]) -> None:
        """Insert resident rows; on a clash, say which resident is registered already.

        The insert runs in a savepoint and relies on the unique constraints; only when they
        refuse it are the clashing rows looked up (so a clean bulk load pays no look-up).
        """
        if not rows:
            return
        conn = op.uow.conn
        self._check_staff_keys(op, rows)
        try:
            with conn.begin_nested():
                bulk_insert(conn, t.residents, rows)
        except IntegrityError:
            self._check_unique(op, rows)
            self._insert(op, t.residents, rows, "resident")

    @staticmethod
    def _check_staff_keys(op: Operation, rows: list[dict[str, Any]]) -> None:
        """Residents and staff members need distinct keys (posts are found by the key)."""
        staff_ids = set(op.uow.conn.execute(sa.select(t.staff.c.id)).scalars())
        if staff_ids:
            clash = next((r["id"] for r in rows if r["id"] in staff_ids), None)
            if clash is not None:
                raise ConflictError(
                    f"resident key {clash!r} is already a staff member's key; posts are found by "
                    "the holder's key, so residents and staff members need distinct keys: leave "
                    "the key out to have one generated, or choose another")

    def register_resident(self, actor: Actor, item: NewResident) -> Resident:
        """Register one resident; see :meth:`register_residents`."""
        return self.register_residents(actor, [item])[0]

    @staticmethod
    def _make_resident(n: NewResident, idn: IdNumber, path: str) -> Resident:
        relation = n.relation
        if type(relation) is not Relation:
            try:
                relation = Relation(relation)
            except ValueError:
                raise ValidationError(
                    f"relation {n.relation!r} is not one of {[r.value for r in Relation]}",
                    path=f"{path}.relation") from None
        try:
            vul = (frozenset(Vulnerability(v) for v in n.vulnerabilities) if n.vulnerabilities
                   else _NONE)
        except ValueError:
            raise ValidationError(
                f"vulnerabilities must be among {[v.value for v in Vulnerability]}",
                path=f"{path}.vulnerabilities") from None
        return Resident(
            id=n.id or f"R{uuid.uuid4().hex[:15]}", name=n.name.strip(), id_number=idn,
            household_id=n.household_id, relation=relation,
            phone=validate_phone(n.phone, f"{path}.phone"), vulnerabilities=vul,
            party_member=bool(n.party_member),
        )

    def _run_checks(self, op: Operation, res: Resident, path: str) -> None:
        home = op.uow.conn.execute(sa.select(t.buildings.c.community_code).join(
            t.households, t.households.c.building_code == t.buildings.c.code).where(
            t.households.c.id == res.household_id)).scalar_one_or_none()
        check_resident(self._gov.hooks, res, op.today, path, home)

    @staticmethod
    def _row(res: Resident, idn: IdNumber, now: Any, seal: Callable[[str | None], str | None],
             id_hash: Callable[[str], str]) -> dict[str, Any]:
        return {
            "id": res.id, "name": res.name, "id_number": seal(idn.number),
            "id_hash": id_hash(idn.number), "birth_date": idn.birth_date,
            "sex": idn.sex, "region_code": idn.region_code, "phone": seal(res.phone),
            "household_id": res.household_id, "relation": res.relation.value,
            "vulnerabilities": (",".join(sorted(v.value for v in res.vulnerabilities))
                                if res.vulnerabilities else ""),
            "party_member": res.party_member, "erased": False,
            "warnings": "\n".join(idn.warnings) if idn.warnings else "", "registered_at": now,
        }

    def _check_unique(self, op: Operation, rows: list[dict[str, Any]]) -> None:
        for part in chunks(rows, 5000):
            taken = op.uow.conn.execute(
                sa.select(t.residents.c.id, t.residents.c.id_hash).where(sa.or_(
                    t.residents.c.id_hash.in_([r["id_hash"] for r in part]),
                    t.residents.c.id.in_([r["id"] for r in part])))
            ).all()
            if taken:
                raise ConflictError(
                    f"{len(taken)} resident(s) are registered already (same ID number or key), "
                    f"e.g. resident {taken[0].id}; use correct_resident or move_resident instead"
                )

    def _household_locations(
        self, op: Operation, ids: set[str]
    ) -> dict[str, tuple[str, str | None]]:
        out: dict[str, tuple[str, str | None]] = {}
        conn = op.uow.conn
        base = (sa.select(t.households.c.id, t.households.c.building_code,
                          t.buildings.c.grid_code)
                .join(t.buildings, t.buildings.c.code == t.households.c.building_code))
        if conn.dialect.name == "postgresql" and len(ids) > 100:
            # one array parameter: a long IN list costs more to render and plan than to run
            from sqlalchemy.dialects.postgresql import ARRAY

            q = base.where(t.households.c.id == sa.any_(
                sa.bindparam("household_ids", sorted(ids), type_=ARRAY(sa.String))))
            for r in conn.execute(q):
                out[r.id] = (r.building_code, r.grid_code)
            return out
        for part in chunks(sorted(ids), 5000):
            for r in conn.execute(base.where(t.households.c.id.in_(part))):
                out[r.id] = (r.building_code, r.grid_code)
        return out

    def get_resident(
        self, actor: Actor, resident_id: str, *, reveal: bool = False, reason: str | None = None
    ) -> Resident:
        """A resident's record, masked unless ``reveal`` is asked with a reason and allowed.

        Vulnerability flags are included only for the resident's own community office and
        assigned cadre. Every full read is written to the access log.

        Raises:
            NotFound: no such resident, or outside the actor's scope.
            PermissionDenied: ``reveal`` asked without the right.
            ValidationError: ``reveal`` asked without a reason.
        """
        with self._svc._read(actor, "registry.get_resident") as op:
            r = op.uow.conn.execute(
                self._resident_query().where(t.residents.c.id == resident_id)).first()
            if r is None:
                raise NotFound("resident", resident_id)
            target = self._target(r)
            if not op.visible(A.RESIDENT_READ, target):
                raise NotFound("resident", resident_id, "or it is outside your scope")
            if reveal:
                op.require(A.RESIDENT_READ_ID, target)
                if not reason or not reason.strip():
                    raise ValidationError(
                        "a full read of an ID number needs a reason (why), for the access log",
                        path="reason")
                op.log_access(A.RESIDENT_READ_ID, target, reason.strip())
            vulnerable = op.allowed(A.RESIDENT_READ_VULNERABILITY, target)
            res = self._from_row(r, reveal=reveal, vulnerable=vulnerable)
            if vulnerable and res.vulnerabilities:
                op.log_access(A.RESIDENT_READ_VULNERABILITY, target,
                              reason or "record read with vulnerability flags")
            return res

    def list_residents(
        self, actor: Actor, *, community: str | None = None, grid: str | None = None,
        building: str | None = None, household: str | None = None, limit: int = 1000,
        offset: int = 0,
    ) -> list[Resident]:
        """Residents the actor may see, masked, ordered by key; the scope filter runs in SQL.

        Vulnerability flags are never included in lists: use :meth:`list_vulnerable`.
        """
        with self._svc._read(actor, "registry.list_residents") as op:
            q = self._resident_query().where(scope_clause(
                op.scope(A.RESIDENT_READ), unit=t.households.c.building_code,
                grid=t.buildings.c.grid_code, resident=t.residents.c.id))
            if community:
                q = q.where(t.buildings.c.community_code == community)
            if grid:
                q = q.where(t.buildings.c.grid_code == grid)
            if building:
                q = q.where(t.households.c.building_code == building)
            if household:
                q = q.where(t.residents.c.household_id == household)
            q = q.order_by(t.residents.c.id).limit(limit).offset(offset)
            return [self._from_row(r, reveal=False, vulnerable=False)
                    for r in op.uow.conn.execute(q)]

    def list_vulnerable(self, actor: Actor, *, community: str | None = None) -> list[Resident]:
        """Residents with vulnerability flags whom the actor may care for (access logged)."""
        with self._svc._read(actor, "registry.list_vulnerable") as op:
            q = self._resident_query().where(
                t.residents.c.vulnerabilities != "",
                scope_clause(op.scope(A.RESIDENT_READ_VULNERABILITY),
                             unit=t.households.c.building_code, grid=t.buildings.c.grid_code))
            if community:
                q = q.where(t.buildings.c.community_code == community)
            out = []
            for r in op.uow.conn.execute(q.order_by(t.residents.c.id)):
                out.append(self._from_row(r, reveal=False, vulnerable=True))
                op.log_access(A.RESIDENT_READ_VULNERABILITY, self._target(r), "vulnerable list")
            return out

    def find_by_id_number(self, actor: Actor, id_number: str) -> Resident:
        """Look a resident up by ID number (through the keyed hash; the result is masked)."""
        with self._svc._read(actor) as op:
            idn = parse_id_number(id_number, today=op.today)
            r = op.uow.conn.execute(self._resident_query().where(
                t.residents.c.id_hash == self._gov.cipher.lookup_hash(idn.number))).first()
            if r is None or not op.visible(A.RESIDENT_READ, self._target(r)):
                raise NotFound("resident with ID number", idn.masked)
            return self._from_row(r, reveal=False, vulnerable=False)

    def move_resident(
        self, actor: Actor, resident_id: str, household_id: str | None, *, on: dt.date
    ) -> None:
        """Move a resident to another household (or away, with ``None``), keeping history.

        The current residence spell ends on ``on`` and the next one starts that day.

        Raises:
            NotFound: no such resident or household.
            PermissionDenied: the actor may not register residents at either end.
            ValidationError: ``on`` lies before the current spell's first day (a backdated
                move that would end a spell before it starts); nothing is written.
        """
        with self._svc._write(actor, "registry.move_resident") as op:
            r = op.uow.conn.execute(
                self._resident_query().where(t.residents.c.id == resident_id)).first()
            if r is None:
                raise NotFound("resident", resident_id)
            op.require(A.RESIDENT_WRITE, self._target(r))
            if household_id is not None:
                home = self._household_locations(op, {household_id}).get(household_id)
                if home is None:
                    raise NotFound("household", household_id)
                op.require(A.RESIDENT_WRITE, Target("household", household_id, *home))
            conn = op.uow.conn
            spell = conn.execute(sa.select(t.residence_spells).where(
                t.residence_spells.c.resident_id == resident_id,
                t.residence_spells.c.end.is_(None)).order_by(
                t.residence_spells.c.start.desc())).first()
            check_move(resident_id, None if spell is None else ResidenceSpell(
                resident_id, spell.household_id, spell.start), on)
            conn.execute(t.residence_spells.update().where(
                t.residence_spells.c.resident_id == resident_id,
                t.residence_spells.c.end.is_(None)).values(end=on))
            if household_id is not None:
                conn.execute(t.residence_spells.insert().values(
                    resident_id=resident_id, household_id=household_id, start=on))
            conn.execute(t.residents.update().where(t.residents.c.id == resident_id)
                         .values(household_id=household_id))
            op.touch("resident", resident_id)

    def residence_history(self, actor: Actor, resident_id: str) -> list[tuple[str, dt.date,
                                                                              dt.date | None]]:
        """The households a resident lived in: ``(household, start, end)`` in date order."""
        self.get_resident(actor, resident_id)
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(sa.select(t.residence_spells).where(
                t.residence_spells.c.resident_id == resident_id).order_by(
                t.residence_spells.c.start, t.residence_spells.c.id)).all()
        return [(r.household_id, r.start, r.end) for r in rows]
