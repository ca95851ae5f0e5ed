"""The OpenAPI 3.1 document Litestar generates, and schemathesis over every operation: no
5xx, responses that match the document, on SQLite, with a token holding every scope (so the
operations run, not only their refusals). Examples are few per operation (fast); the
HYPOTHESIS_PROFILE=ci profile of tests/conftest.py asks for more."""

from __future__ import annotations

import atexit
import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import attrs
import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
)

from community_governance.domain.access import Actor  # noqa: E402
from community_governance.domain.tokens import SCOPES  # noqa: E402
from tests.http.conftest import Served, serving  # noqa: E402

EXAMPLES = 25 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 4


@schemathesis.deserializer("text/xml")
def _xml(ctx: Any, response: Any) -> Any:
    """GeoReport XML: well-formed (parsed with the standard library), then its text, which
    is what the document describes."""
    ET.fromstring(response.content)
    return response.content.decode("utf-8")


_DIR = tempfile.TemporaryDirectory(prefix="cgov-openapi-")
_SERVING = serving(f"sqlite:///{Path(_DIR.name) / 'o.db'}")
LIVE: Served = _SERVING.__enter__()
atexit.register(_DIR.cleanup)
atexit.register(_SERVING.__exit__, None, None, None)
ALL_SCOPES = LIVE.token(Actor.system("fuzz"), *SCOPES)
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", LIVE.client.app)


@pytest.fixture
def live() -> Served:
    return LIVE


def test_the_document_is_openapi_3_1_and_covers_every_area(live: Served) -> None:
    """One document: Open311 (JSON and XML), the public pages, the authenticated API."""
    doc = live.client.get("/schema/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    paths = set(doc["paths"])
    assert {"/open311/v2/requests.json", "/open311/v2/requests.xml",
            "/public/guide/services", "/api/v1/cases",
            "/api/v1/points/earn"} <= paths
    xml = doc["paths"]["/open311/v2/services.xml"]["get"]["responses"]["200"]["content"]
    assert "text/xml" in xml
    post = doc["paths"]["/open311/v2/requests.json"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in post


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation(case: Any) -> None:
    """No operation answers 5xx to anything schemathesis sends; answers match the document."""
    headers = {**ALL_SCOPES}
    if case.method.upper() == "POST":
        headers["Idempotency-Key"] = "fuzz-key"
    case.call_and_validate(headers=headers, checks=[
        not_a_server_error, content_type_conformance, response_schema_conformance])


def test_every_post_has_a_typed_body_from_its_attrs_class(live: Served) -> None:
    """Every POST that takes a body documents its fields (from the attrs class the route
    reads it into): JSON bodies refuse unknown fields, required fields are listed; the
    Open311 form lists the specification's fields."""
    from community_governance.http.api import CaseReport

    doc = live.client.get("/schema/openapi.json").json()
    schemas = doc["components"]["schemas"]
    posts = {p: item["post"] for p, item in doc["paths"].items() if "post" in item}
    assert len(posts) >= 14
    for path, op in posts.items():
        if path.endswith("/cancel"):
            assert "requestBody" not in op  # no body
            continue
        (media, content), = op["requestBody"]["content"].items()
        schema = content["schema"]
        if media == "application/json":
            name = schema["$ref"].rsplit("/", 1)[1]
            schema = schemas[name]
            assert schema["additionalProperties"] is False, path
        else:
            assert media == "application/x-www-form-urlencoded"
            assert {"service_code", "lat", "long", "description"} <= set(schema["properties"])
        assert schema["type"] == "object" and schema["properties"], path
    case = schemas["CaseReport"]
    assert set(case["properties"]) == {f.name for f in attrs.fields(CaseReport)}
    assert case["required"] == ["category", "building_code", "description"]
    assert case["properties"]["lat"]["anyOf"] == [{"type": "number"}, {"type": "null"}]
    assert case["properties"]["channel"]["default"] == "app"
    assert schemas["Attendance"]["properties"]["attendees"]["items"] == {
        "$ref": "#/components/schemas/AttendanceItem"}
    assert schemas["NewBooking"]["properties"]["start"]["format"] == "date-time"


def test_links_chain_a_case_through_its_steps(live: Served) -> None:
    """A new case links to reading it and to its steps; each step to the next."""
    doc = live.client.get("/schema/openapi.json").json()
    ops = {op["operationId"] for item in doc["paths"].values() for op in item.values()}
    links = doc["paths"]["/api/v1/cases"]["post"]["responses"]["201"]["links"]
    assert links["GetCase"] == {"operationId": "get_api_v1_cases_case_id",
                                "parameters": {"case_id": "$response.body#/id"}}
    resolve = doc["paths"]["/api/v1/cases/{case_id}/resolve"]["post"]["responses"]["200"]
    assert resolve["links"]["RateCase"]["parameters"] == {"case_id": "$request.path.case_id"}
    every = [link for item in doc["paths"].values() for op in item.values()
             for r in op["responses"].values() for link in r.get("links", {}).values()]
    assert len(every) == 13 and all(link["operationId"] in ops for link in every)


class _Stateful(schema.as_state_machine()):  # type: ignore[misc]
    """Schemathesis follows the links: report a case, read it, assign, start, resolve,
    rate... with a token holding every scope; no 5xx and answers that match the document."""

    def before_call(self, case: Any) -> None:
        """Steer the bodies towards the small city's records (a real building, category and
        handler), so that the chains get past the first step."""
        city = LIVE.city
        c = city.communities[0]
        b = city.buildings[c][0]
        if isinstance(case.body, dict) and case.path == "/api/v1/cases":
            case.body.update(category="repair", building_code=b)
            case.body.pop("household_id", None)
        if isinstance(case.body, dict) and case.path.endswith("/assign"):
            case.body["handler_id"] = city.grid_leader[city.grid_of_building(b)].id

    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        headers = {**ALL_SCOPES}
        if case.method.upper() == "POST":
            headers["Idempotency-Key"] = f"stateful-{id(case)}"
        return {"headers": headers}

    def validate_response(self, response: Any, case: Any, additional_checks: Any = None,
                          **kwargs: Any) -> None:
        case.validate_response(response, checks=[
            not_a_server_error, content_type_conformance, response_schema_conformance])


TestStateful = _Stateful.TestCase
TestStateful.settings = settings(max_examples=EXAMPLES * 2, stateful_step_count=5,
                                 deadline=None, derandomize=True,
                                 suppress_health_check=list(HealthCheck))
