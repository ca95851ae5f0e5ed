"""Party building (党建引领): the checked party tree, members' public board, and residents'
evaluation of party members (群众评议党员).

Pure rules: no I/O, no hooks, no clock (functions that need "today" take it).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping

import attrs

from community_governance.domain.posts import (
    PARTY_ORG_UNIT,
    PartnerKind,
    PartnerUnit,
    PartyOrg,
    PartyOrgKind,
)
from community_governance.domain.units import UnitKind
from community_governance.errors import ConflictError, ValidationError

__all__ = [
    "DEFAULT_GRADES",
    "PARENT_KIND",
    "AppealStatus",
    "Electorate",
    "EvaluationAppeal",
    "EvaluationResult",
    "EvaluationRound",
    "MemberActivity",
    "PartyMemberRecord",
    "PartyMemberView",
    "PartyReport",
    "PublicMember",
    "RoundStatus",
    "UnitFacts",
    "check_grades",
    "check_party_org",
    "evaluation_result",
]

#: The grades of 群众评议党员 in national practice, best first.
DEFAULT_GRADES: tuple[str, ...] = ("优秀", "合格", "基本合格", "不合格")

#: The level an organization's parent must have (``None``: it has no parent).
PARENT_KIND: dict[PartyOrgKind, PartyOrgKind | None] = {
    PartyOrgKind.GENERAL_COMMITTEE: None,
    PartyOrgKind.GRID_BRANCH: PartyOrgKind.GENERAL_COMMITTEE,
    PartyOrgKind.BUILDING_GROUP: PartyOrgKind.GRID_BRANCH,
    PartyOrgKind.PROPERTY_ORG: PartyOrgKind.GENERAL_COMMITTEE,
    PartyOrgKind.PARTNER_ORG: PartyOrgKind.GENERAL_COMMITTEE,
}


@attrs.frozen
class UnitFacts:
    """What the party-tree rule needs to know about the unit an organization is at.

    Attributes:
        kind: the unit's kind, or ``None`` when no such unit is stored.
        community: the community the unit is in (the unit itself for a community).
        grid: the grid of a building (``None`` when it has none), the grid itself for a grid.
    """

    kind: UnitKind | None
    community: str | None = None
    grid: str | None = None


def check_party_org(org: PartyOrg, unit: UnitFacts, parent: PartyOrg | None,
                    partner: PartnerUnit | None, *, path: str = "$") -> None:
    """Refuse a party organization whose level, place or parent does not fit the tree.

    The tree (党建引领): a 社区大党委 at a community, with no parent; a 网格党支部 at a grid,
    under the general committee of the grid's community; a 楼院党小组 at a building, under the
    branch of the building's grid; a 物业党组织 (the party organization of a property company,
    ``partner`` of kind ``property_company``) and a partner unit's own organization joined in
    共驻共建 (``partner`` of any other kind), each at a community the partner is attached to,
    under that community's general committee.

    Args:
        org: the organization to add.
        unit: facts about ``org.unit_code``.
        parent: the organization named by ``org.parent_id`` (``None`` if none or not found).
        partner: the partner unit named by ``org.partner_id`` (``None`` if none or not found).
        path: where ``org`` sits in the caller's input, for messages.

    Raises:
        ValidationError: the rule broken, and what to do instead.
    """
    kind = org.kind
    want = PARTY_ORG_UNIT[kind]
    if unit.kind is not want:
        raise ValidationError(
            f"party organization {org.id}: a {kind.chinese} ({kind.value}) is set up at a "
            f"{want.value} ({want.chinese}), but {org.unit_code} is "
            f"{unit.kind.value if unit.kind else 'not a stored unit'}: give the code of a "
            f"{want.value}", path=f"{path}.unit_code")
    parent_kind = PARENT_KIND[kind]
    if parent_kind is None:
        if org.parent_id is not None:
            raise ValidationError(
                f"party organization {org.id}: a {kind.chinese} is the top of its community's "
                f"tree and has no parent; drop parent_id {org.parent_id!r}",
                path=f"{path}.parent_id")
    else:
        expected_unit = unit.grid if kind is PartyOrgKind.BUILDING_GROUP else unit.community
        if kind is PartyOrgKind.BUILDING_GROUP and unit.grid is None:
            raise ValidationError(
                f"party organization {org.id}: building {org.unit_code} is in no grid, so its "
                f"{kind.chinese} has no 网格党支部 to belong to: put the building in a grid "
                "first", path=f"{path}.unit_code")
        if org.parent_id is None or parent is None:
            raise ValidationError(
                f"party organization {org.id}: a {kind.chinese} belongs to the "
                f"{parent_kind.chinese} ({parent_kind.value}) at {expected_unit}; "
                + ("give its key as parent_id" if org.parent_id is None
                   else f"no party organization {org.parent_id!r} exists: add it first"),
                path=f"{path}.parent_id")
        if parent.kind is not parent_kind or parent.unit_code != expected_unit:
            raise ValidationError(
                f"party organization {org.id}: a {kind.chinese} belongs to the "
                f"{parent_kind.chinese} ({parent_kind.value}) at {expected_unit}, but its "
                f"parent {parent.id} is a {parent.kind.chinese} at {parent.unit_code}: name "
                f"the {parent_kind.chinese} of {expected_unit} as parent_id",
                path=f"{path}.parent_id")
    if kind in (PartyOrgKind.PROPERTY_ORG, PartyOrgKind.PARTNER_ORG):
        wanted = ("a property company (物业公司)" if kind is PartyOrgKind.PROPERTY_ORG
                  else "a partner unit (共建单位) other than a property company")
        if org.partner_id is None or partner is None:
            raise ValidationError(
                f"party organization {org.id}: a {kind.chinese} is the organization of {wanted}"
                "; " + ("give its key as partner_id" if org.partner_id is None
                        else f"no partner unit {org.partner_id!r} exists: add it first"),
                path=f"{path}.partner_id")
        is_property = partner.kind is PartnerKind.PROPERTY_COMPANY
        if is_property != (kind is PartyOrgKind.PROPERTY_ORG):
            raise ValidationError(
                f"party organization {org.id}: a {kind.chinese} is the organization of "
                f"{wanted}, but {partner.id} is a {partner.kind.value}: use "
                f"{'property_org' if is_property else 'partner_org'} for it",
                path=f"{path}.kind")
        if org.unit_code not in partner.community_codes:
            raise ValidationError(
                f"party organization {org.id}: partner unit {partner.id} is not attached to "
                f"community {org.unit_code} (共驻共建 joins a unit with the communities it "
                "supports): attach it first (add_partner_units) or choose one of "
                f"{sorted(partner.community_codes)}", path=f"{path}.unit_code")
    elif org.partner_id is not None:
        raise ValidationError(
            f"party organization {org.id}: a {kind.chinese} is not a partner unit's "
            f"organization; drop partner_id {org.partner_id!r}", path=f"{path}.partner_id")


# --------------------------------------------------------------------------- members


@attrs.frozen
class PartyReport:
    """A member who works elsewhere registering where they live (在职党员到社区报到).

    Attributes:
        id: key.
        resident_id: the member.
        partner_id: the unit where the member works (a partner unit).
        community_code: the community where the member lives and serves.
        reported_on: the day of registration.
        end: the last day, or ``None`` while it lasts.
    """

    id: str
    resident_id: str
    partner_id: str
    community_code: str
    reported_on: dt.date
    end: dt.date | None = None


@attrs.frozen
class PartyMemberView:
    """A party member (党员) as a list shows them: the name masked unless revealed.

    Attributes:
        resident_id: the resident's key.
        name: the name (masked ``张**`` unless the caller asked and may see it).
        org_id: the organization.
        start: member of it since.
        end: until, or ``None``.
        shows_identity: the member consented to 党员亮身份.
    """

    resident_id: str
    name: str
    org_id: str
    start: dt.date
    end: dt.date | None
    shows_identity: bool


@attrs.frozen
class MemberActivity:
    """A party member's part in public activities (党员参与公益活动), from the volunteer
    service records.

    Attributes:
        resident_id: the member.
        name: the name, masked unless revealed.
        activities: activities attended.
        minutes: minutes served.
    """

    resident_id: str
    name: str
    activities: int
    minutes: int


@attrs.frozen
class PartyMemberRecord:
    """Everything the party capability holds about one member (党员档案).

    Attributes:
        resident_id: the member.
        memberships: ``(org_id, start, end)`` of each membership.
        reports: the member's registrations where they live (在职党员到社区报到).
        shows_identity: consent to 党员亮身份.
        centre_households: households linked to the member's 党员中心户 posts, open links.
        activities: activities attended (from the volunteer records).
        minutes: minutes served.
    """

    resident_id: str
    memberships: tuple[tuple[str, dt.date, dt.date | None], ...]
    reports: tuple[PartyReport, ...]
    shows_identity: bool
    centre_households: tuple[str, ...]
    activities: int
    minutes: int


@attrs.frozen
class PublicMember:
    """A line of a building's public board of members (党员亮身份公示): only members who
    consented, and no personal data beyond the name the member chose to show.

    Attributes:
        name: the member's name.
        org_name: their organization.
        centre: the member runs a 党员中心户.
    """

    name: str
    org_name: str
    centre: bool


# --------------------------------------------------------------------------- evaluation


class Electorate(enum.StrEnum):
    """Who may evaluate a party member (群众评议党员): residents of the member's grid or
    building."""

    GRID = "grid"  #: 本网格居民
    BUILDING = "building"  #: 本楼院居民


class RoundStatus(enum.StrEnum):
    """Where an evaluation round stands."""

    OPEN = "open"  #: 评议中
    CLOSED = "closed"  #: 已结束 (results computed; published above the minimum)


@attrs.frozen
class EvaluationRound:
    """An evaluation round (群众评议党员): a period, the members evaluated, the electorate and
    the grades, fixed when the round opens.

    Attributes:
        id: key.
        community_code: the community.
        title: e.g. ``2019年度群众评议党员``.
        period_start: first day of voting.
        period_end: last day of voting.
        electorate: residents of the member's grid or building.
        grades: the grades, best first.
        status: open or closed.
        min_ballots: ballots a result needs to be published (fixed at closing).
    """

    id: str
    community_code: str
    title: str
    period_start: dt.date
    period_end: dt.date
    electorate: Electorate = attrs.field(converter=Electorate)
    grades: tuple[str, ...]
    status: RoundStatus = attrs.field(converter=RoundStatus, default=RoundStatus.OPEN)
    min_ballots: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.period_end < self.period_start:
            raise ValidationError(
                f"evaluation round {self.id}: the period ends ({self.period_end}) before it "
                f"starts ({self.period_start})", path="period_end")

    def check_open_on(self, day: dt.date) -> None:
        """Refuse a ballot outside the round's period or after it closed.

        Raises:
            ConflictError: the round is closed or ``day`` is outside the period.
        """
        if self.status is not RoundStatus.OPEN:
            raise ConflictError(f"evaluation round {self.id} is closed; ballots are no longer "
                                "taken")
        if not self.period_start <= day <= self.period_end:
            raise ConflictError(
                f"evaluation round {self.id} takes ballots from {self.period_start} to "
                f"{self.period_end}, not on {day}: vote within the period")


def check_grades(grades: Iterable[str]) -> tuple[str, ...]:
    """The grades as a tuple; refused when empty, blank or repeated.

    Raises:
        ValueError: the grades are unusable (for the hook answer check).
    """
    out = tuple(grades)
    if not out or any(not isinstance(g, str) or not g.strip() or len(g) > 20 for g in out):
        raise ValueError("expected a non-empty list of grade names (at most 20 characters)")
    if len(set(out)) != len(out):
        raise ValueError(f"grades repeat: {list(out)}")
    return out


@attrs.frozen
class EvaluationResult:
    """A member's result in a round (评议结果), as published.

    Attributes:
        round_id: the round.
        member_id: the member.
        ballots: how many residents evaluated the member.
        counts: ballots per grade (best first), or ``None`` when withheld (fewer ballots than
            the round's minimum, so that no small group of voters can be singled out).
        published: whether the counts are shown.
        min_ballots: the minimum.
    """

    round_id: str
    member_id: str
    ballots: int
    counts: tuple[tuple[str, int], ...] | None
    published: bool
    min_ballots: int


def evaluation_result(round_: EvaluationRound, member_id: str,
                      tally: Mapping[str, int]) -> EvaluationResult:
    """A member's result from the round's tally: the counts only at or above the minimum.

    Raises:
        ConflictError: the round is still open (results come after it closes).
    """
    if round_.status is not RoundStatus.CLOSED or round_.min_ballots is None:
        raise ConflictError(f"evaluation round {round_.id} is still open: close it first; "
                            "results are computed after the last ballot")
    total = sum(tally.get(g, 0) for g in round_.grades)
    shown = total >= round_.min_ballots
    counts = tuple((g, tally.get(g, 0)) for g in round_.grades) if shown else None
    return EvaluationResult(round_.id, member_id, total, counts, shown, round_.min_ballots)


class AppealStatus(enum.StrEnum):
    """Where a member's appeal against an evaluation result stands (申诉)."""

    FILED = "filed"  #: 已提出
    UPHELD = "upheld"  #: 申诉成立 (the result is set aside)
    REJECTED = "rejected"  #: 维持原评议结果


@attrs.frozen
class EvaluationAppeal:
    """A member's appeal against their evaluation result (评议结果申诉), decided by the
    general committee.

    Attributes:
        id: key.
        round_id: the round.
        member_id: the member appealing.
        reason: the member's reason.
        filed_on: the day it was filed.
        status: filed, upheld or rejected.
        decision: the committee's reasons, once decided.
        decided_on: the day of the decision.
    """

    id: str
    round_id: str
    member_id: str
    reason: str
    filed_on: dt.date
    status: AppealStatus = attrs.field(converter=AppealStatus, default=AppealStatus.FILED)
    decision: str = ""
    decided_on: dt.date | None = None
