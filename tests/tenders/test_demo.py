"""The demo's tenders step: one complete 2019 round for 老年人日间照料 with three bidders (the
orgs step's active organization and two more entered as registered), scoring, award, contract,
both deliverables accepted, both instalments paid through the funds ledger and shown in the
funds disclosure, the performance evaluated, the OCDS export valid and the headline line."""

from __future__ import annotations

import time
from decimal import Decimal

import attrs
import pytest

import community_governance as cg
from community_governance.demo.build import build
from community_governance.demo.config import SANMENXIA, STEPS
from community_governance.demo.headline import headline, tenders_headline
from community_governance.domain.access import Actor
from community_governance.io import ocds

WHO = Actor.system("test")


def test_tenders_comes_after_orgs() -> None:
    assert STEPS.index("tenders") == STEPS.index("orgs") + 1


def test_the_tenders_step() -> None:
    yima = pytest.importorskip("cgov_yima.plugin")
    hubin = pytest.importorskip("cgov_hubin.plugin")
    config = attrs.evolve(SANMENXIA, steps=("orgs", "tenders"))
    with cg.open("memory://", plugins=[yima, hubin], entrypoints=False) as gov:
        began = time.perf_counter()
        report, _ = build(gov, config, seed=5, scale=0.04)
        assert not report.failed, report.failed
        assert report.seconds["义马市 tenders"] < 5, report.seconds
        ts = gov.tenders.tenders(WHO, within="411281")
        assert 1 == len(ts) and "2019年老年人日间照料服务采购" == ts[0].title
        lot = ts[0].lots[0]
        assert "contracted" == lot.status.value
        bids = gov.tenders.bids(WHO, lot.id)
        assert 3 == len(bids) and all(b.valid for b in bids)
        elig = [gov.orgs.bid_eligibility(WHO, b.org_id) for b in bids]
        assert {"active"} == {e.stage.value for e in elig}
        assert 2 == sum("-TB" in b.org_id for b in bids)  # two entered by this step
        (contract,) = gov.tenders.contracts(WHO, within="411281")
        assert {"q2_report", "year_report"} == set(contract.accepted)
        pays = gov.tenders.payments(WHO, contract.id)
        assert ["paid", "paid"] == [p.state for p in pays]
        assert contract.amount == sum((p.amount for p in pays), Decimal(0))
        community = contract.project_id.split("-")[1]
        disc = gov.funds.disclosure(community, "2019Q4")
        assert any("5107" == row.key and row.values.get("ytd") == contract.amount
                   for row in disc.spending)
        assert 90 == gov.tenders.performance(WHO, org_id=contract.org_id)[0].score
        data = gov.tenders.ocds_data(within="411281", year=2019)
        rels = ocds.releases(data[0])
        assert 5 == len(rels) and all(ocds.validate_release(r) == [] for r in rels)
        line = tenders_headline(gov, year=2019)
        assert 1 == len(line) and "3 bids" in line[0] and "paid 78,000.00" in line[0]
        assert line[0] in headline(gov, year=2019)
        # 湖滨区 lets no ungraded organization bid: no round there, and no error
        assert [] == gov.tenders.tenders(WHO, within="411202")
        assert time.perf_counter() - began < 120
