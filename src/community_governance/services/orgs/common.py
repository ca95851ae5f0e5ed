"""Shared pieces of the social-organization service (社会组织): the actions, the hook-answer
checks, the rules of a place, and the row helpers (loading, one guarded transition)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pendulum
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.calendars import WorkingDayCalendar
from community_governance.domain.access import Action, Target
from community_governance.domain.actions import COMMUNITY_OFFICE, HIGHER_OFFICE, LOCAL_POSTS
from community_governance.domain.orgs import (
    AdmissionRequirements,
    Grade,
    GradeScheme,
    Indicator,
    OrgEvent,
    OrgKind,
    OrgStage,
    Requirement,
    SocialOrganization,
    check_indicators,
    next_stage,
)
from community_governance.errors import ConflictError, NotFound
from community_governance.plugins import expect_int, expect_type, working_day_calendar
from community_governance.services.base import Operation, Service
from community_governance.storage.tables import orgs as ot

if TYPE_CHECKING:
    from community_governance.services.context import Context

__all__ = ["ORG_DECIDE", "ORG_MANAGE", "ORG_READ", "TRAINING_ACCOUNT", "OrgsBase",
           "expect_admission", "expect_grade_scheme", "expect_indicators",
           "expect_requirements", "expect_tier"]

#: Propose, incubate, record milestones, documents and checklist items, staff and trainings,
#: rectifications: the community office and above.
ORG_MANAGE = Action("org.manage", roles=COMMUNITY_OFFICE | HIGHER_OFFICE)
#: Decide: admit, return, standardise, activate, evaluate, supervise, suspend, reinstate,
#: deregister: the sub-district office and the county (民政).
ORG_DECIDE = Action("org.decide", roles=HIGHER_OFFICE)
#: Read organizations, their history and reports (staff names are masked).
ORG_READ = Action("org.read", roles=COMMUNITY_OFFICE | HIGHER_OFFICE | LOCAL_POSTS)

#: The expense account training subsidies (职业能力培训补贴) are paid from.
TRAINING_ACCOUNT = "5106"


def expect_requirements(value: Any) -> list[Requirement]:
    """A non-empty list of :class:`Requirement` with distinct codes."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or not value:
        raise TypeError("expected a non-empty list of Requirement")
    items = [expect_type(Requirement)(v) for v in value]
    codes = [r.code for r in items]
    if len(set(codes)) != len(codes):
        raise ValueError(f"requirement codes repeat: {codes}")
    return items


def expect_admission(value: Any) -> AdmissionRequirements:
    """An :class:`AdmissionRequirements`."""
    return expect_type(AdmissionRequirements)(value)


def expect_grade_scheme(value: Any) -> GradeScheme:
    """A :class:`GradeScheme`."""
    return expect_type(GradeScheme)(value)


def expect_indicators(max_score: int = 1000) -> Any:
    """A check: a non-empty list of :class:`Indicator` whose weights add up to ``max_score``."""
    def check(value: Any) -> list[Indicator]:
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise TypeError("expected a list of Indicator")
        return check_indicators([expect_type(Indicator)(v) for v in value], max_score)

    return check


#: A bid tier: 0 (may not bid), 1 (first round), 2 or 3.
expect_tier = expect_int(minimum=0, maximum=3)

_GUARDED_UPDATE = ot.social_orgs.update().where(
    ot.social_orgs.c.id == sa.bindparam("k_id"), ot.social_orgs.c.seq == sa.bindparam("k_seq"))


class OrgsBase(Service):
    """The rules of a place and the row helpers every part of the service uses."""

    _steps_of = "the organization's"

    def __init__(self, gov: Context) -> None:
        super().__init__(gov)
        self._calendars: dict[str, WorkingDayCalendar] = {}

    # ------------------------------------------------------------------ rules (hooks)

    def milestones(self, community_code: str, kind: OrgKind | str) -> list[Requirement]:
        """The incubation milestones of a place (``cgov_orgs_incubation_milestones``)."""
        return self._hooks.first("cgov_orgs_incubation_milestones", expect_requirements,
                                 place=community_code, community_code=community_code,
                                 kind=OrgKind(kind).value)

    def admission(self, community_code: str, kind: OrgKind | str) -> AdmissionRequirements:
        """The admission criteria of a place (``cgov_orgs_admission_requirements``)."""
        return self._hooks.first("cgov_orgs_admission_requirements", expect_admission,
                                 place=community_code, community_code=community_code,
                                 kind=OrgKind(kind).value)

    def checklist(self, community_code: str, kind: OrgKind | str) -> list[Requirement]:
        """The standardisation checklist of a place (``cgov_orgs_standardisation_checklist``)."""
        return self._hooks.first("cgov_orgs_standardisation_checklist", expect_requirements,
                                 place=community_code, community_code=community_code,
                                 kind=OrgKind(kind).value)

    def grade_scheme(self, community_code: str) -> GradeScheme:
        """The evaluation grade scheme of a place (``cgov_orgs_grade_scheme``)."""
        return self._hooks.first("cgov_orgs_grade_scheme", expect_grade_scheme,
                                 place=community_code, community_code=community_code)

    def indicators(self, community_code: str, kind: OrgKind | str) -> list[Indicator]:
        """The evaluation indicators of a place (``cgov_orgs_evaluation_indicators``), checked
        against the place's scale."""
        scale = self.grade_scheme(community_code).max_score
        return self._hooks.first("cgov_orgs_evaluation_indicators", expect_indicators(scale),
                                 place=community_code, community_code=community_code,
                                 kind=OrgKind(kind).value)

    def bid_tier(self, community_code: str, grade: Grade | None) -> int:
        """When an active organization of ``grade`` bids (``cgov_orgs_bid_tier``)."""
        return self._hooks.first("cgov_orgs_bid_tier", expect_tier, place=community_code,
                                 community_code=community_code,
                                 grade=None if grade is None else grade.value)

    def calendar(self, community_code: str) -> WorkingDayCalendar:
        """The working-day calendar of the community's county (cached per county)."""
        county = community_code[:6]
        found = self._calendars.get(county)
        if found is None:
            found = self._calendars[county] = working_day_calendar(self._hooks, county)
        return found

    # ------------------------------------------------------------------ helpers


    @staticmethod
    def _row(op: Operation, org_id: str, *, lock: bool = False) -> Any:
        q = sa.select(ot.social_orgs).where(ot.social_orgs.c.id == org_id)
        if lock:
            q = q.with_for_update()
        row = op.uow.conn.execute(q).first()
        if row is None:
            raise NotFound("social organization", org_id,
                           "check the key (cgov orgs list)")
        return row

    @staticmethod
    def _target(row: Any) -> Target:
        return Target("social_org", row.id, unit_code=row.community_code)

    @staticmethod
    def _org(row: Any) -> SocialOrganization:
        return SocialOrganization(
            id=row.id, name=row.name, kind=OrgKind(row.kind), community_code=row.community_code,
            subdistrict_code=row.subdistrict_code, stage=OrgStage(row.stage),
            incubator_id=row.incubator_id, hatched_on=row.hatched_on,
            registered=bool(row.registered), members=int(row.members),
            volunteer_org_id=row.volunteer_org_id, proposed_on=row.proposed_on,
            stage_since=row.stage_since, grade=Grade(row.grade) if row.grade else None,
            score=None if row.score_tenths is None else Decimal(row.score_tenths) / 10,
            graded_on=row.graded_on, grade_valid_until=row.grade_valid_until, seq=row.seq)

    @staticmethod
    def _done(op: Operation, org_id: str, kind: str) -> set[str]:
        r = ot.social_org_records
        return set(op.uow.conn.execute(sa.select(r.c.code).where(
            r.c.org_id == org_id, r.c.kind == kind)).scalars())

    def _step(self, op: Operation, row: Any, event: OrgEvent, when: pendulum.DateTime, *,
              note: str = "", **changes: Any) -> Any:
        """Apply one transition: a guarded update of the organization, one journal row.

        Raises:
            InvalidTransition: the lifecycle does not allow ``event`` now.
            ConflictError: someone else changed the organization since it was read.
        """
        old = OrgStage(row.stage)
        new = next_stage(old, event)
        day = self._local(when)
        seq = row.seq + 1
        values: dict[str, Any] = {"stage": new.value, "seq": seq, "updated_at": when, **changes}
        if new is not old:
            values["stage_since"] = day
        done = op.uow.conn.execute(_GUARDED_UPDATE, {**values, "k_id": row.id,
                                                     "k_seq": row.seq})
        if done.rowcount != 1:
            raise ConflictError(f"social organization {row.id} was changed by someone else "
                                "meanwhile; reload it and retry")
        try:
            op.uow.conn.execute(ot.social_org_transitions.insert().values(
                org_id=row.id, seq=seq, event=event.value, from_stage=old.value,
                to_stage=new.value, actor=str(op.actor), at=when, day=day, note=note))
        except IntegrityError:
            raise ConflictError(f"social organization {row.id} was changed by someone else "
                                "meanwhile; reload it and retry") from None
        op.touch("social_org", row.id)
        op.detail.setdefault("events", []).append(event.value)
        op.emit(f"org.{event.value}", {"org_id": row.id, "stage": new.value,
                                       "community_code": row.community_code})
        return self._row(op, row.id)
