"""The demo's market step: the 三供一业 handover of the study's 31 compounds and 20,000+
households, property companies with their party organizations, 三无小区, owners' committees,
paid-service income and agreements; in Yima and beside it in 湖滨区."""

from __future__ import annotations

import time
from typing import Any

import attrs
import pytest

import community_governance as cg
from community_governance.demo.build import build
from community_governance.demo.config import SANMENXIA
from community_governance.demo.headline import headline, market_headline
from community_governance.demo.market import handover_compounds
from community_governance.domain.market import CompoundManagement, HandoverStatus
from community_governance.domain.posts import PartyOrgKind
from community_governance.simulation.city import YIMA_PLAN, generate_city


def test_the_full_city_hands_over_31_compounds() -> None:
    """At full scale the demo's handover takes exactly 31 coal-group compounds holding
    20,000 households or more (the study's figures)."""
    city = generate_city(YIMA_PLAN, 2019)
    got = handover_compounds(city)
    coal = {c.code for c in city.communities if c.name in {
        n for _s, n, _g, flag in YIMA_PLAN.communities if flag}}
    assert 31 == len(got)
    assert 20_000 <= sum(n for _q, n in got) < 21_000
    assert all(q[:12] in coal for q, _n in got)


def test_the_market_step(tmp_path: Any) -> None:
    """Runs the market step on a small Yima and 湖滨区: handover records of four supplies from
    the coal group before June 2017 in Yima only; managed and unmanaged compounds in both;
    property companies' party organizations under general committees; paid-service income
    through the funds ledger; the headline reports it."""
    yima = pytest.importorskip("cgov_yima.plugin")
    hubin = pytest.importorskip("cgov_hubin.plugin")
    config = attrs.evolve(SANMENXIA, steps=("market",))
    with cg.open("memory://", plugins=[yima, hubin], entrypoints=False) as gov:
        began = time.perf_counter()
        report, _ = build(gov, config, seed=5, scale=0.04)
        assert not report.failed, report.failed
        assert report.seconds["义马市 market"] < 60, report.seconds
        recs = gov.market.handovers("411281")
        assert recs and not gov.market.handovers("411202")
        assert {"water", "power", "gas", "property"} == {r.utility.value for r in recs}
        assert all(r.from_party == "义马煤业集团" and r.status is HandoverStatus.COMPLETED
                   and str(r.handed_over_on) < "2017-06-01" for r in recs)
        for county in ("411281", "411202"):
            kinds = {c.status for c in gov.market.compound_management(county)}
            assert {CompoundManagement.MANAGED, CompoundManagement.UNMANAGED} <= kinds
            assert gov.market.service_income(county, year=2019)
            assert market_headline(gov, year=2019, county=county)
        po = gov.registry.party_orgs(kind=PartyOrgKind.PROPERTY_ORG)
        assert po and all(o.parent_id for o in po)
        lines = headline(gov, year=2019)
        assert any(line.startswith("handover 三供一业") for line in lines)
        assert any("三无小区" in line for line in lines)
        assert time.perf_counter() - began < 600
