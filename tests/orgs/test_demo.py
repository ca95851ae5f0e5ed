"""The demo's social organizations: few, at four or more stages, one incubator, the 2019
evaluation round and a supervision finding, under each county's rules."""

from __future__ import annotations

from tests.orgs.conftest import SYSTEM, World


def test_the_demo_step_seeds_the_lifecycle(world: World) -> None:
    """Seeds one incubator and seven groups at seven stages; two evaluated in 2019, one
    finding open at the year's end."""
    import datetime as dt

    from community_governance.demo.orgs import DEMO_ORGS, seed_orgs

    out = seed_orgs(world.gov, year=2019, county=world.county, county_name="示范县")
    o = world.gov.orgs
    report = o.stage_report(SYSTEM)
    assert len(DEMO_ORGS) + 1 == report["organizations"]
    assert 4 <= sum(1 for n in report["by_stage"].values() if n)
    assert 1 == len(o.list_orgs(SYSTEM, kind="incubator"))
    assert {"2019"} == set(o.grades_over_time(SYSTEM)["years"])
    assert 2 == len(out["evaluations"])
    f = o.findings_report(SYSTEM, on=dt.date(2019, 12, 31))
    assert (1, 0) == (f["open"], f["overdue"])
    assert 2 == report["under_incubator"]  # incubating and under review: not hatched yet
