"""The case lifecycle as a state machine: every legal step is recorded, no illegal one is."""

from __future__ import annotations

import itertools
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

import community_governance
from community_governance.domain.access import Actor
from community_governance.domain.cases import (
    TRANSITIONS,
    CaseEvent,
    CaseStatus,
    RouteLevel,
    allowed_events,
    next_status,
)
from community_governance.errors import InvalidTransition
from community_governance.storage.tables.cases import case_transitions
from community_governance.testing.city import build_small_city

SYSTEM = Actor.system("test")
# RESCHEDULE is the calendar job's step (no status change), tested in test_provisional_deadlines
STEPS = [e for e in CaseEvent
         if e not in (CaseEvent.REPORT, CaseEvent.IMPORT, CaseEvent.RESCHEDULE)]

def _JUNE() -> pendulum.DateTime:
    """A fixed "now" well inside a year whose official calendar is known."""
    return pendulum.datetime(2026, 6, 15, 9, tz="Asia/Shanghai")


@pytest.mark.parametrize(("status", "event"), list(itertools.product(
    [None, *CaseStatus], list(CaseEvent))))
def test_next_status_follows_the_table_exactly(status: CaseStatus | None,
                                               event: CaseEvent) -> None:
    """Allows exactly the pairs of the transition table and refuses every other one."""
    if (status, event) in TRANSITIONS:
        assert next_status(status, event) is TRANSITIONS[(status, event)]
        assert event in allowed_events(status)
    else:
        with pytest.raises(InvalidTransition) as info:
            next_status(status, event)
        assert event.value in str(info.value)


def test_closed_cases_only_reopen() -> None:
    """Lets a closed case only be reopened, and a reported one not be resolved directly."""
    assert allowed_events(CaseStatus.CLOSED) == [CaseEvent.REOPEN]
    assert CaseEvent.RESOLVE not in allowed_events(CaseStatus.REPORTED)


def _apply(gov: Any, case_id: str, event: CaseEvent, handler: str) -> Any:
    if event is CaseEvent.ASSIGN:
        return gov.cases.assign(SYSTEM, case_id, handler)
    if event is CaseEvent.START:
        return gov.cases.start(SYSTEM, case_id)
    if event is CaseEvent.RESOLVE:
        return gov.cases.resolve(SYSTEM, case_id, note="处理完毕")
    if event is CaseEvent.CLOSE:
        return gov.cases.close(SYSTEM, case_id, satisfaction=4)
    if event is CaseEvent.REOPEN:
        return gov.cases.reopen(SYSTEM, case_id, reason="不满意")
    return gov.cases.escalate(SYSTEM, case_id, reason="需要上级协调")


@given(st.lists(st.sampled_from(STEPS), max_size=14))
@settings(max_examples=40)
def test_service_allows_only_legal_transitions(events: list[CaseEvent]) -> None:
    """Applies random event sequences: legal ones change the status as the table says and add
    one journal row each; illegal ones raise InvalidTransition and change nothing."""
    with community_governance.open("memory://", entrypoints=False, clock=_JUNE) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        case = gov.cases.report(SYSTEM, category="repair", building_code=city.buildings[c][0],
                                description="单元门坏了")
        handler = city.secretary[c].id
        status, level, journal = CaseStatus.REPORTED, RouteLevel.GRID, 1
        for event in events:
            legal = (status, event) in TRANSITIONS and not (
                event is CaseEvent.ESCALATE and level is RouteLevel.COUNTY)
            if legal:
                case = _apply(gov, case.id, event, handler)
                status = TRANSITIONS[(status, event)]
                journal += 1
                if event is CaseEvent.ESCALATE:
                    level = RouteLevel(level + 1)
            else:
                with pytest.raises(InvalidTransition):
                    _apply(gov, case.id, event, handler)
            now = gov.cases.get(SYSTEM, case.id)
            assert now.status is status
            assert now.level is level
        history = gov.cases.history(SYSTEM, case.id)
        assert len(history) == journal
        assert [h.seq for h in history] == list(range(1, journal + 1))
        for before, after in itertools.pairwise(history):
            assert after.from_status is before.to_status
            assert next_status(before.to_status, after.event) is after.to_status


def test_every_transition_records_actor_and_time(city: Any, cgov: Any, clock: Any) -> None:
    """Records who made each step and when."""
    c = city.communities[0]
    gl = city.grid_leader[city.grids[c][0]]
    case = cgov.cases.report(gl, category="repair", building_code=city.buildings[c][0],
                             description="路灯坏了")
    clock.set(2026, 9, 25, 10, 30)
    cgov.cases.assign(city.staff[c], case.id, gl.id)
    clock.set(2026, 9, 25, 15, 0)
    cgov.cases.resolve(gl, case.id, note="已修复")
    hist = cgov.cases.history(SYSTEM, case.id)
    assert [(h.event, h.actor) for h in hist] == [
        (CaseEvent.REPORT, str(gl)), (CaseEvent.ASSIGN, str(city.staff[c])),
        (CaseEvent.RESOLVE, str(gl))]
    assert [h.at.hour for h in hist] == [1, 2, 7]  # UTC
    assert hist[-1].note == "已修复"


def test_transition_journal_is_append_only(sqlite_gov: Any) -> None:
    """Refuses UPDATE and DELETE of recorded transitions in the database itself."""
    city = build_small_city(sqlite_gov)
    c = city.communities[0]
    case = sqlite_gov.cases.report(SYSTEM, category="other", building_code=city.buildings[c][0],
                                   description="咨询", at=_JUNE())
    engine = sqlite_gov.store.engine
    for stmt in (case_transitions.update().values(note="x"), case_transitions.delete()):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(stmt)
    assert len(sqlite_gov.cases.history(SYSTEM, case.id)) == 1


def test_steps_out_of_order_in_time_are_refused(city: Any, cgov: Any) -> None:
    """Refuses a step dated before the case's previous step, and one in the future."""
    import pendulum

    from community_governance.errors import ValidationError

    c = city.communities[0]
    case = cgov.cases.report(SYSTEM, category="other", building_code=city.buildings[c][0],
                             description="咨询")
    with pytest.raises(ValidationError, match="before the case's previous step"):
        cgov.cases.assign(SYSTEM, case.id, city.staff[c].id,
                          at=pendulum.datetime(2026, 9, 24, tz="Asia/Shanghai"))
    with pytest.raises(ValidationError, match="future"):
        cgov.cases.assign(SYSTEM, case.id, city.staff[c].id,
                          at=pendulum.datetime(2026, 9, 26, tz="Asia/Shanghai"))
    assert len(cgov.cases.history(SYSTEM, case.id)) == 1
