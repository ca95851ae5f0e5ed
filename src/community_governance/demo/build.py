"""Build a demo: generate each county's city and write it through the services.

:func:`build` runs a :class:`~community_governance.demo.config.DemoConfig`: for every county,
the city is generated (:func:`~community_governance.simulation.city.generate_city`) and its
registry written; then the grids of every community are drawn (each under its county's grid
policy) and, county by county, the grid leaders, the volunteering months, the culture groups and
their events since 2017, the year of funds, the year of cases, the social organizations and
the year of care are seeded. Everything goes through the public services, as any caller's
code would; the county's rules come from the plugins installed in ``gov``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

from community_governance.demo.care import seed_care
from community_governance.demo.cases import seed_cases
from community_governance.demo.config import CountyDemo, DemoConfig
from community_governance.demo.culture import seed_culture
from community_governance.demo.funds import seed_funds
from community_governance.demo.grids import seed_grid_leaders
from community_governance.demo.market import seed_market
from community_governance.demo.orgs import seed_orgs
from community_governance.demo.party import seed_party
from community_governance.demo.registry import CHUNK, LoadReport, Progress, Timer, load_registry
from community_governance.demo.tenders import seed_tenders
from community_governance.demo.volunteering import seed_volunteering
from community_governance.domain.access import Actor
from community_governance.errors import CgovError
from community_governance.simulation.city import City, generate_city

__all__ = ["build", "run_steps"]


def _label(counties: Sequence[object], county: CountyDemo) -> str:
    return f"{county.name} " if len(counties) > 1 else ""


def build(
    gov: Any, config: DemoConfig, *, seed: int = 2019, scale: float = 1.0,
    actor: Actor | None = None, progress: Progress | None = None, optional: bool = True,
    chunk: int = CHUNK,
) -> tuple[LoadReport, dict[str, City]]:
    """Build ``config`` into ``gov``.

    Args:
        gov: a :class:`~community_governance.Governance` holding none of the counties yet.
        config: what to build (:data:`~community_governance.demo.config.YIMA`,
            :data:`~community_governance.demo.config.SANMENXIA`...).
        seed: the random seed (same seed, same cities and the same year).
        scale: the fraction of each city, ``0 < scale <= 1``.
        actor: who writes (default ``Actor.system("demo")``).
        progress: ``progress(step, done, total)`` callback.
        optional: run the optional steps (``config.steps``) after the registry.
        chunk: residents per ``register_residents`` call.

    Returns:
        The report (every step's seconds included: ``generating city`` first) and the
        generated cities by county code.
    """
    timer = Timer(progress)
    cities: dict[str, City] = {}
    for county in config.counties:
        step = f"generating {county.name}" if len(config.counties) > 1 else "generating city"
        timer(step, 0, 1)
        began = time.perf_counter()
        cities[county.code] = generate_city(county.plan, seed, scale=scale)
        timer(step, 1, 1)
        timer.seconds[step] = round(time.perf_counter() - began, 3)
    for county in config.counties:
        load_registry(gov, cities[county.code], actor=actor, progress=timer, chunk=chunk,
                      label=_label(config.counties, county))
    ran: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    if optional:
        ran, failed = run_steps(gov, [(c, cities[c.code]) for c in config.counties],
                                steps=config.steps, year=config.year, actor=actor, timer=timer)
    report = LoadReport(
        residents=sum(len(c.residents) for c in cities.values()),
        households=sum(len(c.households) for c in cities.values()),
        buildings=sum(len(c.buildings) for c in cities.values()), ran=ran,
        skipped=() if optional else tuple(config.steps),
        failed=failed, seconds=dict(timer.seconds))
    return report, cities


def run_steps(
    gov: Any, counties: Sequence[tuple[CountyDemo, City]], *, steps: Sequence[str], year: int,
    actor: Actor | None = None, timer: Timer | None = None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Run the optional ``steps`` for ``counties`` (whose registry is written).

    A step that raises a library error is reported in the second list (``"label: message"``)
    and the next step runs.

    Returns:
        ``(steps that ran, steps that failed)``.
    """
    who = actor or Actor.system("demo")
    tick = timer or Timer()
    ran: list[str] = []
    failed: list[str] = []

    def attempt(label: str, call: Any) -> None:
        tick(label, 0, 1)
        began = time.perf_counter()
        try:
            call(tick.for_step(label))
        except CgovError as exc:
            failed.append(f"{label}: {exc}")
        else:
            ran.append(label)
        finally:
            tick.seconds[label] = round(time.perf_counter() - began, 3)

    if "grids" in steps:
        # every community at once, each under its county's grid policy (cgov_grid_policy)
        attempt("grids", lambda p: gov.grids.draw(who, progress=p))
    for county, city in counties:
        label = _label(counties, county)
        seed = city.seed
        code = county.code
        if "grid leaders" in steps:
            attempt(f"{label}grid leaders", lambda p, code=code, seed=seed: seed_grid_leaders(
                gov, seed=seed, progress=p, county=code))
        if "volunteering" in steps:
            attempt(f"{label}volunteering", lambda p, c=county, seed=seed: seed_volunteering(
                gov, seed=seed, start=dt.date(year, 9, 1), months=c.volunteer_months,
                progress=p, county=c.code, org_count=c.volunteer_orgs,
                members=c.volunteer_members, county_name=c.name))
        if "culture" in steps:
            attempt(f"{label}culture", lambda p, c=county, seed=seed, city=city: seed_culture(
                gov, seed=seed, county=c.code, county_name=c.name, year=year,
                groups=c.culture_groups, members=c.culture_members, events=c.culture_events,
                progress=p, city=city))
        if "funds" in steps:
            attempt(f"{label}funds", lambda p, c=county, seed=seed: seed_funds(
                gov, year=year, seed=seed, progress=p, county=c.code, county_name=c.name))
        if "cases" in steps:
            attempt(f"{label}cases", lambda p, c=county, seed=seed: seed_cases(
                gov, year=year, seed=seed, progress=p, county=c.code,
                subdistricts=c.case_subdistricts))
        if "orgs" in steps:
            attempt(f"{label}orgs", lambda p, c=county: seed_orgs(
                gov, year=year, progress=p, county=c.code, county_name=c.name))
        if "tenders" in steps:
            attempt(f"{label}tenders", lambda p, c=county: seed_tenders(
                gov, year=year, progress=p, county=c.code))
        if "care" in steps:
            attempt(f"{label}care", lambda p, c=county, seed=seed: seed_care(
                gov, year=year, seed=seed, progress=p, county=c.code))
        if "party" in steps:
            attempt(f"{label}party", lambda p, c=county, seed=seed: seed_party(
                gov, year=year, seed=seed, progress=p, county=c.code))
        if "market" in steps:
            attempt(f"{label}market", lambda p, c=county, seed=seed, city=city: seed_market(
                gov, year=year, seed=seed, progress=p, city=city, handover=c.handover))
    return tuple(ran), tuple(failed)
