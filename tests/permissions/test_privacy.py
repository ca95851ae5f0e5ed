"""Residents' rights: own-data export, correction, erasure that keeps the books balanced."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

import community_governance as cg
from community_governance.domain.idnumber import compose_id_number
from community_governance.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from community_governance.services.privacy import ERASED_NAME, tables_referencing_residents
from community_governance.services.registry import NewResident
from community_governance.storage.tables import core as t
from community_governance.storage.tables import metadata
from community_governance.testing.city import SmallCity

from .conftest import TODAY, Clock

SYSTEM = cg.Actor.system("test")


def _home(city: SmallCity, community: int = 0, building: int = 0) -> tuple[str, str, str]:
    c = city.communities[community]
    b = city.buildings[c][building]
    return c, b, city.residents[city.households[b][0]][0]


def _dump(gov: Any) -> str:
    """Every row of every table, as text."""
    parts = []
    with gov.store.unit_of_work(write=False) as uow:
        for table in metadata.sorted_tables:
            for row in uow.conn.execute(sa.select(table)):
                parts.append(" ".join(str(v) for v in row))
    return "\n".join(parts)


# ------------------------------------------------------------------------------------ export


def test_a_resident_exports_their_own_data_in_full(city: SmallCity, cgov: Any) -> None:
    """Gives the resident their record unmasked, history, posts and every referring table."""
    _, b, rid = _home(city)
    data = cgov.privacy.export_own_data(cg.Actor.resident(rid), rid)
    json.dumps(data, ensure_ascii=False)  # JSON-ready
    assert data["resident"]["id_number"] == city.id_numbers[rid]
    assert data["resident"]["phone"] == f"139{int(rid[1:]):08d}"
    assert data["resident"]["building_code"] == b
    assert data["residence_history"] == [
        {"household_id": city.households[b][0], "start": "2018-01-01", "end": None}]
    referring = {tb.name for tb, _ in tables_referencing_residents()}
    assert set(data["records"]) == referring - {"residence_spells", "party_memberships"}
    assert data["accesses"] == []
    again = cgov.privacy.export_own_data(cg.Actor.resident(rid), rid)
    assert [a["action"] for a in again["accesses"]] == ["resident.export"]


def test_the_export_holds_a_building_leaders_post(city: SmallCity, cgov: Any) -> None:
    """Lists the posts a resident holds."""
    b = city.buildings[city.communities[1]][2]
    leader = city.building_leader[b].id
    data = cgov.privacy.export_own_data(cg.Actor.resident(leader), leader)
    assert [(p["kind"], p["unit_code"]) for p in data["posts"]] == [("building_leader", b)]


def test_points_rows_appear_in_the_export(city: SmallCity, cgov: Any) -> None:
    """Includes the rows of other capabilities' tables that refer to the resident."""
    pytest.importorskip("community_governance.services.points")
    c, _, rid = _home(city)
    cgov.points.earn(city.secretary[c], rid, 40, key="e-1", reason="志愿服务")
    data = cgov.privacy.export_own_data(cg.Actor.resident(rid), rid)
    assert [e["amount"] for e in data["records"]["points_entries"]] == [40]


def test_only_the_resident_and_their_office_may_export(city: SmallCity, cgov: Any) -> None:
    """Refuses other residents, grid leaders and other communities' staff."""
    c, b, rid = _home(city)
    other_c = city.communities[1]
    for actor in (cg.Actor.resident(city.residents[city.households[b][0]][1]),
                  city.grid_leader[f"{c}-W01"], city.building_leader[b],
                  city.staff[other_c], city.county_admin, cg.Actor.public()):
        with pytest.raises(PermissionDenied):
            cgov.privacy.export_own_data(actor, rid)
    data = cgov.privacy.export_own_data(city.staff[c], rid, reason="居民到社区申请")
    assert data["resident"]["id_number"] == city.id_numbers[rid]
    assert data["resident"]["vulnerabilities"] == []
    with pytest.raises(NotFound):
        cgov.privacy.export_own_data(SYSTEM, "R9999")


# ------------------------------------------------------------------------------------ correction


def test_a_resident_corrects_their_phone_but_not_their_name(city: SmallCity,
                                                             cgov: Any) -> None:
    """Lets a resident fix their phone; the name needs the office."""
    _, _, rid = _home(city)
    me = cg.Actor.resident(rid)
    r = cgov.privacy.correct(me, rid, phone="138 0000 1111", reason="换号")
    assert r.phone == "138****1111"
    assert cgov.privacy.export_own_data(me, rid)["resident"]["phone"] == "13800001111"
    with pytest.raises(PermissionDenied):
        cgov.privacy.correct(me, rid, name="新名字", reason="改名")
    with pytest.raises(ValidationError, match="reason"):
        cgov.privacy.correct(me, rid, phone="13800001112", reason=" ")
    with pytest.raises(ValidationError, match="at least one field"):
        cgov.privacy.correct(me, rid, reason="nothing")


def test_the_office_corrects_an_id_number(city: SmallCity, cgov: Any) -> None:
    """Replaces the number, its hash and what it encodes; the audit keeps fields, not values."""
    c, _, rid = _home(city)
    new = compose_id_number("411281", TODAY.date().replace(year=1977, month=3, day=9), 21)
    old = city.id_numbers[rid]
    r = cgov.privacy.correct(city.director[c], rid, id_number=new, name="居民一",
                             reason="身份证号录入错误")
    assert r.id_number is not None and r.id_number.birth_date.year == 1977
    assert r.name == "居民一"
    assert cgov.registry.find_by_id_number(city.director[c], new).id == rid
    with pytest.raises(NotFound):
        cgov.registry.find_by_id_number(city.director[c], old)
    entry = cgov.audit.log(city.director[c], operation="privacy.correct")[-1]
    assert entry.detail == {"fields": ["id_number", "name"], "reason": "身份证号录入错误"}
    assert entry.objects == (f"resident:{rid}",)
    assert new not in json.dumps(entry.as_dict()) and old not in json.dumps(entry.as_dict())
    with pytest.raises(ConflictError, match="registered to resident"):
        cgov.privacy.correct(city.director[c], "R0002", id_number=new, reason="dup")


# ------------------------------------------------------------------------------------ erasure


def test_erasure_blanks_personal_fields_and_keeps_the_row(city: SmallCity, cgov: Any) -> None:
    """Blanks name, numbers, flags; ends the residence; writes the audit row."""
    c = city.communities[0]
    rid = city.elderly[c]
    phone = f"139{int(rid[1:]):08d}"
    r = cgov.privacy.erase(city.secretary[c], rid, reason="迁出本市")
    assert (r.name, r.id_number, r.phone, r.erased, r.household_id) == (
        ERASED_NAME, None, None, True, None)
    with cgov.store.unit_of_work(write=False) as uow:
        row = uow.conn.execute(sa.select(t.residents).where(t.residents.c.id == rid)).one()
        spells = uow.conn.execute(sa.select(t.residence_spells).where(
            t.residence_spells.c.resident_id == rid)).all()
    assert row.id_hash is None and row.vulnerabilities == "" and row.birth_date is None
    assert [s.end for s in spells] == [TODAY.date()]
    dump = _dump(cgov)
    assert city.id_numbers[rid] not in dump and phone not in dump
    assert rid not in {x.id for x in cgov.registry.list_residents(city.secretary[c])}
    assert rid not in {x.id for x in cgov.registry.list_vulnerable(city.secretary[c])}
    entry = cgov.audit.log(city.secretary[c], operation="privacy.erase")[-1]
    assert entry.objects == (f"resident:{rid}",) and entry.detail == {"reason": "迁出本市"}
    with pytest.raises(ConflictError, match="erased already"):
        cgov.privacy.erase(city.secretary[c], rid, reason="again")


def test_an_erased_resident_may_register_again(city: SmallCity, cgov: Any) -> None:
    """Frees the ID number: the same person can be registered anew after moving back."""
    c, b, rid = _home(city, 1, 1)
    cgov.privacy.erase(cg.Actor.resident(rid), rid, reason="本人申请删除")
    back = cgov.registry.register_resident(city.secretary[c], NewResident(
        "回迁居民", city.id_numbers[rid], city.households[b][1]))
    assert back.id != rid


def test_who_may_erase(city: SmallCity, cgov: Any) -> None:
    """Refuses grid leaders, staff, neighbours and other communities; needs a reason."""
    c, b, rid = _home(city)
    for actor in (city.grid_leader[f"{c}-W01"], city.staff[c], city.cadre[c],
                  city.secretary[city.communities[2]],
                  cg.Actor.resident(city.residents[city.households[b][0]][1])):
        with pytest.raises(PermissionDenied):
            cgov.privacy.erase(actor, rid, reason="x")
    with pytest.raises(ValidationError):
        cgov.privacy.erase(city.secretary[c], rid, reason="")
    assert cgov.privacy.erase(city.subdistrict_staff[c[:9]], rid, reason="迁出").erased


def test_erasure_keeps_the_points_ledger_balanced(city: SmallCity, cgov: Any,
                                                  clock: Clock) -> None:
    """Keeps every entry and the balance equal to their sum after the person is erased."""
    pytest.importorskip("community_governance.services.points")
    c, _, rid = _home(city)
    sec = city.secretary[c]
    cgov.points.earn(sec, rid, 50, key="k-1", reason="环境整治")
    clock.advance(1)
    cgov.points.earn(sec, rid, 15, key="k-2", reason="敲门行动")
    cgov.points.redeem(cg.Actor.resident(rid), rid, 20, key="k-3", reason="兑换洗衣液")
    report_before = cgov.points.report(SYSTEM)
    cgov.privacy.erase(sec, rid, reason="迁出本市")
    statement = cgov.points.statement(SYSTEM, rid)
    assert [e.amount for e in statement.entries] == [50, 15, -20]
    assert cgov.points.balance(SYSTEM, rid) == statement.closing == 45
    assert cgov.points.balances(SYSTEM)[rid] == 45
    assert cgov.points.check(SYSTEM) == []
    assert cgov.points.report(SYSTEM) == report_before
    with pytest.raises(ValidationError, match="erased"):
        cgov.points.earn(sec, rid, 5, key="k-4")
