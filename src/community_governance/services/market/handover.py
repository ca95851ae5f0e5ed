"""The "three supplies and one property" handover (三供一业移交): per compound and per supply,
from whom to whom, when, the households concerned and the subsidy each loses; cases tagged to a
handover compound; progress and complaint load per compound and month."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain.access import Actor
from community_governance.domain.funds import to_fen
from community_governance.domain.market import (
    HandoverRecord,
    HandoverStatus,
    next_handover_status,
)
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.services.base import Service
from community_governance.services.market.common import (
    MARKET_WRITE,
    compound_row,
    handover_from_row,
    month_of,
    target,
)
from community_governance.storage.tables import cases as ct
from community_governance.storage.tables import core as t
from community_governance.storage.tables import market as mt

__all__ = ["HandoverMixin", "HandoverReport"]

_ZERO = Decimal("0.00")


@attrs.frozen
class HandoverReport:
    """Progress of the handover and the complaint load (三供一业移交进度与诉求) of the compounds
    under a prefix.

    Attributes:
        compounds: one dict per compound: ``compound``, ``name``, ``households``, ``supplies``,
            ``completed``, ``subsidy_removed_per_year`` (CNY, all its households), ``cases``
            (in the period), ``last_handover`` (the latest day of its supplies).
        months: one dict per compound and month with cases: ``compound``, ``month``,
            ``cases``, ``open`` (not yet resolved or closed).
        start: first day counted for cases.
        end: last day counted for cases.
    """

    compounds: tuple[dict[str, Any], ...]
    months: tuple[dict[str, Any], ...]
    start: dt.date
    end: dt.date

    @property
    def households(self) -> int:
        """Households of every compound handed over."""
        return sum(int(c["households"]) for c in self.compounds)

    @property
    def completed_compounds(self) -> int:
        """Compounds whose every supply is handed over."""
        return sum(1 for c in self.compounds if c["completed"] == c["supplies"])

    @property
    def subsidy_removed(self) -> Decimal:
        """The subsidies every household concerned loses per year, together (CNY)."""
        return sum((Decimal(c["subsidy_removed_per_year"]) for c in self.compounds), _ZERO)

    @property
    def cases(self) -> int:
        """Cases of the period in handover compounds."""
        return sum(int(c["cases"]) for c in self.compounds)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "compounds": list(self.compounds), "months": list(self.months),
                "totals": {"compounds": len(self.compounds), "households": self.households,
                           "completed_compounds": self.completed_compounds,
                           "subsidy_removed_per_year": str(self.subsidy_removed),
                           "cases": self.cases}}


class HandoverMixin(Service):
    """The 三供一业 handover (``gov.market``)."""

    def record_handovers(self, actor: Actor, records: Iterable[HandoverRecord]) -> int:
        """Record handovers, one per compound and supply, all or nothing.

        Raises:
            NotFound: a compound does not exist.
            ValidationError: more households than the compound holds.
            ConflictError: the compound's supply has a handover record already.
            PermissionDenied: the actor may not act for the compound's community.
        """
        items = list(records)
        with self._write(actor, "market.record_handovers") as op:
            conn = op.uow.conn
            b, h = t.buildings.c, t.households.c
            codes = sorted({r.compound_code for r in items})
            held: dict[str, int] = {}
            if codes:
                held = {k: int(v) for k, v in conn.execute(
                    sa.select(b.compound_code, sa.func.sum(b.households_planned))
                    .where(b.compound_code.in_(codes)).group_by(b.compound_code))}
                for k, v in conn.execute(
                        sa.select(b.compound_code, sa.func.count(h.id))
                        .select_from(t.households.join(t.buildings,
                                                       b.code == h.building_code))
                        .where(b.compound_code.in_(codes)).group_by(b.compound_code)):
                    held[k] = max(held.get(k, 0), int(v))
            seen: set[str] = set()
            for i, r in enumerate(items):
                if r.compound_code not in seen:
                    compound_row(op, r.compound_code, f"$[{i}].compound_code")
                    op.require(MARKET_WRITE, target("handover", r.id, r.compound_code))
                    seen.add(r.compound_code)
                if r.households > held.get(r.compound_code, 0):
                    raise ValidationError(
                        f"handover {r.id}: {r.households} households, but compound "
                        f"{r.compound_code} holds {held.get(r.compound_code, 0)}: count the "
                        "households of the compound only", path=f"$[{i}].households")
            try:
                if items:
                    conn.execute(mt.market_handovers.insert(), [
                        {"id": r.id, "compound_code": r.compound_code,
                         "utility": r.utility.value, "from_party": r.from_party,
                         "to_party": r.to_party, "handed_over_on": r.handed_over_on,
                         "households": r.households, "subsidy_fen": to_fen(r.subsidy_removed),
                         "status": r.status.value, "recorded_at": op.now} for r in items])
            except IntegrityError:
                raise ConflictError(
                    "a handover with one of these keys, or of one of these supplies of a "
                    "compound, is recorded already: one record per compound and supply; "
                    "advance it instead (advance_handover)") from None
            op.touched.append(f"handovers:{len(items)}")
            op.detail["compounds"] = len(seen)
            return len(items)

    def advance_handover(self, actor: Actor, handover_id: str, event: str, *,
                         on: dt.date | None = None) -> HandoverRecord:
        """Move a handover on (``agree``, ``renovate``, ``complete``); ``complete`` sets the
        day of the handover to ``on`` (default today).

        Raises:
            NotFound: no such handover.
            InvalidTransition: the event does not apply in its status.
            ConflictError: it changed meanwhile (another writer moved it first).
        """
        with self._write(actor, "market.advance_handover") as op:
            conn = op.uow.conn
            r = conn.execute(sa.select(mt.market_handovers).where(
                mt.market_handovers.c.id == handover_id)).first()
            if r is None:
                raise NotFound("handover", handover_id)
            rec = handover_from_row(r)
            op.require(MARKET_WRITE, target("handover", rec.id, rec.compound_code))
            new = next_handover_status(rec.status, event)
            day = rec.handed_over_on
            if new is HandoverStatus.COMPLETED:
                day = on or op.today
                if day > op.today:
                    raise ValidationError(f"handover {handover_id} completes on a day up to "
                                          f"today ({op.today}), not {day}", path="on")
            got = conn.execute(mt.market_handovers.update().where(
                mt.market_handovers.c.id == handover_id,
                mt.market_handovers.c.status == rec.status.value).values(
                status=new.value, handed_over_on=day))
            if got.rowcount != 1:  # pragma: no cover - a concurrent writer
                raise ConflictError(f"handover {handover_id} changed meanwhile: read it again")
            op.touch("handover", handover_id)
            op.detail.update(event=event, status=new.value)
            return attrs.evolve(rec, status=new, handed_over_on=day)

    def handovers(self, compound_prefix: str = "") -> list[HandoverRecord]:
        """Handover records of compounds under a prefix, by compound and supply (public)."""
        c = mt.market_handovers.c
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(sa.select(mt.market_handovers).where(
                c.compound_code.startswith(compound_prefix, autoescape=True))
                .order_by(c.compound_code, c.utility)).all()
        return [handover_from_row(r) for r in rows]

    def tag_cases(self, actor: Actor, compound: str, case_ids: Iterable[str]) -> int:
        """Tag cases to a handover compound (a case reported in one of its buildings counts
        without a tag; a tag places a case reported elsewhere, e.g. at the community office).

        Raises:
            NotFound: the compound or a case does not exist.
            ValidationError: the compound has no handover record.
            ConflictError: a case is tagged already.
            PermissionDenied: the actor may not act for the compound's community.
        """
        ids = list(dict.fromkeys(case_ids))
        with self._write(actor, "market.tag_cases") as op:
            conn = op.uow.conn
            compound_row(op, compound, "compound")
            op.require(MARKET_WRITE, target("handover", compound, compound))
            if conn.execute(sa.select(mt.market_handovers.c.id).where(
                    mt.market_handovers.c.compound_code == compound).limit(1)).first() is None:
                raise ValidationError(
                    f"compound {compound} has no handover record: tag cases to a handover "
                    "compound (record its handover first: record_handovers)", path="compound")
            found = set(conn.execute(sa.select(ct.cases.c.id).where(
                ct.cases.c.id.in_(ids))).scalars()) if ids else set()
            missing = [i for i in ids if i not in found]
            if missing:
                raise NotFound("case", missing[0], f"({len(missing)} of {len(ids)} unknown)")
            try:
                if ids:
                    conn.execute(mt.market_handover_cases.insert(), [
                        {"case_id": i, "compound_code": compound} for i in ids])
            except IntegrityError:
                raise ConflictError("one of these cases is tagged to a compound already") \
                    from None
            op.touch("handover_cases", f"{compound}:{len(ids)}")
            return len(ids)

    def handover_report(self, prefix: str = "", *, start: dt.date | None = None,
                        end: dt.date | None = None) -> HandoverReport:
        """Progress of the handover and complaint load per compound and month: every compound
        under ``prefix`` with a handover record; its cases (reported in its buildings or tagged
        to it, any category) between ``start`` and ``end`` (default: the whole record)."""
        h = mt.market_handovers.c
        first = start or dt.date(1900, 1, 1)
        last = end or dt.date(9999, 12, 31)
        with self._gov.store.unit_of_work(write=False) as uow:
            conn = uow.conn
            recs = [handover_from_row(r) for r in conn.execute(
                sa.select(mt.market_handovers).where(
                    h.compound_code.startswith(prefix, autoescape=True)))]
            codes = sorted({r.compound_code for r in recs})
            names = dict(conn.execute(sa.select(t.units.c.code, t.units.c.name).where(
                t.units.c.code.in_(codes))).all()) if codes else {}
            c, b = ct.cases.c, t.buildings.c
            tags = mt.market_handover_cases
            in_building = (sa.select(c.id, b.compound_code.label("compound"), c.reported_at,
                                     c.status)
                           .join(t.buildings, b.code == c.building_code)
                           .where(b.compound_code.in_(codes)))
            tagged = (sa.select(c.id, tags.c.compound_code.label("compound"), c.reported_at,
                                c.status)
                      .join(tags, tags.c.case_id == c.id)
                      .where(tags.c.compound_code.in_(codes)))
            cases: dict[str, tuple[str, dt.datetime, str]] = {}
            if codes:
                for row in conn.execute(in_building):
                    cases[row.id] = (row.compound, row.reported_at, row.status)
                for row in conn.execute(tagged):  # a tag places a case where it is tagged
                    cases[row.id] = (row.compound, row.reported_at, row.status)
        tz = self._gov.timezone
        per_compound: dict[str, int] = defaultdict(int)
        per_month: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for compound, at, status in cases.values():
            day = at.astimezone(tz).date()
            if not first <= day <= last:
                continue
            per_compound[compound] += 1
            x = per_month[(compound, month_of(day))]
            x[0] += 1
            x[1] += int(status not in ("resolved", "closed"))
        by: dict[str, list[HandoverRecord]] = defaultdict(list)
        for r in recs:
            by[r.compound_code].append(r)
        rows = []
        for code in codes:
            rs = by[code]
            households = max(r.households for r in rs)
            rows.append({
                "compound": code, "name": names.get(code, ""), "households": households,
                "supplies": len(rs),
                "completed": sum(1 for r in rs if r.status is HandoverStatus.COMPLETED),
                "subsidy_removed_per_year": str(sum((r.subsidy_removed_total for r in rs),
                                                    _ZERO)),
                "cases": per_compound.get(code, 0),
                "last_handover": max(r.handed_over_on for r in rs).isoformat()})
        months = tuple({"compound": k[0], "month": k[1], "cases": v[0], "open": v[1]}
                       for k, v in sorted(per_month.items()))
        return HandoverReport(tuple(rows), months, first, last)
