"""Installing an official year file (节假日安排) and recomputing the provisional deadlines.

Until the State Council's notice for a year is out, the deadlines that reach into it are
counted on a provisional calendar (statutory holidays only) and stored with
``deadline_provisional``. :meth:`CalendarMixin.add_calendar_year` installs the notice's year
file (``cgov calendar add-year FILE``) and then recomputes every open case whose deadline was
provisional, each one as a ``reschedule`` (期限重算) step in the case's history and in the
audit trail.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import attrs
import sqlalchemy as sa

from community_governance.calendars import DataDir, install_year_file
from community_governance.domain.access import Action, Actor, Target
from community_governance.domain.actions import HIGHER_OFFICE
from community_governance.domain.appointments import AssistStatus
from community_governance.domain.cases import OPEN_STATUSES, CaseEvent, CaseStatus, RouteLevel
from community_governance.errors import ConflictError
from community_governance.services.cases.common import JobFailure, JobResult
from community_governance.services.cases.lifecycle import _each, _failure
from community_governance.services.cases.routing import CaseRouting, county_of
from community_governance.storage.tables import appointments as at
from community_governance.storage.tables import cases as ct

__all__ = ["CALENDAR_WRITE", "CalendarMixin", "YearInstalled"]

#: Install an official year file: the county administration (or a system job).
CALENDAR_WRITE = Action("calendar.write", roles=HIGHER_OFFICE)

#: The events that start a level's deadline (the day of the last one counts).
_STARTS = (CaseEvent.REPORT.value, CaseEvent.IMPORT.value, CaseEvent.ESCALATE.value,
           CaseEvent.REOPEN.value, CaseEvent.RESCHEDULE.value)


@attrs.frozen
class YearInstalled:
    """What :meth:`CalendarMixin.add_calendar_year` did.

    Attributes:
        year: the year installed.
        path: where the file was installed.
        county_code: the county it was installed for (``None``: every county).
        recomputed: the cases whose stored deadline changed (date or provisional flag), with
            ``details[case_id] = {"old", "new", "shift_days", "provisional"}``, and the
            cases that could not be recomputed.
        assistance: the open proxy/home-visit requests (代办/上门) whose provisional due day
            was recomputed, ``{request_id: {"old", "new", "shift_days", "provisional"}}``.
    """

    year: int
    path: str
    county_code: str | None
    recomputed: JobResult
    assistance: dict[str, dict[str, Any]] = attrs.field(factory=dict)

    @property
    def moved(self) -> int:
        """How many deadlines moved to another day."""
        return sum(1 for d in self.recomputed.details.values() if d["shift_days"])

    @property
    def shifts(self) -> dict[int, int]:
        """How many deadlines moved by how many calendar days (``{+2: 5, -1: 1}``)."""
        out: dict[int, int] = {}
        for d in self.recomputed.details.values():
            if d["shift_days"]:
                out[d["shift_days"]] = out.get(d["shift_days"], 0) + 1
        return dict(sorted(out.items()))


class CalendarMixin(CaseRouting):
    """The calendar part of the cases service: install a year file, recompute deadlines."""

    def add_calendar_year(self, actor: Actor, path: DataDir, *, county_code: str | None = None,
                          data_dir: Path | None = None,
                          now: dt.datetime | None = None) -> YearInstalled:
        """Install an official year file and recompute the provisional deadlines (期限重算).

        The file is validated as the shipped year files are (and must give every statutory
        holiday off, and agree with its neighbours at the year boundary), then copied into
        the installation's data directory (:func:`~community_governance.calendars.data_dir`:
        ``$CGOV_DATA_DIR``, else the platformdirs user data directory), where the national
        defaults find it for every calendar built afterwards. Then every open case whose
        deadline was provisional (of ``county_code``'s county, or of every county) gets its
        deadline counted again from the day its level started; each change is one
        ``reschedule`` step in the case history and is named in the audit row.

        Args:
            actor: a system job or the county administration.
            path: the year file, ``<year>.toml``.
            county_code: install for this county only (a county's own correction of a year);
                ``None`` for a State Council notice, valid everywhere.
            data_dir: the data directory (default: as above).
            now: the time recorded on the steps (default: now).

        Returns:
            The year, where it went, and the recomputed cases.

        Raises:
            ValidationError: the file breaks a rule (nothing is installed or changed).
            PermissionDenied: the actor may not install calendars.
        """
        county = county_of(county_code)
        with self._read(actor, "cases.add_calendar_year") as op:
            op.require(CALENDAR_WRITE, Target("calendar", str(path), unit_code=county))
            s = at.assisted_services.c
            q = sa.select(s.id, s.building_code, s.requested_at, s.due).where(
                s.due_provisional.is_(True),
                s.status.in_([AssistStatus.REQUESTED.value, AssistStatus.ASSIGNED.value]))
            if county:
                q = q.where(s.building_code.startswith(county, autoescape=True))
            open_requests = op.uow.conn.execute(q).all()
        # the working days each request was given, counted on the calendar it was given on
        spans = [(r, self._local(r.requested_at),
                  self.calendar(r.building_code).working_days_between(
                      self._local(r.requested_at), r.due)) for r in open_requests]
        arrangement, target = install_year_file(path, county_code=county, root=data_dir)
        self.forget_calendars()
        reason = f"{arrangement.year}年节假日安排已发布（{arrangement.notice.title}）"
        result = self.recompute_provisional_deadlines(actor, county_code=county, now=now,
                                                      reason=reason)
        assistance: dict[str, dict[str, Any]] = {}
        changes = []
        for r, start, n in spans:
            new, provisional = self.calendar(r.building_code).deadline(start, n)
            if new != r.due or not provisional:
                changes.append((r, new, provisional))
        if changes:
            with self._write(actor, "appointments.recompute_due") as op:
                for r, new, provisional in changes:
                    op.uow.conn.execute(at.assisted_services.update().where(
                        at.assisted_services.c.id == r.id).values(
                            due=new, due_provisional=provisional))
                    status = op.uow.conn.execute(sa.select(at.assisted_services.c.status).where(
                        at.assisted_services.c.id == r.id)).scalar_one()
                    op.uow.conn.execute(at.assist_events.insert().values(
                        request_id=r.id, event="reschedule", status=status,
                        actor=str(op.actor), at=op.now,
                        note=f"期限重算：{r.due.isoformat()} → {new.isoformat()}；{reason}"))
                    op.touch("assist", r.id)
                    assistance[r.id] = {"old": r.due.isoformat(), "new": new.isoformat(),
                                        "shift_days": (new - r.due).days,
                                        "provisional": provisional}
                op.detail["rescheduled"] = assistance
        return YearInstalled(arrangement.year, str(target), county, result, assistance)

    def recompute_provisional_deadlines(
        self, actor: Actor, *, county_code: str | None = None, now: dt.datetime | None = None,
        reason: str = "节假日安排已更新",
    ) -> JobResult:
        """Count again every open provisional deadline on today's calendars (a batch job).

        Each case is handled on its own (its own savepoint): one that fails is reported in
        :attr:`JobResult.failed` and the others go on. A case whose deadline day and flag are
        unchanged is left alone.

        Args:
            actor: a system job or the county administration.
            county_code: only cases of this county.
            now: the time recorded on the steps (default: now).
            reason: the note of the ``reschedule`` steps.

        Returns:
            The changed cases, with ``details[case_id] = {"old", "new", "shift_days",
            "provisional"}``, and the failures.
        """
        self.forget_calendars()
        c = ct.cases.c
        with self._read(actor, "cases.recompute_deadlines") as op:
            op.require(CALENDAR_WRITE, Target("calendar", "deadlines", unit_code=county_code))
            when = self._when(op, now)
            q = (sa.select(ct.cases)
                 .where(c.deadline_provisional.is_(True),
                        c.status.in_([s.value for s in OPEN_STATUSES]))
                 .order_by(c.id))
            if county_code:
                q = q.where(c.community_code.startswith(county_code, autoescape=True))
            rows = op.uow.conn.execute(q).all()
            tr = ct.case_transitions.c
            starts: dict[str, dt.datetime] = {}
            if rows:
                for cid, at in op.uow.conn.execute(
                        sa.select(tr.case_id, sa.func.max(tr.at))
                        .where(tr.case_id.in_([r.id for r in rows]), tr.event.in_(_STARTS))
                        .group_by(tr.case_id)).all():
                    starts[cid] = at
        failed: list[JobFailure] = []
        plans: list[tuple[str, int, dt.date, bool]] = []
        for r in rows:  # the hooks are asked before the write transaction opens
            try:
                start = self._local(starts.get(r.id, r.reported_at))
                new, provisional = self.deadline_of(r.category, RouteLevel(r.level), start,
                                                    r.community_code)
                if new != r.deadline or provisional != bool(r.deadline_provisional):
                    plans.append((r.id, r.seq, new, provisional))
            except Exception as exc:  # reported per case, the job goes on
                failed.append(_failure(r.id, exc))
        out: list[Any] = []
        details: dict[str, dict[str, Any]] = {}
        if plans:
            with self._write(actor, "cases.recompute_deadlines") as op:
                for cid, seq, new, provisional in plans:
                    def reschedule(row: Any, cid: str = cid, seq: int = seq,
                                   new: dt.date = new, provisional: bool = provisional) -> Any:
                        if row.seq != seq:
                            raise ConflictError(f"case {cid} was changed while the job ran; "
                                                "run the recomputation again")
                        flag = "（仍为暂定）" if provisional else ""
                        note = (f"期限重算：{row.deadline.isoformat()} → {new.isoformat()}"
                                f"{flag}；{reason}")
                        return self._step(op, row, CaseEvent.RESCHEDULE, when, note=note,
                                          to_status=CaseStatus(row.status), deadline=new,
                                          deadline_provisional=provisional)
                    old = next(r.deadline for r in rows if r.id == cid)
                    done = _each(op, self, cid, reschedule, failed)
                    if done is not None:
                        out.append(self._case(done))
                        details[cid] = {"old": old.isoformat(), "new": new.isoformat(),
                                        "shift_days": (new - old).days,
                                        "provisional": provisional}
                op.detail["rescheduled"] = details
                if failed:
                    op.detail["failed"] = [f.case_id for f in failed]
        return JobResult(tuple(out), tuple(sorted(failed, key=lambda f: f.case_id)), details)
