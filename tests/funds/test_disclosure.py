"""The quarterly disclosure (财务公开): public, traceable, free of personal data."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from community_governance.demo.funds import seed_funds
from community_governance.domain.access import Actor
from community_governance.domain.funds import InKindItem, credit, debit
from community_governance.domain.posts import PartnerUnit
from community_governance.errors import ValidationError
from community_governance.io.disclosure import render_csv, render_html, render_json
from community_governance.testing.city import SmallCity

SYSTEM = Actor.system("funds-test")


@pytest.fixture
def seeded(gov: Any, small_city: SmallCity) -> SmallCity:
    """The small city with partner units and a seeded year of funds."""
    c = small_city.communities
    gov.registry.add_partner_units(SYSTEM, [
        PartnerUnit("PU1", "义马市财政局", "assigned_bureau", (c[0], c[1])),
        PartnerUnit("PU2", "义马市教育局", "civilised_unit", (c[0], c[2]))])
    seed_funds(gov, seed=7)
    return small_city


def _independent(gov: Any, community: str, start: dt.date, end: dt.date
                 ) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Income by channel and spending by account, straight from the tables in SQL."""
    sql = sa.text(
        "SELECT t.channel, p.account, SUM(p.amount_fen) FROM funds_postings p "
        "JOIN funds_transactions t ON t.id = p.transaction_id "
        "WHERE p.community_code = :c AND p.date BETWEEN :s AND :e AND t.kind <> 'closing' "
        "GROUP BY t.channel, p.account")
    income: dict[str, Decimal] = defaultdict(Decimal)
    spend: dict[str, Decimal] = defaultdict(Decimal)
    with gov.store.unit_of_work(write=False) as uow:
        for channel, account, fen in uow.conn.execute(sql, {"c": community, "s": start,
                                                            "e": end}):
            if account.startswith("4"):
                income[channel] -= Decimal(fen) / 100
            elif account.startswith("5"):
                spend[account] += Decimal(fen) / 100
    return ({k: v for k, v in income.items() if v}, {k: v for k, v in spend.items() if v})


def test_public_reads_the_disclosure_and_its_figures_recompute(gov: Any,
                                                               seeded: SmallCity) -> None:
    """Lets the public read it; income and spending equal an independent SQL sum."""
    c = seeded.communities[0]
    for q in (1, 2, 3, 4):
        d = gov.funds.disclosure(c, f"2019Q{q}", actor=Actor.public())
        data = json.loads(render_json(d))
        income, spend = _independent(gov, c, d.start, d.end)
        assert {r["key"]: Decimal(r["quarter"]) for r in data["income"]
                if Decimal(r["quarter"])} == income
        assert {r["key"]: Decimal(r["quarter"]) for r in data["spending"]
                if Decimal(r["quarter"])} == spend
        ytd_income, ytd_spend = _independent(gov, c, dt.date(2019, 1, 1), d.end)
        assert {r["key"]: Decimal(r["ytd"]) for r in data["income"]} == ytd_income
        assert sum(Decimal(r["spent"]) for r in data["budgets"]) == sum(ytd_spend.values())


def test_every_figure_traces_to_its_transactions(gov: Any, seeded: SmallCity) -> None:
    """Sums the listed transactions' postings back to each income and spending figure."""
    c = seeded.communities[0]
    d = gov.funds.disclosure(c, "2019Q3")
    txs = {t.id: t for t in gov.funds.transactions(SYSTEM, c)}
    for r in d.income:
        got = sum((-p.amount for i in r.sources["ytd"] for p in txs[i].postings
                   if p.account.startswith("4")), Decimal("0.00"))
        assert got == r.values["ytd"]
    for r in d.spending:
        got = sum((p.amount for i in r.sources["quarter"] for p in txs[i].postings
                   if p.account == r.key), Decimal("0.00"))
        assert got == r.values["quarter"]
    closing = {r.key: r.values["closing"] for r in d.balances}
    bank = gov.funds.balances(SYSTEM, c, as_of=d.end)["1002"]
    assert closing["1002"] == bank
    assets = sum(v for k, v in closing.items() if k.startswith("1"))
    others = sum(v for k, v in closing.items() if not k.startswith("1"))
    assert assets == others + d.surplus.values["closing"]


def test_donors_named_only_with_consent_and_no_personal_data(gov: Any, funded: str,
                                                             small_city: SmallCity) -> None:
    """Names consenting donors, hides other donors, service users and payees, and shows no
    resident's ID or phone number."""
    fx = gov.funds
    day = dt.date(2019, 4, 9)
    fx.post(SYSTEM, funded, [debit("1002", "300"), credit("4201", "300")], channel="individual",
            voucher="JZ-1", on=day, counterparty="王秀英", donor_consent=True)
    fx.post(SYSTEM, funded, [debit("1002", "6000"), credit("4201", "6000")],
            channel="individual", voucher="JZ-2", on=day, counterparty="李建国")
    fx.post(SYSTEM, funded, [debit("1002", "50"), credit("4301", "50")],
            channel="paid_service", voucher="SF-1", on=day, counterparty="居民2")
    d = fx.request(small_city.staff[funded], funded, "5102", "400", payee="居民1家庭",
                   purpose="关爱救助 居民1", on=day)
    fx.approve(small_city.director[funded], d.id)
    fx.pay(SYSTEM, d.id, voucher="ZF-1", on=day)
    disc = fx.disclosure(funded, "2019Q2")
    for text in (render_html(disc), render_html(disc, "en"), render_csv(disc),
                 render_json(disc), render_json(disc, "en")):
        assert "王秀英" in text
        assert "李建国" not in text
        assert "居民1" not in text and "居民2" not in text
        for number in small_city.id_numbers.values():
            assert number not in text
        assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)
    assert "个人（匿名）" in render_html(disc)
    assert "Individual (anonymous)" in render_html(disc, "en")
    [large] = disc.large_items
    assert large.amount == Decimal("6000.00") and large.counterparty_zh == "个人（匿名）"


def test_html_is_escaped_self_contained_and_printable(gov: Any, funded: str) -> None:
    """Escapes names, loads nothing from elsewhere and styles the printed page."""
    gov.funds.post(SYSTEM, funded, [debit("1002", "10"), credit("4201", "10")],
                   channel="enterprise", voucher="E<1>", on=dt.date(2019, 5, 1),
                   counterparty="<script>alert(1)</script>公司")
    gov.funds.record_in_kind(SYSTEM, funded, [InKindItem("台式电脑", 2, "3500")],
                             donor="义马市财政局", voucher="SW", on=dt.date(2019, 5, 2))
    html = render_html(gov.funds.disclosure(funded, (2019, 2)))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "@media print" in html
    assert not re.search(r"<(link|script|img)\b", html)
    assert "台式电脑" in html and "7,000.00" in html
    assert html.startswith("<!DOCTYPE html>")


def test_csv_and_json_carry_amounts_as_exact_strings(gov: Any, seeded: SmallCity) -> None:
    """Writes amounts as exact strings (no float anywhere) in CSV and JSON."""
    d = gov.funds.disclosure(seeded.communities[1], "2019Q4")
    rows = list(csv.DictReader(io.StringIO(render_csv(d))))
    assert rows and all(re.fullmatch(r"-?\d+\.\d\d", r["amount"]) for r in rows
                        )

    def walk(x: Any) -> None:
        assert not isinstance(x, float)
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(json.loads(render_json(d), parse_float=lambda s: float(s)))


def test_refuses_unknown_language_and_quarter(gov: Any, funded: str) -> None:
    """Refuses languages other than zh and en, and malformed quarters."""
    d = gov.funds.disclosure(funded, "2019Q1")
    with pytest.raises(ValidationError):
        render_html(d, "fr")
    with pytest.raises(ValidationError):
        gov.funds.disclosure(funded, "2019-2")
