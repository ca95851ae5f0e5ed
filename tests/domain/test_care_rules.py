"""Care rules: categories, needs, alerts, the escalation ladder, visit checks and the monthly
visit rate (issue #13 item 11: exact messages and boundaries)."""

from __future__ import annotations

import datetime as dt

import pytest

from community_governance.domain.care import (
    DEFAULT_CATEGORIES,
    DEFAULT_GIFTS,
    DEFAULT_TIER_VISITS,
    FESTIVAL_ROUNDS,
    LADDER,
    CareCategory,
    CareNeed,
    VisitOutcome,
    WeatherAlert,
    check_visit,
    ladder_step,
    mask_evidence,
    monthly_rate,
)
from community_governance.errors import ValidationError
from tests.domain._exact import refused

D = dt.date
T = dt.datetime(2019, 12, 1, 9, 0, tzinfo=dt.UTC)


def test_category_rules() -> None:
    c = CareCategory("a_1", "特困", "x")
    assert (c.tier, c.flag, c.elder) == (2, "", False)
    for tier in (1, 2, 3):
        assert CareCategory("k", "类", "e", tier).tier == tier
    for bad in ("", "_", "__", "a-b", "a b", "特困", "a.b"):
        refused(ValidationError, f"a care category's code is ascii letters, digits and _, got "
                f"{bad!r} @ code", CareCategory, bad, "类", "e")
    refused(ValidationError, "care category k needs a Chinese name @ chinese", CareCategory, "k",
            "  ", "e")
    for tier in (0, 4, True, 1.0, "1"):
        refused(ValidationError, f"care category k: the risk tier is 1, 2 or 3, got {tier!r} "
                "@ tier", CareCategory, "k", "类", "e", tier)


def test_national_defaults() -> None:
    assert [(c.code, c.chinese, c.tier, c.flag, c.elder) for c in DEFAULT_CATEGORIES] == [
        ("extreme_difficulty", "特困人员", 1, "extreme_difficulty", True),
        ("childless_elderly", "孤寡老人", 1, "elderly_alone", True),
        ("elderly_alone", "独居老人", 1, "elderly_alone", True),
        ("low_income", "低保户", 2, "low_income", False),
        ("disability", "残疾人", 2, "disability", False),
        ("left_behind_child", "留守儿童", 2, "left_behind_child", False)]
    assert dict(DEFAULT_TIER_VISITS) == {1: 2, 2: 1, 3: 0}
    assert FESTIVAL_ROUNDS == ("dragon_boat", "mid_autumn", "spring_festival")
    assert dict(DEFAULT_GIFTS) == {"dragon_boat": "粽子", "mid_autumn": "月饼",
                                   "spring_festival": "节日慰问品"}


@pytest.mark.parametrize(("text", "shown"), [
    ("", ""), ("   ", ""), ("证", "***"), ("低保证", "***"), ("低保证号", "低保证***"),
    ("  残疾证 123  ", "残疾证***")])
def test_mask_evidence(text: str, shown: str) -> None:
    assert mask_evidence(text) == shown


def test_need_dates() -> None:
    need = CareNeed("N1", "R1", "c", "elderly_alone", D(2019, 1, 1), D(2019, 12, 31))
    assert not need.active_on(D(2018, 12, 31))
    assert need.active_on(D(2019, 1, 1)) and need.active_on(D(2019, 12, 31))
    assert not need.active_on(D(2020, 1, 1))
    assert CareNeed("N2", "R1", "c", "x", D(2019, 1, 1)).active_on(D(2050, 1, 1))
    CareNeed("N3", "R1", "c", "x", D(2019, 1, 1), D(2019, 1, 1))
    refused(ValidationError, "care need N4 would end (2018-12-31) before it starts (2019-01-01); "
            "give an end on or after the start @ end", CareNeed, "N4", "R1", "c", "x",
            D(2019, 1, 1), D(2018, 12, 31))


def test_alerts() -> None:
    for level in ("blue", "yellow", "orange", "red"):
        assert WeatherAlert("A", "411281", "snow", level, T).level == level
    refused(ValidationError, "alert level is blue, yellow, orange or red, got 'Red' @ level",
            WeatherAlert, "A", "411281", "snow", "Red", T)
    refused(ValidationError, "an alert's time is timezone-aware @ issued_at", WeatherAlert, "A",
            "411281", "rain", "red", T.replace(tzinfo=None))


def test_ladder() -> None:
    assert [ladder_step(n) for n in range(6)] == [*LADDER, LADDER[-1], LADDER[-1]]
    assert LADDER == ("visit", "call again", "ask the neighbour or the building leader",
                      "home visit with the community office")
    refused(ValidationError, "unanswered tries are counted from 0, got -1 @ no_answers",
            ladder_step, -1)


def test_outcomes_reached() -> None:
    assert [o for o in VisitOutcome if not o.reached] == [VisitOutcome.NO_ANSWER]


def _visit(**kw: object) -> bool:
    args: dict[str, object] = dict(resident_id="R1", visitor_id="S1", at=T, now=T,
                                   in_care=True, assigned_cadre="S1", stand_in_allowed=False,
                                   rule="national default")
    args.update(kw)
    return check_visit(**args)  # type: ignore[arg-type]


def test_check_visit() -> None:
    assert _visit() is False  # at == now is not the future
    assert _visit(visitor_id="S2", stand_in_allowed=True) is True
    refused(ValidationError, "a visit to R1 dated 2019-12-01T09:00:01+00:00 lies in the future "
            "(now 2019-12-01T09:00:00+00:00); record a visit after it happened, with its real "
            "time @ at", _visit, at=T + dt.timedelta(seconds=1))
    refused(ValidationError, "resident R1 has no care need on 2019-12-01: visits are recorded "
            "for residents in care; register the care need first (cgov care need add) "
            "@ resident_id", _visit, in_care=False)
    refused(ValidationError, "S2 is not the assigned cadre of R1 (that is S1) and the rule "
            "(湖滨区 plugin) allows no stand-in; let the assigned cadre record it, or reassign "
            "the resident @ visitor_id", _visit, visitor_id="S2", rule="湖滨区 plugin")
    refused(ValidationError, "S2 is not the assigned cadre of R1 (that is nobody (assign a "
            "cadre first: cgov care assign)) and the rule (national default) allows no "
            "stand-in; let the assigned cadre record it, or reassign the resident @ visitor_id",
            _visit, visitor_id="S2", assigned_cadre=None)
    assert _visit(visitor_id="S2", assigned_cadre=None, stand_in_allowed=True) is True


def test_monthly_rate() -> None:
    assert monthly_rate([], []) == (0, 0, [])
    assert monthly_rate(["R3", "R1", "R2", "R1"], ["R2", "R9", "R2"]) == (3, 1, ["R1", "R3"])
    assert monthly_rate(iter(["R1"]), iter(["R1"])) == (1, 1, [])
