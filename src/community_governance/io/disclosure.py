"""The quarterly financial disclosure of a community (社区财务公开): figures and renderings.

:func:`build_disclosure` computes every figure from the posted transactions it is given and
keeps, for each figure, the numbers of the transactions it sums, so anyone can trace a figure
back to its vouchers. :func:`render_html` (a self-contained printable page from a Jinja2
template, autoescaped), :func:`render_csv` and :func:`render_json` present it in Chinese
(``lang="zh"``, the default) or English (``lang="en"``).

Nothing personal is shown: spending names its account, not its payee; an individual donor is
named only with consent; free text is passed through the library's masking of ID and mobile
numbers as a last guard.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import jinja2

from community_governance.domain.funds import (
    Account,
    AccountType,
    Channel,
    InKindItem,
    Transaction,
    TransactionKind,
    format_cny,
    quarter_bounds,
)
from community_governance.errors import ValidationError
from community_governance.masking import mask_text

__all__ = [
    "Disclosure",
    "DisclosureRow",
    "LargeItem",
    "PublicTransaction",
    "as_dict",
    "build_disclosure",
    "render_csv",
    "render_html",
    "render_json",
]

_ZERO = Decimal("0.00")
LANGS = ("zh", "en")


@attrs.frozen
class DisclosureRow:
    """One line of a disclosure table, each amount with the transactions it sums.

    Attributes:
        key: an account code or a channel.
        label_zh: the Chinese label.
        label_en: the English label.
        values: amounts by column (e.g. ``quarter``, ``ytd``).
        sources: for each column, the transaction numbers whose postings make the amount
            (empty for amounts that are not sums, such as a budget).
    """

    key: str
    label_zh: str
    label_en: str
    values: dict[str, Decimal]
    sources: dict[str, tuple[int, ...]] = attrs.field(factory=dict)

    def label(self, lang: str) -> str:
        """The label in ``lang``."""
        return self.label_en if lang == "en" else self.label_zh


@attrs.frozen
class LargeItem:
    """A large transaction listed by itself (大额收支明细).

    Attributes:
        transaction_id: its number.
        date: its date.
        voucher: its voucher reference.
        direction: ``income``, ``expense`` or ``other``.
        channel: where the money came from.
        accounts_zh: the income or expense accounts it touched, in Chinese.
        accounts_en: the same in English.
        counterparty_zh: who paid, as it may be shown in public (Chinese).
        counterparty_en: the same in English.
        amount: its size (sum of debits).
    """

    transaction_id: int
    date: dt.date
    voucher: str
    direction: str
    channel: Channel
    accounts_zh: str
    accounts_en: str
    counterparty_zh: str
    counterparty_en: str
    amount: Decimal


@attrs.frozen
class PublicTransaction:
    """A transaction as the public sees it (凭证公开): no memo, no payee.

    Attributes:
        id: its number.
        date: its date.
        voucher: voucher reference.
        kind: ordinary, reversal, disbursement, in kind, closing.
        channel: channel.
        counterparty_zh: who paid, as it may be shown (Chinese).
        counterparty_en: the same in English.
        lines: ``(account code, debit, credit)``.
        reverses: the transaction it reverses, if any.
    """

    id: int
    date: dt.date
    voucher: str
    kind: TransactionKind
    channel: Channel
    counterparty_zh: str
    counterparty_en: str
    lines: tuple[tuple[str, Decimal, Decimal], ...]
    reverses: int | None = None


@attrs.frozen
class Disclosure:
    """A community's quarterly financial disclosure (财务公开).

    Attributes:
        community_code: the community.
        community_name: its name.
        year: the year.
        quarter: 1..4.
        start: first day of the quarter.
        end: last day of the quarter.
        income: income by channel (columns ``quarter`` and ``ytd``).
        spending: spending by expense account (``quarter``, ``ytd``).
        budgets: budget use per account (``budget``, ``spent``, ``remaining``).
        balances: asset, liability and net-asset accounts (``opening`` = 1 January,
            ``closing`` = end of quarter).
        surplus: income minus expense not yet carried forward, at the end of the quarter.
        large_items: transactions of the quarter at or above ``large_item``.
        in_kind: support in kind received in the quarter: ``(transaction, item, donor zh,
            donor en)``.
        transactions: every transaction of the quarter, as the public sees it.
        large_item: the threshold of large items.
        generated_at: when it was built (UTC).
    """

    community_code: str
    community_name: str
    year: int
    quarter: int
    start: dt.date
    end: dt.date
    income: tuple[DisclosureRow, ...]
    spending: tuple[DisclosureRow, ...]
    budgets: tuple[DisclosureRow, ...]
    balances: tuple[DisclosureRow, ...]
    surplus: DisclosureRow
    large_items: tuple[LargeItem, ...]
    in_kind: tuple[tuple[int, dt.date, InKindItem, str, str], ...]
    transactions: tuple[PublicTransaction, ...]
    large_item: Decimal
    generated_at: dt.datetime

    @property
    def income_total(self) -> dict[str, Decimal]:
        """Total income by column."""
        return _totals(self.income)

    @property
    def spending_total(self) -> dict[str, Decimal]:
        """Total spending by column."""
        return _totals(self.spending)

    @property
    def period(self) -> str:
        """``2019Q2``."""
        return f"{self.year}Q{self.quarter}"


def _totals(rows: Iterable[DisclosureRow]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(lambda: _ZERO)
    for r in rows:
        for k, v in r.values.items():
            out[k] += v
    return dict(out)


def _shown_party(tx: Transaction) -> tuple[str, str]:
    if tx.channel is Channel.INTERNAL or tx.kind is TransactionKind.DISBURSEMENT:
        return "", ""
    if tx.counterparty and tx.counterparty_public:
        name = mask_text(tx.counterparty)
        return name, name
    if tx.channel is Channel.INDIVIDUAL:
        return "个人（匿名）", "Individual (anonymous)"
    if tx.channel.may_be_person and tx.counterparty:
        return "（未公开）", "(not disclosed)"
    return "", ""


def build_disclosure(
    *, community_code: str, community_name: str, year: int, quarter: int,
    chart: Mapping[str, Account], transactions: Sequence[Transaction],
    budgets: Mapping[str, Decimal], in_kind: Sequence[tuple[Transaction, InKindItem]],
    large_item: Decimal, generated_at: dt.datetime,
) -> Disclosure:
    """Compute a quarter's disclosure from the community's transactions up to the year's end.

    Args:
        community_code: the community.
        community_name: its name.
        year: the year.
        quarter: 1..4.
        chart: the chart of accounts by code.
        transactions: the community's transactions dated up to 31 December of ``year`` (later
            ones are ignored).
        budgets: the year's budget per expense account.
        in_kind: support in kind of the year with its transaction.
        large_item: the threshold of large items.
        generated_at: the time of the report.

    Returns:
        The disclosure; every amount lists the transactions it sums.
    """
    start, end = quarter_bounds(year, quarter)
    year_start = dt.date(year, 1, 1)

    def acc(code: str) -> Account | None:
        return chart.get(code)

    def name(code: str, lang: str) -> str:
        a = acc(code)
        return (a.label(lang) if a else code)

    income: dict[Channel, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: _ZERO))
    income_src: dict[Channel, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    spend: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: _ZERO))
    spend_src: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    opening: dict[str, Decimal] = defaultdict(lambda: _ZERO)
    closing: dict[str, Decimal] = defaultdict(lambda: _ZERO)
    bal_src: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    surplus = _ZERO
    surplus_src: set[int] = set()
    for tx in transactions:
        if tx.date > end:
            continue
        in_year = tx.date >= year_start
        in_quarter = tx.date >= start
        for p in tx.postings:
            known = acc(p.account)
            kind = known.type if known else AccountType.ASSET
            if kind.temporary:
                surplus -= p.amount
                surplus_src.add(tx.id)
                if not in_year or tx.kind is TransactionKind.CLOSING:
                    continue
                cols = ("quarter", "ytd") if in_quarter else ("ytd",)
                for col in cols:
                    if kind is AccountType.INCOME:
                        income[tx.channel][col] -= p.amount
                        income_src[tx.channel][col].add(tx.id)
                    else:
                        spend[p.account][col] += p.amount
                        spend_src[p.account][col].add(tx.id)
            else:
                closing[p.account] += p.amount
                bal_src[p.account]["closing"].add(tx.id)
                if not in_year:
                    opening[p.account] += p.amount
                    bal_src[p.account]["opening"].add(tx.id)

    def ids(s: Iterable[int]) -> tuple[int, ...]:
        return tuple(sorted(s))

    cols = ("quarter", "ytd")
    income_rows = tuple(
        DisclosureRow(c.value, c.chinese, c.english,
                      {k: income[c][k] for k in cols},
                      {k: ids(income_src[c][k]) for k in cols})
        for c in Channel if c in income and any(income[c][k] for k in cols))
    spend_rows = tuple(
        DisclosureRow(a, name(a, "zh"), name(a, "en"), {k: spend[a][k] for k in cols},
                      {k: ids(spend_src[a][k]) for k in cols})
        for a in sorted(spend) if any(spend[a][k] for k in cols))
    budget_rows = []
    for a in sorted(budgets):
        used = spend[a]["ytd"] if a in spend else _ZERO
        budget_rows.append(DisclosureRow(
            a, name(a, "zh"), name(a, "en"),
            {"budget": budgets[a], "spent": used, "remaining": budgets[a] - used},
            {"spent": ids(spend_src[a]["ytd"]) if a in spend_src else ()}))
    order = {AccountType.ASSET: 0, AccountType.LIABILITY: 1, AccountType.NET_ASSETS: 2}
    bal_rows = []
    def rank(code: str) -> tuple[int, str]:
        known = acc(code)
        return (order.get(known.type, 0) if known else 0, code)

    for a in sorted(closing, key=rank):
        if closing[a] == 0 and opening[a] == 0:
            continue
        account = acc(a)
        sign = Decimal(1) if account is None or account.type.debit_normal else Decimal(-1)
        bal_rows.append(DisclosureRow(
            a, name(a, "zh"), name(a, "en"),
            {"opening": sign * opening[a], "closing": sign * closing[a]},
            {k: ids(v) for k, v in bal_src[a].items()}))
    surplus_row = DisclosureRow("surplus", "未结转收支结余", "Surplus not yet carried forward",
                                {"closing": surplus}, {"closing": ids(surplus_src)})

    quarter_txs = [tx for tx in transactions if start <= tx.date <= end]
    large = []
    for tx in quarter_txs:
        if tx.kind is TransactionKind.CLOSING or tx.total < large_item:
            continue
        temps = [(p, known) for p in tx.postings
                 if (known := acc(p.account)) is not None and known.type.temporary]
        kinds = {known.type for _, known in temps}
        direction = ("income" if kinds == {AccountType.INCOME} else
                     "expense" if kinds == {AccountType.EXPENSE} else "other")
        zh, en = _shown_party(tx)
        large.append(LargeItem(
            tx.id, tx.date, mask_text(tx.voucher), direction, tx.channel,
            "、".join(dict.fromkeys(known.label("zh") for _, known in temps)),
            ", ".join(dict.fromkeys(known.label("en") for _, known in temps)),
            zh, en, tx.total))
    kind_rows = []
    for tx, item in in_kind:
        if start <= tx.date <= end:
            zh, en = _shown_party(tx)
            kind_rows.append((tx.id, tx.date, attrs.evolve(
                item, description=mask_text(item.description)), zh, en))
    public = []
    for tx in quarter_txs:
        zh, en = _shown_party(tx)
        public.append(PublicTransaction(
            tx.id, tx.date, mask_text(tx.voucher), tx.kind, tx.channel, zh, en,
            tuple((p.account, p.debit, p.credit) for p in tx.postings), tx.reverses))
    return Disclosure(
        community_code=community_code, community_name=community_name, year=year,
        quarter=quarter, start=start, end=end, income=income_rows, spending=spend_rows,
        budgets=tuple(budget_rows), balances=tuple(bal_rows), surplus=surplus_row,
        large_items=tuple(large), in_kind=tuple(kind_rows), transactions=tuple(public),
        large_item=large_item, generated_at=generated_at)


# ------------------------------------------------------------------------------------ labels

_LABELS: dict[str, dict[str, str]] = {
    "title": {"zh": "社区财务公开", "en": "Community financial disclosure"},
    "period": {"zh": "公开期间", "en": "Period"},
    "quarter_of": {"zh": "{year}年第{q}季度", "en": "Q{q} {year}"},
    "income": {"zh": "一、收入（按资金渠道）", "en": "1. Income by funding channel"},
    "spending": {"zh": "二、支出（按科目）", "en": "2. Spending by account"},
    "budgets": {"zh": "三、预算执行", "en": "3. Budget use"},
    "balances": {"zh": "四、资金余额", "en": "4. Balances"},
    "large": {"zh": "五、大额收支明细（{threshold}元及以上）",
              "en": "5. Large items ({threshold} CNY and above)"},
    "in_kind": {"zh": "六、实物捐赠", "en": "6. Support in kind"},
    "transactions": {"zh": "附：本季度记账凭证", "en": "Appendix: transactions of the quarter"},
    "channel": {"zh": "资金渠道", "en": "Channel"},
    "account": {"zh": "科目", "en": "Account"},
    "quarter": {"zh": "本季度", "en": "This quarter"},
    "ytd": {"zh": "本年累计", "en": "Year to date"},
    "budget": {"zh": "年度预算", "en": "Budget"},
    "spent": {"zh": "已支出", "en": "Spent"},
    "remaining": {"zh": "余额", "en": "Remaining"},
    "used": {"zh": "执行率", "en": "Used"},
    "opening": {"zh": "年初数", "en": "1 January"},
    "closing": {"zh": "期末数", "en": "End of quarter"},
    "total": {"zh": "合计", "en": "Total"},
    "date": {"zh": "日期", "en": "Date"},
    "voucher": {"zh": "凭证号", "en": "Voucher"},
    "no": {"zh": "编号", "en": "No."},
    "counterparty": {"zh": "来源/对方", "en": "From"},
    "amount": {"zh": "金额（元）", "en": "Amount (CNY)"},
    "direction": {"zh": "收/支", "en": "In/out"},
    "income_dir": {"zh": "收入", "en": "Income"},
    "expense_dir": {"zh": "支出", "en": "Spending"},
    "other_dir": {"zh": "其他", "en": "Other"},
    "item": {"zh": "物品", "en": "Item"},
    "qty": {"zh": "数量", "en": "Qty"},
    "unit_value": {"zh": "估价（元）", "en": "Unit estimate (CNY)"},
    "value": {"zh": "估值合计（元）", "en": "Estimated value (CNY)"},
    "debit": {"zh": "借方", "en": "Debit"},
    "credit": {"zh": "贷方", "en": "Credit"},
    "kind": {"zh": "类别", "en": "Kind"},
    "none": {"zh": "无", "en": "None"},
    "sources": {"zh": "凭证", "en": "Transactions"},
    "generated": {"zh": "生成时间", "en": "Generated"},
    "trace": {"zh": "每个数字均可由所列凭证编号核对；个人捐赠者经本人同意方公开姓名；"
                    "不含居民个人信息。",
              "en": "Every figure can be checked against the numbered transactions listed; "
                    "individual donors are named only with their consent; no resident's "
                    "personal data is shown."},
    "reverses": {"zh": "冲销", "en": "reverses"},
    "unit": {"zh": "单位：元", "en": "Amounts in CNY"},
}
_KIND = {
    TransactionKind.ORDINARY: ("普通", "ordinary"),
    TransactionKind.REVERSAL: ("冲销", "reversal"),
    TransactionKind.DISBURSEMENT: ("支出审批付款", "disbursement"),
    TransactionKind.IN_KIND: ("实物捐赠", "in kind"),
    TransactionKind.CLOSING: ("年终结转", "year-end close"),
}


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValidationError(f"language {lang!r} is not available: use one of {LANGS}",
                              path="lang")
    return lang


def _labels(lang: str) -> dict[str, str]:
    return {k: v[lang] for k, v in _LABELS.items()}


def _percent(spent: Decimal, budget: Decimal) -> str:
    if budget <= 0:
        return "—"
    return f"{(spent * 100 / budget).quantize(Decimal('0.1'))}%"


def as_dict(d: Disclosure, lang: str = "zh") -> dict[str, Any]:
    """The disclosure as a JSON-ready dict (amounts as strings of yuan to the fen)."""
    lang = _lang(lang)

    def row(r: DisclosureRow) -> dict[str, Any]:
        return {"key": r.key, "label": r.label(lang),
                **{k: str(v) for k, v in r.values.items()},
                "transactions": {k: list(v) for k, v in r.sources.items()}}

    return {
        "community_code": d.community_code, "community_name": d.community_name,
        "period": d.period, "start": d.start.isoformat(), "end": d.end.isoformat(),
        "language": lang, "currency": "CNY",
        "income": [row(r) for r in d.income],
        "income_total": {k: str(v) for k, v in d.income_total.items()},
        "spending": [row(r) for r in d.spending],
        "spending_total": {k: str(v) for k, v in d.spending_total.items()},
        "budgets": [row(r) for r in d.budgets],
        "balances": [row(r) for r in d.balances],
        "surplus": row(d.surplus),
        "large_item_threshold": str(d.large_item),
        "large_items": [{
            "transaction": i.transaction_id, "date": i.date.isoformat(), "voucher": i.voucher,
            "direction": i.direction, "channel": i.channel.value,
            "channel_label": i.channel.label(lang),
            "accounts": i.accounts_en if lang == "en" else i.accounts_zh,
            "counterparty": i.counterparty_en if lang == "en" else i.counterparty_zh,
            "amount": str(i.amount)} for i in d.large_items],
        "in_kind": [{
            "transaction": tid, "date": day.isoformat(), "description": item.description,
            "quantity": item.quantity, "unit_value": str(item.unit_value),
            "value": str(item.value), "donor": en if lang == "en" else zh}
            for tid, day, item, zh, en in d.in_kind],
        "transactions": [{
            "id": x.id, "date": x.date.isoformat(), "voucher": x.voucher, "kind": x.kind.value,
            "channel": x.channel.value,
            "counterparty": x.counterparty_en if lang == "en" else x.counterparty_zh,
            "reverses": x.reverses,
            "lines": [{"account": a, "debit": str(dr), "credit": str(cr)}
                      for a, dr, cr in x.lines]} for x in d.transactions],
        "generated_at": d.generated_at.isoformat(),
    }


def render_json(d: Disclosure, lang: str = "zh") -> str:
    """The disclosure as JSON text."""
    return json.dumps(as_dict(d, lang), ensure_ascii=False, indent=2)


def render_csv(d: Disclosure, lang: str = "zh") -> str:
    """The disclosure as CSV: one row per figure (section, key, label, column, amount and the
    transactions it sums), then the large items, support in kind and the quarter's
    transaction lines with their date, voucher and (public) counterparty."""
    lang = _lang(lang)
    en = lang == "en"
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["section", "key", "label", "column", "amount", "transactions", "date",
                "voucher", "counterparty"])
    for section, rows in (("income", d.income), ("spending", d.spending),
                          ("budgets", d.budgets), ("balances", d.balances),
                          ("surplus", (d.surplus,))):
        for r in rows:
            for col, v in r.values.items():
                w.writerow([section, r.key, r.label(lang), col, str(v),
                            " ".join(str(i) for i in r.sources.get(col, ())), "", "", ""])
    for i in d.large_items:
        w.writerow(["large_items", i.transaction_id, i.accounts_en if en else i.accounts_zh,
                    i.direction, str(i.amount), str(i.transaction_id), i.date.isoformat(),
                    i.voucher, i.counterparty_en if en else i.counterparty_zh])
    for tid, day, item, zh, en_name in d.in_kind:
        w.writerow(["in_kind", tid, item.description, f"x{item.quantity}", str(item.value),
                    str(tid), day.isoformat(), "", en_name if en else zh])
    for x in d.transactions:
        for a, dr, cr in x.lines:
            w.writerow(["transaction_lines", x.id, a, x.kind.value, str(dr - cr), str(x.id),
                        x.date.isoformat(), x.voucher,
                        x.counterparty_en if en else x.counterparty_zh])
    return buf.getvalue()


@functools.cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("community_governance", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True)
    env.filters["cny"] = format_cny
    return env


def render_html(d: Disclosure, lang: str = "zh") -> str:
    """The disclosure as a self-contained, printable HTML page (inline CSS, no scripts)."""
    lang = _lang(lang)
    lab = _labels(lang)
    tpl = _env().get_template("funds/disclosure.html.j2")
    return tpl.render(
        d=d, lang=lang, L=lab,
        period=lab["quarter_of"].format(year=d.year, q=d.quarter),
        large_title=lab["large"].format(threshold=format_cny(d.large_item)),
        income_total=d.income_total, spending_total=d.spending_total,
        percent=_percent,
        kind_label={k: v[0 if lang == "zh" else 1] for k, v in _KIND.items()},
        dir_label={"income": lab["income_dir"], "expense": lab["expense_dir"],
                   "other": lab["other_dir"]},
        generated=d.generated_at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime(
            "%Y-%m-%d %H:%M"),
    )
