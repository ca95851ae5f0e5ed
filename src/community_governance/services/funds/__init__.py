"""Community funds (社区经费): the double-entry ledger, budgets, disbursements, support in kind,
reports and the public disclosure (财务公开).

Every write takes the community's lock row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite
writers are serialised by ``BEGIN IMMEDIATE``) before it checks budgets, balances and
idempotency keys, so concurrent writers never overspend a budget or post a request twice.

The service is composed of one part per module: :mod:`.books` (the chart of accounts, the
lock and the shared look-ups), :mod:`.ledger` (posting, reversal, support in kind, reading
the books), :mod:`.disbursements` (budgets, requests, approvals, payments and their batches)
and :mod:`.reports` (trial balance, year end, funding mix, disclosure), :mod:`.reservations`
(budget reservations, 预算占用); :mod:`.common` holds
the actions, hook-answer checks and input records they share.
"""

from __future__ import annotations

from community_governance.services.funds.common import FUNDS_BUDGET as FUNDS_BUDGET
from community_governance.services.funds.common import FUNDS_CLOSE as FUNDS_CLOSE
from community_governance.services.funds.common import FUNDS_DISCLOSE as FUNDS_DISCLOSE
from community_governance.services.funds.common import FUNDS_PAY as FUNDS_PAY
from community_governance.services.funds.common import FUNDS_POST as FUNDS_POST
from community_governance.services.funds.common import FUNDS_READ as FUNDS_READ
from community_governance.services.funds.common import FUNDS_REQUEST as FUNDS_REQUEST
from community_governance.services.funds.common import NewBudget as NewBudget
from community_governance.services.funds.common import NewDisbursement as NewDisbursement
from community_governance.services.funds.common import NewInKind as NewInKind
from community_governance.services.funds.common import NewTransaction as NewTransaction
from community_governance.services.funds.common import Payment as Payment
from community_governance.services.funds.common import _check_over_budget as _check_over_budget
from community_governance.services.funds.common import _check_threshold as _check_threshold
from community_governance.services.funds.common import allocation_check as allocation_check
from community_governance.services.funds.disbursements import DisbursementsMixin
from community_governance.services.funds.reports import FundingMix as FundingMix
from community_governance.services.funds.reports import ReportsMixin
from community_governance.services.funds.reports import TrialBalance as TrialBalance
from community_governance.services.funds.reports import TrialBalanceRow as TrialBalanceRow
from community_governance.services.funds.reports import mix_of as mix_of
from community_governance.services.funds.reservations import Reservation as Reservation
from community_governance.services.funds.reservations import ReservationsMixin

__all__ = [
    "FUNDS_BUDGET",
    "FUNDS_CLOSE",
    "FUNDS_DISCLOSE",
    "FUNDS_PAY",
    "FUNDS_POST",
    "FUNDS_READ",
    "FUNDS_REQUEST",
    "FundingMix",
    "FundsService",
    "NewBudget",
    "NewDisbursement",
    "NewInKind",
    "NewTransaction",
    "Payment",
    "Reservation",
    "TrialBalance",
    "TrialBalanceRow",
]


class FundsService(DisbursementsMixin, ReportsMixin, ReservationsMixin):
    """Community funds: the ledger, budgets, disbursements, reports and disclosure.

    Reached as ``gov.funds``. Amounts go in as ``str``, ``int`` or ``Decimal`` (never
    ``float``) and come out as ``Decimal`` CNY to the fen.
    """
