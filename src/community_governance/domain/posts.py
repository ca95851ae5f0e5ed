"""Posts held at units (职务), party organizations (党组织) and partner units (共建单位)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

import attrs

from community_governance.domain.pii_text import published
from community_governance.domain.units import UnitKind
from community_governance.errors import ConflictError, ValidationError

__all__ = [
    "POST_UNIT_KINDS",
    "HolderKind",
    "PartnerKind",
    "PartnerUnit",
    "PartyMembership",
    "PartyOrg",
    "PartyOrgKind",
    "Post",
    "PostKind",
    "StaffMember",
    "check_concurrent_posts",
    "concurrent_holders",
]


class PostKind(enum.StrEnum):
    """A post a person holds at a unit."""

    SECRETARY = "secretary"  #: 社区书记
    DIRECTOR = "director"  #: 社区主任
    STAFF = "staff"  #: 工作人员 (community staff)
    GRID_LEADER = "grid_leader"  #: 网格长
    BUILDING_LEADER = "building_leader"  #: 楼院长
    PARTY_HOUSEHOLD_CENTRE = "party_household_centre"  #: 党员中心户
    ASSIGNED_CADRE = "assigned_cadre"  #: 分包干部
    SUBDISTRICT_STAFF = "subdistrict_staff"  #: 办事处工作人员
    COUNTY_ADMIN = "county_admin"  #: 县(市)管理员

    @property
    def chinese(self) -> str:
        """The Chinese name of the post."""
        return _POST_CHINESE[self]


_POST_CHINESE = {
    PostKind.SECRETARY: "社区书记",
    PostKind.DIRECTOR: "社区主任",
    PostKind.STAFF: "工作人员",
    PostKind.GRID_LEADER: "网格长",
    PostKind.BUILDING_LEADER: "楼院长",
    PostKind.PARTY_HOUSEHOLD_CENTRE: "党员中心户",
    PostKind.ASSIGNED_CADRE: "分包干部",
    PostKind.SUBDISTRICT_STAFF: "办事处工作人员",
    PostKind.COUNTY_ADMIN: "县(市)管理员",
}

#: The unit kinds at which each post may be held.
POST_UNIT_KINDS: dict[PostKind, frozenset[UnitKind]] = {
    PostKind.SECRETARY: frozenset({UnitKind.COMMUNITY}),
    PostKind.DIRECTOR: frozenset({UnitKind.COMMUNITY}),
    PostKind.STAFF: frozenset({UnitKind.COMMUNITY}),
    PostKind.GRID_LEADER: frozenset({UnitKind.GRID}),
    PostKind.BUILDING_LEADER: frozenset({UnitKind.BUILDING}),
    PostKind.PARTY_HOUSEHOLD_CENTRE: frozenset({UnitKind.BUILDING, UnitKind.GRID}),
    PostKind.ASSIGNED_CADRE: frozenset({UnitKind.COMMUNITY, UnitKind.GRID}),
    PostKind.SUBDISTRICT_STAFF: frozenset({UnitKind.SUBDISTRICT}),
    PostKind.COUNTY_ADMIN: frozenset({UnitKind.COUNTY}),
}


class HolderKind(enum.StrEnum):
    """Who holds a post: a registered resident or a staff member."""

    RESIDENT = "resident"
    STAFF = "staff"


@attrs.frozen(repr=False)
class StaffMember:
    """A staff member (工作人员) of a community, sub-district or the county, who need not live
    in the community.

    Attributes:
        id: the staff member's key.
        name: name.
        permanent: ``True`` for established posts (在编), ``False`` for temporary staff (临时).
        phone: phone number, if any.
    """

    id: str
    name: str
    permanent: bool = False
    phone: str | None = None

    def __repr__(self) -> str:
        from community_governance.domain.idnumber import mask_phone

        return (f"StaffMember(id={self.id!r}, name={self.name!r}, permanent={self.permanent!r}, "
                f"phone={mask_phone(self.phone)!r})")


@attrs.frozen
class Post:
    """A post (职务) held by a person at a unit for a term.

    Attributes:
        id: the post's key.
        kind: which post.
        unit_code: where it is held (a community, grid, building...).
        holder_kind: resident or staff.
        holder_id: the resident's or staff member's key.
        start: first day of the term.
        end: last day of the term, or ``None`` while it lasts. A post grants rights only on days
            in ``[start, end]``.
        covers: further unit codes the post covers, e.g. the buildings of a courtyard a building
            leader (楼院长) looks after beside ``unit_code``.
    """

    id: str
    kind: PostKind = attrs.field(converter=PostKind)
    unit_code: str
    holder_kind: HolderKind = attrs.field(converter=HolderKind)
    holder_id: str
    start: dt.date
    end: dt.date | None = None
    covers: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValidationError(
                f"post {self.id}: the term ends ({self.end}) before it starts ({self.start})",
                path="end",
            )

    def active_on(self, day: dt.date) -> bool:
        """Whether the post is held on ``day``."""
        return self.start <= day and (self.end is None or day <= self.end)


class PartyOrgKind(enum.StrEnum):
    """Party organizations that run in parallel to units (党建引领)."""

    GENERAL_COMMITTEE = "general_committee"  #: 社区大党委 (at a community)
    GRID_BRANCH = "grid_branch"  #: 网格党支部 (at a grid)
    BUILDING_GROUP = "building_group"  #: 楼院党小组 (at a building)
    PROPERTY_ORG = "property_org"  #: 物业党组织 (in a property company serving a community)
    #: 共驻共建单位党组织 (a partner unit's own, joined with a community)
    PARTNER_ORG = "partner_org"

    @property
    def chinese(self) -> str:
        """The Chinese name of the level."""
        return _PARTY_ORG_CHINESE[self]


_PARTY_ORG_CHINESE = {
    PartyOrgKind.GENERAL_COMMITTEE: "社区大党委",
    PartyOrgKind.GRID_BRANCH: "网格党支部",
    PartyOrgKind.BUILDING_GROUP: "楼院党小组",
    PartyOrgKind.PROPERTY_ORG: "物业党组织",
    PartyOrgKind.PARTNER_ORG: "共驻共建单位党组织",
}

PARTY_ORG_UNIT: dict[PartyOrgKind, UnitKind] = {
    PartyOrgKind.GENERAL_COMMITTEE: UnitKind.COMMUNITY,
    PartyOrgKind.GRID_BRANCH: UnitKind.GRID,
    PartyOrgKind.BUILDING_GROUP: UnitKind.BUILDING,
    PartyOrgKind.PROPERTY_ORG: UnitKind.COMMUNITY,
    PartyOrgKind.PARTNER_ORG: UnitKind.COMMUNITY,
}


@attrs.frozen
class PartyOrg:
    """A party organization (党组织): 社区大党委, 网格党支部, 楼院党小组, 物业党组织 or a partner
    unit's own organization joined in 共驻共建.

    Attributes:
        id: key.
        kind: which level.
        unit_code: the unit it runs parallel to (the community, for a property company's or a
            partner unit's organization: the community it is joined with).
        name: its name.
        parent_id: the organization above it (a branch's general committee), if any.
        partner_id: the partner unit (物业公司 or 共建单位) whose own organization it is.
    """

    id: str
    kind: PartyOrgKind = attrs.field(converter=PartyOrgKind)
    unit_code: str
    name: str = attrs.field(validator=published)
    parent_id: str | None = None
    partner_id: str | None = None


@attrs.frozen
class PartyMembership:
    """A resident's membership of a party organization (党员组织关系).

    Attributes:
        org_id: the organization.
        resident_id: the member.
        start: joined on.
        end: left on, or ``None``.
    """

    org_id: str
    resident_id: str
    start: dt.date
    end: dt.date | None = None


class PartnerKind(enum.StrEnum):
    """Kinds of partner unit that support a community."""

    ASSIGNED_BUREAU = "assigned_bureau"  #: 分包局委
    CIVILISED_UNIT = "civilised_unit"  #: 文明单位 (帮扶单位)
    RESIDENT_UNIT = "resident_unit"  #: 驻区单位
    PROPERTY_COMPANY = "property_company"  #: 物业公司 (serving the community's compounds)


@attrs.frozen
class PartnerUnit:
    """A partner unit (共建单位) attached to one or more communities.

    Attributes:
        id: key.
        name: e.g. ``义马市财政局``.
        kind: bureau, civilised unit or unit based in the community.
        community_codes: the communities it supports.
    """

    id: str
    name: str = attrs.field(validator=published)
    kind: PartnerKind = attrs.field(converter=PartnerKind)
    community_codes: tuple[str, ...] = ()


def _overlap(a: Post, b: Post) -> bool:
    """Whether the terms of ``a`` and ``b`` share a day (terms include both ends)."""
    return (b.end is None or a.start <= b.end) and (a.end is None or b.start <= a.end)


def concurrent_holders(posts: Iterable[Post], new: Post) -> tuple[int, tuple[Post, ...]]:
    """How many posts of ``new``'s kind its unit would have at once, at most, with ``new``.

    Args:
        posts: posts already held (any kind, any unit: the others are ignored; a post with
            ``new``'s id is ``new`` itself and ignored too).
        new: the post to add.

    Returns:
        The greatest number held on one day of ``new``'s term (``new`` included), and the
        posts whose terms overlap ``new``'s, by start.
    """
    same = sorted((p for p in posts if p.kind is new.kind and p.unit_code == new.unit_code
                   and p.id != new.id and _overlap(p, new)), key=lambda p: (p.start, p.id))
    days = {new.start, *(p.start for p in same if p.start > new.start)}
    peak = max(1 + sum(p.active_on(d) for p in same) for d in days)
    return peak, tuple(same)


def check_concurrent_posts(posts: Iterable[Post], new: Post, allowed: int, *,
                           rule: str) -> None:
    """Refuse ``new`` when its unit would hold more than ``allowed`` such posts on one day.

    Used for grid leaders (网格长): one per grid, or two where the place's rule
    (``cgov_grid_leaders_allowed``) allows a deputy.

    Args:
        posts: the posts already held.
        new: the post to add.
        allowed: how many may be held at once (at least 1).
        rule: where ``allowed`` came from, for the message.

    Raises:
        ConflictError: ``new`` would be one too many; nothing is written.
    """
    peak, overlapping = concurrent_holders(posts, new)
    if peak <= allowed:
        return
    named = ", ".join(f"{p.id} ({p.holder_id}, {p.start}..{p.end or 'open'})"
                      for p in overlapping)
    raise ConflictError(
        f"{new.unit_code} would have {peak} {new.kind.chinese} ({new.kind.value}) posts at "
        f"once with post {new.id} ({new.holder_id} from {new.start}); at most {allowed} "
        f"({rule}). It overlaps {named}: end that term first (the day before {new.start}), or "
        f"start the new one after it ends")
