"""The registry of care needs (关爱对象登记) and the assigned cadres (分包干部)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from community_governance.domain import actions as A
from community_governance.domain.access import Actor, ActorKind, Target
from community_governance.domain.care import CareAssignment, CareNeed, Visibility
from community_governance.domain.idnumber import mask_phone
from community_governance.domain.people import Vulnerability
from community_governance.domain.posts import HolderKind
from community_governance.errors import NotFound, ValidationError
from community_governance.services.base import Operation, among, post_from_row
from community_governance.services.care.common import (
    CADRE_POSTS,
    CARE_MANAGE,
    CARE_READ_OFFICE,
    CareBase,
    resident_place_query,
    target_of,
)
from community_governance.storage.repos.bulk import insert_rows
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import care as tc
from community_governance.storage.tables import core as t

__all__ = ["Coverage", "NewCareNeed", "RegistryMixin"]


@attrs.frozen
class NewCareNeed:
    """A care need to register (登记关爱对象).

    Attributes:
        resident_id: who.
        category: a category code of the resident's community (``cgov_care_categories``).
        start: first day.
        evidence: what was seen (低保证号, 残疾证 ...); stored sealed.
        visibility: who may see it besides the resident.
        end: last day, if known.
    """

    resident_id: str
    category: str
    start: dt.date
    evidence: str = ""
    visibility: Visibility | str = Visibility.CADRE
    end: dt.date | None = None


@attrs.frozen
class Coverage:
    """Who in care has a cadre (分包覆盖): per community, on a day.

    Attributes:
        community_code: the community.
        day: the day.
        in_care: residents with an active care need.
        covered: those with an assigned cadre whose post is active.
        uncovered: the keys of those without one (no assignment, or the cadre's post ended);
            empty for a reader who may not see who is in care (``in_care - covered`` counts
            them).
        load: residents per cadre (holder key → count).
    """

    community_code: str
    day: dt.date
    in_care: int
    covered: int
    uncovered: tuple[str, ...]
    load: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"community_code": self.community_code, "day": self.day.isoformat(),
                "in_care": self.in_care, "covered": self.covered,
                "uncovered": list(self.uncovered), "load": dict(sorted(self.load.items()))}


_n = tc.care_needs
_a = tc.care_assignments


class RegistryMixin(CareBase):
    """Care needs and cadre assignments."""

    # ------------------------------------------------------------------ needs

    def register_needs(self, actor: Actor, needs: Iterable[NewCareNeed]) -> list[CareNeed]:
        """Register care needs (登记关爱对象), all in one transaction.

        The resident's vulnerability flag (``Resident.vulnerabilities``, which the charity
        supermarket and the lists of residents in difficulty read) is set from the category's
        ``flag``: the registry and the flags agree.

        Raises:
            NotFound: a resident does not exist.
            ValidationError: an unknown category, an erased resident, the same category
                active twice, an end before the start; nothing is written.
            PermissionDenied: the actor may not manage care at the resident's community.
        """
        items = list(needs)
        with self._write(actor, "care.register_needs") as op:
            return self._register(op, items)

    def _register(self, op: Operation, items: Sequence[NewCareNeed]) -> list[CareNeed]:
        conn = op.uow.conn
        ids = sorted({n.resident_id for n in items})
        rows = {r.id: r for r in conn.execute(resident_place_query().where(
            among(conn, t.residents.c.id, list(ids))))} if ids else {}
        existing: dict[tuple[str, str], list[Any]] = {}
        for r in conn.execute(sa.select(_n).where(_n.c.resident_id.in_(ids))) if ids else ():
            existing.setdefault((r.resident_id, r.category), []).append(r)
        out: list[CareNeed] = []
        values: list[dict[str, Any]] = []
        flags: dict[str, set[str]] = {}
        cats_of: dict[str, dict[str, Any]] = {}
        for i, n in enumerate(items):
            path = f"$[{i}]"
            got = rows.get(n.resident_id)
            if got is None:
                raise NotFound("resident", n.resident_id, f"at {path}.resident_id")
            r = got
            if r.erased or r.community_code is None:
                raise ValidationError(
                    f"resident {n.resident_id} is erased or has moved away: care is registered "
                    "for residents living in a community", path=f"{path}.resident_id")
            op.require(CARE_MANAGE, target_of(r))
            if r.community_code not in cats_of:
                cats_of[r.community_code] = {c.code: c for c in self.categories(r.community_code)}
            cat = cats_of[r.community_code].get(n.category)
            if cat is None:
                raise ValidationError(
                    f"{n.category!r} is not a care category of community {r.community_code} "
                    f"(cgov_care_categories); use one of {sorted(cats_of[r.community_code])}",
                    path=f"{path}.category")
            try:
                vis = Visibility(n.visibility)
            except ValueError:
                raise ValidationError(f"visibility is one of {[v.value for v in Visibility]}",
                                      path=f"{path}.visibility") from None
            need = CareNeed(f"CN-{uuid.uuid4().hex[:12].upper()}", n.resident_id,
                            r.community_code, cat.code, n.start, n.end, n.evidence.strip(), vis)
            for other in existing.get((n.resident_id, cat.code), []):
                if other.start <= (n.end or dt.date.max) and n.start <= (
                        other.end or dt.date.max):
                    raise ValidationError(
                        f"resident {n.resident_id} is in care as {cat.chinese} ({cat.code}) "
                        f"already from {other.start} (need {other.id}); end that need first "
                        "or give another period", path=f"{path}.start")
            existing.setdefault((n.resident_id, cat.code), []).append(need)
            values.append({"id": need.id, "resident_id": need.resident_id,
                           "community_code": need.community_code, "category": need.category,
                           "start": need.start, "end": need.end,
                           "evidence": self._gov.cipher.seal(need.evidence) or "",
                           "visibility": vis.value, "recorded_by": str(op.actor)[:80],
                           "recorded_at": op.now})
            if cat.flag:
                flags.setdefault(n.resident_id, set()).add(cat.flag)
            out.append(attrs.evolve(need, evidence=""))
        insert_rows(conn, _n, values)
        for rid, fl in flags.items():
            have = {v for v in rows[rid].vulnerabilities.split(",") if v}
            new = have | {f for f in fl if f in {v.value for v in Vulnerability}}
            if new != have:
                conn.execute(t.residents.update().where(t.residents.c.id == rid)
                             .values(vulnerabilities=",".join(sorted(new))))
        op.touched.extend(f"care_need:{n.id}" for n in out)
        return out

    def enrol_flagged(self, actor: Actor, community: str, *, on: dt.date,
                      evidence: str = "",
                      categories: Collection[str] | None = None) -> list[CareNeed]:
        """Register a care need for every resident of ``community`` whose vulnerability flags
        name a care category and who has no need of that category yet (one transaction).

        The flag ``elderly_alone`` registers 独居老人, ``extreme_difficulty`` 特困人员 and so
        on: the category whose code is the flag, else the first whose ``flag`` it is.
        ``categories`` limits it to those category codes.
        """
        with self._write(actor, "care.enrol_flagged") as op:
            by_flag: dict[str, str] = {}
            for c in self.categories(community):  # the category named as the flag first
                if c.flag and (c.flag not in by_flag or c.code == c.flag):
                    by_flag[c.flag] = c.code
            q = resident_place_query(housed=True).where(  # the community's: housed
                t.buildings.c.community_code == community, t.residents.c.erased.is_(False),
                t.residents.c.vulnerabilities != "")
            have = {(r.resident_id, r.category) for r in op.uow.conn.execute(
                sa.select(_n.c.resident_id, _n.c.category).where(
                    _n.c.community_code == community))}
            items = []
            for r in op.uow.conn.execute(q.order_by(t.residents.c.id)):
                for flag in sorted(v for v in r.vulnerabilities.split(",") if v):
                    code = by_flag.get(flag)
                    if code is not None and (r.id, code) not in have and (
                            categories is None or code in categories):
                        items.append(NewCareNeed(r.id, code, on, evidence))
                        have.add((r.id, code))
            return self._register(op, items)

    def end_need(self, actor: Actor, need_id: str, *, on: dt.date, reason: str) -> CareNeed:
        """End a care need on ``on`` (e.g. the resident left the category)."""
        if not reason or not reason.strip():
            raise ValidationError("ending a care need needs a reason, for the audit trail",
                                  path="reason")
        with self._write(actor, "care.end_need") as op:
            row = op.uow.conn.execute(sa.select(_n).where(_n.c.id == need_id)).first()
            if row is None:
                raise NotFound("care need", need_id)
            op.require(CARE_MANAGE, target_of(self._resident(op, row.resident_id)))
            if on < row.start:
                raise ValidationError(f"care need {need_id} starts on {row.start}; it cannot end "
                                      f"before that ({on})", path="on")
            op.uow.conn.execute(_n.update().where(_n.c.id == need_id).values(end=on))
            op.touch("care_need", need_id)
            op.detail["reason"] = reason.strip()
            return attrs.evolve(self._need(row, reveal=False), end=on)

    def needs(self, actor: Actor, *, community: str | None = None,
              resident_id: str | None = None, active_on: dt.date | None = None,
              reason: str = "care list") -> list[CareNeed]:
        """Care needs the actor may see, evidence masked; each resident shown is access-logged.

        The community office sees every need of its communities; an assigned cadre those
        marked ``cadre`` visible; nobody else any.
        """
        with self._read(actor, "care.needs") as op:
            q = sa.select(_n, t.households.c.building_code, t.buildings.c.grid_code).join(
                t.residents, t.residents.c.id == _n.c.resident_id).outerjoin(
                t.households, t.households.c.id == t.residents.c.household_id).outerjoin(
                t.buildings, t.buildings.c.code == t.households.c.building_code).where(
                _n.c.category != "")
            office = op._scope(CARE_READ_OFFICE)
            cadre = op.scope(A.RESIDENT_READ_VULNERABILITY)
            conds = [sa.and_(_n.c.visibility == Visibility.CADRE.value, scope_clause(
                cadre, unit=sa.func.coalesce(t.households.c.building_code, _n.c.community_code),
                grid=t.buildings.c.grid_code))]
            if not office.empty:
                conds.append(scope_clause(office, unit=sa.func.coalesce(
                    t.households.c.building_code, _n.c.community_code),
                    grid=t.buildings.c.grid_code))
            q = q.where(sa.or_(*conds))
            if community:
                q = q.where(_n.c.community_code == community)
            if resident_id:
                q = q.where(_n.c.resident_id == resident_id)
            if active_on:
                q = q.where(self._active(_n, active_on))
            out = []
            logged: set[str] = set()
            for r in op.uow.conn.execute(q.order_by(_n.c.resident_id, _n.c.start)):
                out.append(self._need(r, reveal=False))
                if r.resident_id not in logged:
                    logged.add(r.resident_id)
                    op.log_access(A.RESIDENT_READ_VULNERABILITY, Target(
                        "resident", r.resident_id, r.building_code, r.grid_code,
                        owner_id=r.resident_id), reason)
            return out

    def counts(self, actor: Actor, community: str, *,
               on: dt.date | None = None) -> dict[str, int]:
        """Residents in care in ``community`` on ``on`` by category: counts only, nobody
        named (a report: ``report.read``)."""
        with self._read(actor, "care.counts") as op:
            op.require(A.REPORT_READ, Target("unit", community, unit_code=community))
            rows = op.uow.conn.execute(
                sa.select(_n.c.category, sa.func.count(sa.distinct(_n.c.resident_id)))
                .join(t.residents, t.residents.c.id == _n.c.resident_id)
                .where(_n.c.community_code == community, _n.c.category != "",
                       t.residents.c.erased.is_(False), self._active(_n, on or op.today))
                .group_by(_n.c.category).order_by(_n.c.category)).all()
            return {str(c): int(n) for c, n in rows}

    def need(self, actor: Actor, need_id: str, *, reveal: bool = False,
             reason: str | None = None) -> CareNeed:
        """One care need; ``reveal`` (with a reason, for the office) opens the evidence in full.

        Every read is written to the access log.

        Raises:
            NotFound: no such need, or the actor may not see it.
            ValidationError: ``reveal`` without a reason.
        """
        with self._read(actor, "care.need") as op:
            row = op.uow.conn.execute(sa.select(_n).where(_n.c.id == need_id)).first()
            if row is None or not row.category:
                raise NotFound("care need", need_id)
            target = target_of(self._resident(op, row.resident_id))
            own = actor.kind is ActorKind.RESIDENT and actor.id == row.resident_id
            action = (CARE_READ_OFFICE if row.visibility == Visibility.OFFICE.value
                      else A.RESIDENT_READ_VULNERABILITY)
            if not own and not op.visible(action, target):
                raise NotFound("care need", need_id, "or it is outside your scope")
            if reveal:
                if not own:
                    op.require(CARE_READ_OFFICE, target)
                if not reason or not reason.strip():
                    raise ValidationError("a full read of a care need's evidence needs a "
                                          "reason (why), for the access log", path="reason")
            op.log_access(action, target, (reason or "care need read").strip()
                          + (" (evidence in full)" if reveal else ""))
            return self._need(row, reveal=reveal)

    # ------------------------------------------------------------------ cadres

    def assign(self, actor: Actor, pairs: Iterable[tuple[str, str]], *,
               on: dt.date) -> list[CareAssignment]:
        """Give residents in care to cadres (分包): ``(resident key, post key)`` pairs.

        The post is held at the resident's community (or the resident's grid) on ``on`` by
        an assigned cadre, a member of the community office or a grid leader. A resident's
        earlier assignment ends the day before (a reassignment). One transaction.

        Raises:
            NotFound: a resident or post does not exist.
            ValidationError: the resident is not in care on ``on``, the post is not held
                then, is of another kind, or at another community; nothing is written.
        """
        items = list(pairs)
        with self._write(actor, "care.assign") as op:
            return self._assign(op, items, on)

    def _assign(self, op: Operation, items: Sequence[tuple[str, str]],
                on: dt.date) -> list[CareAssignment]:
        conn = op.uow.conn
        rids = sorted({r for r, _ in items})
        pids = sorted({p for _, p in items})
        rows = {r.id: r for r in conn.execute(resident_place_query().where(
            among(conn, t.residents.c.id, list(rids))))}
        posts = {p.id: post_from_row(p) for p in conn.execute(
            sa.select(t.posts).where(t.posts.c.id.in_(pids)))}
        in_care = set(conn.execute(sa.select(_n.c.resident_id).where(
            _n.c.resident_id.in_(rids), _n.c.category != "", self._active(_n, on))).scalars())
        out: list[CareAssignment] = []
        for i, (rid, pid) in enumerate(items):
            path = f"$[{i}]"
            r = rows.get(rid)
            if r is None:
                raise NotFound("resident", rid, f"at {path}")
            post = posts.get(pid)
            if post is None:
                raise NotFound("post", pid, f"at {path}")
            op.require(CARE_MANAGE, target_of(r))
            if rid not in in_care:
                raise ValidationError(
                    f"resident {rid} has no care need on {on}: register the need first "
                    "(cgov care need add), then assign a cadre", path=f"{path}.resident")
            if post.kind not in CADRE_POSTS or not post.active_on(on):
                raise ValidationError(
                    f"post {pid} ({post.kind.chinese}, {post.start}–{post.end or ''}) is not "
                    f"a post an assigned cadre holds on {on}: give a post of "
                    f"{sorted(k.value for k in CADRE_POSTS)} active that day",
                    path=f"{path}.post")
            if post.unit_code not in (r.community_code, r.grid_code):
                raise ValidationError(
                    f"post {pid} is held at {post.unit_code}, but resident {rid} lives in "
                    f"community {r.community_code} (grid {r.grid_code}): the cadre is a post "
                    "holder at the resident's community or grid", path=f"{path}.post")
            out.append(CareAssignment(rid, pid, post.holder_id, on))
        if rids:
            conn.execute(_a.update().where(_a.c.resident_id.in_(rids), _a.c.end.is_(None),
                                           _a.c.start < on).values(end=on - dt.timedelta(1)))
            conn.execute(_a.delete().where(_a.c.resident_id.in_(rids), _a.c.end.is_(None),
                                           _a.c.start >= on))
        insert_rows(conn, _a, [
            {"resident_id": a.resident_id, "post_id": a.post_id, "cadre_id": a.cadre_id,
             "community_code": rows[a.resident_id].community_code, "start": a.start}
            for a in out])
        op.touched.extend(f"care_assignment:{a.resident_id}" for a in out)
        return out

    def hand_over(self, actor: Actor, post_id: str, to_post_id: str, *,
                  on: dt.date) -> list[CareAssignment]:
        """Hand every resident of a cadre's post over to another post from ``on`` (one
        transaction): what to do before a post ends (``registry.end_post`` refuses to end a
        post that still has residents in care). Assignments of residents no longer in care
        on ``on`` (need ended, erased) end instead."""
        with self._write(actor, "care.hand_over") as op:
            conn = op.uow.conn
            rids = list(conn.execute(sa.select(_a.c.resident_id).where(
                _a.c.post_id == post_id, _a.c.end.is_(None)).order_by(_a.c.resident_id))
                .scalars())
            if not rids:
                raise NotFound("open care assignment of post", post_id)
            caring = set(conn.execute(sa.select(_n.c.resident_id).join(
                t.residents, t.residents.c.id == _n.c.resident_id).where(
                _n.c.resident_id.in_(rids), _n.c.category != "",
                t.residents.c.erased.is_(False), self._active(_n, on))).scalars())
            gone = [r for r in rids if r not in caring]
            if gone:
                conn.execute(_a.update().where(_a.c.post_id == post_id, _a.c.end.is_(None),
                                               _a.c.resident_id.in_(gone))
                             .values(end=on - dt.timedelta(1)))
                conn.execute(_a.update().where(_a.c.post_id == post_id,
                                               _a.c.resident_id.in_(gone),
                                               _a.c.end < _a.c.start).values(end=_a.c.start))
                op.detail["ended"] = len(gone)
            return self._assign(op, [(r, to_post_id) for r in rids if r in caring], on)

    def cadre_of(self, actor: Actor, resident_id: str, *,
                 on: dt.date | None = None) -> CareAssignment:
        """The resident's assigned cadre, with the phone number the resident calls.

        The resident themselves gets the number in full (分包干部联系电话); staff get it
        masked.

        Raises:
            NotFound: no such resident, outside the actor's scope, or no cadre assigned.
        """
        with self._read(actor, "care.cadre_of") as op:
            r = self._resident(op, resident_id)
            own = actor.kind is ActorKind.RESIDENT and actor.id == resident_id
            if not own and not op.visible(A.RESIDENT_READ, target_of(r)):
                raise NotFound("resident", resident_id, "or it is outside your scope")
            row = self._assignment(op, resident_id, on or op.today)
            if row is None:
                raise NotFound("assigned cadre of resident", resident_id,
                               "assign one: cgov care assign")
            post = op.uow.conn.execute(sa.select(t.posts).where(
                t.posts.c.id == row.post_id)).first()
            staff = post is None or post.holder_kind == HolderKind.STAFF.value
            table = t.staff if staff else t.residents
            stored = op.uow.conn.execute(sa.select(table.c.phone).where(
                table.c.id == row.cadre_id)).scalar_one_or_none()
            phone = self._gov.cipher.open(stored)
            return CareAssignment(row.resident_id, row.post_id, row.cadre_id, row.start,
                                  row.end, phone if own else mask_phone(phone))

    def coverage(self, actor: Actor, community: str, *,
                 on: dt.date | None = None) -> Coverage:
        """Who in care has a cadre on ``on``: the uncovered and the load per cadre."""
        with self._read(actor, "care.coverage") as op:
            op.require(A.REPORT_READ, Target("unit", community, unit_code=community))
            day = on or op.today
            conn = op.uow.conn
            care = set(conn.execute(sa.select(_n.c.resident_id).join(
                t.residents, t.residents.c.id == _n.c.resident_id).where(
                _n.c.community_code == community, _n.c.category != "",
                t.residents.c.erased.is_(False), self._active(_n, day))).scalars())
            load: Counter[str] = Counter()
            covered: set[str] = set()
            q = sa.select(_a.c.resident_id, _a.c.cadre_id).join(
                t.posts, t.posts.c.id == _a.c.post_id).where(
                _a.c.community_code == community, self._active(_a, day),
                self._active(t.posts, day))
            for r in conn.execute(q):
                if r.resident_id in care:
                    covered.add(r.resident_id)
                    load[r.cadre_id] += 1
            gaps = care - covered
            target = Target("unit", community, unit_code=community)
            named = bool(gaps) and op.allowed(A.RESIDENT_READ_VULNERABILITY, target)
            if named:
                op.log_access(A.RESIDENT_READ_VULNERABILITY, target,
                              "care coverage: residents without a cadre")
            return Coverage(community, day, len(care), len(covered),
                            tuple(sorted(gaps)) if named else (), dict(load))
