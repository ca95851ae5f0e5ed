"""The points journal (积分台账): earn, redeem, expire, reverse; balances and statements.

Every write is one small transaction: a guarded UPDATE (or upsert) of the resident's row in
``points_balances`` and the append-only journal insert, then the audit row. The balance row's
CHECK (balance >= 0) and the guard ``balance >= :amount`` keep balances from going negative
under any concurrency; the UNIQUE idempotency key makes a repeated request write once. When a
write fails on the key (or fails for want of points or stock), the first result is looked up
in a new read and returned when it answers the same request, else
:class:`~community_governance.errors.IdempotencyConflict` is raised.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import pendulum
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import IntegrityError

from community_governance.domain import actions as A
from community_governance.domain.access import Action, Actor, ActorKind, Principal, Target
from community_governance.domain.pii_text import mask_personal_numbers
from community_governance.domain.points import STOCK_CHECKS as _STOCK_CHECKS
from community_governance.domain.points import (
    EntryKind,
    Item,
    PointsEntry,
    Statement,
    StockMove,
    Violation,
    expirable_points,
    month_of,
    request_fingerprint,
    run_checks,
)
from community_governance.domain.posts import HolderKind
from community_governance.domain.posts import PostKind as P
from community_governance.errors import (
    ConflictError,
    IdempotencyConflict,
    InsufficientBalance,
    NotFound,
    OutOfStock,
    PermissionDenied,
    ValidationError,
)
from community_governance.plugins import expect_int
from community_governance.services.base import Operation, Service, audit_fields, post_from_row
from community_governance.storage.base import UnitOfWork
from community_governance.storage.repos.bulk import chunks
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import core as t
from community_governance.storage.tables import points as tp

if TYPE_CHECKING:
    from community_governance.facade import Governance

__all__ = [
    "POINTS_AUDIT",
    "POINTS_EARN",
    "POINTS_READ",
    "POINTS_REDEEM",
    "POINTS_REVERSE",
    "PointsService",
    "ResidentRef",
]

_LEADERS = frozenset({P.SECRETARY, P.DIRECTOR})

#: Award points directly (outside attendance): the community office and grid leaders, within
#: their scope (a grid leader: residents of the grid's buildings).
POINTS_EARN = Action("points.earn", roles=A.COMMUNITY_OFFICE | frozenset({P.GRID_LEADER}))
#: Spend points: the community office for a resident, or a resident for themselves.
POINTS_REDEEM = Action("points.redeem", roles=A.COMMUNITY_OFFICE, self_service=True)
#: Read balances and statements: posts that may read the resident, or the resident.
POINTS_READ = Action("points.read", roles=A.COMMUNITY_OFFICE | A.HIGHER_OFFICE | A.LOCAL_POSTS,
                     self_service=True, personal=True)
#: Correct an entry (冲正) and run expiry: community leaders and higher offices.
POINTS_REVERSE = Action("points.reverse", roles=_LEADERS | A.HIGHER_OFFICE)
#: Check the whole ledger: system jobs only (every row of every resident is read).
POINTS_AUDIT = Action("points.audit", roles=frozenset())

T = TypeVar("T")
MAX_KEY = 120


# --- shared plumbing (also used by the volunteers and supermarket services) -------------------


@attrs.frozen
class ResidentRef:
    """Where a resident lives, as the access policy and the reports need it."""

    id: str
    building_code: str | None
    grid_code: str | None
    erased: bool
    vulnerabilities: str = ""

    @property
    def community_code(self) -> str | None:
        """The community (first 12 characters of the building code)."""
        return self.building_code[:12] if self.building_code else None

    def target(self, kind: str = "resident") -> Target:
        """The resident as an access-policy target."""
        return Target(kind, self.id, self.building_code, self.grid_code, owner_id=self.id)


_b = sa.bindparam
_RES_Q = (
    sa.select(t.residents.c.erased, t.residents.c.vulnerabilities,
              t.households.c.building_code, t.buildings.c.grid_code)
    .select_from(
        t.residents.outerjoin(t.households, t.households.c.id == t.residents.c.household_id)
        .outerjoin(t.buildings, t.buildings.c.code == t.households.c.building_code))
    .where(t.residents.c.id == _b("p_rid"))
)
_pb = tp.points_balances
_pe = tp.points_entries
_DEBIT = (
    _pb.update()
    .where(_pb.c.resident_id == _b("p_rid"), _pb.c.balance >= _b("p_amt"))
    .values(balance=_pb.c.balance - _b("p_amt"))
    .returning(_pb.c.balance)
)
_BALANCE_Q = sa.select(_pb.c.balance).where(_pb.c.resident_id == _b("p_rid"))
_ENTRY_BY_KEY = sa.select(_pe).where(_pe.c.idempotency_key == _b("p_key"))
_ENTRY_INSERT = _pe.insert()


def _credit_stmt(dialect: str) -> Any:
    ins: Any = (pg_dialect.insert(_pb) if dialect == "postgresql"
                else sqlite_dialect.insert(_pb))
    stmt = ins.values(resident_id=_b("p_rid"), balance=_b("p_amt"))
    return stmt.on_conflict_do_update(
        index_elements=[_pb.c.resident_id],
        set_={"balance": _pb.c.balance + stmt.excluded.balance},
    ).returning(_pb.c.balance)


_CREDITS: dict[str, Any] = {}


def _credit(dialect: str) -> Any:
    got = _CREDITS.get(dialect)
    if got is None:
        got = _CREDITS[dialect] = _credit_stmt(dialect)
    return got


class FastSql:
    """The hot path's SQL, rendered once per dialect and run on the driver's connection.

    One earn is four small statements; through SQLAlchemy Core each costs more in Python than
    in the database, so the hot path (resolve the resident, move the balance, append the entry,
    write the audit row) sends pre-rendered SQL straight to the DBAPI connection of the unit of
    work, in its transaction. Dates go through the column's own bind processor and timestamps
    are formatted as the ``UTCDateTime`` type stores them (checked against it at start), so
    the rows are exactly what Core would have written. Dialects other than SQLite and
    PostgreSQL use the Core statements instead.
    """

    def __init__(self, dialect: sa.Dialect) -> None:
        ph = "?" if dialect.name == "sqlite" else "%s"
        self.integrity_error: type[Exception] = dialect.loaded_dbapi.IntegrityError
        self.resident = (
            "SELECT residents.erased, residents.vulnerabilities, households.building_code, "
            "buildings.grid_code FROM residents LEFT OUTER JOIN households ON households.id = "
            "residents.household_id LEFT OUTER JOIN buildings ON buildings.code = "
            f"households.building_code WHERE residents.id = {ph}")
        self.credit = (
            f"INSERT INTO points_balances (resident_id, balance) VALUES ({ph}, {ph}) "
            "ON CONFLICT (resident_id) DO UPDATE SET balance = points_balances.balance + "
            "excluded.balance RETURNING balance")
        self.debit = (
            f"UPDATE points_balances SET balance = balance - {ph} WHERE resident_id = {ph} "
            f"AND balance >= {ph} RETURNING balance")
        self.entry_cols = ("resident_id", "kind", "amount", "balance_after", "at", "day",
                           "month", "community_code", "idempotency_key", "request",
                           "reverses_id", "activity_id", "reason", "actor")
        self.entry = (f"INSERT INTO points_entries ({', '.join(self.entry_cols)}) VALUES "
                      f"({', '.join([ph] * len(self.entry_cols))}) RETURNING id")
        self.posts = (
            "SELECT posts.id, posts.kind, posts.unit_code, posts.holder_kind, posts.holder_id, "
            'posts.start, posts."end", posts.covers, residents.erased FROM posts LEFT OUTER '
            f"JOIN residents ON residents.id = posts.holder_id WHERE posts.holder_id = {ph}")
        self.audit = ("INSERT INTO audit_log (at, actor_kind, actor_id, operation, objects, "
                      f"detail) VALUES ({ph}, {ph}, {ph}, {ph}, {ph}, {ph})")
        self.day = _processor(_pe.c.day, dialect)
        self.sqlite = dialect.name == "sqlite"
        proc = _processor(_pe.c.at, dialect)
        probe = dt.datetime(2001, 2, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
        if proc(probe) != self.timestamp(probe):  # pragma: no cover - a driver changed
            raise RuntimeError("the hot path's timestamps differ from the column type's")

    def timestamp(self, when: dt.datetime) -> Any:
        """``when`` (aware, UTC) as the ``UTCDateTime`` columns store it on this dialect."""
        n = when
        if self.sqlite:
            return (f"{n.year:04d}-{n.month:02d}-{n.day:02d} {n.hour:02d}:{n.minute:02d}:"
                    f"{n.second:02d}.{n.microsecond:06d}")
        return dt.datetime(n.year, n.month, n.day, n.hour, n.minute, n.second, n.microsecond)


def _processor(col: sa.Column[Any], dialect: sa.Dialect) -> Callable[[Any], Any]:
    proc = col.type.dialect_impl(dialect).bind_processor(dialect)
    return proc if proc is not None else (lambda v: v)


_FAST: dict[str, FastSql | None] = {}


def fast_sql(conn: sa.Connection) -> FastSql | None:
    """The pre-rendered SQL for ``conn``'s dialect, or ``None`` to use Core."""
    name = conn.dialect.name
    if name not in _FAST:
        _FAST[name] = FastSql(conn.dialect) if name in ("sqlite", "postgresql") else None
    return _FAST[name]


def _op_stamp(op: Operation, fast: FastSql) -> Any:
    """The operation's time as stored, computed once per operation."""
    stamp = getattr(op, "_cgov_stamp", None)
    if stamp is None:
        stamp = fast.timestamp(op.now)  # gov.now() is UTC already
        op._cgov_stamp = stamp  # type: ignore[attr-defined]
    return stamp


class _PostRow:
    """A ``posts`` row from the hot path, shaped for :func:`post_from_row`."""

    __slots__ = ("covers", "end", "holder_id", "holder_kind", "id", "kind", "start",
                 "unit_code")

    def __init__(self, r: Any) -> None:
        self.id, self.kind, self.unit_code, self.holder_kind, self.holder_id = r[:5]
        self.start = _as_date(r[5])
        self.end = _as_date(r[6])
        self.covers = r[7]


def _as_date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def fast_principal(svc: Service, uow: UnitOfWork, fast: FastSql, actor: Actor,
                   now: pendulum.DateTime) -> Principal:
    """:meth:`Service._principal` in one query: a staff actor's posts joined with the holder's
    ``erased`` flag (an erased or unknown resident holds no post any more). A test compares
    it with the base implementation for every post of the test city."""
    if not isinstance(actor, Actor) or actor.kind is not ActorKind.STAFF:
        return svc._principal(uow, actor, now)
    rows = uow.conn.connection.driver_connection.execute(  # type: ignore[union-attr]
        fast.posts, (actor.id,)).fetchall()
    posts = [post_from_row(_PostRow(r)) for r in rows]
    if any(p.holder_kind is HolderKind.RESIDENT for p in posts) and any(
            r[8] is None or bool(r[8]) for r in rows):
        posts = [p for p in posts if p.holder_kind is not HolderKind.RESIDENT]
    return Principal.of(actor, posts, now.in_timezone(svc._gov.timezone).date())


def raw_execute(op: Operation, fast: FastSql, sql: str, params: tuple[Any, ...]) -> Any:
    """Run ``sql`` on the unit of work's driver connection; wrap integrity errors like Core."""
    try:
        return op.uow.conn.connection.driver_connection.execute(  # type: ignore[union-attr]
            sql, params)
    except fast.integrity_error as exc:
        raise IntegrityError(sql, params, exc) from exc


def resolve_resident(op: Operation, resident_id: str, *, path: str = "resident_id") -> ResidentRef:
    """Find a resident (one query) or raise :class:`NotFound`; refuse erased residents."""
    if not isinstance(resident_id, str) or not resident_id:
        raise ValidationError("a resident key (residents.id) is required", path=path)
    ref = _resident_ref(op, resident_id, raw=True)
    if ref is None:
        raise NotFound("resident", resident_id, "register the resident first (gov.registry)")
    if ref.erased:
        raise ValidationError(
            f"resident {resident_id} was erased at their request: no new entries can be "
            "written for them (their past entries stay in the journal)", path=path)
    return ref


def _resident_ref(op: Operation, resident_id: str, *, raw: bool) -> ResidentRef | None:
    """The resident's place (erased or not), or ``None``; ``raw``: pre-rendered SQL if the
    dialect has it (the write hot path)."""
    fast = fast_sql(op.uow.conn) if raw else None
    if fast is not None:
        row = raw_execute(op, fast, fast.resident, (resident_id,)).fetchone()
    else:
        row = op.uow.conn.execute(_RES_Q, {"p_rid": resident_id}).first()
    if row is None:
        return None
    return ResidentRef(resident_id, row[2], row[3], bool(row[0]), row[1] or "")


def check_key(key: object, path: str = "key") -> str:
    """Validate an idempotency key."""
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY:
        raise ValidationError(
            f"an idempotency key must be a non-empty string of at most {MAX_KEY} characters "
            "(e.g. a UUID chosen by the caller, reused when the request is retried)", path=path)
    return key


def check_points(amount: object, path: str = "amount") -> int:
    """Validate a positive whole number of points."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationError(
            f"points are whole numbers, got {type(amount).__name__} {amount!r}", path=path)
    if amount <= 0:
        raise ValidationError(f"the amount must be a positive number of points, got {amount}",
                              path=path)
    if amount > 1_000_000_000:
        raise ValidationError(f"{amount} points is beyond any plausible award", path=path)
    return amount


def entry_from_row(r: Any) -> PointsEntry:
    """Build a :class:`PointsEntry` from a ``points_entries`` row."""
    return PointsEntry(
        id=r.id, resident_id=r.resident_id, kind=EntryKind(r.kind), amount=r.amount,
        balance_after=r.balance_after, at=r.at, day=r.day, idempotency_key=r.idempotency_key,
        reverses_id=r.reverses_id, community_code=r.community_code,
        reason=mask_personal_numbers(r.reason), activity_id=r.activity_id,
    )


def post_entry(
    op: Operation, resident: ResidentRef, kind: EntryKind, amount: int, key: str, request: str,
    *, reason: str = "", activity_id: str | None = None, reverses_id: int | None = None,
) -> PointsEntry:
    """Write one journal entry and move the balance, in the operation's transaction.

    ``amount`` is signed. A credit upserts the balance row; a debit is a guarded UPDATE
    (``balance >= amount``) that raises :class:`InsufficientBalance` when it matches no row.

    Raises:
        InsufficientBalance: a debit larger than the balance.
        sqlalchemy.exc.IntegrityError: the idempotency key exists (the caller replays).
    """
    conn = op.uow.conn
    rid = resident.id
    fast = fast_sql(conn)
    if fast is not None:
        if amount > 0:
            balance = raw_execute(op, fast, fast.credit, (rid, amount)).fetchone()[0]
        else:
            got = raw_execute(op, fast, fast.debit, (-amount, rid, -amount)).fetchone()
            balance = None if got is None else got[0]
    elif amount > 0:
        balance = conn.execute(_credit(conn.dialect.name),
                               {"p_rid": rid, "p_amt": amount}).scalar_one()
    else:
        balance = conn.execute(_DEBIT, {"p_rid": rid, "p_amt": -amount}).scalar()
    if balance is None:
        have = conn.execute(_BALANCE_Q, {"p_rid": rid}).scalar() or 0
        raise InsufficientBalance(
            f"resident {rid} has {have} points and cannot spend {-amount}: a balance never "
            "goes negative; earn more points first or spend less")
    actor = op.actor
    today = op.today
    reason = reason[:200]
    actor_text = f"{actor.kind.value}:{actor.id}"[:80]
    if fast is not None:
        new_id = raw_execute(op, fast, fast.entry, (
            rid, kind.value, amount, balance, _op_stamp(op, fast), fast.day(today),
            month_of(today),
            resident.community_code, key, request, reverses_id, activity_id, reason,
            actor_text)).fetchone()[0]
    else:
        new_id = conn.execute(_ENTRY_INSERT, {
            "resident_id": rid, "kind": kind.value, "amount": amount, "balance_after": balance,
            "at": op.now, "day": today, "month": month_of(today),
            "community_code": resident.community_code, "idempotency_key": key,
            "request": request, "reverses_id": reverses_id, "activity_id": activity_id,
            "reason": reason, "actor": actor_text,
        }).inserted_primary_key[0]  # type: ignore[index]
    op.touched.append(f"points_entry:{new_id}")
    return PointsEntry(
        id=int(new_id), resident_id=rid, kind=kind, amount=amount, balance_after=int(balance),
        at=op.now, day=today, idempotency_key=key, reverses_id=reverses_id,
        community_code=resident.community_code, reason=mask_personal_numbers(reason),
        activity_id=activity_id,
    )


@contextlib.contextmanager
def fast_write(svc: Service, actor: Actor, name: str) -> Iterator[Operation]:
    """:meth:`Service._write` for the ledger's hot path: the same unit of work, audit row,
    commit and notifications, with the audit row sent as pre-rendered SQL (see
    :class:`FastSql`)."""
    gov = svc._gov
    if getattr(gov.store, "dialect", None) not in ("sqlite", "postgresql"):
        with svc._write(actor, name) as op:
            yield op
        return
    now = gov.now()
    with gov.store.unit_of_work(write=True) as uow:
        fast = fast_sql(uow.conn)
        assert fast is not None
        op = Operation(gov, uow, fast_principal(svc, uow, fast, actor, now), now, name)
        yield op
        objects, detail = audit_fields(op)
        raw_execute(op, fast, fast.audit, (
            _op_stamp(op, fast), actor.kind.value, actor.id[:60], name[:80], objects, detail))
        uow.commit()
    for event, payload in op.events:
        svc._hooks.notify(event, payload)


#: Errors after which a retried request may find its first result already written.
REPLAYABLE = (IntegrityError, InsufficientBalance, OutOfStock, ConflictError, ValidationError)


def idempotent(
    gov: Governance, key: str, request: str, write: Callable[[], T],
    replay: Callable[[sa.Connection, str, str], T | None],
) -> T:
    """Run ``write``; when it fails in a way a replay could explain, return the first result.

    Args:
        gov: the governance object (for a fresh read).
        key: the idempotency key.
        request: the request's fingerprint.
        write: the write operation (its own unit of work).
        replay: looks the key up in a read connection and returns the stored result (raising
            :class:`IdempotencyConflict` for a different request), or ``None`` when the key
            was never used.
    """
    try:
        return write()
    except REPLAYABLE as exc:
        with gov.store.unit_of_work(write=False) as uow:
            got = replay(uow.conn, key, request)
        if got is not None:
            return got
        if isinstance(exc, IntegrityError):
            raise ConflictError(
                f"the write with idempotency key {key!r} broke a database constraint "
                f"({exc.orig}); nothing was written") from None
        raise


def replay_entry(conn: sa.Connection, key: str, request: str) -> PointsEntry | None:
    """The journal entry written under ``key`` (see :func:`idempotent`)."""
    row = conn.execute(_ENTRY_BY_KEY, {"p_key": key}).first()
    if row is None:
        return None
    if row.request != request:
        raise IdempotencyConflict(
            f"idempotency key {key!r} was used for a different request (entry {row.id}: "
            f"{row.kind} {row.amount} for {row.resident_id}); use a new key for a new request")
    return entry_from_row(row)


def require_system(op: Operation, action: Action) -> None:
    """Refuse every actor but a system job."""
    if op.actor.kind is not ActorKind.SYSTEM:
        raise PermissionDenied(str(op.actor), action.name, "the whole ledger",
                               "only a system job may read every resident's entries")


class PointsService(Service):
    """The volunteer points journal (积分台账). Reached as ``gov.points``.

    Rights: the community office and grid leaders award points within their scope; a
    resident redeems their own points (self-service) or the community office does it for them;
    community leaders and higher offices reverse entries and run expiry; balances and
    statements are read by the posts that may read the resident and by the resident.
    """

    # ------------------------------------------------------------------ writes

    def earn(self, actor: Actor, resident_id: str, amount: int, *, key: str,
             reason: str = "") -> PointsEntry:
        """Award points to a resident (获得积分).

        Args:
            actor: who awards.
            resident_id: the resident (``residents.id``).
            amount: a positive whole number of points.
            key: the idempotency key: the same request again returns the first entry.
            reason: why, shown in statements.

        Returns:
            The journal entry (also when the request was a replay).

        Raises:
            ValidationError: a non-positive or non-integer amount, a bad key.
            NotFound: the resident does not exist.
            PermissionDenied: the actor may not award points to this resident.
            IdempotencyConflict: the key was used for a different request.
        """
        check_key(key)
        check_points(amount)
        fp = request_fingerprint(op="earn", resident=resident_id, amount=amount, reason=reason)

        def write() -> PointsEntry:
            with fast_write(self, actor, "points.earn") as op:
                ref = resolve_resident(op, resident_id)
                op.require(POINTS_EARN, ref.target())
                return post_entry(op, ref, EntryKind.EARN, amount, key, fp, reason=reason)

        return idempotent(self._gov, key, fp, write, replay_entry)

    def redeem(self, actor: Actor, resident_id: str, amount: int, *, key: str,
               reason: str = "") -> PointsEntry:
        """Spend a resident's points outside the supermarket's item list (兑换).

        Use ``gov.supermarket.redeem`` for goods: it moves the stock in the same transaction.

        Raises:
            InsufficientBalance: the balance is smaller than ``amount``.
            ValidationError, NotFound, PermissionDenied, IdempotencyConflict: as for
                :meth:`earn`.
        """
        check_key(key)
        check_points(amount)
        fp = request_fingerprint(op="redeem", resident=resident_id, amount=amount, reason=reason)

        def write() -> PointsEntry:
            with fast_write(self, actor, "points.redeem") as op:
                ref = resolve_resident(op, resident_id)
                op.require(POINTS_REDEEM, ref.target())
                return post_entry(op, ref, EntryKind.REDEEM, -amount, key, fp, reason=reason)

        return idempotent(self._gov, key, fp, write, replay_entry)

    def reverse(self, actor: Actor, entry_id: int, *, key: str, reason: str) -> PointsEntry:
        """Correct an entry with a new entry that negates it (冲正); the original stays.

        Reversing a supermarket redemption also returns the goods to stock.

        Raises:
            NotFound: no such entry.
            ValidationError: the entry is itself a reversal, or no reason was given.
            ConflictError: the entry was reversed already.
            InsufficientBalance: reversing an earn whose points were spent.
        """
        check_key(key)
        if not reason or not reason.strip():
            raise ValidationError("a correction needs a reason (why the entry was wrong)",
                                  path="reason")
        fp = request_fingerprint(op="reverse", entry=entry_id, reason=reason)

        def write() -> PointsEntry:
            with self._write(actor, "points.reverse") as op:
                conn = op.uow.conn
                row = conn.execute(sa.select(_pe).where(_pe.c.id == entry_id)).first()
                if row is None:
                    raise NotFound("points entry", entry_id)
                if row.kind == EntryKind.REVERSE.value:
                    raise ValidationError(
                        f"entry {entry_id} is itself a correction; reverse the original entry "
                        f"{row.reverses_id} or write a new earn/redeem instead", path="entry_id")
                done = conn.execute(sa.select(_pe.c.id).where(
                    _pe.c.reverses_id == entry_id)).scalar()
                if done is not None:
                    raise ConflictError(f"entry {entry_id} was reversed already by entry {done}")
                ref = resolve_resident_any(op, row.resident_id)
                op.require(POINTS_REVERSE, ref.target())
                red = conn.execute(sa.select(tp.redemptions).where(
                    tp.redemptions.c.entry_id == entry_id)).first()
                if red is not None:
                    from community_governance.services.supermarket import move_stock

                    move_stock(op, red.item_id, red.quantity, "return", key=None)
                return post_entry(op, ref, EntryKind.REVERSE, -row.amount, key, fp,
                                  reason=reason, reverses_id=entry_id)

        return idempotent(self._gov, key, fp, write, replay_entry)

    def expire(self, actor: Actor, *, as_of: dt.date,
               community: str | None = None) -> list[PointsEntry]:
        """Clear points older than the validity period (过期清零), first in, first out.

        The validity comes from the ``cgov_points_expiry_months`` hook (national default 24
        months): points earned before ``as_of`` minus that many months, and not yet spent,
        expire. Each resident's expiry entry has the key ``expire:<as_of>:<resident>``, so
        running expiry twice for the same day writes once.

        Returns:
            The expiry entries written by this call.
        """
        with self._write(actor, "points.expire") as op:
            if community is not None:
                op.require(POINTS_REVERSE, Target("unit", community, unit_code=community))
            elif op.actor.kind is not ActorKind.SYSTEM:
                op.require(POINTS_REVERSE, Target("unit", "*", unit_code=None))
            months = self._hooks.first("cgov_points_expiry_months", expect_int(minimum=1),
                                       community_code=community)
            cutoff = _months_before(as_of, months)
            conn = op.uow.conn
            due = self._expirable(conn, cutoff, community)
            if not due:
                return []
            keys = {rid: f"expire:{as_of.isoformat()}:{rid}" for rid in due}
            have = set(conn.execute(sa.select(_pe.c.idempotency_key).where(
                _pe.c.idempotency_key.in_(list(keys.values())))).scalars())
            out = []
            for rid, amount in sorted(due.items()):
                if keys[rid] in have:
                    continue
                ref = resolve_resident_any(op, rid)
                fp = request_fingerprint(op="expire", resident=rid, as_of=as_of)
                out.append(post_entry(op, ref, EntryKind.EXPIRE, -amount, keys[rid], fp,
                                      reason=f"expired: earned before {cutoff}"))
            return out

    @staticmethod
    def _expirable(conn: sa.Connection, cutoff: dt.date, community: str | None) -> dict[str, int]:
        where = [] if community is None else [_pe.c.community_code == community]
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(_pb.c.resident_id).where(_pb.c.balance > 0)
                         .order_by(_pb.c.resident_id).with_for_update())
        target = _pe.alias("target")

        def sums(*cond: Any) -> dict[str, int]:
            q = (sa.select(_pe.c.resident_id, sa.func.sum(_pe.c.amount))
                 .where(*cond, *where).group_by(_pe.c.resident_id))
            return {r[0]: int(r[1]) for r in conn.execute(q)}

        def reversed_sums(*cond: Any) -> dict[str, int]:
            q = (sa.select(_pe.c.resident_id, sa.func.sum(_pe.c.amount))
                 .join(target, target.c.id == _pe.c.reverses_id)
                 .where(*cond, *where).group_by(_pe.c.resident_id))
            return {r[0]: int(r[1]) for r in conn.execute(q)}

        debit_kinds = [EntryKind.REDEEM.value, EntryKind.EXPIRE.value]
        earned = sums(_pe.c.kind == EntryKind.EARN.value, _pe.c.day < cutoff)
        for rid, n in reversed_sums(target.c.kind == EntryKind.EARN.value,
                                    target.c.day < cutoff).items():
            earned[rid] = earned.get(rid, 0) + n
        debited: dict[str, int] = defaultdict(int)
        for rid, n in sums(_pe.c.kind.in_(debit_kinds)).items():
            debited[rid] -= n
        for rid, n in reversed_sums(target.c.kind.in_(debit_kinds)).items():
            debited[rid] -= n
        residents = [rid for rid, n in earned.items() if n > 0]
        balances: dict[str, int] = {}
        for chunk in chunks(residents):
            balances.update((r[0], int(r[1])) for r in conn.execute(sa.select(
                _pb.c.resident_id, _pb.c.balance).where(_pb.c.resident_id.in_(chunk))))
        out = {}
        for rid in residents:
            n = expirable_points(earned[rid], debited.get(rid, 0), balances.get(rid, 0))
            if n > 0:
                out[rid] = n
        return out

    # ------------------------------------------------------------------ reads

    def balance(self, actor: Actor, resident_id: str) -> int:
        """A resident's points balance (积分余额); 0 when they never earned.

        Raises:
            NotFound: no such resident, or outside the actor's scope.
        """
        with self._read(actor, "points.balance") as op:
            self._readable(op, resident_id)
            return int(op.uow.conn.execute(_BALANCE_Q, {"p_rid": resident_id}).scalar() or 0)

    def _readable(self, op: Operation, resident_id: str) -> ResidentRef:
        ref = resolve_resident_any(op, resident_id)
        if not op.allowed(POINTS_READ, ref.target()):
            raise NotFound("resident", resident_id, "or it is outside your scope")
        return ref

    def statement(self, actor: Actor, resident_id: str, *, start: dt.date | None = None,
                  end: dt.date | None = None) -> Statement:
        """A resident's statement for a period of county dates (both ends inclusive).

        The opening balance sums the entries before ``start``; the closing balance is the
        opening plus the period's entries.
        """
        if start is not None and end is not None and end < start:
            raise ValidationError(f"the period ends ({end}) before it starts ({start})",
                                  path="end")
        with self._read(actor, "points.statement") as op:
            self._readable(op, resident_id)
            conn = op.uow.conn
            opening = 0
            if start is not None:
                opening = int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(
                    _pe.c.amount), 0)).where(_pe.c.resident_id == resident_id,
                                             _pe.c.day < start)).scalar_one())
            q = sa.select(_pe).where(_pe.c.resident_id == resident_id).order_by(_pe.c.id)
            if start is not None:
                q = q.where(_pe.c.day >= start)
            if end is not None:
                q = q.where(_pe.c.day <= end)
            entries = tuple(entry_from_row(r) for r in conn.execute(q))
        return Statement(resident_id, start, end, opening, entries,
                         opening + sum(e.amount for e in entries))

    def entry(self, actor: Actor, entry_id: int) -> PointsEntry:
        """One journal entry."""
        with self._read(actor, "points.entry") as op:
            row = op.uow.conn.execute(sa.select(_pe).where(_pe.c.id == entry_id)).first()
            if row is None:
                raise NotFound("points entry", entry_id)
            self._readable(op, row.resident_id)
            return entry_from_row(row)

    def entries(self, actor: Actor) -> list[PointsEntry]:
        """Every journal entry in order (system jobs only: audits, tests, exports)."""
        with self._read(actor, "points.entries") as op:
            require_system(op, POINTS_AUDIT)
            return [entry_from_row(r) for r in op.uow.conn.execute(
                sa.select(_pe).order_by(_pe.c.id))]

    def balances(self, actor: Actor) -> dict[str, int]:
        """Every stored balance (system jobs only)."""
        with self._read(actor, "points.balances") as op:
            require_system(op, POINTS_AUDIT)
            return {r[0]: int(r[1]) for r in op.uow.conn.execute(
                sa.select(_pb.c.resident_id, _pb.c.balance))}

    def check(self, actor: Actor) -> list[Violation]:
        """Run every ledger and stock invariant over the stored rows (system jobs only).

        Returns:
            The violations; an empty list means the journal, the balances and the stock agree.
        """
        with self._read(actor, "points.check") as op:
            require_system(op, POINTS_AUDIT)
            conn = op.uow.conn
            entries = [entry_from_row(r) for r in conn.execute(sa.select(_pe).order_by(_pe.c.id))]
            balances = {r[0]: int(r[1]) for r in conn.execute(
                sa.select(_pb.c.resident_id, _pb.c.balance))}
            si = tp.supermarket_items
            items = [Item(r.id, r.community_code, r.name, r.price_points, r.stock, r.active)
                     for r in conn.execute(sa.select(si))]
            sm = tp.stock_moves
            moves = [StockMove(r.item_id, r.delta, r.stock_after, r.kind)
                     for r in conn.execute(sa.select(sm).order_by(sm.c.id))]
            out = run_checks(entries, balances)
            out += [v for c in _STOCK_CHECKS for v in c(items, moves)]
            out += _redemption_links(conn)
            return out

    def report(self, actor: Actor, *, community: str | None = None) -> list[dict[str, Any]]:
        """Points issued, redeemed, expired and reversed per community and month.

        Rows are limited to the communities the actor may report on.
        """
        with self._read(actor, "points.report") as op:
            return monthly_points(op, community)


def resolve_resident_any(op: Operation, resident_id: str) -> ResidentRef:
    """Like :func:`resolve_resident` but also for erased residents (reads, corrections)."""
    ref = _resident_ref(op, resident_id, raw=False)
    if ref is None:
        raise NotFound("resident", resident_id)
    return ref


def _redemption_links(conn: sa.Connection) -> list[Violation]:
    """Every redemption points at a redeem entry of the same resident and points."""
    r = tp.redemptions
    q = (sa.select(r.c.id, r.c.points, r.c.resident_id, _pe.c.amount, _pe.c.kind,
                   _pe.c.resident_id.label("entry_resident"))
         .join(_pe, _pe.c.id == r.c.entry_id))
    out = []
    for row in conn.execute(q):
        if (row.kind != EntryKind.REDEEM.value or row.amount != -row.points
                or row.entry_resident != row.resident_id):
            out.append(Violation("check_redemption_links", f"redemption {row.id}",
                                 f"its entry is {row.kind} {row.amount}, expected redeem "
                                 f"{-row.points}"))
    return out


def monthly_points(op: Operation, community: str | None) -> list[dict[str, Any]]:
    """Per community and month: points issued, redeemed, expired and reversed."""
    scope = op.scope(A.REPORT_READ)
    q = (sa.select(_pe.c.community_code, _pe.c.month, _pe.c.kind, sa.func.sum(_pe.c.amount),
                   sa.func.count())
         .where(scope_clause(scope, unit=sa.func.coalesce(_pe.c.community_code, "")))
         .group_by(_pe.c.community_code, _pe.c.month, _pe.c.kind))
    if community is not None:
        q = q.where(_pe.c.community_code == community)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for code, month, kind, total, n in op.uow.conn.execute(q):
        row = rows.setdefault((code or "", month), {
            "community": code, "month": month, "issued": 0, "redeemed": 0, "expired": 0,
            "reversed": 0, "entries": 0})
        field = {"earn": "issued", "redeem": "redeemed", "expire": "expired",
                 "reverse": "reversed"}[kind]
        row[field] += abs(int(total)) if field != "reversed" else int(total)
        row["entries"] += int(n)
    return [rows[k] for k in sorted(rows)]


def _months_before(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + (day.month - 1) - months, 12)
    m += 1
    last = (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(y, m, min(day.day, last))



