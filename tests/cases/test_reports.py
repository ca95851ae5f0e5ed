"""Case reports and the demo year of cases."""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

import community_governance
from community_governance.demo.cases import seed_cases
from community_governance.domain.access import Actor
from community_governance.domain.cases import CaseEvent, CaseStatus, percentile
from community_governance.errors import NotFound
from community_governance.storage.tables.cases import case_transitions, cases
from community_governance.testing.city import build_small_city

SYSTEM = Actor.system("test")


def _at(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz="Asia/Shanghai")


def test_percentile_interpolates() -> None:
    """Interpolates percentiles linearly and has none for no data."""
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5], 90) == 5.0
    assert percentile(range(1, 11), 90) == pytest.approx(9.1)
    assert percentile([], 50) is None


def test_report_counts_handling_overdue_load_and_satisfaction(city: Any, cgov: Any,
                                                              clock: Any) -> None:
    """Counts by category, grid and month, the handling time in working days, overdue cases,
    the load per handler and satisfaction."""
    c = city.communities[0]
    g1, g2 = city.grids[c]
    gl = city.grid_leader[g1]
    b1, b3 = city.buildings[c][0], city.buildings[c][2]
    clock.set(2026, 10, 20, 9)
    # Aug: repair resolved after 2 working days (Fri 8-7 -> Tue 8-11), satisfaction 5
    a = cgov.cases.report(gl, category="repair", building_code=b1, description="漏水",
                          at=_at(2026, 8, 7, 9))
    cgov.cases.assign(gl, a.id, gl.id, at=_at(2026, 8, 7, 10))
    cgov.cases.resolve(gl, a.id, at=_at(2026, 8, 11, 16))
    cgov.cases.close(city.secretary[c], a.id, satisfaction=5, at=_at(2026, 8, 12, 10))
    # Sep: safety across Mid-Autumn/National Day, resolved late (deadline 9-28) on 10-9
    b = cgov.cases.report(SYSTEM, category="safety", building_code=b3, description="消防通道",
                          at=_at(2026, 9, 25, 9))
    cgov.cases.assign(SYSTEM, b.id, city.staff[c].id, at=_at(2026, 9, 25, 10))
    cgov.cases.resolve(SYSTEM, b.id, at=_at(2026, 10, 9, 11))
    cgov.cases.close(city.secretary[c], b.id, satisfaction=2, at=_at(2026, 10, 9, 15))
    # Sep: an open case past its deadline, assigned to the grid leader
    d = cgov.cases.report(gl, category="sanitation", building_code=b1, description="垃圾",
                          at=_at(2026, 9, 1, 9))
    cgov.cases.assign(gl, d.id, gl.id, at=_at(2026, 9, 1, 10))
    r = cgov.cases.case_report(SYSTEM, year=2026)
    assert r.total == 3
    assert r.by_category == {"repair": 1, "safety": 1, "sanitation": 1}
    assert r.by_grid == {g1: 2, g2: 1}
    assert r.by_month == {"2026-08": 1, "2026-09": 2}
    assert r.resolved == 2
    # 9-25 -> 10-9: 9-28, 9-29, 9-30, 10-8, 10-9 = 5 working days
    assert (r.median_days, r.p90_days) == (3.5, 4.7)
    assert r.overdue == 2 and r.overdue_share == pytest.approx(2 / 3, abs=1e-4)
    assert r.load[gl.id] == {"assigned": 2, "open": 1}
    assert r.load[city.staff[c].id] == {"assigned": 1, "open": 0}
    assert r.satisfaction["rated"] == 2 and r.satisfaction["mean"] == 3.5
    assert r.satisfaction["satisfied_share"] == 0.5
    assert r.by_status == {"closed": 2, "assigned": 1}
    assert cgov.cases.case_report(SYSTEM, start=dt.date(2026, 9, 1),
                                  end=dt.date(2026, 9, 30)).total == 2
    assert cgov.cases.case_report(city.staff[city.communities[2]], year=2026).total == 0
    assert cgov.cases.case_report(gl, year=2026).total == 2  # the grid leader's grid


@pytest.fixture(scope="module")
def seeded() -> Any:
    with community_governance.open("memory://", entrypoints=False) as gov:
        city = build_small_city(gov)
        calls: list[tuple[int, int]] = []
        summary = seed_cases(gov, seed=7, progress=lambda d, t: calls.append((d, t)))
        yield gov, city, summary, calls


def test_demo_year_goes_through_the_services(seeded: Any) -> None:
    """Adds a year of cases in 2019 through the services, every one with a journal that the
    state machine allows, some escalated and most rated."""
    gov, _city, summary, calls = seeded
    assert summary.cases > 5
    assert calls and calls[-1] == (summary.cases, summary.cases)
    with gov.store.unit_of_work(write=False) as uow:
        rows = uow.conn.execute(sa.select(cases.c.reported_at, cases.c.status)).all()
        events = uow.conn.execute(sa.select(case_transitions.c.event)).scalars().all()
    assert len(rows) == summary.cases
    assert all(r.reported_at.year == 2019 for r in rows)
    assert events.count(CaseEvent.REPORT.value) == summary.cases
    assert events.count(CaseEvent.ESCALATE.value) == summary.escalated
    assert events.count(CaseEvent.CLOSE.value) == summary.closed
    r = gov.cases.case_report(SYSTEM, year=2019)
    assert r.total == summary.cases
    assert r.resolved >= summary.cases * 0.9
    assert set(r.by_category) <= {"repair", "sanitation", "property", "care", "dispute",
                                  "safety", "other"}
    assert all(s in {x.value for x in CaseStatus} for s in r.by_status)


def test_demo_is_reproducible_and_needs_the_subdistricts() -> None:
    """Gives the same cases for the same seed, and refuses a city without the sub-districts."""
    outs = []
    for _ in range(2):
        with community_governance.open("memory://", entrypoints=False) as gov:
            build_small_city(gov)
            seed_cases(gov, seed=3, subdistricts=("泰山路",))
            outs.append(sorted((c.id, c.status.value, c.deadline)
                               for c in gov.cases.list_cases(SYSTEM, limit=None)))
            with pytest.raises(NotFound):
                seed_cases(gov, seed=3, subdistricts=("不存在",))
    assert outs[0] == outs[1] and outs[0]
    assert all(cid.startswith("C2019") for cid, _, _ in outs[0])


def test_demo_on_a_bigger_city_escalates_and_rates() -> None:
    """Escalates some overdue cases and records satisfaction on a city of a few hundred
    households."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from bench_cases import build_city  # type: ignore[import-not-found]

    with community_governance.open("memory://", entrypoints=False) as gov:
        build_city(gov, communities=2, grids=2, buildings=5, households=12)
        s = seed_cases(gov, seed=11)
        r = gov.cases.case_report(SYSTEM, year=2019)
    assert s.cases > 60
    assert s.escalated > 0 and r.escalated > 0
    assert 0 < r.overdue_share < 0.5
    assert r.satisfaction["rated"] > s.cases * 0.4
    assert 3.5 < r.satisfaction["mean"] < 5
    assert statistics.mean(r.by_category.values()) > 0
