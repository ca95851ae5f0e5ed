"""Benchmarks of cases: intake (report → resolve) and the case report over a demo year.

Run: ``.venv/bin/python benchmarks/bench_cases.py [--households N] [--db sqlite|memory]``.
Prints one JSON object per figure.

The city: two sub-districts named like Yima's app sub-districts (千秋路, 泰山路), each with
communities of gridded buildings and households, staffed with a secretary, a staff member, a
grid leader per grid and sub-district staff. ``seed_cases`` then simulates a year (2019) of
cases through the services; the case report is timed over that year.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import pendulum

import community_governance
from community_governance.demo.cases import seed_cases
from community_governance.domain.access import Actor
from community_governance.domain.people import Household
from community_governance.domain.posts import HolderKind, Post, PostKind, StaffMember
from community_governance.domain.units import Building, Unit, UnitKind

SYSTEM = Actor.system("bench")
FROM = pendulum.date(2018, 1, 1)


def build_city(
    gov: Any, *, communities: int = 5, grids: int = 4, buildings: int = 10, households: int = 12
) -> int:
    """Build a two-sub-district city; returns the number of households."""
    reg = gov.registry
    county = "411281"
    units = [Unit(county, UnitKind.COUNTY, "义马市")]
    subs = {"411281001": "千秋路办事处", "411281002": "泰山路办事处"}
    units += [Unit(c, UnitKind.SUBDISTRICT, n, county) for c, n in subs.items()]
    blds: list[Building] = []
    hhs: list[Household] = []
    staff: list[StaffMember] = []
    posts: list[Post] = []
    for s in subs:
        staff.append(StaffMember(f"SUB-{s}", f"办事处{s[-3:]}", permanent=True))
        posts.append(
            Post(f"P-SUB-{s}", PostKind.SUBDISTRICT_STAFF, s, HolderKind.STAFF, f"SUB-{s}", FROM)
        )
        for ci in range(1, communities + 1):
            c = f"{s}{ci:03d}"
            units.append(Unit(c, UnitKind.COMMUNITY, f"第{ci}社区", s))
            for role, kind in (("SEC", PostKind.SECRETARY), ("STF", PostKind.STAFF)):
                staff.append(StaffMember(f"{role}-{c}", f"{role}{c[-3:]}", permanent=True))
                posts.append(Post(f"P-{role}-{c}", kind, c, HolderKind.STAFF, f"{role}-{c}", FROM))
            n = 0
            for gi in range(1, grids + 1):
                g = f"{c}-W{gi:02d}"
                units.append(Unit(g, UnitKind.GRID, f"第{gi}网格", c))
                staff.append(StaffMember(f"GL-{g}", f"网格长{gi}", permanent=False))
                posts.append(
                    Post(f"P-GL-{g}", PostKind.GRID_LEADER, g, HolderKind.STAFF, f"GL-{g}", FROM)
                )
                for _ in range(buildings):
                    n += 1
                    b = f"{c}-B{n:04d}"
                    blds.append(Building(b, f"{n}号楼", c, None, g, households_planned=households))
                    hhs += [Household(f"{b}-{k:03d}", b, f"{k:03d}") for k in range(households)]
    reg.add_units(SYSTEM, units)
    reg.add_buildings(SYSTEM, blds)
    reg.add_households(SYSTEM, hhs)
    reg.add_staff(SYSTEM, staff)
    reg.assign_posts(SYSTEM, posts)
    return len(hhs)


def _figure(name: str, value: float, unit: str, **extra: Any) -> None:
    print(
        json.dumps(
            {"benchmark": name, "value": round(value, 4), "unit": unit, **extra}, ensure_ascii=False
        ),
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--communities", type=int, default=5)
    ap.add_argument("--households", type=int, default=12, help="households per building")
    ap.add_argument("--db", choices=["sqlite", "memory"], default="sqlite")
    ap.add_argument("--intake", type=int, default=300, help="cases for the intake benchmark")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = "memory://" if args.db == "memory" else f"sqlite:///{Path(tmp) / 'bench.db'}"
        with community_governance.open(url, entrypoints=False) as gov:
            n_hh = build_city(gov, communities=args.communities, households=args.households)
            buildings = [b.code for b in gov.registry.list_buildings()]
            grid_of = {b.code: b.grid_code for b in gov.registry.list_buildings()}

            # --- intake: report one case (hooks, route, working-day deadline, journal)
            times = []
            full = []
            for i in range(args.intake):
                b = buildings[i % len(buildings)]
                gl = Actor.staff(f"GL-{grid_of[b]}")
                t0 = time.perf_counter()
                case = gov.cases.report(
                    gl, category="repair", building_code=b, description="楼道灯不亮", channel="app"
                )
                t1 = time.perf_counter()
                gov.cases.assign(gl, case.id, gl.id)
                gov.cases.resolve(gl, case.id, note="已修复")
                t2 = time.perf_counter()
                times.append(t1 - t0)
                full.append(t2 - t0)
            _figure(
                "case_intake_report",
                statistics.median(times) * 1000,
                "ms/case (median)",
                db=args.db,
                cases=args.intake,
                per_second=round(1 / statistics.median(times), 1),
            )
            _figure(
                "case_report_assign_resolve",
                statistics.median(full) * 1000,
                "ms/case (median)",
                db=args.db,
            )

            # --- a year of the demo city
            t0 = time.perf_counter()
            summary = seed_cases(gov, seed=2019)
            seed_s = time.perf_counter() - t0
            _figure(
                "seed_cases_year",
                seed_s,
                "s",
                db=args.db,
                households=n_hh,
                cases=summary.cases,
                operations=summary.operations,
                escalated=summary.escalated,
                closed=summary.closed,
                ops_per_second=round(summary.operations / seed_s, 1),
            )

            # --- the case report over the year
            runs = []
            for _ in range(5):
                t0 = time.perf_counter()
                r = gov.cases.case_report(SYSTEM, year=2019)
                runs.append(time.perf_counter() - t0)
            _figure(
                "case_report_year",
                statistics.median(runs) * 1000,
                "ms (median of 5)",
                db=args.db,
                cases=r.total,
                median_days=r.median_days,
                p90_days=r.p90_days,
                overdue_share=r.overdue_share,
                satisfaction_mean=r.satisfaction["mean"],
            )
            scoped = Actor.staff("SEC-411281001001")
            t0 = time.perf_counter()
            rs = gov.cases.case_report(scoped, year=2019)
            _figure(
                "case_report_year_one_community",
                (time.perf_counter() - t0) * 1000,
                "ms",
                db=args.db,
                cases=rs.total,
            )
            t0 = time.perf_counter()
            docs = gov.cases.export_open311(SYSTEM)
            _figure(
                "open311_export_year",
                (time.perf_counter() - t0) * 1000,
                "ms",
                db=args.db,
                requests=len(docs),
            )


if __name__ == "__main__":
    main()
