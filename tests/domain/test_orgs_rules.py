"""Social-organization rules: codes, the lifecycle table's refusals, requirements, indicators,
grade schemes, scoring, the upgrade wait and the records' dates (issue #13 item 11: exact
messages and boundaries)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from community_governance.domain.orgs import (
    BID_STAGES,
    CLOSED_STAGES,
    DEFAULT_ADMISSION,
    DEFAULT_CHECKLIST,
    DEFAULT_GRADE_SCHEME,
    DEFAULT_INDICATORS,
    DEFAULT_MILESTONES,
    TRANSITIONS,
    AdmissionRequirements,
    EvidenceSource,
    Finding,
    Grade,
    GradeScheme,
    Indicator,
    OrgEvent,
    OrgKind,
    OrgStaff,
    OrgStage,
    Requirement,
    SocialOrganization,
    add_years,
    allowed_events,
    check_indicators,
    check_upgrade,
    missing,
    next_stage,
    score_evaluation,
)
from community_governance.errors import InvalidTransition, ValidationError
from tests.domain._exact import refused

D = dt.date
THRESHOLDS = {"5A": 900, "4A": 800, "3A": 700, "2A": 600, "1A": 500}


def test_chinese_names() -> None:
    assert [k.chinese for k in OrgKind] == ["社区服务类", "公益慈善类", "文体活动类", "邻里互助类",
                                            "社会工作服务机构", "孵化机构"]
    assert [s.chinese for s in OrgStage] == ["拟成立", "孵化中", "准入资格审查中", "已准入",
                                             "已完成标准化建设", "运营中", "督促整改中",
                                             "暂停活动", "已注销"]
    assert OrgEvent.RETURN.chinese == "退回孵化" and OrgEvent.DEREGISTER.chinese == "注销"
    assert len({e.chinese for e in OrgEvent}) == len(OrgEvent)
    assert [g.rank for g in Grade] == [5, 4, 3, 2, 1]
    assert Grade.A3.chinese == "3A级"
    assert BID_STAGES == {OrgStage.ACTIVE} and CLOSED_STAGES == {OrgStage.DEREGISTERED}


def test_lifecycle_moves_and_refusals() -> None:
    assert next_stage(None, "propose") is OrgStage.PROPOSED
    assert next_stage(None, OrgEvent.REGISTER) is OrgStage.ACTIVE
    assert next_stage(OrgStage.SUSPENDED, OrgEvent.DEREGISTER) is OrgStage.DEREGISTERED
    assert allowed_events(None) == [OrgEvent.PROPOSE, OrgEvent.REGISTER]
    assert allowed_events(OrgStage.DEREGISTERED) == []
    assert allowed_events(OrgStage.UNDER_REVIEW) == [OrgEvent.RETURN, OrgEvent.ADMIT,
                                                     OrgEvent.DEREGISTER]
    refused(InvalidTransition, "admit (准入) is not allowed for an organization (none); allowed "
            "from here: propose, register", next_stage, None, OrgEvent.ADMIT)
    refused(InvalidTransition, "admit (准入) is not allowed for an organization 孵化中 "
            "(incubating); allowed from here: submit_review, deregister; to move on: record "
            "every incubation milestone, then submit it for admission review",
            next_stage, OrgStage.INCUBATING, OrgEvent.ADMIT)
    refused(InvalidTransition, "reinstate (恢复活动) is not allowed for an organization 已注销 "
            "(deregistered); allowed from here: none; to move on: none: a deregistered "
            "organization is proposed anew", next_stage, OrgStage.DEREGISTERED,
            OrgEvent.REINSTATE)
    with pytest.raises(ValueError):
        next_stage(None, "hatch")  # type: ignore[arg-type]
    assert len(TRANSITIONS) == 19 + len(OrgStage) - 1


def test_requirements() -> None:
    assert Requirement("a", "甲").name_en == ""
    Requirement("a" + "b" * 39, "甲")
    for bad in ("", "A", "1a", "a-b", "a" + "b" * 40, "a b"):
        refused(ValidationError, f"requirement code {bad!r} must be lower-case letters, digits "
                "and _ (at most 40), starting with a letter, e.g. 'charter' @ code",
                Requirement, bad, "甲")
    refused(ValidationError, "requirement code 5 must be lower-case letters, digits and _ (at "
            "most 40), starting with a letter, e.g. 'charter' @ code", Requirement, 5, "甲")
    refused(ValidationError, "requirement a needs a name @ name", Requirement, "a", " ")
    refused(ValidationError, "requirement a needs a name @ name", Requirement, "a", None)
    assert [r.code for r in missing(DEFAULT_MILESTONES, ["staff", "charter", "other"])] == [
        "governance", "finances"]
    assert missing([], ["x"]) == []


def test_admission_requirements() -> None:
    docs = [Requirement("a", "甲"), Requirement("b", "乙")]
    req = AdmissionRequirements(iter(docs), 10_000, 0)
    assert req.documents == tuple(docs)
    assert AdmissionRequirements(()).min_members == 0
    refused(ValidationError, "documents must be Requirement values @ documents",
            AdmissionRequirements, ["a"])
    refused(ValidationError, "the admission documents lists ['a'] twice; give each code once "
            "@ code", AdmissionRequirements, [docs[0], docs[1], Requirement("a", "丙")])
    for field, kw in (("min_members", {"min_members": 10_001}),
                      ("min_members", {"min_members": -1}),
                      ("min_members", {"min_members": True}),
                      ("min_full_time_staff", {"min_full_time_staff": 1.0}),
                      ("min_full_time_staff", {"min_full_time_staff": 10_001})):
        value = next(iter(kw.values()))
        refused(ValidationError, f"{field} must be a whole number 0-10000, got {value!r} "
                f"@ {field}", AdmissionRequirements, docs, **kw)
    assert [d.code for d in DEFAULT_ADMISSION.documents] == [
        "application", "charter", "leader_resume", "venue_proof"]
    assert (DEFAULT_ADMISSION.min_members, DEFAULT_ADMISSION.min_full_time_staff) == (10, 0)
    assert [r.code for r in DEFAULT_CHECKLIST] == ["formal_structure", "standard_process",
                                                   "scientific_management"]


def test_indicators() -> None:
    assert [s.from_records for s in EvidenceSource] == [False, True, True, True, True, True]
    assert Indicator("a", "甲", 1, "assessed").target == Decimal(0)
    assert Indicator("a", "甲", 1, "cases", "0.5").target == Decimal("0.5")
    for w in (0, -1, True, 1.5):
        refused(ValidationError, f"indicator a: weight must be a positive whole number, got "
                f"{w!r} @ weight", Indicator, "a", "甲", w, "assessed")
    for target in (0, -1):
        refused(ValidationError, "indicator a drawn from cases needs a positive target (the "
                "evidence for full marks) @ target", Indicator, "a", "甲", 1, "cases", target)
    refused(ValidationError, "indicator code 'A' must be lower-case letters, digits and _ (at "
            "most 40), starting with a letter, e.g. 'charter' @ code", Indicator, "A", "甲", 1,
            "assessed")
    one = Indicator("a", "甲", 600, "assessed")
    two = Indicator("b", "乙", 400, "funds", 10)
    assert check_indicators((one, two), 1000) == [one, two]
    refused(ValidationError, "expected a non-empty list of Indicator values @ indicators",
            check_indicators, [], 1000)
    refused(ValidationError, "expected a non-empty list of Indicator values @ indicators",
            check_indicators, [one, "b"], 1000)
    refused(ValidationError, "indicator codes repeat: ['a', 'a'] @ indicators",
            check_indicators, [one, Indicator("a", "丙", 400, "assessed")], 1000)
    refused(ValidationError, "indicator weights add up to 1000, not the scale's 999; adjust the "
            "weights @ indicators", check_indicators, [one, two], 999)
    assert sum(i.weight for i in check_indicators(DEFAULT_INDICATORS, 1000)) == 1000


def test_grade_schemes() -> None:
    s = GradeScheme(THRESHOLDS)
    assert s == DEFAULT_GRADE_SCHEME
    assert (s.max_score, s.valid_years, s.upgrade_after_years) == (1000, 5, 2)
    for score, grade in ((1000, Grade.A5), (900, Grade.A5), (899, Grade.A4), (800, Grade.A4),
                         (700, Grade.A3), (600, Grade.A2), (500, Grade.A1), (499, None),
                         (0, None)):
        assert s.grade_for(Decimal(score)) is grade
    assert s.grade_for(Decimal("899.9")) is Grade.A4
    GradeScheme({**THRESHOLDS, "5A": 1000})
    GradeScheme({**THRESHOLDS, "1A": 1})
    GradeScheme(THRESHOLDS, valid_years=1, upgrade_after_years=1)
    GradeScheme(THRESHOLDS, valid_years=10, upgrade_after_years=0)
    refused(ValidationError, "thresholds must map the grades 5A..1A to scores, got {'6A': 1} "
            "@ thresholds", GradeScheme, {"6A": 1})
    refused(ValidationError, "thresholds must map the grades 5A..1A to scores, got 5 "
            "@ thresholds", GradeScheme, 5)
    refused(ValidationError, "thresholds must list 5A, 4A, 3A, 2A, 1A in that order, got "
            "['4A', '5A', '3A', '2A', '1A'] @ thresholds", GradeScheme,
            [("4A", 900), ("5A", 800), ("3A", 700), ("2A", 600), ("1A", 500)])
    refused(ValidationError, "thresholds must be whole numbers @ thresholds", GradeScheme,
            {**THRESHOLDS, "3A": 700.0})
    refused(ValidationError, "thresholds must be whole numbers @ thresholds", GradeScheme,
            {**THRESHOLDS, "3A": True})
    for bad in ({**THRESHOLDS, "5A": 1001}, {**THRESHOLDS, "1A": 0},
                {**THRESHOLDS, "4A": 900}, {**THRESHOLDS, "4A": 950}):
        scores = list(bad.values())
        refused(ValidationError, f"thresholds must fall strictly within 1..1000, got {scores} "
                "@ thresholds", GradeScheme, bad)
    refused(ValidationError, "thresholds must fall strictly within 1..100, got [900, 800, 700, "
            "600, 500] @ thresholds", GradeScheme, THRESHOLDS, 100)
    for valid, wait in ((0, 0), (11, 2), (5, 6), (5, -1)):
        refused(ValidationError, "valid_years must be 1-10 and upgrade_after_years 0 to "
                "valid_years @ valid_years", GradeScheme, THRESHOLDS, 1000, valid, wait)


def test_scoring_exactly() -> None:
    assessed = {"basics": 80, "governance": "250.25", "reputation": Decimal("199.95")}
    evidence = {"activities": Decimal(12), "volunteer_hours": Decimal(1000),
                "cases": Decimal(1), "funds": Decimal("12345.67")}
    total, lines = score_evaluation(DEFAULT_INDICATORS, evidence, assessed)
    by = {ln.code: ln for ln in lines}
    assert [ln.code for ln in lines] == [i.code for i in DEFAULT_INDICATORS]
    assert by["activities"].score == Decimal("75.0")  # 150 x 12/24
    assert by["volunteer_hours"].score == Decimal("150.0")  # capped at the weight
    assert by["cases"].score == Decimal("2.5")  # 50 x 1/20
    assert by["funds"].score == Decimal("6.2")  # 25 x 12345.67/50000 = 6.17
    assert by["performance"].score == Decimal("0.0")  # no contract evaluated
    assert by["governance"].score == Decimal("250.3")  # half up
    assert by["reputation"].score == Decimal("200.0")
    assert by["basics"].evidence is None and by["cases"].evidence == Decimal(1)
    assert by["basics"].source is EvidenceSource.ASSESSED and by["basics"].weight == 100
    assert by["basics"].name == "基础条件"
    assert (by["activities"].name, by["activities"].weight, by["activities"].source) == (
        "开展活动", 150, EvidenceSource.ACTIVITIES)
    # a record score is rounded half up: 150 x 0.04 / 24 = 0.25 -> 0.3
    _, half = score_evaluation(DEFAULT_INDICATORS, {"activities": Decimal("0.04")},
                               {"basics": 0, "governance": 0, "reputation": 0})
    assert half[2].score == Decimal("0.3")
    empty_total, empty_lines = score_evaluation([], {}, {})
    assert empty_lines == () and type(empty_total) is Decimal and empty_total == 0
    assert total == Decimal("764.0")
    # no evidence at all: zero for the record indicators
    total0, lines0 = score_evaluation(DEFAULT_INDICATORS, {}, {"basics": 0, "governance": 0,
                                                               "reputation": 0})
    assert total0 == Decimal(0) and all(ln.score == 0 for ln in lines0)
    full = {"basics": 100, "governance": 300, "reputation": 200}
    refused(ValidationError, "no indicator ['nope', 'zzz'] in this place's scheme; score only "
            "['activities', 'basics', 'cases', 'funds', 'governance', 'performance', "
            "'reputation', 'volunteer_hours'] @ assessed", score_evaluation, DEFAULT_INDICATORS, {},
            {**full, "zzz": 1, "nope": 1})
    refused(ValidationError, "indicator cases (协助办结事务) is drawn from the records (cases), not "
            "typed in; leave it out of the scores @ assessed.cases", score_evaluation,
            DEFAULT_INDICATORS, {}, {**full, "cases": 50})
    refused(ValidationError, "indicator governance (内部治理) needs the evaluators' score, 0 to "
            "300 @ assessed.governance", score_evaluation, DEFAULT_INDICATORS, {},
            {"basics": 1, "reputation": 1})
    for raw in (True, 1.5):
        refused(ValidationError, f"score of basics must be a whole or decimal number as text or "
                f"int, got {raw!r} @ assessed.basics", score_evaluation, DEFAULT_INDICATORS, {},
                {**full, "basics": raw})
    refused(ValidationError, "score of basics is not a number: 'lots' @ assessed.basics",
            score_evaluation, DEFAULT_INDICATORS, {}, {**full, "basics": "lots"})
    for raw in ("-0.1", "100.1", "NaN", "Infinity"):
        refused(ValidationError, f"score of basics must be 0 to 100, got {raw} "
                "@ assessed.basics", score_evaluation, DEFAULT_INDICATORS, {},
                {**full, "basics": raw})
    edge, _ = score_evaluation(DEFAULT_INDICATORS, {}, {"basics": 100, "governance": 0,
                                                        "reputation": "0"})
    assert edge == Decimal("100.0")


def test_years_and_the_upgrade_wait() -> None:
    assert add_years(D(2020, 2, 29), 1) == D(2021, 2, 28)
    assert add_years(D(2020, 2, 29), 4) == D(2024, 2, 29)
    assert add_years(D(2019, 3, 31), 5) == D(2024, 3, 31)
    last, until = D(2019, 6, 1), D(2024, 5, 31)
    check_upgrade(None, until, D(2019, 6, 2), DEFAULT_GRADE_SCHEME)
    check_upgrade(last, None, D(2019, 6, 2), DEFAULT_GRADE_SCHEME)
    check_upgrade(last, until, D(2024, 6, 1), DEFAULT_GRADE_SCHEME)
    check_upgrade(last, until, D(2021, 6, 1), DEFAULT_GRADE_SCHEME)
    for on in (D(2021, 5, 31), D(2019, 6, 1)):
        refused(ValidationError, "the last evaluation was on 2019-06-01 and its grade is valid "
                "until 2024-05-31; an upgrade may be requested no sooner than 2 years after "
                "it: evaluate on or after 2021-06-01 @ on", check_upgrade, last, until, on,
                DEFAULT_GRADE_SCHEME)
    # the last valid day itself still counts as "while valid"
    short = GradeScheme(THRESHOLDS, valid_years=1, upgrade_after_years=1)
    refused(ValidationError, "the last evaluation was on 2019-06-01 and its grade is valid "
            "until 2019-06-10; an upgrade may be requested no sooner than 1 years after it: "
            "evaluate on or after 2020-06-01 @ on", check_upgrade, last, D(2019, 6, 10),
            D(2019, 6, 10), short)
    check_upgrade(last, D(2019, 6, 10), D(2019, 6, 11), short)


def _org(**kw: object) -> SocialOrganization:
    base: dict[str, object] = dict(
        id="O1", name="夕阳红", kind=OrgKind.SERVICE, community_code="c", subdistrict_code="s",
        stage=OrgStage.ACTIVE, incubator_id=None, hatched_on=None, registered=False,
        members=12, volunteer_org_id=None, proposed_on=D(2019, 1, 1),
        stage_since=D(2019, 1, 1))
    base.update(kw)
    return SocialOrganization(**base)  # type: ignore[arg-type]


def test_records_and_their_days() -> None:
    assert not _org().under_incubator
    assert _org(incubator_id="I1").under_incubator
    assert not _org(incubator_id="I1", hatched_on=D(2019, 5, 1)).under_incubator
    graded = _org(grade=Grade.A3, grade_valid_until=D(2024, 5, 31))
    assert graded.grade_on(D(2024, 5, 31)) is Grade.A3
    assert graded.grade_on(D(2024, 6, 1)) is None
    assert _org(grade=Grade.A3).grade_on(D(2019, 1, 1)) is None
    assert _org(grade_valid_until=D(2024, 5, 31)).grade_on(D(2019, 1, 1)) is None
    f = Finding(1, "O1", "账目不清", D(2019, 5, 1), D(2019, 5, 15), 10)
    assert f.open and not f.overdue_on(D(2019, 5, 15)) and f.overdue_on(D(2019, 5, 16))
    done = Finding(1, "O1", "x", D(2019, 5, 1), D(2019, 5, 15), 10, D(2019, 5, 20))
    assert not done.open and not done.overdue_on(D(2019, 6, 1))
    st = OrgStaff(1, "O1", "张三", "社工", True, False, None, D(2019, 1, 1), D(2019, 12, 31))
    assert not st.active_on(D(2018, 12, 31)) and st.active_on(D(2019, 1, 1))
    assert st.active_on(D(2019, 12, 31)) and not st.active_on(D(2020, 1, 1))
    assert OrgStaff(2, "O1", "李四", "财务", False, True, None, D(2019, 1, 1)).active_on(
        D(2030, 1, 1))
