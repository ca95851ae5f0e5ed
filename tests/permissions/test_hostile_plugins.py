"""County plugins can only narrow the built-in policy: never widen it, never break it quietly."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

import community_governance as cg
from community_governance import hookimpl
from community_governance.domain import actions as A
from community_governance.domain.access import Target
from community_governance.domain.idnumber import compose_id_number
from community_governance.domain.posts import Post
from community_governance.errors import NotFound, PermissionDenied, PluginError
from community_governance.services.registry import NewResident
from community_governance.storage.tables import core as t
from community_governance.testing.city import build_small_city

from .conftest import TODAY, Clock, resident_targets


class YesToEverything:
    """Answers True to every question."""

    @hookimpl(tryfirst=True)
    def cgov_narrow_permission(self, principal: Any, action: Any, target: Any) -> bool:
        return True


class Raiser:
    """Raises on every question."""

    @hookimpl
    def cgov_narrow_permission(self, principal: Any, action: Any, target: Any) -> bool:
        raise RuntimeError("county policy server unreachable")


class Mumbler:
    """Answers with a string."""

    @hookimpl
    def cgov_narrow_permission(self, principal: Any, action: Any, target: Any) -> Any:
        return "yes"


class PostForger:
    """Tries to give the asking principal a county administrator's post, then says True."""

    @hookimpl
    def cgov_narrow_permission(self, principal: Any, action: Any, target: Any) -> bool:
        forged = Post("FORGED", cg.PostKind.COUNTY_ADMIN, "411281", cg.HolderKind.STAFF,
                      principal.actor.id, TODAY.date().replace(year=2000))
        object.__setattr__(principal, "posts", (*principal.posts, forged))
        return True


class Tamperer:
    """Forces the frozen action and target open: the action becomes public and every post's,
    and the target moves into the first grid."""

    @hookimpl
    def cgov_narrow_permission(self, principal: Any, action: Any, target: Any) -> bool:
        object.__setattr__(action, "roles", frozenset(cg.PostKind))
        object.__setattr__(action, "public", True)
        object.__setattr__(target, "unit_code", "411281001001-B0001")
        object.__setattr__(target, "grid_code", "411281001001-W01")
        return True


class NoTemporaryStaff:
    """Narrows: temporary community staff (工作人员) may not read residents; no full ID
    numbers for anyone."""

    @hookimpl
    def cgov_narrow_permission(self, principal: Any, action: Any, target: Any) -> bool | None:
        if action.name == "resident.read_id_number":
            return False
        if action.name == "resident.read" and any(
                p.kind is cg.PostKind.STAFF for p in principal.posts):
            return False
        return None


@contextlib.contextmanager
def _open(plugin: object) -> Iterator[Any]:
    with cg.open("memory://", plugins=[plugin], entrypoints=False,
                 clock=Clock(TODAY)) as gov:
        yield gov


def _counts(gov: Any) -> tuple[int, ...]:
    with gov.store.unit_of_work(write=False) as uow:
        return tuple(uow.conn.execute(sa.select(sa.func.count()).select_from(x)).scalar_one()
                     for x in (t.residents, t.audit_log, t.access_log))


@pytest.fixture(params=[YesToEverything, PostForger, Tamperer],
                ids=["yes", "forger", "tamperer"])
def widening(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Any]]:
    with _open(request.param()) as gov:
        yield gov, build_small_city(gov)


def test_a_plugin_answering_true_widens_nothing(widening: tuple[Any, Any]) -> None:
    """Keeps every list and every single read to the built-in scope."""
    gov, city = widening
    c1, c2 = city.communities[:2]
    leader = city.grid_leader[f"{c1}-W01"]
    for _ in range(2):  # a forged post must not survive into the next call either
        assert len(gov.registry.list_residents(leader)) == 12
        assert gov.registry.list_residents(cg.Actor.public()) == []
        assert gov.registry.list_vulnerable(leader) == []
    other = city.residents[city.households[f"{c2}-B0001"][0]][0]
    with pytest.raises(NotFound):
        gov.registry.get_resident(leader, other)
    own = city.residents[city.households[f"{c1}-B0001"][0]][0]
    with pytest.raises(PermissionDenied):
        gov.registry.get_resident(leader, own, reveal=True, reason="curious")
    with pytest.raises(PermissionDenied):
        gov.privacy.erase(leader, own, reason="hostile")
    with pytest.raises(PermissionDenied):
        gov.audit.log(leader)
    assert not A.RESIDENT_READ.public and cg.PostKind.STAFF in A.RESIDENT_READ.roles
    assert A.RESIDENT_READ_ID.roles == frozenset(
        {cg.PostKind.SECRETARY, cg.PostKind.DIRECTOR, cg.PostKind.STAFF,
         cg.PostKind.SUBDISTRICT_STAFF, cg.PostKind.COUNTY_ADMIN})


@pytest.mark.parametrize("plugin, problem", [(Raiser, "RuntimeError"), (Mumbler, "'yes'")])
def test_a_broken_plugin_raises_plugin_error_and_nothing_is_written(
        plugin: type, problem: str) -> None:
    """Raises PluginError naming the plugin and the hook; the write leaves no row behind."""
    with _open(plugin()) as gov:
        city = build_small_city(gov)  # system jobs are never narrowed: the build works
        c = city.communities[0]
        before = _counts(gov)
        idn = compose_id_number("411281", TODAY.date().replace(year=1991), 7)
        with pytest.raises(PluginError) as info:
            gov.registry.register_resident(city.secretary[c], NewResident(
                "新居民", idn, f"{c}-B0001-101"))
        assert plugin.__name__ in info.value.plugin
        assert info.value.hook == "cgov_narrow_permission"
        assert problem in str(info.value)
        assert idn not in str(info.value)
        assert _counts(gov) == before
        with pytest.raises(PluginError):
            gov.registry.get_resident(city.secretary[c], "R0001", reveal=True, reason="x")
        assert _counts(gov) == before  # no access-log row for a read that failed


def test_a_narrowing_plugin_narrows_lists_and_single_reads() -> None:
    """Takes rights away in single reads and in list queries, and names itself."""
    with _open(NoTemporaryStaff()) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        assert gov.registry.list_residents(city.staff[c]) == []
        assert len(gov.registry.list_residents(city.director[c])) == 24
        rid = city.residents[city.households[f"{c}-B0001"][0]][0]
        with pytest.raises(PermissionDenied) as info:
            gov.registry.get_resident(city.director[c], rid, reveal=True, reason="check")
        assert "NoTemporaryStaff" in str(info.value)
        assert city.id_numbers[rid] not in str(info.value)
        with gov.store.unit_of_work(write=False) as uow:
            assert uow.conn.execute(sa.select(sa.func.count()).select_from(
                t.access_log)).scalar_one() == 0


def test_the_hook_is_not_called_when_no_plugin_narrows(city: Any, cgov: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Skips cgov_narrow_permission entirely when nothing implements it."""
    calls: list[str] = []
    original = cgov.hooks.all

    def counting(hook: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(hook)
        return original(hook, *args, **kwargs)

    monkeypatch.setattr(cgov.hooks, "all", counting)
    sec = city.secretary[city.communities[0]]
    for o in resident_targets(city)[:24]:
        cgov.registry.get_resident(sec, o.key)
    cgov.registry.list_residents(sec)
    assert "cgov_narrow_permission" not in calls
    assert not cgov.hooks.implementations("cgov_narrow_permission")


def test_plugins_see_targets_of_list_scopes_as_units() -> None:
    """Asks plugins about list scopes with the post's unit as the target."""
    seen: list[Target] = []

    class Recorder:
        @hookimpl
        def cgov_narrow_permission(self, principal: Any, action: Any, target: Any) -> None:
            seen.append(target)

    with _open(Recorder()) as gov:
        city = build_small_city(gov)
        g = city.grids[city.communities[0]][1]
        seen.clear()
        gov.registry.list_residents(city.grid_leader[g])
        assert seen == [Target("unit", g, unit_code=g, grid_code=g)]
        assert A.RESIDENT_READ.personal
