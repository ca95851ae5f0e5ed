"""``cgov cases``: report, assign, handle, list, escalate, export/import (Open311); and
``cgov report cases``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from community_governance.cli import (
    actor_option,
    console,
    db_option,
    echo_json,
    json_always,
    open_db,
    pick_year,
    writer_option,
)
from community_governance.cli.report import report
from community_governance.domain.access import Actor


def _case_dict(case: Any) -> dict[str, Any]:
    from community_governance.domain.cases import mask_name

    return {
        "id": case.id, "category": case.category, "status": case.status.value,
        "status_name": case.status.chinese, "level": case.level.key,
        "unit_code": case.unit_code, "department": case.department,
        "building_code": case.building_code, "address": case.address,
        "reporter": mask_name(case.reporter_name), "handler_id": case.handler_id,
        "reported_at": case.reported_at.isoformat(), "deadline": case.deadline.isoformat(),
        "deadline_provisional": case.deadline_provisional,
        "satisfaction": case.satisfaction, "escalations": case.escalations,
        "description": case.description,
    }


class _Echo:
    """A text stream writing through ``click.echo`` (stdout, as click encodes it)."""

    def write(self, text: str) -> int:
        click.echo(text, nl=False)
        return len(text)


def _date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


def register(cli: click.Group) -> None:
    """Add the ``cases`` group and ``report cases``."""

    @cli.group()
    def cases() -> None:
        """Cases (事务): report, assign, resolve, list, export as Open311."""

    @cases.command("report")
    @db_option
    @writer_option
    @click.option("--category", required=True, help="category code, e.g. repair")
    @click.option("--building", required=True, help="building code")
    @click.option("--description", required=True)
    @click.option("--channel", default="app", show_default=True,
                  type=click.Choice(["app", "phone", "walk_in", "wechat"]))
    @click.option("--household", default=None)
    @click.option("--reporter-name", default=None)
    @json_always
    def report_case(db: str, actor: Actor, category: str, building: str, description: str,
                    channel: str, household: str | None, reporter_name: str | None) -> None:
        """Report a case; prints it as JSON (with its deadline)."""
        with open_db(db) as gov:
            case = gov.cases.report(actor, category=category, building_code=building,
                                    description=description, channel=channel,
                                    household_id=household, reporter_name=reporter_name)
        echo_json(_case_dict(case))

    @cases.command()
    @db_option
    @writer_option
    @click.argument("case_id")
    @click.argument("handler")
    @click.option("--note", default="")
    @json_always
    def assign(db: str, actor: Actor, case_id: str, handler: str, note: str) -> None:
        """Assign CASE_ID to HANDLER (a post holder at the case's level)."""
        with open_db(db) as gov:
            echo_json(_case_dict(gov.cases.assign(actor, case_id, handler, note=note)))

    @cases.command()
    @db_option
    @writer_option
    @click.argument("case_id")
    @click.option("--note", default="")
    @json_always
    def start(db: str, actor: Actor, case_id: str, note: str) -> None:
        """Start handling CASE_ID."""
        with open_db(db) as gov:
            echo_json(_case_dict(gov.cases.start(actor, case_id, note=note)))

    @cases.command()
    @db_option
    @writer_option
    @click.argument("case_id")
    @click.option("--note", default="")
    @json_always
    def resolve(db: str, actor: Actor, case_id: str, note: str) -> None:
        """Resolve CASE_ID."""
        with open_db(db) as gov:
            echo_json(_case_dict(gov.cases.resolve(actor, case_id, note=note)))

    @cases.command()
    @db_option
    @writer_option
    @click.argument("case_id")
    @click.option("--satisfaction", type=click.IntRange(1, 5), default=None)
    @click.option("--note", default="")
    @json_always
    def close(db: str, actor: Actor, case_id: str, satisfaction: int | None, note: str) -> None:
        """Close a resolved CASE_ID with the resident's satisfaction (1-5)."""
        with open_db(db) as gov:
            echo_json(_case_dict(gov.cases.close(actor, case_id, satisfaction=satisfaction,
                                                 note=note)))

    @cases.command()
    @db_option
    @writer_option
    @click.argument("case_id")
    @click.option("--reason", required=True)
    @json_always
    def reopen(db: str, actor: Actor, case_id: str, reason: str) -> None:
        """Reopen a resolved or closed CASE_ID."""
        with open_db(db) as gov:
            echo_json(_case_dict(gov.cases.reopen(actor, case_id, reason=reason)))

    @cases.command("escalate-overdue")
    @db_option
    @writer_option
    @json_always
    def escalate_overdue(db: str, actor: Actor) -> None:
        """Move every overdue case one level up (the nightly job).

        Each case is handled on its own: one that fails is listed under "failed" with its
        reason, the others are escalated, and the exit status is 1 (0 when all went well).
        """
        with open_db(db) as gov:
            result = gov.cases.escalate_overdue(actor)
        echo_json({"escalated": result.ids,
                   "failed": [{"case_id": f.case_id, "error": f.error, "message": f.message}
                              for f in result.failed]})
        if not result.ok:
            click.secho(f"{len(result.failed)} case(s) failed; the others were escalated",
                        fg="red", err=True)
            raise SystemExit(1)

    @cases.command("list")
    @db_option
    @actor_option
    @click.option("--status", multiple=True)
    @click.option("--category", default=None)
    @click.option("--within", default=None, help="unit code prefix")
    @click.option("--overdue", is_flag=True, help="only open cases past their deadline")
    @click.option("--limit", default=100, show_default=True)
    @click.option("--json", "as_json", is_flag=True)
    def list_cmd(db: str, actor: Actor, status: tuple[str, ...], category: str | None,
                 within: str | None, overdue: bool, limit: int, as_json: bool) -> None:
        """List cases in the actor's scope, newest first."""
        with open_db(db) as gov:
            today = gov.now().in_timezone(gov.timezone).date()
            found = gov.cases.list_cases(actor, status=status or None, category=category,
                                         within=within, overdue_on=today if overdue else None,
                                         limit=limit)
        if as_json:
            echo_json([_case_dict(c) for c in found])
            return
        for c in found:
            click.echo(f"{c.id}  {c.status.chinese:<4}  {c.category:<10}  {c.level.chinese:<4}  "
                       f"期限 {c.deadline}{'（暂定）' if c.deadline_provisional else ''}  "
                       f"{c.address or c.building_code}")

    @cases.command()
    @db_option
    @actor_option
    @click.argument("case_id")
    @click.option("--reveal", is_flag=True,
                  help="show ID and mobile numbers typed into the description in full "
                       "(needs resident.read_id_number and --reason; written to the access log)")
    @click.option("--reason", default=None, help="why the numbers are revealed")
    @json_always
    def show(db: str, actor: Actor, case_id: str, reveal: bool, reason: str | None) -> None:
        """Show one case as JSON (numbers in its description masked unless --reveal)."""
        with open_db(db) as gov:
            case = gov.cases.get(actor, case_id, reveal=reveal, reason=reason)
        echo_json(_case_dict(case))

    @cases.command()
    @db_option
    @actor_option
    @click.option("--format", "fmt", type=click.Choice(["open311", "json", "xml"]),
                  default="open311", show_default=True,
                  help="GeoReport v2 as JSON (open311, json) or as XML (xml)")
    @click.option("--what", type=click.Choice(["requests", "services", "discovery"]),
                  default="requests", show_default=True)
    @click.option("--within", default=None)
    @click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
    @click.option("--end", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
    @click.option("--zipcode", default=None, help="postal code, e.g. 472300")
    @click.option("--url", default=None,
                  help="the endpoint's base URL, for --what discovery")
    @click.option("--contact", default="", help="who to ask, for --what discovery")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
    @click.option("--json", "as_json", is_flag=True, help="JSON (the same as --format json)")
    def export(db: str, actor: Actor, fmt: str, what: str, within: str | None,
               start: dt.datetime | None, end: dt.datetime | None, zipcode: str | None,
               url: str | None, contact: str, out: Path | None, as_json: bool) -> None:
        """Export cases as GeoReport v2 service requests (or the categories as services, or
        the discovery document), in JSON or XML."""
        if as_json:
            if fmt == "xml":
                raise click.UsageError("--json and --format xml contradict each other")
            fmt = "json"
        from community_governance.io.open311 import discovery, dump, dumps, dumps_xml

        docs: Any
        if what == "requests" and fmt != "xml":
            # streamed: the cases are fetched and written in batches (constant memory)
            with open_db(db) as gov:
                stream = gov.cases.iter_open311(actor, within=within, start=_date(start),
                                                end=_date(end), zipcode=zipcode)
                if out:
                    with out.open("w", encoding="utf-8") as fh:
                        count = dump(stream, fh)
                        fh.write("\n")
                    click.echo(f"{count} {what} written to {out}", err=True)
                else:
                    dump(stream, _Echo())
                    click.echo()
            return
        if what == "discovery":
            if not url:
                raise click.UsageError("--what discovery needs --url, the endpoint's base URL "
                                       "(e.g. https://gov.example.cn/open311/v2)")
            with open_db(db) as gov:
                docs = discovery(url, changeset=gov.now(), contact=contact)
            text = (dumps_xml(docs, kind="discovery") if fmt == "xml"
                    else json.dumps(docs, ensure_ascii=False, indent=2))
            count = 1
        else:
            with open_db(db) as gov:
                docs = (gov.cases.open311_services() if what == "services" else
                        gov.cases.export_open311(actor, within=within, start=_date(start),
                                                 end=_date(end), zipcode=zipcode))
            text = dumps_xml(docs, kind=what) if fmt == "xml" else dumps(docs)
            count = len(docs)
        if out:
            out.write_text(text + "\n", encoding="utf-8")
            click.echo(f"{count} {what} written to {out}", err=True)
        else:
            click.echo(text)

    @cases.command("import")
    @db_option
    @writer_option
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--format", "fmt", type=click.Choice(["open311"]), default="open311")
    @json_always
    def import_cmd(db: str, actor: Actor, file: Path, fmt: str) -> None:
        """Import GeoReport v2 service requests from a JSON FILE."""
        data = json.loads(file.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data = [data]
        with open_db(db) as gov:
            result = gov.cases.import_open311(actor, data, source=file.name)
        echo_json({"created": len(result.created), "skipped": len(result.skipped)})

    @report.command("cases")
    @db_option
    @actor_option
    @click.option("--year", type=int, default=None)
    @click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
    @click.option("--end", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
    @click.option("--within", default=None, help="only under this unit code")
    @click.option("--json", "as_json", is_flag=True, help="print JSON")
    def report_cases(db: str, actor: Actor, year: int | None, start: dt.datetime | None,
                     end: dt.datetime | None, within: str | None, as_json: bool) -> None:
        """Cases by category, grid and month; handling time; overdue share; load; satisfaction.

        Without --year, --start and --end: the latest year with cases (said on stderr). A year
        with no case is an error (exit 3) naming the years that have some.
        """
        with open_db(db) as gov:
            if start is None and end is None:
                year = pick_year(gov.cases.years(actor), year, "cases")
            r = gov.cases.case_report(actor, year=year, start=_date(start), end=_date(end),
                                      within=within)
        if as_json:
            echo_json(r.as_dict())
            return
        from rich.table import Table

        out = console()
        head = Table(title=f"Cases 事务统计 {r.start} – {r.end}")
        head.add_column("what")
        head.add_column("value", justify="right")
        sat = r.satisfaction
        for label, value in (
                ("cases 事务", f"{r.total:,}"), ("resolved 办结", f"{r.resolved:,}"),
                ("median working days 中位办理工作日", str(r.median_days)),
                ("90th percentile 90分位", str(r.p90_days)),
                ("overdue 超期", f"{r.overdue:,} ({(r.overdue_share or 0):.1%})"),
                ("escalated 升级", f"{r.escalated:,}"),
                ("provisional deadlines 暂定期限", f"{r.provisional_deadlines:,}"),
                ("satisfaction 满意度", f"{sat['mean']} ({sat['rated']} rated)")):
            head.add_row(label, value)
        out.print(head)
        for title, data in (("by category 按类别", r.by_category),
                            ("by month 按月", r.by_month), ("by grid 按网格", r.by_grid)):
            tab = Table(title=title)
            tab.add_column("key")
            tab.add_column("cases", justify="right")
            for k, v in data.items():
                tab.add_row(k, f"{v:,}")
            out.print(tab)
        load = Table(title="load per handler 人员负荷")
        load.add_column("handler")
        load.add_column("assigned", justify="right")
        load.add_column("open", justify="right")
        for k, v in list(r.load.items())[:30]:
            load.add_row(k, str(v["assigned"]), str(v["open"]))
        out.print(load)
