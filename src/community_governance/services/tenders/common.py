"""Shared pieces of the purchase-of-services service (政府购买服务): the actions, the hook-answer
checks, the rules of a place, the conflict graph and the row helpers (loading, one guarded
transition of a lot)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pendulum
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.calendars import WorkingDayCalendar
from community_governance.domain.access import Action, Target
from community_governance.domain.actions import COMMUNITY_OFFICE, HIGHER_OFFICE, LOCAL_POSTS
from community_governance.domain.cases import mask_name
from community_governance.domain.funds import from_fen
from community_governance.domain.pii_text import check_public_text
from community_governance.domain.posts import PostKind
from community_governance.domain.tenders import (
    Conflict,
    Criterion,
    CriterionKind,
    Deliverable,
    Instalment,
    Lot,
    LotEvent,
    LotStatus,
    Procedure,
    ProcedureRules,
    check_criteria,
    next_status,
)
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.plugins import expect_type, working_day_calendar
from community_governance.services.base import Operation, Service
from community_governance.storage.tables import core as t
from community_governance.storage.tables import orgs as ot
from community_governance.storage.tables import points as pt
from community_governance.storage.tables import tenders as tt

if TYPE_CHECKING:
    from community_governance.services.context import Context
    from community_governance.services.funds import FundsService
    from community_governance.services.orgs import OrgsService

__all__ = ["TENDER_DECIDE", "TENDER_DISCLOSE", "TENDER_MANAGE", "TENDER_READ", "TendersBase",
           "expect_criteria", "expect_procedure"]

_LEADERS = frozenset({PostKind.SECRETARY, PostKind.DIRECTOR})
#: Raise needs, receive sealed bids, record the panel's score sheets, file objections, accept
#: deliverables, request payments: the community office and above.
TENDER_MANAGE = Action("tender.manage", roles=COMMUNITY_OFFICE | HIGHER_OFFICE)
#: Decide: create projects (reserving the budget), publish, open, seat the panel, award,
#: answer objections, sign, evaluate, cancel: the community's leaders and the offices above.
TENDER_DECIDE = Action("tender.decide", roles=_LEADERS | HIGHER_OFFICE)
#: Read needs, projects, tenders, bids (once opened), contracts and payments.
TENDER_READ = Action("tender.read", roles=COMMUNITY_OFFICE | HIGHER_OFFICE | LOCAL_POSTS)
#: Anyone reads the public disclosure of awards and contracts (中标及合同公开) and the OCDS.
TENDER_DISCLOSE = Action("tender.disclose", public=True)

#: The hour and minute of the bid deadline, which is also the opening time (开标时间).
DEADLINE_TIME = (9, 30)


def expect_procedure(procedure: Procedure) -> Any:
    """A check: a :class:`ProcedureRules` for ``procedure``."""
    def check(value: Any) -> ProcedureRules:
        got = expect_type(ProcedureRules)(value)
        if got.procedure is not procedure:
            raise ValueError(f"asked for {procedure.value}, answered {got.procedure.value}")
        return got

    return check


def expect_criteria(value: Any) -> tuple[Criterion, ...]:
    """A list of :class:`Criterion` adding up to 100 with at most one price criterion."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise TypeError("expected a list of Criterion")
    return check_criteria([expect_type(Criterion)(v) for v in value])


def public_text(value: object, path: str, *, limit: int = 200, required: bool = True) -> str:
    """A text that will be published: stripped, bounded (:func:`free_text`), without personal
    numbers."""
    text = free_text(value, path, limit=limit, required=required)
    check_public_text(text, path)
    return text


def free_text(value: object, path: str, *, limit: int = 4000, required: bool = True) -> str:
    """A free text (masked on the way out): stripped and bounded."""
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationError(f"{path} must be a non-empty text", path=path)
    text = value.strip()
    if len(text) > limit:
        raise ValidationError(f"{path} is longer than {limit} characters", path=path)
    return text


def criteria_json(criteria: Iterable[Criterion]) -> str:
    """The criteria as stored in a notice."""
    return json.dumps([[c.code, c.name, c.weight, c.kind.value, c.name_en] for c in criteria],
                      ensure_ascii=False)


def criteria_from(text: str) -> tuple[Criterion, ...]:
    """The criteria of a notice as stored."""
    return tuple(Criterion(c, n, w, CriterionKind(k), e) for c, n, w, k, e in json.loads(text))


def rules_json(rules: ProcedureRules) -> str:
    """A procedure's rules as stored in a notice."""
    return json.dumps({"procedure": rules.procedure.value, "bid_days": rules.bid_days,
                       "standstill_days": rules.standstill_days,
                       "min_bidders": rules.min_bidders, "max_bidders": rules.max_bidders,
                       "min_panel": rules.min_panel})


def rules_from(text: str) -> ProcedureRules:
    """A notice's procedure rules as stored."""
    return ProcedureRules(**json.loads(text))


def terms_json(deliverables: Iterable[Deliverable], instalments: Iterable[Instalment]) -> str:
    """A contract's deliverables and payment schedule as stored."""
    return json.dumps({"deliverables": [[d.code, d.name, d.due.isoformat()]
                                        for d in deliverables],
                       "instalments": [[i.number, str(i.amount), i.deliverable]
                                       for i in instalments]}, ensure_ascii=False)


def terms_from(text: str) -> tuple[tuple[Deliverable, ...], tuple[Instalment, ...]]:
    """A contract's deliverables and payment schedule as stored."""
    got = json.loads(text)
    return (tuple(Deliverable(c, n, dt.date.fromisoformat(d)) for c, n, d in got["deliverables"]),
            tuple(Instalment(n, a, d) for n, a, d in got["instalments"]))


def lot_from(row: Any) -> Lot:
    """A lot row as a domain value."""
    return Lot(id=row.id, tender_id=row.tender_id, number=row.number, title=row.title,
               budget=from_fen(int(row.budget_fen)),
               kinds=tuple(k for k in row.kinds.split(",") if k), min_grade=row.min_grade,
               status=LotStatus(row.status), winner_bid_id=row.winner_bid_id,
               awarded_on=row.awarded_on, standstill_until=row.standstill_until,
               standstill_provisional=bool(row.standstill_provisional), seq=row.seq)


_GUARDED = tt.tender_lots.update().where(tt.tender_lots.c.id == sa.bindparam("k_id"),
                                         tt.tender_lots.c.seq == sa.bindparam("k_seq"))


class TendersBase(Service):
    """The rules of a place, the conflict graph and the row helpers every part uses."""

    def __init__(self, gov: Context) -> None:
        super().__init__(gov)
        self._calendars: dict[str, WorkingDayCalendar] = {}
        self._funds_service: FundsService | None = None
        self._orgs_service: OrgsService | None = None

    # ------------------------------------------------------------------ collaborators

    @property
    def _funds(self) -> FundsService:
        if self._funds_service is None:
            from community_governance.services.funds import FundsService

            self._funds_service = FundsService(self._gov)
        return self._funds_service

    @property
    def _orgs(self) -> OrgsService:
        if self._orgs_service is None:
            from community_governance.services.orgs import OrgsService

            self._orgs_service = OrgsService(self._gov)
        return self._orgs_service

    # ------------------------------------------------------------------ rules (hooks)

    def procedure_rules(self, county_code: str, procedure: Procedure | str) -> ProcedureRules:
        """The rules of a procedure in a county (``cgov_tenders_procedure``)."""
        try:
            proc = Procedure(procedure)
        except ValueError:
            raise ValidationError(f"procedure {procedure!r} is not one of "
                                  f"{[p.value for p in Procedure]}", path="procedure") from None
        got: ProcedureRules = self._hooks.first(
            "cgov_tenders_procedure", expect_procedure(proc), place=county_code,
            county_code=county_code, procedure=proc.value)
        return got

    def criteria(self, community_code: str, category: str) -> tuple[Criterion, ...]:
        """The scoring criteria of a place for a category (``cgov_tenders_scoring_criteria``)."""
        return self._hooks.first("cgov_tenders_scoring_criteria", expect_criteria,
                                 place=community_code, community_code=community_code,
                                 category=category)

    def calendar(self, community_code: str) -> WorkingDayCalendar:
        """The working-day calendar of the community's county (cached per county)."""
        county = community_code[:6]
        found = self._calendars.get(county)
        if found is None:
            found = self._calendars[county] = working_day_calendar(self._hooks, county)
        return found

    # ------------------------------------------------------------------ helpers

    def _deadline_moment(self, day: dt.date) -> pendulum.DateTime:
        h, m = DEADLINE_TIME
        return pendulum.datetime(day.year, day.month, day.day, h, m,
                                 tz=self._gov.timezone).in_timezone("UTC")

    @staticmethod
    def _target(community: str, kind: str = "tender", key: object = "") -> Target:
        return Target(kind, str(key or community), unit_code=community)

    @staticmethod
    def _one(op: Operation, table: sa.Table, key: object, what: str, hint: str = "",
             *, lock: bool = False) -> Any:
        q = sa.select(table).where(table.c[table.primary_key.columns.keys()[0]] == key)
        if lock:
            q = q.with_for_update()
        row = op.uow.conn.execute(q).first()
        if row is None:
            raise NotFound(what, key, hint)
        return row

    def _project_row(self, op: Operation, project_id: str) -> Any:
        return self._one(op, tt.tender_projects, project_id, "purchase project",
                         "list them with cgov tenders projects")

    def _notice_row(self, op: Operation, tender_id: str) -> Any:
        return self._one(op, tt.tender_notices, tender_id, "tender",
                         "list them with cgov tenders list")

    def _lot_row(self, op: Operation, lot_id: int, *, lock: bool = False) -> Any:
        return self._one(op, tt.tender_lots, lot_id, "lot", "see cgov tenders show TENDER",
                         lock=lock)

    def _lot_context(self, op: Operation, lot_id: int, *, lock: bool = False
                     ) -> tuple[Any, Any, Any]:
        """A lot's row with its notice's and its project's."""
        lot = self._lot_row(op, lot_id, lock=lock)
        notice = self._notice_row(op, lot.tender_id)
        return lot, notice, self._project_row(op, notice.project_id)

    def _step(self, op: Operation, lot: Any, event: LotEvent, *, note: str = "",
              **changes: Any) -> Any:
        """Apply one transition: a guarded update of the lot, one journal row.

        Raises:
            InvalidTransition: the lifecycle does not allow ``event`` now.
            ConflictError: someone else changed the lot since it was read.
        """
        old = LotStatus(lot.status)
        new = next_status(old, event)
        seq = lot.seq + 1
        values: dict[str, Any] = {"status": new.value, "seq": seq, "updated_at": op.now,
                                  **changes}
        done = op.uow.conn.execute(_GUARDED, {**values, "k_id": lot.id, "k_seq": lot.seq})
        if done.rowcount != 1:
            raise ConflictError(f"lot {lot.id} was changed by someone else meanwhile; reload "
                                "it and retry")
        try:
            op.uow.conn.execute(tt.tender_lot_transitions.insert().values(
                lot_id=lot.id, seq=seq, event=event.value, from_status=old.value,
                to_status=new.value, actor=str(op.actor), at=op.now, day=op.today, note=note))
        except IntegrityError:
            raise ConflictError(f"lot {lot.id} was changed by someone else meanwhile; reload "
                                "it and retry") from None
        op.touch("tender_lot", lot.id)
        op.detail.setdefault("events", []).append(event.value)
        op.emit(f"tender.{event.value}", {"lot_id": lot.id, "status": new.value})
        return self._lot_row(op, lot.id)

    # ------------------------------------------------------------------ the conflict graph

    @staticmethod
    def _conflicts(conn: sa.Connection, members: dict[str, tuple[str, ...]],
                   org_ids: Iterable[str], day: dt.date) -> list[Conflict]:
        """Ties between panel members and bidders: declared ones, and those the library's own
        records show (the organization's staff, its volunteer team, a staff member's household
        or party organization).

        Args:
            members: member key → organizations the member declared.
            org_ids: the bidders.
            day: the day the ties are looked at.
        """
        orgs = sorted(set(org_ids))
        if not members or not orgs:
            return []
        out: list[Conflict] = []
        for m, declared in members.items():
            out += [Conflict(m, o, "declared", f"{m} declared a tie with {o} (主动申报)")
                    for o in orgs if o in declared]
        s = ot.social_org_staff
        staff_rows = conn.execute(sa.select(s.c.org_id, s.c.person_id, s.c.name).where(
            s.c.org_id.in_(orgs), s.c.person_id.is_not(None), s.c.joined_on <= day,
            sa.or_(s.c.left_on.is_(None), s.c.left_on >= day))).all()
        staff: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for r in staff_rows:
            staff[r.org_id].append((r.person_id, mask_name(r.name) or ""))
        people = {p for lst in staff.values() for p, _ in lst} | set(members)
        res = t.residents
        household = dict(conn.execute(sa.select(res.c.id, res.c.household_id).where(
            res.c.id.in_(people), res.c.household_id.is_not(None))).all())
        pm = t.party_memberships
        party: dict[str, set[str]] = defaultdict(set)
        for rid, porg in conn.execute(sa.select(pm.c.resident_id, pm.c.org_id).where(
                pm.c.resident_id.in_(people), pm.c.start <= day,
                sa.or_(pm.c.end.is_(None), pm.c.end >= day))):
            party[rid].add(porg)
        o = ot.social_orgs
        teams = dict(conn.execute(sa.select(o.c.id, o.c.volunteer_org_id).where(
            o.c.id.in_(orgs), o.c.volunteer_org_id.is_not(None))).all())
        vm = pt.volunteer_memberships
        volunteers = {(r.org_id, r.resident_id) for r in conn.execute(
            sa.select(vm.c.org_id, vm.c.resident_id).where(
                vm.c.org_id.in_(list(teams.values())), vm.c.resident_id.in_(list(members))))}
        for m in members:
            for org in orgs:
                for person, name in staff.get(org, []):
                    if person == m:
                        out.append(Conflict(m, org, "staff", f"{m} is on the staff of {org}"))
                        continue
                    hh = household.get(m)
                    if hh is not None and household.get(person) == hh:
                        out.append(Conflict(m, org, "household",
                                            f"{m} lives in the household of {org}'s staff "
                                            f"member {name}"))
                    shared = party.get(m, set()) & party.get(person, set())
                    if shared:
                        out.append(Conflict(m, org, "party",
                                            f"{m} is in the party organization "
                                            f"{sorted(shared)[0]} with {org}'s staff member "
                                            f"{name}"))
                team = teams.get(org)
                if team is not None and (team, m) in volunteers:
                    out.append(Conflict(m, org, "volunteer",
                                        f"{m} is a member of {org}'s volunteer team {team}"))
        seen: set[tuple[str, str, str]] = set()
        unique = []
        for c in out:
            if (c.member_id, c.org_id, c.reason) not in seen:
                seen.add((c.member_id, c.org_id, c.reason))
                unique.append(c)
        return unique

    @staticmethod
    def _panel(conn: sa.Connection, tender_id: str) -> dict[str, tuple[str, ...]]:
        p = tt.tender_panel
        return {r.member_id: tuple(x for x in r.declared.split(",") if x)
                for r in conn.execute(sa.select(p.c.member_id, p.c.declared).where(
                    p.c.tender_id == tender_id).order_by(p.c.member_id))}

    @staticmethod
    def _valid_bids(conn: sa.Connection, lot_id: int) -> list[Any]:
        """The lot's bids the opening found valid, received first first, with their price."""
        b, o = tt.tender_bids, tt.tender_openings
        return list(conn.execute(
            sa.select(b.c.id, b.c.org_id, b.c.received_at, o.c.price_fen)
            .select_from(b.join(o, o.c.bid_id == b.c.id))
            .where(b.c.lot_id == lot_id, o.c.valid.is_(True))
            .order_by(b.c.received_at, b.c.id)).all())

    @staticmethod
    def _disqualified(conn: sa.Connection, lot_id: int) -> set[int]:
        """Bids disqualified by an upheld objection."""
        ob = tt.tender_objections
        return set(conn.execute(sa.select(ob.c.against_bid_id).where(
            ob.c.lot_id == lot_id, ob.c.upheld.is_(True))).scalars())

    @staticmethod
    def _marks(conn: sa.Connection, bid_ids: list[int]
               ) -> dict[int, dict[str, dict[str, Decimal]]]:
        sc = tt.tender_scores
        out: dict[int, dict[str, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
        if bid_ids:
            for r in conn.execute(sa.select(sc.c.bid_id, sc.c.member_id, sc.c.criterion,
                                            sc.c.hundredths).where(sc.c.bid_id.in_(bid_ids))):
                out[r.bid_id][r.member_id][r.criterion] = Decimal(r.hundredths) / 100
        return out
