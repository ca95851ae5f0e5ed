"""The service guide (办事指南): validation, round trip and search scores (issue #13 item 11)."""

from __future__ import annotations

from typing import Any

import pytest

from community_governance.domain.guide import GuideDomain, GuideMatter, query_terms, score_matter
from community_governance.errors import ValidationError
from tests.domain._exact import refused


def matter(**kw: Any) -> GuideMatter:
    base: dict[str, Any] = dict(
        code="MZ-001", title="最低生活保障申请", domain="civil_affairs",
        conditions=["户籍在本社区", " ", ""], materials="身份证", procedure=(" 申请 ", "审核"),
        office="便民服务中心", phone="0398-5812345")
    base.update(kw)
    return GuideMatter(**base)


def test_domains() -> None:
    assert [d.chinese for d in GuideDomain] == ["民政", "社会保障", "卫生健康", "公安"]
    assert GuideDomain.parse(" health ") is GuideDomain.HEALTH
    assert GuideDomain.parse("公安") is GuideDomain.PUBLIC_SECURITY
    refused(ValidationError, "unknown guide domain '教育'; use one of civil_affairs (民政), "
            "social_security (社会保障), health (卫生健康), public_security (公安) @ domain",
            GuideDomain.parse, "教育")


def test_texts_are_stripped_and_blank_ones_dropped() -> None:
    m = matter()
    assert m.conditions == ("户籍在本社区",)
    assert m.materials == ("身份证",)
    assert m.procedure == ("申请", "审核")
    assert (m.fee, m.basis, m.unit_code, m.time_limit_days) == ("免费", "", None, None)
    assert not m.proxy_available and not m.home_visit_available


@pytest.mark.parametrize("code", ["MZ-001", "ABCD-1234", "SB-0001"])
def test_good_codes(code: str) -> None:
    assert matter(code=code).code == code


@pytest.mark.parametrize("code", ["M-001", "ABCDE-001", "MZ-01", "MZ-12345", "mz-001", "MZ001",
                                  "MZ-001 "])
def test_bad_codes(code: str) -> None:
    refused(ValidationError, f"guide matter code {code!r} must look like 'MZ-001' (2-4 capital "
            "letters, a dash, 3-4 digits) @ code", matter, code=code)


@pytest.mark.parametrize("field", ["title", "office", "phone"])
def test_needs_text(field: str) -> None:
    refused(ValidationError, f"guide matter MZ-001 needs a {field} @ {field}",
            matter, **{field: "  "})


@pytest.mark.parametrize("field", ["materials", "procedure"])
def test_needs_lists(field: str) -> None:
    refused(ValidationError, f"guide matter MZ-001 lists no {field}; a guide tells residents "
            f"what to bring and what happens @ {field}", matter, **{field: [" "]})


@pytest.mark.parametrize(("days", "ok"), [(None, True), (1, True), (365, True), (0, False),
                                          (366, False), (-1, False)])
def test_time_limit(days: int | None, ok: bool) -> None:
    if ok:
        assert matter(time_limit_days=days).time_limit_days == days
    else:
        refused(ValidationError, "time_limit_days must be 1-365 working days @ time_limit_days",
                matter, time_limit_days=days)


def test_round_trip() -> None:
    m = matter(time_limit_days=5, unit_code="411202001001", proxy_available=True)
    d = m.as_dict()
    assert d["domain"] == "civil_affairs" and d["domain_name"] == "民政"
    assert d["conditions"] == ["户籍在本社区"]
    assert d["materials"] == ["身份证"] and d["procedure"] == ["申请", "审核"]
    assert GuideMatter.from_dict(d) == m
    assert GuideMatter.from_dict({**d, "domain": "民政"}) == m
    assert GuideMatter.from_dict({**d, "domain": GuideDomain.CIVIL_AFFAIRS}) == m
    fields = sorted(d.keys() - {"domain_name"})
    refused(ValidationError, f"unknown keys ['x', 'y']; expected some of {fields} @ $",
            GuideMatter.from_dict, {**d, "x": 1, "y": 2})
    d2 = {k: v for k, v in d.items() if k not in ("phone", "code")}
    refused(ValidationError, "missing keys ['code', 'phone'] @ $", GuideMatter.from_dict, d2)
    d3 = {k: v for k, v in d.items() if k not in ("fee", "domain_name")}
    assert GuideMatter.from_dict(d3).fee == "免费"


def test_search_text_and_terms() -> None:
    m = matter()
    assert m.search_text() == "最低生活保障申请\n民政\n户籍在本社区\n身份证\n申请\n审核\n便民服务中心"
    assert query_terms("  养老保险，居住证 /低保;;A ") == ["养老保险", "居住证", "低保", "a"]
    assert query_terms(" ") == []


@pytest.mark.parametrize(("title", "terms", "score"), [
    ("城乡居民养老保险", ["养老保险"], 3.0),
    ("城乡居民养老保险", ["养老保险", "民政"], 4.0),  # domain name is in the body
    ("城乡居民养老保险", ["身份证"], 1.0),
    ("居住证办理", ["居住证明"], 2 / 3),  # 居住, 住证 of 居住/住证/证明
    ("居住证办理", ["居民证件"], 0.0),  # 1 of 3 bigrams: below one half
    ("居住证办理", ["居住人口"], 0.0),  # 居住 of 居住/住人/人口: 1/3
    ("居住证办理", ["证办理由"], 2 / 3),
    ("居住证办理", ["办理居所"], 1 / 3 * 0),
    ("居住证办理", ["住证"], 3.0),
    ("居住证办理", ["证办"], 3.0),
    ("居住证办理", ["住所"], 0.0),
    ("居住证办理", ["理由"], 0.0),
    ("居住证办理", ["居住地"], 0.5),  # 居住 of 居住/住地: exactly one half counts
    ("居住证办理", ["x"], 0.0),
    ("Xy证", ["xy"], 3.0),  # the title is lowered too
    ("居住证", ["X"], 1.0),  # office "X室" in the body
])
def test_score(title: str, terms: list[str], score: float) -> None:
    m = matter(title=title, office="便民服务中心X室" if terms == ["X"] else "便民服务中心")
    got = score_matter(m, [t.lower() if t != "X" else "x" for t in terms])
    assert got == pytest.approx(score)


def test_score_single_character_term() -> None:
    assert score_matter(matter(title="低保"), ["保"]) == 3.0
    assert score_matter(matter(title="低保"), ["审"]) == 1.0
    assert score_matter(matter(title="低保"), ["猫"]) == 0.0
    assert score_matter(matter(), []) == 0.0


def test_scores_add_up_in_any_order() -> None:
    m = matter(title="居住证办理")
    assert score_matter(m, ["民政", "居住证"]) == 4.0
    assert score_matter(m, ["居住证", "民政"]) == 4.0
    assert score_matter(m, ["民政", "居住证明"]) == pytest.approx(1 + 2 / 3)
    assert score_matter(m, ["居住证", "居住证明"]) == pytest.approx(3 + 2 / 3)
