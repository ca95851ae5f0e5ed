"""Owners' committees (业主委员会) per compound and the owners' votes (业主共同决定) that elect
them and decide the compound's matters, counted by exclusive area and by headcount under the
place's rule (Art. 278 of the Civil Code by default)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain.access import Actor
from community_governance.domain.market import (
    Ballot,
    OwnersCommittee,
    OwnersMatter,
    OwnersVoteResult,
    OwnersVoteRule,
    check_committee,
    count_owner_votes,
    is_at_least_as_strict,
)
from community_governance.domain.pii_text import check_public_text
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.services.base import Operation, Service
from community_governance.services.market.common import (
    MARKET_WRITE,
    area_c,
    compound_row,
    from_area_c,
    member_from_row,
    target,
)
from community_governance.storage.tables import core as t
from community_governance.storage.tables import market as mt

__all__ = ["OwnersMixin", "OwnersVote", "expect_owners_rule"]


def expect_owners_rule(matter: OwnersMatter) -> Any:
    """A check for ``cgov_owners_vote_rule``: an :class:`OwnersVoteRule` asking at least what
    Art. 278 asks for ``matter``."""

    def check(value: Any) -> OwnersVoteRule:
        if not isinstance(value, OwnersVoteRule):
            raise TypeError(f"expected OwnersVoteRule, got {type(value).__name__}")
        if not is_at_least_as_strict(value, matter):
            raise ValueError(
                f"the rule ({value.words()}) asks less than Article 278 of the Civil Code for "
                f"{matter.value}: a place may ask more, never less")
        return value

    return check


@attrs.frozen
class OwnersVote:
    """A recorded owners' vote (业主大会表决) and its counts.

    Attributes:
        id: key.
        compound_code: the compound.
        title: what was voted.
        matter: the matter of Art. 278.
        held_on: the day the vote closed.
        result: the counts by area and by headcount.
    """

    id: str
    compound_code: str
    title: str
    matter: OwnersMatter
    held_on: dt.date
    result: OwnersVoteResult

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (areas as strings)."""
        r = self.result
        return {"id": self.id, "compound": self.compound_code, "title": self.title,
                "matter": self.matter.value, "held_on": self.held_on.isoformat(),
                "total_area": str(r.total_area), "total_owners": r.total_owners,
                "area_voting": str(r.area_voting), "owners_voting": r.owners_voting,
                "area_for": str(r.area_for), "owners_for": r.owners_for,
                "quorate": r.quorate, "carried": r.carried, "rule": r.rule,
                "reason": r.reason}


def _vote_from_row(r: Any) -> OwnersVote:
    res = OwnersVoteResult(from_area_c(r.total_area_c), int(r.total_owners),
                           from_area_c(r.voting_area_c), int(r.voting_owners),
                           from_area_c(r.for_area_c), int(r.for_owners), bool(r.quorate),
                           bool(r.carried), r.rule, r.reason)
    return OwnersVote(r.id, r.compound_code, r.title, OwnersMatter(r.matter), r.held_on, res)


class OwnersMixin(Service):
    """Owners' committees and votes (``gov.market``)."""

    def owners_rule(self, compound: str, matter: OwnersMatter | str) -> OwnersVoteRule:
        """The rule a vote of ``compound`` on ``matter`` is counted under (the place's hook).

        Raises:
            PluginError: a plugin answered something other than a rule at least as strict as
                Art. 278.
        """
        m = OwnersMatter(matter)
        rule: OwnersVoteRule = self._hooks.first("cgov_owners_vote_rule", expect_owners_rule(m),
                                 place=compound[:12], community_code=compound[:12],
                                 compound_code=compound, matter=m.value)
        return rule

    def owners_vote(self, actor: Actor, vote_id: str, compound: str, *, title: str,
                    matter: OwnersMatter | str, held_on: dt.date,
                    owners: Mapping[str, Decimal | int | str],
                    ballots: Mapping[str, Ballot | str]) -> OwnersVote:
        """Count and record an owners' vote of a compound (业主共同决定), by exclusive area and
        by headcount at once, under the place's rule for the matter.

        Only the counts are kept (no ballot rows). A vote short of the participation or the
        approval is recorded as not carried, with the reason.

        Args:
            actor: who records it (the residents' committee guides owners' votes).
            vote_id: key.
            compound: the compound.
            title: what was voted (published).
            matter: the matter of Art. 278 (``OwnersMatter``).
            held_on: the day the vote closed (not after today).
            owners: every owner of the compound → exclusive area in m².
            ballots: owner → ``for`` / ``against`` / ``abstain``, for those who voted.

        Raises:
            NotFound: no such compound.
            ValidationError: no title, a day in the future, a ballot of a non-owner, a bad area.
            ConflictError: the key is used already.
            PluginError: the rule answered is looser than Art. 278 or not a rule.
            PermissionDenied: the actor may not act for the compound's community.
        """
        m = OwnersMatter(matter)
        if not title or not title.strip():
            raise ValidationError("a vote says what is voted", path="title")
        check_public_text(title, "title")
        rule = self.owners_rule(compound, m)
        result = count_owner_votes(rule, owners, ballots)
        with self._write(actor, "market.owners_vote") as op:
            compound_row(op, compound, "compound")
            op.require(MARKET_WRITE, target("owners_vote", vote_id, compound))
            if held_on > op.today:
                raise ValidationError(f"vote {vote_id}: held on {held_on}, after today "
                                      f"({op.today}): record a vote once it has closed",
                                      path="held_on")
            try:
                op.uow.conn.execute(mt.market_owner_votes.insert().values(
                    id=vote_id, compound_code=compound, title=title.strip(), matter=m.value,
                    held_on=held_on, total_area_c=area_c(result.total_area),
                    total_owners=result.total_owners,
                    voting_area_c=area_c(result.area_voting),
                    voting_owners=result.owners_voting, for_area_c=area_c(result.area_for),
                    for_owners=result.owners_for, quorate=result.quorate,
                    carried=result.carried, rule=result.rule[:300],
                    reason=result.reason[:500], recorded_at=op.now))
            except IntegrityError:
                raise ConflictError(f"vote {vote_id} is recorded already: a vote is recorded "
                                    "once; hold a new vote to decide again") from None
            op.touch("owners_vote", vote_id)
            op.detail.update(carried=result.carried, quorate=result.quorate)
            return OwnersVote(vote_id, compound, title.strip(), m, held_on, result)

    def votes(self, compound_prefix: str = "") -> list[OwnersVote]:
        """Owners' votes of compounds under a prefix, by day (public facts: counts only)."""
        v = mt.market_owner_votes.c
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(sa.select(mt.market_owner_votes).where(
                v.compound_code.startswith(compound_prefix, autoescape=True))
                .order_by(v.held_on, v.id)).all()
        return [_vote_from_row(r) for r in rows]

    def _vote(self, op: Operation, vote_id: str) -> OwnersVote:
        r = op.uow.conn.execute(sa.select(mt.market_owner_votes).where(
            mt.market_owner_votes.c.id == vote_id)).first()
        if r is None:
            raise NotFound("owners' vote", vote_id, "record it first (owners_vote)")
        return _vote_from_row(r)

    def elect_committee(self, actor: Actor, committee: OwnersCommittee) -> OwnersCommittee:
        """Seat an owners' committee (业主委员会) elected by a carried owners' vote on the
        matter ``elect_committee``, under the guidance of the compound's residents' committee.

        Raises:
            ValidationError: the committee breaks the guidance (5-11 members, odd, one chair,
                a term of at most five years), or the vote is of another compound, matter or
                day.
            NotFound: the compound, the vote or a member's resident does not exist.
            ConflictError: the vote was not carried or elected a committee already, or the
                term overlaps the term of a committee of the compound.
            PermissionDenied: the actor may not act for the compound's community.
        """
        c = committee
        check_committee(c)
        with self._write(actor, "market.elect_committee") as op:
            conn = op.uow.conn
            compound_row(op, c.compound_code)
            op.require(MARKET_WRITE, target("owners_committee", c.id, c.compound_code))
            if c.vote_id is None:
                raise ValidationError(
                    f"owners' committee {c.id}: name the owners' vote that elected it "
                    "(vote_id); record the vote first (owners_vote, matter elect_committee)",
                    path="vote_id")
            vote = self._vote(op, c.vote_id)
            if (vote.compound_code != c.compound_code
                    or vote.matter is not OwnersMatter.ELECT_COMMITTEE
                    or vote.held_on != c.elected_on):
                raise ValidationError(
                    f"owners' committee {c.id}: vote {vote.id} is a vote of "
                    f"{vote.compound_code} on {vote.matter.value} held on {vote.held_on}; the "
                    f"committee needs a vote of {c.compound_code} on elect_committee held on "
                    f"its election day {c.elected_on}", path="vote_id")
            if not vote.result.carried:
                raise ConflictError(
                    f"vote {vote.id} was not carried ({vote.result.reason}): a committee is "
                    "seated only by a carried vote; hold the election again")
            mc = mt.market_committees.c
            clash = conn.execute(sa.select(mc.id, mc.term_start, mc.term_end).where(
                mc.compound_code == c.compound_code, mc.term_start <= c.term_end,
                mc.term_end >= c.term_start)).first()
            if clash is not None:
                raise ConflictError(
                    f"compound {c.compound_code} has owners' committee {clash.id} for "
                    f"{clash.term_start}..{clash.term_end}, which overlaps {c.id}'s term: "
                    "a compound has one committee at a time; start the new term after it ends")
            for i, m in enumerate(c.members):
                if m.resident_id is not None and conn.execute(sa.select(t.residents.c.id).where(
                        t.residents.c.id == m.resident_id)).first() is None:
                    raise NotFound("resident", m.resident_id, f"at members[{i}]")
            try:
                conn.execute(mt.market_committees.insert().values(
                    id=c.id, compound_code=c.compound_code, guided_by=c.guided_by,
                    elected_on=c.elected_on, term_start=c.term_start, term_end=c.term_end,
                    vote_id=c.vote_id))
                conn.execute(mt.market_committee_members.insert(), [
                    {"id": m.id, "committee_id": c.id, "name": m.name, "role": m.role.value,
                     "resident_id": m.resident_id} for m in c.members])
            except IntegrityError:
                raise ConflictError(
                    f"owners' committee {c.id}, one of its members' keys, or a committee of "
                    f"vote {c.vote_id} exists already") from None
            op.touch("owners_committee", c.id)
            return c

    def committees(self, compound_prefix: str = "", *,
                   on: dt.date | None = None) -> list[OwnersCommittee]:
        """Owners' committees of compounds under a prefix with their members (a public
        office), those sitting on ``on`` if given; by compound and term."""
        mc = mt.market_committees.c
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(sa.select(mt.market_committees).where(
                mc.compound_code.startswith(compound_prefix, autoescape=True))
                .order_by(mc.compound_code, mc.term_start, mc.id)).all()
            members: dict[str, list[Any]] = defaultdict(list)
            ids = [r.id for r in rows]
            if ids:
                for m in uow.conn.execute(sa.select(mt.market_committee_members).where(
                        mt.market_committee_members.c.committee_id.in_(ids))
                        .order_by(mt.market_committee_members.c.id)):
                    members[m.committee_id].append(member_from_row(m))
        out = [OwnersCommittee(r.id, r.compound_code, r.guided_by, r.elected_on, r.term_start,
                               r.term_end, tuple(members[r.id]), r.vote_id) for r in rows]
        return [c for c in out if on is None or c.sits_on(on)]
