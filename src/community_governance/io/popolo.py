"""Export of organizations, posts and memberships in the shapes of the Popolo data specification.

`Popolo <https://www.popoloproject.com/>`_ is the open-government standard for who holds which
post in which organization. The export is one JSON document with the arrays ``organizations``,
``posts``, ``persons`` and ``memberships`` (the container EveryPolitician and other Popolo
publishers use), each item valid against the Popolo JSON schemas vendored in
``io/schemas/popolo/`` (checked by :func:`community_governance.testing.popolo.validate_popolo`).

What goes where:

- **Organization** (``classification`` from :data:`CLASSIFICATIONS`, ``parent_id``): the units
  of the service hierarchy (county → 办事处/街道 → 社区 → 网格 → 楼院; a building hangs under its
  grid, or under its community when it has none; a compound 小区 under its community), the party
  organizations (社区大党委, 网格党支部, 楼院党小组) and the partner units (共建单位).
- **Post**: one per kind of post at a unit (the 网格长 of grid W01, the 书记 of a community):
  Popolo's post is the position, independent of who holds it (two grid leaders at once share it).
- **Membership**: each term of a post held by a person (``person_id``, ``organization_id``,
  ``post_id``, ``role``, ``start_date``, ``end_date``), and each partner unit's attachment to a
  community it supports (a membership whose ``member`` is the partner organization).
- **Person**: the holders. By default their names are masked (``张*``) and their ids are
  pseudonyms (a keyed hash of the record's key: stable from one export to the next under one
  data key, but not joinable with the residents export); no ID number, phone or address is ever
  exported. Full names and the record keys are given only with ``reveal=True``, a reason, and
  the right to read every holder; each revealed holder is written to the access log.
- Party *memberships* are not exported (party membership is sensitive personal data), nor who
  holds a post whose holding reveals it (党员中心户) unless revealed.

Other capabilities add their organizations, posts and memberships by writing a *source*: a
function ``(SourceContext) -> Contribution`` named in :data:`SOURCES` (or passed as
``sources=``), with the classifications it uses (see ``docs/popolo.md``).

Example::

    import community_governance
    from community_governance.domain.access import Actor
    from community_governance.io.popolo import export_popolo

    with community_governance.open("memory://", entrypoints=False) as gov:
        doc = export_popolo(gov, actor=Actor.system("popolo"))
        print(sorted(doc))   # ['memberships', 'meta', 'organizations', 'persons', 'posts']
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TextIO

import attrs

from community_governance.domain.access import Actor
from community_governance.domain.cases import mask_name
from community_governance.domain.posts import HolderKind, PartnerKind, PartyOrgKind, PostKind
from community_governance.domain.units import UnitKind
from community_governance.errors import NotFound, ValidationError

__all__ = [
    "CLASSIFICATIONS",
    "RECORD_ARRAYS",
    "SENSITIVE_POST_KINDS",
    "SOURCES",
    "Contribution",
    "Membership",
    "Organization",
    "Person",
    "PopoloPost",
    "Source",
    "SourceContext",
    "council_source",
    "dumps",
    "export_popolo",
    "org_id",
    "post_id",
    "write_popolo",
]

#: The organization classifications of the built-in sources: English key → Chinese term. A
#: source may add its own (:attr:`Contribution.classifications`); an organization whose
#: classification is in neither is refused, so a typo cannot reach a publisher.
CLASSIFICATIONS: dict[str, str] = {
    **{f"unit/{k.value}": k.chinese for k in UnitKind},
    "party/general_committee": "社区大党委",
    "party/grid_branch": "网格党支部",
    "party/building_group": "楼院党小组",
    "party/property_org": "物业党组织",
    "party/partner_org": "共驻共建单位党组织",
    "partner/assigned_bureau": "分包局委",
    "partner/civilised_unit": "文明单位",
    "partner/resident_unit": "驻区单位",
    "partner/property_company": "物业公司",
}

#: Posts whose holding reveals the holder's party membership: their holders are exported only
#: when revealed.
SENSITIVE_POST_KINDS = frozenset({PostKind.PARTY_HOUSEHOLD_CENTRE})

#: The scheme of a unit's identifier: the national statistical division code (统计用区划代码)
#: for a county, sub-district or community; the library's extended code below.
SCHEME_DIVISION = "cn-division-code"
SCHEME_UNIT = "cgov-unit-code"


def org_id(kind: str, key: str) -> str:
    """The Popolo id of an organization: ``unit:411281001001``, ``party:PO-1``...

    Each source prefixes its keys with its own kind, so ids never collide across sources.
    """
    return f"{kind}:{key}"


def post_id(unit_code: str, kind: PostKind | str) -> str:
    """The Popolo id of the post of ``kind`` at a unit: ``post:411281001001-W01/grid_leader``."""
    return f"post:{unit_code}/{PostKind(kind).value}"


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


@attrs.frozen
class Organization:
    """A Popolo organization (组织): a unit, a party organization, a partner, a group...

    Attributes:
        id: its Popolo id (:func:`org_id`).
        name: its name, in Chinese as registered.
        classification: a key of :data:`CLASSIFICATIONS` or of the source's own vocabulary.
        parent_id: the Popolo id of the organization containing it, if any.
        identifiers: ``(scheme, identifier)`` pairs.
        founding_date: founded on, if known.
        dissolution_date: dissolved on, if known.
    """

    id: str
    name: str
    classification: str
    parent_id: str | None = None
    identifiers: tuple[tuple[str, str], ...] = ()
    founding_date: dt.date | None = None
    dissolution_date: dt.date | None = None

    def to_json(self) -> dict[str, Any]:
        """The Popolo object."""
        out: dict[str, Any] = {"id": self.id, "name": self.name,
                               "classification": self.classification}
        if self.parent_id is not None:
            out["parent_id"] = self.parent_id
        if self.identifiers:
            out["identifiers"] = [{"scheme": s, "identifier": i} for s, i in self.identifiers]
        if self.founding_date is not None:
            out["founding_date"] = _date(self.founding_date)
        if self.dissolution_date is not None:
            out["dissolution_date"] = _date(self.dissolution_date)
        return out


@attrs.frozen
class PopoloPost:
    """A Popolo post (职务): a position at an organization, whoever holds it.

    Attributes:
        id: its Popolo id (:func:`post_id` for the library's posts).
        organization_id: the organization it is held in.
        role: the function, an English key (``grid_leader``).
        label: the Chinese name (``网格长``).
        other_labels: further labels (the English name).
    """

    id: str
    organization_id: str
    role: str
    label: str
    other_labels: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The Popolo object."""
        out: dict[str, Any] = {"id": self.id, "organization_id": self.organization_id,
                               "role": self.role, "label": self.label}
        if self.other_labels:
            out["other_label"] = list(self.other_labels)
        return out


@attrs.frozen
class Person:
    """A person (人员) who holds a post or belongs to an organization, as a source gives it.

    The exporter masks the name and replaces the key by a pseudonym unless the export reveals
    them; a source never masks by itself.

    Attributes:
        kind: whose record: ``resident`` or ``staff`` (or a source's own kind).
        key: the record's key.
        name: the name as the source read it (masked already when the source read it masked),
            or ``None`` when unknown or erased.
    """

    kind: str
    key: str
    name: str | None

    @property
    def ref(self) -> str:
        """The person's id before pseudonymisation: ``resident:R0001``."""
        return f"{self.kind}:{self.key}"


@attrs.frozen
class Membership:
    """A Popolo membership (任职, 成员): a person holding a post or belonging to an
    organization, or an organization belonging to another.

    Attributes:
        id: its Popolo id.
        organization_id: the organization.
        role: what the member does there, an English key.
        label: a Chinese label.
        person: the member, when a person (its id is set by the exporter).
        member_organization_id: the member, when an organization.
        post_id: the post held through this membership, if any.
        start_date: began on.
        end_date: ended on, or ``None`` while it lasts.
    """

    id: str
    organization_id: str
    role: str
    label: str | None = None
    person: Person | None = None
    member_organization_id: str | None = None
    post_id: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None

    def __attrs_post_init__(self) -> None:
        if (self.person is None) == (self.member_organization_id is None):
            raise ValidationError(
                f"membership {self.id}: give exactly one member, a person or an organization",
                path="person")
        if (self.start_date is not None and self.end_date is not None
                and self.end_date < self.start_date):
            raise ValidationError(
                f"membership {self.id} ends ({self.end_date}) before it starts "
                f"({self.start_date})", path="end_date")


@attrs.frozen
class Contribution:
    """What one source adds to the export.

    Attributes:
        organizations: its organizations.
        posts: its posts.
        memberships: its memberships (their persons are collected by the exporter).
        classifications: the classification keys it uses beyond :data:`CLASSIFICATIONS`
            (English key → Chinese term).
        records: further Popolo arrays (:data:`RECORD_ARRAYS`: ``events``, ``motions``,
            ``vote_events``, ``votes``), each item a JSON-ready mapping with an ``id``; a
            :class:`Person` given as a vote's ``voter`` or in an event's ``attendees`` is
            masked and pseudonymised as the memberships' persons are.
    """

    organizations: tuple[Organization, ...] = ()
    posts: tuple[PopoloPost, ...] = ()
    memberships: tuple[Membership, ...] = ()
    classifications: Mapping[str, str] = attrs.field(factory=dict)
    records: Mapping[str, tuple[Mapping[str, Any], ...]] = attrs.field(factory=dict)


@attrs.frozen
class SourceContext:
    """What a source is told.

    Attributes:
        gov: the :class:`~community_governance.Governance`.
        actor: who exports: read people through services that check this actor.
        within: only what lies under this unit code (``None``: everything).
        reveal: the export reveals names; a source reading people passes it (and
            ``reason``) to a service that checks the right and writes the access log.
        reason: why names are revealed.
    """

    gov: Any
    actor: Actor
    within: str | None = None
    reveal: bool = False
    reason: str | None = None

    def covers(self, unit_code: str | None) -> bool:
        """Whether a unit code lies under :attr:`within` (everything without it)."""
        return not self.within or (unit_code is not None and unit_code.startswith(self.within))


class Source(Protocol):
    """A source of Popolo records: ``source(ctx) -> Contribution``."""

    def __call__(self, ctx: SourceContext, /) -> Contribution:
        """The organizations, posts and memberships this source exports."""
        ...


# ---------------------------------------------------------------------- built-in sources

def units_source(ctx: SourceContext) -> Contribution:
    """The service hierarchy: county, sub-districts, communities, grids, compounds, buildings.

    With ``within``, the units under it and the units above it (so every ``parent_id`` in the
    document names an organization of the document).
    """
    reg = ctx.gov.registry
    units = reg.list_units()
    parents = {u.code: u.parent_code for u in units}
    above: set[str] = set()
    code = parents.get(ctx.within) if ctx.within else None
    while code is not None:
        above.add(code)
        code = parents.get(code)
    grids = {b.code: b.grid_code for b in reg.list_buildings()}
    orgs = []
    for u in units:
        if not (ctx.covers(u.code) or u.code in above):
            continue
        parent = u.parent_code
        if u.kind is UnitKind.BUILDING and grids.get(u.code):
            parent = grids[u.code]
        scheme = SCHEME_DIVISION if u.code.isdigit() else SCHEME_UNIT
        orgs.append(Organization(
            org_id("unit", u.code), u.name, f"unit/{u.kind.value}",
            org_id("unit", parent) if parent else None, ((scheme, u.code),)))
    return Contribution(organizations=tuple(orgs))


def posts_source(ctx: SourceContext) -> Contribution:
    """The posts held at units (书记, 主任, 网格长, 楼院长...) and the terms of their holders.

    Holders' names come from :meth:`RegistryService.post_holders`, which masks them unless
    the export reveals them (and then checks the right and logs each reveal).
    """
    holders = ctx.gov.registry.post_holders(ctx.actor, within=ctx.within, reveal=ctx.reveal,
                                            reason=ctx.reason)
    posts: dict[str, PopoloPost] = {}
    memberships = []
    for h in holders:
        p = h.post
        pid = post_id(p.unit_code, p.kind)
        posts.setdefault(pid, PopoloPost(pid, org_id("unit", p.unit_code), p.kind.value,
                                         p.kind.chinese, (p.kind.value.replace("_", " "),)))
        if p.kind in SENSITIVE_POST_KINDS and not ctx.reveal:
            continue
        kind = "resident" if p.holder_kind is HolderKind.RESIDENT else "staff"
        memberships.append(Membership(
            f"membership:{p.id}", org_id("unit", p.unit_code), p.kind.value, p.kind.chinese,
            person=Person(kind, p.holder_id, h.name), post_id=pid, start_date=p.start,
            end_date=p.end))
    return Contribution(posts=tuple(posts.values()), memberships=tuple(memberships))


def party_source(ctx: SourceContext) -> Contribution:
    """The party organizations (社区大党委, 网格党支部, 楼院党小组), without their members."""
    orgs = [Organization(org_id("party", o.id), o.name, f"party/{PartyOrgKind(o.kind).value}",
                         org_id("party", o.parent_id) if o.parent_id else None,
                         ((SCHEME_UNIT, o.unit_code),))
            for o in ctx.gov.registry.party_orgs(ctx.within)]
    return Contribution(organizations=tuple(orgs))


def partners_source(ctx: SourceContext) -> Contribution:
    """The partner units (共建单位) and their attachments to the communities they support."""
    orgs, memberships = [], []
    for p in ctx.gov.registry.partner_units():
        # a community under ``within``, or the community ``within`` lies in
        communities = [c for c in p.community_codes
                       if ctx.covers(c) or (ctx.within and ctx.within.startswith(c))]
        if ctx.within and not communities:
            continue
        pid = org_id("partner", p.id)
        orgs.append(Organization(pid, p.name, f"partner/{PartnerKind(p.kind).value}"))
        memberships += [Membership(f"membership:partner:{p.id}:{c}", org_id("unit", c),
                                   "partner_unit", "共建单位", member_organization_id=pid)
                        for c in communities]
    return Contribution(organizations=tuple(orgs), memberships=tuple(memberships))


def orgs_source(ctx: SourceContext) -> Contribution:
    """The social organizations (社会组织) under their communities, classified by kind, with
    the incubation of each group still kept under its incubator (a membership whose member is
    the group, role ``incubated``). No staff: their names stay in ``gov.orgs``."""
    from community_governance.domain.orgs import OrgKind, OrgStage

    found = [o for o in ctx.gov.orgs.list_orgs(ctx.actor, within=ctx.within)
             if ctx.covers(o.community_code)]
    ids = {o.id for o in found}
    orgs = [Organization(
        org_id("social_org", o.id), o.name, f"social_org/{o.kind.value}",
        org_id("unit", o.community_code), ((SCHEME_UNIT, o.community_code),),
        founding_date=o.proposed_on,
        dissolution_date=o.stage_since if o.stage is OrgStage.DEREGISTERED else None)
        for o in found]
    incubated = [Membership(
        f"membership:incubated:{o.id}", org_id("social_org", o.incubator_id), "incubated",
        "孵化", member_organization_id=org_id("social_org", o.id), start_date=o.proposed_on)
        for o in found if o.under_incubator and o.incubator_id in ids]
    return Contribution(organizations=tuple(orgs), memberships=tuple(incubated),
                        classifications={f"social_org/{k.value}": f"社会组织（{k.chinese}）"
                                         for k in OrgKind})


#: The sources of the export, in order: name → ``source(ctx) -> Contribution``. A capability
#: adds its own here (see ``docs/popolo.md``).
_CHOICE_OPTION = {"for": "yes", "against": "no", "abstain": "abstain"}


def council_source(ctx: SourceContext) -> Contribution:
    """The consultative councils (协商议事会): each council an Organization under its
    community, its members' terms as Memberships (persons masked as the post holders are),
    its meetings as Events with their attendees, its motions as Motions, each vote as a
    VoteEvent with its Counts and the members' Votes (council votes are open: 记名表决)."""
    council = ctx.gov.council
    orgs, memberships = [], []
    records: dict[str, list[Mapping[str, Any]]] = {
        "events": [], "motions": [], "vote_events": [], "votes": []}
    communities = [u.code for u in ctx.gov.registry.list_units()
                   if UnitKind(u.kind) is UnitKind.COMMUNITY and ctx.covers(u.code)]
    for c in communities:
        members = council.members(c)
        meetings = council.meetings(c)
        if not members and not meetings:
            continue
        cid = org_id("council", c)
        orgs.append(Organization(cid, "协商议事会", "council/consultative",
                                 org_id("unit", c), ((SCHEME_UNIT, c),)))
        person = {m.id: Person("resident" if m.resident_id else "council_member",
                               m.resident_id or m.id, m.name) for m in members}
        for m in members:
            memberships.append(Membership(
                f"membership:council/{m.id}", cid, "议事会成员", m.seat.value,
                person[m.id], start_date=m.start, end_date=m.end))
        for mt in meetings:
            records["events"].append({
                "id": f"event:council/{mt.id}", "name": mt.title,
                "classification": ("joint_meeting" if mt.kind == "joint"
                                   else "council_meeting"), "organization_id": cid,
                "start_date": mt.held_on.isoformat(),
                "attendees": [person[a] for a in mt.attendees if a in person]})
        for mo in council.motions(c):
            r = mo.result
            ve = f"vote_event:council/{mo.id}"
            result = "pass" if r.carried else "fail"
            records["motions"].append({
                "id": f"motion:council/{mo.id}", "organization_id": cid, "text": mo.title,
                "classification": mo.kind.value, "date": mo.held_on.isoformat(),
                "requirement": r.rule, "result": result})
            records["vote_events"].append({
                "id": ve, "motion_id": f"motion:council/{mo.id}", "organization_id": cid,
                "start_date": mo.held_on.isoformat(), "result": result,
                "counts": [{"option": "yes", "value": r.votes_for},
                           {"option": "no", "value": r.against},
                           {"option": "abstain", "value": r.abstain}]})
            for member, choice in mo.votes:
                if member in person:
                    records["votes"].append({
                        "id": f"vote:council/{mo.id}/{member}", "vote_event_id": ve,
                        "voter": person[member], "option": _CHOICE_OPTION[choice.value]})
    return Contribution(organizations=tuple(orgs), memberships=tuple(memberships),
                        classifications={"council/consultative": "协商议事会"},
                        records={k: tuple(v) for k, v in records.items()})


#: The further arrays a source may contribute (:attr:`Contribution.records`).
RECORD_ARRAYS = ("events", "motions", "vote_events", "votes")

SOURCES: dict[str, Callable[[SourceContext], Contribution]] = {
    "units": units_source,
    "posts": posts_source,
    "party": party_source,
    "partners": partners_source,
    "orgs": orgs_source,
    "council": council_source,
}


# ---------------------------------------------------------------------- the export

def _pseudonym(gov: Any, ref: str) -> str:
    digest: str = gov.cipher.lookup_hash(f"popolo-person/{ref}")
    return "person:" + digest[:16]


def _check_ids(kind: str, ids: Iterable[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValidationError(f"two {kind} have the id {i!r}: each source prefixes its "
                                  "keys with its own kind (org_id)", path=f"$.{kind}")
        seen.add(i)


def export_popolo(gov: Any, *, actor: Actor, within: str | None = None, reveal: bool = False,
                  reason: str | None = None,
                  sources: Mapping[str, Callable[[SourceContext], Contribution]] | None = None,
                  ) -> dict[str, Any]:
    """The Popolo document of the library's organizations, posts and memberships.

    Args:
        gov: the :class:`~community_governance.Governance`.
        actor: who exports.
        within: only under this unit code (a county, sub-district or community code).
        reveal: full names and record keys of the persons (needs the right and a reason;
            each revealed holder is access-logged).
        reason: why names are revealed.
        sources: the sources to ask (default :data:`SOURCES`).

    Returns:
        The document: the arrays ``organizations``, ``posts``, ``persons`` and
        ``memberships``, each sorted by id, and ``meta`` (whether names are masked, the
        ``within`` code, the classifications used with their Chinese terms).

    Raises:
        ValidationError: ``reveal`` without a reason, an unknown classification, or two
            records with one id.
        NotFound: ``within`` is the code of no stored unit.
        PermissionDenied: ``reveal`` of a person the actor may not read.
    """
    if reveal and (not reason or not reason.strip()):
        raise ValidationError("a Popolo export with full names needs a reason (why), for the "
                              "access log", path="reason")
    if within and not any(u.code.startswith(within) for u in gov.registry.list_units()):
        raise NotFound("unit", within, "give the code of a county, sub-district or community "
                       "(cgov export units lists them)")
    ctx = SourceContext(gov, actor, within or None, reveal, reason)
    vocabulary = dict(CLASSIFICATIONS)
    orgs: list[Organization] = []
    posts: list[PopoloPost] = []
    memberships: list[Membership] = []
    records: dict[str, list[Mapping[str, Any]]] = {k: [] for k in RECORD_ARRAYS}
    for name, source in (SOURCES if sources is None else sources).items():
        part = source(ctx)
        if not isinstance(part, Contribution):
            raise ValidationError(f"Popolo source {name!r} returned {type(part).__name__}, "
                                  "not a Contribution", path=f"sources.{name}")
        vocabulary.update(part.classifications)
        for o in part.organizations:
            if o.classification not in vocabulary:
                raise ValidationError(
                    f"organization {o.id} of source {name!r} has the classification "
                    f"{o.classification!r}, which is in no vocabulary: add it to the source's "
                    "Contribution.classifications with its Chinese term",
                    path=f"sources.{name}.classification")
        orgs += part.organizations
        posts += part.posts
        memberships += part.memberships
        for kind, items in part.records.items():
            if kind not in records:
                raise ValidationError(f"Popolo source {name!r} gave the array {kind!r}; the "
                                      f"arrays a source adds are {list(RECORD_ARRAYS)}",
                                      path=f"sources.{name}.records")
            records[kind] += list(items)
    people: dict[str, Person] = {}
    for m in memberships:
        if m.person is not None:
            people.setdefault(m.person.ref, m.person)
    for vote in records["votes"]:
        if isinstance(vote.get("voter"), Person):
            people.setdefault(vote["voter"].ref, vote["voter"])

    def pid(ref: str) -> str:
        return ref if reveal else _pseudonym(gov, ref)

    def shown(n: str | None) -> str | None:
        return n if reveal else mask_name(n)

    persons = [{"id": pid(ref), **({"name": shown(p.name)} if p.name else {})}
               for ref, p in people.items()]
    members = []
    for m in memberships:
        item: dict[str, Any] = {"id": m.id, "organization_id": m.organization_id, "role": m.role}
        if m.label:
            item["label"] = m.label
        if m.person is not None:
            item["person_id"] = pid(m.person.ref)
        else:
            item["member"] = {"@type": "Organization", "id": m.member_organization_id}
        if m.post_id:
            item["post_id"] = m.post_id
        if m.start_date is not None:
            item["start_date"] = _date(m.start_date)
        if m.end_date is not None:
            item["end_date"] = _date(m.end_date)
        members.append(item)
    doc: dict[str, Any] = {
        "organizations": sorted((o.to_json() for o in orgs), key=lambda o: o["id"]),
        "posts": sorted((p.to_json() for p in posts), key=lambda p: p["id"]),
        "persons": sorted(persons, key=lambda p: p["id"]),
        "memberships": sorted(members, key=lambda m: m["id"]),
        "meta": {"generator": "community-governance", "masked": not reveal,
                 "within": within or None,
                 "classifications": {k: vocabulary[k] for k in sorted(
                     {o.classification for o in orgs})}},
    }
    for kind, found in records.items():
        if found:
            doc[kind] = sorted((_record(r, pid, shown) for r in found),
                               key=lambda r: str(r["id"]))
    for kind in ("organizations", "posts", "persons", "memberships", *RECORD_ARRAYS):
        _check_ids(kind, (x["id"] for x in doc.get(kind, ())))
    return doc


def _record(item: Mapping[str, Any], pid: Callable[[str], str],
            shown: Callable[[str | None], str | None]) -> dict[str, Any]:
    """A source's record with its persons masked and pseudonymised like the memberships'."""
    out = dict(item)
    voter = out.pop("voter", None)
    if isinstance(voter, Person):
        out["voter_id"] = pid(voter.ref)
    if "attendees" in out:
        out["attendees"] = [
            {"id": pid(p.ref), **({"name": shown(p.name)} if p.name else {})}
            for p in out["attendees"] if isinstance(p, Person)]
    return out


def dumps(doc: Mapping[str, Any]) -> str:
    """The document as JSON text (UTF-8 characters kept, one item a line's worth of indent)."""
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def write_popolo(gov: Any, out: TextIO, *, actor: Actor, within: str | None = None,
                 reveal: bool = False, reason: str | None = None) -> dict[str, int]:
    """Write the Popolo document to ``out``; see :func:`export_popolo`.

    Returns:
        How many records of each kind were written.
    """
    doc = export_popolo(gov, actor=actor, within=within, reveal=reveal, reason=reason)
    out.write(dumps(doc))
    return {k: len(doc[k]) for k in ("organizations", "posts", "persons", "memberships")}
