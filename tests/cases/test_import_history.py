"""Importing whole case histories (``gov.cases.import_history``): the live rules, one batch."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import community_governance
from community_governance.domain.access import Actor
from community_governance.domain.cases import CaseEvent, CaseStatus
from community_governance.errors import (
    ConflictError,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
)
from community_governance.services.cases import CaseRecord, HistoryStep
from community_governance.storage.tables import core as t
from community_governance.storage.tables.cases import case_transitions, cases
from community_governance.testing.city import SmallCity, build_small_city

SYSTEM = Actor.system("test")
NOW = pendulum.datetime(2026, 9, 25, 9, 0, tz="Asia/Shanghai")
BASE = pendulum.datetime(2026, 9, 1, 9, 0, tz="Asia/Shanghai")
# RESCHEDULE is the calendar job's step (no status change), tested in test_provisional_deadlines
STEPS = [e for e in CaseEvent
         if e not in (CaseEvent.REPORT, CaseEvent.IMPORT, CaseEvent.RESCHEDULE)]


def _open() -> Any:
    return community_governance.open("memory://", entrypoints=False, clock=lambda: NOW)


@pytest.fixture
def store() -> Iterator[tuple[Any, SmallCity]]:
    with _open() as gov:
        yield gov, build_small_city(gov)


def _apply(gov: Any, case_id: str, event: CaseEvent, handler: str, at: Any) -> None:
    if event is CaseEvent.ASSIGN:
        gov.cases.assign(SYSTEM, case_id, handler, at=at)
    elif event is CaseEvent.START:
        gov.cases.start(SYSTEM, case_id, at=at)
    elif event is CaseEvent.RESOLVE:
        gov.cases.resolve(SYSTEM, case_id, note="处理完毕", at=at)
    elif event is CaseEvent.CLOSE:
        gov.cases.close(SYSTEM, case_id, satisfaction=4, at=at)
    elif event is CaseEvent.REOPEN:
        gov.cases.reopen(SYSTEM, case_id, reason="不满意", at=at)
    else:
        gov.cases.escalate(SYSTEM, case_id, reason="需要上级协调", at=at)


def _step(event: CaseEvent, handler: str, at: Any) -> HistoryStep:
    return HistoryStep(event, at, SYSTEM, handler_id=handler if event is CaseEvent.ASSIGN
                       else None,
                       note={CaseEvent.RESOLVE: "处理完毕", CaseEvent.REOPEN: "不满意",
                             CaseEvent.ESCALATE: "需要上级协调"}.get(event, ""),
                       satisfaction=4 if event is CaseEvent.CLOSE else None)


def _stored(gov: Any) -> tuple[list[Any], list[Any]]:
    with gov.store.unit_of_work(write=False) as uow:
        rows = [tuple(r) for r in uow.conn.execute(sa.select(cases).order_by(cases.c.id))]
        steps = [tuple(r)[1:] for r in uow.conn.execute(
            sa.select(case_transitions).order_by(case_transitions.c.case_id,
                                                 case_transitions.c.seq))]
    return rows, steps


@given(st.lists(st.sampled_from(STEPS), max_size=10), st.integers(0, 2))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_import_matches_the_live_operations(events: list[CaseEvent], spacing: int) -> None:
    """Writes exactly the case row and journal the live operations write for the same steps
    (deadlines, levels, handling days, overdue flags included); illegal steps are left out
    of both."""
    with _open() as live, _open() as imported:
        city = build_small_city(live)
        build_small_city(imported)
        c = city.communities[0]
        building = city.buildings[c][0]
        handler = city.secretary[c].id
        live.cases.report(SYSTEM, category="repair", building_code=building,
                          description="单元门坏了", case_id="C1", at=BASE)
        history = [HistoryStep(CaseEvent.REPORT, BASE, SYSTEM)]
        for i, event in enumerate(events, start=1):
            at = BASE.add(days=i * spacing, hours=i)
            try:
                _apply(live, "C1", event, handler, at)
            except InvalidTransition:
                continue
            history.append(_step(event, handler, at))
        got = imported.cases.import_history(SYSTEM, [CaseRecord(
            "C1", "repair", building, "单元门坏了", history)])
        assert got.created == ("C1",)
        assert _stored(imported) == _stored(live)


def _record(city: SmallCity, case_id: str, steps: list[HistoryStep]) -> CaseRecord:
    c = city.communities[0]
    return CaseRecord(case_id, "repair", city.buildings[c][0], "楼道灯不亮", steps)


def _count(gov: Any, table: sa.Table) -> int:
    with gov.store.unit_of_work(write=False) as uow:
        return int(uow.conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_rejects_an_illegal_history_and_writes_nothing(store: tuple[Any, SmallCity]) -> None:
    """Refuses closing a case that was never resolved, and writes none of the batch."""
    gov, city = store
    good = _record(city, "C1", [HistoryStep(CaseEvent.REPORT, BASE, SYSTEM)])
    bad = _record(city, "C2", [HistoryStep(CaseEvent.REPORT, BASE, SYSTEM),
                               HistoryStep(CaseEvent.CLOSE, BASE.add(hours=1), SYSTEM,
                                           satisfaction=5)])
    with pytest.raises(InvalidTransition) as info:
        gov.cases.import_history(SYSTEM, [good, bad])
    assert "C2" in str(info.value) and "steps[1]" in str(info.value)
    assert _count(gov, cases) == 0 and _count(gov, case_transitions) == 0


def test_a_history_starts_with_its_report(store: tuple[Any, SmallCity]) -> None:
    """Refuses a history whose first step is not the report."""
    gov, city = store
    rec = _record(city, "C1", [HistoryStep(CaseEvent.ASSIGN, BASE, SYSTEM, handler_id="x")])
    with pytest.raises(ValidationError) as info:
        gov.cases.import_history(SYSTEM, [rec])
    assert info.value.path == "records[0].steps[0]"


def test_checks_each_step_actors_right(store: tuple[Any, SmallCity]) -> None:
    """Refuses a step by a grid leader of another community, as the live operation does."""
    gov, city = store
    c, other = city.communities[0], city.communities[1]
    outsider = city.grid_leader[city.grids[other][0]]
    rec = _record(city, "C1", [
        HistoryStep(CaseEvent.REPORT, BASE, SYSTEM),
        HistoryStep(CaseEvent.ASSIGN, BASE.add(hours=1), outsider,
                    handler_id=city.secretary[c].id)])
    with pytest.raises(PermissionDenied):
        gov.cases.import_history(SYSTEM, [rec])
    assert _count(gov, cases) == 0


def test_checks_the_importers_right(store: tuple[Any, SmallCity]) -> None:
    """Refuses an importer without case.import (a grid leader)."""
    gov, city = store
    c = city.communities[0]
    rec = _record(city, "C1", [HistoryStep(CaseEvent.REPORT, BASE, SYSTEM)])
    with pytest.raises(PermissionDenied):
        gov.cases.import_history(city.grid_leader[city.grids[c][0]], [rec])


def test_assigns_only_handlers_the_live_rule_accepts(store: tuple[Any, SmallCity]) -> None:
    """Refuses assigning someone who holds no post and is no registered staff member."""
    gov, city = store
    rec = _record(city, "C1", [HistoryStep(CaseEvent.REPORT, BASE, SYSTEM),
                               HistoryStep(CaseEvent.ASSIGN, BASE.add(hours=1), SYSTEM,
                                           handler_id="NOBODY")])
    with pytest.raises(ValidationError) as info:
        gov.cases.import_history(SYSTEM, [rec])
    assert info.value.path == "records[0].steps[1].handler_id"


def test_steps_are_in_order_and_not_in_the_future(store: tuple[Any, SmallCity]) -> None:
    """Refuses a step before the previous one, and one after the store's clock."""
    gov, city = store
    back = _record(city, "C1", [HistoryStep(CaseEvent.REPORT, BASE, SYSTEM),
                                HistoryStep(CaseEvent.ESCALATE, BASE.subtract(hours=1),
                                            SYSTEM, note="x")])
    with pytest.raises(ValidationError) as info:
        gov.cases.import_history(SYSTEM, [back])
    assert info.value.path == "records[0].steps[1].at"
    ahead = _record(city, "C1", [HistoryStep(CaseEvent.REPORT, NOW.add(days=1), SYSTEM)])
    with pytest.raises(ValidationError, match="future"):
        gov.cases.import_history(SYSTEM, [ahead])


def test_overdue_escalation_needs_a_passed_deadline(store: tuple[Any, SmallCity]) -> None:
    """Refuses an 'overdue' escalation before the deadline and flags a late one as overdue,
    with the next level's deadline from the calendar."""
    gov, city = store
    early = _record(city, "C1", [HistoryStep(CaseEvent.REPORT, BASE, SYSTEM),
                                 HistoryStep(CaseEvent.ESCALATE, BASE.add(hours=2), SYSTEM,
                                             note="超期", overdue=True)])
    with pytest.raises(ValidationError) as info:
        gov.cases.import_history(SYSTEM, [early])
    assert info.value.path == "records[0].steps[1].overdue"
    late_at = BASE.add(days=20)
    late = _record(city, "C2", [HistoryStep(CaseEvent.REPORT, BASE, SYSTEM),
                                HistoryStep(CaseEvent.ESCALATE, late_at, SYSTEM,
                                            note="超期", overdue=True)])
    gov.cases.import_history(SYSTEM, [late])
    case = gov.cases.get(SYSTEM, "C2")
    assert case.escalations == 1 and case.status is CaseStatus.REPORTED
    assert case.deadline == gov.cases.deadline_for("repair", case.level, late_at.date())
    with gov.store.unit_of_work(write=False) as uow:
        flagged = uow.conn.execute(sa.select(cases.c.was_overdue)
                                   .where(cases.c.id == "C2")).scalar_one()
    assert flagged is True


def test_audits_the_batch_once_and_refuses_a_second_import(
        store: tuple[Any, SmallCity]) -> None:
    """Writes one audit row naming every case of the batch; importing an id again is a
    conflict."""
    gov, city = store
    recs = [_record(city, f"C{i}", [HistoryStep(CaseEvent.REPORT, BASE, SYSTEM)])
            for i in range(3)]
    assert gov.cases.import_history(SYSTEM, recs).created == ("C0", "C1", "C2")
    with gov.store.unit_of_work(write=False) as uow:
        rows = uow.conn.execute(sa.select(t.audit_log.c.objects).where(
            t.audit_log.c.operation == "cases.import_history")).scalars().all()
    assert len(rows) == 1
    assert json.loads(rows[0]) == ["case:C0", "case:C1", "case:C2"]
    with pytest.raises(ConflictError):
        gov.cases.import_history(SYSTEM, recs[:1])
    assert _count(gov, cases) == 3


@pytest.mark.postgres
def test_import_on_postgresql_equals_sqlite(postgres_url: str, tmp_path: Any) -> None:
    """Writes the same cases and journal on PostgreSQL as on a SQLite file."""
    got = []
    for url in (postgres_url, f"sqlite:///{tmp_path / 'h.db'}"):
        with community_governance.open(url, entrypoints=False, clock=lambda: NOW) as gov:
            city = build_small_city(gov)
            c = city.communities[0]
            steps = [HistoryStep(CaseEvent.REPORT, BASE, SYSTEM),
                     HistoryStep(CaseEvent.ASSIGN, BASE.add(hours=1), SYSTEM,
                                 handler_id=city.secretary[c].id),
                     HistoryStep(CaseEvent.RESOLVE, BASE.add(days=9), SYSTEM, note="好了"),
                     HistoryStep(CaseEvent.CLOSE, BASE.add(days=10), SYSTEM, satisfaction=5)]
            gov.cases.import_history(SYSTEM, [_record(city, "C1", steps)])
            got.append(_stored(gov))
    assert got[0] == got[1] and got[0][0][0][4] == "closed"


def _rights_world(gov: Any, city: SmallCity) -> tuple[list[Actor], list[Any]]:
    """Every kind of step actor of ``city`` and targets across its units, owners included."""
    from community_governance.domain.access import Target

    actors: list[Actor] = [SYSTEM, Actor.public(), city.county_admin]
    for by in (city.secretary, city.director, city.staff, city.grid_leader,
               city.building_leader, city.cadre, city.subdistrict_staff):
        actors.extend(by.values())
    actors.append(Actor.staff("NO-POSTS"))
    some = [r for c in city.communities for b in city.buildings[c][:1]
            for h in city.households[b][:1] for r in city.residents[h][:1]]
    actors.extend(Actor.resident(r) for r in some)
    targets: list[Any] = []
    for c in city.communities:
        for g in city.grids[c]:
            targets.append(Target("case", "C1", unit_code=c, grid_code=g))
            targets.append(Target("case", "C1", unit_code=c, grid_code=None))
        for b in city.buildings[c]:
            for owner in (None, *some[:2]):
                targets.append(Target("case", "C1", unit_code=b, grid_code=city.grids[c][0],
                                      owner_id=owner))
    targets.append(Target("case", "C1", unit_code=city.county))
    return actors, targets


def test_replay_rights_answer_as_the_live_checks(store: tuple[Any, SmallCity]) -> None:
    """The import's remembered scopes grant and refuse exactly as ``op.require`` (the same
    refusal message) and ``can`` do, for every actor, action and target, in any order."""
    from community_governance.domain.access import Principal, can
    from community_governance.services.base import load_posts
    from community_governance.services.cases.common import CASE_CLOSE, CASE_HANDLE, CASE_REPORT
    from community_governance.services.cases.history import _Replay

    gov, city = store
    actors, targets = _rights_world(gov, city)
    with pytest.raises(_Rollback), gov.cases._write(SYSTEM, "cases.import_history") as op:
        handler_ids = sorted({a.id for a in actors if a.kind.value == "staff"})
        posts_of = {h: load_posts(op.uow, h) for h in handler_ids}
        replay = _Replay(gov.cases, op, posts_of, set())
        granted = refused = 0
        for action in (CASE_REPORT, CASE_HANDLE, CASE_CLOSE):
            for target in targets:
                for actor in actors:
                    live = replay._as(actor)
                    try:
                        live.require(action, target)
                        expected = None
                    except PermissionDenied as exc:
                        expected = str(exc)
                    try:
                        replay.require(actor, action, target)
                        got = None
                    except PermissionDenied as exc:
                        got = str(exc)
                    assert got == expected, (actor, action.name, target)
                    granted += got is None
                    refused += got is not None
        assert granted > 100 and refused > 100
        for h in handler_ids:
            principal = Principal.of(Actor.staff(h), posts_of[h], op.today)
            for target in targets:
                for level in (1, 4):
                    registered = bool(posts_of[h])
                    expected_ok = can(principal, CASE_HANDLE, target) or (
                        registered and level == 4)
                    assert replay._handler_ok(h, city.county_admin, level, target) == (
                        expected_ok), (h, target)
        raise _Rollback  # nothing to keep


class _Rollback(Exception):
    pass
