"""Quick start: register a community, a household and a resident, then read them back.

Run it with ``.venv/bin/python examples/quickstart.py`` (``make demo`` creates ``.venv``).
"""

from __future__ import annotations

import datetime as dt

import community_governance as cg
from community_governance.domain.idnumber import compose_id_number
from community_governance.services.registry import NewResident

office = cg.Actor.system("quickstart")  # who acts: every service call names its actor

with cg.open("memory://") as gov:  # or "sqlite:///county.db", "postgresql://..."
    gov.registry.add_units(office, [
        cg.Unit("411281", "county", "义马市"),
        cg.Unit("411281001", "subdistrict", "千秋路办事处", parent_code="411281"),
        cg.Unit("411281001001", "community", "连银社区", parent_code="411281001"),
    ])
    gov.registry.add_buildings(office, [
        cg.Building("411281001001-B0001", "连银小区1号楼", community_code="411281001001"),
    ])
    gov.registry.add_households(office, [
        cg.Household("411281001001-B0001-301", "411281001001-B0001", door="1-3-301"),
    ])
    # An elderly resident of 义马市 born in 1950: a real-shaped number (region code 411281).
    number = compose_id_number("411281", dt.date(1950, 3, 7), sequence=1)
    resident = gov.registry.register_resident(office, NewResident(
        name="张秀兰", id_number=number, household_id="411281001001-B0001-301",
        relation="head", phone="13903981234",
    ))
    print(resident)  # the ID number and the phone are masked in every repr
    print("born", resident.birth_date, "sex", resident.sex)  # derived, never typed

    try:
        gov.registry.register_resident(office, NewResident(
            name="李四", id_number=number[:-1] + "0", household_id="411281001001-B0001-301"))
    except cg.IdNumberError as exc:
        print("refused:", exc)

    print(gov.registry.summary(office).as_dict())
