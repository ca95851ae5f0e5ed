"""Market actors in community services (市场主体), owners' committees (业主委员会), the
"three supplies and one property" handover (三供一业移交), the catalogue of free and paid
community services and wider funding channels (拓宽经费渠道).

The service is composed of one part per module: :mod:`.actors` (companies, contracts, the
property company's party organization, the report of 三无小区), :mod:`.owners` (owners' votes
by area and headcount, committees), :mod:`.handover` (records, progress, cases, the report) and
:mod:`.funding` (the catalogue, paid-service income and funding agreements, every receipt a
transaction of the funds ledger); :mod:`.common` holds the actions and look-ups they share.
"""

from __future__ import annotations

from community_governance.services.market.actors import ActorsMixin, CompoundStatus, PartyLink
from community_governance.services.market.common import MARKET_REGISTER, MARKET_WRITE
from community_governance.services.market.funding import FundingMixin, ServiceSale
from community_governance.services.market.handover import HandoverMixin, HandoverReport
from community_governance.services.market.owners import OwnersMixin, OwnersVote

__all__ = ["MARKET_REGISTER", "MARKET_WRITE", "CompoundStatus", "HandoverReport",
           "MarketService", "OwnersVote", "PartyLink", "ServiceSale"]


class MarketService(ActorsMixin, OwnersMixin, HandoverMixin, FundingMixin):
    """Market actors, owners' committees, the handover, services and funding agreements.

    Reached as ``gov.market``. Fees and amounts go in as ``str``, ``int`` or ``Decimal``
    (never ``float``) and come out as ``Decimal`` CNY to the fen; areas likewise in m².
    """
