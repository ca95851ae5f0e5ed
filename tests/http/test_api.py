"""The authenticated API: tokens and scopes, problem documents (RFC 9457) for bad input,
idempotency keys, masking, CORS, rate limits, the external-identity hook, and the extra."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys
import uuid
from typing import Any
from urllib.parse import quote

import pytest

from community_governance.domain.access import Actor
from community_governance.domain.idnumber import compose_id_number
from community_governance.errors import MissingExtra
from community_governance.http import HttpSettings, create_app
from community_governance.http.serve import (
    AccessLogFilter,
    settings_from_json,
    settings_to_json,
)
from community_governance.markers import hookimpl
from tests.http.conftest import SYSTEM, Served, serving

PROBLEM = "application/problem+json"


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    doc = r.json()
    assert doc["status"] == status and doc["title"] and doc["detail"] and doc["type"]
    return doc  # type: ignore[no-any-return]


def _case_body(s: Served) -> dict[str, Any]:
    c = s.city.communities[0]
    return {"category": "repair", "building_code": s.city.buildings[c][0],
            "description": "路灯坏了"}


def test_bad_input_answers_problems_and_writes_nothing(served: Served) -> None:
    """Malformed JSON, an unknown field, a wrong type, a missing field, an oversized body,
    an unknown case and a wrong state: each a 4xx problem naming the field or the rule;
    nothing is written and the server keeps serving."""
    s = served
    staff = s.token(s.city.staff[s.city.communities[0]], "cases")
    url = "/api/v1/cases"
    r = s.client.post(url, headers={**staff, "Content-Type": "application/json"},
                      content=b'{"category": "repair",')
    assert 400 <= r.status_code < 500 and r.headers["content-type"].startswith(PROBLEM)
    doc = _problem(s.client.post(url, headers=staff, json={**_case_body(s), "colour": "red"}),
                   422)
    assert "colour" in doc["detail"]
    doc = _problem(s.client.post(url, headers=staff, json={**_case_body(s), "lat": "north"}),
                   422)
    assert "lat" in doc["detail"]
    body = _case_body(s)
    del body["description"]
    assert "description" in _problem(s.client.post(url, headers=staff, json=body),
                                     422)["detail"]
    assert s.client.post(url, headers=staff, json=["a list"]).status_code in (400, 422)
    huge = {**_case_body(s), "description": "灯" * 600_000}
    _problem(s.client.post(url, headers=staff, json=huge), 413)
    doc = _problem(s.client.get("/api/v1/cases/C-NOPE", headers=staff), 404)
    assert doc["type"].endswith("/NotFound")
    case = s.client.post(url, headers=staff, json=_case_body(s)).json()
    doc = _problem(s.client.post(f"{url}/{case['id']}/rate", headers=staff,
                                 json={"satisfaction": 5}), 409)
    assert doc["title"] == "InvalidTransition"
    assert len(s.gov.cases.list_cases(SYSTEM)) == 1  # only the good report
    assert s.client.get("/open311/v2/services.json").status_code == 200


def test_days_and_times_at_the_ends_of_the_calendar_are_not_server_errors(
        served: Served) -> None:
    """Years 1 and 9999 in a query (a county day) or a body (a time with an offset): an empty
    answer or a 422 naming the field, never a 500 (schemathesis once found
    ``GET /api/v1/appointments?day=0001-01-01``)."""
    from community_governance.domain.appointments import (
        DEFAULT_HOURS,
        CentreKind,
        ServiceCentre,
    )

    s = served
    c = s.city.communities[0]
    s.gov.appointments.add_centre(SYSTEM, ServiceCentre(
        "CEN1", c, CentreKind.CONVENIENCE, "便民服务中心", DEFAULT_HOURS[CentreKind.CONVENIENCE]))
    every = s.token(SYSTEM, "appointments", "open311")
    for day in ("0001-01-01", "9999-12-31"):
        r = s.client.get(f"/api/v1/appointments?day={day}", headers=every)
        assert r.status_code == 200 and r.json() == [], r.text
        r = s.client.get(f"/api/v1/centres/CEN1/slots?day={day}", headers=every)
        assert r.status_code < 500, r.text
        r = s.client.get(f"/public/affairs/{c}/board?on={day}")
        assert r.status_code == 200 and r.json()["postings"] == []
    for query in ("start_date=0001-01-01T00:00:00%2B08:00",
                  "end_date=9999-12-31T23:59:59-08:00"):
        r = s.client.get(f"/open311/v2/requests.json?{query}", headers=every)
        assert r.status_code == 422 and "outside the times" in r.text, r.text
    r = s.client.get("/open311/v2/requests.json?end_date=0001-01-01T23:59:59-08:00",
                     headers=every)
    assert r.status_code == 200 and r.json() == []
    resident = s.gov.registry.list_residents(SYSTEM)[0].id
    for start in ("0001-01-01T00:00:00+08:00", "9999-12-31T23:59:00-08:00"):
        doc = _problem(s.client.post("/api/v1/appointments", headers={
            **every, "Idempotency-Key": f"k-{start}"}, json={
            "centre_id": "CEN1", "start": start, "resident_id": resident}), 422)
        assert "start" in doc["detail"] and "outside the times" in doc["detail"]
    assert s.gov.appointments.appointments(SYSTEM, live_only=False) == []


def test_tokens_scopes_expiry_revocation_and_the_denials_log(served: Served) -> None:
    """No token, a malformed one, an unknown one, one without the scope, an expired one and
    a revoked one are refused (401/403) and logged; a good one works."""
    s = served
    rid = s.city.all_residents()[0]
    url = f"/api/v1/points/{rid}/balance"
    _problem(s.client.get(url), 401)
    _problem(s.client.get(url, headers={"Authorization": "Basic abc"}), 401)
    _problem(s.client.get(url, headers={"Authorization": "Bearer cgov_" + "A" * 43}), 401)
    doc = _problem(s.client.get(url, headers=s.token(Actor.resident(rid), "cases")), 403)
    assert "points" in doc["detail"]
    expiring = s.token(Actor.resident(rid), "points",
                       expires_at=s.clock.now.add(hours=1).in_timezone("UTC"))
    assert s.client.get(url, headers=expiring).status_code == 200
    s.clock.set(2026, 9, 25, 11, 0)
    assert "expired" in _problem(s.client.get(url, headers=expiring), 401)["detail"]
    good = s.gov.tokens.issue(SYSTEM, Actor.resident(rid), ["points"])
    header = {"Authorization": f"Bearer {good.secret}"}
    assert s.client.get(url, headers=header).json() == {"resident_id": rid, "balance": 0}
    s.gov.tokens.revoke(SYSTEM, good.token.id)
    assert "revoked" in _problem(s.client.get(url, headers=header), 401)["detail"]
    # another resident's balance: the policy hides it, whatever the token's scope
    other = s.city.all_residents()[-1]
    _problem(s.client.get(f"/api/v1/points/{other}/balance", headers=s.token(
        Actor.resident(rid), "points")), 404)
    denied = s.gov.audit.denied(SYSTEM)
    assert len(denied) >= 6
    assert any(d.action == "http.points" for d in denied)
    assert all(good.secret not in str(d) for d in denied)


def test_the_store_keeps_digests_only(served: Served) -> None:
    """The secret is nowhere in the database; listing shows no secret."""
    got = served.gov.tokens.issue(SYSTEM, Actor.staff("S1"), ["cases"], label="desk")
    import sqlalchemy as sa

    from community_governance.storage.tables.tokens import api_tokens

    with served.gov.store.unit_of_work(write=False) as uow:
        rows = [tuple(r) for r in uow.conn.execute(sa.select(api_tokens))]
    assert got.secret not in str(rows) and len(rows) == 1
    assert got.secret not in repr(got) and got.secret not in str(served.gov.tokens.list_tokens(
        SYSTEM))
    with pytest.raises(Exception, match="unknown scope"):
        served.gov.tokens.issue(SYSTEM, Actor.staff("S1"), ["everything"])
    with pytest.raises(Exception, match="may not"):
        served.gov.tokens.issue(Actor.staff(served.city.staff[served.city.communities[0]].id),
                                Actor.staff("S1"), ["cases"])


def test_idempotency_key_is_required_and_replays(served: Served) -> None:
    """Points writes need the header; a retry answers the first entry; another body with the
    same key is a 409 problem and writes nothing."""
    s = served
    c = s.city.communities[0]
    rid = [r for r in s.city.all_residents() if s.city.community_of_resident(r) == c][3]
    staff = s.token(s.city.staff[c], "points")
    body = {"resident_id": rid, "amount": 5, "reason": "清扫楼道"}
    assert "Idempotency-Key" in _problem(
        s.client.post("/api/v1/points/earn", headers=staff, json=body), 422)["field"]
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = s.client.post("/api/v1/points/earn", headers=staff | key, json=body)
    assert first.status_code == 201, first.text
    assert s.client.post("/api/v1/points/earn", headers=staff | key, json=body).json() == \
        first.json()
    _problem(s.client.post("/api/v1/points/earn", headers=staff | key,
                           json={**body, "amount": 6}), 409)
    assert s.gov.points.balance(SYSTEM, rid) == 5


def test_residents_are_masked_unless_revealed_with_a_reason(served: Served) -> None:
    """Registering answers the masked record; reading reveals only with a reason header and
    the right, and the reading goes to the access log."""
    s = served
    c = s.city.communities[0]
    hh = s.city.households[s.city.buildings[c][0]][0]
    number = compose_id_number("411281", dt.date(1990, 5, 17), 321)
    office = s.token(s.city.director[c], "residents")
    r = s.client.post("/api/v1/residents", headers=office, json={
        "name": "李四", "id_number": number, "household_id": hh, "phone": "13912345678"})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert number not in r.text and "13912345678" not in r.text
    masked = s.client.get(f"/api/v1/residents/{rid}", headers=office)
    assert number not in masked.text
    full = s.client.get(f"/api/v1/residents/{rid}",
                        headers=office | {"Cgov-Reveal-Reason": quote("核对低保申请")})
    assert full.status_code == 200 and number in full.text
    grid = s.token(s.city.grid_leader[s.city.grids[c][0]], "residents")
    _problem(s.client.get(f"/api/v1/residents/{rid}",
                          headers=grid | {"Cgov-Reveal-Reason": quote("看看")}), 403)


def test_cors_and_rate_limit(tmp_path: Any) -> None:
    """Allowed origins get CORS headers, others none; each token has its own budget and
    the one over it gets a 429 problem."""
    settings = HttpSettings(cors_origins=("https://m.example.cn",), rate_limit_per_minute=3)
    with serving(f"sqlite:///{tmp_path / 'r.db'}", settings) as s:
        pre = s.client.options("/api/v1/cases", headers={
            "Origin": "https://m.example.cn", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Idempotency-Key"})
        assert pre.headers.get("access-control-allow-origin") == "https://m.example.cn"
        r = s.client.get("/open311/v2/discovery.json", headers={"Origin": "https://evil.test"})
        assert "access-control-allow-origin" not in r.headers
        a = s.token(SYSTEM, "cases")
        b = s.token(SYSTEM, "cases")
        codes = [s.client.get("/api/v1/cases", headers=a).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert s.client.get("/api/v1/cases", headers=b).status_code == 200
        _problem(s.client.get("/api/v1/cases", headers=a), 429)


def test_access_log_keeps_no_address_and_no_query() -> None:
    """The access-log filter blanks the client and cuts the query string."""
    rec = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                            ("10.1.2.3:5555", "GET", "/x.json?phone=13800000007", "1.1", 200),
                            None)
    assert AccessLogFilter().filter(rec)
    assert rec.getMessage() == '- - "GET /x.json HTTP/1.1" 200'


def test_settings_travel_to_the_workers() -> None:
    """What cgov serve hands its workers reads back the same."""
    s = HttpSettings(base_url="https://gov.example.cn", cors_origins=("*",),
                     open311_reader=Actor.staff("S9"), zipcode="472300")
    assert settings_from_json(settings_to_json(s)) == s


class _Bindings:
    """A county plugin that knows one WeChat unionid."""

    def __init__(self, rid: str) -> None:
        self.rid = rid

    @hookimpl
    def cgov_external_identity(self, provider: str, subject: str,
                               county_code: str) -> Actor | None:
        if provider == "wechat_unionid" and subject == "o6_bmasdasdsad6_2sgVt7hMZOPfL":
            return Actor.resident(self.rid)
        return None


def test_external_identity_becomes_a_short_lived_token(served: Served) -> None:
    """The back end's token exchanges a known unionid for a resident's token; an unknown one
    is refused; a resident's token may not exchange at all."""
    s = served
    rid = s.city.all_residents()[0]
    s.gov.hooks.pm.register(_Bindings(rid), name="county-bindings")
    backend = s.token(Actor.system("miniprogram"), "cases", "points")
    ask = {"provider": "wechat_unionid", "subject": "o6_bmasdasdsad6_2sgVt7hMZOPfL",
           "scopes": ["points"]}
    r = s.client.post("/api/v1/auth/external", headers=backend, json=ask)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["actor"] == {"kind": "resident", "id": rid} and got["scopes"] == ["points"]
    mine = {"Authorization": f"Bearer {got['token']}"}
    assert s.client.get(f"/api/v1/points/{rid}/balance", headers=mine).status_code == 200
    _problem(s.client.post("/api/v1/auth/external", headers=backend,
                           json={**ask, "subject": "someone-else"}), 401)
    _problem(s.client.post("/api/v1/auth/external", headers=backend,
                           json={**ask, "scopes": ["residents"]}), 403)
    _problem(s.client.post("/api/v1/auth/external", headers=mine, json=ask), 401)


def test_missing_extra_is_explained(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without Litestar, create_app raises MissingExtra naming the http extra."""
    monkeypatch.setitem(sys.modules, "litestar", None)
    with pytest.raises(MissingExtra, match=r"community-governance\[http\]"):
        create_app(served.gov)


def test_base_install_does_not_import_the_framework() -> None:
    """Importing the library and loading every command imports neither Litestar nor uvicorn."""
    code = ("import sys, community_governance, community_governance.cli as c; c._load(); "
            "print(sorted(m for m in ('litestar', 'uvicorn', 'httpx') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
