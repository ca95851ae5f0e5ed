"""Party members linked to residents: sensitive data masked and access-logged, registrations
where they live, 党员亮身份 with consent, 党员中心户 links, public activities from the
volunteer records, and erasure."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

import community_governance as cg
from community_governance.domain.party import PartyReport, PublicMember
from community_governance.domain.posts import (
    HolderKind,
    PartnerKind,
    PartnerUnit,
    Post,
    PostKind,
)
from community_governance.domain.volunteers import ActivitySpec
from community_governance.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from community_governance.storage.tables import core as t
from community_governance.storage.tables import party as pt
from community_governance.testing.city import SmallCity

from .conftest import SINCE, SYSTEM


def _b1(city: SmallCity) -> tuple[str, str, list[str]]:
    c = city.communities[0]
    b = city.buildings[c][0]
    return c, b, [r for h in city.households[b] for r in city.residents[h]]


def _access_rows(gov: Any) -> list[Any]:
    with gov.store.unit_of_work(write=False) as uow:
        return uow.conn.execute(sa.select(t.access_log).order_by(t.access_log.c.id)).all()


def test_members_are_masked_and_every_read_is_logged(gov: Any, party: SmallCity) -> None:
    """Lists the building group's members with masked names; reveals them only to an actor
    who may read residents; every read is in the access log; others are refused."""
    c, b, members = _b1(party)
    sec = party.secretary[c]
    got = gov.party.members(sec, f"PG-{b}")
    assert [m.resident_id for m in got] == sorted(members)
    assert all(m.name.endswith("*") and len(m.name) > 1 for m in got)
    assert len(_access_rows(gov)) == 1
    shown = gov.party.members(sec, f"PG-{b}", reveal=True, reason="党员大会签到")
    assert all(m.name.startswith("居民") for m in shown)
    rows = _access_rows(gov)
    assert [r.action for r in rows] == ["party.read_members"] * 2
    assert rows[-1].reason == "党员大会签到" and rows[-1].actor_id == sec.id
    for actor in (party.grid_leader[party.grids[c][0]], party.building_leader[b],
                  party.staff[c], party.secretary[party.communities[1]],
                  cg.Actor.resident(members[0]), cg.Actor.public()):
        with pytest.raises(PermissionDenied):
            gov.party.members(actor, f"PG-{b}")
    assert len(_access_rows(gov)) == 2


def test_a_member_reads_their_own_record(gov: Any, party: SmallCity) -> None:
    """The member and the secretary read the record; a neighbour may not."""
    c, b, members = _b1(party)
    me = members[0]
    rec = gov.party.member_record(cg.Actor.resident(me), me)
    assert rec.memberships == ((f"PG-{b}", SINCE, None),)
    assert (rec.shows_identity, rec.reports, rec.activities) == (False, (), 0)
    with pytest.raises(PermissionDenied):
        gov.party.member_record(cg.Actor.resident(members[1]), me)
    assert gov.party.member_record(party.secretary[c], me).resident_id == me


def test_members_working_elsewhere_report_where_they_live(gov: Any, party: SmallCity) -> None:
    """Records 在职党员到社区报到 for members; refuses non-members, the wrong community and
    unknown units, writing nothing."""
    c, _, members = _b1(party)
    gov.registry.add_partner_units(SYSTEM, [PartnerUnit(
        "PU-JY", "市教育局", PartnerKind.ASSIGNED_BUREAU, (party.communities[1],))])
    sec = party.secretary[c]
    rep = PartyReport("RP-1", members[0], "PU-JY", c, dt.date(2019, 3, 5))
    assert gov.party.report_where_living(sec, [rep]) == 1
    assert gov.party.member_record(sec, members[0]).reports == (rep,)
    non_member = party.residents[party.households[party.buildings[c][1]][0]][0]
    bad = [
        (PartyReport("RP-2", non_member, "PU-JY", c, dt.date(2019, 3, 5)), ConflictError,
         "not a party member"),
        (PartyReport("RP-2", members[1], "PU-JY", party.communities[1], dt.date(2019, 3, 5)),
         ValidationError, "where they live"),
        (PartyReport("RP-2", members[1], "PU-NONE", c, dt.date(2019, 3, 5)), NotFound,
         "PU-NONE"),
        (PartyReport("RP-1", members[1], "PU-JY", c, dt.date(2019, 3, 5)), ConflictError,
         "exists already"),
    ]
    for item, err, words in bad:
        with pytest.raises(err, match=words):
            gov.party.report_where_living(sec, [item])
    with gov.store.unit_of_work(write=False) as uow:
        assert uow.conn.execute(sa.select(sa.func.count()).select_from(
            pt.party_reports)).scalar_one() == 1
    with pytest.raises(PermissionDenied):
        gov.party.report_where_living(party.secretary[party.communities[1]], [
            PartyReport("RP-3", members[1], "PU-JY", c, dt.date(2019, 3, 5))])


def test_the_board_shows_only_consenting_members_without_personal_data(
        gov: Any, party: SmallCity) -> None:
    """党员亮身份: only the member consents; the public board lists the consenting members of
    the building with name and organization, nothing else; withdrawal takes them off."""
    c, b, members = _b1(party)
    assert gov.party.board(b) == []
    with pytest.raises(PermissionDenied):
        gov.party.set_identity_consent(party.secretary[c], members[0], shown=True)
    gov.party.set_identity_consent(cg.Actor.resident(members[0]), members[0], shown=True)
    gov.party.set_identity_consent(cg.Actor.resident(members[1]), members[1], shown=True)
    gov.registry.assign_posts(SYSTEM, [Post("P-ZX", PostKind.PARTY_HOUSEHOLD_CENTRE, b,
                                            HolderKind.RESIDENT, members[1], SINCE)])
    board = gov.party.board(b)
    names = {members[0]: gov.party.members(party.secretary[c], f"PG-{b}", reveal=True)}
    shown_names = {m.resident_id: m.name for m in names[members[0]]}
    assert board == sorted([PublicMember(shown_names[members[0]], "1号楼党小组", False),
                            PublicMember(shown_names[members[1]], "1号楼党小组", True)],
                           key=lambda p: p.name)
    assert [a.name for a in PublicMember.__attrs_attrs__] == ["name", "org_name", "centre"]
    gov.party.set_identity_consent(cg.Actor.resident(members[0]), members[0], shown=False)
    assert [p.name for p in gov.party.board(b)] == [shown_names[members[1]]]
    outsider = party.residents[party.households[party.buildings[c][1]][0]][0]
    with pytest.raises(ConflictError, match="not a party member"):
        gov.party.set_identity_consent(cg.Actor.resident(outsider), outsider, shown=True)
    assert gov.party.board(party.buildings[c][1]) == []


def test_centre_households_link_within_the_unit(gov: Any, party: SmallCity) -> None:
    """Links households of the 党员中心户's building; refuses other posts, households outside,
    non-member holders and links twice."""
    c, b, members = _b1(party)
    sec = party.secretary[c]
    gov.registry.assign_posts(SYSTEM, [
        Post("P-ZX", PostKind.PARTY_HOUSEHOLD_CENTRE, b, HolderKind.RESIDENT, members[0], SINCE),
        Post("P-ZX2", PostKind.PARTY_HOUSEHOLD_CENTRE, party.buildings[c][1],
             HolderKind.RESIDENT, party.residents[party.households[party.buildings[c][1]][0]][0],
             SINCE)])
    hh = party.households[b]
    assert gov.party.link_centre_households(sec, "P-ZX", hh[1:], since=SINCE) == 2
    assert gov.party.centre_households(sec, "P-ZX") == sorted(hh[1:])
    assert gov.party.centre_households(cg.Actor.resident(members[0]), "P-ZX") == sorted(hh[1:])
    assert gov.party.member_record(sec, members[0]).centre_households == tuple(sorted(hh[1:]))
    other = party.households[party.buildings[c][1]][0]
    with pytest.raises(ValidationError, match="outside"):
        gov.party.link_centre_households(sec, "P-ZX", [other], since=SINCE)
    with pytest.raises(ConflictError, match="linked to P-ZX already"):
        gov.party.link_centre_households(sec, "P-ZX", [hh[1]], since=SINCE)
    with pytest.raises(ConflictError, match="not a party member"):
        gov.party.link_centre_households(sec, "P-ZX2", [other], since=SINCE)
    with pytest.raises(ValidationError, match="not a 党员中心户"):
        gov.party.link_centre_households(sec, "P-SEC-" + c, [hh[0]], since=SINCE)
    with pytest.raises(NotFound):
        gov.party.link_centre_households(sec, "P-NONE", [hh[0]], since=SINCE)


def test_public_activities_come_from_the_volunteer_records(gov: Any, party: SmallCity) -> None:
    """Counts each member's activities and minutes from the service records, zero for those
    who took none; names masked."""
    c, _, members = _b1(party)
    sec = party.secretary[c]
    gov.volunteers.register(SYSTEM, members[0])
    start = pendulum.datetime(2019, 6, 1, 1, 0, tz="UTC")
    act = gov.volunteers.create_activity(SYSTEM, ActivitySpec(
        "清理楼道小广告", c, "environment", "1号楼", start, start.add(hours=2), 10))
    gov.volunteers.record_attendance(SYSTEM, act.id, [(members[0], 90)])
    got = gov.party.activities(sec, c, start=dt.date(2019, 1, 1), end=dt.date(2019, 12, 31))
    by = {a.resident_id: a for a in got}
    assert (by[members[0]].activities, by[members[0]].minutes) == (1, 90)
    assert got[0].resident_id == members[0] and got[0].name.endswith("*")
    assert all(by[m].minutes == 0 for m in members[1:])
    assert gov.party.member_record(sec, members[0]).minutes == 90
    none = gov.party.activities(sec, c, start=dt.date(2019, 7, 1), end=dt.date(2019, 12, 31))
    assert all(a.minutes == 0 for a in none)
    with pytest.raises(PermissionDenied):
        gov.party.activities(party.grid_leader[party.grids[c][0]], c, start=SINCE,
                             end=dt.date(2019, 12, 31))


def test_erasure_covers_the_party_tables(gov: Any, party: SmallCity) -> None:
    """Erasing a member withdraws the consent (off the board), ends the registration and the
    membership, keeps no name; the export lists the new tables."""
    c, b, members = _b1(party)
    me = members[0]
    gov.registry.add_partner_units(SYSTEM, [PartnerUnit(
        "PU-JY", "市教育局", PartnerKind.ASSIGNED_BUREAU, (c,))])
    gov.party.report_where_living(SYSTEM, [PartyReport("RP-1", me, "PU-JY", c, SINCE)])
    gov.party.set_identity_consent(cg.Actor.resident(me), me, shown=True)
    data = gov.privacy.export_own_data(cg.Actor.resident(me), me)
    assert [r["id"] for r in data["records"]["party_reports"]] == ["RP-1"]
    assert data["records"]["party_identity_consents"][0]["shown"] is True
    gov.privacy.erase(party.secretary[c], me, reason="迁出本市")
    with gov.store.unit_of_work(write=False) as uow:
        consent = uow.conn.execute(sa.select(pt.party_identity_consents)).one()
        report = uow.conn.execute(sa.select(pt.party_reports)).one()
    assert consent.shown is False
    assert report.end == dt.date(2019, 12, 10)
    assert me not in {m.resident_id for m in gov.party.members(party.secretary[c], f"PG-{b}")}
    assert gov.party.board(b) == []


def _centre_links(gov: Any) -> list[tuple[Any, ...]]:
    c = pt.party_centre_links.c
    with gov.store.unit_of_work(write=False) as uow:
        return [tuple(r) for r in uow.conn.execute(sa.select(
            c.post_id, c.household_id, c.start, c.end).order_by(c.post_id, c.household_id))]


def _check_centres_many(gov: Any, city: SmallCity) -> None:
    """The batch links what the single calls link, refuses what they refuse (naming the post
    and the position), and writes nothing when it refuses."""
    c = city.communities[0]
    b1, b2, b3 = city.buildings[c][:3]
    holder3 = city.residents[city.households[b3][0]][0]
    members = [r for h in city.households[b1] for r in city.residents[h]]
    gov.registry.assign_posts(SYSTEM, [
        Post("P-A", PostKind.PARTY_HOUSEHOLD_CENTRE, b1, HolderKind.RESIDENT, members[0], SINCE),
        Post("P-B", PostKind.PARTY_HOUSEHOLD_CENTRE, b3, HolderKind.RESIDENT, holder3, SINCE),
        Post("P-N", PostKind.PARTY_HOUSEHOLD_CENTRE, b2, HolderKind.RESIDENT,
             city.residents[city.households[b2][0]][0], SINCE)])
    sec = city.secretary[c]
    links = {"P-A": city.households[b1][1:], "P-B": city.households[b3][:2]}
    for pid, hs in links.items():
        assert gov.party.link_centre_households(sec, pid, hs, since=SINCE) == len(hs)
    single = _centre_links(gov)
    with gov.store.unit_of_work(write=True) as uow:
        uow.conn.execute(pt.party_centre_links.delete())
        uow.commit()
    assert gov.party.link_centre_households_many(sec, links, since=SINCE) == \
        sum(len(h) for h in links.values())
    assert _centre_links(gov) == single
    assert gov.party.centre_households(sec, "P-A") == sorted(links["P-A"])
    outside = city.households[b2][0]
    refusals: list[tuple[Any, Any, type[Exception], str | None]] = [
        (sec, {"P-A": [city.households[b1][0]], "P-B": [city.households[b3][2], outside]},
         ValidationError, "outside"),
        (sec, {"P-A": [city.households[b1][0]], "P-B": [city.households[b3][0]]},
         ConflictError, "linked to P-B already"),
        (sec, [("P-A", [city.households[b1][0]]), ("P-A", [city.households[b1][0]])],
         ConflictError, "linked to P-A already"),
        (sec, {"P-A": [city.households[b1][0]], "P-N": [outside]}, ConflictError,
         "not a party member"),
        (sec, {"P-A": [city.households[b1][0]], "P-SEC-" + c: [outside]}, ValidationError,
         "not a 党员中心户"),
        (sec, {"P-A": [city.households[b1][0]], "P-NONE": [outside]}, NotFound, "links"),
        (sec, {"P-A": [city.households[b1][0], "H-NONE"]}, NotFound,
         r"P-A\.household_ids\[1\]"),
        (city.grid_leader[city.grids[c][0]], {"P-A": [city.households[b1][0]]},
         PermissionDenied, None),
    ]
    for actor, batch, err, match in refusals:
        with pytest.raises(err, match=match):
            gov.party.link_centre_households_many(actor, batch, since=SINCE)
        assert _centre_links(gov) == single
    with pytest.raises(ValidationError) as info:
        gov.party.link_centre_households_many(sec, {"P-A": [city.households[b1][0],
                                                            outside]}, since=SINCE)
    assert info.value.path == "P-A.household_ids[1]"


def test_centre_households_linked_many_at_once(gov: Any, party: SmallCity) -> None:
    """``link_centre_households_many`` stores what the single calls store (SQLite)."""
    _check_centres_many(gov, party)


def test_centre_households_linked_many_at_once_on_postgresql(postgres_url: str) -> None:
    """The same on PostgreSQL."""
    from community_governance.testing.city import build_small_city

    from .conftest import tree_of

    with cg.open(postgres_url, entrypoints=False) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        gov.registry.add_party_orgs(SYSTEM, tree_of(city, c))
        b1, _, b3, _ = city.buildings[c]
        gov.registry.add_party_members(
            SYSTEM, f"PG-{b1}", [r for h in city.households[b1] for r in city.residents[h]],
            since=SINCE)
        gov.registry.add_party_members(
            SYSTEM, f"PB-{city.grid_of_building(b3)}",
            [city.residents[h][0] for h in city.households[b3]], since=SINCE)
        _check_centres_many(gov, city)
