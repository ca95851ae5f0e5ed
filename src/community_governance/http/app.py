"""Assembling the Litestar application: routes, problem documents, CORS, rate limits, OpenAPI.

Litestar was chosen (docs/architecture.md) because it serialises attrs classes natively and
generates an OpenAPI 3.1 document from the route signatures, with middleware for CORS and rate
limits; the domain stays attrs and the library's converter writes every body.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import TYPE_CHECKING, Any

import anyio.to_thread
import pendulum
from litestar import Litestar, Request, Response
from litestar.config.cors import CORSConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import TooManyRequestsException
from litestar.middleware import ASGIMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import (
    Components,
    Contact,
    Link,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    RequestBody,
    Schema,
)

from community_governance.errors import CgovError
from community_governance.http import api, public
from community_governance.http import open311 as o311
from community_governance.http.common import PROBLEM_JSON, ReadCache, problem_of, status_of
from community_governance.http.schemas import body_schema
from community_governance.io.open311 import error_documents
from community_governance.services.httpstate import IdempotencyService, RateLimitCounter

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

    from community_governance.facade import Governance
    from community_governance.http.settings import HttpSettings

__all__ = ["build_app", "served_counties"]

log = logging.getLogger("community_governance.http")


def served_counties(gov: Governance) -> tuple[str, ...]:
    """The counties a server hosts: those of the county plugins' scopes, else the counties
    registered in the store (a store of one county without a scoped plugin)."""
    found = {p[:6] for prefixes in gov.hooks.scopes.values() for p in prefixes if len(p) >= 6}
    if not found:
        found = {u.code for u in gov.registry.list_units(kind="county")}
    return tuple(sorted(found))


def _handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    status = status_of(exc)
    path = request.scope.get("path", "")
    if status >= 500:
        # the message of a library error is masked; others are logged with their traceback
        log.error("HTTP %s %s failed: %s", request.method, path,
                  exc if isinstance(exc, CgovError) else type(exc).__name__,
                  exc_info=not isinstance(exc, CgovError))
    doc = problem_of(exc, path)
    headers = dict(getattr(exc, "headers", None) or {})
    if path.startswith(o311.BASE + "/"):
        return o311.render(error_documents(status, doc["detail"]), "errors",
                           o311.fmt_of(path), status)
    return Response(doc, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _client_key(scope: Scope) -> str:
    """The rate limit's key: a digest of the bearer token (the token itself is never kept),
    else a digest of the client's address (no address is stored either)."""
    header = MutableScopeHeaders(scope).get("authorization")
    if header:
        return "token:" + hashlib.sha256(header.encode()).hexdigest()[:40]
    client = scope.get("client")
    host = client[0] if client else "unknown"
    return "addr:" + hashlib.sha256(host.encode()).hexdigest()[:40]


class RateLimitMiddleware(ASGIMiddleware):
    """Requests per minute per bearer token (per client address without one), counted in the
    database so that every worker shares the budget (:class:`~community_governance.services.
    httpstate.RateLimitCounter`). Over the budget: a 429 problem with ``Retry-After``; every
    answer carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``."""

    scopes = (ScopeType.HTTP,)

    @staticmethod
    def should_bypass_for_scope(scope: Scope) -> bool:
        """The OpenAPI document and its viewers are never limited."""
        return str(scope.get("path", "")).startswith("/schema")

    def __init__(self, counter: RateLimitCounter, limit: int) -> None:
        self.counter = counter
        self.limit = limit

    async def handle(self, scope: Scope, receive: Receive, send: Send,
                     next_app: ASGIApp) -> None:
        bucket = _client_key(scope)
        allowed, remaining, reset = await anyio.to_thread.run_sync(
            self.counter.hit, bucket, self.limit)
        headers = {"RateLimit-Policy": f"{self.limit};w=60", "RateLimit-Limit": str(self.limit),
                   "RateLimit-Remaining": str(remaining), "RateLimit-Reset": str(reset)}
        if not allowed:
            raise TooManyRequestsException(
                detail=f"over {self.limit} requests a minute for this client: retry in "
                       f"{reset} s", headers={**headers, "Retry-After": str(reset)})

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                found = MutableScopeHeaders(message)
                for k, v in headers.items():
                    found[k] = v
            await send(message)

        await next_app(scope, receive, send_with_headers)


def _operation_id(_handler: Any, method: Any, components: list[Any]) -> str:
    parts = [c if isinstance(c, str) else getattr(c, "name", str(c)) for c in components]
    verb = str(getattr(method, "value", method)).lower()
    return re.sub(r"[^A-Za-z0-9]+", "_", f"{verb}_{'_'.join(parts)}").strip("_")


def _openapi_path(path: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def _document_bodies(app: Litestar) -> None:
    """Each POST whose handler names its body class (``opt={"body": cls}``) gets the class's
    JSON Schema as its request body, from the attrs class the route reads it into."""
    doc = app.openapi_schema
    paths = doc.paths or {}
    found: dict[str, Any] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            cls = handler.opt.get("body")
            item = paths.get(_openapi_path(route.path))
            if cls is None or item is None or item.post is None:
                continue
            media = handler.opt.get("body_media", "application/json")
            media = str(getattr(media, "value", media))
            schema: dict[str, Any] = body_schema(cls, found)
            if media != "application/json":  # a form: the definition's attribute[...] and
                # fields the specification lets a server ignore are text too
                form = found.pop(cls.__name__)
                schema = {**form, "properties": {k: {"type": "string"} for k in form[
                    "properties"]}, "additionalProperties": {"type": "string"},
                          "patternProperties": {r"^attribute\[\w+\]$": {"type": "string"}}}
            item.post.request_body = RequestBody(
                content={media: OpenAPIMediaType(schema=schema)},  # type: ignore[arg-type]
                required=True, description=f"a {cls.__name__}" + (
                    " (unknown fields are refused)" if media == "application/json" else ""))
    if found:
        if doc.components is None:
            doc.components = Components()
        schemas = dict(doc.components.schemas or {})
        schemas.update(found)
        doc.components.schemas = schemas


_PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT, required=["type", "title", "status", "detail"],
    properties={"type": Schema(type=OpenAPIType.STRING), "title": Schema(type=OpenAPIType.STRING),
                "status": Schema(type=OpenAPIType.INTEGER),
                "detail": Schema(type=OpenAPIType.STRING),
                "instance": Schema(type=OpenAPIType.STRING),
                "field": Schema(type=OpenAPIType.STRING)})
_GEOREPORT_ERRORS = Schema(type=OpenAPIType.ARRAY, items=Schema(
    type=OpenAPIType.OBJECT, required=["code", "description"],
    properties={"code": Schema(type=OpenAPIType.INTEGER),
                "description": Schema(type=OpenAPIType.STRING)}))


def _document_errors(app: Litestar) -> None:
    """Every operation's 4XX answers in the document: RFC 9457 problem documents, or
    GeoReport error lists (JSON or XML) under ``/open311`` (instead of the framework's own
    400 shape, which the exception handler replaces)."""
    for path, item in (app.openapi_schema.paths or {}).items():
        for method in ("get", "post"):
            op = getattr(item, method, None)
            if op is None:
                continue
            responses = dict(op.responses or {})
            responses.pop("400", None)
            if path.startswith(o311.BASE + "/"):
                media = ({o311.XML: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))}
                         if path.endswith(".xml") else
                         {"application/json": OpenAPIMediaType(schema=_GEOREPORT_ERRORS)})
                text = "a GeoReport v2 error list"
            else:
                media = {PROBLEM_JSON: OpenAPIMediaType(schema=_PROBLEM_SCHEMA)}
                text = "a problem document (RFC 9457) carrying the library's message"
            responses["4XX"] = OpenAPIResponse(description=text, content=media)
            op.responses = responses


_CASE = "$response.body#/id"
_SAME_CASE = "$request.path.case_id"
#: OpenAPI links (stateful chains): operation, status -> link name -> (operation, parameters).
LINKS: dict[tuple[str, str], dict[str, tuple[str, dict[str, str]]]] = {
    ("post_api_v1_cases", "201"): {
        "GetCase": ("get_api_v1_cases_case_id", {"case_id": _CASE}),
        "GetCaseHistory": ("get_api_v1_cases_case_id_history", {"case_id": _CASE}),
        "AssignCase": ("post_api_v1_cases_case_id_assign", {"case_id": _CASE}),
        "StartCase": ("post_api_v1_cases_case_id_start", {"case_id": _CASE}),
        "ResolveCase": ("post_api_v1_cases_case_id_resolve", {"case_id": _CASE}),
    },
    ("post_api_v1_cases_case_id_assign", "200"): {
        "StartCase": ("post_api_v1_cases_case_id_start", {"case_id": _SAME_CASE}),
        "ResolveCase": ("post_api_v1_cases_case_id_resolve", {"case_id": _SAME_CASE}),
    },
    ("post_api_v1_cases_case_id_start", "200"): {
        "ResolveCase": ("post_api_v1_cases_case_id_resolve", {"case_id": _SAME_CASE}),
    },
    ("post_api_v1_cases_case_id_resolve", "200"): {
        "RateCase": ("post_api_v1_cases_case_id_rate", {"case_id": _SAME_CASE}),
        "GetCaseHistory": ("get_api_v1_cases_case_id_history", {"case_id": _SAME_CASE}),
    },
    ("post_api_v1_residents", "201"): {
        "GetResident": ("get_api_v1_residents_resident_id", {"resident_id": "$response.body#/id"}),
        "GetBalance": ("get_api_v1_points_resident_id_balance",
                       {"resident_id": "$response.body#/id"}),
    },
    ("post_api_v1_appointments", "201"): {
        "CancelAppointment": ("post_api_v1_appointments_appointment_id_cancel",
                              {"appointment_id": "$response.body#/id"}),
    },
}


def _document_links(app: Litestar) -> None:
    """The OpenAPI links of :data:`LINKS` on their operations' answers (a client, or
    schemathesis's stateful run, follows them from a new case to its steps).

    Raises:
        AssertionError: a link names an operation the document does not have.
    """
    ops = {op.operation_id: op for item in (app.openapi_schema.paths or {}).values()
           for op in (item.get, item.post) if op is not None}
    for (source, status), links in LINKS.items():
        op = ops[source]
        response = (op.responses or {})[status]
        assert isinstance(response, OpenAPIResponse)
        found = {}
        for name, (target, params) in links.items():
            assert target in ops, target
            found[name] = Link(operation_id=target, parameters=dict(params))
        response.links = {**(response.links or {}), **found}


def build_app(gov: Governance, settings: HttpSettings) -> Litestar:
    """The application (see :func:`community_governance.http.create_app`)."""
    middleware: list[Any] = []
    counter: RateLimitCounter | None = None
    if settings.rate_limit_per_minute:
        counter = RateLimitCounter(gov)
        middleware.append(RateLimitMiddleware(counter, settings.rate_limit_per_minute))
    cors = CORSConfig(allow_origins=list(settings.cors_origins),
                      allow_headers=["Authorization", "Content-Type", "Idempotency-Key",
                                     "Cgov-Reveal-Reason"],
                      allow_methods=["GET", "POST", "OPTIONS"]) if settings.cors_origins else None
    app = Litestar(
        route_handlers=[*o311.ROUTES, *public.ROUTES, *api.ROUTES],
        exception_handlers={Exception: _handle},
        middleware=middleware,
        cors_config=cors,
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="community-governance HTTP API", version="1",
            description="Open311 GeoReport v2 (JSON and XML), the service guide in Open "
                        "Referral HSDS 3.0 shapes, public disclosures, and the authenticated "
                        "everyday operations of a county (基层社区治理).",
            contact=Contact(name=settings.contact) if settings.contact else None,
            path="/schema", operation_id_creator=_operation_id),
        state=None,
        debug=False,
        on_shutdown=[counter.close] if counter is not None else [],
    )
    app.state["gov"] = gov
    app.state["settings"] = settings
    app.state["idempotency"] = IdempotencyService(gov)
    app.state["read_cache"] = ReadCache(gov)
    app.state["counties"] = served_counties(gov)
    app.state["started"] = pendulum.now("UTC")
    _document_errors(app)
    _document_bodies(app)
    _document_links(app)
    return app
