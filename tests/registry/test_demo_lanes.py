"""The demo's optional steps in two lanes (two processes on one SQLite file) build the same
demo as one lane: same headline, same steps run, every step waiting for what it reads."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

import community_governance as cg
from community_governance.demo import SANMENXIA, YIMA, build
from community_governance.demo.build import step_tasks
from community_governance.demo.config import SECOND_LANE, STEP_AFTER, STEPS
from community_governance.demo.headline import headline
from community_governance.demo.lanes import _waits
from community_governance.services.crypto import generate_key


def test_every_wait_names_an_earlier_step() -> None:
    """The waits never reorder the sequential steps: each names steps that come before it
    in STEPS, so one lane (the sequential order) honours them all."""
    assert set(STEP_AFTER) == set(STEPS)
    for step, after in STEP_AFTER.items():
        assert all(STEPS.index(a) < STEPS.index(step) for a in after), step
    assert SECOND_LANE < set(STEPS) and "grids" not in SECOND_LANE


def test_a_later_county_waits_for_the_whole_earlier_one() -> None:
    """With two counties, every step of the second waits for every step of the first, and
    every step waits for the grids (drawn once for all)."""
    counties = [(c, None) for c in SANMENXIA.counties]
    tasks = step_tasks(counties, STEPS)  # type: ignore[arg-type]
    assert len(tasks) == 1 + 2 * (len(STEPS) - 1)
    present = {s for _, s, _ in tasks}
    first = {label for label, _, k in tasks if k == 0}
    for label, step, k in tasks:
        waits = set(_waits(label, step, k, tasks, present))
        if step != "grids":
            assert "grids" in waits
        if k == 1:
            assert first <= waits


@pytest.mark.slow
def test_two_lanes_build_the_same_demo(tmp_path: Path) -> None:
    """Builds the Yima demo twice into SQLite files, in one lane and in two: the headlines
    are the same line for line, the same steps ran, and the second process did the work of
    its steps."""
    pytest.importorskip("cgov_yima.plugin")
    key = generate_key()
    lines: dict[bool, list[str]] = {}
    for lanes in (False, True):
        url = f"sqlite:///{tmp_path / f'lanes{int(lanes)}.db'}?synchronous=OFF"
        reopen = functools.partial(cg.open, url, data_key=key, create=False)
        with cg.open(url, data_key=key) as gov:
            report, _ = build(gov, YIMA, seed=5, scale=0.02,
                              second_lane=reopen if lanes else None)
            assert not report.failed
            assert report.ran == tuple(label for label, _, _ in step_tasks(
                [(YIMA.counties[0], None)], YIMA.steps))  # type: ignore[list-item]
            assert list(report.seconds)[-len(STEPS):] == list(STEPS)
            if lanes:
                assert report.second_lane_cpu is not None and report.second_lane_cpu > 0
                assert all(report.cpu_seconds[s] > 0 for s in SECOND_LANE)
            else:
                assert report.second_lane_cpu is None
            lines[lanes] = headline(gov, year=YIMA.year)
    assert lines[False] == lines[True]
    assert any("cases" in line for line in lines[True])
