"""The read cache of the HTTP API: answers and tokens are reused only while the store is
unchanged (its newest audit id), a revoked or expired token is refused at once, and a write
is seen by the next read."""

from __future__ import annotations

from typing import Any

from community_governance.domain.access import Actor
from community_governance.http import HttpSettings
from tests.http.conftest import SYSTEM, serving


def test_reads_are_reused_until_a_write_and_tokens_until_revoked(tmp_path: Any) -> None:
    with serving(f"sqlite:///{tmp_path / 'c.db'}", HttpSettings(rate_limit_per_minute=0)) as s:
        city = s.city
        c = city.communities[0]
        b = city.buildings[c][0]
        calls = []
        real = s.gov.cases.export_open311

        def counting(*args: Any, **kwargs: Any) -> Any:
            calls.append(kwargs.get("within"))
            return real(*args, **kwargs)

        s.gov.cases.export_open311 = counting
        got = s.gov.tokens.issue(SYSTEM, SYSTEM, ["open311", "cases"])
        auth = {"Authorization": f"Bearer {got.secret}"}
        url = f"/open311/v2/requests.json?jurisdiction_id={city.county}"
        first = s.client.get(url, headers=auth)
        assert first.status_code == 200 and first.json() == []
        again = s.client.get(url, headers=auth)
        assert again.content == first.content and len(calls) == 1  # reused
        assert s.client.get(url.replace(".json", ".xml"), headers=auth).status_code == 200
        assert len(calls) == 2  # another path, another answer
        # a write through the API is seen by the next read
        r = s.client.post("/api/v1/cases", headers=auth, json={
            "category": "repair", "building_code": b, "description": "门禁坏了"})
        assert r.status_code == 201, r.text
        listed = s.client.get(url, headers=auth).json()
        assert [x["service_request_id"] for x in listed] == [r.json()["id"]]
        assert len(calls) == 3
        # so is a write made outside the server (another worker, the CLI)
        s.gov.cases.report(Actor.system("cli"), category="repair", building_code=b,
                           description="路灯不亮")
        assert len(s.client.get(url, headers=auth).json()) == 2
        # a revoked token is refused at once, kept answer or not
        s.gov.tokens.revoke(SYSTEM, got.token.id)
        refused = s.client.get(url, headers=auth)
        assert refused.status_code == 401 and "revoked" in refused.text
        # an expiring token is refused once expired, though nothing was written since
        short = s.gov.tokens.issue(SYSTEM, SYSTEM, ["open311"],
                                   expires_at=s.clock.now.add(minutes=10))
        auth2 = {"Authorization": f"Bearer {short.secret}"}
        assert s.client.get(url, headers=auth2).status_code == 200
        s.clock.now = s.clock.now.add(minutes=11)
        late = s.client.get(url, headers=auth2)
        assert late.status_code == 401 and "expired" in late.text
        # public pages (JSON and HTML): reused, and a public route ignores a bad token
        shown = []
        real_board = s.gov.affairs.board

        def board(*args: Any, **kwargs: Any) -> Any:
            shown.append(1)
            return real_board(*args, **kwargs)

        s.gov.affairs.board = board
        for _ in range(2):
            assert s.client.get(f"/public/affairs/{c}/board/print").status_code == 200
        assert len(shown) == 1
        page = f"/public/affairs/{c}/board"
        assert s.client.get(page, headers={"Authorization": "Bearer nonsense"}).json()[
            "postings"] == []
        s.gov.affairs.post_notice(city.director[c], "AFF-C", c, title="停水通知",
                                  body="明日停水。", days=5)
        assert [p["id"] for p in s.client.get(page).json()["postings"]] == ["AFF-C"]
