"""Helpers of the purchase-of-services tests: money in the books, three active bidders under
the place's own rules, a panel, and a tender walked to any step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.funds import credit, debit
from community_governance.domain.orgs import OrgStage
from community_governance.domain.tenders import Deliverable, Instalment
from community_governance.services.tenders import NewLot
from tests.orgs.helpers import advance, assessed_full, incubator

SYSTEM = Actor.system("test")
BIDDERS = ("B1", "B2", "B3")
PRICES = {"B1": "78000", "B2": "72000", "B3": "79500"}
#: quality marks (service plan 30, experience 20, team 20) each member gives each bidder
MARKS = {"B1": {"service_plan": "27", "experience": "18", "team": "17"},
         "B2": {"service_plan": "22", "experience": "14", "team": "15"},
         "B3": {"service_plan": "25", "experience": "16", "team": "18"}}


@attrs.frozen
class Round:
    """A tender walked through by :func:`walk`."""

    project: Any
    tender: Any
    lot_id: int
    bids: dict[str, Any]
    members: tuple[str, ...]


def fund(w: Any, amount: str = "200000", budget: str = "100000") -> None:
    """Money in the community's bank account and a 2019 budget for purchased services."""
    g = w.gov
    g.funds.post(SYSTEM, w.community, [debit("1002", amount), credit("4101", amount)],
                 channel="city_allocation", voucher="BK-2019-01", on=dt.date(2019, 1, 10))
    g.funds.set_budget(SYSTEM, w.community, "5107", 2019, budget)


def bidders(w: Any) -> tuple[str, ...]:
    """Three active organizations that may bid under the place's rules (in 湖滨区 an ungraded
    organization may not bid: each is paid for a purchased service and evaluated first)."""
    incubator(w)
    for oid in BIDDERS:
        advance(w, oid, OrgStage.ACTIVE, name=f"服务社{oid}")
    if w.county == "411202":
        g, c = w.gov, w.community
        g.funds.post(SYSTEM, c, [debit("1002", "100000"), credit("4101", "100000")],
                     channel="city_allocation", voucher="BK-PS", on=dt.date(2019, 2, 20))
        for oid in BIDDERS:
            d = g.funds.request(Actor.system("clerk"), c, "5104", "30000",
                                payee=f"服务社{oid}", purpose="购买服务", on=dt.date(2019, 2, 20))
            for role in d.required_roles:
                g.funds.approve(Actor.system(f"approver-{role.value}"), d.id, as_role=role)
            g.funds.pay(SYSTEM, d.id, voucher=f"ZF-{oid}", on=dt.date(2019, 2, 20))
            g.orgs.evaluate(w.officer, oid, round="2019", evaluators=["甲"],
                            scores=assessed_full(w))
    return BIDDERS


def panel_members(w: Any, n: int = 5) -> tuple[str, ...]:
    """``n`` residents of the small city's last community, untied to the bidders."""
    last = w.city.communities[-1]
    people = [r for hh, rs in w.city.residents.items() if hh.startswith(last) for r in rs]
    return tuple(people[:n])


def project(w: Any, budget: str = "80000") -> Any:
    """A need of the community (老年人日间照料) made a project with its budget reserved."""
    g = w.gov
    g.tenders.raise_need(w.staff, w.community, title="老年人日间照料", category="elderly_day_care",
                         estimate=budget, description="为辖区高龄独居老人提供日间照料",
                         need_id="N1")
    return g.tenders.create_project(w.officer, "N1", budget=budget, year=2019,
                                    community_code=w.community, project_id="P1")


def walk(w: Any, to: str = "awarded", *, budget: str = "80000") -> Round:
    """Fund, seat bidders, publish, bid, open, score and award (as far as ``to``)."""
    fund(w)
    bidders(w)
    g = w.gov
    proj = project(w, budget)
    tender = g.tenders.publish(w.officer, "P1", title="2019年老年人日间照料服务采购",
                               procedure="open", lots=[NewLot("日间照料中心运营", budget)],
                               tender_id="T1")
    lot_id = tender.lots[0].id
    w.clock.set(2019, 3, 5, 10)
    bids = {oid: g.tenders.bid(w.staff, lot_id, oid, price=PRICES[oid],
                               proposal=f"{oid}的服务方案") for oid in BIDDERS}
    members = panel_members(w)
    for m in members:
        g.tenders.seat_panel_member(w.officer, "T1", m, name=f"评审{m}")
    if to == "bids":
        return Round(proj, tender, lot_id, bids, members)
    w.clock.set(*deadline_plus(w, tender, hours=1))
    g.tenders.open_bids(w.officer, "T1")
    if to == "opened":
        return Round(proj, tender, lot_id, bids, members)
    for oid, b in bids.items():
        for m in members:
            g.tenders.score(w.staff, b.id, m, MARKS[oid])
    if to == "scored":
        return Round(proj, tender, lot_id, bids, members)
    g.tenders.award(w.officer, lot_id)
    return Round(proj, g.tenders.tender(w.officer, "T1"), lot_id, bids, members)


def deadline_plus(w: Any, tender: Any, *, hours: int = 0, days: int = 0) -> tuple[int, ...]:
    """The county-time parts of the tender's deadline moved by ``hours`` and ``days``."""
    import pendulum

    at = pendulum.instance(tender.deadline).in_timezone("Asia/Shanghai").add(hours=hours,
                                                                            days=days)
    return (at.year, at.month, at.day, at.hour, at.minute)


TERMS = {
    "deliverables": [Deliverable("q2_report", "第二季度服务报告", dt.date(2019, 6, 30)),
                     Deliverable("q4_report", "年度服务报告", dt.date(2019, 12, 20))],
}


def instalments(total: Decimal) -> list[Instalment]:
    """Two instalments: 40% on the second-quarter report, the rest on the year's report."""
    first = (total * Decimal("0.4")).quantize(Decimal("0.01"))
    return [Instalment(1, first, "q2_report"), Instalment(2, total - first, "q4_report")]


def sign(w: Any, r: Round) -> Any:
    """Sign the awarded lot's contract after its standstill period."""
    lot = w.gov.tenders.lot(w.officer, r.lot_id)
    end = lot.standstill_until + dt.timedelta(days=1)
    w.clock.set(end.year, end.month, end.day, 10)
    win = next(b for b in r.bids.values() if b.id == lot.winner_bid_id)
    price = Decimal(PRICES[win.org_id])
    return w.gov.tenders.sign(w.officer, r.lot_id, start=dt.date(2019, 5, 1),
                              end=dt.date(2019, 12, 31), deliverables=TERMS["deliverables"],
                              instalments=instalments(price), contract_id="C1")


def counts(gov: Any) -> dict[str, int]:
    """Rows of every purchase-of-services and funds table and of the audit trail."""
    from community_governance.storage.tables import core as t
    from community_governance.storage.tables import funds as ft
    from community_governance.storage.tables import funds_reservations as fr
    from community_governance.storage.tables import tenders as tt

    tables = [tt.tender_needs, tt.tender_projects, tt.tender_notices, tt.tender_lots,
              tt.tender_lot_transitions, tt.tender_bids, tt.tender_openings, tt.tender_panel,
              tt.tender_scores, tt.tender_objections, tt.tender_contracts,
              tt.tender_acceptances, tt.tender_payments, tt.tender_performance,
              fr.funds_reservations, fr.funds_reservation_draws, ft.funds_disbursements,
              ft.funds_transactions, t.audit_log]
    with gov.store.unit_of_work(write=False) as uow:
        return {tb.name: int(uow.conn.execute(sa.select(sa.func.count()).select_from(tb))
                             .scalar_one()) for tb in tables}
