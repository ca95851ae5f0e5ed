"""The generated prefecture of the benchmark (issue 21 item 2): six county-level units of
about two million residents, whose cities share one database without a clash."""

from __future__ import annotations

import pytest

import community_governance as cg
from community_governance.demo.prefecture import PREFECTURE, SIZES, county_plan, prefecture
from community_governance.demo.registry import load_registry
from community_governance.domain.access import Actor
from community_governance.simulation.city import YIMA_PLAN, generate_city


def test_full_prefecture_is_six_counties_of_two_million() -> None:
    """Six distinct county codes and key prefixes; about 2,000,000 residents planned; Yima is
    the study's plan (its regions of first registration moved out of the prefecture)."""
    codes = [c.code for c in PREFECTURE.counties]
    assert sorted(codes) == sorted(SIZES) and len(set(codes)) == 6
    assert 1_900_000 < sum(SIZES.values()) < 2_100_000
    assert len({c.plan.id_prefix for c in PREFECTURE.counties}) == 6
    assert len({c.plan.staff_prefix for c in PREFECTURE.counties}) == 6
    yima = next(c for c in PREFECTURE.counties if c.code == "411281")
    assert yima.plan.communities == YIMA_PLAN.communities
    assert not set(yima.plan.other_regions) & set(SIZES)
    regions = [r for c in PREFECTURE.counties for r in c.plan.other_regions]
    assert len(regions) == len(set(regions)) and not set(regions) & set(SIZES)
    # the grids planned hold about each county's residents (2.95 a household)
    for c in PREFECTURE.counties:
        grids = sum(g for _, _, g, _ in c.plan.communities)
        planned = grids * c.plan.households_per_grid * 2.95
        assert abs(planned - SIZES[c.code]) / SIZES[c.code] < 0.02, c.code


def test_smaller_prefecture_has_fewer_communities_of_full_size() -> None:
    """A reduced prefecture keeps the shape: fewer communities, at least one a county."""
    full = {c.code: len(c.plan.communities) for c in PREFECTURE.counties}
    tenth = {c.code: len(c.plan.communities) for c in prefecture(0.1).counties}
    tiny = {c.code: len(c.plan.communities) for c in prefecture(0.0001).counties}
    assert all(1 <= tiny[k] <= tenth[k] < full[k] for k in full)
    with pytest.raises(ValueError, match="scale"):
        prefecture(0)
    with pytest.raises(ValueError, match="sub-district"):
        county_plan("411203", "陕州区", (), 1000, id_prefix="S", staff_prefix="SZ",
                    origin=(0.0, 0.0))


def test_six_counties_share_one_store_without_a_clash() -> None:
    """The six generated cities (the benchmark's seeds: one a county) have no resident key, ID
    number, household or unit code in common, so they register into one store; two of them
    are registered to show it."""
    cities = [generate_city(c.plan, 2019 + k)
              for k, c in enumerate(prefecture(0.0001).counties)]
    for field in ("id", "id_number"):
        values = [getattr(p, field) for city in cities for p in city.residents]
        assert len(values) == len(set(values)), field
    households = [h.id for city in cities for h in city.households]
    units = [u.code for city in cities for u in city.units]
    assert len(households) == len(set(households)) and len(units) == len(set(units))
    system = Actor.system("test")
    small = sorted(cities, key=lambda c: len(c.residents))[:2]
    with cg.open("memory://", entrypoints=False) as gov:
        for city in small:
            load_registry(gov, city, actor=system)
        summary = gov.registry.summary(system)
    assert summary.residents == sum(len(c.residents) for c in small)
