"""Volunteers: registration, organizations, training, activities, sign-up, attendance scoring
through the hooks, and the participation report."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import community_governance
from community_governance.domain.access import Actor
from community_governance.domain.volunteers import Activity, ActivitySpec, VolunteerOrg
from community_governance.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    PluginError,
    ValidationError,
)
from community_governance.markers import hookimpl
from community_governance.testing.city import SmallCity, build_small_city

SYSTEM = Actor.system("test")
START = dt.datetime(2026, 3, 7, 1, 0, tzinfo=dt.UTC)  # 09:00 in Yima


def _spec(unit: str, minutes: int = 120, category: str = "environment", capacity: int = 10,
          **kw: Any) -> ActivitySpec:
    return ActivitySpec("清理楼道小广告", unit, category, "3号楼", START,
                        START + dt.timedelta(minutes=minutes), capacity, **kw)


def _community_residents(city: SmallCity, c: str) -> list[str]:
    return [r for r in city.all_residents() if city.community_of_resident(r) == c]


def _setup(gov: Any, city: SmallCity, n: int = 4) -> tuple[str, list[str]]:
    c = city.communities[0]
    rs = _community_residents(city, c)[:n]
    for r in rs:
        gov.volunteers.register(SYSTEM, r, skills=["理发"], availability="周末")
    return c, rs


def test_register_and_list(gov: Any, small_city: SmallCity) -> None:
    """Registers residents as volunteers in their community, once each."""
    c, rs = _setup(gov, small_city)
    v = gov.volunteers.get(SYSTEM, rs[0])
    assert (v.community_code, v.skills, v.availability) == (c, ("理发",), "周末")
    assert [x.resident_id for x in gov.volunteers.list_volunteers(SYSTEM, community=c)] == rs
    with pytest.raises(ConflictError):
        gov.volunteers.register(SYSTEM, rs[0])
    with pytest.raises(NotFound):
        gov.volunteers.register(SYSTEM, "R9999")
    other = _community_residents(small_city, small_city.communities[1])[0]
    gov.volunteers.register(Actor.resident(other), other)  # self-service
    with pytest.raises(PermissionDenied):
        gov.volunteers.register(Actor.resident(other), _community_residents(small_city, c)[5])


def test_orgs_members_and_training(gov: Any, small_city: SmallCity) -> None:
    """Keeps organizations with their members and volunteers' training records."""
    c, rs = _setup(gov, small_city)
    gov.volunteers.add_orgs(SYSTEM, [VolunteerOrg("VO1", "巾帼志愿服务队", c, "elderly_care")])
    assert gov.volunteers.add_members(SYSTEM, "VO1", rs[:3], since=dt.date(2026, 1, 1)) == 3
    assert gov.volunteers.add_members(SYSTEM, "VO1", rs, since=dt.date(2026, 1, 1)) == 1
    assert gov.volunteers.orgs() == [(VolunteerOrg("VO1", "巾帼志愿服务队", c, "elderly_care"), 4)]
    unregistered = _community_residents(small_city, c)[10]
    with pytest.raises(ValidationError, match="not registered"):
        gov.volunteers.add_members(SYSTEM, "VO1", [unregistered], since=dt.date(2026, 1, 1))
    tr = gov.volunteers.record_training(SYSTEM, rs[0], title="急救知识培训",
                                        on=dt.date(2026, 2, 1), minutes=90, org_id="VO1")
    assert gov.volunteers.trainings(SYSTEM, rs[0]) == [tr]
    with pytest.raises(ValidationError):
        gov.volunteers.record_training(SYSTEM, rs[0], title="x", on=dt.date(2026, 2, 1),
                                       minutes=0)


def test_activity_sign_up_capacity(gov: Any, small_city: SmallCity) -> None:
    """Refuses sign-ups beyond capacity and twice for the same volunteer."""
    c, rs = _setup(gov, small_city)
    act = gov.volunteers.create_activity(small_city.secretary[c], _spec(c, capacity=2))
    assert isinstance(act, Activity) and act.minutes == 120
    gov.volunteers.sign_up(Actor.resident(rs[0]), act.id, rs[0])
    with pytest.raises(ConflictError, match="already"):
        gov.volunteers.sign_up(SYSTEM, act.id, rs[0])
    assert gov.volunteers.sign_up(SYSTEM, act.id, rs[1]).signed_up == 2
    with pytest.raises(ConflictError, match="full"):
        gov.volunteers.sign_up(SYSTEM, act.id, rs[2])
    with pytest.raises(ValidationError):
        gov.volunteers.create_activity(SYSTEM, _spec(c, minutes=-5))
    with pytest.raises(PermissionDenied):
        gov.volunteers.create_activity(small_city.secretary[small_city.communities[1]], _spec(c))


def test_attendance_earns_points_by_the_national_standard(gov: Any,
                                                          small_city: SmallCity) -> None:
    """Scores each attendee by category and duration and writes service records once."""
    c, rs = _setup(gov, small_city)
    act = gov.volunteers.create_activity(SYSTEM, _spec(c, minutes=120, category="elderly_care"))
    res = gov.volunteers.record_attendance(small_city.staff[c], act.id, [rs[0], (rs[1], 60)])
    assert [(a.resident_id, a.points) for a in res.recorded] == [(rs[0], 30), (rs[1], 15)]
    again = gov.volunteers.record_attendance(SYSTEM, act.id, [rs[0], rs[2]])
    assert again.already == (rs[0],) and [a.resident_id for a in again.recorded] == [rs[2]]
    assert gov.points.balance(SYSTEM, rs[0]) == 30
    assert [r.points for r in gov.volunteers.service_records(SYSTEM, rs[0])] == [30]
    assert gov.points.check(SYSTEM) == []
    with pytest.raises(ValidationError, match="not registered"):
        gov.volunteers.record_attendance(SYSTEM, act.id, [_community_residents(small_city, c)[9]])
    with pytest.raises(NotFound):
        gov.volunteers.record_attendance(SYSTEM, act.id, ["R9999"])


def test_county_standard_bonus_and_cap(small_city: SmallCity) -> None:
    """Uses a county's scoring standard, adds bonuses and applies the smallest daily cap."""

    class County:
        @hookimpl
        def cgov_points_standard(self, category: str, minutes: int, community_code: str
                                 ) -> int | None:
            return 20 * (minutes // 60) if category == "epidemic_duty" else None

        @hookimpl
        def cgov_points_bonus(self, activity: Activity, resident_id: str, base: int) -> int:
            return 3

        @hookimpl
        def cgov_points_daily_cap(self, community_code: str, day: dt.date) -> int:
            return 50

    with community_governance.open("memory://", [County()], entrypoints=False) as gov:
        city = build_small_city(gov)
        c, rs = _setup(gov, city)
        a1 = gov.volunteers.create_activity(SYSTEM, _spec(c, minutes=120,
                                                          category="epidemic_duty"))
        a2 = gov.volunteers.create_activity(SYSTEM, _spec(c, minutes=120,
                                                          category="epidemic_duty"))
        a3 = gov.volunteers.create_activity(SYSTEM, _spec(c, minutes=60, category="culture"))
        assert gov.volunteers.record_attendance(SYSTEM, a1.id, [rs[0]]).points == 43
        assert gov.volunteers.record_attendance(SYSTEM, a2.id, [rs[0]]).points == 7
        res = gov.volunteers.record_attendance(SYSTEM, a3.id, [rs[0], rs[1]])
        assert [(a.points, a.entry_id is None) for a in res.recorded] == [(0, True), (11, False)]
        assert gov.points.balance(SYSTEM, rs[0]) == 50


@pytest.mark.parametrize("bad", [-5, 2.5, "10", True])
def test_bad_plugin_score_is_a_plugin_error(small_city: SmallCity, bad: Any) -> None:
    """Raises PluginError naming the plugin for a negative or non-integer score; writes
    nothing."""

    class Broken:
        @hookimpl
        def cgov_points_standard(self, category: str, minutes: int,
                                 community_code: str) -> Any:
            return bad

    with community_governance.open("memory://", [Broken()], entrypoints=False) as gov:
        city = build_small_city(gov)
        c, rs = _setup(gov, city)
        act = gov.volunteers.create_activity(SYSTEM, _spec(c))
        with pytest.raises(PluginError) as info:
            gov.volunteers.record_attendance(SYSTEM, act.id, rs[:2])
        assert info.value.hook == "cgov_points_standard" and "Broken" in info.value.plugin
        assert gov.points.entries(SYSTEM) == []
        assert gov.volunteers.service_records(SYSTEM, rs[0]) == []


def test_grid_leader_records_only_grid_activities(gov: Any, small_city: SmallCity) -> None:
    """Lets a grid leader record attendance at the grid's activities, not the community's."""
    c, rs = _setup(gov, small_city)
    g = small_city.grids[c][0]
    grid_act = gov.volunteers.create_activity(small_city.grid_leader[g], _spec(g))
    com_act = gov.volunteers.create_activity(SYSTEM, _spec(c))
    gov.volunteers.record_attendance(small_city.grid_leader[g], grid_act.id, rs[:1])
    with pytest.raises(PermissionDenied):
        gov.volunteers.record_attendance(small_city.grid_leader[g], com_act.id, rs[:1])


def test_participation_report(gov: Any, small_city: SmallCity) -> None:
    """Counts active volunteers per community and month and their share of residents."""
    c, rs = _setup(gov, small_city)
    act = gov.volunteers.create_activity(SYSTEM, _spec(c))
    gov.volunteers.record_attendance(SYSTEM, act.id, rs[:3])
    item = gov.supermarket.add_item(SYSTEM, c, "毛巾", 10, stock=1)
    gov.supermarket.redeem(SYSTEM, rs[0], item.id, key="buy")
    rep = gov.volunteers.participation(SYSTEM)
    row = next(r for r in rep.months if r["community"] == c and r["month"] == "2026-03")
    assert (row["active_volunteers"], row["residents"], row["registered_volunteers"]) == (3, 24, 4)
    assert row["share_active"] == round(3 / 24, 4)
    this_month = next(r for r in rep.months if r["community"] == c and r["points_issued"])
    assert this_month["points_issued"] == 60 and this_month["points_redeemed"] == 10
    assert this_month["stock_outs"] == 1 and this_month["goods_redeemed"] == 1
    assert rep.top_categories == (("environment", 3),)
    assert rep.totals["residents"] == 72 and rep.totals["ever_active_volunteers"] == 3
    assert rep.as_dict()["top_categories"][0]["attendances"] == 3
    other = gov.volunteers.participation(small_city.secretary[small_city.communities[1]])
    assert all(r["community"] == small_city.communities[1] for r in other.months)


def _audit_ops(gov: Any) -> list[str]:
    import sqlalchemy as sa

    from community_governance.storage.tables import core as t

    with gov.store.unit_of_work(write=False) as uow:
        return list(uow.conn.execute(sa.select(t.audit_log.c.operation)
                                     .order_by(t.audit_log.c.id)).scalars())


def test_create_activities_writes_a_plan_in_one_transaction(gov: Any,
                                                             small_city: SmallCity) -> None:
    """A batch: one audit row naming every activity, the same activities one call at a time
    would write; a refusal of any spec writes none."""
    c = small_city.communities[0]
    g = small_city.grids[c][0]
    before = len(_audit_ops(gov))
    acts = gov.volunteers.create_activities(small_city.secretary[c], [
        _spec(c, id="P1"), _spec(c, minutes=60, category="culture", id="P2")])
    assert [a.id for a in acts] == ["P1", "P2"] and [a.minutes for a in acts] == [120, 60]
    assert gov.volunteers.get_activity("P2") == acts[1]
    ops = _audit_ops(gov)
    assert ops[before:] == ["volunteers.create_activities"]
    # one refusal refuses the batch: another community's unit, an unknown unit, a bad spec,
    # a duplicate key, an existing key
    other = small_city.communities[1]
    for specs, err, match in (
        ([_spec(c, id="Q1"), _spec(other, id="Q2")], PermissionDenied, None),
        ([_spec(c, id="Q1"), _spec("411281999999", id="Q2")], NotFound, "community or grid"),
        ([_spec(c, id="Q1"), _spec(c, minutes=-5, id="Q2")], ValidationError, r"\$\[1\]"),
        ([_spec(c, id="Q1"), _spec(c, id="Q1")], ConflictError, "twice"),
        ([_spec(c, id="Q1"), _spec(c, id="P1")], ConflictError, "exists"),
        ([_spec(c, id="Q1"), _spec(c, id="Q2", org_id="VO-NONE")], NotFound, "organization"),
    ):
        with pytest.raises(err, match=match):
            gov.volunteers.create_activities(small_city.secretary[c], specs)
    assert {a.id for a in gov.volunteers.activities(community=c)} == {"P1", "P2"}
    # a grid's activity: the grid leader may publish at their grid
    got = gov.volunteers.create_activities(small_city.grid_leader[g], [_spec(g, id="G1")])
    assert got[0].unit_code == g


def test_attendance_of_many_activities_in_one_transaction(gov: Any,
                                                         small_city: SmallCity) -> None:
    """Records several activities as the single calls would, in one audited transaction."""
    c, rs = _setup(gov, small_city)
    a1 = gov.volunteers.create_activity(SYSTEM, _spec(c, minutes=120, category="elderly_care"))
    a2 = gov.volunteers.create_activity(SYSTEM, _spec(c, minutes=60, category="elderly_care"))
    before = len(gov.audit.log(SYSTEM, operation="volunteers."))
    got = gov.volunteers.record_attendance_many(
        small_city.staff[c], [(a1.id, [rs[0], (rs[1], 60)]), (a2.id, [rs[0], rs[2]])])
    assert [(a.activity_id, a.resident_id, a.points) for r in got for a in r.recorded] == [
        (a1.id, rs[0], 30), (a1.id, rs[1], 15), (a2.id, rs[0], 15), (a2.id, rs[2], 15)]
    trail = gov.audit.log(SYSTEM, operation="volunteers.")[before:]
    assert [e.operation for e in trail] == ["volunteers.record_attendance_many"]
    assert {f"activity:{a1.id}", f"activity:{a2.id}"} <= set(trail[0].objects)
    assert gov.points.balance(SYSTEM, rs[0]) == 45 and gov.points.check(SYSTEM) == []
    # a retry writes nothing twice: recorded attendees come back as ``already``
    again = gov.volunteers.record_attendance_many(SYSTEM, [(a2.id, [rs[0], rs[3]])])
    assert again[0].already == (rs[0],) and [a.resident_id for a in again[0].recorded] == [
        rs[3]]


def test_attendance_of_many_is_all_or_nothing(gov: Any, small_city: SmallCity) -> None:
    """A refused session anywhere in the batch writes none of it; the path names it."""
    c, rs = _setup(gov, small_city)
    a1 = gov.volunteers.create_activity(SYSTEM, _spec(c))
    a2 = gov.volunteers.create_activity(SYSTEM, _spec(c))
    stranger = _community_residents(small_city, c)[9]  # not a registered volunteer
    with pytest.raises(ValidationError, match="not registered") as info:
        gov.volunteers.record_attendance_many(SYSTEM, [(a1.id, rs[:2]), (a2.id, [stranger])])
    assert info.value.path == "sessions[1].resident_ids"
    with pytest.raises(ValidationError) as bad:
        gov.volunteers.record_attendance_many(SYSTEM, [(a1.id, rs[:1]), (a2.id, [(rs[1], -1)])])
    assert bad.value.path == "sessions[1].attendees[0]"
    with pytest.raises(NotFound):
        gov.volunteers.record_attendance_many(SYSTEM, [(a1.id, rs[:1]), ("ACT-NONE", rs[:1])])
    g = small_city.grids[c][0]
    with pytest.raises(PermissionDenied):
        gov.volunteers.record_attendance_many(small_city.grid_leader[g], [(a1.id, rs[:1])])
    assert gov.points.entries(SYSTEM) == []
    assert gov.volunteers.service_records(SYSTEM, rs[0]) == []


def test_attendance_of_many_caps_with_the_sessions_before(small_city: SmallCity) -> None:
    """The daily cap counts what the sessions before in the same batch awarded, as the same
    calls one by one would; the scoring hooks are asked for every attendee."""
    asked: list[str] = []

    class County:
        @hookimpl
        def cgov_points_bonus(self, activity: Activity, resident_id: str, base: int) -> int:
            asked.append(f"{activity.id}:{resident_id}")
            return 3

        @hookimpl
        def cgov_points_daily_cap(self, community_code: str, day: dt.date) -> int:
            return 50

    with community_governance.open("memory://", [County()], entrypoints=False) as gov:
        city = build_small_city(gov)
        c, rs = _setup(gov, city)
        acts = [gov.volunteers.create_activity(SYSTEM, _spec(c, minutes=120,
                                                             category="elderly_care"))
                for _ in range(3)]
        got = gov.volunteers.record_attendance_many(
            SYSTEM, [(a.id, [rs[0], rs[1]] if k == 2 else [rs[0]]) for k, a in enumerate(acts)])
        assert [r.points for r in got] == [33, 17, 33]  # 33 + 17 reach the cap of 50
        assert gov.points.balance(SYSTEM, rs[0]) == 50
        assert {f"{a.id}:{rs[0]}" for a in acts} | {f"{acts[2].id}:{rs[1]}"} == set(asked)
