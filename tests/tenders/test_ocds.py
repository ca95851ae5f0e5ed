"""The OCDS 1.1 export of a purchase-of-services round: a release per stage and a record per
contracting process, every release and compiled release valid against the official OCDS 1.1.4
release schema (vendored unchanged, checked with jsonschema's Draft 4 validator)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from importlib import resources
from typing import Any

import jsonschema
import pytest

from community_governance.domain.access import Actor
from community_governance.errors import ValidationError
from community_governance.io import ocds
from tests.orgs.conftest import World
from tests.tenders.helpers import SYSTEM, sign, walk

SCHEMA_SHA256 = "4226ea4a3016030171db667166c11ab5c22777de5f75a44aa601a610809b5696"


def _pay(w: World, disbursement_id: int, voucher: str, on: dt.date) -> None:
    d = w.gov.funds.disbursement(SYSTEM, disbursement_id)
    for role in d.required_roles:
        w.gov.funds.approve(Actor.system(f"approver-{role.value}"), d.id, as_role=role)
    w.gov.funds.pay(SYSTEM, d.id, voucher=voucher, on=on)


def _full_round(w: World) -> None:
    r = walk(w, "awarded")
    sign(w, r)
    g = w.gov
    w.clock.set(2019, 7, 2, 10)
    g.tenders.accept(w.staff, "C1", "q2_report")
    d1 = g.tenders.request_payment(w.staff, "C1", 1, on=dt.date(2019, 7, 2))
    _pay(w, d1.id, "ZF-C1-1", dt.date(2019, 7, 3))


def _validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(ocds.release_schema(),
                                      format_checker=jsonschema.FormatChecker())


class TestSchema:
    def test_the_vendored_schema_is_the_official_file_unchanged(self) -> None:
        raw = (resources.files("community_governance.io") / "schemas" / "ocds"
               / "release-schema-1__1__4.json").read_bytes()
        assert SCHEMA_SHA256 == hashlib.sha256(raw).hexdigest()
        schema = ocds.release_schema()
        assert "http://json-schema.org/draft-04/schema#" == schema["$schema"]
        jsonschema.Draft4Validator.check_schema(schema)
        readme = (resources.files("community_governance.io") / "schemas" / "ocds"
                  / "README.md").read_text(encoding="utf-8")
        assert "1.1.4" in readme and "Apache" in readme and "ocdsmerge" in readme

    def test_the_validator_finds_a_broken_release(self) -> None:
        bad = {"ocid": "ocds-cgov00-T1", "id": "x", "date": "2019-01-01T00:00:00+08:00",
               "tag": ["bidding"], "initiationType": "tender"}
        problems = ocds.validate_release(bad)
        assert problems and "tag/0" in problems[0]


class TestExport:
    def test_every_stage_is_a_valid_release_and_the_record_compiles_them(
            self, world: World) -> None:
        _full_round(world)
        data = world.gov.tenders.ocds_data(within=world.community, year=2019)
        assert 1 == len(data)
        rels = ocds.releases(data[0], prefix="ocds-abc123-")
        assert ["planning", "tender", "award", "contract", "implementation"] == [
            r["tag"][0] for r in rels]
        assert {"ocds-abc123-T1"} == {r["ocid"] for r in rels}
        assert len({r["id"] for r in rels}) == len(rels)
        v = _validator()
        for rel in rels:
            assert [] == [e.message for e in v.iter_errors(rel)], rel["tag"]
        tender = rels[1]["tender"]
        assert ("open", "services", 3) == (tender["procurementMethod"],
                                           tender["mainProcurementCategory"],
                                           tender["numberOfTenderers"])
        award = rels[2]["awards"][0]
        assert ("服务社B1", 78000.0) == (award["suppliers"][0]["name"],
                                         award["value"]["amount"])
        impl = rels[4]["contracts"][0]["implementation"]
        assert [(31200.0, "2019-07-03T00:00:00+08:00")] == [
            (x["value"]["amount"], x["date"]) for x in impl["transactions"]]
        assert ["met", "scheduled"] == [m["status"] for m in impl["milestones"]]
        pkg = ocds.record_package(data, published="2019-12-31T00:00:00+08:00",
                                  uri="https://example.org/ocds/records.json",
                                  publisher="伊马市民政局")
        rec = pkg["records"][0]
        assert "ocds-cgov00-T1" == rec["ocid"] == rec["compiledRelease"]["ocid"]
        assert [] == ocds.validate_release(rec["compiledRelease"])
        assert ["compiled"] == rec["compiledRelease"]["tag"]
        roles = {p["name"]: set(p["roles"]) for p in rec["compiledRelease"]["parties"]}
        assert {"tenderer", "supplier", "payee"} <= roles["服务社B1"]
        assert roles["服务社B2"] == {"tenderer"}

    def test_before_the_opening_bidders_are_not_named(self, world: World) -> None:
        walk(world, "bids")
        data = world.gov.tenders.ocds_data(within=world.community)
        rels = ocds.releases(data[0])
        assert ["planning", "tender"] == [r["tag"][0] for r in rels]
        assert "tenderers" not in rels[1]["tender"]
        assert 3 == rels[1]["tender"]["numberOfTenderers"]
        assert all(p["roles"] == ["buyer", "procuringEntity"] for p in rels[1]["parties"])
        for rel in rels:
            assert [] == ocds.validate_release(rel)

    def test_personal_data_are_masked_and_the_panel_is_absent(self, world: World) -> None:
        walk(world, "awarded")
        g = world.gov
        g.tenders.raise_need(world.staff, world.community, title="助餐服务",
                             category="meal_service", estimate="10000",
                             description="联系人手机13812345678", need_id="N2")
        g.tenders.create_project(world.officer, "N2", budget="10000", year=2019,
                                 community_code=world.community, project_id="P2")
        g.tenders.publish(world.officer, "P2", title="助餐服务采购",
                          procedure="competitive_consultation",
                          lots=[ocds_lot("助餐", "10000")], tender_id="T2")
        data = g.tenders.ocds_data(within=world.community)
        text = json.dumps(ocds.record_package(data, published="2019-12-31T00:00:00+08:00",
                                              uri="https://example.org/r.json",
                                              publisher="x"), ensure_ascii=False)
        assert "13812345678" not in text and "138" in text
        assert "评审" not in text  # panel members are named 评审<id> in the helpers
        rel = ocds.releases(data[1])
        assert "selective" == rel[1]["tender"]["procurementMethod"]

    @pytest.mark.parametrize("prefix", ["", "ocds-", "OCDS-ABC123-", "ocds-abc12-", "x"])
    def test_a_bad_prefix_is_refused(self, prefix: str) -> None:
        with pytest.raises(ValidationError, match="ocid prefix"):
            ocds.ocid(prefix, "T1")


def ocds_lot(title: str, budget: str) -> Any:
    from community_governance.services.tenders import NewLot

    return NewLot(title, budget)
