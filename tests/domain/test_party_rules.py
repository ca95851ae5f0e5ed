"""Party rules: the tree (level, place, parent, partner), evaluation rounds, grades and results
with the publication minimum (issue #13 item 11: exact messages and boundaries)."""

from __future__ import annotations

import datetime as dt

import pytest

from community_governance.domain.party import (
    DEFAULT_GRADES,
    AppealStatus,
    EvaluationAppeal,
    EvaluationRound,
    RoundStatus,
    UnitFacts,
    check_grades,
    check_party_org,
    evaluation_result,
)
from community_governance.domain.posts import PartnerUnit, PartyOrg
from community_governance.domain.units import UnitKind
from community_governance.errors import ConflictError, ValidationError
from tests.domain._exact import refused

D = dt.date
# codes of sub-district 002 (those of sub-district 001: test_a_grid_code_like_a_legacy_id_...)
C, G, B = "411202002001", "411202002001001", "411202002001001001"
COMMUNITY = UnitFacts(UnitKind.COMMUNITY, C)
GRID = UnitFacts(UnitKind.GRID, C, G)
BUILDING = UnitFacts(UnitKind.BUILDING, C, G)
GC = PartyOrg("P1", "general_committee", C, "大党委")
BR = PartyOrg("P2", "grid_branch", G, "网格党支部", "P1")
PROP = PartnerUnit("U1", "物业公司", "property_company", (C,))
BUREAU = PartnerUnit("U2", "财政局", "assigned_bureau", (C,))


def test_a_well_formed_tree_passes() -> None:
    check_party_org(GC, COMMUNITY, None, None)
    check_party_org(BR, GRID, GC, None)
    check_party_org(PartyOrg("P3", "building_group", B, "党小组", "P2"), BUILDING, BR, None)
    check_party_org(PartyOrg("P4", "property_org", C, "物业党支部", "P1", "U1"), COMMUNITY, GC,
                    PROP)
    check_party_org(PartyOrg("P5", "partner_org", C, "局党支部", "P1", "U2"), COMMUNITY, GC,
                    BUREAU)


def test_level_must_match_the_unit() -> None:
    refused(ValidationError, f"party organization P2: a 网格党支部 (grid_branch) is set up at a "
            f"grid (网格), but {G} is community: give the code of a grid @ $.unit_code",
            check_party_org, BR, UnitFacts(UnitKind.COMMUNITY, C), GC, None)
    refused(ValidationError, f"party organization P1: a 社区大党委 (general_committee) is set up "
            f"at a community (社区), but {C} is not a stored unit: give the code of a community "
            "@ $[3].unit_code", check_party_org, GC, UnitFacts(None), None, None, path="$[3]")


def test_top_and_parents() -> None:
    with_parent = PartyOrg("P1", "general_committee", C, "大党委", "P9")
    refused(ValidationError, "party organization P1: a 社区大党委 is the top of its community's "
            "tree and has no parent; drop parent_id 'P9' @ $.parent_id",
            check_party_org, with_parent, COMMUNITY, GC, None)
    orphan = PartyOrg("P2", "grid_branch", G, "支部")
    refused(ValidationError, f"party organization P2: a 网格党支部 belongs to the 社区大党委 "
            f"(general_committee) at {C}; give its key as parent_id @ $.parent_id",
            check_party_org, orphan, GRID, None, None)
    refused(ValidationError, f"party organization P2: a 网格党支部 belongs to the 社区大党委 "
            f"(general_committee) at {C}; no party organization 'P1' exists: add it first "
            "@ $.parent_id", check_party_org, BR, GRID, None, None)
    # parent given but orphan id None: the id is what is missing
    refused(ValidationError, f"party organization P2: a 网格党支部 belongs to the 社区大党委 "
            f"(general_committee) at {C}; give its key as parent_id @ $.parent_id",
            check_party_org, orphan, GRID, GC, None)
    other_gc = PartyOrg("P7", "general_committee", "411202002002", "别的大党委")
    refused(ValidationError, f"party organization P2: a 网格党支部 belongs to the 社区大党委 "
            f"(general_committee) at {C}, but its parent P7 is a 社区大党委 at 411202002002: name "
            f"the 社区大党委 of {C} as parent_id @ $.parent_id",
            check_party_org, BR, GRID, other_gc, None)
    wrong_kind = PartyOrg("P8", "grid_branch", C, "支部")
    refused(ValidationError, f"party organization P2: a 网格党支部 belongs to the 社区大党委 "
            f"(general_committee) at {C}, but its parent P8 is a 网格党支部 at {C}: name "
            f"the 社区大党委 of {C} as parent_id @ $.parent_id",
            check_party_org, BR, GRID, wrong_kind, None)


def test_building_groups_belong_to_the_branch_of_their_grid() -> None:
    group = PartyOrg("P3", "building_group", B, "党小组", "P2")
    refused(ValidationError, f"party organization P3: building {B} is in no grid, so its 楼院党小组 "
            "has no 网格党支部 to belong to: put the building in a grid first @ $.unit_code",
            check_party_org, group, UnitFacts(UnitKind.BUILDING, C, None), BR, None)
    # the parent must sit at the building's grid, not the community
    refused(ValidationError, f"party organization P3: a 楼院党小组 belongs to the 网格党支部 "
            f"(grid_branch) at {G}, but its parent P1 is a 社区大党委 at {C}: name the 网格党支部 "
            f"of {G} as parent_id @ $.parent_id", check_party_org,
            PartyOrg("P3", "building_group", B, "党小组", "P1"), BUILDING, GC, None)


def test_partner_organizations() -> None:
    no_partner = PartyOrg("P4", "property_org", C, "物业党支部", "P1")
    refused(ValidationError, "party organization P4: a 物业党组织 is the organization of a "
            "property company (物业公司); give its key as partner_id @ $.partner_id",
            check_party_org, no_partner, COMMUNITY, GC, None)
    missing = PartyOrg("P5", "partner_org", C, "局党支部", "P1", "U9")
    refused(ValidationError, "party organization P5: a 共驻共建单位党组织 is the organization of a "
            "partner unit (共建单位) other than a property company; no partner unit 'U9' exists: "
            "add it first @ $.partner_id", check_party_org, missing, COMMUNITY, GC, None)
    refused(ValidationError, "party organization P5: a 共驻共建单位党组织 is the organization of a "
            "partner unit (共建单位) other than a property company, but U1 is a property_company: "
            "use property_org for it @ $.kind", check_party_org,
            PartyOrg("P5", "partner_org", C, "x", "P1", "U1"), COMMUNITY, GC, PROP)
    refused(ValidationError, "party organization P4: a 物业党组织 is the organization of a "
            "property company (物业公司), but U2 is a assigned_bureau: use partner_org for it "
            "@ $.kind", check_party_org,
            PartyOrg("P4", "property_org", C, "x", "P1", "U2"), COMMUNITY, GC, BUREAU)
    far = PartnerUnit("U3", "远方单位", "resident_unit", ("411202001009", "411202001003"))
    refused(ValidationError, f"party organization P6: partner unit U3 is not attached to "
            f"community {C} (共驻共建 joins a unit with the communities it supports): attach it "
            "first (add_partner_units) or choose one of ['411202001003', '411202001009'] "
            "@ $.unit_code", check_party_org,
            PartyOrg("P6", "partner_org", C, "x", "P1", "U3"), COMMUNITY, GC, far)
    refused(ValidationError, "party organization P2: a 网格党支部 is not a partner unit's "
            "organization; drop partner_id 'U1' @ $.partner_id", check_party_org,
            PartyOrg("P2", "grid_branch", G, "支部", "P1", "U1"), GRID, GC, PROP)


def _round(status: str = "open", min_ballots: int | None = None) -> EvaluationRound:
    return EvaluationRound("E1", C, "2019年度群众评议党员", D(2019, 12, 1), D(2019, 12, 15),
                           "grid", DEFAULT_GRADES, status, min_ballots)


def test_round_period_and_open_days() -> None:
    r = _round()
    assert r.status is RoundStatus.OPEN
    r.check_open_on(D(2019, 12, 1))
    r.check_open_on(D(2019, 12, 15))
    for day in (D(2019, 11, 30), D(2019, 12, 16)):
        refused(ConflictError, f"evaluation round E1 takes ballots from 2019-12-01 to "
                f"2019-12-15, not on {day}: vote within the period", r.check_open_on, day)
    refused(ConflictError, "evaluation round E1 is closed; ballots are no longer taken",
            _round("closed", 5).check_open_on, D(2019, 12, 5))
    EvaluationRound("E2", C, "t", D(2019, 1, 1), D(2019, 1, 1), "building", ("优秀",))
    refused(ValidationError, "evaluation round E3: the period ends (2018-12-31) before it starts "
            "(2019-01-01) @ period_end", EvaluationRound, "E3", C, "t", D(2019, 1, 1),
            D(2018, 12, 31), "grid", DEFAULT_GRADES)


def test_check_grades() -> None:
    assert check_grades(["优", "良"]) == ("优", "良")
    assert check_grades(iter(DEFAULT_GRADES)) == DEFAULT_GRADES
    assert check_grades(["x" * 20]) == ("x" * 20,)
    for bad in ([], [""], ["  "], ["x" * 21], [1], ["优", None]):
        refused(ValueError, "expected a non-empty list of grade names (at most 20 characters)",
                check_grades, bad)
    refused(ValueError, "grades repeat: ['优', '良', '优']", check_grades, ["优", "良", "优"])


def test_results_at_the_publication_minimum() -> None:
    refused(ConflictError, "evaluation round E1 is still open: close it first; results are "
            "computed after the last ballot", evaluation_result, _round(), "M1", {})
    refused(ConflictError, "evaluation round E1 is still open: close it first; results are "
            "computed after the last ballot", evaluation_result, _round("closed"), "M1", {})
    refused(ConflictError, "evaluation round E1 is still open: close it first; results are "
            "computed after the last ballot", evaluation_result, _round("open", 5), "M1", {})
    closed = _round("closed", 5)
    tally = {"优秀": 3, "合格": 2, "其他": 9}  # a grade not of the round is not counted
    shown = evaluation_result(closed, "M1", tally)
    assert (shown.round_id, shown.member_id, shown.ballots, shown.published,
            shown.min_ballots) == ("E1", "M1", 5, True, 5)
    assert shown.counts == (("优秀", 3), ("合格", 2), ("基本合格", 0), ("不合格", 0))
    withheld = evaluation_result(closed, "M2", {"优秀": 4})
    assert (withheld.ballots, withheld.counts, withheld.published) == (4, None, False)


def test_appeal_defaults() -> None:
    a = EvaluationAppeal("A1", "E1", "M1", "评议不公", D(2020, 1, 5))
    assert (a.status, a.decision, a.decided_on) == (AppealStatus.FILED, "", None)
    with pytest.raises(ValueError):
        EvaluationAppeal("A1", "E1", "M1", "x", D(2020, 1, 5), "maybe")


def test_a_grid_code_like_a_legacy_id_number_is_shown_when_it_is_a_stored_unit() -> None:
    """411202001001001 has the shape of a 15-digit legacy ID number (a real 1900-10-01): named
    as a stored unit it is shown; a code that names no stored unit is masked like any number
    typed (it may be someone's ID number in the wrong field)."""
    c1, g1 = "411202001001", "411202001001001"
    gc = PartyOrg("P1", "general_committee", c1, "大党委")
    branch = PartyOrg("P2", "grid_branch", g1, "网格党支部", "P1")
    refused(ValidationError, f"party organization P2: a 网格党支部 (grid_branch) is set up at a "
            f"grid (网格), but {g1} is community: give the code of a grid @ $.unit_code",
            check_party_org, branch, UnitFacts(UnitKind.COMMUNITY, c1), gc, None)
    refused(ValidationError, "party organization P2: a 网格党支部 (grid_branch) is set up at a "
            "grid (网格), but 4112*******1001 is not a stored unit: give the code of a grid "
            "@ $.unit_code", check_party_org, branch, UnitFacts(None), gc, None)
    group = PartyOrg("P3", "building_group", f"{g1}001", "党小组", "P9")
    refused(ValidationError, f"party organization P3: a 楼院党小组 belongs to the 网格党支部 "
            f"(grid_branch) at {g1}, but its parent P1 is a 社区大党委 at {c1}: name the "
            f"网格党支部 of {g1} as parent_id @ $.parent_id",
            check_party_org, group, UnitFacts(UnitKind.BUILDING, c1, g1), gc, None)
