"""The synthetic Yima city: determinism and the study's figures (FACTS.md)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from community_governance.demo import load_city
from community_governance.domain.access import Actor
from community_governance.domain.idnumber import parse_id_number
from community_governance.domain.posts import PartnerKind, PostKind
from community_governance.simulation.city import REFERENCE_DATE, City, generate_yima


@pytest.fixture(scope="module")
def city() -> City:
    return generate_yima(2019)


def test_same_seed_gives_the_same_city() -> None:
    """Generates identical residents, buildings, posts and arrays from the same seed."""
    a, b = generate_yima(11, scale=0.03), generate_yima(11, scale=0.03)
    assert a.residents == b.residents and a.buildings == b.buildings and a.posts == b.posts
    assert np.array_equal(a.arrays.ages, b.arrays.ages)
    c = generate_yima(12, scale=0.03)
    assert [r.id_number for r in c.residents] != [r.id_number for r in a.residents]


def test_units_follow_the_study(city: City) -> None:
    """Has 5 urban sub-districts (with 千秋路 and 泰山路) and 15 communities with valid codes."""
    assert len(city.subdistricts) == 5 and len(city.communities) == 15
    names = {u.name for u in city.subdistricts}
    assert {"千秋路办事处", "泰山路办事处"} <= names
    assert [u.code for u in city.subdistricts] == [f"411281{k:03d}" for k in range(1, 6)]
    assert all(len(c.code) == 12 and c.code.startswith(c.parent_code or "-")
               for c in city.communities)
    named = {"杨村", "耿村", "银杏", "常苑", "兴苑", "狂口", "跃进", "前进", "连银"}
    assert named <= {c.name.removesuffix("社区") for c in city.communities}
    qianqiu = [c for c in city.communities if c.parent_code == "411281001"]
    assert len(qianqiu) == 6  # the largest sub-district has six communities


def test_population_and_households_match_the_calibration(city: City) -> None:
    """Has ~138,000 residents (±2%), ~2.95 per household, and 78 grids at 600 households."""
    n = len(city.residents)
    assert abs(n - 138_000) <= 0.02 * 138_000
    assert 2.85 <= n / len(city.households) <= 3.05
    assert city.expected_grids() == 78
    assert 1_100 <= len(city.buildings) <= 1_200


def test_lianyin_compound(city: City) -> None:
    """The 连银 compound has 81 buildings and almost 10,000 people."""
    codes = {b.code for b in city.buildings if b.compound_code == city.lianyin_compound}
    assert len(codes) == 81
    index = {b.code: i for i, b in enumerate(city.buildings)}
    people = int(np.isin(city.arrays.building_index, [index[c] for c in codes]).sum())
    assert 9_000 <= people <= 10_500


def test_residents_have_valid_unique_numbers(city: City) -> None:
    """Every ID number is valid, unique, mostly from 411281, matching the arrays."""
    numbers = [r.id_number for r in city.residents]
    assert len(set(numbers)) == len(numbers)
    assert 0.85 <= sum(n.startswith("411281") for n in numbers) / len(numbers) < 1
    for i in range(0, len(numbers), 997):
        idn = parse_id_number(numbers[i], today=REFERENCE_DATE)
        assert (idn.sex == "M") == bool(city.arrays.sexes[i])
        assert idn.birth_date.year == int(city.arrays.birth_years[i])
    old = [n for n in numbers if n.startswith("411281") and int(n[6:10]) < 1989]
    assert len(old) > 10_000


def test_age_pyramid_of_a_coal_town(city: City) -> None:
    """Has many retirees (60+ between 20% and 35%), children, and nobody over 100."""
    ages = city.arrays.ages
    assert 0.20 <= float((ages >= 60).mean()) <= 0.35
    assert 0.08 <= float((ages < 15).mean()) <= 0.18
    assert int(ages.max()) <= 100 and int(ages.min()) >= 0


def test_rates_of_party_members_and_vulnerable_residents(city: City) -> None:
    """Has ~8% party members and a low share of vulnerable residents."""
    assert 0.06 <= float(city.arrays.party_member.mean()) <= 0.10
    assert 0.005 <= float(city.arrays.vulnerable.mean()) <= 0.06


def test_staff_of_each_community(city: City) -> None:
    """Each community has a secretary, a director and 6-8 staff in all, mostly temporary."""
    permanent = {s.id: s.permanent for s in city.staff}
    for c in city.communities:
        office = [p for p in city.posts if p.unit_code == c.code and p.kind in (
            PostKind.SECRETARY, PostKind.DIRECTOR, PostKind.STAFF)]
        kinds = [p.kind for p in office]
        assert kinds.count(PostKind.SECRETARY) == 1 and kinds.count(PostKind.DIRECTOR) == 1
        assert 6 <= len(office) <= 8
        temporary = sum(not permanent[p.holder_id] for p in office)
        assert temporary > len(office) / 2
    heads = [p for p in city.posts if p.kind in (PostKind.SECRETARY, PostKind.DIRECTOR)]
    assert len(heads) == 30 and all(permanent[p.holder_id] for p in heads)


def test_building_leaders_and_partners(city: City) -> None:
    """Has 495 building leaders and at least two partner units per community."""
    assert sum(p.kind is PostKind.BUILDING_LEADER for p in city.posts) == 495
    for c in city.communities:
        mine = [p for p in city.partners if c.code in p.community_codes]
        assert len(mine) >= 2
        assert any(p.kind is PartnerKind.ASSIGNED_BUREAU for p in mine)


def test_positions_are_clustered_in_metres(city: City) -> None:
    """Keeps the city inside 14 km x 8 km and a compound's buildings within ~600 m."""
    xy = city.arrays.building_xy
    span = xy.max(axis=0) - xy.min(axis=0)
    assert span[0] <= 16_000 and span[1] <= 10_000
    lianyin = np.array([(b.x, b.y) for b in city.buildings
                        if b.compound_code == city.lianyin_compound])
    assert float(np.ptp(lianyin, axis=0).max()) <= 600


def test_scale_shrinks_the_city() -> None:
    """Builds about a tenth of the residents at scale 0.1, with all units."""
    small = generate_yima(2019, scale=0.1)
    assert 12_000 <= len(small.residents) <= 15_000 and len(small.communities) == 15
    with pytest.raises(ValueError):
        generate_yima(1, scale=0)


def test_loads_through_the_services(gov: Any) -> None:
    """Writes a small city whose registry summary matches the generated figures."""
    city = generate_yima(5, scale=0.01)
    seen: list[str] = []
    report = load_city(gov, city, progress=lambda step, done, total: seen.append(step),
                       chunk=100, optional=False)
    s = gov.registry.summary(Actor.system())
    assert (s.subdistricts, s.communities, s.compounds, s.buildings, s.households,
            s.residents) == (5, 15, len(city.compounds), len(city.buildings),
                             len(city.households), len(city.residents))
    assert s.posts["secretary"] == 15 and s.party_orgs == 15
    assert report.residents == len(city.residents) and "residents" in seen
