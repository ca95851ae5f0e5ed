"""The tender round (招投标): needs, projects with their reserved budget, notices, sealed bids,
the opening, the panel and its scores, the award, objections (质疑) and cancellation."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import secrets
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
import pendulum
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.funds import format_cny, from_fen, positive_money, to_fen
from community_governance.domain.orgs import Grade, OrgKind
from community_governance.domain.tenders import (
    Bid,
    CriterionKind,
    LotEvent,
    LotStatus,
    Need,
    Objection,
    Procedure,
    Project,
    RankedBid,
    bid_commitment,
    canonical_bid,
    next_status,
    rank_bids,
    verify_commitment,
)
from community_governance.domain.units import UnitKind
from community_governance.errors import (
    ConflictError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from community_governance.masking import mask_text
from community_governance.services.base import Operation
from community_governance.services.tenders.common import (
    TENDER_DECIDE,
    TENDER_MANAGE,
    criteria_from,
    criteria_json,
    free_text,
    public_text,
    rules_from,
    rules_json,
)
from community_governance.services.tenders.contracts import ContractsMixin
from community_governance.storage.tables import core as t
from community_governance.storage.tables import orgs as ot
from community_governance.storage.tables import tenders as tt

__all__ = ["NewLot", "RoundsMixin"]

_CATEGORY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_LIVE = (LotStatus.OPEN.value, LotStatus.OPENED.value, LotStatus.AWARDED.value,
         LotStatus.CHALLENGED.value, LotStatus.CONTRACTED.value)


def _key(value: str | None, prefix: str) -> str:
    if value is None:
        return f"{prefix}-{secrets.token_hex(4).upper()}"
    if not isinstance(value, str) or not value.strip() or len(value) > 40:
        raise ValidationError(f"a key is 1-40 characters, got {value!r}", path="id")
    return value.strip()


def _new_id(result: Any) -> int:
    return int(result.inserted_primary_key[0])


@attrs.frozen
class NewLot:
    """A lot to publish (标段): what it buys, its ceiling price and who may bid.

    Attributes:
        title: what it buys, e.g. ``老年人日间照料服务``.
        budget: the ceiling price (最高限价), CNY.
        kinds: the organization kinds eligible (empty: any active organization).
        min_grade: the least valid grade eligible (``None``: any).
    """

    title: str
    budget: object
    kinds: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    min_grade: str | None = None


class RoundsMixin(ContractsMixin):
    """The round: need, project, notice, bids, opening, panel, scores, award, objections."""

    # ------------------------------------------------------------------ need and project

    def raise_need(self, actor: Actor, unit_code: str, *, title: str, category: str,
                   estimate: object, description: str = "",
                   need_id: str | None = None) -> Need:
        """Raise a need for a purchased service (购买服务需求) for a community or sub-district.

        Raises:
            ValidationError: an empty title, a bad category code or a non-positive estimate.
            NotFound: no such community or sub-district.
        """
        title = public_text(title, "title")
        if not isinstance(category, str) or not _CATEGORY.fullmatch(category):
            raise ValidationError(f"category {category!r} must be a lower-case code such as "
                                  "'elderly_day_care'", path="category")
        amount = positive_money(estimate, path="estimate")
        text = free_text(description, "description", required=False)
        key = _key(need_id, "N")
        with self._write(actor, "tenders.raise_need") as op:
            kind = op.uow.conn.execute(sa.select(t.units.c.kind).where(
                t.units.c.code == unit_code)).scalar_one_or_none()
            if kind not in (UnitKind.COMMUNITY.value, UnitKind.SUBDISTRICT.value):
                raise NotFound("community or sub-district", unit_code,
                               "a need is raised by a community (12 digits) or a sub-district")
            op.require(TENDER_MANAGE, self._target(unit_code, "tender_need", key))
            if op.uow.conn.execute(sa.select(tt.tender_needs.c.id).where(
                    tt.tender_needs.c.id == key)).first() is not None:
                raise ConflictError(f"need {key} exists already; choose another key")
            op.uow.conn.execute(tt.tender_needs.insert().values(
                id=key, unit_code=unit_code, title=title, category=category,
                description=text, estimate_fen=to_fen(amount), raised_on=op.today,
                actor=str(op.actor), at=op.now))
            op.touch("tender_need", key)
            return Need(key, unit_code, title, category, mask_text(text), amount, op.today)

    def create_project(self, actor: Actor, need_id: str, *, budget: object, year: int,
                       community_code: str | None = None, account: str = "5107",
                       title: str | None = None, project_id: str | None = None) -> Project:
        """Make a need a purchase project (政府购买服务项目) and reserve its budget in the funds
        ledger (预算占用), so that it cannot be spent twice.

        Args:
            actor: the community's leaders or the offices above.
            need_id: the need it answers (one project per need).
            budget: the amount to reserve, CNY.
            year: the budget year.
            community_code: the community whose books pay (default: the need's, when a
                community raised it).
            account: the expense account (default 5107 政府购买服务支出).
            title: the project's title (default: the need's).
            project_id: its key (default: generated).

        Raises:
            InsufficientBalance: no budget on the account for the year, or not enough of it
                left after spending, requests and other reservations.
            ConflictError: the need has a project already.
        """
        amount = positive_money(budget, path="budget")
        key = _key(project_id, "P")

        def rules(op: Operation) -> None:
            need = self._one(op, tt.tender_needs, need_id, "need")
            self._funds.chart(community_code or need.unit_code)

        with self._hooks_first(actor, "tenders.create_project", rules), \
                self._write(actor, "tenders.create_project") as op:
            need = self._one(op, tt.tender_needs, need_id, "need",
                             "raise it first (cgov tenders need)")
            payer = community_code or need.unit_code
            if not payer.startswith(need.unit_code) and not need.unit_code.startswith(payer):
                raise ValidationError(f"community {payer} is not within {need.unit_code}, "
                                      "which raised the need", path="community_code")
            op.require(TENDER_DECIDE, self._target(payer, "tender_project", key))
            name = public_text(title, "title") if title is not None else need.title
            p = tt.tender_projects
            if op.uow.conn.execute(sa.select(p.c.id).where(
                    sa.or_(p.c.need_id == need_id, p.c.id == key))).first() is not None:
                raise ConflictError(f"need {need_id} has a project already (or key {key} is "
                                    "taken); one project answers one need")
            res = self._funds._reserve(op, payer, account, year, amount,
                                       f"政府购买服务项目 {key}: {name}"[:200],
                                       f"tender_project:{key}")
            op.uow.conn.execute(p.insert().values(
                id=key, need_id=need_id, community_code=payer, title=name,
                category=need.category, budget_fen=to_fen(amount), account=account, year=year,
                reservation_id=res.id, status="planned", created_on=op.today,
                actor=str(op.actor), at=op.now))
            op.touch("tender_project", key)
            op.detail.update({"budget": str(amount), "reservation": res.id})
            return Project(key, need_id, payer, name, need.category, amount, account, year,
                           res.id, "planned", op.today)

    # ------------------------------------------------------------------ the notice

    def publish(self, actor: Actor, project_id: str, *, title: str, procedure: Procedure | str,
                lots: Sequence[NewLot], tender_id: str | None = None) -> Any:
        """Publish a tender notice (招标公告) for a project.

        The criteria and weights come from ``cgov_tenders_scoring_criteria`` for the project's
        community and category, the procedure's time limits from ``cgov_tenders_procedure``;
        the bid deadline, which is also the opening time, is the procedure's working days after
        today on the calendar of the county (09:30), flagged provisional when it runs into a
        year no official notice covers yet.

        Raises:
            ValidationError: no lots, a lot's budget or kinds wrong, or lots that together
                exceed what the project's budget has not committed to other live lots.
            InvalidTransition: the project is closed.
            CalendarYearMissing: the deadline runs beyond every calendar.
        """
        name = public_text(title, "title")
        if not lots:
            raise ValidationError("a notice has at least one lot (标段)", path="lots")
        specs = []
        for i, lot in enumerate(lots):
            if not isinstance(lot, NewLot):
                raise ValidationError("lots must be NewLot values", path=f"lots[{i}]")
            kinds = tuple(OrgKind(k).value for k in lot.kinds)
            grade = Grade(lot.min_grade).value if lot.min_grade is not None else None
            specs.append((public_text(lot.title, f"lots[{i}].title"),
                          positive_money(lot.budget, path=f"lots[{i}].budget"), kinds, grade))
        key = _key(tender_id, "T")

        def rules(op: Operation) -> None:
            proj = self._project_row(op, project_id)
            self.procedure_rules(proj.community_code[:6], procedure)
            self.criteria(proj.community_code, proj.category)
            self.calendar(proj.community_code)

        with self._hooks_first(actor, "tenders.publish", rules), \
                self._write(actor, "tenders.publish") as op:
            proj = self._project_row(op, project_id)
            op.require(TENDER_DECIDE, self._target(proj.community_code, "tender", key))
            if proj.status == "closed":
                raise InvalidTransition(f"project {project_id} is closed; raise a new need")
            rules_ = self.procedure_rules(proj.community_code[:6], procedure)
            criteria = self.criteria(proj.community_code, proj.category)
            conn = op.uow.conn
            n, lt = tt.tender_notices, tt.tender_lots
            committed = int(conn.execute(
                sa.select(sa.func.coalesce(sa.func.sum(lt.c.budget_fen), 0))
                .select_from(lt.join(n, n.c.id == lt.c.tender_id))
                .where(n.c.project_id == project_id, lt.c.status.in_(_LIVE))).scalar_one())
            total = sum(to_fen(b) for _, b, _, _ in specs)
            if committed + total > int(proj.budget_fen):
                raise ValidationError(
                    f"the lots' ceiling prices add up to {format_cny(from_fen(total))} but the "
                    f"project's reserved budget of {format_cny(from_fen(int(proj.budget_fen)))} "
                    f"has {format_cny(from_fen(int(proj.budget_fen) - committed))} not committed "
                    "to other live lots; lower the ceilings", path="lots")
            if conn.execute(sa.select(n.c.id).where(n.c.id == key)).first() is not None:
                raise ConflictError(f"tender {key} exists already; choose another key")
            due, provisional = self.calendar(proj.community_code).deadline(op.today,
                                                                           rules_.bid_days)
            deadline = self._deadline_moment(due)
            conn.execute(n.insert().values(
                id=key, project_id=project_id, title=name, procedure=rules_.procedure.value,
                rules=rules_json(rules_), criteria=criteria_json(criteria),
                published_on=op.today, deadline=deadline, deadline_provisional=provisional,
                actor=str(op.actor), at=op.now))
            for i, (lot_title, budget, kinds, grade) in enumerate(specs, start=1):
                res = conn.execute(lt.insert().values(
                    tender_id=key, number=i, title=lot_title, budget_fen=to_fen(budget),
                    kinds=",".join(kinds), min_grade=grade,
                    status=next_status(None, LotEvent.PUBLISH).value, seq=1,
                    updated_at=op.now))
                lid = _new_id(res)
                conn.execute(tt.tender_lot_transitions.insert().values(
                    lot_id=lid, seq=1, event=LotEvent.PUBLISH.value, from_status=None,
                    to_status=LotStatus.OPEN.value, actor=str(op.actor), at=op.now,
                    day=op.today, note=f"{rules_.procedure.chinese} 投标截止 {due.isoformat()}"
                                       f"{'（暂定 provisional）' if provisional else ''}"))
                op.touch("tender_lot", lid)
            tp = tt.tender_projects
            conn.execute(tp.update().where(tp.c.id == project_id, tp.c.status == "planned")
                         .values(status="tendering"))
            op.touch("tender", key)
            op.detail.update({"deadline": deadline.isoformat(), "provisional": provisional})
        return self.tender(actor, key)

    # ------------------------------------------------------------------ sealed bids

    def bid(self, actor: Actor, lot_id: int, org_id: str, *, price: object,
            proposal: str) -> Bid:
        """Receive a sealed bid (投标) of an organization on a lot.

        The bid is kept sealed: until the opening nobody reads its price or proposal, and the
        commitment returned with it (SHA-256 of a random nonce and the canonical bid) is
        published at once and written into the hash-chained audit trail; the opening checks
        the bid against it. The receipt (the returned :class:`Bid`) carries the nonce, so the
        bidder can check the commitment themselves.

        Raises:
            ValidationError: the deadline has passed (逾期投标), the price is above the lot's
                ceiling, or the organization does not meet the lot's eligibility.
            PermissionDenied: the organization is not active (only an active organization
                bids) or the place's rules give it no bidding round.
            ConflictError: the organization has bid on this lot already (one bid per bidder
                per lot), or the procedure's bid limit is reached.
            InvalidTransition: the lot is no longer open for bids.
        """
        amount = positive_money(price, path="price")
        text = free_text(proposal, "proposal")

        def rules(op: Operation) -> None:
            row = self._one(op, ot.social_orgs, org_id, "social organization")
            self._orgs._eligibility(row, op.today)

        with self._hooks_first(actor, "tenders.bid", rules), \
                self._write(actor, "tenders.bid") as op:
            lot, notice, proj = self._lot_context(op, lot_id)
            op.require(TENDER_MANAGE, self._target(proj.community_code, "tender_lot", lot_id))
            if LotStatus(lot.status) is not LotStatus.OPEN:
                raise InvalidTransition(f"lot {lot_id} is {LotStatus(lot.status).chinese} "
                                        f"({lot.status}); bids are received only while it is "
                                        "open")
            if op.now >= notice.deadline:
                raise ValidationError(
                    f"the bid arrives at {self._show(op.now)}, after the deadline "
                    f"{self._show(notice.deadline)}: late bids "
                    "are refused (逾期投标不予受理); bid in the next round", path="at")
            org = self._one(op, ot.social_orgs, org_id, "social organization",
                            "list them with cgov orgs list")
            if org.community_code[:6] != proj.community_code[:6]:
                raise ValidationError(f"{org_id} serves {org.community_code}, outside county "
                                      f"{proj.community_code[:6]} of this tender",
                                      path="org_id")
            elig = self._orgs._eligibility(org, op.today)
            if not elig.eligible:
                raise PermissionDenied(
                    f"social_org:{org_id}", "tender.bid", f"lot {lot_id}",
                    f"{elig.reason}; only an active organization with a bidding round bids "
                    "(承接政府购买服务): activate it, or rectify its findings first")
            kinds = [k for k in lot.kinds.split(",") if k]
            if kinds and org.kind not in kinds:
                raise ValidationError(f"lot {lot_id} is open to {kinds} organizations; "
                                      f"{org_id} is {org.kind}", path="org_id")
            if lot.min_grade is not None and (
                    elig.grade is None or elig.grade.rank < Grade(lot.min_grade).rank):
                raise ValidationError(
                    f"lot {lot_id} asks for a valid grade of {lot.min_grade} or better; "
                    f"{org_id} has {elig.grade.value if elig.grade else 'none'}: evaluate it "
                    "first", path="org_id")
            if to_fen(amount) > int(lot.budget_fen):
                raise ValidationError(
                    f"the price {format_cny(amount)} is above the lot's ceiling "
                    f"{format_cny(from_fen(int(lot.budget_fen)))} (最高限价): bid at most the "
                    "ceiling", path="price")
            b = tt.tender_bids
            conn = op.uow.conn
            dup = conn.execute(sa.select(b.c.id).where(b.c.lot_id == lot_id,
                                                       b.c.org_id == org_id)).first()
            if dup is not None:
                raise ConflictError(f"{org_id} has bid on lot {lot_id} already (bid #{dup.id}); "
                                    "one bid per bidder per lot")
            rules_ = rules_from(notice.rules)
            have = int(conn.execute(sa.select(sa.func.count()).where(
                b.c.lot_id == lot_id)).scalar_one())
            if rules_.max_bidders is not None and have >= rules_.max_bidders:
                raise ConflictError(f"lot {lot_id} ({rules_.procedure.chinese}) takes at most "
                                    f"{rules_.max_bidders} bid(s) and has {have}")
            nonce = secrets.token_hex(16)
            sealed = canonical_bid(lot_id=lot_id, org_id=org_id, price=amount, proposal=text)
            commitment = bid_commitment(sealed, nonce)
            res = conn.execute(b.insert().values(
                lot_id=lot_id, org_id=org_id, received_at=op.now, sealed=sealed, nonce=nonce,
                commitment=commitment, tier=elig.tier, actor=str(op.actor)))
            bid_id = _new_id(res)
            op.touch("tender_bid", bid_id)
            op.detail.update({"commitment": commitment, "lot": lot_id, "org": org_id})
            return Bid(bid_id, lot_id, org_id, op.now, commitment, nonce=nonce)

    def _show(self, moment: dt.datetime) -> str:
        """A moment in the county's time, e.g. ``2019-04-01 09:30``."""
        return pendulum.instance(moment).in_timezone(self._gov.timezone).format(
            "YYYY-MM-DD HH:mm")

    # ------------------------------------------------------------------ opening

    def _audit_commitment(self, conn: sa.Connection, bid_id: int) -> str | None:
        """The commitment the audit trail recorded when the bid was received."""
        a = t.audit_log
        for detail in conn.execute(sa.select(a.c.detail).where(
                a.c.operation == "tenders.bid",
                a.c.objects.like(f'%"tender_bid:{bid_id}"%'))).scalars():
            got = json.loads(detail).get("commitment")
            if isinstance(got, str):
                return got
        return None

    def open_bids(self, actor: Actor, tender_id: str) -> Any:
        """Open the bids of every open lot of a tender (开标), at or after the deadline.

        Each bid is checked against its commitment (recomputed from the stored bid and nonce)
        and against the copy in the audit trail; a bid that does not match is recorded
        invalid with the reason, so a change made after the deadline shows. A lot with fewer
        valid bids than the procedure needs fails (流标).

        Raises:
            ValidationError: the deadline has not come (bids are opened at the deadline).
            InvalidTransition: no lot is open.
        """
        with self._write(actor, "tenders.open") as op:
            notice = self._notice_row(op, tender_id)
            proj = self._project_row(op, notice.project_id)
            op.require(TENDER_DECIDE, self._target(proj.community_code, "tender", tender_id))
            if op.now < notice.deadline:
                raise ValidationError(
                    f"bids of {tender_id} are opened at the deadline "
                    f"{self._show(notice.deadline)}, not before (开标时间即投标截止时间)",
                    path="at")
            conn = op.uow.conn
            lt, b = tt.tender_lots, tt.tender_bids
            lots = conn.execute(sa.select(lt).where(lt.c.tender_id == tender_id,
                                                    lt.c.status == LotStatus.OPEN.value)
                                .order_by(lt.c.number)).all()
            if not lots:
                raise InvalidTransition(f"tender {tender_id} has no lot waiting to be opened")
            rules_ = rules_from(notice.rules)
            opened: dict[int, dict[str, Any]] = {}
            for lot in lots:
                valid = 0
                bad: list[str] = []
                for bid in conn.execute(sa.select(b).where(b.c.lot_id == lot.id)
                                        .order_by(b.c.id)):
                    problems = []
                    if not verify_commitment(bid.sealed, bid.nonce, bid.commitment):
                        problems.append("the stored bid does not match its commitment")
                    recorded = self._audit_commitment(conn, bid.id)
                    if recorded is None or recorded != mask_text(bid.commitment):
                        problems.append("the commitment differs from the one recorded at "
                                        "submission")
                    price_fen = None
                    try:
                        body = json.loads(bid.sealed)
                        if body.get("lot_id") != lot.id or body.get("org_id") != bid.org_id:
                            problems.append("the sealed bid names another lot or bidder")
                        price_fen = int(body["price_fen"])
                    except (ValueError, KeyError, TypeError):
                        problems.append("the sealed bid cannot be read")
                    ok = not problems
                    valid += ok
                    if not ok:
                        bad.append(f"#{bid.id}")
                    conn.execute(tt.tender_openings.insert().values(
                        bid_id=bid.id, valid=ok, price_fen=price_fen if ok else None,
                        note="; ".join(problems), at=op.now))
                    op.touch("tender_bid", bid.id)
                event = LotEvent.OPEN_BIDS if valid >= rules_.min_bidders else LotEvent.FAIL
                note = (f"{valid} valid bid(s)" + (f"; invalid: {', '.join(bad)}" if bad else "")
                        + ("" if event is LotEvent.OPEN_BIDS else
                           f"; {rules_.procedure.chinese} needs {rules_.min_bidders}: 流标"))
                self._step(op, lot, event, note=note)
                opened[lot.id] = {"valid": valid, "invalid": bad, "status": event.value}
            op.detail["lots"] = opened
        return self.tender(actor, tender_id)

    # ------------------------------------------------------------------ panel and scores

    def seat_panel_member(self, actor: Actor, tender_id: str, member_id: str, *, name: str,
                          declared: Sequence[str] = ()) -> Any:
        """Seat a member of the scoring panel (评标委员会成员) with the organizations they
        declare a tie with (主动申报回避).

        Raises:
            ConflictError: the member is seated already.
            InvalidTransition: every lot of the tender is awarded or closed.
        """
        who = free_text(name, "name", limit=100)
        key = free_text(member_id, "member_id", limit=40)
        ties = tuple(sorted({str(o) for o in declared}))
        with self._write(actor, "tenders.seat_panel_member") as op:
            notice = self._notice_row(op, tender_id)
            proj = self._project_row(op, notice.project_id)
            op.require(TENDER_DECIDE, self._target(proj.community_code, "tender", tender_id))
            lt = tt.tender_lots
            if op.uow.conn.execute(sa.select(lt.c.id).where(
                    lt.c.tender_id == tender_id,
                    lt.c.status.in_((LotStatus.OPEN.value, LotStatus.OPENED.value)))
                    ).first() is None:
                raise InvalidTransition(f"no lot of {tender_id} is waiting for scores; the "
                                        "panel is seated before the award")
            p = tt.tender_panel
            if op.uow.conn.execute(sa.select(p.c.member_id).where(
                    p.c.tender_id == tender_id, p.c.member_id == key)).first() is not None:
                raise ConflictError(f"{key} sits on the panel of {tender_id} already; declare "
                                    "further ties with declare_conflict")
            op.uow.conn.execute(p.insert().values(
                tender_id=tender_id, member_id=key, name=who, declared=",".join(ties),
                actor=str(op.actor), at=op.now))
            op.touch("tender_panel", f"{tender_id}/{key}")
        return self.panel(actor, tender_id)

    def declare_conflict(self, actor: Actor, tender_id: str, member_id: str,
                         org_id: str) -> Any:
        """Record a tie a panel member declares with a bidder (申报回避)."""
        with self._write(actor, "tenders.declare_conflict") as op:
            notice = self._notice_row(op, tender_id)
            proj = self._project_row(op, notice.project_id)
            op.require(TENDER_MANAGE, self._target(proj.community_code, "tender", tender_id))
            p = tt.tender_panel
            row = op.uow.conn.execute(sa.select(p).where(
                p.c.tender_id == tender_id, p.c.member_id == member_id)).first()
            if row is None:
                raise NotFound("panel member", member_id, f"seat them on {tender_id} first")
            ties = sorted({*(x for x in row.declared.split(",") if x), org_id})
            op.uow.conn.execute(p.update().where(p.c.tender_id == tender_id,
                                                 p.c.member_id == member_id)
                                .values(declared=",".join(ties)))
            op.touch("tender_panel", f"{tender_id}/{member_id}")
        return self.panel(actor, tender_id)

    def score(self, actor: Actor, bid_id: int, member_id: str,
              marks: Mapping[str, Decimal | int | str]) -> dict[str, Decimal]:
        """Record a panel member's score sheet for one bid (评分表): a mark from 0 to its
        weight for every quality criterion of the notice (the price is computed).

        Raises:
            PermissionDenied: the member is tied to the bidder (declared, or found in the
                records: its staff, its volunteer team, a staff member's household or party
                organization); a tied member stands aside (回避).
            ValidationError: a mark missing, out of range or given for the price; the bid is
                invalid; the member is not on the panel.
            InvalidTransition: the lot is not opened (scores come after the opening).
            ConflictError: the member scored this bid already.
        """
        with self._write(actor, "tenders.score") as op:
            b = tt.tender_bids
            bid = op.uow.conn.execute(sa.select(b).where(b.c.id == bid_id)).first()
            if bid is None:
                raise NotFound("bid", bid_id)
            lot, notice, proj = self._lot_context(op, bid.lot_id)
            op.require(TENDER_MANAGE, self._target(proj.community_code, "tender_bid", bid_id))
            if LotStatus(lot.status) is not LotStatus.OPENED:
                raise InvalidTransition(
                    f"lot {lot.id} is {LotStatus(lot.status).chinese} ({lot.status}); the "
                    "panel scores bids after the opening and before the award")
            conn = op.uow.conn
            opening = conn.execute(sa.select(tt.tender_openings).where(
                tt.tender_openings.c.bid_id == bid_id)).first()
            if opening is None or not opening.valid:
                raise ValidationError(f"bid #{bid_id} was found invalid at the opening "
                                      f"({opening.note if opening else 'not opened'}); it is not "
                                      "scored", path="bid_id")
            panel = self._panel(conn, notice.id)
            if member_id not in panel:
                raise ValidationError(f"{member_id} does not sit on the panel of {notice.id}; "
                                      "seat them first", path="member_id")
            ties = [c for c in self._conflicts(conn, {member_id: panel[member_id]},
                                               [bid.org_id], op.today)]
            if ties:
                raise PermissionDenied(
                    mask_text(f"panel:{member_id}"), "tender.score", f"bid #{bid_id}",
                    f"{ties[0].detail} ({ties[0].reason}); a member tied to a bidder cannot "
                    "score it (回避): leave this bid to the other members, or seat another "
                    "member")
            quality = {c.code: c for c in criteria_from(notice.criteria)
                       if c.kind is CriterionKind.QUALITY}
            priced = {c.code for c in criteria_from(notice.criteria)
                      if c.kind is CriterionKind.PRICE}
            extra = sorted(set(marks) - set(quality))
            if extra:
                why = "is computed from the prices" if set(extra) & priced else "is unknown"
                raise ValidationError(f"criteria {extra}: {why}; mark only {sorted(quality)}",
                                      path="marks")
            values: dict[str, Decimal] = {}
            for code, c in quality.items():
                if code not in marks:
                    raise ValidationError(f"mark {code} ({c.name}) from 0 to {c.weight}",
                                          path=f"marks.{code}")
                raw = marks[code]
                if isinstance(raw, (bool, float)):
                    raise ValidationError(f"mark {code} as text or int, got {raw!r}",
                                          path=f"marks.{code}")
                try:
                    v = Decimal(str(raw))
                except InvalidOperation:
                    raise ValidationError(f"mark {code} is not a number: {raw!r}",
                                          path=f"marks.{code}") from None
                if not v.is_finite() or not 0 <= v <= c.weight or v != v.quantize(
                        Decimal("0.01")):
                    raise ValidationError(f"mark {code} must be 0 to {c.weight} (to 0.01), got "
                                          f"{raw}", path=f"marks.{code}")
                values[code] = v
            sc = tt.tender_scores
            if conn.execute(sa.select(sc.c.id).where(sc.c.bid_id == bid_id,
                                                     sc.c.member_id == member_id)).first():
                raise ConflictError(f"{member_id} scored bid #{bid_id} already; a score sheet "
                                    "is final")
            conn.execute(sc.insert(), [
                {"bid_id": bid_id, "member_id": member_id, "criterion": code,
                 "hundredths": int(v * 100), "actor": str(op.actor), "at": op.now}
                for code, v in values.items()])
            op.touch("tender_bid", bid_id)
            op.detail["member"] = member_id
            return values

    def _ranking(self, conn: sa.Connection, lot: Any, notice: Any,
                 day: dt.date) -> tuple[list[RankedBid], list[str]]:
        """The ranking of a lot's valid bids, and what is missing before an award."""
        bids = [r for r in self._valid_bids(conn, lot.id)
                if r.id not in self._disqualified(conn, lot.id)]
        panel = self._panel(conn, notice.id)
        rules_ = rules_from(notice.rules)
        ties = self._conflicts(conn, panel, [r.org_id for r in bids], day)
        tied = {(c.member_id, c.org_id) for c in ties}
        marks = self._marks(conn, [r.id for r in bids])
        missing: list[str] = []
        if len(panel) < rules_.min_panel:
            missing.append(f"the panel has {len(panel)} member(s); {rules_.procedure.chinese} "
                           f"needs {rules_.min_panel}: seat more")
        need = math.floor(rules_.min_panel / 2) + 1
        for r in bids:
            free = [m for m in panel if (m, r.org_id) not in tied]
            lacking = [m for m in free if m not in marks.get(r.id, {})]
            if lacking:
                missing.append(f"bid #{r.id} ({r.org_id}) waits for the scores of {lacking}")
            if len(free) < need:
                missing.append(f"bid #{r.id} ({r.org_id}) has {len(free)} untied member(s); "
                               f"it needs {need}: seat untied members")
        if not bids:
            missing.append("no valid bid is left to award")
        clean = {bid_id: {m: s for m, s in sheets.items()}
                 for bid_id, sheets in marks.items()}
        ranked = rank_bids(criteria_from(notice.criteria),
                           [(r.id, r.org_id, from_fen(int(r.price_fen)), i)
                            for i, r in enumerate(bids)], clean) if bids and not [
            m for m in missing if "waits" in m] else []
        return ranked, missing

    def ranking(self, actor: Actor, lot_id: int) -> list[RankedBid]:
        """The scoring result of an opened lot (评标结果), best first."""
        with self._read(actor, "tenders.ranking") as op:
            lot, notice, proj = self._lot_context(op, lot_id)
            op.require(TENDER_MANAGE, self._target(proj.community_code, "tender_lot", lot_id))
            ranked, missing = self._ranking(op.uow.conn, lot, notice, op.today)
            if missing and not ranked:
                raise ValidationError("; ".join(missing), path="scores")
            return ranked

    def award(self, actor: Actor, lot_id: int) -> Any:
        """Award a lot (中标) to the best-ranked valid bid and start the standstill period for
        objections (质疑期): the procedure's working days on the county's calendar.

        Raises:
            InvalidTransition: the lot is not opened (e.g. an award before the opening).
            ValidationError: scores are missing, or the panel is too small or too tied.
            ConflictError: someone else changed the lot meanwhile (one of two racing awards
                wins).
        """
        def rules(op: Operation) -> None:
            _, _, proj = self._lot_context(op, lot_id)
            self.calendar(proj.community_code)

        with self._hooks_first(actor, "tenders.award", rules), \
                self._write(actor, "tenders.award") as op:
            lot, notice, proj = self._lot_context(op, lot_id, lock=True)
            op.require(TENDER_DECIDE, self._target(proj.community_code, "tender_lot", lot_id))
            next_status(LotStatus(lot.status), LotEvent.AWARD)
            ranked, missing = self._ranking(op.uow.conn, lot, notice, op.today)
            if missing:
                raise ValidationError("the lot cannot be awarded yet: " + "; ".join(missing),
                                      path="scores")
            win = ranked[0]
            rules_ = rules_from(notice.rules)
            until, provisional = self.calendar(proj.community_code).deadline(
                op.today, rules_.standstill_days)
            self._step(op, lot, LotEvent.AWARD,
                       note=f"中标 #{win.bid_id} {win.org_id} {win.price} ({win.total}); 质疑期至 "
                            f"{until.isoformat()}{'（暂定 provisional）' if provisional else ''}",
                       winner_bid_id=win.bid_id, awarded_on=op.today, standstill_until=until,
                       standstill_provisional=provisional)
            op.detail.update({"winner": win.org_id, "price": str(win.price)})
        return self.lot(actor, lot_id)

    # ------------------------------------------------------------------ objections

    def object_to_award(self, actor: Actor, lot_id: int, org_id: str, *, text: str
                        ) -> Objection:
        """Record a bidder's objection to an award (质疑) within the standstill period; the
        lot waits (no contract) until it is answered.

        Raises:
            ValidationError: the standstill period is over, or the organization did not bid.
            InvalidTransition: the lot is not awarded.
        """
        body = free_text(text, "text")
        with self._write(actor, "tenders.object") as op:
            lot, _, proj = self._lot_context(op, lot_id, lock=True)
            op.require(TENDER_MANAGE, self._target(proj.community_code, "tender_lot", lot_id))
            next_status(LotStatus(lot.status), LotEvent.CHALLENGE)
            b = tt.tender_bids
            if op.uow.conn.execute(sa.select(b.c.id).where(b.c.lot_id == lot_id,
                                                           b.c.org_id == org_id)).first() is None:
                raise ValidationError(f"{org_id} did not bid on lot {lot_id}; only a bidder "
                                      "objects (质疑)", path="org_id")
            if op.today > lot.standstill_until:
                raise ValidationError(f"the standstill period of lot {lot_id} ended on "
                                      f"{lot.standstill_until}; objections are no longer "
                                      "received (质疑期已过)", path="text")
            res = op.uow.conn.execute(tt.tender_objections.insert().values(
                lot_id=lot_id, org_id=org_id, against_bid_id=lot.winner_bid_id, text=body,
                filed_on=op.today, upheld=None, reply="", answered_on=None,
                actor=str(op.actor), at=op.now))
            oid = _new_id(res)
            self._step(op, lot, LotEvent.CHALLENGE, note=f"质疑 #{oid} by {org_id}")
            op.touch("tender_objection", oid)
            return Objection(oid, lot_id, org_id, mask_text(body), op.today)

    def answer_objection(self, actor: Actor, objection_id: int, *, upheld: bool,
                         reply: str) -> Objection:
        """Answer an objection (质疑答复): upheld, the award is annulled and the winning bid
        disqualified, and the lot is awarded again from the remaining bids; dismissed, the
        award stands.

        Raises:
            ConflictError: it was answered already.
        """
        text = free_text(reply, "reply")
        ob = tt.tender_objections
        with self._write(actor, "tenders.answer_objection") as op:
            row = self._one(op, ob, objection_id, "objection")
            lot, _, proj = self._lot_context(op, row.lot_id, lock=True)
            op.require(TENDER_DECIDE, self._target(proj.community_code, "tender_lot", lot.id))
            if row.upheld is not None:
                raise ConflictError(f"objection #{objection_id} was answered on "
                                    f"{row.answered_on}")
            op.uow.conn.execute(ob.update().where(ob.c.id == objection_id).values(
                upheld=bool(upheld), reply=text, answered_on=op.today))
            if upheld:
                self._step(op, lot, LotEvent.UPHOLD, note=f"质疑 #{objection_id} 成立",
                           winner_bid_id=None, awarded_on=None, standstill_until=None,
                           standstill_provisional=False)
            else:
                self._step(op, lot, LotEvent.DISMISS, note=f"质疑 #{objection_id} 不成立")
            op.touch("tender_objection", objection_id)
            return Objection(row.id, row.lot_id, row.org_id, mask_text(row.text), row.filed_on,
                             bool(upheld), mask_text(text), op.today)

    def cancel(self, actor: Actor, lot_id: int, *, reason: str) -> Any:
        """Cancel a lot that is not contracted (终止), with the reason."""
        why = public_text(reason, "reason", limit=500)
        with self._write(actor, "tenders.cancel") as op:
            lot, _, proj = self._lot_context(op, lot_id, lock=True)
            op.require(TENDER_DECIDE, self._target(proj.community_code, "tender_lot", lot_id))
            self._step(op, lot, LotEvent.CANCEL, note=why)
        return self.lot(actor, lot_id)
