"""Where an installation keeps the year files it adds (``cgov calendar add-year``).

The package ships the official year files up to its release. A year whose notice appears later
is installed by the operator into the installation's data directory:

* the data directory is ``$CGOV_DATA_DIR`` when that environment variable is set, else the
  user data directory of platformdirs (``platformdirs.user_data_dir("community-governance")``,
  e.g. ``~/.local/share/community-governance`` on Linux);
* national year files (the State Council notice, valid for every county) go to
  ``<data dir>/calendars/<year>.toml``;
* a county's own correction of a year (rare: a county plugin usually answers
  ``cgov_local_calendar_days`` instead) goes to ``<data dir>/calendars/<county code>/<year>.toml``.

The national defaults answer ``cgov_holiday_data_dirs(county_code)`` with these directories
when they exist, so every calendar built afterwards (by any process) reads them; they are read
after the package's files, and a file there replaces the package's file of the same year.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from community_governance.calendars.arrangements import (
    DataDir,
    YearArrangement,
    load_arrangements,
    load_year_file,
)
from community_governance.calendars.provisional import FIRST_RULE_YEAR, statutory_holidays
from community_governance.calendars.working_days import WorkingDayCalendar
from community_governance.errors import ValidationError

__all__ = [
    "DATA_DIR_ENV",
    "calendar_dirs",
    "check_statutory_days",
    "data_dir",
    "install_year_file",
    "validate_year_file",
]

#: The environment variable naming the installation's data directory.
DATA_DIR_ENV = "CGOV_DATA_DIR"

_COUNTY = re.compile(r"\d{6}")


def data_dir() -> Path:
    """The installation's data directory: ``$CGOV_DATA_DIR``, else platformdirs' user data
    directory for ``community-governance``."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("community-governance", appauthor=False))


def _check_county(county_code: str | None) -> None:
    if county_code is not None and not _COUNTY.fullmatch(county_code):
        raise ValidationError(
            f"county code {county_code!r} is not a 6-digit county code such as 411281",
            path="county_code")


def _calendar_dir(county_code: str | None, root: Path | None) -> Path:
    _check_county(county_code)
    base = (root if root is not None else data_dir()) / "calendars"
    return base / county_code if county_code else base


def calendar_dirs(county_code: str | None = None, root: Path | None = None) -> list[Path]:
    """The installed year-file directories that apply to ``county_code``, those that exist:
    the national one, then the county's own.

    Args:
        county_code: the county, or ``None`` for the national directory only.
        root: the data directory (default: :func:`data_dir`).
    """
    dirs = [_calendar_dir(None, root)]
    if county_code is not None:
        dirs.append(_calendar_dir(county_code, root))
    return [d for d in dirs if d.is_dir()]


def check_statutory_days(arrangement: YearArrangement) -> None:
    """Check that a year from 2025 on gives every statutory holiday of its rule as a day off.

    A notice always does, so a file that does not was mistyped (a wrong date, a holiday left
    out).

    Raises:
        ValidationError: a statutory day is not a day off, naming the holiday and the day.
    """
    if arrangement.year < FIRST_RULE_YEAR:
        return
    off = arrangement.off_days
    swapped = arrangement.swapped_workdays
    for name, _name_en, days in statutory_holidays(arrangement.year):
        for day in days:
            if day in swapped or (day not in off and day.weekday() < 5):
                raise ValidationError(
                    f"{arrangement.origin}: {day.isoformat()} is a statutory holiday ({name}) "
                    "but the file makes it a working day; every notice gives it off: list it "
                    "in that holiday's off_days",
                    path="$.holidays")


def validate_year_file(path: DataDir, extra_dirs: list[DataDir] | None = None,
                       ) -> YearArrangement:
    """Read and check a year file as the shipped ones are checked, and against them.

    The file is validated by :func:`~community_governance.calendars.load_year_file` (name,
    keys, dates), must give every statutory day off (:func:`check_statutory_days`), and must
    agree with the neighbouring years about the days at the year boundary.

    Raises:
        ValidationError: naming the file, the key and the fix.
    """
    arrangement = load_year_file(path)
    check_statutory_days(arrangement)
    others = load_arrangements(extra_dirs or [])
    others.pop(arrangement.year, None)
    WorkingDayCalendar([*others.values(), arrangement])
    return arrangement


def install_year_file(path: DataDir, *, county_code: str | None = None,
                      root: Path | None = None) -> tuple[YearArrangement, Path]:
    """Validate a year file and copy it into the installation's calendar directory.

    Args:
        path: the file, ``<year>.toml``.
        county_code: install it for this county only (``<data dir>/calendars/<county>/``);
            ``None`` (the usual case: a State Council notice) for every county.
        root: the data directory (default: :func:`data_dir`).

    Returns:
        The arrangement read and where it was installed.

    Raises:
        ValidationError: the file breaks a rule; nothing is installed.
    """
    target_dir = _calendar_dir(county_code, root)
    arrangement = validate_year_file(path, list(calendar_dirs(county_code, root)))
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{arrangement.year}.toml"
    source = Path(str(path))
    # write next to the target, then rename: a reader never sees half a file
    fd, tmp = tempfile.mkstemp(dir=target_dir, suffix=".tmp")
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return arrangement, target
