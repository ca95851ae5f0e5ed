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
