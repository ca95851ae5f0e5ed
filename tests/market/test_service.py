"""gov.market: market actors and contracts, the property company's party organization, the
report of 三无小区, owners' votes and committees, the handover, the catalogue, paid-service
income and funding agreements. Every test runs in Yima and in 湖滨区."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from community_governance import Actor, hookimpl
from community_governance.domain.funds import Channel, credit, debit
from community_governance.domain.market import (
    CommitteeRole,
    CommunityService,
    CompoundManagement,
    FundingAgreement,
    HandoverRecord,
    HandoverStatus,
    MarketActor,
    OwnersCommittee,
    OwnersCommitteeMember,
    OwnersVoteRule,
    ServiceContract,
    Threshold,
)
from community_governance.domain.posts import PartnerKind, PartnerUnit, PartyOrg, PartyOrgKind
from community_governance.errors import (
    ConflictError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    PluginError,
    ValidationError,
)
from community_governance.services.market import ServiceSale
from community_governance.storage.tables import market as mt
from community_governance.testing.city import SmallCity

from .conftest import DAY, SYSTEM, compound_of


def _count(gov: Any, table: sa.Table) -> int:
    with gov.store.unit_of_work(write=False) as uow:
        return int(uow.conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


class TestRegistry:
    """register_actors, actors, market_actor."""

    def test_registers_and_lists(self, gov: Any, companies: SmallCity) -> None:
        """Lists the county's companies, and those offering a service."""
        county = companies.county
        assert [f"M-JZ-{county}", f"M-WY-{county}"] == [a.id for a in gov.market.actors(county)]
        assert [f"M-WY-{county}"] == [a.id for a in gov.market.actors(kind="repair")]
        assert f"PU-WY-{county}" == gov.market.market_actor(f"M-WY-{county}").partner_id

    def test_partner_must_be_property_company(self, gov: Any, city: SmallCity) -> None:
        """Refuses a partner unit that is not a property company; nothing is written."""
        gov.registry.add_partner_units(SYSTEM, [PartnerUnit(
            "PU-J", "财政局", PartnerKind.ASSIGNED_BUREAU, (city.communities[0],))])
        with pytest.raises(ValidationError, match="not a property company"):
            gov.market.register_actors(SYSTEM, [
                MarketActor("OK", city.county, "好公司", ["repair"]),
                MarketActor("BAD", city.county, "物业", ["property_management"],
                            partner_id="PU-J")])
        assert 0 == _count(gov, mt.market_actors)

    def test_duplicate(self, gov: Any, companies: SmallCity) -> None:
        """Refuses a key registered already."""
        with pytest.raises(ConflictError, match="registered already"):
            gov.market.register_actors(SYSTEM, [MarketActor(
                f"M-JZ-{companies.county}", companies.county, "又一家", ["domestic"])])

    def test_permission(self, gov: Any, city: SmallCity) -> None:
        """A community's secretary may not keep the county's registry; its administrator may."""
        item = MarketActor("M1", city.county, "修缮公司", ["repair"])
        with pytest.raises(PermissionDenied):
            gov.market.register_actors(city.secretary[city.communities[0]], [item])
        assert 1 == gov.market.register_actors(city.county_admin, [item])


class TestContracts:
    """add_contracts, end_contract, contracts."""

    def _property(self, city: SmallCity, cid: str, start: dt.date,
                  end: dt.date | None = None) -> ServiceContract:
        return ServiceContract(cid, f"M-WY-{city.county}", compound_of(city), "property_management",
                               start, end, "0.80", "per_m2_month")

    def test_adds_and_lists(self, gov: Any, companies: SmallCity) -> None:
        """Records who serves which compound, for how much, with fees as Decimal."""
        c = companies
        gov.market.add_contracts(c.secretary[c.communities[0]], [
            self._property(c, "K1", dt.date(2018, 1, 1)),
            ServiceContract("K2", f"M-JZ-{c.county}", compound_of(c), "domestic",
                            dt.date(2019, 1, 1), dt.date(2019, 12, 31), "35", "per_service")])
        got = gov.market.contracts(c.communities[0])
        assert [("K1", Decimal("0.80")), ("K2", Decimal("35.00"))] == [(k.id, k.fee) for k in got]

    def test_refuses_a_service_not_offered(self, gov: Any, companies: SmallCity) -> None:
        """Refuses a contract for a service the company does not offer; nothing is written."""
        c = companies
        with pytest.raises(ValidationError, match="does not offer waste_sorting"):
            gov.market.add_contracts(SYSTEM, [
                self._property(c, "K1", dt.date(2018, 1, 1)),
                ServiceContract("K2", f"M-JZ-{c.county}", compound_of(c), "waste_sorting",
                                dt.date(2019, 1, 1))])
        assert 0 == _count(gov, mt.market_contracts)

    def test_one_property_company(self, gov: Any, companies: SmallCity) -> None:
        """Refuses a second property company for one compound until the first contract ends."""
        c = companies
        gov.market.add_contracts(SYSTEM, [self._property(c, "K1", dt.date(2018, 1, 1))])
        with pytest.raises(ConflictError, match="one property company at a time"):
            gov.market.add_contracts(SYSTEM, [self._property(c, "K2", dt.date(2019, 7, 1))])
        ended = gov.market.end_contract(SYSTEM, "K1", on=dt.date(2019, 6, 30))
        assert dt.date(2019, 6, 30) == ended.end
        assert 1 == gov.market.add_contracts(SYSTEM, [self._property(c, "K2",
                                                                     dt.date(2019, 7, 1))])
        with pytest.raises(ConflictError, match="can end on a day"):
            gov.market.end_contract(SYSTEM, "K1", on=dt.date(2019, 12, 1))

    def test_other_community_refused(self, gov: Any, companies: SmallCity) -> None:
        """A secretary may not contract for another community's compound."""
        c = companies
        with pytest.raises(PermissionDenied):
            gov.market.add_contracts(c.secretary[c.communities[1]],
                                     [self._property(c, "K1", dt.date(2018, 1, 1))])

    def test_unknown_compound(self, gov: Any, companies: SmallCity) -> None:
        """Names a compound that does not exist."""
        with pytest.raises(NotFound, match="compound"):
            gov.market.add_contracts(SYSTEM, [ServiceContract(
                "K1", f"M-WY-{companies.county}", f"{companies.communities[0]}-Q09",
                "repair", dt.date(2019, 1, 1))])


class TestPartyLink:
    """party_links: the 物业党组织 under the community's general committee (linked, not
    duplicated)."""

    def test_links(self, gov: Any, companies: SmallCity) -> None:
        """Finds the company's party organization through its partner unit, and the general
        committee of a community it serves where it has none yet."""
        c = companies
        c0, c1 = c.communities[0], c.communities[1]
        gov.registry.add_party_orgs(SYSTEM, [
            PartyOrg(f"GC-{c0}", PartyOrgKind.GENERAL_COMMITTEE, c0, "社区大党委"),
            PartyOrg(f"GC-{c1}", PartyOrgKind.GENERAL_COMMITTEE, c1, "社区大党委"),
            PartyOrg("WY-PO", PartyOrgKind.PROPERTY_ORG, c0, "宏达物业党支部",
                     parent_id=f"GC-{c0}", partner_id=f"PU-WY-{c.county}")])
        gov.market.add_contracts(SYSTEM, [ServiceContract(
            "K1", f"M-WY-{c.county}", compound_of(c, 1), "property_management",
            dt.date(2019, 1, 1))])
        links = gov.market.party_links(f"M-WY-{c.county}")
        assert [(c0, "WY-PO", f"GC-{c0}"), (c1, None, f"GC-{c1}")] == [
            (x.community_code, x.org_id, x.committee_id) for x in links]
        assert 1 == len(gov.registry.party_orgs(kind="property_org"))


class TestCompoundManagement:
    """compound_management: the report of 三无小区 and 不规范小区."""

    def test_report(self, gov: Any, companies: SmallCity) -> None:
        """Flags each compound managed, irregular or unmanaged on the day."""
        c = companies
        gov.market.add_contracts(SYSTEM, [
            ServiceContract("K1", f"M-WY-{c.county}", compound_of(c, 0), "property_management",
                            dt.date(2018, 1, 1)),
            ServiceContract("K2", f"M-WY-{c.county}", compound_of(c, 1), "property_management",
                            dt.date(2017, 1, 1), dt.date(2018, 12, 31))])
        got = gov.market.compound_management(c.county, on=DAY)
        assert [CompoundManagement.MANAGED, CompoundManagement.IRREGULAR,
                CompoundManagement.UNMANAGED] == [x.status for x in got]
        assert [f"M-WY-{c.county}", None, None] == [x.company_id for x in got]
        assert [12, 12, 12] == [x.households for x in got]
        assert "三无小区" == got[2].as_dict()["status_zh"]


def _owners() -> dict[str, Decimal]:
    return {f"o{i}": Decimal("86.50") for i in range(1, 10)}


def _elect(gov: Any, city: SmallCity, vote_id: str = "V1", *, yes: int = 6,
           held_on: dt.date = dt.date(2019, 6, 30)) -> Any:
    ballots = {f"o{i}": "for" if i <= yes else "against" for i in range(1, 8)}
    return gov.market.owners_vote(city.secretary[city.communities[0]], vote_id,
                                  compound_of(city), title="选举第一届业主委员会",
                                  matter="elect_committee", held_on=held_on,
                                  owners=_owners(), ballots=ballots)


def _committee(city: SmallCity, cid: str = "YW1", vote: str = "V1",
               start: dt.date = dt.date(2019, 7, 1)) -> OwnersCommittee:
    members = tuple(OwnersCommitteeMember(f"{cid}-{i}", cid, f"业主{i}",
                                          CommitteeRole.CHAIR if i == 0 else "member")
                    for i in range(5))
    return OwnersCommittee(cid, compound_of(city), city.communities[0], dt.date(2019, 6, 30),
                           start, start.replace(year=start.year + 3), members, vote)


class TestOwners:
    """owners_vote, elect_committee, committees, votes."""

    def test_vote_and_committee(self, gov: Any, city: SmallCity) -> None:
        """Seats a committee elected by a carried vote; lists it with its members."""
        got = _elect(gov, city)
        assert (True, 7, 6) == (got.result.carried, got.result.owners_voting,
                                got.result.owners_for)
        gov.market.elect_committee(city.secretary[city.communities[0]], _committee(city))
        seated = gov.market.committees(city.communities[0], on=DAY)
        assert ["YW1"] == [c.id for c in seated]
        assert 5 == len(seated[0].members)
        assert [got.as_dict()] == [v.as_dict() for v in gov.market.votes(city.county)]

    def test_not_carried(self, gov: Any, city: SmallCity) -> None:
        """Records a vote that failed, with its reason, and seats no committee from it."""
        got = _elect(gov, city, yes=3)
        assert not got.result.carried
        assert "short of more than 1/2" in got.result.reason
        with pytest.raises(ConflictError, match="not carried"):
            gov.market.elect_committee(SYSTEM, _committee(city))
        assert 0 == _count(gov, mt.market_committees)

    def test_wrong_vote(self, gov: Any, city: SmallCity) -> None:
        """Refuses a committee whose vote is of another matter."""
        gov.market.owners_vote(SYSTEM, "V9", compound_of(city), title="续聘物业",
                               matter="hire_property", held_on=dt.date(2019, 6, 30),
                               owners=_owners(), ballots={f"o{i}": "for" for i in range(1, 8)})
        with pytest.raises(ValidationError, match="elect_committee"):
            gov.market.elect_committee(SYSTEM, _committee(city, vote="V9"))

    def test_one_committee_at_a_time(self, gov: Any, city: SmallCity) -> None:
        """Refuses a committee whose term overlaps the sitting one."""
        _elect(gov, city)
        gov.market.elect_committee(SYSTEM, _committee(city))
        _elect(gov, city, "V2")
        with pytest.raises(ConflictError, match="one committee at a time"):
            gov.market.elect_committee(SYSTEM, _committee(city, "YW2", "V2"))

    def test_future_vote(self, gov: Any, city: SmallCity) -> None:
        """Refuses a vote held after today; nothing is written."""
        with pytest.raises(ValidationError, match="after today"):
            _elect(gov, city, held_on=dt.date(2020, 1, 5))
        assert 0 == _count(gov, mt.market_owner_votes)

    def test_stricter_rule_of_the_place(self, gov: Any, city: SmallCity) -> None:
        """A plugin asking more than Art. 278 for its community is obeyed."""

        class Strict:
            @hookimpl
            def cgov_owners_vote_rule(self, community_code: str, compound_code: str,
                                      matter: str) -> OwnersVoteRule | None:
                return OwnersVoteRule(Threshold(Fraction(2, 3)), Threshold(Fraction(9, 10)))

        from fractions import Fraction

        gov.hooks.pm.register(Strict(), name="strict")
        try:
            got = _elect(gov, city)
        finally:
            gov.hooks.pm.unregister(name="strict")
        assert not got.result.carried
        assert "at least 9/10" in got.result.rule

    def test_looser_rule_is_a_plugin_error(self, gov: Any, city: SmallCity) -> None:
        """A plugin asking less than Art. 278 is refused, naming it; nothing is written."""

        class Loose:
            @hookimpl
            def cgov_owners_vote_rule(self, community_code: str, compound_code: str,
                                      matter: str) -> OwnersVoteRule | None:
                return OwnersVoteRule(Threshold(Fraction(1, 2)), Threshold(Fraction(1, 2)))

        from fractions import Fraction

        gov.hooks.pm.register(Loose(), name="loose")
        try:
            with pytest.raises(PluginError, match="loose") as err:
                _elect(gov, city)
        finally:
            gov.hooks.pm.unregister(name="loose")
        assert "never less" in str(err.value)
        assert 0 == _count(gov, mt.market_owner_votes)


def _handovers(city: SmallCity, households: int = 12) -> list[HandoverRecord]:
    q = compound_of(city)
    to = {"water": "供水公司", "power": "供电公司", "gas": "燃气公司", "property": "物业公司"}
    return [HandoverRecord(f"H-{u}", q, u, "义马煤业集团", to[u], dt.date(2017, 5, 1),
                           households, "150", "completed" if u != "gas" else "agreed")
            for u in ("water", "power", "gas", "property")]


class TestHandover:
    """record_handovers, advance_handover, tag_cases, handover_report."""

    def test_report(self, gov: Any, city: SmallCity, clock: Any) -> None:
        """Shows per compound the supplies handed over, households, subsidies lost, and the
        cases reported in its buildings or tagged to it, per month."""
        c0, c1 = city.communities[0], city.communities[1]
        gov.market.record_handovers(SYSTEM, _handovers(city))
        gov.market.advance_handover(SYSTEM, "H-gas", "complete", on=dt.date(2017, 5, 20))
        clock.now = clock.now.subtract(months=1)
        k1 = gov.cases.report(city.staff[c0], category="repair", building_code=city.buildings[c0][0],
                              description="楼道灯坏了")
        clock.now = clock.now.add(months=1)
        gov.cases.report(city.staff[c0], category="sanitation",
                         building_code=city.buildings[c0][1], description="垃圾未清运")
        other = gov.cases.report(city.staff[c1], category="dispute",
                                 building_code=city.buildings[c1][0], description="供暖费纠纷")
        assert 1 == gov.market.tag_cases(SYSTEM, compound_of(city), [other.id])
        got = gov.market.handover_report(city.county)
        assert 1 == len(got.compounds)
        row = got.compounds[0]
        assert (12, 4, 4, "7200.00", 3) == (row["households"], row["supplies"],
                                            row["completed"], row["subsidy_removed_per_year"],
                                            row["cases"])
        assert [("2019-11", 1), ("2019-12", 2)] == [(m["month"], m["cases"])
                                                    for m in got.months]
        assert (12, 1) == (got.households, got.completed_compounds)
        assert k1.id != other.id

    def test_refusals(self, gov: Any, city: SmallCity) -> None:
        """Refuses more households than the compound holds, a second record of one supply,
        a tag to a compound without a handover, and a transition that does not apply."""
        with pytest.raises(ValidationError, match="holds 12"):
            gov.market.record_handovers(SYSTEM, _handovers(city, 13))
        assert 0 == _count(gov, mt.market_handovers)
        gov.market.record_handovers(SYSTEM, _handovers(city))
        with pytest.raises(ConflictError, match="one record per compound and supply"):
            gov.market.record_handovers(SYSTEM, _handovers(city)[:1])
        with pytest.raises(ValidationError, match="no handover record"):
            gov.market.tag_cases(SYSTEM, compound_of(city, 1), [])
        with pytest.raises(InvalidTransition, match="completed already"):
            gov.market.advance_handover(SYSTEM, "H-water", "agree")
        assert HandoverStatus.AGREED == next(
            h.status for h in gov.market.handovers(city.county) if h.utility.value == "gas")


class TestFunding:
    """The catalogue, paid-service income, agreements and the funding mix."""

    def test_catalogue_and_income(self, gov: Any, city: SmallCity) -> None:
        """Seeds the place's catalogue once; posts paid-service income to the ledger in the
        channel paid_service; refuses income of a free service."""
        c0 = city.communities[0]
        assert 6 == gov.market.seed_catalogue(SYSTEM, [c0])
        assert 0 == gov.market.seed_catalogue(SYSTEM, [c0])
        cat = {s.id: s for s in gov.market.catalogue(c0)}
        assert 3 == sum(1 for s in cat.values() if s.free)
        txs = gov.market.record_income(city.secretary[c0], [
            ServiceSale(f"{c0}-S04", 4, dt.date(2019, 3, 1), "SF-1"),
            ServiceSale(f"{c0}-S05", 3, dt.date(2019, 3, 2), "SF-2")])
        assert [Decimal("140.00"), Decimal("60.00")] == [t.total for t in txs]
        assert {Channel.PAID_SERVICE} == {t.channel for t in txs}
        assert [("4", "140.00"), ("3", "60.00")] == [
            (str(x["quantity"]), x["income"]) for x in gov.market.service_income(c0)]
        with pytest.raises(ValidationError, match="is free"):
            gov.market.record_income(SYSTEM, [ServiceSale(f"{c0}-S01", 1, dt.date(2019, 3, 1),
                                                          "SF-3")])
        assert 2 == _count(gov, mt.market_service_income)

    def test_grid_leader_may_not_post(self, gov: Any, city: SmallCity) -> None:
        """A grid leader may not post income to the community's books."""
        c0 = city.communities[0]
        gov.market.add_services(SYSTEM, [CommunityService("X1", c0, "理发", "10")])
        with pytest.raises(PermissionDenied):
            gov.market.record_income(city.grid_leader[city.grids[c0][0]],
                                     [ServiceSale("X1", 1, dt.date(2019, 3, 1), "V")])

    def test_agreements_and_mix(self, gov: Any, city: SmallCity) -> None:
        """Receipts under agreements go to the channel of the party, never beyond the amount
        agreed; the funding mix shows the largest channel's share before and after."""
        c0 = city.communities[0]
        gov.funds.post(SYSTEM, c0, [debit("1002", "74000"), credit("4101", "74000")],
                       channel="city_allocation", voucher="CZ-1", on=dt.date(2019, 1, 10))
        gov.funds.post(SYSTEM, c0, [debit("1002", "26000"), credit("4401", "26000")],
                       channel="partner_unit", voucher="GJ-1", on=dt.date(2019, 1, 12))
        before = gov.funds.funding_mix(SYSTEM, 2019, c0)[0]
        assert (Decimal("0.7400"), Decimal("0.7400")) == (before.largest_share,
                                                          before.largest_share_before)
        gov.market.add_agreements(SYSTEM, [
            FundingAgreement("A1", c0, "sponsorship", "enterprise", "义马市某超市", "30000",
                             dt.date(2019, 2, 1), "文体活动赞助"),
            FundingAgreement("A2", c0, "donation", "individual", "王某", "5000",
                             dt.date(2019, 2, 1), "关爱基金")])
        gov.market.receive(SYSTEM, "A1", "20000", voucher="ZZ-1", on=dt.date(2019, 3, 1))
        tx = gov.market.receive(SYSTEM, "A2", "5000", voucher="JZ-1", on=dt.date(2019, 3, 1))
        assert (Channel.INDIVIDUAL, False) == (tx.channel, tx.counterparty_public)
        with pytest.raises(ConflictError, match="would exceed it"):
            gov.market.receive(SYSTEM, "A1", "10000.01", voucher="ZZ-2", on=dt.date(2019, 4, 1))
        after = gov.funds.funding_mix(SYSTEM, 2019, c0)[0]
        assert (Decimal("0.5920"), Decimal("0.7400"), Decimal("25000.00")) == (
            after.largest_share, after.largest_share_before, after.widened)
        listed = {a["id"]: a for a in gov.market.agreements(c0)}
        assert ("个人", "20000.00") == (listed["A2"]["party"], listed["A1"]["received"])

    def test_receipt_before_signing(self, gov: Any, city: SmallCity) -> None:
        """Refuses money dated before the agreement; nothing is written."""
        c0 = city.communities[0]
        gov.market.add_agreements(SYSTEM, [FundingAgreement(
            "A1", c0, "donation", "ngo", "慈善会", "100", dt.date(2019, 2, 1))])
        with pytest.raises(ValidationError, match="signed on 2019-02-01"):
            gov.market.receive(SYSTEM, "A1", "10", voucher="V", on=dt.date(2019, 1, 1))
        assert 0 == _count(gov, mt.market_agreement_receipts)


def test_actor_is_required(gov: Any, city: SmallCity) -> None:
    """Every write names its actor."""
    with pytest.raises(TypeError, match="names its actor"):
        gov.market.register_actors("system", [])  # type: ignore[arg-type]
    assert isinstance(SYSTEM, Actor)
