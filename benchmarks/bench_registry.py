"""Registry throughput: the demo's residents through the service layer on SQLite and on
PostgreSQL (COPY), each beside the raw driver writing the same rows in the same run.

Prints one JSON object per figure:

- ``register_residents_raw``: the resident and residence rows, prepared in advance, inserted
  with the standard library's ``sqlite3`` ``executemany`` into the same schema (same pragmas, one
  transaction per chunk), rows per second;
- ``register_residents_service``: the residents registered with
  ``gov.registry.register_residents`` on SQLite in chunks of 20,000 (ID validation, keyed
  hashes, permission and plugin checks, residence records, audit rows), rows per second, with
  ``ratio`` = raw rate / service rate;
- with a PostgreSQL URL (``--postgres URL``, else ``CGOV_BENCH_POSTGRES_URL`` or
  ``CGOV_TEST_POSTGRES_URL``; each run uses fresh schemas, dropped afterwards):
  ``register_residents_pg_copy_raw`` (the same rows written with psycopg's ``cursor.copy()``,
  one transaction per chunk), ``register_residents_pg_service`` (the service on PostgreSQL,
  whose bulk inserts go through COPY; ``ratio_to_raw_copy`` and ``ratio_to_sqlite_service``,
  the issue's target being ``<= 1.0`` for the latter) and, unless ``--skip-insert``,
  ``register_residents_pg_service_insert`` (the same service with COPY switched off: the
  ``INSERT`` path it replaced), and ``copy_crossover``: ``bulk.copy_insert`` against the
  ``executemany`` ``INSERT`` per batch size (where ``bulk.COPY_MIN_ROWS`` comes from);
  ``--skip-service`` skips these;
- ``import_residents``: the residents as one CSV file imported with
  ``io.importers.import_file`` (as ``cgov import residents``: every row checked first, one
  transaction) on SQLite and, with a PostgreSQL URL, on PostgreSQL, alternated ``--repeat``
  times (the fastest of each reported), with ``ratio_to_sqlite`` (target ``<= 1.0``),
  ``pair_ratios`` (each PostgreSQL run over the SQLite run beside it), this process's CPU
  seconds (``cpu_s``, ``cpu_ratio_to_sqlite``) and the server's (``server_cpu_s``, read
  from ``/proc`` for a server on this machine; ``total_cpu_ratio_to_sqlite``);
- ``cgov_demo_yima``: the wall time of ``cgov demo yima`` (a subprocess), registry only and
  with every installed optional step (grids, volunteering, funds, cases), on SQLite and (with
  a PostgreSQL URL) on PostgreSQL.

Run: ``.venv/bin/python benchmarks/bench_registry.py [--residents 20000] [--skip-demo]``;
the issue's full figure is ``--residents 138000`` (the whole Yima demo city), e.g.
``--residents 138000 --skip-service --skip-demo --repeat 3`` for the import alone
(``bench_demo.py --pg URL`` compares the demo's steps).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
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
from community_governance.storage.repos import bulk
from community_governance.testing.pgschema import postgres_schema

sys.path.insert(0, str(Path(__file__).parent))
from bench_demo import server_cpu

CHUNK = 20_000
FULL_CITY = 138_000  # residents of the full Yima demo city (scale 1.0)
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


def service_on(url: str, city: City) -> float:
    """Seconds to register ``city``'s residents through the service on ``url``."""
    prepare(url, city)
    items = news(city)
    with community_governance.open(url, entrypoints=False) as gov:
        started = time.perf_counter()
        for i in range(0, len(items), CHUNK):
            gov.registry.register_residents(SYSTEM, items[i : i + CHUNK])
        return time.perf_counter() - started


def write_csv(path: Path, city: City) -> None:
    """``city``'s residents as a residents import file (the columns of ``cgov import``)."""
    import csv

    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "name", "id_number", "household_id", "relation", "phone",
                      "vulnerabilities", "party_member", "moved_in"])
        for p in city.residents:
            out.writerow([p.id, p.name, p.id_number, p.household_id, p.relation.value,
                          p.phone or "", ",".join(sorted(v.value for v in p.vulnerabilities)),
                          "是" if p.party_member else "否", p.moved_in.isoformat()])


def import_on(url: str, city: City, csv_path: Path) -> tuple[float, float, float | None]:
    """Import ``csv_path`` (``city``'s residents, one file: one transaction) with
    ``io.importers.import_file`` on ``url``, as ``cgov import residents`` does: the wall
    seconds, this process's CPU seconds and (PostgreSQL on this machine) the server's."""
    from community_governance.io.importers import import_file

    prepare(url, city)
    pg = url.startswith("postgresql")
    with community_governance.open(url, entrypoints=False) as gov:
        server = server_cpu() if pg else None
        cpu = time.process_time()
        started = time.perf_counter()
        count = import_file(gov, "residents", csv_path, actor=SYSTEM).count
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        after = server_cpu() if pg else None
    assert count == len(city.residents), count
    return elapsed, cpu, None if server is None or after is None else after - server


def copy_crossover(url: str) -> dict[str, Any]:
    """Milliseconds to write batches of 1 to 1,000 rows with ``bulk.copy_insert`` and with
    ``conn.execute(table.insert(), rows)`` (psycopg's pipelined ``executemany``) on
    PostgreSQL, each inside an open transaction (the fastest of 9, alternated): where
    ``COPY`` starts to pay (``bulk.COPY_MIN_ROWS``)."""
    import sqlalchemy as sa

    from community_governance.storage.sql import engine_for_url

    md = sa.MetaData()
    table = sa.Table(
        "crossover", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(40), nullable=False), sa.Column("unit", sa.String(40)),
        sa.Column("n", sa.Integer), sa.Column("day", sa.Date), sa.Column("flag", sa.Boolean),
        sa.Column("note", sa.Text))
    out: dict[str, Any] = {}
    with postgres_schema(url) as schema_url:
        engine = engine_for_url(schema_url)
        try:
            with engine.begin() as conn:
                md.create_all(conn)
            for n in (1, 2, 4, 16, 64, 1000):
                rows = [{"key": f"R{i:08d}", "unit": "411281001001", "n": i,
                         "day": dt.date(2020, 1, 1 + i % 28), "flag": i % 2 == 0,
                         "note": "义马 note"} for i in range(n)]
                best = {"copy": float("inf"), "insert": float("inf")}
                for way in ("copy", "insert") * 9:
                    with engine.connect() as conn, conn.begin():
                        began = time.perf_counter()
                        if way == "copy":
                            assert bulk.copy_insert(conn, table, rows)
                        else:
                            conn.execute(table.insert(), rows)
                        best[way] = min(best[way], time.perf_counter() - began)
                out[str(n)] = {"copy_ms": round(best["copy"] * 1000, 2),
                               "insert_ms": round(best["insert"] * 1000, 2),
                               "ratio": round(best["copy"] / best["insert"], 2)}
        finally:
            engine.dispose()
    return out


def service(folder: Path, city: City) -> float:
    return service_on(f"sqlite:///{folder / 'service.db'}", city)


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


def pg_service(url: str, city: City, *, copy: bool) -> float:
    """The service on a fresh schema; ``copy=False`` switches COPY off (the INSERT path)."""
    saved = bulk.COPY_MIN_ROWS
    if not copy:
        bulk.COPY_MIN_ROWS = sys.maxsize
    try:
        with postgres_schema(url) as schema_url:
            return service_on(schema_url, city)
    finally:
        bulk.COPY_MIN_ROWS = saved


def pg_raw_copy(url: str, city: City) -> float:
    """The same resident and residence rows, prepared in advance, copied with psycopg."""
    import psycopg

    cipher = community_governance.services.crypto.PersonalDataCipher(None)
    now = dt.datetime(2019, 12, 31)
    residents, spells = [], []
    for p in city.residents:
        idn = parse_id_number(p.id_number, today=REFERENCE_DATE)
        residents.append((
            p.id, p.name, idn.number, cipher.lookup_hash(idn.number), idn.birth_date, idn.sex,
            idn.region_code, p.phone, p.household_id, p.relation.value,
            ",".join(sorted(v.value for v in p.vulnerabilities)), p.party_member, False, "",
            now))
        spells.append((p.id, p.household_id, p.moved_in, None))
    with postgres_schema(url) as schema_url:
        prepare(schema_url, city)
        plain = schema_url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(plain) as conn:
            started = time.perf_counter()
            for i in range(0, len(residents), CHUNK):
                with conn.transaction(), conn.cursor() as cur:
                    with cur.copy(
                        "COPY residents (id, name, id_number, id_hash, birth_date, sex, "
                        "region_code, phone, household_id, relation, vulnerabilities, "
                        "party_member, erased, warnings, registered_at) FROM STDIN"
                    ) as cp:
                        for row in residents[i : i + CHUNK]:
                            cp.write_row(row)
                    with cur.copy('COPY residence_spells (resident_id, household_id, start, '
                                  '"end") FROM STDIN') as cp:
                        for row in spells[i : i + CHUNK]:
                            cp.write_row(row)
            return time.perf_counter() - started


class DemoFailed(Exception):
    """``cgov demo`` exited with an error (the last lines of its stderr)."""


def demo(folder: Path, scale: float, registry_only: bool,
         url: str | None = None) -> tuple[float, dict[str, float]]:
    """Run ``cgov demo yima --timings``: the whole-process seconds and the seconds per step
    it printed."""
    cgov = Path(sys.executable).with_name("cgov")
    db = folder / ("demo-registry.db" if registry_only else "demo-full.db")
    cmd = [str(cgov), "demo", "yima", "--db", url or f"sqlite:///{db}", "--scale", str(scale),
           "--timings"]
    if registry_only:
        cmd.append("--registry-only")
    started = time.perf_counter()
    done = subprocess.run(cmd, check=False, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise DemoFailed(done.stderr.strip().splitlines()[-5:])
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
    parser.add_argument("--residents", type=int, default=20_000,
                        help=f"about how many residents (the full demo city: {FULL_CITY})")
    parser.add_argument("--scale", type=float, default=None,
                        help="the demo city's scale instead of --residents (1.0 = full)")
    parser.add_argument("--postgres", default=None,
                        help="a PostgreSQL URL (default: $CGOV_BENCH_POSTGRES_URL or "
                        "$CGOV_TEST_POSTGRES_URL); without one only SQLite is measured")
    parser.add_argument("--skip-insert", action="store_true",
                        help="skip the PostgreSQL service with COPY off (the INSERT path)")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-import", action="store_true",
                        help="skip the residents file import on each backend")
    parser.add_argument("--repeat", type=int, default=1,
                        help="imports per backend, alternated (the fastest is reported)")
    parser.add_argument("--skip-service", action="store_true",
                        help="skip the register_residents figures (raw, service, COPY)")
    args = parser.parse_args()
    scale = args.scale if args.scale is not None else min(1.0, args.residents / FULL_CITY)
    pg_url = (args.postgres or os.environ.get("CGOV_BENCH_POSTGRES_URL")
              or os.environ.get("CGOV_TEST_POSTGRES_URL"))
    city = generate_yima(2019, scale=scale)
    n = len(city.residents)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.skip_service:
            raw_s = raw(folder, city)
            service_s = service(folder, city)
            raw_rate, service_rate = n / raw_s, n / service_s
            emit(
                figure="register_residents_raw",
                backend="sqlite",
                rows=n,
                seconds=round(raw_s, 3),
                rows_per_s=round(raw_rate),
                what="sqlite3 executemany, resident + residence rows",
            )
            emit(
                figure="register_residents_service",
                backend="sqlite",
                rows=n,
                seconds=round(service_s, 3),
                rows_per_s=round(service_rate),
                baseline="register_residents_raw",
                baseline_rows_per_s=round(raw_rate),
                ratio=round(raw_rate / service_rate, 2),
                target_ratio=3.0,
            )
            if pg_url:
                copy_s = pg_raw_copy(pg_url, city)
                pg_s = pg_service(pg_url, city, copy=True)
                copy_rate, pg_rate = n / copy_s, n / pg_s
                emit(
                    figure="register_residents_pg_copy_raw",
                    backend="postgresql",
                    rows=n,
                    seconds=round(copy_s, 3),
                    rows_per_s=round(copy_rate),
                    what="psycopg cursor.copy(), resident + residence rows",
                )
                emit(
                    figure="register_residents_pg_service",
                    backend="postgresql",
                    rows=n,
                    seconds=round(pg_s, 3),
                    rows_per_s=round(pg_rate),
                    baseline="register_residents_pg_copy_raw",
                    baseline_rows_per_s=round(copy_rate),
                    ratio_to_raw_copy=round(copy_rate / pg_rate, 2),
                    sqlite_service_seconds=round(service_s, 3),
                    ratio_to_sqlite_service=round(pg_s / service_s, 2),
                    target_ratio_to_sqlite_service=1.0,
                )
                if not args.skip_insert:
                    ins_s = pg_service(pg_url, city, copy=False)
                    emit(
                        figure="register_residents_pg_service_insert",
                        backend="postgresql",
                        rows=n,
                        seconds=round(ins_s, 3),
                        rows_per_s=round(n / ins_s),
                        what="the service with COPY off (executemany INSERT), for comparison",
                        copy_speedup=round(ins_s / pg_s, 2),
                        ratio_to_sqlite_service=round(ins_s / service_s, 2),
                    )
            else:
                emit(figure="register_residents_pg_service", skipped="no PostgreSQL URL: pass "
                     "--postgres or set CGOV_BENCH_POSTGRES_URL")
        if pg_url:
            emit(figure="copy_crossover", backend="postgresql",
                 copy_min_rows=bulk.COPY_MIN_ROWS, batches=copy_crossover(pg_url),
                 what="bulk.copy_insert vs executemany INSERT per batch size, ms (fastest of 9)")
        if not args.skip_import:
            csv_path = folder / "residents.csv"
            write_csv(csv_path, city)
            runs: dict[str, list[tuple[float, float, float | None]]] = {
                "sqlite": [], "postgresql": []}
            for turn in range(args.repeat):  # alternated, so that both see the same load
                runs["sqlite"].append(import_on(
                    f"sqlite:///{folder / f'import-{turn}.db'}", city, csv_path))
                if pg_url:
                    with postgres_schema(pg_url) as schema_url:
                        runs["postgresql"].append(import_on(schema_url, city, csv_path))
            sqlite_s = min(r[0] for r in runs["sqlite"])
            sqlite_cpu = min(r[1] for r in runs["sqlite"])
            emit(figure="import_residents", backend="sqlite", rows=n,
                 seconds=round(sqlite_s, 3), runs=[round(r[0], 2) for r in runs["sqlite"]],
                 cpu_s=round(sqlite_cpu, 2),
                 what="import_file of one residents CSV (one transaction)",
                 load_average=round(os.getloadavg()[0], 2))
            if pg_url:
                pg_runs = runs["postgresql"]
                pg_import_s = min(r[0] for r in pg_runs)
                pg_cpu = min(r[1] for r in pg_runs)
                servers = [r[2] for r in pg_runs if r[2] is not None]
                emit(figure="import_residents", backend="postgresql", rows=n,
                     seconds=round(pg_import_s, 3),
                     runs=[round(r[0], 2) for r in pg_runs],
                     baseline="import_residents (sqlite)",
                     sqlite_seconds=round(sqlite_s, 3),
                     ratio_to_sqlite=round(pg_import_s / sqlite_s, 2),
                     pair_ratios=[round(p[0] / q[0], 2)
                                  for p, q in zip(pg_runs, runs["sqlite"], strict=True)],
                     target_ratio_to_sqlite=1.0,
                     cpu_s=round(pg_cpu, 2), sqlite_cpu_s=round(sqlite_cpu, 2),
                     cpu_ratio_to_sqlite=round(pg_cpu / sqlite_cpu, 2),
                     server_cpu_s=round(min(servers), 2) if servers else None,
                     total_cpu_ratio_to_sqlite=(round((pg_cpu + min(servers)) / sqlite_cpu, 2)
                                                if servers else None),
                     load_average=round(os.getloadavg()[0], 2))
        if not args.skip_demo:
            sqlite_demo: dict[bool, float] = {}
            for registry_only in (True, False):
                try:
                    seconds, steps = demo(folder, scale, registry_only)
                except DemoFailed as exc:
                    emit(figure="cgov_demo_yima", backend="sqlite", registry_only=registry_only,
                         failed=exc.args[0])
                    continue
                sqlite_demo[registry_only] = seconds
                emit(
                    figure="cgov_demo_yima",
                    backend="sqlite",
                    scale=round(scale, 4),
                    registry_only=registry_only,
                    seconds=round(seconds, 2),
                    steps=steps,
                    target_seconds=30.0,
                )
            if pg_url:
                for registry_only in (True, False):
                    try:
                        with postgres_schema(pg_url) as schema_url:
                            seconds, steps = demo(folder, scale, registry_only, schema_url)
                    except DemoFailed as exc:
                        emit(figure="cgov_demo_yima", backend="postgresql",
                             registry_only=registry_only, failed=exc.args[0])
                        continue
                    if registry_only not in sqlite_demo:
                        continue
                    emit(
                        figure="cgov_demo_yima",
                        backend="postgresql",
                        scale=round(scale, 4),
                        registry_only=registry_only,
                        seconds=round(seconds, 2),
                        steps=steps,
                        sqlite_seconds=round(sqlite_demo[registry_only], 2),
                        ratio_to_sqlite=round(seconds / sqlite_demo[registry_only], 2),
                        target_ratio_to_sqlite=1.0,
                    )


if __name__ == "__main__":
    main()
