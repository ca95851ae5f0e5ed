"""湖滨区 (Hubin District, 411202) rules for community-governance, as a county plugin.

湖滨区 is the urban district of 三门峡市, the prefecture Yima belongs to. Its rules here are
illustrative (no study describes them) and chosen to differ clearly from Yima's: smaller grids
of 400 households (300-500), a scoring standard by the half hour with a lower daily cap, a
smaller office allocation with an elderly-care fund instead of a culture fund, a three-person
approval above 2,000 CNY, an old-estate renovation case category (老旧小区改造) with its own
deadlines, a local day off, and stricter rules for social organizations (six admission
documents, 5A from 950 points, more weight on the records, no bids without a grade).
"""

from typing import Any

__all__ = ["ADMISSION", "ELDERLY_FUND", "GRADES", "GRID_POLICY", "HUBIN", "INDICATORS",
           "LOCAL_DAYS_OFF", "OFFICE_FUNDS", "OLD_ESTATE"]


def __getattr__(name: str) -> Any:
    """The plugin's rules, from :mod:`cgov_hubin.plugin` on first use (the rule objects are
    built then, so that loading the plugin stays cheap)."""
    if name in __all__:
        from cgov_hubin import plugin

        return getattr(plugin, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
