"""The golden table of ``can(actor, action, target)``: every actor of the small city (and some
the issue never names) × every core action × every resident and unit, against the
independent policy of ``conftest.py``."""

from __future__ import annotations

from typing import Any

import pytest

from community_governance.domain import actions as A
from community_governance.domain.access import Action, Actor, Target, can
from community_governance.domain.posts import PostKind
from community_governance.errors import PermissionDenied
from community_governance.services.base import Service

from .conftest import (
    POLICY,
    add_unnamed_actors,
    expected,
    named_actors,
    resident_targets,
    unit_targets,
)

ACTIONS: list[Action] = [
    A.RESIDENT_READ, A.RESIDENT_READ_ID, A.RESIDENT_READ_VULNERABILITY, A.RESIDENT_WRITE,
    A.RESIDENT_CORRECT, A.RESIDENT_ERASE, A.RESIDENT_EXPORT_OWN, A.REPORT_READ, A.AUDIT_READ,
    A.UNIT_WRITE, A.POST_ASSIGN, A.PARTY_WRITE, A.PARTNER_WRITE,
]


def test_the_golden_policy_names_every_core_action() -> None:
    """Covers every action of domain/actions.py in the independent policy table."""
    assert {a.name for a in ACTIONS} == set(POLICY)
    declared = {getattr(A, n).name for n in A.__all__ if isinstance(getattr(A, n), Action)}
    assert declared == set(POLICY)


def _table(city: Any, gov: Any, principal_of: Any) -> list[tuple[str, str, str, bool, bool]]:
    actors = named_actors(city) + add_unnamed_actors(gov, city)
    targets = resident_targets(city) + unit_targets(city)
    rows = []
    for who in actors:
        p = principal_of(who.actor)
        for action in ACTIONS:
            for obj in targets:
                t = Target(obj.kind, obj.key, obj.unit, obj.grid, owner_id=obj.owner)
                rows.append((who.name, action.name, f"{obj.kind} {obj.key}",
                             can(p, action, t), expected(who, action.name, obj)))
    return rows


def test_can_matches_the_golden_table(city: Any, cgov: Any, principal_of: Any) -> None:
    """Answers exactly as the independent policy for tens of thousands of cases."""
    rows = _table(city, cgov, principal_of)
    assert len(rows) > 40_000
    wrong = [r for r in rows if r[3] != r[4]]
    assert wrong == [], f"{len(wrong)} wrong answers, e.g. {wrong[:5]}"
    granted = sum(1 for r in rows if r[4])
    assert 2_000 < granted < len(rows) - 2_000  # the table exercises both answers


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_no_post_reaches_across_communities(city: Any, principal_of: Any,
                                            action: Action) -> None:
    """Denies every community-level and lower post anything in another community."""
    targets = resident_targets(city)
    for who in named_actors(city):
        if who.actor.kind.value != "staff" or who.posts[0][1] in (city.county,
                                                                   *city.subdistricts):
            continue
        home = who.posts[0][1][:12]
        p = principal_of(who.actor)
        for obj in targets:
            if obj.unit is not None and obj.unit[:12] != home:
                assert not can(p, action, Target("resident", obj.key, obj.unit, obj.grid,
                                                  owner_id=obj.owner)), (who.name, obj.key)


def test_subdistrict_staff_never_reach_the_other_subdistrict(city: Any,
                                                              principal_of: Any) -> None:
    """Denies a sub-district's staff every resident of the other sub-district."""
    for s in city.subdistricts:
        p = principal_of(city.subdistrict_staff[s])
        for obj in resident_targets(city):
            t = Target("resident", obj.key, obj.unit, obj.grid, owner_id=obj.owner)
            assert can(p, A.RESIDENT_READ, t) is (obj.unit is not None and obj.unit[:9] == s)


def test_operation_allowed_agrees_with_can_without_plugins(city: Any, cgov: Any) -> None:
    """Gives the same answers through Operation.allowed as through can when no plugin
    narrows."""
    svc = Service(cgov)
    targets = resident_targets(city)[::7]
    for who in named_actors(city)[::3]:
        with svc._read(who.actor) as op:
            for action in ACTIONS:
                for obj in targets:
                    t = Target("resident", obj.key, obj.unit, obj.grid, owner_id=obj.owner)
                    assert op.allowed(action, t) is can(op.principal, action, t)


def test_denials_name_actor_action_and_target(city: Any, cgov: Any) -> None:
    """Raises PermissionDenied naming the actor, the action and the target, with a reason."""
    svc = Service(cgov)
    c1, c2 = city.communities[:2]
    leader = city.grid_leader[f"{c1}-W01"]
    other = city.residents[city.households[city.buildings[c2][0]][0]][0]
    with svc._read(leader) as op:
        t = Target("resident", other, city.buildings[c2][0], f"{c2}-W01", owner_id=other)
        with pytest.raises(PermissionDenied) as info:
            op.require(A.RESIDENT_READ, t)
    msg = str(info.value)
    assert str(leader) in msg and "resident.read" in msg and f"resident {other}" in msg
    assert "do not cover" in msg and f"grid_leader@{c1}-W01" in msg
    assert c2 not in msg  # where the resident lives is not told to someone denied
    assert info.value.actor == str(leader) and info.value.action == "resident.read"


def test_denial_of_the_public_says_to_sign_in(cgov: Any, city: Any) -> None:
    """Tells the public that only disclosures are open and to sign in."""
    with Service(cgov)._read(Actor.public()) as op, pytest.raises(PermissionDenied) as info:
        op.require(A.REPORT_READ, Target("unit", city.county, unit_code=city.county))
    assert "public" in str(info.value) and "sign in" in str(info.value)


def test_denial_of_a_resident_points_to_acting_in_office(cgov: Any, city: Any) -> None:
    """Tells a post holder acting as a resident to act as Actor.staff."""
    g = city.grid_leader[f"{city.communities[0]}-W01"]
    with Service(cgov)._read(Actor.resident(g.id)) as op, pytest.raises(
            PermissionDenied) as info:
        op.require(A.RESIDENT_WRITE, Target("resident", "R0001", f"{city.communities[0]}-B0001",
                                            f"{city.communities[0]}-W01", owner_id="R0001"))
    assert f"Actor.staff('{g.id}')" in str(info.value)


def test_public_actions_are_open_and_others_closed_to_the_public(principal_of: Any,
                                                                  city: Any) -> None:
    """Grants a public action to anyone and nothing else to the public."""
    guide = Action("guide.read", public=True)
    p = principal_of(Actor.public())
    t = Target("unit", city.county, unit_code=city.county)
    assert can(p, guide, t)
    assert not any(can(p, a, t) for a in ACTIONS)


def test_actions_refuse_bad_declarations() -> None:
    """Refuses an action name without an area and a public personal action."""
    with pytest.raises(ValueError, match=r"area\.verb"):
        Action("read")
    with pytest.raises(ValueError, match="never public"):
        Action("x.y", public=True, personal=True)
    assert Action("x.y", roles={"grid_leader"}).roles == frozenset({PostKind.GRID_LEADER})


def test_actors_need_a_key() -> None:
    """Refuses a staff or resident actor without a key."""
    with pytest.raises(ValueError, match="needs the key"):
        Actor.staff("")
    with pytest.raises(ValueError, match="needs the key"):
        Actor.resident("  ")
