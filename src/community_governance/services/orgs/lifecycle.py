"""The lifecycle of a social organization (社会组织): proposal, incubation, admission review,
standardisation, activation, suspension, reinstatement, deregistration, and reading them."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain.access import Action, Actor
from community_governance.domain.orgs import (
    OrgEvent,
    OrgKind,
    OrgStage,
    OrgTransition,
    Requirement,
    SocialOrganization,
    missing,
    next_stage,
)
from community_governance.domain.pii_text import check_public_text, mask_personal_numbers
from community_governance.domain.units import UnitKind
from community_governance.errors import ConflictError, InvalidTransition, NotFound, ValidationError
from community_governance.services.base import Operation
from community_governance.services.orgs.common import ORG_DECIDE, ORG_MANAGE, ORG_READ, OrgsBase
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import core as t
from community_governance.storage.tables import orgs as ot
from community_governance.storage.tables import points as pt

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")

#: The kind of record each requirement list keeps in ``social_org_records``.
MILESTONE, DOCUMENT, CHECKLIST = "milestone", "document", "checklist"


def _text(value: str, path: str, *, required: bool = True) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationError(f"{path} is empty; say it in a few words", path=path)
    return value.strip()


class LifecycleMixin(OrgsBase):
    """The lifecycle part of the organizations service."""

    # ------------------------------------------------------------------ creation

    def propose(self, actor: Actor, *, name: str, kind: OrgKind | str, community_code: str,
                members: int = 0, volunteer_org_id: str | None = None,
                org_id: str | None = None, at: dt.datetime | None = None
                ) -> SocialOrganization:
        """Propose a new social organization (申请成立) in a community: stage ``proposed``.

        Args:
            actor: the community office or above.
            name: its name (published: no phone or ID numbers).
            kind: an :class:`~community_governance.domain.orgs.OrgKind` value.
            community_code: the community it serves.
            members: its members as declared.
            volunteer_org_id: its volunteer team in the volunteers' records, if it has one.
            org_id: its key (generated when not given).
            at: when, if earlier than now.

        Raises:
            ValidationError: a bad name, kind, key or member count.
            NotFound: the community or the volunteer team does not exist.
            PermissionDenied: the actor may not manage organizations there.
            ConflictError: the key is taken.
        """
        return self._create(actor, OrgEvent.PROPOSE, name=name, kind=kind,
                            community_code=community_code, members=members,
                            volunteer_org_id=volunteer_org_id, org_id=org_id, at=at)

    def register(self, actor: Actor, *, name: str, kind: OrgKind | str, community_code: str,
                 members: int = 0, volunteer_org_id: str | None = None,
                 org_id: str | None = None, at: dt.datetime | None = None
                 ) -> SocialOrganization:
        """Enter an organization already registered with civil affairs (已登记机构入库), such
        as a professional incubator: stage ``active``. Only the sub-district or county may.

        Raises:
            as :meth:`propose`.
        """
        return self._create(actor, OrgEvent.REGISTER, name=name, kind=kind,
                            community_code=community_code, members=members,
                            volunteer_org_id=volunteer_org_id, org_id=org_id, at=at)

    def _create(self, actor: Actor, event: OrgEvent, *, name: str, kind: OrgKind | str,
                community_code: str, members: int, volunteer_org_id: str | None,
                org_id: str | None, at: dt.datetime | None) -> SocialOrganization:
        try:
            k = OrgKind(kind)
        except ValueError:
            raise ValidationError(f"kind {kind!r} is not one of "
                                  f"{[x.value for x in OrgKind]}", path="kind") from None
        name = check_public_text(_text(name, "name"), "name") or ""
        if isinstance(members, bool) or not isinstance(members, int) or members < 0:
            raise ValidationError(f"members must be a whole number ≥ 0, got {members!r}",
                                  path="members")
        if org_id is not None and not _ID.fullmatch(org_id):
            raise ValidationError(f"organization key {org_id!r} must be letters, digits, - "
                                  "and _ (at most 40)", path="org_id")
        action = ORG_MANAGE if event is OrgEvent.PROPOSE else ORG_DECIDE
        with self._write(actor, f"orgs.{event.value}") as op:
            conn = op.uow.conn
            unit = conn.execute(sa.select(t.units.c.kind, t.units.c.parent_code).where(
                t.units.c.code == community_code)).first()
            if unit is None or unit.kind != UnitKind.COMMUNITY.value:
                raise NotFound("community", community_code,
                               "name the community the organization serves")
            oid = org_id or f"SO-{uuid.uuid4().hex[:8].upper()}"
            op.require(action, self._target(_Key(oid, community_code)))
            vo = pt.volunteer_orgs
            if volunteer_org_id is not None and conn.execute(
                    sa.select(vo.c.id).where(vo.c.id == volunteer_org_id)).first() is None:
                raise NotFound("volunteer organization", volunteer_org_id,
                               "register the team with gov.volunteers.add_orgs first")
            when = self._when(op, at)
            day = self._local(when)
            stage = next_stage(None, event)
            try:
                conn.execute(ot.social_orgs.insert().values(
                    id=oid, name=name, kind=k.value, community_code=community_code,
                    subdistrict_code=unit.parent_code or community_code[:9],
                    stage=stage.value, incubator_id=None, hatched_on=None,
                    registered=event is OrgEvent.REGISTER, members=members,
                    volunteer_org_id=volunteer_org_id, proposed_on=day, stage_since=day, seq=1,
                    updated_at=when))
            except IntegrityError:
                raise ConflictError(f"social organization {oid} exists already; choose "
                                    "another key") from None
            conn.execute(ot.social_org_transitions.insert().values(
                org_id=oid, seq=1, event=event.value, from_stage=None, to_stage=stage.value,
                actor=str(op.actor), at=when, day=day, note=""))
            op.touch("social_org", oid)
            op.emit(f"org.{event.value}", {"org_id": oid, "stage": stage.value,
                                           "community_code": community_code})
            return self._org(self._row(op, oid))

    # ------------------------------------------------------------------ one step

    def _transition(self, actor: Actor, org_id: str, event: OrgEvent, action: Action, *,
                    note: str = "", at: dt.datetime | None = None,
                    rules: Callable[[Operation, Any], object] | None = None,
                    check: Callable[[Operation, Any, dt.date], dict[str, Any]] | None = None
                    ) -> SocialOrganization:
        """One transition: ask the hooks (``rules``) before the write, then in one transaction
        lock the row, check the permission, the lifecycle and ``check`` (which returns the
        changes), and record the step."""
        def gather(op: Operation) -> None:
            if rules is not None:
                rules(op, self._row(op, org_id))

        with self._hooks_first(actor, f"orgs.{event.value}", gather), \
                self._write(actor, f"orgs.{event.value}") as op:
            row = self._row(op, org_id, lock=True)
            op.require(action, self._target(row))
            next_stage(OrgStage(row.stage), event)
            when = self._when(op, at, row.updated_at)
            changes = check(op, row, self._local(when)) if check is not None else {}
            return self._org(self._step(op, row, event, when, note=note, **changes))

    def incubate(self, actor: Actor, org_id: str, incubator_id: str, *, note: str = "",
                 at: dt.datetime | None = None) -> SocialOrganization:
        """Place a proposed organization with an incubator (入驻孵化): it is kept under the
        incubator until admission (出壳).

        Raises:
            InvalidTransition: it is not proposed.
            ValidationError: the incubator is not an active incubator organization.
        """
        def check(op: Operation, row: Any, day: dt.date) -> dict[str, Any]:
            inc = op.uow.conn.execute(sa.select(ot.social_orgs).where(
                ot.social_orgs.c.id == incubator_id)).first()
            if inc is None:
                raise NotFound("incubator", incubator_id, "register the incubator first "
                               "(gov.orgs.register with kind='incubator')")
            if inc.kind != OrgKind.INCUBATOR.value or inc.stage != OrgStage.ACTIVE.value:
                raise ValidationError(
                    f"{incubator_id} is a {OrgKind(inc.kind).chinese} organization in stage "
                    f"{OrgStage(inc.stage).chinese}; only an active incubator (孵化机构) "
                    "incubates: choose one", path="incubator_id")
            return {"incubator_id": incubator_id}

        return self._transition(actor, org_id, OrgEvent.INCUBATE, ORG_MANAGE, note=note, at=at,
                                check=check)

    # ------------------------------------------------------------------ requirements met

    def _record(self, actor: Actor, org_id: str, kind: str, code: str,
                stages: Iterable[OrgStage], rules: Callable[[str, str], list[Requirement]],
                action: Action, note: str, at: dt.datetime | None) -> list[str]:
        stages = frozenset(stages)

        def gather(op: Operation) -> None:
            row = self._row(op, org_id)
            rules(row.community_code, row.kind)

        with self._hooks_first(actor, f"orgs.{kind}", gather), \
                self._write(actor, f"orgs.{kind}") as op:
            row = self._row(op, org_id, lock=True)
            op.require(action, self._target(row))
            stage = OrgStage(row.stage)
            if stage not in stages:
                raise InvalidTransition(
                    f"a {kind} is recorded for an organization "
                    f"{' or '.join(sorted(s.value for s in stages))}; {org_id} is "
                    f"{stage.chinese} ({stage.value})")
            listed = rules(row.community_code, row.kind)
            if code not in {r.code for r in listed}:
                raise ValidationError(
                    f"{code!r} is not a {kind} of {row.community_code}'s rules; use one of "
                    f"{', '.join(f'{r.code} ({r.name})' for r in listed)}", path="code")
            when = self._when(op, at)
            try:
                with op.uow.conn.begin_nested():
                    op.uow.conn.execute(ot.social_org_records.insert().values(
                        org_id=org_id, kind=kind, code=code, day=self._local(when),
                        actor=str(op.actor), at=when, note=note.strip()))
            except IntegrityError:
                raise ConflictError(f"the {kind} {code!r} of {org_id} is recorded already") \
                    from None
            op.touch("social_org", org_id)
            op.detail[kind] = code
            return sorted(self._done(op, org_id, kind))

    def milestone(self, actor: Actor, org_id: str, code: str, *, note: str = "",
                  at: dt.datetime | None = None) -> list[str]:
        """Record an incubation milestone reached (孵化节点), e.g. ``charter``.

        Returns:
            The codes of every milestone reached so far.

        Raises:
            InvalidTransition: the organization is not incubating.
            ValidationError: the code is not a milestone of the place.
            ConflictError: it is recorded already.
        """
        return self._record(actor, org_id, MILESTONE, code, {OrgStage.INCUBATING},
                            self.milestones, ORG_MANAGE, note, at)

    def submit_document(self, actor: Actor, org_id: str, code: str, *, note: str = "",
                        at: dt.datetime | None = None) -> list[str]:
        """Record a document submitted for the admission review (准入材料), e.g. ``charter``.

        Returns:
            The codes of every document submitted so far.
        """
        return self._record(actor, org_id, DOCUMENT, code,
                            {OrgStage.INCUBATING, OrgStage.UNDER_REVIEW},
                            lambda c, k: list(self.admission(c, k).documents), ORG_MANAGE,
                            note, at)

    def check_item(self, actor: Actor, org_id: str, code: str, *, note: str = "",
                   at: dt.datetime | None = None) -> list[str]:
        """Tick an item of the standardisation checklist (标准化建设), e.g.
        ``formal_structure``.

        Returns:
            The codes of every item ticked so far.
        """
        return self._record(actor, org_id, CHECKLIST, code, {OrgStage.ADMITTED},
                            self.checklist, ORG_MANAGE, note, at)

    # ------------------------------------------------------------------ review and admission

    def submit_review(self, actor: Actor, org_id: str, *, note: str = "",
                      at: dt.datetime | None = None) -> SocialOrganization:
        """Submit an incubating organization for admission review (提交准入资格审查).

        Raises:
            InvalidTransition: it is not incubating.
            ValidationError: a milestone is missing (named, with the fix).
        """
        def check(op: Operation, row: Any, day: dt.date) -> dict[str, Any]:
            lacking = missing(self.milestones(row.community_code, row.kind),
                              self._done(op, row.id, MILESTONE))
            if lacking:
                raise ValidationError(
                    f"{row.id} has not reached the incubation milestones "
                    f"{', '.join(f'{r.code} ({r.name})' for r in lacking)}; record them "
                    "(cgov orgs milestone) before the review", path="milestones")
            return {}

        return self._transition(actor, org_id, OrgEvent.SUBMIT_REVIEW, ORG_MANAGE, note=note,
                                at=at, check=check,
                                rules=lambda op, r: self.milestones(r.community_code, r.kind))

    def return_to_incubation(self, actor: Actor, org_id: str, *, reason: str,
                             at: dt.datetime | None = None) -> SocialOrganization:
        """Return an organization under review to incubation (退回孵化), with the reasons."""
        reason = _text(reason, "reason")
        return self._transition(actor, org_id, OrgEvent.RETURN, ORG_DECIDE, note=reason, at=at)

    def admit(self, actor: Actor, org_id: str, *, note: str = "",
              at: dt.datetime | None = None) -> SocialOrganization:
        """Admit an organization under review (准入): it is registered and leaves its
        incubator (出壳).

        Raises:
            InvalidTransition: it is not under review.
            ValidationError: a required document is missing, or it has too few members or
                full-time staff (each named, with the fix).
        """
        def check(op: Operation, row: Any, day: dt.date) -> dict[str, Any]:
            rules = self.admission(row.community_code, row.kind)
            problems = []
            lacking = missing(rules.documents, self._done(op, row.id, DOCUMENT))
            if lacking:
                problems.append(
                    "the required documents " + ", ".join(f"{r.code} ({r.name})" for r in lacking)
                    + " are missing: submit them (cgov orgs document)")
            if row.members < rules.min_members:
                problems.append(f"it has {row.members} members, fewer than the "
                                f"{rules.min_members} required")
            s = ot.social_org_staff
            full = int(op.uow.conn.execute(sa.select(sa.func.count()).where(
                s.c.org_id == row.id, s.c.full_time.is_(True), s.c.joined_on <= day,
                sa.or_(s.c.left_on.is_(None), s.c.left_on >= day))).scalar_one())
            if full < rules.min_full_time_staff:
                problems.append(f"it has {full} full-time staff, fewer than the "
                                f"{rules.min_full_time_staff} required: add them "
                                "(cgov orgs staff add --full-time)")
            if problems:
                raise ValidationError(f"{row.id} cannot be admitted: " + "; ".join(problems),
                                      path="admission")
            return {"registered": True, "hatched_on": day if row.incubator_id else None}

        return self._transition(actor, org_id, OrgEvent.ADMIT, ORG_DECIDE, note=note, at=at,
                                check=check,
                                rules=lambda op, r: self.admission(r.community_code, r.kind))

    def standardise(self, actor: Actor, org_id: str, *, note: str = "",
                    at: dt.datetime | None = None) -> SocialOrganization:
        """Accept an admitted organization's standardisation (标准化建设验收).

        Raises:
            InvalidTransition: it is not admitted.
            ValidationError: an item of the checklist is not ticked (named).
        """
        def check(op: Operation, row: Any, day: dt.date) -> dict[str, Any]:
            lacking = missing(self.checklist(row.community_code, row.kind),
                              self._done(op, row.id, CHECKLIST))
            if lacking:
                raise ValidationError(
                    f"{row.id} does not meet the standardisation items "
                    f"{', '.join(f'{r.code} ({r.name})' for r in lacking)}; tick them "
                    "(cgov orgs check) when they are met", path="checklist")
            return {}

        return self._transition(actor, org_id, OrgEvent.STANDARDISE, ORG_DECIDE, note=note,
                                at=at, check=check,
                                rules=lambda op, r: self.checklist(r.community_code, r.kind))

    def activate(self, actor: Actor, org_id: str, *, note: str = "",
                 at: dt.datetime | None = None) -> SocialOrganization:
        """Let a standardised organization start its services (开展服务); it may then bid."""
        return self._transition(actor, org_id, OrgEvent.ACTIVATE, ORG_DECIDE, note=note, at=at)

    # ------------------------------------------------------------------ ending and the way back

    def suspend(self, actor: Actor, org_id: str, *, reason: str,
                at: dt.datetime | None = None) -> SocialOrganization:
        """Suspend an active or supervised organization (暂停活动), with the reason."""
        reason = _text(reason, "reason")
        return self._transition(actor, org_id, OrgEvent.SUSPEND, ORG_DECIDE, note=reason, at=at)

    def reinstate(self, actor: Actor, org_id: str, *, note: str = "",
                  at: dt.datetime | None = None) -> SocialOrganization:
        """Reinstate a suspended organization (恢复活动) once every finding is rectified.

        Raises:
            InvalidTransition: it is not suspended.
            ValidationError: a finding is still open (named).
        """
        def check(op: Operation, row: Any, day: dt.date) -> dict[str, Any]:
            f = ot.social_org_findings
            open_ids = list(op.uow.conn.execute(sa.select(f.c.id).where(
                f.c.org_id == row.id, f.c.rectified_on.is_(None)).order_by(f.c.id)).scalars())
            if open_ids:
                raise ValidationError(
                    f"{row.id} still has open findings {open_ids}; rectify them "
                    "(cgov orgs rectify) before reinstating it", path="findings")
            return {}

        return self._transition(actor, org_id, OrgEvent.REINSTATE, ORG_DECIDE, note=note, at=at,
                                check=check)

    def deregister(self, actor: Actor, org_id: str, *, reason: str,
                   at: dt.datetime | None = None) -> SocialOrganization:
        """Deregister an organization (注销); final: a deregistered one is proposed anew."""
        reason = _text(reason, "reason")
        return self._transition(actor, org_id, OrgEvent.DEREGISTER, ORG_DECIDE, note=reason,
                                at=at)

    # ------------------------------------------------------------------ reading

    def get(self, actor: Actor, org_id: str) -> SocialOrganization:
        """One organization.

        Raises:
            NotFound: no such organization, or it is outside the actor's scope.
        """
        with self._read(actor, "orgs.get") as op:
            row = self._row(op, org_id)
            if not op.visible(ORG_READ, self._target(row)):
                raise NotFound("social organization", org_id)
            return self._org(row)

    def list_orgs(self, actor: Actor, *, within: str | None = None,
                  stage: OrgStage | str | None = None, kind: OrgKind | str | None = None,
                  incubator_id: str | None = None) -> list[SocialOrganization]:
        """Organizations in the actor's scope, by community and key.

        Args:
            actor: who reads.
            within: a unit code prefix (sub-district or community).
            stage: only this stage.
            kind: only this kind.
            incubator_id: only those placed with this incubator.
        """
        o = ot.social_orgs
        with self._read(actor, "orgs.list") as op:
            q = sa.select(o).where(scope_clause(op.scope(ORG_READ), unit=o.c.community_code))
            if within:
                q = q.where(o.c.community_code.startswith(within, autoescape=True))
            if stage is not None:
                q = q.where(o.c.stage == OrgStage(stage).value)
            if kind is not None:
                q = q.where(o.c.kind == OrgKind(kind).value)
            if incubator_id is not None:
                q = q.where(o.c.incubator_id == incubator_id)
            rows = op.uow.conn.execute(q.order_by(o.c.community_code, o.c.id)).all()
        return [self._org(r) for r in rows]

    def history(self, actor: Actor, org_id: str) -> list[OrgTransition]:
        """Every recorded step of an organization, in order (流转记录)."""
        tr = ot.social_org_transitions
        with self._read(actor, "orgs.history") as op:
            row = self._row(op, org_id)
            if not op.visible(ORG_READ, self._target(row)):
                raise NotFound("social organization", org_id)
            rows = op.uow.conn.execute(sa.select(tr).where(tr.c.org_id == org_id)
                                       .order_by(tr.c.seq)).all()
        return [OrgTransition(
            org_id=r.org_id, seq=r.seq, event=OrgEvent(r.event),
            from_stage=OrgStage(r.from_stage) if r.from_stage else None,
            to_stage=OrgStage(r.to_stage), actor=r.actor, at=r.at, day=r.day,
            note=mask_personal_numbers(r.note)) for r in rows]

    def progress(self, actor: Actor, org_id: str) -> dict[str, dict[str, list[str]]]:
        """What an organization has met of its place's rules: per list (``milestones``,
        ``documents``, ``checklist``), the codes ``done`` and ``missing``."""
        with self._read(actor, "orgs.progress") as op:
            row = self._row(op, org_id)
            if not op.visible(ORG_READ, self._target(row)):
                raise NotFound("social organization", org_id)
            done = {k: self._done(op, org_id, k) for k in (MILESTONE, DOCUMENT, CHECKLIST)}
        lists = {
            "milestones": (self.milestones(row.community_code, row.kind), done[MILESTONE]),
            "documents": (list(self.admission(row.community_code, row.kind).documents),
                          done[DOCUMENT]),
            "checklist": (self.checklist(row.community_code, row.kind), done[CHECKLIST]),
        }
        return {name: {"done": [r.code for r in reqs if r.code in have],
                       "missing": [r.code for r in missing(reqs, have)]}
                for name, (reqs, have) in lists.items()}


class _Key:
    """The two fields :meth:`OrgsBase._target` reads, before the row exists."""

    def __init__(self, oid: str, community_code: str) -> None:
        self.id = oid
        self.community_code = community_code
