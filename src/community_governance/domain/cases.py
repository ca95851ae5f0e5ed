"""Cases (事务/事项): matters reported by residents or collected by staff, and their lifecycle.

A case is a local matter (辖区事务) reported by a resident or collected on the spot by staff with
the phone app (手机APP现场收集). It sits at a building (楼院), optionally a household (户), in a
category (类别), and is routed up the four levels (四级): grid leader (网格长) → community (社区)
→ sub-district (办事处) → a county department (县直部门). Each level has a deadline counted in
working days (工作日) of the official calendar; an overdue case moves one level up (超期升级).

The lifecycle is a state machine given as data (:data:`TRANSITIONS`); :func:`next_status` is
the only way a status changes, so no illegal transition can be expressed::

    reported ─assign─▶ assigned ─start─▶ in_progress ─resolve─▶ resolved ─close─▶ closed
                       assigned ─resolve (on the spot)─▶ resolved
    resolved, closed ─reopen─▶ reopened ─assign─▶ assigned
    reported, assigned, in_progress, reopened ─escalate─▶ reported (one level up)

This module is pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
from collections.abc import Iterable, Mapping, Sequence

import attrs

from community_governance.domain.pii_text import mask_personal_numbers
from community_governance.errors import InvalidTransition, ValidationError

__all__ = [
    "CLOSED_STATUSES",
    "DEFAULT_CATEGORIES",
    "OPEN_STATUSES",
    "TRANSITIONS",
    "Case",
    "CaseCategory",
    "CaseEvent",
    "CaseStatus",
    "Channel",
    "RouteLevel",
    "RouteStep",
    "Transition",
    "allowed_events",
    "check_location",
    "check_reporter",
    "mask_name",
    "next_status",
    "percentile",
    "scrub_personal_data",
    "validate_satisfaction",
]


class CaseStatus(enum.StrEnum):
    """The status of a case (事务状态)."""

    REPORTED = "reported"  #: 已上报
    ASSIGNED = "assigned"  #: 已分派
    IN_PROGRESS = "in_progress"  #: 办理中
    RESOLVED = "resolved"  #: 已办结
    CLOSED = "closed"  #: 已关闭 (回访评价后)
    REOPENED = "reopened"  #: 重新办理

    @property
    def chinese(self) -> str:
        """The Chinese term, e.g. ``办理中``."""
        return _STATUS_CN[self]


_STATUS_CN = {
    CaseStatus.REPORTED: "已上报",
    CaseStatus.ASSIGNED: "已分派",
    CaseStatus.IN_PROGRESS: "办理中",
    CaseStatus.RESOLVED: "已办结",
    CaseStatus.CLOSED: "已关闭",
    CaseStatus.REOPENED: "重新办理",
}

#: Statuses in which a case still waits for handling (its deadline runs).
OPEN_STATUSES = frozenset(
    {CaseStatus.REPORTED, CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS, CaseStatus.REOPENED}
)
#: Statuses in which the matter is handled (Open311 ``closed``).
CLOSED_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})


class CaseEvent(enum.StrEnum):
    """What happens to a case (事务操作); each is one recorded transition."""

    REPORT = "report"  #: 上报 (creates the case)
    IMPORT = "import"  #: 导入 (creates the case from another system, in any status)
    ASSIGN = "assign"  #: 分派 (to a handler at the current level)
    START = "start"  #: 开始办理
    RESOLVE = "resolve"  #: 办结
    CLOSE = "close"  #: 关闭 (with the resident's satisfaction, 满意度)
    REOPEN = "reopen"  #: 重新办理 (the resident is not satisfied)
    ESCALATE = "escalate"  #: 升级 (to the next level of the route)
    #: 期限重算: the deadline recomputed when an official holiday notice replaced a
    #: provisional year (the status does not change)
    RESCHEDULE = "reschedule"

    @property
    def chinese(self) -> str:
        """The Chinese term, e.g. ``升级``."""
        return _EVENT_CN[self]


_EVENT_CN = {
    CaseEvent.REPORT: "上报",
    CaseEvent.IMPORT: "导入",
    CaseEvent.ASSIGN: "分派",
    CaseEvent.START: "开始办理",
    CaseEvent.RESOLVE: "办结",
    CaseEvent.CLOSE: "关闭",
    CaseEvent.REOPEN: "重新办理",
    CaseEvent.ESCALATE: "升级",
    CaseEvent.RESCHEDULE: "期限重算",
}

S = CaseStatus
E = CaseEvent

#: The lifecycle as data: ``(status, event) → new status``. ``None`` is "no case yet".
TRANSITIONS: Mapping[tuple[CaseStatus | None, CaseEvent], CaseStatus] = {
    (None, E.REPORT): S.REPORTED,
    (S.REPORTED, E.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, E.ASSIGN): S.ASSIGNED,
    (S.REOPENED, E.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, E.START): S.IN_PROGRESS,
    (S.ASSIGNED, E.RESOLVE): S.RESOLVED,  # handled on the spot (现场处理)
    (S.IN_PROGRESS, E.RESOLVE): S.RESOLVED,
    (S.RESOLVED, E.CLOSE): S.CLOSED,
    (S.RESOLVED, E.REOPEN): S.REOPENED,
    (S.CLOSED, E.REOPEN): S.REOPENED,
    (S.REPORTED, E.ESCALATE): S.REPORTED,
    (S.ASSIGNED, E.ESCALATE): S.REPORTED,
    (S.IN_PROGRESS, E.ESCALATE): S.REPORTED,
    (S.REOPENED, E.ESCALATE): S.REPORTED,
}


def next_status(status: CaseStatus | None, event: CaseEvent) -> CaseStatus:
    """The status a case reaches when ``event`` happens to it in ``status``.

    Imports (:attr:`CaseEvent.IMPORT`) are not in the table: they create a case in the status
    the other system reported, and are checked by the importer.

    Raises:
        InvalidTransition: the lifecycle does not allow ``event`` in ``status``.
    """
    event = CaseEvent(event)
    found = TRANSITIONS.get((status, event))
    if found is None:
        here = status.chinese if status is not None else "(no case)"
        allowed = ", ".join(e.value for e in allowed_events(status)) or "none"
        raise InvalidTransition(
            f"a case {here} ({status.value if status else 'none'}) cannot be "
            f"{event.value} ({event.chinese}); allowed from here: {allowed}"
        )
    return found


def allowed_events(status: CaseStatus | None) -> list[CaseEvent]:
    """The events the lifecycle allows in ``status``, in table order."""
    return [e for (s, e) in TRANSITIONS if s == status]


class Channel(enum.StrEnum):
    """How a case came in (受理渠道)."""

    APP = "app"  #: 手机APP现场收集
    PHONE = "phone"  #: 电话
    WALK_IN = "walk_in"  #: 来访
    WECHAT = "wechat"  #: 微信公众号

    @property
    def chinese(self) -> str:
        """The Chinese term, e.g. ``微信公众号``."""
        return {"app": "手机APP", "phone": "电话", "walk_in": "来访",
                "wechat": "微信公众号"}[self.value]


class RouteLevel(enum.IntEnum):
    """A level of the route up the four levels (四级联动)."""

    GRID = 1  #: 网格 (the grid leader, 网格长)
    COMMUNITY = 2  #: 社区
    SUBDISTRICT = 3  #: 办事处/街道
    COUNTY = 4  #: 县直部门 (a county department)

    @property
    def chinese(self) -> str:
        """The Chinese term, e.g. ``办事处``."""
        return {1: "网格", 2: "社区", 3: "办事处", 4: "县直部门"}[int(self)]

    @property
    def key(self) -> str:
        """The lower-case name, e.g. ``subdistrict``."""
        return self.name.lower()


@attrs.frozen
class RouteStep:
    """One level of a case's route (流转层级).

    Attributes:
        level: the level.
        unit_code: the unit responsible at this level (a grid, community, sub-district or the
            county's code).
        department: the county department (县直部门) at the county level, e.g. ``县住建局``.
    """

    level: RouteLevel = attrs.field(converter=RouteLevel)
    unit_code: str
    department: str | None = None


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class CaseCategory:
    """A category of case (事务类别), as Open311 publishes it as a *service*.

    Attributes:
        code: a stable code, e.g. ``repair`` (Open311 ``service_code``).
        name: the Chinese name, e.g. ``维修``.
        description: what belongs in the category.
        group: a grouping for menus (Open311 ``group``).
        keywords: search words (Open311 ``keywords``).
    """

    code: str
    name: str
    description: str = ""
    group: str = "社区事务"
    keywords: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)

    def __attrs_post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", self.code):
            raise ValidationError(
                f"category code {self.code!r} must be lower-case letters, digits and _ "
                "(at most 40), starting with a letter, e.g. 'heating'", path="code")
        if not self.name.strip():
            raise ValidationError(f"category {self.code} needs a name", path="name")


#: The national default categories (the county may add or rename through the hook).
DEFAULT_CATEGORIES: tuple[CaseCategory, ...] = (
    CaseCategory("repair", "维修", "公共设施、水电气暖、道路照明的维修", keywords=("漏水", "路灯")),
    CaseCategory("sanitation", "环境卫生", "垃圾清运、卫生死角、乱堆乱放", keywords=("垃圾",)),
    CaseCategory("dispute", "矛盾纠纷", "邻里、家庭、物业纠纷的调解", keywords=("调解",)),
    CaseCategory("safety", "安全隐患", "消防、燃气、房屋、电动车充电等安全隐患",
                 keywords=("消防", "燃气")),
    CaseCategory("property", "物业管理", "物业服务、停车、公共收益等问题", keywords=("物业",)),
    CaseCategory("care", "关爱服务", "孤寡老人、残疾人、困难家庭的照料与帮扶",
                 keywords=("老人", "帮扶")),
    CaseCategory("other", "其他", "不属于以上类别的事务"),
)


@attrs.frozen
class Case:
    """A case (事务): one matter, its place, its route level and its lifecycle.

    Attributes:
        id: the case key (Open311 ``service_request_id``).
        category: the category code.
        channel: how it came in.
        description: what the matter is (personal data scrubbed on export).
        status: the current status.
        level: the current route level.
        unit_code: the unit responsible now.
        department: the county department, at the county level.
        building_code: where the matter is.
        grid_code: the building's grid, if any.
        community_code: the building's community.
        household_id: the household concerned, if any.
        reporter_id: the resident who reported it, if registered.
        reporter_name: the reporter's name as given (masked on export).
        handler_id: the post holder handling it now, if assigned.
        reported_at: when it was reported (UTC).
        deadline: the last working day for the current level (inclusive).
        deadline_provisional: the deadline was counted through a year whose official holiday
            notice is not out yet (暂定期限); it is recomputed when the notice is added.
        updated_at: the time of the last transition (UTC).
        resolved_at: when it was last resolved.
        closed_at: when it was closed.
        satisfaction: the resident's satisfaction (满意度), 1-5, on closing.
        escalations: how many times it moved up.
        lat: latitude (WGS-84), if known.
        long: longitude (WGS-84), if known.
        media_url: a photo taken on the spot, if any.
        address: a readable address (楼院 and unit names).
    """

    id: str
    category: str
    channel: Channel
    description: str
    status: CaseStatus
    level: RouteLevel
    unit_code: str
    department: str | None
    building_code: str
    grid_code: str | None
    community_code: str
    household_id: str | None
    reporter_id: str | None
    reporter_name: str | None
    handler_id: str | None
    reported_at: dt.datetime
    deadline: dt.date
    updated_at: dt.datetime
    resolved_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    satisfaction: int | None = None
    escalations: int = 0
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None
    address: str = ""
    deadline_provisional: bool = False

    @property
    def open(self) -> bool:
        """Whether the case still waits for handling."""
        return self.status in OPEN_STATUSES

    def overdue_on(self, day: dt.date) -> bool:
        """Whether the case is open and ``day`` is past its deadline."""
        return self.open and day > self.deadline


@attrs.frozen
class Transition:
    """One recorded step of a case's lifecycle (流转记录); the journal is append-only.

    Attributes:
        case_id: the case.
        seq: 1 for the report, then consecutive.
        event: what happened.
        from_status: the status before (``None`` for the first).
        to_status: the status after.
        actor: who did it (``kind:id``).
        at: when (UTC).
        level: the route level after the step.
        unit_code: the unit responsible after the step.
        handler_id: the handler after the step.
        note: a remark, e.g. the reason for reopening.
    """

    case_id: str
    seq: int
    event: CaseEvent
    from_status: CaseStatus | None
    to_status: CaseStatus
    actor: str
    at: dt.datetime
    level: RouteLevel
    unit_code: str
    handler_id: str | None = None
    note: str = ""


def validate_satisfaction(value: int | None) -> int | None:
    """Check a satisfaction score (满意度): 1 (非常不满意) to 5 (非常满意), or ``None``.

    Raises:
        ValidationError: the score is not a whole number from 1 to 5.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationError(
            f"satisfaction must be a whole number from 1 (非常不满意) to 5 (非常满意), got "
            f"{value!r}", path="satisfaction")
    return value


def check_location(lat: float | None, long: float | None) -> None:
    """Check a case's location (位置): both WGS-84 coordinates, or neither.

    Raises:
        ValidationError: only one of the two is given, one is not a finite number, or it lies
            outside -90..90 (latitude) or -180..180 (longitude).
    """
    if (lat is None) != (long is None):
        given, missing = ("lat", "long") if long is None else ("long", "lat")
        raise ValidationError(
            f"a location needs both coordinates: {given} is given but {missing} is not; give "
            f"both (WGS-84) or neither", path=missing)
    for value, lo, hi, path in ((lat, -90, 90, "lat"), (long, -180, 180, "long")):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
                value):
            raise ValidationError(f"{path} must be a number (WGS-84 degrees), got {value!r}",
                                  path=path)
        if not lo <= value <= hi:
            raise ValidationError(f"{path} must be within {lo}..{hi}, got {value}", path=path)


def check_reporter(actor_kind: str, actor_id: str, reporter_id: str | None) -> str | None:
    """The reporter (上报人) of a case reported by this actor.

    A resident reports as themselves: their key is the reporter, and a different
    ``reporter_id`` is refused rather than silently replaced. Staff recording a case for a
    resident name that resident (or nobody).

    Returns:
        The reporter's key (the resident actor's own key for a resident).

    Raises:
        ValidationError: a resident actor gave another resident's key.
    """
    if actor_kind != "resident":
        return reporter_id
    if reporter_id is not None and reporter_id != actor_id:
        raise ValidationError(
            f"resident {actor_id} may report only as themselves, not as {reporter_id}: leave "
            f"reporter_id out (it is the caller), or have community staff record the case for "
            f"{reporter_id}", path="reporter_id")
    return actor_id


def scrub_personal_data(text: str) -> str:
    """Mask ID numbers and mobile numbers that someone typed into free text.

    The library's one scanner (:func:`~community_governance.domain.pii_text.mask_personal_numbers`).

    >>> scrub_personal_data("联系电话13912345678")
    '联系电话139****5678'
    """
    return mask_personal_numbers(text)


def mask_name(name: str | None) -> str | None:
    """Mask a person's name: keep the family name, hide the rest (``张*``, ``欧阳**``).

    Two-character family names are recognised for the common compound surnames.
    """
    if not name:
        return name
    name = name.strip()
    compound = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐")
    keep = 2 if len(name) > 2 and name[:2] in compound else 1
    if len(name) <= keep:
        return "*" * len(name)
    return name[:keep] + "*" * (len(name) - keep)


def percentile(values: Sequence[float] | Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) by linear interpolation; ``None`` for no values."""
    data = sorted(values)
    if not data:
        return None
    if not 0 <= q <= 100:
        raise ValidationError(f"percentile must be 0-100, got {q}", path="q")
    pos = (len(data) - 1) * q / 100
    lo = math.floor(pos)
    hi = math.ceil(pos)
    if lo == hi:
        return float(data[lo])
    return float(data[lo] + (data[hi] - data[lo]) * (pos - lo))
