"""The HTTP API's state shared through the database (接口服务记录): the answers kept for
``Idempotency-Key`` retries, and the request counts of the rate limit.

Both live in the database, not in a worker's memory, so that every worker process of
``cgov serve --workers N`` (and every server on the same database) sees the same keys and the
same counts. They are the transport's bookkeeping, not acts of governance: no audit row is
written for them (the operation an idempotency key guards is audited as always).

Idempotency follows the IETF draft *The Idempotency-Key HTTP Header Field*: the first request
with a key reserves it; its answer is kept with a fingerprint of the request (method, path and
body) for :data:`KEEP_ANSWERS`; a retry with the same key and the same request gets the same
answer without the write being done again; the same key with another request, or while the
first is still running, is a conflict. Keys belong to the actor (a retry through a fresh token
of the same resident still matches). A failed first request releases its key.

The rate limit counts requests per client and clock minute (a fixed window) with one upsert
per request. On SQLite the counter writes through its own connection with
``synchronous=OFF`` (a count lost in a power cut costs nothing; the governed data keeps the
store's durability); on PostgreSQL the counting transaction commits with
``synchronous_commit=off`` for the same reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.errors import ConflictError, ValidationError
from community_governance.storage.tables import core as t
from community_governance.storage.tables import http as ht

if TYPE_CHECKING:
    from community_governance.services.context import Context

__all__ = ["KEEP_ANSWERS", "STALE_AFTER", "IdempotencyService", "RateLimitCounter", "Replay",
           "fingerprint"]

#: How long a key and its answer are kept (a retry later than this is a new request).
KEEP_ANSWERS = dt.timedelta(hours=24)
#: A first request still unfinished after this long probably died with its worker.
STALE_AFTER = dt.timedelta(minutes=5)


def fingerprint(method: str, path: str, body: Any) -> str:
    """The SHA-256 of a request: its method, path and body (JSON, keys sorted, so that the
    same object written in another order is the same request)."""
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(f"{method.upper()} {path}\n{text}".encode()).hexdigest()


@attrs.frozen
class Replay:
    """The answer kept for a key: what the first request answered.

    Attributes:
        status: its HTTP status.
        body: its JSON body.
    """

    status: int
    body: Any


class IdempotencyService:
    """Keys and kept answers of the HTTP API's ``Idempotency-Key`` header."""

    def __init__(self, gov: Context) -> None:
        self._gov = gov

    def begin(self, principal: str, key: str, print_: str, *, _again: bool = True,
              ) -> Replay | None:
        """Reserve ``key`` for ``principal``'s request with fingerprint ``print_``.

        Returns:
            ``None``: the key is now this request's (run it, then :meth:`finish` or
            :meth:`release`); or the :class:`Replay` of the first request's answer.

        Raises:
            ValidationError: the key is empty or longer than 200 characters.
            ConflictError: the key was used for another request, the first request with it is
                still running, or its answer was erased with the resident's data.
        """
        key = key.strip()
        if not key or len(key) > 200:
            raise ValidationError("an Idempotency-Key is 1 to 200 characters (a UUID is "
                                  "usual)", path="header.Idempotency-Key")
        now = self._gov.now()
        c = ht.http_idempotency.c
        try:
            with self._gov.store.unit_of_work(write=True) as uow:
                uow.conn.execute(ht.http_idempotency.delete().where(
                    c.created_at < now - KEEP_ANSWERS))
                uow.conn.execute(ht.http_idempotency.insert().values(
                    principal=principal[:80], key=key, fingerprint=print_, created_at=now,
                    status=None, response=None, resident_id=None))
                uow.commit()
            return None
        except IntegrityError:
            pass  # the key is known: read what became of it
        with self._gov.store.unit_of_work(write=False) as uow:
            row = uow.conn.execute(sa.select(ht.http_idempotency).where(
                c.principal == principal[:80], c.key == key)).first()
        if row is None:  # released or expired in between: try once more
            if _again:
                return self.begin(principal, key, print_, _again=False)
            raise ConflictError(f"Idempotency-Key {key!r} is being reused concurrently: "
                                "retry in a moment")
        if row.fingerprint != print_:
            raise ConflictError(
                f"Idempotency-Key {key!r} was used on {row.created_at:%Y-%m-%d %H:%M} UTC for "
                "another request (another path or body): send a new key for a new request, "
                "the same key only to retry the same request")
        if row.status is None:
            late = now - row.created_at > STALE_AFTER
            raise ConflictError(
                f"the first request with Idempotency-Key {key!r} "
                + ("never finished (its worker stopped?): check whether it was done before "
                   "sending it again with a new key" if late else
                   "is still being handled: retry in a moment"))
        if row.response is None:
            raise ConflictError(
                f"the request with Idempotency-Key {key!r} was done (HTTP {row.status}), but "
                "its answer was erased with the resident's personal data: read the record "
                "instead")
        return Replay(int(row.status), json.loads(row.response))

    def finish(self, principal: str, key: str, status: int, body: Any, *,
               resident_id: str | None = None) -> None:
        """Keep the answer of the request that reserved ``key`` (``body`` JSON-ready),
        linked to ``resident_id`` when it is about a resident (erased with them)."""
        c = ht.http_idempotency.c
        rid: Any = None
        if resident_id is not None:  # only a known resident (the foreign key)
            rid = sa.select(t.residents.c.id).where(
                t.residents.c.id == resident_id).scalar_subquery()
        with self._gov.store.unit_of_work(write=True) as uow:
            uow.conn.execute(ht.http_idempotency.update().where(
                c.principal == principal[:80], c.key == key.strip()).values(
                status=status, response=json.dumps(body, ensure_ascii=False),
                resident_id=rid))
            uow.commit()

    def release(self, principal: str, key: str) -> None:
        """Free a key whose request failed (nothing was written: it may be sent again)."""
        c = ht.http_idempotency.c
        with self._gov.store.unit_of_work(write=True) as uow:
            uow.conn.execute(ht.http_idempotency.delete().where(
                c.principal == principal[:80], c.key == key.strip(), c.status.is_(None)))
            uow.commit()


class RateLimitCounter:
    """Requests per client and clock minute, counted in the database (see the module)."""

    def __init__(self, gov: Context) -> None:
        self._gov = gov
        self._engine: sa.Engine | None = None
        self._lock = threading.Lock()
        store = gov.store
        engine = getattr(store, "engine", None)
        url = str(getattr(store, "url", ""))
        if isinstance(engine, sa.Engine) and url.startswith("sqlite:"):
            from community_governance.storage.sql import engine_for_url

            u = sa.engine.make_url(url).update_query_dict({"synchronous": "OFF"})
            self._engine = engine_for_url(u.render_as_string(hide_password=False))

    def close(self) -> None:
        """Release the counter's own connections (SQLite)."""
        if self._engine is not None:
            self._engine.dispose()

    def hit(self, bucket: str, limit: int) -> tuple[bool, int, int]:
        """Count one request of ``bucket`` in the current minute.

        Returns:
            ``(allowed, remaining, seconds until the next minute)``; ``allowed`` is false once
            the minute's count passes ``limit``.
        """
        now = self._gov.now()
        stamp = int(now.timestamp())
        minute, reset = stamp // 60, 60 - stamp % 60
        if self._engine is not None:
            from community_governance.storage.base import transaction

            with transaction(self._engine, write=True) as uow:
                hits = self._count(uow.conn, bucket, minute)
                uow.commit()
        else:
            with self._gov.store.unit_of_work(write=True) as uow:
                if uow.conn.dialect.name == "postgresql":
                    uow.conn.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
                hits = self._count(uow.conn, bucket, minute)
                uow.commit()
        return hits <= limit, max(0, limit - hits), reset

    @staticmethod
    def _count(conn: sa.Connection, bucket: str, minute: int) -> int:
        table = ht.http_rate_limits
        name = conn.dialect.name
        if name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            ins: Any = pg_insert(table)
        elif name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            ins = sqlite_insert(table)
        else:  # another dialect: read, then write (the store serialises writers)
            c = table.c
            got = conn.execute(sa.select(c.hits).where(
                c.bucket == bucket, c.minute == minute)).scalar()
            if got is None:
                conn.execute(table.insert().values(bucket=bucket, minute=minute, hits=1))
                return 1
            conn.execute(table.update().where(c.bucket == bucket, c.minute == minute)
                         .values(hits=c.hits + 1))
            return int(got) + 1
        stmt = ins.values(bucket=bucket[:80], minute=minute, hits=1).on_conflict_do_update(
            index_elements=[table.c.bucket, table.c.minute],
            set_={"hits": table.c.hits + 1}).returning(table.c.hits)
        hits = int(conn.execute(stmt).scalar_one())
        if hits == 1:  # the client's first request of a minute: drop the old minutes
            conn.execute(table.delete().where(table.c.minute < minute - 1))
        return hits
