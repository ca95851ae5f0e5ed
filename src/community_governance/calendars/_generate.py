"""Write the year files ``calendars/data/<year>.toml`` from chinese_calendar's data (run once).

The shipped files for 2004-2026 were made by this script and then reviewed by hand; from then
on the files are the source of truth and are edited by hand (a new year is a new file written
from the State Council notice). Keep this script to regenerate or audit them::

    .venv/bin/python -m community_governance.calendars._generate --out /tmp/cal 2004 2026

``chinese_calendar`` (a dev dependency) is only needed to run this script.

chinese_calendar keys its data by date, and lists the absorbed weekend days of some holidays
and not of others. The script groups its days into one ``[[holidays]]`` entry per run of
consecutive days off (so National Day and Mid-Autumn share one entry when the notice merges
them), fills in the weekend days between the listed days of a run, and files a New Year day
that falls in December under the next year's notice, which is where the notices put them.
"""

from __future__ import annotations

import argparse
import importlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

__all__ = ["NAMES", "PUBLISHED", "generate", "render_year"]

#: chinese_calendar's English holiday names -> (Chinese name, English name) in our files.
NAMES: dict[str, tuple[str, str]] = {
    "New Year's Day": ("元旦", "New Year's Day"),
    "Spring Festival": ("春节", "Spring Festival"),
    "Tomb-sweeping Day": ("清明节", "Qingming Festival"),
    "Labour Day": ("劳动节", "Labour Day"),
    "Dragon Boat Festival": ("端午节", "Dragon Boat Festival"),
    "National Day": ("国庆节", "National Day"),
    "Mid-autumn Festival": ("中秋节", "Mid-Autumn Festival"),
    "Anti-Fascist 70th Day": (
        "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
        "70th anniversary of the victory of the Chinese People's War of Resistance against "
        "Japanese Aggression and the World Anti-Fascist War",
    ),
}

#: The day each year's notice was issued (成文日期), where it is on record.
PUBLISHED: dict[int, date] = {
    2006: date(2005, 12, 16),
    2007: date(2006, 12, 14),
    2009: date(2008, 12, 10),
    2010: date(2009, 12, 8),
    2011: date(2010, 12, 10),
    2012: date(2011, 12, 6),
    2014: date(2013, 12, 11),
    2015: date(2014, 12, 16),
    2016: date(2015, 12, 10),
    2017: date(2016, 12, 1),
    2018: date(2017, 11, 30),
    2019: date(2018, 12, 6),
    2020: date(2019, 11, 21),
    2021: date(2020, 11, 25),
    2022: date(2021, 10, 25),
    2023: date(2022, 12, 8),
    2024: date(2023, 10, 25),
    2025: date(2024, 11, 12),
    2026: date(2025, 11, 4),
}

_SOURCE_NOTES: dict[int, str] = {
    2015: "抗战胜利70周年纪念日的放假安排另见《国务院关于中国人民抗日战争暨世界反法西斯战争胜利"
    "70周年纪念日调休放假的通知》。",
    2019: "劳动节安排已按《国务院办公厅关于调整2019年劳动节假期安排的通知》（2019年3月22日）调整。",
    2020: "春节假期已按《国务院办公厅关于延长2020年春节假期的通知》（2020年1月27日）延长。",
}

_HOLIDAY_NOTES: dict[tuple[int, str], str] = {
    (2006, "New Year's Day"): "通知：12月31日（星期六）上班（chinese_calendar 1.11 漏列此日）。",
    (2015, "Anti-Fascist 70th Day"): "9月3日至5日放假调休，9月6日（星期日）上班。",
    (2019, "Labour Day"): "调整后：5月1日至4日放假调休，共4天；"
    "4月28日（星期日）、5月5日（星期日）上班。",
    (2020, "Spring Festival"): "原定1月24日至30日放假、2月1日（星期六）上班；延长至2月2日，"
    "2月1日不再上班。",
}

# Corrections found when reviewing the output against the notices (the notice's wording
# wins where chinese_calendar's grouping differs; none of them changes a working day).
_NAME_FIXES: dict[tuple[int, str], tuple[str, str]] = {
    # 2017 notice: "中秋节、国庆节：10月1日至8日放假调休".
    (2017, "国庆节、中秋节"): ("中秋节、国庆节", "Mid-Autumn Festival, National Day"),
}
_EXTRA_OFF_DAYS: dict[tuple[int, str], list[date]] = {
    # 2015 notice: "9月3日至5日调休放假，共3天" (chinese_calendar leaves out Saturday the 5th).
    (2015, "Anti-Fascist 70th Day"): [date(2015, 9, 5)],
}

_EXTRA_WORKDAYS: dict[tuple[int, str], list[date]] = {
    # 2006 notice (国办发明电〔2005〕35号): "元旦：1月1日—3日放假……12月31日（星期六）上班".
    # chinese_calendar 1.11 misses this swapped working day; python-holidays has it.
    (2006, "New Year's Day"): [date(2005, 12, 31)],
}

_WEEKDAY_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _notice_year(day: date, name: str) -> int:
    # A New Year day in December belongs to the notice of the year that starts.
    if name == "New Year's Day" and day.month == 12:
        return day.year + 1
    return day.year


def _is_working(day: date, holidays: dict[date, str], workdays: dict[date, str]) -> bool:
    return day in workdays or (day.weekday() < 5 and day not in holidays)


def _blocks(
    year: int, holidays: dict[date, str], workdays: dict[date, str]
) -> list[dict[str, Any]]:
    """Group one notice year's listed off days into runs of consecutive non-working days."""
    listed = sorted(d for d, n in holidays.items() if _notice_year(d, n) == year)
    blocks: list[dict[str, Any]] = []
    for day in listed:
        if blocks:
            last: date = blocks[-1]["days"][-1]
            gap = [last + timedelta(days=k) for k in range(1, (day - last).days)]
            if all(not _is_working(g, holidays, workdays) for g in gap):
                blocks[-1]["days"].extend([*gap, day])
                if holidays[day] not in blocks[-1]["names"]:
                    blocks[-1]["names"].append(holidays[day])
                continue
        blocks.append({"days": [day], "names": [holidays[day]], "workdays": []})
    for day, name in sorted(workdays.items()):
        if _notice_year(day, name) != year:
            continue
        owners = [b for b in blocks if name in b["names"]]
        if not owners:
            raise SystemExit(f"{day}: swapped workday of {name} has no holiday block in {year}")
        nearest = min(owners, key=lambda b: min(abs((day - d).days) for d in b["days"]))
        nearest["workdays"].append(day)
    for (fix_year, name), extra in _EXTRA_OFF_DAYS.items():
        if fix_year == year:
            block = next(b for b in blocks if name in b["names"])
            block["days"] = sorted({*block["days"], *extra})
    for (fix_year, name), extra in _EXTRA_WORKDAYS.items():
        if fix_year == year:
            block = next(b for b in blocks if name in b["names"])
            block["workdays"] = sorted({*block["workdays"], *extra})
    return blocks


def _dates(days: list[date]) -> str:
    items = [d.isoformat() for d in days]
    if len(items) <= 5:
        return "[" + ", ".join(items) + "]"
    rows = [", ".join(items[k : k + 5]) + "," for k in range(0, len(items), 5)]
    return "[\n" + "".join(f"    {row}\n" for row in rows) + "]"


def _span(days: list[date]) -> str:
    first, last = days[0], days[-1]
    if first == last:
        return f"{first.isoformat()} ({_WEEKDAY_SHORT[first.weekday()]}), 1 day"
    return (
        f"{first.isoformat()} ({_WEEKDAY_SHORT[first.weekday()]}) to {last.isoformat()} "
        f"({_WEEKDAY_SHORT[last.weekday()]}), {len(days)} days"
    )


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_year(year: int, holidays: dict[date, str], workdays: dict[date, str]) -> str:
    """The TOML text of one year file."""
    lines = [
        f"# Official working-day arrangement for {year} ({year}年部分节假日安排).",
        "# Generated once from chinese_calendar by community_governance.calendars._generate,",
        "# then reviewed by hand; edit this file by hand from now on. Every date is a bare TOML",
        "# date. off_days: the days off, including the weekend days a holiday absorbs;",
        "# swapped_workdays: Saturdays or Sundays that are working days (调休上班日).",
        f"year = {year}",
        "",
        "[source]",
        f"title = {_quote(f'国务院办公厅关于{year}年部分节假日安排的通知')}",
    ]
    if year in PUBLISHED:
        lines.append(f"published = {PUBLISHED[year].isoformat()}")
    if year in _SOURCE_NOTES:
        lines.append(f"notes = {_quote(_SOURCE_NOTES[year])}")
    for block in _blocks(year, holidays, workdays):
        names = [NAMES[n] for n in block["names"]]
        name = "、".join(n[0] for n in names)
        name_en = ", ".join(n[1] for n in names)
        name, name_en = _NAME_FIXES.get((year, name), (name, name_en))
        lines += [
            "",
            "[[holidays]]",
            f"name = {_quote(name)}",
            f"name_en = {_quote(name_en)}",
            f"# {_span(block['days'])}",
            f"off_days = {_dates(block['days'])}",
        ]
        if block["workdays"]:
            shown = ", ".join(
                f"{d.isoformat()} ({_WEEKDAY_SHORT[d.weekday()]})" for d in block["workdays"]
            )
            lines.append(f"# working: {shown}")
            lines.append(f"swapped_workdays = {_dates(block['workdays'])}")
        for name in block["names"]:
            if (year, name) in _HOLIDAY_NOTES:
                lines.append(f"note = {_quote(_HOLIDAY_NOTES[(year, name)])}")
    return "\n".join(lines) + "\n"


def generate(out: Path, first: int, last: int) -> list[Path]:
    """Write ``<year>.toml`` for every year from ``first`` to ``last`` into ``out``."""
    constants = importlib.import_module("chinese_calendar.constants")
    holidays: dict[date, str] = dict(constants.holidays)
    workdays: dict[date, str] = dict(constants.workdays)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for year in range(first, last + 1):
        path = out / f"{year}.toml"
        path.write_text(render_year(year, holidays, workdays), encoding="utf-8")
        written.append(path)
    return written


_STATUTORY_HEADER = '''"""The lunar-computed days of the statutory holidays, one line a year from
the rule's first year (2025) to the last year lunar-python covers (2200), as ``MMDD``: 除夕,
清明, 端午 and 中秋.

Generated by :func:`community_governance.calendars._generate.render_statutory_table` from
:func:`community_governance.calendars.provisional.compute_lunar_days` (lunar-python), so that
building a calendar does not compute a lunar year per provisional year (about 30 ms each; a
command line would pay it on every start, issue 21). tests/calendars checks every line against
the computation; regenerate with::

    python -m community_governance.calendars._generate --statutory-table > _statutory_dates.py
"""

#: year -> "除夕 清明 端午 中秋" as MMDD of that Gregorian year.
STATUTORY_LUNAR_DAYS: dict[int, str] = {
'''


def render_statutory_table() -> str:
    """The source of ``calendars/_statutory_dates.py``: :func:`compute_lunar_days` for every
    year from the rule's first year to the last lunar-python covers."""
    from community_governance.calendars.lunar import FESTIVAL_YEARS
    from community_governance.calendars.provisional import FIRST_RULE_YEAR, compute_lunar_days

    lines = []
    for year in range(FIRST_RULE_YEAR, FESTIVAL_YEARS.stop):
        days = compute_lunar_days(year)
        lines.append(f'    {year}: "{" ".join(d.strftime("%m%d") for d in days)}",')
    return _STATUTORY_HEADER + "\n".join(lines) + "\n}\n"


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    parser.add_argument("--statutory-table", action="store_true",
                        help="print calendars/_statutory_dates.py instead")
    parser.add_argument("first", type=int, nargs="?")
    parser.add_argument("last", type=int, nargs="?")
    args = parser.parse_args()
    if args.statutory_table:
        print(render_statutory_table(), end="")
        return
    if args.first is None or args.last is None:
        parser.error("give the first and last year (or --statutory-table)")
    for path in generate(args.out, args.first, args.last):
        print(path)


if __name__ == "__main__":
    main()
