"""Care for vulnerable residents (关爱困难群众): care needs, assigned cadres, visits, alerts.

Pure values and rules; no I/O, no hooks, no clock (a rule that needs "now" takes it).

- A :class:`CareNeed` (关爱对象登记) records that a resident is in a care category (特困, 低保,
  孤寡, 独居老人, 残疾, 留守儿童 ...) from a start day, with the evidence seen and who may see it.
  It is sensitive personal information: masked on every way out, every full read access-logged.
- Each resident in care has one :class:`CareAssignment` (分包) to an assigned cadre (分包干部):
  the holder of a post at the resident's community, whose phone the resident calls.
- A :class:`VisitRound` (探访轮次) is a festival round (端午, 中秋, 春节前), a weather round
  (雨雪天气) or a monthly round; it holds one :class:`VisitTask` per resident, due at a time.
- A :class:`Visit` (探访记录) records who visited whom, when, the outcome and the needs found.
- An :class:`Invitation` (节日邀请) asks a resident in care (孤寡、独居老人) to spend New Year,
  the Spring Festival or the Lantern Festival (:class:`Occasion`) at the community, with the
  answer (:class:`Rsvp`) and whether they came.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence

import attrs

from community_governance.errors import ValidationError

__all__ = [
    "DEFAULT_CATEGORIES",
    "DEFAULT_GIFTS",
    "DEFAULT_INVITED",
    "DEFAULT_TIER_VISITS",
    "FESTIVAL_ROUNDS",
    "LADDER",
    "AlertKind",
    "CareAssignment",
    "CareCategory",
    "CareNeed",
    "Invitation",
    "Occasion",
    "RoundKind",
    "Rsvp",
    "TaskStatus",
    "Visibility",
    "Visit",
    "VisitOutcome",
    "VisitRound",
    "VisitTask",
    "WeatherAlert",
    "check_attendance",
    "check_reply",
    "check_visit",
    "festival_round_day",
    "flags_in_care",
    "ladder_step",
    "mask_evidence",
    "monthly_due_days",
    "monthly_rate",
    "occasion_day",
]


class Visibility(enum.StrEnum):
    """Who may see a care need besides the resident (查看范围)."""

    OFFICE = "office"  #: 社区两委 only (the community office)
    CADRE = "cadre"  #: the community office and the resident's assigned cadre (分包干部)


class RoundKind(enum.StrEnum):
    """What a round of visits is for (探访类别)."""

    FESTIVAL = "festival"  #: 节日慰问 (端午送粽子, 中秋送月饼, 春节前慰问)
    WEATHER = "weather"  #: 雨雪天气探访
    MONTHLY = "monthly"  #: 月探访 (national guidance 2022: monthly for 特困 elders)


class AlertKind(enum.StrEnum):
    """A weather alert's hazard (气象预警类别) that sends cadres to their elders."""

    RAIN = "rain"  #: 暴雨
    SNOW = "snow"  #: 暴雪
    COLD = "cold"  #: 寒潮
    HEAT = "heat"  #: 高温


class TaskStatus(enum.StrEnum):
    """Where a visit task stands (探访任务状态)."""

    OPEN = "open"  #: 待探访
    DONE = "done"  #: 已探访 (a visit was recorded)


class VisitOutcome(enum.StrEnum):
    """What a visit found (探访结果)."""

    MET = "met"  #: 见到本人, 情况良好
    NEEDS = "needs"  #: 见到本人, 发现需求
    NO_ANSWER = "no_answer"  #: 无人应答 (call again, then the neighbour or building leader)
    HOSPITAL = "hospital"  #: 住院
    AWAY = "away"  #: 外出 (with family)

    @property
    def reached(self) -> bool:
        """Whether the visit counts as done (the resident was reached or accounted for)."""
        return self is not VisitOutcome.NO_ANSWER


@attrs.frozen
class CareCategory:
    """A care category (关爱类别), e.g. 特困人员 or 独居老人.

    Attributes:
        code: the category's key, e.g. ``extreme_difficulty``.
        chinese: the name residents read, e.g. ``特困人员``.
        english: the English name.
        tier: the risk tier (1 highest): how often residents of the category are visited
            comes from the tier (``cgov_care_visits_per_month``).
        flag: the resident's vulnerability flag (``domain.people.Vulnerability`` value) the
            category sets in the resident record, or ``""`` for none.
        elder: residents of the category are elders (weather visits go to every assigned elder).
    """

    code: str
    chinese: str
    english: str
    tier: int = 2
    flag: str = ""
    elder: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.code or not self.code.replace("_", "").isalnum() or not self.code.isascii():
            raise ValidationError(
                f"a care category's code is ascii letters, digits and _, got {self.code!r}",
                path="code")
        if not self.chinese.strip():
            raise ValidationError(f"care category {self.code} needs a Chinese name",
                                  path="chinese")
        if isinstance(self.tier, bool) or not isinstance(self.tier, int) or not 1 <= self.tier <= 3:
            raise ValidationError(f"care category {self.code}: the risk tier is 1, 2 or 3, got "
                                  f"{self.tier!r}", path="tier")


#: The national categories (the built-in plugin's answer to ``cgov_care_categories``).
DEFAULT_CATEGORIES: tuple[CareCategory, ...] = (
    CareCategory("extreme_difficulty", "特困人员", "Person in extreme difficulty", 1,
                 "extreme_difficulty", elder=True),
    CareCategory("childless_elderly", "孤寡老人", "Childless elder", 1, "elderly_alone",
                 elder=True),
    CareCategory("elderly_alone", "独居老人", "Elder living alone", 1, "elderly_alone",
                 elder=True),
    CareCategory("low_income", "低保户", "Minimum-income household", 2, "low_income"),
    CareCategory("disability", "残疾人", "Person with disability", 2, "disability"),
    CareCategory("left_behind_child", "留守儿童", "Left-behind child", 2, "left_behind_child"),
)

#: Visits a month per risk tier (national guidance 2022: every elder in particular difficulty
#: visited at least monthly, priority groups more often).
DEFAULT_TIER_VISITS: Mapping[int, int] = {1: 2, 2: 1, 3: 0}

#: The festival rounds of the year and the gift of each (端午送粽子, 中秋送月饼, 春节前慰问).
FESTIVAL_ROUNDS: tuple[str, ...] = ("dragon_boat", "mid_autumn", "spring_festival")
DEFAULT_GIFTS: Mapping[str, str] = {"dragon_boat": "粽子", "mid_autumn": "月饼",
                                    "spring_festival": "节日慰问品"}


def mask_evidence(text: str) -> str:
    """The evidence as every list and report shows it: its kind only, e.g. ``低保证***``."""
    text = text.strip()
    if not text:
        return ""
    return text[:3] + "***" if len(text) > 3 else "***"


@attrs.frozen
class CareNeed:
    """A resident's care need (关爱对象登记): a category from a day, with its evidence.

    Attributes:
        id: the need's key.
        resident_id: who.
        community_code: the resident's community when registered.
        category: the category code (``cgov_care_categories``).
        start: first day.
        end: last day, or ``None`` while it lasts.
        evidence: what was seen (e.g. 低保证号, 残疾证), masked unless read in full.
        visibility: who may see it.
    """

    id: str
    resident_id: str
    community_code: str
    category: str
    start: dt.date
    end: dt.date | None = None
    evidence: str = ""
    visibility: Visibility = Visibility.CADRE

    def __attrs_post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValidationError(
                f"care need {self.id} would end ({self.end}) before it starts ({self.start}); "
                "give an end on or after the start", path="end")

    def active_on(self, day: dt.date) -> bool:
        """Whether the need holds on ``day``."""
        return self.start <= day and (self.end is None or day <= self.end)


@attrs.frozen
class CareAssignment:
    """A resident in care given to an assigned cadre (分包干部联系).

    Attributes:
        resident_id: the resident.
        post_id: the cadre's post (at the resident's community or grid).
        cadre_id: the post holder's key.
        start: first day.
        end: last day, or ``None`` while it lasts.
        cadre_phone: the number the resident calls (masked unless read in full).
    """

    resident_id: str
    post_id: str
    cadre_id: str
    start: dt.date
    end: dt.date | None = None
    cadre_phone: str | None = None


@attrs.frozen
class WeatherAlert:
    """A weather alert (气象预警) that sends cadres to their elders.

    Attributes:
        id: the alert's key.
        place: the unit it covers (a county or a community code).
        kind: rain, snow, cold or heat.
        level: blue, yellow, orange or red (蓝色, 黄色, 橙色, 红色).
        issued_at: when it was issued (aware).
        source: who issued it (e.g. 县气象台) or the plugin that supplied it.
    """

    id: str
    place: str
    kind: AlertKind = attrs.field(converter=AlertKind)
    level: str
    issued_at: dt.datetime
    source: str = ""

    def __attrs_post_init__(self) -> None:
        if self.level not in ("blue", "yellow", "orange", "red"):
            raise ValidationError(f"alert level is blue, yellow, orange or red, got "
                                  f"{self.level!r}", path="level")
        if self.issued_at.tzinfo is None:
            raise ValidationError("an alert's time is timezone-aware", path="issued_at")


@attrs.frozen
class VisitRound:
    """A round of visits (探访轮次): festival, weather or monthly.

    Attributes:
        id: the round's key.
        community_code: the community it covers.
        kind: festival, weather or monthly.
        title: e.g. ``2019年中秋节慰问``.
        due_at: when every visit of the round is due (aware).
        festival: the festival (``Festival`` value) of a festival round.
        alert_id: the weather alert of a weather round.
        gift: the gift taken along (粽子, 月饼 ...), or ``""``.
        tasks: the number of visit tasks.
        lot_id: the charity-supermarket lot the gifts were given from, if any.
        disbursement_id: the care-fund disbursement request that buys them, if any.
        over_capacity: the cadres given more tasks than they can make
            (``cgov_care_cadre_capacity``), when the round was planned.
    """

    id: str
    community_code: str
    kind: RoundKind
    title: str
    due_at: dt.datetime
    festival: str | None = None
    alert_id: str | None = None
    gift: str = ""
    tasks: int = 0
    lot_id: str | None = None
    disbursement_id: int | None = None
    over_capacity: tuple[str, ...] = ()


@attrs.frozen
class VisitTask:
    """One resident to visit in a round (探访任务).

    Attributes:
        id: the task's key.
        round_id: the round.
        resident_id: whom to visit.
        cadre_id: the assigned cadre when the task was planned.
        due_at: when the visit is due.
        status: open or done.
    """

    id: int
    round_id: str
    resident_id: str
    cadre_id: str
    due_at: dt.datetime
    status: TaskStatus = TaskStatus.OPEN


@attrs.frozen
class Visit:
    """A visit record (探访记录): who visited whom, when, and what was found.

    Attributes:
        id: the record's key.
        resident_id: whom.
        visitor_id: who (the assigned cadre or a stand-in).
        at: when (aware).
        outcome: what the visit found.
        needs: the needs found, as told (personal; masked on lists).
        task_id: the task the visit answers, if any.
        stand_in: the visitor was not the assigned cadre (allowed by the place's rule).
        case_id: the care case a need became, if any.
        give_out_id: the charity give-out a need became, if any.
    """

    id: int
    resident_id: str
    visitor_id: str
    at: dt.datetime
    outcome: VisitOutcome
    needs: str = ""
    task_id: int | None = None
    stand_in: bool = False
    case_id: str | None = None
    give_out_id: int | None = None


#: What to do next when visits find no answer (无人应答), by the number of unanswered tries.
LADDER: tuple[str, ...] = (
    "visit",  # 上门探访
    "call again",  # 再次电话联系
    "ask the neighbour or the building leader",  # 联系邻居或楼院长
    "home visit with the community office",  # 社区干部一同上门
)


def ladder_step(no_answers: int) -> str:
    """The next step of the escalation ladder after ``no_answers`` unanswered tries."""
    if no_answers < 0:
        raise ValidationError(f"unanswered tries are counted from 0, got {no_answers}",
                              path="no_answers")
    return LADDER[min(no_answers, len(LADDER) - 1)]


def check_visit(*, resident_id: str, visitor_id: str, at: dt.datetime, now: dt.datetime,
                in_care: bool, assigned_cadre: str | None, stand_in_allowed: bool,
                rule: str) -> bool:
    """Refuse a visit record that breaks the rules; answer whether the visitor stands in.

    Args:
        resident_id: whom.
        visitor_id: who.
        at: when the visit happened.
        now: the operation's time.
        in_care: whether the resident has a care need on the visit's day.
        assigned_cadre: the resident's cadre on the visit's day, or ``None``.
        stand_in_allowed: the place's rule (``cgov_care_stand_in_allowed``).
        rule: where the stand-in rule comes from, for the message.

    Returns:
        ``True`` when the visitor is a stand-in for the assigned cadre.

    Raises:
        ValidationError: the visit lies in the future, the resident is not in care, or the
            visitor is not the assigned cadre and the rule allows no stand-in.
    """
    if at > now:
        raise ValidationError(
            f"a visit to {resident_id} dated {at.isoformat()} lies in the future (now "
            f"{now.isoformat()}); record a visit after it happened, with its real time",
            path="at")
    if not in_care:
        raise ValidationError(
            f"resident {resident_id} has no care need on {at.date()}: visits are recorded for "
            "residents in care; register the care need first (cgov care need add)",
            path="resident_id")
    if visitor_id == assigned_cadre:
        return False
    if not stand_in_allowed:
        who = assigned_cadre or "nobody (assign a cadre first: cgov care assign)"
        raise ValidationError(
            f"{visitor_id} is not the assigned cadre of {resident_id} (that is {who}) and the "
            f"rule ({rule}) allows no stand-in; let the assigned cadre record it, or "
            "reassign the resident", path="visitor_id")
    return True


def monthly_due_days(working_days: Sequence[dt.date], visits: int) -> list[dt.date]:
    """The days a resident due ``visits`` visits in a month is to be visited by (探访时间表).

    The month's working days (of the county's calendar, in order) are cut into ``visits``
    runs as equal as can be; the k-th visit is due on the last working day of the k-th run.
    Tier 1 (twice a month) is due mid-month and at the month's last working day; tier 2
    (monthly) on the last working day.

    Raises:
        ValidationError: ``visits`` is negative, or the month has no working day.
    """
    if visits < 0:
        raise ValidationError(f"visits a month are counted from 0, got {visits}", path="visits")
    if visits and not working_days:
        raise ValidationError("the month has no working day to visit on", path="working_days")
    n = len(working_days)
    return [working_days[-(-n * k // visits) - 1] for k in range(1, visits + 1)]


def monthly_rate(due: Iterable[str], visited: Iterable[str]) -> tuple[int, int, list[str]]:
    """The monthly visit rate (月探访率) as the policy defines it.

    The residents due a visit in the month (in care for the whole month, tier visited at least
    monthly) are the denominator; those among them with at least one visit that reached them
    in the month are the numerator.

    Returns:
        ``(due, visited, missed)``: the counts and the sorted keys of the residents missed.
    """
    due_set = set(due)
    hit = due_set & set(visited)
    return len(due_set), len(hit), sorted(due_set - hit)


def festival_round_day(festival: str, year: int) -> dt.date:
    """The county day a festival round of ``year`` is due (节日慰问的日子).

    端午 and 中秋 on the festival itself; the round before the Spring Festival (春节前慰问) on
    除夕, the last day of the lunar year that ends in ``year``'s Spring Festival. The care
    service plans its rounds and the simulation visits on these days.

    Raises:
        ValidationError: ``festival`` is not one of :data:`FESTIVAL_ROUNDS`.
    """
    from community_governance.calendars.lunar import Festival, festival_date

    if festival not in FESTIVAL_ROUNDS:
        raise ValidationError(
            f"{festival!r} is not a festival round; rounds are held at "
            f"{[Festival(f).chinese for f in FESTIVAL_ROUNDS]}", path="festival")
    if festival == Festival.SPRING_FESTIVAL.value:
        return festival_date(Festival.NEW_YEARS_EVE, year)
    return festival_date(Festival(festival), year)


def flags_in_care(categories: Iterable[CareCategory]) -> frozenset[str]:
    """The residents' vulnerability flags that put them in one of ``categories`` (the
    flags ``enrol_flagged`` registers from): a festival round visits their holders."""
    return frozenset(c.flag for c in categories if c.flag)


class Occasion(enum.StrEnum):
    """A holiday the community invites its elders to spend together (邀请到社区过节)."""

    NEW_YEAR = "new_year"  #: 元旦, 1 January
    SPRING_FESTIVAL = "spring_festival"  #: 春节, 1st day of the 1st lunar month
    LANTERN = "lantern"  #: 元宵节, 15th day of the 1st lunar month

    @property
    def chinese(self) -> str:
        """The Chinese name, e.g. ``元宵节``."""
        return {"new_year": "元旦", "spring_festival": "春节", "lantern": "元宵节"}[self.value]

    @classmethod
    def parse(cls, text: str) -> Occasion:
        """The occasion named by its value (``lantern``) or Chinese name (``元宵节``/``元宵``).

        Raises:
            ValidationError: no occasion has that name.
        """
        key = text.strip()
        for o in cls:
            if key in (o.value, o.chinese, o.chinese.removesuffix("节")):
                return o
        names = ", ".join(f"{o.value} ({o.chinese})" for o in cls)
        raise ValidationError(f"unknown occasion {text!r}; invitations are sent for {names}",
                              path="occasion")


def occasion_day(occasion: Occasion | str, year: int) -> dt.date:
    """The county day of ``occasion`` in ``year``: 1 January for 元旦, the lunar calendar's
    day (``calendars.lunar``) for 春节 and 元宵节."""
    from community_governance.calendars.lunar import Festival, festival_date

    o = Occasion.parse(occasion) if isinstance(occasion, str) else occasion
    if o is Occasion.NEW_YEAR:
        return dt.date(year, 1, 1)
    return festival_date(Festival(o.value), year)


#: The categories invited by the national default (``cgov_care_invitation_categories``):
#: 孤寡老人 and 独居老人.
DEFAULT_INVITED: tuple[str, ...] = ("childless_elderly", "elderly_alone")


class Rsvp(enum.StrEnum):
    """A resident's answer to an invitation (答复)."""

    PENDING = "pending"  #: 未答复
    YES = "yes"  #: 愿意参加
    NO = "no"  #: 婉拒


@attrs.frozen
class Invitation:
    """An invitation to spend a holiday at the community (节日邀请), and whether they came.

    Attributes:
        id: the invitation's key.
        event_id: the community's event (a culture event, 邻里活动, of the community).
        occasion: 元旦, 春节 or 元宵节.
        year: the occasion's year.
        community_code: the community that invites.
        resident_id: whom.
        day: the occasion's county day.
        invited_at: when the invitation went out (aware).
        rsvp: the answer so far.
        attended: whether the resident came.
    """

    id: int
    event_id: str
    occasion: Occasion
    year: int
    community_code: str
    resident_id: str
    day: dt.date
    invited_at: dt.datetime
    rsvp: Rsvp = Rsvp.PENDING
    attended: bool = False


def check_reply(*, resident_id: str, event_id: str, invited: bool, invited_at: dt.datetime,
                day: dt.date, at: dt.datetime, at_day: dt.date, now: dt.datetime) -> None:
    """Refuse an answer to an invitation that breaks the rules.

    Args:
        resident_id: who answers.
        event_id: the event.
        invited: whether the resident is invited to it.
        invited_at: when the invitations went out.
        day: the event's county day.
        at: when the answer was given; ``at_day`` its county day.
        now: the operation's time.

    Raises:
        ValidationError: not invited, an answer in the future, before the invitation or
            after the event.
    """
    if not invited:
        raise ValidationError(
            f"resident {resident_id} is not invited to {event_id}; invite them first "
            "(cgov care invite ... --resident)", path="resident_id")
    if at > now:
        raise ValidationError(f"an answer dated {at.isoformat()} lies in the future (now "
                              f"{now.isoformat()}); record it with the time it was given",
                              path="at")
    if at < invited_at:
        raise ValidationError(f"an answer dated {at.isoformat()} comes before the invitation "
                              f"({invited_at.isoformat()})", path="at")
    if at_day > day:
        raise ValidationError(f"the event {event_id} was on {day}; an answer after it is no "
                              "answer: record who came (cgov care attend)", path="at")


def check_attendance(*, resident_id: str, event_id: str, invited: bool, in_care: bool,
                     day: dt.date, today: dt.date) -> None:
    """Refuse an attendance that breaks the rules.

    Raises:
        ValidationError: the event lies in the future, the resident is not invited, or not
            in care on the event's day.
    """
    if day > today:
        raise ValidationError(
            f"the event {event_id} is on {day} (today is {today}): record who came after it",
            path="event_id")
    if not invited:
        raise ValidationError(
            f"resident {resident_id} is not invited to {event_id}; invite them first "
            "(cgov care invite ... --resident), then record that they came",
            path="resident_id")
    if not in_care:
        raise ValidationError(
            f"resident {resident_id} has no care need on {day}: invitations and attendance "
            "are recorded for residents in care; register the care need first "
            "(cgov care need add)", path="resident_id")
