"""Idempotency-Key on case reports and volunteer attendance, and the rate limit per token,
both kept in the database: a second application on the same database (another worker)
replays the same answers and shares the same budget; on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import community_governance as cg
from community_governance.domain.access import Actor
from community_governance.domain.volunteers import ActivitySpec
from community_governance.http import HttpSettings, create_app
from community_governance.storage.tables import http as ht
from tests.http.conftest import SYSTEM, Served, serving

START = dt.datetime(2026, 9, 12, 1, 0, tzinfo=dt.UTC)


@contextlib.contextmanager
def second_worker(s: Served, url: str, settings: HttpSettings) -> Iterator[Any]:
    """Another application on the same database, as a second worker process has."""
    from litestar.testing import TestClient

    with cg.open(url, entrypoints=False, clock=s.clock) as gov, \
            TestClient(create_app(gov, settings), raise_server_exceptions=False) as client:
        yield client


def _cases(s: Served) -> int:
    with s.gov.store.unit_of_work(write=False) as uow:
        return int(uow.conn.execute(sa.text("SELECT count(*) FROM cases")).scalar_one())


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()  # type: ignore[no-any-return]


def _case_report_replays(s: Served, url: str) -> None:
    city = s.city
    c = city.communities[0]
    b = city.buildings[c][0]
    rid = city.residents[city.households[b][0]][0]
    resident = s.token(Actor.resident(rid), "cases")
    report = {"category": "repair", "building_code": b, "description": "5号楼路灯不亮",
              "lat": 34.71, "long": 111.87}
    key = {"Idempotency-Key": "report-0001"}
    before = _cases(s)
    first = s.client.post("/api/v1/cases", headers={**resident, **key}, json=report)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    again = s.client.post("/api/v1/cases", headers={**resident, **key},
                          json=dict(reversed(list(report.items()))))  # same body, other order
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    settings = HttpSettings(rate_limit_per_minute=0)
    with second_worker(s, url, settings) as other:  # the key is in the database
        third = other.post("/api/v1/cases", headers={**resident, **key}, json=report)
        assert third.status_code == 201 and third.json() == first.json()
        changed = other.post("/api/v1/cases", headers={**resident, **key},
                             json={**report, "description": "另一件事"})
        doc = _problem(changed, 409)
        assert "report-0001" in doc["detail"] and "another request" in doc["detail"]
    assert _cases(s) == before + 1  # one case, whatever the retries
    # a failed first request frees its key: corrected, the same key files the report
    bad = s.client.post("/api/v1/cases", headers={**resident, "Idempotency-Key": "k2"},
                        json={"category": "repair"})
    _problem(bad, 422)
    ok = s.client.post("/api/v1/cases", headers={**resident, "Idempotency-Key": "k2"},
                       json=report)
    assert ok.status_code == 201 and ok.json()["id"] != first.json()["id"]
    # keys belong to the actor: another resident's same key is theirs
    rid2 = city.residents[city.households[b][1]][0]
    other_resident = s.token(Actor.resident(rid2), "cases")
    mine = s.client.post("/api/v1/cases", headers={**other_resident, **key}, json=report)
    assert mine.status_code == 201 and mine.json()["id"] != first.json()["id"]
    # a token refreshed for the same resident still replays
    fresh = s.token(Actor.resident(rid), "cases")
    assert s.client.post("/api/v1/cases", headers={**fresh, **key},
                         json=report).json() == first.json()
    assert _cases(s) == before + 3
    # answers are kept a day: after that the key is new again
    s.clock.now = s.clock.now.add(hours=25)
    late = s.client.post("/api/v1/cases", headers={**resident, **key}, json=report)
    assert late.status_code == 201 and "idempotent-replayed" not in late.headers
    assert late.json()["id"] != first.json()["id"]
    # the kept answer is erased with the resident
    s.gov.privacy.erase(Actor.resident(rid), rid, reason="搬离本社区")
    with s.gov.store.unit_of_work(write=False) as uow:
        kept = uow.conn.execute(sa.select(ht.http_idempotency.c.response).where(
            ht.http_idempotency.c.resident_id == rid)).scalars().all()
    assert kept and all(k is None for k in kept)


def _attendance_replays(s: Served) -> None:
    city = s.city
    c = city.communities[0]
    rid = city.residents[city.households[city.buildings[c][1]][0]][0]
    s.gov.volunteers.register(SYSTEM, rid)
    act = s.gov.volunteers.create_activity(SYSTEM, ActivitySpec(
        "清理楼道", c, "environment", "3号楼", START, START + dt.timedelta(minutes=90), 10))
    staff = s.token(city.staff[c], "volunteers", "points")
    key = {"Idempotency-Key": "att-1"}
    url = f"/api/v1/activities/{act.id}/attendance"
    first = s.client.post(url, headers={**staff, **key}, json={"attendees": [{"resident_id": rid}]})
    assert first.status_code == 200, first.text
    assert [a["resident_id"] for a in first.json()["recorded"]] == [rid]
    balance = s.gov.points.balance(SYSTEM, rid)
    again = s.client.post(url, headers={**staff, **key}, json={"attendees": [{"resident_id": rid}]})
    # the same answer (without the key, a retry lists the resident under "already")
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    plain = s.client.post(url, headers=staff, json={"attendees": [{"resident_id": rid}]})
    assert plain.status_code == 200 and plain.json() != first.json()
    other = s.client.post(url, headers={**staff, **key},
                          json={"attendees": [{"resident_id": rid, "minutes": 30}]})
    _problem(other, 409)
    elsewhere = s.client.post(f"/api/v1/activities/{act.id}x/attendance",
                              headers={**staff, **key},
                              json={"attendees": [{"resident_id": rid}]})
    _problem(elsewhere, 409)  # another path is another request
    assert s.gov.points.balance(SYSTEM, rid) == balance > 0


def _concurrent_retries_write_once(s: Served, url: str) -> None:
    """Eight simultaneous sends of one report with one key, through two workers: one case."""
    city = s.city
    c = city.communities[0]
    b = city.buildings[c][1]
    rid = city.residents[city.households[b][1]][0]
    resident = s.token(Actor.resident(rid), "cases")
    report = {"category": "repair", "building_code": b, "description": "并发重试"}
    before = _cases(s)
    answers: list[Any] = []
    lock = threading.Lock()
    with second_worker(s, url, HttpSettings(rate_limit_per_minute=0)) as other:
        def send(client: Any) -> None:
            r = client.post("/api/v1/cases", headers={**resident, "Idempotency-Key": "burst"},
                            json=report)
            with lock:
                answers.append(r)

        threads = [threading.Thread(target=send, args=(s.client if i % 2 else other,))
                   for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert _cases(s) == before + 1
    ok = [r.json()["id"] for r in answers if r.status_code == 201]
    busy = [r for r in answers if r.status_code == 409]
    assert ok and len(set(ok)) == 1 and len(ok) + len(busy) == 8
    assert all("still being handled" in r.json()["detail"] for r in busy)


def _rate_limit_is_shared(s: Served, url: str) -> None:
    """Three requests a minute per token, whichever worker answers."""
    settings = HttpSettings(rate_limit_per_minute=3)
    from litestar.testing import TestClient

    token = s.token(SYSTEM, "cases")
    with TestClient(create_app(s.gov, settings), raise_server_exceptions=False) as one, \
            second_worker(s, url, settings) as two:
        s.clock.now = s.clock.now.add(minutes=5).start_of("minute")
        codes = [c.get("/api/v1/cases", headers=token) for c in (one, two, one)]
        assert [r.status_code for r in codes] == [200, 200, 200]
        assert [r.headers["ratelimit-remaining"] for r in codes] == ["2", "1", "0"]
        over = two.get("/api/v1/cases", headers=token)
        doc = _problem(over, 429)
        assert "3 requests a minute" in doc["detail"]
        assert 0 < int(over.headers["retry-after"]) <= 60
        assert one.get("/api/v1/cases", headers=s.token(SYSTEM, "cases")).status_code == 200
        s.clock.now = s.clock.now.add(minutes=1)  # a new minute, a new budget
        assert two.get("/api/v1/cases", headers=token).status_code == 200
        assert one.get("/schema/openapi.json").status_code == 200  # never limited


def test_idempotency_and_rate_limit_on_sqlite(tmp_path: Path) -> None:
    """Case reports and attendance replay from the database; the rate limit is shared."""
    url = f"sqlite:///{tmp_path / 'i.db'}"
    with serving(url) as s:
        _case_report_replays(s, url)
        _attendance_replays(s)
        _concurrent_retries_write_once(s, url)
        _rate_limit_is_shared(s, url)


@pytest.mark.postgres
def test_idempotency_and_rate_limit_on_postgresql(postgres_url: str) -> None:
    """The same on PostgreSQL, where the workers' requests really run in parallel."""
    with serving(postgres_url) as s:
        _case_report_replays(s, postgres_url)
        _attendance_replays(s)
        _concurrent_retries_write_once(s, postgres_url)
        _rate_limit_is_shared(s, postgres_url)
