"""``seed_funds``: a year of Yima-like funds recorded through the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from community_governance.demo.funds import seed_funds
from community_governance.domain.access import Actor
from community_governance.domain.funds import Channel, TransactionKind
from community_governance.domain.posts import PartnerUnit
from community_governance.testing.city import SmallCity

SYSTEM = Actor.system("funds-test")


def test_seeds_a_yima_year_once(gov: Any, small_city: SmallCity) -> None:
    """Records 74,000 office funds, at least 50,000 of partner-unit aid per community (money
    and goods together: 各社区受助金额都在5万元以上), donations; reseeding posts nothing new."""
    c = small_city.communities
    gov.registry.add_partner_units(SYSTEM, [
        PartnerUnit("PU1", "义马市财政局", "assigned_bureau", (c[0], c[1])),
        PartnerUnit("PU2", "义马市教育局", "civilised_unit", (c[0],))])
    calls: list[tuple[int, int]] = []
    summary = seed_funds(gov, seed=3, progress=lambda d, n: calls.append((d, n)))
    assert calls[-1] == (3, 3) and summary.communities == 3
    for code in c:
        txs = gov.funds.transactions(SYSTEM, code)
        office = sum((-p.amount for t in txs for p in t.postings if p.account == "4101"),
                     Decimal(0))
        assert office == Decimal("74000.00")
        assert gov.funds.trial_balance(SYSTEM, code).total == 0
        for b in gov.funds.budgets(SYSTEM, code, 2019):
            assert b.spent <= b.amount
        partner_cash = [t for t in txs if t.channel is Channel.PARTNER_UNIT
                        and t.kind is TransactionKind.ORDINARY]
        assert len(partner_cash) == len(gov.registry.partner_units(code))
        in_kind = sum((i.value for _, i in gov.funds.in_kind_items(SYSTEM, code)), Decimal(0))
        if partner_cash:
            assert sum((t.total for t in partner_cash), Decimal(0)) + in_kind >= Decimal("50000")
        donors = [t for t in txs if t.channel is Channel.INDIVIDUAL]
        assert {t.counterparty_public for t in donors} == {True, False}
        assert gov.funds.balances(SYSTEM, code)["1002"] > 0
    assert len(gov.funds.in_kind_items(SYSTEM, c[0])) == 4  # computers and desks from each
    mix = {m.community_code: m for m in gov.funds.funding_mix(SYSTEM, 2019)}
    assert len(mix[c[0]].by_channel) >= 6
    # the study's single-source problem: the city's allocation is the largest channel
    assert all(m.largest_channel is Channel.CITY_ALLOCATION for m in mix.values())
    before = len(gov.funds.transactions(SYSTEM, c[0]))
    seed_funds(gov, seed=3)
    assert len(gov.funds.transactions(SYSTEM, c[0])) == before
