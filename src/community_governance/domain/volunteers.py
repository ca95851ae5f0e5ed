"""Volunteers (志愿者): registration, organizations, training, activities and attendance.

Pure values; no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from community_governance.domain.pii_text import check_public_text, published
from community_governance.errors import ValidationError

__all__ = [
    "Activity",
    "ActivitySpec",
    "Attendance",
    "AttendanceResult",
    "ParticipationReport",
    "Training",
    "Volunteer",
    "VolunteerOrg",
    "duration_minutes",
]


@attrs.frozen
class Volunteer:
    """A resident registered as a volunteer (注册志愿者).

    Attributes:
        resident_id: the resident (``residents.id``).
        community_code: the community where they registered.
        skills: what they can do (特长), e.g. ("理发", "维修").
        availability: when they can serve (服务时间), free text, e.g. "周末上午".
        registered_on: the county date of registration.
    """

    resident_id: str
    community_code: str
    skills: tuple[str, ...] = ()
    availability: str = ""
    registered_on: dt.date | None = None


@attrs.frozen
class VolunteerOrg:
    """A volunteer organization (志愿服务组织 / 志愿服务队).

    Attributes:
        id: the organization's key.
        name: its name, e.g. 连银社区巾帼志愿服务队.
        unit_code: the unit it belongs to (a community, or the county for county-wide teams).
        category: its field, e.g. ``environment`` (环境卫生), ``elderly_care`` (助老).
    """

    id: str
    name: str = attrs.field(validator=published)
    unit_code: str
    category: str = "general"


@attrs.frozen
class Training:
    """A training record of a volunteer (培训记录).

    Attributes:
        id: the record's number.
        resident_id: who was trained.
        title: the course, e.g. 急救知识培训.
        on: the county date.
        minutes: its length in minutes.
        org_id: the organization that ran it, if any.
    """

    id: int
    resident_id: str
    title: str
    on: dt.date
    minutes: int
    org_id: str | None = None


@attrs.frozen
class ActivitySpec:
    """A volunteer activity to create (志愿服务活动).

    Attributes:
        title: e.g. 清理楼道小广告.
        unit_code: the community or grid that organises it (rights are checked there).
        category: the scoring category, e.g. ``environment``, ``elderly_care``.
        place: where (地点).
        start: start time (aware datetime).
        end: end time (aware datetime).
        capacity: the most volunteers it takes.
        org_id: the volunteer organization that organises it, if any.
        organiser: who organises it, as shown (组织者).
        id: the activity's key; generated when not given.
    """

    title: str
    unit_code: str
    category: str
    place: str
    start: dt.datetime
    end: dt.datetime
    capacity: int
    org_id: str | None = None
    organiser: str = ""
    id: str | None = None

    def validate(self) -> None:
        """Raise :class:`ValidationError` when the spec is unusable."""
        if not self.title.strip():
            raise ValidationError("an activity needs a title", path="title")
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValidationError("activity times must be timezone-aware", path="start")
        if self.end <= self.start:
            raise ValidationError(
                f"an activity must end after it starts ({self.start} → {self.end})", path="end")
        if self.capacity <= 0:
            raise ValidationError(f"capacity must be at least 1, got {self.capacity}",
                                  path="capacity")
        if not self.category.strip():
            raise ValidationError("an activity needs a category for scoring", path="category")
        # activities are listed in public
        for value, path in ((self.title, "title"), (self.place, "place"),
                            (self.organiser, "organiser")):
            check_public_text(value, path)


@attrs.frozen
class Activity:
    """A stored volunteer activity (志愿服务活动).

    Attributes:
        id: its key.
        title: its title.
        unit_code: the organising community or grid.
        community_code: the community (the first 12 characters of ``unit_code``).
        category: the scoring category.
        place: where.
        start: start (UTC).
        end: end (UTC).
        capacity: the most volunteers.
        org_id: the organising volunteer organization.
        organiser: who organises it.
        signed_up: how many signed up.
    """

    id: str
    title: str
    unit_code: str
    community_code: str
    category: str
    place: str
    start: dt.datetime
    end: dt.datetime
    capacity: int
    org_id: str | None = None
    organiser: str = ""
    signed_up: int = 0

    @property
    def minutes(self) -> int:
        """The activity's length in whole minutes."""
        return duration_minutes(self.start, self.end)


@attrs.frozen
class Attendance:
    """A service record (服务记录): a volunteer attended an activity and earned points.

    Attributes:
        activity_id: the activity.
        resident_id: the volunteer.
        minutes: time served.
        points: points earned (0 when a cap left nothing).
        entry_id: the journal entry of the points, if any.
    """

    activity_id: str
    resident_id: str
    minutes: int
    points: int
    entry_id: int | None


@attrs.frozen
class AttendanceResult:
    """The result of recording attendance (签到记录): what ``record_attendance`` did.

    Attributes:
        activity_id: the activity.
        recorded: new service records written by this call.
        already: residents whose attendance was recorded before (left unchanged).
    """

    activity_id: str
    recorded: tuple[Attendance, ...]
    already: tuple[str, ...] = ()

    @property
    def points(self) -> int:
        """Points issued by this call."""
        return sum(a.points for a in self.recorded)


@attrs.frozen
class ParticipationReport:
    """Volunteer participation, points and supermarkets per community and month (参与情况).

    Attributes:
        months: rows per community and month: active volunteers, residents, share,
            points issued, redeemed and expired, supermarket turnover and stock-outs.
        top_categories: activity categories by volunteer attendances, most first.
        totals: county-wide totals.
    """

    months: tuple[dict[str, Any], ...]
    top_categories: tuple[tuple[str, int], ...]
    totals: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"months": list(self.months),
                "top_categories": [{"category": c, "attendances": n}
                                   for c, n in self.top_categories],
                "totals": self.totals}


def duration_minutes(start: dt.datetime, end: dt.datetime) -> int:
    """Whole minutes between two aware datetimes (0 when ``end`` is not after ``start``)."""
    return max(0, int((end - start).total_seconds() // 60))
