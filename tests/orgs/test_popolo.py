"""Social organizations in the Popolo export: classified by kind under their communities, the
groups still incubated as memberships of their incubator; the document validates."""

from __future__ import annotations

import pytest

from community_governance.domain.orgs import OrgStage
from community_governance.io.popolo import export_popolo
from tests.orgs.conftest import SYSTEM, World
from tests.orgs.helpers import advance, incubator


def test_organizations_are_exported_and_validate(world: World) -> None:
    """The incubator and two groups appear as Popolo organizations under their community;
    the incubating one is a member of the incubator, the admitted one no longer is."""
    pytest.importorskip("jsonschema")
    from community_governance.testing.popolo import validate_popolo

    incubator(world)
    advance(world, "X1", OrgStage.INCUBATING)
    advance(world, "X2", OrgStage.ADMITTED)
    doc = export_popolo(world.gov, actor=SYSTEM)
    orgs = {o["id"]: o for o in doc["organizations"]}
    assert {"social_org:INC", "social_org:X1", "social_org:X2"} <= set(orgs)
    assert f"unit:{world.community}" == orgs["social_org:X1"]["parent_id"]
    assert "social_org/incubator" == orgs["social_org:INC"]["classification"]
    incubated = [m for m in doc["memberships"] if m["role"] == "incubated"]
    assert [("social_org:INC", "social_org:X1")] == [
        (m["organization_id"], m["member"]["id"]) for m in incubated]
    assert "社会组织（孵化机构）" == doc["meta"]["classifications"]["social_org/incubator"]
    assert [] == validate_popolo(doc)
    other = export_popolo(world.gov, actor=SYSTEM, within=world.city.communities[1])
    assert not any(o["id"].startswith("social_org:") for o in other["organizations"])
