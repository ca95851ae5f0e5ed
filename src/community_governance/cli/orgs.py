"""``cgov orgs``: the social-organization lifecycle (社会组织): propose, incubate, review,
admit, standardise, activate, evaluate, supervise, suspend, reinstate, deregister; staff and
training; reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from community_governance.cli import (
    actor_option,
    console,
    db_option,
    echo_json,
    json_always,
    json_option,
    open_db,
    writer_option,
)
from community_governance.domain.access import Actor

KINDS = ["service", "charity", "culture", "mutual_aid", "social_work", "incubator"]
STAGES = ["proposed", "incubating", "under_review", "admitted", "standardised", "active",
          "under_supervision", "suspended", "deregistered"]


def org_dict(org: Any) -> dict[str, Any]:
    """An organization as the commands print it."""
    return {
        "id": org.id, "name": org.name, "kind": org.kind.value, "kind_name": org.kind.chinese,
        "community_code": org.community_code, "stage": org.stage.value,
        "stage_name": org.stage.chinese, "incubator_id": org.incubator_id,
        "under_incubator": org.under_incubator,
        "hatched_on": org.hatched_on.isoformat() if org.hatched_on else None,
        "registered": org.registered, "members": org.members,
        "grade": org.grade.value if org.grade else None,
        "score": None if org.score is None else str(org.score),
        "grade_valid_until": org.grade_valid_until.isoformat()
        if org.grade_valid_until else None,
        "stage_since": org.stage_since.isoformat(),
    }


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


def _scores(items: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        code, sep, value = item.partition("=")
        if not sep or not code.strip():
            raise click.BadParameter(f"{item!r}: give CODE=SCORE, e.g. governance=250",
                                     param_hint="--score")
        out[code.strip()] = value.strip()
    return out


def register(cli: click.Group) -> None:
    """Add the ``orgs`` group."""

    @cli.group()
    def orgs() -> None:
        """Social organizations (社会组织): incubation, admission, evaluation, supervision."""

    def _create(which: str) -> Any:
        @orgs.command(which)
        @db_option
        @writer_option
        @click.option("--community", required=True, help="the community it serves")
        @click.option("--name", required=True)
        @click.option("--kind", required=True, type=click.Choice(KINDS))
        @click.option("--members", type=click.IntRange(0), default=0, show_default=True)
        @click.option("--volunteer-org", default=None, help="its volunteer team, if any")
        @click.option("--id", "org_id", default=None, help="its key (default: generated)")
        @json_always
        def create(db: str, actor: Actor, community: str, name: str, kind: str, members: int,
                   volunteer_org: str | None, org_id: str | None) -> None:
            with open_db(db) as gov:
                fn = gov.orgs.propose if which == "propose" else gov.orgs.register
                echo_json(org_dict(fn(actor, name=name, kind=kind, community_code=community,
                                      members=members, volunteer_org_id=volunteer_org,
                                      org_id=org_id)))

        create.__doc__ = ("Propose a new organization (申请成立): stage proposed."
                          if which == "propose" else
                          "Enter an organization registered elsewhere, e.g. an incubator "
                          "(已登记机构入库): stage active.")
        return create

    _create("propose")
    _create("register")

    @orgs.command()
    @db_option
    @writer_option
    @click.argument("org_id")
    @click.argument("incubator_id")
    @click.option("--note", default="")
    @json_always
    def incubate(db: str, actor: Actor, org_id: str, incubator_id: str, note: str) -> None:
        """Place ORG_ID with the incubator INCUBATOR_ID (入驻孵化)."""
        with open_db(db) as gov:
            echo_json(org_dict(gov.orgs.incubate(actor, org_id, incubator_id, note=note)))

    def _record(name: str, method: str, doc: str) -> None:
        @orgs.command(name)
        @db_option
        @writer_option
        @click.argument("org_id")
        @click.argument("code")
        @click.option("--note", default="")
        @json_always
        def record(db: str, actor: Actor, org_id: str, code: str, note: str) -> None:
            with open_db(db) as gov:
                done = getattr(gov.orgs, method)(actor, org_id, code, note=note)
            echo_json({"org_id": org_id, "done": done})

        record.__doc__ = doc

    _record("milestone", "milestone", "Record an incubation milestone CODE of ORG_ID (孵化节点).")
    _record("document", "submit_document",
            "Record a document CODE submitted for ORG_ID's admission review (准入材料).")
    _record("check", "check_item",
            "Tick item CODE of ORG_ID's standardisation checklist (标准化建设).")

    def _step(name: str, method: str, doc: str, *, reason: bool = False) -> None:
        @orgs.command(name)
        @db_option
        @writer_option
        @click.argument("org_id")
        @click.option("--reason" if reason else "--note", "text", required=reason,
                      default=None if reason else "")
        @json_always
        def step(db: str, actor: Actor, org_id: str, text: str) -> None:
            with open_db(db) as gov:
                fn = getattr(gov.orgs, method)
                org = fn(actor, org_id, reason=text) if reason else fn(actor, org_id, note=text)
            echo_json(org_dict(org))

        step.__doc__ = doc

    _step("submit-review", "submit_review",
          "Submit ORG_ID for admission review (提交准入资格审查); every milestone needed.")
    _step("return", "return_to_incubation",
          "Return ORG_ID under review to incubation (退回孵化), with the reason.", reason=True)
    _step("admit", "admit", "Admit ORG_ID (准入); it leaves its incubator (出壳).")
    _step("standardise", "standardise", "Accept ORG_ID's standardisation (标准化建设验收).")
    _step("activate", "activate", "Let ORG_ID start its services (开展服务); it may then bid.")
    _step("suspend", "suspend", "Suspend ORG_ID (暂停活动), with the reason.", reason=True)
    _step("reinstate", "reinstate", "Reinstate suspended ORG_ID once its findings are "
          "rectified (恢复活动).")
    _step("deregister", "deregister", "Deregister ORG_ID (注销); final.", reason=True)

    @orgs.command()
    @db_option
    @writer_option
    @click.argument("org_id")
    @click.option("--round", "round_", required=True, help="the round, e.g. 2019")
    @click.option("--evaluator", "evaluators", multiple=True, required=True)
    @click.option("--score", "scores", multiple=True,
                  help="CODE=SCORE of an assessed indicator, e.g. governance=250 (repeat)")
    @click.option("--period-start", type=click.DateTime(["%Y-%m-%d"]), default=None)
    @click.option("--period-end", type=click.DateTime(["%Y-%m-%d"]), default=None)
    @json_always
    def evaluate(db: str, actor: Actor, org_id: str, round_: str,
                 evaluators: tuple[str, ...], scores: tuple[str, ...],
                 period_start: dt.datetime | None, period_end: dt.datetime | None) -> None:
        """Evaluate ORG_ID (绩效评估): record indicators from the records, assessed ones from
        --score; prints the score, grade and lines."""
        with open_db(db) as gov:
            ev = gov.orgs.evaluate(actor, org_id, round=round_, evaluators=evaluators,
                                   scores=_scores(scores), period_start=_day(period_start),
                                   period_end=_day(period_end))
        echo_json(ev)

    @orgs.command()
    @db_option
    @writer_option
    @click.argument("org_id")
    @click.option("--finding", required=True, help="what is wrong and what must change")
    @click.option("--days", type=click.IntRange(1, 90), default=15, show_default=True,
                  help="working days to rectify it")
    @json_always
    def supervise(db: str, actor: Actor, org_id: str, finding: str, days: int) -> None:
        """Record a supervision finding on ORG_ID (督促指导) with its deadline."""
        with open_db(db) as gov:
            echo_json(gov.orgs.supervise(actor, org_id, finding=finding, days=days))

    @orgs.command()
    @db_option
    @writer_option
    @click.argument("finding_id", type=int)
    @click.option("--follow-up", required=True, help="how it was rectified (整改情况)")
    @json_always
    def rectify(db: str, actor: Actor, finding_id: int, follow_up: str) -> None:
        """Record that FINDING_ID was rectified (整改)."""
        with open_db(db) as gov:
            echo_json(gov.orgs.rectify(actor, finding_id, follow_up=follow_up))

    @orgs.command("list")
    @db_option
    @actor_option
    @click.option("--within", default=None, help="a sub-district or community code")
    @click.option("--stage", type=click.Choice(STAGES), default=None)
    @click.option("--kind", type=click.Choice(KINDS), default=None)
    @click.option("--incubator", default=None, help="only those placed with this incubator")
    @json_option
    def list_cmd(db: str, actor: Actor, within: str | None, stage: str | None,
                 kind: str | None, incubator: str | None, as_json: bool) -> None:
        """Organizations by community, with their stage and grade."""
        with open_db(db) as gov:
            found = [org_dict(o) for o in gov.orgs.list_orgs(
                actor, within=within, stage=stage, kind=kind, incubator_id=incubator)]
        if as_json:
            echo_json(found)
            return
        from rich.table import Table

        table = Table(title="Social organizations 社会组织")
        for col in ("id", "name", "kind", "community", "stage", "grade"):
            table.add_column(col)
        for o in found:
            table.add_row(o["id"], o["name"], o["kind_name"], o["community_code"],
                          o["stage_name"], o["grade"] or "")
        console().print(table)

    @orgs.command()
    @db_option
    @actor_option
    @click.argument("org_id")
    @json_always
    def show(db: str, actor: Actor, org_id: str) -> None:
        """ORG_ID with what it met of its place's rules and whether it may bid."""
        with open_db(db) as gov:
            org = gov.orgs.get(actor, org_id)
            bid = gov.orgs.bid_eligibility(actor, org_id)
            echo_json({**org_dict(org), "progress": gov.orgs.progress(actor, org_id),
                       "bid": {"tier": bid.tier, "reason": bid.reason}})

    @orgs.command()
    @db_option
    @actor_option
    @click.argument("org_id")
    @json_always
    def history(db: str, actor: Actor, org_id: str) -> None:
        """Every recorded step of ORG_ID (流转记录)."""
        with open_db(db) as gov:
            echo_json(gov.orgs.history(actor, org_id))

    @orgs.command()
    @db_option
    @actor_option
    @click.option("--within", default=None)
    @click.option("--open", "open_only", is_flag=True, help="only open findings")
    @json_always
    def findings(db: str, actor: Actor, within: str | None, open_only: bool) -> None:
        """Supervision findings with their deadlines."""
        with open_db(db) as gov:
            echo_json(gov.orgs.findings(actor, within=within, open_only=open_only))

    @orgs.command()
    @db_option
    @actor_option
    @click.option("--within", default=None)
    @click.option("--on", type=click.DateTime(["%Y-%m-%d"]), default=None)
    @json_always
    def bidders(db: str, actor: Actor, within: str | None, on: dt.datetime | None) -> None:
        """Organizations that may bid for purchased services, first round first (招投标)."""
        with open_db(db) as gov:
            echo_json(gov.orgs.bidders(actor, within=within, on=_day(on)))

    @orgs.group()
    def staff() -> None:
        """Staff of social organizations (人才) and their training (职业能力培训)."""

    @staff.command("add")
    @db_option
    @writer_option
    @click.argument("org_id")
    @click.option("--name", required=True)
    @click.option("--role", required=True, help="e.g. 负责人, 社工, 财务")
    @click.option("--full-time/--part-time", default=True, show_default=True)
    @click.option("--university", is_flag=True, help="recruited from a university (高校选聘)")
    @click.option("--joined", type=click.DateTime(["%Y-%m-%d"]), required=True)
    @click.option("--person", default=None, help="their key in the registry, if any")
    @json_always
    def staff_add(db: str, actor: Actor, org_id: str, name: str, role: str, full_time: bool,
                  university: bool, joined: dt.datetime, person: str | None) -> None:
        """Add a staff member to ORG_ID (name masked when printed)."""
        with open_db(db) as gov:
            echo_json(gov.orgs.add_staff(actor, org_id, name=name, role=role,
                                         full_time=full_time, from_university=university,
                                         joined_on=joined.date(), person_id=person))

    @staff.command("list")
    @db_option
    @actor_option
    @click.argument("org_id")
    @json_always
    def staff_list(db: str, actor: Actor, org_id: str) -> None:
        """ORG_ID's staff (names masked) and their trainings."""
        with open_db(db) as gov:
            echo_json({"staff": gov.orgs.staff(actor, org_id),
                       "trainings": gov.orgs.trainings(actor, org_id)})

    @staff.command("train")
    @db_option
    @writer_option
    @click.argument("staff_id", type=int)
    @click.option("--title", required=True)
    @click.option("--on", type=click.DateTime(["%Y-%m-%d"]), required=True)
    @click.option("--hours", type=click.IntRange(1, 2000), required=True)
    @click.option("--subsidy", default="0", help="CNY, paid by --disbursement")
    @click.option("--disbursement", type=int, default=None,
                  help="the funds disbursement (account 5106) paying the subsidy")
    @json_always
    def staff_train(db: str, actor: Actor, staff_id: int, title: str, on: dt.datetime,
                    hours: int, subsidy: str, disbursement: int | None) -> None:
        """Record a training of STAFF_ID with its subsidy (培训补贴)."""
        with open_db(db) as gov:
            echo_json(gov.orgs.record_training(actor, staff_id, title=title, on=on.date(),
                                               hours=hours, subsidy=subsidy,
                                               disbursement_id=disbursement))

    @orgs.command("report")
    @db_option
    @actor_option
    @click.argument("what", type=click.Choice(["stages", "durations", "grades", "findings",
                                               "staff"]))
    @click.option("--within", default=None, help="a sub-district or community code")
    @click.option("--on", type=click.DateTime(["%Y-%m-%d"]), default=None,
                  help="the day (durations, findings, staff; default today)")
    @json_always
    def report_cmd(db: str, actor: Actor, what: str, within: str | None,
                   on: dt.datetime | None) -> None:
        """Reports: stages (per community, kind and stage), durations (days per stage),
        grades (per year), findings (open and overdue), staff (staff and training)."""
        with open_db(db) as gov:
            o = gov.orgs
            day = _day(on)
            got = {"stages": lambda: o.stage_report(actor, within=within),
                   "durations": lambda: o.stage_durations(actor, within=within, on=day),
                   "grades": lambda: o.grades_over_time(actor, within=within),
                   "findings": lambda: o.findings_report(actor, within=within, on=day),
                   "staff": lambda: o.staff_report(actor, within=within, on=day)}[what]()
        echo_json(got)
