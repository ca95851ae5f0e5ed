"""The synthetic Yima city (义马市城区, 2019): a deterministic, pure generator.

:func:`generate_yima` builds the urban area of 义马市 (county-level city 411281, Henan) as the
2019 study describes it (see ``FACTS.md``): 5 urban sub-district offices (城区办事处), 15 urban
communities (城市社区), about 138,000 residents (城市居民) in about 46,800 households (户) living
in about 1,150 buildings (楼院) grouped in compounds (小区), the 连银 compound (连银小区) with 81
residential buildings and almost 10,000 people, community offices of 6 to 8 mostly temporary
staff (工作人员), a general party committee (社区大党委) per community and partner units
(分包局委, 文明单位, 驻区单位) attached to every community.

The generator is pure: it touches no storage and reads no clock. The same ``seed`` and
``scale`` always give the same city (every name, ID number, coordinate and flag). Grids are not
drawn here: :mod:`community_governance.grids` divides the buildings into grids (网格), and the
per-community household counts are chosen so that the 600-households-per-grid standard
(每600户居民划分1个网格) gives exactly 78 grids at full scale.

Geometry: positions are projected metres in UTM zone 49N (EPSG:32649), around Yima's centre
(about 111.87°E, 34.73°N); communities are clusters inside a 14 km x 8 km (112 km²) box, and the
buildings of a compound stand on a lattice about 35 m apart.

Example::

    from community_governance.simulation.city import generate_yima

    city = generate_yima(2019, scale=0.05)
    arrays = city.arrays
    print(len(city.communities), arrays.ages.mean())
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from typing import Any, TypeVar

import attrs

try:
    import numpy as np
    import numpy.typing as npt
except ImportError as exc:  # the base install has no numpy
    from community_governance.errors import MissingExtra

    raise MissingExtra("numpy", "demo", "the synthetic city (cgov demo, the simulation)") from exc

from community_governance.domain.idnumber import compose_id_number
from community_governance.domain.people import Household, Relation, Vulnerability
from community_governance.domain.posts import (
    HolderKind,
    PartnerKind,
    PartnerUnit,
    PartyOrg,
    PartyOrgKind,
    Post,
    PostKind,
    StaffMember,
)
from community_governance.domain.units import (
    Building,
    Unit,
    UnitKind,
    building_code,
    compound_code,
)

__all__ = [
    "COMMUNITY_PLAN",
    "COUNTY_CODE",
    "HUBIN_PLAN",
    "REFERENCE_DATE",
    "SUBDISTRICT_PLAN",
    "YIMA_PLAN",
    "City",
    "CityArrays",
    "CityPlan",
    "PersonRecord",
    "generate_city",
    "generate_hubin",
    "generate_yima",
    "pick_handover_compounds",
]

COUNTY_CODE = "411281"
COUNTY_NAME = "义马市"
#: The day the city describes (ages, terms and "today" of the ID check are taken on it).
REFERENCE_DATE = dt.date(2019, 12, 31)
#: When the posts of the demo city begin.
POSTS_FROM = dt.date(2019, 1, 1)
#: UTM 49N origin of the city box (south-west corner), metres.
ORIGIN_X, ORIGIN_Y = 664_000.0, 3_842_000.0

#: Urban sub-district offices (城区办事处): code suffix → name. 千秋路 (the largest, six
#: communities) and 泰山路 (the two with the case-handling app) are named in the study; the
#: other three are Yima's other urban offices.
SUBDISTRICT_PLAN: tuple[tuple[str, str], ...] = (
    ("001", "千秋路办事处"),
    ("002", "泰山路办事处"),
    ("003", "新区办事处"),
    ("004", "朝阳路办事处"),
    ("005", "东区办事处"),
)

#: Urban communities: (sub-district suffix, community name, grids at 600 households each,
#: formerly run by the coal group 义煤). The study names 杨村, 耿村, 银杏, 常苑, 兴苑, 狂口,
#: 跃进 (offices of 1,000 m² or more), 前进 and 连银 (charity supermarkets); the grid counts sum
#: to 78, and ten communities were handed over by the coal group (义煤所办的10个社区).
COMMUNITY_PLAN: tuple[tuple[str, str, int, bool], ...] = (
    ("001", "连银社区", 6, True),
    ("001", "银杏社区", 6, True),
    ("001", "杨村社区", 5, True),
    ("001", "跃进社区", 5, True),
    ("001", "前进社区", 5, True),
    ("001", "千秋社区", 6, False),
    ("002", "常苑社区", 6, True),
    ("002", "兴苑社区", 5, False),
    ("002", "泰山社区", 5, False),
    ("003", "耿村社区", 5, True),
    ("003", "新华社区", 5, False),
    ("004", "狂口社区", 5, True),
    ("004", "朝阳社区", 5, True),
    ("005", "东苑社区", 4, True),
    ("005", "北露社区", 5, False),
)

#: Residents per household: 1..6 persons (mean about 2.95, calibrated to 78 grids and 138,000).
_SIZE_P = np.array([0.135, 0.30, 0.25, 0.17, 0.095, 0.05])
_HOUSEHOLDS_PER_BUILDING = 40.6
_LIANYIN_BUILDINGS = 81

_SURNAMES = (
    "王李张刘陈杨赵郭黄周吴徐孙胡朱高林何马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡"
    "贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
    "雷钱汤尹黎易常武乔贺赖龚文"
)
_MALE_GIVEN = (
    "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发"
    "武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪"
    "心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启"
    "克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
)
_FEMALE_GIVEN = (
    "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹"
    "霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶"
    "怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希"
    "宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝丽阳妮宝贝初程梵罡恒鸿桦骅"
    "剑娇纪宽苛灵玛媚琪晴容睿烁堂唯威韦雯苇萱阅彦宇雨洋忠宗曼紫逸贤蝶菡绿蓝儿翠烟"
)

#: Regions of first registration other than 411281 (neighbouring counties, Luoyang, and coal
#: regions that sent miners), with their weights.
_OTHER_REGIONS = (
    "411221", "411202", "411222", "411224", "410322", "410381", "410302", "370883",
    "130203", "510304", "140202", "410526",
)

_BUREAUS = (
    "义马市财政局", "义马市民政局", "义马市人力资源和社会保障局", "义马市住房和城乡建设局",
    "义马市教育局", "义马市卫生健康委员会", "义马市公安局", "义马市司法局",
    "义马市城市管理局", "义马市文化广电和旅游局", "义马市发展和改革委员会",
    "义马市自然资源局", "义马市交通运输局", "义马市审计局", "义马市市场监督管理局",
    "义马市应急管理局", "义马市统计局", "义马市水利局",
)
_CIVILISED = (
    "义马市人民医院", "中国银行义马支行", "中国工商银行义马支行", "义马市第一高级中学",
    "国网义马市供电公司", "中国移动义马分公司", "义马市中医院", "中国邮政义马分公司",
    "中国农业银行义马支行", "义马市实验小学",
)
_RESIDENT_UNITS = (
    "义煤集团千秋煤矿", "义煤集团跃进煤矿", "义煤集团耿村煤矿", "义煤集团杨村煤矿",
    "义煤集团常村煤矿", "义马气化厂", "义煤集团机修厂", "义煤集团总医院",
)



@attrs.frozen
class CityPlan:
    """What :func:`generate_city` builds: one county's urban area (城区), as plain data.

    A second county is a second plan, not a second generator.

    Attributes:
        county_code: the county-level unit's code (县级行政区划代码), six digits.
        county_name: its name.
        subdistricts: ``(code suffix, name)`` of the sub-district offices (办事处/街道).
        communities: ``(sub-district suffix, name, grids, formerly run by an enterprise)``.
        households_per_grid: households per grid the household counts are drawn around (each
            community within a third of a grid of ``grids x households_per_grid``).
        id_prefix: first letter of the residents' keys (``Y`` → ``Y2019-000001``).
        staff_prefix: prefix of the staff keys and partner-unit keys (``""`` for Yima).
        big_compound: ``(community name, compound name, buildings)`` of one large compound
            built first in that community, or ``None``.
        building_leaders: building leaders (楼院长) at full scale.
        other_regions: regions of first registration other than the county's own.
        bureaus: the county's bureaus paired with communities (分包局委).
        civilised_units: civilised units (文明单位).
        resident_units: units based in the communities (驻区单位).
        origin: UTM 49N south-west corner of the city box, metres.
    """

    county_code: str
    county_name: str
    subdistricts: tuple[tuple[str, str], ...]
    communities: tuple[tuple[str, str, int, bool], ...]
    households_per_grid: int = 600
    id_prefix: str = "Y"
    staff_prefix: str = ""
    big_compound: tuple[str, str, int] | None = None
    building_leaders: int = 495
    other_regions: tuple[str, ...] = ()
    bureaus: tuple[str, ...] = ()
    civilised_units: tuple[str, ...] = ()
    resident_units: tuple[str, ...] = ()
    origin: tuple[float, float] = (664_000.0, 3_842_000.0)


#: Yima's urban area as the study describes it.
YIMA_PLAN = CityPlan(
    COUNTY_CODE, COUNTY_NAME, SUBDISTRICT_PLAN, COMMUNITY_PLAN, households_per_grid=600,
    id_prefix="Y", staff_prefix="", big_compound=("连银社区", "连银小区", _LIANYIN_BUILDINGS),
    building_leaders=495, other_regions=_OTHER_REGIONS, bureaus=_BUREAUS,
    civilised_units=_CIVILISED, resident_units=_RESIDENT_UNITS, origin=(ORIGIN_X, ORIGIN_Y))

#: 湖滨区 (411202), the prefecture's urban district: a synthetic urban area of four
#: sub-districts (街道) and ten communities, drawn around 400 households a grid (the Hubin
#: plugin's grid standard). Names are illustrative; no study describes it.
HUBIN_PLAN = CityPlan(
    "411202", "湖滨区",
    (("001", "湖滨街道"), ("002", "前进街道"), ("003", "车站街道"), ("004", "涧河街道")),
    (("001", "黄河路社区", 5, False), ("001", "崤山路社区", 4, False),
     ("001", "和平路社区", 4, False), ("002", "上阳路社区", 4, False),
     ("002", "六峰路社区", 3, False), ("003", "车站社区", 4, True),
     ("003", "建设路社区", 3, False), ("004", "涧河社区", 4, False),
     ("004", "大岭路社区", 3, False), ("004", "甘棠社区", 3, True)),
    households_per_grid=400, id_prefix="H", staff_prefix="HB",
    big_compound=None, building_leaders=260,
    other_regions=("411281", "411221", "411222", "411224", "410302", "610102"),
    bureaus=("湖滨区财政局", "湖滨区民政局", "湖滨区住房和城乡建设局", "湖滨区教育局",
             "湖滨区卫生健康委员会", "湖滨区司法局", "湖滨区城市管理局", "湖滨区应急管理局"),
    civilised_units=("三门峡市中心医院", "中国银行三门峡分行", "三门峡市第一高级中学",
                     "国网三门峡供电公司", "中国移动三门峡分公司"),
    resident_units=("三门峡火车站", "三门峡黄河医院", "三门峡市湖滨果汁厂"),
    origin=(690_000.0, 3_850_000.0))

IntArray = npt.NDArray[np.int32]
_A = TypeVar("_A", bound="np.ndarray[Any, Any]")


class _Random(random.Random):
    """``random.Random`` with :meth:`between`: the draws of ``randrange(start, stop)``
    without its argument checks (a city of 138,000 residents draws over a million integers)."""

    def between(self, start: int, stop: int) -> int:
        """The number ``randrange(start, stop)`` draws from the same state: ``getrandbits``
        of the width's bit length, drawn again until it falls below the width (CPython's
        ``_randbelow``; the city of a seed must not change)."""
        n = stop - start
        if n <= 0:
            raise ValueError(f"empty range for between({start}, {stop})")
        k = n.bit_length()
        getrandbits = self.getrandbits
        r = getrandbits(k)
        while r >= n:
            r = getrandbits(k)
        return start + r


@attrs.frozen
class PersonRecord:
    """One synthetic resident (居民) to register: the pure input record of the generator.

    Its fields are those of :class:`community_governance.services.registry.NewResident`, so
    ``NewResident(**attrs.asdict(p, recurse=False))`` converts it (as the demo loader does).

    Attributes:
        id: the resident's key, ``Y<seed>-<nnnnnn>``.
        name: synthetic Chinese name (姓名).
        id_number: a valid 18-character ID number (居民身份证号码).
        household_id: the household they live in.
        relation: relation to the household head (与户主关系).
        phone: an 11-digit mobile number, or ``None``.
        vulnerabilities: care categories (困难群众), usually empty.
        party_member: member of the Communist Party (党员).
        moved_in: the first day of residence.
    """

    id: str
    name: str
    id_number: str
    household_id: str
    relation: Relation
    phone: str | None
    vulnerabilities: tuple[Vulnerability, ...]
    party_member: bool
    moved_in: dt.date


@attrs.frozen(eq=False)
class CityArrays:
    """Column arrays of the residents, for the simulation engine (one entry per resident).

    Entry ``i`` of every array describes ``City.residents[i]``; arrays are read-only.

    Attributes:
        ages: age in whole years on :data:`REFERENCE_DATE` (``int16``).
        sexes: ``1`` for men, ``0`` for women (``int8``, from the ID number's 17th digit).
        birth_years: year of birth (``int16``).
        household_index: index into ``City.households`` (``int32``).
        building_index: index into ``City.buildings`` (``int32``).
        community_index: index into ``City.communities`` (``int16``).
        party_member: party membership (``bool``).
        vulnerable: any vulnerability flag (``bool``).
        household_sizes: residents per household, indexed like ``City.households`` (``int16``).
        building_xy: ``(n_buildings, 2)`` positions in metres (``float64``), like
            ``City.buildings``.
    """

    ages: npt.NDArray[np.int16]
    sexes: npt.NDArray[np.int8]
    birth_years: npt.NDArray[np.int16]
    household_index: IntArray
    building_index: IntArray
    community_index: npt.NDArray[np.int16]
    party_member: npt.NDArray[np.bool_]
    vulnerable: npt.NDArray[np.bool_]
    household_sizes: npt.NDArray[np.int16]
    building_xy: npt.NDArray[np.float64]


@attrs.frozen(eq=False)
class City:
    """The synthetic Yima urban area (义马市城区): plain domain objects, ready to register.

    Everything is in registration order: parents come before children.

    Attributes:
        seed: the seed it was generated from.
        scale: the fraction of the full city (1.0 = 138,000 residents).
        reference_date: the day ages and terms refer to.
        county: the county unit (义马市, 411281).
        subdistricts: the 5 urban sub-district offices (办事处).
        communities: the 15 urban communities (社区).
        compounds: the compounds (小区) grouping buildings.
        buildings: the buildings (楼院), each with a compound and a position in metres.
        households: the households (户), ``<building>-<unit>-<floor><door>``.
        residents: the residents (居民), grouped by household, head first.
        staff: staff members: community heads, community staff, assigned cadres, sub-district
            staff and the county administrator.
        posts: posts of the staff (书记, 主任, 工作人员, 分包干部, 办事处工作人员, 管理员) and
            the building leaders (楼院长, residents covering one to three buildings).
        party_orgs: a general party committee (社区大党委) per community.
        party_members: resident keys of party members, by party organization key.
        partners: partner units (共建单位), at least two per community.
        lianyin_compound: the code of the 连银 compound (连银小区).
        arrays: column arrays for the simulation engine (see :class:`CityArrays`).
        plan: the plan it was generated from.
    """

    seed: int
    scale: float
    reference_date: dt.date
    county: Unit
    subdistricts: tuple[Unit, ...]
    communities: tuple[Unit, ...]
    compounds: tuple[Unit, ...]
    buildings: tuple[Building, ...]
    households: tuple[Household, ...]
    residents: tuple[PersonRecord, ...]
    staff: tuple[StaffMember, ...]
    posts: tuple[Post, ...]
    party_orgs: tuple[PartyOrg, ...]
    party_members: dict[str, tuple[str, ...]]
    partners: tuple[PartnerUnit, ...]
    lianyin_compound: str
    arrays: CityArrays
    plan: CityPlan | None = None

    @property
    def units(self) -> tuple[Unit, ...]:
        """County, sub-districts, communities and compounds, parents first."""
        return (self.county, *self.subdistricts, *self.communities, *self.compounds)

    def community_households(self) -> dict[str, int]:
        """Households per community code."""
        out = {c.code: 0 for c in self.communities}
        for h in self.households:
            out[h.building_code[:12]] += 1
        return out

    def expected_grids(self, households_per_grid: int = 600) -> int:
        """Sum over communities of ``round(households / households_per_grid)``."""
        return sum(round(n / households_per_grid) for n in self.community_households().values())


def _name(rng: _Random, surname: str, male: bool) -> str:
    pool = _MALE_GIVEN if male else _FEMALE_GIVEN
    n = len(pool)
    if rng.random() < 0.3:
        return surname + pool[rng.between(0, n)]
    return surname + pool[rng.between(0, n)] + pool[rng.between(0, n)]


def _surname(rng: random.Random) -> str:
    # Zipf-like weights: common surnames much more frequent
    n = len(_SURNAMES)
    i = min(n - 1, int((rng.paretovariate(1.2) - 1) * 3))
    return _SURNAMES[i % n]


@attrs.define
class _Member:
    age: int
    male: bool
    relation: Relation
    surname: str


def _household_members(rng: _Random, size: int) -> list[_Member]:
    """Ages, sexes and relations of a household of ``size`` in a coal town with many retirees."""
    s = _surname(rng)
    male_head = rng.random() < 0.72
    if size == 1:
        age = rng.between(62, 92) if rng.random() < 0.55 else rng.between(22, 60)
        return [_Member(age, bool(rng.random() < 0.45), Relation.HEAD, s)]
    if size == 2:
        # a retired couple (矿工退休家庭) or a younger one
        a = rng.between(56, 89) if rng.random() < 0.55 else rng.between(24, 56)
        if rng.random() < 0.85:
            b = max(20, a + rng.between(-6, 4))
            return [_Member(a, male_head, Relation.HEAD, s),
                    _Member(b, not male_head, Relation.SPOUSE, _surname(rng))]
        child_age = max(0, a - rng.between(22, 34))
        return [_Member(a, male_head, Relation.HEAD, s),
                _Member(child_age, bool(rng.random() < 0.5), Relation.CHILD, s)]
    if size in (3, 4) and rng.random() < 0.8:
        a = rng.between(28, 58)
        out = [_Member(a, male_head, Relation.HEAD, s),
               _Member(max(20, a + rng.between(-5, 4)), not male_head, Relation.SPOUSE,
                       _surname(rng))]
        for _ in range(size - 2):
            out.append(_Member(max(0, a - rng.between(22, 36)), bool(rng.random() < 0.52),
                               Relation.CHILD, s))
        if size == 4 and rng.random() < 0.4:  # a widowed parent lives with them
            out[-1] = _Member(min(95, a + rng.between(24, 32)), bool(rng.random() < 0.35),
                              Relation.PARENT, s)
        return out
    # three generations: a retired couple, a child's family, grandchildren
    g = rng.between(55, 84)
    out = [_Member(g, male_head, Relation.HEAD, s),
           _Member(max(45, g + rng.between(-5, 4)), not male_head, Relation.SPOUSE,
                   _surname(rng))]
    middle = max(20, g - rng.between(23, 32))
    rest = size - 2
    out.append(_Member(middle, bool(rng.random() < 0.55), Relation.CHILD, s))
    rest -= 1
    if rest >= 2 or (rest == 1 and rng.random() < 0.3):
        out.append(_Member(max(20, middle + rng.between(-4, 4)),
                           not out[-1].male, Relation.OTHER, _surname(rng)))
        rest -= 1
    for _ in range(rest):
        out.append(_Member(max(0, middle - rng.between(20, 34)), bool(rng.random() < 0.52),
                           Relation.GRANDCHILD, s))
    return out


def _birth_date(rng: _Random, age: int, on: dt.date) -> dt.date:
    """A birth date giving ``age`` whole years on ``on``."""
    latest = dt.date(on.year - age, on.month, on.day)
    return dt.date.fromordinal(latest.toordinal() - rng.between(0, 365))


def _lattice(n: int, cx: float, cy: float, spacing: float,
             rng: random.Random) -> list[tuple[float, float]]:
    cols = max(1, math.ceil(math.sqrt(n)))
    out = []
    for k in range(n):
        r, c = divmod(k, cols)
        x = cx + (c - (cols - 1) / 2) * spacing + rng.gauss(0, 3)
        y = cy + (r - (cols - 1) / 2) * spacing + rng.gauss(0, 3)
        out.append((round(x, 1), round(y, 1)))
    return out


def _split(total: int, parts: int, rng: random.Random, spread: float = 0.35) -> list[int]:
    """Split ``total`` into ``parts`` positive integers of random, not too unequal, sizes."""
    if parts <= 1:
        return [total]
    w = np.array([rng.uniform(1 - spread, 1 + spread) for _ in range(parts)])
    raw = w / w.sum() * total
    out = [max(1, int(v)) for v in raw]
    diff = total - sum(out)
    i = 0
    while diff != 0:
        j = i % parts
        if diff > 0:
            out[j] += 1
            diff -= 1
        elif out[j] > 1:
            out[j] -= 1
            diff += 1
        i += 1
    return out


def generate_yima(seed: int = 2019, *, scale: float = 1.0) -> City:
    """Generate Yima's 2019 urban area (义马市城区) from the study's figures.

    The same as ``generate_city(YIMA_PLAN, seed, scale=scale)``.

    Args:
        seed: the random seed; the same seed and scale give an identical city.
        scale: the fraction of the full city to build, ``0 < scale <= 10`` (above 1 the
            city is oversampled: ``scale`` households for every real one, for smaller
            sampling error; the engine keeps the community offices at their real size).

    Returns:
        The :class:`City`.
    """
    return generate_city(YIMA_PLAN, seed, scale=scale)


def generate_hubin(seed: int = 2019, *, scale: float = 1.0) -> City:
    """Generate a synthetic urban area of 湖滨区 (411202): ``generate_city(HUBIN_PLAN, ...)``."""
    return generate_city(HUBIN_PLAN, seed, scale=scale)


def pick_handover_compounds(codes: Sequence[str], sizes: Sequence[int],
                            coal: Sequence[bool], *, households: float,
                            compounds: int, exact: bool = False) -> list[int]:
    """The compounds of the "three supplies and one property" handover (三供一业): compounds of
    communities formerly run by the coal group, those closest in size to
    ``households / compounds`` first (ties by code), taken until ``households`` are reached.

    The demo (``demo.market``) picks with this rule and asks for ``exact``: exactly
    ``compounds`` compounds (the study's 31), another swapped in for the smallest taken until
    ``households`` are reached. The simulation's engine no longer picks whole compounds: it
    hands over the same share of each coal-group community's households at every scale
    (``Simulation._handover_households``), touching about 33 compounds at full scale, so the
    demo's records and the simulation's handover agree in households, not compound by
    compound.

    Args:
        codes: compound codes.
        sizes: households per compound.
        coal: whether each compound's community was run by the coal group.
        households: the households to reach (already scaled).
        compounds: how many compounds the target is spread over (sets the preferred size).
        exact: take exactly ``compounds`` compounds (fewer when fewer are eligible).

    Returns:
        Indices into ``codes``, in the order taken.
    """
    if compounds <= 0 or households <= 0:
        return []
    mean = households / compounds
    eligible = [i for i in range(len(codes)) if sizes[i] > 0 and coal[i]]
    eligible.sort(key=lambda i: (abs(int(sizes[i]) - mean), codes[i]))
    if exact:
        take = eligible[:compounds]
        rest = sorted(eligible[compounds:], key=lambda i: (-int(sizes[i]), codes[i]))
        got = sum(int(sizes[i]) for i in take)
        while got < households and rest and take:
            small = min(take, key=lambda i: (int(sizes[i]), codes[i]))
            # the smallest compound that closes the gap, else the largest left
            enough = [i for i in rest if int(sizes[i]) - int(sizes[small]) >= households - got]
            big = enough[-1] if enough else rest[0]
            rest.remove(big)
            if sizes[big] <= sizes[small]:
                break
            take[take.index(small)] = big
            got += int(sizes[big]) - int(sizes[small])
        return take
    chosen: list[int] = []
    total = 0
    for i in eligible:
        if total >= households:
            break
        chosen.append(i)
        total += int(sizes[i])
    return chosen


def generate_city(plan: CityPlan, seed: int = 2019, *, scale: float = 1.0) -> City:
    """Generate the urban area a :class:`CityPlan` describes.

    Args:
        plan: the county's plan (:data:`YIMA_PLAN`, :data:`HUBIN_PLAN` or your own).
        seed: the random seed; the same seed and scale give an identical city.
        scale: the fraction of the full city to build, ``0 < scale <= 10`` (households, buildings
            and residents shrink proportionally; units, staff and partners stay).

    Returns:
        The :class:`City`.

    Raises:
        ValueError: ``scale`` is not in ``(0, 10]``.
    """
    if not (0 < scale <= 10):
        raise ValueError(f"scale must be in (0, 10], got {scale}")
    rng = _Random(seed)
    nrng = np.random.default_rng(seed)
    on = REFERENCE_DATE
    code_ = plan.county_code
    county = Unit(code_, UnitKind.COUNTY, plan.county_name)
    subs = tuple(Unit(code_ + s, UnitKind.SUBDISTRICT, n, code_)
                 for s, n in plan.subdistricts)
    comms: list[Unit] = []
    grids_of: list[int] = []
    per_sub: dict[str, int] = {}
    for s, name, grids, _coal in plan.communities:
        sub = code_ + s
        per_sub[sub] = per_sub.get(sub, 0) + 1
        comms.append(Unit(f"{sub}{per_sub[sub]:03d}", UnitKind.COMMUNITY, name, sub))
        grids_of.append(grids)

    # Households per community: within +-250 of grids*600, so round(H/600) == grids.
    per_grid = plan.households_per_grid
    spread, bound = per_grid // 3, per_grid // 2 - 1
    noise = [rng.randrange(-spread, spread + 1) for _ in grids_of]
    drift = sum(noise)
    # Yima adds up to ~46,800 households, each community within 299 of its grids x 600
    noise = [max(-bound, min(bound, v - drift // len(noise))) for v in noise]
    hh_full = [g * per_grid + v for g, v in zip(grids_of, noise, strict=True)]
    hh_counts = [max(3, round(h * scale)) for h in hh_full]

    # Community centres: sub-districts spread west → east along the valley, communities around.
    sub_centres = {sb.code: (1800.0 + 2600.0 * k, 4000.0 + (rng.uniform(-1200, 1200)))
                   for k, sb in enumerate(subs)}

    compounds: list[Unit] = []
    buildings: list[Building] = []
    households: list[Household] = []
    hh_building: list[int] = []
    lianyin = ""
    for comm, n_hh in zip(comms, hh_counts, strict=True):
        sx, sy = sub_centres[comm.parent_code or ""]
        angle = (rng.uniform(0, 2 * math.pi))
        dist = (rng.uniform(500, 1300))
        cx, cy = sx + dist * math.cos(angle), sy + dist * math.sin(angle)
        # compounds: the 连银 compound first in 连银社区, then ~650 households each
        sizes: list[int] = []
        big = plan.big_compound
        if big is not None and comm.name == big[0]:
            lianyin_hh = min(n_hh, max(1, round(big[2] * 41.0 * scale)))
            sizes.append(lianyin_hh)
            rest = n_hh - lianyin_hh
            if rest > 0:
                sizes += _split(rest, max(1, round(rest / 650)), rng)
        else:
            sizes = _split(n_hh, max(1, round(n_hh / 650)), rng)
        b_no = 0
        for qi, q_hh in enumerate(sizes, start=1):
            qcode = compound_code(comm.code, qi)
            is_lianyin = big is not None and comm.name == big[0] and qi == 1
            qname = big[1] if big is not None and is_lianyin else \
                f"{comm.name[:-2]}{_ORDINALS[qi - 1]}小区"
            compounds.append(Unit(qcode, UnitKind.COMPOUND, qname, comm.code))
            if is_lianyin:
                lianyin = qcode
                n_b = max(1, min(q_hh, round((big[2] if big else 0) * scale)))
            else:
                n_b = max(1, round(q_hh / _HOUSEHOLDS_PER_BUILDING))
            qa = (rng.uniform(0, 2 * math.pi))
            qd = (rng.uniform(0, 450)) if qi > 1 else 0.0
            qx, qy = cx + qd * math.cos(qa), cy + qd * math.sin(qa)
            spots = _lattice(n_b, qx, qy, 36.0, rng)
            # towers (高层) take more households than walk-ups (多层) and courtyards (平房院)
            kinds = nrng.choice(3, size=n_b, p=[0.72, 0.12, 0.16])
            weights = np.array([1.0, 2.6, 0.45])[kinds] * nrng.uniform(0.8, 1.2, n_b)
            per_b = _split_weighted(q_hh, weights)
            for bi in range(n_b):
                b_no += 1
                code = building_code(comm.code, b_no)
                kind = int(kinds[bi])
                x, y = spots[bi]
                buildings.append(Building(
                    code, f"{qname}{bi + 1}号楼", comm.code, qcode, None,
                    x=round(plan.origin[0] + x, 1), y=round(plan.origin[1] + y, 1),
                    households_planned=per_b[bi]))
                floors = 18 if kind == 1 else (2 if kind == 2 else 6)
                per_unit = floors * 2
                for k in range(per_b[bi]):
                    unit_no, within = divmod(k, per_unit)
                    floor, door = divmod(within, 2)
                    hid = f"{code}-{unit_no + 1}-{floor + 1}{door + 1:02d}"
                    households.append(Household(hid, code, hid[len(code) + 1:], None))
                    hh_building.append(len(buildings) - 1)

    # Residents, household by household.
    residents: list[PersonRecord] = []
    ages: list[int] = []
    sexes: list[int] = []
    births: list[int] = []
    r_household: list[int] = []
    r_building: list[int] = []
    party: list[bool] = []
    vulnerable: list[bool] = []
    hh_sizes: list[int] = []
    used: set[tuple[str, dt.date, int]] = set()
    sizes_drawn = nrng.choice(6, size=len(households), p=_SIZE_P / _SIZE_P.sum()) + 1
    comm_index = {c.code: i for i, c in enumerate(comms)}
    for hi, hh in enumerate(households):
        members = _household_members(rng, int(sizes_drawn[hi]))
        hh_sizes.append(len(members))
        moved = dt.date(rng.between(1985, 2019), rng.between(1, 13),
                        rng.between(1, 29))
        for m in members:
            born = _birth_date(rng, m.age, on)
            u = rng.random()
            if u < 0.9 or (u < 0.93 and born.year < 1989) or not plan.other_regions:
                region = code_
            else:
                region = plan.other_regions[rng.between(0, len(plan.other_regions))]
            seq = rng.between(0, 500) * 2 + (1 if m.male else 0)
            while (region, born, seq) in used:
                seq = (seq + 2) % 1000
            used.add((region, born, seq))
            number = compose_id_number(region, born, seq)
            vul: list[Vulnerability] = []
            if len(members) == 1 and m.age >= 65 and rng.random() < 0.45:
                vul.append(Vulnerability.ELDERLY_ALONE)
            if rng.random() < 0.003:
                vul.append(Vulnerability.EXTREME_DIFFICULTY)
            if rng.random() < 0.015:
                vul.append(Vulnerability.DISABILITY)
            if rng.random() < 0.02 and m.relation is Relation.HEAD:
                vul.append(Vulnerability.LOW_INCOME)
            if m.age < 16 and rng.random() < 0.01:
                vul.append(Vulnerability.LEFT_BEHIND_CHILD)
            p_party = 0.0 if m.age < 18 else (0.13 if m.age >= 50 else 0.07)
            is_party = bool(rng.random() < p_party)
            phone = None
            if m.age >= 14 and rng.random() < 0.9:
                phone = f"1{_PHONE_PREFIX[rng.between(0, len(_PHONE_PREFIX))]}" \
                        f"{rng.between(0, 100_000_000):08d}"
            rid = f"{plan.id_prefix}{seed}-{len(residents) + 1:06d}"
            residents.append(PersonRecord(
                id=rid, name=_name(rng, m.surname, m.male), id_number=number,
                household_id=hh.id, relation=m.relation, phone=phone,
                vulnerabilities=tuple(vul), party_member=is_party,
                moved_in=max(moved, born)))
            ages.append(m.age)
            sexes.append(1 if m.male else 0)
            births.append(born.year)
            r_household.append(hi)
            r_building.append(hh_building[hi])
            party.append(is_party)
            vulnerable.append(bool(vul))

    b_comm = np.array([comm_index[b.community_code] for b in buildings], dtype=np.int16)
    arrays = CityArrays(
        ages=_ro(np.array(ages, dtype=np.int16)),
        sexes=_ro(np.array(sexes, dtype=np.int8)),
        birth_years=_ro(np.array(births, dtype=np.int16)),
        household_index=_ro(np.array(r_household, dtype=np.int32)),
        building_index=_ro(np.array(r_building, dtype=np.int32)),
        community_index=_ro(b_comm[np.array(r_building, dtype=np.int32)]),
        party_member=_ro(np.array(party, dtype=np.bool_)),
        vulnerable=_ro(np.array(vulnerable, dtype=np.bool_)),
        household_sizes=_ro(np.array(hh_sizes, dtype=np.int16)),
        building_xy=_ro(np.array([(b.x, b.y) for b in buildings], dtype=np.float64)
                        .reshape(-1, 2)),
    )

    staff, posts = _staff_and_posts(rng, subs, comms, plan)
    posts += _building_leaders(comms, buildings, residents, arrays, scale,
                               plan.building_leaders)
    orgs = tuple(PartyOrg(f"PO-{c.code}", PartyOrgKind.GENERAL_COMMITTEE, c.code,
                          f"中共{c.name}委员会") for c in comms)
    enrolled: dict[str, list[str]] = {o.id: [] for o in orgs}
    for i, r in enumerate(residents):
        if r.party_member:
            enrolled[orgs[int(arrays.community_index[i])].id].append(r.id)
    return City(
        seed=seed, scale=scale, reference_date=on, county=county, subdistricts=subs,
        communities=tuple(comms), compounds=tuple(compounds), buildings=tuple(buildings),
        households=tuple(households), residents=tuple(residents), staff=tuple(staff),
        posts=tuple(posts), party_orgs=orgs,
        party_members={k: tuple(v) for k, v in enrolled.items()},
        partners=_partners(rng, comms, plan), lianyin_compound=lianyin, arrays=arrays,
        plan=plan,
    )


_ORDINALS = "一二三四五六七八九十" + "".join(f"十{c}" for c in "一二三四五六七八九")
_PHONE_PREFIX = ("30", "31", "32", "33", "35", "36", "37", "38", "39", "50", "51", "52", "55",
                 "56", "58", "59", "86", "87", "88", "89", "77", "99")


def _ro(a: _A) -> _A:
    a.setflags(write=False)
    return a


def _split_weighted(total: int, weights: npt.NDArray[np.float64]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainders), every part >= 1."""
    n = len(weights)
    if total < n:
        return [1 if i < total else 0 for i in range(n)]
    raw = weights / weights.sum() * (total - n)
    base = np.floor(raw).astype(int)
    rem = total - n - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rem]] += 1
    return [int(v) + 1 for v in base]


def _staff_and_posts(
    rng: _Random, subs: Sequence[Unit], comms: Sequence[Unit], plan: CityPlan,
) -> tuple[list[StaffMember], list[Post]]:
    staff: list[StaffMember] = []
    posts: list[Post] = []

    def person(sid: str, permanent: bool, kind: PostKind, unit: str) -> None:
        sid = plan.staff_prefix + sid
        male = bool(rng.random() < 0.5)
        staff.append(StaffMember(sid, _name(rng, _surname(rng), male), permanent=permanent,
                                 phone=f"139{rng.randrange(0, 100_000_000):08d}"))
        posts.append(Post(f"P-{sid}", kind, unit, HolderKind.STAFF, sid, POSTS_FROM))

    for ci, c in enumerate(comms, start=1):
        # the 15 secretaries and 15 directors handed over by the coal group, now on the
        # public payroll (permanent); the rest of the 6-8 staff temporary (临时)
        person(f"SEC{ci:02d}", True, PostKind.SECRETARY, c.code)
        person(f"DIR{ci:02d}", True, PostKind.DIRECTOR, c.code)
        for k in range(1, rng.randrange(4, 7) + 1):
            person(f"STF{ci:02d}{k:02d}", False, PostKind.STAFF, c.code)
        for k in range(1, 3):
            person(f"CAD{ci:02d}{k}", True, PostKind.ASSIGNED_CADRE, c.code)
    for s in subs:
        for k in range(1, 4):
            person(f"SUB{s.code[-3:]}{k}", True, PostKind.SUBDISTRICT_STAFF, s.code)
    person("ADMIN", True, PostKind.COUNTY_ADMIN, plan.county_code)
    return staff, posts


def _building_leaders(
    comms: Sequence[Unit], buildings: Sequence[Building],
    residents: Sequence[PersonRecord], arrays: CityArrays, scale: float, full: int = 495,
) -> list[Post]:
    """``full`` building leaders (楼院长) at full scale (Yima: 495), each covering 1-3
    buildings of a compound."""
    by_comm: dict[str, list[int]] = {}
    for bi, b in enumerate(buildings):
        by_comm.setdefault(b.community_code, []).append(bi)
    total_b = len(buildings)
    wanted_total = max(len(comms), round(full * scale))
    # candidate leaders: adult residents (25-75) by building, first come
    first_adult: dict[int, int] = {}
    for i in range(len(residents)):
        bi = int(arrays.building_index[i])
        if bi not in first_adult and 25 <= int(arrays.ages[i]) <= 75:
            first_adult[bi] = i
    present = [c for c in comms if by_comm.get(c.code)]
    quotas = _split_weighted(max(wanted_total, len(present)),
                             np.array([len(by_comm[c.code]) / total_b for c in present]))
    posts: list[Post] = []
    for c, quota in zip(present, quotas, strict=True):
        blist = by_comm[c.code]
        n_lead = max(1, min(len(blist), quota))
        groups = np.array_split(np.array(blist), n_lead)
        for g in groups:
            codes = [buildings[int(b)].code for b in g]
            holder = next((first_adult[int(b)] for b in g if int(b) in first_adult), None)
            if holder is None:
                continue
            posts.append(Post(f"P-BL-{codes[0]}", PostKind.BUILDING_LEADER, codes[0],
                              HolderKind.RESIDENT, residents[holder].id, POSTS_FROM,
                              covers=tuple(codes[1:])))
    return posts


def _partners(rng: random.Random, comms: Sequence[Unit],
              plan: CityPlan) -> tuple[PartnerUnit, ...]:
    """A bureau (分包局委) and a civilised unit (文明单位) per community, and units based in
    the communities (驻区单位)."""
    n = len(comms)
    codes = [c.code for c in comms]
    out: list[PartnerUnit] = []
    pre = plan.staff_prefix
    for i, name in enumerate(plan.bureaus):
        attached = tuple(sorted({codes[i % n]} | ({codes[(i + 7) % n]} if i >= n else set())))
        out.append(PartnerUnit(f"{pre}PB{i + 1:02d}", name, PartnerKind.ASSIGNED_BUREAU,
                               attached))
    for i, name in enumerate(plan.civilised_units):
        attached = tuple(sorted({codes[i % n], codes[(i + n // 2 + 1) % n]}
                                | ({codes[(i + 10) % n]} if i + 10 < n else set())))
        out.append(PartnerUnit(f"{pre}PC{i + 1:02d}", name, PartnerKind.CIVILISED_UNIT,
                               attached))
    for i, name in enumerate(plan.resident_units):
        k = rng.randrange(0, n)
        out.append(PartnerUnit(f"{pre}PR{i + 1:02d}", name, PartnerKind.RESIDENT_UNIT,
                               (codes[k],)))
    return tuple(out)
