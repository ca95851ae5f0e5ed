"""Seed a county's social organizations (社会组织): few and weak, as the study says.

One professional incubator (社会组织孵化基地) is registered in 2017; a handful of community
groups go through the lifecycle as far as each got by the end of the demo year: two are
active and evaluated in the year's round (the evaluation evidence drawn from their volunteer
teams' records where the volunteering step ran), one of them under supervision for a finding,
one standardised, one admitted, one under review, one incubating and one only proposed. Every
step goes through ``gov.orgs`` with the county's own rules (milestones, documents, checklist,
indicators and thresholds from its plugin), back-dated to when it happened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import pendulum
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.orgs import OrgKind, OrgStage
from community_governance.domain.units import UnitKind
from community_governance.storage.tables import core as t
from community_governance.storage.tables import points as pt

if TYPE_CHECKING:
    from community_governance.facade import Governance  # the demo is a caller of the façade

__all__ = ["DemoOrg", "seed_orgs"]

ORDER = (OrgStage.PROPOSED, OrgStage.INCUBATING, OrgStage.UNDER_REVIEW, OrgStage.ADMITTED,
         OrgStage.STANDARDISED, OrgStage.ACTIVE)


@attrs.frozen
class DemoOrg:
    """One organization of the demo: what it is and how far it got.

    Attributes:
        suffix: its name after the community's, e.g. ``夕阳红助老服务社``.
        kind: its kind.
        stage: the stage it reaches by the end of the year.
        proposed: the month it was proposed (``(year offset, month)`` from the demo year).
        members: its members.
        scores: the evaluators' marks in the year's round (active ones only), as shares of
            each assessed indicator's weight: (basics, governance, reputation, others) in
            per mille.
        finding: a supervision finding raised after the round, if any.
    """

    suffix: str
    kind: OrgKind
    stage: OrgStage
    proposed: tuple[int, int]
    members: int
    scores: tuple[int, int, int, int] | None = None
    finding: str | None = None


#: The demo's organizations, in the order the communities are taken.
DEMO_ORGS: tuple[DemoOrg, ...] = (
    DemoOrg("夕阳红助老服务社", OrgKind.SERVICE, OrgStage.ACTIVE, (-2, 4), 36,
            (900, 900, 900, 800)),
    DemoOrg("邻里互助会", OrgKind.MUTUAL_AID, OrgStage.ACTIVE, (-2, 9), 24, (700, 670, 750, 600),
            finding="财务收支未建立台账，活动记录不全；建立收支台账并补齐活动记录"),
    DemoOrg("四点半课堂", OrgKind.CHARITY, OrgStage.STANDARDISED, (-1, 3), 15),
    DemoOrg("文体协会", OrgKind.CULTURE, OrgStage.ADMITTED, (-1, 8), 40),
    DemoOrg("社工服务站", OrgKind.SOCIAL_WORK, OrgStage.UNDER_REVIEW, (0, 2), 12),
    DemoOrg("垃圾分类宣传队", OrgKind.SERVICE, OrgStage.INCUBATING, (0, 5), 18),
    DemoOrg("家政服务合作社", OrgKind.SERVICE, OrgStage.PROPOSED, (0, 11), 9),
)


def _communities(gov: Governance, county: str) -> list[str]:
    with gov.store.unit_of_work(write=False) as uow:
        return list(uow.conn.execute(sa.select(t.units.c.code).where(
            t.units.c.kind == UnitKind.COMMUNITY.value,
            t.units.c.code.startswith(county)).order_by(t.units.c.code)).scalars())


def _volunteer_team(gov: Governance, community: str) -> str | None:
    """The community's first volunteer team, if the volunteering step made one."""
    with gov.store.unit_of_work(write=False) as uow:
        return uow.conn.execute(sa.select(pt.volunteer_orgs.c.id).where(
            pt.volunteer_orgs.c.unit_code == community).order_by(pt.volunteer_orgs.c.id)
        ).scalars().first()


def seed_orgs(gov: Governance, *, year: int = 2019, county: str, county_name: str = "",
              progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Seed one incubator and :data:`DEMO_ORGS` in ``county``, the year's evaluation round and
    a supervision finding; the steps are dated from two years before ``year`` to its end.

    Returns:
        The keys of the organizations by stage, the evaluations and the finding.
    """
    who = Actor.system("demo")
    communities = _communities(gov, county)
    if not communities:
        return {}
    tz = gov.timezone
    end = pendulum.datetime(year, 12, 31, 18, tz=tz)
    o = gov.with_clock(lambda: end).orgs  # "now" is the end of the demo year

    def at(y: int, m: int, d: int = 10) -> pendulum.DateTime:
        return pendulum.datetime(y, m, d, 10, tz=tz)

    incubator = f"SO-{county}-INC"
    o.register(who, name=f"{county_name or county}社会组织孵化基地", kind=OrgKind.INCUBATOR,
               community_code=communities[0], org_id=incubator, at=at(year - 2, 3, 1))
    out: dict[str, Any] = {"incubator": incubator, "orgs": {}, "evaluations": [],
                           "finding": None}
    for i, spec in enumerate(DEMO_ORGS):
        c = communities[i % len(communities)]
        oid = f"SO-{c}-{i + 1:02d}"
        y, m = year + spec.proposed[0], spec.proposed[1]
        when = at(y, m, 5)
        team = _volunteer_team(gov, c) if spec.stage is OrgStage.ACTIVE else None
        o.propose(who, name=f"{c[-3:]}社区{spec.suffix}", kind=spec.kind, community_code=c,
                  members=spec.members, volunteer_org_id=team, org_id=oid, at=when)
        _walk(o, who, oid, c, spec, when)
        out["orgs"][oid] = spec.stage.value
        if progress is not None:
            progress(i + 1, len(DEMO_ORGS))
    for i, spec in enumerate(DEMO_ORGS):
        if spec.scores is None:
            continue
        oid = f"SO-{communities[i % len(communities)]}-{i + 1:02d}"
        c = communities[i % len(communities)]
        share = dict(zip(("basics", "governance", "reputation"), spec.scores, strict=False))
        scores = {ind.code: ind.weight * share.get(ind.code, spec.scores[3]) // 1000
                  for ind in o.indicators(c, spec.kind) if not ind.source.from_records}
        ev = o.evaluate(who, oid, round=str(year), evaluators=["民政局评估专家组"],
                        scores=scores, period_start=dt.date(year, 1, 1),
                        period_end=dt.date(year, 12, 10), at=at(year, 12, 12))
        out["evaluations"].append((oid, str(ev.score), ev.grade.value if ev.grade else None))
        if spec.finding:
            f = o.supervise(who, oid, finding=spec.finding, days=15, at=at(year, 12, 20))
            out["finding"] = f.id
    return out


def _walk(o: Any, who: Actor, oid: str, c: str, spec: DemoOrg,
          start: pendulum.DateTime) -> None:
    """Take ``oid`` from proposed to ``spec.stage``, a month or two a step."""
    when = start
    for stage in ORDER[1:ORDER.index(spec.stage) + 1]:
        when = when.add(months=2)
        if stage is OrgStage.INCUBATING:
            o.incubate(who, oid, f"SO-{c[:6]}-INC", at=when)
        elif stage is OrgStage.UNDER_REVIEW:
            for ms in o.milestones(c, spec.kind):
                o.milestone(who, oid, ms.code, at=when)
            o.submit_review(who, oid, at=when)
        elif stage is OrgStage.ADMITTED:
            rules = o.admission(c, spec.kind)
            for doc in rules.documents:
                o.submit_document(who, oid, doc.code, at=when)
            o.add_staff(who, oid, name="王负责人", role="负责人", full_time=True,
                        from_university=True, joined_on=when.date())
            o.add_staff(who, oid, name="李社工", role="社工", full_time=False,
                        joined_on=when.date())
            o.admit(who, oid, at=when)
        elif stage is OrgStage.STANDARDISED:
            for item in o.checklist(c, spec.kind):
                o.check_item(who, oid, item.code, at=when)
            o.standardise(who, oid, at=when)
        elif stage is OrgStage.ACTIVE:
            o.activate(who, oid, at=when)
