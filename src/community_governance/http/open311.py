"""Open311 GeoReport v2 routes (开放接口), in JSON and XML: discovery, services, service
definitions, ``POST requests`` (form-encoded, with an API key), ``GET requests`` with the
standard filters, one request, ``tokens/{token}`` and mySociety's ``servicerequestupdates``.

The documents are those :mod:`community_governance.io.open311` writes (the same as
``cgov cases export-open311``); only the transport is here. Every route lives under
``/open311/v2/`` with a ``.json`` or ``.xml`` suffix, and its errors are GeoReport error
lists (``[{"code": 404, "description": "..."}]``) in the same format.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import attrs
import pendulum
from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery

from community_governance.domain.cases import Channel
from community_governance.errors import NotFound, ValidationError
from community_governance.http.common import (
    authenticate,
    blocking,
    cached,
    county_of,
    gov_of,
    require,
    settings_of,
)
from community_governance.io.open311 import (
    case_to_request,
    discovery,
    dumps_xml,
    service_definition,
)
from community_governance.services.base import utc_instant

__all__ = ["ROUTES", "ServiceRequestForm", "render"]

BASE = "/open311/v2"
#: The largest number of requests one ``GET requests`` returns (the specification's 1,000).
MAX_REQUESTS = 1000
#: The default window of ``GET requests`` without dates (the specification's 90 days).
DEFAULT_DAYS = 90
XML = "text/xml"


def fmt_of(path: str) -> str:
    """``xml`` or ``json``, from a path's suffix."""
    return "xml" if path.endswith(".xml") else "json"


def render(docs: Any, kind: str, fmt: str, status: int = 200) -> Response[Any]:
    """GeoReport documents as JSON or XML."""
    if fmt == "xml":
        return Response(dumps_xml(docs, kind=kind), status_code=status, media_type=XML)
    return Response(docs, status_code=status, media_type="application/json")


def _split(name: str) -> tuple[str, str]:
    for suffix in (".json", ".xml"):
        if name.endswith(suffix):
            return name[: -len(suffix)], suffix[1:]
    raise NotFound("Open311 document", name, "add .json or .xml to the path")


def _moment(value: str | None, field: str) -> pendulum.DateTime | None:
    if value is None or not value.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"{field} {value!r} is not a W3C datetime like "
                              "2026-09-25T09:30:00+08:00", path=field) from None
    if moment.tzinfo is None:
        raise ValidationError(f"{field} {value!r} has no UTC offset", path=field)
    return utc_instant(moment, field)


def _default_start(end: pendulum.DateTime | None, gov: Any) -> pendulum.DateTime:
    """The window's start when none is given: ``DEFAULT_DAYS`` before its end (or now), or
    the first instant there is when that lies before year 1."""
    try:
        return (end or gov.now()).subtract(days=DEFAULT_DAYS)
    except OverflowError:
        return pendulum.instance(dt.datetime.min.replace(tzinfo=dt.UTC))


def _reader(request: Request[Any, Any, Any]) -> Any:
    token = authenticate(request)
    if token is None and settings_of(request).open311_reader is not None:
        return settings_of(request).open311_reader
    return require(request, "open311", token=token)


def get_discovery(request: Request[Any, Any, Any]) -> Response[Any]:
    """Where the endpoint is, its formats and how to get an API key."""
    settings = settings_of(request)
    doc = discovery(settings.base_url.rstrip("/") + BASE,
                    changeset=request.app.state["started"], contact=settings.contact,
                    key_service="API keys (bearer tokens) are issued by the county office "
                                "(cgov tokens issue --scope open311)")
    return render(doc, "discovery", fmt_of(request.url.path))


def get_services(request: Request[Any, Any, Any],
                 jurisdiction_id: FromQuery[str | None] = None) -> Response[Any]:
    """The case categories of the jurisdiction's county as services."""
    county = county_of(request, jurisdiction_id)
    docs = gov_of(request).cases.open311_services(county, metadata=True)
    return render(docs, "services", fmt_of(request.url.path))


@get(f"{BASE}/services/{{name:str}}", tags=["Open311"],
     summary="Service definition (GeoReport v2): services/{service_code}.json or .xml")
@cached
def get_definition(request: Request[Any, Any, Any], name: FromPath[str],
                   jurisdiction_id: FromQuery[str | None] = None) -> Response[Any]:
    """The attributes a request of the service may carry."""
    code, fmt = _split(name)
    county = county_of(request, jurisdiction_id)
    for cat in gov_of(request).cases.categories(county):
        if cat.code == code:
            return render(service_definition(cat), "definition", fmt)
    raise NotFound("service", code, "list them at services.json")


def get_requests(
    request: Request[Any, Any, Any], jurisdiction_id: FromQuery[str | None] = None,
    service_request_id: FromQuery[str | None] = None,
    service_code: FromQuery[str | None] = None, start_date: FromQuery[str | None] = None,
    end_date: FromQuery[str | None] = None, status: FromQuery[str | None] = None,
) -> Response[Any]:
    """Requests of the jurisdiction: by default those of the last 90 days, at most 1,000
    (the newest). ``service_request_id`` (comma-separated) overrides the other filters."""
    county = county_of(request, jurisdiction_id)
    actor = _reader(request)
    gov = gov_of(request)
    kwargs: dict[str, Any] = {}
    if service_request_id:
        kwargs["ids"] = [s.strip() for s in service_request_id.split(",") if s.strip()]
    else:
        start, end = _moment(start_date, "start_date"), _moment(end_date, "end_date")
        if start is not None and end is not None and end < start:
            raise ValidationError("end_date is before start_date", path="end_date")
        start = start or _default_start(end, gov)
        kwargs.update(start_at=start, end_at=end)
        if service_code:
            kwargs["service_codes"] = [s.strip() for s in service_code.split(",") if s.strip()]
        if status:
            wanted = {s.strip() for s in status.split(",") if s.strip()}
            if not wanted <= {"open", "closed"}:
                raise ValidationError(f"status is open or closed, got {status!r}",
                                      path="status")
            if len(wanted) == 1:
                kwargs["status"] = wanted.pop()
    docs = gov.cases.export_open311(actor, within=county, zipcode=settings_of(request).zipcode,
                                    limit=MAX_REQUESTS, **kwargs)
    return render(docs, "requests", fmt_of(request.url.path))


@get(f"{BASE}/requests/{{name:str}}", tags=["Open311"],
     summary="One service request (GeoReport v2): requests/{service_request_id}.json or .xml")
@cached
def get_request(request: Request[Any, Any, Any], name: FromPath[str],
                jurisdiction_id: FromQuery[str | None] = None) -> Response[Any]:
    """One request, as a list of one (as the specification has it)."""
    case_id, fmt = _split(name)
    county = county_of(request, jurisdiction_id)
    docs = gov_of(request).cases.export_open311(
        _reader(request), within=county, ids=[case_id], zipcode=settings_of(request).zipcode)
    if not docs:
        raise NotFound("service request", case_id)
    return render(docs, "requests", fmt)


@get(f"{BASE}/tokens/{{name:str}}", tags=["Open311"],
     summary="The request of a token (GeoReport v2): tokens/{token}.json or .xml")
@cached
def get_token(request: Request[Any, Any, Any], name: FromPath[str],
              jurisdiction_id: FromQuery[str | None] = None) -> Response[Any]:
    """Requests are created at once, so a token is the request's id: this answers the
    id of a token a client kept."""
    token, fmt = _split(name)
    county = county_of(request, jurisdiction_id)
    docs = gov_of(request).cases.export_open311(_reader(request), within=county, ids=[token])
    if not docs:
        raise NotFound("request token", token)
    return render([{"service_request_id": token, "token": token}], "requests", fmt)


def get_updates(request: Request[Any, Any, Any],
                jurisdiction_id: FromQuery[str | None] = None,
                start_date: FromQuery[str | None] = None,
                end_date: FromQuery[str | None] = None) -> Response[Any]:
    """Each step of each request in the window (default: the last 90 days), oldest first,
    at most 1,000; notes masked."""
    county = county_of(request, jurisdiction_id)
    actor = _reader(request)
    gov = gov_of(request)
    start, end = _moment(start_date, "start_date"), _moment(end_date, "end_date")
    start = start or _default_start(end, gov)
    docs = gov.cases.open311_updates(actor, within=county, start=start, end=end,
                                     limit=MAX_REQUESTS)
    return render(docs, "updates", fmt_of(request.url.path))


_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


@attrs.frozen
class ServiceRequestForm:
    """The form of a GeoReport v2 ``POST requests`` (创建服务请求): the fields the
    specification names (every value is text in a form). Besides these, the definition's
    attributes come as ``attribute[household_id]`` and ``attribute[channel]``; other fields
    are ignored, as the specification lets a server do.

    Attributes:
        api_key: the token (or send it as a bearer header).
        jurisdiction_id: the county, when the server hosts several.
        service_code: the service (see ``services``).
        lat: latitude (WGS 84).
        long: longitude (WGS 84).
        address_string: a free address (not used: requests are located by building).
        address_id: the building code.
        email: the reporter's e-mail (not kept).
        device_id: the device (not kept).
        account_id: the reporter's account (not kept).
        first_name: given name (kept sealed).
        last_name: family name (kept sealed).
        phone: phone number (kept sealed, never published).
        description: what the matter is.
        media_url: a photo's URL.
    """

    api_key: str | None = None
    jurisdiction_id: str | None = None
    service_code: str | None = None
    lat: str | None = None
    long: str | None = None
    address_string: str | None = None
    address_id: str | None = None
    email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    description: str | None = None
    media_url: str | None = None

    @classmethod
    def of(cls, form: dict[str, str]) -> ServiceRequestForm:
        """The known fields of a posted form."""
        return cls(**{f.name: form[f.name] for f in attrs.fields(cls) if f.name in form})


def _float(form: dict[str, str], key: str) -> float | None:
    value = (form.get(key) or "").strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise ValidationError(f"{key} must be a number, got {value!r}", path=key) from None


def post_request(
    request: Request[Any, Any, Any],
    data: Annotated[dict[str, str], _FORM],
) -> Response[Any]:
    """Report a case. Fields as the specification names them: ``api_key`` (or the bearer
    header), ``jurisdiction_id``, ``service_code``, ``address_id`` (the building code: this
    server locates requests by building), ``lat``, ``long``, ``description``, ``media_url``,
    ``first_name``, ``last_name``, ``phone`` (kept sealed, never published), and the
    definition's ``attribute[household_id]``, ``attribute[channel]``."""
    form = {str(k): str(v) for k, v in (data or {}).items()}
    f = ServiceRequestForm.of(form)
    token = None
    if f.api_key and not request.headers.get("authorization"):
        token = request.app.state["gov"].tokens.authenticate(f.api_key)
    actor = require(request, "open311", token=token)
    county = county_of(request, f.jurisdiction_id)
    gov = gov_of(request)
    code = (f.service_code or "").strip()
    cats = {c.code: c for c in gov.cases.categories(county)}
    if not code:
        raise ValidationError("service_code is required (see services.json)",
                              path="service_code")
    if code not in cats:
        raise ValidationError(f"service_code {code!r} is not a service here; the services are "
                              f"{', '.join(sorted(cats))}", path="service_code")
    building = (f.address_id or "").strip()
    if not building:
        raise ValidationError("address_id (the building code) is required: this server "
                              "routes requests by building, not by a free address",
                              path="address_id")
    if county and not building.startswith(county):
        raise NotFound("building", building, f"not in jurisdiction {county}")
    description = (f.description or "").strip()
    if not description:
        raise ValidationError("description is required", path="description")
    name = ((f.last_name or "") + (f.first_name or "")).strip()
    channel = form.get("attribute[channel]") or Channel.APP.value
    try:
        channel = Channel(channel).value
    except ValueError:
        raise ValidationError(f"attribute[channel] {channel!r} is not one of "
                              f"{', '.join(c.value for c in Channel)}",
                              path="attribute[channel]") from None
    case = gov.cases.report(
        actor, category=code, building_code=building, description=description,
        channel=channel, household_id=form.get("attribute[household_id]") or None,
        reporter_name=name or None, reporter_phone=(f.phone or "").strip() or None,
        lat=_float(form, "lat"), long=_float(form, "long"),
        media_url=(f.media_url or "").strip() or None)
    notice = case_to_request(case, cats[code], agency="", timezone=gov.timezone)
    doc = [{"service_request_id": case.id, "service_notice": notice["service_notice"],
            "account_id": None}]
    return render(doc, "requests", fmt_of(request.url.path), status=201)


def _both(method: Any, stem: str, fn: Any, **kwargs: Any) -> list[Any]:
    """The ``.json`` and the ``.xml`` route of one GeoReport document (two handlers: one
    handler with two paths would share its OpenAPI operation)."""
    return [method(f"{BASE}/{stem}.{fmt}", name=f"{fn.__name__}_{fmt}",
                   media_type=XML if fmt == "xml" else "application/json",
                   **kwargs)((blocking if method is post else cached)(fn))
            for fmt in ("json", "xml")]


_TAGS = ["Open311"]

ROUTES: list[Any] = [
    *_both(get, "discovery", get_discovery, tags=_TAGS,
           summary="Service discovery (GeoReport v2)"),
    *_both(get, "services", get_services, tags=_TAGS, summary="Service list (GeoReport v2)"),
    *_both(get, "requests", get_requests, tags=_TAGS,
           summary="Service requests (GeoReport v2), personal data masked"),
    *_both(get, "servicerequestupdates", get_updates, tags=_TAGS,
           summary="Updates of service requests (mySociety extension of GeoReport v2)"),
    *_both(post, "requests", post_request, tags=_TAGS,
           summary="Create a service request (GeoReport v2, form-encoded)",
           opt={"body": ServiceRequestForm, "body_media": RequestEncodingType.URL_ENCODED}),
    get_definition, get_request, get_token,
]
