"""``cgov market``: market actors (市场主体) and their contracts, compounds with no property
management (三无小区), owners' committees and votes, the 三供一业 handover, the catalogue of
free and paid services, paid-service income and funding agreements."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from community_governance.cli import (
    db_option,
    echo_json,
    json_option,
    open_db,
    writer_option,
)
from community_governance.domain.access import Actor

_DAY = click.DateTime(["%Y-%m-%d"])


def register(cli: click.Group) -> None:
    """Add the ``market`` group."""

    @cli.group()
    def market() -> None:
        """Market actors (市场主体), 三无小区, owners' committees, the 三供一业 handover, paid
        services."""

    @market.command("actors")
    @click.option("--county", default="", help="a county code (default: every county)")
    @click.option("--kind", help="property_management, domestic, waste_sorting, repair or "
                                 "elderly_care")
    @db_option
    @json_option
    def actors(county: str, kind: str | None, db: str, as_json: bool) -> None:
        """Registered market actors and the services they offer (public facts)."""
        with open_db(db) as gov:
            found = gov.market.actors(county, kind=kind)
        if as_json:
            echo_json(found)
            return
        for a in found:
            kinds = ",".join(k.chinese for k in a.kinds)
            click.echo(f"{a.id}\t{a.name}\t{kinds}\t{a.partner_id or '-'}")

    @market.command("contracts")
    @click.option("--under", default="", help="compounds under this code prefix")
    @click.option("--company", help="one company's contracts")
    @db_option
    @json_option
    def contracts(under: str, company: str | None, db: str, as_json: bool) -> None:
        """Service contracts: company, compound, service, period and fee (public facts)."""
        with open_db(db) as gov:
            found = gov.market.contracts(under, company_id=company)
        if as_json:
            echo_json(found)
            return
        for c in found:
            click.echo(f"{c.id}\t{c.company_id}\t{c.compound_code}\t{c.service.chinese}\t"
                       f"{c.start}..{c.end or ''}\t{c.fee}{c.basis.chinese}")

    @market.command("end-contract")
    @click.argument("contract_id")
    @click.option("--on", "on", type=_DAY, required=True, help="its last day")
    @db_option
    @writer_option
    @json_option
    def end_contract(contract_id: str, on: dt.datetime, db: str, actor: Actor,
                     as_json: bool) -> None:
        """End CONTRACT_ID on a day (its last day)."""
        with open_db(db) as gov:
            got = gov.market.end_contract(actor, contract_id, on=on.date())
        if as_json:
            echo_json(got)
        else:
            click.echo(f"{got.id} ends on {got.end}")

    @market.command("party")
    @click.argument("company_id")
    @db_option
    @json_option
    def party(company_id: str, db: str, as_json: bool) -> None:
        """The property company's party organization (物业党组织) at each community it serves,
        under the community's general committee."""
        with open_db(db) as gov:
            found = gov.market.party_links(company_id)
        if as_json:
            echo_json(found)
            return
        for x in found:
            click.echo(f"{x.community_code}\t{x.org_id or '(none yet)'}\t{x.org_name or ''}"
                       f"\t{x.committee_id or '-'}")

    @market.command("compounds")
    @click.option("--under", default="", help="compounds under this code prefix")
    @click.option("--on", "on", type=_DAY, help="the day (default today)")
    @click.option("--status", type=click.Choice(["managed", "irregular", "unmanaged"]),
                  help="only compounds of this status (unmanaged: 三无小区)")
    @db_option
    @json_option
    def compounds(under: str, on: dt.datetime | None, status: str | None, db: str,
                  as_json: bool) -> None:
        """How each compound is managed: property company, 不规范小区 or 三无小区."""
        with open_db(db) as gov:
            found = gov.market.compound_management(under, on=on.date() if on else None)
        found = [x for x in found if status is None or x.status.value == status]
        if as_json:
            echo_json([x.as_dict() for x in found])
            return
        for x in found:
            click.echo(f"{x.compound_code}\t{x.name}\t{x.households}\t{x.status.chinese}\t"
                       f"{x.company_id or '-'}\t{x.committee_id or '-'}")
        counts: dict[str, int] = {}
        for x in found:
            counts[x.status.chinese] = counts.get(x.status.chinese, 0) + 1
        click.echo("; ".join(f"{k} {v}" for k, v in sorted(counts.items())), err=True)

    @market.command("committees")
    @click.option("--under", default="", help="compounds under this code prefix")
    @click.option("--on", "on", type=_DAY, help="only committees sitting on this day")
    @db_option
    @json_option
    def committees(under: str, on: dt.datetime | None, db: str, as_json: bool) -> None:
        """Owners' committees (业主委员会) with their terms and members (a public office)."""
        with open_db(db) as gov:
            found = gov.market.committees(under, on=on.date() if on else None)
        if as_json:
            echo_json(found)
            return
        for c in found:
            names = "、".join(m.name for m in c.members)
            click.echo(f"{c.id}\t{c.compound_code}\t{c.term_start}..{c.term_end}\t{names}")

    @market.command("votes")
    @click.option("--under", default="", help="compounds under this code prefix")
    @db_option
    @json_option
    def votes(under: str, db: str, as_json: bool) -> None:
        """Owners' votes, counted by exclusive area and by headcount (Civil Code Art. 278)."""
        with open_db(db) as gov:
            found = gov.market.votes(under)
        if as_json:
            echo_json([v.as_dict() for v in found])
            return
        for v in found:
            r = v.result
            click.echo(f"{v.id}\t{v.compound_code}\t{v.matter.value}\t{v.held_on}\t"
                       f"area {r.area_for}/{r.area_voting}/{r.total_area} m², owners "
                       f"{r.owners_for}/{r.owners_voting}/{r.total_owners}\t"
                       f"{'carried' if r.carried else 'not carried: ' + r.reason}")

    @market.command("handovers")
    @click.option("--under", default="", help="compounds under this code prefix")
    @db_option
    @json_option
    def handovers(under: str, db: str, as_json: bool) -> None:
        """三供一业 handover records: compound, supply, from whom to whom, when, households,
        subsidy removed per household and year, status."""
        with open_db(db) as gov:
            found = gov.market.handovers(under)
        if as_json:
            echo_json(found)
            return
        for h in found:
            click.echo(f"{h.id}\t{h.compound_code}\t{h.utility.chinese}\t{h.from_party} → "
                       f"{h.to_party}\t{h.handed_over_on}\t{h.households}户\t"
                       f"{h.subsidy_removed}/户·年\t{h.status.chinese}")

    @market.command("advance-handover")
    @click.argument("handover_id")
    @click.argument("event", type=click.Choice(["agree", "renovate", "complete"]))
    @click.option("--on", "on", type=_DAY, help="the day it completes (default today)")
    @db_option
    @writer_option
    @json_option
    def advance(handover_id: str, event: str, on: dt.datetime | None, db: str, actor: Actor,
                as_json: bool) -> None:
        """Move HANDOVER_ID on: agree, renovate, complete."""
        with open_db(db) as gov:
            got = gov.market.advance_handover(actor, handover_id, event,
                                              on=on.date() if on else None)
        if as_json:
            echo_json(got)
        else:
            click.echo(f"{got.id}\t{got.status.chinese}\t{got.handed_over_on}")

    @market.command("handover-report")
    @click.option("--under", default="", help="compounds under this code prefix")
    @click.option("--start", type=_DAY, help="first day counted for cases")
    @click.option("--end", type=_DAY, help="last day counted for cases")
    @click.option("--months", is_flag=True, help="also the cases per compound and month")
    @db_option
    @json_option
    def handover_report(under: str, start: dt.datetime | None, end: dt.datetime | None,
                        months: bool, db: str, as_json: bool) -> None:
        """Progress of the 三供一业 handover and complaint load per compound (and month)."""
        with open_db(db) as gov:
            rep = gov.market.handover_report(under, start=start.date() if start else None,
                                             end=end.date() if end else None)
        if as_json:
            echo_json(rep.as_dict())
            return
        for c in rep.compounds:
            click.echo(f"{c['compound']}\t{c['name']}\t{c['households']}户\t"
                       f"{c['completed']}/{c['supplies']}\t{c['subsidy_removed_per_year']}\t"
                       f"{c['cases']}")
        if months:
            for m in rep.months:
                click.echo(f"{m['compound']}\t{m['month']}\t{m['cases']}\t{m['open']}")
        click.echo(f"{len(rep.compounds)} compounds, {rep.households:,} households, "
                   f"{rep.completed_compounds} fully handed over, subsidies removed "
                   f"{rep.subsidy_removed:,.2f} CNY a year, {rep.cases} cases", err=True)

    @market.command("catalogue")
    @click.argument("community")
    @db_option
    @json_option
    def catalogue(community: str, db: str, as_json: bool) -> None:
        """COMMUNITY's services with their fees (免费 when free)."""
        with open_db(db) as gov:
            found = gov.market.catalogue(community)
        if as_json:
            echo_json(found)
            return
        for s in found:
            fee = "免费" if s.free else f"{s.fee}元/{s.unit}"
            click.echo(f"{s.id}\t{s.name}\t{fee}\t{s.provider_id or '-'}")

    @market.command("seed-catalogue")
    @click.argument("communities", nargs=-1, required=True)
    @db_option
    @writer_option
    @json_option
    def seed_catalogue(communities: tuple[str, ...], db: str, actor: Actor,
                       as_json: bool) -> None:
        """Give COMMUNITIES the catalogue of their place's rule (existing services kept)."""
        with open_db(db) as gov:
            n = gov.market.seed_catalogue(actor, communities)
        if as_json:
            echo_json({"services_added": n})
        else:
            click.echo(f"{n} services added", err=True)

    @market.command("sell")
    @click.argument("service_id")
    @click.argument("quantity", type=int)
    @click.option("--on", "on", type=_DAY, required=True, help="the accounting day")
    @click.option("--voucher", required=True, help="the voucher reference (凭证号)")
    @db_option
    @writer_option
    @json_option
    def sell(service_id: str, quantity: int, on: dt.datetime, voucher: str, db: str,
             actor: Actor, as_json: bool) -> None:
        """Post income of QUANTITY units of paid SERVICE_ID to the funds ledger
        (channel paid_service)."""
        from community_governance.services.market import ServiceSale

        with open_db(db) as gov:
            got = gov.market.record_income(actor, [ServiceSale(service_id, quantity, on.date(),
                                                               voucher)])
        if as_json:
            echo_json(got)
        else:
            click.echo(f"transaction {got[0].id}\t{got[0].total}")

    @market.command("income")
    @click.option("--under", default="", help="communities under this code prefix")
    @click.option("--year", type=int)
    @db_option
    @json_option
    def income(under: str, year: int | None, db: str, as_json: bool) -> None:
        """Paid-service income per community and service."""
        with open_db(db) as gov:
            found = gov.market.service_income(under, year=year)
        if as_json:
            echo_json(found)
            return
        for r in found:
            click.echo(f"{r['community']}\t{r['service']}\t{r['name']}\t{r['quantity']}\t"
                       f"{r['income']}")

    @market.command("agreements")
    @click.option("--under", default="", help="communities under this code prefix")
    @db_option
    @json_option
    def agreements(under: str, db: str, as_json: bool) -> None:
        """Sponsorship and donation agreements and what was received (individuals named only
        with their consent)."""
        with open_db(db) as gov:
            found: list[dict[str, Any]] = gov.market.agreements(under)
        if as_json:
            echo_json(found)
            return
        for a in found:
            click.echo(f"{a['id']}\t{a['community']}\t{a['kind']}\t{a['party']}\t"
                       f"{a['channel']}\t{a['received']}/{a['amount']}")

    @market.command("receive")
    @click.argument("agreement_id")
    @click.argument("amount")
    @click.option("--voucher", required=True, help="the voucher reference (凭证号)")
    @click.option("--on", "on", type=_DAY, help="the accounting day (default today)")
    @db_option
    @writer_option
    @json_option
    def receive(agreement_id: str, amount: str, voucher: str, on: dt.datetime | None, db: str,
                actor: Actor, as_json: bool) -> None:
        """Post AMOUNT received under AGREEMENT_ID to the funds ledger."""
        with open_db(db) as gov:
            got = gov.market.receive(actor, agreement_id, amount, voucher=voucher,
                                     on=on.date() if on else None)
        if as_json:
            echo_json(got)
        else:
            click.echo(f"transaction {got.id}\t{got.total}\t{got.channel.value}")
