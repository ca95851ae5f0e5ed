"""Open311 GeoReport v2 over HTTP, driven by an independent client written from the
specification (tests/http/open311_client.py), in JSON and in XML."""

from __future__ import annotations

from typing import Any

import pytest

from community_governance.domain.access import Actor
from tests.http import open311_client as spec
from tests.http.conftest import Served

FORMATS = ["json", "xml"]
BASE = "/open311/v2"


# ----------------------------------------------------------------------------- the client


def test_client_reads_the_specifications_own_examples() -> None:
    """The client reads every golden example of the specification, the same in both formats."""
    for a, b, root, item, fields in [
        (spec.GOLDEN_SERVICES_JSON, spec.GOLDEN_SERVICES_XML, "services", "service",
         spec.SERVICE),
        (spec.GOLDEN_REQUESTS_JSON, spec.GOLDEN_REQUESTS_XML, "service_requests", "request",
         spec.REQUEST),
        (spec.GOLDEN_CREATED_JSON, spec.GOLDEN_CREATED_XML, "service_requests", "request",
         spec.CREATED),
        (spec.GOLDEN_TOKEN_JSON, spec.GOLDEN_TOKEN_XML, "service_requests", "request",
         spec.TOKEN),
        (spec.GOLDEN_ERRORS_JSON, spec.GOLDEN_ERRORS_XML, "errors", "error", spec.ERROR),
    ]:
        from_json = spec.parse_list(a, "json", root, item, fields)
        from_xml = spec.parse_list(b, "xml", root, item, fields)
        assert from_json == from_xml and from_json
    assert spec.parse_definition(spec.GOLDEN_DEFINITION_JSON, "json") == spec.parse_definition(
        spec.GOLDEN_DEFINITION_XML, "xml")
    with pytest.raises(spec.SpecError):
        spec.parse_list('[{"service_code": "1"}]', "json", "services", "service", spec.SERVICE)


# ----------------------------------------------------------------------------- the server


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_services_and_definitions(served: Served, fmt: str) -> None:
    """Discovery names the endpoint and both formats; every service has a definition whose
    list attribute offers values."""
    r = served.client.get(f"{BASE}/discovery.{fmt}")
    assert r.status_code == 200
    assert "open311/v2" in r.text and "text/xml" in r.text and "application/json" in r.text
    client = spec.Open311Client(served.client, BASE, fmt)
    services = client.services()
    codes = {s["service_code"] for s in services}
    assert {"repair", "sanitation", "other"} <= codes
    assert all(s["metadata"] is True for s in services)
    d = client.definition("repair")
    assert d["service_code"] == "repair"
    channel = next(a for a in d["attributes"] if a["code"] == "channel")
    assert {v["key"] for v in channel["values"]} >= {"app", "wechat"}
    missing = served.client.get(f"{BASE}/services/nope.{fmt}")
    assert missing.status_code == 404
    assert client.errors(missing)[0]["code"] == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_then_read_back_every_way(served: Served, fmt: str) -> None:
    """A request posted with an API key is read back by id, by token, in the list with the
    standard filters, and in the updates; phone numbers never come back."""
    c = served.city.communities[0]
    rid = served.city.residents[served.city.households[served.city.buildings[c][0]][0]][0]
    key = served.token(Actor.resident(rid), "open311")["Authorization"].split()[1]
    reader = served.token(Actor.system("open311-desk"), "open311")
    client = spec.Open311Client(served.client, BASE, fmt, api_key=key)
    r = client.create(service_code="repair", address_id=served.city.buildings[c][0],
                      description="楼道灯不亮，联系13800000007", lat="34.72", long="111.87",
                      media_url="https://img.example.cn/p/1.jpg", first_name="三",
                      last_name="张", phone="13800000007", **{"attribute[channel]": "wechat"})
    assert r.status_code == 201, r.text
    created = client.created(r)
    rid_ = created[0]["service_request_id"]
    assert rid_ and "期限至" in created[0]["service_notice"]

    served.client.headers.update(reader)
    one = client.parse_requests(client.request(rid_))
    assert len(one) == 1 and one[0]["status"] == "open" and one[0]["service_code"] == "repair"
    assert one[0]["lat"] == pytest.approx(34.72) and one[0]["long"] == pytest.approx(111.87)
    assert one[0]["media_url"] == "https://img.example.cn/p/1.jpg"
    assert "13800000007" not in client.request(rid_).text
    assert client.token(rid_) == [{"service_request_id": rid_, "token": rid_}]

    listed = client.parse_requests(client.requests())
    assert rid_ in [x["service_request_id"] for x in listed]
    assert client.parse_requests(client.requests(status="closed")) == []
    assert client.parse_requests(client.requests(service_code="sanitation")) == []
    assert [x["service_request_id"] for x in client.parse_requests(
        client.requests(service_request_id=rid_))] == [rid_]
    # the default window is 90 days: a window that ended before the report holds none
    assert client.parse_requests(client.requests(
        start_date="2026-01-01T00:00:00+08:00", end_date="2026-02-01T00:00:00+08:00")) == []
    bad = client.requests(start_date="yesterday")
    assert bad.status_code == 422 and "start_date" in client.errors(bad)[0]["description"]
    updates = client.updates()
    assert [u["service_request_id"] for u in updates] == [rid_]


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_errors_are_georeport_error_lists(served: Served, fmt: str) -> None:
    """A missing or unknown key, a missing scope, an unknown service and a missing building
    answer 4xx error lists, and nothing is written."""
    c = served.city.communities[0]
    b = served.city.buildings[c][0]
    fields = {"service_code": "repair", "address_id": b, "description": "路灯坏了"}
    r = spec.Open311Client(served.client, BASE, fmt).create(**fields)
    assert r.status_code == 401
    assert "token" in spec.Open311Client(served.client, BASE, fmt).errors(r)[0]["description"]
    for key, status in [("cgov_" + "x" * 40, 401), ("nonsense", 401)]:
        client = spec.Open311Client(served.client, BASE, fmt, api_key=key)
        assert client.create(**fields).status_code == status
    wrong_scope = served.token(Actor.system("x"), "cases")["Authorization"].split()[1]
    client = spec.Open311Client(served.client, BASE, fmt, api_key=wrong_scope)
    r = client.create(**fields)
    assert r.status_code == 403 and "scope" in client.errors(r)[0]["description"]
    key = served.token(Actor.system("x"), "open311")["Authorization"].split()[1]
    client = spec.Open311Client(served.client, BASE, fmt, api_key=key)
    for bad, status, word in [({"service_code": "nope"}, 422, "service_code"),
                              ({"address_id": ""}, 422, "address_id"),
                              ({"lat": "north"}, 422, "lat"),
                              ({"jurisdiction_id": "999999"}, 404, "jurisdiction")]:
        r = client.create(**{**fields, **bad})
        assert r.status_code == status, r.text
        assert word in client.errors(r)[0]["description"]
    assert served.gov.cases.list_cases(Actor.system("t")) == []


def test_jurisdiction_maps_to_the_county(served: Served) -> None:
    """The county's code is its jurisdiction_id; another code is unknown."""
    client = spec.Open311Client(served.client, BASE, "json",
                                jurisdiction_id=served.city.county)
    assert client.services()
    other = spec.Open311Client(served.client, BASE, "json", jurisdiction_id="110101")
    r = other._get("services")
    assert r.status_code == 404 and "jurisdiction" in other.errors(r)[0]["description"]


def test_requests_need_a_reader(served: Served) -> None:
    """Without a token (and no public reader configured) the list is refused, and the
    refusal is in the denials log."""
    r = served.client.get(f"{BASE}/requests.json")
    assert r.status_code == 401
    denied = served.gov.audit.denied(Actor.system("t"))
    assert any("requests.json" in d.operation for d in denied)


def test_one_server_hosts_several_counties(tmp_path: Any) -> None:
    """With the Yima and Hubin plugins installed, jurisdiction_id picks the county (its own
    categories); without one the server says which to name."""
    from litestar.testing import TestClient

    import community_governance as cg
    from community_governance.http import HttpSettings, create_app

    yima = pytest.importorskip("cgov_yima.plugin")
    hubin = pytest.importorskip("cgov_hubin.plugin")
    with cg.open("memory://", [yima, hubin], entrypoints=False) as gov, \
            TestClient(create_app(gov, HttpSettings(rate_limit_per_minute=0))) as http:
        r = http.get(f"{BASE}/services.json")
        assert r.status_code == 422 and "411202" in r.text and "411281" in r.text
        per_county = {}
        for county in ("411202", "411281"):
            client = spec.Open311Client(http, BASE, "json", jurisdiction_id=county)
            per_county[county] = {s["service_code"] for s in client.services()}
        assert per_county["411202"] != per_county["411281"]
