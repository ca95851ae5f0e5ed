"""``cgov calendar``: working-day deadlines, lunar festival dates, and installing the official
year file of a new year (``add-year``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from community_governance.cli import echo_json, writer_option

if TYPE_CHECKING:
    from community_governance.domain.access import Actor

_PROVISIONAL = ("provisional (暂定): {years} has no official holiday notice yet; counted on the "
                "statutory holidays, recomputed when `cgov calendar add-year` installs it")


def _calendar(db: str | None, county: str | None) -> Any:
    """The calendar of ``county`` from the hooks of the database's plugins (or the installed
    ones)."""
    if db:
        from community_governance.cli import open_db

        with open_db(db) as gov:
            return gov.cases.calendar(county)
    from community_governance.plugins import Hooks, get_plugin_manager, working_day_calendar

    # Only the calendar defaults: no other default module answers a calendar hook, and
    # importing them all would cost most of the command's start-up (issue 21).
    return working_day_calendar(Hooks(get_plugin_manager(defaults=("calendars",))), county)


def _county_option(f: Any) -> Any:
    return click.option("--county", default=None, metavar="CODE",
                        help="the county's calendar (its local days off included), e.g. "
                             "411281; default: the national calendar")(f)


def _db_option(f: Any) -> Any:
    return click.option("--db", envvar="CGOV_DB", default=None,
                        help="use the calendar of this database's county plugins")(f)


def register(cli: click.Group) -> None:
    """Add the ``calendar`` group."""

    @cli.group()
    def calendar() -> None:
        """The official working-day calendar (工作日历) and lunar festivals (农历节日)."""

    @calendar.command()
    @click.argument("start", type=click.DateTime(formats=["%Y-%m-%d"]))
    @click.argument("n", type=click.IntRange(min=0))
    @_db_option
    @_county_option
    @click.option("--json", "as_json", is_flag=True, help="print JSON")
    def workdays(start: dt.datetime, n: int, db: str | None, county: str | None,
                 as_json: bool) -> None:
        """The day N working days after START (START not counted), e.g. 2026-09-25 10.

        A deadline counted through a year whose official notice is not out yet is marked
        provisional (暂定): on stdout after the date, and as "provisional": true in JSON.
        """
        cal = _calendar(db, county)
        day = start.date()
        end, provisional = cal.deadline(day, n)
        skipped = []
        d = day + dt.timedelta(days=1)
        while d <= end:
            if not cal.is_working_day(d):
                h = cal.holiday_of(d)
                skipped.append({"date": d.isoformat(), "holiday": h.name if h else "周末"})
            d += dt.timedelta(days=1)
        years = [y for y in range(day.year, end.year + 1) if y in cal.provisional_years]
        if as_json:
            echo_json({"start": day.isoformat(), "working_days": n, "deadline": end.isoformat(),
                       "provisional": provisional, "provisional_years": years,
                       "county": county, "days_off": skipped})
            return
        click.echo(end.isoformat() + ("  provisional 暂定" if provisional else ""))
        if skipped:
            names = sorted({s["holiday"] for s in skipped})
            click.echo(f"  ({len(skipped)} days off skipped: {', '.join(names)})", err=True)
        if provisional:
            click.secho("  " + _PROVISIONAL.format(years=", ".join(map(str, years))),
                        fg="yellow", err=True)

    @calendar.command()
    @click.argument("start", type=click.DateTime(formats=["%Y-%m-%d"]))
    @click.argument("end", type=click.DateTime(formats=["%Y-%m-%d"]))
    @_db_option
    @_county_option
    @click.option("--json", "as_json", is_flag=True, help="print JSON")
    def between(start: dt.datetime, end: dt.datetime, db: str | None,
                county: str | None, as_json: bool) -> None:
        """The number of working days in (START, END]."""
        cal = _calendar(db, county)
        n = cal.working_days_between(start.date(), end.date())
        provisional = cal.is_provisional(start.date(), end.date())
        if as_json:
            echo_json({"start": start.date().isoformat(), "end": end.date().isoformat(),
                       "working_days": n, "provisional": provisional, "county": county})
            return
        click.echo(str(n) + ("  provisional 暂定" if provisional else ""))

    @calendar.command("add-year")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--db", envvar="CGOV_DB", default=None,
                  help="recompute the provisional deadlines of this database's open cases")
    @writer_option
    @click.option("--county", default=None, metavar="CODE",
                  help="install for this county only (a county's own correction); default: "
                       "the State Council notice, for every county")
    @click.option("--json", "as_json", is_flag=True, help="print JSON")
    def add_year(file: Path, db: str | None, actor: Actor, county: str | None,
                 as_json: bool) -> None:
        """Install the official year FILE (<year>.toml) of a State Council notice.

        The file is checked as the shipped years are, then copied to the data directory
        ($CGOV_DATA_DIR, else the user data directory: see docs/calendars.md). With --db, the
        open cases whose deadlines were provisional are recomputed: each change goes to the
        case history and the audit trail, and the command reports how many moved and by how
        much. Exit status 1 if some cases could not be recomputed.
        """
        if db is None:
            from community_governance.calendars import install_year_file

            arrangement, target = install_year_file(file, county_code=county)
            out: dict[str, Any] = {"year": arrangement.year, "installed": str(target),
                                   "county": county, "recomputed": None}
            if as_json:
                echo_json(out)
            else:
                click.echo(f"{arrangement.year} installed at {target}")
            return
        from community_governance.cli import open_db

        with open_db(db) as gov:
            done = gov.cases.add_calendar_year(actor, file, county_code=county)
        result = done.recomputed
        out = {"year": done.year, "installed": done.path, "county": done.county_code,
               "recomputed": len(result.done), "moved": done.moved,
               "shifts": {f"{k:+d}": v for k, v in done.shifts.items()},
               "cases": result.details,
               "failed": [{"case_id": f.case_id, "error": f.error, "message": f.message}
                          for f in result.failed]}
        if as_json:
            echo_json(out)
        else:
            click.echo(f"{done.year} installed at {done.path}")
            shifts = ", ".join(f"{v} by {k:+d} day(s)" for k, v in done.shifts.items())
            click.echo(f"{len(result.done)} provisional deadline(s) recomputed, {done.moved} "
                       f"moved" + (f" ({shifts})" if shifts else ""))
            for cid, d in result.details.items():
                click.echo(f"  {cid}  {d['old']} -> {d['new']}  ({d['shift_days']:+d})"
                           + ("  still provisional" if d["provisional"] else ""))
        if not result.ok:
            for f in result.failed:
                click.secho(f"failed: {f.case_id}: {f.error}: {f.message}", fg="red", err=True)
            raise SystemExit(1)

    @calendar.command()
    @click.argument("year", type=int)
    @click.option("--json", "as_json", is_flag=True, help="print JSON")
    def festivals(year: int, as_json: bool) -> None:
        """The lunar festivals of YEAR (除夕, 春节, 元宵, 端午, 中秋, 重阳) with their dates."""
        from community_governance.calendars import festivals as fest

        days = fest(year)
        if as_json:
            echo_json({f.value: {"name": f.chinese, "date": d.isoformat()}
                       for f, d in days.items()})
            return
        for f, d in days.items():
            click.echo(f"{d.isoformat()}  {f.chinese}  {f.english}")
