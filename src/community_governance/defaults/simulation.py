"""National defaults of the simulation: the behaviour models of
:mod:`community_governance.simulation.behaviours`, built from the scenario's parameters.

Imports of NumPy and the models happen inside the implementations, so registering the defaults
costs nothing to programs that never simulate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from community_governance.markers import hookimpl

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


@hookimpl(trylast=True)
def cgov_sim_participation_model(scenario: Scenario) -> ParticipationModel:
    """The default model, ``DefaultParticipationModel`` of ``simulation.behaviours``."""
    from community_governance.simulation.behaviours import DefaultParticipationModel

    return DefaultParticipationModel(scenario.behaviour.participation)


@hookimpl(trylast=True)
def cgov_sim_volunteering_model(scenario: Scenario) -> VolunteeringModel:
    """The default model, ``DefaultVolunteeringModel`` of ``simulation.behaviours``."""
    from community_governance.simulation.behaviours import DefaultVolunteeringModel

    return DefaultVolunteeringModel(scenario.behaviour.culture, scenario.behaviour.volunteering)


@hookimpl(trylast=True)
def cgov_sim_redemption_model(scenario: Scenario) -> RedemptionModel:
    """The default model, ``DefaultRedemptionModel`` of ``simulation.behaviours``."""
    from community_governance.simulation.behaviours import DefaultRedemptionModel

    return DefaultRedemptionModel(scenario.behaviour.redemption)


@hookimpl(trylast=True)
def cgov_sim_cases_model(scenario: Scenario) -> CaseModel:
    """The default model, ``DefaultCaseModel`` of ``simulation.behaviours``."""
    from community_governance.simulation.behaviours import DefaultCaseModel

    return DefaultCaseModel(scenario.behaviour.cases)


@hookimpl(trylast=True)
def cgov_sim_service_model(scenario: Scenario) -> ServiceModel:
    """The default model, ``DefaultServiceModel`` of ``simulation.behaviours``."""
    from community_governance.simulation.behaviours import DefaultServiceModel

    return DefaultServiceModel(scenario.staff)


@hookimpl(trylast=True)
def cgov_sim_opinion_model(scenario: Scenario) -> OpinionModel:
    """The default model, ``DefaultOpinionModel`` of ``simulation.behaviours``."""
    from community_governance.simulation.behaviours import DefaultOpinionModel

    return DefaultOpinionModel(scenario.behaviour.satisfaction, scenario.behaviour.identification)


# --- mechanisms ---------------------------------------------------------------------------------


@hookimpl(trylast=True)
def cgov_sim_workforce_model(scenario: Scenario, county_code: str | None) -> WorkforceModel:
    """The default model, ``DefaultWorkforceModel`` of ``simulation.mechanisms.workforce``."""
    from community_governance.simulation.mechanisms.workforce import DefaultWorkforceModel

    return DefaultWorkforceModel(scenario.staff)


@hookimpl(trylast=True)
def cgov_sim_budget_model(scenario: Scenario, county_code: str | None) -> BudgetModel:
    """The default model, ``DefaultBudgetModel`` of ``simulation.mechanisms.money``."""
    from community_governance.simulation.mechanisms.money import DefaultBudgetModel

    return DefaultBudgetModel()


@hookimpl(trylast=True)
def cgov_sim_culture_model(scenario: Scenario, county_code: str | None) -> CultureModel:
    """The default model, ``DefaultCultureModel`` of ``simulation.mechanisms.culture``."""
    from community_governance.simulation.mechanisms.culture import DefaultCultureModel

    return DefaultCultureModel(scenario.behaviour.culture)


@hookimpl(trylast=True)
def cgov_sim_civic_model(scenario: Scenario, county_code: str | None) -> CivicModel:
    """The default model, ``DefaultCivicModel`` of ``simulation.mechanisms.civic``."""
    from community_governance.simulation.mechanisms.civic import DefaultCivicModel

    return DefaultCivicModel(scenario.councils)


@hookimpl(trylast=True)
def cgov_sim_property_model(scenario: Scenario, county_code: str | None) -> PropertyModel:
    """The default model, ``DefaultPropertyModel`` of ``simulation.mechanisms.property``."""
    from community_governance.simulation.mechanisms.property import DefaultPropertyModel

    return DefaultPropertyModel(scenario.property, scenario.councils.supervision_gain)


@hookimpl(trylast=True)
def cgov_sim_orgs_model(scenario: Scenario, county_code: str | None) -> OrgsModel:
    """The default model, ``DefaultOrgsModel`` of ``simulation.mechanisms.orgs``."""
    from community_governance.simulation.mechanisms.orgs import DefaultOrgsModel

    return DefaultOrgsModel(scenario.orgs)


@hookimpl(trylast=True)
def cgov_sim_party_model(scenario: Scenario, county_code: str | None) -> PartyModel:
    """The default model, ``DefaultPartyModel`` of ``simulation.mechanisms.party``."""
    from community_governance.simulation.mechanisms.party import DefaultPartyModel

    return DefaultPartyModel(scenario.party)


@hookimpl(trylast=True)
def cgov_sim_metrics(scenario: Scenario, county_code: str) -> list[SimMetric]:
    """Three derived rates of every community, recorded in every run: ``participation_rate``
    (participants / residents), ``on_time_share`` (closed on time / closed; ``NaN`` in a week
    that closed nothing) and ``utilisation`` (cases opened / capacity; above 1 the queue
    grows). The same in every county."""
    import numpy as np

    from community_governance.simulation.metrics import SimMetric

    def ratio(num: str, den: str) -> Any:
        def compute(sim: Any, step: int) -> Any:
            a = sim._cols
            d = a[den][step]
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(d > 0, a[num][step] / np.where(d > 0, d, 1.0), np.nan)
        return compute

    return [
        SimMetric("participation_rate", ratio("participants", "residents"), "mean",
                  "participants / residents 周参与率"),
        SimMetric("on_time_share", ratio("closed_on_time", "cases_closed"), "mean",
                  "cases closed on time / closed 按时办结率"),
        SimMetric("utilisation", ratio("cases_opened", "capacity"), "mean",
                  "cases opened / capacity 办件负荷"),
    ]
