"""The public routes: the service guide as HSDS 3.0 with search, the disclosure pages, the
supermarket's stock; and a scan of every public route for personal data."""

from __future__ import annotations

import re
from typing import Any

from community_governance.demo.funds import seed_funds
from community_governance.domain.access import Actor
from community_governance.domain.pii_text import PersonalNumber, find_personal_numbers
from community_governance.http import HttpSettings
from tests.http.conftest import SYSTEM, serving

#: Documents of HSDS 3.0 (schema reference): the fields a service must have.
HSDS_SERVICE_REQUIRED = {"id", "name", "status"}
HSDS_STATUS = {"active", "inactive", "defunct", "temporarily closed"}


def test_guide_in_hsds_shapes_with_search(tmp_path: Any) -> None:
    """Every matter is an HSDS service with its documents, phone and location; search
    answers best first; the WeChat menu links the domains."""
    with serving(f"sqlite:///{tmp_path / 'g.db'}") as s:
        n = s.gov.guide.seed_defaults(SYSTEM)
        page = s.client.get("/public/guide/services", params={"per_page": 200}).json()
        assert page["total_items"] == n > 0 and len(page["contents"]) == n
        for svc in page["contents"]:
            assert HSDS_SERVICE_REQUIRED <= set(svc) and svc["status"] in HSDS_STATUS
            assert all(d["service_id"] == svc["id"] for d in svc["required_documents"])
            assert svc["service_at_locations"][0]["location"]["name"]
        hits = s.client.get("/public/guide/services", params={"q": "低保"}).json()["contents"]
        assert hits and "低保" in hits[0]["name"] + hits[0]["description"] + \
            hits[0]["eligibility_description"]
        one = s.client.get(f"/public/guide/services/{hits[0]['id']}").json()
        assert one == hits[0]
        assert s.client.get("/public/guide/services/NOPE-1").status_code == 404
        menu = s.client.get("/public/guide/wechat-menu",
                            params={"base_url": "https://m.example.cn/guide"}).json()
        subs = menu["button"][0]["sub_button"]
        assert subs and all(b["url"].startswith("https://m.example.cn/guide?domain=")
                            for b in subs)
        assert s.client.get("/public/guide/wechat-menu",
                            params={"base_url": "javascript:x"}).status_code == 422


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+):\w+\}", lambda m: values[m.group(1)], path)


def test_no_personal_data_on_any_public_route(tmp_path: Any) -> None:
    """Every public GET route (and the Open311 feed read through its public reader) is
    fetched over a store holding ID and mobile numbers; the scanner finds none in any
    answer, and every route answered."""
    settings = HttpSettings(rate_limit_per_minute=0, open311_reader=Actor.system("desk"))
    with serving(f"sqlite:///{tmp_path / 'p.db'}", settings) as s:
        city = s.city
        c = city.communities[0]
        b = city.buildings[c][0]
        rid = city.residents[city.households[b][0]][0]
        s.gov.guide.seed_defaults(SYSTEM)
        seed_funds(s.gov, seed=11)
        s.gov.supermarket.add_item(city.director[c], c, "大米", 20, stock=5)
        case = s.gov.cases.report(Actor.resident(rid), category="repair", building_code=b,
                                  description=f"联系我13800000007，身份证{city.id_numbers[rid]}",
                                  reporter_name="王五", reporter_phone="13800000007")
        s.gov.cases.assign(city.staff[c], case.id, city.grid_leader[city.grid_of_building(b)].id,
                           note="电话13900000001")
        # a community-affairs posting typed with a resident's name and numbers in it
        name = s.gov.registry.get_resident(city.director[c], rid).name
        s.gov.affairs.post_notice(
            city.director[c], "AFF-SCAN", c, title=f"{name}家门前道路施工",
            body=f"联系人{name}，电话13800000007，身份证{city.id_numbers[rid]}", days=10)
        code = s.gov.guide.list_matters()[0].code
        values = {"community": c, "quarter": "2019Q4", "code": code,
                  "name": f"{case.id}.json", "case_id": case.id}
        app = s.client.app
        fetched = []
        for route in app.routes:
            path = route.path
            if not path.startswith(("/public", "/open311")) or "GET" not in route.methods:
                continue
            url = _fill(path, {**values, "name": "repair.json"} if "/services/" in path
                        else values)
            params = {"base_url": "https://m.example.cn/g"} if "wechat-menu" in url else {}
            for variant in ([url] if "{" not in path else
                            [url, url.replace(".json", ".xml")] if url.endswith(".json")
                            else [url]):
                r = s.client.get(variant, params=params)
                assert r.status_code == 200, (variant, r.text)
                found = [f for f in find_personal_numbers(r.text)
                         if f.kind is not PersonalNumber.LANDLINE]
                assert found == [], (variant, found)
                assert name not in r.text, (variant, name)
                fetched.append(variant)
        assert len(fetched) >= 17
        assert any("requests" in u for u in fetched) and any("print" in u for u in fetched)
        board = [u for u in fetched if "/affairs/" in u]
        assert len(board) == 2
        assert "AFF-SCAN" in s.client.get(f"/public/affairs/{c}/board").text


def test_affairs_board_json_and_print(tmp_path: Any) -> None:
    """The community-affairs board: JSON with the postings of the community (those in their
    period on a day with ``on``), the printable Chinese page (English with ``lang=en``), and
    404 for an unknown community."""
    with serving(f"sqlite:///{tmp_path / 'a.db'}") as s:
        city = s.city
        c, other = city.communities[0], city.communities[1]
        s.gov.affairs.post_notice(city.director[c], "AFF-1", c, title="社区服务站调整开放时间",
                                  body="自十月起每周六上午开放。", days=7)
        s.clock.set(2026, 10, 10, 9)
        s.gov.affairs.post_notice(city.director[c], "AFF-2", c, title="楼道堆物清理",
                                  body="请于本周内清理楼道杂物。", days=5)
        s.gov.affairs.post_notice(city.director[other], "AFF-X", other, title="别处的公告",
                                  body="不属于本社区。", days=5)
        doc = s.client.get(f"/public/affairs/{c}/board").json()
        assert doc["community"] == c and doc["as_of"] == "2026-10-10"
        assert [p["id"] for p in doc["postings"]] == ["AFF-2", "AFF-1"]
        first = doc["postings"][1]
        assert (first["kind"], first["kind_zh"]) == ("service_change", "服务调整")
        assert (first["posted_on"], first["until"]) == ("2026-09-25", "2026-10-01")
        on = s.client.get(f"/public/affairs/{c}/board", params={"on": "2026-09-28"}).json()
        assert [p["id"] for p in on["postings"]] == ["AFF-1"] and on["as_of"] == "2026-09-28"
        page = s.client.get(f"/public/affairs/{c}/board/print")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        unit = s.gov.registry.get_unit(c)
        assert f"{unit.name} 社区事务公开" in page.text and "楼道堆物清理" in page.text
        assert "AFF-X" not in page.text and "别处的公告" not in page.text
        en = s.client.get(f"/public/affairs/{c}/board/print", params={"lang": "en"}).text
        assert "community affairs disclosure" in en and 'lang="en"' in en
        assert s.client.get("/public/affairs/999999999999/board").status_code == 404
        assert s.client.get(f"/public/affairs/{c}/board",
                            params={"on": "yesterday"}).status_code == 400
        assert s.client.get(f"/public/affairs/{c}/board/print",
                            params={"lang": "fr"}).status_code == 400
