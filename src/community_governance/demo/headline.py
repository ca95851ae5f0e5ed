"""What a built demo shows, in a few lines: against the study's figures, or county by county.

:func:`headline` gives one line per capability for the whole store (``cgov demo yima``);
:func:`county_headline` gives one line per county that shows its own rules at work (grid size,
points for a service, fund allocation and approvals, a deadline of its own case category, its local
days off), as ``cgov demo sanmenxia`` prints for 义马市 and 湖滨区 side by side.
"""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from community_governance.demo.config import CountyDemo
from community_governance.domain.access import Actor
from community_governance.domain.cases import RouteLevel
from community_governance.plugins import accept_any, expect_int, expect_post_kinds
from community_governance.storage.tables import core as t

__all__ = ["county_headline", "culture_headline", "headline"]

#: The study's culture figures: groups, members, and events since 2017 per (level, kind).
_STUDY_CULTURE = {"groups": 177, "members": 4756, ("community", "show"): 36,
                  ("community", "activity"): 331, ("subdistrict", "show"): 31,
                  ("subdistrict", "activity"): 58, ("city", "special_performance"): 6}


def headline(gov: Any, *, year: int) -> list[str]:
    """One line per capability: what the demo city shows against the study's figures."""
    who = Actor.system("demo")
    lines: list[str] = []
    chk = gov.grids.check(who)
    a = chk.assignment
    lines.append(
        f"grids 网格: {chk.grids} (study: 78); unmanaged 漏管 {len(a.unmanaged)}, disputed "
        f"争议 {len(a.disputed)}, out of band {len(a.out_of_band)}; grids without a leader "
        f"{len(chk.leaders.grids_without_leader)}")
    p = gov.volunteers.participation(who).totals
    lines.append(
        f"volunteers 志愿者: {p['volunteer_orgs']} organizations, {p['org_members']:,} members "
        f"(study: 106 / 3,838); active {p['ever_active_volunteers']:,} = "
        f"{p['share_ever_active']:.1%} of residents; points issued {p['points_issued']:,}, "
        f"redeemed {p['points_redeemed']:,}")
    lines.extend(culture_headline(gov, year=year))
    mix = gov.funds.funding_mix(who, year)
    if mix:
        total = sum((m.total for m in mix), start=mix[0].total * 0)
        share = sum(m.largest_share for m in mix) / len(mix)
        lines.append(
            f"funds 经费 {year}: income {total:,.2f} CNY in {len(mix)} communities; the largest "
            f"channel brings {share:.0%} of a community's income on average (single source)")
    r = gov.cases.case_report(who, year=year)
    if r.total:
        sat = r.satisfaction.get("mean")
        lines.append(
            f"cases 事务 {year}: {r.total:,} in the app sub-districts; median handling "
            f"{r.median_days} working days, overdue {r.overdue_share:.1%}, satisfaction "
            f"{sat if sat is None else f'{sat:.2f}'} / 5")
    lines += _orgs_line(gov, who, year)
    lines += tenders_headline(gov, year=year)
    lines += _care_lines(gov, who, year)
    party = party_headline(gov, year=year)
    if party:
        lines.append(party)
    lines += market_headline(gov, year=year)
    return lines


def tenders_headline(gov: Any, *, year: int, within: str = "") -> list[str]:
    """The purchase-of-services line: each awarded lot of the year's rounds with its bids,
    winner, amount and what the funds ledger paid (empty when the tenders step has not run)."""
    lines = []
    units = [within] if within else sorted({p.community_code[:6]
                                            for p in gov.tenders.projects(Actor.system("demo"))})
    for unit in units:
        for a in gov.tenders.disclosure_data(within=unit, year=year)["awards"]:
            c = a.get("contract") or {}
            lines.append(
                f"tenders 政府购买服务 {year}: {a['project']} ({a['procedure_zh']}), "
                f"{a['bids']} bids, won by {a['winner']} at {Decimal(a['amount']):,.2f} CNY; "
                f"paid {Decimal(c.get('paid', '0')):,.2f} CNY through the funds ledger (5107); "
                f"performance {c.get('performance')}")
    return lines


def market_headline(gov: Any, *, year: int, county: str = "") -> list[str]:
    """The market lines: the 三供一业 handover against the study's figures, compounds by
    management, owners' committees, paid-service income and the funding mix before and after
    the widened channels (empty when the market step has not run)."""
    import datetime as dt

    m = gov.market
    rep = m.handover_report(county)
    comps = m.compound_management(county, on=dt.date(year, 12, 31))
    if not rep.compounds and not m.actors(county):
        return []
    by: dict[str, int] = {}
    for c in comps:
        by[c.status.value] = by.get(c.status.value, 0) + 1
    out = []
    if rep.compounds:
        last = max(c["last_handover"] for c in rep.compounds)
        supplies = sorted({c["supplies"] for c in rep.compounds})
        out.append(
            f"handover 三供一业: {len(rep.compounds)} compounds, {rep.households:,} households "
            f"(study: 31 / 20,000+), {'/'.join(map(str, supplies))} supplies each, all handed "
            f"over by {last}; subsidies removed {rep.subsidy_removed:,.0f} CNY a year; "
            f"{rep.cases:,} cases in these compounds")
    income = sum((Decimal(r["income"]) for r in m.service_income(county, year=year)),
                 Decimal("0.00"))
    paying = len({r["community"] for r in m.service_income(county, year=year)})
    mix = [x for x in gov.funds.funding_mix(Actor.system("demo"), year)
           if x.community_code.startswith(county)]
    shift = ""
    mix = [x for x in mix if x.largest_share_before > 0]  # communities with established income
    if mix:
        before = sum(x.largest_share_before for x in mix) / len(mix)
        after = sum(x.largest_share for x in mix) / len(mix)
        shift = (f"; largest channel {before:.0%} of income with the established channels, "
                 f"{after:.0%} with the widened ones")
    out.append(
        f"market 市场主体: {len(m.actors(county))} companies; compounds: "
        f"{by.get('managed', 0)} with a property company, {by.get('irregular', 0)} 不规范小区, "
        f"{by.get('unmanaged', 0)} 三无小区; {len(m.committees(county))} owners' committees; "
        f"paid-service income {income:,.2f} CNY in {paying} communities{shift}")
    return out


def culture_headline(gov: Any, *, year: int, within: str | None = None) -> list[str]:
    """The culture line: groups, members and events since 2017 beside the study's figures,
    and the share of members who went on to volunteer (empty when no group is recorded)."""
    import datetime as dt

    who = Actor.system("demo")
    rows = gov.culture.group_report(who, on=dt.date(year, 6, 30), community=within)
    if not rows:
        return []
    events: dict[tuple[str, str], int] = {}
    for r in gov.culture.event_report(since=dt.date(2017, 1, 1), until=dt.date(year, 6, 30),
                                      unit=within):
        key = (r.level.value, r.kind.value)
        events[key] = events.get(key, 0) + r.events
    conv = gov.culture.conversion_report(who, community=within).total
    s = _STUDY_CULTURE

    def pair(level: str) -> str:
        return f"{events.get((level, 'show'), 0)}·{events.get((level, 'activity'), 0)}"

    return [
        f"culture 文体组织: {sum(r.groups for r in rows)} groups, "
        f"{sum(r.members for r in rows):,} members (study: {s['groups']} / {s['members']:,}); "
        f"events since 2017, shows·activities: community {pair('community')} (study "
        f"{s[('community', 'show')]}·{s[('community', 'activity')]}), sub-district "
        f"{pair('subdistrict')} (study {s[('subdistrict', 'show')]}·"
        f"{s[('subdistrict', 'activity')]}), city special performances "
        f"{events.get(('city', 'special_performance'), 0)} (study "
        f"{s[('city', 'special_performance')]}); neighbourhood events 邻里活动 "
        f"{sum(n for (_, k), n in events.items() if k == 'neighbourhood')}; members who went "
        f"on to volunteer {conv.converted:,} = {conv.rate:.1%}"]


def _orgs_line(gov: Any, who: Actor, year: int) -> list[str]:
    """Social organizations: stages, the year's grades, open findings (study: 发育不足)."""
    st = gov.orgs.stage_report(who)
    if not st["organizations"]:
        return []
    stages = ", ".join(f"{k} {v}" for k, v in st["by_stage"].items() if v)
    grades = gov.orgs.grades_over_time(who)["years"].get(str(year), {})
    graded = ", ".join(f"{g} {n}" for g, n in grades.get("grades", {}).items() if n) or "none"
    f = gov.orgs.findings_report(who, on=dt.date(year, 12, 31))
    staff = gov.orgs.staff_report(who, on=dt.date(year, 12, 31))["totals"]
    return [
        f"social organizations 社会组织: {st['organizations']} (study: few and weak, "
        f"社会组织发育不足) in {sum(1 for v in st['by_stage'].values() if v)} stages: {stages}; "
        f"{st['under_incubator']} kept under an incubator; {year} evaluation round: {graded}; "
        f"supervision findings open {f['open']}, overdue {f['overdue']}; staff "
        f"{staff['staff']} ({staff['from_university']} from universities)"]


def _care_lines(gov: Any, who: Actor, year: int) -> list[str]:
    """Care: residents in care and their cadres, festival and weather rounds' coverage, the
    holiday invitations of the year and of the next New Year."""
    reps = gov.care.rounds_report(who, year=year)
    if not reps:
        return []
    communities = sorted({r.community_code for r in reps})
    covs = [gov.care.coverage(who, c, on=dt.date(year, 12, 31)) for c in communities]
    in_care = sum(c.in_care for c in covs)
    covered = sum(c.covered for c in covs)
    cadres = sum(len(c.load) for c in covs)
    by_cat: dict[str, int] = {}
    for c in communities:
        for cat, n in gov.care.counts(who, c, on=dt.date(year, 12, 31)).items():
            by_cat[cat] = by_cat.get(cat, 0) + n

    def part(kind: str) -> str:
        rs = [r for r in reps if r.kind == kind]
        tasks = sum(r.tasks for r in rs)
        on_time = sum(r.on_time for r in rs)
        late = sum(r.late for r in rs)
        missed = sum(r.missed_count for r in rs)
        return (f"{len(rs)} rounds, {tasks:,} visits due: on time {on_time / tasks:.1%}, late "
                f"{late}, missed {missed}" if tasks else f"{len(rs)} rounds, none due")

    worst = max(((c, n) for r in reps for c, n in r.missed_by_cadre.items()),
                key=lambda x: x[1], default=("-", 0))
    invs = [r for y in (year, year + 1) for r in gov.care.invitation_report(who, year=y)]
    by_occ: dict[str, list[int]] = {}
    for r in invs:
        k = f"{r.occasion} {r.year}"
        by_occ.setdefault(k, [0, 0])
        by_occ[k][0] += r.invited
        by_occ[k][1] += r.attended
    names = {"new_year": "元旦", "spring_festival": "春节", "lantern": "元宵"}
    invited = sum(r.invited for r in invs)
    came = sum(r.attended for r in invs)
    invite_line = [
        f"  invitations 节日邀请 {year}/{(year + 1) % 100:02d}: {len(invs)} community events, "
        f"{invited:,} elders invited, {came:,} came ({came / invited if invited else 1:.1%}); "
        + ", ".join(f"{names.get(k.split()[0], k)} {k.split()[1]} {c}/{n}"
                    for k, (n, c) in by_occ.items())] if invs else []
    return [
        f"care 关爱 {year}: {in_care:,} residents in care, 独居老人 "
        f"{by_cat.get('elderly_alone', 0):,} and 特困 {by_cat.get('extreme_difficulty', 0):,} "
        f"(demo city: 1,398 / 420), {covered / in_care if in_care else 1:.1%} with a cadre "
        f"分包干部 ({cadres} cadres); festival 节日慰问 {part('festival')}",
        f"  weather 雨雪天气探访: {part('weather')}; most missed by one cadre in a round: "
        f"{worst[1]}",
        *invite_line,
    ]


def party_headline(gov: Any, *, year: int, county: str | None = None) -> str | None:
    """The party-building line: organizations of the four levels and the partner ones,
    members, 党员中心户, the evaluation, the councils and the affairs postings of ``year``
    (``None`` when the party step has not run)."""
    from community_governance.storage.tables import party as pt

    prefix = county or ""
    with gov.store.unit_of_work(write=False) as uow:
        conn = uow.conn
        kinds = dict(conn.execute(sa.select(t.party_orgs.c.kind, sa.func.count()).where(
            t.party_orgs.c.unit_code.startswith(prefix)).group_by(t.party_orgs.c.kind)).all())
        if not kinds.get("grid_branch"):
            return None
        members = conn.execute(sa.select(sa.func.count(sa.distinct(
            t.party_memberships.c.resident_id))).join(
            t.party_orgs, t.party_orgs.c.id == t.party_memberships.c.org_id).where(
            t.party_orgs.c.unit_code.startswith(prefix),
            t.party_memberships.c.end.is_(None))).scalar_one()
        residents = conn.execute(
            sa.select(sa.func.count())
            .select_from(t.residents.join(t.households).join(t.buildings))
            .where(t.residents.c.erased.is_(False),
                   t.buildings.c.community_code.startswith(prefix))).scalar_one()
        centres = conn.execute(sa.select(sa.func.count()).select_from(t.posts).where(
            t.posts.c.kind == "party_household_centre",
            t.posts.c.unit_code.startswith(prefix))).scalar_one()
        linked = conn.execute(sa.select(sa.func.count()).select_from(
            pt.party_centre_links).join(t.posts, t.posts.c.id == pt.party_centre_links.c.post_id)
            .where(t.posts.c.unit_code.startswith(prefix))).scalar_one()
        rounds = conn.execute(sa.select(sa.func.count()).select_from(pt.evaluation_rounds).where(
            pt.evaluation_rounds.c.community_code.startswith(prefix))).scalar_one()
        ballots = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(
            pt.evaluation_tallies.c.ballots), 0)).join(
            pt.evaluation_rounds, pt.evaluation_rounds.c.id == pt.evaluation_tallies.c.round_id)
            .where(pt.evaluation_rounds.c.community_code.startswith(prefix))).scalar_one()
        meetings = conn.execute(sa.select(sa.func.count()).select_from(pt.council_meetings).where(
            pt.council_meetings.c.community_code.startswith(prefix))).scalar_one()
        motions = conn.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(
            sa.case((pt.council_motions.c.carried, 1), else_=0)), 0)).join(
            pt.council_meetings, pt.council_meetings.c.id == pt.council_motions.c.meeting_id)
            .where(pt.council_meetings.c.community_code.startswith(prefix))).one()
        dec = conn.execute(sa.select(pt.council_decisions.c.due,
                                     pt.council_decisions.c.completed_on).where(
            pt.council_decisions.c.community_code.startswith(prefix))).all()
        postings = conn.execute(sa.select(sa.func.count()).select_from(pt.affairs_postings).where(
            pt.affairs_postings.c.community_code.startswith(prefix))).scalar_one()
        symposia = conn.execute(sa.select(sa.func.count()).select_from(pt.party_symposia).where(
            pt.party_symposia.c.community_code.startswith(prefix))).scalar_one()
        sa_ = pt.party_symposium_actions.c
        actions = conn.execute(sa.select(sa_.due, sa_.completed_on).join(
            pt.party_symposia, pt.party_symposia.c.id == sa_.symposium_id).where(
            pt.party_symposia.c.community_code.startswith(prefix))).all()
        fv = pt.festival_visits.c
        visits = conn.execute(sa.select(sa.func.count(), sa.func.count(sa.distinct(
            fv.leader_id))).where(fv.community_code.startswith(prefix))).one()
        lk = pt.council_decision_links.c
        referred = conn.execute(sa.select(sa.func.count()).select_from(
            pt.council_decision_links).join(
            pt.council_decisions, pt.council_decisions.c.id == lk.decision_id).where(
            lk.kind == "case",
            pt.council_decisions.c.community_code.startswith(prefix))).scalar_one()
    done_actions = sum(1 for a in actions if a.completed_on is not None
                       and a.completed_on <= a.due)
    on_time = sum(1 for d in dec if d.completed_on is not None and d.completed_on <= d.due)
    share = members / residents if residents else 0.0
    return (
        f"party 党建 {year}: {kinds.get('general_committee', 0)} 社区大党委, "
        f"{kinds.get('grid_branch', 0)} 网格党支部, {kinds.get('building_group', 0)} 楼院党小组, "
        f"{kinds.get('property_org', 0) + kinds.get('partner_org', 0)} property/partner; "
        f"{members:,} members ({share:.1%} of residents), {centres} 党员中心户 linking "
        f"{linked:,} households; 群众评议 {rounds} rounds, {ballots:,} ballots; 协商议事会 "
        f"{meetings} meetings, {motions[0]} motions ({motions[1]} carried), {len(dec)} decisions "
        f"({on_time} done on time, {referred} referred to cases); 事务公开 {postings} "
        f"postings; 座谈会 {symposia} ({len(actions)} actions, {done_actions} done on time); "
        f"节日走访 {visits[0]} visits by {visits[1]} county leaders")


def _grid_sizes(gov: Any, county: str) -> tuple[int, float]:
    """Grids of the county and their mean households."""
    h, b, u = t.households, t.buildings, t.units
    with gov.store.unit_of_work(write=False) as uow:
        grids = uow.conn.execute(sa.select(sa.func.count()).select_from(u).where(
            u.c.kind == "grid", u.c.code.startswith(county))).scalar_one()
        households = uow.conn.execute(
            sa.select(sa.func.count()).select_from(h.join(b, b.c.code == h.c.building_code))
            .where(b.c.grid_code.startswith(county))).scalar_one()
    return int(grids), households / grids if grids else 0.0


def _module(hooks: Any, name: str) -> str:
    """The module name of the plugin registered as ``name`` (entry points register short
    names)."""
    return str(getattr(hooks.pm.get_plugin(name), "__name__", name))


def _local_days_off(plugin: str | None) -> str:
    """The local days off the county's plugin declares (``LOCAL_DAYS_OFF``), if any."""
    if plugin is None:
        return "none"
    try:
        days: dict[dt.date, str] = getattr(importlib.import_module(plugin), "LOCAL_DAYS_OFF", {})
    except ModuleNotFoundError:
        return "plugin not installed"
    return ", ".join(f"{d.isoformat()} {name}" for d, name in sorted(days.items())) or "none"


def county_headline(gov: Any, county: CountyDemo, *, year: int) -> list[str]:
    """Lines showing the county's own rules at work in the built demo.

    Args:
        gov: the governance store holding the demo.
        county: the county's demo description (its plugin names its own case categories).
        year: the demo's year.
    """
    who = Actor.system("demo")
    code = county.code
    communities = [u.code for u in gov.registry.list_units("community")
                   if u.code.startswith(code)]
    if not communities:
        return [f"{county.name} ({code}): not built"]
    first = communities[0]
    hooks = gov.hooks
    grids, mean = _grid_sizes(gov, code)
    policy = gov.grids.policy(first, 1000)
    band = f"{policy.target} households a grid ({policy.low}-{policy.high})"
    per_service = hooks.first("cgov_points_standard", expect_int(minimum=0),
                              category="elderly_care", minutes=90, community_code=first,
                              place=first)
    allocation = gov.funds.annual_allocation(first, year)
    office = allocation.get("4101", Decimal("0"))
    approvals = hooks.first("cgov_funds_required_approvals", expect_post_kinds,
                            community_code=first, account="5104", amount=Decimal("5000"),
                            place=first)
    own = [c for name, cats in hooks.all("cgov_case_categories", accept_any, county_code=code,
                                         place=code)
           if county.plugin is not None and _module(hooks, name) == county.plugin
           for c in cats]
    deadline = "no county category"
    if own:
        cat = own[0]
        days = [hooks.first("cgov_case_deadline", expect_int(minimum=1), category=cat.code,
                            level=level, county_code=code, place=code)
                for level in (RouteLevel.GRID, RouteLevel.COMMUNITY)]
        deadline = f"{cat.name} ({cat.code}) {days[0]}/{days[1]} working days (grid/community)"
    r = gov.cases.case_report(who, year=year, within=code)
    return [
        f"{county.name} ({code}): grids 网格 {grids}, {mean:.0f} households each on average, "
        f"policy {band}",
        f"  points 积分: {per_service} for 90 minutes of elderly care; office funds 办公经费 "
        f"{office:,.2f} CNY a community in {year} (allocation: "
        f"{', '.join(f'{k} {v:,.0f}' for k, v in sorted(allocation.items())) or 'none'}); "
        f"a 5,000 CNY repair needs {' + '.join(k.value for k in approvals) or 'no approval'}",
        f"  cases 事务: {r.total:,} in {year}, overdue "
        f"{'-' if r.overdue_share is None else f'{r.overdue_share:.1%}'}; own category "
        f"{deadline}; local days off 本地休息日: {_local_days_off(county.plugin)}",
        _orgs_rules(gov, first),
    ]


def _orgs_rules(gov: Any, community: str) -> str:
    """The county's rules for social organizations, in one line."""
    o = gov.orgs
    adm = o.admission(community, "service")
    scheme = o.grade_scheme(community)
    weights = {i.code: i.weight for i in o.indicators(community, "service")}
    tier = o.bid_tier(community, None)
    return (f"  social organizations 社会组织: admission {len(adm.documents)} documents, "
            f"{adm.min_members} members, {adm.min_full_time_staff} full-time staff; 5A from "
            f"{scheme.thresholds[0][1]} of {scheme.max_score}; volunteer hours weigh "
            f"{weights.get('volunteer_hours', 0)}; ungraded organizations "
            f"{'may not bid' if tier == 0 else f'bid in round {tier}'}")
