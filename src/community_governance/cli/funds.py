"""``cgov funds``: post, budget, request, approve, pay, reverse, close and disclose; and
``cgov report funding`` (the funding-channel mix)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from community_governance.cli import (
    actor_option,
    batch_of_options,
    console,
    db_option,
    echo_json,
    json_always,
    open_db,
    pick_year,
    writer_option,
)
from community_governance.cli.report import report
from community_governance.domain.access import Actor
from community_governance.errors import ValidationError

if TYPE_CHECKING:
    from community_governance.domain.funds import Disbursement, Posting, Transaction


def transaction_dict(tx: Transaction) -> dict[str, Any]:
    """A transaction as JSON-ready data (amounts as strings)."""
    return {
        "id": tx.id, "community": tx.community_code, "date": tx.date.isoformat(),
        "channel": tx.channel.value, "kind": tx.kind.value, "voucher": tx.voucher,
        "memo": tx.memo, "counterparty": tx.counterparty, "reverses": tx.reverses,
        "lines": [{"account": p.account, "debit": str(p.debit), "credit": str(p.credit)}
                  for p in tx.postings],
    }


def disbursement_dict(d: Disbursement) -> dict[str, Any]:
    """A disbursement as JSON-ready data."""
    return {
        "id": d.id, "community": d.community_code, "account": d.account,
        "amount": str(d.amount), "payee": d.payee, "purpose": d.purpose,
        "state": d.state.value, "required_roles": [r.value for r in d.required_roles],
        "missing_roles": [r.value for r in d.missing_roles],
        "approvals": [{"role": a.role.value, "approver": a.approver} for a in d.approvals],
        "over_budget": d.over_budget, "transaction": d.transaction_id, "reason": d.reason,
    }


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: write dates as YYYY-MM-DD") from None


def _lines(debits: tuple[str, ...], credits: tuple[str, ...]) -> list[Posting]:
    from community_governance.domain.funds import credit, debit

    out = []
    for side, items in ((debit, debits), (credit, credits)):
        for item in items:
            account, sep, amount = item.partition("=")
            if not sep:
                raise ValidationError(f"{item!r}: write lines as ACCOUNT=AMOUNT, e.g. 1002=74000",
                                      path="--debit/--credit")
            out.append(side(account.strip(), amount.strip()))
    return out


def register(cli: click.Group) -> None:
    """Add the ``funds`` group (and ``report funding``)."""

    @cli.group()
    def funds() -> None:
        """Community funds (经费): double-entry books, budgets, disbursements, disclosure."""

    @funds.command()
    @db_option
    @writer_option
    @click.option("--community", required=True, help="community code (12 digits)")
    @click.option("--channel", required=True,
                  help="city_allocation, subdistrict, partner_unit, enterprise, ngo, "
                       "individual, paid_service, investment or internal")
    @click.option("--voucher", required=True, help="voucher reference (凭证号)")
    @click.option("--debit", "debits", multiple=True, help="ACCOUNT=AMOUNT (repeatable)")
    @click.option("--credit", "credits", multiple=True, help="ACCOUNT=AMOUNT (repeatable)")
    @click.option("--date", "day", help="accounting date YYYY-MM-DD (default: today)")
    @click.option("--memo", default="", help="internal note")
    @click.option("--counterparty", help="who paid or was paid")
    @click.option("--consent", is_flag=True, help="an individual donor agreed to be named")
    @click.option("--key", help="idempotency key: the same key posts once")
    @json_always
    def post(db: str, actor: Actor, community: str, channel: str, voucher: str,
             debits: tuple[str, ...], credits: tuple[str, ...], day: str | None, memo: str,
             counterparty: str | None, consent: bool, key: str | None) -> None:
        """Post a balanced transaction, e.g. --debit 1002=74000 --credit 4101=74000."""
        with open_db(db) as gov:
            tx = gov.funds.post(actor, community, _lines(debits, credits), channel=channel,
                                voucher=voucher, on=_day(day), memo=memo,
                                counterparty=counterparty, donor_consent=consent, key=key)
        echo_json(transaction_dict(tx))

    @funds.command()
    @db_option
    @writer_option
    @click.argument("transaction_id", type=int)
    @click.option("--voucher", required=True, help="voucher of the reversal")
    @click.option("--date", "day", help="date of the reversal (default: today)")
    @click.option("--key", help="idempotency key")
    @json_always
    def reverse(db: str, actor: Actor, transaction_id: int, voucher: str, day: str | None,
                key: str | None) -> None:
        """Correct a posted transaction with a reversing one (红字冲销)."""
        with open_db(db) as gov:
            tx = gov.funds.reverse(actor, transaction_id, voucher=voucher, on=_day(day),
                                   key=key)
        echo_json(transaction_dict(tx))

    @funds.command()
    @db_option
    @writer_option
    @click.option("--community", required=True)
    @click.option("--account", required=True, help="expense account code, e.g. 5101")
    @click.option("--year", required=True, type=int)
    @click.option("--amount", required=True, help="CNY, e.g. 60000")
    @json_always
    def budget(db: str, actor: Actor, community: str, account: str, year: int,
               amount: str) -> None:
        """Set the budget (预算) of an expense account for a year."""
        with open_db(db) as gov:
            b = gov.funds.set_budget(actor, community, account, year, amount)
        echo_json({"community": b.community_code, "account": b.account, "year": b.year,
                   "amount": str(b.amount), "spent": str(b.spent),
                   "remaining": str(b.remaining)})

    @funds.command()
    @db_option
    @writer_option
    @click.option("--community", required=True)
    @click.option("--year", required=True, type=int)
    @click.option("--set", "budgets", required=True, multiple=True,
                  help="ACCOUNT=AMOUNT, e.g. 5101=60000 (repeat for each account)")
    @json_always
    def budgets(db: str, actor: Actor, community: str, year: int,
                budgets: tuple[str, ...]) -> None:
        """Set several budgets (预算) of a year at once, in one transaction, e.g.
        --set 5101=60000 --set 5102=20000; all or nothing."""
        from community_governance.services.funds import NewBudget

        wanted = []
        for item in budgets:
            account, sep, amount = item.partition("=")
            if not sep:
                raise ValidationError(f"{item!r}: write budgets as ACCOUNT=AMOUNT, e.g. "
                                      "5101=60000", path=f"--set {item}")
            wanted.append(NewBudget(community, account.strip(), year, amount.strip()))
        with open_db(db) as gov, batch_of_options("--set", budgets):
            got = gov.funds.set_budgets(actor, wanted)
        echo_json([{"community": b.community_code, "account": b.account, "year": b.year,
                    "amount": str(b.amount), "spent": str(b.spent),
                    "remaining": str(b.remaining)} for b in got])

    @funds.command()
    @db_option
    @writer_option
    @click.option("--community", required=True)
    @click.option("--account", required=True, help="expense account code")
    @click.option("--amount", required=True, help="CNY")
    @click.option("--payee", required=True)
    @click.option("--purpose", required=True)
    @click.option("--date", "day", help="date of the request (default: today)")
    @click.option("--key", help="idempotency key")
    @json_always
    def request(db: str, actor: Actor, community: str, account: str, amount: str, payee: str,
                purpose: str, day: str | None, key: str | None) -> None:
        """Request a disbursement (支出申请)."""
        with open_db(db) as gov:
            d = gov.funds.request(actor, community, account, amount, payee=payee,
                                  purpose=purpose, on=_day(day), key=key)
        echo_json(disbursement_dict(d))

    @funds.command()
    @db_option
    @writer_option
    @click.argument("disbursement_id", type=int)
    @click.option("--role", help="the post to approve as (system jobs must name one)")
    @json_always
    def approve(db: str, actor: Actor, disbursement_id: int, role: str | None) -> None:
        """Approve a disbursement (审批) in one of the roles it still needs."""
        with open_db(db) as gov:
            d = gov.funds.approve(actor, disbursement_id, as_role=role)
        echo_json(disbursement_dict(d))

    @funds.command()
    @db_option
    @writer_option
    @click.argument("disbursement_id", type=int)
    @click.option("--reason", required=True)
    @json_always
    def reject(db: str, actor: Actor, disbursement_id: int, reason: str) -> None:
        """Reject a disbursement (驳回)."""
        with open_db(db) as gov:
            d = gov.funds.reject(actor, disbursement_id, reason=reason)
        echo_json(disbursement_dict(d))

    @funds.command()
    @db_option
    @writer_option
    @click.argument("disbursement_id", type=int)
    @click.option("--voucher", required=True)
    @click.option("--date", "day", help="payment date (default: today)")
    @click.option("--from-account", default="1002", show_default=True)
    @json_always
    def pay(db: str, actor: Actor, disbursement_id: int, voucher: str, day: str | None,
            from_account: str) -> None:
        """Pay an approved disbursement (支付)."""
        with open_db(db) as gov:
            d = gov.funds.pay(actor, disbursement_id, voucher=voucher, on=_day(day),
                              from_account=from_account)
        echo_json(disbursement_dict(d))

    @funds.command("trial-balance")
    @db_option
    @actor_option
    @click.option("--community", help="one community (default: all in the actor's scope)")
    @click.option("--as-of", "as_of", help="last day included, YYYY-MM-DD")
    @json_always
    def trial_balance(db: str, actor: Actor, community: str | None, as_of: str | None) -> None:
        """The trial balance (试算平衡表): every account's debits, credits and balance."""
        with open_db(db) as gov:
            tb = gov.funds.trial_balance(actor, community, as_of=_day(as_of))
        echo_json(tb.as_dict())

    @funds.command()
    @db_option
    @writer_option
    @click.option("--community", required=True)
    @click.option("--year", required=True, type=int)
    @json_always
    def close(db: str, actor: Actor, community: str, year: int) -> None:
        """Close a year's books (年终结账) and print the balances carried forward."""
        with open_db(db) as gov:
            tx = gov.funds.close_year(actor, community, year)
            carried = gov.funds.carry_forward(actor, community, year)
        echo_json({"closing": transaction_dict(tx) if tx else None,
                   "carried_forward": {a: str(v) for a, v in carried.items()}})

    @funds.command()
    @db_option
    @click.option("--community", required=True)
    @click.option("--quarter", required=True, help="e.g. 2019Q2")
    @click.option("--format", "fmt", type=click.Choice(["html", "csv", "json"]),
                  default="html", show_default=True)
    @click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
                  help="write to this file (default: standard output)")
    @click.option("--json", "as_json", is_flag=True, help="JSON (the same as --format json)")
    def disclose(db: str, community: str, quarter: str, fmt: str, lang: str,
                 out: Path | None, as_json: bool) -> None:
        """The quarterly financial disclosure (财务公开); anyone may run it."""
        if as_json:
            if fmt != "html" and fmt != "json":
                raise click.UsageError(f"--json and --format {fmt} contradict each other")
            fmt = "json"
        from community_governance.io import disclosure as io

        with open_db(db) as gov:
            d = gov.funds.disclosure(community, quarter, actor=Actor.public())
        render = {"html": io.render_html, "csv": io.render_csv, "json": io.render_json}[fmt]
        text = render(d, lang)
        if out is None:
            click.echo(text, nl=False)
        else:
            out.write_text(text, encoding="utf-8")
            click.echo(f"wrote {out}", err=True)

    @funds.command()
    @db_option
    @click.option("--community", required=True)
    @json_always
    def chart(db: str, community: str) -> None:
        """The community's chart of accounts (会计科目表)."""
        with open_db(db) as gov:
            accounts = gov.funds.chart(community)
        echo_json([{"code": a.code, "name": a.name, "name_en": a.name_en,
                    "type": a.type.value, "fund": a.fund} for a in accounts])


@report.command()
@db_option
@actor_option
@click.option("--year", type=int, default=None,
              help="the year (default: the latest year with postings)")
@click.option("--community", help="one community (default: all in the actor's scope)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def funding(db: str, actor: Actor, year: int | None, community: str | None,
            as_json: bool) -> None:
    """Funding-channel mix per community: income by channel and the largest channel's share,
    with the established channels only (before the channels were widened) and with all.

    Without --year: the latest year with postings (said on stderr); a year without postings is
    an error (exit 3) naming the years that have some.
    """
    with open_db(db) as gov:
        y = pick_year(gov.funds.years(actor), year, "postings")
        mixes = gov.funds.funding_mix(actor, y, community)
    if as_json:
        echo_json([m.as_dict() for m in mixes])
        return
    from rich.table import Table

    table = Table(title=f"Funding channels 资金渠道 {y}")
    for col, justify in (("community 社区", "left"), ("income 收入", "right"),
                         ("channels 渠道数", "right"), ("largest 最大渠道", "left"),
                         ("share 占比", "right"), ("before 拓宽前", "right"),
                         ("widened 新渠道", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for m in mixes:
        table.add_row(m.community_code, f"{m.total:,.2f}",
                      str(len(m.by_channel)),
                      m.largest_channel.chinese if m.largest_channel else "—",
                      f"{m.largest_share * 100:.1f}%",
                      f"{m.largest_share_before * 100:.1f}%", f"{m.widened:,.2f}")
    console().print(table)
