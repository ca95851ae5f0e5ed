"""The simulation engine (仿真引擎): residents, households and communities as NumPy arrays.

:class:`Simulation` has the shape of a Mesa model (``step()``, ``run()``, ``running``, reporters
given as an explicit ``name -> callable`` mapping) but holds every agent as an entry of a few
arrays, so one step of the whole Yima city is a handful of vectorised operations. Nothing
happens at import; a run is deterministic for a scenario and a seed.

The rules are the library's, asked once per run through the plugin manager:

* points per attendance and per volunteer service: ``cgov_points_standard`` (the scenario's
  ``points.rate`` acts as a county standard registered last, so it wins);
* case categories and deadlines: ``cgov_case_categories`` and ``cgov_case_deadline`` (community
  level), counted in working days of ``cgov_working_day_calendar``;
* grids per community: :func:`community_governance.grids.model.grid_count` of a
  :class:`~community_governance.grids.model.GridPolicy` with the scenario's target;
* behaviour: the ``cgov_sim_*_model`` hooks (:mod:`community_governance.hookspecs.simulation`).

Money is integer fen (``int64``) throughout, points are integers.

Example::

    from community_governance.simulation import Simulation, load_scenario

    sim = Simulation(load_scenario("yima-2019"), seed=1)
    sim.run()
    sim.community_table()      # polars DataFrame, one row per step and community
"""

from __future__ import annotations

from community_governance.simulation.engine import arrays as _arrays
from community_governance.simulation.engine.arrays import VISIT_FESTIVALS as VISIT_FESTIVALS
from community_governance.simulation.engine.arrays import Arr as Arr
from community_governance.simulation.engine.city import SimCity, city_for, city_from_file
from community_governance.simulation.engine.model import Simulation
from community_governance.simulation.engine.model import _check_model as _check_model

__all__ = ["ACCOUNTS", "COMMUNITY_COLUMNS", "SimCity", "Simulation", "city_for",
           "city_from_file"]

# Defined in :mod:`.arrays`; bound again here, with their doc comments, so the API reference
# documents them under the names they are imported by.
#: Fund accounts of a community in the engine, as in the standard chart's fund groups.
ACCOUNTS = _arrays.ACCOUNTS
#: Columns of the per-step, per-community table (all integer or float, money in fen).
COMMUNITY_COLUMNS = _arrays.COMMUNITY_COLUMNS
