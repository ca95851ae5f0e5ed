"""Staff and posts (工作人员, 岗位), party organizations (党组织) and partner units
(共建单位)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import sqlalchemy as sa

from community_governance.domain import actions as A
from community_governance.domain.access import Actor, Target
from community_governance.domain.party import UnitFacts, check_party_org
from community_governance.domain.people import validate_phone
from community_governance.domain.posts import (
    POST_UNIT_KINDS,
    HolderKind,
    PartnerUnit,
    PartyOrg,
    PartyOrgKind,
    Post,
    PostKind,
    StaffMember,
    check_concurrent_posts,
)
from community_governance.domain.units import UnitKind
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.services.base import (
    Operation,
    grid_leaders_allowed,
    grid_leaders_rule,
    post_from_row,
)
from community_governance.services.registry.common import _RegistryBase
from community_governance.storage.repos.bulk import chunks
from community_governance.storage.tables import core as t
from community_governance.storage.tables.care import care_assignments
from community_governance.storage.tables.party import party_org_partners


def _among(conn: sa.Connection, column: sa.ColumnElement[Any], values: list[str],
           ) -> sa.ColumnElement[bool]:
    """``column IN values``; on PostgreSQL one array parameter (``= ANY``), which costs less
    to send and plan than hundreds of parameters."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == sa.any_(sa.bindparam("among_values", values, type_=ARRAY(sa.String)))
    return column.in_(values)

class _Posts(_RegistryBase):
    """Staff, posts (岗位), party organizations and partner units."""

    def add_staff(self, actor: Actor, members: Iterable[StaffMember]) -> int:
        """Add staff members (工作人员)."""
        items = list(members)
        with self._svc._write(actor, "registry.add_staff") as op:
            clash = op.uow.conn.execute(sa.select(t.residents.c.id).where(
                t.residents.c.id.in_([s.id for s in items])).limit(1)).scalar_one_or_none()
            if clash is not None:
                raise ConflictError(
                    f"staff key {clash!r} is already a resident's key; posts are found by the "
                    "holder's key, so staff members and residents need distinct keys: choose "
                    "another key for the staff member (e.g. with an S- prefix)")
            rows = [{"id": s.id, "name": s.name, "permanent": s.permanent,
                     "phone": self._gov.cipher.seal(validate_phone(s.phone))} for s in items]
            self._insert(op, t.staff, rows, "staff member")
            op.touched.extend(f"staff:{s.id}" for s in items)
            return len(items)

    def assign_posts(self, actor: Actor, posts: Iterable[Post]) -> int:
        """Give posts (书记, 主任, 网格长, 楼院长...) to residents or staff for a term.

        A grid has one grid leader (网格长) on any day, or as many as its community's rule
        allows (``cgov_grid_leaders_allowed``, e.g. 2 with a deputy).

        Raises:
            NotFound: a unit or holder does not exist.
            ValidationError: a post is held at a unit of the wrong kind.
            ConflictError: a grid would have more grid leaders at once than allowed (the
                message names the overlapping posts), or a post's key exists already.
            PermissionDenied: the actor may not assign posts at a unit.
        """
        items = list(posts)
        leaders = [p for p in items if p.kind is PostKind.GRID_LEADER]
        at_once = {g: grid_leaders_allowed(self._gov, g)
                   for g in sorted({p.unit_code for p in leaders})}  # asked before the write
        with self._svc._write(actor, "registry.assign_posts") as op:
            conn = op.uow.conn
            # the units' kinds and the holders read at once, checked in order below
            codes = sorted({p.unit_code for p in items})
            kinds: dict[str, UnitKind | None] = dict.fromkeys(codes)
            for i in range(0, len(codes), 500):
                kinds.update((r.code, UnitKind(r.kind)) for r in conn.execute(
                    sa.select(t.units.c.code, t.units.c.kind).where(
                        t.units.c.code.in_(codes[i:i + 500]))))
            holders: set[tuple[HolderKind, str]] = set()
            for hk, table in ((HolderKind.RESIDENT, t.residents), (HolderKind.STAFF, t.staff)):
                ids = sorted({p.holder_id for p in items if p.holder_kind is hk})
                for i in range(0, len(ids), 500):
                    holders.update((hk, h) for h in conn.execute(sa.select(table.c.id).where(
                        table.c.id.in_(ids[i:i + 500]))).scalars())
            for i, p in enumerate(items):
                kind = kinds[p.unit_code]
                if kind is None:
                    raise NotFound("unit", p.unit_code, f"at $[{i}].unit_code")
                if kind not in POST_UNIT_KINDS[p.kind]:
                    allowed = sorted(k.value for k in POST_UNIT_KINDS[p.kind])
                    raise ValidationError(
                        f"a {p.kind.chinese} ({p.kind.value}) post is held at a unit of kind "
                        f"{allowed}, not at {kind.value} {p.unit_code}", path=f"$[{i}].unit_code")
                if (p.holder_kind, p.holder_id) not in holders:
                    raise NotFound(p.holder_kind.value, p.holder_id, f"at $[{i}].holder_id")
                op.require(A.POST_ASSIGN, Target("post", p.id, unit_code=p.unit_code))
            if leaders:
                held = [post_from_row(r) for r in op.uow.conn.execute(sa.select(t.posts).where(
                    t.posts.c.kind == PostKind.GRID_LEADER.value,
                    t.posts.c.unit_code.in_(sorted(at_once))))]
                for p in leaders:
                    check_concurrent_posts(held, p, at_once[p.unit_code],
                                           rule=grid_leaders_rule(p.unit_code))
                    held.append(p)
            self._insert(op, t.posts, [
                {"id": p.id, "kind": p.kind.value, "unit_code": p.unit_code,
                 "holder_kind": p.holder_kind.value, "holder_id": p.holder_id, "start": p.start,
                 "end": p.end, "covers": ",".join(p.covers)} for p in items], "post")
            op.touched.extend(f"post:{p.id}" for p in items)
            return len(items)

    def end_post(self, actor: Actor, post_id: str, *, on: dt.date) -> Post:
        """End a post's term on ``on``; it grants no right after that day.

        Raises:
            ConflictError: the post's holder is still the assigned cadre of residents in care
                after ``on`` (hand them over first: ``gov.care.hand_over``).
        """
        with self._svc._write(actor, "registry.end_post") as op:
            row = op.uow.conn.execute(sa.select(t.posts).where(t.posts.c.id == post_id)).first()
            if row is None:
                raise NotFound("post", post_id)
            post = post_from_row(row)
            op.require(A.POST_ASSIGN, Target("post", post_id, unit_code=post.unit_code))
            if on < post.start:
                raise ValidationError(f"post {post_id} starts on {post.start}; it cannot end "
                                      f"before that ({on})", path="on")
            left = op.uow.conn.execute(sa.select(sa.func.count()).select_from(
                care_assignments.join(t.residents,
                                      t.residents.c.id == care_assignments.c.resident_id))
                .where(care_assignments.c.post_id == post_id, t.residents.c.erased.is_(False),
                       sa.or_(care_assignments.c.end.is_(None),
                              care_assignments.c.end > on))).scalar_one()
            if left:
                raise ConflictError(
                    f"post {post_id} is the assigned cadre (分包干部) of {left} residents in care "
                    f"after {on}; hand them over first (cgov care handover {post_id} "
                    "<other post>), so that nobody is left without a cadre")
            op.uow.conn.execute(t.posts.update().where(t.posts.c.id == post_id).values(end=on))
            op.touch("post", post_id)
            return attrs.evolve(post, end=on)

    def posts(self, *, unit_prefix: str | None = None, kind: PostKind | None = None,
              active_on: dt.date | None = None) -> list[Post]:
        """Posts, optionally under a unit code prefix, of one kind, active on a day."""
        q = sa.select(t.posts).order_by(t.posts.c.unit_code, t.posts.c.id)
        if unit_prefix:
            q = q.where(t.posts.c.unit_code.startswith(unit_prefix, autoescape=True))
        if kind is not None:
            q = q.where(t.posts.c.kind == PostKind(kind).value)
        with self._gov.store.unit_of_work(write=False) as uow:
            out = [post_from_row(r) for r in uow.conn.execute(q)]
        return [p for p in out if active_on is None or p.active_on(active_on)]

    # ------------------------------------------------------------------ party and partners

    def add_party_orgs(self, actor: Actor, orgs: Iterable[PartyOrg]) -> int:
        """Add party organizations, each checked against the tree (党建引领).

        A 社区大党委 at a community (no parent); a 网格党支部 at a grid, under its
        community's general committee; a 楼院党小组 at a building, under the branch of the
        building's grid; a 物业党组织 (``partner_id``: a property company) and a partner unit's
        own organization joined in 共驻共建 (``partner_id``: the partner unit), at a
        community the partner is attached to, under its general committee
        (:func:`~community_governance.domain.party.check_party_org`). A parent may come
        earlier in the same batch.

        Raises:
            ValidationError: an organization does not fit the tree (the message names the
                rule and the parent or unit to give instead); nothing is written.
            ConflictError: a key exists already.
            PermissionDenied: the actor may not add party organizations at a unit.
        """
        items = list(orgs)
        with self._svc._write(actor, "registry.add_party_orgs") as op:
            batch: dict[str, PartyOrg] = {}
            facts = self._units_facts(op, {o.unit_code for o in items})
            for i, o in enumerate(items):
                check_party_org(o, facts[o.unit_code],
                                self._party_org(op, o.parent_id, batch),
                                self._partner(op, o.partner_id), path=f"$[{i}]")
                op.require(A.PARTY_WRITE, Target("party_org", o.id, unit_code=o.unit_code))
                batch[o.id] = o
            self._insert(op, t.party_orgs, [
                {"id": o.id, "kind": o.kind.value, "unit_code": o.unit_code, "name": o.name,
                 "parent_id": o.parent_id} for o in items], "party organization")
            self._insert(op, party_org_partners, [
                {"org_id": o.id, "partner_id": o.partner_id} for o in items
                if o.partner_id is not None], "party organization's partner")
            op.touched.extend(f"party_org:{o.id}" for o in items)
            return len(items)

    def _units_facts(self, op: Operation, codes: set[str]) -> dict[str, UnitFacts]:
        """What the party-tree rule needs to know about each unit in ``codes`` (its kind, its
        community and grid), in two look-ups per 500 units, not one or two per unit: a batch
        of a county's party organizations names a thousand buildings."""
        conn = op.uow.conn
        ordered = sorted(codes)
        units: dict[str, Any] = {}
        for part in chunks(ordered, 500):
            units.update({r.code: r for r in conn.execute(sa.select(
                t.units.c.code, t.units.c.kind, t.units.c.parent_code).where(
                t.units.c.code.in_(part)))})
        wanted = sorted(c for c, r in units.items() if UnitKind(r.kind) is UnitKind.BUILDING)
        buildings: dict[str, Any] = {}
        for part in chunks(wanted, 500):
            buildings.update({r.code: r for r in conn.execute(sa.select(
                t.buildings.c.code, t.buildings.c.community_code, t.buildings.c.grid_code)
                .where(t.buildings.c.code.in_(part)))})
        out: dict[str, UnitFacts] = {}
        for code in ordered:
            row = units.get(code)
            if row is None:
                out[code] = UnitFacts(None)
                continue
            kind = UnitKind(row.kind)
            if kind is UnitKind.COMMUNITY:
                out[code] = UnitFacts(kind, code)
            elif kind is UnitKind.GRID:
                out[code] = UnitFacts(kind, row.parent_code, code)
            elif kind is UnitKind.BUILDING:
                b = buildings.get(code)
                out[code] = UnitFacts(kind, b.community_code if b else None,
                                      b.grid_code if b else None)
            else:
                out[code] = UnitFacts(kind)
        return out

    def _party_org(self, op: Operation, org_id: str | None,
                   batch: dict[str, PartyOrg] | None = None) -> PartyOrg | None:
        """The party organization ``org_id`` (from ``batch`` first), or ``None``."""
        if org_id is None:
            return None
        if batch and org_id in batch:
            return batch[org_id]
        row = op.uow.conn.execute(
            sa.select(t.party_orgs, party_org_partners.c.partner_id)
            .outerjoin(party_org_partners, party_org_partners.c.org_id == t.party_orgs.c.id)
            .where(t.party_orgs.c.id == org_id)).first()
        return None if row is None else PartyOrg(row.id, row.kind, row.unit_code, row.name,
                                                 row.parent_id, row.partner_id)

    def _partner(self, op: Operation, partner_id: str | None) -> PartnerUnit | None:
        """The partner unit ``partner_id`` with its communities, or ``None``."""
        if partner_id is None:
            return None
        conn = op.uow.conn
        row = conn.execute(sa.select(t.partner_units).where(
            t.partner_units.c.id == partner_id)).first()
        if row is None:
            return None
        communities = conn.execute(sa.select(t.partner_attachments.c.community_code).where(
            t.partner_attachments.c.partner_id == partner_id)).scalars().all()
        return PartnerUnit(row.id, row.name, row.kind, tuple(sorted(communities)))

    def add_party_members(self, actor: Actor, org_id: str, resident_ids: Iterable[str], *,
                          since: dt.date) -> int:
        """Enrol residents in a party organization."""
        ids = list(resident_ids)
        with self._svc._write(actor, "registry.add_party_members") as op:
            org = op.uow.conn.execute(
                sa.select(t.party_orgs).where(t.party_orgs.c.id == org_id)).first()
            if org is None:
                raise NotFound("party organization", org_id)
            op.require(A.PARTY_WRITE, Target("party_org", org_id, unit_code=org.unit_code))
            self._insert(op, t.party_memberships, [
                {"org_id": org_id, "resident_id": r, "start": since} for r in ids],
                "party membership")
            if ids:
                # only the rows not flagged yet (a resident registered as a member is): an
                # UPDATE that changes nothing still writes a new row version on PostgreSQL
                op.uow.conn.execute(t.residents.update().where(
                    _among(op.uow.conn, t.residents.c.id, ids),
                    t.residents.c.party_member.is_not(True)).values(party_member=True))
            op.touched.extend(f"resident:{r}" for r in ids)
            return len(ids)

    def add_party_memberships(self, actor: Actor, members: Mapping[str, Iterable[str]], *,
                              since: dt.date) -> int:
        """Enrol residents in many party organizations at once, in one transaction:
        ``{organization: residents}``, each organization checked as
        :meth:`add_party_members` (it exists, the actor may write its members).

        Raises:
            NotFound: an organization does not exist; nothing is written.
            ConflictError: a membership exists already; nothing is written.
            PermissionDenied: the actor may not write an organization's members.

        Returns:
            How many memberships were recorded.
        """
        batch = {org_id: list(ids) for org_id, ids in sorted(members.items())}
        with self._svc._write(actor, "registry.add_party_memberships") as op:
            conn = op.uow.conn
            keys = list(batch)
            orgs = {r.id: r for i in range(0, len(keys), 500) for r in conn.execute(
                sa.select(t.party_orgs).where(t.party_orgs.c.id.in_(keys[i:i + 500])))}
            for org_id in batch:
                org = orgs.get(org_id)
                if org is None:
                    raise NotFound("party organization", org_id)
                op.require(A.PARTY_WRITE, Target("party_org", org_id, unit_code=org.unit_code))
            pairs = [(org_id, r) for org_id, ids in batch.items() for r in ids]
            self._insert(op, t.party_memberships, [
                {"org_id": o, "resident_id": r, "start": since} for o, r in pairs],
                "party membership")
            ids = sorted({r for _, r in pairs})
            for i in range(0, len(ids), 500):
                conn.execute(t.residents.update().where(
                    _among(conn, t.residents.c.id, ids[i:i + 500]),
                    t.residents.c.party_member.is_not(True))
                    .values(party_member=True))  # only the rows not flagged yet
            op.touched.extend(f"resident:{r}" for _, r in pairs)
            return len(pairs)

    def add_partner_units(self, actor: Actor, partners: Iterable[PartnerUnit]) -> int:
        """Add partner units (分包局委, 文明单位, 驻区单位) and attach them to communities."""
        items = list(partners)
        with self._svc._write(actor, "registry.add_partner_units") as op:
            kinds: dict[str, UnitKind | None] = {}
            for p in items:
                for c in p.community_codes:
                    if self._kind_of(op, c, kinds) is not UnitKind.COMMUNITY:
                        raise NotFound("community", c, f"for partner unit {p.id}")
                    op.require(A.PARTNER_WRITE, Target("partner", p.id, unit_code=c))
            self._insert(op, t.partner_units, [
                {"id": p.id, "name": p.name, "kind": p.kind.value} for p in items],
                "partner unit")
            self._insert(op, t.partner_attachments, [
                {"partner_id": p.id, "community_code": c} for p in items
                for c in p.community_codes], "partner attachment")
            op.touched.extend(f"partner:{p.id}" for p in items)
            return len(items)

    def party_orgs(self, unit_prefix: str | None = None, *,
                   kind: PartyOrgKind | str | None = None) -> list[PartyOrg]:
        """Party organizations (党组织), optionally at units under a code prefix and of one
        level, by key.

        Organizations are public facts; their members are not listed here (party membership
        is sensitive personal data).
        """
        q = (sa.select(t.party_orgs, party_org_partners.c.partner_id)
             .outerjoin(party_org_partners, party_org_partners.c.org_id == t.party_orgs.c.id)
             .order_by(t.party_orgs.c.id))
        if unit_prefix:
            q = q.where(t.party_orgs.c.unit_code.startswith(unit_prefix, autoescape=True))
        if kind is not None:
            q = q.where(t.party_orgs.c.kind == PartyOrgKind(kind).value)
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(q).all()
        return [PartyOrg(r.id, r.kind, r.unit_code, r.name, r.parent_id, r.partner_id)
                for r in rows]

    def party_org(self, org_id: str) -> PartyOrg:
        """One party organization (a public fact).

        Raises:
            NotFound: no such organization.
        """
        with self._gov.store.unit_of_work(write=False) as uow:
            row = uow.conn.execute(
                sa.select(t.party_orgs, party_org_partners.c.partner_id)
                .outerjoin(party_org_partners, party_org_partners.c.org_id == t.party_orgs.c.id)
                .where(t.party_orgs.c.id == org_id)).first()
        if row is None:
            raise NotFound("party organization", org_id, "list them with cgov party orgs")
        return PartyOrg(row.id, row.kind, row.unit_code, row.name, row.parent_id,
                        row.partner_id)

    def partner_units(self, community: str | None = None) -> list[PartnerUnit]:
        """Partner units, optionally those of one community."""
        with self._gov.store.unit_of_work(write=False) as uow:
            units = uow.conn.execute(sa.select(t.partner_units).order_by(t.partner_units.c.id))
            att = uow.conn.execute(sa.select(t.partner_attachments)).all()
            by: dict[str, list[str]] = {}
            for a in att:
                by.setdefault(a.partner_id, []).append(a.community_code)
            out = [PartnerUnit(u.id, u.name, u.kind, tuple(sorted(by.get(u.id, ()))))
                   for u in units]
        return [p for p in out if community is None or community in p.community_codes]
