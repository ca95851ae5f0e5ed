"""A residents file imported on PostgreSQL: the large-load path (COPY, foreign keys re-added
after it) keeps the import's promises: every bad row named, nothing written on bad input."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import community_governance
from community_governance.domain.access import Actor
from community_governance.domain.idnumber import compose_id_number
from community_governance.domain.people import Household
from community_governance.domain.units import Building, Unit, UnitKind
from community_governance.errors import FileImportError
from community_governance.io.importers import import_file
from community_governance.storage.repos import bulk
from community_governance.storage.tables import core as t

SYSTEM = Actor.system("import")
C1 = "411281001001"
HOUSEHOLDS = 100
RESIDENTS = 300


def _household(n: int) -> str:
    return f"{C1}-B0001-{n:03d}"


def _number(n: int) -> str:
    return compose_id_number("411281", dt.date(1950 + n % 50, 1 + n % 12, 1 + n % 28), n % 1000)


def _lines(count: int) -> list[str]:
    lines = ["id,name,id_number,household_id,relation,phone,party_member,moved_in"]
    lines += [f"R{n:05d},居民{n},{_number(n)},{_household(n % HOUSEHOLDS)},"
              f"{'户主' if n < HOUSEHOLDS else '子女'},139{n:08d},{'是' if n % 5 == 0 else '否'},"
              "2019-01-01" for n in range(count)]
    return lines


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "居民.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _counts(gov: Any) -> tuple[int, ...]:
    with gov.store.unit_of_work(write=False) as uow:
        return tuple(int(uow.conn.execute(sa.select(sa.func.count()).select_from(tb))
                         .scalar_one())
                     for tb in (t.residents, t.residence_spells, t.audit_log))


def _fkeys(gov: Any) -> list[tuple[Any, ...]]:
    with gov.store.unit_of_work(write=False) as uow:
        return [tuple(r) for r in uow.conn.exec_driver_sql(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid IN "
            "('residents'::regclass, 'residence_spells'::regclass) ORDER BY 1, 2")]


@pytest.fixture
def pg(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A PostgreSQL store with one building of households; loads of 50 residents or more
    take the large-load path."""
    monkeypatch.setattr(bulk, "FK_REBUILD_MIN_ROWS", 50)
    with community_governance.open(postgres_url, entrypoints=False) as gov:
        reg = gov.registry
        reg.add_units(SYSTEM, [
            Unit("411281", UnitKind.COUNTY, "义马市"),
            Unit("411281001", UnitKind.SUBDISTRICT, "千秋路办事处", "411281"),
            Unit(C1, UnitKind.COMMUNITY, "连银社区", "411281001"),
        ])
        reg.add_buildings(SYSTEM, [Building(f"{C1}-B0001", "1号楼", C1)])
        reg.add_households(SYSTEM, [Household(_household(n), f"{C1}-B0001", f"{n:03d}")
                                    for n in range(HOUSEHOLDS)])
        yield gov


def test_bad_rows_in_a_large_file_are_named_and_nothing_is_written(
        pg: Any, tmp_path: Path) -> None:
    """A 300-row file with bad rows far apart: each row and column named, no resident, no
    residence record and no audit row written, the foreign keys as they were."""
    keys = _fkeys(pg)
    before = _counts(pg)
    lines = _lines(RESIDENTS)
    lines[10] = lines[10].replace(_household(9), "nowhere")  # row 11: unknown household
    lines[250] = lines[250].replace(",子女,", ",cousin,")     # row 251: relation
    lines[299] = f"R99999,重复,{_number(5)},{_household(1)},子女,,否,"  # row 300: row 7's number
    with pytest.raises(FileImportError) as info:
        import_file(pg, "residents", _write(tmp_path, lines), actor=SYSTEM)
    assert {(e.row, e.column) for e in info.value.errors} == {
        (11, "household_id"), (251, "relation"), (300, "id_number")}
    assert _counts(pg) == before
    assert _fkeys(pg) == keys


def test_a_large_file_goes_in_whole_with_its_keys_checked(
        pg: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The clean file: every resident and residence record written in one operation, the
    keys dropped and re-added; the same file again is refused row by row and changes
    nothing."""
    from community_governance.services.registry import residents as mod

    dropped: list[bool] = []
    real = mod.foreign_keys_rebuilt

    @contextlib.contextmanager
    def spy(*args: Any) -> Iterator[bool]:
        with real(*args) as answer:
            dropped.append(answer)
            yield answer

    monkeypatch.setattr(mod, "foreign_keys_rebuilt", spy)
    keys = _fkeys(pg)
    before = _counts(pg)
    path = _write(tmp_path, _lines(RESIDENTS))
    assert import_file(pg, "residents", path, actor=SYSTEM).count == RESIDENTS
    assert dropped == [True]
    after = _counts(pg)
    assert after[:2] == (before[0] + RESIDENTS, before[1] + RESIDENTS)
    assert after[2] == before[2] + 1
    assert _fkeys(pg) == keys
    with pg.store.unit_of_work(write=False) as uow:
        orphans = uow.conn.execute(
            sa.select(sa.func.count()).select_from(t.residence_spells.outerjoin(
                t.residents, t.residents.c.id == t.residence_spells.c.resident_id))
            .where(t.residents.c.id.is_(None))).scalar_one()
    assert orphans == 0
    with pytest.raises(FileImportError) as info:
        import_file(pg, "residents", path, actor=SYSTEM)
    assert len(info.value.errors) == 2 * RESIDENTS  # each row: its key and its ID number
    assert _counts(pg) == after
