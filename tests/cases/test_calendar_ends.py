"""Days and times at the ends of the calendar (years 1 and 9999): a county day whose start has
no UTC form, a window's default start before year 1. Asking about them finds nothing; giving
one as a time to store is a ValidationError naming the field. Never an OverflowError (a 500
over HTTP, which schemathesis found)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

import community_governance
from community_governance.domain.access import Actor
from community_governance.errors import ValidationError
from community_governance.services.base import county_days_utc, utc_instant
from community_governance.testing.city import build_small_city

SYSTEM = Actor.system("test")
FIRST = dt.date(1, 1, 1)
LAST = dt.date(9999, 12, 31)
ZONES = ["Asia/Shanghai", "Asia/Urumqi", "America/Los_Angeles", "Pacific/Kiritimati"]


@pytest.mark.parametrize("zone", ZONES)
def test_the_ends_of_the_calendar_clamp_to_the_first_and_last_instant(zone: str) -> None:
    tz = pendulum.timezone(zone)
    lo, hi = county_days_utc(tz, FIRST, LAST)
    assert lo.year == 1 and hi.year == 9999
    assert lo <= pendulum.datetime(1, 1, 2, tz="UTC") and hi >= pendulum.datetime(
        9999, 12, 30, tz="UTC")


@given(st.dates(min_value=dt.date(2, 1, 1), max_value=dt.date(9999, 12, 30)),
       st.sampled_from(ZONES))
def test_a_day_in_the_middle_is_its_midnight_to_the_next(day: dt.date, zone: str) -> None:
    tz = pendulum.timezone(zone)
    lo, hi = county_days_utc(tz, day, day)
    assert lo.in_timezone(tz).date() == day and lo.in_timezone(tz).hour == 0
    assert hi.in_timezone(tz).date() == day + dt.timedelta(days=1)
    assert lo.tzinfo is not None and lo.utcoffset() == dt.timedelta(0)


def test_a_time_without_a_utc_form_is_a_validation_error_naming_the_field() -> None:
    east = dt.datetime(1, 1, 1, 3, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    west = dt.datetime(9999, 12, 31, 23, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
    for moment in (east, west):
        with pytest.raises(ValidationError, match="outside the times") as err:
            utc_instant(moment, "start")
        assert err.value.path == "start"
    with pytest.raises(ValidationError, match="timezone-aware"):
        utc_instant(dt.datetime(2026, 1, 1), "start")
    assert utc_instant(dt.datetime(2026, 1, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8))),
                       "start") == pendulum.datetime(2026, 1, 1, tz="UTC")


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/Los_Angeles"])
@pytest.mark.parametrize("county", ["411281", "411202"])
def test_services_asked_about_the_ends_answer_empty(zone: str, county: str) -> None:
    """Appointments, case reports and exports, care rates, on the first and last days: empty,
    for Yima and for another county, in a zone east and west of Greenwich."""
    with community_governance.open("memory://", entrypoints=False, timezone=zone) as g:
        city: Any = build_small_city(g, county=county)
        community = city.communities[0]
        g.cases.report(SYSTEM, category="repair", building_code=city.buildings[community][0],
                       description="路灯坏了")
        assert g.cases.case_report(SYSTEM, year=2026).total == 1
        for day in (FIRST, LAST):
            assert g.appointments.appointments(SYSTEM, day=day) == []
            assert g.cases.case_report(SYSTEM, start=day, end=day).total == 0
            assert g.cases.export_open311(SYSTEM, start=day, end=day) == []
        assert g.cases.export_open311(SYSTEM, start=LAST) == []
        assert g.cases.export_open311(SYSTEM, end=FIRST) == []
        assert len(g.cases.export_open311(SYSTEM, start=FIRST, end=LAST)) == 1
        for year, month in ((1, 1), (9999, 12)):
            rates = g.care.monthly_rates(SYSTEM, community, year, month)
            assert rates and all(r.visited == 0 for r in rates)


def test_a_case_reported_at_a_time_with_no_utc_form_is_refused_and_nothing_is_written(
        ) -> None:
    with community_governance.open("memory://", entrypoints=False) as g:
        city = build_small_city(g, county="411202")
        community = city.communities[0]
        with pytest.raises(ValidationError, match="outside the times") as err:
            g.cases.report(SYSTEM, category="repair", building_code=city.buildings[community][0],
                           description="路灯坏了", at=dt.datetime(
                               1, 1, 1, 3, tzinfo=dt.timezone(dt.timedelta(hours=8))))
        assert err.value.path == "at"
        assert g.cases.list_cases(SYSTEM) == []
