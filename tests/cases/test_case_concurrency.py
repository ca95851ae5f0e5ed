"""Cases under concurrency and on PostgreSQL: one of two racing transitions wins."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path
from typing import Any

import pendulum
import pytest

import community_governance
from community_governance.domain.access import Actor
from community_governance.domain.cases import CaseStatus, RouteLevel
from community_governance.errors import ConflictError, InvalidTransition
from community_governance.testing.city import build_small_city

SYSTEM = Actor.system("test")


def _clock() -> pendulum.DateTime:
    return pendulum.datetime(2026, 9, 25, 9, tz="Asia/Shanghai")


def _act(url: str, case_id: str, what: str, barrier: Any, out: Any) -> None:
    with community_governance.open(url, entrypoints=False, clock=_clock) as gov:
        barrier.wait(timeout=30)
        try:
            if what == "resolve":
                gov.cases.resolve(SYSTEM, case_id, note="done")
            else:
                gov.cases.escalate(SYSTEM, case_id, reason="race")
            out.put("ok")
        except (InvalidTransition, ConflictError) as exc:
            out.put(type(exc).__name__)
        except Exception as exc:  # reported to the parent
            out.put(repr(exc))


def _run(url: str, case_id: str, whats: list[str]) -> list[str]:
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(len(whats))
    out = ctx.Queue()
    procs = [ctx.Process(target=_act, args=(url, case_id, w, barrier, out)) for w in whats]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert set(results) <= {"ok", "InvalidTransition", "ConflictError"}, results
    return results


def _race(url: str) -> None:
    with community_governance.open(url, entrypoints=False, clock=_clock) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        one = gov.cases.report(SYSTEM, category="repair", building_code=city.buildings[c][0],
                               description="门禁坏了")
        gov.cases.assign(SYSTEM, one.id, city.staff[c].id)
        two = gov.cases.report(SYSTEM, category="repair", building_code=city.buildings[c][1],
                               description="屋顶漏水")
    # six handlers resolve one case at once: one wins, the others see it resolved
    assert _run(url, one.id, ["resolve"] * 6).count("ok") == 1
    # six escalate another at once: it climbs the three levels above the grid, no further
    assert _run(url, two.id, ["escalate"] * 6).count("ok") == 3
    with community_governance.open(url, entrypoints=False, clock=_clock) as gov:
        h1 = gov.cases.history(SYSTEM, one.id)
        h2 = gov.cases.history(SYSTEM, two.id)
        assert gov.cases.get(SYSTEM, one.id).status is CaseStatus.RESOLVED
        top = gov.cases.get(SYSTEM, two.id)
        report = gov.verify()  # each case's transitions chain to its head, no fork
    assert report.ok, report.breaks
    assert report.rows["case_transitions"] == 7
    assert [h.seq for h in h1] == [1, 2, 3]
    assert [h.seq for h in h2] == [1, 2, 3, 4]
    assert [h.level for h in h2] == list(RouteLevel)
    assert (top.level, top.escalations) == (RouteLevel.COUNTY, 3)


def test_racing_transitions_on_sqlite(tmp_path: Path) -> None:
    """Lets one of six processes resolving a case win, and six escalating one climb exactly
    the three levels, on SQLite, with gapless journals."""
    _race(f"sqlite:///{tmp_path / 'race.db'}")


@pytest.mark.postgres
def test_racing_transitions_on_postgresql(postgres_url: str) -> None:
    """Lets one of six processes resolving a case win, and six escalating one climb exactly
    the three levels, on PostgreSQL, with gapless journals."""
    _race(postgres_url)


@pytest.mark.postgres
def test_lifecycle_escalation_and_report_on_postgresql(postgres_url: str) -> None:
    """Runs report, escalation of overdue cases and the case report on PostgreSQL."""
    now = {"t": _clock()}
    with community_governance.open(postgres_url, entrypoints=False,
                                   clock=lambda: now["t"]) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        gl = city.grid_leader[city.grids[c][0]]
        late = gov.cases.report(gl, category="safety", building_code=city.buildings[c][0],
                                description="楼道堆物")
        ok = gov.cases.report(gl, category="repair", building_code=city.buildings[c][0],
                              description="灯坏")
        gov.cases.assign(gl, ok.id, gl.id)
        gov.cases.resolve(gl, ok.id)
        gov.cases.close(city.secretary[c], ok.id, satisfaction=4)
        now["t"] = pendulum.datetime(2026, 9, 29, 18, tz="Asia/Shanghai")
        assert gov.cases.escalate_overdue(SYSTEM).ids == [late.id]
        r = gov.cases.case_report(SYSTEM, year=2026)
        assert (r.total, r.resolved, r.escalated, r.overdue) == (2, 1, 1, 1)
        assert r.by_month == {"2026-09": 2}
        assert len(gov.cases.export_open311(SYSTEM)) == 2
