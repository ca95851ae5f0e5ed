"""The synthetic city generator."""

from __future__ import annotations

from community_governance.grids.synthetic import prefecture, synthetic_city, yima_like


def test_yima_like_is_shaped_like_yima():
    """Makes 15 communities, about 1,150 buildings, exactly 46,800 households and one
    compound of 81 buildings."""
    city = yima_like()
    assert len({b.community for b in city}) == 15
    assert 1_100 <= len(city) <= 1_250
    assert sum(b.households for b in city) == 46_800
    sizes: dict[str, int] = {}
    for b in city:
        if b.compound:
            sizes[b.compound] = sizes.get(b.compound, 0) + 1
    assert max(sizes.values()) == 81


def test_same_seed_same_city():
    """Makes the same city from the same seed, and another from another seed."""
    assert synthetic_city(5) == synthetic_city(5)
    assert synthetic_city(5) != synthetic_city(6)


def test_islands_and_towers():
    """Places islands far away and towers over the band when asked."""
    city = synthetic_city(1, islands=2, towers=3)
    assert sum(1 for b in city if b.households >= 800) >= 3


def test_prefecture_is_twenty_cities():
    """Makes twenty cities under distinct county codes."""
    pref = prefecture(1, cities=3)
    assert {"411201", "411202", "411203"} == {b.community[:6] for b in pref}
