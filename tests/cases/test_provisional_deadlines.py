"""Deadlines past the last official year (暂定期限), add-year recomputation, batch jobs that go
on past a failing case, and per-county calendars (a local day off in 411202 only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

import community_governance
from community_governance import hookimpl
from community_governance.calendars import LocalDay
from community_governance.domain.access import Actor
from community_governance.domain.appointments import OpeningHours, ServiceCentre
from community_governance.domain.cases import CaseEvent, CaseStatus, RouteLevel
from community_governance.domain.units import Building, Unit, UnitKind
from community_governance.errors import PluginError, ValidationError
from community_governance.io.open311 import case_to_request, parse_request
from community_governance.storage.tables import core as t
from community_governance.testing.city import build_small_city
from tests.calendars.test_provisional import YEAR_2027

SYSTEM = Actor.system("test")
HUBIN = "411202"
HUBIN_BUILDING = "411202001001-B0001"
#: a Monday that 湖滨区 (411202) closes for a local memorial day in the tests; not Yima
LOCAL_OFF = dt.date(2026, 11, 9)


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test installs year files into its own data directory."""
    monkeypatch.setenv("CGOV_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _report(gov: Any, city: Any, category: str = "repair", n: int = 0) -> Any:
    c = city.communities[0]
    return gov.cases.report(city.staff[c], category=category,
                            building_code=city.buildings[c][n], description="楼道灯不亮")


def test_case_reported_on_2026_12_28_gets_a_provisional_2027_deadline(
        city: Any, cgov: Any, clock: Any) -> None:
    """Accepts a case whose deadline reaches into 2027 and stores it as provisional; one
    within 2026 is not provisional."""
    clock.set(2026, 12, 28, 10)
    case = _report(cgov, city, "dispute")
    days = cgov.hooks.first("cgov_case_deadline", int, category="dispute",
                            level=RouteLevel.GRID, county_code=city.county, place=city.county)
    assert case.deadline.year == 2027 and case.deadline_provisional
    assert case.deadline == cgov.cases.calendar().add_working_days(dt.date(2026, 12, 28), days)
    assert cgov.cases.get(SYSTEM, case.id).deadline_provisional
    clock.set(2026, 12, 1, 10)
    early = _report(cgov, city, "repair", 1)
    assert early.deadline.year == 2026 and not early.deadline_provisional


def test_open311_and_report_say_provisional(city: Any, cgov: Any, clock: Any) -> None:
    """Open311's service_notice and extended attributes mark the deadline provisional, a
    re-import keeps the flag, and the case report counts the open provisional deadlines."""
    clock.set(2026, 12, 28, 10)
    case = _report(cgov, city, "dispute")
    doc = case_to_request(case, None, agency="x", timezone="Asia/Shanghai")
    assert "暂定" in doc["service_notice"] and "provisional" in doc["service_notice"]
    assert doc["expected_datetime"].startswith(case.deadline.isoformat())
    assert doc["extended_attributes"]["deadline_provisional"] is True
    assert parse_request(doc).deadline_provisional
    report = cgov.cases.case_report(SYSTEM, year=2026)
    assert report.provisional_deadlines == 1
    clock.set(2026, 12, 1, 10)
    final = case_to_request(_report(cgov, city, n=1), None, agency="x",
                            timezone="Asia/Shanghai")
    assert "暂定" not in final["service_notice"]
    assert final["extended_attributes"]["deadline_provisional"] is False


def test_add_year_recomputes_the_provisional_deadlines(
        city: Any, cgov: Any, clock: Any, tmp_path: Path) -> None:
    """Installing the 2027 file moves the provisional deadlines it changes, writes one
    reschedule step per case and names them in the audit trail; closed and 2026 cases stay."""
    clock.set(2026, 12, 28, 10)
    moved = _report(cgov, city, "dispute")  # 5 working days: 2027-01-05, provisional
    later = _report(cgov, city, "property", 1)
    within = _report(cgov, city, "repair", 3)  # 3 working days: 2026-12-31, final
    assert moved.deadline_provisional and later.deadline_provisional
    assert not within.deadline_provisional
    clock.set(2026, 12, 1, 10)
    final = _report(cgov, city, "repair", 2)
    clock.set(2026, 12, 29, 9)
    src = tmp_path / "2027.toml"
    src.write_text(YEAR_2027, encoding="utf-8")
    done = cgov.cases.add_calendar_year(SYSTEM, src)
    assert done.year == 2027 and Path(done.path).is_file()
    # 元旦 1-4 January in the official file: the deadline of 5 January moves to the 6th
    cal = cgov.cases.calendar()
    assert 2027 in cal.official_years
    after = {c.id: c for c in cgov.cases.list_cases(SYSTEM)}
    for before in (moved, later):
        new = after[before.id]
        assert not new.deadline_provisional
        assert (before.deadline, new.deadline) == (dt.date(2027, 1, 5), dt.date(2027, 1, 6))
    assert after[within.id].deadline == within.deadline
    assert after[final.id].deadline == final.deadline
    changed = set(done.recomputed.details)
    assert changed == {moved.id, later.id}
    assert done.moved == 2 and done.shifts == {1: 2}
    for cid in changed:
        steps = cgov.cases.history(SYSTEM, cid)
        assert steps[-1].event is CaseEvent.RESCHEDULE
        assert steps[-1].to_status is CaseStatus.REPORTED
        assert "期限重算" in steps[-1].note
    with cgov.store.unit_of_work(write=False) as uow:
        audit = uow.conn.execute(sa.select(t.audit_log.c.objects, t.audit_log.c.detail).where(
            t.audit_log.c.operation == "cases.recompute_deadlines")).all()
    assert len(audit) == 1
    assert all(cid in audit[0].objects and cid in audit[0].detail for cid in changed)
    # nothing left to recompute: a second run changes nothing
    assert cgov.cases.recompute_provisional_deadlines(SYSTEM).done == ()


def _n(gov: Any, case: Any) -> int:
    county = case.community_code[:6]
    return int(gov.hooks.first("cgov_case_deadline", int, category=case.category,
                               level=RouteLevel.GRID, county_code=county, place=county))


def test_add_year_moves_a_january_deadline(city: Any, cgov: Any, clock: Any,
                                           tmp_path: Path) -> None:
    """A deadline of 2027-01-05 (provisional) becomes 2027-01-06 when 4 January is off."""
    clock.set(2026, 12, 28, 10)
    case = _report(cgov, city, "dispute")
    n = _n(cgov, case)
    src = tmp_path / "2027.toml"
    src.write_text(YEAR_2027, encoding="utf-8")
    clock.set(2026, 12, 29, 9)
    done = cgov.cases.add_calendar_year(SYSTEM, src)
    new = cgov.cases.get(SYSTEM, case.id)
    if n == 5:
        assert (case.deadline, new.deadline) == (dt.date(2027, 1, 5), dt.date(2027, 1, 6))
    assert (new.deadline - case.deadline).days == done.recomputed.details[case.id]["shift_days"]
    assert done.shifts == {1: 1}
    assert done.moved == 1


def test_add_year_refuses_a_bad_file_and_changes_nothing(city: Any, cgov: Any, clock: Any,
                                                         tmp_path: Path,
                                                         _data_dir: Path) -> None:
    """Refuses a file without the Dragon Boat day off: nothing installed, no case touched."""
    clock.set(2026, 12, 28, 10)
    case = _report(cgov, city, "dispute")
    src = tmp_path / "2027.toml"
    src.write_text(YEAR_2027.replace("off_days = [2027-06-09]", "off_days = [2027-06-10]"),
                   encoding="utf-8")
    with pytest.raises(ValidationError, match="端午节"):
        cgov.cases.add_calendar_year(SYSTEM, src)
    assert not (_data_dir / "calendars" / "2027.toml").exists()
    assert cgov.cases.get(SYSTEM, case.id).deadline_provisional
    assert len(cgov.cases.history(SYSTEM, case.id)) == 1


def test_escalation_goes_on_past_a_failing_case(city: Any, clock: Any) -> None:
    """One case whose next deadline a plugin cannot give fails with its id; the others are
    escalated, and the job result says some failed."""

    class Broken:
        @hookimpl(tryfirst=True)
        def cgov_case_deadline(self, category: str, level: RouteLevel) -> int | None:
            if category == "dispute" and level == RouteLevel.COMMUNITY:
                raise RuntimeError("the dispute rules are being revised")
            return None

    with community_governance.open("memory://", entrypoints=False, clock=clock,
                                   plugins=[Broken()]) as gov:
        city = build_small_city(gov)
        bad = _report(gov, city, "dispute")
        good = [_report(gov, city, "repair", i) for i in (1, 2)]
        clock.set(2026, 10, 20, 9)
        result = gov.cases.escalate_overdue(SYSTEM)
        assert not result.ok
        assert sorted(result.ids) == sorted(c.id for c in good)
        assert [f.case_id for f in result.failed] == [bad.id]
        assert result.failed[0].error == "PluginError"
        assert "being revised" in result.failed[0].message
        assert gov.cases.get(SYSTEM, bad.id).level is RouteLevel.GRID
        assert all(gov.cases.get(SYSTEM, c.id).level is RouteLevel.COMMUNITY for c in good)


def test_escalation_into_2027_is_provisional(city: Any, cgov: Any, clock: Any) -> None:
    """A case overdue in late December escalates with a provisional 2027 deadline."""
    clock.set(2026, 12, 14, 10)
    case = _report(cgov, city)
    clock.set(2026, 12, 29, 9)
    result = cgov.cases.escalate_overdue(SYSTEM)
    assert result.ok and result.ids == [case.id]
    up = result.done[0]
    assert up.level is RouteLevel.COMMUNITY
    assert up.deadline.year == 2027 and up.deadline_provisional


# --- per-county calendars --------------------------------------------------------------------


class HubinDayOff:
    """湖滨区's plugin: one local day off, for 411202 only (a few lines)."""

    @hookimpl
    def cgov_local_calendar_days(self, county_code: str, year: int) -> list[LocalDay] | None:
        if county_code != HUBIN or year != LOCAL_OFF.year:
            return None
        return [LocalDay.day_off(LOCAL_OFF, "湖滨区纪念日", "Hubin memorial day")]


def _add_hubin(gov: Any) -> None:
    gov.registry.add_units(SYSTEM, [
        Unit(HUBIN, UnitKind.COUNTY, "湖滨区"),
        Unit("411202001", UnitKind.SUBDISTRICT, "前进街道", HUBIN),
        Unit("411202001001", UnitKind.COMMUNITY, "测试社区", "411202001")])
    gov.registry.add_buildings(SYSTEM, [Building(HUBIN_BUILDING, "1号楼", "411202001001")])


@pytest.fixture
def two_counties(clock: Any) -> Iterator[tuple[Any, Any]]:
    with community_governance.open("memory://", entrypoints=False, clock=clock,
                                   plugins=[HubinDayOff()]) as gov:
        city = build_small_city(gov)
        _add_hubin(gov)
        yield gov, city


def test_local_day_off_applies_to_its_county_only(two_counties: tuple[Any, Any],
                                                  clock: Any) -> None:
    """A case in 湖滨区 skips its local day off; the same case in 义马市 does not."""
    gov, city = two_counties
    clock.set(2026, 11, 6, 10)  # a Friday; Monday 11-09 is 湖滨区's day off
    yima = _report(gov, city)
    hubin = gov.cases.report(SYSTEM, category="repair", building_code=HUBIN_BUILDING,
                             description="楼道灯不亮")
    yima_cal, hubin_cal = gov.cases.calendar("411281"), gov.cases.calendar(HUBIN)
    assert yima.deadline == yima_cal.add_working_days(dt.date(2026, 11, 6), _n(gov, yima))
    # the 湖滨区 building has no grid: the community's 5 working days, Monday 11-09 skipped
    assert hubin.level is RouteLevel.COMMUNITY
    assert hubin.deadline == dt.date(2026, 11, 16)
    assert yima_cal.add_working_days(dt.date(2026, 11, 6), 5) == dt.date(2026, 11, 13)
    assert not hubin_cal.is_working_day(LOCAL_OFF) and yima_cal.is_working_day(LOCAL_OFF)
    assert gov.cases.calendar(HUBIN + "001001") is hubin_cal  # cached per county
    assert gov.cases.calendar().is_working_day(LOCAL_OFF)


def test_slots_and_home_visits_follow_the_county(two_counties: tuple[Any, Any],
                                                 clock: Any) -> None:
    """A 湖滨区 centre has no working-day slots on its local day off; a Yima one has."""
    gov, city = two_counties
    hours = OpeningHours(("08:30-11:30",))
    gov.appointments.add_centre(SYSTEM, ServiceCentre("H1", "411202001001", "convenience",
                                                      "湖滨便民服务站", hours, 2, 30))
    gov.appointments.add_centre(SYSTEM, ServiceCentre("Y1", city.communities[0], "convenience",
                                                      "义马便民服务站", hours, 2, 30))
    assert gov.appointments.slots("H1", LOCAL_OFF) == []
    assert len(gov.appointments.slots("Y1", LOCAL_OFF)) == 6


def test_home_visit_into_2027_is_provisional(city: Any, cgov: Any, clock: Any,
                                            tmp_path: Path) -> None:
    """A home-visit request on 2026-12-28 gets a provisional due day in 2027, recomputed (one
    day later) when the 2027 file is installed."""
    clock.set(2026, 12, 28, 10)
    rid = city.all_residents()[0]
    req = cgov.appointments.request_assistance(SYSTEM, kind="home_visit", resident_id=rid,
                                               description="代办养老认证")
    assert req.due == dt.date(2027, 1, 5) and req.due_provisional
    assert cgov.appointments.assistance(SYSTEM)[0].due_provisional
    src = tmp_path / "2027.toml"
    src.write_text(YEAR_2027, encoding="utf-8")
    clock.set(2026, 12, 29, 9)
    done = cgov.cases.add_calendar_year(SYSTEM, src)
    assert done.assistance[req.id] == {"old": "2027-01-05", "new": "2027-01-06",
                                       "shift_days": 1, "provisional": False}
    now = cgov.appointments.assistance(SYSTEM)[0]
    assert (now.due, now.due_provisional) == (dt.date(2027, 1, 6), False)


def test_local_days_of_another_year_are_a_plugin_error(clock: Any) -> None:
    """Names the plugin that answers a local day outside the year asked."""

    class Wrong:
        @hookimpl
        def cgov_local_calendar_days(self, county_code: str, year: int) -> list[LocalDay]:
            return [LocalDay.day_off(dt.date(2020, 1, 2), "错年")]

    with (community_governance.open("memory://", entrypoints=False, clock=clock,
                                    plugins=[Wrong()]) as gov,
          pytest.raises(PluginError) as info):
        gov.cases.calendar(HUBIN)
    assert info.value.hook == "cgov_local_calendar_days"
    assert "Wrong" in info.value.plugin


def test_calendar_hooks_are_told_the_county(clock: Any) -> None:
    """cgov_holiday_data_dirs and cgov_working_day_calendar get the county; old plugins
    taking fewer arguments still work."""
    seen: list[tuple[str, Any]] = []

    class New:
        @hookimpl
        def cgov_holiday_data_dirs(self, county_code: str | None) -> None:
            seen.append(("dirs", county_code))

        @hookimpl
        def cgov_working_day_calendar(self, extra_dirs: Any, county_code: str | None) -> None:
            seen.append(("calendar", county_code))

    class Old:
        @hookimpl
        def cgov_holiday_data_dirs(self) -> None:
            seen.append(("old", None))

    with community_governance.open("memory://", entrypoints=False, clock=clock,
                                   plugins=[New(), Old()]) as gov:
        gov.cases.calendar(HUBIN)
    assert ("dirs", HUBIN) in seen and ("calendar", HUBIN) in seen and ("old", None) in seen


def test_fixed_clock_is_used() -> None:
    """(guard) The fixture's clock is the one the store reads."""
    fixed = pendulum.datetime(2026, 12, 28, 10, tz="Asia/Shanghai")
    with community_governance.open("memory://", entrypoints=False, clock=lambda: fixed) as g:
        assert g.now() == fixed.in_timezone("UTC")
