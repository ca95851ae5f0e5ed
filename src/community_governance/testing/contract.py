"""The storage contract suite: every backend, a third party's too, must pass it.

Subclass :class:`StorageContract` in your tests and provide a ``cgov_url`` fixture that yields
the URL of a fresh, empty database served by your backend::

    from community_governance.testing.contract import StorageContract

    class TestMyBackend(StorageContract):
        @pytest.fixture
        def cgov_url(self, tmp_path):
            yield f"mybackend:///{tmp_path}/db"

Each test opens the URL with ``community_governance.open`` (plugins from entry points included,
so that an installed backend plugin answers ``cgov_storage_backend``).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.idnumber import compose_id_number
from community_governance.domain.people import Household
from community_governance.domain.units import Building, Unit, UnitKind
from community_governance.errors import CgovError, ConflictError, NotFound

__all__ = ["StorageContract"]

SYSTEM = Actor.system("contract")


def _open(url: str) -> Any:
    import community_governance

    return community_governance.open(url)


def _seed(gov: Any) -> None:
    gov.registry.add_units(SYSTEM, [
        Unit("411281", UnitKind.COUNTY, "义马市"),
        Unit("411281001", UnitKind.SUBDISTRICT, "千秋路办事处", "411281"),
        Unit("411281001001", UnitKind.COMMUNITY, "连银社区", "411281001"),
    ])
    gov.registry.add_buildings(SYSTEM, [Building("411281001001-B0001", "1号楼", "411281001001")])
    gov.registry.add_households(SYSTEM, [Household("H1", "411281001001-B0001", "101")])


class StorageContract:
    """What every storage backend must do. Provide the ``cgov_url`` fixture."""

    @pytest.fixture
    def cgov_url(self) -> Iterator[str]:
        """The URL of a fresh database; override in the subclass."""
        raise NotImplementedError("provide a cgov_url fixture")

    @pytest.fixture
    def store_gov(self, cgov_url: str) -> Iterator[Any]:
        """The governance façade on the backend under test."""
        with _open(cgov_url) as gov:
            yield gov

    def test_opens_at_the_newest_schema(self, store_gov: Any) -> None:
        """Opens a fresh database at the newest schema revision."""
        status = store_gov.store.schema_status()
        assert status.up_to_date, status

    def test_round_trips_units_and_residents(self, store_gov: Any) -> None:
        """Reads back exactly what was written, ID numbers included."""
        from community_governance.services.registry import NewResident

        _seed(store_gov)
        number = compose_id_number("411281", dt.date(1950, 3, 7), 1)
        res = store_gov.registry.register_resident(
            SYSTEM, NewResident("张三", number, "H1", phone="13912345678"))
        back = store_gov.registry.get_resident(SYSTEM, res.id, reveal=True, reason="contract")
        assert number == back.id_number.number
        assert dt.date(1950, 3, 7) == back.birth_date
        assert "13912345678" == back.phone
        assert ["411281", "411281001", "411281001001"] == [
            u.code for u in store_gov.registry.list_units() if u.kind != UnitKind.BUILDING]

    def test_rolls_back_a_failed_operation_entirely(self, store_gov: Any) -> None:
        """Writes nothing when an operation fails halfway (a conflict in the second row)."""
        _seed(store_gov)
        with pytest.raises(ConflictError):
            store_gov.registry.add_units(SYSTEM, [
                Unit("411281001002", UnitKind.COMMUNITY, "新社区", "411281001"),
                Unit("411281001001", UnitKind.COMMUNITY, "重复", "411281001"),
            ])
        with pytest.raises(NotFound):
            store_gov.registry.get_unit("411281001002")

    def test_unit_of_work_rolls_back_unless_committed(self, store_gov: Any) -> None:
        """Discards the writes of a unit of work that is not committed."""
        from community_governance.storage.tables import core as t

        with store_gov.store.unit_of_work(write=True) as uow:
            uow.conn.execute(t.units.insert().values(code="411282", kind="county", name="x"))
        with pytest.raises(NotFound):
            store_gov.registry.get_unit("411282")

    def test_refuses_to_edit_the_audit_trail(self, store_gov: Any) -> None:
        """Refuses UPDATE and DELETE on the append-only audit trail."""
        from community_governance.storage.tables import core as t

        _seed(store_gov)
        for stmt in (t.audit_log.update().values(operation="forged"), t.audit_log.delete()):
            with pytest.raises(sa.exc.DBAPIError), \
                    store_gov.store.unit_of_work(write=True) as uow:
                uow.conn.execute(stmt)
                uow.commit()
        with store_gov.store.unit_of_work(write=False) as uow:
            ops = uow.conn.execute(sa.select(t.audit_log.c.operation)).scalars().all()
        assert "forged" not in ops and len(ops) >= 3

    def test_keeps_timestamps_in_utc(self, store_gov: Any) -> None:
        """Stores times as UTC and reads them back timezone-aware."""
        from community_governance.storage.tables import core as t

        _seed(store_gov)
        with store_gov.store.unit_of_work(write=False) as uow:
            at = uow.conn.execute(sa.select(sa.func.max(t.audit_log.c.at))).scalar_one()
            row = uow.conn.execute(
                sa.select(t.audit_log.c.at).order_by(t.audit_log.c.id.desc())).first()
        assert at is not None and row is not None
        assert dt.UTC == row.at.tzinfo

    def test_serialises_concurrent_writers(self, cgov_url: str, store_gov: Any) -> None:
        """Loses no write when two threads register households at once."""
        _seed(store_gov)
        errors: list[BaseException] = []

        def work(prefix: str) -> None:
            try:
                with _open(cgov_url) as g:
                    for i in range(20):
                        g.registry.add_households(SYSTEM, [
                            Household(f"{prefix}{i}", "411281001001-B0001", f"{prefix}-{i}")])
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        if cgov_url.startswith("memory://"):
            pytest.skip("memory:// is private to one Governance object")
        threads = [threading.Thread(target=work, args=(p,)) for p in ("A", "B")]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert [] == errors
        assert 41 == store_gov.registry.summary(SYSTEM).households

    def test_reports_errors_in_the_library_hierarchy(self, store_gov: Any) -> None:
        """Raises CgovError subclasses, never raw driver errors, for bad writes."""
        with pytest.raises(CgovError):
            store_gov.registry.add_buildings(
                SYSTEM, [Building("411281009001-B0001", "x", "411281009001")])
