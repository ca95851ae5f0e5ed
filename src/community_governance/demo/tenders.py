"""The demo's purchase of services (政府购买服务): one complete round in the demo year for
elderly day care (老年人日间照料) in a county's first community, with three bidders.

The orgs step leaves one active service organization per county; this step enters two more
already registered with civil affairs (``OrgEvent.REGISTER``, stage ``active``) so three bid.
Then: the need (February), the project with its budget reserved in the funds ledger, the notice
(公开招标, 1 March, 15 working days to bid), three sealed bids, the opening at the deadline, a
panel of five experts scoring, the award and its standstill period, the contract (May to
December, two deliverables, two instalments), each deliverable accepted and its instalment
paid through the funds ledger (account 5107) with the ledger's approvals, and the performance
evaluation in December. Every write is dated on the demo clock.

Where the place's rules let no ungraded organization bid (``cgov_orgs_bid_tier``), the newly
entered organizations cannot bid and the step seeds nothing for that county.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pendulum
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.funds import credit, debit
from community_governance.domain.orgs import OrgKind, OrgStage
from community_governance.domain.tenders import Deliverable, Instalment
from community_governance.services.tenders import NewLot
from community_governance.storage.tables import core as t
from community_governance.storage.tables import orgs as ot

if TYPE_CHECKING:
    from community_governance.facade import Governance

__all__ = ["BUDGET", "seed_tenders"]

#: The project's budget and the lot's ceiling price, CNY.
BUDGET = Decimal("80000")
_WHO = Actor.system("tenders-demo")
_NEW = ("康乐居家养老服务中心", "颐和社工服务站")
_PRICES = (Decimal("78000"), Decimal("72000"), Decimal("79500"))
#: quality marks (service plan 30, experience 20, team 20) of the three bidders, in order
_MARKS = ({"service_plan": 27, "experience": 18, "team": 17},
          {"service_plan": 22, "experience": 14, "team": 15},
          {"service_plan": 25, "experience": 16, "team": 18})


def _first_community(gov: Governance, county: str) -> str | None:
    with gov.store.unit_of_work(write=False) as uow:
        return uow.conn.execute(sa.select(t.units.c.code).where(
            t.units.c.kind == "community", t.units.c.code.startswith(county))
            .order_by(t.units.c.code)).scalars().first()


def _active_service_org(gov: Governance, county: str) -> str | None:
    """The county's first active organization that is not an incubator (the orgs step's)."""
    o = ot.social_orgs
    with gov.store.unit_of_work(write=False) as uow:
        return uow.conn.execute(sa.select(o.c.id).where(
            o.c.community_code.startswith(county), o.c.stage == OrgStage.ACTIVE.value,
            o.c.kind != OrgKind.INCUBATOR.value).order_by(o.c.id)).scalars().first()


def seed_tenders(gov: Governance, *, year: int = 2019, county: str,
                 progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Run one complete purchase-of-services round in ``county``'s first community.

    Returns:
        The keys (need, project, tender, contract), the bidders, the winner and what was
        paid; empty when the county has no community or its rules let none of the bidders bid.
    """
    community = _first_community(gov, county)
    if community is None:
        return {}
    tz = gov.timezone
    clock = {"t": pendulum.datetime(year, 2, 10, 10, tz=tz)}
    g = gov.with_clock(lambda: clock["t"])

    def at(m: int, d: int, h: int = 10) -> None:
        clock["t"] = pendulum.datetime(year, m, d, h, tz=tz)

    if g.orgs.bid_tier(community, None) == 0:
        return {}  # the place's rules let no ungraded organization bid
    key = f"{community}-{year}"
    bidders = [oid for oid in [_active_service_org(gov, county)] if oid]
    for i, name in enumerate(_NEW[:3 - len(bidders)], start=1):
        oid = f"SO-{community}-TB{i}"
        g.orgs.register(_WHO, name=f"{community[-3:]}社区{name}", kind=OrgKind.SERVICE,
                        community_code=community, members=15, org_id=oid,
                        at=pendulum.datetime(year, 2, 10, 10, tz=tz))
        bidders.append(oid)
    if len(bidders) < 3:
        # a third active organization for a county whose orgs step did not run
        oid = f"SO-{community}-TB3"
        g.orgs.register(_WHO, name=f"{community[-3:]}社区夕阳红助老服务社",
                        kind=OrgKind.SERVICE, community_code=community, members=15,
                        org_id=oid, at=pendulum.datetime(year, 2, 10, 10, tz=tz))
        bidders.append(oid)
    if any(not g.orgs.bid_eligibility(_WHO, oid, on=dt.date(year, 3, 1)).eligible
           for oid in bidders):
        return {}
    # money for the project: the city's allocation and the year's budget line 5107
    g.funds.post(_WHO, community, [debit("1002", BUDGET), credit("4101", BUDGET)],
                 channel="city_allocation", voucher=f"BK-{year}-GM", on=dt.date(year, 2, 10),
                 memo="政府购买服务专项资金")
    g.funds.set_budget(_WHO, community, "5107", year, BUDGET)
    tn = g.tenders
    at(2, 20)
    tn.raise_need(_WHO, community, title="老年人日间照料", category="elderly_day_care",
                  estimate=BUDGET, description="为辖区高龄、独居老人提供日间照料、助餐和康复服务",
                  need_id=f"N-{key}")
    at(2, 25)
    project = tn.create_project(_WHO, f"N-{key}", budget=BUDGET, year=year,
                                project_id=f"P-{key}")
    at(3, 1)
    tender = tn.publish(_WHO, project.id, title=f"{year}年老年人日间照料服务采购",
                        procedure="open", lots=[NewLot("社区日间照料中心运营", BUDGET)],
                        tender_id=f"T-{key}")
    lot_id = tender.lots[0].id
    at(3, 12)
    bids = [tn.bid(_WHO, lot_id, oid, price=price, proposal=f"{oid}的日间照料服务方案")
            for oid, price in zip(bidders, _PRICES, strict=True)]
    members = [f"EXP-{county}-{i}" for i in range(1, 6)]
    for i, m in enumerate(members, start=1):
        tn.seat_panel_member(_WHO, tender.id, m, name=f"评审专家{i}")
    if progress is not None:
        progress(1, 4)
    clock["t"] = pendulum.instance(tender.deadline).add(hours=1)
    tn.open_bids(_WHO, tender.id)
    for b, marks in zip(bids, _MARKS, strict=True):
        for m in members:
            tn.score(_WHO, b.id, m, marks)
    tn.award(_WHO, lot_id)
    lot = tn.lot(_WHO, lot_id)
    if progress is not None:
        progress(2, 4)
    assert lot.standstill_until is not None  # set by the award
    after = lot.standstill_until + dt.timedelta(days=1)
    at(after.month, after.day)
    winner = next(b for b in bids if b.id == lot.winner_bid_id)
    price = _PRICES[bids.index(winner)]
    first = (price * Decimal("0.4")).quantize(Decimal("0.01"))
    contract = tn.sign(
        _WHO, lot_id, start=dt.date(year, 5, 1), end=dt.date(year, 12, 31),
        deliverables=[Deliverable("q2_report", "第二季度服务报告", dt.date(year, 6, 30)),
                      Deliverable("year_report", "年度服务报告及满意度测评",
                                  dt.date(year, 12, 20))],
        instalments=[Instalment(1, first, "q2_report"),
                     Instalment(2, price - first, "year_report")],
        contract_id=f"C-{key}")
    if progress is not None:
        progress(3, 4)
    paid = Decimal("0.00")
    steps: tuple[tuple[int, str, int, int], ...] = ((1, "q2_report", 7, 2),
                                                    (2, "year_report", 12, 23))
    for number, code, month, day in steps:
        at(month, day)
        tn.accept(_WHO, contract.id, code, note="验收合格")
        dis = tn.request_payment(_WHO, contract.id, number)
        for role in dis.missing_roles:
            g.funds.approve(Actor.system(f"funds-demo-{role.value}"), dis.id, as_role=role)
        g.funds.pay(_WHO, dis.id, voucher=f"ZF-{year}-GM{number}", on=dt.date(year, month, day + 1))
        paid += dis.amount
    at(12, 28)
    tn.evaluate(_WHO, contract.id, score=90, evaluators=["民政局", "街道办事处", "居民代表"],
                note="服务规范，老人满意度高")
    if progress is not None:
        progress(4, 4)
    return {"community": community, "need": f"N-{key}", "project": project.id,
            "tender": tender.id, "contract": contract.id, "bidders": bidders,
            "winner": winner.org_id, "amount": str(price), "paid": str(paid)}
