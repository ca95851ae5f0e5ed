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
