"""Cost of the access policy: ``can`` per decision, and single reads and list queries with no
narrowing plugin (the hook is skipped: baseline) against one no-op narrowing plugin.

Run: .venv/bin/python benchmarks/bench_permissions.py
"""

from __future__ import annotations

import json
import time
from typing import Any

import community_governance as cg
from community_governance import hookimpl
from community_governance.domain import actions as A
from community_governance.domain.access import Target, can
from community_governance.services.base import Service
from community_governance.testing.city import build_small_city


class NoOp:
    """A county plugin that never narrows anything (answers None)."""

    @hookimpl
    def cgov_narrow_permission(self, principal: Any, action: Any, target: Any) -> None:
        return None


def _best(fn: Any, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_can() -> None:
    with cg.open("memory://", entrypoints=False) as gov:
        city = build_small_city(gov)
        with Service(gov)._read(city.grid_leader["411281001001-W01"]) as op:
            p = op.principal
        targets = [
            Target(
                "resident",
                f"R{i:04d}",
                f"411281001001-B000{1 + i % 4}",
                f"411281001001-W0{1 + (i % 4) // 2}",
                owner_id=f"R{i:04d}",
            )
            for i in range(1000)
        ]

        def run() -> None:
            for t in targets:
                can(p, A.RESIDENT_READ, t)

        sec = _best(run)
        print(
            json.dumps(
                {"figure": "can_decisions_per_second", "value": round(1000 / sec), "unit": "1/s"}
            )
        )


def bench_reads(plugins: list[object], label: str) -> dict[str, float]:
    with cg.open("memory://", plugins=plugins, entrypoints=False) as gov:
        city = build_small_city(gov)
        sec = city.secretary["411281001001"]
        rids = city.all_residents()[:24]

        def singles() -> None:
            for r in rids:
                gov.registry.get_resident(sec, r)

        def lists() -> None:
            for _ in range(24):
                gov.registry.list_residents(sec)

        out = {
            "get_resident_ms": _best(singles) / len(rids) * 1000,
            "list_residents_ms": _best(lists) / 24 * 1000,
        }
        for k, v in out.items():
            print(
                json.dumps({"figure": f"{k}", "plugins": label, "value": round(v, 4), "unit": "ms"})
            )
        return out


def main() -> None:
    bench_can()
    base = bench_reads([], "none (hook skipped)")
    with_plugin = bench_reads([NoOp()], "one no-op narrowing plugin")
    for k in base:
        print(
            json.dumps(
                {
                    "figure": f"{k}_ratio",
                    "baseline": round(base[k], 4),
                    "value": round(with_plugin[k], 4),
                    "ratio": round(with_plugin[k] / base[k], 3),
                }
            )
        )


if __name__ == "__main__":
    main()
