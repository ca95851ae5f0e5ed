"""The public side of the purchase of services: the disclosure of awards and contracts
(中标及合同公开: who, what, how much), redacted like the funds disclosure, and the published
bid commitments (投标承诺值)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.funds import DisbursementState, from_fen
from community_governance.domain.tenders import LotStatus, Procedure
from community_governance.errors import NotFound
from community_governance.masking import mask_text
from community_governance.services.tenders.common import (
    TENDER_DISCLOSE,
    TendersBase,
    criteria_from,
    rules_from,
    terms_from,
)
from community_governance.storage.tables import core as t
from community_governance.storage.tables import funds as ft
from community_governance.storage.tables import orgs as ot
from community_governance.storage.tables import tenders as tt

__all__ = ["PublicMixin"]


class PublicMixin(TendersBase):
    """The disclosure of awards and contracts and the published commitments."""

    def commitments(self, tender_id: str, *, actor: Actor | None = None) -> list[dict[str, Any]]:
        """The commitments of a tender's bids as published (投标承诺值公示): lot, the time a
        bid was received and its SHA-256 commitment; the bidder is named once the bids are
        opened. Anyone may read them and keep them, to check the opening against."""
        b, lt = tt.tender_bids, tt.tender_lots
        with self._read(actor or Actor.public(), "tenders.commitments") as op:
            notice = self._notice_row(op, tender_id)
            proj = self._project_row(op, notice.project_id)
            op.require(TENDER_DISCLOSE, self._target(proj.community_code))
            rows = op.uow.conn.execute(sa.select(b.c.id, b.c.org_id, b.c.received_at,
                                                 b.c.commitment, lt.c.number, lt.c.status)
                                       .select_from(b.join(lt, lt.c.id == b.c.lot_id))
                                       .where(lt.c.tender_id == tender_id)
                                       .order_by(lt.c.number, b.c.id)).all()
        return [{"lot": r.number, "bid": r.id, "received_at": r.received_at.isoformat(),
                 "commitment": r.commitment,
                 "bidder": None if r.status == LotStatus.OPEN.value else r.org_id}
                for r in rows]

    def disclosure_data(self, *, within: str, year: int | None = None,
                        actor: Actor | None = None) -> dict[str, Any]:
        """The disclosure of awards and contracts under a unit (a county, sub-district or
        community): for each awarded lot, who won, what, for how much, when the standstill
        period ends; for each contract its term, amount, what was paid through the funds
        ledger and the performance score. Anyone may read it. Nothing personal is shown: no
        panel member, no objection text, only organizations and public titles.

        Render it with :func:`community_governance.io.tenders.render_json` or
        ``render_text`` (Chinese or English).
        """
        n, lt, p = tt.tender_notices, tt.tender_lots, tt.tender_projects
        b, o, c = tt.tender_bids, tt.tender_openings, tt.tender_contracts
        with self._read(actor or Actor.public(), "tenders.disclosure") as op:
            op.require(TENDER_DISCLOSE, self._target(within))
            conn = op.uow.conn
            unit = conn.execute(sa.select(t.units.c.name).where(
                t.units.c.code == within)).scalar_one_or_none()
            if unit is None:
                raise NotFound("unit", within)
            q = (sa.select(lt, n.c.title.label("tender_title"), n.c.procedure,
                           n.c.published_on, n.c.rules, n.c.id.label("notice_id"),
                           p.c.title.label("project_title"), p.c.community_code,
                           p.c.category, p.c.budget_fen.label("project_budget_fen"))
                 .select_from(lt.join(n, n.c.id == lt.c.tender_id)
                              .join(p, p.c.id == n.c.project_id))
                 .where(p.c.community_code.startswith(within, autoescape=True),
                        lt.c.winner_bid_id.is_not(None)))
            if year is not None:
                q = q.where(p.c.year == year)
            rows = conn.execute(q.order_by(n.c.published_on, lt.c.tender_id,
                                           lt.c.number)).all()
            names = dict(conn.execute(sa.select(t.units.c.code, t.units.c.name)).all())
            awards = []
            for r in rows:
                win = conn.execute(sa.select(b.c.org_id, o.c.price_fen, ot.social_orgs.c.name,
                                             ot.social_orgs.c.kind).select_from(
                    b.join(o, o.c.bid_id == b.c.id).join(
                        ot.social_orgs, ot.social_orgs.c.id == b.c.org_id))
                    .where(b.c.id == r.winner_bid_id)).one()
                bids = int(conn.execute(sa.select(sa.func.count()).where(
                    b.c.lot_id == r.id)).scalar_one())
                contract = conn.execute(sa.select(c).where(c.c.lot_id == r.id)).first()
                entry: dict[str, Any] = {
                    "tender_id": r.notice_id, "tender_title": mask_text(r.tender_title),
                    "procedure": r.procedure, "procedure_zh": Procedure(r.procedure).chinese,
                    "project": mask_text(r.project_title), "category": r.category,
                    "purchaser": r.community_code, "purchaser_name": names.get(
                        r.community_code, ""),
                    "lot": r.number, "lot_title": mask_text(r.title),
                    "ceiling": str(from_fen(int(r.budget_fen))), "bids": bids,
                    "status": r.status, "status_zh": LotStatus(r.status).chinese,
                    "winner_id": win.org_id, "winner": win.name, "amount": str(from_fen(
                        int(win.price_fen))),
                    "awarded_on": r.awarded_on.isoformat() if r.awarded_on else None,
                    "standstill_until": r.standstill_until.isoformat()
                    if r.standstill_until else None,
                    "standstill_provisional": bool(r.standstill_provisional),
                    "bid_days": rules_from(r.rules).bid_days, "contract": None}
                if contract is not None:
                    deliverables, instalments = terms_from(contract.terms)
                    paid = int(conn.execute(
                        sa.select(sa.func.coalesce(sa.func.sum(
                            ft.funds_disbursements.c.amount_fen), 0))
                        .select_from(tt.tender_payments.join(
                            ft.funds_disbursements, ft.funds_disbursements.c.id
                            == tt.tender_payments.c.disbursement_id))
                        .where(tt.tender_payments.c.contract_id == contract.id,
                               ft.funds_disbursements.c.state
                               == DisbursementState.PAID.value)).scalar_one())
                    perf = conn.execute(sa.select(tt.tender_performance.c.score).where(
                        tt.tender_performance.c.contract_id == contract.id)).scalar_one_or_none()
                    entry["contract"] = {
                        "id": contract.id, "signed_on": contract.signed_on.isoformat(),
                        "start": contract.start.isoformat(), "end": contract.end.isoformat(),
                        "amount": str(from_fen(int(contract.amount_fen))),
                        "deliverables": [{"code": d.code, "name": mask_text(d.name),
                                          "due": d.due.isoformat()} for d in deliverables],
                        "instalments": len(instalments), "paid": str(from_fen(paid)),
                        "status": contract.status, "performance": perf}
                awards.append(entry)
        return {"unit": within, "unit_name": unit, "year": year,
                "generated_at": op.now.isoformat(), "awards": awards}

    def ocds_data(self, *, within: str, year: int | None = None,
                  actor: Actor | None = None) -> list[dict[str, Any]]:
        """The contracting processes under a unit, as the public facts the OCDS export needs:
        for each tender notice its project (planning: the need, budget, year), the notice
        (procedure, deadline, criteria, lots with their ceilings and status), the bids of
        opened lots (bidder, price, valid), the awards, the contracts with their deliverables
        (accepted or not) and the payments made through the funds ledger. Anyone may read it;
        nothing personal: no panel member, no objection text; free texts masked.

        Turn it into OCDS 1.1 releases and records with
        :mod:`community_governance.io.ocds`.
        """
        n, lt, p = tt.tender_notices, tt.tender_lots, tt.tender_projects
        b, o, c = tt.tender_bids, tt.tender_openings, tt.tender_contracts
        so, d, tx = ot.social_orgs, ft.funds_disbursements, ft.funds_transactions
        with self._read(actor or Actor.public(), "tenders.ocds") as op:
            op.require(TENDER_DISCLOSE, self._target(within))
            conn = op.uow.conn
            if conn.execute(sa.select(t.units.c.code).where(
                    t.units.c.code == within)).first() is None:
                raise NotFound("unit", within)
            q = (sa.select(n, p.c.title.label("project_title"), p.c.community_code,
                           p.c.category, p.c.budget_fen, p.c.year, p.c.account,
                           p.c.created_on, p.c.need_id, p.c.status.label("project_status"),
                           tt.tender_needs.c.title.label("need_title"),
                           tt.tender_needs.c.description.label("need_description"),
                           tt.tender_needs.c.unit_code.label("need_unit"),
                           tt.tender_needs.c.raised_on)
                 .select_from(n.join(p, p.c.id == n.c.project_id)
                              .join(tt.tender_needs, tt.tender_needs.c.id == p.c.need_id))
                 .where(p.c.community_code.startswith(within, autoescape=True)))
            if year is not None:
                q = q.where(p.c.year == year)
            notices = conn.execute(q.order_by(n.c.published_on, n.c.id)).all()
            names = dict(conn.execute(sa.select(t.units.c.code, t.units.c.name)).all())
            out = []
            for r in notices:
                lots = []
                for lot in conn.execute(sa.select(lt).where(lt.c.tender_id == r.id)
                                        .order_by(lt.c.number)).all():
                    opened = lot.status != LotStatus.OPEN.value
                    bids = []
                    if opened:
                        for bd in conn.execute(
                                sa.select(b.c.id, b.c.org_id, b.c.received_at, so.c.name,
                                          o.c.valid, o.c.price_fen)
                                .select_from(b.join(so, so.c.id == b.c.org_id)
                                             .outerjoin(o, o.c.bid_id == b.c.id))
                                .where(b.c.lot_id == lot.id).order_by(b.c.id)).all():
                            bids.append({"bid": bd.id, "org_id": bd.org_id, "name": bd.name,
                                         "received_at": bd.received_at.isoformat(),
                                         "valid": bd.valid, "price": None
                                         if bd.price_fen is None
                                         else str(from_fen(int(bd.price_fen)))})
                    count = int(conn.execute(sa.select(sa.func.count()).where(
                        b.c.lot_id == lot.id)).scalar_one())
                    winner = next((x for x in bids if x["bid"] == lot.winner_bid_id), None)
                    lots.append({"id": lot.id, "number": lot.number,
                                 "title": mask_text(lot.title),
                                 "ceiling": str(from_fen(int(lot.budget_fen))),
                                 "status": lot.status, "bids_received": count, "bids": bids,
                                 "winner": winner,
                                 "awarded_on": lot.awarded_on.isoformat()
                                 if lot.awarded_on else None,
                                 "standstill_until": lot.standstill_until.isoformat()
                                 if lot.standstill_until else None})
                contracts = []
                for ct in conn.execute(sa.select(c, so.c.name.label("org_name"))
                                       .select_from(c.join(so, so.c.id == c.c.org_id))
                                       .join(lt, lt.c.id == c.c.lot_id)
                                       .where(lt.c.tender_id == r.id)
                                       .order_by(c.c.signed_on, c.c.id)).all():
                    deliverables, instalments = terms_from(ct.terms)
                    accepted = dict(conn.execute(
                        sa.select(tt.tender_acceptances.c.deliverable,
                                  tt.tender_acceptances.c.accepted_on)
                        .where(tt.tender_acceptances.c.contract_id == ct.id)).all())
                    pays = conn.execute(
                        sa.select(tt.tender_payments.c.number, tt.tender_payments.c.amount_fen,
                                  tt.tender_payments.c.deliverable, d.c.id, d.c.state,
                                  tx.c.date, tx.c.id.label("tx_id"))
                        .select_from(tt.tender_payments.join(
                            d, d.c.id == tt.tender_payments.c.disbursement_id)
                            .outerjoin(tx, tx.c.id == d.c.transaction_id))
                        .where(tt.tender_payments.c.contract_id == ct.id)
                        .order_by(tt.tender_payments.c.number)).all()
                    perf = conn.execute(sa.select(tt.tender_performance.c.score).where(
                        tt.tender_performance.c.contract_id == ct.id)).scalar_one_or_none()
                    lot_number = next(x["number"] for x in lots if x["id"] == ct.lot_id)
                    contracts.append({
                        "id": ct.id, "lot": lot_number, "org_id": ct.org_id,
                        "org_name": ct.org_name,
                        "amount": str(from_fen(int(ct.amount_fen))),
                        "signed_on": ct.signed_on.isoformat(), "start": ct.start.isoformat(),
                        "end": ct.end.isoformat(), "status": ct.status, "performance": perf,
                        "deliverables": [{"code": x.code, "name": mask_text(x.name),
                                          "due": x.due.isoformat(),
                                          "accepted_on": accepted[x.code].isoformat()
                                          if x.code in accepted else None}
                                         for x in deliverables],
                        "instalments": [{"number": i.number, "amount": str(i.amount),
                                         "deliverable": i.deliverable} for i in instalments],
                        "payments": [{"number": y.number,
                                      "amount": str(from_fen(int(y.amount_fen))),
                                      "deliverable": y.deliverable, "disbursement": y.id,
                                      "state": y.state, "transaction": y.tx_id,
                                      "paid_on": y.date.isoformat()
                                      if y.state == DisbursementState.PAID.value and y.date
                                      else None} for y in pays]})
                out.append({
                    "tender_id": r.id, "title": mask_text(r.title), "procedure": r.procedure,
                    "procedure_zh": Procedure(r.procedure).chinese,
                    "published_on": r.published_on.isoformat(),
                    "deadline": r.deadline.isoformat(),
                    "deadline_provisional": bool(r.deadline_provisional),
                    "bid_days": rules_from(r.rules).bid_days,
                    "criteria": [{"code": x.code, "name": x.name, "name_en": x.name_en,
                                  "weight": x.weight, "kind": x.kind.value}
                                 for x in criteria_from(r.criteria)],
                    "buyer": {"code": r.community_code,
                              "name": names.get(r.community_code, r.community_code)},
                    "project": {"id": r.project_id, "title": mask_text(r.project_title),
                                "category": r.category, "year": r.year,
                                "account": r.account, "status": r.project_status,
                                "budget": str(from_fen(int(r.budget_fen))),
                                "created_on": r.created_on.isoformat(),
                                "need": {"id": r.need_id, "title": mask_text(r.need_title),
                                         "description": mask_text(r.need_description),
                                         "unit": r.need_unit,
                                         "raised_on": r.raised_on.isoformat()}},
                    "lots": lots, "contracts": contracts})
        return out
