"""Public routes (公开): the funds disclosure and the community-affairs board (HTML for print
and JSON), the points supermarket's stock and the service guide in HSDS 3.0 shapes with
search and the WeChat menu.

They need no token and carry no personal data (a test scans every one of them).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery, QueryParameter

from community_governance.errors import ValidationError
from community_governance.http.common import cached, gov_of, json_response
from community_governance.io import affairs as affairs_io
from community_governance.io.disclosure import as_dict, render_html
from community_governance.io.hsds import HSDS_VERSION, matter_to_service, services_page

__all__ = ["ROUTES"]

_TAGS = ["Public"]
_LANG = QueryParameter(pattern="^(zh|en)$", description="zh (default) or en")


@get("/public/funds/{community:str}/disclosure/{quarter:str}", tags=_TAGS,
     summary="The quarterly funds disclosure (财务公开) as JSON")
@cached
def funds_disclosure_json(request: Request[Any, Any, Any],
                          community: FromPath[str], quarter: FromPath[str],
                          lang: Annotated[str, _LANG] = "zh") -> Response[Any]:
    """Income, spending, budget use, balances and large items of a quarter (e.g. 2026Q3),
    each figure with the transactions it sums."""
    d = gov_of(request).funds.disclosure(community, quarter)
    return json_response(as_dict(d, lang))


@get("/public/funds/{community:str}/disclosure/{quarter:str}/print", tags=_TAGS,
     summary="The quarterly funds disclosure (财务公开) as a printable HTML page",
     media_type="text/html")
@cached
def funds_disclosure_html(request: Request[Any, Any, Any],
                          community: FromPath[str], quarter: FromPath[str],
                          lang: Annotated[str, _LANG] = "zh") -> Response[Any]:
    """The page the library prints for the notice board (A4), in Chinese by default."""
    d = gov_of(request).funds.disclosure(community, quarter)
    return Response(render_html(d, lang), media_type="text/html")


def _board(request: Request[Any, Any, Any], community: str,
           on: dt.date | None) -> tuple[list[Any], str, dt.date]:
    """The community's postings (in their period on ``on`` if given), its name, the day."""
    gov = gov_of(request)
    unit = gov.registry.get_unit(community)  # NotFound (404) for an unknown community
    return gov.affairs.board(community, on=on), unit.name, on or gov.now().date()


@get("/public/affairs/{community:str}/board", tags=_TAGS,
     summary="The community-affairs board (社区事务公开) as JSON")
@cached
def affairs_board_json(request: Request[Any, Any, Any], community: FromPath[str],
                       on: FromQuery[dt.date | None] = None) -> Response[Any]:
    """The council's decisions and their progress, minutes, evaluation results and service
    changes posted for the community, newest first, with their posting period and the counts
    of acknowledgements and objections; ``on`` (YYYY-MM-DD) keeps those in their period that
    day. Bodies were redacted when posted (names and numbers masked)."""
    postings, _name, day = _board(request, community, on)
    return json_response(affairs_io.as_dict(postings, community, day))


@get("/public/affairs/{community:str}/board/print", tags=_TAGS,
     summary="The community-affairs board (社区事务公开) as a printable HTML page",
     media_type="text/html")
@cached
def affairs_board_html(request: Request[Any, Any, Any], community: FromPath[str],
                       on: FromQuery[dt.date | None] = None,
                       lang: Annotated[str, _LANG] = "zh") -> Response[Any]:
    """The page the library prints for the notice board (A4), in Chinese by default."""
    postings, name, day = _board(request, community, on)
    return Response(affairs_io.render_html(postings, name, day, lang), media_type="text/html")


@get("/public/supermarket/{community:str}/stock", tags=_TAGS,
     summary="The points supermarket's items, prices and stock (积分超市)")
@cached
def supermarket_stock(request: Request[Any, Any, Any], community: FromPath[str]) -> Response[Any]:
    """Items offered in the community's points supermarket, with price and stock."""
    items = gov_of(request).supermarket.stock(community)
    return json_response({"community": community, "items": items})


@get("/public/guide/services", tags=_TAGS,
     summary="The service guide (办事指南) as HSDS 3.0 services, with search")
@cached
def guide_services(request: Request[Any, Any, Any], q: FromQuery[str | None] = None,
                   community: FromQuery[str | None] = None, domain: FromQuery[str | None] = None,
                   page: Annotated[int, QueryParameter(ge=1, le=1000)] = 1,
                   per_page: Annotated[int, QueryParameter(ge=1, le=200)] = 50) -> Response[Any]:
    """Published matters; ``q`` searches them (best first, e.g. 低保), ``domain`` keeps one
    domain (civil_affairs, social_security, health, public_security)."""
    guide = gov_of(request).guide
    if q is not None and q.strip():
        matters = guide.search(q, limit=200, community=community)
        if domain:
            matters = [m for m in matters if m.domain.value == domain]
    else:
        matters = guide.list_matters(domain=domain or None, community=community)
    doc = services_page(matters, page=page, per_page=per_page)
    doc["hsds_version"] = HSDS_VERSION
    return json_response(doc)


@get("/public/guide/services/{code:str}", tags=_TAGS,
     summary="One matter of the service guide as an HSDS 3.0 service")
@cached
def guide_service(request: Request[Any, Any, Any], code: FromPath[str]) -> Response[Any]:
    """One published matter."""
    return json_response(matter_to_service(gov_of(request).guide.get(code)))


@get("/public/guide/wechat-menu", tags=_TAGS,
     summary="A WeChat official-account menu (自定义菜单) for the guide")
@cached
def guide_menu(request: Request[Any, Any, Any], base_url: FromQuery[str],
               community: FromQuery[str | None] = None) -> Response[Any]:
    """The menu's JSON, to post to WeChat's menu API; each button opens ``base_url``."""
    if not base_url.startswith(("https://", "http://")):
        raise ValidationError("base_url must be an http(s) URL of the guide's page",
                              path="base_url")
    return json_response(gov_of(request).guide.wechat_menu(base_url, community=community))


ROUTES: list[Any] = [funds_disclosure_json, funds_disclosure_html, affairs_board_json,
                     affairs_board_html, supermarket_stock,
                     guide_services, guide_service, guide_menu]
