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

import contextlib
import datetime as dt
import gc
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from community_governance.demo.care import seed_care
from community_governance.demo.cases import seed_cases
from community_governance.demo.config import SECOND_LANE, STEPS, CountyDemo, DemoConfig
from community_governance.demo.culture import seed_culture
from community_governance.demo.funds import seed_funds
from community_governance.demo.grids import seed_grid_leaders
from community_governance.demo.market import seed_market
from community_governance.demo.orgs import seed_orgs
from community_governance.demo.party import seed_party
from community_governance.demo.registry import (
    CHUNK,
    LoadReport,
    Progress,
    Timer,
    collector_paused,
    load_registry,
)
from community_governance.demo.tenders import seed_tenders
from community_governance.demo.volunteering import seed_volunteering
from community_governance.domain.access import Actor
from community_governance.errors import CgovError
from community_governance.simulation.city import City, generate_city

__all__ = ["build", "run_step", "run_steps", "step_call", "step_tasks"]


def _label(counties: Sequence[object], county: CountyDemo) -> str:
    return f"{county.name} " if len(counties) > 1 else ""


def build(
    gov: Any, config: DemoConfig, *, seed: int = 2019, scale: float = 1.0,
    actor: Actor | None = None, progress: Progress | None = None, optional: bool = True,
    chunk: int = CHUNK, second_lane: Callable[[], Any] | None = None,
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
        second_lane: a picklable function of no argument that opens the same database again
            (a file or a server, not ``memory://``): the optional steps then run in two
            processes side by side (:mod:`community_governance.demo.lanes`), building the
            same demo.

    Returns:
        The report (every step's seconds included: ``generating city`` first) and the
        generated cities by county code.
    """
    lane = None
    if second_lane is not None and optional and SECOND_LANE & set(config.steps):
        from community_governance.demo.lanes import SecondLane

        lane = SecondLane(second_lane).start()  # its imports overlap the city's generation
    try:
        return _build(gov, config, seed=seed, scale=scale, actor=actor, progress=progress,
                      optional=optional, chunk=chunk, lane=lane)
    finally:
        if lane is not None:
            lane.close()


def _build(gov: Any, config: DemoConfig, *, seed: int, scale: float, actor: Actor | None,
           progress: Progress | None, optional: bool, chunk: int,
           lane: Any) -> tuple[LoadReport, dict[str, City]]:
    timer = Timer(progress)
    cities: dict[str, City] = {}
    for county in config.counties:
        step = f"generating {county.name}" if len(config.counties) > 1 else "generating city"
        timer(step, 0, 1)
        began, cpu = time.perf_counter(), time.process_time()
        with collector_paused():
            cities[county.code] = generate_city(county.plan, seed, scale=scale)
        timer(step, 1, 1)
        timer.seconds[step] = round(time.perf_counter() - began, 3)
        timer.cpu[step] = round(time.process_time() - cpu, 3)
    for county in config.counties:
        load_registry(gov, cities[county.code], actor=actor, progress=timer, chunk=chunk,
                      label=_label(config.counties, county))
    ran: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    if optional:
        ran, failed = run_steps(gov, [(c, cities[c.code]) for c in config.counties],
                                steps=config.steps, year=config.year, actor=actor, timer=timer,
                                lane=lane)
    report = LoadReport(
        residents=sum(len(c.residents) for c in cities.values()),
        households=sum(len(c.households) for c in cities.values()),
        buildings=sum(len(c.buildings) for c in cities.values()), ran=ran,
        skipped=() if optional else tuple(config.steps),
        failed=failed, seconds=dict(timer.seconds), cpu_seconds=dict(timer.cpu),
        second_lane_cpu=None if lane is None else lane.cpu_total,
        lock_seconds={} if lane is None else dict(lane.lock_s))
    return report, cities


def step_call(gov: Any, step: str, county: CountyDemo, city: City | None, *, seed: int,
              year: int, actor: Actor) -> Callable[[Callable[[int, int], None]], object]:
    """The call that runs the optional ``step`` of ``county``, given its progress callback.

    ``city`` is needed by ``culture`` and ``market`` only (the second lane of
    :mod:`community_governance.demo.lanes` runs steps without it).
    """
    code = county.code
    c = county
    if step == "grids":  # every community at once, each under its county's grid policy
        return lambda p: gov.grids.draw(actor, progress=p)
    if step == "grid leaders":
        return lambda p: seed_grid_leaders(gov, seed=seed, progress=p, county=code)
    if step == "volunteering":
        return lambda p: seed_volunteering(
            gov, seed=seed, start=dt.date(year, 9, 1), months=c.volunteer_months,
            progress=p, county=code, org_count=c.volunteer_orgs, members=c.volunteer_members,
            county_name=c.name)
    if step == "funds":
        return lambda p: seed_funds(gov, year=year, seed=seed, progress=p, county=code,
                                    county_name=c.name)
    if step == "cases":
        return lambda p: seed_cases(gov, year=year, seed=seed, progress=p, county=code,
                                    subdistricts=c.case_subdistricts)
    if step == "orgs":
        return lambda p: seed_orgs(gov, year=year, progress=p, county=code, county_name=c.name)
    if step == "tenders":
        return lambda p: seed_tenders(gov, year=year, progress=p, county=code)
    if step == "care":
        return lambda p: seed_care(gov, year=year, seed=seed, progress=p, county=code)
    if step == "party":
        return lambda p: seed_party(gov, year=year, seed=seed, progress=p, county=code)
    if city is None:
        raise ValueError(f"the {step} step needs the generated city")
    if step == "culture":
        return lambda p: seed_culture(
            gov, seed=seed, county=code, county_name=c.name, year=year,
            groups=c.culture_groups, members=c.culture_members, events=c.culture_events,
            progress=p, city=city)
    if step == "market":
        return lambda p: seed_market(gov, year=year, seed=seed, progress=p, city=city,
                                     handover=c.handover)
    raise ValueError(f"unknown demo step {step!r}")


def step_tasks(counties: Sequence[tuple[CountyDemo, City]],
               steps: Sequence[str]) -> list[tuple[str, str, int]]:
    """The optional steps to run, in the sequential order: ``(label, step, county index)``
    (``grids`` once, for every county)."""
    tasks: list[tuple[str, str, int]] = []
    if "grids" in steps:
        tasks.append(("grids", "grids", 0))
    for k, (county, _city) in enumerate(counties):
        label = _label([c for c, _ in counties], county)
        tasks.extend((f"{label}{step}", step, k) for step in STEPS
                     if step != "grids" and step in steps)
    return tasks


def run_steps(
    gov: Any, counties: Sequence[tuple[CountyDemo, City]], *, steps: Sequence[str], year: int,
    actor: Actor | None = None, timer: Timer | None = None, lane: Any = None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Run the optional ``steps`` for ``counties`` (whose registry is written).

    A step that raises a library error is reported in the second list (``"label: message"``)
    and the next step runs.

    Args:
        lane: a started :class:`~community_governance.demo.lanes.SecondLane` on the same
            database: the steps of :data:`~community_governance.demo.config.SECOND_LANE` run
            there, beside the others (each waiting for the steps
            :data:`~community_governance.demo.config.STEP_AFTER` names); ``None``: one after
            the other, in this process.

    Returns:
        ``(steps that ran, steps that failed)``, in the sequential order.
    """
    who = actor or Actor.system("demo")
    tick = timer or Timer()
    tasks = step_tasks(counties, steps)
    with _frozen_heap():
        if lane is not None:
            from community_governance.demo.lanes import run_in_lanes

            return run_in_lanes(gov, lane, counties, tasks, year=year, actor=who, timer=tick)
        ran: list[str] = []
        failed: list[str] = []
        for label, step, k in tasks:
            county, city = counties[k]
            problem = run_step(step_call(gov, step, county, city, seed=city.seed, year=year,
                                         actor=who), label, tick)
            (ran if problem is None else failed).append(label if problem is None else problem)
        return tuple(ran), tuple(failed)


@contextlib.contextmanager
def _frozen_heap() -> Iterator[None]:
    """Keep the objects alive when the steps begin out of the cyclic garbage collector's
    full collections while they run (``gc.freeze``), and hand them back after.

    The generated cities and what the registry load left behind are millions of objects that
    outlive every step; each full collection a step's allocations set off would walk all of
    them again (about a second of the cases step). Nothing is collected any less: an object
    of the steps themselves is collected as before, and the frozen ones return to the oldest
    generation afterwards (``gc.unfreeze``)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def run_step(call: Callable[[Callable[[int, int], None]], object], label: str,
             tick: Timer) -> str | None:
    """Run one step, timing it (wall and CPU seconds in ``tick``): ``None``, or the library
    error it raised as ``"label: message"``."""
    tick(label, 0, 1)
    began, cpu = time.perf_counter(), time.process_time()
    try:
        call(tick.for_step(label))
    except CgovError as exc:
        return f"{label}: {exc}"
    finally:
        tick.seconds[label] = round(time.perf_counter() - began, 3)
        tick.cpu[label] = round(time.process_time() - cpu, 3)
    return None
