"""Plugins never hold the write lock while they think (issue #13 item 7): a county hook that
sleeps 1.5 s in one process does not block a writer in another process (SQLite)."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest

import community_governance as cg
from community_governance.testing.city import build_small_city

from . import lock_workers


@pytest.mark.parametrize("path", ["grids", "funds", "cases", "registry", "supermarket"])
def test_a_thinking_plugin_does_not_block_other_writers(tmp_path: Path, path: str) -> None:
    """The second writer finishes while the first process's hook still sleeps."""
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    with cg.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
        gov.supermarket.add_item(lock_workers.SYSTEM, city.communities[0], "食用油", 10,
                                 stock=5, id="OIL")
        gov.points.earn(lock_workers.SYSTEM, lock_workers.BUYER, 20, key="seed")
    community = city.communities[0]
    building = city.buildings[community][0]
    resident = city.all_residents()[0]
    marker = str(tmp_path / "thinking")
    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        slow = pool.apply_async(lock_workers.slow_write,
                                (url, path, marker, community, building))
        other = pool.apply_async(lock_workers.other_writer, (url, marker, resident))
        timing = other.get(timeout=60)
        wrote = slow.get(timeout=60)
    hook_end = float(Path(f"{marker}.end").read_text())
    assert timing["end"] - timing["start"] < 1.0, timing
    assert timing["end"] < hook_end  # written while the plugin was still thinking
    assert wrote  # and the slow write went through afterwards
    # asked once, before the write; the write took the answer from the memo
    assert 1 == len(Path(f"{marker}.calls").read_text().splitlines())
    with cg.open(url, entrypoints=False) as gov:
        assert 5 == gov.points.balance(lock_workers.SYSTEM, resident)
