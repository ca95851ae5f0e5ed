"""Market actors in community services (市场主体), owners' committees (业主委员会), the
"three supplies and one property" handover (三供一业移交) and the catalogue of community services
with their fees (免费服务与有偿服务相结合).

Pure rules: no I/O, no hooks, no clock (functions that need "today" take it).

The owners' vote follows Article 278 of the Civil Code (民法典第二百七十八条): a decision needs
the participation of owners holding at least two thirds of the exclusive area **and** at least
two thirds of the owners; it then needs, of those participating, more than half of the area and
more than half of the owners (ordinary matters, items 1-5 and 9), or at least three quarters of
the area and of the owners (items 6-8: raising maintenance funds, rebuilding, changing the use
of common parts). In Chinese law "以上" includes the figure itself (Art. 1259) and "过半数" does
not: both are kept exactly, with fractions, never floats.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction

import attrs

from community_governance.domain.pii_text import published
from community_governance.domain.units import UnitKind, validate_unit_code
from community_governance.errors import ConflictError, InvalidTransition, ValidationError

__all__ = [
    "CIVIL_CODE_278",
    "HANDOVER_TRANSITIONS",
    "MAJOR_MATTERS",
    "AgreementKind",
    "Ballot",
    "CommitteeRole",
    "CommunityService",
    "CompoundManagement",
    "FeeBasis",
    "FundingAgreement",
    "HandoverRecord",
    "HandoverStatus",
    "MarketActor",
    "OwnersCommittee",
    "OwnersCommitteeMember",
    "OwnersMatter",
    "OwnersVoteResult",
    "OwnersVoteRule",
    "PartyKind",
    "ServiceContract",
    "ServiceKind",
    "Threshold",
    "Utility",
    "check_committee",
    "check_contract_overlap",
    "check_credit_code",
    "classify_compound",
    "count_owner_votes",
    "is_at_least_as_strict",
    "next_handover_status",
    "owners_rule",
]


def _text(value: str) -> str:
    return value.strip() if isinstance(value, str) else value


def _money(value: object, path: str) -> Decimal:
    if isinstance(value, (bool, float)) or not isinstance(
            value, (Decimal, int, str)):
        raise ValidationError(f"{path} is money: give a Decimal, an int or a string such as "
                              f"'12.50', not {type(value).__name__}", path=path)
    try:
        amount = Decimal(value)
    except ArithmeticError:
        raise ValidationError(f"{path} {value!r} is not an amount of money", path=path) from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(f"{path} {value!r} is money to the fen (two places at most)",
                              path=path)
    if amount < 0:
        raise ValidationError(f"{path} cannot be negative, got {amount}", path=path)
    return amount.quantize(Decimal("0.01"))


def _money_field(value: object) -> Decimal:
    return _money(value, "amount")


def _subsidy(value: object) -> Decimal:
    return _money(value, "subsidy_removed")


def _kind_or_none(value: object) -> ServiceKind | None:
    return None if value is None else ServiceKind(str(value))


def _area(value: object, path: str = "area") -> Decimal:
    """Floor area in m² to 0.01 m², positive."""
    if isinstance(value, (bool, float)) or not isinstance(
            value, (Decimal, int, str)):
        raise ValidationError(f"{path} is an area in m²: give a Decimal, an int or a string "
                              f"such as '86.42', not {type(value).__name__}", path=path)
    try:
        area = Decimal(value)
    except ArithmeticError:
        raise ValidationError(f"{path} {value!r} is not an area", path=path) from None
    if not area.is_finite() or area <= 0 or area != area.quantize(Decimal("0.01")):
        raise ValidationError(f"{path} {value!r}: an owner's exclusive area is more than 0 m², "
                              "to 0.01 m² at most", path=path)
    return area.quantize(Decimal("0.01"))


# ------------------------------------------------------------------------------ market actors


class ServiceKind(enum.StrEnum):
    """The community services market actors are contracted for (市场主体参与社区服务)."""

    PROPERTY = "property_management"  #: 物业管理
    DOMESTIC = "domestic"  #: 家政服务
    WASTE_SORTING = "waste_sorting"  #: 垃圾分类
    REPAIR = "repair"  #: 设施修理
    ELDERLY_CARE = "elderly_care"  #: 居家养老

    @property
    def chinese(self) -> str:
        """The Chinese name of the service."""
        return _SERVICE_CHINESE[self]


_SERVICE_CHINESE = {
    ServiceKind.PROPERTY: "物业管理",
    ServiceKind.DOMESTIC: "家政服务",
    ServiceKind.WASTE_SORTING: "垃圾分类",
    ServiceKind.REPAIR: "设施修理",
    ServiceKind.ELDERLY_CARE: "居家养老",
}

_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_credit_code(code: str) -> str:
    """Check a unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters of
    ``0-9`` and the capitals other than I, O, Z, S, V, the last a check character (MOD 31).

    Returns:
        The code, upper-cased.

    Raises:
        ValidationError: wrong length, a character outside the set, or a wrong check character.
    """
    text = code.strip().upper() if isinstance(code, str) else code
    if not isinstance(text, str) or len(text) != 18 or any(c not in _CREDIT_CHARS for c in text):
        raise ValidationError(
            f"credit code {code!r} is not a unified social credit code (统一社会信用代码): 18 "
            "characters of 0-9 and A-Y without I, O, S, V, Z, e.g. '91411281MA44XXXX0X'",
            path="credit_code")
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(text, _CREDIT_WEIGHTS, strict=False))
    expected = _CREDIT_CHARS[(31 - total % 31) % 31]
    if text[17] != expected:
        raise ValidationError(
            f"credit code {text}: the check character is {text[17]!r}, but the first 17 "
            f"characters give {expected!r} (GB 32100-2015): check the code on the business "
            "licence", path="credit_code")
    return text


def _kinds(value: Iterable[ServiceKind | str]) -> tuple[ServiceKind, ...]:
    return tuple(sorted({ServiceKind(v) for v in value}))


@attrs.frozen
class MarketActor:
    """A market actor in community services (市场主体): a property-management company
    (物业服务企业), a domestic-service, waste-sorting, repair or home-based elderly-care company.

    Attributes:
        id: key.
        county_code: the county whose registry holds it (6 digits).
        name: the registered name (published).
        kinds: the services it offers.
        credit_code: its unified social credit code (统一社会信用代码), if known.
        partner_id: for a property company, its record as a partner unit (共建单位 of kind
            ``property_company``), through which its party organization (物业党组织) hangs under
            the general committee of each community it serves; ``None`` otherwise.
    """

    id: str
    county_code: str
    name: str = attrs.field(converter=_text, validator=published)
    kinds: tuple[ServiceKind, ...] = attrs.field(converter=_kinds)
    credit_code: str | None = None
    partner_id: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.id or not self.name:
            raise ValidationError("a market actor needs a key and a name", path="name")
        validate_unit_code(UnitKind.COUNTY, self.county_code)
        if not self.kinds:
            raise ValidationError(
                f"market actor {self.id}: name at least one service it offers, among "
                f"{[k.value for k in ServiceKind]}", path="kinds")
        if self.credit_code is not None:
            object.__setattr__(self, "credit_code", check_credit_code(self.credit_code))
        if self.partner_id is not None and ServiceKind.PROPERTY not in self.kinds:
            raise ValidationError(
                f"market actor {self.id}: only a property-management company (物业服务企业) is "
                "linked to a partner unit for its party organization; drop partner_id or add "
                "the service property_management", path="partner_id")


class FeeBasis(enum.StrEnum):
    """How a contract's fee is counted (收费方式)."""

    PER_M2_MONTH = "per_m2_month"  #: 元/平方米·月 (物业费)
    PER_HOUSEHOLD_MONTH = "per_household_month"  #: 元/户·月
    PER_YEAR = "per_year"  #: 元/年 (a lump sum)
    PER_SERVICE = "per_service"  #: 元/次

    @property
    def chinese(self) -> str:
        """The unit as written on a price notice."""
        return {"per_m2_month": "元/㎡·月", "per_household_month": "元/户·月",
                "per_year": "元/年", "per_service": "元/次"}[self.value]


@attrs.frozen
class ServiceContract:
    """A service contract (服务合同) of a market actor for a compound (小区).

    Attributes:
        id: key.
        company_id: the market actor.
        compound_code: the compound served.
        service: what it does there.
        start: first day.
        end: last day (``None``: open-ended).
        fee: the fee (CNY, ``Decimal`` to the fen) per ``basis``.
        basis: how the fee is counted.
    """

    id: str
    company_id: str
    compound_code: str
    service: ServiceKind = attrs.field(converter=ServiceKind)
    start: dt.date = attrs.field()
    end: dt.date | None = None
    fee: Decimal = attrs.field(default=Decimal("0.00"), converter=_money_field)
    basis: FeeBasis = attrs.field(default=FeeBasis.PER_M2_MONTH, converter=FeeBasis)

    def __attrs_post_init__(self) -> None:
        validate_unit_code(UnitKind.COMPOUND, self.compound_code)
        if self.end is not None and self.end < self.start:
            raise ValidationError(f"contract {self.id}: it ends ({self.end}) before it starts "
                                  f"({self.start})", path="end")

    def active_on(self, day: dt.date) -> bool:
        """Whether the contract runs on ``day`` (both ends included)."""
        return self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, other: ServiceContract) -> bool:
        """Whether the two contracts share a day."""
        return ((other.end is None or self.start <= other.end)
                and (self.end is None or other.start <= self.end))


def check_contract_overlap(existing: Iterable[ServiceContract], new: ServiceContract) -> None:
    """Refuse a second property-management contract (物业服务合同) for a compound on one day.

    A compound has one property-management company at a time (one 物业服务区域, one 物业服务人);
    other services may have several providers.

    Raises:
        ConflictError: ``new`` overlaps a property-management contract of its compound.
    """
    if new.service is not ServiceKind.PROPERTY:
        return
    for c in existing:
        if (c.id != new.id and c.compound_code == new.compound_code
                and c.service is ServiceKind.PROPERTY and c.overlaps(new)):
            raise ConflictError(
                f"compound {new.compound_code} has property-management contract {c.id} "
                f"({c.company_id}, {c.start}..{c.end or 'open'}) when {new.id} would start "
                f"({new.start}): a compound has one property company at a time; end {c.id} "
                f"the day before {new.start} first (end_contract), or start {new.id} after it")


class CompoundManagement(enum.StrEnum):
    """How a compound is managed on a day (小区管理状况)."""

    MANAGED = "managed"  #: 有物业服务企业 (a property-management contract runs)
    #: 不规范小区: no property contract runs, but someone answers for it (an owners' committee
    #: sits, or a contract has lapsed and not been renewed)
    IRREGULAR = "irregular"
    #: 三无小区: no property company, no owners' committee, no contract ever
    UNMANAGED = "unmanaged"

    @property
    def chinese(self) -> str:
        """The Chinese term."""
        return {"managed": "物业管理小区", "irregular": "不规范小区",
                "unmanaged": "三无小区"}[self.value]


def classify_compound(day: dt.date, contracts: Iterable[ServiceContract],
                      committee_sits: bool) -> CompoundManagement:
    """How a compound is managed on ``day``.

    Args:
        day: the day.
        contracts: the compound's contracts (any service; only property management counts).
        committee_sits: whether an owners' committee of the compound sits on ``day``.
    """
    prop = [c for c in contracts if c.service is ServiceKind.PROPERTY]
    if any(c.active_on(day) for c in prop):
        return CompoundManagement.MANAGED
    if committee_sits or any(c.start <= day for c in prop):
        return CompoundManagement.IRREGULAR
    return CompoundManagement.UNMANAGED


# --------------------------------------------------------------------------- owners' committee


class CommitteeRole(enum.StrEnum):
    """A seat on an owners' committee."""

    CHAIR = "chair"  #: 主任
    VICE_CHAIR = "vice_chair"  #: 副主任
    MEMBER = "member"  #: 委员


@attrs.frozen
class OwnersCommitteeMember:
    """A member of an owners' committee (业主委员会委员), an owner of the compound.

    Attributes:
        id: key.
        committee_id: the committee.
        name: the name shown (a public office).
        role: chair, vice-chair or member.
        resident_id: the resident, when registered.
    """

    id: str
    committee_id: str
    name: str = attrs.field(converter=_text, validator=published)
    role: CommitteeRole = attrs.field(default=CommitteeRole.MEMBER, converter=CommitteeRole)
    resident_id: str | None = None


@attrs.frozen
class OwnersCommittee:
    """An owners' committee (业主委员会) of a compound for a term, elected by the owners'
    assembly (业主大会) under the guidance of the residents' committee (居民委员会指导).

    Attributes:
        id: key.
        compound_code: the compound.
        guided_by: the community whose residents' committee guided the election.
        elected_on: the day of the election (the vote's day).
        term_start: first day of the term.
        term_end: last day of the term.
        members: its members.
        vote_id: the owners' vote that elected it.
    """

    id: str
    compound_code: str
    guided_by: str
    elected_on: dt.date
    term_start: dt.date
    term_end: dt.date
    members: tuple[OwnersCommitteeMember, ...] = ()
    vote_id: str | None = None

    def sits_on(self, day: dt.date) -> bool:
        """Whether the term includes ``day``."""
        return self.term_start <= day <= self.term_end


#: Members an owners' committee has: an odd number from 5 to 11 (业主大会和业主委员会指导规则
#: 第三十一条), and the longest term in years (ibid.: 每届任期不超过五年).
COMMITTEE_SIZES = (5, 7, 9, 11)
MAX_TERM_YEARS = 5


def check_committee(committee: OwnersCommittee) -> None:
    """Refuse an owners' committee that breaks the national guidance.

    The rule (业主大会和业主委员会指导规则, 2009): 5 to 11 members, an odd number; one chair;
    a term of at most five years starting no earlier than the election; the guiding
    residents' committee is the compound's own community.

    Raises:
        ValidationError: the rule broken and the fix.
    """
    c = committee
    validate_unit_code(UnitKind.COMPOUND, c.compound_code)
    if c.guided_by != c.compound_code[:12]:
        raise ValidationError(
            f"owners' committee {c.id}: the election is guided by the residents' committee of "
            f"the compound's own community {c.compound_code[:12]}, not {c.guided_by}",
            path="guided_by")
    n = len(c.members)
    if n not in COMMITTEE_SIZES:
        raise ValidationError(
            f"owners' committee {c.id} has {n} members: an owners' committee has an odd number "
            "from 5 to 11 (业主大会和业主委员会指导规则 第三十一条); elect "
            f"{'more' if n < 5 else 'fewer' if n > 11 else 'one more or one fewer'}",
            path="members")
    chairs = [m for m in c.members if m.role is CommitteeRole.CHAIR]
    if len(chairs) != 1:
        raise ValidationError(f"owners' committee {c.id} has {len(chairs)} chairs (主任): name "
                              "exactly one", path="members")
    if len({m.id for m in c.members}) != n or any(m.committee_id != c.id for m in c.members):
        raise ValidationError(f"owners' committee {c.id}: each member once, each naming the "
                              "committee", path="members")
    if c.term_start < c.elected_on or c.term_end < c.term_start:
        raise ValidationError(
            f"owners' committee {c.id}: the term ({c.term_start}..{c.term_end}) starts on or "
            f"after the election ({c.elected_on}) and ends after it starts", path="term_start")
    try:
        limit = c.term_start.replace(year=c.term_start.year + MAX_TERM_YEARS)
    except ValueError:  # 29 February
        limit = dt.date(c.term_start.year + MAX_TERM_YEARS, 2, 28)
    if c.term_end >= limit:
        raise ValidationError(
            f"owners' committee {c.id}: a term lasts at most {MAX_TERM_YEARS} years (每届任期不超过"
            f"五年); end it before {limit}", path="term_end")


class OwnersMatter(enum.StrEnum):
    """The matters owners decide together (业主共同决定事项, 民法典第二百七十八条)."""

    ASSEMBLY_RULES = "assembly_rules"  #: (一) 制定和修改业主大会议事规则
    MANAGEMENT_RULES = "management_rules"  #: (二) 制定和修改管理规约
    ELECT_COMMITTEE = "elect_committee"  #: (三) 选举业主委员会或者更换业主委员会成员
    HIRE_PROPERTY = "hire_property"  #: (四) 选聘和解聘物业服务企业或者其他管理人
    USE_MAINTENANCE_FUND = "use_maintenance_fund"  #: (五) 使用建筑物及其附属设施的维修资金
    RAISE_MAINTENANCE_FUND = "raise_maintenance_fund"  #: (六) 筹集建筑物及其附属设施的维修资金
    REBUILD = "rebuild"  #: (七) 改建、重建建筑物及其附属设施
    CHANGE_USE = "change_use"  #: (八) 改变共有部分的用途或者利用共有部分从事经营活动
    OTHER = "other"  #: (九) 有关共有和共同管理权利的其他重大事项

    @property
    def major(self) -> bool:
        """Whether the matter needs three quarters (items 6-8)."""
        return self in MAJOR_MATTERS


#: Items 6-8 of Art. 278: three quarters of the participating area and owners. Using the
#: maintenance funds (item 5) is an ordinary matter since the Civil Code (2021); it needed two
#: thirds under the Property Law (物权法第七十六条, 2007).
MAJOR_MATTERS = frozenset({OwnersMatter.RAISE_MAINTENANCE_FUND, OwnersMatter.REBUILD,
                           OwnersMatter.CHANGE_USE})


@attrs.frozen
class Threshold:
    """A share to reach: ``share`` or more (``inclusive``, "以上") or strictly more ("过半数").

    Attributes:
        share: the fraction, ``0 < share < 1``.
        inclusive: whether reaching it exactly is enough.
    """

    share: Fraction = attrs.field(converter=Fraction)
    inclusive: bool = True

    def __attrs_post_init__(self) -> None:
        if not 0 < self.share < 1:
            raise ValueError(f"a threshold is a share between 0 and 1, got {self.share}")

    def met(self, part: Fraction | Decimal | int, whole: Fraction | Decimal | int) -> bool:
        """Whether ``part`` of ``whole`` reaches the threshold (exactly; nothing of nothing
        reaches nothing)."""
        if whole <= 0:
            return False
        got = Fraction(part) / Fraction(whole)
        return got >= self.share if self.inclusive else got > self.share

    def words(self) -> str:
        """The threshold in words, e.g. ``at least 2/3`` or ``more than 1/2``."""
        return f"{'at least' if self.inclusive else 'more than'} {self.share}"


@attrs.frozen
class OwnersVoteRule:
    """The rule an owners' vote is counted under, for one matter: the participation needed
    (参与表决) and the approval needed of those participating (同意), each by exclusive area
    and by headcount at once.

    Attributes:
        participation: of all the area and of all the owners.
        approval: of the participating area and of the participating owners.
    """

    participation: Threshold
    approval: Threshold

    def words(self) -> str:
        """The rule in words."""
        return (f"participation {self.participation.words()} of the area and of the owners; "
                f"approval {self.approval.words()} of the participating area and owners")


def owners_rule(matter: OwnersMatter | str) -> OwnersVoteRule:
    """The rule of Art. 278 of the Civil Code for ``matter`` (the national default)."""
    m = OwnersMatter(matter)
    approval = (Threshold(Fraction(3, 4), True) if m.major
                else Threshold(Fraction(1, 2), False))
    return OwnersVoteRule(Threshold(Fraction(2, 3), True), approval)


#: The Civil Code's rules, by matter.
CIVIL_CODE_278: Mapping[OwnersMatter, OwnersVoteRule] = {m: owners_rule(m) for m in OwnersMatter}


def _stricter_or_equal(a: Threshold, b: Threshold) -> bool:
    """Whether meeting ``a`` always means meeting ``b``."""
    return a.share > b.share or (a.share == b.share and (b.inclusive or not a.inclusive))


def is_at_least_as_strict(rule: OwnersVoteRule, matter: OwnersMatter | str) -> bool:
    """Whether ``rule`` asks at least what Art. 278 asks for ``matter`` (a place or a compound's
    management rules may ask more, never less)."""
    law = owners_rule(matter)
    return (_stricter_or_equal(rule.participation, law.participation)
            and _stricter_or_equal(rule.approval, law.approval))


class Ballot(enum.StrEnum):
    """An owner's vote (表决意见)."""

    FOR = "for"  #: 同意
    AGAINST = "against"  #: 反对
    ABSTAIN = "abstain"  #: 弃权


@attrs.frozen
class OwnersVoteResult:
    """An owners' vote counted twice, by exclusive area and by headcount (双过半/双四分之三).

    Attributes:
        total_area: all exclusive area of the compound (m²).
        total_owners: all owners (one per owner, whatever the units they hold).
        area_voting: area of the owners who voted (参与表决).
        owners_voting: owners who voted.
        area_for: area of the owners who agreed.
        owners_for: owners who agreed.
        quorate: the participation threshold was met on both counts.
        carried: quorate and approved on both counts.
        rule: the rule, as words.
        reason: why it failed (empty when carried).
    """

    total_area: Decimal
    total_owners: int
    area_voting: Decimal
    owners_voting: int
    area_for: Decimal
    owners_for: int
    quorate: bool
    carried: bool
    rule: str
    reason: str = ""


def count_owner_votes(rule: OwnersVoteRule, owners: Mapping[str, Decimal | int | str],
                      ballots: Mapping[str, Ballot | str]) -> OwnersVoteResult:
    """Count an owners' vote by exclusive area and by headcount under ``rule``.

    Args:
        rule: the rule for the matter (:func:`owners_rule` for the Civil Code's).
        owners: every owner of the compound and their exclusive area in m² (one entry per
            owner: an owner of several units counts once, with the units' total area).
        ballots: owner → vote, for the owners who voted (an abstention participates).

    Raises:
        ValidationError: a ballot of someone who is not an owner, or a bad area.
    """
    areas = {k: _area(v, f"owners.{k}") for k, v in owners.items()}
    votes = {k: Ballot(v) for k, v in ballots.items()}
    for k in votes:
        if k not in areas:
            raise ValidationError(f"{k} voted but owns nothing in the compound: only owners "
                                  "(业主) vote; add their unit first", path=f"ballots.{k}")
    total_area = sum(areas.values(), Decimal("0.00"))
    total_owners = len(areas)
    area_voting = sum((areas[k] for k in votes), Decimal("0.00"))
    owners_voting = len(votes)
    yes = [k for k, v in votes.items() if v is Ballot.FOR]
    area_for = sum((areas[k] for k in yes), Decimal("0.00"))
    p, a = rule.participation, rule.approval
    reasons = []
    if not p.met(area_voting, total_area):
        reasons.append(f"owners of {area_voting} of {total_area} m² voted, "
                       f"short of {p.words()} of the area")
    if not p.met(owners_voting, total_owners):
        reasons.append(f"{owners_voting} of {total_owners} owners voted, "
                       f"short of {p.words()} of the owners")
    quorate = not reasons
    if quorate:
        if not a.met(area_for, area_voting):
            reasons.append(f"owners of {area_for} of {area_voting} m² voting agreed, "
                           f"short of {a.words()}")
        if not a.met(len(yes), owners_voting):
            reasons.append(f"{len(yes)} of {owners_voting} owners voting agreed, "
                           f"short of {a.words()}")
    return OwnersVoteResult(total_area, total_owners, area_voting, owners_voting, area_for,
                            len(yes), quorate, quorate and not reasons, rule.words(),
                            "; ".join(reasons))


# ---------------------------------------------------------------------------------- handover


class Utility(enum.StrEnum):
    """The supplies and the property management handed over (三供一业)."""

    WATER = "water"  #: 供水
    POWER = "power"  #: 供电
    GAS = "gas"  #: 供气
    HEATING = "heating"  #: 供热 (where heat, not gas, was supplied)
    PROPERTY = "property"  #: 物业管理

    @property
    def chinese(self) -> str:
        """The Chinese name."""
        return {"water": "供水", "power": "供电", "gas": "供气", "heating": "供热",
                "property": "物业管理"}[self.value]


class HandoverStatus(enum.StrEnum):
    """Where the handover of one supply of one compound stands (移交进度)."""

    PLANNED = "planned"  #: 列入计划
    AGREED = "agreed"  #: 签订移交协议
    RENOVATING = "renovating"  #: 维修改造中
    COMPLETED = "completed"  #: 完成移交

    @property
    def chinese(self) -> str:
        """The Chinese term."""
        return {"planned": "列入计划", "agreed": "签订协议", "renovating": "维修改造",
                "completed": "完成移交"}[self.value]


#: The handover's lifecycle as data: (status, event) → status.
HANDOVER_TRANSITIONS: Mapping[tuple[HandoverStatus, str], HandoverStatus] = {
    (HandoverStatus.PLANNED, "agree"): HandoverStatus.AGREED,
    (HandoverStatus.AGREED, "renovate"): HandoverStatus.RENOVATING,
    (HandoverStatus.AGREED, "complete"): HandoverStatus.COMPLETED,
    (HandoverStatus.RENOVATING, "complete"): HandoverStatus.COMPLETED,
}


def next_handover_status(current: HandoverStatus | str, event: str) -> HandoverStatus:
    """The status after ``event``.

    Raises:
        InvalidTransition: the event does not apply in ``current``.
    """
    cur = HandoverStatus(current)
    got = HANDOVER_TRANSITIONS.get((cur, event))
    if got is None:
        allowed = sorted(e for (s, e) in HANDOVER_TRANSITIONS if s is cur)
        raise InvalidTransition(
            f"a handover that is {cur.value} ({cur.chinese}) cannot {event!r}: "
            + (f"it can {', '.join(allowed)}" if allowed else "it is completed already"))
    return got


@attrs.frozen
class HandoverRecord:
    """The handover of one supply or the property management of one compound (三供一业移交).

    Attributes:
        id: key.
        compound_code: the compound.
        utility: what is handed over.
        from_party: who gives it up (移交方, e.g. 义马煤业集团).
        to_party: who takes it (接收方, e.g. the city's water company).
        handed_over_on: the day of the handover (planned or done).
        households: households concerned.
        subsidy_removed: the subsidy each household loses per year (CNY).
        status: where it stands.
    """

    id: str
    compound_code: str
    utility: Utility = attrs.field(converter=Utility)
    from_party: str = attrs.field(converter=_text, validator=published)
    to_party: str = attrs.field(converter=_text, validator=published)
    handed_over_on: dt.date = attrs.field()
    households: int = attrs.field()
    subsidy_removed: Decimal = attrs.field(converter=_subsidy)
    status: HandoverStatus = attrs.field(default=HandoverStatus.PLANNED,
                                         converter=HandoverStatus)

    def __attrs_post_init__(self) -> None:
        validate_unit_code(UnitKind.COMPOUND, self.compound_code)
        if isinstance(self.households, bool) or not isinstance(self.households, int) \
                or self.households < 1:
            raise ValidationError(f"handover {self.id}: households is a whole number of 1 or "
                                  f"more, got {self.households!r}", path="households")
        if not self.from_party or not self.to_party or self.from_party == self.to_party:
            raise ValidationError(f"handover {self.id}: name who gives it up and who takes it, "
                                  "two different parties", path="to_party")

    @property
    def subsidy_removed_total(self) -> Decimal:
        """The subsidy all its households lose per year (CNY)."""
        return self.subsidy_removed * self.households


# --------------------------------------------------------------------- services and funding


@attrs.frozen
class CommunityService:
    """A community service in the catalogue (社区服务项目), free (免费) or paid (有偿).

    Attributes:
        id: key.
        community_code: the community offering it.
        name: its name (published).
        kind: the service, when a market actor's kind (``None`` for the community's own).
        fee: the fee per ``unit`` (CNY); ``0`` for a free service.
        unit: what one fee buys (次, 小时, 月...).
        provider_id: the market actor that provides it, if any.
    """

    id: str
    community_code: str
    name: str = attrs.field(converter=_text, validator=published)
    fee: Decimal = attrs.field(default=Decimal("0.00"), converter=_money_field)
    unit: str = attrs.field(default="次", converter=_text, validator=published)
    kind: ServiceKind | None = attrs.field(default=None, converter=_kind_or_none)
    provider_id: str | None = None

    def __attrs_post_init__(self) -> None:
        validate_unit_code(UnitKind.COMMUNITY, self.community_code)
        if not self.name or not self.unit:
            raise ValidationError(f"service {self.id} needs a name and a unit (次, 小时...)",
                                  path="name")

    @property
    def free(self) -> bool:
        """Whether it is free (免费服务)."""
        return self.fee == 0


class AgreementKind(enum.StrEnum):
    """A funding agreement's kind."""

    SPONSORSHIP = "sponsorship"  #: 赞助 (with acknowledgement in return)
    DONATION = "donation"  #: 捐赠


class PartyKind(enum.StrEnum):
    """Who signs a funding agreement with a community; each is its own funds channel."""

    ENTERPRISE = "enterprise"  #: 企业
    INDIVIDUAL = "individual"  #: 个人
    NGO = "ngo"  #: 社会组织


@attrs.frozen
class FundingAgreement:
    """A sponsorship or donation agreement (赞助/捐赠协议) of a community with an enterprise, an
    individual or an NGO; money received under it is posted to the funds ledger in the
    channel of the party's kind.

    Attributes:
        id: key.
        community_code: the community.
        kind: sponsorship or donation.
        party_kind: enterprise, individual or NGO.
        party_name: who signed (an individual is named in public only with consent).
        amount: the amount agreed (CNY).
        signed_on: the day signed.
        purpose: what it pays for (published).
        consent: for an individual, whether they agreed to be named in public.
    """

    id: str
    community_code: str
    kind: AgreementKind = attrs.field(converter=AgreementKind)
    party_kind: PartyKind = attrs.field(converter=PartyKind)
    party_name: str = attrs.field(converter=_text)
    amount: Decimal = attrs.field(converter=_money_field)
    signed_on: dt.date = attrs.field()
    purpose: str = attrs.field(default="", converter=_text, validator=published)
    consent: bool = False

    def __attrs_post_init__(self) -> None:
        validate_unit_code(UnitKind.COMMUNITY, self.community_code)
        if not self.party_name:
            raise ValidationError(f"agreement {self.id}: name who signed it", path="party_name")
        if self.amount <= 0:
            raise ValidationError(f"agreement {self.id}: the amount agreed is more than 0",
                                  path="amount")
