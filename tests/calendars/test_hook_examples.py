"""The calendar hooks' catalogue examples run and answer what the services accept."""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Any

import community_governance
from community_governance.calendars import LocalDay, WorkingDayCalendar
from community_governance.hookspecs import calendars as spec
from community_governance.plugins import expect_dirs, expect_local_days


def _example(name: str) -> Any:
    doc = inspect.getdoc(getattr(spec, name)) or ""
    namespace: dict[str, Any] = {"__name__": f"example_{name}"}
    exec(compile(inspect.cleandoc(doc.partition("Example::")[2]), name, "exec"), namespace)
    return namespace[name]


def test_working_day_calendar_example_runs() -> None:
    """Answers a calendar for 渑池县 with 20 provisional years, nothing for another county."""
    fn = _example("cgov_working_day_calendar")
    cal = fn([], "411221")
    assert isinstance(cal, WorkingDayCalendar) and cal.provisional_years[-1] == 2046
    assert fn([], "411281") is None


def test_holiday_data_dirs_example_runs() -> None:
    """Answers a usable list of directories for Yima only."""
    fn = _example("cgov_holiday_data_dirs")
    assert len(expect_dirs(fn("411281"))) == 1
    assert fn("411202") is None


def test_local_calendar_days_example_runs_in_a_store() -> None:
    """The example plugin closes 湖滨区 on 12 March from 2027 and leaves Yima alone."""
    fn = _example("cgov_local_calendar_days")
    days = expect_local_days(2027)(fn("411202", 2027))
    assert days == [LocalDay.day_off(dt.date(2027, 3, 12), "湖滨区植树纪念日",
                                     "Hubin Tree Planting Day")]
    assert fn("411281", 2027) is None and fn("411202", 2026) is None

    class Plugin:
        cgov_local_calendar_days = staticmethod(fn)

    with community_governance.open("memory://", entrypoints=False, plugins=[Plugin]) as gov:
        assert not gov.cases.calendar("411202").is_working_day(dt.date(2027, 3, 12))
        assert gov.cases.calendar("411281").is_working_day(dt.date(2027, 3, 12))
