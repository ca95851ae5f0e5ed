"""Government purchase of services (政府购买服务): needs, projects, tenders, bids, scoring,
awards, objections, contracts, acceptance and performance.

The study's recommendation (三) asks that community services be bought through tenders that
social organizations compete for (对政府购买社区服务项目引入招投标机制). A round runs::

    需求 need ─▶ 项目 project (budget reserved in the funds ledger)
      ─▶ 招标公告 tender notice (lots, eligibility, scoring criteria, procedure)
      ─▶ 投标 sealed bids (one per bidder per lot; a commitment published at submission)
      ─▶ 开标 opening (every bid checked against its commitment)
      ─▶ 评标 panel scoring (conflicted members stand aside, 回避)
      ─▶ 中标 award, with a standstill period for objections (质疑)
      ─▶ 合同 contract (deliverables with due dates as milestones, a payment schedule)
      ─▶ 履约验收 acceptance of each deliverable ─▶ payment through the funds ledger
      ─▶ 履约评价 performance evaluation (evidence of the organization's own evaluation)

A lot's status is a state machine given as data (:data:`TRANSITIONS`), like the cases' and the
organizations'; :func:`next_status` is the only way it changes::

    open ─open_bids─▶ opened ─award─▶ awarded ─sign─▶ contracted
    open ─open_bids (too few valid bids)─▶ failed              (流标)
    awarded ─challenge─▶ challenged ─dismiss─▶ awarded        (质疑不成立)
    challenged ─uphold─▶ opened                                 (质疑成立: award annulled)
    open, opened, awarded, challenged ─cancel─▶ cancelled       (终止)

The procedures (采购方式) are data too (:class:`ProcedureRules`): 公开招标, 竞争性磋商 and
单一来源 with their time limits in working days, the least number of bidders and of panel
members. A sealed bid is committed to with :func:`bid_commitment` (SHA-256 of its canonical
text and a random nonce); the commitment is published when the bid is received, and the bid is
checked against it at opening, so a change after the deadline shows even when made by someone
with the database's password. This module is pure: no I/O, no hooks, no clock.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

import attrs

from community_governance.domain.funds import FEN, to_money
from community_governance.errors import InvalidTransition, ValidationError

__all__ = [
    "DEFAULT_CRITERIA",
    "DEFAULT_PROCEDURES",
    "TRANSITIONS",
    "Bid",
    "Conflict",
    "Contract",
    "ContractStatus",
    "Criterion",
    "CriterionKind",
    "Deliverable",
    "Instalment",
    "Lot",
    "LotEvent",
    "LotStatus",
    "Need",
    "Objection",
    "PanelMember",
    "PerformanceEvaluation",
    "Procedure",
    "ProcedureRules",
    "Project",
    "RankedBid",
    "Tender",
    "TenderPayment",
    "allowed_events",
    "bid_commitment",
    "canonical_bid",
    "check_criteria",
    "check_schedule",
    "next_status",
    "price_score",
    "rank_bids",
    "verify_commitment",
]

_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_HUNDREDTH = Decimal("0.01")


def _check_code(value: object, what: str) -> str:
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise ValidationError(
            f"{what} code {value!r} must be lower-case letters, digits and _ (at most 40), "
            "starting with a letter, e.g. 'service_plan'", path="code")
    return value


# ------------------------------------------------------------------------------ procedures


class Procedure(enum.StrEnum):
    """The procurement procedure (采购方式)."""

    OPEN = "open"  #: 公开招标
    COMPETITIVE_CONSULTATION = "competitive_consultation"  #: 竞争性磋商
    SINGLE_SOURCE = "single_source"  #: 单一来源

    @property
    def chinese(self) -> str:
        """The Chinese term, e.g. ``公开招标``."""
        return _PROCEDURE_CN[self]


_PROCEDURE_CN = {Procedure.OPEN: "公开招标", Procedure.COMPETITIVE_CONSULTATION: "竞争性磋商",
                 Procedure.SINGLE_SOURCE: "单一来源"}


def _whole(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{name} must be a whole number {low}-{high}, got {value!r}",
                              path=name)
    return value


@attrs.frozen
class ProcedureRules:
    """The rules of a procurement procedure in a place (采购方式及其时限).

    Attributes:
        procedure: the procedure.
        bid_days: working days from the notice to the bid deadline (等标期), on the calendar
            of the place.
        standstill_days: working days after the award notice during which a bidder may
            object (质疑期); the contract is signed only after them.
        min_bidders: valid bids the opening needs, else the lot fails (流标).
        max_bidders: at most this many bids per lot (1 for 单一来源), or ``None``.
        min_panel: members the scoring panel needs (评标委员会/磋商小组).
    """

    procedure: Procedure = attrs.field(converter=Procedure)
    bid_days: int
    standstill_days: int
    min_bidders: int
    max_bidders: int | None = None
    min_panel: int = 3

    def __attrs_post_init__(self) -> None:
        _whole(self.bid_days, "bid_days", 1, 60)
        _whole(self.standstill_days, "standstill_days", 1, 30)
        _whole(self.min_bidders, "min_bidders", 1, 20)
        _whole(self.min_panel, "min_panel", 1, 25)
        if self.max_bidders is not None:
            _whole(self.max_bidders, "max_bidders", self.min_bidders, 100)


#: The national procedures: 公开招标 (15 working days to bid, ≥3 bids, a panel of 5),
#: 竞争性磋商 (8 working days, ≥2 bids, 3), 单一来源 (5 working days of publicity, exactly one
#: bid, 3); seven working days for objections after each award.
DEFAULT_PROCEDURES: Mapping[Procedure, ProcedureRules] = {
    Procedure.OPEN: ProcedureRules(Procedure.OPEN, 15, 7, 3, None, 5),
    Procedure.COMPETITIVE_CONSULTATION: ProcedureRules(
        Procedure.COMPETITIVE_CONSULTATION, 8, 7, 2, None, 3),
    Procedure.SINGLE_SOURCE: ProcedureRules(Procedure.SINGLE_SOURCE, 5, 7, 1, 1, 3),
}


# ------------------------------------------------------------------------------ criteria


class CriterionKind(enum.StrEnum):
    """How a scoring criterion is scored (评分因素类型)."""

    PRICE = "price"  #: 价格分: computed, lowest valid price / this price × weight
    QUALITY = "quality"  #: 评审分: each panel member marks 0 to the weight


@attrs.frozen
class Criterion:
    """A scoring criterion (评分因素) with its weight on a 100-point scale.

    Attributes:
        code: a stable code, e.g. ``service_plan``.
        name: the Chinese name, e.g. ``服务方案``.
        weight: its points (all criteria add up to 100).
        kind: price (computed) or quality (marked by the panel).
        name_en: the English name.
    """

    code: str
    name: str
    weight: int
    kind: CriterionKind = attrs.field(default=CriterionKind.QUALITY, converter=CriterionKind)
    name_en: str = ""

    def __attrs_post_init__(self) -> None:
        _check_code(self.code, "criterion")
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError(f"criterion {self.code} needs a name", path="name")
        _whole(self.weight, f"weight of {self.code}", 1, 100)


def check_criteria(criteria: Iterable[Criterion]) -> tuple[Criterion, ...]:
    """Check a set of criteria: distinct codes, weights adding up to 100, at most one price
    criterion.

    Raises:
        ValidationError: the rule broken, and how to fix it.
    """
    items = tuple(criteria)
    if not items or not all(isinstance(c, Criterion) for c in items):
        raise ValidationError("expected a non-empty list of Criterion values", path="criteria")
    codes = [c.code for c in items]
    if len(set(codes)) != len(codes):
        raise ValidationError(f"criterion codes repeat: {codes}", path="criteria")
    total = sum(c.weight for c in items)
    if total != 100:
        raise ValidationError(f"criterion weights add up to {total}, not 100; adjust the "
                              "weights", path="criteria")
    if sum(c.kind is CriterionKind.PRICE for c in items) > 1:
        raise ValidationError("at most one price criterion (价格分) per tender",
                              path="criteria")
    return items


#: The national criteria for purchased services: 价格 30 (computed), 服务方案 30, 类似项目经验
#: 20, 人员配备 20 (marked by the panel).
DEFAULT_CRITERIA: tuple[Criterion, ...] = (
    Criterion("price", "价格", 30, CriterionKind.PRICE, "price"),
    Criterion("service_plan", "服务方案", 30, CriterionKind.QUALITY, "service plan"),
    Criterion("experience", "类似项目经验", 20, CriterionKind.QUALITY, "similar projects"),
    Criterion("team", "人员配备", 20, CriterionKind.QUALITY, "staffing"),
)


# ------------------------------------------------------------------------------ lifecycle


class LotStatus(enum.StrEnum):
    """The status of a lot (标段状态)."""

    OPEN = "open"  #: 投标中
    OPENED = "opened"  #: 已开标 (评标中)
    AWARDED = "awarded"  #: 已中标 (质疑期)
    CHALLENGED = "challenged"  #: 质疑处理中
    CONTRACTED = "contracted"  #: 已签合同
    FAILED = "failed"  #: 流标
    CANCELLED = "cancelled"  #: 已终止

    @property
    def chinese(self) -> str:
        """The Chinese term, e.g. ``已开标``."""
        return _STATUS_CN[self]


_STATUS_CN = {LotStatus.OPEN: "投标中", LotStatus.OPENED: "已开标",
              LotStatus.AWARDED: "已中标（质疑期）", LotStatus.CHALLENGED: "质疑处理中",
              LotStatus.CONTRACTED: "已签合同", LotStatus.FAILED: "流标",
              LotStatus.CANCELLED: "已终止"}


class LotEvent(enum.StrEnum):
    """What happens to a lot (标段操作); each is one recorded transition."""

    PUBLISH = "publish"  #: 发布招标公告 (creates the lot)
    OPEN_BIDS = "open_bids"  #: 开标
    FAIL = "fail"  #: 流标 (too few valid bids at opening)
    AWARD = "award"  #: 中标
    CHALLENGE = "challenge"  #: 质疑
    UPHOLD = "uphold"  #: 质疑成立 (the award is annulled)
    DISMISS = "dismiss"  #: 质疑不成立
    SIGN = "sign"  #: 签订合同
    CANCEL = "cancel"  #: 终止

    @property
    def chinese(self) -> str:
        """The Chinese term, e.g. ``开标``."""
        return _EVENT_CN[self]


_EVENT_CN = {LotEvent.PUBLISH: "发布招标公告", LotEvent.OPEN_BIDS: "开标", LotEvent.FAIL: "流标",
             LotEvent.AWARD: "中标", LotEvent.CHALLENGE: "质疑", LotEvent.UPHOLD: "质疑成立",
             LotEvent.DISMISS: "质疑不成立", LotEvent.SIGN: "签订合同", LotEvent.CANCEL: "终止"}

S = LotStatus
E = LotEvent

#: The lifecycle of a lot as data: ``(status, event) → new status``; ``None`` is "no lot yet".
TRANSITIONS: Mapping[tuple[LotStatus | None, LotEvent], LotStatus] = {
    (None, E.PUBLISH): S.OPEN,
    (S.OPEN, E.OPEN_BIDS): S.OPENED,
    (S.OPEN, E.FAIL): S.FAILED,
    (S.OPENED, E.AWARD): S.AWARDED,
    (S.AWARDED, E.CHALLENGE): S.CHALLENGED,
    (S.CHALLENGED, E.UPHOLD): S.OPENED,
    (S.CHALLENGED, E.DISMISS): S.AWARDED,
    (S.AWARDED, E.SIGN): S.CONTRACTED,
    **{(s, E.CANCEL): S.CANCELLED for s in (S.OPEN, S.OPENED, S.AWARDED, S.CHALLENGED)},
}

#: What to do in each status to move on (for messages and the docs).
WAY_FORWARD: Mapping[LotStatus, str] = {
    S.OPEN: "wait for the bid deadline, then open the bids (cgov tenders open)",
    S.OPENED: "have every panel member score every valid bid, then award (cgov tenders award)",
    S.AWARDED: "wait for the end of the standstill period, then sign the contract "
               "(cgov tenders sign)",
    S.CHALLENGED: "answer the objection (cgov tenders answer --uphold/--dismiss)",
    S.CONTRACTED: "accept the deliverables and pay the instalments",
    S.FAILED: "none: publish a new tender for the project",
    S.CANCELLED: "none: publish a new tender for the project",
}


def next_status(status: LotStatus | None, event: LotEvent) -> LotStatus:
    """The status a lot reaches when ``event`` happens to it in ``status``.

    Raises:
        InvalidTransition: the lifecycle does not allow ``event`` in ``status``; the message
            names the events allowed and the way forward.
    """
    event = LotEvent(event)
    found = TRANSITIONS.get((status, event))
    if found is None:
        here = f"{status.chinese} ({status.value})" if status is not None else "(none)"
        allowed = ", ".join(e.value for e in allowed_events(status)) or "none"
        forward = f"; to move on: {WAY_FORWARD[status]}" if status is not None else ""
        raise InvalidTransition(
            f"{event.value} ({event.chinese}) is not allowed for a lot {here}; allowed from "
            f"here: {allowed}{forward}")
    return found


def allowed_events(status: LotStatus | None) -> list[LotEvent]:
    """The events the lifecycle allows in ``status``, in table order."""
    return [e for (s, e) in TRANSITIONS if s == status]


# ------------------------------------------------------------------------------ sealed bids


def canonical_bid(*, lot_id: int, org_id: str, price: Decimal, proposal: str,
                  marks_claimed: Mapping[str, str] | None = None) -> str:
    """The canonical text of a sealed bid (投标文件): JSON with sorted keys, the price in fen.

    The same bid always gives the same text, on every backend and in every process.
    """
    body = {"lot_id": int(lot_id), "org_id": str(org_id),
            "price_fen": int((to_money(price) * 100).to_integral_value()),
            "proposal": str(proposal), "claims": dict(sorted((marks_claimed or {}).items()))}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def bid_commitment(sealed: str, nonce: str) -> str:
    """The commitment to a sealed bid (投标承诺值): SHA-256 of the nonce, a newline and the
    canonical text, as 64 lowercase hex digits.

    The random nonce keeps a low price from being guessed by hashing candidates before the
    opening; it is given to the bidder with the receipt and kept with the bid.
    """
    if not nonce or not isinstance(nonce, str):
        raise ValidationError("a commitment needs a non-empty nonce", path="nonce")
    h = hashlib.sha256(nonce.encode())
    h.update(b"\n")
    h.update(sealed.encode())
    return h.hexdigest()


def verify_commitment(sealed: str, nonce: str, commitment: str) -> bool:
    """Whether ``sealed`` with ``nonce`` is the bid ``commitment`` was published for."""
    return hmac.compare_digest(bid_commitment(sealed, nonce), commitment)


# ------------------------------------------------------------------------------ scoring


def price_score(price: Decimal, lowest: Decimal, weight: int) -> Decimal:
    """The price score (价格分, 低价优先法): ``lowest / price × weight``, to 0.01."""
    if price <= 0 or lowest <= 0:
        raise ValidationError("prices must be positive", path="price")
    return (lowest / price * weight).quantize(_HUNDREDTH, ROUND_HALF_UP)


@attrs.frozen
class Conflict:
    """A tie between a panel member and a bidder (利害关系), declared or found in the records.

    Attributes:
        member_id: the panel member.
        org_id: the bidding organization.
        reason: what ties them, e.g. ``declared``, ``staff``, ``household``, ``party``,
            ``volunteer``.
        detail: a sentence saying how (names masked).
    """

    member_id: str
    org_id: str
    reason: str
    detail: str


@attrs.frozen
class RankedBid:
    """One line of the scoring result (评标结果).

    Attributes:
        bid_id: the bid.
        org_id: the bidder.
        price: its price.
        price_score: the computed price points.
        quality_score: the mean of the panel's quality marks (members who scored it).
        total: the two added.
        scorers: how many members scored it.
        rank: 1 for the best.
    """

    bid_id: int
    org_id: str
    price: Decimal
    price_score: Decimal
    quality_score: Decimal
    total: Decimal
    scorers: int
    rank: int


def rank_bids(criteria: Sequence[Criterion], bids: Sequence[tuple[int, str, Decimal, int]],
              marks: Mapping[int, Mapping[str, Mapping[str, Decimal]]]) -> list[RankedBid]:
    """Rank the valid bids of a lot (综合评分法).

    Args:
        criteria: the tender's criteria.
        bids: ``(bid_id, org_id, price, order received)`` of every valid bid.
        marks: per bid, per member, the member's quality marks by criterion code.

    Returns:
        The bids best first: highest total, then lower price, then received earlier.

    Raises:
        ValidationError: a bid nobody scored, or a member's sheet missing a criterion.
    """
    quality = [c for c in criteria if c.kind is CriterionKind.QUALITY]
    price_c = next((c for c in criteria if c.kind is CriterionKind.PRICE), None)
    if not bids:
        return []
    lowest = min(p for _, _, p, _ in bids)
    lines = []
    for bid_id, org_id, price, order in bids:
        sheets = marks.get(bid_id, {})
        if quality and not sheets:
            raise ValidationError(f"bid #{bid_id} has no scores; have the panel score it",
                                  path="marks")
        sums = []
        for member, sheet in sheets.items():
            missing = [c.code for c in quality if c.code not in sheet]
            if missing:
                raise ValidationError(f"member {member}'s sheet for bid #{bid_id} lacks "
                                      f"{missing}", path="marks")
            sums.append(sum((Decimal(sheet[c.code]) for c in quality), Decimal(0)))
        q = (sum(sums, Decimal(0)) / len(sums)).quantize(_HUNDREDTH, ROUND_HALF_UP) \
            if sums else Decimal("0.00")
        p = price_score(price, lowest, price_c.weight) if price_c else Decimal("0.00")
        lines.append((bid_id, org_id, price, p, q, p + q, len(sums), order))
    lines.sort(key=lambda x: (-x[5], x[2], x[7]))
    return [RankedBid(b, o, pr, p, q, t, n, i + 1)
            for i, (b, o, pr, p, q, t, n, _) in enumerate(lines)]


# ------------------------------------------------------------------------------ contracts


@attrs.frozen
class Deliverable:
    """A deliverable of a contract (交付成果); its due date is a milestone (履约节点).

    Attributes:
        code: a stable code, e.g. ``q1_report``.
        name: what is delivered, e.g. ``第一季度服务报告``.
        due: the day it is due.
    """

    code: str
    name: str
    due: dt.date

    def __attrs_post_init__(self) -> None:
        _check_code(self.code, "deliverable")
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError(f"deliverable {self.code} needs a name", path="name")
        if isinstance(self.due, dt.datetime) or not isinstance(self.due, dt.date):
            raise ValidationError(f"deliverable {self.code}: due must be a date",
                                  path="due")


def _money(value: object) -> Decimal:
    return to_money(value, path="amount")


@attrs.frozen
class Instalment:
    """An instalment of a contract's payment schedule (付款计划), paid once its deliverable is
    accepted.

    Attributes:
        number: 1, 2, ... in order.
        amount: CNY.
        deliverable: the code of the deliverable whose acceptance releases it.
    """

    number: int
    amount: Decimal = attrs.field(converter=_money)
    deliverable: str

    def __attrs_post_init__(self) -> None:
        _whole(self.number, "number", 1, 100)
        if self.amount <= 0:
            raise ValidationError(f"instalment {self.number}: the amount must be positive",
                                  path="amount")


def check_schedule(amount: Decimal, start: dt.date, end: dt.date,
                   deliverables: Sequence[Deliverable], instalments: Sequence[Instalment]
                   ) -> None:
    """Check a contract's terms: deliverables within the term with distinct codes, instalments
    numbered 1..n, each tied to a deliverable, adding up exactly to the contract amount.

    Raises:
        ValidationError: the rule broken and the fix.
    """
    if not start <= end:
        raise ValidationError(f"the term {start}..{end} ends before it starts", path="end")
    if not deliverables:
        raise ValidationError("a contract needs at least one deliverable", path="deliverables")
    codes = [d.code for d in deliverables]
    if len(set(codes)) != len(codes):
        raise ValidationError(f"deliverable codes repeat: {codes}", path="deliverables")
    outside = [d.code for d in deliverables if not start <= d.due <= end]
    if outside:
        raise ValidationError(f"deliverables {outside} fall due outside the term "
                              f"{start}..{end}", path="deliverables")
    numbers = [i.number for i in instalments]
    if numbers != list(range(1, len(instalments) + 1)):
        raise ValidationError(f"instalments must be numbered 1..{len(instalments)} in order, "
                              f"got {numbers}", path="instalments")
    unknown = sorted({i.deliverable for i in instalments} - set(codes))
    if unknown:
        raise ValidationError(f"instalments name deliverables {unknown} the contract does not "
                              f"list; use one of {codes}", path="instalments")
    total = sum((i.amount for i in instalments), Decimal("0.00"))
    if total != amount:
        raise ValidationError(f"the instalments add up to {total}, not the contract amount "
                              f"{amount.quantize(FEN)}; the schedule must pay exactly the "
                              "contract", path="instalments")


# ------------------------------------------------------------------------------ records


class ContractStatus(enum.StrEnum):
    """The status of a contract (合同状态)."""

    ACTIVE = "active"  #: 履约中
    COMPLETED = "completed"  #: 已完成 (performance evaluated)

    @property
    def chinese(self) -> str:
        """The Chinese term."""
        return {"active": "履约中", "completed": "已完成"}[self.value]


@attrs.frozen
class Need:
    """A need for a purchased service (购买服务需求) raised by a community or sub-district.

    Attributes:
        id: its key.
        unit_code: the community or sub-district that raised it.
        title: what is needed, e.g. ``老年人日间照料``.
        category: a code, e.g. ``elderly_day_care``.
        description: the need in a few sentences.
        estimate: the estimated cost, CNY.
        raised_on: the day.
        project_id: the project that answers it, once there is one.
    """

    id: str
    unit_code: str
    title: str
    category: str
    description: str
    estimate: Decimal
    raised_on: dt.date
    project_id: str | None = None


@attrs.frozen
class Project:
    """A purchase-of-services project (政府购买服务项目) with its budget reserved in the funds
    ledger (预算占用).

    Attributes:
        id: its key.
        need_id: the need it answers.
        community_code: the community whose books pay it.
        title: its title.
        category: the service category.
        budget: the amount reserved, CNY.
        account: the expense account paying it.
        year: the budget year.
        reservation_id: the funds reservation.
        status: ``planned``, ``tendering``, ``contracted`` or ``closed``.
        created_on: the day.
    """

    id: str
    need_id: str
    community_code: str
    title: str
    category: str
    budget: Decimal
    account: str
    year: int
    reservation_id: int
    status: str
    created_on: dt.date


@attrs.frozen
class Lot:
    """A lot of a tender (标段), the unit that is awarded and contracted.

    Attributes:
        id: its number.
        tender_id: the tender.
        number: 1, 2, ... within the tender.
        title: what it buys.
        budget: the ceiling price (最高限价), CNY.
        kinds: the organization kinds eligible (empty: any).
        min_grade: the least valid grade eligible (``None``: any active organization).
        status: its status.
        winner_bid_id: the winning bid, once awarded.
        awarded_on: the day of the award notice.
        standstill_until: the last day objections are received (质疑截止).
        standstill_provisional: that day was counted on a provisional calendar.
        seq: the number of its transitions.
    """

    id: int
    tender_id: str
    number: int
    title: str
    budget: Decimal
    kinds: tuple[str, ...]
    min_grade: str | None
    status: LotStatus
    winner_bid_id: int | None = None
    awarded_on: dt.date | None = None
    standstill_until: dt.date | None = None
    standstill_provisional: bool = False
    seq: int = 1


@attrs.frozen
class Tender:
    """A tender notice (招标公告) of a project.

    Attributes:
        id: its key.
        project_id: the project.
        title: its title.
        procedure: the procedure and its rules as they were at publication.
        criteria: the scoring criteria and weights (from the place's hook).
        published_on: the day of the notice.
        deadline: the bid deadline, which is also the opening time (投标截止/开标时间), UTC.
        deadline_provisional: the deadline was counted on a provisional calendar year.
        lots: its lots.
    """

    id: str
    project_id: str
    title: str
    procedure: ProcedureRules
    criteria: tuple[Criterion, ...]
    published_on: dt.date
    deadline: dt.datetime
    deadline_provisional: bool
    lots: tuple[Lot, ...] = ()


@attrs.frozen
class Bid:
    """A bid (投标) as it may be shown: before the opening only its commitment.

    Attributes:
        id: its number.
        lot_id: the lot.
        org_id: the bidder.
        received_at: when it was received (UTC).
        commitment: SHA-256 of the sealed bid and its nonce (published at submission).
        price: its price, once opened (``None`` while sealed).
        proposal: its proposal summary, once opened.
        valid: ``None`` while sealed; after the opening whether it matched its commitment.
        nonce: the nonce, given to the bidder with the receipt only.
    """

    id: int
    lot_id: int
    org_id: str
    received_at: dt.datetime
    commitment: str
    price: Decimal | None = None
    proposal: str | None = None
    valid: bool | None = None
    nonce: str | None = None


@attrs.frozen
class PanelMember:
    """A member of a tender's scoring panel (评标委员会成员).

    Attributes:
        tender_id: the tender.
        member_id: the person's key (a resident or a staff member).
        name: the name, masked (张*).
        declared: organizations the member declared a tie with (主动申报回避).
    """

    tender_id: str
    member_id: str
    name: str
    declared: tuple[str, ...] = ()


@attrs.frozen
class Objection:
    """An objection to an award (质疑) and its answer.

    Attributes:
        id: its number.
        lot_id: the lot.
        org_id: the bidder objecting.
        text: what it objects to.
        filed_on: the day.
        upheld: ``None`` while open, then whether it was upheld.
        reply: the answer (质疑答复).
        answered_on: the day of the answer.
    """

    id: int
    lot_id: int
    org_id: str
    text: str
    filed_on: dt.date
    upheld: bool | None = None
    reply: str = ""
    answered_on: dt.date | None = None


@attrs.frozen
class TenderPayment:
    """An instalment requested as a funds disbursement (合同付款).

    Attributes:
        contract_id: the contract.
        number: the instalment.
        amount: CNY.
        deliverable: the accepted deliverable releasing it.
        disbursement_id: the disbursement of the funds ledger.
        state: the disbursement's state (requested, approved, paid, rejected).
    """

    contract_id: str
    number: int
    amount: Decimal
    deliverable: str
    disbursement_id: int
    state: str


@attrs.frozen
class Contract:
    """A purchase-of-services contract (政府购买服务合同).

    Attributes:
        id: its key.
        lot_id: the lot it was awarded from.
        project_id: the project.
        org_id: the contractor (承接主体).
        org_name: its name.
        amount: CNY (the winning price).
        signed_on: the day.
        start: the first day of service.
        end: the last day.
        deliverables: the deliverables, with their due dates (milestones).
        instalments: the payment schedule.
        accepted: the deliverables accepted so far (履约验收), by code with the day.
        status: active or completed.
    """

    id: str
    lot_id: int
    project_id: str
    org_id: str
    org_name: str
    amount: Decimal
    signed_on: dt.date
    start: dt.date
    end: dt.date
    deliverables: tuple[Deliverable, ...]
    instalments: tuple[Instalment, ...]
    accepted: Mapping[str, dt.date] = attrs.field(factory=dict)
    status: ContractStatus = ContractStatus.ACTIVE


@attrs.frozen
class PerformanceEvaluation:
    """The performance evaluation of a contract (履约评价), 0-100 points; evidence of the
    organization's own evaluation (:class:`~community_governance.domain.orgs.EvidenceSource`
    ``performance``).

    Attributes:
        contract_id: the contract.
        org_id: the contractor.
        score: 0-100.
        on: the day.
        evaluators: who evaluated.
        note: the findings.
    """

    contract_id: str
    org_id: str
    score: int
    on: dt.date
    evaluators: tuple[str, ...]
    note: str = ""
