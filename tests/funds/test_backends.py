"""The same year of books on SQLite files and PostgreSQL: reports agree with the postings."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import community_governance as cg
from community_governance.demo.funds import seed_funds
from community_governance.domain.access import Actor
from community_governance.domain.posts import PartnerUnit
from community_governance.io.disclosure import render_html, render_json
from community_governance.testing.city import build_small_city

SYSTEM = Actor.system("funds-backends")


def _year_of_books(url: str) -> dict[str, str]:
    with cg.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        gov.registry.add_partner_units(SYSTEM, [
            PartnerUnit("PU1", "义马市财政局", "assigned_bureau", (c,))])
        seed_funds(gov, seed=11)
        tb = gov.funds.trial_balance(SYSTEM)
        assert tb.total == 0
        closing = gov.funds.close_year(SYSTEM, c, 2019)
        assert closing is not None
        carried = gov.funds.carry_forward(SYSTEM, c, 2019)
        assets = sum(v for a, v in carried.items() if a.startswith("1"))
        assert assets == -sum(v for a, v in carried.items() if not a.startswith("1"))
        d = gov.funds.disclosure(c, "2019Q4")
        assert d.surplus.values["closing"] == Decimal("0.00")  # carried forward
        assert "社区财务公开" in render_html(d)
        mix = gov.funds.funding_mix(SYSTEM, 2019, c)[0]
        return {"json": render_json(d).split('"generated_at"')[0], "share":
                str(mix.largest_share), "bank": str(carried["1002"])}


def test_year_close_and_disclosure_on_sqlite_file(tmp_path: Path) -> None:
    """Closes a seeded year on a SQLite file; balances carry forward and the report renders."""
    got = _year_of_books(f"sqlite:///{tmp_path / 'year.db'}")
    assert Decimal(got["bank"]) > 0


@pytest.mark.postgres
def test_postgresql_books_equal_sqlite_books(postgres_url: str, tmp_path: Path) -> None:
    """Produces the same disclosure, channel mix and carried balances on PostgreSQL."""
    assert _year_of_books(postgres_url) == _year_of_books(f"sqlite:///{tmp_path / 'y.db'}")
