"""The probe of issue #13 item 2: ID and mobile numbers planted in every free-text field of
every capability (half- and full-width, with separators, run together) appear in no output a
caller gets without asking (service reads, CLI, exports, reports, Open311, disclosures, audit
and access logs, log records) and in no public output; public fields refuse them; a caller
with the right sees them only when asking; erasure removes what a resident wrote."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import community_governance as cg
from community_governance.domain.access import Actor
from community_governance.domain.funds import (
    Channel,
    InKindItem,
    Posting,
    Transaction,
    TransactionKind,
    credit,
    debit,
)
from community_governance.domain.idnumber import compose_id_number
from community_governance.domain.pii_text import TEXT_FIELDS, FieldClass, normalise_digits
from community_governance.domain.posts import PartnerUnit, PartyOrg
from community_governance.domain.units import Unit, UnitKind
from community_governance.domain.volunteers import ActivitySpec, VolunteerOrg
from community_governance.errors import PermissionDenied, ValidationError
from community_governance.serialization import to_jsonable
from community_governance.storage.tables import cases as ct
from community_governance.storage.tables import load_all
from community_governance.storage.tables import points as tp
from community_governance.testing.city import build_small_city

pytestmark = pytest.mark.usefixtures("cli_as_system")  # writes name their actor

NOW = pendulum.datetime(2026, 6, 15, 2, 0, tz="UTC")  # 10:00 county time
SYSTEM = Actor.system("probe")

ID1 = compose_id_number("411281", dt.date(1980, 5, 6), 123)
ID2 = compose_id_number("411221", dt.date(1975, 1, 2), 44)   # 渑池县
ID3 = compose_id_number("411202", dt.date(1990, 3, 3), 16)   # 湖滨区
ID4 = compose_id_number("410302", dt.date(1966, 7, 8), 301)
LEGACY = "411281800101123"


def _wide(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() or c in "Xx" else c for c in text)


#: How people type them, and the number each stands for.
VARIANTS: tuple[tuple[str, str], ...] = (
    (ID1, ID1),
    (_wide(ID2), ID2),
    (f"{ID3[:6]} {ID3[6:14]} {ID3[14:]}", ID3),
    (LEGACY, LEGACY),
    ("13812345678", "13812345678"),
    ("１３８００００００07", "13800000007"),
    ("139-8765-4321", "13987654321"),
    ("+86 137.1111.2222", "13711112222"),
    (ID4 + "15012345678", ID4),
)
NUMBERS = (*tuple(n for _, n in VARIANTS), "15012345678")
TEXT = "李先生 " + "；".join(t for t, _ in VARIANTS)
assert len(TEXT) < 200  # points reasons keep 200 characters


def leaks(text: str) -> list[str]:
    """The planted numbers found in ``text`` (full width, separators and case ignored)."""
    compact = normalise_digits(text).translate(str.maketrans("", "", " -.　\n")).upper()
    return [n for n in NUMBERS if n.upper() in compact]


def _dump(value: Any) -> str:
    try:
        data = json.dumps(to_jsonable(value), ensure_ascii=False, default=str)
    except Exception:  # not unstructurable: its repr is what a caller would print
        data = ""
    return data + repr(value) + str(value)


@pytest.fixture
def probe(tmp_path: Path) -> dict[str, Any]:
    """A SQLite county with the numbers planted in every free-text field that takes them."""
    url = f"sqlite:///{tmp_path / 'probe.db'}"
    g = cg.open(url, entrypoints=False, clock=lambda: NOW)
    city = build_small_city(g)
    c = city.communities[0]
    sec = city.secretary[c]
    rid = city.residents[f"{c}-B0001-101"][0]
    other = city.residents[f"{c}-B0001-201"][0]
    own = g.cases.report(Actor.resident(rid), category="repair", building_code=f"{c}-B0001",
                         description=TEXT, reporter_phone="13812345678")
    staff_case = g.cases.report(sec, category="repair", building_code=f"{c}-B0002",
                                description=TEXT, reporter_name="李先生")
    handler = city.grid_leader[f"{c}-W01"].id
    g.cases.assign(sec, staff_case.id, handler, note=TEXT)
    g.points.earn(SYSTEM, rid, 10, key="probe-earn", reason=TEXT)
    g.volunteers.register(SYSTEM, rid, skills=[TEXT], availability=TEXT)
    g.volunteers.record_training(SYSTEM, rid, title=TEXT, on=dt.date(2026, 6, 1), minutes=60)
    from community_governance.services.charity import LotSpec

    don = g.charity.receive(SYSTEM, c, donor=TEXT, category="clothes", condition="good",
                            quantity=2, estimated_value="100")
    g.charity.sort(SYSTEM, don.id, [LotSpec(TEXT, 2)])
    g.appointments.request_assistance(SYSTEM, kind="proxy", resident_id=other,
                                      description=TEXT)
    g.registry.get_resident(city.county_admin, rid, reveal=True, reason=TEXT)
    g.privacy.correct(sec, other, phone="13900009999", reason=TEXT)
    g.supermarket.add_item(SYSTEM, c, "洗衣粉", 20, stock=5, id="I-SOAP")
    g.funds.post(SYSTEM, c, [debit("1002", "500"), credit("4101", "500")],
                 channel="city_allocation", voucher="BK-2026-06", on=dt.date(2026, 6, 1),
                 counterparty="义马市财政局")
    return {"gov": g, "url": url, "city": city, "c": c, "rid": rid, "other": other,
            "own": own.id, "staff_case": staff_case.id}


def _outputs(p: dict[str, Any]) -> dict[str, str]:
    """Everything callers get without asking, by where it came from."""
    g, city, c, rid = p["gov"], p["city"], p["c"], p["rid"]
    grid_leader = city.grid_leader[f"{c}-W01"]
    readers = {"grid leader": grid_leader, "staff": city.staff[c], "secretary": city.secretary[c],
               "county admin": city.county_admin, "system": SYSTEM,
               "the resident": Actor.resident(rid)}
    out: dict[str, str] = {}
    for who, actor in readers.items():
        for case_id in (p["own"], p["staff_case"]):
            for what, fn in (("get", lambda a=actor, k=case_id: g.cases.get(a, k)),
                             ("history", lambda a=actor, k=case_id: g.cases.history(a, k))):
                with contextlib.suppress(PermissionDenied):
                    out[f"cases.{what} {case_id} by {who}"] = _dump(fn())
        for what, fn in (
            ("cases.list", lambda a=actor: g.cases.list_cases(a)),
            ("cases.report", lambda a=actor: g.cases.case_report(a, year=2026).as_dict()),
            ("cases.open311", lambda a=actor: g.cases.export_open311(a)),
            ("points.statement", lambda a=actor: g.points.statement(a, rid)),
            ("volunteers.get", lambda a=actor: g.volunteers.get(a, rid)),
            ("volunteers.list", lambda a=actor: g.volunteers.list_volunteers(a)),
            ("volunteers.trainings", lambda a=actor: g.volunteers.trainings(a, rid)),
            ("charity.donations", lambda a=actor: g.charity.donations(a)),
            ("charity.in_store", lambda a=actor: g.charity.in_store(a)),
            ("appointments.assistance", lambda a=actor: g.appointments.assistance(a)),
            ("audit.log", lambda a=actor: g.audit.log(a)),
            ("audit.access", lambda a=actor: g.audit.access(a)),
        ):
            with contextlib.suppress(PermissionDenied):
                out[f"{what} by {who}"] = _dump(fn())
    out["points.entries"] = _dump(g.points.entries(SYSTEM))
    out["supermarket.stock (public)"] = _dump(g.supermarket.stock())
    from community_governance.io import disclosure as disc
    from community_governance.io.exporters import EXPORTERS, export

    d = g.funds.disclosure(c, "2026Q2", actor=Actor.public())
    for lang in ("zh", "en"):
        out[f"disclosure html {lang}"] = disc.render_html(d, lang)
        out[f"disclosure csv {lang}"] = disc.render_csv(d, lang)
        out[f"disclosure json {lang}"] = disc.render_json(d, lang)
    for kind in EXPORTERS:
        for fmt in ("json", "csv"):
            buf = io.StringIO()
            export(g, kind, buf, actor=city.county_admin, fmt=fmt)
            out[f"export {kind} {fmt}"] = buf.getvalue()
    return out


def _cli_outputs(p: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    from community_governance.cli import _load, cli

    _load()
    monkeypatch.setenv("CGOV_NOW", NOW.isoformat())
    url, c, rid = p["url"], p["c"], p["rid"]
    leader = p["city"].grid_leader[f"{c}-W01"].id
    runner = CliRunner()
    out: dict[str, str] = {}
    for who in ("system", f"staff:{leader}", f"staff:{p['city'].secretary[c].id}"):
        for args in (
            ["cases", "list", "--json"], ["cases", "show", p["staff_case"]],
            ["cases", "show", p["own"]], ["cases", "export"],
            ["points", "statement", rid], ["volunteers", "list"], ["volunteers", "records", rid],
            ["audit", "log", "--json"], ["audit", "access", "--json"],
        ):
            result = runner.invoke(cli, [*args, "--db", url, "--as", who])
            out[f"cgov {' '.join(args)} as {who} (exit {result.exit_code})"] = result.output
    for args in (["supermarket", "stock"],
                 ["funds", "disclose", "--community", c, "--quarter", "2026Q2", "--format",
                  "json"]):
        result = runner.invoke(cli, [*args, "--db", url])
        assert result.exit_code == 0, (args, result.output)
        out[f"cgov {' '.join(args)}"] = result.output
    return out


def test_no_output_carries_a_planted_number(probe: dict[str, Any],
                                            monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    """The probe: every output of every capability, for every kind of reader, in the library,
    its exports and its CLI, and every log record, holds none of the planted numbers."""
    with caplog.at_level(logging.DEBUG, logger="community_governance"):
        logging.getLogger("community_governance.services.cases").warning("case text: %s", TEXT)
        outputs = _outputs(probe)
        outputs.update(_cli_outputs(probe, monkeypatch))
    outputs["log records"] = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    ran = [k for k, v in outputs.items() if v]
    assert len(ran) >= 80, sorted(outputs)
    found = {k: leaks(v) for k, v in outputs.items() if leaks(v)}
    assert found == {}
    # the planted text did reach the outputs (masked): the probe is not looking at nothing
    assert "138****5678" in outputs["cases.get " + probe["staff_case"] + " by grid leader"]
    assert "138****0007" in outputs["points.entries"]
    assert "4112**********" in outputs["log records"]
    cli_show = next(v for k, v in outputs.items()
                    if k.startswith(f"cgov cases show {probe['staff_case']} as staff:"))
    assert "139****4321" in cli_show


def test_full_numbers_only_for_who_may_and_asks(probe: dict[str, Any]) -> None:
    """The secretary sees the numbers when asking with a reason (logged); the grid leader,
    who has no right to full numbers, is refused; nobody sees them without asking."""
    g, city, c = probe["gov"], probe["city"], probe["c"]
    case_id = probe["staff_case"]
    full = g.cases.get(city.secretary[c], case_id, reveal=True, reason="回访核实联系方式")
    assert full.description == TEXT
    assert "13812345678" in full.description
    assert leaks(g.cases.get(city.secretary[c], case_id).description) == []
    with pytest.raises(PermissionDenied):
        g.cases.get(city.grid_leader[f"{c}-W01"], case_id, reveal=True, reason="想看")
    with pytest.raises(ValidationError, match="needs a reason"):
        g.cases.get(city.secretary[c], case_id, reveal=True)
    mine = g.cases.get(Actor.resident(probe["rid"]), probe["own"], reveal=True, reason="本人")
    assert mine.description == TEXT
    log = g.audit.access(SYSTEM)
    assert any(a.target == f"case {case_id}" and "回访" in a.reason for a in log)


def test_cli_reveal_needs_the_right(probe: dict[str, Any],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """``cgov cases show --reveal --reason`` shows the full text to the secretary and refuses
    the grid leader."""
    from community_governance.cli import _load, cli

    _load()
    monkeypatch.setenv("CGOV_NOW", NOW.isoformat())
    city, c = probe["city"], probe["c"]
    base = ["cases", "show", probe["staff_case"], "--db", probe["url"], "--reveal",
            "--reason", "回访"]
    ok = CliRunner().invoke(cli, [*base, "--as", f"staff:{city.secretary[c].id}"])
    assert ok.exit_code == 0, ok.output
    assert "13812345678" in ok.output
    refused = CliRunner().invoke(cli, [*base, "--as", f"staff:{city.grid_leader[f'{c}-W01'].id}"])
    assert refused.exit_code != 0
    assert leaks(refused.output) == []


def test_public_fields_refuse_every_variant_and_write_nothing(probe: dict[str, Any]) -> None:
    """Each way of typing a number is refused in each public field, with the field named;
    nothing is written."""
    g, c = probe["gov"], probe["c"]

    def count(table: sa.Table) -> int:
        with g.store.unit_of_work(write=False) as uow:
            return int(uow.conn.execute(sa.select(sa.func.count()).select_from(table))
                       .scalar_one())

    start = dt.datetime(2026, 6, 20, 1, tzinfo=dt.UTC)
    items_before = count(tp.supermarket_items)
    from community_governance.storage.tables import funds as tf

    tx_before = count(tf.funds_transactions)
    for typed, _ in VARIANTS:
        text = f"李先生 {typed}"
        attempts = {
            "name": lambda t=text: g.supermarket.add_item(SYSTEM, c, t, 10),
            "counterparty": lambda t=text: g.funds.post(
                SYSTEM, c, [debit("1002", "1"), credit("4101", "1")], channel="individual",
                voucher="V-1", on=dt.date(2026, 6, 2), counterparty=t, donor_consent=True),
            "memo": lambda t=text: g.funds.post(
                SYSTEM, c, [debit("1002", "1"), credit("4101", "1")], channel="individual",
                voucher="V-2", on=dt.date(2026, 6, 2), memo=t),
            "description": lambda t=text: g.funds.record_in_kind(
                SYSTEM, c, [InKindItem(t, 1, "10")], donor="某公司", voucher="V-3",
                on=dt.date(2026, 6, 2)),
            "title": lambda t=text: g.volunteers.create_activity(SYSTEM, ActivitySpec(
                t, c, "environment", "小区广场", start, start + dt.timedelta(hours=2), 5)),
            "organiser": lambda t=text: g.volunteers.create_activity(SYSTEM, ActivitySpec(
                "清理楼道", c, "environment", "小区广场", start, start + dt.timedelta(hours=2),
                5, organiser=t)),
            "payee": lambda t=text: g.funds.request(SYSTEM, c, "5101", "10", payee=t,
                                                    purpose="办公用品"),
        }
        for field, attempt in attempts.items():
            with pytest.raises(ValidationError) as info:
                attempt()
            assert field in str(info.value), (field, typed, str(info.value))
            assert leaks(str(info.value)) == [], (field, typed)
        for build in (lambda t=text: Unit(f"{c}-W09", UnitKind.GRID, t, c),
                      lambda t=text: VolunteerOrg("O-X", t, c),
                      lambda t=text: PartyOrg("PO-X", "grid_branch", f"{c}-W01", t),
                      lambda t=text: PartnerUnit("PU-X", t, "assigned_bureau", (c,))):
            with pytest.raises(ValidationError, match="name is published"):
                build()
    assert count(tp.supermarket_items) == items_before
    assert count(tf.funds_transactions) == tx_before
    g.supermarket.add_item(SYSTEM, c, "大米 10kg", 50)  # amounts and sizes are fine


def test_the_disclosure_masks_a_counterparty_stored_before_the_check() -> None:
    """The issue's case, as data written before the check existed: a counterparty in
    full-width digits is masked in the HTML, CSV and JSON disclosure (the last guard)."""
    from community_governance.io import disclosure as disc

    tx = Transaction(
        id=1, community_code="411281001001", date=dt.date(2019, 5, 1), channel=Channel.INDIVIDUAL,
        voucher="V-1", memo="", postings=(Posting("1002", Decimal("5000")),
                                          Posting("4301", Decimal("-5000"))),
        kind=TransactionKind.ORDINARY, counterparty="李先生 １３８００００００07",
        counterparty_public=True)
    d = disc.build_disclosure(
        community_code="411281001001", community_name="连银社区", year=2019, quarter=2,
        chart={}, transactions=[tx], budgets={}, in_kind=[], large_item=Decimal("1000"),
        generated_at=dt.datetime(2019, 7, 1, tzinfo=dt.UTC))
    for render in (disc.render_html, disc.render_csv, disc.render_json):
        text = render(d, "zh")
        assert "李先生 138****0007" in text
        assert leaks(text) == []


def test_erasure_removes_what_the_resident_wrote_and_keeps_the_books(
        probe: dict[str, Any]) -> None:
    """Erasing the reporter blanks the reporter's name and phone on their cases and replaces
    the descriptions they wrote; volunteer skills and availability go; the points ledger and
    the case history still hold together."""
    g, rid = probe["gov"], probe["rid"]
    balance = g.points.balance(SYSTEM, rid)
    g.privacy.erase(SYSTEM, rid, reason="moved away, asked for erasure")
    with g.store.unit_of_work(write=False) as uow:
        row = uow.conn.execute(sa.select(ct.cases).where(ct.cases.c.id == probe["own"])).one()
        staff_row = uow.conn.execute(sa.select(ct.cases).where(
            ct.cases.c.id == probe["staff_case"])).one()
        vol = uow.conn.execute(sa.select(tp.volunteers).where(
            tp.volunteers.c.resident_id == rid)).one()
    assert row.reporter_name is None and row.reporter_phone is None
    assert leaks(row.description) == [] and "已删除" in row.description
    assert vol.skills == "" and vol.availability == ""
    assert staff_row.description == TEXT  # another person's case is not the resident's words
    assert g.points.balance(SYSTEM, rid) == balance
    assert g.points.check(SYSTEM) == []
    assert len(g.cases.history(SYSTEM, probe["own"])) >= 1


def test_free_text_columns_of_tables_about_residents_are_erased_or_journals() -> None:
    """Every free-text column of a table that refers to a resident is either erased with the
    resident (marked personal) or lives in an append-only journal (masked on the way out)."""
    from community_governance.services.privacy import tables_referencing_residents
    from community_governance.storage.tables._base import APPEND_ONLY

    load_all()
    journals = set(APPEND_ONLY)
    missing = []
    for table, _cols in tables_referencing_residents():
        for col in table.columns:
            cls = TEXT_FIELDS.get(f"{table.name}.{col.name}")
            if cls is FieldClass.FREE and not col.info.get("personal") and \
                    table.name not in journals and table.name != "residents":
                missing.append(f"{table.name}.{col.name}")
    assert missing == []


def test_a_reporter_phone_is_checked_like_every_phone(probe: dict[str, Any]) -> None:
    """A case's call-back number goes through the same libphonenumber check; nothing written."""
    g, c = probe["gov"], probe["c"]
    before = len(g.cases.list_cases(SYSTEM))
    with pytest.raises(ValidationError) as info:
        g.cases.report(SYSTEM, category="repair", building_code=f"{c}-B0001",
                       description="灯坏了", reporter_name="王女士", reporter_phone="5812345")
    assert info.value.path == "reporter_phone" and "area code" in str(info.value)
    assert len(g.cases.list_cases(SYSTEM)) == before
