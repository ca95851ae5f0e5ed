"""The hook implementations of the Yima county plugin (义马市, 411281).

The plugin declares its scope (``cgov_plugin_scope`` → ``["411281"]``), so the library asks it
only about places in Yima, whatever else is installed; every hook also checks the place it is
told and passes (``None``) elsewhere, so the answers stay right when called directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

from community_governance import hookimpl

if TYPE_CHECKING:
    from community_governance.domain.cases import CaseCategory, RouteLevel
    from community_governance.grids.model import GridPolicy

YIMA = "411281"

#: Office funds per community and year from 2019 (办公经费 7.4万), study figure.
OFFICE_FUNDS = Decimal("74000.00")
#: Office funds before the 2019 increase (2万), study figure.
OFFICE_FUNDS_BEFORE_2019 = Decimal("20000.00")
#: Care fund per community and year (困难群众关爱基金): the study names the fund, not the
#: amount; assumed.
CARE_FUND = Decimal("20000.00")
#: Culture fund per community and year (文化活动基金): named, amount assumed.
CULTURE_FUND = Decimal("12000.00")

#: Points per hour of volunteer service by category (记分标准): the study says each community
#: sets a scoring standard; these rates are assumed, in the range Henan communities publish.
POINTS_PER_HOUR: dict[str, int] = {
    "environment": 2,  # 环境卫生
    "elderly_care": 3,  # 助老服务
    "child_care": 3,  # 关爱儿童
    "safety_patrol": 2,  # 平安巡逻
    "civilised_city": 2,  # 文明创建
    "epidemic_duty": 4,  # 疫情防控
    "culture": 1,  # 文体活动 (culture-group members' shows)
    "mediation": 3,  # 矛盾调解
    "general": 1,  # 其他
}
#: At most this many points a day per resident from scored activities (assumed).
DAILY_CAP = 12



@cache
def case_categories() -> tuple[CaseCategory, CaseCategory]:
    """Yima's county-defined case categories: the coal-group housing handover (三供一业) and
    heating (``HANDOVER`` and ``HEATING``).

    Rule objects are built on first use, not at import: ``cgov`` loads every installed plugin
    when it starts, so a plugin that imports little keeps every command quick.
    """
    from community_governance.domain.cases import CaseCategory

    return (
        CaseCategory(
            "handover", "三供一业移交", "原义煤集团家属区供水、供电、供暖和物业移交后的遗留问题",
            group="物业管理", keywords=("三供一业", "物业移交", "供暖", "供水", "供电", "义煤")),
        CaseCategory(
            "heating", "供暖", "冬季供暖不热、停暖、管网漏水", group="公共设施",
            keywords=("暖气", "供暖", "不热")),
    )

#: Working days per level (grid, community, sub-district, county) for Yima's categories.
DEADLINES: dict[str, tuple[int, int, int, int]] = {
    "handover": (5, 7, 10, 15),
    "heating": (1, 2, 3, 5),
}

#: The partner units (共建单位) Yima pairs with its urban communities: the kinds are the study's
#: (分包局委, 文明单位, 驻区单位); the pairs are illustrative.
PARTNER_UNITS: tuple[tuple[str, str], ...] = (
    ("义马市财政局", "assigned_bureau"),
    ("义马市民政局", "assigned_bureau"),
    ("义马市住房和城乡建设局", "assigned_bureau"),
    ("义马市人力资源和社会保障局", "assigned_bureau"),
    ("义马市卫生健康委员会", "assigned_bureau"),
    ("义马市公安局", "assigned_bureau"),
    ("义马市教育局", "civilised_unit"),
    ("义马市供电公司", "civilised_unit"),
    ("国网义马市供电公司", "civilised_unit"),
    ("义煤集团", "resident_unit"),
    ("义马市人民医院", "resident_unit"),
    ("中国工商银行义马支行", "resident_unit"),
)


@cache
def grid_policy() -> GridPolicy:
    """Yima's grid policy (网格划分标准, ``GRID_POLICY``): 600 households a grid, 480-720 in
    band, compounds kept whole; 500 m: a grid may reach across a street to the next compound
    (the national default)."""
    from community_governance.grids.model import GridPolicy

    return GridPolicy(target=600, low=480, high=720, keep_compounds_whole=True,
                      neighbour_distance_m=500.0)


_LAZY: dict[str, Callable[[], object]] = {
    "GRID_POLICY": grid_policy,
    "HANDOVER": lambda: case_categories()[0],
    "HEATING": lambda: case_categories()[1],
}


def __getattr__(name: str) -> object:
    """``GRID_POLICY``, ``HANDOVER`` and ``HEATING``, built on first use."""
    try:
        return _LAZY[name]()
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def _ours(code: str | None) -> bool:
    return code is not None and code.startswith(YIMA)


@hookimpl
def cgov_plugin_scope() -> list[str]:
    """Yima (义马市) only."""
    return [YIMA]


@hookimpl
def cgov_grid_policy(community_code: str, households: int) -> GridPolicy | None:
    """One grid per 600 households (每600户居民划分1个网格), 480-720 allowed, compounds whole."""
    return grid_policy() if _ours(community_code) else None


@hookimpl
def cgov_funds_annual_allocation(community_code: str, year: int) -> dict[str, Decimal] | None:
    """Office funds 74,000 CNY a year from 2019 (20,000 before), the care and culture funds."""
    if not _ours(community_code):
        return None
    if year < 2019:
        return {"4101": OFFICE_FUNDS_BEFORE_2019}
    return {"4101": OFFICE_FUNDS, "4102": CARE_FUND, "4103": CULTURE_FUND}


@hookimpl
def cgov_points_standard(category: str, minutes: int, community_code: str) -> int | None:
    """Yima's scoring standard: whole hours served, at the category's rate (at least 1 point
    for a service of 30 minutes or more)."""
    if not _ours(community_code):
        return None
    if minutes < 30:
        return 0
    rate = POINTS_PER_HOUR.get(category, POINTS_PER_HOUR["general"])
    return max(1, rate * (minutes // 60))


@hookimpl
def cgov_points_daily_cap(community_code: str, day: dt.date) -> int | None:
    """At most 12 points a day from activities."""
    return DAILY_CAP if _ours(community_code) else None


@hookimpl
def cgov_case_categories(county_code: str) -> list[CaseCategory] | None:
    """The national categories plus 三供一业移交 and 供暖."""
    return list(case_categories()) if _ours(county_code) else None


@hookimpl
def cgov_case_deadline(category: str, level: RouteLevel, county_code: str) -> int | None:
    """Deadlines of Yima's own categories; the national ones for the rest."""
    if not _ours(county_code):
        return None
    days = DEADLINES.get(category)
    return None if days is None else days[int(level) - 1]
