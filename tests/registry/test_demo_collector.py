"""The demo pauses the cyclic garbage collector around its bulk steps and leaves the objects
alive after them out of its walks; both restore the collector as they found it (issue #21
item 6)."""

from __future__ import annotations

import gc

import pytest

from community_governance.demo.registry import collector_paused, collector_skips_alive


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_paused_restores_the_collector(enabled: bool) -> None:
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError), collector_paused():
            raise RuntimeError("a step failed")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_collector_skips_alive_objects_then_gives_them_back() -> None:
    assert gc.get_freeze_count() == 0
    alive = [[i] for i in range(1000)]
    with collector_skips_alive():
        assert gc.get_freeze_count() >= len(alive)
    assert gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError), collector_skips_alive():
        raise RuntimeError("a step failed")
    assert gc.get_freeze_count() == 0


def test_collector_skips_alive_leaves_a_callers_freeze_alone() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collector_skips_alive():
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
