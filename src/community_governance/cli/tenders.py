"""``cgov tenders``: the government purchase of services (政府购买服务), one command per step
of a round (need, project, publish, bid, seat, open, score, award, object, answer, sign,
accept, pay, evaluate, close), the lists and the public outputs: the bid commitments, the
disclosure of awards and contracts, and the OCDS 1.1 export."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import click

from community_governance.cli import emit, leaf, open_db
from community_governance.domain.access import Actor

_DAY = click.DateTime(["%Y-%m-%d"])


def _lot(spec: str) -> Any:
    from community_governance.services.tenders import NewLot

    parts = spec.split(":")
    if len(parts) < 2 or len(parts) > 4:
        raise click.BadParameter(f"{spec!r}: give TITLE:CEILING[:KIND,KIND][:GRADE], e.g. "
                                 "日间照料中心运营:80000")
    kinds = tuple(k for k in (parts[2] if len(parts) > 2 else "").split(",") if k)
    grade = parts[3] if len(parts) > 3 and parts[3] else None
    return NewLot(parts[0], parts[1], kinds, grade)  # type: ignore[arg-type]


def _deliverable(spec: str) -> Any:
    from community_governance.domain.tenders import Deliverable

    try:
        code, name, due = spec.split(":")
        return Deliverable(code, name, dt.date.fromisoformat(due))
    except ValueError:
        raise click.BadParameter(f"{spec!r}: give CODE:NAME:YYYY-MM-DD, e.g. "
                                 "q2_report:第二季度服务报告:2019-06-30") from None


def _marks(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for p in pairs:
        code, sep, value = p.partition("=")
        if not sep:
            raise click.BadParameter(f"{p!r}: give CRITERION=MARK, e.g. service_plan=27")
        out[code] = value
    return out


def _tender_lines(t: Any, bids: dict[int, Any], contracts: list[Any]) -> Iterator[str]:
    """The lines of ``cgov tenders show``."""
    yield (f"{t.id}\t{t.title}\t{t.procedure.procedure.chinese}\tpublished {t.published_on}\t"
           f"deadline {t.deadline.isoformat()}")
    yield "criteria: " + "; ".join(f"{c.name} {c.weight}" for c in t.criteria)
    for lot in t.lots:
        yield f"lot {lot.number} (#{lot.id})\t{lot.title}\t{lot.budget}\t{lot.status.chinese}"
        for b in bids[lot.id]:
            price = "sealed" if b.price is None else str(b.price)
            yield f"  bid {b.id}\t{b.org_id}\t{price}\t{b.commitment}"
    for c in contracts:
        yield (f"contract {c.id}\t{c.org_name}\t{c.amount}\t{c.status.chinese}\t"
               f"accepted {', '.join(sorted(c.accepted)) or '-'}")


def register(cli: click.Group) -> None:
    """Add the ``tenders`` group."""

    @cli.group()
    def tenders() -> None:
        """Government purchase of services (政府购买服务): needs, projects, tenders, bids,
        awards, contracts, payments, OCDS."""

    key = click.option("--id", "key", help="its key (default: generated)")

    # ---------------------------------------------------------------- the round, step by step

    @leaf(tenders, "need",
          click.argument("unit"),
          click.option("--title", required=True, help="what is needed, e.g. 老年人日间照料"),
          click.option("--category", required=True, help="a code, e.g. elderly_day_care"),
          click.option("--estimate", required=True, help="the estimated cost, CNY"),
          click.option("--description", default="", help="the need in a few sentences"),
          key)
    def need(unit: str, title: str, category: str, estimate: str, description: str,
             key: str | None, db: str, actor: Actor, as_json: bool) -> None:
        """Raise a need (购买服务需求) of UNIT, a community or sub-district."""
        with open_db(db) as gov:
            got = gov.tenders.raise_need(actor, unit, title=title, category=category,
                                         estimate=estimate, description=description,
                                         need_id=key)
        emit(as_json, got, f"{got.id}\t{got.unit_code}\t{got.title}")

    @leaf(tenders, "project",
          click.argument("need_id"),
          click.option("--budget", required=True, help="the amount reserved, CNY"),
          click.option("--year", type=int, required=True, help="the budget year"),
          click.option("--community", help="the community whose books pay (default: the need's)"),
          click.option("--account", default="5107", show_default=True,
                       help="the expense account"),
          click.option("--title", help="its title (default: the need's)"),
          key)
    def project(need_id: str, budget: str, year: int, community: str | None, account: str,
                title: str | None, key: str | None, db: str, actor: Actor,
                as_json: bool) -> None:
        """Make NEED_ID a project (政府购买服务项目), its budget reserved in the funds ledger."""
        with open_db(db) as gov:
            got = gov.tenders.create_project(actor, need_id, budget=budget, year=year,
                                             community_code=community, account=account,
                                             title=title, project_id=key)
        emit(as_json, got, f"{got.id}\t{got.community_code}\t{got.budget}\treservation "
                           f"{got.reservation_id}")

    @leaf(tenders, "publish",
          click.argument("project_id"),
          click.option("--title", required=True, help="the notice's title"),
          click.option("--procedure", type=click.Choice(["open", "competitive_consultation",
                                                         "single_source"]), default="open",
                       show_default=True, help="公开招标, 竞争性磋商 or 单一来源"),
          click.option("--lot", "lots", multiple=True, required=True,
                       help="TITLE:CEILING[:KIND,KIND][:GRADE] (repeat for several lots)"),
          key)
    def publish(project_id: str, title: str, procedure: str, lots: tuple[str, ...],
                key: str | None, db: str, actor: Actor, as_json: bool) -> None:
        """Publish a tender notice (招标公告) for PROJECT_ID; the bid deadline is counted in
        working days on the place's calendar."""
        specs = [_lot(s) for s in lots]
        with open_db(db) as gov:
            got = gov.tenders.publish(actor, project_id, title=title, procedure=procedure,
                                      lots=specs, tender_id=key)
        prov = " (provisional)" if got.deadline_provisional else ""
        emit(as_json, got, [f"{got.id}\t{got.procedure.procedure.chinese}\tdeadline "
                            f"{got.deadline.isoformat()}{prov}",
                            *(f"  lot {lot.number} (#{lot.id})\t{lot.title}\t{lot.budget}"
                              for lot in got.lots)])

    @leaf(tenders, "bid",
          click.argument("lot_id", type=int),
          click.argument("org_id"),
          click.option("--price", required=True, help="the price, CNY"),
          click.option("--proposal", required=True, help="the proposal (sealed until opening)"))
    def bid(lot_id: int, org_id: str, price: str, proposal: str, db: str, actor: Actor,
            as_json: bool) -> None:
        """Submit ORG_ID's sealed bid on LOT_ID; prints the receipt: the published commitment
        and the nonce that lets the bidder check it."""
        with open_db(db) as gov:
            got = gov.tenders.bid(actor, lot_id, org_id, price=price, proposal=proposal)
        emit(as_json, got, f"bid {got.id}\tcommitment {got.commitment}\tnonce {got.nonce}")

    @leaf(tenders, "seat",
          click.argument("tender_id"),
          click.argument("member_id"),
          click.option("--name", required=True, help="the member's name (shown masked)"),
          click.option("--declared", multiple=True,
                       help="an organization the member is tied to"))
    def seat(tender_id: str, member_id: str, name: str, declared: tuple[str, ...], db: str,
             actor: Actor, as_json: bool) -> None:
        """Seat MEMBER_ID on TENDER_ID's scoring panel (评标委员会)."""
        with open_db(db) as gov:
            panel = gov.tenders.seat_panel_member(actor, tender_id, member_id, name=name,
                                                  declared=declared)
        emit(as_json, panel, note=f"{member_id} seated on {tender_id}")

    @leaf(tenders, "declare",
          click.argument("tender_id"),
          click.argument("member_id"),
          click.argument("org_id"))
    def declare(tender_id: str, member_id: str, org_id: str, db: str, actor: Actor,
                as_json: bool) -> None:
        """Record MEMBER_ID's declared tie with ORG_ID (主动申报回避): they will not score it."""
        with open_db(db) as gov:
            got = gov.tenders.declare_conflict(actor, tender_id, member_id, org_id)
        emit(as_json, got, note=f"{member_id} stands aside for {org_id}")

    @leaf(tenders, "open", click.argument("tender_id"))
    def open_(tender_id: str, db: str, actor: Actor, as_json: bool) -> None:
        """Open TENDER_ID's bids (开标) after the deadline, checking every bid against its
        published commitment."""
        with open_db(db) as gov:
            gov.tenders.open_bids(actor, tender_id)
            t = gov.tenders.tender(actor, tender_id)
            bids = {lot.id: gov.tenders.bids(actor, lot.id) for lot in t.lots}
        emit(as_json, {"tender": t, "bids": bids}, (
            line for lot in t.lots for line in [
                f"lot {lot.number} (#{lot.id})\t{lot.status.chinese}",
                *(f"  bid {b.id}\t{b.org_id}\t{b.price}\t"
                  f"{'valid' if b.valid else 'INVALID: commitment mismatch'}"
                  for b in bids[lot.id])]))

    @leaf(tenders, "score",
          click.argument("bid_id", type=int),
          click.argument("member_id"),
          click.option("--mark", "marks", multiple=True, required=True,
                       help="CRITERION=MARK for each quality criterion, e.g. service_plan=27"))
    def score(bid_id: int, member_id: str, marks: tuple[str, ...], db: str,
              actor: Actor, as_json: bool) -> None:
        """Record MEMBER_ID's marks for BID_ID (a member tied to the bidder is refused)."""
        with open_db(db) as gov:
            got = gov.tenders.score(actor, bid_id, member_id, _marks(marks))
        emit(as_json, got, " ".join(f"{k}={v}" for k, v in got.items()))

    @leaf(tenders, "ranking", click.argument("lot_id", type=int), access="read")
    def ranking(lot_id: int, db: str, actor: Actor, as_json: bool) -> None:
        """The scoring result of LOT_ID (评标结果), best first."""
        with open_db(db) as gov:
            got = gov.tenders.ranking(actor, lot_id)
        emit(as_json, got, (f"{r.rank}\t{r.org_id}\t{r.price}\tprice {r.price_score}\tquality "
                            f"{r.quality_score}\ttotal {r.total}" for r in got))

    @leaf(tenders, "award", click.argument("lot_id", type=int))
    def award(lot_id: int, db: str, actor: Actor, as_json: bool) -> None:
        """Award LOT_ID to its best-ranked bid (中标); the standstill period begins."""
        with open_db(db) as gov:
            gov.tenders.award(actor, lot_id)
            lot = gov.tenders.lot(actor, lot_id)
        emit(as_json, lot, f"lot #{lot.id}\t{lot.status.chinese}\twinning bid "
                           f"{lot.winner_bid_id}\tobjections until {lot.standstill_until}")

    @leaf(tenders, "object",
          click.argument("lot_id", type=int),
          click.argument("org_id"),
          click.option("--text", required=True, help="what the bidder objects to"))
    def object_(lot_id: int, org_id: str, text: str, db: str, actor: Actor,
                as_json: bool) -> None:
        """File ORG_ID's objection (质疑) to LOT_ID's award within the standstill period."""
        with open_db(db) as gov:
            got = gov.tenders.object_to_award(actor, lot_id, org_id, text=text)
        emit(as_json, got, f"objection {got.id}")

    @leaf(tenders, "answer",
          click.argument("objection_id", type=int),
          click.option("--uphold/--dismiss", required=True,
                       help="upheld: the award is annulled"),
          click.option("--reply", required=True, help="the answer (质疑答复)"))
    def answer(objection_id: int, uphold: bool, reply: str, db: str, actor: Actor,
               as_json: bool) -> None:
        """Answer OBJECTION_ID."""
        with open_db(db) as gov:
            got = gov.tenders.answer_objection(actor, objection_id, upheld=uphold, reply=reply)
        emit(as_json, got, f"objection {got.id}\t{'upheld' if got.upheld else 'dismissed'}")

    @leaf(tenders, "cancel",
          click.argument("lot_id", type=int),
          click.option("--reason", required=True, help="why (终止)"))
    def cancel(lot_id: int, reason: str, db: str, actor: Actor, as_json: bool) -> None:
        """Cancel LOT_ID (终止)."""
        with open_db(db) as gov:
            gov.tenders.cancel(actor, lot_id, reason=reason)
            lot = gov.tenders.lot(actor, lot_id)
        emit(as_json, lot, note=f"lot #{lot_id} cancelled")

    @leaf(tenders, "sign",
          click.argument("lot_id", type=int),
          click.option("--start", type=_DAY, required=True, help="the first day of service"),
          click.option("--end", type=_DAY, required=True, help="the last day"),
          click.option("--deliverable", "deliverables", multiple=True, required=True,
                       help="CODE:NAME:DUE (repeat)"),
          click.option("--instalment", "instalments", multiple=True, required=True,
                       help="AMOUNT:DELIVERABLE, numbered in the order given (repeat)"),
          key)
    def sign(lot_id: int, start: dt.datetime, end: dt.datetime, deliverables: tuple[str, ...],
             instalments: tuple[str, ...], key: str | None, db: str, actor: Actor,
             as_json: bool) -> None:
        """Sign LOT_ID's contract (合同) after the standstill period."""
        from community_governance.domain.tenders import Instalment

        items = []
        for i, spec in enumerate(instalments, start=1):
            amount, sep, code = spec.partition(":")
            if not sep:
                raise click.BadParameter(f"{spec!r}: give AMOUNT:DELIVERABLE, e.g. "
                                         "31200:q2_report")
            items.append(Instalment(i, Decimal(amount), code))
        with open_db(db) as gov:
            got = gov.tenders.sign(actor, lot_id, start=start.date(), end=end.date(),
                                   deliverables=[_deliverable(d) for d in deliverables],
                                   instalments=items, contract_id=key)
        emit(as_json, got, f"{got.id}\t{got.org_name}\t{got.amount}\t{got.start}..{got.end}")

    @leaf(tenders, "accept",
          click.argument("contract_id"),
          click.argument("deliverable"),
          click.option("--note", default="", help="the acceptance note (验收意见)"))
    def accept(contract_id: str, deliverable: str, note: str, db: str, actor: Actor,
               as_json: bool) -> None:
        """Accept DELIVERABLE of CONTRACT_ID (履约验收)."""
        with open_db(db) as gov:
            got = gov.tenders.accept(actor, contract_id, deliverable, note=note)
        emit(as_json, got, f"{got.id}\taccepted {', '.join(sorted(got.accepted))}")

    @leaf(tenders, "pay",
          click.argument("contract_id"),
          click.argument("number", type=int),
          click.option("--on", "on", type=_DAY, help="the day requested (default today)"))
    def pay(contract_id: str, number: int, on: dt.datetime | None, db: str, actor: Actor,
            as_json: bool) -> None:
        """Request instalment NUMBER of CONTRACT_ID as a funds disbursement (its deliverable
        must be accepted); approve and pay it with ``cgov funds``."""
        with open_db(db) as gov:
            got = gov.tenders.request_payment(actor, contract_id, number,
                                              on=on.date() if on else None)
        roles = ",".join(r.value for r in got.required_roles)
        emit(as_json, got, f"disbursement {got.id}\t{got.amount}\t{got.payee}\tneeds {roles}")

    @leaf(tenders, "payments", click.argument("contract_id"), access="read")
    def payments(contract_id: str, db: str, actor: Actor, as_json: bool) -> None:
        """CONTRACT_ID's instalments requested and their disbursements' state."""
        with open_db(db) as gov:
            got = gov.tenders.payments(actor, contract_id)
        emit(as_json, got, (f"{p.number}\t{p.amount}\t{p.deliverable}\tdisbursement "
                            f"{p.disbursement_id}\t{p.state}" for p in got))

    @leaf(tenders, "evaluate",
          click.argument("contract_id"),
          click.option("--score", type=int, required=True, help="0-100"),
          click.option("--evaluator", "evaluators", multiple=True, required=True,
                       help="who evaluated (repeat)"),
          click.option("--note", default="", help="the findings"))
    def evaluate(contract_id: str, score: int, evaluators: tuple[str, ...], note: str,
                 db: str, actor: Actor, as_json: bool) -> None:
        """Record CONTRACT_ID's performance evaluation (履约评价)."""
        with open_db(db) as gov:
            got = gov.tenders.evaluate(actor, contract_id, score=score, evaluators=evaluators,
                                       note=note)
        emit(as_json, got, f"{got.contract_id}\t{got.org_id}\t{got.score}")

    @leaf(tenders, "close", click.argument("project_id"))
    def close(project_id: str, db: str, actor: Actor, as_json: bool) -> None:
        """Close PROJECT_ID, releasing what its reservation did not pay."""
        with open_db(db) as gov:
            got = gov.tenders.close_project(actor, project_id)
        emit(as_json, got, f"{got.id}\t{got.status}")

    # ---------------------------------------------------------------- reading

    def listing(name: str, method: str, doc: str, row: Callable[[Any], str],
                where: str = "a unit code") -> None:
        """Add the command ``name``: the records ``gov.tenders.<method>`` lists ``--within`` a
        unit, one ``row`` a line."""

        def command(within: str | None, db: str, actor: Actor, as_json: bool) -> None:
            with open_db(db) as gov:
                got = getattr(gov.tenders, method)(actor, within=within)
            emit(as_json, got, map(row, got))

        command.__doc__ = doc
        leaf(tenders, name, click.option("--within", help=where), access="read")(command)

    listing("list", "tenders", "Tender notices with their lots' status.",
            lambda t: (f"{t.id}\t{t.project_id}\t{t.published_on}\t"
                       f"{t.procedure.procedure.chinese}\t{t.title}\t"
                       + "; ".join(f"{lot.number} {lot.status.chinese}" for lot in t.lots)),
            where="a unit code (default: every unit you may read)")
    listing("needs", "needs", "Needs raised (购买服务需求).",
            lambda n: f"{n.id}\t{n.unit_code}\t{n.title}\t{n.estimate}\t{n.project_id or '-'}")
    listing("projects", "projects", "Projects with their reserved budget and status.",
            lambda p: f"{p.id}\t{p.community_code}\t{p.year}\t{p.title}\t{p.budget}\t{p.status}")
    listing("contracts", "contracts", "Contracts with their term, amount and deliverables "
            "accepted.",
            lambda c: (f"{c.id}\t{c.org_name}\t{c.amount}\t{c.start}..{c.end}\t"
                       f"{c.status.chinese}\taccepted {len(c.accepted)}/{len(c.deliverables)}"))

    @leaf(tenders, "show", click.argument("tender_id"), access="read")
    def show(tender_id: str, db: str, actor: Actor, as_json: bool) -> None:
        """One tender: its notice, lots, bids (sealed until opening) and contracts."""
        with open_db(db) as gov:
            t = gov.tenders.tender(actor, tender_id)
            bids = {lot.id: gov.tenders.bids(actor, lot.id) for lot in t.lots}
            contracts = [c for c in gov.tenders.contracts(actor)
                         if c.lot_id in bids]
        emit(as_json, {"tender": t, "bids": {str(k): v for k, v in bids.items()},
                       "contracts": contracts}, _tender_lines(t, bids, contracts))

    @leaf(tenders, "history", click.argument("lot_id", type=int), access="read")
    def history(lot_id: int, db: str, actor: Actor, as_json: bool) -> None:
        """LOT_ID's transitions, numbered without gaps."""
        with open_db(db) as gov:
            got = gov.tenders.history(actor, lot_id)
        emit(as_json, got, (f"{h['seq']}\t{h['event']}\t{h['from'] or '-'} → {h['to']}\t"
                            f"{h['day']}" for h in got))

    # ---------------------------------------------------------------- public outputs

    @leaf(tenders, "commitments", click.argument("tender_id"), access="public")
    def commitments(tender_id: str, db: str, as_json: bool) -> None:
        """The published bid commitments of TENDER_ID (投标承诺值公示): anyone may keep them
        and check the opening against them."""
        with open_db(db) as gov:
            got = gov.tenders.commitments(tender_id)
        emit(as_json, got, (f"lot {c['lot']}\tbid {c['bid']}\t{c['received_at']}\t"
                            f"{c['commitment']}\t{c['bidder'] or '(sealed)'}" for c in got))

    public_within = click.option("--within", required=True,
                                 help="a county, sub-district or community code")
    budget_year = click.option("--year", type=int, help="one budget year")

    @leaf(tenders, "disclosure", public_within, budget_year,
          click.option("--lang", type=click.Choice(["zh", "en"]), default="zh",
                       show_default=True),
          access="public")
    def disclosure(within: str, year: int | None, lang: str, db: str, as_json: bool) -> None:
        """The public disclosure of awards and contracts (中标及合同公开)."""
        from community_governance.io.tenders import render_json, render_text

        with open_db(db) as gov:
            data = gov.tenders.disclosure_data(within=within, year=year)
        click.echo(render_json(data, lang) if as_json else render_text(data, lang), nl=False)

    @leaf(tenders, "ocds", public_within, budget_year,
          click.option("--packaging", type=click.Choice(["record", "release"]),
                       default="record", show_default=True,
                       help="a record package or a release package"),
          click.option("--prefix", envvar="CGOV_OCDS_PREFIX", default="ocds-cgov00-",
                       show_default=True,
                       help="your registered ocid prefix (default: CGOV_OCDS_PREFIX, else the "
                            "placeholder ocds-cgov00-)"),
          click.option("--uri", default="https://example.org/ocds/", show_default=True,
                       help="where the package is published"),
          click.option("--publisher", default="",
                       help="the publisher's name (default: the unit)"),
          click.option("--check", is_flag=True,
                       help="validate every release against the OCDS 1.1.4 schema; exit 1 if "
                            "any is invalid"),
          access="public")
    def ocds_(within: str, year: int | None, packaging: str, prefix: str, uri: str,
              publisher: str, check: bool, db: str, as_json: bool) -> None:
        """The OCDS 1.1 export: a record per contracting process (tender) with a release per
        stage (planning, tender, award, contract, implementation). Always JSON."""
        from community_governance.io import ocds

        del as_json  # the output is JSON
        with open_db(db) as gov:
            data = gov.tenders.ocds_data(within=within, year=year)
            unit = publisher or gov.tenders.disclosure_data(within=within,
                                                            year=year)["unit_name"]
            published = gov.now().isoformat()
        build = ocds.record_package if packaging == "record" else ocds.release_package
        pkg = build(data, published=published, uri=uri, publisher=unit, prefix=prefix)
        click.echo(json.dumps(pkg, ensure_ascii=False, indent=2))
        if check:
            rels = pkg["releases"] if packaging == "release" else [
                r for rec in pkg["records"] for r in [*rec["releases"],
                                                      rec["compiledRelease"]]]
            bad = [(r["id"], p) for r in rels for p in ocds.validate_release(r)]
            for rid, problem in bad:
                click.echo(f"{rid}: {problem}", err=True)
            click.echo(f"{len(rels)} releases checked against OCDS {ocds.SCHEMA_VERSION}: "
                       f"{'all valid' if not bad else f'{len(bad)} problems'}", err=True)
            if bad:
                raise SystemExit(1)
