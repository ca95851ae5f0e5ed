"""The pure rules of culture groups (domain/culture.py): groups, joins, leaves, events."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community_governance.domain.culture import (
    CultureEvent,
    CultureGroup,
    EquipmentLine,
    EventKind,
    EventLevel,
    EventStatus,
    GroupKind,
    Membership,
    ScheduleSlot,
    check_event,
    check_group,
    check_join,
    check_leave,
    converted,
    rate,
)
from community_governance.domain.units import UnitKind
from community_governance.errors import ConflictError, ValidationError

TODAY = dt.date(2019, 6, 30)
days = st.dates(dt.date(2010, 1, 1), dt.date(2030, 12, 31))
COMMUNITY = "411281001001"


def _group(**kw: object) -> CultureGroup:
    base: dict[str, object] = {"id": "G1", "name": "夕阳红舞蹈队", "kind": GroupKind.DANCE,
                               "community_code": COMMUNITY}
    base.update(kw)
    return CultureGroup(**base)  # type: ignore[arg-type]


def _event(**kw: object) -> CultureEvent:
    base: dict[str, object] = {"id": "E1", "title": "庆国庆文艺展演",
                               "level": EventLevel.COMMUNITY, "kind": EventKind.SHOW,
                               "unit_code": COMMUNITY, "on": dt.date(2018, 10, 1),
                               "attendance": 300}
    base.update(kw)
    return CultureEvent(**base)  # type: ignore[arg-type]


class TestCheckGroup:
    def test_accepts_a_full_group(self) -> None:
        """Accepts a group with equipment and a schedule."""
        check_group(_group(equipment=(EquipmentLine("音响", 2), EquipmentLine("扇子", 30)),
                           schedule=(ScheduleSlot(2, dt.time(19, 30), 90),)))

    @given(st.integers(-5, 0))
    def test_refuses_equipment_under_one(self, qty: int) -> None:
        """Refuses an equipment line with a quantity under 1, naming the line."""
        with pytest.raises(ValidationError) as info:
            check_group(_group(equipment=(EquipmentLine("音响", qty),)))
        assert info.value.path == "$.equipment[0].quantity"

    def test_refuses_an_item_listed_twice(self) -> None:
        """Refuses the same item on two lines."""
        with pytest.raises(ValidationError, match="listed twice"):
            check_group(_group(equipment=(EquipmentLine("音响", 1), EquipmentLine("音响", 2))))

    @given(st.integers().filter(lambda w: not 1 <= w <= 7))
    def test_refuses_a_weekday_outside_the_week(self, weekday: int) -> None:
        """Refuses a schedule weekday outside 1-7."""
        with pytest.raises(ValidationError, match="weekday"):
            check_group(_group(schedule=(ScheduleSlot(weekday, dt.time(8), 60),)))

    def test_refuses_a_personal_number_in_a_published_name(self) -> None:
        """Refuses a group name holding a mobile number (names are published)."""
        with pytest.raises(ValidationError) as info:
            check_group(_group(name="舞蹈队 联系13812345678"))
        assert info.value.path == "$.name" and "13812345678" not in str(info.value)

    def test_refuses_an_empty_name(self) -> None:
        """Refuses a group without a name."""
        with pytest.raises(ValidationError, match="name must not be empty"):
            check_group(_group(name="  "))


class TestCheckJoin:
    @given(days, days)
    def test_a_resident_cannot_join_twice_while_a_member(self, first: dt.date,
                                                         again: dt.date) -> None:
        """Refuses a second join while a membership is open, whatever the dates."""
        history = [Membership("G1", "R1", first)]
        with pytest.raises((ConflictError, ValidationError)) as info:
            check_join(history, "R1", "G1", again, TODAY)
        if again <= TODAY:
            assert isinstance(info.value, ConflictError)
            assert "cannot join a group twice" in str(info.value)

    @given(days.filter(lambda d: d > TODAY))
    def test_refuses_a_join_in_the_future(self, day: dt.date) -> None:
        """Refuses a join dated after today."""
        with pytest.raises(ValidationError, match="after today"):
            check_join([], "R1", "G1", day, TODAY)

    @given(st.dates(dt.date(2015, 1, 1), dt.date(2017, 1, 1)),
           st.integers(0, 400), st.integers(0, 400))
    def test_rejoining_after_leaving(self, joined: dt.date, stay: int, gap: int) -> None:
        """Accepts a rejoin on or after the day the resident left, refuses one before."""
        left = joined + dt.timedelta(days=stay)
        history = [Membership("G1", "R1", joined, left)]
        back = left + dt.timedelta(days=gap)
        check_join(history, "R1", "G1", back, TODAY)
        if stay > 0:
            with pytest.raises(ValidationError, match="may not overlap"):
                check_join(history, "R1", "G1", left - dt.timedelta(days=1), TODAY)

    def test_other_groups_and_residents_do_not_count(self) -> None:
        """A membership of another group or resident does not block a join."""
        history = [Membership("G2", "R1", dt.date(2018, 1, 1)),
                   Membership("G1", "R2", dt.date(2018, 1, 1))]
        check_join(history, "R1", "G1", dt.date(2018, 5, 1), TODAY)


class TestCheckLeave:
    @given(st.dates(dt.date(2015, 1, 1), TODAY), st.integers(-400, 400))
    def test_leave_date_is_on_or_after_the_join_date(self, joined: dt.date,
                                                     delta: int) -> None:
        """Accepts a leave on or after the join date and not after today; refuses others."""
        left = joined + dt.timedelta(days=delta)
        m = Membership("G1", "R1", joined)
        if joined <= left <= TODAY:
            assert check_leave(m, "R1", "G1", left, TODAY).left_on == left
        else:
            with pytest.raises(ValidationError) as info:
                check_leave(m, "R1", "G1", left, TODAY)
            assert info.value.path == "$.left_on"

    def test_refuses_leaving_a_group_one_is_not_in(self) -> None:
        """Refuses a leave without an open membership."""
        with pytest.raises(ConflictError, match="not a member"):
            check_leave(None, "R1", "G1", TODAY, TODAY)
        with pytest.raises(ConflictError, match="not a member"):
            check_leave(Membership("G1", "R1", dt.date(2018, 1, 1), dt.date(2018, 2, 1)),
                        "R1", "G1", TODAY, TODAY)


class TestCheckEvent:
    @given(days)
    def test_a_held_event_is_never_in_the_future(self, day: dt.date) -> None:
        """Refuses an event recorded as held after today; accepts it today or before."""
        e = _event(on=day)
        if day > TODAY:
            with pytest.raises(ValidationError, match="cannot have been held"):
                check_event(e, TODAY, UnitKind.COMMUNITY, {})
        else:
            check_event(e, TODAY, UnitKind.COMMUNITY, {})

    @given(days)
    def test_a_planned_event_is_never_in_the_past(self, day: dt.date) -> None:
        """Refuses a planned event dated before today."""
        e = _event(on=day, status=EventStatus.PLANNED, attendance=0)
        if day < TODAY:
            with pytest.raises(ValidationError, match="record a past event as held"):
                check_event(e, TODAY, UnitKind.COMMUNITY, {})
        else:
            check_event(e, TODAY, UnitKind.COMMUNITY, {})

    @given(st.sampled_from(list(EventLevel)),
           st.sampled_from([UnitKind.COMMUNITY, UnitKind.SUBDISTRICT, UnitKind.COUNTY,
                            UnitKind.GRID, None]))
    def test_level_must_match_the_organizers_unit(self, level: EventLevel,
                                                  kind: UnitKind | None) -> None:
        """Accepts exactly 社区 by a community, 街道 by a sub-district, 市 by the county."""
        e = _event(level=level, unit_code="411281")
        if kind is level.unit_kind:
            check_event(e, TODAY, kind, {})
        else:
            with pytest.raises(ValidationError) as info:
                check_event(e, TODAY, kind, {})
            assert info.value.path == "$.unit_code"

    @pytest.mark.parametrize("county", ["411281", "411202"])
    def test_groups_come_from_the_organizers_unit(self, county: str) -> None:
        """A sub-district event takes groups of its own communities only (any county)."""
        sub = f"{county}001"
        inside, outside = f"{county}001002", f"{county}002001"
        e = _event(level=EventLevel.SUBDISTRICT, unit_code=sub, group_ids=("A",))
        check_event(e, TODAY, UnitKind.SUBDISTRICT, {"A": inside})
        with pytest.raises(ValidationError, match="outside"):
            check_event(e, TODAY, UnitKind.SUBDISTRICT, {"A": outside})
        with pytest.raises(ValidationError, match="does not exist"):
            check_event(e, TODAY, UnitKind.SUBDISTRICT, {})

    @given(st.integers(max_value=-1))
    def test_refuses_negative_attendance(self, n: int) -> None:
        """Refuses attendance under 0."""
        with pytest.raises(ValidationError, match="attendance"):
            check_event(_event(attendance=n), TODAY, UnitKind.COMMUNITY, {})


class TestConversion:
    @given(days, st.none() | days)
    def test_converted_means_registered_on_or_after_joining(
            self, joined: dt.date, registered: dt.date | None) -> None:
        """A member converted exactly when they registered as a volunteer on or after the day
        they joined."""
        assert converted(joined, registered) == (registered is not None
                                                 and registered >= joined)

    @given(st.integers(0, 1000), st.integers(0, 1000))
    def test_rate_is_a_share(self, part: int, whole: int) -> None:
        """The rate is part/whole to four places, 0 without members."""
        got = rate(min(part, whole), whole)
        assert 0.0 <= got <= 1.0
        assert got == (round(min(part, whole) / whole, 4) if whole else 0.0)


def test_schedule_reads_in_chinese() -> None:
    """A slot reads as residents read it."""
    assert ScheduleSlot(2, dt.time(19, 30), 90).chinese == "每周二 19:30-21:00"
    assert ScheduleSlot(7, dt.time(8), 60).chinese == "每周日 08:00-09:00"


def test_membership_active_on() -> None:
    """A member is active from the join day up to, not including, the leave day."""
    m = Membership("G1", "R1", dt.date(2018, 1, 1), dt.date(2018, 6, 1))
    assert m.active_on(dt.date(2018, 1, 1)) and not m.active_on(dt.date(2018, 6, 1))
    assert not m.open and Membership("G1", "R1", dt.date(2018, 1, 1)).open


_codes = st.from_regex(r"[A-Z][0-9]{1,6}", fullmatch=True)
_text = st.text(st.sampled_from("文体舞蹈队合唱团广场 "), min_size=1, max_size=12)


@given(_codes, _text, st.sampled_from(list(GroupKind)), st.none() | _codes,
       st.lists(st.tuples(_text, st.integers(1, 99)), max_size=3),
       st.lists(st.tuples(st.integers(1, 7), st.times(), st.integers(1, 720)), max_size=3),
       st.none() | days)
def test_groups_round_trip_through_json(gid: str, name: str, kind: GroupKind,
                                        leader: str | None, eq: list[tuple[str, int]],
                                        slots: list[tuple[int, dt.time, int]],
                                        founded: dt.date | None) -> None:
    """The converter writes a group (equipment, schedule times) as JSON and reads it back."""
    import json

    from community_governance.serialization import make_converter

    conv = make_converter()
    g = CultureGroup(gid, name, kind, COMMUNITY, leader, "广场",
                     tuple(EquipmentLine(i, q) for i, q in eq),
                     tuple(ScheduleSlot(w, s, m) for w, s, m in slots), founded)
    assert g == conv.structure(json.loads(json.dumps(conv.unstructure(g))), CultureGroup)


@given(_codes, st.sampled_from(list(EventLevel)), st.sampled_from(list(EventKind)), days,
       st.integers(0, 5000), st.lists(_codes, max_size=3, unique=True),
       st.sampled_from(list(EventStatus)), days, st.none() | days)
def test_events_and_memberships_round_trip(eid: str, level: EventLevel, kind: EventKind,
                                           on: dt.date, n: int, groups: list[str],
                                           status: EventStatus, joined: dt.date,
                                           left: dt.date | None) -> None:
    """Events and memberships go to JSON and back unchanged."""
    import json

    from community_governance.serialization import make_converter

    conv = make_converter()
    e = CultureEvent(eid, "展演", level, kind, COMMUNITY, on, n, tuple(groups), "中秋节", "广场",
                     status)
    m = Membership("G1", "R1", joined, left)
    for obj in (e, m):
        assert obj == conv.structure(json.loads(json.dumps(conv.unstructure(obj))), type(obj))
