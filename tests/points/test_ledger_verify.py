"""Tamper evidence: hash chains over the journals, gov.verify() and cgov verify; SQLite's
durability default; expiry refuses future dates and handles each resident on its own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import community_governance
from community_governance import Actor, hookimpl
from community_governance.domain.chain import GENESIS, canonical, first_break, link
from community_governance.domain.funds import credit, debit
from community_governance.errors import ValidationError
from community_governance.testing.city import SmallCity, build_small_city

pytestmark = pytest.mark.usefixtures("cli_as_system")  # writes name their actor

SYSTEM = Actor.system("test")
NOW = pendulum.datetime(2026, 12, 2, 2)


# --- the pure chain ---------------------------------------------------------------------------


def test_canonical_encoding_is_fixed() -> None:
    """Sorted keys, Decimal as fen, UTC ISO times with a Z, dates ISO: the exact bytes."""
    when = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    got = canonical({"b": Decimal("12.30"), "a": when, "c": dt.date(2026, 1, 2), "d": None})
    assert got == (b'{"a":"2026-12-02T02:00:00.000000Z","b":1230,"c":"2026-01-02",'
                   b'"d":null}')
    with pytest.raises(ValueError, match="fen"):
        canonical({"x": Decimal("0.001")})
    with pytest.raises(ValueError, match="timezone-aware"):
        canonical({"x": dt.datetime(2026, 1, 1)})
    import hashlib

    assert link(GENESIS, {"a": 1}) == hashlib.sha256(b'\n{"a":1}').hexdigest()


def test_canonical_fast_path_gives_the_general_encoding() -> None:
    """The flat fast path for scalar row values gives the bytes of the general encoding, for
    every kind of value a journal row holds (bools, enums, pendulum times, nested lists)."""
    import enum
    import json

    from community_governance.domain.chain import _plain

    class Kind(enum.StrEnum):
        EARN = "earn"

    when = pendulum.datetime(2026, 12, 2, 10, tz="Asia/Shanghai")
    row = {"s": "积分", "i": -5, "b": True, "n": None, "t": when, "u": when.in_tz("UTC"),
           "d": dt.date(2026, 1, 2), "p": pendulum.date(2026, 3, 4), "e": Kind.EARN,
           "f": Decimal("1.50"), "l": [1, when], 3: "int key"}
    general = json.dumps(_plain(row), sort_keys=True, ensure_ascii=False,
                         separators=(",", ":")).encode()
    assert canonical(row) == general
    for zone in ("Asia/Shanghai", "America/New_York", "UTC", "Australia/Lord_Howe"):
        for when in (pendulum.datetime(2026, 3, 8, 6, 30, 0, 123456, tz=zone),
                     pendulum.datetime(2026, 11, 1, 1, 30, tz=zone, fold=1),
                     dt.datetime(1999, 12, 31, 23, 59, 59, 999999,
                                 tzinfo=dt.timezone(dt.timedelta(hours=-3, minutes=-30)))):
            assert canonical({"t": when}) == json.dumps(_plain({"t": when}), separators=(
                ",", ":")).encode()


def test_first_break_names_the_changed_row_and_a_lost_tail() -> None:
    """A chain of three: intact; one field changed; the head beyond the last row."""
    rows = [{"n": i} for i in range(3)]
    hashes, prev = [], GENESIS
    for r in rows:
        prev = link(prev, r)
        hashes.append(prev)
    good = list(zip(range(3), hashes, rows, strict=True))
    assert first_break("t", "c", good, head=hashes[-1]) is None
    bad = [*good[:1], (1, hashes[1], {"n": 99}), good[2]]
    got = first_break("t", "c", bad)
    assert got is not None and (got.table, got.row_id) == ("t", 1)
    cut = first_break("t", "c", good[:2], head=hashes[-1])
    assert cut is not None and cut.row_id == 1 and "removed" in cut.detail
    assert first_break("t", "c", [(0, None, rows[0])]) is not None


# --- the stored ledgers -----------------------------------------------------------------------


def _busy(gov: Any, city: SmallCity) -> dict[str, Any]:
    """A bit of everything: points, a supermarket item, funds, a case."""
    a, b = city.all_residents()[:2]
    c = city.communities[0]
    office = city.secretary[c]
    e1 = gov.points.earn(SYSTEM, a, 30, key="e1")
    gov.points.earn(office, b, 20, key="e2")
    gov.points.redeem(SYSTEM, a, 5, key="r1")
    item = gov.supermarket.add_item(office, c, "香皂", 5, stock=4)
    gov.supermarket.redeem(SYSTEM, a, item.id, 1, key="s1")
    tx = gov.funds.post(SYSTEM, c, [debit("1002", "500.00"), credit("4101", "500.00")],
                        channel="city_allocation", voucher="BK-1", on=dt.date(2026, 11, 30))
    case = gov.cases.report(SYSTEM, category="repair", building_code=city.buildings[c][0],
                            description="门禁坏了")
    gov.cases.assign(SYSTEM, case.id, city.staff[c].id)
    return {"a": a, "b": b, "entry": e1, "tx": tx, "case": case}


def _raw(gov: Any, *sql: str) -> None:
    with gov.store.engine.begin() as conn:
        for stmt in sql:
            conn.execute(sa.text(stmt))


def test_verify_passes_on_an_honest_database(gov: Any, small_city: SmallCity) -> None:
    """Every table checked, every chain whole, nothing unchained in a new database."""
    _busy(gov, small_city)
    report = gov.verify()
    assert report.ok, report.breaks
    assert report.rows["points_entries"] == 4 and report.chains["points_entries"] == 2
    assert report.chains["funds_transactions"] == 1
    assert report.rows["case_transitions"] == 2 and report.chains["case_transitions"] == 1
    assert report.rows["audit_log"] > 10 and set(report.unchained.values()) == {0}
    assert len([h for h in report.heads if h.startswith("points:")]) == 2


def test_raw_update_of_a_balance_is_named(gov: Any, small_city: SmallCity) -> None:
    """A raw UPDATE of a balance row: verify fails naming points_balances and the resident."""
    got = _busy(gov, small_city)
    _raw(gov, f"UPDATE points_balances SET balance = balance + 100 WHERE resident_id = "
              f"'{got['a']}'")
    report = gov.verify()
    assert not report.ok
    assert report.first is not None
    assert (report.first.table, report.first.row_id) == ("points_balances", got["a"])
    assert "balance 120 but the journal sums to 20" in report.first.detail


def test_raw_update_of_stock_is_named(gov: Any, small_city: SmallCity) -> None:
    """A raw UPDATE of a supermarket item's stock: verify names the item."""
    _busy(gov, small_city)
    _raw(gov, "UPDATE supermarket_items SET stock = 99")
    report = gov.verify()
    assert [(b.table, "moves sum to 3" in b.detail) for b in report.breaks] == [
        ("supermarket_items", True)]


def test_journal_row_changed_with_triggers_dropped(gov: Any, small_city: SmallCity) -> None:
    """With the append-only triggers dropped, a changed journal row breaks its chain there."""
    got = _busy(gov, small_city)
    eid = got["entry"].id
    _raw(gov, "DROP TRIGGER points_entries_no_update",
         f"UPDATE points_entries SET reason = 'forged' WHERE id = {eid}")
    report = gov.verify()
    chain = [b for b in report.breaks if b.table == "points_entries"]
    assert [(b.row_id, b.chain) for b in chain] == [(eid, got["a"])]
    assert "stored hash" in chain[0].detail


def test_forged_amount_and_balance_together_still_break_the_chain(
        gov: Any, small_city: SmallCity) -> None:
    """Changing an entry's amount, its balance_after and the balance so that every sum agrees
    is still caught: the hash no longer matches."""
    got = _busy(gov, small_city)
    b = got["b"]
    _raw(gov, "DROP TRIGGER points_entries_no_update",
         f"UPDATE points_entries SET amount = 2000, balance_after = 2000 WHERE resident_id = "
         f"'{b}'", f"UPDATE points_balances SET balance = 2000 WHERE resident_id = '{b}'")
    report = gov.verify()
    assert [(x.table, x.chain) for x in report.breaks] == [("points_entries", b)]


def test_removed_last_entry_is_caught_by_the_head(gov: Any, small_city: SmallCity) -> None:
    """Deleting a resident's last entry (and fixing the balance) leaves the head pointing
    past the journal."""
    got = _busy(gov, small_city)
    b = got["b"]
    _raw(gov, "DROP TRIGGER points_entries_no_delete",
         f"DELETE FROM points_entries WHERE resident_id = '{b}'",
         f"UPDATE points_balances SET balance = 0 WHERE resident_id = '{b}'")
    report = gov.verify()
    assert [(x.table, x.chain, "has no journal rows" in x.detail)
            for x in report.breaks] == [("points_entries", b, True)]


def test_funds_case_and_audit_rows_changed(gov: Any, small_city: SmallCity) -> None:
    """A changed posting, case transition or audit row is named with its table and row."""
    got = _busy(gov, small_city)
    tid = got["tx"].id
    _raw(gov, "DROP TRIGGER funds_postings_no_update",
         f"UPDATE funds_postings SET amount_fen = 1 WHERE transaction_id = {tid} AND line = 0",
         "DROP TRIGGER case_transitions_no_update",
         f"UPDATE case_transitions SET note = 'x' WHERE case_id = '{got['case'].id}' "
         "AND seq = 2",
         "DROP TRIGGER audit_log_no_update",
         "UPDATE audit_log SET operation = 'forged' WHERE id = 3")
    report = gov.verify()
    named = {(x.table, x.row_id) for x in report.breaks}
    assert ("funds_postings", tid) in named and ("funds_transactions", tid) in named
    with gov.store.engine.connect() as conn:
        step2 = conn.execute(sa.text(
            f"SELECT id FROM case_transitions WHERE case_id = '{got['case'].id}' AND seq = 2"
        )).scalar_one()
    assert ("case_transitions", step2) in named
    assert ("audit_log", 3) in named


def test_cli_verify_exit_codes(tmp_path: Path) -> None:
    """cgov verify: exit 0 on a good database, 1 naming the row after a raw UPDATE."""
    from community_governance.cli._all import cli

    url = f"sqlite:///{tmp_path / 'v.db'}"
    with community_governance.open(url, entrypoints=False) as gov:
        got = _busy(gov, build_small_city(gov))
    run = CliRunner().invoke
    out = run(cli, ["verify", "--db", url])
    assert out.exit_code == 0, out.output
    assert "verify: OK" in out.output
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE points_balances SET balance = 1 WHERE resident_id = "
                             f"'{got['b']}'"))
    engine.dispose()
    out = run(cli, ["verify", "--db", url, "--json"])
    assert out.exit_code == 1
    assert f'"row": "{got["b"]}"' in out.output and '"table": "points_balances"' in out.output


def test_verify_is_for_system_jobs(gov: Any, small_city: SmallCity) -> None:
    """A person cannot run verify (it reads every row)."""
    from community_governance.errors import PermissionDenied

    with pytest.raises(PermissionDenied, match="system job"):
        gov.audit.verify(small_city.county_admin)


@pytest.mark.parametrize("query,expected", [("", 2), ("?synchronous=NORMAL", 1),
                                            ("?synchronous=full", 2)])
def test_sqlite_synchronous_defaults_to_full(tmp_path: Path, query: str,
                                             expected: int) -> None:
    """An acknowledged write survives power loss by default (FULL = 2); NORMAL on request."""
    with community_governance.open(f"sqlite:///{tmp_path / 's.db'}{query}",
                                   entrypoints=False) as gov, gov.store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == expected


# --- expiry -----------------------------------------------------------------------------------


@pytest.mark.parametrize("county_plugin", [False, True])
def test_expiry_in_the_future_is_refused(small_city: SmallCity, county_plugin: bool) -> None:
    """Tomorrow (county date) is refused naming the rule; today is accepted; also when a
    county (湖滨区 411202's 12-month rule) answers the validity."""

    class Hubin:
        @hookimpl
        def cgov_points_expiry_months(self, community_code: str | None) -> int | None:
            return 12 if community_code and community_code.startswith("411202") else None

    with community_governance.open("memory://", [Hubin()] if county_plugin else [],
                                   entrypoints=False, clock=lambda: NOW) as gov:
        build_small_city(gov)
        today = NOW.in_timezone("Asia/Shanghai").date()
        with pytest.raises(ValidationError, match=r"in the future.*on or after"):
            gov.points.expire(SYSTEM, as_of=today + dt.timedelta(days=1))
        with pytest.raises(ValidationError, match="in the future"):
            gov.points.expire(SYSTEM, as_of=today + dt.timedelta(days=1),
                              community="411202001001")
        run = gov.points.expire(SYSTEM, as_of=today)
        assert run == [] and run.ok


def test_expiry_handles_each_resident_on_its_own(small_city: SmallCity) -> None:
    """One resident's failure is reported with its id; the others expire; run.ok is False."""
    now = [pendulum.datetime(2024, 1, 10, 4)]
    with community_governance.open("memory://", entrypoints=False,
                                   clock=lambda: now[0]) as gov:
        city = build_small_city(gov)
        a, b, c = city.all_residents()[:3]
        for rid in (a, b, c):
            gov.points.earn(SYSTEM, rid, 10, key=f"old-{rid}")
        now[0] = pendulum.datetime(2026, 3, 1, 4)
        # b's expiry entry key is taken by a different request: b fails, a and c go on
        gov.points.earn(SYSTEM, b, 1, key=f"expire:2026-03-01:{b}")
        run = gov.points.expire(SYSTEM, as_of=dt.date(2026, 3, 1))
        assert sorted(e.resident_id for e in run) == sorted([a, c])
        assert list(run.failed) == [b] and not run.ok
        assert "different request" in run.failed[b]
        assert gov.points.balance(SYSTEM, a) == 0 and gov.points.balance(SYSTEM, b) == 11
        assert gov.verify().ok


def test_cli_expire_reports_failures_with_exit_1(tmp_path: Path) -> None:
    """cgov points expire: a failed resident is named and the exit status is 1; a date in
    the future is refused."""
    from community_governance.cli._all import cli

    url = f"sqlite:///{tmp_path / 'x.db'}"
    with community_governance.open(url, entrypoints=False,
                                   clock=lambda: pendulum.datetime(2024, 1, 10, 4)) as gov:
        a, b = build_small_city(gov).all_residents()[:2]
        gov.points.earn(SYSTEM, a, 10, key="old-a")
        gov.points.earn(SYSTEM, b, 10, key="old-b")
        gov.points.earn(SYSTEM, b, 1, key=f"expire:2026-03-01:{b}")
    run = CliRunner().invoke
    out = run(cli, ["points", "expire", "--db", url, "--as-of", "2099-01-01"])
    assert out.exit_code != 0 and "in the future" in out.output
    out = run(cli, ["points", "expire", "--db", url, "--as-of", "2026-03-01"])
    assert out.exit_code == 1
    assert f'"{b}": "idempotency key' in out.output and '"amount": -10' in out.output
