"""Evaluation from the library's own records, grades per the place's scheme, supervision with
working-day deadlines, bidding, staff and training subsidies through the funds ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pendulum
import pytest

from community_governance.domain.access import Actor
from community_governance.domain.funds import credit, debit
from community_governance.domain.orgs import Grade, OrgStage
from community_governance.domain.volunteers import ActivitySpec, VolunteerOrg
from community_governance.errors import InvalidTransition, ValidationError
from tests.orgs.conftest import SYSTEM, World
from tests.orgs.helpers import advance, assessed_full, counts, incubator


def _volunteer_team(w: World, org_id: str = "VO1") -> None:
    """A volunteer team with two activities in February 2019, three volunteers each serving
    two hours at both."""
    g = w.gov
    g.volunteers.add_orgs(SYSTEM, [VolunteerOrg(org_id, "助老志愿队", w.community, "elderly")])
    people = [r for b in w.city.buildings[w.community]
              for h in w.city.households[b] for r in w.city.residents[h]][:3]
    for r in people:
        g.volunteers.register(SYSTEM, r)
    for day in (10, 17):
        start = pendulum.datetime(2019, 2, day, 9, tz="Asia/Shanghai")
        act = g.volunteers.create_activity(SYSTEM, ActivitySpec(
            title="上门助老", unit_code=w.community, category="elderly_care", place="活动室",
            start=start, end=start.add(hours=2), capacity=10, org_id=org_id))
        g.volunteers.record_attendance(SYSTEM, act.id, people)


def _purchased_services(w: World, payee: str, amount: str = "50000") -> None:
    """Pay ``payee`` for purchased services (政府购买服务) through the funds ledger, in
    February 2019, with every approval the place requires."""
    g, c, day = w.gov, w.community, dt.date(2019, 2, 20)
    g.funds.post(SYSTEM, c, [debit("1002", "60000"), credit("4101", "60000")],
                 channel="city_allocation", voucher="BK-PS", on=day)
    d = g.funds.request(Actor.system("clerk"), c, "5104", amount, payee=payee, purpose="购买居家养老服务",
                        on=day)
    for role in d.required_roles:  # one approver per role
        g.funds.approve(Actor.system(f"approver-{role.value}"), d.id, as_role=role)
    g.funds.pay(SYSTEM, d.id, voucher="ZF-PS", on=day)


class TestEvaluation:
    def test_evidence_comes_from_the_records(self, world: World) -> None:
        """Activities and volunteer hours come from the team's records, not typed in: 2
        activities, 12 hours; the score and grade follow the place's indicators and scheme."""
        incubator(world)
        _volunteer_team(world)
        o = world.gov.orgs
        o.propose(world.staff, name="助老服务社", kind="service", community_code=world.community,
                  members=20, volunteer_org_id="VO1", org_id="E1")
        advance_existing(world, "E1")
        ev = o.evidence(world.officer, "E1", start=dt.date(2019, 1, 1), end=dt.date(2019, 2, 28))
        assert (ev["activities"], ev["volunteer_hours"]) == (Decimal(2), Decimal("12.0"))
        got = o.evaluate(world.officer, "E1", round="2019", evaluators=["评估专家甲"],
                         scores=assessed_full(world))
        lines = {ln.code: ln for ln in got.lines}
        ind = {i.code: i for i in o.indicators(world.community, "service")}
        assert lines["activities"].evidence == Decimal(2)
        want = (Decimal(ind["activities"].weight) * 2 / ind["activities"].target).quantize(
            Decimal("0.1"))
        assert want == lines["activities"].score
        assert sum(ln.score for ln in got.lines) == got.score
        assert o.grade_scheme(world.community).grade_for(got.score) == got.grade
        org = o.get(world.officer, "E1")
        assert (org.grade, org.score, org.grade_valid_until) == (
            got.grade, got.score, dt.date(2024, 2, 29) if got.grade else None)

    def test_a_score_typed_in_for_a_record_indicator_is_refused(self, world: World) -> None:
        """Volunteer hours are drawn from the records: typing a score is refused, nothing
        written."""
        incubator(world)
        advance(world, "E2", OrgStage.ACTIVE)
        before = counts(world.gov)
        with pytest.raises(ValidationError, match="drawn from the records"):
            world.gov.orgs.evaluate(world.officer, "E2", round="2019", evaluators=["甲"],
                                    scores={**assessed_full(world), "volunteer_hours": 150})
        assert before == counts(world.gov)

    def test_evaluating_an_incubating_organization_is_refused(self, world: World) -> None:
        """Still in incubation: refused naming the allowed steps and the way forward."""
        incubator(world)
        advance(world, "E3", OrgStage.INCUBATING)
        before = counts(world.gov)
        with pytest.raises(InvalidTransition, match=r"孵化中.*submit it for admission review"):
            world.gov.orgs.evaluate(world.officer, "E3", round="2019", evaluators=["甲"],
                                    scores=assessed_full(world))
        assert before == counts(world.gov)

    def test_an_upgrade_sooner_than_two_years_is_refused(self, world: World) -> None:
        """A second evaluation within two years of the last is refused with the earliest
        day; after two years it is allowed."""
        incubator(world)
        advance(world, "E4", OrgStage.ACTIVE, name="购买服务甲")
        _purchased_services(world, "购买服务甲")
        o = world.gov.orgs
        o.evaluate(world.officer, "E4", round="2019", evaluators=["甲"],
                   scores=assessed_full(world))
        world.clock.set(2020, 6, 1, 9)
        before = counts(world.gov)
        with pytest.raises(ValidationError, match="on or after 2021-03-01"):
            o.evaluate(world.officer, "E4", round="2020", evaluators=["甲"],
                       scores=assessed_full(world))
        assert before == counts(world.gov)
        world.clock.set(2021, 3, 1, 9)
        assert "2021" == o.evaluate(world.officer, "E4", round="2021", evaluators=["甲"],
                                    scores=assessed_full(world)).round
        assert ["2019", "2021"] == [e.round for e in o.evaluations(world.officer, org_id="E4")]

    def test_the_thresholds_are_the_places(self, world: World) -> None:
        """920 points is 5A in Yima (≥ 900) and 4A in 湖滨区 (≥ 950 for 5A)."""
        scheme = world.gov.orgs.grade_scheme(world.community)
        expected = Grade.A5 if world.county == "411281" else Grade.A4
        assert expected == scheme.grade_for(Decimal(920))
        assert (1000, 5, 2) == (scheme.max_score, scheme.valid_years,
                                scheme.upgrade_after_years)


class TestBidding:
    def test_the_grade_decides_the_round(self, world: World) -> None:
        """An active ungraded organization bids in round 2 in Yima, not at all in 湖滨区; a
        3A or better bids first; an incubating one never."""
        incubator(world)
        advance(world, "D1", OrgStage.ACTIVE, name="购买服务乙")
        _purchased_services(world, "购买服务乙")
        advance(world, "D2", OrgStage.INCUBATING)
        o = world.gov.orgs
        ungraded = o.bid_eligibility(world.officer, "D1")
        assert ungraded.tier == (2 if world.county == "411281" else 0)
        assert 0 == o.bid_eligibility(world.officer, "D2").tier
        o.evaluate(world.officer, "D1", round="2019", evaluators=["甲"],
                   scores=assessed_full(world))
        graded = o.bid_eligibility(world.officer, "D1")
        assert graded.grade is not None  # the purchased services lift it to a grade
        assert graded.tier == (1 if graded.grade.rank >= 3 else 2)
        ids = [b.org_id for b in o.bidders(world.officer)]
        assert "D1" in ids and "D2" not in ids
        # five years later the grade has expired
        late = o.bid_eligibility(world.officer, "D1", on=dt.date(2024, 3, 1))
        assert late.grade is None


class TestSupervision:
    def test_deadline_in_working_days_and_rectification(self, world: World) -> None:
        """Friday 2019-03-01 + 10 working days is Friday 2019-03-15; the finding puts the
        organization under supervision, its rectification returns it to active, and the
        report shows it open then overdue."""
        incubator(world)
        advance(world, "S1", OrgStage.ACTIVE)
        o = world.gov.orgs
        f = o.supervise(world.officer, "S1", finding="财务台账不全", days=10)
        assert dt.date(2019, 3, 15) == f.deadline
        assert OrgStage.UNDER_SUPERVISION == o.get(world.officer, "S1").stage
        r = o.findings_report(world.officer, on=dt.date(2019, 3, 18))
        assert (r["open"], r["overdue"]) == (1, 1)
        world.clock.set(2019, 3, 20, 9)
        done = o.rectify(world.staff, f.id, follow_up="已建立台账")
        assert dt.date(2019, 3, 20) == done.rectified_on
        assert OrgStage.ACTIVE == o.get(world.officer, "S1").stage
        r = o.findings_report(world.officer)
        assert (r["open"], r["rectified"], r["rectified_late"]) == (0, 1, 1)
        with pytest.raises(InvalidTransition, match="rectified on"):
            o.rectify(world.staff, f.id, follow_up="again")

    def test_a_deadline_counted_on_a_provisional_year_says_so(self, world: World) -> None:
        """A finding of 28 December 2026 with 10 working days runs into 2027, which has no
        official notice yet: the deadline is stored, returned and listed as provisional; a
        deadline inside an official year is not."""
        incubator(world)
        advance(world, "P1", OrgStage.ACTIVE)
        o = world.gov.orgs
        official = o.supervise(world.officer, "P1", finding="台账不全", days=5)
        assert official.provisional is False
        world.clock.set(2026, 12, 28, 9)
        f = o.supervise(world.officer, "P1", finding="换届逾期", days=10)
        assert f.deadline.year == 2027 and f.provisional is True
        listed = {x.id: x.provisional for x in o.findings(world.officer, org_id="P1")}
        assert listed == {official.id: False, f.id: True}
        assert "暂定" in o.history(world.officer, "P1")[-1].note

    def test_two_findings_keep_it_supervised_until_both_are_rectified(self,
                                                                       world: World) -> None:
        """The first rectification keeps it under supervision; the last clears it."""
        incubator(world)
        advance(world, "S2", OrgStage.ACTIVE)
        o = world.gov.orgs
        a = o.supervise(world.officer, "S2", finding="甲问题")
        b = o.supervise(world.officer, "S2", finding="乙问题")
        o.rectify(world.staff, a.id, follow_up="改了")
        assert OrgStage.UNDER_SUPERVISION == o.get(world.officer, "S2").stage
        o.rectify(world.staff, b.id, follow_up="改了")
        assert OrgStage.ACTIVE == o.get(world.officer, "S2").stage
        assert ["supervise", "supervise", "rectify", "clear"] == [
            h.event.value for h in o.history(world.officer, "S2")[-4:]]


class TestTalent:
    def test_training_subsidy_is_paid_through_the_ledger(self, world: World) -> None:
        """A subsidy needs an approved disbursement on account 5106 to the organization, of
        the same amount; a mismatched one is refused naming what differs."""
        incubator(world)
        org = advance(world, "T1", OrgStage.ACTIVE, name="青年社工服务中心")
        g, c = world.gov, world.community
        day = dt.date(2019, 3, 1)
        g.funds.post(SYSTEM, c, [debit("1002", "10000"), credit("4101", "10000")],
                     channel="city_allocation", voucher="BK-1", on=day)
        s = g.orgs.add_staff(world.staff, "T1", name="王小明", role="社工", full_time=True,
                             from_university=True, joined_on=day)
        assert "王**" == s.name
        with pytest.raises(ValidationError, match="disbursement_id"):
            g.orgs.record_training(world.staff, s.id, title="社工职业能力培训", on=day, hours=16,
                                   subsidy="800")
        d = g.funds.request(SYSTEM, c, "5106", "800", payee=org.name, purpose="培训补贴",
                            on=day)
        wrong = g.funds.request(SYSTEM, c, "5105", "800", payee=org.name, purpose="误用科目",
                                on=day)
        for x in (d, wrong):
            for role in x.required_roles:  # one approver per role
                g.funds.approve(Actor.system(f"approver-{role.value}"), x.id, as_role=role)
        before = counts(g)
        with pytest.raises(ValidationError, match="account 5105"):
            g.orgs.record_training(world.staff, s.id, title="社工职业能力培训", on=day,
                                   hours=16, subsidy="800", disbursement_id=wrong.id)
        assert before == counts(g)
        t = g.orgs.record_training(world.staff, s.id, title="社工职业能力培训", on=day, hours=16,
                                   subsidy="800", disbursement_id=d.id)
        assert (t.subsidy, t.disbursement_id) == (Decimal("800.00"), d.id)
        g.funds.pay(SYSTEM, d.id, voucher="ZF-T1", on=day)
        rep = g.orgs.staff_report(world.officer)
        assert rep["totals"]["from_university"] == 1 + 0
        assert rep["organizations"]["T1"]["subsidies"] == "800.00"
        assert rep["organizations"]["T1"]["training_hours"] == 16


def advance_existing(w: World, org_id: str) -> None:
    """Walk an organization proposed by the test itself to active."""
    o = w.gov.orgs
    o.incubate(w.staff, org_id, "INC")
    for m in o.milestones(w.community, "service"):
        o.milestone(w.staff, org_id, m.code)
    o.submit_review(w.staff, org_id)
    rules = o.admission(w.community, "service")
    for doc in rules.documents:
        o.submit_document(w.staff, org_id, doc.code)
    for i in range(rules.min_full_time_staff):
        o.add_staff(w.staff, org_id, name=f"专职{i}", role="社工", full_time=True,
                    joined_on=dt.date(2019, 1, 1))
    o.admit(w.officer, org_id)
    for item in o.checklist(w.community, "service"):
        o.check_item(w.staff, org_id, item.code)
    o.standardise(w.officer, org_id)
    o.activate(w.officer, org_id)

