"""The demo's year of care (seed_care) and its headline lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import community_governance
from community_governance.demo import load_city
from community_governance.demo.care import seed_care
from community_governance.demo.funds import seed_funds
from community_governance.demo.headline import headline
from community_governance.domain.access import Actor
from community_governance.simulation.city import generate_yima
from community_governance.storage.tables import care as tc
from community_governance.storage.tables import funds as tf
from community_governance.storage.tables import points as tp


def _seeded(path: Path) -> tuple[Any, list[Any], list[str], int, int, int]:
    with community_governance.open(f"sqlite:///{path}", entrypoints=False) as gov:
        load_city(gov, generate_yima(5, scale=0.02), optional=False)
        gov.grids.draw(Actor.system("demo"))
        seed_funds(gov, year=2019, seed=5)
        summary = seed_care(gov, year=2019, seed=5)
        with gov.store.unit_of_work(write=False) as uow:
            visits = [tuple(r)[1:6] for r in uow.conn.execute(
                sa.select(tc.care_visits).order_by(tc.care_visits.c.id))]
            gifts = uow.conn.execute(sa.select(sa.func.count()).select_from(
                tp.charity_give_outs)).scalar_one()
            paid = uow.conn.execute(sa.select(sa.func.count()).select_from(
                tf.funds_disbursements).where(
                tf.funds_disbursements.c.purpose.like("%spring_festival%"),
                tf.funds_disbursements.c.state == "paid")).scalar_one()
            rounds = uow.conn.execute(sa.select(sa.func.count()).select_from(
                tc.care_rounds)).scalar_one()
        lines = headline(gov, year=2019)
    return summary, visits, lines, int(gifts), int(paid), int(rounds)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, ...]:
    """One seeded demo city for the tests of this module (seeding takes seconds)."""
    return _seeded(tmp_path_factory.mktemp("care-demo") / "a.db")


def test_seed_care_shows_coverage(seeded: tuple[Any, ...]) -> None:
    """Every resident in care has a cadre; the festival and snow rounds have a few missed
    visits; gifts left the charity supermarket's stock and the spring parcels were paid from
    the care fund; the headline reports it."""
    summary, visits, lines, gifts, paid, rounds = seeded
    assert summary.in_care > 0 and summary.rounds == rounds >= summary.communities
    assert len(visits) == summary.visits
    care = [ln for ln in lines if ln.startswith("care 关爱")]
    assert len(care) == 1 and "100.0% with a cadre" in care[0]
    assert any(ln.strip().startswith("weather 雨雪天气探访") for ln in lines)
    assert gifts >= summary.in_care  # one 粽子 and one 月饼 per resident in care, at least
    assert paid > 0
    assert "missed 0" not in care[0]


def test_seed_care_invites_the_elders_to_the_holidays(seeded: tuple[Any, ...]) -> None:
    """The 2019 New Year, Spring Festival and Lantern Festival and New Year 2020: every
    community with elders living alone invites them; most come, not all; the headline says
    so."""
    summary, _visits, lines, _gifts, _paid, _rounds = seeded
    assert 0 < summary.attended < summary.invited
    line = next(ln for ln in lines if ln.strip().startswith("invitations 节日邀请 2019/20"))
    assert f"{summary.invited:,} elders invited, {summary.attended:,} came" in line
    assert all(k in line for k in ("元旦 2019", "春节 2019", "元宵 2019", "元旦 2020"))
