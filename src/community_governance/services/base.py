"""What every service shares: the operation context, permission checks, the audit trail.

A public service operation is written as::

    def do_thing(self, actor: Actor, ...) -> Result:
        with self._write(actor, "area.do_thing") as op:
            op.require(SOME_ACTION, target)       # PermissionDenied, nothing written
            answer = self._hooks.first(...)       # PluginError, nothing written
            op.uow.repo(SomeRepo).insert(...)
            op.touch("thing", key)                # recorded in the audit trail
            return result

``_write`` opens one unit of work; on normal exit it writes the audit row and commits, on any
exception it rolls everything back. Reads use ``_read`` and narrow list queries with
``op.scope(ACTION)``, which the repositories turn into SQL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

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
    scope_for,
)
from community_governance.domain.posts import HolderKind, Post, PostKind
from community_governance.errors import PermissionDenied
from community_governance.plugins import expect_bool
from community_governance.storage.base import UnitOfWork
from community_governance.storage.tables import core as t

if TYPE_CHECKING:
    from community_governance.facade import Governance

__all__ = ["Operation", "Service", "load_posts", "post_from_row"]


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
        self, gov: Governance, uow: UnitOfWork, principal: Principal, now: pendulum.DateTime,
        name: str,
    ) -> None:
        self.gov = gov
        self.uow = uow
        self.principal = principal
        self.now = now
        self.today: dt.date = now.in_timezone(gov.timezone).date()
        self.name = name
        self.touched: list[str] = []
        self.detail: dict[str, Any] = {}
        self.events: list[tuple[str, dict[str, Any]]] = []

    @property
    def actor(self) -> Actor:
        """Who acts."""
        return self.principal.actor

    def allowed(self, action: Action, target: Target) -> bool:
        """Whether the actor may perform ``action`` on ``target`` (plugins may only narrow)."""
        if not can(self.principal, action, target):
            return False
        if self.principal.actor.kind is ActorKind.SYSTEM:
            return True
        answers = self.gov.hooks.all(
            "cgov_narrow_permission", expect_bool,
            principal=self.principal, action=action, target=target,
        )
        return all(answer for _, answer in answers)

    def require(self, action: Action, target: Target) -> None:
        """Raise :class:`PermissionDenied` unless the actor may perform ``action``."""
        if not self.allowed(action, target):
            reason = (
                explain_denial(self.principal, action, target)
                if can(self.principal, action, target) is False
                else "a county plugin's policy narrowed this right"
            )
            raise PermissionDenied(str(self.actor), action.name, str(target), reason)

    def scope(self, action: Action) -> Scope:
        """The rows a list query for ``action`` may read (deny by default: may be empty)."""
        return scope_for(self.principal, action)

    def touch(self, kind: str, key: object) -> None:
        """Record that the operation wrote the object ``kind key`` (for the audit trail)."""
        self.touched.append(f"{kind}:{key}")

    def emit(self, event: str, payload: dict[str, Any]) -> None:
        """Queue a notification for ``cgov_notify``; sent only after the commit."""
        self.events.append((event, payload))

    def log_access(self, action: Action, target: Target, reason: str) -> None:
        """Write a row of the sensitive-data access log (who, what, when, why)."""
        self.uow.conn.execute(
            t.access_log.insert().values(
                at=self.now, actor_kind=self.actor.kind.value, actor_id=self.actor.id,
                action=action.name, target=str(target), reason=reason,
            )
        )


class Service:
    """Base of every service of the façade."""

    def __init__(self, gov: Governance) -> None:
        self._gov = gov
        self._hooks = gov.hooks

    def _principal(self, uow: UnitOfWork, actor: Actor, now: pendulum.DateTime) -> Principal:
        if not isinstance(actor, Actor):
            raise TypeError(
                f"every service call names its actor: pass an Actor (e.g. Actor.staff('S1') or "
                f"Actor.system()), got {type(actor).__name__}"
            )
        day = now.in_timezone(self._gov.timezone).date()
        if actor.kind is ActorKind.STAFF:
            return Principal.of(actor, load_posts(uow, actor.id), day)
        return Principal(actor, (), day)

    @contextlib.contextmanager
    def _write(self, actor: Actor, name: str) -> Iterator[Operation]:
        now = self._gov.now()
        with self._gov.store.unit_of_work(write=True) as uow:
            op = Operation(self._gov, uow, self._principal(uow, actor, now), now, name)
            yield op
            uow.conn.execute(
                t.audit_log.insert().values(
                    at=now, actor_kind=actor.kind.value, actor_id=actor.id, operation=name,
                    objects=json.dumps(op.touched[:1000], ensure_ascii=False),
                    detail=json.dumps(
                        {**op.detail, **({"objects_total": len(op.touched)}
                                         if len(op.touched) > 1000 else {})},
                        ensure_ascii=False, default=str,
                    ),
                )
            )
            uow.commit()
        for event, payload in op.events:
            self._hooks.notify(event, payload)

    @contextlib.contextmanager
    def _read(self, actor: Actor, name: str = "read") -> Iterator[Operation]:
        now = self._gov.now()
        with self._gov.store.unit_of_work(write=False) as uow:
            op = Operation(self._gov, uow, self._principal(uow, actor, now), now, name)
            yield op
            if op.uow.conn.in_transaction():
                uow.commit()  # keeps access-log rows written during a read
