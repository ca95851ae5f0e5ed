"""The audit trail (操作日志) and the sensitive-data access log (敏感信息访问日志), read-only.

Every write of every service adds one row to ``audit_log`` in its own transaction (who, when,
which operation, which objects); every full read of sensitive data adds one to ``access_log``
(who, what, when, why). Both tables are append-only: the database refuses UPDATE and DELETE.
This service queries them, narrowed in SQL to what the reader's ``audit.read`` right covers.

What a reader below the county sees (a community's secretary or director, a sub-district's
staff): the rows written by people who hold or held a post inside their units or by residents
who live there, the rows that name one of their units (a unit, a building, a household...),
and, in the access log, every read of a resident who lives in their units. Whoever's right
covers every county of the database (a county administrator, a system job) sees everything.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa

from community_governance.domain import actions as A
from community_governance.domain.access import Actor, ActorKind, Scope, Target, explain_denial
from community_governance.errors import PermissionDenied, ValidationError
from community_governance.services.base import Operation, Service
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import core as t
from community_governance.storage.tables import denials as dt_

if TYPE_CHECKING:
    from community_governance.services.context import Context
    from community_governance.services.verify import VerifyReport

__all__ = ["AccessEntry", "AuditEntry", "AuditService", "DenialCount", "DeniedEntry"]


@attrs.frozen
class AuditEntry:
    """One row of the audit trail (操作日志).

    Attributes:
        id: the row's number (rows are never changed or removed).
        at: when (UTC).
        actor: who, as ``kind:id`` (e.g. ``staff:SEC-411281001001``).
        operation: the service operation, e.g. ``registry.register_residents``.
        objects: the objects written, as ``kind:key``.
        detail: further facts the operation recorded (a reason, the corrected fields...).
    """

    id: int
    at: dt.datetime
    actor: str
    operation: str
    objects: tuple[str, ...]
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"id": self.id, "at": self.at.isoformat(), "actor": self.actor,
                "operation": self.operation, "objects": list(self.objects),
                "detail": self.detail}


@attrs.frozen
class AccessEntry:
    """One row of the sensitive-data access log (敏感信息访问日志).

    Attributes:
        id: the row's number.
        at: when (UTC).
        actor: who, as ``kind:id``.
        action: the action that read the data, e.g. ``resident.read_id_number``.
        target: what was read, e.g. ``resident R0001``.
        reason: why, as the reader gave it.
    """

    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"id": self.id, "at": self.at.isoformat(), "actor": self.actor,
                "action": self.action, "target": self.target, "reason": self.reason}


@attrs.frozen
class DeniedEntry:
    """One refused attempt (拒绝访问记录) of the refusal log.

    Attributes:
        id: the row's number.
        at: when (UTC).
        actor: who, as ``kind:id``.
        operation: the service operation that was refused, e.g. ``registry.get_resident``.
        action: the action the policy refused, e.g. ``resident.read``.
        target: what it was asked on, e.g. ``resident R0001`` (``list <operation>`` for a list
            whose every row was out of the actor's scope).
        reason: why the policy refused, and what would grant the right.
    """

    id: int
    at: dt.datetime
    actor: str
    operation: str
    action: str
    target: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"id": self.id, "at": self.at.isoformat(), "actor": self.actor,
                "operation": self.operation, "action": self.action, "target": self.target,
                "reason": self.reason}


@attrs.frozen
class DenialCount:
    """Refused attempts of one hour counted but not written out (the log's bound).

    Attributes:
        hour: the clock hour (UTC) they fell in.
        actor: whose (``kind:id``), or ``*:*`` for every attempt of the hour.
        attempts: refused attempts counted.
        logged: how many of them were written out as rows.
    """

    hour: dt.datetime
    actor: str
    attempts: int
    logged: int

    @property
    def suppressed(self) -> int:
        """Attempts counted but not written out."""
        return self.attempts - self.logged

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"hour": self.hour.isoformat(), "actor": self.actor, "attempts": self.attempts,
                "logged": self.logged, "suppressed": self.suppressed}


def _actor_filter(column_kind: sa.ColumnElement[Any], column_id: sa.ColumnElement[Any],
                  by: str) -> sa.ColumnElement[bool]:
    kind, sep, ident = by.partition(":")
    if sep and kind in ("resident", "staff", "system", "public", "*"):
        return sa.and_(column_kind == kind, column_id == ident)
    return column_id == by


def _time(value: dt.datetime | dt.date | None, name: str, *, end: bool) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValidationError(f"{name} must be timezone-aware (e.g. pendulum.datetime(...))",
                                  path=name)
        return value
    start = dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
    return start + dt.timedelta(days=1) if end else start


def _period(q: sa.Select[Any], at: sa.ColumnElement[Any], since: dt.datetime | dt.date | None,
            until: dt.datetime | dt.date | None) -> sa.Select[Any]:
    """``q`` narrowed to the rows with ``since <= at < until`` (either bound optional)."""
    lo, hi = _time(since, "since", end=False), _time(until, "until", end=True)
    if lo is not None:
        q = q.where(at >= lo)
    if hi is not None:
        q = q.where(at < hi)
    return q


class AuditService:
    """Queries of the audit trail and the access log (``gov.audit``)."""

    def __init__(self, gov: Context) -> None:
        self._gov = gov
        self._svc = Service(gov)

    def _scope(self, op: Operation) -> Scope:
        scope = op.scope(A.AUDIT_READ)
        if scope.empty:
            target = Target("audit_log", "*")
            raise PermissionDenied(str(op.actor), A.AUDIT_READ.name, str(target),
                                   explain_denial(op.principal, A.AUDIT_READ, target))
        if scope.everything:
            return scope
        counties = op.uow.conn.execute(
            sa.select(t.units.c.code).where(t.units.c.kind == "county")).scalars().all()
        if counties and all(scope.covers(Target("unit", c, unit_code=c)) for c in counties):
            return Scope(everything=True)
        return scope

    @staticmethod
    def _people_in(scope: Scope) -> sa.Select[Any]:
        """Holders of posts (past or present) at units inside ``scope``."""
        return sa.select(t.posts.c.holder_id).where(
            scope_clause(scope, unit=t.posts.c.unit_code))

    @staticmethod
    def _residents_in(
        scope: Scope, key: sa.ColumnElement[Any] = t.residents.c.id
    ) -> sa.Select[Any]:
        """``key`` (the resident's key by default) of the residents who live inside ``scope``."""
        return (sa.select(key)
                .join(t.households, t.households.c.id == t.residents.c.household_id)
                .join(t.buildings, t.buildings.c.code == t.households.c.building_code)
                .where(scope_clause(scope, unit=t.households.c.building_code,
                                    grid=t.buildings.c.grid_code)))

    @staticmethod
    def _codes(scope: Scope) -> list[str]:
        return sorted(scope.prefixes | scope.grids | scope.buildings)

    def log(
        self, actor: Actor, *, by: str | None = None, operation: str | None = None,
        obj: str | None = None, since: dt.datetime | dt.date | None = None,
        until: dt.datetime | dt.date | None = None, limit: int = 1000, offset: int = 0,
    ) -> list[AuditEntry]:
        """Rows of the audit trail the reader may see, oldest first.

        Args:
            actor: who reads (needs ``audit.read``: a community's secretary or director, the
                sub-district, the county, or a system job).
            by: only rows of this actor (``staff:S1``, ``resident:R0001``, or a bare key).
            operation: only operations starting with this (``registry.``, ``privacy.erase``).
            obj: only rows that wrote this object (``resident:R0001``) or, without a colon,
                whose objects mention this text (a unit code...).
            since: only rows at or after this time (a date means its start, UTC).
            until: only rows before this time (a date includes that whole day, UTC).
            limit: at most this many rows.
            offset: skip this many rows first.

        Raises:
            PermissionDenied: the reader holds no ``audit.read`` right.
        """
        a = t.audit_log
        with self._svc._read(actor, "audit.log") as op:
            scope = self._scope(op)
            q = sa.select(a)
            if not scope.everything:
                q = q.where(sa.or_(
                    a.c.actor_id.in_(self._people_in(scope)),
                    sa.and_(a.c.actor_kind == "resident",
                            a.c.actor_id.in_(self._residents_in(scope))),
                    *(a.c.objects.contains(f":{code}", autoescape=True)
                      for code in self._codes(scope))))
            if by:
                q = q.where(_actor_filter(a.c.actor_kind, a.c.actor_id, by))
            if operation:
                q = q.where(a.c.operation.startswith(operation, autoescape=True))
            if obj:
                needle = json.dumps(obj, ensure_ascii=False) if ":" in obj else obj
                q = q.where(a.c.objects.contains(needle, autoescape=True))
            q = _period(q, a.c.at, since, until)
            rows = op.uow.conn.execute(q.order_by(a.c.id).limit(limit).offset(offset)).all()
        return [AuditEntry(r.id, r.at, f"{r.actor_kind}:{r.actor_id}", r.operation,
                           tuple(json.loads(r.objects or "[]")),
                           json.loads(r.detail) if r.detail else {}) for r in rows]

    def access(
        self, actor: Actor, *, by: str | None = None, action: str | None = None,
        target: str | None = None, since: dt.datetime | dt.date | None = None,
        until: dt.datetime | dt.date | None = None, limit: int = 1000, offset: int = 0,
    ) -> list[AccessEntry]:
        """Rows of the sensitive-data access log the reader may see, oldest first.

        Args:
            actor: who reads (needs ``audit.read``).
            by: only reads by this actor (``staff:S1`` or a bare key).
            action: only actions starting with this (``resident.read_id``).
            target: only reads of this object (``resident R0001``, or a bare resident key).
            since: only rows at or after this time.
            until: only rows before this time.
            limit: at most this many rows.
            offset: skip this many rows first.

        Raises:
            PermissionDenied: the reader holds no ``audit.read`` right.
        """
        g = t.access_log
        with self._svc._read(actor, "audit.access") as op:
            scope = self._scope(op)
            q = sa.select(g)
            if not scope.everything:
                residents_here = self._residents_in(
                    scope, sa.literal("resident ") + t.residents.c.id)
                q = q.where(sa.or_(g.c.actor_id.in_(self._people_in(scope)),
                                   sa.and_(g.c.actor_kind == "resident",
                                           g.c.actor_id.in_(self._residents_in(scope))),
                                   g.c.target.in_(residents_here)))
            if by:
                q = q.where(_actor_filter(g.c.actor_kind, g.c.actor_id, by))
            if action:
                q = q.where(g.c.action.startswith(action, autoescape=True))
            if target:
                q = q.where(g.c.target == (target if " " in target else f"resident {target}"))
            q = _period(q, g.c.at, since, until)
            rows = op.uow.conn.execute(q.order_by(g.c.id).limit(limit).offset(offset)).all()
        return [AccessEntry(r.id, r.at, f"{r.actor_kind}:{r.actor_id}", r.action, r.target,
                            r.reason) for r in rows]

    def verify(self, actor: Actor) -> VerifyReport:
        """Recompute every ledger from its journal and check every hash chain (system jobs).

        Read-only: points balances and supermarket stock from their journals, funds
        transactions against their postings, case rows against their transitions, and the hash
        chains of the points journal, the funds transactions, the case transitions and this
        audit trail. See :mod:`community_governance.services.verify`.

        Returns:
            The report; ``report.ok`` is ``False`` and ``report.first`` names the table, the
            row and what differs when anything breaks.

        Raises:
            PermissionDenied: the actor is not a system job (verify reads every row).
        """
        from community_governance.services.verify import verify_ledgers

        with self._svc._read(actor, "audit.verify") as op:
            if op.actor.kind is not ActorKind.SYSTEM:
                raise PermissionDenied(str(op.actor), "audit.verify", "every ledger",
                                       "only a system job reads every row; run cgov verify "
                                       "(it acts as the system job) or use Actor.system()")
            return verify_ledgers(op)
    def denied(
        self, actor: Actor, *, by: str | None = None, action: str | None = None,
        since: dt.datetime | dt.date | None = None, until: dt.datetime | dt.date | None = None,
        limit: int = 1000, offset: int = 0,
    ) -> list[DeniedEntry]:
        """Refused attempts the reader may see, oldest first (see
        :mod:`community_governance.services.denials` for what is written and the bound).

        A reader below the county sees the refusals of people who hold or held a post inside
        their units, of residents who live there, and of attempts on those residents.

        Args:
            actor: who reads (needs ``audit.read``).
            by: only refusals of this actor (``staff:S1``, ``public:public`` or a bare key).
            action: only actions starting with this (``resident.``).
            since: only rows at or after this time (a date means its start, UTC).
            until: only rows before this time (a date includes that whole day, UTC).
            limit: at most this many rows.
            offset: skip this many rows first.

        Raises:
            PermissionDenied: the reader holds no ``audit.read`` right.
        """
        g = dt_.access_denials
        with self._svc._read(actor, "audit.denied") as op:
            scope = self._scope(op)
            q = sa.select(g)
            if not scope.everything:
                residents_here = self._residents_in(
                    scope, sa.literal("resident ") + t.residents.c.id)
                q = q.where(sa.or_(g.c.actor_id.in_(self._people_in(scope)),
                                   sa.and_(g.c.actor_kind == "resident",
                                           g.c.actor_id.in_(self._residents_in(scope))),
                                   g.c.target.in_(residents_here)))
            if by:
                q = q.where(_actor_filter(g.c.actor_kind, g.c.actor_id, by))
            if action:
                q = q.where(g.c.action.startswith(action, autoescape=True))
            q = _period(q, g.c.at, since, until)
            rows = op.uow.conn.execute(q.order_by(g.c.id).limit(limit).offset(offset)).all()
        return [DeniedEntry(r.id, r.at, f"{r.actor_kind}:{r.actor_id}", r.operation, r.action,
                            r.target, r.reason) for r in rows]

    def denied_suppressed(
        self, actor: Actor, *, by: str | None = None,
        since: dt.datetime | dt.date | None = None, until: dt.datetime | dt.date | None = None,
    ) -> list[DenialCount]:
        """The hours in which refusals were counted but not written out, oldest first.

        One entry per hour and actor whose refusals went over the bound, and (for a reader
        whose right covers the whole database) one ``*:*`` entry per hour in which the bound of
        all actors together was reached. Filters as for :meth:`denied` (``since`` and
        ``until`` compare the start of the hour).

        Raises:
            PermissionDenied: the reader holds no ``audit.read`` right.
        """
        c = dt_.access_denial_counts
        with self._svc._read(actor, "audit.denied") as op:
            scope = self._scope(op)
            q = sa.select(c).where(c.c.attempts > c.c.logged)
            if not scope.everything:
                q = q.where(sa.or_(c.c.actor_id.in_(self._people_in(scope)),
                                   sa.and_(c.c.actor_kind == "resident",
                                           c.c.actor_id.in_(self._residents_in(scope)))))
            if by:
                q = q.where(_actor_filter(c.c.actor_kind, c.c.actor_id, by))
            q = _period(q, c.c.hour, since, until)
            rows = op.uow.conn.execute(
                q.order_by(c.c.hour, c.c.actor_kind, c.c.actor_id)).all()
        return [DenialCount(r.hour, f"{r.actor_kind}:{r.actor_id}", r.attempts, r.logged)
                for r in rows]
