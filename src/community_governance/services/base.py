"""What every service shares: the operation context, permission checks, the audit trail.

A public service operation is written as::

    def do_thing(self, actor: Actor, ...) -> Result:
        with self._write(actor, "area.do_thing") as op:
            op.require(SOME_ACTION, target)       # PermissionDenied, nothing written
            answer = self._hooks.first(..., place=unit)  # PluginError, nothing written
            op.uow.repo(SomeRepo).insert(...)
            op.touch("thing", key)                # recorded in the audit trail
            return result

``_write`` opens one unit of work; on normal exit it writes the audit row and commits, on any
exception it rolls everything back. A write that asks hooks asks them first, before its write
transaction (``_hooks_first``), so that no plugin runs while the write lock is held. Reads use
``_read`` and narrow list queries with ``op.scope(ACTION)``, which the repositories turn into
SQL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import pendulum
import sqlalchemy as sa

from community_governance.domain.access import (
    Action,
    Actor,
    ActorKind,
    Principal,
    Scope,
    Target,
    can,
    explain_denial,
    post_scope,
    scope_for,
)
from community_governance.domain.chain import GENESIS, json_string, link_text, utc_text
from community_governance.domain.posts import HolderKind, Post, PostKind
from community_governance.errors import CgovError, PermissionDenied, PluginError, ValidationError
from community_governance.masking import install as _install_log_masking
from community_governance.masking import mask_text
from community_governance.plugins import Hooks, expect_bool, expect_int, expect_post_kinds
from community_governance.services import denials as _denials
from community_governance.storage.base import UnitOfWork
from community_governance.storage.tables import core as t

if TYPE_CHECKING:
    from community_governance.services.context import Context

__all__ = ["Operation", "Service", "among", "effective_action", "grid_leaders_allowed",
           "grid_leaders_rule", "load_posts", "note_refusal", "post_from_row"]

_install_log_masking()  # every service module imports this one: the library's logs are masked

#: Actions as extended by the county plugins of each store (``cgov_extend_permission``).
_EXTENDED: weakref.WeakKeyDictionary[Hooks, dict[Action, Action]] = weakref.WeakKeyDictionary()


def effective_action(gov: Context, action: Action) -> Action:
    """``action`` with the posts the county's plugins add (``cgov_extend_permission``).

    Asked once per action and store. Actions on personal data are never widened: a plugin
    naming new posts for one raises :class:`~community_governance.errors.PluginError`.
    """
    if action.public:
        return action
    hooks = gov.hooks
    cache = _EXTENDED.get(hooks)
    if cache is None:
        cache = _EXTENDED[hooks] = {}
    got = cache.get(action)
    if got is not None:
        return got
    extra: set[PostKind] = set()
    if hooks.implementations("cgov_extend_permission"):
        for plugin, kinds in hooks.all("cgov_extend_permission", expect_post_kinds,
                                       action=attrs.evolve(action)):
            new = set(kinds) - action.roles
            if new and action.personal:
                raise PluginError(
                    plugin, "cgov_extend_permission",
                    f"it gives {sorted(k.value for k in new)} the action {action.name}, which "
                    "touches personal data: such rights can only be narrowed "
                    "(cgov_narrow_permission), never widened", kinds)
            extra |= new
    got = attrs.evolve(action, roles=action.roles | extra) if extra else action
    cache[action] = got
    return got


def post_from_row(row: Any) -> Post:
    """Build a :class:`Post` from a ``posts`` row."""
    return Post(
        id=row.id,
        kind=PostKind(row.kind),
        unit_code=row.unit_code,
        holder_kind=HolderKind(row.holder_kind),
        holder_id=row.holder_id,
        start=row.start,
        end=row.end,
        covers=tuple(c for c in row.covers.split(",") if c),
    )


def grid_leaders_rule(grid_code: str) -> str:
    """Where the number of grid leaders of ``grid_code`` comes from, for messages."""
    return f"cgov_grid_leaders_allowed for community {grid_code.split('-')[0]}"


def grid_leaders_allowed(gov: Context, grid_code: str) -> int:
    """How many grid leaders (网格长) ``grid_code`` may have at once (the place's rule).

    Asks ``cgov_grid_leaders_allowed`` with the grid's community as the place; ask it before
    the write transaction opens.

    Raises:
        PluginError: a plugin answered something other than a whole number from 1 to 3.
    """
    community = grid_code.split("-")[0]
    return gov.hooks.first("cgov_grid_leaders_allowed", expect_int(minimum=1, maximum=3),
                           grid_code=grid_code, community_code=community, place=community)


#: per zone: the last few county days asked for, with the UTC instants each starts and ends at
_DAYS: dict[Any, list[tuple[dt.datetime, dt.datetime, dt.date]]] = {}


def county_today(zone: Any, now: pendulum.DateTime) -> dt.date:
    """``now.in_timezone(zone).date()``, remembered per zone with the instants the day starts
    and ends at, so that the operations of one day convert nothing (a conversion through the
    zone costs more than a ledger entry's hash). Equal to the conversion at every instant,
    DST changes included (a test checks it across zones)."""
    days = _DAYS.get(zone)
    if days is not None:
        for start, end, day in days:
            if start <= now < end:
                return day
    day = now.in_timezone(zone).date()
    # the bounds in UTC: comparing times of one zone object is a plain comparison of fields;
    # a midnight that happens twice (clocks set back at 01:00) starts its day the first time
    start = pendulum.datetime(day.year, day.month, day.day, tz=zone,
                              fold=0).in_timezone(pendulum.UTC)
    following = day + dt.timedelta(days=1)
    end = pendulum.datetime(following.year, following.month, following.day, tz=zone,
                            fold=0).in_timezone(pendulum.UTC)
    if start <= now < end:  # else a day that does not begin at midnight: not remembered
        _DAYS[zone] = [(start, end, day), *(days or [])[:3]]
    return day


def county_days_utc(zone: Any, start: dt.date, end: dt.date
                    ) -> tuple[pendulum.DateTime, pendulum.DateTime]:
    """The instants, in UTC, the county day ``start`` begins at and the day after ``end``
    begins at: the half-open range of the days
    ``start``..``end`` in the county's zone, to compare stored UTC times with.

    Days at the ends of the calendar (1 January of year 1 east of Greenwich, 31 December
    9999) have no such instant a datetime can hold; the bound is then the first or last
    instant there is, so that asking about them finds nothing rather than failing.
    """
    try:
        lo = pendulum.datetime(start.year, start.month, start.day, tz=zone,
                               fold=0).in_timezone(pendulum.UTC)
    except OverflowError:
        lo = pendulum.instance(dt.datetime.min.replace(tzinfo=dt.UTC))
    try:
        following = end + dt.timedelta(days=1)
        hi = pendulum.datetime(following.year, following.month, following.day, tz=zone,
                               fold=0).in_timezone(pendulum.UTC)
    except OverflowError:
        hi = pendulum.instance(dt.datetime.max.replace(tzinfo=dt.UTC))
    return lo, hi


def utc_instant(moment: dt.datetime, path: str) -> pendulum.DateTime:
    """An aware ``moment`` in UTC, as the store keeps times.

    Raises:
        ValidationError: ``moment`` is naive, or lies so near the ends of the calendar that
            it has no UTC form a datetime can hold (years 1 and 9999 with an offset).
    """
    if not isinstance(moment, dt.datetime) or moment.tzinfo is None:
        raise ValidationError(
            f"{path}={moment!r} must be a timezone-aware datetime (e.g. "
            "pendulum.datetime(..., tz='Asia/Shanghai'))", path=path)
    try:
        return pendulum.instance(moment).in_timezone(pendulum.UTC)
    except OverflowError:
        raise ValidationError(
            f"{path} {moment.isoformat()} is outside the times that can be stored "
            "(years 1 to 9999 in UTC); give a time of this era", path=path) from None


_Item = TypeVar("_Item")


def batch_of(items: Iterable[object], kind: type[_Item]) -> list[_Item]:
    """The items of a batch call as a list, each checked to be a ``kind`` (a refusal names
    the first other thing and its place, ``$[i]``)."""
    batch = list(items)
    for i, item in enumerate(batch):
        if not isinstance(item, kind):
            raise ValidationError(f"expected a {kind.__name__}, got {type(item).__name__}",
                                  path=f"$[{i}]")
    return batch  # type: ignore[return-value]  # every item checked above


def among(conn: sa.Connection, column: sa.ColumnElement[Any],
          values: Sequence[Any]) -> sa.ColumnElement[bool]:
    """``column IN values``; on PostgreSQL one array parameter (``= ANY``), which costs less
    to send and plan than hundreds of parameters (the same rows)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


def load_posts(uow: UnitOfWork, holder_id: str) -> list[Post]:
    """Every post (active or not) held by ``holder_id``."""
    rows = uow.conn.execute(sa.select(t.posts).where(t.posts.c.holder_id == holder_id))
    return [post_from_row(r) for r in rows]


class Operation:
    """The context of one service operation: its unit of work, who acts, and when.

    Attributes:
        uow: the unit of work (one transaction).
        principal: the actor and its active posts.
        now: the operation's time (UTC).
        today: the operation's date in the county's zone.
        name: the operation's name, as recorded in the audit trail.
    """

    def __init__(
        self, gov: Context, uow: UnitOfWork, principal: Principal, now: pendulum.DateTime,
        name: str, denials: list[_denials.Denial] | None = None, *,
        today: dt.date | None = None,
    ) -> None:
        self.gov = gov
        self.uow = uow
        self.principal = principal
        self.now = now
        #: ``today``: the caller computed it from ``now`` already (the ledgers' hot path)
        self.today: dt.date = (today if today is not None
                               else county_today(gov.timezone, now))
        self.name = name
        self.touched: list[str] = []
        self.detail: dict[str, Any] = {}
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._narrowers: bool | None = None
        #: chain heads read or written in this transaction (``points:<resident>`` ->
        #: ``(balance, head)``, ``funds:<community>`` -> head): the row holding each is locked
        self.chain_heads: dict[str, Any] = {}
        #: refusals to write to the refusal log once the operation's transaction has ended
        self.denials: list[_denials.Denial] = (
            denials if denials is not None else _denials.pending() or [])

    @property
    def actor(self) -> Actor:
        """Who acts."""
        return self.principal.actor

    def _effective(self, action: Action) -> Action:
        """The action as the county extended it (system jobs need no extension)."""
        if self.principal.actor.kind is ActorKind.SYSTEM:
            return action
        return effective_action(self.gov, action)

    def _narrowing_plugins(self) -> bool:
        """Whether any plugin implements ``cgov_narrow_permission`` (asked once per operation)."""
        if self._narrowers is None:
            self._narrowers = bool(self.gov.hooks.implementations("cgov_narrow_permission"))
        return self._narrowers

    def narrowed_by(self, action: Action, target: Target) -> str | None:
        """The first plugin that takes ``action`` on ``target`` away, or ``None``.

        Every implementation is asked (a plugin that raises or answers something other than
        ``True``/``False``/``None`` raises :class:`~community_governance.errors.PluginError`);
        system jobs are never narrowed, and the hook is not called at all when no plugin
        implements it.
        """
        if self.principal.actor.kind is ActorKind.SYSTEM or not self._narrowing_plugins():
            return None
        answers = self.gov.hooks.all(  # copies: a plugin that forces a frozen object open
            "cgov_narrow_permission", expect_bool,  # cannot change what later checks see
            place=target.unit_code or target.grid_code,
            principal=attrs.evolve(self.principal), action=attrs.evolve(action),
            target=attrs.evolve(target),
        )
        return next((name for name, answer in answers if answer is False), None)

    def allowed(self, action: Action, target: Target) -> bool:
        """Whether the actor may perform ``action`` on ``target``.

        The built-in policy (:func:`~community_governance.domain.access.can`) decides first;
        plugins are asked only when it granted the right, and can only take it away: a plugin
        answering ``True`` never widens it. Posts a county plugin added to an action that
        touches no personal data (``cgov_extend_permission``) count as built-in.
        """
        action = self._effective(action)
        if not can(self.principal, action, target):
            return False
        return self.narrowed_by(action, target) is None

    def visible(self, action: Action, target: Target) -> bool:
        """:meth:`allowed`, for a read that hides what it refuses (answers "not found").

        A ``False`` is a refusal all the same: the refusal log records it, with the reason.
        """
        if self.allowed(action, target):
            return True
        eff = self._effective(action)
        reason = (explain_denial(self.principal, eff, target)
                  if not can(self.principal, eff, target)
                  else "a county plugin narrowed this right (cgov_narrow_permission)")
        self.denials.append(_denials.Denial.of(self.actor, self.name, action.name,
                                               str(target), reason))
        return False

    def require(self, action: Action, target: Target) -> None:
        """Raise :class:`PermissionDenied` unless the actor may perform ``action``.

        The message names the actor, the action and the target, says why, and never carries
        a full ID or phone number. A system job is always allowed (answered before anything
        is looked at: the ledgers' hot path asks for every entry).
        """
        if self.principal.actor.kind is ActorKind.SYSTEM:
            return
        action = self._effective(action)
        if not can(self.principal, action, target):
            reason = explain_denial(self.principal, action, target)
        else:
            plugin = self.narrowed_by(action, target)
            if plugin is None:
                return
            reason = (f"the county plugin {plugin!r} narrowed this right "
                      "(cgov_narrow_permission answered False)")
        raise PermissionDenied(mask_text(str(self.actor)), action.name, mask_text(str(target)),
                               mask_text(reason))

    def scope(self, action: Action) -> Scope:
        """The rows a list query for ``action`` may read (deny by default: may be empty).

        When county plugins narrow permissions, each post's part of the scope is kept only if
        no plugin takes ``action`` away at the post's unit (asked with the target
        ``Target("unit", <post unit>, unit_code=<post unit>)``); a resident's own records only
        if no plugin takes it away on ``Target("resident", <own key>, owner_id=<own key>)``.

        An empty scope refuses the whole list: the refusal log records it (once per action
        and operation), though the query answers no rows.
        """
        got = self._scope(action)
        if got.empty and self.actor.kind is not ActorKind.SYSTEM and not any(
                d.action == action.name and d.operation == self.name[:80]
                for d in self.denials):
            target = Target("list", self.name)
            self.denials.append(_denials.Denial.of(
                self.actor, self.name, action.name, str(target),
                explain_denial(self.principal, self._effective(action), target)))
        return got

    def _scope(self, action: Action) -> Scope:
        action = self._effective(action)
        full = scope_for(self.principal, action)
        p = self.principal
        if full.empty or p.actor.kind is ActorKind.SYSTEM or not self._narrowing_plugins():
            return full
        if action.public:
            probe = Target("unit", "*")
            return full if self.narrowed_by(action, probe) is None else Scope()
        parts: list[Scope] = []
        for post in p.active_posts():
            if post.kind not in action.roles:
                continue
            grid = post.unit_code if "-W" in post.unit_code else None
            probe = Target("unit", post.unit_code, unit_code=post.unit_code, grid_code=grid)
            if self.narrowed_by(action, probe) is None:
                parts.append(post_scope(post))
        if p.actor.kind is ActorKind.RESIDENT and action.self_service:
            me = p.actor.id
            if self.narrowed_by(action, Target("resident", me, owner_id=me)) is None:
                parts.append(Scope(residents=frozenset({me})))
        return Scope.union(parts)

    def touch(self, kind: str, key: object) -> None:
        """Record that the operation wrote the object ``kind key`` (for the audit trail)."""
        self.touched.append(f"{kind}:{key}")

    def emit(self, event: str, payload: dict[str, Any]) -> None:
        """Queue a notification for ``cgov_notify``; sent only after the commit."""
        self.events.append((event, payload))

    def log_access(self, action: Action, target: Target, reason: str) -> None:
        """Write a row of the sensitive-data access log (who, what, when, why).

        The row is written in the operation's transaction: it is kept when the operation
        succeeds and rolled back with it otherwise. Numbers in ``reason`` are masked.
        """
        self.uow.conn.execute(
            t.access_log.insert().values(
                at=self.now, actor_kind=self.actor.kind.value, actor_id=self.actor.id[:60],
                action=action.name[:80], target=mask_text(str(target))[:120],
                reason=mask_text(reason),
            )
        )


#: deletes what a personal number is made of (digits and the X of an ID number)
_DIGITISH = str.maketrans("", "", "0123456789Xx")


def audit_fields(op: Operation) -> tuple[str, str]:
    """The audit row's ``objects`` and ``detail`` for ``op``: JSON text, personal numbers masked.

    Every writer of audit rows uses this, so that the trail reads the same whichever path wrote
    it (the ledgers' hot path included).
    """
    touched = op.touched
    if len(touched) == 1 and not op.detail and type(touched[0]) is str:
        only = touched[0]  # one object, no detail: a ledger entry, written by hand
        objects = f"[{json_string(only)}]"
        if only.isascii() and len(only) - len(only.translate(_DIGITISH)) < 11:
            return objects, "{}"  # no run of 11 digits: nothing the scanner would mask
        return mask_text(objects), "{}"
    detail = {**op.detail, **({"objects_total": len(touched)} if len(touched) > 1000 else {})}
    return (mask_text(json.dumps(touched[:1000], ensure_ascii=False)),
            mask_text(json.dumps(detail, ensure_ascii=False, default=str)))


#: The audit trail's columns that a row's hash covers (with ``chain``).
AUDIT_CHAIN_COLUMNS = ("at", "actor_kind", "actor_id", "operation", "objects", "detail",
                       "chain")
_AUDIT_STREAMS: weakref.WeakKeyDictionary[Any, dict[int, list[str]]] = (
    weakref.WeakKeyDictionary())
_STREAMS_LOCK = threading.Lock()


def audit_text(at: dt.datetime | str, actor_kind: str, actor_id: str, operation: str,
               objects: str, detail: str, chain: str) -> str:
    """The canonical text of an audit row (:data:`AUDIT_CHAIN_COLUMNS`), written field by
    field; ``at`` may be given as :func:`~community_governance.domain.chain.utc_text` of the
    time already. Equal to ``canonical_text`` of the row's fields (a test checks it)."""
    when = at if isinstance(at, str) else utc_text(at)
    return (f'{{"actor_id":{json_string(actor_id)},"actor_kind":{json_string(actor_kind)},'
            f'"at":"{when}","chain":{json_string(chain)},"detail":{json_string(detail)},'
            f'"objects":{json_string(objects)},"operation":{json_string(operation)}}}')


def audit_link(store: Any, at: dt.datetime, actor_kind: str, actor_id: str, operation: str,
               objects: str, detail: str, *, at_text: str | None = None,
               ) -> tuple[str, str, list[str]]:
    """The chain (writer stream) and hash of a new audit row: ``(chain, hash, slot)``.

    The audit trail is chained per writer stream: one stream per store object and thread, named
    by a random id when it writes its first row. A stream's writes are sequential by
    construction, so the chain needs no lock and no read: its head is kept in memory and
    advanced with :func:`audit_committed` once the row's transaction commits (a rolled-back
    row leaves the head where it was). A process that dies leaves its stream complete.
    ``at_text``: :func:`~community_governance.domain.chain.utc_text` of ``at``, when the caller
    has it.
    """
    slot = audit_slot(store)
    digest = link_text(slot[1], audit_text(at if at_text is None else at_text, actor_kind,
                                           actor_id, operation, objects, detail, slot[0]))
    return slot[0], digest, slot


def audit_slot(store: Any) -> list[str]:
    """This thread's writer stream of ``store``'s audit trail: ``[chain, head]`` (see
    :func:`audit_link`), begun with a random name on first use."""
    with _STREAMS_LOCK:
        per = _AUDIT_STREAMS.get(store)
        if per is None:
            per = _AUDIT_STREAMS[store] = {}
    tid = threading.get_ident()
    slot = per.get(tid)
    if slot is None:
        slot = per[tid] = [uuid.uuid4().hex[:24], GENESIS]
    return slot


#: The audit row's insert, built once: its values come as parameters (a statement built per
#: write costs more to build and key for the cache than to run).
_AUDIT_INSERT = t.audit_log.insert()


def audit_committed(slot: list[str], digest: str) -> None:
    """Advance the writer stream's head after the audit row's transaction committed."""
    slot[1] = digest


class Service:
    """Base of every service of the façade."""

    def __init__(self, gov: Context) -> None:
        self._gov = gov
        self._hooks = gov.hooks

    def _local(self, moment: dt.datetime) -> dt.date:
        """The county day of ``moment`` (a plain ``datetime.date``)."""
        d = pendulum.instance(moment).in_timezone(self._gov.timezone).date()
        return dt.date(d.year, d.month, d.day)

    #: whose previous step :meth:`_when` names in its error ("the case's")
    _steps_of = "the record's"

    def _when(self, op: Operation, at: dt.datetime | None,
              after: dt.datetime | None = None) -> pendulum.DateTime:
        """The time of a recorded step (of a case, an organization...): now, or ``at``
        (aware, with a UTC form, not in the future, not before ``after``, the previous step).

        Raises:
            ValidationError: ``at`` breaks one of those rules (path ``at``).
        """
        if at is None:
            when = op.now
        else:
            when = utc_instant(at, "at")
            if when > op.now.add(minutes=5):
                raise ValidationError(
                    f"at={when.isoformat()} lies in the future; record steps when they happen",
                    path="at")
        if after is not None and when < after:
            raise ValidationError(
                f"at={when.isoformat()} is before {self._steps_of} previous step "
                f"({pendulum.instance(after).isoformat()}); steps are recorded in order",
                path="at")
        return when

    def _principal(self, uow: UnitOfWork, actor: Actor, now: pendulum.DateTime) -> Principal:
        if not isinstance(actor, Actor):
            raise TypeError(
                f"every service call names its actor: pass an Actor (e.g. Actor.staff('S1') or "
                f"Actor.system()), got {type(actor).__name__}"
            )
        day = county_today(self._gov.timezone, now)
        if actor.kind is ActorKind.STAFF:
            posts = load_posts(uow, actor.id)
            if any(p.holder_kind is HolderKind.RESIDENT for p in posts) and uow.conn.execute(
                sa.select(t.residents.c.erased).where(t.residents.c.id == actor.id)
            ).scalar_one_or_none() in (True, None):
                # an erased (or unknown) resident holds no post any more
                posts = [p for p in posts if p.holder_kind is not HolderKind.RESIDENT]
            return Principal.of(actor, posts, day)
        return Principal(actor, (), day)

    @contextlib.contextmanager
    def _write(self, actor: Actor, name: str) -> Iterator[Operation]:
        now = self._gov.now()
        with _denials.collecting(self._gov, now) as pending:
            try:
                with self._gov.store.unit_of_work(write=True) as uow:
                    op = Operation(self._gov, uow, self._principal(uow, actor, now), now, name,
                                   pending)
                    yield op
                    objects, detail = audit_fields(op)
                    chain, digest, slot = audit_link(self._gov.store, now, actor.kind.value,
                                                     actor.id[:60], name[:80], objects, detail)
                    uow.conn.execute(_AUDIT_INSERT, {
                        "at": now, "actor_kind": actor.kind.value, "actor_id": actor.id[:60],
                        "operation": name[:80], "objects": objects, "detail": detail,
                        "chain": chain, "chain_hash": digest})
                    uow.commit()
                    audit_committed(slot, digest)
            except PermissionDenied as exc:
                note_refusal(pending, exc, actor, name)
                raise
        for event, payload in op.events:
            self._hooks.notify(event, payload)

    @contextlib.contextmanager
    def _hooks_first(self, actor: Actor, name: str,
                     gather: Callable[[Operation], object]) -> Iterator[None]:
        """Ask the hooks a write needs before its write transaction opens (issue #13 item 7).

        ``gather`` runs in a read transaction and makes the hook calls the write will make,
        with the arguments it reads; their answers are remembered (:meth:`Hooks.remember`) for
        the block, so the write, which reads its arguments again inside its transaction, finds
        them answered and no plugin runs while the write lock is held. An argument that
        changed in between is asked again (a plugin then runs inside the write, which is
        correct, only slower). Errors other than a plugin's are left for the write to raise::

            with self._hooks_first(actor, "area.do_thing", lambda op: self._rules(op, ...)):
                with self._write(actor, "area.do_thing") as op:
                    rules = self._rules(op, ...)      # answered from the memo
        """
        with self._hooks.remember():
            try:
                with self._read(actor, name) as op:
                    gather(op)
            except PluginError:
                raise
            except CgovError:
                pass  # the write checks again and reports it
            yield

    @contextlib.contextmanager
    def _read(self, actor: Actor, name: str = "read") -> Iterator[Operation]:
        now = self._gov.now()
        with _denials.collecting(self._gov, now) as pending:
            try:
                with self._gov.store.unit_of_work(write=False) as uow:
                    op = Operation(self._gov, uow, self._principal(uow, actor, now), now, name,
                                   pending)
                    yield op
                    if op.uow.conn.in_transaction():
                        uow.commit()  # keeps access-log rows written during a read
            except PermissionDenied as exc:
                note_refusal(pending, exc, actor, name)
                raise


def note_refusal(pending: list[_denials.Denial], exc: PermissionDenied, actor: Actor,
                 name: str) -> None:
    """Add the refusal ``exc`` of operation ``name`` to ``pending`` (once per exception).

    The actor is the one the exception names when it names one (``kind:id``: a step of an
    import may act for someone else), else ``actor``. A refusal already noted for an empty
    list scope of the same action and operation is not noted twice.
    """
    if exc.recorded:
        return
    exc.recorded = True
    if any(d.action == exc.action[:80] and d.operation == name[:80] for d in pending):
        return
    kind, sep, ident = exc.actor.partition(":")
    who = actor
    if sep and ident and kind in {k.value for k in ActorKind}:
        with contextlib.suppress(CgovError):
            who = Actor(ActorKind(kind), ident)
    pending.append(_denials.Denial.of(who, name, exc.action, exc.target,
                                      exc.reason or str(exc)))
