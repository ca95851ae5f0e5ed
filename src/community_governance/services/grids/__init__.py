"""The grids service (网格): draw, redraw, check, import, export and staff a county's grids.

Reached as ``gov.grids``. The algorithms are the pure package
:mod:`community_governance.grids`; this service reads the buildings from the store, asks the
county's grid policy (``cgov_grid_policy``) for each community, and writes the result:

* a grid is a unit (``units``, kind ``grid``, code ``<community>-Wnn``, parent the community);
* a building's settled grid is ``buildings.grid_code``;
* every claim of a grid on a building, drawn or imported, is a row of ``grid_claims``
  (building, grid, source). A building claimed by two grids is a dispute (争议): the checks
  report it and nothing but :meth:`GridsService.settle` or a new drawing resolves it.

The service is split by task: :mod:`.drawing` (draw, redraw), :mod:`.claims` (import,
settle), :mod:`.checks` (check, assignment), :mod:`.geo` (GeoJSON), :mod:`.staffing` (leaders,
staffing report); :mod:`.common` holds what they share and :mod:`.reports` the results.

Example::

    import community_governance
    from community_governance.domain.access import Actor

    with community_governance.open("sqlite:///county.db") as gov:
        report = gov.grids.draw(Actor.system("grids"))
        print(report.summary())
        print(gov.grids.check(Actor.system("grids")).as_dict())
"""

from __future__ import annotations

from community_governance.services.grids import common as _common
from community_governance.services.grids.checks import _Checks
from community_governance.services.grids.claims import _Claims
from community_governance.services.grids.common import check_policy
from community_governance.services.grids.drawing import _Drawing
from community_governance.services.grids.geo import _Geo
from community_governance.services.grids.reports import (
    CommunityStaffing,
    DrawReport,
    GridsCheck,
    GridStaffing,
    StaffingReport,
)
from community_governance.services.grids.staffing import _Staffing

__all__ = [
    "GRIDS_DRAW",
    "GRIDS_IMPORT",
    "GRIDS_READ",
    "CommunityStaffing",
    "DrawReport",
    "GridStaffing",
    "GridsCheck",
    "GridsService",
    "StaffingReport",
    "check_policy",
]


# The actions are defined in :mod:`.common`; bound again here, with their doc comments, so the
# API reference documents them under the names they are imported by.
#: Drawing and redrawing grids, settling disputes: community leaders (书记, 主任) and higher.
GRIDS_DRAW = _common.GRIDS_DRAW
#: Importing a county's grid files: community leaders and higher.
GRIDS_IMPORT = _common.GRIDS_IMPORT
#: Reading checks, maps and staffing: the community office, higher offices, and grid leaders
#: (网格长) for their own grid.
GRIDS_READ = _common.GRIDS_READ


class GridsService(_Drawing, _Claims, _Checks, _Geo, _Staffing):
    """Grids (网格): draw, redraw, check, import, export, leaders and staffing.

    Reached as ``gov.grids``.
    """
