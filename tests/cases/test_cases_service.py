"""gov.cases: intake, routing up the four levels, permissions, escalation, hooks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import community_governance
from community_governance import hookimpl
from community_governance.domain.access import Actor
from community_governance.domain.cases import (
    CaseCategory,
    CaseEvent,
    CaseStatus,
    RouteLevel,
    RouteStep,
)
from community_governance.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    PluginError,
    ValidationError,
)
from community_governance.testing.city import build_small_city

SYSTEM = Actor.system("test")


def _report(gov: Any, city: Any, **kw: Any) -> Any:
    c = city.communities[0]
    args = {"category": "repair", "building_code": city.buildings[c][0],
            "description": "楼道灯不亮"} | kw
    actor = args.pop("actor", city.grid_leader[city.grids[c][0]])
    return gov.cases.report(actor, **args)


def test_new_case_starts_at_the_grid_with_the_route_above(city: Any, cgov: Any) -> None:
    """Routes a case at a gridded building to the grid first, then community, sub-district
    and a county department."""
    case = _report(cgov, city)
    c = city.communities[0]
    assert case.status is CaseStatus.REPORTED
    assert (case.level, case.unit_code) == (RouteLevel.GRID, city.grids[c][0])
    assert case.deadline == dt.date(2026, 9, 30)  # 3 working days after Friday 9-25
    for level, unit in ((RouteLevel.COMMUNITY, c), (RouteLevel.SUBDISTRICT, c[:9]),
                        (RouteLevel.COUNTY, c[:6])):
        case = cgov.cases.escalate(SYSTEM, case.id, reason="需协调")
        assert (case.level, case.unit_code) == (level, unit)
    assert case.department == "住房和城乡建设局"
    with pytest.raises(InvalidTransition, match="top of its route"):
        cgov.cases.escalate(SYSTEM, case.id, reason="再升级")


def test_rejects_unknown_category_channel_and_building(city: Any, cgov: Any) -> None:
    """Rejects an unknown category, an unknown channel, an empty text and a missing building."""
    with pytest.raises(ValidationError, match="unknown case category"):
        _report(cgov, city, category="heating")
    with pytest.raises(ValidationError, match="channel"):
        _report(cgov, city, channel="fax")
    with pytest.raises(ValidationError, match="description"):
        _report(cgov, city, description="  ")
    with pytest.raises(NotFound):
        _report(cgov, city, building_code="411281001001-B0999")
    assert cgov.cases.list_cases(SYSTEM) == []


def test_resident_reports_only_as_themselves(city: Any, cgov: Any) -> None:
    """Refuses a resident naming another resident as the reporter (nothing written), records
    the resident's own key otherwise, and lets them read their case but not another's."""
    c = city.communities[0]
    me, other = city.residents[city.households[city.buildings[c][0]][0]]
    with pytest.raises(ValidationError, match="only as themselves"):
        _report(cgov, city, actor=Actor.resident(me), reporter_id=other)
    assert cgov.cases.list_cases(Actor.resident(me)) == []
    case = _report(cgov, city, actor=Actor.resident(me))
    assert case.reporter_id == me
    assert cgov.cases.get(Actor.resident(me), case.id).id == case.id
    with pytest.raises(PermissionDenied):
        cgov.cases.get(Actor.resident(other), case.id)
    assert cgov.cases.list_cases(Actor.resident(other)) == []


def test_escalated_case_leaves_the_lower_levels_hands(city: Any, cgov: Any) -> None:
    """Lets the grid leader handle a grid case, but not once it moved to the community; the
    community staff then may, but not after it moved to the sub-district."""
    c = city.communities[0]
    gl = city.grid_leader[city.grids[c][0]]
    case = _report(cgov, city)
    cgov.cases.assign(gl, case.id, gl.id)
    cgov.cases.escalate(SYSTEM, case.id, reason="网格无法处理")
    with pytest.raises(PermissionDenied):
        cgov.cases.assign(gl, case.id, gl.id)
    with pytest.raises(ValidationError, match="holds no post"):
        cgov.cases.assign(city.staff[c], case.id, gl.id)
    cgov.cases.assign(city.staff[c], case.id, city.staff[c].id)
    cgov.cases.escalate(city.staff[c], case.id, reason="需办事处协调")
    with pytest.raises(PermissionDenied):
        cgov.cases.start(city.staff[c], case.id)
    sub = city.subdistrict_staff[c[:9]]
    case = cgov.cases.assign(sub, case.id, sub.id)
    assert case.handler_id == sub.id


def test_other_community_cannot_touch_the_case(city: Any, cgov: Any) -> None:
    """Refuses staff of another community reading or handling a case."""
    case = _report(cgov, city)
    stranger = city.staff[city.communities[2]]
    with pytest.raises(PermissionDenied):
        cgov.cases.get(stranger, case.id)
    with pytest.raises(PermissionDenied):
        cgov.cases.assign(stranger, case.id, stranger.id)
    assert cgov.cases.list_cases(stranger) == []


def test_overdue_cases_escalate_one_level_with_a_new_deadline(city: Any, cgov: Any,
                                                               clock: Any) -> None:
    """Moves overdue open cases one level up, records the escalation by the job at its time
    with a new working-day deadline, and leaves cases in time or handled alone."""
    c = city.communities[0]
    gl = city.grid_leader[city.grids[c][0]]
    late = _report(cgov, city, category="safety")             # deadline 9-28
    handled = _report(cgov, city, category="safety")
    slow = _report(cgov, city, category="dispute")            # deadline 10-12 (5 days)
    cgov.cases.assign(gl, handled.id, gl.id)
    cgov.cases.resolve(gl, handled.id, note="已清理")
    clock.set(2026, 9, 29, 18, 0)
    done = cgov.cases.escalate_overdue(SYSTEM)
    assert done.ids == [late.id] and done.ok
    now = cgov.cases.get(SYSTEM, late.id)
    assert (now.level, now.unit_code, now.escalations) == (RouteLevel.COMMUNITY, c, 1)
    # community level has 1 working day for safety: 9-30 (then the National Day holiday)
    assert now.deadline == dt.date(2026, 9, 30)
    last = cgov.cases.history(SYSTEM, late.id)[-1]
    assert last.event is CaseEvent.ESCALATE and last.actor == str(SYSTEM)
    assert last.at.isoformat().startswith("2026-09-29T10:00")
    assert cgov.cases.get(SYSTEM, slow.id).level is RouteLevel.GRID
    assert cgov.cases.escalate_overdue(SYSTEM).done == ()  # nothing twice on the same day
    clock.set(2026, 10, 8, 18, 0)  # after the holiday: overdue again, to the sub-district
    assert cgov.cases.escalate_overdue(SYSTEM).ids == [late.id]
    assert cgov.cases.get(SYSTEM, late.id).level is RouteLevel.SUBDISTRICT


def test_escalation_job_of_staff_stays_in_their_levels(city: Any, cgov: Any,
                                                        clock: Any) -> None:
    """Escalates, when run by community staff, only the cases at levels they handle."""
    a = _report(cgov, city, category="safety")
    other = city.communities[2]
    b = _report(cgov, city, category="safety", building_code=city.buildings[other][0],
                actor=SYSTEM)
    clock.set(2026, 9, 29, 18)
    done = cgov.cases.escalate_overdue(city.staff[city.communities[0]])
    assert done.ids == [a.id]
    assert cgov.cases.get(SYSTEM, b.id).level is RouteLevel.GRID


def test_close_with_satisfaction_and_reopen(city: Any, cgov: Any, clock: Any) -> None:
    """Closes a resolved case with a 1-5 score, refuses other scores, and reopens it with a
    new deadline and no handler."""
    c = city.communities[0]
    gl = city.grid_leader[city.grids[c][0]]
    case = _report(cgov, city)
    cgov.cases.assign(gl, case.id, gl.id)
    cgov.cases.resolve(gl, case.id, note="已修")
    with pytest.raises(ValidationError, match="satisfaction"):
        cgov.cases.close(city.secretary[c], case.id, satisfaction=6)
    with pytest.raises(PermissionDenied):
        cgov.cases.close(gl, case.id, satisfaction=5)  # call-backs are the office's
    closed = cgov.cases.close(city.secretary[c], case.id, satisfaction=2)
    assert (closed.status, closed.satisfaction) == (CaseStatus.CLOSED, 2)
    clock.set(2026, 10, 9, 9)
    again = cgov.cases.reopen(city.secretary[c], case.id, reason="灯又坏了")
    assert again.status is CaseStatus.REOPENED
    assert again.handler_id is None and again.satisfaction is None
    assert again.deadline == dt.date(2026, 10, 13)  # Sat 10-10 is a working day


def _june() -> Any:
    """A fixed "now" inside a year whose official calendar is known."""
    import pendulum

    return pendulum.datetime(2026, 6, 15, 9, tz="Asia/Shanghai")


def test_reporter_phone_is_sealed_and_never_returned(city: Any) -> None:
    """Stores the reporter's phone sealed with the county key and returns no phone at all."""
    import sqlalchemy as sa

    from community_governance.storage.tables.cases import cases

    with community_governance.open("memory://", entrypoints=False, clock=_june,
                                   data_key="county-secret-key-0123456789") as g:
        city2 = build_small_city(g)
        case = _report(g, city2, reporter_phone="13912345678", reporter_name="张三")
        with g.store.unit_of_work(write=False) as uow:
            stored = uow.conn.execute(sa.select(cases.c.reporter_phone)).scalar_one()
        assert stored is not None and "13912345678" not in stored
        assert "phone" not in repr(g.cases.get(SYSTEM, case.id))


class CountyRules:
    """A county plugin: its own category, a route that skips the grid, a 1-day deadline."""

    @hookimpl
    def cgov_case_categories(self) -> list[CaseCategory]:
        return [CaseCategory("heating", "供暖", "集中供暖不热"),
                CaseCategory("repair", "房屋维修", "县里改了名称")]

    @hookimpl
    def cgov_case_route(self, category: str, community_code: str) -> list[RouteStep] | None:
        if category != "heating":
            return None
        return [RouteStep(RouteLevel.COMMUNITY, community_code),
                RouteStep(RouteLevel.COUNTY, community_code[:6], "供热公司")]

    @hookimpl
    def cgov_case_deadline(self, category: str) -> int | None:
        return 1 if category == "heating" else None


def test_county_categories_routes_and_deadlines() -> None:
    """Uses a county's category, its route and its deadline, and lets it rename a default."""
    with community_governance.open("memory://", plugins=[CountyRules()],
                                   entrypoints=False, clock=_june) as g:
        city = build_small_city(g)
        names = {c.code: c.name for c in g.cases.categories()}
        assert names["heating"] == "供暖" and names["repair"] == "房屋维修"
        assert "sanitation" in names
        case = _report(g, city, category="heating", actor=SYSTEM)
        assert case.level is RouteLevel.COMMUNITY
        d = case.reported_at.date()
        assert case.deadline == g.cases.calendar().add_working_days(d, 1)
        case = g.cases.escalate(SYSTEM, case.id, reason="供热公司处理")
        assert (case.level, case.department) == (RouteLevel.COUNTY, "供热公司")


class BadDeadline:
    @hookimpl
    def cgov_case_deadline(self) -> int:
        return 0


class BadRoute:
    @hookimpl
    def cgov_case_route(self) -> list[RouteStep]:
        return [RouteStep(RouteLevel.COUNTY, "411281"), RouteStep(RouteLevel.GRID, "x")]


@pytest.mark.parametrize(("plugin", "hook"), [(BadDeadline(), "cgov_case_deadline"),
                                              (BadRoute(), "cgov_case_route")])
def test_broken_county_rule_is_named_and_nothing_written(plugin: Any, hook: str) -> None:
    """Names the plugin whose answer is unusable and writes no case."""
    with community_governance.open("memory://", plugins=[plugin], entrypoints=False) as g:
        city = build_small_city(g)
        with pytest.raises(PluginError) as info:
            _report(g, city, actor=SYSTEM)
        assert info.value.hook == hook
        assert g.cases.list_cases(SYSTEM) == []


def test_list_filters(city: Any, cgov: Any, clock: Any) -> None:
    """Filters the list by status, category, unit and overdue day."""
    a = _report(cgov, city, category="safety")
    b = _report(cgov, city, category="repair")
    other = city.communities[1]
    _report(cgov, city, building_code=city.buildings[other][0], actor=SYSTEM)
    assert {x.id for x in cgov.cases.list_cases(SYSTEM, category="safety")} == {a.id}
    assert len(cgov.cases.list_cases(SYSTEM, within=other)) == 1
    assert {x.id for x in cgov.cases.list_cases(SYSTEM, overdue_on=dt.date(2026, 9, 29))} == {
        a.id}
    assert b.id in {x.id for x in cgov.cases.list_cases(SYSTEM, status="reported")}
    assert cgov.cases.list_cases(SYSTEM, status=["closed"]) == []
