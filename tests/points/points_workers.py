"""Worker functions for the multi-process ledger tests (importable by spawned children)."""

from __future__ import annotations

import contextlib
import random
import time
from typing import Any

import community_governance
from community_governance.domain.access import Actor
from community_governance.errors import InsufficientBalance, OutOfStock


def hammer(url: str, worker: int, residents: list[str], item_id: str, rounds: int,
           seed: int) -> dict[str, Any]:
    """Earn and redeem at random; report what succeeded (keys), and what was refused."""
    rng = random.Random(seed)
    system = Actor.system(f"worker{worker}")
    done: dict[str, list[Any]] = {"earned": [], "redeemed": [], "bought": [], "refused": []}
    with community_governance.open(url, entrypoints=False) as gov:
        for i in range(rounds):
            rid = rng.choice(residents)
            op = rng.random()
            key = f"w{worker}-{i}"
            try:
                if op < 0.5:
                    amount = rng.randint(1, 20)
                    gov.points.earn(system, rid, amount, key=key)
                    done["earned"].append((key, rid, amount))
                elif op < 0.75:
                    red = gov.supermarket.redeem(system, rid, item_id, 1, key=key)
                    done["bought"].append((key, rid, red.points))
                else:
                    amount = rng.randint(1, 15)
                    gov.points.redeem(system, rid, amount, key=key)
                    done["redeemed"].append((key, rid, amount))
            except (InsufficientBalance, OutOfStock) as exc:
                done["refused"].append((key, type(exc).__name__))
            if rng.random() < 0.1:  # a retried request: the same key again
                _retry(gov, system, done, key, rid)
    return done


def _retry(gov: Any, system: Actor, done: dict[str, list[Any]], key: str, rid: str) -> None:
    for kind in ("earned", "redeemed"):
        for k, r, amount in done[kind][-1:]:
            if k == key:
                if kind == "earned":
                    gov.points.earn(system, r, amount, key=k)
                else:
                    gov.points.redeem(system, r, amount, key=k)


def replay_same_key(url: str, resident: str, key: str, amount: int) -> int:
    """Send the same earn request; return the entry id answered."""
    with community_governance.open(url, entrypoints=False) as gov:
        return int(gov.points.earn(Actor.system("replay"), resident, amount, key=key).id)


def endless_writes(url: str, residents: list[str], ready_path: str) -> None:
    """Write earn/redeem pairs for ever (the parent kills this process with SIGKILL)."""
    system = Actor.system("victim")
    with community_governance.open(url, entrypoints=False) as gov:
        i = 0
        while True:
            rid = residents[i % len(residents)]
            gov.points.earn(system, rid, 5, key=f"victim-e{i}")
            with contextlib.suppress(InsufficientBalance):
                gov.points.redeem(system, rid, 3, key=f"victim-r{i}")
            i += 1
            if i == 20:
                with open(ready_path, "w") as fh:
                    fh.write("ready")
            if i % 50 == 0:
                time.sleep(0)


def attend_shuffled(url: str, activity_ids: list[str], residents: list[str], seed: int) -> int:
    """Record attendance at each activity for the residents in a random order; return points."""
    rng = random.Random(seed)
    total = 0
    with community_governance.open(url, entrypoints=False) as gov:
        for act in activity_ids:
            people = residents[:]
            rng.shuffle(people)
            total += gov.volunteers.record_attendance(Actor.system("att"), act, people).points
            gov.points.earn(Actor.system("att"), people[0], 1, key=f"{act}-bonus-{seed}")
    return total


def redeem_batches(url: str, worker: int, residents: list[str], items: list[str],
                   rounds: int, seed: int) -> dict[str, Any]:
    """Redeem in batches (residents and items in a random order) and one by one, and earn,
    at random; report the redemptions written (key, resident, item) and the batches refused."""
    rng = random.Random(seed)
    system = Actor.system(f"batcher{worker}")
    done: dict[str, list[Any]] = {"bought": [], "refused": []}
    with community_governance.open(url, entrypoints=False) as gov:
        for i in range(rounds):
            try:
                if rng.random() < 0.3:
                    rid = rng.choice(residents)
                    gov.points.earn(system, rid, rng.randint(5, 30), key=f"b{worker}-e{i}")
                elif rng.random() < 0.7:
                    asks = [(rng.choice(residents), rng.choice(items), 1, f"b{worker}-{i}-{n}")
                            for n in range(rng.randint(2, 5))]
                    for red in gov.supermarket.redeem_many(system, asks):
                        done["bought"].append((red.idempotency_key, red.resident_id,
                                               red.item_id))
                else:
                    red = gov.supermarket.redeem(system, rng.choice(residents),
                                                 rng.choice(items), 1, key=f"b{worker}-{i}")
                    done["bought"].append((red.idempotency_key, red.resident_id, red.item_id))
            except (InsufficientBalance, OutOfStock) as exc:
                done["refused"].append((i, type(exc).__name__))
    return done
