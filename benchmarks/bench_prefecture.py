"""A prefecture on PostgreSQL (issue 21 item 2): six county-level units of about 2 million
residents at full size (``community_governance.demo.prefecture.prefecture(scale)``: at a
reduced scale, proportionally fewer communities of full size), loaded through
the services, then grids drawn, the participation, funds and case reports, an Open311 export
and the residents export streamed; each step's time and peak memory beside its baseline from
the same run.

Prints one JSON object per step (``figure: prefecture_step``), then a total:

- load steps (``registry`` per county, ``grids`` for the whole prefecture, then per county
  ``grid leaders``, ``volunteering`` (the points), ``funds``, ``cases``): the library's seconds
  beside the **raw COPY of the same rows**: every row the step wrote (found by its ``xmin``,
  audit rows included, rows it updated counted as rows written), copied out beforehand in
  PostgreSQL's binary format and copied with psycopg's ``COPY ... FROM STDIN`` into bare
  tables made ``LIKE`` the library's (same columns, defaults, keys and indexes; no foreign
  keys), in one transaction. ``ratio`` = library seconds / baseline seconds;
- reads (each after an untimed read of its tables, so that both read from a warm cache:
  ``participation report``, ``funds reports`` (trial balance and funding mix),
  ``case report``) beside the **raw COPY ... TO** of the tables the report reads;
- exports (``open311 export`` streamed with ``cases.iter_open311`` into a JSON file,
  ``residents export`` streamed with ``io.exporters.export`` into a CSV file) beside the raw
  ``COPY (SELECT ...) TO STDOUT`` of the same rows and columns into a file;
  ``residents export (list)``, the list path, shows what streaming saves (up to 300,000
  residents);
- every step: ``peak_rss_mb`` (the process's resident-set high-water mark during the step,
  reset before it through ``/proc/self/clear_refs``) and ``rss_growth_mb`` (that peak less
  the resident set when the step began; the allocator reuses memory freed by earlier steps,
  so this understates); every read step also ``python_peak_mb``: the peak of Python's own
  allocations when the step is run a second time under ``tracemalloc`` (not timed). A
  streamed step's peak stays flat as the prefecture grows; the list export's grows with it.

Memory: the counties are generated one at a time and dropped once loaded, so the largest
Python-side holding is one county's generated city (灵宝市, ~26% of the prefecture).

Run: ``.venv/bin/python benchmarks/bench_prefecture.py [--scale 0.01] [--months 1]
[--postgres URL]``;
the scale is also read from ``$CGOV_BENCH_PREFECTURE_SCALE``; the URL from
``$CGOV_BENCH_POSTGRES_URL`` or ``$CGOV_TEST_POSTGRES_URL`` (a fresh schema, dropped
afterwards); without one the benchmark prints why it skipped. ``make bench`` runs the default
``--scale 0.01`` (about 20,000 residents, one month of volunteering: a few minutes); the
full prefecture is ``--scale 1 --months 3`` (see docs/demo.md for its time and needs).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import resource
import signal
import sys
import tempfile
import time
import tracemalloc
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

import community_governance
from community_governance.demo.build import run_steps
from community_governance.demo.prefecture import prefecture
from community_governance.demo.registry import load_registry
from community_governance.domain.access import Actor
from community_governance.io.exporters import export, export_rows
from community_governance.io.open311 import dump
from community_governance.simulation.city import generate_city
from community_governance.testing.pgschema import postgres_schema

SYSTEM = Actor.system("bench")
YEAR = 2019
LIST_EXPORT_MAX = 300_000
_XID = 2**32


def emit(**fields: Any) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


# --- memory -----------------------------------------------------------------------------------

def _status(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


@contextlib.contextmanager
def measured(out: dict[str, Any]) -> Iterator[None]:
    """Wall seconds and the resident-set high-water mark of the block, into ``out``."""
    reset = _reset_peak()
    before = _status("VmRSS") or 0
    started = time.perf_counter()
    yield
    out["seconds"] = time.perf_counter() - started
    peak = _status("VmHWM") if reset else None
    if peak is None:  # no /proc: the process's peak so far (cannot be reset)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        out["peak_kind"] = "process high-water mark (not reset)"
    out["peak_rss_mb"] = round(peak / 2**20, 1)
    out["rss_growth_mb"] = round(max(0, peak - before) / 2**20, 1)


# --- the raw baselines --------------------------------------------------------------------------

class Raw:
    """A psycopg connection to the benchmark's schema, for the baselines."""

    def __init__(self, url: str, folder: Path) -> None:
        import psycopg

        self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1),
                                    autocommit=True)
        self.folder = folder
        self.tables = [r[0] for r in self.conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "current_schema() AND table_type = 'BASE TABLE' AND table_name <> "
            "'alembic_version' ORDER BY table_name")]

    def xid(self) -> int:
        """A transaction id newer than every committed write (32-bit, as ``xmin``)."""
        row = self.conn.execute("SELECT txid_current()").fetchone()
        assert row is not None
        return int(row[0]) % _XID

    def written(self, lo: int, hi: int) -> dict[str, int]:
        """Rows per table whose version was written by a transaction between ``lo`` and
        ``hi`` (the step's inserts and updates)."""
        out = {}
        for table in self.tables:
            row = self.conn.execute(
                f'SELECT count(*) FROM "{table}" WHERE xmin::text::bigint > %s AND '
                f"xmin::text::bigint < %s", (lo, hi)).fetchone()
            if row and row[0]:
                out[table] = int(row[0])
        return out

    def copy_baseline(self, lo: int, hi: int, tables: dict[str, int]) -> float:
        """Seconds to COPY the rows written between ``lo`` and ``hi`` into bare tables."""
        files = {}
        for table in tables:
            path = self.folder / f"{table}.bin"
            with path.open("wb") as fh, self.conn.cursor() as cur, cur.copy(
                    f'COPY (SELECT * FROM "{table}" WHERE xmin::text::bigint > {lo} AND '
                    f"xmin::text::bigint < {hi}) TO STDOUT (FORMAT binary)") as cp:
                for block in cp:
                    fh.write(block)
            files[table] = path
            self.conn.execute(f'DROP TABLE IF EXISTS "bare_{table}"')
            self.conn.execute(f'CREATE TABLE "bare_{table}" (LIKE "{table}" INCLUDING ALL)')
        started = time.perf_counter()
        with self.conn.transaction(), self.conn.cursor() as cur:
            for table, path in files.items():
                with path.open("rb") as fh, cur.copy(
                        f'COPY "bare_{table}" FROM STDIN (FORMAT binary)') as cp:
                    while block := fh.read(1 << 20):
                        cp.write(block)
        elapsed = time.perf_counter() - started
        for table, path in files.items():
            self.conn.execute(f'DROP TABLE "bare_{table}"')
            path.unlink()
        return elapsed

    def copy_out(self, queries: list[str], *, csv: bool = False) -> tuple[float, int]:
        """Seconds to ``COPY (query) TO STDOUT`` into a file, for each query; and bytes."""
        path = self.folder / "copy-out"
        fmt = "(FORMAT csv, HEADER)" if csv else ""
        started = time.perf_counter()
        size = 0
        with path.open("wb") as fh, self.conn.cursor() as cur:
            for q in queries:
                with cur.copy(f"COPY ({q}) TO STDOUT {fmt}") as cp:
                    for block in cp:
                        size += fh.write(block)
        elapsed = time.perf_counter() - started
        path.unlink()
        return elapsed, size


# --- the steps --------------------------------------------------------------------------------

class Totals:
    """Each step's figures, summed over the counties (a step may run once per county)."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.steps: dict[str, dict[str, Any]] = {}

    def add(self, step: str, kind: str, got: dict[str, Any], baseline_s: float,
            baseline: str, rows: dict[str, int] | None = None, **extra: Any) -> None:
        s = self.steps.setdefault(step, {"kind": kind, "seconds": 0.0, "baseline_seconds": 0.0,
                                         "baseline": baseline, "rows": {}, "peak_rss_mb": 0.0,
                                         "rss_growth_mb": 0.0, "runs": 0})
        s["seconds"] += got["seconds"]
        s["baseline_seconds"] += baseline_s
        s["runs"] += 1
        for k in ("peak_rss_mb", "rss_growth_mb"):
            s[k] = max(s[k], got[k])
        for t, n in (rows or {}).items():
            s["rows"][t] = s["rows"].get(t, 0) + n
        s.update(extra)

    def emit_step(self, step: str, residents: int) -> None:
        """Print ``step``'s figures (once all its runs are done: a cut run keeps them)."""
        s = dict(self.steps[step])
        rows = s.pop("rows")
        emit(figure="prefecture_step", step=step, backend="postgresql", scale=self.scale,
             residents=residents, **{k: (round(v, 3) if isinstance(v, float) else v)
                                     for k, v in s.items()},
             ratio=round(s["seconds"] / s["baseline_seconds"], 1)
             if s["baseline_seconds"] else None,
             rows_written=sum(rows.values()) if s["kind"] == "load" else None,
             tables=rows or None)

    def emit_total(self, residents: int, wall: float) -> None:
        lib = sum(s["seconds"] for s in self.steps.values())
        base = sum(s["baseline_seconds"] for s in self.steps.values())
        emit(figure="prefecture_total", backend="postgresql", scale=self.scale,
             residents=residents, seconds=round(lib, 1), baseline_seconds=round(base, 1),
             ratio=round(lib / base, 1) if base else None, wall_seconds=round(wall, 1),
             load_average=[round(x, 1) for x in os.getloadavg()], cpus=os.cpu_count())


def load_step(gov: Any, raw: Raw, totals: Totals, step: str, call: Callable[[], object]) -> None:
    """Run a writing step, then its baseline: raw COPY of the rows it wrote."""
    print(f"# {step} ...", file=sys.stderr, flush=True)
    lo = raw.xid()
    got: dict[str, Any] = {}
    with measured(got):
        result = call()
    hi = raw.xid()
    if isinstance(result, tuple) and len(result) == 2 and result[1]:
        emit(figure="prefecture_step", step=step, failed=list(result[1]))
    rows = raw.written(lo, hi)
    base = raw.copy_baseline(lo, hi, rows)
    totals.add(step, "load", got, base, "raw COPY of the same rows into bare tables", rows)


def python_peak(call: Callable[[], object]) -> float:
    """The peak of Python's own allocations while ``call`` runs again (tracemalloc), MB."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def read_step(raw: Raw, totals: Totals, step: str, call: Callable[[], object],
              queries: list[str], *, residents: int, csv: bool = False,
              baseline: str) -> None:
    """Run a reading step, then its baseline: raw ``COPY ... TO`` of what it reads; then the
    step again under tracemalloc for the peak of its Python allocations."""
    print(f"# {step} ...", file=sys.stderr, flush=True)
    raw.copy_out(queries, csv=csv)  # untimed: both read from a warm cache
    got: dict[str, Any] = {}
    with measured(got):
        result = call()
    base, size = raw.copy_out(queries, csv=csv)
    extra: dict[str, Any] = {"baseline_bytes": size,
                             "python_peak_mb": round(python_peak(call), 2)}
    if isinstance(result, int):
        extra["records"] = result
    totals.add(step, "read", got, base, baseline, **extra)
    totals.emit_step(step, residents)


def run(url: str, scale: float, seed: int, folder: Path, months: int) -> None:
    counties = [attrs.evolve(c, volunteer_months=months) for c in prefecture(scale).counties]
    totals = Totals(scale)
    wall = time.perf_counter()
    residents = 0
    generate_s = 0.0
    with postgres_schema(url, prefix="prefbench") as schema_url, \
            community_governance.open(schema_url) as gov:
        raw = Raw(schema_url, folder)
        seeds: dict[str, Any] = {}
        for k, county in enumerate(counties):
            began = time.perf_counter()
            city = generate_city(county.plan, seed + k)  # a seed each: case ids differ
            generate_s += time.perf_counter() - began
            residents += len(city.residents)
            seeds[county.code] = types.SimpleNamespace(seed=city.seed)
            load_step(gov, raw, totals, "registry",
                      lambda city=city: load_registry(gov, city, actor=SYSTEM))
            del city  # one county's generated city at a time
        emit(figure="prefecture_generate", scale=scale, residents=residents,
             counties=len(counties), seconds=round(generate_s, 2),
             what="generating the six cities (not the library's time; not in the total)")
        totals.emit_step("registry", residents)
        pairs = [(c, seeds[c.code]) for c in counties]
        load_step(gov, raw, totals, "grids", lambda: run_steps(
            gov, pairs, steps=("grids",), year=YEAR, actor=SYSTEM))
        totals.emit_step("grids", residents)
        for step in ("grid leaders", "volunteering", "funds", "cases"):
            for pair in pairs:
                load_step(gov, raw, totals, step, lambda pair=pair, step=step: run_steps(
                    gov, [pair], steps=(step,), year=YEAR, actor=SYSTEM))
            totals.emit_step(step, residents)
        read_step(raw, totals, "participation report",
                  lambda: len(gov.volunteers.participation(SYSTEM).months),
                  ["SELECT * FROM activity_attendance", "SELECT * FROM points_entries",
                   "SELECT * FROM volunteers", "SELECT * FROM redemptions"],
                  residents=residents, baseline="raw COPY TO of the tables it reads")
        read_step(raw, totals, "funds reports",
                  lambda: (len(gov.funds.trial_balance(SYSTEM).rows)
                           + len(gov.funds.funding_mix(SYSTEM, YEAR))),
                  ["SELECT * FROM funds_postings", "SELECT * FROM funds_transactions"],
                  residents=residents, baseline="raw COPY TO of the tables it reads")
        read_step(raw, totals, "case report",
                  lambda: gov.cases.case_report(SYSTEM, year=YEAR, as_of=dt.date(YEAR, 12, 31))
                  .total, ["SELECT * FROM cases", "SELECT * FROM case_transitions"],
                  residents=residents, baseline="raw COPY TO of the tables it reads")

        def open311() -> int:
            with (folder / "requests.json").open("w", encoding="utf-8") as fh:
                return dump(gov.cases.iter_open311(SYSTEM), fh)

        read_step(raw, totals, "open311 export", open311,
                  ["SELECT * FROM cases ORDER BY reported_at, id"],
                  residents=residents,
                  baseline="raw COPY (SELECT * FROM cases ORDER BY reported_at, id) TO a file")
        resident_sql = (
            "SELECT r.id, r.name, r.id_number, r.household_id, r.relation, r.phone, "
            "r.party_member FROM residents r LEFT JOIN households h ON h.id = r.household_id "
            "LEFT JOIN buildings b ON b.code = h.building_code ORDER BY r.id")

        def residents_csv() -> int:
            with (folder / "residents.csv").open("w", encoding="utf-8", newline="") as fh:
                return export(gov, "residents", fh, actor=SYSTEM, fmt="csv")

        read_step(raw, totals, "residents export", residents_csv, [resident_sql], csv=True,
                  residents=residents, baseline="raw COPY (the same columns, joins and order) TO a CSV file")
        if residents <= LIST_EXPORT_MAX:
            read_step(raw, totals, "residents export (list)",
                      lambda: len(export_rows(gov, "residents", actor=SYSTEM)),
                      [resident_sql], csv=True, residents=residents,
                      baseline="raw COPY (the same columns, joins and order) TO a CSV file")
        raw.conn.close()
    totals.emit_total(residents, time.perf_counter() - wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float,
                        default=float(os.environ.get("CGOV_BENCH_PREFECTURE_SCALE", "0.01")),
                        help="fraction of the ~2,000,000-resident prefecture (default 0.01, "
                        "or $CGOV_BENCH_PREFECTURE_SCALE; 1 = full size)")
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--months", type=int, default=1,
                        help="months of volunteering per county (default 1; the demo's 3 for "
                        "the full run): its transactions are per community, not per resident")
    parser.add_argument("--postgres", default=None,
                        help="a PostgreSQL URL (default: $CGOV_BENCH_POSTGRES_URL or "
                        "$CGOV_TEST_POSTGRES_URL)")
    args = parser.parse_args()
    url = (args.postgres or os.environ.get("CGOV_BENCH_POSTGRES_URL")
           or os.environ.get("CGOV_TEST_POSTGRES_URL"))
    if not url:
        emit(figure="prefecture_step", skipped="no PostgreSQL URL: pass --postgres or set "
             "CGOV_BENCH_POSTGRES_URL")
        return
    if not 0 < args.scale <= 1:
        parser.error(f"--scale must be in (0, 1], got {args.scale}")
    # a SIGTERM (a timeout) unwinds, so the schema is dropped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory() as tmp:
        run(url, args.scale, args.seed, Path(tmp), args.months)


if __name__ == "__main__":
    main()
