"""The log of refused attempts (拒绝访问日志): every refusal leaves a trace, within a bound.

Every refusal by the access policy writes one row (when, who, which operation, which action,
which target, why) to ``access_denials``: a :class:`~community_governance.errors.PermissionDenied`
raised anywhere inside a service operation (``Operation.require``, a service's own checks such as
self-approval, the audit readers' check), and a list query whose scope is empty (the actor may
see none of the rows asked for: the whole list is refused, though it answers ``[]``). The
refused operation rolls back, so the row is written afterwards **in a small transaction of its
own**; an operation nested in another one hands its refusals to the outermost, which writes
them after its own transaction ended (so that SQLite's single writer is never waited for).
Writing the row never hides the refusal: should it fail, a warning is logged and the
``PermissionDenied`` is raised as it would have been.

The bound (:class:`DenialLimits`): a loop of refusals must not fill the disk, and one noisy
actor must not hide the others. Every attempt is counted in ``access_denial_counts``, per clock
hour (UTC) and actor, and in a row of the actor ``*:*`` for the whole hour; a refusal is written
out only while, in its hour, fewer than ``per_actor`` rows (default 100) of the same actor and
fewer than ``per_hour`` rows in all (default 1,000) have been written. The rest are counted,
not written: ``attempts - logged`` of a count row is the number suppressed, and
``cgov audit denied`` shows it. So, whatever a loop does, an hour adds at most ``per_hour``
refusal rows and ``per_hour + 1`` count rows (at the defaults about 2,000 short rows an hour:
under 50,000 rows and some 10 MB a day under a sustained attack; none without one). The count
rows are the only ones ever updated; the refusal rows are append-only like the access log.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import attrs
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.masking import mask_text
from community_governance.storage.tables import denials as t

if TYPE_CHECKING:
    from community_governance.services.context import Context

__all__ = ["ALL", "Denial", "DenialLimits", "collecting", "pending", "record"]

log = logging.getLogger(__name__)

#: The actor key of the count rows that count every attempt of an hour.
ALL = ("*", "*")


@attrs.frozen
class DenialLimits:
    """How many refusals are written out per clock hour (UTC); the rest are only counted.

    Attributes:
        per_actor: rows written per actor per hour.
        per_hour: rows written per hour, all actors together.
    """

    per_actor: int = 100
    per_hour: int = 1000

    def __attrs_post_init__(self) -> None:
        if self.per_actor < 1 or self.per_hour < self.per_actor:
            from community_governance.errors import ValidationError

            raise ValidationError(
                f"denial limits need 1 <= per_actor <= per_hour, got per_actor={self.per_actor}, "
                f"per_hour={self.per_hour}: pass e.g. DenialLimits(per_actor=100, per_hour=1000)",
                path="denial_limits")


@attrs.frozen
class Denial:
    """One refusal, as it will be written (texts already masked and cut to the columns)."""

    actor: Actor
    operation: str
    action: str
    target: str
    reason: str

    @classmethod
    def of(cls, actor: Actor, operation: str, action: str, target: str,
           reason: str) -> Denial:
        """A refusal with personal numbers masked in every text."""
        return cls(actor, operation[:80], action[:80], mask_text(target)[:120],
                   mask_text(reason)[:2000])


#: The refusals gathered by the outermost operation of the current call (None outside one).
_PENDING: contextvars.ContextVar[list[Denial] | None] = contextvars.ContextVar(
    "cgov_pending_denials", default=None)


def pending() -> list[Denial] | None:
    """The refusals gathered by the operation under way in this context, if any."""
    return _PENDING.get()


@contextlib.contextmanager
def collecting(gov: Context, now: dt.datetime) -> Iterator[list[Denial]]:
    """Gather the refusals of an operation; the outermost one writes them when it ends.

    Yields the list to append refusals to. Nested operations share the outermost's list.
    """
    pending = _PENDING.get()
    if pending is not None:
        yield pending
        return
    mine: list[Denial] = []
    token = _PENDING.set(mine)
    try:
        yield mine
    finally:
        _PENDING.reset(token)
        if mine:
            record(gov, mine, now)


def _hour(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def _bump(conn: sa.Connection, hour: dt.datetime, kind: str, ident: str,
          n: int = 1) -> tuple[int, int]:
    """Count ``n`` attempts of ``kind:ident`` in ``hour``; return (attempts, logged) after."""
    c = t.access_denial_counts
    got = conn.execute(
        sa.update(c).where(c.c.hour == hour, c.c.actor_kind == kind, c.c.actor_id == ident)
        .values(attempts=c.c.attempts + n).returning(c.c.attempts, c.c.logged)).first()
    if got is None:
        conn.execute(sa.insert(c).values(hour=hour, actor_kind=kind, actor_id=ident,
                                         attempts=n, logged=0))
        return n, 0
    return int(got.attempts), int(got.logged)


def _logged(conn: sa.Connection, hour: dt.datetime, kind: str, ident: str) -> None:
    c = t.access_denial_counts
    conn.execute(sa.update(c).where(c.c.hour == hour, c.c.actor_kind == kind,
                                    c.c.actor_id == ident).values(logged=c.c.logged + 1))


def _write_one(conn: sa.Connection, d: Denial, now: dt.datetime,
               limits: DenialLimits) -> str:
    """Count ``d`` and write it out if the bound allows.

    Returns ``written``, ``actor_full`` (the actor's bound for the hour is reached) or
    ``hour_full`` (the bound of all actors is).
    """
    hour = _hour(now)
    _, total_logged = _bump(conn, hour, *ALL)
    if total_logged >= limits.per_hour:
        return "hour_full"
    kind, ident = d.actor.kind.value, d.actor.id[:60]
    _, logged = _bump(conn, hour, kind, ident)
    if logged >= limits.per_actor:
        return "actor_full"
    conn.execute(t.access_denials.insert().values(
        at=now, actor_kind=kind, actor_id=ident, operation=d.operation, action=d.action,
        target=d.target, reason=d.reason))
    _logged(conn, hour, *ALL)
    _logged(conn, hour, kind, ident)
    return "written"


def _hour_full(conn: sa.Connection, now: dt.datetime, limits: DenialLimits) -> bool:
    c = t.access_denial_counts
    logged = conn.execute(sa.select(c.c.logged).where(
        c.c.hour == _hour(now), c.c.actor_kind == ALL[0], c.c.actor_id == ALL[1])
    ).scalar_one_or_none()
    return logged is not None and logged >= limits.per_hour


def _write(conn: sa.Connection, denials: Sequence[Denial], now: dt.datetime,
           limits: DenialLimits) -> int:
    """Write a batch: as one by one, but what the bound suppresses is counted at once."""
    hour = _hour(now)
    written = 0
    full: set[tuple[str, str]] = set()
    later: Counter[tuple[str, str]] = Counter()
    for i, d in enumerate(denials):
        if i % 50 == 0 and _hour_full(conn, now, limits):
            _bump(conn, hour, *ALL, n=len(denials) - i)  # the rest are only counted
            break
        key = (d.actor.kind.value, d.actor.id[:60])
        if key in full:
            later[key] += 1
            continue
        got = _write_one(conn, d, now, limits)
        written += got == "written"
        if got == "actor_full":
            full.add(key)
    for key, n in later.items():
        _bump(conn, hour, *key, n=n)
        _bump(conn, hour, *ALL, n=n)
    return written


def record(gov: Context, denials: Sequence[Denial], now: dt.datetime) -> int:
    """Write ``denials`` in one small transaction of their own, within the bound.

    Returns how many rows were written out (the others were counted). Never raises: a failure
    is logged as a warning, since the caller is about to report the refusal itself.
    """
    limits = getattr(gov, "denial_limits", None) or DenialLimits()
    for attempt in range(3):  # a concurrent first count of the hour may collide on its key
        try:
            with gov.store.unit_of_work(write=True) as uow:
                written = _write(uow.conn, denials, now, limits)
                uow.commit()
            return written
        except sa.exc.IntegrityError:
            if attempt == 2:
                log.warning("could not record %d refused attempt(s)", len(denials),
                            exc_info=True)
        except Exception:  # the refusal itself must still reach the caller
            log.warning("could not record %d refused attempt(s)", len(denials), exc_info=True)
            return 0
    return 0
