"""The demo's party step: all four levels of the tree, 党员中心户, the evaluation, the councils
and the postings, with the headline line; fast enough for the demo."""

from __future__ import annotations

import time
from typing import Any

import attrs
import pytest

import community_governance as cg
from community_governance.demo.build import build
from community_governance.demo.config import YIMA
from community_governance.demo.headline import headline, party_headline
from community_governance.domain.posts import PartyOrgKind


def test_the_party_step_builds_every_record(tmp_path: Any) -> None:
    """Runs grids then party on a small Yima; every level exists, and every branch's members
    are residents of its grid; the headline reports it."""
    yima = pytest.importorskip("cgov_yima.plugin")
    config = attrs.evolve(YIMA, steps=("grids", "party"))
    with cg.open("memory://", plugins=[yima], entrypoints=False) as gov:
        began = time.perf_counter()
        report, _ = build(gov, config, seed=5, scale=0.03)
        assert not report.failed, report.failed
        assert report.ran == ("grids", "party")
        assert report.seconds["party"] < 120, report.seconds
        kinds = {o.kind for o in gov.registry.party_orgs()}
        assert {PartyOrgKind.GENERAL_COMMITTEE, PartyOrgKind.GRID_BRANCH,
                PartyOrgKind.BUILDING_GROUP, PartyOrgKind.PARTNER_ORG} <= kinds
        line = party_headline(gov, year=2019)
        assert line is not None and "社区大党委" in line and "协商议事会" in line
        assert line in headline(gov, year=2019)
        c = gov.registry.party_orgs(kind="general_committee")[0].unit_code
        assert gov.council.meetings(c) and gov.affairs.board(c)
        round_ = gov.party.evaluation(f"EV-{c}-2019")
        assert round_.status.value == "closed"
        system = cg.Actor.system("test")
        talks = gov.party.symposia(system, c)
        assert talks and talks[0].actions
        assert "centre_household" in {r for _, r in talks[0].attendees}
        referred = [d for o in gov.registry.party_orgs(kind="general_committee")
                    for d in gov.council.decisions(o.unit_code)
                    if any(x.kind.value == "case"
                           for x in gov.council.progress(system, d.id).links)]
        assert referred and all(d.completed_on is not None for d in referred)
        rows = gov.party.festival_visit_report(system, "mid_autumn", 2019, under=c)
        assert rows[0]["visited"] == rows[0]["outstanding"] > 0
        assert "座谈会" in line and "节日走访" in line and "referred to cases" in line
        assert time.perf_counter() - began < 600
