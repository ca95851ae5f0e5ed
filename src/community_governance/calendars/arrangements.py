"""Year arrangements of the official holidays (节假日安排) and the year files that hold them.

One TOML file per year, ``<year>.toml``, holds what the State Council's notice for that year
(国务院办公厅关于<year>年部分节假日安排的通知) says: for every holiday, the days that are off
(法定节假日 and the weekend days it absorbs) and the weekend days that become working days
(调休上班日). :func:`load_arrangements` reads the package's own files plus any extra directories,
later directories overriding earlier ones year by year; every file is validated and a bad one
raises :class:`~community_governance.errors.ValidationError` naming the file, the key and the fix.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import attrs

from community_governance.errors import ValidationError

__all__ = [
    "BOUNDARY_DAYS",
    "DataDir",
    "HolidayArrangement",
    "Notice",
    "YearArrangement",
    "available_years",
    "load_arrangements",
    "load_year_file",
    "package_data_dir",
    "parse_year_document",
]

#: How far (in days) an arrangement may reach into the neighbouring years. The notice for a
#: year sometimes takes or swaps the last days of December before it for the New Year (元旦)
#: holiday, e.g. the 2019 notice: 2018-12-29 (Saturday) a working day, 2018-12-30 to 2019-01-01
#: off.
BOUNDARY_DAYS = 7

#: A directory of year files: a path (``str`` or path-like) or an importlib.resources
#: ``Traversable`` (so that a plugin can point at its own package data).
DataDir = str | os.PathLike[str] | Traversable

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_YEAR_FILE = re.compile(r"(\d{4})\.toml")
_TOP_KEYS = frozenset({"year", "source", "holidays"})
_SOURCE_KEYS = frozenset({"title", "published", "url", "notes"})
_HOLIDAY_KEYS = frozenset({"name", "name_en", "off_days", "swapped_workdays", "note"})


def _date_tuple(days: Iterable[date]) -> tuple[date, ...]:
    return tuple(days)


@attrs.frozen
class Notice:
    """The official notice (通知) an arrangement comes from.

    Attributes:
        title: the notice's title, e.g. ``国务院办公厅关于2026年部分节假日安排的通知``.
        published: the date of the notice (成文日期), when known.
        url: where it can be read, when known.
        notes: anything the reader should know (later amendments, extra notices...).
    """

    title: str
    published: date | None = None
    url: str | None = None
    notes: str | None = None


@attrs.frozen
class HolidayArrangement:
    """One holiday of a year arrangement: its off days and swapped working days (放假调休安排).

    Attributes:
        name: the Chinese name as the notice writes it, e.g. ``春节`` or ``国庆节、中秋节``.
        name_en: the English name.
        off_days: the days off (statutory holidays plus the weekend days the holiday absorbs).
        swapped_workdays: Saturdays or Sundays that are working days (调休上班日).
        note: anything the reader should know about this holiday.
    """

    name: str
    name_en: str
    off_days: tuple[date, ...] = attrs.field(converter=_date_tuple)
    swapped_workdays: tuple[date, ...] = attrs.field(converter=_date_tuple, default=())
    note: str | None = None


def _holiday_tuple(holidays: Iterable[HolidayArrangement]) -> tuple[HolidayArrangement, ...]:
    return tuple(holidays)


@attrs.frozen
class YearArrangement:
    """The official holiday arrangement of one year (年度节假日安排), as its notice publishes it.

    Construction validates it: every date lies in ``year`` or within :data:`BOUNDARY_DAYS` of
    its ends, a swapped working day is a Saturday or Sunday, no day is listed twice.

    Attributes:
        year: the year the notice is for.
        notice: the notice it comes from.
        holidays: the holidays, in the notice's order.
        origin: where it was read from (a file path), for messages; not compared.
        provisional: computed from the statutory holidays because no notice is known yet
            (see :mod:`~community_governance.calendars.provisional`); year files are never
            provisional.

    Raises:
        ValidationError: the arrangement breaks one of the rules above.
    """

    year: int
    notice: Notice
    holidays: tuple[HolidayArrangement, ...] = attrs.field(converter=_holiday_tuple)
    origin: str = attrs.field(default="<memory>", eq=False)
    provisional: bool = attrs.field(default=False, kw_only=True)

    def __attrs_post_init__(self) -> None:
        _check_arrangement(self)

    @property
    def off_days(self) -> frozenset[date]:
        """Every day off of every holiday."""
        return frozenset(d for h in self.holidays for d in h.off_days)

    @property
    def swapped_workdays(self) -> frozenset[date]:
        """Every swapped working day (调休上班日) of every holiday."""
        return frozenset(d for h in self.holidays for d in h.swapped_workdays)

    def holiday_of(self, day: date) -> HolidayArrangement | None:
        """The holiday that lists ``day`` as off or as a swapped working day, if any."""
        for holiday in self.holidays:
            if day in holiday.off_days or day in holiday.swapped_workdays:
                return holiday
        return None


def _fail(origin: str, message: str, key: str) -> ValidationError:
    return ValidationError(f"{origin}: {message}", path=key)


def _describe(day: date) -> str:
    return f"{day.isoformat()} ({_WEEKDAYS[day.weekday()]})"


def _check_arrangement(arr: YearArrangement) -> None:
    origin = arr.origin
    if not isinstance(arr.year, int) or isinstance(arr.year, bool) or not 1 <= arr.year <= 9999:
        raise _fail(origin, f"year {arr.year!r} is not a year; write it as e.g. 2027", "$.year")
    if not arr.notice.title.strip():
        raise _fail(origin, "the notice title is empty; copy the notice's title", "$.source.title")
    if not arr.holidays:
        raise _fail(
            origin,
            "no holidays are listed; add a [[holidays]] table for each holiday of the notice",
            "$.holidays",
        )
    # the first and last years have no neighbour to reach into (date arithmetic would overflow)
    low = date(arr.year, 1, 1) - timedelta(days=BOUNDARY_DAYS) if arr.year > 1 else date.min
    high = date(arr.year, 12, 31) + timedelta(days=BOUNDARY_DAYS) if arr.year < 9999 else date.max
    seen: dict[date, str] = {}
    for i, holiday in enumerate(arr.holidays):
        where = f"$.holidays[{i}]"
        if not holiday.name.strip() or not holiday.name_en.strip():
            raise _fail(
                origin,
                f"holiday {i} needs both a Chinese name and an English name (name, name_en)",
                where,
            )
        if not holiday.off_days:
            raise _fail(
                origin,
                f"holiday {holiday.name} lists no off days; list its days off in off_days",
                f"{where}.off_days",
            )
        lists = (("off_days", holiday.off_days), ("swapped_workdays", holiday.swapped_workdays))
        for key, days in lists:
            for j, day in enumerate(days):
                at = f"{where}.{key}[{j}]"
                if not isinstance(day, date) or isinstance(day, datetime):
                    raise _fail(
                        origin,
                        f"{day!r} is not a date; write a bare TOML date such as "
                        f"{arr.year}-10-01 (no quotes, no time)",
                        at,
                    )
                if not low <= day <= high:
                    raise _fail(
                        origin,
                        f"{day.isoformat()} is outside {arr.year}: an arrangement lists days of "
                        f"its own year and at most {BOUNDARY_DAYS} days either side of it (a New "
                        f"Year holiday reaching into December); correct the date or move it to "
                        f"the file of {day.year}",
                        at,
                    )
                if key == "swapped_workdays" and day.weekday() < 5:
                    raise _fail(
                        origin,
                        f"{_describe(day)} is listed as a swapped working day (调休上班日), but "
                        "only a Saturday or Sunday can be one (Monday to Friday are working days "
                        "anyway); correct the date or remove it",
                        at,
                    )
                if day in seen:
                    raise _fail(
                        origin,
                        f"{day.isoformat()} is listed twice, at {seen[day]} and here; a day is "
                        "either off or a swapped working day, of one holiday: keep one entry",
                        at,
                    )
                seen[day] = at


def _date_list(origin: str, value: Any, key: str, *, required: bool) -> list[date]:
    if value is None:
        if required:
            raise _fail(origin, f"{key.rsplit('.', 1)[-1]} is missing; list the dates", key)
        return []
    if not isinstance(value, list):
        raise _fail(
            origin,
            f"expected a list of dates like [2026-10-01, 2026-10-02], got {value!r}",
            key,
        )
    out: list[date] = []
    for j, item in enumerate(value):
        if isinstance(item, str):
            raise _fail(
                origin,
                f"{item!r} is a quoted string; write the date bare, without quotes: {item.strip()}",
                f"{key}[{j}]",
            )
        if not isinstance(item, date) or isinstance(item, datetime):
            raise _fail(
                origin,
                f"{item!r} is not a date; write a bare TOML date such as 2026-10-01",
                f"{key}[{j}]",
            )
        out.append(item)
    return out


def _text(origin: str, table: Mapping[str, Any], key: str, at: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(origin, f"{key} must be a non-empty string, got {value!r}", f"{at}.{key}")
    return value


def _required_text(origin: str, table: Mapping[str, Any], key: str, at: str) -> str:
    value = _text(origin, table, key, at)
    if value is None:
        raise _fail(origin, f'{key} is missing; add {key} = "..."', f"{at}.{key}")
    return value


def _unknown_keys(origin: str, table: Mapping[str, Any], allowed: frozenset[str], at: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _fail(
            origin,
            f"unknown key {unknown[0]!r}; the keys allowed here are {', '.join(sorted(allowed))}",
            f"{at}.{unknown[0]}",
        )


def parse_year_document(
    document: Mapping[str, Any], *, origin: str = "<memory>"
) -> YearArrangement:
    """Build a :class:`YearArrangement` from a parsed year file (the dict tomllib returns).

    Args:
        document: the parsed TOML document.
        origin: where it came from, for messages.

    Returns:
        The validated arrangement.

    Raises:
        ValidationError: a key is missing, unknown or of the wrong type, or the arrangement
            breaks a rule of :class:`YearArrangement`.
    """
    _unknown_keys(origin, document, _TOP_KEYS, "$")
    year = document.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        raise _fail(origin, f"year must be an integer such as 2027, got {year!r}", "$.year")
    source = document.get("source")
    if not isinstance(source, dict):
        raise _fail(
            origin,
            'the [source] table is missing; add [source] with title = "国务院办公厅关于'
            f'{year}年部分节假日安排的通知"',
            "$.source",
        )
    _unknown_keys(origin, source, _SOURCE_KEYS, "$.source")
    published = source.get("published")
    if published is not None and (
        not isinstance(published, date) or isinstance(published, datetime)
    ):
        raise _fail(
            origin,
            f"published must be a bare TOML date such as {year - 1}-11-04, got {published!r}",
            "$.source.published",
        )
    notice = Notice(
        title=_required_text(origin, source, "title", "$.source"),
        published=published,
        url=_text(origin, source, "url", "$.source"),
        notes=_text(origin, source, "notes", "$.source"),
    )
    raw_holidays = document.get("holidays")
    if not isinstance(raw_holidays, list) or not raw_holidays:
        raise _fail(
            origin,
            "no holidays are listed; add a [[holidays]] table for each holiday of the notice",
            "$.holidays",
        )
    holidays: list[HolidayArrangement] = []
    for i, raw in enumerate(raw_holidays):
        at = f"$.holidays[{i}]"
        if not isinstance(raw, dict):
            raise _fail(origin, "each holiday must be a [[holidays]] table", at)
        _unknown_keys(origin, raw, _HOLIDAY_KEYS, at)
        holidays.append(
            HolidayArrangement(
                name=_required_text(origin, raw, "name", at),
                name_en=_required_text(origin, raw, "name_en", at),
                off_days=_date_list(origin, raw.get("off_days"), f"{at}.off_days", required=True),
                swapped_workdays=_date_list(
                    origin, raw.get("swapped_workdays"), f"{at}.swapped_workdays", required=False
                ),
                note=_text(origin, raw, "note", at),
            )
        )
    return YearArrangement(year=year, notice=notice, holidays=holidays, origin=origin)


def load_year_file(path: DataDir) -> YearArrangement:
    """Read and validate one year file.

    Args:
        path: the file, named ``<year>.toml``.

    Returns:
        The validated arrangement.

    Raises:
        ValidationError: the file is misnamed, is not valid TOML, or breaks a rule.
    """
    entry = _traversable(path)
    origin = str(entry)
    match = _YEAR_FILE.fullmatch(entry.name)
    if match is None:
        raise ValidationError(
            f"{origin}: a calendar data directory holds only year files named <year>.toml "
            "(e.g. 2027.toml); rename or remove this file",
            path="$",
        )
    try:
        document = tomllib.loads(entry.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(
            f"{origin}: not valid TOML ({exc}); fix the syntax", path="$"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{origin}: not UTF-8 text; save it as UTF-8", path="$") from exc
    arrangement = parse_year_document(document, origin=origin)
    if arrangement.year != int(match.group(1)):
        raise _fail(
            origin,
            f"the file is named {entry.name} but says year = {arrangement.year}; make them agree",
            "$.year",
        )
    return arrangement


def package_data_dir() -> Traversable:
    """The directory of year files shipped with the package (``calendars/data``)."""
    return files("community_governance.calendars").joinpath("data")


def _traversable(directory: DataDir) -> Traversable:
    if isinstance(directory, str | os.PathLike):
        return Path(directory)
    return directory


def _year_files(directory: DataDir) -> Iterator[Traversable]:
    folder = _traversable(directory)
    if not folder.is_dir():
        raise ValidationError(
            f"{folder}: calendar data directory does not exist or is not a directory; "
            "pass an existing directory of <year>.toml files",
            path="extra_dirs",
        )
    entries = sorted(
        (e for e in folder.iterdir() if e.is_file() and e.name.lower().endswith(".toml")),
        key=lambda e: e.name,
    )
    yield from entries


def _sources(extra_dirs: Iterable[DataDir]) -> list[DataDir]:
    if isinstance(extra_dirs, str | os.PathLike | Traversable):
        # A lone directory: a string would otherwise be iterated character by character.
        extra_dirs = [extra_dirs]
    return [package_data_dir(), *extra_dirs]


def load_arrangements(extra_dirs: Iterable[DataDir] = ()) -> dict[int, YearArrangement]:
    """Read every year file of the package data and of ``extra_dirs``.

    Args:
        extra_dirs: more directories of ``<year>.toml`` files, e.g. a county plugin's own data
            directory. Later sources override earlier ones for the same year, and all of them
            override the package's files.

    Returns:
        The arrangements by year, in year order.

    Raises:
        ValidationError: a directory does not exist, or a file is misnamed or invalid.
    """
    chosen: dict[int, YearArrangement] = {}
    for directory in _sources(extra_dirs):
        for entry in _year_files(directory):
            arrangement = load_year_file(entry)
            chosen[arrangement.year] = arrangement
    return dict(sorted(chosen.items()))


def available_years(extra_dirs: Iterable[DataDir] = ()) -> tuple[int, ...]:
    """The years for which a year file exists, in the package data or in ``extra_dirs``.

    Only the file names are looked at (cheap); :func:`load_arrangements` validates the files.

    Args:
        extra_dirs: more directories of ``<year>.toml`` files.

    Returns:
        The years, ascending.

    Raises:
        ValidationError: a directory does not exist.
    """
    years: set[int] = set()
    for directory in _sources(extra_dirs):
        for entry in _year_files(directory):
            match = _YEAR_FILE.fullmatch(entry.name)
            if match is not None:
                years.add(int(match.group(1)))
    return tuple(sorted(years))
