"""Official working-day calendar (工作日历) and lunar festival dates (农历节日).

Deadlines in Chinese offices are counted in working days (工作日) of the official calendar:
Monday to Friday, less the statutory holidays (法定节假日) and the weekdays swapped off around
them, plus the weekend days swapped into working days (调休上班日). The State Council publishes
the arrangement for each year in a notice, 国务院办公厅关于<year>年部分节假日安排的通知,
usually in November or December of the year before. Festival visits (走访慰问) follow the lunar
calendar instead.

Working days
============

::

    from datetime import date
    from community_governance.calendars import load_calendar

    cal = load_calendar()                              # package data, 2004 onwards
    cal.is_working_day(date(2026, 10, 10))             # True: a Saturday swapped to work
    cal.add_working_days(date(2026, 9, 25), 10)        # date(2026, 10, 15)
    cal.working_days_between(date(2026, 9, 25), date(2026, 10, 15))   # 10

Counting follows the rule of 民法典 第二百零一条 and 行政许可法 第八十二条: the day a period
starts on is not counted. ``add_working_days(start, n)`` is the n-th working day after
``start``; ``n=0`` is ``start`` if it is a working day, else the next working day.
``working_days_between(start, end)`` counts the working days in ``(start, end]`` (negative if
``end < start``), so ``working_days_between(d, add_working_days(d, n)) == n``. Both accept
``datetime.date`` and pendulum ``Date``, reject datetimes (take the date in Asia/Shanghai
first), and return plain ``datetime.date``.

Years after the last year file are covered by a **provisional** arrangement (ten years by
default): the statutory holidays of 《全国年节及纪念日放假办法》 (2025 rule) and the weekends, no
swapped days (see :mod:`~community_governance.calendars.provisional`).
:meth:`WorkingDayCalendar.deadline` and :meth:`WorkingDayCalendar.is_provisional` say when an
answer depends on such a year; :func:`load_calendar` with ``provisional_years=0`` leaves them
out, and a question about a year no arrangement covers raises
:class:`~community_governance.errors.CalendarYearMissing` naming the year.

A county's calendar is the national one plus its :class:`LocalDay` entries (local days off and
extra working days, from the ``cgov_local_calendar_days`` hook):
:meth:`WorkingDayCalendar.with_local_days`.

Year files
----------

Each year is one small TOML file, ``<year>.toml``, shipped in ``calendars/data/`` (2004-2026,
generated once from chinese_calendar by ``calendars/_generate.py`` and reviewed against the
notices)::

    year = 2026

    [source]
    title = "国务院办公厅关于2026年部分节假日安排的通知"
    published = 2025-11-04           # optional; also optional: url, notes

    [[holidays]]                     # one table per holiday of the notice, in its order
    name = "春节"
    name_en = "Spring Festival"
    off_days = [2026-02-15, 2026-02-16, 2026-02-17, 2026-02-18, 2026-02-19,
                2026-02-20, 2026-02-21, 2026-02-22, 2026-02-23]
    swapped_workdays = [2026-02-14, 2026-02-28]   # optional; Saturdays/Sundays only
    # note = "..."                   # optional

Dates are bare TOML dates. ``off_days`` lists every day off of the holiday, weekend days it
absorbs included (listing them or not changes nothing: a weekend day not in
``swapped_workdays`` is off anyway). Dates may reach up to :data:`BOUNDARY_DAYS` days into the
neighbouring years, for a New Year holiday that takes or swaps the last days of December (the
2019 notice made 2018-12-29 a working day and 2018-12-31 a day off). The loader rejects, with a
:class:`~community_governance.errors.ValidationError` naming the file, the key and the fix: a
file not named ``<year>.toml`` or whose ``year`` disagrees with its name, unknown or missing
keys, a quoted date, a date outside the year and its boundary days, a swapped working day that
is not a Saturday or Sunday, a day listed twice, and two files that disagree about a day.

Adding a year
-------------

When the notice for a new year appears, write its file from the notice, e.g. ``2027.toml``:

* an operator installs it with ``cgov calendar add-year 2027.toml`` (see
  :mod:`~community_governance.calendars.install`: it goes to ``$CGOV_DATA_DIR/calendars``,
  else the platformdirs user data directory, and open provisional deadlines are recomputed);
* a release adds it to ``src/community_governance/calendars/data/``;
* a county (or an operator, before the release) puts it in a directory of its own, e.g. a
  county plugin's package data, and passes that directory:
  ``load_calendar(extra_dirs=[my_plugin_data_dir])``. Directories are read in order, package
  data first; a later file for the same year replaces the earlier one whole (a county can so
  correct a year as well as add one).

:func:`available_years` lists the years on disk; :attr:`WorkingDayCalendar.years` the years a
calendar covers. A calendar can also be built in code from :class:`YearArrangement` objects:
``WorkingDayCalendar([...])``.

Until the notice for year ``Y + 1`` is out, the last days of December of ``Y`` are taken as
the notice of ``Y`` and the weekday rule give them; the ``Y + 1`` notice, once added, may still
change them (as the notices of 2006, 2007, 2008, 2012 and 2019 did).

Lunar festivals
===============

:func:`festival_date` and :func:`festivals` give the Gregorian dates of 除夕, 春节, 元宵节,
端午节, 中秋节 and 重阳节 (:class:`Festival`) for the years in :data:`FESTIVAL_YEARS`, from
lunar-python; :func:`next_festival` finds the next one after a day (for festival visits), and
:func:`to_lunar` converts a day to its lunar date. 除夕 of year ``Y`` is the eve of the Spring
Festival of ``Y``: the last day of the 12th lunar month, the 29th in some years.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from community_governance.calendars.arrangements import (
        BOUNDARY_DAYS,
        DataDir,
        HolidayArrangement,
        Notice,
        YearArrangement,
        available_years,
        load_arrangements,
        load_year_file,
        package_data_dir,
        parse_year_document,
    )
    from community_governance.calendars.install import (
        DATA_DIR_ENV,
        calendar_dirs,
        check_statutory_days,
        data_dir,
        install_year_file,
        validate_year_file,
    )
    from community_governance.calendars.lunar import (
        FESTIVAL_YEARS,
        Festival,
        LunarDate,
        festival_date,
        festivals,
        next_festival,
        to_lunar,
    )
    from community_governance.calendars.provisional import (
        PROVISIONAL_RULE,
        provisional_arrangement,
        statutory_holidays,
    )
    from community_governance.calendars.working_days import (
        PROVISIONAL_HORIZON,
        LocalDay,
        WorkingDayCalendar,
        load_calendar,
    )

#: The module of each name of the package, imported on first use (PEP 562): a plugin that
#: needs :class:`LocalDay` does not load lunar-python, and ``cgov --help`` loads nothing here.
_LAZY = {
    **dict.fromkeys(("BOUNDARY_DAYS", "DataDir", "HolidayArrangement", "Notice",
                     "YearArrangement", "available_years", "load_arrangements", "load_year_file",
                     "package_data_dir", "parse_year_document"), "arrangements"),
    **dict.fromkeys(("DATA_DIR_ENV", "calendar_dirs", "check_statutory_days", "data_dir",
                     "install_year_file", "validate_year_file"), "install"),
    **dict.fromkeys(("FESTIVAL_YEARS", "Festival", "LunarDate", "festival_date", "festivals",
                     "next_festival", "to_lunar"), "lunar"),
    **dict.fromkeys(("PROVISIONAL_RULE", "provisional_arrangement", "statutory_holidays"),
                    "provisional"),
    **dict.fromkeys(("PROVISIONAL_HORIZON", "LocalDay", "WorkingDayCalendar", "load_calendar"),
                    "working_days"),
}


def __getattr__(name: str) -> Any:
    """The names of :data:`__all__`, imported from their modules on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "BOUNDARY_DAYS",
    "DATA_DIR_ENV",
    "FESTIVAL_YEARS",
    "PROVISIONAL_HORIZON",
    "PROVISIONAL_RULE",
    "DataDir",
    "Festival",
    "HolidayArrangement",
    "LocalDay",
    "LunarDate",
    "Notice",
    "WorkingDayCalendar",
    "YearArrangement",
    "available_years",
    "calendar_dirs",
    "check_statutory_days",
    "data_dir",
    "festival_date",
    "festivals",
    "install_year_file",
    "load_arrangements",
    "load_calendar",
    "load_year_file",
    "next_festival",
    "package_data_dir",
    "parse_year_document",
    "provisional_arrangement",
    "statutory_holidays",
    "to_lunar",
    "validate_year_file",
]
