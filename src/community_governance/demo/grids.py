"""Grid leaders (网格长) for the demo city: one resident of each grid, through the service.

Run by ``cgov demo`` after the grids are drawn (the ``grid leaders`` step of
:func:`community_governance.demo.build`). Yima had 78 grid leaders for its 78 grids; each
is an adult resident of the grid (25-70 years old on the day), party members first
(党员网格长), chosen by a random generator seeded with the demo's seed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.storage.tables import core as t

__all__ = ["seed_grid_leaders"]

#: The demo's posts start on this day (as the demo city's other posts).
TERM_START = dt.date(2019, 1, 1)


def seed_grid_leaders(
    gov: Any, *, seed: int = 2019, progress: Callable[[int, int], None] | None = None,
    actor: Actor | None = None, start: dt.date = TERM_START, county: str | None = None,
) -> int:
    """Appoint a grid leader to every grid that has none, from the grid's residents.

    Args:
        gov: the governance store, with grids drawn.
        seed: the random seed (same seed, same leaders).
        progress: ``progress(done, total)`` after each grid.
        actor: who appoints (default ``Actor.system("demo")``).
        start: first day of the terms.
        county: only the grids of this county (code prefix); ``None`` for every grid.

    Returns:
        Grid leaders appointed.
    """
    who = actor or Actor.system("demo")
    rng = random.Random(seed)
    r, h, b, p = t.residents, t.households, t.buildings, t.posts
    young = dt.date(start.year - 25, start.month, start.day)
    old = dt.date(start.year - 70, start.month, start.day)
    with gov.store.unit_of_work(write=False) as uow:
        conn = uow.conn
        grids = list(conn.execute(sa.select(t.units.c.code).where(
            t.units.c.kind == "grid", t.units.c.code.startswith(county or "")).order_by(
            t.units.c.code)).scalars())
        led = set(conn.execute(sa.select(p.c.unit_code).where(
            p.c.kind == "grid_leader", sa.or_(p.c.end.is_(None), p.c.end >= start))).scalars())
        taken = set(conn.execute(sa.select(p.c.holder_id)).scalars())
        rows = conn.execute(
            sa.select(b.c.grid_code, r.c.id, r.c.party_member)
            .select_from(r.join(h, h.c.id == r.c.household_id)
                         .join(b, b.c.code == h.c.building_code))
            .where(b.c.grid_code.is_not(None), r.c.erased == sa.false(),
                   r.c.birth_date <= young, r.c.birth_date >= old)
            .order_by(b.c.grid_code, r.c.id)).all()
    candidates: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for grid, rid, party in rows:
        if rid not in taken:
            candidates[grid][0 if party else 1].append(rid)
    todo = [g for g in grids if g not in led and g in candidates]
    done = 0
    for g in todo:
        party, others = candidates[g]
        pool = party or others
        holder = pool[rng.randrange(len(pool))]
        gov.grids.assign_leader(who, g, holder, start=start)
        done += 1
        if progress is not None:
            progress(done, len(todo))
    return done
