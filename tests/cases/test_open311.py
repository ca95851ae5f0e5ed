"""Open311 GeoReport v2: export read back by an independent reader, then imported back."""

from __future__ import annotations

import json
import re
from typing import Any

import pendulum
import pytest

import community_governance
from community_governance.domain.access import Actor
from community_governance.errors import NotFound, ValidationError
from community_governance.io.open311 import dumps
from community_governance.testing.city import build_small_city

SYSTEM = Actor.system("test")

# ----------------------------------------------------------------------------- the reader
# Written from the GeoReport v2 specification alone (https://wiki.open311.org/GeoReport_v2),
# without importing anything of the library.

W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
REQUEST_SPEC: dict[str, tuple[type | tuple[type, ...], bool]] = {
    # field: (json types, required non-null)
    "service_request_id": (str, True),
    "status": (str, True),
    "status_notes": (str, False),
    "service_name": (str, True),
    "service_code": (str, True),
    "description": (str, False),
    "agency_responsible": (str, False),
    "service_notice": (str, False),
    "requested_datetime": (str, True),
    "updated_datetime": (str, False),
    "expected_datetime": (str, False),
    "address": (str, False),
    "address_id": (str, False),
    "zipcode": ((str, int), False),
    "lat": ((int, float), False),
    "long": ((int, float), False),
    "media_url": (str, False),
}
SERVICE_SPEC: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "service_code": (str, True), "service_name": (str, True), "description": (str, False),
    "metadata": (bool, True), "type": (str, True), "keywords": (str, False),
    "group": (str, False),
}


def read_georeport(text: str, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Parse a GeoReport v2 JSON list and check every field named by the spec."""
    docs = json.loads(text)
    assert isinstance(docs, list)
    for doc in docs:
        assert isinstance(doc, dict)
        for field, (types, required) in spec.items():
            assert field in doc, f"missing {field}"
            value = doc[field]
            if value is None:
                assert not required, f"{field} may not be null"
                continue
            assert isinstance(value, types) and not (
                isinstance(value, bool) and bool not in (
                    types if isinstance(types, tuple) else (types,))), f"{field}: {value!r}"
        if "status" in doc:
            assert doc["status"] in ("open", "closed")
            for f in ("requested_datetime", "updated_datetime", "expected_datetime"):
                assert doc[f] is None or W3C.match(doc[f]), f"{f}: {doc[f]!r}"
            assert (doc["lat"] is None) == (doc["long"] is None)
            if doc["lat"] is not None:
                assert -90 <= doc["lat"] <= 90 and -180 <= doc["long"] <= 180
        else:
            assert doc["type"] in ("realtime", "batch", "blackbox")
    return docs


# ----------------------------------------------------------------------------- tests


def _busy_city(gov: Any, city: Any) -> list[str]:
    c = city.communities[0]
    gl = city.grid_leader[city.grids[c][0]]
    b = city.buildings[c][0]
    rid = city.residents[city.households[b][0]][0]
    a = gov.cases.report(gl, category="repair", building_code=b, lat=34.7473, long=111.8689,
                         description=f"屋顶漏水，身份证{city.id_numbers[rid]}，电话13912345678",
                         media_url="https://example.org/p/1.jpg", reporter_name="欧阳明华")
    gov.cases.assign(gl, a.id, gl.id)
    gov.cases.resolve(gl, a.id, note="已修补，联系人13800001111")
    gov.cases.close(city.secretary[c], a.id, satisfaction=5)
    b2 = gov.cases.report(Actor.resident(rid), category="dispute", building_code=b,
                          description="楼上噪音", channel="wechat")
    gov.cases.escalate(SYSTEM, b2.id, reason="需社区调解")
    return [a.id, b2.id]


def test_independent_reader_accepts_the_export(city: Any, cgov: Any) -> None:
    """Writes requests and services that a reader of the GeoReport v2 spec accepts."""
    ids = _busy_city(cgov, city)
    requests = read_georeport(dumps(cgov.cases.export_open311(SYSTEM, zipcode="472300")),
                              REQUEST_SPEC)
    services = read_georeport(dumps(cgov.cases.open311_services()), SERVICE_SPEC)
    assert {r["service_request_id"] for r in requests} == set(ids)
    by_id = {r["service_request_id"]: r for r in requests}
    done = by_id[ids[0]]
    assert (done["status"], done["service_code"], done["service_name"]) == (
        "closed", "repair", "维修")
    assert done["expected_datetime"] == "2026-09-30T17:30:00+08:00"
    assert done["requested_datetime"] == "2026-09-25T09:00:00+08:00"
    assert (done["lat"], done["long"], done["zipcode"]) == (34.7473, 111.8689, "472300")
    assert by_id[ids[1]]["status"] == "open"
    assert by_id[ids[1]]["agency_responsible"] == "连银社区"
    assert done["agency_responsible"] == "连银社区第1网格"
    assert {s["service_code"] for s in services} >= {"repair", "sanitation", "dispute",
                                                       "safety", "property", "care", "other"}


def test_export_carries_no_id_numbers_phones_or_full_names(city: Any, cgov: Any) -> None:
    """Masks ID numbers and phones typed into descriptions and notes, and reporter names."""
    _busy_city(cgov, city)
    text = dumps(cgov.cases.export_open311(SYSTEM))
    assert not re.search(r"\d{17}[\dX]", text)
    assert not re.search(r"1[3-9]\d{9}", text)
    assert "欧阳明华" not in text and "欧阳**" in text
    for _rid, number in city.id_numbers.items():
        assert number not in text
    assert "居民" not in text.replace("居民*", "")  # resident names from the registry masked


def test_export_is_scoped(city: Any, cgov: Any) -> None:
    """Exports only the cases in the actor's scope, and none for a grid leader."""
    _busy_city(cgov, city)
    assert len(cgov.cases.export_open311(city.staff[city.communities[0]])) == 2
    assert cgov.cases.export_open311(city.staff[city.communities[2]]) == []


def test_import_reads_the_export_back(city: Any, cgov: Any) -> None:
    """Imports an export into another county store with the same ids, statuses, times,
    deadlines and categories, and skips them when imported again."""
    _busy_city(cgov, city)
    exported = json.loads(dumps(cgov.cases.export_open311(SYSTEM)))
    with community_governance.open(
            "memory://", entrypoints=False,
            clock=lambda: pendulum.datetime(2026, 10, 1, tz="UTC")) as other:
        build_small_city(other)
        result = other.cases.import_open311(SYSTEM, exported)
        assert sorted(result.created) == sorted(r["service_request_id"] for r in exported)
        again = other.cases.export_open311(SYSTEM)
        keep = ("service_request_id", "status", "service_code", "requested_datetime",
                "updated_datetime", "expected_datetime", "address_id", "lat", "long",
                "media_url", "description")
        assert [{k: r[k] for k in keep} for r in again] == [
            {k: r[k] for k in keep} for r in exported]
        assert [r["extended_attributes"]["cgov_status"] for r in again] == [
            r["extended_attributes"]["cgov_status"] for r in exported]
        hist = other.cases.history(SYSTEM, exported[0]["service_request_id"])
        assert [h.event.value for h in hist] == ["import"]
        assert other.cases.import_open311(SYSTEM, exported).skipped == result.created


def test_import_of_a_foreign_request(city: Any, cgov: Any) -> None:
    """Imports a minimal request from another 311 system (no extensions) as reported."""
    c = city.communities[0]
    req = {"service_request_id": "SF-638344", "status": "open", "service_code": "sanitation",
           "service_name": "Street cleaning", "description": "垃圾未清运",
           "requested_datetime": "2026-09-24T08:15:00Z", "address_id": city.buildings[c][1]}
    result = cgov.cases.import_open311(SYSTEM, [req])
    case = cgov.cases.get(SYSTEM, result.created[0])
    assert case.status.value == "reported" and case.channel.value == "phone"
    assert case.reported_at.isoformat() == "2026-09-24T08:15:00+00:00"


@pytest.mark.parametrize(("change", "error", "where"), [
    ({"status": "pending"}, ValidationError, "status"),
    ({"requested_datetime": "24/09/2026"}, ValidationError, "requested_datetime"),
    ({"lat": "north"}, ValidationError, "lat"),
    ({"service_code": "heating"}, ValidationError, "category"),
    ({"address_id": "411281001001-B0999"}, NotFound, "B0999"),
])
def test_import_refuses_bad_requests_whole(city: Any, cgov: Any, change: dict[str, Any],
                                           error: type, where: str) -> None:
    """Refuses a batch with one bad request, naming the field, and writes none of it."""
    c = city.communities[0]
    good = {"service_request_id": "X-1", "status": "open", "service_code": "repair",
            "description": "门坏了", "requested_datetime": "2026-09-24T08:15:00+08:00",
            "address_id": city.buildings[c][0]}
    bad = {**good, "service_request_id": "X-2", **change}
    with pytest.raises(error, match=where):
        cgov.cases.import_open311(SYSTEM, [good, bad])
    assert cgov.cases.list_cases(SYSTEM) == []
