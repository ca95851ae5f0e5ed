"""Demo data for volunteering: organizations, members, months of activities, the points and
charity supermarkets, all written through the services (the ``volunteering`` step of
:func:`community_governance.demo.build`).

The figures follow the Yima study: 106 volunteer organizations with 3,838 members (other
counties give theirs in :class:`~community_governance.demo.config.CountyDemo`). The months of
activity are written through a view of the governance object with its own clock
(:meth:`~community_governance.Governance.with_clock`) moved through those months, so that the
journal, the audit trail and the reports carry realistic dates.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pendulum
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.volunteers import ActivitySpec, VolunteerOrg
from community_governance.errors import InsufficientBalance, OutOfStock
from community_governance.services.charity import DonationSpec, GiveOutSpec, LotSpec
from community_governance.services.supermarket import NewItem
from community_governance.services.volunteers import NewVolunteer
from community_governance.storage.tables import core as t

if TYPE_CHECKING:
    from community_governance.facade import Governance

__all__ = ["DEMO_MEMBERS", "DEMO_ORGS", "seed_volunteering"]

DEMO_ORGS = 106
DEMO_MEMBERS = 3838

_CATEGORIES = ("environment", "elderly_care", "child_care", "safety_patrol", "civilised_city",
               "culture", "mediation", "epidemic_duty")
_ORG_NAMES = {"environment": "环境卫生志愿服务队", "elderly_care": "助老志愿服务队",
              "child_care": "关爱儿童志愿服务队", "safety_patrol": "平安巡逻队",
              "civilised_city": "文明创建志愿服务队", "culture": "文体志愿服务队",
              "mediation": "邻里调解志愿服务队", "epidemic_duty": "应急志愿服务队"}
_TITLES = {"environment": "清理楼道小广告", "elderly_care": "探访独居老人",
           "child_care": "四点半课堂", "safety_patrol": "夜间平安巡逻",
           "civilised_city": "文明交通劝导", "culture": "广场舞展演服务",
           "mediation": "邻里纠纷调解", "epidemic_duty": "应急演练服务"}
_GOODS = (("洗衣液", 30), ("香皂", 10), ("牙膏", 15), ("食用油", 80), ("大米 5kg", 120),
          ("毛巾", 20), ("抽纸", 12), ("酱油", 18))
_DONATIONS = (("clothes", "冬季棉衣"), ("clothes", "儿童服装"), ("appliance", "电风扇"),
              ("appliance", "电饭煲"), ("books", "课外读物"), ("daily_goods", "床上用品"))

Progress = Callable[[int, int], None]


def _clock_at(gov: Governance) -> tuple[Governance, Callable[[dt.datetime], None]]:
    """A view of ``gov`` whose clock is moved by hand, and the function that moves it."""
    now = [gov.now()]

    def set_to(when: dt.datetime) -> None:
        now[0] = pendulum.instance(when).in_timezone("UTC")

    return gov.with_clock(lambda: now[0]), set_to


def _residents_by_community(gov: Governance,
                            county: str | None = None) -> dict[str, list[tuple[str, bool]]]:
    q = (sa.select(t.residents.c.id, t.buildings.c.community_code, t.residents.c.vulnerabilities)
         .select_from(t.residents.join(t.households).join(t.buildings))
         .where(t.residents.c.erased.is_(False),
                t.buildings.c.community_code.startswith(county or ""))
         .order_by(t.residents.c.id))
    out: dict[str, list[tuple[str, bool]]] = {}
    with gov.store.unit_of_work(write=False) as uow:
        for rid, code, vul in uow.conn.execute(q).all():  # fetched at once, not row by row
            out.setdefault(code, []).append((rid, bool(vul)))
    return out


def _spread(total: int, parts: int, rng: random.Random) -> list[int]:
    """Split ``total`` into ``parts`` whole numbers of uneven size that sum to ``total``."""
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    s = sum(weights)
    out = [int(total * w / s) for w in weights]
    for i in range(total - sum(out)):
        out[i % parts] += 1
    return out


def seed_volunteering(gov: Governance, *, seed: int, months: int = 3,
                      start: dt.date | None = None,
                      progress: Progress | None = None, county: str | None = None,
                      org_count: int = DEMO_ORGS, members: int = DEMO_MEMBERS,
                      county_name: str = "义马市") -> dict[str, Any]:
    """Add volunteer organizations, members and ``months`` months of activity to a city.

    Uses the services throughout (batch APIs: ``register_many``, ``add_members_many``,
    ``add_items``, ``create_activities``, ``record_attendance_many``). The months are the
    ``months`` whole calendar months from ``start``'s month, or, without ``start``, those
    before the governance clock's current month.

    Args:
        gov: a governance store holding a city (units, buildings, residents).
        seed: the random seed; the same seed on the same city gives the same data.
        months: how many months of activity.
        start: a day of the first month of activity (the Yima demo: a month of 2019).
        progress: called as ``progress(done, total)`` after each step (the demo's bar).
        county: only the communities of this county (code prefix); ``None`` for all.
        org_count: volunteer organizations, the county's association included.
        members: volunteers to register.
        county_name: the county's name (of its volunteer association).

    Returns:
        Counts of what was written.
    """
    rng = random.Random(seed)
    system = Actor.system("demo")
    people = _residents_by_community(gov, county)
    communities = sorted(people)
    if not communities:
        raise ValueError("the city has no residents in communities; build the city first")
    county = communities[0][:6]
    volunteer_orgs = org_count
    steps = 3 + months
    def report(_step: str, done: int) -> None:
        if progress is not None:
            progress(done, steps)

    # volunteers and organizations -------------------------------------------------------------
    sizes = [len(people[c]) for c in communities]
    members_per_c = _spread(min(members, sum(sizes)), len(communities), rng)
    volunteers: dict[str, list[str]] = {}
    regs = []
    for c, n in zip(communities, members_per_c, strict=True):
        chosen = rng.sample([r for r, _ in people[c]], min(n, len(people[c])))
        volunteers[c] = chosen
        for rid in chosen:
            skills = rng.sample(["理发", "维修", "医护", "法律", "教育", "文艺", "驾驶"], 2)
            regs.append(NewVolunteer(rid, skills, rng.choice(["周末", "工作日晚上", "随时"])))
    gov.volunteers.register_many(system, regs)
    report("volunteers", 1)

    orgs_per_c = _spread(volunteer_orgs - 1, len(communities), rng)
    association = "VO-COUNTY" if county == "411281" else f"VO-{county}"
    orgs: list[VolunteerOrg] = [VolunteerOrg(association, f"{county_name}志愿者协会", county,
                                             "general")]
    org_of_c: dict[str, list[VolunteerOrg]] = {}
    for c, n in zip(communities, orgs_per_c, strict=True):
        org_of_c[c] = []
        for k in range(n):
            cat = _CATEGORIES[(k + rng.randrange(len(_CATEGORIES))) % len(_CATEGORIES)]
            o = VolunteerOrg(f"VO-{c}-{k + 1:02d}", f"{c[-3:]}社区{_ORG_NAMES[cat]}{k + 1}", c,
                             cat)
            org_of_c[c].append(o)
            orgs.append(o)
    gov.volunteers.add_orgs(system, orgs)
    if start is not None:
        first = start.replace(day=1)
    else:
        today = gov.now().in_timezone(gov.timezone).date()
        first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        for _ in range(months - 1):
            first = (first - dt.timedelta(days=1)).replace(day=1)
    since = first - dt.timedelta(days=90)
    enrolments: list[tuple[str, list[str], dt.date]] = []
    for c in communities:
        vols = volunteers[c]
        for o, n in zip(org_of_c[c], _spread(len(vols), len(org_of_c[c]), rng), strict=True):
            take, vols = vols[:n], vols[n:]
            if take:
                enrolments.append((o.id, take, since))
    gov.volunteers.add_members_many(system, enrolments)  # one transaction for every team
    report("organizations", 2)

    counts = {"organizations": len(orgs), "members": sum(len(v) for v in volunteers.values()),
              "activities": 0, "attendances": 0, "redemptions": 0, "out_of_stock": 0,
              "donations": 0, "give_outs": 0}
    tz = gov.timezone
    gov, set_clock = _clock_at(gov)
    # supermarkets open on the first day ---------------------------------------------------
    set_clock(pendulum.datetime(first.year, first.month, first.day, 9, tz=tz))
    shelves = [NewItem(c, name, price, stock=rng.randint(5, 25), id=f"I-{c}-{k + 1:02d}")
               for c in communities for k, (name, price) in enumerate(_GOODS)]
    items: dict[str, list[str]] = {c: [] for c in communities}
    for put in gov.supermarket.add_items(system, shelves):  # every shelf, one transaction
        items[put.community_code].append(put.id)
    report("supermarkets", 3)
    month_start = first
    for m in range(months):
        nxt = (month_start + dt.timedelta(days=32)).replace(day=1)
        days = (nxt - month_start).days
        for c in communities:
            vols = volunteers[c]
            active = rng.sample(vols, max(1, int(len(vols) * rng.uniform(0.35, 0.6))))
            orgs_here = org_of_c[c]
            # the community's plan for the month, published in one batch (create_activities:
            # one transaction) two days before its first activity; the month's attendance
            # sheets are recorded together (record_attendance_many: one transaction) an hour
            # after its last activity ends, still in the month
            plan: list[tuple[ActivitySpec, list[str]]] = []
            for k in range(rng.randint(8, 14)):
                org = rng.choice(orgs_here)
                day = month_start + dt.timedelta(days=rng.randrange(days))
                start = pendulum.datetime(day.year, day.month, day.day,
                                          rng.choice([8, 9, 14, 15, 19]), tz=tz)
                end = start.add(minutes=rng.choice([60, 90, 120, 180]))
                cap = rng.randint(15, 60)
                spec = ActivitySpec(
                    _TITLES[org.category], c, org.category, f"{c[-3:]}社区广场", start, end,
                    cap, org_id=org.id, organiser=org.name,
                    id=f"ACT-{c}-{month_start:%Y%m}-{k + 1:02d}")
                plan.append((spec, rng.sample(active, min(len(active), rng.randint(5, cap)))))
            set_clock(min(spec.start for spec, _ in plan) - dt.timedelta(days=2))
            acts = gov.volunteers.create_activities(system, [spec for spec, _ in plan])
            set_clock(max(spec.end for spec, _ in plan) + dt.timedelta(hours=1))
            results = gov.volunteers.record_attendance_many(
                system, [(act.id, who) for act, (_spec, who) in zip(acts, plan, strict=True)])
            counts["activities"] += len(results)
            counts["attendances"] += sum(len(res.recorded) for res in results)
            # redemptions at month end
            set_clock(pendulum.datetime(nxt.year, nxt.month, nxt.day, 10, tz=tz)
                      .subtract(days=2))
            # residents look at the shelf and at their balance before they ask: a request the
            # service would refuse (nothing on the shelf, too few points) is not made, so only
            # redemptions that can succeed cost a write; the service still checks each one
            shelf = {i.id: i for i in gov.supermarket.stock(c)}
            stock = {i: shelf[i].stock for i in items[c]}
            balances = gov.points.balances(system)
            asks: list[tuple[str, str, int, str]] = []
            for rid in rng.sample(active, len(active) // 3):
                item = rng.choice(items[c])
                price = shelf[item].price_points
                if stock[item] < 1:
                    counts["out_of_stock"] += 1  # what the service would answer: OutOfStock
                    continue
                if balances.get(rid, 0) < price:
                    continue  # what the service would answer: InsufficientBalance
                asks.append((rid, item, 1, f"demo-{month_start:%Y%m}-{rid}"))
                stock[item] -= 1
                balances[rid] = balances.get(rid, 0) - price
            # the month's redemptions in one batch (redeem_many: one transaction); should the
            # service refuse one after all, they are made one by one, the refused ones skipped
            try:
                counts["redemptions"] += len(gov.supermarket.redeem_many(system, asks))
            except (OutOfStock, InsufficientBalance):
                for rid, item, quantity, key in asks:
                    try:
                        gov.supermarket.redeem(system, rid, item, quantity, key=key)
                        counts["redemptions"] += 1
                    except OutOfStock:
                        counts["out_of_stock"] += 1
                    except InsufficientBalance:
                        pass
            gov.supermarket.restock_many(system, [
                (item, rng.randint(3, 12), f"restock-{month_start:%Y%m}-{item}")
                for item in items[c]])
            counts["donations"] += _charity_month(gov, system, c, people[c], rng,
                                                  month_start, counts)
        report(f"month {month_start:%Y-%m}", 4 + m)
        month_start = nxt
    return counts


def _charity_month(gov: Governance, system: Actor, c: str, people: list[tuple[str, bool]],
                   rng: random.Random, month: dt.date, counts: dict[str, Any]) -> int:
    """The month's donations of a community: received, sorted and partly given out, each
    step one batch (one transaction) for the month."""
    in_need = [r for r, vul in people if vul]
    n = rng.randint(2, 4)
    donations: list[DonationSpec] = []
    sortings: list[tuple[str, list[LotSpec], int]] = []
    takers: list[list[str]] = []  # per donation: who receives a piece of its lot
    for k in range(n):
        cat, desc = rng.choice(_DONATIONS)
        qty = rng.randint(3, 12)
        donor = rng.choice(["匿名", "义马市第一中学", "千秋路爱心企业", "社区居民"])
        condition = rng.choice(["new", "good", "fair"])
        value = Decimal(rng.randint(20, 400) * qty)
        key = f"DON-{c}-{month:%Y%m}-{k + 1}"
        donations.append(DonationSpec(donor, cat, condition, qty, value, key))
        discarded = rng.randint(0, 1)
        sortings.append((key, [LotSpec(desc, qty - discarded)], discarded))
        takers.append(rng.sample(in_need, min(len(in_need), qty - discarded, 3)))
    gov.charity.receive_many(system, c, donations)
    sorted_lots = gov.charity.sort_many(system, sortings)
    giving = [GiveOutSpec(lot.id, rid, 1, key=f"give-{lot.id}-{j}")
              for lots, who in zip(sorted_lots, takers, strict=True) for lot in lots
              for j, rid in enumerate(who)]
    if giving:
        counts["give_outs"] += len(gov.charity.give_out_many(system, giving))
    return n
