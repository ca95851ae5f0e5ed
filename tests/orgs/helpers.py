"""Helpers of the social-organization tests: walking an organization through the lifecycle
with the place's own rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from community_governance.domain.orgs import OrgStage

#: how far ``advance`` takes an organization, in order
ORDER = [OrgStage.PROPOSED, OrgStage.INCUBATING, OrgStage.UNDER_REVIEW, OrgStage.ADMITTED,
         OrgStage.STANDARDISED, OrgStage.ACTIVE]


def incubator(w: Any, org_id: str = "INC") -> str:
    """Register an active incubator in the world's community."""
    w.gov.orgs.register(w.officer, name="社会组织孵化中心", kind="incubator",
                        community_code=w.community, org_id=org_id)
    return org_id


def advance(w: Any, org_id: str, to: OrgStage, *, incubator_id: str = "INC",
            members: int = 20, name: str | None = None) -> Any:
    """Propose ``org_id`` and walk it to ``to`` with everything its place requires."""
    o = w.gov.orgs
    o.propose(w.staff, name=name or f"服务队{org_id}", kind="service",
              community_code=w.community, members=members, org_id=org_id)
    steps = ORDER[1:ORDER.index(to) + 1]
    for stage in steps:
        if stage is OrgStage.INCUBATING:
            o.incubate(w.staff, org_id, incubator_id)
        elif stage is OrgStage.UNDER_REVIEW:
            for m in o.milestones(w.community, "service"):
                o.milestone(w.staff, org_id, m.code)
            o.submit_review(w.staff, org_id)
        elif stage is OrgStage.ADMITTED:
            rules = o.admission(w.community, "service")
            for d in rules.documents:
                o.submit_document(w.staff, org_id, d.code)
            for i in range(rules.min_full_time_staff):
                o.add_staff(w.staff, org_id, name=f"专职{i}", role="社工", full_time=True,
                            joined_on=dt.date(2019, 1, 1))
            o.admit(w.officer, org_id)
        elif stage is OrgStage.STANDARDISED:
            for item in o.checklist(w.community, "service"):
                o.check_item(w.staff, org_id, item.code)
            o.standardise(w.officer, org_id)
        elif stage is OrgStage.ACTIVE:
            o.activate(w.officer, org_id)
    return o.get(w.officer, org_id)


def assessed_full(w: Any) -> dict[str, int]:
    """Full marks on every assessed indicator of the world's place."""
    return {i.code: i.weight for i in w.gov.orgs.indicators(w.community, "service")
            if not i.source.from_records}


def counts(gov: Any) -> dict[str, int]:
    """Rows of every social-organization table and of the audit trail (to show nothing was
    written)."""
    from community_governance.storage.tables import core as t
    from community_governance.storage.tables import orgs as ot

    tables = [ot.social_orgs, ot.social_org_transitions, ot.social_org_records,
              ot.social_org_evaluations, ot.social_org_findings, ot.social_org_staff,
              ot.social_org_trainings, t.audit_log]
    with gov.store.unit_of_work(write=False) as uow:
        return {tb.name: int(uow.conn.execute(sa.select(sa.func.count()).select_from(tb))
                             .scalar_one()) for tb in tables}
