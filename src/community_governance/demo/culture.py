"""Demo data for culture and sports groups (文体组织): groups, members and events since 2017
(the ``culture`` step of :func:`community_governance.demo.build`).

The figures follow the Yima study: 177 groups with 4,756 members; since 2017, 36 large shows
and 331 activities at community level, 31 shows and 58 activities at sub-district level, and 6
special performances by the city (other counties give theirs in
:class:`~community_governance.demo.config.CountyDemo`). Neighbourhood events (邻里晚宴, 中秋品月饼,
端午做粽子) are added at community level. Members lean old (广场舞, 太极, 戏曲), and a share of
them are registered volunteers (很多文体组织成员最后都成了社区志愿者): the step runs after the
volunteering step and draws about a third of each community's members from its volunteers.

Everything is written through ``gov.culture`` in a few batch calls (one transaction each).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from community_governance.calendars.lunar import Festival, festivals
from community_governance.demo.config import YIMA_CULTURE_EVENTS
from community_governance.domain.access import Actor
from community_governance.domain.culture import (
    CultureEvent,
    CultureGroup,
    EquipmentLine,
    EventKind,
    EventLevel,
    GroupKind,
    ScheduleSlot,
)
from community_governance.services.culture import Join, Leave
from community_governance.storage.tables import core as t
from community_governance.storage.tables import points as tp

if TYPE_CHECKING:
    from community_governance.facade import Governance
    from community_governance.simulation.city import City

__all__ = ["YIMA_EVENTS", "seed_culture"]

#: The study's events since 2017 (2017年以来): (level, kind, how many).
YIMA_EVENTS = YIMA_CULTURE_EVENTS

Progress = Callable[[int, int], None]

_KINDS = (GroupKind.DANCE, GroupKind.CHOIR, GroupKind.OPERA, GroupKind.TAICHI,
          GroupKind.BALL_SPORTS, GroupKind.INSTRUMENTS, GroupKind.CALLIGRAPHY, GroupKind.FITNESS)
_KIND_WEIGHTS = (32, 12, 12, 12, 10, 10, 6, 6)
_NAMES = {
    GroupKind.DANCE: ("夕阳红舞蹈队", "广场舞队", "秧歌队", "健身舞蹈队"),
    GroupKind.CHOIR: ("老年合唱团", "红歌合唱团"),
    GroupKind.OPERA: ("豫剧团", "戏曲爱好者协会"),
    GroupKind.TAICHI: ("太极拳队", "太极剑队"),
    GroupKind.BALL_SPORTS: ("门球队", "乒乓球队", "篮球队"),
    GroupKind.INSTRUMENTS: ("锣鼓队", "腰鼓队", "民乐队"),
    GroupKind.CALLIGRAPHY: ("书画社", "老年书画协会"),
    GroupKind.FITNESS: ("健步走队", "健身操队"),
}
_VENUES = {
    GroupKind.DANCE: "社区文化广场", GroupKind.CHOIR: "社区多功能厅", GroupKind.OPERA: "社区活动室",
    GroupKind.TAICHI: "游园广场", GroupKind.BALL_SPORTS: "社区球场",
    GroupKind.INSTRUMENTS: "社区文化广场",
    GroupKind.CALLIGRAPHY: "社区书画室", GroupKind.FITNESS: "游园广场",
}
_EQUIPMENT: dict[GroupKind, tuple[tuple[str, int, int], ...]] = {
    GroupKind.DANCE: (("音响", 1, 2), ("扇子", 20, 40), ("演出服", 20, 40)),
    GroupKind.CHOIR: (("电子琴", 1, 1), ("音响", 1, 1), ("谱架", 10, 30)),
    GroupKind.OPERA: (("锣鼓", 1, 2), ("戏服", 10, 20), ("音响", 1, 1)),
    GroupKind.TAICHI: (("太极剑", 10, 30), ("音响", 1, 1)),
    GroupKind.BALL_SPORTS: (("球拍", 6, 20), ("球", 10, 30)),
    GroupKind.INSTRUMENTS: (("腰鼓", 20, 40), ("大鼓", 1, 2)),
    GroupKind.CALLIGRAPHY: (("书画桌", 4, 10), ("笔墨纸砚", 10, 20)),
    GroupKind.FITNESS: (("音响", 1, 1), ("队旗", 1, 2)),
}
#: Solar festivals shows are held at (节日), as (month, day, name).
_SOLAR = ((1, 1, "元旦"), (3, 8, "三八妇女节"), (5, 1, "劳动节"), (7, 1, "建党节"),
          (10, 1, "国庆节"))
_LUNAR_SHOWN = (Festival.SPRING_FESTIVAL, Festival.LANTERN, Festival.DRAGON_BOAT,
                Festival.MID_AUTUMN, Festival.DOUBLE_NINTH)
#: Neighbourhood events (邻里活动): the title and the festival it goes with.
_NEIGHBOURHOOD = (("邻里晚宴", Festival.SPRING_FESTIVAL), ("中秋品月饼", Festival.MID_AUTUMN),
                  ("端午做粽子", Festival.DRAGON_BOAT))
_ACTIVITIES = ("广场舞展示", "太极拳交流", "合唱排练汇报", "门球友谊赛", "书画笔会", "健步走",
               "戏曲票友会", "腰鼓表演")
_SHOWS = "文艺展演"


def _spread(total: int, parts: int, rng: random.Random) -> list[int]:
    """Split ``total`` into ``parts`` whole numbers of uneven size that sum to ``total``."""
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    s = sum(weights)
    out = [int(total * w / s) for w in weights]
    for i in range(total - sum(out)):
        out[i % parts] += 1
    return out


def _people(gov: Governance, county: str, city: City | None
            ) -> tuple[dict[str, list[tuple[str, int]]], set[str], dict[str, str]]:
    """Residents by community (key, birth year; by key), the registered volunteers, and the
    communities' names. The residents come from the generated ``city`` when given (the demo
    pipeline has it: no need to read 138,000 rows back), else from the registry."""
    r, h, u = t.residents, t.households, t.units
    people: dict[str, list[tuple[str, int]]] = {}
    with gov.store.unit_of_work(write=False) as uow:
        if city is not None:
            for res in city.residents:  # a household key starts with its building's code
                if res.household_id.startswith(county):
                    people.setdefault(res.household_id[:12], []).append(
                        (str(res.id), int(res.id_number[6:10])))
        else:
            born = sa.func.coalesce(sa.extract("year", r.c.birth_date), 1970)
            # a building's code starts with its community's 12 digits: no join with buildings
            q = (sa.select(r.c.id, sa.func.substr(h.c.building_code, 1, 12), born)
                 .select_from(r.join(h))
                 .where(r.c.erased.is_(False), h.c.building_code.startswith(county)))
            for rid, code, year in uow.conn.execute(q).all():
                people.setdefault(code, []).append((rid, int(year)))
        vols = set(uow.conn.execute(sa.select(tp.volunteers.c.resident_id).where(
            tp.volunteers.c.community_code.startswith(county))).scalars())
        names = dict(uow.conn.execute(sa.select(u.c.code, u.c.name).where(
            u.c.kind == "community", u.c.code.startswith(county))).all())
    for pool in people.values():
        pool.sort()
    return people, vols, names


def _ordered(pool: Sequence[tuple[str, int]], vols: set[str], year: int, share: float,
             need: int, rng: random.Random) -> list[str]:
    """``need`` residents of the community (all of them when it has fewer), in the order the
    groups take them: about ``share`` registered volunteers, and of the others seven in ten
    aged 50 or more (members lean old: 广场舞, 太极, 戏曲)."""
    volunteers = [rid for rid, _ in pool if rid in vols]
    old = [rid for rid, born in pool if rid not in vols and year - born >= 50]
    young = [rid for rid, born in pool if rid not in vols and year - born < 50]
    need = min(need, len(pool))
    k_vol = min(len(volunteers), round(share * need))
    k_old = min(len(old), round(0.7 * (need - k_vol)))
    k_young = min(len(young), need - k_vol - k_old)
    k_old = min(len(old), need - k_vol - k_young)
    k_vol = need - k_old - k_young
    out = (rng.sample(volunteers, k_vol) + rng.sample(old, k_old) + rng.sample(young, k_young))
    rng.shuffle(out)
    return out


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _festival_days(start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
    out = []
    for year in range(start.year, end.year + 1):
        out += [(dt.date(year, m, d), name) for m, d, name in _SOLAR]
        out += [(day, f.chinese) for f, day in festivals(year).items() if f in _LUNAR_SHOWN]
    return sorted((d, n) for d, n in out if start <= d <= end)


def seed_culture(gov: Governance, *, seed: int, county: str, county_name: str = "义马市",
                 year: int = 2019,
                 groups: int = 177, members: int = 4756,
                 events: Sequence[tuple[EventLevel, EventKind, int]] = YIMA_EVENTS,
                 volunteer_share: float = 0.3, progress: Progress | None = None,
                 city: City | None = None) -> dict[str, Any]:
    """Add ``groups`` culture groups with ``members`` members and their events to a county.

    Events are dated from 1 January 2017 to 30 June of ``year``; each (level, kind, count) of
    ``events`` gives exactly ``count`` held events. Members are counted as open memberships:
    a few more members joined and left again.

    Args:
        gov: a governance store holding the county's registry (and, for the conversion,
            its volunteers).
        seed: the random seed; the same seed on the same city gives the same data.
        county: the county's code.
        county_name: the county's name (of the city's venue).
        year: the study's year (events up to 30 June of it).
        groups: culture groups (文体组织).
        members: memberships open at the end.
        events: held events per level and kind since 2017.
        volunteer_share: about this share of members are drawn from registered volunteers.
        progress: called as ``progress(done, total)`` after each of the four writes.
        city: the generated city whose registry ``gov`` holds (read instead of the registry).

    Returns:
        Counts of what was written.
    """
    rng = random.Random(seed * 7919 + 14)
    system = Actor.system("demo")
    people, vols, names = _people(gov, county, city)
    communities = sorted(people)
    if not communities:
        raise ValueError(f"county {county} has no residents in communities; build it first")
    start, end = dt.date(2017, 1, 1), dt.date(year, 6, 30)

    def tick(done: int) -> None:
        if progress is not None:
            progress(done, 4)

    # groups -------------------------------------------------------------------------------
    per_c = _spread(groups, len(communities), rng)
    sizes = _spread(members, groups, rng)
    made: list[CultureGroup] = []
    joins: list[Join] = []
    leaves: list[Leave] = []
    later: list[Join] = []
    k = 0
    for code, n in zip(communities, per_c, strict=True):
        need = sum(sizes[k:k + n]) + 2 * n + 40  # members, those who left, a margin
        order = _ordered(people[code], vols, year, volunteer_share, need, rng)
        pos = 0
        used: dict[str, int] = {}
        cname = names.get(code, f"{code[-3:]}社区")
        for _ in range(n):
            gk = rng.choices(_KINDS, _KIND_WEIGHTS)[0]
            base = rng.choice(_NAMES[gk])
            used[base] = used.get(base, 0) + 1
            name = f"{cname}{base}" + (str(used[base]) if used[base] > 1 else "")
            size = min(sizes[k], len(order))
            team = [order[(pos + i) % len(order)] for i in range(size)]
            pos = (pos + size) % max(len(order), 1)
            founded = _day(rng, dt.date(2008, 1, 1), dt.date(2016, 12, 31))
            gid = f"CG-{code}-G{len(made) + 1:03d}"
            equipment = tuple(EquipmentLine(item, rng.randint(lo, hi))
                              for item, lo, hi in _EQUIPMENT[gk])
            schedule = tuple(ScheduleSlot(w, dt.time(rng.choice([7, 8, 19]),
                                                     rng.choice([0, 30])),
                                          rng.choice([60, 90, 120]))
                             for w in sorted(rng.sample(range(1, 8), rng.randint(1, 3))))
            made.append(CultureGroup(gid, name, gk, code, team[0] if team else None,
                                     _VENUES[gk], equipment, schedule, founded))
            for rid in team:
                joins.append(Join(gid, rid, _day(rng, founded, end)))
            outside = [r for r in order[pos:pos + 40] if r not in set(team)]
            for rid in outside[:rng.choice([0, 0, 1, 2])]:
                joined = _day(rng, founded, end - dt.timedelta(days=30))
                later.append(Join(gid, rid, joined))
                leaves.append(Leave(gid, rid, _day(rng, joined, end)))
            k += 1
    gov.culture.add_groups(system, made)
    tick(1)
    gov.culture.join_many(system, joins + later)
    tick(2)
    gov.culture.leave_many(system, leaves)
    tick(3)

    # events -------------------------------------------------------------------------------
    by_c: dict[str, list[str]] = {}
    for grp in made:
        by_c.setdefault(grp.community_code, []).append(grp.id)
    subs = sorted({c[:9] for c in communities})
    fests = _festival_days(start, end)
    out: list[CultureEvent] = []

    def groups_of(unit: str, lo: int, hi: int) -> tuple[str, ...]:
        pool = [g for c, gs in by_c.items() if c.startswith(unit) for g in gs]
        return tuple(sorted(rng.sample(pool, min(len(pool), rng.randint(lo, hi)))))

    for level, kind, count in events:
        units = {EventLevel.COMMUNITY: communities, EventLevel.SUBDISTRICT: subs,
                 EventLevel.CITY: [county]}[level]
        for i in range(count):
            unit = units[i % len(units)] if i < len(units) else rng.choice(units)
            if kind is EventKind.ACTIVITY:
                on, festival = _day(rng, start, end), ""
                title = rng.choice(_ACTIVITIES)
                attendance = rng.randint(30, 200) * (2 if level is EventLevel.SUBDISTRICT else 1)
                taking = groups_of(unit, 1, 3)
            else:
                on, festival = rng.choice(fests)
                title = (f"庆{festival.removesuffix('节')}专场文艺演出"
                         if kind is EventKind.SPECIAL_PERFORMANCE else f"庆{festival}{_SHOWS}")
                attendance = {EventLevel.COMMUNITY: rng.randint(150, 800),
                              EventLevel.SUBDISTRICT: rng.randint(300, 1500),
                              EventLevel.CITY: rng.randint(800, 3000)}[level]
                taking = groups_of(unit, 2, 8)
            out.append(CultureEvent(f"CE-{unit}-{level.value[:3]}-{kind.value[:4]}-{i + 1:03d}",
                                    title, level, kind, unit, on, attendance, taking, festival,
                                    "社区文化广场" if level is EventLevel.COMMUNITY
                                    else f"{county_name}文化广场" if level is EventLevel.CITY
                                    else "办事处文化广场"))
    neighbourhood = 0
    for code in communities:
        for y in range(start.year, end.year + 1):
            days = festivals(y)
            for title, fest in _NEIGHBOURHOOD:
                on = days[fest]
                if on > end or rng.random() > 0.6:
                    continue
                neighbourhood += 1
                out.append(CultureEvent(f"CE-{code}-nbr-{y}-{fest.value[:6]}", title,
                                        EventLevel.COMMUNITY, EventKind.NEIGHBOURHOOD, code, on,
                                        rng.randint(40, 150), (), fest.chinese, "社区活动室"))
    gov.culture.record_events(system, out)
    tick(4)
    return {"groups": len(made), "members": len(joins), "left": len(leaves),
            "events": len(out), "neighbourhood_events": neighbourhood}
