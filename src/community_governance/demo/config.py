"""The declarative description of a demo: which counties, with which plugin and generator.

A demo is a :class:`DemoConfig`: one :class:`CountyDemo` per county, each naming the
:class:`~community_governance.simulation.city.CityPlan` its city is generated from, the county
plugin whose rules it shows, and the few parameters of the seeding steps. ``cgov demo yima``
runs :data:`YIMA`; ``cgov demo sanmenxia`` runs :data:`SANMENXIA` (Yima and 湖滨区 in one
database, each under its own plugin). A new demo is a new configuration, not new code.
"""

from __future__ import annotations

import attrs

from community_governance.domain.culture import EventKind, EventLevel
from community_governance.simulation.city import HUBIN_PLAN, YIMA_PLAN, CityPlan

__all__ = ["CONFIGS", "HUBIN", "SANMENXIA", "SECOND_LANE", "STEPS", "STEP_AFTER", "YIMA",
           "YIMA_COUNTY", "YIMA_CULTURE_EVENTS", "CountyDemo", "DemoConfig", "county_demo_for"]

#: The study's culture events since 2017 (2017年以来) in Yima: (level, kind, how many).
YIMA_CULTURE_EVENTS: tuple[tuple[EventLevel, EventKind, int], ...] = (
    (EventLevel.COMMUNITY, EventKind.SHOW, 36),
    (EventLevel.COMMUNITY, EventKind.ACTIVITY, 331),
    (EventLevel.SUBDISTRICT, EventKind.SHOW, 31),
    (EventLevel.SUBDISTRICT, EventKind.ACTIVITY, 58),
    (EventLevel.CITY, EventKind.SPECIAL_PERFORMANCE, 6),
)

#: The optional steps after the registry, in the order they run.
STEPS: tuple[str, ...] = ("grids", "grid leaders", "volunteering", "culture", "funds", "cases",
                          "orgs", "tenders", "care", "party", "market")

#: What each optional step waits for when the steps run in two lanes (two processes writing
#: the same SQLite file, :mod:`community_governance.demo.lanes`): the steps of the same county
#: that write what it reads, or read what it writes. Every pair of steps not ordered by these
#: waits (directly or through others) touches disjoint data, so the two lanes build the same
#: demo as the sequential order of :data:`STEPS` (the tests compare the headlines):
#:
#: - ``funds`` reads the communities, partner units and staff posts of the registry and writes
#:   only the funds ledger; it needs no grid.
#: - ``cases`` reads the posts (grid leaders handle cases) and the grids of the buildings.
#: - ``tenders`` pays through the funds ledger and contracts a social organization.
#: - ``care`` pays from the care fund (funds), gives out through the charity supermarket
#:   (volunteering's) and writes the funds ledger after ``tenders`` did, as in the sequential
#:   order; the cases it opens get keys of their own, which ``cases`` never reads.
#: - ``party`` adds staff (the county leaders) and posts that ``cases`` must not see, and opens
#:   cases; ``market`` adds partner units and party organizations (``funds`` and ``party``
#:   read them) and posts paid-service income to the funds ledger (after ``care``).
STEP_AFTER: dict[str, tuple[str, ...]] = {
    "grids": (),
    "grid leaders": ("grids",),
    "volunteering": ("grid leaders",),
    "culture": ("volunteering",),
    "funds": (),
    "cases": ("grid leaders",),
    "orgs": ("volunteering",),
    "tenders": ("orgs", "funds"),
    "care": ("volunteering", "funds", "tenders"),
    "party": ("grid leaders", "cases"),
    "market": ("funds", "party", "care"),
}

#: The steps run by the second process when the steps run in two lanes (the others run in
#: the calling process, in the order of :data:`STEPS`). None of them needs the generated
#: city, only the database.
SECOND_LANE: frozenset[str] = frozenset({"funds", "cases", "party"})


@attrs.frozen
class CountyDemo:
    """One county of a demo (示范县).

    Attributes:
        plan: the generator's description of the county's urban area.
        plugin: the module of the county plugin whose rules the demo shows (it must be
            installed, e.g. by ``make install``); ``None`` for the national defaults only.
        case_subdistricts: parts of the names of the sub-districts whose cases are simulated
            (those using the case-handling app); empty for every sub-district.
        volunteer_orgs: volunteer organizations (志愿服务组织), the county's own included.
        volunteer_members: volunteers registered (志愿者).
        volunteer_months: months of volunteering simulated, from September of the year.
        culture_groups: culture and sports groups (文体组织).
        culture_members: their members (open memberships at the end).
        culture_events: held events since 2017 as (level, kind, how many).
        handover: the 三供一业 handover as (from whom, compounds, households), or ``None``
            where the demo shows none.
    """

    plan: CityPlan
    plugin: str | None = None
    case_subdistricts: tuple[str, ...] = ()
    volunteer_orgs: int = 106
    volunteer_members: int = 3838
    volunteer_months: int = 3
    culture_groups: int = 177
    culture_members: int = 4756
    culture_events: tuple[tuple[EventLevel, EventKind, int], ...] = attrs.field(
        factory=lambda: YIMA_CULTURE_EVENTS)
    handover: tuple[str, int, int] | None = None

    @property
    def code(self) -> str:
        """The county's code."""
        return self.plan.county_code

    @property
    def name(self) -> str:
        """The county's name."""
        return self.plan.county_name


@attrs.frozen
class DemoConfig:
    """A demo: the counties built into one database, and the year they describe.

    Attributes:
        name: the demo's name (``cgov demo <name>``).
        title: one line saying what it builds.
        counties: the counties, built in this order.
        year: the year the volunteering, funds and cases describe.
        steps: the optional steps run after the registry (a subset of :data:`STEPS`).
    """

    name: str
    title: str
    counties: tuple[CountyDemo, ...]
    year: int = 2019
    steps: tuple[str, ...] = STEPS

    def __attrs_post_init__(self) -> None:
        codes = [c.code for c in self.counties]
        if not codes or len(set(codes)) != len(codes):
            raise ValueError(f"demo {self.name!r}: name each county once, got {codes}")
        unknown = set(self.steps) - set(STEPS)
        if unknown:
            raise ValueError(f"demo {self.name!r}: unknown steps {sorted(unknown)}; "
                             f"choose among {list(STEPS)}")


#: 义马市 (411281) as the 2019 study describes it: the app's cases in 千秋路 and 泰山路.
YIMA_COUNTY = CountyDemo(YIMA_PLAN, plugin="cgov_yima.plugin",
                         case_subdistricts=("千秋路", "泰山路"),
                         handover=("义马煤业集团", 31, 20_000))
#: 湖滨区 (411202), the prefecture's urban district, under the Hubin plugin's rules.
HUBIN = CountyDemo(HUBIN_PLAN, plugin="cgov_hubin.plugin", case_subdistricts=("湖滨", "前进"),
                   volunteer_orgs=48, volunteer_members=1500, culture_groups=64,
                   culture_members=1700, culture_events=(
                       (EventLevel.COMMUNITY, EventKind.SHOW, 14),
                       (EventLevel.COMMUNITY, EventKind.ACTIVITY, 120),
                       (EventLevel.SUBDISTRICT, EventKind.SHOW, 10),
                       (EventLevel.SUBDISTRICT, EventKind.ACTIVITY, 20),
                       (EventLevel.CITY, EventKind.SPECIAL_PERFORMANCE, 2)))

YIMA = DemoConfig("yima", "Yima's 2019 urban area: 5 sub-districts, 15 communities, "
                  "~138,000 residents", (YIMA_COUNTY,))
SANMENXIA = DemoConfig("sanmenxia", "two counties of 三门峡市 in one database: 义马市 and "
                       "湖滨区, each under its own plugin", (YIMA_COUNTY, HUBIN))

#: The demos ``cgov demo`` knows, by name.
CONFIGS: dict[str, DemoConfig] = {c.name: c for c in (YIMA, SANMENXIA)}


def county_demo_for(code: str, plan: CityPlan | None = None) -> CountyDemo:
    """The demo description of county ``code`` (a known one, or defaults around ``plan``)."""
    for config in CONFIGS.values():
        for county in config.counties:
            if county.code == code:
                return county
    if plan is None:
        raise ValueError(f"no demo describes county {code}; pass its CityPlan")
    return CountyDemo(plan)
