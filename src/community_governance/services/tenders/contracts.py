"""Contracts (合同), acceptance of deliverables (履约验收), payments through the funds ledger and
the performance evaluation (履约评价) of the purchase-of-services service; and reading."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.cases import mask_name
from community_governance.domain.funds import (
    Disbursement,
    DisbursementState,
    format_cny,
    from_fen,
    to_fen,
)
from community_governance.domain.orgs import BID_STAGES, OrgStage
from community_governance.domain.tenders import (
    Bid,
    Conflict,
    Contract,
    ContractStatus,
    Deliverable,
    Instalment,
    Lot,
    LotEvent,
    LotStatus,
    Need,
    PanelMember,
    PerformanceEvaluation,
    Project,
    Tender,
    TenderPayment,
    check_schedule,
    next_status,
)
from community_governance.errors import (
    ConflictError,
    InsufficientBalance,
    InvalidTransition,
    NotFound,
    ValidationError,
)
from community_governance.masking import mask_text
from community_governance.plugins import expect_post_kinds
from community_governance.services.base import Operation
from community_governance.services.funds.common import _fingerprint
from community_governance.services.tenders.common import (
    TENDER_DECIDE,
    TENDER_MANAGE,
    TENDER_READ,
    TendersBase,
    criteria_from,
    free_text,
    lot_from,
    rules_from,
    terms_from,
    terms_json,
)
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import funds as ft
from community_governance.storage.tables import orgs as ot
from community_governance.storage.tables import tenders as tt

__all__ = ["ContractsMixin"]

_LIVE_DISBURSEMENT = (DisbursementState.REQUESTED.value, DisbursementState.APPROVED.value,
                      DisbursementState.PAID.value)


class ContractsMixin(TendersBase):
    """Contracts, acceptance, payments, performance; reading needs, projects and tenders."""

    # ------------------------------------------------------------------ the contract

    def sign(self, actor: Actor, lot_id: int, *, start: dt.date, end: dt.date,
             deliverables: Sequence[Deliverable], instalments: Sequence[Instalment],
             contract_id: str | None = None) -> Contract:
        """Sign the contract of an awarded lot (签订合同) once its standstill period is over
        and no objection waits: the winning price, the term, the deliverables with their due
        dates (the milestones) and the payment schedule, each instalment released by the
        acceptance of a deliverable.

        Raises:
            ValidationError: inside the standstill period; a schedule that does not pay
                exactly the contract or names unknown deliverables; the project's contracts
                beyond its reserved budget; the contractor no longer active.
            InvalidTransition: the lot is not awarded (e.g. an objection waits).
        """
        key = contract_id or f"C-{secrets.token_hex(4).upper()}"
        with self._write(actor, "tenders.sign") as op:
            lot, _notice, proj = self._lot_context(op, lot_id, lock=True)
            op.require(TENDER_DECIDE, self._target(proj.community_code, "tender_lot", lot_id))
            next_status(LotStatus(lot.status), LotEvent.SIGN)
            if op.today <= lot.standstill_until:
                raise ValidationError(
                    f"lot {lot_id} is in its standstill period until {lot.standstill_until} "
                    f"(质疑期); sign on or after {lot.standstill_until + dt.timedelta(days=1)}",
                    path="signed_on")
            conn = op.uow.conn
            b, o = tt.tender_bids, tt.tender_openings
            win = conn.execute(sa.select(b.c.org_id, o.c.price_fen).select_from(
                b.join(o, o.c.bid_id == b.c.id)).where(b.c.id == lot.winner_bid_id)).one()
            org = self._one(op, ot.social_orgs, win.org_id, "social organization")
            if OrgStage(org.stage) not in BID_STAGES:
                raise ValidationError(
                    f"the winner {org.id} is {OrgStage(org.stage).chinese} now; only an active "
                    "organization signs: cancel the lot or wait for it to be reinstated",
                    path="lot_id")
            amount = from_fen(int(win.price_fen))
            check_schedule(amount, start, end, list(deliverables), list(instalments))
            c = tt.tender_contracts
            signed = int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(c.c.amount_fen), 0))
                                      .where(c.c.project_id == proj.id)).scalar_one())
            if signed + int(win.price_fen) > int(proj.budget_fen):
                raise InsufficientBalance(
                    f"project {proj.id} reserved {format_cny(from_fen(int(proj.budget_fen)))}; "
                    f"contracts of {format_cny(from_fen(signed))} and this one of "
                    f"{format_cny(amount)} would exceed it")
            if conn.execute(sa.select(c.c.id).where(c.c.id == key)).first() is not None:
                raise ConflictError(f"contract {key} exists already; choose another key")
            conn.execute(c.insert().values(
                id=key, lot_id=lot_id, project_id=proj.id, org_id=org.id,
                amount_fen=int(win.price_fen), signed_on=op.today, start=start, end=end,
                terms=terms_json(deliverables, instalments),
                status=ContractStatus.ACTIVE.value, actor=str(op.actor), at=op.now))
            self._step(op, lot, LotEvent.SIGN, note=f"合同 {key} {amount}")
            tp = tt.tender_projects
            conn.execute(tp.update().where(tp.c.id == proj.id).values(status="contracted"))
            op.touch("tender_contract", key)
            return self._contract(conn, key)

    def _contract(self, conn: sa.Connection, contract_id: str) -> Contract:
        c, o = tt.tender_contracts, ot.social_orgs
        row = conn.execute(sa.select(c, o.c.name.label("org_name")).select_from(
            c.join(o, o.c.id == c.c.org_id)).where(c.c.id == contract_id)).first()
        if row is None:
            raise NotFound("contract", contract_id, "list them with cgov tenders contracts")
        deliverables, instalments = terms_from(row.terms)
        a = tt.tender_acceptances
        accepted = dict(conn.execute(sa.select(a.c.deliverable, a.c.accepted_on).where(
            a.c.contract_id == contract_id)).all())
        return Contract(row.id, row.lot_id, row.project_id, row.org_id, row.org_name,
                        from_fen(int(row.amount_fen)), row.signed_on, row.start, row.end,
                        deliverables, instalments, accepted, ContractStatus(row.status))

    def _contract_row(self, op: Operation, contract_id: str) -> tuple[Contract, Any]:
        got = self._contract(op.uow.conn, contract_id)
        return got, self._project_row(op, got.project_id)

    # ------------------------------------------------------------------ acceptance

    def accept(self, actor: Actor, contract_id: str, deliverable: str, *,
               note: str = "") -> Contract:
        """Accept a deliverable of a contract (履约验收); its instalment may then be paid.

        Raises:
            ValidationError: the contract lists no such deliverable.
            ConflictError: it was accepted already.
            InvalidTransition: the contract is completed.
        """
        text = free_text(note, "note", required=False)
        with self._write(actor, "tenders.accept") as op:
            got, proj = self._contract_row(op, contract_id)
            op.require(TENDER_MANAGE, self._target(proj.community_code, "tender_contract",
                                                   contract_id))
            if got.status is not ContractStatus.ACTIVE:
                raise InvalidTransition(f"contract {contract_id} is {got.status.chinese}")
            codes = [d.code for d in got.deliverables]
            if deliverable not in codes:
                raise ValidationError(f"contract {contract_id} lists deliverables {codes}, not "
                                      f"{deliverable!r}", path="deliverable")
            if deliverable in got.accepted:
                raise ConflictError(f"{deliverable} of {contract_id} was accepted on "
                                    f"{got.accepted[deliverable]}")
            op.uow.conn.execute(tt.tender_acceptances.insert().values(
                contract_id=contract_id, deliverable=deliverable, accepted_on=op.today,
                note=text, actor=str(op.actor), at=op.now))
            op.touch("tender_contract", contract_id)
            op.detail["deliverable"] = deliverable
            return self._contract(op.uow.conn, contract_id)

    # ------------------------------------------------------------------ payments

    def request_payment(self, actor: Actor, contract_id: str, number: int, *,
                        on: dt.date | None = None) -> Disbursement:
        """Request an instalment of a contract as a disbursement of the funds ledger (合同付款),
        drawn on the project's reserved budget; the ledger's approvals then apply
        (``gov.funds.approve``) and ``gov.funds.pay`` pays it.

        Raises:
            ValidationError: no such instalment, or its deliverable is not accepted yet.
            ConflictError: the instalment was requested already (and not rejected).
            InsufficientBalance: it would take the contract's payments beyond the contract,
                or the draw beyond the project's reservation.
        """
        def rules(op: Operation) -> None:
            got, proj = self._contract_row(op, contract_id)
            amount = next((i.amount for i in got.instalments if i.number == number), None)
            if amount is not None:
                self._funds.chart(proj.community_code)
                self._hooks.first("cgov_funds_required_approvals", expect_post_kinds,
                                  place=proj.community_code,
                                  community_code=proj.community_code, account=proj.account,
                                  amount=amount)

        with self._hooks_first(actor, "tenders.request_payment", rules), \
                self._write(actor, "tenders.request_payment") as op:
            got, proj = self._contract_row(op, contract_id)
            op.require(TENDER_MANAGE, self._target(proj.community_code, "tender_contract",
                                                   contract_id))
            inst = next((i for i in got.instalments if i.number == number), None)
            if inst is None:
                raise ValidationError(f"contract {contract_id} has instalments "
                                      f"{[i.number for i in got.instalments]}, not {number}",
                                      path="number")
            if inst.deliverable not in got.accepted:
                raise ValidationError(
                    f"instalment {number} of {contract_id} is released by the acceptance of "
                    f"deliverable {inst.deliverable}, which is not accepted: accept it first "
                    "(cgov tenders accept); no payment without an accepted deliverable",
                    path="number")
            self._funds._lock(op, proj.community_code)
            conn = op.uow.conn
            pay, d = tt.tender_payments, ft.funds_disbursements
            live = conn.execute(sa.select(pay.c.number, d.c.amount_fen, d.c.id).select_from(
                pay.join(d, d.c.id == pay.c.disbursement_id)).where(
                pay.c.contract_id == contract_id, d.c.state.in_(_LIVE_DISBURSEMENT))).all()
            same = [r for r in live if r.number == number]
            if same:
                raise ConflictError(f"instalment {number} of {contract_id} is requested "
                                    f"already (disbursement #{same[0].id})")
            drawn = sum(int(r.amount_fen) for r in live)
            if drawn + to_fen(inst.amount) > to_fen(got.amount):
                raise InsufficientBalance(
                    f"contract {contract_id} is for {format_cny(got.amount)}; "
                    f"{format_cny(from_fen(drawn))} is requested or paid, and "
                    f"{format_cny(inst.amount)} more would go beyond the contract")
            purpose = f"政府购买服务合同 {contract_id} 第{number}期（{inst.deliverable} 已验收）"
            fp = _fingerprint("tender_payment", contract_id, number, str(inst.amount),
                              secrets.token_hex(4))
            disb = self._funds._request(op, proj.community_code, proj.account, inst.amount,
                                        got.org_name, purpose, on, None, fp,
                                        reservation_id=proj.reservation_id)
            assert disb is not None
            conn.execute(pay.insert().values(
                contract_id=contract_id, number=number, disbursement_id=disb.id,
                amount_fen=to_fen(inst.amount), deliverable=inst.deliverable,
                actor=str(op.actor), at=op.now))
            op.touch("tender_contract", contract_id)
            return disb

    def payments(self, actor: Actor, contract_id: str) -> list[TenderPayment]:
        """A contract's instalments requested through the funds ledger, with their states."""
        with self._read(actor, "tenders.payments") as op:
            _got, proj = self._contract_row(op, contract_id)
            if not op.visible(TENDER_READ, self._target(proj.community_code)):
                raise NotFound("contract", contract_id)
            return self._payments(op.uow.conn, [contract_id])

    @staticmethod
    def _payments(conn: sa.Connection, contract_ids: list[str]) -> list[TenderPayment]:
        pay, d = tt.tender_payments, ft.funds_disbursements
        return [TenderPayment(r.contract_id, r.number, from_fen(int(r.amount_fen)),
                              r.deliverable, r.disbursement_id, r.state)
                for r in conn.execute(sa.select(pay, d.c.state).select_from(
                    pay.join(d, d.c.id == pay.c.disbursement_id)).where(
                    pay.c.contract_id.in_(contract_ids)).order_by(pay.c.contract_id,
                                                                  pay.c.number, pay.c.id))]

    # ------------------------------------------------------------------ performance

    def evaluate(self, actor: Actor, contract_id: str, *, score: int,
                 evaluators: Sequence[str], note: str = "") -> PerformanceEvaluation:
        """Evaluate a contract's performance (履约评价), 0-100, once every deliverable is
        accepted; the contract is then completed. The score is evidence of the organization's
        own evaluation (indicator source ``performance``).

        Raises:
            ValidationError: a score outside 0-100, no evaluator, deliverables not accepted.
            ConflictError: it was evaluated already.
        """
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
            raise ValidationError(f"score must be a whole number 0-100, got {score!r}",
                                  path="score")
        names = [str(e).strip() for e in evaluators if str(e).strip()]
        if not names:
            raise ValidationError("name at least one evaluator", path="evaluators")
        text = free_text(note, "note", required=False)
        with self._write(actor, "tenders.evaluate") as op:
            got, proj = self._contract_row(op, contract_id)
            op.require(TENDER_DECIDE, self._target(proj.community_code, "tender_contract",
                                                   contract_id))
            if got.status is ContractStatus.COMPLETED:
                raise ConflictError(f"contract {contract_id} was evaluated already")
            waiting = [d.code for d in got.deliverables if d.code not in got.accepted]
            if waiting:
                raise ValidationError(f"deliverables {waiting} of {contract_id} are not "
                                      "accepted; the performance is evaluated after every "
                                      "acceptance", path="contract_id")
            conn = op.uow.conn
            conn.execute(tt.tender_performance.insert().values(
                contract_id=contract_id, org_id=got.org_id, score=score, on=op.today,
                evaluators=json.dumps(names, ensure_ascii=False), note=text,
                actor=str(op.actor), at=op.now))
            c = tt.tender_contracts
            conn.execute(c.update().where(c.c.id == contract_id).values(
                status=ContractStatus.COMPLETED.value))
            op.touch("tender_contract", contract_id)
            op.detail["score"] = score
            return PerformanceEvaluation(contract_id, got.org_id, score, op.today,
                                         tuple(names), mask_text(text))

    def close_project(self, actor: Actor, project_id: str) -> Project:
        """Close a project (项目结项): its reservation is released, so the part no contract
        payment drew returns to the budget.

        Raises:
            InvalidTransition: a lot is still live (open, opened, awarded, challenged) or a
                contract is not completed.
        """
        with self._write(actor, "tenders.close_project") as op:
            proj = self._project_row(op, project_id)
            op.require(TENDER_DECIDE, self._target(proj.community_code, "tender_project",
                                                   project_id))
            conn = op.uow.conn
            n, lt, c = tt.tender_notices, tt.tender_lots, tt.tender_contracts
            busy = conn.execute(sa.select(lt.c.id).select_from(
                lt.join(n, n.c.id == lt.c.tender_id)).where(
                n.c.project_id == project_id, lt.c.status.in_((
                    LotStatus.OPEN.value, LotStatus.OPENED.value, LotStatus.AWARDED.value,
                    LotStatus.CHALLENGED.value)))).first()
            active = conn.execute(sa.select(c.c.id).where(
                c.c.project_id == project_id,
                c.c.status == ContractStatus.ACTIVE.value)).first()
            what = (f"lot {busy.id} is live" if busy is not None else
                    f"contract {active.id} is not completed" if active is not None else None)
            if what is not None:
                raise InvalidTransition(f"project {project_id} cannot close: {what}; finish "
                                        "or cancel it first")
            self._funds._release(op, proj.reservation_id)
            tp = tt.tender_projects
            conn.execute(tp.update().where(tp.c.id == project_id).values(status="closed"))
            op.touch("tender_project", project_id)
            return self._project(self._project_row(op, project_id))

    # ------------------------------------------------------------------ reading

    @staticmethod
    def _project(row: Any) -> Project:
        return Project(row.id, row.need_id, row.community_code, row.title, row.category,
                       from_fen(int(row.budget_fen)), row.account, row.year,
                       row.reservation_id, row.status, row.created_on)

    def needs(self, actor: Actor, *, within: str | None = None) -> list[Need]:
        """Needs in the actor's scope, oldest first (descriptions masked)."""
        nd, p = tt.tender_needs, tt.tender_projects
        with self._read(actor, "tenders.needs") as op:
            q = (sa.select(nd, p.c.id.label("project_id")).select_from(
                nd.outerjoin(p, p.c.need_id == nd.c.id))
                .where(scope_clause(op.scope(TENDER_READ), unit=nd.c.unit_code)))
            if within:
                q = q.where(nd.c.unit_code.startswith(within, autoescape=True))
            rows = op.uow.conn.execute(q.order_by(nd.c.raised_on, nd.c.id)).all()
        return [Need(r.id, r.unit_code, r.title, r.category, mask_text(r.description),
                     from_fen(int(r.estimate_fen)), r.raised_on, r.project_id) for r in rows]

    def projects(self, actor: Actor, *, within: str | None = None) -> list[Project]:
        """Projects in the actor's scope, oldest first."""
        p = tt.tender_projects
        with self._read(actor, "tenders.projects") as op:
            q = sa.select(p).where(scope_clause(op.scope(TENDER_READ), unit=p.c.community_code))
            if within:
                q = q.where(p.c.community_code.startswith(within, autoescape=True))
            rows = op.uow.conn.execute(q.order_by(p.c.created_on, p.c.id)).all()
        return [self._project(r) for r in rows]

    def _tender(self, conn: sa.Connection, row: Any) -> Tender:
        lt = tt.tender_lots
        lots = tuple(lot_from(r) for r in conn.execute(
            sa.select(lt).where(lt.c.tender_id == row.id).order_by(lt.c.number)))
        return Tender(row.id, row.project_id, row.title, rules_from(row.rules),
                      criteria_from(row.criteria), row.published_on, row.deadline,
                      bool(row.deadline_provisional), lots)

    def tender(self, actor: Actor, tender_id: str) -> Tender:
        """A tender notice with its lots."""
        with self._read(actor, "tenders.tender") as op:
            row = self._notice_row(op, tender_id)
            proj = self._project_row(op, row.project_id)
            if not op.visible(TENDER_READ, self._target(proj.community_code)):
                raise NotFound("tender", tender_id)
            return self._tender(op.uow.conn, row)

    def tenders(self, actor: Actor, *, within: str | None = None) -> list[Tender]:
        """Tenders in the actor's scope, oldest first."""
        n, p = tt.tender_notices, tt.tender_projects
        with self._read(actor, "tenders.tenders") as op:
            q = (sa.select(n).select_from(n.join(p, p.c.id == n.c.project_id))
                 .where(scope_clause(op.scope(TENDER_READ), unit=p.c.community_code)))
            if within:
                q = q.where(p.c.community_code.startswith(within, autoescape=True))
            rows = op.uow.conn.execute(q.order_by(n.c.published_on, n.c.id)).all()
            return [self._tender(op.uow.conn, r) for r in rows]

    def lot(self, actor: Actor, lot_id: int) -> Lot:
        """A lot as it stands."""
        with self._read(actor, "tenders.lot") as op:
            lot, _, proj = self._lot_context(op, lot_id)
            if not op.visible(TENDER_READ, self._target(proj.community_code)):
                raise NotFound("lot", lot_id)
            return lot_from(lot)

    def bids(self, actor: Actor, lot_id: int) -> list[Bid]:
        """A lot's bids: before the opening only who bid, when, and the commitment; after it
        the price, the proposal (masked) and whether the bid matched its commitment."""
        b, o = tt.tender_bids, tt.tender_openings
        with self._read(actor, "tenders.bids") as op:
            _lot, _, proj = self._lot_context(op, lot_id)
            if not op.visible(TENDER_READ, self._target(proj.community_code)):
                raise NotFound("lot", lot_id)
            rows = op.uow.conn.execute(sa.select(b, o.c.valid, o.c.price_fen).select_from(
                b.outerjoin(o, o.c.bid_id == b.c.id)).where(b.c.lot_id == lot_id)
                .order_by(b.c.id)).all()
        out = []
        for r in rows:
            if r.valid is None:  # sealed
                out.append(Bid(r.id, r.lot_id, r.org_id, r.received_at, r.commitment))
                continue
            proposal = json.loads(r.sealed).get("proposal") if r.valid else None
            out.append(Bid(r.id, r.lot_id, r.org_id, r.received_at, r.commitment,
                           from_fen(int(r.price_fen)) if r.price_fen is not None else None,
                           mask_text(proposal) if proposal else None, bool(r.valid)))
        return out

    def panel(self, actor: Actor, tender_id: str) -> list[PanelMember]:
        """The scoring panel of a tender, names masked (张*)."""
        p = tt.tender_panel
        with self._read(actor, "tenders.panel") as op:
            notice = self._notice_row(op, tender_id)
            proj = self._project_row(op, notice.project_id)
            if not op.visible(TENDER_READ, self._target(proj.community_code)):
                raise NotFound("tender", tender_id)
            rows = op.uow.conn.execute(sa.select(p).where(p.c.tender_id == tender_id)
                                       .order_by(p.c.member_id)).all()
        return [PanelMember(r.tender_id, r.member_id, mask_name(r.name) or "",
                            tuple(x for x in r.declared.split(",") if x)) for r in rows]

    def conflicts(self, actor: Actor, tender_id: str) -> list[Conflict]:
        """The ties between the panel and the bidders of a tender: declared ones and those the
        records show (staff, volunteer team, household, party organization)."""
        b, lt = tt.tender_bids, tt.tender_lots
        with self._read(actor, "tenders.conflicts") as op:
            notice = self._notice_row(op, tender_id)
            proj = self._project_row(op, notice.project_id)
            op.require(TENDER_MANAGE, self._target(proj.community_code, "tender", tender_id))
            conn = op.uow.conn
            orgs = list(conn.execute(sa.select(b.c.org_id).select_from(
                b.join(lt, lt.c.id == b.c.lot_id)).where(lt.c.tender_id == tender_id)
                .distinct()).scalars())
            return self._conflicts(conn, self._panel(conn, tender_id), orgs, op.today)

    def contract(self, actor: Actor, contract_id: str) -> Contract:
        """A contract with its deliverables, schedule and acceptances."""
        with self._read(actor, "tenders.contract") as op:
            got, proj = self._contract_row(op, contract_id)
            if not op.visible(TENDER_READ, self._target(proj.community_code)):
                raise NotFound("contract", contract_id)
            return got

    def contracts(self, actor: Actor, *, within: str | None = None) -> list[Contract]:
        """Contracts in the actor's scope, oldest first."""
        c, p = tt.tender_contracts, tt.tender_projects
        with self._read(actor, "tenders.contracts") as op:
            q = (sa.select(c.c.id).select_from(c.join(p, p.c.id == c.c.project_id))
                 .where(scope_clause(op.scope(TENDER_READ), unit=p.c.community_code)))
            if within:
                q = q.where(p.c.community_code.startswith(within, autoescape=True))
            ids = list(op.uow.conn.execute(q.order_by(c.c.signed_on, c.c.id)).scalars())
            return [self._contract(op.uow.conn, i) for i in ids]

    def history(self, actor: Actor, lot_id: int) -> list[dict[str, Any]]:
        """A lot's transitions, oldest first (notes masked)."""
        tr = tt.tender_lot_transitions
        with self._read(actor, "tenders.history") as op:
            _, _, proj = self._lot_context(op, lot_id)
            if not op.visible(TENDER_READ, self._target(proj.community_code)):
                raise NotFound("lot", lot_id)
            rows = op.uow.conn.execute(sa.select(tr).where(tr.c.lot_id == lot_id)
                                       .order_by(tr.c.seq)).all()
        return [{"seq": r.seq, "event": r.event, "from": r.from_status, "to": r.to_status,
                 "day": r.day.isoformat(), "actor": r.actor, "note": mask_text(r.note)}
                for r in rows]

    def performance(self, actor: Actor, *, org_id: str | None = None
                    ) -> list[PerformanceEvaluation]:
        """Performance evaluations in the actor's scope, oldest first."""
        pf, c, p = tt.tender_performance, tt.tender_contracts, tt.tender_projects
        with self._read(actor, "tenders.performance") as op:
            q = (sa.select(pf).select_from(pf.join(c, c.c.id == pf.c.contract_id).join(
                p, p.c.id == c.c.project_id))
                .where(scope_clause(op.scope(TENDER_READ), unit=p.c.community_code)))
            if org_id is not None:
                q = q.where(pf.c.org_id == org_id)
            rows = op.uow.conn.execute(q.order_by(pf.c.on, pf.c.contract_id)).all()
        return [PerformanceEvaluation(r.contract_id, r.org_id, r.score, r.on,
                                      tuple(json.loads(r.evaluators)), mask_text(r.note))
                for r in rows]
