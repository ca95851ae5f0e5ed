"""A minimal Open311 GeoReport v2 client written from the specification alone
(https://wiki.open311.org/GeoReport_v2 and mySociety's servicerequestupdates extension).

It imports nothing of community-governance: it speaks HTTP through any httpx-like client,
parses XML with the standard library, and checks every document against the fields and types
the specification gives. The golden documents below are the specification's own examples; the
tests first check that this client reads them, then point it at the server.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")

#: field: (kind, required) of each document, from the specification's field tables.
SERVICE = {"service_code": ("str", True), "service_name": ("str", True),
           "description": ("str", False), "metadata": ("bool", True), "type": ("str", True),
           "keywords": ("str", False), "group": ("str", False)}
REQUEST = {"service_request_id": ("str", True), "status": ("str", True),
           "status_notes": ("str", False), "service_name": ("str", False),
           "service_code": ("str", False), "description": ("str", False),
           "agency_responsible": ("str", False), "service_notice": ("str", False),
           "requested_datetime": ("time", False), "updated_datetime": ("time", False),
           "expected_datetime": ("time", False), "address": ("str", False),
           "address_id": ("str", False), "zipcode": ("str", False), "lat": ("num", False),
           "long": ("num", False), "media_url": ("str", False)}
CREATED = {"service_request_id": ("str", False), "token": ("str", False),
           "service_notice": ("str", False), "account_id": ("str", False)}
TOKEN = {"service_request_id": ("str", False), "token": ("str", True)}
ATTRIBUTE = {"variable": ("bool", True), "code": ("str", True), "datatype": ("str", True),
             "required": ("bool", True), "datatype_description": ("str", False),
             "order": ("num", True), "description": ("str", True)}
UPDATE = {"update_id": ("str", True), "service_request_id": ("str", True),
          "status": ("str", True), "updated_datetime": ("time", True),
          "description": ("str", False), "media_url": ("str", False)}
ERROR = {"code": ("num", True), "description": ("str", True)}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


class SpecError(AssertionError):
    """A document breaks the specification."""


def _value(kind: str, value: Any, field: str, xml: bool) -> Any:
    if value is None or value == "":
        return None
    if kind == "bool":
        if xml:
            if value not in ("true", "false"):
                raise SpecError(f"{field}: {value!r} is not true/false")
            return value == "true"
        if not isinstance(value, bool):
            raise SpecError(f"{field}: {value!r} is not a boolean")
        return value
    if kind == "num":
        if isinstance(value, bool):
            raise SpecError(f"{field}: a boolean is not a number")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise SpecError(f"{field}: {value!r} is not a number") from None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # the specification's own examples write ids as numbers
    if not isinstance(value, str):
        raise SpecError(f"{field}: {value!r} is not text")
    if kind == "time" and not W3C.match(value):
        raise SpecError(f"{field}: {value!r} is not a W3C datetime")
    return value


def check(doc: dict[str, Any], spec: dict[str, tuple[str, bool]], *, xml: bool) -> dict[str, Any]:
    """One document checked against ``spec``; values normalised (text, float, bool)."""
    out: dict[str, Any] = {}
    for field, (kind, required) in spec.items():
        value = _value(kind, doc.get(field), field, xml)
        if required and value is None:
            raise SpecError(f"{field} is required")
        out[field] = value
    return out


def _element(node: ET.Element) -> Any:
    children = list(node)
    if not children:
        return node.text.strip() if node.text and node.text.strip() else None
    return {c.tag: _element(c) for c in children}


def parse_xml_list(text: str, root: str, item: str) -> list[dict[str, Any]]:
    """``<root><item>...</item>...</root>`` as a list of dicts of text."""
    tree = ET.fromstring(text.encode("utf-8") if isinstance(text, str) else text)
    if tree.tag != root:
        raise SpecError(f"root element is <{tree.tag}>, not <{root}>")
    docs = []
    for node in tree:
        if node.tag != item:
            raise SpecError(f"<{root}> holds <{node.tag}>, not <{item}>")
        docs.append({c.tag: _element(c) for c in node})
    return docs


def parse_list(text: str, fmt: str, root: str, item: str,
               spec: dict[str, tuple[str, bool]]) -> list[dict[str, Any]]:
    """A GeoReport list document in ``fmt`` (json or xml), checked."""
    xml = fmt == "xml"
    docs = parse_xml_list(text, root, item) if xml else json.loads(text)
    if not isinstance(docs, list):
        raise SpecError("a GeoReport list document is a JSON array")
    return [check(d, spec, xml=xml) for d in docs]


def parse_definition(text: str, fmt: str) -> dict[str, Any]:
    """A service definition, checked (attributes and their values)."""
    if fmt == "xml":
        tree = ET.fromstring(text.encode("utf-8"))
        if tree.tag != "service_definition":
            raise SpecError(f"root element is <{tree.tag}>")
        code = tree.findtext("service_code")
        attrs_ = []
        for a in tree.iterfind("attributes/attribute"):
            doc = {c.tag: _element(c) for c in a if c.tag != "values"}
            doc["values"] = [{"key": v.findtext("key"), "name": v.findtext("name")}
                             for v in a.iterfind("values/value")]
            attrs_.append(doc)
        xml = True
    else:
        data = json.loads(text)
        code, attrs_, xml = data.get("service_code"), data.get("attributes"), False
    if not code:
        raise SpecError("service_code is required")
    out = []
    for a in attrs_ or []:
        got = check(a, ATTRIBUTE, xml=xml)
        if got["datatype"] not in DATATYPES:
            raise SpecError(f"datatype {got['datatype']!r}")
        values = a.get("values") or []
        if got["datatype"].endswith("valuelist") and not values:
            raise SpecError(f"{got['code']}: a list attribute needs values")
        got["values"] = [{"key": str(v["key"]), "name": v["name"]} for v in values]
        out.append(got)
    return {"service_code": str(code), "attributes": out}


class Open311Client:
    """The client: one GeoReport v2 endpoint, its format and an API key."""

    def __init__(self, http: Any, base: str, fmt: str = "json", api_key: str | None = None,
                 jurisdiction_id: str | None = None) -> None:
        self.http, self.base, self.fmt = http, base.rstrip("/"), fmt
        self.api_key, self.jurisdiction_id = api_key, jurisdiction_id

    def _params(self, **extra: Any) -> dict[str, Any]:
        p = {k: v for k, v in extra.items() if v is not None}
        if self.jurisdiction_id:
            p["jurisdiction_id"] = self.jurisdiction_id
        return p

    def _get(self, path: str, **params: Any) -> Any:
        r = self.http.get(f"{self.base}/{path}.{self.fmt}", params=self._params(**params))
        self._content_type(r)
        return r

    def _content_type(self, r: Any) -> None:
        want = "xml" if self.fmt == "xml" else "json"
        if want not in r.headers.get("content-type", ""):
            raise SpecError(f"content-type {r.headers.get('content-type')!r} for {self.fmt}")

    def errors(self, r: Any) -> list[dict[str, Any]]:
        """The error list of a failed call."""
        return parse_list(r.text, self.fmt, "errors", "error", ERROR)

    def services(self) -> list[dict[str, Any]]:
        r = self._get("services")
        assert r.status_code == 200, r.text
        return parse_list(r.text, self.fmt, "services", "service", SERVICE)

    def definition(self, code: str) -> dict[str, Any]:
        r = self._get(f"services/{code}")
        assert r.status_code == 200, r.text
        return parse_definition(r.text, self.fmt)

    def create(self, **fields: Any) -> Any:
        """POST requests, form-encoded, with the api_key in the body (as the spec says)."""
        data = self._params(**fields)
        if self.api_key:
            data["api_key"] = self.api_key
        r = self.http.post(f"{self.base}/requests.{self.fmt}", data=data)
        self._content_type(r)
        return r

    def created(self, r: Any) -> list[dict[str, Any]]:
        return parse_list(r.text, self.fmt, "service_requests", "request", CREATED)

    def requests(self, **params: Any) -> Any:
        return self._get("requests", **params)

    def parse_requests(self, r: Any) -> list[dict[str, Any]]:
        return parse_list(r.text, self.fmt, "service_requests", "request", REQUEST)

    def request(self, request_id: str) -> Any:
        return self._get(f"requests/{request_id}")

    def token(self, token: str) -> list[dict[str, Any]]:
        r = self._get(f"tokens/{token}")
        assert r.status_code == 200, r.text
        return parse_list(r.text, self.fmt, "service_requests", "request", TOKEN)

    def updates(self, **params: Any) -> list[dict[str, Any]]:
        r = self._get("servicerequestupdates", **params)
        assert r.status_code == 200, r.text
        return parse_list(r.text, self.fmt, "service_request_updates", "request_update",
                          UPDATE)


# ----------------------------------------------------------------------------- golden
# The specification's own examples (GeoReport v2 wiki), as published.

GOLDEN_SERVICES_XML = """<?xml version="1.0" encoding="utf-8"?>
<services>
    <service>
        <service_code>001</service_code>
        <service_name>Cans left out 24x7</service_name>
        <description>Garbage or recycling cans that have been left out for more than 24 hours after collection. Violators will be cited.</description>
        <metadata>true</metadata>
        <type>realtime</type>
        <keywords>lorem, ipsum, dolor</keywords>
        <group>sanitation</group>
    </service>
    <service>
        <service_code>002</service_code>
        <metadata>true</metadata>
        <type>realtime</type>
        <keywords>lorem, ipsum, dolor</keywords>
        <group>street</group>
        <service_name>Construction plate shifted</service_name>
        <description>Metal construction plate covering the street or sidewalk has been moved.</description>
    </service>
</services>"""

GOLDEN_SERVICES_JSON = """[
  {"service_code":"001","service_name":"Cans left out 24x7","description":"Garbage or recycling cans that have been left out for more than 24 hours after collection. Violators will be cited.","metadata":true,"type":"realtime","keywords":"lorem, ipsum, dolor","group":"sanitation"},
  {"service_code":"002","metadata":true,"type":"realtime","keywords":"lorem, ipsum, dolor","group":"street","service_name":"Construction plate shifted","description":"Metal construction plate covering the street or sidewalk has been moved."}
]"""

GOLDEN_DEFINITION_JSON = """{
  "service_code":"DMV66",
  "attributes":[
    {"variable":true,"code":"WHISHETN","datatype":"singlevaluelist","required":true,
     "datatype_description":null,"order":1,"description":"What is the ticket/tag/DL number?",
     "values":[{"key":123,"name":"Ford"},{"key":124,"name":"Chrysler"}]}
  ]
}"""

GOLDEN_DEFINITION_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_definition>
  <service_code>DMV66</service_code>
  <attributes>
    <attribute>
      <variable>true</variable>
      <code>WHISHETN</code>
      <datatype>singlevaluelist</datatype>
      <required>true</required>
      <datatype_description></datatype_description>
      <order>1</order>
      <description>What is the ticket/tag/DL number?</description>
      <values>
        <value><key>123</key><name>Ford</name></value>
        <value><key>124</key><name>Chrysler</name></value>
      </values>
    </attribute>
  </attributes>
</service_definition>"""

GOLDEN_REQUESTS_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_requests>
  <request>
    <service_request_id>638344</service_request_id>
    <status>closed</status>
    <status_notes>Duplicate request.</status_notes>
    <service_name>Sidewalk and Curb Issues</service_name>
    <service_code>006</service_code>
    <description></description>
    <agency_responsible></agency_responsible>
    <service_notice></service_notice>
    <requested_datetime>2010-04-14T06:37:38-08:00</requested_datetime>
    <updated_datetime>2010-04-14T06:37:38-08:00</updated_datetime>
    <expected_datetime>2010-04-15T06:37:38-08:00</expected_datetime>
    <address>8TH AVE and JUDAH ST</address>
    <address_id>545483</address_id>
    <zipcode>94122</zipcode>
    <lat>37.762221815</lat>
    <long>-122.4651145</long>
    <media_url>http://city.gov.s3.amazonaws.com/requests/media/638344.jpg</media_url>
  </request>
</service_requests>"""

GOLDEN_REQUESTS_JSON = """[
  {"service_request_id":638344,"status":"closed","status_notes":"Duplicate request.",
   "service_name":"Sidewalk and Curb Issues","service_code":"006","description":null,
   "agency_responsible":null,"service_notice":null,
   "requested_datetime":"2010-04-14T06:37:38-08:00","updated_datetime":"2010-04-14T06:37:38-08:00",
   "expected_datetime":"2010-04-15T06:37:38-08:00","address":"8TH AVE and JUDAH ST",
   "address_id":545483,"zipcode":94122,"lat":37.762221815,"long":-122.4651145,
   "media_url":"http://city.gov.s3.amazonaws.com/requests/media/638344.jpg"}
]"""

GOLDEN_CREATED_JSON = """[{"service_request_id":293944,"service_notice":"The City will inspect and require the responsible party to correct within 24 hours and/or issue a Correction Notice or Notice of Violation of the Public Works Code","account_id":null}]"""
GOLDEN_CREATED_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_requests>
  <request>
    <service_request_id>293944</service_request_id>
    <service_notice>The City will inspect and require the responsible party to correct within 24 hours and/or issue a Correction Notice or Notice of Violation of the Public Works Code</service_notice>
    <account_id/>
  </request>
</service_requests>"""
GOLDEN_TOKEN_JSON = """[{"service_request_id":638344,"token":12345}]"""
GOLDEN_TOKEN_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_requests>
  <request>
    <service_request_id>638344</service_request_id>
    <token>12345</token>
  </request>
</service_requests>"""
GOLDEN_ERRORS_JSON = """[{"code":403,"description":"Invalid api_key received -- can't proceed with create_request."}]"""
GOLDEN_ERRORS_XML = """<?xml version="1.0" encoding="utf-8"?>
<errors>
  <error>
    <code>403</code>
    <description>Invalid api_key received -- can't proceed with create_request.</description>
  </error>
</errors>"""
