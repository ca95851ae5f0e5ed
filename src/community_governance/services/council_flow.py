"""A council decision's way to completion (决议落实): referred, without retyping, to a case
(事务, :mod:`community_governance.services.cases`), a disbursement request (支出申请,
:mod:`community_governance.services.funds`) and the community-affairs board (社区事务公开,
:mod:`community_governance.services.affairs`), each in the same transaction as its link; its
progress read from those records; and recorded done once every case is resolved and every
disbursement paid. Decisions of joint meetings (联席会议) go the same way.

Part of :class:`~community_governance.services.council.CouncilService` (``gov.council``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pendulum
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain.access import Action, Actor, Target
from community_governance.domain.cases import Case, CaseStatus
from community_governance.domain.council import (
    Decision,
    DecisionLink,
    DecisionProgress,
    LinkKind,
    follow_status,
)
from community_governance.domain.funds import Disbursement, DisbursementState, positive_money
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.services.base import Operation, Service
from community_governance.storage.tables import cases as ct
from community_governance.storage.tables import core as t
from community_governance.storage.tables import funds as ft
from community_governance.storage.tables import party as pt

if TYPE_CHECKING:
    from community_governance.services.affairs import Posting
    from community_governance.services.context import Context

__all__ = ["ReferralsMixin"]

_CASE_DONE = frozenset({CaseStatus.RESOLVED.value, CaseStatus.CLOSED.value})


class ReferralsMixin:
    """Referrals and progress of decisions, for ``gov.council``."""

    _gov: Context
    _svc: Service

    def _write_action(self) -> Action:
        from community_governance.services.council import COUNCIL_WRITE

        return COUNCIL_WRITE

    def _decision_for(self, op: Operation, decision_id: str) -> Any:
        row = op.uow.conn.execute(
            sa.select(pt.council_decisions, pt.council_motions.c.title)
            .join(pt.council_motions,
                  pt.council_motions.c.id == pt.council_decisions.c.motion_id)
            .where(pt.council_decisions.c.id == decision_id)).first()
        if row is None:
            raise NotFound("decision", decision_id)
        op.require(self._write_action(), Target("council", row.community_code,
                                                unit_code=row.community_code))
        return row

    @staticmethod
    def _link(op: Operation, decision_id: str, kind: LinkKind, ref: str) -> None:
        try:
            with op.uow.conn.begin_nested():
                op.uow.conn.execute(pt.council_decision_links.insert().values(
                    decision_id=decision_id, kind=kind.value, ref=ref, linked_on=op.today))
        except IntegrityError:
            raise ConflictError(f"decision {decision_id} is linked to {kind.value} {ref} "
                                "already") from None
        op.touch("council_decision", decision_id)

    @staticmethod
    def _open(row: Any) -> None:
        if row.completed_on is not None:
            raise ConflictError(f"decision {row.id} was done on {row.completed_on}: refer an "
                                "open decision")

    def _disclose(self, op: Operation, decision_id: str, posting_id: str | None,
                  days: int) -> None:
        if posting_id is not None:
            from community_governance.services.affairs import AffairsService

            AffairsService(self._gov)._post_decision(op, posting_id, decision_id, days)

    def refer_to_case(self, actor: Actor, decision_id: str, *, category: str,
                      building_code: str, channel: str = "walk_in",
                      posting_id: str | None = None, days: int = 7) -> Case:
        """Refer a decision to a case (转办为事务) at a building of the community: the case's
        description is the decision's (its motion and summary), its source the decision; the
        route and the deadline come from the place's case rules. With ``posting_id``, the
        decision is posted on the community-affairs board in the same transaction.

        Raises:
            NotFound: no such decision or building.
            ValidationError: the building lies in another community; an unknown category.
            ConflictError: the decision is done already.
            PluginError: a route, deadline or calendar hook broke; nothing is written.
            PermissionDenied: the actor may not run the council or report the case.
        """
        from community_governance.services.cases import CasesService

        cases = CasesService(self._gov)

        def rules(op: Operation) -> None:
            cases._report_rules(op, category, building_code, None)

        with cases._hooks_first(actor, "council.refer_to_case", rules), \
                self._svc._write(actor, "council.refer_to_case") as op:
            d = self._decision_for(op, decision_id)
            self._open(d)
            home = op.uow.conn.execute(sa.select(t.buildings.c.community_code).where(
                t.buildings.c.code == building_code)).scalar_one_or_none()
            if home is not None and home != d.community_code:
                raise ValidationError(f"building {building_code} is in {home}; decision "
                                      f"{decision_id} is {d.community_code}'s",
                                      path="building_code")
            row = cases._report(
                op, category=category, building_code=building_code,
                description=f"协商议事会决议：{d.summary}（议题：{d.title}；办结时限{d.due}）",
                channel=channel, household_id=None, reporter_id=None, reporter_name=None,
                reporter_phone=None, lat=None, long=None, media_url=None, case_id=None,
                at=None, source=f"council_decision:{decision_id}")
            self._link(op, decision_id, LinkKind.CASE, row.id)
            self._disclose(op, decision_id, posting_id, days)
            return cases._case(row)

    def refer_to_funds(self, actor: Actor, decision_id: str, *, account: str,
                       amount: object, payee: str, posting_id: str | None = None,
                       days: int = 7) -> Disbursement:
        """Refer a decision to a disbursement request (支出申请) on one of the community's
        expense accounts: its purpose is the decision's; the approvals come from the place's
        funds rules; the request's idempotency key is ``council:<decision>``, so a decision
        asks for money once. With ``posting_id``, the decision is posted in the same
        transaction.

        Raises:
            NotFound: no such decision.
            ValidationError: a bad amount, account or payee.
            InsufficientBalance: beyond the budget and the rules refuse it.
            ConflictError: the decision is done, or has a disbursement request already.
            PluginError: a funds hook broke; nothing is written.
            PermissionDenied: the actor may not run the council or request disbursements.
        """
        from community_governance.services.funds import FundsService
        from community_governance.services.funds.common import _fingerprint

        value = positive_money(amount)
        funds = FundsService(self._gov)
        with self._svc._read(actor, "council.refer_to_funds") as op:
            d = self._decision_for(op, decision_id)
        purpose = f"协商议事会决议：{d.summary}"
        key = f"council:{decision_id}"
        fp = _fingerprint("request", d.community_code, account, str(value), payee, purpose,
                          "None")
        with funds._hooks_first(actor, "council.refer_to_funds", lambda op: funds._request(
                op, d.community_code, account, value, payee, purpose, None, key, fp,
                dry=True)), self._svc._write(actor, "council.refer_to_funds") as op:
            d = self._decision_for(op, decision_id)
            self._open(d)
            got = funds._request(op, d.community_code, account, value, payee, purpose,
                                 None, key, fp)
            assert got is not None
            if "replayed" in op.detail:
                raise ConflictError(f"decision {decision_id} has disbursement request "
                                    f"#{got.id} already")
            self._link(op, decision_id, LinkKind.DISBURSEMENT, str(got.id))
            self._disclose(op, decision_id, posting_id, days)
            return got

    def disclose(self, actor: Actor, decision_id: str, posting_id: str, *,
                 days: int = 7) -> Posting:
        """Post a decision on the community-affairs board (决议公开), linked to it."""
        from community_governance.services.affairs import AffairsService

        with self._svc._write(actor, "council.disclose") as op:
            self._decision_for(op, decision_id)
            return AffairsService(self._gov)._post_decision(op, posting_id, decision_id, days)

    # ------------------------------------------------------------------ progress

    def _local(self, when: dt.datetime | None) -> dt.date | None:
        if when is None:
            return None
        return pendulum.instance(when).in_timezone(self._gov.timezone).date()

    def _progress(self, op: Operation, d: Any) -> DecisionProgress:
        conn = op.uow.conn
        lk = pt.council_decision_links.c
        rows = conn.execute(sa.select(pt.council_decision_links).where(
            lk.decision_id == d.id).order_by(lk.linked_on, lk.kind, lk.ref)).all()
        links: list[DecisionLink] = []
        for r in rows:
            kind = LinkKind(r.kind)
            if kind is LinkKind.CASE:
                c = conn.execute(sa.select(ct.cases.c.status, ct.cases.c.resolved_at,
                                           ct.cases.c.closed_at).where(
                    ct.cases.c.id == r.ref)).first()
                done = c is not None and c.status in _CASE_DONE
                links.append(DecisionLink(kind, r.ref, c.status if c else "missing", done,
                                          self._local(c.resolved_at or c.closed_at)
                                          if done and c else None))
            elif kind is LinkKind.DISBURSEMENT:
                b = conn.execute(
                    sa.select(ft.funds_disbursements.c.state, ft.funds_transactions.c.date)
                    .outerjoin(ft.funds_transactions, ft.funds_transactions.c.id
                               == ft.funds_disbursements.c.transaction_id)
                    .where(ft.funds_disbursements.c.id == int(r.ref))).first()
                paid = b is not None and b.state == DisbursementState.PAID.value
                links.append(DecisionLink(kind, r.ref, b.state if b else "missing", paid,
                                          b.date if paid and b else None))
            else:
                p = conn.execute(sa.select(pt.affairs_postings.c.posted_on).where(
                    pt.affairs_postings.c.id == r.ref)).scalar_one_or_none()
                links.append(DecisionLink(kind, r.ref, "posted", p is not None, p))
        work = [x for x in links if x.kind is not LinkKind.POSTING]
        ready = (max((x.done_on for x in work if x.done_on), default=None)
                 if work and all(x.done for x in work) else None)
        decision = Decision(d.id, d.motion_id, d.community_code, d.summary, d.owner,
                            d.decided_on, d.due, d.completed_on)
        return DecisionProgress(decision, tuple(links),
                                follow_status(d.due, d.completed_on, op.today), ready)

    def progress(self, actor: Actor, decision_id: str) -> DecisionProgress:
        """A decision with the cases, disbursements and postings it was referred to, where
        each stands, its status today (open, done, late) and the day its work was finished
        (when every case is resolved and every disbursement paid).

        Raises:
            NotFound: no such decision.
            PermissionDenied: the actor may not run the community's council.
        """
        with self._svc._read(actor, "council.progress") as op:
            return self._progress(op, self._decision_for(op, decision_id))

    def follow_up(self, actor: Actor, community: str) -> list[DecisionProgress]:
        """Record done (办结) every open decision of a community whose referred cases are all
        resolved and whose disbursements are all paid, on the day the last of them was
        finished (never before the decision). One transaction; returns those recorded.

        Raises:
            PermissionDenied: the actor may not run the community's council.
        """
        d = pt.council_decisions.c
        out = []
        with self._svc._write(actor, "council.follow_up") as op:
            op.require(self._write_action(), Target("council", community,
                                                    unit_code=community))
            rows = op.uow.conn.execute(sa.select(pt.council_decisions).where(
                d.community_code == community, d.completed_on.is_(None)).order_by(
                d.due, d.id)).all()
            for r in rows:
                p = self._progress(op, r)
                if p.ready_on is None:
                    continue
                on = min(max(p.ready_on, r.decided_on), op.today)
                op.uow.conn.execute(pt.council_decisions.update().where(
                    d.id == r.id, d.completed_on.is_(None)).values(completed_on=on))
                op.touch("council_decision", r.id)
                done = Decision(r.id, r.motion_id, r.community_code, r.summary, r.owner,
                                r.decided_on, r.due, on)
                out.append(DecisionProgress(done, p.links,
                                            follow_status(r.due, on, op.today), p.ready_on))
            op.detail["completed"] = len(out)
        return out
