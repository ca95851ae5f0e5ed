"""National defaults: the official working-day calendar from the package's year files, the
year files installed with ``cgov calendar add-year``, and provisional years after them."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from community_governance.calendars import (
    DataDir,
    WorkingDayCalendar,
    calendar_dirs,
    load_calendar,
)
from community_governance.markers import hookimpl

_CACHE: dict[tuple[tuple[str, ...], ...], WorkingDayCalendar] = {}


def _fingerprint(directory: DataDir) -> tuple[str, ...]:
    """A directory and, for a real directory, its year files' names, sizes and times: a file
    installed later (``cgov calendar add-year``) gives a new key."""
    if isinstance(directory, str | os.PathLike):
        path = Path(directory)
        if path.is_dir():
            return (str(path), *sorted(
                f"{e.name}:{e.stat().st_size}:{e.stat().st_mtime_ns}"
                for e in path.iterdir() if e.name.endswith(".toml")))
    return (str(directory),)


@hookimpl(trylast=True)
def cgov_working_day_calendar(extra_dirs: Sequence[DataDir]) -> WorkingDayCalendar:
    """The State Council arrangements shipped with the package, plus ``extra_dirs``, plus
    provisional years (statutory holidays only) for the ten years after the last file.

    Calendars are immutable, so one is built per distinct set of directory contents and
    shared between counties and stores.
    """
    key = tuple(_fingerprint(d) for d in extra_dirs)
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = load_calendar(extra_dirs)
    return found


@hookimpl(trylast=True)
def cgov_holiday_data_dirs(county_code: str | None) -> Sequence[DataDir] | None:
    """The installation's year-file directories (``<data dir>/calendars`` and
    ``<data dir>/calendars/<county>``) that exist; the package data covers the rest."""
    return calendar_dirs(county_code) or None
