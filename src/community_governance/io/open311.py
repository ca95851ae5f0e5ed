"""Open311 GeoReport v2: cases as *service requests*, categories as *services*, in JSON and
in XML (the specification's two formats), and the *discovery* document.

Existing 311 tools read these documents: the field names and types are those of the
GeoReport v2 specification (https://wiki.open311.org/GeoReport_v2). A case maps to::

    service_request_id   the case id            status            open | closed
    service_code         the category code      service_name      the category's name
    description          masked free text       status_notes      the latest remark
    agency_responsible   the unit or county department holding the case
    service_notice       the deadline rule, e.g. "3个工作日内办结"
    requested_datetime   reported               updated_datetime  last transition
    expected_datetime    the deadline (end of its working day, county time); a deadline
                         counted through a year with no official holiday notice yet is
                         provisional: service_notice says so (暂定) and
                         extended_attributes.deadline_provisional is true
    address              readable address       address_id        the building code
    zipcode              the county's postcode  lat / long        WGS-84, if known
    media_url            a photo, if any

Times are W3C/ISO 8601 with the county's offset (``2026-09-25T09:30:00+08:00``). The library's
own facts that GeoReport has no field for (channel, level, detailed status, satisfaction, the
masked reporter) travel in ``extended_attributes`` (the GeoReport extension of that name),
which other readers ignore and :func:`parse_request` reads back.

The XML form carries exactly what the JSON form does: ``<service_requests>`` of ``<request>``
elements (``<services>`` of ``<service>``, ``<discovery>``), one child element per field in the
same order, ``extended_attributes`` as nested elements, an empty element for a null, ``true`` /
``false`` for booleans, lists as repeated child elements (``<formats><format>``). Characters XML
1.0 cannot carry (control characters someone typed) are dropped, so the document is always
well-formed.

Personal data: descriptions pass :func:`~community_governance.domain.cases.scrub_personal_data`
(ID and phone numbers masked), reporter names are masked, phones are never written.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import pendulum

from community_governance.domain.cases import (
    CLOSED_STATUSES,
    Case,
    CaseCategory,
    CaseStatus,
    Channel,
    check_location,
    mask_name,
    scrub_personal_data,
    validate_satisfaction,
)
from community_governance.errors import ValidationError

if TYPE_CHECKING:
    from community_governance.io.exporters import TextSink

__all__ = [
    "REQUEST_FIELDS",
    "SERVICE_FIELDS",
    "ParsedRequest",
    "case_to_request",
    "category_to_service",
    "discovery",
    "dump",
    "dumps",
    "dumps_xml",
    "error_documents",
    "parse_request",
    "service_definition",
    "transition_to_update",
]

#: The GeoReport v2 fields of a service request, in the specification's order.
REQUEST_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat", "long",
    "media_url",
)
#: The GeoReport v2 fields of a service.
SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type",
                  "keywords", "group")

_OFFICE_CLOSES = dt.time(17, 30)

#: Added to ``service_notice`` when the deadline is provisional.
_PROVISIONAL_NOTE = ("；暂定期限：所涉年份的节假日安排尚未发布，按法定节假日推算，公布后重新计算"
                     " / provisional: the year's holiday notice is not out yet")


def category_to_service(category: CaseCategory, *, metadata: bool = False) -> dict[str, Any]:
    """A category as a GeoReport v2 service.

    Args:
        category: the category.
        metadata: whether a service definition (:func:`service_definition`) is served.
    """
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": metadata,
        "type": "realtime",
        "keywords": ",".join(category.keywords),
        "group": category.group,
    }


#: The attributes every category's service definition has: what ``report`` takes besides
#: the GeoReport fields (``attribute[code]`` in a ``POST requests``).
SERVICE_ATTRIBUTES: tuple[dict[str, Any], ...] = (
    {"variable": True, "code": "household_id", "datatype": "string", "required": False,
     "datatype_description": "户号，如 H0001（可不填）/ the household key, if any",
     "order": 1, "description": "涉及的住户 / the household concerned"},
    {"variable": True, "code": "channel", "datatype": "singlevaluelist", "required": False,
     "datatype_description": "", "order": 2,
     "description": "反映渠道 / how the matter was reported",
     "values": [{"key": ch.value, "name": name} for ch, name in (
         (Channel.APP, "手机应用 / app"), (Channel.WECHAT, "微信 / WeChat"),
         (Channel.PHONE, "电话 / phone"), (Channel.WALK_IN, "来访 / walk-in"))]},
)


def service_definition(category: CaseCategory) -> dict[str, Any]:
    """The GeoReport v2 service definition (``services/{service_code}.json``) of a
    category: its code and the attributes a request may carry."""
    return {"service_code": category.code,
            "attributes": [dict(a) for a in SERVICE_ATTRIBUTES]}


def transition_to_update(case_id: str, seq: int, status: CaseStatus, at: dt.datetime,
                         note: str | None, *, timezone: Any) -> dict[str, Any]:
    """A case's step as a mySociety ``servicerequestupdates`` update (note masked)."""
    return {
        "update_id": f"{case_id}-{seq}",
        "service_request_id": case_id,
        "status": "closed" if status in CLOSED_STATUSES else "open",
        "updated_datetime": _w3c(at, timezone),
        "description": scrub_personal_data(note) if note else "",
        "media_url": None,
        "external_status_code": status.value,
    }


def error_documents(status: int, description: str) -> list[dict[str, Any]]:
    """The GeoReport v2 error document: ``[{"code": 400, "description": "..."}]``."""
    return [{"code": status, "description": description}]


def _w3c(moment: dt.datetime, tz: Any) -> str:
    return pendulum.instance(moment).in_timezone(tz).isoformat()


def case_to_request(
    case: Case, category: CaseCategory | None, *, agency: str, timezone: Any,
    zipcode: str | None = None, status_notes: str | None = None,
) -> dict[str, Any]:
    """A case as a GeoReport v2 service request (personal data masked)."""
    expected = pendulum.datetime(case.deadline.year, case.deadline.month, case.deadline.day,
                                 _OFFICE_CLOSES.hour, _OFFICE_CLOSES.minute, tz=timezone)
    name = category.name if category else case.category
    return {
        "service_request_id": case.id,
        "status": "closed" if case.status in CLOSED_STATUSES else "open",
        "status_notes": scrub_personal_data(status_notes) if status_notes else None,
        "service_name": name,
        "service_code": case.category,
        "description": scrub_personal_data(case.description),
        "agency_responsible": agency,
        "service_notice": f"{case.level.chinese}办理，期限至{case.deadline.isoformat()}"
                          "（按工作日计算" + (_PROVISIONAL_NOTE if case.deadline_provisional
                                            else "") + "）",
        "requested_datetime": _w3c(case.reported_at, timezone),
        "updated_datetime": _w3c(case.updated_at, timezone),
        "expected_datetime": expected.isoformat(),
        "address": case.address or case.building_code,
        "address_id": case.building_code,
        "zipcode": zipcode,
        "lat": case.lat,
        "long": case.long,
        "media_url": case.media_url,
        "extended_attributes": {
            "cgov_status": case.status.value,
            "channel": case.channel.value,
            "level": case.level.key,
            "grid_code": case.grid_code,
            "escalations": case.escalations,
            "satisfaction": case.satisfaction,
            "reporter": mask_name(case.reporter_name),
            "deadline_provisional": case.deadline_provisional,
        },
    }


def dumps(documents: Sequence[Mapping[str, Any]]) -> str:
    """JSON text of a list of services or requests (Chinese kept readable)."""
    return json.dumps(list(documents), ensure_ascii=False, indent=2)


def dump(documents: Iterable[Mapping[str, Any]], out: TextSink) -> int:
    """Write the JSON text :func:`dumps` gives to ``out``, one document at a time: with
    :meth:`~community_governance.services.cases.CasesService.iter_open311` a prefecture's
    cases are exported in constant memory.

    Returns:
        The number of documents written.
    """
    from community_governance.io.exporters import write_json_array

    return write_json_array(documents, out, indent=2, default=None)


#: The GeoReport v2 specification the discovery document names.
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: The formats this library writes, as the discovery document lists them.
FORMATS = ("application/json", "text/xml")

#: The element names of the XML form: root, and element of each item, by document kind.
_XML_NAMES = {"requests": ("service_requests", "request"), "services": ("services", "service"),
              "updates": ("service_request_updates", "request_update"),
              "errors": ("errors", "error")}
#: Characters XML 1.0 allows (tab, newline, carriage return and everything from space up but
#: the surrogates and U+FFFE/U+FFFF).
_XML_BAD = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: Child element names of list fields in XML.
_XML_ITEM = {"formats": "format", "endpoints": "endpoint", "keywords": "keyword",
             "attributes": "attribute", "values": "value"}


def discovery(url: str, *, changeset: dt.datetime, contact: str = "",
              key_service: str = "") -> dict[str, Any]:
    """The GeoReport v2 discovery document (``discovery.json``): where the endpoint is.

    Args:
        url: the endpoint's base URL, e.g. ``https://gov.example.cn/open311/v2``.
        changeset: when the endpoint last changed (written as W3C/ISO 8601).
        contact: who to ask about the endpoint (a department, a mail address).
        key_service: where to get an API key, if writes need one.
    """
    if not url.strip():
        raise ValidationError("the discovery document needs the endpoint's URL, e.g. "
                              "https://gov.example.cn/open311/v2", path="url")
    stamp = pendulum.instance(changeset).in_timezone("UTC").isoformat()
    return {
        "changeset": stamp,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [{"specification": SPECIFICATION, "url": url.strip(), "changeset": stamp,
                       "type": "production", "formats": list(FORMATS)}],
    }


def _xml_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_BAD.sub("", str(value))


def _xml_fill(parent: ET.Element, key: str, value: Any) -> None:
    node = ET.SubElement(parent, key)
    if isinstance(value, Mapping):
        for k, v in value.items():
            _xml_fill(node, str(k), v)
    elif isinstance(value, list | tuple):
        for v in value:
            _xml_fill(node, _XML_ITEM.get(key, "item"), v)
    else:
        node.text = _xml_text(value)


def dumps_xml(documents: Sequence[Mapping[str, Any]] | Mapping[str, Any], *,
              kind: str = "requests") -> str:
    """XML text of service requests, services, or the discovery document.

    Args:
        documents: what :func:`case_to_request` or :func:`category_to_service` made (a list),
            or what :func:`discovery` made (one document).
        kind: ``requests`` (also a POST's answer and ``tokens``), ``services``, ``updates``
            (mySociety ``servicerequestupdates``), ``errors``, ``discovery`` or
            ``definition`` (a service definition; these two are one document).
    """
    if kind in ("discovery", "definition"):
        if not isinstance(documents, Mapping):
            raise ValidationError(f"the {kind} document is one object", path="documents")
        root = ET.Element("discovery" if kind == "discovery" else "service_definition")
        for k, v in documents.items():
            _xml_fill(root, k, v)
    else:
        if kind not in _XML_NAMES or isinstance(documents, Mapping):
            raise ValidationError(
                f"kind must be 'requests', 'services', 'updates', 'errors', 'discovery' or "
                f"'definition', got {kind!r} (with a list of documents for the first four)",
                path="kind")
        root_name, item = _XML_NAMES[kind]
        root = ET.Element(root_name)
        for doc in documents:
            node = ET.SubElement(root, item)
            for k, v in doc.items():
                _xml_fill(node, k, v)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


@attrs.frozen
class ParsedRequest:
    """A GeoReport v2 service request read back, ready to become a case.

    Attributes:
        path: where in the input it was (for messages).
        id: ``service_request_id``.
        category: ``service_code``.
        building_code: ``address_id``.
        description: ``description``.
        status: the case status (``extended_attributes.cgov_status``, else open → reported,
            closed → resolved).
        channel: ``extended_attributes.channel``, else phone.
        requested_at: ``requested_datetime`` (UTC).
        updated_at: ``updated_datetime`` (UTC), if given.
        expected: ``expected_datetime`` (UTC), if given.
        lat: ``lat``.
        long: ``long``.
        media_url: ``media_url``.
        reporter_name: ``extended_attributes.reporter`` (already masked).
        satisfaction: ``extended_attributes.satisfaction``.
        status_notes: ``status_notes``.
        deadline_provisional: ``extended_attributes.deadline_provisional``.
    """

    path: str
    id: str
    category: str
    building_code: str
    description: str
    status: CaseStatus
    channel: Channel
    requested_at: pendulum.DateTime
    updated_at: pendulum.DateTime | None
    expected: pendulum.DateTime | None
    lat: float | None
    long: float | None
    media_url: str | None
    reporter_name: str | None
    satisfaction: int | None
    status_notes: str | None
    deadline_provisional: bool = False


def _str(data: Mapping[str, Any], key: str, path: str, *, required: bool) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise ValidationError(f"GeoReport v2 field {key} is required", path=f"{path}.{key}")
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{key} must be a string, got {type(value).__name__}",
                              path=f"{path}.{key}")
    return value


def _time(data: Mapping[str, Any], key: str, path: str, *,
          required: bool) -> pendulum.DateTime | None:
    text = _str(data, key, path, required=required)
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"{key} {text!r} is not a W3C datetime like "
                              "2026-09-25T09:30:00+08:00", path=f"{path}.{key}") from None
    if moment.tzinfo is None:
        raise ValidationError(f"{key} {text!r} has no UTC offset", path=f"{path}.{key}")
    return pendulum.instance(moment).in_timezone("UTC")


def _float(data: Mapping[str, Any], key: str, path: str) -> float | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError(f"{key} must be a number", path=f"{path}.{key}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{key} must be a number, got {value!r}",
                              path=f"{path}.{key}") from None


def parse_request(data: Mapping[str, Any], *, path: str = "$") -> ParsedRequest:
    """Read a GeoReport v2 service request (as :func:`case_to_request` or another system
    wrote it).

    Raises:
        ValidationError: a required field is missing or a field has the wrong type.
    """
    if not isinstance(data, Mapping):
        raise ValidationError("a service request must be a JSON object", path=path)
    status_text = _str(data, "status", path, required=True)
    if status_text not in ("open", "closed"):
        raise ValidationError(f"status must be 'open' or 'closed', got {status_text!r}",
                              path=f"{path}.status")
    ext = data.get("extended_attributes") or {}
    if not isinstance(ext, Mapping):
        raise ValidationError("extended_attributes must be an object",
                              path=f"{path}.extended_attributes")
    status = CaseStatus.REPORTED if status_text == "open" else CaseStatus.RESOLVED
    if ext.get("cgov_status"):
        try:
            status = CaseStatus(ext["cgov_status"])
        except ValueError:
            raise ValidationError(f"unknown cgov_status {ext['cgov_status']!r}",
                                  path=f"{path}.extended_attributes.cgov_status") from None
        if (status in CLOSED_STATUSES) != (status_text == "closed"):
            raise ValidationError(f"cgov_status {status.value} contradicts status "
                                  f"{status_text}", path=f"{path}.status")
    try:
        channel = Channel(ext.get("channel") or Channel.PHONE)
        satisfaction = validate_satisfaction(ext.get("satisfaction"))
    except ValueError as exc:
        raise ValidationError(str(exc), path=f"{path}.extended_attributes") from None
    reporter = ext.get("reporter")
    lat, long = _float(data, "lat", path), _float(data, "long", path)
    try:
        check_location(lat, long)
    except ValidationError as exc:
        raise ValidationError(exc.reason, path=f"{path}.{exc.path}") from None
    return ParsedRequest(
        path=path,
        id=_str(data, "service_request_id", path, required=True) or "",
        category=_str(data, "service_code", path, required=True) or "",
        building_code=_str(data, "address_id", path, required=True) or "",
        description=_str(data, "description", path, required=True) or "",
        status=status,
        channel=channel,
        requested_at=_time(data, "requested_datetime", path, required=True),  # type: ignore[arg-type]
        updated_at=_time(data, "updated_datetime", path, required=False),
        expected=_time(data, "expected_datetime", path, required=False),
        lat=lat,
        long=long,
        media_url=_str(data, "media_url", path, required=False),
        reporter_name=mask_name(reporter) if isinstance(reporter, str) else None,
        satisfaction=satisfaction,
        status_notes=_str(data, "status_notes", path, required=False),
        deadline_provisional=ext.get("deadline_provisional") is True,
    )
