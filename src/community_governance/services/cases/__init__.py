"""Cases (事务): report, route up the four levels, handle, escalate overdue, report on them.

Reached as ``gov.cases``. Every change of a case is one transition of the state machine in
:mod:`community_governance.domain.cases`, recorded in the append-only ``case_transitions``
journal with its actor and time. Deadlines are counted in working days of the official calendar
given by the ``cgov_working_day_calendar`` hook and are stored on the case.

Time of an operation: by default "now"; an ``at`` argument records a step that happened
earlier (the phone app collects matters on the spot and may sync later). ``at`` may not lie in
the future, nor before the case's previous step.

The service is composed of one part per module: :mod:`.routing` (categories, routes,
deadlines, the calendar and the shared row helpers), :mod:`.lifecycle` (intake, handling,
escalation, reading), :mod:`.reports` (statistics), :mod:`.open311` (GeoReport v2 export and
import) and :mod:`.history` (importing whole case histories), :mod:`.calendar` (installing an
official year file and recomputing provisional deadlines); :mod:`.common` holds the
actions and hook-answer checks they share.
"""

from __future__ import annotations

from community_governance.services.cases.calendar import CalendarMixin
from community_governance.services.cases.common import CASE_CLOSE as CASE_CLOSE
from community_governance.services.cases.common import CASE_EXPORT as CASE_EXPORT
from community_governance.services.cases.common import CASE_HANDLE as CASE_HANDLE
from community_governance.services.cases.common import CASE_IMPORT as CASE_IMPORT
from community_governance.services.cases.common import CASE_READ as CASE_READ
from community_governance.services.cases.common import CASE_REPORT as CASE_REPORT
from community_governance.services.cases.common import ImportResult as ImportResult
from community_governance.services.cases.common import JobFailure as JobFailure
from community_governance.services.cases.common import JobResult as JobResult
from community_governance.services.cases.common import _expect_category as _expect_category
from community_governance.services.cases.common import _expect_route as _expect_route
from community_governance.services.cases.history import CaseRecord as CaseRecord
from community_governance.services.cases.history import HistoryMixin
from community_governance.services.cases.history import HistoryStep as HistoryStep
from community_governance.services.cases.lifecycle import LifecycleMixin
from community_governance.services.cases.open311 import Open311Mixin
from community_governance.services.cases.reports import CaseReport as CaseReport
from community_governance.services.cases.reports import ReportsMixin

__all__ = [
    "CASE_CLOSE",
    "CASE_EXPORT",
    "CASE_HANDLE",
    "CASE_IMPORT",
    "CASE_READ",
    "CASE_REPORT",
    "CaseRecord",
    "CaseReport",
    "CasesService",
    "HistoryStep",
    "ImportResult",
    "JobFailure",
    "JobResult",
]


class CasesService(Open311Mixin, CalendarMixin, LifecycleMixin, ReportsMixin, HistoryMixin):
    """Cases (事务): report, route, handle, escalate, export. Reached as ``gov.cases``."""
