"""The party tree (党建引领), checked: each organization's level, place and parent."""

from __future__ import annotations

from typing import Any

import pytest

from community_governance.domain.posts import (
    PartnerKind,
    PartnerUnit,
    PartyOrg,
    PartyOrgKind,
)
from community_governance.errors import NotFound, PermissionDenied, ValidationError
from community_governance.testing.city import SmallCity

from .conftest import SYSTEM, tree_of


def _partners(gov: Any, c: str) -> None:
    gov.registry.add_partner_units(SYSTEM, [
        PartnerUnit("PU-WY", "幸福物业公司", PartnerKind.PROPERTY_COMPANY, (c,)),
        PartnerUnit("PU-CZ", "市财政局", PartnerKind.ASSIGNED_BUREAU, (c,))])


def test_the_full_tree_of_five_kinds(gov: Any, city: SmallCity) -> None:
    """Adds a general committee, grid branches, a building group, a property company's and a
    partner unit's organization; lists and reads them; the tree nests them."""
    c = city.communities[0]
    _partners(gov, c)
    orgs = [*tree_of(city, c),
            PartyOrg("PW-1", PartyOrgKind.PROPERTY_ORG, c, "幸福物业党支部", f"PO-{c}", "PU-WY"),
            PartyOrg("PC-1", PartyOrgKind.PARTNER_ORG, c, "市财政局机关党支部", f"PO-{c}",
                     "PU-CZ")]
    assert gov.registry.add_party_orgs(city.secretary[c], orgs) == 6
    assert {o.kind for o in gov.registry.party_orgs(c)} == set(PartyOrgKind)
    assert [o.id for o in gov.registry.party_orgs(c, kind="grid_branch")] == [
        f"PB-{g}" for g in city.grids[c]]
    assert gov.registry.party_org("PW-1").partner_id == "PU-WY"
    tree = gov.party.tree(c)
    assert tree[0] == (0, orgs[0])
    depth = {o.id: d for d, o in tree}
    b = city.buildings[c][0]
    assert depth[f"PG-{b}"] == 2 and depth["PW-1"] == 1 and depth["PC-1"] == 1
    # a building group comes right after its branch
    ids = [o.id for _, o in tree]
    assert ids.index(f"PG-{b}") == ids.index(f"PB-{city.grid_of_building(b)}") + 1
    with pytest.raises(NotFound, match="大党委"):
        gov.party.tree(city.communities[1])
    with pytest.raises(NotFound):
        gov.registry.party_org("PO-none")


def _bad(city: SmallCity) -> list[tuple[str, PartyOrg, str]]:
    c, c2 = city.communities[0], city.communities[1]
    g1, g2 = city.grids[c]
    b1, _, b3, _ = city.buildings[c]
    gc = f"PO-{c}"
    K = PartyOrgKind
    return [
        ("committee at a grid", PartyOrg("X", K.GENERAL_COMMITTEE, g1, "x"), "at a community"),
        ("committee with a parent", PartyOrg("X", K.GENERAL_COMMITTEE, c2, "x", gc),
         "no parent"),
        ("branch without parent", PartyOrg("X", K.GRID_BRANCH, g1, "x"), "give its key"),
        ("branch under a missing org", PartyOrg("X", K.GRID_BRANCH, g1, "x", "NOPE"),
         "add it first"),
        ("branch under another community's committee",
         PartyOrg("X", K.GRID_BRANCH, city.grids[c2][0], "x", gc), f"at {city.grids[c2][0][:12]}"),
        ("branch at a building", PartyOrg("X", K.GRID_BRANCH, b1, "x", gc), "at a grid"),
        ("group under the wrong grid's branch",
         PartyOrg("X", K.BUILDING_GROUP, b3, "x", f"PB-{g1}"), f"at {g2}"),
        ("group under the committee", PartyOrg("X", K.BUILDING_GROUP, b1, "x", gc),
         "网格党支部"),
        ("property org of a bureau", PartyOrg("X", K.PROPERTY_ORG, c, "x", gc, "PU-CZ"),
         "use partner_org"),
        ("partner org of a property company",
         PartyOrg("X", K.PARTNER_ORG, c, "x", gc, "PU-WY"), "use property_org"),
        ("partner org without partner", PartyOrg("X", K.PARTNER_ORG, c, "x", gc),
         "partner_id"),
        ("partner org elsewhere", PartyOrg("X", K.PARTNER_ORG, c2, "x", f"PO-{c2}", "PU-CZ"),
         "not attached"),
        ("branch naming a partner", PartyOrg("X", K.GRID_BRANCH, g1, "x", gc, "PU-CZ"),
         "drop partner_id"),
        ("unknown unit", PartyOrg("X", K.GRID_BRANCH, f"{c}-W09", "x", gc), "not a stored"),
    ]


def test_every_misplaced_organization_is_refused(gov: Any, city: SmallCity) -> None:
    """Refuses each organization that breaks the tree, names the rule, writes nothing."""
    c, c2 = city.communities[0], city.communities[1]
    _partners(gov, c)
    gov.registry.add_party_orgs(SYSTEM, [*tree_of(city, c), PartyOrg(
        f"PO-{c2}", PartyOrgKind.GENERAL_COMMITTEE, c2, "社区大党委")])
    before = len(gov.registry.party_orgs())
    for label, org, words in _bad(city):
        with pytest.raises(ValidationError, match=words):
            gov.registry.add_party_orgs(SYSTEM, [org])
        assert len(gov.registry.party_orgs()) == before, label


def test_a_batch_fails_whole(gov: Any, city: SmallCity) -> None:
    """A batch whose last organization is misplaced writes none of them."""
    c = city.communities[0]
    bad = PartyOrg("X", PartyOrgKind.GRID_BRANCH, city.buildings[c][0], "x", f"PO-{c}")
    with pytest.raises(ValidationError, match=r"\$\[4\]"):
        gov.registry.add_party_orgs(SYSTEM, [*tree_of(city, c)[:4], bad])
    assert gov.registry.party_orgs() == []


def test_only_the_secretary_or_higher_adds(gov: Any, city: SmallCity) -> None:
    """Refuses the grid leader and another community's secretary."""
    c = city.communities[0]
    for actor in (city.grid_leader[city.grids[c][0]], city.secretary[city.communities[1]],
                  city.director[c]):
        with pytest.raises(PermissionDenied):
            gov.registry.add_party_orgs(actor, tree_of(city, c)[:1])
    assert gov.registry.add_party_orgs(city.subdistrict_staff[c[:9]], tree_of(city, c)) == 4
