"""Simulation hooks: the behaviour models of the engine (仿真行为模型).

Each hook is called once per run (never per agent) by
:class:`~community_governance.simulation.engine.Simulation`, with the validated scenario; the
answer is a model object whose methods work on whole NumPy arrays. The national defaults are
the classes of :mod:`community_governance.simulation.behaviours`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from community_governance.markers import hookspec

if TYPE_CHECKING:
    from community_governance.simulation.behaviours import (
        CaseModel,
        OpinionModel,
        ParticipationModel,
        RedemptionModel,
        ServiceModel,
        VolunteeringModel,
    )
    from community_governance.simulation.mechanisms.civic import CivicModel
    from community_governance.simulation.mechanisms.culture import CultureModel
    from community_governance.simulation.mechanisms.money import BudgetModel
    from community_governance.simulation.mechanisms.orgs import OrgsModel
    from community_governance.simulation.mechanisms.party import PartyModel
    from community_governance.simulation.mechanisms.property import PropertyModel
    from community_governance.simulation.mechanisms.workforce import WorkforceModel
    from community_governance.simulation.metrics import SimMetric
    from community_governance.simulation.scenario import Scenario


@hookspec(firstresult=True)
def cgov_sim_participation_model(scenario: Scenario) -> ParticipationModel | None:
    """Give the model of resident participation in activities (居民参与).

    Called once per simulation run, before the first step; the model's methods are then called
    with arrays of every resident, household or community.

    Args:
        scenario: the validated scenario (its ``behaviour`` table holds the parameters).

    Returns:
        An object with the methods of
        :class:`~community_governance.simulation.behaviours.ParticipationModel` (the chance
        that each resident attends one activity, from identification, age, culture-group
        membership, the share of the grid that took part last step, the points incentive and
        the season), or ``None`` to leave it to the next plugin.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_sim_participation_model(scenario):
            base = DefaultParticipationModel(scenario.behaviour.participation)
            return attrs.evolve(base, params=attrs.evolve(base.params, neighbours=0.0))
    """


@hookspec(firstresult=True)
def cgov_sim_volunteering_model(scenario: Scenario) -> VolunteeringModel | None:
    """Give the model of culture-group membership and volunteering (文体组织, 志愿者).

    Called once per simulation run, before the first step; the model's methods are then called
    with arrays of every resident, household or community.

    Args:
        scenario: the validated scenario (its ``behaviour`` table holds the parameters).

    Returns:
        An object with the methods of
        :class:`~community_governance.simulation.behaviours.VolunteeringModel` (the step
        probabilities of joining or leaving a culture group, of becoming a volunteer
        (culture-group members far more often) or quitting, and of serving), or ``None`` to
        leave it to the next plugin.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_sim_volunteering_model(scenario):
            v = attrs.evolve(scenario.behaviour.volunteering, quit_per_year=0.1)
            return DefaultVolunteeringModel(scenario.behaviour.culture, v)
    """


@hookspec(firstresult=True)
def cgov_sim_redemption_model(scenario: Scenario) -> RedemptionModel | None:
    """Give the model of redeeming points at the points supermarket (积分兑换).

    Called once per simulation run, before the first step; the model's methods are then called
    with arrays of every resident, household or community.

    Args:
        scenario: the validated scenario (its ``behaviour`` table holds the parameters).

    Returns:
        An object with the methods of
        :class:`~community_governance.simulation.behaviours.RedemptionModel` (how many
        points each holder redeems in a step), or ``None`` to leave it to the next plugin.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_sim_redemption_model(scenario):
            # holders redeem half as often as the scenario says
            r = scenario.behaviour.redemption
            return DefaultRedemptionModel(
                attrs.evolve(r, weekly_probability=r.weekly_probability / 2))
    """


@hookspec(firstresult=True)
def cgov_sim_cases_model(scenario: Scenario) -> CaseModel | None:
    """Give the model of case generation per household and category (事项).

    Called once per simulation run, before the first step; the model's methods are then called
    with arrays of every resident, household or community.

    Args:
        scenario: the validated scenario (its ``behaviour`` table holds the parameters).

    Returns:
        An object with the methods of
        :class:`~community_governance.simulation.behaviours.CaseModel` (the yearly case
        rates of every household by category), or ``None`` to leave it to the next plugin.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_sim_cases_model(scenario):
            c = scenario.behaviour.cases  # no handover effect in this county
            return DefaultCaseModel(attrs.evolve(c, handover_multiplier={}))
    """


@hookspec(firstresult=True)
def cgov_sim_service_model(scenario: Scenario) -> ServiceModel | None:
    """Give the model of staff capacity and case handling (工作人员办件能力).

    Called once per simulation run, before the first step; the model's methods are then called
    with arrays of every resident, household or community.

    Args:
        scenario: the validated scenario (its ``behaviour`` table holds the parameters).

    Returns:
        An object with the methods of
        :class:`~community_governance.simulation.behaviours.ServiceModel` (the cases each
        community can close in a step from its staff, grid leaders and working days), or
        ``None`` to leave it to the next plugin.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_sim_service_model(scenario):
            return DefaultServiceModel(attrs.evolve(scenario.staff, cases_per_staff_day=2.0))
    """


@hookspec(firstresult=True)
def cgov_sim_opinion_model(scenario: Scenario) -> OpinionModel | None:
    """Give the model of satisfaction and identification responding to service (满意度, 认同感).

    Called once per simulation run, before the first step; the model's methods are then called
    with arrays of every resident, household or community.

    Args:
        scenario: the validated scenario (its ``behaviour`` table holds the parameters).

    Returns:
        An object with the methods of
        :class:`~community_governance.simulation.behaviours.OpinionModel` (households'
        satisfaction and residents' identification after a step), or ``None`` to leave it to
        the next plugin.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_sim_opinion_model(scenario):
            b = scenario.behaviour  # satisfaction reacts twice as fast
            step = min(1.0, 2 * b.satisfaction.adjust_per_step)
            sat = attrs.evolve(b.satisfaction, adjust_per_step=step)
            return DefaultOpinionModel(sat, b.identification)
    """


# --- mechanisms (simulation.mechanisms): told the county --------------------------------------

#: What the docstring of every mechanism hook says between its own summary and its example:
#: when it is called, its arguments, what it answers ({model}: the protocol's module and class
#: under ``simulation.mechanisms``; {does}: what the protocol's methods give).
_MECHANISM_DOC = """
    Called once per simulation run, before the first step, for the city's county; the model's
    methods are then called with arrays of every post, resident, compound or community. The
    equations of the default are in ``docs/simulation-mechanisms.md``.

    Args:
        scenario: the validated scenario.
        county_code: the 6-digit county of the city (``None`` for a city of several).

    Returns:
{returns}

    Stops at first non-None result.

"""

_F = TypeVar("_F", bound=Callable[..., Any])


def _mechanism(model: str, does: str) -> Callable[[_F], _F]:
    """Complete a mechanism hook's docstring (its summary, then ``Example::``) with the text
    every mechanism hook shares (:data:`_MECHANISM_DOC`), so that ``inspect.getdoc`` and the
    hook catalogue (``docs/plugin_hooks.md``) show each hook in full."""
    returns = textwrap.fill(
        f"An object with the methods of :class:`~community_governance.simulation.mechanisms."
        f"{model}` ({does}), or ``None`` to leave it to the next plugin.", width=100,
        initial_indent=" " * 8, subsequent_indent=" " * 8, break_on_hyphens=False)

    def complete(fn: _F) -> _F:
        if fn.__doc__:  # None under python -OO
            summary, example, rest = fn.__doc__.partition("\n    Example::")
            if not example:
                raise TypeError(f"{fn.__name__}: a mechanism hook's docstring ends with its "
                                "Example::")
            fn.__doc__ = (summary.rstrip() + "\n" + _MECHANISM_DOC.format(returns=returns)
                          + "    Example::" + rest)
        return fn

    return complete


@hookspec(firstresult=True)
@_mechanism("workforce.WorkforceModel",
            "the posts at the start, after each step (leavers, hires) and each holder's "
            "productivity, whose sum per community is the effective staff the service model "
            "turns into capacity")
def cgov_sim_workforce_model(scenario: Scenario, county_code: str | None) -> WorkforceModel | None:
    """Give the model of staff turnover, temporary contracts, hiring lag and learning curve
    (工作人员流动).

    Example::

        @hookimpl
        def cgov_sim_workforce_model(scenario, county_code):
            # contracts in this county last: temporary staff leave half as often
            s = scenario.staff
            return DefaultWorkforceModel(attrs.evolve(
                s, temporary_quit_per_year=s.temporary_quit_per_year / 2))
    """


@hookspec(firstresult=True)
@_mechanism("money.BudgetModel",
            "the temporary posts a staff channel pays for and the payment to a contractor "
            "in a step")
def cgov_sim_budget_model(scenario: Scenario, county_code: str | None) -> BudgetModel | None:
    """Give the model of what money buys: temporary posts and purchased services (经费使用).

    Example::

        @hookimpl
        def cgov_sim_budget_model(scenario, county_code):
            # this county pays purchased services only up to half of what is available
            class HalfBudget(DefaultBudgetModel):
                def purchase_payment(self, planned_fen, available_fen):
                    return super().purchase_payment(planned_fen, available_fen // 2)
            return HalfBudget()
    """


@hookspec(firstresult=True)
@_mechanism("culture.CultureModel",
            "each resident's chance of joining (higher after attending an activity) or "
            "leaving a culture group in a step")
def cgov_sim_culture_model(scenario: Scenario, county_code: str | None) -> CultureModel | None:
    """Give the model of culture-group membership fed by activities (文体组织).

    Example::

        @hookimpl
        def cgov_sim_culture_model(scenario, county_code):
            # attending recruits twice as well in this county
            c = scenario.behaviour.culture
            return DefaultCultureModel(attrs.evolve(
                c, join_per_attendance=min(1.0, 2 * c.join_per_attendance)))
    """


@hookspec(firstresult=True)
@_mechanism("civic.CivicModel",
            "the meetings and disclosures of a step, the communities' informed share and "
            "voice after it, and the rise of each resident's identification target")
def cgov_sim_civic_model(scenario: Scenario, county_code: str | None) -> CivicModel | None:
    """Give the model of consultative councils and disclosure acting on identification (协商议事会,
    社区事务公开, 认同感).

    Example::

        @hookimpl
        def cgov_sim_civic_model(scenario, county_code):
            # this county discloses monthly
            c = attrs.evolve(scenario.councils, disclosures_per_year=12.0)
            return DefaultCivicModel(c)
    """


@hookspec(firstresult=True)
@_mechanism("property.PropertyModel",
            "the compounds' property companies at the start and after a step, the share of "
            "the handover's extra cases that remains and the satisfaction penalty of an "
            "unmanaged compound")
def cgov_sim_property_model(scenario: Scenario, county_code: str | None) -> PropertyModel | None:
    """Give the model of property companies of the handed-over compounds (三供一业, 物业).

    Example::

        @hookimpl
        def cgov_sim_property_model(scenario, county_code):
            # every compound has a company from the start in this county
            p = attrs.evolve(scenario.property, initial_managed_share=1.0)
            return DefaultPropertyModel(p, scenario.councils.supervision_gain)
    """


@hookspec(firstresult=True)
@_mechanism("orgs.OrgsModel",
            "a new organization's quality, whether it passes admission review, its "
            "evaluation score and the cases it delivers for a payment (the lifecycle, "
            "grades and bid tiers are the library's)")
def cgov_sim_orgs_model(scenario: Scenario, county_code: str | None) -> OrgsModel | None:
    """Give the model of social organizations as agents: quality, admission review, evaluation and
    delivery (社会组织).

    Example::

        @hookimpl
        def cgov_sim_orgs_model(scenario, county_code):
            # admission review in this county passes only organizations of quality 0.6+
            class Strict(DefaultOrgsModel):
                def review_passes(self, quality, uniform):
                    return quality >= 0.6
            return Strict(scenario.orgs)
    """


@hookspec(firstresult=True)
@_mechanism("party.PartyModel",
            "who is a party member, and members' chances of attending and of becoming "
            "volunteers")
def cgov_sim_party_model(scenario: Scenario, county_code: str | None) -> PartyModel | None:
    """Give the model of party members and their activity (党员作用).

    Example::

        @hookimpl
        def cgov_sim_party_model(scenario, county_code):
            # no evaluation by residents in this county
            return DefaultPartyModel(attrs.evolve(scenario.party, evaluation=False))
    """


@hookspec
def cgov_sim_metrics(scenario: Scenario, county_code: str) -> Sequence[SimMetric] | None:
    """Give custom metrics recorded for every community of a county, after every step (自定义指标).

    Called once per run and county of the simulated city (every plugin serving the county
    answers; when two give the same name for one county, the more specific plugin's wins).
    Each metric lands as a column of the community table, in the weekly series of sweeps and
    in their monthly aggregates; communities of other counties get ``NaN``.

    Args:
        scenario: the validated scenario.
        county_code: the county (six digits) whose communities the metrics are for.

    Returns:
        A list of :class:`~community_governance.simulation.metrics.SimMetric` (name,
        ``compute(sim, step)`` giving one float per community of the city, kind ``flow``,
        ``stock`` or ``mean``), or ``None``.

    All results are combined: every plugin's metrics are recorded (one name given twice for a
    county: the more specific plugin's).

    Example::

        @hookimpl
        def cgov_sim_metrics(scenario, county_code):
            def compute(sim, step):
                return sim.community_arrays()["overdue_backlog"][step] / sim.grids_c
            return [SimMetric("overdue_per_grid", compute, kind="stock")]
    """
