"""Grid and building leaders (网格长, 楼院长) and the staffing report (人员配备)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence

import sqlalchemy as sa

from community_governance.domain import actions as A
from community_governance.domain.access import Actor, Target
from community_governance.domain.posts import (
    HolderKind,
    Post,
    PostKind,
    check_concurrent_posts,
)
from community_governance.domain.units import UnitKind, community_of
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.services.base import (
    Operation,
    grid_leaders_allowed,
    grid_leaders_rule,
    post_from_row,
)
from community_governance.services.grids.common import _GridsBase
from community_governance.services.grids.reports import (
    CommunityStaffing,
    GridStaffing,
    StaffingReport,
)
from community_governance.storage.repos.bulk import chunks as _chunks
from community_governance.storage.tables import core as t

#: Community office posts counted as staff (工作人员) in the staffing report.
_OFFICE = (PostKind.SECRETARY, PostKind.DIRECTOR, PostKind.STAFF)


class _Staffing(_GridsBase):
    """Appoint grid and building leaders (网格长, 楼院长); report staffing (人员配备)."""

    def assign_leader(
        self, actor: Actor, grid: str, holder_id: str, *,
        holder_kind: HolderKind | str = HolderKind.RESIDENT, start: dt.date,
        end: dt.date | None = None, replace: bool = False,
    ) -> Post:
        """Make ``holder_id`` the grid leader (网格长) of ``grid`` from ``start``.

        Args:
            actor: who appoints (a community secretary or director, or higher).
            grid: the grid's code.
            holder_id: the resident's (or staff member's) key.
            holder_kind: ``resident`` (the usual) or ``staff``.
            start: first day of the term.
            end: last day, or ``None``.
            replace: end the term of a grid leader in office on ``start`` (the day before);
                without it such a grid is refused.

        Returns:
            The post.

        Raises:
            NotFound: no such grid or holder.
            ConflictError: the grid has a leader on ``start`` and ``replace`` is not set.
            PermissionDenied: the actor may not assign posts at the grid.
        """
        return self._assign(actor, PostKind.GRID_LEADER, UnitKind.GRID, grid, holder_id,
                            HolderKind(holder_kind), start, end, (), replace)

    def assign_building_leader(
        self, actor: Actor, building: str, holder_id: str, *,
        holder_kind: HolderKind | str = HolderKind.RESIDENT, start: dt.date,
        end: dt.date | None = None, covers: Sequence[str] = (), replace: bool = False,
    ) -> Post:
        """Make ``holder_id`` the building leader (楼院长) of ``building`` from ``start``.

        Args:
            actor: who appoints (a community secretary or director, or higher).
            building: the building's code.
            holder_id: the resident's (or staff member's) key.
            holder_kind: ``resident`` or ``staff``.
            start: first day of the term.
            end: last day, or ``None``.
            covers: further buildings of the same community the leader looks after.
            replace: end the term of a building leader in office on ``start``.

        Returns:
            The post.
        """
        return self._assign(actor, PostKind.BUILDING_LEADER, UnitKind.BUILDING, building,
                            holder_id, HolderKind(holder_kind), start, end, tuple(covers),
                            replace)

    def _assign(
        self, actor: Actor, kind: PostKind, unit_kind: UnitKind, unit: str, holder_id: str,
        holder_kind: HolderKind, start: dt.date, end: dt.date | None, covers: tuple[str, ...],
        replace: bool,
    ) -> Post:
        allowed = (grid_leaders_allowed(self._gov, unit) if kind is PostKind.GRID_LEADER
                   else 1)  # the place's rule, asked before the write transaction opens
        with self._write(actor, f"grids.assign_{kind.value}") as op:
            conn = op.uow.conn
            for code in (unit, *covers):
                got = conn.execute(sa.select(t.units.c.kind).where(
                    t.units.c.code == code)).scalar_one_or_none()
                if got != unit_kind.value:
                    raise NotFound(unit_kind.value, code)
                if community_of(code) != community_of(unit):
                    raise ValidationError(f"{code} is not of {unit}'s community", path="covers")
            op.require(A.POST_ASSIGN, Target("post", f"{kind.value}@{unit}", unit_code=unit))
            if holder_kind is HolderKind.RESIDENT:
                row = conn.execute(sa.select(t.residents.c.erased).where(
                    t.residents.c.id == holder_id)).first()
                if row is None or row.erased:
                    raise NotFound("resident", holder_id, "a post is held by a registered "
                                   "resident")
            elif conn.execute(sa.select(t.staff.c.id).where(
                    t.staff.c.id == holder_id)).first() is None:
                raise NotFound("staff member", holder_id)
            current = [post_from_row(r) for r in conn.execute(sa.select(t.posts).where(
                t.posts.c.unit_code == unit, t.posts.c.kind == kind.value))]
            current = [p for p in current if p.active_on(start) or p.start > start]
            if current and not replace and allowed > 1:  # a deputy, where the place allows
                check_concurrent_posts(
                    current, Post("(new)", kind, unit, holder_kind, holder_id, start, end,
                                  covers), allowed, rule=grid_leaders_rule(unit))
                current = []
            if current and not replace:
                p = current[0]
                raise ConflictError(
                    f"{unit} has a {kind.chinese} ({kind.value}) from {p.start}: {p.holder_id} "
                    f"(post {p.id}); end that post first or pass replace=True")
            for p in current:
                if p.start >= start:
                    raise ConflictError(f"post {p.id} starts on {p.start}, not before {start}; "
                                        "end or correct it first")
                conn.execute(t.posts.update().where(t.posts.c.id == p.id)
                             .values(end=start - dt.timedelta(days=1)))
                op.touch("post", p.id)
            prefix = "P-GL" if kind is PostKind.GRID_LEADER else "P-BL"
            post_id = f"{prefix}-{unit}-{start:%Y%m%d}"
            n = 1
            while conn.execute(sa.select(t.posts.c.id).where(t.posts.c.id == post_id)).first():
                n += 1
                post_id = f"{prefix}-{unit}-{start:%Y%m%d}-{n}"
            post = Post(post_id, kind, unit, holder_kind, holder_id, start, end, covers)
            conn.execute(t.posts.insert().values(
                id=post.id, kind=kind.value, unit_code=unit, holder_kind=holder_kind.value,
                holder_id=holder_id, start=start, end=end, covers=",".join(covers)))
            op.touch("post", post.id)
            return post

    # --------------------------------------------------------------------------- staffing

    def staffing(self, actor: Actor, community: str | None = None) -> StaffingReport:
        """The load per grid leader and per office member: households and residents per person.

        The study's reference points: 6-8 community staff for nearly 10,000 people; 78 grid
        leaders for 78 grids; 495 building leaders in Yima's urban area.

        Args:
            actor: who reads (the community office, higher offices; grid leaders see their
                own grid only).
            community: one community, or every one in the actor's scope.
        """
        with self._read(actor, "grids.staffing") as op:
            _, partial, stored = self._load_visible(op, community)
            todo = list(stored)
            day = op.today
            grid_leader, building_leader = self._leaders(op, todo, day)
            residents = self._residents_per_building(op, todo)
            office: dict[str, set[str]] = defaultdict(set)
            for part in _chunks(todo):
                for r in op.uow.conn.execute(sa.select(t.posts).where(
                        t.posts.c.unit_code.in_(part),
                        t.posts.c.kind.in_([k.value for k in _OFFICE]))):
                    p = post_from_row(r)
                    if p.active_on(day):
                        office[p.unit_code].add(p.holder_id)
        grid_rows: list[GridStaffing] = []
        comm_rows: list[CommunityStaffing] = []
        for c in todo:
            s = stored[c]
            hh = {n.code: n.households for n in s.nodes}
            members = s.members()
            visible = partial.get(c)
            for g in sorted(members):
                if visible is not None and g not in visible:
                    continue
                bs = members[g]
                grid_rows.append(GridStaffing(
                    g, c, len(bs), sum(hh.get(b, 0) for b in bs),
                    sum(residents.get(b, 0) for b in bs), grid_leader.get(g),
                    len({building_leader[b] for b in bs if b in building_leader})))
            if visible is not None:
                continue
            h = s.households
            people = sum(residents.get(n.code, 0) for n in s.nodes)
            gl = {grid_leader[g] for g in members if g in grid_leader}
            bl = {building_leader[n.code] for n in s.nodes if n.code in building_leader}
            staff = len(office.get(c, ()))
            comm_rows.append(CommunityStaffing(
                c, h, people, staff, len(members), len(gl), len(bl), _ratio(people, staff),
                _ratio(h, len(gl)), _ratio(people, len(gl)), _ratio(h, len(bl))))
        th = sum(x.households for x in comm_rows)
        tr = sum(x.residents for x in comm_rows)
        ts = sum(x.staff for x in comm_rows)
        tg = sum(x.grid_leaders for x in comm_rows)
        tb = sum(x.building_leaders for x in comm_rows)
        totals = {
            "communities": len(comm_rows), "households": th, "residents": tr,
            "grids": sum(x.grids for x in comm_rows), "staff": ts, "grid_leaders": tg,
            "building_leaders": tb, "residents_per_staff": _ratio(tr, ts),
            "households_per_grid_leader": _ratio(th, tg),
            "residents_per_grid_leader": _ratio(tr, tg),
            "households_per_building_leader": _ratio(th, tb),
            "staff_per_10000_residents": round(ts * 10_000 / tr, 1) if tr else None,
        }
        return StaffingReport(day, tuple(comm_rows), tuple(grid_rows), totals)

    @staticmethod
    def _residents_per_building(op: Operation, communities: Sequence[str]) -> Counter[str]:
        out: Counter[str] = Counter()
        r, h, b = t.residents, t.households, t.buildings
        for part in _chunks(list(communities), 200):
            q = (sa.select(h.c.building_code, sa.func.count())
                 .select_from(r.join(h, h.c.id == r.c.household_id)
                              .join(b, b.c.code == h.c.building_code))
                 .where(b.c.community_code.in_(part), r.c.erased == sa.false())
                 .group_by(h.c.building_code))
            for code, n in op.uow.conn.execute(q):
                out[code] = int(n)
        return out


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 1) if b else None
