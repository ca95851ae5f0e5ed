"""Cost of a hook call told the place, with two county plugins and a prefecture installed.

Run: ``.venv/bin/python benchmarks/bench_hooks.py [--calls N]``. Prints one JSON object per
figure. The baseline is the same call with the scope order computed on every call (no cache:
what a plain per-call filter of pluggy's implementations costs); ``ratio`` is our calls/s over
the baseline's. Services call hooks on hot paths (scoring every attendee, every redemption
limit), so the order is cached per (hook, place).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from community_governance.grids.model import GridPolicy
from community_governance.markers import hookimpl
from community_governance.plugins import Hooks, expect_int, get_plugin_manager


class County:
    """A scoped county plugin with a scoring standard."""

    def __init__(self, code: str, rate: int) -> None:
        self.__name__ = f"county_{code}"
        self.code, self.rate = code, rate

    @hookimpl
    def cgov_plugin_scope(self) -> list[str]:
        return [self.code]

    @hookimpl
    def cgov_points_standard(self, category: str, minutes: int, community_code: str) -> int:
        return self.rate * (minutes // 60)


class Prefecture:
    """A prefecture-wide grid policy."""

    __name__ = "prefecture_4112"

    @hookimpl
    def cgov_plugin_scope(self) -> list[str]:
        return ["4112"]

    @hookimpl
    def cgov_grid_policy(self, community_code: str, households: int) -> GridPolicy:
        return GridPolicy(400)


def _rate(f: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        f()
    return calls / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=50_000)
    args = parser.parse_args()
    hooks = Hooks(get_plugin_manager(entrypoints=False, extra=[
        County("411281", 2), County("411202", 5), Prefecture()]), slow_hook_ms=1e9)
    check = expect_int(minimum=0)
    places = [f"4112{c}001{n:03d}" for c in ("81", "02") for n in range(1, 16)]

    def cached() -> object:
        for p in places:
            hooks.first("cgov_points_standard", check, place=p, category="culture",
                        minutes=60, community_code=p)
        return None

    def uncached() -> object:
        for p in places:
            hooks._order.clear()
            hooks.first("cgov_points_standard", check, place=p, category="culture",
                        minutes=60, community_code=p)
        return None

    n = max(1, args.calls // len(places))
    ours = _rate(cached, n) * len(places)
    base = _rate(uncached, n) * len(places)
    print(json.dumps({"figure": "hooks.first with place (calls/s)", "ours": round(ours),
                      "baseline": round(base), "ratio": round(ours / base, 2)}))


if __name__ == "__main__":
    main()
