"""Culture and sports groups (文体组织): groups, memberships, events, and their rules.

The study counts 177 culture and sports groups with 4,756 members in Yima (dance, choir, opera,
taichi, ball sports...), each with a leader (负责人), a venue (活动场所), equipment (设施) and
regular activities, showing at festivals (重大节日组织展演或比赛) at three levels: since 2017,
36 large shows and 331 activities at community level, 31 and 58 at sub-district level, and 6
special performances (专场演出) by the city. Many members went on to become community
volunteers (很多文体组织成员最后都成了社区志愿者).

Pure values and rules; no I/O, no clock: a rule that needs "today" takes it.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence

import attrs

from community_governance.domain.pii_text import check_public_text
from community_governance.domain.units import UnitKind
from community_governance.errors import ConflictError, ValidationError

__all__ = [
    "ConversionReport",
    "ConversionRow",
    "CultureEvent",
    "CultureGroup",
    "EquipmentLine",
    "EventKind",
    "EventLevel",
    "EventStatus",
    "EventsRow",
    "GroupKind",
    "GroupsRow",
    "Membership",
    "ScheduleSlot",
    "check_event",
    "check_group",
    "check_join",
    "check_leave",
    "converted",
    "rate",
]

MAX_TEXT = 200


class GroupKind(enum.StrEnum):
    """What a culture or sports group does (文体组织类别)."""

    DANCE = "dance"  #: 舞蹈队 (广场舞)
    CHOIR = "choir"  #: 合唱团
    OPERA = "opera"  #: 戏曲队 (豫剧)
    TAICHI = "taichi"  #: 太极拳队
    BALL_SPORTS = "ball_sports"  #: 球类 (门球, 乒乓球, 篮球)
    INSTRUMENTS = "instruments"  #: 器乐队 (锣鼓, 腰鼓)
    CALLIGRAPHY = "calligraphy"  #: 书画社
    FITNESS = "fitness"  #: 健身队 (健步走, 健身操)
    OTHER = "other"  #: 其他

    @property
    def chinese(self) -> str:
        """The Chinese name, e.g. ``舞蹈队``."""
        return _KIND_CHINESE[self]


_KIND_CHINESE = {
    GroupKind.DANCE: "舞蹈队", GroupKind.CHOIR: "合唱团", GroupKind.OPERA: "戏曲队",
    GroupKind.TAICHI: "太极拳队", GroupKind.BALL_SPORTS: "球类队", GroupKind.INSTRUMENTS: "器乐队",
    GroupKind.CALLIGRAPHY: "书画社", GroupKind.FITNESS: "健身队", GroupKind.OTHER: "其他",
}


class EventLevel(enum.StrEnum):
    """The level that organizes an event (活动层级), and the unit that organizes at it."""

    COMMUNITY = "community"  #: 社区层面
    SUBDISTRICT = "subdistrict"  #: 街道(办事处)层面
    CITY = "city"  #: 市级 (the county-level city: 义马市)

    @property
    def chinese(self) -> str:
        """The Chinese name, e.g. ``社区``."""
        return {"community": "社区", "subdistrict": "街道", "city": "市"}[self.value]

    @property
    def unit_kind(self) -> UnitKind:
        """The kind of unit that organizes events at this level."""
        return _LEVEL_UNIT[self]


_LEVEL_UNIT = {EventLevel.COMMUNITY: UnitKind.COMMUNITY,
               EventLevel.SUBDISTRICT: UnitKind.SUBDISTRICT,
               EventLevel.CITY: UnitKind.COUNTY}


class EventKind(enum.StrEnum):
    """What kind of event a culture event is (活动类别)."""

    SHOW = "show"  #: 文艺展演或比赛 (a large show or a competition, often at a festival)
    ACTIVITY = "activity"  #: 文体活动 (a regular culture or sports activity)
    NEIGHBOURHOOD = "neighbourhood"  #: 邻里活动 (邻里晚宴, 中秋品月饼, 端午做粽子)
    SPECIAL_PERFORMANCE = "special_performance"  #: 专场演出

    @property
    def chinese(self) -> str:
        """The Chinese name, e.g. ``文艺展演``."""
        return {"show": "文艺展演", "activity": "文体活动", "neighbourhood": "邻里活动",
                "special_performance": "专场演出"}[self.value]


class EventStatus(enum.StrEnum):
    """Whether an event was held or is planned (已举办 / 计划中)."""

    HELD = "held"  #: 已举办: dated today or earlier, with its attendance
    PLANNED = "planned"  #: 计划中: dated today or later, no attendance yet


@attrs.frozen
class EquipmentLine:
    """A line of a group's equipment inventory (设施清单): an item and how many.

    Attributes:
        item: what, e.g. 音响, 腰鼓, 扇子.
        quantity: how many (at least 1).
    """

    item: str
    quantity: int


_WEEKDAYS = "一二三四五六日"


@attrs.frozen
class ScheduleSlot:
    """A regular activity of a group (定期活动): a weekday, a start time and a length.

    Attributes:
        weekday: ISO weekday, 1 (Monday, 周一) to 7 (Sunday, 周日).
        start: the local start time.
        minutes: how long, in minutes.
    """

    weekday: int
    start: dt.time
    minutes: int

    @property
    def chinese(self) -> str:
        """The slot as residents read it, e.g. ``每周二 19:30-21:00``."""
        begin = dt.datetime.combine(dt.date(2000, 1, 3), self.start)
        end = begin + dt.timedelta(minutes=self.minutes)
        return f"每周{_WEEKDAYS[self.weekday - 1]} {begin:%H:%M}-{end:%H:%M}"


@attrs.frozen
class CultureGroup:
    """A culture or sports group (文体组织) of a community.

    Attributes:
        id: its key.
        name: its name, e.g. 连银社区夕阳红舞蹈队 (published).
        kind: what it does.
        community_code: the community it belongs to (社区).
        leader_id: the resident who leads it (负责人), if known.
        venue: where it meets (活动场所), e.g. 社区文化广场 (published).
        equipment: its equipment (设施), one line per item.
        schedule: its regular activities (定期活动).
        founded: when it was founded (成立日期), if known.
    """

    id: str
    name: str
    kind: GroupKind
    community_code: str
    leader_id: str | None = None
    venue: str = ""
    equipment: tuple[EquipmentLine, ...] = ()
    schedule: tuple[ScheduleSlot, ...] = ()
    founded: dt.date | None = None


@attrs.frozen
class Membership:
    """A resident's membership of a culture group (文体组织成员), from joining to leaving.

    Attributes:
        group_id: the group.
        resident_id: the member.
        joined_on: the county date they joined (入队).
        left_on: the county date they left (退出), ``None`` while they are a member.
    """

    group_id: str
    resident_id: str
    joined_on: dt.date
    left_on: dt.date | None = None

    @property
    def open(self) -> bool:
        """Whether the membership has not ended."""
        return self.left_on is None

    def active_on(self, day: dt.date) -> bool:
        """Whether the resident was a member on ``day`` (the day they left excluded)."""
        return self.joined_on <= day and (self.left_on is None or day < self.left_on)


@attrs.frozen
class CultureEvent:
    """A culture event (文体活动): a show, an activity, a neighbourhood event or a performance.

    Attributes:
        id: its key.
        title: e.g. 庆国庆文艺展演, 邻里晚宴 (published).
        level: the level that organized it (社区 / 街道 / 市).
        kind: show, activity, neighbourhood event or special performance.
        unit_code: the organizing unit: a community, a sub-district or the county (city).
        on: the county date it was (or will be) held.
        attendance: how many people attended (参与人数); 0 for a planned event.
        group_ids: the culture groups that took part.
        festival: the festival it marked (节日), e.g. 春节, 中秋节; empty for none.
        venue: where (活动地点) (published).
        status: held or planned.
    """

    id: str
    title: str
    level: EventLevel
    kind: EventKind
    unit_code: str
    on: dt.date
    attendance: int = 0
    group_ids: tuple[str, ...] = ()
    festival: str = ""
    venue: str = ""
    status: EventStatus = EventStatus.HELD


# --- report rows ------------------------------------------------------------------------------


@attrs.frozen
class GroupsRow:
    """Culture groups and their members in a community, by kind (文体组织及成员统计).

    Attributes:
        community_code: the community.
        kind: the kind of group.
        groups: how many groups.
        members: memberships open on the report's day.
        residents: distinct residents among them.
    """

    community_code: str
    kind: GroupKind
    groups: int
    members: int
    residents: int


@attrs.frozen
class EventsRow:
    """Events held in a year at a level, by kind (文体活动统计).

    Attributes:
        year: the calendar year.
        level: the organizing level.
        kind: the kind of event.
        events: how many were held.
        attendance: their total attendance.
    """

    year: int
    level: EventLevel
    kind: EventKind
    events: int
    attendance: int


@attrs.frozen
class ConversionRow:
    """How many members of a group (or community) went on to volunteer (成员转化为志愿者).

    Attributes:
        key: the group's key, or the community's code.
        name: the group's name ('' for a community).
        community_code: the community.
        members: distinct residents who were ever members.
        volunteers: those among them registered as volunteers at all.
        converted: those who registered as volunteers on or after the day they joined.
        rate: ``converted / members`` (0.0 when there are no members).
    """

    key: str
    name: str
    community_code: str
    members: int
    volunteers: int
    converted: int
    rate: float


@attrs.frozen
class ConversionReport:
    """The volunteer conversion of culture-group members (文体组织成员转化为志愿者).

    Attributes:
        groups: one row per group.
        communities: one row per community (a resident counted once in their community).
        total: the whole report (a resident counted once).
    """

    groups: tuple[ConversionRow, ...]
    communities: tuple[ConversionRow, ...]
    total: ConversionRow


# --- rules ------------------------------------------------------------------------------------


def _text(value: str, path: str, *, required: bool = False) -> None:
    if required and not value.strip():
        raise ValidationError(f"{path} must not be empty", path=path)
    if len(value) > MAX_TEXT:
        raise ValidationError(f"{path} has {len(value)} characters; at most {MAX_TEXT}",
                              path=path)
    check_public_text(value, path)


def check_group(group: CultureGroup, *, path: str = "$") -> None:
    """Check a group before it is stored.

    Raises:
        ValidationError: no key or name, a name or venue holding a personal number, an
            equipment line without an item, with a quantity under 1 or listed twice, or a
            schedule slot with a weekday outside 1-7 or a length outside 1-720 minutes.
    """
    if not group.id.strip() or len(group.id) > 40:
        raise ValidationError(f"a group needs a key of 1 to 40 characters, got {group.id!r}",
                              path=f"{path}.id")
    if not isinstance(group.kind, GroupKind):
        raise ValidationError(f"unknown group kind {group.kind!r}; use one of "
                              f"{[k.value for k in GroupKind]}", path=f"{path}.kind")
    _text(group.name, f"{path}.name", required=True)
    _text(group.venue, f"{path}.venue")
    seen: set[str] = set()
    for i, line in enumerate(group.equipment):
        where = f"{path}.equipment[{i}]"
        _text(line.item, f"{where}.item", required=True)
        if isinstance(line.quantity, bool) or not isinstance(line.quantity, int) \
                or line.quantity < 1:
            raise ValidationError(f"equipment {line.item!r} needs a whole quantity of at least "
                                  f"1, got {line.quantity!r}", path=f"{where}.quantity")
        if line.item.strip() in seen:
            raise ValidationError(f"equipment {line.item!r} is listed twice: give one line per "
                                  "item with the total quantity", path=where)
        seen.add(line.item.strip())
    for i, slot in enumerate(group.schedule):
        where = f"{path}.schedule[{i}]"
        if not 1 <= slot.weekday <= 7:
            raise ValidationError(f"weekday must be 1 (Monday) to 7 (Sunday), got "
                                  f"{slot.weekday}", path=f"{where}.weekday")
        if not 1 <= slot.minutes <= 720:
            raise ValidationError(f"a regular activity lasts 1 to 720 minutes, got "
                                  f"{slot.minutes}", path=f"{where}.minutes")


def check_join(history: Sequence[Membership], resident_id: str, group_id: str,
               joined_on: dt.date, today: dt.date, *, path: str = "$") -> None:
    """Check that ``resident_id`` may join ``group_id`` on ``joined_on``.

    Args:
        history: the resident's memberships of this group so far (any order).
        resident_id: who joins.
        group_id: the group.
        joined_on: the county date they join.
        today: the county's date now.
        path: where the join sits in the caller's input, for messages.

    Raises:
        ConflictError: the resident is a member of the group already (an open membership):
            a resident cannot join a group twice.
        ValidationError: the date is in the future, or before the day they last left.
    """
    if joined_on > today:
        raise ValidationError(
            f"{resident_id} cannot join {group_id} on {joined_on}, after today ({today}): "
            "record a join once it has happened", path=f"{path}.joined_on")
    for m in history:
        if m.group_id != group_id or m.resident_id != resident_id:
            continue
        if m.open:
            raise ConflictError(
                f"resident {resident_id} is a member of {group_id} already (since "
                f"{m.joined_on}): a resident cannot join a group twice; record their leaving "
                "first if they left and came back")
        assert m.left_on is not None
        if joined_on < m.left_on:
            raise ValidationError(
                f"{resident_id} left {group_id} on {m.left_on} and cannot join again on "
                f"{joined_on}, before that: memberships of one group may not overlap",
                path=f"{path}.joined_on")


def check_leave(current: Membership | None, resident_id: str, group_id: str,
                left_on: dt.date, today: dt.date, *, path: str = "$") -> Membership:
    """Check that the open membership ``current`` may end on ``left_on``; return it ended.

    Raises:
        ConflictError: the resident is no member of the group now (``current`` is ``None``
            or ended).
        ValidationError: ``left_on`` is before the day they joined, or after today.
    """
    if current is None or not current.open:
        raise ConflictError(
            f"resident {resident_id} is not a member of {group_id} now, so cannot leave it: "
            "check the group and the resident")
    if left_on < current.joined_on:
        raise ValidationError(
            f"{resident_id} joined {group_id} on {current.joined_on} and cannot leave on "
            f"{left_on}, before that: the leave date must be on or after the join date",
            path=f"{path}.left_on")
    if left_on > today:
        raise ValidationError(
            f"{resident_id} cannot leave {group_id} on {left_on}, after today ({today}): "
            "record the leaving once it has happened", path=f"{path}.left_on")
    return attrs.evolve(current, left_on=left_on)


def check_event(event: CultureEvent, today: dt.date, organizer_kind: UnitKind | None,
                group_communities: Mapping[str, str], *, path: str = "$") -> None:
    """Check an event before it is recorded.

    Args:
        event: the event.
        today: the county's date now.
        organizer_kind: the kind of the unit ``event.unit_code`` (``None``: no such unit).
        group_communities: the community of each participating group that exists.
        path: where the event sits in the caller's input, for messages.

    Raises:
        ValidationError: a held event dated after today, a planned event dated before today
            or with attendance, negative attendance, a level that does not match the
            organizer's unit (社区 events by a community, 街道 events by a sub-district, 市
            events by the county), a group outside the organizer's unit or named twice, an
            unknown group, or a title, venue or festival holding a personal number.
    """
    if not event.id.strip() or len(event.id) > 40:
        raise ValidationError(f"an event needs a key of 1 to 40 characters, got {event.id!r}",
                              path=f"{path}.id")
    _text(event.title, f"{path}.title", required=True)
    _text(event.venue, f"{path}.venue")
    _text(event.festival, f"{path}.festival")
    if isinstance(event.attendance, bool) or not isinstance(event.attendance, int) \
            or event.attendance < 0:
        raise ValidationError(f"attendance must be a whole number >= 0, got "
                              f"{event.attendance!r}", path=f"{path}.attendance")
    if event.status is EventStatus.HELD and event.on > today:
        raise ValidationError(
            f"event {event.id} is recorded as held on {event.on}, after today ({today}): an "
            "event in the future cannot have been held; record it as planned, or fix the date",
            path=f"{path}.on")
    if event.status is EventStatus.PLANNED:
        if event.on < today:
            raise ValidationError(
                f"event {event.id} is planned for {event.on}, before today ({today}): record "
                "a past event as held, with its attendance", path=f"{path}.on")
        if event.attendance:
            raise ValidationError(f"planned event {event.id} has no attendance yet, got "
                                  f"{event.attendance}", path=f"{path}.attendance")
    want = event.level.unit_kind
    if organizer_kind is not want:
        got = "no unit" if organizer_kind is None else f"a {organizer_kind.value} unit"
        raise ValidationError(
            f"a {event.level.value} ({event.level.chinese}) event is organized by a "
            f"{want.value} ({want.chinese}); {event.unit_code!r} is {got}: give the "
            f"organizing {want.value}'s code, or the level that matches the unit",
            path=f"{path}.unit_code")
    if len(set(event.group_ids)) != len(event.group_ids):
        raise ValidationError(f"event {event.id} names a group twice", path=f"{path}.group_ids")
    for i, g in enumerate(event.group_ids):
        community = group_communities.get(g)
        if community is None:
            raise ValidationError(f"culture group {g!r} does not exist",
                                  path=f"{path}.group_ids[{i}]")
        if not community.startswith(event.unit_code):
            raise ValidationError(
                f"group {g} belongs to community {community}, outside {event.unit_code} that "
                f"organizes event {event.id}: a {event.level.value} event takes groups of its "
                "own unit; record it at a level above", path=f"{path}.group_ids[{i}]")


def converted(joined_on: dt.date, registered_on: dt.date | None) -> bool:
    """Whether a member went on to volunteer: registered as a volunteer on or after the day
    they joined the group (a volunteer before joining is no conversion)."""
    return registered_on is not None and registered_on >= joined_on


def rate(part: int, whole: int) -> float:
    """``part / whole`` to four places (0.0 when ``whole`` is 0)."""
    return round(part / whole, 4) if whole else 0.0
