"""What the parts of the market service share: actions, look-ups and row converters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from community_governance.domain.access import Action, Target
from community_governance.domain.actions import HIGHER_OFFICE
from community_governance.domain.funds import from_fen
from community_governance.domain.market import (
    FundingAgreement,
    HandoverRecord,
    MarketActor,
    OwnersCommitteeMember,
    ServiceContract,
)
from community_governance.domain.posts import PostKind
from community_governance.domain.units import UnitKind
from community_governance.errors import NotFound
from community_governance.services.base import Operation
from community_governance.storage.tables import core as t
from community_governance.storage.tables import market as mt

__all__ = ["MARKET_REGISTER", "MARKET_WRITE", "area_c", "compound_row", "from_area_c"]

#: Registering companies in a county's registry of market actors (county and sub-district).
MARKET_REGISTER = Action("market.register", roles=HIGHER_OFFICE)
#: Contracts, owners' committees, the handover, the service catalogue, agreements and income
#: of a community (secretary, director, higher offices).
MARKET_WRITE = Action("market.write",
                      roles=frozenset({PostKind.SECRETARY, PostKind.DIRECTOR}) | HIGHER_OFFICE)

_CENT = Decimal("0.01")


def area_c(area: Decimal) -> int:
    """An area in m² as integer hundredths of a square metre."""
    return int((area / _CENT).to_integral_exact())


def from_area_c(value: int) -> Decimal:
    """Hundredths of a square metre back to m²."""
    return (Decimal(int(value)) * _CENT).quantize(_CENT)


def target(kind: str, key: str, unit: str) -> Target:
    """The policy's view of a market object at ``unit`` (a compound or a community)."""
    return Target(kind, key, unit_code=unit)


def compound_row(op: Operation, code: str, path: str = "compound_code") -> Any:
    """The compound ``code`` (``code``, ``name``, ``parent_code``).

    Raises:
        NotFound: no compound has that code.
    """
    r = op.uow.conn.execute(sa.select(t.units).where(
        t.units.c.code == code, t.units.c.kind == UnitKind.COMPOUND.value)).first()
    if r is None:
        raise NotFound("compound", code, f"at {path}: register it first (cgov import units)")
    return r


def community_exists(op: Operation, code: str, path: str = "community_code") -> None:
    """Refuse a code that is not a stored community."""
    if op.uow.conn.execute(sa.select(t.units.c.code).where(
            t.units.c.code == code, t.units.c.kind == UnitKind.COMMUNITY.value)).first() is None:
        raise NotFound("community", code, f"at {path}")


def actor_from_row(r: Any) -> MarketActor:
    """A :class:`MarketActor` from its row."""
    return MarketActor(r.id, r.county_code, r.name, tuple(k for k in r.kinds.split(",") if k),
                       r.credit_code, r.partner_id)


def contract_from_row(r: Any) -> ServiceContract:
    """A :class:`ServiceContract` from its row."""
    return ServiceContract(r.id, r.company_id, r.compound_code, r.service, r.start, r.end,
                           from_fen(int(r.fee_fen)), r.basis)


def member_from_row(r: Any) -> OwnersCommitteeMember:
    """An :class:`OwnersCommitteeMember` from its row."""
    return OwnersCommitteeMember(r.id, r.committee_id, r.name, r.role, r.resident_id)


def handover_from_row(r: Any) -> HandoverRecord:
    """A :class:`HandoverRecord` from its row."""
    return HandoverRecord(r.id, r.compound_code, r.utility, r.from_party, r.to_party,
                          r.handed_over_on, int(r.households), from_fen(int(r.subsidy_fen)),
                          r.status)


def agreement_from_row(r: Any) -> FundingAgreement:
    """A :class:`FundingAgreement` from its row (the name as stored: mask before showing)."""
    return FundingAgreement(r.id, r.community_code, r.kind, r.party_kind, r.party_name,
                            from_fen(int(r.amount_fen)), r.signed_on, r.purpose,
                            bool(r.consent))


def month_of(day: dt.date | dt.datetime) -> str:
    """``YYYY-MM``."""
    return f"{day:%Y-%m}"


#: Tables of this capability, for the reports' prefix filters.
TABLES = mt
