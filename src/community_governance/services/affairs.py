"""Community-affairs disclosure (社区事务公开) beyond funds: the council's decisions and their
progress, its minutes (redacted), evaluation results as allowed, service changes; each posted
for a period (公示期) during which residents acknowledge it and may object.

Postings are built from the records they disclose (a decision, a meeting, a round), not
retyped. Every body is redacted when posted: ID and mobile numbers masked by the library's
scanner, and the names of the community's residents masked (``张**``). Evaluation results are
disclosed only in aggregate and only from results at or above the round's minimum.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain.access import Action, Actor, Target
from community_governance.domain.actions import HIGHER_OFFICE
from community_governance.domain.cases import mask_name
from community_governance.domain.party import RoundStatus, evaluation_result
from community_governance.domain.posts import PostKind
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.masking import mask_text
from community_governance.services.base import Operation, Service
from community_governance.storage.tables import core as t
from community_governance.storage.tables import party as pt

if TYPE_CHECKING:
    from community_governance.services.context import Context

__all__ = ["AFFAIRS_POST", "AFFAIRS_RESPOND", "AffairsService", "Posting", "PostingKind",
           "redact"]

#: Texts longer than this, or with more distinct pairs of characters than ``_RANGES``, are
#: matched against the community's names by a scan (:meth:`AffairsService._names`).
_RANGE_TEXT, _RANGES = 2000, 300

AFFAIRS_POST = Action("affairs.post", roles=frozenset({PostKind.SECRETARY, PostKind.DIRECTOR,
                                                       PostKind.STAFF}) | HIGHER_OFFICE)
#: A resident acknowledges or objects to a posting, for themselves.
AFFAIRS_RESPOND = Action("affairs.respond", self_service=True)


class PostingKind(enum.StrEnum):
    """What a posting discloses."""

    DECISION = "decision"  #: 决议事项
    PROGRESS = "progress"  #: 办理进度
    MINUTES = "minutes"  #: 会议纪要
    EVALUATION = "evaluation"  #: 评议结果
    SERVICE_CHANGE = "service_change"  #: 服务调整

    @property
    def chinese(self) -> str:
        """The Chinese heading."""
        return {"decision": "决议事项", "progress": "办理进度", "minutes": "会议纪要",
                "evaluation": "评议结果", "service_change": "服务调整"}[self.value]


@attrs.frozen
class Posting:
    """A posting of community affairs (社区事务公开事项) with its period (公示期).

    Attributes:
        id: key.
        community_code: the community.
        kind: what it discloses.
        title: heading.
        body: the text, redacted.
        source: the record it was built from (e.g. ``council_decision:D-1``).
        posted_on: first day.
        until: last day of the posting period.
        acknowledged: residents who acknowledged it.
        objections: objections filed.
    """

    id: str
    community_code: str
    kind: PostingKind = attrs.field(converter=PostingKind)
    title: str = ""
    body: str = ""
    source: str = ""
    posted_on: dt.date = dt.date(1970, 1, 1)
    until: dt.date = dt.date(1970, 1, 1)
    acknowledged: int = 0
    objections: int = 0


def redact(text: str, names: list[str]) -> str:
    """``text`` with ID and mobile numbers masked and each of ``names`` (two characters or
    more) masked (``张**``), longest first."""
    out = mask_text(text)
    for n in sorted({n for n in names if n and len(n) >= 2}, key=lambda s: (-len(s), s)):
        if n in out:  # the same text as replacing blindly, without masking every name
            out = out.replace(n, mask_name(n) or "")
    return out


def _link_posting(op: Operation, decision_id: str, posting_id: str) -> None:
    """Record that ``posting_id`` discloses the decision (``council_decision_links``)."""
    op.uow.conn.execute(pt.council_decision_links.insert().values(
        decision_id=decision_id, kind="posting", ref=posting_id, linked_on=op.today))


class AffairsService:
    """Community-affairs disclosure (社区事务公开). Reached as ``gov.affairs``."""

    def __init__(self, gov: Context) -> None:
        self._gov = gov
        self._svc = Service(gov)

    def _names(self, op: Operation, community: str, text: str) -> list[str]:
        """The names (two characters or more: :func:`redact` masks no shorter one) of the
        community's residents that occur in ``text``, sorted (found by the database, so a
        posting does not read every name of the community).

        A name occurring in ``text`` starts at some position ``i`` and is a prefix of
        ``text[i:]``: in code-point order it lies between ``text[i:i + 2]`` and ``text[i:]``.
        Those ranges are read through the index on the residents' names (``ix_residents_name``,
        code-point order on both backends: SQLite's ``BINARY`` and PostgreSQL's
        ``text_pattern_ops`` operators), the names that occur kept, and only those checked for
        the community; a very long text is matched by a scan of the community's names instead.
        """
        conn = op.uow.conn
        name = t.residents.c.name
        where_ = (t.buildings.c.community_code == community, t.residents.c.erased.is_(False))
        places = (t.residents.join(t.households, t.households.c.id == t.residents.c.household_id)
                  .join(t.buildings, t.buildings.c.code == t.households.c.building_code))
        upper: dict[str, str] = {}
        for i in range(len(text) - 1 if len(text) <= _RANGE_TEXT else 0):
            w = text[i:i + 2]
            upper[w] = max(upper.get(w, ""), text[i:])
        if len(text) > _RANGE_TEXT or len(upper) > _RANGES:
            found = (sa.func.strpos(text, name) if conn.dialect.name == "postgresql"
                     else sa.func.instr(text, name))
            return sorted(n for n in conn.execute(
                sa.select(name).distinct().select_from(places)
                .where(*where_, found > 0)).scalars() if len(n) >= 2)
        if not upper:
            return []
        # byte order on PostgreSQL, whatever the database's collation; the statement written
        # out (a construct of a few hundred terms costs more to build than to run), and no
        # DISTINCT (SQLite would walk the whole index for it rather than search the ranges)
        ge, le = (("~>=~", "~<=~") if conn.dialect.name == "postgresql" else (">=", "<="))
        params: dict[str, str] = {}
        terms = []
        for k, (w, u) in enumerate(upper.items()):
            terms.append(f"(name {ge} :w{k} AND name {le} :u{k})")
            params[f"w{k}"], params[f"u{k}"] = w, u
        hits = sorted({n for n in conn.execute(sa.text(
            "SELECT name FROM residents WHERE " + " OR ".join(terms)), params).scalars()
            if len(n) >= 2 and n in text})
        if not hits:
            return []
        return sorted(set(conn.execute(sa.select(name).select_from(places).where(
            *where_, name.in_(hits))).scalars()))

    def _post(self, op: Operation, posting_id: str, community: str, kind: PostingKind,
              title: str, body: str, source: str, days: int) -> Posting:
        if isinstance(days, bool) or not 5 <= days <= 90:
            raise ValidationError("a posting period (公示期) is 5 to 90 days", path="days")
        op.require(AFFAIRS_POST, Target("affairs", posting_id, unit_code=community))
        title, body = title.strip(), body.strip()
        names = self._names(op, community, f"{mask_text(title)}\n{mask_text(body)}")
        item = Posting(posting_id, community, kind, redact(title, names),
                       redact(body, names), source, op.today,
                       op.today + dt.timedelta(days=days - 1))
        try:
            op.uow.conn.execute(pt.affairs_postings.insert().values(
                id=item.id, community_code=community, kind=kind.value, title=item.title,
                body=item.body, source=source, posted_on=item.posted_on, until=item.until,
                posted_at=op.now))
        except IntegrityError:
            raise ConflictError(f"posting {posting_id} exists already") from None
        op.touch("affairs_posting", posting_id)
        return item

    def post_decision(self, actor: Actor, posting_id: str, decision_id: str, *,
                      days: int = 7) -> Posting:
        """Post a council decision (决议事项): what, who answers for it, by when. The posting
        is linked to the decision (``gov.council.progress``)."""
        with self._svc._write(actor, "affairs.post_decision") as op:
            return self._post_decision(op, posting_id, decision_id, days)

    def _post_decision(self, op: Operation, posting_id: str, decision_id: str,
                       days: int) -> Posting:
        d = op.uow.conn.execute(
            sa.select(pt.council_decisions, pt.council_motions.c.title,
                      pt.council_motions.c.votes_for, pt.council_motions.c.against,
                      pt.council_motions.c.abstain)
            .join(pt.council_motions,
                  pt.council_motions.c.id == pt.council_decisions.c.motion_id)
            .where(pt.council_decisions.c.id == decision_id)).first()
        if d is None:
            raise NotFound("decision", decision_id)
        body = (f"议题：{d.title}\n表决：赞成{d.votes_for}，反对{d.against}，弃权{d.abstain}\n"
                f"决议：{d.summary}\n议定日期：{d.decided_on}\n办结时限：{d.due}")
        out = self._post(op, posting_id, d.community_code, PostingKind.DECISION,
                         f"协商议事会决议：{d.title}", body, f"council_decision:{d.id}", days)
        _link_posting(op, decision_id, posting_id)
        return out

    def post_progress(self, actor: Actor, posting_id: str, decision_id: str, *,
                      days: int = 7) -> Posting:
        """Post a decision's progress (办理进度): done on a day, on time or late, or open."""
        with self._svc._write(actor, "affairs.post_progress") as op:
            d = op.uow.conn.execute(sa.select(pt.council_decisions).where(
                pt.council_decisions.c.id == decision_id)).first()
            if d is None:
                raise NotFound("decision", decision_id)
            if d.completed_on is None:
                state = f"办理中，时限{d.due}" + ("（已超期）" if op.today > d.due else "")
            else:
                state = f"已于{d.completed_on}办结" + ("（按期）" if d.completed_on <= d.due
                                                   else "（超期）")
            out = self._post(op, posting_id, d.community_code, PostingKind.PROGRESS,
                             f"决议办理进度：{d.summary}", f"决议：{d.summary}\n进度：{state}",
                             f"council_decision:{d.id}", days)
            _link_posting(op, decision_id, posting_id)
            return out

    def post_minutes(self, actor: Actor, posting_id: str, meeting_id: str, *,
                     days: int = 7) -> Posting:
        """Post a meeting's minutes (会议纪要), redacted, with attendance and the motions'
        results."""
        with self._svc._write(actor, "affairs.post_minutes") as op:
            m = op.uow.conn.execute(sa.select(pt.council_meetings).where(
                pt.council_meetings.c.id == meeting_id)).first()
            if m is None:
                raise NotFound("meeting", meeting_id)
            present = op.uow.conn.execute(sa.select(sa.func.count()).select_from(
                pt.council_attendance).where(
                pt.council_attendance.c.meeting_id == meeting_id)).scalar_one()
            motions = op.uow.conn.execute(sa.select(pt.council_motions).where(
                pt.council_motions.c.meeting_id == meeting_id).order_by(
                pt.council_motions.c.id)).all()
            lines = [f"会议日期：{m.held_on}", f"出席成员：{present}人", "纪要：" + m.minutes]
            lines += [f"表决事项：{x.title}（赞成{x.votes_for}，反对{x.against}，弃权{x.abstain}，"
                      f"{'通过' if x.carried else '未通过'}）" for x in motions]
            return self._post(op, posting_id, m.community_code, PostingKind.MINUTES,
                              f"会议纪要：{m.title}", "\n".join(lines),
                              f"council_meeting:{m.id}", days)

    def post_evaluation(self, actor: Actor, posting_id: str, round_id: str, *,
                        days: int = 7) -> Posting:
        """Post a closed round's results as allowed (评议结果): members evaluated, residents
        taking part, and the grades of the results at or above the round's minimum, added up
        (no member is named)."""
        from community_governance.services.party import _round_from_row

        with self._svc._write(actor, "affairs.post_evaluation") as op:
            r = op.uow.conn.execute(sa.select(pt.evaluation_rounds).where(
                pt.evaluation_rounds.c.id == round_id)).first()
            if r is None:
                raise NotFound("evaluation round", round_id)
            round_ = _round_from_row(r)
            if round_.status is not RoundStatus.CLOSED:
                raise ConflictError(f"round {round_id} is still open: post it once closed")
            tallies: dict[str, dict[str, int]] = {}
            for x in op.uow.conn.execute(sa.select(pt.evaluation_tallies).where(
                    pt.evaluation_tallies.c.round_id == round_id)):
                tallies.setdefault(x.member_id, {})[x.grade] = int(x.ballots)
            results = [evaluation_result(round_, m, v) for m, v in tallies.items()]
            shown = [res for res in results if res.published]
            grades: Counter[str] = Counter()
            for res in shown:
                for g, n in res.counts or ():
                    grades[g] += n
            voters = op.uow.conn.execute(sa.select(sa.func.count(sa.distinct(
                pt.evaluation_participation.c.voter_id))).where(
                pt.evaluation_participation.c.round_id == round_id)).scalar_one()
            body = "\n".join([
                f"评议党员：{len(results)}名；参加评议居民：{voters}人次",
                f"公布结果：{len(shown)}名（不足{round_.min_ballots}票的结果不公布）",
                "评议等次：" + "，".join(f"{g}{grades[g]}票" for g in round_.grades)])
            return self._post(op, posting_id, round_.community_code, PostingKind.EVALUATION,
                              f"{round_.title}结果", body, f"evaluation_round:{round_id}",
                              days)

    def post_notice(self, actor: Actor, posting_id: str, community: str, *, title: str,
                    body: str, days: int = 7) -> Posting:
        """Post a service change (服务调整) or another notice, redacted."""
        if not title.strip() or not body.strip():
            raise ValidationError("a notice needs a title and a text", path="title")
        with self._svc._write(actor, "affairs.post_notice") as op:
            return self._post(op, posting_id, community, PostingKind.SERVICE_CHANGE, title,
                              body, "notice", days)

    def _resident_of(self, op: Operation, resident_id: str, posting: Any) -> None:
        r = op.uow.conn.execute(
            sa.select(t.households.c.building_code, t.buildings.c.grid_code,
                      t.buildings.c.community_code)
            .join(t.households, t.households.c.id == t.residents.c.household_id)
            .join(t.buildings, t.buildings.c.code == t.households.c.building_code)
            .where(t.residents.c.id == resident_id)).first()
        op.require(AFFAIRS_RESPOND, Target("resident", resident_id,
                                           r.building_code if r else None,
                                           r.grid_code if r else None, owner_id=resident_id))
        if r is None or r.community_code != posting.community_code:
            raise ValidationError(f"posting {posting.id} is for the residents of "
                                  f"{posting.community_code}", path="resident_id")

    def _posting_row(self, op: Operation, posting_id: str) -> Any:
        p = op.uow.conn.execute(sa.select(pt.affairs_postings).where(
            pt.affairs_postings.c.id == posting_id)).first()
        if p is None:
            raise NotFound("posting", posting_id)
        return p

    def acknowledge(self, actor: Actor, posting_id: str, resident_id: str) -> None:
        """A resident of the community acknowledges a posting (已阅知), once."""
        with self._svc._write(actor, "affairs.acknowledge") as op:
            p = self._posting_row(op, posting_id)
            self._resident_of(op, resident_id, p)
            try:
                op.uow.conn.execute(pt.affairs_acknowledgements.insert().values(
                    posting_id=posting_id, resident_id=resident_id))
            except IntegrityError:
                raise ConflictError(f"resident {resident_id} acknowledged {posting_id} "
                                    "already") from None
            op.touch("affairs_posting", posting_id)

    def object(self, actor: Actor, objection_id: str, posting_id: str, resident_id: str, *,
               text: str) -> None:
        """A resident objects to a posting during its period (公示期内提出异议).

        Raises:
            ConflictError: the period is over.
        """
        if not text or not text.strip():
            raise ValidationError("an objection says what is wrong", path="text")
        with self._svc._write(actor, "affairs.object") as op:
            p = self._posting_row(op, posting_id)
            self._resident_of(op, resident_id, p)
            if not p.posted_on <= op.today <= p.until:
                raise ConflictError(f"posting {posting_id} was open to objections from "
                                    f"{p.posted_on} to {p.until}; today is {op.today}")
            try:
                op.uow.conn.execute(pt.affairs_objections.insert().values(
                    id=objection_id, posting_id=posting_id, resident_id=resident_id,
                    text=text.strip(), filed_on=op.today))
            except IntegrityError:
                raise ConflictError(f"objection {objection_id} exists already") from None
            op.touch("affairs_objection", objection_id)

    def answer(self, actor: Actor, objection_id: str, *, answer: str) -> None:
        """The community answers an objection (异议答复), once."""
        if not answer or not answer.strip():
            raise ValidationError("an answer is given in words", path="answer")
        with self._svc._write(actor, "affairs.answer") as op:
            o = op.uow.conn.execute(sa.select(pt.affairs_objections).where(
                pt.affairs_objections.c.id == objection_id)).first()
            if o is None:
                raise NotFound("objection", objection_id)
            p = self._posting_row(op, o.posting_id)
            op.require(AFFAIRS_POST, Target("affairs", p.id, unit_code=p.community_code))
            if o.answered_on is not None:
                raise ConflictError(f"objection {objection_id} was answered already")
            op.uow.conn.execute(pt.affairs_objections.update().where(
                pt.affairs_objections.c.id == objection_id).values(
                answer=answer.strip(), answered_on=op.today))
            op.touch("affairs_objection", objection_id)

    def board(self, community: str, *, on: dt.date | None = None) -> list[Posting]:
        """The community's postings (public), those in their period on ``on`` if given,
        newest first, with acknowledgement and objection counts."""
        a, o, p = pt.affairs_acknowledgements.c, pt.affairs_objections.c, pt.affairs_postings.c
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(sa.select(pt.affairs_postings).where(
                p.community_code == community).order_by(p.posted_on.desc(), p.id)).all()
            acks: dict[str, int] = {r[0]: int(r[1]) for r in uow.conn.execute(
                sa.select(a.posting_id, sa.func.count()).group_by(a.posting_id))}
            objs: dict[str, int] = {r[0]: int(r[1]) for r in uow.conn.execute(
                sa.select(o.posting_id, sa.func.count()).group_by(o.posting_id))}
        return [Posting(r.id, r.community_code, r.kind, r.title, r.body, r.source, r.posted_on,
                        r.until, int(acks.get(r.id, 0)), int(objs.get(r.id, 0)))
                for r in rows if on is None or r.posted_on <= on <= r.until]
