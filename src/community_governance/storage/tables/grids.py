"""Grid tables: the claims of grids on buildings (网格认领), drawn or imported.

A grid is a unit (``units``, kind ``grid``, code ``<community>-Wnn``) and a building's settled
grid is ``buildings.grid_code``. ``grid_claims`` keeps every claim as it came: from a drawing
(``source = "draw"``) or from a county's file (``source = "import:<file name>"``). A building
claimed by two grids is a dispute (争议) that the checks report; nothing resolves it but a
person (``gov.grids.settle``) or a new drawing.
"""

from __future__ import annotations

import sqlalchemy as sa

from community_governance.storage.tables._base import UTCDateTime, metadata

grid_claims = sa.Table(
    "grid_claims",
    metadata,
    sa.Column("building_code", sa.String(24), sa.ForeignKey("buildings.code"),
              primary_key=True),
    sa.Column("grid_code", sa.String(24), sa.ForeignKey("units.code"), primary_key=True,
              index=True),
    sa.Column("source", sa.String(120), nullable=False),
    # households of the building when it was drawn (for redraws); NULL for imported claims
    sa.Column("households", sa.Integer),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
)
