"""Conformance contracts of the capability hooks (grids, points, funds, cases, calendars...).

Each contract draws the arguments a service passes to the hook and checks an answer with the
very check the service applies at its call site (imported from the service module where it is
a named function). Where the service checks an answer against context it holds (the funds
chart, the action asked about), the contract builds that context as the national defaults
would give it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextvars import ContextVar
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

if TYPE_CHECKING:
    from community_governance.domain.access import Action
    from community_governance.domain.funds import Account
    from community_governance.testing.conformance import HookContract

__all__ = ["CHARITY_CATEGORIES", "COUNTIES", "allocation_check", "contracts", "county_codes"]

Kwargs = st.SearchStrategy[dict[str, Any]]


def _kwargs(**fields: st.SearchStrategy[Any]) -> Kwargs:
    return st.fixed_dictionaries(fields)


#: The counties :func:`~community_governance.testing.conformance.check_plugin` is checking
#: (set for the duration of one check).
COUNTIES: ContextVar[tuple[str, ...]] = ContextVar("cgov_kit_counties", default=("411281",))
#: A county no county plugin of the tests serves: its places must pass through.
ELSEWHERE = "410302"


@st.composite
def _county(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(COUNTIES.get()))


@st.composite
def _community_in(draw: st.DrawFn) -> str:
    from community_governance.testing import strategies as cst

    return draw(cst.community_codes(draw(_county())))


def _communities() -> st.SearchStrategy[str]:
    """Community codes, mostly of the counties being checked (:data:`COUNTIES`), sometimes of
    another county (where a scoped plugin passes)."""
    from community_governance.testing import strategies as cst

    return _community_in() | _community_in() | cst.community_codes(ELSEWHERE)


def county_codes() -> st.SearchStrategy[str]:
    """County codes: those being checked, sometimes another one."""
    return _county() | _county() | st.just(ELSEWHERE)


def _counties() -> st.SearchStrategy[str]:
    """County codes: Yima (411281) or another county (pass-through)."""
    return st.sampled_from(["411281", "410302", "411202"])


# --- access -----------------------------------------------------------------------------------


def _extend_permission() -> HookContract:
    """``cgov_extend_permission``: ``plugins.expect_post_kinds``, and (as
    ``effective_action`` does) no new posts for an action on personal data.

    The check needs the action asked about: the strategy remembers the last action it drew,
    which is the one the answer being checked was given for (examples run one at a time).
    """
    from community_governance.plugins import expect_post_kinds as _expect_post_kinds
    from community_governance.testing import strategies as cst
    from community_governance.testing.conformance import HookContract

    asked: list[Action] = []

    def remember(kwargs: dict[str, Any]) -> dict[str, Any]:
        asked[:] = [kwargs["action"]]
        return kwargs

    def check(value: Any) -> Any:
        kinds = _expect_post_kinds(value)
        if asked:
            action = asked[0]
            new = set(kinds) - action.roles
            if new and action.personal:
                raise ValueError(
                    f"it gives {sorted(k.value for k in new)} the action {action.name}, which "
                    "touches personal data: such rights can only be narrowed "
                    "(cgov_narrow_permission), never widened")
        return kinds

    return HookContract(_kwargs(action=cst.actions()).map(remember), check)


# --- calendars --------------------------------------------------------------------------------


def _calendar_contracts() -> dict[str, HookContract]:
    from community_governance.calendars import WorkingDayCalendar, package_data_dir
    from community_governance.plugins import expect_dirs as _expect_dirs
    from community_governance.plugins import expect_local_days, expect_type
    from community_governance.testing.conformance import HookContract

    def local_days(value: Any) -> Any:
        # the year is not known to the check here: any year of the covered range
        return expect_local_days(value[0].day.year)(value) if value else value

    return {
        "cgov_working_day_calendar": HookContract(
            _kwargs(extra_dirs=st.lists(st.just(package_data_dir()), max_size=1),
                    county_code=st.none() | county_codes()),
            expect_type(WorkingDayCalendar)),
        "cgov_holiday_data_dirs": HookContract(
            _kwargs(county_code=st.none() | county_codes()), _expect_dirs),
        "cgov_local_calendar_days": HookContract(
            _kwargs(county_code=county_codes(), year=st.integers(2004, 2036)), local_days),
    }


# --- cases ------------------------------------------------------------------------------------


@st.composite
def _route_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    from community_governance.testing import strategies as cst

    community = draw(_communities())
    return {"category": draw(cst.case_categories()),
            "building_code": draw(cst.building_codes(community)),
            "grid_code": draw(st.none() | cst.grid_codes(community)),
            "community_code": community}


def _case_contracts() -> dict[str, HookContract]:
    from community_governance.domain.cases import RouteLevel
    from community_governance.domain.guide import GuideMatter
    from community_governance.plugins import expect_each, expect_int, expect_type
    from community_governance.services.cases import _expect_category, _expect_route
    from community_governance.testing import strategies as cst
    from community_governance.testing.conformance import HookContract

    return {
        "cgov_case_categories": HookContract(_kwargs(county_code=county_codes()),
                                             expect_each(_expect_category)),
        "cgov_case_route": HookContract(_route_kwargs(), _expect_route),
        "cgov_case_deadline": HookContract(
            _kwargs(category=cst.case_categories(), level=st.sampled_from(list(RouteLevel)),
                    county_code=county_codes()),
            expect_int(minimum=1, maximum=60)),
        "cgov_service_guide_matters": HookContract(
            _kwargs(county_code=county_codes()), expect_each(expect_type(GuideMatter))),
    }


# --- core (the two not in the core contracts) -------------------------------------------------


def _check_store_and_close(value: Any) -> Any:
    """The facade's ``_check_store``; then the store is closed (nobody else will use it)."""
    from community_governance.facade import _check_store

    store = _check_store(value)
    store.close()
    return store


def check_scope(value: Any) -> list[str]:
    """A ``cgov_plugin_scope`` answer: unit-code prefixes (2, 4, 6, 9 or 12 digits)."""
    if not isinstance(value, list | tuple) or not value:
        raise TypeError(f"expected a non-empty list of unit-code prefixes, got {value!r}")
    for code in value:
        if not (isinstance(code, str) and code.isdigit() and len(code) in (2, 4, 6, 9, 12)):
            raise ValueError(f"{code!r} is not a unit-code prefix (2, 4, 6, 9 or 12 digits, "
                             "e.g. '411202' for a county)")
    return list(value)


def _core_more() -> dict[str, HookContract]:
    import click

    from community_governance.plugins import accept_any
    from community_governance.testing.conformance import HookContract

    # memory:// opens a throw-away store; the other schemes are no built-in one's, so a plugin
    # that does not serve them must answer None (one that does will be asked to connect).
    urls = st.sampled_from(["memory://", "mariadb://cgov@127.0.0.1/yima",
                            "oracle://cgov@db.example.cn/yima", "mongodb://127.0.0.1/yima"])
    return {
        "cgov_storage_backend": HookContract(_kwargs(url=urls), _check_store_and_close),
        "cgov_register_commands": HookContract(
            _kwargs(cli=st.builds(lambda: click.Group("cgov"))), accept_any),
        "cgov_plugin_scope": HookContract(st.just({}), check_scope),
    }


# --- funds ------------------------------------------------------------------------------------


def _national_chart() -> dict[str, Account]:
    from community_governance.defaults.funds import STANDARD_CHART

    return {a.code: a for a in STANDARD_CHART}


def _check_accounts(value: Any) -> list[Account]:
    """``expect_each(expect_type(Account))`` as the service checks each answer, then the check
    the service makes of the chart (``check_chart``), here of the national chart plus the
    answer (the chart every county store has)."""
    from community_governance.defaults.funds import STANDARD_CHART
    from community_governance.domain.funds import Account, check_chart
    from community_governance.plugins import expect_each, expect_type

    accounts = expect_each(expect_type(Account))(value)
    problems = check_chart([*STANDARD_CHART, *accounts])
    if problems:
        raise ValueError("; ".join(v.message for v in problems))
    return accounts


def allocation_check(chart: dict[str, Account]) -> Callable[[Any], dict[str, Decimal]]:
    """The check ``FundsService.annual_allocation`` applies, over ``chart``."""
    from community_governance.services.funds import allocation_check as service_check

    return service_check(chart)


def _expense_accounts() -> st.SearchStrategy[str]:
    from community_governance.domain.funds import AccountType

    return st.sampled_from(sorted(a.code for a in _national_chart().values()
                                  if a.type is AccountType.EXPENSE))


@st.composite
def _over_budget_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    """Arguments as the service passes them: only when the request passes the budget."""
    from community_governance.testing import strategies as cst

    budget = draw(cst.money("0", "500000"))
    committed = draw(cst.money("0", "500000"))
    amount = draw(cst.money("0.01", "200000"))
    if committed + amount <= budget:
        amount = budget - committed + draw(cst.money("0.01", "20000"))
    return {"community_code": draw(_communities()), "account": draw(_expense_accounts()),
            "year": draw(st.integers(2017, 2030)), "amount": amount, "budget": budget,
            "committed": committed}


def _funds_contracts() -> dict[str, HookContract]:
    from community_governance.plugins import expect_post_kinds as _check_roles
    from community_governance.services.funds import (
        _check_over_budget,
        _check_threshold,
    )
    from community_governance.testing import strategies as cst
    from community_governance.testing.conformance import HookContract

    return {
        "cgov_funds_accounts": HookContract(_kwargs(community_code=_communities()),
                                            _check_accounts),
        "cgov_funds_required_approvals": HookContract(
            _kwargs(community_code=_communities(), account=_expense_accounts(),
                    amount=cst.money("0.01", "1000000")), _check_roles),
        "cgov_funds_over_budget": HookContract(_over_budget_kwargs(), _check_over_budget),
        "cgov_funds_large_item": HookContract(_kwargs(community_code=_communities()),
                                              _check_threshold),
        "cgov_funds_annual_allocation": HookContract(
            _kwargs(community_code=_communities(), year=st.integers(2015, 2035)),
            allocation_check(_national_chart())),
    }


# --- grids ------------------------------------------------------------------------------------


def _grid_contracts() -> dict[str, HookContract]:
    from community_governance.plugins import expect_int
    from community_governance.services.grids import check_policy
    from community_governance.testing.conformance import HookContract

    return {
        "cgov_grid_policy": HookContract(
            _kwargs(community_code=_communities(), households=st.integers(0, 20000)),
            check_policy),
        "cgov_grid_leaders_allowed": HookContract(_grid_leader_kwargs(),
                                                  expect_int(minimum=1, maximum=3)),
    }


@st.composite
def _grid_leader_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    """As ``gov.registry.assign_posts`` and ``gov.grids.assign_leader`` pass them."""
    community = draw(_communities())
    return {"grid_code": f"{community}-W{draw(st.integers(1, 99)):02d}",
            "community_code": community}


# --- points, supermarket, charity -------------------------------------------------------------

#: Categories of donated goods at the charity supermarket (爱心超市).
CHARITY_CATEGORIES = ("clothes", "appliance", "books", "daily_goods", "school_supplies",
                      "furniture")


@st.composite
def _charity_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    """As ``gov.charity.give_out`` passes them: no community means not registered."""
    from community_governance.domain.people import Vulnerability
    from community_governance.testing import strategies as cst

    community = draw(st.none() | _communities())
    return {"resident_id": draw(cst.resident_ids()), "community_code": community,
            "vulnerabilities": draw(st.frozensets(st.sampled_from([v.value for v in
                                                                   Vulnerability]))),
            "registered": community is not None and draw(st.booleans()),
            "category": draw(st.sampled_from(CHARITY_CATEGORIES))}


def _points_contracts() -> dict[str, HookContract]:
    from community_governance.domain.points import AwardThreshold
    from community_governance.plugins import expect_bool, expect_int, expect_type
    from community_governance.services.supermarket import _check_limit
    from community_governance.testing import strategies as cst
    from community_governance.testing.conformance import HookContract

    days = st.dates(min_value=dt.date(2017, 1, 1), max_value=dt.date(2030, 12, 31))
    return {
        "cgov_points_standard": HookContract(
            _kwargs(category=cst.activity_categories(), minutes=st.integers(0, 600),
                    community_code=_communities()), expect_int(minimum=0)),
        "cgov_points_bonus": HookContract(
            _kwargs(activity=cst.activities(), resident_id=cst.resident_ids(),
                    base=st.integers(0, 200), community_code=_communities()),
            expect_int(minimum=0)),
        "cgov_points_daily_cap": HookContract(
            _kwargs(community_code=_communities(), day=days), expect_int(minimum=0)),
        "cgov_points_expiry_months": HookContract(
            _kwargs(community_code=_communities()), expect_int(minimum=1)),
        "cgov_points_award_threshold": HookContract(
            _kwargs(community_code=_communities()), expect_type(AwardThreshold)),
        "cgov_redemption_limit": HookContract(
            _kwargs(item=cst.items(), resident_id=cst.resident_ids(),
                    community_code=_communities()), _check_limit),
        "cgov_charity_eligible": HookContract(_charity_kwargs(), expect_bool),
    }


# --- simulation -------------------------------------------------------------------------------


def _simulation_contracts() -> dict[str, HookContract]:
    from community_governance.simulation import behaviours as b
    from community_governance.simulation.engine import _check_model
    from community_governance.testing import strategies as cst
    from community_governance.testing.conformance import HookContract

    kinds: dict[str, type] = {
        "cgov_sim_participation_model": b.ParticipationModel,
        "cgov_sim_volunteering_model": b.VolunteeringModel,
        "cgov_sim_redemption_model": b.RedemptionModel,
        "cgov_sim_cases_model": b.CaseModel,
        "cgov_sim_service_model": b.ServiceModel,
        "cgov_sim_opinion_model": b.OpinionModel,
    }
    scenario = _kwargs(scenario=cst.scenarios())
    out = {hook: HookContract(scenario, _check_model(kind)) for hook, kind in kinds.items()}
    from community_governance.simulation.metrics import expect_metrics

    out["cgov_sim_metrics"] = HookContract(
        _kwargs(scenario=cst.scenarios(), county_code=st.sampled_from(["411281", "411202"])),
        expect_metrics)
    from community_governance.simulation.mechanisms.engine import MECHANISM_HOOKS

    # the mechanisms' models (told the county; None for a city of several)
    told = _kwargs(scenario=cst.scenarios(),
                   county_code=st.sampled_from(["411281", "411202", None]))
    out.update({hook: HookContract(told, _check_model(kind))
                for hook, kind in MECHANISM_HOOKS.items()})
    return out



# --- care -------------------------------------------------------------------------------------


def _care_contracts() -> dict[str, HookContract]:
    from community_governance.domain.care import WeatherAlert
    from community_governance.plugins import (
        expect_bool,
        expect_each,
        expect_int,
        expect_str_list,
        expect_type,
    )
    from community_governance.services.care.common import expect_categories, expect_gift
    from community_governance.testing.conformance import HookContract

    return {
        "cgov_care_categories": HookContract(_kwargs(community_code=_communities()),
                                             expect_categories),
        "cgov_care_visits_per_month": HookContract(
            _kwargs(tier=st.integers(1, 3), community_code=_communities()),
            expect_int(minimum=0, maximum=31)),
        "cgov_care_due_hours": HookContract(
            _kwargs(reason=st.sampled_from(["rain", "snow", "cold", "heat", "help"]),
                    level=st.sampled_from(["blue", "yellow", "orange", "red", "urgent",
                                           "normal"]),
                    community_code=_communities()), expect_int(minimum=1, maximum=168)),
        "cgov_care_weather_alerts": HookContract(
            _kwargs(county_code=county_codes(),
                    day=st.dates(dt.date(2019, 1, 1), dt.date(2030, 12, 31))),
            expect_each(expect_type(WeatherAlert))),
        "cgov_care_stand_in_allowed": HookContract(_kwargs(community_code=_communities()),
                                                   expect_bool),
        "cgov_care_cadre_capacity": HookContract(
            _kwargs(reason=st.sampled_from(["festival", "monthly", "rain", "snow", "cold",
                                            "heat"]),
                    community_code=_communities()), expect_int(minimum=1, maximum=500)),
        "cgov_care_festival_gift": HookContract(
            _kwargs(festival=st.sampled_from(["dragon_boat", "mid_autumn", "spring_festival"]),
                    community_code=_communities()), expect_gift),
        # checked against the national categories: a plugin inviting its own category is
        # checked by the service against the community's categories
        "cgov_care_invitation_categories": HookContract(
            _kwargs(occasion=st.sampled_from(["new_year", "spring_festival", "lantern"]),
                    community_code=_communities()), expect_str_list),
    }


# --- party ------------------------------------------------------------------------------------


def _party_contracts() -> dict[str, HookContract]:
    """The evaluation rules are checked as ``PartyService`` checks them."""
    from community_governance.domain.council import VoteRule
    from community_governance.plugins import expect_int, expect_type
    from community_governance.services.party import expect_electorate, expect_grades
    from community_governance.testing.conformance import HookContract

    place = _kwargs(community_code=_communities())
    return {
        "cgov_council_vote_rule": HookContract(
            _kwargs(community_code=_communities(),
                    kind=st.sampled_from(["ordinary", "major"])), expect_type(VoteRule)),
        "cgov_party_evaluation_electorate": HookContract(place, expect_electorate),
        "cgov_party_evaluation_grades": HookContract(place, expect_grades),
        "cgov_party_evaluation_min_ballots": HookContract(
            place, expect_int(minimum=3, maximum=1000)),
        "cgov_party_visit_window": HookContract(
            _kwargs(community_code=_communities(),
                    festival=st.sampled_from(["new_years_eve", "spring_festival", "lantern",
                                              "dragon_boat", "mid_autumn", "double_ninth"])),
            expect_int(minimum=0, maximum=30)),
    }


# --- market -----------------------------------------------------------------------------------


@st.composite
def _owners_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    from community_governance.domain.market import OwnersMatter

    community = draw(_communities())
    return {"community_code": community,
            "compound_code": f"{community}-Q{draw(st.integers(1, 99)):02d}",
            "matter": draw(st.sampled_from([m.value for m in OwnersMatter]))}


def _market_contracts() -> dict[str, HookContract]:
    """The owners' vote rule must ask at least what Art. 278 asks for the matter; the
    catalogue must be services of the community asked about."""
    from community_governance.domain.market import CommunityService, OwnersMatter
    from community_governance.plugins import expect_each, expect_type
    from community_governance.services.market.owners import expect_owners_rule
    from community_governance.testing.conformance import HookContract

    def rule(value: Any) -> Any:
        # the check is not told the matter drawn: the answer must be a rule asking at least
        # what Art. 278 asks for an ordinary matter (the service checks the matter's own)
        return expect_owners_rule(OwnersMatter.OTHER)(value)

    return {
        "cgov_owners_vote_rule": HookContract(_owners_kwargs(), rule),
        "cgov_market_service_catalogue": HookContract(
            _kwargs(community_code=_communities()),
            expect_each(expect_type(CommunityService))),
    }


def _http_contracts() -> dict[str, HookContract]:
    """The external sign-in is checked as the HTTP API checks it."""
    from community_governance.services.tokens import expect_identity
    from community_governance.testing.conformance import HookContract

    return {"cgov_external_identity": HookContract(
        _kwargs(provider=st.sampled_from(["wechat_openid", "wechat_unionid", "other"]),
                subject=st.text(min_size=1, max_size=40), county_code=county_codes()),
        expect_identity)}


def contracts() -> dict[str, Any]:
    """Hook name → :class:`~community_governance.testing.conformance.HookContract`."""
    out: dict[str, Any] = {"cgov_extend_permission": _extend_permission()}
    for part in (_calendar_contracts, _care_contracts, _case_contracts, _core_more,
                 _funds_contracts, _grid_contracts, _http_contracts, _market_contracts,
                 _party_contracts,
                 _points_contracts, _simulation_contracts):
        out.update(part())
    from community_governance.testing import contracts_orgs

    out.update(contracts_orgs.contracts())
    out.update(_tenders_contracts())
    return out


def _tenders_contracts() -> dict[str, HookContract]:
    """The purchase-of-services hooks, with the checks ``gov.tenders`` applies."""
    from community_governance.domain.tenders import Procedure
    from community_governance.services.tenders.common import expect_criteria
    from community_governance.testing.conformance import HookContract

    return {
        "cgov_tenders_procedure": HookContract(
            _kwargs(county_code=county_codes(),
                    procedure=st.sampled_from([p.value for p in Procedure])),
            _expect_rules),
        "cgov_tenders_scoring_criteria": HookContract(
            _kwargs(community_code=_communities(),
                    category=st.sampled_from(["elderly_day_care", "meals", "cleaning"])),
            expect_criteria),
    }


def _expect_rules(value: Any) -> Any:
    """A ProcedureRules (the procedure it is for is checked by the service)."""
    from community_governance.domain.tenders import ProcedureRules
    from community_governance.plugins import expect_type

    return expect_type(ProcedureRules)(value)
