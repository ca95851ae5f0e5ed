"""Funds: posting transactions through the service layer against raw ``sqlite3``, and the
disclosure of a community-year.

Run: ``.venv/bin/python benchmarks/bench_funds.py [--ops N]``. Prints one JSON object per
figure. The posting baseline writes the same rows (a header and two postings per transaction,
one committed transaction each, WAL, ``synchronous=NORMAL``) with the standard library's
``sqlite3`` and no checks; ``ratio`` is the service's time per transaction over the baseline's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import tempfile
import time
from pathlib import Path

import community_governance as cg
from community_governance.demo.funds import seed_funds
from community_governance.domain.funds import credit, debit
from community_governance.domain.posts import PartnerUnit
from community_governance.io.disclosure import render_csv, render_html, render_json
from community_governance.testing.city import build_small_city

SYSTEM = cg.Actor.system("bench")


def _emit(**fields: object) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def bench_service(path: Path, ops: int) -> float:
    """Seconds to post ``ops`` two-line transactions through ``gov.funds.post``."""
    with cg.open(f"sqlite:///{path}", entrypoints=False) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        gov.funds.post(
            SYSTEM,
            c,
            [debit("1002", "1"), credit("4101", "1")],
            channel="city_allocation",
            voucher="warm-up",
            on=dt.date(2019, 1, 1),
        )
        began = time.perf_counter()
        for i in range(ops):
            gov.funds.post(
                SYSTEM,
                c,
                [
                    debit("1002", f"{100 + i % 900}.{i % 100:02d}"),
                    credit("4301", f"{100 + i % 900}.{i % 100:02d}"),
                ],
                channel="paid_service",
                voucher=f"SF-{i}",
                on=dt.date(2019, 1 + i % 12, 1 + i % 28),
                key=f"bench-{i}",
            )
        elapsed = time.perf_counter() - began
        assert gov.funds.trial_balance(SYSTEM, c).total == 0
    return elapsed


def bench_raw(path: Path, ops: int) -> float:
    """Seconds to write the same rows with raw ``sqlite3`` (no checks, no audit)."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute(
        "CREATE TABLE tx (id INTEGER PRIMARY KEY, community TEXT, date TEXT, "
        "channel TEXT, voucher TEXT, key TEXT UNIQUE)"
    )
    con.execute(
        "CREATE TABLE postings (id INTEGER PRIMARY KEY, tx INTEGER, account TEXT, "
        "amount_fen INTEGER)"
    )
    began = time.perf_counter()
    for i in range(ops):
        fen = (100 + i % 900) * 100 + i % 100
        con.execute("BEGIN IMMEDIATE")
        cur = con.execute(
            "INSERT INTO tx (community, date, channel, voucher, key) VALUES (?, ?, ?, ?, ?)",
            (
                "411281001001",
                f"2019-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "paid_service",
                f"SF-{i}",
                f"bench-{i}",
            ),
        )
        con.executemany(
            "INSERT INTO postings (tx, account, amount_fen) VALUES (?, ?, ?)",
            [(cur.lastrowid, "1002", fen), (cur.lastrowid, "4301", -fen)],
        )
        con.execute("COMMIT")
    elapsed = time.perf_counter() - began
    con.close()
    return elapsed


def bench_disclosure(path: Path) -> None:
    """Seed a year for the small city, then time one community's four quarterly reports."""
    with cg.open(f"sqlite:///{path}", entrypoints=False) as gov:
        city = build_small_city(gov)
        c = city.communities
        gov.registry.add_partner_units(
            SYSTEM,
            [
                PartnerUnit("PU1", "义马市财政局", "assigned_bureau", (c[0], c[1])),
                PartnerUnit("PU2", "义马市教育局", "civilised_unit", (c[0], c[2])),
            ],
        )
        began = time.perf_counter()
        summary = seed_funds(gov, seed=1)
        seed_s = time.perf_counter() - began
        _emit(
            figure="seed_funds_year",
            communities=summary.communities,
            transactions=summary.transactions,
            seconds=round(seed_s, 2),
            ms_per_transaction=round(1000 * seed_s / max(summary.transactions, 1), 2),
        )
        n = len(gov.funds.transactions(SYSTEM, c[0]))
        best = {
            "build": float("inf"),
            "html": float("inf"),
            "csv": float("inf"),
            "json": float("inf"),
        }
        for _ in range(3):
            t0 = time.perf_counter()
            reports = [gov.funds.disclosure(c[0], f"2019Q{q}") for q in (1, 2, 3, 4)]
            t1 = time.perf_counter()
            for r in reports:
                render_html(r)
            t2 = time.perf_counter()
            for r in reports:
                render_csv(r)
            t3 = time.perf_counter()
            for r in reports:
                render_json(r)
            t4 = time.perf_counter()
            for k, v in (
                ("build", t1 - t0),
                ("html", t2 - t1),
                ("csv", t3 - t2),
                ("json", t4 - t3),
            ):
                best[k] = min(best[k], v)
        _emit(
            figure="disclosure_community_year",
            quarters=4,
            transactions_in_year=n,
            build_ms=round(1000 * best["build"], 1),
            html_ms=round(1000 * best["html"], 1),
            csv_ms=round(1000 * best["csv"], 1),
            json_ms=round(1000 * best["json"], 1),
            total_ms=round(1000 * sum(best.values()), 1),
        )


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        service = bench_service(Path(tmp) / "service.db", args.ops)
        raw = bench_raw(Path(tmp) / "raw.db", args.ops)
        _emit(
            figure="post_transaction_sqlite",
            ops=args.ops,
            tx_per_s=round(args.ops / service),
            ms_per_tx=round(1000 * service / args.ops, 3),
            baseline="raw sqlite3: header + 2 postings, one commit each, no checks",
            baseline_tx_per_s=round(args.ops / raw),
            baseline_ms_per_tx=round(1000 * raw / args.ops, 3),
            ratio=round(service / raw, 1),
        )
        bench_disclosure(Path(tmp) / "disclosure.db")


if __name__ == "__main__":
    main()
