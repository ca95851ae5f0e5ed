"""``gov.culture``: groups, members, events, reports; bad input refused and nothing written.

Every test runs for Yima (411281) and 湖滨区 (411202)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.culture import (
    CultureEvent,
    CultureGroup,
    EquipmentLine,
    EventKind,
    EventLevel,
    EventStatus,
    GroupKind,
    ScheduleSlot,
)
from community_governance.errors import (
    CgovError,
    ConflictError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from community_governance.services.culture import Join
from community_governance.storage.tables import culture as tc
from community_governance.testing.city import SmallCity

from .conftest import Clock, snapshot

SYSTEM = Actor.system("culture-test")
D = dt.date


def _group(town: SmallCity, n: int = 0, gid: str = "G1", **kw: Any) -> CultureGroup:
    c = town.communities[n]
    base: dict[str, Any] = {
        "id": gid, "name": "夕阳红舞蹈队", "kind": GroupKind.DANCE, "community_code": c,
        "leader_id": town.residents[town.households[town.buildings[c][0]][0]][0],
        "venue": "社区文化广场",
        "equipment": (EquipmentLine("音响", 2), EquipmentLine("扇子", 30)),
        "schedule": (ScheduleSlot(2, dt.time(19, 30), 90), ScheduleSlot(5, dt.time(8), 60)),
        "founded": D(2012, 3, 1)}
    base.update(kw)
    return CultureGroup(**base)


def _people(town: SmallCity, n: int = 0) -> list[str]:
    c = town.communities[n]
    return [r for b in town.buildings[c] for h in town.households[b] for r in town.residents[h]]


def _show(town: SmallCity, **kw: Any) -> CultureEvent:
    base: dict[str, Any] = {"id": "E1", "title": "庆国庆文艺展演", "level": EventLevel.COMMUNITY,
                            "kind": EventKind.SHOW, "unit_code": town.communities[0],
                            "on": D(2018, 10, 1), "attendance": 300, "group_ids": ("G1",),
                            "festival": "国庆节", "venue": "社区文化广场"}
    base.update(kw)
    return CultureEvent(**base)


@pytest.fixture
def seeded(cgov: Any, town: SmallCity) -> tuple[Any, SmallCity]:
    """One group in the first community with three members."""
    sec = town.secretary[town.communities[0]]
    cgov.culture.add_group(sec, _group(town))
    cgov.culture.join_many(sec, [Join("G1", r, D(2018, 3, 1)) for r in _people(town)[:3]])
    return cgov, town


class TestGroups:
    def test_registers_a_group_and_reads_it_back(self, cgov: Any, town: SmallCity) -> None:
        """Stores name, kind, venue, equipment and schedule; the leader is shown only to a
        reader who may see members."""
        sec = town.secretary[town.communities[0]]
        made = cgov.culture.add_group(sec, _group(town))
        public = cgov.culture.group("G1")
        assert public == attrs.evolve(made, leader_id=None)
        assert cgov.culture.group("G1", sec) == made
        assert [e.quantity for e in public.equipment] == [2, 30]
        assert [s.chinese for s in public.schedule] == ["每周二 19:30-21:00",
                                                        "每周五 08:00-09:00"]
        other = town.secretary[town.communities[2]]
        assert cgov.culture.group("G1", other).leader_id is None

    def test_set_equipment_replaces_the_inventory(self, seeded: tuple[Any, SmallCity]) -> None:
        """Replaces the equipment lines, audited."""
        gov, town = seeded
        sec = town.secretary[town.communities[0]]
        gov.culture.set_equipment(sec, "G1", [EquipmentLine("腰鼓", 20)])
        assert gov.culture.group("G1").equipment == (EquipmentLine("腰鼓", 20),)
        ops = [e.operation for e in gov.audit.log(SYSTEM, operation="culture.")]
        assert "culture.set_equipment" in ops

    def test_another_communitys_secretary_may_not_register_here(
            self, cgov: Any, town: SmallCity) -> None:
        """Refuses a group in a community outside the actor's posts; nothing written."""
        before = snapshot(cgov)
        with pytest.raises(PermissionDenied):
            cgov.culture.add_group(town.secretary[town.communities[2]], _group(town))
        assert snapshot(cgov) == before

    def test_lists_by_community_and_kind(self, seeded: tuple[Any, SmallCity]) -> None:
        """Lists groups of a community and of a kind."""
        gov, town = seeded
        gov.culture.add_group(SYSTEM, _group(town, 1, "G2", kind=GroupKind.CHOIR,
                                             name="老年合唱团"))
        assert [g.id for g in gov.culture.groups()] == ["G1", "G2"]
        assert [g.id for g in gov.culture.groups(community=town.communities[1])] == ["G2"]
        assert [g.id for g in gov.culture.groups(kind=GroupKind.CHOIR)] == ["G2"]


BAD: dict[str, Callable[[Any, SmallCity], object]] = {
    "joining twice": lambda g, t: g.culture.join(SYSTEM, "G1", _people(t)[0], on=D(2019, 1, 1)),
    "joining twice in one batch": lambda g, t: g.culture.join_many(SYSTEM, [
        Join("G1", _people(t)[5], D(2019, 1, 1)), Join("G1", _people(t)[5], D(2019, 2, 1))]),
    "a join in the future": lambda g, t: g.culture.join(SYSTEM, "G1", _people(t)[5],
                                                        on=D(2019, 7, 1)),
    "an unknown resident": lambda g, t: g.culture.join(SYSTEM, "G1", "R-nobody",
                                                       on=D(2019, 1, 1)),
    "an unknown group": lambda g, t: g.culture.join(SYSTEM, "G-none", _people(t)[5],
                                                    on=D(2019, 1, 1)),
    "one bad join in a batch": lambda g, t: g.culture.join_many(SYSTEM, [
        Join("G1", _people(t)[5], D(2019, 1, 1)), Join("G1", "R-nobody", D(2019, 1, 1))]),
    "a leave before the join": lambda g, t: g.culture.leave(SYSTEM, "G1", _people(t)[0],
                                                            on=D(2018, 2, 1)),
    "leaving a group one is not in": lambda g, t: g.culture.leave(SYSTEM, "G1", _people(t)[5],
                                                                  on=D(2019, 1, 1)),
    "a future event recorded as held": lambda g, t: g.culture.record_event(
        SYSTEM, _show(t, on=D(2019, 10, 1))),
    "a level that is not the organizer's": lambda g, t: g.culture.record_event(
        SYSTEM, _show(t, level=EventLevel.SUBDISTRICT)),
    "a group of another community": lambda g, t: g.culture.record_event(
        SYSTEM, _show(t, unit_code=t.communities[1])),
    "an unknown group at an event": lambda g, t: g.culture.record_event(
        SYSTEM, _show(t, group_ids=("G-none",))),
    "an event key twice": lambda g, t: g.culture.record_events(SYSTEM, [_show(t), _show(t)]),
    "a group in an unknown community": lambda g, t: g.culture.add_group(
        SYSTEM, _group(t, gid="G9", community_code=f"{t.county}009009")),
    "an unknown leader": lambda g, t: g.culture.add_group(SYSTEM, _group(t, gid="G9",
                                                                         leader_id="R-no")),
    "a group key taken": lambda g, t: g.culture.add_group(SYSTEM, _group(t)),
}
EXPECTED: dict[str, tuple[type[CgovError], str]] = {
    "joining twice": (ConflictError, "cannot join a group twice"),
    "joining twice in one batch": (ConflictError, "cannot join a group twice"),
    "a join in the future": (ValidationError, "after today"),
    "an unknown resident": (NotFound, "register the resident first"),
    "an unknown group": (NotFound, "culture group 'G-none' does not exist"),
    "one bad join in a batch": (NotFound, "$[1].resident_id"),
    "a leave before the join": (ValidationError, "on or after the join date"),
    "leaving a group one is not in": (ConflictError, "not a member"),
    "a future event recorded as held": (ValidationError, "cannot have been held"),
    "a level that is not the organizer's": (ValidationError, "is organized by a subdistrict"),
    "a group of another community": (ValidationError, "outside"),
    "an unknown group at an event": (ValidationError, "does not exist"),
    "an event key twice": (ConflictError, "appears twice"),
    "a group in an unknown community": (NotFound, "a group belongs to a community"),
    "an unknown leader": (NotFound, "resident 'R-no'"),
    "a group key taken": (ConflictError, "exists already"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_refused_with_the_rule_and_nothing_is_written(
        seeded: tuple[Any, SmallCity], case: str) -> None:
    """Refuses each bad input with an error naming the rule; no row and no audit entry."""
    gov, town = seeded
    before = snapshot(gov)
    kind, words = EXPECTED[case]
    with pytest.raises(kind) as info:
        BAD[case](gov, town)
    assert words in str(info.value)
    assert snapshot(gov) == before


class TestMembers:
    def test_join_leave_and_rejoin(self, seeded: tuple[Any, SmallCity], clock: Clock) -> None:
        """A member leaves and joins again later; members on a day follow the dates."""
        gov, town = seeded
        r = _people(town)[0]
        sec = town.secretary[town.communities[0]]
        left = gov.culture.leave(sec, "G1", r, on=D(2018, 12, 1))
        assert left.left_on == D(2018, 12, 1)
        gov.culture.join(sec, "G1", r, on=D(2019, 2, 1))
        assert r in {m.resident_id for m in gov.culture.members(sec, "G1")}
        assert r not in {m.resident_id for m in gov.culture.members(sec, "G1",
                                                                    on=D(2019, 1, 1))}
        assert len([m for m in gov.culture.members(sec, "G1", include_left=True)
                    if m.resident_id == r]) == 2
        assert [m.joined_on for m in gov.culture.memberships_of(sec, r)] == [
            D(2018, 3, 1), D(2019, 2, 1)]

    def test_a_resident_joins_themselves_but_not_someone_else(
            self, seeded: tuple[Any, SmallCity]) -> None:
        """A resident may record their own joining (self-service), not another's."""
        gov, town = seeded
        me, other = _people(town)[6], _people(town)[7]
        gov.culture.join(Actor.resident(me), "G1", me, on=D(2019, 6, 1))
        before = snapshot(gov)
        with pytest.raises(PermissionDenied):
            gov.culture.join(Actor.resident(me), "G1", other, on=D(2019, 6, 1))
        assert snapshot(gov) == before
        assert [m.group_id for m in gov.culture.memberships_of(Actor.resident(me), me)] == \
            ["G1"]

    def test_members_are_hidden_outside_the_readers_scope(
            self, seeded: tuple[Any, SmallCity]) -> None:
        """Another community's secretary and the public cannot list the members."""
        gov, town = seeded
        with pytest.raises(NotFound, match="outside your scope"):
            gov.culture.members(town.secretary[town.communities[2]], "G1")
        with pytest.raises(NotFound):
            gov.culture.members(Actor.public(), "G1")
        with pytest.raises(NotFound):  # a grid's scope is smaller than the group's community
            gov.culture.members(town.grid_leader[town.grids[town.communities[0]][0]], "G1")
        assert len(gov.culture.members(town.staff[town.communities[0]], "G1")) == 3
        sub = town.subdistrict_staff[town.communities[0][:9]]
        assert len(gov.culture.members(sub, "G1")) == 3

    def test_the_database_keeps_one_open_membership(self, seeded: tuple[Any, SmallCity]) -> None:
        """Even a write around the service cannot open a second membership of a group."""
        gov, town = seeded
        with gov.store.unit_of_work(write=True) as uow, pytest.raises(sa.exc.IntegrityError):
            uow.conn.execute(tc.culture_memberships.insert().values(
                group_id="G1", resident_id=_people(town)[0], joined_on=D(2019, 1, 1)))

    def test_joins_are_audited(self, seeded: tuple[Any, SmallCity]) -> None:
        """The audit trail names each membership written."""
        gov, town = seeded
        r = _people(town)[0]
        rows = gov.audit.log(SYSTEM, obj=f"culture_member:G1:{r}")
        assert [e.operation for e in rows] == ["culture.join"]


class TestEvents:
    def test_levels_and_their_organizers(self, seeded: tuple[Any, SmallCity]) -> None:
        """A community records its own events; a sub-district's staff record the sub-district's
        and the county's administrator the city's; community staff may not record above."""
        gov, town = seeded
        c0 = town.communities[0]
        sub = c0[:9]
        gov.culture.add_group(SYSTEM, _group(town, 1, "G2"))
        gov.culture.record_event(town.secretary[c0], _show(town))
        sub_show = _show(town, id="E2", level=EventLevel.SUBDISTRICT, unit_code=sub,
                         group_ids=("G1", "G2"))
        before = snapshot(gov)
        with pytest.raises(PermissionDenied):
            gov.culture.record_event(town.secretary[c0], sub_show)
        assert snapshot(gov) == before
        gov.culture.record_event(town.subdistrict_staff[sub], sub_show)
        gov.culture.record_event(town.county_admin, _show(
            town, id="E3", level=EventLevel.CITY, kind=EventKind.SPECIAL_PERFORMANCE,
            unit_code=town.county, group_ids=("G1", "G2"), on=D(2019, 2, 5), festival="春节"))
        got = {e.id: e for e in gov.culture.events()}
        assert got["E2"].group_ids == ("G1", "G2") and got["E3"].level is EventLevel.CITY
        assert [e.id for e in gov.culture.events(unit=sub)] == ["E1", "E2"]
        assert [e.id for e in gov.culture.events(level=EventLevel.CITY)] == ["E3"]

    def test_planned_then_held(self, seeded: tuple[Any, SmallCity], clock: Clock) -> None:
        """A planned event is recorded, refused as held before its day, then marked held."""
        gov, town = seeded
        plan = _show(town, id="E9", on=D(2019, 9, 13), attendance=0,
                     status=EventStatus.PLANNED, festival="中秋节", title="中秋品月饼",
                     kind=EventKind.NEIGHBOURHOOD)
        gov.culture.record_event(SYSTEM, plan)
        with pytest.raises(ValidationError, match="cannot have been held"):
            gov.culture.mark_held(SYSTEM, "E9", attendance=80)
        assert gov.culture.event_report() == []
        clock.set(2019, 9, 14, 9)
        held = gov.culture.mark_held(SYSTEM, "E9", attendance=80)
        assert held.status is EventStatus.HELD
        with pytest.raises(ConflictError, match="held already"):
            gov.culture.mark_held(SYSTEM, "E9", attendance=81)
        [row] = gov.culture.event_report()
        assert (row.year, row.kind, row.events, row.attendance) == (
            2019, EventKind.NEIGHBOURHOOD, 1, 80)


class TestReports:
    def test_group_report_counts_groups_and_members(self, seeded: tuple[Any, SmallCity]) -> None:
        """Counts groups and open memberships per community and kind, on a day."""
        gov, town = seeded
        sec = town.secretary[town.communities[0]]
        gov.culture.leave(sec, "G1", _people(town)[2], on=D(2019, 1, 1))
        [row] = gov.culture.group_report(sec)
        assert (row.groups, row.members, row.residents) == (1, 2, 2)
        [earlier] = gov.culture.group_report(sec, on=D(2018, 6, 1))
        assert earlier.members == 3
        assert gov.culture.group_report(town.secretary[town.communities[2]]) == []

    def test_event_report_counts_per_year_level_and_kind(
            self, seeded: tuple[Any, SmallCity]) -> None:
        """Counts held events per year from the day given, with attendance."""
        gov, town = seeded
        gov.culture.record_events(SYSTEM, [
            _show(town, id="E0", on=D(2016, 10, 1)), _show(town, id="E1"),
            _show(town, id="E2", on=D(2019, 1, 1), kind=EventKind.ACTIVITY, attendance=50),
            _show(town, id="E3", on=D(2019, 2, 1), kind=EventKind.ACTIVITY, attendance=40)])
        got = [(r.year, r.level.value, r.kind.value, r.events, r.attendance)
               for r in gov.culture.event_report()]
        assert got == [(2018, "community", "show", 1, 300),
                       (2019, "community", "activity", 2, 90)]
        assert len(gov.culture.event_report(since=D(2016, 1, 1))) == 3

    def test_conversion_counts_members_who_registered_after_joining(
            self, seeded: tuple[Any, SmallCity], clock: Clock) -> None:
        """A member who registered as a volunteer after joining converted; a volunteer who
        joined later did not; the rate is per group, community and in all."""
        gov, town = seeded
        sec = town.secretary[town.communities[0]]
        first = _people(town)[0]
        late = _people(town)[3]
        clock.set(2018, 1, 10, 9)
        gov.volunteers.register(SYSTEM, late)  # a volunteer before joining
        clock.set(2019, 6, 30, 10)
        gov.volunteers.register(SYSTEM, first)  # joined 2018-03-01, registered 2019-06-30
        gov.culture.join(sec, "G1", late, on=D(2019, 3, 1))
        rep = gov.culture.conversion_report(sec)
        [g] = rep.groups
        assert (g.members, g.volunteers, g.converted, g.rate) == (4, 2, 1, 0.25)
        assert rep.communities[0].converted == 1 and rep.total.members == 4
        assert gov.culture.conversion_report(
            town.secretary[town.communities[2]]).total.members == 0
