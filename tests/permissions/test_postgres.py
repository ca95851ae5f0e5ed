"""The scope filters, the audit queries, erasure and the append-only trail on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

import community_governance as cg
from community_governance.storage.tables import core as t
from community_governance.testing.city import build_small_city

from .conftest import expected, named_actors, resident_targets

pytestmark = pytest.mark.postgres


def test_postgres_scopes_erasure_and_trail(postgres_url: str) -> None:
    """Lists exactly the golden set, scopes the audit, erases and refuses trail edits."""
    with cg.open(postgres_url, entrypoints=False, data_key="pg-county-key-0123456789") as gov:
        city = build_small_city(gov)
        targets = resident_targets(city)
        for who in named_actors(city):
            if who.actor.kind.value == "public":
                continue
            listed = {r.id for r in gov.registry.list_residents(who.actor)}
            assert listed == {o.key for o in targets if expected(who, "resident.read", o)}
        c1, c2 = city.communities[:2]
        gov.registry.get_resident(city.staff[c1], "R0002", reveal=True, reason="一社区")
        assert [r.reason for r in gov.audit.access(city.secretary[c1])] == ["一社区"]
        assert gov.audit.access(city.secretary[c2]) == []
        assert gov.audit.log(city.secretary[c1], operation="registry.add_units")
        rid = city.elderly[c1]
        gov.privacy.erase(city.director[c1], rid, reason="迁出")
        assert gov.privacy.export_own_data(cg.Actor.system("t"), rid)["resident"][
            "id_number"] is None
        with pytest.raises(DBAPIError, match="append-only"), \
                gov.store.unit_of_work(write=True) as uow:
            uow.conn.execute(t.audit_log.delete())
        with gov.store.unit_of_work(write=False) as uow:
            n = uow.conn.execute(sa.select(sa.func.count()).select_from(t.audit_log))
            assert n.scalar_one() > 5

