"""National defaults: case categories, the four-level route, deadlines and the service guide."""

from __future__ import annotations

import json
from importlib import resources

from community_governance.domain.cases import (
    DEFAULT_CATEGORIES,
    CaseCategory,
    RouteLevel,
    RouteStep,
)
from community_governance.domain.guide import GuideMatter
from community_governance.markers import hookimpl

#: The county department that takes a category at the top of the route (县直部门).
DEPARTMENTS = {
    "repair": "住房和城乡建设局",
    "sanitation": "城市管理局",
    "dispute": "司法局",
    "safety": "应急管理局",
    "property": "住房和城乡建设局",
    "care": "民政局",
}
OTHER_DEPARTMENT = "12345政务服务便民热线"

#: Working days each level has for a category: (grid, community, sub-district, county).
DEADLINES: dict[str, tuple[int, int, int, int]] = {
    "safety": (1, 1, 2, 3),
    "sanitation": (2, 2, 3, 5),
    "care": (2, 3, 3, 5),
    "repair": (3, 5, 5, 10),
    "property": (5, 5, 7, 10),
    "dispute": (5, 7, 10, 15),
    "other": (5, 5, 10, 15),
}


@hookimpl(trylast=True)
def cgov_case_categories(county_code: str) -> list[CaseCategory]:
    """维修, 环境卫生, 矛盾纠纷, 安全隐患, 物业管理, 关爱服务, 其他."""
    return list(DEFAULT_CATEGORIES)


@hookimpl(trylast=True)
def cgov_case_route(
    category: str, building_code: str, grid_code: str | None, community_code: str
) -> list[RouteStep]:
    """Grid leader (if the building has a grid) → community → sub-district → a county
    department chosen by category."""
    steps = [RouteStep(RouteLevel.GRID, grid_code)] if grid_code else []
    steps += [
        RouteStep(RouteLevel.COMMUNITY, community_code),
        RouteStep(RouteLevel.SUBDISTRICT, community_code[:9]),
        RouteStep(RouteLevel.COUNTY, community_code[:6],
                  DEPARTMENTS.get(category, OTHER_DEPARTMENT)),
    ]
    return steps


@hookimpl(trylast=True)
def cgov_case_deadline(category: str, level: RouteLevel, county_code: str) -> int:
    """Working days per category and level (county categories get those of 其他)."""
    return DEADLINES.get(category, DEADLINES["other"])[int(level) - 1]


@hookimpl(trylast=True)
def cgov_service_guide_matters(county_code: str) -> list[GuideMatter]:
    """A few common matters per domain (低保, 城乡居民养老保险, 居住证...), from package data."""
    data = resources.files("community_governance.defaults").joinpath("guide_matters.json")
    text = data.read_text("utf-8")
    return [GuideMatter.from_dict(item) for item in json.loads(text)]
