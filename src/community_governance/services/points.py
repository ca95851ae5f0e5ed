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
import logging
import types
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import pendulum
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain import actions as A
from community_governance.domain.access import (
    Action,
    Actor,
    ActorKind,
    Principal,
    Scope,
    Target,
)
from community_governance.domain.chain import GENESIS, json_string, link_text, utc_text
from community_governance.domain.pii_text import mask_personal_numbers
from community_governance.domain.points import STOCK_CHECKS as _STOCK_CHECKS
from community_governance.domain.points import (
    AwardThreshold,
    EntryKind,
    ExpiryRun,
    Item,
    PendingAward,
    PointsEntry,
    Statement,
    StockMove,
    Violation,
    award_review,
    expirable_points,
    month_of,
    request_fingerprint,
    run_checks,
)
from community_governance.domain.posts import HolderKind
from community_governance.domain.posts import PostKind as P
from community_governance.errors import (
    CgovError,
    ConflictError,
    IdempotencyConflict,
    InsufficientBalance,
    NotFound,
    OutOfStock,
    PermissionDenied,
    ValidationError,
)
from community_governance.masking import mask_text
from community_governance.plugins import expect_int, expect_type
from community_governance.services.base import (
    Operation,
    Service,
    audit_committed,
    audit_fields,
    audit_link,
    audit_slot,
    audit_text,
    county_today,
    note_refusal,
    post_from_row,
)
from community_governance.services.denials import collecting
from community_governance.storage.base import UnitOfWork
from community_governance.storage.repos.bulk import chunks
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import core as t
from community_governance.storage.tables import points as tp

if TYPE_CHECKING:
    from community_governance.services.context import Context

__all__ = [
    "POINTS_AUDIT",
    "POINTS_CONFIRM",
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
#: Confirm or reject an award waiting for a second person (积分复核): community leaders and
#: higher offices, never the person who asked, the resident or their household.
POINTS_CONFIRM = Action("points.confirm", roles=_LEADERS | A.HIGHER_OFFICE)
#: Check the whole ledger: system jobs only (every row of every resident is read).
POINTS_AUDIT = Action("points.audit", roles=frozenset())

T = TypeVar("T")
MAX_KEY = 120
_log = logging.getLogger(__name__)


class _Nothing(Exception):
    """Nothing to write for this resident after all: roll the transaction back quietly."""


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
_BALANCE_Q = sa.select(_pb.c.balance).where(_pb.c.resident_id == _b("p_rid"))
_HEAD_Q = sa.select(_pb.c.balance, _pb.c.chain_head).where(_pb.c.resident_id == _b("p_rid"))
_ENTRY_BY_KEY = sa.select(_pe).where(_pe.c.idempotency_key == _b("p_key"))
_ENTRY_INSERT = _pe.insert()
#: the journal's columns that an entry's hash covers (all but ``id`` and the hash itself)
CHAIN_COLUMNS = ("resident_id", "kind", "amount", "balance_after", "at", "day", "month",
                 "community_code", "idempotency_key", "request", "reverses_id", "activity_id",
                 "reason", "actor")


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
            "buildings.grid_code, points_balances.balance, points_balances.chain_head FROM "
            "residents LEFT OUTER JOIN households ON households.id = residents.household_id "
            "LEFT OUTER JOIN buildings ON buildings.code = households.building_code "
            "LEFT OUTER JOIN points_balances ON points_balances.resident_id = residents.id "
            f"WHERE residents.id = {ph}")
        #: the resident's building (its first 12 characters: the community), for the hooks
        #: asked before a write
        self.community = (
            "SELECT households.building_code FROM residents JOIN households ON households.id "
            f"= residents.household_id WHERE residents.id = {ph}")
        #: PostgreSQL: the same look-up that also locks the resident's balance row until the
        #: commit (one round trip instead of the look-up and a ``FOR UPDATE`` read)
        self.resident_locked = (
            "SELECT residents.erased, residents.vulnerabilities, households.building_code, "
            "buildings.grid_code, pb.balance, pb.chain_head FROM residents LEFT OUTER JOIN "
            "households ON households.id = residents.household_id LEFT OUTER JOIN buildings ON "
            "buildings.code = households.building_code LEFT OUTER JOIN LATERAL (SELECT "
            "points_balances.balance, points_balances.chain_head FROM points_balances WHERE "
            "points_balances.resident_id = residents.id FOR UPDATE) AS pb ON true WHERE "
            f"residents.id = {ph}") if dialect.name == "postgresql" else self.resident
        #: the balance row and chain head, locked until the commit (PostgreSQL; SQLite's
        #: writer holds the database's write lock from BEGIN IMMEDIATE)
        self.head = (f"SELECT balance, chain_head FROM points_balances WHERE resident_id = {ph}"
                     + ("" if dialect.name == "sqlite" else " FOR UPDATE"))
        self.seed = (f"INSERT INTO points_balances (resident_id, balance, chain_head) VALUES "
                     f"({ph}, 0, '') ON CONFLICT (resident_id) DO NOTHING")
        self.new_balance = (f"INSERT INTO points_balances (resident_id, balance, chain_head) "
                            f"VALUES ({ph}, {ph}, {ph})")
        self.set_balance = (f"UPDATE points_balances SET balance = {ph}, chain_head = {ph} "
                            f"WHERE resident_id = {ph}")
        self.entry_cols = (*CHAIN_COLUMNS, "chain_hash")
        #: SQLite: no RETURNING (the cursor's ``lastrowid`` is the new id, and RETURNING
        #: buffers its rows in a table of its own)
        self.entry = (f"INSERT INTO points_entries ({', '.join(self.entry_cols)}) VALUES "
                      f"({', '.join([ph] * len(self.entry_cols))})"
                      + ("" if dialect.name == "sqlite" else " RETURNING id"))
        self.posts = (
            "SELECT posts.id, posts.kind, posts.unit_code, posts.holder_kind, posts.holder_id, "
            'posts.start, posts."end", posts.covers, residents.erased FROM posts LEFT OUTER '
            f"JOIN residents ON residents.id = posts.holder_id WHERE posts.holder_id = {ph}")
        #: the four-eyes checks of an award in one statement: the households of the actor and
        #: the resident, and the resident's direct awards this month (journal and waiting)
        self.award_checks = (
            f"SELECT (SELECT household_id FROM residents WHERE id = {ph}), "
            f"(SELECT household_id FROM residents WHERE id = {ph}), "
            "(SELECT coalesce(sum(amount), 0) FROM points_entries WHERE resident_id = "
            f"{ph} AND month = {ph} AND kind = 'earn' AND activity_id IS NULL), "
            "(SELECT coalesce(sum(amount), 0) FROM points_pending WHERE resident_id = "
            f"{ph} AND state = 'pending')")
        self.audit = ("INSERT INTO audit_log (at, actor_kind, actor_id, operation, objects, "
                      f"detail, chain, chain_hash) VALUES ({ph}, {ph}, {ph}, {ph}, {ph}, {ph}, "
                      f"{ph}, {ph})")
        #: PostgreSQL: the operation's last entry and its audit row in one statement (see
        #: :func:`post_entry`'s ``last``): the audit row's ``objects`` and hash are completed
        #: with the entry's new id in SQL, from the text the hash covers split around it
        #: (with the balance row's write first: ``[new resident?]``)
        self.entry_audit: tuple[str, str] | None = None
        if dialect.name == "postgresql":
            tail = (
                f"e AS ({self.entry}) INSERT INTO audit_log (at, actor_kind, actor_id, "
                "operation, objects, detail, chain, chain_hash) SELECT %s, %s, %s, %s, "
                "%s::text || e.id::text || %s::text, %s, %s, encode(sha256(%s::bytea || "
                "convert_to(e.id::text, 'UTF8') || %s::bytea), 'hex') FROM e "
                "RETURNING (SELECT id FROM e), chain_hash")
            self.entry_audit = (f"WITH b AS ({self.set_balance}), {tail}",
                                f"WITH b AS ({self.new_balance}), {tail}")
            # a batch of entries (post_entries): four statements, whatever its size
            cast = {c: _pe.c[c].type.compile(dialect) for c in self.entry_cols}
            self.seed_many = (
                "INSERT INTO points_balances (resident_id, balance, chain_head) SELECT r, 0, '' "
                "FROM unnest(%s::VARCHAR[]) AS r ORDER BY r ON CONFLICT (resident_id) DO NOTHING")
            self.head_many = (
                "SELECT resident_id, balance, chain_head FROM points_balances WHERE "
                "resident_id = ANY(%s::VARCHAR[]) ORDER BY resident_id FOR UPDATE")
            cols = ", ".join(self.entry_cols)
            self.entry_many = (
                f"INSERT INTO points_entries ({cols}) SELECT {cols} FROM unnest("
                + ", ".join(f"%s::{cast[c]}[]" for c in self.entry_cols)
                + f") WITH ORDINALITY AS u ({cols}, n) ORDER BY n "
                "RETURNING id, idempotency_key")
            self.set_balances = (
                "UPDATE points_balances SET balance = u.balance, chain_head = u.head FROM "
                "unnest(%s::VARCHAR[], %s::INTEGER[], %s::VARCHAR[]) AS u (rid, balance, head) "
                "WHERE points_balances.resident_id = u.rid")
        self.day = _processor(_pe.c.day, dialect)
        self._day: tuple[Any, Any, str] = (None, None, "")
        self.sqlite = dialect.name == "sqlite"
        proc = _processor(_pe.c.at, dialect)
        probe = dt.datetime(2001, 2, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
        if proc(probe) != self.timestamp(probe):  # pragma: no cover - a driver changed
            raise RuntimeError("the hot path's timestamps differ from the column type's")

    def timestamp(self, when: dt.datetime) -> Any:
        """``when`` (aware, UTC) as the ``UTCDateTime`` columns store it on this dialect."""
        n = when
        naive = dt.datetime(n.year, n.month, n.day, n.hour, n.minute, n.second, n.microsecond)
        # SQLite: ``YYYY-MM-DD HH:MM:SS.ffffff`` (checked against the column type at start)
        return naive.isoformat(" ", "microseconds") if self.sqlite else naive

    def day_forms(self, day: dt.date) -> tuple[Any, str]:
        """``day`` as the journal's ``day`` column stores it, and its ``month``; remembered
        for the last day asked (an operation's day is the same for a whole day of writes)."""
        got = self._day
        if got[0] != day:
            got = self._day = (day, self.day(day), month_of(day))
        return got[1], got[2]


def _processor(col: sa.Column[Any], dialect: sa.Dialect) -> Callable[[Any], Any]:
    proc = col.type.dialect_impl(dialect).bind_processor(dialect)
    return proc if proc is not None else (lambda v: v)


_FAST: dict[str, FastSql | None] = {}
#: the text of each kind of entry and actor (an enum's ``.value`` is a property lookup)
_KIND_TEXT: dict[Any, str] = {**{k: k.value for k in EntryKind},
                              **{k: k.value for k in ActorKind}}


def fast_sql(conn: sa.Connection) -> FastSql | None:
    """The pre-rendered SQL for ``conn``'s dialect, or ``None`` to use Core."""
    name = conn.dialect.name
    if name not in _FAST:
        _FAST[name] = FastSql(conn.dialect) if name in ("sqlite", "postgresql") else None
    return _FAST[name]


def _op_times(op: Operation, fast: FastSql) -> tuple[Any, str]:
    """The operation's time as stored and as the hash chains encode it, computed once per
    operation (the entry and the audit row store it, and both hashes cover it)."""
    got: tuple[Any, str] | None = getattr(op, "_cgov_times", None)
    if got is None:
        stamp = fast.timestamp(op.now)  # gov.now() is UTC already
        # SQLite's stamp is the UTC text itself: the chains' form only punctuates it
        got = (stamp, f"{stamp[:10]}T{stamp[11:]}Z" if fast.sqlite else utc_text(op.now))
        op._cgov_times = got  # type: ignore[attr-defined]
    return got


def _json_opt(value: str | None) -> str:
    return "null" if value is None else json_string(value)


def entry_text(values: tuple[Any, ...], at_text: str) -> str:
    """The canonical text of a journal row (``values`` in :data:`CHAIN_COLUMNS` order, ``at``
    already as :func:`~community_governance.domain.chain.utc_text`), written field by field:
    the same bytes as ``canonical_text`` of the row (a test checks it for arbitrary rows)."""
    (rid, kind, amount, balance, _at, day, month, community, key, request, reverses_id,
     activity_id, reason, actor) = values
    return (f'{{"activity_id":{_json_opt(activity_id)},"actor":{json_string(actor)},'
            f'"amount":{int.__repr__(amount)},"at":"{at_text}",'
            f'"balance_after":{int.__repr__(balance)},'
            f'"community_code":{_json_opt(community)},"day":"{day.isoformat()}",'
            f'"idempotency_key":{json_string(key)},"kind":{json_string(kind)},'
            f'"month":{json_string(month)},"reason":{json_string(reason)},'
            f'"request":{json_string(request)},"resident_id":{json_string(rid)},'
            f'"reverses_id":{"null" if reverses_id is None else int.__repr__(reverses_id)}}}')


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
                   now: pendulum.DateTime, today: dt.date | None = None) -> Principal:
    """:meth:`Service._principal` in one query: a staff actor's posts joined with the holder's
    ``erased`` flag (an erased or unknown resident holds no post any more). A test compares
    it with the base implementation for every post of the test city. ``today``: the county
    date of ``now``, when the caller has it."""
    if not isinstance(actor, Actor) or actor.kind is not ActorKind.STAFF:
        if isinstance(actor, Actor) and today is not None:
            return Principal(actor, (), today)  # what _principal answers, without a zone
        return svc._principal(uow, actor, now)
    rows = uow.driver.execute(fast.posts, (actor.id,)).fetchall()
    posts = [post_from_row(_PostRow(r)) for r in rows]
    if any(p.holder_kind is HolderKind.RESIDENT for p in posts) and any(
            r[8] is None or bool(r[8]) for r in rows):
        posts = [p for p in posts if p.holder_kind is not HolderKind.RESIDENT]
    day = today if today is not None else county_today(svc._gov.timezone, now)
    return Principal.of(actor, posts, day)


def raw_execute(op: Operation, fast: FastSql, sql: str, params: tuple[Any, ...]) -> Any:
    """Run ``sql`` on the unit of work's driver connection; wrap integrity errors like Core."""
    try:
        return op.uow.driver.execute(sql, params)
    except fast.integrity_error as exc:
        raise IntegrityError(sql, params, exc) from exc


def resolve_resident(op: Operation, resident_id: str, *, path: str = "resident_id",
                     lock: bool = False) -> ResidentRef:
    """Find a resident (one query) or raise :class:`NotFound`; refuse erased residents.

    ``lock``: the write will post a journal entry for the resident; on PostgreSQL the look-up
    then also locks their balance row and reads its chain head (see :func:`post_entry`)."""
    if not isinstance(resident_id, str) or not resident_id:
        raise ValidationError("a resident key (residents.id) is required", path=path)
    ref = _resident_ref(op, resident_id, raw=True, lock=lock)
    if ref is None:
        raise NotFound("resident", resident_id, "register the resident first (gov.registry)")
    if ref.erased:
        raise ValidationError(
            f"resident {resident_id} was erased at their request: no new entries can be "
            "written for them (their past entries stay in the journal)", path=path)
    return ref


def _resident_ref(op: Operation, resident_id: str, *, raw: bool,
                  lock: bool = False) -> ResidentRef | None:
    """The resident's place (erased or not), or ``None``; ``raw``: pre-rendered SQL if the
    dialect has it (the write hot path); ``lock``: see :func:`resolve_resident`."""
    fast = fast_sql(op.uow.conn) if raw else None
    if fast is not None:
        locked = lock and op.uow.write and not fast.sqlite
        row = raw_execute(op, fast, fast.resident_locked if locked else fast.resident,
                          (resident_id,)).fetchone()
        if row is not None and fast.sqlite and op.uow.write:
            # the writer holds SQLite's write lock: the balance and chain head read here
            # stay current until this transaction writes them (see post_entry)
            op.chain_heads.setdefault(f"points:{resident_id}",
                                      None if row[4] is None else (int(row[4]), row[5]))
        elif row is not None and locked and row[4] is not None:
            # PostgreSQL: the row is locked until the commit and read after the lock was
            # granted; a resident with no balance row yet is seeded by post_entry
            op.chain_heads.setdefault(f"points:{resident_id}", (int(row[4]), row[5]))
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


def _lock_balance(op: Operation, fast: FastSql | None, rid: str) -> tuple[int, str] | None:
    """The resident's balance and chain head, with their row locked until the commit
    (``None``: no row yet). On PostgreSQL a missing row is created first (balance 0), so that
    two first entries of one resident queue on its lock instead of failing on its key."""
    if fast is None:
        conn = op.uow.conn
        row = conn.execute(_HEAD_Q.with_for_update(), {"p_rid": rid}).first()
        return None if row is None else (int(row[0]), row[1])
    row = raw_execute(op, fast, fast.head, (rid,)).fetchone()
    if row is None and not fast.sqlite:
        raw_execute(op, fast, fast.seed, (rid,))
        row = raw_execute(op, fast, fast.head, (rid,)).fetchone()
    return None if row is None else (int(row[0]), row[1])


def _entry_row(op: Operation, fast: FastSql | None, resident: ResidentRef,
               got: tuple[int, str] | None, kind: EntryKind, amount: int, key: str,
               request: str, reason: str, activity_id: str | None, reverses_id: int | None,
               ) -> tuple[int, tuple[Any, ...], str, Any, Any]:
    """A journal entry's new balance, columns (:data:`CHAIN_COLUMNS` order), chain hash, and
    its ``at`` and ``day`` as the driver stores them, after the head ``got`` (``None``: the
    resident's first entry).

    Raises:
        InsufficientBalance: a debit larger than the balance.
    """
    rid = resident.id
    old, prev = got if got is not None else (0, GENESIS)
    balance = old + amount
    if balance < 0:
        raise InsufficientBalance(
            f"resident {rid} has {old} points and cannot spend {-amount}: a balance never "
            "goes negative; earn more points first or spend less")
    actor = op.actor
    today = op.today
    reason = reason[:200]
    actor_text = f"{_KIND_TEXT[actor.kind]}:{actor.id}"[:80]
    if fast is not None:
        stamp, at_text = _op_times(op, fast)
        day, month = fast.day_forms(today)
    else:
        stamp, at_text, day, month = op.now, utc_text(op.now), today, month_of(today)
    values = (rid, _KIND_TEXT[kind], amount, balance, op.now, today, month,
              resident.community_code, key, request, reverses_id, activity_id, reason,
              actor_text)
    return balance, values, link_text(prev, entry_text(values, at_text)), stamp, day


def post_entry(
    op: Operation, resident: ResidentRef, kind: EntryKind, amount: int, key: str, request: str,
    *, reason: str = "", activity_id: str | None = None, reverses_id: int | None = None,
    last: bool = False,
) -> PointsEntry:
    """Write one journal entry and move the balance, in the operation's transaction.

    ``amount`` is signed. The resident's balance row is read with its lock (PostgreSQL:
    ``FOR UPDATE``; SQLite: the writer's ``BEGIN IMMEDIATE`` lock, and the read rides on the
    resident look-up); the new balance is checked (never negative) and written with the new
    head of the resident's hash chain, which the entry stores as ``chain_hash``
    (:func:`~community_governance.domain.chain.link` of the previous head and the entry's
    columns). So the chain adds one SHA-256 and, on SQLite, no statement; PostgreSQL pays one
    locked read, and writers of different residents never wait for each other.

    ``last``: the entry is the operation's last write (an earn, a redeem). On PostgreSQL's
    pipelined hot path (see :class:`~community_governance.storage.base.DriverUnitOfWork`) the
    balance write, the entry and the audit row go out as one statement
    (:attr:`FastSql.entry_audit`) with the ``COMMIT``: one round trip for the whole write
    instead of two. The rows are those :func:`fast_write` would have written after
    it (a test compares them); the operation is committed when this returns.

    Raises:
        InsufficientBalance: a debit larger than the balance.
        sqlalchemy.exc.IntegrityError: the idempotency key exists (the caller replays).
    """
    conn = op.uow.conn
    rid = resident.id
    fast = fast_sql(conn)
    slot = f"points:{rid}"
    got = op.chain_heads[slot] if slot in op.chain_heads else _lock_balance(op, fast, rid)
    balance, values, digest, stamp, day = _entry_row(op, fast, resident, got, kind, amount,
                                                     key, request, reason, activity_id,
                                                     reverses_id)
    today = op.today
    reason = values[12]
    new_id: Any = None
    if (last and fast is not None and fast.entry_audit is not None
            and getattr(op.uow, "pipelined", False) and not op.touched and not op.detail):
        # written with the audit row, and committed (None: not here, see _post_last)
        new_id = _post_last(op, fast, (rid, balance, digest), got is None,
                            (*values[:4], stamp, day, *values[6:], digest))
    if new_id is None and fast is not None:
        driver = op.uow.driver  # raw_execute's work, inline (the hot path's two writes)
        sql: str
        params: tuple[Any, ...]
        sql, params = ((fast.new_balance, (rid, balance, digest)) if got is None
                       else (fast.set_balance, (balance, digest, rid)))
        try:
            driver.execute(sql, params)
            sql, params = fast.entry, (*values[:4], stamp, day, *values[6:], digest)
            cur = driver.execute(sql, params)
            # PostgreSQL: in pipeline mode the balance write and the entry travel together,
            # and their errors come with this fetch
            new_id = cur.lastrowid if fast.sqlite else cur.fetchone()[0]
        except fast.integrity_error as exc:
            raise IntegrityError(sql, params, exc) from exc
    elif new_id is None:
        if got is None:
            conn.execute(_pb.insert(), {"resident_id": rid, "balance": balance,
                                        "chain_head": digest})
        else:
            conn.execute(_pb.update().where(_pb.c.resident_id == rid).values(
                balance=balance, chain_head=digest))
        new_id = conn.execute(_ENTRY_INSERT, {
            **dict(zip(CHAIN_COLUMNS, values, strict=True)), "chain_hash": digest,
        }).inserted_primary_key[0]  # type: ignore[index]
    op.chain_heads[slot] = (balance, digest)
    op.touched.append(f"points_entry:{new_id}")
    return PointsEntry(
        id=int(new_id), resident_id=rid, kind=kind, amount=amount, balance_after=int(balance),
        at=op.now, day=today, idempotency_key=key, reverses_id=reverses_id,
        community_code=resident.community_code,
        reason=mask_personal_numbers(reason) if reason else reason, activity_id=activity_id,
    )


#: stands for the new entry's id in the audit row's text until the database assigns it
_NEW_ID = "@NEW-ID@"


def _post_last(op: Operation, fast: FastSql, balance_row: tuple[str, int, str], new: bool,
               entry: tuple[Any, ...]) -> Any | None:
    """:func:`post_entry`'s ``last`` write on PostgreSQL: the balance row, the entry and its
    audit row (the one :func:`fast_write` writes) in one statement, and the commit, sent
    together; returns the entry's id. The audit row's text is :func:`audit_fields` and
    :func:`audit_text` of the operation with the entry touched, split around the entry's id
    (a stand-in for it): the database joins the
    parts with the id it assigns and hashes the result as :func:`link_text` would (a test
    compares the rows with those of the two-step path). The id (an ``INTEGER``: ten digits at
    most) never makes :func:`audit_fields` mask the ``objects``, so the stand-in's form is
    the id's. ``None``, nothing sent: the stand-in occurs elsewhere in the row (an actor
    named like it), the operation takes the two-step path."""
    actor = op.actor
    kind, who, what = _KIND_TEXT[actor.kind], actor.id[:60], op.name[:80]
    op.touched.append(f"points_entry:{_NEW_ID}")
    try:
        objects, detail = audit_fields(op)
    finally:
        op.touched.pop()
    stamp, at_text = _op_times(op, fast)
    slot = audit_slot(op.gov.store)
    chain = slot[0]
    text = f"{slot[1]}\n{audit_text(at_text, kind, who, what, objects, detail, chain)}"
    obj_parts, text_parts = objects.split(_NEW_ID), text.split(_NEW_ID)
    if len(obj_parts) != 2 or len(text_parts) != 2:
        return None
    rid, balance, digest = balance_row
    driver = op.uow.driver
    assert fast.entry_audit is not None
    sql = fast.entry_audit[new]
    params = ((rid, balance, digest) if new else (balance, digest, rid)) + (
        *entry, stamp, kind, who, what, obj_parts[0], obj_parts[1], detail, chain,
        text_parts[0].encode(), text_parts[1].encode())
    try:
        cur = driver.execute(sql, params)
        op.uow.commit()  # COMMIT rides along; the statements' errors come here
    except fast.integrity_error as exc:
        raise IntegrityError(sql, params, exc) from exc
    new_id, audit_hash = cur.fetchone()
    audit_committed(slot, audit_hash)
    return new_id


#: an entry to post: the resident, kind, signed amount, idempotency key, request
#: fingerprint, reason and activity (see :func:`post_entry`)
EntryItem = tuple[ResidentRef, EntryKind, int, str, str, str, "str | None"]


def post_entries(op: Operation, items: list[EntryItem]) -> list[PointsEntry]:
    """Post ``items`` in order, as :func:`post_entry` would one by one, in the operation's
    transaction: the same journal rows (ids, balances, chain hashes) and balance rows.

    On PostgreSQL the batch costs four statements in two round trips instead of three or four
    per entry: the missing balance rows are seeded and all the batch's balance rows locked (in
    resident order, as the single path locks them, so concurrent batches never deadlock) and
    read, the entries computed here (each resident's chain in the order given), then the
    entries inserted (``RETURNING`` their ids) and each balance row set once. Elsewhere (SQLite,
    whose writer holds the write lock and pays no round trip; other dialects) each item goes
    through :func:`post_entry`.

    Raises:
        InsufficientBalance: a debit larger than the balance (nothing of the batch is sent).
        sqlalchemy.exc.IntegrityError: an idempotency key exists (the caller replays).
    """
    fast = fast_sql(op.uow.conn)
    heads = op.chain_heads
    if (fast is None or fast.sqlite or not items
            or any(heads.get(f"points:{it[0].id}", True) is None for it in items)):
        return [post_entry(op, ref, kind, amount, key, request, reason=reason,
                           activity_id=activity_id)
                for ref, kind, amount, key, request, reason, activity_id in items]
    import psycopg

    driver = op.uow.driver
    piped = (driver.pipeline if psycopg.Pipeline.is_supported()
             else contextlib.nullcontext)
    want = sorted({it[0].id for it in items if f"points:{it[0].id}" not in heads})
    sql: str = fast.seed_many
    params: tuple[Any, ...] = (want,)
    try:
        if want:
            with piped():
                driver.execute(sql, params)
                sql = fast.head_many
                cur = driver.execute(sql, params)
            for rid, balance, head in cur.fetchall():
                heads[f"points:{rid}"] = (int(balance), head)
        rows: list[tuple[Any, ...]] = []
        out: list[tuple[int, tuple[Any, ...]]] = []
        for ref, kind, amount, key, request, reason, activity_id in items:
            slot = f"points:{ref.id}"
            balance, values, digest, stamp, day = _entry_row(
                op, fast, ref, heads[slot], kind, amount, key, request, reason, activity_id,
                None)
            heads[slot] = (balance, digest)
            rows.append((*values[:4], stamp, day, *values[6:], digest))
            out.append((balance, values))
        last = {r[0]: (r[3], r[-1]) for r in rows}
        with piped():
            sql, params = fast.entry_many, tuple(list(c) for c in zip(*rows, strict=True))
            cur = driver.execute(sql, params)
            sql, params = fast.set_balances, (list(last), [b for b, _ in last.values()],
                                              [h for _, h in last.values()])
            driver.execute(sql, params)
        ids = dict((k, i) for i, k in cur.fetchall())
    except fast.integrity_error as exc:
        raise IntegrityError(sql, params, exc) from exc
    entries: list[PointsEntry] = []
    for (ref, kind, amount, key, _, _, activity_id), (balance, values) in zip(
            items, out, strict=True):
        new_id = ids[key]
        op.touched.append(f"points_entry:{new_id}")
        reason = values[12]
        entries.append(PointsEntry(
            id=int(new_id), resident_id=ref.id, kind=kind, amount=amount,
            balance_after=int(balance), at=op.now, day=op.today, idempotency_key=key,
            reverses_id=None, community_code=ref.community_code,
            reason=mask_personal_numbers(reason) if reason else reason,
            activity_id=activity_id))
    return entries


@contextlib.contextmanager
def fast_write(svc: Service, actor: Actor, name: str) -> Iterator[Operation]:
    """:meth:`Service._write` for the ledger's hot path: the same checks, audit row, commit and
    notifications, with the transaction begun and committed on the driver's connection
    (``driver_unit_of_work``) and the audit row sent as pre-rendered SQL (see
    :class:`FastSql`)."""
    gov = svc._gov
    store = gov.store
    begin = getattr(store, "driver_unit_of_work", None)
    if begin is None or getattr(store, "dialect", None) not in ("sqlite", "postgresql"):
        with svc._write(actor, name) as op:
            yield op
        return
    now = gov.now()
    with collecting(gov, now) as pending:
        try:
            with begin() as uow:
                fast = fast_sql(uow.conn)
                assert fast is not None
                today = county_today(gov.timezone, now)
                op = Operation(gov, uow, fast_principal(svc, uow, fast, actor, now, today),
                               now, name, pending, today=today)
                yield op
                if not uow.committed:  # else the last entry took the audit row (_post_last)
                    objects, detail = audit_fields(op)
                    who, what, kind = actor.id[:60], name[:80], _KIND_TEXT[actor.kind]
                    stamp, at_text = _op_times(op, fast)
                    chain, digest, slot = audit_link(store, now, kind, who, what, objects,
                                                     detail, at_text=at_text)
                    raw_execute(op, fast, fast.audit, (
                        stamp, kind, who, what, objects, detail, chain, digest))
                    uow.commit()
                    audit_committed(slot, digest)
        except PermissionDenied as exc:
            note_refusal(pending, exc, actor, name)
            raise
    for event, payload in op.events:
        svc._hooks.notify(event, payload)


#: Errors after which a retried request may find its first result already written.
REPLAYABLE = (IntegrityError, InsufficientBalance, OutOfStock, ConflictError, ValidationError)


def idempotent(
    gov: Context, key: str, request: str, write: Callable[[], T],
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


def _community_of(uow: UnitOfWork, resident_id: str) -> str | None:
    """The resident's community (for the hooks asked before a write), or ``None``; through
    the pre-rendered SQL where the dialect has it (an award by a person asks it each time)."""
    fast = fast_sql(uow.conn)
    if fast is not None:
        row = uow.driver.execute(fast.community, (resident_id,)).fetchone()
        return row[0][:12] if row is not None and row[0] else None
    row = uow.conn.execute(_RES_Q, {"p_rid": resident_id}).first()
    return row[2][:12] if row is not None and row[2] else None


def _refuse_own_household(op: Operation, ref: ResidentRef, action: Action, verb: str,
                          homes: tuple[str | None, str | None] | None = None) -> None:
    """Four-eyes rule: nobody acts on points for themselves or their own household.

    ``homes``: the households of the actor and the resident, when the caller read them."""
    me = op.actor.id
    if op.actor.kind is ActorKind.SYSTEM:
        return
    own = me == ref.id
    if not own:
        if homes is None:
            hh = t.residents.c.household_id
            got = dict(op.uow.conn.execute(sa.select(t.residents.c.id, hh).where(
                t.residents.c.id.in_([me, ref.id]))).all())
            homes = (got.get(me), got.get(ref.id))
        own = homes[0] is not None and homes[0] == homes[1]
    if own:
        who = "themselves" if me == ref.id else "a member of their own household"
        raise PermissionDenied(
            mask_text(str(op.actor)), action.name, f"resident {ref.id}",
            f"four-eyes rule: nobody may {verb} {who}; ask another grid leader or the "
            "community office to do it")


def _award_checks(op: Operation, ref: ResidentRef) -> int:
    """The four-eyes checks of a direct award in one statement (pre-rendered where the dialect
    has it): refuse an award to the actor or their household, then return the resident's
    direct awards this month (see :func:`_awarded_this_month`)."""
    fast = fast_sql(op.uow.conn)
    if fast is None:
        _refuse_own_household(op, ref, POINTS_EARN, "award points to")
        return _awarded_this_month(op, ref.id)
    row = raw_execute(op, fast, fast.award_checks, (
        op.actor.id, ref.id, ref.id, month_of(op.today), ref.id)).fetchone()
    _refuse_own_household(op, ref, POINTS_EARN, "award points to", homes=(row[0], row[1]))
    return int(row[2]) + int(row[3])


def _awarded_this_month(op: Operation, resident_id: str) -> int:
    """Direct awards to the resident this calendar month: journal earns (not scored
    attendance) and every award still waiting (it lands in the journal when confirmed)."""
    month = month_of(op.today)
    conn = op.uow.conn
    pp = tp.points_pending
    earned = sa.select(sa.func.coalesce(sa.func.sum(_pe.c.amount), 0)).where(
        _pe.c.resident_id == resident_id, _pe.c.month == month,
        _pe.c.kind == EntryKind.EARN.value, _pe.c.activity_id.is_(None)).scalar_subquery()
    waiting = sa.select(sa.func.coalesce(sa.func.sum(pp.c.amount), 0)).where(
        pp.c.resident_id == resident_id, pp.c.state == "pending").scalar_subquery()
    got = conn.execute(sa.select(earned, waiting)).one()  # one statement for both sums
    return int(got[0]) + int(got[1])


def _hold(op: Operation, ref: ResidentRef, amount: int, key: str, request: str, reason: str,
          rule: str) -> PendingAward:
    """Record an award that waits for a second person's confirmation."""
    pp = tp.points_pending
    row = {"resident_id": ref.id, "community_code": ref.community_code, "amount": amount,
           "reason": reason[:200], "idempotency_key": key, "request": request,
           "rule": rule[:200], "state": "pending",
           "requested_by": f"{op.actor.kind.value}:{op.actor.id}"[:80],
           "requested_at": op.now}
    new_id = op.uow.conn.execute(pp.insert(), row).inserted_primary_key[0]  # type: ignore[index]
    op.touch("points_pending", new_id)
    op.detail.update({"held": rule})
    return _pending_from_row(types.SimpleNamespace(
        id=int(new_id), decided_by=None, decided_at=None, note="", entry_id=None, **row))


def _pending_from_row(r: Any) -> PendingAward:
    return PendingAward(
        id=int(r.id), resident_id=r.resident_id, community_code=r.community_code,
        amount=int(r.amount), reason=r.reason, key=r.idempotency_key, rule=r.rule,
        state=r.state, requested_by=r.requested_by, requested_at=r.requested_at,
        decided_by=r.decided_by, decided_at=r.decided_at, note=r.note or "",
        entry_id=r.entry_id)


def replay_award(conn: sa.Connection, key: str, request: str) -> PointsEntry | PendingAward | None:
    """The entry or the waiting award written under ``key`` (see :func:`idempotent`)."""
    got = replay_entry(conn, key, request)
    if got is not None:
        return got
    pp = tp.points_pending
    row = conn.execute(sa.select(pp).where(pp.c.idempotency_key == key)).first()
    if row is None:
        return None
    if row.request != request:
        raise IdempotencyConflict(
            f"idempotency key {key!r} was used for a different request (award {row.id} of "
            f"{row.amount} for {row.resident_id}); use a new key for a new request")
    return _pending_from_row(row)


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
             reason: str = "") -> PointsEntry | PendingAward:
        """Award points to a resident (获得积分).

        Four-eyes rules (双人复核) for awards by a person (system jobs are exempt): nobody
        awards points to themselves or to a member of their own household (refused); an award
        above the threshold of the ``cgov_points_award_threshold`` hook (national default:
        above 50 points in one entry, or above 200 points to one resident in a calendar month)
        is not written to the journal but waits as a :class:`PendingAward` until someone
        else with the right post confirms it (:meth:`confirm`) or rejects it (:meth:`reject`).

        Args:
            actor: who awards.
            resident_id: the resident (``residents.id``).
            amount: a positive whole number of points.
            key: the idempotency key: the same request again returns the first answer.
            reason: why, shown in statements.

        Returns:
            The journal entry (also when the request was a replay), or the waiting award.

        Raises:
            ValidationError: a non-positive or non-integer amount, a bad key.
            NotFound: the resident does not exist.
            PermissionDenied: the actor may not award points to this resident, or the award
                is to the actor or their household (four-eyes rule).
            IdempotencyConflict: the key was used for a different request.
        """
        check_key(key)
        check_points(amount)
        fp = request_fingerprint(op="earn", resident=resident_id, amount=amount, reason=reason)
        threshold: AwardThreshold | None = None
        if isinstance(actor, Actor) and actor.kind is not ActorKind.SYSTEM:
            # the hook is asked before the write transaction opens (it needs the place)
            with self._gov.store.unit_of_work(write=False) as uow:
                place = _community_of(uow, resident_id)
            threshold = self._hooks.first(
                "cgov_points_award_threshold", expect_type(AwardThreshold),
                community_code=place, place=place)

        def write() -> PointsEntry | PendingAward:
            with self._narrowing_first(actor, "points.earn", resident_id, POINTS_EARN), \
                    fast_write(self, actor, "points.earn") as op:
                ref = resolve_resident(op, resident_id, lock=True)
                op.require(POINTS_EARN, ref.target())
                if threshold is None:
                    return post_entry(op, ref, EntryKind.EARN, amount, key, fp, reason=reason,
                                      last=True)
                rule = award_review(amount, _award_checks(op, ref), threshold)
                if rule is None:
                    return post_entry(op, ref, EntryKind.EARN, amount, key, fp, reason=reason,
                                      last=True)
                return _hold(op, ref, amount, key, fp, reason, rule)

        return idempotent(self._gov, key, fp, write, replay_award)

    def pending(self, actor: Actor, *, community: str | None = None,
                state: str = "pending") -> list[PendingAward]:
        """Awards waiting for confirmation (or, with ``state``, confirmed or rejected ones),
        in the communities the actor may award or confirm points in, oldest first."""
        if state not in ("pending", "confirmed", "rejected"):
            raise ValidationError(f"state {state!r} is not pending, confirmed or rejected",
                                  path="state")
        pp = tp.points_pending
        with self._read(actor, "points.pending") as op:
            scope = Scope.union([op.scope(POINTS_EARN), op.scope(POINTS_CONFIRM)])
            q = (sa.select(pp).where(pp.c.state == state, scope_clause(
                scope, unit=sa.func.coalesce(pp.c.community_code, ""))).order_by(pp.c.id))
            if community is not None:
                q = q.where(pp.c.community_code == community)
            return [_pending_from_row(r) for r in op.uow.conn.execute(q)]

    def confirm(self, actor: Actor, pending_id: int, *, note: str = "") -> PointsEntry:
        """Confirm an award waiting for a second person (复核通过): the journal entry is
        written under the award's own key.

        Raises:
            NotFound: no such waiting award.
            ConflictError: it was confirmed or rejected already.
            PermissionDenied: the actor asked for it (no self-confirmation), is the resident
                or of their household, or holds no post that may confirm (a community's
                secretary or director, or a higher office).
        """
        def write() -> PointsEntry:
            with self._write(actor, "points.confirm") as op:
                row, ref = self._decidable(op, pending_id)
                entry = post_entry(op, ref, EntryKind.EARN, row.amount, row.idempotency_key,
                                   row.request, reason=row.reason)
                self._decide(op, pending_id, "confirmed", note, entry.id)
                return entry

        try:
            return write()
        except ConflictError:
            with self._gov.store.unit_of_work(write=False) as uow:
                row = uow.conn.execute(sa.select(tp.points_pending).where(
                    tp.points_pending.c.id == pending_id)).first()
                got = (uow.conn.execute(sa.select(_pe).where(_pe.c.id == row.entry_id)).first()
                       if row is not None and row.entry_id is not None else None)
            if got is not None and row is not None and row.decided_by == str(actor):
                return entry_from_row(got)  # the same person confirming again: a replay
            raise

    def reject(self, actor: Actor, pending_id: int, *, reason: str) -> PendingAward:
        """Reject an award waiting for a second person (复核不通过); nothing is awarded.

        Raises:
            ValidationError: no reason given.
            NotFound, ConflictError, PermissionDenied: as for :meth:`confirm`.
        """
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError("a rejection needs a reason (the requester reads it)",
                                  path="reason")
        with self._write(actor, "points.reject") as op:
            self._decidable(op, pending_id)
            self._decide(op, pending_id, "rejected", reason, None)
            row = op.uow.conn.execute(sa.select(tp.points_pending).where(
                tp.points_pending.c.id == pending_id)).one()
            return _pending_from_row(row)

    @staticmethod
    def _decidable(op: Operation, pending_id: int) -> tuple[Any, ResidentRef]:
        pp = tp.points_pending
        q = sa.select(pp).where(pp.c.id == pending_id)
        if op.uow.conn.dialect.name == "postgresql":
            q = q.with_for_update()
        row = op.uow.conn.execute(q).first()
        if row is None:
            raise NotFound("points award waiting for confirmation", pending_id,
                           "list them with cgov points pending")
        if row.state != "pending":
            raise ConflictError(
                f"award {pending_id} was {row.state} already by {row.decided_by}; nothing to do")
        me = f"{op.actor.kind.value}:{op.actor.id}"[:80]
        if row.requested_by == me:
            raise PermissionDenied(
                mask_text(str(op.actor)), POINTS_CONFIRM.name, f"award {pending_id}",
                "four-eyes rule: whoever asked for an award cannot confirm or reject it; ask "
                "another leader of the community (secretary or director) or a higher office")
        ref = resolve_resident(op, row.resident_id)
        op.require(POINTS_CONFIRM, ref.target())
        _refuse_own_household(op, ref, POINTS_CONFIRM, "confirm points for")
        return row, ref

    @staticmethod
    def _decide(op: Operation, pending_id: int, state: str, note: str,
                entry_id: int | None) -> None:
        pp = tp.points_pending
        done = op.uow.conn.execute(pp.update().where(
            pp.c.id == pending_id, pp.c.state == "pending").values(
            state=state, decided_by=f"{op.actor.kind.value}:{op.actor.id}"[:80],
            decided_at=op.now, note=mask_text(note)[:200], entry_id=entry_id))
        if done.rowcount != 1:
            raise ConflictError(f"award {pending_id} was decided meanwhile; reload it")
        op.touch("points_pending", pending_id)
        op.detail.update({"state": state})

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
            with self._narrowing_first(actor, "points.redeem", resident_id, POINTS_REDEEM), \
                    fast_write(self, actor, "points.redeem") as op:
                ref = resolve_resident(op, resident_id, lock=True)
                op.require(POINTS_REDEEM, ref.target())
                return post_entry(op, ref, EntryKind.REDEEM, -amount, key, fp, reason=reason,
                                  last=True)

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

    def _narrowing_first(self, actor: Actor, name: str, resident_id: str,
                         action: Action) -> contextlib.AbstractContextManager[None]:
        """Ask ``cgov_narrow_permission`` before the write lock, when a plugin implements it
        (the ledger's hot path pays nothing otherwise)."""
        if actor.kind is ActorKind.SYSTEM or not self._hooks.implementations(
                "cgov_narrow_permission"):
            return contextlib.nullcontext()

        def ask(op: Operation) -> None:
            op.require(action, resolve_resident(op, resident_id).target())

        return self._hooks_first(actor, name, ask)

    def expire(self, actor: Actor, *, as_of: dt.date,
               community: str | None = None) -> ExpiryRun:
        """Clear points older than the validity period (过期清零), first in, first out.

        The validity comes from the ``cgov_points_expiry_months`` hook (national default 24
        months): points earned before ``as_of`` minus that many months, and not yet spent,
        expire. Each resident's expiry entry has the key ``expire:<as_of>:<resident>``, so
        running expiry twice for the same day writes once.

        The validity is asked per community, never for all at once: each earn entry expires
        by the rule of the community it was earned in (so, in a store holding several counties,
        each county's validity applies to its own points). Points with no community (a
        resident without a household) keep the longest validity any community has.

        Each resident is expired in a transaction of their own: one that fails (a plugin, a
        conflict) is reported in ``failed`` with its reason and the others go on.

        Returns:
            The expiry entries written by this call (a list), with ``failed`` (resident ->
            reason) and ``ok`` (nobody failed).

        Raises:
            ValidationError: ``as_of`` is after today (points cannot expire in the future).
            PermissionDenied: the actor may not run expiry here.
        """
        if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
            raise ValidationError(f"as_of must be a date, got {as_of!r}", path="as_of")
        with self._read(actor, "points.expire") as op:
            if as_of > op.today:
                raise ValidationError(
                    f"expiry as of {as_of} is in the future (today is {op.today} in the "
                    "county): points expire only for a day that has come (rule: no expiry "
                    "ahead of time); run it on or after that day", path="as_of")
            self._require_expiry(op, community)
            # the hooks are asked here, in a read transaction, never under the write lock
            cutoffs = self._expiry_cutoffs(op, as_of, community)
            due = sorted(self._expirable(op.uow.conn, cutoffs, community))
        run = ExpiryRun()
        for rid in due:
            key = f"expire:{as_of.isoformat()}:{rid}"
            fp = request_fingerprint(op="expire", resident=rid, as_of=as_of)
            try:
                with self._write(actor, "points.expire") as op:
                    self._require_expiry(op, community)
                    conn = op.uow.conn
                    if replay_entry(conn, key, fp) is not None:  # IdempotencyConflict
                        raise _Nothing  # expired already for this day
                    amount = self._expirable(conn, cutoffs, community,
                                             resident=rid).get(rid, 0)
                    if amount <= 0:
                        raise _Nothing  # spent meanwhile
                    ref = resolve_resident_any(op, rid)
                    cutoff = cutoffs.get(ref.community_code or "", cutoffs[""])
                    run.append(post_entry(op, ref, EntryKind.EXPIRE, -amount, key, fp,
                                          reason=f"expired: earned before {cutoff}"))
            except _Nothing:
                continue
            except (CgovError, IntegrityError) as exc:
                _log.warning("points expiry as of %s failed for resident %s: %s", as_of, rid,
                             exc)
                run.failed[rid] = str(exc) if isinstance(exc, CgovError) else (
                    f"database refused the entry: {exc.orig}")
        return run

    def _expiry_cutoffs(self, op: Operation, as_of: dt.date,
                        community: str | None) -> dict[str, dt.date]:
        """Community → the day before which its points expire (``cgov_points_expiry_months``
        asked once per community holding points); ``""`` → the cutoff of points with no
        community (the longest validity of the communities, so they never expire early; the
        unscoped plugins' and national answer, asked with ``""``, when no community holds
        points)."""
        codes = [community] if community is not None else list(op.uow.conn.execute(
            sa.select(_pe.c.community_code).where(_pe.c.community_code.is_not(None))
            .distinct().order_by(_pe.c.community_code)).scalars())
        out = {c: _months_before(as_of, self._hooks.first(
            "cgov_points_expiry_months", expect_int(minimum=1), place=c, community_code=c))
            for c in codes}
        if out:
            out[""] = min(out.values())
        else:  # only points with no community: no county plugin can speak for them
            out[""] = _months_before(as_of, self._hooks.first(
                "cgov_points_expiry_months", expect_int(minimum=1), place="",
                community_code=""))
        return out

    @staticmethod
    def _require_expiry(op: Operation, community: str | None) -> None:
        if community is not None:
            op.require(POINTS_REVERSE, Target("unit", community, unit_code=community))
        elif op.actor.kind is not ActorKind.SYSTEM:
            op.require(POINTS_REVERSE, Target("unit", "*", unit_code=None))

    @staticmethod
    def _expirable(conn: sa.Connection, cutoffs: dict[str, dt.date], community: str | None,
                   *, resident: str | None = None) -> dict[str, int]:
        where = [] if community is None else [_pe.c.community_code == community]
        if resident is not None:
            where.append(_pe.c.resident_id == resident)
            if conn.dialect.name == "postgresql":  # hold the balance row while we decide
                conn.execute(sa.select(_pb.c.resident_id).where(
                    _pb.c.resident_id == resident).with_for_update())
        named = {c: d for c, d in cutoffs.items() if c}

        def cutoff(community_col: Any) -> Any:
            return (sa.case(named, value=community_col, else_=cutoffs[""])
                    if named else sa.literal(cutoffs[""]))
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
        earned = sums(_pe.c.kind == EntryKind.EARN.value,
                      _pe.c.day < cutoff(_pe.c.community_code))
        for rid, n in reversed_sums(target.c.kind == EntryKind.EARN.value,
                                    target.c.day < cutoff(target.c.community_code)).items():
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
        if not op.visible(POINTS_READ, ref.target()):
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
            return self.violations(op.uow.conn)

    @staticmethod
    def violations(conn: sa.Connection) -> list[Violation]:
        """The ledger and stock invariants over the stored rows (see :meth:`check`)."""
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



