"""The registry's counts (统计), as ``cgov report summary`` prints them."""

from __future__ import annotations

from collections import Counter
from typing import Any

import attrs
import sqlalchemy as sa

from community_governance.domain import actions as A
from community_governance.domain.access import Actor
from community_governance.domain.posts import Post
from community_governance.domain.units import UnitKind
from community_governance.services.base import post_from_row
from community_governance.services.registry.common import _RegistryBase
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import core as t

__all__ = ["Summary"]


@attrs.frozen
class Summary:
    """Counts of the registry, as ``cgov report summary`` prints them."""

    subdistricts: int
    communities: int
    grids: int
    compounds: int
    buildings: int
    households: int
    residents: int
    posts: dict[str, int]
    party_orgs: int
    partner_units: int

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return attrs.asdict(self)


class _Summary(_RegistryBase):
    """Counts of the registry (统计)."""

    def summary(self, actor: Actor, *, within: str | None = None) -> Summary:
        """Counts of the registry inside the actor's scope (and under ``within``, a code)."""
        with self._svc._read(actor, "registry.summary") as op:
            scope = op.scope(A.REPORT_READ)
            conn = op.uow.conn

            def under(code: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
                return code.startswith(within, autoescape=True) if within else sa.true()

            def units(kind: UnitKind) -> int:
                q = sa.select(sa.func.count()).select_from(t.units).where(
                    t.units.c.kind == kind.value,
                    scope_clause(scope, unit=t.units.c.code), under(t.units.c.code))
                return int(conn.execute(q).scalar_one())

            bscope = scope_clause(scope, unit=t.buildings.c.code, grid=t.buildings.c.grid_code)
            wb = under(t.buildings.c.code)
            blds = conn.execute(sa.select(sa.func.count()).select_from(t.buildings)
                                .where(bscope, wb)).scalar_one()
            hh = conn.execute(sa.select(sa.func.count()).select_from(
                t.households.join(t.buildings)).where(bscope, wb)).scalar_one()
            res = conn.execute(sa.select(sa.func.count()).select_from(
                t.residents.join(t.households).join(t.buildings)).where(bscope, wb)).scalar_one()
            posts = Counter(p.kind.value for p in self._posts_in(conn, scope, within)
                            if p.active_on(op.today))
            party = conn.execute(sa.select(sa.func.count()).select_from(t.party_orgs).where(
                scope_clause(scope, unit=t.party_orgs.c.unit_code),
                under(t.party_orgs.c.unit_code))).scalar_one()
            partners = conn.execute(sa.select(sa.func.count(sa.distinct(
                t.partner_attachments.c.partner_id))).where(
                scope_clause(scope, unit=t.partner_attachments.c.community_code),
                under(t.partner_attachments.c.community_code))).scalar_one()
            return Summary(
                subdistricts=units(UnitKind.SUBDISTRICT), communities=units(UnitKind.COMMUNITY),
                grids=units(UnitKind.GRID), compounds=units(UnitKind.COMPOUND),
                buildings=int(blds), households=int(hh), residents=int(res),
                posts=dict(sorted(posts.items())), party_orgs=int(party),
                partner_units=int(partners),
            )

    @staticmethod
    def _posts_in(conn: sa.Connection, scope: Any, within: str | None) -> list[Post]:
        q = sa.select(t.posts).where(scope_clause(scope, unit=t.posts.c.unit_code))
        if within:
            q = q.where(t.posts.c.unit_code.startswith(within, autoescape=True))
        return [post_from_row(r) for r in conn.execute(q)]
