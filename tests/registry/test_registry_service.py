"""The registry service: units, buildings, households, residents, posts, party, partners."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

import community_governance
from community_governance import hookimpl
from community_governance.domain.access import Actor
from community_governance.domain.idnumber import compose_id_number
from community_governance.domain.people import Household, Relation, Resident
from community_governance.domain.posts import (
    HolderKind,
    PartnerKind,
    PartnerUnit,
    PartyOrg,
    PartyOrgKind,
    Post,
    PostKind,
    StaffMember,
)
from community_governance.domain.units import Building, Unit, UnitKind
from community_governance.errors import (
    ConflictError,
    IdNumberError,
    NotFound,
    PermissionDenied,
    PluginError,
    ValidationError,
)
from community_governance.services.registry import NewResident
from community_governance.storage.tables import core as t
from community_governance.testing.city import SmallCity

SYSTEM = Actor.system("test")
C1 = "411281001001"
C3 = "411281002001"


def _count(gov: Any, table: sa.Table) -> int:
    with gov.store.unit_of_work(write=False) as uow:
        return int(uow.conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _base(gov: Any) -> None:
    gov.registry.add_units(SYSTEM, [
        Unit("411281", UnitKind.COUNTY, "义马市"),
        Unit("411281001", UnitKind.SUBDISTRICT, "千秋路办事处", "411281"),
        Unit(C1, UnitKind.COMMUNITY, "连银社区", "411281001"),
        Unit(f"{C1}-Q01", UnitKind.COMPOUND, "连银小区", C1),
    ])
    gov.registry.add_buildings(SYSTEM, [Building(f"{C1}-B0001", "1号楼", C1, f"{C1}-Q01")])
    gov.registry.add_households(SYSTEM, [Household(f"{C1}-B0001-101", f"{C1}-B0001", "101")])


def _new(n: int, household: str = f"{C1}-B0001-101", **kw: Any) -> NewResident:
    return NewResident(name=f"居民{n}", id_number=compose_id_number(
        "411281", dt.date(1960 + n % 40, 1 + n % 12, 1 + n % 28), n % 1000),
        household_id=household, id=f"R{n:05d}", **kw)


# ------------------------------------------------------------------ units and buildings

def test_adds_units_with_parents_earlier_in_the_same_call(gov: Any) -> None:
    """Stores a county, a sub-district and a community given together, parents first."""
    _base(gov)
    assert [u.code for u in gov.registry.list_units(UnitKind.COMMUNITY)] == [C1]
    assert gov.registry.get_unit(C1).name == "连银社区"


def test_rejects_a_parent_of_the_wrong_kind(gov: Any) -> None:
    """Refuses a community hung directly under the county, and writes nothing."""
    with pytest.raises(ValidationError, match="must hang under a subdistrict"):
        gov.registry.add_units(SYSTEM, [Unit("411281", UnitKind.COUNTY, "义马市"),
                                        Unit("411281009001", UnitKind.COMMUNITY, "x", "411281")])
    assert gov.registry.list_units() == []


def test_rejects_a_missing_parent_and_a_duplicate_code(gov: Any) -> None:
    """Refuses an unknown parent (NotFound) and a code stored already (ConflictError)."""
    _base(gov)
    with pytest.raises(NotFound):
        gov.registry.add_units(SYSTEM, [Unit("411281005001", UnitKind.COMMUNITY, "x",
                                             "411281005")])
    with pytest.raises(ConflictError):
        gov.registry.add_units(SYSTEM, [Unit(C1, UnitKind.COMMUNITY, "again", "411281001")])


def test_rejects_a_building_whose_compound_is_not_stored(gov: Any) -> None:
    """Refuses a building naming a compound that does not exist."""
    _base(gov)
    with pytest.raises(NotFound, match="compound"):
        gov.registry.add_buildings(SYSTEM, [Building(f"{C1}-B0002", "2号楼", C1, f"{C1}-Q09")])
    assert [b.code for b in gov.registry.list_buildings(C1)] == [f"{C1}-B0001"]


def test_rejects_a_household_at_an_unknown_building(gov: Any) -> None:
    """Refuses a household at a building that is not registered."""
    _base(gov)
    with pytest.raises(NotFound, match="building"):
        gov.registry.add_households(SYSTEM, [Household(f"{C1}-B0009-1", f"{C1}-B0009", "1")])
    # among known ones, the first unknown building is named, and nothing is written
    with pytest.raises(NotFound, match=rf"{C1}-B0008.*register the building first"):
        gov.registry.add_households(SYSTEM, [
            Household(f"{C1}-B0001-201", f"{C1}-B0001", "201"),
            Household(f"{C1}-B0008-1", f"{C1}-B0008", "1"),
            Household(f"{C1}-B0009-1", f"{C1}-B0009", "1")])
    assert gov.registry.add_households(
        SYSTEM, [Household(f"{C1}-B0001-201", f"{C1}-B0001", "201")]) == 1


# ------------------------------------------------------------------ residents

def test_registers_residents_and_decodes_their_numbers(sqlite_gov: Any) -> None:
    """Stores residents on SQLite with birth date, sex and a residence record, all masked."""
    gov = sqlite_gov
    _base(gov)
    out = gov.registry.register_residents(SYSTEM, [
        _new(1, relation=Relation.HEAD, phone="13900000001", moved_in=dt.date(2010, 5, 1)),
        _new(2, relation="spouse")])
    assert [r.id for r in out] == ["R00001", "R00002"]
    got = gov.registry.get_resident(SYSTEM, "R00001")
    assert got.birth_date == dt.date(1961, 2, 2) and got.sex == "M"
    assert got.phone == "139****0001" and "*" in got.id_number.number
    assert gov.registry.residence_history(SYSTEM, "R00001") == [
        (f"{C1}-B0001-101", dt.date(2010, 5, 1), None)]


def test_rejects_an_id_number_registered_already_and_writes_nothing(gov: Any) -> None:
    """Refuses a batch whose second resident is registered already; the first is not kept."""
    _base(gov)
    gov.registry.register_residents(SYSTEM, [_new(1)])
    again = NewResident(name="重复", id_number=_new(1).id_number,
                        household_id=f"{C1}-B0001-101", id="R09999")
    with pytest.raises(ConflictError, match="registered already"):
        gov.registry.register_residents(SYSTEM, [_new(2), again])
    assert _count(gov, t.residents) == 1
    assert _count(gov, t.residence_spells) == 1


def test_rejects_the_same_number_twice_in_one_batch(gov: Any) -> None:
    """Names both positions of an ID number given twice."""
    _base(gov)
    twin = NewResident(name="双", id_number=_new(1).id_number, household_id=f"{C1}-B0001-101")
    with pytest.raises(ConflictError, match=r"\$\[1\].*also at \$\[0\]"):
        gov.registry.register_residents(SYSTEM, [_new(1), twin])


def test_rejects_a_bad_number_an_unknown_household_and_a_blank_name(gov: Any) -> None:
    """Refuses an invalid ID number, a missing household and a resident without a name."""
    _base(gov)
    bad = NewResident(name="错", id_number="411281196001010000", household_id=f"{C1}-B0001-101")
    with pytest.raises(IdNumberError, match=r"\$\[0\]\.id_number"):
        gov.registry.register_residents(SYSTEM, [bad])
    with pytest.raises(NotFound, match="household"):
        gov.registry.register_residents(SYSTEM, [_new(3, household="nowhere")])
    with pytest.raises(ValidationError, match="needs a name"):
        gov.registry.register_residents(SYSTEM, [NewResident(
            name="  ", id_number=_new(4).id_number, household_id=f"{C1}-B0001-101")])
    assert _count(gov, t.residents) == 0


def test_a_county_resident_check_still_runs() -> None:
    """Calls a county plugin's cgov_validate_resident beside the national rule."""

    class NoSmith:
        @hookimpl
        def cgov_validate_resident(self, resident: Resident, today: dt.date) -> list[str]:
            return ["no test names"] if resident.name.startswith("居民") else []

    with community_governance.open("memory://", [NoSmith()], entrypoints=False) as gov:
        _base(gov)
        with pytest.raises(ValidationError, match="no test names"):
            gov.registry.register_residents(SYSTEM, [_new(1)])


def test_a_broken_county_check_is_named() -> None:
    """Turns a plugin answering nonsense into a PluginError; nothing is written."""

    class Broken:
        @hookimpl
        def cgov_validate_resident(self, resident: Resident, today: dt.date) -> object:
            return 42

    with community_governance.open("memory://", [Broken()], entrypoints=False) as gov:
        _base(gov)
        with pytest.raises(PluginError):
            gov.registry.register_residents(SYSTEM, [_new(1)])
        assert _count(gov, t.residents) == 0


def test_staff_may_register_only_in_their_community(small_city: SmallCity, gov: Any) -> None:
    """Refuses a registration by the secretary of another community."""
    household = small_city.households[f"{C1}-B0001"][0]
    with pytest.raises(PermissionDenied):
        gov.registry.register_residents(small_city.secretary[C3], [_new(500, household)])
    got = gov.registry.register_residents(small_city.secretary[C1], [_new(501, household)])
    assert len(got) == 1


def test_moves_keep_the_history(small_city: SmallCity, gov: Any) -> None:
    """Closes the old residence record and opens a new one on the day of the move."""
    rid = small_city.residents[f"{C1}-B0001-101"][0]
    target = f"{C1}-B0002-201"
    gov.registry.move_resident(SYSTEM, rid, target, on=dt.date(2019, 6, 1))
    history = gov.registry.residence_history(SYSTEM, rid)
    assert history == [(f"{C1}-B0001-101", dt.date(2018, 1, 1), dt.date(2019, 6, 1)),
                       (target, dt.date(2019, 6, 1), None)]
    assert gov.registry.get_resident(SYSTEM, rid).household_id == target


# ------------------------------------------------------------------ posts, party, partners

def test_posts_have_terms(small_city: SmallCity, gov: Any) -> None:
    """Ends a post's term; it is no longer active after that day and cannot end early."""
    gov.registry.add_staff(SYSTEM, [StaffMember("S-NEW", "新人")])
    gov.registry.assign_posts(SYSTEM, [Post("P-NEW", PostKind.STAFF, C1, HolderKind.STAFF,
                                            "S-NEW", dt.date(2019, 3, 1))])
    with pytest.raises(ValidationError, match="cannot end before"):
        gov.registry.end_post(SYSTEM, "P-NEW", on=dt.date(2019, 1, 1))
    gov.registry.end_post(SYSTEM, "P-NEW", on=dt.date(2019, 9, 30))
    active = {p.id for p in gov.registry.posts(unit_prefix=C1, active_on=dt.date(2019, 10, 1))}
    before = {p.id for p in gov.registry.posts(unit_prefix=C1, active_on=dt.date(2019, 9, 1))}
    assert "P-NEW" in before and "P-NEW" not in active


def test_rejects_a_post_at_the_wrong_kind_of_unit(small_city: SmallCity, gov: Any) -> None:
    """Refuses a grid leader (网格长) post held at a community."""
    with pytest.raises(ValidationError, match="网格长"):
        gov.registry.assign_posts(SYSTEM, [Post("P-X", PostKind.GRID_LEADER, C1,
                                                HolderKind.STAFF, "ADMIN", dt.date(2019, 1, 1))])


def test_assign_posts_checks_each_post_in_order(small_city: SmallCity, gov: Any) -> None:
    """A batch of posts read at once is refused at the first bad post, named by position
    (unknown unit, wrong kind, unknown resident or staff holder: a resident's key is no staff
    key), and nothing is written; a good batch of residents and staff is written."""
    rid = small_city.residents[f"{C1}-B0001-101"][0]
    gov.registry.add_staff(SYSTEM, [StaffMember("S-NEW", "新人")])
    day = dt.date(2019, 1, 1)
    good = [Post("P-A", PostKind.STAFF, C1, HolderKind.STAFF, "S-NEW", day),
            Post("P-B", PostKind.BUILDING_LEADER, f"{C1}-B0001", HolderKind.RESIDENT, rid, day)]
    bad: list[tuple[Post, type[Exception], str]] = [
        (Post("P-C", PostKind.STAFF, "NOWHERE", HolderKind.STAFF, "S-NEW", day), NotFound,
         r"at \$\[2\]\.unit_code"),
        (Post("P-C", PostKind.GRID_LEADER, C1, HolderKind.STAFF, "S-NEW", day),
         ValidationError, "网格长"),
        (Post("P-C", PostKind.STAFF, C1, HolderKind.STAFF, rid, day), NotFound,
         r"at \$\[2\]\.holder_id"),
        (Post("P-C", PostKind.STAFF, C1, HolderKind.RESIDENT, "S-NEW", day), NotFound,
         "resident"),
    ]
    before = {p.id for p in gov.registry.posts(unit_prefix=C1)}
    for post, err, match in bad:
        with pytest.raises(err, match=match):
            gov.registry.assign_posts(SYSTEM, [*good, post])
        assert {p.id for p in gov.registry.posts(unit_prefix=C1)} == before
    assert gov.registry.assign_posts(SYSTEM, good) == 2
    assert {p.id for p in gov.registry.posts(unit_prefix=C1)} == before | {"P-A", "P-B"}


def test_party_organizations_and_members(small_city: SmallCity, gov: Any) -> None:
    """Adds a general party committee, refuses one at a grid, and flags its members."""
    gov.registry.add_party_orgs(SYSTEM, [PartyOrg("PO1", PartyOrgKind.GENERAL_COMMITTEE, C1,
                                                  "中共连银社区委员会")])
    with pytest.raises(ValidationError, match="general_committee"):
        gov.registry.add_party_orgs(SYSTEM, [PartyOrg("PO2", PartyOrgKind.GENERAL_COMMITTEE,
                                                      f"{C1}-W01", "x")])
    rid = small_city.residents[f"{C1}-B0001-101"][0]
    gov.registry.add_party_members(SYSTEM, "PO1", [rid], since=dt.date(2019, 1, 1))
    assert gov.registry.get_resident(SYSTEM, rid).party_member is True
    assert gov.registry.summary(SYSTEM).party_orgs == 1


def test_partner_units_attach_only_to_communities(small_city: SmallCity, gov: Any) -> None:
    """Attaches a bureau to two communities and refuses a sub-district."""
    gov.registry.add_partner_units(SYSTEM, [PartnerUnit("PB1", "义马市财政局",
                                                        PartnerKind.ASSIGNED_BUREAU, (C1, C3))])
    with pytest.raises(NotFound):
        gov.registry.add_partner_units(SYSTEM, [PartnerUnit(
            "PB2", "x", PartnerKind.CIVILISED_UNIT, ("411281001",))])
    assert [p.id for p in gov.registry.partner_units(C3)] == ["PB1"]


def test_summary_counts_within_the_actor_scope(small_city: SmallCity, gov: Any) -> None:
    """Counts the whole small city for the system and one community for its secretary."""
    whole = gov.registry.summary(SYSTEM)
    assert (whole.subdistricts, whole.communities, whole.grids, whole.buildings,
            whole.households, whole.residents) == (2, 3, 6, 12, 36, 72)
    mine = gov.registry.summary(small_city.secretary[C1])
    assert (mine.communities, mine.buildings, mine.residents) == (1, 4, 24)


# ------------------------------------------------------------------ export and keys

def test_export_residents_is_masked_and_scoped(small_city: SmallCity, gov: Any) -> None:
    """Exports only the secretary's community, with every ID number masked."""
    rows = gov.registry.export_residents(small_city.secretary[C1])
    assert len(rows) == 24 and all(r.household_id.startswith(C1) for r in rows)
    full = set(small_city.id_numbers.values())
    assert not any(r.id_number.number in full for r in rows)
    assert all(r.vulnerabilities == frozenset() for r in rows)


def test_export_reveal_needs_a_reason_and_the_right(small_city: SmallCity, gov: Any) -> None:
    """Refuses reveal without a reason or by a grid leader; logs every revealed record."""
    with pytest.raises(ValidationError, match="reason"):
        gov.registry.export_residents(small_city.secretary[C1], reveal=True)
    grid = f"{C1}-W01"
    with pytest.raises(PermissionDenied):
        gov.registry.export_residents(small_city.grid_leader[grid], reveal=True,
                                      reason="check")
    before = _count(gov, t.access_log)
    rows = gov.registry.export_residents(small_city.secretary[C1], reveal=True,
                                         reason="annual check", within=f"{C1}-B0001")
    assert {r.id_number.number for r in rows} <= set(small_city.id_numbers.values())
    assert len(rows) == 6 and _count(gov, t.access_log) == before + 6


def test_existing_keys_reports_what_is_stored(small_city: SmallCity, gov: Any) -> None:
    """Finds stored units, households, residents and ID numbers and nothing else."""
    rid = small_city.all_residents()[0]
    found = gov.registry.existing_keys(
        SYSTEM, unit_codes=[C1, "411281009009"], household_ids=[f"{C1}-B0001-101", "x"],
        resident_ids=[rid, "nobody"],
        id_numbers=[small_city.id_numbers[rid], compose_id_number("411281", dt.date(2000, 1, 1),
                                                                  999)])
    assert found.units == {C1: UnitKind.COMMUNITY}
    assert found.households == {f"{C1}-B0001-101"} and found.residents == {rid}
    assert found.id_numbers == {small_city.id_numbers[rid]}


def test_bulk_registration_and_clash_on_postgres(postgres_url: str) -> None:
    """Registers a batch on PostgreSQL and refuses a clash without keeping any of the batch."""
    with community_governance.open(postgres_url, entrypoints=False) as gov:
        _base(gov)
        gov.registry.register_residents(SYSTEM, [_new(n) for n in range(1, 51)])
        clash = NewResident(name="重复", id_number=_new(7).id_number,
                            household_id=f"{C1}-B0001-101", id="R09999")
        with pytest.raises(ConflictError, match="registered already"):
            gov.registry.register_residents(SYSTEM, [_new(60), clash])
        assert _count(gov, t.residents) == 50
        rows = gov.registry.export_residents(SYSTEM, within=C1)
        assert len(rows) == 50 and rows[0].birth_date is not None


def test_existing_keys_is_not_an_oracle_for_the_public(small_city: SmallCity, gov: Any) -> None:
    """Refuses the public a look-up of ID numbers; units stay public facts."""
    number = small_city.id_numbers[small_city.all_residents()[0]]
    with pytest.raises(PermissionDenied):
        gov.registry.existing_keys(Actor.public(), id_numbers=[number])
    assert gov.registry.existing_keys(Actor.public(), unit_codes=[C1]).units == {
        C1: UnitKind.COMMUNITY}


def test_staff_and_residents_never_share_a_key() -> None:
    """Refuses a staff key that is a resident's key, and a resident key that is a staff key:
    posts are found by the holder's key, so a shared key would hand one person's posts to
    the other."""
    import pytest

    import community_governance as cg
    from community_governance.domain.idnumber import compose_id_number
    from community_governance.services.registry import NewResident
    from community_governance.testing import build_small_city

    with cg.open("memory://", entrypoints=False) as gov:
        city = build_small_city(gov)
        rid = city.all_residents()[0]
        system = cg.Actor.system()
        with pytest.raises(cg.ConflictError, match="already a resident's key"):
            gov.registry.add_staff(system, [cg.StaffMember(rid, "冒名")])
        staff_key = city.secretary[city.communities[0]].id
        household = city.households[city.buildings[city.communities[0]][0]][0]
        number = compose_id_number("411281", __import__("datetime").date(1990, 1, 1), 777)
        with pytest.raises(cg.ConflictError, match="already a staff member's key"):
            gov.registry.register_resident(
                system, NewResident("重名", number, household, id=staff_key))
        assert 72 == gov.registry.summary(system).residents
