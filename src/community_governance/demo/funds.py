"""A year of Yima-like community funds (the ``funds`` step of ``cgov demo``), recorded
through the services.

Every community gets 74,000 CNY of office funds (办公经费) from the city in four instalments, a
care fund (困难群众关爱基金) and a culture fund (文化活动基金) from the sub-district, at least
50,000 CNY of aid from its partner units together (共建单位), money and computers and desks,
some paid-service income, a few donations (some donors agree to be named, some do not), budgets
per expense account, and spending spread over the year as requested, approved and paid
disbursements. Every write carries an idempotency key, so seeding twice posts once. A
community's ordinary income transactions are posted in batches (``gov.funds.post_many``) and
its disbursements requested, approved and paid in batches (``request_many``,
``approve_many``, ``pay_many``: one transaction per actor and step, audited once), with the
same checks as one by one.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs

from community_governance.domain.access import Actor
from community_governance.domain.funds import Channel, InKindItem, credit, debit
from community_governance.domain.posts import PostKind
from community_governance.domain.units import UnitKind
from community_governance.services.funds import (
    NewBudget,
    NewDisbursement,
    NewInKind,
    NewTransaction,
    Payment,
)

__all__ = ["FundsSeedSummary", "seed_funds"]

CLERK = Actor.system("funds-demo-clerk")
DIRECTOR = Actor.system("funds-demo-director")
SUBDISTRICT = Actor.system("funds-demo-subdistrict")

_DONORS = [("王秀英", True), ("李建国", False), ("张伟", True), ("刘芳", False)]
_ENTERPRISES = ["义马煤业集团", "河南千秋实业有限公司", "义马市永兴超市"]
_NGOS = ["义马市慈善总会", "义马市义工联合会"]


@attrs.frozen
class FundsSeedSummary:
    """What :func:`seed_funds` recorded.

    Attributes:
        communities: communities seeded.
        transactions: transactions posted (replays not counted twice by the ledger).
        disbursements: disbursements paid.
        income: total income recorded, CNY.
        spending: total spending paid, CNY.
    """

    communities: int
    transactions: int
    disbursements: int
    income: Decimal
    spending: Decimal


class _Books:
    """Collects one community's demo transactions and support in kind, numbered with
    idempotency keys, and posts them in batches (``gov.funds.post_many``: one unit of work,
    audited once)."""

    def __init__(self, funds: Any, community: str, ident: str) -> None:
        self.funds = funds
        self.community = community
        self.ident = ident
        self.serial = 0
        self.posted = 0
        self.income = Decimal("0.00")
        self.pending: list[NewTransaction | NewInKind] = []

    def post(self, lines: list[Any], channel: Channel, day: dt.date, voucher: str, memo: str,
             party: str | None = None, consent: bool = False) -> None:
        self.serial += 1
        self.pending.append(NewTransaction(lines, channel=channel, voucher=voucher, on=day,
                                           memo=memo, counterparty=party,
                                           donor_consent=consent,
                                           key=f"{self.ident}:t{self.serial}"))
        self.posted += 1
        self.income += sum((-p.amount for p in lines if p.account.startswith("4")),
                           Decimal("0.00"))

    def in_kind(self, items: list[InKindItem], donor: str, voucher: str, day: dt.date) -> None:
        """Support in kind (``NewInKind``), posted in its place among the transactions."""
        self.serial += 1
        self.pending.append(NewInKind(items, donor=donor, voucher=voucher, on=day,
                                      key=f"{self.ident}:t{self.serial}"))
        self.posted += 1
        self.income += sum((i.value for i in items), Decimal("0.00"))

    def flush(self) -> None:
        """Post what is pending, in order, in one batch."""
        if self.pending:
            self.funds.post_many(CLERK, self.community, self.pending)
            self.pending = []


def _yuan(rng: random.Random, low: int, high: int, step: int = 10) -> Decimal:
    return Decimal(rng.randrange(low // step, high // step + 1) * step)


def seed_funds(gov: Any, *, year: int = 2019, seed: int,
               progress: Callable[[int, int], None] | None = None,
               county: str | None = None, county_name: str = "义马市") -> FundsSeedSummary:
    """Record a year of Yima-like funds for every community in the store (or one county).

    The amounts the county sets come from its plugin (``funds.annual_allocation``), the
    approvals each disbursement needs from ``cgov_funds_required_approvals``.

    Args:
        gov: the :class:`~community_governance.Governance`.
        year: the year to record.
        seed: the random seed (the same seed records the same year).
        progress: called with ``(communities done, communities in all)``.
        county: only this county's communities (code prefix); ``None`` for every community.
        county_name: the county's name (its finance bureau pays the office funds).

    Returns:
        A summary of what was recorded.
    """
    rng = random.Random(seed)
    funds = gov.funds
    communities = [u.code for u in gov.registry.list_units(UnitKind.COMMUNITY)
                   if u.code.startswith(county or "")]
    bureau = f"{county_name}财政局"
    n_tx = n_paid = 0
    income = spending = Decimal("0.00")
    for done, c in enumerate(communities, start=1):
        ident = f"demo:{year}:{c}"
        books = _Books(funds, c, ident)
        post = books.post
        # --- income ---------------------------------------------------------------------
        # the county's standard amounts (the Yima plugin: 74,000 office funds, care and
        # culture funds); without a county plugin, the study's figures for Yima
        standard = funds.annual_allocation(c, year)
        office = standard.get("4101", Decimal("74000.00"))
        quarter = (office / 4).quantize(Decimal("0.01"))
        for q, month in enumerate((1, 4, 7, 10), start=1):
            amount = quarter if q < 4 else office - 3 * quarter
            post([debit("1002", amount), credit("4101", amount)], Channel.CITY_ALLOCATION,
                 dt.date(year, month, 8), f"BK-{year}-{q:02d}", f"{year}年第{q}季度办公经费",
                 bureau)
        care = standard.get("4102") or _yuan(rng, 15000, 30000, 1000)
        culture = standard.get("4103") or _yuan(rng, 8000, 20000, 1000)
        post([debit("1002", care), credit("4102", care)], Channel.SUBDISTRICT,
             dt.date(year, 2, 20), f"BK-{year}-C1", "困难群众关爱基金拨付", "办事处")
        post([debit("1002", culture), credit("4103", culture)], Channel.SUBDISTRICT,
             dt.date(year, 3, 15), f"BK-{year}-W1", "文化活动基金拨付", "办事处")
        for code, amount in sorted(standard.items()):
            if code not in ("4101", "4102", "4103"):
                post([debit("1002", amount), credit(code, amount)], Channel.CITY_ALLOCATION,
                     dt.date(year, 5, 8), f"BK-{year}-S{code}", "专项经费拨付", bureau)
        # partner units: "各社区受助金额都在5万元以上" — every community received at least
        # 50,000 CNY of aid from its partner units, money and computers and desks together
        partners = gov.registry.partner_units(c)
        aid = _yuan(rng, 50000, 70000, 1000)
        share = (aid / max(len(partners), 1)).quantize(Decimal("1"))
        for i, p in enumerate(partners):
            computers, desks = rng.randint(1, 3), rng.randint(2, 6)
            kind_value = Decimal(computers * 3500 + desks * 600)
            cash = max(share - kind_value, Decimal(1000))
            post([debit("1002", cash), credit("4401", cash)], Channel.PARTNER_UNIT,
                 dt.date(year, 3 + i % 9, 10), f"BK-{year}-P{i + 1}", "共建单位支持经费", p.name)
            books.in_kind([InKindItem("台式电脑", computers, "3500"),
                           InKindItem("办公桌椅", desks, "600")],
                          p.name, f"SW-{year}-{i + 1}", dt.date(year, 3 + i % 9, 12))
        for m in range(1, 13):
            rent = _yuan(rng, 200, 900)
            post([debit("1002", rent), credit("4301", rent)], Channel.PAID_SERVICE,
                 dt.date(year, m, 25), f"SF-{year}-{m:02d}", "活动室有偿使用收入",
                 "活动室使用单位")
        named = rng.choice([d for d in _DONORS if d[1]])
        anonymous = rng.choice([d for d in _DONORS if not d[1]])
        for i, (name, consent) in enumerate((named, anonymous)):
            gift = _yuan(rng, 100, 2000)
            post([debit("1002", gift), credit("4201", gift)], Channel.INDIVIDUAL,
                 dt.date(year, 5 + i * 4, 6), f"JZ-{year}-{i + 1}", "个人捐赠", name, consent)
        ent = _yuan(rng, 2000, 10000, 100)
        post([debit("1002", ent), credit("4201", ent)], Channel.ENTERPRISE,
             dt.date(year, 6, 1), f"JZ-{year}-E", "企业捐赠（六一慰问）", rng.choice(_ENTERPRISES))
        ngo = _yuan(rng, 1000, 5000, 100)
        post([debit("1002", ngo), credit("4201", ngo)], Channel.NGO,
             dt.date(year, 9, 9), f"JZ-{year}-N", "社会组织捐赠（重阳敬老）", rng.choice(_NGOS))

        books.flush()

        # --- budgets --------------------------------------------------------------------
        plan = {"5101": Decimal(60000), "5102": care, "5103": culture,
                "5104": Decimal(30000), "5105": Decimal(20000)}
        funds.set_budgets(CLERK, [NewBudget(c, account, year, amount)
                                  for account, amount in plan.items()])

        # --- spending: disbursements over the year ----------------------------------------
        spent_on: dict[str, Decimal] = dict.fromkeys(plan, Decimal("0.00"))
        items = {
            "5101": ("办公用品公司", "办公用品及耗材", 800, 4800),
            "5102": ("困难家庭救助", "困难群众关爱救助", 500, 2500),
            "5103": ("文化活动承办方", "社区文化活动", 600, 3000),
            "5104": ("物业维修单位", "服务设施维护", 500, 6000),
            "5105": ("其他支出", "会议及杂项", 200, 1500),
        }
        k = 0
        wanted: list[NewDisbursement] = []
        for m in range(1, 13):
            for account, (payee, purpose, low, high) in items.items():
                if rng.random() < 0.35:
                    continue
                amount = _yuan(rng, low, high)
                if spent_on[account] + amount > plan[account] * Decimal("0.9"):
                    continue
                k += 1
                day = dt.date(year, m, rng.randint(10, 28))
                wanted.append(NewDisbursement(account, amount, payee=payee,
                                              purpose=f"{m}月{purpose}", on=day,
                                              key=f"{ident}:d{k}"))
                spent_on[account] += amount
                n_paid += 1
                n_tx += 1
                spending += amount
        if wanted:
            # requested by the clerk, approved by each role it needs, paid by the clerk: one
            # batch (one transaction, audited once) per actor and step
            asked = funds.request_many(CLERK, c, wanted)
            by_role: dict[PostKind, list[int]] = {}
            for d in asked:
                for role in d.missing_roles:
                    by_role.setdefault(role, []).append(d.id)
            for role, ids in by_role.items():
                approver = {PostKind.SUBDISTRICT_STAFF: SUBDISTRICT,
                            PostKind.DIRECTOR: DIRECTOR}.get(
                    role, Actor.system(f"funds-demo-{role.value}"))
                funds.approve_many(approver, ids, as_role=role)
            funds.pay_many(CLERK, [Payment(d.id, voucher=f"ZF-{year}-{i:03d}", on=w.on)
                                   for i, (d, w) in enumerate(zip(asked, wanted, strict=True),
                                                              start=1)])
        n_tx += books.posted
        income += books.income
        if progress is not None:
            progress(done, len(communities))
    return FundsSeedSummary(len(communities), n_tx, n_paid, income, spending)
