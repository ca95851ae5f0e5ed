"""Registry throughput: the demo's residents through the service layer vs raw sqlite3.

Prints one JSON object per figure:

- ``register_residents_service``: the Yima demo's ~138,000 residents registered with
  ``gov.registry.register_residents`` in chunks of 20,000 (ID validation, keyed hashes,
  permission and plugin checks, residence records, audit rows), rows per second;
- ``register_residents_raw``: the same resident and residence rows, prepared in advance, inserted
  with the standard library's ``sqlite3`` ``executemany`` into the same schema (same pragmas, one
  transaction), rows per second; the service figure carries ``ratio`` = raw rate / service rate;
- ``cgov_demo_yima``: the wall time of ``cgov demo yima`` (a subprocess), registry only and
  with every installed optional step (grids, volunteering, funds, cases).

Run: ``.venv/bin/python benchmarks/bench_registry.py [--scale 1.0] [--skip-demo]``
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import community_governance
from community_governance.domain.access import Actor
from community_governance.domain.idnumber import parse_id_number
from community_governance.services.registry import NewResident
from community_governance.simulation.city import REFERENCE_DATE, City, generate_yima

CHUNK = 20_000
SYSTEM = Actor.system("bench")


def emit(**fields: Any) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def prepare(url: str, city: City) -> None:
    with community_governance.open(url, entrypoints=False) as gov:
        gov.registry.add_units(SYSTEM, city.units)
        gov.registry.add_buildings(SYSTEM, city.buildings)
        gov.registry.add_households(SYSTEM, city.households)


def news(city: City) -> list[NewResident]:
    return [
        NewResident(
            name=p.name,
            id_number=p.id_number,
            household_id=p.household_id,
            relation=p.relation,
            phone=p.phone,
            vulnerabilities=p.vulnerabilities,
            party_member=p.party_member,
            id=p.id,
            moved_in=p.moved_in,
        )
        for p in city.residents
    ]


def service(folder: Path, city: City) -> float:
    url = f"sqlite:///{folder / 'service.db'}"
    prepare(url, city)
    items = news(city)
    with community_governance.open(url, entrypoints=False) as gov:
        started = time.perf_counter()
        for i in range(0, len(items), CHUNK):
            gov.registry.register_residents(SYSTEM, items[i : i + CHUNK])
        return time.perf_counter() - started


def raw(folder: Path, city: City) -> float:
    path = folder / "raw.db"
    prepare(f"sqlite:///{path}", city)
    cipher = community_governance.services.crypto.PersonalDataCipher(None)
    now = "2019-12-31 00:00:00.000000"
    residents, spells = [], []
    for p in city.residents:
        idn = parse_id_number(p.id_number, today=REFERENCE_DATE)
        residents.append(
            (
                p.id,
                p.name,
                idn.number,
                cipher.lookup_hash(idn.number),
                idn.birth_date.isoformat(),
                idn.sex,
                idn.region_code,
                p.phone,
                p.household_id,
                p.relation.value,
                ",".join(sorted(v.value for v in p.vulnerabilities)),
                int(p.party_member),
                0,
                "",
                now,
            )
        )
        spells.append((p.id, p.household_id, p.moved_in.isoformat(), None))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    started = time.perf_counter()
    for i in range(0, len(residents), CHUNK):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO residents (id, name, id_number, id_hash, birth_date, sex, region_code, "
            "phone, household_id, relation, vulnerabilities, party_member, erased, warnings, "
            "registered_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            residents[i : i + CHUNK],
        )
        conn.executemany(
            'INSERT INTO residence_spells (resident_id, household_id, start, "end") '
            "VALUES (?,?,?,?)",
            spells[i : i + CHUNK],
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def demo(folder: Path, scale: float, registry_only: bool) -> tuple[float, dict[str, float]]:
    """Run ``cgov demo yima --timings``: the whole-process seconds and the seconds per step
    it printed."""
    cgov = Path(sys.executable).with_name("cgov")
    db = folder / ("demo-registry.db" if registry_only else "demo-full.db")
    cmd = [str(cgov), "demo", "yima", "--db", f"sqlite:///{db}", "--scale", str(scale),
           "--timings"]
    if registry_only:
        cmd.append("--registry-only")
    started = time.perf_counter()
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    steps: dict[str, float] = {}
    table = done.stderr.split("step ", 1)[-1].splitlines()[1:]
    for line in table:
        if line.startswith("load average"):
            break
        name, _, value = line.rstrip().rpartition(" ")
        try:
            steps[name.strip()] = float(value)
        except ValueError:
            break
    return elapsed, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    city = generate_yima(2019, scale=args.scale)
    n = len(city.residents)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        raw_s = raw(folder, city)
        service_s = service(folder, city)
        raw_rate, service_rate = n / raw_s, n / service_s
        emit(
            figure="register_residents_raw",
            rows=n,
            seconds=round(raw_s, 3),
            rows_per_s=round(raw_rate),
            what="sqlite3 executemany, resident + residence rows",
        )
        emit(
            figure="register_residents_service",
            rows=n,
            seconds=round(service_s, 3),
            rows_per_s=round(service_rate),
            baseline="register_residents_raw",
            baseline_rows_per_s=round(raw_rate),
            ratio=round(raw_rate / service_rate, 2),
            target_ratio=3.0,
        )
        if not args.skip_demo:
            for registry_only in (True, False):
                seconds, steps = demo(folder, args.scale, registry_only)
                emit(
                    figure="cgov_demo_yima",
                    scale=args.scale,
                    registry_only=registry_only,
                    seconds=round(seconds, 2),
                    steps=steps,
                    target_seconds=30.0,
                )


if __name__ == "__main__":
    main()
