"""The package's lazy exports (PEP 562 ``__getattr__``): each name resolves to its module's
object, unknown names are refused exactly (issue #13 item 11)."""

from __future__ import annotations

import importlib

import pytest

import community_governance.calendars as calendars
from tests.domain._exact import refused

#: Every exported name and the module that defines it.
EXPORTS = {
    "arrangements": ("BOUNDARY_DAYS", "DataDir", "HolidayArrangement", "Notice", "YearArrangement",
                     "available_years", "load_arrangements", "load_year_file", "package_data_dir",
                     "parse_year_document"),
    "install": ("DATA_DIR_ENV", "calendar_dirs", "check_statutory_days", "data_dir",
                "install_year_file", "validate_year_file"),
    "lunar": ("FESTIVAL_YEARS", "Festival", "LunarDate", "festival_date", "festivals",
              "next_festival", "to_lunar"),
    "provisional": ("PROVISIONAL_RULE", "provisional_arrangement", "statutory_holidays"),
    "working_days": ("PROVISIONAL_HORIZON", "LocalDay", "WorkingDayCalendar", "load_calendar"),
}
PAIRS = [(module, name) for module, names in EXPORTS.items() for name in names]


def test_all_is_every_export() -> None:
    assert sorted(calendars.__all__) == sorted(name for _m, name in PAIRS)
    listed = calendars.__dir__()
    assert listed == sorted(set(vars(calendars)) | set(calendars.__all__))
    assert set(calendars.__all__) <= set(listed) and "__getattr__" in listed


@pytest.mark.parametrize(("module", "name"), PAIRS)
def test_each_name_resolves_to_its_module_object(module: str, name: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    expected = getattr(importlib.import_module(f"community_governance.calendars.{module}"), name)
    monkeypatch.delitem(vars(calendars), name, raising=False)  # as on first use
    value = calendars.__getattr__(name)
    assert value is expected
    assert vars(calendars)[name] is expected  # cached: the next lookup is a plain attribute
    assert getattr(calendars, name) is expected


@pytest.mark.parametrize("name", ["nope", "lunar_", "Load_calendar", "", "_LAZY_"])
def test_unknown_names_are_refused(name: str) -> None:
    refused(AttributeError, f"module 'community_governance.calendars' has no attribute {name!r}",
            calendars.__getattr__, name)
    with pytest.raises(AttributeError):
        getattr(calendars, name)
