"""gov.guide: the service guide, versions, Chinese search, WeChat JSON."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest

from community_governance.domain.access import Actor
from community_governance.domain.guide import GuideDomain, GuideMatter
from community_governance.errors import NotFound, PermissionDenied, ValidationError

SYSTEM = Actor.system("test")


def test_default_guide_has_matters_in_every_domain(gov: Any) -> None:
    """Seeds real matters in all four domains once, and not again."""
    assert gov.guide.seed_defaults(SYSTEM) >= 8
    assert gov.guide.seed_defaults(SYSTEM) == 0
    titles = {m.title for m in gov.guide.list_matters()}
    assert any("低保" in t for t in titles) and "居住证办理" in titles
    assert any("城乡居民" in t and "养老保险" in t for t in titles)
    assert any("独生子女" in t for t in titles)
    for d in GuideDomain:
        matters = gov.guide.list_matters(domain=d)
        assert matters and all(m.materials and m.procedure and m.phone for m in matters)
    assert gov.guide.list_matters(domain="公安") == gov.guide.list_matters(
        domain=GuideDomain.PUBLIC_SECURITY)


@pytest.mark.parametrize(("query", "code"), [
    ("低保", "MZ-001"), ("养老保险 待遇", "SB-002"), ("居住证", "GA-001"),
    ("居住证明", "GA-001"), ("独生子女", "MZ-002"), ("家庭医生", "WJ-001"),
    ("身份证 换领", "GA-002"),
])
def test_search_finds_matters_by_chinese_words(gov: Any, query: str, code: str) -> None:
    """Ranks the matter that answers a Chinese query first."""
    gov.guide.seed_defaults(SYSTEM)
    assert gov.guide.search(query)[0].code == code


def test_search_without_hits_and_empty_query(gov: Any) -> None:
    """Returns nothing for an unrelated word and refuses an empty query."""
    gov.guide.seed_defaults(SYSTEM)
    assert gov.guide.search("火箭发射") == []
    with pytest.raises(ValidationError):
        gov.guide.search("  ")


def test_new_versions_keep_the_old(small_city: Any, gov: Any) -> None:
    """Publishes a new version as the current one and keeps the earlier version readable."""
    gov.guide.seed_defaults(SYSTEM)
    old = gov.guide.get("MZ-001")
    new = attrs.evolve(old, phone="0398-5899999", materials=(*old.materials, "银行卡复印件"))
    c = small_city.communities[0]
    with pytest.raises(PermissionDenied):
        gov.guide.publish(small_city.grid_leader[small_city.grids[c][0]], new)
    assert gov.guide.publish(SYSTEM, new, note="电话变更") == 2
    assert gov.guide.get("MZ-001").phone == "0398-5899999"
    assert gov.guide.get("MZ-001", version=1) == old
    assert [v for v, _, _ in gov.guide.versions("MZ-001")] == [1, 2]
    with pytest.raises(NotFound):
        gov.guide.get("MZ-001", version=3)


def test_community_matters_and_withdrawal(small_city: Any, gov: Any) -> None:
    """Shows a community's own matter only in that community's guide, and withdraws it."""
    c1, c2 = small_city.communities[:2]
    m = GuideMatter(code="SQ-001", title="社区便民工具借用", domain="civil_affairs",
                    conditions=["辖区居民"], materials=["居民身份证"],
                    procedure=["到便民工具室登记", "按时归还"], office="便民工具室",
                    phone="0398-5800001", unit_code=c1)
    assert gov.guide.publish(small_city.secretary[c1], m) == 1
    with pytest.raises(PermissionDenied):
        gov.guide.publish(small_city.secretary[c2], attrs.evolve(m, code="SQ-002"))
    assert [x.code for x in gov.guide.list_matters(community=c1)] == ["SQ-001"]
    assert gov.guide.list_matters(community=c2) == []
    gov.guide.withdraw(small_city.secretary[c1], "SQ-001")
    assert gov.guide.list_matters(community=c1) == []
    assert gov.guide.get("SQ-001").code == "SQ-001"  # history stays readable


def test_published_json_and_wechat_menu(gov: Any) -> None:
    """Publishes JSON grouped by domain and a WeChat menu within WeChat's limits."""
    gov.guide.seed_defaults(SYSTEM)
    doc = json.loads(json.dumps(gov.guide.published_json(), ensure_ascii=False))
    assert [d["name"] for d in doc["domains"]] == ["民政", "社会保障", "卫生健康", "公安"]
    assert all(m["materials"] for d in doc["domains"] for m in d["matters"])
    menu = gov.guide.wechat_menu("https://wx.example.org/guide")
    assert len(menu["button"]) <= 3
    subs = menu["button"][0]["sub_button"]
    assert 1 <= len(subs) <= 5
    assert all(s["type"] == "view" and s["url"].startswith("https://") for s in subs)
    assert all(len(s["name"].encode()) <= 60 for s in subs)
    assert all(len(b["name"].encode()) <= 16 for b in menu["button"])


def test_matter_validation() -> None:
    """Refuses a malformed code and a matter without materials."""
    base = {"code": "MZ-009", "title": "x", "domain": "civil_affairs", "conditions": [],
            "materials": ["身份证"], "procedure": ["申请"], "office": "窗口", "phone": "1"}
    assert GuideMatter.from_dict(base).code == "MZ-009"
    with pytest.raises(ValidationError, match="code"):
        GuideMatter.from_dict({**base, "code": "mz9"})
    with pytest.raises(ValidationError, match="materials"):
        GuideMatter.from_dict({**base, "materials": []})
    with pytest.raises(ValidationError, match="unknown keys"):
        GuideMatter.from_dict({**base, "cost": 3})
