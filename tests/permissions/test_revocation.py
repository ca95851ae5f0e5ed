"""Rights follow posts and their terms: a post that ended grants nothing from the next day."""

from __future__ import annotations

from typing import Any

import pytest

import community_governance as cg
from community_governance.domain.idnumber import compose_id_number
from community_governance.errors import NotFound, PermissionDenied
from community_governance.services.registry import NewResident

from .conftest import TODAY, Clock

SYSTEM = cg.Actor.system("test")


def test_grid_leader_loses_the_grid_the_day_after_the_post_ends(
        city: Any, cgov: Any, clock: Clock) -> None:
    """Reads the grid on the last day of the term and nothing the next day."""
    c = city.communities[0]
    g = f"{c}-W01"
    leader = city.grid_leader[g]
    rid = city.residents[city.households[f"{c}-B0001"][0]][0]
    assert len(cgov.registry.list_residents(leader)) == 12
    cgov.registry.end_post(city.secretary[c], f"P-GL-{g}", on=TODAY.date())
    assert cgov.registry.get_resident(leader, rid).id == rid  # the last day still counts
    clock.advance(1)
    assert cgov.registry.list_residents(leader) == []
    with pytest.raises(NotFound):
        cgov.registry.get_resident(leader, rid)
    assert cgov.registry.summary(leader).residents == 0


def test_writes_are_refused_after_the_post_ends(city: Any, cgov: Any, clock: Clock) -> None:
    """Refuses a former grid leader's write with a message saying the post ended."""
    c = city.communities[0]
    g = f"{c}-W01"
    cgov.registry.end_post(SYSTEM, f"P-GL-{g}", on=TODAY.date())
    clock.advance(1)
    idn = compose_id_number("411281", TODAY.date().replace(year=1990), 11)
    with pytest.raises(PermissionDenied) as info:
        cgov.registry.register_resident(city.grid_leader[g], NewResident(
            "新居民", idn, f"{c}-B0001-101"))
    msg = str(info.value)
    assert "ended on" in msg and f"grid_leader@{g}" in msg
    assert idn not in msg


def test_secretary_loses_the_community_and_the_successor_gains_it(
        city: Any, cgov: Any, clock: Clock) -> None:
    """Moves the community's rights from the old secretary to the new one at the handover."""
    c = city.communities[1]
    old = city.secretary[c]
    cgov.registry.add_staff(SYSTEM, [cg.StaffMember("SEC-NEW", "新书记", True)])
    tomorrow = TODAY.date().add(days=1)
    cgov.registry.assign_posts(old, [cg.Post("P-SEC-NEW", cg.PostKind.SECRETARY, c,
                                             cg.HolderKind.STAFF, "SEC-NEW", tomorrow)])
    cgov.registry.end_post(old, f"P-{old.id}", on=TODAY.date())
    new = cg.Actor.staff("SEC-NEW")
    assert len(cgov.registry.list_residents(old)) == 24
    assert cgov.registry.list_residents(new) == []
    clock.advance(1)
    assert cgov.registry.list_residents(old) == []
    assert len(cgov.registry.list_residents(new)) == 24
    with pytest.raises(PermissionDenied):
        cgov.audit.log(old)
    assert cgov.audit.log(new)


def test_an_erased_resident_holds_no_post(city: Any, cgov: Any) -> None:
    """Drops the posts of a grid leader whose record was erased, at once."""
    c = city.communities[2]
    g = f"{c}-W02"
    leader = city.grid_leader[g]
    assert cgov.registry.list_residents(leader)
    cgov.privacy.erase(city.director[c], leader.id, reason="moved away")
    assert cgov.registry.list_residents(leader) == []
    assert cgov.registry.posts(kind=cg.PostKind.GRID_LEADER, unit_prefix=g,
                               active_on=TODAY.date().add(days=1)) == []
