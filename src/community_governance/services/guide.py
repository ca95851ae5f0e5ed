"""The service guide (办事指南): matters by domain, versioned, searchable, published as JSON.

Reached as ``gov.guide``. Reading is public (anyone, ``Actor.public()``); publishing needs the
community office (for a community's matters) or higher. Each publication is a new version in
the append-only ``guide_versions`` table; the newest is the one shown.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from community_governance.domain.access import Action, Actor, Target
from community_governance.domain.actions import COMMUNITY_OFFICE, HIGHER_OFFICE
from community_governance.domain.guide import (
    GuideDomain,
    GuideMatter,
    query_terms,
    score_matter,
)
from community_governance.errors import NotFound, ValidationError
from community_governance.plugins import expect_each, expect_type
from community_governance.services.base import Operation, Service
from community_governance.storage.tables import core as t
from community_governance.storage.tables import guide as gt

__all__ = ["GUIDE_READ", "GUIDE_WRITE", "GuideService"]

#: Read the service guide: public.
GUIDE_READ = Action("guide.read", public=True)
#: Publish or withdraw a matter of the guide.
GUIDE_WRITE = Action("guide.write", roles=COMMUNITY_OFFICE | HIGHER_OFFICE)


class GuideService(Service):
    """The service guide (办事指南). Reached as ``gov.guide``."""

    def publish(self, actor: Actor, matter: GuideMatter, *, note: str = "") -> int:
        """Publish a matter, or a new version of it; returns the version number (1, 2, ...).

        Raises:
            PermissionDenied: the actor may not publish for the matter's unit.
            NotFound: the matter's unit does not exist.
        """
        with self._write(actor, "guide.publish") as op:
            return self._publish(op, matter, note)

    def _publish(self, op: Any, matter: GuideMatter, note: str) -> int:
        conn = op.uow.conn
        unit = matter.unit_code
        if unit is not None and conn.execute(
                sa.select(t.units.c.code).where(t.units.c.code == unit)).first() is None:
            raise NotFound("unit", unit, "publish the matter for a registered unit")
        op.require(GUIDE_WRITE, Target("guide_matter", matter.code, unit_code=unit or ""))
        current = conn.execute(sa.select(gt.guide_matters.c.version).where(
            gt.guide_matters.c.code == matter.code)).scalar_one_or_none()
        version = (current or 0) + 1
        row = {"domain": matter.domain.value, "title": matter.title, "unit_code": unit,
               "version": version, "withdrawn": False,
               "search_text": matter.search_text(), "updated_at": op.now}
        if current is None:
            conn.execute(gt.guide_matters.insert().values(code=matter.code, **row))
        else:
            done = conn.execute(gt.guide_matters.update().where(
                gt.guide_matters.c.code == matter.code,
                gt.guide_matters.c.version == current).values(**row))
            if done.rowcount != 1:
                raise ValidationError(f"guide matter {matter.code} changed meanwhile; retry")
        conn.execute(gt.guide_versions.insert().values(
            code=matter.code, version=version,
            content=json.dumps(matter.as_dict(), ensure_ascii=False),
            published_at=op.now, actor=str(op.actor), note=note))
        op.touch("guide_matter", f"{matter.code}@{version}")
        op.emit("guide.published", {"code": matter.code, "version": version})
        return version

    def seed_defaults(self, actor: Actor, county: str | None = None) -> int:
        """Publish the matters of the ``cgov_service_guide_matters`` hook that are not in the
        guide yet; returns how many were added.

        Args:
            actor: who seeds.
            county: the county whose plugins are asked (``None``: every county of the store,
                in code order; for one code the first county's matter is kept).
        """
        with self._hooks_first(actor, "guide.seed", lambda op: self._seed_matters(op, county)), \
                self._write(actor, "guide.seed") as op:
            found = self._seed_matters(op, county)
            have = set(op.uow.conn.execute(sa.select(gt.guide_matters.c.code)).scalars())
            added = 0
            for code, m in sorted(found.items()):
                if code not in have:
                    self._publish(op, m, "seeded")
                    added += 1
            return added

    def _seed_matters(self, op: Operation, county: str | None) -> dict[str, GuideMatter]:
        counties = [county] if county is not None else list(op.uow.conn.execute(
            sa.select(t.units.c.code).where(t.units.c.kind == "county")
            .order_by(t.units.c.code)).scalars())
        found: dict[str, GuideMatter] = {}
        for c in counties or [""]:
            for _, items in self._hooks.all("cgov_service_guide_matters",
                                            expect_each(expect_type(GuideMatter)),
                                            place=c, county_code=c):
                for m in items:
                    found.setdefault(m.code, m)
        return found

    def withdraw(self, actor: Actor, code: str) -> None:
        """Take a matter off the published guide (its versions are kept)."""
        with self._write(actor, "guide.withdraw") as op:
            unit = op.uow.conn.execute(sa.select(gt.guide_matters.c.unit_code).where(
                gt.guide_matters.c.code == code)).first()
            if unit is None:
                raise NotFound("guide matter", code)
            op.require(GUIDE_WRITE, Target("guide_matter", code, unit_code=unit[0] or ""))
            op.uow.conn.execute(gt.guide_matters.update().where(
                gt.guide_matters.c.code == code).values(withdrawn=True, updated_at=op.now))
            op.touch("guide_matter", code)

    def get(self, code: str, *, version: int | None = None) -> GuideMatter:
        """A matter (its newest version, or ``version``).

        Raises:
            NotFound: no such matter or version.
        """
        with self._gov.store.unit_of_work(write=False) as uow:
            if version is None:
                version = uow.conn.execute(sa.select(gt.guide_matters.c.version).where(
                    gt.guide_matters.c.code == code)).scalar_one_or_none()
                if version is None:
                    raise NotFound("guide matter", code, "see cgov guide list")
            content = uow.conn.execute(sa.select(gt.guide_versions.c.content).where(
                gt.guide_versions.c.code == code,
                gt.guide_versions.c.version == version)).scalar_one_or_none()
        if content is None:
            raise NotFound("guide matter version", f"{code}@{version}")
        return GuideMatter.from_dict(json.loads(content))

    def versions(self, code: str) -> list[tuple[int, str, str]]:
        """``(version, published_at ISO, actor)`` of every version of a matter, oldest first."""
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(sa.select(
                gt.guide_versions.c.version, gt.guide_versions.c.published_at,
                gt.guide_versions.c.actor).where(gt.guide_versions.c.code == code)
                .order_by(gt.guide_versions.c.version)).all()
        if not rows:
            raise NotFound("guide matter", code)
        return [(r.version, r.published_at.isoformat(), r.actor) for r in rows]

    def list_matters(self, *, domain: GuideDomain | str | None = None,
                     community: str | None = None) -> list[GuideMatter]:
        """Published matters, by domain then code; ``community`` keeps the county-wide ones
        and those of that community."""
        with self._gov.store.unit_of_work(write=False) as uow:
            m = gt.guide_matters.c
            v = gt.guide_versions.c
            q = (sa.select(v.content).select_from(gt.guide_matters.join(
                gt.guide_versions, sa.and_(v.code == m.code, v.version == m.version)))
                .where(m.withdrawn.is_(False)).order_by(m.domain, m.code))
            if domain is not None:
                d = domain if isinstance(domain, GuideDomain) else GuideDomain.parse(domain)
                q = q.where(m.domain == d.value)
            if community is not None:
                q = q.where(sa.or_(m.unit_code.is_(None), m.unit_code == community,
                                   sa.literal(community).startswith(m.unit_code)))
            rows = uow.conn.execute(q).scalars().all()
        return [GuideMatter.from_dict(json.loads(c)) for c in rows]

    def search(self, query: str, *, limit: int = 10,
               community: str | None = None) -> list[GuideMatter]:
        """Matters answering a Chinese or mixed query, best first (e.g. ``低保``,
        ``养老 保险``, ``居住证明``).

        Raises:
            ValidationError: the query is empty.
        """
        terms = query_terms(query)
        if not terms:
            raise ValidationError("type a word to search for, e.g. 低保", path="query")
        scored = [(score_matter(m, terms), m) for m in self.list_matters(community=community)]
        hits = [(s, m) for s, m in scored if s > 0]
        hits.sort(key=lambda sm: (-sm[0], sm[1].code))
        return [m for _, m in hits[:limit]]

    def published_json(self, *, community: str | None = None) -> dict[str, Any]:
        """The guide as one JSON document a WeChat page can render: domains with matters."""
        matters = self.list_matters(community=community)
        return {
            "title": "办事指南",
            "community": community,
            "domains": [
                {"domain": d.value, "name": d.chinese,
                 "matters": [m.as_dict() for m in matters if m.domain is d]}
                for d in GuideDomain
            ],
        }

    def wechat_menu(self, base_url: str, *, community: str | None = None) -> dict[str, Any]:
        """A WeChat official-account custom menu (自定义菜单) for the guide.

        One top button 办事指南 with one ``view`` sub-button per domain that has matters
        (WeChat allows at most 5 sub-buttons), each opening ``base_url?domain=...``.
        """
        matters = self.list_matters(community=community)
        subs: list[dict[str, str]] = []
        for d in GuideDomain:
            if any(m.domain is d for m in matters):
                sep = "&" if "?" in base_url else "?"
                url = f"{base_url}{sep}domain={d.value}"
                if community:
                    url += f"&community={community}"
                subs.append({"type": "view", "name": d.chinese, "url": url})
        return {"button": [{"name": "办事指南", "sub_button": subs[:5]}]}

    def domains(self) -> Iterable[GuideDomain]:
        """The domains of the guide."""
        return list(GuideDomain)
