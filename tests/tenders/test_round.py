"""A purchase-of-services round end to end, and every refusal of issue #15 (nothing written),
in Yima and in 湖滨区 under each place's own rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.orgs import OrgStage
from community_governance.domain.tenders import LotStatus
from community_governance.errors import (
    ConflictError,
    InsufficientBalance,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
)
from community_governance.services.tenders import NewLot
from tests.orgs.conftest import World
from tests.orgs.helpers import advance
from tests.tenders.helpers import (
    MARKS,
    PRICES,
    SYSTEM,
    counts,
    deadline_plus,
    fund,
    sign,
    walk,
)


def _approve_and_pay(w: World, disbursement_id: int, voucher: str, on: dt.date) -> None:
    d = w.gov.funds.disbursement(SYSTEM, disbursement_id)
    for role in d.required_roles:
        w.gov.funds.approve(Actor.system(f"approver-{role.value}"), d.id, as_role=role)
    w.gov.funds.pay(SYSTEM, d.id, voucher=voucher, on=on)


class TestTheRound:
    def test_a_round_from_need_to_performance(self, world: World) -> None:
        """Need → project (budget reserved) → notice → sealed bids → opening → scores →
        award (standstill) → contract → acceptance → payments through the funds ledger →
        performance evaluation, which the organization's own evaluation then reads."""
        w, g = world, world.gov
        r = walk(w, "awarded")
        lot = g.tenders.lot(w.officer, r.lot_id)
        ranking = g.tenders.ranking(w.staff, r.lot_id)
        assert "B1" == ranking[0].org_id  # best plan beats the lowest price (B2)
        assert Decimal("30.00") == next(x for x in ranking if x.org_id == "B2").price_score
        assert lot.winner_bid_id == r.bids["B1"].id and lot.status is LotStatus.AWARDED
        cal = g.tenders.calendar(w.community)
        assert lot.standstill_until == cal.add_working_days(lot.awarded_on, 7)
        tender = g.tenders.tender(w.officer, "T1")
        assert cal.add_working_days(tender.published_on, 15) == tender.deadline.astimezone(
            dt.timezone(dt.timedelta(hours=8))).date()
        contract = sign(w, r)
        assert (Decimal("78000.00"), "服务社B1") == (contract.amount, contract.org_name)
        # acceptance, then the first instalment through the funds ledger
        w.clock.set(2019, 7, 2, 10)
        g.tenders.accept(w.staff, "C1", "q2_report", note="验收合格")
        d1 = g.tenders.request_payment(w.staff, "C1", 1, on=dt.date(2019, 7, 2))
        assert (Decimal("31200.00"), "服务社B1", "5107") == (d1.amount, d1.payee, d1.account)
        _approve_and_pay(w, d1.id, "ZF-C1-1", dt.date(2019, 7, 3))
        w.clock.set(2019, 12, 23, 10)
        g.tenders.accept(w.staff, "C1", "q4_report")
        d2 = g.tenders.request_payment(w.staff, "C1", 2, on=dt.date(2019, 12, 23))
        _approve_and_pay(w, d2.id, "ZF-C1-2", dt.date(2019, 12, 24))
        assert ["paid", "paid"] == [p.state for p in g.tenders.payments(w.staff, "C1")]
        res = g.funds.reservation(SYSTEM, r.project.reservation_id)
        assert (Decimal("78000.00"), Decimal("78000.00")) == (res.drawn, res.paid)
        ev = g.tenders.evaluate(w.officer, "C1", score=92, evaluators=["民政局"])
        assert 92 == ev.score
        evidence = g.orgs.evidence(w.officer, "B1", start=dt.date(2019, 1, 1),
                                   end=dt.date(2019, 12, 31))
        assert Decimal("92.0") == evidence["performance"]
        assert Decimal("78000") <= evidence["funds"]
        if w.county == "411281":  # the national indicators score it (25 points at 90)
            got = g.orgs.evaluate(w.officer, "B1", round="2019", evaluators=["甲"],
                                  scores={"basics": 80, "governance": 250, "reputation": 150})
            line = next(x for x in got.lines if x.code == "performance")
            assert (Decimal("92.0"), Decimal("25.0")) == (line.evidence, line.score)
        closed = g.tenders.close_project(w.officer, "P1")
        assert "closed" == closed.status
        assert "released" == g.funds.reservation(SYSTEM, r.project.reservation_id).state
        # the payments show in the community's funds disclosure (account 5107)
        disc = g.funds.disclosure(w.community, "2019Q4")
        assert any("5107" == row.key and row.values.get("ytd") == Decimal("78000.00")
                   for row in disc.spending)

    def test_the_history_is_a_gapless_journal(self, world: World) -> None:
        """Publish, open and award are three transitions numbered 1, 2, 3."""
        r = walk(world, "awarded")
        h = world.gov.tenders.history(world.officer, r.lot_id)
        assert [(1, "publish"), (2, "open_bids"), (3, "award")] == [
            (x["seq"], x["event"]) for x in h]


class TestSealedBids:
    def test_the_bids_are_sealed_until_the_opening(self, world: World) -> None:
        """Before the opening only the commitments are shown; the receipt's nonce lets the
        bidder check its commitment."""
        from community_governance.domain.tenders import bid_commitment, canonical_bid

        r = walk(world, "bids")
        shown = world.gov.tenders.bids(world.officer, r.lot_id)
        assert all(b.price is None and b.proposal is None and b.valid is None for b in shown)
        b1 = r.bids["B1"]
        sealed = canonical_bid(lot_id=r.lot_id, org_id="B1", price=Decimal(PRICES["B1"]),
                               proposal="B1的服务方案")
        assert b1.commitment == bid_commitment(sealed, b1.nonce)
        public = world.gov.tenders.commitments("T1")
        assert {b.commitment for b in r.bids.values()} == {c["commitment"] for c in public}
        assert all(c["bidder"] is None for c in public)

    def test_a_change_after_the_deadline_is_detected_at_opening(self, world: World) -> None:
        """Someone with the database's password lowers a sealed price (dropping the
        append-only trigger): the opening finds it does not match its commitment."""
        r = walk(world, "bids")
        b2 = r.bids["B2"]
        with world.gov.store.unit_of_work(write=True) as uow:
            uow.conn.execute(sa.text("DROP TRIGGER tender_bids_no_update"))
            row = uow.conn.execute(sa.text("SELECT sealed FROM tender_bids WHERE id = :i"),
                                   {"i": b2.id}).scalar_one()
            uow.conn.execute(sa.text("UPDATE tender_bids SET sealed = :s WHERE id = :i"),
                             {"s": row.replace("7200000", "6000000"), "i": b2.id})
            uow.commit()
        tender = world.gov.tenders.tender(world.officer, "T1")
        world.clock.set(*deadline_plus(world, tender, hours=1))
        world.gov.tenders.open_bids(world.officer, "T1")
        got = {b.org_id: b for b in world.gov.tenders.bids(world.officer, r.lot_id)}
        assert (False, None) == (got["B2"].valid, got["B2"].price)
        assert got["B1"].valid and Decimal("78000.00") == got["B1"].price
        hist = world.gov.tenders.history(world.officer, r.lot_id)
        assert f"invalid: #{b2.id}" in hist[-1]["note"]

    def test_a_late_bid_is_refused(self, world: World) -> None:
        """A bid one minute after the deadline is refused naming the rule; nothing written."""
        r = walk(world, "bids")
        advance(world, "B4", OrgStage.ACTIVE, name="迟到社")
        tender = world.gov.tenders.tender(world.officer, "T1")
        world.clock.set(*deadline_plus(world, tender, hours=0))
        world.clock.now = world.clock.now.add(minutes=1)
        before = counts(world.gov)
        with pytest.raises(ValidationError, match="逾期投标"):
            world.gov.tenders.bid(world.staff, r.lot_id, "B4", price="70000", proposal="方案")
        assert before == counts(world.gov)

    def test_a_bid_from_an_organization_not_active_is_refused(self, world: World) -> None:
        """An organization under review may not bid: refused with its stage and the fix."""
        r = walk(world, "bids")
        advance(world, "B5", OrgStage.UNDER_REVIEW)
        before = counts(world.gov)
        with pytest.raises(PermissionDenied, match="only an active organization"):
            world.gov.tenders.bid(world.staff, r.lot_id, "B5", price="70000", proposal="方案")
        assert before == counts(world.gov)

    def test_a_second_bid_on_one_lot_is_refused(self, world: World) -> None:
        """One bid per bidder per lot."""
        r = walk(world, "bids")
        before = counts(world.gov)
        with pytest.raises(ConflictError, match="one bid per bidder per lot"):
            world.gov.tenders.bid(world.staff, r.lot_id, "B1", price="60000", proposal="再投")
        assert before == counts(world.gov)

    def test_a_price_above_the_ceiling_is_refused(self, world: World) -> None:
        """The lot's ceiling price (最高限价) bounds every bid."""
        r = walk(world, "bids")
        advance(world, "B6", OrgStage.ACTIVE)
        before = counts(world.gov)
        with pytest.raises((ValidationError, PermissionDenied)):
            world.gov.tenders.bid(world.staff, r.lot_id, "B6", price="80000.01", proposal="方案")
        assert before == counts(world.gov)


class TestScoring:
    def test_a_member_scoring_a_bidder_they_declared_is_refused(self, world: World) -> None:
        """A declared tie: the member stands aside for that bidder (回避), nothing written."""
        r = walk(world, "opened")
        m = r.members[0]
        world.gov.tenders.declare_conflict(world.staff, "T1", m, "B3")
        before = counts(world.gov)
        with pytest.raises(PermissionDenied, match="回避"):
            world.gov.tenders.score(world.staff, r.bids["B3"].id, m, MARKS["B3"])
        assert before == counts(world.gov)
        world.gov.tenders.score(world.staff, r.bids["B1"].id, m, MARKS["B1"])

    def test_ties_found_in_the_records_are_refused_too(self, world: World) -> None:
        """A member who shares a household with a bidder's staff member, or a party
        organization: refused although they declared nothing."""
        from community_governance.domain.posts import PartyOrg, PartyOrgKind

        r = walk(world, "opened")
        g = world.gov
        m_household, m_party = r.members[0], r.members[2]
        # a staff member of B2 living with the first member (same household)
        hh = next(h for h, rs in world.city.residents.items() if m_household in rs)
        mate = next(x for x in world.city.residents[hh] if x != m_household)
        g.orgs.add_staff(world.staff, "B2", name="张社工", role="社工", full_time=True,
                         joined_on=dt.date(2019, 1, 1), person_id=mate)
        # a staff member of B3 in the same party organization as the third member
        other = world.city.residents[world.city.households[world.city.buildings[
            world.community][0]][0]][0]
        g.orgs.add_staff(world.staff, "B3", name="李社工", role="社工", full_time=True,
                         joined_on=dt.date(2019, 1, 1), person_id=other)
        g.registry.add_party_orgs(SYSTEM, [PartyOrg("PO-T", PartyOrgKind.GENERAL_COMMITTEE,
                                                    world.community, "社区大党委")])
        g.registry.add_party_members(SYSTEM, "PO-T", [m_party, other],
                                     since=dt.date(2018, 1, 1))
        found = {(c.member_id, c.org_id, c.reason) for c in g.tenders.conflicts(world.staff,
                                                                                "T1")}
        assert {(m_household, "B2", "household"), (m_party, "B3", "party")} <= found
        before = counts(g)
        with pytest.raises(PermissionDenied, match="household"):
            g.tenders.score(world.staff, r.bids["B2"].id, m_household, MARKS["B2"])
        with pytest.raises(PermissionDenied, match="party"):
            g.tenders.score(world.staff, r.bids["B3"].id, m_party, MARKS["B3"])
        assert before == counts(g)

    def test_the_award_waits_for_every_untied_member(self, world: World) -> None:
        """A missing score sheet blocks the award, naming the bid and the member."""
        r = walk(world, "opened")
        for m in r.members[:-1]:
            world.gov.tenders.score(world.staff, r.bids["B1"].id, m, MARKS["B1"])
        before = counts(world.gov)
        with pytest.raises(ValidationError, match="waits for the scores"):
            world.gov.tenders.award(world.officer, r.lot_id)
        assert before == counts(world.gov)

    def test_an_award_before_the_opening_is_refused(self, world: World) -> None:
        """Awarding a lot still open for bids names the way forward."""
        r = walk(world, "bids")
        before = counts(world.gov)
        with pytest.raises(InvalidTransition, match="open the bids"):
            world.gov.tenders.award(world.officer, r.lot_id)
        assert before == counts(world.gov)

    def test_opening_before_the_deadline_is_refused(self, world: World) -> None:
        """Bids are opened at the deadline, not before."""
        walk(world, "bids")
        before = counts(world.gov)
        with pytest.raises(ValidationError, match="not before"):
            world.gov.tenders.open_bids(world.officer, "T1")
        assert before == counts(world.gov)


class TestObjections:
    def test_an_upheld_objection_moves_the_award_to_the_next_bid(self, world: World) -> None:
        """B3 objects within the standstill period; upheld, B1's bid is disqualified and the
        lot is awarded again, to B3 (the next best)."""
        r = walk(world, "awarded")
        g = world.gov
        o = g.tenders.object_to_award(world.staff, r.lot_id, "B3", text="中标人资质不符")
        assert LotStatus.CHALLENGED is g.tenders.lot(world.officer, r.lot_id).status
        with pytest.raises(InvalidTransition):
            sign(world, r)
        g.tenders.answer_objection(world.officer, o.id, upheld=True, reply="经核实成立")
        g.tenders.award(world.officer, r.lot_id)
        lot = g.tenders.lot(world.officer, r.lot_id)
        assert r.bids["B3"].id == lot.winner_bid_id

    def test_signing_inside_the_standstill_period_is_refused(self, world: World) -> None:
        """The contract waits for the end of the standstill period (质疑期)."""
        r = walk(world, "awarded")
        before = counts(world.gov)
        with pytest.raises(ValidationError, match="standstill"):
            from tests.tenders.helpers import TERMS, instalments

            world.gov.tenders.sign(world.officer, r.lot_id, start=dt.date(2019, 5, 1),
                                   end=dt.date(2019, 12, 31),
                                   deliverables=TERMS["deliverables"],
                                   instalments=instalments(Decimal("78000")))
        assert before == counts(world.gov)


class TestMoney:
    def test_a_payment_without_an_accepted_deliverable_is_refused(self, world: World) -> None:
        """No acceptance, no payment: refused naming the deliverable; nothing written."""
        r = walk(world, "awarded")
        sign(world, r)
        before = counts(world.gov)
        with pytest.raises(ValidationError, match="accept it first"):
            world.gov.tenders.request_payment(world.staff, "C1", 1)
        assert before == counts(world.gov)

    def test_a_payment_beyond_the_contract_is_refused(self, world: World) -> None:
        """An instalment requested twice would pay beyond the contract: refused."""
        r = walk(world, "awarded")
        sign(world, r)
        world.clock.set(2019, 7, 2, 10)
        world.gov.tenders.accept(world.staff, "C1", "q2_report")
        world.gov.tenders.request_payment(world.staff, "C1", 1)
        before = counts(world.gov)
        with pytest.raises(ConflictError, match="requested already"):
            world.gov.tenders.request_payment(world.staff, "C1", 1)
        assert before == counts(world.gov)

    def test_the_reservation_cannot_be_spent_twice(self, world: World) -> None:
        """With 80,000 of a 100,000 budget reserved, an ordinary request of 30,000 on the
        account is beyond the budget and refused; 20,000 passes."""
        fund(world)
        from tests.tenders.helpers import project

        project(world)
        g = world.gov
        before = counts(g)
        with pytest.raises(InsufficientBalance, match="beyond"):
            g.funds.request(SYSTEM, world.community, "5107", "30000", payee="某公司",
                            purpose="其他服务", on=dt.date(2019, 3, 1))
        assert before == counts(g)
        g.funds.request(SYSTEM, world.community, "5107", "20000", payee="某公司",
                        purpose="其他服务", on=dt.date(2019, 3, 1))

    def test_a_project_beyond_the_budget_is_refused(self, world: World) -> None:
        """A reservation above what the budget has left is refused; nothing written."""
        fund(world, budget="50000")
        g = world.gov
        g.tenders.raise_need(world.staff, world.community, title="老年人日间照料",
                             category="elderly_day_care", estimate="80000", need_id="N1")
        before = counts(g)
        with pytest.raises(InsufficientBalance, match="raise the budget"):
            g.tenders.create_project(world.officer, "N1", budget="80000", year=2019,
                                     project_id="P1")
        assert before == counts(g)


class TestPermissions:
    def test_a_grid_leader_may_not_publish(self, world: World) -> None:
        """Publishing is for the community's leaders and the offices above."""
        fund(world)
        from tests.tenders.helpers import project

        project(world)
        leader = next(iter(world.city.grid_leader.values()))
        before = counts(world.gov)
        with pytest.raises(PermissionDenied):
            world.gov.tenders.publish(leader, "P1", title="采购", procedure="open",
                                      lots=[NewLot("甲", "10000")])
        assert before == counts(world.gov)


class TestCalendar:
    def test_a_deadline_in_a_provisional_year_is_flagged(self, world: World) -> None:
        """Published in late December of the last official year, the deadline runs into a
        year without an official notice: it is flagged provisional."""
        from community_governance.domain.funds import credit, debit

        g = world.gov
        cal = g.tenders.calendar(world.community)
        last = max(cal.official_years)
        world.clock.set(last, 12, 20, 10)
        g.funds.post(SYSTEM, world.community, [debit("1002", "50000"), credit("4101", "50000")],
                     channel="city_allocation", voucher="BK", on=dt.date(last, 12, 1))
        g.funds.set_budget(SYSTEM, world.community, "5107", last, "50000")
        g.tenders.raise_need(world.staff, world.community, title="助餐", category="meals",
                             estimate="40000", need_id="N9")
        g.tenders.create_project(world.officer, "N9", budget="40000", year=last,
                                 project_id="P9")
        t = g.tenders.publish(world.officer, "P9", title="助餐服务", procedure="open",
                              lots=[NewLot("助餐", "40000")], tender_id="T9")
        assert t.deadline.year == last + 1
        assert t.deadline_provisional is True
