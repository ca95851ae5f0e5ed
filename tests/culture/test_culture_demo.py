"""The demo's culture step: Yima's 177 groups, 4,756 members and the study's event counts."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

import community_governance as cg
from community_governance.demo import HUBIN, YIMA, build, run_steps
from community_governance.demo.headline import culture_headline, headline
from community_governance.domain.access import Actor
from community_governance.services.volunteers import NewVolunteer

SYSTEM = Actor.system("demo-test")


def _built(config: Any, seed: int, scale: float = 0.02) -> Any:
    """A registry-only demo at ``scale``, a tenth of its residents registered as volunteers,
    then the culture step."""
    gov = cg.open("memory://", entrypoints=False)
    _report, cities = build(gov, attrs.evolve(config, steps=()), seed=seed, scale=scale)
    county, city = config.counties[0], cities[config.counties[0].code]
    rng = random.Random(seed)
    ids = sorted(r.id for r in city.residents)
    gov.volunteers.register_many(SYSTEM, [NewVolunteer(r) for r in rng.sample(ids,
                                                                              len(ids) // 10)])
    ran, failed = run_steps(gov, [(county, city)], steps=("culture",), year=config.year)
    assert (ran, failed) == (("culture",), ())
    return gov


@pytest.fixture(scope="module")
def yima() -> Iterator[Any]:
    gov = _built(YIMA, 7, scale=0.05)
    yield gov
    gov.close()


def test_reproduces_the_studys_groups_and_members(yima: Any) -> None:
    """177 groups with 4,756 current members, over the 15 urban communities, every kind."""
    rows = yima.culture.group_report(SYSTEM)
    assert sum(r.groups for r in rows) == 177
    assert sum(r.members for r in rows) == 4756
    assert len({r.community_code for r in rows}) == 15
    assert {r.kind.value for r in rows} >= {"dance", "choir", "opera", "taichi"}
    left = [m for g in yima.culture.groups()[:40]
            for m in yima.culture.members(SYSTEM, g.id, include_left=True) if m.left_on]
    assert left and all(m.left_on >= m.joined_on for m in left)


def test_reproduces_the_studys_event_counts(yima: Any) -> None:
    """Since 2017: community 36 shows and 331 activities, sub-district 31 and 58, city 6
    special performances; neighbourhood events (邻里晚宴, 中秋品月饼, 端午做粽子) besides."""
    totals: dict[tuple[str, str], int] = {}
    for r in yima.culture.event_report(since=dt.date(2017, 1, 1)):
        totals[(r.level.value, r.kind.value)] = totals.get(
            (r.level.value, r.kind.value), 0) + r.events
    neighbourhood = totals.pop(("community", "neighbourhood"))
    assert totals == {("community", "show"): 36, ("community", "activity"): 331,
                      ("subdistrict", "show"): 31, ("subdistrict", "activity"): 58,
                      ("city", "special_performance"): 6}
    assert neighbourhood > 0
    titles = {e.title for e in yima.culture.events(kind="neighbourhood")}
    assert titles == {"邻里晚宴", "中秋品月饼", "端午做粽子"}
    shows = yima.culture.events(kind="show")
    assert all(e.festival and e.group_ids for e in shows)
    assert max(e.on for e in yima.culture.events()) <= dt.date(2019, 6, 30)


def test_members_go_on_to_volunteer_and_the_headline_says_so(yima: Any) -> None:
    """A realistic share of members are volunteers (more than among all residents), and the
    headline prints the figures beside the study's."""
    conv = yima.culture.conversion_report(SYSTEM)
    residents = yima.registry.summary(SYSTEM).as_dict()["residents"]
    share = len(yima.volunteers.list_volunteers(SYSTEM)) / residents
    assert share < conv.total.rate < 0.6  # members volunteer more often than residents do
    assert len(conv.communities) == 15 and len(conv.groups) == 177
    [line] = culture_headline(yima, year=2019)
    assert "177 groups, 4,756 members (study: 177 / 4,756)" in line
    assert "community 36·331 (study 36·331)" in line
    assert "sub-district 31·58 (study 31·58)" in line
    assert "city special performances 6 (study 6)" in line
    assert line in headline(yima, year=2019)


def test_is_reproducible_and_runs_for_another_county() -> None:
    """The same seed gives the same groups and events; 湖滨区 gets its own figures."""
    a, b = _built(HUBIN_ONLY, 3), _built(HUBIN_ONLY, 3)
    try:
        assert a.culture.groups() == b.culture.groups()
        assert a.culture.events() == b.culture.events()
        rows = a.culture.group_report(SYSTEM)
        assert sum(r.groups for r in rows) == HUBIN.culture_groups
        assert sum(r.members for r in rows) == HUBIN.culture_members
        assert all(r.community_code.startswith("411202") for r in rows)
        cities = [e for e in a.culture.events(level="city")]
        assert {e.unit_code for e in cities} == {"411202"}
    finally:
        a.close()
        b.close()


HUBIN_ONLY = attrs.evolve(YIMA, name="hubin", counties=(HUBIN,))
