"""Culture rules: every refusal's exact message and path, and the boundaries (issue #13 item 11).
"""

from __future__ import annotations

import datetime as dt

import pytest

from community_governance.domain.culture import (
    MAX_TEXT,
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
from tests.domain._exact import refused

D = dt.date
C = "411202002001"
TODAY = D(2019, 6, 30)


def _group(**kw: object) -> CultureGroup:
    base: dict[str, object] = dict(id="G1", name="夕阳红舞蹈队", kind=GroupKind.DANCE,
                                   community_code=C, venue="文化广场")
    base.update(kw)
    return CultureGroup(**base)  # type: ignore[arg-type]


def test_group_key_kind_and_texts() -> None:
    check_group(_group(id="x" * 40, name="n" * MAX_TEXT, venue="v" * MAX_TEXT))
    for key in ("", "  ", "x" * 41):
        refused(ValidationError, f"a group needs a key of 1 to 40 characters, got {key!r} "
                "@ $.id", check_group, _group(id=key))
    refused(ValidationError, "unknown group kind 'disco'; use one of ['dance', 'choir', "
            "'opera', 'taichi', 'ball_sports', 'instruments', 'calligraphy', 'fitness', "
            "'other'] @ $[2].kind", check_group, _group(kind="disco"), path="$[2]")
    refused(ValidationError, "$.name must not be empty @ $.name", check_group, _group(name=" "))
    check_group(_group(venue=""))  # a venue may be empty
    refused(ValidationError, f"$.name has {MAX_TEXT + 1} characters; at most {MAX_TEXT} "
            "@ $.name", check_group, _group(name="n" * (MAX_TEXT + 1)))
    refused(ValidationError, f"$.venue has {MAX_TEXT + 1} characters; at most {MAX_TEXT} "
            "@ $.venue", check_group, _group(venue="v" * (MAX_TEXT + 1)))
    with pytest.raises(ValidationError, match=r"\$\.venue is published"):
        check_group(_group(venue="联系13800000007"))


def test_group_equipment_and_schedule() -> None:
    ok = _group(equipment=(EquipmentLine("音响", 1), EquipmentLine("扇子", 30)),
                schedule=(ScheduleSlot(1, dt.time(8), 1), ScheduleSlot(7, dt.time(19), 720)))
    check_group(ok)
    refused(ValidationError, "$.equipment[1].item must not be empty @ $.equipment[1].item",
            check_group, _group(equipment=(EquipmentLine("音响", 1), EquipmentLine("", 1))))
    for qty in (0, -1, True, 1.0):
        refused(ValidationError, f"equipment '音响' needs a whole quantity of at least 1, got "
                f"{qty!r} @ $.equipment[0].quantity", check_group,
                _group(equipment=(EquipmentLine("音响", qty),)))  # type: ignore[arg-type]
    refused(ValidationError, "equipment ' 扇子' is listed twice: give one line per item with "
            "the total quantity @ $.equipment[2]", check_group, _group(equipment=(
                EquipmentLine("扇子", 1), EquipmentLine("音响", 1), EquipmentLine(" 扇子", 2))))
    for weekday in (0, 8):
        refused(ValidationError, f"weekday must be 1 (Monday) to 7 (Sunday), got {weekday} "
                "@ $.schedule[1].weekday", check_group, _group(schedule=(
                    ScheduleSlot(1, dt.time(8), 60), ScheduleSlot(weekday, dt.time(8), 60))))
    for minutes in (0, 721):
        refused(ValidationError, f"a regular activity lasts 1 to 720 minutes, got {minutes} "
                "@ $.schedule[0].minutes", check_group,
                _group(schedule=(ScheduleSlot(3, dt.time(8), minutes),)))


def test_join() -> None:
    check_join([], "R1", "G1", TODAY, TODAY)
    refused(ValidationError, "R1 cannot join G1 on 2019-07-01, after today (2019-06-30): "
            "record a join once it has happened @ $[4].joined_on", check_join, [], "R1", "G1",
            D(2019, 7, 1), TODAY, path="$[4]")
    open_m = Membership("G1", "R1", D(2019, 1, 1))
    refused(ConflictError, "resident R1 is a member of G1 already (since 2019-01-01): a resident "
            "cannot join a group twice; record their leaving first if they left and came back",
            check_join, [open_m], "R1", "G1", D(2019, 3, 1), TODAY)
    # other groups' and other residents' memberships do not count
    check_join([Membership("G2", "R1", D(2019, 1, 1)), Membership("G1", "R2", D(2019, 1, 1))],
               "R1", "G1", D(2019, 3, 1), TODAY)
    left = Membership("G1", "R1", D(2019, 1, 1), D(2019, 3, 1))
    check_join([left], "R1", "G1", D(2019, 3, 1), TODAY)  # the day they left
    refused(ValidationError, "R1 left G1 on 2019-03-01 and cannot join again on 2019-02-28, "
            "before that: memberships of one group may not overlap @ $.joined_on",
            check_join, [left], "R1", "G1", D(2019, 2, 28), TODAY)
    # every past membership is checked, not only the first
    later = Membership("G1", "R1", D(2019, 4, 1), D(2019, 5, 1))
    refused(ValidationError, "R1 left G1 on 2019-05-01 and cannot join again on 2019-04-15, "
            "before that: memberships of one group may not overlap @ $.joined_on",
            check_join, [left, later], "R1", "G1", D(2019, 4, 15), TODAY)


def test_leave() -> None:
    m = Membership("G1", "R1", D(2019, 1, 1))
    assert check_leave(m, "R1", "G1", D(2019, 1, 1), TODAY) == Membership(
        "G1", "R1", D(2019, 1, 1), D(2019, 1, 1))
    assert check_leave(m, "R1", "G1", TODAY, TODAY).left_on == TODAY
    for current in (None, Membership("G1", "R1", D(2019, 1, 1), D(2019, 2, 1))):
        refused(ConflictError, "resident R1 is not a member of G1 now, so cannot leave it: "
                "check the group and the resident", check_leave, current, "R1", "G1",
                D(2019, 3, 1), TODAY)
    refused(ValidationError, "R1 joined G1 on 2019-01-01 and cannot leave on 2018-12-31, before "
            "that: the leave date must be on or after the join date @ $[1].left_on",
            check_leave, m, "R1", "G1", D(2018, 12, 31), TODAY, path="$[1]")
    refused(ValidationError, "R1 cannot leave G1 on 2019-07-01, after today (2019-06-30): record "
            "the leaving once it has happened @ $.left_on", check_leave, m, "R1", "G1",
            D(2019, 7, 1), TODAY)


def _event(**kw: object) -> CultureEvent:
    base: dict[str, object] = dict(id="E1", title="庆七一文艺展演", level=EventLevel.COMMUNITY,
                                   kind=EventKind.SHOW, unit_code=C, on=TODAY, attendance=80)
    base.update(kw)
    return CultureEvent(**base)  # type: ignore[arg-type]


def _check(event: CultureEvent, kind: UnitKind | None = UnitKind.COMMUNITY,
           groups: dict[str, str] | None = None, **kw: object) -> None:
    check_event(event, TODAY, kind, groups or {}, **kw)  # type: ignore[arg-type]


def test_event_key_texts_and_attendance() -> None:
    _check(_event(id="x" * 40, attendance=0, venue="v" * MAX_TEXT, festival="七一"))
    for key in ("", " ", "x" * 41):
        refused(ValidationError, f"an event needs a key of 1 to 40 characters, got {key!r} "
                "@ $.id", _check, _event(id=key))
    refused(ValidationError, "$.title must not be empty @ $.title", _check, _event(title=""))
    refused(ValidationError, f"$.venue has {MAX_TEXT + 1} characters; at most {MAX_TEXT} "
            "@ $.venue", _check, _event(venue="v" * (MAX_TEXT + 1)))
    refused(ValidationError, f"$.festival has {MAX_TEXT + 1} characters; at most {MAX_TEXT} "
            "@ $.festival", _check, _event(festival="f" * (MAX_TEXT + 1)))
    for n in (-1, True, 1.5):
        refused(ValidationError, f"attendance must be a whole number >= 0, got {n!r} "
                "@ $[3].attendance", _check, _event(attendance=n), path="$[3]")


def test_event_dates_and_status() -> None:
    refused(ValidationError, "event E1 is recorded as held on 2019-07-01, after today "
            "(2019-06-30): an event in the future cannot have been held; record it as planned, "
            "or fix the date @ $.on", _check, _event(on=D(2019, 7, 1)))
    _check(_event(status=EventStatus.PLANNED, attendance=0, on=TODAY))
    _check(_event(status=EventStatus.PLANNED, attendance=0, on=D(2019, 7, 1)))
    refused(ValidationError, "event E1 is planned for 2019-06-29, before today (2019-06-30): "
            "record a past event as held, with its attendance @ $.on", _check,
            _event(status=EventStatus.PLANNED, attendance=0, on=D(2019, 6, 29)))
    refused(ValidationError, "planned event E1 has no attendance yet, got 5 @ $.attendance",
            _check, _event(status=EventStatus.PLANNED, attendance=5, on=D(2019, 7, 1)))


def test_event_level_and_groups() -> None:
    refused(ValidationError, f"a community (社区) event is organized by a community (社区); "
            f"'{C}' is a subdistrict unit: give the organizing community's code, or the level "
            "that matches the unit @ $.unit_code", _check, _event(), UnitKind.SUBDISTRICT)
    refused(ValidationError, "a city (市) event is organized by a county (县(市、区)); '411202' is no "
            "unit: give the organizing county's code, or the level that matches the unit "
            "@ $.unit_code", _check, _event(level=EventLevel.CITY, unit_code="411202"), None)
    _check(_event(level=EventLevel.CITY, unit_code="411202", group_ids=("G1", "G2")),
           UnitKind.COUNTY, {"G1": C, "G2": "411202003004"})
    refused(ValidationError, "event E1 names a group twice @ $.group_ids", _check,
            _event(group_ids=("G1", "G2", "G1")), UnitKind.COMMUNITY, {"G1": C, "G2": C})
    refused(ValidationError, "culture group 'G9' does not exist @ $.group_ids[1]", _check,
            _event(group_ids=("G1", "G9")), UnitKind.COMMUNITY, {"G1": C})
    refused(ValidationError, f"group G2 belongs to community 411202002002, outside {C} that "
            "organizes event E1: a community event takes groups of its own unit; record it at "
            "a level above @ $.group_ids[1]", _check, _event(group_ids=("G1", "G2")),
            UnitKind.COMMUNITY, {"G1": C, "G2": "411202002002"})


def test_conversion_and_rate() -> None:
    assert converted(D(2019, 1, 1), D(2019, 1, 1))
    assert converted(D(2019, 1, 1), D(2019, 1, 2))
    assert not converted(D(2019, 1, 2), D(2019, 1, 1))
    assert not converted(D(2019, 1, 1), None)
    assert rate(0, 0) == 0.0 and rate(1, 3) == 0.3333 and rate(2, 3) == 0.6667
    assert rate(3, 3) == 1.0


def test_join_looks_past_other_groups_memberships() -> None:
    history = [Membership("G2", "R1", D(2019, 1, 1)), Membership("G1", "R2", D(2019, 1, 1)),
               Membership("G1", "R1", D(2019, 2, 1))]
    refused(ConflictError, "resident R1 is a member of G1 already (since 2019-02-01): a resident "
            "cannot join a group twice; record their leaving first if they left and came back",
            check_join, history, "R1", "G1", D(2019, 3, 1), TODAY)
