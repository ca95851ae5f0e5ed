"""Care for the demo city's vulnerable residents (关爱困难群众), through the services.

Run by ``cgov demo`` after the funds and cases (the ``care`` step of
:func:`community_governance.demo.build`). For every community of the county: the residents whose
registry flags say they live alone or are in extreme difficulty (the demo city has 1,398 and
420) are registered in care from 1 January and given to the community's assigned cadres and
staff in turn; the 2019 festival rounds are planned (粽子 and 月饼 donated to the charity
supermarket, the parcels before the Spring Festival bought from the care fund and paid);
cadres visit, most on time, a few late, a few not at all; a snow alert in late December sends
them out again. A few visits find needs, which become care cases and charity give-outs. The
elders living alone are invited to spend New Year, the Spring Festival and the Lantern Festival
of the year, and New Year's Day of the next, at the community; most say yes and most of those
come. (The 2020 Spring Festival and Lantern gatherings were called off for the epidemic, 疫情防控,
so the demo sends none.)

Each community's step is one batch call (one transaction) per service operation.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import attrs
import pendulum
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.care import VisitOutcome, WeatherAlert
from community_governance.domain.posts import PostKind
from community_governance.errors import InsufficientBalance
from community_governance.services.care import Reply, VisitEntry
from community_governance.services.charity import LotSpec
from community_governance.services.funds.common import Payment
from community_governance.storage.tables import care as tc
from community_governance.storage.tables import core as t

__all__ = ["CareSeedSummary", "seed_care"]

#: The categories the demo registers from the registry's flags (独居老人, 特困人员).
CATEGORIES = ("elderly_alone", "extreme_difficulty")
#: Shares of a round's visits that come late or never (the demo's imperfections).
LATE, MISSED = 0.03, 0.02
#: Share of visits that find a need.
NEEDS = 0.01
#: The holiday invitations the demo sends: (occasion, year offset), and per occasion the
#: shares of elders who answer yes and no (the rest do not answer); of those who said yes
#: most come (ATTEND), of those who did not answer a few (WALK_IN).
OCCASIONS = (("new_year", 0), ("spring_festival", 0), ("lantern", 0), ("new_year", 1))
ANSWERS = {"new_year": (0.55, 0.3), "spring_festival": (0.65, 0.25), "lantern": (0.75, 0.15)}
ATTEND, WALK_IN = 0.9, 0.1
_NEEDS_TOLD = ("冬季取暖煤不够", "家中水管漏水", "需要代购常用药", "助听器坏了", "希望有人陪同就医")


@attrs.frozen
class CareSeedSummary:
    """What :func:`seed_care` wrote.

    Attributes:
        communities: communities seeded.
        in_care: residents registered in care.
        rounds: visit rounds planned (festival and weather).
        visits: visits recorded.
        cases: care cases opened from needs found.
        invited: holiday invitations sent (元旦, 春节, 元宵节).
        attended: invited elders who came.
    """

    communities: int
    in_care: int
    rounds: int
    visits: int
    cases: int
    invited: int = 0
    attended: int = 0


def _tasks(gov: Any, round_id: str) -> list[Any]:
    k = tc.care_tasks
    with gov.store.unit_of_work(write=False) as uow:
        return list(uow.conn.execute(sa.select(k.c.id, k.c.resident_id, k.c.cadre_id, k.c.due_at)
                                .where(k.c.round_id == round_id).order_by(k.c.id)).all())


def _entries(gov: Any, rng: random.Random, round_id: str, window_hours: int) -> list[Any]:
    """The visits of a round to record, drawn from ``rng`` in task order: most before the due
    time, a few late, a few missed."""
    entries = []
    for task in _tasks(gov, round_id):
        roll = rng.random()
        if roll < MISSED or not task.cadre_id:
            continue
        due = pendulum.instance(task.due_at)
        at = (due.add(hours=rng.randint(2, 30)) if roll < MISSED + LATE
              else due.subtract(minutes=rng.randint(30, window_hours * 60)))
        found = rng.random() < NEEDS
        entries.append(VisitEntry(
            task.resident_id, at, VisitOutcome.NEEDS if found else VisitOutcome.MET,
            rng.choice(_NEEDS_TOLD) if found else "", task.id, task.cadre_id))
    return entries


def _record_rounds(gov: Any, rounds: list[list[Any]]) -> list[list[Any]]:
    """Record the visits of several rounds in one call (one transaction), in order; the
    visits of each round."""
    flat = [e for entries in rounds for e in entries]
    got = list(gov.care.record_visits(Actor.system("care-demo"), flat)) if flat else []
    out, at = [], 0
    for entries in rounds:
        out.append(got[at:at + len(entries)])
        at += len(entries)
    return out


def _invite(gov: Any, rng: random.Random, community: str, year: int) -> tuple[int, int]:
    """The holiday invitations of a community: sent a week before, answered in the days
    between, and who came recorded after the event. Returns (invited, came)."""
    from community_governance.domain.care import occasion_day

    who = Actor.system("care-demo")
    invited = came = 0
    for occasion, offset in OCCASIONS:
        day = occasion_day(occasion, year + offset)
        sent = pendulum.datetime(day.year, day.month, day.day, 9, tz=gov.timezone).subtract(
            days=7)
        got = gov.care.invite(who, community, occasion, year + offset, at=sent)
        if not got.invited:
            continue
        yes, no = ANSWERS[occasion]
        with gov.store.unit_of_work(write=False) as uow:  # a plain read, not a cadre's list
            people = list(uow.conn.execute(sa.select(tc.care_invitations.c.resident_id).where(
                tc.care_invitations.c.event_id == got.event_id)
                .order_by(tc.care_invitations.c.resident_id)).scalars())
        replies, come = [], []
        for r in people:
            roll = rng.random()
            answer = "yes" if roll < yes else "no" if roll < yes + no else ""
            if answer:
                replies.append(Reply(r, answer, sent.add(days=rng.randint(0, 6),
                                                         hours=rng.randint(0, 8))))
            if rng.random() < (ATTEND if answer == "yes" else WALK_IN if not answer else 0):
                come.append(r)
        if replies:
            gov.care.reply(who, got.event_id, replies)
        if come:
            gov.care.attend(who, got.event_id, come)
        invited += got.invited
        came += len(come)
    return invited, came


def seed_care(
    gov: Any, *, year: int = 2019, seed: int = 2019, county: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CareSeedSummary:
    """Seed a year of care in every community of ``county`` (code prefix; ``None``: all).

    Returns:
        The counts written.
    """
    rng = random.Random(seed + 17)
    who = Actor.system("care-demo")
    jan1 = dt.date(year, 1, 1)
    with gov.store.unit_of_work(write=False) as uow:
        communities = list(uow.conn.execute(sa.select(t.units.c.code).where(
            t.units.c.kind == "community", t.units.c.code.startswith(county or ""))
            .order_by(t.units.c.code)).scalars())
        posts: dict[str, list[str]] = {}
        for p in uow.conn.execute(sa.select(t.posts.c.id, t.posts.c.unit_code).where(
                t.posts.c.kind.in_([PostKind.ASSIGNED_CADRE.value, PostKind.STAFF.value]),
                t.posts.c.end.is_(None), t.posts.c.unit_code.in_(communities))
                .order_by(t.posts.c.kind, t.posts.c.id)):
            posts.setdefault(p.unit_code, []).append(p.id)
    in_care = rounds = visits = cases = invited = attended = 0
    followed: list[Any] = []
    home: dict[str, str] = {}
    lot_of: dict[str, str] = {}
    for i, c in enumerate(communities, start=1):
        needs = gov.care.enrol_flagged(who, c, on=jan1, categories=CATEGORIES)
        people = sorted({n.resident_id for n in needs})
        in_care += len(people)
        home.update(dict.fromkeys(people, c))
        mine = posts.get(c, [])
        if not people or not mine:
            continue
        gov.care.assign(who, [(r, mine[k % len(mine)]) for k, r in enumerate(people)], on=jan1)
        # the festival rounds: donated 粽子 and 月饼 (charity supermarket), parcels from the fund;
        # the community's visits of the year recorded in one call (the rounds' entries drawn
        # in the order the rounds are planned)
        festive: list[list[Any]] = []
        for fest, gift, value in (("dragon_boat", "粽子礼盒", 30), ("mid_autumn", "月饼礼盒", 40)):
            d = gov.charity.receive(who, c, donor="爱心企业", category="food", condition="new",
                                    quantity=len(people) + 10,
                                    estimated_value=(len(people) + 10) * value)
            lot = gov.charity.sort(who, d.id, [LotSpec(gift, len(people) + 10)])[0]
            r = gov.care.plan_festival(who, c, fest, year, lot_id=lot.id)
            lot_of[c] = lot.id
            festive.append(_entries(gov, rng, r.id, 72))
            rounds += 1
        try:
            r = gov.care.plan_festival(who, c, "spring_festival", year, fund_account="5102",
                                       unit_price="10")
        except InsufficientBalance:
            r = gov.care.plan_festival(who, c, "spring_festival", year)
        if r.disbursement_id is not None:
            ds = [gov.funds.disbursement(who, r.disbursement_id)]
            for d in ds:
                for role in d.missing_roles:
                    gov.funds.approve_many(Actor.system(f"care-demo-{role.value}"), [d.id],
                                           as_role=role)
            gov.funds.pay_many(who, [Payment(d.id, voucher=f"GH-{year}-{c[-3:]}",
                                             on=dt.date(year, 1, 25)) for d in ds])
        spring = _entries(gov, rng, r.id, 96)
        *got_festive, got_spring = _record_rounds(gov, [*festive, spring])
        for got in got_festive:
            visits += len(got)
            followed += [v for v in got if v.needs][:1]
        visits += len(got_spring)
        rounds += 1
        sent, came = _invite(gov, rng, c, year)
        invited += sent
        attended += came
        if progress is not None:
            progress(i, len(communities) + 1)
    # a snow alert in the winter: every assigned elder visited within the day
    place = county or (communities[0][:6] if communities else "")
    if communities:
        snow = WeatherAlert(f"SNOW-{place}-{year}1228", place, "snow", "yellow",
                            pendulum.datetime(year, 12, 28, 7, tz=gov.timezone), "县气象台")
        snowy = [_entries(gov, rng, r.id, 20) for r in gov.care.record_alert(who, snow)]
        rounds += len(snowy)
        for got in _record_rounds(gov, snowy):  # every round's visits in one call
            visits += len(got)
            followed += [v for v in got if v.needs][:1]
    # needs found on visits: a care case and a give-out, in one step each
    for v in followed[-5:]:
        gov.care.follow_up(who, v.id, case=True, lot_id=lot_of.get(home[v.resident_id]),
                           at=v.at)
        cases += 1
    if progress is not None:
        progress(len(communities) + 1, len(communities) + 1)
    return CareSeedSummary(len(communities), in_care, rounds, visits, cases, invited, attended)
