"""The city generator's integer draws are ``randrange``'s: the city of a seed must not change
(issue #21 item 6 made them faster)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community_governance.simulation.city import _Random


@given(st.integers(0, 2**32), st.lists(st.tuples(st.integers(-1000, 1000),
                                                 st.integers(1, 10**9)), min_size=1,
                                       max_size=50))
def test_between_draws_what_randrange_draws(seed: int, ranges: list[tuple[int, int]]) -> None:
    """Interleaved with ``random()`` (as the generator does), from the same state."""
    ours, theirs = _Random(seed), random.Random(seed)
    for start, width in ranges:
        assert ours.between(start, start + width) == theirs.randrange(start, start + width)
        assert ours.random() == theirs.random()


@pytest.mark.parametrize("width", [1, 2, 3, 365, 500, 2**20, 2**20 + 1, 100_000_000])
def test_between_on_the_generators_widths(width: int) -> None:
    ours, theirs = _Random(2019), random.Random(2019)
    got = [ours.between(7, 7 + width) for _ in range(2000)]
    assert got == [theirs.randrange(7, 7 + width) for _ in range(2000)]
    assert all(7 <= g < 7 + width for g in got)


@pytest.mark.parametrize(("start", "stop"), [(5, 5), (5, 4)])
def test_between_refuses_an_empty_range(start: int, stop: int) -> None:
    with pytest.raises(ValueError, match="empty range"):
        _Random(1).between(start, stop)
