"""Social organizations (社会组织): incubation, admission, standardisation, evaluation, supervision.

The study's main recommendation (三) is to cultivate professional social organizations
(培育专业化的社会组织): a professional incubator (孵化机构) helps a new group set up a
charter and an internal governance structure; the group passes an admission review
(准入资格审查); it is built to a standard (标准化建设: 组织机构正式、流程规范、管理科学);
it then takes part in purchased services (政府购买服务, 招投标), is evaluated periodically
(绩效评估) and supervised (督促指导). Its staff are trained (职业能力培训) with government
subsidies.

The lifecycle is a state machine given as data (:data:`TRANSITIONS`), like the cases'
(:mod:`community_governance.domain.cases`); :func:`next_stage` is the only way a stage
changes::

    proposed ─incubate─▶ incubating ─submit_review─▶ under_review ─admit─▶ admitted
    under_review ─return_to_incubation─▶ incubating
    admitted ─standardise─▶ standardised ─activate─▶ active
    active, under_supervision ─evaluate─▶ (same stage)
    active, under_supervision ─supervise─▶ under_supervision ─rectify─▶ under_supervision
    under_supervision ─clear (last finding rectified)─▶ active
    active, under_supervision ─suspend─▶ suspended ─reinstate─▶ active
    any stage but deregistered ─deregister─▶ deregistered  (final: propose anew)
    (none) ─register─▶ active  (an organization registered elsewhere, e.g. the incubator)

The national evaluation scheme is data too (:class:`GradeScheme`): a 1,000-point scale, grades
5A to 1A, valid five years, an upgrade no sooner than two years after the last evaluation.
This module is pure: no I/O, no hooks, no clock (functions that need a day take it).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

import attrs

from community_governance.errors import InvalidTransition, ValidationError

__all__ = [
    "BID_STAGES",
    "CLOSED_STAGES",
    "DEFAULT_ADMISSION",
    "DEFAULT_CHECKLIST",
    "DEFAULT_GRADE_SCHEME",
    "DEFAULT_INDICATORS",
    "DEFAULT_MILESTONES",
    "TRANSITIONS",
    "AdmissionRequirements",
    "Evaluation",
    "EvidenceSource",
    "Finding",
    "Grade",
    "GradeScheme",
    "Indicator",
    "IndicatorScore",
    "OrgEvent",
    "OrgKind",
    "OrgStaff",
    "OrgStage",
    "OrgTransition",
    "Requirement",
    "SocialOrganization",
    "StaffTraining",
    "add_years",
    "allowed_events",
    "check_indicators",
    "check_upgrade",
    "missing",
    "next_stage",
    "score_evaluation",
]

_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")


def _check_code(value: str, what: str) -> str:
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise ValidationError(
            f"{what} code {value!r} must be lower-case letters, digits and _ (at most 40), "
            "starting with a letter, e.g. 'charter'", path="code")
    return value


class OrgKind(enum.StrEnum):
    """The kind of a social organization (社会组织类型)."""

    SERVICE = "service"  #: 社区服务类
    CHARITY = "charity"  #: 公益慈善类
    CULTURE = "culture"  #: 文体活动类
    MUTUAL_AID = "mutual_aid"  #: 邻里互助类
    SOCIAL_WORK = "social_work"  #: 社会工作服务机构
    INCUBATOR = "incubator"  #: 孵化机构 (社会组织孵化基地)

    @property
    def chinese(self) -> str:
        """The Chinese term, e.g. ``社区服务类``."""
        return _KIND_CN[self]


_KIND_CN = {OrgKind.SERVICE: "社区服务类", OrgKind.CHARITY: "公益慈善类",
            OrgKind.CULTURE: "文体活动类", OrgKind.MUTUAL_AID: "邻里互助类",
            OrgKind.SOCIAL_WORK: "社会工作服务机构", OrgKind.INCUBATOR: "孵化机构"}


class OrgStage(enum.StrEnum):
    """The stage of a social organization's lifecycle (发展阶段)."""

    PROPOSED = "proposed"  #: 拟成立
    INCUBATING = "incubating"  #: 孵化中
    UNDER_REVIEW = "under_review"  #: 准入资格审查中
    ADMITTED = "admitted"  #: 已准入
    STANDARDISED = "standardised"  #: 已完成标准化建设
    ACTIVE = "active"  #: 运营中 (may bid for purchased services)
    UNDER_SUPERVISION = "under_supervision"  #: 督促整改中
    SUSPENDED = "suspended"  #: 暂停活动
    DEREGISTERED = "deregistered"  #: 已注销

    @property
    def chinese(self) -> str:
        """The Chinese term, e.g. ``孵化中``."""
        return _STAGE_CN[self]


_STAGE_CN = {
    OrgStage.PROPOSED: "拟成立", OrgStage.INCUBATING: "孵化中",
    OrgStage.UNDER_REVIEW: "准入资格审查中", OrgStage.ADMITTED: "已准入",
    OrgStage.STANDARDISED: "已完成标准化建设", OrgStage.ACTIVE: "运营中",
    OrgStage.UNDER_SUPERVISION: "督促整改中", OrgStage.SUSPENDED: "暂停活动",
    OrgStage.DEREGISTERED: "已注销",
}

#: Stages in which an organization may bid for purchased services (承接政府购买服务).
BID_STAGES = frozenset({OrgStage.ACTIVE})
#: Stages an organization never leaves.
CLOSED_STAGES = frozenset({OrgStage.DEREGISTERED})


class OrgEvent(enum.StrEnum):
    """What happens to a social organization (社会组织操作); each is one recorded transition."""

    PROPOSE = "propose"  #: 申请成立 (creates the organization)
    REGISTER = "register"  #: 已登记机构入库 (an organization registered elsewhere)
    INCUBATE = "incubate"  #: 入驻孵化
    SUBMIT_REVIEW = "submit_review"  #: 提交准入资格审查
    RETURN = "return_to_incubation"  #: 退回孵化 (review not passed)
    ADMIT = "admit"  #: 准入 (and 出壳: it leaves the incubator)
    STANDARDISE = "standardise"  #: 标准化建设验收
    ACTIVATE = "activate"  #: 开展服务
    EVALUATE = "evaluate"  #: 绩效评估
    SUPERVISE = "supervise"  #: 督促指导 (a finding with a rectification deadline)
    RECTIFY = "rectify"  #: 整改 (one finding; others remain open)
    CLEAR = "clear"  #: 整改完成 (the last open finding rectified)
    SUSPEND = "suspend"  #: 暂停活动
    REINSTATE = "reinstate"  #: 恢复活动
    DEREGISTER = "deregister"  #: 注销

    @property
    def chinese(self) -> str:
        """The Chinese term, e.g. ``准入``."""
        return _EVENT_CN[self]


_EVENT_CN = {
    OrgEvent.PROPOSE: "申请成立", OrgEvent.REGISTER: "已登记机构入库",
    OrgEvent.INCUBATE: "入驻孵化", OrgEvent.SUBMIT_REVIEW: "提交准入资格审查",
    OrgEvent.RETURN: "退回孵化", OrgEvent.ADMIT: "准入", OrgEvent.STANDARDISE: "标准化建设验收",
    OrgEvent.ACTIVATE: "开展服务", OrgEvent.EVALUATE: "绩效评估", OrgEvent.SUPERVISE: "督促指导",
    OrgEvent.RECTIFY: "整改", OrgEvent.CLEAR: "整改完成", OrgEvent.SUSPEND: "暂停活动",
    OrgEvent.REINSTATE: "恢复活动", OrgEvent.DEREGISTER: "注销",
}

S = OrgStage
E = OrgEvent

#: The lifecycle as data: ``(stage, event) → new stage``. ``None`` is "no organization yet".
TRANSITIONS: Mapping[tuple[OrgStage | None, OrgEvent], OrgStage] = {
    (None, E.PROPOSE): S.PROPOSED,
    (None, E.REGISTER): S.ACTIVE,
    (S.PROPOSED, E.INCUBATE): S.INCUBATING,
    (S.INCUBATING, E.SUBMIT_REVIEW): S.UNDER_REVIEW,
    (S.UNDER_REVIEW, E.RETURN): S.INCUBATING,
    (S.UNDER_REVIEW, E.ADMIT): S.ADMITTED,
    (S.ADMITTED, E.STANDARDISE): S.STANDARDISED,
    (S.STANDARDISED, E.ACTIVATE): S.ACTIVE,
    (S.ACTIVE, E.EVALUATE): S.ACTIVE,
    (S.UNDER_SUPERVISION, E.EVALUATE): S.UNDER_SUPERVISION,
    (S.ACTIVE, E.SUPERVISE): S.UNDER_SUPERVISION,
    (S.UNDER_SUPERVISION, E.SUPERVISE): S.UNDER_SUPERVISION,
    (S.UNDER_SUPERVISION, E.RECTIFY): S.UNDER_SUPERVISION,
    (S.UNDER_SUPERVISION, E.CLEAR): S.ACTIVE,
    (S.SUSPENDED, E.RECTIFY): S.SUSPENDED,
    (S.SUSPENDED, E.CLEAR): S.SUSPENDED,
    (S.ACTIVE, E.SUSPEND): S.SUSPENDED,
    (S.UNDER_SUPERVISION, E.SUSPEND): S.SUSPENDED,
    (S.SUSPENDED, E.REINSTATE): S.ACTIVE,
    **{(s, E.DEREGISTER): S.DEREGISTERED for s in OrgStage if s is not S.DEREGISTERED},
}

#: The way back from each stage, for messages and the docs (what to do to move on).
WAY_FORWARD: Mapping[OrgStage, str] = {
    S.PROPOSED: "place it with an incubator (cgov orgs incubate)",
    S.INCUBATING: "record every incubation milestone, then submit it for admission review",
    S.UNDER_REVIEW: "submit every required document, then admit it (or return it to "
                    "incubation with the reasons)",
    S.ADMITTED: "tick every item of the standardisation checklist, then standardise it",
    S.STANDARDISED: "activate it",
    S.ACTIVE: "evaluate it periodically; supervise it when a problem is found",
    S.UNDER_SUPERVISION: "rectify every open finding (the last one returns it to active)",
    S.SUSPENDED: "rectify every open finding, then reinstate it",
    S.DEREGISTERED: "none: a deregistered organization is proposed anew",
}


def next_stage(stage: OrgStage | None, event: OrgEvent) -> OrgStage:
    """The stage an organization reaches when ``event`` happens to it in ``stage``.

    Raises:
        InvalidTransition: the lifecycle does not allow ``event`` in ``stage``; the message
            names the events allowed and the way forward.
    """
    event = OrgEvent(event)
    found = TRANSITIONS.get((stage, event))
    if found is None:
        here = f"{stage.chinese} ({stage.value})" if stage is not None else "(none)"
        allowed = ", ".join(e.value for e in allowed_events(stage)) or "none"
        forward = f"; to move on: {WAY_FORWARD[stage]}" if stage is not None else ""
        raise InvalidTransition(
            f"{event.value} ({event.chinese}) is not allowed for an organization {here}; "
            f"allowed from here: {allowed}{forward}")
    return found


def allowed_events(stage: OrgStage | None) -> list[OrgEvent]:
    """The events the lifecycle allows in ``stage``, in table order."""
    return [e for (s, e) in TRANSITIONS if s == stage]


@attrs.frozen
class Requirement:
    """One thing an organization must have: an incubation milestone (孵化节点), a required
    document (准入材料) or an item of the standardisation checklist (标准化建设清单).

    Attributes:
        code: a stable code, e.g. ``charter``.
        name: the Chinese name, e.g. ``章程``.
        name_en: the English name.
    """

    code: str
    name: str
    name_en: str = ""

    def __attrs_post_init__(self) -> None:
        _check_code(self.code, "requirement")
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError(f"requirement {self.code} needs a name", path="name")


def _req_tuple(value: Iterable[Requirement]) -> tuple[Requirement, ...]:
    return tuple(value)


def _check_unique(items: Sequence[Requirement], what: str) -> None:
    codes = [r.code for r in items]
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        raise ValidationError(f"{what} lists {dup} twice; give each code once", path="code")


@attrs.frozen
class AdmissionRequirements:
    """The admission criteria (准入资格) of a place: documents and thresholds.

    Attributes:
        documents: the documents an organization submits (申请材料).
        min_members: at least this many members (会员/成员).
        min_full_time_staff: at least this many full-time staff (专职工作人员) on the staff
            register at admission.
    """

    documents: tuple[Requirement, ...] = attrs.field(converter=_req_tuple)
    min_members: int = 0
    min_full_time_staff: int = 0

    def __attrs_post_init__(self) -> None:
        if not all(isinstance(d, Requirement) for d in self.documents):
            raise ValidationError("documents must be Requirement values", path="documents")
        _check_unique(self.documents, "the admission documents")
        for name in ("min_members", "min_full_time_staff"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 10_000:
                raise ValidationError(f"{name} must be a whole number 0-10000, got {v!r}",
                                      path=name)


class EvidenceSource(enum.StrEnum):
    """Where an evaluation indicator's evidence comes from (评估依据)."""

    ASSESSED = "assessed"  #: 评审打分 (the evaluators score it)
    ACTIVITIES = "activities"  #: 开展活动场次 (the volunteers' activity records)
    VOLUNTEER_HOURS = "volunteer_hours"  #: 志愿服务时长 (the attendance records)
    CASES = "cases"  #: 协助办结事务 (cases its staff resolved)
    FUNDS = "funds"  #: 承接购买服务资金 (disbursements paid to it, from the funds ledger)
    #: 履约评价 (the mean 0-100 performance score of its purchase-of-services contracts
    #: evaluated in the period, from ``gov.tenders``)
    PERFORMANCE = "performance"

    @property
    def from_records(self) -> bool:
        """Whether the evidence is drawn from the library's records (not typed in)."""
        return self is not EvidenceSource.ASSESSED


def _to_decimal(value: object) -> Decimal:
    return Decimal(str(value))


@attrs.frozen
class Indicator:
    """One indicator of the performance evaluation (评估指标) with its weight.

    An indicator drawn from records scores ``weight × min(1, evidence / target)``; an assessed
    one is scored by the evaluators from 0 to ``weight``.

    Attributes:
        code: a stable code, e.g. ``governance``.
        name: the Chinese name, e.g. ``内部治理``.
        weight: the points it is worth on the scheme's scale.
        source: where its evidence comes from.
        target: the evidence that earns full marks (records only), e.g. 24 activities.
    """

    code: str
    name: str
    weight: int
    source: EvidenceSource = attrs.field(converter=EvidenceSource)
    target: Decimal = attrs.field(default=Decimal(0), converter=_to_decimal)

    def __attrs_post_init__(self) -> None:
        _check_code(self.code, "indicator")
        if isinstance(self.weight, bool) or not isinstance(self.weight, int) or self.weight <= 0:
            raise ValidationError(f"indicator {self.code}: weight must be a positive whole "
                                  f"number, got {self.weight!r}", path="weight")
        if self.source.from_records and not self.target > 0:
            raise ValidationError(f"indicator {self.code} drawn from {self.source.value} needs "
                                  "a positive target (the evidence for full marks)",
                                  path="target")


def check_indicators(indicators: Sequence[Indicator], max_score: int) -> list[Indicator]:
    """Check a set of indicators: unique codes, weights adding up to ``max_score``.

    Raises:
        ValidationError: a duplicate code, or weights that do not add up.
    """
    items = list(indicators)
    if not items or not all(isinstance(i, Indicator) for i in items):
        raise ValidationError("expected a non-empty list of Indicator values", path="indicators")
    codes = [i.code for i in items]
    if len(set(codes)) != len(codes):
        raise ValidationError(f"indicator codes repeat: {codes}", path="indicators")
    total = sum(i.weight for i in items)
    if total != max_score:
        raise ValidationError(f"indicator weights add up to {total}, not the scale's "
                              f"{max_score}; adjust the weights", path="indicators")
    return items


class Grade(enum.StrEnum):
    """An evaluation grade (评估等级), 5A best."""

    A5 = "5A"
    A4 = "4A"
    A3 = "3A"
    A2 = "2A"
    A1 = "1A"

    @property
    def rank(self) -> int:
        """5 for 5A down to 1 for 1A."""
        return int(self.value[0])

    @property
    def chinese(self) -> str:
        """The Chinese term, e.g. ``5A级``."""
        return f"{self.value}级"


def _thresholds(value: Mapping[str, int] | Iterable[tuple[str, int]]
                ) -> tuple[tuple[Grade, int], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    try:
        return tuple((Grade(g), s) for g, s in items)
    except (TypeError, ValueError):
        raise ValidationError(f"thresholds must map the grades 5A..1A to scores, got "
                              f"{value!r}", path="thresholds") from None


@attrs.frozen
class GradeScheme:
    """The evaluation scheme (社会组织评估等级): scale, thresholds, validity, upgrade wait.

    Attributes:
        thresholds: the least score of each grade, 5A first, strictly falling.
        max_score: the scale (满分).
        valid_years: how long a grade is valid (有效期).
        upgrade_after_years: the least time between evaluations while a grade is valid
            (晋级申请间隔).
    """

    thresholds: tuple[tuple[Grade, int], ...] = attrs.field(converter=_thresholds)
    max_score: int = 1000
    valid_years: int = 5
    upgrade_after_years: int = 2

    def __attrs_post_init__(self) -> None:
        grades = [g for g, _ in self.thresholds]
        if grades != list(Grade):
            raise ValidationError(f"thresholds must list 5A, 4A, 3A, 2A, 1A in that order, got "
                                  f"{[g.value for g in grades]}", path="thresholds")
        scores = [s for _, s in self.thresholds]
        if any(isinstance(s, bool) or not isinstance(s, int) for s in scores):
            raise ValidationError("thresholds must be whole numbers", path="thresholds")
        if not all(0 < s <= self.max_score for s in scores) or scores != sorted(
                set(scores), reverse=True):
            raise ValidationError(f"thresholds must fall strictly within 1..{self.max_score}, "
                                  f"got {scores}", path="thresholds")
        if not 1 <= self.valid_years <= 10 or not 0 <= self.upgrade_after_years <= \
                self.valid_years:
            raise ValidationError("valid_years must be 1-10 and upgrade_after_years 0 to "
                                  "valid_years", path="valid_years")

    def grade_for(self, score: Decimal) -> Grade | None:
        """The grade ``score`` earns, or ``None`` below 1A."""
        for grade, least in self.thresholds:
            if score >= least:
                return grade
        return None


#: The national scheme: 1,000 points, 5A from 900, valid five years, upgrade after two.
DEFAULT_GRADE_SCHEME = GradeScheme(
    ((Grade.A5, 900), (Grade.A4, 800), (Grade.A3, 700), (Grade.A2, 600), (Grade.A1, 500)))

#: The national incubation milestones (孵化节点).
DEFAULT_MILESTONES: tuple[Requirement, ...] = (
    Requirement("charter", "章程", "charter"),
    Requirement("governance", "内部治理结构", "internal governance structure"),
    Requirement("staff", "工作人员", "staff"),
    Requirement("finances", "财务制度", "finances"),
)

#: The national admission documents and criteria (准入资格审查).
DEFAULT_ADMISSION = AdmissionRequirements(
    documents=(
        Requirement("application", "成立申请书", "application"),
        Requirement("charter", "章程草案", "draft charter"),
        Requirement("leader_resume", "负责人简历", "leader's résumé"),
        Requirement("venue_proof", "活动场所证明", "proof of a venue"),
    ),
    min_members=10, min_full_time_staff=0)

#: The national standardisation checklist (标准化建设: 组织机构正式、流程规范、管理科学).
DEFAULT_CHECKLIST: tuple[Requirement, ...] = (
    Requirement("formal_structure", "组织机构正式", "a formal organizational structure"),
    Requirement("standard_process", "流程规范", "standard procedures"),
    Requirement("scientific_management", "管理科学", "sound management"),
)

#: The national evaluation indicators (评估指标), 1,000 points.
DEFAULT_INDICATORS: tuple[Indicator, ...] = (
    Indicator("basics", "基础条件", 100, EvidenceSource.ASSESSED),
    Indicator("governance", "内部治理", 300, EvidenceSource.ASSESSED),
    Indicator("activities", "开展活动", 150, EvidenceSource.ACTIVITIES, 24),
    Indicator("volunteer_hours", "志愿服务时长", 150, EvidenceSource.VOLUNTEER_HOURS, 500),
    Indicator("cases", "协助办结事务", 50, EvidenceSource.CASES, 20),
    Indicator("funds", "承接购买服务", 25, EvidenceSource.FUNDS, 50000),
    Indicator("performance", "履约评价", 25, EvidenceSource.PERFORMANCE, 90),
    Indicator("reputation", "社会评价", 200, EvidenceSource.ASSESSED),
)


def missing(required: Iterable[Requirement], done: Iterable[str]) -> list[Requirement]:
    """The requirements whose code is not among ``done``, in order."""
    have = set(done)
    return [r for r in required if r.code not in have]


@attrs.frozen
class IndicatorScore:
    """One line of an evaluation (评估得分): the indicator, its evidence and its score.

    Attributes:
        code: the indicator.
        name: its Chinese name.
        weight: its weight.
        source: where the evidence came from.
        evidence: the evidence from the records (``None`` for an assessed indicator).
        score: the points earned, to one decimal.
    """

    code: str
    name: str
    weight: int
    source: EvidenceSource
    evidence: Decimal | None
    score: Decimal


_TENTH = Decimal("0.1")


def score_evaluation(indicators: Sequence[Indicator], evidence: Mapping[str, Decimal],
                     assessed: Mapping[str, Decimal | int | str]
                     ) -> tuple[Decimal, tuple[IndicatorScore, ...]]:
    """Score an evaluation: record indicators from ``evidence``, the others from ``assessed``.

    Args:
        indicators: the place's indicators.
        evidence: per record source (:class:`EvidenceSource` value), the evidence drawn from
            the records.
        assessed: per assessed indicator code, the evaluators' score (0 to its weight).

    Returns:
        The total (one decimal) and one line per indicator.

    Raises:
        ValidationError: an assessed score is missing, out of range or given for an indicator
            whose evidence comes from the records, or an unknown code is scored.
    """
    known = {i.code: i for i in indicators}
    unknown = sorted(set(assessed) - set(known))
    if unknown:
        raise ValidationError(f"no indicator {unknown} in this place's scheme; score only "
                              f"{sorted(known)}", path="assessed")
    lines: list[IndicatorScore] = []
    for ind in indicators:
        if ind.source.from_records:
            if ind.code in assessed:
                raise ValidationError(
                    f"indicator {ind.code} ({ind.name}) is drawn from the records "
                    f"({ind.source.value}), not typed in; leave it out of the scores",
                    path=f"assessed.{ind.code}")
            ev = Decimal(evidence.get(ind.source.value, Decimal(0)))
            score = Decimal(ind.weight) * min(Decimal(1), ev / ind.target)
            lines.append(IndicatorScore(ind.code, ind.name, ind.weight, ind.source, ev,
                                        score.quantize(_TENTH, ROUND_HALF_UP)))
            continue
        if ind.code not in assessed:
            raise ValidationError(f"indicator {ind.code} ({ind.name}) needs the evaluators' "
                                  f"score, 0 to {ind.weight}", path=f"assessed.{ind.code}")
        raw = assessed[ind.code]
        if isinstance(raw, (bool, float)):
            raise ValidationError(f"score of {ind.code} must be a whole or decimal number as "
                                  f"text or int, got {raw!r}", path=f"assessed.{ind.code}")
        try:
            value = Decimal(str(raw))
        except ArithmeticError:
            raise ValidationError(f"score of {ind.code} is not a number: {raw!r}",
                                  path=f"assessed.{ind.code}") from None
        if not value.is_finite() or not 0 <= value <= ind.weight:
            raise ValidationError(f"score of {ind.code} must be 0 to {ind.weight}, got {raw}",
                                  path=f"assessed.{ind.code}")
        lines.append(IndicatorScore(ind.code, ind.name, ind.weight, ind.source, None,
                                    value.quantize(_TENTH, ROUND_HALF_UP)))
    total = sum((ln.score for ln in lines), start=Decimal(0))
    return total, tuple(lines)


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` plus whole years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def check_upgrade(last_on: dt.date | None, last_valid_until: dt.date | None, on: dt.date,
                  scheme: GradeScheme) -> None:
    """Refuse an evaluation sooner than the scheme allows after the last one.

    While the last grade is valid, a new evaluation (an upgrade, 晋级) may be requested no
    sooner than ``upgrade_after_years`` after it.

    Raises:
        ValidationError: too early; the message names the earliest day.
    """
    if last_on is None or last_valid_until is None or on > last_valid_until:
        return
    earliest = add_years(last_on, scheme.upgrade_after_years)
    if on < earliest:
        raise ValidationError(
            f"the last evaluation was on {last_on.isoformat()} and its grade is valid until "
            f"{last_valid_until.isoformat()}; an upgrade may be requested no sooner than "
            f"{scheme.upgrade_after_years} years after it: evaluate on or after "
            f"{earliest.isoformat()}", path="on")


@attrs.frozen
class SocialOrganization:
    """A social organization (社会组织) and where it stands.

    Attributes:
        id: its key.
        name: its name.
        kind: its kind.
        community_code: the community it serves (社区).
        subdistrict_code: that community's sub-district (办事处).
        stage: its lifecycle stage.
        incubator_id: the incubator it was placed with, if any.
        hatched_on: the day it left the incubator (出壳, at admission); ``None`` while kept
            under it.
        registered: whether it is registered with civil affairs (登记) rather than only filed
            with the community (备案).
        members: its members as declared.
        volunteer_org_id: its volunteer team in the volunteers' records, whose activities and
            hours are its evaluation evidence.
        proposed_on: the day it entered the library.
        stage_since: the county day it reached its stage.
        grade: its grade while valid.
        score: the score of its last evaluation.
        graded_on: the day of its last evaluation.
        grade_valid_until: the last day its grade is valid.
        seq: the number of its transitions so far.
    """

    id: str
    name: str
    kind: OrgKind
    community_code: str
    subdistrict_code: str
    stage: OrgStage
    incubator_id: str | None
    hatched_on: dt.date | None
    registered: bool
    members: int
    volunteer_org_id: str | None
    proposed_on: dt.date
    stage_since: dt.date
    grade: Grade | None = None
    score: Decimal | None = None
    graded_on: dt.date | None = None
    grade_valid_until: dt.date | None = None
    seq: int = 1

    @property
    def under_incubator(self) -> bool:
        """Whether it is kept under its incubator (placed with one and not hatched yet)."""
        return self.incubator_id is not None and self.hatched_on is None

    def grade_on(self, day: dt.date) -> Grade | None:
        """Its grade on ``day`` (``None`` once the grade expired)."""
        if self.grade is None or self.grade_valid_until is None or day > self.grade_valid_until:
            return None
        return self.grade


@attrs.frozen
class OrgTransition:
    """One recorded step of an organization's lifecycle (流转记录); the journal is append-only.

    Attributes:
        org_id: the organization.
        seq: 1 for the first, then consecutive.
        event: what happened.
        from_stage: the stage before (``None`` for the first).
        to_stage: the stage after.
        actor: who did it (``kind:id``).
        at: when (UTC).
        day: the county day it counts for.
        note: a remark (the reason, the finding...).
    """

    org_id: str
    seq: int
    event: OrgEvent
    from_stage: OrgStage | None
    to_stage: OrgStage
    actor: str
    at: dt.datetime
    day: dt.date
    note: str = ""


@attrs.frozen
class Evaluation:
    """A performance evaluation (绩效评估) of an organization.

    Attributes:
        id: its number.
        org_id: the organization.
        round: the evaluation round, e.g. ``2019``.
        on: the day of the evaluation.
        period_start: the first day the evidence covers.
        period_end: the last day the evidence covers.
        evaluators: who evaluated (评估专家/评估机构).
        score: the total on the scheme's scale.
        grade: the grade earned (``None`` below 1A).
        valid_until: the last day the grade is valid.
        lines: the score per indicator.
    """

    id: int
    org_id: str
    round: str
    on: dt.date
    period_start: dt.date
    period_end: dt.date
    evaluators: tuple[str, ...]
    score: Decimal
    grade: Grade | None
    valid_until: dt.date
    lines: tuple[IndicatorScore, ...] = ()


@attrs.frozen
class Finding:
    """A supervision finding (督促指导发现的问题) with its rectification deadline (整改期限).

    Attributes:
        id: its number.
        org_id: the organization.
        text: what is wrong and what must change.
        found_on: the day it was found.
        deadline: the last working day to rectify it.
        working_days: the working days it was given.
        rectified_on: the day it was rectified, if it was.
        follow_up: the follow-up note on rectification (整改情况).
        provisional: the deadline was counted on a provisional calendar (a year with no
            official holiday notice yet: statutory holidays only), so it may move.
    """

    id: int
    org_id: str
    text: str
    found_on: dt.date
    deadline: dt.date
    working_days: int
    rectified_on: dt.date | None = None
    follow_up: str = ""
    provisional: bool = False

    @property
    def open(self) -> bool:
        """Whether it still waits for rectification."""
        return self.rectified_on is None

    def overdue_on(self, day: dt.date) -> bool:
        """Whether it is open and ``day`` is past its deadline."""
        return self.open and day > self.deadline


@attrs.frozen
class OrgStaff:
    """A staff member of a social organization (社会组织工作人员, 人才).

    Attributes:
        id: its number.
        org_id: the organization.
        name: the person's name (masked in reports and exports).
        role: the role, e.g. ``负责人``, ``社工``, ``财务``.
        full_time: full-time (专职) or part-time (兼职).
        from_university: recruited from a university (高校选聘).
        person_id: the person's key in the registry (a staff member or resident), if any;
            cases they resolve count as the organization's evidence.
        joined_on: the first day.
        left_on: the last day, if they left.
    """

    id: int
    org_id: str
    name: str
    role: str
    full_time: bool
    from_university: bool
    person_id: str | None
    joined_on: dt.date
    left_on: dt.date | None = None

    def active_on(self, day: dt.date) -> bool:
        """Whether they work there on ``day``."""
        return self.joined_on <= day and (self.left_on is None or day <= self.left_on)


@attrs.frozen
class StaffTraining:
    """A vocational training (职业能力培训) of a staff member, with its subsidy (培训补贴).

    Attributes:
        id: its number.
        staff_id: the staff member.
        title: the course.
        on: the day.
        hours: its length in hours.
        subsidy: the government subsidy requested, CNY (0 for none).
        disbursement_id: the funds disbursement paying the subsidy, if any.
    """

    id: int
    staff_id: int
    title: str
    on: dt.date
    hours: int
    subsidy: Decimal = Decimal("0.00")
    disbursement_id: int | None = None
