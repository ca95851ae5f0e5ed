"""Concurrent transitions of one organization: exactly one wins, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path
from typing import Any

import pendulum
import pytest

import community_governance
from community_governance.domain.access import Actor
from community_governance.domain.orgs import OrgStage
from community_governance.errors import ConflictError, InvalidTransition, ValidationError
from community_governance.testing.city import build_small_city

SYSTEM = Actor.system("test")
ALLOWED = {"ok", "InvalidTransition", "ConflictError", "ValidationError"}


def _clock() -> pendulum.DateTime:
    return pendulum.datetime(2019, 3, 1, 9, tz="Asia/Shanghai")


def _act(url: str, org_id: str, what: str, n: int, barrier: Any, out: Any) -> None:
    with community_governance.open(url, entrypoints=False, clock=_clock) as gov:
        barrier.wait(timeout=30)
        try:
            if what == "admit":
                gov.orgs.admit(SYSTEM, org_id)
            elif what == "suspend":
                gov.orgs.suspend(SYSTEM, org_id, reason=f"race {n}")
            else:
                gov.orgs.evaluate(SYSTEM, org_id, round="2019", evaluators=[f"专家{n}"],
                                  scores={"basics": 100, "governance": 300, "reputation": 200})
            out.put("ok")
        except (InvalidTransition, ConflictError, ValidationError) as exc:
            out.put(type(exc).__name__)
        except Exception as exc:  # reported to the parent
            out.put(repr(exc))


def _run(url: str, org_id: str, whats: list[str]) -> list[str]:
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(len(whats))
    out = ctx.Queue()
    procs = [ctx.Process(target=_act, args=(url, org_id, w, i, barrier, out))
             for i, w in enumerate(whats)]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert set(results) <= ALLOWED, results
    return results


def _walk(gov: Any, c: str, org_id: str, to: OrgStage) -> None:
    o = gov.orgs
    o.propose(SYSTEM, name=f"服务队{org_id}", kind="service", community_code=c, members=20,
              org_id=org_id)
    o.incubate(SYSTEM, org_id, "INC")
    for m in o.milestones(c, "service"):
        o.milestone(SYSTEM, org_id, m.code)
    o.submit_review(SYSTEM, org_id)
    for d in o.admission(c, "service").documents:
        o.submit_document(SYSTEM, org_id, d.code)
    if to is OrgStage.UNDER_REVIEW:
        return
    o.admit(SYSTEM, org_id)
    for item in o.checklist(c, "service"):
        o.check_item(SYSTEM, org_id, item.code)
    o.standardise(SYSTEM, org_id)
    o.activate(SYSTEM, org_id)


def _race(url: str) -> None:
    with community_governance.open(url, entrypoints=False, clock=_clock) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        gov.orgs.register(SYSTEM, name="孵化中心", kind="incubator", community_code=c,
                          org_id="INC")
        _walk(gov, c, "R1", OrgStage.UNDER_REVIEW)
        _walk(gov, c, "R2", OrgStage.ACTIVE)
        _walk(gov, c, "R3", OrgStage.ACTIVE)
    # four officers admit one organization at once: one wins
    assert 1 == _run(url, "R1", ["admit"] * 4).count("ok")
    # four suspend another at once: one wins, the others find it suspended
    assert 1 == _run(url, "R2", ["suspend"] * 4).count("ok")
    # four evaluate a third at once: one evaluation, the others refused (raced or too early)
    assert 1 == _run(url, "R3", ["evaluate"] * 4).count("ok")
    with community_governance.open(url, entrypoints=False, clock=_clock) as gov:
        h1 = gov.orgs.history(SYSTEM, "R1")
        h2 = gov.orgs.history(SYSTEM, "R2")
        evs = gov.orgs.evaluations(SYSTEM, org_id="R3")
        assert OrgStage.ADMITTED == gov.orgs.get(SYSTEM, "R1").stage
        assert OrgStage.SUSPENDED == gov.orgs.get(SYSTEM, "R2").stage
    assert [h.seq for h in h1] == list(range(1, len(h1) + 1))
    assert 1 == sum(h.event.value == "admit" for h in h1)
    assert 1 == sum(h.event.value == "suspend" for h in h2)
    assert 1 == len(evs)


def test_racing_transitions_on_sqlite(tmp_path: Path) -> None:
    """Four processes admitting, suspending or evaluating one organization: exactly one wins
    each time, and the journal stays gapless, on SQLite."""
    _race(f"sqlite:///{tmp_path / 'race.db'}")


@pytest.mark.postgres
def test_racing_transitions_on_postgresql(postgres_url: str) -> None:
    """Four processes admitting, suspending or evaluating one organization: exactly one wins
    each time, and the journal stays gapless, on PostgreSQL."""
    _race(postgres_url)
