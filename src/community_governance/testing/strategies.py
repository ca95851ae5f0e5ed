"""Hypothesis strategies for plugin authors and for our own tests.

Example::

    from hypothesis import given
    from community_governance.testing import strategies as cst

    @given(cst.id_numbers())
    def test_my_rule_accepts_every_valid_number(number):
        ...
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from community_governance.domain.idnumber import PROVINCES, check_character, compose_id_number
from community_governance.domain.people import Relation, Vulnerability
from community_governance.domain.units import Building, Unit, UnitKind, building_code, grid_code

if TYPE_CHECKING:
    from community_governance.domain.access import Action
    from community_governance.domain.points import Item
    from community_governance.domain.volunteers import Activity
    from community_governance.simulation.scenario import Scenario

__all__ = [
    "actions",
    "activities",
    "activity_categories",
    "birth_dates",
    "building_codes",
    "buildings",
    "case_categories",
    "community_codes",
    "grid_codes",
    "id_numbers",
    "invalid_id_numbers",
    "items",
    "money",
    "new_residents",
    "phones",
    "region_codes",
    "resident_ids",
    "scenarios",
    "transactions",
    "units_tree",
]

TODAY = dt.date(2026, 1, 1)


def birth_dates(min_year: int = 1900, today: dt.date = TODAY) -> st.SearchStrategy[dt.date]:
    """Birth dates from ``min_year`` to ``today``."""
    return st.dates(min_value=dt.date(min_year, 1, 1), max_value=today)


def region_codes() -> st.SearchStrategy[str]:
    """6-digit region codes with a real province code (county part arbitrary)."""
    return st.builds(lambda p, rest: f"{p}{rest:04d}", st.sampled_from(sorted(PROVINCES)),
                     st.integers(0, 9999))


def id_numbers(today: dt.date = TODAY, county: str | None = None) -> st.SearchStrategy[str]:
    """Valid 18-character resident ID numbers (some ending in X).

    Args:
        today: no one is born after it.
        county: first registered in this county (6 digits); ``None`` for any region.
    """
    regions = region_codes() if county is None else st.just(county)
    return st.builds(compose_id_number, regions, birth_dates(today=today), st.integers(0, 999))


def counties(codes: tuple[str, ...] = ("411281", "411202", "411221")) -> st.SearchStrategy[str]:
    """County codes among ``codes`` (default: Yima, Hubin and Mianchi of 三门峡市)."""
    return st.sampled_from(codes)


def _corrupt(number: str, pos: int, digit: str) -> str:
    return number[:pos] + digit + number[pos + 1:]


@st.composite
def invalid_id_numbers(draw: st.DrawFn, today: dt.date = TODAY) -> str:
    """ID numbers that the validator must refuse: a wrong check character, an impossible or
    future birth date, an unknown province, 15 digits, a wrong length or a letter inside."""
    good = draw(id_numbers(today))
    kind = draw(st.sampled_from(["check", "date", "future", "province", "legacy", "length",
                                 "letter"]))
    if kind == "check":
        wrong = draw(st.sampled_from([c for c in "0123456789X" if c != good[17]]))
        return good[:17] + wrong
    if kind == "date":
        first = good[:6] + "19500230" + good[14:17]
        return first + check_character(first)
    if kind == "future":
        first = good[:6] + f"{today.year + 1}0101" + good[14:17]
        return first + check_character(first)
    if kind == "province":
        first = draw(st.sampled_from(["00", "19", "29", "55", "99"])) + good[2:17]
        return first + check_character(first)
    if kind == "legacy":
        return good[:6] + good[8:17]
    if kind == "length":
        return good[: draw(st.integers(1, 17))]
    pos = draw(st.integers(0, 16))
    return _corrupt(good, pos, draw(st.sampled_from("ABCZ")))


def phones() -> st.SearchStrategy[str]:
    """Mainland mobile numbers in the ranges libphonenumber knows (what the registry accepts)."""
    from community_governance.domain.people import validate_phone

    def valid(number: str) -> bool:
        try:
            return validate_phone(number) == number
        except ValueError:
            return False

    return st.builds(lambda p, n: f"1{p}{n:09d}", st.sampled_from("3456789"),
                     st.integers(0, 999_999_999)).filter(valid)


def community_codes(county: str = "411281") -> st.SearchStrategy[str]:
    """12-digit community codes under ``county``."""
    return st.builds(lambda s, c: f"{county}{s:03d}{c:03d}", st.integers(1, 20),
                     st.integers(1, 40))


@st.composite
def units_tree(draw: st.DrawFn, county: str = "411281") -> list[Unit]:
    """A county with sub-districts, communities and grids, parents before children."""
    out = [Unit(county, UnitKind.COUNTY, "测试县")]
    for s in range(1, draw(st.integers(1, 3)) + 1):
        sd = f"{county}{s:03d}"
        out.append(Unit(sd, UnitKind.SUBDISTRICT, f"第{s}办事处", county))
        for c in range(1, draw(st.integers(1, 3)) + 1):
            cc = f"{sd}{c:03d}"
            out.append(Unit(cc, UnitKind.COMMUNITY, f"第{c}社区", sd))
            for g in range(1, draw(st.integers(0, 3)) + 1):
                out.append(Unit(grid_code(cc, g), UnitKind.GRID, f"第{g}网格", cc))
    return out


def buildings(community: str) -> st.SearchStrategy[Building]:
    """Buildings of ``community`` with positions and planned households."""
    return st.builds(
        lambda n, x, y, h: Building(building_code(community, n), f"{n}号楼", community, x=x,
                                    y=y, households_planned=h),
        st.integers(1, 9999), st.floats(0, 5000), st.floats(0, 5000), st.integers(1, 300))


@st.composite
def new_residents(draw: st.DrawFn, household_id: str, today: dt.date = TODAY) -> object:
    """A ``NewResident`` of ``household_id`` with a valid ID number."""
    from community_governance.services.registry import NewResident

    return NewResident(
        name=draw(st.sampled_from(["王", "李", "张", "刘", "陈"])) + draw(
            st.sampled_from(["伟", "芳", "娜", "敏", "静", "强"])),
        id_number=draw(id_numbers(today)), household_id=household_id,
        relation=draw(st.sampled_from(list(Relation))),
        phone=draw(st.none() | phones()),
        vulnerabilities=draw(st.lists(st.sampled_from(list(Vulnerability)), max_size=2,
                                      unique=True)),
    )


# --- arguments of the capability hooks ----------------------------------------------------------

#: Scoring categories of volunteer activities (the national scoring table's).
ACTIVITY_CATEGORIES = ("environment", "elderly_care", "child_care", "safety_patrol",
                       "civilised_city", "epidemic_duty", "culture", "mediation", "general")
#: Case category codes: the national ones and two a county adds (Yima's 供暖, 三供一业移交).
CASE_CATEGORY_CODES = ("repair", "sanitation", "dispute", "safety", "property", "care", "other",
                       "heating", "handover")


def money(low: str = "0.01", high: str = "1000000") -> st.SearchStrategy[Decimal]:
    """CNY amounts to the fen (``Decimal`` with two places) from ``low`` to ``high``."""
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=2,
                       allow_nan=False, allow_infinity=False)


def _codes(known: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(known) | st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)


def case_categories() -> st.SearchStrategy[str]:
    """Case category codes: mostly known ones, sometimes a county's own code."""
    return _codes(CASE_CATEGORY_CODES)


def activity_categories() -> st.SearchStrategy[str]:
    """Scoring categories of activities: mostly the national ones, sometimes a county's own."""
    return _codes(ACTIVITY_CATEGORIES)


def grid_codes(community: str) -> st.SearchStrategy[str]:
    """Grid codes of ``community`` (``411281001001-W03``)."""
    return st.builds(grid_code, st.just(community), st.integers(1, 20))


def building_codes(community: str) -> st.SearchStrategy[str]:
    """Building codes of ``community`` (``411281001001-B0042``)."""
    return st.builds(building_code, st.just(community), st.integers(1, 9999))


def resident_ids() -> st.SearchStrategy[str]:
    """Resident keys as the registry makes them (``R`` and 15 hex digits)."""
    return st.builds(lambda n: f"R{n:015x}", st.integers(0, 16**15 - 1))


@st.composite
def activities(draw: st.DrawFn, county: str = "411281") -> Activity:
    """Stored volunteer activities of a community or one of its grids, 0 to 600 minutes long."""
    from community_governance.domain.volunteers import Activity

    community = draw(community_codes(county))
    unit = draw(st.just(community) | grid_codes(community))
    start = draw(st.datetimes(min_value=dt.datetime(2017, 1, 1),
                              max_value=dt.datetime(2030, 12, 31), timezones=st.just(dt.UTC))
                 ).replace(second=0, microsecond=0)
    end = start + dt.timedelta(minutes=draw(st.integers(0, 600)))
    capacity = draw(st.integers(1, 200))
    return Activity(f"A{draw(st.integers(0, 16**12 - 1)):012x}",
                    draw(st.sampled_from(["清扫楼道", "敬老院探访", "平安巡逻", "广场舞展演"])),
                    unit, community, draw(activity_categories()),
                    draw(st.sampled_from(["社区广场", "党群服务中心", "3号楼"])), start, end,
                    capacity, None, "", draw(st.integers(0, capacity)))


@st.composite
def items(draw: st.DrawFn, county: str = "411281") -> Item:
    """Active points-supermarket items of a community."""
    from community_governance.domain.points import Item

    return Item(f"I{draw(st.integers(0, 16**12 - 1)):012x}", draw(community_codes(county)),
                draw(st.sampled_from(["洗衣液", "食用油", "大米", "牙膏", "毛巾", "酱油"])),
                draw(st.integers(1, 500)), draw(st.integers(0, 200)), True)


def _known_actions() -> list[Action]:
    from community_governance import services
    from community_governance.domain.access import Action

    found: dict[str, Action] = {}
    names = ["community_governance.domain.actions"] + [
        f"{services.__name__}.{i.name}" for i in pkgutil.iter_modules(services.__path__)]
    for name in names:
        for value in vars(importlib.import_module(name)).values():
            if isinstance(value, Action):
                found.setdefault(value.name, value)
    return [found[k] for k in sorted(found)]


def actions(*, public: bool = False) -> st.SearchStrategy[Action]:
    """The actions the library declares (those of personal data included); public ones only
    when ``public`` is true (services never ask plugins about them)."""
    return st.deferred(lambda: st.sampled_from(
        [a for a in _known_actions() if public or not a.public]))


_SCENARIOS: dict[str, Scenario] = {}

#: Settings a scenario override may change, with the values drawn for them.
_OVERRIDES: dict[str, st.SearchStrategy[Any]] = {
    "behaviour.participation.neighbours": st.floats(0.0, 5.0),
    "behaviour.participation.base_logit": st.floats(-9.0, -3.0),
    "behaviour.volunteering.quit_per_year": st.floats(0.0, 1.0),
    "behaviour.volunteering.hours_per_service": st.floats(0.5, 8.0),
    "behaviour.redemption.weekly_probability": st.floats(0.0, 1.0),
    "behaviour.satisfaction.baseline": st.floats(0.0, 1.0),
    "behaviour.identification.initial_mean": st.floats(0.0, 1.0),
    "staff.cases_per_staff_day": st.floats(0.5, 5.0),
    "points.rate": st.integers(1, 30),
    "city.scale": st.sampled_from([0.01, 0.05, 0.2, 1.0]),
}


@st.composite
def scenarios(draw: st.DrawFn, name: str = "yima-2019") -> Scenario:
    """The bundled scenario ``name`` with a few settings overridden (validated again)."""
    from community_governance.simulation.scenario import load_scenario

    base = _SCENARIOS.get(name)
    if base is None:
        base = _SCENARIOS[name] = load_scenario(name)
    keys = draw(st.lists(st.sampled_from(sorted(_OVERRIDES)), max_size=3, unique=True))
    if not keys:
        return base
    return base.with_overrides({k: draw(_OVERRIDES[k]) for k in keys})


@st.composite
def transactions(draw: st.DrawFn, *, balanced: bool = True) -> list[Any]:
    """The postings of one double-entry transaction on the national chart of accounts.

    Balanced by default (income into the bank, spending out of it, transfers between funds);
    with ``balanced=False``, postings whose debits and credits differ by at least a fen, which
    the ledger must refuse.
    """
    from community_governance.domain.funds import credit, debit

    amount = draw(money("0.01", "200000"))
    shape = draw(st.sampled_from(["income", "spending", "split", "transfer"]))
    if shape == "income":
        lines = [debit("1002", amount), credit(draw(st.sampled_from(
            ["4101", "4102", "4103", "4201", "4301", "4401"])), amount)]
    elif shape == "spending":
        lines = [debit(draw(st.sampled_from(["5101", "5102", "5103", "5104", "5105"])), amount),
                 credit("1002", amount)]
    elif shape == "split":
        part = draw(money("0.01", str(amount))) if amount > Decimal("0.01") else amount
        rest = amount - part
        lines = [debit("1002", amount), credit("4201", part)]
        if rest > 0:
            lines.append(credit("4301", rest))
    else:
        lines = [debit("1001", amount), credit("1002", amount)]
    if not balanced:
        skew = draw(money("0.01", "1000"))
        lines.append(debit("5105", skew))
    return lines
