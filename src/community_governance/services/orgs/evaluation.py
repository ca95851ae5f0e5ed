"""Performance evaluation (绩效评估) from the library's own records, supervision (督促指导)
with rectification deadlines in working days, and who may bid for purchased services."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.orgs import (
    BID_STAGES,
    Evaluation,
    EvidenceSource,
    Finding,
    Grade,
    IndicatorScore,
    OrgEvent,
    OrgStage,
    add_years,
    check_upgrade,
    next_stage,
    score_evaluation,
)
from community_governance.domain.pii_text import mask_personal_numbers
from community_governance.errors import InvalidTransition, NotFound, ValidationError
from community_governance.services.base import Operation, county_days_utc
from community_governance.services.orgs.common import (
    ORG_DECIDE,
    ORG_MANAGE,
    ORG_READ,
    TRAINING_ACCOUNT,
    OrgsBase,
)
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import cases as ct
from community_governance.storage.tables import funds as ft
from community_governance.storage.tables import orgs as ot
from community_governance.storage.tables import points as pt
from community_governance.storage.tables import tenders as tt

#: Working days a finding gets to be rectified when the caller names none (整改期限).
DEFAULT_RECTIFICATION_DAYS = 15


@attrs.frozen
class BidEligibility:
    """Whether and when an organization may bid for purchased services (招投标资格).

    Attributes:
        org_id: the organization.
        stage: its stage.
        grade: its valid grade, if any.
        tier: 0 (may not bid), 1 (first round), 2 or 3 (later rounds).
        reason: why, in a sentence.
    """

    org_id: str
    stage: OrgStage
    grade: Grade | None
    tier: int
    reason: str

    @property
    def eligible(self) -> bool:
        """Whether it may bid at all."""
        return self.tier > 0


def _tenths(value: Decimal) -> int:
    return int((value * 10).to_integral_value())


class EvaluationMixin(OrgsBase):
    """Evaluation, supervision and bidding part of the organizations service."""

    # ------------------------------------------------------------------ evidence

    def _bounds(self, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return county_days_utc(self._gov.timezone, start, end)

    def _evidence(self, op: Operation, row: Any, start: dt.date, end: dt.date
                  ) -> dict[str, Decimal]:
        """The evidence of the records for ``row`` between ``start`` and ``end`` (county days),
        per :class:`EvidenceSource` value."""
        conn = op.uow.conn
        lo, hi = self._bounds(start, end)
        out = {s.value: Decimal(0) for s in EvidenceSource if s.from_records}
        if row.volunteer_org_id is not None:
            a = pt.activities
            out[EvidenceSource.ACTIVITIES.value] = Decimal(conn.execute(
                sa.select(sa.func.count()).where(a.c.org_id == row.volunteer_org_id,
                                                 a.c.start >= lo, a.c.start < hi)
            ).scalar_one())
            att = pt.activity_attendance
            minutes = conn.execute(
                sa.select(sa.func.coalesce(sa.func.sum(att.c.minutes), 0))
                .select_from(att.join(a, a.c.id == att.c.activity_id))
                .where(a.c.org_id == row.volunteer_org_id, att.c.day >= start,
                       att.c.day <= end)).scalar_one()
            out[EvidenceSource.VOLUNTEER_HOURS.value] = (Decimal(int(minutes)) / 60).quantize(
                Decimal("0.1"))
        s = ot.social_org_staff
        people = sa.select(s.c.person_id).where(s.c.org_id == row.id,
                                                s.c.person_id.is_not(None))
        out[EvidenceSource.CASES.value] = Decimal(conn.execute(
            sa.select(sa.func.count()).where(ct.cases.c.handler_id.in_(people),
                                             ct.cases.c.resolved_at >= lo,
                                             ct.cases.c.resolved_at < hi)).scalar_one())
        d = ft.funds_disbursements
        fen = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(d.c.amount_fen), 0)).where(
            d.c.payee == row.name, d.c.state == "paid", d.c.account != TRAINING_ACCOUNT,
            d.c.requested_on >= start, d.c.requested_on <= end)).scalar_one()
        out[EvidenceSource.FUNDS.value] = Decimal(int(fen)) / 100
        pf = tt.tender_performance
        mean = conn.execute(sa.select(sa.func.avg(pf.c.score)).where(
            pf.c.org_id == row.id, pf.c.on >= start, pf.c.on <= end)).scalar_one()
        out[EvidenceSource.PERFORMANCE.value] = (
            Decimal(0) if mean is None else Decimal(str(mean)).quantize(Decimal("0.1")))
        return out

    def evidence(self, actor: Actor, org_id: str, *, start: dt.date, end: dt.date
                 ) -> dict[str, Decimal]:
        """What the library's records show for an organization between two county days:
        activities held and volunteer hours (its volunteer team), cases its staff resolved,
        purchased-service funds paid to it (the funds ledger) and the mean performance score
        of its purchase-of-services contracts (``gov.tenders``)."""
        with self._read(actor, "orgs.evidence") as op:
            row = self._row(op, org_id)
            if not op.visible(ORG_READ, self._target(row)):
                raise NotFound("social organization", org_id)
            return self._evidence(op, row, start, end)

    # ------------------------------------------------------------------ evaluation

    def evaluate(self, actor: Actor, org_id: str, *, round: str, evaluators: Sequence[str],
                 scores: Mapping[str, Decimal | int | str],
                 period_start: dt.date | None = None, period_end: dt.date | None = None,
                 at: dt.datetime | None = None) -> Evaluation:
        """Evaluate an active organization (绩效评估) under the place's scheme.

        Indicators drawn from records are scored from the records of the period (default:
        the twelve months up to the evaluation day); the evaluators score the others. The
        grade follows the place's thresholds, is valid for the scheme's years, and decides
        when the organization may bid.

        Args:
            actor: the sub-district or county.
            org_id: the organization.
            round: the evaluation round, e.g. ``"2019"``.
            evaluators: who evaluated (评估专家), at least one.
            scores: per assessed indicator code, the evaluators' score.
            period_start: the first day of the evidence.
            period_end: the last day of the evidence (not after the evaluation day).
            at: when, if earlier than now.

        Raises:
            InvalidTransition: the organization is not active or supervised (e.g. still
                incubating).
            ValidationError: a score missing, out of range or typed in for a record
                indicator; no evaluator; an upgrade sooner than the scheme allows.
            PluginError: the indicators or the scheme of a plugin are unusable.
        """
        names = [str(e).strip() for e in evaluators if str(e).strip()]
        if not names:
            raise ValidationError("name at least one evaluator (评估专家)", path="evaluators")
        if not isinstance(round, str) or not round.strip() or len(round) > 20:
            raise ValidationError("round must be a short label such as '2019'", path="round")

        def rules(op: Operation) -> None:
            row = self._row(op, org_id)
            self.grade_scheme(row.community_code)
            self.indicators(row.community_code, row.kind)

        with self._hooks_first(actor, "orgs.evaluate", rules), \
                self._write(actor, "orgs.evaluate") as op:
            row = self._row(op, org_id, lock=True)
            op.require(ORG_DECIDE, self._target(row))
            next_stage(OrgStage(row.stage), OrgEvent.EVALUATE)
            when = self._when(op, at, row.updated_at)
            day = self._local(when)
            end = period_end or day
            start = period_start or add_years(end, -1) + dt.timedelta(days=1)
            if not start <= end <= day:
                raise ValidationError(
                    f"the evidence period {start}..{end} must end on or before the evaluation "
                    f"day {day} and start before it ends", path="period_end")
            scheme = self.grade_scheme(row.community_code)
            check_upgrade(row.graded_on, row.grade_valid_until, day, scheme)
            total, lines = score_evaluation(self.indicators(row.community_code, row.kind),
                                            self._evidence(op, row, start, end), scores)
            grade = scheme.grade_for(total)
            valid_until = add_years(day, scheme.valid_years) - dt.timedelta(days=1)
            res = op.uow.conn.execute(ot.social_org_evaluations.insert().values(
                org_id=row.id, round=round.strip(), on=day, period_start=start,
                period_end=end, evaluators=json.dumps(names, ensure_ascii=False),
                score_tenths=_tenths(total), grade=None if grade is None else grade.value,
                valid_until=valid_until, lines=json.dumps(
                    [[ln.code, ln.name, ln.weight, ln.source.value,
                      None if ln.evidence is None else str(ln.evidence), str(ln.score)]
                     for ln in lines], ensure_ascii=False),
                actor=str(op.actor), at=when))
            eid = int(res.inserted_primary_key[0])  # type: ignore[index]
            note = f"{round.strip()}: {total} → {grade.value if grade else '未定级'}"
            self._step(op, row, OrgEvent.EVALUATE, when, note=note,
                       grade=None if grade is None else grade.value,
                       score_tenths=_tenths(total), graded_on=day,
                       grade_valid_until=valid_until if grade is not None else None)
            op.detail.update({"score": str(total), "grade": grade.value if grade else None})
            return Evaluation(id=eid, org_id=row.id, round=round.strip(), on=day,
                              period_start=start, period_end=end, evaluators=tuple(names),
                              score=total, grade=grade, valid_until=valid_until, lines=lines)

    @staticmethod
    def _evaluation(r: Any) -> Evaluation:
        lines = tuple(IndicatorScore(code, name, weight, EvidenceSource(src),
                                     None if ev is None else Decimal(ev), Decimal(score))
                      for code, name, weight, src, ev, score in json.loads(r.lines))
        return Evaluation(id=r.id, org_id=r.org_id, round=r.round, on=r.on,
                          period_start=r.period_start, period_end=r.period_end,
                          evaluators=tuple(json.loads(r.evaluators)),
                          score=Decimal(r.score_tenths) / 10,
                          grade=Grade(r.grade) if r.grade else None, valid_until=r.valid_until,
                          lines=lines)

    def evaluations(self, actor: Actor, *, org_id: str | None = None,
                    within: str | None = None) -> list[Evaluation]:
        """Evaluations in the actor's scope, oldest first."""
        e, o = ot.social_org_evaluations, ot.social_orgs
        with self._read(actor, "orgs.evaluations") as op:
            q = (sa.select(e).select_from(e.join(o, o.c.id == e.c.org_id))
                 .where(scope_clause(op.scope(ORG_READ), unit=o.c.community_code)))
            if org_id is not None:
                q = q.where(e.c.org_id == org_id)
            if within:
                q = q.where(o.c.community_code.startswith(within, autoescape=True))
            rows = op.uow.conn.execute(q.order_by(e.c.on, e.c.id)).all()
        return [self._evaluation(r) for r in rows]

    # ------------------------------------------------------------------ supervision

    def supervise(self, actor: Actor, org_id: str, *, finding: str,
                  days: int = DEFAULT_RECTIFICATION_DAYS,
                  at: dt.datetime | None = None) -> Finding:
        """Record a supervision finding (督促指导) with a rectification deadline ``days``
        working days after the day, in the calendar of the organization's county.

        Raises:
            InvalidTransition: the organization is not active or supervised.
            ValidationError: an empty finding or a number of days outside 1-90.
            CalendarYearMissing: the deadline runs into a year no calendar covers.
        """
        text = (finding or "").strip()
        if not text:
            raise ValidationError("describe the finding and what must change", path="finding")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 90:
            raise ValidationError(f"days must be 1-90 working days, got {days!r}", path="days")

        def rules(op: Operation) -> None:
            self.calendar(self._row(op, org_id).community_code)

        with self._hooks_first(actor, "orgs.supervise", rules), \
                self._write(actor, "orgs.supervise") as op:
            row = self._row(op, org_id, lock=True)
            op.require(ORG_DECIDE, self._target(row))
            next_stage(OrgStage(row.stage), OrgEvent.SUPERVISE)
            when = self._when(op, at, row.updated_at)
            day = self._local(when)
            deadline, provisional = self.calendar(row.community_code).deadline(day, days)
            res = op.uow.conn.execute(ot.social_org_findings.insert().values(
                org_id=row.id, text=text, found_on=day, working_days=days, deadline=deadline,
                deadline_provisional=provisional, rectified_on=None, follow_up="",
                actor=str(op.actor), at=when))
            fid = int(res.inserted_primary_key[0])  # type: ignore[index]
            self._step(op, row, OrgEvent.SUPERVISE, when,
                       note=f"#{fid} 整改期限 {deadline.isoformat()}"
                            f"{'（暂定 provisional）' if provisional else ''}: {text}")
            op.touch("social_org_finding", fid)
            return Finding(fid, row.id, text, day, deadline, days, provisional=provisional)

    def rectify(self, actor: Actor, finding_id: int, *, follow_up: str,
                at: dt.datetime | None = None) -> Finding:
        """Record that a finding was rectified (整改), with the follow-up note; the last open
        finding returns a supervised organization to active (整改完成).

        Raises:
            NotFound: no such finding.
            ConflictError: it was rectified already.
            ValidationError: no follow-up note.
        """
        note = (follow_up or "").strip()
        if not note:
            raise ValidationError("say how the finding was rectified (整改情况)",
                                  path="follow_up")
        f = ot.social_org_findings
        with self._write(actor, "orgs.rectify") as op:
            fr = op.uow.conn.execute(sa.select(f).where(f.c.id == finding_id)).first()
            if fr is None:
                raise NotFound("finding", finding_id, "list them with cgov orgs findings")
            row = self._row(op, fr.org_id, lock=True)
            op.require(ORG_MANAGE, self._target(row))
            if fr.rectified_on is not None:
                raise InvalidTransition(f"finding #{finding_id} was rectified on "
                                        f"{fr.rectified_on}; nothing to do")
            others = int(op.uow.conn.execute(sa.select(sa.func.count()).where(
                f.c.org_id == row.id, f.c.rectified_on.is_(None), f.c.id != finding_id)
            ).scalar_one())
            event = OrgEvent.RECTIFY if others else OrgEvent.CLEAR
            next_stage(OrgStage(row.stage), event)
            when = self._when(op, at, row.updated_at)
            day = self._local(when)
            done = op.uow.conn.execute(f.update().where(
                f.c.id == finding_id, f.c.rectified_on.is_(None)).values(
                rectified_on=day, follow_up=note))
            if done.rowcount != 1:
                raise InvalidTransition(f"finding #{finding_id} was rectified meanwhile")
            late = " (逾期)" if day > fr.deadline else ""
            self._step(op, row, event, when, note=f"#{finding_id}{late}: {note}")
            op.touch("social_org_finding", finding_id)
            return Finding(fr.id, fr.org_id, fr.text, fr.found_on, fr.deadline,
                           fr.working_days, day, note, fr.deadline_provisional)

    def findings(self, actor: Actor, *, org_id: str | None = None, within: str | None = None,
                 open_only: bool = False) -> list[Finding]:
        """Supervision findings in the actor's scope, oldest first (texts masked)."""
        f, o = ot.social_org_findings, ot.social_orgs
        with self._read(actor, "orgs.findings") as op:
            q = (sa.select(f).select_from(f.join(o, o.c.id == f.c.org_id))
                 .where(scope_clause(op.scope(ORG_READ), unit=o.c.community_code)))
            if org_id is not None:
                q = q.where(f.c.org_id == org_id)
            if within:
                q = q.where(o.c.community_code.startswith(within, autoescape=True))
            if open_only:
                q = q.where(f.c.rectified_on.is_(None))
            rows = op.uow.conn.execute(q.order_by(f.c.found_on, f.c.id)).all()
        return [Finding(r.id, r.org_id, mask_personal_numbers(r.text), r.found_on, r.deadline,
                        r.working_days, r.rectified_on, mask_personal_numbers(r.follow_up),
                        r.deadline_provisional)
                for r in rows]

    # ------------------------------------------------------------------ bidding

    def _eligibility(self, row: Any, day: dt.date) -> BidEligibility:
        org = self._org(row)
        grade = org.grade_on(day)
        if org.stage not in BID_STAGES:
            return BidEligibility(org.id, org.stage, grade, 0,
                                  f"only an active organization bids; it is "
                                  f"{org.stage.chinese} ({org.stage.value})")
        tier = self.bid_tier(org.community_code, grade)
        label = grade.value if grade else "no valid grade"
        why = (f"{label}: may not bid under {org.community_code[:6]}'s rules" if tier == 0
               else f"{label}: bids in round {tier}")
        return BidEligibility(org.id, org.stage, grade, tier, why)

    def bid_eligibility(self, actor: Actor, org_id: str, *, on: dt.date | None = None
                        ) -> BidEligibility:
        """Whether and in which round an organization may bid on ``on`` (default today):
        active, and the place's rule for its valid grade (``cgov_orgs_bid_tier``)."""
        with self._read(actor, "orgs.bid_eligibility") as op:
            row = self._row(op, org_id)
            if not op.visible(ORG_READ, self._target(row)):
                raise NotFound("social organization", org_id)
            day = on or op.today
        return self._eligibility(row, day)

    def bidders(self, actor: Actor, *, within: str | None = None, on: dt.date | None = None
                ) -> list[BidEligibility]:
        """The organizations that may bid on ``on``, first round first, best grade first."""
        o = ot.social_orgs
        with self._read(actor, "orgs.bidders") as op:
            q = sa.select(o).where(scope_clause(op.scope(ORG_READ), unit=o.c.community_code),
                                   o.c.stage.in_([s.value for s in BID_STAGES]))
            if within:
                q = q.where(o.c.community_code.startswith(within, autoescape=True))
            rows = op.uow.conn.execute(q.order_by(o.c.id)).all()
            day = on or op.today
        got = [self._eligibility(r, day) for r in rows]
        return sorted((g for g in got if g.eligible),
                      key=lambda g: (g.tier, -(g.grade.rank if g.grade else 0), g.org_id))
