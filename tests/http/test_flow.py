"""The mini-program flow of issue 18 ("Done when") over HTTP, on SQLite and PostgreSQL: a
resident reports a case with a photo and a location, staff assign and resolve it, the
resident rates it; a volunteer's attendance earns points and they redeem an item; the
quarter's funds disclosure is fetched."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest

from community_governance.demo.funds import seed_funds
from community_governance.domain.access import Actor
from community_governance.domain.volunteers import ActivitySpec
from tests.http.conftest import SYSTEM, Served, serving

START = dt.datetime(2026, 9, 12, 1, 0, tzinfo=dt.UTC)  # a Saturday, 09:00 county time


def mini_program_flow(s: Served) -> dict[str, Any]:
    """Run the flow; return what it saw (for comparing backends)."""
    city, http = s.city, s.client
    c = city.communities[0]
    b = city.buildings[c][0]
    rid = city.residents[city.households[b][0]][0]
    gl = city.grid_leader[city.grid_of_building(b)]
    resident = s.token(Actor.resident(rid), "cases", "points")
    staff = s.token(city.staff[c], "cases", "volunteers")
    handler = s.token(gl, "cases")

    # a resident reports a case with a photo and a location
    r = http.post("/api/v1/cases", headers=resident, json={
        "category": "repair", "building_code": b, "description": "3单元楼道灯不亮",
        "lat": 34.7151, "long": 111.8712, "media_url": "https://img.example.cn/c/1.jpg",
        "channel": "wechat"})
    assert r.status_code == 201, r.text
    case = r.json()
    assert (case["status"], case["media_url"], case["lat"]) == (
        "reported", "https://img.example.cn/c/1.jpg", 34.7151)
    cid = case["id"]
    # staff assign it, the handler resolves it, the resident rates it
    r = http.post(f"/api/v1/cases/{cid}/assign", headers=staff,
                  json={"handler_id": gl.id, "note": "请网格长处理"})
    assert r.status_code == 200 and r.json()["status"] == "assigned", r.text
    r = http.post(f"/api/v1/cases/{cid}/resolve", headers=handler, json={"note": "已更换灯泡"})
    assert r.status_code == 200 and r.json()["status"] == "resolved", r.text
    r = http.post(f"/api/v1/cases/{cid}/rate", headers=resident, json={"satisfaction": 5})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["satisfaction"]) == ("closed", 5)
    steps = http.get(f"/api/v1/cases/{cid}/history", headers=resident).json()
    assert [x["event"] for x in steps] == ["report", "assign", "resolve", "close"]

    # a volunteer's attendance earns points; they redeem an item
    s.gov.volunteers.register(SYSTEM, rid)
    act = s.gov.volunteers.create_activity(SYSTEM, ActivitySpec(
        "陪伴独居老人", c, "elderly_care", "社区日间照料中心", START,
        START + dt.timedelta(minutes=120), 10))
    r = http.post(f"/api/v1/activities/{act.id}/attendance", headers=staff,
                  json={"attendees": [{"resident_id": rid}]})
    assert r.status_code == 200, r.text
    assert [a["resident_id"] for a in r.json()["recorded"]] == [rid]
    balance = http.get(f"/api/v1/points/{rid}/balance", headers=resident).json()["balance"]
    assert balance > 0
    item = s.gov.supermarket.add_item(city.director[c], c, "洗衣液", balance, stock=2)
    key = {"Idempotency-Key": str(uuid.UUID(int=7))}
    order = {"resident_id": rid, "item_id": item.id, "quantity": 1}
    r = http.post("/api/v1/supermarket/redeem", headers={**resident, **key}, json=order)
    assert r.status_code == 201, r.text
    again = http.post("/api/v1/supermarket/redeem", headers={**resident, **key}, json=order)
    assert again.status_code == 201 and again.json() == r.json()  # a retry, not a 2nd sale
    other = http.post("/api/v1/supermarket/redeem", headers={**resident, **key},
                      json={**order, "quantity": 2})
    assert other.status_code == 409, other.text
    assert other.headers["content-type"].startswith("application/problem+json")
    assert "idempotency key" in other.json()["detail"]
    assert http.get(f"/api/v1/points/{rid}/balance", headers=resident).json()["balance"] == 0
    stock = http.get(f"/public/supermarket/{c}/stock").json()["items"]
    assert [(i["name"], i["stock"]) for i in stock] == [("洗衣液", 1)]

    # the quarter's disclosure
    seed_funds(s.gov, seed=11)
    page = http.get(f"/public/funds/{c}/disclosure/2019Q4/print")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "社区财务公开" in page.text
    doc = http.get(f"/public/funds/{c}/disclosure/2019Q4").json()
    assert doc and "2019" in str(doc)
    return {"case": {k: case[k] for k in ("category", "status", "lat", "long")},
            "balance": balance, "redemption": r.json()["quantity"]}


def test_mini_program_flow_on_sqlite(served: Served) -> None:
    """The flow runs over HTTP on a SQLite file."""
    got = mini_program_flow(served)
    assert got["redemption"] == 1


@pytest.mark.postgres
def test_mini_program_flow_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    """The flow runs over HTTP on PostgreSQL and sees what it sees on SQLite."""
    with serving(postgres_url) as pg:
        on_pg = mini_program_flow(pg)
    with serving(f"sqlite:///{tmp_path / 'f.db'}") as lite:
        assert mini_program_flow(lite) == on_pg
