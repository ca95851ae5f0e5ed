"""The registry step of a demo: write a generated city through the registry service.

:func:`load_registry` writes a :class:`~community_governance.simulation.city.City` (units,
buildings, households, residents in chunks, staff, posts, party organizations, partners).
:func:`load_city` does that and then, unless ``optional=False``, the optional steps of
:func:`community_governance.demo.build` for the city's county (grids, grid leaders,
volunteering, funds, cases).

Example::

    import community_governance
    from community_governance.demo import load_city
    from community_governance.simulation.city import generate_yima

    with community_governance.open("memory://", entrypoints=False) as gov:
        report = load_city(gov, generate_yima(7, scale=0.01), optional=False)
        print(report.residents, report.ran)
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from community_governance.domain.access import Actor
from community_governance.simulation.city import City

__all__ = ["CHUNK", "LoadReport", "Progress", "Timer", "collector_paused", "load_city",
           "load_registry"]

#: ``progress(step, done, total)``: called as each step advances.
Progress = Callable[[str, int, int], None]

#: Residents per ``register_residents`` call (one transaction each).
CHUNK = 20_000


@attrs.frozen
class LoadReport:
    """What :func:`load_city` (or :func:`community_governance.demo.build`) wrote.

    Attributes:
        residents: residents registered.
        households: households registered.
        buildings: buildings registered.
        ran: the optional steps that ran (``grids``, ``volunteering``, ``funds``, ``cases``).
        skipped: the optional steps not run.
        failed: the optional steps that raised a library error, with the message (the
            registry data is written whatever they do).
        seconds: wall time of each step (``units``, ``residents``, ``cases``...).
        cpu_seconds: the CPU time (user and system) of each step, in the process that ran it.
        second_lane_cpu: the CPU time of the second process of a two-lane build
            (:mod:`community_governance.demo.lanes`: its start and steps), or ``None``.
        lock_seconds: in a two-lane build, per process, the seconds it held the write lock
            and the seconds it waited for it.
    """

    residents: int
    households: int
    buildings: int
    ran: tuple[str, ...]
    skipped: tuple[str, ...]
    failed: tuple[str, ...] = ()
    seconds: dict[str, float] = attrs.field(factory=dict)
    cpu_seconds: dict[str, float] = attrs.field(factory=dict)
    second_lane_cpu: float | None = None
    lock_seconds: dict[str, tuple[float, float]] = attrs.field(factory=dict)


def _noop(_step: str, _done: int, _total: int) -> None:
    return None


class Timer:
    """Forwards progress to the caller and measures each step's wall and CPU time.

    A step's time runs from its first tick to its last; :meth:`add` adds a measured span.
    """

    def __init__(self, progress: Progress | None = None) -> None:
        self._user = progress or _noop
        self._first: dict[str, tuple[float, float]] = {}
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def __call__(self, step: str, done: int, total: int) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        first = self._first.setdefault(step, (now, cpu))
        self.seconds[step] = round(now - first[0], 3)
        self.cpu[step] = round(cpu - first[1], 3)
        self._user(step, done, total)

    def add(self, step: str, seconds: float) -> None:
        """Record ``seconds`` more for ``step``."""
        self.seconds[step] = round(self.seconds.get(step, 0.0) + seconds, 3)

    def for_step(self, label: str) -> Callable[[int, int], None]:
        """The ``progress(done, total)`` callback the seeding functions take, for ``label``."""

        def report(done: int, total: int) -> None:
            self(label, done, total)

        return report


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk step (the city's generation, its
    registry), then restore it as it was.

    Such a step makes millions of objects that all stay alive (the city, its rows): the
    collector would walk the growing heap again and again and free nothing, which cost a
    quarter of these steps' time. Reference counting still frees everything else at once.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def load_registry(gov: Any, city: City, *, actor: Actor | None = None,
                  progress: Progress | None = None, chunk: int = CHUNK,
                  label: str = "") -> None:
    """Write ``city``'s registry through the registry service.

    Args:
        gov: a :class:`~community_governance.Governance` (without this county yet).
        city: the generated city.
        actor: who writes (default ``Actor.system("demo")``).
        progress: ``progress(step, done, total)`` callback.
        chunk: residents per ``register_residents`` call (one transaction each).
        label: prefix of the step names (``"湖滨区 "`` when several counties are built).
    """
    with collector_paused():
        _load_registry(gov, city, actor=actor, progress=progress, chunk=chunk, label=label)


def _load_registry(gov: Any, city: City, *, actor: Actor | None, progress: Progress | None,
                   chunk: int, label: str) -> None:
    from community_governance.services.registry import NewResident

    who = actor or Actor.system("demo")
    tick = progress or _noop
    reg = gov.registry
    tick(f"{label}units", 0, 1)
    reg.add_units(who, city.units)
    tick(f"{label}units", 1, 1)
    tick(f"{label}buildings", 0, 1)
    reg.add_buildings(who, city.buildings)
    tick(f"{label}buildings", 1, 1)
    tick(f"{label}households", 0, 1)
    reg.add_households(who, city.households)
    tick(f"{label}households", 1, 1)
    total = len(city.residents)
    tick(f"{label}residents", 0, total)
    for start in range(0, total, chunk):
        part = city.residents[start:start + chunk]
        reg.register_residents(who, [NewResident(
            name=p.name, id_number=p.id_number, household_id=p.household_id,
            relation=p.relation, phone=p.phone, vulnerabilities=p.vulnerabilities,
            party_member=p.party_member, id=p.id, moved_in=p.moved_in) for p in part])
        tick(f"{label}residents", start + len(part), total)
    tick(f"{label}staff and posts", 0, 1)
    reg.add_staff(who, city.staff)
    reg.assign_posts(who, city.posts)
    reg.add_party_orgs(who, city.party_orgs)
    for org_id, members in city.party_members.items():
        if members:
            reg.add_party_members(who, org_id, members, since=city.reference_date.replace(
                month=1, day=1))
    reg.add_partner_units(who, city.partners)
    tick(f"{label}staff and posts", 1, 1)


def load_city(
    gov: Any, city: City, *, actor: Actor | None = None, progress: Progress | None = None,
    chunk: int = CHUNK, optional: bool = True,
) -> LoadReport:
    """Write ``city`` into ``gov`` through the services, then the optional steps.

    Args:
        gov: a :class:`~community_governance.Governance` on an empty store.
        city: the city from :func:`~community_governance.simulation.city.generate_city`.
        actor: who writes (default ``Actor.system("demo")``).
        progress: ``progress(step, done, total)`` callback (e.g. a rich progress bar).
        chunk: residents per ``register_residents`` call (one transaction each).
        optional: run the optional steps (grids, grid leaders, volunteering, funds, cases)
            of the city's county, as :func:`community_governance.demo.build` does.

    Returns:
        A :class:`LoadReport`.
    """
    from community_governance.demo.build import run_steps
    from community_governance.demo.config import STEPS, county_demo_for

    timer = Timer(progress)
    load_registry(gov, city, actor=actor, progress=timer, chunk=chunk)
    ran: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    if optional:
        county = county_demo_for(city.county.code, city.plan)
        ran, failed = run_steps(gov, [(county, city)], steps=STEPS,
                                year=city.reference_date.year, actor=actor, timer=timer)
    return LoadReport(residents=len(city.residents), households=len(city.households),
                      buildings=len(city.buildings), ran=ran,
                      skipped=() if optional else STEPS, failed=failed,
                      seconds=dict(timer.seconds), cpu_seconds=dict(timer.cpu))

