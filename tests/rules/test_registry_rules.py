"""Domain rules of the registry (issue #13 item 10): backdated moves and grid leaders.

Each rule is tested at its boundaries, in Yima (411281) and in 湖滨区 (411202).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

import community_governance as cg
from community_governance.domain.people import ResidenceSpell, check_move
from community_governance.domain.posts import (
    HolderKind,
    Post,
    PostKind,
    check_concurrent_posts,
    concurrent_holders,
)
from community_governance.errors import ConflictError, PluginError, ValidationError
from community_governance.storage.tables import core as t
from community_governance.testing.city import build_small_city
from tests.places import build_hubin

SYSTEM = cg.Actor.system("test")
D = dt.date


class Deputies:
    """湖滨区 allows a deputy grid leader (副网格长): two at once."""

    @cg.hookimpl
    def cgov_grid_leaders_allowed(self, grid_code: str, community_code: str) -> int | None:
        return 2 if community_code.startswith("411202") else None


@pytest.fixture
def gov() -> Iterator[Any]:
    clock = lambda: pendulum.datetime(2026, 12, 2, 2, tz="UTC")  # noqa: E731
    with cg.open("memory://", [Deputies()], entrypoints=False, clock=clock) as g:
        yield g


def _spells(gov: Any, rid: str) -> list[tuple[str, dt.date, dt.date | None]]:
    with gov.store.unit_of_work(write=False) as uow:
        return [(r.household_id, r.start, r.end) for r in uow.conn.execute(
            sa.select(t.residence_spells).where(t.residence_spells.c.resident_id == rid)
            .order_by(t.residence_spells.c.id))]


# ------------------------------------------------------------------------------ moves


@pytest.mark.parametrize(("on", "ok"), [
    (D(2019, 12, 31), False),  # a day before the spell starts
    (D(2020, 1, 1), True),  # the day it starts (a same-day correction)
    (D(2020, 1, 2), True),
])
def test_check_move_boundaries(on: dt.date, ok: bool) -> None:
    """A move may not end the current spell before its first day; the same day is allowed."""
    spell = ResidenceSpell("R1", "H1", D(2020, 1, 1))
    if ok:
        check_move("R1", spell, on)
        check_move("R1", None, on)  # no current spell: nothing to end
    else:
        with pytest.raises(ValidationError, match=r"R1.*H1 on 2020-01-01.*2019-12-31") as e:
            check_move("R1", spell, on)
        assert e.value.path == "on"
        assert "on or after 2020-01-01" in str(e.value)


def test_a_spell_cannot_end_before_it_starts() -> None:
    """The residence spell itself refuses an end before its start (same day allowed)."""
    ResidenceSpell("R1", "H1", D(2020, 1, 1), D(2020, 1, 1))
    with pytest.raises(ValidationError, match="before it starts"):
        ResidenceSpell("R1", "H1", D(2020, 1, 1), D(2019, 12, 31))


@pytest.mark.parametrize("place", ["yima", "hubin"])
def test_a_backdated_move_is_refused_and_nothing_written(gov: Any, place: str) -> None:
    """A move dated before the current spell began is refused; the boundary day is fine."""
    if place == "yima":
        city = build_small_city(gov)
        c = city.communities[0]
        h1, h2 = city.households[city.buildings[c][0]][:2]
        rid = city.residents[h1][0]
        actor = city.secretary[c]
    else:
        hb = build_hubin(gov)
        h1, h2 = hb.households
        rid = hb.residents[0]
        actor = hb.secretary
    gov.registry.move_resident(actor, rid, h2, on=D(2024, 5, 1))
    before = _spells(gov, rid)
    with pytest.raises(ValidationError, match=f"moved into {h2} on 2024-05-01") as e:
        gov.registry.move_resident(actor, rid, h1, on=D(2024, 4, 30))
    assert "2024-04-30" in str(e.value) and "on or after 2024-05-01" in str(e.value)
    assert _spells(gov, rid) == before
    assert gov.registry.get_resident(SYSTEM, rid).household_id == h2
    gov.registry.move_resident(actor, rid, h1, on=D(2024, 5, 1))  # the same day: allowed
    assert _spells(gov, rid)[-2:] == [(h2, D(2024, 5, 1), D(2024, 5, 1)),
                                      (h1, D(2024, 5, 1), None)]
    with pytest.raises(ValidationError):  # moving away is held to the same rule
        gov.registry.move_resident(actor, rid, None, on=D(2017, 1, 1))


# ------------------------------------------------------------------------------ grid leaders


def _gl(pid: str, unit: str, holder: str, start: dt.date, end: dt.date | None = None) -> Post:
    return Post(pid, PostKind.GRID_LEADER, unit, HolderKind.RESIDENT, holder, start, end)


@pytest.mark.parametrize(("start", "end", "peak"), [
    (D(2018, 1, 1), D(2018, 12, 31), 1),  # ends the day before the other starts
    (D(2018, 1, 1), D(2019, 1, 1), 2),  # overlaps by one day
    (D(2020, 6, 30), None, 2),  # the other's last day
    (D(2020, 7, 1), None, 1),  # the day after the other's last day
])
def test_concurrent_holders_boundaries(start: dt.date, end: dt.date | None, peak: int) -> None:
    """Terms include both ends: a shared day counts, the day after does not."""
    held = [_gl("A", "G1", "X", D(2019, 1, 1), D(2020, 6, 30)),
            _gl("B", "G2", "Y", D(2000, 1, 1)),  # another grid
            Post("C", PostKind.BUILDING_LEADER, "G1", HolderKind.RESIDENT, "Z", D(2000, 1, 1))]
    got, overlapping = concurrent_holders(held, _gl("N", "G1", "W", start, end))
    assert got == peak
    assert [p.id for p in overlapping] == (["A"] if peak == 2 else [])


def test_concurrent_holders_counts_the_peak_day_not_the_total() -> None:
    """Two earlier leaders one after the other overlap a long new term, but never together."""
    held = [_gl("A", "G1", "X", D(2019, 1, 1), D(2019, 6, 30)),
            _gl("B", "G1", "Y", D(2019, 7, 1), D(2019, 12, 31))]
    peak, overlapping = concurrent_holders(held, _gl("N", "G1", "W", D(2019, 1, 1)))
    assert (peak, [p.id for p in overlapping]) == (2, ["A", "B"])
    check_concurrent_posts(held, _gl("N", "G1", "W", D(2019, 1, 1)), 2, rule="r")
    later = [*held, _gl("C", "G1", "V", D(2019, 3, 1))]  # now three on 2019-03-01
    assert concurrent_holders(later, _gl("N", "G1", "W", D(2019, 1, 1)))[0] == 3
    with pytest.raises(ConflictError, match=r"3 .*at most 2 \(r\).*A \(X, 2019-01-01"):
        check_concurrent_posts(later, _gl("N", "G1", "W", D(2019, 1, 1)), 2, rule="r")
    # the same post again (its own id) is not counted against itself
    assert concurrent_holders(held, held[0])[0] == 1


def test_two_grid_leaders_at_once_are_refused_in_yima(gov: Any) -> None:
    """Yima keeps the national rule: one grid leader per grid; nothing written on refusal."""
    city = build_small_city(gov)
    c = city.communities[0]
    g = city.grids[c][0]
    rid = city.residents[city.households[city.buildings[c][1]][0]][0]
    posts_before = len(gov.registry.posts(unit_prefix=g))
    with pytest.raises(ConflictError, match=rf"{g} would have 2 .*at most 1 "
                       rf"\(cgov_grid_leaders_allowed for community {c}\).*P-GL-{g}"):
        gov.registry.assign_posts(SYSTEM, [_gl("P-NEW", g, rid, D(2026, 1, 1))])
    assert len(gov.registry.posts(unit_prefix=g)) == posts_before
    # a term ending the day before the leader's began is fine
    gov.registry.assign_posts(SYSTEM, [_gl("P-OLD", g, rid, D(2018, 1, 1), D(2018, 12, 31))])
    # two new leaders of one grid in the same batch are refused as well
    g2 = city.grids[city.communities[1]][0]
    with pytest.raises(ConflictError, match="P-B2"):
        gov.registry.assign_posts(SYSTEM, [_gl("P-B1", g2, rid, D(2010, 1, 1), D(2010, 12, 31)),
                                           _gl("P-B2", g2, rid, D(2010, 6, 1), D(2010, 6, 30))])
    # grids.assign_grid_leader without replace refuses as before
    with pytest.raises(ConflictError, match="replace=True"):
        gov.grids.assign_leader(city.secretary[c], g, rid, start=D(2026, 12, 1))


def test_a_place_may_allow_a_deputy(gov: Any) -> None:
    """湖滨区 allows two at once: the second is accepted, the third refused."""
    hb = build_hubin(gov)
    g = hb.grids[0]
    r1, r2, r3, _ = hb.residents
    gov.registry.assign_posts(SYSTEM, [_gl("P-HB1", g, r1, D(2020, 1, 1))])
    gov.grids.assign_leader(hb.secretary, g, r2, start=D(2021, 1, 1))  # the deputy
    assert len(gov.registry.posts(unit_prefix=g, active_on=D(2021, 1, 1))) == 2
    with pytest.raises(ConflictError, match=r"3 .*at most 2 .*community 411202001001"):
        gov.registry.assign_posts(SYSTEM, [_gl("P-HB3", g, r3, D(2022, 1, 1))])
    with pytest.raises(ConflictError, match="at most 2"):
        gov.grids.assign_leader(hb.secretary, g, r3, start=D(2022, 1, 1))
    assert len(gov.registry.posts(unit_prefix=g)) == 2
    # replace=True still ends the terms in office
    gov.grids.assign_leader(hb.secretary, g, r3, start=D(2023, 1, 1), replace=True)
    assert [p.holder_id for p in gov.registry.posts(unit_prefix=g, active_on=D(2023, 1, 1))] \
        == [r3]


class Nonsense:
    @cg.hookimpl
    def cgov_grid_leaders_allowed(self, grid_code: str, community_code: str) -> Any:
        return 0


def test_a_nonsense_answer_is_a_plugin_error() -> None:
    """A plugin answering 0 leaders gets a PluginError naming it; nothing written."""
    with cg.open("memory://", [Nonsense()], entrypoints=False) as g:
        hb = build_hubin(g)
        with pytest.raises(PluginError, match="cgov_grid_leaders_allowed"):
            g.registry.assign_posts(SYSTEM, [_gl("P-X", hb.grids[0], hb.residents[0],
                                                 D(2020, 1, 1))])
        assert g.registry.posts(unit_prefix=hb.grids[0]) == []
