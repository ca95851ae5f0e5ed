"""Demo data for market actors and the handover (the ``market`` step of
:func:`community_governance.demo.build`): the 三供一业 handover of the coal group's compounds
(picked by the simulation's rule: exactly 31 with 20,000+ households in Yima, four supplies
each, from 义马煤业集团 to the city's utilities before June 2017, subsidies removed), property
companies with their party organizations for some compounds and none for others (三无小区),
owners' committees elected in a few compounds, other market actors, the catalogue of
community services, paid-service income in some communities and sponsorship and donation
agreements.

Everything goes through the services, in batches: one transaction per kind of record and county
(the owners' votes and committees, a handful, one each).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pendulum

from community_governance.domain.access import Actor
from community_governance.domain.market import (
    CommitteeRole,
    FundingAgreement,
    HandoverRecord,
    MarketActor,
    OwnersCommittee,
    OwnersCommitteeMember,
    ServiceContract,
)
from community_governance.domain.people import Relation
from community_governance.domain.posts import PartnerKind, PartnerUnit, PartyOrg, PartyOrgKind
from community_governance.services.market import ServiceSale
from community_governance.simulation.city import City, pick_handover_compounds

if TYPE_CHECKING:
    from community_governance.facade import Governance

__all__ = ["COAL_GROUP", "HANDOVER_UTILITIES", "handover_compounds", "seed_market"]

#: The coal group that ran the compounds (义马煤业集团).
COAL_GROUP = "义马煤业集团"
#: What each compound handed over, to whom, and the subsidy each household lost per year
#: (CNY; 600 in all, the scenario's ``subsidy_loss_cny_per_household_year``, assumed).
HANDOVER_UTILITIES: tuple[tuple[str, str, str], ...] = (
    ("water", "义马市供水公司", "120"),
    ("power", "国网义马市供电公司", "150"),
    ("gas", "义马市燃气公司", "200"),
    ("property", "", "130"),  # to the compound's property company, or the community (兜底)
)
_PROPERTY = (("宏达物业服务有限公司", "91411281MA3X5D2K0P"), ("康居物业管理有限公司", None),
             ("鑫源物业服务有限公司", None))
_OTHERS = (("康乐家政服务中心", ("domestic",)), ("绿源垃圾分类服务有限公司", ("waste_sorting",)),
           ("安居维修服务部", ("repair",)), ("夕阳红居家养老服务中心", ("elderly_care",
                                                                   "domestic")))

Progress = Callable[[int, int], None]


def handover_compounds(city: City, *, households: int = 20_000,
                       compounds: int = 31) -> list[tuple[str, int]]:
    """The handover compounds of ``city`` and their households: exactly ``compounds`` of them
    by :func:`~community_governance.simulation.city.pick_handover_compounds` with ``exact``, at
    the city's scale; none where no community was run by the coal group. (The simulation's
    engine spreads the same households as a share of each coal-group community instead.)"""
    plan = city.plan
    coal_names = {name for _s, name, _g, coal in (plan.communities if plan else ()) if coal}
    coal_codes = {c.code for c in city.communities if c.name in coal_names}
    b_q = {b.code: b.compound_code for b in city.buildings if b.compound_code}
    sizes: dict[str, int] = defaultdict(int)
    for h in city.households:
        q = b_q.get(h.building_code)
        if q is not None:
            sizes[q] += 1
    codes = [q.code for q in city.compounds]
    chosen = pick_handover_compounds(
        codes, [sizes[q] for q in codes], [q[:12] in coal_codes for q in codes],
        households=households * city.scale, compounds=compounds, exact=True)
    return [(codes[i], sizes[codes[i]]) for i in chosen]


def _clock(gov: Governance) -> tuple[Governance, Callable[[dt.date], None]]:
    now = [gov.now()]

    def set_to(day: dt.date) -> None:
        now[0] = pendulum.datetime(day.year, day.month, day.day, 10,
                                   tz="Asia/Shanghai").in_timezone("UTC")

    return gov.with_clock(lambda: now[0]), set_to


def seed_market(gov: Governance, *, year: int, seed: int, city: City,
                handover: tuple[str, int, int] | None = (COAL_GROUP, 31, 20_000),
                progress: Progress | None = None) -> dict[str, int]:
    """Seed the market step for ``city``'s county (its registry written, the party step's
    general committees present or not).

    Args:
        gov: the governance store.
        year: the year described.
        seed: the random seed.
        city: the generated city (already registered).
        handover: (from whom, compounds, households) of the 三供一业 handover, or ``None``.
        progress: ``progress(done, total)`` callback.

    Returns:
        Counts of what was written.
    """
    rng = random.Random(seed + 15)
    system = Actor.system("demo")
    county = city.county.code
    view, set_day = _clock(gov)
    counts: dict[str, int] = defaultdict(int)
    names = {c.code: c.name for c in city.compounds}
    sizes: dict[str, int] = defaultdict(int)
    b_q = {b.code: b.compound_code for b in city.buildings if b.compound_code}
    for h in city.households:
        if h.building_code in b_q:
            sizes[b_q[h.building_code]] += 1
    handed = handover_compounds(city, households=handover[2], compounds=handover[1]) \
        if handover else []
    handed_codes = {q for q, _n in handed}

    # --- property companies and other market actors ------------------------------------------
    compounds = sorted(q for q in names if sizes[q] > 0)
    managed = sorted(rng.sample(compounds, k=max(1, len(compounds) * 2 // 5)))
    if handed:  # half of the handover compounds found a property company, the rest did not
        managed = sorted(set(managed) | set(sorted(handed_codes)[::2]))
    firm_of = {q: i % len(_PROPERTY) for i, q in enumerate(managed)}
    pre = f"{county}-"
    partners = [PartnerUnit(f"{pre}WY{i + 1}", f"{city.county.name}{name}",
                            PartnerKind.PROPERTY_COMPANY,
                            tuple(sorted({q[:12] for q, f in firm_of.items() if f == i})))
                for i, (name, _code) in enumerate(_PROPERTY)]
    partners = [p for p in partners if p.community_codes]
    gov.registry.add_partner_units(system, partners)
    actors = [MarketActor(f"{pre}M-WY{i + 1}", county, f"{city.county.name}{name}",
                          ("property_management", "repair"),
                          code if code and code[2:8] == county else None,
                          partner_id=f"{pre}WY{i + 1}")
              for i, (name, code) in enumerate(_PROPERTY) if any(
                  p.id == f"{pre}WY{i + 1}" for p in partners)]
    actors += [MarketActor(f"{pre}M-S{i + 1}", county, f"{city.county.name}{name}", kinds)
               for i, (name, kinds) in enumerate(_OTHERS)]
    counts["market actors"] = gov.market.register_actors(system, actors)
    contracts = [ServiceContract(f"{pre}K-{q[-3:]}-{q[:12][-6:]}", f"{pre}M-WY{f + 1}", q,
                                 "property_management", dt.date(2017, 6, 1)
                                 if q in handed_codes else dt.date(2016, 1, 1),
                                 None, Decimal("0.60") + Decimal(f) / 10, "per_m2_month")
                 for q, f in sorted(firm_of.items())]
    others = sorted(rng.sample(compounds, k=min(len(compounds), 12)))
    for j, q in enumerate(others):
        i = j % len(_OTHERS)
        contracts.append(ServiceContract(
            f"{pre}K-S{j + 1:02d}", f"{pre}M-S{i + 1}", q, _OTHERS[i][1][0],
            dt.date(year, 1, 1), dt.date(year, 12, 31), Decimal(2 + j % 3), "per_household_month"))
    counts["contracts"] = gov.market.add_contracts(system, contracts)
    committees = {o.unit_code: o.id for o in gov.registry.party_orgs(
        county, kind=PartyOrgKind.GENERAL_COMMITTEE)}
    orgs = [PartyOrg(f"{p.id}-PO", PartyOrgKind.PROPERTY_ORG, p.community_codes[0],
                     f"{p.name}党支部", parent_id=committees[p.community_codes[0]],
                     partner_id=p.id) for p in partners if p.community_codes[0] in committees]
    if orgs:
        counts["物业党组织"] = gov.registry.add_party_orgs(system, orgs)
    if progress:
        progress(1, 4)

    # --- the 三供一业 handover ----------------------------------------------------------------
    company_name = {f"{pre}M-WY{i + 1}": f"{city.county.name}{n}"
                    for i, (n, _c) in enumerate(_PROPERTY)}
    records = []
    giver = handover[0] if handover else COAL_GROUP
    for q, n in handed:
        day = dt.date(2016, 10, 1) + dt.timedelta(days=rng.randrange(0, 240))  # before 2017-06
        for utility, to, subsidy in HANDOVER_UTILITIES:
            if utility == "property":
                to = (company_name[f"{pre}M-WY{firm_of[q] + 1}"] if q in firm_of
                      else f"{q[:12]}社区居委会（兜底管理）")
            records.append(HandoverRecord(f"HO-{q}-{utility}", q, utility, giver, to,
                                          day, n, subsidy, "completed"))
    if records:
        counts["handover records"] = gov.market.record_handovers(system, records)
    if progress:
        progress(2, 4)

    # --- owners' committees in a few managed compounds ----------------------------------------
    heads: dict[str, list[Any]] = defaultdict(list)
    h_b = {h.id: h.building_code for h in city.households}
    for r in city.residents:
        if r.relation is Relation.HEAD:
            hq = b_q.get(h_b.get(r.household_id, ""))
            if hq is not None:
                heads[hq].append(r)
    # two managed compounds (连银 first) and one without a property company, whose owners
    # elected a committee to find one (不规范小区 until they do)
    unmanaged = [q for q in compounds if q not in firm_of and len(heads[q]) >= 7]
    chosen = [q for q in ([city.lianyin_compound] if city.lianyin_compound else [])
              + managed if q in managed and len(heads[q]) >= 7][:2] + unmanaged[:1]
    for k, q in enumerate(dict.fromkeys(chosen)):
        held = dt.date(year, 3 + 2 * k, 20)
        set_day(held + dt.timedelta(days=1))
        people = heads[q]
        owners = {r.id: Decimal(rng.randrange(5500, 12500)) / 100 for r in people}
        ballots = {r.id: ("for" if rng.random() < 0.85 else "against")
                   for r in people if rng.random() < 0.8}
        vote = view.market.owners_vote(system, f"OV-{q}", q, title="选举业主委员会",
                                       matter="elect_committee", held_on=held, owners=owners,
                                       ballots=ballots)
        counts["owners' votes"] += 1
        if not vote.result.carried:
            continue
        voters = [p for p in people if p.id in ballots]
        if len(voters) < 5:
            continue
        seated = voters[:7 if len(voters) >= 7 else 5]
        cid = f"YW-{q}"
        members = tuple(OwnersCommitteeMember(
            f"{cid}-{i + 1}", cid, p.name, CommitteeRole.CHAIR if i == 0 else
            CommitteeRole.VICE_CHAIR if i == 1 else CommitteeRole.MEMBER, p.id)
            for i, p in enumerate(seated))
        view.market.elect_committee(system, OwnersCommittee(
            cid, q, q[:12], held, held + dt.timedelta(days=10),
            held.replace(year=held.year + 3), members, vote.id))
        counts["owners' committees"] += 1
    if progress:
        progress(3, 4)

    # --- catalogue, paid-service income, agreements -------------------------------------------
    communities = [c.code for c in city.communities]
    set_day(dt.date(year, 1, 2))
    counts["catalogue services"] = view.market.seed_catalogue(system, communities)
    paying = sorted(rng.sample(communities, k=max(1, len(communities) // 3)))
    sales = [ServiceSale(f"{c}-{s}", rng.randrange(8, 40), dt.date(year, m, 25),
                         f"YC-{c[-6:]}-{s}-{m:02d}")
             for c in paying for m in range(1, 13) for s in ("S04", "S05", "S06")]
    set_day(dt.date(year, 12, 31))
    counts["paid-service postings"] = len(view.market.record_income(system, sales))
    sponsors = ("联华超市", "豫西商贸", "鑫盛建材")
    agreements = [FundingAgreement(f"AG-{c}", c, "sponsorship", "enterprise",
                                   f"{city.county.name}{rng.choice(sponsors)}",
                                   Decimal(rng.randrange(10, 31) * 1000), dt.date(year, 3, 1),
                                   "文体活动赞助") for c in paying]
    agreements += [FundingAgreement(f"AD-{c}", c, "donation", "individual", "爱心人士",
                                    Decimal(2000), dt.date(year, 5, 1), "困难群众关爱")
                   for c in paying[:2]]
    view.market.add_agreements(system, agreements)
    for a in agreements:
        view.market.receive(system, a.id, a.amount, voucher=f"R-{a.id}",
                            on=dt.date(year, 6, 1))
    counts["agreements"] = len(agreements)
    if progress:
        progress(4, 4)
    return dict(counts)
