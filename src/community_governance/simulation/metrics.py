"""Custom metrics of a run (自定义指标): one value per community and step, from a hook.

Plugins give metrics with ``cgov_sim_metrics(scenario, county_code)`` (told the county: a
metric given for one county is recorded for that county's communities only, ``NaN``
elsewhere). Each :class:`SimMetric` is computed after every step from the run's state and
lands as a column of the community table (``communities.parquet``), in the weekly series of
sweeps (:mod:`community_governance.simulation.series`) and in their monthly aggregates.

The national defaults (:mod:`community_governance.defaults.simulation`) give three derived
rates every run records: ``participation_rate`` (participants / residents),
``on_time_share`` (closed on time / closed, ``NaN`` in a week that closed nothing) and
``utilisation`` (cases opened / capacity: above 1, the queue of that community grows).

Example::

    import numpy as np
    from community_governance.markers import hookimpl
    from community_governance.simulation.metrics import SimMetric

    class OverduePerGrid:
        @hookimpl
        def cgov_sim_metrics(self, scenario, county_code):
            def compute(sim, step):
                return sim.community_arrays()["overdue_backlog"][step] / sim.grids_c
            return [SimMetric("overdue_per_grid", compute, kind="stock",
                              description="overdue cases per grid 每网格超期事项")]

    Simulation(scenario, plugins=[OverduePerGrid()])
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from community_governance.errors import PluginError
from community_governance.simulation.engine.arrays import COMMUNITY_COLUMNS, Arr

if TYPE_CHECKING:
    from community_governance.plugins import Hooks
    from community_governance.simulation.engine.model import Simulation
    from community_governance.simulation.scenario import Scenario

__all__ = ["METRIC_KINDS", "MetricRecorder", "SimMetric", "expect_metrics"]

#: How a metric's weekly values make a month's: ``flow`` sums them (cases opened),
#: ``stock`` takes the last week's (volunteers, backlog), ``mean`` averages them (rates).
METRIC_KINDS = ("flow", "stock", "mean")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@attrs.frozen
class SimMetric:
    """A custom metric (自定义指标): one value per community, computed after every step.

    Attributes:
        name: the column's name (lower case, digits, underscores; not a built-in column).
        compute: ``compute(sim, step) -> array`` of one float per community of the city
            (the run's state after step ``step``; ``sim.community_arrays()[col][step]`` reads
            what the step recorded).
        kind: ``flow``, ``stock`` or ``mean`` (:data:`METRIC_KINDS`).
        description: what it measures (Chinese and English welcome).
    """

    name: str
    compute: Callable[[Any, int], Any]
    kind: str = "mean"
    description: str = ""


def expect_metrics(value: Any) -> tuple[SimMetric, ...]:
    """Check a plugin's answer: a sequence of :class:`SimMetric` with usable names.

    Raises:
        TypeError: not a sequence of metrics.
        ValueError: a bad name or kind.
    """
    if isinstance(value, SimMetric):
        value = [value]
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise TypeError("expected a list of SimMetric")
    out = []
    for m in value:
        if not isinstance(m, SimMetric) or not callable(m.compute):
            raise TypeError(f"expected SimMetric objects, got {m!r}")
        if not _NAME.match(m.name) or m.name in COMMUNITY_COLUMNS:
            raise ValueError(f"metric name {m.name!r} must be lower-case letters, digits and "
                             "underscores, and not a built-in column")
        if m.kind not in METRIC_KINDS:
            raise ValueError(f"metric {m.name}: kind must be one of {', '.join(METRIC_KINDS)}, "
                             f"got {m.kind!r}")
        out.append(m)
    return tuple(out)


class MetricRecorder:
    """The custom metrics of one run, asked once per county, recorded after every step.

    Args:
        hooks: the run's hooks.
        scenario: the scenario.
        community_codes: the city's communities (their first 6 digits name the county).
        steps: the horizon, in steps.
    """

    def __init__(self, hooks: Hooks, scenario: Scenario, community_codes: Sequence[str],
                 steps: int) -> None:
        codes = np.array([c[:6] for c in community_codes])
        self.n = len(community_codes)
        self.metrics: dict[str, tuple[str, SimMetric]] = {}
        self.masks: dict[str, Arr] = {}
        self.owners: dict[tuple[str, str], tuple[str, SimMetric]] = {}
        for county in sorted(set(codes.tolist())):
            for plugin, answer in hooks.all("cgov_sim_metrics", expect_metrics, place=county,
                                            scenario=scenario, county_code=county):
                for m in answer:
                    if (m.name, county) in self.owners:
                        continue  # the more specific plugin answered first
                    self.owners[(m.name, county)] = (plugin, m)
                    self.metrics.setdefault(m.name, (plugin, m))
                    mask = self.masks.setdefault(m.name, np.zeros(self.n, dtype=bool))
                    mask |= codes == county
        self.counties = codes
        self.columns: dict[str, Arr] = {
            name: np.full((steps, self.n), np.nan) for name in self.metrics}

    @property
    def kinds(self) -> dict[str, str]:
        """Each metric's kind, by name."""
        return {name: m.kind for name, (_p, m) in self.metrics.items()}

    def record(self, sim: Simulation, step: int) -> None:
        """Compute every metric after ``step``.

        Raises:
            PluginError: a metric raised or gave something other than one finite-or-NaN
                float per community (naming the plugin and the metric).
        """
        for (name, county), (plugin, m) in self.owners.items():
            try:
                values = np.asarray(m.compute(sim, step), dtype=np.float64)
            except Exception as exc:
                raise PluginError(plugin, "cgov_sim_metrics",
                                  f"metric {name} raised {type(exc).__name__}: {exc}") from exc
            if values.shape != (self.n,) or np.isinf(values).any():
                raise PluginError(
                    plugin, "cgov_sim_metrics",
                    f"metric {name} gave shape {values.shape} (or an infinite value); it "
                    f"must give one finite float (or NaN) per community, {self.n}")
            here = self.counties == county
            self.columns[name][step, here] = values[here]
