"""Social organizations (社会组织): incubation, admission, standardisation, evaluation,
supervision, bidding, staff and training. Reached as ``gov.orgs``.

Every change of an organization's stage is one transition of the state machine in
:mod:`community_governance.domain.orgs`, recorded with its actor and day in the append-only
``social_org_transitions`` journal; a guarded update on the organization's step number lets
exactly one of two concurrent transitions win. The rules of a place (milestones, admission
criteria, checklist, indicators, grade scheme, bid tiers) come from the ``cgov_orgs_*`` hooks,
asked before the write transaction opens. This service is the only writer of its tables; each
public operation is one transaction.

The parts: :mod:`.lifecycle` (proposal to deregistration, reading), :mod:`.evaluation`
(evaluation from the records, supervision, bidding), :mod:`.talent` (staff, training and
subsidies), :mod:`.reports`; :mod:`.common` holds the actions, checks and row helpers.
"""

from __future__ import annotations

from community_governance.services.orgs.common import ORG_DECIDE as ORG_DECIDE
from community_governance.services.orgs.common import ORG_MANAGE as ORG_MANAGE
from community_governance.services.orgs.common import ORG_READ as ORG_READ
from community_governance.services.orgs.common import TRAINING_ACCOUNT as TRAINING_ACCOUNT
from community_governance.services.orgs.evaluation import BidEligibility as BidEligibility
from community_governance.services.orgs.lifecycle import LifecycleMixin
from community_governance.services.orgs.reports import ReportsMixin
from community_governance.services.orgs.talent import TalentMixin

__all__ = ["ORG_DECIDE", "ORG_MANAGE", "ORG_READ", "TRAINING_ACCOUNT", "BidEligibility",
           "OrgsService"]


class OrgsService(LifecycleMixin, TalentMixin, ReportsMixin):
    """Social organizations (社会组织). Reached as ``gov.orgs``."""
