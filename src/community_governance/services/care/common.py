"""What the parts of the care service share: actions, hook checks, row helpers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from community_governance.domain import actions as A
from community_governance.domain.access import Action, Target
from community_governance.domain.care import CareCategory, CareNeed, Visibility, mask_evidence
from community_governance.domain.posts import PostKind as P
from community_governance.errors import NotFound, ValidationError
from community_governance.plugins import (
    Hooks,
    care_categories,
    expect_bool,
    expect_categories,
    expect_int,
)
from community_governance.services.base import Operation, Service
from community_governance.storage.tables import care as tc
from community_governance.storage.tables import core as t

__all__ = ["CADRE_POSTS", "CARE_MANAGE", "CARE_READ_OFFICE", "CARE_VISIT", "CareBase",
           "expect_categories", "expect_gift"]

#: Register care needs, assign cadres, plan rounds, record alerts: the community office and
#: higher offices.
CARE_MANAGE = Action("care.manage", roles=A.COMMUNITY_OFFICE | A.HIGHER_OFFICE, personal=True)
#: Record visits and help requests: the community office, assigned cadres and grid leaders.
CARE_VISIT = Action("care.visit", roles=A.COMMUNITY_OFFICE | frozenset(
    {P.ASSIGNED_CADRE, P.GRID_LEADER}), personal=True)
#: Read care needs marked for the office only (Visibility.OFFICE).
CARE_READ_OFFICE = Action("care.read_office", roles=A.COMMUNITY_OFFICE, personal=True)
#: The posts whose holders may be a resident's assigned cadre (分包干部): at the resident's
#: community (or grid, for assigned cadres and grid leaders).
CADRE_POSTS = frozenset({P.ASSIGNED_CADRE, P.SECRETARY, P.DIRECTOR, P.STAFF, P.GRID_LEADER})


def expect_gift(value: Any) -> str:
    """A check for a gift's name: 1 to 40 characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > 40:
        raise ValueError(f"expected a gift's name of 1 to 40 characters, got {value!r}")
    return value.strip()


def resident_place_query(*, housed: bool = False) -> sa.Select[Any]:
    """Residents with their building, grid and community (outer joins; with ``housed``, inner
    joins: only residents living in a building, which lets the database start from the
    buildings of a community rather than read every resident)."""
    q = sa.select(t.residents.c.id, t.residents.c.erased, t.residents.c.vulnerabilities,
                  t.residents.c.household_id, t.households.c.building_code,
                  t.buildings.c.grid_code, t.buildings.c.community_code)
    if housed:
        return q.select_from(
            t.residents.join(t.households, t.households.c.id == t.residents.c.household_id)
            .join(t.buildings, t.buildings.c.code == t.households.c.building_code))
    return (q.outerjoin(t.households, t.households.c.id == t.residents.c.household_id)
            .outerjoin(t.buildings, t.buildings.c.code == t.households.c.building_code))


def target_of(r: Any) -> Target:
    """The permission target of a row of :func:`resident_place_query`."""
    return Target("resident", r.id, r.building_code, r.grid_code, owner_id=r.id)


class CareBase(Service):
    """Helpers shared by the parts of :class:`~community_governance.services.care.CareService`."""

    _hooks: Hooks

    def __init__(self, gov: Any) -> None:
        super().__init__(gov)
        #: the cases and funds services a care operation writes through (in its transaction)
        self._cases_svc: Any = None
        self._funds_svc: Any = None

    # ------------------------------------------------------------------ rules (hooks)

    def categories(self, community: str) -> list[CareCategory]:
        """The care categories of ``community`` (``cgov_care_categories``), first one per code.

        Raises:
            PluginError: a plugin broke or answered something other than categories.
        """
        return care_categories(self._hooks, community)

    def _category(self, community: str, code: str, path: str = "category") -> CareCategory:
        cats = {c.code: c for c in self.categories(community)}
        got = cats.get(code)
        if got is None:
            raise ValidationError(
                f"{code!r} is not a care category of community {community} "
                f"(cgov_care_categories); use one of {sorted(cats)}", path=path)
        return got

    def visits_per_month(self, tier: int, community: str) -> int:
        """Visits a month due to a resident of ``tier`` (``cgov_care_visits_per_month``)."""
        return self._hooks.first("cgov_care_visits_per_month", expect_int(minimum=0, maximum=31),
                                 place=community, tier=tier, community_code=community)

    def due_hours(self, reason: str, level: str, community: str) -> int:
        """Hours a weather visit or a help request is due in (``cgov_care_due_hours``)."""
        return self._hooks.first("cgov_care_due_hours", expect_int(minimum=1, maximum=168),
                                 place=community, reason=reason, level=level,
                                 community_code=community)

    def cadre_capacity(self, reason: str, community: str) -> int:
        """Visits one cadre can make within a round (``cgov_care_cadre_capacity``)."""
        return self._hooks.first("cgov_care_cadre_capacity", expect_int(minimum=1, maximum=500),
                                 place=community, reason=reason, community_code=community)

    def stand_in_allowed(self, community: str) -> bool:
        """Whether a stand-in may record a visit (``cgov_care_stand_in_allowed``)."""
        return self._hooks.first("cgov_care_stand_in_allowed", expect_bool, place=community,
                                 community_code=community)

    # ------------------------------------------------------------------ rows

    @staticmethod
    def _resident(op: Operation, resident_id: str) -> Any:
        r = op.uow.conn.execute(resident_place_query().where(
            t.residents.c.id == resident_id)).first()
        if r is None:
            raise NotFound("resident", resident_id)
        return r

    def _need(self, r: Any, *, reveal: bool) -> CareNeed:
        evidence = self._gov.cipher.open(r.evidence) if r.evidence else ""
        return CareNeed(r.id, r.resident_id, r.community_code, r.category, r.start, r.end,
                        (evidence or "") if reveal else mask_evidence(evidence or ""),
                        Visibility(r.visibility))

    @staticmethod
    def _active(table: sa.Table, day: dt.date) -> sa.ColumnElement[bool]:
        return sa.and_(table.c.start <= day, sa.or_(table.c.end.is_(None), table.c.end >= day))

    @staticmethod
    def _in_care(op: Operation, resident_id: str, day: dt.date) -> bool:
        n = tc.care_needs
        return op.uow.conn.execute(sa.select(n.c.id).where(
            n.c.resident_id == resident_id, n.c.category != "",
            CareBase._active(n, day)).limit(1)).first() is not None

    @staticmethod
    def _assignment(op: Operation, resident_id: str, day: dt.date) -> Any:
        a = tc.care_assignments
        return op.uow.conn.execute(sa.select(a).where(
            a.c.resident_id == resident_id, CareBase._active(a, day))
            .order_by(a.c.start.desc()).limit(1)).first()
