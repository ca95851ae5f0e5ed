"""Talent (人才) of social organizations: staff with roles, full- or part-time, recruited from
universities or not, their vocational training (职业能力培训) and its subsidies, paid through the
funds ledger (a disbursement on the training-subsidy account, with its approvals)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.cases import mask_name
from community_governance.domain.funds import format_cny, from_fen, to_fen, to_money
from community_governance.domain.orgs import CLOSED_STAGES, OrgStaff, OrgStage, StaffTraining
from community_governance.domain.pii_text import mask_personal_numbers
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.services.orgs.common import (
    ORG_MANAGE,
    ORG_READ,
    TRAINING_ACCOUNT,
    OrgsBase,
)
from community_governance.storage.tables import funds as ft
from community_governance.storage.tables import orgs as ot

_PAYABLE = ("approved", "paid")


def _staff(r: Any) -> OrgStaff:
    """A staff row as read back: the name masked (张*)."""
    return OrgStaff(id=r.id, org_id=r.org_id, name=mask_name(r.name) or "", role=r.role,
                    full_time=bool(r.full_time), from_university=bool(r.from_university),
                    person_id=r.person_id, joined_on=r.joined_on, left_on=r.left_on)


class TalentMixin(OrgsBase):
    """Staff and training part of the organizations service."""

    def add_staff(self, actor: Actor, org_id: str, *, name: str, role: str, full_time: bool,
                  joined_on: dt.date, from_university: bool = False,
                  person_id: str | None = None) -> OrgStaff:
        """Add a staff member to an organization (社会组织工作人员).

        Args:
            actor: the community office or above.
            org_id: the organization.
            name: the person's name (masked when read back).
            role: the role, e.g. ``社工``.
            full_time: full-time (专职) or part-time (兼职).
            joined_on: the first day.
            from_university: recruited from a university (高校选聘).
            person_id: the person's key in the registry, if any (cases they resolve count as
                the organization's evidence).

        Raises:
            ValidationError: an empty name or role.
            InvalidTransition: the organization is deregistered.
        """
        name, role = (name or "").strip(), (role or "").strip()
        if not name or not role:
            raise ValidationError("a staff member needs a name and a role", path="name")
        if not isinstance(joined_on, dt.date):
            raise ValidationError("joined_on must be a date", path="joined_on")
        with self._write(actor, "orgs.add_staff") as op:
            row = self._row(op, org_id, lock=True)
            op.require(ORG_MANAGE, self._target(row))
            if OrgStage(row.stage) in CLOSED_STAGES:
                raise ValidationError(f"{org_id} is deregistered; it takes no staff",
                                      path="org_id")
            res = op.uow.conn.execute(ot.social_org_staff.insert().values(
                org_id=org_id, name=name, role=role[:60], full_time=bool(full_time),
                from_university=bool(from_university), person_id=person_id,
                joined_on=joined_on, left_on=None))
            sid = int(res.inserted_primary_key[0])  # type: ignore[index]
            op.touch("social_org_staff", sid)
            got = op.uow.conn.execute(sa.select(ot.social_org_staff).where(
                ot.social_org_staff.c.id == sid)).one()
            return _staff(got)

    def staff_leaves(self, actor: Actor, staff_id: int, *, left_on: dt.date) -> OrgStaff:
        """Record the last day of a staff member.

        Raises:
            NotFound: no such staff member.
            ConflictError: they left already.
            ValidationError: the day is before they joined.
        """
        s = ot.social_org_staff
        with self._write(actor, "orgs.staff_leaves") as op:
            r = op.uow.conn.execute(sa.select(s).where(s.c.id == staff_id)).first()
            if r is None:
                raise NotFound("staff member", staff_id)
            op.require(ORG_MANAGE, self._target(self._row(op, r.org_id)))
            if r.left_on is not None:
                raise ConflictError(f"staff member {staff_id} left on {r.left_on}")
            if left_on < r.joined_on:
                raise ValidationError(f"left_on {left_on} is before they joined "
                                      f"({r.joined_on})", path="left_on")
            op.uow.conn.execute(s.update().where(s.c.id == staff_id).values(left_on=left_on))
            op.touch("social_org_staff", staff_id)
            return _staff(op.uow.conn.execute(sa.select(s).where(s.c.id == staff_id)).one())

    def staff(self, actor: Actor, org_id: str) -> list[OrgStaff]:
        """An organization's staff, names masked (张*)."""
        s = ot.social_org_staff
        with self._read(actor, "orgs.staff") as op:
            row = self._row(op, org_id)
            if not op.visible(ORG_READ, self._target(row)):
                raise NotFound("social organization", org_id)
            rows = op.uow.conn.execute(sa.select(s).where(s.c.org_id == org_id)
                                       .order_by(s.c.id)).all()
        return [_staff(r) for r in rows]

    def record_training(self, actor: Actor, staff_id: int, *, title: str, on: dt.date,
                        hours: int, subsidy: object = "0",
                        disbursement_id: int | None = None) -> StaffTraining:
        """Record a vocational training (职业能力培训) of a staff member, and link the
        subsidy paying it.

        A subsidy is paid through the funds ledger: request it with ``gov.funds.request`` on
        account 5106 (社会组织人才培训补贴) of the organization's community, payee the
        organization, and have it approved; then name it here. The link is checked: the
        community, account, amount and payee must match, and it must be approved or paid.

        Raises:
            NotFound: no such staff member or disbursement.
            ValidationError: bad hours or title, a subsidy without its disbursement, or a
                disbursement that does not match (named).
            ConflictError: the disbursement pays another training already.
        """
        title = (title or "").strip()
        if not title:
            raise ValidationError("name the course", path="title")
        if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 2000:
            raise ValidationError(f"hours must be 1-2000, got {hours!r}", path="hours")
        amount = to_money(subsidy, path="subsidy")
        if amount < 0:
            raise ValidationError("a subsidy is not negative", path="subsidy")
        if amount > 0 and disbursement_id is None:
            raise ValidationError(
                f"a subsidy of {format_cny(amount)} is paid through the funds ledger: request "
                f"it on account {TRAINING_ACCOUNT} (gov.funds.request / cgov funds request), "
                "then pass its disbursement_id", path="disbursement_id")
        s, tr, d = ot.social_org_staff, ot.social_org_trainings, ft.funds_disbursements
        with self._write(actor, "orgs.record_training") as op:
            conn = op.uow.conn
            r = conn.execute(sa.select(s).where(s.c.id == staff_id)).first()
            if r is None:
                raise NotFound("staff member", staff_id)
            org = self._row(op, r.org_id)
            op.require(ORG_MANAGE, self._target(org))
            if disbursement_id is not None:
                dr = conn.execute(sa.select(d).where(d.c.id == disbursement_id)).first()
                if dr is None:
                    raise NotFound("disbursement", disbursement_id)
                wrong = []
                if dr.community_code != org.community_code:
                    wrong.append(f"community {dr.community_code} ≠ {org.community_code}")
                if dr.account != TRAINING_ACCOUNT:
                    wrong.append(f"account {dr.account} ≠ {TRAINING_ACCOUNT}")
                if int(dr.amount_fen) != to_fen(amount):
                    wrong.append(f"amount {format_cny(from_fen(int(dr.amount_fen)))} ≠ "
                                 f"{format_cny(amount)}")
                if dr.payee != org.name:
                    wrong.append(f"payee {dr.payee} ≠ {org.name}")
                if dr.state not in _PAYABLE:
                    wrong.append(f"state {dr.state} (it must be approved or paid)")
                if wrong:
                    raise ValidationError(
                        f"disbursement #{disbursement_id} does not pay this training: "
                        + "; ".join(wrong) + "; request a matching one", path="disbursement_id")
                used = conn.execute(sa.select(tr.c.id).where(
                    tr.c.disbursement_id == disbursement_id)).first()
                if used is not None:
                    raise ConflictError(f"disbursement #{disbursement_id} pays training "
                                        f"#{used.id} already")
            res = conn.execute(tr.insert().values(
                staff_id=staff_id, title=title[:200], on=on, hours=hours,
                subsidy_fen=to_fen(amount), disbursement_id=disbursement_id))
            tid = int(res.inserted_primary_key[0])  # type: ignore[index]
            op.touch("social_org_training", tid)
            return StaffTraining(tid, staff_id, title[:200], on, hours, amount, disbursement_id)

    def trainings(self, actor: Actor, org_id: str) -> list[StaffTraining]:
        """The trainings of an organization's staff, oldest first."""
        s, tr = ot.social_org_staff, ot.social_org_trainings
        with self._read(actor, "orgs.trainings") as op:
            row = self._row(op, org_id)
            if not op.visible(ORG_READ, self._target(row)):
                raise NotFound("social organization", org_id)
            rows = op.uow.conn.execute(
                sa.select(tr).select_from(tr.join(s, s.c.id == tr.c.staff_id))
                .where(s.c.org_id == org_id).order_by(tr.c.on, tr.c.id)).all()
        return [StaffTraining(r.id, r.staff_id, mask_personal_numbers(r.title), r.on, r.hours,
                              from_fen(int(r.subsidy_fen)) if r.subsidy_fen else Decimal("0.00"),
                              r.disbursement_id) for r in rows]
