"""The service follows the transitions table: any sequence of steps on one organization ends
where the table says, and every refused step writes nothing."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from community_governance.domain.orgs import TRANSITIONS, OrgEvent, OrgStage
from community_governance.errors import InvalidTransition, ValidationError
from tests.orgs.conftest import World
from tests.orgs.helpers import counts, incubator

#: The steps a sequence draws from (each meets its place's requirements when it can).
STEPS = ["incubate", "submit_review", "return", "admit", "standardise", "activate",
         "supervise", "rectify", "suspend", "reinstate", "deregister"]
_IDS = itertools.count()


def _do(w: World, oid: str, step: str) -> Callable[[], Any]:
    o = w.gov.orgs

    def run() -> Any:
        if step == "incubate":
            return o.incubate(w.staff, oid, "INC")
        if step == "return":
            return o.return_to_incubation(w.officer, oid, reason="材料不全")
        if step == "supervise":
            return o.supervise(w.officer, oid, finding="记录不全", days=5)
        if step == "rectify":
            open_ = o.findings(w.officer, org_id=oid, open_only=True)
            if not open_:
                raise InvalidTransition("no open finding")
            return o.rectify(w.staff, open_[0].id, follow_up="已整改")
        if step in ("suspend", "deregister"):
            return getattr(o, step)(w.officer, oid, reason="检查")
        actor = w.staff if step == "submit_review" else w.officer
        return getattr(o, step)(actor, oid)

    return run


def _proposed(world: World) -> str:
    """A new organization proposed in the world's community (an incubator made first)."""
    o = world.gov.orgs
    if not o.list_orgs(world.officer, kind="incubator"):
        incubator(world)
    oid = f"M{next(_IDS)}"
    o.propose(world.staff, name=f"模型{oid}", kind="service", community_code=world.community,
              members=50, org_id=oid)
    return oid


@settings(max_examples=12, deadline=None)
@given(st.lists(st.sampled_from(STEPS), max_size=12))
def test_any_sequence_ends_where_the_table_says(world: World, steps: list[str]) -> None:
    """Applies the steps one by one: each allowed by the table (and the requirements, all met)
    moves the organization as the table says; each refused one raises and writes nothing."""
    import datetime as dt

    o = world.gov.orgs
    oid = _proposed(world)
    o.add_staff(world.staff, oid, name="专职", role="社工", full_time=True,
                joined_on=dt.date(2019, 1, 1))
    stage: OrgStage = OrgStage.PROPOSED
    for step in steps:
        if stage is OrgStage.INCUBATING:  # requirements met before the review and admission
            done = o.progress(world.officer, oid)
            for code in done["milestones"]["missing"]:
                o.milestone(world.staff, oid, code)
            for code in done["documents"]["missing"]:
                o.submit_document(world.staff, oid, code)
        if stage is OrgStage.ADMITTED:
            for code in o.progress(world.officer, oid)["checklist"]["missing"]:
                o.check_item(world.staff, oid, code)
        open_findings = len(o.findings(world.officer, org_id=oid, open_only=True))
        event = {"return": OrgEvent.RETURN}.get(step) or OrgEvent(step)
        if step == "rectify":
            event = OrgEvent.RECTIFY if open_findings > 1 else OrgEvent.CLEAR
        allowed = (stage, event) in TRANSITIONS
        if step == "rectify" and not open_findings:
            allowed = False
        if step == "reinstate" and open_findings:
            allowed = False
        before = counts(world.gov)
        try:
            _do(world, oid, step)()
        except (InvalidTransition, ValidationError):
            assert not allowed, (stage, step)
            assert before == counts(world.gov)
            continue
        assert allowed, (stage, step)
        stage = TRANSITIONS[(stage, event)]
        assert stage == o.get(world.officer, oid).stage
    history = o.history(world.officer, oid)
    assert [h.seq for h in history] == list(range(1, len(history) + 1))
    assert history[-1].to_stage == stage


def test_a_step_is_dated_now_or_in_order_and_never_beyond_the_calendar(world: World) -> None:
    """``at=`` of an organization's step: before its previous step, in the future, naive or
    with no UTC form (year 1 east of Greenwich) is a ValidationError at ``at`` naming the
    organization; the organization stays where it was."""
    import datetime as dt

    import pendulum
    import pytest

    o = world.gov.orgs
    oid = _proposed(world)
    before = o.get(world.officer, oid)
    now = world.clock()
    for at, says in ((now.subtract(days=400), "before the organization's previous step"),
                     (now.add(days=2), "lies in the future"),
                     (dt.datetime(2019, 5, 1, 9), "timezone-aware"),
                     (pendulum.datetime(1, 1, 1, 3, tz="Asia/Shanghai"), "outside the times")):
        with pytest.raises(ValidationError, match=says) as err:
            o.incubate(world.staff, oid, "INC", at=at)
        assert err.value.path == "at"
    assert o.get(world.officer, oid).stage == before.stage == OrgStage.PROPOSED
