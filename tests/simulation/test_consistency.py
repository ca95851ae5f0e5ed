"""The engine against the services: a small run replayed on memory:// gives the same totals."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import numpy as np

from community_governance.domain.access import Actor
from community_governance.domain.funds import credit, debit
from community_governance.simulation.engine import ACCOUNTS, SimCity, Simulation
from community_governance.simulation.scenario import Scenario
from community_governance.testing.city import SmallCity

from .sim_helpers import minimal_doc

SYSTEM = Actor.system("sim-replay")
#: The standard chart's income and expense accounts of each engine account and purpose.
INCOME = {"office": "4101", "care": "4102", "culture": "4103", "general": "4401"}
EXPENSE = {"office": "5101", "care": "5102", "activities": "5103", "supermarket": "5105"}
CHANNEL_INCOME = {"office": "4201", "care": "4201", "culture": "4201", "general": "4201"}


def sim_city_of(city: SmallCity) -> tuple[SimCity, list[str]]:
    """The engine's view of the test kit's small city, and the resident ids in order."""
    comms = list(city.communities)
    h_keys = list(city.residents)
    ids: list[str] = []
    r_hh: list[int] = []
    ages: list[int] = []
    for h, rs in enumerate(h_keys):
        for r in city.residents[rs]:
            ids.append(r)
            r_hh.append(h)
            born = dt.date.fromisoformat(
                f"{city.id_numbers[r][6:10]}-{city.id_numbers[r][10:12]}-{city.id_numbers[r][12:14]}")
            ages.append(2019 - born.year)
    h_comm = np.array([comms.index(h[:12]) for h in h_keys])
    age = np.array(ages, dtype=np.int16)
    elderly = np.zeros(len(h_keys), dtype=bool)
    np.logical_or.at(elderly, np.array(r_hh), age >= 70)
    vulnerable = np.zeros(len(h_keys), dtype=bool)
    for rid in city.elderly.values():
        vulnerable[r_hh[ids.index(rid)]] = True
    return SimCity(
        community_codes=tuple(comms), community_names=tuple(comms),
        coal_group=np.array([True, True, False]), ages=age,
        resident_household=np.array(r_hh), household_community=h_comm,
        household_compound=h_comm.copy(), compound_codes=tuple(f"{c}-Q01" for c in comms),
        household_elderly=elderly, household_vulnerable=vulnerable, scale=1.0), ids


def test_replay_through_the_services_matches(gov: Any, small_city: SmallCity) -> None:
    """Replays every points and money movement through gov.points and gov.funds on
    memory:// and finds the engine's totals: balances per resident and per fund."""
    city, ids = sim_city_of(small_city)
    sc = Scenario.from_dict(minimal_doc(
        run={"name": "replay", "start": dt.date(2019, 1, 7), "steps": 12},
        activities={"per_community_per_year": 150.0, "cost_cny": 300},
        behaviour={"participation": {"base_logit": -0.5},
                   "volunteering": {"initial_share": 0.3, "serve_logit": 1.0},
                   "redemption": {"weekly_probability": 0.5, "min_points": 20}},
        funds={"channels": [{"name": "企业捐赠", "cny_per_year": 5000, "use": "activities"}]},
    ))
    sim = Simulation(sc, seed=3, city=city, ledger=True).run()
    kinds = {e[0] for e in sim.ledger}
    assert {"earn", "redeem", "fund"} <= kinds
    purposes = {e[5] for e in sim.ledger if e[0] == "fund"}
    assert {"allocation", "channel:企业捐赠", "office", "activities", "supermarket",
            "care"} <= purposes

    day = [sim.step_starts[t] for t in range(sc.run.steps)]
    for n, entry in enumerate(sim.ledger):
        if entry[0] == "earn":
            _, t, i, pts = entry
            gov.points.earn(SYSTEM, ids[i], pts, key=f"sim-{n}", reason=f"week {t}")
        elif entry[0] == "redeem":
            _, t, i, pts = entry
            gov.points.redeem(SYSTEM, ids[i], pts, key=f"sim-{n}", reason=f"week {t}")
        else:
            _, t, c, k, fen, why = entry
            amount = Decimal(abs(fen)) / 100
            if fen > 0:
                income = CHANNEL_INCOME[ACCOUNTS[k]] if why.startswith("channel:") \
                    else INCOME[ACCOUNTS[k]]
                lines = [debit("1002", amount), credit(income, amount)]
                channel = "enterprise" if why.startswith("channel:") else "city_allocation"
            else:
                lines = [debit(EXPENSE[why], amount), credit("1002", amount)]
                channel = "internal"
            gov.funds.post(SYSTEM, city.community_codes[c], lines, channel=channel,
                           voucher=f"SIM-{n}", on=day[t], key=f"sim-{n}")

    # points: every resident's balance and the totals
    balances = [gov.points.balance(SYSTEM, r) for r in ids]
    assert balances == sim.balance.tolist()
    s = sim.summary()
    assert sum(balances) == s["points_outstanding"] == s["points_issued"] - s["points_redeemed"]
    # money: the bank balance of each community is the engine's funds, and so are the
    # fund groups (income less spending)
    groups: dict[int, dict[str, int]] = defaultdict(dict)
    for c, code in enumerate(city.community_codes):
        b = gov.funds.balances(SYSTEM, code)
        assert b.get("1002", Decimal(0)) * 100 == int(sim.funds[c].sum())
        groups[c]["office"] = int((-b.get("4101", Decimal(0)) - b.get("5101", Decimal(0))) * 100)
        groups[c]["care"] = int((-b.get("4102", Decimal(0)) - b.get("5102", Decimal(0))) * 100)
        groups[c]["culture"] = int((-b.get("4103", Decimal(0)) - b.get("4201", Decimal(0))
                                    - b.get("5103", Decimal(0))) * 100)
        groups[c]["general"] = int((-b.get("4401", Decimal(0)) - b.get("5105", Decimal(0)))
                                   * 100)
        assert [groups[c][a] for a in ACCOUNTS] == sim.funds[c].tolist()
    assert sum(int(v) for v in sim.funds.sum(axis=0)) == sum(s["funds_end_fen"].values())
