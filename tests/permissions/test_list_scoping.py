"""List queries and reports read exactly the rows ``can`` allows, filtered in SQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from community_governance.domain import actions as A
from community_governance.domain.access import Target, can

from .conftest import add_unnamed_actors, expected, named_actors, resident_targets


def _who_list(city: Any, gov: Any) -> list[Any]:
    return named_actors(city) + add_unnamed_actors(gov, city)


def test_list_residents_returns_exactly_what_can_allows(city: Any, cgov: Any,
                                                         principal_of: Any) -> None:
    """Lists, for every actor, exactly the residents the golden policy and can allow."""
    targets = resident_targets(city)
    checked = 0
    for who in _who_list(city, cgov):
        listed = {r.id for r in cgov.registry.list_residents(who.actor)}
        golden = {o.key for o in targets if expected(who, "resident.read", o)}
        p = principal_of(who.actor)
        allowed = {o.key for o in targets
                   if can(p, A.RESIDENT_READ, Target("resident", o.key, o.unit, o.grid,
                                                     owner_id=o.owner))}
        assert listed == golden == allowed, who.name
        checked += 1
    assert checked > 40


def test_list_vulnerable_returns_exactly_the_cared_for(city: Any, cgov: Any) -> None:
    """Lists vulnerable residents only to their own community office and assigned cadre."""
    targets = {o.key: o for o in resident_targets(city)}
    for who in _who_list(city, cgov):
        if who.actor.kind.value == "public":
            continue
        listed = {r.id for r in cgov.registry.list_vulnerable(who.actor)}
        golden = {rid for rid in city.elderly.values()
                  if expected(who, "resident.read_vulnerability", targets[rid])}
        assert listed == golden, who.name


def test_summary_counts_exactly_the_residents_in_scope(city: Any, cgov: Any) -> None:
    """Counts, for every actor, exactly the residents and households report.read allows."""
    targets = resident_targets(city)
    for who in _who_list(city, cgov):
        if who.actor.kind.value == "public":
            continue
        s = cgov.registry.summary(who.actor)
        golden = [o for o in targets if expected(who, "report.read", o)]
        assert s.residents == len(golden), who.name
        keys = {o.key for o in golden}
        homes = {hh for hh, rids in city.residents.items() if set(rids) & keys}
        assert s.households == len(homes), who.name


def test_summary_counts_a_grid_leaders_buildings(city: Any, cgov: Any) -> None:
    """Counts the buildings of a grid leader's grid."""
    g = city.grids[city.communities[0]][0]
    assert cgov.registry.summary(city.grid_leader[g]).buildings == 2


def test_scope_filter_runs_in_sql(city: Any, cgov: Any) -> None:
    """Reads no row of another grid: the SELECT sent to the database carries the filter."""
    statements: list[str] = []
    engine = cgov.store.engine

    def seen(_conn: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
        if "FROM residents" in statement and "residents.name" in statement:
            statements.append(f"{statement} {params}")

    g = city.grids[city.communities[0]][0]
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        rows = cgov.registry.list_residents(city.grid_leader[g])
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert len(rows) == 12
    assert statements and all(g in s for s in statements)
