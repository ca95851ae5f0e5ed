"""The demo package: configurations, two counties in one database, headlines per county."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

import community_governance as cg
from community_governance.demo import SANMENXIA, YIMA, build
from community_governance.demo.config import DemoConfig
from community_governance.demo.headline import county_headline
from community_governance.domain.access import Actor


def test_configs_are_checked() -> None:
    """Refuses a demo naming a county twice or an unknown step."""
    with pytest.raises(ValueError, match="once"):
        DemoConfig("x", "x", (YIMA.counties[0], YIMA.counties[0]))
    with pytest.raises(ValueError, match="unknown steps"):
        DemoConfig("x", "x", YIMA.counties, steps=("bake",))


def test_the_services_do_not_import_the_facade() -> None:
    """The services depend on the narrow Context, not on the façade (no import circle)."""
    import pathlib

    import community_governance.services as services

    root = pathlib.Path(services.__file__).parent
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if "community_governance.facade" in p.read_text(encoding="utf-8")]
    assert [] == offenders


@pytest.mark.parametrize("reverse", [False, True])
def test_prefecture_demo_gives_each_county_its_rules(reverse: bool) -> None:
    """Builds Yima and 湖滨区 into one store (plugins in either order): each county's grids are
    drawn under its own policy and its headline shows its own rules."""
    yima = pytest.importorskip("cgov_yima.plugin")
    hubin = pytest.importorskip("cgov_hubin.plugin")
    plugins: list[Any] = [hubin, yima][::-1] if reverse else [hubin, yima]
    config = attrs.evolve(SANMENXIA, steps=("grids",))
    with cg.open("memory://", plugins=plugins, entrypoints=False) as gov:
        report, cities = build(gov, config, seed=3, scale=0.05)
        assert ("grids",) == report.ran and not report.failed
        assert {"411281", "411202"} == set(cities)
        chk = gov.grids.check(Actor.system("t"))
        assert not chk.assignment.unmanaged and not chk.assignment.disputed
        lines = {c.code: "\n".join(county_headline(gov, c, year=2019))
                 for c in config.counties}
    assert "policy 600 households a grid (480-720)" in lines["411281"]
    assert "policy 400 households a grid (300-500)" in lines["411202"]
    assert "74,000.00" in lines["411281"] and "50,000.00" in lines["411202"]
    assert "secretary + director + subdistrict_staff" in lines["411202"]
    assert "3 for 90 minutes" in lines["411281"] and "6 for 90 minutes" in lines["411202"]
    assert "old_estate" in lines["411202"] and "handover" in lines["411281"]
    assert "2019-11-18" in lines["411202"] and "local days off 本地休息日: none" in \
        lines["411281"]
    assert "admission 4 documents" in lines["411281"] and "5A from 900" in lines["411281"]
    assert "admission 6 documents" in lines["411202"] and "5A from 950" in lines["411202"]
    assert "may not bid" in lines["411202"] and "bid in round 2" in lines["411281"]
    assert "seconds" not in report.seconds and "grids" in report.seconds
