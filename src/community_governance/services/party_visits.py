"""Festival visits to outstanding party members (节日走访慰问优秀党员) by the county leaders who
partner the community (联系社区的县级领导).

A member is outstanding on a festival's day when residents graded them 优秀 (more than half of
the ballots in the best grade of a published result) in the community's latest closed
evaluation round of the year before, or when the general committee designated them (e.g.
优秀共产党员) within the year. The county leaders partnering each community are data here
(``county_leader_links``: a staff member, the community, the office, a term). Festival dates come
from the lunar calendar (:mod:`community_governance.calendars.lunar`); a visit counts from
``cgov_party_visit_window`` days before the festival up to the festival itself.

Part of :class:`~community_governance.services.party.PartyService` (``gov.party``). Who is a
party member, and who is outstanding, is sensitive: reads are access-logged, names masked
unless revealed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.calendars.lunar import Festival, festival_date
from community_governance.domain.access import Action, Actor, Target
from community_governance.domain.actions import HIGHER_OFFICE
from community_governance.domain.cases import mask_name
from community_governance.domain.party import (
    CountyLeaderLink,
    Designation,
    FestivalVisit,
    Outstanding,
    PlannedVisit,
    RoundStatus,
    VisitReason,
    evaluation_result,
    is_outstanding,
    visit_window,
)
from community_governance.domain.posts import PostKind
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.plugins import expect_int
from community_governance.services.base import Operation, Service
from community_governance.storage.tables import core as t
from community_governance.storage.tables import party as pt

if TYPE_CHECKING:
    from community_governance.services.context import Context

__all__ = ["LEADER_LINKS", "PARTY_VISITS", "VisitsMixin"]

#: Recording which county leaders partner which communities (the county).
LEADER_LINKS = Action("party.leader_links", roles=HIGHER_OFFICE)
#: Designating outstanding members, planning and recording festival visits.
PARTY_VISITS = Action("party.visits", roles=frozenset({PostKind.SECRETARY}) | HIGHER_OFFICE,
                      personal=True)


def _parse(festival: Festival | str) -> Festival:
    return festival if isinstance(festival, Festival) else Festival.parse(festival)


class VisitsMixin:
    """County leaders, designations and festival visits of ``gov.party``."""

    _gov: Context
    _svc: Service

    # ------------------------------------------------------------------ leaders

    def link_county_leaders(self, actor: Actor, links: Iterable[CountyLeaderLink]) -> int:
        """Record the county leaders who partner communities (联系社区的县级领导), each a
        staff member, for a term.

        Raises:
            NotFound: a leader (staff member) or community does not exist.
            ConflictError: a key exists already.
            PermissionDenied: the actor is not the county or a sub-district office.
        """
        items = list(links)
        with self._svc._write(actor, "party.link_county_leaders") as op:
            conn = op.uow.conn
            staff = set(conn.execute(sa.select(t.staff.c.id).where(
                t.staff.c.id.in_({x.leader_id for x in items}))).scalars())
            communities = set(conn.execute(sa.select(t.units.c.code).where(
                t.units.c.code.in_({x.community_code for x in items}),
                t.units.c.kind == "community")).scalars())
            for i, x in enumerate(items):
                if x.leader_id not in staff:
                    raise NotFound("staff member", x.leader_id, f"at $[{i}]: add the leader "
                                   "with registry.add_staff first")
                if x.community_code not in communities:
                    raise NotFound("community", x.community_code, f"at $[{i}]")
                op.require(LEADER_LINKS, Target("unit", x.community_code,
                                                unit_code=x.community_code))
            try:
                if items:
                    conn.execute(pt.county_leader_links.insert(), [
                        {"id": x.id, "leader_id": x.leader_id,
                         "community_code": x.community_code, "title": x.title,
                         "start": x.start, "end": x.end} for x in items])
            except IntegrityError:
                raise ConflictError("a leader link with one of these keys exists already")\
                    from None
            op.touched.extend(f"leader_link:{x.id}" for x in items)
            return len(items)

    def county_leaders(self, community: str, *, on: dt.date | None = None
                       ) -> list[CountyLeaderLink]:
        """The county leaders partnering a community (public offices), those on ``on`` if
        given."""
        c = pt.county_leader_links.c
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(sa.select(pt.county_leader_links).where(
                c.community_code == community).order_by(c.start, c.id)).all()
        out = [CountyLeaderLink(r.id, r.leader_id, r.community_code, r.title, r.start, r.end)
               for r in rows]
        return [x for x in out if on is None or x.sits_on(on)]

    # ------------------------------------------------------------------ designations

    def designate(self, actor: Actor, designations: Iterable[Designation]) -> int:
        """Record members designated outstanding by the general committee (e.g.
        优秀共产党员); each counts for festival visits for a year from its award.

        Raises:
            NotFound: a member or community does not exist.
            ConflictError: a resident is not a party member on the day, or a key exists.
            PermissionDenied: the actor may not record the community's members.
        """
        items = list(designations)
        with self._svc._write(actor, "party.designate") as op:
            conn = op.uow.conn
            homes = {r.id: r for r in conn.execute(
                sa.select(t.residents.c.id, t.buildings.c.community_code)
                .outerjoin(t.households, t.households.c.id == t.residents.c.household_id)
                .outerjoin(t.buildings, t.buildings.c.code == t.households.c.building_code)
                .where(t.residents.c.id.in_({x.resident_id for x in items})))}
            m = t.party_memberships.c
            for i, x in enumerate(items):
                op.require(PARTY_VISITS, Target("party_org", x.community_code,
                                                unit_code=x.community_code))
                home = homes.get(x.resident_id)
                if home is None:
                    raise NotFound("resident", x.resident_id, f"at $[{i}]")
                if home.community_code != x.community_code:
                    raise ValidationError(
                        f"designation {x.id}: {x.resident_id} lives in "
                        f"{home.community_code}, not {x.community_code}: the committee of the "
                        "member's community designates", path=f"$[{i}].community_code")
                if conn.execute(sa.select(m.org_id).where(
                        m.resident_id == x.resident_id, m.start <= x.awarded_on,
                        sa.or_(m.end.is_(None), m.end >= x.awarded_on)).limit(1)).first() \
                        is None:
                    raise ConflictError(f"designation {x.id}: {x.resident_id} is not a party "
                                        f"member on {x.awarded_on}")
            try:
                if items:
                    conn.execute(pt.party_designations.insert(), [
                        {"id": x.id, "resident_id": x.resident_id,
                         "community_code": x.community_code, "title": x.title,
                         "awarded_on": x.awarded_on, "end": x.end} for x in items])
            except IntegrityError:
                raise ConflictError("a designation with one of these keys exists already")\
                    from None
            op.touched.extend(f"designation:{x.id}" for x in items)
            return len(items)

    # ------------------------------------------------------------------ outstanding members

    def _outstanding(self, op: Operation, community: str, day: dt.date,
                     reveal: bool) -> list[Outstanding]:
        """The members of ``community`` outstanding on ``day``: graded 优秀 in the community's
        latest round closed by ``day`` (its voting ended within the year before), or
        designated within the year."""
        from community_governance.services.party import _round_from_row

        conn = op.uow.conn
        ev = pt.evaluation_rounds.c
        found: dict[str, Outstanding] = {}
        names: dict[str, str] = {}
        latest = conn.execute(sa.select(pt.evaluation_rounds).where(
            ev.community_code == community, ev.status == RoundStatus.CLOSED.value,
            ev.period_end < day, ev.period_end >= day - dt.timedelta(days=366))
            .order_by(ev.period_end.desc(), ev.id.desc()).limit(1)).first()
        if latest is not None:
            round_ = _round_from_row(latest)
            tallies: dict[str, dict[str, int]] = defaultdict(dict)
            for x in conn.execute(sa.select(pt.evaluation_tallies).where(
                    pt.evaluation_tallies.c.round_id == round_.id)):
                tallies[x.member_id][x.grade] = int(x.ballots)
            for member, tally in sorted(tallies.items()):
                if is_outstanding(evaluation_result(round_, member, tally)):
                    found[member] = Outstanding(member, "", community, VisitReason.EVALUATION,
                                                f"evaluation_round:{round_.id}")
        d = pt.party_designations.c
        for r in conn.execute(sa.select(pt.party_designations).where(
                d.community_code == community, d.awarded_on <= day).order_by(d.awarded_on)):
            g = Designation(r.id, r.resident_id, r.community_code, r.title, r.awarded_on, r.end)
            if g.holds_on(day) and g.resident_id not in found:
                found[g.resident_id] = Outstanding(g.resident_id, "", community,
                                                   VisitReason.DESIGNATION, f"designation:{g.id}")
        if found:
            m = t.party_memberships.c
            current = set(conn.execute(sa.select(m.resident_id).where(
                m.resident_id.in_(list(found)), m.start <= day,
                sa.or_(m.end.is_(None), m.end >= day))).scalars())
            names = dict(conn.execute(sa.select(t.residents.c.id, t.residents.c.name).where(
                t.residents.c.id.in_(list(found)), t.residents.c.erased.is_(False))).all())
            found = {k: v for k, v in found.items() if k in current and k in names}
        return [Outstanding(k, names[k] if reveal else (mask_name(names[k]) or ""),
                            v.community_code, v.reason, v.source)
                for k, v in sorted(found.items())]

    def outstanding_members(self, actor: Actor, community: str, *, on: dt.date,
                            reveal: bool = False) -> list[Outstanding]:
        """The community's members outstanding on ``on`` and why (evaluation or
        designation), names masked unless ``reveal``. Written to the access log.

        Raises:
            PermissionDenied: the actor may not read the community's members.
        """
        with self._svc._read(actor, "party.outstanding_members") as op:
            target = Target("party_org", community, unit_code=community)
            op.require(PARTY_VISITS, target)
            out = self._outstanding(op, community, on, reveal)
            op.log_access(PARTY_VISITS, target, f"outstanding members on {on}")
        return out

    def _window_days(self, community: str, festival: Festival) -> int:
        return self._gov.hooks.first("cgov_party_visit_window",
                                     expect_int(minimum=0, maximum=30), place=community,
                                     community_code=community, festival=festival.value)

    def plan_festival_visits(self, actor: Actor, community: str, festival: Festival | str,
                             year: int, *, reveal: bool = False) -> list[PlannedVisit]:
        """The outstanding members to visit at a festival of ``year`` (their status on the
        festival's day), with the leaders partnering the community that day, the window of
        visits (``cgov_party_visit_window``) and the visit recorded, if any. Written to the
        access log.

        Raises:
            ValidationError: an unknown festival, or a year without lunar dates.
            PluginError: the window rule answered nonsense.
            PermissionDenied: the actor may not read the community's members.
        """
        fest = _parse(festival)
        day = festival_date(fest, year)
        window = visit_window(day, self._window_days(community, fest))
        leaders = tuple((x.leader_id, x.title) for x in self.county_leaders(community, on=day))
        with self._svc._read(actor, "party.plan_festival_visits") as op:
            target = Target("party_org", community, unit_code=community)
            op.require(PARTY_VISITS, target)
            members = self._outstanding(op, community, day, reveal)
            v = pt.festival_visits.c
            done = dict(op.uow.conn.execute(sa.select(v.member_id, v.id).where(
                v.community_code == community, v.festival == fest.value,
                v.year == year)).all())
            op.log_access(PARTY_VISITS, target, f"festival visits {fest.value} {year}")
        return [PlannedVisit(m, fest.value, day, window, leaders, done.get(m.resident_id))
                for m in members]

    def record_festival_visits(self, actor: Actor, visits: Iterable[FestivalVisit]) -> int:
        """Record festival visits (节日走访慰问) of county leaders to outstanding members, in
        one transaction: each leader partners the member's community on the festival's day,
        each member is outstanding that day, each visit falls within the festival's window and
        not after today; one visit per member, festival and year.

        Raises:
            ValidationError: an unknown festival, a visit outside the window or after today,
                a leader not partnering the community, a member not outstanding.
            NotFound: a member does not exist.
            ConflictError: the member was visited at this festival already, or a key exists.
            PluginError: the window rule answered nonsense; nothing is written.
            PermissionDenied: the actor may not record the community's visits.
        """
        items = list(visits)
        fests = [_parse(x.festival) for x in items]
        with self._svc._read(actor, "party.record_festival_visits") as op:
            homes = self._homes_of(op, {x.member_id for x in items})
        windows: dict[tuple[str, Festival, int], tuple[dt.date, dt.date]] = {}
        for x, fest in zip(items, fests, strict=True):
            c = homes.get(x.member_id)
            if c is not None and (c, fest, x.year) not in windows:
                windows[(c, fest, x.year)] = visit_window(
                    festival_date(fest, x.year), self._window_days(c, fest))
        with self._svc._write(actor, "party.record_festival_visits") as op:
            homes = self._homes_of(op, {x.member_id for x in items})
            outstanding: dict[tuple[str, dt.date], dict[str, Outstanding]] = {}
            leaders: dict[tuple[str, dt.date], set[str]] = {}
            rows = []
            for i, (x, fest) in enumerate(zip(items, fests, strict=True)):
                path = f"$[{i}]"
                c = homes.get(x.member_id)
                if c is None:
                    raise NotFound("resident", x.member_id, f"at {path}: a member living in a "
                                   "community")
                op.require(PARTY_VISITS, Target("party_org", c, unit_code=c))
                first, day = windows.get((c, fest, x.year)) or visit_window(
                    festival_date(fest, x.year), self._window_days(c, fest))
                if not first <= x.visited_on <= day:
                    raise ValidationError(
                        f"visit {x.id}: the {fest.chinese} visits of {x.year} take place from "
                        f"{first} to {day} (the festival), not on {x.visited_on}",
                        path=f"{path}.visited_on")
                if x.visited_on > op.today:
                    raise ValidationError(f"visit {x.id} is on {x.visited_on}, after today "
                                          f"({op.today}): record it once made",
                                          path=f"{path}.visited_on")
                if (c, day) not in leaders:
                    leaders[(c, day)] = {y.leader_id for y in self._links(op, c, day)}
                if x.leader_id not in leaders[(c, day)]:
                    raise ValidationError(
                        f"visit {x.id}: {x.leader_id} does not partner {c} on {day}: the "
                        "county leaders who partner the community visit its members "
                        "(link_county_leaders)", path=f"{path}.leader_id")
                if (c, day) not in outstanding:
                    outstanding[(c, day)] = {
                        m.resident_id: m for m in self._outstanding(op, c, day, False)}
                got = outstanding[(c, day)]
                if x.member_id not in got:
                    raise ValidationError(
                        f"visit {x.id}: {x.member_id} is not an outstanding member of {c} on "
                        f"{day} (graded 优秀 in the latest round, or designated within the "
                        "year)", path=f"{path}.member_id")
                rows.append({"id": x.id, "leader_id": x.leader_id, "member_id": x.member_id,
                             "community_code": c, "festival": fest.value, "year": x.year,
                             "visited_on": x.visited_on,
                             "reason": got[x.member_id].reason.value,
                             "note": x.note.strip(), "recorded_at": op.now})
            try:
                if rows:
                    op.uow.conn.execute(pt.festival_visits.insert(), rows)
            except IntegrityError:
                raise ConflictError(
                    "a member was visited at this festival already, or a visit key exists: "
                    "one visit per member, festival and year") from None
            op.touched.extend(f"festival_visit:{r['id']}" for r in rows)
            return len(rows)

    @staticmethod
    def _homes_of(op: Operation, ids: set[str]) -> dict[str, str]:
        return {r.id: r.community_code for r in op.uow.conn.execute(
            sa.select(t.residents.c.id, t.buildings.c.community_code)
            .join(t.households, t.households.c.id == t.residents.c.household_id)
            .join(t.buildings, t.buildings.c.code == t.households.c.building_code)
            .where(t.residents.c.id.in_(sorted(ids)), t.residents.c.erased.is_(False)))}

    @staticmethod
    def _links(op: Operation, community: str, day: dt.date) -> list[CountyLeaderLink]:
        c = pt.county_leader_links.c
        rows = op.uow.conn.execute(sa.select(pt.county_leader_links).where(
            c.community_code == community)).all()
        out = [CountyLeaderLink(r.id, r.leader_id, r.community_code, r.title, r.start, r.end)
               for r in rows]
        return [x for x in out if x.sits_on(day)]

    def festival_visit_report(self, actor: Actor, festival: Festival | str, year: int, *,
                              under: str = "") -> list[dict[str, Any]]:
        """Per community under ``under``: the leaders partnering it on the festival's day, its
        outstanding members that day (by evaluation and by designation), those visited, those
        not visited yet, and the visits made. Counts only: no member is named.

        Raises:
            PermissionDenied: the actor may not read a community's members.
        """
        fest = _parse(festival)
        day = festival_date(fest, year)
        with self._svc._read(actor, "party.festival_visit_report") as op:
            communities = list(op.uow.conn.execute(sa.select(t.units.c.code).where(
                t.units.c.kind == "community",
                t.units.c.code.startswith(under, autoescape=True))
                .order_by(t.units.c.code)).scalars())
            v = pt.festival_visits.c
            visits: dict[str, list[Any]] = defaultdict(list)
            for r in op.uow.conn.execute(sa.select(v.community_code, v.member_id, v.leader_id)
                                         .where(v.festival == fest.value, v.year == year)):
                visits[r.community_code].append(r)
            out = []
            for c in communities:
                members = self._outstanding(op, c, day, False)
                leaders = self._links(op, c, day)
                if not members and not leaders and not visits.get(c):
                    continue
                op.require(PARTY_VISITS, Target("party_org", c, unit_code=c))
                seen = {r.member_id for r in visits.get(c, [])}
                ids = {m.resident_id for m in members}
                out.append({
                    "community": c, "festival": fest.value, "festival_day": day, "year": year,
                    "leaders": len(leaders),
                    "outstanding": len(members),
                    "by_evaluation": sum(m.reason is VisitReason.EVALUATION for m in members),
                    "by_designation": sum(m.reason is VisitReason.DESIGNATION
                                          for m in members),
                    "visited": len(ids & seen), "not_visited": len(ids - seen),
                    "visits": len(visits.get(c, [])),
                    "leaders_visiting": len({r.leader_id for r in visits.get(c, [])})})
        return out
