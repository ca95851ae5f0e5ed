"""Open311 GeoReport v2 exchange (开放接口) of the cases service: services, export with
personal data masked, and import."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from community_governance.domain.access import Actor, Target
from community_governance.domain.cases import CLOSED_STATUSES, CaseStatus
from community_governance.errors import ValidationError
from community_governance.services.base import Operation, county_days_utc
from community_governance.services.cases.common import (
    CASE_EXPORT,
    CASE_IMPORT,
    ImportResult,
)
from community_governance.services.cases.lifecycle import LifecycleMixin
from community_governance.storage.repos.bulk import chunks as _chunks
from community_governance.storage.repos.bulk import streamed
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import cases as ct
from community_governance.storage.tables import core as t


def _batches(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    """``rows`` in lists of ``size`` (the last may be shorter)."""
    while part := list(itertools.islice(rows, size)):
        yield part


class Open311Mixin(LifecycleMixin):
    """The Open311 (开放接口) part of the cases service: GeoReport v2 services, export and
    import."""

    # ------------------------------------------------------------------ Open311

    def open311_services(self, county: str | None = None, *,
                         metadata: bool = False) -> list[dict[str, Any]]:
        """The categories as GeoReport v2 *services* (``services.json``).

        Args:
            county: the county whose categories are listed (default: the store's).
            metadata: whether the services have definitions (``services/{code}.json``: the
                HTTP API serves them, a file export does not).
        """
        from community_governance.io.open311 import category_to_service

        return [category_to_service(c, metadata=metadata) for c in self.categories(county)]

    def open311_updates(
        self, actor: Actor, *, within: str | None = None, start: dt.datetime | None = None,
        end: dt.datetime | None = None, limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """The cases' steps as mySociety ``servicerequestupdates`` (oldest first), notes
        masked.

        Args:
            actor: who reads (``case.export`` scope).
            within: only cases under this unit code (a county's code for its jurisdiction).
            start: only steps at or after this moment.
            end: only steps before this moment.
            limit: at most this many.
        """
        from community_governance.io.open311 import transition_to_update

        with self._read(actor, "cases.export") as op:
            c, tr = ct.cases.c, ct.case_transitions.c
            q = sa.select(tr.case_id, tr.seq, tr.to_status, tr.at, tr.note).join(
                ct.cases, c.id == tr.case_id).where(scope_clause(
                    op.scope(CASE_EXPORT), unit=c.building_code, grid=c.grid_code))
            if within:
                q = q.where(c.building_code.startswith(within, autoescape=True))
            if start is not None:
                q = q.where(tr.at >= start)
            if end is not None:
                q = q.where(tr.at < end)
            rows = op.uow.conn.execute(q.order_by(tr.at, tr.case_id, tr.seq).limit(limit)).all()
        return [transition_to_update(r.case_id, r.seq, CaseStatus(r.to_status), r.at, r.note,
                                     timezone=self._gov.timezone) for r in rows]

    def export_open311(
        self, actor: Actor, *, within: str | None = None, start: dt.date | None = None,
        end: dt.date | None = None, zipcode: str | None = None,
        ids: Sequence[str] | None = None, service_codes: Sequence[str] | None = None,
        status: str | None = None, start_at: dt.datetime | None = None,
        end_at: dt.datetime | None = None, limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Cases as GeoReport v2 service requests (``requests.json``), personal data masked.

        ID numbers and phone numbers typed into descriptions are masked, reporter names are
        masked (``张*``), and the reporter's phone is never included. For many cases, stream
        them with :meth:`iter_open311` instead.

        Args:
            actor: who exports (``case.export`` scope).
            within: only under this unit code.
            start: only cases reported on or after this county day.
            end: only cases reported on or before this county day.
            zipcode: the postal code to put in ``zipcode`` (e.g. 472300 for Yima).
            ids: only these cases (GeoReport ``service_request_id``).
            service_codes: only these categories (GeoReport ``service_code``).
            status: only ``open`` or only ``closed`` cases (GeoReport ``status``).
            start_at: only cases reported at or after this moment (GeoReport ``start_date``).
            end_at: only cases reported before this moment (GeoReport ``end_date``).
            limit: at most this many, the newest (GeoReport servers return at most 1,000).
        """
        return list(self.iter_open311(
            actor, within=within, start=start, end=end, zipcode=zipcode, ids=ids,
            service_codes=service_codes, status=status, start_at=start_at, end_at=end_at,
            limit=limit))

    def iter_open311(
        self, actor: Actor, *, within: str | None = None, start: dt.date | None = None,
        end: dt.date | None = None, zipcode: str | None = None,
        ids: Sequence[str] | None = None, service_codes: Sequence[str] | None = None,
        status: str | None = None, start_at: dt.datetime | None = None,
        end_at: dt.datetime | None = None, limit: int | None = None, batch: int = 1000,
    ) -> Iterator[dict[str, Any]]:
        """:meth:`export_open311` streamed (with the same filters): the same service requests
        in the same order, one at a time, the cases fetched ``batch`` at a time (a server-side
        cursor on PostgreSQL)
        with their addresses, units and latest remarks looked up batch by batch, so that a
        prefecture's cases are exported in constant memory.

        The read transaction stays open until the iterator is exhausted or closed (use it in a
        ``for`` loop or close it); call nothing else on the same in-memory store meanwhile.

        Raises:
            ValidationError: ``batch`` is below 1 (when iteration starts).
        """
        from community_governance.io.open311 import case_to_request

        if batch < 1:
            raise ValidationError(f"a batch holds at least one case, got {batch}",
                                  path="batch")
        cats = {c.code: c for c in self.categories()}
        with self._read(actor, "cases.export") as op:
            c = ct.cases.c
            q = sa.select(ct.cases).where(scope_clause(
                op.scope(CASE_EXPORT), unit=c.building_code, grid=c.grid_code))
            if within:
                q = q.where(c.building_code.startswith(within, autoescape=True))
            if start:
                q = q.where(c.reported_at >= county_days_utc(self._gov.timezone, start, start)[0])
            if end:
                q = q.where(c.reported_at < county_days_utc(self._gov.timezone, end, end)[1])
            if ids is not None:
                q = q.where(c.id.in_(list(ids)))
            if service_codes is not None:
                q = q.where(c.category.in_(list(service_codes)))
            if status is not None:
                closed = [s.value for s in CLOSED_STATUSES]
                q = q.where(c.status.in_(closed) if status == "closed"
                            else c.status.not_in(closed))
            if start_at is not None:
                q = q.where(c.reported_at >= start_at)
            if end_at is not None:
                q = q.where(c.reported_at < end_at)
            if limit is not None:
                newest = q.order_by(c.reported_at.desc(), c.id.desc()).limit(limit).subquery()
                q = sa.select(ct.cases).where(c.id.in_(sa.select(newest.c.id)))
            conn = op.uow.conn
            units: dict[str, str] = {}
            for rows in _batches(streamed(conn, q.order_by(c.reported_at, c.id), batch), batch):
                addr = self._addresses(op, {r.building_code for r in rows})
                codes = ({r.unit_code for r in rows} | {r.unit_code[:12] for r in rows
                                                       if "-" in r.unit_code}) - set(units)
                found = dict(conn.execute(sa.select(t.units.c.code, t.units.c.name).where(
                    t.units.c.code.in_(sorted(codes)))).all())
                for code in sorted(found, key=lambda k: "-" in k):
                    # a grid: name it with its community
                    units[code] = (units.get(code[:12], found.get(code[:12], ""))
                                   + found[code] if "-" in code else found[code])
                notes = self._last_notes(op, [r.id for r in rows])
                for r in rows:
                    case = self._case(r, addr.get(r.building_code, ""))
                    agency = r.department or units.get(r.unit_code, r.unit_code)
                    yield case_to_request(case, cats.get(r.category), agency=agency,
                                          timezone=self._gov.timezone, zipcode=zipcode,
                                          status_notes=notes.get(r.id))

    @staticmethod
    def _last_notes(op: Operation, ids: list[str]) -> dict[str, str]:
        tr = ct.case_transitions.c
        out: dict[str, str] = {}
        for chunk in _chunks(ids):
            rows = op.uow.conn.execute(
                sa.select(tr.case_id, tr.seq, tr.note).where(
                    tr.case_id.in_(chunk), tr.note != "").order_by(tr.case_id, tr.seq))
            for r in rows:
                out[r.case_id] = r.note
        return out

    def import_open311(self, actor: Actor, requests: Sequence[Mapping[str, Any]], *,
                       source: str = "open311") -> ImportResult:
        """Create cases from GeoReport v2 service requests (all or nothing).

        ``service_code`` must be a known category and ``address_id`` a registered building.
        Ids already present are skipped, so an import can be repeated. Each case gets one
        ``import`` transition in the status the source reported.

        Raises:
            ValidationError: a request breaks GeoReport v2 (the path names it).
            NotFound: a building does not exist.
        """
        from community_governance.io.open311 import parse_request

        parsed = [parse_request(r, path=f"$[{i}]") for i, r in enumerate(requests)]
        created: list[str] = []
        skipped: list[str] = []
        with self._write(actor, "cases.import") as op:
            existing = set(op.uow.conn.execute(sa.select(ct.cases.c.id).where(
                ct.cases.c.id.in_([p.id for p in parsed]))).scalars())
            for p in parsed:
                if p.id in existing:
                    skipped.append(p.id)
                    continue
                op.require(CASE_IMPORT, Target("case", p.id, unit_code=p.building_code))
                extra: dict[str, Any] = {"updated_at": p.updated_at or p.requested_at}
                if p.expected is not None:
                    extra["deadline"] = self._local(p.expected)
                    extra["deadline_provisional"] = p.deadline_provisional
                if p.status in CLOSED_STATUSES:
                    extra["resolved_at"] = p.updated_at or p.requested_at
                if p.status is CaseStatus.CLOSED:
                    extra["closed_at"] = p.updated_at or p.requested_at
                    extra["satisfaction"] = p.satisfaction
                if extra["updated_at"] > op.now.add(minutes=5):
                    raise ValidationError("updated_datetime lies in the future",
                                          path=f"{p.path}.updated_datetime")
                self._report(
                    op, category=p.category, building_code=p.building_code,
                    description=p.description, channel=p.channel, household_id=None,
                    reporter_id=None, reporter_name=p.reporter_name, reporter_phone=None,
                    lat=p.lat, long=p.long, media_url=p.media_url, case_id=p.id,
                    at=p.requested_at, status=p.status, note=p.status_notes or "",
                    source=source, extra=extra)
                existing.add(p.id)
                created.append(p.id)
            return ImportResult(tuple(created), tuple(skipped))
