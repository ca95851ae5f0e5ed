"""Party building (党建引领): the party tree, members linked to residents, and residents'
evaluation of party members (群众评议党员).

Party organizations themselves are written by the registry
(:meth:`~community_governance.services.registry.RegistryService.add_party_orgs`, which checks
the tree); this service reads the tree and keeps what concerns members. Party membership is
sensitive personal data: every read of members writes the access log, names are masked unless
the caller asks and may see them, and the tables take part in the resident's erasure
(:mod:`community_governance.services.privacy`).

The evaluation keeps THAT a resident voted apart from WHAT they voted: the participation table
holds ``(round, member, voter)`` and nothing else; the tally holds counts per member and grade,
all created when the round opens and added to in place, with no voter, no time and no row per
ballot. A ballot adds to every grade row of its member (one of them by one, the others by
nothing), so even the database's own row versions show only which member was evaluated.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain.access import Action, Actor, Target
from community_governance.domain.actions import HIGHER_OFFICE
from community_governance.domain.cases import mask_name
from community_governance.domain.party import (
    AppealStatus,
    Electorate,
    EvaluationAppeal,
    EvaluationResult,
    EvaluationRound,
    MemberActivity,
    PartyMemberRecord,
    PartyMemberView,
    PartyReport,
    PublicMember,
    RoundStatus,
    check_grades,
    evaluation_result,
)
from community_governance.domain.pii_text import check_public_text
from community_governance.domain.posts import PartyOrg, PostKind
from community_governance.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from community_governance.plugins import expect_int
from community_governance.services.base import Operation, Service, among, post_from_row
from community_governance.services.party_meetings import SymposiaMixin
from community_governance.services.party_visits import VisitsMixin
from community_governance.storage.tables import core as t
from community_governance.storage.tables import party as pt
from community_governance.storage.tables import points as vt

if TYPE_CHECKING:
    from community_governance.services.context import Context

__all__ = [
    "EVALUATION_APPEAL",
    "EVALUATION_RESULT",
    "EVALUATION_RUN",
    "EVALUATION_VOTE",
    "PARTY_BOARD",
    "PARTY_CONSENT",
    "PARTY_MEMBER_READ",
    "PARTY_MEMBER_WRITE",
    "PartyService",
    "expect_electorate",
    "expect_grades",
]

_SECRETARY = frozenset({PostKind.SECRETARY})

#: Reading who is a party member (names masked unless revealed); a member reads their own.
PARTY_MEMBER_READ = Action("party.read_members", roles=_SECRETARY | HIGHER_OFFICE,
                           self_service=True, personal=True)
#: Recording members' registrations, 党员中心户 links, the end of a membership.
PARTY_MEMBER_WRITE = Action("party.write_members", roles=_SECRETARY | HIGHER_OFFICE,
                            personal=True)
#: A member's own consent to 党员亮身份: only the member gives or withdraws it.
PARTY_CONSENT = Action("party.consent", self_service=True, personal=True)
#: A building's public board of members who consented (no personal data).
PARTY_BOARD = Action("party.board", public=True)
#: Opening and closing evaluation rounds, deciding appeals.
EVALUATION_RUN = Action("party.evaluation_run", roles=_SECRETARY | HIGHER_OFFICE)
#: Casting one's own ballot.
EVALUATION_VOTE = Action("party.evaluate", self_service=True)
#: Reading results: the committee, and a member their own.
EVALUATION_RESULT = Action("party.evaluation_result", roles=_SECRETARY | HIGHER_OFFICE,
                           self_service=True, personal=True)
#: A member's appeal against their own result.
EVALUATION_APPEAL = Action("party.appeal", self_service=True, personal=True)


def _home(op: Operation, resident_id: str) -> Any:
    """The resident's row with building, grid and community (``NotFound`` if none)."""
    r = op.uow.conn.execute(
        sa.select(t.residents.c.id, t.residents.c.name, t.residents.c.erased,
                  t.households.c.building_code, t.buildings.c.grid_code,
                  t.buildings.c.community_code)
        .outerjoin(t.households, t.households.c.id == t.residents.c.household_id)
        .outerjoin(t.buildings, t.buildings.c.code == t.households.c.building_code)
        .where(t.residents.c.id == resident_id)).first()
    if r is None:
        raise NotFound("resident", resident_id)
    return r


def _homes(op: Operation, resident_ids: Iterable[str]) -> dict[str, Any]:
    """:func:`_home` of many residents in few queries: the rows of those that exist."""
    ids = sorted(set(resident_ids))
    out: dict[str, Any] = {}
    for i in range(0, len(ids), 500):
        out.update((r.id, r) for r in op.uow.conn.execute(
            sa.select(t.residents.c.id, t.residents.c.name, t.residents.c.erased,
                      t.households.c.building_code, t.buildings.c.grid_code,
                      t.buildings.c.community_code)
            .outerjoin(t.households, t.households.c.id == t.residents.c.household_id)
            .outerjoin(t.buildings, t.buildings.c.code == t.households.c.building_code)
            .where(among(op.uow.conn, t.residents.c.id, ids[i:i + 500]))))
    return out


def _members_on(op: Operation, resident_ids: Iterable[str], day: dt.date) -> set[str]:
    """Those of ``resident_ids`` with an open party membership on ``day``."""
    ids = sorted(set(resident_ids))
    m = t.party_memberships.c
    out: set[str] = set()
    for i in range(0, len(ids), 500):
        out.update(op.uow.conn.execute(sa.select(m.resident_id).distinct().where(
            among(op.uow.conn, m.resident_id, ids[i:i + 500]), _open_memberships(day)))
            .scalars())
    return out


def _member_target(r: Any) -> Target:
    return Target("party_member", r.id, r.building_code, r.grid_code, owner_id=r.id)


def _open_memberships(day: dt.date) -> Any:
    m = t.party_memberships.c
    return sa.and_(m.start <= day, sa.or_(m.end.is_(None), m.end >= day))


def _round_from_row(r: Any) -> EvaluationRound:
    return EvaluationRound(r.id, r.community_code, r.title, r.period_start, r.period_end,
                           r.electorate, tuple(g for g in r.grades.split("\n") if g),
                           r.status, r.min_ballots)


def expect_electorate(value: Any) -> Electorate:
    """The check of a ``cgov_party_evaluation_electorate`` answer: ``"grid"`` or
    ``"building"``."""
    if not isinstance(value, str) or value not in {e.value for e in Electorate}:
        raise ValueError(f"expected 'grid' or 'building', got {value!r}")
    return Electorate(value)


def expect_grades(value: Any) -> tuple[str, ...]:
    """The check of a ``cgov_party_evaluation_grades`` answer: distinct grade names."""
    if not isinstance(value, list | tuple):
        raise TypeError(f"expected a list of grade names, got {type(value).__name__}")
    return check_grades(value)


class PartyService(SymposiaMixin, VisitsMixin):
    """Party building: the tree, members, their public board, residents' evaluation, the
    座谈会 of group leaders and 党员中心户 (:mod:`.party_meetings`), festival visits to
    outstanding members (:mod:`.party_visits`).

    Reached as ``gov.party``.
    """

    def __init__(self, gov: Context) -> None:
        from community_governance.services.registry import RegistryService

        self._gov = gov
        self._svc = Service(gov)
        self._registry = RegistryService(gov)

    # ------------------------------------------------------------------ the tree

    def tree(self, community: str) -> list[tuple[int, PartyOrg]]:
        """A community's party tree, depth first: ``(depth, organization)``, the general
        committee at depth 0, its branches, property and partner organizations at 1, building
        groups at 2 (public facts).

        Raises:
            NotFound: the community has no party organization.
        """
        orgs = self._registry.party_orgs(community)
        if not orgs:
            raise NotFound("party organization", community,
                           "the community has none: add its 社区大党委 first")
        children: dict[str | None, list[PartyOrg]] = {}
        ids = {o.id for o in orgs}
        for o in orgs:
            children.setdefault(o.parent_id if o.parent_id in ids else None, []).append(o)
        out: list[tuple[int, PartyOrg]] = []

        def walk(parent: str | None, depth: int) -> None:
            for o in sorted(children.get(parent, []), key=lambda x: (x.kind, x.unit_code, x.id)):
                out.append((depth, o))
                walk(o.id, depth + 1)

        walk(None, 0)
        return out

    # ------------------------------------------------------------------ members

    def members(self, actor: Actor, org_id: str, *, on: dt.date | None = None,
                reveal: bool = False, reason: str = "") -> list[PartyMemberView]:
        """The members of an organization on a day (today by default), names masked unless
        ``reveal`` (which needs ``resident.read`` too). Written to the access log.

        Raises:
            NotFound: no such organization.
            PermissionDenied: the actor may not read the organization's members.
        """
        from community_governance.domain.actions import RESIDENT_READ

        org = self._registry.party_org(org_id)
        with self._svc._read(actor, "party.members") as op:
            target = Target("party_org", org_id, unit_code=org.unit_code)
            op.require(PARTY_MEMBER_READ, target)
            if reveal:
                op.require(RESIDENT_READ, Target("unit", org.unit_code,
                                                 unit_code=org.unit_code))
            day = on or op.today
            m = t.party_memberships.c
            rows = op.uow.conn.execute(
                sa.select(m.resident_id, m.start, m.end, t.residents.c.name,
                          pt.party_identity_consents.c.shown)
                .join(t.residents, t.residents.c.id == m.resident_id)
                .outerjoin(pt.party_identity_consents,
                           pt.party_identity_consents.c.resident_id == m.resident_id)
                .where(m.org_id == org_id, _open_memberships(day),
                       t.residents.c.erased.is_(False))
                .order_by(m.resident_id)).all()
            op.log_access(PARTY_MEMBER_READ, target,
                          reason or f"members of {org_id} on {day}"
                          + (" (names revealed)" if reveal else ""))
        return [PartyMemberView(r.resident_id, r.name if reveal else (mask_name(r.name) or ""),
                                org_id, r.start, r.end, bool(r.shown)) for r in rows]

    def member_record(self, actor: Actor, resident_id: str, *,
                      reason: str = "") -> PartyMemberRecord:
        """What the party capability holds about one member (the member, the committee).
        Written to the access log.

        Raises:
            NotFound: no such resident.
            PermissionDenied: the actor is neither the member nor their committee.
        """
        with self._svc._read(actor, "party.member_record") as op:
            r = _home(op, resident_id)
            target = _member_target(r)
            op.require(PARTY_MEMBER_READ, target)
            conn = op.uow.conn
            m = t.party_memberships.c
            ms = conn.execute(sa.select(m.org_id, m.start, m.end).where(
                m.resident_id == resident_id).order_by(m.start, m.org_id)).all()
            reports = conn.execute(sa.select(pt.party_reports).where(
                pt.party_reports.c.resident_id == resident_id).order_by(
                pt.party_reports.c.reported_on, pt.party_reports.c.id)).all()
            shown = conn.execute(sa.select(pt.party_identity_consents.c.shown).where(
                pt.party_identity_consents.c.resident_id == resident_id)).scalar_one_or_none()
            households = conn.execute(
                sa.select(pt.party_centre_links.c.household_id)
                .join(t.posts, t.posts.c.id == pt.party_centre_links.c.post_id)
                .where(t.posts.c.holder_id == resident_id,
                       t.posts.c.kind == PostKind.PARTY_HOUSEHOLD_CENTRE.value,
                       pt.party_centre_links.c.end.is_(None))
                .order_by(pt.party_centre_links.c.household_id)).scalars().all()
            a = vt.activity_attendance.c
            acts, minutes = conn.execute(sa.select(
                sa.func.count(), sa.func.coalesce(sa.func.sum(a.minutes), 0)).where(
                a.resident_id == resident_id)).one()
            op.log_access(PARTY_MEMBER_READ, target, reason or "party member record")
        return PartyMemberRecord(
            resident_id, tuple((x.org_id, x.start, x.end) for x in ms),
            tuple(PartyReport(p.id, p.resident_id, p.partner_id, p.community_code,
                              p.reported_on, p.end) for p in reports),
            bool(shown), tuple(households), int(acts), int(minutes))

    def end_membership(self, actor: Actor, org_id: str, resident_id: str, *,
                       on: dt.date) -> None:
        """End a resident's open membership of an organization on ``on`` (组织关系转出).

        Raises:
            NotFound: no open membership of ``resident_id`` in ``org_id``.
            ValidationError: ``on`` is before the membership started.
            PermissionDenied: the actor may not change the organization's members.
        """
        with self._svc._write(actor, "party.end_membership") as op:
            org = self._registry._party_org(op, org_id)
            if org is None:
                raise NotFound("party organization", org_id)
            op.require(PARTY_MEMBER_WRITE, Target("party_org", org_id, unit_code=org.unit_code))
            m = t.party_memberships
            row = op.uow.conn.execute(sa.select(m).where(
                m.c.org_id == org_id, m.c.resident_id == resident_id,
                m.c.end.is_(None))).first()
            if row is None:
                raise NotFound("open party membership", f"{resident_id} in {org_id}")
            if on < row.start:
                raise ValidationError(f"the membership started on {row.start}; it cannot end "
                                      f"before that ({on})", path="on")
            op.uow.conn.execute(m.update().where(
                m.c.org_id == org_id, m.c.resident_id == resident_id,
                m.c.start == row.start).values(end=on))
            op.touch("resident", resident_id)

    def _require_member(self, op: Operation, resident_id: str, day: dt.date) -> None:
        found = op.uow.conn.execute(sa.select(t.party_memberships.c.org_id).where(
            t.party_memberships.c.resident_id == resident_id, _open_memberships(day))
            .limit(1)).first()
        if found is None:
            raise ConflictError(
                f"resident {resident_id} is not a party member on {day}: enrol them in their "
                "organization first (registry.add_party_members)")

    def report_where_living(self, actor: Actor, reports: Iterable[PartyReport]) -> int:
        """Record members who work at a partner unit registering with the community where
        they live (在职党员到社区报到).

        Raises:
            NotFound: a resident or partner unit does not exist.
            ConflictError: the resident is not a party member, or a key exists already.
            ValidationError: the community is not the one the member lives in.
            PermissionDenied: the actor may not record members of the community.
        """
        items = list(reports)
        with self._svc._write(actor, "party.report_where_living") as op:
            conn = op.uow.conn
            for i, rep in enumerate(items):
                r = _home(op, rep.resident_id)
                if conn.execute(sa.select(t.partner_units.c.id).where(
                        t.partner_units.c.id == rep.partner_id)).first() is None:
                    raise NotFound("partner unit", rep.partner_id, f"at $[{i}].partner_id")
                if r.community_code != rep.community_code:
                    lives = r.community_code or "no community"
                    raise ValidationError(
                        f"resident {rep.resident_id} lives in {lives}, not "
                        f"{rep.community_code}: a member reports to the community where they "
                        "live", path=f"$[{i}].community_code")
                op.require(PARTY_MEMBER_WRITE, Target("party_member", rep.resident_id,
                                                      rep.community_code))
                self._require_member(op, rep.resident_id, rep.reported_on)
            try:
                if items:
                    conn.execute(pt.party_reports.insert(), [
                        {"id": p.id, "resident_id": p.resident_id, "partner_id": p.partner_id,
                         "community_code": p.community_code, "reported_on": p.reported_on,
                         "end": p.end} for p in items])
            except IntegrityError:
                raise ConflictError("a registration (在职党员报到) with one of these keys exists "
                                    "already: choose new keys") from None
            op.touched.extend(f"party_report:{p.id}" for p in items)
            return len(items)

    def set_identity_consent(self, actor: Actor, resident_id: str, *, shown: bool) -> None:
        """A member gives (``shown=True``) or withdraws consent to 党员亮身份: their name on
        their building's public board. Only the member decides.

        Raises:
            ConflictError: the resident is not a party member today.
            PermissionDenied: the actor is not the member.
        """
        with self._svc._write(actor, "party.set_identity_consent") as op:
            r = _home(op, resident_id)
            op.require(PARTY_CONSENT, _member_target(r))
            if shown:
                self._require_member(op, resident_id, op.today)
            c = pt.party_identity_consents
            conn = op.uow.conn
            if conn.execute(sa.select(c.c.resident_id).where(
                    c.c.resident_id == resident_id)).first() is None:
                conn.execute(c.insert().values(resident_id=resident_id, shown=shown,
                                               since=op.today))
            else:
                conn.execute(c.update().where(c.c.resident_id == resident_id)
                             .values(shown=shown, since=op.today))
            op.touch("party_identity_consent", resident_id)
            op.detail["shown"] = shown

    def record_consents(self, actor: Actor, consents: dict[str, bool]) -> int:
        """Record the signed consent forms of many members at once (党员亮身份承诺书), in one
        transaction: the import of paper forms by a system job. Each member's consent is theirs
        alone, so no post may record it for them.

        Raises:
            ConflictError: a resident is not a party member today.
            PermissionDenied: the actor is not a system job (or the member themselves).
        """
        with self._svc._write(actor, "party.record_consents") as op:
            c = pt.party_identity_consents
            conn = op.uow.conn
            homes = _homes(op, consents)
            enrolled = _members_on(op, (r for r, v in consents.items() if v), op.today)
            for rid, shown in sorted(consents.items()):
                if rid not in homes:
                    raise NotFound("resident", rid)
                op.require(PARTY_CONSENT, _member_target(homes[rid]))
                if shown and rid not in enrolled:
                    self._require_member(op, rid, op.today)  # raises, naming the resident
            done = set(conn.execute(sa.select(c.c.resident_id).where(
                among(conn, c.c.resident_id, list(consents)))).scalars()) if consents else set()
            new = [{"resident_id": r, "shown": v, "since": op.today}
                   for r, v in sorted(consents.items()) if r not in done]
            if new:
                conn.execute(c.insert(), new)
            for r in sorted(done):
                conn.execute(c.update().where(c.c.resident_id == r).values(
                    shown=consents[r], since=op.today))
            op.touched.extend(f"party_identity_consent:{r}" for r in sorted(consents))
            return len(consents)

    def board(self, building: str, *, on: dt.date | None = None) -> list[PublicMember]:
        """A building's public board of party members (党员亮身份公示): members living there
        whose membership is open and who consented; the name, the organization and whether
        they run a 党员中心户, nothing else.
        """
        with self._svc._read(Actor.public(), "party.board") as op:
            op.require(PARTY_BOARD, Target("unit", building, unit_code=building))
            day = on or op.today
            m = t.party_memberships.c
            c = pt.party_identity_consents.c
            rows = op.uow.conn.execute(
                sa.select(t.residents.c.id, t.residents.c.name, t.party_orgs.c.name.label("org"))
                .join(t.households, t.households.c.id == t.residents.c.household_id)
                .join(t.party_memberships, m.resident_id == t.residents.c.id)
                .join(t.party_orgs, t.party_orgs.c.id == m.org_id)
                .join(pt.party_identity_consents, c.resident_id == t.residents.c.id)
                .where(t.households.c.building_code == building, c.shown.is_(True),
                       t.residents.c.erased.is_(False), _open_memberships(day))
                .order_by(t.residents.c.name, t.residents.c.id)).all()
            centres = set(op.uow.conn.execute(sa.select(t.posts.c.holder_id).where(
                t.posts.c.kind == PostKind.PARTY_HOUSEHOLD_CENTRE.value,
                t.posts.c.holder_id.in_([r.id for r in rows]), t.posts.c.start <= day,
                sa.or_(t.posts.c.end.is_(None), t.posts.c.end >= day))).scalars())
        seen: set[str] = set()
        out = []
        for r in rows:
            if r.id not in seen:
                seen.add(r.id)
                out.append(PublicMember(r.name, r.org, r.id in centres))
        return out

    def link_centre_households(self, actor: Actor, post_id: str,
                               household_ids: Sequence[str], *, since: dt.date) -> int:
        """Link households to a 党员中心户 (a ``party_household_centre`` post held by a
        member): each household in the post's building, or in its grid.

        Raises:
            NotFound: the post or a household does not exist.
            ValidationError: the post is not a 党员中心户, or a household lies outside its unit.
            ConflictError: the holder is not a party member, or a household is linked already.
            PermissionDenied: the actor may not record members of the unit.
        """
        with self._svc._write(actor, "party.link_centre_households") as op:
            return self._link_centres(op, [(post_id, household_ids)], since, batch=False)

    def link_centre_households_many(self, actor: Actor,
                                    links: Mapping[str, Sequence[str]] | Iterable[
                                        tuple[str, Sequence[str]]], *, since: dt.date) -> int:
        """:meth:`link_centre_households` for many 党员中心户 at once, in one transaction:
        ``{post: households}`` (or ``(post, households)`` pairs), each checked as the single
        form, in the order given; the first refusal names the post and the household's position
        (``<post>.household_ids[<i>]``) and writes nothing.

        Returns:
            The households linked, all posts together.

        Raises:
            As :meth:`link_centre_households`.
        """
        items = list(links.items() if isinstance(links, Mapping) else links)
        with self._svc._write(actor, "party.link_centre_households_many") as op:
            return self._link_centres(op, items, since, batch=True)

    def _link_centres(self, op: Operation, items: Sequence[tuple[str, Sequence[str]]],
                      since: dt.date, *, batch: bool) -> int:
        """Check and write the links of ``items`` (``(post, households)``) in ``op``: the posts,
        their holders' memberships, the households and the open links read once for all."""
        conn = op.uow.conn
        post_ids = sorted({p for p, _ in items})
        posts = {r.id: post_from_row(r) for r in conn.execute(
            sa.select(t.posts).where(t.posts.c.id.in_(post_ids)))} if post_ids else {}
        enrolled = _members_on(op, (p.holder_id for p in posts.values()), since)
        wanted = sorted({h for _, hs in items for h in hs})
        homes: dict[str, Any] = {}
        for i in range(0, len(wanted), 500):
            homes.update((h.id, h) for h in conn.execute(
                sa.select(t.households.c.id, t.households.c.building_code,
                          t.buildings.c.grid_code)
                .join(t.buildings, t.buildings.c.code == t.households.c.building_code)
                .where(among(conn, t.households.c.id, wanted[i:i + 500]))))
        linked: dict[str, set[str]] = {}
        for r in conn.execute(sa.select(pt.party_centre_links.c.post_id,
                                        pt.party_centre_links.c.household_id).where(
                pt.party_centre_links.c.post_id.in_(post_ids),
                pt.party_centre_links.c.end.is_(None))) if post_ids else ():
            linked.setdefault(r.post_id, set()).add(r.household_id)
        rows: list[dict[str, Any]] = []
        for k, (post_id, household_ids) in enumerate(items):
            where = f"{post_id}." if batch else ""
            post = posts.get(post_id)
            if post is None:
                raise NotFound("post", post_id, f"at links[{k}]" if batch else "")
            if post.kind is not PostKind.PARTY_HOUSEHOLD_CENTRE:
                raise ValidationError(f"post {post_id} is a {post.kind.chinese}, not a 党员中心户 "
                                      "(party_household_centre)",
                                      path=f"links[{k}]" if batch else "post_id")
            op.require(PARTY_MEMBER_WRITE, Target("post", post_id, unit_code=post.unit_code))
            if post.holder_id not in enrolled:
                self._require_member(op, post.holder_id, since)  # raises, naming the holder
            for i, h in enumerate(household_ids):
                got = homes.get(h)
                if got is None:
                    raise NotFound("household", h, f"at {where}household_ids[{i}]")
                if post.unit_code not in (got.building_code, got.grid_code):
                    raise ValidationError(
                        f"household {h} is in {got.building_code}, outside {post.unit_code} "
                        f"where 党员中心户 {post_id} serves: link households of its own unit",
                        path=f"{where}household_ids[{i}]")
            again = sorted(linked.get(post_id, set()) & set(household_ids))
            if again:
                raise ConflictError(f"households {again} are linked to {post_id} already")
            linked.setdefault(post_id, set()).update(household_ids)
            rows += [{"post_id": post_id, "household_id": h, "start": since, "end": None}
                     for h in household_ids]
            op.touch("post", post_id)
        if rows:
            conn.execute(pt.party_centre_links.insert(), rows)
        op.detail["households"] = len(rows)
        return len(rows)

    def centre_households(self, actor: Actor, post_id: str) -> list[str]:
        """The households a 党员中心户 links today (the committee, the holder)."""
        with self._svc._read(actor, "party.centre_households") as op:
            row = op.uow.conn.execute(sa.select(t.posts).where(t.posts.c.id == post_id)).first()
            if row is None:
                raise NotFound("post", post_id)
            op.require(PARTY_MEMBER_READ, Target("party_member", row.holder_id, row.unit_code,
                                                 owner_id=row.holder_id))
            return list(op.uow.conn.execute(
                sa.select(pt.party_centre_links.c.household_id).where(
                    pt.party_centre_links.c.post_id == post_id,
                    pt.party_centre_links.c.end.is_(None))
                .order_by(pt.party_centre_links.c.household_id)).scalars())

    def activities(self, actor: Actor, community: str, *, start: dt.date, end: dt.date,
                   reveal: bool = False) -> list[MemberActivity]:
        """Party members' part in public activities and volunteering (党员参与公益活动) in a
        community between two days, from the volunteer service records (not typed twice):
        every member of the community's organizations, with zero for those who took no part.
        Names masked unless ``reveal``. Written to the access log.

        Raises:
            PermissionDenied: the actor may not read the community's members.
        """
        with self._svc._read(actor, "party.activities") as op:
            target = Target("party_org", community, unit_code=community)
            op.require(PARTY_MEMBER_READ, target)
            conn = op.uow.conn
            m = t.party_memberships.c
            members = conn.execute(
                sa.select(t.residents.c.id, t.residents.c.name).distinct()
                .join(t.party_memberships, m.resident_id == t.residents.c.id)
                .join(t.party_orgs, t.party_orgs.c.id == m.org_id)
                .where(t.party_orgs.c.unit_code.startswith(community, autoescape=True),
                       m.start <= end, sa.or_(m.end.is_(None), m.end >= start),
                       t.residents.c.erased.is_(False))).all()
            a = vt.activity_attendance.c
            done = {r.resident_id: (int(r.n), int(r.minutes)) for r in conn.execute(
                sa.select(a.resident_id, sa.func.count().label("n"),
                          sa.func.sum(a.minutes).label("minutes"))
                .where(a.resident_id.in_([x.id for x in members]), a.day >= start,
                       a.day <= end).group_by(a.resident_id))}
            op.log_access(PARTY_MEMBER_READ, target,
                          f"members' public activities {start}..{end}")
        return sorted((MemberActivity(x.id, x.name if reveal else (mask_name(x.name) or ""),
                                      *done.get(x.id, (0, 0))) for x in members),
                      key=lambda v: (-v.minutes, v.resident_id))

    # ------------------------------------------------------------------ evaluation

    def _rules(self, community: str) -> tuple[Electorate, tuple[str, ...]]:
        hooks = self._gov.hooks
        electorate = hooks.first("cgov_party_evaluation_electorate", expect_electorate,
                                 community_code=community, place=community)
        grades = hooks.first("cgov_party_evaluation_grades", expect_grades,
                             community_code=community, place=community)
        return electorate, grades

    def open_evaluation(self, actor: Actor, round_id: str, community: str, *, title: str,
                        period_start: dt.date, period_end: dt.date,
                        member_ids: Sequence[str]) -> EvaluationRound:
        """Open an evaluation round (群众评议党员) for members living in a community.

        The electorate (residents of each member's grid or building) and the grades come from
        the place's rule (``cgov_party_evaluation_electorate``,
        ``cgov_party_evaluation_grades``) and are fixed in the round; each member's grid (or
        building) is fixed too.

        Raises:
            ValidationError: no member, a member repeated, a member living elsewhere, a blank
                title, or the period ends before it starts.
            ConflictError: a resident is not a party member, or the key exists already.
            PluginError: a rule answered nonsense; nothing is written.
            PermissionDenied: the actor may not run evaluations in the community.
        """
        if not member_ids:
            raise ValidationError("an evaluation round evaluates at least one member",
                                  path="member_ids")
        if len(set(member_ids)) != len(member_ids):
            raise ValidationError("a member is named twice in the round", path="member_ids")
        if not title or not title.strip():
            raise ValidationError("an evaluation round needs a title (e.g. 2019年度群众评议党员)",
                                  path="title")
        check_public_text(title, "title")
        electorate, grades = self._rules(community)
        round_ = EvaluationRound(round_id, community, title.strip(), period_start, period_end,
                                 electorate, grades)
        with self._svc._write(actor, "party.open_evaluation") as op:
            op.require(EVALUATION_RUN, Target("evaluation", round_id, unit_code=community))
            subjects = []
            homes = _homes(op, member_ids)  # read at once, checked in order
            enrolled = _members_on(op, member_ids, period_start)
            for i, mid in enumerate(member_ids):
                r = homes.get(mid)
                if r is None:
                    raise NotFound("resident", mid)
                if r.erased or r.community_code != community:
                    raise ValidationError(
                        f"member {mid} does not live in {community}: a round evaluates the "
                        "members living in its community", path=f"member_ids[{i}]")
                if mid not in enrolled:
                    self._require_member(op, mid, period_start)  # raises, naming the member
                unit = r.grid_code if electorate is Electorate.GRID else r.building_code
                if unit is None:
                    raise ValidationError(f"member {mid}'s building is in no grid: put it in a "
                                          "grid first", path=f"member_ids[{i}]")
                subjects.append({"round_id": round_id, "member_id": mid, "unit_code": unit})
            try:
                op.uow.conn.execute(pt.evaluation_rounds.insert().values(
                    id=round_id, community_code=community, title=round_.title,
                    period_start=period_start, period_end=period_end,
                    electorate=electorate.value, grades="\n".join(grades),
                    status=RoundStatus.OPEN.value, min_ballots=None, opened_at=op.now))
            except IntegrityError:
                raise ConflictError(f"evaluation round {round_id} exists already") from None
            op.uow.conn.execute(pt.evaluation_subjects.insert(), subjects)
            op.uow.conn.execute(pt.evaluation_tallies.insert(), [
                {"round_id": round_id, "member_id": s["member_id"], "grade": g, "ballots": 0}
                for s in subjects for g in grades])
            op.touch("evaluation_round", round_id)
            op.detail["members"] = len(subjects)
            return round_

    def evaluation(self, round_id: str) -> EvaluationRound:
        """A round (public facts: period, electorate, grades, status)."""
        with self._gov.store.unit_of_work(write=False) as uow:
            r = uow.conn.execute(sa.select(pt.evaluation_rounds).where(
                pt.evaluation_rounds.c.id == round_id)).first()
        if r is None:
            raise NotFound("evaluation round", round_id)
        return _round_from_row(r)

    def _load_round(self, op: Operation, round_id: str) -> EvaluationRound:
        q = sa.select(pt.evaluation_rounds).where(pt.evaluation_rounds.c.id == round_id)
        r = op.uow.conn.execute(q).first()
        if r is None:
            raise NotFound("evaluation round", round_id)
        return _round_from_row(r)

    def cast_ballot(self, actor: Actor, round_id: str, member_id: str, grade: str, *,
                    voter_id: str | None = None) -> None:
        """A resident evaluates a member (one ballot per resident and member, anonymous).

        The voter is the acting resident (``Actor.resident(...)``); ``voter_id`` may name
        them explicitly, and nobody casts a ballot for someone else here (paper ballots go
        through :meth:`cast_ballots`).

        Records THAT the resident voted, and adds one to the member's count of ``grade``;
        nothing ties the two together. The audit trail names the round and the member, never
        the grade.

        Raises:
            NotFound: no such round, or the member is not evaluated in it.
            ValidationError: ``grade`` is not one of the round's grades.
            ConflictError: the round is closed or outside its period, or the resident has
                evaluated this member already.
            PermissionDenied: the actor is not the voter, or the voter does not live in the
                member's grid (or building), or is the member.
        """
        voter = voter_id or actor.id
        self._cast(actor, round_id, [(voter, member_id, grade)], "party.evaluate")

    def cast_ballots(self, actor: Actor, round_id: str,
                     ballots: Sequence[tuple[str, str, str]]) -> int:
        """Record paper ballots collected at a 座谈会 or door to door, in one transaction:
        ``(voter, member, grade)`` each, checked as :meth:`cast_ballot`. Only the system (the
        counting job) or the committee records others' ballots; the batch is shuffled before
        it is written, and counts are added per member and grade, so the order of the input
        leaves no trace.

        Returns:
            How many ballots were counted.
        """
        return self._cast(actor, round_id, list(ballots), "party.cast_ballots")

    def _cast(self, actor: Actor, round_id: str, ballots: list[tuple[str, str, str]],
              name: str) -> int:
        with self._svc._write(actor, name) as op:
            round_ = self._load_round(op, round_id)
            round_.check_open_on(op.today)
            conn = op.uow.conn
            subjects = {s.member_id: s.unit_code for s in conn.execute(
                sa.select(pt.evaluation_subjects).where(
                    pt.evaluation_subjects.c.round_id == round_id))}
            voters = _homes(op, (b[0] for b in ballots))
            for v in sorted({b[0] for b in ballots} - set(voters)):
                if name == "party.evaluate":  # a staff key: not a resident who may vote
                    raise PermissionDenied(str(actor), EVALUATION_VOTE.name,
                                           f"ballot {round_id}", "only residents evaluate "
                                           "party members, each for themselves")
                raise NotFound("resident", v)
            seen: set[tuple[str, str]] = set()
            for i, (voter, member, grade) in enumerate(ballots):
                if member not in subjects:
                    raise NotFound("member evaluated in round", f"{member} in {round_id}",
                                   f"at [{i}]")
                if grade not in round_.grades:
                    raise ValidationError(f"grade {grade!r} is not one of the round's grades "
                                          f"{list(round_.grades)}", path=f"[{i}].grade")
                v = voters[voter]
                if actor.kind.value == "resident" or name == "party.evaluate":
                    op.require(EVALUATION_VOTE, Target("ballot", round_id, v.building_code,
                                                       v.grid_code, owner_id=voter))
                else:
                    op.require(EVALUATION_RUN, Target("evaluation", round_id,
                                                      unit_code=round_.community_code))
                home = v.grid_code if round_.electorate is Electorate.GRID else v.building_code
                if v.erased or voter == member or home != subjects[member]:
                    why = ("a member does not evaluate themselves" if voter == member else
                           f"residents of {subjects[member]} ({round_.electorate.value}) "
                           f"evaluate member {member}; resident {voter} lives in "
                           f"{home or 'no ' + round_.electorate.value}")
                    raise PermissionDenied(str(actor), EVALUATION_VOTE.name,
                                           f"ballot {round_id}/{member}", why)
                if (voter, member) in seen:
                    raise ConflictError(f"resident {voter} evaluates member {member} twice in "
                                        "this batch: one ballot per resident and member")
                seen.add((voter, member))
            order = list(ballots)
            random.SystemRandom().shuffle(order)
            try:
                if order:
                    conn.execute(pt.evaluation_participation.insert(), [
                        {"round_id": round_id, "member_id": m, "voter_id": v}
                        for v, m, _ in order])
            except IntegrityError:
                raise ConflictError(
                    f"a resident has evaluated this member in round {round_id} already: one "
                    "ballot per resident and member; the first ballot stands") from None
            tally = pt.evaluation_tallies
            per_member: dict[str, Counter[str]] = {}
            for _, m, g in order:
                per_member.setdefault(m, Counter())[g] += 1
            if per_member:  # one statement, a parameter set per member: each of the
                # member's grade rows gains its count (0 for the grades nobody gave)
                grades = sorted({g for c in per_member.values() for g in c})
                add = sa.case(*((tally.c.grade == g, sa.bindparam(f"b_n{k}", type_=sa.Integer))
                                for k, g in enumerate(grades)), else_=0)
                conn.execute(tally.update().where(
                    tally.c.round_id == round_id, tally.c.member_id == sa.bindparam("b_member"))
                    .values(ballots=tally.c.ballots + add),
                    [{"b_member": m, **{f"b_n{k}": counts.get(g, 0)
                                        for k, g in enumerate(grades)}}
                     for m, counts in sorted(per_member.items())])
            for v, m in sorted(seen):
                op.touch("evaluation_participation", f"{round_id}/{m}/{v}")
            op.detail["round"] = round_id
            return len(order)

    def close_evaluation(self, actor: Actor, round_id: str) -> EvaluationRound:
        """Close a round: ballots stop, the minimum number of ballots a result needs is fixed
        from the place's rule (``cgov_party_evaluation_min_ballots``).

        Raises:
            ConflictError: the round is closed already.
            PluginError: the rule answered nonsense; nothing is written.
            PermissionDenied: the actor may not run evaluations in the community.
        """
        round_ = self.evaluation(round_id)
        k = self._gov.hooks.first(
            "cgov_party_evaluation_min_ballots", expect_int(minimum=3, maximum=1000),
            community_code=round_.community_code, place=round_.community_code)
        with self._svc._write(actor, "party.close_evaluation") as op:
            round_ = self._load_round(op, round_id)
            op.require(EVALUATION_RUN, Target("evaluation", round_id,
                                              unit_code=round_.community_code))
            if round_.status is not RoundStatus.OPEN:
                raise ConflictError(f"evaluation round {round_id} is closed already")
            done = op.uow.conn.execute(pt.evaluation_rounds.update().where(
                pt.evaluation_rounds.c.id == round_id,
                pt.evaluation_rounds.c.status == RoundStatus.OPEN.value).values(
                status=RoundStatus.CLOSED.value, min_ballots=k))
            if done.rowcount != 1:
                raise ConflictError(f"evaluation round {round_id} is closed already")
            op.touch("evaluation_round", round_id)
            op.detail["min_ballots"] = k
            return EvaluationRound(round_.id, round_.community_code, round_.title,
                                   round_.period_start, round_.period_end, round_.electorate,
                                   round_.grades, RoundStatus.CLOSED, k)

    def _tally(self, op: Operation, round_id: str, member: str | None) -> dict[str, dict[str, int]]:
        tally = pt.evaluation_tallies
        q = sa.select(tally).where(tally.c.round_id == round_id)
        if member is not None:
            q = q.where(tally.c.member_id == member)
        out: dict[str, dict[str, int]] = {}
        for r in op.uow.conn.execute(q):
            out.setdefault(r.member_id, {})[r.grade] = int(r.ballots)
        return out

    def results(self, actor: Actor, round_id: str) -> list[EvaluationResult]:
        """The results of a closed round for the committee: per member, the counts when at or
        above the round's minimum, else withheld. Written to the access log.

        Raises:
            ConflictError: the round is still open.
            PermissionDenied: the actor may not read the community's results.
        """
        with self._svc._read(actor, "party.evaluation_results") as op:
            round_ = self._load_round(op, round_id)
            target = Target("evaluation", round_id, unit_code=round_.community_code)
            op.require(EVALUATION_RESULT, target)
            tallies = self._tally(op, round_id, None)
            out = [evaluation_result(round_, m, tallies[m]) for m in sorted(tallies)]
            op.log_access(EVALUATION_RESULT, target, "evaluation results")
            return out

    def result(self, actor: Actor, round_id: str, member_id: str) -> EvaluationResult:
        """One member's result (the member themselves, or the committee).

        Raises:
            NotFound: the member is not evaluated in the round.
            ConflictError: the round is still open.
            PermissionDenied: the actor is neither the member nor the committee.
        """
        with self._svc._read(actor, "party.evaluation_result") as op:
            round_ = self._load_round(op, round_id)
            r = _home(op, member_id)
            op.require(EVALUATION_RESULT, Target("party_member", member_id,
                                                 r.building_code or round_.community_code,
                                                 r.grid_code, owner_id=member_id))
            tally = self._tally(op, round_id, member_id)
            if member_id not in tally:
                raise NotFound("member evaluated in round", f"{member_id} in {round_id}")
            return evaluation_result(round_, member_id, tally[member_id])

    def participants(self, actor: Actor, round_id: str) -> dict[str, int]:
        """How many residents evaluated each member (participation, no grades)."""
        with self._svc._read(actor, "party.evaluation_participants") as op:
            round_ = self._load_round(op, round_id)
            op.require(EVALUATION_RUN, Target("evaluation", round_id,
                                              unit_code=round_.community_code))
            p = pt.evaluation_participation.c
            return {r.member_id: int(r.n) for r in op.uow.conn.execute(
                sa.select(p.member_id, sa.func.count().label("n")).where(
                    p.round_id == round_id).group_by(p.member_id).order_by(p.member_id))}

    def appeal(self, actor: Actor, appeal_id: str, round_id: str, member_id: str, *,
               reason: str) -> EvaluationAppeal:
        """A member appeals their result of a closed round (评议结果申诉); the committee
        decides (:meth:`decide_appeal`). One open appeal per member and round.

        Raises:
            ValidationError: no reason.
            ConflictError: the round is open, or an appeal is pending already.
            PermissionDenied: the actor is not the member.
        """
        if not reason or not reason.strip():
            raise ValidationError("an appeal needs the member's reason", path="reason")
        with self._svc._write(actor, "party.appeal") as op:
            round_ = self._load_round(op, round_id)
            r = _home(op, member_id)
            op.require(EVALUATION_APPEAL, _member_target(r))
            if round_.status is not RoundStatus.CLOSED:
                raise ConflictError(f"round {round_id} is still open: appeal once its results "
                                    "are out")
            if not self._tally(op, round_id, member_id):
                raise NotFound("member evaluated in round", f"{member_id} in {round_id}")
            a = pt.evaluation_appeals.c
            if op.uow.conn.execute(sa.select(a.id).where(
                    a.round_id == round_id, a.member_id == member_id,
                    a.status == AppealStatus.FILED.value)).first() is not None:
                raise ConflictError(f"member {member_id} has an appeal pending in {round_id}; "
                                    "wait for the committee's decision")
            item = EvaluationAppeal(appeal_id, round_id, member_id, reason.strip(), op.today)
            try:
                op.uow.conn.execute(pt.evaluation_appeals.insert().values(
                    id=appeal_id, round_id=round_id, member_id=member_id, reason=item.reason,
                    filed_on=op.today, status=AppealStatus.FILED.value))
            except IntegrityError:
                raise ConflictError(f"appeal {appeal_id} exists already") from None
            op.touch("evaluation_appeal", appeal_id)
            return item

    def decide_appeal(self, actor: Actor, appeal_id: str, *, upheld: bool,
                      decision: str) -> EvaluationAppeal:
        """The committee decides an appeal: upheld (the result is set aside) or rejected.

        Raises:
            NotFound: no such appeal.
            ValidationError: no reasons given.
            InvalidTransition: the appeal is decided already.
            PermissionDenied: the actor may not run the community's evaluations.
        """
        from community_governance.errors import InvalidTransition

        if not decision or not decision.strip():
            raise ValidationError("a decision on an appeal gives its reasons", path="decision")
        with self._svc._write(actor, "party.decide_appeal") as op:
            a = pt.evaluation_appeals
            row = op.uow.conn.execute(sa.select(a).where(a.c.id == appeal_id)).first()
            if row is None:
                raise NotFound("appeal", appeal_id)
            round_ = self._load_round(op, row.round_id)
            op.require(EVALUATION_RUN, Target("evaluation", row.round_id,
                                              unit_code=round_.community_code))
            if row.status != AppealStatus.FILED.value:
                raise InvalidTransition(f"appeal {appeal_id} is {row.status} already; a "
                                        "decision is final")
            status = AppealStatus.UPHELD if upheld else AppealStatus.REJECTED
            op.uow.conn.execute(a.update().where(a.c.id == appeal_id).values(
                status=status.value, decision=decision.strip(), decided_on=op.today))
            op.touch("evaluation_appeal", appeal_id)
            return EvaluationAppeal(appeal_id, row.round_id, row.member_id, row.reason,
                                    row.filed_on, status, decision.strip(), op.today)

    def appeals(self, actor: Actor, round_id: str) -> list[EvaluationAppeal]:
        """The appeals of a round (the committee)."""
        with self._svc._read(actor, "party.appeals") as op:
            round_ = self._load_round(op, round_id)
            op.require(EVALUATION_RUN, Target("evaluation", round_id,
                                              unit_code=round_.community_code))
            a = pt.evaluation_appeals.c
            return [EvaluationAppeal(r.id, r.round_id, r.member_id, r.reason, r.filed_on,
                                     r.status, r.decision, r.decided_on)
                    for r in op.uow.conn.execute(sa.select(pt.evaluation_appeals).where(
                        a.round_id == round_id).order_by(a.filed_on, a.id))]
