"""Government purchase of services (政府购买服务): needs, projects with their budget reserved in
the funds ledger, tender notices with lots, sealed bids with published commitments, the
opening, panel scoring with conflicts of interest found in the records, awards with a
standstill period for objections (质疑), contracts with deliverables and a payment schedule,
acceptance, payments as disbursements of the funds ledger, and the performance evaluation that
feeds the organization's own. Reached as ``gov.tenders``.

Every change of a lot's status is one transition of the state machine in
:mod:`community_governance.domain.tenders`, recorded in the append-only
``tender_lot_transitions`` journal; a guarded update on the lot's step number lets exactly one
of two concurrent transitions (two awards) win. Payments draw on the project's reservation
under the community's funds lock, so the reserved budget is never overspent. This service is the
only writer of its tables; each public operation is one transaction, audited.

The parts: :mod:`.rounds` (need to award and objections), :mod:`.contracts` (contract,
acceptance, payments, performance, reading), :mod:`.public` (the disclosure and the OCDS
export); :mod:`.common` holds the actions, checks, the conflict graph and row helpers.
"""

from __future__ import annotations

from community_governance.services.tenders.common import TENDER_DECIDE as TENDER_DECIDE
from community_governance.services.tenders.common import TENDER_DISCLOSE as TENDER_DISCLOSE
from community_governance.services.tenders.common import TENDER_MANAGE as TENDER_MANAGE
from community_governance.services.tenders.common import TENDER_READ as TENDER_READ
from community_governance.services.tenders.public import PublicMixin
from community_governance.services.tenders.rounds import NewLot as NewLot
from community_governance.services.tenders.rounds import RoundsMixin

__all__ = ["TENDER_DECIDE", "TENDER_DISCLOSE", "TENDER_MANAGE", "TENDER_READ", "NewLot",
           "TendersService"]


class TendersService(RoundsMixin, PublicMixin):
    """Government purchase of services (政府购买服务). Reached as ``gov.tenders``."""
