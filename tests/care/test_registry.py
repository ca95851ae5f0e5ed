"""The registry of care needs and the assigned cadres (关爱对象登记, 分包干部)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from community_governance.domain.access import Actor
from community_governance.domain.posts import HolderKind, Post, PostKind, StaffMember
from community_governance.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    PluginError,
    ValidationError,
)
from community_governance.services.care import NewCareNeed
from community_governance.storage.tables import care as tc
from community_governance.storage.tables import core as t
from community_governance.testing.city import SmallCity
from tests.care.conftest import DAY, SYSTEM


def _access_rows(cgov: Any, resident: str) -> list[Any]:
    with cgov.store.unit_of_work(write=False) as uow:
        return uow.conn.execute(sa.select(t.access_log).where(
            t.access_log.c.target == f"resident {resident}")).all()


class TestRegisterNeeds:
    def test_registers_and_sets_the_vulnerability_flag(self, cgov: Any, city: SmallCity,
                                                       community: str) -> None:
        """Registers a need and sets the resident's flag from the category (one source)."""
        rid = city.residents[city.households[city.buildings[community][0]][0]][0]
        got = cgov.care.register_needs(SYSTEM, [NewCareNeed(rid, "extreme_difficulty", DAY,
                                                            evidence="特困供养证 0042")])
        assert ["extreme_difficulty"] == [n.category for n in got]
        res = cgov.registry.get_resident(city.secretary[community], rid)
        assert "extreme_difficulty" in {v.value for v in res.vulnerabilities}

    def test_refuses_an_unknown_category_and_writes_nothing(self, cgov: Any, elder: str) -> None:
        """Refuses a category the place does not know, naming the rule; nothing written."""
        with pytest.raises(ValidationError, match="cgov_care_categories"):
            cgov.care.register_needs(SYSTEM, [NewCareNeed(elder, "elderly_alone", DAY),
                                              NewCareNeed(elder, "martian", DAY)])
        assert [] == cgov.care.needs(SYSTEM, resident_id=elder)

    def test_refuses_the_same_category_twice_in_one_period(self, cgov: Any, in_care: str) -> None:
        """Refuses a second active need of the same category."""
        with pytest.raises(ValidationError, match="already"):
            cgov.care.register_needs(SYSTEM, [NewCareNeed(in_care, "elderly_alone", DAY)])

    def test_enrols_residents_from_their_flags(self, cgov: Any, city: SmallCity,
                                              community: str, elder: str) -> None:
        """Enrols the flagged elder as 独居老人 once, however often it runs."""
        first = cgov.care.enrol_flagged(SYSTEM, community, on=DAY)
        again = cgov.care.enrol_flagged(SYSTEM, community, on=DAY)
        assert [(elder, "elderly_alone")] == [(n.resident_id, n.category) for n in first]
        assert [] == again


class TestReadingNeeds:
    def test_lists_mask_the_evidence_and_log_each_resident(self, cgov: Any, city: SmallCity,
                                                           community: str, in_care: str) -> None:
        """A cadre's list masks the evidence and writes an access-log row."""
        before = len(_access_rows(cgov, in_care))
        got = cgov.care.needs(city.cadre[community])
        assert ["独居登***"] == [n.evidence for n in got]
        assert before + 1 == len(_access_rows(cgov, in_care))

    def test_a_full_read_needs_the_office_and_a_reason(self, cgov: Any, city: SmallCity,
                                                       community: str, in_care: str) -> None:
        """The office reads the evidence in full with a reason, logged; a cadre may not."""
        need = cgov.care.needs(SYSTEM, resident_id=in_care)[0]
        with pytest.raises(ValidationError, match="reason"):
            cgov.care.need(city.secretary[community], need.id, reveal=True)
        full = cgov.care.need(city.secretary[community], need.id, reveal=True,
                              reason="annual review")
        assert "独居登记表2018-17" == full.evidence
        assert any("annual review" in r.reason for r in _access_rows(cgov, in_care))
        with pytest.raises(PermissionDenied, match=r"care\.read_office"):
            cgov.care.need(city.cadre[community], need.id, reveal=True, reason="curious")

    def test_office_only_needs_are_hidden_from_the_cadre(self, cgov: Any, city: SmallCity,
                                                        community: str, elder: str) -> None:
        """A need marked office-only is not listed for the cadre, but is for the office."""
        cgov.care.register_needs(SYSTEM, [NewCareNeed(elder, "disability", DAY,
                                                      visibility="office")])
        assert [] == cgov.care.needs(city.cadre[community])
        assert ["disability"] == [n.category for n in cgov.care.needs(city.secretary[community])]

    def test_other_communities_see_nothing(self, cgov: Any, city: SmallCity, in_care: str) -> None:
        """The cadre of another community sees no need."""
        assert [] == cgov.care.needs(city.cadre[city.communities[2]])


class TestErasure:
    def test_erasing_the_resident_blanks_care_data(self, cgov: Any, city: SmallCity,
                                                   community: str, in_care: str) -> None:
        """The existing erasure path blanks the need's category and evidence, the visit's
        needs and the help request's summary; the need no longer lists."""
        clock_now = cgov.now()
        cgov.care.record_visit(city.cadre[community], in_care, at=clock_now, outcome="needs",
                               needs="屋顶漏水")
        cgov.care.log_help(city.cadre[community], in_care, summary="想去医院复查")
        cgov.privacy.erase(city.secretary[community], in_care, reason="moved away")
        with cgov.store.unit_of_work(write=False) as uow:
            need = uow.conn.execute(sa.select(tc.care_needs)).one()
            visit = uow.conn.execute(sa.select(tc.care_visits)).one()
            help_ = uow.conn.execute(sa.select(tc.care_help_requests)).one()
        assert ("", "") == (need.category, need.evidence)
        assert "屋顶漏水" not in visit.needs
        assert "医院" not in help_.summary
        assert [] == cgov.care.needs(SYSTEM)


class TestCadres:
    def test_the_resident_gets_the_cadres_number_staff_see_it_masked(
            self, cgov: Any, city: SmallCity, community: str, elder: str) -> None:
        """The resident reads the cadre's phone in full; the office masked."""
        cgov.registry.add_staff(SYSTEM, [StaffMember("CAD2", "王干部", True, "13912345678")])
        cgov.registry.assign_posts(SYSTEM, [Post("P-CAD2", PostKind.ASSIGNED_CADRE, community,
                                                 HolderKind.STAFF, "CAD2", DAY)])
        cgov.care.register_needs(SYSTEM, [NewCareNeed(elder, "elderly_alone", DAY)])
        cgov.care.assign(SYSTEM, [(elder, "P-CAD2")], on=DAY)
        assert "13912345678" == cgov.care.cadre_of(Actor.resident(elder), elder).cadre_phone
        shown = cgov.care.cadre_of(city.secretary[community], elder).cadre_phone
        assert shown is not None and "12345678" not in shown

    def test_refuses_a_resident_not_in_care(self, cgov: Any, community: str, elder: str) -> None:
        """Assigning a cadre to a resident with no care need is refused with the fix."""
        with pytest.raises(ValidationError, match="register the need first"):
            cgov.care.assign(SYSTEM, [(elder, f"P-CAD-{community}")], on=DAY)

    def test_refuses_a_post_of_another_community(self, cgov: Any, city: SmallCity,
                                                 elder: str) -> None:
        """The cadre's post is at the resident's community or grid."""
        cgov.care.register_needs(SYSTEM, [NewCareNeed(elder, "elderly_alone", DAY)])
        with pytest.raises(ValidationError, match="held at"):
            cgov.care.assign(SYSTEM, [(elder, f"P-CAD-{city.communities[2]}")], on=DAY)

    def test_coverage_names_the_uncovered_and_the_load(self, cgov: Any, city: SmallCity,
                                                       community: str, in_care: str) -> None:
        """Coverage counts residents in care, those without a cadre, and load per cadre."""
        other = city.residents[city.households[city.buildings[community][0]][0]][0]
        cgov.care.register_needs(SYSTEM, [NewCareNeed(other, "low_income", DAY)])
        cov = cgov.care.coverage(city.secretary[community], community, on=DAY)
        assert (2, 1, (other,)) == (cov.in_care, cov.covered, cov.uncovered)
        assert {f"CAD-{community}": 1} == cov.load

    def test_a_post_with_residents_cannot_end_until_handed_over(
            self, cgov: Any, city: SmallCity, community: str, in_care: str) -> None:
        """Ending the cadre's post is refused while residents depend on it; after a hand-over
        to the director's post it ends and coverage stays whole."""
        end = dt.date(2019, 6, 30)
        with pytest.raises(ConflictError, match="hand them over"):
            cgov.registry.end_post(SYSTEM, f"P-CAD-{community}", on=end)
        moved = cgov.care.hand_over(SYSTEM, f"P-CAD-{community}", f"P-DIR-{community}",
                                    on=end)
        cgov.registry.end_post(SYSTEM, f"P-CAD-{community}", on=end)
        assert [in_care] == [a.resident_id for a in moved]
        cov = cgov.care.coverage(SYSTEM, community, on=dt.date(2019, 7, 1))
        assert ((), {f"DIR-{community}": 1}) == (cov.uncovered, cov.load)

    def test_an_erased_resident_does_not_hold_a_post_open(
            self, cgov: Any, city: SmallCity, community: str, in_care: str) -> None:
        """After the resident's erasure the post may end; a hand-over ends the assignment
        of a resident no longer in care instead of moving it."""
        other = city.residents[city.households[city.buildings[community][0]][0]][0]
        cgov.care.register_needs(SYSTEM, [NewCareNeed(other, "low_income", DAY)])
        cgov.care.assign(SYSTEM, [(other, f"P-CAD-{community}")], on=DAY)
        cgov.privacy.erase(SYSTEM, in_care, reason="moved away")
        moved = cgov.care.hand_over(SYSTEM, f"P-CAD-{community}", f"P-DIR-{community}",
                                    on=dt.date(2019, 3, 1))
        assert [other] == [a.resident_id for a in moved]
        cgov.registry.end_post(SYSTEM, f"P-CAD-{community}", on=dt.date(2019, 3, 1))
        with cgov.store.unit_of_work(write=False) as uow:
            open_ = uow.conn.execute(sa.select(tc.care_assignments.c.resident_id).where(
                tc.care_assignments.c.end.is_(None))).scalars().all()
        assert [other] == list(open_)

    def test_hand_over_of_a_post_with_nobody(self, cgov: Any, community: str) -> None:
        """Handing over a post that has no residents says so."""
        with pytest.raises(NotFound):
            cgov.care.hand_over(SYSTEM, f"P-CAD-{community}", f"P-DIR-{community}", on=DAY)


class TestCategoryHook:
    def test_a_county_category_is_used_and_a_broken_one_names_the_plugin(
            self, gov_with_plugins: Any, county: str) -> None:
        """A plugin's category is accepted; a plugin answering nonsense raises PluginError."""
        from community_governance.domain.care import CareCategory
        from community_governance.markers import hookimpl
        from community_governance.testing.city import build_small_city

        class Extra:
            @hookimpl
            def cgov_care_categories(self, community_code: str) -> list[CareCategory]:
                return [CareCategory("dementia", "失智老人", "Elder with dementia", 1,
                                     elder=True)]

        class Broken:
            @hookimpl
            def cgov_care_categories(self, community_code: str) -> object:
                return "特困"

        g = gov_with_plugins(Extra())
        city = build_small_city(g, county)
        c = city.communities[0]
        got = g.care.register_needs(SYSTEM, [NewCareNeed(city.elderly[c], "dementia", DAY)])
        assert ["dementia"] == [n.category for n in got]
        bad = gov_with_plugins(Broken())
        city = build_small_city(bad, county)
        with pytest.raises(PluginError, match="Broken"):
            bad.care.register_needs(SYSTEM, [NewCareNeed(city.elderly[city.communities[0]],
                                                         "elderly_alone", DAY)])


class TestCounts:
    def test_counts_by_category_name_nobody(self, cgov: Any, city: SmallCity, community: str,
                                            in_care: str) -> None:
        """Counts residents in care per category for a report reader; an erased resident no
        longer counts."""
        other = city.residents[city.households[city.buildings[community][0]][0]][0]
        cgov.care.register_needs(SYSTEM, [NewCareNeed(other, "elderly_alone", DAY)])
        reader = city.subdistrict_staff[community[:9]]
        assert {"elderly_alone": 2} == cgov.care.counts(reader, community, on=DAY)
        cgov.privacy.erase(SYSTEM, other, reason="moved away")
        assert {"elderly_alone": 1} == cgov.care.counts(reader, community, on=DAY)
