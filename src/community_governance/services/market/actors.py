"""Market actors (市场主体) and their contracts per compound; the property company's party
organization (物业党组织) found through its partner-unit record; compounds with no property
management (三无小区, 不规范小区) flagged."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain.access import Actor
from community_governance.domain.funds import to_fen
from community_governance.domain.market import (
    CompoundManagement,
    MarketActor,
    ServiceContract,
    ServiceKind,
    check_contract_overlap,
    classify_compound,
)
from community_governance.domain.posts import PartnerKind, PartyOrgKind
from community_governance.domain.units import UnitKind
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.services.base import Service
from community_governance.services.market.common import (
    MARKET_REGISTER,
    MARKET_WRITE,
    actor_from_row,
    compound_row,
    contract_from_row,
    target,
)
from community_governance.storage.tables import core as t
from community_governance.storage.tables import market as mt
from community_governance.storage.tables import party as pt

__all__ = ["ActorsMixin", "CompoundStatus", "PartyLink"]


@attrs.frozen
class PartyLink:
    """A property company's party organization (物业党组织) at one community, under that
    community's general committee (社区大党委).

    Attributes:
        company_id: the market actor.
        community_code: the community it serves.
        org_id: its 物业党组织 there (``None``: none set up yet).
        org_name: its name.
        committee_id: the community's general committee it belongs to.
    """

    company_id: str
    community_code: str
    org_id: str | None
    org_name: str | None
    committee_id: str | None


@attrs.frozen
class CompoundStatus:
    """How a compound is managed on a day (小区管理状况), for the report of 三无小区.

    Attributes:
        compound_code: the compound.
        name: its name.
        community_code: its community.
        households: registered households (planned dwellings where none are registered).
        status: managed, irregular (不规范小区) or unmanaged (三无小区).
        company_id: the property company under contract on the day, if any.
        committee_id: the owners' committee sitting on the day, if any.
    """

    compound_code: str
    name: str
    community_code: str
    households: int
    status: CompoundManagement
    company_id: str | None
    committee_id: str | None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"compound": self.compound_code, "name": self.name,
                "community": self.community_code, "households": self.households,
                "status": self.status.value, "status_zh": self.status.chinese,
                "company": self.company_id, "committee": self.committee_id}


class ActorsMixin(Service):
    """Market actors and their contracts (``gov.market``)."""

    # ------------------------------------------------------------------ registry

    def register_actors(self, actor: Actor, actors: Iterable[MarketActor]) -> int:
        """Register market actors in their county's registry (市场主体名录), all or nothing.

        A property company may name its partner-unit record (``partner_id``, a partner unit of
        kind ``property_company``): its 物业党组织 is set up there (``add_party_orgs``) and
        linked, not duplicated.

        Raises:
            NotFound: the county or the partner unit does not exist.
            ValidationError: the partner unit is not a property company.
            ConflictError: a key, credit code or partner unit is registered already.
            PermissionDenied: the actor may not keep the county's registry.
        """
        items = list(actors)
        with self._write(actor, "market.register_actors") as op:
            conn = op.uow.conn
            for i, a in enumerate(items):
                if conn.execute(sa.select(t.units.c.code).where(
                        t.units.c.code == a.county_code,
                        t.units.c.kind == UnitKind.COUNTY.value)).first() is None:
                    raise NotFound("county", a.county_code, f"at $[{i}].county_code")
                op.require(MARKET_REGISTER, target("market_actor", a.id, a.county_code))
                if a.partner_id is not None:
                    kind = conn.execute(sa.select(t.partner_units.c.kind).where(
                        t.partner_units.c.id == a.partner_id)).scalar_one_or_none()
                    if kind is None:
                        raise NotFound("partner unit", a.partner_id,
                                       f"at $[{i}].partner_id: add it first (add_partner_units)")
                    if kind != PartnerKind.PROPERTY_COMPANY.value:
                        raise ValidationError(
                            f"market actor {a.id}: partner unit {a.partner_id} is a {kind}, "
                            "not a property company (property_company): link the company's "
                            "own partner-unit record", path=f"$[{i}].partner_id")
            try:
                if items:
                    conn.execute(mt.market_actors.insert(), [
                        {"id": a.id, "county_code": a.county_code, "name": a.name,
                         "kinds": ",".join(k.value for k in a.kinds),
                         "credit_code": a.credit_code, "partner_id": a.partner_id,
                         "registered_at": op.now} for a in items])
            except IntegrityError:
                raise ConflictError(
                    "a market actor with one of these keys, credit codes or partner units is "
                    "registered already: list them with cgov market actors") from None
            op.touched.extend(f"market_actor:{a.id}" for a in items)
            return len(items)

    def actors(self, county_prefix: str = "", *,
               kind: ServiceKind | str | None = None) -> list[MarketActor]:
        """Registered market actors (public facts), by key."""
        a = mt.market_actors.c
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(sa.select(mt.market_actors).where(
                a.county_code.startswith(county_prefix, autoescape=True)).order_by(a.id)).all()
        out = [actor_from_row(r) for r in rows]
        return [x for x in out if kind is None or ServiceKind(kind) in x.kinds]

    def market_actor(self, company_id: str) -> MarketActor:
        """One market actor.

        Raises:
            NotFound: no such market actor.
        """
        with self._gov.store.unit_of_work(write=False) as uow:
            r = uow.conn.execute(sa.select(mt.market_actors).where(
                mt.market_actors.c.id == company_id)).first()
        if r is None:
            raise NotFound("market actor", company_id, "list them with cgov market actors")
        return actor_from_row(r)

    # ------------------------------------------------------------------ contracts

    def add_contracts(self, actor: Actor, contracts: Iterable[ServiceContract]) -> int:
        """Record service contracts of market actors for compounds, all or nothing.

        Raises:
            NotFound: the company or the compound does not exist.
            ValidationError: the company does not offer the service.
            ConflictError: a second property-management contract for a compound on one day,
                or a key used already.
            PermissionDenied: the actor may not act for the compound's community.
        """
        items = list(contracts)
        with self._write(actor, "market.add_contracts") as op:
            conn = op.uow.conn
            codes = sorted({c.compound_code for c in items})
            existing = [contract_from_row(r) for r in conn.execute(
                sa.select(mt.market_contracts).where(
                    mt.market_contracts.c.compound_code.in_(codes)))] if codes else []
            kinds: dict[str, tuple[ServiceKind, ...]] = {}
            for i, c in enumerate(items):
                compound_row(op, c.compound_code, f"$[{i}].compound_code")
                op.require(MARKET_WRITE, target("contract", c.id, c.compound_code))
                if c.company_id not in kinds:
                    r = conn.execute(sa.select(mt.market_actors.c.kinds).where(
                        mt.market_actors.c.id == c.company_id)).scalar_one_or_none()
                    if r is None:
                        raise NotFound("market actor", c.company_id,
                                       f"at $[{i}].company_id: register it first")
                    kinds[c.company_id] = tuple(ServiceKind(k) for k in r.split(",") if k)
                if c.service not in kinds[c.company_id]:
                    raise ValidationError(
                        f"contract {c.id}: {c.company_id} does not offer {c.service.value} "
                        f"({c.service.chinese}); it offers "
                        f"{[k.value for k in kinds[c.company_id]]}: register the service "
                        "with the company or choose another company",
                        path=f"$[{i}].service")
                check_contract_overlap(existing, c)
                existing.append(c)
            try:
                if items:
                    conn.execute(mt.market_contracts.insert(), [
                        {"id": c.id, "company_id": c.company_id,
                         "compound_code": c.compound_code, "service": c.service.value,
                         "start": c.start, "end": c.end, "fee_fen": to_fen(c.fee),
                         "basis": c.basis.value, "recorded_at": op.now} for c in items])
            except IntegrityError:
                raise ConflictError("a contract with one of these keys exists already") \
                    from None
            op.touched.extend(f"contract:{c.id}" for c in items)
            return len(items)

    def end_contract(self, actor: Actor, contract_id: str, *, on: dt.date) -> ServiceContract:
        """End a contract on ``on`` (its last day).

        Raises:
            NotFound: no such contract.
            ConflictError: it ended on or before ``on`` already, or ``on`` is before it starts.
        """
        with self._write(actor, "market.end_contract") as op:
            r = op.uow.conn.execute(sa.select(mt.market_contracts).where(
                mt.market_contracts.c.id == contract_id)).first()
            if r is None:
                raise NotFound("contract", contract_id)
            c = contract_from_row(r)
            op.require(MARKET_WRITE, target("contract", c.id, c.compound_code))
            if on < c.start or (c.end is not None and c.end <= on):
                raise ConflictError(
                    f"contract {c.id} runs {c.start}..{c.end or 'open'}: it can end on a day "
                    f"from {c.start} to {c.end or 'any later day'} (exclusive of its end), "
                    f"not {on}")
            op.uow.conn.execute(mt.market_contracts.update().where(
                mt.market_contracts.c.id == contract_id).values(end=on))
            op.touch("contract", contract_id)
            return attrs.evolve(c, end=on)

    def contracts(self, compound_prefix: str = "", *,
                  company_id: str | None = None) -> list[ServiceContract]:
        """Contracts of compounds under a code prefix (public facts: who serves whom, for how
        much), by compound and start."""
        c = mt.market_contracts.c
        q = sa.select(mt.market_contracts).where(
            c.compound_code.startswith(compound_prefix, autoescape=True))
        if company_id is not None:
            q = q.where(c.company_id == company_id)
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(q.order_by(c.compound_code, c.start, c.id)).all()
        return [contract_from_row(r) for r in rows]

    # ------------------------------------------------------------------ party link

    def party_links(self, company_id: str) -> list[PartyLink]:
        """The property company's party organization (物业党组织) at each community it serves
        (by its contracts) or is attached to as a partner unit, under that community's general
        committee (社区大党委). ``org_id`` is ``None`` where none is set up yet.

        Raises:
            NotFound: no such market actor.
        """
        company = self.market_actor(company_id)
        with self._gov.store.unit_of_work(write=False) as uow:
            conn = uow.conn
            served = {r[:12] for r in conn.execute(sa.select(
                mt.market_contracts.c.compound_code).where(
                mt.market_contracts.c.company_id == company_id)).scalars()}
            orgs: dict[str, tuple[str, str, str | None]] = {}
            if company.partner_id is not None:
                served |= set(conn.execute(sa.select(
                    t.partner_attachments.c.community_code).where(
                    t.partner_attachments.c.partner_id == company.partner_id)).scalars())
                po = t.party_orgs.c
                for r in conn.execute(
                        sa.select(po.id, po.name, po.unit_code, po.parent_id)
                        .join(pt.party_org_partners, pt.party_org_partners.c.org_id == po.id)
                        .where(pt.party_org_partners.c.partner_id == company.partner_id,
                               po.kind == PartyOrgKind.PROPERTY_ORG.value)):
                    orgs[r.unit_code] = (r.id, r.name, r.parent_id)
            committees = {r.unit_code: r.id for r in conn.execute(
                sa.select(t.party_orgs.c.id, t.party_orgs.c.unit_code).where(
                    t.party_orgs.c.kind == PartyOrgKind.GENERAL_COMMITTEE.value,
                    t.party_orgs.c.unit_code.in_(sorted(served))))} if served else {}
        out = []
        for c in sorted(served):
            org = orgs.get(c)
            out.append(PartyLink(company_id, c, org[0] if org else None,
                                 org[1] if org else None,
                                 org[2] if org else committees.get(c)))
        return out

    # ------------------------------------------------------------------ the report

    def compound_management(self, prefix: str = "", *,
                            on: dt.date | None = None) -> list[CompoundStatus]:
        """Every compound under ``prefix`` and how it is managed on ``on`` (default today):
        under a property-management contract, 不规范小区 (no contract runs, but an owners'
        committee sits or a contract lapsed), or 三无小区 (neither). By compound code."""
        day = on or self._gov.now().in_timezone(self._gov.timezone).date()
        u, b, h = t.units.c, t.buildings.c, t.households.c
        with self._gov.store.unit_of_work(write=False) as uow:
            conn = uow.conn
            comps = conn.execute(sa.select(u.code, u.name, u.parent_code).where(
                u.kind == UnitKind.COMPOUND.value,
                u.code.startswith(prefix, autoescape=True)).order_by(u.code)).all()
            registered: dict[str, int] = dict(conn.execute(
                sa.select(b.compound_code, sa.func.count(h.id))
                .select_from(t.households.join(t.buildings, b.code == h.building_code))
                .where(b.compound_code.startswith(prefix, autoescape=True))
                .group_by(b.compound_code)).all())
            planned: dict[str, int] = dict(conn.execute(
                sa.select(b.compound_code, sa.func.sum(b.households_planned))
                .where(b.compound_code.startswith(prefix, autoescape=True))
                .group_by(b.compound_code)).all())
            contracts: dict[str, list[ServiceContract]] = defaultdict(list)
            for r in conn.execute(sa.select(mt.market_contracts).where(
                    mt.market_contracts.c.compound_code.startswith(prefix, autoescape=True),
                    mt.market_contracts.c.service == ServiceKind.PROPERTY.value)):
                contracts[r.compound_code].append(contract_from_row(r))
            mc = mt.market_committees.c
            sitting = {r.compound_code: r.id for r in conn.execute(
                sa.select(mc.id, mc.compound_code).where(
                    mc.compound_code.startswith(prefix, autoescape=True),
                    mc.term_start <= day, mc.term_end >= day))}
        out = []
        for r in comps:
            cs = contracts.get(r.code, [])
            status = classify_compound(day, cs, r.code in sitting)
            active = next((c.company_id for c in cs if c.active_on(day)), None)
            hh = int(registered.get(r.code) or 0) or int(planned.get(r.code) or 0)
            out.append(CompoundStatus(r.code, r.name, r.parent_code, hh, status, active,
                                      sitting.get(r.code)))
        return out
