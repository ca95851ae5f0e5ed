"""Load the synthetic Yima city into a governance store, through the services.

:func:`load_city` writes a :class:`~community_governance.simulation.city.City` with the registry
service (units, buildings, households, residents in chunks, staff, posts, party organizations,
partners), then runs the optional steps other capabilities provide when they are installed:
drawing the grids (``gov.grids``), volunteering (``services.points_demo.seed_volunteering``),
funds (``services.funds_demo.seed_funds``) and cases (``services.cases_demo.seed_cases``).

Example::

    import community_governance
    from community_governance.simulation.city import generate_yima
    from community_governance.simulation.demo import load_city

    with community_governance.open("memory://", entrypoints=False) as gov:
        report = load_city(gov, generate_yima(7, scale=0.01))
        print(report.residents, report.skipped)
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import time
from collections.abc import Callable
from typing import Any

import attrs

from community_governance.domain.access import Actor
from community_governance.errors import CgovError
from community_governance.simulation.city import City

__all__ = ["OPTIONAL_STEPS", "LoadReport", "Progress", "load_city"]

#: ``progress(step, done, total)``: called as each step advances.
Progress = Callable[[str, int, int], None]

#: Steps run when their module is importable: (label, module, function, keyword arguments).
OPTIONAL_STEPS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("grid leaders", "community_governance.services.grids_demo", "seed_grid_leaders",
     ("seed", "progress")),
    ("volunteering", "community_governance.services.points_demo", "seed_volunteering",
     ("seed", "start", "progress")),
    ("funds", "community_governance.services.funds_demo", "seed_funds",
     ("year", "seed", "progress")),
    ("cases", "community_governance.services.cases_demo", "seed_cases",
     ("year", "seed", "progress")),
)

CHUNK = 20_000


@attrs.frozen
class LoadReport:
    """What :func:`load_city` wrote.

    Attributes:
        residents: residents registered.
        households: households registered.
        buildings: buildings registered.
        ran: the optional steps that ran (``grids``, ``volunteering``, ``funds``, ``cases``).
        skipped: the optional steps skipped because their module is not installed yet.
        failed: the optional steps that raised a library error, with the message (the
            registry data is written whatever they do).
        seconds: wall time of each step (``units``, ``residents``, ``cases``...).
    """

    residents: int
    households: int
    buildings: int
    ran: tuple[str, ...]
    skipped: tuple[str, ...]
    failed: tuple[str, ...] = ()
    seconds: dict[str, float] = attrs.field(factory=dict)


def _noop(_step: str, _done: int, _total: int) -> None:
    return None


def _importable(module: str) -> Any | None:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise


def _call_with(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` passing only the keyword arguments its signature accepts."""
    params = inspect.signature(fn).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in params}
    return fn(*args, **kwargs)


def load_city(
    gov: Any, city: City, *, actor: Actor | None = None, progress: Progress | None = None,
    chunk: int = CHUNK, optional: bool = True,
) -> LoadReport:
    """Write ``city`` into ``gov`` through the services.

    Args:
        gov: a :class:`~community_governance.Governance` on an empty store.
        city: the city from :func:`~community_governance.simulation.city.generate_yima`.
        actor: who writes (default ``Actor.system("demo")``).
        progress: ``progress(step, done, total)`` callback (e.g. a rich progress bar).
        chunk: residents per ``register_residents`` call (one transaction each).
        optional: run the optional steps (grids, volunteering, funds, cases) when installed.

    Returns:
        A :class:`LoadReport`.
    """
    from community_governance.services.registry import NewResident

    who = actor or Actor.system("demo")
    user_tick = progress or _noop
    first_seen: dict[str, float] = {}
    timings: dict[str, float] = {}

    def tick(step: str, done: int, total: int) -> None:
        now = time.perf_counter()
        first_seen.setdefault(step, now)
        timings[step] = round(now - first_seen[step], 3)
        user_tick(step, done, total)
    reg = gov.registry
    tick("units", 0, 1)
    reg.add_units(who, city.units)
    tick("units", 1, 1)
    tick("buildings", 0, 1)
    reg.add_buildings(who, city.buildings)
    tick("buildings", 1, 1)
    tick("households", 0, 1)
    reg.add_households(who, city.households)
    tick("households", 1, 1)
    total = len(city.residents)
    tick("residents", 0, total)
    for start in range(0, total, chunk):
        part = city.residents[start:start + chunk]
        reg.register_residents(who, [NewResident(
            name=p.name, id_number=p.id_number, household_id=p.household_id,
            relation=p.relation, phone=p.phone, vulnerabilities=p.vulnerabilities,
            party_member=p.party_member, id=p.id, moved_in=p.moved_in) for p in part])
        tick("residents", start + len(part), total)
    tick("staff and posts", 0, 1)
    reg.add_staff(who, city.staff)
    reg.assign_posts(who, city.posts)
    reg.add_party_orgs(who, city.party_orgs)
    for org_id, members in city.party_members.items():
        if members:
            reg.add_party_members(who, org_id, members, since=city.reference_date.replace(
                month=1, day=1))
    reg.add_partner_units(who, city.partners)
    tick("staff and posts", 1, 1)
    ran: list[str] = []
    skipped: list[str] = []
    failed: list[str] = []
    if optional:
        # ---- optional step: grids (网格), drawn by the grids service once it exists --------
        if _importable("community_governance.services.grids") is not None:
            tick("grids", 0, 1)
            try:
                _call_with(gov.grids.draw, who, progress=_step_progress(tick, "grids"))
                ran.append("grids")
            except CgovError as exc:
                failed.append(f"grids: {exc}")
            tick("grids", 1, 1)
        else:
            skipped.append("grids")
        # ---- optional steps: volunteering, funds, cases (seeded by their services) ---------
        for label, module, func, accepted in OPTIONAL_STEPS:
            mod = _importable(module)
            fn = getattr(mod, func, None) if mod is not None else None
            if fn is None:
                skipped.append(label)
                continue
            kwargs: dict[str, Any] = {"seed": city.seed, "progress": _step_progress(tick, label),
                                      "year": city.reference_date.year,
                                      # volunteering: the autumn months of the demo's year
                                      "start": dt.date(city.reference_date.year, 9, 1)}
            tick(label, 0, 1)
            began = time.perf_counter()
            try:
                fn(gov, **{k: v for k, v in kwargs.items() if k in accepted})
            except CgovError as exc:
                failed.append(f"{label}: {exc}")
                continue
            finally:
                timings[label] = round(time.perf_counter() - began, 3)
            ran.append(label)
    return LoadReport(residents=total, households=len(city.households),
                      buildings=len(city.buildings), ran=tuple(ran), skipped=tuple(skipped),
                      failed=tuple(failed), seconds=timings)


def _step_progress(tick: Progress, label: str) -> Callable[[int, int], None]:
    """The ``progress(done, total)`` callback the seeding functions take, for step ``label``."""

    def report(done: int, total: int) -> None:
        tick(label, done, total)

    return report
