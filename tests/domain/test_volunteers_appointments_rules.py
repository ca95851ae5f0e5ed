"""Volunteer activities, opening hours, service centres and the proxy/home-visit lifecycle at
their boundaries (issue #13 item 11)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from community_governance.domain.appointments import (
    ASSIST_TRANSITIONS,
    AssistEvent,
    AssistKind,
    AssistStatus,
    OpeningHours,
    ServiceCentre,
    next_assist_status,
)
from community_governance.domain.volunteers import (
    Activity,
    ActivitySpec,
    Attendance,
    AttendanceResult,
    ParticipationReport,
    VolunteerOrg,
    duration_minutes,
)
from community_governance.errors import InvalidTransition, ValidationError
from tests.domain._exact import refused

UTC = dt.UTC
T0 = dt.datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
T = dt.time


def spec(**kw: Any) -> ActivitySpec:
    base: dict[str, Any] = dict(title="清理楼道小广告", unit_code="411202001001",
                                category="environment", place="3号楼", start=T0,
                                end=T0 + dt.timedelta(hours=2), capacity=10)
    base.update(kw)
    return ActivitySpec(**base)


def test_activity_spec_validation() -> None:
    spec().validate()
    spec(capacity=1, end=T0 + dt.timedelta(microseconds=1), organiser="王阿姨").validate()
    refused(ValidationError, "an activity needs a title @ title", spec(title=" ").validate)
    refused(ValidationError, "activity times must be timezone-aware @ start",
            spec(start=T0.replace(tzinfo=None)).validate)
    refused(ValidationError, "activity times must be timezone-aware @ start",
            spec(end=T0.replace(tzinfo=None)).validate)
    refused(ValidationError, f"an activity must end after it starts ({T0} → {T0}) @ end",
            spec(end=T0).validate)
    refused(ValidationError, "capacity must be at least 1, got 0 @ capacity",
            spec(capacity=0).validate)
    refused(ValidationError, "an activity needs a category for scoring @ category",
            spec(category=" ").validate)
    for field in ("title", "place", "organiser"):
        with pytest.raises(ValidationError, match=f"^{field} is published") as e:
            spec(**{field: "联系李先生13800000007"}).validate()
        assert e.value.path == field


def test_volunteer_values() -> None:
    a = Activity("A1", "t", "411202001001-W01", "411202001001", "c", "p", T0,
                 T0 + dt.timedelta(minutes=90, seconds=59), 5)
    assert a.minutes == 90
    assert duration_minutes(T0, T0 - dt.timedelta(minutes=5)) == 0
    assert duration_minutes(T0, T0 + dt.timedelta(seconds=59)) == 0
    assert duration_minutes(T0, T0 + dt.timedelta(seconds=60)) == 1
    r = AttendanceResult("A1", (Attendance("A1", "R1", 60, 5, 1), Attendance("A1", "R2", 60, 0,
                                                                             None)))
    assert r.points == 5
    assert AttendanceResult("A1", ()).points == 0
    rep = ParticipationReport(({"community": "x"},), (("environment", 3),), {"points": 1})
    assert rep.as_dict() == {"months": [{"community": "x"}],
                             "top_categories": [{"category": "environment", "attendances": 3}],
                             "totals": {"points": 1}}
    with pytest.raises(ValidationError, match=r"^name is published"):
        VolunteerOrg("O1", "13800000007志愿队", "411202001001")


def test_opening_hours() -> None:
    h = OpeningHours([" 14:30 - 17:30", (T(8, 30), T(12, 0))], ["09:00-12:00"])
    assert h.working_days == ((T(8, 30), T(12)), (T(14, 30), T(17, 30)))
    assert h.periods_on(True) == h.working_days
    assert h.periods_on(False) == ((T(9), T(12)),)
    assert OpeningHours(["08:00-09:00"]).rest_days == ()
    assert h.as_strings() == {"working_days": ["08:30-12:00", "14:30-17:30"],
                              "rest_days": ["09:00-12:00"]}
    # touching periods are fine; overlapping ones and backwards ones are not
    assert len(OpeningHours(["08:00-12:00", "12:00-13:00"]).working_days) == 2
    refused(ValidationError, "opening periods overlap @ hours", OpeningHours,
            ["08:00-12:00", "11:59-13:00"])
    refused(ValidationError, "opening period 12:00:00-12:00:00 ends before it starts @ hours",
            OpeningHours, ["12:00-12:00"])
    refused(ValidationError, "opening period 12:00:00-08:00:00 ends before it starts @ hours",
            OpeningHours, [(T(12), T(8))])


@pytest.mark.parametrize(("minutes", "starts"), [
    (60, ["08:30", "09:30", "10:30", "14:30", "15:30", "16:30"]),
    (90, ["08:30", "10:00", "14:30", "16:00"]),
    (210, ["08:30"]),  # exactly fills the morning
    (211, []),
])
def test_slot_starts(minutes: int, starts: list[str]) -> None:
    h = OpeningHours(["08:30-12:00", "14:30-17:30"])
    assert [f"{t:%H:%M}" for t in h.slot_starts(True, minutes)] == starts
    assert h.slot_starts(False, minutes) == []


def test_slot_length_must_be_positive() -> None:
    h = OpeningHours(["08:30-12:00"])
    assert h.slot_starts(True, 1)[:2] == [T(8, 30), T(8, 31)]
    for bad in (0, -30):
        refused(ValidationError, "slot length must be positive @ minutes", h.slot_starts, True,
                bad)


@pytest.mark.parametrize(("seats", "ok"), [(0, False), (1, True), (50, True), (51, False)])
def test_centre_seats(seats: int, ok: bool) -> None:
    make = lambda: ServiceCentre("C1", "411202001001", "convenience", "中心",  # noqa: E731
                                 OpeningHours(["08:30-12:00"]), seats=seats)
    if ok:
        assert make().seats == seats
    else:
        refused(ValidationError, "a centre has 1-50 seats per slot @ seats", make)


@pytest.mark.parametrize("minutes", [10, 15, 20, 30, 45, 60, 90, 120])
def test_centre_slot_lengths(minutes: int) -> None:
    c = ServiceCentre("C1", "411202001001", "health", "站", OpeningHours(["08:00-12:00"]),
                      slot_minutes=minutes)
    assert c.slot_minutes == minutes


@pytest.mark.parametrize("minutes", [5, 25, 40, 180, 0])
def test_centre_bad_slot_lengths(minutes: int) -> None:
    refused(ValidationError, "slot_minutes must be one of 10, 15, 20, 30, 45, 60, 90, 120 @ "
            "slot_minutes", ServiceCentre, "C1", "411202001001", "health", "站",
            OpeningHours(["08:00-12:00"]), slot_minutes=minutes)


def test_assist_lifecycle() -> None:
    assert AssistKind.PROXY.chinese == "民事代办"
    assert AssistKind.HOME_VISIT.chinese == "上门办理"
    for (status, event), after in ASSIST_TRANSITIONS.items():
        assert next_assist_status(status, event) is after
    assert next_assist_status("requested", "assign") is AssistStatus.ASSIGNED  # type: ignore[arg-type]
    refused(InvalidTransition, "a requested proxy/home-visit request cannot be complete; "
            "allowed: assign, cancel", next_assist_status, AssistStatus.REQUESTED,
            AssistEvent.COMPLETE)
    refused(InvalidTransition, "a done proxy/home-visit request cannot be cancel; allowed: "
            "none (it is finished)", next_assist_status, AssistStatus.DONE, AssistEvent.CANCEL)
    refused(InvalidTransition, "a cancelled proxy/home-visit request cannot be assign; allowed: none (it is "
            "finished)", next_assist_status, AssistStatus.CANCELLED, AssistEvent.ASSIGN)
