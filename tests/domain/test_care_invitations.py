"""Care rules added for invitations, festival round days and the monthly visit plan
(issue #13 item 11: exact results, messages, paths and boundaries)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from community_governance.domain.care import (
    DEFAULT_INVITED,
    FESTIVAL_ROUNDS,
    CareCategory,
    Invitation,
    Occasion,
    Rsvp,
    check_attendance,
    check_reply,
    festival_round_day,
    flags_in_care,
    monthly_due_days,
    occasion_day,
)
from community_governance.errors import ValidationError
from tests.domain._exact import refused

D = dt.date
U = dt.UTC


def _days(n: int) -> list[dt.date]:
    return [D(2026, 3, 1) + dt.timedelta(days=i) for i in range(n)]


def test_monthly_due_days() -> None:
    days = _days(22)
    assert monthly_due_days(days, 0) == []
    assert monthly_due_days([], 0) == []
    assert monthly_due_days(days, 1) == [days[21]]
    assert monthly_due_days(days, 2) == [days[10], days[21]]
    assert monthly_due_days(days, 3) == [days[7], days[14], days[21]]
    assert monthly_due_days(days[:21], 2) == [days[10], days[20]]
    assert monthly_due_days(days[:5], 5) == days[:5]
    assert monthly_due_days(days[:1], 1) == [days[0]]
    e = refused(ValidationError, "visits a month are counted from 0, got -1 @ visits",
                monthly_due_days, days, -1)
    assert e.path == "visits"  # type: ignore[attr-defined]
    e = refused(ValidationError, "the month has no working day to visit on @ working_days",
                monthly_due_days, [], 1)
    assert e.path == "working_days"  # type: ignore[attr-defined]


def test_festival_round_day() -> None:
    assert FESTIVAL_ROUNDS == ("dragon_boat", "mid_autumn", "spring_festival")
    assert [festival_round_day(f, 2026) for f in FESTIVAL_ROUNDS] == [
        D(2026, 6, 19), D(2026, 9, 25), D(2026, 2, 16)]
    assert [festival_round_day(f, 2024) for f in FESTIVAL_ROUNDS] == [
        D(2024, 6, 10), D(2024, 9, 17), D(2024, 2, 9)]
    for bad in ("x", "new_years_eve", "lantern", ""):
        e = refused(ValidationError, f"{bad!r} is not a festival round; rounds are held at "
                    "['端午节', '中秋节', '春节'] @ festival", festival_round_day, bad, 2026)
        assert e.path == "festival"  # type: ignore[attr-defined]


def test_flags_in_care() -> None:
    cats = [CareCategory("a", "甲", "a", flag="alone"), CareCategory("b", "乙", "b"),
            CareCategory("c", "丙", "c", flag="disabled"),
            CareCategory("d", "丁", "d", flag="alone")]
    assert flags_in_care(cats) == frozenset({"alone", "disabled"})
    assert flags_in_care([]) == frozenset()
    assert flags_in_care(cats[1:2]) == frozenset()


def test_occasions() -> None:
    assert [o.chinese for o in Occasion] == ["元旦", "春节", "元宵节"]
    assert [o.value for o in Occasion] == ["new_year", "spring_festival", "lantern"]
    for text, want in (("lantern", Occasion.LANTERN), ("元宵节", Occasion.LANTERN),
                       ("元宵", Occasion.LANTERN), (" 春节 ", Occasion.SPRING_FESTIVAL),
                       ("春", Occasion.SPRING_FESTIVAL), ("元旦", Occasion.NEW_YEAR),
                       ("new_year", Occasion.NEW_YEAR)):
        assert Occasion.parse(text) is want
    for bad in ("x", "LANTERN", "元", ""):
        e = refused(ValidationError, f"unknown occasion {bad!r}; invitations are sent for "
                    "new_year (元旦), spring_festival (春节), lantern (元宵节) @ occasion",
                    Occasion.parse, bad)
        assert e.path == "occasion"  # type: ignore[attr-defined]
    assert occasion_day(Occasion.NEW_YEAR, 2026) == D(2026, 1, 1)
    assert occasion_day("new_year", 2025) == D(2025, 1, 1)
    assert occasion_day(Occasion.SPRING_FESTIVAL, 2026) == D(2026, 2, 17)
    assert occasion_day("春节", 2025) == D(2025, 1, 29)
    assert occasion_day(Occasion.LANTERN, 2026) == D(2026, 3, 3)
    assert occasion_day("元宵", 2025) == D(2025, 2, 12)
    assert DEFAULT_INVITED == ("childless_elderly", "elderly_alone")


def test_invitation_defaults() -> None:
    t = dt.datetime(2026, 1, 20, tzinfo=U)
    i = Invitation(1, "e", Occasion.LANTERN, 2026, "c", "r", D(2026, 3, 3), t)
    assert (i.rsvp, i.attended) == (Rsvp.PENDING, False)
    assert [r.value for r in Rsvp] == ["pending", "yes", "no"]


def test_check_reply() -> None:
    inv = dt.datetime(2026, 2, 1, 8, tzinfo=U)
    now = dt.datetime(2026, 2, 10, 8, tzinfo=U)
    day = D(2026, 2, 10)
    ok: dict[str, Any] = {"resident_id": "r1", "event_id": "ev", "invited": True,
                          "invited_at": inv, "day": day, "at": now, "at_day": day, "now": now}
    check_reply(**ok)  # the boundaries: at == now, at_day == day
    check_reply(**{**ok, "at": inv, "at_day": D(2026, 2, 1)})  # at == invited_at
    e = refused(ValidationError, "resident r1 is not invited to ev; invite them first "
                "(cgov care invite ... --resident) @ resident_id",
                check_reply, **{**ok, "invited": False})
    assert e.path == "resident_id"  # type: ignore[attr-defined]
    late = now + dt.timedelta(microseconds=1)
    e = refused(ValidationError, f"an answer dated {late.isoformat()} lies in the future (now "
                f"{now.isoformat()}); record it with the time it was given @ at",
                check_reply, **{**ok, "at": late})
    assert e.path == "at"  # type: ignore[attr-defined]
    early = inv - dt.timedelta(microseconds=1)
    e = refused(ValidationError, f"an answer dated {early.isoformat()} comes before the "
                f"invitation ({inv.isoformat()}) @ at", check_reply, **{**ok, "at": early})
    assert e.path == "at"  # type: ignore[attr-defined]
    e = refused(ValidationError, "the event ev was on 2026-02-10; an answer after it is no "
                "answer: record who came (cgov care attend) @ at",
                check_reply, **{**ok, "at_day": D(2026, 2, 11)})
    assert e.path == "at"  # type: ignore[attr-defined]


def test_check_attendance() -> None:
    ok: dict[str, Any] = {"resident_id": "r1", "event_id": "ev", "invited": True,
                          "in_care": True, "day": D(2026, 2, 10), "today": D(2026, 2, 10)}
    check_attendance(**ok)
    e = refused(ValidationError, "the event ev is on 2026-02-10 (today is 2026-02-09): record "
                "who came after it @ event_id",
                check_attendance, **{**ok, "today": D(2026, 2, 9)})
    assert e.path == "event_id"  # type: ignore[attr-defined]
    e = refused(ValidationError, "resident r1 is not invited to ev; invite them first "
                "(cgov care invite ... --resident), then record that they came @ resident_id",
                check_attendance, **{**ok, "invited": False})
    assert e.path == "resident_id"  # type: ignore[attr-defined]
    e = refused(ValidationError, "resident r1 has no care need on 2026-02-10: invitations and "
                "attendance are recorded for residents in care; register the care need first "
                "(cgov care need add) @ resident_id",
                check_attendance, **{**ok, "in_care": False})
    assert e.path == "resident_id"  # type: ignore[attr-defined]
