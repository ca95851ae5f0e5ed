"""The demo: synthetic counties built through the services, configured by a description.

A demo is a :class:`~community_governance.demo.config.DemoConfig` (which counties, which county
plugin, which generator parameters); :func:`build` runs one against a governance store as any
caller would, through the public services. ``cgov demo yima`` builds :data:`YIMA` (Yima's 2019
urban area); ``cgov demo sanmenxia`` builds :data:`SANMENXIA` (Yima and 湖滨区 into one
database, each under its own plugin).

Modules: :mod:`.config` (the descriptions), :mod:`.build` (the pipeline), :mod:`.registry`
(units to residents), :mod:`.grids` (grid leaders), :mod:`.volunteering` (organizations,
activities, the points and charity supermarkets), :mod:`.funds` (a year of funds),
:mod:`.cases` (a year of cases), :mod:`.headline` (what the built demo shows).

Example::

    import community_governance
    from community_governance.demo import YIMA, build

    with community_governance.open("memory://", entrypoints=False) as gov:
        report, cities = build(gov, YIMA, seed=7, scale=0.01, optional=False)
        print(report.residents, sorted(cities))
"""

from community_governance.demo.build import build, run_steps
from community_governance.demo.config import (
    CONFIGS,
    HUBIN,
    SANMENXIA,
    YIMA,
    CountyDemo,
    DemoConfig,
)
from community_governance.demo.registry import LoadReport, load_city, load_registry

__all__ = ["CONFIGS", "HUBIN", "SANMENXIA", "YIMA", "CountyDemo", "DemoConfig", "LoadReport",
           "build", "load_city", "load_registry", "run_steps"]
