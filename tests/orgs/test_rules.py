"""The rules as data: the lifecycle table, the grade scheme, scoring; and hooks that answer
nonsense (a PluginError naming the plugin, nothing written), caught by the test kit too."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import community_governance
from community_governance import hookimpl
from community_governance.domain.orgs import (
    DEFAULT_GRADE_SCHEME,
    DEFAULT_INDICATORS,
    TRANSITIONS,
    WAY_FORWARD,
    EvidenceSource,
    Grade,
    GradeScheme,
    Indicator,
    OrgEvent,
    OrgStage,
    add_years,
    check_indicators,
    check_upgrade,
    next_stage,
    score_evaluation,
)
from community_governance.errors import InvalidTransition, PluginError, ValidationError
from community_governance.testing.city import build_small_city
from community_governance.testing.conformance import check_plugin
from tests.orgs.conftest import SYSTEM
from tests.orgs.helpers import counts

STAGES = st.none() | st.sampled_from(list(OrgStage))


class TestTheLifecycleTable:
    @given(STAGES, st.sampled_from(list(OrgEvent)))
    def test_next_stage_is_the_table_or_a_refusal(self, stage: OrgStage | None,
                                                  event: OrgEvent) -> None:
        """Every (stage, event) either moves as the table says or is refused naming what is
        allowed."""
        if (stage, event) in TRANSITIONS:
            assert TRANSITIONS[(stage, event)] == next_stage(stage, event)
        else:
            with pytest.raises(InvalidTransition, match="allowed from here"):
                next_stage(stage, event)

    def test_every_stage_is_reachable_and_has_a_way_forward(self) -> None:
        """From nothing, every stage can be reached; each names the way forward; only
        deregistration is final."""
        seen: set[OrgStage | None] = {None}
        frontier: list[OrgStage | None] = [None]
        while frontier:
            here = frontier.pop()
            for (s, _e), to in TRANSITIONS.items():
                if s == here and to not in seen:
                    seen.add(to)
                    frontier.append(to)
        assert set(OrgStage) <= seen
        assert set(OrgStage) == set(WAY_FORWARD)
        finals = {s for s in OrgStage if not any(k[0] == s for k in TRANSITIONS)}
        assert {OrgStage.DEREGISTERED} == finals


class TestTheGradeScheme:
    @given(st.integers(0, 1000))
    def test_a_score_earns_the_highest_grade_whose_threshold_it_reaches(self,
                                                                        score: int) -> None:
        """grade_for agrees with the thresholds read one by one."""
        got = DEFAULT_GRADE_SCHEME.grade_for(Decimal(score))
        want = next((g for g, least in DEFAULT_GRADE_SCHEME.thresholds if score >= least), None)
        assert want == got

    def test_thresholds_must_fall_and_name_every_grade(self) -> None:
        """Rising thresholds, a missing grade or a score above the scale are refused."""
        with pytest.raises(ValidationError, match="fall strictly"):
            GradeScheme({"5A": 800, "4A": 900, "3A": 700, "2A": 600, "1A": 500})
        with pytest.raises(ValidationError, match="5A, 4A, 3A, 2A, 1A"):
            GradeScheme({"5A": 900, "4A": 800})
        with pytest.raises(ValidationError, match=r"within 1\.\.1000"):
            GradeScheme({"5A": 1100, "4A": 800, "3A": 700, "2A": 600, "1A": 500})

    def test_the_upgrade_wait(self) -> None:
        """While the grade is valid, no new evaluation before two years; after it expires,
        any time."""
        last = dt.date(2019, 6, 1)
        until = add_years(last, 5) - dt.timedelta(days=1)
        with pytest.raises(ValidationError, match="2021-06-01"):
            check_upgrade(last, until, dt.date(2021, 5, 31), DEFAULT_GRADE_SCHEME)
        check_upgrade(last, until, dt.date(2021, 6, 1), DEFAULT_GRADE_SCHEME)
        check_upgrade(last, until, dt.date(2024, 6, 1), DEFAULT_GRADE_SCHEME)
        assert dt.date(2023, 2, 28) == add_years(dt.date(2020, 2, 29), 3)


class TestScoring:
    def test_record_indicators_cap_at_their_weight(self) -> None:
        """Evidence above the target earns the weight, no more; assessed scores are kept."""
        assessed = {i.code: 0 for i in DEFAULT_INDICATORS if not i.source.from_records}
        total, lines = score_evaluation(DEFAULT_INDICATORS, {"activities": Decimal(48)},
                                        assessed)
        assert Decimal(150) == {ln.code: ln.score for ln in lines}["activities"] == total

    def test_missing_or_out_of_range_assessed_scores_are_refused(self) -> None:
        """A missing, negative, too-high or float score is refused naming the indicator."""
        full = {i.code: i.weight for i in DEFAULT_INDICATORS if not i.source.from_records}
        for bad, match in (({k: v for k, v in full.items() if k != "basics"}, "basics"),
                           ({**full, "basics": -1}, "0 to 100"),
                           ({**full, "basics": 101}, "0 to 100"),
                           ({**full, "basics": 50.5}, "basics"),
                           ({**full, "nope": 1}, "nope")):
            with pytest.raises(ValidationError, match=match):
                score_evaluation(DEFAULT_INDICATORS, {}, bad)

    def test_weights_must_add_up_to_the_scale(self) -> None:
        """Indicators adding up to 900 on a 1,000-point scale are refused."""
        short = [Indicator("a", "甲", 900, EvidenceSource.ASSESSED)]
        with pytest.raises(ValidationError, match="add up to 900"):
            check_indicators(short, 1000)
        with pytest.raises(ValidationError, match="positive target"):
            Indicator("b", "乙", 100, "activities")


class Nonsense:
    """A county plugin for 湖滨区 whose social-organization rules are nonsense."""

    @hookimpl
    def cgov_plugin_scope(self) -> list[str]:
        return ["411202"]

    @hookimpl
    def cgov_orgs_evaluation_indicators(self, community_code: str, kind: str) -> Any:
        if community_code.startswith("411202"):
            return [Indicator("governance", "内部治理", 500, EvidenceSource.ASSESSED)]
        return None

    @hookimpl
    def cgov_orgs_admission_requirements(self, community_code: str, kind: str) -> Any:
        return ["章程"] if community_code.startswith("411202") else None

    @hookimpl
    def cgov_orgs_bid_tier(self, community_code: str, grade: str | None) -> Any:
        return 9 if community_code.startswith("411202") else None


def test_a_plugin_answering_nonsense_is_named_and_nothing_is_written() -> None:
    """Indicators adding to 500 and admission rules that are a list of strings raise a
    PluginError naming the plugin; nothing is written."""
    import pendulum

    plugin = Nonsense()
    when = pendulum.datetime(2019, 3, 1, 9, tz="Asia/Shanghai")
    with community_governance.open("memory://", [plugin], entrypoints=False,
                                   clock=lambda: when) as gov:
        city = build_small_city(gov, "411202")
        c = city.communities[0]
        o = gov.orgs
        o.register(SYSTEM, name="孵化中心", kind="incubator", community_code=c, org_id="INC")
        o.propose(SYSTEM, name="甲", kind="service", community_code=c, org_id="N1",
                  members=20)
        o.incubate(SYSTEM, "N1", "INC")
        before = counts(gov)
        with pytest.raises(PluginError, match="Nonsense") as err:
            o.submit_document(SYSTEM, "N1", "application")
        assert "cgov_orgs_admission_requirements" in str(err.value)
        with pytest.raises(PluginError, match=r"Nonsense.*add up to 500"):
            o.evaluate(SYSTEM, "INC", round="2019", evaluators=["甲"], scores={"governance": 1})
        with pytest.raises(PluginError, match="Nonsense"):
            o.bid_eligibility(SYSTEM, "INC")
        assert before == counts(gov)


def test_the_kit_catches_the_nonsense() -> None:
    """check_plugin reports the three hooks for 411202."""
    problems = check_plugin(Nonsense())
    assert 3 == len(problems), problems
    assert {p.split(":")[0] for p in problems} == {
        "cgov_orgs_evaluation_indicators", "cgov_orgs_admission_requirements",
        "cgov_orgs_bid_tier"}


def test_the_hubin_plugin_replaces_admission_and_indicators() -> None:
    """湖滨区 asks six documents, 15 members and a full-time staff member, weighs the records
    more and sets 5A at 950; Yima keeps the national rules."""
    from cgov_hubin import plugin

    with community_governance.open("memory://", [plugin], entrypoints=False) as gov:
        o = gov.orgs
        hubin, yima = "411202001001", "411281001001"
        assert (6, 15, 1) == (len(o.admission(hubin, "service").documents),
                              o.admission(hubin, "service").min_members,
                              o.admission(hubin, "service").min_full_time_staff)
        assert (4, 10, 0) == (len(o.admission(yima, "service").documents),
                              o.admission(yima, "service").min_members,
                              o.admission(yima, "service").min_full_time_staff)
        weights = {i.code: i.weight for i in o.indicators(hubin, "service")}
        assert (200, 200) == (weights["activities"], weights["volunteer_hours"])
        assert Grade.A4 == o.grade_scheme(hubin).grade_for(Decimal(949))
        assert Grade.A5 == o.grade_scheme(yima).grade_for(Decimal(949))
        assert (0, 2) == (o.bid_tier(hubin, None), o.bid_tier(yima, None))


class TestRoundTrips:
    @given(st.sampled_from(list(OrgStage)), st.none() | st.sampled_from(list(Grade)),
           st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31)),
           st.integers(0, 10_000).map(lambda n: Decimal(n) / 10))
    def test_organizations_and_evaluations_round_trip_through_json(
            self, stage: OrgStage, grade: Grade | None, day: dt.date, score: Decimal) -> None:
        """The library's converter structures back the organization, the evaluation with its
        lines and the scheme it unstructured, through JSON text."""
        import json

        from community_governance.domain.orgs import (
            Evaluation,
            IndicatorScore,
            OrgKind,
            SocialOrganization,
        )
        from community_governance.serialization import make_converter

        conv = make_converter()

        def again(obj: object) -> object:
            return conv.structure(json.loads(json.dumps(conv.unstructure(obj))), type(obj))

        org = SocialOrganization("O1", "助老服务社", OrgKind.SERVICE, "411281001001", "411281001",
                                 stage, "INC", None, False, 12, None, day, day, grade, score,
                                 day, day, 3)
        ev = Evaluation(1, "O1", "2019", day, day, day, ("甲",), score, grade, day, (
            IndicatorScore("activities", "开展活动", 150, EvidenceSource.ACTIVITIES,
                           Decimal(3), Decimal("18.8")),
            IndicatorScore("basics", "基础条件", 100, EvidenceSource.ASSESSED, None, score / 100)))
        assert org == again(org)
        assert ev == again(ev)
        assert DEFAULT_GRADE_SCHEME == again(DEFAULT_GRADE_SCHEME)
