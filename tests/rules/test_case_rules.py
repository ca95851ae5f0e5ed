"""Domain rules of cases (issue #13 item 10): whole locations, the caller as reporter, and
Open311 in XML with its discovery document."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import community_governance as cg
from community_governance.domain.cases import check_location, check_reporter
from community_governance.errors import ValidationError
from community_governance.io.open311 import (
    FORMATS,
    REQUEST_FIELDS,
    SPECIFICATION,
    discovery,
    dumps,
    dumps_xml,
)
from community_governance.storage.tables import cases as ct
from community_governance.testing.city import build_small_city
from tests.places import build_hubin

pytestmark = pytest.mark.usefixtures("cli_as_system")  # writes name their actor

SYSTEM = cg.Actor.system("test")
NOW = pendulum.datetime(2026, 9, 25, 9, 0, tz="Asia/Shanghai")


@pytest.fixture
def gov() -> Iterator[Any]:
    with cg.open("memory://", entrypoints=False, clock=lambda: NOW) as g:
        yield g


def _cases(gov: Any) -> int:
    with gov.store.unit_of_work(write=False) as uow:
        return int(uow.conn.execute(sa.select(sa.func.count()).select_from(ct.cases))
                   .scalar_one())


def _where(gov: Any, place: str) -> tuple[str, str, str, cg.Actor]:
    """(building, resident, other resident of the place, staff who may report there)."""
    if place == "yima":
        city = build_small_city(gov)
        c = city.communities[0]
        b = city.buildings[c][0]
        r1, r2 = city.residents[city.households[b][0]]
        return b, r1, r2, city.secretary[c]
    hb = build_hubin(gov)
    return hb.buildings[0], hb.residents[0], hb.residents[1], hb.secretary


# ------------------------------------------------------------------------------ location


@pytest.mark.parametrize(("lat", "long", "path"), [
    (None, None, None),
    (0.0, 0.0, None),
    (90.0, 180.0, None), (-90.0, -180.0, None),  # the edges are inside
    (90.0001, 0.0, "lat"), (-90.0001, 0.0, "lat"),
    (0.0, 180.0001, "long"), (0.0, -180.0001, "long"),
    (34.7, None, "long"),  # half given: names the missing one
    (None, 111.8, "lat"),
    (math.nan, 111.8, "lat"), (34.7, math.inf, "long"),
    (True, 111.8, "lat"),
])
def test_check_location_table(lat: Any, long: Any, path: str | None) -> None:
    """Both coordinates within range, or neither."""
    if path is None:
        check_location(lat, long)
        return
    with pytest.raises(ValidationError) as e:
        check_location(lat, long)
    assert e.value.path == path


def test_half_location_message_names_the_rule_and_fix() -> None:
    with pytest.raises(ValidationError, match="lat is given but long is not; give both"):
        check_location(34.7, None)


@pytest.mark.parametrize("place", ["yima", "hubin"])
@pytest.mark.parametrize(("lat", "long"), [(34.7, None), (None, 111.8)])
def test_a_half_given_location_is_refused(gov: Any, place: str, lat: Any, long: Any) -> None:
    """Reporting with one coordinate is refused; nothing is written."""
    b, _r1, _r2, staff = _where(gov, place)
    with pytest.raises(ValidationError, match="a location needs both coordinates"):
        gov.cases.report(staff, category="repair", building_code=b, description="漏水",
                         lat=lat, long=long)
    assert _cases(gov) == 0
    gov.cases.report(staff, category="repair", building_code=b, description="漏水",
                     lat=34.7, long=111.8)
    assert _cases(gov) == 1


def test_an_imported_half_location_is_refused_with_its_path(gov: Any) -> None:
    b, _r1, _r2, _staff = _where(gov, "hubin")
    req = {"service_request_id": "X1", "status": "open", "service_code": "repair",
           "address_id": b, "description": "漏水", "requested_datetime": NOW.isoformat(),
           "lat": 34.7}
    with pytest.raises(ValidationError, match=r"@ \$\[0\]\.long"):
        gov.cases.import_open311(SYSTEM, [req])
    assert _cases(gov) == 0


# ------------------------------------------------------------------------------ reporter


@pytest.mark.parametrize(("kind", "actor_id", "given", "want"), [
    ("resident", "R1", None, "R1"),  # the caller
    ("resident", "R1", "R1", "R1"),  # the caller, named
    ("resident", "R1", "R2", ValidationError),  # someone else: refused, not replaced
    ("staff", "S1", "R2", "R2"),  # staff record a case for a resident
    ("staff", "S1", None, None),
    ("system", "job", "R2", "R2"),
])
def test_check_reporter_table(kind: str, actor_id: str, given: str | None, want: Any) -> None:
    if want is ValidationError:
        with pytest.raises(ValidationError, match="R1 may report only as themselves, not as "
                           "R2: leave reporter_id out") as e:
            check_reporter(kind, actor_id, given)
        assert e.value.path == "reporter_id"
    else:
        assert check_reporter(kind, actor_id, given) == want


@pytest.mark.parametrize("place", ["yima", "hubin"])
def test_a_resident_reporting_as_someone_else_is_refused(gov: Any, place: str) -> None:
    """A resident naming another resident as reporter is refused; nothing is written."""
    b, r1, r2, staff = _where(gov, place)
    with pytest.raises(ValidationError, match=f"{r1} may report only as themselves"):
        gov.cases.report(cg.Actor.resident(r1), category="repair", building_code=b,
                         description="漏水", reporter_id=r2)
    assert _cases(gov) == 0
    mine = gov.cases.report(cg.Actor.resident(r1), category="repair", building_code=b,
                            description="漏水", reporter_id=r1)
    assert mine.reporter_id == r1
    theirs = gov.cases.report(staff, category="repair", building_code=b, description="漏水",
                              reporter_id=r2)
    assert theirs.reporter_id == r2


# ------------------------------------------------------------------------------ XML


def _xml_requests(gov: Any, place: str) -> tuple[list[dict[str, Any]], str]:
    b, r1, _r2, staff = _where(gov, place)
    gov.cases.report(staff, category="repair", building_code=b, lat=34.7473, long=111.8689,
                     description="屋顶漏水 & <紧急>\x07，电话13912345678",
                     reporter_name="欧阳明华")
    gov.cases.report(cg.Actor.resident(r1), category="dispute", building_code=b,
                     description="楼上噪音", channel="wechat")
    docs = gov.cases.export_open311(SYSTEM, zipcode="472300")
    return docs, dumps_xml(docs)


def _as_json_value(node: ET.Element) -> Any:
    """Read an element back the way the JSON form holds it (strings for scalars)."""
    if len(node):
        return {child.tag: _as_json_value(child) for child in node}
    return node.text or None


def _scalar(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _scalar(v) for k, v in value.items()}
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@pytest.mark.parametrize("place", ["yima", "hubin"])
def test_xml_export_is_well_formed_and_says_what_json_says(gov: Any, place: str) -> None:
    """The XML form parses, follows the specification's element names and carries the JSON
    form's content field by field (control characters dropped)."""
    docs, text = _xml_requests(gov, place)
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "service_requests"
    items = list(root)
    assert [i.tag for i in items] == ["request"] * len(docs) and len(docs) == 2
    for node, doc in zip(items, docs, strict=True):
        assert [c.tag for c in node][:len(REQUEST_FIELDS)] == list(REQUEST_FIELDS)
        got = {c.tag: _as_json_value(c) for c in node}
        want = _scalar({k: (v.replace("\x07", "") if isinstance(v, str) else v)
                        for k, v in doc.items()})
        assert got == want
    by_code = {n.find("service_code").text: n for n in items}
    first = {c.tag: c.text for c in by_code["repair"]}
    assert first["description"] == "屋顶漏水 & <紧急>，电话139****5678"
    assert (first["lat"], first["long"], first["zipcode"]) == ("34.7473", "111.8689", "472300")
    assert by_code["dispute"].find("lat").text is None  # null: an empty element


def test_services_and_discovery_in_xml_and_json(gov: Any) -> None:
    services = gov.cases.open311_services()
    root = ET.fromstring(dumps_xml(services, kind="services"))
    assert root.tag == "services"
    assert [s.find("service_code").text for s in root] == [s["service_code"] for s in services]
    assert {s.find("metadata").text for s in root} == {"false"}
    doc = discovery("https://gov.example.cn/open311/v2", changeset=NOW, contact="民政局")
    assert doc["endpoints"][0]["specification"] == SPECIFICATION == \
        "http://wiki.open311.org/GeoReport_v2"
    assert doc["changeset"] == "2026-09-25T01:00:00+00:00"
    x = ET.fromstring(dumps_xml(doc, kind="discovery"))
    assert x.tag == "discovery"
    assert x.find("contact").text == "民政局"
    ep = x.find("endpoints/endpoint")
    assert ep is not None and ep.find("url").text == "https://gov.example.cn/open311/v2"
    assert [f.text for f in ep.findall("formats/format")] == list(FORMATS) == [
        "application/json", "text/xml"]
    with pytest.raises(ValidationError, match="needs the endpoint's URL"):
        discovery(" ", changeset=NOW)
    with pytest.raises(ValidationError, match="kind must be"):
        dumps_xml(services, kind="cases")


def test_cli_exports_xml_and_discovery(tmp_path: Path) -> None:
    from community_governance.cli import _load, cli

    _load()

    url = f"sqlite:///{tmp_path / 'c.db'}"
    with cg.open(url, entrypoints=False, clock=lambda: NOW) as g:
        docs, _ = _xml_requests(g, "hubin")
    runner = CliRunner()
    got = runner.invoke(cli, ["cases", "export", "--db", url, "--format", "xml"])
    assert got.exit_code == 0, got.output
    root = ET.fromstring(got.output.encode("utf-8"))
    assert [r.find("service_request_id").text for r in root] == [
        d["service_request_id"] for d in docs]
    got = runner.invoke(cli, ["cases", "export", "--db", url, "--format", "json", "--zipcode", "472300"])
    assert json.loads(got.output) == json.loads(dumps(docs))
    got = runner.invoke(cli, ["cases", "export", "--db", url, "--what", "discovery",
                               "--url", "https://gov.example.cn/open311/v2", "--format", "xml"])
    assert got.exit_code == 0, got.output
    assert ET.fromstring(got.output.encode()).find("endpoints/endpoint/specification").text \
        == SPECIFICATION
    got = runner.invoke(cli, ["cases", "export", "--db", url, "--what", "discovery"])
    assert got.exit_code != 0 and "--url" in got.output
