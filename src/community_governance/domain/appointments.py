"""Service centres (服务站/中心), appointments (预约办理), proxy handling (民事代办) and home
visits (上门办理).

Every community runs service centres, each with opening hours (开放时间); residents book a
slot (时段) at a centre, each slot having a number of seats (窗口/座位); people with limited
mobility can have a matter handled for them (代办) or at home (上门), assigned to staff who
record the outcome.

This module is pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from collections.abc import Mapping

import attrs

from community_governance.errors import InvalidTransition, ValidationError

__all__ = [
    "ASSIST_TRANSITIONS",
    "DEFAULT_HOURS",
    "Appointment",
    "AppointmentStatus",
    "AssistEvent",
    "AssistKind",
    "AssistRequest",
    "AssistStatus",
    "CentreKind",
    "OpeningHours",
    "ServiceCentre",
    "Slot",
    "next_assist_status",
]


class CentreKind(enum.StrEnum):
    """The kinds of service centre a community runs (社区服务阵地)."""

    CONVENIENCE = "convenience"  #: 便民服务中心
    GOVERNANCE = "governance"  #: 综治中心
    CULTURE_SPORTS = "culture_sports"  #: 文体活动中心
    HEALTH = "health"  #: 卫生服务站
    ELDERLY_DAY_CARE = "elderly_day_care"  #: 老年人日间照料中心
    CHILDREN = "children"  #: 儿童之家
    VOLUNTEER = "volunteer"  #: 志愿服务站
    SOCIAL_COURT = "social_court"  #: 社会法庭
    POINTS_SUPERMARKET = "points_supermarket"  #: 积分超市
    TOOL_ROOM = "tool_room"  #: 便民工具室

    @property
    def chinese(self) -> str:
        """The Chinese name, e.g. ``老年人日间照料中心``."""
        return _CENTRE_CN[self]


_CENTRE_CN = {
    CentreKind.CONVENIENCE: "便民服务中心",
    CentreKind.GOVERNANCE: "综治中心",
    CentreKind.CULTURE_SPORTS: "文体活动中心",
    CentreKind.HEALTH: "卫生服务站",
    CentreKind.ELDERLY_DAY_CARE: "老年人日间照料中心",
    CentreKind.CHILDREN: "儿童之家",
    CentreKind.VOLUNTEER: "志愿服务站",
    CentreKind.SOCIAL_COURT: "社会法庭",
    CentreKind.POINTS_SUPERMARKET: "积分超市",
    CentreKind.TOOL_ROOM: "便民工具室",
}

Period = tuple[dt.time, dt.time]


def _periods(value: object) -> tuple[Period, ...]:
    out: list[Period] = []
    for item in value:  # type: ignore[attr-defined]
        if isinstance(item, str):
            a, _, b = item.partition("-")
            start, end = dt.time.fromisoformat(a.strip()), dt.time.fromisoformat(b.strip())
        else:
            start, end = item
        if not start < end:
            raise ValidationError(f"opening period {start}-{end} ends before it starts",
                                  path="hours")
        out.append((start, end))
    out.sort()
    for (_, e1), (s2, _) in itertools.pairwise(out):
        if s2 < e1:
            raise ValidationError("opening periods overlap", path="hours")
    return tuple(out)


@attrs.frozen
class OpeningHours:
    """Opening hours (开放时间) of a centre, local time (Asia/Shanghai).

    Attributes:
        working_days: periods on working days (工作日, official calendar), e.g.
            ``("08:30-12:00", "14:30-17:30")``.
        rest_days: periods on weekends and holidays (empty: closed).
    """

    working_days: tuple[Period, ...] = attrs.field(converter=_periods)
    rest_days: tuple[Period, ...] = attrs.field(default=(), converter=_periods)

    def periods_on(self, working_day: bool) -> tuple[Period, ...]:
        """The periods of a day, given whether it is a working day."""
        return self.working_days if working_day else self.rest_days

    def slot_starts(self, working_day: bool, minutes: int) -> list[dt.time]:
        """The local start times of the slots of ``minutes`` that fit in the day's periods."""
        if minutes <= 0:
            raise ValidationError("slot length must be positive", path="minutes")
        out: list[dt.time] = []
        for start, end in self.periods_on(working_day):
            t = dt.datetime.combine(dt.date(2000, 1, 1), start)
            stop = dt.datetime.combine(dt.date(2000, 1, 1), end)
            while t + dt.timedelta(minutes=minutes) <= stop:
                out.append(t.time())
                t += dt.timedelta(minutes=minutes)
        return out

    def as_strings(self) -> dict[str, list[str]]:
        """``{"working_days": ["08:30-12:00", ...], "rest_days": [...]}``."""
        return {k: [f"{a:%H:%M}-{b:%H:%M}" for a, b in getattr(self, k)]
                for k in ("working_days", "rest_days")}


_OFFICE = ("08:30-12:00", "14:30-17:30")
#: Usual opening hours of each kind of centre.
DEFAULT_HOURS: Mapping[CentreKind, OpeningHours] = {
    CentreKind.CONVENIENCE: OpeningHours(_OFFICE),
    CentreKind.GOVERNANCE: OpeningHours(_OFFICE),
    CentreKind.CULTURE_SPORTS: OpeningHours(("08:00-12:00", "14:30-21:00"),
                                            ("08:00-12:00", "14:30-21:00")),
    CentreKind.HEALTH: OpeningHours(("08:00-12:00", "14:00-18:00"), ("08:00-12:00",)),
    CentreKind.ELDERLY_DAY_CARE: OpeningHours(("08:00-18:00",), ("08:00-18:00",)),
    CentreKind.CHILDREN: OpeningHours(("16:30-19:00",), ("09:00-12:00", "14:30-17:30")),
    CentreKind.VOLUNTEER: OpeningHours(_OFFICE, ("09:00-12:00",)),
    CentreKind.SOCIAL_COURT: OpeningHours(_OFFICE),
    CentreKind.POINTS_SUPERMARKET: OpeningHours(_OFFICE, ("09:00-12:00",)),
    CentreKind.TOOL_ROOM: OpeningHours(_OFFICE, ("09:00-12:00",)),
}


@attrs.frozen
class ServiceCentre:
    """A service centre (服务中心/站) of a community.

    Attributes:
        id: the centre's key.
        community_code: the community that runs it.
        kind: what kind of centre it is.
        name: its name, e.g. ``连银社区便民服务中心``.
        hours: opening hours.
        seats: how many residents one slot can take (窗口数).
        slot_minutes: the length of a slot.
        address: where it is.
        phone: its public phone.
    """

    id: str
    community_code: str
    kind: CentreKind = attrs.field(converter=CentreKind)
    name: str
    hours: OpeningHours
    seats: int = 1
    slot_minutes: int = 30
    address: str = ""
    phone: str = ""

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.seats <= 50:
            raise ValidationError("a centre has 1-50 seats per slot", path="seats")
        if self.slot_minutes not in (10, 15, 20, 30, 45, 60, 90, 120):
            raise ValidationError("slot_minutes must be one of 10, 15, 20, 30, 45, 60, 90, 120",
                                  path="slot_minutes")


class AppointmentStatus(enum.StrEnum):
    """The status of an appointment (预约状态)."""

    BOOKED = "booked"  #: 已预约
    CANCELLED = "cancelled"  #: 已取消
    ATTENDED = "attended"  #: 已办理
    NO_SHOW = "no_show"  #: 未到


class AssistKind(enum.StrEnum):
    """Help for people with limited mobility (行动不便群众)."""

    PROXY = "proxy"  #: 民事代办
    HOME_VISIT = "home_visit"  #: 上门办理

    @property
    def chinese(self) -> str:
        """The Chinese term."""
        return "民事代办" if self is AssistKind.PROXY else "上门办理"


class AssistStatus(enum.StrEnum):
    """The status of a proxy or home-visit request (代办/上门状态)."""

    REQUESTED = "requested"  #: 已申请
    ASSIGNED = "assigned"  #: 已指派
    DONE = "done"  #: 已办结
    UNABLE = "unable"  #: 未能办理 (with the reason)
    CANCELLED = "cancelled"  #: 已撤销


class AssistEvent(enum.StrEnum):
    """What happens to a proxy or home-visit request."""

    ASSIGN = "assign"  #: 指派
    COMPLETE = "complete"  #: 办结
    FAIL = "fail"  #: 未能办理
    CANCEL = "cancel"  #: 撤销


#: The lifecycle of a proxy or home-visit request, as data.
ASSIST_TRANSITIONS: Mapping[tuple[AssistStatus, AssistEvent], AssistStatus] = {
    (AssistStatus.REQUESTED, AssistEvent.ASSIGN): AssistStatus.ASSIGNED,
    (AssistStatus.ASSIGNED, AssistEvent.ASSIGN): AssistStatus.ASSIGNED,
    (AssistStatus.ASSIGNED, AssistEvent.COMPLETE): AssistStatus.DONE,
    (AssistStatus.ASSIGNED, AssistEvent.FAIL): AssistStatus.UNABLE,
    (AssistStatus.REQUESTED, AssistEvent.CANCEL): AssistStatus.CANCELLED,
    (AssistStatus.ASSIGNED, AssistEvent.CANCEL): AssistStatus.CANCELLED,
}


def next_assist_status(status: AssistStatus, event: AssistEvent) -> AssistStatus:
    """The status after ``event``.

    Raises:
        InvalidTransition: the lifecycle does not allow ``event`` in ``status``.
    """
    found = ASSIST_TRANSITIONS.get((AssistStatus(status), AssistEvent(event)))
    if found is None:
        allowed = [e.value for (s, e) in ASSIST_TRANSITIONS if s == status]
        raise InvalidTransition(
            f"a {status.value} proxy/home-visit request cannot be {event.value}; allowed: "
            f"{', '.join(allowed) or 'none (it is finished)'}")
    return found


@attrs.frozen
class Slot:
    """A bookable slot (预约时段) of a centre on one day.

    Attributes:
        start: the slot's start (UTC).
        local: the local start, e.g. ``09:00``.
        minutes: its length.
        free: seats still free.
    """

    start: dt.datetime
    local: str
    minutes: int
    free: int


@attrs.frozen
class Appointment:
    """An appointment (预约) of a resident at a centre's slot.

    Attributes:
        id: its key.
        centre_id: the centre.
        slot_start: the slot's start (UTC).
        seat: the seat (窗口) it holds, 1..seats.
        resident_id: who comes.
        matter_code: the guide matter to handle, if any.
        status: booked, cancelled, attended or no_show.
    """

    id: str
    centre_id: str
    slot_start: dt.datetime
    seat: int
    resident_id: str
    matter_code: str | None
    status: AppointmentStatus = attrs.field(converter=AppointmentStatus)


@attrs.frozen
class AssistRequest:
    """A request for proxy handling (民事代办) or a home visit (上门办理).

    Attributes:
        id: its key.
        kind: proxy or home_visit.
        resident_id: the resident helped.
        building_code: where they live.
        matter_code: the guide matter, if any.
        description: what is to be done.
        status: requested, assigned, done, unable or cancelled.
        staff_id: the staff member assigned.
        due: the day it should be done by (working days from the request).
        outcome: what came of it.
        due_provisional: ``due`` was counted through a year with no official holiday
            notice yet (暂定), so it may move when the notice is added.
    """

    id: str
    kind: AssistKind = attrs.field(converter=AssistKind)
    resident_id: str = ""
    building_code: str = ""
    matter_code: str | None = None
    description: str = ""
    status: AssistStatus = attrs.field(default=AssistStatus.REQUESTED, converter=AssistStatus)
    staff_id: str | None = None
    due: dt.date | None = None
    outcome: str = ""
    due_provisional: bool = False
