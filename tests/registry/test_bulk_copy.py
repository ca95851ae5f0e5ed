"""Bulk registration on PostgreSQL goes through COPY and stores what the SQLite path stores."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import community_governance
from community_governance.domain.access import Actor
from community_governance.domain.idnumber import compose_id_number
from community_governance.domain.people import Household, Relation
from community_governance.domain.units import Building, Unit, UnitKind
from community_governance.errors import ConflictError
from community_governance.services.registry import NewResident
from community_governance.storage.repos import bulk
from community_governance.storage.sql import engine_for_url
from community_governance.storage.tables import core as t
from community_governance.storage.tables._base import UTCDateTime

SYSTEM = Actor.system("test")
C1 = "411281001001"
HOUSEHOLDS = 120  # at least bulk.COPY_MIN_ROWS, so households are copied too
RESIDENTS = 300


def _clock() -> pendulum.DateTime:
    return pendulum.datetime(2024, 3, 1, 9, 30, tz="Asia/Shanghai")


def _household(n: int) -> str:
    return f"{C1}-B0001-{n:03d}"


def _new(n: int, **kw: Any) -> NewResident:
    fields: dict[str, Any] = {
        "name": f"居民{n}",
        "id_number": compose_id_number("411281", dt.date(1950 + n % 50, 1 + n % 12,
                                                         1 + n % 28), n % 1000),
        "household_id": _household(n % HOUSEHOLDS),
        "relation": Relation.HEAD if n < HOUSEHOLDS else Relation.CHILD,
        "phone": f"139{n:08d}" if n % 3 else None,
        "vulnerabilities": ("elderly_alone",) if n % 7 == 0 else (),
        "party_member": n % 5 == 0,
        "id": f"R{n:05d}",
        "moved_in": dt.date(2020, 1, 1) if n % 2 else None,
    }
    fields.update(kw)
    return NewResident(**fields)


def _build(url: str) -> list[dict[str, Any]]:
    """The base, the households and a batch of residents on ``url``; the stored rows."""
    with community_governance.open(url, entrypoints=False, clock=_clock) as gov:
        _base(gov)
        gov.registry.register_residents(SYSTEM, [_new(n) for n in range(RESIDENTS)])
        return _rows(gov)


def _base(gov: Any) -> None:
    """The units, the building and the households, without residents."""
    reg = gov.registry
    reg.add_units(SYSTEM, [
        Unit("411281", UnitKind.COUNTY, "义马市"),
        Unit("411281001", UnitKind.SUBDISTRICT, "千秋路办事处", "411281"),
        Unit(C1, UnitKind.COMMUNITY, "连银社区", "411281001"),
    ])
    reg.add_buildings(SYSTEM, [Building(f"{C1}-B0001", "1号楼", C1)])
    reg.add_households(SYSTEM, [Household(_household(n), f"{C1}-B0001", f"{n:03d}")
                                for n in range(HOUSEHOLDS)])


def _rows(gov: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    with gov.store.unit_of_work(write=False) as uow:
        conn = uow.conn
        for table, order in ((t.households, t.households.c.id),
                             (t.residents, t.residents.c.id),
                             (t.residence_spells, t.residence_spells.c.resident_id)):
            cols = [c for c in table.c if c.name != "id" or table is not t.residence_spells]
            out += [{"table": table.name, **r._asdict()}
                    for r in conn.execute(sa.select(*cols).order_by(order))]
        out += [{"table": "audit_log", "operation": r.operation, "objects": r.objects}
                for r in conn.execute(sa.select(t.audit_log.c.operation, t.audit_log.c.objects)
                                      .order_by(t.audit_log.c.id))]
    return out


def _count(gov: Any, table: sa.Table) -> int:
    with gov.store.unit_of_work(write=False) as uow:
        return int(uow.conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tables written (or, when it failed, being written) through COPY in the test (every
    COPY, whether by ``copy_insert`` or by a :class:`~bulk.CopyWorker`, goes through
    ``bulk._send``)."""
    seen: list[str] = []
    real = bulk._send

    def spy(conn: sa.Connection, sql: str, data: Any) -> None:
        name = sql.split()[1].strip('"')
        try:
            real(conn, sql, data)
        except sa.exc.IntegrityError:
            seen.append(f"{name} (failed)")
            raise
        if name not in seen:
            seen.append(name)

    monkeypatch.setattr(bulk, "_send", spy)
    return seen


def test_copy_stores_the_rows_of_the_sqlite_path(postgres_url: str, tmp_path: Path,
                                                 copies: list[str]) -> None:
    """Households, residents and residence records copied on PostgreSQL equal SQLite's rows,
    and the audit trail has the same operations and objects."""
    on_pg = _build(postgres_url)
    # every batch of two rows or more (the three units too; the one building is inserted)
    assert set(copies) == {"units", "households", "residents", "residence_spells"}
    copies.clear()
    on_sqlite = _build(f"sqlite:///{tmp_path / 'same.db'}")
    assert copies == []
    assert len(on_pg) == HOUSEHOLDS + 2 * RESIDENTS + 4
    assert on_pg == on_sqlite


def test_an_error_mid_batch_writes_nothing(postgres_url: str, copies: list[str]) -> None:
    """A key already taken, 200 rows into a copied batch, is refused and none of the batch
    (residents, residence records, audit row) is kept."""
    with community_governance.open(postgres_url, entrypoints=False, clock=_clock) as gov:
        reg = gov.registry
        reg.add_units(SYSTEM, [
            Unit("411281", UnitKind.COUNTY, "义马市"),
            Unit("411281001", UnitKind.SUBDISTRICT, "千秋路办事处", "411281"),
            Unit(C1, UnitKind.COMMUNITY, "连银社区", "411281001"),
        ])
        reg.add_buildings(SYSTEM, [Building(f"{C1}-B0001", "1号楼", C1)])
        reg.add_households(SYSTEM, [Household(_household(n), f"{C1}-B0001", f"{n:03d}")
                                    for n in range(HOUSEHOLDS)])
        reg.register_residents(SYSTEM, [_new(n) for n in range(100)])
        before = (_count(gov, t.residents), _count(gov, t.residence_spells),
                  _count(gov, t.audit_log))
        batch = [_new(n) for n in range(100, 400)]
        # a new ID number under a key registered already: only the database can tell
        batch[200] = _new(9999, id="R00007")
        copies.clear()
        with pytest.raises(ConflictError, match="registered already"):
            reg.register_residents(SYSTEM, batch)
        assert copies == ["residents (failed)"]
        assert (_count(gov, t.residents), _count(gov, t.residence_spells),
                _count(gov, t.audit_log)) == before
        # the store is usable afterwards, and the batch without the clash goes in
        del batch[200]
        reg.register_residents(SYSTEM, batch)
        assert _count(gov, t.residents) == 399


def test_copy_insert_failure_rolls_back_with_the_transaction(postgres_url: str) -> None:
    """A row breaking a foreign key mid-COPY raises IntegrityError and leaves nothing."""
    with community_governance.open(postgres_url, entrypoints=False) as gov:
        rows = [{"code": f"4112810{n:05d}", "kind": "county", "name": f"u{n}",
                 "parent_code": None} for n in range(100)]
        rows[50]["parent_code"] = "nowhere"
        with pytest.raises(sa.exc.IntegrityError), gov.store.unit_of_work(write=True) as uow:
            assert bulk.copy_insert(uow.conn, t.units, rows)
        assert _count(gov, t.units) == 0


def test_copy_declines_what_it_cannot_write_alike(postgres_url: str) -> None:
    """Rows with different keys are left to the INSERT (COPY would not fill in the same)."""
    with community_governance.open(postgres_url, entrypoints=False) as gov, \
            gov.store.unit_of_work(write=True) as uow:
        rows = [{"code": "411281", "kind": "county", "name": "义马市"},
                {"code": "411282", "kind": "county", "name": "x", "parent_code": None}]
        assert bulk.copy_insert(uow.conn, t.units, rows) is False


def test_streamed_batches_store_the_rows_of_the_sqlite_path(
        postgres_url: str, tmp_path: Path, copies: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Residents copied in several batches while they are checked (a background worker)
    store what SQLite stores."""
    from community_governance.services.registry import residents as mod

    monkeypatch.setattr(mod, "_STREAM_BATCH", 70)  # 300 residents: five copies of each table
    on_pg = _build(postgres_url)
    assert {"residents", "residence_spells"} <= set(copies)
    assert on_pg == _build(f"sqlite:///{tmp_path / 'same.db'}")


def test_a_refusal_after_streamed_batches_writes_nothing(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An invalid ID number found after two batches were copied: the error is the check's,
    nothing of the batch stays, and the store is usable afterwards."""
    from community_governance.errors import IdNumberError
    from community_governance.services.registry import residents as mod

    monkeypatch.setattr(mod, "_STREAM_BATCH", 100)
    with community_governance.open(postgres_url, entrypoints=False, clock=_clock) as gov:
        reg = gov.registry
        reg.add_units(SYSTEM, [
            Unit("411281", UnitKind.COUNTY, "义马市"),
            Unit("411281001", UnitKind.SUBDISTRICT, "千秋路办事处", "411281"),
            Unit(C1, UnitKind.COMMUNITY, "连银社区", "411281001"),
        ])
        reg.add_buildings(SYSTEM, [Building(f"{C1}-B0001", "1号楼", C1)])
        reg.add_households(SYSTEM, [Household(_household(n), f"{C1}-B0001", f"{n:03d}")
                                    for n in range(HOUSEHOLDS)])
        before = (_count(gov, t.residents), _count(gov, t.residence_spells),
                  _count(gov, t.audit_log))
        batch = [_new(n) for n in range(RESIDENTS)]
        batch[250] = _new(250, id_number="411281195001010011")  # a wrong check character
        with pytest.raises(IdNumberError, match=r"\$\[250\]"):
            reg.register_residents(SYSTEM, batch)
        assert (_count(gov, t.residents), _count(gov, t.residence_spells),
                _count(gov, t.audit_log)) == before
        del batch[250]
        assert len(reg.register_residents(SYSTEM, batch)) == RESIDENTS - 1
        assert _count(gov, t.residence_spells) == RESIDENTS - 1


def test_copy_worker_writes_text_as_given(postgres_url: str) -> None:
    """Tabs, newlines, backslashes and the NULL marker's text survive the worker's encoding;
    a failed batch raises at close and stops the later ones."""
    names = ["a\tb", "c\nd", "e\\f", "\\N", "g\rh", "义马", ""]
    rows = [{"code": f"41128100{n:04d}", "kind": "county", "name": name, "parent_code": None}
            for n, name in enumerate(names)]
    with community_governance.open(postgres_url, entrypoints=False) as gov:
        with gov.store.unit_of_work(write=True) as uow:
            with bulk.CopyWorker(uow.conn) as worker:
                worker.submit(t.units, list(rows[0]), rows)
            uow.commit()
        with gov.store.unit_of_work(write=False) as uow:
            got = dict(uow.conn.execute(sa.select(t.units.c.code, t.units.c.name)).all())
        assert got == {r["code"]: r["name"] for r in rows}
        bad = [{"code": "411281009999", "kind": "county", "name": "x", "parent_code": "none"}]
        later = [{"code": "411281008888", "kind": "county", "name": "y", "parent_code": None}]
        with pytest.raises(sa.exc.IntegrityError), \
                gov.store.unit_of_work(write=True) as uow, \
                bulk.CopyWorker(uow.conn) as worker:
            worker.submit(t.units, list(bad[0]), bad)
            worker.submit(t.units, list(later[0]), later)
        assert _count(gov, t.units) == len(names)


# --- foreign keys dropped for a large load and re-added after it -------------------------

def _fkeys(gov: Any) -> list[tuple[str, str, str]]:
    """The foreign keys of the residents' and residence records' tables, as stored."""
    with gov.store.unit_of_work(write=False) as uow:
        return [tuple(r) for r in uow.conn.exec_driver_sql(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid IN "
            "('residents'::regclass, 'residence_spells'::regclass) ORDER BY 1, 2")]


@pytest.fixture
def rebuilt(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Loads of 50 rows or more rebuild the foreign keys; the answers of each load."""
    monkeypatch.setattr(bulk, "FK_REBUILD_MIN_ROWS", 50)
    answers: list[bool] = []
    real = bulk.foreign_keys_rebuilt

    @contextlib.contextmanager
    def spy(conn: sa.Connection, tables: Any, rows: int) -> Iterator[bool]:
        with real(conn, tables, rows) as dropped:
            answers.append(dropped)
            yield dropped

    from community_governance.services.registry import residents as mod

    monkeypatch.setattr(mod, "foreign_keys_rebuilt", spy)
    return answers


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "inserted"])
def test_a_load_with_keys_rebuilt_stores_the_rows_of_the_sqlite_path(
        postgres_url: str, tmp_path: Path, rebuilt: list[bool], stream: bool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A large load drops the residents' foreign keys, copies, and re-adds them: the same
    rows as SQLite's, and the same keys afterwards (names and definitions)."""
    from community_governance.services.registry import residents as mod

    if not stream:  # the COPY-as-a-whole path (as for an actor who is not the system)
        monkeypatch.setattr(mod, "can_stream_copy", lambda *a: False)
    monkeypatch.setattr(mod, "_STREAM_BATCH", 70)
    with community_governance.open(postgres_url, entrypoints=False) as gov:
        keys = _fkeys(gov)
    assert len(keys) == 3
    on_pg = _build(postgres_url)
    assert rebuilt == [True]
    with community_governance.open(postgres_url, entrypoints=False) as gov:
        assert _fkeys(gov) == keys
    assert on_pg == _build(f"sqlite:///{tmp_path / 'same.db'}")


def test_keys_are_rebuilt_only_for_a_large_share_of_the_table(
        postgres_url: str, rebuilt: list[bool]) -> None:
    """A load that adds less than FK_REBUILD_SHARE of the rows the tables will hold keeps
    the keys (re-adding one checks the whole table); a load large enough drops them."""
    _build(postgres_url)  # 300 residents: rebuilt
    with community_governance.open(postgres_url, entrypoints=False, clock=_clock) as gov:
        gov.registry.register_residents(SYSTEM, [_new(n) for n in range(300, 360)])
        with gov.store.unit_of_work(write=True) as uow, \
                bulk.foreign_keys_rebuilt(uow.conn, mod_tables(), 10**6) as big:
            assert big
    assert rebuilt == [True, False]


def mod_tables() -> tuple[sa.Table, ...]:
    """The tables a registration loads."""
    return (t.residents, t.residence_spells)


def test_sqlite_never_drops_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite keeps its keys whatever the size of the load."""
    monkeypatch.setattr(bulk, "FK_REBUILD_MIN_ROWS", 1)
    with community_governance.open(f"sqlite:///{tmp_path / 'x.db'}", entrypoints=False) as gov, \
            gov.store.unit_of_work(write=True) as uow, \
            bulk.foreign_keys_rebuilt(uow.conn, mod_tables(), 10**6) as dropped:
        assert dropped is False


def test_a_refusal_with_keys_dropped_writes_nothing_and_restores_them(
        postgres_url: str, rebuilt: list[bool], monkeypatch: pytest.MonkeyPatch) -> None:
    """A clash only the database sees (a key taken), and an invalid ID number found after
    batches were copied, in a load whose keys were dropped: the service's error, nothing of
    the batch stays, the keys are back, and the store takes the clean batch afterwards."""
    from community_governance.errors import IdNumberError
    from community_governance.services.registry import residents as mod

    monkeypatch.setattr(mod, "_STREAM_BATCH", 100)
    with community_governance.open(postgres_url, entrypoints=False, clock=_clock) as gov:
        keys = _fkeys(gov)
        reg = gov.registry
        reg.add_units(SYSTEM, [
            Unit("411281", UnitKind.COUNTY, "义马市"),
            Unit("411281001", UnitKind.SUBDISTRICT, "千秋路办事处", "411281"),
            Unit(C1, UnitKind.COMMUNITY, "连银社区", "411281001"),
        ])
        reg.add_buildings(SYSTEM, [Building(f"{C1}-B0001", "1号楼", C1)])
        reg.add_households(SYSTEM, [Household(_household(n), f"{C1}-B0001", f"{n:03d}")
                                    for n in range(HOUSEHOLDS)])
        reg.register_residents(SYSTEM, [_new(n) for n in range(100)])
        before = (_count(gov, t.residents), _count(gov, t.residence_spells),
                  _count(gov, t.audit_log))
        batch = [_new(n) for n in range(100, 400)]
        batch[250] = _new(9999, id="R00007")  # a key registered already
        with pytest.raises(ConflictError, match="registered already"):
            reg.register_residents(SYSTEM, batch)
        batch[250] = _new(350, id_number="411281195001010011")  # a wrong check character
        with pytest.raises(IdNumberError, match=r"\$\[250\]"):
            reg.register_residents(SYSTEM, batch)
        assert rebuilt == [True, True, True]
        assert (_count(gov, t.residents), _count(gov, t.residence_spells),
                _count(gov, t.audit_log)) == before
        assert _fkeys(gov) == keys
        del batch[250]
        assert len(reg.register_residents(SYSTEM, batch)) == 299
        assert _fkeys(gov) == keys


def test_a_row_breaking_a_dropped_key_is_refused_when_it_is_re_added(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A residence record of a resident who does not exist, written while the keys are
    dropped: the re-add raises IntegrityError and rolls the load back, keys included."""
    monkeypatch.setattr(bulk, "FK_REBUILD_MIN_ROWS", 1)
    with community_governance.open(postgres_url, entrypoints=False) as gov:
        keys = _fkeys(gov)
        with pytest.raises(sa.exc.IntegrityError, match="ADD CONSTRAINT"), \
                gov.store.unit_of_work(write=True) as uow, \
                bulk.foreign_keys_rebuilt(uow.conn, mod_tables(), 100) as dropped:
            assert dropped
            uow.conn.execute(t.residence_spells.insert(), [
                {"resident_id": "nobody", "household_id": "nowhere",
                 "start": dt.date(2020, 1, 1), "end": None}])
        assert _fkeys(gov) == keys
        assert _count(gov, t.residence_spells) == 0


def test_the_locks_held_while_keys_are_dropped(postgres_url: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """What docs/storage-backends.md says: ACCESS EXCLUSIVE on the loaded tables and on the
    tables their keys refer to, until the transaction ends."""
    monkeypatch.setattr(bulk, "FK_REBUILD_MIN_ROWS", 1)
    with community_governance.open(postgres_url, entrypoints=False) as gov, \
            gov.store.unit_of_work(write=True) as uow, \
            bulk.foreign_keys_rebuilt(uow.conn, mod_tables(), 100):
        held = {r[0]: r[1] for r in uow.conn.exec_driver_sql(
            "SELECT c.relname, string_agg(l.mode, ',') FROM pg_locks l "
            "JOIN pg_class c ON c.oid = l.relation WHERE l.pid = pg_backend_pid() "
            "AND c.relname IN ('residents', 'residence_spells', 'households') "
            "GROUP BY c.relname")}
    assert set(held) == {"residents", "residence_spells", "households"}
    assert all("AccessExclusiveLock" in modes for modes in held.values())


# --- the COPY text written a column at a time ----------------------------------------------

_SCRATCH = sa.MetaData()
_KINDS = sa.Table(
    "copy_kinds", _SCRATCH,
    sa.Column("n", sa.Integer, primary_key=True),
    sa.Column("text", sa.String(200)),
    sa.Column("note", sa.Text),
    sa.Column("big", sa.BigInteger),
    sa.Column("flag", sa.Boolean),
    sa.Column("day", sa.Date),
    sa.Column("at", UTCDateTime),
    sa.Column("ratio", sa.Float),
    sa.Column("amount", sa.Numeric(12, 2)),
)
_TEXT = st.text(st.sampled_from(["a", "N", "\\", "\t", "\n", "\r", "义", "马", " ", "\u00e9",
                                 "\U0001f600"]), max_size=8)
_ROW = st.fixed_dictionaries({
    "text": st.none() | _TEXT,
    "note": st.none() | _TEXT | st.sampled_from(["\\N", "\\.", ""]),
    "big": st.none() | st.integers(-2**63, 2**63 - 1),
    "flag": st.none() | st.booleans(),
    "day": st.none() | st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    "at": st.none() | st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1),
                                   timezones=st.sampled_from([dt.UTC, dt.timezone(
                                       dt.timedelta(hours=8))])),
    "ratio": st.none() | st.floats(allow_nan=False, width=64),
    "amount": st.none() | st.decimals(-10**9, 10**9, places=2),
})


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(_ROW, min_size=1, max_size=30), decimals=st.booleans())
def test_copied_values_read_back_as_inserted(postgres_url: str, rows: list[dict[str, Any]],
                                             decimals: bool) -> None:
    """Each kind of value (text with COPY's special characters, whole numbers, flags, dates,
    timestamps, floats; decimals, which psycopg adapts instead) reads back from a COPY as it
    does from an ``INSERT``."""
    numbered = [{"n": i, **r} if decimals else {"n": i, **r, "amount": None}
                for i, r in enumerate(rows)]
    engine = engine_for_url(postgres_url)
    try:
        with engine.connect() as conn, conn.begin() as tx:
            got = []
            for copied in (True, False):
                _SCRATCH.create_all(conn)
                if copied:
                    assert bulk.copy_insert(conn, _KINDS, numbered)
                else:
                    conn.execute(_KINDS.insert(), numbered)
                got.append(conn.execute(sa.select(_KINDS).order_by(_KINDS.c.n)).all())
                _SCRATCH.drop_all(conn)
            tx.rollback()
    finally:
        engine.dispose()
    assert got[0] == got[1]
    assert [r.text for r in got[0]] == [r["text"] for r in rows]


def test_a_column_of_mixed_types_is_left_to_psycopg() -> None:
    """A column whose values are of several types (or of a type not written here) is not
    encoded; one of a single type is, ``None`` as COPY's NULL marker."""
    assert bulk._encoded_columns([[1, "a"]], "utf-8") is None
    assert bulk._encoded_columns([[Decimal("1.5")]], "utf-8") is None
    assert bulk._encoded_columns([[dt.datetime(2024, 1, 1, tzinfo=dt.UTC)]], "utf-8") is None
    assert bulk._encoded_columns([["a\tb", None], [True, False], [None, 3]], "utf-8") == (
        b"a\\tb\tt\t\\N\n\\N\tf\t3\n")


def _believed(conn: sa.Connection, table: sa.Table) -> float:
    """What the planner believes ``table`` holds (``-1``: never analyzed)."""
    return float(conn.exec_driver_sql(
        "SELECT reltuples FROM pg_class WHERE oid = %(t)s::regclass",
        {"t": table.name}).scalar_one())


def test_a_large_load_is_analyzed_for_the_planner(postgres_url: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A load of at least ANALYZE_MIN_ROWS rows that is a large share of the table is followed
    by ANALYZE (by copy_insert and by a CopyWorker at its close); a small one is not."""
    monkeypatch.setattr(bulk, "ANALYZE_MIN_ROWS", 200)
    engine = engine_for_url(postgres_url)

    def rows(start: int, n: int) -> list[dict[str, Any]]:
        return [{"n": i, "text": f"t{i}", "note": None, "big": i, "flag": True,
                 "day": dt.date(2020, 1, 1), "at": None, "ratio": None, "amount": None}
                for i in range(start, start + n)]

    try:
        with engine.connect() as conn, conn.begin() as tx:
            _SCRATCH.create_all(conn)
            assert bulk.copy_insert(conn, _KINDS, rows(0, 150))  # below the minimum
            assert _believed(conn, _KINDS) < 0
            assert bulk.copy_insert(conn, _KINDS, rows(150, 300))  # never analyzed: now
            assert _believed(conn, _KINDS) == 450
            assert bulk.copy_insert(conn, _KINDS, rows(450, 200))  # < half of 450: not
            assert _believed(conn, _KINDS) == 450
            with bulk.CopyWorker(conn) as worker:  # 150 + 150 >= half of 450: at close
                worker.submit(_KINDS, list(rows(0, 1)[0]), rows(650, 150))
                worker.submit(_KINDS, list(rows(0, 1)[0]), rows(800, 150))
            assert _believed(conn, _KINDS) == 950
            tx.rollback()
    finally:
        engine.dispose()


_NUMBERED = sa.Table("bulk_numbered", sa.MetaData(),
                     sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                     sa.Column("label", sa.String(20), nullable=False, unique=True),
                     sa.Column("amount", sa.Integer, nullable=False))


@pytest.mark.parametrize("n", [1, 2, 50])
def test_new_ids_come_in_the_order_given_on_both_backends(postgres_url: str, tmp_path: Path,
                                                          n: int) -> None:
    """``insert_returning_ids``: on PostgreSQL a batch of COPY_MIN_ROWS rows or more takes its
    ids from the sequence and is copied; one row goes through INSERT ... RETURNING. Either
    way, and on SQLite, the ids ascend in the order the rows were given, each stored with
    its row, and a later batch numbers on after an earlier one."""
    for url in (postgres_url, f"sqlite:///{tmp_path / f'n{n}.db'}"):
        engine = engine_for_url(url)
        try:
            _NUMBERED.create(engine)
            got = []
            inserts: list[str] = []

            def seen(*a: Any, inserts: list[str] = inserts) -> None:
                if a[2].startswith("INSERT"):
                    inserts.append(a[2])

            sa.event.listen(engine, "before_cursor_execute", seen)
            for batch in range(2):
                rows = [{"label": f"b{batch}-{i:03d}", "amount": (i * 7) % 11}
                        for i in range(n)]
                with engine.begin() as conn:
                    got.append(bulk.insert_returning_ids(conn, _NUMBERED, rows))
                assert got[-1] == sorted(got[-1]) and len(set(got[-1])) == n
                with engine.connect() as conn:
                    stored = dict(conn.execute(sa.select(_NUMBERED.c.id, _NUMBERED.c.label)
                                               .where(_NUMBERED.c.id.in_(got[-1]))).all())
                assert [stored[i] for i in got[-1]] == [r["label"] for r in rows]
            assert min(got[1]) > max(got[0])
            copied = engine.dialect.name == "postgresql" and n >= bulk.COPY_MIN_ROWS
            assert (inserts == []) is copied
        finally:
            _NUMBERED.drop(engine, checkfirst=True)
            engine.dispose()


def test_a_copied_batch_breaking_a_key_writes_nothing(postgres_url: str) -> None:
    """A batch whose rows break a unique key raises IntegrityError, as INSERT did, and the
    rolled-back transaction keeps none of its rows."""
    engine = engine_for_url(postgres_url)
    try:
        _NUMBERED.create(engine)
        rows = [{"label": f"x{i}", "amount": i} for i in range(10)] + [
            {"label": "x3", "amount": 0}]
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            bulk.insert_returning_ids(conn, _NUMBERED, rows)
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(_NUMBERED)).scalar() == 0
    finally:
        _NUMBERED.drop(engine, checkfirst=True)
        engine.dispose()
