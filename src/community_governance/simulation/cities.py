"""Cities of several counties for the engine (多县城市): a prefecture (地级市) as one SimCity.

:func:`prefecture_city` generates every county of
:func:`community_governance.demo.prefecture.prefecture` (三门峡市's size: six county-level
units, about 2,000,000 residents at full size; at ``scale`` < 1 proportionally fewer
communities, each of full size) with the city generator
(:func:`~community_governance.simulation.city.generate_city`, one county at a time, dropped
once converted) and joins their column arrays: communities keep their 12-digit codes, so the
engine asks each county's plugins for its own rules (points standard, case deadlines,
custom metrics). The joined city's ``scale`` is 1: its communities are real-sized.

Scenarios choose it with ``[city] generator = "prefecture"``; ``scale`` is then the share of
the prefecture's communities. Generated cities are cached on disk like Yima's
(:func:`~community_governance.simulation.engine.city.city_for`).

Example::

    from community_governance.simulation.cities import prefecture_city

    city = prefecture_city(2019, scale=0.01)   # about 20,000 residents in six counties
    sorted({code[:6] for code in city.community_codes})
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from community_governance.simulation.engine.city import SimCity

__all__ = ["GENERATORS", "join_cities", "prefecture_city"]

#: The city generators a scenario may name.
GENERATORS = ("yima", "prefecture")


def join_cities(cities: Sequence[SimCity]) -> SimCity:
    """One city of several (their communities, compounds, households and residents in
    order; indices shifted). All must have the same scale. The households' vulnerability
    flags are joined when every part has them (else the joined city has none)."""
    if not cities:
        raise ValueError("join_cities needs at least one city")
    scales = {c.scale for c in cities}
    if len(scales) != 1:
        raise ValueError(f"cities of different scales cannot be joined: {sorted(scales)}")
    h_off = np.cumsum([0] + [c.n_households for c in cities[:-1]])
    c_off = np.cumsum([0] + [len(c.community_codes) for c in cities[:-1]])
    q_off = np.cumsum([0] + [len(c.compound_codes) for c in cities[:-1]])
    # the vulnerability flags (care categories of the festival visits), if every part has them
    flags = [c for c in cities if c.household_flags is not None]
    return SimCity(
        community_codes=tuple(x for c in cities for x in c.community_codes),
        community_names=tuple(x for c in cities for x in c.community_names),
        coal_group=np.concatenate([c.coal_group for c in cities]),
        ages=np.concatenate([c.ages for c in cities]),
        resident_household=np.concatenate(
            [c.resident_household + o for c, o in zip(cities, h_off, strict=True)]),
        household_community=np.concatenate(
            [c.household_community + o for c, o in zip(cities, c_off, strict=True)]),
        household_compound=np.concatenate(
            [np.where(c.household_compound >= 0, c.household_compound + o, -1)
             for c, o in zip(cities, q_off, strict=True)]),
        compound_codes=tuple(x for c in cities for x in c.compound_codes),
        household_elderly=np.concatenate([c.household_elderly for c in cities]),
        household_vulnerable=np.concatenate([c.household_vulnerable for c in cities]),
        building_leaders=sum(c.building_leaders for c in cities),
        scale=cities[0].scale,
        household_flags=np.concatenate([c.household_flags for c in flags])
        if len(flags) == len(cities) else None,
    )


def prefecture_city(seed: int = 2019, scale: float = 1.0) -> SimCity:
    """The prefecture of :func:`~community_governance.demo.prefecture.prefecture` at
    ``scale`` (``0 < scale <= 1``: the share of its communities), for the engine.

    County ``i`` is generated with seed ``seed + i``.
    """
    from community_governance.demo.prefecture import prefecture
    from community_governance.simulation.city import generate_city

    parts = []
    for i, county in enumerate(prefecture(scale).counties):
        parts.append(SimCity.from_city(generate_city(county.plan, seed + i, scale=1.0)))
    return join_cities(parts)
