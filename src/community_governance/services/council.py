"""The consultative council (协商议事会) of each community: members with terms, topics raised by
residents with supporters (民情收集), meetings with attendance and minutes, motions voted under
the place's rule (``cgov_council_vote_rule``) with the quorum computed from the roster, and
decisions with an owner and a deadline in working days (the calendar of the place), followed
to completion.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain.access import Action, Actor, Target
from community_governance.domain.actions import HIGHER_OFFICE
from community_governance.domain.council import (
    AgendaItem,
    Choice,
    CouncilMember,
    Decision,
    ItemQuorum,
    Meeting,
    Motion,
    MotionKind,
    MotionResult,
    VoteRule,
    count_votes,
    item_quorum,
)
from community_governance.domain.pii_text import check_public_text
from community_governance.domain.posts import PostKind
from community_governance.errors import (
    ConflictError,
    InvalidTransition,
    NotFound,
    ValidationError,
)
from community_governance.plugins import expect_type, working_day_calendar
from community_governance.services.base import Operation, Service
from community_governance.services.council_flow import ReferralsMixin
from community_governance.storage.tables import core as t
from community_governance.storage.tables import party as pt

if TYPE_CHECKING:
    from community_governance.services.context import Context

__all__ = ["COUNCIL_RAISE", "COUNCIL_WRITE", "CouncilService", "Topic"]

#: Running the council: members, meetings, votes, decisions (secretary, director, higher).
COUNCIL_WRITE = Action("council.write", roles=frozenset({PostKind.SECRETARY, PostKind.DIRECTOR})
                       | HIGHER_OFFICE)
#: A resident raises or supports a topic (民情收集), for themselves.
COUNCIL_RAISE = Action("council.raise", self_service=True)


def _member(r: Any) -> CouncilMember:
    return CouncilMember(r.id, r.community_code, r.seat, r.name, r.start, r.end, r.resident_id,
                         r.body_id)


def _decision(r: Any) -> Decision:
    return Decision(r.id, r.motion_id, r.community_code, r.summary, r.owner, r.decided_on,
                    r.due, r.completed_on)


class Topic:
    """A topic raised by a resident (议题), with its supporters counted."""

    __slots__ = ("community_code", "id", "raised_on", "supporters", "title")

    def __init__(self, id: str, community_code: str, title: str, raised_on: dt.date,
                 supporters: int) -> None:
        self.id = id
        self.community_code = community_code
        self.title = title
        self.raised_on = raised_on
        self.supporters = supporters

    def __repr__(self) -> str:
        return f"Topic({self.id!r}, {self.title!r}, supporters={self.supporters})"


class CouncilService(ReferralsMixin):
    """The consultative council (协商议事会). Reached as ``gov.council``.

    Decisions are referred to cases, disbursement requests and the affairs board and followed
    to completion by :class:`~community_governance.services.council_flow.ReferralsMixin`.
    """

    def __init__(self, gov: Context) -> None:
        self._gov = gov
        self._svc = Service(gov)

    def _home(self, op: Operation, resident_id: str) -> Any:
        r = op.uow.conn.execute(
            sa.select(t.residents.c.id, t.residents.c.erased, t.households.c.building_code,
                      t.buildings.c.grid_code, t.buildings.c.community_code)
            .outerjoin(t.households, t.households.c.id == t.residents.c.household_id)
            .outerjoin(t.buildings, t.buildings.c.code == t.households.c.building_code)
            .where(t.residents.c.id == resident_id)).first()
        if r is None:
            raise NotFound("resident", resident_id)
        return r

    # ------------------------------------------------------------------ members

    def add_members(self, actor: Actor, members: Iterable[CouncilMember]) -> int:
        """Seat council members for their terms.

        Raises:
            NotFound: a community or resident does not exist.
            ConflictError: a key exists already.
            PermissionDenied: the actor may not run the community's council.
        """
        items = list(members)
        with self._svc._write(actor, "council.add_members") as op:
            conn = op.uow.conn
            codes = sorted({m.community_code for m in items})
            communities = set(conn.execute(sa.select(t.units.c.code).where(
                t.units.c.code.in_(codes), t.units.c.kind == "community")).scalars()) \
                if codes else set()
            rids = sorted({m.resident_id for m in items if m.resident_id is not None})
            residents = set(conn.execute(sa.select(t.residents.c.id).where(
                t.residents.c.id.in_(rids))).scalars()) if rids else set()
            for i, m in enumerate(items):  # read at once above, checked in order
                if m.community_code not in communities:
                    raise NotFound("community", m.community_code, f"at $[{i}]")
                if m.resident_id is not None and m.resident_id not in residents:
                    raise NotFound("resident", m.resident_id)
                op.require(COUNCIL_WRITE, Target("council", m.community_code,
                                                 unit_code=m.community_code))
            try:
                if items:
                    conn.execute(pt.council_members.insert(), [
                        {"id": m.id, "community_code": m.community_code, "seat": m.seat.value,
                         "name": m.name, "start": m.start, "end": m.end,
                         "resident_id": m.resident_id, "body_id": m.body_id}
                        for m in items])
            except IntegrityError:
                raise ConflictError("a council member with one of these keys exists already")\
                    from None
            op.touched.extend(f"council_member:{m.id}" for m in items)
            return len(items)

    def members(self, community: str, *, on: dt.date | None = None) -> list[CouncilMember]:
        """The council's members (a public office), those sitting on ``on`` if given."""
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(sa.select(pt.council_members).where(
                pt.council_members.c.community_code == community).order_by(
                pt.council_members.c.id)).all()
        out = [_member(r) for r in rows]
        return [m for m in out if on is None or m.sits_on(on)]

    # ------------------------------------------------------------------ topics

    def raise_topic(self, actor: Actor, topic_id: str, resident_id: str, *,
                    title: str) -> Topic:
        """A resident raises a topic for the council of the community where they live
        (民情收集); the resident supports it."""
        if not title or not title.strip():
            raise ValidationError("a topic needs a title", path="title")
        check_public_text(title, "title")
        with self._svc._write(actor, "council.raise_topic") as op:
            r = self._home(op, resident_id)
            op.require(COUNCIL_RAISE, Target("resident", resident_id, r.building_code,
                                             r.grid_code, owner_id=resident_id))
            if r.erased or r.community_code is None:
                raise ValidationError(f"resident {resident_id} lives in no community",
                                      path="resident_id")
            try:
                op.uow.conn.execute(pt.council_topics.insert().values(
                    id=topic_id, community_code=r.community_code, title=title.strip(),
                    raised_by=resident_id, raised_on=op.today))
            except IntegrityError:
                raise ConflictError(f"topic {topic_id} exists already") from None
            op.uow.conn.execute(pt.council_topic_supporters.insert().values(
                topic_id=topic_id, resident_id=resident_id))
            op.touch("council_topic", topic_id)
            return Topic(topic_id, r.community_code, title.strip(), op.today, 1)

    def support_topic(self, actor: Actor, topic_id: str, resident_id: str) -> None:
        """A resident of the topic's community supports it (once).

        Raises:
            ConflictError: the resident supports it already.
            ValidationError: the resident lives elsewhere.
        """
        with self._svc._write(actor, "council.support_topic") as op:
            topic = op.uow.conn.execute(sa.select(pt.council_topics).where(
                pt.council_topics.c.id == topic_id)).first()
            if topic is None:
                raise NotFound("topic", topic_id)
            r = self._home(op, resident_id)
            op.require(COUNCIL_RAISE, Target("resident", resident_id, r.building_code,
                                             r.grid_code, owner_id=resident_id))
            if r.community_code != topic.community_code:
                raise ValidationError(f"topic {topic_id} is for {topic.community_code}; "
                                      f"resident {resident_id} lives elsewhere",
                                      path="resident_id")
            try:
                op.uow.conn.execute(pt.council_topic_supporters.insert().values(
                    topic_id=topic_id, resident_id=resident_id))
            except IntegrityError:
                raise ConflictError(f"resident {resident_id} supports topic {topic_id} "
                                    "already") from None
            op.touch("council_topic", topic_id)

    def topics(self, community: str) -> list[Topic]:
        """A community's topics with their supporters, most supported first (public)."""
        s = pt.council_topic_supporters.c
        tp = pt.council_topics.c
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(
                sa.select(tp.id, tp.community_code, tp.title, tp.raised_on,
                          sa.func.count(s.resident_id).label("n"))
                .outerjoin(pt.council_topic_supporters, s.topic_id == tp.id)
                .where(tp.community_code == community)
                .group_by(tp.id, tp.community_code, tp.title, tp.raised_on)).all()
        return sorted((Topic(r.id, r.community_code, r.title, r.raised_on, int(r.n))
                       for r in rows), key=lambda x: (-x.supporters, x.id))

    # ------------------------------------------------------------------ meetings and votes

    def hold_meeting(self, actor: Actor, meeting_id: str, community: str, *, title: str,
                     held_on: dt.date, attendees: Iterable[str], minutes: str,
                     kind: str = "council") -> int:
        """Record a meeting held, with its attendance and minutes (会议纪要): a council
        meeting, or (``kind="joint"``) a joint meeting (联席会议) of the general committee with
        the partner units, whose members sit on the roster with the partner seat.

        Raises:
            ValidationError: the day is in the future, an attendee does not sit on the council
                that day, or the minutes are empty.
            ConflictError: the key exists already.
            PermissionDenied: the actor may not run the community's council.
        """
        present = list(dict.fromkeys(attendees))
        if kind not in ("council", "joint"):
            raise ValidationError(f"a meeting is 'council' (协商议事会) or 'joint' (联席会议), "
                                  f"not {kind!r}", path="kind")
        if not minutes or not minutes.strip():
            raise ValidationError("a meeting held has minutes (会议纪要)", path="minutes")
        with self._svc._write(actor, "council.hold_meeting") as op:
            op.require(COUNCIL_WRITE, Target("council", community, unit_code=community))
            if held_on > op.today:
                raise ValidationError(
                    f"meeting {meeting_id} is on {held_on}, after today ({op.today}): a "
                    "meeting is recorded as held once it has taken place", path="held_on")
            roster = {m.id: m for m in self._roster(op, community, held_on)}
            for i, a in enumerate(present):
                if a not in roster:
                    raise ValidationError(f"{a} does not sit on the council of {community} on "
                                          f"{held_on}", path=f"attendees[{i}]")
            try:
                op.uow.conn.execute(pt.council_meetings.insert().values(
                    id=meeting_id, community_code=community, title=title.strip(), kind=kind,
                    held_on=held_on, minutes=minutes.strip(), recorded_at=op.now))
            except IntegrityError:
                raise ConflictError(f"meeting {meeting_id} exists already") from None
            if present:
                op.uow.conn.execute(pt.council_attendance.insert(), [
                    {"meeting_id": meeting_id, "member_id": a} for a in present])
            op.touch("council_meeting", meeting_id)
            return len(present)

    def _roster(self, op: Operation, community: str, day: dt.date) -> list[CouncilMember]:
        rows = op.uow.conn.execute(sa.select(pt.council_members).where(
            pt.council_members.c.community_code == community)).all()
        return [m for m in (_member(r) for r in rows) if m.sits_on(day)]

    def _meeting(self, op: Operation, meeting_id: str) -> Any:
        m = op.uow.conn.execute(sa.select(pt.council_meetings).where(
            pt.council_meetings.c.id == meeting_id)).first()
        if m is None:
            raise NotFound("meeting", meeting_id)
        return m

    def _rule(self, community: str, kind: MotionKind) -> VoteRule:
        return self._gov.hooks.first("cgov_council_vote_rule", expect_type(VoteRule),
                                     community_code=community, kind=kind.value, place=community)

    def vote(self, actor: Actor, motion_id: str, meeting_id: str, *, title: str,
             votes: Mapping[str, Choice | str], kind: MotionKind | str | None = None,
             topic_id: str | None = None, item_id: str | None = None) -> MotionResult:
        """Vote a motion at a meeting held: each attendee's choice (those who do not vote
        abstain), the quorum from the roster of the day, the result under the place's rule.

        Under an agenda item (``item_id``), the quorum is the item's: the roster and the
        attendance less the members who stand aside from it (回避), who may not vote on it;
        the motion takes the item's topic and kind, and the item records the motion.

        Raises:
            NotFound: no such meeting, topic or agenda item.
            ValidationError: a voter did not attend or stands aside from the item; the item
                names another motion, topic or kind.
            ConflictError: no quorum, or the motion was voted already; nothing is written.
            PluginError: the rule answered nonsense.
            PermissionDenied: the actor may not run the community's council.
        """
        choices = {k: Choice(v) for k, v in votes.items()}
        with self._svc._read(actor, "council.vote") as op:  # the rule, before the write
            community = self._meeting(op, meeting_id).community_code
            item = self._item(op, item_id, meeting_id) if item_id is not None else None
        want = MotionKind(kind) if kind is not None else None
        if item is not None and want is not None and want is not item.kind:
            raise ValidationError(f"agenda item {item.id} is a {item.kind.value} matter, not "
                                  f"{want.value}: leave kind out or change the agenda",
                                  path="kind")
        the_kind = item.kind if item is not None else (want or MotionKind.ORDINARY)
        rule = self._rule(community, the_kind)
        with self._svc._write(actor, "council.vote") as op:
            meeting = self._meeting(op, meeting_id)
            op.require(COUNCIL_WRITE, Target("council", community, unit_code=community))
            conn = op.uow.conn
            recused: set[str] = set()
            if item_id is not None:
                item = self._item(op, item_id, meeting_id)
                if item.motion_id not in (None, motion_id):
                    raise ValidationError(f"agenda item {item.id} is voted as motion "
                                          f"{item.motion_id}, not {motion_id}",
                                          path="motion_id")
                if topic_id is not None and item.topic_id not in (None, topic_id):
                    raise ValidationError(f"agenda item {item.id} takes up topic "
                                          f"{item.topic_id}, not {topic_id}", path="topic_id")
                topic_id = topic_id or item.topic_id
                recused = set(item.recused)
            if topic_id is not None and conn.execute(sa.select(pt.council_topics.c.id).where(
                    pt.council_topics.c.id == topic_id,
                    pt.council_topics.c.community_code == community)).first() is None:
                raise NotFound("topic", topic_id, f"of {community}")
            present = set(conn.execute(sa.select(pt.council_attendance.c.member_id).where(
                pt.council_attendance.c.meeting_id == meeting_id)).scalars())
            for member in choices:
                if member not in present:
                    raise ValidationError(f"{member} did not attend meeting {meeting_id}: only "
                                          "members present vote", path=f"votes.{member}")
                if member in recused:
                    raise ValidationError(f"{member} stands aside from agenda item {item_id} "
                                          "(回避) and does not vote on it",
                                          path=f"votes.{member}")
            roster = {m.id for m in self._roster(op, community, meeting.held_on)}
            result = count_votes(rule, len(roster - recused), len((present & roster) - recused),
                                 choices)
            try:
                conn.execute(pt.council_motions.insert().values(
                    id=motion_id, meeting_id=meeting_id, topic_id=topic_id,
                    title=title.strip(), kind=the_kind.value, roster=result.roster,
                    present=result.present, votes_for=result.votes_for,
                    against=result.against, abstain=result.abstain, carried=result.carried,
                    rule=result.rule[:200]))
            except IntegrityError:
                raise ConflictError(f"motion {motion_id} was voted already: a motion is voted "
                                    "once; table a new motion to vote again") from None
            if choices:
                conn.execute(pt.council_votes.insert(), [
                    {"motion_id": motion_id, "member_id": m, "choice": c.value}
                    for m, c in sorted(choices.items())])
            if item_id is not None:
                conn.execute(pt.council_agenda_items.update().where(
                    pt.council_agenda_items.c.id == item_id).values(motion_id=motion_id))
                op.touch("council_agenda_item", item_id)
            op.touch("council_motion", motion_id)
            op.detail.update(carried=result.carried, votes_for=result.votes_for,
                             against=result.against, abstain=result.abstain)
            return result

    # ------------------------------------------------------------------ agenda

    @staticmethod
    def _items(op: Operation, meeting_ids: Iterable[str]) -> list[AgendaItem]:
        ai, rc = pt.council_agenda_items.c, pt.council_agenda_recusals.c
        ids = list(meeting_ids)
        rows = op.uow.conn.execute(sa.select(pt.council_agenda_items).where(
            ai.meeting_id.in_(ids)).order_by(ai.meeting_id, ai.position)).all()
        out: dict[str, list[str]] = {}
        for r in op.uow.conn.execute(sa.select(pt.council_agenda_recusals).where(
                rc.item_id.in_([x.id for x in rows])).order_by(rc.member_id)):
            out.setdefault(r.item_id, []).append(r.member_id)
        return [AgendaItem(r.id, r.meeting_id, r.position, r.title, r.topic_id, r.motion_id,
                           tuple(out.get(r.id, ())), r.kind) for r in rows]

    def _item(self, op: Operation, item_id: str, meeting_id: str) -> AgendaItem:
        row = op.uow.conn.execute(sa.select(pt.council_agenda_items.c.meeting_id).where(
            pt.council_agenda_items.c.id == item_id)).first()
        if row is None or row.meeting_id != meeting_id:
            raise NotFound("agenda item", item_id, f"of meeting {meeting_id}")
        return next(x for x in self._items(op, [meeting_id]) if x.id == item_id)

    def set_agenda(self, actor: Actor, meeting_id: str,
                   items: Iterable[AgendaItem]) -> list[ItemQuorum]:
        """Add items to a meeting's agenda (议程), in order, each linked to a topic of the
        community or to a motion (the key the motion voted under it takes), with the members
        who stand aside from it (回避). Returns each item's quorum.

        Raises:
            NotFound: no such meeting or topic.
            ValidationError: an item of another meeting, a member standing aside who does not
                sit on the council that day, a motion of another meeting.
            ConflictError: a key or a position is taken already.
            PluginError: the rule answered nonsense.
            PermissionDenied: the actor may not run the community's council.
        """
        batch = list(items)
        with self._svc._read(actor, "council.set_agenda") as op:
            community = self._meeting(op, meeting_id).community_code
        rules = {k: self._rule(community, k) for k in {x.kind for x in batch}}
        with self._svc._write(actor, "council.set_agenda") as op:
            meeting = self._meeting(op, meeting_id)
            op.require(COUNCIL_WRITE, Target("council", community, unit_code=community))
            conn = op.uow.conn
            roster = {m.id for m in self._roster(op, community, meeting.held_on)}
            topics = set(conn.execute(sa.select(pt.council_topics.c.id).where(
                pt.council_topics.c.community_code == community,
                pt.council_topics.c.id.in_({x.topic_id for x in batch if x.topic_id}))
            ).scalars())
            motions = dict(conn.execute(sa.select(pt.council_motions.c.id,
                                                  pt.council_motions.c.meeting_id).where(
                pt.council_motions.c.id.in_({x.motion_id for x in batch if x.motion_id}))
            ).all())
            for i, x in enumerate(batch):
                path = f"$[{i}]"
                if x.meeting_id != meeting_id:
                    raise ValidationError(f"agenda item {x.id} is for meeting {x.meeting_id}, "
                                          f"not {meeting_id}", path=f"{path}.meeting_id")
                if x.topic_id is not None and x.topic_id not in topics:
                    raise NotFound("topic", x.topic_id, f"of {community} at {path}")
                if x.motion_id in motions and motions[x.motion_id] != meeting_id:
                    raise ValidationError(f"agenda item {x.id}: motion {x.motion_id} was voted "
                                          f"at meeting {motions[x.motion_id]}",
                                          path=f"{path}.motion_id")
                for m in x.recused:
                    if m not in roster:
                        raise ValidationError(f"agenda item {x.id}: {m} does not sit on the "
                                              f"council on {meeting.held_on}",
                                              path=f"{path}.recused")
            try:
                if batch:
                    conn.execute(pt.council_agenda_items.insert(), [
                        {"id": x.id, "meeting_id": meeting_id, "position": x.position,
                         "title": x.title.strip(), "kind": x.kind.value,
                         "topic_id": x.topic_id, "motion_id": x.motion_id} for x in batch])
                    recusals = [{"item_id": x.id, "member_id": m} for x in batch
                                for m in dict.fromkeys(x.recused)]
                    if recusals:
                        conn.execute(pt.council_agenda_recusals.insert(), recusals)
            except IntegrityError:
                raise ConflictError(f"meeting {meeting_id}'s agenda has one of these keys, "
                                    "positions or motions already: number the new items after "
                                    "the last") from None
            op.touched.extend(f"council_agenda_item:{x.id}" for x in batch)
            present = set(conn.execute(sa.select(pt.council_attendance.c.member_id).where(
                pt.council_attendance.c.meeting_id == meeting_id)).scalars())
            return [item_quorum(rules[x.kind], x.id, roster, present, x.recused)
                    for x in sorted(batch, key=lambda y: y.position)]

    def agenda(self, meeting_id: str) -> list[AgendaItem]:
        """A meeting's agenda in order (public facts)."""
        with self._svc._read(Actor.public(), "council.agenda") as op:
            self._meeting(op, meeting_id)
            return self._items(op, [meeting_id])

    def quorum(self, meeting_id: str) -> list[ItemQuorum]:
        """Each agenda item's quorum, computed from the council's roster on the meeting's day
        less the members standing aside from the item, under the place's rule for the item's
        kind (public facts).

        Raises:
            NotFound: no such meeting.
            PluginError: the rule answered nonsense.
        """
        with self._svc._read(Actor.public(), "council.quorum") as op:
            meeting = self._meeting(op, meeting_id)
            items = self._items(op, [meeting_id])
            roster = {m.id for m in self._roster(op, meeting.community_code, meeting.held_on)}
            present = set(op.uow.conn.execute(sa.select(pt.council_attendance.c.member_id).where(
                pt.council_attendance.c.meeting_id == meeting_id)).scalars())
        rules = {k: self._rule(meeting.community_code, k) for k in {x.kind for x in items}}
        return [item_quorum(rules[x.kind], x.id, roster, present, x.recused) for x in items]

    def meetings(self, community: str) -> list[Meeting]:
        """A community's council meetings with attendance, by day (public facts)."""
        m = pt.council_meetings.c
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(sa.select(pt.council_meetings).where(
                m.community_code == community).order_by(m.held_on, m.id)).all()
            att: dict[str, list[str]] = {}
            for a in uow.conn.execute(sa.select(pt.council_attendance).where(
                    pt.council_attendance.c.meeting_id.in_([r.id for r in rows]))
                    .order_by(pt.council_attendance.c.member_id)):
                att.setdefault(a.meeting_id, []).append(a.member_id)
        return [Meeting(r.id, r.community_code, r.title, r.held_on, r.minutes,
                        tuple(att.get(r.id, ())), r.kind) for r in rows]

    def motions(self, community: str) -> list[Motion]:
        """A community's motions with each member's vote (council votes are open: 记名表决)."""
        mo, me = pt.council_motions.c, pt.council_meetings.c
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(
                sa.select(pt.council_motions, me.held_on)
                .join(pt.council_meetings, me.id == mo.meeting_id)
                .where(me.community_code == community).order_by(me.held_on, mo.id)).all()
            votes: dict[str, list[tuple[str, Choice]]] = {}
            for v in uow.conn.execute(sa.select(pt.council_votes).where(
                    pt.council_votes.c.motion_id.in_([r.id for r in rows]))
                    .order_by(pt.council_votes.c.member_id)):
                votes.setdefault(v.motion_id, []).append((v.member_id, Choice(v.choice)))
        return [Motion(r.id, r.meeting_id, r.title, MotionKind(r.kind), r.held_on,
                       MotionResult(r.roster, r.present, r.votes_for, r.against, r.abstain,
                                    bool(r.carried), r.rule),
                       tuple(votes.get(r.id, ()))) for r in rows]

    # ------------------------------------------------------------------ decisions

    def decide(self, actor: Actor, decision_id: str, motion_id: str, *, summary: str,
               owner: str, working_days: int) -> Decision:
        """Turn a carried motion into a decision with an owner and a deadline
        ``working_days`` after the meeting, in the working days of the place's calendar.

        Raises:
            ConflictError: the motion was not carried, or it has a decision already.
            ValidationError: no summary or a bad number of days.
        """
        if not summary or not summary.strip():
            raise ValidationError("a decision says what is to be done", path="summary")
        if isinstance(working_days, bool) or not 1 <= working_days <= 365:
            raise ValidationError("working_days is a whole number from 1 to 365",
                                  path="working_days")
        with self._svc._write(actor, "council.decide") as op:
            conn = op.uow.conn
            row = conn.execute(
                sa.select(pt.council_motions, pt.council_meetings.c.community_code,
                          pt.council_meetings.c.held_on)
                .join(pt.council_meetings,
                      pt.council_meetings.c.id == pt.council_motions.c.meeting_id)
                .where(pt.council_motions.c.id == motion_id)).first()
            if row is None:
                raise NotFound("motion", motion_id)
            op.require(COUNCIL_WRITE, Target("council", row.community_code,
                                             unit_code=row.community_code))
            if not row.carried:
                raise ConflictError(f"motion {motion_id} was not carried "
                                    f"({row.votes_for} for of {row.present} present): only a "
                                    "carried motion becomes a decision")
            cal = working_day_calendar(self._gov.hooks, row.community_code[:6])
            due = cal.add_working_days(row.held_on, working_days)
            item = Decision(decision_id, motion_id, row.community_code, summary.strip(), owner,
                            row.held_on, due)
            try:
                conn.execute(pt.council_decisions.insert().values(
                    id=item.id, motion_id=motion_id, community_code=item.community_code,
                    summary=item.summary, owner=owner, decided_on=item.decided_on, due=due))
            except IntegrityError:
                raise ConflictError(f"motion {motion_id} has a decision already, or "
                                    f"{decision_id} exists") from None
            op.touch("council_decision", decision_id)
            return item

    def complete(self, actor: Actor, decision_id: str, *, on: dt.date) -> Decision:
        """Record a decision done (办结) on ``on``.

        Raises:
            InvalidTransition: done already.
            ValidationError: ``on`` is before the decision or after today.
        """
        with self._svc._write(actor, "council.complete") as op:
            row = op.uow.conn.execute(sa.select(pt.council_decisions).where(
                pt.council_decisions.c.id == decision_id)).first()
            if row is None:
                raise NotFound("decision", decision_id)
            op.require(COUNCIL_WRITE, Target("council", row.community_code,
                                             unit_code=row.community_code))
            if row.completed_on is not None:
                raise InvalidTransition(f"decision {decision_id} was done on "
                                        f"{row.completed_on} already")
            if on < row.decided_on or on > op.today:
                raise ValidationError(f"decision {decision_id} is done between "
                                      f"{row.decided_on} and today ({op.today}), not {on}",
                                      path="on")
            op.uow.conn.execute(pt.council_decisions.update().where(
                pt.council_decisions.c.id == decision_id).values(completed_on=on))
            op.touch("council_decision", decision_id)
            return Decision(row.id, row.motion_id, row.community_code, row.summary, row.owner,
                            row.decided_on, row.due, on)

    def decisions(self, community: str) -> list[Decision]:
        """A community's decisions, by deadline (public facts)."""
        d = pt.council_decisions.c
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(sa.select(pt.council_decisions).where(
                d.community_code == community).order_by(d.due, d.id)).all()
        return [_decision(r) for r in rows]

    def participation(self, community_prefix: str = "") -> list[dict[str, Any]]:
        """Residents' voice per community and month (参与情况): council meetings and the
        members attending them, topics raised and their supporters, evaluation ballots (counted
        in the month a round's voting ends: ballots carry no finer time), decisions due and
        done on time. Counts only: no person is named.
        """
        rows: dict[tuple[str, str], dict[str, Any]] = {}

        def row(c: str, day: dt.date) -> dict[str, Any]:
            key = (c, f"{day:%Y-%m}")
            if key not in rows:
                rows[key] = {"community": c, "month": key[1], "meetings": 0, "attendance": 0,
                             "topics": 0, "supporters": 0, "ballots": 0, "decisions_due": 0,
                             "done_on_time": 0}
            return rows[key]

        me, tp = pt.council_meetings.c, pt.council_topics.c
        with self._gov.store.unit_of_work(write=False) as uow:
            conn = uow.conn
            for r in conn.execute(sa.select(me.community_code, me.held_on, sa.func.count(
                    pt.council_attendance.c.member_id).label("n"))
                    .outerjoin(pt.council_attendance,
                               pt.council_attendance.c.meeting_id == me.id)
                    .where(me.community_code.startswith(community_prefix))
                    .group_by(me.id, me.community_code, me.held_on)):
                x = row(r.community_code, r.held_on)
                x["meetings"] += 1
                x["attendance"] += int(r.n)
            for r in conn.execute(sa.select(tp.community_code, tp.raised_on, sa.func.count(
                    pt.council_topic_supporters.c.resident_id).label("n"))
                    .outerjoin(pt.council_topic_supporters,
                               pt.council_topic_supporters.c.topic_id == tp.id)
                    .where(tp.community_code.startswith(community_prefix))
                    .group_by(tp.id, tp.community_code, tp.raised_on)):
                x = row(r.community_code, r.raised_on)
                x["topics"] += 1
                x["supporters"] += int(r.n)
            ev = pt.evaluation_rounds.c
            for r in conn.execute(sa.select(ev.community_code, ev.period_end, sa.func.count(
                    pt.evaluation_participation.c.voter_id).label("n"))
                    .join(pt.evaluation_participation,
                          pt.evaluation_participation.c.round_id == ev.id)
                    .where(ev.community_code.startswith(community_prefix))
                    .group_by(ev.id, ev.community_code, ev.period_end)):
                row(r.community_code, r.period_end)["ballots"] += int(r.n)
            d = pt.council_decisions.c
            for r in conn.execute(sa.select(d.community_code, d.due, d.completed_on).where(
                    d.community_code.startswith(community_prefix))):
                x = row(r.community_code, r.due)
                x["decisions_due"] += 1
                x["done_on_time"] += int(r.completed_on is not None and r.completed_on <= r.due)
        return [rows[k] for k in sorted(rows)]

    def on_time_report(self, community_prefix: str = "", *,
                       today: dt.date) -> list[dict[str, Any]]:
        """Per community under the prefix: the decisions due by ``today``, those completed on
        time, those completed late, those still open past due, and the share completed on time
        (``None`` when none was due). Counts only (public facts).
        """
        d = pt.council_decisions.c
        rows: dict[str, dict[str, Any]] = {}
        with self._gov.store.unit_of_work(write=False) as uow:
            for r in uow.conn.execute(sa.select(d.community_code, d.due, d.completed_on).where(
                    d.community_code.startswith(community_prefix, autoescape=True),
                    d.due <= today).order_by(d.community_code)):
                x = rows.setdefault(r.community_code, {
                    "community": r.community_code, "due": 0, "on_time": 0, "late": 0,
                    "open_past_due": 0, "on_time_share": None})
                x["due"] += 1
                if r.completed_on is None:
                    x["open_past_due"] += 1
                elif r.completed_on <= r.due:
                    x["on_time"] += 1
                else:
                    x["late"] += 1
        for x in rows.values():
            x["on_time_share"] = round(x["on_time"] / x["due"], 4)
        return [rows[k] for k in sorted(rows)]

    def on_time_share(self, community: str, *, today: dt.date) -> tuple[int, int, int]:
        """``(due by today, completed on time, still open past due)`` for a community."""
        due = [x for x in self.decisions(community) if x.due <= today]
        on_time = sum(1 for x in due if x.on_time)
        late_open = sum(1 for x in due if x.completed_on is None)
        return len(due), on_time, late_open
