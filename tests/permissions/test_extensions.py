"""A county extends actions that touch no personal data; personal-data rights never widen."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

import community_governance as cg
from community_governance import hookimpl
from community_governance.domain import actions as A
from community_governance.errors import PermissionDenied, PluginError
from community_governance.services.base import effective_action
from community_governance.testing.city import SmallCity, build_small_city

from .conftest import TODAY, Clock


class BuildingLeadersAwardPoints:
    """This county lets building leaders (楼院长) award points in their building."""

    @hookimpl
    def cgov_extend_permission(self, action: Any) -> list[str] | None:
        return ["building_leader"] if action.name == "points.earn" else None


class GridLeadersSeeFullNumbers:
    """A hostile plugin: grid leaders would read full ID numbers."""

    @hookimpl
    def cgov_extend_permission(self, action: Any) -> list[str] | None:
        if action.name == "resident.read_id_number":
            return ["grid_leader"]
        return None


class Nonsense:
    """Names a post kind that does not exist."""

    @hookimpl
    def cgov_extend_permission(self, action: Any) -> list[str]:
        return ["mayor"]


@contextlib.contextmanager
def _open(plugin: object) -> Iterator[tuple[Any, SmallCity]]:
    with cg.open("memory://", plugins=[plugin], entrypoints=False, clock=Clock(TODAY)) as gov:
        yield gov, build_small_city(gov)


@pytest.fixture
def extended() -> Iterator[tuple[Any, SmallCity]]:
    with _open(BuildingLeadersAwardPoints()) as opened:
        yield opened


def test_an_extension_grants_within_the_post_only(extended: tuple[Any, SmallCity]) -> None:
    """Lets a building leader award points in their building and nowhere else."""
    pytest.importorskip("community_governance.services.points")
    gov, city = extended
    c = city.communities[0]
    b1, b2 = city.buildings[c][:2]
    leader = city.building_leader[b1]
    here = city.residents[city.households[b1][0]][0]
    there = city.residents[city.households[b2][0]][0]
    assert gov.points.earn(leader, here, 10, key="bl-1", reason="楼道清扫").amount == 10
    with pytest.raises(PermissionDenied):
        gov.points.earn(leader, there, 10, key="bl-2")
    with pytest.raises(PermissionDenied):
        gov.points.earn(city.cadre[c], here, 10, key="bl-3")


def test_without_the_extension_the_building_leader_is_refused(city: SmallCity,
                                                              cgov: Any) -> None:
    """Refuses the same award under the national rules."""
    pytest.importorskip("community_governance.services.points")
    b1 = city.buildings[city.communities[0]][0]
    here = city.residents[city.households[b1][0]][0]
    with pytest.raises(PermissionDenied):
        cgov.points.earn(city.building_leader[b1], here, 10, key="bl-1")
    assert effective_action(cgov, A.REPORT_READ) is A.REPORT_READ


def test_personal_data_rights_cannot_be_extended() -> None:
    """Raises PluginError naming the plugin; the grid leader still gets no full number."""
    with _open(GridLeadersSeeFullNumbers()) as (gov, city):
        c = city.communities[0]
        leader = city.grid_leader[f"{c}-W01"]
        for actor in (leader, city.secretary[c]):
            with pytest.raises(PluginError) as info:
                gov.registry.get_resident(actor, "R0001", reveal=True, reason="x")
            assert "GridLeadersSeeFullNumbers" in info.value.plugin
            assert info.value.hook == "cgov_extend_permission"
            assert "only be narrowed" in str(info.value)
        assert gov.audit.access(cg.Actor.system("t")) == []
        assert len(gov.registry.list_residents(leader)) == 12  # other actions unaffected


def test_an_unknown_post_kind_is_a_plugin_error() -> None:
    """Refuses an answer naming a post kind that does not exist."""
    with _open(Nonsense()) as (gov, city), pytest.raises(PluginError, match="mayor"):
        gov.registry.summary(city.secretary[city.communities[0]])
