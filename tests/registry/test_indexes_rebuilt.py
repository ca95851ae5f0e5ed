"""A large registration drops the residents' plain indexes and builds them again after the
rows are in (``bulk.indexes_rebuilt``): the same rows, the same indexes afterwards, and a
refused load leaves the indexes as they were; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import community_governance
from community_governance.errors import ConflictError
from community_governance.storage.repos import bulk
from community_governance.storage.tables import core as t
from community_governance.storage.tables import load_all, metadata
from tests.registry.test_bulk_copy import SYSTEM, _base, _build, _clock, _new


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ix.db'}"
    return str(request.getfixturevalue("postgres_url"))


def _indexes(gov: Any) -> list[tuple[str, tuple[str, ...]]]:
    """The plain indexes of the loaded tables, as the database has them."""
    with gov.store.unit_of_work(write=False) as uow:
        found = sa.inspect(uow.conn)
        return sorted((ix["name"], tuple(str(c) for c in ix["column_names"]))
                      for tb in ("residents", "residence_spells")
                      for ix in found.get_indexes(tb) if not ix["unique"])


def _schema_diff(gov: Any) -> list[Any]:
    load_all()
    with gov.store.unit_of_work(write=False) as uow:
        return list(compare_metadata(MigrationContext.configure(uow.conn), metadata))


@pytest.fixture
def dropped(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Loads of 50 rows or more count as large; the answers of each rebuild."""
    monkeypatch.setattr(bulk, "FK_REBUILD_MIN_ROWS", 50)
    answers: list[bool] = []
    real = bulk.indexes_rebuilt

    def spy(conn: sa.Connection, tables: Any, rows: int) -> Any:
        cm = real(conn, tables, rows)

        class _Spy:
            def __enter__(self) -> bool:
                answers.append(cm.__enter__())
                return answers[-1]

            def __exit__(self, *exc: Any) -> Any:
                return cm.__exit__(*exc)

        return _Spy()

    from community_governance.services.registry import residents as mod

    monkeypatch.setattr(mod, "indexes_rebuilt", spy)
    return answers


def test_a_large_load_rebuilds_the_indexes_and_stores_the_same_rows(
        url: str, tmp_path: Path, dropped: list[bool], monkeypatch: pytest.MonkeyPatch) -> None:
    """The load drops the plain indexes and builds them again: the database's schema is the
    table definitions' (nothing missing), and the rows are those of a load without it."""
    rows = _build(url)
    assert dropped == [True]
    with community_governance.open(url, entrypoints=False) as gov:
        assert ("ix_residents_name", ("name",)) in _indexes(gov)
        assert ("ix_residence_spells_resident_id", ("resident_id",)) in _indexes(gov)
        assert _schema_diff(gov) == []
    monkeypatch.setattr(bulk, "FK_REBUILD_MIN_ROWS", 10**9)
    assert rows == _build(f"sqlite:///{tmp_path / 'plain.db'}")
    assert dropped == [True, False]


def test_a_small_share_keeps_the_indexes(url: str, dropped: list[bool]) -> None:
    """A load that adds less than FK_REBUILD_SHARE of what the tables will hold keeps them."""
    _build(url)
    with community_governance.open(url, entrypoints=False, clock=_clock) as gov:
        gov.registry.register_residents(SYSTEM, [_new(n) for n in range(300, 360)])
    assert dropped == [True, False]


def test_a_refused_load_writes_nothing_and_keeps_the_indexes(
        url: str, dropped: list[bool]) -> None:
    """A clash found by the database in a load whose indexes were dropped: the service's
    error, none of the batch's rows, the indexes back, and the clean batch taken after."""
    with community_governance.open(url, entrypoints=False, clock=_clock) as gov:
        before = _indexes(gov)
        _base(gov)
        gov.registry.register_residents(SYSTEM, [_new(7)])  # one row: no rebuild
        assert dropped == [False]
        clash = [_new(n, id_number=_new(n + 1000).id_number) if n == 7 else _new(n)
                 for n in range(300)]  # R00007 is taken, under another ID number
        with pytest.raises(ConflictError, match="R00007"):
            gov.registry.register_residents(SYSTEM, clash)
        assert dropped[-1] is True
        assert _indexes(gov) == before
        with gov.store.unit_of_work(write=False) as uow:
            assert uow.conn.execute(sa.select(sa.func.count()).select_from(
                t.residents)).scalar_one() == 1
        gov.registry.register_residents(SYSTEM, [_new(n) for n in range(300) if n != 7])
        assert dropped[-1] is True
        assert _indexes(gov) == before
        assert _schema_diff(gov) == []

