"""Care for vulnerable residents (关爱困难群众). Reached as ``gov.care``.

The service is composed of one part per module: :mod:`.registry` (the registry of care needs
and the assigned cadres), :mod:`.visits` (festival and weather rounds, visit records,
follow-ups into cases and charity give-outs, help requests), :mod:`.invitations` (New Year,
Spring Festival and Lantern Festival invitations with their answers and attendance) and
:mod:`.reports` (round coverage, the monthly visit rate, needs found); :mod:`.common` holds
the actions and the hook calls they share. Every public write is one transaction
(``Service._write``).
"""

from __future__ import annotations

from community_governance.services.care.common import CARE_MANAGE as CARE_MANAGE
from community_governance.services.care.common import CARE_READ_OFFICE as CARE_READ_OFFICE
from community_governance.services.care.common import CARE_VISIT as CARE_VISIT
from community_governance.services.care.invitations import (
    InvitationCoverage as InvitationCoverage,
)
from community_governance.services.care.invitations import InvitationRound as InvitationRound
from community_governance.services.care.invitations import InvitationsMixin
from community_governance.services.care.invitations import Reply as Reply
from community_governance.services.care.registry import Coverage as Coverage
from community_governance.services.care.registry import NewCareNeed as NewCareNeed
from community_governance.services.care.registry import RegistryMixin
from community_governance.services.care.reports import MonthlyRate as MonthlyRate
from community_governance.services.care.reports import ReportsMixin
from community_governance.services.care.reports import RoundCoverage as RoundCoverage
from community_governance.services.care.visits import HelpRequest as HelpRequest
from community_governance.services.care.visits import VisitEntry as VisitEntry
from community_governance.services.care.visits import VisitsMixin

__all__ = ["CARE_MANAGE", "CARE_READ_OFFICE", "CARE_VISIT", "CareService", "Coverage",
           "HelpRequest", "InvitationCoverage", "InvitationRound", "MonthlyRate", "NewCareNeed",
           "Reply", "RoundCoverage", "VisitEntry"]


class CareService(RegistryMixin, VisitsMixin, ReportsMixin, InvitationsMixin):
    """Care for vulnerable residents (关爱困难群众). Reached as ``gov.care``."""
