"""The base of :class:`~community_governance.services.cases.CasesService`: categories,
routes, deadlines and the working-day calendar from the hooks, and the row helpers every
part of the service uses (the time of a step, loading a case, one guarded transition)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import pendulum
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.calendars import WorkingDayCalendar
from community_governance.domain.access import Target
from community_governance.domain.cases import (
    Case,
    CaseCategory,
    CaseEvent,
    CaseStatus,
    Channel,
    RouteLevel,
    RouteStep,
    next_status,
)
from community_governance.domain.pii_text import mask_personal_numbers
from community_governance.domain.units import UnitKind
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.plugins import expect_each, expect_int, working_day_calendar
from community_governance.services.base import Operation, Service
from community_governance.services.cases.common import (
    _GUARDED_UPDATE,
    _expect_category,
    _expect_route,
    _plain,
    chain_transition,
)
from community_governance.storage.tables import cases as ct
from community_governance.storage.tables import core as t

if TYPE_CHECKING:
    from community_governance.services.context import Context


def county_of(code: str | None) -> str | None:
    """The county (6 digits) of a unit code, e.g. ``411281`` for ``411281001001-B0042``."""
    return code[:6] if code else None


class CaseRouting(Service):
    """Routing of cases (事务流转): categories, routes up the four levels, deadlines in working
    days, and the helpers shared by every part of the cases service."""

    _steps_of = "the case's"

    def __init__(self, gov: Context) -> None:
        super().__init__(gov)
        self._calendars: dict[str | None, WorkingDayCalendar] = {}

    # ------------------------------------------------------------------ hooks

    def calendar(self, county_code: str | None = None) -> WorkingDayCalendar:
        """The working-day calendar of a county from the hooks (asked once per
        ``Governance`` and county, then cached).

        Args:
            county_code: the county (6 digits; a longer unit code is cut to its county), or
                ``None`` for the national calendar without local days.

        Raises:
            PluginError: a plugin answered something that is not a calendar, or a local
                day that is not usable.
        """
        county = county_of(county_code)
        found = self._calendars.get(county)
        if found is None:
            found = self._calendars[county] = working_day_calendar(self._hooks, county)
        return found

    def forget_calendars(self) -> None:
        """Drop the cached calendars (after a year file was installed)."""
        self._calendars.clear()

    def categories(self, county: str | None = None) -> list[CaseCategory]:
        """The case categories (事务类别) of ``county`` from the hooks; for one code the first
        answer (the most specific scope) wins.

        Args:
            county: the county's 6-digit code (a longer unit code is cut to its county);
                ``None`` for every county of the store, in code order.
        """
        counties = [county[:6]] if county is not None else self._counties()
        found: dict[str, CaseCategory] = {}
        for c in counties:
            for _, cats in self._hooks.all("cgov_case_categories",
                                           expect_each(_expect_category), place=c,
                                           county_code=c):
                for cat in cats:
                    found.setdefault(cat.code, cat)
        return list(found.values())

    def _counties(self) -> list[str]:
        with self._gov.store.unit_of_work(write=False) as uow:
            got = list(uow.conn.execute(sa.select(t.units.c.code).where(
                t.units.c.kind == UnitKind.COUNTY.value).order_by(t.units.c.code)).scalars())
        return got or [""]

    def _category(self, code: str, county: str | None = None) -> CaseCategory:
        cats = self.categories(county)
        for c in cats:
            if c.code == code:
                return c
        known = ", ".join(f"{c.code} ({c.name})" for c in cats)
        where = f" in county {county[:6]}" if county else ""
        raise ValidationError(f"unknown case category {code!r}{where}; use one of {known}",
                              path="category")

    def _deadline_days(self, category: str, level: RouteLevel, county: str | None) -> int:
        return self._hooks.first("cgov_case_deadline", expect_int(minimum=1, maximum=60),
                                 place=county, category=category, level=level,
                                 county_code=county)

    def deadline_of(self, category: str, level: RouteLevel, start: dt.date,
                    place: str | None = None) -> tuple[dt.date, bool]:
        """The deadline of a case of ``category`` at ``level`` that starts on ``start``, in
        the calendar of the place's county, and whether it is provisional (counted through a
        year with no official notice yet).

        Args:
            category: the category code.
            level: the route level.
            start: the county day the count starts (not counted).
            place: the case's building, community or county code: the county's rules apply.
                ``None`` (kept for callers written before counties were told apart) means
                the first county of the store; pass the place.

        Raises:
            CalendarYearMissing: the count runs into a year no calendar covers, not even
                provisionally.
        """
        county = county_of(place) if place else self._counties()[0]
        return self.calendar(county).deadline(
            _plain(start), self._deadline_days(category, RouteLevel(level), county))

    def deadline_for(self, category: str, level: RouteLevel, start: dt.date,
                     place: str | None = None) -> dt.date:
        """The deadline of :meth:`deadline_of` without its provisional flag.

        Raises:
            CalendarYearMissing: as :meth:`deadline_of`.
        """
        return self.deadline_of(category, level, start, place)[0]

    def route_for(self, category: str, building_code: str, grid_code: str | None,
                  community_code: str) -> list[RouteStep]:
        """The route of a case of ``category`` at a building, from ``cgov_case_route``.

        Args:
            category: the category code.
            building_code: the building.
            grid_code: the building's grid, if any.
            community_code: the building's community.

        Raises:
            PluginError: a plugin answered something that is not a rising route.
        """
        return self._hooks.first("cgov_case_route", _expect_route, place=community_code,
                                 category=category,
                                 building_code=building_code, grid_code=grid_code,
                                 community_code=community_code)

    # ------------------------------------------------------------------ helpers


    def _row(self, op: Operation, case_id: str, *, lock: bool = False) -> Any:
        q = sa.select(ct.cases).where(ct.cases.c.id == case_id)
        if lock:
            q = q.with_for_update()
        row = op.uow.conn.execute(q).first()
        if row is None:
            raise NotFound("case", case_id, "check the case number (cgov cases list)")
        return row

    @staticmethod
    def _read_target(row: Any) -> Target:
        return Target("case", row.id, unit_code=row.building_code, grid_code=row.grid_code,
                      owner_id=row.reporter_id)

    @staticmethod
    def _handle_target(row: Any) -> Target:
        grid = row.grid_code if row.level == RouteLevel.GRID else None
        return Target("case", row.id, unit_code=row.unit_code, grid_code=grid)

    @staticmethod
    def _route(row: Any) -> list[RouteStep]:
        return [RouteStep(RouteLevel(lv), unit, dept) for lv, unit, dept in json.loads(row.route)]

    def _case(self, row: Any, address: str = "", *, reveal: bool = False) -> Case:
        """The case of a row; ID and mobile numbers typed into the description are masked
        unless ``reveal`` (the caller asked, with the right and a reason)."""
        return Case(
            id=row.id, category=row.category, channel=Channel(row.channel),
            description=row.description if reveal else mask_personal_numbers(row.description),
            status=CaseStatus(row.status),
            level=RouteLevel(row.level), unit_code=row.unit_code, department=row.department,
            building_code=row.building_code, grid_code=row.grid_code,
            community_code=row.community_code, household_id=row.household_id,
            reporter_id=row.reporter_id, reporter_name=row.reporter_name,
            handler_id=row.handler_id, reported_at=row.reported_at, deadline=row.deadline,
            updated_at=row.updated_at, resolved_at=row.resolved_at, closed_at=row.closed_at,
            satisfaction=row.satisfaction, escalations=row.escalations, lat=row.lat,
            long=row.long, media_url=row.media_url, address=address,
            deadline_provisional=bool(row.deadline_provisional),
        )

    def _step(
        self, op: Operation, row: Any, event: CaseEvent, when: pendulum.DateTime, *,
        note: str = "", to_status: CaseStatus | None = None, **changes: Any,
    ) -> Any:
        """Apply one transition: guarded update of the case, one journal row."""
        old = CaseStatus(row.status)
        new = to_status if to_status is not None else next_status(old, event)
        seq = row.seq + 1
        values = {"status": new.value, "updated_at": when, "seq": seq, **changes}
        level = values.get("level", row.level)
        unit = values.get("unit_code", row.unit_code)
        handler = values.get("handler_id", row.handler_id)
        step = {
            "case_id": row.id, "seq": seq, "event": event.value,
            "from_status": old.value, "to_status": new.value, "actor": str(op.actor),
            "at": when, "level": int(level), "unit_code": unit, "handler_id": handler,
            "note": note}
        # the guarded UPDATE (seq unchanged since the read) makes row.chain_head current
        values["chain_head"] = chain_transition(row.chain_head, step)
        done = op.uow.conn.execute(_GUARDED_UPDATE, {**values, "k_id": row.id,
                                                     "k_seq": row.seq})
        if done.rowcount != 1:
            raise ConflictError(
                f"case {row.id} was changed by someone else meanwhile; reload it and retry")
        try:
            op.uow.conn.execute(ct.case_transitions.insert(), step)
        except IntegrityError:
            raise ConflictError(
                f"case {row.id} was changed by someone else meanwhile; reload it and retry"
            ) from None
        op.touch("case", row.id)
        op.emit(f"case.{event.value}", {"case_id": row.id, "status": new.value,
                                        "level": RouteLevel(level).key, "unit_code": unit})
        return self._row(op, row.id)
