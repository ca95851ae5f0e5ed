"""``cgov calendar``: working-day deadlines and lunar festival dates."""

from __future__ import annotations

import datetime as dt

import click

from community_governance.cli import echo_json


def _calendar(db: str | None) -> object:
    """The calendar from the hooks of the database's plugins (or the installed ones)."""
    if db:
        from community_governance.cli import open_db

        with open_db(db) as gov:
            return gov.cases.calendar()
    from community_governance.plugins import Hooks, get_plugin_manager, working_day_calendar

    return working_day_calendar(Hooks(get_plugin_manager()))


def register(cli: click.Group) -> None:
    """Add the ``calendar`` group."""

    @cli.group()
    def calendar() -> None:
        """The official working-day calendar (工作日历) and lunar festivals (农历节日)."""

    @calendar.command()
    @click.argument("start", type=click.DateTime(formats=["%Y-%m-%d"]))
    @click.argument("n", type=click.IntRange(min=0))
    @click.option("--db", envvar="CGOV_DB", default=None,
                  help="use the calendar of this database's county plugins")
    @click.option("--json", "as_json", is_flag=True, help="print JSON")
    def workdays(start: dt.datetime, n: int, db: str | None, as_json: bool) -> None:
        """The day N working days after START (START not counted), e.g. 2026-09-25 10."""
        from community_governance.calendars import WorkingDayCalendar

        cal = _calendar(db)
        assert isinstance(cal, WorkingDayCalendar)
        day = start.date()
        end = cal.add_working_days(day, n)
        skipped = []
        d = day + dt.timedelta(days=1)
        while d <= end:
            if not cal.is_working_day(d):
                h = cal.holiday_of(d)
                skipped.append({"date": d.isoformat(), "holiday": h.name if h else "周末"})
            d += dt.timedelta(days=1)
        if as_json:
            echo_json({"start": day.isoformat(), "working_days": n, "deadline": end.isoformat(),
                       "days_off": skipped})
            return
        click.echo(end.isoformat())
        if skipped:
            names = sorted({s["holiday"] for s in skipped})
            click.echo(f"  ({len(skipped)} days off skipped: {', '.join(names)})", err=True)

    @calendar.command()
    @click.argument("start", type=click.DateTime(formats=["%Y-%m-%d"]))
    @click.argument("end", type=click.DateTime(formats=["%Y-%m-%d"]))
    def between(start: dt.datetime, end: dt.datetime) -> None:
        """The number of working days in (START, END]."""
        from community_governance.calendars import WorkingDayCalendar

        cal = _calendar(None)
        assert isinstance(cal, WorkingDayCalendar)
        click.echo(str(cal.working_days_between(start.date(), end.date())))

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
