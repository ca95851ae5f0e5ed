"""The demo's optional steps in two lanes (two processes on one SQLite file or PostgreSQL
database) build the same demo as one lane: same headline, same steps run, every step waiting
for what it reads; two lanes are the default on PostgreSQL only."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
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


def test_two_lanes_are_the_default_on_a_server_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL on two cores or more: two lanes; a SQLite file, memory or one core: one;
    CGOV_DEMO_LANES decides when set, and a value other than 1 or 2 is refused by name."""
    import click

    from community_governance.cli.demo import demo_lanes

    monkeypatch.delenv("CGOV_DEMO_LANES", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert demo_lanes("postgresql://u@h/db") == 2
    assert demo_lanes("sqlite:///x.db") == 1 and demo_lanes("memory://") == 1
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert demo_lanes("postgresql://u@h/db") == 1
    monkeypatch.setenv("CGOV_DEMO_LANES", "2")
    assert demo_lanes("sqlite:///x.db") == 2 and demo_lanes("memory://") == 1
    monkeypatch.setenv("CGOV_DEMO_LANES", "1")
    assert demo_lanes("postgresql://u@h/db") == 1
    monkeypatch.setenv("CGOV_DEMO_LANES", "three")
    with pytest.raises(click.BadParameter, match="CGOV_DEMO_LANES='three'"):
        demo_lanes("postgresql://u@h/db")


@pytest.fixture
def _urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    """Two fresh databases of the backend the test is parametrized with."""
    if request.param == "sqlite":
        yield [f"sqlite:///{tmp_path / f'lanes{i}.db'}?synchronous=OFF" for i in (0, 1)]
        return
    from community_governance.testing.pgschema import postgres_schema
    from community_governance.testing.plugin import POSTGRES_ENV

    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}=postgresql://user@host/db")
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(postgres_schema(base, prefix="cgov_lanes")) for _ in (0, 1)]


@pytest.mark.slow
@pytest.mark.parametrize("_urls", ["sqlite", "postgresql"], indirect=True)
def test_two_lanes_build_the_same_demo(_urls: list[str]) -> None:
    """Builds the Yima demo twice, in one lane and in two (on PostgreSQL with no lock file
    between the processes): the headlines are the same line for line, the same steps ran,
    and the second process did the work of its steps."""
    pytest.importorskip("cgov_yima.plugin")
    key = generate_key()
    lines: dict[bool, list[str]] = {}
    for lanes in (False, True):
        url = _urls[int(lanes)]
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
                if url.startswith("postgresql"):  # no write lock handed over on a server
                    assert all(held == waited == 0 for held, waited
                               in report.lock_seconds.values())
            else:
                assert report.second_lane_cpu is None
            lines[lanes] = headline(gov, year=YIMA.year)
    assert lines[False] == lines[True]
    assert any("cases" in line for line in lines[True])
