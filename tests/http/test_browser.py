"""Every HTML page the server renders, in a real browser: headless Chromium (Debian's
``chromium`` and ``chromium-driver``, driven by Selenium) against ``cgov serve`` on loopback.

Each page renders its Chinese text, tables and totals (read from the rendered DOM, compared
with the figures of the JSON route of the same server) and prints to A4 through its own
``@page`` rule (the PDF's page box 595 x 842 pt, within 2 pt). The HTML pages are the funds
disclosure (``/public/funds/{community}/disclosure/{quarter}/print``) and the community-affairs
board (``/public/affairs/{community}/board/print``), in Chinese and English. (The OpenAPI
viewers under ``/schema`` load their scripts from a CDN and are not tested offline.)

Skipped, with the reason, when Chromium, its driver or Selenium is missing (``.ci/run``
installs Chromium as it installs the CJK font).
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = os.environ.get("CGOV_CHROMIUM") or shutil.which("chromium") or shutil.which(
    "chromium-browser")
DRIVER = os.environ.get("CGOV_CHROMEDRIVER") or shutil.which("chromedriver")
if not CHROMIUM or not DRIVER:
    pytest.skip("headless Chromium is not installed (apt-get install chromium "
                "chromium-driver; .ci/run does)", allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver",
                                reason="selenium is not installed (the dev extra has it)")
pytest.importorskip("litestar")

import community_governance as cg  # noqa: E402
from community_governance.demo.funds import seed_funds  # noqa: E402
from community_governance.domain.access import Actor  # noqa: E402
from community_governance.domain.funds import format_cny  # noqa: E402
from community_governance.testing.city import build_small_city  # noqa: E402

pytestmark = pytest.mark.slow

QUARTER = "2019Q4"
A4 = (595.28, 841.89)  # 210 x 297 mm in points
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cjk_fonts() -> set[str]:
    """The families of the installed fonts covering Chinese (fontconfig), without spaces as
    a PDF names them (``WenQuanYiMicroHei``)."""
    if not shutil.which("fc-list"):
        return set()
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,
                         check=False).stdout
    return {line.split(",")[0].replace(" ", "") for line in out.splitlines() if line.strip()}


class Site:
    """The live server and what was put in its database."""

    def __init__(self, base: str, community: str, community_name: str,
                 postings: dict[str, str]) -> None:
        self.base = base
        self.community = community
        self.community_name = community_name
        self.postings = postings


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A small city with a year of funds and three community-affairs postings (one of them
    acknowledged by two residents), served by ``cgov serve`` on loopback."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'b.db'}"
    with cg.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        seed_funds(gov, seed=11)
        director = city.director[c]
        postings = {
            "AFF-B1": "社区服务站调整开放时间",
            "AFF-B2": "楼道堆物集中清理",
            "AFF-B3": "老旧小区加装电梯意见征集"}
        for pid, title in postings.items():
            gov.affairs.post_notice(director, pid, c, title=title,
                                    body=f"{title}：请居民相互转告。\n联系电话：0398-5812345", days=30)
        for rid in city.all_residents()[:2]:
            gov.affairs.acknowledge(Actor.resident(rid), "AFF-B1", rid)
        name = gov.registry.get_unit(c).name
    port = _free_port()
    paths = [str(ROOT / "src"), *(str(p) for p in sorted(ROOT.glob("plugins/*/src")))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [*paths, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from community_governance.cli import main; main()", "serve",
         "--db", url, "--port", str(port), "--rate-limit", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/open311/v2/discovery.json", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None:
                    pytest.fail("cgov serve exited before answering")
                time.sleep(0.1)
        else:
            pytest.fail("cgov serve did not answer within 30 s")
        yield Site(base, c, name, postings)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium through Debian's chromedriver (no driver download)."""
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1200,900", "--lang=zh-CN"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(options=opts, service=Service(DRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def _print_a4(driver: Any) -> bytes:
    """The page printed by Chromium with the page size its own CSS asks for."""
    out = driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True,
                                                     "printBackground": True})
    return base64.b64decode(out["data"])


def _check_pdf(pdf: bytes, min_pages: int) -> None:
    """Every page of ``pdf`` is A4 (within 2 pt), there are at least ``min_pages``, and a
    Chinese font is embedded when one is installed (the text was drawn, not boxes)."""
    assert pdf.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert pages >= min_pages, pages
    assert boxes, "no page box in the PDF"
    for x0, y0, x1, y1 in boxes:
        w, h = float(x1) - float(x0), float(y1) - float(y0)
        assert abs(w - A4[0]) <= 2 and abs(h - A4[1]) <= 2, (w, h)
    families = _cjk_fonts()
    if families:
        embedded = {f.decode() for f in re.findall(rb"/FontName\s*/[A-Z]{6}\+([^\s/>\]]+)",
                                                    pdf)}
        assert embedded & families, (families, embedded)


def _amount(text: str) -> Decimal:
    return Decimal(text.replace(",", "").strip() or "0")


def _rendered(driver: Any, css: str) -> list[Any]:
    """The elements matching ``css`` that the browser laid out (visible, with a size)."""
    found = driver.find_elements("css selector", css)
    return [e for e in found if e.is_displayed() and e.size["width"] > 0
            and e.size["height"] > 0]


def test_funds_disclosure_page_in_chromium(site: Site, browser: Any) -> None:
    """The funds disclosure: its Chinese headings, every income and spending row with the
    amounts of the JSON route, the totals (equal to the sum of the rows shown), five or more
    tables, and an A4 print of at least two pages (the transactions start a new page)."""
    data = httpx.get(f"{site.base}/public/funds/{site.community}/disclosure/{QUARTER}").json()
    assert data["income"] and data["spending"], "the seeded quarter has income and spending"
    browser.get(f"{site.base}/public/funds/{site.community}/disclosure/{QUARTER}/print")
    assert browser.execute_script("return document.documentElement.lang") == "zh-CN"
    h1 = _rendered(browser, "h1")
    assert [e.text for e in h1] == [f"{site.community_name} 社区财务公开"]
    assert h1[0].size["width"] > 24 * len("社区财务公开")  # laid out as wide glyphs
    body_font = browser.execute_script(
        "return getComputedStyle(document.body).fontFamily")
    assert "WenQuanYi Micro Hei" in body_font
    headings = [e.text for e in _rendered(browser, "h2")]
    assert headings[0].startswith("一、收入") and len(headings) >= 6
    tables = _rendered(browser, "table")
    assert len(tables) >= 5
    income, spending = tables[0], tables[1]
    for table, rows, total in ((income, data["income"], data["income_total"]),
                               (spending, data["spending"], data["spending_total"])):
        trs = table.find_elements("css selector", "tbody tr")
        cells = [[td.text for td in tr.find_elements("css selector", "td")] for tr in trs]
        body, last = cells[:-1], cells[-1]
        assert len(body) == len(rows)
        for shown, row in zip(body, rows, strict=True):
            assert row["label"] in shown[0]
            assert shown[1] == format_cny(Decimal(row["quarter"]))
            assert shown[2] == format_cny(Decimal(row["ytd"]))
        assert last[0] == "合计"
        assert last[1] == format_cny(Decimal(total["quarter"]))
        assert _amount(last[1]) == sum((_amount(r[1]) for r in body), Decimal(0))
        assert _amount(last[2]) == sum((_amount(r[2]) for r in body), Decimal(0))
    _check_pdf(_print_a4(browser), min_pages=2)


def test_funds_disclosure_page_in_english(site: Site, browser: Any) -> None:
    """``lang=en`` renders the English page with the same totals."""
    data = httpx.get(f"{site.base}/public/funds/{site.community}/disclosure/{QUARTER}",
                     params={"lang": "en"}).json()
    browser.get(f"{site.base}/public/funds/{site.community}/disclosure/{QUARTER}/print"
                "?lang=en")
    assert browser.execute_script("return document.documentElement.lang") == "en"
    totals = [[td.text for td in tr.find_elements("css selector", "td")]
              for tr in browser.find_elements("css selector", "tr.total")]
    assert [t[0] for t in totals] == ["Total", "Total"]
    assert totals[0][1] == format_cny(Decimal(data["income_total"]["quarter"]))
    assert totals[1][1] == format_cny(Decimal(data["spending_total"]["quarter"]))
    _check_pdf(_print_a4(browser), min_pages=2)


def test_affairs_board_page_in_chromium(site: Site, browser: Any) -> None:
    """The community-affairs board: its Chinese heading, one article per posting with its
    title, kind and text as the JSON route has them, the acknowledgement counts, and an A4
    print."""
    data = httpx.get(f"{site.base}/public/affairs/{site.community}/board").json()
    assert {p["id"] for p in data["postings"]} == set(site.postings)
    browser.get(f"{site.base}/public/affairs/{site.community}/board/print")
    assert browser.execute_script("return document.documentElement.lang") == "zh-CN"
    assert [e.text for e in _rendered(browser, "h1")] == [
        f"{site.community_name} 社区事务公开"]
    articles = _rendered(browser, "article")
    assert [a.get_attribute("id") for a in articles] == [p["id"] for p in data["postings"]]
    for article, posting in zip(articles, data["postings"], strict=True):
        heading = article.find_element("css selector", "h2").text
        assert heading == f"{posting['kind_zh']}{posting['title']}"
        assert heading.startswith("服务调整") and site.postings[posting["id"]] in heading
        text = article.find_element("css selector", ".body").text
        assert text.splitlines() == posting["body"].splitlines()  # line breaks kept
        counts = article.find_element("css selector", ".counts").text
        assert f"已阅知 {posting['acknowledged']}" in counts
        assert f"异议 {posting['objections']}" in counts
        assert f"公示期 {posting['posted_on']} – {posting['until']}" in counts
    assert sum(p["acknowledged"] for p in data["postings"]) == 2
    footer = _rendered(browser, "footer")
    assert footer and "公示期内" in footer[0].text
    _check_pdf(_print_a4(browser), min_pages=1)


def test_affairs_board_page_in_english(site: Site, browser: Any) -> None:
    """``lang=en``: the English heading and kind labels, the same postings."""
    browser.get(f"{site.base}/public/affairs/{site.community}/board/print?lang=en")
    assert browser.execute_script("return document.documentElement.lang") == "en"
    assert _rendered(browser, "h1")[0].text.endswith("community affairs disclosure")
    kinds = {e.text for e in _rendered(browser, "article .kind")}
    assert kinds == {"service change"}
    _check_pdf(_print_a4(browser), min_pages=1)
