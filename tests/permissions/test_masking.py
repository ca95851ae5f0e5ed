"""ID and phone numbers are masked in every output: reports, exports, logs, errors, repr."""

from __future__ import annotations

import io
import json
import logging
import re
from typing import Any

import pytest
from click.testing import CliRunner

import community_governance as cg
from community_governance import hookimpl
from community_governance.domain.idnumber import check_character, compose_id_number
from community_governance.errors import CgovError
from community_governance.masking import MaskingFilter, mask_text
from community_governance.services.registry import NewResident
from community_governance.testing.city import SmallCity, build_small_city

from .conftest import TODAY

pytestmark = pytest.mark.usefixtures("cli_as_system")  # writes name their actor

_ID_LIKE = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")
_MOBILE_LIKE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def leaks(text: str, city: SmallCity) -> list[str]:
    """Full ID numbers (any with a valid check character) and mobiles found in ``text``."""
    found = [m for m in _ID_LIKE.findall(text) if check_character(m[:17]) == m[17]]
    found += [n for n in city.id_numbers.values() if n in text]
    found += _MOBILE_LIKE.findall(text)
    return sorted(set(found))


@pytest.fixture
def scan(small_city: SmallCity) -> Any:
    def check(text: str, what: str) -> None:
        assert len(text) > 0, what
        assert leaks(text, small_city) == [], what
    return check


@pytest.mark.parametrize("text, masked", [
    ("身份证 411281195101010012 已登记", "身份证 4112**********0012 已登记"),
    ("id=41128119510101001x.", "id=4112**********001x."),
    ("411281 19510101 0012", "4112**********0012"),
    ("手机13912345678", "手机139****5678"),
    ("+86 139-1234-5678", "+86 139****5678"),
    ("+8613912345678", "+86139****5678"),
    ("旧证 411281510101001", "旧证 4112*******1001"),
])
def test_mask_text_hides_numbers(text: str, masked: str) -> None:
    """Masks 18- and 15-character ID numbers and mobiles, with or without separators."""
    assert mask_text(text) == masked


@pytest.mark.parametrize("text", [
    "411281001001-B0001-101", "411281001001-W02", "2026-06-15T02:00:00+00:00",
    "12345.67 元", "R0001", "amount_fen=1234567890", "P-SEC-411281001001",
])
def test_mask_text_leaves_codes_keys_and_amounts(text: str) -> None:
    """Leaves unit codes, keys, times and amounts alone."""
    assert mask_text(text) == text


def test_reports_and_lists_show_no_full_numbers(small_city: SmallCity, gov: Any,
                                               scan: Any) -> None:
    """Masks every number in the summary, lists, single reads and their repr."""
    for actor in (small_city.county_admin, cg.Actor.system("report"),
                  *small_city.secretary.values(), *small_city.grid_leader.values()):
        scan(json.dumps(gov.registry.summary(actor).as_dict(), ensure_ascii=False), "summary")
        residents = gov.registry.list_residents(actor)
        scan(repr(residents), "list_residents repr")
        scan(str([(r.id_number, r.phone, str(r.id_number)) for r in residents]), "fields")
        scan(repr(gov.registry.list_vulnerable(actor)), "list_vulnerable")
    admin = small_city.county_admin
    for rid in small_city.all_residents()[::5]:
        r = gov.registry.get_resident(admin, rid)
        scan(repr(r) + str(r.id_number) + repr(r.id_number) + str(r.phone), "get_resident")
        assert r.id_number is not None and not r.id_number.revealed


def test_revealed_reads_are_full_only_when_asked(small_city: SmallCity, gov: Any) -> None:
    """Shows the full number to an entitled reader who asks, and logs the read."""
    rid = small_city.all_residents()[0]
    r = gov.registry.get_resident(small_city.county_admin, rid, reveal=True,
                                  reason="低保复核 for " + small_city.id_numbers[rid])
    assert r.id_number is not None and r.id_number.number == small_city.id_numbers[rid]
    assert small_city.id_numbers[rid] not in repr(r)  # repr stays masked
    log = gov.audit.access(cg.Actor.system("t"))
    assert log[-1].target == f"resident {rid}"
    assert small_city.id_numbers[rid] not in log[-1].reason  # the reason is masked too
    assert "低保复核" in log[-1].reason


def test_every_exporter_masks(small_city: SmallCity, gov: Any, scan: Any) -> None:
    """Scans every exporter of community_governance.io in JSON and CSV for full numbers."""
    exporters = pytest.importorskip("community_governance.io.exporters")
    ran = 0
    for kind in sorted(exporters.EXPORTERS):
        for fmt in ("json", "csv"):
            for actor in (small_city.county_admin, cg.Actor.system("export")):
                buffer = io.StringIO()
                exporters.export(gov, kind, buffer, actor=actor, fmt=fmt)
                scan(buffer.getvalue(), f"export {kind} {fmt}")
                ran += 1
    assert ran >= 16


def test_error_messages_never_carry_a_full_number(small_city: SmallCity, gov: Any) -> None:
    """Masks ID numbers in validation, conflict, permission and lookup errors."""
    c = small_city.communities[0]
    good = compose_id_number("411281", TODAY.date().replace(year=1980), 5)
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    taken = small_city.id_numbers["R0001"]
    sec = small_city.secretary[c]
    attempts = [
        lambda: gov.registry.register_resident(sec, NewResident("甲", bad_check, f"{c}-B0001-101")),
        lambda: gov.registry.register_resident(sec, NewResident("乙", taken, f"{c}-B0001-101")),
        lambda: gov.registry.register_resident(sec, NewResident("丙", good, f"{c}-B0001-101",
                                                                phone="12345")),
        lambda: gov.registry.register_residents(sec, [
            NewResident("丁", good, f"{c}-B0001-101"), NewResident("戊", good, f"{c}-B0001-101")]),
        lambda: gov.registry.find_by_id_number(small_city.grid_leader[f"{c}-W01"],
                                               small_city.id_numbers["R0070"]),
        lambda: gov.registry.register_resident(small_city.grid_leader[f"{c}-W01"], NewResident(
            "己", good, f"{small_city.communities[2]}-B0001-101")),
        lambda: gov.privacy.correct(sec, "R0002", id_number=taken, reason="typo"),
        lambda: gov.privacy.correct(sec, "R0002", id_number=bad_check, reason="typo"),
        lambda: gov.privacy.correct(sec, "R0002", phone="139123456789012", reason="x"),
        lambda: cg.parse_id_number(good[:15], today=TODAY.date()),
    ]
    for i, attempt in enumerate(attempts):
        with pytest.raises(CgovError) as info:
            attempt()
        text = f"{info.value} {info.value!r} {info.value.args}"
        assert leaks(text, small_city) == [], (i, text)
        assert good not in text and bad_check not in text and good[:15] not in text, (i, text)


class LoudNotifier:
    """A notifier that fails with a personal number in its message."""

    @hookimpl
    def cgov_notify(self, event: str, payload: dict[str, Any]) -> None:
        raise RuntimeError("SMS gateway refused 13912345678 for 411281195101010012")


def test_log_records_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    """Masks numbers in the library's log records before any handler formats them."""
    with cg.open("memory://", plugins=[LoudNotifier()], entrypoints=False) as g:
        city = build_small_city(g)
        with caplog.at_level(logging.DEBUG):
            g.hooks.notify("case.escalated", {"case_id": "C1"})  # the notifier's error is logged
            logging.getLogger("community_governance.services.registry").warning(
                "checked %s and %s", city.id_numbers["R0001"], "13900000001",
                exc_info=ValueError(f"bad {city.id_numbers['R0002']}"))
    text = "\n".join(caplog.messages) + caplog.text
    assert "SMS gateway refused 139****5678 for 4112**********0012" in text
    assert "4112" in text and "****" in text
    assert leaks(text, city) == [] and "411281195101010012" not in text
    assert "13912345678" not in text


def test_the_filter_masks_extras_and_survives_bad_formats() -> None:
    """Masks extra fields and a record whose format string does not match its arguments."""
    record = logging.LogRecord("community_governance.x", logging.INFO, __file__, 1,
                               "a %s %s", ("411281195101010012",), None)
    record.phone = "13912345678"
    assert MaskingFilter().filter(record)
    assert "411281195101010012" not in record.getMessage()
    assert record.phone == "139****5678"


def test_cli_report_and_audit_show_no_full_numbers(tmp_path: Any, scan: Any) -> None:
    """Masks the JSON the report and audit commands print."""
    from community_governance.cli import _load, cli

    url = f"sqlite:///{tmp_path / 'c.db'}"
    with cg.open(url, entrypoints=False) as g:
        city = build_small_city(g)
        g.registry.get_resident(city.county_admin, "R0001", reveal=True,
                                reason="复核 " + city.id_numbers["R0001"])
    _load()
    runner = CliRunner()
    for args in (["report", "summary", "--db", url, "--json"],
                 ["audit", "log", "--db", url, "--json"],
                 ["audit", "access", "--db", url, "--json"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
        scan(result.output, " ".join(args[:2]))


def test_every_library_error_masks_its_message() -> None:
    """Masks numbers in any CgovError message and in ValidationError.reason."""
    from community_governance.errors import ConflictError, NotFound, ValidationError

    n = "411281195101010012"
    for exc in (ValidationError(f"bad {n}", path="$"), ConflictError(f"dup 13912345678 {n}"),
                NotFound("resident", n), cg.PermissionDenied("staff:S1", "x.y", f"resident {n}")):
        assert n not in str(exc) and n not in repr(exc) and "13912345678" not in str(exc)
    assert ValidationError(f"bad {n}").reason == "bad 4112**********0012"


def test_the_importer_reports_bad_rows_without_full_numbers(small_city: SmallCity, gov: Any,
                                                            tmp_path: Any) -> None:
    """Masks numbers in every row error of a rejected import file."""
    importers = pytest.importorskip("community_governance.io.importers")
    good = compose_id_number("411281", TODAY.date().replace(year=1985), 9)
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    taken = small_city.id_numbers["R0001"]
    hh = "411281001001-B0001-101"
    path = tmp_path / "residents.csv"
    path.write_text(
        "name,id_number,household_id,phone\n"
        f"甲,{bad_check},{hh},13900000001\n"
        f"乙,{taken},{hh},\n"
        f"丙,{good[:6] + good[8:17]},{hh},\n"
        f"丁,{good},{hh},1391234567890\n"
        f"戊,{good},{hh},\n", encoding="utf-8")
    with pytest.raises(cg.FileImportError) as info:
        importers.import_file(gov, "residents", path, actor=small_city.county_admin)
    texts = [str(info.value)] + [str(e) for e in info.value.errors]
    assert len(info.value.errors) >= 4
    for text in texts:
        assert leaks(text, small_city) == [], text
        for n in (good, bad_check, taken, good[:6] + good[8:17]):
            assert n not in text, text


def test_input_records_mask_their_repr() -> None:
    """Masks the numbers in the repr of the records callers build for the registry."""
    n = "411281195101010012"
    assert n not in repr(NewResident("甲", n, "h", phone="13912345678"))
    assert "13912345678" not in repr(cg.StaffMember("S", "乙", phone="13912345678"))


def test_an_error_about_a_unit_shows_the_units_code_only() -> None:
    """A grid code of sub-district 001 (411202001001001) looks like a legacy ID number: an
    error that names it as a unit shows it; a legacy ID number in the same message, or the
    same code in an error that does not name it, stays masked."""
    from community_governance.errors import ConflictError, ValidationError

    grid, legacy = "411202001001001", "411281510101001"
    err = ValidationError(f"grid {grid} is full; resident {legacy} waits", path="$.grid",
                          units=[grid])
    assert f"grid {grid} is full; resident 4112*******1001 waits @ $.grid" == str(err)
    assert f"grid {grid} is full; resident 4112*******1001 waits" == err.reason
    assert "grid 4112*******1001" in str(ConflictError(f"grid {grid}"))
    assert str(ConflictError(f"grid {grid}", units=[grid])) == f"grid {grid}"
    assert "4112*******1001" == mask_text(legacy, units=[grid])
