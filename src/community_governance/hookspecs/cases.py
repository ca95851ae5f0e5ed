"""Case hooks: categories, the route up the four levels, deadlines, and the service guide."""

from __future__ import annotations

from typing import TYPE_CHECKING

from community_governance.markers import hookspec

if TYPE_CHECKING:
    from community_governance.domain.cases import CaseCategory, RouteLevel, RouteStep
    from community_governance.domain.guide import GuideMatter


@hookspec
def cgov_case_categories(county_code: str) -> list[CaseCategory] | None:
    """List the categories of case (事务类别) residents and staff may report in.

    Called by ``gov.cases`` whenever it checks a category or lists them (Open311 services).
    The built-in plugin gives 维修 (repair), 环境卫生 (sanitation), 矛盾纠纷 (dispute),
    安全隐患 (safety), 物业管理 (property), 关爱服务 (care) and 其他 (other).

    Args:
        county_code: the 6-digit code of the county whose categories are asked (the county
            of the case's building, or of the community listing its services).

    Returns:
        A list of :class:`~community_governance.domain.cases.CaseCategory`, or ``None``.

    All results are combined: the categories of every plugin serving the county are listed,
    and when two plugins give the same code the one asked first (the most specific scope)
    wins; two plugins of the same scope defining one code are refused at ``open()``.

    Example::

        @hookimpl
        def cgov_case_categories(county_code):
            return [CaseCategory("heating", "供暖", "集中供暖不热、漏水")]
    """


@hookspec(firstresult=True)
def cgov_case_route(
    category: str, building_code: str, grid_code: str | None, community_code: str
) -> list[RouteStep] | None:
    """Give the route of a new case up the four levels (网格 → 社区 → 办事处 → 县直部门).

    Called by ``gov.cases.report`` once per case, before it is written. The case starts at the
    first step; each escalation moves it to the next one.

    Args:
        category: the category code.
        building_code: the building the matter is at.
        grid_code: the building's grid, or ``None`` when it has none.
        community_code: the building's community.

    Returns:
        A non-empty list of :class:`~community_governance.domain.cases.RouteStep` with strictly
        rising levels, or ``None``.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_case_route(category, building_code, grid_code, community_code):
            if category == "safety":   # safety hazards skip the grid in this county
                return [RouteStep(RouteLevel.COMMUNITY, community_code),
                        RouteStep(RouteLevel.SUBDISTRICT, community_code[:9]),
                        RouteStep(RouteLevel.COUNTY, community_code[:6], "县应急管理局")]
            return None
    """


@hookspec(firstresult=True)
def cgov_case_deadline(category: str, level: RouteLevel, county_code: str) -> int | None:
    """Give the number of working days a level has to handle a case of a category.

    Called by ``gov.cases`` when a case is reported, reopened or escalated; the deadline is
    that many working days (工作日, official calendar) after the day, the day not counted.

    Args:
        category: the category code.
        level: the route level the case is at.
        county_code: the 6-digit code of the case's county.

    Returns:
        Working days, from 1 to 60, or ``None``.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_case_deadline(category, level, county_code):
            return 1 if category == "heating" else None
    """


@hookspec
def cgov_service_guide_matters(county_code: str) -> list[GuideMatter] | None:
    """Give service guide matters (办事指南事项) to seed a county's guide with.

    Called by ``gov.guide.seed_defaults``; matters whose code is already in the guide are
    left alone (published versions are never overwritten by seeding).

    Args:
        county_code: the 6-digit code of the county whose guide is seeded.

    Returns:
        A list of :class:`~community_governance.domain.guide.GuideMatter`, or ``None``.

    All results are combined: every plugin's matters are seeded, and for one code the one
    asked first (the county's) wins.

    Example::

        @hookimpl
        def cgov_service_guide_matters(county_code):
            return [GuideMatter(
                code="MZ-101", title="义马市高龄津贴申领", domain="civil_affairs",
                conditions=["年满80周岁"], materials=["身份证", "户口簿"],
                procedure=["社区受理", "民政局审批"], office="社区便民服务中心",
                phone="0398-5812345")]
    """
