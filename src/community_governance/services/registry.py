"""The registry (居民电子档案 and the service hierarchy): units, buildings, households,
residents, posts, party organizations and partner units."""

from __future__ import annotations

import datetime as dt
import operator
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
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
    Household,
    Relation,
    Resident,
    Vulnerability,
    validate_phone,
)
from community_governance.domain.posts import (
    PARTY_ORG_UNIT,
    POST_UNIT_KINDS,
    HolderKind,
    PartnerUnit,
    PartyOrg,
    Post,
    PostKind,
    StaffMember,
)
from community_governance.domain.units import Building, Unit, UnitKind, parent_kind
from community_governance.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from community_governance.plugins import expect_str_list
from community_governance.services.base import Operation, Service, post_from_row
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import core as t

__all__ = ["ExistingKeys", "NewResident", "RegistryService", "Summary"]

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


@attrs.frozen
class Summary:
    """Counts of the registry, as ``cgov report summary`` prints them."""

    subdistricts: int
    communities: int
    grids: int
    compounds: int
    buildings: int
    households: int
    residents: int
    posts: dict[str, int]
    party_orgs: int
    partner_units: int

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return attrs.asdict(self)


def _location(op: Operation, building_code: str) -> tuple[str, str | None]:
    row = op.uow.conn.execute(
        sa.select(t.buildings.c.code, t.buildings.c.grid_code).where(
            t.buildings.c.code == building_code
        )
    ).first()
    if row is None:
        raise NotFound("building", building_code, "register the building first")
    return row.code, row.grid_code


_MISSING = object()


def _bulk_insert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows that all have the same keys, as fast as the driver allows.

    On SQLite the values go through each column type's bind processor once and straight to
    the driver's ``executemany`` (SQLAlchemy's per-row parameter processing costs more than
    the insert itself); on other databases this is ``conn.execute(table.insert(), rows)``.
    """
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), rows)
        return
    keys = list(rows[0])
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    procs = [table.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in keys]
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(k) for k in keys)}) "
           f"VALUES ({', '.join('?' for _ in keys)})")
    processed: list[tuple[int, Any, dict[Any, Any]]] = [
        (j, proc, {}) for j, proc in enumerate(procs) if proc is not None]
    get = operator.itemgetter(*keys)
    if not processed:
        params: list[Any] = [get(r) if len(keys) > 1 else (get(r),) for r in rows]
    else:
        params = []
        for r in rows:
            got = get(r)
            vals = list(got) if len(keys) > 1 else [got]
            for j, proc, cache in processed:
                v = vals[j]
                if v is None:
                    continue
                # processed values (dates, times, flags) repeat a lot: process each once
                try:
                    out = cache.get(v, _MISSING)
                    if out is _MISSING:
                        out = cache[v] = proc(v)
                except TypeError:  # an unhashable value
                    out = proc(v)
                vals[j] = out
            params.append(tuple(vals))
    conn.exec_driver_sql(sql, params)


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


def _chunks(items: Sequence[str], size: int = 900) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _within(code: str | None, unit: sa.ColumnElement[Any],
            grid: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """Rows under the unit ``code`` (a grid matches by the building's grid)."""
    if not code:
        return sa.true()
    if "-W" in code:
        return grid == code
    return unit.startswith(code, autoescape=True)


class RegistryService:
    """Units, buildings, households, residents, posts, party organizations and partners.

    Reached as ``gov.registry``.
    """

    def __init__(self, gov: Any) -> None:
        self._svc = Service(gov)
        self._gov = gov

    # ------------------------------------------------------------------ units and buildings

    def add_units(self, actor: Actor, units: Iterable[Unit]) -> int:
        """Add counties, sub-districts, communities, grids or compounds (one transaction).

        Parents may come earlier in the same call. Returns how many were added.

        Raises:
            NotFound: a parent does not exist.
            ValidationError: a parent is of the wrong kind.
            ConflictError: a code exists already.
        """
        items = list(units)
        with self._svc._write(actor, "registry.add_units") as op:
            new: dict[str, UnitKind] = {}
            for i, u in enumerate(items):
                if u.kind is UnitKind.BUILDING:
                    raise ValidationError("add buildings with add_buildings", path=f"$[{i}]")
                if u.parent_code is not None:
                    pk = new.get(u.parent_code) or self._kind_of(op, u.parent_code)
                    if pk is None:
                        raise NotFound(f"parent unit of {u.code}", u.parent_code,
                                       "add the parent unit first")
                    if pk is not parent_kind(u.kind):
                        raise ValidationError(
                            f"{u.kind.value} {u.code} must hang under a "
                            f"{parent_kind(u.kind)}, but {u.parent_code} is a {pk.value}",
                            path=f"$[{i}].parent_code",
                        )
                    op.require(A.UNIT_WRITE, Target("unit", u.code, unit_code=u.parent_code))
                else:
                    op.require(A.UNIT_WRITE, Target("unit", u.code, unit_code=u.code))
                if u.code in new:
                    raise ConflictError(f"unit {u.code} appears twice in the input")
                new[u.code] = u.kind
            self._insert(op, t.units, [
                {"code": u.code, "kind": u.kind.value, "name": u.name,
                 "parent_code": u.parent_code} for u in items
            ], "unit")
            op.touched.extend(f"unit:{u.code}" for u in items)
            return len(items)

    def add_unit(self, actor: Actor, unit: Unit) -> Unit:
        """Add one unit; see :meth:`add_units`."""
        self.add_units(actor, [unit])
        return unit

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

    def add_buildings(self, actor: Actor, buildings: Iterable[Building]) -> int:
        """Add buildings (楼院) to their communities; returns how many were added."""
        items = list(buildings)
        with self._svc._write(actor, "registry.add_buildings") as op:
            kinds: dict[str, UnitKind | None] = {}
            for i, b in enumerate(items):
                for code, want in ((b.community_code, UnitKind.COMMUNITY),
                                   (b.compound_code, UnitKind.COMPOUND),
                                   (b.grid_code, UnitKind.GRID)):
                    if code is None:
                        continue
                    if code not in kinds:
                        kinds[code] = self._kind_of(op, code)
                    if kinds[code] is not want:
                        raise NotFound(want.value, code, f"add it before building {b.code} "
                                       f"(at $[{i}])")
                op.require(A.UNIT_WRITE, Target("building", b.code, unit_code=b.code))
            self._insert(op, t.units, [
                {"code": b.code, "kind": UnitKind.BUILDING.value, "name": b.name,
                 "parent_code": b.community_code} for b in items], "building")
            self._insert(op, t.buildings, [
                {"code": b.code, "community_code": b.community_code,
                 "compound_code": b.compound_code, "grid_code": b.grid_code, "x": b.x, "y": b.y,
                 "households_planned": b.households_planned} for b in items], "building")
            op.touched.extend(f"building:{b.code}" for b in items)
            return len(items)

    def get_unit(self, code: str) -> Unit:
        """A unit by code (units are public facts, no actor needed)."""
        with self._gov.store.unit_of_work(write=False) as uow:
            row = uow.conn.execute(sa.select(t.units).where(t.units.c.code == code)).first()
        if row is None:
            raise NotFound("unit", code)
        return Unit(row.code, UnitKind(row.kind), row.name, row.parent_code)

    def list_units(
        self, kind: UnitKind | str | None = None, parent: str | None = None
    ) -> list[Unit]:
        """Units, optionally of one kind and under one parent code prefix, ordered by code."""
        q = sa.select(t.units).order_by(t.units.c.code)
        if kind is not None:
            q = q.where(t.units.c.kind == UnitKind(kind).value)
        if parent is not None:
            q = q.where(t.units.c.code.startswith(parent, autoescape=True),
                        t.units.c.code != parent)
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(q).all()
        return [Unit(r.code, UnitKind(r.kind), r.name, r.parent_code) for r in rows]

    def list_buildings(self, community: str | None = None) -> list[Building]:
        """Buildings, optionally of one community, ordered by code."""
        q = (sa.select(t.buildings, t.units.c.name)
             .join(t.units, t.units.c.code == t.buildings.c.code)
             .order_by(t.buildings.c.code))
        if community is not None:
            q = q.where(t.buildings.c.community_code == community)
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(q).all()
        return [Building(r.code, r.name, r.community_code, r.compound_code, r.grid_code, r.x,
                         r.y, r.households_planned) for r in rows]

    # ------------------------------------------------------------------ households

    def add_households(self, actor: Actor, households: Iterable[Household]) -> int:
        """Register households (户) at buildings; returns how many were added."""
        items = list(households)
        with self._svc._write(actor, "registry.add_households") as op:
            locs: dict[str, tuple[str, str | None]] = {}
            for h in items:
                if h.building_code not in locs:
                    locs[h.building_code] = _location(op, h.building_code)
                _, grid = locs[h.building_code]
                op.require(A.RESIDENT_WRITE, Target("household", h.id, h.building_code, grid))
            self._insert(op, t.households, [
                {"id": h.id, "building_code": h.building_code, "door": h.door,
                 "registered_on": h.registered_on or op.today} for h in items], "household")
            op.touched.extend(f"household:{h.id}" for h in items)
            return len(items)

    # ------------------------------------------------------------------ residents

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
        batch = list(items)
        gov = self._gov
        cipher = gov.cipher
        with self._svc._write(actor, "registry.register_residents") as op:
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
                    self._default_check(res, today, path)
                elif check_hook:
                    self._run_checks(op, res, path)
                out.append(res)
                rows.append(self._row(res, idn, now, cipher))
                spells.append({"resident_id": res.id, "household_id": n.household_id,
                               "start": n.moved_in or today, "end": None})
            self._insert_residents(op, rows)
            try:
                _bulk_insert(op.uow.conn, t.residence_spells, spells)
            except IntegrityError as exc:
                raise ConflictError(
                    f"a residence record could not be written: it refers to a missing "
                    f"record ({exc.orig})") from None
            op.touched.extend(f"resident:{r.id}" for r in out)
            return out

    @staticmethod
    def _default_check(res: Resident, today: dt.date, path: str) -> None:
        """The national ``cgov_validate_resident`` rule, called directly (same answer)."""
        from community_governance.defaults import core as national

        answer = national.cgov_validate_resident(resident=res, today=today)
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
        try:
            with conn.begin_nested():
                _bulk_insert(conn, t.residents, rows)
        except IntegrityError:
            self._check_unique(op, rows)
            self._insert(op, t.residents, rows, "resident")

    def register_resident(self, actor: Actor, item: NewResident) -> Resident:
        """Register one resident; see :meth:`register_residents`."""
        return self.register_residents(actor, [item])[0]

    @staticmethod
    def _make_resident(n: NewResident, idn: IdNumber, path: str) -> Resident:
        try:
            relation = Relation(n.relation)
        except ValueError:
            raise ValidationError(
                f"relation {n.relation!r} is not one of {[r.value for r in Relation]}",
                path=f"{path}.relation") from None
        try:
            vul = frozenset(Vulnerability(v) for v in n.vulnerabilities)
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
        problems = [p for _, answer in self._gov.hooks.all(
            "cgov_validate_resident", expect_str_list, resident=res, today=op.today)
            for p in answer]
        if problems:
            raise ValidationError("; ".join(problems), path=path)

    @staticmethod
    def _row(res: Resident, idn: IdNumber, now: Any, cipher: Any) -> dict[str, Any]:
        return {
            "id": res.id, "name": res.name, "id_number": cipher.seal(idn.number),
            "id_hash": cipher.lookup_hash(idn.number), "birth_date": idn.birth_date,
            "sex": idn.sex, "region_code": idn.region_code, "phone": cipher.seal(res.phone),
            "household_id": res.household_id, "relation": res.relation.value,
            "vulnerabilities": ",".join(sorted(v.value for v in res.vulnerabilities)),
            "party_member": res.party_member, "erased": False,
            "warnings": "\n".join(idn.warnings), "registered_at": now,
        }

    def _check_unique(self, op: Operation, rows: list[dict[str, Any]]) -> None:
        hashes = [r["id_hash"] for r in rows]
        ids = [r["id"] for r in rows]
        for chunk in range(0, len(rows), 5000):
            taken = op.uow.conn.execute(
                sa.select(t.residents.c.id, t.residents.c.id_hash).where(sa.or_(
                    t.residents.c.id_hash.in_(hashes[chunk:chunk + 5000]),
                    t.residents.c.id.in_(ids[chunk:chunk + 5000])))
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
        id_list = sorted(ids)
        for chunk in range(0, len(id_list), 5000):
            q = (sa.select(t.households.c.id, t.households.c.building_code,
                           t.buildings.c.grid_code)
                 .join(t.buildings, t.buildings.c.code == t.households.c.building_code)
                 .where(t.households.c.id.in_(id_list[chunk:chunk + 5000])))
            for r in op.uow.conn.execute(q):
                out[r.id] = (r.building_code, r.grid_code)
        return out

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
            if not op.allowed(A.RESIDENT_READ, target):
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
            if r is None or not op.allowed(A.RESIDENT_READ, self._target(r)):
                raise NotFound("resident with ID number", idn.masked)
            return self._from_row(r, reveal=False, vulnerable=False)

    def move_resident(
        self, actor: Actor, resident_id: str, household_id: str | None, *, on: dt.date
    ) -> None:
        """Move a resident to another household (or away, with ``None``), keeping history."""
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

    # ------------------------------------------------------------------ staff and posts

    def add_staff(self, actor: Actor, members: Iterable[StaffMember]) -> int:
        """Add staff members (工作人员)."""
        items = list(members)
        with self._svc._write(actor, "registry.add_staff") as op:
            rows = [{"id": s.id, "name": s.name, "permanent": s.permanent,
                     "phone": self._gov.cipher.seal(validate_phone(s.phone))} for s in items]
            self._insert(op, t.staff, rows, "staff member")
            op.touched.extend(f"staff:{s.id}" for s in items)
            return len(items)

    def assign_posts(self, actor: Actor, posts: Iterable[Post]) -> int:
        """Give posts (书记, 主任, 网格长, 楼院长...) to residents or staff for a term."""
        items = list(posts)
        with self._svc._write(actor, "registry.assign_posts") as op:
            for i, p in enumerate(items):
                kind = self._kind_of(op, p.unit_code)
                if kind is None:
                    raise NotFound("unit", p.unit_code, f"at $[{i}].unit_code")
                if kind not in POST_UNIT_KINDS[p.kind]:
                    allowed = sorted(k.value for k in POST_UNIT_KINDS[p.kind])
                    raise ValidationError(
                        f"a {p.kind.chinese} ({p.kind.value}) post is held at a unit of kind "
                        f"{allowed}, not at {kind.value} {p.unit_code}", path=f"$[{i}].unit_code")
                table = t.residents if p.holder_kind is HolderKind.RESIDENT else t.staff
                if op.uow.conn.execute(sa.select(table.c.id).where(
                        table.c.id == p.holder_id)).first() is None:
                    raise NotFound(p.holder_kind.value, p.holder_id, f"at $[{i}].holder_id")
                op.require(A.POST_ASSIGN, Target("post", p.id, unit_code=p.unit_code))
            self._insert(op, t.posts, [
                {"id": p.id, "kind": p.kind.value, "unit_code": p.unit_code,
                 "holder_kind": p.holder_kind.value, "holder_id": p.holder_id, "start": p.start,
                 "end": p.end, "covers": ",".join(p.covers)} for p in items], "post")
            op.touched.extend(f"post:{p.id}" for p in items)
            return len(items)

    def end_post(self, actor: Actor, post_id: str, *, on: dt.date) -> Post:
        """End a post's term on ``on``; it grants no right after that day."""
        with self._svc._write(actor, "registry.end_post") as op:
            row = op.uow.conn.execute(sa.select(t.posts).where(t.posts.c.id == post_id)).first()
            if row is None:
                raise NotFound("post", post_id)
            post = post_from_row(row)
            op.require(A.POST_ASSIGN, Target("post", post_id, unit_code=post.unit_code))
            if on < post.start:
                raise ValidationError(f"post {post_id} starts on {post.start}; it cannot end "
                                      f"before that ({on})", path="on")
            op.uow.conn.execute(t.posts.update().where(t.posts.c.id == post_id).values(end=on))
            op.touch("post", post_id)
            return attrs.evolve(post, end=on)

    def posts(self, *, unit_prefix: str | None = None, kind: PostKind | None = None,
              active_on: dt.date | None = None) -> list[Post]:
        """Posts, optionally under a unit code prefix, of one kind, active on a day."""
        q = sa.select(t.posts).order_by(t.posts.c.unit_code, t.posts.c.id)
        if unit_prefix:
            q = q.where(t.posts.c.unit_code.startswith(unit_prefix, autoescape=True))
        if kind is not None:
            q = q.where(t.posts.c.kind == PostKind(kind).value)
        with self._gov.store.unit_of_work(write=False) as uow:
            out = [post_from_row(r) for r in uow.conn.execute(q)]
        return [p for p in out if active_on is None or p.active_on(active_on)]

    # ------------------------------------------------------------------ party and partners

    def add_party_orgs(self, actor: Actor, orgs: Iterable[PartyOrg]) -> int:
        """Add party organizations (社区大党委, 网格党支部, 楼院党小组)."""
        items = list(orgs)
        with self._svc._write(actor, "registry.add_party_orgs") as op:
            for i, o in enumerate(items):
                kind = self._kind_of(op, o.unit_code)
                if kind is not PARTY_ORG_UNIT[o.kind]:
                    raise ValidationError(
                        f"a {o.kind.value} runs parallel to a {PARTY_ORG_UNIT[o.kind].value}, "
                        f"but {o.unit_code} is {kind.value if kind else 'unknown'}",
                        path=f"$[{i}].unit_code")
                op.require(A.PARTY_WRITE, Target("party_org", o.id, unit_code=o.unit_code))
            self._insert(op, t.party_orgs, [
                {"id": o.id, "kind": o.kind.value, "unit_code": o.unit_code, "name": o.name,
                 "parent_id": o.parent_id} for o in items], "party organization")
            op.touched.extend(f"party_org:{o.id}" for o in items)
            return len(items)

    def add_party_members(self, actor: Actor, org_id: str, resident_ids: Iterable[str], *,
                          since: dt.date) -> int:
        """Enrol residents in a party organization."""
        ids = list(resident_ids)
        with self._svc._write(actor, "registry.add_party_members") as op:
            org = op.uow.conn.execute(
                sa.select(t.party_orgs).where(t.party_orgs.c.id == org_id)).first()
            if org is None:
                raise NotFound("party organization", org_id)
            op.require(A.PARTY_WRITE, Target("party_org", org_id, unit_code=org.unit_code))
            self._insert(op, t.party_memberships, [
                {"org_id": org_id, "resident_id": r, "start": since} for r in ids],
                "party membership")
            if ids:
                op.uow.conn.execute(t.residents.update().where(t.residents.c.id.in_(ids))
                                    .values(party_member=True))
            op.touched.extend(f"resident:{r}" for r in ids)
            return len(ids)

    def add_partner_units(self, actor: Actor, partners: Iterable[PartnerUnit]) -> int:
        """Add partner units (分包局委, 文明单位, 驻区单位) and attach them to communities."""
        items = list(partners)
        with self._svc._write(actor, "registry.add_partner_units") as op:
            for p in items:
                for c in p.community_codes:
                    if self._kind_of(op, c) is not UnitKind.COMMUNITY:
                        raise NotFound("community", c, f"for partner unit {p.id}")
                    op.require(A.PARTNER_WRITE, Target("partner", p.id, unit_code=c))
            self._insert(op, t.partner_units, [
                {"id": p.id, "name": p.name, "kind": p.kind.value} for p in items],
                "partner unit")
            self._insert(op, t.partner_attachments, [
                {"partner_id": p.id, "community_code": c} for p in items
                for c in p.community_codes], "partner attachment")
            op.touched.extend(f"partner:{p.id}" for p in items)
            return len(items)

    def partner_units(self, community: str | None = None) -> list[PartnerUnit]:
        """Partner units, optionally those of one community."""
        with self._gov.store.unit_of_work(write=False) as uow:
            units = uow.conn.execute(sa.select(t.partner_units).order_by(t.partner_units.c.id))
            att = uow.conn.execute(sa.select(t.partner_attachments)).all()
            by: dict[str, list[str]] = {}
            for a in att:
                by.setdefault(a.partner_id, []).append(a.community_code)
            out = [PartnerUnit(u.id, u.name, u.kind, tuple(sorted(by.get(u.id, ()))))
                   for u in units]
        return [p for p in out if community is None or community in p.community_codes]

    # ------------------------------------------------------------------ import and export

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
            for part in _chunks(units_in):
                for r in conn.execute(sa.select(t.units.c.code, t.units.c.kind).where(
                        t.units.c.code.in_(part))):
                    kinds[r.code] = UnitKind(r.kind)
            households = {r for part in _chunks(hh_in) for r in conn.execute(
                sa.select(t.households.c.id).where(t.households.c.id.in_(part))).scalars()}
            residents = {r for part in _chunks(rid_in) for r in conn.execute(
                sa.select(t.residents.c.id).where(t.residents.c.id.in_(part))).scalars()}
            hashes = sorted(by_hash)
            taken = {by_hash[h] for part in _chunks(hashes) for h in conn.execute(
                sa.select(t.residents.c.id_hash).where(t.residents.c.id_hash.in_(part)))
                .scalars()}
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

    # ------------------------------------------------------------------ summary

    def summary(self, actor: Actor, *, within: str | None = None) -> Summary:
        """Counts of the registry inside the actor's scope (and under ``within``, a code)."""
        with self._svc._read(actor, "registry.summary") as op:
            scope = op.scope(A.REPORT_READ)
            conn = op.uow.conn

            def units(kind: UnitKind) -> int:
                q = sa.select(sa.func.count()).select_from(t.units).where(
                    t.units.c.kind == kind.value,
                    scope_clause(scope, unit=t.units.c.code))
                if within:
                    q = q.where(t.units.c.code.startswith(within, autoescape=True))
                return int(conn.execute(q).scalar_one())

            bscope = scope_clause(scope, unit=t.buildings.c.code, grid=t.buildings.c.grid_code)
            wb = (t.buildings.c.code.startswith(within, autoescape=True) if within
                  else sa.true())
            blds = conn.execute(sa.select(sa.func.count()).select_from(t.buildings)
                                .where(bscope, wb)).scalar_one()
            hh = conn.execute(sa.select(sa.func.count()).select_from(
                t.households.join(t.buildings)).where(bscope, wb)).scalar_one()
            res = conn.execute(sa.select(sa.func.count()).select_from(
                t.residents.join(t.households).join(t.buildings)).where(bscope, wb)).scalar_one()
            posts = Counter(p.kind.value for p in self._posts_in(conn, scope, within)
                            if p.active_on(op.today))
            party = conn.execute(sa.select(sa.func.count()).select_from(t.party_orgs).where(
                scope_clause(scope, unit=t.party_orgs.c.unit_code),
                t.party_orgs.c.unit_code.startswith(within, autoescape=True) if within
                else sa.true())).scalar_one()
            partners = conn.execute(sa.select(sa.func.count(sa.distinct(
                t.partner_attachments.c.partner_id))).where(
                scope_clause(scope, unit=t.partner_attachments.c.community_code),
                t.partner_attachments.c.community_code.startswith(within, autoescape=True)
                if within else sa.true())).scalar_one()
            return Summary(
                subdistricts=units(UnitKind.SUBDISTRICT), communities=units(UnitKind.COMMUNITY),
                grids=units(UnitKind.GRID), compounds=units(UnitKind.COMPOUND),
                buildings=int(blds), households=int(hh), residents=int(res),
                posts=dict(sorted(posts.items())), party_orgs=int(party),
                partner_units=int(partners),
            )

    @staticmethod
    def _posts_in(conn: sa.Connection, scope: Any, within: str | None) -> list[Post]:
        q = sa.select(t.posts).where(scope_clause(scope, unit=t.posts.c.unit_code))
        if within:
            q = q.where(t.posts.c.unit_code.startswith(within, autoescape=True))
        return [post_from_row(r) for r in conn.execute(q)]
