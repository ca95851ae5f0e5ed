"""The demo pauses the cyclic garbage collector around its bulk front steps (generating and
registering the city) and restores it as it found it (issue #21 item 6)."""

from __future__ import annotations

import gc

import pytest

from community_governance.demo.registry import collector_paused


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
