"""Worker processes of ``test_hook_lock`` (importable by name, as the spawn context needs)."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import community_governance as cg
from community_governance.domain.cases import RouteLevel
from community_governance.grids.model import GridPolicy
from community_governance.markers import hookimpl

SYSTEM = cg.Actor.system("lock-test")
SLEEP_S = 1.5
BUYER = "R0002"


class SlowCounty:
    """A county plugin whose rules take 1.5 s to think; it notes when it starts and ends."""

    def __init__(self, marker: str) -> None:
        self.marker = Path(marker)

    def _think(self) -> None:
        with Path(f"{self.marker}.calls").open("a") as f:
            f.write("call\n")
        self.marker.write_text(f"{time.time()}")
        time.sleep(SLEEP_S)
        Path(f"{self.marker}.end").write_text(f"{time.time()}")

    @hookimpl
    def cgov_grid_policy(self, community_code: str, households: int) -> GridPolicy:
        self._think()
        return GridPolicy(target=600, low=480, high=720)

    @hookimpl
    def cgov_funds_required_approvals(self, community_code: str, account: str,
                                      amount: Decimal) -> list[str]:
        self._think()
        return ["director"]

    @hookimpl
    def cgov_validate_resident(self, resident: Any, today: Any,
                               community_code: str | None) -> None:
        self._think()

    @hookimpl
    def cgov_redemption_limit(self, item: Any, resident_id: str,
                              community_code: str) -> None:
        self._think()

    @hookimpl
    def cgov_case_deadline(self, category: str, level: RouteLevel, county_code: str) -> int:
        self._think()
        return 3


def slow_write(url: str, path: str, marker: str, community: str, building: str) -> str:
    """Run one write whose hook thinks for 1.5 s; returns what it wrote."""
    with cg.open(url, plugins=[SlowCounty(marker)], entrypoints=False) as gov:
        if path == "grids":
            report = gov.grids.draw(SYSTEM, community, replace=True)
            return f"{len(report.grids)} grids"
        if path == "funds":
            return str(gov.funds.request(SYSTEM, community, "5101", "100", payee="某商店",
                                         purpose="办公用品").id)
        if path == "registry":
            from community_governance.domain.idnumber import compose_id_number
            from community_governance.services.registry import NewResident

            hh = f"{building}-101"  # the small city's household keys
            return gov.registry.register_resident(SYSTEM, NewResident(
                "新居民", compose_id_number("411281", date(1990, 5, 5), 777), hh)).id
        if path == "supermarket":
            return str(gov.supermarket.redeem(SYSTEM, BUYER, "OIL", key="lock-redeem").id)
        case = gov.cases.report(SYSTEM, category="repair", building_code=building,
                                description="楼道灯坏了", channel="phone")
        return case.id


def other_writer(url: str, marker: str, resident: str) -> dict[str, Any]:
    """Wait until the slow hook is thinking, then earn points; report the timings."""
    with cg.open(url, entrypoints=False) as gov:
        deadline = time.time() + 30
        while not Path(marker).exists():
            if time.time() > deadline:
                raise TimeoutError("the slow hook never started")
            time.sleep(0.01)
        start = time.time()
        gov.points.earn(SYSTEM, resident, 5, key=f"lock-{start}", reason="志愿服务")
        end = time.time()
    return {"start": start, "end": end}
