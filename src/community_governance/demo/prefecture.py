"""A generated prefecture (地级市): six county-level units of about 2 million residents together.

:data:`PREFECTURE` describes 三门峡市's size: six county-level units (two districts, two
county-level cities, two counties) of about 2,000,000 residents, for the prefecture benchmark
(``benchmarks/bench_prefecture.py``, issue 21 item 2). 义马市 is the study's urban area
(:data:`~community_governance.simulation.city.YIMA_PLAN`, ~138,000); the five others are
synthetic plans of the sizes in :data:`SIZES`, their communities of five grids named by
number (``灵宝一社区``...). The sizes are illustrative, chosen to add up to about two million:
no study describes them. :func:`prefecture` gives a smaller prefecture of the same shape
(fewer communities, each of full size), which the benchmark builds by default.

Example::

    from community_governance.demo.prefecture import PREFECTURE, SIZES, prefecture

    assert len(PREFECTURE.counties) == 6 and sum(SIZES.values()) == 2_008_000
    small = prefecture(0.01)   # about 20,000 residents, one or two communities a county
    print([len(c.plan.communities) for c in small.counties])
"""

from __future__ import annotations

import attrs

from community_governance.demo.config import YIMA_COUNTY, CountyDemo, DemoConfig
from community_governance.simulation.city import CityPlan

__all__ = ["PREFECTURE", "SIZES", "county_plan", "prefecture"]

#: Residents per household the city generator draws (mean of its household sizes).
_PER_HOUSEHOLD = 2.95
#: Grids per generated community.
_GRIDS_PER_COMMUNITY = 5
_ORDINALS = "一二三四五六七八九十"

#: Residents of each county-level unit at full size (illustrative; 义马市 as in the study).
SIZES: dict[str, int] = {
    "411202": 400_000,  # 湖滨区
    "411203": 330_000,  # 陕州区
    "411221": 320_000,  # 渑池县
    "411224": 300_000,  # 卢氏县
    "411281": 138_000,  # 义马市 (the study's urban area)
    "411282": 520_000,  # 灵宝市
}


def _ordinal(n: int) -> str:
    """``1 -> 一``, ``12 -> 十二``, ``25 -> 二十五`` (up to 99)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _ORDINALS[tens - 1] + "十")
    return head + (_ORDINALS[ones - 1] if ones else "")


def county_plan(code: str, name: str, subdistricts: tuple[str, ...], residents: int, *,
                households_per_grid: int = 600, id_prefix: str, staff_prefix: str,
                origin: tuple[float, float], other_regions: tuple[str, ...] = ()) -> CityPlan:
    """A synthetic :class:`~community_governance.simulation.city.CityPlan` of about
    ``residents`` residents: communities of five grids spread over ``subdistricts``.

    Args:
        code: the county-level unit's code.
        name: its name.
        subdistricts: the names of its sub-districts (街道/镇), at least one.
        residents: about how many residents at full size.
        households_per_grid: the grid size the household counts are drawn around.
        id_prefix: first letter of the residents' keys (unique in the database).
        staff_prefix: prefix of the staff and partner keys (unique in the database).
        origin: UTM 49N south-west corner of the city box, metres.
        other_regions: regions of first registration other than the county's own; in one
            database, give each county regions of its own (the generator keeps ID numbers
            unique within a county only).

    Raises:
        ValueError: no sub-district, or no residents.
    """
    if not subdistricts or residents < 1:
        raise ValueError(f"{name}: name at least one sub-district and some residents, got "
                         f"{len(subdistricts)} and {residents}")
    grids = max(1, round(residents / _PER_HOUSEHOLD / households_per_grid))
    sizes = [_GRIDS_PER_COMMUNITY] * (grids // _GRIDS_PER_COMMUNITY)
    if grids % _GRIDS_PER_COMMUNITY:
        sizes.append(grids % _GRIDS_PER_COMMUNITY)
    per_sub: dict[int, int] = {}
    communities = []
    for i, g in enumerate(sizes):
        s = i % len(subdistricts)
        per_sub[s] = per_sub.get(s, 0) + 1
        communities.append((f"{s + 1:03d}", f"{subdistricts[s][:2]}{_ordinal(per_sub[s])}社区",
                            g, False))
    return CityPlan(
        code, name, tuple((f"{s + 1:03d}", n) for s, n in enumerate(subdistricts)),
        tuple(communities), households_per_grid=households_per_grid, id_prefix=id_prefix,
        staff_prefix=staff_prefix, big_compound=None,
        building_leaders=max(1, round(495 * residents / 138_000)),
        other_regions=other_regions,
        bureaus=(f"{name}财政局", f"{name}民政局", f"{name}住房和城乡建设局"),
        civilised_units=(f"{name}人民医院", f"{name}第一高级中学"),
        resident_units=(f"{name}供电公司",), origin=origin)


def _county(plan: CityPlan, residents: int, plugin: str | None = None) -> CountyDemo:
    members = round(3838 * residents / 138_000)  # Yima's share of volunteers
    orgs = max(3, min(members // 36, 2 * len(plan.communities)))
    return CountyDemo(plan, plugin=plugin, volunteer_orgs=orgs,
                      volunteer_members=max(orgs, members))


#: The sub-districts, grid size, key prefixes, map origin and other regions of first
#: registration of each generated county (each county's regions its own, so that ID numbers
#: stay unique across the prefecture).
_LAYOUT: dict[str, tuple[str, tuple[str, ...], int, str, str, tuple[float, float],
                         tuple[str, ...]]] = {
    "411202": ("湖滨区", ("湖滨街道", "前进街道", "车站街道", "涧河街道", "崖底街道", "会兴街道"),
               400, "H", "HB", (690_000.0, 3_850_000.0), ("410302", "610102")),
    "411203": ("陕州区", ("大营镇", "原店镇", "张湾乡", "观音堂镇"), 600, "S", "SZ",
               (700_000.0, 3_830_000.0), ("410322", "410381")),
    "411221": ("渑池县", ("城关镇", "英豪镇", "张村镇", "洪阳镇"), 600, "M", "MC",
               (650_000.0, 3_855_000.0), ("370883", "130203")),
    "411224": ("卢氏县", ("城关镇", "东明镇", "文峪乡", "范里镇"), 600, "L", "LS",
               (640_000.0, 3_770_000.0), ("510304", "140202")),
    "411281": ("义马市", tuple(n for _, n in YIMA_COUNTY.plan.subdistricts), 600, "Y", "",
               YIMA_COUNTY.plan.origin, ("410305", "410311", "410306", "410303")),
    "411282": ("灵宝市", ("城关镇", "函谷关镇", "阳平镇", "故县镇", "豫灵镇"), 600, "B", "LB",
               (600_000.0, 3_815_000.0), ("410526", "610502")),
}
_PLUGINS = {"411202": "cgov_hubin.plugin", "411281": "cgov_yima.plugin"}


def prefecture(scale: float = 1.0) -> DemoConfig:
    """The prefecture at ``scale`` of its size: every county with ``scale`` of its residents,
    in proportionally fewer communities of full size (a smaller prefecture, not a thinner
    one; at least one community a county). Build it with the generator's ``scale=1``.

    At full size 义马市 is the study's urban area; otherwise a generated plan of its share.
    The county plugins of 湖滨区 and 义马市 apply where installed.

    Raises:
        ValueError: ``scale`` is not in ``(0, 1]``.
    """
    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], got {scale}")
    counties = []
    for code, (name, subs, per_grid, prefix, staff, origin, regions) in _LAYOUT.items():
        residents = round(SIZES[code] * scale)
        if code == "411281" and scale == 1:
            counties.append(attrs.evolve(YIMA_COUNTY, plan=attrs.evolve(
                YIMA_COUNTY.plan, other_regions=regions)))
            continue
        plan = county_plan(code, name, subs, residents, households_per_grid=per_grid,
                           id_prefix=prefix, staff_prefix=staff, origin=origin,
                           other_regions=regions)
        counties.append(_county(plan, residents, _PLUGINS.get(code)))
    return DemoConfig(
        "prefecture", "a prefecture the size of 三门峡市: six county-level units, "
        f"~{round(sum(SIZES.values()) * scale):,} residents", tuple(counties))


#: 三门峡市 at full size: six county-level units, about 2,000,000 residents; 义马市 and 湖滨区
#: under their plugins, the four others under the national defaults.
PREFECTURE = prefecture(1.0)
