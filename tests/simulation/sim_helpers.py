"""Helpers of the simulation tests: a tiny hand-built city, a minimal scenario document."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from community_governance.simulation.engine import SimCity


def tiny_city() -> SimCity:
    """2 communities, 3 compounds, 8 households, 20 residents."""
    h_comm = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    h_q = np.array([0, 0, 1, 1, 2, 2, 2, 2])
    r_hh = np.array([0, 0, 0, 1, 1, 2, 3, 3, 3, 3, 4, 4, 5, 5, 5, 6, 7, 7, 7, 7])
    ages = np.array([70, 68, 40, 35, 8, 82, 45, 44, 16, 12, 66, 65, 30, 29, 3, 90, 50, 48,
                     20, 18], dtype=np.int16)
    return SimCity(
        community_codes=("411281001001", "411281001002"),
        community_names=("连银社区", "银杏社区"),
        coal_group=np.array([True, False]),
        ages=ages, resident_household=r_hh, household_community=h_comm,
        household_compound=h_q,
        compound_codes=("411281001001-Q01", "411281001001-Q02", "411281001002-Q01"),
        household_elderly=np.array([False, False, True, False, False, False, True, False]),
        household_vulnerable=np.array([False, False, True, False, False, False, True, False]),
        building_leaders=3, scale=1.0,
    )


def minimal_doc(**sections: Any) -> dict[str, Any]:
    """A minimal scenario document (defaults elsewhere)."""
    doc: dict[str, Any] = {"run": {"name": "t", "start": dt.date(2019, 1, 7), "steps": 10}}
    doc.update(sections)
    return doc
