"""``cgov volunteers``, ``cgov points``, ``cgov supermarket`` and ``cgov report participation``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import click

from community_governance.cli import (
    actor_option,
    batch_of_options,
    console,
    db_option,
    echo_json,
    json_always,
    open_db,
    writer_option,
)
from community_governance.domain.access import Actor
from community_governance.errors import ValidationError


def _key(value: str | None) -> str:
    return value or f"cli-{uuid.uuid4().hex}"


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.table import Table

    table = Table(title=title)
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*[str(x) for x in r])
    console().print(table)


def _entry(e: Any) -> dict[str, Any]:
    return {"id": e.id, "resident_id": e.resident_id, "kind": e.kind.value, "amount": e.amount,
            "balance_after": e.balance_after, "at": e.at.isoformat(), "key": e.idempotency_key,
            "reason": e.reason}


key_option = click.option("--key", help="idempotency key (reuse it to retry safely); "
                          "a new one is made when omitted")
json_option = click.option("--json", "as_json", is_flag=True, help="print JSON")


# --- volunteers ---------------------------------------------------------------------------------


@click.group()
def volunteers() -> None:
    """Volunteers (志愿者): registration, organizations, activities, attendance."""


@volunteers.command("register")
@db_option
@writer_option
@click.argument("resident_id")
@click.option("--skills", default="", help="comma-separated skills, e.g. 理发,维修")
@click.option("--availability", default="", help="when they can serve")
@json_option
def volunteers_register(db: str, actor: Actor, resident_id: str, skills: str,
                        availability: str, as_json: bool) -> None:
    """Register RESIDENT_ID as a volunteer."""
    with open_db(db) as gov:
        v = gov.volunteers.register(actor, resident_id,
                                    skills=[s for s in skills.split(",") if s],
                                    availability=availability)
    if as_json:
        echo_json({"resident_id": v.resident_id, "community": v.community_code,
                   "skills": list(v.skills), "availability": v.availability,
                   "registered_on": v.registered_on})
        return
    click.echo(f"registered {v.resident_id} as a volunteer of {v.community_code}")


@volunteers.command("list")
@db_option
@actor_option
@click.option("--community", help="community code")
@json_option
def volunteers_list(db: str, actor: Actor, community: str | None, as_json: bool) -> None:
    """List registered volunteers."""
    with open_db(db) as gov:
        vs = gov.volunteers.list_volunteers(actor, community=community)
    rows = [[v.resident_id, v.community_code, ",".join(v.skills), v.availability,
             v.registered_on] for v in vs]
    if as_json:
        echo_json([dict(zip(["resident_id", "community", "skills", "availability",
                             "registered_on"], r, strict=True)) for r in rows])
        return
    _table("Volunteers 志愿者", ["resident", "community", "skills", "availability",
                               "registered"], rows)


@volunteers.command("orgs")
@db_option
@click.option("--within", help="unit code prefix")
@json_option
def volunteers_orgs(db: str, within: str | None, as_json: bool) -> None:
    """List volunteer organizations with their member counts."""
    with open_db(db) as gov:
        orgs = gov.volunteers.orgs(unit_prefix=within)
    rows = [[o.id, o.name, o.unit_code, o.category, n] for o, n in orgs]
    if as_json:
        echo_json([dict(zip(["id", "name", "unit", "category", "members"], r, strict=True))
                   for r in rows])
        return
    _table("Volunteer organizations 志愿服务组织", ["id", "name", "unit", "category", "members"],
           rows)


@volunteers.command("activities")
@db_option
@click.option("--community", help="community code")
@json_option
def volunteers_activities(db: str, community: str | None, as_json: bool) -> None:
    """List volunteer activities."""
    with open_db(db) as gov:
        acts = gov.volunteers.activities(community=community)
    rows = [[a.id, a.title, a.unit_code, a.category, a.start.isoformat(), a.minutes,
             a.capacity, a.signed_up] for a in acts]
    cols = ["id", "title", "unit", "category", "start", "minutes", "capacity", "signed_up"]
    if as_json:
        echo_json([dict(zip(cols, r, strict=True)) for r in rows])
        return
    _table("Activities 志愿服务活动", cols, rows)


@volunteers.command("attend")
@db_option
@writer_option
@click.argument("activity_id")
@click.argument("resident_ids", nargs=-1, required=True)
@json_option
def volunteers_attend(db: str, actor: Actor, activity_id: str,
                      resident_ids: tuple[str, ...], as_json: bool) -> None:
    """Record that RESIDENT_IDS served at ACTIVITY_ID (and award their points)."""
    with open_db(db) as gov:
        res = gov.volunteers.record_attendance(actor, activity_id, list(resident_ids))
    if as_json:
        echo_json({"activity": activity_id, "recorded": len(res.recorded),
                   "points": res.points, "already": len(res.already)})
        return
    click.echo(f"{len(res.recorded)} service record(s), {res.points} points; "
               f"{len(res.already)} recorded before")


@volunteers.command("records")
@db_option
@actor_option
@click.argument("resident_id")
@json_option
def volunteers_records(db: str, actor: Actor, resident_id: str, as_json: bool) -> None:
    """A volunteer's service records (服务记录)."""
    with open_db(db) as gov:
        recs = gov.volunteers.service_records(actor, resident_id)
    rows = [[r.activity_id, r.minutes, r.points, r.entry_id] for r in recs]
    if as_json:
        echo_json([dict(zip(["activity", "minutes", "points", "entry"], r, strict=True))
                   for r in rows])
        return
    _table(f"Service records of {resident_id}", ["activity", "minutes", "points", "entry"], rows)


# --- points -------------------------------------------------------------------------------------


@click.group()
def points() -> None:
    """The points journal (积分): balance, statement, earn, redeem."""


@points.command("balance")
@db_option
@actor_option
@click.argument("resident_id")
@json_option
def points_balance(db: str, actor: Actor, resident_id: str, as_json: bool) -> None:
    """Show RESIDENT_ID's points balance."""
    with open_db(db) as gov:
        n = gov.points.balance(actor, resident_id)
    if as_json:
        echo_json({"resident_id": resident_id, "balance": n})
    else:
        click.echo(f"{resident_id}: {n} points")


@points.command("statement")
@db_option
@actor_option
@click.argument("resident_id")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="first day")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="last day")
@json_option
def points_statement(db: str, actor: Actor, resident_id: str, start: dt.datetime | None,
                     end: dt.datetime | None, as_json: bool) -> None:
    """Show RESIDENT_ID's statement (opening, entries, closing) for a period."""
    with open_db(db) as gov:
        st = gov.points.statement(actor, resident_id, start=start.date() if start else None,
                                  end=end.date() if end else None)
    if as_json:
        echo_json(st.as_dict())
        return
    _table(f"Statement of {resident_id} 积分对账单: opening {st.opening}, closing {st.closing}",
           ["id", "day", "kind", "amount", "balance", "reason"],
           [[e.id, e.day, e.kind.value, e.amount, e.balance_after, e.reason]
            for e in st.entries])


@points.command("earn")
@json_always
@db_option
@writer_option
@click.argument("resident_id")
@click.argument("amount", type=int)
@key_option
@click.option("--reason", default="", help="why")
def points_earn(db: str, actor: Actor, resident_id: str, amount: int, key: str | None,
                reason: str) -> None:
    """Award AMOUNT points to RESIDENT_ID."""
    from community_governance.domain.points import PendingAward

    with open_db(db) as gov:
        e = gov.points.earn(actor, resident_id, amount, key=_key(key), reason=reason)
    if isinstance(e, PendingAward):
        click.echo(f"award {e.id} waits for a second person's confirmation ({e.rule}); "
                   f"another leader runs: cgov points confirm {e.id}", err=True)
        echo_json(_pending(e))
        return
    echo_json(_entry(e))


def _pending(p: Any) -> dict[str, Any]:
    return {"id": p.id, "resident_id": p.resident_id, "community": p.community_code,
            "amount": p.amount, "reason": p.reason, "key": p.key, "rule": p.rule,
            "state": p.state, "requested_by": p.requested_by,
            "requested_at": p.requested_at.isoformat(), "decided_by": p.decided_by,
            "note": p.note, "entry_id": p.entry_id}


@points.command("pending")
@db_option
@actor_option
@click.option("--community", help="only this community (12 digits)")
@click.option("--state", type=click.Choice(["pending", "confirmed", "rejected"]),
              default="pending", show_default=True)
@json_option
def points_pending(db: str, actor: Actor, community: str | None, state: str,
                   as_json: bool) -> None:
    """Awards waiting for a second person's confirmation (积分复核), oldest first."""
    with open_db(db) as gov:
        rows = [_pending(p) for p in gov.points.pending(actor, community=community,
                                                         state=state)]
    if as_json:
        echo_json(rows)
        return
    _table(f"Points awards: {state}", ["id", "resident_id", "amount", "requested_by", "rule"],
           [[r["id"], r["resident_id"], r["amount"], r["requested_by"], r["rule"]]
            for r in rows])


@points.command("confirm")
@json_always
@db_option
@writer_option
@click.argument("pending_id", type=int)
@click.option("--note", default="", help="a note kept with the decision")
def points_confirm(db: str, actor: Actor, pending_id: int, note: str) -> None:
    """Confirm the waiting award PENDING_ID (not your own request): the points are written."""
    with open_db(db) as gov:
        e = gov.points.confirm(actor, pending_id, note=note)
    echo_json(_entry(e))


@points.command("reject")
@json_always
@db_option
@writer_option
@click.argument("pending_id", type=int)
@click.option("--reason", required=True, help="why (the requester reads it)")
def points_reject(db: str, actor: Actor, pending_id: int, reason: str) -> None:
    """Reject the waiting award PENDING_ID (not your own request): nothing is awarded."""
    with open_db(db) as gov:
        p = gov.points.reject(actor, pending_id, reason=reason)
    echo_json(_pending(p))


@points.command("redeem")
@json_always
@db_option
@writer_option
@click.argument("resident_id")
@click.argument("amount", type=int, required=False)
@click.option("--item", "item_id", help="a supermarket item (then AMOUNT is not given)")
@click.option("--quantity", type=int, default=1, show_default=True)
@key_option
@click.option("--reason", default="", help="why (without --item)")
def points_redeem(db: str, actor: Actor, resident_id: str, amount: int | None,
                  item_id: str | None, quantity: int, key: str | None, reason: str) -> None:
    """Spend RESIDENT_ID's points: AMOUNT points, or --item ITEM at the supermarket."""
    if (amount is None) == (item_id is None):
        raise click.UsageError("give either AMOUNT or --item ITEM")
    with open_db(db) as gov:
        if item_id is not None:
            r = gov.supermarket.redeem(actor, resident_id, item_id, quantity, key=_key(key))
            echo_json({"redemption": r.id, "item": r.item_id, "quantity": r.quantity,
                       "points": r.points, "entry": _entry(r.entry)})
        else:
            assert amount is not None
            echo_json(_entry(gov.points.redeem(actor, resident_id, amount, key=_key(key),
                                               reason=reason)))


@points.command("check")
@db_option
@json_option
def points_check(db: str, as_json: bool) -> None:
    """Check the ledger's invariants (journal sums = balances, stock = moves...); exit 1 when
    any is broken."""
    with open_db(db) as gov:
        problems = gov.points.check(Actor.system("cli"))
    if as_json:
        echo_json({"problems": [str(p) for p in problems], "ok": not problems})
        if problems:
            raise SystemExit(1)
        return
    for p in problems:
        click.echo(str(p))
    click.echo(f"{len(problems)} problem(s)")
    if problems:
        raise SystemExit(1)


@points.command("expire")
@json_always
@db_option
@writer_option
@click.option("--as-of", "as_of", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="the day of expiry (today or earlier, in the county)")
@click.option("--community", help="only this community (12 digits)")
def points_expire(db: str, actor: Actor, as_of: dt.datetime, community: str | None) -> None:
    """Clear points older than the validity period (过期清零), each resident on their own.

    Prints the entries written and the residents that failed (with the reason); exits 1 when
    any failed (the others are expired all the same).
    """
    with open_db(db) as gov:
        run = gov.points.expire(actor, as_of=as_of.date(), community=community)
    echo_json({"expired": [_entry(e) for e in run], "failed": run.failed})
    if not run.ok:
        click.echo(f"{len(run.failed)} resident(s) could not be expired: "
                   f"{', '.join(sorted(run.failed))}", err=True)
        raise SystemExit(1)


# --- supermarket --------------------------------------------------------------------------------


@click.group()
def supermarket() -> None:
    """The points supermarket (积分超市): stock and restocking."""


@supermarket.command("stock")
@db_option
@click.option("--community", help="community code")
@json_option
def supermarket_stock(db: str, community: str | None, as_json: bool) -> None:
    """List items with their points price and stock."""
    with open_db(db) as gov:
        items = gov.supermarket.stock(community)
    cols = ["id", "community", "name", "price_points", "stock", "active"]
    rows = [[i.id, i.community_code, i.name, i.price_points, i.stock, i.active] for i in items]
    if as_json:
        echo_json([dict(zip(cols, r, strict=True)) for r in rows])
        return
    _table("Points supermarket 积分超市", cols, rows)


@supermarket.command("restock")
@db_option
@writer_option
@click.argument("item_id")
@click.argument("quantity", type=int)
@key_option
@json_option
def supermarket_restock(db: str, actor: Actor, item_id: str, quantity: int,
                        key: str | None, as_json: bool) -> None:
    """Put QUANTITY more of ITEM_ID on the shelf."""
    with open_db(db) as gov:
        n = gov.supermarket.restock(actor, item_id, quantity, key=key)
    if as_json:
        echo_json({"item": item_id, "stock": n})
        return
    click.echo(f"{item_id}: {n} in stock")


@supermarket.command("add")
@db_option
@writer_option
@click.argument("community")
@click.argument("name")
@click.argument("price", type=int)
@click.option("--stock", type=int, default=0)
@click.option("--id", "item_id", help="the item's key")
@json_option
def supermarket_add(db: str, actor: Actor, community: str, name: str, price: int, stock: int,
                    item_id: str | None, as_json: bool) -> None:
    """Offer NAME at COMMUNITY's supermarket for PRICE points."""
    with open_db(db) as gov:
        i = gov.supermarket.add_item(actor, community, name, price, stock=stock, id=item_id)
    if as_json:
        echo_json({"id": i.id, "community": i.community_code, "name": i.name,
                   "price_points": i.price_points, "stock": i.stock, "active": i.active})
        return
    click.echo(f"{i.id}: {i.name}, {i.price_points} points, {i.stock} in stock")


@supermarket.command("add-many")
@db_option
@writer_option
@click.argument("community")
@click.argument("items", nargs=-1, required=True)
@json_option
def supermarket_add_many(db: str, actor: Actor, community: str, items: tuple[str, ...],
                         as_json: bool) -> None:
    """Offer several ITEMS at COMMUNITY's supermarket in one transaction (all or nothing),
    each as NAME=PRICE[/STOCK[/ID]], e.g. 洗衣液=30/12 香皂=10."""
    from community_governance.services.supermarket import NewItem

    wanted = []
    for item in items:
        name, sep, rest = item.rpartition("=")
        parts = rest.split("/")
        if not sep or not name.strip() or len(parts) > 3 or not all(
                p.strip().isdigit() for p in parts[:2]):
            raise ValidationError(f"{item!r}: write an item as NAME=PRICE[/STOCK[/ID]], e.g. "
                                  "洗衣液=30/12", path=f"ITEMS {item}")
        wanted.append(NewItem(community, name, int(parts[0]),
                              stock=int(parts[1]) if len(parts) > 1 else 0,
                              id=(parts[2].strip() or None) if len(parts) > 2 else None))
    with open_db(db) as gov, batch_of_options("ITEMS", items):
        got = gov.supermarket.add_items(actor, wanted)
    if as_json:
        echo_json([{"id": i.id, "community": i.community_code, "name": i.name,
                    "price_points": i.price_points, "stock": i.stock, "active": i.active}
                   for i in got])
        return
    for i in got:
        click.echo(f"{i.id}: {i.name}, {i.price_points} points, {i.stock} in stock")


# --- report participation -----------------------------------------------------------------------


def _participation(db: str, actor: Actor, community: str | None, as_json: bool) -> None:
    with open_db(db) as gov:
        rep = gov.volunteers.participation(actor, community=community)
    if as_json:
        echo_json(rep.as_dict())
        return
    cols = ["community", "month", "residents", "active_volunteers", "share_active",
            "points_issued", "points_redeemed", "points_expired", "redemptions", "stock_outs"]
    _table("Volunteer participation 志愿服务参与情况", cols,
           [[r[c] if c != "share_active" else f"{r[c]:.2%}" for c in cols] for r in rep.months])
    _table("Top categories", ["category", "attendances"], [list(x) for x in rep.top_categories])
    _table("Totals", ["what", "value"], [[k, v] for k, v in rep.totals.items()])


def register(cli: click.Group) -> None:
    """Add the ``volunteers``, ``points`` and ``supermarket`` groups and
    ``report participation``."""
    from community_governance.cli.report import report

    cli.add_command(volunteers)
    cli.add_command(points)
    cli.add_command(supermarket)

    @report.command("participation")
    @db_option
    @actor_option
    @click.option("--community", help="community code")
    @json_option
    def participation(db: str, actor: Actor, community: str | None, as_json: bool) -> None:
        """Volunteer participation, points and supermarket turnover per community and month."""
        _participation(db, actor, community, as_json)
