"""Demo data for party building and residents' voice (the ``party`` step of
:func:`community_governance.demo.build`): the party trees below the general committees (a
branch per grid, a building group where a building has enough members), 党员中心户 with the
households they link, consent to 党员亮身份, an evaluation round in December, council meetings
with votes and decisions through the year, and the community-affairs postings.

Everything goes through the services, in batches (one transaction per community and kind of
record where the service offers it); the year's dates come from a view of the governance object
whose clock is moved by hand.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pendulum
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.council import CouncilMember, CouncilSeat
from community_governance.domain.party import (
    CountyLeaderLink,
    Designation,
    FestivalVisit,
    Suggestion,
    SymposiumRole,
)
from community_governance.domain.posts import (
    HolderKind,
    PartyOrg,
    PartyOrgKind,
    Post,
    PostKind,
    StaffMember,
)
from community_governance.storage.tables import core as t

if TYPE_CHECKING:
    from community_governance.facade import Governance

__all__ = ["MIN_GROUP", "seed_party"]

#: Members a building needs for its own party group (楼院党小组: at least three members).
MIN_GROUP = 3
#: Residents of a member's grid who evaluate each member in the demo round.
_VOTERS = (12, 30)
_GRADES = (("优秀", 0.45), ("合格", 0.45), ("基本合格", 0.08), ("不合格", 0.02))
#: County leaders (县级领导) in the demo, each partnering this many communities.
_PER_LEADER = 2
_OFFICES = ("县委副书记", "副县长", "县人大常委会副主任", "县政协副主席", "县委常委")
_SUGGESTIONS = (("楼道照明不足", "维修楼道灯"), ("垃圾清运不及时", "协调物业加密清运"),
                ("独居老人需要照看", "安排党员结对帮扶"), ("健身器材损坏", "报修健身器材"))
_TOPICS = ("加装电梯", "增设电动车充电桩", "老旧小区改造", "楼道照明维修", "增设健身器材",
           "垃圾分类投放点调整", "停车位划线", "社区食堂开办")

Progress = Callable[[int, int], None]


def _clock(gov: Governance) -> tuple[Governance, Callable[[dt.date, int], None]]:
    now = [gov.now()]

    def set_to(day: dt.date, hour: int) -> None:
        now[0] = pendulum.datetime(day.year, day.month, day.day, hour, tz="Asia/Shanghai")\
            .in_timezone("UTC")

    return gov.with_clock(lambda: now[0]), set_to


def _members_by_community(gov: Governance, county: str | None) -> dict[str, list[Any]]:
    q = (sa.select(t.residents.c.id, t.buildings.c.community_code, t.buildings.c.code,
                   t.buildings.c.grid_code)
         .select_from(t.residents.join(t.households).join(t.buildings))
         .where(t.residents.c.party_member.is_(True), t.residents.c.erased.is_(False),
                t.buildings.c.grid_code.is_not(None),
                t.buildings.c.community_code.startswith(county or ""))
         .order_by(t.residents.c.id))
    out: dict[str, list[Any]] = defaultdict(list)
    with gov.store.unit_of_work(write=False) as uow:
        for r in uow.conn.execute(q).all():  # fetched at once, not row by row
            out[r.community_code].append(r)
    return out


def _residents_by_grid(gov: Governance, county: str | None) -> dict[str, list[str]]:
    q = (sa.select(t.residents.c.id, t.buildings.c.grid_code)
         .select_from(t.residents.join(t.households).join(t.buildings))
         .where(t.residents.c.erased.is_(False), t.buildings.c.grid_code.is_not(None),
                t.buildings.c.community_code.startswith(county or ""))
         .order_by(t.residents.c.id))
    out: dict[str, list[str]] = defaultdict(list)
    with gov.store.unit_of_work(write=False) as uow:
        for rid, grid in uow.conn.execute(q).all():  # fetched at once, not row by row
            out[grid].append(rid)
    return out


def seed_party(gov: Governance, *, year: int, seed: int, county: str | None = None,
               progress: Progress | None = None) -> dict[str, int]:
    """Build the party trees, members' records, an evaluation round, the councils and the
    affairs postings of ``year`` for the communities of ``county``.

    Needs the registry (general committees and their members) and the grids.

    Returns:
        Counts of what was written.
    """
    rng = random.Random(seed + 16)
    voice = random.Random(seed + 1616)  # 座谈会 and visits: their own stream
    system = Actor.system("demo")
    view, set_day = _clock(gov)
    members = _members_by_community(gov, county)
    grid_people = _residents_by_grid(gov, county)
    committees = {o.unit_code: o for o in gov.registry.party_orgs(
        county, kind=PartyOrgKind.GENERAL_COMMITTEE)}
    communities = sorted(c for c in members if c in committees)
    counts: dict[str, int] = defaultdict(int)
    jan = dt.date(year, 1, 1)
    set_day(jan, 9)
    counts["leaders"] = _leaders(view, system, communities, county, jan)
    for step, c in enumerate(communities):
        gc = committees[c]
        by_grid: dict[str, list[Any]] = defaultdict(list)
        by_building: dict[str, list[Any]] = defaultdict(list)
        for r in members[c]:
            by_grid[r.grid_code].append(r)
            by_building[r.code].append(r)
        set_day(jan, 10)
        orgs = [PartyOrg(f"PB-{g}", PartyOrgKind.GRID_BRANCH, g, f"第{g[-2:]}网格党支部",
                         parent_id=gc.id) for g in sorted(by_grid)]
        groups = {b: rs for b, rs in by_building.items() if len(rs) >= MIN_GROUP}
        partners = view.registry.partner_units(c)
        orgs += [PartyOrg(f"PC-{c}-{p.id}", PartyOrgKind.PARTNER_ORG, c, f"{p.name}机关党支部",
                          parent_id=gc.id, partner_id=p.id) for p in partners[:1]]
        counts["partner_orgs"] += min(1, len(partners))
        orgs += [PartyOrg(f"PG-{b}", PartyOrgKind.BUILDING_GROUP, b,
                          f"{b.rsplit('-', 1)[-1]}楼院党小组", parent_id=f"PB-{rs[0].grid_code}")
                 for b, rs in sorted(groups.items())]
        view.registry.add_party_orgs(system, orgs)
        counts["branches"] += len(by_grid)
        counts["groups"] += len(groups)
        enrol = {f"PB-{g}": [r.id for r in rs if r.code not in groups]
                 for g, rs in sorted(by_grid.items())}
        enrol.update((f"PG-{b}", [r.id for r in rs]) for b, rs in sorted(groups.items()))
        view.registry.add_party_memberships(
            system, {o: ids for o, ids in enrol.items() if ids}, since=jan)
        # 党员中心户: one per grid, the first member of its largest building, linking up to
        # ten households of that building
        posts, links = [], {}
        centre_of = {g: max(sorted({r.code for r in rs}), key=lambda x: len(by_building[x]))
                     for g, rs in sorted(by_grid.items())}
        homes_of: dict[str, list[str]] = defaultdict(list)
        with gov.store.unit_of_work(write=False) as uow:  # the centres' buildings at once
            for h, b in uow.conn.execute(sa.select(t.households.c.id,
                                                   t.households.c.building_code).where(
                    t.households.c.building_code.in_(sorted(set(centre_of.values()))))
                    .order_by(t.households.c.id)):
                homes_of[b].append(h)
        for g, b in centre_of.items():
            holder = by_building[b][0].id
            posts.append(Post(f"P-ZX-{g}", PostKind.PARTY_HOUSEHOLD_CENTRE, b,
                              HolderKind.RESIDENT, holder, jan))
            links[f"P-ZX-{g}"] = homes_of[b][:10]
        view.registry.assign_posts(system, posts)
        linking = {pid: homes for pid, homes in links.items() if homes}
        if linking:  # one transaction for the community's 党员中心户
            counts["centre_households"] += view.party.link_centre_households_many(
                system, linking, since=jan)
        counts["centres"] += len(posts)
        consents = {r.id: True for r in members[c] if rng.random() < 0.6}
        if consents:
            counts["consents"] += view.party.record_consents(system, consents)
        _council(view, set_day, system, rng, c, year, counts, members[c], refer=step % 3 == 0)
        _symposium(view, set_day, system, voice, c, year, counts, by_grid,
                   {p.holder_id for p in posts})
        _evaluation(view, set_day, system, rng, c, year, counts, by_grid, grid_people)
        if progress:
            progress(step + 1, len(communities))
    _visits(view, set_day, system, voice, year, counts, members, communities)
    return dict(counts)


def _council(view: Any, set_day: Callable[[dt.date, int], None], system: Actor,
             rng: random.Random, c: str, year: int, counts: dict[str, int],
             members: list[Any], *, refer: bool = False) -> None:
    """Nine council members, meetings in June and November with two motions each, decisions
    followed to completion and posted; with ``refer``, the first decision is referred to a
    case (and the board) and recorded done when the case is resolved."""
    set_day(dt.date(year, 1, 2), 10)
    seats = ([CouncilSeat.RESIDENTS] * 4 + [CouncilSeat.PARTY] * 2 +
             [CouncilSeat.PARTNER, CouncilSeat.PROPERTY, CouncilSeat.OWNERS_COMMITTEE])
    party_reps = [r.id for r in members[:2]]
    roster = [CouncilMember(f"CM-{c}-{i}", c, seat, f"议事代表{i + 1}", dt.date(year, 1, 1),
                            resident_id=party_reps[i - 4] if seat is CouncilSeat.PARTY and
                            i - 4 < len(party_reps) else None)
              for i, seat in enumerate(seats)]
    view.council.add_members(system, roster)
    ids = [m.id for m in roster]
    with view.store.unit_of_work(write=False) as uow:
        buildings = list(uow.conn.execute(sa.select(t.buildings.c.code).where(
            t.buildings.c.community_code == c).order_by(t.buildings.c.code).limit(1)).scalars())
        secretary = uow.conn.execute(sa.select(t.posts.c.holder_id).where(
            t.posts.c.kind == PostKind.SECRETARY.value, t.posts.c.unit_code == c,
            t.posts.c.holder_kind == HolderKind.STAFF.value).limit(1)).scalar_one_or_none()
    referred = not refer
    topics = rng.sample(_TOPICS, 4)
    for q, (month, day) in enumerate(((6, 18), (11, 19))):
        held = dt.date(year, month, day)
        set_day(held, 16)
        present = rng.sample(ids, rng.randint(6, 9))
        mid = f"CM-{c}-{year}-{q + 1}"
        view.council.hold_meeting(system, mid, c, title=f"{year}年第{q + 1}次协商议事会",
                                  held_on=held, attendees=present,
                                  minutes=f"议题：{topics[2 * q]}、{topics[2 * q + 1]}。"
                                  "与会代表充分协商，形成表决事项。")
        counts["meetings"] += 1
        for k in range(2):
            motion = f"MO-{c}-{year}-{q + 1}-{k + 1}"
            share = rng.choice((0.9, 0.75, 0.6, 0.4))
            votes = {m: ("for" if rng.random() < share else rng.choice(("against", "abstain")))
                     for m in present}
            result = view.council.vote(system, motion, mid, title=topics[2 * q + k],
                                       votes=votes, kind="major" if k == 1 else "ordinary")
            counts["motions"] += 1
            if result.carried:
                d = view.council.decide(system, f"D-{motion}", motion,
                                        summary=f"落实{topics[2 * q + k]}", owner=f"SEC-{c}",
                                        working_days=rng.choice((10, 15, 20)))
                counts["decisions"] += 1
                done = d.due + dt.timedelta(days=rng.choice((-6, -3, -1, 0, 2, 5)))
                if not referred and secretary and done <= dt.date(year, 12, 31):
                    # the community's first decision goes to a case (and the board) without
                    # retyping, and is recorded done when the case is resolved
                    referred = True
                    case = view.council.refer_to_case(
                        system, d.id, category="repair", building_code=buildings[0],
                        posting_id=f"A-{d.id}")
                    counts["referred"] += 1
                    set_day(max(done, held), 11)
                    view.cases.assign(system, case.id, secretary)
                    view.cases.start(system, case.id)
                    view.cases.resolve(system, case.id, note="已落实")
                    counts["completed"] += len(view.council.follow_up(system, c))
                    view.affairs.post_progress(system, f"A-P-{d.id}", d.id, days=7)
                    set_day(held, 18)
                    continue
                view.affairs.post_decision(system, f"A-{d.id}", d.id, days=7)
                if done <= dt.date(year, 12, 31):
                    set_day(max(done, held), 17)
                    view.council.complete(system, d.id, on=max(done, held))
                    counts["completed"] += 1
                    view.affairs.post_progress(system, f"A-P-{d.id}", d.id, days=7)
                    set_day(held, 18)
        view.affairs.post_minutes(system, f"A-M-{mid}", mid, days=7)
        counts["postings"] += 1


def _evaluation(view: Any, set_day: Callable[[dt.date, int], None], system: Actor,
                rng: random.Random, c: str, year: int, counts: dict[str, int],
                by_grid: dict[str, list[Any]], grid_people: dict[str, list[str]]) -> None:
    """A December round: up to three members a grid, each evaluated by residents of the
    grid; closed and posted."""
    start, end = dt.date(year, 12, 2), dt.date(year, 12, 20)
    evaluated = [r for g in sorted(by_grid) for r in by_grid[g][:3]]
    if not evaluated:
        return
    set_day(start, 9)
    rid = f"EV-{c}-{year}"
    view.party.open_evaluation(system, rid, c, title=f"{year}年度群众评议党员",
                               period_start=start, period_end=end,
                               member_ids=[r.id for r in evaluated])
    set_day(dt.date(year, 12, 10), 15)
    grades = [g for g, _ in _GRADES]
    weights = [w for _, w in _GRADES]
    ballots = []
    for r in evaluated:
        pool = list(grid_people[r.grid_code])  # the grid's residents but the member
        if r.id in pool:
            pool.remove(r.id)
        for voter in rng.sample(pool, min(len(pool), rng.randint(*_VOTERS))):
            ballots.append((voter, r.id, rng.choices(grades, weights)[0]))
    counts["ballots"] += view.party.cast_ballots(system, rid, ballots)
    set_day(dt.date(year, 12, 21), 10)
    view.party.close_evaluation(system, rid)
    counts["rounds"] += 1
    counts["evaluated"] += len(evaluated)
    view.affairs.post_evaluation(system, f"A-E-{rid}", rid, days=7)
    counts["postings"] += 1


def _leaders(view: Any, system: Actor, communities: list[str], county: str | None,
             day: dt.date) -> int:
    """County leaders (联系社区的县级领导), each partnering two communities in order."""
    if not communities:
        return 0
    tag = county or communities[0][:6]
    n = (len(communities) + _PER_LEADER - 1) // _PER_LEADER
    staff = [StaffMember(f"LD-{tag}-{k + 1}", f"县领导{k + 1}", permanent=True)
             for k in range(n)]
    view.registry.add_staff(system, staff)
    return int(view.party.link_county_leaders(system, [
        CountyLeaderLink(f"LL-{c}", staff[i // _PER_LEADER].id, c,
                         _OFFICES[(i // _PER_LEADER) % len(_OFFICES)], day)
        for i, c in enumerate(communities)]))


def _symposium(view: Any, set_day: Callable[[dt.date, int], None], system: Actor,
               rng: random.Random, c: str, year: int, counts: dict[str, int],
               by_grid: dict[str, list[Any]], centres: set[str]) -> None:
    """A 座谈会 in late June of the grid party group leaders (the first member of each
    branch) and the 党员中心户; two suggestions followed to actions, one done by its deadline,
    one late, the rest open."""
    held = dt.date(year, 6, 25)
    set_day(held, 15)
    attendees: dict[str, SymposiumRole] = {h: SymposiumRole.CENTRE_HOUSEHOLD
                                           for h in sorted(centres)}
    for _, rs in sorted(by_grid.items()):  # a group leader per grid, other than its centre
        leader = next((r.id for r in rs if r.id not in centres), None)
        if leader is not None:
            attendees[leader] = SymposiumRole.GROUP_LEADER
    if not attendees:
        return
    picks = rng.sample(_SUGGESTIONS, 2)
    first = sorted(attendees)[0]
    got = view.party.hold_symposium(
        system, f"ZT-{c}-{year}", c, title=f"{year}年网格党小组长、党员中心户座谈会", held_on=held,
        attendees=attendees,
        minutes="与会党员围绕楼院治理、服务群众提出意见建议，逐条明确责任人和时限。",
        suggestions=[Suggestion(f"ZA-{c}-{year}-{k + 1}", text, action, f"SEC-{c}",
                                rng.choice((5, 10)), raised_by=first if k == 0 else None)
                     for k, (text, action) in enumerate(picks)])
    counts["symposia"] += 1
    counts["symposium_actions"] += len(got.actions)
    done = {a.id: max(a.due + dt.timedelta(days=3 if late else -1), held)
            for a, late in zip(got.actions, (False, True), strict=False)
            if rng.random() < 0.8}
    if done:
        set_day(max(done.values()), 16)
        counts["symposium_actions_done"] += len(
            view.party.complete_symposium_actions(system, done))


def _visits(view: Any, set_day: Callable[[dt.date, int], None], system: Actor,
            rng: random.Random, year: int, counts: dict[str, int],
            members: dict[str, list[Any]], communities: list[str]) -> None:
    """Two members of each community designated 优秀共产党员 on 1 July (one transaction);
    the leader partnering the community visits them in the days before the Mid-Autumn
    Festival (中秋节; one transaction)."""
    from community_governance.calendars.lunar import Festival, festival_date

    chosen = {c: rng.sample(members[c], min(2, len(members[c]))) for c in communities}
    july = dt.date(year, 7, 1)
    set_day(july, 10)
    counts["designated"] += view.party.designate(system, [
        Designation(f"DS-{c}-{r.id}", r.id, c, "优秀共产党员", july)
        for c in communities for r in chosen[c]])
    festival = festival_date(Festival.MID_AUTUMN, year)
    set_day(festival, 17)
    visits = []
    for c in communities:
        leaders = view.party.county_leaders(c, on=july)
        day = festival - dt.timedelta(days=rng.choice((1, 2, 3)))
        visits += [FestivalVisit(f"FV-{c}-{year}-{r.id}", leaders[0].leader_id, r.id,
                                 "mid_autumn", year, day, note="送月饼，座谈交流")
                   for r in chosen[c] if leaders]
    counts["festival_visits"] += view.party.record_festival_visits(system, visits)
