"""The social-organization lifecycle through ``gov.orgs``, for Yima (national rules) and for
湖滨区 (the Hubin plugin): every step recorded, every bad input refused with nothing written."""

from __future__ import annotations

import datetime as dt

import pytest

from community_governance.domain.orgs import OrgEvent, OrgStage
from community_governance.errors import (
    ConflictError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from tests.orgs.conftest import World
from tests.orgs.helpers import advance, counts, incubator


class TestTheWholeWay:
    def test_an_organization_goes_from_proposal_to_active_with_every_step_recorded(
            self, world: World) -> None:
        """Walks proposed → incubating → under review → admitted → standardised → active; the
        journal holds one step each, and admission hatches it out of its incubator."""
        incubator(world)
        o = world.gov.orgs
        o.propose(world.staff, name="阳光助老服务队", kind="service",
                  community_code=world.community, members=20, org_id="O1")
        placed = o.incubate(world.staff, "O1", "INC")
        assert placed.under_incubator and placed.stage is OrgStage.INCUBATING
        org = advance_rest(world)
        assert OrgStage.ACTIVE == org.stage
        assert (org.under_incubator, org.registered, org.hatched_on) == (
            False, True, dt.date(2019, 3, 1))
        steps = o.history(world.officer, "O1")
        assert [s.event for s in steps] == [
            OrgEvent.PROPOSE, OrgEvent.INCUBATE, OrgEvent.SUBMIT_REVIEW, OrgEvent.ADMIT,
            OrgEvent.STANDARDISE, OrgEvent.ACTIVATE]
        assert [s.seq for s in steps] == [1, 2, 3, 4, 5, 6]
        assert all(s.actor.startswith("staff:") for s in steps)
        trail = world.gov.audit.log(world.officer, obj="social_org:O1")
        assert ["orgs.propose", "orgs.incubate", "orgs.submit_review", "orgs.admit",
                "orgs.standardise", "orgs.activate"] == [
            e.operation for e in trail if not e.operation.startswith("orgs.milestone")
            and e.operation in {f"orgs.{x.event.value}" for x in steps}]
        assert world.gov.verify().ok

    def test_returning_to_incubation_and_trying_again(self, world: World) -> None:
        """A review that fails returns the organization to incubation with the reason; it is
        submitted again without recording its milestones twice."""
        incubator(world)
        advance(world, "O2", OrgStage.UNDER_REVIEW)
        back = world.gov.orgs.return_to_incubation(world.officer, "O2", reason="章程不完善")
        assert OrgStage.INCUBATING == back.stage
        assert OrgStage.UNDER_REVIEW == world.gov.orgs.submit_review(world.staff, "O2").stage
        assert "章程不完善" == world.gov.orgs.history(world.officer, "O2")[3].note

    def test_suspension_needs_rectified_findings_to_be_reinstated(self, world: World) -> None:
        """A suspended organization with an open finding is not reinstated; once the finding
        is rectified it is."""
        incubator(world)
        advance(world, "O3", OrgStage.ACTIVE)
        o = world.gov.orgs
        f = o.supervise(world.officer, "O3", finding="未按章程换届", days=5)
        o.suspend(world.officer, "O3", reason="整改未完成")
        before = counts(world.gov)
        with pytest.raises(ValidationError, match=rf"open findings \[{f.id}\].*rectify"):
            o.reinstate(world.officer, "O3")
        assert before == counts(world.gov)
        o.rectify(world.staff, f.id, follow_up="已完成换届")
        assert OrgStage.SUSPENDED == o.get(world.officer, "O3").stage
        assert OrgStage.ACTIVE == o.reinstate(world.officer, "O3").stage

    def test_deregistration_is_final(self, world: World) -> None:
        """A deregistered organization takes no further step; the message says to propose
        anew."""
        world.gov.orgs.propose(world.staff, name="临时小组", kind="mutual_aid",
                               community_code=world.community, org_id="O4")
        world.gov.orgs.deregister(world.officer, "O4", reason="自行解散")
        with pytest.raises(InvalidTransition, match="proposed anew"):
            world.gov.orgs.incubate(world.staff, "O4", "INC")


def advance_rest(world: World) -> object:
    o = world.gov.orgs
    for m in o.milestones(world.community, "service"):
        o.milestone(world.staff, "O1", m.code)
    o.submit_review(world.staff, "O1")
    rules = o.admission(world.community, "service")
    for d in rules.documents:
        o.submit_document(world.staff, "O1", d.code)
    for i in range(rules.min_full_time_staff):
        o.add_staff(world.staff, "O1", name=f"李{i}", role="社工", full_time=True,
                    joined_on=dt.date(2019, 1, 2))
    o.admit(world.officer, "O1")
    for item in o.checklist(world.community, "service"):
        o.check_item(world.staff, "O1", item.code)
    o.standardise(world.officer, "O1")
    return o.activate(world.officer, "O1")


class TestBadInput:
    def test_admitting_without_the_required_documents_is_refused(self, world: World) -> None:
        """Names each missing document and the command that submits it; writes nothing."""
        incubator(world)
        advance(world, "B1", OrgStage.UNDER_REVIEW)
        world.gov.orgs.submit_document(world.staff, "B1", "application")
        before = counts(world.gov)
        with pytest.raises(ValidationError, match=r"leader_resume.*missing.*cgov orgs document"):
            world.gov.orgs.admit(world.officer, "B1")
        assert before == counts(world.gov)
        assert OrgStage.UNDER_REVIEW == world.gov.orgs.get(world.officer, "B1").stage

    def test_too_few_members_is_refused(self, world: World) -> None:
        """An organization with fewer members than the place requires is not admitted."""
        incubator(world)
        advance(world, "B2", OrgStage.UNDER_REVIEW, members=3)
        for d in world.gov.orgs.admission(world.community, "service").documents:
            world.gov.orgs.submit_document(world.staff, "B2", d.code)
        with pytest.raises(ValidationError, match="3 members, fewer than"):
            world.gov.orgs.admit(world.officer, "B2")

    def test_submitting_without_the_milestones_is_refused(self, world: World) -> None:
        """Names the milestones not reached."""
        incubator(world)
        advance(world, "B3", OrgStage.INCUBATING)
        world.gov.orgs.milestone(world.staff, "B3", "charter")
        before = counts(world.gov)
        with pytest.raises(ValidationError, match=r"milestones .*cgov orgs milestone"):
            world.gov.orgs.submit_review(world.staff, "B3")
        assert before == counts(world.gov)

    def test_a_milestone_twice_or_unknown_is_refused(self, world: World) -> None:
        """Recording the same milestone twice is a conflict; an unknown code lists the
        place's milestones."""
        incubator(world)
        advance(world, "B4", OrgStage.INCUBATING)
        world.gov.orgs.milestone(world.staff, "B4", "charter")
        before = counts(world.gov)
        with pytest.raises(ConflictError, match="recorded already"):
            world.gov.orgs.milestone(world.staff, "B4", "charter")
        with pytest.raises(ValidationError, match="charter"):
            world.gov.orgs.milestone(world.staff, "B4", "no_such")
        assert before == counts(world.gov)

    def test_incubating_with_something_that_is_not_an_incubator(self, world: World) -> None:
        """Only an active incubator incubates."""
        world.gov.orgs.propose(world.staff, name="甲", kind="service",
                               community_code=world.community, org_id="B5")
        world.gov.orgs.propose(world.staff, name="乙", kind="service",
                               community_code=world.community, org_id="B6")
        with pytest.raises(ValidationError, match="only an active incubator"):
            world.gov.orgs.incubate(world.staff, "B5", "B6")
        with pytest.raises(NotFound, match="NOPE"):
            world.gov.orgs.incubate(world.staff, "B5", "NOPE")

    def test_a_name_holding_a_phone_number_is_refused(self, world: World) -> None:
        """The name is published: a mobile number in it is refused, nothing written."""
        before = counts(world.gov)
        with pytest.raises(ValidationError, match="published"):
            world.gov.orgs.propose(world.staff, name="助老队13912345678", kind="service",
                                   community_code=world.community)
        assert before == counts(world.gov)

    def test_a_step_in_the_future_is_refused(self, world: World) -> None:
        """``at`` after now is refused."""
        import pendulum

        with pytest.raises(ValidationError, match="future"):
            world.gov.orgs.propose(world.staff, name="丙", kind="service",
                                   community_code=world.community,
                                   at=pendulum.datetime(2019, 4, 1, tz="Asia/Shanghai"))


class TestPermissions:
    def test_community_staff_may_not_admit_or_register(self, world: World) -> None:
        """Admission and registration are for the sub-district and the county; the refusal
        writes nothing."""
        incubator(world)
        advance(world, "P1", OrgStage.UNDER_REVIEW)
        before = counts(world.gov)
        with pytest.raises(PermissionDenied):
            world.gov.orgs.admit(world.staff, "P1")
        with pytest.raises(PermissionDenied):
            world.gov.orgs.register(world.staff, name="丁", kind="incubator",
                                    community_code=world.community)
        assert before == counts(world.gov)

    def test_staff_of_another_community_do_not_see_it(self, world: World) -> None:
        """Reading is scoped: another community's staff get NotFound and an empty list."""
        world.gov.orgs.propose(world.staff, name="戊", kind="service",
                               community_code=world.community, org_id="P2")
        other = world.city.staff[world.city.communities[1]]
        with pytest.raises(NotFound):
            world.gov.orgs.get(other, "P2")
        assert [] == world.gov.orgs.list_orgs(other)
        assert ["P2"] == [x.id for x in world.gov.orgs.list_orgs(world.staff)]
