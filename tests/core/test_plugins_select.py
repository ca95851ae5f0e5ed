"""get_plugin_manager(defaults=[...]): only the named default modules (issue 21, start-up)."""

from __future__ import annotations

import pytest

from community_governance.plugins import Hooks, get_plugin_manager, working_day_calendar


def test_only_the_named_defaults_are_registered() -> None:
    pm = get_plugin_manager(entrypoints=False, defaults=("calendars",))
    names = {pm.get_name(p) for p in pm.get_plugins()}
    assert names == {"cgov.defaults.calendars"}
    # and the calendar it gives is the full one's
    full = working_day_calendar(Hooks(get_plugin_manager(entrypoints=False)), None)
    lean = working_day_calendar(Hooks(pm), None)
    assert lean is full or lean.arrangements == full.arrangements


def test_an_unknown_default_module_is_refused() -> None:
    with pytest.raises(ValueError, match=r"no default plugin module \['calender'\].*calendars"):
        get_plugin_manager(entrypoints=False, defaults=("calender",))
