"""Party building (党建引领): the checked party tree, members' public board, and residents'
evaluation of party members (群众评议党员).

Pure rules: no I/O, no hooks, no clock (functions that need "today" take it).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping

import attrs

from community_governance.domain.council import FollowStatus, follow_status
from community_governance.domain.pii_text import published
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
    "DEFAULT_VISIT_DAYS",
    "PARENT_KIND",
    "AppealStatus",
    "CountyLeaderLink",
    "Designation",
    "Electorate",
    "EvaluationAppeal",
    "EvaluationResult",
    "EvaluationRound",
    "FestivalVisit",
    "MemberActivity",
    "Outstanding",
    "PartyMemberRecord",
    "PartyMemberView",
    "PartyReport",
    "PlannedVisit",
    "PublicMember",
    "RoundStatus",
    "Suggestion",
    "Symposium",
    "SymposiumAction",
    "SymposiumRole",
    "UnitFacts",
    "VisitReason",
    "check_grades",
    "check_party_org",
    "evaluation_result",
    "is_outstanding",
    "visit_window",
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
    # codes of stored units, shown in full (a grid code may look like a legacy ID number); the
    # code of a unit that is not stored is masked like any number typed
    known = [c for c in (org.unit_code if unit.kind else None, unit.community, unit.grid,
                         parent.unit_code if parent else None,
                         *(partner.community_codes if partner else ())) if c]
    if unit.kind is not want:
        raise ValidationError(
            f"party organization {org.id}: a {kind.chinese} ({kind.value}) is set up at a "
            f"{want.value} ({want.chinese}), but {org.unit_code} is "
            f"{unit.kind.value if unit.kind else 'not a stored unit'}: give the code of a "
            f"{want.value}", path=f"{path}.unit_code", units=known)
    parent_kind = PARENT_KIND[kind]
    if parent_kind is None:
        if org.parent_id is not None:
            raise ValidationError(
                f"party organization {org.id}: a {kind.chinese} is the top of its community's "
                f"tree and has no parent; drop parent_id {org.parent_id!r}",
                path=f"{path}.parent_id", units=known)
    else:
        expected_unit = unit.grid if kind is PartyOrgKind.BUILDING_GROUP else unit.community
        if kind is PartyOrgKind.BUILDING_GROUP and unit.grid is None:
            raise ValidationError(
                f"party organization {org.id}: building {org.unit_code} is in no grid, so its "
                f"{kind.chinese} has no 网格党支部 to belong to: put the building in a grid "
                "first", path=f"{path}.unit_code", units=known)
        if org.parent_id is None or parent is None:
            raise ValidationError(
                f"party organization {org.id}: a {kind.chinese} belongs to the "
                f"{parent_kind.chinese} ({parent_kind.value}) at {expected_unit}; "
                + ("give its key as parent_id" if org.parent_id is None
                   else f"no party organization {org.parent_id!r} exists: add it first"),
                path=f"{path}.parent_id", units=known)
        if parent.kind is not parent_kind or parent.unit_code != expected_unit:
            raise ValidationError(
                f"party organization {org.id}: a {kind.chinese} belongs to the "
                f"{parent_kind.chinese} ({parent_kind.value}) at {expected_unit}, but its "
                f"parent {parent.id} is a {parent.kind.chinese} at {parent.unit_code}: name "
                f"the {parent_kind.chinese} of {expected_unit} as parent_id",
                path=f"{path}.parent_id", units=known)
    if kind in (PartyOrgKind.PROPERTY_ORG, PartyOrgKind.PARTNER_ORG):
        wanted = ("a property company (物业公司)" if kind is PartyOrgKind.PROPERTY_ORG
                  else "a partner unit (共建单位) other than a property company")
        if org.partner_id is None or partner is None:
            raise ValidationError(
                f"party organization {org.id}: a {kind.chinese} is the organization of {wanted}"
                "; " + ("give its key as partner_id" if org.partner_id is None
                        else f"no partner unit {org.partner_id!r} exists: add it first"),
                path=f"{path}.partner_id", units=known)
        is_property = partner.kind is PartnerKind.PROPERTY_COMPANY
        if is_property != (kind is PartyOrgKind.PROPERTY_ORG):
            raise ValidationError(
                f"party organization {org.id}: a {kind.chinese} is the organization of "
                f"{wanted}, but {partner.id} is a {partner.kind.value}: use "
                f"{'property_org' if is_property else 'partner_org'} for it",
                path=f"{path}.kind", units=known)
        if org.unit_code not in partner.community_codes:
            raise ValidationError(
                f"party organization {org.id}: partner unit {partner.id} is not attached to "
                f"community {org.unit_code} (共驻共建 joins a unit with the communities it "
                "supports): attach it first (add_partner_units) or choose one of "
                f"{sorted(partner.community_codes)}", path=f"{path}.unit_code", units=known)
    elif org.partner_id is not None:
        raise ValidationError(
            f"party organization {org.id}: a {kind.chinese} is not a partner unit's "
            f"organization; drop partner_id {org.partner_id!r}", path=f"{path}.partner_id",
            units=known)


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


# --------------------------------------------------------------------------- 座谈会


class SymposiumRole(enum.StrEnum):
    """In what capacity a member attends a 座谈会."""

    GROUP_LEADER = "group_leader"  #: 网格党支部、楼院党小组负责人 (a grid party group leader)
    CENTRE_HOUSEHOLD = "centre_household"  #: 党员中心户

    @property
    def chinese(self) -> str:
        """The Chinese name."""
        return "网格党小组长" if self is SymposiumRole.GROUP_LEADER else "党员中心户"


@attrs.frozen
class Suggestion:
    """A suggestion made at a 座谈会 (意见建议) and the action it is followed to: who answers
    for it and in how many working days of the place's calendar.

    Attributes:
        id: key of the action.
        text: the suggestion as made.
        action: what is to be done about it (落实措施).
        owner: who answers for it (a staff member's or resident's key).
        working_days: the deadline, in working days after the meeting.
        raised_by: the attendee who made it, if recorded.
    """

    id: str
    text: str
    action: str
    owner: str
    working_days: int
    raised_by: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.text.strip() or not self.action.strip():
            raise ValidationError(f"suggestion {self.id}: give the suggestion and the action "
                                  "it is followed to", path="action")
        if not self.owner.strip():
            raise ValidationError(f"suggestion {self.id}: name who answers for its action",
                                  path="owner")
        if isinstance(self.working_days, bool) or not 1 <= self.working_days <= 365:
            raise ValidationError(f"suggestion {self.id}: working_days is a whole number from "
                                  f"1 to 365, got {self.working_days!r}", path="working_days")


@attrs.frozen
class SymposiumAction:
    """A suggestion followed to an action (建议落实), with its deadline and completion.

    Attributes:
        id: key.
        symposium_id: the 座谈会 where it was made.
        suggestion: the suggestion (redacted on the way out).
        action: what is to be done.
        owner: who answers for it.
        due: the deadline (working days of the place's calendar after the meeting).
        completed_on: the day it was done, or ``None``.
        raised_by: the attendee who made it, if recorded.
        status: open, done or late, on the day asked.
    """

    id: str
    symposium_id: str
    suggestion: str
    action: str
    owner: str
    due: dt.date
    completed_on: dt.date | None
    raised_by: str | None
    status: FollowStatus = attrs.field(converter=FollowStatus)

    @classmethod
    def on(cls, today: dt.date, *, id: str, symposium_id: str, suggestion: str, action: str,
           owner: str, due: dt.date, completed_on: dt.date | None,
           raised_by: str | None) -> SymposiumAction:
        """The action with its status on ``today``."""
        return cls(id, symposium_id, suggestion, action, owner, due, completed_on, raised_by,
                   follow_status(due, completed_on, today))


@attrs.frozen
class Symposium:
    """A 座谈会 of grid party group leaders and 党员中心户 (网格党小组长、党员中心户座谈会), with
    its attendance and minutes (redacted on the way out).

    Attributes:
        id: key.
        community_code: the community whose general committee holds it.
        title: e.g. ``2019年第二季度党员中心户座谈会``.
        held_on: the day.
        minutes: the minutes, redacted (numbers and residents' names masked).
        attendees: ``(resident, role)`` of each attendee (party members: sensitive).
        actions: the suggestions and their actions.
    """

    id: str
    community_code: str
    title: str
    held_on: dt.date
    minutes: str
    attendees: tuple[tuple[str, SymposiumRole], ...]
    actions: tuple[SymposiumAction, ...] = ()


# --------------------------------------------------------------------------- festival visits

#: Days before a festival in which a leader's visit counts as the festival's (节前走访), by
#: default.
DEFAULT_VISIT_DAYS = 10


@attrs.frozen
class CountyLeaderLink:
    """A county leader who partners a community (联系社区的县级领导) for a term.

    Attributes:
        id: key.
        leader_id: the leader (a staff member's key).
        community_code: the community partnered.
        title: the leader's office (a public office), e.g. ``县委副书记``.
        start: first day.
        end: last day, or ``None``.
    """

    id: str
    leader_id: str
    community_code: str
    title: str = attrs.field(validator=published)
    start: dt.date = attrs.field()
    end: dt.date | None = None

    def __attrs_post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValidationError(f"leader link {self.id}: the term ends ({self.end}) before "
                                  f"it starts ({self.start})", path="end")

    def sits_on(self, day: dt.date) -> bool:
        """Whether the link holds on ``day``."""
        return self.start <= day and (self.end is None or day <= self.end)


@attrs.frozen
class Designation:
    """A member designated outstanding by the general committee (e.g. 优秀共产党员).

    Attributes:
        id: key.
        resident_id: the member.
        community_code: the community.
        title: the designation.
        awarded_on: from.
        end: until, or ``None`` (a designation counts for festival visits for a year from
            ``awarded_on`` unless it ends earlier).
    """

    id: str
    resident_id: str
    community_code: str
    title: str = attrs.field(validator=published)
    awarded_on: dt.date = attrs.field()
    end: dt.date | None = None

    def holds_on(self, day: dt.date) -> bool:
        """Whether the designation counts on ``day`` (a year from the award at most)."""
        try:
            last = self.awarded_on.replace(year=self.awarded_on.year + 1)
        except ValueError:  # awarded on 29 February
            last = dt.date(self.awarded_on.year + 1, 3, 1)
        last -= dt.timedelta(days=1)
        if self.end is not None:
            last = min(last, self.end)
        return self.awarded_on <= day <= last


class VisitReason(enum.StrEnum):
    """Why a member counts as outstanding for a festival visit."""

    EVALUATION = "evaluation"  #: 群众评议为优秀
    DESIGNATION = "designation"  #: 评为优秀共产党员等


def is_outstanding(result: EvaluationResult) -> bool:
    """Whether residents graded the member outstanding in a round (评议为优秀): the result is
    published (at or above the round's minimum) and more than half of its ballots are in the
    best grade.
    """
    if not result.published or not result.counts or result.ballots == 0:
        return False
    return result.counts[0][1] * 2 > result.ballots


@attrs.frozen
class Outstanding:
    """A member who counts as outstanding on a day, and why.

    Attributes:
        resident_id: the member.
        name: the name, masked unless revealed.
        community_code: the community.
        reason: evaluation or designation.
        source: the round or the designation.
    """

    resident_id: str
    name: str
    community_code: str
    reason: VisitReason = attrs.field(converter=VisitReason)
    source: str = ""


def visit_window(festival_day: dt.date, days_before: int) -> tuple[dt.date, dt.date]:
    """The days a festival's visits take place: ``days_before`` days before the festival, up
    to the festival itself.

    >>> visit_window(dt.date(2019, 9, 13), 10)
    (datetime.date(2019, 9, 3), datetime.date(2019, 9, 13))
    """
    return festival_day - dt.timedelta(days=days_before), festival_day


@attrs.frozen
class PlannedVisit:
    """An outstanding member to visit at a festival, and the leaders partnering the member's
    community on the festival's day.

    Attributes:
        member: the member and why.
        festival: the festival (``calendars.lunar.Festival`` value).
        festival_day: its date that year.
        window: the first and last day of visits.
        leaders: ``(leader_id, title)`` of the leaders partnering the community.
        visited: the visit recorded, if any.
    """

    member: Outstanding
    festival: str
    festival_day: dt.date
    window: tuple[dt.date, dt.date]
    leaders: tuple[tuple[str, str], ...]
    visited: str | None = None


@attrs.frozen
class FestivalVisit:
    """A festival visit (节日走访慰问) of a county leader to an outstanding member.

    Attributes:
        id: key.
        leader_id: the county leader (a staff member's key).
        member_id: the member visited.
        festival: the festival (``spring_festival``, ``mid_autumn``...).
        year: the festival's Gregorian year.
        visited_on: the day.
        note: what was given or said (personal: erased with the member).
    """

    id: str
    leader_id: str
    member_id: str
    festival: str
    year: int
    visited_on: dt.date
    note: str = ""
