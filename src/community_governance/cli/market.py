"""``cgov market``: market actors (市场主体) and their contracts, compounds with no property
management (三无小区), owners' committees and votes, the 三供一业 handover, the catalogue of
free and paid services, paid-service income and funding agreements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import click

from community_governance.cli import emit, leaf, open_db
from community_governance.domain.access import Actor

_DAY = click.DateTime(["%Y-%m-%d"])


def _handover_lines(rep: Any, months: bool) -> Iterator[str]:
    """The lines of ``cgov market handover-report``: a compound a line, then its months."""
    for c in rep.compounds:
        yield (f"{c['compound']}\t{c['name']}\t{c['households']}户\t{c['completed']}/"
               f"{c['supplies']}\t{c['subsidy_removed_per_year']}\t{c['cases']}")
    if months:
        for m in rep.months:
            yield f"{m['compound']}\t{m['month']}\t{m['cases']}\t{m['open']}"


def register(cli: click.Group) -> None:
    """Add the ``market`` group."""

    @cli.group()
    def market() -> None:
        """Market actors (市场主体), 三无小区, owners' committees, the 三供一业 handover, paid
        services."""

    compounds_under = click.option("--under", default="", help="compounds under this code prefix")
    communities_under = click.option("--under", default="",
                                     help="communities under this code prefix")

    @leaf(market, "actors",
          click.option("--county", default="", help="a county code (default: every county)"),
          click.option("--kind", help="property_management, domestic, waste_sorting, repair or "
                                      "elderly_care"),
          access="public")
    def actors(county: str, kind: str | None, db: str, as_json: bool) -> None:
        """Registered market actors and the services they offer (public facts)."""
        with open_db(db) as gov:
            found = gov.market.actors(county, kind=kind)
        emit(as_json, found, (f"{a.id}\t{a.name}\t{','.join(k.chinese for k in a.kinds)}\t"
                              f"{a.partner_id or '-'}" for a in found))

    @leaf(market, "contracts", compounds_under,
          click.option("--company", help="one company's contracts"),
          access="public")
    def contracts(under: str, company: str | None, db: str, as_json: bool) -> None:
        """Service contracts: company, compound, service, period and fee (public facts)."""
        with open_db(db) as gov:
            found = gov.market.contracts(under, company_id=company)
        emit(as_json, found, (f"{c.id}\t{c.company_id}\t{c.compound_code}\t{c.service.chinese}\t"
                              f"{c.start}..{c.end or ''}\t{c.fee}{c.basis.chinese}"
                              for c in found))

    @leaf(market, "end-contract",
          click.argument("contract_id"),
          click.option("--on", "on", type=_DAY, required=True, help="its last day"))
    def end_contract(contract_id: str, on: dt.datetime, db: str, actor: Actor,
                     as_json: bool) -> None:
        """End CONTRACT_ID on a day (its last day)."""
        with open_db(db) as gov:
            got = gov.market.end_contract(actor, contract_id, on=on.date())
        emit(as_json, got, f"{got.id} ends on {got.end}")

    @leaf(market, "party", click.argument("company_id"), access="public")
    def party(company_id: str, db: str, as_json: bool) -> None:
        """The property company's party organization (物业党组织) at each community it serves,
        under the community's general committee."""
        with open_db(db) as gov:
            found = gov.market.party_links(company_id)
        emit(as_json, found, (f"{x.community_code}\t{x.org_id or '(none yet)'}\t"
                              f"{x.org_name or ''}\t{x.committee_id or '-'}" for x in found))

    @leaf(market, "compounds", compounds_under,
          click.option("--on", "on", type=_DAY, help="the day (default today)"),
          click.option("--status", type=click.Choice(["managed", "irregular", "unmanaged"]),
                       help="only compounds of this status (unmanaged: 三无小区)"),
          access="public")
    def compounds(under: str, on: dt.datetime | None, status: str | None, db: str,
                  as_json: bool) -> None:
        """How each compound is managed: property company, 不规范小区 or 三无小区."""
        with open_db(db) as gov:
            found = gov.market.compound_management(under, on=on.date() if on else None)
        found = [x for x in found if status is None or x.status.value == status]
        counts: dict[str, int] = {}
        for x in found:
            counts[x.status.chinese] = counts.get(x.status.chinese, 0) + 1
        emit(as_json, [x.as_dict() for x in found], (
            f"{x.compound_code}\t{x.name}\t{x.households}\t{x.status.chinese}\t"
            f"{x.company_id or '-'}\t{x.committee_id or '-'}" for x in found))
        if not as_json:
            click.echo("; ".join(f"{k} {v}" for k, v in sorted(counts.items())), err=True)

    @leaf(market, "committees", compounds_under,
          click.option("--on", "on", type=_DAY, help="only committees sitting on this day"),
          access="public")
    def committees(under: str, on: dt.datetime | None, db: str, as_json: bool) -> None:
        """Owners' committees (业主委员会) with their terms and members (a public office)."""
        with open_db(db) as gov:
            found = gov.market.committees(under, on=on.date() if on else None)
        emit(as_json, found, (f"{c.id}\t{c.compound_code}\t{c.term_start}..{c.term_end}\t"
                              + "、".join(m.name for m in c.members) for c in found))

    @leaf(market, "votes", compounds_under, access="public")
    def votes(under: str, db: str, as_json: bool) -> None:
        """Owners' votes, counted by exclusive area and by headcount (Civil Code Art. 278)."""
        with open_db(db) as gov:
            found = gov.market.votes(under)
        emit(as_json, [v.as_dict() for v in found], (
            f"{v.id}\t{v.compound_code}\t{v.matter.value}\t{v.held_on}\t"
            f"area {r.area_for}/{r.area_voting}/{r.total_area} m², owners "
            f"{r.owners_for}/{r.owners_voting}/{r.total_owners}\t"
            f"{'carried' if r.carried else 'not carried: ' + r.reason}"
            for v in found for r in [v.result]))

    @leaf(market, "handovers", compounds_under, access="public")
    def handovers(under: str, db: str, as_json: bool) -> None:
        """三供一业 handover records: compound, supply, from whom to whom, when, households,
        subsidy removed per household and year, status."""
        with open_db(db) as gov:
            found = gov.market.handovers(under)
        emit(as_json, found, (f"{h.id}\t{h.compound_code}\t{h.utility.chinese}\t{h.from_party}"
                              f" → {h.to_party}\t{h.handed_over_on}\t{h.households}户\t"
                              f"{h.subsidy_removed}/户·年\t{h.status.chinese}" for h in found))

    @leaf(market, "advance-handover",
          click.argument("handover_id"),
          click.argument("event", type=click.Choice(["agree", "renovate", "complete"])),
          click.option("--on", "on", type=_DAY, help="the day it completes (default today)"))
    def advance(handover_id: str, event: str, on: dt.datetime | None, db: str, actor: Actor,
                as_json: bool) -> None:
        """Move HANDOVER_ID on: agree, renovate, complete."""
        with open_db(db) as gov:
            got = gov.market.advance_handover(actor, handover_id, event,
                                              on=on.date() if on else None)
        emit(as_json, got, f"{got.id}\t{got.status.chinese}\t{got.handed_over_on}")

    @leaf(market, "handover-report", compounds_under,
          click.option("--start", type=_DAY, help="first day counted for cases"),
          click.option("--end", type=_DAY, help="last day counted for cases"),
          click.option("--months", is_flag=True, help="also the cases per compound and month"),
          access="public")
    def handover_report(under: str, start: dt.datetime | None, end: dt.datetime | None,
                        months: bool, db: str, as_json: bool) -> None:
        """Progress of the 三供一业 handover and complaint load per compound (and month)."""
        with open_db(db) as gov:
            rep = gov.market.handover_report(under, start=start.date() if start else None,
                                             end=end.date() if end else None)
        emit(as_json, rep.as_dict(), _handover_lines(rep, months))
        if not as_json:
            click.echo(f"{len(rep.compounds)} compounds, {rep.households:,} households, "
                       f"{rep.completed_compounds} fully handed over, subsidies removed "
                       f"{rep.subsidy_removed:,.2f} CNY a year, {rep.cases} cases", err=True)

    @leaf(market, "catalogue", click.argument("community"), access="public")
    def catalogue(community: str, db: str, as_json: bool) -> None:
        """COMMUNITY's services with their fees (免费 when free)."""
        with open_db(db) as gov:
            found = gov.market.catalogue(community)
        emit(as_json, found, (f"{s.id}\t{s.name}\t"
                              + ("免费" if s.free else f"{s.fee}元/{s.unit}")
                              + f"\t{s.provider_id or '-'}" for s in found))

    @leaf(market, "seed-catalogue", click.argument("communities", nargs=-1, required=True))
    def seed_catalogue(communities: tuple[str, ...], db: str, actor: Actor,
                       as_json: bool) -> None:
        """Give COMMUNITIES the catalogue of their place's rule (existing services kept)."""
        with open_db(db) as gov:
            n = gov.market.seed_catalogue(actor, communities)
        emit(as_json, {"services_added": n}, f"{n} services added", err=True)

    @leaf(market, "sell",
          click.argument("service_id"),
          click.argument("quantity", type=int),
          click.option("--on", "on", type=_DAY, required=True, help="the accounting day"),
          click.option("--voucher", required=True, help="the voucher reference (凭证号)"))
    def sell(service_id: str, quantity: int, on: dt.datetime, voucher: str, db: str,
             actor: Actor, as_json: bool) -> None:
        """Post income of QUANTITY units of paid SERVICE_ID to the funds ledger
        (channel paid_service)."""
        from community_governance.services.market import ServiceSale

        with open_db(db) as gov:
            got = gov.market.record_income(actor, [ServiceSale(service_id, quantity, on.date(),
                                                               voucher)])
        emit(as_json, got, f"transaction {got[0].id}\t{got[0].total}")

    @leaf(market, "income", communities_under, click.option("--year", type=int),
          access="public")
    def income(under: str, year: int | None, db: str, as_json: bool) -> None:
        """Paid-service income per community and service."""
        with open_db(db) as gov:
            found = gov.market.service_income(under, year=year)
        emit(as_json, found, (f"{r['community']}\t{r['service']}\t{r['name']}\t"
                              f"{r['quantity']}\t{r['income']}" for r in found))

    @leaf(market, "agreements", communities_under, access="public")
    def agreements(under: str, db: str, as_json: bool) -> None:
        """Sponsorship and donation agreements and what was received (individuals named only
        with their consent)."""
        with open_db(db) as gov:
            found: list[dict[str, Any]] = gov.market.agreements(under)
        emit(as_json, found, (f"{a['id']}\t{a['community']}\t{a['kind']}\t{a['party']}\t"
                              f"{a['channel']}\t{a['received']}/{a['amount']}" for a in found))

    @leaf(market, "receive",
          click.argument("agreement_id"),
          click.argument("amount"),
          click.option("--voucher", required=True, help="the voucher reference (凭证号)"),
          click.option("--on", "on", type=_DAY, help="the accounting day (default today)"))
    def receive(agreement_id: str, amount: str, voucher: str, on: dt.datetime | None, db: str,
                actor: Actor, as_json: bool) -> None:
        """Post AMOUNT received under AGREEMENT_ID to the funds ledger."""
        with open_db(db) as gov:
            got = gov.market.receive(actor, agreement_id, amount, voucher=voucher,
                                     on=on.date() if on else None)
        emit(as_json, got, f"transaction {got.id}\t{got.total}\t{got.channel.value}")
