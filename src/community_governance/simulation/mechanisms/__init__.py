"""Mechanisms of the study's problems and recommendations (机制), one module each.

Each mechanism is a model object a hook gives once per run (``cgov_sim_*_model`` of
:mod:`community_governance.hookspecs.simulation`, told the county), with methods over whole
NumPy arrays; its state lives in the engine. Each draws only from its own named random stream
(:mod:`..engine.streams`), passed in as a :class:`numpy.random.Generator`, so that a policy
acting on one mechanism never shifts another's draws.

* :mod:`.workforce`: staff turnover, temporary contracts, hiring lag, learning curve (工作人员);
* :mod:`.money`: money that buys staff, activities and purchased services (经费);
* :mod:`.culture`: activities feeding culture groups, which feed volunteering (文体组织);
* :mod:`.civic`: consultative councils and disclosure acting on identification (协商议事,
  社区事务公开, 认同感);
* :mod:`.property`: the handed-over compounds and their property companies (三供一业, 物业);
* :mod:`.orgs`: social organizations incubated, tendered to and delivering (社会组织);
* :mod:`.party`: party members' activity (党员作用).

The equations and their sources are in ``docs/simulation-mechanisms.md``.
"""

from __future__ import annotations

__all__: list[str] = []
